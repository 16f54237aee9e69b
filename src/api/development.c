/* development.c: 发展党员's routes (issue 13; model/dev.h): applicants and their 25
 * steps, return-for-edit and withdrawal, the due voters of a branch meeting, the
 * pipeline board and the work list of an organization, the yearly quotas, the
 * statistics, and a member's own progress (我的). An applicant belongs to its branch:
 * outside the caller's scope it answers 404 like a missing one. Who may record a step:
 * dev.write in the branch's scope for the branch's steps; dev.approve over a 党委 or
 * 党工委 above the branch for the approvals, the 预审, the talk and the filings
 * (R-DEV-10 in the model refuses a 党总支 or 党支部). */
#include "api/roster_util.h"
#include "auth/audit.h"
#include "auth/auth.h"
#include "auth/scope.h"
#include "auth/session.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/jsonw.h"
#include "http/input.h"
#include "http/params.h"
#include "model/dev.h"
#include "model/revcache.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void field_err(void *ctx, const char *field, const char *code, const char *message)
{
	req_field_error(ctx, field, code, message);
}

static int audit(struct request *req, const char *action, const struct dev_applicant *a, const char *summary)
{
	struct audit_event ev = {action, "dev_applicant", a->id, a->org_id, true, summary};
	return audit_record(req, &ev);
}

static const char *actor_name(struct request *req)
{
	return req->session && req->session->name ? req->session->name : "";
}

/* Applicant {id} within the caller's scope for perm, or 404. */
static bool load_in_scope(struct request *req, const char *perm, struct dev_applicant *a)
{
	int64_t id = req_param_id(req, "id");
	if (req_failed(req))
		return false;
	enum db_rc rc = dev_load(req->db, req->arena, id, a);
	return roster_found(req, rc, rc == DB_OK && scope_allows(req, perm, a->org_path), "发展对象不存在");
}

static bool is_branch_type(const char *t)
{
	return t && (strcmp(t, "党支部") == 0 || strcmp(t, "联合党支部") == 0 || strcmp(t, "党总支") == 0);
}

static bool is_committee_type(const char *t)
{
	return t && (strcmp(t, "党委") == 0 || strcmp(t, "党工委") == 0);
}

/* ---- applicants ---- */

static const char *const statuses[] = {"active", "withdrawn", "cancelled", "done", NULL};

struct list_in {
	int64_t org_id, stage, limit, cursor;
	const char *status, *q;
};
static const struct param list_params[] = {
	PARAM_ID(struct list_in, org_id, "党组织编号无效"),
	PARAM_INT(struct list_in, stage, 0, 5, 0),
	PARAM_INT(struct list_in, limit, 1, 200, 50),
	PARAM_INT(struct list_in, cursor, 0, INT64_MAX, 0),
	PARAM_ENUM(struct list_in, status, statuses, "状态无效"),
	PARAM_STR(struct list_in, q, 40),
};
static const struct params list_in = PARAMS(struct list_in, list_params);

static int by_id(const void *x, const void *y)
{
	json_int_t a = json_integer_value(json_object_get(*(json_t *const *)x, "id"));
	json_int_t b = json_integer_value(json_object_get(*(json_t *const *)y, "id"));
	return a < b ? -1 : a > b;
}

static void get_applicants(struct request *req)
{
	const struct list_in *in = req->in;
	const char **prefix = NULL, **end = NULL;
	size_t nr = roster_org_ranges(req, "dev.read", in->org_id, &prefix, &end);
	if (req_failed(req))
		return;
	json_t *items = json_array();
	int64_t last = 0;
	for (size_t i = 0; i < nr; i++) {
		/* scope roots are disjoint; a page per root then cut by id */
		enum db_rc rc = dev_list(req->db, req->arena, prefix[i], end[i], (int)in->stage, in->status,
					 arena_like_contains(req->arena, in->q), in->cursor, (int)in->limit + 1, items,
					 &last);
		if (rc != DB_OK) {
			json_decref(items);
			req_fail_db(req, rc);
			return;
		}
	}
	/* several scope roots: their pages merged in id order before the cut */
	if (nr > 1) {
		size_t n = json_array_size(items);
		json_t **v = arena_alloc(req->arena, sizeof *v * (n ? n : 1));
		for (size_t i = 0; i < n; i++)
			v[i] = json_incref(json_array_get(items, i));
		qsort(v, n, sizeof *v, by_id);
		json_array_clear(items);
		for (size_t i = 0; i < n; i++)
			json_array_append_new(items, v[i]);
	}
	const char *next = NULL;
	if (json_array_size(items) > (size_t)in->limit) {
		while (json_array_size(items) > (size_t)in->limit)
			json_array_remove(items, json_array_size(items) - 1);
		next = arena_printf(req->arena, "%lld",
				    (long long)json_integer_value(json_object_get(json_array_get(items, (size_t)in->limit - 1), "id")));
	}
	req_reply_list(req, items, next, (int64_t)json_array_size(items));
}

