/* transfer_flow.c: the state changes of a transfer (R-TRF-01) and what they do to the
 * roster (R-TRF-03): the member shows 转出（在途） from submission; acceptance moves
 * the member (or adds the person, or lets them leave) in the same transaction, and
 * writes the member's history naming both organizations. Each function checks the
 * state it starts from through transfer_save's expected state, so of two concurrent
 * acceptances exactly one changes anything (the other gets DB_NOT_FOUND). The caller
 * audits. See transfer.h. */
#include "model/transfer.h"
#include "core/arena.h"
#include "model/member.h"
#include "model/org.h"
#include <stdlib.h>
#include <string.h>

enum transfer_flow_stmt {
	STMT_TRANSFER_MEMBER_MOVE,
	TRANSFER_FLOW_STMT__MAX
};
static const struct db_sql transfer_flow_sql[TRANSFER_FLOW_STMT__MAX] = {
	/* $1 member, $2 the receiving organization, $3 the sending one (the member must still
	 * be there), $4 now; the 党小组, grid and building belonged to the old organization */
	[STMT_TRANSFER_MEMBER_MOVE] = {"transfer.member_move",
	 "UPDATE members SET org_id = $2, org_path = (SELECT path FROM orgs WHERE id = $2), group_org_id = NULL,"
	 " grid_id = NULL, building_id = NULL, updated_at = $4 WHERE id = $1 AND org_id = $3 RETURNING id"},
};
DB_SQL_TABLE(transfer_flow, transfer_flow_sql);

static void no_err(void *ctx, const char *field, const char *code, const char *message)
{
	(void)ctx, (void)field, (void)code, (void)message;
}

enum db_rc transfer_issuer(struct db *db, struct arena *a, const char *path, int64_t *issuer)
{
	/* the path's ids, deepest last: "/1/17/342/" */
	int64_t ids[64];
	int n = 0;
	for (const char *p = path; *p && n < 64;) {
		if (*p == '/') {
			p++;
			continue;
		}
		char *end;
		ids[n++] = strtoll(p, &end, 10);
		p = end;
	}
	*issuer = n ? ids[0] : 0;
	for (int i = n - 1; i >= 0; i--) {
		struct org_rec o;
		enum db_rc rc = org_get(db, a, ids[i], &o);
		if (rc != DB_OK)
			return rc;
		if (strcmp(o.type, "党委") == 0 || strcmp(o.type, "党工委") == 0) {
			*issuer = o.id;
			return DB_OK;
		}
	}
	return DB_OK;
}

static void fmt_today(struct date today, char buf[11])
{
	date_format(today, buf);
}

/* Saves t (expected: the state it was in) and appends the timeline row. */
static enum db_rc step(struct db *db, struct transfer_rec *t, const char *expected, const char *note,
		       const struct transfer_actor *who, int64_t now)
{
	enum db_rc rc = transfer_save(db, t, expected, now);
	if (rc != DB_OK)
		return rc;
	return transfer_event(db, t->id, expected, t->state, who->id, who->name, note, now);
}

/* The member's state set to `to` with a history row (reason). */
static enum db_rc member_state(struct db *db, struct arena *a, int64_t member_id, const char *to, const char *reason,
			       const struct transfer_actor *who, struct date today, int64_t now, const char **was)
{
	struct member_rec r;
	const char *org_name;
	enum db_rc rc = member_load(db, a, member_id, false, &r, &org_name);
	if (rc != DB_OK)
		return rc;
	if (was)
		*was = r.state;
	char d[11];
	fmt_today(today, d);
	return member_change_state(db, &r, to, reason, d, who->id, who->name, now);
}

enum db_rc transfer_submit(struct db *db, struct arena *a, struct transfer_rec *t, const struct transfer_actor *who,
			   struct date today, int64_t now)
{
	const char *expected = t->state;
	t->state = "submitted";
	if (t->member_id > 0) {
		const char *was = NULL;
		enum db_rc rc = member_state(db, a, t->member_id, "transfer_out",
					     arena_printf(a, "组织关系转出（在途）：%s → %s", t->from_org_name, t->to_org_name),
					     who, today, now, &was);
		if (rc != DB_OK)
			return rc;
		t->prev_state = was;
	}
	return step(db, t, expected, NULL, who, now);
}

enum db_rc transfer_approve(struct db *db, struct arena *a, struct transfer_rec *t, const struct transfer_actor *who,
			    struct date today, int64_t now)
{
	const char *expected = t->state;
	if (!t->issuer_org_id) {
		enum db_rc rc = transfer_issuer(db, a, t->from_path, &t->issuer_org_id);
		if (rc != DB_OK)
			return rc;
	}
	if (!t->serial) {
		enum db_rc rc = transfer_next_serial(db, a, t->issuer_org_id, today.y, &t->serial);
		if (rc != DB_OK)
			return rc;
	}
	t->state = "approved";
	return step(db, t, expected, NULL, who, now);
}

