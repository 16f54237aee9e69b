/* outbox.c: the outbox table (0075) and its templates; see outbox.h. */
#include "model/outbox.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/log.h"
#include "model/seal.h"
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *const outbox_kinds[] = {"birthday", "term_due", "study", "notice",
				     /* the reminders (issue 16 item 5, model/reminders.c) */
				     "transfer_expiring", "publicity_ending", "probation_ending", "meetings_missing",
				     "booking_tomorrow", NULL};

/* The kinds' Chinese names, in outbox_kinds' order (我的: the opt-out list). */
static const char *const kind_names[] = {"政治生日", "换届提醒", "学习专题", "通知", "介绍信到期提醒",
					 "公示期满提醒", "预备期满提醒", "三会一课缺会提醒", "基地预约提醒", NULL};

const char *outbox_kind_name(const char *kind)
{
	for (size_t i = 0; kind && outbox_kinds[i]; i++)
		if (strcmp(outbox_kinds[i], kind) == 0)
			return kind_names[i];
	return NULL;
}
const char *const outbox_channels[] = {"sms", "wechat", "inapp", NULL};

static const struct outbox_template templates[] = {
	{"birthday", "birthday", "政治生日祝福", "政治生日祝福",
	 "{name}同志：今天是您的政治生日，您已入党{years}周年。不忘初心，牢记使命！", {"name", "years", NULL}},
	{"term_due", "term_due", "换届提醒", "换届提醒：{org}",
	 "{org}本届任期将于{date}届满，请提前做好换届选举准备。", {"org", "date", NULL}},
	{"study", "study", "学习专题推送", "学习专题：{title}", "新一期学习专题《{title}》已发布，请及时学习。",
	 {"title", NULL}},
	{"notice", "notice", "通知", "{title}", "{text}", {"title", "text", NULL}},
	/* R-TRF-05, to the desk users who chase the receipt (members never get it) */
	{"transfer_receipt", "notice", "转接回执催办", "转接回执逾期未退回：{name}",
	 "{name}同志的组织关系介绍信（{serial}）已于{date}由{org}接收，回执逾期一个月未退回，请及时催办。",
	 {"name", "serial", "date", "org", NULL}},
	/* the reminders (model/reminders.c); desk users get them in-app, members too where named */
	{"transfer_expiring", "transfer_expiring", "介绍信到期提醒", "介绍信即将到期：{name}",
	 "{name}同志的组织关系介绍信（{serial}）有效期至{date}，请在到期前到{org}报到；逾期须办理延期。",
	 {"name", "serial", "date", "org", NULL}},
	{"publicity_ending", "publicity_ending", "公示期满提醒", "公示即将期满：{name}",
	 "{name}同志的{what}公示将于{date}期满，期满无异议后可办理下一步。", {"name", "what", "date", NULL}},
	{"probation_ending", "probation_ending", "预备期满提醒", "预备期即将期满：{name}",
	 "{name}同志（{org}）的预备期将于{date}期满，请及时提醒其提出转正申请，并召开支部党员大会讨论转正。",
	 {"name", "org", "date", NULL}},
	{"meetings_missing", "meetings_missing", "三会一课缺会提醒", "{type}尚未召开：{period}",
	 "{org}{period}的{type}尚未召开，距期末还有{days}天，请按规定召开并录入记录。", {"org", "type", "period", "days", NULL}},
	{"booking_tomorrow", "booking_tomorrow", "基地预约提醒", "明日参观：{base}",
	 "您预约的{base}参观将于{date} {time}开始（{headcount}人），请按时前往并出示签到码。",
	 {"base", "date", "time", "headcount", NULL}},
	/* issue 18: the follow code to the mobile a resident filed with (a bare mobile: sealed) */
	{"svc_follow", "notice", "服务诉求查询码", "服务诉求已受理",
	 "您的服务诉求（第{id}号）已受理，查询码{code}，凭编号和查询码可查看办理进度并评价。", {"id", "code", NULL}},
};

const struct outbox_template *outbox_template(const char *code)
{
	if (!code)
		return NULL;
	for (size_t i = 0; i < sizeof templates / sizeof templates[0]; i++)
		if (strcmp(templates[i].code, code) == 0)
			return &templates[i];
	return NULL;
}

const struct outbox_template *outbox_templates(size_t *n)
{
	*n = sizeof templates / sizeof templates[0];
	return templates;
}

static bool in_list(const char *const *l, const char *s)
{
	for (; s && *l; l++)
		if (strcmp(*l, s) == 0)
			return true;
	return false;
}

bool outbox_kind_valid(const char *kind)
{
	return in_list(outbox_kinds, kind);
}

void outbox_day(int64_t t, char buf[11])
{
	time_t tt = (time_t)(t + 8 * 3600);
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, 11, "%Y-%m-%d", &tm);
}

enum outbox_stmt {
	STMT_OB_INSERT,
	STMT_OB_MEMBER_PATH,
	STMT_OB_OPTED_OUT,
	STMT_OB_USER_OPTED_OUT,
	STMT_OB_SUBTREE,
	STMT_OB_SUBTREE_INAPP,
	STMT_OB_CLAIM,
	STMT_OB_MOBILE,
	STMT_OB_OPENID,
	STMT_OB_SENT_ON,
	STMT_OB_END,
	STMT_OB_END_SENT,
	STMT_OB_REQUEUE,
	STMT_OB_RECOVER,
	STMT_OB_RETRY,
	STMT_OB_LIST,
	STMT_OB_DAILY,
	STMT_OB_INBOX,
	STMT_OB_UNREAD,
	STMT_OB_READ_ONE,
	STMT_OB_READ_ALL,
	STMT_OB_OPTOUTS,
	STMT_OB_OPTOUT_ADD,
	STMT_OB_OPTOUT_DEL,
	STMT_OB_STATS,
	OUTBOX_STMT__MAX
};

