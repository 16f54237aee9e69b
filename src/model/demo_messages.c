/* demo_messages.c: the messages' part of the demo district (issue 16): the political
 * birthday greetings of the last week as they would have gone out (in-app, and by SMS
 * to members with a mobile, a few refused by the provider as the monitor shows them),
 * with the dedup keys the real run uses, so today's run adds nothing twice; and a
 * notice from the district to the first branch. Set-based (one INSERT … SELECT per
 * day and channel), so a million-member district costs ~2% of its members in rows. */
#include "core/clock.h"
#include "core/date.h"
#include "model/demo.h"
#include "model/outbox.h"
#include <jansson.h>
#include <stdio.h>
#include <string.h>

enum demo_msg_stmt { STMT_DM_BDAY, STMT_DM_BRANCH, DEMO_MSG_STMT__MAX };

static const struct db_sql demo_msg_sql[DEMO_MSG_STMT__MAX] = {
	/* $1 MM-DD, $2 the year, $3 channel, $4 the day's time, $5 the day, $6 the year's first day */
	[STMT_DM_BDAY] = {"demo_messages.birthdays",
	 "INSERT INTO outbox (dedup_key, kind, channel, member_id, org_path, template, params, title, body, link, state,"
	 " attempts, next_attempt_at, provider_id, error_code, error, created_at, updated_at, done_day)"
	 " SELECT 'bday:' || CAST(m.id AS TEXT) || ':' || CAST($2 AS TEXT) || ':' || CAST($3 AS TEXT), 'birthday',"
	 " CAST($3 AS TEXT), m.id, m.org_path, 'birthday', '{}', '政治生日祝福',"
	 " m.name || '同志：今天是您的政治生日，您已入党' || CAST(CAST($2 AS BIGINT) - CAST(SUBSTR(m.joined_on, 1, 4) AS BIGINT)"
	 " AS TEXT) || '周年。不忘初心，牢记使命！', '/m/inbox',"
	 " CASE WHEN CAST($3 AS TEXT) = 'sms' AND m.id % 5 = 0 THEN 'failed' ELSE 'sent' END,"
	 " CASE WHEN CAST($3 AS TEXT) = 'inapp' THEN 0 ELSE 1 END, CAST($4 AS BIGINT),"
	 " CASE WHEN CAST($3 AS TEXT) = 'sms' AND m.id % 5 <> 0 THEN 'demo-' || CAST(m.id AS TEXT) END,"
	 " CASE WHEN CAST($3 AS TEXT) = 'sms' AND m.id % 5 = 0 THEN 'isv.MOBILE_NUMBER_ILLEGAL' END,"
	 " CASE WHEN CAST($3 AS TEXT) = 'sms' AND m.id % 5 = 0 THEN '阿里云短信拒绝发送：非法手机号' END,"
	 " CAST($4 AS BIGINT), CAST($4 AS BIGINT), CAST($5 AS TEXT)"
	 " FROM members m WHERE m.state = 'normal' AND SUBSTR(m.joined_on, 6, 5) = $1 AND m.joined_on < $6"
	 " AND (CAST($3 AS TEXT) <> 'sms' OR m.mobile_cipher IS NOT NULL) ON CONFLICT (dedup_key) DO NOTHING"},
	[STMT_DM_BRANCH] = {"demo_messages.branch",
	 "SELECT path FROM orgs WHERE type = '党支部' AND EXISTS (SELECT 1 FROM members m WHERE m.org_id = orgs.id)"
	 " ORDER BY id LIMIT 1"},
};
DB_SQL_TABLE(demo_messages, demo_msg_sql);

static enum db_rc demo_messages(struct db *db, const struct demo_spec *spec, char *why, size_t whylen)
{
	(void)spec;
	char today[11];
	outbox_day(clock_now(), today);
	struct date t;
	if (!date_parse(today, &t))
		return DB_ERROR;
	static const char *const chans[] = {"inapp", "sms"};
	for (int back = 6; back >= 0; back--) {
		struct date d = date_from_days(date_to_days(t) - back);
		if (d.y != t.y)
			continue;
		char md[6], day[11], jan1[11], year[8];
		snprintf(md, sizeof md, "%02d-%02d", d.m, d.d);
		date_format(d, day);
		snprintf(jan1, sizeof jan1, "%04d-01-01", d.y);
		snprintf(year, sizeof year, "%d", d.y);
		int64_t at = clock_now() - (int64_t)back * 86400;
		for (int c = 0; c < 2; c++) {
			struct db_stmt *st = db_prepare(db, &demo_msg_sql[STMT_DM_BDAY]);
			if (!st)
				return DB_ERROR;
			db_bind_text(st, 1, md, -1);
			db_bind_text(st, 2, year, -1);
			db_bind_text(st, 3, chans[c], -1);
			db_bind_int(st, 4, at);
			db_bind_text(st, 5, day, -1);
			db_bind_text(st, 6, jan1, -1);
			enum db_rc rc = db_step(st);
			db_reset(st);
			if (rc != DB_DONE) {
				snprintf(why, whylen, "demo messages: birthday greetings of %s failed", day);
				return rc;
			}
		}
	}
	struct db_stmt *st = db_prepare(db, &demo_msg_sql[STMT_DM_BRANCH]);
	if (!st)
		return DB_ERROR;
	enum db_rc rc = db_step(st);
	char prefix[256] = "";
	if (rc == DB_ROW)
		snprintf(prefix, sizeof prefix, "%s", db_col_text(st, DB_COL_ONLY));
	db_reset(st);
	if (rc != DB_ROW && rc != DB_DONE)
		return rc;
	if (!prefix[0])
		return DB_OK;
	char end[256];
	snprintf(end, sizeof end, "%s", prefix);
	end[strlen(end) - 1] = '0'; /* '/' + 1: the subtree's range end */
	json_t *p = json_pack("{s:s, s:s}", "title", "主题党日活动通知",
			      "text", "本周六上午9点在社区党群服务中心开展“学习二十大精神”主题党日活动，请准时参加。");
	int64_t n;
	rc = outbox_enqueue_subtree(db, "notice:demo:inapp:", "inapp", "notice", p, prefix, end, "/m/inbox", &n, why,
				    whylen);
	json_decref(p);
	return rc;
}
DEMO_STEP(messages, demo_messages);
