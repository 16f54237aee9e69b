/* import_stage.c: the staging tables of an import (sql/sqlite/0051_import_stage.sql) and
 * the move of a committed import into members. Nothing here holds the write lock for
 * more than one batch: the move is a batch per transaction, the last of which deletes
 * the commit point and lets the caller mark the job done (S18, S24). What does not
 * belong here: reading the file (import_rows.c) and deciding what to stage (import.c). */
#include "config.h"
#include "core/clock.h"
#include "core/log.h"
#include "model/import_internal.h"
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* members.insert's columns (0020, 0052, 0114), in the order member_bind_sealed binds them */
#define STAGE_COLS                                                                                              \
	"org_id, org_path, group_org_id, name, former_name, sex, birth_date, id_cipher, id_blind, mobile_cipher,"   \
	" mobile_blind, ethnicity, native_place, address, grid_id, building_id, education, degree, work_unit,"     \
	" unit_type, two_new, post, category, party_status, state, party_post, joined_on, confirmed_on,"           \
	" introducers, dues_base, dues_paid_to, tags, created_at, updated_at, stats_key, id_masked, mobile_masked,"     \
	" name_pinyin, name_strokes"

enum stage_stmt {
	STMT_STAGE_STAGE,
	STMT_STAGE_COMMIT,
	STMT_STAGE_PENDING,
	STMT_STAGE_LAST_SEQ,
	STMT_STAGE_MOVE,
	STMT_STAGE_DELETE,
	STMT_STAGE_ADVANCE,
	STMT_STAGE_DONE,
	STMT_STAGE_ORPHANS,
	STAGE_STMT__MAX
};
/* import_stage.pending's row */
enum stage_pending_col { STAGE_PENDING_COL_NEXT_SEQ, STAGE_PENDING_COL_RESULT };

static const struct db_sql stage_sql[STAGE_STMT__MAX] = {
	[STMT_STAGE_STAGE] = {"import_stage.insert",
	 "INSERT INTO import_stage (job_id, seq, " STAGE_COLS ")"
	 " VALUES ($39, $40, $1, $38, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,"
	 " $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $32, $33, $34, $35, $36, $37)"},
	[STMT_STAGE_COMMIT] = {"import_stage.commit", "INSERT INTO import_publish (job_id, org_id, next_seq, result) VALUES ($1, $2, 0, $3)"},
	[STMT_STAGE_PENDING] = {"import_stage.pending", "SELECT next_seq, result FROM import_publish WHERE job_id = $1"},
	[STMT_STAGE_LAST_SEQ] = {"import_stage.last_seq", "SELECT COALESCE(MAX(seq), -1) FROM import_stage WHERE job_id = $1"},
	[STMT_STAGE_MOVE] = {"import_stage.move",
	 "INSERT INTO members (" STAGE_COLS ") SELECT s.org_id, COALESCE(o.path, s.org_path), s.group_org_id, s.name, s.former_name, s.sex,"
	 " s.birth_date, s.id_cipher, s.id_blind, s.mobile_cipher, s.mobile_blind, s.ethnicity,"
	 " s.native_place, s.address, s.grid_id, s.building_id, s.education, s.degree, s.work_unit,"
	 " s.unit_type, s.two_new, s.post, s.category, s.party_status, s.state, s.party_post, s.joined_on,"
	 " s.confirmed_on, s.introducers, s.dues_base, s.dues_paid_to, s.tags, s.created_at, s.updated_at,"
	 " s.stats_key, s.id_masked, s.mobile_masked, s.name_pinyin, s.name_strokes"
	 " FROM import_stage s LEFT JOIN orgs o ON o.id = s.org_id" /* the path as it is now */
	 " WHERE s.job_id = $1 AND s.seq >= $2 AND s.seq < $3 ORDER BY s.seq"},
	[STMT_STAGE_DELETE] = {"import_stage.delete", "DELETE FROM import_stage WHERE job_id = $1 AND seq >= $2 AND seq < $3"},
	[STMT_STAGE_ADVANCE] = {"import_stage.advance", "UPDATE import_publish SET next_seq = $2 WHERE job_id = $1"},
	[STMT_STAGE_DONE] = {"import_stage.done", "DELETE FROM import_publish WHERE job_id = $1"},
	/* staged rows of finished (or vanished) jobs without a commit point: nobody will
	 * write them again (a job's writes check that it is unfinished, import_hold_fn) */
	[STMT_STAGE_ORPHANS] = {"import_stage.orphans",
	 "SELECT DISTINCT s.job_id FROM import_stage s WHERE s.job_id NOT IN (SELECT job_id FROM import_publish)"
	 " AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = s.job_id AND j.status IN ('queued', 'running'))"},
};
DB_SQL_TABLE(import_stage, stage_sql);

