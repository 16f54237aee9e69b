/* xlsx_stream.c: see xlsx_stream.h. The zip is written by hand (local headers, the
 * sheet with a data descriptor, the central directory): libzip compresses an entry
 * inside zip_close on one thread from a source it pulls, which leaves no room for
 * deflating pieces in parallel while the rows are still being read.
 *
 * The sheet's pieces: the caller fills `cur` (CHUNK bytes of XML), hands it to the
 * ring; a deflate thread (or the caller, with no threads) compresses it; whoever
 * finishes the piece that is next in order writes it and any finished ones after it
 * (one writer at a time: `writing`), so the file is written in order and at most RING
 * pieces are in memory. */
#include "core/xlsx_stream.h"
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define CHUNK (1u << 20)
#define DICT 32768u
#define RING 8
#define MAX_COLS 64
#define MAX_CELL 32767 /* Excel's characters per cell, in UTF-16 code units */

struct piece {
	unsigned char *in;   /* XML */
	size_t nin;
	unsigned char *dict; /* the previous piece's last DICT bytes (NULL for the first) */
	size_t ndict;
	unsigned char *out;  /* its deflate */
	size_t nout, capout;
	uint32_t crc;
	bool last, done, failed;
	uint64_t seq;
};

struct entry {
	char name[40];
	uint32_t crc;
	uint64_t csize, usize, offset;
	bool descriptor;
	uint32_t rows; /* a sheet's rows, the header included */
};

struct xlsx_stream {
	FILE *f;
	char sheet[128];
	char **headers; /* copied: every sheet repeats them */
	size_t ncols;
	uint64_t numeric;
	bool table_view, failed;
	int level, nthreads;
	uint32_t row; /* rows written on the current sheet, the header included */
	uint32_t rows_per_sheet;
	int nsheets; /* sheets begun: ent[0..nsheets-1] are theirs */
	struct entry *ent;
	size_t nent, capent;
	struct xlsx_stream_result res; /* the first failure's cause */
	/* the sheet's stream */
	struct piece ring[RING];
	uint64_t next_fill, next_write, next_deflate;
	unsigned char *cur;
	size_t ncur;
	unsigned char lastdict[DICT];
	size_t nlastdict;
	uint32_t crc;
	uint64_t csize, usize;
	pthread_t th[4];
	int nth;
	pthread_mutex_t mu;
	pthread_cond_t work, room;
	bool writing, stopping;
	char cols[MAX_COLS][4];
	char rowref[12]; /* the row being written's number, in digits */
	size_t nrowref;
};

/* x->rowref: the number of the row about to be written (x->row + 1). */
static void set_rowref(struct xlsx_stream *x)
{
	char d[12];
	size_t n = 0;
	for (uint32_t v = x->row + 1; v; v /= 10)
		d[n++] = (char)('0' + v % 10);
	for (size_t i = 0; i < n; i++)
		x->rowref[i] = d[n - 1 - i];
	x->nrowref = n;
}

static void put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v)
{
	put16(p, v & 0xffff);
	put16(p + 2, v >> 16);
}

/* DOS time of 1980-01-01 00:00 (what libxlsxwriter writes too) */
#define DOS_TIME 0
#define DOS_DATE 0x21

/* Records the first failure's cause (err: errno for a file error). -1. Called without
 * mu held, by the caller's thread or a deflate thread writing pieces. */
static int fail(struct xlsx_stream *x, enum xlsx_stream_error why, int err)
{
	pthread_mutex_lock(&x->mu);
	if (!x->res.error) {
		x->res.error = why;
		x->res.err = err;
	}
	x->failed = true;
	pthread_mutex_unlock(&x->mu);
	return -1;
}

static int write_all(struct xlsx_stream *x, const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, x->f) != n)
		return fail(x, XLSX_STREAM_FILE, errno ? errno : EIO);
	return 0;
}

/* A new zip entry (NULL when out of memory). */
static struct entry *new_entry(struct xlsx_stream *x)
{
	if (x->nent == x->capent) {
		size_t cap = x->capent ? x->capent * 2 : 16;
		struct entry *e = realloc(x->ent, cap * sizeof *e);
		if (!e) {
			fail(x, XLSX_STREAM_NOMEM, ENOMEM);
			return NULL;
		}
		x->ent = e, x->capent = cap;
	}
	struct entry *e = &x->ent[x->nent++];
	memset(e, 0, sizeof *e);
	return e;
}

