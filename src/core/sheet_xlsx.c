/* sheet_xlsx.c: .xlsx reading with libzip and expat (see sheet.h). Reads
 * xl/sharedStrings.xml into a table (rich-text runs joined, phonetic runs skipped),
 * finds the first worksheet through xl/workbook.xml and its relationships, then streams
 * that sheet through expat in chunks, handing each <row> to the callback. Cell types:
 * s (shared string), inlineStr, str (formula text), b, n and absent (numbers, dates as
 * serials: the caller converts with sheet_serial_date where a column holds dates). */
#include "core/sheet.h"
#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

struct buf {
	char *p;
	size_t len, cap;
};

static int buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t ncap = b->cap ? b->cap : 256;
		while (b->len + n + 1 > ncap)
			ncap *= 2;
		char *q = realloc(b->p, ncap);
		if (!q)
			return -1;
		b->p = q;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
	return 0;
}

/* local name of a possibly prefixed element ("x:row" → "row") */
static const char *local(const char *name)
{
	const char *c = strrchr(name, ':');
	return c ? c + 1 : name;
}

static const char *attr(const char **atts, const char *name)
{
	for (int i = 0; atts[i]; i += 2)
		if (strcmp(local(atts[i]), name) == 0)
			return atts[i + 1];
	return NULL;
}

/* Streams one zip entry through an expat parser. 0, or -1 with why. */
static int parse_entry(zip_t *z, const char *name, XML_Parser xp, bool *stop, char *why, size_t whylen)
{
	zip_file_t *f = zip_fopen(z, name, 0);
	if (!f) {
		snprintf(why, whylen, "文件缺少 %s，不是有效的 xlsx 工作簿", name);
		return -1;
	}
	char chunk[65536];
	size_t total = 0;
	int rc = 0;
	for (;;) {
		zip_int64_t n = zip_fread(f, chunk, sizeof chunk);
		if (n < 0) {
			snprintf(why, whylen, "xlsx 文件已损坏（解压失败）");
			rc = -1;
			break;
		}
		total += (size_t)n;
		if (total > SHEET_MAX_XML) {
			snprintf(why, whylen, "xlsx 文件内容过大");
			rc = -1;
			break;
		}
		if (XML_Parse(xp, chunk, (int)n, n == 0) == XML_STATUS_ERROR) {
			if (stop && *stop)
				break;
			snprintf(why, whylen, "xlsx 文件的 XML 无效（%s 第 %lu 行）", name,
				 (unsigned long)XML_GetCurrentLineNumber(xp));
			rc = -1;
			break;
		}
		if (n == 0 || (stop && *stop))
			break;
	}
	zip_fclose(f);
	return rc;
}

/* --- shared strings --- */
struct sst {
	char **s;
	size_t n, cap;
	struct buf cur;
	int in_si, in_t, in_rph;
	size_t bytes;
	bool failed;
};

static void sst_start(void *ud, const char *name, const char **atts)
{
	(void)atts;
	struct sst *t = ud;
	const char *l = local(name);
	if (strcmp(l, "si") == 0) {
		t->in_si = 1;
		t->cur.len = 0;
		if (t->cur.p)
			t->cur.p[0] = 0;
	} else if (strcmp(l, "rPh") == 0) {
		t->in_rph++;
	} else if (strcmp(l, "t") == 0 && t->in_si) {
		t->in_t = 1;
	}
}

static void sst_end(void *ud, const char *name)
{
	struct sst *t = ud;
	const char *l = local(name);
	if (strcmp(l, "t") == 0) {
		t->in_t = 0;
	} else if (strcmp(l, "rPh") == 0) {
		t->in_rph--;
	} else if (strcmp(l, "si") == 0) {
		t->in_si = 0;
		if (t->failed)
			return;
		/* every entry costs memory even when empty: bound their number and count
		 * their overhead, so a small file cannot expand into gigabytes */
		size_t len = t->cur.p ? strlen(t->cur.p) : 0;
		t->bytes += len + 1 + sizeof(char *) + 16;
		if (t->n >= SHEET_MAX_SST || t->bytes > SHEET_MAX_SST_BYTES) {
			t->failed = true;
			return;
		}
		if (t->n == t->cap) {
			size_t ncap = t->cap ? t->cap * 2 : 256;
			char **q = realloc(t->s, ncap * sizeof *q);
			if (!q) {
				t->failed = true;
				return;
			}
			t->s = q;
			t->cap = ncap;
		}
		t->s[t->n] = strdup(t->cur.p ? t->cur.p : "");
		if (!t->s[t->n])
			t->failed = true;
		else
			t->n++;
	}
}

static void sst_text(void *ud, const char *s, int len)
{
	struct sst *t = ud;
	if (!t->in_t || t->in_rph || t->failed)
		return;
	if (t->cur.len + (size_t)len > SHEET_MAX_CELL || buf_add(&t->cur, s, (size_t)len))
		t->failed = true;
}

