/* meetings.c: 三会一课 and organizational life over HTTP (issue 15; docs/openapi.yaml
 * "Meetings"): records with attendance (due from the roster on the day; a person twice,
 * present > due, a held date in the future refused), drafts → submitted → approved or
 * returned with a reason, 调阅 (each opening of a submitted record by a higher level is
 * counted and kept), approval by one's own branch refused, approved records locked
 * (amendments keep the record as it was), the yearly plan, R-MTG-01 compliance with
 * exemptions (the heat-map), early warnings, 民主评议党员 grades, study hours, and the
 * statistics. Files attach through the files store (kind "meeting"). */
#include "api/files.h"
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
#include "model/file.h"
#include "model/meeting.h"
#include "model/member.h"
#include "model/revcache.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int audit(struct request *req, const char *action, const struct meeting *m, const char *summary)
{
	struct audit_event ev = {action, "meeting", m->id, m->org_id, true, summary};
	return audit_record(req, &ev);
}

/* Files of a meeting: its organization's scope, locked once approved. */
static enum db_rc meeting_file_owner(struct db *db, struct arena *a, int64_t id, int64_t *org_id, const char **org_path,
				     bool *locked)
{
	struct meeting m;
	enum db_rc rc = mtg_get(db, a, id, &m);
	if (rc != DB_OK)
		return rc;
	*org_id = m.org_id;
	*org_path = m.org_path;
	*locked = m.status == MTG_APPROVED;
	return DB_OK;
}
FILE_OWNER(meeting, "meeting.read", "meeting.write", meeting_file_owner);

/* The record {id} when its organization lies in the caller's scope for perm, else 404.
 * The organization's current path is the one judged (org_get). */
static bool meeting_in_scope(struct request *req, const char *perm, struct meeting *m)
{
	int64_t id = req_param_id(req, "id");
	if (req_failed(req))
		return false;
	enum db_rc rc = mtg_get(req->db, req->arena, id, m);
	struct org_rec o = {0};
	if (rc == DB_OK && (rc = org_get(req->db, req->arena, m->org_id, &o)) == DB_OK)
		m->org_path = o.path;
	return roster_found(req, rc, rc == DB_OK && scope_allows(req, perm, o.path), "会议记录不存在");
}

/* Whether the caller holds perm over path through a strictly higher organization (an
 * assignment at an ancestor, not at the organization itself). */
static bool higher_level(struct request *req, const char *perm, const char *path)
{
	const char **roots = NULL;
	size_t n = scope_roots(req, perm, &roots);
	size_t len = strlen(path);
	for (size_t i = 0; i < n; i++) {
		size_t rl = strlen(roots[i]);
		if (rl < len && strncmp(roots[i], path, rl) == 0)
			return true;
	}
	return false;
}

static const char *caller_name(struct request *req)
{
	const char *name = NULL;
	auth_actor(req, NULL, &name, NULL, NULL);
	return name ? name : "";
}

/* ---- reading a record from a body ---- */

static const char *const att_status_codes[] = {"present", "leave", "absent", NULL};

/* The attendance of body b ("attendance": [{member_id, status, reason}], "guests":
 * [{name, reason}]) checked against the roster on date; counts into m. Returns the lines
 * (arena) and their number in *n; NULL with field errors when wrong. */
static struct mtg_attendee *read_attendance(struct request *req, json_t *b, struct meeting *m, const char *date,
					    size_t *n)
{
	json_t *att = json_object_get(b, "attendance"), *guests = json_object_get(b, "guests");
	*n = 0;
	if ((att && !json_is_array(att)) || json_array_size(att) > 500) {
		req_field_error(req, "attendance", "invalid_list", "出席情况应为不超过500人的列表");
		return NULL;
	}
	if ((guests && !json_is_array(guests)) || json_array_size(guests) > 100) {
		req_field_error(req, "guests", "invalid_list", "列席人员应为不超过100人的列表");
		return NULL;
	}
	size_t na = json_array_size(att), ng = json_array_size(guests);
	struct mtg_attendee *out = arena_alloc(req->arena, sizeof *out * (na + ng + 1));
	int64_t due = 0;
	enum db_rc rc = mtg_roster(req->db, m->org_path, date, NULL, &due);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return NULL;
	}
	m->due = (int)due;
	m->present = m->leave = m->absent = m->guests = 0;
	size_t i;
	json_t *it;
	json_array_foreach(att, i, it)
	{
		const char *f = arena_printf(req->arena, "attendance[%zu]", i);
		int64_t mid = 0;
		if (!json_is_object(it) || !in_int(req, it, "member_id", IN_REQUIRED, 1, INT64_MAX, &mid)) {
			req_field_error(req, f, "invalid_member", "请选择党员");
			continue;
		}
		const char *st = in_enum(req, it, "status", IN_REQUIRED, att_status_codes);
		const char *reason = in_str(req, it, "reason", IN_OPTIONAL, 100);
		if (!st)
			continue;
		for (size_t k = 0; k < *n; k++)
			if (out[k].member_id == mid) {
				req_field_error(req, f, "duplicate", "同一人在出席名单中出现了两次");
				mid = 0;
				break;
			}
		if (!mid)
			continue;
		bool on = false;
		const char *name = NULL;
		rc = mtg_roster_has(req->db, m->org_path, date, mid, &on, &name, req->arena);
		if (rc != DB_OK) {
			req_fail_db(req, rc);
			return NULL;
		}
		enum mtg_att a = strcmp(st, "present") == 0 ? MTG_PRESENT : strcmp(st, "leave") == 0 ? MTG_LEAVE : MTG_ABSENT;
		if (!on) {
			/* counted as claimed, so that present > due is said as well */
			req_field_error(req, f, "not_due", "该党员不在本组织当日的应到名单中");
			m->present += a == MTG_PRESENT;
			continue;
		}
		if (a == MTG_LEAVE && !reason)
			req_field_error(req, f, "reason_required", "请假须填写原因");
		out[(*n)++] = (struct mtg_attendee){mid, name, reason, a};
		m->present += a == MTG_PRESENT;
		m->leave += a == MTG_LEAVE;
		m->absent += a == MTG_ABSENT;
	}
	json_array_foreach(guests, i, it)
	{
		const char *f = arena_printf(req->arena, "guests[%zu]", i);
		const char *name = json_is_object(it) ? in_str(req, it, "name", IN_REQUIRED, 50) : NULL;
		const char *unit = json_is_object(it) ? in_str(req, it, "reason", IN_OPTIONAL, 100) : NULL;
		if (!name) {
			req_field_error(req, f, "invalid_name", "请填写列席人员姓名");
			continue;
		}
		for (size_t k = 0; k < *n; k++)
			if (out[k].status == MTG_GUEST && strcmp(out[k].name, name) == 0) {
				req_field_error(req, f, "duplicate", "同一人在列席名单中出现了两次");
				name = NULL;
				break;
			}
		if (name) {
			out[(*n)++] = (struct mtg_attendee){0, name, unit, MTG_GUEST};
			m->guests++;
		}
	}
	if (m->present > m->due)
		req_field_error(req, "attendance", "present_exceeds_due", "实到人数不能多于应到人数");
	if (m->present + m->leave + m->absent > m->due)
		req_field_error(req, "attendance", "more_than_due", "出席、请假、缺席人数之和不能多于应到人数");
	return req_failed(req) ? NULL : out;
}

