/* messages.c: the messages' routes (issue 16): the scheduler's slots
 * (GET /system/schedule), the outbox monitor (rows, per-day counts per channel, retry
 * a failed one), the settings (providers, quiet hours, caps; secrets write-only), the
 * templates, a notice pushed to a subtree, the caller's inbox (the bell) and opt-outs,
 * and the statistics. In test mode, POST /test/messages/tick runs the scheduler and
 * one sender pass now. The rules live in model/outbox.c, jobs/sender.c and
 * jobs/scheduler.c; this file reads inputs, checks scope and audits. */
#include "api/roster_util.h"
#include "auth/audit.h"
#include "auth/auth.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "http/input.h"
#include "http/params.h"
#include "jobs/scheduler.h"
#include "jobs/sender.h"
#include "model/msg_settings.h"
#include "model/org.h"
#include "model/study.h"
#include "model/outbox.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int audit(struct request *req, const char *action, const char *type, int64_t id, int64_t org,
		 const char *summary)
{
	struct audit_event ev = {action, type, id, org, true, summary};
	return audit_record(req, &ev);
}

/* The one subtree a monitor page reads: org_id's, or the caller's first scope root. */
static bool one_range(struct request *req, const char *perm, int64_t org_id, const char **prefix, const char **end)
{
	const char **p = NULL, **e = NULL;
	size_t n = roster_org_ranges(req, perm, org_id, &p, &e);
	if (req_failed(req))
		return false;
	if (n == 0) {
		req_fail(req, 404, "not_found", "党组织不存在");
		return false;
	}
	*prefix = p[0];
	*end = e[0];
	return true;
}

static void get_schedule(struct request *req)
{
	json_t *j = scheduler_json(req->db);
	if (!j) {
		req_fail_db(req, DB_ERROR);
		return;
	}
	req_reply_json(req, 200, j);
}

static const char *const states[] = {"queued", "sending", "sent", "failed", "given_up", "cancelled", NULL};

struct outbox_in {
	int64_t org_id, limit;
	const char *state, *channel, *kind, *cursor;
};
static const struct param outbox_params[] = {
	PARAM_ID(struct outbox_in, org_id, "党组织编号无效"),
	PARAM_INT(struct outbox_in, limit, 1, 200, 20),
	PARAM_ENUM(struct outbox_in, state, states, "状态无效"),
	PARAM_ENUM(struct outbox_in, channel, outbox_channels, "渠道无效"),
	PARAM_ENUM(struct outbox_in, kind, outbox_kinds, "消息类别无效"),
	PARAM_STR(struct outbox_in, cursor, 20),
};
static const struct params outbox_in = PARAMS(struct outbox_in, outbox_params);

static int64_t cursor_id(struct request *req, const char *c)
{
	if (!c)
		return 0;
	char *e;
	long long v = strtoll(c, &e, 10);
	if (*e || v <= 0) {
		req_field_error(req, "cursor", "invalid_cursor", "分页游标无效");
		return -1;
	}
	return v;
}

static void get_outbox(struct request *req)
{
	const struct outbox_in *in = req->in;
	const char *prefix, *end;
	int64_t before = cursor_id(req, in->cursor);
	if (before < 0 || !one_range(req, "message.read", in->org_id, &prefix, &end))
		return;
	int64_t last;
	json_t *items = outbox_list(req->db, prefix, end, in->state, in->channel, in->kind, before, (int)in->limit + 1,
				    &last);
	if (!items) {
		req_fail_db(req, DB_ERROR);
		return;
	}
	const char *next = NULL;
	if (json_array_size(items) > (size_t)in->limit) {
		json_array_remove(items, json_array_size(items) - 1);
		json_t *l = json_array_get(items, json_array_size(items) - 1);
		next = arena_printf(req->arena, "%lld", (long long)json_integer_value(json_object_get(l, "id")));
	}
	req_reply_list(req, items, next, (int64_t)json_array_size(items));
}

struct range_in {
	int64_t org_id;
	const char *from, *to;
};
static const struct param range_params[] = {
	PARAM_ID(struct range_in, org_id, "党组织编号无效"),
	PARAM_DATE(struct range_in, from),
	PARAM_DATE(struct range_in, to),
};
static const struct params range_in = PARAMS(struct range_in, range_params);

