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

/* n as exactly w decimal digits at p */
static void digits(char *p, int64_t n, int w)
{
	for (int i = w - 1; i >= 0; i--, n /= 10)
		p[i] = (char)('0' + n % 10);
}

void clock_rfc3339(int64_t t, char buf[21])
{
	/* years 1970..9999 by the civil calendar directly (H. Hinnant's days_to_civil):
	 * gmtime_r + strftime were a tenth of a list page's CPU (four instants a row) */
	if (t < 0 || t > 253402300799) {
		time_t tt = (time_t)t;
		struct tm tm;
		gmtime_r(&tt, &tm);
		strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
		return;
	}
	int64_t days = t / 86400, secs = t % 86400;
	int64_t z = days + 719468, era = z / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
	int64_t y = yoe + era * 400 + (m <= 2);
	digits(buf, y, 4);
	buf[4] = '-';
	digits(buf + 5, m, 2);
	buf[7] = '-';
	digits(buf + 8, d, 2);
	buf[10] = 'T';
	digits(buf + 11, secs / 3600, 2);
	buf[13] = ':';
	digits(buf + 14, secs / 60 % 60, 2);
	buf[16] = ':';
	digits(buf + 17, secs % 60, 2);
	buf[19] = 'Z';
	buf[20] = '\0';
}
