/* html_sanitize.h: rich text of study items (issue 16) reduced to an allow-list on the
 * server, by a strict tokenizer of our own (no DOM, no regular expressions): kept tags
 * p br strong b em i u h2 h3 h4 ul ol li blockquote a img, each with only its allowed
 * attributes (a: href; img: src, alt), a URL allowed only when it is https://, http://
 * or a path of ours (/…, not //…); everything else is dropped: other tags (their text
 * kept), comments, and the content of script, style, iframe, object, embed, template,
 * svg, math, noscript, textarea, title. Text is re-escaped, so the output is
 * well-formed: every kept element closed, in order. */
#ifndef DJ_HTML_SANITIZE_H
#define DJ_HTML_SANITIZE_H
#include <stddef.h>

struct arena;

/* The sanitized HTML of in[0..len), arena-owned. *changed (when not NULL) is set when
 * anything was removed or rewritten beyond whitespace and escaping. */
char *html_sanitize(struct arena *a, const char *in, size_t len, int *changed);
#endif
