/* orgs.c: the organization tree's routes (docs/api-contract.md "Organizations"): list
 * and search within the caller's scope, one record with counts, committee and R-ORG
 * alerts, the subtree, create, change, move (no cycles; the subtree's paths rewritten in
 * the request's one transaction), delete only when empty, alerts over the scope, grids
 * and buildings. A foreign organization answers 404 like a missing one. */
#include "api/roster_util.h"
#include "auth/scope.h"
#include "core/arena.h"
#include "auth/audit.h"
#include "core/clock.h"
#include "http/params.h"
#include "http/input.h"
#include "model/audit.h"
#include "model/codes.h"
#include "model/file.h"
#include "model/meeting.h"
#include "model/grid.h"
#include "model/org.h"
#include "core/jsonw.h"
#include "model/stats.h"
#include <stdlib.h>
#include <string.h>

static int audit(struct request *req, const char *action, int64_t id, const char *summary)
{
	struct audit_event ev = {action, "org", id, id, true, summary};
	return audit_record(req, &ev);
}

/* 统一社会信用代码 (GB 32100): 18 characters, the last a check over the first 17. */
static bool credit_code_valid(const char *s)
{
	static const char cs[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
	static const int w[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
	if (strlen(s) != 18)
		return false;
	int sum = 0;
	for (int i = 0; i < 18; i++) {
		const char *p = strchr(cs, s[i]);
		if (!p || !s[i])
			return false;
		if (i < 17)
			sum += (int)(p - cs) * w[i];
		else
			return (31 - sum % 31) % 31 == (int)(p - cs);
	}
	return false;
}

/* A telephone number as people write one: 7 to 15 digits, grouped by single "-" or
 * spaces, an area code in one pair of brackets, a leading "+" for a country code
 * (021-6432 1234, (021) 64321234, +86 138 0013 8000, 6432 1234-801); it starts with a
 * digit, "+" or "(" and ends with a digit (re-audit of issue 20 #17: "--1234567",
 * "1234567-" and "((021))1234567" passed). */
static bool phone_valid(const char *s)
{
	int digits = 0, open = 0, close = 0;
	if (!(*s == '+' || *s == '(' || (*s >= '0' && *s <= '9')))
		return false;
	for (const char *p = s; *p; p++) {
		if (*p >= '0' && *p <= '9') {
			digits++;
			continue;
		}
		if (*p == '+') {
			if (p != s)
				return false;
		} else if (*p == '(') {
			if (open++ || (digits > 0 && p[-1] != ' ' && p[-1] != '+'))
				return false;
		} else if (*p == ')') {
			if (close++ || !open || p[-1] < '0' || p[-1] > '9')
				return false;
		} else if (*p == '-' || *p == ' ') {
			if (p[1] == *p)
				return false;
		} else
			return false;
	}
	size_t n = strlen(s);
	return open == close && s[n - 1] >= '0' && s[n - 1] <= '9' && digits >= 7 && digits <= 15;
}

static bool alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* An organization code: letters and digits, groups joined by single "-" (DZB-001);
 * it starts and ends with a letter or digit ("-", "A--1" and "DZB-" were taken). */
static bool org_code_valid(const char *s)
{
	if (!alnum(*s))
		return false;
	for (const char *p = s; *p; p++)
		if (!alnum(*p) && !(*p == '-' && alnum(p[1])))
			return false;
	return true;
}

/* Reads the record's fields from b into o (absent fields keep o's with patch). */
static void read_org(struct request *req, json_t *b, struct org_rec *o, bool patch)
{
#define STR(field, dst, max)                                                     \
	do {                                                                     \
		if (!patch || in_has(b, field))                                  \
			dst = in_str(req, b, field, IN_OPTIONAL | IN_NULLABLE, max); \
	} while (0)
#define DATE(field, dst)                                                 \
	do {                                                             \
		if (!patch || in_has(b, field))                          \
			dst = in_date(req, b, field, IN_OPTIONAL | IN_NULLABLE); \
	} while (0)
	if (!patch || in_has(b, "name"))
		o->name = in_str(req, b, "name", IN_REQUIRED, 100);
	STR("short_name", o->short_name, 50);
	STR("code", o->code, 50);
	if (!patch || in_has(b, "type"))
		o->type = in_str(req, b, "type", IN_REQUIRED, 10);
	STR("label", o->label, 20);
	/* a new organization without a domain takes its parent's (post_org) */
	if (!patch || in_has(b, "domain"))
		o->domain = in_str(req, b, "domain", patch ? IN_REQUIRED : IN_OPTIONAL, 10);
	STR("unit_name", o->unit_name, 100);
	STR("unit_nature", o->unit_nature, 50);
	STR("credit_code", o->credit_code, 18);
	STR("secretary", o->secretary, 50);
	STR("contact", o->contact, 50);
	STR("phone", o->phone, 20);
	STR("address", o->address, 200);
	STR("extension_reason", o->extension_reason, 200);
	DATE("founded_on", o->founded_on);
	DATE("term_started_on", o->term_started_on);
	DATE("extended_until", o->extended_until);
#undef STR
#undef DATE
	int64_t v;
	if (in_has(b, "term_years"))
		o->term_years = in_int(req, b, "term_years", IN_OPTIONAL | IN_NULLABLE, 1, 10, &v) ? (int)v : 0;
	if (in_has(b, "grid_id"))
		o->grid_id = in_int(req, b, "grid_id", IN_OPTIONAL | IN_NULLABLE, 1, INT64_MAX, &v) ? v : 0;
	if (o->type && !codes_valid("org_type", o->type))
		req_field_error(req, "type", "invalid_code", "党组织类别应为 党委、党工委、党总支、党支部、联合党支部 或 党小组");
	if (o->domain && !codes_valid("org_domain", o->domain))
		req_field_error(req, "domain", "invalid_code", "所在领域无效");
	if (o->label && !codes_valid("org_label", o->label))
		req_field_error(req, "label", "invalid_code", "习惯称谓无效");
	if (o->phone && !phone_valid(o->phone))
		req_field_error(req, "phone", "invalid_phone", "联系电话应为 7 至 15 位数字，可用“-”、空格或括号分隔（如 021-6432 1234、13800138000）");
	if (o->code && !org_code_valid(o->code))
		req_field_error(req, "code", "invalid_code", "组织代码由字母和数字组成，可用单个“-”分隔，以字母或数字开头和结尾（如 DZB-001）");
	if (o->credit_code && !credit_code_valid(o->credit_code))
		req_field_error(req, "credit_code", "credit_code_invalid", "统一社会信用代码无效（18位，校验位不符）");
	struct date today = roster_today(), d;
	if (o->founded_on && date_parse(o->founded_on, &d) && date_cmp(d, today) > 0)
		req_field_error(req, "founded_on", "in_future", "成立日期不能晚于今天");
	if (o->term_started_on && date_parse(o->term_started_on, &d) && date_cmp(d, today) > 0)
		req_field_error(req, "term_started_on", "in_future", "换届日期不能晚于今天");
	if (o->extended_until) {
		/* R-ORG-03: an extension moves the regular end by at most a year */
		struct org_rec plain = *o;
		plain.extended_until = NULL;
		char reg[11];
		struct date r, e;
		if (!org_term_end(&plain, reg))
			req_field_error(req, "extended_until", "no_term", "没有本届换届日期，不能延期");
		else if (date_parse(reg, &r) && date_parse(o->extended_until, &e) && date_cmp(e, r) <= 0)
			req_field_error(req, "extended_until", "R-ORG-03",
					arena_printf(req->arena, "延期至的日期应晚于本届届满日期 %s", reg));
		else if (date_parse(reg, &r) && date_parse(o->extended_until, &e) &&
			 date_cmp(e, date_add_years(r, 1)) > 0) {
			char last[11];
			date_format(date_add_years(r, 1), last);
			req_field_error(req, "extended_until", "R-ORG-03",
					arena_printf(req->arena, "延期换届不得超过届满后1年（本届届满 %s，最晚延至 %s）", reg, last));
		}
		if (!o->extension_reason)
			req_field_error(req, "extension_reason", "required", "请填写延期换届的批准情况");
	}
	o->two_new = codes_two_new_domain(o->domain);
}

/* Validates a committee list [{name, role, started_on?, ended_on?}]: 3–7 current ones
 * are what R-ORG-04 asks of a branch, but any list is stored; alerts say the rest. */
static json_t *read_committee(struct request *req, json_t *b)
{
	json_t *c = json_object_get(b, "committee");
	if (!c)
		return NULL;
	if (!json_is_array(c) || json_array_size(c) > 15) {
		req_field_error(req, "committee", "invalid_list", "委员名单应为不超过15人的列表");
		return NULL;
	}
	size_t i;
	json_t *it;
	json_array_foreach(c, i, it)
	{
		const char *f = arena_printf(req->arena, "committee[%zu]", i);
		json_t *name = json_object_get(it, "name"), *role = json_object_get(it, "role");
		json_t *s = json_object_get(it, "started_on"), *e = json_object_get(it, "ended_on");
		if (!json_is_object(it) || !json_is_string(name) || json_string_length(name) == 0 ||
		    in_utf8_len(json_string_value(name)) > 50)
			req_field_error(req, f, "invalid_name", "请填写委员姓名（不超过50字）");
		else if (!json_is_string(role) || !codes_valid("committee_role", json_string_value(role)))
			req_field_error(req, f, "invalid_code",
					"委员职务无效：应为书记、副书记、组织委员、宣传委员、纪检委员、青年委员、统战委员、保密委员、妇女委员或委员的代码");
		else if ((s && !json_is_null(s) && !(json_is_string(s) && date_valid(json_string_value(s)))) ||
			 (e && !json_is_null(e) && !(json_is_string(e) && date_valid(json_string_value(e)))))
			req_field_error(req, f, "invalid_date", "任职日期应为有效的 YYYY-MM-DD");
	}
	return c;
}

static void reply_org(struct request *req, int status, const struct org_rec *o)
{
	enum db_rc rc;
	json_t *j = org_json(req->db, o, roster_today(), &rc);
	if (!j) {
		req_fail_db(req, rc);
		return;
	}
	req_reply_json(req, status, j);
}

static int by_id(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "id"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "id"));
	return x < y ? -1 : x > y;
}

