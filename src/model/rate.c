/* rate.c: the per-key window counters (see rate.h). */
#include "model/rate.h"

enum rate_stmt { STMT_RATE_HIT, STMT_RATE_PRUNE, RATE_STMT__MAX };

static const struct db_sql rate_sql[RATE_STMT__MAX] = {
	[STMT_RATE_HIT] = {"rate.hit",
	 "INSERT INTO svc_rate (bucket, win, n) VALUES ($1, $2, 1) ON CONFLICT (bucket, win) DO UPDATE SET n = svc_rate.n + 1"
	 " RETURNING n"},
	[STMT_RATE_PRUNE] = {"rate.prune", "DELETE FROM svc_rate WHERE win < $1"},
};
DB_SQL_TABLE(rate, rate_sql);

#define RATE_KEEP (2 * 86400)

enum db_rc rate_hit(struct db *db, const char *key, int64_t span, int64_t now, int64_t *n)
{
	int64_t win = now - now % span;
	struct db_stmt *st = db_prepare(db, &rate_sql[STMT_RATE_HIT]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, key, -1);
	db_bind_int(st, 2, win);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		*n = db_col_int(st, DB_COL_ONLY);
		rc = DB_OK;
	} else if (rc == DB_DONE) {
		rc = DB_ERROR;
	}
	db_reset(st);
	if (rc != DB_OK || *n != 1)
		return rc;
	st = db_prepare(db, &rate_sql[STMT_RATE_PRUNE]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, now - RATE_KEEP);
	rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}
