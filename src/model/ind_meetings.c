/* ind_meetings.c: the meetings' figures for the yearly report (model/indicators.h):
 * meetings.held (submitted or approved records held in the period), meetings.reviewed
 * (调阅: openings of records by a higher level in the period) and
 * meetings.compliance_rate (R-MTG-01: items of the cadence met over met + missing, for
 * the year the period ends in, as the heat-map counts them). */
#include "model/indicators.h"
#include "model/meeting.h"
#include <stdio.h>
#include <string.h>

enum ind_mtg_stmt { STMT_IM_HELD_N, STMT_IM_HELD_ROWS, STMT_IM_VIEWS_N, STMT_IM_VIEWS_ROWS, IND_MTG_STMT__MAX };
enum im_row_col { IM_ID, IM_TYPE, IM_WHAT, IM_DATE, IM_ORG };

static const struct db_sql ind_mtg_sql[IND_MTG_STMT__MAX] = {
	/* $1/$2 range, $3/$4 dates */
	[STMT_IM_HELD_N] = {"ind_mtg.held_n",
	 "SELECT COUNT(*) FROM meetings WHERE org_path >= $1 AND org_path < $2 AND held_on >= $3 AND held_on <= $4"
	 " AND status IN ('submitted', 'approved')"},
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
};
DB_SQL_TABLE(ind_meetings, ind_mtg_sql);

static void bind_period(struct db_stmt *st, const struct ind_scope *s, size_t i, bool instants)
{
	db_bind_text(st, 1, s->prefix[i], -1);
	db_bind_text(st, 2, s->end[i], -1);
	if (instants) {
		db_bind_int(st, 3, date_to_days(s->from) * 86400);
		db_bind_int(st, 4, (date_to_days(s->to) + 1) * 86400);
	} else {
		char f[11], t[11];
		date_format(s->from, f);
		date_format(s->to, t);
		db_bind_text(st, 3, f, -1);
		db_bind_text(st, 4, t, -1);
	}
}

static enum db_rc count(struct db *db, const struct ind_scope *s, enum ind_mtg_stmt which, bool instants,
			struct ind_value *out)
{
	out->num = out->den = 0;
	for (size_t i = 0; i < s->n; i++) {
		struct db_stmt *st = db_prepare(db, &ind_mtg_sql[which]);
		if (!st)
			return DB_ERROR;
		bind_period(st, s, i, instants);
		enum db_rc rc = db_step(st);
		if (rc != DB_ROW)
			return rc == DB_DONE ? DB_ERROR : rc;
		out->num += db_col_int(st, DB_COL_ONLY);
		db_reset(st);
	}
	return DB_OK;
}

static enum db_rc rows(struct db *db, const struct ind_scope *s, enum ind_mtg_stmt which, bool instants, int64_t after,
		       int limit, ind_emit_fn emit, void *ctx)
{
	int left = limit;
	for (size_t i = 0; i < s->n && left > 0; i++) {
		struct db_stmt *st = db_prepare(db, &ind_mtg_sql[which]);
		if (!st)
			return DB_ERROR;
		bind_period(st, s, i, instants);
		db_bind_int(st, 5, after);
		db_bind_int(st, 6, left);
		enum db_rc rc;
		while ((rc = db_step(st)) == DB_ROW) {
			const char *tn = mtg_type_name((int)db_col_int(st, IM_TYPE));
			const char *what = db_col_text(st, IM_WHAT);
			char label[256];
			snprintf(label, sizeof label, "%s · %s", tn ? tn : "", what ? what : "");
			const char *date = db_col_text(st, IM_DATE);
			struct ind_row r = {db_col_int(st, IM_ID), label, date ? date : "", db_col_text(st, IM_ORG)};
			emit(ctx, &r);
			left--;
		}
		db_reset(st);
		if (rc != DB_DONE)
			return rc;
	}
	return DB_OK;
}

static enum db_rc held_n(struct db *db, const struct ind_scope *s, struct ind_value *out)
{
	return count(db, s, STMT_IM_HELD_N, false, out);
}

static enum db_rc held_rows(struct db *db, const struct ind_scope *s, int64_t after, int limit, ind_emit_fn emit,
			    void *ctx)
{
	return rows(db, s, STMT_IM_HELD_ROWS, false, after, limit, emit, ctx);
}

static enum db_rc reviewed_n(struct db *db, const struct ind_scope *s, struct ind_value *out)
{
	return count(db, s, STMT_IM_VIEWS_N, true, out);
}

static enum db_rc reviewed_rows(struct db *db, const struct ind_scope *s, int64_t after, int limit, ind_emit_fn emit,
				void *ctx)
{
	return rows(db, s, STMT_IM_VIEWS_ROWS, true, after, limit, emit, ctx);
}

static enum db_rc rate_n(struct db *db, const struct ind_scope *s, struct ind_value *out)
{
	out->num = out->den = 0;
	for (size_t i = 0; i < s->n; i++) {
		struct mtg_heat_opts o = {s->prefix[i], s->end[i], s->to.y, s->today, 0, 0, 0};
		enum db_rc rc;
		json_t *h = mtg_heatmap(db, s->a, &o, &rc);
		if (!h)
			return rc;
		int64_t met = json_integer_value(json_object_get(h, "met")), missing = json_integer_value(json_object_get(h, "missing"));
		out->num += met;
		out->den += met + missing;
		json_decref(h);
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
};
INDICATOR_TABLE(meetings);
