/* test_date.c: calendar arithmetic (src/core/date.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/date.h"

static struct date D(const char *s)
{
	struct date d = {0, 0, 0};
	assert_true(date_parse(s, &d));
	return d;
}

static void expect(struct date d, const char *want)
{
	char buf[11];
	date_format(d, buf);
	assert_string_equal(buf, want);
}

static void test_R_DEV_03_29_feb_plus_one_year_is_28_feb(void **state)
{
	(void)state;
	expect(date_add_years(D("2024-02-29"), 1), "2025-02-28");
	expect(date_add_years(D("2024-02-29"), 4), "2028-02-29");
	expect(date_add_years(D("2023-03-01"), 1), "2024-03-01");
}

static void test_month_clamping(void **state)
{
	(void)state;
	expect(date_add_months(D("2025-01-31"), 1), "2025-02-28");
	expect(date_add_months(D("2024-01-31"), 1), "2024-02-29");
	expect(date_add_months(D("2025-03-31"), -1), "2025-02-28");
	expect(date_add_months(D("2025-12-15"), 1), "2026-01-15");
	expect(date_add_months(D("2025-01-15"), -13), "2023-12-15");
	expect(date_add_months(D("2025-05-31"), 6), "2025-11-30");
}

static void test_days_round_trip(void **state)
{
	(void)state;
	assert_int_equal(date_to_days(D("1970-01-01")), 0);
	assert_int_equal(date_to_days(D("2000-03-01")), 11017);
	assert_int_equal(date_to_days(D("1969-12-31")), -1);
	for (int64_t z = date_to_days(D("1900-01-01")); z <= date_to_days(D("2199-12-31")); z += 7) {
		struct date d = date_from_days(z);
		assert_int_equal(date_to_days(d), z);
		assert_true(d.d >= 1 && d.d <= date_month_days(d.y, d.m));
	}
}

static void test_parse_refuses_unreal_dates(void **state)
{
	(void)state;
	const char *bad[] = {"2025-02-29", "2100-02-29", "2025-13-01", "2025-00-10", "2025-04-31", "2025-1-01",
			     "2025-01-01 ", "25-01-01", "2025/01/01", "1899-12-31", "2200-01-01", "", "２０２５-01-01"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_false(date_valid(bad[i]));
	assert_false(date_valid(NULL));
	assert_true(date_valid("2000-02-29"));
	assert_true(date_valid("1900-01-01"));
	assert_true(date_valid("2199-12-31"));
}

static void test_years_between_is_age(void **state)
{
	(void)state;
	assert_int_equal(date_years_between(D("2000-06-15"), D("2025-06-14")), 24);
	assert_int_equal(date_years_between(D("2000-06-15"), D("2025-06-15")), 25);
	assert_int_equal(date_years_between(D("2004-02-29"), D("2025-02-28")), 20);
	assert_int_equal(date_years_between(D("2004-02-29"), D("2025-03-01")), 21);
	assert_true(date_cmp(D("2025-01-02"), D("2025-01-01")) > 0);
	assert_int_equal(date_cmp(D("2025-01-02"), D("2025-01-02")), 0);
	assert_true(date_is_leap(2000));
	assert_false(date_is_leap(1900));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_R_DEV_03_29_feb_plus_one_year_is_28_feb),
		cmocka_unit_test(test_month_clamping),
		cmocka_unit_test(test_days_round_trip),
		cmocka_unit_test(test_parse_refuses_unreal_dates),
		cmocka_unit_test(test_years_between_is_age),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
