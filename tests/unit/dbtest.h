/* dbtest.h: a fresh, migrated database with keys in a temporary directory, for unit
 * tests of models (header-only; each test binary includes it once). */
#ifndef DJ_DBTEST_H
#define DJ_DBTEST_H
#include "config.h"
#include "core/crypto.h"
#include "db/db.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char dbtest_dir[256];

/* Opens dir/dj.db (creating dir), sets cfg.db and cfg.key_dir, loads keys, migrates. */
static struct db *dbtest_open(void)
{
	config_defaults();
	snprintf(dbtest_dir, sizeof dbtest_dir, "/tmp/dj-unit-XXXXXX");
	if (!mkdtemp(dbtest_dir))
		return NULL;
	char path[300], keys[300], why[256];
	snprintf(path, sizeof path, "%s/dj.db", dbtest_dir);
	snprintf(keys, sizeof keys, "%s/keys", dbtest_dir);
	config_set("db", path);
	config_set("key_dir", keys);
	if (dj_crypto_init(keys, why, sizeof why) != 0) {
		fprintf(stderr, "keys: %s\n", why);
		return NULL;
	}
	struct db *db = db_open(path, DB_OPEN_CREATE);
	if (!db || db_migrate(db) != 0)
		return NULL;
	return db;
}

static void dbtest_close(struct db *db)
{
	db_close(db);
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dbtest_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dbtest_dir);
}
#endif