enum db_rc transfer_send(struct db *db, struct arena *a, struct transfer_rec *t, const struct transfer_actor *who,
			 struct date today, int64_t now)
{
	(void)a;
	const char *expected = t->state;
	char d[11], until[11];
	fmt_today(today, d);
	t->validity_days = transfer_validity_days(t->outside_city);
	date_format(date_from_days(date_to_days(today) + t->validity_days), until);
	t->sent_on = arena_strdup(a, d);
	t->valid_until = arena_strdup(a, until);
	t->state = "sent";
	return step(db, t, expected, NULL, who, now);
}

enum db_rc transfer_accept(struct db *db, struct arena *a, struct transfer_rec *t, const struct transfer_actor *who,
			   struct date today, int64_t now)
{
	const char *expected = t->state;
	char d[11];
	fmt_today(today, d);
	t->state = "received";
	t->received_on = arena_strdup(a, d);
	t->open = false;
	/* the state first: of two acceptances the second stops here, before the roster */
	enum db_rc rc = step(db, t, expected, NULL, who, now);
	if (rc != DB_OK)
		return rc;
	if (strcmp(t->kind, "within") == 0) {
		struct db_stmt *st = db_prepare(db, &transfer_flow_sql[STMT_TRANSFER_MEMBER_MOVE]);
		if (!st)
			return DB_ERROR;
		db_bind_int(st, 1, t->member_id);
		db_bind_int(st, 2, t->to_org_id);
		db_bind_int(st, 3, t->from_org_id);
		db_bind_int(st, 4, now);
		rc = db_step(st);
		db_reset(st);
		if (rc != DB_ROW)
			return rc == DB_DONE ? DB_CONSTRAINT : rc; /* the member is no longer where the letter says */
		/* back to the state before 转出（在途）; 预备期 dates untouched (R-TRF-06) */
		return member_state(db, a, t->member_id, t->prev_state ? t->prev_state : "normal",
				    arena_printf(a, "组织关系转接：由 %s 转入 %s（介绍信 %s）", t->from_org_name,
						 t->to_org_name, t->serial ? t->serial : "-"),
				    who, today, now, NULL);
	}
	if (strcmp(t->kind, "out") == 0) /* leaves our roster: the letter keeps the record */
		return t->member_id > 0 ? member_delete(db, t->member_id) : DB_OK;
	/* in: the person is added from the letter */
	struct member_rec r;
	memset(&r, 0, sizeof r);
	r.org_id = t->to_org_id;
	r.name = t->name;
	r.id_number = t->id_number;
	r.mobile = t->mobile;
	r.ethnicity = t->ethnicity;
	r.party_status = t->party_status;
	r.joined_on = t->joined_on;
	r.confirmed_on = t->confirmed_on;
	r.dues_paid_to = t->dues_paid_to;
	r.dues_base = -1;
	r.created_at = r.updated_at = now;
	if (member_validate(&r, today, a, no_err, NULL) != 0)
		return DB_CONSTRAINT;
	rc = member_insert(db, a, &r);
	if (rc != DB_OK)
		return rc;
	t->member_id = r.id;
	rc = transfer_save(db, t, t->state, now);
	if (rc != DB_OK)
		return rc;
	return member_change_state(db, &r, "normal",
				   arena_printf(a, "组织关系转入：由 %s 转入 %s（介绍信 %s）", t->from_org_name,
						t->to_org_name, t->letter_no ? t->letter_no : "-"),
				   d, who->id, who->name, now);
}

enum db_rc transfer_close(struct db *db, struct arena *a, struct transfer_rec *t, const char *to_state,
			  const char *reason, const struct transfer_actor *who, struct date today, int64_t now)
{
	const char *expected = t->state;
	bool was_submitted = strcmp(expected, "draft") != 0;
	t->state = to_state;
	t->open = false;
	if (strcmp(to_state, "returned") == 0)
		t->return_reason = reason;
	enum db_rc rc = step(db, t, expected, reason, who, now);
	if (rc != DB_OK || t->member_id <= 0 || !was_submitted || strcmp(t->kind, "in") == 0)
		return rc;
	return member_state(db, a, t->member_id, t->prev_state ? t->prev_state : "normal",
			    arena_printf(a, "组织关系转接%s：%s", transfer_state_name(to_state), reason ? reason : "-"),
			    who, today, now, NULL);
}

enum db_rc transfer_receipt(struct db *db, struct arena *a, struct transfer_rec *t, const struct transfer_actor *who,
			    struct date today, int64_t now)
{
	const char *expected = t->state;
	char d[11];
	fmt_today(today, d);
	t->state = "receipt_returned";
	t->receipt_on = arena_strdup(a, d);
	return step(db, t, expected, NULL, who, now);
}

enum db_rc transfer_renew(struct db *db, struct arena *a, struct transfer_rec *t, const char *note,
			  const struct transfer_actor *who, struct date today, int64_t now)
{
	char until[11];
	t->validity_days = transfer_validity_days(t->outside_city);
	date_format(date_from_days(date_to_days(today) + t->validity_days), until);
	t->valid_until = arena_strdup(a, until);
	t->renewals++;
	/* the state stays "sent": the timeline records the renewal with its note */
	enum db_rc rc = transfer_save(db, t, t->state, now);
	if (rc != DB_OK)
		return rc;
	return transfer_event(db, t->id, t->state, t->state, who->id, who->name,
			      arena_printf(a, "续期至 %s：%s", until, note), now);
}
