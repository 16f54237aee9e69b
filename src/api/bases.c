/* bases.c: 开放式组织生活基地 (issue 17): the directory of bases, a base's record, closed
 * days, month calendar of free places and approvers; the iCalendar feeds and their
 * tokens; the statistics of the bases. Bookings are in base_bookings.c. A base is open
 * to every organization of its district (base_visible); only those whose scope covers
 * the running organization change it (base.manage) or decide its bookings
 * (base.approve). */
#include "api/base_util.h"
#include "api/files.h"
#include "api/roster_util.h"
#include "auth/audit.h"
#include "auth/policy.h"
#include "auth/scope.h"
#include "auth/session.h"
#include "config.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/jsonw.h"
#include "http/input.h"
#include "http/params.h"
#include "model/base.h"
#include "model/file.h"
#include "model/revcache.h"
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

/* "/12/" of "/12/34/56/" into the arena */
static const char *top_of(struct arena *a, const char *path)
{
	const char *p = path && path[0] == '/' ? strchr(path + 1, '/') : NULL;
	return p ? arena_strndup(a, path, (size_t)(p - path + 1)) : NULL;
}

bool base_visible(const struct request *req, const char *perm, const char *base_org_path)
{
	const char **roots = NULL;
	size_t n = scope_roots(req, perm, &roots);
	for (size_t i = 0; i < n; i++) {
		const char *t = top_of(req->arena, roots[i]);
		if (t && base_org_path && strncmp(base_org_path, t, strlen(t)) == 0)
			return true;
	}
	return false;
}

bool base_load_visible(struct request *req, int64_t id, const char *perm, struct base_rec *b)
{
	if (req_failed(req))
		return false;
	enum db_rc rc = id > 0 ? base_get(req->db, req->arena, id, b) : DB_NOT_FOUND;
	return roster_found(req, rc, rc == DB_OK && base_visible(req, perm, b->org_path), "活动基地不存在");
}

bool base_runs(const struct request *req, const char *perm, const struct base_rec *b)
{
	return scope_allows(req, perm, b->org_path);
}

void base_window(struct date *first, struct date *last)
{
	struct date today = roster_today();
	*first = date_from_days(date_to_days(today) + cfg.base_lead_days);
	*last = date_from_days(date_to_days(today) + cfg.base_horizon_days);
}

static int audit(struct request *req, const char *action, const char *type, int64_t id, int64_t org_id,
		 const char *summary)
{
	struct audit_event ev = {action, type, id, org_id, true, summary};
	return audit_record(req, &ev);
}

static bool kind_ok(const char *v)
{
	for (int i = 0; i < BASE_KINDS; i++)
		if (strcmp(base_kinds[i], v) == 0)
			return true;
	return false;
}

