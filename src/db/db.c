/* db.c: the engine-neutral half of db.h. db_open picks the engine by the form of the
 * name (a postgres:// URL or a file path); every other call forwards to the
 * connection's engine (db_impl.h), except what is the same on both: the thread's
 * connection, the optional binds, db_col_dup and db_tx_run. */
#include "db/db_impl.h"
#include "config.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/log.h"
#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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

static struct db *named(struct db *db, const char *name)
{
	if (db && !(db->name = strdup(name))) {
		db->ops->close(db);
		return NULL;
	}
	return db;
}

struct db *db_open(const char *path, int flags)
{
	open_error[0] = 0;
	return named(db_is_url(path) ? db_pg_open(path, flags) : db_sqlite_open(path, flags, NULL), path);
}

struct db *db_open_vfs(const char *path, int flags, const char *vfs)
{
	return named(db_sqlite_open(path, flags, vfs), path);
}

const char *db_name(struct db *db)
{
	return db->name;
}

enum db_dialect db_dialect(struct db *db)
{
	return db->ops->dialect;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	free(db->name);
	db->ops->close(db);
}

int db_self_check(struct db *db, char *why, size_t whylen)
{
	return db->ops->self_check(db, why, whylen);
}

static void remember(struct db *db)
{
	pthread_mutex_lock(&all_mu);
	db->next_all = all_dbs;
	all_dbs = db;
	pthread_mutex_unlock(&all_mu);
}

struct db *db_thread(void)
{
	if (tl_db)
		return tl_db;
	struct db *db = db_open(cfg.db, 0);
	if (!db)
		return NULL;
	remember(db);
	tl_db = db;
	return db;
}

/* The process's writer connection (db.h): opened on first use, by whichever thread, and
 * used by one thread at a time, inside the writers' queue of its file. */
static pthread_mutex_t writer_mu = PTHREAD_MUTEX_INITIALIZER;
static struct db *_Atomic writer_db;
static bool writer_tried;

static struct db *db_writer(void);

enum db_rc db_writer_take(struct db **out)
{
	*out = db_writer();
	if (!*out)
		return DB_OK;
	enum db_rc rc = db_sqlite_lease(*out, true);
	if (rc != DB_OK)
		*out = NULL;
	return rc;
}

void db_writer_give(struct db *w)
{
	assert(!w->in_tx);
	(void)db_sqlite_lease(w, false);
}

static struct db *db_writer(void)
{
	struct db *w = atomic_load(&writer_db);
	if (w)
		return w;
	pthread_mutex_lock(&writer_mu);
	if (!(w = atomic_load(&writer_db)) && !writer_tried && !db_is_url(cfg.db)) {
		writer_tried = true;
		w = db_open(cfg.db, 0);
		if (w && !db_sqlite_writer(w)) { /* in memory: a connection of its own would be another database */
			db_close(w);
			w = NULL;
		}
		if (w) {
			remember(w);
			atomic_store(&writer_db, w);
		}
	}
	pthread_mutex_unlock(&writer_mu);
	return w;
}

/* The replica's replay lag: 0 when it has replayed all it received (an idle primary
 * sends nothing, and the last replayed transaction's age would grow for no reason);
 * else the age of the last replayed transaction. A server not in recovery is not
 * behind. */
enum replica_stmt { STMT_REPLICA_LAG, REPLICA_STMT__MAX };
static const struct db_sql replica_sql[REPLICA_STMT__MAX] = {
	[STMT_REPLICA_LAG] = {"replica.lag", "SELECT 0",
	 "SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0"
	 " WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0"
	 " ELSE COALESCE(CAST(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) * 1000 AS BIGINT), 86400000) END"},
};
DB_SQL_TABLE(replica, replica_sql);

static _Thread_local struct db *tl_replica;
static _Thread_local double tl_checked_ms, tl_retry_ms;
static _Thread_local enum db_replica_state tl_state;
static _Atomic int64_t replica_lag_ms; /* the last seen, for /readyz */

/* Opens (at most every 5 s after a failure) and measures this thread's replica. */
static void replica_check(double now)
{
	if (!tl_replica) {
		if (now < tl_retry_ms) {
			tl_state = DB_REPLICA_DOWN;
			return;
		}
		if (!(tl_replica = db_open(cfg.db_replica, DB_OPEN_READONLY))) {
			tl_retry_ms = now + 5000;
			tl_state = DB_REPLICA_DOWN;
			return;
		}
		remember(tl_replica);
	}
	tl_checked_ms = now;
	struct db_stmt *st = db_prepare(tl_replica, &replica_sql[STMT_REPLICA_LAG]);
	if (!st || db_step(st) != DB_ROW) {
		tl_state = DB_REPLICA_DOWN;
		return;
	}
	int64_t lag = db_col_int(st, DB_COL_ONLY);
	db_reset(st);
	atomic_store(&replica_lag_ms, lag);
	tl_state = lag <= cfg.replica_max_lag_ms ? DB_REPLICA_OK : DB_REPLICA_LAGGING;
}

