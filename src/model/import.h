/* import.h: the roster import (issue 4 §3): rows of a spreadsheet with the template's
 * Chinese headers → validated member records. Every row is checked and every error
 * reported with its row, column and a Chinese message; nobody is entered twice (the
 * ID blind index, against the database and within the file). All-or-nothing unless
 * good_only; dry_run changes nothing.
 *
 * Locks (SECURITY.md S18): the file is read and checked outside any write lock; a dry
 * run takes none at all (its duplicate checks are read transactions), except one short
 * write at the end when it met people outside the caller's scope (their audit rows).
 * A real import stages its good rows a batch per short write transaction, marks its
 * commit point in one more, then moves the rows into the roster a batch at a time; the
 * last batch marks the job done through finish (S24). Before the commit point nothing is
 * visible and a failure removes the staged rows; after it the rows become visible over
 * a few batches, and when the process dies meanwhile, the server that takes the job
 * over (jobs.c, after the job's lease ran out) finishes the move (import_resume). Runs on the caller's connection, which must not be in a
 * transaction; the caller runs one import at a time (the jobs worker does). */
#ifndef DJ_IMPORT_H
#define DJ_IMPORT_H
#include "db/db.h"
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum import_format { IMPORT_CSV, IMPORT_XLSX };
/* at least the template's columns (import_internal.h checks) */
#define IMPORT_MAX_FIELDS 32

/* Called inside the transaction of the last batch that moves a committed import into
 * the roster, with the job's result (JSON text): marks the job done. DB_OK to commit. */
typedef enum db_rc (*import_finish_fn)(struct db *db, void *ctx, int64_t job_id, const char *result);
/* Called first in every write transaction that writes the job's rows (a staged batch,
 * the commit point, each batch of the move): DB_OK while the job is still the caller's
 * (its lease, src/jobs/jobs.c, which the call extends); anything else rolls that
 * transaction back and stops the import, because another server has taken the job
 * over after the lease ran out (issue 12) and the rows are that server's to finish or
 * remove. */
typedef enum db_rc (*import_hold_fn)(struct db *db, void *ctx, int64_t job_id);

struct import_opts {
	enum import_format format;
	int64_t job_id;      /* the job whose rows are staged (its jobs row) */
	int64_t org_id;      /* the organization the members join… */
	const char *org_path;/* …and its path */
	/* the organization paths (subtree prefixes) where the caller may see members: a
	 * duplicate elsewhere is not named, counts toward cfg.import_max_foreign_dups and is
	 * reported through on_foreign (S20). NULL: everywhere (the command line). */
	const char *const *scope;
	size_t nscope;
	bool dry_run;
	bool good_only;      /* import the good rows even when some are bad */
	int64_t now;         /* created_at */
	const char *today;   /* YYYY-MM-DD the dates are checked against */
	size_t max_errors;   /* errors listed in the result (all are counted); 0 = 1000 */
	/* progress in percent (of bytes parsed); may be NULL */
	void (*progress)(void *ctx, int pct);
	void *progress_ctx;
	/* called inside the commit point's transaction (the import's audit row belongs
	 * there); non-zero rolls the import back. May be NULL. */
	int (*before_commit)(void *ctx, struct db *db, int64_t imported, int64_t bad);
	/* called in a write transaction of its own after the file is read, when n people
	 * outside the caller's scope were met (audit them); non-zero fails the import. */
	int (*on_foreign)(void *ctx, struct db *db, int64_t n);
	void *commit_ctx;    /* for before_commit and on_foreign */
	import_finish_fn finish; /* may be NULL */
	import_hold_fn hold;     /* may be NULL: nobody else can take the job over */
	void *finish_ctx;        /* for finish and hold */
	/* issue 20 #9: a column mapping the user confirmed (import_mapping_check): the first
	 * sheet's header is row map_header_row, and colmap gives each template column's file
	 * column (-1: none); further sheets are matched by their headers as usual */
	bool mapped;
	long map_header_row;
	int colmap[IMPORT_MAX_FIELDS];
	/* issue 20 #9/#22: when set, every refused row goes back as an annotated .xlsx at
	 * this path (the uploaded file's own header row and cells, each refused row after
	 * 原行号 and 错误说明 with every message of the row; the header's own errors on a row
	 * of their own), however many: the result's errors list stops at max_errors, the
	 * file does not. The result then says errors_file {rows, download: errors_download}
	 * and expires_at (errors_expires_at, when not NULL). */
	/* issue 20 #9: a further sheet whose headers the import does not know (no 姓名 or
	 * 身份证号码 among them) is read with the mapping remembered for its headers' signature
	 * at org_path or above (import_mapping_find), when there is one that gives every
	 * required column */
	bool saved_mappings;
	/* issue 20 #9: mappings the user gave for further sheets by their headers' signature
	 * (import_sheet_mappings_check), {"<signature>": {"<column>": "<field>" or ""}},
	 * borrowed; they come before a remembered one, and a sheet read with one has it
	 * remembered at map_org_id by map_user_id (0: not remembered) */
	const json_t *sheet_mappings;
	int64_t map_org_id, map_user_id;
	const char *errors_xlsx;
	const char *errors_download;
	const char *errors_expires_at;
};

