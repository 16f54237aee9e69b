/* org.h: the organization tree (DOMAIN.md §3): records, materialized paths, moves,
 * counts, and the R-ORG rules. SQL lives in org.c; callers pass a connection and an
 * arena (everything returned is arena-owned). */
#ifndef DJ_ORG_H
#define DJ_ORG_H
#include "core/date.h"
#include "db/db.h"
#include <stdbool.h>
#include <stdint.h>

struct arena;

struct org_rec {
	int64_t id, parent_id;   /* parent_id 0 for a root */
	const char *path;        /* "/1/17/" */
	const char *name, *short_name, *code, *type, *label, *domain;
	bool two_new;            /* derived from domain (非公企业, 社会组织) */
	const char *unit_name, *unit_nature, *credit_code, *secretary, *contact, *phone, *address;
	int64_t grid_id;
	const char *founded_on, *term_started_on, *extended_until, *extension_reason;
	int term_years;          /* 0: the default of R-ORG-01 for the type and domain */
	int64_t created_at, updated_at;
};

/* R-ORG-01: term years by type and domain: 基层党委 5, 党总支/党支部 3, 村/社区 5. */
int org_default_term_years(const char *type, const char *domain);
/* R-ORG-01/03: the term's end (term start + years, or the approved extension), into
 * buf[11]; false when no term start is recorded. */
bool org_term_end(const struct org_rec *o, char buf[11]);

/* Inserts o under its parent (or as a root), computing its path; sets o->id and
 * o->path (arena-owned). DB_CONSTRAINT for a missing parent. */
enum db_rc org_insert(struct db *db, struct arena *a, struct org_rec *o);
/* The largest id so far (0 when none). */
int64_t org_max_id(struct db *db);
/* Loads one organization; DB_DONE when missing. */
enum db_rc org_get(struct db *db, struct arena *a, int64_t id, struct org_rec *o);
/* Adds a committee member (role from the committee_role code table). */
enum db_rc org_committee_add(struct db *db, int64_t org_id, const char *name, const char *role, const char *started_on);
#endif
