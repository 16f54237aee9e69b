/* meeting_compliance.c: what is computed over many meeting records (see meeting.h):
 * R-MTG-01's cadence pass with exemptions (the heat-map of branches × months and the
 * early warnings come from the same pass), the yearly plan, 民主评议党员 grades, study
 * hours and the statistics. The pass reads organizations and the months with counted
 * meetings (0118 meeting_months: one row per organization, type and year) once each
 * (db_scan over covering indexes) and counts into bit masks in C: per branch and type,
 * the months of the year with a meeting held, and those exempted. */
#include "model/meeting.h"
#include "core/arena.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum compliance_stmt {
	STMT_MC_ORGS,
	STMT_MC_MEETINGS,
	STMT_MC_EXEMPTIONS,
	STMT_MC_ORG_NAME,
	STMT_MC_EXEMPT_ADD,
	STMT_MC_EXEMPT_LIST,
	STMT_MC_PLAN_HAS,
	STMT_MC_PLAN_ADD,
	STMT_MC_GRADE_SET,
	STMT_MC_GRADES,
	STMT_MC_MEMBER_HOURS,
	STMT_MC_HOURS_LIST,
	STMT_MC_STATS_TYPES,
	STMT_MC_STATS_VIEWS,
	STMT_MC_STATS_HOURS,
	STMT_MC_STATS_MEMBERS,
	COMPLIANCE_STMT__MAX
};

#define COUNTED "status IN ('submitted', 'approved')"
#define ACTIVE "state IN ('normal', 'floating', 'abroad', 'lost')"

