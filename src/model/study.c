/* study.c: see study.h. */
#include "model/study.h"
#include <stdio.h>
#include "core/arena.h"
#include "core/clock.h"
#include "model/outbox.h"
#include <string.h>

enum study_stmt {
	STMT_ST_CREATE,
	STMT_ST_GET,
	STMT_ST_ITEMS,
	STMT_ST_LIST,
	STMT_ST_ITEM_ADD,
	STMT_ST_STATE,
	STMT_ST_PUSHED,
	STMT_ST_COUNT,
	STMT_ST_MEMBER_ISSUES,
	STMT_ST_MEMBER_ITEMS,
	STMT_ST_OPEN_ITEM,
	STMT_ST_OPEN,
	STMT_ST_FINISH,
	STMT_ST_PUSH_COUNTS,
	STMT_ST_FINISH_COUNT,
	STMT_ST_STATS,
	STUDY_STMT__MAX
};
enum st_issue_col { SI_ID, SI_ORG, SI_PATH, SI_TITLE, SI_STATE, SI_BY, SI_PUSHED, SI_REASON, SI_PUBLISHED, SI_CREATED };
enum st_item_col { SX_ID, SX_SEQ, SX_KIND, SX_TITLE, SX_BODY, SX_URL, SX_FILE, SX_MIN, SX_OPENED, SX_FINISHED };
enum st_stats_col { SS_ISSUES, SS_ITEMS, SS_PUSHES, SS_EXPECTED, SS_OPENED, SS_FINISHED };

#define ISSUE_COLS                                                                                                 \
	"i.id, i.org_id, i.org_path, i.title, i.state, COALESCE(i.created_by, 0), i.pushed, i.return_reason,"        \
	" COALESCE(i.published_at, 0), i.created_at"
#define ITEM_COLS "x.id, x.seq, x.kind, x.title, x.body_html, x.url, COALESCE(x.file_id, 0), x.study_minutes"
/* an issue whose audience covers the member: its organization's path is a prefix of theirs */
#define COVERS(path) "i.state = 'published' AND SUBSTR(CAST(" path " AS TEXT), 1, LENGTH(i.org_path)) = i.org_path"

