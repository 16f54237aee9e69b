/* jobs.c: the job runner (see jobs.h). One worker thread, a FIFO of pending work under
 * a mutex. The jobs table holds each job's outcome, written once at its end (or, for an
 * import, in the transaction of its last batch); while a job runs, its status and
 * progress are this process's memory, so that a running job writes nothing it does not
 * have to (a dry run takes no write lock, S18). */
#include "jobs/jobs.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/thread.h"
#include "model/import.h"
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>
#include <time.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum job_stmt {
	STMT_JOB_INSERT,
	STMT_JOB_DONE,
	STMT_JOB_FINISH,
	STMT_JOB_GET,
	STMT_JOB_RECOVER,
	JOB_STMT__MAX
};
/* job.get's row */
enum job_col {
	JOB_COL_ID,
	JOB_COL_KIND,
	JOB_COL_STATUS,
	JOB_COL_PROGRESS,
	JOB_COL_RESULT,
	JOB_COL_CREATED_AT,
	JOB_COL_UPDATED_AT,
	JOB_COL_OWNER_ID,
	JOB_COL_ORG_ID,
};

static const struct db_sql job_sql[JOB_STMT__MAX] = {
	[STMT_JOB_INSERT] = {"job.insert",
	 "INSERT INTO jobs (kind, status, progress, owner_id, org_id, params, created_at, updated_at)"
	 " VALUES ($1, 'queued', 0, $2, $3, $4, $5, $5) RETURNING id"},
	/* inside the transaction of the job's data (an import's last batch) */
	[STMT_JOB_DONE] = {"job.done", "UPDATE jobs SET status = 'done', progress = 100, result = $2, updated_at = $3 WHERE id = $1"},
	/* never over a job that is done, nor over an import past its commit point: its
	 * outcome is written with its data (S24) */
	[STMT_JOB_FINISH] = {"job.finish",
	 "UPDATE jobs SET status = $2, progress = $3, result = $4, updated_at = $5 WHERE id = $1 AND status <> 'done'"
	 " AND NOT EXISTS (SELECT 1 FROM import_publish p WHERE p.job_id = jobs.id)"},
	[STMT_JOB_GET] = {"job.get",
	 "SELECT id, kind, status, progress, result, created_at, updated_at, COALESCE(owner_id, 0),"
	 " COALESCE(org_id, 0) FROM jobs WHERE id = $1"},
	[STMT_JOB_RECOVER] = {"job.recover",
	 "UPDATE jobs SET status = 'failed', result = $1, updated_at = $2 WHERE status IN ('queued', 'running')"
	 " AND NOT EXISTS (SELECT 1 FROM import_publish p WHERE p.job_id = jobs.id)"},
};
DB_SQL_TABLE(job, job_sql);

