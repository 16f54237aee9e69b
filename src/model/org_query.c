/* org_query.c: changes, lists, counts, committee, tree and alerts of organizations (see
 * org.h). Moving a subtree rewrites the materialized paths of the organizations and of
 * their members with one range UPDATE each (DESIGN.md §4). */
#include "core/arena.h"
#include "core/clock.h"
#include "model/codes.h"
#include "model/member.h"
#include "model/org.h"
#include "model/revcache.h"
#include "core/jsonw.h"
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define OFF_ROSTER "('deceased', 'withdrawn', 'removed', 'expelled')"

enum org_query_stmt {
	STMT_ORG_UPDATE,
	STMT_ORG_MOVE_PATHS,
	STMT_ORG_MOVE_PARENT,
	STMT_ORG_MOVE_MEMBERS,
	STMT_ORG_DELETE_BUILDINGS,
	STMT_ORG_DELETE_BUILDING_KEEPER,
	STMT_ORG_DELETE_GRIDS,
	STMT_ORG_DELETE_COMMITTEE,
	STMT_ORG_DELETE_RATINGS,
	STMT_ORG_DELETE,
	STMT_ORG_COUNTS,
	STMT_ORG_COMMITTEE,
	STMT_ORG_COMMITTEE_INSERT,
	STMT_ORG_LIST,
	STMT_ORG_LIST_COUNT,
	STMT_ORG_CHILDREN,
	STMT_ORG_CHILDREN_COUNT,
	STMT_ORG_SEARCH,
	STMT_ORG_REV,
	STMT_ORG_NAME,
	STMT_ORG_TREE,
	STMT_ORG_ALERT_ORGS,
	ORG_QUERY_STMT__MAX
};
/* org_delete runs these in order, first to last: what refers to the organization, then
 * the organization */
enum { ORG_DELETE_FIRST = STMT_ORG_DELETE_BUILDINGS, ORG_DELETE_LAST = STMT_ORG_DELETE };
/* org.counts' row */
enum org_counts_col {
	ORG_COUNTS_COL_CHILDREN,
	ORG_COUNTS_COL_MEMBERS,
	ORG_COUNTS_COL_FORMAL,
	ORG_COUNTS_COL_PROBATIONARY,
};
/* org.committee's rows */
enum org_committee_col {
	ORG_COMMITTEE_COL_ID,
	ORG_COMMITTEE_COL_NAME,
	ORG_COMMITTEE_COL_ROLE,
	ORG_COMMITTEE_COL_STARTED_ON,
	ORG_COMMITTEE_COL_ENDED_ON,
};
/* org.list's rows */
enum org_list_col {
	ORG_LIST_COL_ID,
	ORG_LIST_COL_PARENT_ID,
	ORG_LIST_COL_PATH,
	ORG_LIST_COL_NAME,
	ORG_LIST_COL_SHORT_NAME,
	ORG_LIST_COL_TYPE,
	ORG_LIST_COL_LABEL,
	ORG_LIST_COL_DOMAIN,
	ORG_LIST_COL_TWO_NEW,
	ORG_LIST_COL_CHILD_COUNT,
};
/* org.tree's rows */
enum org_tree_col {
	ORG_TREE_COL_ID,
	ORG_TREE_COL_DEPTH,
	ORG_TREE_COL_NAME,
	ORG_TREE_COL_TYPE,
	ORG_TREE_COL_LABEL,
	ORG_TREE_COL_DOMAIN,
	ORG_TREE_COL_CHILD_COUNT,
};
/* org.alert_orgs' rows */
enum org_alert_col {
	ORG_ALERT_COL_ID,
	ORG_ALERT_COL_NAME,
	ORG_ALERT_COL_TYPE,
	ORG_ALERT_COL_DOMAIN,
	ORG_ALERT_COL_TERM_STARTED_ON,
	ORG_ALERT_COL_TERM_YEARS,
	ORG_ALERT_COL_EXTENDED_UNTIL,
	ORG_ALERT_COL_COMMITTEE,
	ORG_ALERT_COL_FORMAL,
};

