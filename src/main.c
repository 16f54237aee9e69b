/* main.c: the dangjian command. Options come from config.c's table; the subcommands
 * register themselves (CLI_COMMAND) and are dispatched here. */
#include "cli.h"
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

static void usage(FILE *out)
{
	fprintf(out, "dangjian %s: 党建服务平台\n\nusage: dangjian COMMAND [options]\n\ncommands:\n", DJ_VERSION);
	for (const struct cli_command *const *c = cli_commands; *c; c++)
		fprintf(out, "  %-44s %s\n", (*c)->usage, (*c)->help);
	fprintf(out, "\noptions (also DANGJIAN_<NAME> in the environment, or NAME = value in --config FILE):\n");
	config_usage(out);
	fprintf(out, "  --%-20s %s\n", "config FILE", "read options from an INI file");
	fprintf(out, "  --%-20s %s\n", "print-config", "print the options in effect and exit");
}

static int cmd_serve(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	struct db *db = cli_open_db();
	if (!db)
		return 1;
	db_close(db);
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
	usage(stdout);
	return 0;
}
CLI_COMMAND(help, cmd_help, "help", "this text");

int main(int argc, char **argv)
{
	if (sodium_init() < 0) {
		fputs("dangjian: libsodium failed to initialise\n", stderr);
		return 1;
	}
	if (config_load(&argc, argv) != 0)
		return 2;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--print-config") == 0) {
			config_print(stdout);
			return 0;
		}
	static const char *const levels[] = {"debug", "info", "warn", "error"};
	enum log_level lvl = LOG_INFO;
	for (int i = 0; i < 4; i++)
		if (strcmp(cfg.log_level, levels[i]) == 0)
			lvl = (enum log_level)i;
	if (log_open(cfg.log_file, lvl) != 0)
		fprintf(stderr, "dangjian: cannot open log file %s; logging to stderr\n", cfg.log_file);
	if (router_init(cfg.test_mode) != 0) {
		fputs("dangjian: the route table is invalid\n", stderr);
		return 1;
	}
	const char *name = argc > 1 ? argv[1] : "help";
	for (const struct cli_command *const *c = cli_commands; *c; c++)
		if (strcmp((*c)->name, name) == 0)
			return (*c)->run(argc - 1, argv + 1);
	fprintf(stderr, "dangjian: unknown command %s\n\n", name);
	usage(stderr);
	return 2;
}
