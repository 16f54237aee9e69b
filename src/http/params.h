/* params.h: a route's inputs declared as data, as kcgi's validator tables are. A route
 * names a `struct params` (its query string fields and, for create routes, its JSON
 * body fields); the dispatcher parses and validates them into a typed struct before
 * the handler runs, with field errors in the usual problem+json, and the handler reads
 * only that struct (req->in). Nothing here knows a resource: code tables come in as
 * check functions from the api layer.
 *
 *   struct members_in { int64_t org_id, limit; const char *q, *state; };
 *   static const struct param members_params[] = {
 *       PARAM_ID_OPT(struct members_in, org_id, "党组织编号无效"),
 *       PARAM_INT(struct members_in, limit, 1, 200, 20),
 *       PARAM_STR(struct members_in, q, 40),
 *       PARAM_CHECK(struct members_in, state, member_state_valid, "党籍状态无效"),
 *   };
 *   static const struct params members_in = PARAMS(struct members_in, members_params);
 */
#ifndef DJ_PARAMS_H
#define DJ_PARAMS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct request;

enum param_type {
	PARAM_T_INT,   /* int64_t in [min, max]; absent → def */
	PARAM_T_ID,    /* int64_t ≥ 1; absent → 0; malformed → field error */
	PARAM_T_STR,   /* const char *, trimmed, no control characters, ≤ max code points; empty → NULL */
	PARAM_T_ENUM,  /* const char * pointing at the matching entry of allowed; absent → NULL */
	PARAM_T_DATE,  /* const char *, a real YYYY-MM-DD; absent → NULL */
	PARAM_T_BOOL,  /* int: 1 for 1/true, 0 for 0/false, -1 when absent */
	PARAM_T_CHECK, /* const char * accepted by check() (a code table); absent → NULL */
	PARAM_T_INSTANT, /* int64_t unix seconds from date_parse_instant; absent → 0; .max = 1: end of a bare day */
	PARAM_T__MAX
};

enum param_flag {
	PARAM_REQUIRED = 1 << 0, /* absent (or empty) is a field error "required" */
	PARAM_BODY = 1 << 1,     /* read from the JSON body object, not the query string */
	PARAM_MULTILINE = 1 << 2, /* STR: newlines and tabs allowed (other controls still refused) */
};

struct param {
	const char *name;
	enum param_type type;
	unsigned flags;
	size_t off;                   /* offsetof the field in the route's struct */
	int64_t min, max, def;        /* INT bounds and default; STR: max = code points */
	const char *const *allowed;   /* ENUM: NULL-terminated */
	bool (*check)(const char *v); /* CHECK */
	const char *message;          /* Chinese message when the value is wrong (NULL: a generic one) */
};

struct params {
	const struct param *p;
	size_t n;
	size_t size; /* sizeof the struct the fields live in */
};

#define PARAMS(type, arr) {arr, sizeof(arr) / sizeof((arr)[0]), sizeof(type)}

#define PARAM_F_(T, field, nm, t, fl) .name = nm, .type = t, .flags = fl, .off = offsetof(T, field)
/* An integer query field named like its struct field. */
#define PARAM_INT(T, field, lo, hi, dflt) {PARAM_F_(T, field, #field, PARAM_T_INT, 0), .min = lo, .max = hi, .def = dflt}
/* An optional id (0 when absent). */
#define PARAM_ID(T, field, msg) {PARAM_F_(T, field, #field, PARAM_T_ID, 0), .message = msg}
#define PARAM_STR(T, field, maxchars) {PARAM_F_(T, field, #field, PARAM_T_STR, 0), .max = maxchars}
#define PARAM_ENUM(T, field, values, msg) {PARAM_F_(T, field, #field, PARAM_T_ENUM, 0), .allowed = values, .message = msg}
#define PARAM_DATE(T, field) {PARAM_F_(T, field, #field, PARAM_T_DATE, 0)}
#define PARAM_BOOL(T, field) {PARAM_F_(T, field, #field, PARAM_T_BOOL, 0)}
#define PARAM_INSTANT(T, field, end_of_day) {PARAM_F_(T, field, #field, PARAM_T_INSTANT, 0), .max = end_of_day}
#define PARAM_CHECK(T, field, fn, msg) {PARAM_F_(T, field, #field, PARAM_T_CHECK, 0), .check = fn, .message = msg}

/* Where values come from: the query string by default; lookup(ctx, name) returns the
 * raw (percent-decoded) text or NULL. */
typedef const char *(*param_lookup)(void *ctx, const char *name);

/* Parses ps into a zeroed struct of ps->size bytes allocated from the request's arena,
 * defaults filled in; query fields come from lookup (NULL: the request's query string),
 * body fields from req->json. Every bad field gets a field error on the request (all of
 * them, not just the first); returns the struct, or NULL when any field was wrong. */
void *params_parse(struct request *req, const struct params *ps, param_lookup lookup, void *ctx);
/* Checks a table at start-up (router_init): names set, offsets inside the struct, types
 * known, ENUM with values, CHECK with a function, INT with min ≤ def ≤ max. 0 or -1
 * after printing why. */
int params_validate(const char *route, const struct params *ps);
#endif
