/* sheet_csv.c: CSV reading (see sheet.h). RFC 4180 with the usual tolerances: LF or
 * CRLF, quoted fields with "" escapes and embedded newlines, a final line without a
 * newline. GB18030 input is converted to UTF-8 in one pass with iconv first. */
#include "core/sheet.h"
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t sheet_utf16_len(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += sheet_utf16_units((unsigned char)s[i]);
	return n;
}

bool sheet_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < len) {
		unsigned c = s[i];
		size_t n;
		unsigned min;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			n = 1, min = 0x80, c &= 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			n = 2, min = 0x800, c &= 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			n = 3, min = 0x10000, c &= 0x07;
		} else {
			return false;
		}
		if (i + n >= len)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			c = (c << 6) | (s[i + k] & 0x3F);
		}
		if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
			return false;
		i += n + 1;
	}
	return true;
}

static char *gb18030_to_utf8(const char *in, size_t len, size_t *outlen)
{
	iconv_t cd = iconv_open("UTF-8", "GB18030");
	if (cd == (iconv_t)-1)
		return NULL;
	size_t cap = len * 2 + 16, used = 0;
	char *out = malloc(cap);
	if (!out) {
		iconv_close(cd);
		return NULL;
	}
	char *ip = (char *)in;
	size_t ileft = len;
	while (ileft > 0) {
		char *op = out + used;
		size_t oleft = cap - used - 1;
		size_t r = iconv(cd, &ip, &ileft, &op, &oleft);
		used = (size_t)(op - out);
		if (r == (size_t)-1) {
			if (errno == E2BIG) {
				cap *= 2;
				char *n = realloc(out, cap);
				if (!n)
					goto fail;
				out = n;
				continue;
			}
			goto fail; /* EILSEQ / EINVAL: not GB18030 either */
		}
	}
	iconv_close(cd);
	out[used] = 0;
	*outlen = used;
	return out;
fail:
	free(out);
	iconv_close(cd);
	return NULL;
}

struct csv_state {
	char *buf; /* cell bytes of the current row, NUL-separated */
	size_t len, cap;
	size_t starts[SHEET_MAX_COLS];
	size_t ncells;
	size_t units; /* UTF-16 code units of the current cell (Excel's characters) */
	bool too_many;
};

/* True (with why) when byte c would take the current cell past Excel's limit, in its
 * units (bytes refused a Chinese text at a third of it), or past the bytes kept: a
 * quoted cell (one with a comma, a quote or a line break) as any other. */
static bool cell_full(const struct csv_state *s, char c, long rowno, char *why, size_t whylen)
{
	if (s->units + sheet_utf16_units((unsigned char)c) <= SHEET_MAX_CELL &&
	    s->len - s->starts[s->ncells - 1] < SHEET_MAX_CELL_BYTES)
		return false;
	if (s->too_many)
		snprintf(why, whylen, "第 %ld 行：单元格内容过长（超过 Excel 单元格的 32,767 个字符上限）", rowno);
	else
		snprintf(why, whylen, "第 %ld 行第 %zu 列：单元格内容过长（超过 Excel 单元格的 32,767 个字符上限）", rowno,
			 s->ncells);
	return true;
}

static int push(struct csv_state *s, char c)
{
	if (s->len + 1 >= s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 1024;
		char *n = realloc(s->buf, ncap);
		if (!n)
			return -1;
		s->buf = n;
		s->cap = ncap;
	}
	s->buf[s->len++] = c;
	s->units += sheet_utf16_units((unsigned char)c);
	return 0;
}

int sheet_csv(const char *data, size_t len, sheet_row_fn fn, void *ctx, enum sheet_encoding *enc, char *why,
	      size_t whylen)
{
	char *conv = NULL;
	enum sheet_encoding e = SHEET_UTF8;
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
		data += 3, len -= 3;
		e = SHEET_UTF8_BOM;
		if (!sheet_utf8_valid(data, len)) {
			snprintf(why, whylen, "文件标明为 UTF-8 编码，但含有无效字符");
			return -1;
		}
	} else if (!sheet_utf8_valid(data, len)) {
		size_t clen;
		conv = gb18030_to_utf8(data, len, &clen);
		if (!conv) {
			snprintf(why, whylen, "无法识别文件编码（支持 UTF-8 与 GBK/GB18030）");
			return -1;
		}
		data = conv, len = clen;
		e = SHEET_GB18030;
	}
	if (enc)
		*enc = e;

	struct csv_state s = {0};
	int rc = 0;
	long rowno = 1;
	size_t i = 0;
	bool row_has_content = false;
	s.starts[0] = 0;
	s.ncells = 1;
	while (i <= len) {
		bool end = i == len;
		char c = end ? '\n' : data[i];
		if (!end && c == '"' && (s.len == s.starts[s.ncells - 1])) {
			/* a quoted field */
			i++;
			for (;;) {
				if (i >= len) {
					snprintf(why, whylen, "第 %ld 行：引号未闭合", rowno);
					rc = -1;
					goto out;
				}
				bool escaped = data[i] == '"' && i + 1 < len && data[i + 1] == '"';
				if (data[i] == '"' && !escaped) {
					i++;
					break;
				}
				if (cell_full(&s, data[i], rowno, why, whylen)) {
					rc = -1;
					goto out;
				}
				if (push(&s, data[i]))
					goto oom;
				i += escaped ? 2 : 1;
			}
			row_has_content = true;
			continue;
		}
		if (c == ',') {
			if (push(&s, 0))
				goto oom;
			s.units = 0;
			if (s.ncells < SHEET_MAX_COLS)
				s.starts[s.ncells++] = s.len;
			else
				s.too_many = true;
			i++;
			continue;
		}
		if (c == '\r' && i + 1 < len && data[i + 1] == '\n') {
			i++;
			continue;
		}
		if (c == '\n' || c == '\r') {
			if (push(&s, 0))
				goto oom;
			if (s.too_many) {
				snprintf(why, whylen, "第 %ld 行：列数超过 %d", rowno, SHEET_MAX_COLS);
				rc = -1;
				goto out;
			}
			if (row_has_content || s.ncells > 1 || s.len > 1) {
				if (rowno > SHEET_MAX_ROWS) {
					snprintf(why, whylen, "行数超过 %d", SHEET_MAX_ROWS);
					rc = -1;
					goto out;
				}
				const char *cells[SHEET_MAX_COLS];
				for (size_t k = 0; k < s.ncells; k++)
					cells[k] = s.buf + s.starts[k];
				rc = fn(ctx, rowno, cells, s.ncells);
				if (rc)
					goto out;
			}
			if (!end || row_has_content)
				rowno++;
			s.len = 0;
			s.units = 0;
			s.ncells = 1;
			s.starts[0] = 0;
			row_has_content = false;
			i++;
			continue;
		}
		if (cell_full(&s, c, rowno, why, whylen)) {
			rc = -1;
			goto out;
		}
		if (push(&s, c))
			goto oom;
		row_has_content = true;
		i++;
	}
	goto out;
oom:
	snprintf(why, whylen, "内存不足");
	rc = -1;
out:
	free(s.buf);
	free(conv);
	return rc;
}
