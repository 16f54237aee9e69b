/* ind_roster.c: the roster's indicators (organizations and members, issue 19 #1): how
 * many there are today in a subtree, by the categories the yearly report names. The
 * member figures come from the statistics pass (model/stats.c, cached per members
 * revision); their records are read back by the same packed key (members.stats_key),
 * so a figure and its rows count the same people: those on the roster (在册). */
#include "model/indicators.h"
#include "model/member.h"
#include "model/org.h"
#include "model/stats.h"
#include <jansson.h>
#include <string.h>

enum ind_roster_stmt {
	STMT_IND_ORGS,
	STMT_IND_ORG_ROWS,
	STMT_IND_MEMBER_ROWS,
	IND_ROSTER_STMT__MAX
};
enum ind_org_col { IND_ORG_COL_TYPE, IND_ORG_COL_TWO_NEW };
enum ind_row_col { IND_ROW_COL_ID, IND_ROW_COL_NAME, IND_ROW_COL_WHAT, IND_ROW_COL_ORG };

/* $3: the set of types ('|党委|党总支|'), $4: 1 for 两新 organizations only */
#define ORG_WHERE                                                                                                  \
	" WHERE o.path >= $1 AND o.path < $2 AND ($3 = '' OR strpos($3, '|' || o.type || '|') > 0)"                \
	" AND (CAST($4 AS BIGINT) = 0 OR o.two_new = 1)"
#define ORG_WHERE_SQLITE                                                                                           \
	" WHERE o.path >= $1 AND o.path < $2 AND ($3 = '' OR instr($3, '|' || o.type || '|') > 0)"                 \
	" AND (CAST($4 AS BIGINT) = 0 OR o.two_new = 1)"

static const struct db_sql ind_roster_sql[IND_ROSTER_STMT__MAX] = {
	/* one pass over the subtree's organizations counts every organization figure */
	[STMT_IND_ORGS] = {"ind.orgs", "SELECT type, two_new FROM orgs WHERE path >= $1 AND path < $2"},
	[STMT_IND_ORG_ROWS] = {"ind.org_rows",
	 "SELECT o.id, o.name, o.type, COALESCE(p.name, '') FROM orgs o LEFT JOIN orgs p ON p.id = o.parent_id"
	 ORG_WHERE_SQLITE " AND o.id > $5 ORDER BY o.id LIMIT $6",
	 "SELECT o.id, o.name, o.type, COALESCE(p.name, '') FROM orgs o LEFT JOIN orgs p ON p.id = o.parent_id"
	 ORG_WHERE " AND o.id > $5 ORDER BY o.id LIMIT $6"},
	/* members on the roster whose packed key k has (k & $3) = $4 and, when $5 > 0, a
	 * birth day (days since 1900) after $5 */
	[STMT_IND_MEMBER_ROWS] = {"ind.member_rows",
	 "SELECT m.id, m.name, m.party_status, o.name FROM members m JOIN orgs o ON o.id = m.org_id"
	 " WHERE m.org_path >= $1 AND m.org_path < $2 AND (m.stats_key & $3) = $4"
	 " AND (CAST($5 AS BIGINT) = 0 OR ((m.stats_key >> 8) & 1048575) > $5) AND m.id > $6 ORDER BY m.id LIMIT $7"},
};
DB_SQL_TABLE(ind_roster, ind_roster_sql);

/* ---- organizations ---------------------------------------------------------------- */

struct org_kind {
	const char *key, *types;
	int two_new;
};
static const struct org_kind org_kinds[] = {
	{"orgs.grassroots", "|党委|党总支|党支部|联合党支部|", 0},
	{"orgs.committees", "|党委|", 0},
	{"orgs.general_branches", "|党总支|", 0},
	{"orgs.branches", "|党支部|联合党支部|", 0},
	{"orgs.two_new", "|党委|党总支|党支部|联合党支部|", 1},
};

static const struct org_kind *org_kind(const char *key)
{
	for (size_t i = 0; i < sizeof org_kinds / sizeof org_kinds[0]; i++)
		if (strcmp(org_kinds[i].key, key) == 0)
			return &org_kinds[i];
	return NULL;
}

/* The organization figures of a scope, counted in one pass (memo "orgs.types"). */
struct org_counts {
	int64_t n[sizeof org_kinds / sizeof org_kinds[0]];
};

static bool type_in(const char *types, const char *type)
{
	size_t n = strlen(type);
	for (const char *p = strstr(types, type); p; p = strstr(p + 1, type))
		if (p[-1] == '|' && p[n] == '|')
			return true;
	return false;
}

