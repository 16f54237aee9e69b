/* migrate_data.c: the engine of `dangjian migrate-data` (issue 12 #5; contract in
 * db_migrate_data.h): a dangjian SQLite database, through an online backup, into an
 * empty PostgreSQL one with COPY. It talks to both engines directly (sqlite3, libpq)
 * because it moves bytes, not records: no model code runs, no value is decrypted or
 * rewritten, so the audit chain and the sealed numbers arrive as they left.
 *
 * The SQL here that names a table or a column is built from the source's own schema
 * (sqlite_master, pragma_table_info) after checking that the target has the same names;
 * those names are quoted ("…", quotes doubled) and the lines say so for tools/codecheck.
 * No value is ever put into SQL text: values go through COPY's data stream. */
#include "db/db_migrate_data.h"
#include "db/db.h"
#include <errno.h>
#include <libpq-fe.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The application_id db_sqlite.c writes (DJ_APPLICATION_ID_TEXT): 0x444A4231, "DJB1". */
#define DJ_APPLICATION_ID 1145717297
#define COPY_CHUNK (256 * 1024)      /* bytes of COPY data handed to libpq at a time */
#define PROGRESS_EVERY 16384         /* rows between two progress calls */

/* Tables into which a migration writes their one row (0040: member_rev, with its
 * revision and epoch): they are not counted when deciding whether the target is empty,
 * and the copy replaces the target's row with the source's. A new migration that seeds
 * another table makes a fresh target look non-empty (the refusal names the table, and
 * tests/api/migrate_data.test.mjs fails): add the table here then. */
static const char *const seeded_tables[] = {"member_rev", "calendar_days", "calendar_years", "transfer_rev",
					    "dev_rev", "org_rev", "base_rev", "path_positions", "meeting_rev",
					    "svc_rev", "meeting_list_rev", "auth_rev", NULL};

/* How a column's values are written into COPY's text format, from the target's type. */
enum md_kind { MD_TEXT, MD_INT, MD_FLOAT, MD_BYTEA };

struct md_col {
	char *name;
	enum md_kind kind;
	char *seq; /* the column's serial/identity sequence on the target, or NULL */
};

struct md_table {
	char *name;
	struct md_col *cols;
	int ncols;
	bool seeded;
	int64_t src_rows; /* count(*) on the snapshot */
	int64_t copied;
};

/* An index or a constraint of the target, as its catalog renders it: the statement
 * that drops it and the one that makes it again (pg_get_indexdef, pg_get_constraintdef). */
enum md_ddl_kind { MD_DDL_KEY, MD_DDL_INDEX, MD_DDL_FKEY, MD_DDL__MAX }; /* the order they are made in */
struct md_ddl {
	enum md_ddl_kind kind;
	char *name, *drop, *create;
};

struct md {
	const char *from, *to;
	sqlite3 *src; /* the source, then the snapshot (read-only) */
	PGconn *pg;
	char tmp[4096]; /* the snapshot's path while it has one */
	struct md_table *t;
	int nt;
	db_md_progress_fn progress;
	void *ctx;
	struct db_md_result *res;
	char *why;
	size_t whylen;
	char *buf; /* COPY data */
	size_t blen, bcap;
	struct md_ddl *ddl; /* the target's indexes and constraints, dropped for the copy */
	int nddl;
};

/* ---- small helpers ----------------------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fail(struct md *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct md *m, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m->why, m->whylen, fmt, ap);
	va_end(ap);
	/* one line: libpq's messages end with a newline and may hold several */
	for (char *p = m->why; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = p[1] ? ' ' : 0;
	size_t n = strlen(m->why);
	while (n && m->why[n - 1] == ' ')
		m->why[--n] = 0;
	return -1;
}

/* A growable string for the SQL that names tables and columns. */
struct sb {
	char *p;
	size_t n, cap;
	bool oom;
};

static void sb_add(struct sb *b, const char *s)
{
	size_t k = strlen(s);
	if (b->oom)
		return;
	if (b->n + k + 1 > b->cap) {
		size_t cap = (b->cap ? b->cap : 256);
		while (cap < b->n + k + 1)
			cap *= 2;
		char *q = realloc(b->p, cap);
		if (!q) {
			b->oom = true;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, k + 1);
	b->n += k;
}

/* name as a quoted SQL identifier ("a""b"), the same in SQLite and PostgreSQL. */
static void sb_ident(struct sb *b, const char *name)
{
	sb_add(b, "\"");
	for (const char *s = name; *s; s++) {
		char c[2] = {*s, 0};
		sb_add(b, *s == '"' ? "\"\"" : c);
	}
	sb_add(b, "\"");
}

/* The first line of a libpq message (connection or result), without its "ERROR:" prefix
 * when a result's primary message is at hand; COPY's context names the line and column.
 * The value itself (quoted after ": " in both) is cut off: the data may be personal. */
static const char *pg_result_msg(const PGresult *r, char *out, size_t cap)
{
	const char *primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *context = r ? PQresultErrorField(r, PG_DIAG_CONTEXT) : NULL;
	if (!primary) {
		snprintf(out, cap, "%s", r ? PQresultErrorMessage(r) : "no result");
		return out;
	}
	/* a value PostgreSQL refuses is quoted at the end of its message: cut off too */
	char prim[256];
	snprintf(prim, sizeof prim, "%s", primary);
	char *val = strstr(prim, ": \"");
	if (val)
		*val = 0;
	char ctx[160] = "";
	if (context) {
		snprintf(ctx, sizeof ctx, "%s", context);
		char *cut = strstr(ctx, ": \"");
		if (cut)
			*cut = 0;
		cut = strchr(ctx, '\n');
		if (cut)
			*cut = 0;
	}
	snprintf(out, cap, "%s%s%s%s", prim, ctx[0] ? " (" : "", ctx, ctx[0] ? ")" : "");
	return out;
}

/* Runs one statement on the target expecting no rows or a result; -1 with why. */
static int pg_exec(struct md *m, const char *sql, const char *what)
{
	PGresult *r = PQexec(m->pg, sql);
	ExecStatusType s = PQresultStatus(r);
	int rc = 0;
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
		char msg[512];
		rc = fail(m, "%s: %s", what, pg_result_msg(r, msg, sizeof msg));
	}
	PQclear(r);
	return rc;
}

