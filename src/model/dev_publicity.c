/* dev_publicity.c: see dev_publicity.h. */
#include "model/dev_publicity.h"
#include "model/workday.h"

enum dpub_stmt { STMT_DPUB_SET, DPUB_STMT__MAX };
static const struct db_sql dpub_sql[DPUB_STMT__MAX] = {
	[STMT_DPUB_SET] = {"dev_publicity.set",
	 "INSERT INTO dev_publicity (applicant_id, step, start_on, end_on, workdays, created_by, created_at)"
	 " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (applicant_id, step) DO UPDATE SET start_on = excluded.start_on,"
	 " end_on = excluded.end_on, workdays = excluded.workdays, created_by = excluded.created_by,"
	 " created_at = excluded.created_at"},
};
DB_SQL_TABLE(dev_publicity, dpub_sql);

enum db_rc dev_publicity_set(struct db *db, int64_t applicant, int step, struct date start, int workdays, int64_t by,
			     int64_t now, struct date *end)
{
	enum db_rc rc = workday_span_end(db, start, workdays, end);
	if (rc != DB_OK)
		return rc;
	struct db_stmt *st = db_prepare(db, &dpub_sql[STMT_DPUB_SET]);
	if (!st)
		return DB_ERROR;
	char s[11], e[11];
	date_format(start, s);
	date_format(*end, e);
	db_bind_int(st, 1, applicant);
	db_bind_int(st, 2, step);
	db_bind_text(st, 3, s, -1);
	db_bind_text(st, 4, e, -1);
	db_bind_int(st, 5, workdays);
	db_bind_opt_id(st, 6, by);
	db_bind_int(st, 7, now);
	rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc == DB_ROW ? DB_OK : rc;
}