static enum db_rc step_done(struct db_stmt *st)
{
	enum db_rc rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc == DB_ROW ? DB_ERROR : rc;
}

enum db_rc import_stage_row(struct db *db, int64_t job_id, int64_t seq, const struct member_rec *r,
			    const struct member_sealed *s, const char *org_path)
{
	struct db_stmt *st = db_prepare(db, &stage_sql[STMT_STAGE_STAGE]);
	if (!st)
		return DB_ERROR;
	db_bind_nocopy(st); /* r, s and org_path outlive the step */
	member_bind_sealed(st, 0, r, s, r->created_at);
	db_bind_text(st, 38, org_path, -1);
	db_bind_int(st, 39, job_id);
	db_bind_int(st, 40, seq);
	return step_done(st);
}

enum db_rc import_stage_commit(struct db *db, int64_t job_id, int64_t org_id, const char *result)
{
	struct db_stmt *st = db_prepare(db, &stage_sql[STMT_STAGE_COMMIT]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, job_id);
	db_bind_int(st, 2, org_id);
	db_bind_text(st, 3, result, -1);
	return step_done(st);
}

void import_test_kill(const char *point)
{
	const char *at = cfg.test_mode ? getenv("DJ_TEST_KILL_AT") : NULL;
	if (at && strcmp(at, point) == 0)
		raise(SIGKILL);
}

/* how long the command line's import leaves the lock free after each batch */
#define IMPORT_STAND_ASIDE_MS 3
static bool held_aside = true;

void import_stand_aside_short(void)
{
	held_aside = false;
}

enum db_rc import_tx(struct db *db, bool write, enum db_rc (*fn)(struct db *, void *), void *ctx)
{
	enum db_rc rc = DB_BUSY;
	/* each try waits busy_timeout_ms for the lock; a job may wait minutes, a
	 * request never waits for it */
	for (int attempt = 0; attempt < 120 && rc == DB_BUSY; attempt++) {
		double t0 = clock_mono_ms();
		rc = db_tx_run(db, write, fn, ctx);
		if (rc == DB_BUSY) {
			usleep(50 * 1000);
		} else if (write && held_aside) {
			/* S18: in the server, stand aside as long as the lock was held, so that the
			 * requests' writes (queued first come, first served, db_sqlite.c) find it
			 * free half of the time: at nice 15 on a busy box a batch can hold it for
			 * hundreds of milliseconds, which a request waiting behind every batch would
			 * add to its time */
			double held = clock_mono_ms() - t0;
			usleep((useconds_t)((held < 5 ? 5 : held > 500 ? 500 : held) * 1000));
		} else if (write) {
			/* the command line's import: another process's writers look again every
			 * millisecond (db_sqlite.c's busy handler), so a few milliseconds let one
			 * in; standing aside as long as the lock was held halved the import's speed */
			usleep(IMPORT_STAND_ASIDE_MS * 1000);
		}
	}
	return rc;
}

/* One batch of the move, in its transaction. */
struct move {
	int64_t job_id, from, to, last; /* rows [from, to) of 0 … last */
	const char *result;
	import_finish_fn finish;
	import_hold_fn hold;
	void *ctx;
};

static enum db_rc range_stmt(struct db *db, int which, const struct move *mv)
{
	struct db_stmt *st = db_prepare(db, &stage_sql[which]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, mv->job_id);
	db_bind_int(st, 2, mv->from);
	db_bind_int(st, 3, mv->to);
	return step_done(st);
}

static enum db_rc move_batch(struct db *db, void *ctx)
{
	const struct move *mv = ctx;
	enum db_rc rc = mv->hold ? mv->hold(db, mv->ctx, mv->job_id) : DB_OK;
	if (rc == DB_OK)
		rc = range_stmt(db, STMT_STAGE_MOVE, mv);
	if (rc == DB_OK)
		rc = range_stmt(db, STMT_STAGE_DELETE, mv);
	if (rc != DB_OK)
		return rc;
	struct db_stmt *st;
	if (mv->to <= mv->last) { /* more to come: remember how far */
		st = db_prepare(db, &stage_sql[STMT_STAGE_ADVANCE]);
		if (!st)
			return DB_ERROR;
		db_bind_int(st, 1, mv->job_id);
		db_bind_int(st, 2, mv->to);
		return step_done(st);
	}
	/* the last batch: the commit point goes, and the job is done, in this transaction */
	st = db_prepare(db, &stage_sql[STMT_STAGE_DONE]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, mv->job_id);
	rc = step_done(st);
	if (rc == DB_OK && mv->finish)
		rc = mv->finish(db, mv->ctx, mv->job_id, mv->result);
	return rc;
}

