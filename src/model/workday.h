/* workday.h: the working-day calendar (DOMAIN.md §2 R-DEV-15; a shared service, DESIGN.md
 * §7). Monday–Friday work and Saturday/Sunday rest, except the days of the table
 * calendar_days (0060): a statutory holiday ('holiday') rests and a 调休 make-up day
 * ('workday') works. The district administrator maintains the table per year
 * (PUT /api/v1/calendar); a year nobody entered follows the plain week, and
 * workday_year_known says so, for a warning. Everything here reads the table through
 * the caller's connection (inside the caller's transaction). */
#ifndef DJ_WORKDAY_H
#define DJ_WORKDAY_H
#include "core/date.h"
#include "db/db.h"
#include <jansson.h>
#include <stdbool.h>

/* Whether d is a working day, into *out. */
enum db_rc workday_is_workday(struct db *db, struct date d, bool *out);
/* The n-th working day after from (from itself not counted; n ≥ 0, n = 0 gives from),
 * into *out. A 公示 of N working days starting on s ends on workday_add(s − 1 day, N)
 * (workday_span_end). */
enum db_rc workday_add(struct db *db, struct date from, int n, struct date *out);
/* The last day of a period of n working days starting on start (start counts when it is
 * a working day): the end of a 公示 (R-DEV-15). */
enum db_rc workday_span_end(struct db *db, struct date start, int n, struct date *out);
/* The working days from a to b, both included (0 when b < a). */
enum db_rc workday_count(struct db *db, struct date a, struct date b, int *out);
/* Whether the administrator has entered the year's holidays. */
enum db_rc workday_year_known(struct db *db, int year, bool *out);

/* One exception day of a year, as the API carries it. */
struct workday_entry {
	const char *day;  /* YYYY-MM-DD inside the year */
	const char *kind; /* "holiday" or "workday" */
	const char *name; /* 元旦, 春节调休 …; may be "" */
};
/* The year's exception days as API items {day, kind, name, weekday} in date order. */
enum db_rc workday_year_list(struct db *db, int year, json_t *items);
/* Replaces the year's exception days by entries (checked by the caller: inside the year,
 * kinds valid, no day twice) and marks the year known. */
enum db_rc workday_year_replace(struct db *db, int year, const struct workday_entry *e, size_t n, int64_t now);
/* The known years, ascending, as a JSON array of integers. */
enum db_rc workday_years(struct db *db, json_t *years);
/* 1 Monday … 7 Sunday. */
int workday_weekday(struct date d);
#endif