static const struct db_sql compliance_sql[COMPLIANCE_STMT__MAX] = {
	/* kind: 1 a branch, 2 a 党小组 (its meetings count for its branch), 0 anything else */
	[STMT_MC_ORGS] = {"mc.orgs",
	 "SELECT dj_row(id, COALESCE(parent_id, 0), CASE type WHEN '党支部' THEN 1 WHEN '联合党支部' THEN 1"
	 " WHEN '党小组' THEN 2 ELSE 0 END) FROM orgs WHERE path >= $1 AND path < $2",
	 "SELECT id, COALESCE(parent_id, 0), CASE type WHEN '党支部' THEN 1 WHEN '联合党支部' THEN 1"
	 " WHEN '党小组' THEN 2 ELSE 0 END FROM orgs WHERE path >= $1 AND path < $2"},
	/* $3 the year: per organization and type, the months with a counted meeting as bits
	 * (0118 meeting_months, kept by triggers: a row per (organization, type) rather than
	 * one per meeting) */
	[STMT_MC_MEETINGS] = {"mc.meetings",
	 "SELECT dj_row(org_id, type, mask) FROM meeting_months INDEXED BY meeting_months_scan"
	 " WHERE org_path >= $1 AND org_path < $2 AND year = $3 AND mask <> 0",
	 "SELECT org_id, type, mask FROM meeting_months"
	 " WHERE org_path >= $1 AND org_path < $2 AND year = $3 AND mask <> 0"},
	/* $3 "2026", $4 "2026~": the year's periods sort between */
	[STMT_MC_EXEMPTIONS] = {"mc.exemptions",
	 "SELECT org_id, type, period FROM meeting_exemptions WHERE org_path >= $1 AND org_path < $2"
	 " AND period >= $3 AND period < $4"},
	[STMT_MC_ORG_NAME] = {"mc.org_name", "SELECT name FROM orgs WHERE id = $1"},
	[STMT_MC_EXEMPT_ADD] = {"mc.exempt_add",
	 "INSERT INTO meeting_exemptions (org_id, org_path, type, period, reason, created_by, created_at)"
	 " VALUES ($1, $2, $3, $4, $5, $6, $7)"},
	[STMT_MC_EXEMPT_LIST] = {"mc.exempt_list",
	 "SELECT type, period, reason, created_at FROM meeting_exemptions WHERE org_id = $1 AND period >= $2"
	 " AND period < $3 ORDER BY period, type"},
	[STMT_MC_PLAN_HAS] = {"mc.plan_has",
	 "SELECT COUNT(*) FROM meetings WHERE org_id = $1 AND type = $2 AND COALESCE(held_on, planned_on, '') >= $3"
	 " AND COALESCE(held_on, planned_on, '') <= $4"},
	[STMT_MC_PLAN_ADD] = {"mc.plan_add",
	 "INSERT INTO meetings (org_id, org_path, type, status, planned_on, created_by, created_at, updated_at)"
	 " VALUES ($1, $2, $3, 'planned', $4, $5, $6, $6)"},
	[STMT_MC_GRADE_SET] = {"mc.grade_set",
	 "INSERT INTO member_grades (member_id, year, org_id, meeting_id, grade, graded_at) VALUES ($1, $2, $3, $4, $5, $6)"
	 " ON CONFLICT (member_id, year) DO UPDATE SET org_id = excluded.org_id, meeting_id = excluded.meeting_id,"
	 " grade = excluded.grade, graded_at = excluded.graded_at"},
	[STMT_MC_GRADES] = {"mc.grades",
	 "SELECT g.member_id, m.name, g.org_id, g.grade FROM member_grades g JOIN members m ON m.id = g.member_id"
	 " JOIN orgs o ON o.id = g.org_id WHERE o.path >= $1 AND o.path < $2 AND g.year = $3 ORDER BY g.grade, m.name"},
	[STMT_MC_MEMBER_HOURS] = {"mc.member_hours",
	 "SELECT m.id, m.type, m.held_on, m.topic, m.hours_x10 FROM meeting_attendance a JOIN meetings m ON m.id = a.meeting_id"
	 " WHERE a.member_id = $1 AND a.status = 'present' AND m.held_ym >= $2 AND m.held_ym <= $3 AND m." COUNTED
	 " ORDER BY m.held_on, m.id"},
	[STMT_MC_HOURS_LIST] = {"mc.hours_list",
	 "SELECT mb.id, mb.name, mb.org_id, COALESCE(mb.party_post, ''), COALESCE(SUM(m.hours_x10), 0)"
	 " FROM members mb LEFT JOIN meeting_attendance a ON a.member_id = mb.id AND a.status = 'present'"
	 " LEFT JOIN meetings m ON m.id = a.meeting_id AND m.held_ym >= $3 AND m.held_ym <= $4 AND m." COUNTED
	 " WHERE mb.org_path >= $1 AND mb.org_path < $2 AND mb." ACTIVE
	 " GROUP BY mb.id, mb.name, mb.org_id, mb.party_post ORDER BY 5, mb.name, mb.id LIMIT 2000"},
	[STMT_MC_STATS_TYPES] = {"mc.stats_types",
	 "SELECT type, COUNT(*), COALESCE(SUM(present_count), 0), COALESCE(SUM(due_count), 0),"
	 " COALESCE(SUM(CASE WHEN status = 'approved' THEN 1 ELSE 0 END), 0) FROM meetings"
	 " WHERE org_path >= $1 AND org_path < $2 AND held_on >= $3 AND held_on <= $4 AND " COUNTED " GROUP BY type"},
	[STMT_MC_STATS_VIEWS] = {"mc.stats_views",
	 "SELECT COUNT(*) FROM meeting_views WHERE org_path >= $1 AND org_path < $2 AND viewed_at >= $3 AND viewed_at < $4"},
	[STMT_MC_STATS_HOURS] = {"mc.stats_hours",
	 "SELECT COALESCE(SUM(m.hours_x10), 0) FROM meetings m JOIN meeting_attendance a ON a.meeting_id = m.id"
	 " WHERE m.org_path >= $1 AND m.org_path < $2 AND m.held_on >= $3 AND m.held_on <= $4 AND m." COUNTED
	 " AND a.status = 'present'"},
	[STMT_MC_STATS_MEMBERS] = {"mc.stats_members",
	 "SELECT COUNT(*) FROM members WHERE org_path >= $1 AND org_path < $2 AND " ACTIVE},
};
DB_SQL_TABLE(meeting_compliance, compliance_sql);
/* result shapes, in their SELECT order */
enum exempt_col { EC_ORG_ID, EC_TYPE, EC_PERIOD };
enum exlist_col { XL_TYPE, XL_PERIOD, XL_REASON, XL_AT };
enum grade_col { GC_MEMBER_ID, GC_NAME, GC_ORG_ID, GC_GRADE };
enum mhours_col { MH_ID, MH_TYPE, MH_HELD_ON, MH_TOPIC, MH_HOURS };
enum hlist_col { HL_ID, HL_NAME, HL_ORG_ID, HL_POST, HL_HOURS };
enum stype_col { ST_TYPE, ST_N, ST_PRESENT, ST_DUE, ST_APPROVED };