static const struct db_sql study_sql[STUDY_STMT__MAX] = {
	[STMT_ST_CREATE] = {"study.create",
	 "INSERT INTO study_issues (org_id, org_path, title, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4,"
	 " $5, $5) RETURNING id"},
	[STMT_ST_GET] = {"study.get", "SELECT " ISSUE_COLS " FROM study_issues i WHERE i.id = $1"},
	/* with the reads: opened and finished counts over members */
	[STMT_ST_ITEMS] = {"study.items",
	 "SELECT " ITEM_COLS ", (SELECT COUNT(*) FROM study_reads r WHERE r.item_id = x.id),"
	 " (SELECT COUNT(*) FROM study_reads r WHERE r.item_id = x.id AND r.finished_at IS NOT NULL)"
	 " FROM study_items x WHERE x.issue_id = $1 ORDER BY x.seq, x.id"},
	[STMT_ST_LIST] = {"study.list",
	 "SELECT " ISSUE_COLS " FROM study_issues i WHERE i.org_path >= $1 AND i.org_path < $2 AND ($3 = 0 OR i.id < $3)"
	 " ORDER BY i.id DESC LIMIT $4"},
	[STMT_ST_ITEM_ADD] = {"study.item_add",
	 "INSERT INTO study_items (issue_id, seq, kind, title, body_html, url, file_id, study_minutes, created_at)"
	 " VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM study_items WHERE issue_id = $1), $2, $3, $4, $5, $6, $7, $8)"
	 " RETURNING id"},
	[STMT_ST_STATE] = {"study.state",
	 "UPDATE study_issues SET state = $3, reviewed_by = COALESCE($4, reviewed_by), return_reason = $5,"
	 " updated_at = $6, published_at = CASE WHEN $3 = 'published' THEN $6 ELSE published_at END,"
	 " published_day = CASE WHEN $3 = 'published' THEN $7 ELSE published_day END WHERE id = $1 AND state = $2"
	 " RETURNING id"},
	[STMT_ST_PUSHED] = {"study.pushed", "UPDATE study_issues SET pushed = $2 WHERE id = $1"},
	[STMT_ST_COUNT] = {"study.count", "SELECT COUNT(*) FROM study_items WHERE issue_id = $1"},
	[STMT_ST_MEMBER_ISSUES] = {"study.member_issues",
	 "SELECT " ISSUE_COLS " FROM study_issues i WHERE " COVERS("$1") " ORDER BY i.published_at DESC, i.id DESC"
	 " LIMIT 50"},
	[STMT_ST_MEMBER_ITEMS] = {"study.member_items",
	 "SELECT " ITEM_COLS ", COALESCE(r.opened_at, 0), COALESCE(r.finished_at, 0) FROM study_items x"
	 " LEFT JOIN study_reads r ON r.item_id = x.id AND r.member_id = $2 WHERE x.issue_id = $1 ORDER BY x.seq, x.id"},
	[STMT_ST_OPEN_ITEM] = {"study.open_item",
	 "SELECT " ITEM_COLS ", 0, 0 FROM study_items x JOIN study_issues i ON i.id = x.issue_id WHERE x.id = $2 AND "
	 COVERS("$1")},
	[STMT_ST_OPEN] = {"study.open",
	 "INSERT INTO study_reads (item_id, member_id, opened_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"},
	[STMT_ST_FINISH] = {"study.finish",
	 "UPDATE study_reads SET finished_at = COALESCE(finished_at, $3) WHERE item_id = $1 AND member_id = $2"
	 " RETURNING item_id"},
	/* the read rate's counts by organization (0105): the pushes of issue $1 (outbox keys
	 * [$2, $3)) by the path their members were in, and one more item read to the end by
	 * member $2 of item $1 (before its finish is recorded: counted once) */
	[STMT_ST_PUSH_COUNTS] = {"study.push_counts",
	 "INSERT INTO study_read_counts (issue_id, org_path, pushed, finished) SELECT CAST($1 AS BIGINT), org_path, COUNT(*), 0"
	 " FROM outbox"
	 " WHERE dedup_key >= $2 AND dedup_key < $3 GROUP BY org_path"
	 " ON CONFLICT (issue_id, org_path) DO UPDATE SET pushed = excluded.pushed"},
	[STMT_ST_FINISH_COUNT] = {"study.finish_count",
	 "UPDATE study_read_counts SET finished = finished + 1 WHERE issue_id = (SELECT issue_id FROM study_items"
	 " WHERE id = CAST($1 AS BIGINT)) AND org_path = (SELECT o.org_path FROM outbox o WHERE o.dedup_key = 'study:' ||"
	 " CAST((SELECT issue_id FROM study_items WHERE id = CAST($1 AS BIGINT)) AS TEXT) || ':inapp:' ||"
	 " CAST(CAST($2 AS BIGINT) AS TEXT)) AND EXISTS (SELECT 1 FROM study_reads r WHERE r.item_id = CAST($1 AS BIGINT)"
	 " AND r.member_id = CAST($2 AS BIGINT) AND r.finished_at IS NULL)"},
	[STMT_ST_STATS] = {"study.stats",
	 "SELECT COUNT(*), COALESCE(SUM(n.items), 0), COALESCE(SUM(i.pushed), 0), COALESCE(SUM(n.items * i.pushed), 0),"
	 " COALESCE(SUM(n.opened), 0), COALESCE(SUM(n.finished), 0) FROM study_issues i JOIN (SELECT x.issue_id,"
	 " COUNT(DISTINCT x.id) AS items, COUNT(r.item_id) AS opened, COUNT(r.finished_at) AS finished"
	 " FROM study_items x LEFT JOIN study_reads r ON r.item_id = x.id GROUP BY x.issue_id) n ON n.issue_id = i.id"
	 " WHERE i.state = 'published' AND i.org_path >= $1 AND i.org_path < $2 AND i.published_day >= $3"
	 " AND i.published_day <= $4"},
};
DB_SQL_TABLE(study, study_sql);