/* One value (row 0, column 0) of a query with up to two text parameters; NULL on error
 * (why set) and for SQL NULL (*isnull). The caller frees. */
static char *pg_value(struct md *m, const char *sql, const char *p1, const char *p2, bool *isnull,
		      const char *what)
{
	const char *params[2] = {p1, p2};
	int np = p2 ? 2 : p1 ? 1 : 0;
	PGresult *r = PQexecParams(m->pg, sql, np, NULL, params, NULL, NULL, 0);
	char *v = NULL;
	*isnull = false;
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) < 1) {
		char msg[512];
		fail(m, "%s: %s", what, pg_result_msg(r, msg, sizeof msg));
	} else if (PQgetisnull(r, 0, 0)) {
		*isnull = true;
	} else if (!(v = strdup(PQgetvalue(r, 0, 0)))) {
		fail(m, "%s: out of memory", what);
	}
	PQclear(r);
	return v;
}

static bool is_seeded(const char *name)
{
	for (const char *const *s = seeded_tables; *s; s++)
		if (strcmp(*s, name) == 0)
			return true;
	return false;
}

/* ---- the source -------------------------------------------------------------------- */

/* One integer from a constant query on the source; -1 with why on error. */
static int src_int(struct md *m, const char *sql, int64_t *out, const char *what)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(m->src, sql, -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		return 0;
	}
	if (rc == SQLITE_DONE)
		*out = 0;
	int ret = rc == SQLITE_DONE ? 0 : -1;
	if (ret) {
		if ((rc & 0xff) == SQLITE_NOTADB)
			fail(m, "%s is not a SQLite database", m->from);
		else
			fail(m, "%s: %s: %s", m->from, what, sqlite3_errmsg(m->src));
	}
	sqlite3_finalize(st);
	return ret;
}

/* The source opened read-only and recognized: a dangjian database (application_id),
 * with schema_migrations, at this binary's schema version. */
static int src_check(struct md *m)
{
	int64_t app = 0, has = 0, version = 0;
	if (src_int(m, "PRAGMA application_id", &app, "application_id") != 0)
		return -1;
	if (app != DJ_APPLICATION_ID)
		return fail(m, "%s is not a dangjian database (application_id %lld, expected %d)", m->from,
			    (long long)app, DJ_APPLICATION_ID);
	if (src_int(m, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'", &has,
		    "schema") != 0)
		return -1;
	if (!has)
		return fail(m, "%s is not a dangjian database (no schema_migrations table)", m->from);
	if (src_int(m, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &version, "schema version") != 0)
		return -1;
	int latest = db_schema_latest();
	if (version != latest)
		return fail(m, "%s is at schema version %lld and this binary's is %d: %s", m->from, (long long)version,
			    latest,
			    version < latest ? "run `dangjian migrate` on it with this binary first"
					     : "use the dangjian binary that wrote it");
	m->res->version = latest;
	return 0;
}

static int src_open_check(struct md *m)
{
	int rc = sqlite3_open_v2(m->from, &m->src, SQLITE_OPEN_READONLY, NULL);
	if (rc != SQLITE_OK)
		return fail(m, "cannot open %s: %s", m->from, sqlite3_errstr(rc));
	sqlite3_busy_timeout(m->src, 10000);
	return src_check(m);
}

/* The tables to copy and their columns, from the source's schema: every table but
 * SQLite's own (sqlite_%) and schema_migrations (the target has its own). */
static int src_tables(struct md *m)
{
	sqlite3_stmt *st = NULL, *ci = NULL;
	int rc = sqlite3_prepare_v2(m->src,
				    "SELECT name FROM sqlite_master WHERE type = 'table'"
				    " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> 'schema_migrations'"
				    " ORDER BY rowid",
				    -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(m->src, "SELECT name FROM pragma_table_info($1) ORDER BY cid", -1, &ci, NULL);
	int ret = 0;
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct md_table *nt = realloc(m->t, (size_t)(m->nt + 1) * sizeof *nt);
		if (!nt) {
			ret = fail(m, "out of memory");
			break;
		}
		m->t = nt;
		struct md_table *t = &m->t[m->nt++];
		memset(t, 0, sizeof *t);
		t->name = strdup((const char *)sqlite3_column_text(st, 0));
		if (!t->name) {
			ret = fail(m, "out of memory");
			break;
		}
		t->seeded = is_seeded(t->name);
		sqlite3_reset(ci);
		sqlite3_bind_text(ci, 1, t->name, -1, SQLITE_STATIC);
		while ((rc = sqlite3_step(ci)) == SQLITE_ROW) {
			struct md_col *nc = realloc(t->cols, (size_t)(t->ncols + 1) * sizeof *nc);
			if (!nc) {
				rc = SQLITE_NOMEM;
				break;
			}
			t->cols = nc;
			struct md_col *c = &t->cols[t->ncols++];
			memset(c, 0, sizeof *c);
			if (!(c->name = strdup((const char *)sqlite3_column_text(ci, 0)))) {
				rc = SQLITE_NOMEM;
				break;
			}
		}
		if (rc != SQLITE_DONE)
			break;
		rc = SQLITE_OK;
		if (t->ncols == 0) {
			ret = fail(m, "%s: table %s has no columns", m->from, t->name);
			break;
		}
	}
	if (!ret && rc != SQLITE_DONE)
		ret = fail(m, "%s: reading the schema: %s", m->from, sqlite3_errmsg(m->src));
	sqlite3_finalize(st);
	sqlite3_finalize(ci);
	if (!ret && m->nt == 0)
		ret = fail(m, "%s has no tables to copy", m->from);
	return ret;
}

