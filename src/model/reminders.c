/* reminders.c: see reminders.h. */
#include "model/reminders.h"
#include "core/arena.h"
#include "core/date.h"
#include "core/log.h"
#include "model/base.h"
#include "model/meeting.h"
#include "model/org.h"
#include "model/outbox.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum rem_stmt { STMT_REM_BDAY, STMT_REM_ORG_USERS, REM_STMT__MAX };
enum rem_bday_col { RB_ID, RB_NAME, RB_JOINED, RB_PATH, RB_MOBILE, RB_WECHAT };
enum rem_user_col { RU_USER, RU_PATH };

static const struct db_sql rem_sql[REM_STMT__MAX] = {
	/* $1 MM-DD, $2 MM-DD too (02-29 on 28 February of a common year, else $1), $3 the
	 * first day of the year: joined before it */
	[STMT_REM_BDAY] = {"reminders.birthdays",
	 "SELECT id, name, joined_on, org_path, CASE WHEN mobile_cipher IS NULL THEN 0 ELSE 1 END,"
	 " CASE WHEN EXISTS (SELECT 1 FROM member_wechat w WHERE w.member_id = members.id) THEN 1 ELSE 0 END FROM members"
	 " WHERE state = 'normal' AND SUBSTR(joined_on, 6, 5) IN ($1, $2) AND joined_on < $3 ORDER BY id"},
	/* the desk users at the organization or its parent */
	[STMT_REM_ORG_USERS] = {"reminders.org_users",
	 "SELECT DISTINCT r.user_id, o.path FROM orgs o JOIN user_roles r ON r.org_id = o.id OR r.org_id = o.parent_id"
	 " JOIN users u ON u.id = r.user_id WHERE o.id = $1 AND u.status = 'active' ORDER BY r.user_id"},
};
DB_SQL_TABLE(reminders, rem_sql);

static const char *text_or(struct db_stmt *st, int col)
{
	const char *t = db_col_text(st, col);
	return t ? t : "";
}

static void count(struct reminder_counts *c, enum outbox_result r)
{
	if (r == OUTBOX_QUEUED)
		c->queued++;
	else if (r == OUTBOX_DUPLICATE)
		c->duplicate++;
	else if (r == OUTBOX_OPTED_OUT)
		c->opted_out++;
}

static enum db_rc birthdays_on(struct db *db, struct date d, const char *channels, struct reminder_counts *c)
{
	char md[6], md2[6], jan1[11];
	snprintf(md, sizeof md, "%02d-%02d", d.m, d.d);
	snprintf(md2, sizeof md2, "%s", d.m == 2 && d.d == 28 && !date_is_leap(d.y) ? "02-29" : md);
	snprintf(jan1, sizeof jan1, "%04d-01-01", d.y);
	struct db_stmt *st = db_prepare(db, &rem_sql[STMT_REM_BDAY]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, md, -1);
	db_bind_text(st, 2, md2, -1);
	db_bind_text(st, 3, jan1, -1);
	/* read the day's members first: enqueueing writes other statements meanwhile */
	struct arena *a = arena_new();
	if (!a) {
		db_reset(st);
		return DB_ERROR;
	}
	struct row {
		int64_t id;
		const char *name, *path;
		int years;
		bool mobile, wechat;
	} *rows = NULL;
	size_t n = 0, cap = 0;
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW) {
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			struct row *r = arena_alloc(a, nc * sizeof *r);
			if (n)
				memcpy(r, rows, n * sizeof *r);
			rows = r;
			cap = nc;
		}
		rows[n].id = db_col_int(st, RB_ID);
		rows[n].name = db_col_dup(a, st, RB_NAME);
		rows[n].path = db_col_dup(a, st, RB_PATH);
		rows[n].years = d.y - atoi(db_col_text(st, RB_JOINED));
		rows[n].mobile = db_col_int(st, RB_MOBILE) != 0;
		rows[n].wechat = db_col_int(st, RB_WECHAT) != 0;
		n++;
	}
	db_reset(st);
	if (rc != DB_DONE) {
		arena_free(a);
		return rc;
	}
	static const char *const chans[] = {"inapp", "sms", "wechat"};
	for (size_t i = 0; i < n && rc == DB_DONE; i++) {
		c->members++;
		json_t *p = json_pack("{s:s, s:i}", "name", rows[i].name, "years", rows[i].years);
		/* WeChat goes to members who linked their openid; the others get the in-app
		 * greeting instead (the same dedup key as in-app's: never two) */
		bool fallback = strstr(channels, "wechat") && !rows[i].wechat;
		for (int k = 0; k < 3; k++) {
			if (!(strstr(channels, chans[k]) || (k == 0 && fallback)) || (k == 1 && !rows[i].mobile) ||
			    (k == 2 && !rows[i].wechat))
				continue;
			char key[96], why[160];
			snprintf(key, sizeof key, "bday:%lld:%d:%s", (long long)rows[i].id, d.y, chans[k]);
			struct outbox_msg m = {.dedup_key = key, .channel = chans[k], .tmpl = "birthday", .params = p,
					       .member_id = rows[i].id, .org_path = rows[i].path, .link = "/m/inbox"};
			enum outbox_result r = outbox_enqueue(db, &m, NULL, why, sizeof why);
			if (r == OUTBOX_DB_ERROR) {
				rc = DB_ERROR;
				break;
			}
			if (r == OUTBOX_BAD_INPUT)
				log_msg(LOG_WARN, NULL, "birthday greeting for member %lld not queued: %s", (long long)rows[i].id,
					why);
			count(c, r);
		}
		json_decref(p);
	}
	arena_free(a);
	return rc == DB_DONE ? DB_OK : rc;
}

