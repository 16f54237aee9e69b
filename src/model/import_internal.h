/* import_internal.h: what the import's files share (not for callers: see import.h).
 * import_rows.c reads and checks one row at a time; import.c drives the parse, checks
 * duplicates and stages rows a batch per transaction; import_stage.c owns the staging
 * tables (0051) and the move of a committed import into members. */
#ifndef DJ_IMPORT_INTERNAL_H
#define DJ_IMPORT_INTERNAL_H
#include "core/crypto.h"
#include "core/date.h"
#include "core/sheet.h"
#include "model/import.h"
#include "model/member.h"
#include <jansson.h>
#include <stdio.h>

/* The template's columns. */
enum import_col {
	C_NAME, C_FORMER, C_SEX, C_ID, C_ETHNIC, C_NATIVE, C_MOBILE, C_ADDRESS, C_EDU, C_DEGREE, C_UNIT,
	C_UNIT_TYPE, C_POST, C_CATEGORY, C_STATUS, C_STATE, C_PARTY_POST, C_JOINED, C_CONFIRMED,
	C_INTRODUCERS, C_DUES_BASE, C_DUES_PAID, C__MAX
};

/* What a row's duplicate check found (import.c). */
enum import_dup { DUP_NONE, DUP_IN_SCOPE, DUP_OUT_OF_SCOPE };

/* Good rows waiting for their duplicate check and staging: one transaction's worth.
 * Their strings and ciphertexts live in the batch's arena, freed when it is flushed. */
struct import_batch {
	struct arena *a;
	size_t n, cap;
	struct member_rec *r;
	struct member_sealed *s;
	unsigned char (*blind)[DJ_BLIND_LEN];
	long *rowno;
	int64_t *dup_id;     /* the member found (0: a staged person) */
	enum import_dup *dup;
};

/* open-addressing set of blind indexes seen in this file, with their row */
struct import_seen {
	unsigned char (*key)[DJ_BLIND_LEN];
	long *row;
	size_t cap, n;
};

/* Outcome of the row callback, returned by the sheet parser. */
enum { IMP_GO_ON = 0, IMP_HEADER = 2, IMP_DB = 3, IMP_STOP = 4 };

struct imp {
	struct db *db;
	const struct import_opts *o;
	struct date today;
	int colpos[C__MAX]; /* enum import_col → file column, -1 */
	bool header_done;
	long header_row; /* the header's row in the file (after any title rows) */
	/* several sheets (issue 20 #9): the current one after the first (0: the first), its
	 * name (errors name it), and whether it has no header (an instructions sheet: passed
	 * over) */
	int sheet_no;
	char sheet_name[128];
	bool skip_sheet;
	int headers; /* header rows found, over all sheets */
	/* a confirmed mapping's header row, its cells normalised (import_rows.c), malloc'd:
	 * a further sheet with the same headers is read with the same mapping */
	char *map_head;
	int64_t total, good, bad, staged, foreign;
	int64_t seq, seq_committed; /* staging sequence of the next row */
	json_t *errors;
	size_t nerrors, max_errors;
	struct arena *a; /* the current row's strings: the batch's arena */
	long row;
	bool row_bad;
	bool joined_unreadable; /* the row's 入党时间 error is reported already */
	enum db_rc db_rc;
	struct import_seen seen;
	struct import_batch b;
	int64_t org_id;
	char *org_path; /* malloc */
	size_t len;
	int last_pct;
	double t0; /* clock_mono_ms at the start, for import_max_seconds */
	char *why;
	size_t whylen;
	/* every refused row's messages (issue 20 #22), when o->errors_xlsx asks for the
	 * annotated file: "列：说明" texts in a temporary file and where each one is (the
	 * error list above stops at max_errors; this does not) */
	FILE *spill;
	struct import_refusal *refusals;
	size_t nrefusals, caprefusals;
	bool spill_failed;
	long errors_file_rows; /* written to o->errors_xlsx (0: none, -1: failed) */
};

/* One message about a refused row: its sheet (0: the first), row, order of report, and
 * where its text is in imp.spill (24 bytes: a refused row costs this much memory). */
struct import_refusal {
	int64_t off;
	uint32_t row, seq, len;
	int32_t sheet;
};

/* import_rows.c */
/* The API field each column feeds ("id_number" …). */
extern const char *const import_col_field[C__MAX];
bool import_col_required(int c);
/* The column header cell h names, by the template's own name (alias false) or by one of
 * the words other systems use (alias true); -1 when none. */
int import_header_col(const char *h, bool alias);
/* The signature of a header row (cells[0..n)) as import_map.c remembers mappings by: a
 * 16-byte BLAKE2b of each cell without spaces, tabs, line breaks, '*' and U+3000, each
 * followed by 0x1F, empty cells at the end left out; hex into hex[33]. */
void import_header_signature(const char *const *cells, size_t n, char hex[33]);
void import_add_error(struct imp *m, long row, const char *column, const char *code, const char *message);
/* The header row: maps the columns; IMP_HEADER (with why) when a required one is missing. */
int import_read_header(struct imp *m, long rowno, const char *const *cells, size_t n);
/* Reads and checks one data row into r (strings in m->a); false when it has errors
 * (each reported). */
bool import_read_row(struct imp *m, long rowno, const char *const *cells, size_t n, struct member_rec *r);

/* import_errors.c: the annotated .xlsx of every refused row (m->refusals) at path, the
 * uploaded file (data) read again; the rows written, or -1. */
long import_refused_xlsx(struct imp *m, const void *data, const char *path);

/* import_stage.c: statements on the staging tables; each inside the caller's
 * transaction unless said otherwise. */
enum db_rc import_stage_row(struct db *db, int64_t job_id, int64_t seq, const struct member_rec *r,
			    const struct member_sealed *s, const char *org_path);
/* The commit point: the import's rows will all become members, and result is the job's. */
enum db_rc import_stage_commit(struct db *db, int64_t job_id, int64_t org_id, const char *result);
/* Moves a committed import's staged rows into members, a batch per transaction of its
 * own (db_tx_run), each of which first calls hold (if not NULL); the last one also
 * calls finish. DB_DONE when job_id has no commit point. */
enum db_rc import_stage_publish(struct db *db, int64_t job_id, import_finish_fn finish, import_hold_fn hold,
				void *ctx);
/* Deletes a job's staged rows, a batch per transaction of its own. */
enum db_rc import_stage_discard(struct db *db, int64_t job_id);
/* Test mode only: the process kills itself (SIGKILL) at the named point when the
 * environment's DJ_TEST_KILL_AT names it (S24's fault test). */
void import_test_kill(const char *point);
/* db_tx_run, tried again while the database is busy (an import waits, it does not fail). */
enum db_rc import_tx(struct db *db, bool write, enum db_rc (*fn)(struct db *, void *), void *ctx);
#endif