enum ob_claim_col {
	CL_ID,
	CL_CHANNEL,
	CL_KIND,
	CL_TEMPLATE,
	CL_PARAMS,
	CL_MEMBER,
	CL_KEY,
	CL_ATTEMPTS,
	CL_BODY,
	CL_TO_CIPHER,
	CL_PARAMS_CIPHER,
};
enum ob_list_col {
	LC_ID,
	LC_KIND,
	LC_CHANNEL,
	LC_MEMBER,
	LC_USER,
	LC_TEMPLATE,
	LC_TITLE,
	LC_STATE,
	LC_ATTEMPTS,
	LC_NEXT,
	LC_PROVIDER,
	LC_ERRCODE,
	LC_ERROR,
	LC_CREATED,
	LC_UPDATED,
	LC_DAY,
	LC_KEY,
	LC_MEMBER_NAME,
};
enum ob_daily_col { DC_DAY, DC_CHANNEL, DC_STATE, DC_N };
enum ob_inbox_col { IC_ID, IC_KIND, IC_TITLE, IC_BODY, IC_LINK, IC_CREATED, IC_READ };
enum ob_stats_col { SC_KIND, SC_CHANNEL, SC_STATE, SC_N, SC_READ };

/* the rows a caller may see: the subtree [prefix, end) */
#define IN_RANGE "o.org_path >= $1 AND o.org_path < $2"