enum db_rc reminders_birthdays(struct db *db, const char *from, const char *to, const char *channels,
			       struct reminder_counts *c)
{
	memset(c, 0, sizeof *c);
	struct date f, t;
	if (!date_parse(from, &f) || !date_parse(to, &t))
		return DB_ERROR;
	int64_t a = date_to_days(f), b = date_to_days(t);
	if (b - a > 31)
		a = b - 31;
	for (int64_t d = a; d <= b; d++) {
		enum db_rc rc = birthdays_on(db, date_from_days(d), channels, c);
		if (rc != DB_OK)
			return rc;
	}
	return DB_OK;
}

/* ---- the daily reminders: one shape ---- */

enum rem_daily_stmt {
	STMT_RD_SECRETARIES,
	STMT_RD_USER,
	STMT_RD_TRF_RECEIPTS,
	STMT_RD_TRF_EXPIRING,
	STMT_RD_PUBLICITY,
	STMT_RD_PROBATION,
	STMT_RD_BOOKINGS,
	RD_STMT__MAX
};
static const struct db_sql rd_sql[RD_STMT__MAX] = {
	/* the branch secretaries of the organization; where it has none, the desk users at
	 * its parent (the committee that would otherwise never hear of it) */
	[STMT_RD_SECRETARIES] = {"reminders.secretaries",
	 "SELECT DISTINCT r.user_id, o.path FROM orgs o JOIN user_roles r ON (r.org_id = o.id AND r.role = 'branch_secretary')"
	 " OR (r.org_id = o.parent_id AND NOT EXISTS (SELECT 1 FROM user_roles s JOIN users su ON su.id = s.user_id"
	 " WHERE s.org_id = o.id AND s.role = 'branch_secretary' AND su.status = 'active'))"
	 " JOIN users u ON u.id = r.user_id WHERE o.id = $1 AND u.status = 'active' ORDER BY r.user_id"},
	/* one user, when active, with the path of the organization given */
	[STMT_RD_USER] = {"reminders.user",
	 "SELECT u.id, o.path FROM users u, orgs o WHERE u.id = $1 AND o.id = $2 AND u.status = 'active'"},
	/* R-TRF-05: letters received before $1 (a month ago) whose receipt has not come back;
	 * the organization that chases it: the sending one, or for a letter from elsewhere the
	 * receiving one (it sends the receipt back) */
	[STMT_RD_TRF_RECEIPTS] = {"reminders.transfer_receipts",
	 "SELECT id, COALESCE(from_org_id, to_org_id), name, COALESCE(serial, letter_no, ''), received_on, to_org_name"
	 " FROM transfers WHERE state = 'received' AND received_on < $1 ORDER BY id LIMIT 5000"},
	/* R-TRF-02: letters sent and not yet received whose validity ends in [$1, $2] */
	[STMT_RD_TRF_EXPIRING] = {"reminders.transfers_expiring",
	 "SELECT id, COALESCE(member_id, 0), COALESCE(from_org_id, 0), COALESCE(to_org_id, 0), name,"
	 " COALESCE(serial, letter_no, ''), valid_until, to_org_name FROM transfers"
	 " WHERE state = 'sent' AND valid_until >= $1 AND valid_until <= $2 ORDER BY id LIMIT 50000"},
	/* R-DEV-15: 公示 (0119) whose end is in [$1, $2], of applicants still before the step */
	[STMT_RD_PUBLICITY] = {"reminders.publicity_ending",
	 "SELECT a.id, a.org_id, p.step, a.name, p.end_on FROM dev_publicity p JOIN dev_applicants a ON a.id = p.applicant_id"
	 " WHERE p.end_on >= $1 AND p.end_on <= $2 AND a.status = 'active' AND a.last_step < p.step ORDER BY a.id, p.step"
	 " LIMIT 50000"},
	/* R-DEV-11: 预备党员 (steps 17–21 done, 转正 not yet applied for) whose 预备期 ends in [$1, $2] */
	[STMT_RD_PROBATION] = {"reminders.probation_ending",
	 "SELECT a.id, a.org_id, a.name, o.name, a.probation_end FROM dev_applicants a JOIN orgs o ON o.id = a.org_id"
	 " WHERE a.status = 'active' AND a.last_step >= 17 AND a.last_step <= 21 AND a.probation_end >= $1"
	 " AND a.probation_end <= $2 ORDER BY a.id LIMIT 50000"},
	/* approved base bookings on days [$1, $2] */
	[STMT_RD_BOOKINGS] = {"reminders.bookings",
	 "SELECT k.id, k.org_id, COALESCE(k.created_by, 0), b.name, k.day, k.slot_start, k.headcount"
	 " FROM base_bookings k JOIN bases b ON b.id = k.base_id WHERE k.status = 'approved' AND k.day >= $1"
	 " AND k.day <= $2 ORDER BY k.id LIMIT 50000"},
};
DB_SQL_TABLE(reminders_daily, rd_sql);