/* The record's fields from b into m (absent fields keep m's when patch). */
static void read_meeting(struct request *req, json_t *b, struct meeting *m, bool patch)
{
#define STR(field, dst, max, fl)                                                          \
	do {                                                                              \
		if (!patch || in_has(b, field))                                           \
			dst = in_str(req, b, field, IN_OPTIONAL | IN_NULLABLE | (fl), max); \
	} while (0)
	int64_t v;
	if (!patch || in_has(b, "type")) {
		if (in_int(req, b, "type", IN_REQUIRED, 1, MTG_TYPE__MAX - 1, &v))
			m->type = (int)v;
	}
	STR("topic", m->topic, 200, 0);
	STR("place", m->place, 100, 0);
	STR("host", m->host, 50, 0);
	STR("recorder", m->recorder, 50, 0);
	STR("content", m->content, 20000, IN_MULTILINE);
	STR("resolution", m->resolution, 5000, IN_MULTILINE);
#undef STR
	if (!patch || in_has(b, "planned_on"))
		m->planned_on = in_date(req, b, "planned_on", IN_OPTIONAL | IN_NULLABLE);
	if (!patch || in_has(b, "held_on"))
		m->held_on = in_date(req, b, "held_on", IN_OPTIONAL | IN_NULLABLE);
	json_t *h = json_object_get(b, "hours");
	if (h && !json_is_null(h)) {
		double x = json_number_value(h);
		if (!json_is_number(h) || x < 0 || x > 16)
			req_field_error(req, "hours", "invalid_hours", "学时应为 0 到 16 之间的数");
		else
			m->hours_x10 = (int)lround(x * 10);
	} else if (!patch) {
		m->hours_x10 = m->type == MTG_LECTURE || m->type == MTG_THEME_DAY || m->type == MTG_LIFE ? 20 : 10;
	}
	struct date d, today = roster_today();
	if (m->held_on && date_parse(m->held_on, &d) && date_cmp(d, today) > 0)
		req_field_error(req, "held_on", "in_future", "召开日期不能晚于今天（尚未召开的会议请填写计划日期）");
	if (!m->held_on && !m->planned_on)
		req_field_error(req, "planned_on", "required", "请填写计划日期或召开日期");
}

static void reply_meeting(struct request *req, int status, const struct meeting *m, bool full)
{
	json_t *j = mtg_json(m);
	json_t *att = json_array(), *files = json_array(), *amend = json_array();
	enum db_rc rc = mtg_attendance(req->db, m->id, att);
	if (rc == DB_OK && full)
		rc = file_list_owner(req->db, req->arena, "meeting", m->id, files);
	if (rc == DB_OK && full)
		rc = mtg_amendments(req->db, m->id, amend);
	json_object_set_new(j, "attendees", att);
	json_object_set_new(j, "files", files);
	json_object_set_new(j, "amendments", amend);
	if (rc != DB_OK) {
		json_decref(j);
		req_fail_db(req, rc);
		return;
	}
	req_reply_json(req, status, j);
}

