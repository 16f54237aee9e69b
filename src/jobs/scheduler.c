/* scheduler.c: see scheduler.h. */
#include "jobs/scheduler.h"
#include "config.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/date.h"
#include "core/log.h"
#include "core/thread.h"
#include "jobs/sender.h"
#include "model/msg_settings.h"
#include "model/outbox.h"
#include "model/reminders.h"
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

typedef enum db_rc (*slot_fn)(struct db *db, const struct msg_settings *s, const char *from, const char *to,
			      char *detail, size_t n);

struct slot {
	const char *name, *title;
	enum msg_key at;   /* daily at this setting's HH:MM (Beijing) … */
	int every_minutes; /* … or every this many minutes (at = MSK__MAX) */
	slot_fn fn;	   /* the slot's work, or NULL for a reminder: */
	enum reminder_id rem; /* model/reminders.c's, run on the days [from, key] */
};

static enum db_rc run_birthdays(struct db *db, const struct msg_settings *s, const char *from, const char *to,
				char *detail, size_t n)
{
	struct reminder_counts c;
	enum db_rc rc = reminders_birthdays(db, from, to, s->v[MSK_BIRTHDAY_CHANNELS], &c);
	snprintf(detail, n, "%s 至 %s：%lld 人过政治生日，新排队 %lld 条，已退订 %lld，已存在 %lld", from, to,
		 (long long)c.members, (long long)c.queued, (long long)c.opted_out, (long long)c.duplicate);
	return rc;
}

static enum db_rc run_recover(struct db *db, const struct msg_settings *s, const char *from, const char *to,
			      char *detail, size_t n)
{
	(void)s;
	(void)from;
	(void)to;
	int64_t k;
	enum db_rc rc = outbox_recover(db, clock_now(), &k);
	snprintf(detail, n, "%lld 条中断的发送标记为失败", (long long)k);
	return rc;
}

static const struct slot slots[] = {
	{"birthday", "政治生日祝福（R-BDAY-01）", MSK_BIRTHDAY_TIME, 0, run_birthdays, REM__MAX},
	/* the reminders, daily at the reminders' time */
	{"term_due", "换届提醒（R-ORG-02）", MSK_TERM_DUE_TIME, 0, NULL, REM_TERM_DUE},
	{"transfer_receipt", "转接回执催办（R-TRF-05）", MSK_TERM_DUE_TIME, 0, NULL, REM_TRANSFER_RECEIPT},
	{"transfer_expiring", "介绍信到期提醒（R-TRF-02）", MSK_TERM_DUE_TIME, 0, NULL, REM_TRANSFER_EXPIRING},
	{"publicity_ending", "发展党员公示期满提醒（R-DEV-15）", MSK_TERM_DUE_TIME, 0, NULL, REM_PUBLICITY_ENDING},
	{"probation_ending", "预备期满转正提醒（R-DEV-11）", MSK_TERM_DUE_TIME, 0, NULL, REM_PROBATION_ENDING},
	{"meetings_missing", "三会一课缺会提醒（R-MTG-01）", MSK_TERM_DUE_TIME, 0, NULL, REM_MEETINGS_MISSING},
	{"booking_tomorrow", "基地预约次日提醒", MSK_TERM_DUE_TIME, 0, NULL, REM_BOOKING_TOMORROW},
	{"outbox_recover", "消息发送中断检查", MSK__MAX, 15, run_recover, REM__MAX},
};
#define N_SLOTS (sizeof slots / sizeof slots[0])

enum sch_stmt { STMT_SCH_CLAIMED, STMT_SCH_LAST_KEY, STMT_SCH_CLAIM, STMT_SCH_RUN, STMT_SCH_LAST_RUN, SCH_STMT__MAX };
enum sch_run_col { SR_KEY, SR_SERVER, SR_STARTED, SR_FINISHED, SR_OUTCOME, SR_DETAIL };
static const struct db_sql sch_sql[SCH_STMT__MAX] = {
	[STMT_SCH_CLAIMED] = {"schedule.claimed", "SELECT 1 FROM schedule_claims WHERE job = $1 AND day = $2"},
	[STMT_SCH_LAST_KEY] = {"schedule.last_key", "SELECT MAX(day) FROM schedule_claims WHERE job = $1 AND day < $2"},
	[STMT_SCH_CLAIM] = {"schedule.claim",
	 "INSERT INTO schedule_claims (job, day, claimed_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING job"},
	[STMT_SCH_RUN] = {"schedule.run",
	 "INSERT INTO schedule_runs (slot, slot_key, server, started_at, finished_at, outcome, detail)"
	 " VALUES ($1, $2, $3, $4, $5, $6, $7)"},
	[STMT_SCH_LAST_RUN] = {"schedule.last_run",
	 "SELECT slot_key, server, started_at, finished_at, outcome, detail FROM schedule_runs WHERE slot = $1"
	 " ORDER BY id DESC LIMIT 1"},
};
DB_SQL_TABLE(scheduler, sch_sql);

