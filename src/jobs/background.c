/* background.c: see background.h. */
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
};

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
	free(b->store);
	free(b);
	return NULL;
}

bool jobs_background_read(const char *store, enum db_rc (*fn)(struct db *db, void *arg),
			  void (*done)(void *arg, enum db_rc rc), void *arg)
{
	struct bg *b = malloc(sizeof *b);
	char *s = store ? strdup(store) : NULL;
	if (!b || !s) {
		free(b);
		free(s);
		return false;
	}
	*b = (struct bg){s, fn, done, arg};
	pthread_t th;
	if (thread_start("dj-background", bg_main, b, &th) != 0) {
		free(s);
		free(b);
		return false;
	}
	pthread_detach(th);
	return true;
}
