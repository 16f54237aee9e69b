/* wechat_menu.c: the 公众号's sections (版块), items (项) and menu (0109); see wechat.h. */
#include "model/wechat.h"
#include "core/arena.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum wechat_menu_stmt {
	STMT_WM_SECTIONS,
	STMT_WM_ITEMS,
	STMT_WM_SEC_COUNT,
	STMT_WM_SEC_ADD,
	STMT_WM_SEC_ORG,
	STMT_WM_SEC_UPDATE,
	STMT_WM_SEC_DELETE,
	STMT_WM_ITEM_COUNT,
	STMT_WM_ITEM_ADD,
	STMT_WM_ITEM_ORG,
	STMT_WM_ITEM_UPDATE,
	STMT_WM_ITEM_DELETE,
	STMT_WM_STUDY_OK,
	STMT_WM_RECORD,
	STMT_WM_LAST,
	STMT_WM_STATS_MENU,
	STMT_WM_STATS_SENT,
	WM_STMT__MAX
};
enum wm_sec_col { WS_ID, WS_NAME, WS_POSITION };
enum wm_item_col { WI_ID, WI_SECTION, WI_NAME, WI_KIND, WI_TARGET, WI_POSITION };
enum wm_org_col { WO_ORG, WO_PATH };
enum wm_last_col { WL_AT, WL_OUTCOME, WL_ERRCODE, WL_ERROR };
enum wm_stats_menu_col { WSM_SECTIONS, WSM_ITEMS };
enum wm_stats_sent_col { WSS_SENT, WSS_FAILED };

static const struct db_sql wm_sql[WM_STMT__MAX] = {
	[STMT_WM_SECTIONS] = {"wechat.sections",
	 "SELECT id, name, position FROM wechat_sections WHERE org_id = $1 ORDER BY position, id"},
	[STMT_WM_ITEMS] = {"wechat.items",
	 "SELECT i.id, i.section_id, i.name, i.kind, i.target, i.position FROM wechat_items i"
	 " JOIN wechat_sections s ON s.id = i.section_id WHERE s.org_id = $1 ORDER BY i.section_id, i.position, i.id"},
	[STMT_WM_SEC_COUNT] = {"wechat.section_count", "SELECT COUNT(*) FROM wechat_sections WHERE org_id = $1"},
	[STMT_WM_SEC_ADD] = {"wechat.section_add",
	 "INSERT INTO wechat_sections (org_id, org_path, name, position, created_at, updated_at)"
	 " VALUES ($1, $2, $3, $4, $5, $5) RETURNING id"},
	[STMT_WM_SEC_ORG] = {"wechat.section_org", "SELECT org_id, org_path FROM wechat_sections WHERE id = $1"},
	[STMT_WM_SEC_UPDATE] = {"wechat.section_update",
	 "UPDATE wechat_sections SET name = $2, position = $3, updated_at = $4 WHERE id = $1 RETURNING id"},
	[STMT_WM_SEC_DELETE] = {"wechat.section_delete", "DELETE FROM wechat_sections WHERE id = $1 RETURNING id"},
	[STMT_WM_ITEM_COUNT] = {"wechat.item_count", "SELECT COUNT(*) FROM wechat_items WHERE section_id = $1"},
	[STMT_WM_ITEM_ADD] = {"wechat.item_add",
	 "INSERT INTO wechat_items (section_id, name, kind, target, position, created_at, updated_at)"
	 " VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id"},
	[STMT_WM_ITEM_ORG] = {"wechat.item_org",
	 "SELECT s.org_id, s.org_path FROM wechat_items i JOIN wechat_sections s ON s.id = i.section_id WHERE i.id = $1"},
	[STMT_WM_ITEM_UPDATE] = {"wechat.item_update",
	 "UPDATE wechat_items SET name = $2, kind = $3, target = $4, position = $5, updated_at = $6 WHERE id = $1"
	 " RETURNING id"},
	[STMT_WM_ITEM_DELETE] = {"wechat.item_delete", "DELETE FROM wechat_items WHERE id = $1 RETURNING id"},
	[STMT_WM_STUDY_OK] = {"wechat.study_ok",
	 "SELECT 1 FROM study_issues WHERE id = $1 AND state = 'published' AND org_path >= $2 AND org_path < $3"},
	[STMT_WM_RECORD] = {"wechat.menu_record",
	 "INSERT INTO wechat_menu_pushes (org_id, pushed_at, user_id, outcome, errcode, error) VALUES ($1, $2, $3, $4, $5, $6)"},
	[STMT_WM_LAST] = {"wechat.menu_last",
	 "SELECT pushed_at, outcome, errcode, error FROM wechat_menu_pushes WHERE org_id = $1 ORDER BY id DESC LIMIT 1"},
	[STMT_WM_STATS_MENU] = {"wechat.stats_menu",
	 "SELECT (SELECT COUNT(*) FROM wechat_sections WHERE org_path >= $1 AND org_path < $2),"
	 " (SELECT COUNT(*) FROM wechat_items i JOIN wechat_sections s ON s.id = i.section_id"
	 " WHERE s.org_path >= $1 AND s.org_path < $2)"},
	[STMT_WM_STATS_SENT] = {"wechat.stats_sent",
	 "SELECT COALESCE(SUM(CASE WHEN state = 'sent' THEN 1 ELSE 0 END), 0),"
	 " COALESCE(SUM(CASE WHEN state IN ('failed', 'given_up') THEN 1 ELSE 0 END), 0) FROM outbox"
	 " WHERE channel = 'wechat' AND org_path >= $1 AND org_path < $2 AND done_day >= $3 AND done_day <= $4"},
};
DB_SQL_TABLE(wechat_menu, wm_sql);

