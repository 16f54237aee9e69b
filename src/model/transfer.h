/* transfer.h: 组织关系接转 (DOMAIN.md §5, issue 14): transfers with the letter's fields,
 * their states (R-TRF-01) and timeline, the member's custody (R-TRF-03: one
 * organization at a time, moved in the accepting transaction), validity and alerts
 * (R-TRF-02/04/05), 预备期 dates kept (R-TRF-06), serial numbers per issuing committee
 * and year, the public verification and the figures. The rules are pure functions
 * here (transfer_flags, transfer_arrears_months, transfer_validity_days) so the API,
 * the demo and the tests apply the same ones; storage is in transfer.c and the state
 * changes that touch the roster in transfer_flow.c. Text is arena-owned. */
#ifndef DJ_TRANSFER_H
#define DJ_TRANSFER_H
#include "core/date.h"
#include "db/db.h"
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct arena;

/* R-TRF-01's states, in their order; "expired" is not a state but a flag computed from
 * valid_until (R-TRF-02). */
#define TRANSFER_STATES "draft, submitted, approved, sent, received, returned, receipt_returned, cancelled"

struct transfer_rec {
	int64_t id, member_id, from_org_id, to_org_id, issuer_org_id;
	const char *kind;  /* "within" | "out" | "in" */
	const char *state;
	bool open;         /* in transit: draft … sent */
	const char *from_path, *to_path, *from_org_name, *to_org_name, *serial, *letter_no;
	const char *name, *sex, *birth_date, *ethnicity, *party_status, *joined_on, *confirmed_on;
	const char *id_number, *mobile;       /* plaintext, only when loaded with decrypt / before insert */
	const char *id_masked, *mobile_masked;
	const char *dues_paid_to;
	bool outside_city;
	int64_t validity_days;
	const char *sent_on, *valid_until, *received_on, *receipt_on;
	const char *sender_address, *sender_phone, *reason, *return_reason, *prev_state;
	int64_t renewals;
	bool applied_by_member;
	int64_t created_at, updated_at;
};

/* ---- the rules (pure) ---- */

/* R-TRF-02 (local): the letter's validity in days: cfg.transfer_days_outside when it goes
 * outside the city, else cfg.transfer_days_city. */
int64_t transfer_validity_days(bool outside_city);
/* R-TRF-04: months of dues owed on the letter's date (the month of `on`): 0 when paid
 * through that month, -1 when no month is recorded. */
int transfer_arrears_months(const char *dues_paid_to, struct date on);
/* R-TRF-06: the end of a 预备党员's 预备期 (入党时间 + 1 year) into buf[11]; "" for a
 * 正式党员. */
void transfer_probation_end(const struct transfer_rec *t, char buf[11]);
/* The flags a transfer shows on today. */
struct transfer_flags {
	bool expired;         /* R-TRF-02: sent, not received, past valid_until */
	bool expiring;        /* sent, valid_until within 7 days */
	bool receipt_overdue; /* R-TRF-05: received over a month ago, receipt not returned */
	int arrears_months;   /* R-TRF-04 (on the letter's date), -1 unknown */
};
void transfer_flags(const struct transfer_rec *t, struct date today, struct transfer_flags *f);
/* The verification code printed beside the serial (keyed hash of the serial, 16 hex
 * characters) into buf[17]. */
void transfer_verify_code(const char *serial, char buf[17]);
/* The Chinese name of a state ("expired" included) and of a kind. */
const char *transfer_state_name(const char *state);
const char *transfer_kind_name(const char *kind);

/* ---- storage (transfer.c) ---- */

/* Inserts t (sealing its plaintext ID number and mobile); sets t->id. DB_CONSTRAINT when
 * the member has an open transfer already (transfers_member_open). */
enum db_rc transfer_insert(struct db *db, struct arena *a, struct transfer_rec *t);
/* Loads transfer id (decrypt: the plaintext ID number and mobile too). DB_NOT_FOUND. */
enum db_rc transfer_load(struct db *db, struct arena *a, int64_t id, bool decrypt, struct transfer_rec *t);
/* Writes t's changeable columns (state, open, serial, issuer, dates, reasons, prev_state,
 * renewals, member_id) when the stored state is still expected: DB_NOT_FOUND when it is
 * not (another request moved it first: the caller answers 409). */
enum db_rc transfer_save(struct db *db, const struct transfer_rec *t, const char *expected, int64_t now);
/* Appends a timeline row. */
enum db_rc transfer_event(struct db *db, int64_t id, const char *from, const char *to, int64_t actor_id,
			  const char *actor_name, const char *note, int64_t now);
/* The timeline as API items [{at, from_state, to_state, to_state_name, actor_name, note}]. */
enum db_rc transfer_events(struct db *db, int64_t id, json_t *items);
/* The next serial of issuer in year: "2026-17-0003" (arena). */
enum db_rc transfer_next_serial(struct db *db, struct arena *a, int64_t issuer, int year, const char **serial);
/* The transfer with this serial (state and valid_until only: the public check). */
enum db_rc transfer_by_serial(struct db *db, struct arena *a, const char *serial, struct transfer_rec *t);
/* An open transfer into the deployment for this ID blind index: its id, or DB_NOT_FOUND. */
enum db_rc transfer_open_by_blind(struct db *db, const unsigned char *blind, int64_t *id);
/* The member's open transfer, or DB_NOT_FOUND. */
enum db_rc transfer_open_of_member(struct db *db, int64_t member_id, int64_t *id);