static void post_meeting(struct request *req)
{
	json_t *b = in_body(req);
	if (!b)
		return;
	struct meeting m;
	memset(&m, 0, sizeof m);
	int64_t org_id = 0;
	in_int(req, b, "org_id", IN_REQUIRED, 1, INT64_MAX, &org_id);
	read_meeting(req, b, &m, false);
	if (req_failed(req))
		return;
	struct org_rec o;
	if (!roster_org_in_scope(req, org_id, "meeting.write", &o)) {
		req->err.status = 0;
		req_field_error(req, "org_id", "not_found", "党组织不存在");
		return;
	}
	m.org_id = o.id;
	m.org_path = o.path;
	m.org_name = o.name;
	char today[11];
	date_format(roster_today(), today);
	size_t n;
	struct mtg_attendee *att = read_attendance(req, b, &m, m.held_on ? m.held_on : m.planned_on, &n);
	if (req_failed(req))
		return;
	m.status = MTG_DRAFT;
	m.created_by = auth_user_id(req);
	m.created_at = m.updated_at = clock_now();
	m.version = 1;
	enum db_rc rc = mtg_insert(req->db, &m, att, n);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (audit(req, "meeting.create", &m,
		  arena_printf(req->arena, "新建%s记录 %s", mtg_type_name(m.type), m.topic ? m.topic : "")) != 0)
		return;
	reply_meeting(req, 201, &m, true);
}

/* GET /meetings/{id}: a submitted (or later) record opened by a higher level is a 调阅,
 * recorded once the reading has ended well (its own short write transaction). */
struct view_rec {
	int64_t id, viewer;
	const char *path, *name;
};

static int record_view(struct request *req, void *ctx)
{
	struct view_rec *v = ctx;
	return mtg_view_add(req->db, v->id, v->path, v->viewer, v->name, clock_now()) == DB_OK ? DB_OK : DB_ERROR;
}

static void get_meeting(struct request *req)
{
	struct meeting m;
	if (!meeting_in_scope(req, "meeting.read", &m))
		return;
	bool review = m.status != MTG_PLANNED && m.status != MTG_DRAFT && higher_level(req, "meeting.read", m.org_path);
	if (review) {
		struct view_rec *v = arena_alloc(req->arena, sizeof *v);
		*v = (struct view_rec){m.id, auth_user_id(req), m.org_path, caller_name(req)};
		req_after_commit(req, record_view, v);
		m.view_count++;
	}
	reply_meeting(req, 200, &m, true);
	if (!req_failed(req))
		json_object_set_new(req->out, "counted_as_review", json_boolean(review));
}

static void patch_meeting(struct request *req)
{
	json_t *b = in_body(req);
	struct meeting m;
	if (!b || !meeting_in_scope(req, "meeting.write", &m))
		return;
	struct meeting before = m;
	const char *amend = in_str(req, b, "amend_reason", IN_OPTIONAL, 200);
	if (m.status == MTG_SUBMITTED) {
		req_fail(req, 409, "under_review", "记录已提交审核，退回后才能修改");
		return;
	}
	if (m.status == MTG_APPROVED && !amend) {
		req_field_error(req, "amend_reason", "locked", "记录已审核通过并锁定，更正须填写更正原因（保留原记录）");
		return;
	}
	if (in_has(b, "org_id"))
		req_field_error(req, "org_id", "read_only", "不能更改会议所属组织");
	read_meeting(req, b, &m, true);
	if (req_failed(req))
		return;
	struct mtg_attendee *att = NULL;
	size_t n = 0;
	bool new_att = in_has(b, "attendance") || in_has(b, "guests");
	if (new_att) {
		att = read_attendance(req, b, &m, m.held_on ? m.held_on : m.planned_on, &n);
		if (req_failed(req))
			return;
	}
	if (m.status == MTG_PLANNED && m.held_on)
		m.status = MTG_DRAFT;
	m.updated_at = clock_now();
	m.submitted_at = 0;
	enum db_rc rc = DB_OK;
	if (before.status == MTG_APPROVED)
		rc = mtg_amend_keep(req->db, &before, amend, auth_user_id(req), m.updated_at);
	if (rc == DB_OK)
		rc = mtg_update(req->db, &m, new_att ? att : NULL, n);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (audit(req, before.status == MTG_APPROVED ? "meeting.amend" : "meeting.update", &m,
		  before.status == MTG_APPROVED ? arena_printf(req->arena, "更正已审核记录：%s", amend) : "修改会议记录") != 0)
		return;
	struct meeting now;
	rc = mtg_get(req->db, req->arena, m.id, &now);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	reply_meeting(req, 200, &now, true);
}

static void delete_meeting(struct request *req)
{
	struct meeting m;
	if (!meeting_in_scope(req, "meeting.write", &m))
		return;
	if (m.status != MTG_PLANNED && m.status != MTG_DRAFT) {
		req_fail(req, 409, "not_draft", "只能删除计划或草稿状态的记录");
		return;
	}
	enum db_rc rc = file_delete_owner(req->db, "meeting", m.id);
	if (rc == DB_OK)
		rc = mtg_delete(req->db, m.id);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (audit(req, "meeting.delete", &m, "删除会议记录") != 0)
		return;
	req_reply_json(req, 204, NULL);
}

static void post_submit(struct request *req)
{
	struct meeting m;
	if (!meeting_in_scope(req, "meeting.write", &m))
		return;
	if (m.status != MTG_DRAFT && m.status != MTG_RETURNED) {
		req_fail(req, 409, "not_draft", "只有草稿或被退回的记录可以提交");
		return;
	}
	if (!m.held_on)
		req_field_error(req, "held_on", "required", "提交前请填写召开日期");
	if (!m.topic)
		req_field_error(req, "topic", "required", "提交前请填写议题");
	if (!m.content)
		req_field_error(req, "content", "required", "提交前请填写会议内容");
	if (m.present + m.leave + m.absent == 0)
		req_field_error(req, "attendance", "required", "提交前请登记出席情况");
	if (req_failed(req))
		return;
	m.status = MTG_SUBMITTED;
	m.updated_at = m.submitted_at = clock_now();
	enum db_rc rc = mtg_update(req->db, &m, NULL, 0);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (audit(req, "meeting.submit", &m, "提交会议记录") != 0)
		return;
	mtg_get(req->db, req->arena, m.id, &m);
	reply_meeting(req, 200, &m, true);
}