static const struct db_sql outbox_sql[OUTBOX_STMT__MAX] = {
	[STMT_OB_INSERT] = {"outbox.insert",
	 "INSERT INTO outbox (dedup_key, kind, channel, member_id, user_id, org_path, template, params, title, body, link,"
	 " state, next_attempt_at, created_at, updated_at, done_day, to_cipher, params_cipher) VALUES ($1, $2, $3, $4,"
	 " $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $15, $16, $17) ON CONFLICT (dedup_key) DO NOTHING"
	 " RETURNING id"},
	[STMT_OB_MEMBER_PATH] = {"outbox.member_path", "SELECT org_path FROM members WHERE id = $1"},
	[STMT_OB_OPTED_OUT] = {"outbox.opted_out", "SELECT 1 FROM message_optouts WHERE member_id = $1 AND kind = $2"},
	/* a desk user's opt-out: the member record the account is linked to (我的) */
	[STMT_OB_USER_OPTED_OUT] = {"outbox.user_opted_out",
	 "SELECT 1 FROM users u JOIN message_optouts o ON o.member_id = u.member_id WHERE u.id = $1 AND o.kind = $2"},
	/* one row per member of the subtree not opted out; $1 key prefix, $2 channel, $3
	 * template, $4 kind, $5 params, $6 title, $7 body, $8 link, $9 state, $10 now, $11
	 * day (in-app rows are delivered at once), $12/$13 the range, $14 1: only members
	 * without a linked WeChat (the in-app fallback of a WeChat push). SMS goes only to
	 * members with a mobile, WeChat only to members who linked their openid; members
	 * not in the normal state get nothing. */
	[STMT_OB_SUBTREE] = {"outbox.subtree",
	 "INSERT INTO outbox (dedup_key, kind, channel, member_id, org_path, template, params, title, body, link, state,"
	 " next_attempt_at, created_at, updated_at, done_day)"
	 " SELECT CAST($1 AS TEXT) || CAST(m.id AS TEXT), CAST($4 AS TEXT), CAST($2 AS TEXT), m.id, m.org_path,"
	 " CAST($3 AS TEXT), CAST($5 AS TEXT), CAST($6 AS TEXT), CAST($7 AS TEXT), CAST($8 AS TEXT), CAST($9 AS TEXT),"
	 " CAST($10 AS BIGINT), CAST($10 AS BIGINT), CAST($10 AS BIGINT), CAST($11 AS TEXT)"
	 " FROM members m WHERE m.org_path >= $12 AND m.org_path < $13 AND m.state = 'normal'"
	 " AND (CAST($2 AS TEXT) <> 'sms' OR m.mobile_cipher IS NOT NULL)"
	 " AND (CAST($2 AS TEXT) <> 'wechat' OR EXISTS (SELECT 1 FROM member_wechat w WHERE w.member_id = m.id))"
	 " AND ($14 = 0 OR NOT EXISTS (SELECT 1 FROM member_wechat w WHERE w.member_id = m.id))"
	 " AND NOT EXISTS (SELECT 1 FROM message_optouts x WHERE x.member_id = m.id AND x.kind = CAST($4 AS TEXT))"
	 " ON CONFLICT (dedup_key) DO NOTHING"},
	/* the same for the in-app channel ($2 'inapp'): it reads nothing of the member but
	 * the id and path, so the members in the normal state are read from their narrow
	 * index (members_normal, 0129) alone, not row by row from the table */
	[STMT_OB_SUBTREE_INAPP] = {"outbox.subtree_inapp",
	 "INSERT INTO outbox (dedup_key, kind, channel, member_id, org_path, template, params, title, body, link, state,"
	 " next_attempt_at, created_at, updated_at, done_day)"
	 " SELECT CAST($1 AS TEXT) || CAST(m.id AS TEXT), CAST($4 AS TEXT), CAST($2 AS TEXT), m.id, m.org_path,"
	 " CAST($3 AS TEXT), CAST($5 AS TEXT), CAST($6 AS TEXT), CAST($7 AS TEXT), CAST($8 AS TEXT), CAST($9 AS TEXT),"
	 " CAST($10 AS BIGINT), CAST($10 AS BIGINT), CAST($10 AS BIGINT), CAST($11 AS TEXT)"
	 " FROM members m WHERE m.org_path >= $12 AND m.org_path < $13 AND m.state = 'normal'"
	 " AND ($14 = 0 OR NOT EXISTS (SELECT 1 FROM member_wechat w WHERE w.member_id = m.id))"
	 " AND NOT EXISTS (SELECT 1 FROM message_optouts x WHERE x.member_id = m.id AND x.kind = CAST($4 AS TEXT))"
	 " ON CONFLICT (dedup_key) DO NOTHING"},
	[STMT_OB_CLAIM] = {"outbox.claim",
	 "UPDATE outbox SET state = 'sending', lease_owner = $1, lease_until = $2, attempts = attempts + 1,"
	 " updated_at = $3 WHERE id IN (SELECT id FROM outbox WHERE state = 'queued' AND next_attempt_at <= $3"
	 " AND channel = $4 ORDER BY next_attempt_at, id LIMIT $5)"
	 " RETURNING id, channel, kind, template, params, COALESCE(member_id, 0), dedup_key, attempts, body,"
	 " to_cipher, params_cipher",
	 "UPDATE outbox SET state = 'sending', lease_owner = $1, lease_until = $2, attempts = attempts + 1,"
	 " updated_at = $3 WHERE id IN (SELECT id FROM outbox WHERE state = 'queued' AND next_attempt_at <= $3"
	 " AND channel = $4 ORDER BY next_attempt_at, id LIMIT $5 FOR UPDATE SKIP LOCKED)"
	 " RETURNING id, channel, kind, template, params, COALESCE(member_id, 0), dedup_key, attempts, body,"
	 " to_cipher, params_cipher"},
	[STMT_OB_MOBILE] = {"outbox.mobile", "SELECT mobile_cipher FROM members WHERE id = $1 AND state = 'normal'"},
	[STMT_OB_OPENID] = {"outbox.openid",
	 "SELECT w.openid FROM member_wechat w JOIN members m ON m.id = w.member_id WHERE w.member_id = $1"
	 " AND m.state = 'normal'"},
	[STMT_OB_SENT_ON] = {"outbox.sent_on",
	 "SELECT COUNT(*) FROM outbox WHERE member_id = $1 AND channel IN ('sms', 'wechat') AND state = 'sent'"
	 " AND done_day = $2"},
	/* $1 id, $2 owner, $3 state, $4 now, $5 day, $6 provider id, $7 code, $8 error */
	[STMT_OB_END] = {"outbox.end",
	 "UPDATE outbox SET state = $3, updated_at = $4, done_day = $5, provider_id = $6, error_code = $7, error = $8,"
	 " lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2 AND state = 'sending' RETURNING id"},
	/* a send that went through is recorded even when the row was marked interrupted
	 * meanwhile (its lease ran out while the provider was slow) */
	[STMT_OB_END_SENT] = {"outbox.end_sent",
	 "UPDATE outbox SET state = $3, updated_at = $4, done_day = $5, provider_id = $6, error_code = $7, error = $8,"
	 " lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2"
	 " AND (state = 'sending' OR (state = 'failed' AND error_code = 'interrupted')) RETURNING id"},
	[STMT_OB_REQUEUE] = {"outbox.requeue",
	 "UPDATE outbox SET state = 'queued', updated_at = $3, next_attempt_at = $4, error_code = $5, error = $6,"
	 " lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2 AND state = 'sending' RETURNING id"},
	[STMT_OB_RECOVER] = {"outbox.recover",
	 "UPDATE outbox SET state = 'failed', error_code = 'interrupted',"
	 " error = '发送过程中服务中断，无法确认是否已送达；为避免重复，不会自动重发', updated_at = $1, done_day = $2"
	 " WHERE state = 'sending' AND lease_until < $1"},
	[STMT_OB_RETRY] = {"outbox.retry",
	 "UPDATE outbox SET state = 'queued', next_attempt_at = $4, updated_at = $4, done_day = NULL, error_code = NULL,"
	 " error = NULL, lease_owner = NULL, lease_until = NULL"
	 " WHERE id = $3 AND org_path >= $1 AND org_path < $2 AND state IN ('failed', 'given_up', 'cancelled')"
	 " RETURNING id"},
	/* $3 state, $4 channel, $5 kind (NULL: any), $6 before id (0: newest), $7 limit */
	[STMT_OB_LIST] = {"outbox.list",
	 "SELECT o.id, o.kind, o.channel, COALESCE(o.member_id, 0), COALESCE(o.user_id, 0), o.template, o.title, o.state,"
	 " o.attempts, o.next_attempt_at, o.provider_id, o.error_code, o.error, o.created_at, o.updated_at, o.done_day,"
	 " o.dedup_key, m.name FROM outbox o LEFT JOIN members m ON m.id = o.member_id WHERE " IN_RANGE
	 " AND (CAST($3 AS TEXT) IS NULL OR o.state = $3) AND (CAST($4 AS TEXT) IS NULL OR o.channel = $4)"
	 " AND (CAST($5 AS TEXT) IS NULL OR o.kind = $5) AND ($6 = 0 OR o.id < $6) ORDER BY o.id DESC LIMIT $7"},
	[STMT_OB_DAILY] = {"outbox.daily",
	 "SELECT o.done_day, o.channel, o.state, COUNT(*) FROM outbox o WHERE " IN_RANGE
	 " AND o.done_day >= $3 AND o.done_day <= $4 GROUP BY o.done_day, o.channel, o.state"
	 " ORDER BY o.done_day, o.channel, o.state"},
	/* $1 member, $2 user, $3 before (0: newest), $4 limit */
	[STMT_OB_INBOX] = {"outbox.inbox",
	 "SELECT id, kind, title, body, link, created_at, COALESCE(read_at, 0) FROM outbox WHERE channel = 'inapp'"
	 " AND ((member_id = $1 AND $1 > 0) OR (user_id = $2 AND $2 > 0)) AND ($3 = 0 OR id < $3)"
	 " ORDER BY id DESC LIMIT $4"},
	[STMT_OB_UNREAD] = {"outbox.unread",
	 "SELECT COUNT(*) FROM outbox WHERE channel = 'inapp' AND read_at IS NULL"
	 " AND ((member_id = $1 AND $1 > 0) OR (user_id = $2 AND $2 > 0))"},
	[STMT_OB_READ_ONE] = {"outbox.read_one",
	 "UPDATE outbox SET read_at = COALESCE(read_at, $4) WHERE id = $3 AND channel = 'inapp'"
	 " AND ((member_id = $1 AND $1 > 0) OR (user_id = $2 AND $2 > 0)) RETURNING id"},
	[STMT_OB_READ_ALL] = {"outbox.read_all",
	 "UPDATE outbox SET read_at = $4 WHERE channel = 'inapp' AND read_at IS NULL AND $3 = 0"
	 " AND ((member_id = $1 AND $1 > 0) OR (user_id = $2 AND $2 > 0))"},
	[STMT_OB_OPTOUTS] = {"outbox.optouts", "SELECT kind FROM message_optouts WHERE member_id = $1"},
	[STMT_OB_OPTOUT_ADD] = {"outbox.optout_add",
	 "INSERT INTO message_optouts (member_id, kind, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"},
	[STMT_OB_OPTOUT_DEL] = {"outbox.optout_del", "DELETE FROM message_optouts WHERE member_id = $1 AND kind = $2"},
	/* sent (and, for in-app, read) per kind and channel over the days of their end */
	[STMT_OB_STATS] = {"outbox.stats",
	 "SELECT o.kind, o.channel, o.state, COUNT(*), SUM(CASE WHEN o.read_at IS NULL THEN 0 ELSE 1 END) FROM outbox o"
	 " WHERE " IN_RANGE " AND o.done_day >= $3 AND o.done_day <= $4 GROUP BY o.kind, o.channel, o.state"},
};
DB_SQL_TABLE(outbox, outbox_sql);

