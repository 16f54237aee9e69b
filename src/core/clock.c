/* clock.c: see clock.h. */
#include "core/clock.h"
#include "core/date.h"
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

static void put2(char *b, int v)
{
	b[0] = (char)('0' + v / 10);
	b[1] = (char)('0' + v % 10);
}

void clock_rfc3339(int64_t t, char buf[21])
{
	/* years 1000 … 9999 by arithmetic (a list of 200 rows writes 600 of these: gmtime_r
	 * and strftime were a tenth of its CPU); the rest as before (strftime's %Y does not
	 * pad a year below 1000) */
	if (t >= -30610224000LL && t <= 253402300799LL) {
		int64_t days = (t >= 0 ? t : t - 86399) / 86400, s = t - days * 86400;
		struct date d = date_from_days(days);
		put2(buf, d.y / 100);
		put2(buf + 2, d.y % 100);
		buf[4] = '-';
		put2(buf + 5, d.m);
		buf[7] = '-';
		put2(buf + 8, d.d);
		buf[10] = 'T';
		put2(buf + 11, (int)(s / 3600));
		buf[13] = ':';
		put2(buf + 14, (int)(s / 60 % 60));
		buf[16] = ':';
		put2(buf + 17, (int)(s % 60));
		buf[19] = 'Z';
		buf[20] = '\0';
		return;
	}
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
