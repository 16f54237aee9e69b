/* services.c: 三社联动 community service requests (issue 18, DOMAIN.md §7): the service
 * catalogue, the staff queue (list, record, dispatch / reassign, 不予受理, notes, the
 * audited full contact), the assignees' tasks (start, 办结, 退回), the residents' public
 * routes (file, follow by link + code, rate by a signed single-use token), Open311 API
 * keys and the statistics. Open311 itself is src/api/open311.c. */
#include "api/roster_util.h"
#include "api/services_util.h"
#include "auth/audit.h"
#include "auth/scope.h"
#include "auth/session.h"
#include "config.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "http/input.h"
#include "http/params.h"
#include "api/files.h"
#include "core/image.h"
#include "model/file.h"
#include "model/grid.h"
#include "model/outbox.h"
#include "model/token.h"
#include <stdlib.h>
#include <string.h>

/* a resident's photo: one per request, at most this many bytes (the route's body cap; the
 * public config tells the page, which downsizes a camera photo well below it) */
#define SVC_PHOTO_MAX (8 << 20)

/* ---- the catalogue ----------------------------------------------------------------- */

static void get_catalog(struct request *req)
{
	json_t *items = json_array();
	enum db_rc rc = svc_service_list(req->db, req->arena, false, false, items);
	if (rc != DB_OK) {
		json_decref(items);
		req_fail_db(req, rc);
		return;
	}
	req_reply_list(req, items, NULL, (int64_t)json_array_size(items));
}

static bool code_ok(const char *c)
{
	size_t n = strlen(c);
	if (n == 0 || n > 30)
		return false;
	for (const char *p = c; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		      *p == '_'))
			return false;
	return true;
}

/* Reads a service from b into s (patch: absent fields keep s's). */
static void read_service(struct request *req, json_t *b, struct svc_service *s, bool patch)
{
	int64_t v;
	if (!patch || in_has(b, "code")) {
		s->code = in_str(req, b, "code", IN_REQUIRED, 30);
		if (s->code && !code_ok(s->code))
			req_field_error(req, "code", "invalid_code", "编码只能由字母、数字、- 和 _ 组成（不超过30位）");
	}
	if (!patch || in_has(b, "name"))
		s->name = in_str(req, b, "name", IN_REQUIRED, 50);
	if (!patch || in_has(b, "description"))
		s->description = in_str(req, b, "description", IN_OPTIONAL | IN_NULLABLE | IN_MULTILINE, 1000);
	if (!patch || in_has(b, "group"))
		s->group = in_str(req, b, "group", IN_REQUIRED, 30);
	if (!patch || in_has(b, "skill"))
		s->skill = in_str(req, b, "skill", IN_OPTIONAL | IN_NULLABLE, 20);
	if (!patch || in_has(b, "keywords"))
		s->keywords = in_str(req, b, "keywords", IN_OPTIONAL | IN_NULLABLE, 100);
	if (!patch || in_has(b, "sla_hours"))
		if (in_int(req, b, "sla_hours", IN_REQUIRED, 1, 2000, &v))
			s->sla_hours = v;
	if (in_has(b, "org_id") && in_int(req, b, "org_id", IN_OPTIONAL, 1, INT64_MAX, &v)) {
		struct org_rec o;
		if (roster_org_in_scope(req, v, "service.admin", &o)) {
			s->org_id = v;
		} else {
			req->err.status = 0;
			req_field_error(req, "org_id", "not_found", "党组织不存在");
		}
	}
	bool active;
	if (in_bool(req, b, "active", IN_OPTIONAL, &active))
		s->active = active;
	json_t *h = json_object_get(b, "handler_org_ids");
	if (h) {
		size_t i;
		json_t *it;
		bool ok = json_is_array(h) && json_array_size(h) <= 20;
		json_array_foreach(h, i, it)
		{
			struct org_rec o;
			if (!ok || !json_is_integer(it) || !roster_org_in_scope(req, json_integer_value(it), "service.admin", &o)) {
				ok = false;
				break;
			}
		}
		if (!ok) {
			req->err.status = 0;
			req_field_error(req, "handler_org_ids", "invalid_list", "承办组织应为管辖范围内的党组织编号列表");
		} else {
			char *d = json_dumps(h, JSON_COMPACT);
			s->handler_org_ids = arena_strdup(req->arena, d ? d : "[]");
			free(d);
		}
	}
	json_t *at = json_object_get(b, "attributes");
	if (at) {
		/* Open311 attributes: [{code, datatype, required, description, order, values?}] */
		static const char *const types[] = {"string", "number", "datetime", "text", "singlevaluelist",
						    "multivaluelist", NULL};
		size_t i;
		json_t *it;
		bool ok = json_is_array(at) && json_array_size(at) <= 20;
		json_array_foreach(at, i, it)
		{
			const char *c = json_string_value(json_object_get(it, "code"));
			const char *t = json_string_value(json_object_get(it, "datatype"));
			bool known = false;
			for (int k = 0; t && types[k]; k++)
				known |= strcmp(types[k], t) == 0;
			if (!ok || !json_is_object(it) || !c || !code_ok(c) || !known ||
			    !json_is_string(json_object_get(it, "description")))
				ok = false;
		}
		if (!ok) {
			req_field_error(req, "attributes", "invalid_list", "附加字段应为 Open311 attributes 列表");
		} else {
			char *d = json_dumps(at, JSON_COMPACT);
			s->attributes = arena_strdup(req->arena, d ? d : "[]");
			free(d);
		}
	}
}

/* The end of a catalogue write that returned rc: a code already taken is the field's
 * error; else the write is audited (action, verb: 新增 or 修改) and s answered with
 * status. */