static enum db_rc one_id(struct db_stmt *st, int64_t *id)
{
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW && id)
		*id = db_col_int(st, DB_COL_ONLY);
	db_reset(st);
	return rc == DB_ROW ? DB_OK : rc == DB_DONE ? DB_NOT_FOUND : rc;
}

static enum db_rc count_of(struct db *db, enum wechat_menu_stmt k, int64_t id, int64_t *n)
{
	struct db_stmt *st = db_prepare(db, &wm_sql[k]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	return one_id(st, n);
}

json_t *wechat_sections_json(struct db *db, int64_t org_id)
{
	struct db_stmt *st = db_prepare(db, &wm_sql[STMT_WM_SECTIONS]);
	if (!st)
		return NULL;
	db_bind_int(st, 1, org_id);
	json_t *secs = json_array();
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW)
		json_array_append_new(secs, json_pack("{s:I, s:s, s:I, s:[]}", "id", (json_int_t)db_col_int(st, WS_ID), "name",
						      db_col_text(st, WS_NAME), "position",
						      (json_int_t)db_col_int(st, WS_POSITION), "items"));
	db_reset(st);
	if (rc != DB_DONE || !(st = db_prepare(db, &wm_sql[STMT_WM_ITEMS]))) {
		json_decref(secs);
		return NULL;
	}
	db_bind_int(st, 1, org_id);
	while ((rc = db_step(st)) == DB_ROW) {
		int64_t sid = db_col_int(st, WI_SECTION);
		size_t i;
		json_t *s;
		json_array_foreach(secs, i, s) if (json_integer_value(json_object_get(s, "id")) == sid)
		    json_array_append_new(json_object_get(s, "items"),
					  json_pack("{s:I, s:s, s:s, s:s, s:I}", "id", (json_int_t)db_col_int(st, WI_ID), "name",
						    db_col_text(st, WI_NAME), "kind", db_col_text(st, WI_KIND), "target",
						    db_col_text(st, WI_TARGET), "position",
						    (json_int_t)db_col_int(st, WI_POSITION)));
	}
	db_reset(st);
	if (rc != DB_DONE) {
		json_decref(secs);
		return NULL;
	}
	return secs;
}

enum db_rc wechat_section_add(struct db *db, int64_t org_id, const char *path, const char *name, int64_t position,
			      int64_t now, int64_t *id)
{
	int64_t n = 0;
	enum db_rc rc = count_of(db, STMT_WM_SEC_COUNT, org_id, &n);
	if (rc != DB_OK)
		return rc;
	if (n >= WECHAT_MAX_SECTIONS)
		return DB_CONSTRAINT;
	struct db_stmt *st = db_prepare(db, &wm_sql[STMT_WM_SEC_ADD]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, org_id);
	db_bind_text(st, 2, path, -1);
	db_bind_text(st, 3, name, -1);
	db_bind_int(st, 4, position);
	db_bind_int(st, 5, now);
	rc = one_id(st, id);
	return rc == DB_NOT_FOUND ? DB_ERROR : rc;
}

