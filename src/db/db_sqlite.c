/* db_sqlite.c: the SQLite engine behind db.h (db_impl.h). One connection per worker
 * thread, each with its own cache of prepared statements keyed by the db_sql pointer.
 * Binds and column reads are checked against the statement (db.h: a misuse asserts, or
 * fails the next step in release). */
#include "db/db_impl.h"
#include "config.h"
#include "core/log.h"
#include "core/thread.h"
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <time.h>
#include <malloc.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DJ_APPLICATION_ID_TEXT "1145717297" /* 0x444A4231, "DJB1" */
#define MAX_PARAMS 64

struct sq_stmt {
	struct db_stmt base;
	sqlite3_stmt *st;
	int nparams;
	int idx[MAX_PARAMS + 1]; /* $n → SQLite parameter index */
};

struct sq_file;

struct sq_db {
	struct db base;
	sqlite3 *h;
	struct sq_file *file; /* the process's writers' queue and group commit for this file */
	bool queued;          /* holds the file's writer queue (a write transaction) */
	bool nosync;          /* this write transaction commits at synchronous=NORMAL */
	bool normal_now;      /* synchronous=NORMAL, temp_store=MEMORY are the connection's now */
	bool keep_settings;   /* the writer connection: they stay from one transaction to the next */
	bool leased;          /* the writer connection, taken with the file's turn (db_writer_take) */
	db_row_fn scan_fn; /* db_scan's callback while its statement runs */
	void *scan_ctx;
	int64_t scan_rows;
};

#define SQ(d) ((struct sq_db *)(d))
#define ST(s) ((struct sq_stmt *)(s))


static enum db_rc map_rc(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
		return DB_OK;
	case SQLITE_ROW:
		return DB_ROW;
	case SQLITE_DONE:
		return DB_DONE;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		db_note_busy();
		return DB_BUSY;
	case SQLITE_CONSTRAINT:
		return DB_CONSTRAINT;
	case SQLITE_FULL:
	case SQLITE_IOERR:
		return rc == SQLITE_FULL || (rc & 0xff) == SQLITE_FULL || rc == SQLITE_IOERR_WRITE ? DB_FULL : DB_ERROR;
	default:
		return DB_ERROR;
	}
}

static int exec_pragma(sqlite3 *h, const char *sql)
{
	/* pragmas here are constant strings of this file, not request data */
	char *err = NULL;
	int rc = sqlite3_exec(h, sql, NULL, NULL, &err);
	if (rc != SQLITE_OK) {
		log_msg(LOG_ERROR, NULL, "db: %s: %s", sql, err ? err : sqlite3_errstr(rc));
		sqlite3_free(err);
	}
	return rc;
}

/* 1 when the pragma's value is want, 0 when not, -1 on error. */
static int pragma_text_is(sqlite3 *h, const char *pragma, const char *want)
{
	sqlite3_stmt *st = NULL;
	int r = -1;
	if (sqlite3_prepare_v2(h, pragma, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 0);
		r = v && strcmp(v, want) == 0;
	}
	sqlite3_finalize(st);
	return r;
}

/* dj_row(a, b, …): db_scan's aggregate. Each row's integer arguments go to the
 * connection's callback from inside the engine, without a sqlite3_step per row. */
static void scan_step(sqlite3_context *c, int n, sqlite3_value **v)
{
	struct sq_db *db = sqlite3_user_data(c);
	int64_t vals[DB_SCAN_MAX];
	if (!db->scan_fn || n > DB_SCAN_MAX) {
		sqlite3_result_error(c, "dj_row outside db_scan", -1);
		return;
	}
	for (int i = 0; i < n; i++)
		vals[i] = sqlite3_value_int64(v[i]);
	db->scan_fn(db->scan_ctx, vals, n);
	db->scan_rows++;
}

static void scan_final(sqlite3_context *c)
{
	struct sq_db *db = sqlite3_user_data(c);
	sqlite3_result_int64(c, db->scan_rows);
}

/* The busy handler: while another process holds the lock, look again every millisecond
 * until busy_timeout_ms have passed. SQLite's own (sqlite3_busy_timeout) sleeps 1, 2, 5
 * … 100 ms between looks, so a waiter came back at most every 100 ms and a writer in
 * another process (a CLI import) had to leave the lock free as long as it had held it
 * (S18) for the waiter to see it free: half of an import's time was spent standing
 * aside. Looking every millisecond, a pause of a few milliseconds lets a waiter in
 * (model/import_stage.c). A look costs a few microseconds. */