static void sst_free(struct sst *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->s[i]);
	free(t->s);
	free(t->cur.p);
}

/* --- workbook: the first sheet's relationship id, then its target --- */
struct wb {
	char rid[128];
	char target[256];
	const char *want;
};

static void wb_start(void *ud, const char *name, const char **atts)
{
	struct wb *w = ud;
	const char *l = local(name);
	if (strcmp(l, "sheet") == 0 && !w->rid[0]) {
		const char *id = attr(atts, "id");
		if (id)
			snprintf(w->rid, sizeof w->rid, "%s", id);
	} else if (strcmp(l, "Relationship") == 0 && w->want && !w->target[0]) {
		const char *id = attr(atts, "Id"), *t = attr(atts, "Target");
		if (id && t && strcmp(id, w->want) == 0) {
			if (t[0] == '/')
				snprintf(w->target, sizeof w->target, "%s", t + 1);
			else
				snprintf(w->target, sizeof w->target, "xl/%s", t);
		}
	}
}

/* --- the sheet --- */
struct sh {
	struct sst *sst;
	sheet_row_fn fn;
	void *ctx;
	XML_Parser xp;
	long rowno, lastrow;
	int col, nextcol;
	char type[16];
	int in_v, in_t, in_is, in_rph;
	struct buf val;
	struct buf cells[SHEET_MAX_COLS];
	size_t ncells;
	int rc;
	bool stop;
	char *why;
	size_t whylen;
};

static int col_of_ref(const char *r)
{
	int c = 0;
	for (; *r >= 'A' && *r <= 'Z'; r++) {
		c = c * 26 + (*r - 'A' + 1);
		if (c > 16384)
			return -1;
	}
	return c - 1;
}

static void sh_fail(struct sh *s, int rc)
{
	s->rc = rc;
	s->stop = true;
	XML_StopParser(s->xp, XML_FALSE);
}

static void sh_start(void *ud, const char *name, const char **atts)
{
	struct sh *s = ud;
	if (s->stop)
		return;
	const char *l = local(name);
	if (strcmp(l, "row") == 0) {
		const char *r = attr(atts, "r");
		long n = r ? strtol(r, NULL, 10) : s->lastrow + 1;
		if (n <= s->lastrow || n > SHEET_MAX_ROWS) {
			snprintf(s->why, s->whylen, "xlsx 行号无效或超过 %d 行", SHEET_MAX_ROWS);
			sh_fail(s, -1);
			return;
		}
		s->rowno = n;
		s->ncells = 0;
		s->nextcol = 0;
		for (size_t i = 0; i < SHEET_MAX_COLS; i++)
			s->cells[i].len = 0;
	} else if (strcmp(l, "c") == 0) {
		const char *r = attr(atts, "r"), *t = attr(atts, "t");
		s->col = r ? col_of_ref(r) : s->nextcol;
		s->nextcol = s->col + 1;
		snprintf(s->type, sizeof s->type, "%s", t ? t : "n");
		s->val.len = 0;
		if (s->val.p)
			s->val.p[0] = 0;
	} else if (strcmp(l, "v") == 0) {
		s->in_v = 1;
	} else if (strcmp(l, "is") == 0) {
		s->in_is = 1;
	} else if (strcmp(l, "rPh") == 0) {
		s->in_rph++;
	} else if (strcmp(l, "t") == 0 && s->in_is) {
		s->in_t = 1;
	}
}

static void sh_end(void *ud, const char *name)
{
	struct sh *s = ud;
	if (s->stop)
		return;
	const char *l = local(name);
	if (strcmp(l, "v") == 0) {
		s->in_v = 0;
	} else if (strcmp(l, "t") == 0) {
		s->in_t = 0;
	} else if (strcmp(l, "is") == 0) {
		s->in_is = 0;
	} else if (strcmp(l, "rPh") == 0) {
		s->in_rph--;
	} else if (strcmp(l, "c") == 0) {
		if (s->col < 0 || s->col >= SHEET_MAX_COLS)
			return; /* columns beyond the template's are ignored */
		const char *text = s->val.p ? s->val.p : "";
		if (strcmp(s->type, "s") == 0) {
			char *end;
			long k = strtol(text, &end, 10);
			if (end == text || k < 0 || (size_t)k >= s->sst->n) {
				snprintf(s->why, s->whylen, "第 %ld 行：共享字符串索引无效", s->rowno);
				sh_fail(s, -1);
				return;
			}
			text = s->sst->s[k];
		} else if (strcmp(s->type, "b") == 0) {
			text = strcmp(text, "1") == 0 ? "TRUE" : "FALSE";
		} else if (strcmp(s->type, "e") == 0) {
			text = "";
		}
		struct buf *b = &s->cells[s->col];
		b->len = 0;
		if (buf_add(b, text, strlen(text))) {
			sh_fail(s, -1);
			return;
		}
		if ((size_t)s->col + 1 > s->ncells)
			s->ncells = (size_t)s->col + 1;
	} else if (strcmp(l, "row") == 0) {
		s->lastrow = s->rowno;
		if (s->ncells == 0)
			return;
		const char *cells[SHEET_MAX_COLS];
		for (size_t i = 0; i < s->ncells; i++)
			cells[i] = s->cells[i].len && s->cells[i].p ? s->cells[i].p : "";
		int rc = s->fn(s->ctx, s->rowno, cells, s->ncells);
		if (rc)
			sh_fail(s, rc);
	}
}

