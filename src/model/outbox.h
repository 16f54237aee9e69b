/* outbox.h: every message is a row first (DESIGN.md §7, issue 16). A capability that
 * wants to tell someone something calls outbox_enqueue inside its own write
 * transaction: the message commits or rolls back with the change that caused it. A
 * dedup key (UNIQUE) makes enqueueing idempotent: the same key twice adds nothing, so
 * a scheduled run caught up after downtime, a second server or a retried request
 * never queue a second message. Members' opt-outs per kind are honoured here (and
 * again when the message is sent). In-app messages are delivered by being written
 * (state 'sent' at once: the inbox reads them); SMS and WeChat rows are queued for
 * the sender (src/jobs/sender.c), which claims them with a lease, sends, and records
 * the outcome.
 *
 * Not here: the channels (src/jobs/channel*.c), the scheduler (src/jobs/scheduler.c),
 * the settings (model/msg_settings.c). */
#ifndef DJ_OUTBOX_H
#define DJ_OUTBOX_H
#include "db/db.h"
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;

/* A message template: the kind (what a member opts out of), the Chinese title and
 * text with {param} placeholders, and its parameters in order (SMS providers that
 * take a list, Tencent's, take them in this order). */
#define OUTBOX_MAX_PARAMS 4
struct outbox_template {
	const char *code, *kind, *name, *title, *text;
	const char *params[OUTBOX_MAX_PARAMS + 1]; /* NULL-terminated */
};
/* The template called code, or NULL. */
const struct outbox_template *outbox_template(const char *code);
/* Every template (the settings page lists them), *n of them. */
const struct outbox_template *outbox_templates(size_t *n);
/* True for a kind members may opt out of: birthday, term_due, study, notice and the
 * reminders' kinds (transfer_expiring, probation_ending, meetings_missing,
 * booking_tomorrow). A desk user's messages honour the opt-outs of the member record
 * the account is linked to (users.member_id). */
bool outbox_kind_valid(const char *kind);
/* The kind's Chinese name, or NULL. */
const char *outbox_kind_name(const char *kind);
extern const char *const outbox_kinds[];    /* NULL-terminated */
extern const char *const outbox_channels[]; /* sms, wechat, inapp; NULL-terminated */

struct outbox_msg {
	const char *dedup_key; /* required, ≤ 200 bytes: e.g. "bday:<member>:<year>:sms" */
	const char *channel;   /* "sms", "wechat" or "inapp" */
	const char *tmpl;      /* a template code (outbox_template); its kind is the message's */
	json_t *params;        /* an object with every parameter the template names (strings or integers) */
	int64_t member_id;     /* the recipient member, or 0 */
	int64_t user_id;       /* the recipient desk user (in-app only), or 0 */
	const char *mobile;    /* SMS only: a bare mobile (a resident who is no member), or NULL. Sealed
				* on the row with the parameters (they may carry a secret such as a
				* follow code): the row's plain params are {} and its body the
				* template's text unfilled. One of member_id, user_id, mobile is set. */
	const char *org_path;  /* the recipient's organization path (the monitor's scope); NULL: the member's */
	const char *link;      /* in-app: a page of ours to open, or NULL */
	int64_t not_before;    /* Unix seconds; 0: now */
};

enum outbox_result {
	OUTBOX_QUEUED,    /* a new row (in-app: delivered) */
	OUTBOX_DUPLICATE, /* the dedup key exists: nothing added */
	OUTBOX_OPTED_OUT, /* the member opted out of the template's kind: nothing added */
	OUTBOX_BAD_INPUT, /* unknown template or channel, a parameter missing, no recipient: why says which */
	OUTBOX_DB_ERROR,
};

/* Adds m inside the caller's write transaction (it opens none). *id (when not NULL)
 * gets the new row's id (0 unless OUTBOX_QUEUED). why (Chinese) says what was wrong
 * for OUTBOX_BAD_INPUT. */
enum outbox_result outbox_enqueue(struct db *db, const struct outbox_msg *m, int64_t *id, char *why, size_t whylen);

/* One message to every member in the subtree of org_path (path ranges [prefix, end))
 * who has not opted out of the template's kind, on channel, in one INSERT … SELECT:
 * dedup keys are key_prefix + member id, so a second call adds nothing. params is
 * the same for every recipient. *queued = rows added. DB_OK or the failure. */
enum db_rc outbox_enqueue_subtree(struct db *db, const char *key_prefix, const char *channel, const char *tmpl,
				  json_t *params, const char *prefix, const char *end, const char *link,
				  int64_t *queued, char *why, size_t whylen);

/* The in-app fallback of a WeChat push: like outbox_enqueue_subtree on "inapp", to the
 * members of the subtree who have not linked a WeChat openid only. */
