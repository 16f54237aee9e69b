/* audit.c: reading and verifying the audit log (audit.read: the auditor only). The
 * log itself is written by model/audit.c in the transaction of each change. */
#include "core/arena.h"
#include "core/clock.h"
#include "core/date.h"
#include "db/db.h"
#include "http/params.h"
#include "http/request.h"
#include "http/router.h"
#include "model/audit.h"
#include "api/roster_util.h"
#include "auth/audit.h"
#include "auth/policy.h"
#include "core/sheet_write.h"
#include "model/codes.h"
#include "model/member.h"
#include "model/org.h"
#include "model/user.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct audit_in {
	const char *actor, *action, *object_type;
	int64_t object_id, from, to, limit, cursor;
};
static const struct param audit_params[] = {
	PARAM_STR(struct audit_in, actor, 64),
	PARAM_STR(struct audit_in, action, 64),
	PARAM_STR(struct audit_in, object_type, 32),
	PARAM_INT(struct audit_in, object_id, 0, INT64_MAX, 0),
	PARAM_INSTANT(struct audit_in, from, 0),
	PARAM_INSTANT(struct audit_in, to, 1),
	PARAM_INT(struct audit_in, limit, 1, 200, 20),
	PARAM_INT(struct audit_in, cursor, 0, INT64_MAX, 0),
};
static const struct params audit_in = PARAMS(struct audit_in, audit_params);

/* actor=: a user id, or a username (resolved to its id; an unknown one matches
 * nothing: -1). 0 when absent. */
static int64_t actor_id(struct request *req, const char *v)
{
	if (!v)
		return 0;
	char *end;
	long long n = strtoll(v, &end, 10);
	if (!*end && n > 0)
		return n;
	struct user_row u;
	enum db_rc rc = user_get_by_username(req->db, req->arena, v, &u);
	if (rc == DB_OK)
		return u.id;
	if (rc != DB_NOT_FOUND)
		req_fail_db(req, rc);
	return -1;
}

/* ---- the log in Chinese (issue 20 #11): the stored rows stay as written (the hash
 * chain covers them); the reply names roles, objects and summary keys for people ---- */

static const struct {
	const char *key, *name;
} summary_keys[] = {
	{"username", "用户名"},	   {"status", "状态"},	       {"fields", "修改项"},	{"sessions_revoked", "注销会话"},
	{"must_change", "须改密码"}, {"holder_told", "告知本人"},  {"refused", "拒绝原因"}, {"role", "角色"},
	{"before", "原角色"},	   {"after", "新角色"},	       {"reason", "原因"},	{"failures", "连续失败次数"},
	{"reset_by", "重置人"},	   {"reset_at", "重置时间"},   {"same_address", "同一地址"}, {"via", "方式"},
	{"rows", "行数"},	   {"format", "格式"},	       {"masked", "脱敏"},	{"purpose", "用途"},
	{"id", "编号"},
};
static const struct {
	const char *value, *name;
} summary_values[] = {
	{"active", "正常"},	     {"disabled", "停用"},	      {"locked", "锁定"},	 {"all", "全部"},
	{"cli", "命令行"},	     {"at_login", "登录时"},	      {"none", "无"},		 {"admin_account_reuse", "管理员账号不得兼任其他角色"},
	{"bad_password", "密码错误"}, {"bad_totp", "动态验证码错误"}, {"unknown_user", "用户不存在"}, {"throttled", "尝试过于频繁"},
	{"name", "姓名"},	     {"mobile", "手机号"},	      {"member_id", "关联党员"},
};

/* Keys whose 1/0 mean yes/no; others keep their numbers (ids, counts, instants). */
static bool yes_no_key(const char *key)
{
	static const char *const keys[] = {"must_change", "same_address", "masked"};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (strcmp(keys[i], key) == 0)
			return true;
	return false;
}

static const char *value_zh(struct request *req, const char *v, bool yes_no)
{
	for (size_t i = 0; i < sizeof summary_values / sizeof summary_values[0]; i++)
		if (strcmp(summary_values[i].value, v) == 0)
			return summary_values[i].name;
	const struct role_def *r = policy_role(v);
	if (r)
		return r->name;
	/* role@org lists (role assignments) */
	const char *at = strchr(v, '@');
	if (at) {
		r = policy_role(arena_strndup(req->arena, v, (size_t)(at - v)));
		if (r) {
			struct org_rec o;
			int64_t id = strtoll(at + 1, NULL, 10);
			if (id <= 0)
				return r->name;
			if (org_get(req->db, req->arena, id, &o) == DB_OK)
				return arena_printf(req->arena, "%s（%s）", r->name, o.name);
			return arena_printf(req->arena, "%s（组织 %lld）", r->name, (long long)id);
		}
	}
	if (yes_no && strcmp(v, "1") == 0)
		return "是";
	if (yes_no && strcmp(v, "0") == 0)
		return "否";
	return v;
}