/* The online backup of the source into a temporary file next to it (else in $TMPDIR or
 * /tmp), taken in one step: a read transaction on the live database (WAL: writers go
 * on meanwhile) copies every page, so the snapshot is consistent and never restarts.
 * The source is closed and the snapshot opened read-only in its place, then unlinked:
 * the file goes away however the process ends. */
static int src_backup(struct md *m)
{
	double t0 = now_s();
	const char *slash = strrchr(m->from, '/');
	const char *base = slash ? slash + 1 : m->from;
	int dirlen = slash ? (int)(slash - m->from) : 1;
	const char *dir = slash ? m->from : ".";
	if (slash == m->from)
		dirlen = 1; /* "/file.db" */
	snprintf(m->tmp, sizeof m->tmp, "%.*s/.%s.migrate-XXXXXX", dirlen, dir, base);
	int fd = mkstemp(m->tmp);
	if (fd < 0) {
		const char *td = getenv("TMPDIR");
		snprintf(m->tmp, sizeof m->tmp, "%s/dangjian-migrate-XXXXXX", td && *td ? td : "/tmp");
		fd = mkstemp(m->tmp);
	}
	if (fd < 0) {
		m->tmp[0] = 0;
		return fail(m, "cannot create a temporary file for the backup: %s", strerror(errno));
	}
	close(fd);
	sqlite3 *out = NULL;
	int rc = sqlite3_open_v2(m->tmp, &out, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_exec(out, "PRAGMA synchronous=OFF", NULL, NULL, NULL);
		sqlite3_backup *b = sqlite3_backup_init(out, "main", m->src, "main");
		if (!b) {
			rc = sqlite3_errcode(out);
		} else {
			for (int tries = 0;; tries++) {
				rc = sqlite3_backup_step(b, -1);
				if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || tries > 500)
					break;
				sqlite3_sleep(20);
			}
			sqlite3_backup_finish(b);
			if (rc == SQLITE_DONE)
				rc = sqlite3_exec(out, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL);
		}
	}
	if (rc != SQLITE_OK) {
		fail(m, "backup of %s failed: %s", m->from, out ? sqlite3_errmsg(out) : sqlite3_errstr(rc));
		sqlite3_close(out);
		return -1;
	}
	if (sqlite3_close(out) != SQLITE_OK)
		return fail(m, "backup of %s failed: cannot close the snapshot", m->from);
	sqlite3_close(m->src);
	m->src = NULL;
	rc = sqlite3_open_v2(m->tmp, &m->src, SQLITE_OPEN_READONLY, NULL);
	int64_t pages = 0, psize = 0;
	if (rc != SQLITE_OK)
		return fail(m, "cannot open the backup %s: %s", m->tmp, sqlite3_errstr(rc));
	/* a read makes SQLite open the file now; after that the name is not needed */
	if (src_int(m, "PRAGMA page_count", &pages, "backup") || src_int(m, "PRAGMA page_size", &psize, "backup"))
		return -1;
	if (unlink(m->tmp) == 0)
		m->tmp[0] = 0;
	/* the snapshot is read once from end to end: mapped, its pages cost no copies */
	sqlite3_exec(m->src, "PRAGMA mmap_size=2147418112", NULL, NULL, NULL);
	m->res->backup_s = now_s() - t0;
	if (m->progress)
		m->progress(m->ctx, DB_MD_BACKUP, NULL, pages * psize, pages * psize, m->res->backup_s, true);
	return 0;
}

/* ---- the target -------------------------------------------------------------------- */

static int pg_connect(struct md *m)
{
	char *err = NULL;
	PQconninfoOption *opts = PQconninfoParse(m->to, &err);
	if (!opts) {
		/* libpq may quote the whole URL, which may hold a password */
		int r = fail(m, "invalid target URL: %s", err && !strstr(err, m->to) ? err : "libpq cannot parse it");
		PQfreemem(err);
		return r;
	}
	PQconninfoFree(opts);
	/* the URL first, then what this command needs over whatever it says */
	const char *const keys[] = {"dbname", "client_encoding", "application_name", NULL};
	const char *const vals[] = {m->to, "UTF8", "dangjian migrate-data", NULL};
	m->pg = PQconnectdbParams(keys, vals, 1);
	if (!m->pg)
		return fail(m, "cannot connect to the target: out of memory");
	if (PQstatus(m->pg) != CONNECTION_OK)
		return fail(m, "cannot connect to the target: %s", PQerrorMessage(m->pg));
	const char *host = PQhost(m->pg);
	snprintf(m->res->target, sizeof m->res->target, "database %s on %s", PQdb(m->pg),
		 host && *host ? host : "localhost");
	/* a copy of a whole district takes minutes: no statement limit from the server's
	 * or the role's settings; a lock held by someone else is an error, not a wait */
	if (pg_exec(m, "SET statement_timeout = 0", "target") || pg_exec(m, "SET lock_timeout = '10s'", "target"))
		return -1;
	return 0;
}