struct job {
	int64_t id;
	job_fn fn;
	void *arg;
	job_free_fn free_arg;
	struct db *db;
	int pct;
	struct job *next;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t idle_cv = PTHREAD_COND_INITIALIZER;
static struct job *head, *tail;
static bool worker_started, busy, stopping;
static pthread_t worker_thread;
static int64_t running_id; /* the job on the worker, under mu */
static int running_pct;

enum db_rc jobs_mark_done(struct db *db, int64_t id, const char *result)
{
	struct db_stmt *st = db_prepare(db, &job_sql[STMT_JOB_DONE]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	db_bind_text(st, 2, result, -1);
	db_bind_int(st, 3, clock_now());
	enum db_rc rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc == DB_ROW ? DB_ERROR : rc;
}

static enum db_rc finish_import(struct db *db, void *ctx, int64_t id, const char *result)
{
	(void)ctx;
	return jobs_mark_done(db, id, result);
}

static enum db_rc fail_unfinished(struct db *db, void *ctx)
{
	(void)ctx;
	struct db_stmt *st = db_prepare(db, &job_sql[STMT_JOB_RECOVER]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, "{\"error\":\"服务重启，任务已中断，请重新提交\"}", -1);
	db_bind_int(st, 2, clock_now());
	enum db_rc rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

enum db_rc jobs_recover(struct db *db)
{
	/* imports first: those past their commit point finish (and read done), the staged
	 * rows of the others go (in their own short transactions); then every job left
	 * queued or running failed */
	enum db_rc rc = import_recover(db, finish_import, NULL);
	enum db_rc rc2 = db_tx_run(db, true, fail_unfinished, NULL);
	return rc != DB_OK ? rc : rc2;
}


int64_t jobs_create(struct db *db, const char *kind, int64_t owner_id, int64_t org_id, const char *params,
		    enum db_rc *rc)
{
	struct db_stmt *st = db_prepare(db, &job_sql[STMT_JOB_INSERT]);
	if (!st) {
		*rc = DB_ERROR;
		return 0;
	}
	db_bind_text(st, 1, kind, -1);
	db_bind_int(st, 2, owner_id);
	if (org_id > 0)
		db_bind_int(st, 3, org_id);
	else
		db_bind_null(st, 3);
	db_bind_text(st, 4, params, -1);
	db_bind_int(st, 5, clock_now());
	*rc = db_step(st);
	int64_t id = 0;
	if (*rc == DB_ROW) {
		id = db_col_int(st, DB_COL_ONLY); /* RETURNING id */
		*rc = DB_OK;
	}
	db_reset(st);
	return id;
}

/* A status write from the worker: retried while another writer holds the lock, since
 * losing a job's outcome is worse than waiting. */
static void exec_retry(struct db *db, const struct db_sql *sql, int64_t id, const char *status, int pct,
		       const char *result)
{
	for (int attempt = 0; attempt < 50; attempt++) {
		struct db_stmt *st = db_prepare(db, sql);
		if (!st)
			return;
		db_bind_int(st, 1, id);
		db_bind_text(st, 2, status, -1);
		db_bind_int(st, 3, pct);
		db_bind_text(st, 4, result, -1);
		db_bind_int(st, 5, clock_now());
		enum db_rc rc = db_step(st);
		db_reset(st);
		if (rc != DB_BUSY)
			return;
	}
	log_msg(LOG_ERROR, NULL, "jobs: could not record the outcome of job %lld", (long long)id);
}

static void run_one(struct job *j)
{
	struct db *db = db_thread();
	if (!db) {
		log_msg(LOG_ERROR, NULL, "jobs: no database connection for job %lld", (long long)j->id);
		return;
	}
	j->db = db;
	char why[512] = "";
	json_t *res = j->fn(j, db, j->arg, why, sizeof why);
	assert(!db_in_tx(db)); /* work runs its transactions through db_tx_run */
	char *text;
	if (res) {
		text = json_dumps(res, JSON_COMPACT);
		exec_retry(db, &job_sql[STMT_JOB_FINISH], j->id, "done", 100, text);
	} else {
		/* a problem (RFC 9457) as the result, with the reason also as "error" */
		const char *reason = why[0] ? why : "任务失败";
		json_t *e = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s}", "error", reason, "type", "urn:dangjian:problem:job_failed",
				      "title", "任务失败", "status", 422, "code", "job_failed", "detail", reason);
		text = json_dumps(e, JSON_COMPACT);
		json_decref(e);
		exec_retry(db, &job_sql[STMT_JOB_FINISH], j->id, "failed", j->pct, text);
	}
	free(text);
	json_decref(res);
}

static void *worker(void *unused)
{
	(void)unused;
	/* jobs are the most background work there is: below the requests' threads and
	 * below the offload thread (nice 10), so that an import's parsing does not slow the
	 * logins' hashing (S18) */
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), 15) != 0)
		log_msg(LOG_DEBUG, NULL, "jobs worker keeps normal priority");
	for (;;) {
		pthread_mutex_lock(&mu);
		while (!head) {
			busy = false;
			pthread_cond_broadcast(&idle_cv);
			if (stopping) {
				pthread_mutex_unlock(&mu);
				return NULL;
			}
			pthread_cond_wait(&cv, &mu);
		}
		struct job *j = head;
		head = j->next;
		if (!head)
			tail = NULL;
		busy = true;
		running_id = j->id;
		running_pct = 0;
		pthread_mutex_unlock(&mu);
		run_one(j);
		pthread_mutex_lock(&mu);
		running_id = 0;
		pthread_mutex_unlock(&mu);
		if (j->free_arg)
			j->free_arg(j->arg);
		free(j);
	}
	return NULL;
}