/* ---- the pass ---- */

struct branch {
	int64_t id;
	bool has_groups;
	uint16_t held[MTG_TYPE__MAX];   /* bit m-1: a counted meeting of the type in month m */
	uint16_t exempt[MTG_TYPE__MAX]; /* bit m-1: the type's period containing month m is exempt */
};
struct group {
	int64_t id, parent;
};

struct pass {
	struct branch *last;   /* the branch of last_org: rows come grouped by organization */
	int64_t last_org;
	struct branch *b;
	size_t nb, capb;
	struct group *g;
	size_t ng, capg;
	int year;
	bool oom;
};

static void org_row(void *ctx, const int64_t *v, int n)
{
	struct pass *p = ctx;
	(void)n;
	if (v[2] == 1) {
		if (p->nb == p->capb) {
			size_t cap = p->capb ? p->capb * 2 : 256;
			struct branch *nb = realloc(p->b, cap * sizeof *nb);
			if (!nb) {
				p->oom = true;
				return;
			}
			p->b = nb;
			p->capb = cap;
		}
		memset(&p->b[p->nb], 0, sizeof p->b[0]);
		p->b[p->nb++].id = v[0];
	} else if (v[2] == 2) {
		if (p->ng == p->capg) {
			size_t cap = p->capg ? p->capg * 2 : 256;
			struct group *ng = realloc(p->g, cap * sizeof *ng);
			if (!ng) {
				p->oom = true;
				return;
			}
			p->g = ng;
			p->capg = cap;
		}
		p->g[p->ng++] = (struct group){v[0], v[1]};
	}
}

static int by_branch_id(const void *a, const void *b)
{
	int64_t x = ((const struct branch *)a)->id, y = ((const struct branch *)b)->id;
	return x < y ? -1 : x > y;
}

static int by_group_id(const void *a, const void *b)
{
	int64_t x = ((const struct group *)a)->id, y = ((const struct group *)b)->id;
	return x < y ? -1 : x > y;
}

static struct branch *find_branch(struct pass *p, int64_t id)
{
	struct branch key = {.id = id};
	if (!p->nb)
		return NULL;
	return bsearch(&key, p->b, p->nb, sizeof *p->b, by_branch_id);
}

/* The branch an organization's meetings count for: itself, or a group's parent. */
static struct branch *branch_of(struct pass *p, int64_t org)
{
	struct branch *b = find_branch(p, org);
	if (b)
		return b;
	struct group key = {.id = org};
	struct group *g = !p->ng ? NULL : bsearch(&key, p->g, p->ng, sizeof *p->g, by_group_id);
	return g ? find_branch(p, g->parent) : NULL;
}

static void meeting_row(void *ctx, const int64_t *v, int n)
{
	struct pass *p = ctx;
	(void)n;
	struct branch *b = p->last_org == v[0] && p->last_org ? p->last : branch_of(p, v[0]);
	p->last_org = v[0];
	p->last = b;
	int type = (int)v[1];
	if (b && type > 0 && type < MTG_TYPE__MAX)
		b->held[type] |= (uint16_t)(v[2] & 0xFFF);
}

/* The months of a period key of the year ("2026-03", "2026-Q1", "2026") as bits. */
static uint16_t period_bits(const char *k)
{
	size_t n = strlen(k);
	if (n == 4)
		return 0xFFF;
	if (n == 7 && k[5] == 'Q' && k[6] >= '1' && k[6] <= '4')
		return (uint16_t)(7u << ((k[6] - '1') * 3));
	if (n == 7) {
		int m = (k[5] - '0') * 10 + (k[6] - '0');
		return m >= 1 && m <= 12 ? (uint16_t)(1u << (m - 1)) : 0;
	}
	return 0;
}

