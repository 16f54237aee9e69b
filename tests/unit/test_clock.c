/* test_clock.c: clock_rfc3339 (src/core/clock.c) writes what gmtime_r + strftime write. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "core/clock.h"

static void expect_strftime(int64_t t)
{
	char want[32], got[21];
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%SZ", &tm);
	clock_rfc3339(t, got);
	assert_string_equal(got, want);
}

static void test_rfc3339_is_strftimes(void **state)
{
	(void)state;
	static const int64_t fixed[] = {0, 1, 59, 60, 86399, 86400, 951782400 /* 2000-02-29 */, 951868800,
					1709164800 /* 2024-02-29 */, 4107542400 /* 2100-03-01 */, 253402300799};
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		expect_strftime(fixed[i]);
	/* every day of 1970..2200 at a second that walks the clock */
	for (int64_t t = 0; t < 7300000000; t += 86400 + 3607)
		expect_strftime(t);
	char buf[21];
	clock_rfc3339(1764633600, buf);
	assert_string_equal(buf, "2025-12-02T00:00:00Z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc3339_is_strftimes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