static void reply_applicant_as(struct request *req, int status, struct dev_applicant *a, bool reveal);

static void reply_applicant(struct request *req, int status, struct dev_applicant *a)
{
	reply_applicant_as(req, status, a, false);
}

static void reply_applicant_as(struct request *req, int status, struct dev_applicant *a, bool reveal)
{
	struct dev_step_row *rows;
	size_t n;
	const char *dates[DEV_STEPS + 1];
	enum db_rc rc = dev_steps(req->db, req->arena, a->id, &rows, &n, dates);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	json_t *j = dev_json(a, reveal);
	json_t *steps = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct dev_step_def *def = dev_step_def(rows[i].step);
		json_t *data = rows[i].data ? json_loads(rows[i].data, 0, NULL) : NULL;
		json_array_append_new(
			steps, json_pack("{s:I, s:i, s:s, s:i, s:s, s:I, s:s, s:s, s:s?, s:o, s:b, s:s?}", "id",
					 (json_int_t)rows[i].id, "step", rows[i].step, "name", def ? def->name : "",
					 "stage", def ? def->stage : 0, "date", rows[i].done_on, "org_id",
					 (json_int_t)rows[i].org_id, "body", rows[i].body, "actor_name", rows[i].actor_name,
					 "notes", rows[i].notes, "data", data ? data : json_object(), "returned",
					 rows[i].returned, "return_reason", rows[i].return_reason));
	}
	json_object_set_new(j, "steps", steps);
	dev_due(a, dates, roster_today(), j);
	/* the 25 steps with their stage and body, for the timeline */
	req_reply_json(req, status, j);
}

struct reveal_in {
	int reveal;
};
static const struct param reveal_params[] = {PARAM_BOOL(struct reveal_in, reveal)};
static const struct params reveal_in = PARAMS(struct reveal_in, reveal_params);

/* A full view's audit row, written once the read has ended well (as members'). */
static int pii_view_audit(struct request *req, void *ctx)
{
	return audit(req, "dev.applicant_pii_view", ctx, "查看申请人完整身份证号码和手机号码") == 0 ? DB_OK : DB_ERROR;
}

static void get_applicant(struct request *req)
{
	const struct reveal_in *in = req->in;
	struct dev_applicant *a = arena_alloc(req->arena, sizeof *a);
	if (!load_in_scope(req, "dev.read", a))
		return;
	bool reveal = in->reveal == 1;
	if (reveal) {
		if (!scope_allows(req, "pii.view", a->org_path)) {
			req_fail(req, 403, "forbidden", "没有查看完整个人信息的权限");
			return;
		}
		enum db_rc rc = dev_unseal(req->db, req->arena, a);
		if (rc != DB_OK) {
			req_fail_db(req, rc);
			return;
		}
		req_after_commit(req, pii_view_audit, a);
	}
	reply_applicant_as(req, 200, a, reveal);
}

static void post_applicant(struct request *req)
{
	json_t *b = in_body(req);
	if (!b)
		return;
	struct dev_applicant a;
	memset(&a, 0, sizeof a);
	int64_t org = 0;
	in_int(req, b, "org_id", IN_REQUIRED, 1, INT64_MAX, &org);
	a.name = in_str(req, b, "name", IN_REQUIRED, 50);
	a.id_number = in_str(req, b, "id_number", IN_REQUIRED, 18);
	a.mobile = in_str(req, b, "mobile", IN_OPTIONAL, 11);
	a.ethnicity = in_str(req, b, "ethnicity", IN_OPTIONAL, 2);
	a.education = in_str(req, b, "education", IN_OPTIONAL, 2);
	a.work_unit = in_str(req, b, "work_unit", IN_OPTIONAL, 100);
	a.unit_type = in_str(req, b, "unit_type", IN_OPTIONAL, 20);
	a.applied_on = in_date(req, b, "applied_on", IN_REQUIRED);
	if (req_failed(req))
		return;
	struct org_rec o;
	if (!roster_org_in_scope(req, org, "dev.write", &o)) {
		req->err.status = 0;
		req_field_error(req, "org_id", "not_found", "党组织不存在");
		return;
	}
	if (!is_branch_type(o.type)) {
		req_field_error(req, "org_id", "not_branch", "入党申请由党支部（党总支）受理");
		return;
	}
	a.org_id = o.id;
	a.org_name = o.name;
	if (dev_validate_new(&a, roster_today(), req->arena, field_err, req) || req_failed(req))
		return;
	unsigned char blind[DJ_BLIND_LEN];
	member_id_blind(a.id_number, blind);
	char where;
	enum db_rc rc = dev_find_person(req->db, req->arena, blind, &where);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (where) {
		req_field_error(req, "id_number", "duplicate",
				where == 'm' ? "此人已是党员，不能再登记为入党申请人" : "此人已登记为入党申请人");
		return;
	}
	a.created_at = a.updated_at = clock_now();
	rc = dev_insert(req->db, req->arena, &a, req->session ? req->session->user_id : 0, actor_name(req));
	if (rc == DB_CONSTRAINT) {
		req_field_error(req, "id_number", "duplicate", "此人已登记为入党申请人");
		return;
	}
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (audit(req, "dev.applicant_create", &a, arena_printf(req->arena, "登记入党申请人 id=%lld", (long long)a.id)))
		return;
	a.birth_date = a.birth_date ? a.birth_date : "";
	reply_applicant(req, 201, &a);
}

