/* db_sqlite.c: the SQLite engine behind db.h (db_impl.h). One connection per worker
 * thread, each with its own cache of prepared statements keyed by the db_sql pointer.
 * Binds and column reads are checked against the statement (db.h: a misuse asserts, or
 * fails the next step in release). */
#include "db/db_impl.h"
#include "config.h"
#include "core/log.h"
#include <assert.h>
#include <malloc.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DJ_APPLICATION_ID_TEXT "1145717297" /* 0x444A4231, "DJB1" */
#define MAX_PARAMS 64

struct sq_stmt {
	struct db_stmt base;
	sqlite3_stmt *st;
	int nparams;
	int idx[MAX_PARAMS + 1]; /* $n → SQLite parameter index */
};

struct sq_db {
	struct db base;
	sqlite3 *h;
	db_row_fn scan_fn; /* db_scan's callback while its statement runs */
	void *scan_ctx;
	int64_t scan_rows;
};

#define SQ(d) ((struct sq_db *)(d))
#define ST(s) ((struct sq_stmt *)(s))


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
		db_note_busy();
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
	struct sq_db *db = sqlite3_user_data(c);
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
	struct sq_db *db = sqlite3_user_data(c);
	sqlite3_result_int64(c, db->scan_rows);
}

static const struct db_ops sq_ops;
static void sq_close(struct db *db);

/* Before the first connection: no global memory statistics, whose mutex every
 * sqlite3_malloc of every thread would take (nothing here reads them). */
static void sqlite_setup(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

struct db *db_sqlite_open(const char *path, int flags, const char *vfs)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, sqlite_setup);
	if (!db_tables_whole())
		return NULL;
	sqlite3 *h = NULL;
	int oflags = SQLITE_OPEN_NOMUTEX;
	oflags |= (flags & DB_OPEN_READONLY) ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	if (flags & DB_OPEN_CREATE)
		oflags |= SQLITE_OPEN_CREATE;
	int rc = sqlite3_open_v2(path, &h, oflags, vfs);
	if (rc != SQLITE_OK) {
		db_set_open_error("%s", sqlite3_errstr(rc));
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
		db_set_open_error("%s", sqlite3_errmsg(h));
		sqlite3_close(h);
		return NULL;
	}
	struct sq_db *db = calloc(1, sizeof *db);
	if (!db) {
		sqlite3_close(h);
		return NULL;
	}
	db->base.ops = &sq_ops;
	db->h = h;
	if (sqlite3_create_function(h, "dj_row", -1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, db, NULL, scan_step, scan_final) !=
	    SQLITE_OK) {
		sq_close(&db->base);
		return NULL;
	}
	return &db->base;
}

static void cache_clear(struct sq_db *db)
{
	for (size_t i = 0; i < db->base.cap; i++)
		if (db->base.cache[i]) {
			sqlite3_finalize(ST(db->base.cache[i])->st);
			free(db->base.cache[i]);
		}
	free(db->base.cache);
	db->base.cache = NULL;
	db->base.cap = db->base.used = 0;
}

static void sq_close(struct db *d)
{
	struct sq_db *db = SQ(d);
	if (d->in_tx)
		exec_pragma(db->h, "ROLLBACK");
	cache_clear(db);
	sqlite3_close(db->h);
	free(db);
}

static int sq_self_check(struct db *d, char *why, size_t whylen)
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
		if (pragma_text_is(SQ(d)->h, checks[i].pragma, checks[i].want) != 1) {
			snprintf(why, whylen, "%s is not %s", checks[i].pragma, checks[i].want);
			return -1;
		}
	}
	return 0;
}

static int map_params(struct sq_stmt *s)
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

