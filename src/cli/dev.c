/* dev.c (cli): `dangjian dev-demo --org ID --applicants N [--seed S]`: fills the subtree
 * of organization ID with N 发展党员 records at every step (model/demo_dev.c), in
 * batches of 500 per write transaction. For `make bench` (bench/capabilities/
 * development.mjs) and for trying the board on a bigger district. */
#include "cli/cli.h"
#include "core/arena.h"
#include "db/db.h"
#include "model/dev.h"
#include "model/org.h"
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dev_fill {
	const char *prefix;
	char end[160];
	int64_t n;
	uint64_t seed;
	char why[256];
};

static enum db_rc fill_tx(struct db *db, void *ctx)
{
	struct dev_fill *f = ctx;
	return dev_demo_fill(db, f->prefix, f->end, f->n, f->seed, f->why, sizeof f->why);
}

static int cmd_dev_demo(int argc, char **argv)
{
	int64_t org = 1, n = 1000;
	uint64_t seed = 1;
	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		char *end = NULL;
		long long x = v ? strtoll(v, &end, 10) : -1;
		bool ok = v && end && *end == 0 && x >= 0;
		if (strcmp(argv[i], "--org") == 0 && ok && x >= 1)
			org = x;
		else if (strcmp(argv[i], "--applicants") == 0 && ok && x <= 10000000)
			n = x;
		else if (strcmp(argv[i], "--seed") == 0 && ok)
			seed = (uint64_t)x;
		else {
			fprintf(stderr, "usage: dangjian dev-demo --org ID --applicants N [--seed S]\n");
			return 2;
		}
		i++;
	}
	struct db *db = cli_open_db();
	if (!db)
		return 1;
	struct arena *a = arena_new();
	struct org_rec o;
	if (org_get(db, a, org, &o) != DB_OK) {
		fprintf(stderr, "dev-demo: no organization %lld\n", (long long)org);
		arena_free(a);
		db_close(db);
		return 1;
	}
	struct dev_fill f = {.prefix = o.path, .seed = seed};
	size_t l = strlen(o.path);
	if (l == 0 || l >= sizeof f.end) {
		arena_free(a);
		db_close(db);
		return 1;
	}
	memcpy(f.end, o.path, l + 1);
	f.end[l - 1] = '/' + 1;
	int64_t done = 0;
	int status = 0;
	for (uint64_t batch = 0; done < n; batch++) {
		f.n = n - done < 500 ? n - done : 500;
		f.seed = seed * 1000003 + batch;
		enum db_rc rc = db_tx_run(db, true, fill_tx, &f);
		if (rc != DB_OK) {
			fprintf(stderr, "dev-demo: failed: %s\n", f.why[0] ? f.why : db_errmsg(db));
			status = 1;
			break;
		}
		done += f.n;
	}
	if (!status)
		printf("dev-demo: %lld applicants under %s\n", (long long)done, o.name);
	arena_free(a);
	db_close(db);
	return status;
}
CLI_COMMAND(dev_demo, cmd_dev_demo, "dev-demo --org ID --applicants N [--seed S]",
	    "fill an organization's subtree with 发展党员 records at every step (bench, demos)");
