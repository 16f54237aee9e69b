/* ind_wechat.c: the 公众号's figures of the yearly report (issue 16 → issue 19): "将'X
 * 组工'微信公众号功能扩展为 X 大版块 X 项内容": the sections (版块) and items (项) of
 * the account's menu as they stand, counted for the organizations in the subtree that
 * own them, and the members who linked their WeChat (人), each with its records. */
#include "model/indicators.h"
#include <stdio.h>

enum ind_wx_stmt {
	STMT_IW_SECTIONS,
	STMT_IW_SECTION_ROWS,
	STMT_IW_ITEMS,
	STMT_IW_ITEM_ROWS,
	STMT_IW_LINKED,
	STMT_IW_LINKED_ROWS,
	IW_STMT__MAX
};
enum iw_row_col { IW_COL_ID, IW_COL_NAME, IW_COL_EXTRA, IW_COL_ORG };

static const struct db_sql iw_sql[IW_STMT__MAX] = {
	[STMT_IW_SECTIONS] = {"ind.wechat_sections",
	 "SELECT COUNT(*) FROM wechat_sections WHERE org_path >= $1 AND org_path < $2"},
	[STMT_IW_SECTION_ROWS] = {"ind.wechat_section_rows",
	 "SELECT s.id, s.name, '', o.name FROM wechat_sections s JOIN orgs o ON o.id = s.org_id"
	 " WHERE s.org_path >= $1 AND s.org_path < $2 AND s.id > $3 ORDER BY s.id LIMIT $4"},
	[STMT_IW_ITEMS] = {"ind.wechat_items",
	 "SELECT COUNT(*) FROM wechat_items i JOIN wechat_sections s ON s.id = i.section_id"
	 " WHERE s.org_path >= $1 AND s.org_path < $2"},
	[STMT_IW_ITEM_ROWS] = {"ind.wechat_item_rows",
	 "SELECT i.id, i.name, s.name, o.name FROM wechat_items i JOIN wechat_sections s ON s.id = i.section_id"
	 " JOIN orgs o ON o.id = s.org_id WHERE s.org_path >= $1 AND s.org_path < $2 AND i.id > $3 ORDER BY i.id LIMIT $4"},
	[STMT_IW_LINKED] = {"ind.wechat_linked",
	 /* the links drive (CROSS JOIN keeps SQLite's order): far fewer than the members,
	  * whose subtree range the planner would otherwise walk (1M rows at the district) */
	 "SELECT COUNT(*) FROM member_wechat w CROSS JOIN members m WHERE m.id = w.member_id"
	 " AND m.state = 'normal' AND m.org_path >= $1 AND m.org_path < $2"},
	[STMT_IW_LINKED_ROWS] = {"ind.wechat_linked_rows",
	 "SELECT m.id, m.name, '', o.name FROM member_wechat w JOIN members m ON m.id = w.member_id"
	 " JOIN orgs o ON o.id = m.org_id WHERE m.state = 'normal' AND m.org_path >= $1 AND m.org_path < $2"
	 " AND m.id > $3 ORDER BY m.id LIMIT $4"},
};
DB_SQL_TABLE(ind_wechat, iw_sql);

static enum db_rc count(struct db *db, const struct ind_scope *s, enum ind_wx_stmt k, struct ind_value *out)
{
	out->den = 0;
	return ind_count_stmt(db, s, &iw_sql[k], NULL, 0, DB_COL_ONLY, &out->num);
}

/* arg: what the record is ("公众号版块") */
static void row(struct db_stmt *st, const struct ind_scope *s, const void *arg, ind_emit_fn emit, void *ctx)
{
	(void)s;
	const char *what = arg;
	char label[200];
	const char *extra = db_col_text(st, IW_COL_EXTRA);
	if (*extra)
		snprintf(label, sizeof label, "%s · %s · %s", db_col_text(st, IW_COL_NAME), extra, what);
	else
		snprintf(label, sizeof label, "%s · %s", db_col_text(st, IW_COL_NAME), what);
	struct ind_row r = {db_col_int(st, IW_COL_ID), label, "", db_col_text(st, IW_COL_ORG)};
	emit(ctx, &r);
}

static enum db_rc rows(struct db *db, const struct ind_scope *s, enum ind_wx_stmt k, const char *what, int64_t after,
		       int limit, ind_emit_fn emit, void *ctx)
{
	return ind_rows_stmt(db, s, &iw_sql[k], NULL, 0, after, limit, row, what, emit, ctx);
}

static enum db_rc sections_n(struct db *db, const struct ind_scope *s, struct ind_value *out)
{
	return count(db, s, STMT_IW_SECTIONS, out);
}
static enum db_rc sections_rows(struct db *db, const struct ind_scope *s, int64_t after, int limit, ind_emit_fn emit,
				void *ctx)
{
	return rows(db, s, STMT_IW_SECTION_ROWS, "公众号版块", after, limit, emit, ctx);
}
static enum db_rc items_n(struct db *db, const struct ind_scope *s, struct ind_value *out)
{
	return count(db, s, STMT_IW_ITEMS, out);
}
static enum db_rc items_rows(struct db *db, const struct ind_scope *s, int64_t after, int limit, ind_emit_fn emit,
			     void *ctx)
{
	return rows(db, s, STMT_IW_ITEM_ROWS, "公众号栏目项", after, limit, emit, ctx);
}
static enum db_rc linked_n(struct db *db, const struct ind_scope *s, struct ind_value *out)
{
	return count(db, s, STMT_IW_LINKED, out);
}
static enum db_rc linked_rows(struct db *db, const struct ind_scope *s, int64_t after, int limit, ind_emit_fn emit,
			      void *ctx)
{
	return rows(db, s, STMT_IW_LINKED_ROWS, "已绑定微信", after, limit, emit, ctx);
}

static const struct indicator wechat_indicators[] = {
	{"wechat.sections", "公众号版块", "个", "消息推送", "公众号菜单中的版块数（现状），按版块所属组织统计", false,
	 sections_n, sections_rows, false},
	{"wechat.items", "公众号栏目内容", "项", "消息推送", "公众号各版块下的栏目项数（现状），按版块所属组织统计", false,
	 items_n, items_rows, false},
	{"wechat.linked_members", "绑定公众号的党员", "人", "消息推送", "已通过网页授权绑定微信（公众号）的正常状态党员人数（现状）",
	 false, linked_n, linked_rows, false},
};
INDICATOR_TABLE(wechat);
