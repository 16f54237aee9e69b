/* workday.c: the working-day calendar's SQL and arithmetic (see workday.h). A look-up
 * reads the exceptions of a window of days in one statement and walks the window in C;
 * a longer walk reads the next window. */
#include "model/workday.h"
#include <string.h>

enum workday_stmt {
	STMT_WORKDAY_RANGE,
	STMT_WORKDAY_YEAR_KNOWN,
	STMT_WORKDAY_YEAR_DELETE,
	STMT_WORKDAY_INSERT,
	STMT_WORKDAY_YEAR_MARK,
	STMT_WORKDAY_YEARS,
	WORKDAY_STMT__MAX
};
/* workday.range's rows */
enum workday_col { WORKDAY_COL_DAY, WORKDAY_COL_KIND, WORKDAY_COL_NAME };

static const struct db_sql workday_sql[WORKDAY_STMT__MAX] = {
	/* the exceptions from $1 to $2 (dates as text sort as dates) */
	[STMT_WORKDAY_RANGE] = {"workday.range",
	 "SELECT day, kind, name FROM calendar_days WHERE day >= $1 AND day <= $2 ORDER BY day"},
	[STMT_WORKDAY_YEAR_KNOWN] = {"workday.year_known", "SELECT COUNT(*) FROM calendar_years WHERE year = $1"},
	[STMT_WORKDAY_YEAR_DELETE] = {"workday.year_delete", "DELETE FROM calendar_days WHERE day >= $1 AND day <= $2"},
	[STMT_WORKDAY_INSERT] = {"workday.insert",
	 "INSERT INTO calendar_days (day, kind, name, updated_at) VALUES ($1, $2, $3, $4)"},
	[STMT_WORKDAY_YEAR_MARK] = {"workday.year_mark",
	 "INSERT INTO calendar_years (year, updated_at) VALUES ($1, $2)"
	 " ON CONFLICT (year) DO UPDATE SET updated_at = excluded.updated_at"},
	[STMT_WORKDAY_YEARS] = {"workday.years", "SELECT year FROM calendar_years ORDER BY year"},
};
DB_SQL_TABLE(workday, workday_sql);

int workday_weekday(struct date d)
{
	/* 1970-01-01 was a Thursday (4) */
	int64_t k = date_to_days(d);
	int w = (int)(((k % 7) + 7 + 3) % 7); /* 0 Monday */
	return w + 1;
}

#define WINDOW 64 /* days read per statement */

/* The kinds of the WINDOW days from first: 'h', 'w' or 0 (plain week). */
static enum db_rc read_window(struct db *db, struct date first, char kinds[WINDOW])
{
	memset(kinds, 0, WINDOW);
	int64_t k0 = date_to_days(first);
	char a[11], b[11];
	date_format(first, a);
	date_format(date_from_days(k0 + WINDOW - 1), b);
	struct db_stmt *st = db_prepare(db, &workday_sql[STMT_WORKDAY_RANGE]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, a, -1);
	db_bind_text(st, 2, b, -1);
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW) {
		struct date d;
		const char *day = db_col_text(st, WORKDAY_COL_DAY), *kind = db_col_text(st, WORKDAY_COL_KIND);
		if (day && kind && date_parse(day, &d)) {
			int64_t i = date_to_days(d) - k0;
			if (i >= 0 && i < WINDOW)
				kinds[i] = kind[0] == 'h' ? 'h' : 'w';
		}
	}
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

static bool works(struct date d, char kind)
{
	if (kind == 'h')
		return false;
	if (kind == 'w')
		return true;
	return workday_weekday(d) <= 5;
}

enum db_rc workday_is_workday(struct db *db, struct date d, bool *out)
{
	char kinds[WINDOW];
	enum db_rc rc = read_window(db, d, kinds);
	if (rc == DB_OK)
		*out = works(d, kinds[0]);
	return rc;
}