static enum db_rc org_pass(struct db *db, const struct ind_scope *s, struct org_counts *c)
{
	memset(c, 0, sizeof *c);
	for (size_t i = 0; i < s->n; i++) {
		struct db_stmt *st = db_prepare(db, &ind_roster_sql[STMT_IND_ORGS]);
		if (!st)
			return DB_ERROR;
		db_bind_text(st, 1, s->prefix[i], -1);
		db_bind_text(st, 2, s->end[i], -1);
		enum db_rc rc;
		while ((rc = db_step(st)) == DB_ROW) {
			const char *type = db_col_text(st, IND_ORG_COL_TYPE);
			int64_t two_new = db_col_int(st, IND_ORG_COL_TWO_NEW);
			for (size_t k = 0; type && k < sizeof org_kinds / sizeof org_kinds[0]; k++)
				c->n[k] += type_in(org_kinds[k].types, type) && (!org_kinds[k].two_new || two_new == 1);
		}
		db_reset(st);
		if (rc != DB_DONE)
			return rc;
	}
	return DB_OK;
}

static enum db_rc orgs_count(struct db *db, const struct ind_scope *s, const struct org_kind *k, struct ind_value *out)
{
	bool fresh;
	struct org_counts local, *c = ind_memo(s, "orgs.types", sizeof *c, NULL, &fresh);
	enum db_rc rc = DB_OK;
	if (!c)
		rc = org_pass(db, s, c = &local);
	else if (fresh)
		rc = org_pass(db, s, c);
	out->num = c->n[k - org_kinds];
	out->den = 0;
	return rc;
}

static void org_row(struct db_stmt *st, const struct ind_scope *s, const void *arg, ind_emit_fn emit, void *ctx)
{
	(void)s, (void)arg;
	const char *name = db_col_text(st, IND_ROW_COL_NAME), *type = db_col_text(st, IND_ROW_COL_WHAT);
	char label[256];
	snprintf(label, sizeof label, "%s · %s", name ? name : "", type ? type : "");
	struct ind_row r = {db_col_int(st, IND_ROW_COL_ID), label, "", db_col_text(st, IND_ROW_COL_ORG)};
	emit(ctx, &r);
}

static enum db_rc orgs_rows(struct db *db, const struct ind_scope *s, const struct org_kind *k, int64_t after, int limit,
			    ind_emit_fn emit, void *ctx)
{
	/* ranges are disjoint; rows in id order across them are merged by taking each
	 * range's first `limit` after `after` and letting the caller page by id: a range's
	 * rows are emitted in id order, and ranges one after the other (several scope
	 * roots are rare: a secretary of two branches) */
	const struct ind_param p[] = {{IND_P_TEXT, 0, k->types}, {IND_P_INT, k->two_new, NULL}};
	return ind_rows_stmt(db, s, &ind_roster_sql[STMT_IND_ORG_ROWS], p, 2, after, limit, org_row, NULL, emit, ctx);
}

#define ORG_FNS(fn, key)                                                                                            \
	static enum db_rc fn##_n(struct db *db, const struct ind_scope *s, struct ind_value *out)                     \
	{                                                                                                           \
		return orgs_count(db, s, org_kind(key), out);                                                       \
	}                                                                                                           \
	static enum db_rc fn##_rows(struct db *db, const struct ind_scope *s, int64_t after, int limit,             \
				    ind_emit_fn emit, void *ctx)                                                    \
	{                                                                                                           \
		return orgs_rows(db, s, org_kind(key), after, limit, emit, ctx);                                    \
	}
ORG_FNS(grassroots, "orgs.grassroots")
ORG_FNS(committees, "orgs.committees")
ORG_FNS(general_branches, "orgs.general_branches")
ORG_FNS(branches, "orgs.branches")
ORG_FNS(two_new_orgs, "orgs.two_new")

/* 换届: organizations whose term ends within 6 months or has ended (R-ORG-02/03).
 * One scan of the scope's alerts gives the counts and the first few (for the
 * dashboard), kept in the memo "orgs.alerts". */
static bool is_term(const struct org_alert *al)
{
	return al->code == ORG_ALERT_TERM_DUE || al->code == ORG_ALERT_TERM_OVERDUE;
}

static void summary_release(void *v)
{
	json_decref(((struct ind_alerts *)v)->first);
}

