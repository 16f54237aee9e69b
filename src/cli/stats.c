/* stats.c: `dangjian stats [--org ID]`: the figures of GET /api/v1/stats/members for an
 * organization's subtree from the command line (and a way to time the pass on a large
 * database), in one read transaction. */
#include "cli/cli.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/date.h"
#include "db/db.h"
#include "model/org.h"
#include "model/stats.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct stats_run {
	int64_t org;
	struct arena *a;
	struct org_rec o;
	bool missing;
	struct member_stats s;
};

static enum db_rc stats_tx(struct db *db, void *ctx)
{
	struct stats_run *r = ctx;
	enum db_rc rc = org_get(db, r->a, r->org, &r->o);
	if (rc != DB_OK) {
		r->missing = rc == DB_NOT_FOUND;
		return rc == DB_NOT_FOUND ? DB_ERROR : rc;
	}
	char today_s[11];
	struct date today;
	clock_today(today_s);
	date_parse(today_s, &today);
	/* the path range end: the prefix with its last '/' replaced by '0' ('/' + 1) */
	char *end = arena_strdup(r->a, r->o.path);
	end[strlen(end) - 1] = '0';
	return stats_members(db, r->o.path, end, today, &r->s);
}

static int cmd_stats(int argc, char **argv)
{
	struct stats_run r = {.org = 1};
	if (argc == 3 && strcmp(argv[1], "--org") == 0)
		r.org = strtoll(argv[2], NULL, 10);
	else if (argc != 1) {
		fprintf(stderr, "usage: dangjian stats [--org ID]\n");
		return 2;
	}
	struct db *db = cli_open_db();
	if (!db)
		return 1;
	r.a = arena_new();
	double t0 = clock_mono_ms();
	enum db_rc rc = db_tx_run(db, false, stats_tx, &r);
	double ms = clock_mono_ms() - t0;
	int status = 1;
	if (r.missing) {
		fprintf(stderr, "dangjian: no organization %lld\n", (long long)r.org);
	} else if (rc != DB_OK) {
		fprintf(stderr, "dangjian: stats failed: %s\n", db_errmsg(db));
	} else {
		json_t *j = stats_members_json(&r.s);
		char *text = json_dumps(j, JSON_COMPACT);
		printf("%s\n", text);
		fprintf(stderr, "stats: %s (%s) in %.1f ms\n", r.o.name, r.o.path, ms);
		free(text);
		json_decref(j);
		status = 0;
	}
	arena_free(r.a);
	db_close(db);
	return status;
}
CLI_COMMAND(stats, cmd_stats, "stats [--org ID]", "member statistics of an organization's subtree (JSON)");