static void catalog_saved(struct request *req, enum db_rc rc, const struct svc_service *s, const char *action,
			  const char *verb, int status)
{
	if (rc == DB_CONSTRAINT) {
		req_field_error(req, "code", "duplicate", "该编码已存在");
		return;
	}
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	struct audit_event ev = {action, "service", s->id, s->org_id, true,
				 arena_printf(req->arena, "%s服务事项 %s %s", verb, s->code, s->name)};
	if (audit_record(req, &ev) != 0)
		return;
	req_reply_json(req, status, svc_service_json(s));
}

static void post_catalog(struct request *req)
{
	json_t *b = in_body(req);
	if (!b)
		return;
	struct svc_service s = {.active = true};
	read_service(req, b, &s, false);
	if (req_failed(req))
		return;
	if (!s.org_id) { /* the caller's own organization: the district */
		const char **roots;
		if (scope_roots(req, "service.admin", &roots) == 0) {
			req_fail(req, 404, "not_found", "没有可用的党组织");
			return;
		}
		const char *p = roots[0] + strlen(roots[0]) - 1;
		while (p > roots[0] && p[-1] != '/')
			p--;
		s.org_id = strtoll(p, NULL, 10);
	}
	catalog_saved(req, svc_service_insert(req->db, &s, clock_now()), &s, "service.catalog_create", "新增", 201);
}

static void patch_catalog(struct request *req)
{
	json_t *b = in_body(req);
	int64_t id = req_param_id(req, "id");
	if (!b || req_failed(req))
		return;
	struct svc_service s;
	enum db_rc rc = svc_service_get(req->db, req->arena, id, &s);
	if (rc == DB_NOT_FOUND) {
		req_fail(req, 404, "not_found", "服务事项不存在");
		return;
	}
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	read_service(req, b, &s, true);
	if (req_failed(req))
		return;
	catalog_saved(req, svc_service_update(req->db, &s, clock_now()), &s, "service.catalog_update", "修改", 200);
}

/* ---- the staff queue ---------------------------------------------------------------- */

/* Request {id} whose organization lies in the caller's scope for perm, else 404. */
static bool request_in_scope(struct request *req, const char *perm, struct svc_request *r)
{
	int64_t id = req_param_id(req, "id");
	if (req_failed(req))
		return false;
	enum db_rc rc = svc_request_get(req->db, req->arena, id, r);
	return roster_found(req, rc, rc == DB_OK && scope_allows(req, perm, r->org_path), "服务诉求不存在");
}

static bool state_ok(const char *v)
{
	return svc_state_parse(v) >= 0;
}

struct list_in {
	int64_t org_id, limit, cursor, overdue, open, map;
	const char *state;
};
static const struct param list_params[] = {
	PARAM_ID(struct list_in, org_id, "党组织编号无效"),
	PARAM_INT(struct list_in, limit, 1, 200, 20),
	PARAM_INT(struct list_in, cursor, 0, INT64_MAX, 0),
	PARAM_INT(struct list_in, overdue, 0, 1, 0),
	PARAM_INT(struct list_in, open, 0, 1, 1), /* the queue: open requests unless open=0 or a state */
	PARAM_INT(struct list_in, map, 0, 1, 0),
	PARAM_CHECK(struct list_in, state, state_ok, "状态无效"),
};
static const struct params list_in = PARAMS(struct list_in, list_params);

static int by_id_desc(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "id"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "id"));
	return x < y ? 1 : x > y ? -1 : 0;
}

static void get_requests(struct request *req)
{
	const struct list_in *in = req->in;
	const char **prefix, **end;
	size_t nr = roster_org_ranges(req, "service.read", in->org_id, &prefix, &end);
	if (req_failed(req))
		return;
	/* by default the queue lists the open requests (受理, 派单, 处理中, 退回); open=0 lists
	 * every state, a state filter that state whatever open says */
	struct svc_filter f = {.state = in->state,
			       .overdue_only = in->overdue,
			       .open_only = (in->open && !in->state) || in->map,
			       .with_point = in->map, .before = in->cursor, .limit = in->limit + 1, .now = clock_now()};
	json_t *items = json_array();
	for (size_t i = 0; i < nr; i++) {
		f.prefix = prefix[i];
		f.end = end[i];
		int64_t last = 0;
		enum db_rc rc = svc_request_list(req->db, req->arena, &f, items, &last);
		if (rc != DB_OK) {
			json_decref(items);
			req_fail_db(req, rc);
			return;
		}
	}
	size_t n = json_array_size(items);
	json_t **v = arena_alloc(req->arena, sizeof *v * (n ? n : 1));
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(items, i));
	qsort(v, n, sizeof *v, by_id_desc);
	json_array_clear(items);
	for (size_t i = 0; i < n; i++) {
		if (i < (size_t)in->limit)
			json_array_append(items, v[i]);
		json_decref(v[i]);
	}
	const char *next =
		n > (size_t)in->limit
			? arena_printf(req->arena, "%lld",
				       (long long)json_integer_value(json_object_get(json_array_get(items, (size_t)in->limit - 1), "id")))
			: NULL;
	req_reply_list(req, items, next, (int64_t)json_array_size(items));
}

static void reply_request(struct request *req, int status, struct svc_request *r)
{
	enum db_rc rc = svc_request_get(req->db, req->arena, r->id, r);
	json_t *events = json_array();
	if (rc == DB_OK)
		rc = svc_event_list(req->db, r->id, false, events);
	if (rc != DB_OK) {
		json_decref(events);
		req_fail_db(req, rc);
		return;
	}
	json_t *j = svc_request_json(r, clock_now());
	json_object_set_new(j, "events", events);
	req_reply_json(req, status, j);
}

static void get_request(struct request *req)
{
	struct svc_request r;
	if (!request_in_scope(req, "service.read", &r))
		return;
	reply_request(req, 200, &r);
}