/* ---- steps ---- */

static bool read_count(struct request *req, json_t *v, const char *field, int64_t *out)
{
	json_t *x = json_object_get(v, field);
	if (!x) {
		*out = 0;
		return true;
	}
	if (!json_is_integer(x) || json_integer_value(x) < 0 || json_integer_value(x) > 100000) {
		req_field_error(req, arena_printf(req->arena, "vote.%s", field), "invalid_number", "应为不小于0的整数");
		return false;
	}
	*out = json_integer_value(x);
	return true;
}

/* The acting organization of a committee step: ?org_id, or the nearest 党委/党工委
 * above the branch; it must lie above the branch (404-like field error otherwise). */
static bool acting_org(struct request *req, const struct dev_applicant *a, int step, int64_t given, struct org_rec *o)
{
	if (given > 0) {
		enum db_rc rc = org_get(req->db, req->arena, given, o);
		size_t l = rc == DB_OK ? strlen(o->path) : 0;
		if (rc != DB_OK || l >= strlen(a->org_path) || strncmp(o->path, a->org_path, l) != 0) {
			if (rc != DB_OK && rc != DB_NOT_FOUND) {
				req_fail_db(req, rc);
				return false;
			}
			if (rc == DB_OK && strcmp(o->path, a->org_path) == 0)
				return true; /* the branch itself: R-DEV-10 says why not */
			req_field_error(req, "org_id", "not_above", "办理机关应为该党支部的上级党组织");
			return false;
		}
		return true;
	}
	/* walk up the path "/1/2/3/" from the parent (for the filing of step 18, from the
	 * parent of the committee that approved) */
	char *p = arena_strdup(req->arena, a->org_path);
	if (step == 18 && a->approved_org_id > 0) {
		struct org_rec ap;
		enum db_rc rc = org_get(req->db, req->arena, a->approved_org_id, &ap);
		if (rc != DB_OK) {
			req_fail_db(req, rc);
			return false;
		}
		p = arena_strdup(req->arena, ap.path);
	}
	size_t l = strlen(p);
	if (l > 1)
		p[l - 1] = 0;
	char *slash;
	while ((slash = strrchr(p, '/')) && slash != p) {
		*slash = 0;
		char *id = strrchr(p, '/');
		if (!id)
			break;
		enum db_rc rc = org_get(req->db, req->arena, strtoll(id + 1, NULL, 10), o);
		if (rc != DB_OK) {
			req_fail_db(req, rc);
			return false;
		}
		if (is_committee_type(o->type))
			return true;
	}
	req_field_error(req, "org_id", "R-DEV-10", "该党支部没有上级基层党委");
	return false;
}

/* Reads a step from b, checks it against the applicant a and writes it (the request
 * fails on the first refusal); true when written. */
