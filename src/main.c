/* main.c: the dangjian command. Options come from config.c's table; the subcommands
 * register themselves (CLI_COMMAND, see src/cli/cli.h) and are dispatched here. */
#include "cli/cli.h"
#include "config.h"
#include "core/log.h"
#include "http/router.h"
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int main(int argc, char **argv)
{
	/* every file we create (database, WAL, backups, logs, spooled uploads) is the
	 * owner's alone: 0600, directories 0700; key files are made 0400 (SECURITY.md S25) */
	umask(077);
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
	if (strcmp(cfg.log_file, "-") != 0)
		cli_make_parent_dir(cfg.log_file);
	if (log_open(cfg.log_file, lvl) != 0)
		fprintf(stderr, "dangjian: cannot open log file %s; logging to stderr\n", cfg.log_file);
	if (router_init(cfg.test_mode) != 0) {
		fputs("dangjian: the route table is invalid\n", stderr);
		return 1;
	}
	const char *name = argc > 1 ? argv[1] : "help";
	/* serve takes no arguments of its own: what config_load left is not an option */
	if (strcmp(name, "serve") == 0 && argc > 2) {
		fprintf(stderr, "dangjian: unknown option %s\n", argv[2]);
		return 2;
	}
	for (const struct cli_command *const *c = cli_commands; *c; c++)
		if (cli_command_is(*c, name))
			return (*c)->run(argc - 1, argv + 1);
	fprintf(stderr, "dangjian: unknown command %s\n\n", name);
	cli_usage(stderr);
	return 2;
}