/* The full mobile of the requester: pii.view over the request's organization, audited. */
static void post_contact(struct request *req)
{
	struct svc_request r;
	if (!request_in_scope(req, "pii.view", &r))
		return;
	const char *m = svc_request_mobile(req->arena, &r);
	struct audit_event ev = {"service.pii_view", "service_request", r.id, r.org_id, true, "查看诉求人联系电话"};
	if (audit_record(req, &ev) != 0)
		return;
	req_reply_json(req, 200, json_pack("{s:I, s:s?, s:s?}", "id", (json_int_t)r.id, "contact_name", r.contact_name,
					   "mobile", m));
}

static const char *const staff_channels[] = {"walk_in", "phone_call", "wechat", NULL};

static void post_request(struct request *req)
{
	json_t *b = in_body(req);
	if (!b)
		return;
	struct svc_file_in in = {0};
	int64_t v;
	in.service_code = in_str(req, b, "service_code", IN_REQUIRED, 30);
	in.description = in_str(req, b, "description", IN_REQUIRED | IN_MULTILINE, SVC_DESC_MAX);
	in.address = in_str(req, b, "address", IN_OPTIONAL, 200);
	in.contact_name = in_str(req, b, "contact_name", IN_OPTIONAL, 50);
	in.mobile = in_str(req, b, "mobile", IN_OPTIONAL, 11);
	in.channel = in_enum(req, b, "channel", IN_REQUIRED, staff_channels);
	if (in_has(b, "grid_id") && in_int(req, b, "grid_id", IN_OPTIONAL, 1, INT64_MAX, &v))
		in.grid_id = v;
	json_t *lat = json_object_get(b, "lat"), *lon = json_object_get(b, "long");
	if (lat && json_is_number(lat))
		in.lat = arena_printf(req->arena, "%.7f", json_number_value(lat));
	if (lon && json_is_number(lon))
		in.lon = arena_printf(req->arena, "%.7f", json_number_value(lon));
	if (req_failed(req))
		return;
	struct svc_request r;
	const char *code;
	struct svc_err e = {0};
	if (!svc_file(req, &in, &r, &code, &e)) {
		if (e.field)
			req_field_error(req, e.field, e.code, e.message);
		else if (!req_failed(req))
			req_fail(req, e.status, e.code, e.message);
		return;
	}
	if (!scope_allows(req, "service.write", r.org_path)) {
		/* a request outside the caller's communities: refuse, nothing stays */
		req_field_error(req, "grid_id", "out_of_scope", "该位置不属于您管辖的社区");
		return;
	}
	reply_request(req, 201, &r);
	if (!req_failed(req))
		json_object_set_new(req->out, "follow_code", json_string(code));
}

static const char *const assignee_kinds[] = {"grid", "social", "volunteer", NULL};

/* 派单 and reassignment: to a grid's branch (org_id, or the request's grid), a social
 * organization (name) or a member volunteer (member_id, in the caller's scope). */
static void post_dispatch(struct request *req)
{
	json_t *b = in_body(req);
	struct svc_request r;
	if (!b || !request_in_scope(req, "service.write", &r))
		return;
	const char *kind = in_enum(req, b, "kind", IN_REQUIRED, assignee_kinds);
	const char *note = in_str(req, b, "note", IN_OPTIONAL | IN_MULTILINE, 500);
	if (req_failed(req))
		return;
	if (!svc_transition_ok(r.state, SVC_DISPATCHED)) {
		req_fail(req, 409, "invalid_state", "当前状态不能派单");
		return;
	}
	int64_t org = 0, member = 0;
	const char *name = NULL;
	if (strcmp(kind, "grid") == 0) {
		if (in_has(b, "org_id")) {
			struct org_rec o;
			if (in_int(req, b, "org_id", IN_REQUIRED, 1, INT64_MAX, &org)) {
				if (roster_org_in_scope(req, org, "service.write", &o)) {
					name = o.name;
				} else {
					req->err.status = 0;
					req_field_error(req, "org_id", "not_found", "党组织不存在");
				}
			}
		} else if (!r.grid_id || svc_grid_branch(req->db, r.grid_id, &org) != DB_OK ||
			   !scope_allows(req, "service.write", r.org_path)) {
			req_field_error(req, "org_id", "required", "请选择承办的网格党支部");
		} else {
			name = r.grid_name;
		}
	} else if (strcmp(kind, "social") == 0) {
		name = in_str(req, b, "name", IN_REQUIRED, 100);
	} else {
		const char *path = NULL, *mname = NULL;
		int64_t grid = 0;
		if (in_int(req, b, "member_id", IN_REQUIRED, 1, INT64_MAX, &member) &&
		    (svc_member_brief(req->db, req->arena, member, &path, &mname, &grid) != DB_OK ||
		     !scope_allows(req, "service.write", path)))
			req_field_error(req, "member_id", "not_found", "党员不存在");
		name = mname;
	}
	if (req_failed(req))
		return;
	enum svc_state from = r.state;
	bool reassign = from == SVC_DISPATCHED || from == SVC_IN_PROGRESS;
	r.state = SVC_DISPATCHED;
	r.assignee_kind = kind;
	r.assignee_org_id = org;
	r.assignee_member_id = member;
	r.assignee_name = name;
	r.updated_at = clock_now();
	r.status_note = reassign ? "已重新派单" : "已派单，正在安排办理";
	enum db_rc rc = svc_request_save(req->db, &r);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (!svc_step(req, &r, reassign ? "reassign" : "dispatch", from, SVC_DISPATCHED, note, false,
		      arena_printf(req->arena, "%s至 %s", reassign ? "改派" : "派单", name ? name : kind)))
		return;
	if (member) {
		/* the volunteer hears of the task in the app (the outbox; once per request and member) */
		struct outbox_msg m = {
			.dedup_key = arena_printf(req->arena, "svc:task:%lld:%lld:inapp", (long long)r.id, (long long)member),
			.channel = "inapp",
			.tmpl = "notice",
			.params = json_pack("{s:s, s:s}", "title", "新的社区服务任务", "text",
					    arena_printf(req->arena, "第 %lld 号诉求（%s）已派给您，请在“我的任务”中办理。",
							 (long long)r.id, r.service_name ? r.service_name : "")),
			.member_id = member,
			.link = "/m/tasks",
		};
		char why[200];
		enum outbox_result o = outbox_enqueue(req->db, &m, NULL, why, sizeof why);
		json_decref(m.params);
		if (o == OUTBOX_DB_ERROR) {
			req_fail_db(req, DB_ERROR);
			return;
		}
	}
	reply_request(req, 200, &r);
}

