/* indicators.h: the figures of the district's yearly report (issue 19), declared by
 * the capabilities that produce them. Each capability lists its indicators in a table
 * of its own file (`static const struct indicator x_indicators[] = {…};
 * INDICATOR_TABLE(x);`), collected by tools/gen_registry like routes, so adding a
 * figure needs no central list. An indicator has a stable key ("members.total"), a
 * Chinese name and unit, a one-sentence definition the pages show, a function that
 * computes it for a subtree and a period, and a function that lists the records
 * behind it (masked), so that every figure of the report can be traced. */
#ifndef DJ_INDICATORS_H
#define DJ_INDICATORS_H
#include "core/arena.h"
#include "core/date.h"
#include "db/db.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What an indicator is computed over: the organization subtrees [prefix[i], end[i])
 * (one organization's, or the roots of the caller's scope), the period [from, to]
 * (dates, inclusive), and today (for ages). Figures that are states rather than
 * events (members, organizations) are counted as they stand today. */
struct ind_memo;
struct ind_scope {
	const char *const *prefix, *const *end;
	size_t n;
	struct date from, to, today;
	struct arena *a;
	/* what one computation over the scope leaves for the next (one pass over the
	 * organizations serves every organization figure); NULL: none kept. Made by
	 * ind_scope_memo, released by ind_scope_done. */
	struct ind_memo *memo;
	/* true: indicator_value keeps each value across requests (see there); the
	 * dashboard's and the indicator table's scopes */
	bool shared;
};

/* Gives s a memo (arena-owned); ind_scope_done releases what its entries hold. */
void ind_scope_memo(struct ind_scope *s);
void ind_scope_done(struct ind_scope *s);
/* The memo entry name of s: its value pointer (size bytes, zeroed the first time,
 * when *fresh is set and the caller fills it), or NULL without a memo. release, if
 * not NULL, is called on the value by ind_scope_done. */
void *ind_memo(const struct ind_scope *s, const char *name, size_t size, void (*release)(void *value), bool *fresh);

/* A count (den == 0) or a ratio num/den shown as a percentage (den > 0, or den == -1
 * for a ratio with nothing to divide by: shown as "—"). */
struct ind_value {
	int64_t num, den;
};

/* One record behind a figure: what it is and where, never an ID number or a mobile. */
struct ind_row {
	int64_t id;
	const char *label; /* "张** · 党员", "第 3 期 · 学习专题" */
	const char *date;  /* the date that put it in the period, "" for states */
	const char *org;   /* the organization's name */
};
typedef void (*ind_emit_fn)(void *ctx, const struct ind_row *r);

struct indicator {
	const char *key;        /* "members.total": [a-z0-9_.]+ */
	const char *name;       /* "党员总数" */
	const char *unit;       /* 人, 人次, 批, 条, 项, 个, %, 元 */
	const char *group;      /* the dashboard's and appendix's section: "党员队伍" */
	const char *definition; /* one sentence, shown on hover */
	bool ratio;             /* a percentage (computed as num/den) */
	enum db_rc (*compute)(struct db *db, const struct ind_scope *s, struct ind_value *out);
	/* Records after id `after` in id order, up to limit, within the scope; NULL when
	 * the figure is a ratio of other figures' records. */
	enum db_rc (*rows)(struct db *db, const struct ind_scope *s, int64_t after, int limit, ind_emit_fn emit,
			   void *ctx);
	/* true: counts events in the period (developed, transfers, meetings…), so last
	 * year's figure is the same count over last year's period; false: a standing
	 * figure counted as it is today (members, organizations) */
	bool period;
};

