/* db_pg.c: the PostgreSQL engine behind db.h (db_impl.h), on libpq. One connection per
 * worker thread; each statement is prepared once per connection, by name, the first
 * time it is used, with its parameters' types left to the server (the SQL is the same
 * text SQLite runs). Parameters go as text (blobs as binary bytea), results come back as
 * text and are read as db.h's integers, doubles, texts and blobs.
 *
 * Transactions (db.h): a write transaction takes the writer lock, a transaction-level
 * advisory lock that one transaction of all the servers holds at a time, waiting at
 * most busy_timeout_ms (lock_timeout) before DB_BUSY; a read transaction is REPEATABLE
 * READ, one snapshot like SQLite's. Every statement is bounded by statement_timeout.
 * A lost connection answers DB_BUSY (503) and is opened again at the next begin; the
 * server rolled back what the transaction had written. */
#include "db/db_impl.h"
#include "config.h"
#include "core/log.h"
#include <assert.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PARAMS 64
/* the writer lock and the migrations' lock: two keys of one advisory-lock space */
#define WRITER_LOCK "1145717297" /* 0x444A4231, "DJB1", as SQLite's application_id */
#define MIGRATE_LOCK "1145717298"

struct pg_stmt {
	struct db_stmt base;
	bool prepared;  /* on this connection, under name */
	char name[24];  /* "s<number>" */
	int nparams;
	int ncols;      /* of the described result */
	const char *vals[MAX_PARAMS + 1];
	int lens[MAX_PARAMS + 1];
	int fmts[MAX_PARAMS + 1];
	bool owned[MAX_PARAMS + 1];  /* vals[n] was copied and is freed at the next bind */
	char num[MAX_PARAMS + 1][32]; /* integers and doubles as text */
	PGresult *res;  /* the rows of the last step, NULL when none */
	int row, nrows; /* the current row of res, -1 before the first */
	/* the decoded bytea columns of row blob_row, each valid until the next step (as
	 * SQLite's are): a caller may hold two at once */
	unsigned char **blob;
	size_t *blob_len;
	int blob_row, blob_cols;
};

struct pg_db {
	struct db base;
	PGconn *conn;
	char *url;
	unsigned next_name;
	int64_t changes;
	bool broken; /* the connection was lost: reopened at the next begin */
	char err[512];
};

#define PG(d) ((struct pg_db *)(d))
#define PS(s) ((struct pg_stmt *)(s))

static const struct db_ops pg_ops;

/* The message of res (or of the connection), one line, for logs. */
static const char *note_error(struct pg_db *db, const PGresult *res)
{
	const char *m = res ? PQresultErrorMessage(res) : NULL;
	if (!m || !*m)
		m = PQerrorMessage(db->conn);
	snprintf(db->err, sizeof db->err, "%s", m && *m ? m : "unknown error");
	char *nl = strchr(db->err, '\n');
	if (nl)
		*nl = 0;
	return db->err;
}

/* A failed result's code: SQLSTATE classes to db.h's codes. */
static enum db_rc map_error(struct pg_db *db, const PGresult *res)
{
	if (PQstatus(db->conn) != CONNECTION_OK) {
		db->broken = true;
		db_note_busy();
		return DB_BUSY;
	}
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	if (!state)
		return DB_ERROR;
	if (strncmp(state, "23", 2) == 0)
		return DB_CONSTRAINT;
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 || strcmp(state, "55P03") == 0 ||
	    strcmp(state, "57014") == 0 || strncmp(state, "08", 2) == 0 || strcmp(state, "53300") == 0 ||
	    strcmp(state, "57P01") == 0) {
		db_note_busy();
		return DB_BUSY; /* serialization, deadlock, lock or statement timeout, connection */
	}
	if (strcmp(state, "53100") == 0)
		return DB_FULL;
	return DB_ERROR;
}

/* Runs a constant command of this file (no parameters, no rows). */
static enum db_rc run_command(struct pg_db *db, const char *sql)
{
	PGresult *r = PQexec(db->conn, sql);
	ExecStatusType s = PQresultStatus(r);
	enum db_rc rc = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK ? DB_OK : map_error(db, r);
	if (rc != DB_OK)
		log_msg(rc == DB_BUSY ? LOG_WARN : LOG_ERROR, NULL, "db: %s: %s", sql, note_error(db, r));
	PQclear(r);
	return rc;
}