/* One reminder run: the days [from, today] (from < today after downtime), the counts,
 * an arena for its strings. */
struct rem_run {
	struct db *db;
	struct arena *a;
	struct date from, today;
	struct reminder_counts *c;
};

static const char *day_str(struct rem_run *r, struct date d, int plus)
{
	char *b = arena_alloc(r->a, 11);
	date_format(date_from_days(date_to_days(d) + plus), b);
	return b;
}

static enum db_rc send1(struct rem_run *r, const struct outbox_msg *m)
{
	char why[160];
	enum outbox_result res = outbox_enqueue(r->db, m, NULL, why, sizeof why);
	if (res == OUTBOX_DB_ERROR)
		return DB_ERROR;
	if (res == OUTBOX_BAD_INPUT)
		log_msg(LOG_WARN, NULL, "reminder %s not queued: %s", m->dedup_key, why);
	count(r->c, res);
	return DB_OK;
}

/* An in-app message from template tmpl with params p to each user the statement q
 * (bound to org, and to user when q is STMT_RD_USER) yields, at most 64, deduplicated by
 * key_prefix + the user's id. */
static enum db_rc tell_users(struct rem_run *r, const struct db_sql *q, int64_t user, int64_t org,
			     const char *key_prefix, const char *tmpl, json_t *p, const char *link)
{
	struct db_stmt *st = db_prepare(r->db, q);
	if (!st)
		return DB_ERROR;
	if (q == &rd_sql[STMT_RD_USER]) {
		db_bind_int(st, 1, user);
		db_bind_int(st, 2, org);
	} else {
		db_bind_int(st, 1, org);
	}
	int64_t users[64];
	size_t nu = 0;
	const char *path = NULL;
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW) {
		if (nu < 64)
			users[nu++] = db_col_int(st, RU_USER);
		if (!path)
			path = db_col_dup(r->a, st, RU_PATH);
	}
	db_reset(st);
	if (rc != DB_DONE)
		return rc;
	for (size_t k = 0; k < nu; k++) {
		struct outbox_msg m = {.dedup_key = arena_printf(r->a, "%s%lld", key_prefix, (long long)users[k]),
				       .channel = "inapp", .tmpl = tmpl, .params = p, .user_id = users[k],
				       .org_path = path, .link = link};
		if (send1(r, &m) != DB_OK)
			return DB_ERROR;
	}
	return DB_OK;
}

#define DESKS (&rem_sql[STMT_REM_ORG_USERS])
#define SECRETARIES (&rd_sql[STMT_RD_SECRETARIES])