static const char *const review_actions[] = {"approve", "return", NULL};

static void post_review(struct request *req)
{
	json_t *b = in_body(req);
	struct meeting m;
	if (!b || !meeting_in_scope(req, "meeting.review", &m))
		return;
	const char *action = in_enum(req, b, "action", IN_REQUIRED, review_actions);
	const char *reason = in_str(req, b, "reason", IN_OPTIONAL | IN_MULTILINE, 500);
	if (req_failed(req))
		return;
	/* a branch does not approve its own records: the level above does */
	bool own = !higher_level(req, "meeting.review", m.org_path);
	long long mine = auth_member_id(req);
	struct member_rec r;
	const char *oname;
	if (!own && mine > 0 && member_load(req->db, req->arena, mine, false, &r, &oname) == DB_OK)
		own = r.org_id == m.org_id; /* a member of that branch reviews from above: still its own */
	if (own) {
		req_fail(req, 403, "own_record", "不能审核本组织的会议记录，应由上级党组织审核");
		return;
	}
	if (m.status != MTG_SUBMITTED) {
		req_fail(req, 409, "not_submitted", "只有已提交的记录可以审核");
		return;
	}
	bool approve = strcmp(action, "approve") == 0;
	if (!approve && !reason) {
		req_field_error(req, "reason", "required", "退回须填写原因");
		return;
	}
	int64_t now = clock_now();
	enum db_rc rc = mtg_set_status(req->db, m.id, approve ? MTG_APPROVED : MTG_RETURNED, approve ? NULL : reason,
				       auth_user_id(req), caller_name(req), now);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (audit(req, approve ? "meeting.approve" : "meeting.return", &m,
		  approve ? "审核通过会议记录" : arena_printf(req->arena, "退回会议记录：%s", reason)) != 0)
		return;
	mtg_get(req->db, req->arena, m.id, &m);
	reply_meeting(req, 200, &m, false);
}

static void get_views(struct request *req)
{
	struct meeting m;
	if (!meeting_in_scope(req, "meeting.read", &m))
		return;
	json_t *items = json_array();
	enum db_rc rc = mtg_views(req->db, m.id, items);
	if (rc != DB_OK) {
		json_decref(items);
		req_fail_db(req, rc);
		return;
	}
	req_reply_list(req, items, NULL, m.view_count);
}

/* ---- lists ---- */

static bool mtg_status_ok(const char *v)
{
	return mtg_status_of(v) != MTG_STATUS__MAX;
}

struct list_in {
	int64_t org_id, type, limit;
	const char *status, *from, *to, *cursor;
};
static const struct param list_params[] = {
	PARAM_ID(struct list_in, org_id, "党组织编号无效"),
	PARAM_INT(struct list_in, type, 0, MTG_TYPE__MAX - 1, 0),
	PARAM_INT(struct list_in, limit, 1, 200, 50),
	PARAM_CHECK(struct list_in, status, mtg_status_ok, "状态应为 planned、draft、submitted、returned 或 approved"),
	PARAM_DATE(struct list_in, from),
	PARAM_DATE(struct list_in, to),
	PARAM_STR(struct list_in, cursor, 200),
};
static const struct params list_in = PARAMS(struct list_in, list_params);

REVCACHE_BLOB_DEFINE(list_cache, 64);

static void get_meetings(struct request *req)
{
	const struct list_in *in = req->in;
	const char **prefix, **end;
	size_t nr = roster_org_ranges(req, "meeting.read", in->org_id, &prefix, &end);
	if (req_failed(req))
		return;
	const char *key = "";
	int64_t id = 0;
	if (in->cursor && !roster_cursor_decode(req, in->cursor, &key, &id))
		return;
	/* a page is built once per (ranges, filter, keyset) at a revision of everything it
	 * shows (0127: any write to a record, an organization's rename): the scope is
	 * checked above on each request, the page is the same for everyone whose ranges
	 * these are. A key too long to keep (many ranges, a long cursor) is not kept. */
	char ck[512];
	int kl = snprintf(ck, sizeof ck, "%lld|%s|%s|%s|%lld|%s|%lld", (long long)in->type, in->status ? in->status : "",
			  in->from ? in->from : "", in->to ? in->to : "", (long long)in->limit, key, (long long)id);
	for (size_t i = 0; i < nr && kl > 0 && (size_t)kl < sizeof ck; i++)
		kl += snprintf(ck + kl, sizeof ck - (size_t)kl, "|%s", prefix[i]);
	int64_t epoch, rev;
	mtg_list_revision(req->db, &epoch, &rev);
	if (kl <= 0 || (size_t)kl >= sizeof ck)
		rev = -1;
	char *hit;
	size_t hlen;
	if (rev >= 0 && revcache_get_blob(&list_cache, ck, epoch, rev, 0, req->arena, &hit, &hlen)) {
		req_reply_raw(req, 200, "application/json", hit, hlen);
		return;
	}
	/* the items streamed (mtg_jw): 50 records as jansson values were two thirds of the
	 * request's CPU (malloc, hash inserts, the dump) */
	struct jsonw *w = req_list_begin(req, 512 + (size_t)in->limit * 720);
	char last_key[MTG_KEY_MAX] = "";
	int64_t last_id = 0;
	int n = 0;
	bool more = false;
	for (size_t i = 0; i < nr && n < in->limit; i++) {
		struct mtg_filter f = {prefix[i], end[i], (int)in->type,
				       in->status ? (int)mtg_status_of(in->status) : -1, in->from, in->to, key, id,
				       (int)in->limit - n};
		enum db_rc rc = mtg_list(req->db, &f, w, &n, last_key, &last_id, &more);
		if (rc != DB_OK) {
			req_fail_db(req, rc);
			return;
		}
	}
	req_list_end(req, w, more ? roster_cursor_encode(req, last_key, last_id) : NULL, n);
	if (rev >= 0 && req->status == 200)
		revcache_put_blob(&list_cache, ck, epoch, rev, 0, w->buf, w->len);
}