/* The record's fields from b into r (absent fields keep r's with patch). */
static void read_base(struct request *req, json_t *b, struct base_rec *r, bool patch)
{
	if (!patch || in_has(b, "name"))
		r->name = in_str(req, b, "name", IN_REQUIRED, 100);
	if (!patch || in_has(b, "kind")) {
		r->kind = in_str(req, b, "kind", IN_REQUIRED, 20);
		if (r->kind && !kind_ok(r->kind))
			req_field_error(req, "kind", "invalid_code",
					"基地类型应为 纪念馆/展馆、企业党建阵地、社区党群服务中心、学校 或 其他");
	}
	if (!patch || in_has(b, "address"))
		r->address = in_str(req, b, "address", IN_REQUIRED, 200);
	if (!patch || in_has(b, "description"))
		r->description = in_str(req, b, "description", IN_OPTIONAL | IN_NULLABLE | IN_MULTILINE, 2000);
	if (!patch || in_has(b, "contact_name"))
		r->contact_name = in_str(req, b, "contact_name", IN_OPTIONAL | IN_NULLABLE, 50);
	if (!patch || in_has(b, "contact_phone")) {
		r->contact_phone = in_str(req, b, "contact_phone", IN_OPTIONAL | IN_NULLABLE, 20);
		for (const char *p = r->contact_phone; p && *p; p++)
			if (!((*p >= '0' && *p <= '9') || *p == '-' || *p == ' ' || *p == '+')) {
				req_field_error(req, "contact_phone", "invalid_phone", "联系电话只能包含数字和 -");
				break;
			}
	}
	int64_t v;
	if (!patch || in_has(b, "capacity"))
		r->capacity = in_int(req, b, "capacity", IN_REQUIRED, 1, 10000, &v) ? (int)v : 0;
	if (!patch || in_has(b, "slot_minutes"))
		r->slot_minutes = in_int(req, b, "slot_minutes", IN_REQUIRED, 15, 480, &v) ? (int)v : 0;
	if (!patch || in_has(b, "approval_required")) {
		bool ap = true;
		if (in_has(b, "approval_required"))
			in_bool(req, b, "approval_required", IN_OPTIONAL, &ap);
		r->approval_required = ap;
	}
	if (!patch || in_has(b, "holidays_closed")) {
		bool hc = false;
		if (in_has(b, "holidays_closed"))
			in_bool(req, b, "holidays_closed", IN_OPTIONAL, &hc);
		r->holidays_closed = hc;
	}
	if (!patch || in_has(b, "status")) {
		static const char *const st[] = {"open", "closed", NULL};
		const char *s = in_enum(req, b, "status", IN_OPTIONAL, st);
		r->open = !s || strcmp(s, "open") == 0;
	}
	if (!patch || in_has(b, "hours")) {
		json_t *h = json_object_get(b, "hours");
		if (!h)
			req_field_error(req, "hours", "required", "此项必填");
		else if (!base_hours_parse(h, r))
			req_field_error(req, "hours", "invalid_hours",
					"开放时间应为周一至周日7项，每项为 null 或 \"HH:MM-HH:MM\"（开始早于结束）");
		else {
			char *d = json_dumps(h, JSON_COMPACT);
			r->hours_json = arena_strdup(req->arena, d);
			free(d);
		}
	}
	if (!patch || in_has(b, "offers")) {
		json_t *o = json_object_get(b, "offers");
		if (o && !json_is_null(o)) {
			bool ok = json_is_array(o) && json_array_size(o) <= 10;
			size_t i;
			json_t *it;
			if (ok)
				json_array_foreach(o, i, it)
				{
					bool known = false;
					for (const char *const *k = base_offers; json_is_string(it) && *k; k++)
						known |= strcmp(*k, json_string_value(it)) == 0;
					ok &= known;
				}
			if (!ok)
				req_field_error(req, "offers", "invalid_code", "活动内容应为 讲解、党课、重温入党誓词 中的若干项");
			else {
				char *d = json_dumps(o, JSON_COMPACT);
				r->offers_json = arena_strdup(req->arena, d);
				free(d);
			}
		} else
			r->offers_json = "[]";
	}
	if (!patch || in_has(b, "point")) {
		json_t *p = json_object_get(b, "point");
		r->has_point = false;
		if (p && !json_is_null(p)) {
			json_t *la = json_object_get(p, "lat"), *ln = json_object_get(p, "lng");
			double lat = json_number_value(la), lng = json_number_value(ln);
			if (!json_is_object(p) || !json_is_number(la) || !json_is_number(ln) || lat < -90 || lat > 90 ||
			    lng < -180 || lng > 180)
				req_field_error(req, "point", "invalid_point", "地图位置应为 {lat, lng}（纬度 -90~90，经度 -180~180）");
			else {
				r->has_point = true;
				r->lat_e6 = (int64_t)(lat * 1e6 + (lat >= 0 ? 0.5 : -0.5));
				r->lng_e6 = (int64_t)(lng * 1e6 + (lng >= 0 ? 0.5 : -0.5));
			}
		}
	}
}

/* Photos of a base come from the files store (issue 15): those who run the base upload
 * them (POST /api/v1/files?owner_kind=base&owner_id=, base.manage over the running
 * organization); everyone who sees the base sees them through /bases/{id}/photos/{file}. */
static enum db_rc base_file_owner(struct db *db, struct arena *a, int64_t id, int64_t *org_id, const char **org_path,
				  bool *locked)
{
	struct base_rec b;
	enum db_rc rc = base_get(db, a, id, &b);
	if (rc != DB_OK)
		return rc;
	*org_id = b.org_id;
	*org_path = b.org_path;
	*locked = false;
	return DB_OK;
}
FILE_OWNER(base, "base.read", "base.manage", base_file_owner);

/* [{id, name, width, height, url, thumb_url}] of the base's photos. */
static json_t *base_photos(struct request *req, int64_t base_id, enum db_rc *rc)
{
	json_t *files = json_array(), *out = json_array();
	*rc = file_list_owner(req->db, req->arena, "base", base_id, files);
	size_t i;
	json_t *f;
	json_array_foreach(files, i, f)
	{
		const char *type = json_string_value(json_object_get(f, "content_type"));
		if (!type || strncmp(type, "image/", 6) != 0)
			continue;
		json_int_t fid = json_integer_value(json_object_get(f, "id"));
		const char *url = arena_printf(req->arena, "/api/v1/bases/%lld/photos/%lld", (long long)base_id, (long long)fid);
		json_array_append_new(out, json_pack("{s:I, s:O?, s:O?, s:O?, s:s, s:s}", "id", fid, "name",
						     json_object_get(f, "name"), "width", json_object_get(f, "width"),
						     "height", json_object_get(f, "height"), "url", url, "thumb_url",
						     arena_printf(req->arena, "%s?thumb=1", url)));
	}
	json_decref(files);
	return out;
}