static enum db_rc done_rc(enum db_rc rc)
{
	return rc == DB_DONE || rc == DB_ROW ? DB_OK : rc;
}

/* One parameter's text: a string as it is, an integer in decimal; NULL when absent. */
static const char *param_text(struct arena *a, json_t *params, const char *name)
{
	json_t *v = json_object_get(params, name);
	if (json_is_string(v) && json_string_length(v) > 0)
		return json_string_value(v);
	if (json_is_integer(v))
		return arena_printf(a, "%lld", (long long)json_integer_value(v));
	return NULL;
}

char *outbox_render(struct arena *a, const struct outbox_template *t, json_t *params, bool title, char *why,
		    size_t whylen)
{
	const char *src = title ? t->title : t->text;
	size_t cap = strlen(src) + 1;
	for (int i = 0; t->params[i]; i++) {
		const char *v = param_text(a, params, t->params[i]);
		if (!v) {
			snprintf(why, whylen, "模板“%s”缺少参数 %s", t->name, t->params[i]);
			return NULL;
		}
		cap += strlen(v) * 2;
	}
	char *out = arena_alloc(a, cap), *o = out;
	for (const char *p = src; *p;) {
		if (*p == '{') {
			const char *e = strchr(p, '}');
			if (e) {
				char name[32];
				size_t n = (size_t)(e - p - 1);
				if (n < sizeof name) {
					memcpy(name, p + 1, n);
					name[n] = 0;
					const char *v = param_text(a, params, name);
					if (v) {
						size_t l = strlen(v);
						memcpy(o, v, l);
						o += l;
						p = e + 1;
						continue;
					}
				}
			}
		}
		*o++ = *p++;
	}
	*o = 0;
	return out;
}

enum db_rc outbox_opted_out(struct db *db, int64_t member_id, const char *kind, bool *out)
{
	*out = false;
	if (member_id <= 0)
		return DB_OK;
	struct db_stmt *st = db_prepare(db, &outbox_sql[STMT_OB_OPTED_OUT]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, member_id);
	db_bind_text(st, 2, kind, -1);
	enum db_rc rc = db_step(st);
	*out = rc == DB_ROW;
	db_reset(st);
	return done_rc(rc);
}

