/* jobs.h: long work as jobs (DESIGN.md §3): a row in the jobs table, a worker thread,
 * progress in percent and a result. Submitting answers at once with the job's id; the
 * work runs on the worker with its own database connection (db_thread), one job at a
 * time in submission order (so one import runs at a time; the others wait queued).
 * While a job runs its status and progress live in memory; the table gets its outcome
 * (done with the result, or failed with the reason) when it ends. Jobs left queued or
 * running by a previous process are marked failed when the server starts
 * (jobs_recover), except imports past their commit point, which it finishes. */
#ifndef DJ_JOBS_H
#define DJ_JOBS_H
#include "db/db.h"
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct job;

/* The work: returns the result object (new reference; stored as the job's result,
 * status done), or NULL with a Chinese reason in why (status failed). Runs on the
 * worker thread; db is the worker's connection. */
typedef json_t *(*job_fn)(struct job *j, struct db *db, void *arg, char *why, size_t whylen);
/* Frees arg when the job ends (may be NULL). */
typedef void (*job_free_fn)(void *arg);

/* Records a queued job (on db, in the caller's transaction if any: commit before the
 * job can be seen by others) and returns its id, or 0 on a database error (*rc says
 * which). The job starts only after jobs_start(id) — call it after the commit. */
int64_t jobs_create(struct db *db, const char *kind, int64_t owner_id, int64_t org_id, const char *params,
		    enum db_rc *rc);
/* Hands the work for job id to the worker. Takes ownership of arg. 0, or -1 when the
 * worker cannot start (the job is then marked failed and arg freed). */
int jobs_start(int64_t id, job_fn fn, void *arg, job_free_fn free_arg);
/* From inside the work: sets the job's progress (0–99; 100 is set at the end). */
void jobs_progress(struct job *j, int pct);
int64_t jobs_id(const struct job *j);

/* The job as the API shows it: {id, kind, status, progress, result, created_at,
 * updated_at} plus owner_id/org_id in *owner / *org; NULL with DB_NOT_FOUND when missing. */
json_t *jobs_get(struct db *db, int64_t id, int64_t *owner, int64_t *org, enum db_rc *rc);
/* Waits until no job is queued or running (tests, CLI, shutdown). */
void jobs_drain(void);
/* The same for at most seconds (SIGTERM); true when the worker is idle, whose thread
 * then ends and is joined (a later job starts another). */
bool jobs_drain_for(double seconds);
/* At start, before any request: finishes the imports of a previous process that were
 * past their commit point (import_recover), then marks its other jobs failed (their
 * input lived in that process's memory; their staged rows are gone). */
enum db_rc jobs_recover(struct db *db);
/* Marks job id done with result (JSON text) inside the caller's transaction, the one
 * that writes the job's data (an import's last batch), so that the job reads done
 * exactly when its data is there (S24). The worker then leaves the job as it is. */
enum db_rc jobs_mark_done(struct db *db, int64_t id, const char *result);
/* Marks job id failed with a Chinese reason (a job that could not be started). */
void jobs_fail(struct db *db, int64_t id, const char *why);
#endif