static enum db_rc one_id(struct db_stmt *st, int64_t *id)
{
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW && id)
		*id = db_col_int(st, DB_COL_ONLY);
	db_reset(st);
	return rc == DB_ROW ? DB_OK : rc == DB_DONE ? DB_NOT_FOUND : rc;
}

enum db_rc study_issue_create(struct db *db, int64_t org_id, const char *org_path, const char *title, int64_t user,
			      int64_t now, int64_t *id)
{
	struct db_stmt *st = db_prepare(db, &study_sql[STMT_ST_CREATE]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, org_id);
	db_bind_text(st, 2, org_path, -1);
	db_bind_text(st, 3, title, -1);
	db_bind_opt_id(st, 4, user);
	db_bind_int(st, 5, now);
	return one_id(st, id);
}

static json_t *issue_row(struct db_stmt *st)
{
	char at[21];
	json_t *o = json_pack("{s:I, s:I, s:s, s:s, s:I, s:I}", "id", (json_int_t)db_col_int(st, SI_ID), "org_id",
			      (json_int_t)db_col_int(st, SI_ORG), "title", db_col_text(st, SI_TITLE), "state",
			      db_col_text(st, SI_STATE), "created_by", (json_int_t)db_col_int(st, SI_BY), "pushed",
			      (json_int_t)db_col_int(st, SI_PUSHED));
	json_object_set_new(o, "return_reason",
			    db_col_null(st, SI_REASON) ? json_null() : json_string(db_col_text(st, SI_REASON)));
	int64_t p = db_col_int(st, SI_PUBLISHED);
	clock_rfc3339(p, at);
	json_object_set_new(o, "published_at", p ? json_string(at) : json_null());
	clock_rfc3339(db_col_int(st, SI_CREATED), at);
	json_object_set_new(o, "created_at", json_string(at));
	return o;
}

enum db_rc study_issue_get(struct db *db, struct arena *a, int64_t id, struct study_issue *out)
{
	struct db_stmt *st = db_prepare(db, &study_sql[STMT_ST_GET]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		out->id = db_col_int(st, SI_ID);
		out->org_id = db_col_int(st, SI_ORG);
		out->org_path = db_col_dup(a, st, SI_PATH);
		out->title = db_col_dup(a, st, SI_TITLE);
		out->state = db_col_dup(a, st, SI_STATE);
		out->created_by = db_col_int(st, SI_BY);
		out->pushed = db_col_int(st, SI_PUSHED);
	}
	db_reset(st);
	return rc == DB_ROW ? DB_OK : rc == DB_DONE ? DB_NOT_FOUND : rc;
}

static json_t *item_row(struct db_stmt *st, bool counts, bool mine)
{
	json_t *o = json_pack("{s:I, s:I, s:s, s:s, s:I}", "id", (json_int_t)db_col_int(st, SX_ID), "seq",
			      (json_int_t)db_col_int(st, SX_SEQ), "kind", db_col_text(st, SX_KIND), "title",
			      db_col_text(st, SX_TITLE), "study_minutes", (json_int_t)db_col_int(st, SX_MIN));
	json_object_set_new(o, "body_html", db_col_null(st, SX_BODY) ? json_null() : json_string(db_col_text(st, SX_BODY)));
	json_object_set_new(o, "url", db_col_null(st, SX_URL) ? json_null() : json_string(db_col_text(st, SX_URL)));
	json_object_set_new(o, "file_id", db_col_int(st, SX_FILE) ? json_integer(db_col_int(st, SX_FILE)) : json_null());
	if (counts) {
		json_object_set_new(o, "opened", json_integer(db_col_int(st, SX_OPENED)));
		json_object_set_new(o, "finished", json_integer(db_col_int(st, SX_FINISHED)));
	}
	if (mine) {
		json_object_set_new(o, "opened", json_boolean(db_col_int(st, SX_OPENED) != 0));
		json_object_set_new(o, "finished", json_boolean(db_col_int(st, SX_FINISHED) != 0));
	}
	return o;
}