static int local_header(struct xlsx_stream *x, struct entry *e, bool descriptor)
{
	unsigned char h[30];
	long off = ftell(x->f);
	if (off < 0)
		return fail(x, XLSX_STREAM_FILE, errno);
	if ((uint64_t)off >= 0xffffffffu) /* no ZIP64 */
		return fail(x, XLSX_STREAM_TOO_BIG, EFBIG);
	e->offset = (uint64_t)off;
	e->descriptor = descriptor;
	size_t nl = strlen(e->name);
	put32(h, 0x04034b50);
	put16(h + 4, 20);
	put16(h + 6, descriptor ? 0x0808 : 0x0800); /* data descriptor; UTF-8 names */
	put16(h + 8, descriptor ? 8 : 0);            /* deflate for the sheet, stored otherwise */
	put16(h + 10, DOS_TIME);
	put16(h + 12, DOS_DATE);
	put32(h + 14, descriptor ? 0 : e->crc);
	put32(h + 18, descriptor ? 0 : (uint32_t)e->csize);
	put32(h + 22, descriptor ? 0 : (uint32_t)e->usize);
	put16(h + 26, (unsigned)nl);
	put16(h + 28, 0);
	return write_all(x, h, sizeof h) || write_all(x, e->name, nl) ? -1 : 0;
}

/* A small part, stored. */
static int put_part(struct xlsx_stream *x, const char *name, const char *text)
{
	struct entry *e = new_entry(x);
	if (!e)
		return -1;
	snprintf(e->name, sizeof e->name, "%s", name);
	size_t n = strlen(text);
	e->crc = (uint32_t)crc32(0, (const unsigned char *)text, (uInt)n);
	e->csize = e->usize = n;
	return local_header(x, e, false) || write_all(x, text, n) ? -1 : 0;
}

/* ---- the sheet's deflate ------------------------------------------------------- */

