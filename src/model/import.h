/* import.h: the roster import (issue 4 §3): rows of a spreadsheet with the template's
 * Chinese headers → validated member records. Every row is checked and every error
 * reported with its row, column and a Chinese message; nobody is entered twice (the
 * ID blind index, against the database and within the file). All-or-nothing unless
 * good_only; dry_run changes nothing. Runs on the caller's connection and manages its
 * own write transaction (the caller must not be in one). */
#ifndef DJ_IMPORT_H
#define DJ_IMPORT_H
#include "db/db.h"
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum import_format { IMPORT_CSV, IMPORT_XLSX };

struct import_opts {
	enum import_format format;
	int64_t org_id;      /* the organization the members join */
	bool dry_run;
	bool good_only;      /* import the good rows even when some are bad */
	int64_t now;         /* created_at */
	const char *today;   /* YYYY-MM-DD the dates are checked against */
	size_t max_errors;   /* errors listed in the result (all are counted); 0 = 1000 */
	/* progress in percent (of bytes parsed); may be NULL */
	void (*progress)(void *ctx, int pct);
	void *progress_ctx;
	/* called inside the import's transaction just before it commits (the audit row of
	 * the import belongs there); non-zero rolls the import back. May be NULL. */
	int (*before_commit)(void *ctx, struct db *db, int64_t imported, int64_t bad);
	void *commit_ctx;
};

/* The template's column headers, in order, and how many. */
extern const char *const import_headers[];
extern const size_t import_nheaders;

/* Runs the import of data (len bytes). Returns the result object
 * {total, good, bad, imported, dry_run, encoding, errors:[{row, column, code, message}]}
 * (new reference), or NULL with a Chinese reason in why when the file as a whole is
 * unreadable or the organization missing. DB_BUSY and other storage failures come back
 * in *db_rc (DB_OK otherwise) with a NULL result. */
json_t *import_members(struct db *db, const void *data, size_t len, const struct import_opts *o, enum db_rc *db_rc,
		       char *why, size_t whylen);

/* Writes the import template (headers and one example row) as .xlsx to path. 0 or -1. */
int import_template_xlsx(const char *path, const char *tmpdir);
#endif
