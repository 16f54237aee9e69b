/* ind_bases.c: the bases' indicators of the yearly report (issue 19's planned keys):
 * bases run in a subtree (as they stand), bookings received (批) from its organizations
 * for visits in the period, the visits held (批: checked in or completed) and the members
 * who visited (人次: the attendance recorded at check-in). Each with the records behind it. */
#include "model/indicators.h"
#include <string.h>

enum ind_bases_stmt { STMT_IB_BASES, STMT_IB_BASE_ROWS, STMT_IB_BOOKINGS, STMT_IB_BOOKING_ROWS, IB_STMT__MAX };
enum ib_bk_col { IB_BK_COL_N, IB_BK_COL_VISITORS, IB_BK_COL_HELD };
enum ib_bk_what { IB_RECEIVED, IB_VISITORS, IB_HELD };
enum ib_base_row_col { IB_BR_COL_ID, IB_BR_COL_NAME, IB_BR_COL_KIND, IB_BR_COL_ORG };
enum ib_bk_row_col { IB_KR_COL_ID, IB_KR_COL_BASE, IB_KR_COL_STATUS, IB_KR_COL_DAY, IB_KR_COL_ORG, IB_KR_COL_ATTENDED };

static const struct db_sql ib_sql[IB_STMT__MAX] = {
	[STMT_IB_BASES] = {"ind.bases",
	 "SELECT COUNT(*) FROM bases b JOIN orgs o ON o.id = b.org_id WHERE o.path >= $1 AND o.path < $2"},
	[STMT_IB_BASE_ROWS] = {"ind.base_rows",
	 "SELECT b.id, b.name, b.kind, o.name FROM bases b JOIN orgs o ON o.id = b.org_id"
	 " WHERE o.path >= $1 AND o.path < $2 AND b.id > $3 ORDER BY b.id LIMIT $4"},
	[STMT_IB_BOOKINGS] = {"ind.base_bookings",
	 "SELECT COUNT(*), COALESCE(SUM(CASE WHEN status IN ('checked_in', 'completed') THEN COALESCE(attended, 0)"
	 " ELSE 0 END), 0),"
	 " COALESCE(SUM(CASE WHEN status IN ('checked_in', 'completed') THEN 1 ELSE 0 END), 0)"
	 " FROM base_bookings WHERE org_path >= $1 AND org_path < $2 AND day >= $3 AND day <= $4"},
	/* $5: 1 for the visits only (checked in or completed) */
	[STMT_IB_BOOKING_ROWS] = {"ind.base_booking_rows",
	 "SELECT k.id, b.name, k.status, k.day, o.name, COALESCE(k.attended, 0) FROM base_bookings k"
	 " JOIN bases b ON b.id = k.base_id JOIN orgs o ON o.id = k.org_id"
	 " WHERE k.org_path >= $1 AND k.org_path < $2 AND k.day >= $3 AND k.day <= $4"
	 " AND (CAST($5 AS BIGINT) = 0 OR k.status IN ('checked_in', 'completed')) AND k.id > $6 ORDER BY k.id LIMIT $7"},
};
DB_SQL_TABLE(ind_bases, ib_sql);

static enum db_rc bases_n(struct db *db, const struct ind_scope *s, struct ind_value *out)
{
	out->den = 0;
	return ind_count_stmt(db, s, &ib_sql[STMT_IB_BASES], NULL, 0, DB_COL_ONLY, &out->num);
}

static void base_row(struct db_stmt *st, const struct ind_scope *s, const void *arg, ind_emit_fn emit, void *ctx)
{
	(void)arg;
	struct ind_row r = {db_col_int(st, IB_BR_COL_ID),
			    arena_printf(s->a, "%s · %s", db_col_text(st, IB_BR_COL_NAME), db_col_text(st, IB_BR_COL_KIND)),
			    "", arena_strdup(s->a, db_col_text(st, IB_BR_COL_ORG))};
	emit(ctx, &r);
}

static enum db_rc bases_rows(struct db *db, const struct ind_scope *s, int64_t after, int limit, ind_emit_fn emit,
			     void *ctx)
{
	return ind_rows_stmt(db, s, &ib_sql[STMT_IB_BASE_ROWS], NULL, 0, after, limit, base_row, NULL, emit, ctx);
}

