/* jobs.c: the job runner (see jobs.h). One worker thread, a FIFO of pending work under
 * a mutex, and a lease thread. The jobs table holds each job's outcome, written once at
 * its end (or, for an import, in the transaction of its last batch), and the lease by
 * which one process holds the job: lease_owner (this process's random id, `me`) and
 * lease_until (the database clock's second until which nobody else may take it). While
 * a job runs, its progress is this process's memory, written to the table only with
 * the lease's renewal (every third of cfg.job_lease_seconds, so that a running job writes
 * next to nothing: a dry run takes no write lock of its own, S18). A job whose lease
 * has run out (its process died, or lost the database) is taken over by any server, at
 * start (jobs_recover) and every half lease on the worker (take_expired). Every write
 * of a job's data checks the lease in its own transaction (jobs_hold), so the process
 * that lost a job writes nothing more for it, and each job ends exactly once. */
#include "jobs/jobs.h"
#include "jobs/background.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/thread.h"
#include "config.h"
#include "model/import.h"
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
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
	STMT_JOB_HOLD,
	STMT_JOB_PROGRESS,
	STMT_JOB_RELEASE,
	STMT_JOB_EXPIRED,
	STMT_JOB_CLAIM,
	STMT_JOB_ABANDON,
	STMT_JOB_CANCEL,
	STMT_JOB_PARAMS,
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
/* job.claim's row */
enum job_claim_col { JOB_CLAIM_COL_ID, JOB_CLAIM_COL_KIND };

/* Leases are read against the database's clock, in Unix seconds: the servers' own
 * clocks may differ, and clock_now is shifted in test mode. The two dialects' texts
 * differ only there (and in the claim's row lock). */
#define NOW_LITE "CAST(strftime('%s', 'now') AS INTEGER)"
#define NOW_PG "CAST(FLOOR(EXTRACT(EPOCH FROM clock_timestamp())) AS BIGINT)"
#define ON_CLOCK(name, head, tail) {name, head NOW_LITE tail, head NOW_PG tail}
/* a job not yet ended: the only ones a lease means anything for */
#define UNFINISHED "status IN ('queued', 'running')"
/* a job whose lease has run out (NULL: a job of a version before 0053) */
#define EXPIRED(now) UNFINISHED " AND (lease_until IS NULL OR lease_until < " now ")"
/* no outcome over an import past its commit point: it is written with its data (S24) */
#define NOT_COMMITTED " AND NOT EXISTS (SELECT 1 FROM import_publish p WHERE p.job_id = jobs.id)"

