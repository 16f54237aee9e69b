/* dev_publicity.h: a 公示 in progress (R-DEV-15; table dev_publicity, 0119): posted
 * before step 7 (确定发展对象) or step 23 (转正), its end the last of n working days from
 * its start (workday_span_end). The reminder publicity_ending (model/reminders.c) reads
 * it; the step still carries its own publicity_start, checked by dev.c. */
#ifndef DJ_DEV_PUBLICITY_H
#define DJ_DEV_PUBLICITY_H
#include "core/date.h"
#include "db/db.h"
#include <stdint.h>

/* Records (or replaces) the 公示 of step for applicant starting on start, of workdays
 * working days; *end gets its last day. In the caller's write transaction. */
enum db_rc dev_publicity_set(struct db *db, int64_t applicant, int step, struct date start, int workdays, int64_t by,
			     int64_t now, struct date *end);
#endif
