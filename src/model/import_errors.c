/* import_errors.c: the rows an import refused, offered back as an annotated .xlsx
 * (issue 20 #9): the uploaded file read again, its header row and every row named by the
 * result's errors written after 原行号 and 错误说明, so that the user corrects them in
 * the cells they typed and imports that file again. */
#include "core/sheet.h"
#include "core/xlsx_stream.h"
#include "model/import.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ANNOT_MAX_COLS 64

struct annot {
	json_t *errors; /* the result's, sorted by row */
	long header_row;
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

/* Every message of row, "列：说明；…", malloc'd (NULL when none). */
static char *messages_of(json_t *errors, long row, int sheet_no, const char *sheet)
{
	size_t cap = 0, len = 0;
	char *out = NULL;
	size_t i;
	json_t *e;
	json_array_foreach(errors, i, e)
	{
		if (json_integer_value(json_object_get(e, "row")) != row)
			continue;
		const char *es = json_string_value(json_object_get(e, "sheet"));
		if (sheet_no == 0 ? es != NULL : !es || strcmp(es, sheet) != 0)
			continue;
		const char *col = json_string_value(json_object_get(e, "column"));
		const char *msg = json_string_value(json_object_get(e, "message"));
		size_t need = strlen(col ? col : "") + strlen(msg ? msg : "") + 8;
		if (len + need >= cap) {
			cap = (len + need) * 2;
			char *n = realloc(out, cap);
			if (!n) {
				free(out);
				return NULL;
			}
			out = n;
		}
		len += (size_t)snprintf(out + len, cap - len, "%s%s%s%s", len ? "；" : "", col && *col ? col : "",
					col && *col ? "：" : "", msg ? msg : "");
	}
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
	bool header = an->sheet_no == 0 && rowno == an->header_row;
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
	char *msg = messages_of(an->errors, rowno, an->sheet_no, an->sheet);
	if (!msg)
		return 0;
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

long import_errors_xlsx(const void *data, size_t len, enum import_format format, json_t *result, const char *path)
{
	json_t *errors = json_object_get(result, "errors");
	if (!json_is_array(errors) || json_array_size(errors) == 0)
		return 0;
	struct annot an = {errors, (long)json_integer_value(json_object_get(result, "header_row")), NULL, path, 0, 0, {0}, 0, 0, ""};
	if (an.header_row <= 0) /* a file refused at its header: the result names no row */
		an.header_row = 1;
	char why[256] = "";
	enum sheet_encoding enc;
	if (format == IMPORT_CSV)
		sheet_csv(data, len, annot_row, &an, &enc, why, sizeof why);
	else
		sheet_xlsx(data, len, annot_row, &an, why, sizeof why);
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
