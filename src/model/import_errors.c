/* import_errors.c: the rows an import refused, offered back as an annotated .xlsx
 * (issue 20 #9): the uploaded file read again, its header row and every refused row
 * written after 原行号 and 错误说明, so that the user corrects them in the cells they
 * typed and imports that file again. Every refused row is in it (issue 20 #22: the
 * result's error list stops at its cap, the file does not): the messages were kept in
 * a temporary file as the import reported them (import_rows.c import_add_error), an
 * index of where each is sorted by sheet and row here, and each row's messages read
 * back as the file is streamed past it: memory holds the index, not the messages. */
#include "core/sheet.h"
#include "core/xlsx_stream.h"
#include "model/import_internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ANNOT_MAX_COLS 64

struct annot {
	struct imp *m;
	size_t next; /* the first refusal not yet written */
	struct xlsx_stream *x;
	const char *path;
	long written;
	int failed;
	/* the header's texts: the writer keeps the pointers until its first row */
	char *head[ANNOT_MAX_COLS];
	size_t nhead;
	/* several sheets: the current one after the first (0: the first) and its name */
	int sheet_no;
	char sheet[128];
};

static int refusal_cmp(const void *x, const void *y)
{
	const struct import_refusal *a = x, *b = y;
	if (a->sheet != b->sheet)
		return a->sheet < b->sheet ? -1 : 1;
	if (a->row != b->row)
		return a->row < b->row ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Every message of the current sheet's row, "列：说明；…", malloc'd (NULL when none or
 * on failure, an->failed then set). Refusals of rows the file passed over (none should
 * be) are skipped. */
static char *messages_of(struct annot *an, long row)
{
	struct imp *m = an->m;
	while (an->next < m->nrefusals &&
	       (m->refusals[an->next].sheet < an->sheet_no ||
		(m->refusals[an->next].sheet == an->sheet_no && (long)m->refusals[an->next].row < row)))
		an->next++;
	size_t need = 0, k = an->next;
	for (; k < m->nrefusals && m->refusals[k].sheet == an->sheet_no && (long)m->refusals[k].row == row; k++)
		need += m->refusals[k].len + 4;
	if (k == an->next)
		return NULL;
	char *out = malloc(need + 1);
	size_t len = 0;
	for (size_t i = an->next; out && i < k; i++) {
		if (len) {
			memcpy(out + len, "；", 3);
			len += 3;
		}
		const struct import_refusal *r = &m->refusals[i];
		if (pread(fileno(m->spill), out + len, r->len, r->off) != (ssize_t)r->len) {
			free(out);
			out = NULL;
			break;
		}
		len += r->len;
	}
	an->next = k;
	if (!out) {
		an->failed = 1;
		return NULL;
	}
	out[len] = 0;
	return out;
}

static int annot_row(void *ctx, long rowno, const char *const *cells, size_t n)
{
	struct annot *an = ctx;
	if (rowno == 0) { /* a further sheet: its rows are named by it */
		an->sheet_no++;
		snprintf(an->sheet, sizeof an->sheet, "%s", n ? cells[0] : "");
		return 0;
	}
	if (n > ANNOT_MAX_COLS - 2)
		n = ANNOT_MAX_COLS - 2;
	const char *row[ANNOT_MAX_COLS];
	bool header = an->sheet_no == 0 && rowno == an->m->header_row;
	if (header) {
		an->head[0] = strdup("原行号");
		an->head[1] = strdup("错误说明");
		for (size_t i = 0; i < n; i++)
			an->head[i + 2] = strdup(cells[i]);
		an->nhead = n + 2;
		for (size_t i = 0; i < an->nhead; i++)
			if (!an->head[i]) {
				an->failed = 1;
				return 1;
			}
		an->x = xlsx_stream_open(an->path, "错误行", (const char *const *)an->head, an->nhead, 6, 0);
		if (!an->x) {
			an->failed = 1;
			return 1;
		}
		xlsx_stream_table_view(an->x);
	}
	char *msg = messages_of(an, rowno);
	if (!msg)
		return an->failed;
	int rc = 0;
	if (an->x) {
		char no[160];
		if (an->sheet_no)
			snprintf(no, sizeof no, "%s!%ld", an->sheet, rowno);
		else
			snprintf(no, sizeof no, "%ld", rowno);
		row[0] = header ? "表头" : no;
		row[1] = msg;
		for (size_t i = 0; i < n; i++)
			row[i + 2] = header ? "" : cells[i];
		if (xlsx_stream_row(an->x, row, n + 2) != 0) {
			an->failed = 1;
			rc = 1;
		} else {
			an->written++;
		}
	}
	free(msg);
	return rc;
}

long import_refused_xlsx(struct imp *m, const void *data, const char *path)
{
	if (m->nrefusals == 0)
		return 0;
	if (m->spill_failed || !m->spill || fflush(m->spill) != 0)
		return -1;
	qsort(m->refusals, m->nrefusals, sizeof *m->refusals, refusal_cmp);
	long header_row = m->header_row;
	if (header_row <= 0) /* a file refused at its header: no row named it */
		m->header_row = 1;
	struct annot an = {.m = m, .path = path};
	char why[256] = "";
	enum sheet_encoding enc;
	if (m->o->format == IMPORT_CSV)
		sheet_csv(data, m->len, annot_row, &an, &enc, why, sizeof why);
	else
		sheet_xlsx(data, m->len, annot_row, &an, why, sizeof why);
	m->header_row = header_row;
	long rc = an.written;
	if (!an.x)
		rc = -1;
	else if (xlsx_stream_close(an.x) != 0 || an.failed) {
		remove(path);
		rc = -1;
	}
	for (size_t i = 0; i < an.nhead; i++)
		free(an.head[i]);
	return rc;
}
