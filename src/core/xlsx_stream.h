/* xlsx_stream.h: a streaming .xlsx writer for large exports (issue 21 #5). Sheets of
 * text cells (inline strings, as libxlsxwriter's constant-memory mode writes them),
 * numbers in the columns marked numeric, a bold frozen header and an autofilter. The
 * sheet's XML goes straight into the zip through zlib's raw deflate at a chosen level,
 * cut into 1 MiB pieces deflated in parallel (pigz's way: each piece ends on a byte
 * boundary with a sync flush and is primed with the previous piece's last 32 KiB, so
 * the stream is one ordinary deflate stream whose CRC is combined from the pieces'),
 * with no temporary file: libxlsxwriter writes the sheet to a temporary file and then
 * deflates it at level 6 on one thread, which was the floor of a 1M-member export.
 * The zip has no ZIP64 records: a file over 4 GiB (about 3.5M members) is refused.
 * A sheet holds Excel's 1,048,576 rows, the header included; the rows after go on to
 * further sheets of the same workbook, "名称(2)", "名称(3)" …, each with the same
 * header, columns, frozen pane and filter (issue 21 #5: a 1,058,503-member district). */
#ifndef DJ_XLSX_STREAM_H
#define DJ_XLSX_STREAM_H
#include <stddef.h>
#include <stdint.h>

/* Excel's rows in one sheet */
#define XLSX_STREAM_ROWS_PER_SHEET 1048576u

struct xlsx_stream;

/* Creates path with a sheet named sheet whose first row is headers (bold; copied). level:
 * zlib's 1–9; threads: deflate threads besides the caller (0: the caller deflates).
 * NULL on error (errno set). */
struct xlsx_stream *xlsx_stream_open(const char *path, const char *sheet, const char *const *headers, size_t n,
				     int level, int threads);
/* Before the first row: column col holds amounts (a cell whose whole text is a
 * decimal number is written as a number, #,##0.00; otherwise as text). */
void xlsx_stream_numeric(struct xlsx_stream *x, size_t col);
/* Before the first row: the header row frozen and an autofilter over every row. */
void xlsx_stream_table_view(struct xlsx_stream *x);
/* For tests (the unit test; the export job under DJ_XLSX_ROWS_PER_SHEET in test
 * mode), before the first row: n rows to a sheet (the header included; 2 ≤ n ≤
 * XLSX_STREAM_ROWS_PER_SHEET, the default). */
void xlsx_stream_rows_per_sheet(struct xlsx_stream *x, uint32_t n);
/* Appends a row of UTF-8 texts (NULL or "" = empty). 0, or -1 on error (a cell over
 * Excel's 32,767 characters, counted as Excel does in UTF-16 code units: a character
 * outside the BMP counts 2; or the file failed). */
int xlsx_stream_row(struct xlsx_stream *x, const char *const *cells, size_t n);
/* Finishes the file and frees x. 0, or -1 on error (errno set when the file failed;
 * the caller removes it). */
int xlsx_stream_close(struct xlsx_stream *x);

/* Why a file failed, and how many sheets it has. */
enum xlsx_stream_error {
	XLSX_STREAM_OK,
	XLSX_STREAM_FILE,    /* writing the file failed: err */
	XLSX_STREAM_CELL,    /* a cell over 32,767 characters (UTF-16 units): col, cell, sheet */
	XLSX_STREAM_TOO_BIG, /* the file would pass the zip's 4 GiB (no ZIP64) */
	XLSX_STREAM_NOMEM,
};
struct xlsx_stream_result {
	enum xlsx_stream_error error; /* the first failure's */
	int err;                      /* its errno (XLSX_STREAM_FILE) */
	int sheets;                   /* sheets begun */
	size_t col;                   /* XLSX_STREAM_CELL: the column (0-based) … */
	char cell[16];                /* … the cell, "T1234" … */
	char sheet[128];              /* … and its sheet's name */
};
/* xlsx_stream_close, telling res (may be NULL) the outcome. */
int xlsx_stream_close_result(struct xlsx_stream *x, struct xlsx_stream_result *res);
#endif