static void reply_base(struct request *req, int status, int64_t id)
{
	struct base_rec b;
	enum db_rc rc = base_get(req->db, req->arena, id, &b);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	json_t *j = base_json(&b);
	json_object_set_new(j, "can_manage", json_boolean(base_runs(req, "base.manage", &b)));
	json_object_set_new(j, "can_approve", json_boolean(base_runs(req, "base.approve", &b)));
	json_t *closed = json_array();
	char today[11];
	clock_today(today);
	rc = base_closed_list(req->db, b.id, today, "9999-12-31", closed);
	if (rc != DB_OK) {
		json_decref(closed);
		json_decref(j);
		req_fail_db(req, rc);
		return;
	}
	json_object_set_new(j, "closed_days", closed);
	json_t *photos = base_photos(req, b.id, &rc);
	json_object_set_new(j, "photos", photos);
	if (rc != DB_OK) {
		json_decref(j);
		req_fail_db(req, rc);
		return;
	}
	req_reply_json(req, status, j);
}

struct bases_in {
	int64_t org_id;
	const char *kind, *q;
};
static const struct param bases_params[] = {
	PARAM_ID(struct bases_in, org_id, "党组织编号无效"),
	PARAM_CHECK(struct bases_in, kind, kind_ok, "基地类型无效"),
	PARAM_STR(struct bases_in, q, 40),
};
static const struct params bases_in = PARAMS(struct bases_in, bases_params);

/* The directory: the bases of every district the caller's scope reaches (or those run
 * within org_id's subtree). */
static void get_bases(struct request *req)
{
	const struct bases_in *in = req->in;
	json_t *items = json_array();
	const char *like = arena_like_contains(req->arena, in->q);
	enum db_rc rc = DB_OK;
	if (in->org_id) {
		struct org_rec o;
		enum db_rc orc = org_get(req->db, req->arena, in->org_id, &o);
		if (orc != DB_OK || !base_visible(req, "base.read", o.path)) {
			json_decref(items);
			if (orc != DB_OK && orc != DB_NOT_FOUND)
				req_fail_db(req, orc);
			else
				req_field_error(req, "org_id", "not_found", "党组织不存在");
			return;
		}
		rc = base_list(req->db, req->arena, o.path, scope_path_end(req->arena, o.path), in->kind, like, items);
	} else {
		const char **roots = NULL;
		size_t n = scope_roots(req, "base.read", &roots);
		const char **tops = arena_alloc(req->arena, sizeof *tops * (n ? n : 1));
		size_t nt = 0;
		for (size_t i = 0; i < n && rc == DB_OK; i++) {
			const char *t = top_of(req->arena, roots[i]);
			bool seen = false;
			for (size_t k = 0; k < nt; k++)
				seen |= strcmp(tops[k], t) == 0;
			if (!t || seen)
				continue;
			tops[nt++] = t;
			rc = base_list(req->db, req->arena, t, scope_path_end(req->arena, t), in->kind, like, items);
		}
	}
	if (rc != DB_OK) {
		json_decref(items);
		req_fail_db(req, rc);
		return;
	}
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it)
	{
		const char *path = json_string_value(json_object_get(it, "_path"));
		json_object_set_new(it, "can_manage", json_boolean(path && scope_allows(req, "base.manage", path)));
		json_object_set_new(it, "can_approve", json_boolean(path && scope_allows(req, "base.approve", path)));
		json_object_del(it, "_path");
		json_t *photos = base_photos(req, json_integer_value(json_object_get(it, "id")), &rc);
		json_object_set_new(it, "photos", photos);
		if (rc != DB_OK) {
			json_decref(items);
			req_fail_db(req, rc);
			return;
		}
	}
	req_reply_list(req, items, NULL, (int64_t)json_array_size(items));
}

static void get_base(struct request *req)
{
	struct base_rec b;
	if (!base_load_visible(req, req_param_id(req, "id"), "base.read", &b))
		return;
	reply_base(req, 200, b.id);
}

static void post_base(struct request *req)
{
	json_t *body = in_body(req);
	if (!body)
		return;
	struct base_rec b;
	memset(&b, 0, sizeof b);
	int64_t org_id = 0;
	in_int(req, body, "org_id", IN_REQUIRED, 1, INT64_MAX, &org_id);
	read_base(req, body, &b, false);
	if (req_failed(req))
		return;
	struct org_rec o;
	if (!roster_org_in_scope(req, org_id, "base.manage", &o)) {
		req->err.status = 0;
		req_field_error(req, "org_id", "not_found", "党组织不存在");
		return;
	}
	b.org_id = o.id;
	enum db_rc rc = base_insert(req->db, &b, clock_now());
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (audit(req, "base.create", "base", b.id, o.id, arena_printf(req->arena, "新建活动基地 %s", b.name)) != 0)
		return;
	reply_base(req, 201, b.id);
}

/* The base {id} when the caller runs it for perm; 404 when unseen, 403 when seen but
 * not run. */
