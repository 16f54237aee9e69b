/* date.h: calendar dates as ISO text (YYYY-MM-DD) and as day numbers. The domain's
 * rules count calendar months and years (DOMAIN.md R-DEV-03: 29 Feb + 1 year = 28 Feb). */
#ifndef DJ_DATE_H
#define DJ_DATE_H
#include <stdbool.h>
#include <stdint.h>

struct date {
	int y, m, d;
};

/* Parses exactly YYYY-MM-DD of a real date (1900..2199). */
bool date_parse(const char *s, struct date *out);
bool date_valid(const char *s);
/* Writes YYYY-MM-DD into buf[11]. */
void date_format(struct date d, char buf[11]);
/* Days since 1970-01-01 (may be negative) and back. */
int64_t date_to_days(struct date d);
/* An instant as a filter gives it: unix seconds, YYYY-MM-DD (the day's first second in
 * UTC, or its last when end_of_day) or YYYY-MM-DDTHH:MM:SS[.fff]Z. False when malformed. */
bool date_parse_instant(const char *v, bool end_of_day, int64_t *out);
struct date date_from_days(int64_t days);
/* Adds calendar months (negative allowed); the day is clamped to the month's end. */
struct date date_add_months(struct date d, int months);
/* Adds calendar years; 29 Feb becomes 28 Feb in a common year. */
struct date date_add_years(struct date d, int years);
/* Whole years from a to b (age on b of someone born on a); negative if b < a. */
int date_years_between(struct date a, struct date b);
/* <0, 0, >0 like strcmp. */
int date_cmp(struct date a, struct date b);
bool date_is_leap(int y);
int date_month_days(int y, int m);
#endif