static void deflate_piece(int level, struct piece *p)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	p->failed = true;
	if (deflateInit2(&z, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return;
	if (p->ndict)
		deflateSetDictionary(&z, p->dict, (uInt)p->ndict);
	size_t need = deflateBound(&z, (uLong)p->nin) + 64;
	if (p->capout < need) {
		unsigned char *o = realloc(p->out, need);
		if (!o) {
			deflateEnd(&z);
			return;
		}
		p->out = o, p->capout = need;
	}
	z.next_in = p->in;
	z.avail_in = (uInt)p->nin;
	z.next_out = p->out;
	z.avail_out = (uInt)p->capout;
	int rc = deflate(&z, p->last ? Z_FINISH : Z_SYNC_FLUSH);
	p->nout = p->capout - z.avail_out;
	p->crc = (uint32_t)crc32(0, p->in, (uInt)p->nin);
	p->failed = p->last ? rc != Z_STREAM_END : (rc != Z_OK || z.avail_in != 0);
	deflateEnd(&z);
}

/* Under mu: writes the finished pieces that are next in order (mu let go while each is
 * written), unless another thread is writing. */
static void write_ready_locked(struct xlsx_stream *x)
{
	if (x->writing)
		return;
	x->writing = true;
	for (;;) {
		struct piece *p = &x->ring[x->next_write % RING];
		if (x->next_write >= x->next_fill || !p->done || p->seq != x->next_write)
			break;
		pthread_mutex_unlock(&x->mu);
		if (p->failed)
			fail(x, XLSX_STREAM_NOMEM, ENOMEM);
		else if (write_all(x, p->out, p->nout) == 0) {
			x->crc = (uint32_t)crc32_combine(x->crc, p->crc, (z_off_t)p->nin);
			x->csize += p->nout;
			x->usize += p->nin;
		}
		pthread_mutex_lock(&x->mu);
		p->done = false;
		x->next_write++;
		pthread_cond_broadcast(&x->room);
	}
	x->writing = false;
}

static void *deflater(void *arg)
{
	struct xlsx_stream *x = arg;
	pthread_mutex_lock(&x->mu);
	for (;;) {
		while (x->next_deflate >= x->next_fill && !x->stopping)
			pthread_cond_wait(&x->work, &x->mu);
		if (x->next_deflate >= x->next_fill)
			break;
		struct piece *p = &x->ring[x->next_deflate++ % RING];
		pthread_mutex_unlock(&x->mu);
		deflate_piece(x->level, p);
		pthread_mutex_lock(&x->mu);
		p->done = true;
		write_ready_locked(x);
	}
	pthread_mutex_unlock(&x->mu);
	return NULL;
}

/* Hands cur to the ring (last: the stream's end), waiting for room. */
static int flush_piece(struct xlsx_stream *x, bool last)
{
	pthread_mutex_lock(&x->mu);
	while (x->next_fill - x->next_write >= RING)
		pthread_cond_wait(&x->room, &x->mu);
	struct piece *p = &x->ring[x->next_fill % RING];
	pthread_mutex_unlock(&x->mu);
	/* the ring's slot is free: swap buffers with it */
	unsigned char *in = p->in;
	p->in = x->cur;
	p->nin = x->ncur;
	x->cur = in;
	x->ncur = 0;
	if (!p->dict && !(p->dict = malloc(DICT)))
		return fail(x, XLSX_STREAM_NOMEM, ENOMEM);
	/* primed with the previous piece's last 32 KiB (only the last piece is short) */
	memcpy(p->dict, x->lastdict, x->nlastdict);
	p->ndict = x->nlastdict;
	x->nlastdict = p->nin < DICT ? p->nin : DICT;
	memcpy(x->lastdict, p->in + p->nin - x->nlastdict, x->nlastdict);
	p->last = last;
	p->done = false;
	p->seq = x->next_fill;
	if (!x->cur && !(x->cur = malloc(CHUNK + 65536)))
		return fail(x, XLSX_STREAM_NOMEM, ENOMEM);
	pthread_mutex_lock(&x->mu);
	x->next_fill++;
	if (x->nth) {
		pthread_cond_signal(&x->work);
	} else { /* no threads: the caller deflates and writes */
		x->next_deflate++;
		pthread_mutex_unlock(&x->mu);
		deflate_piece(x->level, p);
		pthread_mutex_lock(&x->mu);
		p->done = true;
		write_ready_locked(x);
	}
	pthread_mutex_unlock(&x->mu);
	return x->failed ? -1 : 0;
}

/* Appends to the sheet's XML; a full piece goes to the ring. */
static int emit(struct xlsx_stream *x, const char *s, size_t n)
{
	while (n) {
		size_t room = CHUNK - x->ncur, k = n < room ? n : room;
		memcpy(x->cur + x->ncur, s, k);
		x->ncur += k;
		s += k;
		n -= k;
		if (x->ncur == CHUNK && flush_piece(x, false) != 0)
			return -1;
	}
	return 0;
}

#define EMIT(x, lit) emit(x, lit, sizeof lit - 1)

/* A text with & < > escaped and the controls XML can not hold dropped. */
static int emit_text(struct xlsx_stream *x, const char *s)
{
	const char *run = s;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		const char *rep = NULL;
		if (c == '&')
			rep = "&amp;";
		else if (c == '<')
			rep = "&lt;";
		else if (c == '>')
			rep = "&gt;";
		else if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
			rep = "";
		if (!rep)
			continue;
		if (emit(x, run, (size_t)(s - run)) || emit(x, rep, strlen(rep)))
			return -1;
		run = s + 1;
	}
	return emit(x, run, (size_t)(s - run));
}

/* Whether text s is over Excel's 32,767 characters per cell as Excel counts them, in
 * UTF-16 code units (a character outside the BMP counts 2), of the text as written
 * (emit_text drops controls). A text of at most MAX_CELL bytes never is. */
static bool over_cell_limit(const char *s)
{
	size_t len = strlen(s);
	if (len <= MAX_CELL)
		return false;
	size_t units = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned char c = *p;
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
			continue;
		units += (c & 0xC0) == 0x80 ? 0 : c >= 0xF0 ? 2 : 1;
	}
	return units > MAX_CELL;
}

