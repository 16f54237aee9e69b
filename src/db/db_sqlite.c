/* db_sqlite.c: the SQLite implementation of db.h. One connection per worker thread,
 * each with its own cache of prepared statements keyed by the db_sql pointer. Binds and
 * column reads are checked against the statement (db.h: a misuse asserts, or fails the
 * next step in release). */
#include "db/db.h"
#include "core/arena.h"
#include "config.h"
#include "core/log.h"
#include <assert.h>
#include <malloc.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DJ_APPLICATION_ID_TEXT "1145717297" /* 0x444A4A31, "DJJ1" */
#define MAX_PARAMS 64

struct db_stmt {
	const struct db_sql *key;
	sqlite3_stmt *st;
	struct db *db;
	bool nocopy; /* db_bind_nocopy: text and blobs are bound without a copy */
	bool misuse; /* a $n or a column it does not have was used since db_prepare */
	int nparams;
	int idx[MAX_PARAMS + 1]; /* $n → SQLite parameter index */
};

struct db {
	sqlite3 *h;
	struct db_stmt *cache; /* open addressing on key */
	size_t cap, used;
	bool in_tx;
	struct db *next_all; /* the list of thread connections */
	db_row_fn scan_fn;   /* db_scan's callback while its statement runs */
	void *scan_ctx;
	int64_t scan_rows;
};

static _Atomic uint64_t busy_count;
static pthread_mutex_t all_mu = PTHREAD_MUTEX_INITIALIZER;
static struct db *all_dbs;
static _Thread_local struct db *tl_db;

uint64_t db_busy_count(void)
{
	return atomic_load(&busy_count);
}

static enum db_rc map_rc(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
		return DB_OK;
	case SQLITE_ROW:
		return DB_ROW;
	case SQLITE_DONE:
		return DB_DONE;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		atomic_fetch_add(&busy_count, 1);
		return DB_BUSY;
	case SQLITE_CONSTRAINT:
		return DB_CONSTRAINT;
	case SQLITE_FULL:
	case SQLITE_IOERR:
		return rc == SQLITE_FULL || (rc & 0xff) == SQLITE_FULL || rc == SQLITE_IOERR_WRITE ? DB_FULL : DB_ERROR;
	default:
		return DB_ERROR;
	}
}

static int exec_pragma(sqlite3 *h, const char *sql)
{
	/* pragmas here are constant strings of this file, not request data */
	char *err = NULL;
	int rc = sqlite3_exec(h, sql, NULL, NULL, &err);
	if (rc != SQLITE_OK) {
		log_msg(LOG_ERROR, NULL, "db: %s: %s", sql, err ? err : sqlite3_errstr(rc));
		sqlite3_free(err);
	}
	return rc;
}

/* 1 when the pragma's value is want, 0 when not, -1 on error. */
static int pragma_text_is(sqlite3 *h, const char *pragma, const char *want)
{
	sqlite3_stmt *st = NULL;
	int r = -1;
	if (sqlite3_prepare_v2(h, pragma, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 0);
		r = v && strcmp(v, want) == 0;
	}
	sqlite3_finalize(st);
	return r;
}

/* dj_row(a, b, …): db_scan's aggregate. Each row's integer arguments go to the
 * connection's callback from inside the engine, without a sqlite3_step per row. */
static void scan_step(sqlite3_context *c, int n, sqlite3_value **v)
{
	struct db *db = sqlite3_user_data(c);
	int64_t vals[DB_SCAN_MAX];
	if (!db->scan_fn || n > DB_SCAN_MAX) {
		sqlite3_result_error(c, "dj_row outside db_scan", -1);
		return;
	}
	for (int i = 0; i < n; i++)
		vals[i] = sqlite3_value_int64(v[i]);
	db->scan_fn(db->scan_ctx, vals, n);
	db->scan_rows++;
}

static void scan_final(sqlite3_context *c)
{
	struct db *db = sqlite3_user_data(c);
	sqlite3_result_int64(c, db->scan_rows);
}

