/* docx.h: the paper forms and letters that branches print and sign, written as Office
 * Open XML documents (.docx, ECMA-376) with libzip: paragraphs, headings, bordered
 * tables with merged cells, PNG images (QR codes, seals), page breaks. One A4 portrait
 * section, 宋体 body 12 pt. Text is UTF-8; characters XML forbids are dropped, a
 * newline starts a new line within the paragraph or cell. The writer never fails half
 * way: an allocation failure is remembered and reported by docx_finish. */
#ifndef DJ_DOCX_H
#define DJ_DOCX_H
#include <stddef.h>

struct docx;

#define DOCX_BOLD 0x1u
#define DOCX_CENTER 0x2u
#define DOCX_RIGHT 0x4u
#define DOCX_INDENT 0x8u     /* first line indented by two characters (公文 style) */
#define DOCX_SMALL 0x10u     /* 10.5 pt (五号) */
#define DOCX_UNDERLINE 0x20u /* blanks to fill in by hand */
/* in docx_cell: the cell spans n grid columns (2..15) */
#define DOCX_SPAN(n) ((unsigned)(n) << 8)

struct docx *docx_new(void);
/* The document's title: centred, bold, 18 pt (二号 is 22 pt; 18 pt fits one line). */
void docx_title(struct docx *d, const char *utf8);
/* A section heading: bold 14 pt (四号). */
void docx_heading(struct docx *d, const char *utf8);
void docx_para(struct docx *d, const char *utf8, unsigned flags);
/* Starts a bordered table of ncols grid columns whose widths are percentages of the
 * text width (their sum ≤ 100; NULL: equal). Cells follow row-major; a row ends when
 * its cells (counting spans) fill ncols. */
void docx_table(struct docx *d, int ncols, const int *widths_pct);
void docx_cell(struct docx *d, const char *utf8, unsigned flags);
/* Ends the table, closing a partly filled row with empty cells. */
void docx_table_end(struct docx *d);
/* A PNG shown width_mm wide (height from its aspect ratio), in its own paragraph
 * aligned by flags (DOCX_CENTER, DOCX_RIGHT). A buffer that is not a PNG is skipped
 * and reported by docx_finish. The bytes are copied. */
void docx_image_png(struct docx *d, const void *png, size_t len, int width_mm, unsigned flags);
void docx_page_break(struct docx *d);
/* The .docx's bytes (malloc'd; the caller frees) in *out and *len. 0, or -1 on an
 * earlier failure or a zip error. */
int docx_finish(struct docx *d, void **out, size_t *len);
void docx_free(struct docx *d);

#define DOCX_CONTENT_TYPE "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
#endif
