/* background.h: a read computed on a thread of its own, off the HTTP workers: a worker
 * that holds many connections answers them while a long computation (the district's
 * dashboard rebuilt, api/dashboard.c) runs beside it. */
#ifndef DJ_JOBS_BACKGROUND_H
#define DJ_JOBS_BACKGROUND_H
#include "db/db.h"
#include <stdbool.h>

/* Starts a thread (joined: see jobs_background_stop) that opens its own connection to store (db_name of the
 * caller's), runs fn(db, arg) in a read transaction and then done(arg, rc) (on that
 * thread; rc DB_ERROR when the store could not be opened). false: no thread started,
 * nothing ran, arg is still the caller's. */
bool jobs_background_read(const char *store, enum db_rc (*fn)(struct db *db, void *arg),
			  void (*done)(void *arg, enum db_rc rc), void *arg);
/* At shutdown (jobs_drain_for, before the stores are closed): no new thread starts
 * (jobs_background_read returns false: the caller computes in place) and every one
 * started is joined, a read in flight finishing first. */
void jobs_background_stop(void);
#endif