/* A value "a->b" is a change; "a,b" a list: each part in words. */
static const char *values_zh(struct request *req, const char *v, bool yes_no)
{
	const char *arrow = strstr(v, "->");
	if (arrow)
		return arena_printf(req->arena, "%s → %s",
				    values_zh(req, arena_strndup(req->arena, v, (size_t)(arrow - v)), yes_no),
				    values_zh(req, arrow + 2, yes_no));
	if (!strchr(v, ','))
		return value_zh(req, v, yes_no);
	const char *out = "";
	for (const char *p = v; *p;) {
		size_t k = strcspn(p, ",");
		out = arena_printf(req->arena, "%s%s%s", out, *out ? "、" : "",
				   value_zh(req, arena_strndup(req->arena, p, k), yes_no));
		p += k;
		if (*p == ',')
			p++;
	}
	return out;
}

/* "status=active->disabled fields=name,mobile" → "状态：正常 → 停用；修改项：姓名、手机号";
 * a summary written in Chinese already is kept. */
static const char *summary_zh(struct request *req, const char *s)
{
	if (!s || !strchr(s, '='))
		return s;
	const char *out = "";
	for (const char *p = s; *p;) {
		while (*p == ' ')
			p++;
		size_t k = strcspn(p, " ");
		const char *tok = arena_strndup(req->arena, p, k);
		p += k;
		const char *eq = strchr(tok, '=');
		const char *part = tok;
		if (eq) {
			const char *key = arena_strndup(req->arena, tok, (size_t)(eq - tok)), *kname = key;
			for (size_t i = 0; i < sizeof summary_keys / sizeof summary_keys[0]; i++)
				if (strcmp(summary_keys[i].key, key) == 0)
					kname = summary_keys[i].name;
			const char *val = values_zh(req, eq + 1, yes_no_key(key));
			if (strcmp(key, "reset_at") == 0) {
				char at[21];
				clock_rfc3339(strtoll(eq + 1, NULL, 10), at);
				val = arena_strdup(req->arena, at);
			}
			part = arena_printf(req->arena, "%s：%s", kname, val);
		}
		if (*tok)
			out = arena_printf(req->arena, "%s%s%s", out, *out ? "；" : "", part);
	}
	return out;
}

/* The object in words: 党员 张三, 党组织 某某党支部, 用户 李四 (#id when gone). */
static const char *object_zh(struct request *req, const char *type, int64_t id)
{
	if (!type)
		return NULL;
	static const struct {
		const char *type, *name;
	} types[] = {{"member", "党员"}, {"org", "党组织"}, {"user", "用户"}, {"job", "任务"}};
	const char *tname = type;
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (strcmp(types[i].type, type) == 0)
			tname = types[i].name;
	if (id <= 0)
		return tname;
	const char *name = NULL;
	if (strcmp(type, "org") == 0) {
		struct org_rec o;
		if (org_get(req->db, req->arena, id, &o) == DB_OK)
			name = o.name;
	} else if (strcmp(type, "member") == 0) {
		struct member_rec r;
		const char *org_name;
		if (member_load(req->db, req->arena, id, false, &r, &org_name) == DB_OK)
			name = r.name;
	} else if (strcmp(type, "user") == 0) {
		struct user_row u;
		if (user_get(req->db, req->arena, id, &u) == DB_OK)
			name = arena_printf(req->arena, "%s（%s）", u.name, u.username);
	}
	return name ? arena_printf(req->arena, "%s %s", tname, name)
		    : arena_printf(req->arena, "%s #%lld（已删除）", tname, (long long)id);
}

static void enrich(struct request *req, json_t *items)
{
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it)
	{
		const struct role_def *r = policy_role(json_string_value(json_object_get(it, "role")));
		json_object_set_new(it, "role_name", r ? json_string(r->name) : json_null());
		const char *obj = object_zh(req, json_string_value(json_object_get(it, "object_type")),
					    json_integer_value(json_object_get(it, "object_id")));
		json_object_set_new(it, "object_name", obj ? json_string(obj) : json_null());
		const char *raw = json_string_value(json_object_get(it, "summary"));
		const char *zh = summary_zh(req, raw);
		json_object_set_new(it, "summary_raw", raw ? json_string(raw) : json_null());
		json_object_set_new(it, "summary", zh ? json_string(zh) : json_null());
		const char *out = json_string_value(json_object_get(it, "outcome"));
		json_object_set_new(it, "outcome_name",
				    json_string(out && strcmp(out, "success") == 0 ? "成功" : out ? "失败" : ""));
	}
}

static bool audit_filter_of(struct request *req, struct audit_filter *f)
{
	const struct audit_in *in = req->in;
	*f = (struct audit_filter){
		.actor_id = actor_id(req, in->actor),
		.action = in->action,
		.object_type = in->object_type,
		.object_id = in->object_id,
		.from = in->from,
		.to = in->to,
	};
	return !req_failed(req);
}