/* Runs q bound to texts b1, b2 (b2 may be NULL) and hands back its rows as a JSON array
 * of arrays, column i an integer where cols[i] is 'i', else a string: enqueueing writes
 * other statements meanwhile, so the rows are read first. NULL on failure. */
static json_t *rows_of(struct rem_run *r, const struct db_sql *q, const char *b1, const char *b2, const char *cols)
{
	struct db_stmt *st = db_prepare(r->db, q);
	if (!st)
		return NULL;
	db_bind_text(st, 1, b1, -1);
	if (b2)
		db_bind_text(st, 2, b2, -1);
	json_t *rows = json_array();
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW) {
		json_t *row = json_array();
		for (int i = 0; cols[i]; i++)
			json_array_append_new(row, cols[i] == 'i' ? json_integer(db_col_int(st, i)) : json_string(text_or(st, i)));
		json_array_append_new(rows, row);
	}
	db_reset(st);
	if (rc != DB_DONE) {
		json_decref(rows);
		return NULL;
	}
	return rows;
}
#define COL_I(row, i) ((int64_t)json_integer_value(json_array_get(row, i)))
#define COL_S(row, i) (json_string_value(json_array_get(row, i)) ? json_string_value(json_array_get(row, i)) : "")

/* One reminder's due rows (rows_of), each counted and handed to tell until one fails. */
typedef enum db_rc rem_row_fn(struct rem_run *r, json_t *l);
static enum db_rc each_row(struct rem_run *r, const struct db_sql *q, const char *b1, const char *b2,
			   const char *cols, rem_row_fn *tell)
{
	json_t *rows = rows_of(r, q, b1, b2, cols);
	if (!rows)
		return DB_ERROR;
	enum db_rc rc = DB_OK;
	size_t i;
	json_t *l;
	json_array_foreach(rows, i, l)
	{
		if (rc != DB_OK)
			break;
		r->c->members++;
		rc = tell(r, l);
	}
	json_decref(rows);
	return rc;
}

/* R-ORG-02: the roster's term_due alerts on today, to the desks of the organization. */
static enum db_rc rem_term_due(struct rem_run *r)
{
	json_t *items = json_array();
	enum db_rc rc = org_alerts_range(r->db, r->a, "/", "0", r->today, items);
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it)
	{
		if (rc != DB_OK)
			break;
		if (strcmp(json_string_value(json_object_get(it, "code")), "term_due") != 0)
			continue;
		int64_t org = json_integer_value(json_object_get(it, "org_id"));
		const char *due = json_string_value(json_object_get(it, "due_on"));
		const char *name = json_string_value(json_object_get(it, "org_name"));
		if (!due || !name)
			continue;
		r->c->members++;
		json_t *p = json_pack("{s:s, s:s}", "org", name, "date", due);
		rc = tell_users(r, DESKS, 0, org, arena_printf(r->a, "term_due:%lld:%s:", (long long)org, due), "term_due", p,
				arena_printf(r->a, "/orgs?id=%lld", (long long)org));
		json_decref(p);
	}
	json_decref(items);
	return rc;
}

/* R-TRF-05: letters received more than a month ago whose receipt is out. */
static enum db_rc rem_transfer_receipts_row(struct rem_run *r, json_t *l)
{
	json_t *p = json_pack("{s:s, s:s, s:s, s:s}", "name", COL_S(l, 2), "serial", COL_S(l, 3), "date", COL_S(l, 4),
			      "org", COL_S(l, 5));
	enum db_rc rc = tell_users(r, DESKS, 0, COL_I(l, 1), arena_printf(r->a, "trf_receipt:%lld:", (long long)COL_I(l, 0)),
			"transfer_receipt", p, "/transfers");
	json_decref(p);
	return rc;
}

static enum db_rc rem_transfer_receipts(struct rem_run *r)
{
	char month_ago[11];
	date_format(date_add_months(r->today, -1), month_ago);
	return each_row(r, &rd_sql[STMT_RD_TRF_RECEIPTS], month_ago, NULL, "iissss", rem_transfer_receipts_row);
}

/* R-TRF-02: a letter sent and not received whose validity ends within
 * REMINDER_TRANSFER_DAYS: to the member and to the desks of both sides, once per
 * letter and validity (a renewal's new date reminds again). */