static bool record_step(struct request *req, json_t *b, struct dev_applicant *a_in)
{
	struct dev_applicant a = *a_in;
	struct dev_step_in in;
	memset(&in, 0, sizeof in);
	int64_t step = 0, org = 0;
	in_int(req, b, "step", IN_REQUIRED, 1, 25, &step);
	in.step = (int)step;
	in.date = in_date(req, b, "date", IN_REQUIRED);
	in_int(req, b, "org_id", IN_OPTIONAL, 1, INT64_MAX, &org);
	in.body = in_str(req, b, "body", IN_OPTIONAL, 30);
	in.notes = in_str(req, b, "notes", IN_OPTIONAL | IN_MULTILINE, 1000);
	in.contacts = json_object_get(b, "contacts");
	in.introducers = json_object_get(b, "introducers");
	in.conclusion = in_str(req, b, "conclusion", IN_OPTIONAL, 10);
	in_int(req, b, "hours", IN_OPTIONAL, 0, 1000, &in.hours);
	in_int(req, b, "days", IN_OPTIONAL, 0, 100, &in.days);
	in.result = in_str(req, b, "result", IN_OPTIONAL, 10);
	in.publicity_start = in_date(req, b, "publicity_start", IN_OPTIONAL);
	in.decision = in_str(req, b, "decision", IN_OPTIONAL, 10);
	in_int(req, b, "extension_months", IN_OPTIONAL, 0, 24, &in.extension_months);
	in.delay_reason = in_str(req, b, "delay_reason", IN_OPTIONAL, 200);
	json_t *v = json_object_get(b, "vote");
	if (v) {
		if (!json_is_object(v)) {
			req_field_error(req, "vote", "invalid", "表决情况应为对象");
		} else {
			in.vote.given = true;
			read_count(req, v, "present", &in.vote.present);
			read_count(req, v, "absent_written", &in.vote.absent_written);
			read_count(req, v, "ballots_issued", &in.vote.ballots_issued);
			read_count(req, v, "ballots_returned", &in.vote.ballots_returned);
			read_count(req, v, "yes", &in.vote.yes);
			read_count(req, v, "no", &in.vote.no);
			read_count(req, v, "abstain", &in.vote.abstain);
		}
	}
	if (req_failed(req))
		return false;
	const struct dev_step_def *def = dev_step_def(in.step);
	/* a step recorded meanwhile by someone else: the later request loses (409) */
	if (def && strcmp(a.status, "active") == 0 && in.step <= a.last_step && !(in.step == 6 && a.last_step == 6)) {
		req_fail(req, 409, "conflict", arena_printf(req->arena, "第%d步（%s）已办理", in.step, def->name));
		return false;
	}
	struct org_rec o;
	if (def && def->level != DEV_BRANCH) {
		if (!acting_org(req, &a, in.step, org, &o))
			return false;
		in.org_id = o.id;
		in.org_path = o.path;
		in.org_type = o.type;
		if (in.step == 18 && a.approved_org_id > 0) {
			/* the filing is with the level above the committee that approved (step 17) */
			struct org_rec ap;
			enum db_rc rc = org_get(req->db, req->arena, a.approved_org_id, &ap);
			if (rc != DB_OK) {
				req_fail_db(req, rc);
				return false;
			}
			size_t l = strlen(o.path);
			if (l >= strlen(ap.path) || strncmp(o.path, ap.path, l) != 0) {
				req_field_error(req, "org_id", "R-DEV-10",
						arena_printf(req->arena, "应报审批党委（%s）的上级党组织备案", ap.name));
				return false;
			}
		}
		if (is_committee_type(o.type) && !scope_allows(req, "dev.approve", o.path)) {
			req_fail(req, 403, "forbidden", arena_printf(req->arena, "没有以%s名义审批的权限", o.name));
			return false;
		}
	} else {
		in.org_id = a.org_id;
		in.org_path = a.org_path;
	}
	json_t *data = NULL;
	struct date today = roster_today();
	struct dev_step_row *rows;
	size_t n;
	const char *dates[DEV_STEPS + 1];
	enum db_rc rc = dev_steps(req->db, req->arena, a.id, &rows, &n, dates);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return false;
	}
	dev_check_step(req->db, req->arena, &a, dates, &in, today, field_err, req, &data, &rc);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return false;
	}
	if (req_failed(req) || !data)
		return false;
	rc = dev_commit_step(req->db, req->arena, &a, &in, data, req->session ? req->session->user_id : 0,
			     actor_name(req), clock_now(), today, field_err, req);
	json_decref(data);
	if (rc != DB_OK) {
		if (!req_failed(req))
			req_fail_db(req, rc);
		return false;
	}
	if (audit(req, "dev.step", &a,
		  arena_printf(req->arena, "第%d步 %s %s", in.step, def->name, in.date)))
		return false;
	return true;
}

static void post_step(struct request *req)
{
	json_t *b = in_body(req);
	struct dev_applicant a;
	if (!b || !load_in_scope(req, "dev.write", &a) || !record_step(req, b, &a))
		return;
	struct dev_applicant fresh;
	enum db_rc rc = dev_load(req->db, req->arena, a.id, &fresh);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	reply_applicant(req, 201, &fresh);
}

/* Batch (issue 13 #10): the same step (a 谈话 date, a training) for several applicants,
 * all or nothing: {ids: [..], step, date, …the step's fields}. A refusal names the
 * applicant (field "ids[i]") and the rule; nothing is written then. */