static const struct db_sql oq_sql[ORG_QUERY_STMT__MAX] = {
	[STMT_ORG_UPDATE] = {"org.update",
	 "UPDATE orgs SET name = $2, short_name = $3, code = $4, type = $5, label = $6, domain = $7, two_new = $8,"
	 " unit_name = $9, unit_nature = $10, credit_code = $11, secretary = $12, contact = $13, phone = $14,"
	 " address = $15, grid_id = $16, founded_on = $17, term_started_on = $18, term_years = $19,"
	 " extended_until = $20, extension_reason = $21, updated_at = $22 WHERE id = $1"},
	/* org.move_paths and org.move_members: the paths from $1 up to $4 (the old subtree)
	 * get the prefix $2 instead of their first $3 - 1 characters */
	[STMT_ORG_MOVE_PATHS] = {"org.move_paths", "UPDATE orgs SET path = $2 || substr(path, $3) WHERE path >= $1 AND path < $4"},
	[STMT_ORG_MOVE_PARENT] = {"org.move_parent", "UPDATE orgs SET parent_id = $2, updated_at = $3 WHERE id = $1"},
	[STMT_ORG_MOVE_MEMBERS] = {"org.move_members", "UPDATE members SET org_path = $2 || substr(org_path, $3) WHERE org_path >= $1 AND org_path < $4"},
	[STMT_ORG_DELETE_BUILDINGS] = {"org.delete_buildings", "DELETE FROM buildings WHERE grid_id IN (SELECT id FROM grids WHERE org_id = $1)"},
	[STMT_ORG_DELETE_BUILDING_KEEPER] = {"org.delete_building_keeper", "UPDATE buildings SET org_id = NULL WHERE org_id = $1"},
	[STMT_ORG_DELETE_GRIDS] = {"org.delete_grids", "DELETE FROM grids WHERE org_id = $1"},
	[STMT_ORG_DELETE_COMMITTEE] = {"org.delete_committee", "DELETE FROM org_committee WHERE org_id = $1"},
	[STMT_ORG_DELETE_RATINGS] = {"org.delete_ratings", "DELETE FROM org_ratings WHERE org_id = $1"},
	[STMT_ORG_DELETE] = {"org.delete", "DELETE FROM orgs WHERE id = $1"},
	[STMT_ORG_COUNTS] = {"org.counts",
	 "SELECT (SELECT COUNT(*) FROM orgs WHERE parent_id = $1), COUNT(*),"
	 " COALESCE(SUM(CASE WHEN party_status = 'formal' THEN 1 ELSE 0 END), 0),"
	 " COALESCE(SUM(CASE WHEN party_status = 'probationary' THEN 1 ELSE 0 END), 0)"
	 " FROM members WHERE org_id = $1 AND state NOT IN " OFF_ROSTER},
	[STMT_ORG_COMMITTEE] = {"org.committee", "SELECT id, name, role, started_on, ended_on FROM org_committee WHERE org_id = $1 ORDER BY id"},
	[STMT_ORG_COMMITTEE_INSERT] = {"org.committee_insert",
	 "INSERT INTO org_committee (org_id, name, role, started_on, ended_on) VALUES ($1, $2, $3, $4, $5)"},
	[STMT_ORG_LIST] = {"org.list",
	 "SELECT o.id, COALESCE(o.parent_id, 0), o.path, o.name, o.short_name, o.type, o.label, o.domain, o.two_new,"
	 " (SELECT COUNT(*) FROM orgs c WHERE c.parent_id = o.id) FROM orgs o"
	 " WHERE o.path >= $1 AND o.path < $2 AND (CAST($3 AS BIGINT) IS NULL OR o.parent_id = $3)"
	 " AND (CAST($4 AS TEXT) IS NULL OR o.name LIKE $4 ESCAPE '\\') AND (CAST($5 AS TEXT) IS NULL OR o.type = $5)"
	 " AND (CAST($6 AS TEXT) IS NULL OR o.domain = $6) AND (CAST($9 AS BIGINT) = 0 OR o.parent_id IS NULL)"
	 " AND o.id > $7 ORDER BY o.id LIMIT $8"},
	/* the same filter's true total (issue 20 #19: a street's 1,802 children, not 200) */
	[STMT_ORG_LIST_COUNT] = {"org.list_count",
	 "SELECT COUNT(*) FROM orgs o"
	 " WHERE o.path >= $1 AND o.path < $2 AND (CAST($3 AS BIGINT) IS NULL OR o.parent_id = $3)"
	 " AND (CAST($4 AS TEXT) IS NULL OR o.name LIKE $4 ESCAPE '\\') AND (CAST($5 AS TEXT) IS NULL OR o.type = $5)"
	 " AND (CAST($6 AS TEXT) IS NULL OR o.domain = $6) AND (CAST($7 AS BIGINT) = 0 OR o.parent_id IS NULL)"},
	/* org.list and org.list_count of one parent's children (a street's 1,200 of a
	 * subtree of 10,000): the generic filter's "$3 IS NULL OR parent_id = $3" walked the
	 * whole range by path; the parent's own index walks its children in id order */
	[STMT_ORG_CHILDREN] = {"org.children",
	 "SELECT o.id, COALESCE(o.parent_id, 0), o.path, o.name, o.short_name, o.type, o.label, o.domain, o.two_new,"
	 " (SELECT COUNT(*) FROM orgs c WHERE c.parent_id = o.id) FROM orgs o"
	 " WHERE o.parent_id = $3 AND o.path >= $1 AND o.path < $2"
	 " AND (CAST($4 AS TEXT) IS NULL OR o.name LIKE $4 ESCAPE '\\') AND (CAST($5 AS TEXT) IS NULL OR o.type = $5)"
	 " AND (CAST($6 AS TEXT) IS NULL OR o.domain = $6) AND (CAST($9 AS BIGINT) = 0 OR o.parent_id IS NULL)"
	 " AND o.id > $7 ORDER BY o.id LIMIT $8"},
	[STMT_ORG_CHILDREN_COUNT] = {"org.children_count",
	 "SELECT COUNT(*) FROM orgs o"
	 " WHERE o.parent_id = $3 AND o.path >= $1 AND o.path < $2"
	 " AND (CAST($4 AS TEXT) IS NULL OR o.name LIKE $4 ESCAPE '\\') AND (CAST($5 AS TEXT) IS NULL OR o.type = $5)"
	 " AND (CAST($6 AS TEXT) IS NULL OR o.domain = $6) AND (CAST($7 AS BIGINT) = 0 OR o.parent_id IS NULL)"},
	/* org.list of a name search (issue 20 #20: 党支部 matches 36,618 of 100,000): in id
	 * order from the cursor, stopping at the page's end, rather than every match of the
	 * range sorted by id. SQLite would take the path range's index (NOT INDEXED: the
	 * rowid walk only); PostgreSQL's planner weighs the LIMIT itself. */
	[STMT_ORG_SEARCH] = {"org.search",
	 "SELECT o.id, COALESCE(o.parent_id, 0), o.path, o.name, o.short_name, o.type, o.label, o.domain, o.two_new,"
	 " (SELECT COUNT(*) FROM orgs c WHERE c.parent_id = o.id) FROM orgs o NOT INDEXED"
	 " WHERE o.path >= $1 AND o.path < $2 AND (CAST($3 AS BIGINT) IS NULL OR o.parent_id = $3)"
	 " AND o.name LIKE $4 ESCAPE '\\' AND (CAST($5 AS TEXT) IS NULL OR o.type = $5)"
	 " AND (CAST($6 AS TEXT) IS NULL OR o.domain = $6) AND (CAST($9 AS BIGINT) = 0 OR o.parent_id IS NULL)"
	 " AND o.id > $7 ORDER BY o.id LIMIT $8",
	 "SELECT o.id, COALESCE(o.parent_id, 0), o.path, o.name, o.short_name, o.type, o.label, o.domain, o.two_new,"
	 " (SELECT COUNT(*) FROM orgs c WHERE c.parent_id = o.id) FROM orgs o"
	 " WHERE o.path >= $1 AND o.path < $2 AND (CAST($3 AS BIGINT) IS NULL OR o.parent_id = $3)"
	 " AND o.name LIKE $4 ESCAPE '\\' AND (CAST($5 AS TEXT) IS NULL OR o.type = $5)"
	 " AND (CAST($6 AS TEXT) IS NULL OR o.domain = $6) AND (CAST($9 AS BIGINT) = 0 OR o.parent_id IS NULL)"
	 " AND o.id > $7 ORDER BY o.id LIMIT $8"},
	/* the organizations' revision (0124): raised by every change of what a list filters on */
	[STMT_ORG_REV] = {"org.rev", "SELECT epoch, rev FROM org_rev WHERE id = 1"},
	[STMT_ORG_NAME] = {"org.name", "SELECT name FROM orgs WHERE id = $1"},
	/* the organizations down to depth $2 only (a street's whole subtree is ~10,000), in
	 * path order: a parent before its children, each subtree contiguous */
	[STMT_ORG_TREE] = {"org.tree",
	 "WITH RECURSIVE t(id, d) AS (SELECT CAST($1 AS BIGINT), CAST(0 AS BIGINT)"
	 " UNION ALL SELECT c.id, t.d + 1 FROM t JOIN orgs c ON c.parent_id = t.id WHERE t.d < $2)"
	 " SELECT o.id, t.d, o.name, o.type, o.label, o.domain, (SELECT COUNT(*) FROM orgs c WHERE c.parent_id = o.id)"
	 " FROM t JOIN orgs o ON o.id = t.id ORDER BY o.path"},
	/* the organizations with their current committee's size and their own 正式党员 on
	 * the roster, both kept by triggers (0096) */
	[STMT_ORG_ALERT_ORGS] = {"org.alert_orgs",
	 "SELECT id, name, type, domain, term_started_on, COALESCE(term_years, 0), extended_until, n_committee, n_formal"
	 " FROM orgs WHERE path >= $1 AND path < $2 ORDER BY path"},
};
DB_SQL_TABLE(org_query, oq_sql);