static bool base_load_run(struct request *req, const char *perm, struct base_rec *b)
{
	if (!base_load_visible(req, req_param_id(req, "id"), "base.read", b))
		return false;
	if (!base_runs(req, perm, b)) {
		req_fail(req, 403, "not_base_manager", "只有运营该基地的党组织才能进行此操作");
		return false;
	}
	return true;
}

static void patch_base(struct request *req)
{
	json_t *body = in_body(req);
	struct base_rec b;
	if (!body || !base_load_run(req, "base.manage", &b))
		return;
	if (in_has(body, "org_id"))
		req_field_error(req, "org_id", "read_only", "运营单位不能修改");
	read_base(req, body, &b, true);
	if (req_failed(req))
		return;
	enum db_rc rc = base_update(req->db, &b, clock_now());
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (audit(req, "base.update", "base", b.id, b.org_id, arena_printf(req->arena, "修改活动基地 %s", b.name)) != 0)
		return;
	reply_base(req, 200, b.id);
}

static void put_closed_days(struct request *req)
{
	json_t *body = in_body(req);
	struct base_rec b;
	if (!body || !base_load_run(req, "base.manage", &b))
		return;
	json_t *days = json_object_get(body, "days");
	if (!json_is_array(days) || json_array_size(days) > 400) {
		req_field_error(req, "days", "invalid_list", "闭馆日应为不超过400项的列表");
		return;
	}
	size_t i;
	json_t *it;
	json_array_foreach(days, i, it)
	{
		const char *f = arena_printf(req->arena, "days[%zu]", i);
		json_t *d = json_object_get(it, "day"), *r = json_object_get(it, "reason");
		if (!json_is_object(it) || !json_is_string(d) || !date_valid(json_string_value(d)))
			req_field_error(req, f, "invalid_date", "日期应为有效的 YYYY-MM-DD");
		else if (r && !json_is_null(r) && (!json_is_string(r) || in_utf8_len(json_string_value(r)) > 50))
			req_field_error(req, f, "invalid_reason", "闭馆原因不超过50字");
	}
	if (req_failed(req))
		return;
	enum db_rc rc = base_closed_replace(req->db, b.id, days);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (audit(req, "base.closed_days", "base", b.id, b.org_id,
		  arena_printf(req->arena, "%s 闭馆日 %zu 天", b.name, json_array_size(days))) != 0)
		return;
	reply_base(req, 200, b.id);
}

static void get_approvers(struct request *req)
{
	struct base_rec b;
	if (!base_load_visible(req, req_param_id(req, "id"), "base.read", &b))
		return;
	json_t *all = json_array(), *items = json_array();
	enum db_rc rc = base_assignments_covering(req->db, b.org_path, all);
	if (rc != DB_OK) {
		json_decref(all);
		json_decref(items);
		req_fail_db(req, rc);
		return;
	}
	size_t i;
	json_t *it;
	json_array_foreach(all, i, it)
	{
		const struct role_def *r = policy_role(json_string_value(json_object_get(it, "role")));
		if (r && policy_role_has(r, "base.approve")) {
			json_object_set_new(it, "role_name", json_string(r->name));
			json_array_append(items, it);
		}
	}
	json_decref(all);
	req_reply_list(req, items, NULL, (int64_t)json_array_size(items));
}

struct photo_in {
	int thumb;
};
static const struct param photo_params[] = {PARAM_BOOL(struct photo_in, thumb)};
static const struct params photo_in = PARAMS(struct photo_in, photo_params);

struct membuf {
	char *p;
	size_t len, cap;
};

static bool put_mem(void *ctx, const void *p, size_t n)
{
	struct membuf *m = ctx;
	if (m->len + n > m->cap)
		return false;
	memcpy(m->p + m->len, p, n);
	m->len += n;
	return true;
}

/* GET /api/v1/bases/{id}/photos/{file_id}[?thumb=1]: a photo of a base the caller sees. */
static void get_photo(struct request *req)
{
	const struct photo_in *in = req->in;
	struct base_rec b;
	if (!base_load_visible(req, req_param_id(req, "id"), "base.read", &b))
		return;
	int64_t fid = req_param_id(req, "file_id");
	if (req_failed(req))
		return;
	struct file_rec f;
	enum db_rc rc = file_get(req->db, req->arena, fid, &f);
	if (rc == DB_NOT_FOUND || (rc == DB_OK && (strcmp(f.owner_kind, "base") != 0 || f.owner_id != b.id ||
						   strncmp(f.content_type, "image/", 6) != 0))) {
		req_fail(req, 404, "not_found", "照片不存在");
		return;
	}
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	bool thumb = in->thumb == 1 && f.thumb_size > 0;
	size_t size = (size_t)(thumb ? f.thumb_size : f.size);
	struct membuf m = {arena_alloc_raw(req->arena, size ? size : 1), 0, size};
	rc = file_read(req->db, f.id, thumb ? FILE_PART_THUMB : FILE_PART_CONTENT, put_mem, &m);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	req_reply_raw(req, 200, thumb ? "image/jpeg" : f.content_type, m.p, m.len);
}

