/* sheet_xlsx.c: .xlsx reading with libzip and expat (see sheet.h). Reads
 * xl/sharedStrings.xml into a table (rich-text runs joined, phonetic runs skipped),
 * finds the first worksheet through xl/workbook.xml and its relationships, then streams
 * that sheet through expat in chunks, handing each <row> to the callback. Cell types:
 * s (shared string), inlineStr, str (formula text), b, n and absent (numbers, dates as
 * serials: the caller converts with sheet_serial_date where a column holds dates). */
#include "core/sheet.h"
#include "core/clock.h"
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

/* What reading every part shares: the limits and the deadline (clock_mono_ms, 0: none). */
struct reader {
	const struct sheet_limits *lim;
	double deadline;
};

/* The first member of every expat handler's user data: the parser, the nesting, and
 * the refusal of what no workbook needs (a DOCTYPE, whose entities could expand a
 * few bytes into gigabytes; nesting past SHEET_MAX_DEPTH). */
struct xguard {
	XML_Parser xp; /* NULL while the fast scanner reads (it gives up on both itself) */
	int depth;
	bool refused;
	char *why;
	size_t whylen;
};

static void guard_refuse(struct xguard *g, const char *reason)
{
	if (!g->refused && g->why)
		snprintf(g->why, g->whylen, "%s", reason);
	g->refused = true;
	if (g->xp)
		XML_StopParser(g->xp, XML_FALSE);
}

/* On each start tag: false (and the parse stopped) when nesting is too deep. */
static bool guard_enter(struct xguard *g)
{
	if (g->refused)
		return false;
	if (++g->depth > SHEET_MAX_DEPTH) {
		guard_refuse(g, "xlsx 文件的 XML 嵌套过深，不是有效的工作簿");
		return false;
	}
	return true;
}

static void guard_doctype(void *ud, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
			  int has_internal_subset)
{
	(void)name, (void)sysid, (void)pubid, (void)has_internal_subset;
	guard_refuse(ud, "xlsx 文件含有 DOCTYPE 声明，不是有效的工作簿");
}

/* An expat parser for a part, its user data starting with g. Free with XML_ParserFree. */
static XML_Parser guarded_parser(struct xguard *g, XML_StartElementHandler start, XML_EndElementHandler end,
				 XML_CharacterDataHandler text)
{
	XML_Parser xp = XML_ParserCreate("UTF-8");
	if (!xp)
		return NULL;
	g->xp = xp;
	g->depth = 0;
	XML_SetUserData(xp, g);
	XML_SetElementHandler(xp, start, end);
	if (text)
		XML_SetCharacterDataHandler(xp, text);
	XML_SetStartDoctypeDeclHandler(xp, guard_doctype);
	return xp;
}

/* The reading took too long: why set. */
static bool past_deadline(const struct reader *rd, char *why, size_t whylen)
{
	if (!rd->deadline || clock_mono_ms() <= rd->deadline)
		return false;
	snprintf(why, whylen, "xlsx 文件读取超时，请分批导入");
	return true;
}