void db_close(struct db *db);

static void report_hole(const char *table, const char *name, const char *msg)
{
	log_msg(LOG_ERROR, NULL, "db: statement table %s, entry %s: %s", table, name, msg);
}

static int table_holes; /* holes in the registered statement tables, counted once */

/* Before the first connection: no global memory statistics, whose mutex every
 * sqlite3_malloc of every thread would take (nothing here reads them); and the
 * statement tables checked for entries left out, so that a binary with a hole never
 * runs against a database. */
static void sqlite_setup(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	table_holes = db_sql_tables_check(report_hole);
}

struct db *db_open(const char *path, int flags)
{
	return db_open_vfs(path, flags, NULL);
}

struct db *db_open_vfs(const char *path, int flags, const char *vfs)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, sqlite_setup);
	if (table_holes) {
		log_msg(LOG_ERROR, NULL, "db: %d statement(s) missing from their tables: not opening the database",
			table_holes);
		return NULL;
	}
	sqlite3 *h = NULL;
	int oflags = SQLITE_OPEN_NOMUTEX;
	oflags |= (flags & DB_OPEN_READONLY) ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	if (flags & DB_OPEN_CREATE)
		oflags |= SQLITE_OPEN_CREATE;
	int rc = sqlite3_open_v2(path, &h, oflags, vfs);
	if (rc != SQLITE_OK) {
		log_msg(LOG_ERROR, NULL, "db: cannot open database: %s", sqlite3_errstr(rc));
		sqlite3_close(h);
		return NULL;
	}
	sqlite3_extended_result_codes(h, 1);
	sqlite3_busy_timeout(h, (int)cfg.busy_timeout_ms);
	char pragma[128];
	int bad = 0;
	if (!(flags & DB_OPEN_READONLY)) {
		bad |= exec_pragma(h, "PRAGMA journal_mode=WAL");
		/* writing the header needs the write lock: only when it is not set yet, so that
		 * a worker's first connection opens while another process holds the lock */
		if (pragma_text_is(h, "PRAGMA application_id", DJ_APPLICATION_ID_TEXT) == 0)
			bad |= exec_pragma(h, "PRAGMA application_id=" DJ_APPLICATION_ID_TEXT);
	}
	bad |= exec_pragma(h, "PRAGMA synchronous=FULL");
	bad |= exec_pragma(h, "PRAGMA foreign_keys=ON");
	bad |= exec_pragma(h, "PRAGMA secure_delete=ON");
	/* PRAGMA values cannot be bound; these are integers from the config, never request data */
	snprintf(pragma, sizeof pragma, "PRAGMA mmap_size=%lld", (long long)cfg.mmap_size); /* codecheck-ok: config integer */
	exec_pragma(h, pragma);
	snprintf(pragma, sizeof pragma, "PRAGMA cache_size=-%lld", (long long)cfg.cache_kib); /* codecheck-ok: config integer */
	exec_pragma(h, pragma);
	if (bad) {
		sqlite3_close(h);
		return NULL;
	}
	struct db *db = calloc(1, sizeof *db);
	if (!db) {
		sqlite3_close(h);
		return NULL;
	}
	db->h = h;
	if (sqlite3_create_function(h, "dj_row", -1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, db, NULL, scan_step, scan_final) !=
	    SQLITE_OK) {
		db_close(db);
		return NULL;
	}
	return db;
}

static void cache_clear(struct db *db)
{
	for (size_t i = 0; i < db->cap; i++)
		if (db->cache[i].st)
			sqlite3_finalize(db->cache[i].st);
	free(db->cache);
	db->cache = NULL;
	db->cap = db->used = 0;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	if (db->in_tx)
		exec_pragma(db->h, "ROLLBACK");
	cache_clear(db);
	sqlite3_close(db->h);
	free(db);
}

