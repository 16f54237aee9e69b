/* sender.c: see sender.h. */
#include "jobs/sender.h"
#include "config.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/thread.h"
#include "jobs/channel.h"
#include "model/msg_settings.h"
#include "model/outbox.h"
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BATCH 200
#define SLICE 25

static char owner[96];
static pthread_once_t owner_once = PTHREAD_ONCE_INIT;
static void owner_init(void)
{
	char host[48] = "";
	if (gethostname(host, sizeof host - 1) != 0)
		snprintf(host, sizeof host, "?");
	unsigned char r[6];
	char hex[13];
	randombytes_buf(r, sizeof r);
	sodium_bin2hex(hex, sizeof hex, r, sizeof r);
	snprintf(owner, sizeof owner, "%s/%ld/%s", host, (long)getpid(), hex);
}
const char *sender_owner(void)
{
	pthread_once(&owner_once, owner_init);
	return owner;
}

/* the token buckets of this process, one per channel, under mu */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static double tokens[2], last_ms[2];
static bool started, stopping, kicked;
static pthread_t thr;

static int take_tokens(int ch, int64_t rate)
{
	pthread_mutex_lock(&mu);
	double now = clock_mono_ms();
	if (last_ms[ch] == 0)
		tokens[ch] = (double)rate;
	else
		tokens[ch] += (now - last_ms[ch]) / 1000.0 * (double)rate;
	if (tokens[ch] > (double)rate)
		tokens[ch] = (double)rate;
	last_ms[ch] = now;
	int n = (int)tokens[ch];
	if (n > BATCH)
		n = BATCH;
	pthread_mutex_unlock(&mu);
	return n;
}

static void spend(int ch, int n)
{
	pthread_mutex_lock(&mu);
	tokens[ch] -= n;
	pthread_mutex_unlock(&mu);
}

/* Minutes after Beijing midnight of Unix time t. */
static int bj_minutes(int64_t t)
{
	int64_t s = (t + 8 * 3600) % 86400;
	return (int)(s / 60);
}

static bool in_quiet(const struct msg_settings *s, int64_t now)
{
	int a = msg_settings_minutes(s, MSK_QUIET_START), b = msg_settings_minutes(s, MSK_QUIET_END);
	int m = bj_minutes(now);
	if (a == b)
		return false;
	return a < b ? m >= a && m < b : m >= a || m < b;
}

/* The next time (after now) the clock shows quiet_end in Beijing. */
static int64_t next_morning(const struct msg_settings *s, int64_t now)
{
	int end = msg_settings_minutes(s, MSK_QUIET_END);
	int64_t day0 = now - ((now + 8 * 3600) % 86400);
	int64_t t = day0 + end * 60;
	while (t <= now)
		t += 86400;
	return t;
}

struct claim_ctx {
	struct arena *a;
	const struct msg_settings *s;
	const char *channel;
	int limit;
	int64_t now;
	struct outbox_claimed *rows;
	size_t n;
	struct sender_stats *st;
};

/* The claim's transaction: the rows become this process's, and those that must not go
 * out (opted out since, no mobile, the member's cap for today reached) end or wait
 * here, in the same transaction. */