static bool too_large(const struct reader *rd, size_t total, char *why, size_t whylen)
{
	if (total <= rd->lim->max_part_bytes)
		return false;
	snprintf(why, whylen, "xlsx 文件解压后过大（超过 %zu MiB），不是正常的党员名册", rd->lim->max_part_bytes >> 20);
	return true;
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

/* Streams one zip entry through an expat parser whose user data starts with g. 0, or
 * -1 with why. */
static int parse_entry(const struct reader *rd, zip_t *z, const char *name, struct xguard *g, bool *stop, char *why,
		       size_t whylen)
{
	XML_Parser xp = g->xp;
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
		if (too_large(rd, total, why, whylen) || past_deadline(rd, why, whylen)) {
			rc = -1;
			break;
		}
		if (XML_Parse(xp, chunk, (int)n, n == 0) == XML_STATUS_ERROR) {
			if (g->refused) {
				rc = -1;
				break;
			}
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


/* --- a fast reader for the XML that spreadsheet programs write ---
 * expat reads ~90 MB/s on this kind of machine, and the sheet of a 1M-row workbook is
 * ~1.1 GiB of XML: 12 s of a 20 s budget. This scanner reads a strict subset of XML
 * (an XML declaration in its usual form, elements with ASCII names, attributes, text,
 * the five predefined entities and character references, UTF-8 and characters checked
 * as expat checks them) and calls the same handlers with the same events. Anything
 * outside that subset — comments, CDATA, processing instructions, a DOCTYPE, carriage
 * returns, names outside ASCII — and anything malformed makes it give up; the entry is
 * then read again from its start by expat, with the rows delivered already skipped, so
 * the outcome, errors included, is always expat's. */
#define FAST_CHUNK (1u << 20)
#define FAST_MAX_BUF (4u << 20) /* a token or text run longer than this: expat reads it */
#define FAST_DEPTH 32
#define FAST_NAME 64
#define FAST_ATTS 16
enum { FAST_OK = 0, FAST_ERROR = -1, FAST_GIVE_UP = 1, FAST_MORE = 2 };

struct fast {
	XML_StartElementHandler start;
	XML_EndElementHandler end;
	XML_CharacterDataHandler text;
	void *ud;
	const bool *stop;
	char *buf;
	size_t cap, len, pos;
	bool eof, started, done; /* root element seen / closed */
	bool at_start;           /* nothing read yet: an XML declaration may come */
	int depth;
	char names[FAST_DEPTH][FAST_NAME];
	size_t namelen[FAST_DEPTH];
};

static bool name_start(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == ':';
}

static bool name_char(unsigned char c)
{
	return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

static bool xml_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Writes code point c as UTF-8 at w; bytes written, 0 when c is not an XML Char. */
static size_t put_char(char *w, unsigned long c)
{
	if (!(c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) ||
	      (c >= 0x10000 && c <= 0x10FFFF)))
		return 0;
	if (c < 0x80) {
		w[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		w[0] = (char)(0xC0 | (c >> 6));
		w[1] = (char)(0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000) {
		w[0] = (char)(0xE0 | (c >> 12));
		w[1] = (char)(0x80 | ((c >> 6) & 0x3F));
		w[2] = (char)(0x80 | (c & 0x3F));
		return 3;
	}
	w[0] = (char)(0xF0 | (c >> 18));
	w[1] = (char)(0x80 | ((c >> 12) & 0x3F));
	w[2] = (char)(0x80 | ((c >> 6) & 0x3F));
	w[3] = (char)(0x80 | (c & 0x3F));
	return 4;
}

/* Length of the valid UTF-8 sequence for an XML Char at p (< end), or 0. */
static size_t utf8_char(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0];
	size_t n;
	unsigned long v;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2, v = c & 0x1F;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3, v = c & 0x0F;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4, v = c & 0x07;
	else
		return 0;
	if ((size_t)(end - p) < n)
		return 0;
	for (size_t k = 1; k < n; k++) {
		if ((p[k] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (p[k] & 0x3F);
	}
	if ((n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 || v > 0x10FFFF)) || (v >= 0xD800 && v <= 0xDFFF) ||
	    v == 0xFFFE || v == 0xFFFF)
		return 0;
	return n;
}

/* Decodes [p, end) in place (entities, character references), checking every
 * character; in an attribute value '<' and tab/newline/CR (which expat would
 * normalize) give up, in text CR and "]]>" do. The decoded length, or -1. */
static long decode(char *p, char *end, bool attr_value)
{
	char *w = p;
	for (char *r = p; r < end;) {
		unsigned char c = (unsigned char)*r;
		if (c == '&') {
			char *semi = memchr(r, ';', (size_t)(end - r) < 12 ? (size_t)(end - r) : 12);
			if (!semi)
				return -1;
			size_t n = (size_t)(semi - r - 1);
			const char *e = r + 1;
			char ch = 0;
			if (n == 2 && memcmp(e, "lt", 2) == 0)
				ch = '<';
			else if (n == 2 && memcmp(e, "gt", 2) == 0)
				ch = '>';
			else if (n == 3 && memcmp(e, "amp", 3) == 0)
				ch = '&';
			else if (n == 4 && memcmp(e, "quot", 4) == 0)
				ch = '"';
			else if (n == 4 && memcmp(e, "apos", 4) == 0)
				ch = '\'';
			if (ch) {
				*w++ = ch;
			} else if (n >= 2 && e[0] == '#') {
				unsigned long v = 0;
				bool hex = e[1] == 'x';
				size_t k = hex ? 2 : 1;
				if (k >= n)
					return -1;
				for (; k < n; k++) {
					unsigned char d = (unsigned char)e[k];
					int dv = d >= '0' && d <= '9' ? d - '0'
						 : hex && d >= 'a' && d <= 'f' ? d - 'a' + 10
						 : hex && d >= 'A' && d <= 'F' ? d - 'A' + 10
									       : -1;
					if (dv < 0 || v > 0x10FFFF)
						return -1;
					v = v * (hex ? 16 : 10) + (unsigned long)dv;
				}
				size_t m = put_char(w, v);
				if (!m)
					return -1;
				w += m;
			} else {
				return -1;
			}
			r = semi + 1;
		} else if (c >= 0x80) {
			size_t m = utf8_char((const unsigned char *)r, (const unsigned char *)end);
			if (!m)
				return -1;
			memmove(w, r, m);
			w += m, r += m;
		} else if (c < 0x20 && (attr_value || (c != '\t' && c != '\n'))) {
			return -1;
		} else if (attr_value && c == '<') {
			return -1;
		} else if (!attr_value && c == ']' && end - r >= 3 && r[1] == ']' && r[2] == '>') {
			return -1;
		} else {
			*w++ = (char)c;
			r++;
		}
	}
	return w - p;
}

/* One markup token at f->pos ('<'): FAST_OK (consumed), FAST_MORE, FAST_GIVE_UP. Long
 * on purpose: it runs ~50M times for a 1M-row sheet and reads as one state machine
 * (end tag, declaration, start tag with its attributes). */
static int fast_tag(struct fast *f)
{
	char *p = f->buf + f->pos, *end = f->buf + f->len;
	if (end - p < 2)
		return FAST_MORE;
	if (p[1] == '/') { /* an end tag */
		char *q = p + 2;
		while (q < end && name_char((unsigned char)*q))
			q++;
		size_t n = (size_t)(q - p - 2);
		while (q < end && xml_space((unsigned char)*q))
			q++;
		if (q >= end)
			return FAST_MORE;
		if (*q != '>' || f->depth == 0 || n != f->namelen[f->depth - 1] ||
		    memcmp(p + 2, f->names[f->depth - 1], n) != 0)
			return FAST_GIVE_UP;
		f->pos = (size_t)(q + 1 - f->buf);
		f->depth--;
		if (f->depth == 0)
			f->done = true;
		if (f->end)
			f->end(f->ud, f->names[f->depth]);
		return FAST_OK;
	}
	if (p[1] == '?' && f->at_start) { /* the XML declaration, as it is written */
		static const char *const decls[] = {
			"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>",
			"<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
			"<?xml version=\"1.0\" encoding=\"utf-8\"?>",
			"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>",
			"<?xml version=\"1.0\"?>",
		};
		for (size_t i = 0; i < sizeof decls / sizeof decls[0]; i++) {
			size_t n = strlen(decls[i]);
			if ((size_t)(end - p) < n)
				return f->eof ? FAST_GIVE_UP : FAST_MORE;
			if (memcmp(p, decls[i], n) == 0) {
				f->pos += n;
				f->at_start = false;
				return FAST_OK;
			}
		}
		return FAST_GIVE_UP;
	}
	if (!name_start((unsigned char)p[1]) || f->done || f->depth == FAST_DEPTH)
		return FAST_GIVE_UP;
	/* a start tag: find its end first (a '>' inside a quoted value is allowed) */
	char *q = p + 1;
	char quote = 0;
	for (; q < end; q++) {
		if (quote) {
			if (*q == quote)
				quote = 0;
		} else if (*q == '"' || *q == '\'') {
			quote = *q;
		} else if (*q == '>') {
			break;
		}
	}
	if (q >= end)
		return FAST_MORE;
	char *gt = q;
	bool empty = gt[-1] == '/';
	char *tag_end = empty ? gt - 1 : gt;
	q = p + 1;
	while (q < tag_end && name_char((unsigned char)*q))
		q++;
	size_t n = (size_t)(q - p - 1);
	if (n >= FAST_NAME)
		return FAST_GIVE_UP;
	memcpy(f->names[f->depth], p + 1, n);
	f->names[f->depth][n] = 0;
	f->namelen[f->depth] = n;
	const char *atts[2 * FAST_ATTS + 1];
	size_t attlen[FAST_ATTS];
	size_t na = 0;
	for (;;) {
		char *ws = q;
		while (q < tag_end && xml_space((unsigned char)*q))
			q++;
		if (q == tag_end)
			break;
		if (q == ws || !name_start((unsigned char)*q) || na == FAST_ATTS)
			return FAST_GIVE_UP;
		char *an = q;
		while (q < tag_end && name_char((unsigned char)*q))
			q++;
		char *an_end = q;
		while (q < tag_end && xml_space((unsigned char)*q))
			q++;
		if (q == tag_end || *q != '=')
			return FAST_GIVE_UP;
		q++;
		while (q < tag_end && xml_space((unsigned char)*q))
			q++;
		if (q == tag_end || (*q != '"' && *q != '\''))
			return FAST_GIVE_UP;
		char qc = *q++;
		char *v = q, *ve = memchr(v, qc, (size_t)(tag_end - v));
		if (!ve)
			return FAST_GIVE_UP;
		long vl = decode(v, ve, true);
		if (vl < 0)
			return FAST_GIVE_UP;
		size_t anl = (size_t)(an_end - an);
		for (size_t i = 0; i < na; i++)
			if (attlen[i] == anl && memcmp(atts[2 * i], an, anl) == 0)
				return FAST_GIVE_UP; /* a duplicate attribute */
		*an_end = 0; /* the '=' or a space, read already */
		v[vl] = 0;   /* at most the closing quote */
		attlen[na] = anl;
		atts[2 * na] = an;
		atts[2 * na + 1] = v;
		na++;
		q = ve + 1;
	}
	atts[2 * na] = NULL;
	f->pos = (size_t)(gt + 1 - f->buf);
	f->started = true;
	f->at_start = false;
	if (empty) {
		if (f->depth == 0)
			f->done = true;
		f->start(f->ud, f->names[f->depth], atts);
		if (!*f->stop && f->end)
			f->end(f->ud, f->names[f->depth]);
	} else {
		f->depth++;
		f->start(f->ud, f->names[f->depth - 1], atts);
	}
	return FAST_OK;
}

/* Text at f->pos up to the next '<': FAST_OK, FAST_MORE, FAST_GIVE_UP. */
static int fast_text(struct fast *f)
{
	char *p = f->buf + f->pos, *end = f->buf + f->len;
	char *lt = memchr(p, '<', (size_t)(end - p));
	if (!lt) {
		if (!f->eof)
			return FAST_MORE;
		lt = end;
	}
	if (f->depth == 0) { /* outside the root: only white space, not reported */
		for (char *q = p; q < lt; q++)
			if (!xml_space((unsigned char)*q))
				return FAST_GIVE_UP;
		if (lt > p)
			f->at_start = false;
	} else {
		long n = decode(p, lt, false);
		if (n < 0)
			return FAST_GIVE_UP;
		if (n > 0 && f->text)
			f->text(f->ud, p, (int)n);
	}
	f->pos = (size_t)(lt - f->buf);
	return FAST_OK;
}

/* Reads one zip entry with the scanner. FAST_OK, FAST_ERROR (why set) or FAST_GIVE_UP. */
bool sheet_xlsx_expat_only;

static int fast_entry(const struct reader *rd, zip_t *z, const char *name, struct fast *f, char *why, size_t whylen)
{
	if (sheet_xlsx_expat_only)
		return FAST_GIVE_UP;
	zip_file_t *zf = zip_fopen(z, name, 0);
	if (!zf)
		return FAST_GIVE_UP;
	f->cap = FAST_CHUNK;
	f->at_start = true;
	f->buf = malloc(f->cap + 1);
	int rc = f->buf ? FAST_OK : FAST_GIVE_UP;
	size_t total = 0;
	while (rc == FAST_OK) {
		/* make room and read */
		if (f->pos > 0) {
			memmove(f->buf, f->buf + f->pos, f->len - f->pos);
			f->len -= f->pos;
			f->pos = 0;
		}
		if (f->len == f->cap) {
			char *nb = f->cap < FAST_MAX_BUF ? realloc(f->buf, f->cap * 2 + 1) : NULL;
			if (!nb) {
				rc = FAST_GIVE_UP;
				break;
			}
			f->buf = nb;
			f->cap *= 2;
		}
		if (!f->eof) {
			zip_int64_t n = zip_fread(zf, f->buf + f->len, f->cap - f->len);
			if (n < 0) {
				rc = FAST_GIVE_UP; /* expat reports it where it would have */
				break;
			}
			total += (size_t)n;
			if (too_large(rd, total, why, whylen) || past_deadline(rd, why, whylen)) {
				rc = FAST_ERROR;
				break;
			}
			f->len += (size_t)n;
			f->eof = n == 0;
		}
		if (f->at_start && f->len >= 3 && memcmp(f->buf, "\xEF\xBB\xBF", 3) == 0) {
			rc = FAST_GIVE_UP; /* a byte order mark */
			break;
		}
		/* tokens, until one needs more bytes */
		int t = FAST_OK;
		while (f->pos < f->len && t == FAST_OK && !*f->stop)
			t = f->buf[f->pos] == '<' ? fast_tag(f) : fast_text(f);
		if (*f->stop)
			break;
		if (t == FAST_GIVE_UP)
			rc = FAST_GIVE_UP;
		else if (f->eof && (t == FAST_MORE || f->pos < f->len))
			rc = FAST_GIVE_UP; /* truncated */
		else if (f->eof)
			break;
	}
	if (rc == FAST_OK && !*f->stop && (!f->done || f->depth != 0))
		rc = FAST_GIVE_UP; /* no root element, or not closed */
	zip_fclose(zf);
	free(f->buf);
	f->buf = NULL;
	return rc;
}

/* --- shared strings --- */
struct sst {
	struct xguard g;
	const struct sheet_limits *lim;
	struct buf text; /* every string, each ended by a NUL */
	uint32_t *off;   /* string k at text.p + off[k] */
	size_t n, cap;
	struct buf cur;
	size_t cur_units; /* UTF-16 code units of cur (Excel's characters), once over SHEET_MAX_CELL bytes */
	int in_si, in_t, in_rph;
	bool failed, too_long;
};

static const char *sst_get(const struct sst *t, size_t k)
{
	return t->text.p + t->off[k];
}

static void sst_start(void *ud, const char *name, const char **atts)
{
	(void)atts;
	struct sst *t = ud;
	if (!guard_enter(&t->g)) {
		t->failed = true;
		return;
	}
	const char *l = local(name);
	if (strcmp(l, "si") == 0) {
		t->in_si = 1;
		t->cur.len = 0;
		t->cur_units = 0;
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
	t->g.depth--;
	const char *l = local(name);
	if (strcmp(l, "t") == 0) {
		t->in_t = 0;
	} else if (strcmp(l, "rPh") == 0) {
		t->in_rph--;
	} else if (strcmp(l, "si") == 0) {
		t->in_si = 0;
		if (t->failed)
			return;
		/* one buffer and a 4-byte index: an empty string costs 5 bytes, and the whole
		 * table is bounded (the part itself inflates to a bounded size) */
		size_t len = t->cur.p ? t->cur.len : 0;
		if (t->n >= t->lim->max_sst || t->text.len + len + 1 + (t->n + 1) * sizeof *t->off > t->lim->max_sst_bytes) {
			t->failed = true;
			return;
		}
		if (t->n == t->cap) {
			size_t ncap = t->cap ? t->cap * 2 : 256;
			uint32_t *q = realloc(t->off, ncap * sizeof *q);
			if (!q) {
				t->failed = true;
				return;
			}
			t->off = q;
			t->cap = ncap;
		}
		t->off[t->n] = (uint32_t)t->text.len;
		if (buf_add(&t->text, t->cur.p ? t->cur.p : "", len)) {
			t->failed = true;
		} else {
			t->text.len++; /* keep the NUL buf_add wrote */
			t->n++;
		}
	}
}

static void sst_text(void *ud, const char *s, int len)
{
	struct sst *t = ud;
	if (!t->in_t || t->in_rph || t->failed)
		return;
	size_t before = t->cur.len;
	if (before + (size_t)len > SHEET_MAX_CELL) { /* bytes ≥ units: counted only past this */
		if (before <= SHEET_MAX_CELL)
			t->cur_units = sheet_utf16_len(t->cur.p, before);
		t->cur_units += sheet_utf16_len(s, (size_t)len);
		if (t->cur_units > SHEET_MAX_CELL || before + (size_t)len > SHEET_MAX_CELL_BYTES) {
			t->failed = t->too_long = true;
			return;
		}
	}
	if (buf_add(&t->cur, s, (size_t)len))
		t->failed = true;
}

static void sst_free(struct sst *t)
{
	free(t->text.p);
	free(t->off);
	free(t->cur.p);
}

/* --- workbook: the first sheet's relationship id, then its target --- */
struct wb {
	struct xguard g;
	/* the visible sheets, in the workbook's order: relationship id, name, part */
	char rid[SHEET_MAX_SHEETS][128];
	char name[SHEET_MAX_SHEETS][128];
	char target[SHEET_MAX_SHEETS][256];
	int n;
	bool rels;
};

static void wb_start(void *ud, const char *name, const char **atts)
{
	struct wb *w = ud;
	if (!guard_enter(&w->g))
		return;
	const char *l = local(name);
	if (strcmp(l, "sheet") == 0 && w->n < SHEET_MAX_SHEETS) {
		const char *id = attr(atts, "id"), *nm = attr(atts, "name"), *st = attr(atts, "state");
		if (id && !(st && (strcmp(st, "hidden") == 0 || strcmp(st, "veryHidden") == 0))) {
			snprintf(w->rid[w->n], sizeof w->rid[0], "%s", id);
			snprintf(w->name[w->n], sizeof w->name[0], "%s", nm ? nm : "");
			w->n++;
		}
	} else if (strcmp(l, "Relationship") == 0 && w->rels) {
		const char *id = attr(atts, "Id"), *t = attr(atts, "Target");
		for (int i = 0; id && t && i < w->n; i++)
			if (!w->target[i][0] && strcmp(id, w->rid[i]) == 0) {
				if (t[0] == '/')
					snprintf(w->target[i], sizeof w->target[0], "%s", t + 1);
				else
					snprintf(w->target[i], sizeof w->target[0], "xl/%s", t);
			}
	}
}

static void wb_end(void *ud, const char *name)
{
	(void)name;
	((struct wb *)ud)->g.depth--;
}

/* --- the sheet --- */
struct sh {
	struct xguard g;
	const struct sheet_limits *lim;
	size_t row_cells; /* <c> elements in the current row */
	struct sst *sst;
	sheet_row_fn fn;
	void *ctx;
	XML_Parser xp;
	long rowno, lastrow;
	int col, nextcol;
	char type[16];
	int in_v, in_t, in_is, in_rph;
	struct buf val;
	size_t val_units; /* UTF-16 code units of val (Excel's characters), once over SHEET_MAX_CELL bytes */
	struct buf cells[SHEET_MAX_COLS];
	size_t ncells;
	int rc;
	bool stop;
	long skip_upto; /* rows delivered already by the scanner, when expat reads again */
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

/* Column c (0-based) as letters, "A" … "XFD", into out[8]; "" when out of range. */
static void col_name(int c, char out[8])
{
	char tmp[8];
	int n = 0;
	if (c < 0 || c >= 16384) {
		out[0] = 0;
		return;
	}
	for (c++; c > 0 && n < 7; c = (c - 1) / 26)
		tmp[n++] = (char)('A' + (c - 1) % 26);
	for (int i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = 0;
}

static void sh_fail(struct sh *s, int rc)
{
	s->rc = rc;
	s->stop = true;
	if (s->xp)
		XML_StopParser(s->xp, XML_FALSE);
}

/* The sheet's elements the reader acts on, by local name: a switch instead of a chain
 * of strcmp calls, for the ~50M elements of a 1M-row sheet. */
enum sheet_el { EL_OTHER, EL_ROW, EL_C, EL_V, EL_IS, EL_T, EL_RPH };

static enum sheet_el sheet_el(const char *name)
{
	const char *l = local(name);
	switch (l[0]) {
	case 'c':
		return l[1] == 0 ? EL_C : EL_OTHER;
	case 'v':
		return l[1] == 0 ? EL_V : EL_OTHER;
	case 't':
		return l[1] == 0 ? EL_T : EL_OTHER;
	case 'i':
		return l[1] == 's' && l[2] == 0 ? EL_IS : EL_OTHER;
	case 'r':
		return strcmp(l, "row") == 0 ? EL_ROW : strcmp(l, "rPh") == 0 ? EL_RPH : EL_OTHER;
	default:
		return EL_OTHER;
	}
}

static void sh_start(void *ud, const char *name, const char **atts)
{
	struct sh *s = ud;
	if (s->stop)
		return;
	if (!guard_enter(&s->g)) {
		s->rc = -1;
		s->stop = true;
		return;
	}
	enum sheet_el el = sheet_el(name);
	if (el == EL_ROW) {
		const char *r = attr(atts, "r");
		long n = r ? strtol(r, NULL, 10) : s->lastrow + 1;
		if (n <= s->lastrow || n > SHEET_MAX_ROWS) {
			snprintf(s->why, s->whylen, "xlsx 行号无效或超过 %d 行", SHEET_MAX_ROWS);
			sh_fail(s, -1);
			return;
		}
		s->rowno = n;
		s->ncells = 0;
		s->row_cells = 0;
		s->nextcol = 0;
		for (size_t i = 0; i < SHEET_MAX_COLS; i++)
			s->cells[i].len = 0;
	} else if (el == EL_C) {
		const char *r = NULL, *t = NULL; /* attr(atts, "r") and attr(atts, "t") in one pass */
		for (int i = 0; atts[i]; i += 2) {
			const char *l = local(atts[i]);
			if (l[0] == 'r' && !l[1] && !r)
				r = atts[i + 1];
			else if (l[0] == 't' && !l[1] && !t)
				t = atts[i + 1];
		}
		if (++s->row_cells > s->lim->max_cells_row) {
			snprintf(s->why, s->whylen, "第 %ld 行的单元格过多（超过 %zu 个），不是正常的党员名册", s->rowno,
				 s->lim->max_cells_row);
			sh_fail(s, -1);
			return;
		}
		s->col = r ? col_of_ref(r) : s->nextcol;
		s->nextcol = s->col + 1;
		t = t ? t : "n";
		size_t tl = strnlen(t, sizeof s->type - 1); /* truncated like the snprintf it replaces */
		memcpy(s->type, t, tl);
		s->type[tl] = 0;
		s->val.len = 0;
		s->val_units = 0;
		if (s->val.p)
			s->val.p[0] = 0;
	} else if (el == EL_V) {
		s->in_v = 1;
	} else if (el == EL_IS) {
		s->in_is = 1;
	} else if (el == EL_RPH) {
		s->in_rph++;
	} else if (el == EL_T && s->in_is) {
		s->in_t = 1;
	}
}

static void sh_end(void *ud, const char *name)
{
	struct sh *s = ud;
	s->g.depth--;
	if (s->stop)
		return;
	enum sheet_el el = sheet_el(name);
	if (el == EL_V) {
		s->in_v = 0;
	} else if (el == EL_T) {
		s->in_t = 0;
	} else if (el == EL_IS) {
		s->in_is = 0;
	} else if (el == EL_RPH) {
		s->in_rph--;
	} else if (el == EL_C) {
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
			text = sst_get(s->sst, (size_t)k);
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
	} else if (el == EL_ROW) {
		s->lastrow = s->rowno;
		if (s->ncells == 0 || s->rowno <= s->skip_upto)
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
	size_t before = s->val.len;
	if (before + (size_t)len > SHEET_MAX_CELL) { /* bytes ≥ units: counted only past this */
		if (before <= SHEET_MAX_CELL)
			s->val_units = sheet_utf16_len(s->val.p, before);
		s->val_units += sheet_utf16_len(t, (size_t)len);
	}
	if (s->val_units > SHEET_MAX_CELL || before + (size_t)len > SHEET_MAX_CELL_BYTES) {
		char col[8] = "";
		col_name(s->col, col);
		if (*col)
			snprintf(s->why, s->whylen, "第 %ld 行 %s 列：单元格内容过长（超过 Excel 单元格的 32,767 个字符上限）",
				 s->rowno, col);
		else
			snprintf(s->why, s->whylen, "第 %ld 行：单元格内容过长（超过 Excel 单元格的 32,767 个字符上限）", s->rowno);
		sh_fail(s, -1);
		return;
	}
	if (buf_add(&s->val, t, (size_t)len))
		sh_fail(s, -1);
}

struct sheet_limits sheet_limits_for(size_t len, size_t ratio, size_t max_part)
{
	size_t part = len > (SIZE_MAX - ((size_t)1 << 20)) / (ratio ? ratio : 1) ? max_part : len * ratio + ((size_t)1 << 20);
	return (struct sheet_limits){
		.max_part_bytes = part < max_part ? part : max_part,
		.max_sst = SHEET_MAX_SST,
		.max_sst_bytes = SHEET_MAX_SST_BYTES,
		.max_cells_row = SHEET_MAX_CELLS_ROW,
	};
}

int sheet_xlsx(const void *data, size_t len, sheet_row_fn fn, void *ctx, char *why, size_t whylen)
{
	struct sheet_limits lim = sheet_limits_for(len, 100, SHEET_MAX_XML);
	return sheet_xlsx_limited(data, len, &lim, fn, ctx, why, whylen);
}

/* xl/sharedStrings.xml into t (optional: a sheet of numbers or inline strings has none). */
static int read_sst(const struct reader *rd, zip_t *z, struct sst *t, char *why, size_t whylen)
{
	if (zip_name_locate(z, "xl/sharedStrings.xml", 0) < 0)
		return 0;
	const bool never = false;
	struct fast f = {.start = sst_start, .end = sst_end, .text = sst_text, .ud = t, .stop = &never};
	int r = fast_entry(rd, z, "xl/sharedStrings.xml", &f, why, whylen);
	if (r == FAST_GIVE_UP) { /* expat reads it all again */
		sst_free(t);
		*t = (struct sst){.lim = rd->lim, .g = {.why = why, .whylen = whylen}};
		XML_Parser xp = guarded_parser(&t->g, sst_start, sst_end, sst_text);
		r = xp ? parse_entry(rd, z, "xl/sharedStrings.xml", &t->g, NULL, why, whylen) : -1;
		if (xp)
			XML_ParserFree(xp);
	}
	if (r || t->failed) {
		if (!r && !t->g.refused)
			snprintf(why, whylen, t->too_long ? "xlsx 中有单元格内容过长（超过 Excel 单元格的 32,767 个字符上限）"
							  : "xlsx 共享字符串过多或过大，不是正常的党员名册");
		return -1;
	}
	return 0;
}

/* One small part through expat with the workbook handlers. */
static int read_wb_part(const struct reader *rd, zip_t *z, const char *name, struct wb *wb, char *why, size_t whylen)
{
	wb->g.why = why;
	wb->g.whylen = whylen;
	XML_Parser xp = guarded_parser(&wb->g, wb_start, wb_end, NULL);
	int r = xp ? parse_entry(rd, z, name, &wb->g, NULL, why, whylen) : -1;
	if (xp)
		XML_ParserFree(xp);
	return r;
}

/* The visible worksheets' part names and names, through xl/workbook.xml and its
 * relationships, into wb (wb->n of them, each target present in the file); a workbook
 * without them reads xl/worksheets/sheet1.xml. */
static int find_sheets(const struct reader *rd, zip_t *z, struct wb *wb, char *why, size_t whylen)
{
	memset(wb, 0, sizeof *wb);
	if (zip_name_locate(z, "xl/workbook.xml", 0) >= 0) {
		if (read_wb_part(rd, z, "xl/workbook.xml", wb, why, whylen))
			return -1;
		if (wb->n && zip_name_locate(z, "xl/_rels/workbook.xml.rels", 0) >= 0) {
			wb->rels = true;
			if (read_wb_part(rd, z, "xl/_rels/workbook.xml.rels", wb, why, whylen))
				return -1;
		}
	}
	int k = 0;
	for (int i = 0; i < wb->n; i++)
		if (wb->target[i][0] && zip_name_locate(z, wb->target[i], 0) >= 0) {
			if (k != i) {
				memcpy(wb->target[k], wb->target[i], sizeof wb->target[0]);
				memcpy(wb->name[k], wb->name[i], sizeof wb->name[0]);
			}
			k++;
		}
	wb->n = k;
	if (wb->n == 0) {
		snprintf(wb->target[0], sizeof wb->target[0], "xl/worksheets/sheet1.xml");
		wb->name[0][0] = 0;
		wb->n = 1;
	}
	return 0;
}

/* The sheet's rows to sh's callback: the scanner first, expat when it gives up. */
static int read_sheet(const struct reader *rd, zip_t *z, const char *sheet, struct sh *sh, char *why, size_t whylen)
{
	struct fast f = {.start = sh_start, .end = sh_end, .text = sh_text, .ud = sh, .stop = &sh->stop};
	int r = fast_entry(rd, z, sheet, &f, why, whylen);
	if (r == FAST_GIVE_UP && !sh->stop) {
		/* expat reads the sheet again from its start; the rows the scanner delivered
		 * are parsed but not delivered again (row numbers only rise) */
		sh->skip_upto = sh->lastrow;
		sh->lastrow = sh->rowno = 0;
		sh->in_v = sh->in_t = sh->in_is = sh->in_rph = 0;
		sh->xp = guarded_parser(&sh->g, sh_start, sh_end, sh_text);
		r = sh->xp ? parse_entry(rd, z, sheet, &sh->g, &sh->stop, why, whylen) : -1;
		if (sh->xp)
			XML_ParserFree(sh->xp);
		sh->xp = sh->g.xp = NULL;
	}
	return sh->stop ? sh->rc : r;
}

int sheet_xlsx_limited(const void *data, size_t len, const struct sheet_limits *lim, sheet_row_fn fn, void *ctx,
		       char *why, size_t whylen)
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
	struct reader rd = {lim, lim->max_seconds > 0 ? clock_mono_ms() + lim->max_seconds * 1000 : 0};
	int rc = -1;
	struct sst sst = {.lim = lim, .g = {.why = why, .whylen = whylen}};
	struct wb *wb = malloc(sizeof *wb);
	if (wb && read_sst(&rd, z, &sst, why, whylen) == 0 && find_sheets(&rd, z, wb, why, whylen) == 0) {
		rc = 0;
		for (int s = 0; rc == 0 && s < wb->n; s++) {
			if (s > 0) { /* a further sheet: the caller hears its name first */
				const char *name = wb->name[s];
				if ((rc = fn(ctx, 0, &name, 1)) != 0)
					break;
			}
			struct sh sh = {.lim = lim, .sst = &sst, .fn = fn, .ctx = ctx, .why = why, .whylen = whylen,
					.g = {.why = why, .whylen = whylen}};
			rc = read_sheet(&rd, z, wb->target[s], &sh, why, whylen);
			if (rc == SHEET_NEXT && s + 1 < wb->n)
				rc = 0; /* the caller has read enough of this sheet */
			free(sh.val.p);
			for (size_t i = 0; i < SHEET_MAX_COLS; i++)
				free(sh.cells[i].p);
		}
	} else if (!wb) {
		snprintf(why, whylen, "内存不足");
	}
	free(wb);
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