static json_t *items_of(struct db *db, int64_t issue, int64_t member)
{
	struct db_stmt *st = db_prepare(db, &study_sql[member ? STMT_ST_MEMBER_ITEMS : STMT_ST_ITEMS]);
	if (!st)
		return NULL;
	db_bind_int(st, 1, issue);
	if (member)
		db_bind_int(st, 2, member);
	json_t *arr = json_array();
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW)
		json_array_append_new(arr, item_row(st, !member, member != 0));
	db_reset(st);
	if (rc != DB_DONE) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

json_t *study_issue_json(struct db *db, int64_t id)
{
	struct db_stmt *st = db_prepare(db, &study_sql[STMT_ST_GET]);
	if (!st)
		return NULL;
	db_bind_int(st, 1, id);
	enum db_rc rc = db_step(st);
	json_t *o = rc == DB_ROW ? issue_row(st) : NULL;
	db_reset(st);
	if (!o)
		return NULL;
	json_t *items = items_of(db, id, 0);
	if (!items) {
		json_decref(o);
		return NULL;
	}
	json_object_set_new(o, "items", items);
	return o;
}

json_t *study_list(struct db *db, const char *prefix, const char *end, int64_t before, int limit)
{
	struct db_stmt *st = db_prepare(db, &study_sql[STMT_ST_LIST]);
	if (!st)
		return NULL;
	db_bind_text(st, 1, prefix, -1);
	db_bind_text(st, 2, end, -1);
	db_bind_int(st, 3, before);
	db_bind_int(st, 4, limit);
	json_t *arr = json_array();
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW)
		json_array_append_new(arr, issue_row(st));
	db_reset(st);
	if (rc != DB_DONE) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

enum db_rc study_item_add(struct db *db, int64_t issue, const char *kind, const char *title, const char *body_html,
			  const char *url, int64_t file_id, int64_t minutes, int64_t now, int64_t *id)
{
	struct db_stmt *st = db_prepare(db, &study_sql[STMT_ST_ITEM_ADD]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, issue);
	db_bind_text(st, 2, kind, -1);
	db_bind_text(st, 3, title, -1);
	db_bind_opt_text(st, 4, body_html);
	db_bind_opt_text(st, 5, url);
	db_bind_opt_id(st, 6, file_id);
	db_bind_int(st, 7, minutes);
	db_bind_int(st, 8, now);
	return one_id(st, id);
}

enum db_rc study_set_state(struct db *db, int64_t id, const char *from, const char *to, int64_t reviewer,
			   const char *reason, int64_t now)
{
	struct db_stmt *st = db_prepare(db, &study_sql[STMT_ST_STATE]);
	if (!st)
		return DB_ERROR;
	char day[11];
	outbox_day(now, day);
	db_bind_int(st, 1, id);
	db_bind_text(st, 2, from, -1);
	db_bind_text(st, 3, to, -1);
	db_bind_opt_id(st, 4, reviewer);
	db_bind_opt_text(st, 5, reason);
	db_bind_int(st, 6, now);
	db_bind_text(st, 7, day, -1);
	return one_id(st, NULL);
}