struct db *db_replica(void)
{
	if (!cfg.db_replica || !cfg.db_replica[0])
		return NULL;
	double now = clock_mono_ms();
	if (!tl_replica || now - tl_checked_ms >= 1000)
		replica_check(now);
	return tl_state == DB_REPLICA_OK ? tl_replica : NULL;
}

enum db_replica_state db_replica_probe(int64_t *lag_ms)
{
	*lag_ms = 0;
	if (!cfg.db_replica || !cfg.db_replica[0])
		return DB_REPLICA_NONE;
	replica_check(clock_mono_ms());
	*lag_ms = atomic_load(&replica_lag_ms);
	return tl_state;
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
	tl_replica = NULL;
	pthread_mutex_lock(&writer_mu);
	atomic_store(&writer_db, NULL);
	writer_tried = false;
	pthread_mutex_unlock(&writer_mu);
	db_sqlite_group_stop();
}

static size_t hash_ptr(const void *p, size_t cap)
{
	uintptr_t x = (uintptr_t)p;
	x ^= x >> 17;
	x *= 0x9E3779B97F4A7C15ull;
	return (size_t)(x >> 7) & (cap - 1);
}

struct db_stmt **db_cache_slot(struct db *db, const struct db_sql *key)
{
	if (db->used * 2 >= db->cap) {
		size_t ncap = db->cap ? db->cap * 2 : 64;
		struct db_stmt **n = calloc(ncap, sizeof *n);
		if (!n)
			return NULL;
		for (size_t i = 0; i < db->cap; i++) {
			if (!db->cache[i])
				continue;
			size_t j = hash_ptr(db->cache[i]->key, ncap);
			while (n[j])
				j = (j + 1) & (ncap - 1);
			n[j] = db->cache[i];
		}
		free(db->cache);
		db->cache = n;
		db->cap = ncap;
	}
	size_t j = hash_ptr(key, db->cap);
	while (db->cache[j] && db->cache[j]->key != key)
		j = (j + 1) & (db->cap - 1);
	return &db->cache[j];
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

void db_mmap(struct db *db, int64_t bytes)
{
	db->ops->mmap(db, bytes);
}

int64_t db_changes(struct db *db)
{
	return db->ops->changes(db);
}

enum db_rc db_tx_begin(struct db *db, bool write)
{
	db->group = false;
	enum db_rc rc = db->ops->tx_begin(db, write);
	if (rc == DB_OK)
		db->in_tx = true;
	return rc;
}

enum db_rc db_tx_begin_group(struct db *db)
{
	db->group = true; /* the engine clears it when it cannot group */
	enum db_rc rc = db->ops->tx_begin(db, true);
	if (rc == DB_OK)
		db->in_tx = true;
	else
		db->group = false;
	return rc;
}

enum db_rc db_tx_commit_group(struct db *db, uint64_t *ticket)
{
	*ticket = 0;
	db->ticket = 0;
	enum db_rc rc = db->ops->tx_commit(db);
	if (rc == DB_OK) {
		db->in_tx = false;
		*ticket = db->ticket;
	} else {
		log_msg(LOG_WARN, NULL, "db: commit failed: %s", db_errmsg(db));
		db_tx_rollback(db);
	}
	db->group = false;
	return rc;
}

enum db_rc db_durable_wait(uint64_t ticket)
{
	return ticket ? db_sqlite_durable_wait(ticket) : DB_OK;
}

bool db_durable_async(struct db_durable_wait *w)
{
	w->rc = DB_OK;
	return w->ticket ? db_sqlite_durable_async(w) : false;
}

enum db_rc db_tx_undo(struct db *db)
{
	return db->in_tx ? db->ops->tx_undo(db) : DB_ERROR;
}

enum db_rc db_tx_commit(struct db *db)
{
	db->ticket = 0;
	enum db_rc rc = db->ops->tx_commit(db);
	if (rc == DB_OK) {
		db->in_tx = false;
		db->group = false;
		if (db->ticket) /* a group commit: not acknowledged before it is durable */
			rc = db_sqlite_durable_wait(db->ticket);
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
	db->group = false;
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
