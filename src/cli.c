/* cli.c: the foundation's subcommands (serve, migrate, check, routes, backup, version,
 * help) and the helpers every command shares. Other modules register their own
 * commands next to their code with CLI_COMMAND. Lives in the library (not main.c) so
 * that unit tests and fuzzers can link the generated registry. */
#include "cli.h"
#include "jobs/jobs.h"
#include "api/roster_util.h"
#include "config.h"
#include "core/crypto.h"
#include "core/log.h"
#include "db/db.h"
#include "http/router.h"
#include "http/server.h"
#include <sodium.h>
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

/* Creates the directory holding path's file, so a first run needs no set-up. */
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

struct db *cli_open_db(void)
{
	cli_make_parent_dir(cfg.db);
	cli_make_parent_dir(cfg.key_dir[0] ? cfg.key_dir : "var/keys");
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

static int cmd_serve(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	struct db *db = cli_open_db();
	if (!db)
		return 1;
	jobs_recover(db); /* before any request: jobs of an earlier process cannot resume */
	db_close(db);
	roster_tmp_sweep();
	return server_run();
}
CLI_COMMAND(serve, cmd_serve, "serve", "serve HTTP on --listen:--port until SIGTERM");

static int cmd_migrate(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	struct db *db = cli_open_db();
	if (!db)
		return 1;
	printf("schema version %d\n", db_schema_version(db));
	db_close(db);
	return 0;
}
CLI_COMMAND(migrate, cmd_migrate, "migrate", "create or upgrade the database schema");

static void report_stmt(const char *table, const char *name, const char *msg)
{
	printf("  statement %s/%s: %s\n", table, name, msg);
}

static int cmd_check(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	struct db *db = db_open(cfg.db, 0);
	if (!db) {
		fprintf(stderr, "dangjian: cannot open database %s\n", cfg.db);
		return 1;
	}
	int bad = 0;
	char why[512];
	int have = db_schema_version(db), latest = db_schema_latest();
	printf("schema version: %d (this binary: %d)%s\n", have, latest, have == latest ? "" : "  MISMATCH");
	bad |= have != latest;
	int ic = db_integrity_check(db, why, sizeof why);
	printf("integrity_check: %s\n", why);
	bad |= ic != 0;
	int sc = db_self_check(db, why, sizeof why);
	printf("pragmas: %s\n", sc ? why : "ok");
	bad |= sc != 0;
	int total = 0;
	for (const struct db_sql_table *const *t = db_sql_tables; *t; t++)
		total += (int)(*t)->n;
	int failed = db_check_statements(db, report_stmt);
	printf("statements: %d prepared, %d failed\n", total - failed, failed);
	bad |= failed != 0;
	db_close(db);
	printf("%s\n", bad ? "check FAILED" : "check ok");
	return bad ? 1 : 0;
}
CLI_COMMAND(check, cmd_check, "check", "schema version, integrity_check, every statement prepares");

static int cmd_routes(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	router_print();
	return 0;
}
CLI_COMMAND(routes, cmd_routes, "routes", "list every route with its permission and flags");

static int cmd_backup(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: dangjian backup FILE\n");
		return 2;
	}
	struct stat st;
	if (stat(argv[1], &st) == 0) {
		fprintf(stderr, "dangjian: %s exists; refusing to overwrite\n", argv[1]);
		return 1;
	}
	struct db *db = db_open(cfg.db, 0);
	if (!db) {
		fprintf(stderr, "dangjian: cannot open database %s\n", cfg.db);
		return 1;
	}
	char why[256];
	int rc = db_backup(db, argv[1], why, sizeof why);
	db_close(db);
	if (rc) {
		fprintf(stderr, "dangjian: backup failed: %s\n", why);
		return 1;
	}
	printf("backup written to %s\n", argv[1]);
	return 0;
}
CLI_COMMAND(backup, cmd_backup, "backup FILE", "online backup of the database (safe while serving)");

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

