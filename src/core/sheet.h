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
#define SHEET_MAX_CELL 32767      /* bytes of one cell (Excel's own limit in characters) */
#define SHEET_MAX_XML ((size_t)8 << 30) /* uncompressed bytes of one XML part: a 1M-row sheet is ~1.2 GiB; parsed as a stream */
#define SHEET_MAX_SST 8000000     /* shared strings in one workbook */
#define SHEET_MAX_SST_BYTES (256u << 20) /* memory the shared strings may take */

/* Called for each row (rowno 1-based, as the user sees it in the spreadsheet); cells
 * are NUL-terminated UTF-8, valid only during the call; missing cells are "".
 * Return 0 to go on, non-zero to stop (the parser then returns that value). */
typedef int (*sheet_row_fn)(void *ctx, long rowno, const char *const *cells, size_t ncells);

enum sheet_encoding { SHEET_UTF8, SHEET_UTF8_BOM, SHEET_GB18030 };

/* Parses CSV bytes. The encoding is detected: a UTF-8 BOM, else valid UTF-8, else
 * GB18030 (a superset of GBK and GB2312). *enc (may be NULL) says which. Returns 0,
 * the callback's non-zero value, or -1 with a Chinese reason in why. */
int sheet_csv(const char *data, size_t len, sheet_row_fn fn, void *ctx, enum sheet_encoding *enc, char *why,
	      size_t whylen);

/* Parses the first worksheet of an .xlsx held in memory. Same contract. */
int sheet_xlsx(const void *data, size_t len, sheet_row_fn fn, void *ctx, char *why, size_t whylen);

/* For tests: true reads every part with expat alone, without the scanner that reads
 * what spreadsheet programs write ~10× faster (the two must give the same rows). */
extern bool sheet_xlsx_expat_only;

/* An Excel date serial (1900 system, with Excel's 1900-02-29 bug) to a date; text like
 * "45291" or "45291.5". False when not a number in the range 1900..2199. */
bool sheet_serial_date(const char *text, struct date *out);

/* True when s (len bytes) is valid UTF-8. */
bool sheet_utf8_valid(const char *s, size_t len);
#endif