static void post_reject(struct request *req)
{
	json_t *b = in_body(req);
	struct svc_request r;
	if (!b || !request_in_scope(req, "service.write", &r))
		return;
	const char *reason = in_str(req, b, "reason", IN_REQUIRED | IN_MULTILINE, 500);
	if (req_failed(req))
		return;
	if (!svc_transition_ok(r.state, SVC_REJECTED)) {
		req_fail(req, 409, "invalid_state", "当前状态不能作不予受理处理");
		return;
	}
	enum svc_state from = r.state;
	r.state = SVC_REJECTED;
	r.status_note = arena_printf(req->arena, "不予受理：%s", reason);
	r.updated_at = clock_now();
	enum db_rc rc = svc_request_save(req->db, &r);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (!svc_step(req, &r, "reject", from, SVC_REJECTED, reason, true, "不予受理"))
		return;
	reply_request(req, 200, &r);
}

static void post_note(struct request *req)
{
	json_t *b = in_body(req);
	struct svc_request r;
	if (!b || !request_in_scope(req, "service.write", &r))
		return;
	const char *text = in_str(req, b, "text", IN_REQUIRED | IN_MULTILINE, 1000);
	bool pub = false;
	in_bool(req, b, "public", IN_OPTIONAL, &pub);
	if (req_failed(req))
		return;
	if (pub) { /* a public note is what the resident and Open311 see as status_notes */
		r.status_note = text;
		r.updated_at = clock_now();
		enum db_rc rc = svc_request_save(req->db, &r);
		if (rc != DB_OK) {
			req_fail_db(req, rc);
			return;
		}
	}
	if (!svc_step(req, &r, "note", r.state, r.state, text, pub, pub ? "添加公开备注" : "添加内部备注"))
		return;
	reply_request(req, 201, &r);
}

struct cand_in {
	const char *skill;
	int64_t limit;
};
static const struct param cand_params[] = {PARAM_STR(struct cand_in, skill, 20),
					   PARAM_INT(struct cand_in, limit, 1, 100, 20)};
static const struct params cand_in = PARAMS(struct cand_in, cand_params);

/* Member volunteers for a request: the members of its grid with the service's skill
 * tag (or ?skill=); none without a grid. */
static void get_candidates(struct request *req)
{
	const struct cand_in *in = req->in;
	struct svc_request r;
	if (!request_in_scope(req, "service.write", &r))
		return;
	json_t *items = json_array();
	if (r.grid_id) {
		struct svc_service s;
		const char *skill = in->skill;
		if (!skill && svc_service_get(req->db, req->arena, r.service_id, &s) == DB_OK)
			skill = s.skill;
		/* the grid's members are its community's: the grid's organization's subtree */
		struct org_rec o;
		enum db_rc rc = org_get(req->db, req->arena, grid_org(req->db, r.grid_id), &o);
		const char *end = rc == DB_OK ? scope_path_end(req->arena, o.path) : NULL;
		if (rc == DB_OK)
			rc = svc_candidates(req->db, r.grid_id, o.path, end, skill, in->limit, items);
		if (rc == DB_OK && json_array_size(items) == 0 && skill) /* nobody with the skill: the grid's members */
			rc = svc_candidates(req->db, r.grid_id, o.path, end, NULL, in->limit, items);
		if (rc != DB_OK) {
			json_decref(items);
			req_fail_db(req, rc);
			return;
		}
	}
	req_reply_list(req, items, NULL, (int64_t)json_array_size(items));
}

/* ---- the assignees' tasks ----------------------------------------------------------- */

static void get_tasks(struct request *req)
{
	const char **roots;
	size_t n = scope_roots(req, "service.task", &roots);
	struct svc_filter f = {.now = clock_now(), .assignee_member_id = auth_member_id(req)};
	json_t *items = json_array();
	enum db_rc rc = DB_OK;
	if (f.assignee_member_id > 0)
		rc = svc_task_list(req->db, req->arena, &f, items);
	f.assignee_member_id = 0;
	for (size_t i = 0; i < n && rc == DB_OK; i++) {
		f.assignee_prefix = roots[i];
		f.assignee_end = scope_path_end(req->arena, roots[i]);
		rc = svc_task_list(req->db, req->arena, &f, items);
	}
	if (rc != DB_OK) {
		json_decref(items);
		req_fail_db(req, rc);
		return;
	}
	req_reply_list(req, items, NULL, (int64_t)json_array_size(items));
}

/* The request {id} when the caller is its assignee (the member, or in scope of the
 * assigned organization) or dispatches for its community; else 404. */
static bool my_task(struct request *req, struct svc_request *r)
{
	int64_t id = req_param_id(req, "id");
	if (req_failed(req))
		return false;
	enum db_rc rc = svc_request_get(req->db, req->arena, id, r);
	return roster_found(req, rc,
			    rc == DB_OK &&
				    ((r->assignee_member_id && r->assignee_member_id == auth_member_id(req)) ||
				     (r->assignee_org_path && scope_allows(req, "service.task", r->assignee_org_path)) ||
				     scope_allows(req, "service.write", r->org_path)),
			    "任务不存在");
}

