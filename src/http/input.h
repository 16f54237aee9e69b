/* input.h: typed, validated reads of a JSON request body (kcgi-style: a handler only
 * sees valid values). Each reader records a field error on the request (with a stable
 * code and a Chinese message) when the value is present but wrong, or absent but
 * required, and returns "absent". Strings come back trimmed, arena-owned. */
#ifndef DJ_INPUT_H
#define DJ_INPUT_H
#include "http/request.h"
#include <stdbool.h>
#include <stdint.h>

enum in_flags {
	IN_OPTIONAL = 0,
	IN_REQUIRED = 1 << 0,
	IN_MULTILINE = 1 << 1, /* allow \n and \t in strings */
	IN_NULLABLE = 1 << 2,  /* JSON null is accepted and means "clear" (PATCH) */
};

/* The body as a JSON object, or NULL with 400 (field "body") when it is not one. */
json_t *in_body(struct request *req);
/* True when obj has the key (even if null): PATCH semantics. */
bool in_has(json_t *obj, const char *field);
/* A string of at most maxchars characters (UTF-8 code points); empty after trimming
 * counts as absent. */
const char *in_str(struct request *req, json_t *obj, const char *field, unsigned flags, size_t maxchars);
/* An integer in [min,max]. Returns true and sets *out when present and valid. */
bool in_int(struct request *req, json_t *obj, const char *field, unsigned flags, int64_t min, int64_t max, int64_t *out);
bool in_bool(struct request *req, json_t *obj, const char *field, unsigned flags, bool *out);
/* A YYYY-MM-DD of a real date. */
const char *in_date(struct request *req, json_t *obj, const char *field, unsigned flags);
/* One of allowed (NULL-terminated). */
const char *in_enum(struct request *req, json_t *obj, const char *field, unsigned flags, const char *const *allowed);
/* UTF-8 code points in s (s is valid UTF-8: jansson guarantees it). */
size_t in_utf8_len(const char *s);
#endif