/* The target's schema version; 0 without schema_migrations; -1 on error. */
static int pg_version(struct md *m, bool *has_schema)
{
	bool isnull;
	char *v = pg_value(m, "SELECT to_regclass('schema_migrations') IS NOT NULL", NULL, NULL, &isnull, "target");
	if (!v)
		return -1;
	*has_schema = strcmp(v, "t") == 0;
	free(v);
	if (!*has_schema)
		return 0;
	v = pg_value(m, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", NULL, NULL, &isnull, "target");
	if (!v)
		return -1;
	int n = atoi(v);
	free(v);
	return n;
}

/* Does the target's table hold a row? 1 yes, 0 no, -1 error. */
static int pg_has_rows(struct md *m, const struct md_table *t)
{
	struct sb q = {0};
	sb_add(&q, "SELECT EXISTS (SELECT 1 FROM "); /* codecheck-ok: identifiers from the source schema */
	sb_ident(&q, t->name);
	sb_add(&q, ")");
	if (q.oom) {
		free(q.p);
		return fail(m, "out of memory");
	}
	bool isnull;
	char *v = pg_value(m, q.p, NULL, NULL, &isnull, t->name);
	free(q.p);
	if (!v)
		return -1;
	int r = strcmp(v, "t") == 0;
	free(v);
	return r;
}

static int refuse_rows(struct md *m, const struct md_table *t)
{
	return fail(m, "the target is not empty (table %s has rows): migrate-data copies into an empty database only",
		    t->name);
}

/* Before anything is written: the target is a fresh database (no tables), or a dangjian
 * schema whose tables hold no rows (but the migrations' own, seeded_tables). */
static int pg_precheck(struct md *m, int *version)
{
	bool has_schema;
	*version = pg_version(m, &has_schema);
	if (*version < 0)
		return -1;
	if (!has_schema) {
		bool isnull;
		char *v = pg_value(m,
				   "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
				   " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm')",
				   NULL, NULL, &isnull, "target");
		if (!v)
			return -1;
		long n = atol(v);
		free(v);
		if (n > 0)
			return fail(m, "the target database holds %ld tables but no dangjian schema (another application's "
				       "database?): migrate-data copies into an empty database only", n);
		return 0;
	}
	if (*version > db_schema_latest())
		return fail(m, "the target is at schema version %d, newer than this binary's %d", *version,
			    db_schema_latest());
	for (int i = 0; i < m->nt; i++) {
		if (m->t[i].seeded)
			continue;
		bool isnull;
		char *v = pg_value(m, "SELECT to_regclass(quote_ident($1)) IS NOT NULL", m->t[i].name, NULL, &isnull,
				   "target");
		if (!v)
			return -1;
		bool exists = strcmp(v, "t") == 0;
		free(v);
		int r = exists ? pg_has_rows(m, &m->t[i]) : 0;
		if (r < 0)
			return -1;
		if (r)
			return refuse_rows(m, &m->t[i]);
	}
	return 0;
}

/* The migrations, applied by the PostgreSQL engine of db.h (which also refuses a
 * database that is not C-collated UTF-8); then the version must be this binary's. */
static int pg_schema(struct md *m)
{
	int latest = db_schema_latest();
	struct db *db = db_open(m->to, DB_OPEN_CREATE);
	if (!db)
		return fail(m, "cannot open the target: %s", *db_open_error() ? db_open_error() : "see the log");
	int rc = db_migrate(db);
	db_close(db);
	if (rc != 0)
		return fail(m, "the target's migrations failed (see the log)");
	bool has_schema;
	int version = pg_version(m, &has_schema);
	if (version < 0)
		return -1;
	if (version != latest)
		return fail(m, "the target is at schema version %d after its migrations, this binary's is %d", version,
			    latest);
	if (m->progress)
		m->progress(m->ctx, DB_MD_SCHEMA, NULL, version, latest, 0, true);
	return 0;
}

/* Every source table and column must exist on the target; each column's kind comes from
 * the target's type, and its sequence (identity or serial) is noted. */
static int pg_columns(struct md *m, struct md_table *t)
{
	const char *params[1] = {t->name};
	PGresult *r = PQexecParams(m->pg,
				   "SELECT a.attname, t.typname, pg_get_serial_sequence(quote_ident($1), a.attname)"
				   "  FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
				   " WHERE a.attrelid = to_regclass(quote_ident($1)) AND a.attnum > 0 AND NOT a.attisdropped",
				   1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		char msg[512];
		fail(m, "target table %s: %s", t->name, pg_result_msg(r, msg, sizeof msg));
		PQclear(r);
		return -1;
	}
	int n = PQntuples(r);
	if (n == 0) {
		PQclear(r);
		return fail(m, "the target has no table %s (schemas differ)", t->name);
	}
	int ret = 0;
	for (int c = 0; c < t->ncols && !ret; c++) {
		int row = -1;
		for (int i = 0; i < n; i++)
			if (strcmp(PQgetvalue(r, i, 0), t->cols[c].name) == 0)
				row = i;
		if (row < 0) {
			ret = fail(m, "the target's table %s has no column %s (schemas differ)", t->name, t->cols[c].name);
			break;
		}
		const char *ty = PQgetvalue(r, row, 1);
		t->cols[c].kind = !strcmp(ty, "int8") || !strcmp(ty, "int4") || !strcmp(ty, "int2") ? MD_INT
				  : !strcmp(ty, "float8") || !strcmp(ty, "float4") || !strcmp(ty, "numeric")
				  ? MD_FLOAT
				  : !strcmp(ty, "bytea") ? MD_BYTEA
							 : MD_TEXT;
		if (!PQgetisnull(r, row, 2) && !(t->cols[c].seq = strdup(PQgetvalue(r, row, 2))))
			ret = fail(m, "out of memory");
	}
	PQclear(r);
	return ret;
}

/* ---- COPY -------------------------------------------------------------------------- */

static int buf_need(struct md *m, size_t k)
{
	if (m->blen + k <= m->bcap)
		return 0;
	size_t cap = m->bcap ? m->bcap : COPY_CHUNK + 4096;
	while (cap < m->blen + k)
		cap *= 2;
	char *q = realloc(m->buf, cap);
	if (!q)
		return -1;
	m->buf = q;
	m->bcap = cap;
	return 0;
}

static char *put_int(char *o, int64_t v)
{
	char tmp[24];
	int n = 0;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*o++ = '-';
	while (n)
		*o++ = tmp[--n];
	return o;
}

/* COPY's text format: backslash, tab, newline and CR escaped (the rest as it is). */
static char *put_text(char *o, const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];
		if (c > '\\' || (c != '\\' && c != '\t' && c != '\n' && c != '\r')) {
			*o++ = (char)c;
			continue;
		}
		*o++ = '\\';
		*o++ = c == '\\' ? '\\' : c == '\t' ? 't' : c == '\n' ? 'n' : 'r';
	}
	return o;
}