static void task_step(struct request *req, enum svc_state to, const char *action)
{
	json_t *b = in_body(req);
	struct svc_request r;
	if (!b || !my_task(req, &r))
		return;
	const char *note = in_str(req, b, "note", (to == SVC_RETURNED ? IN_REQUIRED : IN_OPTIONAL) | IN_MULTILINE, 1000);
	int64_t photo = 0;
	if (to == SVC_COMPLETED && in_has(b, "photo_file_id") &&
	    in_int(req, b, "photo_file_id", IN_OPTIONAL, 1, INT64_MAX, &photo)) {
		/* the photo was uploaded to this request through the files store */
		struct file_rec f;
		if (file_get(req->db, req->arena, photo, &f) != DB_OK || strcmp(f.owner_kind, "service_request") != 0 ||
		    f.owner_id != r.id)
			req_field_error(req, "photo_file_id", "not_found", "照片不存在（请先上传到本诉求）");
	}
	if (req_failed(req))
		return;
	if (!svc_transition_ok(r.state, to)) {
		req_fail(req, 409, "invalid_state", "当前状态不能进行此操作");
		return;
	}
	enum svc_state from = r.state;
	int64_t now = clock_now();
	r.state = to;
	r.updated_at = now;
	const char *summary = "开始办理";
	if (to == SVC_IN_PROGRESS) {
		r.status_note = "正在办理";
	} else if (to == SVC_COMPLETED) {
		/* 办结: the SLA clock stops; the resident may rate until the token expires */
		r.completed_at = now;
		r.rate_expires = now + SVC_RATE_TTL;
		char tok[96];
		svc_rate_token(r.id, r.rate_expires, tok, sizeof tok);
		unsigned char *h = arena_alloc(req->arena, 16);
		token_hash("svc.rate", tok, h);
		r.rate_hash = h;
		r.status_note = note ? note : "已办结";
		r.done_file_id = photo;
		summary = "办结";
	} else {
		/* 退回: back to the community's queue, without an assignee */
		r.assignee_kind = NULL;
		r.assignee_org_id = 0;
		r.assignee_member_id = 0;
		r.assignee_name = NULL;
		r.status_note = "正在重新安排";
		summary = "退回";
	}
	enum db_rc rc = svc_request_save(req->db, &r);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (!svc_step(req, &r, action, from, to, note, to == SVC_COMPLETED, summary))
		return;
	reply_request(req, 200, &r);
}

static void post_start(struct request *req)
{
	task_step(req, SVC_IN_PROGRESS, "start");
}

static void post_complete(struct request *req)
{
	task_step(req, SVC_COMPLETED, "complete");
}

static void post_return(struct request *req)
{
	task_step(req, SVC_RETURNED, "return");
}

/* ---- Open311 API keys ---------------------------------------------------------------- */

static void get_keys(struct request *req)
{
	json_t *items = json_array();
	enum db_rc rc = svc_key_list(req->db, items);
	if (rc != DB_OK) {
		json_decref(items);
		req_fail_db(req, rc);
		return;
	}
	req_reply_list(req, items, NULL, (int64_t)json_array_size(items));
}

static void post_key(struct request *req)
{
	json_t *b = in_body(req);
	if (!b)
		return;
	int64_t rate = 60;
	const char *name = in_str(req, b, "name", IN_REQUIRED, 50);
	if (in_has(b, "rate_per_min"))
		in_int(req, b, "rate_per_min", IN_REQUIRED, 1, 10000, &rate);
	if (req_failed(req))
		return;
	/* shown once: only its keyed hash is kept */
	unsigned char h[DJ_BLIND_LEN];
	const char *key = token_new(req->arena, "o311_", 24, "svc.api_key", h);
	int64_t id;
	enum db_rc rc = svc_key_insert(req->db, name, h, arena_strndup(req->arena, key, 9), rate,
				       req->session ? req->session->user_id : 0, clock_now(), &id);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	struct audit_event ev = {"service.key_issue", "service_api_key", id, 0, true,
				 arena_printf(req->arena, "签发 Open311 接入密钥 %s", name)};
	if (audit_record(req, &ev) != 0)
		return;
	req_reply_json(req, 201, json_pack("{s:I, s:s, s:s, s:I}", "id", (json_int_t)id, "name", name, "api_key", key,
					   "rate_per_min", (json_int_t)rate));
}

static void delete_key(struct request *req)
{
	int64_t id = req_param_id(req, "id");
	if (req_failed(req))
		return;
	enum db_rc rc = svc_key_revoke(req->db, id, clock_now());
	if (rc == DB_NOT_FOUND) {
		req_fail(req, 404, "not_found", "密钥不存在或已吊销");
		return;
	}
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	struct audit_event ev = {"service.key_revoke", "service_api_key", id, 0, true, "吊销 Open311 接入密钥"};
	if (audit_record(req, &ev) != 0)
		return;
	req_reply_json(req, 204, NULL);
}

/* ---- the residents' public routes ------------------------------------------------------ */

static bool public_gate(struct request *req)
{
	if (svc_public_allow(req))
		return true;
	req_fail(req, 429, "rate_limited", "请求过于频繁，请稍后再试");
	req->err.retry_after = 60;
	return false;
}

static void get_public_config(struct request *req)
{
	if (!public_gate(req))
		return;
	json_t *services = json_array(), *grids = json_array();
	enum db_rc rc = svc_service_list(req->db, req->arena, true, true, services);
	if (rc == DB_OK)
		rc = svc_grids_public(req->db, grids);
	if (rc != DB_OK) {
		json_decref(services);
		json_decref(grids);
		req_fail_db(req, rc);
		return;
	}
	/* what the photo endpoint accepts (the page checks a chosen photo against it first) */
	json_t *photo = json_pack("{s:I, s:i, s:[s,s,s]}", "max_bytes", (json_int_t)SVC_PHOTO_MAX, "max_count", 1, "types",
				  "image/jpeg", "image/png", "image/webp");
	req_reply_json(req, 200, json_pack("{s:o, s:s, s:s, s:o, s:o, s:o}", "bbox", svc_bbox_json(), "tiles",
					   cfg.services_tiles, "jurisdiction_id", cfg.services_jurisdiction, "services",
					   services, "grids", grids, "photo", photo));
}