/* ---- the month calendar ---- */

struct cal_in {
	const char *month, *day;
};
static const struct param cal_params[] = {PARAM_STR(struct cal_in, month, 7), PARAM_DATE(struct cal_in, day)};
static const struct params cal_in = PARAMS(struct cal_in, cal_params);

struct cal_slot {
	char day[11];
	int start;
	int64_t taken, waiting;
};
struct cal_acc {
	struct arena *a;
	struct cal_slot *v;
	size_t n, cap;
};

static void cal_add(void *ctx, const char *day, int start, int64_t taken, int64_t waiting)
{
	struct cal_acc *c = ctx;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;
		struct cal_slot *nv = arena_alloc(c->a, sizeof *nv * cap);
		if (c->n)
			memcpy(nv, c->v, sizeof *nv * c->n);
		c->v = nv;
		c->cap = cap;
	}
	struct cal_slot *s = &c->v[c->n++];
	snprintf(s->day, sizeof s->day, "%s", day ? day : "");
	s->start = start;
	s->taken = taken;
	s->waiting = waiting;
}

/* built calendars (see get_calendar) */
REVCACHE_BLOB_DEFINE(calendar_cache, 64);

static void get_calendar(struct request *req)
{
	const struct cal_in *in = req->in;
	struct base_rec b;
	if (!base_load_visible(req, req_param_id(req, "id"), "base.read", &b))
		return;
	struct date first;
	char ms[11];
	if (in->month) {
		snprintf(ms, sizeof ms, "%s-01", in->month);
		if (strlen(in->month) != 7 || !date_parse(ms, &first)) {
			req_field_error(req, "month", "invalid_month", "月份应为 YYYY-MM");
			return;
		}
	} else {
		first = roster_today();
		first.d = 1;
	}
	struct date next = date_add_months(first, 1);
	char from[11], to[11];
	date_format(first, from);
	date_format(next, to);
	/* built once per (base, month, day asked) at a revision of the bases and today's
	 * date (the past days, the booking window): the visibility is checked above on each
	 * request, the answer is the same for everyone who sees the base */
	struct date today0 = roster_today();
	char key[64];
	snprintf(key, sizeof key, "%lld|%s|%s", (long long)b.id, from, in->day ? in->day : "");
	int64_t epoch, rev, kday = date_to_days(today0);
	base_revision(req->db, &epoch, &rev);
	char *hit;
	size_t hlen;
	if (rev >= 0 && revcache_get_blob(&calendar_cache, key, epoch, rev, kday, req->arena, &hit, &hlen)) {
		req_reply_raw(req, 200, "application/json", hit, hlen);
		return;
	}
	struct cal_acc acc = {req->arena, NULL, 0, 0};
	enum db_rc rc = base_month(req->db, b.id, from, to, cal_add, &acc);
	/* a constant number of statements: the month's bookings (one range of
	 * base_bookings_slot), its closed days and its statutory holidays (one range each);
	 * the days are then walked in C beside these lists, all in day order */
	json_t *closed = json_array(), *hols = json_array();
	if (rc == DB_OK)
		rc = base_closed_list(req->db, b.id, from, to, closed);
	if (rc == DB_OK && b.holidays_closed)
		rc = base_holidays(req->db, from, to, hols);
	if (rc != DB_OK) {
		json_decref(closed);
		json_decref(hols);
		req_fail_db(req, rc);
		return;
	}
	struct date wfirst, wlast, today = today0;
	base_window(&wfirst, &wlast);
	struct jsonw w;
	jw_init(&w, req->arena, 16384);
	jw_object(&w);
	jw_kint(&w, "base_id", b.id);
	jw_kstr(&w, "month", arena_strndup(req->arena, from, 7));
	jw_kint(&w, "capacity", b.capacity);
	jw_kint(&w, "slot_minutes", b.slot_minutes);
	jw_kstr(&w, "first_bookable", arena_printf(req->arena, "%04d-%02d-%02d", wfirst.y, wfirst.m, wfirst.d));
	jw_kstr(&w, "last_bookable", arena_printf(req->arena, "%04d-%02d-%02d", wlast.y, wlast.m, wlast.d));
	jw_key(&w, "days");
	jw_array(&w);
	size_t k = 0, ci = 0, hi = 0;
	for (int64_t d = date_to_days(first); d < date_to_days(next); d++) {
		struct date dd = date_from_days(d);
		char ds[11];
		date_format(dd, ds);
		int wd = base_weekday(dd);
		const char *reason = NULL;
		bool shut = false;
		json_t *it;
		while ((it = json_array_get(closed, ci)) && strcmp(json_string_value(json_object_get(it, "day")), ds) < 0)
			ci++;
		if (it && strcmp(json_string_value(json_object_get(it, "day")), ds) == 0) {
			shut = true;
			reason = json_string_value(json_object_get(it, "reason"));
		}
		while ((it = json_array_get(hols, hi)) && strcmp(json_string_value(json_object_get(it, "day")), ds) < 0)
			hi++;
		if (!shut && it && strcmp(json_string_value(json_object_get(it, "day")), ds) == 0) {
			const char *hname = json_string_value(json_object_get(it, "name"));
			shut = true;
			reason = hname && *hname ? hname : "法定节假日";
		}
		bool open = b.open && !shut && b.opens[wd] >= 0;
		bool bookable_day = open && date_cmp(dd, wfirst) >= 0 && date_cmp(dd, wlast) <= 0;
		jw_object(&w);
		jw_kstr(&w, "day", ds);
		jw_kint(&w, "weekday", wd + 1);
		jw_key(&w, "open");
		jw_bool(&w, open);
		jw_key(&w, "past");
		jw_bool(&w, date_cmp(dd, today) < 0);
		if (shut)
			jw_kstr(&w, "closed_reason", reason ? reason : "闭馆");
		int64_t free_sum = 0, taken_sum = 0, waiting_sum = 0;
		/* the slots of ?day= only: a month of a busy base is ~3,000 slots */
		bool detail = in->day && strcmp(in->day, ds) == 0;
		if (detail) {
			jw_key(&w, "slots");
			jw_array(&w);
		}
		while (k < acc.n && strcmp(acc.v[k].day, ds) < 0)
			k++;
		if (open) {
			/* the day's slots with bookings come in slot order, as the slots are walked */
			size_t q = k;
			for (int s = b.opens[wd]; s + b.slot_minutes <= b.closes[wd]; s += b.slot_minutes) {
				int64_t taken = 0, waiting = 0;
				while (q < acc.n && acc.v[q].start < s && strcmp(acc.v[q].day, ds) == 0)
					q++;
				if (q < acc.n && acc.v[q].start == s && strcmp(acc.v[q].day, ds) == 0) {
					taken = acc.v[q].taken;
					waiting = acc.v[q].waiting;
				}
				int64_t fr = b.capacity - taken > 0 ? b.capacity - taken : 0;
				free_sum += fr;
				taken_sum += taken;
				waiting_sum += waiting;
				if (!detail)
					continue;
				char hs[6], he[6];
				base_format_hm(s, hs);
				base_format_hm(s + b.slot_minutes, he);
				jw_object(&w);
				jw_kstr(&w, "slot", hs);
				jw_kstr(&w, "end", he);
				jw_kint(&w, "taken", taken);
				jw_kint(&w, "free", fr);
				jw_kint(&w, "waiting", waiting);
				jw_key(&w, "bookable");
				jw_bool(&w, bookable_day);
				jw_object_end(&w);
			}
		}
		if (detail)
			jw_array_end(&w);
		jw_key(&w, "bookable");
		jw_bool(&w, bookable_day);
		jw_kint(&w, "free", free_sum);
		jw_kint(&w, "taken", taken_sum);
		jw_kint(&w, "waiting", waiting_sum);
		jw_object_end(&w);
	}
	jw_array_end(&w);
	jw_object_end(&w);
	json_decref(closed);
	json_decref(hols);
	if (rev >= 0)
		revcache_put_blob(&calendar_cache, key, epoch, rev, kday, w.buf, w.len);
	req_reply_raw(req, 200, "application/json", w.buf, w.len);
}