static void list_ranges(struct request *req, struct org_filter *f, int64_t limit, size_t nr, const char **prefix,
			const char **end, json_t *items);

static bool org_type_ok(const char *v)
{
	return codes_valid("org_type", v);
}

static bool org_domain_ok(const char *v)
{
	return codes_valid("org_domain", v);
}

struct orgs_in {
	int64_t limit, cursor, parent_id;
	const char *type, *domain, *q;
};
static const struct param orgs_params[] = {
	PARAM_INT(struct orgs_in, limit, 1, 200, 50),
	PARAM_INT(struct orgs_in, cursor, 0, INT64_MAX, 0),
	PARAM_ID(struct orgs_in, parent_id, "上级党组织编号无效"),
	PARAM_CHECK(struct orgs_in, type, org_type_ok, "党组织类别无效"),
	PARAM_CHECK(struct orgs_in, domain, org_domain_ok, "所在领域无效"),
	PARAM_STR(struct orgs_in, q, 60),
};
static const struct params orgs_in = PARAMS(struct orgs_in, orgs_params);

static void get_orgs(struct request *req)
{
	const struct orgs_in *in = req->in;
	struct org_filter f = {
		.limit = (int)in->limit + 1,
		.after_id = in->cursor,
		.parent_id = in->parent_id,
		.type = in->type,
		.domain = in->domain,
		.name_like = arena_like_contains(req->arena, in->q),
	};
	int64_t limit = in->limit;
	const char **prefix, **end;
	size_t nr = roster_ranges(req, "org.read", &prefix, &end);
	json_t *items = json_array();
	if (!f.parent_id && !f.type && !f.domain && !f.name_like) {
		/* no filter: the roots of the caller's scope, the top of the tree they see */
		for (size_t i = 0; i < nr; i++) {
			const char *p = prefix[i] + strlen(prefix[i]) - 1;
			while (p > prefix[i] && p[-1] != '/')
				p--;
			struct org_rec o;
			int64_t children, members, formal, prob;
			enum db_rc rc = org_get(req->db, req->arena, strtoll(p, NULL, 10), &o);
			if (rc == DB_OK)
				rc = org_counts(req->db, o.id, &children, &members, &formal, &prob);
			if (rc != DB_OK) {
				json_decref(items);
				req_fail_db(req, rc);
				return;
			}
			json_array_append_new(items, org_summary_json(&o, children));
		}
		req_reply_list(req, items, NULL, (int64_t)nr);
		return;
	}
	list_ranges(req, &f, limit, nr, prefix, end, items);
}