static bool is_decimal(const char *s)
{
	const char *p = s;
	if (*p == '-')
		p++;
	bool digits = false, dot = false;
	for (; *p; p++) {
		if (*p >= '0' && *p <= '9')
			digits = true;
		else if (*p == '.' && !dot)
			dot = true;
		else
			return false;
	}
	return digits && p - s < 20;
}

static int emit_cell(struct xlsx_stream *x, size_t col, const char *v, bool header)
{
	/* <c r="B12" without printf: a cell of every column of every row */
	char ref[32] = "<c r=\"";
	size_t n = 6, k = strlen(x->cols[col]);
	memcpy(ref + n, x->cols[col], k);
	n += k;
	memcpy(ref + n, x->rowref, x->nrowref);
	n += x->nrowref;
	ref[n++] = '"';
	if (emit(x, ref, n))
		return -1;
	if (!header && col < 64 && (x->numeric >> col & 1) && is_decimal(v))
		return EMIT(x, " s=\"3\"><v>") || emit(x, v, strlen(v)) || EMIT(x, "</v></c>");
	if (header ? EMIT(x, " s=\"2\" t=\"inlineStr\"><is><t") : EMIT(x, " s=\"1\" t=\"inlineStr\"><is><t"))
		return -1;
	size_t len = strlen(v);
	bool edge = v[0] == ' ' || v[0] == '\t' || v[0] == '\n' || (len && (v[len - 1] == ' ' || v[len - 1] == '\n'));
	if (edge && EMIT(x, " xml:space=\"preserve\""))
		return -1;
	return EMIT(x, ">") || emit_text(x, v) || EMIT(x, "</t></is></c>");
}

/* Sheet k's name (1-based) into out: the name given, and from the second on "名称(k)",
 * the name cut (on a character's boundary) so that the whole keeps to Excel's 31
 * characters. */
static void sheet_name(const struct xlsx_stream *x, int k, char *out, size_t cap)
{
	char suffix[16] = "";
	if (k > 1)
		snprintf(suffix, sizeof suffix, "(%d)", k);
	size_t room = 31 - strlen(suffix), chars = 0, o = 0;
	for (const unsigned char *p = (const unsigned char *)x->sheet; *p;) {
		size_t len = *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : *p >= 0xc0 ? 2 : 1, w = *p >= 0xf0 ? 2 : 1;
		if (chars + w > room || o + len + strlen(suffix) + 1 > cap)
			break;
		for (size_t i = 0; i < len && p[i]; i++)
			out[o++] = (char)p[i];
		chars += w;
		p += len;
	}
	snprintf(out + o, cap - o, "%s", suffix);
}

/* A new sheet (views, columns) and its header row: at the first row, and when the
 * current sheet is full. */