/* The slot's latest due key at now (a Beijing date for a daily slot, the period's
 * start for a periodic one) and the Unix time of the next one. */
static void due_key(const struct slot *sl, const struct msg_settings *s, int64_t now, char key[24], int64_t *next)
{
	if (sl->at == MSK__MAX) {
		int64_t p = (int64_t)sl->every_minutes * 60, start = now - now % p;
		clock_rfc3339(start, key);
		*next = start + p;
		return;
	}
	int at = msg_settings_minutes(s, sl->at);
	int64_t bj = now + 8 * 3600, day0 = bj - bj % 86400; /* Beijing midnight, in shifted seconds */
	int64_t due = day0 + at * 60;
	if (due > bj)
		due -= 86400;
	outbox_day(due - 8 * 3600, key);
	*next = due + 86400 - 8 * 3600;
}

static enum db_rc step_exists(struct db *db, const struct db_sql *q, const char *a, const char *b, bool *yes)
{
	struct db_stmt *st = db_prepare(db, q);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, a, -1);
	db_bind_text(st, 2, b, -1);
	enum db_rc rc = db_step(st);
	*yes = rc == DB_ROW;
	db_reset(st);
	return rc == DB_ROW || rc == DB_DONE ? DB_OK : rc;
}

struct run_ctx {
	const struct slot *sl;
	const struct msg_settings *s;
	const char *key;
	char from[24];
	bool claimed;
	bool failed; /* record a failed run (no claim) */
	int64_t started;
	char detail[300];
};

