/* demo.h: the demo district generator (see demo.c; the command is src/cli/demo.c). */
#ifndef DJ_DEMO_H
#define DJ_DEMO_H
#include "db/db.h"
#include <stddef.h>
#include <stdint.h>

struct demo_spec {
	int64_t orgs, members;
	uint64_t seed;
	int streets; /* 0: one street; k > 0: a district committee over k streets */
};

struct demo_counts {
	int64_t orgs, branches, members;
};

/* Builds spec's organizations and members into a database without organizations,
 * inside the caller's write transaction (asserted; the caller commits). DB_OK with
 * *out set; DB_CONSTRAINT when the database already has organizations; DB_ERROR
 * otherwise. On failure why (whylen > 0) holds one line saying what failed. */
enum db_rc demo_build(struct db *db, const struct demo_spec *spec, struct demo_counts *out, char *why, size_t whylen);
#endif
