/* org.h: the organization tree (DOMAIN.md §3): records, materialized paths, moves,
 * counts, and the R-ORG rules. SQL lives in org.c (records, inserts, the rules) and
 * org_query.c (changes, lists, counts, tree, alerts); callers pass a connection and,
 * where text is returned, an arena (arena-owned); JSON results are new references. */
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
/* The largest id so far: 0 when none, -1 on a database error. */
int64_t org_max_id(struct db *db);
/* Loads one organization: DB_OK, DB_NOT_FOUND or an error. */
enum db_rc org_get(struct db *db, struct arena *a, int64_t id, struct org_rec *o);
/* The organization's path alone (DB_NOT_FOUND when there is none). */
enum db_rc org_path_get(struct db *db, struct arena *a, int64_t id, const char **path);
/* Adds a committee member (role from the committee_role code table). */
enum db_rc org_committee_add(struct db *db, int64_t org_id, const char *name, const char *role, const char *started_on);
/* The R-ORG rules over one organization (DOMAIN.md §3), pure: */
enum org_alert_code {
	ORG_ALERT_TERM_DUE,          /* R-ORG-02: the term ends within 6 months */
	ORG_ALERT_TERM_OVERDUE,      /* R-ORG-03: the term has ended without an approved extension */
	ORG_ALERT_COMMITTEE_REQUIRED,/* R-ORG-04: ≥ 7 正式党员 and no committee of 3–7 */
	ORG_ALERT_TOO_FEW_MEMBERS,   /* R-ORG-05: a branch with < 3 正式党员 */
	ORG_ALERT_EXTENSION_TOO_LONG,/* R-ORG-03: an extension moves the date by more than a year */
	ORG_ALERT_JOINT_TOO_FEW,     /* R-ORG-05 on a 联合党支部 itself: < 3 正式党员 (issue 20 #17) */
	ORG_ALERT__MAX
};
struct org_alert {
	enum org_alert_code code;
	const char *level;     /* "warning" | "error" */
	char due_on[11];       /* the date the alert is about (term end), "" when none */
};
/* Stable codes for the API ("term_due", …) and Chinese messages. */
const char *org_alert_code_name(enum org_alert_code c);
const char *org_alert_message(enum org_alert_code c);
/* Computes the alerts of o on today given its count of 正式党员 and the size of its
 * current committee; writes at most max into out and returns how many. */
int org_alerts(const struct org_rec *o, int64_t formal_count, int committee_size, struct date today,
	       struct org_alert *out, int max);
/* True for the types that hold members directly (党支部, 联合党支部). */
bool org_is_branch(const char *type);

/* ---- changes, lists, counts, committee, tree, alerts (org_query.c) ---- */
#include <jansson.h>

/* Rewrites the record's columns (not parent or path: see org_move). */
enum db_rc org_update(struct db *db, const struct org_rec *o, int64_t now);
/* Moves o under new_parent (whose path is new_parent_path) rewriting the paths of the
 * whole subtree and of its members (one statement each, in the caller's transaction). */
enum db_rc org_move(struct db *db, struct arena *a, const struct org_rec *o, int64_t new_parent,
		    const char *new_parent_path, int64_t now);
/* Deletes an organization without children or members (committee, ratings, grids and
 * buildings go with it). DB_CONSTRAINT when something still refers to it. */
enum db_rc org_delete(struct db *db, int64_t id);
/* Direct children; direct members: all, 正式, 预备 (people on the roster). */
enum db_rc org_counts(struct db *db, int64_t id, int64_t *children, int64_t *members, int64_t *formal,
		      int64_t *probationary);
/* The committee as API items [{id, name, role, role_name, started_on, ended_on}]. */
enum db_rc org_committee(struct db *db, int64_t id, json_t *items, int *current);
/* Replaces the committee with items [{name, role, started_on?, ended_on?}] (validated). */
enum db_rc org_committee_replace(struct db *db, int64_t id, json_t *items);

/* Summary rows of organizations in [prefix, end) matching the optional filters (parent,
 * name contains, type, domain) after id cursor, ordered by id. */
struct org_filter {
	const char *prefix, *end;
	int64_t parent_id; /* 0 any */
	const char *name_like, *type, *domain;
	int64_t after_id;
	int limit;
	bool roots;            /* only organizations without a parent */
	const char *path_from; /* non-NULL: items carry "path" (the caller adds path_names) */
};
enum db_rc org_list(struct db *db, struct arena *a, const struct org_filter *f, json_t *items, int64_t *last_id,
		    size_t *n);
/* The total of the same filter (without the cursor and limit). */
enum db_rc org_list_count(struct db *db, const struct org_filter *f, int64_t *total);
/* Appends to names the names of path's ancestors ("/1/17/342/" → 1, 17) whose own
 * path is at least from_len long (the caller's scope root and below). */
enum db_rc org_path_names(struct db *db, const char *path, size_t from_len, json_t *names);
/* A summary JSON of o (list items and the tree). */
json_t *org_summary_json(const struct org_rec *o, int64_t child_count);
/* The whole record with counts, committee and alerts. */
json_t *org_json(struct db *db, const struct org_rec *o, struct date today, enum db_rc *rc);
/* The subtree of o to depth levels as nested {id, name, type, label, domain, child_count,
 * children}, written into w (a street's ~3,000 children are ~20,000 values: jansson's
 * per-value objects were most of the cost, bench/results.md). */
struct jsonw;
enum db_rc org_tree_write(struct db *db, const struct org_rec *o, int depth, struct jsonw *w);
/* Alerts of every organization in [prefix, end) (R-ORG-02…05) as API items. */
enum db_rc org_alerts_range(struct db *db, struct arena *a, const char *prefix, const char *end, struct date today,
			    json_t *items);
/* The same alerts handed one at a time to fn (o's strings live until fn returns), in
 * path order: for counts and pages without building the whole list. */
typedef void (*org_alert_fn)(void *ctx, const struct org_rec *o, const struct org_alert *al);
enum db_rc org_alerts_scan(struct db *db, const char *prefix, const char *end, struct date today, org_alert_fn fn,
			   void *ctx);
/* One alert as the API shows it: {org_id, org_name, code, level, message, due_on?}. */
json_t *org_alert_json(const struct org_rec *o, const struct org_alert *al);
#endif