static void post_public_request(struct request *req)
{
	json_t *b = in_body(req);
	if (!b || !public_gate(req))
		return;
	struct svc_file_in in = {.channel = "phone_page"};
	int64_t v;
	in.service_code = in_str(req, b, "service_code", IN_REQUIRED, 30);
	in.description = in_str(req, b, "description", IN_REQUIRED | IN_MULTILINE, SVC_DESC_MAX);
	in.address = in_str(req, b, "address", IN_OPTIONAL, 200);
	in.contact_name = in_str(req, b, "contact_name", IN_OPTIONAL, 50);
	in.mobile = in_str(req, b, "mobile", IN_REQUIRED, 11);
	if (in_has(b, "grid_id") && in_int(req, b, "grid_id", IN_OPTIONAL, 1, INT64_MAX, &v))
		in.grid_id = v;
	json_t *lat = json_object_get(b, "lat"), *lon = json_object_get(b, "long");
	if (lat && json_is_number(lat))
		in.lat = arena_printf(req->arena, "%.7f", json_number_value(lat));
	if (lon && json_is_number(lon))
		in.lon = arena_printf(req->arena, "%.7f", json_number_value(lon));
	if (req_failed(req))
		return;
	if (!svc_db_allow(req, arena_printf(req->arena, "file:%s", req->ip ? req->ip : ""), 3600,
			  cfg.services_file_per_hour)) {
		req_fail(req, 429, "rate_limited", "提交过于频繁，请稍后再试");
		req->err.retry_after = 3600;
		return;
	}
	struct svc_request r;
	const char *code;
	struct svc_err e = {0};
	if (!svc_file(req, &in, &r, &code, &e)) {
		if (e.field)
			req_field_error(req, e.field, e.code, e.message);
		else if (!req_failed(req))
			req_fail(req, e.status, e.code, e.message);
		return;
	}
	/* the page shows the code once; svc_file queued it by SMS when a mobile was given */
	req_reply_json(req, 201, json_pack("{s:I, s:s, s:s, s:s, s:b}", "id", (json_int_t)r.id, "follow_code", code,
					   "follow_path", arena_printf(req->arena, "/s/follow/%lld", (long long)r.id),
					   "state_name", svc_state_name(SVC_ACCEPTED), "sms_sent",
					   in.mobile && *in.mobile));
}

struct follow_in {
	const char *code;
};
static const struct param follow_params[] = {
	{PARAM_F_(struct follow_in, code, "code", PARAM_T_STR, PARAM_REQUIRED), .max = 20},
};
static const struct params follow_in = PARAMS(struct follow_in, follow_params);

/* The request {id} when ?code= is its follow code (a wrong code is a missing request). */
static bool followed(struct request *req, const char *code, struct svc_request *r)
{
	int64_t id = req_param_id(req, "id");
	if (req_failed(req))
		return false;
	enum db_rc rc = svc_request_get(req->db, req->arena, id, r);
	unsigned char h[DJ_BLIND_LEN];
	token_hash("svc.follow", code, h);
	return roster_found(req, rc, rc == DB_OK && token_hash_equal(h, r->follow_hash), "诉求不存在或查询码不正确");
}

/* The resident's view: by the link (id) and the follow code; a wrong code is a missing
 * request. Public notes only, no names of staff; the rating token once 办结. */
static void get_public_request(struct request *req)
{
	const struct follow_in *in = req->in;
	if (!public_gate(req))
		return;
	struct svc_request r;
	if (!followed(req, in->code, &r))
		return;
	json_t *events = json_array();
	enum db_rc rc = svc_event_list(req->db, r.id, true, events);
	if (rc != DB_OK) {
		json_decref(events);
		req_fail_db(req, rc);
		return;
	}
	int64_t now = clock_now();
	json_t *j = svc_request_open311(&r);
	json_object_set_new(j, "state", json_string(svc_state_code(r.state)));
	json_object_set_new(j, "state_name", json_string(svc_state_name(r.state)));
	json_object_set_new(j, "events", events);
	json_object_set_new(j, "rating", r.rating ? json_string(r.rating) : json_null());
	if (r.state == SVC_COMPLETED && r.rate_expires > now) {
		char tok[96];
		svc_rate_token(r.id, r.rate_expires, tok, sizeof tok);
		json_object_set_new(j, "rating_token", json_string(tok));
	}
	req_reply_json(req, 200, j);
}

static const char *const ratings[] = {"satisfied", "basic", "unsatisfied", NULL};

