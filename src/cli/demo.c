/* demo.c: `dangjian demo --orgs N --members M [--seed S] [--streets K] [--admin U |
 * --no-admin] [--timings]`: builds the demo district (model/demo.c) in one transaction, then its
 * 组织部管理员 account with a one-time password (DESIGN.md §5: no default passwords). */
#include "auth/account.h"
#include "core/clock.h"
#include "cli/cli.h"
#include "db/db.h"
#include "model/demo.h"
#include "model/user.h"
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct demo_run {
	struct demo_spec spec;
	struct demo_counts done;
	char why[256];
	bool timings; /* --timings: each part's time (the roster's, each DEMO_STEP's) */
};

static enum db_rc demo_tx(struct db *db, void *ctx)
{
	struct demo_run *r = ctx;
	double t0 = clock_mono_ms();
	clock_t c0 = clock();
	enum db_rc rc = demo_build(db, &r->spec, &r->done, r->why, sizeof r->why);
	if (r->timings && rc == DB_OK)
		printf("demo: time roster %.1f s (cpu %.1f s)\n", (clock_mono_ms() - t0) / 1000,
		       (double)(clock() - c0) / CLOCKS_PER_SEC);
	for (const struct demo_step *const *s = demo_steps; rc == DB_OK && *s; s++) {
		t0 = clock_mono_ms();
		c0 = clock();
		rc = (*s)->fn(db, &r->spec, r->why, sizeof r->why);
		if (r->timings && rc == DB_OK)
			printf("demo: time %s %.1f s (cpu %.1f s)\n", (*s)->name, (clock_mono_ms() - t0) / 1000,
			       (double)(clock() - c0) / CLOCKS_PER_SEC);
	}
	return rc;
}

struct demo_admin {
	const char *username;
	char otp[17];
};

static enum db_rc demo_admin_tx(struct db *db, void *ctx)
{
	struct demo_admin *d = ctx;
	return account_create(db, d->username, "组织部管理员", "district_admin", 1, d->otp);
}

static int cmd_demo(int argc, char **argv)
{
	struct demo_run r = {.spec = {.orgs = 60, .members = 3000, .seed = 1}};
	const char *admin = "admin";
	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		char *end = NULL;
		long long n = v ? strtoll(v, &end, 10) : -1;
		bool ok = v && end && *end == 0 && n >= 0;
		if (strcmp(argv[i], "--orgs") == 0 && ok && n >= 1 && n <= 1000000)
			r.spec.orgs = n;
		else if (strcmp(argv[i], "--members") == 0 && ok && n <= 20000000)
			r.spec.members = n;
		else if (strcmp(argv[i], "--seed") == 0 && ok)
			r.spec.seed = (uint64_t)n;
		else if (strcmp(argv[i], "--streets") == 0 && ok && n <= 100)
			r.spec.streets = (int)n;
		else if (strcmp(argv[i], "--admin") == 0 && v && strlen(v) < 64)
			admin = v;
		else if (strcmp(argv[i], "--timings") == 0) {
			r.timings = true;
			continue;
		} else if (strcmp(argv[i], "--no-admin") == 0) {
			admin = NULL;
			continue;
		} else {
			fprintf(stderr, "usage: dangjian demo --orgs N --members M [--seed S] [--streets K] [--timings] [--admin USERNAME | --no-admin]\n");
			return 2;
		}
		i++;
	}
	struct db *db = cli_open_db();
	if (!db)
		return 1;
	enum db_rc rc = db_tx_run(db, true, demo_tx, &r);
	if (rc != DB_OK) {
		fprintf(stderr, "demo: failed: %s\n", r.why[0] ? r.why : db_errmsg(db));
		db_close(db);
		return 1;
	}
	printf("demo: %lld organizations (%lld branches), %lld members, seed %llu\n", (long long)r.done.orgs,
	       (long long)r.done.branches, (long long)r.done.members, (unsigned long long)r.spec.seed);
	int status = 0;
	if (admin) {
		/* the district's 组织部管理员 over the root, so that a newcomer sees data at once */
		struct demo_admin da = {admin, {0}};
		if (db_tx_run(db, true, demo_admin_tx, &da) == DB_OK)
			printf("demo: user %s (组织部管理员 over the district) created; one-time password: %s\n", admin, da.otp);
		else
			status = 1;
	}
	db_close(db);
	return status;
}
CLI_COMMAND(demo, cmd_demo, "demo --orgs N --members M [--seed S] [--streets K] [--timings] [--admin U|--no-admin]",
	    "build a demo district (deterministic for a seed) and its 组织部管理员 account");