static enum db_rc claim_tx(struct db *db, void *p)
{
	struct claim_ctx *c = p;
	enum db_rc rc = outbox_claim(db, c->a, c->channel, sender_owner(), c->now, cfg.outbox_lease_seconds, c->limit,
				     &c->rows, &c->n);
	if (rc != DB_OK)
		return rc;
	char day[11];
	outbox_day(c->now, day);
	int64_t cap = msg_settings_int(c->s, MSK_DAILY_CAP);
	int64_t tomorrow0 = c->now + 86400 - ((c->now + 8 * 3600) % 86400); /* Beijing midnight */
	/* this pass's own sends count toward the cap too: members seen, with counts */
	int64_t *seen_id = arena_alloc(c->a, sizeof *seen_id * (c->n + 1));
	int64_t *seen_n = arena_alloc(c->a, sizeof *seen_n * (c->n + 1));
	size_t nseen = 0;
	for (size_t i = 0; i < c->n; i++) {
		struct outbox_claimed *m = &c->rows[i];
		bool out = false;
		if ((rc = outbox_opted_out(db, m->member_id, m->kind, &out)) != DB_OK)
			return rc;
		if (out) {
			m->skip = "opted_out";
			c->st->cancelled++;
			rc = outbox_end(db, m->id, sender_owner(), OUTBOX_END_CANCELLED, c->now, 0, NULL, "opted_out",
					"收件人已退订此类消息");
		} else if (m->skip) {
			c->st->failed++;
			rc = outbox_end(db, m->id, sender_owner(), OUTBOX_END_FAILED, c->now, 0, NULL, m->skip,
					strcmp(m->skip, "no_openid") == 0 ? "收件党员尚未绑定微信（公众号）"
									  : "收件党员没有登记手机号");
		} else if (m->member_id > 0) {
			size_t k = 0;
			while (k < nseen && seen_id[k] != m->member_id)
				k++;
			if (k == nseen) {
				seen_id[k] = m->member_id;
				if ((rc = outbox_sent_on(db, m->member_id, day, &seen_n[k])) != DB_OK)
					return rc;
				nseen++;
			}
			if (seen_n[k] >= cap) {
				m->skip = "daily_cap";
				c->st->deferred++;
				rc = outbox_end(db, m->id, sender_owner(), OUTBOX_END_REQUEUE, c->now,
						next_morning(c->s, tomorrow0),
						NULL, "daily_cap", "已达每人每日上限，顺延至次日");
			} else {
				seen_n[k]++;
			}
		}
		if (rc != DB_OK && rc != DB_NOT_FOUND)
			return rc;
		rc = DB_OK;
	}
	return DB_OK;
}

struct end_ctx {
	struct claim_ctx *c;
	struct chan_outcome *out;
	const struct msg_settings *s;
	size_t from, to; /* the slice of c->rows whose outcomes are recorded */
};

static enum db_rc end_tx(struct db *db, void *p)
{
	struct end_ctx *e = p;
	struct claim_ctx *c = e->c;
	int64_t now = clock_now();
	int64_t max = msg_settings_int(e->s, MSK_MAX_ATTEMPTS), base = msg_settings_int(e->s, MSK_BACKOFF_SECONDS);
	for (size_t i = e->from; i < e->to; i++) {
		struct outbox_claimed *m = &c->rows[i];
		if (m->skip)
			continue;
		struct chan_outcome *o = &e->out[i];
		enum outbox_end end = OUTBOX_END_SENT;
		int64_t next = 0;
		if (o->r == CHAN_SENT) {
			c->st->sent++;
		} else if (o->r == CHAN_FAILED) {
			end = OUTBOX_END_FAILED;
			c->st->failed++;
		} else if (m->attempts >= max) {
			end = OUTBOX_END_GIVEN_UP;
			c->st->given_up++;
		} else {
			end = OUTBOX_END_REQUEUE;
			int64_t delay = base;
			for (int64_t k = 1; k < m->attempts && delay < 86400; k++)
				delay *= 2;
			next = now + (delay > 86400 ? 86400 : delay);
			c->st->retried++;
		}
		enum db_rc rc = outbox_end(db, m->id, sender_owner(), end, now, next, o->provider_id[0] ? o->provider_id : NULL,
					   o->code[0] ? o->code : NULL, o->error[0] ? o->error : NULL);
		if (rc == DB_NOT_FOUND) /* taken away meanwhile (a person retried it): leave it */
			continue;
		if (rc != DB_OK)
			return rc;
	}
	return DB_OK;
}

struct recover_ctx {
	int64_t now, n;
};
static enum db_rc recover_tx(struct db *db, void *p)
{
	struct recover_ctx *r = p;
	return outbox_recover(db, r->now, &r->n);
}

