/* db.c: the engine-neutral half of db.h. db_open picks the engine by the form of the
 * name (a postgres:// URL or a file path); every other call forwards to the
 * connection's engine (db_impl.h), except what is the same on both: the thread's
 * connection, the optional binds, db_col_dup and db_tx_run. */
#include "db/db_impl.h"
#include "config.h"
#include "core/arena.h"
#include "core/log.h"
#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Atomic uint64_t busy_count;

void db_note_busy(void)
{
	atomic_fetch_add(&busy_count, 1);
}

uint64_t db_busy_count(void)
{
	return atomic_load(&busy_count);
}

static pthread_mutex_t all_mu = PTHREAD_MUTEX_INITIALIZER;
static struct db *all_dbs;
static _Thread_local struct db *tl_db;

static void report_hole(const char *table, const char *name, const char *msg)
{
	log_msg(LOG_ERROR, NULL, "db: statement table %s, entry %s: %s", table, name, msg);
}

static int table_holes;
static void count_holes(void)
{
	table_holes = db_sql_tables_check(report_hole);
}

bool db_tables_whole(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, count_holes);
	if (table_holes)
		log_msg(LOG_ERROR, NULL, "db: %d statement(s) missing from their tables: not opening the database",
			table_holes);
	return table_holes == 0;
}

bool db_is_url(const char *spec)
{
	return spec && (strncmp(spec, "postgres://", 11) == 0 || strncmp(spec, "postgresql://", 13) == 0);
}

static _Thread_local char open_error[256];

void db_set_open_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(open_error, sizeof open_error, fmt, ap);
	va_end(ap);
}

const char *db_open_error(void)
{
	return open_error;
}

struct db *db_open(const char *path, int flags)
{
	open_error[0] = 0;
	return db_is_url(path) ? db_pg_open(path, flags) : db_sqlite_open(path, flags, NULL);
}

struct db *db_open_vfs(const char *path, int flags, const char *vfs)
{
	return db_sqlite_open(path, flags, vfs);
}

enum db_dialect db_dialect(struct db *db)
{
	return db->ops->dialect;
}

void db_close(struct db *db)
{
	if (db)
		db->ops->close(db);
}

int db_self_check(struct db *db, char *why, size_t whylen)
{
	return db->ops->self_check(db, why, whylen);
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

void db_misuse(struct db_stmt *s, const char *what, int n)
{
	if (!s->misuse)
		log_msg(LOG_ERROR, NULL, "db: %s: %s%d does not exist (a bug in the caller)", s->key->name, what, n);
	s->misuse = true;
	if (db_misuse_asserts)
		assert(!"db_bind_* of a $n or db_col_* of a column that the statement does not have");
}

struct db_stmt *db_prepare(struct db *db, const struct db_sql *sql)
{
	return db->ops->prepare(db, sql);
}

void db_bind_int(struct db_stmt *s, int n, int64_t v)
{
	s->db->ops->bind_int(s, n, v);
}

void db_bind_double(struct db_stmt *s, int n, double v)
{
	s->db->ops->bind_double(s, n, v);
}

void db_bind_text(struct db_stmt *s, int n, const char *t, long len)
{
	s->db->ops->bind_text(s, n, t, len);
}

void db_bind_blob(struct db_stmt *s, int n, const void *p, size_t len)
{
	s->db->ops->bind_blob(s, n, p, len);
}

void db_bind_null(struct db_stmt *s, int n)
{
	s->db->ops->bind_null(s, n);
}

void db_bind_nocopy(struct db_stmt *s)
{
	s->nocopy = true;
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

enum db_rc db_step(struct db_stmt *s)
{
	return s->db->ops->step(s);
}

enum db_rc db_scan(struct db_stmt *s, db_row_fn fn, void *ctx, int64_t *rows)
{
	return s->db->ops->scan(s, fn, ctx, rows);
}

void db_reset(struct db_stmt *s)
{
	s->db->ops->reset(s);
}

int64_t db_col_int(struct db_stmt *s, int i)
{
	return s->db->ops->col_int(s, i);
}

double db_col_double(struct db_stmt *s, int i)
{
	return s->db->ops->col_double(s, i);
}

const char *db_col_text(struct db_stmt *s, int i)
{
	return s->db->ops->col_text(s, i);
}

const void *db_col_blob(struct db_stmt *s, int i)
{
	return s->db->ops->col_blob(s, i);
}

size_t db_col_len(struct db_stmt *s, int i)
{
	return s->db->ops->col_len(s, i);
}

bool db_col_null(struct db_stmt *s, int i)
{
	return s->db->ops->col_null(s, i);
}

const char *db_col_dup(struct arena *a, struct db_stmt *s, int i)
{
	const char *t = db_col_text(s, i);
	return t ? arena_strdup(a, t) : NULL;
}

void db_cache_kib(struct db *db, int64_t kib)
{
	db->ops->cache_kib(db, kib);
}

int64_t db_changes(struct db *db)
{
	return db->ops->changes(db);
}

enum db_rc db_tx_begin(struct db *db, bool write)
{
	enum db_rc rc = db->ops->tx_begin(db, write);
	if (rc == DB_OK)
		db->in_tx = true;
	return rc;
}

enum db_rc db_tx_commit(struct db *db)
{
	enum db_rc rc = db->ops->tx_commit(db);
	if (rc == DB_OK) {
		db->in_tx = false;
	} else {
		log_msg(LOG_WARN, NULL, "db: commit failed: %s", db_errmsg(db));
		db_tx_rollback(db);
	}
	return rc;
}

void db_tx_rollback(struct db *db)
{
	db->ops->tx_rollback(db);
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
	return db->ops->exec_script(db, sql);
}

const char *db_errmsg(struct db *db)
{
	return db->ops->errmsg(db);
}

int db_integrity_check(struct db *db, char *why, size_t whylen)
{
	return db->ops->integrity_check(db, why, whylen);
}

int db_check_statements(struct db *db, db_report_fn report)
{
	return db->ops->check_statements(db, report);
}

int db_backup(struct db *db, const char *dest, char *why, size_t whylen)
{
	return db->ops->backup(db, dest, why, whylen);
}