static enum db_rc record(struct db *db, struct run_ctx *r, const char *outcome)
{
	struct db_stmt *st = db_prepare(db, &sch_sql[STMT_SCH_RUN]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, r->sl->name, -1);
	db_bind_text(st, 2, r->key, -1);
	db_bind_text(st, 3, sender_owner(), -1);
	db_bind_int(st, 4, r->started);
	db_bind_int(st, 5, clock_now());
	db_bind_text(st, 6, outcome, -1);
	db_bind_text(st, 7, r->detail, -1);
	enum db_rc rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

static enum db_rc run_tx(struct db *db, void *p)
{
	struct run_ctx *r = p;
	if (r->failed)
		return record(db, r, "failed");
	struct db_stmt *st = db_prepare(db, &sch_sql[STMT_SCH_CLAIM]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, r->sl->name, -1);
	db_bind_text(st, 2, r->key, -1);
	db_bind_int(st, 3, clock_now());
	enum db_rc rc = db_step(st);
	db_reset(st);
	if (rc == DB_DONE)
		return DB_OK; /* another server has it */
	if (rc != DB_ROW)
		return rc;
	/* the days since the last run, at most a week back: a daily slot's catch-up */
	if (r->sl->at != MSK__MAX) {
		snprintf(r->from, sizeof r->from, "%s", r->key);
		struct db_stmt *lk = db_prepare(db, &sch_sql[STMT_SCH_LAST_KEY]);
		if (!lk)
			return DB_ERROR;
		db_bind_text(lk, 1, r->sl->name, -1);
		db_bind_text(lk, 2, r->key, -1);
		rc = db_step(lk);
		struct date last, cur;
		if (rc == DB_ROW && !db_col_null(lk, DB_COL_ONLY) && date_parse(db_col_text(lk, DB_COL_ONLY), &last) &&
		    date_parse(r->key, &cur) && date_cmp(last, cur) < 0) {
			int64_t from = date_to_days(last) + 1, to = date_to_days(cur);
			if (to - from > 7)
				from = to - 7;
			date_format(date_from_days(from), r->from);
		}
		db_reset(lk);
		if (rc != DB_ROW && rc != DB_DONE)
			return rc;
	}
	if (r->sl->fn) {
		rc = r->sl->fn(db, r->s, r->from, r->key, r->detail, sizeof r->detail);
	} else {
		struct reminder_counts c;
		rc = reminders_run(db, r->sl->rem, r->from, r->key, &c);
		reminders_detail(r->sl->rem, &c, r->detail, sizeof r->detail);
	}
	if (rc != DB_OK)
		return rc;
	r->claimed = true;
	return record(db, r, "ok");
}

enum db_rc scheduler_tick(struct db *db, json_t **ran)
{
	if (ran)
		*ran = json_array();
	struct arena *a = arena_new();
	if (!a)
		return DB_ERROR;
	struct msg_settings s;
	enum db_rc rc = msg_settings_load(db, a, false, &s);
	int64_t now = clock_now();
	for (size_t i = 0; rc == DB_OK && i < N_SLOTS; i++) {
		char key[24];
		int64_t next;
		due_key(&slots[i], &s, now, key, &next);
		bool done;
		rc = step_exists(db, &sch_sql[STMT_SCH_CLAIMED], slots[i].name, key, &done);
		if (rc != DB_OK || done)
			continue;
		struct run_ctx r = {.sl = &slots[i], .s = &s, .key = key, .started = now};
		snprintf(r.from, sizeof r.from, "%s", key);
		enum db_rc w = db_tx_run(db, true, run_tx, &r);
		if (w != DB_OK) {
			log_msg(LOG_ERROR, NULL, "scheduler: slot %s (%s) failed: %s", slots[i].name, key, db_errmsg(db));
			snprintf(r.detail, sizeof r.detail, "运行失败，稍后重试");
			r.failed = true;
			r.claimed = false;
			db_tx_run(db, true, run_tx, &r);
		}
		if (ran && (r.claimed || r.failed))
			json_array_append_new(*ran, json_pack("{s:s, s:s, s:s, s:s}", "slot", slots[i].name, "key", key,
							      "outcome", r.failed ? "failed" : "ok", "detail", r.detail));
		if (r.claimed)
			log_msg(LOG_INFO, NULL, "scheduler: %s %s: %s", slots[i].name, key, r.detail);
	}
	arena_free(a);
	return rc;
}

json_t *scheduler_json(struct db *db)
{
	struct arena *a = arena_new();
	if (!a)
		return NULL;
	struct msg_settings s;
	json_t *items = NULL;
	if (msg_settings_load(db, a, false, &s) != DB_OK)
		goto out;
	items = json_array();
	int64_t now = clock_now();
	for (size_t i = 0; i < N_SLOTS; i++) {
		char key[24], at[21];
		int64_t next;
		due_key(&slots[i], &s, now, key, &next);
		bool done = false;
		if (step_exists(db, &sch_sql[STMT_SCH_CLAIMED], slots[i].name, key, &done) != DB_OK)
			goto fail;
		clock_rfc3339(done ? next : now, at);
		const char *sched = slots[i].at == MSK__MAX ? arena_printf(a, "每 %d 分钟", slots[i].every_minutes)
							     : arena_printf(a, "每天 %s", s.v[slots[i].at]);
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:b}", "slot", slots[i].name, "name", slots[i].title, "schedule",
				      sched, "next_run", at, "due_now", !done);
		struct db_stmt *st = db_prepare(db, &sch_sql[STMT_SCH_LAST_RUN]);
		if (!st) {
			json_decref(o);
			goto fail;
		}
		db_bind_text(st, 1, slots[i].name, -1);
		enum db_rc rc = db_step(st);
		if (rc == DB_ROW) {
			char t1[21], t2[21];
			clock_rfc3339(db_col_int(st, SR_STARTED), t1);
			clock_rfc3339(db_col_int(st, SR_FINISHED), t2);
			json_object_set_new(o, "last_run",
					    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?}", "key", db_col_text(st, SR_KEY), "server",
						      db_col_text(st, SR_SERVER), "started_at", t1, "finished_at", t2,
						      "outcome", db_col_text(st, SR_OUTCOME), "detail",
						      db_col_null(st, SR_DETAIL) ? NULL : db_col_text(st, SR_DETAIL)));
		} else {
			json_object_set_new(o, "last_run", json_null());
		}
		db_reset(st);
		json_array_append_new(items, o);
		if (rc != DB_ROW && rc != DB_DONE)
			goto fail;
	}
	goto out;
fail:
	json_decref(items);
	items = NULL;
out:
	arena_free(a);
	return items ? json_pack("{s:o}", "items", items) : NULL;
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static bool started, stopping;
static pthread_t thr;

static void *sched_main(void *unused)
{
	(void)unused;
	pthread_mutex_lock(&mu);
	while (!stopping) {
		pthread_mutex_unlock(&mu);
		struct db *db = db_thread();
		if (db && scheduler_tick(db, NULL) != DB_OK)
			log_msg(LOG_WARN, NULL, "scheduler: a pass failed (%s); the next tick tries again", db_errmsg(db));
		pthread_mutex_lock(&mu);
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += (time_t)cfg.scheduler_tick_seconds;
		int w = 0;
		while (!stopping && w != ETIMEDOUT)
			w = pthread_cond_timedwait(&cv, &mu, &until);
	}
	pthread_mutex_unlock(&mu);
	return NULL;
}

int scheduler_start(void)
{
	pthread_mutex_lock(&mu);
	int r = 0;
	if (!started) {
		stopping = false;
		r = thread_start("dj-scheduler", sched_main, NULL, &thr);
		started = r == 0;
	}
	pthread_mutex_unlock(&mu);
	return r;
}

void scheduler_stop(void)
{
	pthread_mutex_lock(&mu);
	if (!started) {
		pthread_mutex_unlock(&mu);
		return;
	}
	stopping = true;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	thread_join("dj-scheduler", thr);
	pthread_mutex_lock(&mu);
	started = false;
	pthread_mutex_unlock(&mu);
}