int jobs_start(int64_t id, job_fn fn, void *arg, job_free_fn free_arg)
{
	struct job *j = calloc(1, sizeof *j);
	if (!j) {
		if (free_arg)
			free_arg(arg);
		return -1;
	}
	j->id = id;
	j->fn = fn;
	j->arg = arg;
	j->free_arg = free_arg;
	pthread_mutex_lock(&mu);
	if (!worker_started) {
		if (thread_start("dj-jobs", worker, NULL, &worker_thread) != 0) {
			pthread_mutex_unlock(&mu);
			if (free_arg)
				free_arg(arg);
			free(j);
			return -1;
		}
		worker_started = true;
	}
	busy = true;
	if (tail)
		tail->next = j;
	else
		head = j;
	tail = j;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
	return 0;
}

void jobs_progress(struct job *j, int pct)
{
	if (pct < 0)
		pct = 0;
	if (pct > 99)
		pct = 99;
	if (pct <= j->pct)
		return;
	j->pct = pct;
	pthread_mutex_lock(&mu);
	if (running_id == j->id)
		running_pct = pct;
	pthread_mutex_unlock(&mu);
}

int64_t jobs_id(const struct job *j)
{
	return j->id;
}

void jobs_drain(void)
{
	pthread_mutex_lock(&mu);
	while (busy || head)
		pthread_cond_wait(&idle_cv, &mu);
	pthread_mutex_unlock(&mu);
}

bool jobs_drain_for(double seconds)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += (time_t)seconds;
	pthread_mutex_lock(&mu);
	int rc = 0;
	while ((busy || head) && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&idle_cv, &mu, &until);
	bool idle = !busy && !head;
	/* idle at shutdown: the worker thread ends and is joined (a new job starts another) */
	bool join = idle && worker_started;
	if (join) {
		stopping = true;
		pthread_cond_broadcast(&cv);
	}
	pthread_mutex_unlock(&mu);
	if (join) {
		thread_join("dj-jobs", worker_thread);
		pthread_mutex_lock(&mu);
		worker_started = stopping = false;
		pthread_mutex_unlock(&mu);
	}
	return idle;
}

json_t *jobs_get(struct db *db, int64_t id, int64_t *owner, int64_t *org, enum db_rc *rc)
{
	struct db_stmt *st = db_prepare(db, &job_sql[STMT_JOB_GET]);
	if (!st) {
		*rc = DB_ERROR;
		return NULL;
	}
	db_bind_int(st, 1, id);
	*rc = db_step(st);
	if (*rc != DB_ROW) {
		db_reset(st);
		if (*rc == DB_DONE)
			*rc = DB_NOT_FOUND;
		return NULL;
	}
	*rc = DB_OK;
	const char *rt = db_col_text(st, JOB_COL_RESULT);
	json_t *result = rt ? json_loads(rt, 0, NULL) : NULL;
	const char *status = db_col_text(st, JOB_COL_STATUS);
	int64_t progress = db_col_int(st, JOB_COL_PROGRESS);
	pthread_mutex_lock(&mu);
	if (running_id == id && strcmp(status, "queued") == 0) { /* on the worker now */
		status = "running";
		progress = running_pct;
	}
	pthread_mutex_unlock(&mu);
	char c[21], u[21];
	clock_rfc3339(db_col_int(st, JOB_COL_CREATED_AT), c);
	clock_rfc3339(db_col_int(st, JOB_COL_UPDATED_AT), u);
	json_t *j = json_pack("{s:I, s:s, s:s, s:I, s:o, s:s, s:s}", "id", (json_int_t)db_col_int(st, JOB_COL_ID), "kind",
			      db_col_text(st, JOB_COL_KIND), "status", status, "progress", (json_int_t)progress,
			      "result", result ? result : json_null(), "created_at", c, "updated_at", u);
	*owner = db_col_int(st, JOB_COL_OWNER_ID);
	*org = db_col_int(st, JOB_COL_ORG_ID);
	db_reset(st);
	return j;
}

void jobs_fail(struct db *db, int64_t id, const char *why)
{
	json_t *e = json_pack("{s:s}", "error", why);
	char *text = json_dumps(e, JSON_COMPACT);
	json_decref(e);
	exec_retry(db, &job_sql[STMT_JOB_FINISH], id, "failed", 0, text);
	free(text);
}