enum db_rc ind_org_alerts(struct db *db, const struct ind_scope *s, struct ind_alerts *out)
{
	bool fresh;
	struct ind_alerts *kept = ind_memo(s, "orgs.alerts", sizeof *kept, summary_release, &fresh);
	if (kept && !fresh) {
		*out = *kept;
		out->first = json_incref(kept->first);
		return DB_OK;
	}
	struct ind_alerts a = {0, 0, 0, json_array()};
	enum db_rc rc = a.first ? DB_OK : DB_ERROR;
	for (size_t i = 0; rc == DB_OK && i < s->n; i++) {
		struct ind_alerts one;
		rc = ind_alerts_range(db, s->a, s->prefix[i], s->end[i], s->today, &one);
		if (rc == DB_OK) {
			a.total += one.total, a.term += one.term, a.committee += one.committee;
			size_t k;
			json_t *v;
			json_array_foreach(one.first, k, v)
			{
				if (json_array_size(a.first) >= IND_ALERTS_FIRST)
					break;
				json_array_append(a.first, v);
			}
		}
		json_decref(one.first);
	}
	if (kept) {
		*kept = a;
		kept->first = json_incref(a.first);
	}
	*out = a;
	return rc;
}

static enum db_rc term_due_n(struct db *db, const struct ind_scope *s, struct ind_value *out)
{
	struct ind_alerts a;
	enum db_rc rc = ind_org_alerts(db, s, &a);
	json_decref(a.first);
	out->num = a.term;
	out->den = 0;
	return rc;
}

struct term_rows {
	int64_t after;
	int left;
	ind_emit_fn emit;
	void *ctx;
};

static void term_row(void *ctx, const struct org_rec *o, const struct org_alert *al)
{
	struct term_rows *t = ctx;
	if (!is_term(al) || o->id <= t->after || t->left <= 0)
		return;
	struct ind_row r = {o->id, org_alert_message(al->code), al->due_on, o->name};
	t->emit(t->ctx, &r);
	t->left--;
}

/* in path order, not id order: `after` skips by id, which pages the alerts of one
 * subtree correctly only when ids rise with paths; the list is short (the subtree's
 * overdue terms), so the caller pages it with a limit large enough to hold it */
static enum db_rc term_due_rows(struct db *db, const struct ind_scope *s, int64_t after, int limit, ind_emit_fn emit,
				void *ctx)
{
	struct term_rows t = {after, limit, emit, ctx};
	enum db_rc rc = DB_OK;
	for (size_t i = 0; rc == DB_OK && i < s->n; i++)
		rc = org_alerts_scan(db, s->prefix[i], s->end[i], s->today, term_row, &t);
	return rc;
}

/* ---- members ------------------------------------------------------------------------ */

static enum db_rc member_stats_of(struct db *db, const struct ind_scope *s, struct member_stats *total)
{
	memset(total, 0, sizeof *total);
	for (size_t i = 0; i < s->n; i++) {
		struct member_stats one;
		enum db_rc rc = ind_member_stats(db, s->prefix[i], s->end[i], s->today, &one);
		if (rc != DB_OK)
			return rc;
		stats_add(total, &one);
	}
	return DB_OK;
}

/* A member figure: which counter, and the packed-key test its rows satisfy. */
struct member_kind {
	const char *key;
	size_t off; /* offsetof(struct member_stats, …) */
	uint64_t mask, value;
	bool under_35;
};
#define MK(k, field, m, v, u35) {k, offsetof(struct member_stats, field), (m) | MSK_IN_ROSTER, (v) | MSK_IN_ROSTER, u35}
static const struct member_kind member_kinds[] = {
	MK("members.total", total, 0, 0, false),
	MK("members.formal", formal, MSK_FORMAL, MSK_FORMAL, false),
	MK("members.probationary", probationary, MSK_FORMAL, 0, false),
	MK("members.female", female, 3u << MSK_SEX_SHIFT, 2u << MSK_SEX_SHIFT, false),
	MK("members.minority", minority, MSK_HAN, 0, false),
	MK("members.college_plus", college_plus, MSK_COLLEGE, MSK_COLLEGE, false),
	MK("members.under_35", under_35, 0, 0, true),
	MK("members.two_new", two_new, MSK_TWO_NEW, MSK_TWO_NEW, false),
};

static const struct member_kind *member_kind(const char *key)
{
	for (size_t i = 0; i < sizeof member_kinds / sizeof member_kinds[0]; i++)
		if (strcmp(member_kinds[i].key, key) == 0)
			return &member_kinds[i];
	return NULL;
}

static enum db_rc members_n(struct db *db, const struct ind_scope *s, const struct member_kind *k, struct ind_value *out)
{
	struct member_stats t;
	enum db_rc rc = member_stats_of(db, s, &t);
	out->num = *(const int64_t *)((const char *)&t + k->off);
	out->den = 0;
	return rc;
}