static enum db_rc rem_transfers_expiring_row(struct rem_run *r, json_t *l)
{
	enum db_rc rc = DB_OK;
	int64_t id = COL_I(l, 0), member = COL_I(l, 1);
	const char *until = COL_S(l, 6);
	json_t *p = json_pack("{s:s, s:s, s:s, s:s}", "name", COL_S(l, 4), "serial", COL_S(l, 5), "date", until, "org",
			      COL_S(l, 7));
	const char *key = arena_printf(r->a, "trf_expiring:%lld:%s:", (long long)id, until);
	if (member > 0) {
		struct outbox_msg m = {.dedup_key = arena_printf(r->a, "%sm%lld", key, (long long)member),
				       .channel = "inapp", .tmpl = "transfer_expiring", .params = p,
				       .member_id = member, .link = "/m/inbox"};
		rc = send1(r, &m);
	}
	for (int side = 2; side <= 3 && rc == DB_OK; side++)
		if (COL_I(l, side) > 0)
			rc = tell_users(r, DESKS, 0, COL_I(l, side), key, "transfer_expiring", p, "/transfers");
	json_decref(p);
	return rc;
}

static enum db_rc rem_transfers_expiring(struct rem_run *r)
{
	return each_row(r, &rd_sql[STMT_RD_TRF_EXPIRING], day_str(r, r->from, 0),
			day_str(r, r->today, REMINDER_TRANSFER_DAYS), "iiiissss", rem_transfers_expiring_row);
}

/* R-DEV-15: a 公示 posted (dev_publicity) ends within REMINDER_PUBLICITY_DAYS and its
 * step is not recorded yet: to the branch secretary, once per applicant, step and end. */
static enum db_rc rem_publicity_ending_row(struct rem_run *r, json_t *l)
{
	int64_t id = COL_I(l, 0), step = COL_I(l, 2);
	json_t *p = json_pack("{s:s, s:s, s:s}", "name", COL_S(l, 3), "what", step == 7 ? "发展对象" : "转正", "date",
			      COL_S(l, 4));
	enum db_rc rc = tell_users(r, SECRETARIES, 0, COL_I(l, 1),
			arena_printf(r->a, "publicity:%lld:%lld:%s:", (long long)id, (long long)step, COL_S(l, 4)),
			"publicity_ending", p, arena_printf(r->a, "/development?id=%lld", (long long)id));
	json_decref(p);
	return rc;
}

static enum db_rc rem_publicity_ending(struct rem_run *r)
{
	return each_row(r, &rd_sql[STMT_RD_PUBLICITY], day_str(r, r->from, 0),
			day_str(r, r->today, REMINDER_PUBLICITY_DAYS), "iiiss", rem_publicity_ending_row);
}

/* R-DEV-11: the 预备期 ends within REMINDER_PROBATION_DAYS: the 转正 is due; to the
 * branch secretary, once per applicant and end date (an extension reminds again). */
static enum db_rc rem_probation_ending_row(struct rem_run *r, json_t *l)
{
	int64_t id = COL_I(l, 0);
	json_t *p = json_pack("{s:s, s:s, s:s}", "name", COL_S(l, 2), "org", COL_S(l, 3), "date", COL_S(l, 4));
	enum db_rc rc = tell_users(r, SECRETARIES, 0, COL_I(l, 1),
			arena_printf(r->a, "probation:%lld:%s:", (long long)id, COL_S(l, 4)), "probation_ending", p,
			arena_printf(r->a, "/development?id=%lld", (long long)id));
	json_decref(p);
	return rc;
}

static enum db_rc rem_probation_ending(struct rem_run *r)
{
	return each_row(r, &rd_sql[STMT_RD_PROBATION], day_str(r, r->from, 0),
			day_str(r, r->today, REMINDER_PROBATION_DAYS), "iisss", rem_probation_ending_row);
}

/* R-MTG-01: in the last 10 days of a period, each branch still without its 支部党员大会
 * (a quarter), 支委会 (a month) or 党课 (a quarter) and no exemption: to its secretary,
 * once per branch, type and period. */