/* ---- calendar feeds ---- */

/* Whether the caller may hold feeds of (kind, object): a base it runs (base.manage), an
 * organization in its scope for base.book. 404 otherwise. */
static bool feed_object_ok(struct request *req, const char *kind, int64_t object_id, const char **name)
{
	if (strcmp(kind, "base") == 0) {
		struct base_rec b;
		if (!base_load_visible(req, object_id, "base.read", &b))
			return false;
		if (!base_runs(req, "base.manage", &b)) {
			req_fail(req, 403, "not_base_manager", "只有运营该基地的党组织才能管理其日历订阅");
			return false;
		}
		*name = b.name;
		return true;
	}
	struct org_rec o;
	if (!roster_org_in_scope(req, object_id, "base.book", &o))
		return false;
	*name = o.name;
	return true;
}

static const char *const feed_kinds[] = {"base", "org", NULL};

struct feeds_in {
	const char *kind;
	int64_t object_id;
};
static const struct param feeds_params[] = {
	{PARAM_F_(struct feeds_in, kind, "kind", PARAM_T_ENUM, PARAM_REQUIRED), .allowed = feed_kinds,
	 .message = "订阅类型应为 base 或 org"},
	{PARAM_F_(struct feeds_in, object_id, "object_id", PARAM_T_ID, PARAM_REQUIRED), .message = "编号无效"},
};
static const struct params feeds_in = PARAMS(struct feeds_in, feeds_params);

