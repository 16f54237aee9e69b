/* ind_meetings.c: the meetings' figures for the yearly report (model/indicators.h):
 * meetings.held (submitted or approved records held in the period), meetings.reviewed
 * (调阅: openings of records by a higher level in the period) and
 * meetings.compliance_rate (R-MTG-01: items of the cadence met over met + missing, for
 * the year the period ends in, as the heat-map counts them); the records held by type
 * (支部党员大会, 支委会, 党小组会, 党课, 主题党日, 组织生活会, 民主评议党员: one pass kept in the
 * scope's memo) and meetings.study_hours (each record's present count times its hours,
 * from the same pass, rounded to whole hours). */
#include "model/indicators.h"
#include "model/meeting.h"
#include "model/revcache.h"
#include <stdio.h>
#include <string.h>

enum ind_mtg_stmt {
	STMT_IM_HELD_ROWS,
	STMT_IM_VIEWS_N,
	STMT_IM_VIEWS_ROWS,
	STMT_IM_TYPES,
	STMT_IM_MONTHS,
	STMT_IM_REV,
	STMT_IM_TYPE_ROWS,
	STMT_IM_HOURS_ROWS,
	IND_MTG_STMT__MAX
};
enum im_row_col { IM_ID, IM_TYPE, IM_WHAT, IM_DATE, IM_ORG, IM_HOURS, IM_PRESENT };
enum im_type_col { IM_T_TYPE, IM_T_N, IM_T_HOURS };
enum im_rev_col { IM_R_REV, IM_R_EPOCH };

static const struct db_sql ind_mtg_sql[IND_MTG_STMT__MAX] = {
	/* $1/$2 range, $3/$4 dates */
	[STMT_IM_HELD_ROWS] = {"ind_mtg.held_rows",
	 "SELECT m.id, m.type, COALESCE(m.topic, ''), m.held_on, o.name FROM meetings m JOIN orgs o ON o.id = m.org_id"
	 " WHERE m.org_path >= $1 AND m.org_path < $2 AND m.held_on >= $3 AND m.held_on <= $4"
	 " AND m.status IN ('submitted', 'approved') AND m.id > $5 ORDER BY m.id LIMIT $6"},
	/* $3/$4: instants [from, to + 1 day) */
	[STMT_IM_VIEWS_N] = {"ind_mtg.views_n",
	 "SELECT COUNT(*) FROM meeting_views WHERE org_path >= $1 AND org_path < $2 AND viewed_at >= $3 AND viewed_at < $4"},
	[STMT_IM_VIEWS_ROWS] = {"ind_mtg.views_rows",
	 "SELECT v.id, m.type, COALESCE(v.viewer_name, ''), m.held_on, o.name FROM meeting_views v"
	 " JOIN meetings m ON m.id = v.meeting_id JOIN orgs o ON o.id = m.org_id"
	 " WHERE v.org_path >= $1 AND v.org_path < $2 AND v.viewed_at >= $3 AND v.viewed_at < $4 AND v.id > $5"
	 " ORDER BY v.id LIMIT $6"},
	/* by type, one pass for every type's figure (kept in the scope's memo) */
	/* a period's partial months (the whole months are read from the counters): by day
	 * first (0121 meetings_held), as the subtree's range may hold the district's 1.3M */
	[STMT_IM_TYPES] = {"ind_mtg.types",
	 "SELECT type, COUNT(*), COALESCE(SUM(present_count * hours_x10), 0) FROM meetings INDEXED BY meetings_held"
	 " WHERE org_path >= $1 AND org_path < $2 AND held_on >= $3 AND held_on <= $4"
	 " AND status IN ('submitted', 'approved') GROUP BY type",
	 "SELECT type, COUNT(*), COALESCE(SUM(present_count * hours_x10), 0) FROM meetings"
	 " WHERE org_path >= $1 AND org_path < $2 AND held_on >= $3 AND held_on <= $4"
	 " AND status IN ('submitted', 'approved') GROUP BY type"},
	/* the whole months [$2, $3] (YYYYMM) of the subtree whose root's path is $1: the
	 * counters kept by 0121's triggers for the root and every organization above */
	/* what the compliance pass reads, at this revision (0122), in this database (epoch) */
	[STMT_IM_REV] = {"ind_mtg.rev",
	 "SELECT r.rev, m.epoch FROM meeting_rev r CROSS JOIN member_rev m WHERE r.id = 1 AND m.id = 1"},
	[STMT_IM_MONTHS] = {"ind_mtg.months",
	 "SELECT type, COALESCE(SUM(n), 0), COALESCE(SUM(hours), 0) FROM meeting_month_counts"
	 " WHERE anc_path = $1 AND ym >= $2 AND ym <= $3 GROUP BY type"},
	[STMT_IM_TYPE_ROWS] = {"ind_mtg.type_rows",
	 "SELECT m.id, m.type, COALESCE(m.topic, ''), m.held_on, o.name FROM meetings m JOIN orgs o ON o.id = m.org_id"
	 " WHERE m.org_path >= $1 AND m.org_path < $2 AND m.held_on >= $3 AND m.held_on <= $4"
	 " AND m.status IN ('submitted', 'approved') AND m.type = $5 AND m.id > $6 ORDER BY m.id LIMIT $7"},
	/* study hours: each present member credited with the meeting's hours (tenths), as
	 * the record's present count says (the attendance lines may be absent) */
	[STMT_IM_HOURS_ROWS] = {"ind_mtg.hours_rows",
	 "SELECT m.id, m.type, COALESCE(m.topic, ''), m.held_on, o.name, m.hours_x10,"
	 " m.present_count FROM meetings m JOIN orgs o ON o.id = m.org_id"
	 " WHERE m.org_path >= $1 AND m.org_path < $2 AND m.held_on >= $3 AND m.held_on <= $4"
	 " AND m.status IN ('submitted', 'approved') AND m.hours_x10 > 0 AND m.present_count > 0 AND m.id > $5"
	 " ORDER BY m.id LIMIT $6"},
};
DB_SQL_TABLE(ind_meetings, ind_mtg_sql);