static void post_batch(struct request *req)
{
	json_t *b = in_body(req);
	if (!b)
		return;
	json_t *ids = json_object_get(b, "ids");
	if (!json_is_array(ids) || json_array_size(ids) == 0 || json_array_size(ids) > 100) {
		req_field_error(req, "ids", "invalid_list", "请选择1至100名发展对象");
		return;
	}
	size_t i;
	json_t *it;
	json_array_foreach(ids, i, it)
	{
		struct dev_applicant a;
		enum db_rc rc = json_is_integer(it) ? dev_load(req->db, req->arena, json_integer_value(it), &a) : DB_NOT_FOUND;
		if (rc == DB_NOT_FOUND || (rc == DB_OK && !scope_allows(req, "dev.write", a.org_path))) {
			req_field_error(req, arena_printf(req->arena, "ids[%zu]", i), "not_found", "发展对象不存在");
			return;
		}
		if (rc != DB_OK) {
			req_fail_db(req, rc);
			return;
		}
		if (!record_step(req, b, &a)) {
			/* say whose step was refused */
			if (req->err.status == 400)
				req_field_error(req, arena_printf(req->arena, "ids[%zu]", i), "refused",
						arena_printf(req->arena, "%s 的这一步未通过检查，全部未记录", a.name));
			return;
		}
	}
	req_reply_json(req, 201, json_pack("{s:I}", "recorded", (json_int_t)json_array_size(ids)));
}

static void post_return(struct request *req)
{
	json_t *b = in_body(req);
	struct dev_applicant a;
	if (!b || !load_in_scope(req, "dev.write", &a))
		return;
	const char *reason = in_str(req, b, "reason", IN_REQUIRED | IN_MULTILINE, 500);
	int64_t step = 0;
	in_int(req, b, "step", IN_REQUIRED, 2, 25, &step);
	if (req_failed(req))
		return;
	if (strcmp(a.status, "active") != 0) {
		req_fail(req, 409, "not_active", "该发展对象已终止或已完成");
		return;
	}
	if (step != a.last_step) {
		req_fail(req, 409, "conflict", arena_printf(req->arena, "只能退回最近办理的第%d步", a.last_step));
		return;
	}
	if (step == 15 || step == 24) {
		req_fail(req, 409, "roster_changed", "该步骤已变更党员名册，不能退回，请通过党员管理更正");
		return;
	}
	struct dev_step_row *rows;
	size_t n;
	const char *dates[DEV_STEPS + 1];
	enum db_rc rc = dev_steps(req->db, req->arena, a.id, &rows, &n, dates);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	int64_t step_id = 0;
	for (size_t i = 0; i < n; i++)
		if (rows[i].step == step && !rows[i].returned)
			step_id = rows[i].id;
	/* the date of the step before, now the last */
	const char *prev = a.applied_on;
	for (size_t i = 0; i < n; i++)
		if (!rows[i].returned && rows[i].id != step_id && rows[i].step < step)
			prev = rows[i].done_on;
	rc = dev_return_last(req->db, &a, step_id, reason, prev, clock_now());
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (audit(req, "dev.return", &a, arena_printf(req->arena, "退回第%lld步：%s", (long long)step, reason)))
		return;
	struct dev_applicant fresh;
	if (dev_load(req->db, req->arena, a.id, &fresh) != DB_OK) {
		req_fail(req, 500, "internal", "内部错误");
		return;
	}
	reply_applicant(req, 200, &fresh);
}

static void post_withdraw(struct request *req)
{
	json_t *b = in_body(req);
	struct dev_applicant a;
	if (!b || !load_in_scope(req, "dev.write", &a))
		return;
	const char *reason = in_str(req, b, "reason", IN_REQUIRED | IN_MULTILINE, 500);
	if (req_failed(req))
		return;
	if (strcmp(a.status, "active") != 0) {
		req_fail(req, 409, "not_active", "该发展对象已终止或已完成");
		return;
	}
	if (a.member_id > 0) {
		req_fail(req, 409, "probationary", "已接收为预备党员，应由支部大会讨论取消预备党员资格（第23步）");
		return;
	}
	enum db_rc rc = dev_withdraw(req->db, &a, reason, clock_now());
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (audit(req, "dev.withdraw", &a, arena_printf(req->arena, "终止发展：%s", reason)))
		return;
	reply_applicant(req, 200, &a);
}

struct voters_in {
	const char *date;
};
static const struct param voters_params[] = {
	{PARAM_F_(struct voters_in, date, "date", PARAM_T_DATE, PARAM_REQUIRED)},
};
static const struct params voters_in = PARAMS(struct voters_in, voters_params);

static void get_voters(struct request *req)
{
	const struct voters_in *in = req->in;
	struct dev_applicant a;
	if (!load_in_scope(req, "dev.read", &a))
		return;
	int64_t due = 0;
	enum db_rc rc = dev_due_voters(req->db, a.org_path, in->date, &due);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	req_reply_json(req, 200, json_pack("{s:s, s:I, s:I, s:I}", "date", in->date, "due", (json_int_t)due, "quorum",
					   (json_int_t)(due / 2 + 1), "majority", (json_int_t)(due / 2 + 1)));
}

