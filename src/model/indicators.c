/* indicators.c: see indicators.h. The registry is the generated indicator_tables
 * (tools/gen_registry), flattened once into a sorted index for look-ups by key. */
#include "model/indicators.h"
#include "model/revcache.h"
#include "core/clock.h"
#include "core/log.h"
#include "config.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IND_MAX 512
#define MEMO_MAX 16

struct ind_memo {
	struct {
		const char *name;
		void *value;
		void (*release)(void *value);
	} e[MEMO_MAX];
	int n;
};

void ind_scope_memo(struct ind_scope *s)
{
	s->memo = arena_alloc(s->a, sizeof *s->memo);
	memset(s->memo, 0, sizeof *s->memo);
}

void ind_scope_done(struct ind_scope *s)
{
	for (int i = 0; s->memo && i < s->memo->n; i++)
		if (s->memo->e[i].release)
			s->memo->e[i].release(s->memo->e[i].value);
	s->memo = NULL;
}

void *ind_memo(const struct ind_scope *s, const char *name, size_t size, void (*release)(void *value), bool *fresh)
{
	*fresh = false;
	struct ind_memo *m = s->memo;
	if (!m)
		return NULL;
	for (int i = 0; i < m->n; i++)
		if (strcmp(m->e[i].name, name) == 0)
			return m->e[i].value;
	if (m->n == MEMO_MAX)
		return NULL;
	void *v = arena_alloc(s->a, size);
	memset(v, 0, size);
	m->e[m->n].name = name;
	m->e[m->n].value = v;
	m->e[m->n].release = release;
	m->n++;
	*fresh = true;
	return v;
}

static const struct indicator *all[IND_MAX];
static size_t nall;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static int by_table_name(const void *a, const void *b)
{
	const struct indicator_table *const *x = a, *const *y = b;
	return strcmp((*x)->name, (*y)->name);
}

static void build(void)
{
	const struct indicator_table *t[128];
	size_t nt = 0;
	for (const struct indicator_table *const *p = indicator_tables; *p && nt < 128; p++)
		t[nt++] = *p;
	qsort(t, nt, sizeof t[0], by_table_name);
	for (size_t i = 0; i < nt; i++)
		for (size_t j = 0; j < t[i]->n && nall < IND_MAX; j++)
			all[nall++] = &t[i]->items[j];
}

size_t indicator_count(void)
{
	pthread_once(&once, build);
	return nall;
}

const struct indicator *indicator_at(size_t i)
{
	pthread_once(&once, build);
	return i < nall ? all[i] : NULL;
}

const struct indicator *indicator_find(const char *key)
{
	pthread_once(&once, build);
	for (size_t i = 0; key && i < nall; i++)
		if (strcmp(all[i]->key, key) == 0)
			return all[i];
	return NULL;
}

bool indicator_key_ok(const char *key)
{
	size_t n = key ? strlen(key) : 0;
	if (n < 3 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((key[i] >= 'a' && key[i] <= 'z') || (key[i] >= '0' && key[i] <= '9') || key[i] == '_' || key[i] == '.'))
			return false;
	return true;
}

