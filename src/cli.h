/* cli.h: subcommands of the dangjian binary. Each lives next to what it works on and
 * registers itself at file scope with CLI_COMMAND; tools/gen_registry collects them
 * and main.c dispatches. */
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

/* The usage text: commands and options. */
void cli_usage(FILE *out);

/* Opens cfg.db, applies migrations and checks the pragmas; for commands that need the
 * database. Returns the connection (free with db_close) or NULL after printing why. */
struct db *cli_open_db(void);
/* Creates the directories above a file's path (0750), so a first run needs no set-up. */
void cli_make_parent_dir(const char *path);
#endif