int db_self_check(struct db *db, char *why, size_t whylen)
{
	static const struct {
		const char *pragma;
		const char *want;
	} checks[] = {
		{"PRAGMA journal_mode", "wal"},
		{"PRAGMA synchronous", "2"},
		{"PRAGMA foreign_keys", "1"},
		{"PRAGMA secure_delete", "1"},
	};
	for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
		sqlite3_stmt *st = NULL;
		int ok = 0;
		if (sqlite3_prepare_v2(db->h, checks[i].pragma, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
			const char *v = (const char *)sqlite3_column_text(st, 0);
			ok = v && strcmp(v, checks[i].want) == 0;
		}
		sqlite3_finalize(st);
		if (!ok) {
			snprintf(why, whylen, "%s is not %s", checks[i].pragma, checks[i].want);
			return -1;
		}
	}
	return 0;
}

struct db *db_thread(void)
{
	if (tl_db)
		return tl_db;
	struct db *db = db_open(cfg.db, 0);
	if (!db)
		return NULL;
	pthread_mutex_lock(&all_mu);
	db->next_all = all_dbs;
	all_dbs = db;
	pthread_mutex_unlock(&all_mu);
	tl_db = db;
	return db;
}

void db_close_all(void)
{
	pthread_mutex_lock(&all_mu);
	struct db *db = all_dbs;
	all_dbs = NULL;
	pthread_mutex_unlock(&all_mu);
	while (db) {
		struct db *next = db->next_all;
		db_close(db);
		db = next;
	}
	tl_db = NULL;
}

static size_t hash_ptr(const void *p, size_t cap)
{
	uintptr_t x = (uintptr_t)p;
	x ^= x >> 17;
	x *= 0x9E3779B97F4A7C15ull;
	return (size_t)(x >> 7) & (cap - 1);
}

static struct db_stmt *cache_slot(struct db *db, const struct db_sql *key)
{
	if (db->used * 2 >= db->cap) {
		size_t ncap = db->cap ? db->cap * 2 : 64;
		struct db_stmt *n = calloc(ncap, sizeof *n);
		if (!n)
			return NULL;
		for (size_t i = 0; i < db->cap; i++) {
			if (!db->cache[i].key)
				continue;
			size_t j = hash_ptr(db->cache[i].key, ncap);
			while (n[j].key)
				j = (j + 1) & (ncap - 1);
			n[j] = db->cache[i];
		}
		free(db->cache);
		db->cache = n;
		db->cap = ncap;
	}
	size_t j = hash_ptr(key, db->cap);
	while (db->cache[j].key && db->cache[j].key != key)
		j = (j + 1) & (db->cap - 1);
	return &db->cache[j];
}

static int map_params(struct db_stmt *s)
{
	int count = sqlite3_bind_parameter_count(s->st);
	s->nparams = 0;
	for (int n = 1; n <= MAX_PARAMS; n++) {
		char name[16];
		snprintf(name, sizeof name, "$%d", n);
		int idx = sqlite3_bind_parameter_index(s->st, name);
		s->idx[n] = idx;
		if (idx)
			s->nparams = n;
	}
	/* every parameter must be $n: anything else (?, :name) is a bug in the SQL table */
	int named = 0;
	for (int n = 1; n <= s->nparams; n++)
		named += s->idx[n] != 0;
	return named == count ? 0 : -1;
}