/* The filtered list f over the ranges, merged in id order and cut at limit, each item
 * with its path's names from its range's root (so that same-named branches can be
 * told apart), and the true total of the filter (issue 20 #19, #20). */
static void list_ranges(struct request *req, struct org_filter *f, int64_t limit, size_t nr, const char **prefix,
			const char **end, json_t *items)
{
	int64_t total = 0;
	for (size_t i = 0; i < nr; i++) {
		f->prefix = prefix[i];
		f->end = end[i];
		f->path_from = prefix[i];
		int64_t last = 0, t = 0;
		size_t n, before = json_array_size(items);
		enum db_rc rc = org_list(req->db, req->arena, f, items, &last, &n);
		if (rc == DB_OK)
			rc = org_list_count(req->db, f, &t);
		for (size_t k = before; rc == DB_OK && k < json_array_size(items); k++) {
			json_t *it = json_array_get(items, k), *names = json_array();
			rc = org_path_names(req->db, json_string_value(json_object_get(it, "path")), strlen(prefix[i]), names);
			json_object_set_new(it, "path_names", names);
			json_object_del(it, "path");
		}
		if (rc != DB_OK) {
			json_decref(items);
			req_fail_db(req, rc);
			return;
		}
		total += t;
	}
	/* each range gave its first limit+1 by id: merge them in id order and cut */
	size_t n = json_array_size(items);
	json_t **v_ = arena_alloc(req->arena, sizeof *v_ * (n ? n : 1));
	for (size_t i = 0; i < n; i++)
		v_[i] = json_incref(json_array_get(items, i));
	qsort(v_, n, sizeof *v_, by_id);
	json_array_clear(items);
	for (size_t i = 0; i < n; i++) {
		if (i < (size_t)limit)
			json_array_append(items, v_[i]);
		json_decref(v_[i]);
	}
	const char *next = n > (size_t)limit
				   ? arena_printf(req->arena, "%lld",
						  (long long)json_integer_value(json_object_get(json_array_get(items, (size_t)limit - 1), "id")))
				   : NULL;
	req_reply_list(req, items, next, total);
}