static const struct db_sql job_sql[JOB_STMT__MAX] = {
	/* $6 this process, $7 the lease in seconds */
	[STMT_JOB_INSERT] = ON_CLOCK("job.insert",
	 "INSERT INTO jobs (kind, status, progress, owner_id, org_id, params, created_at, updated_at, lease_owner,"
	 " lease_until) VALUES ($1, 'queued', 0, $2, $3, $4, $5, $5, $6, ", " + $7) RETURNING id"),
	/* inside the transaction of the job's data (an import's last batch) */
	[STMT_JOB_DONE] = {"job.done",
	 "UPDATE jobs SET status = 'done', progress = 100, result = $2, updated_at = $3 WHERE id = $1 AND lease_owner = $4"
	 " AND " UNFINISHED " RETURNING id"},
	/* the worker's outcome: never over an ended job, nor over an import past its
	 * commit point, nor over a job another server has taken over ($6 this process) */
	[STMT_JOB_FINISH] = {"job.finish",
	 "UPDATE jobs SET status = $2, progress = $3, result = $4, updated_at = $5 WHERE id = $1 AND lease_owner = $6"
	 " AND " UNFINISHED NOT_COMMITTED " RETURNING id"},
	[STMT_JOB_GET] = {"job.get",
	 "SELECT id, kind, status, progress, result, created_at, updated_at, COALESCE(owner_id, 0),"
	 " COALESCE(org_id, 0) FROM jobs WHERE id = $1"},
	/* the lease extended by $3 seconds, if the job is still this process's ($2) */
	[STMT_JOB_HOLD] = ON_CLOCK("job.hold", "UPDATE jobs SET lease_until = ",
	 " + $3 WHERE id = $1 AND lease_owner = $2 AND " UNFINISHED " RETURNING id"),
	/* what another server's GET /jobs/{id} shows of a job running here */
	[STMT_JOB_PROGRESS] = {"job.progress",
	 "UPDATE jobs SET status = 'running', progress = $3, updated_at = $4 WHERE id = $1 AND lease_owner = $2"
	 " AND " UNFINISHED},
	/* let go of an unfinished job: any server may take it over at once */
	[STMT_JOB_RELEASE] = {"job.release",
	 "UPDATE jobs SET lease_until = 0 WHERE id = $1 AND lease_owner = $2 AND " UNFINISHED},
	/* a read first, so that a server with nothing to take over takes no write lock */
	[STMT_JOB_EXPIRED] = {"job.expired", "SELECT id FROM jobs WHERE " EXPIRED(NOW_LITE) " ORDER BY id LIMIT 1",
	 "SELECT id FROM jobs WHERE " EXPIRED(NOW_PG) " ORDER BY id LIMIT 1"},
	/* the oldest expired job becomes this process's ($1) for $2 seconds; servers
	 * claiming at once take different jobs (on SQLite the write lock orders them) */
	[STMT_JOB_CLAIM] = {"job.claim",
	 "UPDATE jobs SET lease_owner = $1, lease_until = " NOW_LITE " + $2 WHERE id = (SELECT id FROM jobs WHERE "
	 EXPIRED(NOW_LITE) " ORDER BY id LIMIT 1) RETURNING id, kind",
	 "UPDATE jobs SET lease_owner = $1, lease_until = " NOW_PG " + $2 WHERE id = (SELECT id FROM jobs WHERE "
	 EXPIRED(NOW_PG) " ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id, kind"},
	/* a job taken over that can not be finished: failed, its progress as it was */
	[STMT_JOB_ABANDON] = {"job.abandon",
	 "UPDATE jobs SET status = 'failed', result = $3, updated_at = $4 WHERE id = $1 AND lease_owner = $2 AND "
	 UNFINISHED NOT_COMMITTED " RETURNING id"},
	/* a cancel (an export's): the job ends now, whichever server runs it; the worker's
	 * own outcome then finds it ended */
	[STMT_JOB_CANCEL] = {"job.cancel",
	 "UPDATE jobs SET status = 'failed', result = $2, updated_at = $3 WHERE id = $1 AND " UNFINISHED
	 NOT_COMMITTED " RETURNING id"},
	[STMT_JOB_PARAMS] = {"job.params", "SELECT params FROM jobs WHERE id = $1"},
};
DB_SQL_TABLE(job, job_sql);

/* what a cancelled job's result says (a problem, with the reason as "error") */
#define CANCELLED                                                                                        \
	"{\"error\":\"任务已取消\",\"code\":\"cancelled\",\"type\":\"urn:dangjian:problem:cancelled\"," \
	"\"title\":\"任务已取消\",\"status\":409,\"detail\":\"任务已取消\"}"

/* the reason a job taken over fails with (its upload lived in the process that stopped) */
#define ABANDONED "{\"error\":\"处理该任务的服务已停止，任务已中断，请重新提交\"}"

