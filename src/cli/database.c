/* database.c: the database's upkeep from the command line: `migrate` (create or upgrade
 * the schema), `check` (schema version, integrity_check, pragmas, every statement
 * prepares) and `backup FILE` (SQLite's online backup, safe while serving). */
#include "cli/cli.h"
#include "config.h"
#include "db/db.h"
#include <stdio.h>
#include <sys/stat.h>

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
		cli_open_failed();
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
		cli_open_failed();
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