/* Organization picker of role assignment (issue 20 #1): the 安全管理员 assigns roles
 * over any organization but reads no roster: names, types, child counts and paths only,
 * over the whole tree (the role is global). Without parent_id or q: the roots. */
struct picker_in {
	int64_t limit, cursor, parent_id;
	const char *q;
};
static const struct param picker_params[] = {
	PARAM_INT(struct picker_in, limit, 1, 200, 50),
	PARAM_INT(struct picker_in, cursor, 0, INT64_MAX, 0),
	PARAM_ID(struct picker_in, parent_id, "上级党组织编号无效"),
	PARAM_STR(struct picker_in, q, 60),
};
static const struct params picker_in = PARAMS(struct picker_in, picker_params);

static void get_picker(struct request *req)
{
	const struct picker_in *in = req->in;
	struct org_filter f = {
		.limit = (int)in->limit + 1,
		.after_id = in->cursor,
		.parent_id = in->parent_id,
		.name_like = arena_like_contains(req->arena, in->q),
		.roots = !in->parent_id && !in->q,
	};
	static const char *all_prefix[] = {"/"}, *all_end[] = {"0"};
	json_t *items = json_array();
	list_ranges(req, &f, in->limit, 1, all_prefix, all_end, items);
	if (req_failed(req))
		return;
	/* nothing but what a picker shows */
	size_t i;
	json_t *it;
	json_array_foreach(json_object_get(req->out, "items"), i, it)
	{
		json_object_del(it, "domain");
		json_object_del(it, "two_new");
		json_object_del(it, "label");
		json_object_del(it, "short_name");
	}
}

/* One organization's record, with the members of its whole subtree counted as well
 * (the counts on the record itself are its own members, which R-ORG-04/05 judge). */
