/* sheet_write.c: see sheet_write.h. */
#include "core/sheet_write.h"
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>

struct xlsx_out {
	lxw_workbook *wb;
	lxw_worksheet *ws;
	lxw_format *text;
	lxw_row_t row;
};

struct xlsx_out *xlsx_out_open(const char *path, const char *tmpdir, const char *sheet, const char *const *headers,
			       size_t n)
{
	struct xlsx_out *x = calloc(1, sizeof *x);
	if (!x)
		return NULL;
	lxw_workbook_options opt = {.constant_memory = LXW_TRUE, .tmpdir = (char *)tmpdir};
	x->wb = workbook_new_opt(path, &opt);
	if (!x->wb) {
		free(x);
		return NULL;
	}
	x->ws = workbook_add_worksheet(x->wb, sheet);
	lxw_format *bold = workbook_add_format(x->wb);
	format_set_bold(bold);
	x->text = workbook_add_format(x->wb);
	format_set_num_format(x->text, "@"); /* text: ID numbers must not become 1.1E+17 */
	for (size_t i = 0; i < n; i++) {
		worksheet_write_string(x->ws, 0, (lxw_col_t)i, headers[i], bold);
		worksheet_set_column(x->ws, (lxw_col_t)i, (lxw_col_t)i, 14, x->text);
	}
	x->row = 1;
	return x;
}

int xlsx_out_row(struct xlsx_out *x, const char *const *cells, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (cells[i] && *cells[i] &&
		    worksheet_write_string(x->ws, x->row, (lxw_col_t)i, cells[i], x->text) != LXW_NO_ERROR)
			return -1;
	x->row++;
	return 0;
}

int xlsx_out_close(struct xlsx_out *x)
{
	lxw_error e = workbook_close(x->wb);
	free(x);
	return e == LXW_NO_ERROR ? 0 : -1;
}

void csv_out_row(FILE *out, const char *const *cells, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *c = cells[i] ? cells[i] : "";
		if (i)
			fputc(',', out);
		bool formula = strchr("=+-@", c[0]) && c[0];
		bool quote = formula || strpbrk(c, ",\"\r\n") != NULL;
		if (!quote) {
			fputs(c, out);
			continue;
		}
		fputc('"', out);
		if (formula)
			fputc('\'', out);
		for (; *c; c++) {
			if (*c == '"')
				fputc('"', out);
			fputc(*c, out);
		}
		fputc('"', out);
	}
	fputs("\r\n", out);
}