/* from/to default to the last 30 days (to = today, Beijing). */
static bool read_range(struct request *req, const struct range_in *in, const char **from, const char **to)
{
	char today[11], start[11];
	outbox_day(clock_now(), today);
	outbox_day(clock_now() - 29 * 86400, start);
	*from = in->from ? in->from : arena_strdup(req->arena, start);
	*to = in->to ? in->to : arena_strdup(req->arena, today);
	if (strcmp(*from, *to) > 0) {
		req_field_error(req, "from", "range_reversed", "开始日期不能晚于结束日期");
		return false;
	}
	return true;
}

static void get_daily(struct request *req)
{
	const struct range_in *in = req->in;
	const char *prefix, *end, *from, *to;
	if (!read_range(req, in, &from, &to) || !one_range(req, "message.read", in->org_id, &prefix, &end))
		return;
	json_t *items = outbox_daily(req->db, prefix, end, from, to);
	if (!items) {
		req_fail_db(req, DB_ERROR);
		return;
	}
	req_reply_json(req, 200, json_pack("{s:o, s:s, s:s}", "items", items, "from", from, "to", to));
}

static void post_retry(struct request *req)
{
	int64_t id = req_param_id(req, "id");
	if (req_failed(req))
		return;
	const char **p = NULL, **e = NULL;
	size_t n = roster_org_ranges(req, "message.manage", 0, &p, &e);
	if (req_failed(req))
		return;
	enum db_rc rc = DB_NOT_FOUND;
	for (size_t i = 0; i < n && rc == DB_NOT_FOUND; i++)
		rc = outbox_retry(req->db, id, p[i], e[i], clock_now());
	if (rc == DB_NOT_FOUND) {
		req_fail(req, 404, "not_found", "消息不存在，或不是失败状态");
		return;
	}
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (audit(req, "message.retry", "outbox", id, 0, "state=queued") != 0)
		return;
	req_reply_json(req, 200, json_pack("{s:I, s:s}", "id", (json_int_t)id, "state", "queued"));
}

static void get_settings(struct request *req)
{
	json_t *j = msg_settings_json(req->db);
	if (!j) {
		req_fail_db(req, DB_ERROR);
		return;
	}
	req_reply_json(req, 200, j);
}

static void put_settings(struct request *req)
{
	json_t *b = in_body(req);
	if (!b)
		return;
	if (!json_is_object(b) || json_object_size(b) == 0 || json_object_size(b) > 40) {
		req_field_error(req, "body", "invalid_body", "请提交要修改的设置项");
		return;
	}
	const char *k;
	json_t *v;
	char why[160];
	const char *keys = "";
	json_object_foreach(b, k, v)
	{
		enum db_rc rc = msg_settings_set(req->db, k, v, clock_now(), why, sizeof why);
		if (rc == DB_NOT_FOUND || rc == DB_CONSTRAINT) {
			req_field_error(req, k, rc == DB_NOT_FOUND ? "unknown_setting" : "invalid_value", why);
			continue;
		}
		if (rc != DB_OK) {
			req_fail_db(req, rc);
			return;
		}
		keys = arena_printf(req->arena, "%s%s%s", keys, keys[0] ? "," : "", k);
	}
	if (req_failed(req))
		return;
	/* the keys only: a secret's value never reaches the audit log */
	if (audit(req, "message.settings", "message_settings", 0, 0, arena_printf(req->arena, "keys=%s", keys)) != 0)
		return;
	get_settings(req);
}

static void get_templates(struct request *req)
{
	size_t n;
	const struct outbox_template *t = outbox_templates(&n);
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *ps = json_array();
		for (int k = 0; t[i].params[k]; k++)
			json_array_append_new(ps, json_string(t[i].params[k]));
		json_array_append_new(items, json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "code", t[i].code, "kind",
						       t[i].kind, "name", t[i].name, "title", t[i].title, "text",
						       t[i].text, "params", ps));
	}
	req_reply_list(req, items, NULL, (int64_t)n);
}