static _Thread_local double busy_since;
static int busy_poll(void *unused, int count)
{
	(void)unused;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	double now = (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
	if (count == 0)
		busy_since = now;
	else if (now - busy_since >= (double)cfg.busy_timeout_ms)
		return 0;
	struct timespec d = {0, 1000000L};
	nanosleep(&d, NULL);
	return 1;
}

/* ---- the writers' queue and group commit -------------------------------------------
 * One database file has one writer at a time. Left to SQLite, the threads of this
 * process that want it sleep in the busy handler with a growing back-off (1, 2, 5 … 100
 * ms), a late comer often wins, and each sleeping HTTP worker stalls every connection it
 * serves: 16 clients creating members saw p99 692 ms. So a write transaction first takes
 * a place in this process's queue for the file (first come, first served, bounded by
 * busy_timeout_ms as before), and only then BEGIN IMMEDIATE; SQLite's busy handler is
 * left with other processes (a CLI command, a second server).
 *
 * Group commit (db.h): a grouped transaction commits at synchronous=NORMAL (no fsync
 * inside the writer lock), takes a ticket, and the file's sync thread fsyncs the WAL
 * once for every ticket taken before it started. SQLite appends commits to the WAL in
 * order, so a sync that covers ticket n covers every ticket below n. */

struct sq_waiter {
	pthread_cond_t cv;
	bool granted;
	struct sq_waiter *next;
};

#define TURN_BUCKETS 1000

struct sq_file {
	char path[PATH_MAX];
	char vfs[64];
	pthread_mutex_t mu;
	/* the writers' queue */
	bool held;
	struct sq_waiter *head, *tail;
	/* group commit: the sync thread waits for work on sync_cv, waiters for a ticket too */
	pthread_cond_t sync_cv;
	uint64_t committed, durable; /* tickets: the last taken, the last known durable */
	bool sync_started, sync_ready, sync_stop, sync_broken;
	pthread_t sync_thread;
	int users; /* the process's connections to the file (the sync thread's not counted) */
	/* checkpoints of grouped writers, on a thread of their own (wal_hook) */
	bool ckpt_wanted, ckpt_started, ckpt_stop;
	pthread_t ckpt_thread;
	struct db_durable_wait *wait_head; /* db_durable_async's callers */
	/* the writer lock's turns, logged when the file's last connection closes: how long
	 * each was held (from its grant to queue_leave) and waited for (queue_enter) */
	uint64_t turns, hold_ns, hold_max_ns, wait_ns, wait_max_ns, held_since_ns;
	/* and their distributions: counts per 0.1 ms up to TURN_BUCKETS / 10 ms (the last
	 * bucket takes the longer ones), for the percentiles of the same line */
	uint32_t hold_hist[TURN_BUCKETS], wait_hist[TURN_BUCKETS];
	/* the sync thread's fsyncs: how many, how long, how many tickets each made durable */
	uint64_t syncs, synced_tickets;
	uint32_t sync_hist[TURN_BUCKETS];
};

#define SQ_FILES 8
static pthread_mutex_t files_mu = PTHREAD_MUTEX_INITIALIZER;
static struct sq_file *files[SQ_FILES];
static struct sq_file *group_file; /* the one file whose commits may be grouped */

/* The queue of the file h has open as "main", shared by the process's connections to it
 * (NULL: an in-memory or temporary database, or more files than slots: no queue). */
static struct sq_file *file_of(sqlite3 *h, const char *vfs)
{
	const char *path = sqlite3_db_filename(h, "main");
	if (!path || !*path || strlen(path) >= PATH_MAX)
		return NULL;
	struct sq_file *f = NULL;
	pthread_mutex_lock(&files_mu);
	for (int i = 0; i < SQ_FILES && !f; i++) {
		if (files[i] && strcmp(files[i]->path, path) == 0) {
			f = files[i];
			f->users++;
		} else if (!files[i]) {
			if (!(f = calloc(1, sizeof *f)))
				break;
			snprintf(f->path, sizeof f->path, "%s", path);
			snprintf(f->vfs, sizeof f->vfs, "%s", vfs ? vfs : "");
			pthread_mutex_init(&f->mu, NULL);
			pthread_cond_init(&f->sync_cv, NULL);
			f->users = 1;
			files[i] = f;
		}
	}
	pthread_mutex_unlock(&files_mu);
	return f;
}

static void deadline_after(struct timespec *ts, int64_t ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static unsigned turn_bucket(uint64_t ns)
{
	uint64_t b = ns / 100000u;
	return b < TURN_BUCKETS ? (unsigned)b : TURN_BUCKETS - 1;
}

/* The time (ms) under which the fraction q of the turns counted in h fell. */
static double turn_pct(const uint32_t *h, uint64_t turns, double q)
{
	uint64_t want = (uint64_t)((double)turns * q + 0.999999), seen = 0;
	for (unsigned i = 0; i < TURN_BUCKETS; i++)
		if ((seen += h[i]) >= want)
			return (double)(i + 1) / 10.0;
	return (double)TURN_BUCKETS / 10.0;
}

/* Under f->mu: this thread's turn starts after waiting since t0. */
static void turn_start(struct sq_file *f, uint64_t t0)
{
	uint64_t now = mono_ns(), w = now - t0;
	f->held_since_ns = now;
	f->wait_ns += w;
	if (w > f->wait_max_ns)
		f->wait_max_ns = w;
	f->wait_hist[turn_bucket(w)]++;
}

/* A place in the file's queue: 0 when it is this thread's turn, -1 after busy_timeout_ms. */
static int queue_enter(struct sq_file *f)
{
	uint64_t t0 = mono_ns();
	pthread_mutex_lock(&f->mu);
	if (!f->held && !f->head) {
		f->held = true;
		turn_start(f, t0);
		pthread_mutex_unlock(&f->mu);
		return 0;
	}
	struct sq_waiter w = {.granted = false};
	pthread_cond_init(&w.cv, NULL);
	if (f->tail)
		f->tail->next = &w;
	else
		f->head = &w;
	f->tail = &w;
	struct timespec until;
	deadline_after(&until, cfg.busy_timeout_ms);
	int rc = 0;
	while (!w.granted && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&w.cv, &f->mu, &until);
	int ret = 0;
	if (!w.granted) { /* out of time: leave the queue */
		struct sq_waiter **pp = &f->head, *prev = NULL;
		while (*pp && *pp != &w) {
			prev = *pp;
			pp = &(*pp)->next;
		}
		if (*pp)
			*pp = w.next;
		if (f->tail == &w)
			f->tail = prev;
		ret = -1;
	} else {
		turn_start(f, t0);
	}
	pthread_mutex_unlock(&f->mu);
	pthread_cond_destroy(&w.cv);
	return ret;
}

/* The next in the queue gets the turn (held stays true), or nobody waits. */
static void queue_leave(struct sq_file *f)
{
	uint64_t now = mono_ns();
	pthread_mutex_lock(&f->mu);
	uint64_t h = now - f->held_since_ns;
	f->turns++;
	f->hold_ns += h;
	if (h > f->hold_max_ns)
		f->hold_max_ns = h;
	f->hold_hist[turn_bucket(h)]++;
	struct sq_waiter *w = f->head;
	if (w) {
		f->head = w->next;
		if (!f->head)
			f->tail = NULL;
		w->granted = true;
		pthread_cond_signal(&w->cv);
	} else {
		f->held = false;
	}
	pthread_mutex_unlock(&f->mu);
}

/* Under f->mu (let go while the callbacks run): wakes the blocked waiters and calls back
 * those whose ticket is now durable, or can no longer be. */
static void sync_deliver(struct sq_file *f)
{
	struct db_durable_wait **pp = &f->wait_head, *ready = NULL;
	while (*pp) {
		struct db_durable_wait *w = *pp;
		if (w->ticket <= f->durable || f->sync_broken) {
			*pp = w->next;
			w->rc = w->ticket <= f->durable ? DB_OK : DB_ERROR;
			w->next = ready;
			ready = w;
		} else {
			pp = &w->next;
		}
	}
	pthread_cond_broadcast(&f->sync_cv);
	pthread_mutex_unlock(&f->mu);
	while (ready) { /* w may be gone once its callback ran */
		struct db_durable_wait *w = ready;
		ready = w->next;
		w->fn(w->ctx);
	}
	pthread_mutex_lock(&f->mu);
}

/* The sync thread: its own connection to the file, whose WAL handle it fsyncs (a sync
 * of one handle of a file is a sync of the file). */
static void *sync_main(void *arg)
{
	struct sq_file *f = arg;
	sqlite3 *h = NULL;
	sqlite3_file *wal = NULL;
	if (sqlite3_open_v2(f->path, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, f->vfs[0] ? f->vfs : NULL) ==
	    SQLITE_OK) {
		/* a read opens the connection's WAL; it stays open as long as the connection */
		sqlite3_exec(h, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
		if (sqlite3_file_control(h, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal) != SQLITE_OK || !wal ||
		    !wal->pMethods)
			wal = NULL;
	}
	pthread_mutex_lock(&f->mu);
	if (!wal) {
		log_msg(LOG_ERROR, NULL, "db: group commit: cannot open the WAL of the database");
		f->sync_broken = true;
	}
	f->sync_ready = true; /* group_ready waits for this: the thread's set-up is done */
	pthread_cond_broadcast(&f->sync_cv);
	for (;;) {
		while (!f->sync_broken && f->durable == f->committed && !f->sync_stop)
			pthread_cond_wait(&f->sync_cv, &f->mu);
		if (f->sync_broken) {
			sync_deliver(f);
			if (f->sync_stop)
				break;
			pthread_cond_wait(&f->sync_cv, &f->mu);
			continue;
		}
		if (f->durable == f->committed) /* stopping, and everything synced */
			break;
		uint64_t target = f->committed, t0 = mono_ns();
		pthread_mutex_unlock(&f->mu);
		int rc = wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL);
		pthread_mutex_lock(&f->mu);
		f->syncs++;
		f->synced_tickets += target - f->durable;
		f->sync_hist[turn_bucket(mono_ns() - t0)]++;
		if (rc == SQLITE_OK) {
			f->durable = target;
		} else {
			/* after a failed fsync the kernel may have dropped the pages: nothing
			 * committed since can be called durable any more */
			log_msg(LOG_ERROR, NULL, "db: group commit: fsync of the WAL failed: %s", sqlite3_errstr(rc));
			f->sync_broken = true;
		}
		sync_deliver(f);
	}
	pthread_mutex_unlock(&f->mu);
	sqlite3_close(h);
	return NULL;
}

/* SQLite's own auto-checkpoint runs in the connection that committed, inside COMMIT,
 * and so inside the writers' turn: every writer queued behind it waited for a copy of
 * the WAL into the database and two fsyncs. A grouped writer hands it to this thread
 * instead (PASSIVE: it never blocks a writer), which uses a connection of its own. */
#define WAL_CHECKPOINT_PAGES 1000 /* SQLite's default */
#define WAL_CHECKPOINT_RETRY_MS 50 /* a pass held back by a reader is tried again after this */
/* A WAL is started over only by a writer that finds it copied whole, and under steady
 * writes a pass never is: the frames appended while it copied are left. The WAL then
 * only grew (16 writers' creations at the 1M district: 1.5 GB in 10 s), every frame was
 * written to a new part of the file (the kernel zeroes and allocates it) and every page
 * lookup walked a longer wal-index: a writer's turn 0.54 ms on average, 1,667 /s, p99
 * 28.6 ms. So once the WAL holds WAL_RESTART_FRAMES and a pass has left at most
 * WAL_TURN_FRAMES, the thread takes the writers' turn and copies those (1-8 ms with the
 * two fsyncs); the next writer starts the WAL over (the same run: 16 MB of WAL at most,
 * a turn 0.33 ms, 2,414 /s, p99 17.0 ms). A pass that a reader held back leaves more
 * than WAL_TURN_FRAMES: no turn is taken then. */
#define WAL_RESTART_FRAMES 4000
#define WAL_TURN_FRAMES 1000

static void *ckpt_main(void *arg)
{
	struct sq_file *f = arg;
	sqlite3 *h = NULL;
	if (sqlite3_open_v2(f->path, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, f->vfs[0] ? f->vfs : NULL) !=
	    SQLITE_OK)
		log_msg(LOG_ERROR, NULL, "db: the checkpoint thread cannot open the database");
	/* A connection learns that the file is in WAL mode, and opens its WAL, on its first
	 * read: before it, sqlite3_wal_checkpoint_v2 answers SQLITE_OK with -1 frames and
	 * copies nothing. Without this read the thread never checkpointed: under grouped
	 * writes the WAL only grew (no writer ever found it copied whole to start it over),
	 * and every page a reader or writer looked up walked its whole wal-index (one hash
	 * table per 4,096 frames): 18% of a booking's CPU, 45% of a cached month calendar's
	 * after 10 s of bookings (perf). Its synchronous=FULL (SQLite's default, said here):
	 * the WAL is synced before its frames are copied, the file after, before a writer may
	 * start the WAL over. */
	if (h && sqlite3_exec(h, "PRAGMA synchronous=FULL; SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL) !=
		     SQLITE_OK)
		log_msg(LOG_ERROR, NULL, "db: the checkpoint thread cannot read the database: %s", sqlite3_errmsg(h));
	pthread_mutex_lock(&f->mu);
	bool behind = false; /* the last checkpoint left frames of the WAL to copy */
	for (;;) {
		if (behind && !f->ckpt_wanted && !f->ckpt_stop) {
			/* no commit asks any more (the writes stopped), but a reader's snapshot
			 * held the last pass back: try again shortly. A WAL not copied whole costs
			 * every later read a walk through its wal-index (one hash table per 4,096
			 * frames, ~40 after a burst of bookings) until the next writer; copied
			 * whole, readers skip the WAL and the next writer starts it over. */
			struct timespec until;
			deadline_after(&until, WAL_CHECKPOINT_RETRY_MS);
			/* sync_cv is also the sync thread's: its wake-ups are not a reason */
			while (!f->ckpt_wanted && !f->ckpt_stop &&
			       pthread_cond_timedwait(&f->sync_cv, &f->mu, &until) != ETIMEDOUT)
				;
		} else {
			while (!f->ckpt_wanted && !f->ckpt_stop)
				pthread_cond_wait(&f->sync_cv, &f->mu);
		}
		if (f->ckpt_stop)
			break;
		f->ckpt_wanted = false;
		pthread_mutex_unlock(&f->mu);
		int log = 0, copied = 0;
		int rc = h ? sqlite3_wal_checkpoint_v2(h, "main", SQLITE_CHECKPOINT_PASSIVE, &log, &copied) : SQLITE_ERROR;
		if (rc == SQLITE_OK && copied < log && log >= WAL_RESTART_FRAMES && log - copied <= WAL_TURN_FRAMES &&
		    queue_enter(f) == 0) {
			/* the rest, in the writers' turn: nothing is appended meanwhile */
			rc = sqlite3_wal_checkpoint_v2(h, "main", SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
			queue_leave(f);
		}
		if (rc != SQLITE_OK && rc != SQLITE_BUSY)
			log_msg(LOG_WARN, NULL, "db: checkpoint: %s", sqlite3_errstr(rc));
		behind = h && (rc == SQLITE_BUSY || (rc == SQLITE_OK && copied < log));
		pthread_mutex_lock(&f->mu);
	}
	pthread_mutex_unlock(&f->mu);
	sqlite3_close(h);
	return NULL;
}

/* Asks the checkpoint thread for a checkpoint: false when there is none. */
static bool ckpt_request(struct sq_file *f)
{
	pthread_mutex_lock(&f->mu);
	if (!f->ckpt_started && !f->ckpt_stop)
		f->ckpt_started = thread_start("dj-dbckpt", ckpt_main, f, &f->ckpt_thread) == 0;
	bool ok = f->ckpt_started && !f->ckpt_stop;
	if (ok) {
		f->ckpt_wanted = true;
		pthread_cond_broadcast(&f->sync_cv);
	}
	pthread_mutex_unlock(&f->mu);
	return ok;
}

/* After each commit (sqlite3_wal_hook): SQLite's auto-checkpoint, but a grouped writer's
 * goes to the checkpoint thread. */
static int wal_hook(void *ctx, sqlite3 *h, const char *zdb, int pages)
{
	struct sq_db *db = ctx;
	if (pages < WAL_CHECKPOINT_PAGES)
		return SQLITE_OK;
	if (db->nosync && ckpt_request(db->file))
		return SQLITE_OK;
	sqlite3_wal_checkpoint(h, zdb); /* what SQLite's default hook does */
	return SQLITE_OK;
}

/* Whether grouped commits can be used on the file (starts its sync thread once). One
 * file per process groups (the server's database): tickets are that file's. */
static bool group_ready(struct sq_file *f)
{
	pthread_mutex_lock(&files_mu);
	if (!group_file)
		group_file = f;
	bool mine = group_file == f;
	pthread_mutex_unlock(&files_mu);
	if (!mine)
		return false;
	pthread_mutex_lock(&f->mu);
	if (!f->sync_started && !f->sync_stop) {
		f->sync_started = thread_start("dj-dbsync", sync_main, f, &f->sync_thread) == 0;
		if (!f->sync_started)
			f->sync_stop = true; /* no thread: commits keep their own fsync */
	}
	while (f->sync_started && !f->sync_ready)
		pthread_cond_wait(&f->sync_cv, &f->mu);
	bool ok = f->sync_started && !f->sync_stop && !f->sync_broken;
	pthread_mutex_unlock(&f->mu);
	return ok;
}

/* A grouped commit has happened (the writer's turn still held): its ticket. */
static uint64_t group_ticket(struct sq_file *f)
{
	pthread_mutex_lock(&f->mu);
	uint64_t t = ++f->committed;
	pthread_cond_broadcast(&f->sync_cv);
	pthread_mutex_unlock(&f->mu);
	return t;
}

static struct sq_file *ticket_file(void)
{
	pthread_mutex_lock(&files_mu);
	struct sq_file *f = group_file;
	pthread_mutex_unlock(&files_mu);
	return f;
}

enum db_rc db_sqlite_durable_wait(uint64_t ticket)
{
	struct sq_file *f = ticket_file();
	if (!f)
		return DB_ERROR;
	pthread_mutex_lock(&f->mu);
	while (f->durable < ticket && !f->sync_broken)
		pthread_cond_wait(&f->sync_cv, &f->mu);
	enum db_rc rc = f->durable >= ticket ? DB_OK : DB_ERROR;
	pthread_mutex_unlock(&f->mu);
	return rc;
}

bool db_sqlite_durable_async(struct db_durable_wait *w)
{
	struct sq_file *f = ticket_file();
	if (!f) {
		w->rc = DB_ERROR;
		return false;
	}
	pthread_mutex_lock(&f->mu);
	bool queued = false;
	if (f->durable >= w->ticket) {
		w->rc = DB_OK;
	} else if (f->sync_broken) {
		w->rc = DB_ERROR;
	} else {
		w->next = f->wait_head;
		f->wait_head = w;
		queued = true;
	}
	pthread_mutex_unlock(&f->mu);
	return queued;
}

/* Stops the file's sync thread after it has synced every ticket, and forgets the
 * tickets: commits fsync themselves until a grouped transaction starts it again. */
static void group_stop(struct sq_file *f)
{
	pthread_mutex_lock(&f->mu);
	if (f->turns)
		log_msg(LOG_INFO, NULL,
			"db: writer lock: %llu turns, held %.3f ms on average (longest %.1f ms), waited for %.3f ms on "
			"average (longest %.1f ms)",
			(unsigned long long)f->turns, (double)f->hold_ns / (double)f->turns / 1e6,
			(double)f->hold_max_ns / 1e6, (double)f->wait_ns / (double)f->turns / 1e6,
			(double)f->wait_max_ns / 1e6);
	if (f->turns)
		log_msg(LOG_INFO, NULL,
			"db: writer lock: held p50 %.1f p90 %.1f p99 %.1f ms; waited p50 %.1f p90 %.1f p99 %.1f ms "
			"(to 0.1 ms)",
			turn_pct(f->hold_hist, f->turns, 0.5), turn_pct(f->hold_hist, f->turns, 0.9),
			turn_pct(f->hold_hist, f->turns, 0.99), turn_pct(f->wait_hist, f->turns, 0.5),
			turn_pct(f->wait_hist, f->turns, 0.9), turn_pct(f->wait_hist, f->turns, 0.99));
	f->turns = f->hold_ns = f->hold_max_ns = f->wait_ns = f->wait_max_ns = 0;
	memset(f->hold_hist, 0, sizeof f->hold_hist);
	memset(f->wait_hist, 0, sizeof f->wait_hist);
	if (f->syncs)
		log_msg(LOG_INFO, NULL,
			"db: group commit: %llu fsyncs for %llu commits (%.1f each), fsync p50 %.1f p90 %.1f p99 %.1f ms",
			(unsigned long long)f->syncs, (unsigned long long)f->synced_tickets,
			(double)f->synced_tickets / (double)f->syncs, turn_pct(f->sync_hist, f->syncs, 0.5),
			turn_pct(f->sync_hist, f->syncs, 0.9), turn_pct(f->sync_hist, f->syncs, 0.99));
	f->syncs = f->synced_tickets = 0;
	memset(f->sync_hist, 0, sizeof f->sync_hist);
	bool started = f->sync_started;
	f->sync_stop = true;
	pthread_cond_broadcast(&f->sync_cv);
	pthread_mutex_unlock(&f->mu);
	if (started)
		(void)thread_join("dj-dbsync", f->sync_thread); /* a failure is logged there */
	pthread_mutex_lock(&f->mu);
	started = f->ckpt_started;
	f->ckpt_stop = true;
	pthread_cond_broadcast(&f->sync_cv);
	pthread_mutex_unlock(&f->mu);
	if (started)
		(void)thread_join("dj-dbckpt", f->ckpt_thread);
	pthread_mutex_lock(&f->mu);
	f->ckpt_started = f->ckpt_stop = f->ckpt_wanted = false;
	f->sync_started = f->sync_ready = f->sync_stop = f->sync_broken = false;
	f->committed = f->durable = 0;
	pthread_mutex_unlock(&f->mu);
}

enum db_rc db_sqlite_lease(struct db *d, bool take)
{
	struct sq_db *db = SQ(d);
	if (!take) {
		db->leased = false;
		queue_leave(db->file);
		return DB_OK;
	}
	if (queue_enter(db->file) != 0) {
		db_note_busy();
		return DB_BUSY;
	}
	db->leased = true;
	return DB_OK;
}

bool db_sqlite_writer(struct db *d)
{
	struct sq_db *db = SQ(d);
	if (!db->file)
		return false;
	db->keep_settings = true;
	return true;
}

void db_sqlite_group_stop(void)
{
	struct sq_file *f = ticket_file();
	if (f)
		group_stop(f);
}

/* A connection to the file closes: the last one stops the sync thread first (whose
 * own connection must not be the last: that one would checkpoint and remove the WAL). */
static void file_release(struct sq_file *f)
{
	pthread_mutex_lock(&files_mu);
	bool last = --f->users == 0;
	pthread_mutex_unlock(&files_mu);
	if (last)
		group_stop(f);
}

static const struct db_ops sq_ops;
static void sq_close(struct db *db);

/* Before the first connection: no global memory statistics, whose mutex every
 * sqlite3_malloc of every thread would take (nothing here reads them). (Statement
 * journals keep SQLite's own 64 KiB spill: SQLITE_CONFIG_STMTJRNL_SPILL at 4 MiB, which
 * is also the in-memory journal's chunk size, made the bench's dev-demo fail with
 * "database or disk is full" on its first insert.) */
static void sqlite_setup(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

struct db *db_sqlite_open(const char *path, int flags, const char *vfs)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, sqlite_setup);
	if (!db_tables_whole())
		return NULL;
	sqlite3 *h = NULL;
	int oflags = SQLITE_OPEN_NOMUTEX;
	oflags |= (flags & DB_OPEN_READONLY) ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	if (flags & DB_OPEN_CREATE)
		oflags |= SQLITE_OPEN_CREATE;
	int rc = sqlite3_open_v2(path, &h, oflags, vfs);
	if (rc != SQLITE_OK) {
		db_set_open_error("%s", sqlite3_errstr(rc));
		log_msg(LOG_ERROR, NULL, "db: cannot open database: %s", sqlite3_errstr(rc));
		sqlite3_close(h);
		return NULL;
	}
	sqlite3_extended_result_codes(h, 1);
	sqlite3_busy_handler(h, busy_poll, NULL);
	char pragma[128];
	int bad = 0;
	if (!(flags & DB_OPEN_READONLY)) {
		bad |= exec_pragma(h, "PRAGMA journal_mode=WAL");
		/* writing the header needs the write lock: only when it is not set yet, so that
		 * a worker's first connection opens while another process holds the lock */
		if (pragma_text_is(h, "PRAGMA application_id", DJ_APPLICATION_ID_TEXT) == 0)
			bad |= exec_pragma(h, "PRAGMA application_id=" DJ_APPLICATION_ID_TEXT);
	}
	bad |= exec_pragma(h, "PRAGMA synchronous=FULL");
	bad |= exec_pragma(h, "PRAGMA foreign_keys=ON");
	bad |= exec_pragma(h, "PRAGMA secure_delete=ON");
	/* PRAGMA values cannot be bound; these are integers from the config, never request data */
	snprintf(pragma, sizeof pragma, "PRAGMA mmap_size=%lld", (long long)cfg.mmap_size); /* codecheck-ok: config integer */
	exec_pragma(h, pragma);
	snprintf(pragma, sizeof pragma, "PRAGMA cache_size=-%lld", (long long)cfg.cache_kib); /* codecheck-ok: config integer */
	exec_pragma(h, pragma);
	if (bad) {
		db_set_open_error("%s", sqlite3_errmsg(h));
		sqlite3_close(h);
		return NULL;
	}
	struct sq_db *db = calloc(1, sizeof *db);
	if (!db) {
		sqlite3_close(h);
		return NULL;
	}
	db->base.ops = &sq_ops;
	db->h = h;
	if (!(flags & DB_OPEN_READONLY) && (db->file = file_of(h, vfs)) != NULL)
		sqlite3_wal_hook(h, wal_hook, db);
	if (sqlite3_create_function(h, "dj_row", -1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, db, NULL, scan_step, scan_final) !=
	    SQLITE_OK) {
		sq_close(&db->base);
		return NULL;
	}
	return &db->base;
}

static void cache_clear(struct sq_db *db)
{
	for (size_t i = 0; i < db->base.cap; i++)
		if (db->base.cache[i]) {
			sqlite3_finalize(ST(db->base.cache[i])->st);
			free(db->base.cache[i]);
		}
	free(db->base.cache);
	db->base.cache = NULL;
	db->base.cap = db->base.used = 0;
}

static void sq_close(struct db *d)
{
	struct sq_db *db = SQ(d);
	if (d->in_tx)
		exec_pragma(db->h, "ROLLBACK");
	if (db->queued) {
		db->queued = false;
		queue_leave(db->file);
	}
	if (db->file)
		file_release(db->file);
	cache_clear(db);
	sqlite3_close(db->h);
	free(db);
}

static int sq_self_check(struct db *d, char *why, size_t whylen)
{
	static const struct {
		const char *pragma;
		const char *want;
	} checks[] = {
		{"PRAGMA journal_mode", "wal"},
		{"PRAGMA synchronous", "2"},
		{"PRAGMA foreign_keys", "1"},
		{"PRAGMA secure_delete", "1"},
	};
	for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
		if (pragma_text_is(SQ(d)->h, checks[i].pragma, checks[i].want) != 1) {
			snprintf(why, whylen, "%s is not %s", checks[i].pragma, checks[i].want);
			return -1;
		}
	}
	return 0;
}

static int map_params(struct sq_stmt *s)
{
	int count = sqlite3_bind_parameter_count(s->st);
	s->nparams = 0;
	for (int n = 1; n <= MAX_PARAMS; n++) {
		char name[16];
		snprintf(name, sizeof name, "$%d", n);
		int idx = sqlite3_bind_parameter_index(s->st, name);
		s->idx[n] = idx;
		if (idx)
			s->nparams = n;
	}
	/* every parameter must be $n: anything else (?, :name) is a bug in the SQL table */
	int named = 0;
	for (int n = 1; n <= s->nparams; n++)
		named += s->idx[n] != 0;
	return named == count ? 0 : -1;
}

static struct db_stmt *sq_prepare(struct db *d, const struct db_sql *sql)
{
	struct sq_db *db = SQ(d);
	struct db_stmt **slot = db_cache_slot(d, sql);
	if (!slot)
		return NULL;
	struct sq_stmt *s = ST(*slot);
	if (s) {
		sqlite3_reset(s->st);
		sqlite3_clear_bindings(s->st);
		s->base.nocopy = false;
		s->base.misuse = false;
		return &s->base;
	}
	if (!sql->text) { /* a hole: db_open refuses to run with one, so never */
		log_msg(LOG_ERROR, NULL, "db: prepare %s: no statement text", sql->name ? sql->name : "(unnamed)");
		if (db_misuse_asserts)
			assert(!"a statement table entry without text");
		return NULL;
	}
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v3(db->h, sql->text, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
	if (rc != SQLITE_OK) {
		log_msg(LOG_ERROR, NULL, "db: prepare %s: %s", sql->name, sqlite3_errmsg(db->h));
		sqlite3_finalize(st);
		return NULL;
	}
	struct sq_stmt tmp = {.base = {.key = sql, .db = d}, .st = st};
	if (map_params(&tmp) != 0) {
		/* ?, ?NNN or :name would bind differently on PostgreSQL: a bug in the table */
		log_msg(LOG_ERROR, NULL, "db: %s uses parameters other than $n", sql->name);
		sqlite3_finalize(st);
		return NULL;
	}
	if (!(s = malloc(sizeof *s))) {
		sqlite3_finalize(st);
		return NULL;
	}
	*s = tmp;
	*slot = &s->base;
	d->used++;
	return &s->base;
}

/* The SQLite index of $n, or 0 after recording the misuse. */
static int param(struct sq_stmt *s, int n)
{
	if (n > 0 && n <= s->nparams && s->idx[n])
		return s->idx[n];
	db_misuse(&s->base, "parameter $", n);
	return 0;
}

/* Whether column i exists in the current row (recording the misuse when not). */
static bool column(struct sq_stmt *s, int i)
{
	if (i >= 0 && i < sqlite3_data_count(s->st)) /* 0 when no row is current */
		return true;
	db_misuse(&s->base, sqlite3_data_count(s->st) ? "column " : "column (no current row) ", i);
	return false;
}

static void sq_bind_int(struct db_stmt *s, int n, int64_t v)
{
	int j = param(ST(s), n);
	if (j)
		sqlite3_bind_int64(ST(s)->st, j, v);
}

static void sq_bind_double(struct db_stmt *s, int n, double v)
{
	int j = param(ST(s), n);
	if (j)
		sqlite3_bind_double(ST(s)->st, j, v);
}

static void sq_bind_text(struct db_stmt *s, int n, const char *t, long len)
{
	int j = param(ST(s), n);
	if (!j)
		return;
	if (!t)
		sqlite3_bind_null(ST(s)->st, j);
	else
		sqlite3_bind_text(ST(s)->st, j, t, (int)len, s->nocopy ? SQLITE_STATIC : SQLITE_TRANSIENT);
}

static void sq_bind_blob(struct db_stmt *s, int n, const void *p, size_t len)
{
	int j = param(ST(s), n);
	if (!j)
		return;
	if (!p)
		sqlite3_bind_null(ST(s)->st, j);
	else
		sqlite3_bind_blob(ST(s)->st, j, p, (int)len, s->nocopy ? SQLITE_STATIC : SQLITE_TRANSIENT);
}

static void sq_bind_null(struct db_stmt *s, int n)
{
	int j = param(ST(s), n);
	if (j)
		sqlite3_bind_null(ST(s)->st, j);
}

static enum db_rc sq_step(struct db_stmt *s)
{
	sqlite3_stmt *st = ST(s)->st;
	if (s->misuse) { /* logged when it happened */
		sqlite3_reset(st);
		return DB_ERROR;
	}
	int rc = sqlite3_step(st);
	enum db_rc r = map_rc(rc);
	if (r == DB_ERROR || r == DB_FULL)
		log_msg(LOG_ERROR, NULL, "db: step %s: %s", s->key->name, sqlite3_errmsg(SQ(s->db)->h));
	if (r != DB_ROW)
		sqlite3_reset(st);
	return r;
}

static enum db_rc sq_scan(struct db_stmt *s, db_row_fn fn, void *ctx, int64_t *rows)
{
	struct sq_db *db = SQ(s->db);
	db->scan_fn = fn;
	db->scan_ctx = ctx;
	db->scan_rows = 0;
	enum db_rc rc = sq_step(s);
	if (rc == DB_ROW && rows)
		*rows = sqlite3_column_int64(ST(s)->st, DB_COL_ONLY); /* dj_row's aggregate: the rows passed */
	sqlite3_reset(ST(s)->st);
	db->scan_fn = NULL;
	db->scan_ctx = NULL;
	return rc == DB_ROW ? DB_OK : rc;
}

static void sq_reset(struct db_stmt *s)
{
	sqlite3_reset(ST(s)->st);
}

static int64_t sq_col_int(struct db_stmt *s, int i)
{
	return column(ST(s), i) ? sqlite3_column_int64(ST(s)->st, i) : 0;
}

static double sq_col_double(struct db_stmt *s, int i)
{
	return column(ST(s), i) ? sqlite3_column_double(ST(s)->st, i) : 0;
}

static const char *sq_col_text(struct db_stmt *s, int i)
{
	return column(ST(s), i) ? (const char *)sqlite3_column_text(ST(s)->st, i) : NULL;
}

static const void *sq_col_blob(struct db_stmt *s, int i)
{
	return column(ST(s), i) ? sqlite3_column_blob(ST(s)->st, i) : NULL;
}

static size_t sq_col_len(struct db_stmt *s, int i)
{
	return column(ST(s), i) ? (size_t)sqlite3_column_bytes(ST(s)->st, i) : 0;
}

static bool sq_col_null(struct db_stmt *s, int i)
{
	return column(ST(s), i) ? sqlite3_column_type(ST(s)->st, i) == SQLITE_NULL : true;
}

static void sq_cache_kib(struct db *d, int64_t kib)
{
	char pragma[64];
	snprintf(pragma, sizeof pragma, "PRAGMA cache_size=-%lld", (long long)(kib > 0 ? kib : cfg.cache_kib)); /* codecheck-ok: integer */
	exec_pragma(SQ(d)->h, pragma);
	if (kib <= 0) {
		sqlite3_db_release_memory(SQ(d)->h);
		malloc_trim(0); /* and the heap gives the freed pages back to the system */
	}
}

static void sq_mmap(struct db *d, int64_t bytes)
{
	char pragma[64];
	snprintf(pragma, sizeof pragma, "PRAGMA mmap_size=%lld", (long long)(bytes > 0 ? bytes : cfg.mmap_size)); /* codecheck-ok: integer */
	exec_pragma(SQ(d)->h, pragma);
}

static int64_t sq_changes(struct db *d)
{
	return sqlite3_changes64(SQ(d)->h);
}

/* Transaction control as cached statements: every request begins and ends one, and
 * sqlite3_exec would parse the text each time (bench/results.md). */
enum tx_stmt {
	STMT_TX_BEGIN,
	STMT_TX_BEGIN_IMMEDIATE,
	STMT_TX_SAVEPOINT,
	STMT_TX_UNDO,
	STMT_TX_COMMIT,
	STMT_TX_ROLLBACK,
	STMT_TX_SYNC_NORMAL,
	STMT_TX_SYNC_FULL,
	STMT_TX_TEMP_MEMORY,
	STMT_TX_TEMP_DEFAULT,
	TX_STMT__MAX
};
static const struct db_sql tx_sql[TX_STMT__MAX] = {
	[STMT_TX_BEGIN] = {"tx.begin", "BEGIN"},
	[STMT_TX_BEGIN_IMMEDIATE] = {"tx.begin_immediate", "BEGIN IMMEDIATE", "BEGIN"},
	/* db_tx_undo's mark, taken at the start of every write transaction */
	[STMT_TX_SAVEPOINT] = {"tx.savepoint", "SAVEPOINT dj_tx"},
	[STMT_TX_UNDO] = {"tx.undo", "ROLLBACK TO SAVEPOINT dj_tx"},
	[STMT_TX_COMMIT] = {"tx.commit", "COMMIT"},
	[STMT_TX_ROLLBACK] = {"tx.rollback", "ROLLBACK"},
	/* a grouped write transaction's commit leaves its fsync to the sync thread */
	[STMT_TX_SYNC_NORMAL] = {"tx.sync_normal", "PRAGMA synchronous=NORMAL", "SELECT 1"},
	[STMT_TX_SYNC_FULL] = {"tx.sync_full", "PRAGMA synchronous=FULL", "SELECT 1"},
	/* and keeps its statement journals in memory (the pager decides at BEGIN): a member
	 * creation's INSERT (12 indexes, the revision triggers) spilled one past SQLite's
	 * 64 KiB to a temporary file, opened, written and unlinked inside the writer lock
	 * each time (perf: openat, close, unlink, access and their writes ~8% of a
	 * creation's CPU). A request's transaction is small; imports and jobs keep the
	 * default (their journals may be large). */
	[STMT_TX_TEMP_MEMORY] = {"tx.temp_memory", "PRAGMA temp_store=MEMORY", "SELECT 1"},
	[STMT_TX_TEMP_DEFAULT] = {"tx.temp_default", "PRAGMA temp_store=DEFAULT", "SELECT 1"},
};
DB_SQL_TABLE(tx, tx_sql);

static enum db_rc exec_simple(struct db *d, const struct db_sql *sql)
{
	struct db_stmt *st = sq_prepare(d, sql);
	if (!st)
		return map_rc(sqlite3_exec(SQ(d)->h, sql->text, NULL, NULL, NULL)); /* no statement (out of memory) */
	enum db_rc rc = sq_step(st);
	return rc == DB_DONE ? DB_OK : rc;
}

/* A grouped transaction's settings (sync thread's fsync, statement journals in memory)
 * or the default ones (an fsync at each commit; journals spill to a file past 64 KiB).
 * Each PRAGMA is prepared again at every step (SQLite runs it when preparing it). */
static bool group_settings(struct sq_db *db, bool on)
{
	if (exec_simple(&db->base, &tx_sql[on ? STMT_TX_SYNC_NORMAL : STMT_TX_SYNC_FULL]) != DB_OK) {
		log_msg(LOG_ERROR, NULL, "db: synchronous=%s not set: %s", on ? "NORMAL" : "FULL", sqlite3_errmsg(db->h));
		return false;
	}
	db->normal_now = on;
	/* a failure: the journals as before */
	if (exec_simple(&db->base, &tx_sql[on ? STMT_TX_TEMP_MEMORY : STMT_TX_TEMP_DEFAULT]) != DB_OK)
		log_msg(LOG_ERROR, NULL, "db: temp_store not set: %s", sqlite3_errmsg(db->h));
	return true;
}

/* The end of a write transaction: the next writer's turn, then synchronous back to FULL
 * (a setting of this thread's connection alone). The writer connection (db_writer) keeps
 * its settings: it runs no statement outside its write transactions, each of which
 * sets what it needs inside its turn. */
static void write_end(struct sq_db *db)
{
	if (db->queued) {
		db->queued = false;
		queue_leave(db->file);
	}
	db->nosync = false;
	if (db->normal_now && !db->keep_settings)
		(void)group_settings(db, false);
}

static enum db_rc sq_tx_begin(struct db *d, bool write)
{
	struct sq_db *db = SQ(d);
	if (!write) {
		d->group = false;
		return exec_simple(d, &tx_sql[STMT_TX_BEGIN]);
	}
	if (db->file && !db->leased) {
		if (queue_enter(db->file) != 0) {
			d->group = false;
			db_note_busy();
			return DB_BUSY;
		}
		db->queued = true;
	}
	bool group = d->group && db->file && group_ready(db->file);
	if (group != db->normal_now)
		(void)group_settings(db, group); /* a failure leaves normal_now as it was */
	db->nosync = db->normal_now; /* at NORMAL the commit takes a ticket, waited for */
	if (!db->nosync)
		d->group = false;
	enum db_rc rc = exec_simple(d, &tx_sql[STMT_TX_BEGIN_IMMEDIATE]);
	if (rc == DB_OK) {
		rc = exec_simple(d, &tx_sql[STMT_TX_SAVEPOINT]);
		if (rc != DB_OK)
			exec_simple(d, &tx_sql[STMT_TX_ROLLBACK]);
	}
	if (rc != DB_OK)
		write_end(db);
	return rc;
}

static enum db_rc sq_tx_undo(struct db *d)
{
	return exec_simple(d, &tx_sql[STMT_TX_UNDO]);
}

static enum db_rc sq_tx_commit(struct db *d)
{
	struct sq_db *db = SQ(d);
	enum db_rc rc = exec_simple(d, &tx_sql[STMT_TX_COMMIT]);
	if (rc != DB_OK)
		return rc; /* the caller rolls back, which ends the write */
	if (db->nosync)
		d->ticket = group_ticket(db->file); /* before the next writer's commit */
	write_end(db);
	return DB_OK;
}

static void sq_tx_rollback(struct db *d)
{
	if (sqlite3_get_autocommit(SQ(d)->h) == 0)
		exec_simple(d, &tx_sql[STMT_TX_ROLLBACK]);
	write_end(SQ(d));
}

static enum db_rc sq_exec_script(struct db *d, const char *sql)
{
	char *err = NULL;
	int rc = sqlite3_exec(SQ(d)->h, sql, NULL, NULL, &err);
	if (rc != SQLITE_OK) {
		log_msg(LOG_ERROR, NULL, "db: script: %s", err ? err : sqlite3_errstr(rc));
		sqlite3_free(err);
	}
	return map_rc(rc);
}

static const char *sq_errmsg(struct db *d)
{
	return sqlite3_errmsg(SQ(d)->h);
}

static int sq_integrity_check(struct db *d, char *why, size_t whylen)
{
	sqlite3_stmt *st = NULL;
	int ok = -1;
	sqlite3 *h = SQ(d)->h;
	if (sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 0);
		snprintf(why, whylen, "%s", v ? v : "(null)");
		ok = v && strcmp(v, "ok") == 0 ? 0 : -1;
	} else {
		snprintf(why, whylen, "%s", sqlite3_errmsg(h));
	}
	sqlite3_finalize(st);
	return ok;
}

static int sq_check_statements(struct db *d, db_report_fn report)
{
	int failed = 0;
	sqlite3 *h = SQ(d)->h;
	for (const struct db_sql_table *const *t = db_sql_tables; *t; t++) {
		failed += db_sql_table_check(*t, report);
		for (size_t i = 0; i < (*t)->n; i++) {
			const struct db_sql *q = &(*t)->sql[i];
			if (!q->text)
				continue; /* a hole, counted above */
			sqlite3_stmt *st = NULL;
			const char *why = NULL;
			if (sqlite3_prepare_v2(h, q->text, -1, &st, NULL) != SQLITE_OK) {
				why = sqlite3_errmsg(h);
			} else {
				struct sq_stmt tmp = {.st = st};
				if (map_params(&tmp) != 0)
					why = "parameters must be written $1 … $n";
			}
			if (why) {
				failed++;
				if (report)
					report((*t)->name, q->name, why);
			}
			sqlite3_finalize(st);
		}
	}
	return failed;
}

static int sq_backup(struct db *d, const char *dest, char *why, size_t whylen)
{
	sqlite3 *out = NULL;
	int rc = sqlite3_open_v2(dest, &out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		snprintf(why, whylen, "cannot open %s: %s", dest, sqlite3_errstr(rc));
		sqlite3_close(out);
		return -1;
	}
	sqlite3_backup *b = sqlite3_backup_init(out, "main", SQ(d)->h, "main");
	if (!b) {
		snprintf(why, whylen, "%s", sqlite3_errmsg(out));
		sqlite3_close(out);
		return -1;
	}
	/* copy in slices so writers keep going while the backup runs */
	do {
		rc = sqlite3_backup_step(b, 256);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(20);
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	sqlite3_backup_finish(b);
	int ret = rc == SQLITE_DONE ? 0 : -1;
	if (ret)
		snprintf(why, whylen, "%s", sqlite3_errstr(rc));
	else
		sqlite3_exec(out, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL);
	sqlite3_close(out);
	return ret;
}

/* Each migration takes the write lock itself (BEGIN IMMEDIATE), and the version is
 * read again inside it: one process applies a file, the other finds it applied. */
static int sq_migrate_lock(struct db *d, bool lock)
{
	(void)d;
	(void)lock;
	return 0;
}

static const struct db_ops sq_ops = {
	.dialect = DB_SQLITE,
	.migrations = "sql/sqlite/",
	.close = sq_close,
	.self_check = sq_self_check,
	.prepare = sq_prepare,
	.bind_int = sq_bind_int,
	.bind_double = sq_bind_double,
	.bind_text = sq_bind_text,
	.bind_blob = sq_bind_blob,
	.bind_null = sq_bind_null,
	.step = sq_step,
	.scan = sq_scan,
	.reset = sq_reset,
	.col_int = sq_col_int,
	.col_double = sq_col_double,
	.col_text = sq_col_text,
	.col_blob = sq_col_blob,
	.col_len = sq_col_len,
	.col_null = sq_col_null,
	.cache_kib = sq_cache_kib,
	.mmap = sq_mmap,
	.changes = sq_changes,
	.tx_begin = sq_tx_begin,
	.tx_undo = sq_tx_undo,
	.tx_commit = sq_tx_commit,
	.tx_rollback = sq_tx_rollback,
	.exec_script = sq_exec_script,
	.errmsg = sq_errmsg,
	.integrity_check = sq_integrity_check,
	.check_statements = sq_check_statements,
	.backup = sq_backup,
	.migrate_lock = sq_migrate_lock,
};
