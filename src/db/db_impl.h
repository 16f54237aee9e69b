/* db_impl.h: what the two engines behind db.h share (src/db only). A connection and a
 * statement begin with the common part below; each engine (db_sqlite.c, db_pg.c) keeps
 * its own state after it and fills one struct db_ops. db.c holds the engine-neutral
 * calls (the thread's connection, optional binds, db_tx_run) and forwards the rest. */
#ifndef DJ_DB_IMPL_H
#define DJ_DB_IMPL_H
#include "db/db.h"

struct db_ops {
	enum db_dialect dialect;
	const char *migrations; /* the embedded prefix of this engine's migrations */
	void (*close)(struct db *db);
	int (*self_check)(struct db *db, char *why, size_t whylen);
	struct db_stmt *(*prepare)(struct db *db, const struct db_sql *sql);
	void (*bind_int)(struct db_stmt *st, int n, int64_t v);
	void (*bind_double)(struct db_stmt *st, int n, double v);
	void (*bind_text)(struct db_stmt *st, int n, const char *s, long len);
	void (*bind_blob)(struct db_stmt *st, int n, const void *p, size_t len);
	void (*bind_null)(struct db_stmt *st, int n);
	enum db_rc (*step)(struct db_stmt *st);
	enum db_rc (*scan)(struct db_stmt *st, db_row_fn fn, void *ctx, int64_t *rows);
	void (*reset)(struct db_stmt *st);
	int64_t (*col_int)(struct db_stmt *st, int i);
	double (*col_double)(struct db_stmt *st, int i);
	const char *(*col_text)(struct db_stmt *st, int i);
	const void *(*col_blob)(struct db_stmt *st, int i);
	size_t (*col_len)(struct db_stmt *st, int i);
	bool (*col_null)(struct db_stmt *st, int i);
	void (*cache_kib)(struct db *db, int64_t kib);
	void (*mmap)(struct db *db, int64_t bytes);
	int64_t (*changes)(struct db *db);
	enum db_rc (*tx_begin)(struct db *db, bool write);
	enum db_rc (*tx_undo)(struct db *db);
	enum db_rc (*tx_commit)(struct db *db);
	void (*tx_rollback)(struct db *db);
	enum db_rc (*exec_script)(struct db *db, const char *sql);
	const char *(*errmsg)(struct db *db);
	int (*integrity_check)(struct db *db, char *why, size_t whylen);
	int (*check_statements)(struct db *db, db_report_fn report);
	int (*backup)(struct db *db, const char *dest, char *why, size_t whylen);
	/* migrations: held across the whole run so that two servers starting at once
	 * migrate once (PostgreSQL: pg_advisory_lock; SQLite: its write lock suffices) */
	int (*migrate_lock)(struct db *db, bool lock);
};

struct db {
	const struct db_ops *ops;
	char *name; /* what it was opened with (db.c) */
	/* the prepared statements, each the engine's own struct beginning with struct
	 * db_stmt, found by db_cache_slot; the engine frees them at close */
	struct db_stmt **cache;
	size_t cap, used;
	bool in_tx;
	bool group;      /* the write transaction being begun or open is group-committed (db.h) */
	uint64_t ticket; /* the last group commit's ticket (0: durable already) */
	struct db *next_all; /* the list of thread connections (db.c) */
};

struct db_stmt {
	struct db *db;
	const struct db_sql *key;
	bool nocopy; /* db_bind_nocopy: text and blobs are bound without a copy */
	bool misuse; /* a $n or a column it does not have was used since db_prepare */
};

/* The engines' openers: NULL on failure (logged). */
struct db *db_sqlite_open(const char *path, int flags, const char *vfs);
struct db *db_pg_open(const char *url, int flags);
/* Sets db_open_error's line for this thread (printf form). */
void db_set_open_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Group commit's durability, per engine (db_sqlite.c; PostgreSQL has no tickets). */
enum db_rc db_sqlite_durable_wait(uint64_t ticket);
bool db_sqlite_durable_async(struct db_durable_wait *w);
void db_sqlite_group_stop(void);
/* Makes db (SQLite) the writer connection (db_writer): false when it is not a file's
 * (no writers' queue). */
bool db_sqlite_writer(struct db *db);
/* Takes (DB_OK, or DB_BUSY after busy_timeout_ms) or gives back the writer connection's
 * turn in its file's writers' queue; its transactions meanwhile do not queue again. */
enum db_rc db_sqlite_lease(struct db *db, bool take);
/* Counts a DB_BUSY for /metrics (db_busy_count). */
void db_note_busy(void);
/* Logs a misuse of st once and marks it (db.h: asserts in test builds). */
void db_misuse(struct db_stmt *st, const char *what, int n);
/* The text of sql for this dialect. */
static inline const char *db_sql_text(const struct db_sql *sql, enum db_dialect d)
{
	return d == DB_PG && sql->pg ? sql->pg : sql->text;
}
/* The cache slot of key on db (open addressing on the db_sql's address): the statement
 * prepared for it, or an empty slot the engine fills (then db->used++). NULL when out
 * of memory. */
struct db_stmt **db_cache_slot(struct db *db, const struct db_sql *key);
/* The registered tables have no hole (checked once, before the first connection). */
bool db_tables_whole(void);
#endif