struct job {
	int64_t id;
	job_fn fn;
	void *arg;
	job_free_fn free_arg;
	struct db *db;
	int pct;
	bool cancel; /* under mu: jobs_cancel_local asked it to stop */
	struct job *next;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;      /* the worker's */
static pthread_cond_t idle_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t lease_cv = PTHREAD_COND_INITIALIZER; /* the lease thread's */
static struct job *head, *tail;
static bool worker_started, busy, stopping;
static pthread_t worker_thread;
static int64_t running_id; /* the job on the worker, under mu */
static struct job *running_job;
static int running_pct;
static int64_t taking_id;  /* the job being taken over (take_expired), under mu */
static bool take_due;      /* the lease thread asks the worker for a take_expired pass */
static bool draining;      /* jobs_drain_for: no more passes */
static bool lease_started, lease_stopping, lease_takes;
static pthread_t lease_thread;
/* one take_expired pass at a time in this process (at start on the main thread, then
 * on the worker) */
static pthread_mutex_t take_mu = PTHREAD_MUTEX_INITIALIZER;

/* This process's lease id: host/pid/random, so that an operator can tell from the
 * table which server holds a job, and a restarted process on the same pid is another. */
static char me[96];
static pthread_once_t me_once = PTHREAD_ONCE_INIT;

static void me_init(void)
{
	char host[48] = "";
	if (gethostname(host, sizeof host - 1) != 0)
		snprintf(host, sizeof host, "?");
	unsigned char r[6];
	char hex[sizeof r * 2 + 1];
	randombytes_buf(r, sizeof r);
	sodium_bin2hex(hex, sizeof hex, r, sizeof r);
	snprintf(me, sizeof me, "%s/%ld/%s", host, (long)getpid(), hex);
}

static const char *lease_me(void)
{
	pthread_once(&me_once, me_init);
	return me;
}

/* One statement of job_sql on db for job id held by this process ($1 id, $2 me and, if
 * lease, $3 the lease in seconds): DB_ROW when it changed the job (RETURNING), DB_DONE
 * when the job is not this process's (or has ended), or the failure. */
static enum db_rc step_held(struct db *db, enum job_stmt which, int64_t id, bool lease)
{
	struct db_stmt *st = db_prepare(db, &job_sql[which]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	db_bind_text(st, 2, lease_me(), -1);
	if (lease)
		db_bind_int(st, 3, cfg.job_lease_seconds);
	enum db_rc rc = db_step(st);
	db_reset(st);
	return rc;
}

enum db_rc jobs_hold(struct db *db, int64_t id)
{
	enum db_rc rc = step_held(db, STMT_JOB_HOLD, id, true);
	if (rc == DB_ROW)
		return DB_OK;
	if (rc == DB_DONE) {
		log_msg(LOG_WARN, NULL, "job %lld: no longer this server's (its lease ran out and another server took it over):"
			" this process writes nothing more for it", (long long)id);
		return DB_ERROR;
	}
	return rc;
}

enum db_rc jobs_mark_done(struct db *db, int64_t id, const char *result)
{
	struct db_stmt *st = db_prepare(db, &job_sql[STMT_JOB_DONE]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	db_bind_text(st, 2, result, -1);
	db_bind_int(st, 3, clock_now());
	db_bind_text(st, 4, lease_me(), -1);
	enum db_rc rc = db_step(st);
	db_reset(st);
	return rc == DB_ROW ? DB_OK : rc == DB_DONE ? DB_ERROR : rc;
}

static enum db_rc finish_import(struct db *db, void *ctx, int64_t id, const char *result)
{
	(void)ctx;
	return jobs_mark_done(db, id, result);
}

static enum db_rc hold_import(struct db *db, void *ctx, int64_t id)
{
	(void)ctx;
	return jobs_hold(db, id);
}

/* job.claim's outcome */
struct claim {
	int64_t id;
	char kind[64];
	bool failed; /* job.abandon wrote it */
};

static enum db_rc claim_tx(struct db *db, void *ctx)
{
	struct claim *c = ctx;
	struct db_stmt *st = db_prepare(db, &job_sql[STMT_JOB_CLAIM]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, lease_me(), -1);
	db_bind_int(st, 2, cfg.job_lease_seconds);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		c->id = db_col_int(st, JOB_CLAIM_COL_ID);
		const char *k = db_col_text(st, JOB_CLAIM_COL_KIND);
		snprintf(c->kind, sizeof c->kind, "%s", k ? k : "");
	}
	db_reset(st);
	return rc == DB_ROW || rc == DB_DONE ? DB_OK : rc;
}

static enum db_rc abandon_tx(struct db *db, void *ctx)
{
	struct claim *c = ctx;
	struct db_stmt *st = db_prepare(db, &job_sql[STMT_JOB_ABANDON]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, c->id);
	db_bind_text(st, 2, lease_me(), -1);
	db_bind_text(st, 3, ABANDONED, -1);
	db_bind_int(st, 4, clock_now());
	enum db_rc rc = db_step(st);
	db_reset(st);
	c->failed = rc == DB_ROW;
	return rc == DB_ROW || rc == DB_DONE ? DB_OK : rc;
}

/* A job this process has just claimed: an import past its commit point is finished,
 * anything else failed (its staged rows removed first). A job's input (an import's
 * upload) lived in the memory and unlinked files of the process that accepted it, so
 * no other process can run it again from the start: the user submits it again. A
 * failure leaves the job claimed; its lease runs out and a later pass tries again. */
static void take_over(struct db *db, struct claim *c)
{
	pthread_mutex_lock(&mu);
	taking_id = c->id; /* the lease thread renews it meanwhile */
	pthread_mutex_unlock(&mu);
	enum db_rc rc = import_resume(db, c->id, finish_import, hold_import, NULL);
	if (rc == DB_NOT_FOUND) {
		rc = db_tx_run(db, true, abandon_tx, c);
		if (rc == DB_OK && c->failed)
			log_msg(LOG_WARN, NULL, "job %lld (%s): its server stopped (or lost its lease) before it ended; marked failed",
				(long long)c->id, c->kind);
		else if (rc == DB_OK) /* taken over from this process meanwhile (lease lost) */
			log_msg(LOG_WARN, NULL, "job %lld (%s): taken over by another server meanwhile", (long long)c->id, c->kind);
	}
	if (rc != DB_OK)
		log_msg(LOG_ERROR, NULL, "job %lld (%s): taking it over failed (%s); tried again when its lease runs out",
			(long long)c->id, c->kind, db_errmsg(db));
	pthread_mutex_lock(&mu);
	taking_id = 0;
	pthread_mutex_unlock(&mu);
}

/* Whether any job's lease has run out: DB_ROW, DB_DONE, or the failure. */
static enum db_rc any_expired(struct db *db)
{
	struct db_stmt *st = db_prepare(db, &job_sql[STMT_JOB_EXPIRED]);
	if (!st)
		return DB_ERROR;
	enum db_rc rc = db_step(st);
	db_reset(st);
	return rc;
}

/* One pass over the jobs whose lease has run out (jobs_recover without the sweep). */
static enum db_rc take_expired(struct db *db)
{
	pthread_mutex_lock(&take_mu);
	enum db_rc worst = DB_OK;
	/* one claim per short write transaction, each job taken over before the next */
	for (;;) {
		enum db_rc rc = any_expired(db);
		if (rc == DB_ROW) {
			struct claim c = {0};
			rc = db_tx_run(db, true, claim_tx, &c);
			if (rc == DB_OK && c.id) {
				take_over(db, &c);
				continue;
			}
		}
		if (rc != DB_DONE && rc != DB_OK) /* busy: the next pass */
			worst = rc;
		break;
	}
	pthread_mutex_unlock(&take_mu);
	return worst;
}

enum db_rc jobs_recover(struct db *db)
{
	enum db_rc rc = take_expired(db);
	/* at start only: it reads every staged row, and leftovers are rare */
	enum db_rc rc2 = import_sweep(db);
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
	db_bind_text(st, 6, lease_me(), -1);
	db_bind_int(st, 7, cfg.job_lease_seconds);
	*rc = db_step(st);
	int64_t id = 0;
	if (*rc == DB_ROW) {
		id = db_col_int(st, DB_COL_ONLY); /* RETURNING id */
		*rc = DB_OK;
	}
	db_reset(st);
	return id;
}

/* The worker's outcome of job id (job.finish), retried while another writer holds the
 * lock, since losing a job's outcome is worse than waiting: DB_ROW when written, DB_DONE
 * when the job had an outcome already (an import's, with its data) or is no longer this
 * process's. */
static enum db_rc finish(struct db *db, int64_t id, const char *status, int pct, const char *result)
{
	enum db_rc rc = DB_BUSY;
	for (int attempt = 0; attempt < 50 && rc == DB_BUSY; attempt++) {
		struct db_stmt *st = db_prepare(db, &job_sql[STMT_JOB_FINISH]);
		if (!st)
			return DB_ERROR;
		db_bind_int(st, 1, id);
		db_bind_text(st, 2, status, -1);
		db_bind_int(st, 3, pct);
		db_bind_text(st, 4, result, -1);
		db_bind_int(st, 5, clock_now());
		db_bind_text(st, 6, lease_me(), -1);
		rc = db_step(st);
		db_reset(st);
	}
	if (rc != DB_ROW && rc != DB_DONE)
		log_msg(LOG_ERROR, NULL, "jobs: could not record the outcome of job %lld", (long long)id);
	return rc;
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
	enum db_rc rc;
	if (res) {
		text = json_dumps(res, JSON_COMPACT);
		rc = finish(db, j->id, "done", 100, text);
	} else {
		/* a problem (RFC 9457) as the result, with the reason also as "error" */
		const char *reason = why[0] ? why : "任务失败";
		json_t *e = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s}", "error", reason, "type", "urn:dangjian:problem:job_failed",
				      "title", "任务失败", "status", 422, "code", "job_failed", "detail", reason);
		text = json_dumps(e, JSON_COMPACT);
		json_decref(e);
		rc = finish(db, j->id, "failed", j->pct, text);
	}
	free(text);
	json_decref(res);
	/* no outcome written: the job ended with its data (done), or another server has it,
	 * or it is an import past its commit point whose move failed; that one is let go at
	 * once, so that the next take_expired pass, here or on another server, finishes it */
	if (rc == DB_DONE)
		step_held(db, STMT_JOB_RELEASE, j->id, false);
}

