/* sheet_write.c: see sheet_write.h. The .xlsx rows go to libxlsxwriter on a writer
 * thread: the caller (reading and decrypting members) and libxlsxwriter (building each
 * cell's XML) each keep one core busy. Rows travel in batches through a short queue;
 * one producer, one consumer, so they reach the sheet in the order they were given,
 * which constant-memory mode requires. */
#include "core/sheet_write.h"
#include <pthread.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>

/* A batch closes at either bound (~190 members' rows of 22 cells); with QUEUE_MAX
 * queued, one being filled and one being written, ~1 MB is in flight: the server's
 * peak RSS is a target (bench/results.md), and larger batches bought no speed. */
#define BATCH_CELLS 4096
#define BATCH_BYTES (128u << 10)
#define QUEUE_MAX 4

struct cell {
	lxw_row_t row;
	lxw_col_t col;
	size_t off; /* into the batch's text */
};

struct batch {
	struct batch *next;
	struct cell *cells;
	size_t ncells, capcells;
	char *text;
	size_t len, cap;
};

struct xlsx_out {
	lxw_workbook *wb;
	lxw_worksheet *ws;
	lxw_format *text, *money;
	lxw_row_t row;
	size_t ncols;
	uint64_t numeric; /* columns written as numbers when the text is one (bit per column) */
	bool filter;      /* an autofilter over the header and every row, set at close */
	bool threaded; /* false: pthread_create failed, rows are written in the caller */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t ready, room; /* ready: a batch or the end for the writer; room: for the caller */
	struct batch *head, *tail, *spare, *cur;
	size_t queued;
	bool closing, failed; /* under mu */
};

static void batch_free(struct batch *b)
{
	while (b) {
		struct batch *next = b->next;
		free(b->cells);
		free(b->text);
		free(b);
		b = next;
	}
}

/* One cell: a number in a numeric column when the whole text is one, else text. */
static lxw_error write_cell(struct xlsx_out *x, lxw_row_t row, lxw_col_t col, const char *v)
{
	if (col < 64 && (x->numeric >> col & 1)) {
		char *end;
		double d = strtod(v, &end);
		if (end != v && !*end)
			return worksheet_write_number(x->ws, row, col, d, x->money);
	}
	return worksheet_write_string(x->ws, row, col, v, x->text);
}

/* Writes a batch's cells; false when libxlsxwriter refused one. */
static bool batch_write(struct xlsx_out *x, const struct batch *b)
{
	for (size_t i = 0; i < b->ncells; i++)
		if (write_cell(x, b->cells[i].row, b->cells[i].col, b->text + b->cells[i].off) != LXW_NO_ERROR)
			return false;
	return true;
}

static void *writer_main(void *arg)
{
	struct xlsx_out *x = arg;
	bool ok = true;
	pthread_mutex_lock(&x->mu);
	for (;;) {
		while (!x->head && !x->closing)
			pthread_cond_wait(&x->ready, &x->mu);
		struct batch *b = x->head;
		if (!b)
			break;
		x->head = b->next;
		if (!x->head)
			x->tail = NULL;
		x->queued--;
		pthread_mutex_unlock(&x->mu);
		if (ok)
			ok = batch_write(x, b);
		b->ncells = b->len = 0;
		pthread_mutex_lock(&x->mu);
		b->next = x->spare;
		x->spare = b;
		if (!ok)
			x->failed = true;
		pthread_cond_signal(&x->room);
	}
	pthread_mutex_unlock(&x->mu);
	return NULL;
}

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
	x->money = workbook_add_format(x->wb);
	format_set_num_format(x->money, "#,##0.00");
	x->ncols = n;
	x->row = 1;
	pthread_mutex_init(&x->mu, NULL);
	pthread_cond_init(&x->ready, NULL);
	pthread_cond_init(&x->room, NULL);
	x->threaded = pthread_create(&x->thread, NULL, writer_main, x) == 0;
	if (x->threaded)
		pthread_setname_np(x->thread, "xlsx-writer");
	return x;
}

/* Hands the current batch to the writer, waiting while the queue is full. false once
 * the writer has failed. */
static bool batch_send(struct xlsx_out *x)
{
	struct batch *b = x->cur;
	x->cur = NULL;
	pthread_mutex_lock(&x->mu);
	while (x->queued >= QUEUE_MAX && !x->failed)
		pthread_cond_wait(&x->room, &x->mu);
	bool failed = x->failed;
	if (failed) {
		b->ncells = b->len = 0;
		b->next = x->spare;
		x->spare = b;
	} else {
		b->next = NULL;
		if (x->tail)
			x->tail->next = b;
		else
			x->head = b;
		x->tail = b;
		x->queued++;
		pthread_cond_signal(&x->ready);
	}
	pthread_mutex_unlock(&x->mu);
	return !failed;
}

