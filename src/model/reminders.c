/* reminders.c: see reminders.h. */
#include "model/reminders.h"
#include "core/arena.h"
#include "core/date.h"
#include "core/log.h"
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

/* An in-app message from template tmpl with params p to each desk user at organization
 * org or at its parent (at most 64), deduplicated by key_prefix + the user's id. */
static enum db_rc tell_org_users(struct db *db, struct arena *a, int64_t org, const char *key_prefix,
				 const char *tmpl, json_t *p, const char *link, struct reminder_counts *c)
{
	struct db_stmt *st = db_prepare(db, &rem_sql[STMT_REM_ORG_USERS]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, org);
	int64_t users[64];
	size_t nu = 0;
	const char *path = NULL;
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW) {
		if (nu < 64)
			users[nu++] = db_col_int(st, RU_USER);
		if (!path)
			path = db_col_dup(a, st, RU_PATH);
	}
	db_reset(st);
	if (rc != DB_DONE)
		return rc;
	for (size_t k = 0; k < nu; k++) {
		char why[160];
		struct outbox_msg m = {.dedup_key = arena_printf(a, "%s%lld", key_prefix, (long long)users[k]),
				       .channel = "inapp", .tmpl = tmpl, .params = p, .user_id = users[k],
				       .org_path = path, .link = link};
		enum outbox_result r = outbox_enqueue(db, &m, NULL, why, sizeof why);
		if (r == OUTBOX_DB_ERROR)
			return DB_ERROR;
		if (r == OUTBOX_BAD_INPUT)
			log_msg(LOG_WARN, NULL, "%s for user %lld not queued: %s", tmpl, (long long)users[k], why);
		count(c, r);
	}
	return DB_OK;
}

enum db_rc reminders_term_due(struct db *db, const char *today, struct reminder_counts *c)
{
	memset(c, 0, sizeof *c);
	struct date d;
	if (!date_parse(today, &d))
		return DB_ERROR;
	struct arena *a = arena_new();
	if (!a)
		return DB_ERROR;
	json_t *items = json_array();
	enum db_rc rc = org_alerts_range(db, a, "/", "0", d, items);
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
		c->members++;
		json_t *p = json_pack("{s:s, s:s}", "org", name, "date", due);
		rc = tell_org_users(db, a, org, arena_printf(a, "term_due:%lld:%s:", (long long)org, due), "term_due", p,
				    arena_printf(a, "/orgs?id=%lld", (long long)org), c);
		json_decref(p);
	}
	json_decref(items);
	arena_free(a);
	return rc;
}

enum rem_trf_stmt { STMT_REM_TRF_RECEIPTS, REM_TRF_STMT__MAX };
enum rem_trf_col { RT_ID, RT_ORG, RT_NAME, RT_SERIAL, RT_RECEIVED, RT_TO_NAME };
static const struct db_sql rem_trf_sql[REM_TRF_STMT__MAX] = {
	/* R-TRF-05: letters received before $1 (a month ago) whose receipt has not come back;
	 * the organization that chases it: the sending one, or for a letter from elsewhere the
	 * receiving one (it sends the receipt back) */
	[STMT_REM_TRF_RECEIPTS] = {"reminders.transfer_receipts",
	 "SELECT id, COALESCE(from_org_id, to_org_id), name, COALESCE(serial, letter_no, ''), received_on, to_org_name"
	 " FROM transfers WHERE state = 'received' AND received_on < $1 ORDER BY id LIMIT 5000"},
};
DB_SQL_TABLE(reminders_trf, rem_trf_sql);

enum db_rc reminders_transfer_receipts(struct db *db, const char *today, struct reminder_counts *c)
{
	memset(c, 0, sizeof *c);
	struct date d;
	if (!date_parse(today, &d))
		return DB_ERROR;
	char month_ago[11];
	date_format(date_add_months(d, -1), month_ago);
	struct db_stmt *st = db_prepare(db, &rem_trf_sql[STMT_REM_TRF_RECEIPTS]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, month_ago, -1);
	/* read the letters first (the template's parameters, keyed by the letter): enqueueing
	 * writes other statements meanwhile */
	json_t *letters = json_array();
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW)
		json_array_append_new(letters, json_pack("{s:I, s:I, s:s, s:s, s:s, s:s}", "id",
							 (json_int_t)db_col_int(st, RT_ID), "org",
							 (json_int_t)db_col_int(st, RT_ORG), "name", text_or(st, RT_NAME),
							 "serial", text_or(st, RT_SERIAL), "date", text_or(st, RT_RECEIVED),
							 "to", text_or(st, RT_TO_NAME)));
	db_reset(st);
	rc = rc == DB_DONE ? DB_OK : rc;
	struct arena *a = arena_new();
	if (!a)
		rc = DB_ERROR;
	size_t i;
	json_t *l;
	json_array_foreach(letters, i, l)
	{
		if (rc != DB_OK)
			break;
		c->members++;
		int64_t id = json_integer_value(json_object_get(l, "id"));
		json_t *p = json_pack("{s:O, s:O, s:O, s:O}", "name", json_object_get(l, "name"), "serial",
				      json_object_get(l, "serial"), "date", json_object_get(l, "date"), "org",
				      json_object_get(l, "to"));
		rc = tell_org_users(db, a, json_integer_value(json_object_get(l, "org")),
				    arena_printf(a, "trf_receipt:%lld:", (long long)id), "transfer_receipt", p, "/transfers", c);
		json_decref(p);
	}
	json_decref(letters);
	if (a)
		arena_free(a);
	return rc;
}