enum db_rc outbox_enqueue_unlinked(struct db *db, const char *key_prefix, const char *tmpl, json_t *params,
				   const char *prefix, const char *end, const char *link, int64_t *queued, char *why,
				   size_t whylen);

/* Renders tmpl's text (or title with title = true) with params into an arena string;
 * NULL with why when a parameter is missing. */
char *outbox_render(struct arena *a, const struct outbox_template *t, json_t *params, bool title, char *why,
		    size_t whylen);

/* The Beijing date (UTC+8) of Unix time t, YYYY-MM-DD. */
void outbox_day(int64_t t, char buf[11]);

/* ---- the sender's side (src/jobs/sender.c) ---- */

struct outbox_claimed {
	int64_t id, member_id, attempts;
	const char *dedup_key, *channel, *kind, *tmpl, *params, *body; /* arena-owned */
	const char *to;        /* the mobile (opened from the member's sealed one) or the linked openid; NULL when none */
	const char *skip;      /* set when the row must not be sent: the reason code */
};

/* Claims at most limit queued rows of channel due at now for owner (state 'sending',
 * lease until now + lease, attempts + 1), and with them the recipient's opened
 * mobile. Caller's write transaction. Rows into an arena array. */
enum db_rc outbox_claim(struct db *db, struct arena *a, const char *channel, const char *owner, int64_t now,
			int64_t lease, int limit, struct outbox_claimed **rows, size_t *n);
/* True when member opted out of kind. */
enum db_rc outbox_opted_out(struct db *db, int64_t member_id, const char *kind, bool *out);
/* Messages on sms/wechat sent to member on day (the daily cap). */
enum db_rc outbox_sent_on(struct db *db, int64_t member_id, const char *day, int64_t *count);

enum outbox_end { OUTBOX_END_SENT, OUTBOX_END_FAILED, OUTBOX_END_GIVEN_UP, OUTBOX_END_CANCELLED, OUTBOX_END_REQUEUE };
/* Ends (or, with OUTBOX_END_REQUEUE, requeues for next_at) a row owner holds. A row
 * owner no longer holds (recovered as interrupted meanwhile) is still written as sent
 * when it was sent: the truth wins. DB_OK, DB_NOT_FOUND when not owner's. */
enum db_rc outbox_end(struct db *db, int64_t id, const char *owner, enum outbox_end end, int64_t now, int64_t next_at,
		      const char *provider_id, const char *error_code, const char *error);
/* Marks every 'sending' row whose lease ran out before now failed with error_code
 * 'interrupted': its sender died mid-send and whether the provider took it is
 * unknown, so it is never sent again by itself (a person may retry it). *n = rows. */
enum db_rc outbox_recover(struct db *db, int64_t now, int64_t *n);

/* ---- the API's side ---- */

/* A failed / given-up / cancelled row back to queued (attempts kept); DB_NOT_FOUND when
 * no such row in the subtree [prefix, end) or DB_CONSTRAINT when its state is not one of those. */
enum db_rc outbox_retry(struct db *db, int64_t id, const char *prefix, const char *end,
			int64_t now);
/* A page of the monitor: rows in the ranges, newest first, before id before (0: from
 * the newest), filtered by state/channel/kind (NULL: any). New JSON array. */
json_t *outbox_list(struct db *db, const char *prefix, const char *end, const char *state,
		    const char *channel, const char *kind, int64_t before, int limit, int64_t *last_id);
/* Per day and channel: {day, channel, sent, failed, given_up, queued} for days in
 * [from, to] (YYYY-MM-DD), over the ranges. New JSON array. */
json_t *outbox_daily(struct db *db, const char *prefix, const char *end, const char *from,
		     const char *to);
/* The caller's in-app messages (member_id or user_id), newest first. New JSON array. */
json_t *outbox_inbox(struct db *db, int64_t member_id, int64_t user_id, int64_t before, int limit, int64_t *last_id,
		     int64_t *unread);
/* Marks one of the caller's in-app messages read (id 0: all). DB_NOT_FOUND when not theirs. */
enum db_rc outbox_mark_read(struct db *db, int64_t member_id, int64_t user_id, int64_t id, int64_t now);
/* The member's opt-outs as a JSON object {kind: bool}. */
json_t *outbox_optouts(struct db *db, int64_t member_id);
enum db_rc outbox_set_optout(struct db *db, int64_t member_id, const char *kind, bool out, int64_t now);
/* Counts for GET /stats/messages over the ranges and days [from, to]: sent per kind and
 * channel. New JSON object. */
json_t *outbox_stats(struct db *db, const char *prefix, const char *end, const char *from,
		     const char *to);
#endif
