/* sheet.h: reading spreadsheets for the roster import: CSV (UTF-8 with or without a
 * BOM, or GB18030/GBK as Chinese Excel saves it, converted with iconv; RFC 4180
 * quoting) and .xlsx (libzip + expat: shared strings, inline strings, numbers; the
 * sheet XML is streamed, so a million-row file needs no DOM). Both deliver rows of
 * UTF-8 cells to a callback; neither knows what the columns mean.
 * Limits protect the server from hostile files (zip bombs, endless rows). */
#ifndef DJ_SHEET_H
#define DJ_SHEET_H
#include "core/date.h"
#include <stdbool.h>
#include <stddef.h>

#define SHEET_MAX_COLS 64
#define SHEET_MAX_ROWS 2000000
/* One cell: Excel's own limit, 32,767 characters counted as Excel counts them, in UTF-16
 * code units (a character outside the BMP counts 2); valid UTF-8 within it takes at
 * most 3 bytes a unit, the bound of the bytes kept. */
#define SHEET_MAX_CELL 32767
#define SHEET_MAX_CELL_BYTES (3 * SHEET_MAX_CELL)
#define SHEET_MAX_XML ((size_t)3 << 29) /* uncompressed bytes of one XML part: a 1M-row sheet is ~1.2 GiB; parsed as a stream */
#define SHEET_MAX_SST 4000000     /* shared strings in one workbook (a 1M-row roster: names, addresses …) */
#define SHEET_MAX_SST_BYTES (192u << 20) /* memory the shared strings may take, their index included */
#define SHEET_MAX_CELLS_ROW 1024  /* <c> elements in one row (the template has 22 columns) */
#define SHEET_MAX_DEPTH 32        /* nesting of XML elements (a worksheet needs 5) */

/* What an .xlsx may make the reader do (SECURITY.md S19): memory follows the rows being
 * read and the bytes actually inflated, never the counts a file claims. */
struct sheet_limits {
	size_t max_part_bytes; /* decompressed bytes of any one XML part */
	size_t max_sst;        /* shared strings */
	size_t max_sst_bytes;  /* their text and index */
	size_t max_cells_row;  /* cells of one row */
	double max_seconds;    /* reading the whole file; 0 = no limit */
};
/* The limits above, for a file of len bytes whose parts may each inflate to at most
 * ratio × len (+ 1 MiB for the small parts of a small file), never above max_part. */
struct sheet_limits sheet_limits_for(size_t len, size_t ratio, size_t max_part);

/* Called for each row (rowno 1-based, as the user sees it in the spreadsheet); cells
 * are NUL-terminated UTF-8, valid only during the call; missing cells are "".
 * Return 0 to go on, non-zero to stop (the parser then returns that value). */
typedef int (*sheet_row_fn)(void *ctx, long rowno, const char *const *cells, size_t ncells);
/* An .xlsx with several visible worksheets (issue 20 #9) is read sheet after sheet, in
 * the workbook's order (hidden ones, such as a template's lists, are passed over), each
 * numbering its rows from 1; before each sheet after the first the callback is called
 * once with rowno 0 and one cell, the sheet's name. */
#define SHEET_MAX_SHEETS 16
/* A callback's answer that passes over the rest of the current .xlsx sheet: the next
 * sheet's rows follow (the import's preview reads only the first rows of each); a CSV,
 * a single sheet, stops with it. */
#define SHEET_NEXT 0x5e7e /* a value no other callback answers (the import stops with 1..4) */

enum sheet_encoding { SHEET_UTF8, SHEET_UTF8_BOM, SHEET_GB18030 };

/* Parses CSV bytes. The encoding is detected: a UTF-8 BOM, else valid UTF-8, else
 * GB18030 (a superset of GBK and GB2312). *enc (may be NULL) says which. Returns 0,
 * the callback's non-zero value, or -1 with a Chinese reason in why. */
int sheet_csv(const char *data, size_t len, sheet_row_fn fn, void *ctx, enum sheet_encoding *enc, char *why,
	      size_t whylen);

/* Parses the first worksheet of an .xlsx held in memory. Same contract. A part that
 * inflates past the limits, a DOCTYPE (entity expansion), nesting deeper than
 * SHEET_MAX_DEPTH or a row of too many cells is refused with a reason. */
int sheet_xlsx(const void *data, size_t len, sheet_row_fn fn, void *ctx, char *why, size_t whylen);
/* The same with limits (sheet_xlsx uses sheet_limits_for(len, 100, SHEET_MAX_XML)). */
int sheet_xlsx_limited(const void *data, size_t len, const struct sheet_limits *lim, sheet_row_fn fn, void *ctx,
		       char *why, size_t whylen);

/* For tests: true reads every part with expat alone, without the scanner that reads
 * what spreadsheet programs write ~10× faster (the two must give the same rows). */
extern bool sheet_xlsx_expat_only;

/* An Excel date serial (1900 system, with Excel's 1900-02-29 bug) to a date; text like
 * "45291" or "45291.5". False when not a number in the range 1900..2199. */
bool sheet_serial_date(const char *text, struct date *out);

/* The UTF-16 code units of UTF-8 byte c: 1 for a lead byte, 2 for that of a 4-byte
 * sequence, 0 for a continuation byte (so a text may be counted a chunk at a time). */
static inline unsigned sheet_utf16_units(unsigned char c)
{
	return (c & 0xC0) == 0x80 ? 0 : c >= 0xF0 ? 2 : 1;
}
/* The UTF-16 code units (Excel's characters) of len bytes of UTF-8. */
size_t sheet_utf16_len(const char *s, size_t len);

/* True when s (len bytes) is valid UTF-8. */
bool sheet_utf8_valid(const char *s, size_t len);
#endif
