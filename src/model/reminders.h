/* reminders.h: the messages the scheduler queues from existing data (issue 16): the
 * political birthday (R-BDAY-01) and the daily reminders below. Each runs inside
 * the scheduler's write transaction for its slot and queues through outbox_enqueue,
 * whose dedup keys make a run idempotent. */
#ifndef DJ_REMINDERS_H
#define DJ_REMINDERS_H
#include "db/db.h"
#include <stddef.h>
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
/* The daily reminders, each a message kind of its own (outbox.c: template and opt-out),
 * one scheduler slot each, all of one shape: the rows due on today (YYYY-MM-DD), with
 * the days since from (after downtime, from < today: the days missed) where the rule
 * looks at days, each told in-app under a dedup key, so a second run or a catch-up adds
 * nothing. c->members counts the things due (organizations, letters, applicants,
 * branch-periods, bookings).
 *  - REM_TERM_DUE (R-ORG-02): an organization whose term ends within six months (the
 *    roster's term_due alert) → each user holding a role at it or at its parent, once
 *    per term end (term_due:<org>:<due_on>:<user>).
 *  - REM_TRANSFER_RECEIPT (R-TRF-05): a letter received more than a month ago whose
 *    receipt is out → the desks of the organization that chases it (the sending one; for
 *    a letter from elsewhere the receiving one) or its parent (trf_receipt:<id>:<user>).
 *  - REM_TRANSFER_EXPIRING (R-TRF-02): a letter sent and not received whose validity
 *    ends within REMINDER_TRANSFER_DAYS → the member and the desks of both sides
 *    (trf_expiring:<id>:<valid_until>:m<member> / :<user>).
 *  - REM_PUBLICITY_ENDING (R-DEV-15): a 公示 posted before step 7 or 23 (dev_publicity,
 *    PUT /development/applicants/{id}/publicity) ends within REMINDER_PUBLICITY_DAYS and
 *    the step is not recorded → the branch secretary
 *    (publicity:<applicant>:<step>:<end>:<user>).
 *  - REM_PROBATION_ENDING (R-DEV-11/12): a 预备期 ending within REMINDER_PROBATION_DAYS
 *    (转正 due) → the branch secretary (probation:<applicant>:<end>:<user>).
 *  - REM_MEETINGS_MISSING (R-MTG-01): in the last 10 days of a period, a branch still
 *    without its 支部党员大会 (quarter), 支委会 (month) or 党课 (quarter) → its secretary
 *    (mtg_missing:<org>:<type>:<period>:<user>).
 *  - REM_BOOKING_TOMORROW: an approved base booking tomorrow → the user who booked it,
 *    else the booking organization's desks (booking:<id>:<day>:<user>).
 * Each reads at most 50,000 due things a run (transfer_receipt 5,000, as before).
 * "The branch secretary": users with the branch_secretary role at the organization;
 * where it has none, the desk users at its parent. */
#define REMINDER_TRANSFER_DAYS 7
#define REMINDER_PROBATION_DAYS 30
#define REMINDER_PUBLICITY_DAYS 2
enum reminder_id {
	REM_TERM_DUE,
	REM_TRANSFER_RECEIPT,
	REM_TRANSFER_EXPIRING,
	REM_PUBLICITY_ENDING,
	REM_PROBATION_ENDING,
	REM_MEETINGS_MISSING,
	REM_BOOKING_TOMORROW,
	REM__MAX
};
enum db_rc reminders_run(struct db *db, enum reminder_id id, const char *from, const char *today,
			 struct reminder_counts *c);
/* The run's outcome in Chinese for the schedule's record. */
void reminders_detail(enum reminder_id id, const struct reminder_counts *c, char *buf, size_t n);
#endif