static enum db_rc run_pass(struct db *db, const char *prefix, const char *end, int year, struct pass *p)
{
	memset(p, 0, sizeof *p);
	p->year = year;
	struct db_stmt *st = db_prepare(db, &compliance_sql[STMT_MC_ORGS]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, prefix, -1);
	db_bind_text(st, 2, end, -1);
	enum db_rc rc = db_scan(st, org_row, p, NULL);
	if (rc == DB_OK && p->oom)
		rc = DB_ERROR;
	if (rc != DB_OK)
		return rc;
	if (p->nb)
		qsort(p->b, p->nb, sizeof *p->b, by_branch_id);
	if (p->ng)
		qsort(p->g, p->ng, sizeof *p->g, by_group_id);
	for (size_t i = 0; i < p->ng; i++) {
		struct branch *b = find_branch(p, p->g[i].parent);
		if (b)
			b->has_groups = true;
	}
	st = db_prepare(db, &compliance_sql[STMT_MC_MEETINGS]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, prefix, -1);
	db_bind_text(st, 2, end, -1);
	db_bind_int(st, 3, year);
	rc = db_scan(st, meeting_row, p, NULL);
	if (rc != DB_OK)
		return rc;
	st = db_prepare(db, &compliance_sql[STMT_MC_EXEMPTIONS]);
	if (!st)
		return DB_ERROR;
	char y0[8], y1[8];
	snprintf(y0, sizeof y0, "%04d", year % 10000);
	snprintf(y1, sizeof y1, "%04d~", year % 10000);
	db_bind_text(st, 1, prefix, -1);
	db_bind_text(st, 2, end, -1);
	db_bind_text(st, 3, y0, -1);
	db_bind_text(st, 4, y1, -1);
	while ((rc = db_step(st)) == DB_ROW) {
		struct branch *b = branch_of(p, db_col_int(st, EC_ORG_ID));
		int type = (int)db_col_int(st, EC_TYPE);
		if (b && type > 0 && type < MTG_TYPE__MAX)
			b->exempt[type] |= period_bits(db_col_text(st, EC_PERIOD));
	}
	return rc == DB_DONE ? DB_OK : rc;
}

static void pass_free(struct pass *p)
{
	free(p->b);
	free(p->g);
}

/* The item states of one branch's month. */
enum item { IT_NONE, IT_MET, IT_EXEMPT, IT_MISSING, IT_PENDING };

/* The months a type's period ending in month m covers, or 0 when no period of the type
 * ends in m. */
static uint16_t window(int type, int m)
{
	switch (mtg_type_cadence(type)) {
	case MTG_MONTHLY: return (uint16_t)(1u << (m - 1));
	case MTG_QUARTERLY: return m % 3 == 0 ? (uint16_t)(7u << (m - 3)) : 0;
	default: return m == 12 ? 0xFFF : 0;
	}
}

static bool type_applies(const struct branch *b, int type)
{
	return type != MTG_GROUP || b->has_groups;
}

/* The state of type's period ending in month m of year, as of today. */
static enum item item_state(const struct branch *b, int type, int year, int m, struct date today)
{
	uint16_t w = window(type, m);
	if (!w || !type_applies(b, type))
		return IT_NONE;
	if (b->held[type] & w)
		return IT_MET;
	if (b->exempt[type] & w)
		return IT_EXEMPT;
	struct date last = {year, m, date_month_days(year, m)};
	return date_cmp(last, today) < 0 ? IT_MISSING : IT_PENDING;
}

static const char *org_name(struct db *db, struct arena *a, int64_t id)
{
	struct db_stmt *st = db_prepare(db, &compliance_sql[STMT_MC_ORG_NAME]);
	if (!st)
		return "";
	db_bind_int(st, 1, id);
	const char *name = "";
	if (db_step(st) == DB_ROW) {
		name = db_col_dup(a, st, DB_COL_ONLY);
		db_reset(st);
	}
	return name ? name : "";
}

/* The period key of type for the period ending in month m. */
static void period_of(int type, int year, int m, char out[8])
{
	struct date d = {year, m, 1};
	mtg_period_key(type, d, out);
}

static const char *const item_codes[] = {"none", "met", "exempt", "missing", "pending"};

