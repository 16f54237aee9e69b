/* indicators.c: see indicators.h. The registry is the generated indicator_tables
 * (tools/gen_registry), flattened once into a sorted index for look-ups by key. */
#include "model/indicators.h"
#include "core/clock.h"
#include "core/log.h"
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
	double t0 = clock_mono_ms();
	enum db_rc rc = ind->compute(db, s, out);
	double ms = clock_mono_ms() - t0;
	if (ms >= 20)
		log_msg(LOG_DEBUG, NULL, "indicator %s computed in %.1f ms", ind->key, ms);
	if (kept) {
		kept->done[i] = true;
		kept->rc[i] = rc;
		kept->v[i] = *out;
	}
	return rc;
}