/* The jobs this process holds (queued, on the worker, being taken over): malloc'd ids,
 * *n of them; *run the one on the worker (0: none) and *pct its progress. Under mu. */
static int64_t *held_locked(size_t *n, int64_t *run, int *pct)
{
	size_t cap = 2;
	for (struct job *q = head; q; q = q->next)
		cap++;
	int64_t *ids = malloc(cap * sizeof *ids);
	*n = 0;
	*run = running_id;
	*pct = running_pct;
	if (!ids)
		return NULL;
	if (running_id)
		ids[(*n)++] = running_id;
	if (taking_id)
		ids[(*n)++] = taking_id;
	for (struct job *q = head; q; q = q->next)
		ids[(*n)++] = q->id;
	return ids;
}

struct renewal {
	const int64_t *ids;
	size_t n;
	int64_t run;
	int pct;
};

static enum db_rc renew_tx(struct db *db, void *ctx)
{
	const struct renewal *r = ctx;
	for (size_t i = 0; i < r->n; i++) {
		enum db_rc rc = step_held(db, STMT_JOB_HOLD, r->ids[i], true);
		if (rc != DB_ROW && rc != DB_DONE) /* DB_DONE: it has just ended, or is lost (jobs_hold says so) */
			return rc;
	}
	if (!r->run)
		return DB_OK;
	struct db_stmt *st = db_prepare(db, &job_sql[STMT_JOB_PROGRESS]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, r->run);
	db_bind_text(st, 2, lease_me(), -1);
	db_bind_int(st, 3, r->pct);
	db_bind_int(st, 4, clock_now());
	enum db_rc rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc == DB_ROW ? DB_ERROR : rc;
}