struct indicator_table {
	const char *name;
	const struct indicator *items;
	size_t n;
};
#define INDICATOR_TABLE(name)                                                                           \
	const struct indicator_table indicator_table_##name = {#name, name##_indicators,                    \
							       sizeof(name##_indicators) / sizeof(name##_indicators[0])}
extern const struct indicator_table *const indicator_tables[]; /* NULL-terminated (generated) */

/* Every indicator in a stable order (the tables' names, then their order): count and
 * the i-th. */
size_t indicator_count(void);
const struct indicator *indicator_at(size_t i);
/* By key, or NULL. */
const struct indicator *indicator_find(const char *key);
/* Whether key is well formed ([a-z0-9_.], 3..63 characters). */
bool indicator_key_ok(const char *key);

/* The statements of the indicator modules take the subtree as [$1, $2), then the
 * parameters below as $3, $4, …, and (the rows' statements) `id > after` and the
 * row limit as the two after those. */
enum ind_param_kind {
	IND_P_INT,  /* num */
	IND_P_TEXT, /* text */
	IND_P_FROM, /* the period's first day, "YYYY-MM-DD" */
	IND_P_TO    /* its last day */
};
struct ind_param {
	enum ind_param_kind kind;
	int64_t num;
	const char *text;
};
#define IND_P_DATES {IND_P_FROM, 0, NULL}, {IND_P_TO, 0, NULL}

/* Binds [prefix, end) as $1, $2 and p[0..np) as $3…; returns the next parameter's
 * number. */
int ind_bind(struct db_stmt *st, const struct ind_scope *s, const char *prefix, const char *end,
	     const struct ind_param *p, size_t np);
/* *sum: column col of the one row of sql, summed over the scope's subtrees (p as
 * ind_bind binds them). No row is DB_ERROR. */
enum db_rc ind_count_stmt(struct db *db, const struct ind_scope *s, const struct db_sql *sql,
			  const struct ind_param *p, size_t np, int col, int64_t *sum);
/* Emits one row of a rows statement (arg: the module's own). */
typedef void ind_row_fn(struct db_stmt *st, const struct ind_scope *s, const void *arg, ind_emit_fn emit, void *ctx);
/* An indicator's rows: sql over each subtree of the scope in turn (p, then after and
 * what is left of limit), row called on each row, up to limit rows in all. */
enum db_rc ind_rows_stmt(struct db *db, const struct ind_scope *s, const struct db_sql *sql,
			 const struct ind_param *p, size_t np, int64_t after, int limit, ind_row_fn *row,
			 const void *arg, ind_emit_fn emit, void *ctx);

/* The roster's: the R-ORG alerts of the scope's organizations, counted once per memo:
 * how many, of which 换届 (term) and 班子 (committee), and the first IND_ALERTS_FIRST
 * in the tree's order as the API shows them (a new reference in first). */
#include <jansson.h>
#define IND_ALERTS_FIRST 20
struct ind_alerts {
	int64_t total, term, committee;
	json_t *first;
};
enum db_rc ind_org_alerts(struct db *db, const struct ind_scope *s, struct ind_alerts *out);
/* The same over one range, kept per organization path at its revision (0145 subtree_rev,
 * model/ind_members.c); out->first is a new reference (also on failure). */
enum db_rc ind_alerts_range(struct db *db, struct arena *a, const char *prefix, const char *end, struct date today,
			    struct ind_alerts *out);

/* The roster's statistics of the subtree [prefix, end) (model/stats.h), as stats_members
 * counts them, kept per organization path at that path's revision (0145): after a
 * member write only the subtrees it changed are counted again (model/ind_members.c). */
#include "model/stats.h"
enum db_rc ind_member_stats(struct db *db, const char *prefix, const char *end, struct date today,
			    struct member_stats *s);

/* The revisions the kept figures follow (members 0040, organizations and development
 * records 0124, meetings 0122; a missing one -1), read in one statement: what a kept
 * answer made of figures is keyed by (model/revcache.h, revtext). */
#define IND_REVS 7
enum db_rc ind_revisions(struct db *db, int64_t out[IND_REVS]);

/* The revtext question (model/revcache.h) for an answer made of figures (the dashboard,
 * the indicator table): key with, when no organization is named (roots), the scope's
 * roots appended after its first kl bytes; the revisions above; kept at most
 * cfg.replica_max_lag_ms. *cacheable false when nothing may be kept (the key does not
 * fit, no members' revision, replica_max_lag_ms 0). */
struct revtext_ask;
enum db_rc ind_text_ask(struct db *db, char *key, size_t size, int kl, bool roots, const char *const *prefix,
			size_t n, double began, int64_t user_id, struct revtext_ask *ask, bool *cacheable);

/* ind->compute over s, kept in s's memo (when it has one) so that a figure named twice
 * (the report's sentences and its appendix; the parts computed from one pass) is
 * computed once per request; a computation of 20 ms or more is logged (debug).
 * With s->shared (and a memo), a value is also kept across requests for the same
 * subtree, period and day: a member figure at the members' revision (exact: a write to
 * the roster shows at once), an organization figure at the organizations' revision, a
 * meeting figure at the meetings' and a development figure at the development records'
 * revision, and every figure but the members' for at most cfg.replica_max_lag_ms (what
 * an RF_REPLICA read may already be behind; services, messages, bases… have no
 * revision). */
enum db_rc indicator_value(struct db *db, const struct indicator *ind, const struct ind_scope *s, struct ind_value *out);

/* The value as the report writes it into buf: "1,234", "96.5%", "—". */
const char *indicator_format(const struct indicator *ind, const struct ind_value *v, char *buf, size_t cap);
#endif
