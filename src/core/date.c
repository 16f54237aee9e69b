/* date.c: see date.h. Proleptic Gregorian, civil-from-days after H. Hinnant. */
#include "core/date.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool date_is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int date_month_days(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (m < 1 || m > 12)
		return 0;
	return m == 2 && date_is_leap(y) ? 29 : days[m - 1];
}

bool date_parse(const char *s, struct date *out)
{
	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	struct date d;
	d.y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	d.m = (s[5] - '0') * 10 + (s[6] - '0');
	d.d = (s[8] - '0') * 10 + (s[9] - '0');
	if (d.y < 1900 || d.y > 2199 || d.m < 1 || d.m > 12 || d.d < 1 || d.d > date_month_days(d.y, d.m))
		return false;
	if (out)
		*out = d;
	return true;
}

bool date_valid(const char *s)
{
	return date_parse(s, NULL);
}

void date_format(struct date d, char buf[11])
{
	unsigned y = (unsigned)d.y % 10000u, m = (unsigned)d.m % 100u, dd = (unsigned)d.d % 100u;
	buf[0] = (char)('0' + y / 1000);
	buf[1] = (char)('0' + y / 100 % 10);
	buf[2] = (char)('0' + y / 10 % 10);
	buf[3] = (char)('0' + y % 10);
	buf[4] = '-';
	buf[5] = (char)('0' + m / 10);
	buf[6] = (char)('0' + m % 10);
	buf[7] = '-';
	buf[8] = (char)('0' + dd / 10);
	buf[9] = (char)('0' + dd % 10);
	buf[10] = 0;
}

int64_t date_to_days(struct date dt)
{
	int64_t y = dt.y - (dt.m <= 2);
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (dt.m + (dt.m > 2 ? -3 : 9)) + 2) / 5 + dt.d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

struct date date_from_days(int64_t z)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = yoe + era * 400;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1;
	int64_t m = mp < 10 ? mp + 3 : mp - 9;
	struct date r = {(int)(y + (m <= 2)), (int)m, (int)d};
	return r;
}

struct date date_add_months(struct date d, int months)
{
	int total = d.y * 12 + (d.m - 1) + months;
	struct date r;
	r.y = total / 12;
	r.m = total % 12 + 1;
	int md = date_month_days(r.y, r.m);
	r.d = d.d > md ? md : d.d;
	return r;
}

struct date date_add_years(struct date d, int years)
{
	return date_add_months(d, years * 12);
}

int date_cmp(struct date a, struct date b)
{
	if (a.y != b.y)
		return a.y < b.y ? -1 : 1;
	if (a.m != b.m)
		return a.m < b.m ? -1 : 1;
	if (a.d != b.d)
		return a.d < b.d ? -1 : 1;
	return 0;
}

int date_years_between(struct date a, struct date b)
{
	int years = b.y - a.y;
	if (b.m < a.m || (b.m == a.m && b.d < a.d))
		years--;
	return years;
}

bool date_parse_instant(const char *v, bool end_of_day, int64_t *out)
{
	char *end;
	long long n = strtoll(v, &end, 10);
	if (!*end && n > 0) {
		*out = n;
		return true;
	}
	size_t len = strlen(v);
	char day[11];
	struct date d;
	if (len < 10)
		return false;
	memcpy(day, v, 10);
	day[10] = 0;
	if (!date_parse(day, &d))
		return false;
	int64_t t = date_to_days(d) * 86400;
	if (len == 10) {
		*out = end_of_day ? t + 86399 : t;
		return true;
	}
	/* HH:MM:SS, an optional fraction (what Date.toISOString sends), then Z */
	int hh, mm, ss, used = 0;
	if (len < 20 || v[10] != 'T' || sscanf(v + 11, "%2d:%2d:%2d%n", &hh, &mm, &ss, &used) != 3 || used != 8 ||
	    hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60)
		return false;
	const char *p = v + 19;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	if (p[0] != 'Z' || p[1] != 0)
		return false;
	*out = t + hh * 3600 + mm * 60 + ss;
	return true;
}
