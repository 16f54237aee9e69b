/* jsonw.c: see jsonw.h. */
#include "core/jsonw.h"
#include "core/arena.h"
#include <stdio.h>
#include <string.h>

static void grow_slow(struct jsonw *w, size_t need)
{
	size_t cap = w->cap ? w->cap : 256;
	while (cap < w->len + need)
		cap *= 2;
	/* the arena cannot realloc: the old block stays until the request ends (≤ the final size) */
	char *nb = arena_alloc_raw(w->arena, cap);
	if (w->len)
		memcpy(nb, w->buf, w->len);
	w->buf = nb;
	w->cap = cap;
}

/* inline: a list's page calls it for every byte run it writes */
static inline void grow(struct jsonw *w, size_t need)
{
	if (w->len + need > w->cap)
		grow_slow(w, need);
}

static void put(struct jsonw *w, const char *s, size_t n)
{
	grow(w, n + 1);
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void sep(struct jsonw *w)
{
	if (w->comma)
		put(w, ",", 1);
	w->comma = true;
}

void jw_init(struct jsonw *w, struct arena *a, size_t hint)
{
	*w = (struct jsonw){.arena = a};
	grow(w, hint ? hint : 256);
	w->buf[0] = '\0';
}

void jw_object(struct jsonw *w)
{
	sep(w);
	put(w, "{", 1);
	w->comma = false;
}

void jw_object_end(struct jsonw *w)
{
	put(w, "}", 1);
	w->comma = true;
}

void jw_array(struct jsonw *w)
{
	sep(w);
	put(w, "[", 1);
	w->comma = false;
}

void jw_array_end(struct jsonw *w)
{
	put(w, "]", 1);
	w->comma = true;
}

void jw_key(struct jsonw *w, const char *k)
{
	size_t n = strlen(k);
	grow(w, n + 4);
	if (w->comma)
		w->buf[w->len++] = ',';
	w->buf[w->len++] = '"';
	memcpy(w->buf + w->len, k, n);
	w->len += n;
	w->buf[w->len++] = '"';
	w->buf[w->len++] = ':';
	w->buf[w->len] = '\0';
	w->comma = false; /* the value follows the colon */
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid (RFC 3629: no
 * overlongs, no surrogates, nothing above U+10FFFF). */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		return (s[1] & 0xC0) == 0x80 ? 2 : 0;
	if (c >= 0xE0 && c <= 0xEF) {
		if ((s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
			return 0;
		if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F))
			return 0;
		return 3;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		if ((s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
			return 0;
		if ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] > 0x8F))
			return 0;
		return 4;
	}
	return 0;
}

void jw_str(struct jsonw *w, const char *s)
{
	if (!s) {
		jw_null(w);
		return;
	}
	sep(w);
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	grow(w, n + 3); /* the common case: nothing to escape */
	w->buf[w->len++] = '"';
	const unsigned char *run = p; /* bytes copied as they are */
	while (*p) {
		/* the common bytes (printable ASCII but the quote and backslash) in one pass */
		while (*p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
			p++;
		if (!*p)
			break;
		size_t l = utf8_len(p);
		if (l == 1 && *p >= 0x20 && *p != '"' && *p != '\\') {
			p++;
			continue;
		}
		if (l > 1) {
			p += l;
			continue;
		}
		put(w, (const char *)run, (size_t)(p - run));
		if (l == 0) {
			put(w, "\xEF\xBF\xBD", 3); /* U+FFFD for a byte that is not UTF-8 */
		} else if (*p == '"' || *p == '\\') {
			char e[2] = {'\\', (char)*p};
			put(w, e, 2);
		} else {
			static const char hex[] = "0123456789abcdef";
			char e[6] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15]};
			switch (*p) {
			case '\n': put(w, "\\n", 2); break;
			case '\r': put(w, "\\r", 2); break;
			case '\t': put(w, "\\t", 2); break;
			case '\b': put(w, "\\b", 2); break;
			case '\f': put(w, "\\f", 2); break;
			default: put(w, e, 6);
			}
		}
		run = ++p;
	}
	put(w, (const char *)run, (size_t)(p - run));
	put(w, "\"", 1);
}

void jw_int(struct jsonw *w, int64_t v)
{
	sep(w);
	char b[24], *e = b + sizeof b, *q = e;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do
		*--q = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--q = '-';
	put(w, q, (size_t)(e - q));
}

void jw_bool(struct jsonw *w, bool v)
{
	sep(w);
	put(w, v ? "true" : "false", v ? 4 : 5);
}

void jw_null(struct jsonw *w)
{
	sep(w);
	put(w, "null", 4);
}

void jw_raw(struct jsonw *w, const char *json, size_t n)
{
	sep(w);
	put(w, json, n);
}

void jw_kstr(struct jsonw *w, const char *k, const char *s)
{
	jw_key(w, k);
	jw_str(w, s);
}

void jw_kint(struct jsonw *w, const char *k, int64_t v)
{
	jw_key(w, k);
	jw_int(w, v);
}

void jw_real(struct jsonw *w, double v)
{
	/* as jansson writes a real (JSON_REAL_PRECISION 0): %.17g, a ".0" when it would read
	 * back as an integer, no '+' nor leading zeros in the exponent */
	char b[40];
	int n = snprintf(b, sizeof b - 2, "%.17g", v);
	if (n < 0 || n >= (int)sizeof b - 2) {
		jw_null(w);
		return;
	}
	if (!strchr(b, '.') && !strchr(b, 'e')) {
		memcpy(b + n, ".0", 3);
		n += 2;
	}
	char *e = strchr(b, 'e');
	if (e) {
		char *start = e + 1, *end = start + 1;
		if (*start == '-')
			start++;
		while (*end == '0')
			end++;
		if (end != start) {
			memmove(start, end, (size_t)(b + n - end) + 1);
			n -= (int)(end - start);
		}
	}
	sep(w);
	put(w, b, (size_t)n);
}
