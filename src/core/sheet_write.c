/* sheet_write.c: see sheet_write.h. The .xlsx rows go to libxlsxwriter on a writer
 * thread: the caller (reading and decrypting members) and libxlsxwriter (building each
 * cell's XML) each keep one core busy. Rows travel in batches through a short queue;
 * one producer, one consumer, so they reach the sheet in the order they were given,
 * which constant-memory mode requires. */
#include "core/sheet_write.h"
#include <pthread.h>
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
	lxw_format *text;
	lxw_row_t row;
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

/* Writes a batch's cells; false when libxlsxwriter refused one. */
static bool batch_write(struct xlsx_out *x, const struct batch *b)
{
	for (size_t i = 0; i < b->ncells; i++)
		if (worksheet_write_string(x->ws, b->cells[i].row, b->cells[i].col, b->text + b->cells[i].off, x->text) !=
		    LXW_NO_ERROR)
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

int xlsx_out_row(struct xlsx_out *x, const char *const *cells, size_t n)
{
	lxw_row_t row = x->row++;
	if (!x->threaded) {
		for (size_t i = 0; i < n; i++)
			if (cells[i] && *cells[i] &&
			    worksheet_write_string(x->ws, row, (lxw_col_t)i, cells[i], x->text) != LXW_NO_ERROR)
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
