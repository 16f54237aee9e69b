/* ind_study.c: the 学习专题 figures of the yearly report (issue 16 #6 → issue 19):
 * study.issues_published and study.items_pushed (issues published in the period by the
 * subtree's organizations, and their items: the publisher's side, as GET
 * /stats/messages counts them), and study.read_rate (the reader's side: of the items
 * pushed in the period to the members of the subtree — one in-app push per member and
 * issue, at the organization the member was in when it was pushed — the share read to
 * the end). The read rate's records are the subtree's branches with each one's rate,
 * so "the read rate per branch" is the figure's own list. */
#include "model/indicators.h"
#include <stdlib.h>
#include <string.h>

enum ind_study_stmt {
	STMT_IS_ISSUES,
	STMT_IS_ISSUE_ROWS,
	STMT_IS_ITEMS,
	STMT_IS_ITEM_ROWS,
	STMT_IS_READ,
	STMT_IS_BRANCHES,
	IND_STUDY_STMT__MAX
};
enum is_issue_row_col { IS_IR_ID, IS_IR_TITLE, IS_IR_DAY, IS_IR_ORG, IS_IR_ITEMS };
enum is_item_row_col { IS_TR_ID, IS_TR_TITLE, IS_TR_ISSUE, IS_TR_DAY, IS_TR_ORG };
enum is_branch_col { IS_BR_ID, IS_BR_NAME, IS_BR_PATH };
enum is_read_col { IS_RD_DEN, IS_RD_NUM };

#define PUBLISHED_IN                                                                                                \
	" i.state = 'published' AND i.org_path >= $1 AND i.org_path < $2 AND i.published_day >= $3"                \
	" AND i.published_day <= $4"
/* the issues published in the period, whoever published them */
#define PUBLISHED_ANY " i.state = 'published' AND i.published_day >= $3 AND i.published_day <= $4"

static const struct db_sql is_sql[IND_STUDY_STMT__MAX] = {
	[STMT_IS_ISSUES] = {"ind_study.issues", "SELECT COUNT(*) FROM study_issues i WHERE" PUBLISHED_IN},
	[STMT_IS_ISSUE_ROWS] = {"ind_study.issue_rows",
	 "SELECT i.id, i.title, i.published_day, o.name, (SELECT COUNT(*) FROM study_items x WHERE x.issue_id = i.id)"
	 " FROM study_issues i JOIN orgs o ON o.id = i.org_id WHERE" PUBLISHED_IN " AND i.id > $5 ORDER BY i.id LIMIT $6"},
	[STMT_IS_ITEMS] = {"ind_study.items",
	 "SELECT COUNT(*) FROM study_items x JOIN study_issues i ON i.id = x.issue_id WHERE" PUBLISHED_IN},
	[STMT_IS_ITEM_ROWS] = {"ind_study.item_rows",
	 "SELECT x.id, x.title, i.title, i.published_day, o.name FROM study_items x JOIN study_issues i ON i.id = x.issue_id"
	 " JOIN orgs o ON o.id = i.org_id WHERE" PUBLISHED_IN " AND x.id > $5 ORDER BY x.id LIMIT $6"},
	/* items × members of the subtree the issue was pushed to, and their items read to the
	 * end: the counts kept by organization path (0105, model/study.c) */
	[STMT_IS_READ] = {"ind_study.read",
	 "SELECT COALESCE(SUM(c.pushed * (SELECT COUNT(*) FROM study_items x WHERE x.issue_id = i.id)), 0),"
	 " COALESCE(SUM(c.finished), 0) FROM study_read_counts c JOIN study_issues i ON i.id = c.issue_id"
	 " WHERE c.org_path >= $1 AND c.org_path < $2 AND" PUBLISHED_ANY},
	[STMT_IS_BRANCHES] = {"ind_study.branches",
	 "SELECT id, name, path FROM orgs WHERE path >= $1 AND path < $2 AND type IN ('党支部', '联合党支部') AND id > $3"
	 " ORDER BY id LIMIT $4"},
};
DB_SQL_TABLE(ind_study, is_sql);

static const struct ind_param period[] = {IND_P_DATES};

static enum db_rc sum(struct db *db, const struct ind_scope *s, enum ind_study_stmt which, struct ind_value *out)
{
	out->den = 0;
	return ind_count_stmt(db, s, &is_sql[which], period, 2, DB_COL_ONLY, &out->num);
}

static enum db_rc issues_n(struct db *db, const struct ind_scope *s, struct ind_value *out)
{
	return sum(db, s, STMT_IS_ISSUES, out);
}

static enum db_rc items_n(struct db *db, const struct ind_scope *s, struct ind_value *out)
{
	return sum(db, s, STMT_IS_ITEMS, out);
}

static void issue_row(struct db_stmt *st, const struct ind_scope *s, const void *arg, ind_emit_fn emit, void *ctx)
{
	(void)arg;
	struct ind_row r = {db_col_int(st, IS_IR_ID),
			    arena_printf(s->a, "%s · %lld 条", db_col_text(st, IS_IR_TITLE),
					 (long long)db_col_int(st, IS_IR_ITEMS)),
			    arena_strdup(s->a, db_col_text(st, IS_IR_DAY)), arena_strdup(s->a, db_col_text(st, IS_IR_ORG))};
	emit(ctx, &r);
}