json_t *mtg_heatmap(struct db *db, struct arena *a, const struct mtg_heat_opts *o, enum db_rc *rc)
{
	struct pass p;
	*rc = run_pass(db, o->prefix, o->end, o->year, &p);
	if (*rc != DB_OK) {
		pass_free(&p);
		return NULL;
	}
	int64_t met = 0, missing = 0, exempt = 0;
	int ok[12] = {0}, partial[12] = {0}, miss[12] = {0}, future[12] = {0};
	json_t *rows = json_array();
	for (size_t i = 0; i < p.nb; i++) {
		struct branch *b = &p.b[i];
		bool show = (int)i >= o->offset && (int)i < o->offset + o->limit;
		json_t *cells = show ? json_array() : NULL;
		for (int m = 1; m <= 12; m++) {
			int req = 0, cm = 0, cmiss = 0;
			for (int t = 1; t < MTG_TYPE__MAX; t++) {
				enum item s = item_state(b, t, o->year, m, o->today);
				if (s == IT_NONE)
					continue;
				if (s == IT_EXEMPT) {
					exempt++;
					continue;
				}
				req++;
				if (s == IT_MET)
					cm++, met++;
				else if (s == IT_MISSING)
					cmiss++, missing++;
			}
			struct date first = {o->year, m, 1};
			if (date_cmp(first, o->today) > 0)
				future[m - 1]++;
			else if (cmiss == 0 && cm == req)
				ok[m - 1]++;
			else if (cmiss > 0 && cm == 0)
				miss[m - 1]++;
			else
				partial[m - 1]++;
			if (cells)
				json_array_append_new(cells, json_pack("[i, i, i]", req, cm, cmiss));
		}
		if (cells)
			json_array_append_new(rows, json_pack("{s:I, s:s, s:b, s:o}", "org_id", (json_int_t)b->id, "name",
							      org_name(db, a, b->id), "has_groups", b->has_groups, "cells",
							      cells));
	}
	json_t *months = json_array();
	for (int m = 0; m < 12; m++)
		json_array_append_new(months, json_pack("{s:i, s:i, s:i, s:i, s:i}", "month", m + 1, "ok", ok[m], "partial",
							partial[m], "missing", miss[m], "future", future[m]));
	char asof[11];
	date_format(o->today, asof);
	json_t *out = json_pack("{s:i, s:s, s:I, s:o, s:I, s:I, s:I, s:o, s:o}", "year", o->year, "as_of", asof,
				"branches", (json_int_t)p.nb, "months", months, "met", (json_int_t)met, "missing",
				(json_int_t)missing, "exempt", (json_int_t)exempt, "rate",
				met + missing ? json_real((double)met / (double)(met + missing)) : json_null(), "rows",
				rows);
	if (o->only_org > 0) {
		struct branch *b = find_branch(&p, o->only_org);
		json_t *detail = json_array();
		for (int t = 1; b && t < MTG_TYPE__MAX; t++) {
			if (!type_applies(b, t))
				continue;
			json_t *periods = json_array();
			for (int m = 1; m <= 12; m++) {
				enum item s = item_state(b, t, o->year, m, o->today);
				if (s == IT_NONE)
					continue;
				char key[8];
				period_of(t, o->year, m, key);
				json_array_append_new(periods, json_pack("{s:s, s:s}", "period", key, "state", item_codes[s]));
			}
			json_array_append_new(detail, json_pack("{s:i, s:s, s:o}", "type", t, "type_name", mtg_type_name(t),
								"periods", periods));
		}
		json_object_set_new(out, "detail", detail);
	}
	pass_free(&p);
	return out;
}

json_t *mtg_warnings(struct db *db, struct arena *a, const char *prefix, const char *end, struct date today, int limit,
		     enum db_rc *rc)
{
	struct pass p;
	*rc = run_pass(db, prefix, end, today.y, &p);
	if (*rc != DB_OK) {
		pass_free(&p);
		return NULL;
	}
	json_t *items = json_array();
	int left = date_month_days(today.y, today.m) - today.d;
	if (left < 10) {
		for (size_t i = 0; i < p.nb && (int)json_array_size(items) < limit; i++) {
			for (int t = 1; t < MTG_TYPE__MAX && (int)json_array_size(items) < limit; t++) {
				/* the period of t that ends this month, if one does */
				if (item_state(&p.b[i], t, today.y, today.m, today) != IT_PENDING)
					continue;
				char key[8];
				period_of(t, today.y, today.m, key);
				json_array_append_new(items, json_pack("{s:I, s:s, s:i, s:s, s:s, s:i}", "org_id",
								       (json_int_t)p.b[i].id, "name", org_name(db, a, p.b[i].id),
								       "type", t, "type_name", mtg_type_name(t), "period",
								       key, "days_left", left));
			}
		}
	}
	pass_free(&p);
	return items;
}