/* A list page: box 1 outgoing (sending side in [prefix, end)), 2 incoming (receiving
 * side, from "sent" on), 3 either; open_only: in transit; state: one state or NULL; flag:
 * "expired" | "expiring" | "receipt_overdue" | NULL. Newest first, keyset by id
 * (before_id 0: the first page). */
enum transfer_box { TRANSFER_BOX_OUT = 1, TRANSFER_BOX_IN = 2, TRANSFER_BOX_ANY = 3 };
struct transfer_filter {
	const char *prefix, *end;
	enum transfer_box box;
	bool open_only;
	const char *state, *flag;
	int64_t member_id; /* 0: any */
	int64_t before_id;
	int limit;
	struct date today;
};
/* The transfers' revision (0065: raised in the same transaction as every change of a
 * transfer), or rev -1 when it cannot be read (then nothing is cached). */
void transfer_revision(struct db *db, int64_t *epoch, int64_t *rev);
enum db_rc transfer_page(struct db *db, struct arena *a, const struct transfer_filter *f, struct transfer_rec **rows,
			 size_t *n, int64_t *total);
/* The queues' counts of a subtree for the menu. */
struct transfer_counts {
	int64_t outgoing_open, incoming_pending, expired, expiring, receipt_overdue, transit;
};
enum db_rc transfer_counts(struct db *db, const char *prefix, const char *end, struct date today,
			   struct transfer_counts *c);
/* 人次 completed (received) with received_on in [from, to] over a subtree: into it from
 * outside, out of it, within it; and by kind. */
struct transfer_stats {
	int64_t in, out, within, kind_within, kind_out, kind_in, open, expired;
};
enum db_rc transfer_stats(struct db *db, const char *prefix, const char *end, const char *from, const char *to,
			  struct date today, struct transfer_stats *s);
/* Organizations that can receive members (党支部, 联合党支部) whose name contains q,
 * anywhere in the deployment (a transfer's destination), as [{id, name, parent_name}]. */
enum db_rc transfer_destinations(struct db *db, struct arena *a, const char *q, int limit, json_t *items);

/* The transfer as the API shows it (the letter's fields; ID number and mobile masked
 * unless reveal; member_id only when with_member). */
json_t *transfer_json(const struct transfer_rec *t, struct date today, bool reveal, bool with_member);
/* The same object written into w (the list pages stream their items: no jansson value
 * per field); transfer_json parses this writer's output, so both are the same. */
struct jsonw;
void transfer_jw(struct jsonw *w, const struct transfer_rec *t, struct date today, bool reveal, bool with_member);

/* ---- changes that touch the roster (transfer_flow.c) ---- */

/* The issuing committee of an organization at path: the nearest of it and its
 * ancestors that is a 党委 or 党工委 (the root when none). */
enum db_rc transfer_issuer(struct db *db, struct arena *a, const char *path, int64_t *issuer);
/* Who acts: for the member's history and the timeline. */
struct transfer_actor {
	int64_t id;
	const char *name;
};
/* Submit (R-TRF-01): the member shows 转出（在途） from now (R-TRF-03). */
enum db_rc transfer_submit(struct db *db, struct arena *a, struct transfer_rec *t, const struct transfer_actor *who,
			   struct date today, int64_t now);
/* Approve: the serial of the issuing committee and year. */
enum db_rc transfer_approve(struct db *db, struct arena *a, struct transfer_rec *t, const struct transfer_actor *who,
			    struct date today, int64_t now);
/* Send: sent_on today, valid_until from the validity (R-TRF-02). */
enum db_rc transfer_send(struct db *db, struct arena *a, struct transfer_rec *t, const struct transfer_actor *who,
			 struct date today, int64_t now);
/* Accept (R-TRF-03): within: the member moves to the receiving organization in this
 * transaction, with a history row naming both; out: the member leaves the roster;
 * in: the person is added from the letter (DB_CONSTRAINT when already on the roster).
 * 预备期 dates stay as they were (R-TRF-06). DB_NOT_FOUND when another acceptance won. */
enum db_rc transfer_accept(struct db *db, struct arena *a, struct transfer_rec *t, const struct transfer_actor *who,
			   struct date today, int64_t now);
/* Return with a reason, or cancel (before sending): the member's state is restored. */
enum db_rc transfer_close(struct db *db, struct arena *a, struct transfer_rec *t, const char *to_state,
			  const char *reason, const struct transfer_actor *who, struct date today, int64_t now);
/* Receipt returned (R-TRF-05 ends). */
enum db_rc transfer_receipt(struct db *db, struct arena *a, struct transfer_rec *t, const struct transfer_actor *who,
			    struct date today, int64_t now);
/* Renew an expired (or expiring) letter with a note (R-TRF-02). */
enum db_rc transfer_renew(struct db *db, struct arena *a, struct transfer_rec *t, const char *note,
			  const struct transfer_actor *who, struct date today, int64_t now);
#endif