/* [$3, $4]: the period's dates, or (instants) [from, to + 1 day) in seconds */
static size_t period(const struct ind_scope *s, bool instants, struct ind_param p[2])
{
	if (instants) {
		p[0] = (struct ind_param){IND_P_INT, date_to_days(s->from) * 86400, NULL};
		p[1] = (struct ind_param){IND_P_INT, (date_to_days(s->to) + 1) * 86400, NULL};
	} else {
		p[0] = (struct ind_param){IND_P_FROM, 0, NULL};
		p[1] = (struct ind_param){IND_P_TO, 0, NULL};
	}
	return 2;
}

static enum db_rc count(struct db *db, const struct ind_scope *s, enum ind_mtg_stmt which, bool instants,
			struct ind_value *out)
{
	struct ind_param p[2];
	out->den = 0;
	return ind_count_stmt(db, s, &ind_mtg_sql[which], p, period(s, instants, p), DB_COL_ONLY, &out->num);
}

/* arg: the statement (the hours' rows say the hours) */
static void row(struct db_stmt *st, const struct ind_scope *s, const void *arg, ind_emit_fn emit, void *ctx)
{
	(void)s;
	enum ind_mtg_stmt which = *(const enum ind_mtg_stmt *)arg;
	const char *tn = mtg_type_name((int)db_col_int(st, IM_TYPE));
	const char *what = db_col_text(st, IM_WHAT);
	char label[256];
	if (which == STMT_IM_HOURS_ROWS) {
		int64_t h = db_col_int(st, IM_HOURS);
		snprintf(label, sizeof label, "%s · %s · %lld 人 × %lld.%lld 小时", tn ? tn : "", what ? what : "",
			 (long long)db_col_int(st, IM_PRESENT), (long long)(h / 10), (long long)(h % 10));
	} else
		snprintf(label, sizeof label, "%s · %s", tn ? tn : "", what ? what : "");
	const char *date = db_col_text(st, IM_DATE);
	struct ind_row r = {db_col_int(st, IM_ID), label, date ? date : "", db_col_text(st, IM_ORG)};
	emit(ctx, &r);
}

