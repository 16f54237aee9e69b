/* reminders.h: the messages the scheduler queues from existing data (issue 16): the
 * political birthday (R-BDAY-01), the 换届 reminder (R-ORG-02) and the overdue receipt
 * of a transfer letter (R-TRF-05). Each runs inside
 * the scheduler's write transaction for its slot and queues through outbox_enqueue,
 * whose dedup keys make a run idempotent. */
#ifndef DJ_REMINDERS_H
#define DJ_REMINDERS_H
#include "db/db.h"
#include <stdint.h>

struct reminder_counts {
	int64_t queued, duplicate, opted_out, members;
};

/* R-BDAY-01: for every day d in [from, to] (YYYY-MM-DD, at most 31 days), every member
 * in the normal state whose 入党时间 has d's month and day (a 29 February one on 28
 * February in a common year) and who joined before d's year gets a greeting with the
 * years since, once a year: the dedup key is bday:<member>:<year>:<channel>, one per
 * channel in channels ("inapp,sms"; SMS only to members with a mobile). Opt-outs of
 * kind birthday are respected by outbox_enqueue. */
enum db_rc reminders_birthdays(struct db *db, const char *from, const char *to, const char *channels,
			       struct reminder_counts *c);
/* R-ORG-02: every organization whose term ends within six months (the roster's
 * term_due alert on day today) gets an in-app reminder to each user holding a role at
 * it or at its parent, once per term end (term_due:<org>:<due_on>:<user>). */
enum db_rc reminders_term_due(struct db *db, const char *today, struct reminder_counts *c);
/* R-TRF-05: every letter received more than a month before today (YYYY-MM-DD) whose
 * receipt has not come back gets an in-app alert to each user holding a role at the
 * organization that chases it (the sending one; for a letter from elsewhere the
 * receiving one) or at its parent, once per letter and user
 * (trf_receipt:<transfer>:<user>). c->members counts the letters. */
enum db_rc reminders_transfer_receipts(struct db *db, const char *today, struct reminder_counts *c);
#endif