/* POST /messages/notices {org_id, title, text, channels:["inapp","sms","wechat"]}: one
 * notice to every member of the subtree, deduplicated per (notice, member, channel).
 * WeChat goes to the members who linked their openid; without in-app among the
 * channels, the others get it in the app (wechat_fallback_inapp). */
static void post_notice(struct request *req)
{
	json_t *b = in_body(req);
	if (!b)
		return;
	int64_t org_id = 0;
	in_int(req, b, "org_id", IN_REQUIRED, 1, INT64_MAX, &org_id);
	const char *title = in_str(req, b, "title", IN_REQUIRED, 60);
	const char *text = in_str(req, b, "text", IN_REQUIRED, 300);
	json_t *chs = json_object_get(b, "channels");
	bool want[3] = {true, false, false};
	if (chs) {
		want[0] = false;
		size_t i;
		json_t *c;
		if (!json_is_array(chs) || json_array_size(chs) == 0 || json_array_size(chs) > 3)
			req_field_error(req, "channels", "invalid_list", "渠道应为 inapp、sms、wechat 中的一项或几项");
		else
			json_array_foreach(chs, i, c)
			{
				const char *s = json_string_value(c);
				int k = 0;
				while (outbox_channels[k] && (!s || strcmp(outbox_channels[k], s) != 0))
					k++;
				if (!outbox_channels[k]) {
					req_field_error(req, "channels", "invalid_code", "渠道应为 inapp、sms、wechat");
					break;
				}
				want[k == 2 ? 0 : k == 0 ? 1 : 2] = true;
			}
	}
	if (want[2] && !req_failed(req)) {
		/* WeChat without an account configured: its rows would wait forever */
		struct msg_settings s;
		enum db_rc src = msg_settings_load(req->db, req->arena, false, &s);
		if (src != DB_OK) {
			req_fail_db(req, src);
			return;
		}
		if (!*s.v[MSK_WECHAT_APPID] || !msg_settings_secret_set(req->db, MSK_WECHAT_SECRET))
			req_field_error(req, "channels", "channel_unavailable", "尚未配置微信公众号（AppID 与 AppSecret），请选择站内或短信");
	}
	if (req_failed(req))
		return;
	struct org_rec o;
	if (!roster_org_in_scope(req, org_id, "message.manage", &o))
		return;
	const char **p = NULL, **e = NULL;
	if (roster_org_ranges(req, "message.manage", org_id, &p, &e) == 0 || req_failed(req))
		return;
	/* the notice's own id: its dedup keys start with it, so a repeated request is a new notice */
	const char *nid = dj_random_token(req->arena, 9);
	json_t *params = json_pack("{s:s, s:s}", "title", title, "text", text);
	static const char *const order[] = {"inapp", "sms", "wechat"};
	json_t *counts = json_object();
	for (int k = 0; k < 3; k++) {
		if (!want[k])
			continue;
		int64_t q;
		char why[160];
		enum db_rc rc = outbox_enqueue_subtree(req->db, arena_printf(req->arena, "notice:%s:%s:", nid, order[k]),
						       order[k], "notice", params, p[0], e[0], "/m/inbox", &q, why, sizeof why);
		if (rc != DB_OK) {
			json_decref(params);
			json_decref(counts);
			req_fail_db(req, rc);
			return;
		}
		json_object_set_new(counts, order[k], json_integer(q));
		if (k == 2 && !want[0]) {
			/* members who have not linked their WeChat get the notice in the app */
			rc = outbox_enqueue_unlinked(req->db, arena_printf(req->arena, "notice:%s:inapp:", nid), "notice", params,
						     p[0], e[0], "/m/inbox", &q, why, sizeof why);
			if (rc != DB_OK) {
				json_decref(params);
				json_decref(counts);
				req_fail_db(req, rc);
				return;
			}
			json_object_set_new(counts, "wechat_fallback_inapp", json_integer(q));
		}
	}
	json_decref(params);
	if (audit(req, "message.notice", "org", org_id, org_id, arena_printf(req->arena, "notice=%s", nid)) != 0) {
		json_decref(counts);
		return;
	}
	req_reply_json(req, 201, json_pack("{s:s, s:o}", "notice_id", nid, "queued", counts));
}

