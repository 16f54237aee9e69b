/* background.c: see background.h. Every thread started here is joined: a finished one
 * by the next start (reaped), those still running by jobs_background_stop at shutdown
 * (before the stores are closed). */
#include "jobs/background.h"
#include "core/log.h"
#include "core/thread.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct bg {
	char *store;
	enum db_rc (*fn)(struct db *db, void *arg);
	void (*done)(void *arg, enum db_rc rc);
	void *arg;
	pthread_t th;
	bool finished; /* under mu: bg_main has returned its last value */
	struct bg *next;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct bg *running; /* started and not yet joined */
static bool stopped;       /* jobs_background_stop: no new thread */

static void *bg_main(void *p)
{
	struct bg *b = p;
	enum db_rc rc = DB_ERROR;
	struct db *db = db_open(b->store, 0);
	if (db) {
		rc = db_tx_run(db, false, b->fn, b->arg); /* a read: nothing to commit */
		db_close(db);
	} else
		log_msg(LOG_WARN, NULL, "background read: cannot open the store");
	b->done(b->arg, rc);
	pthread_mutex_lock(&mu);
	b->finished = true;
	pthread_mutex_unlock(&mu);
	return NULL;
}

/* Takes the finished threads (all when every is true) off the list, under mu. */
static struct bg *take(bool every)
{
	struct bg *out = NULL, **p = &running;
	while (*p) {
		struct bg *b = *p;
		if (every || b->finished) {
			*p = b->next;
			b->next = out;
			out = b;
		} else
			p = &b->next;
	}
	return out;
}

static void join_all(struct bg *list)
{
	while (list) {
		struct bg *b = list;
		list = b->next;
		thread_join("dj-background", b->th);
		free(b->store);
		free(b);
	}
}

bool jobs_background_read(const char *store, enum db_rc (*fn)(struct db *db, void *arg),
			  void (*done)(void *arg, enum db_rc rc), void *arg)
{
	pthread_mutex_lock(&mu);
	struct bg *reaped = take(false);
	bool refuse = stopped;
	pthread_mutex_unlock(&mu);
	join_all(reaped);
	if (refuse)
		return false;
	struct bg *b = malloc(sizeof *b);
	char *s = store ? strdup(store) : NULL;
	if (!b || !s) {
		free(b);
		free(s);
		return false;
	}
	*b = (struct bg){s, fn, done, arg, 0, false, NULL};
	/* listed before it starts, under the lock it takes to finish: never joined twice */
	pthread_mutex_lock(&mu);
	if (stopped || thread_start("dj-background", bg_main, b, &b->th) != 0) {
		pthread_mutex_unlock(&mu);
		free(s);
		free(b);
		return false;
	}
	b->next = running;
	running = b;
	pthread_mutex_unlock(&mu);
	return true;
}

void jobs_background_stop(void)
{
	pthread_mutex_lock(&mu);
	stopped = true;
	struct bg *all = take(true);
	pthread_mutex_unlock(&mu);
	join_all(all);
}