static void get_feeds(struct request *req)
{
	const struct feeds_in *in = req->in;
	const char *name;
	if (!feed_object_ok(req, in->kind, in->object_id, &name))
		return;
	json_t *items = json_array();
	enum db_rc rc = base_feed_list(req->db, in->kind, in->object_id, items);
	if (rc != DB_OK) {
		json_decref(items);
		req_fail_db(req, rc);
		return;
	}
	req_reply_list(req, items, NULL, (int64_t)json_array_size(items));
}

static void post_feed(struct request *req)
{
	json_t *body = in_body(req);
	if (!body)
		return;
	const char *kind = in_enum(req, body, "kind", IN_REQUIRED, feed_kinds);
	int64_t object_id = 0;
	in_int(req, body, "object_id", IN_REQUIRED, 1, INT64_MAX, &object_id);
	if (req_failed(req))
		return;
	const char *name;
	if (!feed_object_ok(req, kind, object_id, &name)) {
		if (req->err.status == 404) {
			req->err.status = 0;
			req_field_error(req, "object_id", "not_found", "订阅对象不存在");
		}
		return;
	}
	int64_t id;
	const char *token;
	enum db_rc rc = base_feed_create(req->db, req->arena, kind, object_id, req->session->user_id, clock_now(), &id,
					 &token);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (audit(req, "base.feed_create", "base_feed", id, 0, arena_printf(req->arena, "日历订阅 %s", name)) != 0)
		return;
	req_reply_json(req, 201, json_pack("{s:I, s:s, s:I, s:s, s:s}", "id", (json_int_t)id, "kind", kind, "object_id",
					   (json_int_t)object_id, "token", token, "url",
					   arena_printf(req->arena, "/api/v1/ical/%s.ics", token)));
}

static void delete_feed(struct request *req)
{
	int64_t id = req_param_id(req, "id");
	if (req_failed(req))
		return;
	const char *kind, *name;
	int64_t object_id;
	bool revoked;
	enum db_rc rc = base_feed_get(req->db, req->arena, id, &kind, &object_id, &revoked);
	if (rc == DB_NOT_FOUND) {
		req_fail(req, 404, "not_found", "日历订阅不存在");
		return;
	}
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (!feed_object_ok(req, kind, object_id, &name))
		return;
	if (!revoked) {
		rc = base_feed_revoke(req->db, id, clock_now());
		if (rc != DB_OK) {
			req_fail_db(req, rc);
			return;
		}
		if (audit(req, "base.feed_revoke", "base_feed", id, 0, arena_printf(req->arena, "撤销日历订阅 %s", name)) !=
		    0)
			return;
	}
	req_reply_json(req, 204, NULL);
}

/* GET /api/v1/ical/{token}.ics: public, the token is the credential; an unknown or
 * revoked one answers 404 like any missing object. */
static void get_ical(struct request *req)
{
	const char *t = req_param(req, "token");
	size_t n = t ? strlen(t) : 0;
	if (n > 4 && strcmp(t + n - 4, ".ics") == 0)
		t = arena_strndup(req->arena, t, n - 4);
	const char *kind;
	int64_t object_id, id;
	enum db_rc rc = t && strlen(t) == 43 ? base_feed_find(req->db, req->arena, t, &kind, &object_id, &id)
					      : DB_NOT_FOUND;
	if (rc == DB_NOT_FOUND) {
		req_fail(req, 404, "not_found", "日历订阅不存在或已撤销");
		return;
	}
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	struct date today = roster_today();
	char from[11], to[11];
	date_format(date_from_days(date_to_days(today) - 90), from);
	date_format(date_from_days(date_to_days(today) + 366), to);
	char *out = NULL;
	size_t len = 0;
	if (strcmp(kind, "base") == 0) {
		struct base_rec b;
		rc = base_get(req->db, req->arena, object_id, &b);
		if (rc == DB_OK)
			rc = base_ics(req->db, req->arena, b.id, NULL, NULL, from, to, b.name, clock_now(), &out, &len);
	} else {
		struct org_rec o;
		rc = org_get(req->db, req->arena, object_id, &o);
		if (rc == DB_OK)
			rc = base_ics(req->db, req->arena, 0, o.path, scope_path_end(req->arena, o.path), from, to,
				      arena_printf(req->arena, "%s 基地活动", o.name), clock_now(), &out, &len);
	}
	if (rc == DB_NOT_FOUND) {
		req_fail(req, 404, "not_found", "日历订阅不存在或已撤销");
		return;
	}
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	req_reply_raw(req, 200, "text/calendar; charset=utf-8", out, len);
}

/* ---- statistics ---- */

