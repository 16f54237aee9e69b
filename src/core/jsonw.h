/* jsonw.h: a streaming JSON writer into one arena buffer. jansson builds a value per
 * key (a malloc, a hash insert, a UTF-8 scan, then a dump and a free of each); on the
 * members list that was a third of a request's CPU (bench/results.md, "What the profile
 * showed"). Hot list pages write their items with this instead; everything else, and all
 * parsing, stays with jansson.
 *
 * The output is always valid JSON: strings are escaped per RFC 8259 and an invalid UTF-8
 * byte becomes U+FFFD; the writer places commas and colons itself. The caller opens and
 * closes what it opened (tests/unit/test_jsonw.c checks the output parses with jansson). */
#ifndef DJ_JSONW_H
#define DJ_JSONW_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;

struct jsonw {
	struct arena *arena;
	char *buf;
	size_t len, cap;
	bool comma; /* a value was written at this level: the next one needs a ',' */
};

/* hint: the expected size in bytes; the buffer grows as needed. */
void jw_init(struct jsonw *w, struct arena *a, size_t hint);
void jw_object(struct jsonw *w);
void jw_object_end(struct jsonw *w);
void jw_array(struct jsonw *w);
void jw_array_end(struct jsonw *w);
/* An object member's name: a constant ASCII key needing no escapes. */
void jw_key(struct jsonw *w, const char *k);
/* A string value; NULL writes null. */
void jw_str(struct jsonw *w, const char *s);
void jw_int(struct jsonw *w, int64_t v);
void jw_bool(struct jsonw *w, bool v);
void jw_null(struct jsonw *w);
/* A real written as jansson writes it (the same bytes as its json_dumps). */
void jw_real(struct jsonw *w, double v);
/* a value already in JSON's syntax (a number the caller formatted), written as given */
void jw_raw(struct jsonw *w, const char *json, size_t n);
/* Shorthands for one member: key then value. */
void jw_kstr(struct jsonw *w, const char *k, const char *s);
void jw_kint(struct jsonw *w, const char *k, int64_t v);
#endif