/* bytea in hex: \x… with its backslash escaped for COPY. */
static char *put_hex(char *o, const unsigned char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	*o++ = '\\';
	*o++ = '\\';
	*o++ = 'x';
	for (size_t i = 0; i < len; i++) {
		*o++ = hex[s[i] >> 4];
		*o++ = hex[s[i] & 15];
	}
	return o;
}

static char *put_double(char *o, double d)
{
	const char *word = isnan(d) ? "NaN" : !isinf(d) ? NULL : d < 0 ? "-Infinity" : "Infinity";
	if (!word)
		return o + snprintf(o, 32, "%.17g", d);
	size_t k = strlen(word);
	memcpy(o, word, k);
	return o + k;
}

/* One value of the current row, written for its target column's kind. */
static int put_value(struct md *m, sqlite3_stmt *st, int i, enum md_kind kind)
{
	int type = sqlite3_column_type(st, i);
	if (type == SQLITE_NULL) {
		if (buf_need(m, 2))
			return -1;
		memcpy(m->buf + m->blen, "\\N", 2);
		m->blen += 2;
		return 0;
	}
	if (type == SQLITE_INTEGER && kind != MD_BYTEA) {
		if (buf_need(m, 24))
			return -1;
		m->blen = (size_t)(put_int(m->buf + m->blen, sqlite3_column_int64(st, i)) - m->buf);
		return 0;
	}
	if (type == SQLITE_FLOAT && kind != MD_BYTEA && kind != MD_TEXT) {
		double d = sqlite3_column_double(st, i);
		if (buf_need(m, 40))
			return -1;
		char *o = m->buf + m->blen;
		if (kind == MD_INT && d == floor(d) && fabs(d) < 9.2e18)
			o = put_int(o, (int64_t)d);
		else
			o = put_double(o, d);
		m->blen = (size_t)(o - m->buf);
		return 0;
	}
	/* text, a blob, or a number for a text or bytea column: its bytes (SQLite's own
	 * rendering of a number, as the application reads it) */
	const unsigned char *p =
		type == SQLITE_BLOB ? sqlite3_column_blob(st, i) : (const unsigned char *)sqlite3_column_text(st, i);
	size_t len = (size_t)sqlite3_column_bytes(st, i);
	if (buf_need(m, kind == MD_BYTEA ? 3 + 2 * len : 2 * len))
		return -1;
	char *o = m->buf + m->blen;
	o = kind == MD_BYTEA ? put_hex(o, p, len) : put_text(o, p, len);
	m->blen = (size_t)(o - m->buf);
	return 0;
}

/* Hands the buffered COPY data to libpq; -1 when it cannot (the connection is gone).
 * An error of the server (a value it refuses) is read by copy_end: the server ignores
 * the rest of the data meanwhile. */
static int copy_flush(struct md *m)
{
	if (m->blen == 0)
		return 0;
	int rc = PQputCopyData(m->pg, m->buf, (int)m->blen);
	m->blen = 0;
	return rc == 1 ? 0 : -1;
}

/* Ends the COPY; its result (and any error) from the server. n: the rows "COPY n"
 * reports. */
static int copy_end(struct md *m, const struct md_table *t, const char *local_err, int64_t *n)
{
	PQputCopyEnd(m->pg, local_err);
	int ret = 0;
	PGresult *r;
	while ((r = PQgetResult(m->pg))) {
		if (PQresultStatus(r) == PGRES_COMMAND_OK) {
			*n = strtoll(PQcmdTuples(r), NULL, 10);
		} else if (!ret) {
			char msg[512];
			ret = fail(m, "copying %s: %s", t->name, local_err ? local_err : pg_result_msg(r, msg, sizeof msg));
		}
		PQclear(r);
	}
	if (!ret && local_err)
		ret = fail(m, "copying %s: %s", t->name, local_err);
	return ret;
}