/* The resident's rating: the signed token (single use, expiring), no account. */
static void post_rating(struct request *req)
{
	json_t *b = in_body(req);
	if (!b || !public_gate(req))
		return;
	const char *token = in_str(req, b, "token", IN_REQUIRED, 80);
	const char *rating = in_enum(req, b, "rating", IN_REQUIRED, ratings);
	const char *comment = in_str(req, b, "comment", IN_OPTIONAL | IN_MULTILINE, 500);
	if (req_failed(req))
		return;
	int64_t id, expires;
	struct svc_request r;
	unsigned char h[16];
	token_hash("svc.rate", token, h);
	enum db_rc rc = DB_NOT_FOUND;
	if (svc_rate_token_valid(token) && svc_rate_token_parse(token, &id, &expires))
		rc = svc_request_get(req->db, req->arena, id, &r);
	if (rc != DB_OK && rc != DB_NOT_FOUND) {
		req_fail_db(req, rc);
		return;
	}
	if (rc == DB_NOT_FOUND || !token_hash_equal(h, r.rate_hash)) {
		req_fail(req, 404, "invalid_token", "评价链接无效");
		return;
	}
	if (r.rated_at || r.state == SVC_RATED) {
		req_fail(req, 409, "already_rated", "该诉求已评价，不能重复评价");
		return;
	}
	if (clock_now() >= r.rate_expires || r.state != SVC_COMPLETED) {
		req_fail(req, 410, "token_expired", "评价链接已过期");
		return;
	}
	r.state = SVC_RATED;
	r.rating = rating;
	r.rating_comment = comment;
	r.rated_at = clock_now();
	r.updated_at = r.rated_at;
	rc = svc_request_save(req->db, &r);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	static const char *const names[] = {"满意", "基本满意", "不满意"};
	int k = strcmp(rating, "satisfied") == 0 ? 0 : strcmp(rating, "basic") == 0 ? 1 : 2;
	if (!svc_step(req, &r, "rate", SVC_COMPLETED, SVC_RATED, names[k], true,
		      arena_printf(req->arena, "居民评价：%s", names[k])))
		return;
	req_reply_json(req, 200, json_pack("{s:I, s:s, s:s}", "id", (json_int_t)r.id, "rating", rating, "state", "rated"));
}


/* ---- the resident's photo ------------------------------------------------------------- */

struct photo {
	const char *code;
	struct image_upload img; /* the bytes; the stripped copy, its thumbnail on a thread */
};

/* On the offload thread, as api/files.c's upload: the thumbnail runs while photo_then
 * writes the stripped bytes. */
static void photo_work(void *ctx)
{
	image_upload_start(&((struct photo *)ctx)->img);
}

static int photo_drop(struct request *req, void *ctx)
{
	(void)req;
	image_upload_done(&((struct photo *)ctx)->img);
	return DB_OK;
}

/* Stored through the files store on the request (owner service_request), its location
 * and other metadata stripped; one photo per request, while it is still open. */
static void photo_then(struct request *req, void *ctx)
{
	struct photo *p = ctx;
	struct svc_request r;
	if (!image_is_photo(p->img.type) || p->img.rc != IMAGE_OK) {
		req_fail(req, 415, "unsupported_file_type", "只能上传 JPEG、PNG 或 WebP 照片");
		goto out;
	}
	if (!followed(req, p->code, &r))
		goto out;
	if (r.media_file_id || !svc_state_open(r.state)) {
		req_fail(req, 409, "photo_exists", "该诉求已有照片或已办结");
		goto out;
	}
	struct file_rec f = {.org_id = r.org_id, .owner_kind = "service_request", .owner_id = r.id, .name = "居民照片",
			     .content_type = image_mime(p->img.type), .created_at = clock_now()};
	f.name = arena_printf(req->arena, "居民照片%s", image_ext(p->img.type));
	/* the stripped bytes go in while the thumbnail is being made; then the thumbnail */
	enum db_rc rc = file_insert_content(req->db, &f, p->img.out.out, p->img.out.out_len);
	if (rc == DB_OK && image_thumb_wait(&p->img.thumb) != IMAGE_OK) {
		req_fail(req, 415, "unsupported_file_type", "只能上传 JPEG、PNG 或 WebP 照片");
		goto out; /* rolled back: nothing stored */
	}
	if (rc == DB_OK) {
		f.width = p->img.out.width;
		f.height = p->img.out.height;
		rc = file_insert_thumb(req->db, &f, p->img.out.thumb, p->img.out.thumb_len);
	}
	if (rc == DB_OK) {
		r.media_file_id = f.id;
		rc = svc_request_set_media(req->db, r.id, f.id);
	}
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		goto out;
	}
	if (!svc_step(req, &r, "photo", r.state, r.state, "居民上传了照片", true, "居民上传照片"))
		goto out;
	req_reply_json(req, 201, json_pack("{s:I, s:I}", "id", (json_int_t)r.id, "file_id", (json_int_t)f.id));
out:
	image_upload_done(&p->img);
}

static void post_public_photo(struct request *req)
{
	const struct follow_in *in = req->in;
	struct svc_request r;
	if (!public_gate(req) || !followed(req, in->code, &r))
		return;
	if (req->body_len == 0) {
		req_field_error(req, "body", "required", "请选择照片");
		return;
	}
	if (!svc_db_allow(req, arena_printf(req->arena, "file:%s", req->ip ? req->ip : ""), 3600,
			  cfg.services_file_per_hour)) {
		req_fail(req, 429, "rate_limited", "提交过于频繁，请稍后再试");
		req->err.retry_after = 3600;
		return;
	}
	struct photo *p = arena_alloc(req->arena, sizeof *p);
	*p = (struct photo){.code = arena_strdup(req->arena, in->code),
			    .img = {.body = (const unsigned char *)req->body, .len = req->body_len}};
	req_on_failure(req, photo_drop, p);
	req_offload(req, photo_work, photo_then, p);
}

/* ---- statistics ----------------------------------------------------------------------- */

struct stats_in {
	int64_t org_id;
	const char *from, *to, *group;
};
static const struct param stats_params[] = {
	PARAM_ID(struct stats_in, org_id, "党组织编号无效"),
	PARAM_DATE(struct stats_in, from),
	PARAM_DATE(struct stats_in, to),
	PARAM_STR(struct stats_in, group, 30),
};
static const struct params stats_in = PARAMS(struct stats_in, stats_params);