static enum db_rc org_of(struct db *db, struct arena *a, enum wechat_menu_stmt k, int64_t id, int64_t *org_id,
			 const char **path)
{
	struct db_stmt *st = db_prepare(db, &wm_sql[k]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		*org_id = db_col_int(st, WO_ORG);
		*path = db_col_dup(a, st, WO_PATH);
	}
	db_reset(st);
	return rc == DB_ROW ? DB_OK : rc == DB_DONE ? DB_NOT_FOUND : rc;
}

enum db_rc wechat_section_org(struct db *db, struct arena *a, int64_t id, int64_t *org_id, const char **path)
{
	return org_of(db, a, STMT_WM_SEC_ORG, id, org_id, path);
}

enum db_rc wechat_item_org(struct db *db, struct arena *a, int64_t id, int64_t *org_id, const char **path)
{
	return org_of(db, a, STMT_WM_ITEM_ORG, id, org_id, path);
}

enum db_rc wechat_section_update(struct db *db, int64_t id, const char *name, int64_t position, int64_t now)
{
	struct db_stmt *st = db_prepare(db, &wm_sql[STMT_WM_SEC_UPDATE]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	db_bind_text(st, 2, name, -1);
	db_bind_int(st, 3, position);
	db_bind_int(st, 4, now);
	return one_id(st, NULL);
}

enum db_rc wechat_section_delete(struct db *db, int64_t id)
{
	struct db_stmt *st = db_prepare(db, &wm_sql[STMT_WM_SEC_DELETE]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	return one_id(st, NULL);
}

enum db_rc wechat_item_add(struct db *db, int64_t section_id, const struct wechat_item_in *in, int64_t now, int64_t *id)
{
	int64_t n = 0;
	enum db_rc rc = count_of(db, STMT_WM_ITEM_COUNT, section_id, &n);
	if (rc != DB_OK)
		return rc;
	if (n >= WECHAT_MAX_ITEMS)
		return DB_CONSTRAINT;
	struct db_stmt *st = db_prepare(db, &wm_sql[STMT_WM_ITEM_ADD]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, section_id);
	db_bind_text(st, 2, in->name, -1);
	db_bind_text(st, 3, in->kind, -1);
	db_bind_text(st, 4, in->target, -1);
	db_bind_int(st, 5, in->position);
	db_bind_int(st, 6, now);
	rc = one_id(st, id);
	return rc == DB_NOT_FOUND ? DB_ERROR : rc;
}

enum db_rc wechat_item_update(struct db *db, int64_t id, const struct wechat_item_in *in, int64_t now)
{
	struct db_stmt *st = db_prepare(db, &wm_sql[STMT_WM_ITEM_UPDATE]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	db_bind_text(st, 2, in->name, -1);
	db_bind_text(st, 3, in->kind, -1);
	db_bind_text(st, 4, in->target, -1);
	db_bind_int(st, 5, in->position);
	db_bind_int(st, 6, now);
	return one_id(st, NULL);
}

enum db_rc wechat_item_delete(struct db *db, int64_t id)
{
	struct db_stmt *st = db_prepare(db, &wm_sql[STMT_WM_ITEM_DELETE]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	return one_id(st, NULL);
}

enum db_rc wechat_study_ok(struct db *db, int64_t id, const char *prefix, const char *end, bool *ok)
{
	struct db_stmt *st = db_prepare(db, &wm_sql[STMT_WM_STUDY_OK]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	db_bind_text(st, 2, prefix, -1);
	db_bind_text(st, 3, end, -1);
	enum db_rc rc = one_id(st, NULL);
	*ok = rc == DB_OK;
	return rc == DB_NOT_FOUND ? DB_OK : rc;
}

json_t *wechat_menu_json(struct db *db, int64_t org_id, const char *origin)
{
	json_t *secs = wechat_sections_json(db, org_id);
	if (!secs)
		return NULL;
	json_t *buttons = json_array();
	size_t i, k;
	json_t *s, *it;
	json_array_foreach(secs, i, s)
	{
		json_t *items = json_object_get(s, "items");
		if (json_array_size(items) == 0)
			continue;
		json_t *subs = json_array();
		json_array_foreach(items, k, it)
		{
			const char *kind = json_string_value(json_object_get(it, "kind"));
			const char *target = json_string_value(json_object_get(it, "target"));
			char url[1200];
			if (strcmp(kind, "url") == 0)
				snprintf(url, sizeof url, "%s", target);
			else if (strcmp(kind, "study") == 0)
				snprintf(url, sizeof url, "%s/m/study?issue=%s", origin, target);
			else
				snprintf(url, sizeof url, "%s%s", origin, target);
			json_array_append_new(subs, json_pack("{s:s, s:s, s:s}", "type", "view", "name",
							      json_string_value(json_object_get(it, "name")), "url", url));
		}
		json_array_append_new(buttons, json_pack("{s:s, s:o}", "name", json_string_value(json_object_get(s, "name")),
							 "sub_button", subs));
	}
	json_decref(secs);
	return json_pack("{s:o}", "button", buttons);
}

enum db_rc wechat_menu_record(struct db *db, int64_t org_id, int64_t user_id, bool ok, const char *errcode,
			      const char *error, int64_t now)
{
	struct db_stmt *st = db_prepare(db, &wm_sql[STMT_WM_RECORD]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, org_id);
	db_bind_int(st, 2, now);
	db_bind_opt_id(st, 3, user_id);
	db_bind_text(st, 4, ok ? "ok" : "failed", -1);
	db_bind_opt_text(st, 5, errcode);
	db_bind_opt_text(st, 6, error);
	enum db_rc rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE || rc == DB_ROW ? DB_OK : rc;
}

json_t *wechat_menu_last(struct db *db, int64_t org_id)
{
	struct db_stmt *st = db_prepare(db, &wm_sql[STMT_WM_LAST]);
	if (!st)
		return NULL;
	db_bind_int(st, 1, org_id);
	enum db_rc rc = db_step(st);
	json_t *j = NULL;
	if (rc == DB_ROW) {
		j = json_pack("{s:I, s:s}", "pushed_at", (json_int_t)db_col_int(st, WL_AT), "outcome",
			      db_col_text(st, WL_OUTCOME));
		json_object_set_new(j, "errcode",
				    db_col_null(st, WL_ERRCODE) ? json_null() : json_string(db_col_text(st, WL_ERRCODE)));
		json_object_set_new(j, "error", db_col_null(st, WL_ERROR) ? json_null() : json_string(db_col_text(st, WL_ERROR)));
	} else if (rc == DB_DONE) {
		j = json_null();
	}
	db_reset(st);
	return j;
}

json_t *wechat_stats(struct db *db, const char *prefix, const char *end, const char *from, const char *to)
{
	int64_t members = 0, linked = 0;
	if (wechat_linked_counts(db, prefix, end, &members, &linked) != DB_OK)
		return NULL;
	struct db_stmt *st = db_prepare(db, &wm_sql[STMT_WM_STATS_MENU]);
	if (!st)
		return NULL;
	db_bind_text(st, 1, prefix, -1);
	db_bind_text(st, 2, end, -1);
	enum db_rc rc = db_step(st);
	int64_t sections = rc == DB_ROW ? db_col_int(st, WSM_SECTIONS) : 0, items = rc == DB_ROW ? db_col_int(st, WSM_ITEMS) : 0;
	db_reset(st);
	if (rc != DB_ROW || !(st = db_prepare(db, &wm_sql[STMT_WM_STATS_SENT])))
		return NULL;
	db_bind_text(st, 1, prefix, -1);
	db_bind_text(st, 2, end, -1);
	db_bind_text(st, 3, from, -1);
	db_bind_text(st, 4, to, -1);
	rc = db_step(st);
	int64_t sent = rc == DB_ROW ? db_col_int(st, WSS_SENT) : 0, failed = rc == DB_ROW ? db_col_int(st, WSS_FAILED) : 0;
	db_reset(st);
	if (rc != DB_ROW)
		return NULL;
	return json_pack("{s:I, s:I, s:I, s:I, s:f, s:I, s:I, s:s, s:s}", "sections", (json_int_t)sections, "items",
			 (json_int_t)items, "members", (json_int_t)members, "linked", (json_int_t)linked, "link_rate",
			 members ? (double)linked / (double)members : 0.0, "sent", (json_int_t)sent, "failed",
			 (json_int_t)failed, "from", from, "to", to);
}