static int start_sheet(struct xlsx_stream *x)
{
	struct entry *e = new_entry(x);
	if (!e)
		return -1;
	x->nsheets++;
	snprintf(e->name, sizeof e->name, "xl/worksheets/sheet%d.xml", x->nsheets);
	/* the sheet's own deflate stream and CRC */
	x->crc = 0;
	x->csize = x->usize = 0;
	x->nlastdict = 0;
	x->row = 0;
	if (local_header(x, e, true))
		return -1;
	if (EMIT(x, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
		    "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
		    "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">"))
		return -1;
	/* the first sheet is the one shown when the file opens */
	if (x->nsheets == 1 ? EMIT(x, "<sheetViews><sheetView tabSelected=\"1\" workbookViewId=\"0\"")
			    : EMIT(x, "<sheetViews><sheetView workbookViewId=\"0\""))
		return -1;
	if (x->table_view ? EMIT(x, "><pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\" state=\"frozen\"/>"
				    "<selection pane=\"bottomLeft\"/></sheetView></sheetViews>")
			  : EMIT(x, "/></sheetViews>"))
		return -1;
	if (EMIT(x, "<sheetFormatPr defaultRowHeight=\"15\"/><cols>"))
		return -1;
	for (size_t i = 0; i < x->ncols; i++) {
		char c[160];
		bool num = i < 64 && (x->numeric >> i & 1);
		int n = snprintf(c, sizeof c, "<col min=\"%zu\" max=\"%zu\" width=\"%s\" style=\"%d\" customWidth=\"1\"/>", i + 1,
				 i + 1, num ? "12.7109375" : "14.7109375", num ? 3 : 1);
		if (emit(x, c, (size_t)n))
			return -1;
	}
	if (EMIT(x, "</cols><sheetData><row r=\"1\">"))
		return -1;
	set_rowref(x);
	for (size_t i = 0; i < x->ncols; i++)
		if (x->headers[i] && emit_cell(x, i, x->headers[i], true))
			return -1;
	x->row = 1;
	return EMIT(x, "</row>");
}

/* The current sheet's end: its last piece written, then its data descriptor. */
static int end_sheet(struct xlsx_stream *x)
{
	char tail[256];
	int n = x->table_view ? snprintf(tail, sizeof tail, "</sheetData><autoFilter ref=\"A1:%s%u\"/>", x->cols[x->ncols - 1],
					 (unsigned)(x->row > 1 ? x->row : 2))
			      : snprintf(tail, sizeof tail, "</sheetData>");
	if (emit(x, tail, (size_t)n) ||
	    EMIT(x, "<pageMargins left=\"0.7\" right=\"0.7\" top=\"0.75\" bottom=\"0.75\" header=\"0.3\" footer=\"0.3\"/>"
		    "</worksheet>") ||
	    flush_piece(x, true) != 0)
		return -1;
	/* every piece written (the last one's writer has run): the descriptor */
	pthread_mutex_lock(&x->mu);
	while (x->next_write < x->next_fill)
		pthread_cond_wait(&x->room, &x->mu);
	pthread_mutex_unlock(&x->mu);
	if (x->failed)
		return -1;
	if (x->usize >= 0xffffffffu || x->csize >= 0xffffffffu)
		return fail(x, XLSX_STREAM_TOO_BIG, EFBIG);
	struct entry *e = &x->ent[x->nsheets - 1];
	e->crc = x->crc;
	e->csize = x->csize;
	e->usize = x->usize;
	e->rows = x->row;
	unsigned char d[16];
	put32(d, 0x08074b50);
	put32(d + 4, e->crc);
	put32(d + 8, (uint32_t)e->csize);
	put32(d + 12, (uint32_t)e->usize);
	return write_all(x, d, sizeof d);
}

struct xlsx_stream *xlsx_stream_open(const char *path, const char *sheet, const char *const *headers, size_t n,
				     int level, int threads)
{
	if (n == 0 || n > MAX_COLS) {
		errno = EINVAL;
		return NULL;
	}
	struct xlsx_stream *x = calloc(1, sizeof *x);
	if (!x)
		return NULL;
	x->headers = calloc(n, sizeof *x->headers);
	bool ok = x->headers != NULL;
	for (size_t i = 0; ok && i < n; i++)
		if (headers[i] && !(x->headers[i] = strdup(headers[i])))
			ok = false;
	x->ncols = n;
	x->cur = ok ? malloc(CHUNK + 65536) : NULL;
	x->f = x->cur ? fopen(path, "wb") : NULL;
	if (!x->f) {
		int err = errno;
		for (size_t i = 0; x->headers && i < n; i++)
			free(x->headers[i]);
		free(x->headers);
		free(x->cur);
		free(x);
		errno = err;
		return NULL;
	}
	setvbuf(x->f, NULL, _IOFBF, 1u << 20);
	snprintf(x->sheet, sizeof x->sheet, "%s", sheet);
	x->rows_per_sheet = XLSX_STREAM_ROWS_PER_SHEET;
	x->level = level < 1 ? 1 : level > 9 ? 9 : level;
	x->nthreads = threads < 0 ? 0 : threads > 4 ? 4 : threads;
	for (size_t i = 0; i < MAX_COLS; i++) {
		if (i < 26)
			snprintf(x->cols[i], sizeof x->cols[i], "%c", (char)('A' + i));
		else
			snprintf(x->cols[i], sizeof x->cols[i], "%c%c", (char)('A' + i / 26 - 1), (char)('A' + i % 26));
	}
	pthread_mutex_init(&x->mu, NULL);
	pthread_cond_init(&x->work, NULL);
	pthread_cond_init(&x->room, NULL);
	for (int i = 0; i < x->nthreads; i++)
		if (pthread_create(&x->th[x->nth], NULL, deflater, x) == 0)
			pthread_setname_np(x->th[x->nth++], "xlsx-deflate");
	return x;
}

void xlsx_stream_numeric(struct xlsx_stream *x, size_t col)
{
	if (col < x->ncols)
		x->numeric |= (uint64_t)1 << col;
}

void xlsx_stream_table_view(struct xlsx_stream *x)
{
	x->table_view = true;
}

void xlsx_stream_rows_per_sheet(struct xlsx_stream *x, uint32_t n)
{
	if (x->nsheets == 0)
		x->rows_per_sheet = n < 2 ? 2 : n > XLSX_STREAM_ROWS_PER_SHEET ? XLSX_STREAM_ROWS_PER_SHEET : n;
}

int xlsx_stream_row(struct xlsx_stream *x, const char *const *cells, size_t n)
{
	if (x->failed || (!x->nsheets && start_sheet(x) != 0))
		return -1;
	/* a full sheet (Excel's 1,048,576 rows): the row begins the next one */
	if (x->row >= x->rows_per_sheet && (end_sheet(x) != 0 || start_sheet(x) != 0))
		return -1;
	for (size_t i = 0; i < n && i < x->ncols; i++)
		if (cells[i] && over_cell_limit(cells[i])) {
			set_rowref(x);
			snprintf(x->res.cell, sizeof x->res.cell, "%s%.*s", x->cols[i], (int)x->nrowref, x->rowref);
			sheet_name(x, x->nsheets, x->res.sheet, sizeof x->res.sheet);
			x->res.col = i;
			return fail(x, XLSX_STREAM_CELL, 0);
		}
	set_rowref(x);
	if (EMIT(x, "<row r=\"") || emit(x, x->rowref, x->nrowref) || EMIT(x, "\">"))
		return -1;
	for (size_t i = 0; i < n && i < x->ncols; i++) {
		if (!cells[i] || !*cells[i])
			continue;
		if (emit_cell(x, i, cells[i], false))
			return -1;
	}
	x->row++;
	return EMIT(x, "</row>");
}

static const char ROOT_RELS[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
	"<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
	"<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" "
	"Target=\"xl/workbook.xml\"/>"
	"<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties\" "
	"Target=\"docProps/app.xml\"/>"
	"</Relationships>";
static const char APP[] = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
			  "<Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties\">"
			  "<Application>Microsoft Excel</Application></Properties>";
/* cellXfs: 0 default, 1 text (@), 2 bold header, 3 money (#,##0.00) */
static const char STYLES[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
	"<styleSheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
	"<numFmts count=\"1\"><numFmt numFmtId=\"164\" formatCode=\"#,##0.00\"/></numFmts>"
	/* no theme part: fonts name their colour and face themselves */
	"<fonts count=\"2\"><font><sz val=\"11\"/><color rgb=\"FF000000\"/><name val=\"Calibri\"/><family val=\"2\"/>"
	"</font><font><b/><sz val=\"11\"/><color rgb=\"FF000000\"/><name val=\"Calibri\"/><family val=\"2\"/></font></fonts>"
	"<fills count=\"2\"><fill><patternFill patternType=\"none\"/></fill><fill><patternFill patternType=\"gray125\"/></fill></fills>"
	"<borders count=\"1\"><border><left/><right/><top/><bottom/><diagonal/></border></borders>"
	"<cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/></cellStyleXfs>"
	"<cellXfs count=\"4\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/>"
	"<xf numFmtId=\"49\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/>"
	"<xf numFmtId=\"0\" fontId=\"1\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyFont=\"1\"/>"
	"<xf numFmtId=\"164\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/></cellXfs>"
	"<cellStyles count=\"1\"><cellStyle name=\"Normal\" xfId=\"0\" builtinId=\"0\"/></cellStyles>"
	"<dxfs count=\"0\"/><tableStyles count=\"0\" defaultTableStyle=\"TableStyleMedium9\" defaultPivotStyle=\"PivotStyleLight16\"/>"
	"</styleSheet>";


/* A sheet name in XML (& < > " escaped), into out. */
static void xml_attr(const char *s, char *out, size_t cap)
{
	size_t o = 0;
	for (; *s && o + 7 < cap; s++) {
		const char *rep = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : *s == '"' ? "&quot;" : NULL;
		if (rep) {
			memcpy(out + o, rep, strlen(rep));
			o += strlen(rep);
		} else if ((unsigned char)*s >= 0x20) {
			out[o++] = *s;
		}
	}
	out[o] = 0;
}

/* A growing text for the parts that list every sheet. */
struct text {
	char *p;
	size_t n, cap;
	bool nomem;
};

__attribute__((format(printf, 2, 3))) static void addf(struct text *t, const char *fmt, ...)
{
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int k = t->nomem ? 0 : vsnprintf(t->p ? t->p + t->n : NULL, t->p ? t->cap - t->n : 0, fmt, ap);
		va_end(ap);
		if (t->nomem || k < 0) {
			t->nomem = true;
			return;
		}
		if (t->p && t->n + (size_t)k < t->cap) {
			t->n += (size_t)k;
			return;
		}
		size_t cap = (t->cap ? t->cap * 2 : 4096) + (size_t)k;
		char *q = realloc(t->p, cap);
		if (!q) {
			t->nomem = true;
			return;
		}
		t->p = q, t->cap = cap;
	}
}

/* workbook.xml, its rels and [Content_Types].xml, which list every sheet. */
static int put_lists(struct xlsx_stream *x)
{
	struct text wb = {0}, rels = {0}, types = {0};
	addf(&wb, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
		  "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
		  "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">"
		  "<bookViews><workbookView/></bookViews><sheets>");
	addf(&rels, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
		    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">");
	addf(&types, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
		     "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
		     "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
		     "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
		     "<Override PartName=\"/xl/workbook.xml\" "
		     "ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>");
	char name[128], attr[400];
	for (int k = 1; k <= x->nsheets; k++) {
		sheet_name(x, k, name, sizeof name);
		xml_attr(name, attr, sizeof attr);
		addf(&wb, "<sheet name=\"%s\" sheetId=\"%d\" r:id=\"rId%d\"/>", attr, k, k);
		addf(&rels,
		     "<Relationship Id=\"rId%d\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
		     "worksheet\" Target=\"worksheets/sheet%d.xml\"/>",
		     k, k);
		addf(&types,
		     "<Override PartName=\"/xl/worksheets/sheet%d.xml\" "
		     "ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>",
		     k);
	}
	addf(&wb, "</sheets>");
	if (x->table_view) { /* each sheet's filter range, as Excel records it */
		addf(&wb, "<definedNames>");
		for (int k = 1; k <= x->nsheets; k++) {
			sheet_name(x, k, name, sizeof name);
			xml_attr(name, attr, sizeof attr);
			uint32_t rows = x->ent[k - 1].rows;
			addf(&wb, "<definedName name=\"_xlnm._FilterDatabase\" localSheetId=\"%d\" hidden=\"1\">'%s'!$A$1:$%s$%u</definedName>",
			     k - 1, attr, x->cols[x->ncols - 1], (unsigned)(rows > 1 ? rows : 2));
		}
		addf(&wb, "</definedNames>");
	}
	addf(&wb, "</workbook>");
	addf(&rels,
	     "<Relationship Id=\"rId%d\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" "
	     "Target=\"styles.xml\"/></Relationships>",
	     x->nsheets + 1);
	addf(&types, "<Override PartName=\"/xl/styles.xml\" "
		     "ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml\"/>"
		     "<Override PartName=\"/docProps/app.xml\" "
		     "ContentType=\"application/vnd.openxmlformats-officedocument.extended-properties+xml\"/>"
		     "</Types>");
	int rc = wb.nomem || rels.nomem || types.nomem ? fail(x, XLSX_STREAM_NOMEM, ENOMEM)
		 : put_part(x, "xl/workbook.xml", wb.p) || put_part(x, "xl/_rels/workbook.xml.rels", rels.p) ||
				 put_part(x, "[Content_Types].xml", types.p)
			 ? -1
			 : 0;
	free(wb.p);
	free(rels.p);
	free(types.p);
	return rc;
}

/* The last sheet's end, then the small parts (after the sheets: they list them) and
 * the central directory. */
static int finish(struct xlsx_stream *x)
{
	if ((!x->nsheets && start_sheet(x) != 0) || end_sheet(x) != 0)
		return -1;
	if (put_lists(x) || put_part(x, "xl/styles.xml", STYLES) || put_part(x, "docProps/app.xml", APP) ||
	    put_part(x, "_rels/.rels", ROOT_RELS))
		return -1;
	long cd = ftell(x->f);
	if (cd < 0)
		return fail(x, XLSX_STREAM_FILE, errno);
	for (size_t i = 0; i < x->nent; i++) {
		const struct entry *en = &x->ent[i];
		unsigned char h[46];
		size_t nl = strlen(en->name);
		put32(h, 0x02014b50);
		put16(h + 4, 20);
		put16(h + 6, 20);
		put16(h + 8, en->descriptor ? 0x0808 : 0x0800);
		put16(h + 10, en->descriptor ? 8 : 0);
		put16(h + 12, DOS_TIME);
		put16(h + 14, DOS_DATE);
		put32(h + 16, en->crc);
		put32(h + 20, (uint32_t)en->csize);
		put32(h + 24, (uint32_t)en->usize);
		put16(h + 28, (unsigned)nl);
		put16(h + 30, 0);
		put16(h + 32, 0);
		put16(h + 34, 0);
		put16(h + 36, 0);
		put32(h + 38, 0);
		put32(h + 42, (uint32_t)en->offset);
		if (write_all(x, h, sizeof h) || write_all(x, en->name, nl))
			return -1;
	}
	long end = ftell(x->f);
	if (end < 0)
		return fail(x, XLSX_STREAM_FILE, errno);
	if ((uint64_t)end >= 0xffffffffu || x->nent > 0xffff)
		return fail(x, XLSX_STREAM_TOO_BIG, EFBIG);
	unsigned char z[22];
	put32(z, 0x06054b50);
	put16(z + 4, 0);
	put16(z + 6, 0);
	put16(z + 8, (unsigned)x->nent);
	put16(z + 10, (unsigned)x->nent);
	put32(z + 12, (uint32_t)(end - cd));
	put32(z + 16, (uint32_t)cd);
	put16(z + 20, 0);
	return write_all(x, z, sizeof z);
}

int xlsx_stream_close_result(struct xlsx_stream *x, struct xlsx_stream_result *res)
{
	int rc = x->failed ? -1 : finish(x);
	pthread_mutex_lock(&x->mu);
	x->stopping = true;
	pthread_cond_broadcast(&x->work);
	pthread_mutex_unlock(&x->mu);
	for (int i = 0; i < x->nth; i++)
		pthread_join(x->th[i], NULL);
	errno = 0;
	if ((fflush(x->f) != 0 || ferror(x->f)) && rc == 0)
		rc = fail(x, XLSX_STREAM_FILE, errno ? errno : EIO);
	if (fclose(x->f) != 0 && rc == 0)
		rc = fail(x, XLSX_STREAM_FILE, errno ? errno : EIO);
	if (rc != 0 && !x->res.error) /* not expected: every failure names itself */
		fail(x, XLSX_STREAM_FILE, EIO);
	x->res.sheets = x->nsheets;
	if (res)
		*res = x->res;
	int err = rc ? x->res.err : 0;
	for (int i = 0; i < RING; i++) {
		free(x->ring[i].in);
		free(x->ring[i].out);
		free(x->ring[i].dict);
	}
	for (size_t i = 0; i < x->ncols; i++)
		free(x->headers[i]);
	free(x->headers);
	free(x->ent);
	free(x->cur);
	pthread_mutex_destroy(&x->mu);
	pthread_cond_destroy(&x->work);
	pthread_cond_destroy(&x->room);
	free(x);
	errno = err;
	return rc;
}

int xlsx_stream_close(struct xlsx_stream *x)
{
	return xlsx_stream_close_result(x, NULL);
}