struct bstats_in {
	int64_t org_id;
	const char *from, *to;
};
static const struct param bstats_params[] = {
	PARAM_ID(struct bstats_in, org_id, "党组织编号无效"),
	PARAM_DATE(struct bstats_in, from),
	PARAM_DATE(struct bstats_in, to),
};
static const struct params bstats_in = PARAMS(struct bstats_in, bstats_params);

static void get_base_stats(struct request *req)
{
	const struct bstats_in *in = req->in;
	struct date today = roster_today();
	const char *from = in->from ? in->from : arena_printf(req->arena, "%04d-01-01", today.y);
	const char *to = in->to ? in->to : arena_printf(req->arena, "%04d-12-31", today.y);
	struct date df, dt;
	date_parse(from, &df);
	date_parse(to, &dt);
	if (date_cmp(df, dt) > 0 || date_to_days(dt) - date_to_days(df) > 3 * 366) {
		req_field_error(req, "to", "invalid_period", "统计区间应为起始不晚于结束、不超过3年");
		return;
	}
	const char **prefix = NULL, **end = NULL;
	size_t n = roster_org_ranges(req, "stats.read", in->org_id, &prefix, &end);
	if (req_failed(req))
		return;
	struct base_stats s;
	memset(&s, 0, sizeof s);
	json_t *per_base = json_array();
	for (size_t i = 0; i < n; i++) {
		enum db_rc rc = base_stats(req->db, req->arena, prefix[i], end[i], from, to, &s, per_base);
		if (rc != DB_OK) {
			json_decref(per_base);
			req_fail_db(req, rc);
			return;
		}
	}
	json_t *kinds = json_object();
	for (int k = 0; k < BASE_KINDS; k++)
		json_object_set_new(kinds, base_kinds[k], json_integer(s.by_kind[k]));
	req_reply_json(req, 200,
		       json_pack("{s:s, s:s, s:{s:I, s:o}, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I}, s:I, s:I, s:I, s:f, s:o}",
				 "from", from, "to", to, "bases", "total", (json_int_t)s.bases, "by_kind", kinds,
				 "bookings", "received", (json_int_t)s.received, "approved", (json_int_t)s.approved,
				 "completed", (json_int_t)s.completed, "declined", (json_int_t)s.declined, "cancelled",
				 (json_int_t)s.cancelled, "no_show", (json_int_t)s.no_show, "waitlisted",
				 (json_int_t)s.waitlisted, "visiting_members", (json_int_t)s.visitors, "booked_places",
				 (json_int_t)s.booked_places, "offered_places", (json_int_t)s.offered_places, "use_rate",
				 s.offered_places > 0 ? (double)s.booked_places / (double)s.offered_places : 0.0,
				 "per_base", per_base));
}

static const struct route bases_routes[] = {
	{"GET", "/api/v1/bases", get_bases, "base.read", RF_TX_READ, 0, "the directory of bases open to the caller",
	 &bases_in},
	{"POST", "/api/v1/bases", post_base, "base.manage", RF_TX_WRITE, 0, "create a base run by an organization"},
	{"GET", "/api/v1/bases/{id}", get_base, "base.read", RF_TX_READ, 0, "one base with its closed days"},
	{"PATCH", "/api/v1/bases/{id}", patch_base, "base.manage", RF_TX_WRITE, 0, "change a base"},
	{"PUT", "/api/v1/bases/{id}/closed-days", put_closed_days, "base.manage", RF_TX_WRITE, 0,
	 "replace the base's closed days"},
	{"GET", "/api/v1/bases/{id}/approvers", get_approvers, "base.read", RF_TX_READ, 0,
	 "the users who decide the base's bookings"},
	{"GET", "/api/v1/bases/{id}/photos/{file_id}", get_photo, "base.read", RF_TX_READ, 0,
	 "a photo of the base (its thumbnail with ?thumb=1)", &photo_in},
	{"GET", "/api/v1/bases/{id}/calendar", get_calendar, "base.read", RF_TX_READ, 0,
	 "a month of the base's slots with free places", &cal_in},
	{"GET", "/api/v1/base-feeds", get_feeds, "base.read", RF_TX_READ, 0, "calendar feeds of a base or organization",
	 &feeds_in},
	{"POST", "/api/v1/base-feeds", post_feed, "base.read", RF_TX_WRITE, 0, "a new calendar feed token"},
	{"DELETE", "/api/v1/base-feeds/{id}", delete_feed, "base.read", RF_TX_WRITE, 0, "revoke a calendar feed"},
	{"GET", "/api/v1/ical/{token}", get_ical, PERM_PUBLIC, RF_TX_READ, 0, "an iCalendar feed (the token is the key)"},
	{"GET", "/api/v1/stats/bases", get_base_stats, "stats.read", RF_TX_READ | RF_REPLICA, 0,
	 "bases, bookings, visiting members and use rate of a subtree", &bstats_in},
};
ROUTE_TABLE(bases);
