/* cli.h: subcommands of the dangjian binary. Each command group is a file of src/cli/
 * (cli.c, serve.c, database.c, user.c, audit.c, demo.c, stats.c) that registers its
 * commands at file scope with CLI_COMMAND; tools/gen_registry collects them and main.c
 * dispatches. A command calls models as a handler does, and
 * wraps its writes in db_tx_run (db.h): outside a request nobody else opens the
 * transaction.
 * IMPORT: the import command moves to src/cli/import.c on branch sec-import; on this
 * branch it is still defined in src/model/import.c (through the forwarding src/cli.h),
 * which the integrator deletes with that header when the two branches meet. */
#ifndef DJ_CLI_H
#define DJ_CLI_H
#include <stdio.h>

struct cli_command {
	const char *name;
	int (*run)(int argc, char **argv); /* argv[0] is the command name; returns exit status */
	const char *usage;                 /* e.g. "backup FILE" */
	const char *help;                  /* one line */
};

#define CLI_COMMAND(id, fn, usage, help) \
	const struct cli_command cli_command_##id = {#id, fn, usage, help}

extern const struct cli_command *const cli_commands[];

/* Is c the command called name? Its name (the CLI_COMMAND id) or the first word of its
 * usage, which may hold a hyphen that an identifier can not ("migrate-data"). */
int cli_command_is(const struct cli_command *c, const char *name);

/* The usage text: commands and options. */
void cli_usage(FILE *out);

/* Opens cfg.db, checks the pragmas, loads the keys and applies migrations; for commands
 * that need the database. Returns the connection (free with db_close) or NULL after
 * printing why. */
struct db *cli_open_db(void);
/* Prints why the database (cfg.db) did not open: one line on stderr. */
void cli_open_failed(void);
/* Creates the directories above a file's path (0750), so a first run needs no set-up. */
void cli_make_parent_dir(const char *path);
#endif