/* Where a committed import stands: next_seq, the result (malloc) and the last seq. */
static enum db_rc pending(struct db *db, int64_t job_id, int64_t *next, char **result, int64_t *last)
{
	struct db_stmt *st = db_prepare(db, &stage_sql[STMT_STAGE_PENDING]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, job_id);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		const char *res = db_col_text(st, STAGE_PENDING_COL_RESULT);
		*next = db_col_int(st, STAGE_PENDING_COL_NEXT_SEQ);
		*result = strdup(res ? res : "{}");
		rc = *result ? DB_OK : DB_ERROR;
	}
	db_reset(st);
	if (rc != DB_OK)
		return rc;
	st = db_prepare(db, &stage_sql[STMT_STAGE_LAST_SEQ]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, job_id);
	rc = db_step(st);
	if (rc == DB_ROW) {
		*last = db_col_int(st, DB_COL_ONLY);
		rc = DB_OK;
	}
	db_reset(st);
	return rc;
}

enum db_rc import_stage_publish(struct db *db, int64_t job_id, import_finish_fn finish, import_hold_fn hold,
				void *ctx)
{
	struct move mv = {.job_id = job_id, .finish = finish, .hold = hold, .ctx = ctx};
	char *result = NULL;
	enum db_rc rc = pending(db, job_id, &mv.from, &result, &mv.last);
	mv.result = result;
	int64_t batch = cfg.import_batch_rows > 0 ? cfg.import_batch_rows : 500;
	while (rc == DB_OK) {
		mv.to = mv.from + batch;
		rc = import_tx(db, true, move_batch, &mv);
		if (rc != DB_OK || mv.to > mv.last)
			break;
		import_test_kill("moved");
		mv.from = mv.to;
	}
	free(result);
	return rc;
}

static enum db_rc discard_batch(struct db *db, void *ctx)
{
	return range_stmt(db, STMT_STAGE_DELETE, ctx);
}

enum db_rc import_stage_discard(struct db *db, int64_t job_id)
{
	struct move mv = {.job_id = job_id};
	struct db_stmt *st = db_prepare(db, &stage_sql[STMT_STAGE_LAST_SEQ]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, job_id);
	enum db_rc rc = db_step(st);
	mv.last = rc == DB_ROW ? db_col_int(st, DB_COL_ONLY) : -1;
	db_reset(st);
	if (rc != DB_ROW)
		return rc;
	int64_t batch = cfg.import_batch_rows > 0 ? 4 * cfg.import_batch_rows : 2000;
	for (mv.from = 0; mv.from <= mv.last; mv.from += batch) {
		mv.to = mv.from + batch;
		rc = import_tx(db, true, discard_batch, &mv);
		if (rc != DB_OK)
			return rc;
	}
	return DB_OK;
}

/* The ids a statement selects (malloc, *n of them). */
static int64_t *job_ids(struct db *db, int which, size_t *n)
{
	*n = 0;
	struct db_stmt *st = db_prepare(db, &stage_sql[which]);
	if (!st)
		return NULL;
	int64_t *ids = NULL;
	size_t cap = 0;
	while (db_step(st) == DB_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			int64_t *q = realloc(ids, cap * sizeof *q);
			if (!q)
				break;
			ids = q;
		}
		ids[(*n)++] = db_col_int(st, DB_COL_ONLY);
	}
	db_reset(st);
	return ids;
}

enum db_rc import_resume(struct db *db, int64_t job_id, import_finish_fn finish, import_hold_fn hold, void *ctx)
{
	enum db_rc rc = import_stage_publish(db, job_id, finish, hold, ctx);
	if (rc == DB_OK) {
		log_msg(LOG_INFO, NULL, "import job %lld: committed before its process stopped; its rows are now in the roster",
			(long long)job_id);
		return DB_OK;
	}
	if (rc != DB_DONE) { /* committed, and the move failed: the next taker goes on */
		log_msg(LOG_ERROR, NULL, "import job %lld: committed before its process stopped; moving its rows failed",
			(long long)job_id);
		return rc;
	}
	/* no commit point: nothing of it is visible, and its rows go */
	rc = import_stage_discard(db, job_id);
	if (rc != DB_OK) {
		log_msg(LOG_ERROR, NULL, "import job %lld: interrupted before its commit; its staged rows could not be removed",
			(long long)job_id);
		return rc;
	}
	return DB_NOT_FOUND;
}

enum db_rc import_sweep(struct db *db)
{
	enum db_rc worst = DB_OK;
	size_t n;
	int64_t *ids = job_ids(db, STMT_STAGE_ORPHANS, &n);
	for (size_t i = 0; i < n; i++) {
		enum db_rc rc = import_stage_discard(db, ids[i]);
		log_msg(rc == DB_OK ? LOG_INFO : LOG_ERROR, NULL, "import job %lld: staged rows of the finished job %s",
			(long long)ids[i], rc == DB_OK ? "removed" : "not removed");
		if (rc != DB_OK)
			worst = rc;
	}
	free(ids);
	return worst;
}
