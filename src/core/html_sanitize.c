/* html_sanitize.c: see html_sanitize.h. */
#include "core/html_sanitize.h"
#include "core/arena.h"
#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

struct out {
	struct arena *a;
	char *p;
	size_t n, cap;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->n + n + 1 > o->cap) {
		size_t cap = (o->n + n + 1) * 2;
		char *p = arena_alloc(o->a, cap);
		if (o->n)
			memcpy(p, o->p, o->n);
		o->p = p;
		o->cap = cap;
	}
	memcpy(o->p + o->n, s, n);
	o->n += n;
	o->p[o->n] = 0;
}
static void puts_(struct out *o, const char *s) { put(o, s, strlen(s)); }

/* text (or an attribute value) escaped; a valid character reference is kept */
static void text(struct out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '<')
			puts_(o, "&lt;");
		else if (c == '>')
			puts_(o, "&gt;");
		else if (c == '"')
			puts_(o, "&quot;");
		else if (c == '\'')
			puts_(o, "&#39;");
		else if (c == '&') {
			size_t k = i + 1;
			if (k < n && s[k] == '#')
				k++;
			size_t start = k;
			while (k < n && k - start < 10 && isalnum((unsigned char)s[k]))
				k++;
			if (k < n && s[k] == ';' && k > start)
				put(o, s + i, k - i + 1), i = k;
			else
				puts_(o, "&amp;");
		} else if ((unsigned char)c < 0x20 && c != '\n' && c != '\t' && c != '\r') {
			continue;
		} else
			put(o, &c, 1);
	}
}

static const char *const kept[] = {"p", "br", "strong", "b", "em", "i", "u", "h2", "h3", "h4", "ul", "ol", "li",
				   "blockquote", "a", "img", NULL};
static const char *const dropped[] = {"script", "style", "iframe", "object", "embed", "template", "svg", "math",
				      "noscript", "textarea", "title", "frameset", "frame", NULL};

static int find(const char *const *l, const char *name, size_t n)
{
	for (int i = 0; l[i]; i++)
		if (strlen(l[i]) == n && strncasecmp(l[i], name, n) == 0)
			return i;
	return -1;
}

static bool url_ok(const char *v, size_t n)
{
	/* no control characters or spaces anywhere (they hide schemes: "java\tscript:") */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] <= 0x20 || v[i] == '\\')
			return false;
	if (n >= 8 && strncasecmp(v, "https://", 8) == 0)
		return true;
	if (n >= 7 && strncasecmp(v, "http://", 7) == 0)
		return true;
	return n >= 1 && v[0] == '/' && (n == 1 || v[1] != '/');
}

#define MAX_DEPTH 64