enum outbox_result outbox_enqueue(struct db *db, const struct outbox_msg *m, int64_t *id, char *why, size_t whylen)
{
	assert(db_in_tx(db));
	if (id)
		*id = 0;
	const struct outbox_template *t = outbox_template(m->tmpl);
	if (!t) {
		snprintf(why, whylen, "未知的消息模板");
		return OUTBOX_BAD_INPUT;
	}
	if (!in_list(outbox_channels, m->channel)) {
		snprintf(why, whylen, "未知的发送渠道");
		return OUTBOX_BAD_INPUT;
	}
	if (!m->dedup_key || !*m->dedup_key || strlen(m->dedup_key) > 200) {
		snprintf(why, whylen, "缺少去重键");
		return OUTBOX_BAD_INPUT;
	}
	bool bare = m->mobile && *m->mobile;
	if (bare ? m->member_id > 0 || m->user_id > 0 || strcmp(m->channel, "sms") != 0
		 : m->member_id <= 0 && (m->user_id <= 0 || strcmp(m->channel, "inapp") != 0)) {
		snprintf(why, whylen, "缺少收件人");
		return OUTBOX_BAD_INPUT;
	}
	bool out = false;
	if (outbox_opted_out(db, m->member_id, t->kind, &out) != DB_OK)
		return OUTBOX_DB_ERROR;
	if (!out && m->member_id <= 0 && m->user_id > 0) {
		struct db_stmt *us = db_prepare(db, &outbox_sql[STMT_OB_USER_OPTED_OUT]);
		if (!us)
			return OUTBOX_DB_ERROR;
		db_bind_int(us, 1, m->user_id);
		db_bind_text(us, 2, t->kind, -1);
		enum db_rc urc = db_step(us);
		db_reset(us);
		if (urc != DB_ROW && urc != DB_DONE)
			return OUTBOX_DB_ERROR;
		out = urc == DB_ROW;
	}
	if (out)
		return OUTBOX_OPTED_OUT;
	struct arena *a = arena_new();
	if (!a)
		return OUTBOX_DB_ERROR;
	enum outbox_result res = OUTBOX_DB_ERROR;
	json_t *params = m->params ? m->params : json_object();
	char *title = outbox_render(a, t, params, true, why, whylen);
	char *body = title ? outbox_render(a, t, params, false, why, whylen) : NULL;
	char *ptext = json_dumps(params, JSON_COMPACT | JSON_SORT_KEYS);
	if (!m->params)
		json_decref(params);
	if (!title || !body) {
		res = OUTBOX_BAD_INPUT;
		goto out;
	}
	const char *path = m->org_path;
	if (!path && m->member_id > 0) {
		struct db_stmt *ps = db_prepare(db, &outbox_sql[STMT_OB_MEMBER_PATH]);
		if (!ps)
			goto out;
		db_bind_int(ps, 1, m->member_id);
		enum db_rc rc = db_step(ps);
		if (rc == DB_ROW)
			path = arena_strdup(a, db_col_text(ps, DB_COL_ONLY));
		db_reset(ps);
		if (rc == DB_DONE) {
			snprintf(why, whylen, "收件党员不存在");
			res = OUTBOX_BAD_INPUT;
			goto out;
		}
		if (rc != DB_ROW)
			goto out;
	}
	int64_t now = clock_now();
	bool inapp = strcmp(m->channel, "inapp") == 0;
	char day[11];
	outbox_day(now, day);
	struct db_stmt *st = db_prepare(db, &outbox_sql[STMT_OB_INSERT]);
	if (!st || !ptext)
		goto out;
	db_bind_text(st, 1, m->dedup_key, -1);
	db_bind_text(st, 2, t->kind, -1);
	db_bind_text(st, 3, m->channel, -1);
	db_bind_opt_id(st, 4, m->member_id);
	db_bind_opt_id(st, 5, m->user_id);
	db_bind_text(st, 6, path ? path : "/", -1);
	db_bind_text(st, 7, t->code, -1);
	/* a bare mobile: the number and the parameters sealed, nothing of them in clear */
	struct sealed_contact to = {0};
	unsigned char *pc = NULL;
	size_t pcl = 0;
	if (bare) {
		seal_contact(a, SEAL_MOBILE, m->mobile, "outbox.mobile", NULL, &to);
		pc = dj_seal(a, ptext, strlen(ptext), "outbox.params", &pcl);
	}
	db_bind_text(st, 8, bare ? "{}" : ptext, -1);
	db_bind_text(st, 9, bare ? t->title : title, -1);
	db_bind_text(st, 10, bare ? t->text : body, -1);
	db_bind_opt_text(st, 11, m->link);
	/* in-app: the row is the delivery */
	db_bind_text(st, 12, inapp ? "sent" : "queued", -1);
	db_bind_int(st, 13, m->not_before > now ? m->not_before : now);
	db_bind_int(st, 14, now);
	db_bind_opt_text(st, 15, inapp ? day : NULL);
	db_bind_blob(st, 16, to.cipher, to.len); /* NULL binds SQL NULL */
	db_bind_blob(st, 17, pc, pcl);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		if (id)
			*id = db_col_int(st, DB_COL_ONLY);
		res = OUTBOX_QUEUED;
	} else if (rc == DB_DONE) {
		res = OUTBOX_DUPLICATE;
	}
	db_reset(st);
out:
	free(ptext);
	arena_free(a);
	return res;
}

static enum db_rc enqueue_subtree(struct db *db, const char *key_prefix, const char *channel, const char *tmpl,
				  json_t *params, const char *prefix, const char *end, const char *link, bool unlinked,
				  int64_t *queued, char *why, size_t whylen)
{
	*queued = 0;
	const struct outbox_template *t = outbox_template(tmpl);
	if (!t || !in_list(outbox_channels, channel)) {
		snprintf(why, whylen, "未知的消息模板或渠道");
		return DB_ERROR;
	}
	struct arena *a = arena_new();
	if (!a)
		return DB_ERROR;
	enum db_rc rc = DB_ERROR;
	char *title = outbox_render(a, t, params, true, why, whylen);
	char *body = title ? outbox_render(a, t, params, false, why, whylen) : NULL;
	char *ptext = json_dumps(params, JSON_COMPACT | JSON_SORT_KEYS);
	bool inapp = strcmp(channel, "inapp") == 0;
	struct db_stmt *st =
	    body && ptext ? db_prepare(db, &outbox_sql[inapp ? STMT_OB_SUBTREE_INAPP : STMT_OB_SUBTREE]) : NULL;
	if (st) {
		int64_t now = clock_now();
		char day[11];
		outbox_day(now, day);
		db_bind_text(st, 1, key_prefix, -1);
		db_bind_text(st, 2, channel, -1);
		db_bind_text(st, 3, t->code, -1);
		db_bind_text(st, 4, t->kind, -1);
		/* an in-app row is delivered as it is written: its rendered title and body are
		 * what the inbox shows and nothing sends its parameters again, so a push to a
		 * million members does not write them a million times (issue 16's ≤ 10 s) */
		db_bind_text(st, 5, inapp ? "{}" : ptext, -1);
		db_bind_text(st, 6, title, -1);
		db_bind_text(st, 7, body, -1);
		db_bind_opt_text(st, 8, link);
		db_bind_text(st, 9, inapp ? "sent" : "queued", -1);
		db_bind_int(st, 10, now);
		db_bind_opt_text(st, 11, inapp ? day : NULL);
		db_bind_text(st, 12, prefix, -1);
		db_bind_text(st, 13, end, -1);
		db_bind_int(st, 14, unlinked ? 1 : 0);
		/* the whole push's dirty pages in the cache rather than spilled to the WAL
		 * and written there again as the random index pages change once more */
		db_cache_kib(db, 128 * 1024);
		rc = done_rc(db_step(st));
		db_reset(st);
		if (rc == DB_OK)
			*queued = db_changes(db);
		db_cache_kib(db, 0);
	}
	free(ptext);
	arena_free(a);
	return rc;
}