static void get_org(struct request *req)
{
	struct org_rec o;
	if (!roster_org_in_scope(req, req_param_id(req, "id"), "org.read", &o))
		return;
	reply_org(req, 200, &o);
	if (req_failed(req))
		return;
	struct member_stats *ms = arena_alloc(req->arena, sizeof *ms);
	enum db_rc rc = stats_members(req->db, o.path, scope_path_end(req->arena, o.path), roster_today(), ms);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	json_object_set_new(req->out, "subtree", json_pack("{s:I, s:I, s:I}", "member_count", (json_int_t)ms->total,
							   "formal_count", (json_int_t)ms->formal,
							   "probationary_count", (json_int_t)ms->probationary));
}

struct tree_in {
	int64_t depth;
};
static const struct param tree_params[] = {PARAM_INT(struct tree_in, depth, 0, 10, 2)};
static const struct params tree_in = PARAMS(struct tree_in, tree_params);

static void get_tree(struct request *req)
{
	const struct tree_in *in = req->in;
	struct org_rec o;
	int64_t depth = in->depth;
	if (!roster_org_in_scope(req, req_param_id(req, "id"), "org.read", &o))
		return;
	struct jsonw w;
	jw_init(&w, req->arena, 4096);
	enum db_rc rc = org_tree_write(req->db, &o, (int)depth, &w);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	req_reply_raw(req, 200, "application/json", w.buf, w.len);
}

static void post_org(struct request *req)
{
	json_t *b = in_body(req);
	if (!b)
		return;
	struct org_rec o;
	memset(&o, 0, sizeof o);
	int64_t parent = 0;
	in_int(req, b, "parent_id", IN_REQUIRED, 1, INT64_MAX, &parent);
	read_org(req, b, &o, false);
	json_t *committee = read_committee(req, b);
	if (req_failed(req))
		return;
	struct org_rec p;
	if (!roster_org_in_scope(req, parent, "org.write", &p)) {
		req->err.status = 0;
		req_field_error(req, "parent_id", "not_found", "上级党组织不存在");
		return;
	}
	if (strcmp(p.type, "党小组") == 0) {
		req_field_error(req, "parent_id", "invalid_parent", "党小组下不能再设党组织");
		return;
	}
	if (!o.domain)
		o.domain = p.domain;
	if (!o.domain) {
		req_field_error(req, "domain", "required", "此项必填");
		return;
	}
	o.parent_id = parent;
	o.created_at = clock_now();
	enum db_rc rc = org_insert(req->db, req->arena, &o);
	if (rc == DB_OK && committee)
		rc = org_committee_replace(req->db, o.id, committee);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (audit(req, "org.create", o.id, arena_printf(req->arena, "新建党组织 %s", o.name)) != 0)
		return;
	reply_org(req, 201, &o);
}

static void patch_org(struct request *req)
{
	json_t *b = in_body(req);
	struct org_rec o;
	if (!b || !roster_org_in_scope(req, req_param_id(req, "id"), "org.write", &o))
		return;
	if (in_has(b, "parent_id"))
		req_field_error(req, "parent_id", "read_only", "调整上级党组织请使用“移动”");
	read_org(req, b, &o, true);
	json_t *committee = read_committee(req, b);
	if (req_failed(req))
		return;
	enum db_rc rc = org_update(req->db, &o, clock_now());
	if (rc == DB_OK && committee)
		rc = org_committee_replace(req->db, o.id, committee);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (audit(req, "org.update", o.id, arena_printf(req->arena, "修改党组织 %s", o.name)) != 0)
		return;
	reply_org(req, 200, &o);
}

static void post_move(struct request *req)
{
	json_t *b = in_body(req);
	struct org_rec o, p;
	int64_t parent = 0;
	if (!b || !roster_org_in_scope(req, req_param_id(req, "id"), "org.write", &o))
		return;
	if (!in_int(req, b, "parent_id", IN_REQUIRED, 1, INT64_MAX, &parent))
		return;
	if (!roster_org_in_scope(req, parent, "org.write", &p)) {
		req->err.status = 0;
		req_field_error(req, "parent_id", "not_found", "上级党组织不存在");
		return;
	}
	if (strncmp(p.path, o.path, strlen(o.path)) == 0) {
		req_fail(req, 409, "move_cycle", "不能把党组织移到它自己或它的下级之下");
		return;
	}
	if (strcmp(p.type, "党小组") == 0) {
		req_field_error(req, "parent_id", "invalid_parent", "党小组下不能再设党组织");
		return;
	}
	if (o.parent_id == parent) {
		reply_org(req, 200, &o);
		return;
	}
	enum db_rc rc = org_move(req->db, req->arena, &o, parent, p.path, clock_now());
	if (rc == DB_OK) /* the meetings' paths follow the subtree */
		rc = mtg_move_paths(req->db, o.path, arena_printf(req->arena, "%s%lld/", p.path, (long long)o.id));
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (audit(req, "org.move", o.id, arena_printf(req->arena, "%s 移至 %s", o.name, p.name)) != 0)
		return;
	struct org_rec moved;
	rc = org_get(req->db, req->arena, o.id, &moved);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	reply_org(req, 200, &moved);
}