/* The session settings of every connection: the bounds of DESIGN.md §8. */
static int configure(struct pg_db *db)
{
	char set[256];
	snprintf(set, sizeof set, /* codecheck-ok: integers from the config */
		 "SET statement_timeout = %lld; SET lock_timeout = %lld; SET client_encoding = 'UTF8';"
		 " SET idle_in_transaction_session_timeout = %lld",
		 (long long)cfg.statement_timeout_ms, (long long)cfg.busy_timeout_ms,
		 (long long)(cfg.request_deadline > 0 ? cfg.request_deadline * 2000 : 0));
	return run_command(db, set) == DB_OK ? 0 : -1;
}

/* The server's notices (a CREATE … IF NOT EXISTS that skipped) go to the log, not to
 * stderr where the command line's answers are. */
static void notice(void *arg, const char *msg)
{
	(void)arg;
	log_msg(LOG_DEBUG, NULL, "db: PostgreSQL: %.*s", (int)strcspn(msg, "\n"), msg);
}

/* Connects; the one-line reason into db_open_error when it cannot. */
static PGconn *connect_url(const char *url)
{
	PGconn *c = PQconnectdb(url);
	if (!c) {
		db_set_open_error("out of memory");
		return NULL;
	}
	if (PQstatus(c) != CONNECTION_OK) {
		char m[256];
		snprintf(m, sizeof m, "%s", PQerrorMessage(c));
		for (char *p = m; *p; p++)
			if (*p == '\n' || *p == '\t')
				*p = *(p + 1) ? ' ' : 0;
		db_set_open_error("PostgreSQL: %s", m);
		log_msg(LOG_ERROR, NULL, "db: cannot connect to PostgreSQL: %s", m);
		PQfinish(c);
		return NULL;
	}
	PQsetNoticeProcessor(c, notice, NULL);
	return c;
}

struct db *db_pg_open(const char *url, int flags)
{
	(void)flags; /* the database is created by its administrator (docs/OPERATIONS.md) */
	if (!db_tables_whole())
		return NULL;
	PGconn *c = connect_url(url);
	if (!c)
		return NULL;
	struct pg_db *db = calloc(1, sizeof *db);
	if (!db || !(db->url = strdup(url))) {
		free(db);
		PQfinish(c);
		return NULL;
	}
	db->base.ops = &pg_ops;
	db->conn = c;
	if (configure(db) != 0) {
		db_set_open_error("PostgreSQL: %s", db->err);
		pg_ops.close(&db->base);
		return NULL;
	}
	return &db->base;
}

static void stmt_free_params(struct pg_stmt *s)
{
	for (int n = 1; n <= MAX_PARAMS; n++) {
		if (s->owned[n])
			free((void *)s->vals[n]);
		s->owned[n] = false;
		s->vals[n] = NULL;
	}
}

static void free_blobs(struct pg_stmt *s)
{
	for (int i = 0; i < s->blob_cols; i++)
		PQfreemem(s->blob[i]);
	free(s->blob);
	free(s->blob_len);
	s->blob = NULL;
	s->blob_len = NULL;
	s->blob_cols = 0;
	s->blob_row = -1;
}

static void stmt_clear_result(struct pg_stmt *s)
{
	PQclear(s->res);
	s->res = NULL;
	s->row = -1;
	s->nrows = 0;
	free_blobs(s);
}

static void cache_clear(struct pg_db *db)
{
	for (size_t i = 0; i < db->base.cap; i++) {
		struct pg_stmt *s = PS(db->base.cache[i]);
		if (!s)
			continue;
		stmt_clear_result(s);
		stmt_free_params(s);
		free(s);
	}
	free(db->base.cache);
	db->base.cache = NULL;
	db->base.cap = db->base.used = 0;
}

static void pg_close(struct db *d)
{
	struct pg_db *db = PG(d);
	cache_clear(db);
	if (db->conn)
		PQfinish(db->conn); /* an open transaction is rolled back by the server */
	free(db->url);
	free(db);
}

