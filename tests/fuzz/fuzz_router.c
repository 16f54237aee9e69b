/* fuzz_router.c: the router's path matcher (router_match) and the path check that runs
 * before it (static_path_ok), over a route table shaped like the real one. Input: the
 * first byte picks the method, the rest is the (decoded) path. */
#include "core/arena.h"
#include "http/request.h"
#include "http/router.h"
#include "http/static.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void h(struct request *req)
{
	(void)req;
}

static const struct route f_routes[] = {
	{"GET", "/api/v1/orgs", h, "org.read", 0, 0, "list"},
	{"POST", "/api/v1/orgs", h, "org.write", 0, 0, "create"},
	{"GET", "/api/v1/orgs/{id}", h, "org.read", 0, 0, "one"},
	{"PATCH", "/api/v1/orgs/{id}", h, "org.write", 0, 0, "edit"},
	{"GET", "/api/v1/orgs/alerts", h, "org.read", 0, 0, "alerts"},
	{"GET", "/api/v1/orgs/{id}/grids/{grid}/buildings/{b}", h, "org.read", 0, 0, "deep"},
	{"GET", "/api/v1/{a}/{b}/{c}/{d}/{e}/{f}", h, "x", 0, 0, "six params"},
	{"DELETE", "/api/v1/members/{id}", h, "member.write", 0, 0, "delete"},
	{"GET", "/healthz", h, PERM_PUBLIC, 0, 0, "health"},
};
static const struct route_table f_table = {"f", f_routes, sizeof f_routes / sizeof f_routes[0]};
static const struct route_table *const f_tables[] = {&f_table, NULL};

static char *copy(void *ctx, const char *s, size_t n)
{
	return arena_strndup(ctx, s, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		if (router_init_tables(f_tables, false) != 0)
			abort();
		ready = 1;
	}
	static const char *const methods[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "TRACE", "OPTIONS"};
	if (size < 1)
		return 0;
	const char *method = methods[data[0] % 8];
	char *path = malloc(size);
	memcpy(path, data + 1, size - 1);
	path[size - 1] = 0;
	struct arena *a = arena_new();
	struct route_match m;
	(void)static_path_ok(path);
	router_match(method, path, &m, copy, a);
	if (m.route) {
		if (m.nparams < 0 || m.nparams > ROUTE_MAX_PARAMS)
			abort();
		for (int i = 0; i < m.nparams; i++)
			if (!m.params[i].value || !*m.params[i].value || strchr(m.params[i].value, '/'))
				abort(); /* a parameter is one non-empty segment */
	} else if (m.status != 404 && m.status != 405) {
		abort();
	}
	arena_free(a);
	free(path);
	return 0;
}