struct inbox_in {
	int64_t limit;
	const char *cursor;
};
static const struct param inbox_params[] = {
	PARAM_INT(struct inbox_in, limit, 0, 100, 20),
	PARAM_STR(struct inbox_in, cursor, 20),
};
static const struct params inbox_in = PARAMS(struct inbox_in, inbox_params);

static void get_inbox(struct request *req)
{
	const struct inbox_in *in = req->in;
	int64_t before = cursor_id(req, in->cursor);
	if (before < 0)
		return;
	int64_t last, unread;
	json_t *items = outbox_inbox(req->db, auth_member_id(req), auth_user_id(req), before, (int)in->limit, &last,
				     &unread);
	if (!items) {
		req_fail_db(req, DB_ERROR);
		return;
	}
	bool more = in->limit > 0 && json_array_size(items) == (size_t)in->limit;
	json_t *body = json_pack("{s:o, s:I}", "items", items, "unread", (json_int_t)unread);
	json_object_set_new(body, "next_cursor",
			    more ? json_string(arena_printf(req->arena, "%lld", (long long)last)) : json_null());
	req_reply_json(req, 200, body);
}

static void post_inbox_read(struct request *req)
{
	json_t *b = in_body(req);
	if (!b)
		return;
	int64_t id = 0;
	if (in_has(b, "id"))
		in_int(req, b, "id", IN_OPTIONAL, 1, INT64_MAX, &id);
	if (req_failed(req))
		return;
	enum db_rc rc = outbox_mark_read(req->db, auth_member_id(req), auth_user_id(req), id, clock_now());
	if (rc == DB_NOT_FOUND) {
		req_fail(req, 404, "not_found", "消息不存在");
		return;
	}
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	int64_t last, unread;
	json_t *none = outbox_inbox(req->db, auth_member_id(req), auth_user_id(req), 0, 0, &last, &unread);
	json_decref(none);
	req_reply_json(req, 200, json_pack("{s:I}", "unread", (json_int_t)unread));
}

static int64_t my_member(struct request *req)
{
	long long id = auth_member_id(req);
	if (id <= 0)
		req_fail(req, 404, "not_found", "没有与此账号关联的党员信息");
	return id;
}

static void get_prefs(struct request *req)
{
	int64_t m = my_member(req);
	if (m <= 0)
		return;
	json_t *o = outbox_optouts(req->db, m);
	if (!o) {
		req_fail_db(req, DB_ERROR);
		return;
	}
	/* the kinds with their names, in order: the page lists whatever is here */
	json_t *kinds = json_array();
	for (const char *const *k = outbox_kinds; *k; k++)
		json_array_append_new(kinds, json_pack("{s:s, s:s}", "kind", *k, "name", outbox_kind_name(*k)));
	req_reply_json(req, 200, json_pack("{s:o, s:o}", "opt_out", o, "kinds", kinds));
}

/* PUT /me/message-prefs {opt_out: {birthday: true, …}} */
static void put_prefs(struct request *req)
{
	json_t *b = in_body(req);
	if (!b)
		return;
	json_t *o = json_object_get(b, "opt_out");
	if (!json_is_object(o) || json_object_size(o) == 0) {
		req_field_error(req, "opt_out", "required", "请提交要退订或恢复的消息类别");
		return;
	}
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v) if (!outbox_kind_valid(k) || !json_is_boolean(v))
	    req_field_error(req, "opt_out", "invalid_code", "消息类别无效（见 GET /me/message-prefs 的 kinds），取值为 true/false");
	int64_t m = req_failed(req) ? 0 : my_member(req);
	if (m <= 0)
		return;
	json_object_foreach(o, k, v)
	{
		enum db_rc rc = outbox_set_optout(req->db, m, k, json_is_true(v), clock_now());
		if (rc != DB_OK) {
			req_fail_db(req, rc);
			return;
		}
	}
	char *dump = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	int a = audit(req, "message.optout", "member", m, 0, arena_printf(req->arena, "opt_out=%s", dump ? dump : ""));
	free(dump);
	if (a != 0)
		return;
	get_prefs(req);
}