enum db_rc outbox_enqueue_subtree(struct db *db, const char *key_prefix, const char *channel, const char *tmpl,
				  json_t *params, const char *prefix, const char *end, const char *link,
				  int64_t *queued, char *why, size_t whylen)
{
	return enqueue_subtree(db, key_prefix, channel, tmpl, params, prefix, end, link, false, queued, why, whylen);
}

enum db_rc outbox_enqueue_unlinked(struct db *db, const char *key_prefix, const char *tmpl, json_t *params,
				   const char *prefix, const char *end, const char *link, int64_t *queued, char *why,
				   size_t whylen)
{
	return enqueue_subtree(db, key_prefix, "inapp", tmpl, params, prefix, end, link, true, queued, why, whylen);
}

enum db_rc outbox_claim(struct db *db, struct arena *a, const char *channel, const char *owner, int64_t now,
			int64_t lease, int limit, struct outbox_claimed **rows, size_t *n)
{
	*rows = NULL;
	*n = 0;
	struct db_stmt *st = db_prepare(db, &outbox_sql[STMT_OB_CLAIM]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, owner, -1);
	db_bind_int(st, 2, now + lease);
	db_bind_int(st, 3, now);
	db_bind_text(st, 4, channel, -1);
	db_bind_int(st, 5, limit);
	struct outbox_claimed *r = arena_alloc(a, sizeof *r * (size_t)(limit > 0 ? limit : 1));
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW && *n < (size_t)limit) {
		struct outbox_claimed *c = &r[(*n)++];
		memset(c, 0, sizeof *c);
		c->id = db_col_int(st, CL_ID);
		c->channel = db_col_dup(a, st, CL_CHANNEL);
		c->kind = db_col_dup(a, st, CL_KIND);
		c->tmpl = db_col_dup(a, st, CL_TEMPLATE);
		c->params = db_col_dup(a, st, CL_PARAMS);
		c->member_id = db_col_int(st, CL_MEMBER);
		c->dedup_key = db_col_dup(a, st, CL_KEY);
		c->attempts = db_col_int(st, CL_ATTEMPTS);
		c->body = db_col_dup(a, st, CL_BODY);
		if (!db_col_null(st, CL_TO_CIPHER)) { /* a bare mobile: opened for this pass only */
			c->to = dj_open(a, db_col_blob(st, CL_TO_CIPHER), db_col_len(st, CL_TO_CIPHER), "outbox.mobile", NULL);
			if (!c->to)
				c->skip = "no_mobile";
		}
		if (!db_col_null(st, CL_PARAMS_CIPHER)) {
			const char *p = dj_open(a, db_col_blob(st, CL_PARAMS_CIPHER), db_col_len(st, CL_PARAMS_CIPHER),
						"outbox.params", NULL);
			c->params = p ? p : "{}";
		}
	}
	db_reset(st);
	if (rc != DB_DONE && rc != DB_ROW)
		return rc;
	/* the recipients' mobiles, opened here and kept in the arena of this pass only;
	 * WeChat's: the openid the member linked */
	if (strcmp(channel, "wechat") == 0) {
		struct db_stmt *ws = db_prepare(db, &outbox_sql[STMT_OB_OPENID]);
		if (!ws)
			return DB_ERROR;
		for (size_t i = 0; i < *n; i++) {
			if (r[i].member_id > 0) {
				db_bind_int(ws, 1, r[i].member_id);
				rc = db_step(ws);
				if (rc == DB_ROW)
					r[i].to = db_col_dup(a, ws, DB_COL_ONLY);
				db_reset(ws);
				if (rc != DB_ROW && rc != DB_DONE)
					return rc;
			}
			if (!r[i].to)
				r[i].skip = "no_openid";
		}
		*rows = r;
		return DB_OK;
	}
	struct db_stmt *ms = db_prepare(db, &outbox_sql[STMT_OB_MOBILE]);
	if (!ms)
		return DB_ERROR;
	for (size_t i = 0; i < *n; i++) {
		if (r[i].member_id <= 0 || r[i].to || strcmp(r[i].channel, "sms") != 0)
			continue;
		db_bind_int(ms, 1, r[i].member_id);
		rc = db_step(ms);
		if (rc == DB_ROW && !db_col_null(ms, DB_COL_ONLY))
			r[i].to = dj_open(a, db_col_blob(ms, DB_COL_ONLY), db_col_len(ms, DB_COL_ONLY), "member.mobile", NULL);
		db_reset(ms);
		if (rc != DB_ROW && rc != DB_DONE)
			return rc;
		if (!r[i].to)
			r[i].skip = "no_mobile";
	}
	*rows = r;
	return DB_OK;
}

enum db_rc outbox_sent_on(struct db *db, int64_t member_id, const char *day, int64_t *count)
{
	*count = 0;
	struct db_stmt *st = db_prepare(db, &outbox_sql[STMT_OB_SENT_ON]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, member_id);
	db_bind_text(st, 2, day, -1);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW)
		*count = db_col_int(st, DB_COL_ONLY);
	db_reset(st);
	return done_rc(rc);
}