static void delete_org(struct request *req)
{
	struct org_rec o;
	if (!roster_org_in_scope(req, req_param_id(req, "id"), "org.write", &o))
		return;
	int64_t children, members, formal, prob;
	enum db_rc rc = org_counts(req->db, o.id, &children, &members, &formal, &prob);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (children > 0 || members > 0) {
		req_fail(req, 409, "org_not_empty", "该党组织还有下级组织或党员，不能删除");
		return;
	}
	rc = file_delete_owner(req->db, "org", o.id); /* its own documents go with it */
	if (rc == DB_OK)
		rc = org_delete(req->db, o.id);
	if (rc == DB_CONSTRAINT) {
		req_fail(req, 409, "org_in_use", "该党组织仍被其他记录（党员、账号权限等）引用，不能删除");
		return;
	}
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (audit(req, "org.delete", o.id, arena_printf(req->arena, "删除党组织 %s", o.name)) != 0)
		return;
	req_reply_json(req, 204, NULL);
}

struct alerts_in {
	int64_t org_id;
};
static const struct param alerts_params[] = {PARAM_ID(struct alerts_in, org_id, "党组织编号无效")};
static const struct params alerts_in = PARAMS(struct alerts_in, alerts_params);

static void get_alerts(struct request *req)
{
	const struct alerts_in *in = req->in;
	const char **prefix = NULL, **end = NULL;
	size_t n = roster_org_ranges(req, "org.read", in->org_id, &prefix, &end);
	if (req_failed(req))
		return;
	json_t *items = json_array();
	struct date today = roster_today();
	for (size_t i = 0; i < n; i++) {
		enum db_rc rc = org_alerts_range(req->db, req->arena, prefix[i], end[i], today, items);
		if (rc != DB_OK) {
			json_decref(items);
			req_fail_db(req, rc);
			return;
		}
	}
	req_reply_list(req, items, NULL, (int64_t)json_array_size(items));
}

static void get_grids(struct request *req)
{
	struct org_rec o;
	if (!roster_org_in_scope(req, req_param_id(req, "id"), "org.read", &o))
		return;
	json_t *items = json_array();
	enum db_rc rc = grid_list(req->db, o.id, items);
	if (rc != DB_OK) {
		json_decref(items);
		req_fail_db(req, rc);
		return;
	}
	req_reply_list(req, items, NULL, (int64_t)json_array_size(items));
}

static void post_grid(struct request *req)
{
	json_t *b = in_body(req);
	struct org_rec o;
	if (!b || !roster_org_in_scope(req, req_param_id(req, "id"), "org.write", &o))
		return;
	const char *name = in_str(req, b, "name", IN_REQUIRED, 50), *code = in_str(req, b, "code", IN_OPTIONAL, 30);
	if (req_failed(req))
		return;
	int64_t id;
	enum db_rc rc = grid_insert(req->db, o.id, name, code, &id);
	if (rc == DB_CONSTRAINT) {
		req_field_error(req, "name", "duplicate", "同名网格已存在");
		return;
	}
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (audit(req, "org.grid_create", o.id, arena_printf(req->arena, "新建网格 %s", name)) != 0)
		return;
	req_reply_json(req, 201, json_pack("{s:I, s:I, s:s, s:s?}", "id", (json_int_t)id, "org_id", (json_int_t)o.id,
					   "name", name, "code", code));
}

