/* fuzz_params.c: a route's declared inputs (http/params.c) over arbitrary query strings
 * ("a=1&b=x", percent-decoded as libmicrohttpd does). Invariants: a parse that succeeds
 * gives integers inside their bounds, texts without control bytes and within their
 * length, enum values that are the table's own strings, booleans in {-1, 0, 1}; a parse
 * that fails has set a 400 with field errors. */
#include "core/arena.h"
#include "http/params.h"
#include "http/input.h"
#include "http/request.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct in {
	int64_t limit, id;
	const char *q, *sort, *day, *code;
	int flag;
};
static const char *const sorts[] = {"name", "joined", NULL};
static bool code_ok(const char *v)
{
	return strlen(v) == 2 && v[0] >= '0' && v[0] <= '9' && v[1] >= '0' && v[1] <= '9';
}
static const struct param fields[] = {
	PARAM_INT(struct in, limit, 1, 200, 20),
	PARAM_ID(struct in, id, NULL),
	PARAM_STR(struct in, q, 8),
	PARAM_ENUM(struct in, sort, sorts, NULL),
	PARAM_DATE(struct in, day),
	PARAM_CHECK(struct in, code, code_ok, NULL),
	PARAM_BOOL(struct in, flag),
};
static const struct params table = PARAMS(struct in, fields);

struct kv {
	char *k[16], *v[16];
	int n;
};

static const char *lookup(void *ctx, const char *name)
{
	struct kv *kv = ctx;
	for (int i = 0; i < kv->n; i++)
		if (strcmp(kv->k[i], name) == 0)
			return kv->v[i];
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = 0;
	struct kv kv = {0};
	for (char *p = s; p && *p && kv.n < 16;) {
		char *amp = strchr(p, '&');
		if (amp)
			*amp = 0;
		char *eq = strchr(p, '=');
		if (eq) {
			*eq = 0;
			http_unescape(p);
			http_unescape(eq + 1);
			kv.k[kv.n] = p;
			kv.v[kv.n++] = eq + 1;
		}
		p = amp ? amp + 1 : NULL;
	}
	struct request req = {0};
	req.arena = arena_new();
	req.out_fd = -1;
	struct in *in = params_parse(&req, &table, lookup, &kv);
	if (in) {
		if (req.err.status || in->limit < 1 || in->limit > 200 || in->id < 0)
			abort();
		if (in->q && (in_utf8_len(in->q) > 8 || !*in->q))
			abort();
		for (const char *p = in->q; p && *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				abort();
		if (in->sort && in->sort != sorts[0] && in->sort != sorts[1])
			abort();
		if (in->code && !code_ok(in->code))
			abort();
		if (in->flag < -1 || in->flag > 1)
			abort();
	} else if (req.err.status != 400 || json_array_size(req.err.fields) == 0) {
		abort();
	}
	json_decref(req.err.fields);
	arena_free(req.arena);
	free(s);
	return 0;
}