/* type: $5 of the type's rows */
static enum db_rc rows(struct db *db, const struct ind_scope *s, enum ind_mtg_stmt which, bool instants, int type,
		       int64_t after, int limit, ind_emit_fn emit, void *ctx)
{
	struct ind_param p[3];
	size_t np = period(s, instants, p);
	if (which == STMT_IM_TYPE_ROWS)
		p[np++] = (struct ind_param){IND_P_INT, type, NULL};
	return ind_rows_stmt(db, s, &ind_mtg_sql[which], p, np, after, limit, row, &which, emit, ctx);
}

static enum db_rc type_counts(struct db *db, const struct ind_scope *s, int64_t counts[MTG_TYPE__MAX]);
/* the records held are those of every type (0071: type BETWEEN 1 AND 7): the sum of the
 * type pass, not a pass of its own */
static enum db_rc held_n(struct db *db, const struct ind_scope *s, struct ind_value *out)
{
	int64_t counts[MTG_TYPE__MAX];
	enum db_rc rc = type_counts(db, s, counts);
	out->num = out->den = 0;
	for (int t = 1; rc == DB_OK && t < MTG_TYPE__MAX; t++)
		out->num += counts[t];
	return rc;
}

static enum db_rc held_rows(struct db *db, const struct ind_scope *s, int64_t after, int limit, ind_emit_fn emit,
			    void *ctx)
{
	return rows(db, s, STMT_IM_HELD_ROWS, false, 0, after, limit, emit, ctx);
}

static enum db_rc reviewed_n(struct db *db, const struct ind_scope *s, struct ind_value *out)
{
	return count(db, s, STMT_IM_VIEWS_N, true, out);
}

static enum db_rc reviewed_rows(struct db *db, const struct ind_scope *s, int64_t after, int limit, ind_emit_fn emit,
				void *ctx)
{
	return rows(db, s, STMT_IM_VIEWS_ROWS, true, 0, after, limit, emit, ctx);
}

/* The counts of every type over the scope ([0]: the study hours in tenths), computed
 * once per memo. */
static enum db_rc type_counts(struct db *db, const struct ind_scope *s, int64_t counts[MTG_TYPE__MAX])
{
	bool fresh = true;
	int64_t *kept = ind_memo(s, "meetings.types", sizeof(int64_t) * MTG_TYPE__MAX, NULL, &fresh);
	if (kept && !fresh) {
		memcpy(counts, kept, sizeof(int64_t) * MTG_TYPE__MAX);
		return DB_OK;
	}
	memset(counts, 0, sizeof(int64_t) * MTG_TYPE__MAX);
	/* the whole months of the period from the counters, the days of its partial
	 * months (the first's from `from`, the last's up to `to`) from the records */
	struct date first = s->from.d == 1 ? s->from : date_add_months((struct date){s->from.y, s->from.m, 1}, 1);
	struct date after_to = date_from_days(date_to_days(s->to) + 1);
	struct date last = after_to.d == 1 ? s->to : date_from_days(date_to_days((struct date){s->to.y, s->to.m, 1}) - 1);
	bool months = date_to_days(first) <= date_to_days(last);
	struct {
		struct date from, to;
	} edge[2];
	int nedge = 0;
	if (!months)
		edge[nedge].from = s->from, edge[nedge++].to = s->to;
	else {
		if (date_to_days(first) > date_to_days(s->from))
			edge[nedge].from = s->from, edge[nedge++].to = date_from_days(date_to_days(first) - 1);
		if (date_to_days(last) < date_to_days(s->to))
			edge[nedge].from = date_from_days(date_to_days(last) + 1), edge[nedge++].to = s->to;
	}
	for (size_t i = 0; i < s->n; i++)
		for (int e = -1; e < nedge; e++) {
			if (e < 0 && !months)
				continue;
			struct db_stmt *st = db_prepare(db, &ind_mtg_sql[e < 0 ? STMT_IM_MONTHS : STMT_IM_TYPES]);
			if (!st)
				return DB_ERROR;
			if (e < 0) {
				db_bind_text(st, 1, s->prefix[i], -1);
				db_bind_int(st, 2, first.y * 100 + first.m);
				db_bind_int(st, 3, last.y * 100 + last.m);
			} else {
				struct ind_scope part = *s;
				part.from = edge[e].from, part.to = edge[e].to;
				struct ind_param p[2];
				ind_bind(st, &part, part.prefix[i], part.end[i], p, period(&part, false, p));
			}
			enum db_rc rc;
			while ((rc = db_step(st)) == DB_ROW) {
				int64_t t = db_col_int(st, IM_T_TYPE);
				if (t > 0 && t < MTG_TYPE__MAX)
					counts[t] += db_col_int(st, IM_T_N);
				counts[0] += db_col_int(st, IM_T_HOURS);
			}
			db_reset(st);
			if (rc != DB_DONE)
				return rc;
		}
	if (kept)
		memcpy(kept, counts, sizeof(int64_t) * MTG_TYPE__MAX);
	return DB_OK;
}