struct org_in {
	int64_t org_id;
};
static const struct param org_params[] = {PARAM_ID(struct org_in, org_id, "党组织编号无效")};
static const struct params org_in = PARAMS(struct org_in, org_params);

static void get_queue(struct request *req)
{
	const struct org_in *in = req->in;
	const char **prefix, **end;
	size_t nr = roster_org_ranges(req, "meeting.review", in->org_id, &prefix, &end);
	if (req_failed(req))
		return;
	json_t *items = json_array(), *counts = json_object();
	for (size_t i = 0; i < nr; i++) {
		enum db_rc rc = mtg_queue(req->db, req->arena, prefix[i], end[i], 200, items, counts);
		if (rc != DB_OK) {
			json_decref(items);
			json_decref(counts);
			req_fail_db(req, rc);
			return;
		}
	}
	/* the caller's own organizations' records are not theirs to review */
	size_t k;
	json_t *it;
	json_t *keep = json_array();
	json_array_foreach(items, k, it)
	{
		struct org_rec o;
		if (org_get(req->db, req->arena, json_integer_value(json_object_get(it, "org_id")), &o) == DB_OK &&
		    higher_level(req, "meeting.review", o.path))
			json_array_append(keep, it);
	}
	json_decref(items);
	req_reply_json(req, 200, json_pack("{s:o, s:o, s:I}", "items", keep, "counts", counts, "total",
					   (json_int_t)json_array_size(keep)));
}

struct roster_in {
	int64_t org_id;
	const char *date;
};
static const struct param roster_params[] = {
	{PARAM_F_(struct roster_in, org_id, "org_id", PARAM_T_ID, PARAM_REQUIRED), .message = "党组织编号无效"},
	PARAM_DATE(struct roster_in, date),
};
static const struct params roster_in = PARAMS(struct roster_in, roster_params);

static void get_roster(struct request *req)
{
	const struct roster_in *in = req->in;
	struct org_rec o;
	if (!roster_org_in_scope(req, in->org_id, "meeting.write", &o))
		return;
	char today[11];
	date_format(roster_today(), today);
	json_t *items = json_array();
	int64_t n = 0;
	enum db_rc rc = mtg_roster(req->db, o.path, in->date ? in->date : today, items, &n);
	if (rc != DB_OK) {
		json_decref(items);
		req_fail_db(req, rc);
		return;
	}
	req_reply_list(req, items, NULL, n);
}

/* ---- plan, compliance, exemptions, warnings ---- */

static bool org_has_groups(struct request *req, const struct org_rec *o)
{
	struct mtg_heat_opts h = {o->path, scope_path_end(req->arena, o->path), roster_today().y, roster_today(), 0, 0,
				  o->id};
	enum db_rc rc;
	json_t *j = mtg_heatmap(req->db, req->arena, &h, &rc);
	bool groups = false;
	json_t *d = json_object_get(j, "detail");
	size_t i;
	json_t *it;
	json_array_foreach(d, i, it) groups |= json_integer_value(json_object_get(it, "type")) == MTG_GROUP;
	json_decref(j);
	return groups;
}

static void post_plan(struct request *req)
{
	json_t *b = in_body(req);
	int64_t org_id = 0, year = 0;
	if (!b)
		return;
	in_int(req, b, "org_id", IN_REQUIRED, 1, INT64_MAX, &org_id);
	in_int(req, b, "year", IN_REQUIRED, 2000, 2100, &year);
	if (req_failed(req))
		return;
	struct org_rec o;
	if (!roster_org_in_scope(req, org_id, "meeting.write", &o))
		return;
	if (!org_is_branch(o.type)) {
		req_field_error(req, "org_id", "not_branch", "年度计划按党支部制定");
		return;
	}
	int created = 0;
	enum db_rc rc = mtg_plan_year(req->db, o.id, o.path, org_has_groups(req, &o), (int)year, auth_user_id(req),
				      clock_now(), &created);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	struct audit_event ev = {"meeting.plan", "org", o.id, o.id, true,
				 arena_printf(req->arena, "制定%lld年度组织生活计划（%d 项）", (long long)year, created)};
	if (audit_record(req, &ev) != 0)
		return;
	req_reply_json(req, 201, json_pack("{s:I, s:I, s:i}", "org_id", (json_int_t)o.id, "year", (json_int_t)year,
					   "created", created));
}

