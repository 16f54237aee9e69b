/* test_problem.c: the dispatcher and the problem+json it renders (src/http/server.c),
 * driven without a socket over the real route table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "core/arena.h"
#include "db/db.h"
#include "http/request.h"
#include "http/router.h"
#include "http/server.h"

static struct request R;

static int fresh(void **state)
{
	(void)state;
	memset(&R, 0, sizeof R);
	R.arena = arena_new();
	R.out_fd = -1;
	snprintf(R.id, sizeof R.id, "req-1");
	return 0;
}

static int done(void **state)
{
	(void)state;
	json_decref(R.json);
	json_decref(R.out);
	json_decref(R.err.fields);
	arena_free(R.arena);
	return 0;
}

static void dispatch(const char *method, const char *path)
{
	R.method = method;
	R.path = path;
	server_dispatch(&R);
}

static bool has_chinese(const char *s)
{
	/* CJK Unified Ideographs are 3-byte UTF-8 starting 0xE4..0xE9 */
	for (; s && *s; s++)
		if ((unsigned char)*s >= 0xE4 && (unsigned char)*s <= 0xE9)
			return true;
	return false;
}

static void check_problem(json_t *p, int status, const char *code)
{
	assert_int_equal(json_integer_value(json_object_get(p, "status")), status);
	assert_string_equal(json_string_value(json_object_get(p, "code")), code);
	char type[96];
	snprintf(type, sizeof type, "urn:dangjian:problem:%s", code);
	assert_string_equal(json_string_value(json_object_get(p, "type")), type);
	assert_true(has_chinese(json_string_value(json_object_get(p, "title"))));
	assert_true(has_chinese(json_string_value(json_object_get(p, "detail"))));
	assert_string_equal(json_string_value(json_object_get(p, "instance")), "req-1");
}

static void test_404_problem(void **state)
{
	(void)state;
	dispatch("GET", "/api/v1/no/such/thing");
	assert_int_equal(R.err.status, 404);
	json_t *p = server_problem(&R);
	check_problem(p, 404, "not_found");
	assert_null(json_object_get(p, "errors"));
	json_decref(p);
}

static void test_405_problem_with_allow(void **state)
{
	(void)state;
	dispatch("DELETE", "/healthz");
	assert_int_equal(R.err.status, 405);
	assert_string_equal(R.err.allow, "GET, HEAD");
	json_t *p = server_problem(&R);
	check_problem(p, 405, "method_not_allowed");
	json_decref(p);
}

static void test_bad_path_refused_before_routing(void **state)
{
	(void)state;
	dispatch("GET", "/assets/../../etc/passwd");
	assert_int_equal(R.err.status, 400);
	assert_string_equal(R.err.code, "bad_path");
}

static void test_field_errors_rendered(void **state)
{
	(void)state;
	req_field_error(&R, "name", "required", "此项必填");
	req_field_error(&R, "born_on", "invalid_date", "日期应为有效的 YYYY-MM-DD");
	json_t *p = server_problem(&R);
	check_problem(p, 400, "validation_failed");
	json_t *errs = json_object_get(p, "errors");
	assert_int_equal(json_array_size(errs), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(errs, 1), "field")), "born_on");
	assert_string_equal(json_string_value(json_object_get(json_array_get(errs, 1), "code")), "invalid_date");
	assert_true(has_chinese(json_string_value(json_object_get(json_array_get(errs, 0), "message"))));
	json_decref(p);
}

static void test_handler_members_merged_but_not_over_standard_ones(void **state)
{
	(void)state;
	req_fail(&R, 409, "duplicate_person", "此身份证号已登记");
	req_reply_json(&R, 409, json_pack("{s:I, s:s}", "existing_id", (json_int_t)7, "code", "forged"));
	json_t *p = server_problem(&R);
	check_problem(p, 409, "duplicate_person");
	assert_int_equal(json_integer_value(json_object_get(p, "existing_id")), 7);
	json_decref(p);
}

static void test_500_has_no_internals(void **state)
{
	(void)state;
	req_fail_db(&R, DB_ERROR);
	json_t *p = server_problem(&R);
	check_problem(p, 500, "internal_error");
	char *text = json_dumps(p, 0);
	assert_null(strstr(text, "sqlite"));
	assert_null(strstr(text, "SELECT"));
	assert_null(strstr(text, ".c"));
	free(text);
	json_decref(p);
}

static void test_db_busy_is_503_with_retry_after(void **state)
{
	(void)state;
	req_fail_db(&R, DB_BUSY);
	assert_int_equal(R.err.status, 503);
	assert_int_equal(R.err.retry_after, 1);
	req_fail_db(&R, DB_FULL) /* the first error stays */;
	assert_int_equal(R.err.status, 503);
}

static void test_public_route_dispatched(void **state)
{
	(void)state;
	dispatch("GET", "/healthz");
	assert_false(req_failed(&R));
	assert_int_equal(R.status, 200);
	assert_string_equal(json_string_value(json_object_get(R.out, "status")), "ok");
}

static int group_setup(void **state)
{
	(void)state;
	config_defaults();
	return router_init(false);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fresh, done)
int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_404_problem),
		T(test_405_problem_with_allow),
		T(test_bad_path_refused_before_routing),
		T(test_field_errors_rendered),
		T(test_handler_members_merged_but_not_over_standard_ones),
		T(test_500_has_no_internals),
		T(test_db_busy_is_503_with_retry_after),
		T(test_public_route_dispatched),
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
