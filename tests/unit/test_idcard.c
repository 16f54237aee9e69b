/* test_idcard.c: ID numbers per DOMAIN.md §8.5 (src/core/idcard.c) and the masks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/idcard.h"
#include "core/prng.h"

static const struct date today = {2026, 11, 29};

static void test_id_worked_example_checksum_X(void **state)
{
	(void)state;
	struct idcard c;
	/* S = 167, 167 mod 11 = 2 → X */
	assert_int_equal(idcard_check_char("11010519491231002"), 'X');
	assert_int_equal(idcard_parse("11010519491231002X", today, &c), IDCARD_OK);
	assert_string_equal(c.number, "11010519491231002X");
	assert_int_equal(c.birth.y, 1949);
	assert_int_equal(c.birth.m, 12);
	assert_int_equal(c.birth.d, 31);
	assert_int_equal(c.sex, 2); /* sequence 002: even → female */
	assert_false(c.upgraded);
	assert_true(c.area_known);
}

static void test_id_lower_x_normalized_and_spaces(void **state)
{
	(void)state;
	struct idcard c;
	assert_int_equal(idcard_parse("  11010519491231002x ", today, &c), IDCARD_OK);
	assert_string_equal(c.number, "11010519491231002X");
}

static void test_id_checksum_wrong(void **state)
{
	(void)state;
	assert_int_equal(idcard_parse("110105194912310021", today, NULL), IDCARD_CHECKSUM);
	assert_string_equal(idcard_err_code(IDCARD_CHECKSUM), "id_checksum");
}

static void test_id_format(void **state)
{
	(void)state;
	assert_int_equal(idcard_parse("", today, NULL), IDCARD_FORMAT);
	assert_int_equal(idcard_parse(NULL, today, NULL), IDCARD_FORMAT);
	assert_int_equal(idcard_parse("1101051949123100", today, NULL), IDCARD_FORMAT);
	assert_int_equal(idcard_parse("11010519491231002Y", today, NULL), IDCARD_FORMAT);
	assert_int_equal(idcard_parse("X1010519491231002X", today, NULL), IDCARD_FORMAT);
	assert_int_equal(idcard_parse("1101051949123100X2", today, NULL), IDCARD_FORMAT);
	assert_int_equal(idcard_parse("11010549123100X", today, NULL), IDCARD_FORMAT);
}

static void test_id_real_date(void **state)
{
	(void)state;
	char n[19];
	memcpy(n, "11010519490230002", 17); /* 30 Feb */
	n[17] = idcard_check_char(n);
	n[18] = 0;
	assert_int_equal(idcard_parse(n, today, NULL), IDCARD_DATE);
	memcpy(n, "11010519491301002", 17); /* month 13 */
	n[17] = idcard_check_char(n);
	assert_int_equal(idcard_parse(n, today, NULL), IDCARD_DATE);
	/* 29 Feb only in leap years */
	memcpy(n, "11010520000229002", 17);
	n[17] = idcard_check_char(n);
	assert_int_equal(idcard_parse(n, today, NULL), IDCARD_OK);
	memcpy(n, "11010519000229002", 17);
	n[17] = idcard_check_char(n);
	assert_int_equal(idcard_parse(n, today, NULL), IDCARD_DATE);
}

static void test_id_not_in_future(void **state)
{
	(void)state;
	char n[19];
	idcard_make("110105", (struct date){2026, 11, 30}, 11, n);
	assert_int_equal(idcard_parse(n, today, NULL), IDCARD_FUTURE);
	idcard_make("110105", (struct date){2026, 11, 29}, 11, n);
	assert_int_equal(idcard_parse(n, today, NULL), IDCARD_OK);
}

static void test_id_sex_from_sequence_parity(void **state)
{
	(void)state;
	struct idcard c;
	char n[19];
	idcard_make("310101", (struct date){1980, 5, 17}, 123, n);
	assert_int_equal(idcard_parse(n, today, &c), IDCARD_OK);
	assert_int_equal(c.sex, 1);
	idcard_make("310101", (struct date){1980, 5, 17}, 124, n);
	assert_int_equal(idcard_parse(n, today, &c), IDCARD_OK);
	assert_int_equal(c.sex, 2);
}