/* ---- board, work list, quotas, statistics ---- */

struct org_in {
	int64_t org_id;
};
static const struct param org_params[] = {PARAM_ID(struct org_in, org_id, "党组织编号无效")};
static const struct params org_in = PARAMS(struct org_in, org_params);

/* The board and the work list are built once per (ranges, day) at a revision of what
 * they show (the records, dev_rev; the organizations' names, org_rev): the scope is
 * checked on each request, the answer is the same for everyone whose ranges these are.
 * Built, the board of a 基层党委 with 2,000 applicants was ~1 ms of CPU and its work
 * list ~100 ms; kept, each is a copy. A key too long to keep is not kept. */
REVCACHE_BLOB_DEFINE(board_cache, 64);
REVCACHE_BLOB_DEFINE(warn_cache, 64);

struct view_key {
	char k[512];
	int64_t epoch, rev, day;
	bool ok;
};

static void view_key(struct request *req, struct view_key *v, const char **prefix, size_t nr)
{
	int64_t org_rev;
	dev_view_revision(req->db, &v->epoch, &v->rev, &org_rev);
	v->day = date_to_days(roster_today());
	int kl = snprintf(v->k, sizeof v->k, "%lld", (long long)org_rev);
	for (size_t i = 0; i < nr && kl > 0 && (size_t)kl < sizeof v->k; i++)
		kl += snprintf(v->k + kl, sizeof v->k - (size_t)kl, "|%s", prefix[i]);
	v->ok = v->rev >= 0 && org_rev >= 0 && kl > 0 && (size_t)kl < sizeof v->k;
}

static bool view_hit(struct request *req, struct revcache *c, const struct view_key *v)
{
	char *hit;
	size_t len;
	if (!v->ok || !revcache_get_blob(c, v->k, v->epoch, v->rev, v->day, req->arena, &hit, &len))
		return false;
	req_reply_raw(req, 200, "application/json", hit, len);
	return true;
}

/* Replies out (taken) as the server would, and keeps its bytes. */
static void view_reply(struct request *req, struct revcache *c, const struct view_key *v, json_t *out)
{
	char *text = json_dumps(out, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!text) {
		req_reply_json(req, 200, out);
		return;
	}
	json_decref(out);
	size_t len = strlen(text);
	char *copy = arena_memdup(req->arena, text, len + 1);
	free(text);
	if (v->ok)
		revcache_put_blob(c, v->k, v->epoch, v->rev, v->day, copy, len);
	req_reply_raw(req, 200, "application/json", copy, len);
}

static void get_board(struct request *req)
{
	const struct org_in *in = req->in;
	const char **prefix = NULL, **end = NULL;
	size_t nr = roster_org_ranges(req, "dev.read", in->org_id, &prefix, &end);
	if (req_failed(req))
		return;
	struct view_key vk;
	view_key(req, &vk, prefix, nr);
	if (view_hit(req, &board_cache, &vk))
		return;
	json_t *out = json_object(), *orgs = json_array();
	int64_t total = 0, overdue = 0, st[5] = {0}, ov[5] = {0};
	for (size_t i = 0; i < nr; i++) {
		json_t *part = json_object();
		enum db_rc rc = dev_board(req->db, req->arena, prefix[i], end[i], roster_today(), part);
		if (rc != DB_OK) {
			json_decref(part);
			json_decref(out);
			json_decref(orgs);
			req_fail_db(req, rc);
			return;
		}
		json_array_extend(orgs, json_object_get(part, "orgs"));
		total += json_integer_value(json_object_get(part, "total"));
		overdue += json_integer_value(json_object_get(part, "overdue"));
		for (int s = 0; s < 5; s++) {
			json_t *x = json_array_get(json_object_get(part, "stages"), (size_t)s);
			st[s] += json_integer_value(json_object_get(x, "count"));
			ov[s] += json_integer_value(json_object_get(x, "overdue"));
		}
		json_decref(part);
	}
	json_t *stages = json_array();
	for (int s = 0; s < 5; s++)
		json_array_append_new(stages, json_pack("{s:i, s:s, s:I, s:I}", "stage", s + 1, "name", dev_stage_name(s + 1),
							"count", (json_int_t)st[s], "overdue", (json_int_t)ov[s]));
	json_object_set_new(out, "stages", stages);
	json_object_set_new(out, "orgs", orgs);
	json_object_set_new(out, "total", json_integer(total));
	json_object_set_new(out, "overdue", json_integer(overdue));
	view_reply(req, &board_cache, &vk, out);
}