static void get_stats(struct request *req)
{
	const struct stats_in *in = req->in;
	const char **prefix, **end;
	size_t n = roster_org_ranges(req, "stats.read", in->org_id, &prefix, &end);
	if (req_failed(req))
		return;
	int64_t from = 0, to = INT64_MAX;
	if (in->from)
		date_parse_instant(in->from, false, &from);
	if (in->to) {
		date_parse_instant(in->to, true, &to);
		to++; /* through the end of that day */
	}
	if (from >= to) {
		req_field_error(req, "to", "invalid_range", "结束日期不能早于开始日期");
		return;
	}
	struct svc_stats s;
	memset(&s, 0, sizeof s);
	for (size_t i = 0; i < n; i++) {
		enum db_rc rc = svc_stats(req->db, prefix[i], end[i], from, to, in->group, clock_now(), &s);
		if (rc != DB_OK) {
			req_fail_db(req, rc);
			return;
		}
	}
	json_t *j = svc_stats_json(&s);
	json_object_set_new(j, "from", in->from ? json_string(in->from) : json_null());
	json_object_set_new(j, "to", in->to ? json_string(in->to) : json_null());
	json_object_set_new(j, "group", in->group ? json_string(in->group) : json_null());
	req_reply_json(req, 200, j);
}

/* Files (photos) attached to a request through the files store: uploaded by whoever
 * works on it (service.task over the assignee's organization, or the community), read
 * with service.read. The record's organization for the files store is the assignee's
 * when it has one, else the request's community. */
static enum db_rc svc_file_owner(struct db *db, struct arena *a, int64_t id, int64_t *org_id, const char **org_path,
				 bool *locked)
{
	struct svc_request r;
	enum db_rc rc = svc_request_get(db, a, id, &r);
	if (rc != DB_OK)
		return rc;
	*org_id = r.assignee_org_id ? r.assignee_org_id : r.org_id;
	*org_path = r.assignee_org_path ? r.assignee_org_path : r.org_path;
	*locked = r.state == SVC_RATED || r.state == SVC_REJECTED;
	return DB_OK;
}
FILE_OWNER(service_request, "service.read", "service.task", svc_file_owner);

static const struct route services_routes[] = {
	{"GET", "/api/v1/services/catalog", get_catalog, "service.read", RF_TX_READ, 0, "the service catalogue"},
	{"POST", "/api/v1/services/catalog", post_catalog, "service.admin", RF_TX_WRITE, 0, "add a service"},
	{"PATCH", "/api/v1/services/catalog/{id}", patch_catalog, "service.admin", RF_TX_WRITE, 0, "change a service"},
	{"GET", "/api/v1/services/requests", get_requests, "service.read", RF_TX_READ, 0,
	 "requests of a subtree (queue, overdue, map)", &list_in},
	{"POST", "/api/v1/services/requests", post_request, "service.write", RF_TX_WRITE, 0,
	 "record a walk-in / phone-call request"},
	{"GET", "/api/v1/services/requests/{id}", get_request, "service.read", RF_TX_READ, 0, "one request with its steps"},
	{"POST", "/api/v1/services/requests/{id}/contact", post_contact, "pii.view", RF_TX_WRITE, 0,
	 "the requester's full mobile (audited)"},
	{"POST", "/api/v1/services/requests/{id}/dispatch", post_dispatch, "service.write", RF_TX_WRITE, 0,
	 "dispatch or reassign"},
	{"POST", "/api/v1/services/requests/{id}/reject", post_reject, "service.write", RF_TX_WRITE, 0, "不予受理 with a reason"},
	{"POST", "/api/v1/services/requests/{id}/notes", post_note, "service.write", RF_TX_WRITE, 0,
	 "a note, public or internal"},
	{"GET", "/api/v1/services/requests/{id}/candidates", get_candidates, "service.write", RF_TX_READ, 0,
	 "member volunteers of the grid by skill", &cand_in},
	{"GET", "/api/v1/services/tasks", get_tasks, "service.task", RF_TX_READ, 0, "the caller's tasks"},
	{"POST", "/api/v1/services/requests/{id}/start", post_start, "service.task", RF_TX_WRITE, 0, "the assignee starts"},
	{"POST", "/api/v1/services/requests/{id}/complete", post_complete, "service.task", RF_TX_WRITE, 0,
	 "办结 (the rating token is issued)"},
	{"POST", "/api/v1/services/requests/{id}/return", post_return, "service.task", RF_TX_WRITE, 0,
	 "退回 to the community with a reason"},
	{"GET", "/api/v1/services/api-keys", get_keys, "service.admin", RF_TX_READ, 0, "Open311 API keys"},
	{"POST", "/api/v1/services/api-keys", post_key, "service.admin", RF_TX_WRITE, 0, "issue an Open311 API key"},
	{"DELETE", "/api/v1/services/api-keys/{id}", delete_key, "service.admin", RF_TX_WRITE, 0, "revoke an API key"},
	{"GET", "/api/v1/public/services/config", get_public_config, PERM_PUBLIC, RF_TX_READ, 0,
	 "residents' page: catalogue, grids, box, tiles"},
	{"POST", "/api/v1/public/services/requests", post_public_request, PERM_PUBLIC, RF_TX_WRITE | RF_NO_CSRF, 16384,
	 "a resident files a request"},
	{"GET", "/api/v1/public/services/requests/{id}", get_public_request, PERM_PUBLIC, RF_TX_READ, 0,
	 "a resident follows a request (?code=)", &follow_in},
	{"POST", "/api/v1/public/services/requests/{id}/photo", post_public_photo, PERM_PUBLIC,
	 RF_TX_WRITE | RF_RAW_BODY | RF_NO_CSRF, SVC_PHOTO_MAX, "a resident adds a photo (?code=; metadata stripped)", &follow_in},
	{"POST", "/api/v1/public/services/rating", post_rating, PERM_PUBLIC, RF_TX_WRITE | RF_NO_CSRF, 4096,
	 "a resident rates (signed single-use token)"},
	{"GET", "/api/v1/stats/services", get_stats, "stats.read", RF_TX_READ | RF_REPLICA, 0,
	 "service request statistics of a subtree, group, period", &stats_in},
};
ROUTE_TABLE(services);