/* After a lost connection: a new one, and every statement prepared again. */
static enum db_rc reconnect(struct pg_db *db)
{
	PGconn *c = connect_url(db->url);
	if (!c) {
		db_note_busy();
		return DB_BUSY;
	}
	PQfinish(db->conn);
	db->conn = c;
	for (size_t i = 0; i < db->base.cap; i++)
		if (db->base.cache[i]) {
			stmt_clear_result(PS(db->base.cache[i]));
			PS(db->base.cache[i])->prepared = false;
		}
	db->broken = false;
	if (configure(db) != 0) {
		db->broken = true;
		return DB_BUSY;
	}
	log_msg(LOG_INFO, NULL, "db: PostgreSQL connection opened again");
	return DB_OK;
}

static int pg_self_check(struct db *d, char *why, size_t whylen)
{
	struct pg_db *db = PG(d);
	if (PQserverVersion(db->conn) < 150000) {
		snprintf(why, whylen, "PostgreSQL %d is older than 15", PQserverVersion(db->conn) / 10000);
		return -1;
	}
	const char *enc = PQparameterStatus(db->conn, "server_encoding");
	if (!enc || strcmp(enc, "UTF8") != 0) {
		snprintf(why, whylen, "the database's encoding is %s, not UTF8", enc ? enc : "unknown");
		return -1;
	}
	const char *scs = PQparameterStatus(db->conn, "standard_conforming_strings");
	if (!scs || strcmp(scs, "on") != 0) {
		snprintf(why, whylen, "standard_conforming_strings is not on");
		return -1;
	}
	/* paths and names are compared and ordered byte by byte, as SQLite does */
	PGresult *r = PQexec(db->conn, "SELECT datcollate FROM pg_database WHERE datname = current_database()");
	const char *coll = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : "";
	int ok = strcmp(coll, "C") == 0 || strcmp(coll, "POSIX") == 0;
	if (!ok)
		snprintf(why, whylen, "the database's collation is \"%s\", not C (create it with LC_COLLATE 'C' TEMPLATE template0)",
			 coll);
	PQclear(r);
	return ok ? 0 : -1;
}

/* Prepares s on the connection (Parse + Describe): its parameter and column counts. */
static enum db_rc server_prepare(struct pg_db *db, struct pg_stmt *s)
{
	const char *text = db_sql_text(s->base.key, DB_PG);
	PGresult *r = PQprepare(db->conn, s->name, text, 0, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		enum db_rc rc = map_error(db, r);
		log_msg(LOG_ERROR, NULL, "db: prepare %s: %s", s->base.key->name, note_error(db, r));
		PQclear(r);
		return rc == DB_OK ? DB_ERROR : rc;
	}
	PQclear(r);
	r = PQdescribePrepared(db->conn, s->name);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		enum db_rc rc = map_error(db, r);
		log_msg(LOG_ERROR, NULL, "db: describe %s: %s", s->base.key->name, note_error(db, r));
		PQclear(r);
		return rc == DB_OK ? DB_ERROR : rc;
	}
	s->nparams = PQnparams(r);
	s->ncols = PQnfields(r);
	PQclear(r);
	if (s->nparams > MAX_PARAMS) {
		log_msg(LOG_ERROR, NULL, "db: %s has more than %d parameters", s->base.key->name, MAX_PARAMS);
		return DB_ERROR;
	}
	s->prepared = true;
	return DB_OK;
}

static struct db_stmt *pg_prepare(struct db *d, const struct db_sql *sql)
{
	struct pg_db *db = PG(d);
	struct db_stmt **slot = db_cache_slot(d, sql);
	if (!slot)
		return NULL;
	struct pg_stmt *s = PS(*slot);
	if (!s) {
		if (!sql->text) { /* a hole: db_open refuses to run with one, so never */
			log_msg(LOG_ERROR, NULL, "db: prepare %s: no statement text", sql->name ? sql->name : "(unnamed)");
			if (db_misuse_asserts)
				assert(!"a statement table entry without text");
			return NULL;
		}
		s = calloc(1, sizeof *s);
		if (!s)
			return NULL;
		s->base.key = sql;
		s->base.db = d;
		s->row = s->blob_row = -1;
		snprintf(s->name, sizeof s->name, "s%u", ++db->next_name);
		*slot = &s->base;
		d->used++;
	}
	stmt_clear_result(s);
	stmt_free_params(s);
	s->base.nocopy = false;
	s->base.misuse = false;
	if (db->broken && !d->in_tx)
		reconnect(db); /* a statement outside a transaction: nothing of it was lost */
	if (!s->prepared && !db->broken && server_prepare(db, s) != DB_OK)
		return NULL;
	return &s->base;
}