enum db_rc workday_add(struct db *db, struct date from, int n, struct date *out)
{
	int64_t k = date_to_days(from);
	if (n <= 0) {
		*out = from;
		return DB_OK;
	}
	/* no real calendar rests for more than a few weeks: 50 windows is a broken table */
	for (int w = 0; w < 50; w++) {
		char kinds[WINDOW];
		struct date first = date_from_days(k + 1);
		enum db_rc rc = read_window(db, first, kinds);
		if (rc != DB_OK)
			return rc;
		for (int i = 0; i < WINDOW; i++) {
			struct date d = date_from_days(k + 1 + i);
			if (works(d, kinds[i]) && --n == 0) {
				*out = d;
				return DB_OK;
			}
		}
		k += WINDOW;
	}
	return DB_ERROR;
}

enum db_rc workday_span_end(struct db *db, struct date start, int n, struct date *out)
{
	return workday_add(db, date_from_days(date_to_days(start) - 1), n, out);
}

enum db_rc workday_count(struct db *db, struct date a, struct date b, int *out)
{
	int64_t k = date_to_days(a), kb = date_to_days(b);
	int n = 0;
	while (k <= kb) {
		char kinds[WINDOW];
		enum db_rc rc = read_window(db, date_from_days(k), kinds);
		if (rc != DB_OK)
			return rc;
		for (int i = 0; i < WINDOW && k + i <= kb; i++)
			n += works(date_from_days(k + i), kinds[i]);
		k += WINDOW;
	}
	*out = n;
	return DB_OK;
}

enum db_rc workday_year_known(struct db *db, int year, bool *out)
{
	struct db_stmt *st = db_prepare(db, &workday_sql[STMT_WORKDAY_YEAR_KNOWN]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, year);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		*out = db_col_int(st, DB_COL_ONLY) > 0;
		rc = DB_OK;
	}
	db_reset(st);
	return rc;
}

static void year_bounds(int year, char a[11], char b[11])
{
	date_format((struct date){year, 1, 1}, a);
	date_format((struct date){year, 12, 31}, b);
}

enum db_rc workday_year_list(struct db *db, int year, json_t *items)
{
	char a[11], b[11];
	year_bounds(year, a, b);
	struct db_stmt *st = db_prepare(db, &workday_sql[STMT_WORKDAY_RANGE]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, a, -1);
	db_bind_text(st, 2, b, -1);
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW) {
		struct date d;
		const char *day = db_col_text(st, WORKDAY_COL_DAY);
		int wd = day && date_parse(day, &d) ? workday_weekday(d) : 0;
		json_array_append_new(items, json_pack("{s:s, s:s, s:s, s:i}", "day", day ? day : "", "kind",
						       db_col_text(st, WORKDAY_COL_KIND), "name",
						       db_col_text(st, WORKDAY_COL_NAME) ? db_col_text(st, WORKDAY_COL_NAME) : "",
						       "weekday", wd));
	}
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

enum db_rc workday_year_replace(struct db *db, int year, const struct workday_entry *e, size_t n, int64_t now)
{
	char a[11], b[11];
	year_bounds(year, a, b);
	struct db_stmt *st = db_prepare(db, &workday_sql[STMT_WORKDAY_YEAR_DELETE]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, a, -1);
	db_bind_text(st, 2, b, -1);
	enum db_rc rc = db_step(st);
	db_reset(st);
	if (rc != DB_DONE)
		return rc == DB_ROW ? DB_ERROR : rc;
	for (size_t i = 0; i < n; i++) {
		st = db_prepare(db, &workday_sql[STMT_WORKDAY_INSERT]);
		if (!st)
			return DB_ERROR;
		db_bind_text(st, 1, e[i].day, -1);
		db_bind_text(st, 2, e[i].kind, -1);
		db_bind_text(st, 3, e[i].name ? e[i].name : "", -1);
		db_bind_int(st, 4, now);
		rc = db_step(st);
		db_reset(st);
		if (rc != DB_DONE)
			return rc == DB_ROW ? DB_ERROR : rc;
	}
	st = db_prepare(db, &workday_sql[STMT_WORKDAY_YEAR_MARK]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, year);
	db_bind_int(st, 2, now);
	rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc == DB_ROW ? DB_ERROR : rc;
}

enum db_rc workday_years(struct db *db, json_t *years)
{
	struct db_stmt *st = db_prepare(db, &workday_sql[STMT_WORKDAY_YEARS]);
	if (!st)
		return DB_ERROR;
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW)
		json_array_append_new(years, json_integer(db_col_int(st, DB_COL_ONLY)));
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}