/* The lease thread: every third of the lease, extends the leases of the jobs this
 * process holds (one short write transaction, none when it holds nothing) with the
 * running one's progress; in a server, every half lease, has the worker take over the
 * jobs whose lease ran out. A renewal that fails (the lock busy for a long time) is
 * tried again at the next tick; two missed in a row still leave a third of the lease. */
static void *lease_main(void *unused)
{
	(void)unused;
	const int64_t tick_ms = cfg.job_lease_seconds * 1000 / 3;
	double next_take = clock_mono_ms() + (double)cfg.job_lease_seconds * 500.0;
	pthread_mutex_lock(&mu);
	while (!lease_stopping) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += (time_t)(tick_ms / 1000);
		until.tv_nsec += (long)(tick_ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		int w = 0;
		while (!lease_stopping && w != ETIMEDOUT)
			w = pthread_cond_timedwait(&lease_cv, &mu, &until);
		if (lease_stopping)
			break;
		if (lease_takes && !draining && clock_mono_ms() >= next_take) {
			next_take = clock_mono_ms() + (double)cfg.job_lease_seconds * 500.0;
			take_due = true;
			pthread_cond_signal(&cv);
		}
		struct renewal r = {0};
		int64_t *ids = held_locked(&r.n, &r.run, &r.pct);
		pthread_mutex_unlock(&mu);
		r.ids = ids;
		struct db *db = r.n ? db_thread() : NULL;
		enum db_rc rc = db ? db_tx_run(db, true, renew_tx, &r) : DB_OK;
		if (rc != DB_OK)
			log_msg(LOG_WARN, NULL, "jobs: renewing the leases of %zu job(s) failed (%s); trying again in %lld ms", r.n,
				db ? db_errmsg(db) : "no database connection", (long long)tick_ms);
		free(ids);
		pthread_mutex_lock(&mu);
	}
	pthread_mutex_unlock(&mu);
	return NULL;
}

