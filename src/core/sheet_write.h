/* sheet_write.h: writing roster exports: .xlsx with libxlsxwriter in constant-memory
 * mode (rows are flushed as they are written, so a million rows cost no memory) and
 * CSV (UTF-8 with a BOM so Excel opens it as UTF-8; cells quoted when needed, and a
 * leading =+-@ neutralized against formula injection). */
#ifndef DJ_SHEET_WRITE_H
#define DJ_SHEET_WRITE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct xlsx_out;

/* Creates path with one worksheet named sheet and a bold header row. NULL on error.
 * tmpdir: where libxlsxwriter keeps its row files (NULL: the system's). The rows are
 * handed to libxlsxwriter on a writer thread of x's own (written in the caller if the
 * thread cannot start); x itself belongs to one thread, the caller's. */
struct xlsx_out *xlsx_out_open(const char *path, const char *tmpdir, const char *sheet, const char *const *headers,
			       size_t n);
/* Before the first row: column col holds amounts (written as numbers, #,##0.00, when
 * a cell's whole text is one; otherwise as text). */
void xlsx_out_numeric(struct xlsx_out *x, size_t col);
/* The header row frozen and an autofilter over every row written (issue 20 #10). */
void xlsx_out_table_view(struct xlsx_out *x);
/* Appends a row of UTF-8 texts (NULL = empty), copied: cells may be freed on return.
 * 0, or -1 on error. A cell libxlsxwriter refuses (over 32,767 characters) may be
 * reported by a later call or only by xlsx_out_close. */
int xlsx_out_row(struct xlsx_out *x, const char *const *cells, size_t n);
/* Waits for the writer, finishes the file and frees x. 0, or -1 on error (including
 * any refused row: the file is then incomplete and the caller removes it). */
int xlsx_out_close(struct xlsx_out *x);

/* An import template (issue 20 #8): one data sheet (first, active) whose header marks
 * the required columns with "*" in red, frozen; each coded column a drop-down list
 * (data validation over the first `rows` rows, values kept on a hidden sheet 代码表);
 * a sheet 填写说明 of instruction lines. No data row: nothing in it imports. */
struct xlsx_template_col {
	const char *header;
	bool required;
	bool text;                /* stored as text (ID numbers, mobiles, dates) */
	const char *const *list;  /* allowed values, or NULL */
	size_t nlist;
	const char *prompt;       /* shown when the cell is selected, or NULL */
};
int xlsx_template(const char *path, const char *sheet, const struct xlsx_template_col *cols, size_t n,
		  const char *const *lines, size_t nlines, int rows);

/* One CSV row into out (the caller writes the BOM once first: SHEET_CSV_BOM). */
#define SHEET_CSV_BOM "\xEF\xBB\xBF"
void csv_out_row(FILE *out, const char *const *cells, size_t n);
#endif
