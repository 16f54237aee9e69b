/* clock.c: see clock.h. */
#include "core/clock.h"
#include <stdatomic.h>
#include <time.h>

static _Atomic int64_t offset;

int64_t clock_now(void)
{
	return (int64_t)time(NULL) + atomic_load(&offset);
}

double clock_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void clock_set_offset(int64_t seconds)
{
	atomic_store(&offset, seconds);
}

int64_t clock_get_offset(void)
{
	return atomic_load(&offset);
}

void clock_today(char buf[11])
{
	/* China has one time zone and no DST: UTC+8 without consulting TZ files. */
	time_t t = (time_t)(clock_now() + 8 * 3600);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, 11, "%Y-%m-%d", &tm);
}

void clock_rfc3339(int64_t t, char buf[21])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