static bool lower_priority = true;

void jobs_background_priority(bool lower)
{
	lower_priority = lower;
}

static void *worker(void *unused)
{
	(void)unused;
	/* jobs are the most background work there is: below the requests' threads and
	 * below the offload thread (nice 10), so that an import's parsing does not slow the
	 * logins' hashing (S18); a command line's job has no requests beside it (an import
	 * at nice 15 on a busy box got a third of a core) */
	if (lower_priority && setpriority(PRIO_PROCESS, (id_t)gettid(), 15) != 0)
		log_msg(LOG_DEBUG, NULL, "jobs worker keeps normal priority");
	for (;;) {
		pthread_mutex_lock(&mu);
		while (!head && !take_due) {
			busy = false;
			pthread_cond_broadcast(&idle_cv);
			if (stopping) {
				pthread_mutex_unlock(&mu);
				return NULL;
			}
			pthread_cond_wait(&cv, &mu);
		}
		busy = true;
		if (!head) { /* the lease thread's call: jobs of a stopped server */
			take_due = false;
			pthread_mutex_unlock(&mu);
			struct db *db = db_thread();
			if (db)
				take_expired(db);
			continue;
		}
		struct job *j = head;
		head = j->next;
		if (!head)
			tail = NULL;
		running_id = j->id;
		running_job = j;
		running_pct = 0;
		pthread_mutex_unlock(&mu);
		run_one(j);
		pthread_mutex_lock(&mu);
		running_id = 0;
		running_job = NULL;
		pthread_mutex_unlock(&mu);
		if (j->free_arg)
			j->free_arg(j->arg);
		free(j);
	}
	return NULL;
}