struct heat_in {
	int64_t org_id, year, offset, limit;
};
static const struct param heat_params[] = {
	PARAM_ID(struct heat_in, org_id, "党组织编号无效"),
	PARAM_INT(struct heat_in, year, 0, 2100, 0),
	PARAM_INT(struct heat_in, offset, 0, 10000000, 0),
	PARAM_INT(struct heat_in, limit, 0, 500, 100),
};
static const struct params heat_in = PARAMS(struct heat_in, heat_params);

static void get_compliance(struct request *req)
{
	const struct heat_in *in = req->in;
	const char **prefix, **end;
	size_t nr = roster_org_ranges(req, "meeting.read", in->org_id, &prefix, &end);
	if (req_failed(req))
		return;
	if (nr != 1) {
		req_field_error(req, "org_id", "required", "请选择一个党组织");
		return;
	}
	struct org_rec o = {0};
	if (in->org_id && !roster_org_in_scope(req, in->org_id, "meeting.read", &o))
		return;
	struct date today = roster_today();
	struct mtg_heat_opts h = {prefix[0], end[0], in->year ? (int)in->year : today.y, today, (int)in->offset,
				  (int)in->limit, o.id && org_is_branch(o.type) ? o.id : 0};
	enum db_rc rc;
	json_t *j = mtg_heatmap(req->db, req->arena, &h, &rc);
	if (!j) {
		req_fail_db(req, rc);
		return;
	}
	if (h.only_org) {
		json_t *ex = json_array();
		rc = mtg_exemptions(req->db, o.id, h.year, ex);
		json_object_set_new(j, "exemptions", ex);
		if (rc != DB_OK) {
			json_decref(j);
			req_fail_db(req, rc);
			return;
		}
	}
	req_reply_json(req, 200, j);
}

static void post_exemption(struct request *req)
{
	json_t *b = in_body(req);
	int64_t org_id = 0, type = 0;
	if (!b)
		return;
	in_int(req, b, "org_id", IN_REQUIRED, 1, INT64_MAX, &org_id);
	in_int(req, b, "type", IN_REQUIRED, 1, MTG_TYPE__MAX - 1, &type);
	const char *period = in_str(req, b, "period", IN_REQUIRED, 7);
	const char *reason = in_str(req, b, "reason", IN_REQUIRED, 200);
	if (req_failed(req))
		return;
	if (!mtg_period_valid((int)type, period)) {
		req_field_error(req, "period", "invalid_period",
				mtg_type_cadence((int)type) == MTG_MONTHLY	   ? "按月开展的会议，期间应为 YYYY-MM"
				: mtg_type_cadence((int)type) == MTG_QUARTERLY ? "按季度开展的会议，期间应为 YYYY-Q1…Q4"
									       : "按年开展的会议，期间应为 YYYY");
		return;
	}
	struct org_rec o;
	if (!roster_org_in_scope(req, org_id, "meeting.review", &o))
		return;
	if (!higher_level(req, "meeting.review", o.path)) {
		req_fail(req, 403, "own_record", "免于考核须由上级党组织批准");
		return;
	}
	enum db_rc rc = mtg_exempt_add(req->db, o.id, o.path, (int)type, period, reason, auth_user_id(req), clock_now());
	if (rc == DB_CONSTRAINT) {
		req_fail(req, 409, "duplicate", "该期间已登记免于考核");
		return;
	}
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	struct audit_event ev = {"meeting.exempt", "org", o.id, o.id, true,
				 arena_printf(req->arena, "%s %s 免于考核：%s", mtg_type_name((int)type), period, reason)};
	if (audit_record(req, &ev) != 0)
		return;
	req_reply_json(req, 201, json_pack("{s:I, s:I, s:s, s:s, s:s}", "org_id", (json_int_t)o.id, "type",
					   (json_int_t)type, "type_name", mtg_type_name((int)type), "period", period,
					   "reason", reason));
}

struct warn_in {
	int64_t org_id;
	const char *date;
};
static const struct param warn_params[] = {PARAM_ID(struct warn_in, org_id, "党组织编号无效"),
					   PARAM_DATE(struct warn_in, date)};
static const struct params warn_in = PARAMS(struct warn_in, warn_params);

static void get_warnings(struct request *req)
{
	const struct warn_in *in = req->in;
	const char **prefix, **end;
	size_t nr = roster_org_ranges(req, "meeting.read", in->org_id, &prefix, &end);
	if (req_failed(req))
		return;
	struct date today = roster_today();
	if (in->date)
		date_parse(in->date, &today);
	json_t *items = json_array();
	for (size_t i = 0; i < nr; i++) {
		enum db_rc rc;
		json_t *w = mtg_warnings(req->db, req->arena, prefix[i], end[i], today, 500, &rc);
		if (!w) {
			json_decref(items);
			req_fail_db(req, rc);
			return;
		}
		json_array_extend(items, w);
		json_decref(w);
	}
	req_reply_list(req, items, NULL, (int64_t)json_array_size(items));
}

/* ---- 民主评议党员 ---- */