/* The grid {grid_id} of org {id} in scope, or 404. */
static bool grid_in_org(struct request *req, const char *perm, struct org_rec *o, int64_t *grid)
{
	if (!roster_org_in_scope(req, req_param_id(req, "id"), perm, o))
		return false;
	*grid = req_param_id(req, "grid_id");
	if (req_failed(req))
		return false;
	if (grid_org(req->db, *grid) != o->id) {
		req_fail(req, 404, "not_found", "网格不存在");
		return false;
	}
	return true;
}

static void get_buildings(struct request *req)
{
	struct org_rec o;
	int64_t grid;
	if (!grid_in_org(req, "org.read", &o, &grid))
		return;
	json_t *items = json_array();
	enum db_rc rc = building_list(req->db, grid, items);
	if (rc != DB_OK) {
		json_decref(items);
		req_fail_db(req, rc);
		return;
	}
	req_reply_list(req, items, NULL, (int64_t)json_array_size(items));
}

static void post_building(struct request *req)
{
	json_t *b = in_body(req);
	struct org_rec o;
	int64_t grid, keeper = 0;
	if (!b || !grid_in_org(req, "org.write", &o, &grid))
		return;
	const char *name = in_str(req, b, "name", IN_REQUIRED, 50),
		   *address = in_str(req, b, "address", IN_OPTIONAL, 200);
	if (in_has(b, "org_id") && in_int(req, b, "org_id", IN_OPTIONAL, 1, INT64_MAX, &keeper)) {
		struct org_rec k;
		if (!roster_org_in_scope(req, keeper, "org.write", &k)) {
			req->err.status = 0;
			req_field_error(req, "org_id", "not_found", "党组织不存在");
		}
	}
	if (req_failed(req))
		return;
	int64_t id;
	enum db_rc rc = building_insert(req->db, grid, keeper, name, address, &id);
	if (rc == DB_CONSTRAINT) {
		req_field_error(req, "name", "duplicate", "同名楼院已存在");
		return;
	}
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (audit(req, "org.building_create", o.id, arena_printf(req->arena, "新建楼院 %s", name)) != 0)
		return;
	req_reply_json(req, 201, json_pack("{s:I, s:I, s:o, s:s, s:s?}", "id", (json_int_t)id, "grid_id", (json_int_t)grid,
					   "org_id", keeper ? json_integer(keeper) : json_null(), "name", name, "address",
					   address));
}

static const struct route orgs_routes[] = {
	{"GET", "/api/v1/orgs", get_orgs, "org.read", RF_TX_READ, 0, "organizations in scope (roots, children, search)",
	 &orgs_in},
	{"GET", "/api/v1/orgs/picker", get_picker, "role.assign", RF_TX_READ, 0,
	 "organizations to assign roles over: names and paths only", &picker_in},
	{"POST", "/api/v1/orgs", post_org, "org.write", RF_TX_WRITE, 0, "create an organization"},
	{"GET", "/api/v1/orgs/alerts", get_alerts, "org.read", RF_TX_READ, 0, "R-ORG alerts: terms due/overdue, committees",
	 &alerts_in},
	{"GET", "/api/v1/orgs/{id}", get_org, "org.read", RF_TX_READ, 0, "one organization with counts and alerts"},
	{"PATCH", "/api/v1/orgs/{id}", patch_org, "org.write", RF_TX_WRITE, 0, "change an organization"},
	{"DELETE", "/api/v1/orgs/{id}", delete_org, "org.write", RF_TX_WRITE, 0, "delete an empty organization"},
	{"GET", "/api/v1/orgs/{id}/tree", get_tree, "org.read", RF_TX_READ, 0, "the subtree to ?depth=", &tree_in},
	{"POST", "/api/v1/orgs/{id}/move", post_move, "org.write", RF_TX_WRITE, 0, "move under another parent"},
	{"GET", "/api/v1/orgs/{id}/grids", get_grids, "org.read", RF_TX_READ, 0, "grids of an organization"},
	{"POST", "/api/v1/orgs/{id}/grids", post_grid, "org.write", RF_TX_WRITE, 0, "add a grid"},
	{"GET", "/api/v1/orgs/{id}/grids/{grid_id}/buildings", get_buildings, "org.read", RF_TX_READ, 0, "buildings of a grid"},
	{"POST", "/api/v1/orgs/{id}/grids/{grid_id}/buildings", post_building, "org.write", RF_TX_WRITE, 0, "add a building"},
};
ROUTE_TABLE(orgs);