/* Under mu. */
static int start_worker_locked(void)
{
	if (worker_started)
		return 0;
	if (thread_start("dj-jobs", worker, NULL, &worker_thread) != 0)
		return -1;
	worker_started = true;
	return 0;
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
	if (start_worker_locked() != 0) {
		pthread_mutex_unlock(&mu);
		if (free_arg)
			free_arg(arg);
		free(j);
		return -1;
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

int jobs_lease_start(bool take_over_expired)
{
	lease_me();
	pthread_mutex_lock(&mu);
	int rc = 0;
	if (!lease_started) {
		lease_stopping = false;
		lease_takes = take_over_expired;
		if ((take_over_expired && start_worker_locked() != 0) ||
		    thread_start("dj-lease", lease_main, NULL, &lease_thread) != 0)
			rc = -1;
		else
			lease_started = true;
	}
	pthread_mutex_unlock(&mu);
	return rc;
}

void jobs_lease_stop(void)
{
	pthread_mutex_lock(&mu);
	bool join = lease_started;
	lease_stopping = true;
	pthread_cond_broadcast(&lease_cv);
	pthread_mutex_unlock(&mu);
	if (!join)
		return;
	thread_join("dj-lease", lease_thread);
	pthread_mutex_lock(&mu);
	lease_started = false;
	pthread_mutex_unlock(&mu);
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
	/* the background reads (jobs/background.h: 首页 rebuilt aside) end first: joined */
	jobs_background_stop();
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += (time_t)seconds;
	pthread_mutex_lock(&mu);
	draining = true; /* no more passes over other servers' jobs */
	take_due = false;
	int rc = 0;
	while ((busy || head) && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&idle_cv, &mu, &until);
	bool idle = !busy && !head;
	size_t n = 0;
	int64_t run;
	int pct;
	int64_t *left = idle ? NULL : held_locked(&n, &run, &pct);
	/* idle at shutdown: the worker thread ends and is joined (a new job starts another) */
	bool join = idle && worker_started;
	if (join) {
		stopping = true;
		pthread_cond_broadcast(&cv);
	}
	pthread_mutex_unlock(&mu);
	jobs_lease_stop();
	/* the jobs still here are let go, so that another server (or this one's next start)
	 * takes them over now rather than when their leases run out; the worker may write
	 * for a moment yet, but no longer for a job another server has claimed */
	struct db *db = n ? db_thread() : NULL;
	for (size_t i = 0; db && i < n; i++)
		step_held(db, STMT_JOB_RELEASE, left[i], false);
	free(left);
	if (join) {
		thread_join("dj-jobs", worker_thread);
		pthread_mutex_lock(&mu);
		worker_started = stopping = draining = false;
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
	/* a cancelled job is a failed one whose result says so */
	json_t *code = result ? json_object_get(result, "code") : NULL;
	if (strcmp(status, "failed") == 0 && json_is_string(code) && strcmp(json_string_value(code), "cancelled") == 0)
		status = "cancelled";
	int64_t progress = db_col_int(st, JOB_COL_PROGRESS);
	pthread_mutex_lock(&mu);
	/* on this process's worker now: its progress is fresher here than in the table */
	if (running_id == id && (strcmp(status, "queued") == 0 || strcmp(status, "running") == 0)) {
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
	finish(db, id, "failed", 0, text);
	free(text);
}

enum db_rc jobs_cancel(struct db *db, int64_t id)
{
	struct db_stmt *st = db_prepare(db, &job_sql[STMT_JOB_CANCEL]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	db_bind_text(st, 2, CANCELLED, -1);
	db_bind_int(st, 3, clock_now());
	enum db_rc rc = db_step(st);
	db_reset(st);
	return rc == DB_ROW ? DB_OK : rc;
}

void jobs_cancel_local(int64_t id)
{
	struct job *gone = NULL;
	pthread_mutex_lock(&mu);
	if (running_job && running_id == id)
		running_job->cancel = true;
	for (struct job **p = &head; *p; p = &(*p)->next)
		if ((*p)->id == id) {
			gone = *p;
			*p = gone->next;
			if (tail == gone) {
				tail = NULL;
				for (struct job *q = head; q; q = q->next)
					tail = q;
			}
			break;
		}
	pthread_mutex_unlock(&mu);
	if (gone) {
		if (gone->free_arg)
			gone->free_arg(gone->arg);
		free(gone);
	}
}

bool jobs_cancelled(struct job *j)
{
	pthread_mutex_lock(&mu);
	bool c = j->cancel;
	pthread_mutex_unlock(&mu);
	return c;
}

json_t *jobs_params(struct db *db, int64_t id, enum db_rc *rc)
{
	struct db_stmt *st = db_prepare(db, &job_sql[STMT_JOB_PARAMS]);
	if (!st) {
		*rc = DB_ERROR;
		return NULL;
	}
	db_bind_int(st, 1, id);
	*rc = db_step(st);
	json_t *p = NULL;
	if (*rc == DB_ROW) {
		const char *t = db_col_text(st, DB_COL_ONLY);
		p = t ? json_loads(t, 0, NULL) : NULL;
		*rc = p ? DB_OK : DB_NOT_FOUND;
	} else if (*rc == DB_DONE) {
		*rc = DB_NOT_FOUND;
	}
	db_reset(st);
	return p;
}