static enum db_rc done(struct db_stmt *st)
{
	enum db_rc rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

enum db_rc org_update(struct db *db, const struct org_rec *o, int64_t now)
{
	struct db_stmt *st = db_prepare(db, &oq_sql[STMT_ORG_UPDATE]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, o->id);
	db_bind_text(st, 2, o->name, -1);
	db_bind_opt_text(st, 3, o->short_name);
	db_bind_opt_text(st, 4, o->code);
	db_bind_text(st, 5, o->type, -1);
	db_bind_opt_text(st, 6, o->label);
	db_bind_text(st, 7, o->domain, -1);
	db_bind_int(st, 8, codes_two_new_domain(o->domain));
	db_bind_opt_text(st, 9, o->unit_name);
	db_bind_opt_text(st, 10, o->unit_nature);
	db_bind_opt_text(st, 11, o->credit_code);
	db_bind_opt_text(st, 12, o->secretary);
	db_bind_opt_text(st, 13, o->contact);
	db_bind_opt_text(st, 14, o->phone);
	db_bind_opt_text(st, 15, o->address);
	if (o->grid_id > 0)
		db_bind_int(st, 16, o->grid_id);
	else
		db_bind_null(st, 16);
	db_bind_opt_text(st, 17, o->founded_on);
	db_bind_opt_text(st, 18, o->term_started_on);
	if (o->term_years > 0)
		db_bind_int(st, 19, o->term_years);
	else
		db_bind_null(st, 19);
	db_bind_opt_text(st, 20, o->extended_until);
	db_bind_opt_text(st, 21, o->extension_reason);
	db_bind_int(st, 22, now);
	return done(st);
}

static enum db_rc rewrite(struct db *db, enum org_query_stmt which, const char *old, const char *new_prefix,
			  const char *end)
{
	struct db_stmt *st = db_prepare(db, &oq_sql[which]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, old, -1);
	db_bind_text(st, 2, new_prefix, -1);
	db_bind_int(st, 3, (int64_t)strlen(old) + 1);
	db_bind_text(st, 4, end, -1);
	return done(st);
}

enum db_rc org_move(struct db *db, struct arena *a, const struct org_rec *o, int64_t new_parent,
		    const char *new_parent_path, int64_t now)
{
	char *end = arena_strdup(a, o->path);
	end[strlen(end) - 1] = '0'; /* '/' + 1 */
	char *np = arena_printf(a, "%s%lld/", new_parent_path, (long long)o->id);
	enum db_rc rc = rewrite(db, STMT_ORG_MOVE_PATHS, o->path, np, end);
	if (rc == DB_OK)
		rc = rewrite(db, STMT_ORG_MOVE_MEMBERS, o->path, np, end);
	if (rc != DB_OK)
		return rc;
	struct db_stmt *st = db_prepare(db, &oq_sql[STMT_ORG_MOVE_PARENT]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, o->id);
	db_bind_int(st, 2, new_parent);
	db_bind_int(st, 3, now);
	return done(st);
}

enum db_rc org_delete(struct db *db, int64_t id)
{
	for (int q = ORG_DELETE_FIRST; q <= ORG_DELETE_LAST; q++) {
		struct db_stmt *st = db_prepare(db, &oq_sql[q]);
		if (!st)
			return DB_ERROR;
		db_bind_int(st, 1, id);
		enum db_rc rc = done(st);
		if (rc != DB_OK)
			return rc;
	}
	return DB_OK;
}

enum db_rc org_counts(struct db *db, int64_t id, int64_t *children, int64_t *members, int64_t *formal,
		      int64_t *probationary)
{
	struct db_stmt *st = db_prepare(db, &oq_sql[STMT_ORG_COUNTS]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		*children = db_col_int(st, ORG_COUNTS_COL_CHILDREN);
		*members = db_col_int(st, ORG_COUNTS_COL_MEMBERS);
		*formal = db_col_int(st, ORG_COUNTS_COL_FORMAL);
		*probationary = db_col_int(st, ORG_COUNTS_COL_PROBATIONARY);
		rc = DB_OK;
	}
	db_reset(st);
	return rc;
}

enum db_rc org_committee(struct db *db, int64_t id, json_t *items, int *current)
{
	struct db_stmt *st = db_prepare(db, &oq_sql[STMT_ORG_COMMITTEE]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	enum db_rc rc;
	*current = 0;
	while ((rc = db_step(st)) == DB_ROW) {
		const char *role = db_col_text(st, ORG_COMMITTEE_COL_ROLE);
		if (db_col_null(st, ORG_COMMITTEE_COL_ENDED_ON))
			(*current)++;
		json_array_append_new(items, json_pack("{s:I, s:s, s:s, s:s?, s:s?, s:s?}", "id",
						       (json_int_t)db_col_int(st, ORG_COMMITTEE_COL_ID), "name",
						       db_col_text(st, ORG_COMMITTEE_COL_NAME), "role", role, "role_name",
						       codes_name("committee_role", role), "started_on",
						       db_col_text(st, ORG_COMMITTEE_COL_STARTED_ON), "ended_on",
						       db_col_text(st, ORG_COMMITTEE_COL_ENDED_ON)));
	}
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

enum db_rc org_committee_replace(struct db *db, int64_t id, json_t *items)
{
	struct db_stmt *st = db_prepare(db, &oq_sql[STMT_ORG_DELETE_COMMITTEE]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	enum db_rc rc = done(st);
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it)
	{
		if (rc != DB_OK)
			break;
		st = db_prepare(db, &oq_sql[STMT_ORG_COMMITTEE_INSERT]);
		if (!st)
			return DB_ERROR;
		db_bind_int(st, 1, id);
		db_bind_text(st, 2, json_string_value(json_object_get(it, "name")), -1);
		db_bind_text(st, 3, json_string_value(json_object_get(it, "role")), -1);
		db_bind_text(st, 4, json_string_value(json_object_get(it, "started_on")), -1);
		db_bind_text(st, 5, json_string_value(json_object_get(it, "ended_on")), -1);
		rc = done(st);
	}
	return rc;
}

json_t *org_summary_json(const struct org_rec *o, int64_t child_count)
{
	return json_pack("{s:I, s:o, s:s, s:s?, s:s, s:s?, s:s, s:b, s:I, s:b}", "id", (json_int_t)o->id, "parent_id",
			 o->parent_id > 0 ? json_integer(o->parent_id) : json_null(), "name", o->name, "short_name",
			 o->short_name, "type", o->type, "label", o->label, "domain", o->domain, "two_new", o->two_new,
			 "child_count", (json_int_t)child_count, "holds_members", org_is_branch(o->type));
}

enum db_rc org_list(struct db *db, struct arena *a, const struct org_filter *f, json_t *items, int64_t *last_id,
		    size_t *n)
{
	enum org_query_stmt which = f->parent_id > 0 ? STMT_ORG_CHILDREN : f->name_like ? STMT_ORG_SEARCH : STMT_ORG_LIST;
	struct db_stmt *st = db_prepare(db, &oq_sql[which]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, f->prefix, -1);
	db_bind_text(st, 2, f->end, -1);
	if (f->parent_id > 0)
		db_bind_int(st, 3, f->parent_id);
	else
		db_bind_null(st, 3);
	db_bind_text(st, 4, f->name_like, -1);
	db_bind_text(st, 5, f->type, -1);
	db_bind_text(st, 6, f->domain, -1);
	db_bind_int(st, 7, f->after_id);
	db_bind_int(st, 8, f->limit);
	db_bind_int(st, 9, f->roots ? 1 : 0);
	enum db_rc rc;
	*n = 0;
	while ((rc = db_step(st)) == DB_ROW) {
		struct org_rec o;
		memset(&o, 0, sizeof o);
		o.id = db_col_int(st, ORG_LIST_COL_ID);
		o.parent_id = db_col_int(st, ORG_LIST_COL_PARENT_ID);
		o.name = db_col_text(st, ORG_LIST_COL_NAME);
		o.short_name = db_col_text(st, ORG_LIST_COL_SHORT_NAME);
		o.type = db_col_text(st, ORG_LIST_COL_TYPE);
		o.label = db_col_text(st, ORG_LIST_COL_LABEL);
		o.domain = db_col_text(st, ORG_LIST_COL_DOMAIN);
		o.two_new = db_col_int(st, ORG_LIST_COL_TWO_NEW) != 0;
		json_t *j = org_summary_json(&o, db_col_int(st, ORG_LIST_COL_CHILD_COUNT));
		if (f->path_from) {
			json_object_set_new(j, "path", json_string(db_col_text(st, ORG_LIST_COL_PATH)));
		}
		json_array_append_new(items, j);
		*last_id = o.id;
		(*n)++;
	}
	(void)a;
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

static json_t *alerts_json(const struct org_alert *al, int n)
{
	json_t *arr = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s?}", "code", org_alert_code_name(al[i].code), "level",
						     al[i].level, "message", org_alert_message(al[i].code), "due_on",
						     al[i].due_on[0] ? al[i].due_on : NULL));
	return arr;
}

json_t *org_json(struct db *db, const struct org_rec *o, struct date today, enum db_rc *rc)
{
	int64_t children, members, formal, prob;
	*rc = org_counts(db, o->id, &children, &members, &formal, &prob);
	if (*rc != DB_OK)
		return NULL;
	json_t *committee = json_array();
	int current = 0;
	*rc = org_committee(db, o->id, committee, &current);
	if (*rc != DB_OK) {
		json_decref(committee);
		return NULL;
	}
	struct org_alert al[8];
	int nal = org_alerts(o, formal, current, today, al, 8);
	char end[11];
	bool has_end = org_term_end(o, end);
	json_t *j = org_summary_json(o, children);
#define S(k, v) json_object_set_new(j, k, (v) ? json_string(v) : json_null())
	S("code", o->code);
	S("unit_name", o->unit_name);
	S("unit_nature", o->unit_nature);
	S("credit_code", o->credit_code);
	S("secretary", o->secretary);
	S("contact", o->contact);
	S("phone", o->phone);
	S("address", o->address);
	S("founded_on", o->founded_on);
	S("term_started_on", o->term_started_on);
	S("extended_until", o->extended_until);
	S("extension_reason", o->extension_reason);
	S("path", o->path);
#undef S
	json_object_set_new(j, "grid_id", o->grid_id > 0 ? json_integer(o->grid_id) : json_null());
	json_object_set_new(j, "term_years", json_integer(o->term_years > 0 ? o->term_years
									    : org_default_term_years(o->type, o->domain)));
	json_object_set_new(j, "term_ends_on", has_end ? json_string(end) : json_null());
	json_object_set_new(j, "member_count", json_integer(members));
	json_object_set_new(j, "formal_count", json_integer(formal));
	json_object_set_new(j, "probationary_count", json_integer(prob));
	json_object_set_new(j, "committee", committee);
	json_object_set_new(j, "alerts", alerts_json(al, nal));
	return j;
}

enum db_rc org_tree_write(struct db *db, const struct org_rec *o, int depth, struct jsonw *w)
{
	struct db_stmt *st = db_prepare(db, &oq_sql[STMT_ORG_TREE]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, o->id);
	db_bind_int(st, 2, depth);
	enum db_rc rc;
	int open = -1; /* depth of the innermost node whose children array is open */
	while ((rc = db_step(st)) == DB_ROW) {
		int d = (int)db_col_int(st, ORG_TREE_COL_DEPTH);
		/* preorder without gaps: parent_id and path agree (org_insert and org_move
		 * write both in one transaction) */
		assert(d <= open + 1);
		for (; open >= d; open--) {
			jw_array_end(w);
			jw_object_end(w);
		}
		jw_object(w);
		jw_kint(w, "id", db_col_int(st, ORG_TREE_COL_ID));
		jw_kstr(w, "name", db_col_text(st, ORG_TREE_COL_NAME));
		jw_kstr(w, "type", db_col_text(st, ORG_TREE_COL_TYPE));
		jw_kstr(w, "label", db_col_text(st, ORG_TREE_COL_LABEL));
		jw_kstr(w, "domain", db_col_text(st, ORG_TREE_COL_DOMAIN));
		jw_kint(w, "child_count", db_col_int(st, ORG_TREE_COL_CHILD_COUNT));
		jw_key(w, "children");
		jw_array(w);
		open = d;
	}
	db_reset(st);
	/* o itself is the first row: the caller read it in this transaction */
	assert(rc != DB_DONE || open >= 0);
	for (; open >= 0; open--) {
		jw_array_end(w);
		jw_object_end(w);
	}
	return rc == DB_DONE ? DB_OK : rc;
}

enum db_rc org_alerts_scan(struct db *db, const char *prefix, const char *end, struct date today, org_alert_fn fn,
			   void *ctx)
{
	struct db_stmt *st = db_prepare(db, &oq_sql[STMT_ORG_ALERT_ORGS]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, prefix, -1);
	db_bind_text(st, 2, end, -1);
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW) {
		struct org_rec o;
		memset(&o, 0, sizeof o);
		o.id = db_col_int(st, ORG_ALERT_COL_ID);
		o.name = db_col_text(st, ORG_ALERT_COL_NAME);
		o.type = db_col_text(st, ORG_ALERT_COL_TYPE);
		o.domain = db_col_text(st, ORG_ALERT_COL_DOMAIN);
		o.term_started_on = db_col_text(st, ORG_ALERT_COL_TERM_STARTED_ON);
		o.term_years = (int)db_col_int(st, ORG_ALERT_COL_TERM_YEARS);
		o.extended_until = db_col_text(st, ORG_ALERT_COL_EXTENDED_UNTIL);
		int committee = (int)db_col_int(st, ORG_ALERT_COL_COMMITTEE);
		struct org_alert al[8];
		int nal = org_alerts(&o, db_col_int(st, ORG_ALERT_COL_FORMAL), committee, today, al, 8);
		for (int i = 0; i < nal; i++)
			fn(ctx, &o, &al[i]);
	}
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

/* org.rev's row */
enum org_rev_col { ORG_REV_COL_EPOCH, ORG_REV_COL_REV };

/* The filtered lists' totals, kept per (filter, revision of the organizations): a name
 * search counts its matches over the whole district's 100,000 organizations (~15 ms of
 * index scan), on every page of it */
REVCACHE_DEFINE(count_cache, 64, int64_t);

static enum db_rc list_count(struct db *db, const struct org_filter *f, int64_t *total);

enum db_rc org_list_count(struct db *db, const struct org_filter *f, int64_t *total)
{
	int64_t epoch = 0, rev = -1;
	struct db_stmt *st = db_prepare(db, &oq_sql[STMT_ORG_REV]);
	if (st && db_step(st) == DB_ROW) {
		epoch = db_col_int(st, ORG_REV_COL_EPOCH);
		rev = db_col_int(st, ORG_REV_COL_REV);
	}
	if (st)
		db_reset(st);
	char key[sizeof count_cache_slots[0].prefix];
	/* the searched text last: the parts before it (paths, codes, numbers) hold no '|' */
	int kl = snprintf(key, sizeof key, "%s|%s|%lld|%s|%s|%d|%c%s", f->prefix, f->end, (long long)f->parent_id,
			  f->type ? f->type : "", f->domain ? f->domain : "", f->roots ? 1 : 0, f->name_like ? 'q' : '-',
			  f->name_like ? f->name_like : "");
	bool keep = rev >= 0 && kl > 0 && (size_t)kl < sizeof key;
	if (keep && revcache_get(&count_cache, key, epoch, rev, 0, total))
		return DB_OK;
	enum db_rc rc = list_count(db, f, total);
	if (rc == DB_OK && keep)
		revcache_put(&count_cache, key, epoch, rev, 0, total);
	return rc;
}

static enum db_rc list_count(struct db *db, const struct org_filter *f, int64_t *total)
{
	struct db_stmt *st = db_prepare(db, &oq_sql[f->parent_id > 0 ? STMT_ORG_CHILDREN_COUNT : STMT_ORG_LIST_COUNT]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, f->prefix, -1);
	db_bind_text(st, 2, f->end, -1);
	if (f->parent_id > 0)
		db_bind_int(st, 3, f->parent_id);
	else
		db_bind_null(st, 3);
	db_bind_text(st, 4, f->name_like, -1);
	db_bind_text(st, 5, f->type, -1);
	db_bind_text(st, 6, f->domain, -1);
	db_bind_int(st, 7, f->roots ? 1 : 0);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		*total = db_col_int(st, DB_COL_ONLY);
		rc = DB_OK;
	}
	db_reset(st);
	return rc;
}