enum db_rc outbox_end(struct db *db, int64_t id, const char *owner, enum outbox_end end, int64_t now, int64_t next_at,
		      const char *provider_id, const char *error_code, const char *error)
{
	static const char *const state[] = {"sent", "failed", "given_up", "cancelled", "queued"};
	struct db_stmt *st;
	if (end == OUTBOX_END_REQUEUE) {
		st = db_prepare(db, &outbox_sql[STMT_OB_REQUEUE]);
		if (!st)
			return DB_ERROR;
		db_bind_int(st, 1, id);
		db_bind_text(st, 2, owner, -1);
		db_bind_int(st, 3, now);
		db_bind_int(st, 4, next_at);
		db_bind_opt_text(st, 5, error_code);
		db_bind_opt_text(st, 6, error);
	} else {
		st = db_prepare(db, &outbox_sql[end == OUTBOX_END_SENT ? STMT_OB_END_SENT : STMT_OB_END]);
		if (!st)
			return DB_ERROR;
		char day[11];
		outbox_day(now, day);
		db_bind_int(st, 1, id);
		db_bind_text(st, 2, owner, -1);
		db_bind_text(st, 3, state[end], -1);
		db_bind_int(st, 4, now);
		db_bind_text(st, 5, day, -1);
		db_bind_opt_text(st, 6, provider_id);
		db_bind_opt_text(st, 7, error_code);
		db_bind_opt_text(st, 8, error);
	}
	enum db_rc rc = db_step(st);
	db_reset(st);
	return rc == DB_ROW ? DB_OK : rc == DB_DONE ? DB_NOT_FOUND : rc;
}

enum db_rc outbox_recover(struct db *db, int64_t now, int64_t *n)
{
	*n = 0;
	struct db_stmt *st = db_prepare(db, &outbox_sql[STMT_OB_RECOVER]);
	if (!st)
		return DB_ERROR;
	char day[11];
	outbox_day(now, day);
	db_bind_int(st, 1, now);
	db_bind_text(st, 2, day, -1);
	enum db_rc rc = done_rc(db_step(st));
	db_reset(st);
	if (rc == DB_OK)
		*n = db_changes(db);
	return rc;
}

enum db_rc outbox_retry(struct db *db, int64_t id, const char *prefix, const char *end, int64_t now)
{
	struct db_stmt *st = db_prepare(db, &outbox_sql[STMT_OB_RETRY]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, prefix, -1);
	db_bind_text(st, 2, end, -1);
	db_bind_int(st, 3, id);
	db_bind_int(st, 4, now);
	enum db_rc rc = db_step(st);
	db_reset(st);
	return rc == DB_ROW ? DB_OK : rc == DB_DONE ? DB_NOT_FOUND : rc;
}

static json_t *text_or_null(struct db_stmt *st, int col)
{
	return db_col_null(st, col) ? json_null() : json_string(db_col_text(st, col));
}

json_t *outbox_list(struct db *db, const char *prefix, const char *end, const char *state, const char *channel,
		    const char *kind, int64_t before, int limit, int64_t *last_id)
{
	*last_id = 0;
	struct db_stmt *st = db_prepare(db, &outbox_sql[STMT_OB_LIST]);
	if (!st)
		return NULL;
	db_bind_text(st, 1, prefix, -1);
	db_bind_text(st, 2, end, -1);
	db_bind_opt_text(st, 3, state);
	db_bind_opt_text(st, 4, channel);
	db_bind_opt_text(st, 5, kind);
	db_bind_int(st, 6, before);
	db_bind_int(st, 7, limit);
	json_t *arr = json_array();
	enum db_rc rc;
	char at[21];
	while ((rc = db_step(st)) == DB_ROW) {
		json_t *o = json_object();
		json_object_set_new(o, "id", json_integer(db_col_int(st, LC_ID)));
		json_object_set_new(o, "kind", json_string(db_col_text(st, LC_KIND)));
		json_object_set_new(o, "channel", json_string(db_col_text(st, LC_CHANNEL)));
		json_object_set_new(o, "member_id", db_col_int(st, LC_MEMBER) ? json_integer(db_col_int(st, LC_MEMBER)) : json_null());
		json_object_set_new(o, "member_name", text_or_null(st, LC_MEMBER_NAME));
		json_object_set_new(o, "user_id", db_col_int(st, LC_USER) ? json_integer(db_col_int(st, LC_USER)) : json_null());
		json_object_set_new(o, "template", json_string(db_col_text(st, LC_TEMPLATE)));
		json_object_set_new(o, "title", json_string(db_col_text(st, LC_TITLE)));
		json_object_set_new(o, "state", json_string(db_col_text(st, LC_STATE)));
		json_object_set_new(o, "attempts", json_integer(db_col_int(st, LC_ATTEMPTS)));
		clock_rfc3339(db_col_int(st, LC_NEXT), at);
		json_object_set_new(o, "next_attempt_at", json_string(at));
		json_object_set_new(o, "provider_id", text_or_null(st, LC_PROVIDER));
		json_object_set_new(o, "error_code", text_or_null(st, LC_ERRCODE));
		json_object_set_new(o, "error", text_or_null(st, LC_ERROR));
		clock_rfc3339(db_col_int(st, LC_CREATED), at);
		json_object_set_new(o, "created_at", json_string(at));
		clock_rfc3339(db_col_int(st, LC_UPDATED), at);
		json_object_set_new(o, "updated_at", json_string(at));
		json_object_set_new(o, "done_day", text_or_null(st, LC_DAY));
		json_object_set_new(o, "dedup_key", json_string(db_col_text(st, LC_KEY)));
		json_array_append_new(arr, o);
		*last_id = db_col_int(st, LC_ID);
	}
	db_reset(st);
	if (rc != DB_DONE) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

json_t *outbox_daily(struct db *db, const char *prefix, const char *end, const char *from, const char *to)
{
	struct db_stmt *st = db_prepare(db, &outbox_sql[STMT_OB_DAILY]);
	if (!st)
		return NULL;
	db_bind_text(st, 1, prefix, -1);
	db_bind_text(st, 2, end, -1);
	db_bind_text(st, 3, from, -1);
	db_bind_text(st, 4, to, -1);
	json_t *arr = json_array(), *cur = NULL;
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW) {
		const char *day = db_col_text(st, DC_DAY), *ch = db_col_text(st, DC_CHANNEL);
		if (!cur || strcmp(json_string_value(json_object_get(cur, "day")), day) != 0 ||
		    strcmp(json_string_value(json_object_get(cur, "channel")), ch) != 0) {
			cur = json_pack("{s:s, s:s, s:i, s:i, s:i, s:i}", "day", day, "channel", ch, "sent", 0, "failed", 0,
					"given_up", 0, "cancelled", 0);
			json_array_append_new(arr, cur);
		}
		json_object_set_new(cur, db_col_text(st, DC_STATE), json_integer(db_col_int(st, DC_N)));
	}
	db_reset(st);
	if (rc != DB_DONE) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

json_t *outbox_inbox(struct db *db, int64_t member_id, int64_t user_id, int64_t before, int limit, int64_t *last_id,
		     int64_t *unread)
{
	*last_id = 0;
	*unread = 0;
	struct db_stmt *st = db_prepare(db, &outbox_sql[STMT_OB_UNREAD]);
	if (!st)
		return NULL;
	db_bind_int(st, 1, member_id);
	db_bind_int(st, 2, user_id);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW)
		*unread = db_col_int(st, DB_COL_ONLY);
	db_reset(st);
	if (rc != DB_ROW)
		return NULL;
	if (limit == 0)
		return json_array();
	st = db_prepare(db, &outbox_sql[STMT_OB_INBOX]);
	if (!st)
		return NULL;
	db_bind_int(st, 1, member_id);
	db_bind_int(st, 2, user_id);
	db_bind_int(st, 3, before);
	db_bind_int(st, 4, limit);
	json_t *arr = json_array();
	char at[21];
	while ((rc = db_step(st)) == DB_ROW) {
		clock_rfc3339(db_col_int(st, IC_CREATED), at);
		json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:b}", "id", (json_int_t)db_col_int(st, IC_ID), "kind",
				      db_col_text(st, IC_KIND), "title", db_col_text(st, IC_TITLE), "body",
				      db_col_text(st, IC_BODY), "created_at", at, "read", db_col_int(st, IC_READ) != 0);
		json_object_set_new(o, "link", text_or_null(st, IC_LINK));
		json_array_append_new(arr, o);
		*last_id = db_col_int(st, IC_ID);
	}
	db_reset(st);
	if (rc != DB_DONE) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