static void get_stats(struct request *req)
{
	const struct range_in *in = req->in;
	const char *prefix, *end, *from, *to;
	if (!read_range(req, in, &from, &to) || !one_range(req, "stats.read", in->org_id, &prefix, &end))
		return;
	json_t *j = outbox_stats(req->db, prefix, end, from, to);
	if (!j) {
		req_fail_db(req, DB_ERROR);
		return;
	}
	json_t *study = study_stats(req->db, prefix, end, from, to);
	if (!study) {
		json_decref(j);
		req_fail_db(req, DB_ERROR);
		return;
	}
	json_object_set_new(j, "study", study);
	json_object_set_new(j, "from", json_string(from));
	json_object_set_new(j, "to", json_string(to));
	req_reply_json(req, 200, j);
}

/* test_mode: the scheduler's due slots and one sender pass, now, on this thread's
 * connection (no request transaction: each step opens its own). */
static void post_test_tick(struct request *req)
{
	struct db *db = db_thread();
	json_t *ran = NULL;
	struct sender_stats st;
	enum db_rc rc = db ? scheduler_tick(db, &ran) : DB_ERROR;
	if (rc == DB_OK)
		rc = sender_pass(db, &st);
	if (rc != DB_OK) {
		json_decref(ran);
		req_fail_db(req, rc);
		return;
	}
	req_reply_json(req, 200,
		       json_pack("{s:o, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}}", "ran", ran, "sender", "claimed",
				 (json_int_t)st.claimed, "sent", (json_int_t)st.sent, "retried", (json_int_t)st.retried,
				 "failed", (json_int_t)st.failed, "given_up", (json_int_t)st.given_up, "cancelled",
				 (json_int_t)st.cancelled, "deferred", (json_int_t)st.deferred, "recovered",
				 (json_int_t)st.recovered));
}

static const struct route messages_routes[] = {
	{"GET", "/api/v1/system/schedule", get_schedule, "message.read", RF_TX_READ, 0,
	 "scheduled slots: last run, next run, outcome"},
	{"GET", "/api/v1/outbox", get_outbox, "message.read", RF_TX_READ, 0, "outbox rows of a subtree, newest first",
	 &outbox_in},
	{"GET", "/api/v1/outbox/daily", get_daily, "message.read", RF_TX_READ, 0, "sent/failed per channel per day",
	 &range_in},
	{"POST", "/api/v1/outbox/{id}/retry", post_retry, "message.manage", RF_TX_WRITE, 0,
	 "queue a failed message again"},
	{"GET", "/api/v1/messages/settings", get_settings, "settings.manage", RF_TX_READ, 0,
	 "message settings (secrets: set or not)"},
	{"PUT", "/api/v1/messages/settings", put_settings, "settings.manage", RF_TX_WRITE, 16384,
	 "change message settings (secrets sealed)"},
	{"GET", "/api/v1/messages/templates", get_templates, "message.read", 0, 0, "message templates"},
	{"POST", "/api/v1/messages/notices", post_notice, "message.manage", RF_TX_WRITE, 0,
	 "push a notice to every member of a subtree"},
	{"GET", "/api/v1/inbox", get_inbox, "self.read", RF_TX_READ, 0, "the caller's in-app messages and unread count",
	 &inbox_in},
	{"POST", "/api/v1/inbox/read", post_inbox_read, "self.read", RF_TX_WRITE, 0,
	 "mark one (id) or all of the caller's messages read"},
	{"GET", "/api/v1/me/message-prefs", get_prefs, "self.read", RF_TX_READ, 0, "the caller's opt-outs per kind"},
	{"PUT", "/api/v1/me/message-prefs", put_prefs, "self.read", RF_TX_WRITE, 0, "opt out of / back into a kind"},
	{"GET", "/api/v1/stats/messages", get_stats, "stats.read", RF_TX_READ | RF_REPLICA, 0,
	 "messages sent per kind and channel, birthday greetings, read rate", &range_in},
	{"POST", "/api/v1/test/messages/tick", post_test_tick, PERM_PUBLIC, RF_TEST | RF_NO_CSRF, 0,
	 "test mode: run due slots and one sender pass"},
};
ROUTE_TABLE(messages);