static void put_grades(struct request *req)
{
	json_t *b = in_body(req);
	struct meeting m;
	if (!b || !meeting_in_scope(req, "meeting.write", &m))
		return;
	if (m.type != MTG_APPRAISAL || !m.held_on) {
		req_fail(req, 409, "not_appraisal", "只有已召开的民主评议党员会议可以登记评议等次");
		return;
	}
	if (m.status == MTG_APPROVED) {
		req_fail(req, 409, "record_locked", "记录已审核通过并锁定");
		return;
	}
	json_t *g = json_object_get(b, "grades");
	if (!json_is_array(g) || json_array_size(g) > 500) {
		req_field_error(req, "grades", "invalid_list", "评议等次应为列表");
		return;
	}
	static const char *const codes[] = {"excellent", "qualified", "basic", "unqualified", NULL};
	size_t i;
	json_t *it;
	int year = atoi(m.held_on);
	json_array_foreach(g, i, it)
	{
		const char *f = arena_printf(req->arena, "grades[%zu]", i);
		int64_t mid = 0;
		const char *grade = json_is_object(it) ? in_enum(req, it, "grade", IN_REQUIRED, codes) : NULL;
		bool on = false;
		const char *name;
		if (!json_is_object(it) || !in_int(req, it, "member_id", IN_REQUIRED, 1, INT64_MAX, &mid) || !grade)
			continue;
		enum db_rc rc = mtg_roster_has(req->db, m.org_path, m.held_on, mid, &on, &name, req->arena);
		if (rc != DB_OK) {
			req_fail_db(req, rc);
			return;
		}
		if (!on) {
			req_field_error(req, f, "not_due", "该党员不在本组织的名单中");
			continue;
		}
		rc = mtg_grade_set(req->db, mid, year, m.org_id, m.id, grade, clock_now());
		if (rc != DB_OK) {
			req_fail_db(req, rc);
			return;
		}
	}
	if (req_failed(req))
		return;
	if (audit(req, "meeting.grades", &m, arena_printf(req->arena, "登记民主评议等次 %zu 人", json_array_size(g))) != 0)
		return;
	enum db_rc rc;
	json_t *out = mtg_grades(req->db, m.org_path, scope_path_end(req->arena, m.org_path), year, &rc);
	if (!out) {
		req_fail_db(req, rc);
		return;
	}
	req_reply_json(req, 200, out);
}

struct year_in {
	int64_t org_id, year;
};
static const struct param year_params[] = {PARAM_ID(struct year_in, org_id, "党组织编号无效"),
					   PARAM_INT(struct year_in, year, 0, 2100, 0)};
static const struct params year_in = PARAMS(struct year_in, year_params);

static void get_grades(struct request *req)
{
	const struct year_in *in = req->in;
	const char **prefix, **end;
	size_t nr = roster_org_ranges(req, "meeting.read", in->org_id, &prefix, &end);
	if (req_failed(req))
		return;
	int year = in->year ? (int)in->year : roster_today().y;
	json_t *counts = NULL, *items = json_array();
	for (size_t i = 0; i < nr; i++) {
		enum db_rc rc;
		json_t *g = mtg_grades(req->db, prefix[i], end[i], year, &rc);
		if (!g) {
			json_decref(counts);
			json_decref(items);
			req_fail_db(req, rc);
			return;
		}
		json_array_extend(items, json_object_get(g, "items"));
		if (!counts) {
			counts = json_incref(json_object_get(g, "counts"));
		} else {
			const char *k;
			json_t *v;
			json_object_foreach(json_object_get(g, "counts"), k, v)
				json_object_set_new(counts, k, json_integer(json_integer_value(json_object_get(counts, k)) +
									    json_integer_value(v)));
		}
		json_decref(g);
	}
	int64_t follow = 0;
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it) follow += json_is_true(json_object_get(it, "follow_up"));
	req_reply_json(req, 200, json_pack("{s:i, s:o, s:o, s:I}", "year", year, "counts", counts ? counts : json_object(),
					   "items", items, "follow_ups", (json_int_t)follow));
}

/* ---- study hours ---- */

static void get_hours(struct request *req)
{
	const struct year_in *in = req->in;
	const char **prefix, **end;
	size_t nr = roster_org_ranges(req, "meeting.read", in->org_id, &prefix, &end);
	if (req_failed(req))
		return;
	int year = in->year ? (int)in->year : roster_today().y;
	json_t *items = json_array();
	int64_t nshort = 0;
	for (size_t i = 0; i < nr; i++) {
		int64_t s = 0;
		enum db_rc rc = mtg_hours_list(req->db, prefix[i], end[i], year, items, &s);
		if (rc != DB_OK) {
			json_decref(items);
			req_fail_db(req, rc);
			return;
		}
		nshort += s;
	}
	req_reply_json(req, 200, json_pack("{s:i, s:o, s:I, s:I, s:i, s:i}", "year", year, "items", items, "total",
					   (json_int_t)json_array_size(items), "short", (json_int_t)nshort, "required_member",
					   MTG_HOURS_MEMBER, "required_cadre", MTG_HOURS_CADRE));
}

struct me_in {
	int64_t year;
};
static const struct param me_params[] = {PARAM_INT(struct me_in, year, 0, 2100, 0)};
static const struct params me_in = PARAMS(struct me_in, me_params);