static bool batch_reserve(struct batch *b, size_t cells, size_t bytes)
{
	if (b->ncells + cells > b->capcells) {
		size_t cap = b->capcells ? b->capcells : BATCH_CELLS;
		while (cap < b->ncells + cells)
			cap *= 2;
		struct cell *c = realloc(b->cells, cap * sizeof *c);
		if (!c)
			return false;
		b->cells = c, b->capcells = cap;
	}
	if (b->len + bytes > b->cap) {
		size_t cap = b->cap ? b->cap : BATCH_BYTES + 4096;
		while (cap < b->len + bytes)
			cap *= 2;
		char *t = realloc(b->text, cap);
		if (!t)
			return false;
		b->text = t, b->cap = cap;
	}
	return true;
}

void xlsx_out_numeric(struct xlsx_out *x, size_t col)
{
	if (col >= 64 || col >= x->ncols)
		return;
	x->numeric |= (uint64_t)1 << col;
	worksheet_set_column(x->ws, (lxw_col_t)col, (lxw_col_t)col, 12, x->money);
}

void xlsx_out_table_view(struct xlsx_out *x)
{
	worksheet_freeze_panes(x->ws, 1, 0);
	x->filter = true;
}

int xlsx_out_row(struct xlsx_out *x, const char *const *cells, size_t n)
{
	lxw_row_t row = x->row++;
	if (!x->threaded) {
		for (size_t i = 0; i < n; i++)
			if (cells[i] && *cells[i] && write_cell(x, row, (lxw_col_t)i, cells[i]) != LXW_NO_ERROR)
				return -1;
		return 0;
	}
	if (!x->cur) {
		pthread_mutex_lock(&x->mu);
		x->cur = x->spare;
		if (x->cur) {
			x->spare = x->cur->next;
			x->cur->next = NULL;
		}
		pthread_mutex_unlock(&x->mu);
		if (!x->cur && !(x->cur = calloc(1, sizeof *x->cur)))
			return -1;
	}
	struct batch *b = x->cur;
	size_t bytes = 0;
	for (size_t i = 0; i < n; i++)
		bytes += cells[i] ? strlen(cells[i]) + 1 : 0;
	if (!batch_reserve(b, n, bytes))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!cells[i] || !*cells[i])
			continue;
		size_t len = strlen(cells[i]) + 1;
		memcpy(b->text + b->len, cells[i], len);
		b->cells[b->ncells++] = (struct cell){row, (lxw_col_t)i, b->len};
		b->len += len;
	}
	if (b->ncells >= BATCH_CELLS || b->len >= BATCH_BYTES)
		return batch_send(x) ? 0 : -1;
	return 0;
}

int xlsx_out_close(struct xlsx_out *x)
{
	bool failed = false;
	if (x->threaded) {
		if (x->cur && x->cur->ncells)
			batch_send(x);
		batch_free(x->cur);
		pthread_mutex_lock(&x->mu);
		x->closing = true;
		pthread_cond_signal(&x->ready);
		pthread_mutex_unlock(&x->mu);
		pthread_join(x->thread, NULL);
		failed = x->failed;
		batch_free(x->head);
		batch_free(x->spare);
	}
	pthread_mutex_destroy(&x->mu);
	pthread_cond_destroy(&x->ready);
	pthread_cond_destroy(&x->room);
	if (x->filter && x->ncols)
		worksheet_autofilter(x->ws, 0, 0, x->row > 1 ? x->row - 1 : 1, (lxw_col_t)(x->ncols - 1));
	lxw_error e = workbook_close(x->wb);
	free(x);
	return e == LXW_NO_ERROR && !failed ? 0 : -1;
}

