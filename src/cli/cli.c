/* cli.c: what every command shares (usage, opening the database, creating a file's
 * directory) and the commands about the binary itself (version, help). The commands
 * are in the other files of src/cli/, one per group. Lives in the library (not main.c)
 * so that unit tests and fuzzers can link the generated registry. */
#include "cli/cli.h"
#include "config.h"
#include "core/crypto.h"
#include "core/log.h"
#include "db/db.h"
#include "model/member.h"
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#ifndef DJ_VERSION
#define DJ_VERSION "0.1.0"
#endif

void cli_usage(FILE *out)
{
	fprintf(out, "dangjian %s: 党建服务平台\n\nusage: dangjian COMMAND [options]\n\ncommands:\n", DJ_VERSION);
	for (const struct cli_command *const *c = cli_commands; *c; c++)
		fprintf(out, "  %-44s %s\n", (*c)->usage, (*c)->help);
	fprintf(out, "\noptions (also DANGJIAN_<NAME> in the environment, or NAME = value in --config FILE):\n");
	config_usage(out);
	fprintf(out, "  --%-20s %s\n", "config FILE", "read options from an INI file");
	fprintf(out, "  --%-20s %s\n", "print-config", "print the options in effect and exit");
}

int cli_command_is(const struct cli_command *c, const char *name)
{
	size_t n = strcspn(c->usage, " ");
	return strcmp(c->name, name) == 0 || (strlen(name) == n && strncmp(c->usage, name, n) == 0);
}

void cli_make_parent_dir(const char *path)
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

void cli_open_failed(void)
{
	/* a URL's password is never printed: only its reason */
	if (db_is_url(cfg.db))
		fprintf(stderr, "dangjian: cannot open the PostgreSQL database: %s\n",
			*db_open_error() ? db_open_error() : "see the log");
	else
		fprintf(stderr, "dangjian: cannot open database %s%s%s\n", cfg.db, *db_open_error() ? ": " : "",
			db_open_error());
}

struct db *cli_open_db(void)
{
	if (!db_is_url(cfg.db))
		cli_make_parent_dir(cfg.db);
	cli_make_parent_dir(cfg.key_dir[0] ? cfg.key_dir : "var/keys");
	struct db *db = db_open(cfg.db, DB_OPEN_CREATE);
	if (!db) {
		cli_open_failed();
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
		if (*db_open_error())
			fprintf(stderr, "dangjian: %s\n", db_open_error());
		else
			fprintf(stderr, "dangjian: migrations failed (see log)\n");
		db_close(db);
		return NULL;
	}
	/* the masks of 0052 for rows written before it: a migration can not decrypt, so
	 * they are filled here, once, with the keys loaded above */
	int64_t filled = 0;
	enum db_rc rc = member_fill_masks(db, 0, &filled);
	if (filled > 0)
		log_msg(LOG_INFO, NULL, "member masks: filled %lld rows written before 0052_member_masks",
			(long long)filled);
	if (rc != DB_OK) {
		fprintf(stderr, "dangjian: filling the member masks failed (see log)\n");
		db_close(db);
		return NULL;
	}
	/* the name sort keys of 0114 for rows written before it (computed in C) */
	rc = member_fill_name_keys(db, 0, &filled);
	if (filled > 0)
		log_msg(LOG_INFO, NULL, "member names: sort keys for %lld rows written before 0114_member_name_order",
			(long long)filled);
	if (rc != DB_OK) {
		fprintf(stderr, "dangjian: filling the member name keys failed (see log)\n");
		db_close(db);
		return NULL;
	}
	return db;
}

static int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("dangjian %s (schema %d)\n", DJ_VERSION, db_schema_latest());
	return 0;
}
CLI_COMMAND(version, cmd_version, "version", "print the version");

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_usage(stdout);
	return 0;
}
CLI_COMMAND(help, cmd_help, "help", "this text");