static void get_my_study(struct request *req)
{
	const struct me_in *in = req->in;
	long long id = auth_member_id(req);
	if (id <= 0) {
		req_fail(req, 404, "not_found", "没有与此账号关联的党员信息");
		return;
	}
	int year = in->year ? (int)in->year : roster_today().y;
	struct member_rec r;
	const char *org_name = NULL;
	enum db_rc rc = member_load(req->db, req->arena, id, false, &r, &org_name);
	if (rc != DB_OK) {
		if (rc == DB_NOT_FOUND)
			req_fail(req, 404, "not_found", "没有与此账号关联的党员信息");
		else
			req_fail_db(req, rc);
		return;
	}
	json_t *items = json_array();
	int h = 0;
	rc = mtg_member_hours(req->db, id, year, &h, items);
	if (rc != DB_OK) {
		json_decref(items);
		req_fail_db(req, rc);
		return;
	}
	/* the requirement follows the party post, as in the branch's list (mtg_hours_list) */
	int required = r.party_post && *r.party_post ? MTG_HOURS_CADRE : MTG_HOURS_MEMBER;
	req_reply_json(req, 200, json_pack("{s:i, s:f, s:i, s:b, s:s?, s:o}", "year", year, "hours", h / 10.0, "required",
					   required, "short", h < required * 10, "org_name", org_name, "items", items));
}

/* ---- statistics ---- */

struct stats_in {
	int64_t org_id;
	const char *from, *to;
};
static const struct param stats_params[] = {PARAM_ID(struct stats_in, org_id, "党组织编号无效"),
					    PARAM_DATE(struct stats_in, from), PARAM_DATE(struct stats_in, to)};
static const struct params stats_in = PARAMS(struct stats_in, stats_params);

static void get_stats(struct request *req)
{
	const struct stats_in *in = req->in;
	const char **prefix, **end;
	size_t nr = roster_org_ranges(req, "stats.read", in->org_id, &prefix, &end);
	if (req_failed(req))
		return;
	if (nr != 1) {
		req_field_error(req, "org_id", "required", "请选择一个党组织");
		return;
	}
	struct date today = roster_today();
	char from[16], to[16];
	if (in->from)
		snprintf(from, sizeof from, "%s", in->from);
	else
		snprintf(from, sizeof from, "%04d-01-01", today.y % 10000);
	if (in->to)
		snprintf(to, sizeof to, "%s", in->to);
	else
		date_format(today, to);
	enum db_rc rc;
	json_t *j = mtg_stats(req->db, req->arena, prefix[0], end[0], from, to, today, &rc);
	if (!j) {
		req_fail_db(req, rc);
		return;
	}
	req_reply_json(req, 200, j);
}

static const struct route meetings_routes[] = {
	{"GET", "/api/v1/meetings", get_meetings, "meeting.read", RF_TX_READ, 0, "meetings of a subtree, newest first",
	 &list_in},
	{"POST", "/api/v1/meetings", post_meeting, "meeting.write", RF_TX_WRITE, 0, "record a meeting (a draft)"},
	{"GET", "/api/v1/meetings/queue", get_queue, "meeting.review", RF_TX_READ, 0,
	 "the reviewer's queue: submitted records below the caller, with counts", &org_in},
	{"GET", "/api/v1/meetings/roster", get_roster, "meeting.write", RF_TX_READ, 0, "the roster due on a date",
	 &roster_in},
	{"POST", "/api/v1/meetings/plan", post_plan, "meeting.write", RF_TX_WRITE, 0, "a branch's plan for the year"},
	{"GET", "/api/v1/meetings/compliance", get_compliance, "meeting.read", RF_TX_READ | RF_REPLICA, 0,
	 "R-MTG-01: the heat-map of branches × months", &heat_in},
	{"POST", "/api/v1/meetings/exemptions", post_exemption, "meeting.review", RF_TX_WRITE, 0,
	 "R-MTG-01: exempt a branch's period, with a reason"},
	{"GET", "/api/v1/meetings/warnings", get_warnings, "meeting.read", RF_TX_READ, 0,
	 "early warnings: what is missing in the last 10 days of a period", &warn_in},
	{"GET", "/api/v1/meetings/grades", get_grades, "meeting.read", RF_TX_READ, 0, "民主评议党员 grades of a year",
	 &year_in},
	{"GET", "/api/v1/meetings/{id}", get_meeting, "meeting.read", RF_TX_READ, 0,
	 "one record (a higher level's opening is a 调阅)"},
	{"PATCH", "/api/v1/meetings/{id}", patch_meeting, "meeting.write", RF_TX_WRITE, 0,
	 "change a record (an approved one: an amendment with a reason)"},
	{"DELETE", "/api/v1/meetings/{id}", delete_meeting, "meeting.write", RF_TX_WRITE, 0, "delete a plan or draft"},
	{"POST", "/api/v1/meetings/{id}/submit", post_submit, "meeting.write", RF_TX_WRITE, 0, "submit for review"},
	{"POST", "/api/v1/meetings/{id}/review", post_review, "meeting.review", RF_TX_WRITE, 0,
	 "approve or return (the level above)"},
	{"GET", "/api/v1/meetings/{id}/views", get_views, "meeting.read", RF_TX_READ, 0, "the record's 调阅: who, when"},
	{"PUT", "/api/v1/meetings/{id}/grades", put_grades, "meeting.write", RF_TX_WRITE, 0,
	 "民主评议党员: grades of the members"},
	{"GET", "/api/v1/study/hours", get_hours, "meeting.read", RF_TX_READ, 0, "members' study hours of a year",
	 &year_in},
	{"GET", "/api/v1/me/study-hours", get_my_study, "self.read", RF_TX_READ, 0, "the caller's own study hours", &me_in},
	{"GET", "/api/v1/stats/meetings", get_stats, "stats.read", RF_TX_READ | RF_REPLICA, 0,
	 "meeting statistics of a subtree and a period", &stats_in},
};
ROUTE_TABLE(meetings);