enum db_rc mtg_exempt_add(struct db *db, int64_t org_id, const char *org_path, int type, const char *period,
			  const char *reason, int64_t by, int64_t at)
{
	struct db_stmt *st = db_prepare(db, &compliance_sql[STMT_MC_EXEMPT_ADD]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, org_id);
	db_bind_text(st, 2, org_path, -1);
	db_bind_int(st, 3, type);
	db_bind_text(st, 4, period, -1);
	db_bind_text(st, 5, reason, -1);
	db_bind_opt_id(st, 6, by);
	db_bind_int(st, 7, at);
	enum db_rc rc = db_step(st);
	return rc == DB_DONE ? DB_OK : rc == DB_ROW ? DB_ERROR : rc;
}

enum db_rc mtg_exemptions(struct db *db, int64_t org_id, int year, json_t *items)
{
	struct db_stmt *st = db_prepare(db, &compliance_sql[STMT_MC_EXEMPT_LIST]);
	if (!st)
		return DB_ERROR;
	char y0[8], y1[8];
	snprintf(y0, sizeof y0, "%04d", year % 10000);
	snprintf(y1, sizeof y1, "%04d~", year % 10000);
	db_bind_int(st, 1, org_id);
	db_bind_text(st, 2, y0, -1);
	db_bind_text(st, 3, y1, -1);
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW) {
		int t = (int)db_col_int(st, XL_TYPE);
		json_array_append_new(items, json_pack("{s:i, s:s, s:s, s:s}", "type", t, "type_name",
						       mtg_type_name(t) ? mtg_type_name(t) : "", "period",
						       db_col_text(st, XL_PERIOD), "reason", db_col_text(st, XL_REASON)));
	}
	return rc == DB_DONE ? DB_OK : rc;
}

enum db_rc mtg_plan_year(struct db *db, int64_t org_id, const char *org_path, bool has_groups, int year, int64_t by,
			 int64_t at, int *created)
{
	*created = 0;
	for (int t = 1; t < MTG_TYPE__MAX; t++) {
		if (t == MTG_GROUP && !has_groups)
			continue;
		for (int m = 1; m <= 12; m++) {
			uint16_t w = window(t, m);
			if (!w)
				continue;
			int first = 1;
			while (!(w & (1u << (first - 1))))
				first++;
			char from[40], to[40], on[40];
			snprintf(from, sizeof from, "%04d-%02d-01", year % 10000, first);
			snprintf(to, sizeof to, "%04d-%02d-%02d", year % 10000, m, date_month_days(year, m));
			snprintf(on, sizeof on, "%04d-%02d-15", year % 10000, m);
			struct db_stmt *st = db_prepare(db, &compliance_sql[STMT_MC_PLAN_HAS]);
			if (!st)
				return DB_ERROR;
			db_bind_int(st, 1, org_id);
			db_bind_int(st, 2, t);
			db_bind_text(st, 3, from, -1);
			db_bind_text(st, 4, to, -1);
			enum db_rc rc = db_step(st);
			if (rc != DB_ROW)
				return rc == DB_DONE ? DB_ERROR : rc;
			int64_t have = db_col_int(st, DB_COL_ONLY);
			db_reset(st);
			if (have)
				continue;
			st = db_prepare(db, &compliance_sql[STMT_MC_PLAN_ADD]);
			if (!st)
				return DB_ERROR;
			db_bind_int(st, 1, org_id);
			db_bind_text(st, 2, org_path, -1);
			db_bind_int(st, 3, t);
			db_bind_text(st, 4, on, -1);
			db_bind_opt_id(st, 5, by);
			db_bind_int(st, 6, at);
			rc = db_step(st);
			if (rc != DB_DONE)
				return rc == DB_ROW ? DB_ERROR : rc;
			(*created)++;
		}
	}
	return DB_OK;
}

static const struct {
	const char *code, *name;
} grades[] = {{"excellent", "优秀"}, {"qualified", "合格"}, {"basic", "基本合格"}, {"unqualified", "不合格"}};

const char *mtg_grade_name(const char *code)
{
	for (size_t i = 0; code && i < sizeof grades / sizeof grades[0]; i++)
		if (strcmp(grades[i].code, code) == 0)
			return grades[i].name;
	return NULL;
}