enum db_rc study_set_pushed(struct db *db, int64_t id, int64_t n)
{
	struct db_stmt *st = db_prepare(db, &study_sql[STMT_ST_PUSHED]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, n);
	enum db_rc rc = db_step(st);
	db_reset(st);
	if (rc != DB_DONE)
		return rc;
	st = db_prepare(db, &study_sql[STMT_ST_PUSH_COUNTS]);
	if (!st)
		return DB_ERROR;
	char from[48], to[48];
	snprintf(from, sizeof from, "study:%lld:inapp:", (long long)id);
	snprintf(to, sizeof to, "study:%lld:inapp;", (long long)id);
	db_bind_int(st, 1, id);
	db_bind_text(st, 2, from, -1);
	db_bind_text(st, 3, to, -1);
	rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

int64_t study_item_count(struct db *db, int64_t issue)
{
	struct db_stmt *st = db_prepare(db, &study_sql[STMT_ST_COUNT]);
	if (!st)
		return -1;
	db_bind_int(st, 1, issue);
	int64_t n = -1;
	if (db_step(st) == DB_ROW)
		n = db_col_int(st, DB_COL_ONLY);
	db_reset(st);
	return n;
}

json_t *study_for_member(struct db *db, int64_t member_id, const char *member_path)
{
	struct db_stmt *st = db_prepare(db, &study_sql[STMT_ST_MEMBER_ISSUES]);
	if (!st)
		return NULL;
	db_bind_text(st, 1, member_path, -1);
	json_t *arr = json_array();
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW)
		json_array_append_new(arr, issue_row(st));
	db_reset(st);
	if (rc != DB_DONE) {
		json_decref(arr);
		return NULL;
	}
	size_t i;
	json_t *o;
	json_array_foreach(arr, i, o)
	{
		json_t *items = items_of(db, json_integer_value(json_object_get(o, "id")), member_id);
		if (!items) {
			json_decref(arr);
			return NULL;
		}
		json_object_set_new(o, "items", items);
	}
	return arr;
}

json_t *study_open_item(struct db *db, int64_t item, int64_t member_id, const char *member_path, int64_t now,
			enum db_rc *rc)
{
	struct db_stmt *st = db_prepare(db, &study_sql[STMT_ST_OPEN_ITEM]);
	if (!st) {
		*rc = DB_ERROR;
		return NULL;
	}
	db_bind_text(st, 1, member_path, -1);
	db_bind_int(st, 2, item);
	*rc = db_step(st);
	json_t *o = *rc == DB_ROW ? item_row(st, false, false) : NULL;
	db_reset(st);
	if (!o) {
		*rc = *rc == DB_DONE ? DB_NOT_FOUND : *rc;
		return NULL;
	}
	st = db_prepare(db, &study_sql[STMT_ST_OPEN]);
	if (!st) {
		json_decref(o);
		*rc = DB_ERROR;
		return NULL;
	}
	db_bind_int(st, 1, item);
	db_bind_int(st, 2, member_id);
	db_bind_int(st, 3, now);
	*rc = db_step(st);
	db_reset(st);
	if (*rc != DB_DONE) {
		json_decref(o);
		return NULL;
	}
	*rc = DB_OK;
	return o;
}

enum db_rc study_finish_item(struct db *db, int64_t item, int64_t member_id, int64_t now)
{
	struct db_stmt *st = db_prepare(db, &study_sql[STMT_ST_FINISH_COUNT]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, item);
	db_bind_int(st, 2, member_id);
	enum db_rc rc = db_step(st);
	db_reset(st);
	if (rc != DB_DONE)
		return rc;
	st = db_prepare(db, &study_sql[STMT_ST_FINISH]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, item);
	db_bind_int(st, 2, member_id);
	db_bind_int(st, 3, now);
	return one_id(st, NULL);
}

json_t *study_stats(struct db *db, const char *prefix, const char *end, const char *from, const char *to)
{
	struct db_stmt *st = db_prepare(db, &study_sql[STMT_ST_STATS]);
	if (!st)
		return NULL;
	db_bind_text(st, 1, prefix, -1);
	db_bind_text(st, 2, end, -1);
	db_bind_text(st, 3, from, -1);
	db_bind_text(st, 4, to, -1);
	json_t *o = NULL;
	if (db_step(st) == DB_ROW) {
		int64_t expected = db_col_int(st, SS_EXPECTED), fin = db_col_int(st, SS_FINISHED);
		o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:f}", "issues_published", (json_int_t)db_col_int(st, SS_ISSUES),
			      "items_pushed", (json_int_t)db_col_int(st, SS_ITEMS), "pushes",
			      (json_int_t)db_col_int(st, SS_PUSHES), "reads_opened", (json_int_t)db_col_int(st, SS_OPENED),
			      "reads_finished", (json_int_t)fin, "read_rate",
			      expected ? (double)fin / (double)expected : 0.0);
	}
	db_reset(st);
	return o;
}