static void list_audit(struct request *req)
{
	const struct audit_in *in = req->in;
	struct audit_filter f;
	if (!audit_filter_of(req, &f))
		return;
	int64_t last, total;
	json_t *items = audit_list(req->db, &f, in->cursor, in->limit, &last, &total);
	if (!items) {
		req_fail_db(req, DB_ERROR);
		return;
	}
	enrich(req, items);
	bool more = (int64_t)json_array_size(items) == in->limit && last > 1;
	req_reply_list(req, items, more ? arena_printf(req->arena, "%lld", (long long)last) : NULL, total);
}

/* The catalogue of actions for the page's picker (code and Chinese name). */
static void list_actions(struct request *req)
{
	json_t *items = json_array();
	const char *code, *name;
	for (size_t i = 0; audit_action_at(i, &code, &name); i++)
		json_array_append_new(items, json_pack("{s:s, s:s}", "code", code, "name", name));
	req_reply_list(req, items, NULL, (int64_t)json_array_size(items));
}

/* The filtered log as CSV for the auditor, in Chinese, at most AUDIT_EXPORT_MAX rows;
 * the export itself is audited (after the read, as the members' export). */
#define AUDIT_EXPORT_MAX 100000

static int export_audit_row(struct request *req, void *ctx)
{
	return audit_record(req, ctx) == 0 ? DB_OK : DB_ERROR;
}

static void export_audit(struct request *req)
{
	struct audit_filter f;
	if (!audit_filter_of(req, &f))
		return;
	char *path = roster_tmpfile(req, ".csv");
	if (!path)
		return;
	FILE *out = fopen(path, "w");
	if (!out) {
		req_fail(req, 500, "internal_error", "无法生成导出文件");
		return;
	}
	static const char *const head[] = {"编号", "时间", "操作人", "角色", "操作", "对象", "结果", "摘要", "来源地址"};
	fputs(SHEET_CSV_BOM, out);
	csv_out_row(out, head, 9);
	int64_t cursor = 0, rows = 0;
	for (;;) {
		int64_t last = 0, total;
		json_t *items = audit_list(req->db, &f, cursor, 500, &last, &total);
		if (!items) {
			fclose(out);
			remove(path);
			req_fail_db(req, DB_ERROR);
			return;
		}
		enrich(req, items);
		size_t i;
		json_t *it;
		json_array_foreach(items, i, it)
		{
			const char *action = json_string_value(json_object_get(it, "action_name"));
			const char *cells[9] = {
				arena_printf(req->arena, "%lld", (long long)json_integer_value(json_object_get(it, "id"))),
				json_string_value(json_object_get(it, "at")),
				json_string_value(json_object_get(it, "actor_name")),
				json_string_value(json_object_get(it, "role_name")),
				action ? action : json_string_value(json_object_get(it, "action")),
				json_string_value(json_object_get(it, "object_name")),
				json_string_value(json_object_get(it, "outcome_name")),
				json_string_value(json_object_get(it, "summary")),
				json_string_value(json_object_get(it, "ip")),
			};
			csv_out_row(out, cells, 9);
			rows++;
		}
		size_t n = json_array_size(items);
		json_decref(items);
		if (n < 500 || last <= 1 || rows >= AUDIT_EXPORT_MAX)
			break;
		cursor = last;
	}
	if ((ferror(out) | fclose(out)) != 0) {
		remove(path);
		req_fail(req, 500, "internal_error", "无法生成导出文件");
		return;
	}
	struct audit_event *ev = arena_alloc(req->arena, sizeof *ev);
	*ev = (struct audit_event){"audit.export", NULL, 0, 0, true,
				   arena_printf(req->arena, "导出审计日志 %lld 条", (long long)rows)};
	req_after_commit(req, export_audit_row, ev);
	char day[11];
	date_format(roster_today(), day);
	roster_reply_file(req, path, "text/csv; charset=utf-8",
			  arena_printf(req->arena, "审计日志_%.4s%.2s%.2s.csv", day, day + 5, day + 8));
}

static void verify_audit(struct request *req)
{
	int64_t count, broken;
	int rc = audit_verify(req->db, &count, &broken);
	if (rc < 0) {
		req_fail_db(req, DB_ERROR);
		return;
	}
	req_reply_json(req, 200, json_pack("{s:b, s:I, s:o}", "ok", rc == 0, "count", (json_int_t)count, "first_broken_id",
					   rc ? json_integer(broken) : json_null()));
}

static const struct route audit_routes[] = {
	{"GET", "/api/v1/audit", list_audit, "audit.read", RF_TX_READ, 0,
	 "audit rows, newest first (?actor=&action=&object_type=&object_id=&from=&to=&cursor=&limit=)", &audit_in},
	{"GET", "/api/v1/audit/verify", verify_audit, "audit.read", RF_TX_READ, 0, "verify the audit hash chain"},
	{"GET", "/api/v1/audit/actions", list_actions, "audit.read", 0, 0, "the audited actions with Chinese names"},
	{"GET", "/api/v1/audit/export", export_audit, "audit.read", RF_TX_READ, 0,
	 "the filtered log as CSV in Chinese (audited)", &audit_in},
};
ROUTE_TABLE(audit);
