/* wechat.c: see wechat.h. */
#include "model/wechat.h"
#include <string.h>

enum wechat_stmt {
	STMT_WX_STATE_SWEEP,
	STMT_WX_STATE_NEW,
	STMT_WX_STATE_TAKE,
	STMT_WX_OWNER,
	STMT_WX_LINK,
	STMT_WX_UNLINK,
	STMT_WX_GET,
	STMT_WX_COUNTS,
	WECHAT_STMT__MAX
};

enum wx_get_col { WG_APPID, WG_LINKED_AT };
enum wx_counts_col { WC_MEMBERS, WC_LINKED };

static const struct db_sql wechat_sql[WECHAT_STMT__MAX] = {
	[STMT_WX_STATE_SWEEP] = {"wechat.state_sweep", "DELETE FROM wechat_oauth_states WHERE expires_at < $1"},
	[STMT_WX_STATE_NEW] = {"wechat.state_new",
	 "INSERT INTO wechat_oauth_states (state, user_id, member_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)"},
	[STMT_WX_STATE_TAKE] = {"wechat.state_take",
	 "DELETE FROM wechat_oauth_states WHERE state = $1 AND user_id = $2 AND expires_at >= $3 RETURNING member_id"},
	[STMT_WX_OWNER] = {"wechat.owner", "SELECT member_id FROM member_wechat WHERE appid = $1 AND openid = $2"},
	[STMT_WX_LINK] = {"wechat.link",
	 "INSERT INTO member_wechat (member_id, appid, openid, linked_at, linked_by) VALUES ($1, $2, $3, $4, $5)"
	 " ON CONFLICT (member_id) DO UPDATE SET appid = excluded.appid, openid = excluded.openid,"
	 " linked_at = excluded.linked_at, linked_by = excluded.linked_by"},
	[STMT_WX_UNLINK] = {"wechat.unlink", "DELETE FROM member_wechat WHERE member_id = $1 RETURNING member_id"},
	[STMT_WX_GET] = {"wechat.get", "SELECT appid, linked_at FROM member_wechat WHERE member_id = $1"},
	[STMT_WX_COUNTS] = {"wechat.counts",
	 "SELECT COUNT(*), SUM(CASE WHEN w.member_id IS NULL THEN 0 ELSE 1 END) FROM members m"
	 " LEFT JOIN member_wechat w ON w.member_id = m.id WHERE m.state = 'normal' AND m.org_path >= $1"
	 " AND m.org_path < $2"},
};
DB_SQL_TABLE(wechat, wechat_sql);

static enum db_rc done(enum db_rc rc)
{
	return rc == DB_DONE || rc == DB_ROW ? DB_OK : rc;
}

enum db_rc wechat_state_new(struct db *db, const char *state, int64_t user_id, int64_t member_id, int64_t now)
{
	struct db_stmt *st = db_prepare(db, &wechat_sql[STMT_WX_STATE_SWEEP]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, now);
	enum db_rc rc = done(db_step(st));
	db_reset(st);
	if (rc != DB_OK)
		return rc;
	if (!(st = db_prepare(db, &wechat_sql[STMT_WX_STATE_NEW])))
		return DB_ERROR;
	db_bind_text(st, 1, state, -1);
	db_bind_int(st, 2, user_id);
	db_bind_int(st, 3, member_id);
	db_bind_int(st, 4, now);
	db_bind_int(st, 5, now + WECHAT_STATE_SECONDS);
	rc = done(db_step(st));
	db_reset(st);
	return rc;
}

enum db_rc wechat_state_take(struct db *db, const char *state, int64_t user_id, int64_t now, int64_t *member_id)
{
	*member_id = 0;
	struct db_stmt *st = db_prepare(db, &wechat_sql[STMT_WX_STATE_TAKE]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, state, -1);
	db_bind_int(st, 2, user_id);
	db_bind_int(st, 3, now);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW)
		*member_id = db_col_int(st, DB_COL_ONLY);
	db_reset(st);
	return rc == DB_ROW ? DB_OK : rc == DB_DONE ? DB_NOT_FOUND : rc;
}

enum db_rc wechat_link(struct db *db, int64_t member_id, const char *appid, const char *openid, int64_t by, int64_t now)
{
	struct db_stmt *st = db_prepare(db, &wechat_sql[STMT_WX_OWNER]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, appid, -1);
	db_bind_text(st, 2, openid, -1);
	enum db_rc rc = db_step(st);
	int64_t owner = rc == DB_ROW ? db_col_int(st, DB_COL_ONLY) : 0;
	db_reset(st);
	if (rc != DB_ROW && rc != DB_DONE)
		return rc;
	if (owner && owner != member_id)
		return DB_CONSTRAINT;
	if (!(st = db_prepare(db, &wechat_sql[STMT_WX_LINK])))
		return DB_ERROR;
	db_bind_int(st, 1, member_id);
	db_bind_text(st, 2, appid, -1);
	db_bind_text(st, 3, openid, -1);
	db_bind_int(st, 4, now);
	db_bind_opt_id(st, 5, by);
	rc = done(db_step(st));
	db_reset(st);
	return rc;
}

enum db_rc wechat_unlink(struct db *db, int64_t member_id)
{
	struct db_stmt *st = db_prepare(db, &wechat_sql[STMT_WX_UNLINK]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, member_id);
	enum db_rc rc = db_step(st);
	db_reset(st);
	return rc == DB_ROW ? DB_OK : rc == DB_DONE ? DB_NOT_FOUND : rc;
}

json_t *wechat_link_json(struct db *db, int64_t member_id, const char *appid)
{
	struct db_stmt *st = db_prepare(db, &wechat_sql[STMT_WX_GET]);
	if (!st)
		return NULL;
	db_bind_int(st, 1, member_id);
	enum db_rc rc = db_step(st);
	json_t *j = NULL;
	if (rc == DB_ROW)
		j = json_pack("{s:b, s:I, s:b}", "linked", 1, "linked_at", (json_int_t)db_col_int(st, WG_LINKED_AT), "current",
			      strcmp(db_col_text(st, WG_APPID), appid) == 0);
	else if (rc == DB_DONE)
		j = json_pack("{s:b, s:n, s:b}", "linked", 0, "linked_at", "current", 0);
	db_reset(st);
	return j;
}

enum db_rc wechat_linked_counts(struct db *db, const char *prefix, const char *end, int64_t *members, int64_t *linked)
{
	*members = *linked = 0;
	struct db_stmt *st = db_prepare(db, &wechat_sql[STMT_WX_COUNTS]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, prefix, -1);
	db_bind_text(st, 2, end, -1);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		*members = db_col_int(st, WC_MEMBERS);
		*linked = db_col_null(st, WC_LINKED) ? 0 : db_col_int(st, WC_LINKED);
	}
	db_reset(st);
	return done(rc);
}