enum db_rc org_path_names(struct db *db, const char *path, size_t from_len, json_t *names)
{
	struct db_stmt *st = db_prepare(db, &oq_sql[STMT_ORG_NAME]);
	if (!st)
		return DB_ERROR;
	size_t len = path ? strlen(path) : 0;
	/* every segment but the last (the organization itself) */
	for (size_t i = 1; i < len;) {
		size_t j = i;
		while (j < len && path[j] != '/')
			j++;
		if (j + 1 >= len)
			break;
		if (j + 1 >= from_len) {
			db_bind_int(st, 1, strtoll(path + i, NULL, 10));
			enum db_rc rc = db_step(st);
			if (rc == DB_ROW)
				json_array_append_new(names, json_string(db_col_text(st, DB_COL_ONLY)));
			db_reset(st);
			if (rc != DB_ROW && rc != DB_DONE)
				return rc;
		}
		i = j + 1;
	}
	return DB_OK;
}


json_t *org_alert_json(const struct org_rec *o, const struct org_alert *al)
{
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s?}", "org_id", (json_int_t)o->id, "org_name", o->name, "code",
			 org_alert_code_name(al->code), "level", al->level, "message", org_alert_message(al->code), "due_on",
			 al->due_on[0] ? al->due_on : NULL);
}

static void append_alert(void *ctx, const struct org_rec *o, const struct org_alert *al)
{
	json_array_append_new(ctx, org_alert_json(o, al));
}

enum db_rc org_alerts_range(struct db *db, struct arena *a, const char *prefix, const char *end, struct date today,
			    json_t *items)
{
	(void)a;
	return org_alerts_scan(db, prefix, end, today, append_alert, items);
}