static struct db_stmt *sq_prepare(struct db *d, const struct db_sql *sql)
{
	struct sq_db *db = SQ(d);
	struct db_stmt **slot = db_cache_slot(d, sql);
	if (!slot)
		return NULL;
	struct sq_stmt *s = ST(*slot);
	if (s) {
		sqlite3_reset(s->st);
		sqlite3_clear_bindings(s->st);
		s->base.nocopy = false;
		s->base.misuse = false;
		return &s->base;
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
	struct sq_stmt tmp = {.base = {.key = sql, .db = d}, .st = st};
	if (map_params(&tmp) != 0) {
		/* ?, ?NNN or :name would bind differently on PostgreSQL: a bug in the table */
		log_msg(LOG_ERROR, NULL, "db: %s uses parameters other than $n", sql->name);
		sqlite3_finalize(st);
		return NULL;
	}
	if (!(s = malloc(sizeof *s))) {
		sqlite3_finalize(st);
		return NULL;
	}
	*s = tmp;
	*slot = &s->base;
	d->used++;
	return &s->base;
}

/* The SQLite index of $n, or 0 after recording the misuse. */
static int param(struct sq_stmt *s, int n)
{
	if (n > 0 && n <= s->nparams && s->idx[n])
		return s->idx[n];
	db_misuse(&s->base, "parameter $", n);
	return 0;
}

/* Whether column i exists in the current row (recording the misuse when not). */
static bool column(struct sq_stmt *s, int i)
{
	if (i >= 0 && i < sqlite3_data_count(s->st)) /* 0 when no row is current */
		return true;
	db_misuse(&s->base, sqlite3_data_count(s->st) ? "column " : "column (no current row) ", i);
	return false;
}

static void sq_bind_int(struct db_stmt *s, int n, int64_t v)
{
	int j = param(ST(s), n);
	if (j)
		sqlite3_bind_int64(ST(s)->st, j, v);
}

static void sq_bind_double(struct db_stmt *s, int n, double v)
{
	int j = param(ST(s), n);
	if (j)
		sqlite3_bind_double(ST(s)->st, j, v);
}

static void sq_bind_text(struct db_stmt *s, int n, const char *t, long len)
{
	int j = param(ST(s), n);
	if (!j)
		return;
	if (!t)
		sqlite3_bind_null(ST(s)->st, j);
	else
		sqlite3_bind_text(ST(s)->st, j, t, (int)len, s->nocopy ? SQLITE_STATIC : SQLITE_TRANSIENT);
}

static void sq_bind_blob(struct db_stmt *s, int n, const void *p, size_t len)
{
	int j = param(ST(s), n);
	if (!j)
		return;
	if (!p)
		sqlite3_bind_null(ST(s)->st, j);
	else
		sqlite3_bind_blob(ST(s)->st, j, p, (int)len, s->nocopy ? SQLITE_STATIC : SQLITE_TRANSIENT);
}

static void sq_bind_null(struct db_stmt *s, int n)
{
	int j = param(ST(s), n);
	if (j)
		sqlite3_bind_null(ST(s)->st, j);
}

static enum db_rc sq_step(struct db_stmt *s)
{
	sqlite3_stmt *st = ST(s)->st;
	if (s->misuse) { /* logged when it happened */
		sqlite3_reset(st);
		return DB_ERROR;
	}
	int rc = sqlite3_step(st);
	enum db_rc r = map_rc(rc);
	if (r == DB_ERROR || r == DB_FULL)
		log_msg(LOG_ERROR, NULL, "db: step %s: %s", s->key->name, sqlite3_errmsg(SQ(s->db)->h));
	if (r != DB_ROW)
		sqlite3_reset(st);
	return r;
}

static enum db_rc sq_scan(struct db_stmt *s, db_row_fn fn, void *ctx, int64_t *rows)
{
	struct sq_db *db = SQ(s->db);
	db->scan_fn = fn;
	db->scan_ctx = ctx;
	db->scan_rows = 0;
	enum db_rc rc = sq_step(s);
	if (rc == DB_ROW && rows)
		*rows = sqlite3_column_int64(ST(s)->st, DB_COL_ONLY); /* dj_row's aggregate: the rows passed */
	sqlite3_reset(ST(s)->st);
	db->scan_fn = NULL;
	db->scan_ctx = NULL;
	return rc == DB_ROW ? DB_OK : rc;
}

static void sq_reset(struct db_stmt *s)
{
	sqlite3_reset(ST(s)->st);
}

static int64_t sq_col_int(struct db_stmt *s, int i)
{
	return column(ST(s), i) ? sqlite3_column_int64(ST(s)->st, i) : 0;
}

static double sq_col_double(struct db_stmt *s, int i)
{
	return column(ST(s), i) ? sqlite3_column_double(ST(s)->st, i) : 0;
}

static const char *sq_col_text(struct db_stmt *s, int i)
{
	return column(ST(s), i) ? (const char *)sqlite3_column_text(ST(s)->st, i) : NULL;
}

static const void *sq_col_blob(struct db_stmt *s, int i)
{
	return column(ST(s), i) ? sqlite3_column_blob(ST(s)->st, i) : NULL;
}

static size_t sq_col_len(struct db_stmt *s, int i)
{
	return column(ST(s), i) ? (size_t)sqlite3_column_bytes(ST(s)->st, i) : 0;
}

static bool sq_col_null(struct db_stmt *s, int i)
{
	return column(ST(s), i) ? sqlite3_column_type(ST(s)->st, i) == SQLITE_NULL : true;
}

static void sq_cache_kib(struct db *d, int64_t kib)
{
	char pragma[64];
	snprintf(pragma, sizeof pragma, "PRAGMA cache_size=-%lld", (long long)(kib > 0 ? kib : cfg.cache_kib)); /* codecheck-ok: integer */
	exec_pragma(SQ(d)->h, pragma);
	if (kib <= 0) {
		sqlite3_db_release_memory(SQ(d)->h);
		malloc_trim(0); /* and the heap gives the freed pages back to the system */
	}
}

static int64_t sq_changes(struct db *d)
{
	return sqlite3_changes64(SQ(d)->h);
}

/* Transaction control as cached statements: every request begins and ends one, and
 * sqlite3_exec would parse the text each time (bench/results.md). */
enum tx_stmt {
	STMT_TX_BEGIN,
	STMT_TX_BEGIN_IMMEDIATE,
	STMT_TX_SAVEPOINT,
	STMT_TX_UNDO,
	STMT_TX_COMMIT,
	STMT_TX_ROLLBACK,
	TX_STMT__MAX
};
static const struct db_sql tx_sql[TX_STMT__MAX] = {
	[STMT_TX_BEGIN] = {"tx.begin", "BEGIN"},
	[STMT_TX_BEGIN_IMMEDIATE] = {"tx.begin_immediate", "BEGIN IMMEDIATE", "BEGIN"},
	/* db_tx_undo's mark, taken at the start of every write transaction */
	[STMT_TX_SAVEPOINT] = {"tx.savepoint", "SAVEPOINT dj_tx"},
	[STMT_TX_UNDO] = {"tx.undo", "ROLLBACK TO SAVEPOINT dj_tx"},
	[STMT_TX_COMMIT] = {"tx.commit", "COMMIT"},
	[STMT_TX_ROLLBACK] = {"tx.rollback", "ROLLBACK"},
};
DB_SQL_TABLE(tx, tx_sql);

static enum db_rc exec_simple(struct db *d, const struct db_sql *sql)
{
	struct db_stmt *st = sq_prepare(d, sql);
	if (!st)
		return map_rc(sqlite3_exec(SQ(d)->h, sql->text, NULL, NULL, NULL)); /* no statement (out of memory) */
	enum db_rc rc = sq_step(st);
	return rc == DB_DONE ? DB_OK : rc;
}

static enum db_rc sq_tx_begin(struct db *d, bool write)
{
	enum db_rc rc = exec_simple(d, &tx_sql[write ? STMT_TX_BEGIN_IMMEDIATE : STMT_TX_BEGIN]);
	if (rc != DB_OK || !write)
		return rc;
	rc = exec_simple(d, &tx_sql[STMT_TX_SAVEPOINT]);
	if (rc != DB_OK)
		exec_simple(d, &tx_sql[STMT_TX_ROLLBACK]);
	return rc;
}

static enum db_rc sq_tx_undo(struct db *d)
{
	return exec_simple(d, &tx_sql[STMT_TX_UNDO]);
}

static enum db_rc sq_tx_commit(struct db *d)
{
	return exec_simple(d, &tx_sql[STMT_TX_COMMIT]);
}

static void sq_tx_rollback(struct db *d)
{
	if (sqlite3_get_autocommit(SQ(d)->h) == 0)
		exec_simple(d, &tx_sql[STMT_TX_ROLLBACK]);
}

static enum db_rc sq_exec_script(struct db *d, const char *sql)
{
	char *err = NULL;
	int rc = sqlite3_exec(SQ(d)->h, sql, NULL, NULL, &err);
	if (rc != SQLITE_OK) {
		log_msg(LOG_ERROR, NULL, "db: script: %s", err ? err : sqlite3_errstr(rc));
		sqlite3_free(err);
	}
	return map_rc(rc);
}

static const char *sq_errmsg(struct db *d)
{
	return sqlite3_errmsg(SQ(d)->h);
}

static int sq_integrity_check(struct db *d, char *why, size_t whylen)
{
	sqlite3_stmt *st = NULL;
	int ok = -1;
	sqlite3 *h = SQ(d)->h;
	if (sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 0);
		snprintf(why, whylen, "%s", v ? v : "(null)");
		ok = v && strcmp(v, "ok") == 0 ? 0 : -1;
	} else {
		snprintf(why, whylen, "%s", sqlite3_errmsg(h));
	}
	sqlite3_finalize(st);
	return ok;
}