/* One table: SELECT its columns from the snapshot, COPY them into the target. */
static int copy_table(struct md *m, struct md_table *t)
{
	double t0 = now_s();
	struct sb sel = {0}, cp = {0};
	sb_add(&sel, "SELECT "); /* codecheck-ok: identifiers from the source schema */
	sb_add(&cp, "COPY ");    /* codecheck-ok: identifiers from the source schema */
	sb_ident(&cp, t->name);
	sb_add(&cp, " (");
	for (int c = 0; c < t->ncols; c++) {
		sb_add(&sel, c ? ", " : "");
		sb_ident(&sel, t->cols[c].name);
		sb_add(&cp, c ? ", " : "");
		sb_ident(&cp, t->cols[c].name);
	}
	sb_add(&sel, " FROM "); /* codecheck-ok: identifiers from the source schema */
	sb_ident(&sel, t->name);
	sb_add(&cp, ") FROM STDIN");
	int ret = 0;
	sqlite3_stmt *st = NULL;
	if (sel.oom || cp.oom) {
		ret = fail(m, "out of memory");
		goto out;
	}
	if (sqlite3_prepare_v2(m->src, sel.p, -1, &st, NULL) != SQLITE_OK) {
		ret = fail(m, "reading %s from the backup: %s", t->name, sqlite3_errmsg(m->src));
		goto out;
	}
	PGresult *r = PQexec(m->pg, cp.p);
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		char msg[512];
		ret = fail(m, "copying %s: %s", t->name, pg_result_msg(r, msg, sizeof msg));
		PQclear(r);
		goto out;
	}
	PQclear(r);
	const char *local_err = NULL;
	int rc;
	m->blen = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int c = 0; c < t->ncols; c++) {
			if (put_value(m, st, c, t->cols[c].kind) || buf_need(m, 1)) {
				local_err = "out of memory";
				break;
			}
			m->buf[m->blen++] = c + 1 < t->ncols ? '\t' : '\n';
		}
		if (local_err)
			break;
		t->copied++;
		if (m->blen >= COPY_CHUNK && copy_flush(m) != 0)
			break; /* the server's error comes from copy_end */
		if (m->progress && t->copied % PROGRESS_EVERY == 0)
			m->progress(m->ctx, DB_MD_TABLE, t->name, t->copied, t->src_rows, now_s() - t0, false);
	}
	if (!local_err && rc != SQLITE_ROW && rc != SQLITE_DONE)
		local_err = sqlite3_errmsg(m->src);
	if (rc == SQLITE_DONE && !local_err && copy_flush(m) != 0)
		rc = SQLITE_ERROR; /* the connection's error comes from copy_end */
	int64_t n = -1;
	ret = copy_end(m, t, local_err, &n);
	if (!ret && rc != SQLITE_DONE)
		ret = fail(m, "copying %s: the target stopped the copy", t->name);
	if (!ret && n != t->copied)
		ret = fail(m, "copying %s: %lld rows sent, the target took %lld", t->name, (long long)t->copied,
			   (long long)n);
	if (!ret && m->progress)
		m->progress(m->ctx, DB_MD_TABLE, t->name, t->copied, t->src_rows, now_s() - t0, true);
out:
	sqlite3_finalize(st);
	free(sel.p);
	free(cp.p);
	return ret;
}

/* ALTER TABLE t (ENABLE|DISABLE) TRIGGER USER, or DELETE FROM t. */
static int pg_table_stmt(struct md *m, const char *pre, const struct md_table *t, const char *post)
{
	struct sb q = {0};
	sb_add(&q, pre); /* codecheck-ok: identifiers from the source schema */
	sb_ident(&q, t->name);
	sb_add(&q, post);
	int rc = q.oom ? fail(m, "out of memory") : pg_exec(m, q.p, t->name);
	free(q.p);
	return rc;
}

static bool is_copied(const struct md *m, const char *relname)
{
	for (int i = 0; i < m->nt; i++)
		if (strcmp(m->t[i].name, relname) == 0)
			return true;
	return false;
}

static int ddl_add(struct md *m, enum md_ddl_kind kind, const char *name, struct sb *drop, struct sb *create)
{
	struct md_ddl *d = realloc(m->ddl, (size_t)(m->nddl + 1) * sizeof *d);
	if (d)
		m->ddl = d;
	if (!d || drop->oom || create->oom || !(name = strdup(name))) {
		free(drop->p);
		free(create->p);
		return fail(m, "out of memory");
	}
	m->ddl[m->nddl++] = (struct md_ddl){kind, (char *)name, drop->p, create->p};
	return 0;
}

/* The indexes and constraints that a bulk load would otherwise maintain row by row:
 * the primary, unique and exclusion keys and plain indexes of the copied tables, and
 * every foreign key from or to one of them (its check would be one query per row). The
 * copy drops them and makes them again from these definitions (as a restore of
 * pg_dump's does): one sort per index and one join per foreign key instead of ~10
 * index insertions and ~4 deferred checks per member. The names and definitions are
 * the target's own (regclass and quote_ident render them quoted). */