static void get_warnings(struct request *req)
{
	const struct org_in *in = req->in;
	const char **prefix = NULL, **end = NULL;
	size_t nr = roster_org_ranges(req, "dev.read", in->org_id, &prefix, &end);
	if (req_failed(req))
		return;
	struct view_key vk;
	view_key(req, &vk, prefix, nr);
	if (view_hit(req, &warn_cache, &vk))
		return;
	struct jsonw w;
	jw_init(&w, req->arena, 65536);
	jw_object(&w);
	jw_key(&w, "items");
	jw_array(&w);
	int64_t n = 0;
	for (size_t i = 0; i < nr; i++) {
		enum db_rc rc = dev_warnings(req->db, prefix[i], end[i], roster_today(), &w, &n);
		if (rc != DB_OK) {
			req_fail_db(req, rc);
			return;
		}
	}
	jw_array_end(&w);
	jw_kstr(&w, "next_cursor", NULL);
	jw_kint(&w, "total", n);
	jw_object_end(&w);
	if (vk.ok)
		revcache_put_blob(&warn_cache, vk.k, vk.epoch, vk.rev, vk.day, w.buf, w.len);
	req_reply_raw(req, 200, "application/json", w.buf, w.len);
}

struct quota_in {
	int64_t org_id, year;
};
static const struct param quota_params[] = {
	PARAM_ID(struct quota_in, org_id, "党组织编号无效"),
	PARAM_INT(struct quota_in, year, 0, 2199, 0),
};
static const struct params quota_in = PARAMS(struct quota_in, quota_params);

static void get_quotas(struct request *req)
{
	const struct quota_in *in = req->in;
	int year = in->year >= 1900 ? (int)in->year : roster_today().y;
	const char **prefix = NULL, **end = NULL;
	size_t nr = roster_org_ranges(req, "dev.read", in->org_id, &prefix, &end);
	if (req_failed(req))
		return;
	json_t *items = json_array();
	for (size_t i = 0; i < nr; i++) {
		enum db_rc rc = dev_quota_list(req->db, prefix[i], end[i], year, items);
		if (rc != DB_OK) {
			json_decref(items);
			req_fail_db(req, rc);
			return;
		}
	}
	req_reply_list(req, items, NULL, (int64_t)json_array_size(items));
}

static void put_quota(struct request *req)
{
	json_t *b = in_body(req);
	if (!b)
		return;
	int64_t org = 0, year = 0, quota = 0;
	in_int(req, b, "org_id", IN_REQUIRED, 1, INT64_MAX, &org);
	in_int(req, b, "year", IN_REQUIRED, 2000, 2199, &year);
	in_int(req, b, "quota", IN_REQUIRED, 0, 100000, &quota);
	if (req_failed(req))
		return;
	struct org_rec o;
	if (!roster_org_in_scope(req, org, "dev.quota", &o)) {
		req->err.status = 0;
		req_field_error(req, "org_id", "not_found", "党组织不存在");
		return;
	}
	if (!is_committee_type(o.type)) {
		req_field_error(req, "org_id", "R-DEV-16", "发展指标下达到基层党委（党委、党工委）");
		return;
	}
	int64_t q, used;
	bool set;
	enum db_rc rc = dev_quota(req->db, o.id, (int)year, &q, &set, &used);
	if (rc == DB_OK && quota < used) {
		req_field_error(req, "quota", "R-DEV-16",
				arena_printf(req->arena, "本年度已审批%lld名，指标不能少于已用数", (long long)used));
		return;
	}
	if (rc == DB_OK)
		rc = dev_quota_put(req->db, o.id, (int)year, quota, clock_now());
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	struct audit_event ev = {"dev.quota", "org", o.id, o.id, true,
				 arena_printf(req->arena, "%lld年发展指标 %s %lld名", (long long)year, o.name, (long long)quota)};
	if (audit_record(req, &ev))
		return;
	req_reply_json(req, 200, json_pack("{s:I, s:s, s:I, s:I, s:I, s:I}", "org_id", (json_int_t)o.id, "org_name", o.name,
					   "year", (json_int_t)year, "quota", (json_int_t)quota, "used", (json_int_t)used,
					   "left", (json_int_t)(quota - used)));
}

struct stats_in {
	int64_t org_id;
	const char *from, *to;
};
static const struct param stats_params[] = {
	PARAM_ID(struct stats_in, org_id, "党组织编号无效"),
	PARAM_DATE(struct stats_in, from),
	PARAM_DATE(struct stats_in, to),
};
static const struct params stats_in = PARAMS(struct stats_in, stats_params);

