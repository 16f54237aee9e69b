/* test_request.c: the sticky error of src/http/request.c without a socket: the first
 * failure wins, and a 500 always carries the one code internal_error (DESIGN.md §6). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/arena.h"
#include "db/db.h"
#include "http/request.h"

static void test_500_is_always_internal_error(void **state)
{
	(void)state;
	struct request r;
	memset(&r, 0, sizeof r);
	req_fail(&r, 500, "internal", "服务器内部错误");
	assert_int_equal(r.err.status, 500);
	assert_string_equal(r.err.code, "internal_error");
	memset(&r, 0, sizeof r);
	req_fail_db(&r, DB_ERROR);
	assert_string_equal(r.err.code, "internal_error");
	/* other statuses keep their own code */
	memset(&r, 0, sizeof r);
	req_fail(&r, 503, "db_busy", "系统繁忙");
	assert_string_equal(r.err.code, "db_busy");
}

static void test_first_failure_wins(void **state)
{
	(void)state;
	struct request r;
	memset(&r, 0, sizeof r);
	req_fail(&r, 404, "not_found", "不存在");
	req_fail(&r, 500, "internal_error", "服务器内部错误");
	assert_int_equal(r.err.status, 404);
	assert_string_equal(r.err.code, "not_found");
}

static void test_no_socket_no_cookie(void **state)
{
	(void)state;
	struct request r;
	memset(&r, 0, sizeof r);
	assert_null(req_cookie(&r, "dj_session"));
	assert_null(req_header(&r, "Cookie"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_500_is_always_internal_error),
		cmocka_unit_test(test_first_failure_wins),
		cmocka_unit_test(test_no_socket_no_cookie),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
