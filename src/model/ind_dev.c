/* ind_dev.c: 发展党员's figures for the yearly report (model/indicators.h, issue 19):
 * developed in the period (approved at step 17, D(17) in the period; the withdrawn
 * not counted), and of those: under 35 on D(17), 大专及以上 (GB/T 4658 10–39), from
 * 两新 organizations, women, ethnic minorities. The same figures as
 * GET /stats/development (model/dev.c dev_stats_range), with the records behind each. */
#include "model/dev.h"
#include "model/indicators.h"
#include <stdio.h>
#include <string.h>

enum ind_dev_stmt { STMT_IND_DEV_ROWS, IND_DEV_STMT__MAX };
/* ind_dev.rows' rows */
enum ind_dev_col { IND_DEV_COL_ID, IND_DEV_COL_NAME, IND_DEV_COL_DATE, IND_DEV_COL_ORG, IND_DEV_COL_STEP };

static const struct db_sql ind_dev_sql[IND_DEV_STMT__MAX] = {
	/* [$1, $2) the subtree, [$3, $4] the period, $5 the kind (0 all, 1 under 35,
	 * 2 大专及以上, 3 两新, 4 women, 5 minorities), id > $6, $7 rows */
	[STMT_IND_DEV_ROWS] = {"ind_dev.rows",
	 "SELECT a.id, a.name, a.approved_on, o.name, a.last_step FROM dev_applicants a JOIN orgs o ON o.id = a.org_id"
	 " WHERE a.org_path >= $1 AND a.org_path < $2 AND a.approved_on >= $3 AND a.approved_on <= $4"
	 " AND a.status <> 'withdrawn' AND ($5 = 0 OR ($5 = 1 AND a.approved_age < 35)"
	 " OR ($5 = 2 AND a.education >= '10' AND a.education < '40') OR ($5 = 3 AND a.two_new = 1)"
	 " OR ($5 = 4 AND a.sex = '2') OR ($5 = 5 AND a.ethnicity <> '01'))"
	 " AND a.id > $6 ORDER BY a.id LIMIT $7"},
};
DB_SQL_TABLE(ind_dev, ind_dev_sql);

static enum db_rc count(struct db *db, const struct ind_scope *s, int kind, struct ind_value *out)
{
	struct dev_stats st;
	memset(&st, 0, sizeof st);
	char from[11], to[11];
	date_format(s->from, from);
	date_format(s->to, to);
	for (size_t i = 0; i < s->n; i++) {
		enum db_rc rc = dev_stats_range(db, s->prefix[i], s->end[i], from, to, &st);
		if (rc != DB_OK)
			return rc;
	}
	const int64_t v[] = {st.developed, st.under_35, st.college_plus, st.two_new, st.women, st.minorities};
	out->num = v[kind];
	out->den = 0;
	return DB_OK;
}

static void row(struct db_stmt *st, const struct ind_scope *s, const void *arg, ind_emit_fn emit, void *ctx)
{
	(void)s, (void)arg;
	const char *name = db_col_text(st, IND_DEV_COL_NAME);
	const struct dev_step_def *def = dev_step_def((int)db_col_int(st, IND_DEV_COL_STEP));
	char label[256];
	snprintf(label, sizeof label, "%s · %s", name ? name : "", def ? dev_stage_name(def->stage) : "");
	struct ind_row r = {db_col_int(st, IND_DEV_COL_ID), label, db_col_text(st, IND_DEV_COL_DATE),
			    db_col_text(st, IND_DEV_COL_ORG)};
	emit(ctx, &r);
}

static enum db_rc rows(struct db *db, const struct ind_scope *s, int kind, int64_t after, int limit,
		       ind_emit_fn emit, void *ctx)
{
	const struct ind_param p[] = {IND_P_DATES, {IND_P_INT, kind, NULL}};
	return ind_rows_stmt(db, s, &ind_dev_sql[STMT_IND_DEV_ROWS], p, 3, after, limit, row, NULL, emit, ctx);
}

#define DEV_FNS(fn, kind)                                                                                     \
	static enum db_rc fn##_n(struct db *db, const struct ind_scope *s, struct ind_value *out)              \
	{                                                                                                     \
		return count(db, s, kind, out);                                                               \
	}                                                                                                     \
	static enum db_rc fn##_rows(struct db *db, const struct ind_scope *s, int64_t after, int limit,      \
				    ind_emit_fn emit, void *ctx)                                              \
	{                                                                                                     \
		return rows(db, s, kind, after, limit, emit, ctx);                                            \
	}
DEV_FNS(d_total, 0)
DEV_FNS(d_under35, 1)
DEV_FNS(d_college, 2)
DEV_FNS(d_two_new, 3)
DEV_FNS(d_women, 4)
DEV_FNS(d_minority, 5)

static const struct indicator development_indicators[] = {
	{"development.developed", "发展党员人数", "人", "发展党员", "上级党委审批（第17步）日期在本期内的发展对象人数，已终止的不计",
	 false, d_total_n, d_total_rows, true},
	{"development.under_35", "发展 35 岁以下党员", "人", "发展党员", "审批之日未满 35 周岁的发展党员人数", false,
	 d_under35_n, d_under35_rows, true},
	{"development.college_plus", "发展大专以上学历党员", "人", "发展党员",
	 "学历为大专及以上（GB/T 4658 代码 10–39）的发展党员人数", false, d_college_n, d_college_rows, true},
	{"development.two_new", "发展“两新”组织党员", "人", "发展党员", "工作单位为“两新”组织的发展党员人数", false,
	 d_two_new_n, d_two_new_rows, true},
	{"development.women", "发展党员中女性", "人", "发展党员", "发展党员中的女性人数", false, d_women_n, d_women_rows, true},
	{"development.minorities", "发展党员中少数民族", "人", "发展党员", "发展党员中的少数民族人数", false, d_minority_n,
	 d_minority_rows, true},
};
INDICATOR_TABLE(development);
