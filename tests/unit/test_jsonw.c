/* test_jsonw.c: the streaming JSON writer (src/core/jsonw.c) always writes JSON that
 * jansson parses back to the same values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/jsonw.h"

static json_t *parse(const struct jsonw *w)
{
	json_error_t e;
	json_t *v = json_loadb(w->buf, w->len, 0, &e);
	if (!v)
		fail_msg("not JSON (%s): %.*s", e.text, (int)w->len, w->buf);
	assert_int_equal(strlen(w->buf), w->len);
	return v;
}

static void test_shapes(void **state)
{
	(void)state;
	struct arena *a = arena_new();
	struct jsonw w;
	jw_init(&w, a, 1); /* tiny hint: growth is exercised */
	jw_object(&w);
	jw_key(&w, "items");
	jw_array(&w);
	for (int i = 0; i < 50; i++) {
		jw_object(&w);
		jw_kint(&w, "id", i - 25);
		jw_kstr(&w, "name", "党建");
		jw_kstr(&w, "none", NULL);
		jw_key(&w, "ok");
		jw_bool(&w, i % 2);
		jw_key(&w, "list");
		jw_array(&w);
		jw_int(&w, INT64_MIN);
		jw_int(&w, INT64_MAX);
		jw_null(&w);
		jw_array_end(&w);
		jw_object_end(&w);
	}
	jw_array_end(&w);
	jw_kstr(&w, "next_cursor", NULL);
	jw_kint(&w, "total", 50);
	jw_object_end(&w);
	json_t *v = parse(&w);
	json_t *items = json_object_get(v, "items");
	assert_int_equal(json_array_size(items), 50);
	json_t *it = json_array_get(items, 3);
	assert_int_equal(json_integer_value(json_object_get(it, "id")), -22);
	assert_string_equal(json_string_value(json_object_get(it, "name")), "党建");
	assert_true(json_is_null(json_object_get(it, "none")));
	assert_true(json_is_true(json_object_get(it, "ok")));
	json_t *l = json_object_get(it, "list");
	assert_int_equal(json_integer_value(json_array_get(l, 0)), INT64_MIN);
	assert_int_equal(json_integer_value(json_array_get(l, 1)), INT64_MAX);
	assert_true(json_is_null(json_array_get(l, 2)));
	assert_int_equal(json_integer_value(json_object_get(v, "total")), 50);
	json_decref(v);
	arena_free(a);
}

static const char *roundtrip(struct arena *a, const char *s)
{
	struct jsonw w;
	jw_init(&w, a, 0);
	jw_array(&w);
	jw_str(&w, s);
	jw_array_end(&w);
	json_t *v = parse(&w);
	const char *out = arena_strdup(a, json_string_value(json_array_get(v, 0)));
	json_decref(v);
	return out;
}

static void test_escapes(void **state)
{
	(void)state;
	struct arena *a = arena_new();
	const char *same[] = {"", "a\"b\\c/d", "\n\r\t\b\f", "\x01\x1f\x7f", "张三 \xF0\x9F\x98\x80 ü", "</script>"};
	for (size_t i = 0; i < sizeof same / sizeof *same; i++)
		assert_string_equal(roundtrip(a, same[i]), same[i]);
	/* bytes that are not UTF-8 become U+FFFD: overlong, surrogate, truncated, stray */
	assert_string_equal(roundtrip(a, "a\xC0\xAF"), "a\xEF\xBF\xBD\xEF\xBF\xBD");
	assert_string_equal(roundtrip(a, "\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
	assert_string_equal(roundtrip(a, "x\xE5\xBC"), "x\xEF\xBF\xBD\xEF\xBF\xBD");
	assert_string_equal(roundtrip(a, "\x80z"), "\xEF\xBF\xBDz");
	assert_string_equal(roundtrip(a, "\xF4\x90\x80\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
	arena_free(a);
}

/* every string of random bytes still parses, and valid ones come back unchanged */
static void test_random_bytes(void **state)
{
	(void)state;
	struct arena *a = arena_new();
	uint32_t x = 2463534242u;
	const unsigned char pool[] = {'a', '"', '\\', 0x01, 0x1f, 0x7f, 0x80, 0xBF, 0xC2, 0xE5, 0xED, 0xF0, 0xF4, 0xFF, 0x9F};
	for (int n = 0; n < 20000; n++) {
		char s[16];
		size_t len = 0;
		for (; len < sizeof s - 1; len++) {
			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			if (x % 9 == 0)
				break;
			s[len] = (char)pool[x % sizeof pool];
		}
		s[len] = '\0';
		const char *out = roundtrip(a, s);
		json_t *check = json_string(s); /* jansson accepts exactly the valid UTF-8 */
		if (check)
			assert_string_equal(out, s);
		json_decref(check);
	}
	arena_free(a);
}

/* a real is written with the bytes jansson's dump gives it */
static void test_reals(void **state)
{
	(void)state;
	const double v[] = {31.18, 31.130037, 121.44, 0.0, -0.5, 1.0, 3.0, 1e20, 1e-7, -2.5e-300, 123456789012.0, 0.1};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		struct arena *a = arena_new();
		struct jsonw w;
		jw_init(&w, a, 16);
		jw_real(&w, v[i]);
		json_t *j = json_real(v[i]);
		char *t = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
		assert_string_equal(w.buf, t);
		free(t);
		json_decref(j);
		arena_free(a);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_random_bytes),
		cmocka_unit_test(test_reals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
