/* test_clock.c: clock_rfc3339 (src/core/clock.c) writes what gmtime_r and strftime
 * wrote before its arithmetic path, over the years 0000 … 9999 and either side (below
 * 1000 strftime's own, unpadded). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"

static void reference(int64_t t, char buf[21])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void same(int64_t t)
{
	char want[21], got[21];
	reference(t, want);
	clock_rfc3339(t, got);
	if (strcmp(want, got) != 0)
		fail_msg("t = %lld: %s, want %s", (long long)t, got, want);
}

static void test_fixed_instants(void **state)
{
	(void)state;
	char b[21];
	clock_rfc3339(0, b);
	assert_string_equal(b, "1970-01-01T00:00:00Z");
	clock_rfc3339(1796169600, b);
	assert_string_equal(b, "2026-12-02T00:00:00Z");
	clock_rfc3339(951782399, b); /* the last second of 2000-02-28 */
	assert_string_equal(b, "2000-02-28T23:59:59Z");
	clock_rfc3339(951868800, b);
	assert_string_equal(b, "2000-03-01T00:00:00Z");
	clock_rfc3339(-1, b);
	assert_string_equal(b, "1969-12-31T23:59:59Z");
	clock_rfc3339(253402300799LL, b);
	assert_string_equal(b, "9999-12-31T23:59:59Z");
	clock_rfc3339(-30610224000LL, b);
	assert_string_equal(b, "1000-01-01T00:00:00Z");
}

static void test_as_strftime(void **state)
{
	(void)state;
	/* every day boundary ±1 s over 1900 … 2100, and pseudo-random instants in the range */
	for (int64_t t = -2208988800LL; t < 4102444800LL; t += 86400) {
		same(t - 1);
		same(t);
		same(t + 43261);
	}
	uint64_t x = 88172645463325252ULL;
	for (int i = 0; i < 200000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		same((int64_t)(x % 315537897600ULL) - 62167219200LL);
	}
	same(-62167219201LL); /* outside: strftime's own */
	same(253402300800LL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed_instants),
		cmocka_unit_test(test_as_strftime),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