struct db_stmt *db_prepare(struct db *db, const struct db_sql *sql)
{
	struct db_stmt *s = cache_slot(db, sql);
	if (!s)
		return NULL;
	if (s->key) {
		sqlite3_reset(s->st);
		sqlite3_clear_bindings(s->st);
		s->nocopy = false;
		s->misuse = false;
		return s;
	}
	if (!sql->text) { /* a hole: db_open refuses to run with one, so never */
		log_msg(LOG_ERROR, NULL, "db: prepare %s: no statement text", sql->name ? sql->name : "(unnamed)");
		if (db_misuse_asserts)
			assert(!"a statement table entry without text");
		return NULL;
	}
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v3(db->h, sql->text, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
	if (rc != SQLITE_OK) {
		log_msg(LOG_ERROR, NULL, "db: prepare %s: %s", sql->name, sqlite3_errmsg(db->h));
		sqlite3_finalize(st);
		return NULL;
	}
	struct db_stmt tmp = {.key = sql, .st = st, .db = db};
	if (map_params(&tmp) != 0) {
		/* ?, ?NNN or :name would bind differently on PostgreSQL: a bug in the table */
		log_msg(LOG_ERROR, NULL, "db: %s uses parameters other than $n", sql->name);
		sqlite3_finalize(st);
		return NULL;
	}
	*s = tmp;
	db->used++;
	return s;
}

/* A bind of a $n, or a read of a column, that the statement does not have: logged once
 * with the statement's name, and the statement's next step fails (db.h). */
static void misuse(struct db_stmt *s, const char *what, int n)
{
	if (!s->misuse)
		log_msg(LOG_ERROR, NULL, "db: %s: %s%d does not exist (a bug in the caller)", s->key->name, what, n);
	s->misuse = true;
	if (db_misuse_asserts)
		assert(!"db_bind_* of a $n or db_col_* of a column that the statement does not have");
}

/* The SQLite index of $n, or 0 after recording the misuse. */
static int param(struct db_stmt *s, int n)
{
	if (n > 0 && n <= s->nparams && s->idx[n])
		return s->idx[n];
	misuse(s, "parameter $", n);
	return 0;
}

/* Whether column i exists in the current row (recording the misuse when not). */
static bool column(struct db_stmt *s, int i)
{
	if (i >= 0 && i < sqlite3_data_count(s->st)) /* 0 when no row is current */
		return true;
	misuse(s, sqlite3_data_count(s->st) ? "column " : "column (no current row) ", i);
	return false;
}

void db_bind_int(struct db_stmt *s, int n, int64_t v)
{
	int j = param(s, n);
	if (j)
		sqlite3_bind_int64(s->st, j, v);
}

void db_bind_double(struct db_stmt *s, int n, double v)
{
	int j = param(s, n);
	if (j)
		sqlite3_bind_double(s->st, j, v);
}

void db_bind_text(struct db_stmt *s, int n, const char *t, long len)
{
	int j = param(s, n);
	if (!j)
		return;
	if (!t)
		sqlite3_bind_null(s->st, j);
	else
		sqlite3_bind_text(s->st, j, t, (int)len, s->nocopy ? SQLITE_STATIC : SQLITE_TRANSIENT);
}

void db_bind_blob(struct db_stmt *s, int n, const void *p, size_t len)
{
	int j = param(s, n);
	if (!j)
		return;
	if (!p)
		sqlite3_bind_null(s->st, j);
	else
		sqlite3_bind_blob(s->st, j, p, (int)len, s->nocopy ? SQLITE_STATIC : SQLITE_TRANSIENT);
}

void db_bind_nocopy(struct db_stmt *s)
{
	s->nocopy = true;
}

void db_bind_null(struct db_stmt *s, int n)
{
	int j = param(s, n);
	if (j)
		sqlite3_bind_null(s->st, j);
}

void db_bind_opt_text(struct db_stmt *s, int n, const char *t)
{
	db_bind_text(s, n, t && *t ? t : NULL, -1);
}

void db_bind_opt_id(struct db_stmt *s, int n, int64_t v)
{
	if (v > 0)
		db_bind_int(s, n, v);
	else
		db_bind_null(s, n);
}

const char *db_col_dup(struct arena *a, struct db_stmt *s, int i)
{
	const char *t = db_col_text(s, i);
	return t ? arena_strdup(a, t) : NULL;
}

enum db_rc db_step(struct db_stmt *s)
{
	if (s->misuse) { /* logged when it happened */
		sqlite3_reset(s->st);
		return DB_ERROR;
	}
	int rc = sqlite3_step(s->st);
	enum db_rc r = map_rc(rc);
	if (r == DB_ERROR || r == DB_FULL)
		log_msg(LOG_ERROR, NULL, "db: step %s: %s", s->key->name, sqlite3_errmsg(s->db->h));
	if (r != DB_ROW)
		sqlite3_reset(s->st);
	return r;
}

enum db_rc db_scan(struct db_stmt *s, db_row_fn fn, void *ctx, int64_t *rows)
{
	struct db *db = s->db;
	db->scan_fn = fn;
	db->scan_ctx = ctx;
	db->scan_rows = 0;
	enum db_rc rc = db_step(s);
	if (rc == DB_ROW && rows)
		*rows = db_col_int(s, DB_COL_ONLY); /* dj_row's aggregate: the rows passed */
	db_reset(s);
	db->scan_fn = NULL;
	db->scan_ctx = NULL;
	return rc == DB_ROW ? DB_OK : rc;
}

void db_reset(struct db_stmt *s)
{
	sqlite3_reset(s->st);
}

int64_t db_col_int(struct db_stmt *s, int i)
{
	return column(s, i) ? sqlite3_column_int64(s->st, i) : 0;
}

double db_col_double(struct db_stmt *s, int i)
{
	return column(s, i) ? sqlite3_column_double(s->st, i) : 0;
}

const char *db_col_text(struct db_stmt *s, int i)
{
	return column(s, i) ? (const char *)sqlite3_column_text(s->st, i) : NULL;
}

const void *db_col_blob(struct db_stmt *s, int i)
{
	return column(s, i) ? sqlite3_column_blob(s->st, i) : NULL;
}

size_t db_col_len(struct db_stmt *s, int i)
{
	return column(s, i) ? (size_t)sqlite3_column_bytes(s->st, i) : 0;
}

bool db_col_null(struct db_stmt *s, int i)
{
	return column(s, i) ? sqlite3_column_type(s->st, i) == SQLITE_NULL : true;
}

void db_cache_kib(struct db *db, int64_t kib)
{
	char pragma[64];
	snprintf(pragma, sizeof pragma, "PRAGMA cache_size=-%lld", (long long)(kib > 0 ? kib : cfg.cache_kib)); /* codecheck-ok: integer */
	exec_pragma(db->h, pragma);
	if (kib <= 0) {
		sqlite3_db_release_memory(db->h);
		malloc_trim(0); /* and the heap gives the freed pages back to the system */
	}
}

int64_t db_changes(struct db *db)
{
	return sqlite3_changes64(db->h);
}

/* Transaction control as cached statements: every request begins and ends one, and
 * sqlite3_exec would parse the text each time (bench/results.md). */
enum tx_stmt { STMT_TX_BEGIN, STMT_TX_BEGIN_IMMEDIATE, STMT_TX_COMMIT, STMT_TX_ROLLBACK, TX_STMT__MAX };
static const struct db_sql tx_sql[TX_STMT__MAX] = {
	[STMT_TX_BEGIN] = {"tx.begin", "BEGIN"},
	[STMT_TX_BEGIN_IMMEDIATE] = {"tx.begin_immediate", "BEGIN IMMEDIATE"},
	[STMT_TX_COMMIT] = {"tx.commit", "COMMIT"},
	[STMT_TX_ROLLBACK] = {"tx.rollback", "ROLLBACK"},
};
DB_SQL_TABLE(tx, tx_sql);

static enum db_rc exec_simple(struct db *db, const struct db_sql *sql)
{
	struct db_stmt *st = db_prepare(db, sql);
	if (!st)
		return map_rc(sqlite3_exec(db->h, sql->text, NULL, NULL, NULL)); /* no statement (out of memory) */
	enum db_rc rc = db_step(st);
	return rc == DB_DONE ? DB_OK : rc;
}

enum db_rc db_tx_begin(struct db *db, bool write)
{
	enum db_rc rc = exec_simple(db, &tx_sql[write ? STMT_TX_BEGIN_IMMEDIATE : STMT_TX_BEGIN]);
	if (rc == DB_OK)
		db->in_tx = true;
	return rc;
}

enum db_rc db_tx_commit(struct db *db)
{
	enum db_rc rc = exec_simple(db, &tx_sql[STMT_TX_COMMIT]);
	if (rc == DB_OK) {
		db->in_tx = false;
	} else {
		log_msg(LOG_WARN, NULL, "db: commit failed: %s", sqlite3_errmsg(db->h));
		db_tx_rollback(db);
	}
	return rc;
}

void db_tx_rollback(struct db *db)
{
	if (sqlite3_get_autocommit(db->h) == 0)
		exec_simple(db, &tx_sql[STMT_TX_ROLLBACK]);
	db->in_tx = false;
}

bool db_in_tx(struct db *db)
{
	return db->in_tx;
}

enum db_rc db_tx_run(struct db *db, bool write, enum db_rc (*fn)(struct db *db, void *ctx), void *ctx)
{
	enum db_rc rc = db_tx_begin(db, write);
	if (rc != DB_OK)
		return rc;
	rc = fn(db, ctx);
	if (rc != DB_OK) {
		db_tx_rollback(db);
		return rc;
	}
	return db_tx_commit(db);
}

enum db_rc db_exec_script(struct db *db, const char *sql)
{
	char *err = NULL;
	int rc = sqlite3_exec(db->h, sql, NULL, NULL, &err);
	if (rc != SQLITE_OK) {
		log_msg(LOG_ERROR, NULL, "db: script: %s", err ? err : sqlite3_errstr(rc));
		sqlite3_free(err);
	}
	return map_rc(rc);
}

const char *db_errmsg(struct db *db)
{
	return sqlite3_errmsg(db->h);
}

int db_integrity_check(struct db *db, char *why, size_t whylen)
{
	sqlite3_stmt *st = NULL;
	int ok = -1;
	if (sqlite3_prepare_v2(db->h, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 0);
		snprintf(why, whylen, "%s", v ? v : "(null)");
		ok = v && strcmp(v, "ok") == 0 ? 0 : -1;
	} else {
		snprintf(why, whylen, "%s", sqlite3_errmsg(db->h));
	}
	sqlite3_finalize(st);
	return ok;
}

int db_check_statements(struct db *db, db_report_fn report)
{
	int failed = 0;
	for (const struct db_sql_table *const *t = db_sql_tables; *t; t++) {
		failed += db_sql_table_check(*t, report);
		for (size_t i = 0; i < (*t)->n; i++) {
			const struct db_sql *q = &(*t)->sql[i];
			if (!q->text)
				continue; /* a hole, counted above */
			sqlite3_stmt *st = NULL;
			const char *why = NULL;
			if (sqlite3_prepare_v2(db->h, q->text, -1, &st, NULL) != SQLITE_OK) {
				why = sqlite3_errmsg(db->h);
			} else {
				struct db_stmt tmp = {.st = st};
				if (map_params(&tmp) != 0)
					why = "parameters must be written $1 … $n";
			}
			if (why) {
				failed++;
				if (report)
					report((*t)->name, q->name, why);
			}
			sqlite3_finalize(st);
		}
	}
	return failed;
}

int db_backup(struct db *db, const char *dest, char *why, size_t whylen)
{
	sqlite3 *out = NULL;
	int rc = sqlite3_open_v2(dest, &out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		snprintf(why, whylen, "cannot open %s: %s", dest, sqlite3_errstr(rc));
		sqlite3_close(out);
		return -1;
	}
	sqlite3_backup *b = sqlite3_backup_init(out, "main", db->h, "main");
	if (!b) {
		snprintf(why, whylen, "%s", sqlite3_errmsg(out));
		sqlite3_close(out);
		return -1;
	}
	/* copy in slices so writers keep going while the backup runs */
	do {
		rc = sqlite3_backup_step(b, 256);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(20);
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	sqlite3_backup_finish(b);
	int ret = rc == SQLITE_DONE ? 0 : -1;
	if (ret)
		snprintf(why, whylen, "%s", sqlite3_errstr(rc));
	else
		sqlite3_exec(out, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL);
	sqlite3_close(out);
	return ret;
}