char *html_sanitize(struct arena *a, const char *in, size_t len, int *changed)
{
	struct out o = {a, NULL, 0, 0};
	put(&o, "", 0);
	int stack[MAX_DEPTH], depth = 0, ch = 0;
	size_t i = 0;
	while (i < len) {
		if (in[i] != '<') {
			size_t j = i;
			while (j < len && in[j] != '<')
				j++;
			text(&o, in + i, j - i);
			i = j;
			continue;
		}
		/* a comment or a declaration: dropped whole */
		if (i + 1 < len && (in[i + 1] == '!' || in[i + 1] == '?')) {
			size_t j = i + 2;
			if (i + 4 <= len && strncmp(in + i, "<!--", 4) == 0) {
				j = i + 4;
				while (j + 3 <= len && strncmp(in + j, "-->", 3) != 0)
					j++;
				j = j + 3 <= len ? j + 3 : len;
			} else {
				while (j < len && in[j] != '>')
					j++;
				j = j < len ? j + 1 : len;
			}
			i = j;
			ch = 1;
			continue;
		}
		bool closing = i + 1 < len && in[i + 1] == '/';
		size_t ns = i + 1 + (closing ? 1 : 0), ne = ns;
		while (ne < len && (isalnum((unsigned char)in[ne])))
			ne++;
		if (ne == ns) { /* "<" not starting a tag: text */
			text(&o, "<", 1);
			i++;
			continue;
		}
		/* the tag's end, quotes respected */
		size_t j = ne;
		char q = 0;
		while (j < len && (q || in[j] != '>')) {
			if (q && in[j] == q)
				q = 0;
			else if (!q && (in[j] == '"' || in[j] == '\''))
				q = in[j];
			j++;
		}
		size_t tag_end = j < len ? j + 1 : len;
		int d = find(dropped, in + ns, ne - ns);
		if (d >= 0) {
			ch = 1;
			if (closing) {
				i = tag_end;
				continue;
			}
			/* skip to the matching close tag, or to the end */
			size_t k = tag_end, nl = strlen(dropped[d]);
			while (k < len) {
				if (in[k] == '<' && k + 2 + nl <= len && in[k + 1] == '/' &&
				    strncasecmp(in + k + 2, dropped[d], nl) == 0)
					break;
				k++;
			}
			while (k < len && in[k] != '>')
				k++;
			i = k < len ? k + 1 : len;
			continue;
		}
		int t = find(kept, in + ns, ne - ns);
		if (t < 0) {
			ch = 1;
			i = tag_end;
			continue;
		}
		const char *name = kept[t];
		bool is_void = strcmp(name, "br") == 0 || strcmp(name, "img") == 0;
		if (closing) {
			/* close up to the matching open element; a stray close is dropped */
			int k = depth - 1;
			while (k >= 0 && stack[k] != t)
				k--;
			if (k < 0) {
				ch = 1;
			} else {
				while (depth > k) {
					puts_(&o, "</");
					puts_(&o, kept[stack[--depth]]);
					puts_(&o, ">");
				}
			}
			i = tag_end;
			continue;
		}
		puts_(&o, "<");
		puts_(&o, name);
		/* attributes: name[=value] */
		size_t k = ne;
		size_t stop = j;
		while (k < stop) {
			while (k < stop && (isspace((unsigned char)in[k]) || in[k] == '/'))
				k++;
			size_t an = k;
			while (k < stop && !isspace((unsigned char)in[k]) && in[k] != '=' && in[k] != '/')
				k++;
			size_t ae = k;
			const char *v = NULL;
			size_t vl = 0;
			while (k < stop && isspace((unsigned char)in[k]))
				k++;
			if (k < stop && in[k] == '=') {
				k++;
				while (k < stop && isspace((unsigned char)in[k]))
					k++;
				if (k < stop && (in[k] == '"' || in[k] == '\'')) {
					char qq = in[k++];
					v = in + k;
					while (k < stop && in[k] != qq)
						k++;
					vl = (size_t)(in + k - v);
					if (k < stop)
						k++;
				} else {
					v = in + k;
					while (k < stop && !isspace((unsigned char)in[k]))
						k++;
					vl = (size_t)(in + k - v);
				}
			}
			if (ae == an)
				continue;
			size_t al = ae - an;
			bool ok = false;
			if (strcmp(name, "a") == 0 && al == 4 && strncasecmp(in + an, "href", 4) == 0 && v && url_ok(v, vl))
				ok = true;
			else if (strcmp(name, "img") == 0 && al == 3 && strncasecmp(in + an, "src", 3) == 0 && v && url_ok(v, vl))
				ok = true;
			else if (strcmp(name, "img") == 0 && al == 3 && strncasecmp(in + an, "alt", 3) == 0 && v)
				ok = true;
			if (!ok) {
				ch = 1;
				continue;
			}
			puts_(&o, " ");
			put(&o, in + an, al);
			puts_(&o, "=\"");
			text(&o, v, vl);
			puts_(&o, "\"");
		}
		if (strcmp(name, "a") == 0)
			puts_(&o, " rel=\"noopener noreferrer\"");
		puts_(&o, ">");
		if (!is_void) {
			if (depth < MAX_DEPTH)
				stack[depth++] = t;
			else
				ch = 1;
		}
		i = tag_end;
	}
	while (depth > 0) {
		puts_(&o, "</");
		puts_(&o, kept[stack[--depth]]);
		puts_(&o, ">");
	}
	if (changed)
		*changed = ch;
	return o.p;
}
