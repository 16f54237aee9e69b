/* fuzz_json.c: JSON request bodies through the real dispatcher (content checks, parse,
 * a handler's validated reads) and every typed reader of src/http/input.c over every
 * member of the body. Nothing may crash, leak or misreport: a failed request has a
 * status and a code. */
#include "config.h"
#include "core/arena.h"
#include "http/input.h"
#include "http/request.h"
#include "http/router.h"
#include "http/server.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void reset(struct request *r)
{
	json_decref(r->json);
	json_decref(r->out);
	json_decref(r->err.fields);
	free(r->body);
	arena_free(r->arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		config_defaults();
		if (router_init(true) != 0)
			abort();
		ready = 1;
	}
	struct request r;
	memset(&r, 0, sizeof r);
	r.arena = arena_new();
	r.out_fd = -1;
	r.method = "PUT";
	r.path = "/api/v1/test/clock";
	r.body = malloc(size + 1);
	memcpy(r.body, data, size);
	r.body[size] = 0;
	r.body_len = size;
	r.content_type = "application/json"; /* the dispatcher refuses a body of another type (415) */
	server_dispatch(&r);
	if (req_failed(&r) && (!r.err.code || r.err.status < 400))
		abort();
	if (req_failed(&r)) {
		json_t *p = server_problem(&r);
		char *text = json_dumps(p, JSON_COMPACT);
		if (!text)
			abort();
		free(text);
		json_decref(p);
	}
	/* the typed readers over whatever object came in */
	if (json_is_object(r.json)) {
		static const char *const choices[] = {"a", "formal", "党员", NULL};
		const char *k;
		json_t *v;
		json_object_foreach(r.json, k, v)
		{
			int64_t i;
			bool b;
			const char *s = in_str(&r, r.json, k, IN_OPTIONAL, 20);
			if (s && (in_utf8_len(s) > 20 || s[0] == ' '))
				abort();
			(void)in_str(&r, r.json, k, IN_MULTILINE | IN_REQUIRED, 0);
			(void)in_int(&r, r.json, k, IN_REQUIRED, -5, 5, &i);
			(void)in_bool(&r, r.json, k, 0, &b);
			(void)in_date(&r, r.json, k, IN_REQUIRED);
			(void)in_enum(&r, r.json, k, 0, choices);
		}
	}
	reset(&r);
	return 0;
}
