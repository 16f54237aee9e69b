/* migrate_data.c: `dangjian migrate-data --from FILE --to URL` (issue 12 #5): moves a
 * district from its SQLite file (which a server may be using) into an empty PostgreSQL
 * database. The work is src/db/migrate_data.c's (contract in db/db_migrate_data.h);
 * this file reads the two arguments and prints the progress and the summary. --from and
 * --to are the command's own arguments, not options: --db is not read. */
#include "cli/cli.h"
#include "db/db_migrate_data.h"
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct md_print {
	bool tty;
	double last; /* secs of the last progress line of the current table */
};

/* 1234567 → "1,234,567" */
static const char *grouped(long long v, char *out, size_t cap)
{
	char digits[32];
	int n = snprintf(digits, sizeof digits, "%lld", v < 0 ? -v : v), o = 0;
	if (v < 0 && o + 1 < (int)cap)
		out[o++] = '-';
	for (int i = 0; i < n && o + 2 < (int)cap; i++) {
		if (i && (n - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	out[o] = 0;
	return out;
}

static void on_progress(void *ctx, enum db_md_step step, const char *table, int64_t rows, int64_t total,
			double secs, bool done)
{
	struct md_print *p = ctx;
	char a[32], b[32];
	switch (step) {
	case DB_MD_BACKUP:
		printf("backup: %.1f MiB snapshot in %.1f s\n", (double)rows / (1024.0 * 1024.0), secs);
		break;
	case DB_MD_SCHEMA:
		printf("target schema: version %lld\n", (long long)rows);
		break;
	case DB_MD_TABLE:
		if (done) {
			printf("%s  %-24s %12s rows  %6.1f s\n", p->tty ? "\r\033[K" : "", table, grouped(rows, a, sizeof a), secs);
			p->last = 0;
		} else if (secs - p->last >= (p->tty ? 0.2 : 5.0)) {
			/* a line now and then into a log, one updated line on a terminal */
			printf("%s  %-24s %12s of %s rows%s", p->tty ? "\r\033[K" : "", table, grouped(rows, a, sizeof a),
			       grouped(total, b, sizeof b), p->tty ? "" : "\n");
			p->last = secs;
		}
		break;
	case DB_MD_REBUILD:
		if (done)
			printf("%sindexes and constraints made again (keys and foreign keys checked): %lld in %.1f s\n",
			       p->tty ? "\r\033[K" : "", (long long)rows, secs);
		else if (p->tty)
			printf("\r\033[K  index %lld of %lld: %s", (long long)rows + 1, (long long)total, table);
		break;
	case DB_MD_CHECK:
		printf("sequences set, row counts compared, committed in %.1f s\n", secs);
		break;
	case DB_MD_STEP__MAX:
		break;
	}
	fflush(stdout);
}

static int cmd_migrate_data(int argc, char **argv)
{
	const char *from = NULL, *to = NULL;
	for (int i = 1; i < argc; i++) {
		const char **slot = strcmp(argv[i], "--from") == 0 ? &from : strcmp(argv[i], "--to") == 0 ? &to : NULL;
		if (slot && i + 1 < argc && !*slot) {
			*slot = argv[++i];
		} else if (!strncmp(argv[i], "--from=", 7) && !from) {
			from = argv[i] + 7;
		} else if (!strncmp(argv[i], "--to=", 5) && !to) {
			to = argv[i] + 5;
		} else {
			fprintf(stderr, "usage: dangjian migrate-data --from FILE --to postgresql://…\n");
			return 2;
		}
	}
	if (!from || !to || !*from || !*to) {
		fprintf(stderr, "usage: dangjian migrate-data --from FILE --to postgresql://…\n");
		return 2;
	}
	struct md_print p = {.tty = isatty(STDOUT_FILENO) == 1};
	struct db_md_result res;
	char why[512];
	printf("migrate-data: copying %s into PostgreSQL\n", from);
	fflush(stdout);
	if (db_migrate_data(from, to, on_progress, &p, &res, why, sizeof why) != 0) {
		if (p.tty)
			printf("\n");
		fflush(stdout);
		fprintf(stderr, "dangjian: migrate-data: %s\n", why);
		return 1;
	}
	char n[32];
	printf("done: %s rows in %d tables into %s (schema %d) in %.1f s: backup %.1f s, copy %.1f s, indexes %.1f s, "
	       "checks and commit %.1f s\n",
	       grouped(res.rows, n, sizeof n), res.tables, res.target, res.version, res.total_s, res.backup_s, res.copy_s,
	       res.rebuild_s, res.check_s);
	return 0;
}
CLI_COMMAND(migrate_data, cmd_migrate_data, "migrate-data --from FILE --to URL",
	    "copy a SQLite database (live: online backup first) into an empty PostgreSQL one");