/* Whether $n exists (recording the misuse when not). A statement not prepared yet (the
 * connection was lost) takes any $n: its step answers DB_BUSY. */
static bool param(struct pg_stmt *s, int n)
{
	if (n > 0 && n <= MAX_PARAMS && (!s->prepared || n <= s->nparams)) {
		if (s->owned[n])
			free((void *)s->vals[n]);
		s->owned[n] = false;
		s->vals[n] = NULL;
		s->lens[n] = 0;
		s->fmts[n] = 0;
		return true;
	}
	db_misuse(&s->base, "parameter $", n);
	return false;
}

static void pg_bind_int(struct db_stmt *st, int n, int64_t v)
{
	struct pg_stmt *s = PS(st);
	if (!param(s, n))
		return;
	snprintf(s->num[n], sizeof s->num[n], "%lld", (long long)v);
	s->vals[n] = s->num[n];
}

static void pg_bind_double(struct db_stmt *st, int n, double v)
{
	struct pg_stmt *s = PS(st);
	if (!param(s, n))
		return;
	snprintf(s->num[n], sizeof s->num[n], "%.17g", v);
	s->vals[n] = s->num[n];
}

static void pg_bind_text(struct db_stmt *st, int n, const char *t, long len)
{
	struct pg_stmt *s = PS(st);
	if (!param(s, n) || !t)
		return;
	size_t l = len < 0 ? strlen(t) : (size_t)len;
	if (st->nocopy && (len < 0 || t[l] == 0)) { /* text goes NUL-terminated */
		s->vals[n] = t;
		return;
	}
	char *c = malloc(l + 1);
	if (!c) {
		db_misuse(st, "out of memory binding $", n);
		return;
	}
	memcpy(c, t, l);
	c[l] = 0;
	s->vals[n] = c;
	s->owned[n] = true;
}

static void pg_bind_blob(struct db_stmt *st, int n, const void *p, size_t len)
{
	struct pg_stmt *s = PS(st);
	if (!param(s, n) || !p)
		return;
	s->fmts[n] = 1; /* binary: bytea's bytes as they are */
	s->lens[n] = (int)len;
	if (st->nocopy) {
		s->vals[n] = p;
		return;
	}
	void *c = malloc(len ? len : 1);
	if (!c) {
		db_misuse(st, "out of memory binding $", n);
		return;
	}
	memcpy(c, p, len);
	s->vals[n] = c;
	s->owned[n] = true;
}

static void pg_bind_null(struct db_stmt *st, int n)
{
	param(PS(st), n);
}

/* db_changes as SQLite counts them: the rows the last INSERT, UPDATE or DELETE changed
 * (a SELECT leaves the count as it was). */
static void note_changes(struct pg_db *db, PGresult *r)
{
	const char *cmd = PQcmdStatus(r);
	if (strncmp(cmd, "INSERT", 6) == 0 || strncmp(cmd, "UPDATE", 6) == 0 || strncmp(cmd, "DELETE", 6) == 0) {
		const char *n = PQcmdTuples(r);
		db->changes = n && *n ? atoll(n) : 0;
	}
}

/* Runs s with its bindings; the rows stay in s->res. */
static enum db_rc execute(struct pg_stmt *s)
{
	struct pg_db *db = PG(s->base.db);
	if (db->broken) {
		db_note_busy();
		return DB_BUSY;
	}
	if (!s->prepared) {
		enum db_rc rc = server_prepare(db, s);
		if (rc != DB_OK)
			return rc;
	}
	PGresult *r = PQexecPrepared(db->conn, s->name, s->nparams, s->vals + 1, s->lens + 1, s->fmts + 1, 0);
	ExecStatusType st = PQresultStatus(r);
	if (st == PGRES_COMMAND_OK) {
		note_changes(db, r);
		PQclear(r);
		s->nrows = 0;
		return DB_OK;
	}
	if (st == PGRES_TUPLES_OK) {
		note_changes(db, r); /* an INSERT … RETURNING */
		s->res = r;
		s->nrows = PQntuples(r);
		s->row = -1;
		return DB_OK;
	}
	enum db_rc rc = map_error(db, r);
	log_msg(rc == DB_BUSY || rc == DB_CONSTRAINT ? LOG_WARN : LOG_ERROR, NULL, "db: step %s: %s", s->base.key->name,
		note_error(db, r));
	PQclear(r);
	return rc;
}