static enum db_rc type_n(struct db *db, const struct ind_scope *s, int type, struct ind_value *out)
{
	int64_t counts[MTG_TYPE__MAX];
	enum db_rc rc = type_counts(db, s, counts);
	out->num = rc == DB_OK ? counts[type] : 0;
	out->den = 0;
	return rc;
}

/* one figure per type: its count and its records */
#define MTG_TYPE_FIGURE(fn, type)                                                                                  \
	static enum db_rc fn##_n(struct db *db, const struct ind_scope *s, struct ind_value *out)                  \
	{                                                                                                          \
		return type_n(db, s, type, out);                                                                   \
	}                                                                                                          \
	static enum db_rc fn##_rows(struct db *db, const struct ind_scope *s, int64_t after, int limit,            \
				    ind_emit_fn emit, void *ctx)                                                   \
	{                                                                                                          \
		return rows(db, s, STMT_IM_TYPE_ROWS, false, type, after, limit, emit, ctx);                       \
	}
MTG_TYPE_FIGURE(general, MTG_GENERAL)
MTG_TYPE_FIGURE(committee, MTG_COMMITTEE)
MTG_TYPE_FIGURE(group, MTG_GROUP)
MTG_TYPE_FIGURE(lecture, MTG_LECTURE)
MTG_TYPE_FIGURE(theme_day, MTG_THEME_DAY)
MTG_TYPE_FIGURE(life, MTG_LIFE)
MTG_TYPE_FIGURE(appraisal, MTG_APPRAISAL)

/* study hours: the tenths summed, shown rounded to whole hours */
static enum db_rc hours_n(struct db *db, const struct ind_scope *s, struct ind_value *out)
{
	enum db_rc rc = type_n(db, s, 0, out);
	out->num = (out->num + 5) / 10;
	return rc;
}

static enum db_rc hours_rows(struct db *db, const struct ind_scope *s, int64_t after, int limit, ind_emit_fn emit,
			     void *ctx)
{
	return rows(db, s, STMT_IM_HOURS_ROWS, false, 0, after, limit, emit, ctx);
}

/* The compliance pass's met and missing of a subtree, year and day, kept at the
 * revision of what it reads (0122 meeting_rev): 首页 asks for this year's and last
 * year's at every load, and the pass walks every branch of the subtree. */
struct rate_kept {
	int64_t met, missing;
};
REVCACHE_DEFINE(rate_cache, 32, struct rate_kept);

