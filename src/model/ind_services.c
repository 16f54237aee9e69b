/* ind_services.c: the yearly report's 三社联动 figures (issue 18 → issue 19's planned keys):
 * requests accepted (受理) and completed (办结) in the period, and the satisfaction
 * rate (satisfied ÷ rated, DOMAIN.md §7) of those rated in the period. The period's
 * dates are China time days. Rows name the service and the community, never a person. */
#include "model/indicators.h"
#include "model/service.h"
#include <stdio.h>

enum ind_svc_stmt { STMT_IND_SVC_COUNT, STMT_IND_SVC_ROWS, IND_SVC_STMT__MAX };
enum ind_svc_row_col { IND_SVC_COL_ID, IND_SVC_COL_SERVICE, IND_SVC_COL_AT, IND_SVC_COL_ORG };
/* $1 prefix, $2 end, $3 from, $4 to (instants, inclusive), $5 which: 0 accepted (by
 * requested_at), 1 completed (by completed_at), 2 rated (by rated_at), 3 satisfied */
#define IND_SVC_WHERE                                                                                        \
	" WHERE r.org_path >= $1 AND r.org_path < $2 AND CASE CAST($5 AS BIGINT) WHEN 0 THEN r.requested_at"     \
	" WHEN 1 THEN r.completed_at ELSE r.rated_at END BETWEEN $3 AND $4"                                      \
	" AND (CAST($5 AS BIGINT) <> 3 OR r.rating = 'satisfied')"
static const struct db_sql ind_svc_sql[IND_SVC_STMT__MAX] = {
	[STMT_IND_SVC_COUNT] = {"ind_svc.count", "SELECT COUNT(*) FROM svc_requests r" IND_SVC_WHERE},
	[STMT_IND_SVC_ROWS] = {"ind_svc.rows",
	 "SELECT r.id, s.name, CASE CAST($5 AS BIGINT) WHEN 0 THEN r.requested_at WHEN 1 THEN r.completed_at ELSE r.rated_at END, o.name"
	 " FROM svc_requests r JOIN svc_services s ON s.id = r.service_id JOIN orgs o ON o.id = r.org_id" IND_SVC_WHERE
	 " AND r.id > $6 ORDER BY r.id LIMIT $7"},
};
DB_SQL_TABLE(ind_svc, ind_svc_sql);

#define CN (8 * 3600)

static void period(const struct ind_scope *s, int64_t *from, int64_t *to)
{
	*from = date_to_days(s->from) * 86400 - CN;
	*to = (date_to_days(s->to) + 1) * 86400 - CN - 1;
}

static enum db_rc count(struct db *db, const struct ind_scope *s, int which, int64_t *n)
{
	int64_t from, to;
	period(s, &from, &to);
	const struct ind_param p[] = {{IND_P_INT, from, NULL}, {IND_P_INT, to, NULL}, {IND_P_INT, which, NULL}};
	return ind_count_stmt(db, s, &ind_svc_sql[STMT_IND_SVC_COUNT], p, 3, DB_COL_ONLY, n);
}

static void row(struct db_stmt *st, const struct ind_scope *s, const void *arg, ind_emit_fn emit, void *ctx)
{
	(void)s, (void)arg;
	char label[160], day[11];
	snprintf(label, sizeof label, "第 %lld 号 · %s", (long long)db_col_int(st, IND_SVC_COL_ID),
		 db_col_text(st, IND_SVC_COL_SERVICE));
	date_format(date_from_days((db_col_int(st, IND_SVC_COL_AT) + CN) / 86400), day);
	struct ind_row r = {db_col_int(st, IND_SVC_COL_ID), label, day, db_col_text(st, IND_SVC_COL_ORG)};
	emit(ctx, &r);
}

static enum db_rc rows(struct db *db, const struct ind_scope *s, int which, int64_t after, int limit, ind_emit_fn emit,
		       void *ctx)
{
	int64_t from, to;
	period(s, &from, &to);
	const struct ind_param p[] = {{IND_P_INT, from, NULL}, {IND_P_INT, to, NULL}, {IND_P_INT, which, NULL}};
	return ind_rows_stmt(db, s, &ind_svc_sql[STMT_IND_SVC_ROWS], p, 3, after, limit, row, NULL, emit, ctx);
}

static enum db_rc accepted_n(struct db *db, const struct ind_scope *s, struct ind_value *out)
{
	out->den = 0;
	return count(db, s, 0, &out->num);
}

static enum db_rc accepted_rows(struct db *db, const struct ind_scope *s, int64_t after, int limit, ind_emit_fn emit,
				void *ctx)
{
	return rows(db, s, 0, after, limit, emit, ctx);
}

static enum db_rc completed_n(struct db *db, const struct ind_scope *s, struct ind_value *out)
{
	out->den = 0;
	return count(db, s, 1, &out->num);
}

static enum db_rc completed_rows(struct db *db, const struct ind_scope *s, int64_t after, int limit, ind_emit_fn emit,
				 void *ctx)
{
	return rows(db, s, 1, after, limit, emit, ctx);
}

static enum db_rc rate_n(struct db *db, const struct ind_scope *s, struct ind_value *out)
{
	enum db_rc rc = count(db, s, 3, &out->num);
	if (rc == DB_OK)
		rc = count(db, s, 2, &out->den);
	if (rc == DB_OK && out->den == 0)
		out->den = -1;
	return rc;
}

static enum db_rc rated_rows(struct db *db, const struct ind_scope *s, int64_t after, int limit, ind_emit_fn emit,
			     void *ctx)
{
	return rows(db, s, 2, after, limit, emit, ctx);
}

static const struct indicator ind_services_indicators[] = {
	{"services.accepted", "受理服务事项", "项", "三社联动", "期间内受理（提交）的服务诉求数，含各渠道", false, accepted_n,
	 accepted_rows, true},
	{"services.completed", "办结服务事项", "项", "三社联动", "期间内办结的服务诉求数（含已评价）", false, completed_n,
	 completed_rows, true},
	{"services.satisfaction_rate", "群众满意率", "%", "三社联动",
	 "期间内评价为“满意”的诉求数 ÷ 期间内参评的诉求数（基本满意、不满意不计入满意）", true, rate_n, rated_rows, true},
};
INDICATOR_TABLE(ind_services);