static enum db_rc pg_step(struct db_stmt *st)
{
	struct pg_stmt *s = PS(st);
	if (st->misuse) {
		stmt_clear_result(s);
		return DB_ERROR;
	}
	if (!s->res) {
		enum db_rc rc = execute(s);
		if (rc != DB_OK)
			return rc;
		if (!s->res) {
			s->row = -1;
			return DB_DONE;
		}
	}
	if (++s->row < s->nrows)
		return DB_ROW;
	stmt_clear_result(s);
	return DB_DONE;
}

/* db_scan: the rows come one at a time (libpq's single-row mode), so a pass over a
 * million rows does not hold them all in memory. */
static enum db_rc pg_scan(struct db_stmt *st, db_row_fn fn, void *ctx, int64_t *rows)
{
	struct pg_stmt *s = PS(st);
	struct pg_db *db = PG(st->db);
	if (st->misuse)
		return DB_ERROR;
	if (db->broken)
		return DB_BUSY;
	if (!s->prepared) {
		enum db_rc rc = server_prepare(db, s);
		if (rc != DB_OK)
			return rc;
	}
	if (!PQsendQueryPrepared(db->conn, s->name, s->nparams, s->vals + 1, s->lens + 1, s->fmts + 1, 0)) {
		log_msg(LOG_ERROR, NULL, "db: scan %s: %s", st->key->name, note_error(db, NULL));
		return map_error(db, NULL);
	}
	PQsetSingleRowMode(db->conn);
	enum db_rc rc = DB_OK;
	int64_t n = 0;
	PGresult *r;
	while ((r = PQgetResult(db->conn))) {
		ExecStatusType t = PQresultStatus(r);
		if (t == PGRES_SINGLE_TUPLE && rc == DB_OK) {
			int64_t v[DB_SCAN_MAX];
			int nf = PQnfields(r) < DB_SCAN_MAX ? PQnfields(r) : DB_SCAN_MAX;
			for (int i = 0; i < nf; i++)
				v[i] = PQgetisnull(r, 0, i) ? 0 : strtoll(PQgetvalue(r, 0, i), NULL, 10);
			fn(ctx, v, nf);
			n++;
		} else if (t != PGRES_SINGLE_TUPLE && t != PGRES_TUPLES_OK && rc == DB_OK) {
			rc = map_error(db, r);
			log_msg(LOG_ERROR, NULL, "db: scan %s: %s", st->key->name, note_error(db, r));
		}
		PQclear(r);
	}
	if (rows)
		*rows = n;
	return rc;
}

static void pg_reset(struct db_stmt *st)
{
	stmt_clear_result(PS(st));
}

/* Whether column i exists in the current row (recording the misuse when not). */
static bool column(struct pg_stmt *s, int i)
{
	if (s->res && s->row >= 0 && s->row < s->nrows && i >= 0 && i < PQnfields(s->res))
		return true;
	db_misuse(&s->base, s->res && s->row >= 0 ? "column " : "column (no current row) ", i);
	return false;
}

static int64_t pg_col_int(struct db_stmt *st, int i)
{
	struct pg_stmt *s = PS(st);
	if (!column(s, i) || PQgetisnull(s->res, s->row, i))
		return 0;
	const char *v = PQgetvalue(s->res, s->row, i);
	if (v[0] == 't' && !v[1])
		return 1; /* a boolean expression */
	if (v[0] == 'f' && !v[1])
		return 0;
	return strtoll(v, NULL, 10);
}

static double pg_col_double(struct db_stmt *st, int i)
{
	struct pg_stmt *s = PS(st);
	if (!column(s, i) || PQgetisnull(s->res, s->row, i))
		return 0;
	return strtod(PQgetvalue(s->res, s->row, i), NULL);
}