static enum db_rc rem_meetings_missing(struct rem_run *r)
{
	enum db_rc rc = DB_OK;
	json_t *items = mtg_warnings(r->db, r->a, "/", "0", r->today, 1000000, &rc);
	if (!items)
		return rc == DB_OK ? DB_ERROR : rc;
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it)
	{
		if (rc != DB_OK)
			break;
		int type = (int)json_integer_value(json_object_get(it, "type"));
		if (type != MTG_GENERAL && type != MTG_COMMITTEE && type != MTG_LECTURE)
			continue;
		r->c->members++;
		int64_t org = json_integer_value(json_object_get(it, "org_id"));
		const char *period = json_string_value(json_object_get(it, "period"));
		json_t *p = json_pack("{s:O, s:O, s:O, s:O}", "org", json_object_get(it, "name"), "type",
				      json_object_get(it, "type_name"), "period", json_object_get(it, "period"), "days",
				      json_object_get(it, "days_left"));
		rc = tell_users(r, SECRETARIES, 0, org,
				arena_printf(r->a, "mtg_missing:%lld:%d:%s:", (long long)org, type, period ? period : ""),
				"meetings_missing", p, "/meetings");
		json_decref(p);
	}
	json_decref(items);
	return rc;
}

/* Bases: an approved booking tomorrow (after downtime, today's too): to the user who
 * booked it, or where none is known the desks of the booking organization; once per
 * booking and day. */
static enum db_rc rem_bookings_tomorrow_row(struct rem_run *r, json_t *l)
{
	enum db_rc rc = DB_OK;
	char hm[6];
	base_format_hm((int)COL_I(l, 5), hm);
	json_t *p = json_pack("{s:s, s:s, s:s, s:I}", "base", COL_S(l, 3), "date", COL_S(l, 4), "time", hm,
			      "headcount", (json_int_t)COL_I(l, 6));
	const char *key = arena_printf(r->a, "booking:%lld:%s:", (long long)COL_I(l, 0), COL_S(l, 4));
	int64_t by = COL_I(l, 2);
	int64_t before = r->c->queued + r->c->duplicate + r->c->opted_out;
	if (by > 0)
		rc = tell_users(r, &rd_sql[STMT_RD_USER], by, COL_I(l, 1), key, "booking_tomorrow", p, "/bases");
	if (rc == DB_OK && r->c->queued + r->c->duplicate + r->c->opted_out == before)
		rc = tell_users(r, DESKS, 0, COL_I(l, 1), key, "booking_tomorrow", p, "/bases");
	json_decref(p);
	return rc;
}

static enum db_rc rem_bookings_tomorrow(struct rem_run *r)
{
	bool caught_up = date_cmp(r->from, r->today) < 0;
	return each_row(r, &rd_sql[STMT_RD_BOOKINGS], day_str(r, r->today, caught_up ? 0 : 1),
			day_str(r, r->today, 1), "iiissii", rem_bookings_tomorrow_row);
}

static const struct reminder {
	const char *counted;
	enum db_rc (*fn)(struct rem_run *r);
} reminders[REM__MAX] = {
	[REM_TERM_DUE] = {"个组织临近换届", rem_term_due},
	[REM_TRANSFER_RECEIPT] = {"份介绍信回执逾期未退回", rem_transfer_receipts},
	[REM_TRANSFER_EXPIRING] = {"份介绍信临近有效期", rem_transfers_expiring},
	[REM_PUBLICITY_ENDING] = {"项发展党员公示即将期满", rem_publicity_ending},
	[REM_PROBATION_ENDING] = {"名预备党员预备期将满", rem_probation_ending},
	[REM_MEETINGS_MISSING] = {"项三会一课尚未召开", rem_meetings_missing},
	[REM_BOOKING_TOMORROW] = {"个基地预约即将到来", rem_bookings_tomorrow},
};

enum db_rc reminders_run(struct db *db, enum reminder_id id, const char *from, const char *today,
			 struct reminder_counts *c)
{
	memset(c, 0, sizeof *c);
	if ((unsigned)id >= REM__MAX)
		return DB_ERROR;
	struct rem_run r = {.db = db, .c = c};
	if (!date_parse(from, &r.from) || !date_parse(today, &r.today))
		return DB_ERROR;
	if (date_cmp(r.from, r.today) > 0)
		r.from = r.today;
	r.a = arena_new();
	if (!r.a)
		return DB_ERROR;
	enum db_rc rc = reminders[id].fn(&r);
	arena_free(r.a);
	return rc;
}

void reminders_detail(enum reminder_id id, const struct reminder_counts *c, char *buf, size_t n)
{
	snprintf(buf, n, "%lld %s，新提醒 %lld 条，已退订 %lld，已存在 %lld", (long long)c->members,
		 (unsigned)id < REM__MAX ? reminders[id].counted : "", (long long)c->queued, (long long)c->opted_out,
		 (long long)c->duplicate);
}