static void get_stats(struct request *req)
{
	const struct stats_in *in = req->in;
	struct date today = roster_today();
	char from[11], to[11];
	date_format((struct date){today.y, 1, 1}, from);
	date_format((struct date){today.y, 12, 31}, to);
	if (in->from)
		memcpy(from, in->from, 11);
	if (in->to)
		memcpy(to, in->to, 11);
	if (strcmp(from, to) > 0) {
		req_field_error(req, "to", "invalid_range", "结束日期不能早于开始日期");
		return;
	}
	const char **prefix = NULL, **end = NULL;
	size_t nr = roster_org_ranges(req, "stats.read", in->org_id, &prefix, &end);
	if (req_failed(req))
		return;
	struct dev_stats s;
	memset(&s, 0, sizeof s);
	for (size_t i = 0; i < nr; i++) {
		enum db_rc rc = dev_stats_range(req->db, prefix[i], end[i], from, to, &s);
		if (rc != DB_OK) {
			req_fail_db(req, rc);
			return;
		}
	}
	json_t *stages = json_array();
	for (int k = 1; k <= 5; k++)
		json_array_append_new(stages, json_pack("{s:i, s:s, s:I}", "stage", k, "name", dev_stage_name(k), "count",
							(json_int_t)s.stage[k]));
	req_reply_json(req, 200,
		       json_pack("{s:s, s:s, s:{s:I, s:I, s:I, s:I, s:I, s:I}, s:{s:I, s:I, s:I, s:I, s:o}}", "from", from,
				 "to", to, "developed", "total", (json_int_t)s.developed, "under_35",
				 (json_int_t)s.under_35, "college_plus", (json_int_t)s.college_plus, "two_new",
				 (json_int_t)s.two_new, "women", (json_int_t)s.women, "minorities",
				 (json_int_t)s.minorities, "pipeline", "applicants", (json_int_t)s.applicants, "activists",
				 (json_int_t)s.activists, "candidates", (json_int_t)s.candidates, "probationary",
				 (json_int_t)s.probationary, "stages", stages));
}

/* 我的: the caller's own way from 预备党员 on (an applicant before step 15 has no account
 * of a member yet). */
static void get_my_development(struct request *req)
{
	long long mid = auth_member_id(req);
	struct dev_applicant a;
	if (mid <= 0 || dev_by_member(req->db, req->arena, mid, &a) != DB_OK) {
		req_fail(req, 404, "not_found", "没有本人的发展党员记录");
		return;
	}
	reply_applicant(req, 200, &a);
}

static const struct route development_routes[] = {
	{"GET", "/api/v1/development/applicants", get_applicants, "dev.read", RF_TX_READ, 0,
	 "applicants in scope by stage and status", &list_in},
	{"POST", "/api/v1/development/applicants", post_applicant, "dev.write", RF_TX_WRITE, 0,
	 "register an applicant (step 1)"},
	{"GET", "/api/v1/development/applicants/{id}", get_applicant, "dev.read", RF_TX_READ, 0,
	 "an applicant with every step, what is due and the warnings (?reveal=1 audited)", &reveal_in},
	{"POST", "/api/v1/development/applicants/{id}/steps", post_step, "dev.write", RF_TX_WRITE, 0,
	 "record the next step (rules R-DEV-01…16)"},
	{"POST", "/api/v1/development/batch", post_batch, "dev.write", RF_TX_WRITE, 0,
	 "record the same step for several applicants, all or nothing"},
	{"POST", "/api/v1/development/applicants/{id}/return", post_return, "dev.write", RF_TX_WRITE, 0,
	 "return the last step for editing (退回修改) with a reason"},
	{"POST", "/api/v1/development/applicants/{id}/withdraw", post_withdraw, "dev.write", RF_TX_WRITE, 0,
	 "end the way (终止) with a reason"},
	{"GET", "/api/v1/development/applicants/{id}/voters", get_voters, "dev.read", RF_TX_READ, 0,
	 "voters due at the branch meeting on ?date (R-DEV-08)", &voters_in},
	{"GET", "/api/v1/development/board", get_board, "dev.read", RF_TX_READ, 0, "the pipeline board of ?org_id",
	 &org_in},
	{"GET", "/api/v1/development/warnings", get_warnings, "dev.read", RF_TX_READ, 0,
	 "the work list: due and overdue", &org_in},
	{"GET", "/api/v1/development/quotas", get_quotas, "dev.read", RF_TX_READ, 0, "yearly quotas with used/left",
	 &quota_in},
	{"PUT", "/api/v1/development/quotas", put_quota, "dev.quota", RF_TX_WRITE, 0, "set a committee's yearly quota"},
	{"GET", "/api/v1/stats/development", get_stats, "stats.read", RF_TX_READ | RF_REPLICA, 0,
	 "development statistics of a subtree and period", &stats_in},
	{"GET", "/api/v1/me/development", get_my_development, "self.read", RF_TX_READ, 0,
	 "the caller's own development record"},
};
ROUTE_TABLE(development);
