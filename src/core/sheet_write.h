/* sheet_write.h: writing roster exports: .xlsx with libxlsxwriter in constant-memory
 * mode (rows are flushed as they are written, so a million rows cost no memory) and
 * CSV (UTF-8 with a BOM so Excel opens it as UTF-8; cells quoted when needed, and a
 * leading =+-@ neutralized against formula injection). */
#ifndef DJ_SHEET_WRITE_H
#define DJ_SHEET_WRITE_H
#include <stddef.h>
#include <stdio.h>

struct xlsx_out;

/* Creates path with one worksheet named sheet and a bold header row. NULL on error.
 * tmpdir: where libxlsxwriter keeps its row files (NULL: the system's). The rows are
 * handed to libxlsxwriter on a writer thread of x's own (written in the caller if the
 * thread cannot start); x itself belongs to one thread, the caller's. */
struct xlsx_out *xlsx_out_open(const char *path, const char *tmpdir, const char *sheet, const char *const *headers,
			       size_t n);
/* Appends a row of UTF-8 texts (NULL = empty), copied: cells may be freed on return.
 * 0, or -1 on error. A cell libxlsxwriter refuses (over 32,767 characters) may be
 * reported by a later call or only by xlsx_out_close. */
int xlsx_out_row(struct xlsx_out *x, const char *const *cells, size_t n);
/* Waits for the writer, finishes the file and frees x. 0, or -1 on error (including
 * any refused row: the file is then incomplete and the caller removes it). */
int xlsx_out_close(struct xlsx_out *x);

/* One CSV row into out (the caller writes the BOM once first: SHEET_CSV_BOM). */
#define SHEET_CSV_BOM "\xEF\xBB\xBF"
void csv_out_row(FILE *out, const char *const *cells, size_t n);
#endif
