/* test_collate.c: Chinese name sort keys (src/core/collate.c, issue 20 #13). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/collate.h"

static int cmp(const char *a, const char *b, enum collate_order o)
{
	char ka[COLLATE_KEY_SIZE(50)], kb[COLLATE_KEY_SIZE(50)];
	collate_key(a, o, ka, sizeof ka);
	collate_key(b, o, kb, sizeof kb);
	return strcmp(ka, kb);
}

static void ascending(const char *const *names, size_t n, enum collate_order o)
{
	for (size_t i = 0; i + 1 < n; i++)
		if (cmp(names[i], names[i + 1], o) >= 0)
			fail_msg("%s should sort before %s", names[i], names[i + 1]);
}

static void test_pinyin_surnames(void **state)
{
	(void)state;
	static const char *const names[] = {"阿强", "白雪", "陈明", "李四", "单田芳", "王五", "张三", "赵六"};
	ascending(names, sizeof names / sizeof *names, COLLATE_PINYIN);
	/* 单 as a surname reads Shàn: after 李 (l), before 王 (w); elsewhere dān */
	assert_true(cmp("单田芳", "沈", COLLATE_PINYIN) < 0);
	assert_true(cmp("单田芳", "邵", COLLATE_PINYIN) < 0);
	assert_true(cmp("张单", "张丁", COLLATE_PINYIN) < 0);
	/* a longer name after its prefix; Latin and the 间隔号 before ideographs */
	assert_true(cmp("张", "张三", COLLATE_PINYIN) < 0);
	assert_true(cmp("Anna", "阿", COLLATE_PINYIN) < 0);
	assert_true(cmp("阿不都·热合曼", "阿不都热合曼", COLLATE_PINYIN) < 0);
}

static void test_stroke_order(void **state)
{
	(void)state;
	/* 丁 2, 王 4, 田 5, 李 7, 陈 7, 赵 9, 曾 12 strokes */
	static const char *const names[] = {"丁一", "王五", "田七", "赵六", "曾八"};
	ascending(names, sizeof names / sizeof *names, COLLATE_STROKE);
	assert_true(cmp("王", "李", COLLATE_STROKE) < 0);
	assert_true(cmp("李", "张", COLLATE_PINYIN) < 0);
}

static void test_key_bounds(void **state)
{
	(void)state;
	char k[COLLATE_KEY_SIZE(2)];
	assert_int_equal(collate_key("张三丰", COLLATE_PINYIN, k, sizeof k), 10);
	assert_int_equal(strlen(k), 10);
	assert_int_equal(collate_key("", COLLATE_PINYIN, k, sizeof k), 0);
	assert_int_equal(collate_key(NULL, COLLATE_PINYIN, k, sizeof k), 0);
	/* only the letters A…P, whatever the input (a stray byte is U+FFFD) */
	collate_key("\xff" "a", COLLATE_PINYIN, k, sizeof k);
	assert_int_equal(strspn(k, "ABCDEFGHIJKLMNOP"), strlen(k));
	char big[COLLATE_KEY_SIZE(1)];
	collate_key("\xf0\x9f\x98\x80", COLLATE_PINYIN, big, sizeof big); /* U+1F600 */
	assert_string_equal(big, "CPGAA"); /* 0x2F600: 2 F 6 0 0 as A…P */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pinyin_surnames),
		cmocka_unit_test(test_stroke_order),
		cmocka_unit_test(test_key_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
