/* test_router.c: route matching (src/http/router.c) over a hand-built table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "http/request.h"
#include "http/router.h"

static void h(struct request *req)
{
	(void)req;
}

static const struct route t_routes[] = {
	{"GET", "/api/v1/orgs", h, "org.read", 0, 0, "list"},
	{"POST", "/api/v1/orgs", h, "org.write", RF_TX_WRITE, 0, "create"},
	{"GET", "/api/v1/orgs/{id}", h, "org.read", 0, 0, "one"},
	{"PATCH", "/api/v1/orgs/{id}", h, "org.write", 0, 0, "edit"},
	{"GET", "/api/v1/orgs/alerts", h, "org.read", 0, 0, "alerts"},
	{"GET", "/api/v1/orgs/{id}/grids/{grid}", h, "org.read", 0, 0, "grid"},
	{"PUT", "/api/v1/test/x", h, PERM_PUBLIC, RF_TEST, 0, "test only"},
};
static const struct route_table t_table = {"t", t_routes, sizeof t_routes / sizeof t_routes[0]};
static const struct route_table *const tables[] = {&t_table, NULL};

static char *copy(void *ctx, const char *s, size_t n)
{
	return arena_strndup(ctx, s, n);
}

static struct arena *A;

static int setup(void **state)
{
	(void)state;
	A = arena_new();
	return router_init_tables(tables, false);
}

static int teardown(void **state)
{
	(void)state;
	arena_free(A);
	return 0;
}

static const char *param(struct route_match *m, const char *name)
{
	for (int i = 0; i < m->nparams; i++)
		if (strcmp(m->params[i].name, name) == 0)
			return m->params[i].value;
	return NULL;
}

static void test_literal_beats_param(void **state)
{
	(void)state;
	struct route_match m;
	router_match("GET", "/api/v1/orgs/alerts", &m, copy, A);
	assert_non_null(m.route);
	assert_string_equal(m.route->summary, "alerts");
	assert_int_equal(m.nparams, 0);
	router_match("GET", "/api/v1/orgs/42", &m, copy, A);
	assert_non_null(m.route);
	assert_string_equal(m.route->summary, "one");
}

static void test_params_captured(void **state)
{
	(void)state;
	struct route_match m;
	router_match("GET", "/api/v1/orgs/17/grids/g-3", &m, copy, A);
	assert_non_null(m.route);
	assert_int_equal(m.nparams, 2);
	assert_string_equal(param(&m, "id"), "17");
	assert_string_equal(param(&m, "grid"), "g-3");
	assert_int_equal(m.index, 5);
}

static void test_404_unknown_and_partial_paths(void **state)
{
	(void)state;
	struct route_match m;
	const char *paths[] = {"/api/v1/nothing", "/api/v1/orgs/", "/api/v1/orgs/1/grids", "/api/v1/orgs//grids/2",
			       "/api/v1", "/api/v1/orgs/1/grids/2/x", "", "/"};
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		router_match("GET", paths[i], &m, copy, A);
		assert_null(m.route);
		assert_int_equal(m.status, 404);
		assert_int_equal(m.index, -1);
	}
}

static void test_405_lists_allowed_methods(void **state)
{
	(void)state;
	struct route_match m;
	router_match("DELETE", "/api/v1/orgs/5", &m, copy, A);
	assert_null(m.route);
	assert_int_equal(m.status, 405);
	assert_string_equal(m.allow, "GET, HEAD, PATCH");
	router_match("PUT", "/api/v1/orgs", &m, copy, A);
	assert_int_equal(m.status, 405);
	assert_string_equal(m.allow, "GET, HEAD, POST");
	router_match("TRACE", "/api/v1/orgs", &m, copy, A);
	assert_int_equal(m.status, 405);
}

static void test_head_is_get(void **state)
{
	(void)state;
	struct route_match m;
	router_match("HEAD", "/api/v1/orgs/9", &m, copy, A);
	assert_non_null(m.route);
	assert_string_equal(m.route->method, "GET");
	assert_string_equal(param(&m, "id"), "9");
}

static void test_test_routes_only_in_test_mode(void **state)
{
	(void)state;
	struct route_match m;
	router_match("PUT", "/api/v1/test/x", &m, copy, A);
	assert_null(m.route);
	assert_int_equal(m.status, 404);
	assert_int_equal(router_init_tables(tables, true), 0);
	router_match("PUT", "/api/v1/test/x", &m, copy, A);
	assert_non_null(m.route);
	assert_int_equal(router_init_tables(tables, false), 0);
}

static void test_route_without_permission_refused(void **state)
{
	(void)state;
	static const struct route bad_routes[] = {{"GET", "/x", h, NULL, 0, 0, "no perm"}};
	static const struct route_table bad = {"bad", bad_routes, 1};
	static const struct route_table *const bt[] = {&bad, NULL};
	assert_int_equal(router_init_tables(bt, false), -1);
	static const struct route dup_routes[] = {{"GET", "/x", h, PERM_PUBLIC, 0, 0, "a"},
						  {"GET", "/x", h, PERM_PUBLIC, 0, 0, "b"}};
	static const struct route_table dup = {"dup", dup_routes, 2};
	static const struct route_table *const dt[] = {&dup, NULL};
	assert_int_equal(router_init_tables(dt, false), -1);
	static const struct route meth_routes[] = {{"TRACE", "/x", h, PERM_PUBLIC, 0, 0, "a"}};
	static const struct route_table meth = {"meth", meth_routes, 1};
	static const struct route_table *const mt[] = {&meth, NULL};
	assert_int_equal(router_init_tables(mt, false), -1);
	assert_int_equal(router_init_tables(tables, false), 0);
}

static void test_unsafe_methods(void **state)
{
	(void)state;
	assert_false(router_unsafe_method("GET"));
	assert_false(router_unsafe_method("HEAD"));
	assert_true(router_unsafe_method("POST"));
	assert_true(router_unsafe_method("DELETE"));
	assert_true(router_unsafe_method("PATCH"));
}

static void test_unescape(void **state)
{
	(void)state;
	char a[] = "/api/%E5%85%9A%2fx%zz%4";
	assert_int_equal(http_unescape(a), strlen("/api/党/x%zz%4"));
	assert_string_equal(a, "/api/党/x%zz%4");
	char b[] = "/a%00b";
	http_unescape(b);
	assert_int_equal(b[2], 1); /* %00 cannot hide the rest of the path */
	assert_string_equal(b + 3, "b");
	char c[] = "%2e%2E";
	http_unescape(c);
	assert_string_equal(c, "..");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_literal_beats_param),
		cmocka_unit_test(test_params_captured),
		cmocka_unit_test(test_404_unknown_and_partial_paths),
		cmocka_unit_test(test_405_lists_allowed_methods),
		cmocka_unit_test(test_head_is_get),
		cmocka_unit_test(test_test_routes_only_in_test_mode),
		cmocka_unit_test(test_route_without_permission_refused),
		cmocka_unit_test(test_unsafe_methods),
		cmocka_unit_test(test_unescape),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