static const char *pg_col_text(struct db_stmt *st, int i)
{
	struct pg_stmt *s = PS(st);
	if (!column(s, i) || PQgetisnull(s->res, s->row, i))
		return NULL;
	return PQgetvalue(s->res, s->row, i);
}

#define BYTEAOID 17

/* Bytea column i of the current row decoded from its text form (\x…), once per row. */
static bool decode_blob(struct pg_stmt *s, int i)
{
	if (s->blob_row != s->row) {
		free_blobs(s);
		int n = PQnfields(s->res);
		s->blob = calloc((size_t)n, sizeof *s->blob);
		s->blob_len = calloc((size_t)n, sizeof *s->blob_len);
		if (!s->blob || !s->blob_len) {
			free_blobs(s);
			return false;
		}
		s->blob_cols = n;
		s->blob_row = s->row;
	}
	if (!s->blob[i])
		s->blob[i] = PQunescapeBytea((const unsigned char *)PQgetvalue(s->res, s->row, i), &s->blob_len[i]);
	return s->blob[i] != NULL;
}

static const void *pg_col_blob(struct db_stmt *st, int i)
{
	struct pg_stmt *s = PS(st);
	if (!column(s, i) || PQgetisnull(s->res, s->row, i))
		return NULL;
	if (PQftype(s->res, i) != BYTEAOID)
		return PQgetvalue(s->res, s->row, i);
	return decode_blob(s, i) ? s->blob[i] : NULL;
}

static size_t pg_col_len(struct db_stmt *st, int i)
{
	struct pg_stmt *s = PS(st);
	if (!column(s, i) || PQgetisnull(s->res, s->row, i))
		return 0;
	if (PQftype(s->res, i) != BYTEAOID)
		return (size_t)PQgetlength(s->res, s->row, i);
	return decode_blob(s, i) ? s->blob_len[i] : 0;
}

static bool pg_col_null(struct db_stmt *st, int i)
{
	struct pg_stmt *s = PS(st);
	return column(s, i) ? PQgetisnull(s->res, s->row, i) : true;
}

static void pg_mmap(struct db *d, int64_t bytes)
{
	(void)d;
	(void)bytes; /* the server reads its own pages */
}

static void pg_cache_kib(struct db *d, int64_t kib)
{
	(void)d;
	(void)kib; /* the server's shared_buffers hold the pages */
}

static int64_t pg_changes(struct db *d)
{
	return PG(d)->changes;
}

static enum db_rc begin_once(struct pg_db *db, bool write)
{
	if (!write)
		return run_command(db, "BEGIN ISOLATION LEVEL REPEATABLE READ");
	/* one round trip: the transaction, the writer lock and db_tx_undo's mark */
	enum db_rc rc = run_command(
		db, "BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock(" WRITER_LOCK "); SAVEPOINT dj_tx");
	if (rc != DB_OK && !db->broken)
		run_command(db, "ROLLBACK");
	return rc;
}

/* A connection found lost at the begin (the server restarted, an administrator ended
 * the session) is opened again and the begin tried once more: nothing had been done.
 * Lost later, the transaction's statements answer DB_BUSY (503) and the server has
 * rolled it back; the next begin reconnects. */
static enum db_rc pg_tx_begin(struct db *d, bool write)
{
	struct pg_db *db = PG(d);
	if (db->broken || PQstatus(db->conn) != CONNECTION_OK) {
		enum db_rc rc = reconnect(db);
		if (rc != DB_OK)
			return rc;
	}
	enum db_rc rc = begin_once(db, write);
	if (rc == DB_BUSY && db->broken && reconnect(db) == DB_OK)
		rc = begin_once(db, write);
	return rc;
}

static enum db_rc pg_tx_undo(struct db *d)
{
	struct pg_db *db = PG(d);
	return db->broken ? DB_BUSY : run_command(db, "ROLLBACK TO SAVEPOINT dj_tx");
}

static enum db_rc pg_tx_commit(struct db *d)
{
	struct pg_db *db = PG(d);
	PGresult *r = PQexec(db->conn, "COMMIT");
	enum db_rc rc = DB_OK;
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		rc = map_error(db, r);
		note_error(db, r);
	} else if (strcmp(PQcmdStatus(r), "ROLLBACK") == 0) {
		rc = DB_ERROR; /* the transaction had failed: COMMIT rolled it back */
		snprintf(db->err, sizeof db->err, "the transaction had failed and was rolled back");
	}
	PQclear(r);
	return rc;
}