static int pg_collect_ddl(struct md *m)
{
	PGresult *r = PQexec(m->pg,
			     "SELECT c.contype::text, r.relname, f.relname, c.conrelid::regclass::text, quote_ident(c.conname),"
			     "       pg_get_constraintdef(c.oid)"
			     "  FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid LEFT JOIN pg_class f ON f.oid = c.confrelid"
			     " WHERE c.contype IN ('p', 'u', 'x', 'f') AND r.relnamespace = current_schema()::regnamespace"
			     " UNION ALL "
			     "SELECT 'i', t.relname, NULL, i.indexrelid::regclass::text, NULL, pg_get_indexdef(i.indexrelid)"
			     "  FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid"
			     " WHERE t.relnamespace = current_schema()::regnamespace AND NOT EXISTS (SELECT 1 FROM pg_constraint k"
			     "       WHERE k.conindid = i.indexrelid AND k.contype IN ('p', 'u', 'x'))");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		char msg[512];
		fail(m, "reading the target's indexes: %s", pg_result_msg(r, msg, sizeof msg));
		PQclear(r);
		return -1;
	}
	int ret = 0;
	for (int i = 0; i < PQntuples(r) && !ret; i++) {
		char type = PQgetvalue(r, i, 0)[0];
		const char *rel = PQgetvalue(r, i, 1), *frel = PQgetvalue(r, i, 2), *qrel = PQgetvalue(r, i, 3),
			   *qname = PQgetvalue(r, i, 4), *def = PQgetvalue(r, i, 5);
		if (!is_copied(m, rel) && !(type == 'f' && is_copied(m, frel)))
			continue;
		struct sb drop = {0}, create = {0};
		if (type == 'i') {
			sb_add(&drop, "DROP INDEX "); /* codecheck-ok: a name from the target's catalog */
			sb_add(&drop, qrel);
			sb_add(&create, def);
			ret = ddl_add(m, MD_DDL_INDEX, qrel, &drop, &create);
			continue;
		}
		sb_add(&drop, "ALTER TABLE "); /* codecheck-ok: names from the target's catalog */
		sb_add(&drop, qrel);
		sb_add(&drop, " DROP CONSTRAINT ");
		sb_add(&drop, qname);
		sb_add(&create, "ALTER TABLE "); /* codecheck-ok: a definition from the target's catalog */
		sb_add(&create, qrel);
		sb_add(&create, " ADD CONSTRAINT ");
		sb_add(&create, qname);
		sb_add(&create, " ");
		sb_add(&create, def);
		ret = ddl_add(m, type == 'f' ? MD_DDL_FKEY : MD_DDL_KEY, qname, &drop, &create);
	}
	PQclear(r);
	return ret;
}

/* Drops them: foreign keys first (they need the keys), then the rest. */
static int pg_drop_ddl(struct md *m)
{
	for (int k = MD_DDL__MAX - 1; k >= 0; k--)
		for (int i = 0; i < m->nddl; i++)
			if ((int)m->ddl[i].kind == k && pg_exec(m, m->ddl[i].drop, m->ddl[i].name))
				return -1;
	return 0;
}

/* Makes them again after the copy: keys, indexes, then foreign keys, each checking the
 * data it covers as it is made (a duplicate or a broken reference fails here). */
static int pg_make_ddl(struct md *m)
{
	double t0 = now_s();
	int done = 0;
	for (int k = 0; k < MD_DDL__MAX; k++)
		for (int i = 0; i < m->nddl; i++) {
			if ((int)m->ddl[i].kind != k)
				continue;
			if (m->progress)
				m->progress(m->ctx, DB_MD_REBUILD, m->ddl[i].name, done, m->nddl, now_s() - t0, false);
			if (pg_exec(m, m->ddl[i].create, m->ddl[i].name))
				return -1;
			done++;
		}
	if (m->progress)
		m->progress(m->ctx, DB_MD_REBUILD, NULL, done, m->nddl, now_s() - t0, true);
	return 0;
}

/* After the copy, in its transaction: every sequence past the highest value copied,
 * the foreign keys checked, the user triggers enabled again, the counts compared. */
static int pg_finish(struct md *m)
{
	for (int i = 0; i < m->nt; i++) {
		struct md_table *t = &m->t[i];
		for (int c = 0; c < t->ncols; c++) {
			if (!t->cols[c].seq)
				continue;
			struct sb q = {0};
			sb_add(&q, "SELECT setval($1::regclass, max("); /* codecheck-ok: identifiers from the source schema */
			sb_ident(&q, t->cols[c].name);
			sb_add(&q, ")) FROM "); /* codecheck-ok: identifiers from the source schema */
			sb_ident(&q, t->name);
			sb_add(&q, " HAVING max("); /* codecheck-ok: identifiers from the source schema */
			sb_ident(&q, t->cols[c].name);
			sb_add(&q, ") IS NOT NULL");
			if (q.oom) {
				free(q.p);
				return fail(m, "out of memory");
			}
			const char *params[1] = {t->cols[c].seq};
			PGresult *r = PQexecParams(m->pg, q.p, 1, NULL, params, NULL, NULL, 0);
			free(q.p);
			int bad = PQresultStatus(r) != PGRES_TUPLES_OK;
			if (bad) {
				char msg[512];
				fail(m, "setting the sequence of %s.%s: %s", t->name, t->cols[c].name,
				     pg_result_msg(r, msg, sizeof msg));
			}
			PQclear(r);
			if (bad)
				return -1;
		}
	}
	/* the deferred foreign-key checks of the whole copy run here, not at COMMIT, so
	 * that a broken reference is reported as one; and before the triggers are enabled
	 * again (ALTER TABLE refuses a table with pending trigger events) */
	if (pg_exec(m, "SET CONSTRAINTS ALL IMMEDIATE", "checking the foreign keys"))
		return -1;
	for (int i = 0; i < m->nt; i++)
		if (pg_table_stmt(m, "ALTER TABLE ", &m->t[i], " ENABLE TRIGGER USER"))
			return -1;
	for (int i = 0; i < m->nt; i++) {
		struct md_table *t = &m->t[i];
		struct sb q = {0};
		sb_add(&q, "SELECT count(*) FROM "); /* codecheck-ok: identifiers from the source schema */
		sb_ident(&q, t->name);
		bool isnull;
		char *v = q.oom ? NULL : pg_value(m, q.p, NULL, NULL, &isnull, t->name);
		free(q.p);
		if (!v)
			return q.oom ? fail(m, "out of memory") : -1;
		long long n = atoll(v);
		free(v);
		if (n != t->src_rows || t->copied != t->src_rows)
			return fail(m, "table %s: %lld rows in the source, %lld copied, %lld in the target", t->name,
				    (long long)t->src_rows, (long long)t->copied, n);
	}
	/* the planner's statistics for the first requests, rather than autovacuum's later */
	for (int i = 0; i < m->nt; i++)
		if (m->t[i].src_rows > 0 && pg_table_stmt(m, "ANALYZE ", &m->t[i], ""))
			return -1;
	return 0;
}