static enum db_rc rate_rev(struct db *db, int64_t *rev, int64_t *epoch)
{
	struct db_stmt *st = db_prepare(db, &ind_mtg_sql[STMT_IM_REV]);
	if (!st)
		return DB_ERROR;
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		*rev = db_col_int(st, IM_R_REV);
		*epoch = db_col_int(st, IM_R_EPOCH);
	}
	db_reset(st);
	return rc == DB_ROW ? DB_OK : rc == DB_DONE ? DB_ERROR : rc;
}

static enum db_rc rate_n(struct db *db, const struct ind_scope *s, struct ind_value *out)
{
	out->num = out->den = 0;
	int64_t rev = -1, epoch = 0;
	if (rate_rev(db, &rev, &epoch) != DB_OK)
		rev = -1; /* not kept */
	/* the key's day: today, and the year in the high bits */
	int64_t day = date_to_days(s->today) * 10000 + s->to.y;
	for (size_t i = 0; i < s->n; i++) {
		struct rate_kept k;
		if (rev < 0 || !revcache_get(&rate_cache, s->prefix[i], epoch, rev, day, &k)) {
			struct mtg_heat_opts o = {s->prefix[i], s->end[i], s->to.y, s->today, 0, 0, 0};
			enum db_rc rc;
			json_t *h = mtg_heatmap(db, s->a, &o, &rc);
			if (!h)
				return rc;
			k.met = json_integer_value(json_object_get(h, "met"));
			k.missing = json_integer_value(json_object_get(h, "missing"));
			json_decref(h);
			if (rev >= 0)
				revcache_put(&rate_cache, s->prefix[i], epoch, rev, day, &k);
		}
		out->num += k.met;
		out->den += k.met + k.missing;
	}
	if (out->den == 0)
		out->den = -1;
	return DB_OK;
}

static const struct indicator meetings_indicators[] = {
	{"meetings.held", "“三会一课”记录", "次", "三会一课", "期间内召开并已提交或审核通过的“三会一课”及组织生活会议记录次数",
	 false, held_n, held_rows, true},
	{"meetings.reviewed", "调阅“三会一课”记录", "条", "三会一课", "期间内上级党组织打开下级已提交会议记录的次数（每次打开计一次调阅）",
	 false, reviewed_n, reviewed_rows, true},
	{"meetings.compliance_rate", "“三会一课”落实率", "%", "三会一课",
	 "期末所在年度按会议频次要求（R-MTG-01）已开展项占已开展与缺项之和的比例，免于考核的期间不计", true, rate_n, NULL, true},
	{"meetings.general", "召开支部党员大会", "次", "三会一课", "期间内召开并已提交或审核通过的支部党员大会记录次数", false,
	 general_n, general_rows, true},
	{"meetings.committee", "召开支部委员会会议", "次", "三会一课", "期间内召开并已提交或审核通过的支部委员会会议记录次数",
	 false, committee_n, committee_rows, true},
	{"meetings.group", "召开党小组会", "次", "三会一课", "期间内召开并已提交或审核通过的党小组会记录次数", false, group_n,
	 group_rows, true},
	{"meetings.lecture", "讲党课", "次", "三会一课", "期间内开展并已提交或审核通过的党课记录次数", false, lecture_n,
	 lecture_rows, true},
	{"meetings.theme_day", "开展主题党日", "次", "三会一课", "期间内开展并已提交或审核通过的主题党日活动记录次数", false,
	 theme_day_n, theme_day_rows, true},
	{"meetings.life", "召开组织生活会", "次", "三会一课", "期间内召开并已提交或审核通过的组织生活会记录次数", false, life_n,
	 life_rows, true},
	{"meetings.appraisal", "开展民主评议党员", "次", "三会一课", "期间内开展并已提交或审核通过的民主评议党员会议记录次数",
	 false, appraisal_n, appraisal_rows, true},
	{"meetings.study_hours", "党员参加组织生活学时", "小时", "三会一课",
	 "期间内已提交或审核通过的会议记录中，每次会议的到会党员人数乘以该次会议学时之和，四舍五入到整小时（请假、缺席不计）",
	 false, hours_n,
	 hours_rows, true},
};
INDICATOR_TABLE(meetings);
