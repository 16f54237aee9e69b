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

/* A capability's part of the demo district (development, transfers, meetings…): runs
 * after demo_build in the same write transaction, over the organizations and members
 * it made. Declare one at file scope with DEMO_STEP(name, fn); tools/gen_registry
 * collects them and `dangjian demo` runs them in the order of their names. fn returns
 * DB_OK, or another code with why (whylen > 0) saying what failed. */
struct demo_step {
	const char *name;
	enum db_rc (*fn)(struct db *db, const struct demo_spec *spec, char *why, size_t whylen);
};
#define DEMO_STEP(id, fn) const struct demo_step demo_step_##id = {#id, fn}
extern const struct demo_step *const demo_steps[]; /* NULL-terminated, by name */
#endif