void csv_out_row(FILE *out, const char *const *cells, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *c = cells[i] ? cells[i] : "";
		if (i)
			fputc(',', out);
		/* a tab-led cell (an ID number kept as text, csv_id_cell) is written as it is */
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

int xlsx_template(const char *path, const char *sheet, const struct xlsx_template_col *cols, size_t n,
		  const char *const *lines, size_t nlines, int rows)
{
	lxw_workbook *wb = workbook_new(path);
	if (!wb)
		return -1;
	lxw_worksheet *ws = workbook_add_worksheet(wb, sheet);
	lxw_worksheet *help = workbook_add_worksheet(wb, "填写说明");
	lxw_worksheet *lists = workbook_add_worksheet(wb, "代码表");
	lxw_format *head = workbook_add_format(wb), *req = workbook_add_format(wb), *text = workbook_add_format(wb);
	lxw_format *wrap = workbook_add_format(wb);
	format_set_bold(head);
	format_set_bg_color(head, 0xF2F2F2);
	format_set_bold(req);
	format_set_bg_color(req, 0xF2F2F2);
	format_set_font_color(req, 0xC00000);
	format_set_num_format(text, "@");
	format_set_text_wrap(wrap);
	lxw_error e = LXW_NO_ERROR;
	int listcol = 0;
	for (size_t i = 0; i < n && e == LXW_NO_ERROR; i++) {
		const struct xlsx_template_col *c = &cols[i];
		char h[128];
		snprintf(h, sizeof h, "%s%s", c->header, c->required ? "*" : "");
		e = worksheet_write_string(ws, 0, (lxw_col_t)i, h, c->required ? req : head);
		worksheet_set_column(ws, (lxw_col_t)i, (lxw_col_t)i, c->text ? 20 : 14, c->text ? text : NULL);
		if (c->list && c->nlist) {
			worksheet_write_string(lists, 0, (lxw_col_t)listcol, c->header, head);
			for (size_t k = 0; k < c->nlist && e == LXW_NO_ERROR; k++)
				e = worksheet_write_string(lists, (lxw_row_t)(k + 1), (lxw_col_t)listcol, c->list[k], NULL);
			/* an inline list (value_list: libxlsxwriter 1.1.4 leaks a list formula's
			 * copy); one longer than Excel's 255 characters gets a prompt that points to
			 * the 代码表 sheet instead */
			const char **vals = calloc(c->nlist + 1, sizeof *vals);
			if (!vals) {
				e = LXW_ERROR_MEMORY_MALLOC_FAILED;
				break;
			}
			for (size_t k = 0; k < c->nlist; k++)
				vals[k] = c->list[k];
			lxw_data_validation dv = {0};
			dv.validate = LXW_VALIDATION_TYPE_LIST;
			dv.value_list = (char **)vals;
			dv.error_type = LXW_VALIDATION_ERROR_TYPE_STOP;
			dv.error_title = "输入有误";
			dv.error_message = "请从下拉列表中选择";
			if (c->prompt) {
				dv.input_title = (char *)c->header;
				dv.input_message = (char *)c->prompt;
			}
			/* the library joins the list into a buffer of 255
			 * bytes (its own check counts characters): keep to the bytes */
			size_t bytes = 0;
			for (size_t k = 0; k < c->nlist; k++)
				bytes += strlen(c->list[k]) + 1;
			bool fits = bytes + 2 < 255; /* Excel's 255 */
			if (e == LXW_NO_ERROR &&
			    (!fits ||
			     worksheet_data_validation_range(ws, 1, (lxw_col_t)i, (lxw_row_t)rows, (lxw_col_t)i, &dv) != LXW_NO_ERROR)) {
				lxw_data_validation any = {0};
				any.validate = LXW_VALIDATION_TYPE_ANY;
				any.input_title = (char *)c->header;
				any.input_message = "可填写的值见“代码表”工作表";
				e = worksheet_data_validation_range(ws, 1, (lxw_col_t)i, (lxw_row_t)rows, (lxw_col_t)i, &any);
			}
			free(vals);
			listcol++;
		} else if (c->prompt) {
			lxw_data_validation dv = {0};
			dv.validate = LXW_VALIDATION_TYPE_ANY;
			dv.input_title = (char *)c->header;
			dv.input_message = (char *)c->prompt;
			e = worksheet_data_validation_range(ws, 1, (lxw_col_t)i, (lxw_row_t)rows, (lxw_col_t)i, &dv);
		}
	}
	worksheet_freeze_panes(ws, 1, 0);
	worksheet_set_column(help, 0, 0, 100, wrap);
	for (size_t i = 0; i < nlines && e == LXW_NO_ERROR; i++)
		e = worksheet_write_string(help, (lxw_row_t)i, 0, lines[i], i == 0 ? head : wrap);
	worksheet_activate(ws);
	lxw_error ce = workbook_close(wb);
	return e == LXW_NO_ERROR && ce == LXW_NO_ERROR ? 0 : -1;
}