static int sq_check_statements(struct db *d, db_report_fn report)
{
	int failed = 0;
	sqlite3 *h = SQ(d)->h;
	for (const struct db_sql_table *const *t = db_sql_tables; *t; t++) {
		failed += db_sql_table_check(*t, report);
		for (size_t i = 0; i < (*t)->n; i++) {
			const struct db_sql *q = &(*t)->sql[i];
			if (!q->text)
				continue; /* a hole, counted above */
			sqlite3_stmt *st = NULL;
			const char *why = NULL;
			if (sqlite3_prepare_v2(h, q->text, -1, &st, NULL) != SQLITE_OK) {
				why = sqlite3_errmsg(h);
			} else {
				struct sq_stmt tmp = {.st = st};
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

static int sq_backup(struct db *d, const char *dest, char *why, size_t whylen)
{
	sqlite3 *out = NULL;
	int rc = sqlite3_open_v2(dest, &out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		snprintf(why, whylen, "cannot open %s: %s", dest, sqlite3_errstr(rc));
		sqlite3_close(out);
		return -1;
	}
	sqlite3_backup *b = sqlite3_backup_init(out, "main", SQ(d)->h, "main");
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

/* Each migration takes the write lock itself (BEGIN IMMEDIATE), and the version is
 * read again inside it: one process applies a file, the other finds it applied. */
static int sq_migrate_lock(struct db *d, bool lock)
{
	(void)d;
	(void)lock;
	return 0;
}

static const struct db_ops sq_ops = {
	.dialect = DB_SQLITE,
	.migrations = "sql/sqlite/",
	.close = sq_close,
	.self_check = sq_self_check,
	.prepare = sq_prepare,
	.bind_int = sq_bind_int,
	.bind_double = sq_bind_double,
	.bind_text = sq_bind_text,
	.bind_blob = sq_bind_blob,
	.bind_null = sq_bind_null,
	.step = sq_step,
	.scan = sq_scan,
	.reset = sq_reset,
	.col_int = sq_col_int,
	.col_double = sq_col_double,
	.col_text = sq_col_text,
	.col_blob = sq_col_blob,
	.col_len = sq_col_len,
	.col_null = sq_col_null,
	.cache_kib = sq_cache_kib,
	.changes = sq_changes,
	.tx_begin = sq_tx_begin,
	.tx_undo = sq_tx_undo,
	.tx_commit = sq_tx_commit,
	.tx_rollback = sq_tx_rollback,
	.exec_script = sq_exec_script,
	.errmsg = sq_errmsg,
	.integrity_check = sq_integrity_check,
	.check_statements = sq_check_statements,
	.backup = sq_backup,
	.migrate_lock = sq_migrate_lock,
};