enum db_rc mtg_grade_set(struct db *db, int64_t member_id, int year, int64_t org_id, int64_t meeting_id,
			 const char *grade, int64_t at)
{
	struct db_stmt *st = db_prepare(db, &compliance_sql[STMT_MC_GRADE_SET]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, member_id);
	db_bind_int(st, 2, year);
	db_bind_int(st, 3, org_id);
	db_bind_opt_id(st, 4, meeting_id);
	db_bind_text(st, 5, grade, -1);
	db_bind_int(st, 6, at);
	enum db_rc rc = db_step(st);
	return rc == DB_DONE ? DB_OK : rc == DB_ROW ? DB_ERROR : rc;
}

json_t *mtg_grades(struct db *db, const char *prefix, const char *end, int year, enum db_rc *rc)
{
	struct db_stmt *st = db_prepare(db, &compliance_sql[STMT_MC_GRADES]);
	if (!st) {
		*rc = DB_ERROR;
		return NULL;
	}
	db_bind_text(st, 1, prefix, -1);
	db_bind_text(st, 2, end, -1);
	db_bind_int(st, 3, year);
	json_t *counts = json_object(), *items = json_array();
	for (size_t i = 0; i < sizeof grades / sizeof grades[0]; i++)
		json_object_set_new(counts, grades[i].code, json_integer(0));
	while ((*rc = db_step(st)) == DB_ROW) {
		const char *g = db_col_text(st, GC_GRADE);
		json_t *c = json_object_get(counts, g);
		if (c)
			json_integer_set(c, json_integer_value(c) + 1);
		json_array_append_new(items, json_pack("{s:I, s:s, s:I, s:s, s:s, s:b}", "member_id",
						       (json_int_t)db_col_int(st, GC_MEMBER_ID), "name", db_col_text(st, GC_NAME), "org_id",
						       (json_int_t)db_col_int(st, GC_ORG_ID), "grade", g, "grade_name",
						       mtg_grade_name(g) ? mtg_grade_name(g) : g, "follow_up",
						       strcmp(g, "unqualified") == 0));
	}
	if (*rc != DB_DONE) {
		json_decref(counts);
		json_decref(items);
		return NULL;
	}
	*rc = DB_OK;
	return json_pack("{s:i, s:o, s:o}", "year", year, "counts", counts, "items", items);
}

enum db_rc mtg_member_hours(struct db *db, int64_t member_id, int year, int *hours_x10, json_t *items)
{
	struct db_stmt *st = db_prepare(db, &compliance_sql[STMT_MC_MEMBER_HOURS]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, member_id);
	db_bind_int(st, 2, (int64_t)year * 100 + 1);
	db_bind_int(st, 3, (int64_t)year * 100 + 12);
	enum db_rc rc;
	*hours_x10 = 0;
	while ((rc = db_step(st)) == DB_ROW) {
		int h = (int)db_col_int(st, MH_HOURS), t = (int)db_col_int(st, MH_TYPE);
		*hours_x10 += h;
		if (items)
			json_array_append_new(items, json_pack("{s:I, s:i, s:s, s:s, s:s?, s:f}", "meeting_id",
							       (json_int_t)db_col_int(st, MH_ID), "type", t, "type_name",
							       mtg_type_name(t) ? mtg_type_name(t) : "", "held_on",
							       db_col_text(st, MH_HELD_ON) ? db_col_text(st, MH_HELD_ON) : "", "topic",
							       db_col_text(st, MH_TOPIC), "hours", h / 10.0));
	}
	return rc == DB_DONE ? DB_OK : rc;
}

enum db_rc mtg_hours_list(struct db *db, const char *prefix, const char *end, int year, json_t *items, int64_t *nshort)
{
	struct db_stmt *st = db_prepare(db, &compliance_sql[STMT_MC_HOURS_LIST]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, prefix, -1);
	db_bind_text(st, 2, end, -1);
	db_bind_int(st, 3, (int64_t)year * 100 + 1);
	db_bind_int(st, 4, (int64_t)year * 100 + 12);
	enum db_rc rc;
	*nshort = 0;
	while ((rc = db_step(st)) == DB_ROW) {
		const char *post = db_col_text(st, HL_POST);
		int required = post && *post ? MTG_HOURS_CADRE : MTG_HOURS_MEMBER;
		int64_t h = db_col_int(st, HL_HOURS);
		bool is_short = h < required * 10;
		*nshort += is_short;
		json_array_append_new(items, json_pack("{s:I, s:s, s:I, s:f, s:i, s:b}", "member_id",
						       (json_int_t)db_col_int(st, HL_ID), "name", db_col_text(st, HL_NAME), "org_id",
						       (json_int_t)db_col_int(st, HL_ORG_ID), "hours", (double)h / 10.0, "required",
						       required, "short", is_short));
	}
	return rc == DB_DONE ? DB_OK : rc;
}