enum db_rc sender_pass(struct db *db, struct sender_stats *st)
{
	memset(st, 0, sizeof *st);
	struct recover_ctx rc0 = {clock_now(), 0};
	enum db_rc rc = db_tx_run(db, true, recover_tx, &rc0);
	if (rc != DB_OK)
		return rc;
	st->recovered = rc0.n;
	if (rc0.n)
		log_msg(LOG_WARN, NULL, "outbox: %lld message(s) interrupted mid-send by a stopped sender marked failed",
			(long long)rc0.n);
	struct arena *a = arena_new();
	if (!a)
		return DB_ERROR;
	struct msg_settings s;
	rc = msg_settings_load(db, a, true, &s);
	static const char *const chans[] = {"sms", "wechat"};
	for (int ch = 0; rc == DB_OK && ch < 2; ch++) {
		if (!chan_ready(&s, chans[ch]))
			continue;
		int64_t now = clock_now();
		if (ch == 0 && in_quiet(&s, now))
			continue;
		int limit = take_tokens(ch, msg_settings_int(&s, ch == 0 ? MSK_SMS_RATE : MSK_WECHAT_RATE));
		if (limit <= 0)
			continue;
		struct claim_ctx c = {a, &s, chans[ch], limit, now, NULL, 0, st};
		rc = db_tx_run(db, true, claim_tx, &c);
		if (rc != DB_OK || c.n == 0)
			continue;
		st->claimed += (int64_t)c.n;
		spend(ch, (int)c.n);
		/* outcomes are recorded every SLICE sends: a crash mid-batch leaves at most
		 * that many rows whose fate is unknown (marked interrupted once their lease
		 * runs out), while a commit per message would cap the rate at the disk's */
		struct chan_outcome *out = arena_alloc(a, sizeof *out * c.n);
		struct chan_ctx *cc = chan_open(&s);
		for (size_t from = 0; rc == DB_OK && from < c.n; from += SLICE) {
			size_t to = from + SLICE < c.n ? from + SLICE : c.n;
			for (size_t i = from; i < to; i++)
				if (!c.rows[i].skip) {
					if (cc)
						chan_send(cc, a, &c.rows[i], &out[i]);
					else
						out[i].r = CHAN_RETRY;
				}
			struct end_ctx e = {&c, out, &s, from, to};
			rc = db_tx_run(db, true, end_tx, &e);
			if (rc != DB_OK)
				log_msg(LOG_ERROR, NULL, "outbox: recording %zu outcome(s) failed (%s); the rows stay 'sending'"
					" until their lease runs out", to - from, db_errmsg(db));
		}
		chan_close(cc);
	}
	arena_free(a);
	return rc;
}

static void *sender_main(void *unused)
{
	(void)unused;
	pthread_mutex_lock(&mu);
	while (!stopping) {
		pthread_mutex_unlock(&mu);
		struct sender_stats st;
		struct db *db = db_thread();
		enum db_rc rc = db ? sender_pass(db, &st) : DB_ERROR;
		bool busy = rc == DB_OK && st.claimed > 0;
		pthread_mutex_lock(&mu);
		if (busy || stopping)
			continue;
		if (!kicked) {
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += (time_t)(cfg.sender_interval_ms / 1000);
			until.tv_nsec += (long)(cfg.sender_interval_ms % 1000) * 1000000L;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			int w = 0;
			while (!stopping && !kicked && w != ETIMEDOUT)
				w = pthread_cond_timedwait(&cv, &mu, &until);
		}
		kicked = false;
	}
	pthread_mutex_unlock(&mu);
	return NULL;
}

int sender_start(void)
{
	pthread_mutex_lock(&mu);
	if (started) {
		pthread_mutex_unlock(&mu);
		return 0;
	}
	stopping = false;
	int r = thread_start("dj-sender", sender_main, NULL, &thr);
	started = r == 0;
	pthread_mutex_unlock(&mu);
	return r;
}

void sender_stop(void)
{
	pthread_mutex_lock(&mu);
	if (!started) {
		pthread_mutex_unlock(&mu);
		return;
	}
	stopping = true;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	thread_join("dj-sender", thr);
	pthread_mutex_lock(&mu);
	started = false;
	pthread_mutex_unlock(&mu);
}

void sender_kick(void)
{
	pthread_mutex_lock(&mu);
	kicked = true;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}
