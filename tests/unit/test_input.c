/* test_input.c: validated reads of a JSON body (src/http/input.c): each bad value is a
 * field error with a stable code; good values come back typed and trimmed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/arena.h"
#include "http/input.h"
#include "http/request.h"

static struct request R;

static int fresh(void **state)
{
	(void)state;
	memset(&R, 0, sizeof R);
	R.arena = arena_new();
	R.out_fd = -1;
	return 0;
}

static int done(void **state)
{
	(void)state;
	json_decref(R.json);
	json_decref(R.err.fields);
	arena_free(R.arena);
	return 0;
}

static json_t *J(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &e);
	assert_non_null(j);
	R.json = j;
	return j;
}

/* the code of the idx-th field error, and its field */
static const char *err_code(size_t idx, const char **field)
{
	json_t *e = json_array_get(R.err.fields, idx);
	if (!e)
		return NULL;
	if (field)
		*field = json_string_value(json_object_get(e, "field"));
	return json_string_value(json_object_get(e, "code"));
}

static void test_in_str_trims_and_counts_code_points(void **state)
{
	(void)state;
	json_t *b = J("{\"name\":\"  党建服务  \",\"blank\":\"   \",\"long\":\"一二三四五六\",\"ok\":\"一二三四五\"}");
	assert_string_equal(in_str(&R, b, "name", IN_REQUIRED, 4), "党建服务");
	assert_null(in_str(&R, b, "blank", IN_OPTIONAL, 10)); /* empty after trimming is absent */
	assert_false(req_failed(&R));
	assert_string_equal(in_str(&R, b, "ok", IN_REQUIRED, 5), "一二三四五");
	assert_null(in_str(&R, b, "long", IN_REQUIRED, 5));
	const char *f;
	assert_string_equal(err_code(0, &f), "too_long");
	assert_string_equal(f, "long");
	assert_int_equal(R.err.status, 400);
	assert_string_equal(R.err.code, "validation_failed");
}

static void test_in_str_required_and_types(void **state)
{
	(void)state;
	json_t *b = J("{\"n\":12,\"z\":null,\"blank\":\" \"}");
	assert_null(in_str(&R, b, "missing", IN_REQUIRED, 10));
	assert_null(in_str(&R, b, "n", IN_REQUIRED, 10));
	assert_null(in_str(&R, b, "z", IN_REQUIRED, 10));
	assert_null(in_str(&R, b, "blank", IN_REQUIRED, 10));
	assert_string_equal(err_code(0, NULL), "required");
	assert_string_equal(err_code(1, NULL), "invalid_type");
	assert_string_equal(err_code(2, NULL), "required");
	assert_string_equal(err_code(3, NULL), "required");
	assert_null(err_code(4, NULL));
}

static void test_in_str_control_chars(void **state)
{
	(void)state;
	json_t *b = J("{\"a\":\"x\\ny\",\"b\":\"x\\u0000y\",\"c\":\"x\\u007fy\",\"d\":\"line1\\nline2\\tend\",\"e\":\"\\u001b[31m\"}");
	assert_null(in_str(&R, b, "a", 0, 100));
	assert_null(in_str(&R, b, "b", 0, 100));
	assert_null(in_str(&R, b, "c", 0, 100));
	assert_string_equal(in_str(&R, b, "d", IN_MULTILINE, 100), "line1\nline2\tend");
	assert_null(in_str(&R, b, "e", IN_MULTILINE, 100));
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(err_code(i, NULL), "invalid_chars");
	assert_null(err_code(4, NULL));
}