static enum db_rc issue_rows(struct db *db, const struct ind_scope *s, int64_t after, int limit, ind_emit_fn emit,
			     void *ctx)
{
	return ind_rows_stmt(db, s, &is_sql[STMT_IS_ISSUE_ROWS], period, 2, after, limit, issue_row, NULL, emit, ctx);
}

static void item_row(struct db_stmt *st, const struct ind_scope *s, const void *arg, ind_emit_fn emit, void *ctx)
{
	(void)arg;
	struct ind_row r = {db_col_int(st, IS_TR_ID),
			    arena_printf(s->a, "%s · %s", db_col_text(st, IS_TR_TITLE), db_col_text(st, IS_TR_ISSUE)),
			    arena_strdup(s->a, db_col_text(st, IS_TR_DAY)), arena_strdup(s->a, db_col_text(st, IS_TR_ORG))};
	emit(ctx, &r);
}

static enum db_rc item_rows(struct db *db, const struct ind_scope *s, int64_t after, int limit, ind_emit_fn emit,
			    void *ctx)
{
	return ind_rows_stmt(db, s, &is_sql[STMT_IS_ITEM_ROWS], period, 2, after, limit, item_row, NULL, emit, ctx);
}

/* The read rate over [prefix, end): read to the end over pushed (items × members). */
static enum db_rc rate_of(struct db *db, const struct ind_scope *s, const char *prefix, const char *end,
			  struct ind_value *v)
{
	struct db_stmt *st = db_prepare(db, &is_sql[STMT_IS_READ]);
	if (!st)
		return DB_ERROR;
	ind_bind(st, s, prefix, end, period, 2);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		v->den += db_col_int(st, IS_RD_DEN);
		v->num += db_col_int(st, IS_RD_NUM);
	}
	db_reset(st);
	return rc == DB_ROW ? DB_OK : rc == DB_DONE ? DB_ERROR : rc;
}

static enum db_rc rate_n(struct db *db, const struct ind_scope *s, struct ind_value *out)
{
	out->num = out->den = 0;
	for (size_t i = 0; i < s->n; i++) {
		enum db_rc rc = rate_of(db, s, s->prefix[i], s->end[i], out);
		if (rc != DB_OK)
			return rc;
	}
	if (out->den == 0)
		out->den = -1;
	return DB_OK;
}

/* The scope's branches, each with its own read rate. */
static enum db_rc rate_rows(struct db *db, const struct ind_scope *s, int64_t after, int limit, ind_emit_fn emit,
			    void *ctx)
{
	int left = limit;
	for (size_t i = 0; i < s->n && left > 0; i++) {
		struct db_stmt *st = db_prepare(db, &is_sql[STMT_IS_BRANCHES]);
		if (!st)
			return DB_ERROR;
		int n = ind_bind(st, s, s->prefix[i], s->end[i], NULL, 0);
		db_bind_int(st, n, after);
		db_bind_int(st, n + 1, left);
		/* the branches first, then their rates (one statement at a time) */
		struct br {
			int64_t id;
			const char *name, *path;
		} *b = arena_alloc(s->a, sizeof *b * (size_t)left);
		int nb = 0;
		enum db_rc rc;
		while ((rc = db_step(st)) == DB_ROW && nb < left) {
			b[nb].id = db_col_int(st, IS_BR_ID);
			b[nb].name = arena_strdup(s->a, db_col_text(st, IS_BR_NAME));
			b[nb].path = arena_strdup(s->a, db_col_text(st, IS_BR_PATH));
			nb++;
		}
		db_reset(st);
		if (rc != DB_DONE && rc != DB_ROW)
			return rc;
		for (int k = 0; k < nb; k++) {
			char *bend = arena_strdup(s->a, b[k].path);
			size_t len = strlen(bend);
			if (len < 2)
				continue;
			bend[len - 1] = '0';
			struct ind_value v = {0, 0};
			rc = rate_of(db, s, b[k].path, bend, &v);
			if (rc != DB_OK)
				return rc;
			const char *label =
				v.den > 0 ? arena_printf(s->a, "已读完 %lld / 应读 %lld · %.1f%%", (long long)v.num,
							 (long long)v.den, 100.0 * (double)v.num / (double)v.den)
					  : "期间内未推送学习专题";
			struct ind_row r = {b[k].id, label, "", b[k].name};
			emit(ctx, &r);
			left--;
		}
	}
	return DB_OK;
}

static const struct indicator study_indicators[] = {
	{"study.issues_published", "推送党建学习专题", "期", "学习专题",
	 "期间内由本级及下级党组织发布（审核通过并推送）的学习专题期数", false, issues_n, issue_rows, true},
	{"study.items_pushed", "推送党建学习专题内容", "条", "学习专题",
	 "期间内由本级及下级党组织发布的学习专题所含内容条数（文章、链接、视频、文档）", false, items_n, item_rows, true},
	{"study.read_rate", "学习专题阅读率", "%", "学习专题",
	 "期间内发布的学习专题推送给本级及下级党组织党员的内容中（条数 × 推送人数，按推送时所在组织），已读完的比例；明细为各党支部的阅读率",
	 true, rate_n, rate_rows, true},
};
INDICATOR_TABLE(study);