static void member_row(struct db_stmt *st, const struct ind_scope *s, const void *arg, ind_emit_fn emit, void *ctx)
{
	(void)s, (void)arg;
	const char *name = db_col_text(st, IND_ROW_COL_NAME), *ps = db_col_text(st, IND_ROW_COL_WHAT);
	char label[256];
	snprintf(label, sizeof label, "%s · %s", name ? name : "",
		 ps && strcmp(ps, "probationary") == 0 ? "预备党员" : "正式党员");
	struct ind_row r = {db_col_int(st, IND_ROW_COL_ID), label, "", db_col_text(st, IND_ROW_COL_ORG)};
	emit(ctx, &r);
}

static enum db_rc members_rows(struct db *db, const struct ind_scope *s, const struct member_kind *k, int64_t after,
			       int limit, ind_emit_fn emit, void *ctx)
{
	/* under 35 ⇔ born after today − 35 years (model/stats.c's band) */
	int64_t cut35 = k->under_35 ? date_to_days(date_add_years(s->today, -35)) - date_to_days((struct date){1900, 1, 1}) : 0;
	const struct ind_param p[] = {{IND_P_INT, (int64_t)k->mask, NULL}, {IND_P_INT, (int64_t)k->value, NULL},
				      {IND_P_INT, cut35, NULL}};
	return ind_rows_stmt(db, s, &ind_roster_sql[STMT_IND_MEMBER_ROWS], p, 3, after, limit, member_row, NULL, emit,
			     ctx);
}

#define MEMBER_FNS(fn, key)                                                                                         \
	static enum db_rc fn##_n(struct db *db, const struct ind_scope *s, struct ind_value *out)                     \
	{                                                                                                           \
		return members_n(db, s, member_kind(key), out);                                                     \
	}                                                                                                           \
	static enum db_rc fn##_rows(struct db *db, const struct ind_scope *s, int64_t after, int limit,             \
				    ind_emit_fn emit, void *ctx)                                                    \
	{                                                                                                           \
		return members_rows(db, s, member_kind(key), after, limit, emit, ctx);                              \
	}
MEMBER_FNS(m_total, "members.total")
MEMBER_FNS(m_formal, "members.formal")
MEMBER_FNS(m_probationary, "members.probationary")
MEMBER_FNS(m_female, "members.female")
MEMBER_FNS(m_minority, "members.minority")
MEMBER_FNS(m_college, "members.college_plus")
MEMBER_FNS(m_under35, "members.under_35")
MEMBER_FNS(m_two_new, "members.two_new")

static const struct indicator roster_indicators[] = {
	{"orgs.grassroots", "基层党组织", "个", "组织建设", "党委、党总支、党支部和联合党支部的个数（不含党工委和党小组）", false,
	 grassroots_n, grassroots_rows},
	{"orgs.committees", "基层党委", "个", "组织建设", "类型为党委的组织个数", false, committees_n, committees_rows},
	{"orgs.general_branches", "党总支", "个", "组织建设", "类型为党总支的组织个数", false, general_branches_n,
	 general_branches_rows},
	{"orgs.branches", "党支部", "个", "组织建设", "党支部和联合党支部的个数", false, branches_n, branches_rows},
	{"orgs.two_new", "“两新”组织党组织", "个", "组织建设", "标记为“两新”组织的基层党组织个数", false, two_new_orgs_n,
	 two_new_orgs_rows},
	{"orgs.term_due", "应换届党组织", "个", "组织建设", "任期将在 6 个月内届满或已届满未获批延期的党组织个数（R-ORG-02/03）",
	 false, term_due_n, term_due_rows},
	{"members.total", "党员总数", "人", "党员队伍", "在册党员人数（不含出党、去世）", false, m_total_n, m_total_rows},
	{"members.formal", "正式党员", "人", "党员队伍", "在册正式党员人数", false, m_formal_n, m_formal_rows},
	{"members.probationary", "预备党员", "人", "党员队伍", "在册预备党员人数", false, m_probationary_n, m_probationary_rows},
	{"members.female", "女党员", "人", "党员队伍", "在册女党员人数", false, m_female_n, m_female_rows},
	{"members.minority", "少数民族党员", "人", "党员队伍", "在册少数民族党员人数", false, m_minority_n, m_minority_rows},
	{"members.college_plus", "大专及以上学历党员", "人", "党员队伍", "学历为大专及以上（GB/T 4658 代码 10–39）的在册党员人数",
	 false, m_college_n, m_college_rows},
	{"members.under_35", "35 岁以下党员", "人", "党员队伍", "今天未满 35 周岁的在册党员人数", false, m_under35_n,
	 m_under35_rows},
	{"members.two_new", "“两新”组织党员", "人", "党员队伍", "工作单位为“两新”组织的在册党员人数", false, m_two_new_n,
	 m_two_new_rows},
};
INDICATOR_TABLE(roster);
