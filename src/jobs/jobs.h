/* jobs.h: long work as jobs (DESIGN.md §3): a row in the jobs table, a worker thread,
 * progress in percent and a result. Submitting answers at once with the job's id; the
 * work runs on the worker with its own database connection (db_thread), one job at a
 * time in submission order (so one import runs at a time per server; the others wait
 * queued). While a job runs its progress lives in memory; the table gets its outcome
 * (done with the result, or failed with the reason) when it ends.
 *
 * Several servers on one database (issue 12): a job is held by the process that
 * accepted it through a lease in its row (jobs.lease_owner, lease_until, 0053), which
 * that process's lease thread extends while it holds the job. A job whose lease has run
 * out, because its process died or can no longer reach the database, is taken over by
 * whichever server looks first (jobs_recover: at start, then every half lease): an
 * import past its commit point is finished, any other job failed. A job cannot be
 * resumed elsewhere from the start: its input (an import's upload) lived in the memory
 * and unlinked spool file of the process that accepted it; the user submits it again. */
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
 * which). The job is this process's from then on (its lease, renewed while the job is
 * queued or running here). It starts only after jobs_start(id) — call it after the
 * commit. */
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
/* The same for at most seconds (SIGTERM), taking over no more jobs meanwhile; then stops
 * the lease thread. True when the worker is idle, whose thread then ends and is joined
 * (a later job starts another); false when a job is left, whose lease is then let go so
 * that another server takes it over at once. */
bool jobs_drain_for(double seconds);
/* Takes over every job whose lease has run out (any server's, this one's previous
 * process's included), one claim per short write transaction, so that servers doing
 * this at once take different jobs: an import past its commit point is finished (it
 * reads done), any other job failed with a reason asking to submit it again, its staged
 * rows removed first. Then removes the staged rows that finished jobs left
 * (import_sweep). Runs at start on the caller's connection; the worker takes over
 * expired jobs (without the sweep) every half lease. DB_OK, or the first failure
 * (logged; the next pass tries again). */
enum db_rc jobs_recover(struct db *db);
/* Starts the lease thread, which extends the leases of the jobs this process holds
 * every third of cfg.job_lease_seconds; with take_over_expired (the server) it also has
 * the worker run jobs_recover every half lease. The command line's import starts it
 * without. 0, or -1 when the thread cannot start. */
int jobs_lease_start(bool take_over_expired);
/* The server's worker runs below its requests (nice 15); a command line's (the CLI's
 * import) keeps its normal priority: nothing else in its process waits for the cores.
 * Before the first jobs_start. */
void jobs_background_priority(bool lower);
/* Stops the lease thread (jobs_drain_for does it at shutdown). */
void jobs_lease_stop(void);
/* In a write transaction that writes job id's data: DB_OK while the job is still this
 * process's (unfinished, its lease not taken over), whose lease it extends; DB_ERROR
 * (logged) when another server has taken it over, so that the caller rolls back and
 * writes nothing more for it (import_hold_fn). */
enum db_rc jobs_hold(struct db *db, int64_t id);
/* Marks job id done with result (JSON text) inside the caller's transaction, the one
 * that writes the job's data (an import's last batch), so that the job reads done
 * exactly when its data is there (S24). The worker then leaves the job as it is.
 * DB_ERROR when the job is not this process's unfinished job. */
enum db_rc jobs_mark_done(struct db *db, int64_t id, const char *result);
/* Marks job id failed with a Chinese reason (a job that could not be started), unless
 * it has ended or is no longer this process's. */
void jobs_fail(struct db *db, int64_t id, const char *why);
/* Cancels job id (any kind that can stop midway: an export) inside the caller's write
 * transaction: the job reads cancelled ({status: "cancelled"}, a failed job whose result
 * has code "cancelled") from the commit on, whichever server runs it. DB_OK, DB_DONE
 * when it has ended already, or the failure. Then, after the commit,
 * jobs_cancel_local(id) stops it in this process: a queued job is dropped (its arg
 * freed), a running one sees jobs_cancelled true at its next check. A job running on
 * another server runs on to its end there, whose outcome is then not written. */
enum db_rc jobs_cancel(struct db *db, int64_t id);
void jobs_cancel_local(int64_t id);
/* From inside the work: whether it was asked to stop (it then cleans up and fails). */
bool jobs_cancelled(struct job *j);
/* The params the job was created with (a new reference), NULL with DB_NOT_FOUND. */
json_t *jobs_params(struct db *db, int64_t id, enum db_rc *rc);
#endif