static void sh_text(void *ud, const char *t, int len)
{
	struct sh *s = ud;
	if (s->stop || s->in_rph || !(s->in_v || (s->in_is && s->in_t)))
		return;
	if (s->val.len + (size_t)len > SHEET_MAX_CELL) {
		snprintf(s->why, s->whylen, "第 %ld 行：单元格内容过长", s->rowno);
		sh_fail(s, -1);
		return;
	}
	if (buf_add(&s->val, t, (size_t)len))
		sh_fail(s, -1);
}

int sheet_xlsx(const void *data, size_t len, sheet_row_fn fn, void *ctx, char *why, size_t whylen)
{
	zip_error_t ze;
	zip_error_init(&ze);
	zip_source_t *src = zip_source_buffer_create(data, len, 0, &ze);
	zip_t *z = src ? zip_open_from_source(src, ZIP_RDONLY, &ze) : NULL;
	zip_error_fini(&ze);
	if (!z) {
		if (src)
			zip_source_free(src);
		snprintf(why, whylen, "不是有效的 xlsx 文件");
		return -1;
	}
	int rc = -1;
	struct sst sst = {0};
	struct sh sh = {0};
	/* shared strings are optional (a sheet of numbers or inline strings has none) */
	if (zip_name_locate(z, "xl/sharedStrings.xml", 0) >= 0) {
		XML_Parser xp = XML_ParserCreate("UTF-8");
		XML_SetUserData(xp, &sst);
		XML_SetElementHandler(xp, sst_start, sst_end);
		XML_SetCharacterDataHandler(xp, sst_text);
		int r = parse_entry(z, "xl/sharedStrings.xml", xp, NULL, why, whylen);
		XML_ParserFree(xp);
		if (r || sst.failed) {
			if (!r)
				snprintf(why, whylen, "xlsx 共享字符串过大或无效");
			goto out;
		}
	}
	struct wb wb = {0};
	const char *sheet = "xl/worksheets/sheet1.xml";
	if (zip_name_locate(z, "xl/workbook.xml", 0) >= 0) {
		XML_Parser xp = XML_ParserCreate("UTF-8");
		XML_SetUserData(xp, &wb);
		XML_SetElementHandler(xp, wb_start, NULL);
		int r = parse_entry(z, "xl/workbook.xml", xp, NULL, why, whylen);
		XML_ParserFree(xp);
		if (r)
			goto out;
		if (wb.rid[0] && zip_name_locate(z, "xl/_rels/workbook.xml.rels", 0) >= 0) {
			wb.want = wb.rid;
			xp = XML_ParserCreate("UTF-8");
			XML_SetUserData(xp, &wb);
			XML_SetElementHandler(xp, wb_start, NULL);
			r = parse_entry(z, "xl/_rels/workbook.xml.rels", xp, NULL, why, whylen);
			XML_ParserFree(xp);
			if (r)
				goto out;
			if (wb.target[0] && zip_name_locate(z, wb.target, 0) >= 0)
				sheet = wb.target;
		}
	}
	sh.sst = &sst;
	sh.fn = fn;
	sh.ctx = ctx;
	sh.why = why;
	sh.whylen = whylen;
	sh.xp = XML_ParserCreate("UTF-8");
	XML_SetUserData(sh.xp, &sh);
	XML_SetElementHandler(sh.xp, sh_start, sh_end);
	XML_SetCharacterDataHandler(sh.xp, sh_text);
	int r = parse_entry(z, sheet, sh.xp, &sh.stop, why, whylen);
	XML_ParserFree(sh.xp);
	rc = sh.stop ? sh.rc : r;
	free(sh.val.p);
	for (size_t i = 0; i < SHEET_MAX_COLS; i++)
		free(sh.cells[i].p);
out:
	sst_free(&sst);
	zip_discard(z);
	return rc;
}

bool sheet_serial_date(const char *text, struct date *out)
{
	if (!text || !*text)
		return false;
	char *end;
	double v = strtod(text, &end);
	if (end == text || *end || v < 1 || v > 109574) /* 109574 = 2199-12-31 */
		return false;
	long serial = (long)v;
	if (serial == 60)
		return false; /* Excel's fictitious 1900-02-29 */
	if (serial > 60)
		serial--;
	/* serial 1 = 1900-01-01 */
	struct date base = {1900, 1, 1};
	*out = date_from_days(date_to_days(base) + serial - 1);
	return true;
}