/* The template's column headers, in order, and how many. */
extern const char *const import_headers[];
extern const size_t import_nheaders;

/* Runs the import of data (len bytes). Returns the result object
 * {total, good, bad, imported, dry_run, encoding, errors:[{row, column, code, message}]}
 * (new reference), or NULL with a Chinese reason in why when the file as a whole is
 * unreadable or refused (too large, too slow, too many people outside the scope).
 * DB_BUSY and other storage failures come back in *db_rc (DB_OK otherwise) with a NULL
 * result. */
json_t *import_members(struct db *db, const void *data, size_t len, const struct import_opts *o, enum db_rc *db_rc,
		       char *why, size_t whylen);

/* Takes up import job_id that its process left unfinished, once the caller holds the
 * job (jobs.c took it over when its lease ran out): an import past its commit point
 * has the rest of its rows moved into the roster (finish marks the job done in the last
 * batch; DB_OK); one that did not reach it has its staged rows removed (DB_NOT_FOUND:
 * the caller marks the job failed). Any other code: a storage failure, the job left as
 * it is to be taken up again. hold as in import_opts. Any job id will do: one that
 * staged nothing answers DB_NOT_FOUND. */
enum db_rc import_resume(struct db *db, int64_t job_id, import_finish_fn finish, import_hold_fn hold, void *ctx);
/* Removes the staged rows of finished jobs (done or failed, or gone) that never reached
 * their commit point: what an import that failed to remove its own rows left. Rows of a
 * job still queued or running are its process's and stay. DB_OK or the first failure. */
enum db_rc import_sweep(struct db *db);
/* For the command line's import (before it runs): after each write batch it leaves the
 * lock free for a few milliseconds, not as long as it held it (the server's jobs stand
 * aside that long, S18, so that requests queued behind a batch find the lock free half
 * of the time). Another process's writers look for the lock every millisecond. */
void import_stand_aside_short(void);

/* Issue 20 #9, the column mapping (import_map.c). The preview of an upload: only the
 * first sheet's first rows are read (the header: the first of 10 rows naming a required
 * column, else the first with three or more cells; then a few data rows), and every
 * decision is made here:
 * {format, header_row, signature, columns:[{index, header, field|null, label|null,
 *  source: "template"|"alias"|"ignored"|"saved"|null, required, samples:[…]}],
 *  unmatched:[index…], missing_required:[{field, label}], fields:[{field, label,
 *  required}], needs_mapping, saved}. Samples are masked where they hold 7 or more
 * digits in a run (ID numbers, mobiles). NULL with why when the file is unreadable. */
json_t *import_preview(const void *data, size_t len, enum import_format format, char *why, size_t whylen);
/* Applies a remembered mapping (import_mapping_find's text) to a preview: its columns
 * pre-mapped (source "saved"), unmatched and missing_required again, saved true. */
void import_preview_saved(json_t *preview, const char *mapping);
/* Checks the user's mapping (a JSON object: column index as text → field name, or ""
 * for 不导入) against the preview's automatic matches, and sets o->mapped,
 * map_header_row and colmap. False with a stable code and a Chinese message when a
 * column is not in the file, a field is unknown, a field is given two columns, or a
 * required field has none. */
bool import_mapping_check(const json_t *preview, const json_t *mapping, struct import_opts *o, const char **code,
			  char *msg, size_t msglen);
/* The mapping remembered for signature at the nearest of the organizations on path
 * (its own id last: "/1/17/" looks at 17, then 1), into *mapping (arena); DB_NOT_FOUND
 * when none. */
struct arena;
enum db_rc import_mapping_find(struct db *db, struct arena *a, const char *path, const char *signature,
			       const char **mapping);
/* Remembers mapping (JSON text) for signature at org_id, replacing what was there. */
enum db_rc import_mapping_save(struct db *db, int64_t org_id, const char *signature, const char *headers,
			       const char *mapping, int64_t user_id, int64_t now);

/* Checks sheet_mappings' shape (import_rows.c): an object of at most 16 header
 * signatures (32 hex digits), each an object of column index (0..63, as text) → field
 * name or "". False with a stable code ("invalid", "unknown_column", "unknown_field") and
 * a Chinese message. Whether a sheet's mapping gives every required column is known
 * when the sheet is read (its header is then refused like any other). */
bool import_sheet_mappings_check(const json_t *sheet_mappings, const char **code, char *msg, size_t msglen);

/* Writes the import template (headers and one example row) as .xlsx to path. 0 or -1. */
int import_template_xlsx(const char *path, const char *tmpdir);
#endif