static void test_id_15_digit_upgrade(void **state)
{
	(void)state;
	struct idcard c;
	/* 110105491231002 → 110105 19 491231 002 + check X */
	assert_int_equal(idcard_parse("110105491231002", today, &c), IDCARD_OK);
	assert_string_equal(c.number, "11010519491231002X");
	assert_true(c.upgraded);
	assert_int_equal(c.birth.y, 1949);
	assert_int_equal(idcard_parse("110105491331002", today, NULL), IDCARD_DATE);
}

static void test_id_unknown_area_is_only_a_warning(void **state)
{
	(void)state;
	struct idcard c;
	char n[19];
	idcard_make("990101", (struct date){1990, 1, 1}, 7, n);
	assert_int_equal(idcard_parse(n, today, &c), IDCARD_OK);
	assert_false(c.area_known);
}

static void test_id_make_roundtrip_random(void **state)
{
	(void)state;
	struct prng p;
	prng_seed(&p, 42);
	for (int i = 0; i < 10000; i++) {
		struct date b = {(int)prng_range(&p, 1920, 2008), (int)prng_range(&p, 1, 12), 1};
		b.d = (int)prng_range(&p, 1, date_month_days(b.y, b.m));
		char n[19];
		int seq = (int)prng_range(&p, 0, 999);
		idcard_make("440305", b, seq, n);
		struct idcard c;
		assert_int_equal(idcard_parse(n, today, &c), IDCARD_OK);
		assert_int_equal(date_cmp(c.birth, b), 0);
		assert_int_equal(c.sex, seq % 2 ? 1 : 2);
		/* any single-digit change of the first 17 breaks the check or the date */
		int pos = (int)prng_range(&p, 0, 16);
		n[pos] = (char)('0' + (n[pos] - '0' + 1 + (int)prng_range(&p, 0, 8)) % 10);
		assert_int_not_equal(idcard_parse(n, today, NULL), IDCARD_OK);
	}
}

static void test_S3_masks(void **state)
{
	(void)state;
	char b[19], m[12];
	idcard_mask("11010519491231002X", b);
	assert_string_equal(b, "110105********002X");
	idcard_mask("123", b);
	assert_string_equal(b, "***");
	mobile_mask("13812345678", m);
	assert_string_equal(m, "138****5678");
	mobile_mask("12", m);
	assert_string_equal(m, "**");
	assert_true(mobile_valid("13812345678"));
	assert_false(mobile_valid("12812345678"));
	assert_false(mobile_valid("1381234567"));
	assert_false(mobile_valid("1381234567a"));
}

static void test_prng_deterministic(void **state)
{
	(void)state;
	struct prng a, b;
	prng_seed(&a, 7);
	prng_seed(&b, 7);
	for (int i = 0; i < 1000; i++)
		assert_true(prng_next(&a) == prng_next(&b));
	prng_seed(&b, 8);
	assert_true(prng_next(&a) != prng_next(&b));
	for (int i = 0; i < 1000; i++) {
		int64_t v = prng_range(&a, -3, 3);
		assert_true(v >= -3 && v <= 3);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_worked_example_checksum_X),
		cmocka_unit_test(test_id_lower_x_normalized_and_spaces),
		cmocka_unit_test(test_id_checksum_wrong),
		cmocka_unit_test(test_id_format),
		cmocka_unit_test(test_id_real_date),
		cmocka_unit_test(test_id_not_in_future),
		cmocka_unit_test(test_id_sex_from_sequence_parity),
		cmocka_unit_test(test_id_15_digit_upgrade),
		cmocka_unit_test(test_id_unknown_area_is_only_a_warning),
		cmocka_unit_test(test_id_make_roundtrip_random),
		cmocka_unit_test(test_S3_masks),
		cmocka_unit_test(test_prng_deterministic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