static enum db_rc one_int(struct db_stmt *st, int64_t *out)
{
	enum db_rc rc = db_step(st);
	if (rc != DB_ROW)
		return rc == DB_DONE ? DB_ERROR : rc;
	*out = db_col_int(st, DB_COL_ONLY);
	db_reset(st);
	return DB_OK;
}

json_t *mtg_stats(struct db *db, struct arena *a, const char *prefix, const char *end, const char *from, const char *to,
		  struct date today, enum db_rc *rc)
{
	struct db_stmt *st = db_prepare(db, &compliance_sql[STMT_MC_STATS_TYPES]);
	if (!st) {
		*rc = DB_ERROR;
		return NULL;
	}
	db_bind_text(st, 1, prefix, -1);
	db_bind_text(st, 2, end, -1);
	db_bind_text(st, 3, from, -1);
	db_bind_text(st, 4, to, -1);
	json_t *by_type = json_array();
	int64_t held = 0, present = 0, due = 0, approved = 0;
	while ((*rc = db_step(st)) == DB_ROW) {
		int t = (int)db_col_int(st, ST_TYPE);
		int64_t n = db_col_int(st, ST_N);
		held += n;
		present += db_col_int(st, ST_PRESENT);
		due += db_col_int(st, ST_DUE);
		approved += db_col_int(st, ST_APPROVED);
		json_array_append_new(by_type, json_pack("{s:i, s:s, s:I}", "type", t, "type_name",
							 mtg_type_name(t) ? mtg_type_name(t) : "", "held", (json_int_t)n));
	}
	if (*rc != DB_DONE) {
		json_decref(by_type);
		return NULL;
	}
	struct date f, t;
	date_parse(from, &f);
	date_parse(to, &t);
	int64_t views = 0, hours = 0, members = 0;
	st = db_prepare(db, &compliance_sql[STMT_MC_STATS_VIEWS]);
	*rc = st ? DB_OK : DB_ERROR;
	if (st) {
		db_bind_text(st, 1, prefix, -1);
		db_bind_text(st, 2, end, -1);
		db_bind_int(st, 3, date_to_days(f) * 86400);
		db_bind_int(st, 4, (date_to_days(t) + 1) * 86400);
		*rc = one_int(st, &views);
	}
	if (*rc == DB_OK && (st = db_prepare(db, &compliance_sql[STMT_MC_STATS_HOURS]))) {
		db_bind_text(st, 1, prefix, -1);
		db_bind_text(st, 2, end, -1);
		db_bind_text(st, 3, from, -1);
		db_bind_text(st, 4, to, -1);
		*rc = one_int(st, &hours);
	}
	if (*rc == DB_OK && (st = db_prepare(db, &compliance_sql[STMT_MC_STATS_MEMBERS]))) {
		db_bind_text(st, 1, prefix, -1);
		db_bind_text(st, 2, end, -1);
		*rc = one_int(st, &members);
	}
	json_t *heat = NULL;
	if (*rc == DB_OK) {
		struct mtg_heat_opts o = {prefix, end, t.y, today, 0, 0, 0};
		heat = mtg_heatmap(db, a, &o, rc);
	}
	if (*rc != DB_OK) {
		json_decref(by_type);
		json_decref(heat);
		return NULL;
	}
	json_t *out = json_pack("{s:s, s:s, s:I, s:o, s:I, s:I, s:o, s:o, s:I, s:f}", "from", from, "to", to, "held",
				(json_int_t)held, "by_type", by_type, "reviewed", (json_int_t)views, "approved",
				(json_int_t)approved, "compliance_rate", json_incref(json_object_get(heat, "rate")),
				"attendance_rate", due ? json_real((double)present / (double)due) : json_null(), "members",
				(json_int_t)members, "hours_per_member", members ? (double)hours / 10.0 / (double)members : 0.0);
	json_decref(heat);
	return out;
}