enum db_rc outbox_mark_read(struct db *db, int64_t member_id, int64_t user_id, int64_t id, int64_t now)
{
	struct db_stmt *st = db_prepare(db, &outbox_sql[id ? STMT_OB_READ_ONE : STMT_OB_READ_ALL]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, member_id);
	db_bind_int(st, 2, user_id);
	db_bind_int(st, 3, id);
	db_bind_int(st, 4, now);
	enum db_rc rc = db_step(st);
	db_reset(st);
	if (!id)
		return done_rc(rc);
	return rc == DB_ROW ? DB_OK : rc == DB_DONE ? DB_NOT_FOUND : rc;
}

json_t *outbox_optouts(struct db *db, int64_t member_id)
{
	json_t *o = json_object();
	for (const char *const *k = outbox_kinds; *k; k++)
		json_object_set_new(o, *k, json_false());
	struct db_stmt *st = db_prepare(db, &outbox_sql[STMT_OB_OPTOUTS]);
	if (!st) {
		json_decref(o);
		return NULL;
	}
	db_bind_int(st, 1, member_id);
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW)
		json_object_set_new(o, db_col_text(st, DB_COL_ONLY), json_true());
	db_reset(st);
	if (rc != DB_DONE) {
		json_decref(o);
		return NULL;
	}
	return o;
}

enum db_rc outbox_set_optout(struct db *db, int64_t member_id, const char *kind, bool out, int64_t now)
{
	struct db_stmt *st = db_prepare(db, &outbox_sql[out ? STMT_OB_OPTOUT_ADD : STMT_OB_OPTOUT_DEL]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, member_id);
	db_bind_text(st, 2, kind, -1);
	if (out)
		db_bind_int(st, 3, now);
	enum db_rc rc = done_rc(db_step(st));
	db_reset(st);
	return rc;
}

json_t *outbox_stats(struct db *db, const char *prefix, const char *end, const char *from, const char *to)
{
	struct db_stmt *st = db_prepare(db, &outbox_sql[STMT_OB_STATS]);
	if (!st)
		return NULL;
	db_bind_text(st, 1, prefix, -1);
	db_bind_text(st, 2, end, -1);
	db_bind_text(st, 3, from, -1);
	db_bind_text(st, 4, to, -1);
	json_t *by = json_array();
	int64_t bday_sms = 0, bday_sent = 0, inapp = 0, inapp_read = 0, failed = 0, sent = 0;
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW) {
		const char *kind = db_col_text(st, SC_KIND), *ch = db_col_text(st, SC_CHANNEL), *state = db_col_text(st, SC_STATE);
		int64_t n = db_col_int(st, SC_N), rd = db_col_int(st, SC_READ);
		json_array_append_new(by, json_pack("{s:s, s:s, s:s, s:I}", "kind", kind, "channel", ch, "state", state,
						    "count", (json_int_t)n));
		bool is_sent = strcmp(state, "sent") == 0;
		if (is_sent)
			sent += n;
		else if (strcmp(state, "failed") == 0 || strcmp(state, "given_up") == 0)
			failed += n;
		if (is_sent && strcmp(kind, "birthday") == 0) {
			bday_sent += n;
			if (strcmp(ch, "sms") == 0)
				bday_sms += n;
		}
		if (is_sent && strcmp(ch, "inapp") == 0) {
			inapp += n;
			inapp_read += rd;
		}
	}
	db_reset(st);
	if (rc != DB_DONE) {
		json_decref(by);
		return NULL;
	}
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:o}", "sent", (json_int_t)sent, "failed",
			 (json_int_t)failed, "birthday_sent", (json_int_t)bday_sent, "birthday_sms_sent",
			 (json_int_t)bday_sms, "inapp_sent", (json_int_t)inapp, "inapp_read", (json_int_t)inapp_read,
			 "inapp_read_rate", inapp ? (double)inapp_read / (double)inapp : 0.0, "by_kind", by);
}