/* The copy in one transaction: a failure anywhere rolls it all back. */
static int pg_copy_all(struct md *m)
{
	/* maintenance_work_mem: the sorts that build the indexes again (a 1M-member table's
	 * fit in it) */
	if (pg_exec(m, "BEGIN", "target") || pg_exec(m, "SET CONSTRAINTS ALL DEFERRED", "target") ||
	    pg_exec(m, "SET LOCAL maintenance_work_mem = '256MB'", "target"))
		return -1;
	/* the triggers' work (member counts, the revision, the append-only guards) is data
	 * that the copy brings as it is: none of them fires; then the emptiness again,
	 * under the ALTERs' locks, so nothing can slip in between */
	for (int i = 0; i < m->nt; i++)
		if (pg_table_stmt(m, "ALTER TABLE ", &m->t[i], " DISABLE TRIGGER USER"))
			return -1;
	for (int i = 0; i < m->nt; i++) {
		if (m->t[i].seeded) {
			if (pg_table_stmt(m, "DELETE FROM ", &m->t[i], ""))
				return -1;
			continue;
		}
		int r = pg_has_rows(m, &m->t[i]);
		if (r)
			return r < 0 ? -1 : refuse_rows(m, &m->t[i]);
	}
	if (pg_collect_ddl(m) || pg_drop_ddl(m))
		return -1;
	double t0 = now_s();
	for (int i = 0; i < m->nt; i++) {
		if (copy_table(m, &m->t[i]))
			return -1;
		m->res->rows += m->t[i].copied;
		m->res->tables++;
	}
	m->res->copy_s = now_s() - t0;
	t0 = now_s();
	if (pg_make_ddl(m))
		return -1;
	m->res->rebuild_s = now_s() - t0;
	t0 = now_s();
	if (pg_finish(m) || pg_exec(m, "COMMIT", "committing the copy"))
		return -1;
	m->res->check_s = now_s() - t0;
	if (m->progress)
		m->progress(m->ctx, DB_MD_CHECK, NULL, m->res->rows, m->res->rows, m->res->check_s, true);
	return 0;
}

/* count(*) of every table on the snapshot, before the copy (the progress's totals and
 * the comparison's reference). */
static int src_counts(struct md *m)
{
	for (int i = 0; i < m->nt; i++) {
		struct sb q = {0};
		sb_add(&q, "SELECT count(*) FROM "); /* codecheck-ok: identifiers from the source schema */
		sb_ident(&q, m->t[i].name);
		int rc = q.oom ? fail(m, "out of memory") : src_int(m, q.p, &m->t[i].src_rows, m->t[i].name);
		free(q.p);
		if (rc)
			return -1;
	}
	return 0;
}

static void md_free(struct md *m)
{
	if (m->pg)
		PQfinish(m->pg);
	if (m->src)
		sqlite3_close(m->src);
	if (m->tmp[0]) { /* a backup that failed: the file and what SQLite made beside it */
		char side[sizeof m->tmp + 16];
		for (const char *const *x = (const char *const[]){"-journal", "-wal", "-shm", NULL}; *x; x++) {
			snprintf(side, sizeof side, "%s%s", m->tmp, *x);
			unlink(side);
		}
		unlink(m->tmp);
	}
	for (int i = 0; i < m->nt; i++) {
		for (int c = 0; c < m->t[i].ncols; c++) {
			free(m->t[i].cols[c].name);
			free(m->t[i].cols[c].seq);
		}
		free(m->t[i].cols);
		free(m->t[i].name);
	}
	free(m->t);
	free(m->buf);
	for (int i = 0; i < m->nddl; i++) {
		free(m->ddl[i].name);
		free(m->ddl[i].drop);
		free(m->ddl[i].create);
	}
	free(m->ddl);
}

int db_migrate_data(const char *from, const char *to, db_md_progress_fn progress, void *ctx,
		    struct db_md_result *res, char *why, size_t whylen)
{
	struct db_md_result scratch;
	struct md m = {.from = from, .to = to, .progress = progress, .ctx = ctx, .why = why, .whylen = whylen};
	m.res = res ? res : &scratch;
	memset(m.res, 0, sizeof *m.res);
	why[0] = 0;
	double t0 = now_s();
	int rc;
	int version = 0;
	if (db_is_url(from))
		rc = fail(&m, "the source must be a SQLite file, not %s", "a PostgreSQL URL");
	else if (!db_is_url(to))
		rc = fail(&m, "the target must be a postgres:// or postgresql:// URL");
	else
		rc = src_open_check(&m);
	if (!rc)
		rc = src_tables(&m);
	if (!rc)
		rc = pg_connect(&m);
	if (!rc)
		rc = pg_precheck(&m, &version);
	if (!rc)
		rc = src_backup(&m);
	if (!rc)
		rc = src_check(&m); /* the snapshot: a migration run meanwhile changed the version */
	if (!rc)
		rc = pg_schema(&m);
	for (int i = 0; !rc && i < m.nt; i++)
		rc = pg_columns(&m, &m.t[i]);
	if (!rc)
		rc = src_counts(&m);
	if (!rc)
		rc = pg_copy_all(&m);
	/* a failed transaction is rolled back by closing the connection (md_free) */
	m.res->total_s = now_s() - t0;
	md_free(&m);
	return rc;
}