static void pg_tx_rollback(struct db *d)
{
	struct pg_db *db = PG(d);
	if (!db->broken && PQtransactionStatus(db->conn) != PQTRANS_IDLE)
		run_command(db, "ROLLBACK");
}

static enum db_rc pg_exec_script(struct db *d, const char *sql)
{
	struct pg_db *db = PG(d);
	PGresult *r = PQexec(db->conn, sql);
	ExecStatusType s = PQresultStatus(r);
	enum db_rc rc = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK ? DB_OK : map_error(db, r);
	if (rc != DB_OK)
		log_msg(LOG_ERROR, NULL, "db: script: %s", note_error(db, r));
	PQclear(r);
	return rc;
}

static const char *pg_errmsg(struct db *d)
{
	return PG(d)->err[0] ? PG(d)->err : PQerrorMessage(PG(d)->conn);
}

static int pg_integrity_check(struct db *d, char *why, size_t whylen)
{
	(void)d;
	snprintf(why, whylen, "not run on PostgreSQL (its pages carry checksums; use pg_amcheck, docs/OPERATIONS.md)");
	return 0;
}

static int pg_check_statements(struct db *d, db_report_fn report)
{
	struct pg_db *db = PG(d);
	int failed = 0;
	for (const struct db_sql_table *const *t = db_sql_tables; *t; t++) {
		failed += db_sql_table_check(*t, report);
		for (size_t i = 0; i < (*t)->n; i++) {
			const struct db_sql *q = &(*t)->sql[i];
			if (!q->text)
				continue; /* a hole, counted above */
			PGresult *r = PQprepare(db->conn, "", db_sql_text(q, DB_PG), 0, NULL);
			if (PQresultStatus(r) != PGRES_COMMAND_OK) {
				failed++;
				if (report)
					report((*t)->name, q->name, note_error(db, r));
			}
			PQclear(r);
		}
	}
	return failed;
}

static int pg_backup(struct db *d, const char *dest, char *why, size_t whylen)
{
	(void)d;
	(void)dest;
	snprintf(why, whylen, "a PostgreSQL database is backed up with pg_basebackup or pg_dump (docs/OPERATIONS.md)");
	return -1;
}

/* Held across a whole migration run; the run's statements (an index over a million
 * members) are not bounded by statement_timeout, which is for requests. */
static int pg_migrate_lock(struct db *d, bool lock)
{
	struct pg_db *db = PG(d);
	if (lock)
		return run_command(db, "SET statement_timeout = 0; SELECT pg_advisory_lock(" MIGRATE_LOCK ")") == DB_OK ? 0 : -1;
	enum db_rc rc = run_command(db, "SELECT pg_advisory_unlock(" MIGRATE_LOCK ")");
	return configure(db) == 0 && rc == DB_OK ? 0 : -1;
}

static const struct db_ops pg_ops = {
	.dialect = DB_PG,
	.migrations = "sql/pg/",
	.close = pg_close,
	.self_check = pg_self_check,
	.prepare = pg_prepare,
	.bind_int = pg_bind_int,
	.bind_double = pg_bind_double,
	.bind_text = pg_bind_text,
	.bind_blob = pg_bind_blob,
	.bind_null = pg_bind_null,
	.step = pg_step,
	.scan = pg_scan,
	.reset = pg_reset,
	.col_int = pg_col_int,
	.col_double = pg_col_double,
	.col_text = pg_col_text,
	.col_blob = pg_col_blob,
	.col_len = pg_col_len,
	.col_null = pg_col_null,
	.cache_kib = pg_cache_kib,
	.mmap = pg_mmap,
	.changes = pg_changes,
	.tx_begin = pg_tx_begin,
	.tx_undo = pg_tx_undo,
	.tx_commit = pg_tx_commit,
	.tx_rollback = pg_tx_rollback,
	.exec_script = pg_exec_script,
	.errmsg = pg_errmsg,
	.integrity_check = pg_integrity_check,
	.check_statements = pg_check_statements,
	.backup = pg_backup,
	.migrate_lock = pg_migrate_lock,
};