/* n with thousands separators */
static void grouped(int64_t n, char *buf, size_t cap)
{
	char digits[32];
	snprintf(digits, sizeof digits, "%lld", (long long)(n < 0 ? -n : n));
	size_t len = strlen(digits), o = 0;
	if (n < 0 && o + 1 < cap)
		buf[o++] = '-';
	for (size_t i = 0; i < len && o + 2 < cap; i++) {
		if (i && (len - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o < cap ? o : cap - 1] = 0;
}

const char *indicator_format(const struct indicator *ind, const struct ind_value *v, char *buf, size_t cap)
{
	if (ind->ratio) {
		if (v->den <= 0)
			snprintf(buf, cap, "—");
		else
			snprintf(buf, cap, "%.1f%%", 100.0 * (double)v->num / (double)v->den);
	} else
		grouped(v->num, buf, cap);
	return buf;
}

int ind_bind(struct db_stmt *st, const struct ind_scope *s, const char *prefix, const char *end,
	     const struct ind_param *p, size_t np)
{
	db_bind_text(st, 1, prefix, -1);
	db_bind_text(st, 2, end, -1);
	for (size_t k = 0; k < np; k++) {
		int n = (int)k + 3;
		char day[11];
		switch (p[k].kind) {
		case IND_P_INT:
			db_bind_int(st, n, p[k].num);
			break;
		case IND_P_TEXT:
			db_bind_text(st, n, p[k].text, -1);
			break;
		case IND_P_FROM:
		case IND_P_TO:
			date_format(p[k].kind == IND_P_FROM ? s->from : s->to, day);
			db_bind_text(st, n, day, -1);
			break;
		}
	}
	return (int)np + 3;
}

enum db_rc ind_count_stmt(struct db *db, const struct ind_scope *s, const struct db_sql *sql,
			  const struct ind_param *p, size_t np, int col, int64_t *sum)
{
	*sum = 0;
	for (size_t i = 0; i < s->n; i++) {
		struct db_stmt *st = db_prepare(db, sql);
		if (!st)
			return DB_ERROR;
		ind_bind(st, s, s->prefix[i], s->end[i], p, np);
		enum db_rc rc = db_step(st);
		if (rc == DB_ROW)
			*sum += db_col_int(st, col);
		db_reset(st);
		if (rc != DB_ROW)
			return rc == DB_DONE ? DB_ERROR : rc;
	}
	return DB_OK;
}

enum db_rc ind_rows_stmt(struct db *db, const struct ind_scope *s, const struct db_sql *sql,
			 const struct ind_param *p, size_t np, int64_t after, int limit, ind_row_fn *row,
			 const void *arg, ind_emit_fn emit, void *ctx)
{
	int left = limit;
	for (size_t i = 0; i < s->n && left > 0; i++) {
		struct db_stmt *st = db_prepare(db, sql);
		if (!st)
			return DB_ERROR;
		int n = ind_bind(st, s, s->prefix[i], s->end[i], p, np);
		db_bind_int(st, n, after);
		db_bind_int(st, n + 1, left);
		enum db_rc rc;
		while ((rc = db_step(st)) == DB_ROW) {
			row(st, s, arg, emit, ctx);
			left--;
		}
		db_reset(st);
		if (rc != DB_DONE)
			return rc;
	}
	return DB_OK;
}

/* ---- values kept across requests (s->shared) ----------------------------------------- */

enum ind_stmt { STMT_IND_REVS, IND_STMT__MAX };
enum ind_revs_col { REVS_MEMBER_EPOCH, REVS_MEMBER, REVS_ORG_EPOCH, REVS_ORG, REVS_MEETING, REVS_DEV_EPOCH, REVS_DEV, REVS__N };
static const struct db_sql ind_sql[IND_STMT__MAX] = {
	/* the revisions the figures are kept at (0040, 0122, 0124), in one read */
	[STMT_IND_REVS] = {"ind.revs",
	 "SELECT (SELECT epoch FROM member_rev WHERE id = 1), (SELECT rev FROM member_rev WHERE id = 1),"
	 " (SELECT epoch FROM org_rev WHERE id = 1), (SELECT rev FROM org_rev WHERE id = 1),"
	 " (SELECT rev FROM meeting_rev WHERE id = 1),"
	 " (SELECT epoch FROM dev_rev WHERE id = 1), (SELECT rev FROM dev_rev WHERE id = 1)"},
};
DB_SQL_TABLE(indicators, ind_sql);

#define KEPT_N 1024
struct kept {
	char key[160];
	int64_t rev[2];
	double at; /* clock_mono_ms when its computation began */
	bool ttl;  /* expires after cfg.replica_max_lag_ms */
	struct ind_value v;
};
static struct {
	pthread_mutex_t mu;
	unsigned next;
	struct kept e[KEPT_N];
} kept_values = {PTHREAD_MUTEX_INITIALIZER, 0, {{{0}, {0, 0}, 0, false, {0, 0}}}};

/* The revisions of s's transaction, read once per memo (NULL: none). */
struct ind_revs {
	int64_t v[REVS__N];
	enum db_rc rc;
};
static const struct ind_revs *scope_revs(struct db *db, const struct ind_scope *s)
{
	bool fresh;
	struct ind_revs *r = ind_memo(s, "indicator.revs", sizeof *r, NULL, &fresh);
	if (!r || !fresh)
		return r && r->rc == DB_OK ? r : NULL;
	r->rc = ind_revisions(db, r->v);
	return r->rc == DB_OK ? r : NULL;
}

enum db_rc ind_revisions(struct db *db, int64_t out[IND_REVS])
{
	_Static_assert(IND_REVS == REVS__N, "ind.revs reads IND_REVS columns");
	struct db_stmt *st = db_prepare(db, &ind_sql[STMT_IND_REVS]);
	if (!st)
		return DB_ERROR;
	enum db_rc rc = db_step(st);
	for (int i = 0; rc == DB_ROW && i < REVS__N; i++)
		out[i] = db_col_null(st, i) ? -1 : db_col_int(st, i);
	db_reset(st);
	return rc == DB_ROW ? DB_OK : rc == DB_DONE ? DB_ERROR : rc;
}

enum db_rc ind_text_ask(struct db *db, char *key, size_t size, int kl, bool roots, const char *const *prefix,
			size_t n, double began, int64_t user_id, struct revtext_ask *ask, bool *cacheable)
{
	for (size_t k = 0; roots && k < n && kl > 0 && (size_t)kl < size; k++)
		kl += snprintf(key + kl, size - (size_t)kl, "|%s", prefix[k]);
	int64_t revs[IND_REVS];
	enum db_rc rc = ind_revisions(db, revs);
	if (rc != DB_OK)
		return rc;
	*cacheable = revs[1] >= 0 && kl > 0 && (size_t)kl < size && cfg.replica_max_lag_ms > 0;
	*ask = (struct revtext_ask){key, {0}, (double)cfg.replica_max_lag_ms, began, user_id};
	_Static_assert(IND_REVS <= REVTEXT_REVS, "the revisions fit the question");
	memcpy(ask->rev, revs, sizeof revs);
	return DB_OK;
}

/* Whether a figure at its revision (and day) is exact: all that it reads raises that
 * revision when it changes. The members' figures (the roster's pass, 0040/0042); the
 * organizations' by type (type and path: 0124 org_rev; not 两新, not terms); the held
 * meetings by type and the compliance rate (0122 meeting_rev: status, type, day,
 * organization, exemptions, the tree; not the study hours, not the views); the
 * development records' figures (0124 dev_rev). The others are kept for at most
 * cfg.replica_max_lag_ms. */
static bool exact_at_rev(const char *key)
{
	static const char *const exact[] = {"orgs.grassroots", "orgs.committees", "orgs.general_branches", "orgs.branches",
					    "meetings.held", "meetings.general", "meetings.committee", "meetings.group",
					    "meetings.lecture", "meetings.theme_day", "meetings.life", "meetings.appraisal",
					    "meetings.compliance_rate"};
	if (strncmp(key, "members.", 8) == 0 || strncmp(key, "development.", 12) == 0)
		return true;
	for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
		if (strcmp(exact[i], key) == 0)
			return true;
	return false;
}

/* The key and revisions a value of ind over s is kept under; false: not kept. */
static bool kept_key(struct db *db, const struct indicator *ind, size_t idx, const struct ind_scope *s,
		     char key[160], int64_t rev[2], bool *ttl)
{
	if (!s->shared || !s->memo)
		return false;
	const struct ind_revs *r = scope_revs(db, s);
	if (!r)
		return false;
	char from[11], to[11], today[11];
	date_format(s->from, from);
	date_format(s->to, to);
	date_format(s->today, today);
	int kl = snprintf(key, 160, "%zu:%s:%s:%s:%s", idx, ind->key, from, to, today);
	for (size_t i = 0; i < s->n && kl > 0 && kl < 160; i++)
		kl += snprintf(key + kl, 160 - (size_t)kl, "|%s", s->prefix[i]);
	if (kl <= 0 || kl >= 160)
		return false;
	rev[0] = rev[1] = 0;
	if (strncmp(ind->key, "members.", 8) == 0)
		rev[0] = r->v[REVS_MEMBER_EPOCH], rev[1] = r->v[REVS_MEMBER];
	else if (strncmp(ind->key, "orgs.", 5) == 0)
		rev[0] = r->v[REVS_ORG_EPOCH], rev[1] = r->v[REVS_ORG];
	else if (strncmp(ind->key, "meetings.", 9) == 0)
		rev[1] = r->v[REVS_MEETING];
	else if (strncmp(ind->key, "development.", 12) == 0)
		rev[0] = r->v[REVS_DEV_EPOCH], rev[1] = r->v[REVS_DEV];
	*ttl = !exact_at_rev(ind->key);
	return rev[1] >= 0;
}

static bool kept_get(const char *key, const int64_t rev[2], struct ind_value *out)
{
	bool hit = false;
	double now = clock_mono_ms();
	pthread_mutex_lock(&kept_values.mu);
	for (unsigned i = 0; i < KEPT_N && !hit; i++) {
		const struct kept *k = &kept_values.e[i];
		if (k->key[0] && k->rev[1] == rev[1] && k->rev[0] == rev[0] && strcmp(k->key, key) == 0 &&
		    (!k->ttl || now - k->at < (double)cfg.replica_max_lag_ms)) {
			*out = k->v;
			hit = true;
		}
	}
	pthread_mutex_unlock(&kept_values.mu);
	return hit;
}

static void kept_put(const char *key, const int64_t rev[2], bool ttl, double at, const struct ind_value *v)
{
	pthread_mutex_lock(&kept_values.mu);
	unsigned i = 0;
	while (i < KEPT_N && strcmp(kept_values.e[i].key, key) != 0)
		i++;
	if (i == KEPT_N)
		i = kept_values.next++ % KEPT_N;
	struct kept *k = &kept_values.e[i];
	snprintf(k->key, sizeof k->key, "%s", key);
	k->rev[0] = rev[0], k->rev[1] = rev[1];
	k->at = at;
	k->ttl = ttl;
	k->v = *v;
	pthread_mutex_unlock(&kept_values.mu);
}

/* ---- computed values, once per scope ------------------------------------------------- */

/* One slot per indicator (the registry's order): whether it was computed, and what. */
struct ind_values {
	bool done[IND_MAX];
	enum db_rc rc[IND_MAX];
	struct ind_value v[IND_MAX];
};

enum db_rc indicator_value(struct db *db, const struct indicator *ind, const struct ind_scope *s, struct ind_value *out)
{
	size_t i = 0, n = indicator_count();
	while (i < n && all[i] != ind)
		i++;
	bool fresh;
	struct ind_values *kept = i < n ? ind_memo(s, "indicator.values", sizeof *kept, NULL, &fresh) : NULL;
	if (kept && kept->done[i]) {
		*out = kept->v[i];
		return kept->rc[i];
	}
	char key[160];
	int64_t rev[2];
	bool ttl = true, shared = i < n && kept_key(db, ind, i, s, key, rev, &ttl);
	if (shared && kept_get(key, rev, out)) {
		if (kept) {
			kept->done[i] = true;
			kept->rc[i] = DB_OK;
			kept->v[i] = *out;
		}
		return DB_OK;
	}
	double t0 = clock_mono_ms();
	enum db_rc rc = ind->compute(db, s, out);
	double ms = clock_mono_ms() - t0;
	if (shared && rc == DB_OK)
		kept_put(key, rev, ttl, t0, out);
	if (ms >= 20)
		log_msg(LOG_DEBUG, NULL, "indicator %s computed in %.1f ms", ind->key, ms);
	if (kept) {
		kept->done[i] = true;
		kept->rc[i] = rc;
		kept->v[i] = *out;
	}
	return rc;
}
