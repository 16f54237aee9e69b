/* demo_reminders.c: the reminders' part of the demo district (issue 16 item 5): today's
 * run of every daily reminder (model/reminders.h) over what the other demo steps made,
 * with the dedup keys the real run uses, so the scheduler's first run today adds nothing
 * twice. Named to run after every other step (steps run in the order of their names). */
#include "core/clock.h"
#include "core/log.h"
#include "model/demo.h"
#include "model/outbox.h"
#include "model/reminders.h"
#include <stdio.h>

static enum db_rc demo_reminders(struct db *db, const struct demo_spec *spec, char *why, size_t whylen)
{
	(void)spec;
	char today[11];
	outbox_day(clock_now(), today);
	for (int id = 0; id < REM__MAX; id++) {
		struct reminder_counts c;
		enum db_rc rc = reminders_run(db, (enum reminder_id)id, today, today, &c);
		if (rc != DB_OK) {
			snprintf(why, whylen, "reminders: run %d failed", id);
			return rc;
		}
	}
	return DB_OK;
}
DEMO_STEP(zz_reminders, demo_reminders);
