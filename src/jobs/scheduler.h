/* scheduler.h: daily and periodic work inside the server (DESIGN.md §3, issue 16).
 * Each slot (a table in scheduler.c: the political birthdays at a set hour, the 换届
 * reminders, the outbox's recovery of interrupted sends) is due once per key (a day,
 * or a period's start). Whoever looks first claims the key in schedule_claims
 * (INSERT … ON CONFLICT DO NOTHING) in the same write transaction as the run's work
 * and its record in schedule_runs: one server runs a slot however many share the
 * database; a run that fails or dies leaves no claim and is tried again; a run that
 * succeeded is never repeated. After downtime only the latest due key runs (once),
 * and a daily slot's work covers the days since its last run (at most a week). */
#ifndef DJ_SCHEDULER_H
#define DJ_SCHEDULER_H
#include "db/db.h"
#include <jansson.h>

/* Runs every due, unclaimed slot on db (outside a transaction). *ran (when not NULL)
 * gets a new array of {slot, key, outcome, detail}. DB_OK or a failure. */
enum db_rc scheduler_tick(struct db *db, json_t **ran);
/* GET /system/schedule: {items:[{slot, name, schedule, last_run:{…}|null, next_run}]}. */
json_t *scheduler_json(struct db *db);
int scheduler_start(void);
void scheduler_stop(void);
#endif