static void test_in_int_ranges(void **state)
{
	(void)state;
	json_t *b = J("{\"lo\":1,\"hi\":200,\"under\":0,\"over\":201,\"float\":1.5,\"str\":\"5\",\"big\":9223372036854775807}");
	int64_t v = -1;
	assert_true(in_int(&R, b, "lo", IN_REQUIRED, 1, 200, &v));
	assert_int_equal(v, 1);
	assert_true(in_int(&R, b, "hi", IN_REQUIRED, 1, 200, &v));
	assert_int_equal(v, 200);
	assert_false(in_int(&R, b, "absent", IN_OPTIONAL, 1, 200, &v));
	assert_false(req_failed(&R));
	const char *bad[] = {"under", "over", "float", "str", "big"};
	for (size_t i = 0; i < 5; i++)
		assert_false(in_int(&R, b, bad[i], IN_REQUIRED, 1, 200, &v));
	for (size_t i = 0; i < 5; i++) {
		const char *f;
		assert_string_equal(err_code(i, &f), "invalid_integer");
		assert_string_equal(f, bad[i]);
	}
	assert_int_equal(v, 200); /* untouched by the failures */
}

static void test_in_date_real_dates(void **state)
{
	(void)state;
	json_t *b = J("{\"ok\":\"2024-02-29\",\"feb\":\"2025-02-29\",\"fmt\":\"2025/01/01\",\"num\":20250101}");
	assert_string_equal(in_date(&R, b, "ok", IN_REQUIRED), "2024-02-29");
	assert_null(in_date(&R, b, "feb", IN_REQUIRED));
	assert_null(in_date(&R, b, "fmt", IN_REQUIRED));
	assert_null(in_date(&R, b, "num", IN_REQUIRED));
	for (size_t i = 0; i < 3; i++)
		assert_string_equal(err_code(i, NULL), "invalid_date");
}

static void test_in_enum_and_bool(void **state)
{
	(void)state;
	static const char *const states[] = {"formal", "probationary", NULL};
	json_t *b = J("{\"s\":\"formal\",\"t\":\"Formal\",\"u\":1,\"yes\":true,\"no\":\"true\"}");
	assert_ptr_equal(in_enum(&R, b, "s", IN_REQUIRED, states), states[0]);
	assert_null(in_enum(&R, b, "t", IN_REQUIRED, states));
	assert_null(in_enum(&R, b, "u", IN_REQUIRED, states));
	bool v = false;
	assert_true(in_bool(&R, b, "yes", IN_REQUIRED, &v));
	assert_true(v);
	assert_false(in_bool(&R, b, "no", IN_REQUIRED, &v));
	assert_string_equal(err_code(0, NULL), "invalid_choice");
	assert_string_equal(err_code(1, NULL), "invalid_choice");
	assert_string_equal(err_code(2, NULL), "invalid_type");
}

static void test_in_body_and_has(void **state)
{
	(void)state;
	R.json = json_pack("[i]", 1);
	assert_null(in_body(&R));
	const char *f;
	assert_string_equal(err_code(0, &f), "invalid_body");
	assert_string_equal(f, "body");
	json_t *o = json_pack("{s:n}", "x");
	assert_true(in_has(o, "x"));
	assert_false(in_has(o, "y"));
	assert_false(in_has(NULL, "x"));
	json_decref(o);
	assert_int_equal(in_utf8_len("党a建"), 3);
}

static void test_sticky_error_first_wins(void **state)
{
	(void)state;
	req_fail(&R, 404, "not_found", "未找到");
	req_field_error(&R, "x", "required", "此项必填");
	req_fail(&R, 500, "internal_error", "内部错误");
	assert_int_equal(R.err.status, 404);
	assert_string_equal(R.err.code, "not_found");
	assert_null(R.err.fields); /* field errors only accumulate on a 400 */
}

#define T(f) cmocka_unit_test_setup_teardown(f, fresh, done)
int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_in_str_trims_and_counts_code_points),
		T(test_in_str_required_and_types),
		T(test_in_str_control_chars),
		T(test_in_int_ranges),
		T(test_in_date_real_dates),
		T(test_in_enum_and_bool),
		T(test_in_body_and_has),
		T(test_sticky_error_first_wins),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
