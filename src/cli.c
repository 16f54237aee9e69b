/* cli.c: helpers shared by the subcommands (see cli.h). Kept out of main.c so that
 * the library (and the unit tests linking it) holds every CLI_COMMAND's dependencies. */
#include "cli.h"
#include "config.h"
#include "core/crypto.h"
#include "db/db.h"
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* Creates the directory holding path's file, so a first run needs no set-up. */
static void make_parent_dir(const char *path)
{
	char dir[4096];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash)
		return;
	*slash = 0;
	for (char *p = dir + 1; *p; p++)
		if (*p == '/') {
			*p = 0;
			mkdir(dir, 0750);
			*p = '/';
		}
	mkdir(dir, 0750);
}

struct db *cli_open_db(void)
{
	make_parent_dir(cfg.db);
	make_parent_dir(cfg.key_dir[0] ? cfg.key_dir : "var/keys");
	struct db *db = db_open(cfg.db, DB_OPEN_CREATE);
	if (!db) {
		fprintf(stderr, "dangjian: cannot open database %s\n", cfg.db);
		return NULL;
	}
	char why[256];
	if (db_self_check(db, why, sizeof why) != 0) {
		fprintf(stderr, "dangjian: database settings refused: %s\n", why);
		db_close(db);
		return NULL;
	}
	char kwhy[256];
	if (dj_crypto_init(cfg.key_dir, kwhy, sizeof kwhy) != 0) {
		fprintf(stderr, "dangjian: keys: %s\n", kwhy);
		db_close(db);
		return NULL;
	}
	if (db_migrate(db) != 0) {
		fprintf(stderr, "dangjian: migrations failed (see log)\n");
		db_close(db);
		return NULL;
	}
	return db;
}

