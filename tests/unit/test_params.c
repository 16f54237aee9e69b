/* test_params.c: a route's declared inputs (src/http/params.c): typed values and
 * defaults come back in the route's struct, every bad field is reported (not only the
 * first), and a table that cannot be right is refused at start-up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/arena.h"
#include "http/params.h"
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

/* a query string as name=value pairs, NULL-terminated */
static const char *lookup(void *ctx, const char *name)
{
	const char *const *kv = ctx;
	for (; kv[0]; kv += 2)
		if (strcmp(kv[0], name) == 0)
			return kv[1];
	return NULL;
}

static size_t n_errors(void)
{
	return json_array_size(R.err.fields);
}

static const char *err_field(size_t i, const char **code)
{
	json_t *e = json_array_get(R.err.fields, i);
	*code = json_string_value(json_object_get(e, "code"));
	return json_string_value(json_object_get(e, "field"));
}

struct list_in {
	int64_t limit, org_id;
	const char *q, *sort, *from, *state;
	int two_new;
};

static bool state_ok(const char *v)
{
	return strcmp(v, "normal") == 0 || strcmp(v, "mobile") == 0;
}

static const char *const sorts[] = {"name", "joined", NULL};
static const struct param list_params[] = {
	PARAM_INT(struct list_in, limit, 1, 200, 20),
	PARAM_ID(struct list_in, org_id, "党组织编号无效"),
	PARAM_STR(struct list_in, q, 4),
	PARAM_ENUM(struct list_in, sort, sorts, "排序方式无效"),
	PARAM_DATE(struct list_in, from),
	PARAM_CHECK(struct list_in, state, state_ok, "党籍状态无效"),
	PARAM_BOOL(struct list_in, two_new),
};
static const struct params list_in = PARAMS(struct list_in, list_params);

static void test_defaults_when_absent(void **state)
{
	(void)state;
	const char *kv[] = {NULL};
	struct list_in *in = params_parse(&R, &list_in, lookup, kv);
	assert_non_null(in);
	assert_int_equal(in->limit, 20);
	assert_int_equal(in->org_id, 0);
	assert_null(in->q);
	assert_null(in->sort);
	assert_int_equal(in->two_new, -1);
	assert_false(req_failed(&R));
}

static void test_typed_values(void **state)
{
	(void)state;
	const char *kv[] = {"limit", "200", "org_id", "17", "q", " 张三 ", "sort", "joined", "from", "2024-02-29",
			    "state", "mobile", "two_new", "1", NULL};
	struct list_in *in = params_parse(&R, &list_in, lookup, kv);
	assert_non_null(in);
	assert_int_equal(in->limit, 200);
	assert_int_equal(in->org_id, 17);
	assert_string_equal(in->q, "张三");
	assert_ptr_equal(in->sort, sorts[1]); /* the table's own string */
	assert_string_equal(in->from, "2024-02-29");
	assert_string_equal(in->state, "mobile");
	assert_int_equal(in->two_new, 1);
}

static void test_every_bad_field_is_reported(void **state)
{
	(void)state;
	const char *kv[] = {"limit", "201", "org_id", "0", "q", "一二三四五", "sort", "age", "from", "2023-02-29",
			    "state", "gone", "two_new", "yes", NULL};
	assert_null(params_parse(&R, &list_in, lookup, kv));
	assert_int_equal(R.err.status, 400);
	assert_int_equal(n_errors(), 7);
	const char *code;
	const char *want[][2] = {{"limit", "invalid_integer"}, {"org_id", "invalid_integer"}, {"q", "too_long"},
				 {"sort", "invalid_choice"},   {"from", "invalid_date"},      {"state", "invalid_choice"},
				 {"two_new", "invalid_choice"}};
	for (size_t i = 0; i < 7; i++) {
		assert_string_equal(err_field(i, &code), want[i][0]);
		assert_string_equal(code, want[i][1]);
	}
}

static void test_control_characters_and_junk_integers(void **state)
{
	(void)state;
	const char *kv[] = {"q", "a\r\nb", "limit", "12abc", NULL};
	assert_null(params_parse(&R, &list_in, lookup, kv));
	const char *code;
	assert_string_equal(err_field(0, &code), "limit");
	assert_string_equal(code, "invalid_integer");
	assert_string_equal(err_field(1, &code), "q");
	assert_string_equal(code, "invalid_chars");
}

struct req_in {
	const char *name;
	int64_t n;
};
static const struct param req_params[] = {
	{.name = "name", .type = PARAM_T_STR, .flags = PARAM_REQUIRED | PARAM_BODY, .off = offsetof(struct req_in, name), .max = 10},
	{.name = "n", .type = PARAM_T_INT, .flags = PARAM_BODY, .off = offsetof(struct req_in, n), .min = 1, .max = 9, .def = 5},
};
static const struct params req_in = PARAMS(struct req_in, req_params);

static void test_body_fields(void **state)
{
	(void)state;
	json_error_t e;
	R.json = json_loads("{\"name\":\" 书记 \"}", 0, &e);
	struct req_in *in = params_parse(&R, &req_in, lookup, (const char *[]){NULL});
	assert_non_null(in);
	assert_string_equal(in->name, "书记");
	assert_int_equal(in->n, 5);
}

static void test_body_required_missing(void **state)
{
	(void)state;
	json_error_t e;
	R.json = json_loads("{\"n\":10}", 0, &e);
	assert_null(params_parse(&R, &req_in, lookup, (const char *[]){NULL}));
	assert_int_equal(n_errors(), 2);
	const char *code;
	assert_string_equal(err_field(0, &code), "name");
	assert_string_equal(code, "required");
}

static void test_validate_refuses_wrong_tables(void **state)
{
	(void)state;
	assert_int_equal(params_validate("ok", &list_in), 0);
	static const struct param bad_default[] = {PARAM_INT(struct list_in, limit, 1, 200, 0)};
	static const struct params p1 = PARAMS(struct list_in, bad_default);
	assert_int_equal(params_validate("bad default", &p1), -1);
	static const struct param bad_enum[] = {PARAM_ENUM(struct list_in, sort, NULL, NULL)};
	static const struct params p2 = PARAMS(struct list_in, bad_enum);
	assert_int_equal(params_validate("bad enum", &p2), -1);
	static const struct param outside[] = {{.name = "x", .type = PARAM_T_INT, .off = sizeof(struct req_in)}};
	static const struct params p3 = PARAMS(struct req_in, outside);
	assert_int_equal(params_validate("outside", &p3), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults_when_absent, fresh, done),
		cmocka_unit_test_setup_teardown(test_typed_values, fresh, done),
		cmocka_unit_test_setup_teardown(test_every_bad_field_is_reported, fresh, done),
		cmocka_unit_test_setup_teardown(test_control_characters_and_junk_integers, fresh, done),
		cmocka_unit_test_setup_teardown(test_body_fields, fresh, done),
		cmocka_unit_test_setup_teardown(test_body_required_missing, fresh, done),
		cmocka_unit_test_setup_teardown(test_validate_refuses_wrong_tables, fresh, done),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