static enum db_rc bookings_sum(struct db *db, const struct ind_scope *s, enum ib_bk_what what, struct ind_value *out)
{
	static const struct ind_param period[] = {IND_P_DATES};
	out->den = 0;
	return ind_count_stmt(db, s, &ib_sql[STMT_IB_BOOKINGS], period, 2,
			      what == IB_VISITORS ? IB_BK_COL_VISITORS : what == IB_HELD ? IB_BK_COL_HELD : IB_BK_COL_N,
			      &out->num);
}

/* arg: the visits only (a bool) */
static void booking_row(struct db_stmt *st, const struct ind_scope *s, const void *arg, ind_emit_fn emit, void *ctx)
{
	static const char *const names[][2] = {{"requested", "待审批"}, {"approved", "已同意"}, {"declined", "已拒绝"},
					       {"checked_in", "已签到"},  {"completed", "已完成"}, {"no_show", "未到"},
					       {"cancelled", "已取消"},   {"waitlisted", "候补中"}};
	bool visits = *(const bool *)arg;
	const char *status = db_col_text(st, IB_KR_COL_STATUS), *shown = status;
	for (size_t k = 0; status && k < sizeof names / sizeof names[0]; k++)
		if (strcmp(names[k][0], status) == 0)
			shown = names[k][1];
	const char *label = visits ? arena_printf(s->a, "%s · %lld 人", db_col_text(st, IB_KR_COL_BASE),
						  (long long)db_col_int(st, IB_KR_COL_ATTENDED))
				   : arena_printf(s->a, "%s · %s", db_col_text(st, IB_KR_COL_BASE), shown ? shown : "");
	struct ind_row r = {db_col_int(st, IB_KR_COL_ID), label, arena_strdup(s->a, db_col_text(st, IB_KR_COL_DAY)),
			    arena_strdup(s->a, db_col_text(st, IB_KR_COL_ORG))};
	emit(ctx, &r);
}

static enum db_rc booking_rows(struct db *db, const struct ind_scope *s, bool visits, int64_t after, int limit,
			       ind_emit_fn emit, void *ctx)
{
	const struct ind_param p[] = {IND_P_DATES, {IND_P_INT, visits, NULL}};
	return ind_rows_stmt(db, s, &ib_sql[STMT_IB_BOOKING_ROWS], p, 3, after, limit, booking_row, &visits, emit, ctx);
}

static enum db_rc received_n(struct db *db, const struct ind_scope *s, struct ind_value *out)
{
	return bookings_sum(db, s, IB_RECEIVED, out);
}
static enum db_rc received_rows(struct db *db, const struct ind_scope *s, int64_t after, int limit, ind_emit_fn emit,
				void *ctx)
{
	return booking_rows(db, s, false, after, limit, emit, ctx);
}
static enum db_rc visitors_n(struct db *db, const struct ind_scope *s, struct ind_value *out)
{
	return bookings_sum(db, s, IB_VISITORS, out);
}
static enum db_rc visitors_rows(struct db *db, const struct ind_scope *s, int64_t after, int limit, ind_emit_fn emit,
				void *ctx)
{
	return booking_rows(db, s, true, after, limit, emit, ctx);
}

static enum db_rc held_n(struct db *db, const struct ind_scope *s, struct ind_value *out)
{
	return bookings_sum(db, s, IB_HELD, out);
}

static const struct indicator bases_indicators[] = {
	{"bases.total", "开放式组织生活基地", "个", "组织生活基地", "由本级及下级党组织运营的开放式组织生活基地个数", false,
	 bases_n, bases_rows, false},
	{"bases.bookings_received", "受理基地网上预约", "批", "组织生活基地",
	 "本级及下级党组织在网上预约、活动日期在统计期内的基地预约批次（各种状态）", false, received_n, received_rows, true},
	{"bases.visitors", "到基地开展活动党员", "人次", "组织生活基地",
	 "统计期内已签到或已完成的基地活动中，基地登记的到场人数之和", false, visitors_n, visitors_rows, true},
	{"bases.bookings_completed", "到基地开展活动", "批", "组织生活基地",
	 "本级及下级党组织预约、活动日期在统计期内且已签到或已完成（活动已开展）的基地预约批次", false, held_n,
	 visitors_rows, true},
};
INDICATOR_TABLE(bases);
