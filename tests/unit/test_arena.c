/* test_arena.c: the request arena (src/core/arena.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/arena.h"

static void test_alloc_is_zeroed_and_aligned(void **state)
{
	(void)state;
	struct arena *a = arena_new();
	for (size_t n = 1; n < 5000; n += 37) {
		unsigned char *p = arena_alloc(a, n);
		assert_int_equal((uintptr_t)p % 16, 0);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(p[i], 0);
		memset(p, 0xAB, n);
	}
	arena_free(a);
}

static void test_big_blocks_and_strings(void **state)
{
	(void)state;
	struct arena *a = arena_new();
	char *small = arena_strdup(a, "党建");
	char *big = arena_alloc(a, 1 << 20);
	big[(1 << 20) - 1] = 1;
	char *after = arena_strdup(a, "after");
	assert_string_equal(small, "党建");
	assert_string_equal(after, "after");
	assert_string_equal(arena_strndup(a, "abcdef", 3), "abc");
	assert_string_equal(arena_printf(a, "%s-%d", "x", 42), "x-42");
	assert_null(arena_strdup(a, NULL));
	unsigned char *raw = arena_alloc_raw(a, 100); /* not zeroed, still aligned and usable */
	assert_int_equal((uintptr_t)raw % 16, 0);
	memset(raw, 0x5A, 100);
	assert_true(arena_used(a) >= (1 << 20));
	arena_free(a);
	arena_free(NULL);
}

/* LIKE's own characters match themselves: "100%" finds "100%", not "1000". */
static void test_like_contains_escapes_likes_characters(void **state)
{
	(void)state;
	struct arena *a = arena_new();
	assert_null(arena_like_contains(a, NULL));
	assert_null(arena_like_contains(a, ""));
	assert_string_equal(arena_like_contains(a, "张三"), "%张三%");
	assert_string_equal(arena_like_contains(a, "100%_a\\b"), "%100\\%\\_a\\\\b%");
	arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc_is_zeroed_and_aligned),
		cmocka_unit_test(test_big_blocks_and_strings),
		cmocka_unit_test(test_like_contains_escapes_likes_characters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
