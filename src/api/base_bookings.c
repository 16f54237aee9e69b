/* base_bookings.c: bookings of bases by organizations (issue 17, DOMAIN.md §7). A branch
 * (or any organization in the caller's scope for base.book) books a slot of a base it
 * sees for a headcount of at most its membership; the slot's places are the base's
 * capacity less the headcounts of the requested, approved and checked-in bookings,
 * counted in the request's write transaction (the one writer lock on both stores), so
 * two requests for the last places cannot both get them. A full slot refuses (409
 * slot_full) or, when asked, puts the booking on the waiting list, whose bookings are
 * promoted in the order they came when places free up. States: requested → approved /
 * declined → checked_in → completed, or no_show / cancelled. Only those who run the base
 * (base.approve over its organization) decide, check in and mark no-shows. Series ("the
 * first Monday, for N months") create what fits and report each date's conflict. */
#include "api/base_util.h"
#include "api/roster_util.h"
#include "auth/audit.h"
#include "auth/auth.h"
#include "auth/scope.h"
#include "auth/session.h"
#include "config.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/qr.h"
#include "core/sign.h"
#include "http/input.h"
#include "http/params.h"
#include "model/base.h"
#include "model/meeting.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int audit(struct request *req, const char *action, const struct base_booking *k, const char *summary)
{
	struct audit_event ev = {action, "base_booking", k->id, k->org_id, true, summary};
	return audit_record(req, &ev);
}

static void add_err(json_t *errs, const char *field, const char *code, const char *msg)
{
	json_array_append_new(errs, json_pack("{s:s, s:s, s:s}", "field", field, "code", code, "message", msg));
}

/* What a booking request asks, read and checked once for all its dates. */
struct ask {
	struct base_rec base;
	struct org_rec org;
	const char *day;
	int slot, headcount;
	const char *purpose, *leader;
	json_t *member_ids; /* borrowed from the body */
	bool waitlist;
	int repeat_months; /* 0: one date */
};

/* Reads and checks the parts of a booking that do not depend on the date. False with
 * the request failed (field errors, 404 of a base or organization not seen). */
static bool read_ask(struct request *req, json_t *b, struct ask *a)
{
	memset(a, 0, sizeof *a);
	int64_t base_id = 0, org_id = 0, v = 0;
	in_int(req, b, "base_id", IN_REQUIRED, 1, INT64_MAX, &base_id);
	in_int(req, b, "org_id", IN_REQUIRED, 1, INT64_MAX, &org_id);
	a->day = in_date(req, b, "day", IN_REQUIRED);
	const char *slot = in_str(req, b, "slot", IN_REQUIRED, 5);
	a->slot = slot ? base_parse_hm(slot) : -1;
	if (slot && a->slot < 0)
		req_field_error(req, "slot", "invalid_time", "时段应为 HH:MM");
	if (in_int(req, b, "headcount", IN_REQUIRED, 1, 100000, &v))
		a->headcount = (int)v;
	else if (json_is_integer(json_object_get(b, "headcount")))
		req_field_error(req, "headcount", "headcount_range", "人数至少为1人");
	a->purpose = in_str(req, b, "purpose", IN_REQUIRED, 200);
	a->leader = in_str(req, b, "leader", IN_REQUIRED, 50);
	if (in_has(b, "waitlist"))
		in_bool(req, b, "waitlist", IN_OPTIONAL, &a->waitlist);
	json_t *rep = json_object_get(b, "repeat");
	if (rep && !json_is_null(rep)) {
		json_t *m = json_object_get(rep, "months");
		if (!json_is_object(rep) || !json_is_integer(m) || json_integer_value(m) < 2 || json_integer_value(m) > 12)
			req_field_error(req, "repeat", "invalid_repeat", "周期预约应为 {months: 2~12}（每月同一个第几个星期几）");
		else
			a->repeat_months = (int)json_integer_value(m);
	}
	json_t *ids = json_object_get(b, "member_ids");
	if (ids && !json_is_null(ids)) {
		if (!json_is_array(ids) || json_array_size(ids) > 1000)
			req_field_error(req, "member_ids", "invalid_list", "参加人员应为不超过1000人的党员编号列表");
		else
			a->member_ids = ids;
	}
	if (req_failed(req))
		return false;
	if (!base_load_visible(req, base_id, "base.book", &a->base)) {
		req->err.status = 0;
		req_field_error(req, "base_id", "not_found", "活动基地不存在");
		return false;
	}
	if (!roster_org_in_scope(req, org_id, "base.book", &a->org)) {
		req->err.status = 0;
		req_field_error(req, "org_id", "not_found", "党组织不存在");
		return false;
	}
	if (!a->base.open)
		req_field_error(req, "base_id", "base_closed", "该基地暂停开放预约");
	int64_t members = 0;
	enum db_rc rc = base_member_count(req->db, a->org.path, scope_path_end(req->arena, a->org.path),
					  (int64_t)a->headcount + 1, &members);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return false;
	}
	if (a->headcount > members)
		req_field_error(req, "headcount", "over_membership",
				arena_printf(req->arena, "人数不能超过本组织党员人数（%lld人）", (long long)members));
	else if (a->headcount > a->base.capacity)
		req_field_error(req, "headcount", "over_capacity",
				arena_printf(req->arena, "人数超过基地每个时段的容量（%d人）", a->base.capacity));
	size_t i;
	json_t *it;
	if (a->member_ids) {
		if (json_array_size(a->member_ids) > (size_t)a->headcount)
			req_field_error(req, "member_ids", "roster_too_long", "参加人员多于预约人数");
		json_array_foreach(a->member_ids, i, it)
		{
			const char *f = arena_printf(req->arena, "member_ids[%zu]", i);
			const char *path = NULL;
			rc = json_is_integer(it) ? base_member_path(req->db, req->arena, json_integer_value(it), &path, NULL)
						 : DB_NOT_FOUND;
			if (rc != DB_OK && rc != DB_NOT_FOUND) {
				req_fail_db(req, rc);
				return false;
			}
			if (rc == DB_NOT_FOUND || strncmp(path, a->org.path, strlen(a->org.path)) != 0)
				req_field_error(req, f, "not_in_org", "不是本组织的党员");
		}
	}
	return !req_failed(req);
}

/* The date's rules: window, closed days, hours; then the places. Adds the date's
 * problems to errs; *fits is whether the headcount fits the free places now. */
static enum db_rc check_date(struct request *req, const struct ask *a, const char *day, json_t *errs, bool *fits,
			     int64_t *taken, int64_t *waiting)
{
	struct date d, first, last, today = roster_today();
	*fits = false;
	*taken = *waiting = 0;
	if (!date_parse(day, &d)) {
		add_err(errs, "day", "invalid_date", "日期应为有效的 YYYY-MM-DD");
		return DB_OK;
	}
	base_window(&first, &last);
	if (date_cmp(d, today) < 0) {
		add_err(errs, "day", "in_past", "不能预约过去的日期");
		return DB_OK;
	}
	if (date_cmp(d, first) < 0) {
		add_err(errs, "day", "lead_time",
			arena_printf(req->arena, "须至少提前 %lld 天预约", (long long)cfg.base_lead_days));
		return DB_OK;
	}
	if (date_cmp(d, last) > 0) {
		add_err(errs, "day", "beyond_horizon",
			arena_printf(req->arena, "最多可预约 %lld 天以内的日期", (long long)cfg.base_horizon_days));
		return DB_OK;
	}
	int wd = base_weekday(d);
	bool closed = false;
	enum db_rc rc = base_closed_on(req->db, a->base.id, day, &closed);
	if (rc != DB_OK)
		return rc;
	if (closed || a->base.opens[wd] < 0) {
		add_err(errs, "day", "closed_day", "基地当天闭馆");
		return DB_OK;
	}
	if (a->base.holidays_closed) {
		bool hol = false;
		const char *name = NULL;
		rc = base_holiday(req->db, req->arena, day, &hol, &name);
		if (rc != DB_OK)
			return rc;
		if (hol) {
			add_err(errs, "day", "closed_day",
				arena_printf(req->arena, "基地法定节假日闭馆（%s）", name && *name ? name : "法定节假日"));
			return DB_OK;
		}
	}
	if (!base_slot_valid(&a->base, wd, a->slot)) {
		char o[6], c[6];
		base_format_hm(a->base.opens[wd], o);
		base_format_hm(a->base.closes[wd], c);
		add_err(errs, "slot", "outside_hours",
			arena_printf(req->arena, "不在开放时段内（当天 %s-%s，每 %d 分钟一个时段）", o, c,
				     a->base.slot_minutes));
		return DB_OK;
	}
	rc = base_slot_taken(req->db, a->base.id, day, a->slot, taken, waiting);
	if (rc != DB_OK)
		return rc;
	*fits = *taken + a->headcount <= a->base.capacity;
	return DB_OK;
}

/* The dates of a request: the day itself, and for a series the same n-th weekday of
 * each following month (a month without it is reported, not skipped silently). */
static size_t ask_dates(struct request *req, const struct ask *a, const char ***days)
{
	size_t n = a->repeat_months > 0 ? (size_t)a->repeat_months : 1;
	const char **v = arena_alloc(req->arena, sizeof *v * n);
	struct date d;
	date_parse(a->day, &d);
	int wd = base_weekday(d), nth = (d.d - 1) / 7 + 1;
	v[0] = a->day;
	for (size_t i = 1; i < n; i++) {
		struct date m = date_add_months((struct date){d.y, d.m, 1}, (int)i);
		int first_wd = base_weekday(m);
		int day = 1 + (wd - first_wd + 7) % 7 + (nth - 1) * 7;
		if (day > date_month_days(m.y, m.m))
			v[i] = arena_printf(req->arena, "%04d-%02d-none", m.y, m.m);
		else
			v[i] = arena_printf(req->arena, "%04d-%02d-%02d", m.y, m.m, day);
	}
	*days = v;
	return n;
}

static void fields_to_request(struct request *req, json_t *errs)
{
	size_t i;
	json_t *e;
	json_array_foreach(errs, i, e) req_field_error(req, json_string_value(json_object_get(e, "field")),
						       json_string_value(json_object_get(e, "code")),
						       json_string_value(json_object_get(e, "message")));
}

/* Writes one booking of a (on day, in series) with the status it gets; NULL reply
 * parts on error (request failed). */
static bool write_booking(struct request *req, const struct ask *a, const char *day, int64_t series,
			  enum base_status status, struct base_booking *k)
{
	memset(k, 0, sizeof *k);
	k->base_id = a->base.id;
	k->org_id = a->org.id;
	k->org_path = a->org.path;
	k->org_name = a->org.name;
	k->base_name = a->base.name;
	k->base_address = a->base.address;
	k->series_id = series;
	snprintf(k->day, sizeof k->day, "%s", day);
	k->slot_start = a->slot;
	k->slot_end = a->slot + a->base.slot_minutes;
	k->headcount = a->headcount;
	k->purpose = a->purpose;
	k->leader = a->leader;
	k->status = status;
	k->attended = -1;
	k->created_by = req->session->user_id;
	int64_t now = clock_now();
	enum db_rc rc = base_booking_insert(req->db, k, now);
	size_t i;
	json_t *it;
	if (a->member_ids)
		json_array_foreach(a->member_ids, i, it) if (rc == DB_OK) rc =
			base_roster_add(req->db, k->id, json_integer_value(it), false, now);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return false;
	}
	char hs[6];
	base_format_hm(a->slot, hs);
	return audit(req, "base.booking_create", k,
		     arena_printf(req->arena, "%s 预约 %s %s %s %d人（%s）", a->org.name, a->base.name, day, hs,
				  a->headcount, base_status_names[status])) == 0;
}

static void post_booking(struct request *req)
{
	json_t *b = in_body(req);
	struct ask a;
	if (!b || !read_ask(req, b, &a))
		return;
	const char **days;
	size_t n = ask_dates(req, &a, &days);
	enum base_status ok_status = a.base.approval_required ? BK_REQUESTED : BK_APPROVED;
	if (n == 1) {
		json_t *errs = json_array();
		bool fits;
		int64_t taken, waiting;
		enum db_rc rc = check_date(req, &a, a.day, errs, &fits, &taken, &waiting);
		if (rc != DB_OK) {
			json_decref(errs);
			req_fail_db(req, rc);
			return;
		}
		if (json_array_size(errs) > 0) {
			fields_to_request(req, errs);
			json_decref(errs);
			return;
		}
		json_decref(errs);
		if (!fits && !a.waitlist) {
			/* a conflict (409) that still names its field */
			req_field_error(req, "headcount", "slot_full", "该时段余位不足");
			req->err.status = 409;
			req->err.code = "slot_full";
			req->err.detail = arena_printf(req->arena, "该时段余位不足（剩余 %lld 人），可选择排队候补",
						       (long long)(a.base.capacity - taken > 0 ? a.base.capacity - taken : 0));
			return;
		}
		struct base_booking k;
		if (!write_booking(req, &a, a.day, 0, fits ? ok_status : BK_WAITLISTED, &k))
			return;
		req_reply_json(req, 201, base_booking_json(&k));
		return;
	}
	/* a series: what fits is booked (or waits, when asked); each date says why not */
	int64_t series = 0;
	char *rule = NULL;
	struct date d0;
	date_parse(a.day, &d0);
	json_t *rj = json_pack("{s:i, s:i, s:i, s:i}", "nth", (d0.d - 1) / 7 + 1, "weekday", base_weekday(d0) + 1,
			       "months", a.repeat_months, "slot", a.slot);
	char *rd = json_dumps(rj, JSON_COMPACT | JSON_SORT_KEYS);
	rule = arena_strdup(req->arena, rd);
	free(rd);
	json_decref(rj);
	enum db_rc rc = base_series_insert(req->db, a.base.id, a.org.id, rule, clock_now(), &series);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	json_t *items = json_array();
	int made = 0;
	for (size_t i = 0; i < n; i++) {
		json_t *errs = json_array();
		bool fits = false;
		int64_t taken = 0, waiting = 0;
		if (strstr(days[i], "none"))
			add_err(errs, "day", "no_such_day", "该月没有对应的星期");
		else if ((rc = check_date(req, &a, days[i], errs, &fits, &taken, &waiting)) != DB_OK) {
			json_decref(errs);
			json_decref(items);
			req_fail_db(req, rc);
			return;
		}
		if (json_array_size(errs) == 0 && !fits && !a.waitlist)
			add_err(errs, "headcount", "slot_full", "该时段余位不足");
		json_t *row = json_pack("{s:s}", "day", days[i]);
		if (json_array_size(errs) == 0) {
			struct base_booking k;
			if (!write_booking(req, &a, days[i], series, fits ? ok_status : BK_WAITLISTED, &k)) {
				json_decref(errs);
				json_decref(row);
				json_decref(items);
				return;
			}
			made++;
			json_object_set_new(row, "booking", base_booking_json(&k));
		} else
			json_object_set_new(row, "booking", json_null());
		json_object_set_new(row, "errors", errs);
		json_array_append_new(items, row);
	}
	if (made == 0) {
		json_decref(items);
		req_fail(req, 409, "series_conflicts", "周期预约的每个日期都无法预约，未保存");
		return;
	}
	struct base_booking sk = {.id = series, .org_id = a.org.id};
	if (audit(req, "base.series_create", &sk,
		  arena_printf(req->arena, "%s 周期预约 %s %d 个月，成功 %d 次", a.org.name, a.base.name, a.repeat_months,
			       made)) != 0) {
		json_decref(items);
		return;
	}
	req_reply_json(req, 201, json_pack("{s:I, s:s, s:i, s:o}", "series_id", (json_int_t)series, "rule", rule,
					   "created", made, "items", items));
}

/* POST /api/v1/base-bookings/check: the same request, nothing stored: every date's
 * problems and free places, for the form to show conflicts at once. */
static void post_check(struct request *req)
{
	json_t *b = in_body(req);
	struct ask a;
	if (!b || !read_ask(req, b, &a))
		return;
	const char **days;
	size_t n = ask_dates(req, &a, &days);
	json_t *items = json_array();
	bool all_ok = true;
	for (size_t i = 0; i < n; i++) {
		json_t *errs = json_array();
		bool fits = false;
		int64_t taken = 0, waiting = 0;
		if (strstr(days[i], "none"))
			add_err(errs, "day", "no_such_day", "该月没有对应的星期");
		else {
			enum db_rc rc = check_date(req, &a, days[i], errs, &fits, &taken, &waiting);
			if (rc != DB_OK) {
				json_decref(errs);
				json_decref(items);
				req_fail_db(req, rc);
				return;
			}
		}
		if (json_array_size(errs) == 0 && !fits)
			add_err(errs, "headcount", "slot_full", "该时段余位不足");
		all_ok &= json_array_size(errs) == 0;
		int64_t fr = a.base.capacity - taken > 0 ? a.base.capacity - taken : 0;
		json_array_append_new(items, json_pack("{s:s, s:I, s:I, s:I, s:o}", "day", days[i], "taken", (json_int_t)taken,
						       "free", (json_int_t)fr, "waiting", (json_int_t)waiting, "errors",
						       errs));
	}
	req_reply_json(req, 200, json_pack("{s:b, s:i, s:b, s:o}", "ok", all_ok, "capacity", a.base.capacity,
					   "approval_required", a.base.approval_required, "items", items));
}

/* ---- reading ---- */

static const char *const status_values[] = {"requested", "approved", "declined", "checked_in", "completed",
					    "no_show",   "cancelled", "waitlisted", NULL};

struct list_in {
	int64_t org_id, base_id, limit;
	const char *status, *from, *to;
};
static const struct param list_params[] = {
	PARAM_ID(struct list_in, org_id, "党组织编号无效"),
	PARAM_ID(struct list_in, base_id, "基地编号无效"),
	PARAM_INT(struct list_in, limit, 1, 500, 200),
	PARAM_ENUM(struct list_in, status, status_values, "预约状态无效"),
	PARAM_DATE(struct list_in, from),
	PARAM_DATE(struct list_in, to),
};
static const struct params list_in = PARAMS(struct list_in, list_params);

/* GET /api/v1/base-bookings: the bookings of the caller's organizations (org_id's
 * subtree or the whole scope), or with base_id those of a base the caller runs (the
 * approval queue). */
static void get_bookings(struct request *req)
{
	const struct list_in *in = req->in;
	struct base_booking_filter f = {.status = in->status, .from = in->from, .to = in->to, .limit = (int)in->limit};
	json_t *items = json_array();
	enum db_rc rc = DB_OK;
	if (in->base_id) {
		struct base_rec b;
		if (!base_load_visible(req, in->base_id, "base.read", &b) || !base_runs(req, "base.approve", &b)) {
			json_decref(items);
			req->err.status = 0;
			req_field_error(req, "base_id", "not_found", "活动基地不存在或不由您管理");
			return;
		}
		f.base_id = b.id;
		rc = base_booking_list(req->db, req->arena, &f, items);
	} else {
		const char **prefix = NULL, **end = NULL;
		size_t n = roster_org_ranges(req, "base.read", in->org_id, &prefix, &end);
		if (req_failed(req)) {
			json_decref(items);
			return;
		}
		for (size_t i = 0; i < n && rc == DB_OK; i++) {
			f.prefix = prefix[i];
			f.end = end[i];
			rc = base_booking_list(req->db, req->arena, &f, items);
		}
	}
	if (rc != DB_OK) {
		json_decref(items);
		req_fail_db(req, rc);
		return;
	}
	req_reply_list(req, items, NULL, (int64_t)json_array_size(items));
}

/* The booking {id} when the caller sees it: as its organization's (base.read over the
 * booker) or as the base's (base.approve over the running organization). 404 else. */
static bool load_booking(struct request *req, struct base_booking *k, bool *runs, bool *books)
{
	int64_t id = req_param_id(req, "id");
	if (req_failed(req))
		return false;
	enum db_rc rc = base_booking_get(req->db, req->arena, id, k);
	*runs = rc == DB_OK && scope_allows(req, "base.approve", k->base_org_path);
	*books = rc == DB_OK && scope_allows(req, "base.book", k->org_path);
	return roster_found(req, rc, *runs || *books || (rc == DB_OK && scope_allows(req, "base.read", k->org_path)),
			    "预约不存在");
}

static json_t *booking_full(struct request *req, const struct base_booking *k, bool runs, bool books)
{
	json_t *j = base_booking_json(k);
	json_t *roster = json_array();
	enum db_rc rc = base_roster(req->db, k->id, roster);
	if (rc != DB_OK) {
		json_decref(roster);
		json_decref(j);
		req_fail_db(req, rc);
		return NULL;
	}
	json_object_set_new(j, "roster", roster);
	json_object_set_new(j, "can_decide", json_boolean(runs));
	json_object_set_new(j, "can_cancel", json_boolean(runs || books));
	return j;
}

static void get_booking(struct request *req)
{
	struct base_booking k;
	bool runs, books;
	if (!load_booking(req, &k, &runs, &books))
		return;
	json_t *j = booking_full(req, &k, runs, books);
	if (j)
		req_reply_json(req, 200, j);
}

/* ---- changing state ---- */

/* Places freed in k's slot: waiting bookings that now fit are promoted in the order they
 * came (one that does not fit is passed over for a smaller one after it), each audited. */
static bool promote(struct request *req, const struct base_booking *k)
{
	struct base_rec b;
	enum db_rc rc = base_get(req->db, req->arena, k->base_id, &b);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return false;
	}
	int64_t taken = 0, *ids;
	int *heads;
	size_t n;
	rc = base_slot_taken(req->db, k->base_id, k->day, k->slot_start, &taken, NULL);
	if (rc == DB_OK)
		rc = base_waiting(req->db, req->arena, k->base_id, k->day, k->slot_start, &ids, &heads, &n);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return false;
	}
	for (size_t i = 0; i < n && taken < b.capacity; i++) {
		if (taken + heads[i] > b.capacity)
			continue;
		struct base_booking w;
		rc = base_booking_get(req->db, req->arena, ids[i], &w);
		if (rc != DB_OK) {
			req_fail_db(req, rc);
			return false;
		}
		w.status = b.approval_required ? BK_REQUESTED : BK_APPROVED;
		rc = base_booking_set_status(req->db, &w, clock_now());
		if (rc != DB_OK) {
			req_fail_db(req, rc);
			return false;
		}
		taken += heads[i];
		if (audit(req, "base.booking_promote", &w,
			  arena_printf(req->arena, "候补转为预约：%s %s %d人", w.org_name, w.day, w.headcount)) != 0)
			return false;
	}
	return true;
}

static void reply_after(struct request *req, int64_t id, bool runs, bool books)
{
	struct base_booking k;
	enum db_rc rc = base_booking_get(req->db, req->arena, id, &k);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	json_t *j = booking_full(req, &k, runs, books);
	if (j)
		req_reply_json(req, 200, j);
}

static bool need_runs(struct request *req, bool runs)
{
	if (!runs)
		req_fail(req, 403, "not_base_approver", "只有运营该基地的党组织才能审批、签到");
	return runs;
}

static bool state_is(struct request *req, const struct base_booking *k, enum base_status a, enum base_status b)
{
	if (k->status == a || k->status == b)
		return true;
	req_fail(req, 409, "invalid_state",
		 arena_printf(req->arena, "预约当前状态为 %s，不能进行此操作",
			      k->status < BK__MAX ? base_status_names[k->status] : "?"));
	return false;
}

static bool visit_day_reached(struct request *req, const struct base_booking *k)
{
	char today[11];
	clock_today(today);
	if (strcmp(k->day, today) > 0) {
		req_fail(req, 409, "not_yet", "活动日期未到");
		return false;
	}
	return true;
}

static void post_approve(struct request *req)
{
	struct base_booking k;
	bool runs, books;
	if (!load_booking(req, &k, &runs, &books) || !need_runs(req, runs) ||
	    !state_is(req, &k, BK_REQUESTED, BK_REQUESTED))
		return;
	k.status = BK_APPROVED;
	k.decided_by = req->session->user_id;
	enum db_rc rc = base_booking_set_status(req->db, &k, clock_now());
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (audit(req, "base.booking_approve", &k,
		  arena_printf(req->arena, "同意 %s 预约 %s %s", k.org_name, k.base_name, k.day)) != 0)
		return;
	reply_after(req, k.id, runs, books);
}

static void post_decline(struct request *req)
{
	json_t *b = in_body(req);
	struct base_booking k;
	bool runs, books;
	if (!b || !load_booking(req, &k, &runs, &books) || !need_runs(req, runs))
		return;
	const char *reason = in_str(req, b, "reason", IN_REQUIRED, 200);
	if (req_failed(req) || !state_is(req, &k, BK_REQUESTED, BK_WAITLISTED))
		return;
	bool held = base_status_holds(k.status);
	k.status = BK_DECLINED;
	k.decline_reason = reason;
	k.decided_by = req->session->user_id;
	enum db_rc rc = base_booking_set_status(req->db, &k, clock_now());
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (audit(req, "base.booking_decline", &k,
		  arena_printf(req->arena, "拒绝 %s 预约 %s %s：%s", k.org_name, k.base_name, k.day, reason)) != 0)
		return;
	if (held && !promote(req, &k))
		return;
	reply_after(req, k.id, runs, books);
}

static void post_cancel(struct request *req)
{
	json_t *b = in_body(req);
	struct base_booking k;
	bool runs, books;
	if (!b || !load_booking(req, &k, &runs, &books))
		return;
	const char *reason = in_str(req, b, "reason", IN_OPTIONAL, 200);
	if (req_failed(req))
		return;
	if (!runs && !books) {
		req_fail(req, 403, "forbidden", "只有预约的党组织或基地可以取消预约");
		return;
	}
	if (k.status != BK_REQUESTED && k.status != BK_APPROVED && k.status != BK_WAITLISTED) {
		state_is(req, &k, BK_REQUESTED, BK_APPROVED);
		return;
	}
	bool held = base_status_holds(k.status);
	k.status = BK_CANCELLED;
	k.decline_reason = reason;
	enum db_rc rc = base_booking_set_status(req->db, &k, clock_now());
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (audit(req, "base.booking_cancel", &k,
		  arena_printf(req->arena, "取消 %s 预约 %s %s", k.org_name, k.base_name, k.day)) != 0)
		return;
	char today[11];
	clock_today(today);
	if (held && strcmp(k.day, today) >= 0 && !promote(req, &k))
		return;
	reply_after(req, k.id, runs, books);
}

/* Check-in by the base: the count present and, optionally, who (members of the booking
 * organization), kept as the visit's roster for a 主题党日 record (issue 15). */
static void post_check_in(struct request *req)
{
	json_t *b = in_body(req);
	struct base_booking k;
	bool runs, books;
	if (!b || !load_booking(req, &k, &runs, &books) || !need_runs(req, runs))
		return;
	int64_t attended = 0;
	in_int(req, b, "attended", IN_REQUIRED, 1, 100000, &attended);
	json_t *ids = json_object_get(b, "member_ids");
	if (ids && !json_is_null(ids) && (!json_is_array(ids) || json_array_size(ids) > 1000))
		req_field_error(req, "member_ids", "invalid_list", "到场人员应为党员编号列表");
	if (req_failed(req) || !state_is(req, &k, BK_APPROVED, BK_APPROVED) || !visit_day_reached(req, &k))
		return;
	size_t i;
	json_t *it;
	if (json_is_array(ids)) {
		if (json_array_size(ids) > (size_t)attended)
			req_field_error(req, "member_ids", "roster_too_long", "到场人员多于到场人数");
		json_array_foreach(ids, i, it)
		{
			const char *path = NULL;
			enum db_rc rc = json_is_integer(it)
						? base_member_path(req->db, req->arena, json_integer_value(it), &path, NULL)
						: DB_NOT_FOUND;
			if (rc != DB_OK && rc != DB_NOT_FOUND) {
				req_fail_db(req, rc);
				return;
			}
			if (rc == DB_NOT_FOUND || strncmp(path, k.org_path, strlen(k.org_path)) != 0)
				req_field_error(req, arena_printf(req->arena, "member_ids[%zu]", i), "not_in_org",
						"不是预约组织的党员");
		}
		if (req_failed(req))
			return;
	}
	int64_t now = clock_now();
	k.status = BK_CHECKED_IN;
	k.attended = (int)attended;
	k.checked_in_at = now;
	enum db_rc rc = base_booking_set_status(req->db, &k, now);
	if (json_is_array(ids))
		json_array_foreach(ids, i, it) if (rc == DB_OK) rc =
			base_roster_add(req->db, k.id, json_integer_value(it), true, now);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (audit(req, "base.booking_check_in", &k,
		  arena_printf(req->arena, "%s 到 %s 签到 %lld 人", k.org_name, k.base_name, (long long)attended)) != 0)
		return;
	reply_after(req, k.id, runs, books);
}

static void post_complete(struct request *req)
{
	struct base_booking k;
	bool runs, books;
	if (!load_booking(req, &k, &runs, &books))
		return;
	if (!runs && !books) {
		req_fail(req, 403, "forbidden", "只有预约的党组织或基地可以完成活动");
		return;
	}
	if (!state_is(req, &k, BK_CHECKED_IN, BK_CHECKED_IN))
		return;
	k.status = BK_COMPLETED;
	enum db_rc rc = base_booking_set_status(req->db, &k, clock_now());
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (audit(req, "base.booking_complete", &k,
		  arena_printf(req->arena, "%s 在 %s 的活动完成", k.org_name, k.base_name)) != 0)
		return;
	reply_after(req, k.id, runs, books);
}

static void post_no_show(struct request *req)
{
	struct base_booking k;
	bool runs, books;
	if (!load_booking(req, &k, &runs, &books) || !need_runs(req, runs) ||
	    !state_is(req, &k, BK_APPROVED, BK_REQUESTED) || !visit_day_reached(req, &k))
		return;
	k.status = BK_NO_SHOW;
	k.decided_by = req->session->user_id;
	enum db_rc rc = base_booking_set_status(req->db, &k, clock_now());
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (audit(req, "base.booking_no_show", &k, arena_printf(req->arena, "%s 预约 %s 未到", k.org_name, k.day)) !=
	    0)
		return;
	reply_after(req, k.id, runs, books);
}

/* POST /api/v1/base-bookings/{id}/check-in-code: on the visit day the base shows a code
 * (as text, or as a QR code of /m/visits?code=…) with which the visiting members check
 * themselves in; valid until the day ends. */
static void post_checkin_code(struct request *req)
{
	struct base_booking k;
	bool runs, books;
	if (!load_booking(req, &k, &runs, &books) || !need_runs(req, runs) ||
	    !state_is(req, &k, BK_APPROVED, BK_CHECKED_IN) || !visit_day_reached(req, &k))
		return;
	char today[11];
	clock_today(today);
	if (strcmp(k.day, today) != 0) {
		req_fail(req, 409, "not_visit_day", "只能在活动当天生成签到码");
		return;
	}
	int64_t now = clock_now();
	/* the visit day ends at local midnight (UTC+8) */
	int64_t expires = ((now + 8 * 3600) / 86400 + 1) * 86400 - 8 * 3600;
	const char *code;
	enum db_rc rc = base_checkin_code_new(req->db, req->arena, k.id, now, expires, &code);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (audit(req, "base.checkin_code", &k, arena_printf(req->arena, "%s 活动签到码", k.base_name)) != 0)
		return;
	/* the QR code the base shows: members' phones open the check-in page with the code
	 * (the deployment's public address: transfer_verify_base, as on the letters) */
	const char *link = arena_printf(req->arena, "%s/m/visits?code=%s", cfg.transfer_verify_base, code);
	void *png = NULL;
	size_t plen = 0;
	const char *qr = NULL;
	if (qr_png(link, 6, &png, &plen) == 0) {
		qr = arena_printf(req->arena, "data:image/png;base64,%s", sign_base64(req->arena, png, plen));
		free(png);
	}
	req_reply_json(req, 201, json_pack("{s:I, s:s, s:I, s:s, s:s, s:s?}", "booking_id", (json_int_t)k.id, "code", code,
					   "expires_at", (json_int_t)expires, "url",
					   arena_printf(req->arena, "/m/visits?code=%s", code), "link", link, "qr", qr));
}

/* POST /api/v1/me/base-visits/check-in {code}: a member of the visiting organization
 * checks in with the base's code; the roster marks the member present and the booking
 * is checked in with at least as many present. */
static void post_self_check_in(struct request *req)
{
	json_t *b = in_body(req);
	if (!b)
		return;
	const char *code = in_str(req, b, "code", IN_REQUIRED, 8);
	if (req_failed(req))
		return;
	int64_t mid = (int64_t)auth_member_id(req), now = clock_now(), id = 0;
	const char *path = NULL, *name = NULL;
	enum db_rc rc = mid > 0 ? base_member_path(req->db, req->arena, mid, &path, &name) : DB_NOT_FOUND;
	if (rc == DB_NOT_FOUND) {
		req_fail(req, 404, "no_member_record", "您的账号未关联党员档案");
		return;
	}
	char upper[9];
	size_t n = strlen(code);
	for (size_t i = 0; i < n && i < 8; i++)
		upper[i] = (char)(code[i] >= 'a' && code[i] <= 'z' ? code[i] - 32 : code[i]);
	upper[n < 8 ? n : 8] = 0;
	if (rc == DB_OK)
		rc = base_checkin_code_find(req->db, upper, now, &id);
	struct base_booking k;
	if (rc == DB_OK)
		rc = base_booking_get(req->db, req->arena, id, &k);
	if (rc == DB_NOT_FOUND || (rc == DB_OK && strncmp(path, k.org_path, strlen(k.org_path)) != 0)) {
		req_field_error(req, "code", "invalid_code", "签到码无效或已过期，或您不属于预约的党组织");
		return;
	}
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (!state_is(req, &k, BK_APPROVED, BK_CHECKED_IN))
		return;
	rc = base_roster_add(req->db, k.id, mid, true, now);
	json_t *roster = json_array();
	if (rc == DB_OK)
		rc = base_roster(req->db, k.id, roster);
	int present = 0;
	size_t i;
	json_t *it;
	json_array_foreach(roster, i, it) present += json_is_true(json_object_get(it, "present"));
	json_decref(roster);
	if (rc == DB_OK && (k.status == BK_APPROVED || k.attended < present)) {
		if (k.status == BK_APPROVED)
			k.checked_in_at = now;
		k.status = BK_CHECKED_IN;
		k.attended = k.attended > present ? k.attended : present;
		rc = base_booking_set_status(req->db, &k, now);
	}
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (audit(req, "base.booking_self_check_in", &k,
		  arena_printf(req->arena, "%s 在 %s 扫码签到", name ? name : "", k.base_name)) != 0)
		return;
	reply_after(req, k.id, false, false);
}

/* POST /api/v1/base-bookings/{id}/meeting: with one action the branch turns its visit
 * into a 主题党日 draft of 三会一课 (issue 15): held on the visit day at the base, the
 * members checked in present, the rest of the organization's roster due that day
 * absent; the branch completes and submits it there. One record per visit. */
static void post_meeting(struct request *req)
{
	struct base_booking k;
	bool runs, books;
	if (!load_booking(req, &k, &runs, &books))
		return;
	if (!scope_allows(req, "meeting.write", k.org_path)) {
		req_fail(req, 403, "forbidden", "只有预约的党组织可以生成主题党日记录");
		return;
	}
	if (!state_is(req, &k, BK_CHECKED_IN, BK_COMPLETED))
		return;
	int64_t existing = 0;
	enum db_rc rc = base_booking_meeting(req->db, k.id, &existing);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (existing > 0) {
		req_fail(req, 409, "meeting_exists", "该基地活动已生成主题党日记录");
		return;
	}
	json_t *due = json_array(), *roster = json_array();
	int64_t ndue = 0;
	rc = mtg_roster(req->db, k.org_path, k.day, due, &ndue);
	if (rc == DB_OK)
		rc = base_roster(req->db, k.id, roster);
	if (rc != DB_OK) {
		json_decref(due);
		json_decref(roster);
		req_fail_db(req, rc);
		return;
	}
	size_t n = json_array_size(due), i, j;
	struct mtg_attendee *att = arena_alloc(req->arena, sizeof *att * (n ? n : 1));
	struct meeting m;
	memset(&m, 0, sizeof m);
	json_t *it, *r;
	json_array_foreach(due, i, it)
	{
		int64_t mid = json_integer_value(json_object_get(it, "id"));
		bool here = false;
		json_array_foreach(roster, j, r) here |= json_integer_value(json_object_get(r, "member_id")) == mid &&
							  json_is_true(json_object_get(r, "present"));
		att[i].member_id = mid;
		att[i].name = arena_strdup(req->arena, json_string_value(json_object_get(it, "name")));
		att[i].status = here ? MTG_PRESENT : MTG_ABSENT;
		m.present += here;
		m.absent += !here;
	}
	json_decref(due);
	json_decref(roster);
	char hs[6];
	base_format_hm(k.slot_start, hs);
	m.org_id = k.org_id;
	m.org_path = k.org_path;
	m.org_name = k.org_name;
	m.type = MTG_THEME_DAY;
	m.status = MTG_DRAFT;
	m.topic = arena_printf(req->arena, "%s（%s）", k.purpose, k.base_name);
	m.held_on = k.day;
	m.place = arena_printf(req->arena, "%s %s", k.base_name, k.base_address ? k.base_address : "");
	m.host = k.leader;
	m.content = arena_printf(req->arena, "%s %s 在%s开展主题党日活动（由基地活动记录生成，基地登记到场 %d 人）。", k.day, hs,
				 k.base_name, k.attended > 0 ? k.attended : 0);
	m.hours_x10 = 20;
	m.due = (int)ndue;
	m.created_by = auth_user_id(req);
	m.created_at = m.updated_at = clock_now();
	m.version = 1;
	rc = mtg_insert(req->db, &m, att, n);
	if (rc == DB_OK)
		rc = base_booking_set_meeting(req->db, k.id, m.id);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	struct audit_event ev = {"meeting.create", "meeting", m.id, m.org_id, true,
				 arena_printf(req->arena, "由基地活动生成主题党日记录 %s", m.topic)};
	if (audit_record(req, &ev) != 0 ||
	    audit(req, "base.booking_meeting", &k, arena_printf(req->arena, "基地活动生成主题党日记录 #%lld", (long long)m.id)) != 0)
		return;
	req_reply_json(req, 201, json_pack("{s:I, s:I, s:i, s:i, s:i}", "booking_id", (json_int_t)k.id, "meeting_id",
					   (json_int_t)m.id, "due", m.due, "present", m.present, "absent", m.absent));
}

/* GET /api/v1/me/base-visits: on the phone, a member's branch's coming visits. */
static void get_my_visits(struct request *req)
{
	int64_t mid = (int64_t)auth_member_id(req);
	json_t *items = json_array();
	if (mid > 0) {
		const char *path = NULL;
		enum db_rc rc = base_member_path(req->db, req->arena, mid, &path, NULL);
		if (rc == DB_OK) {
			char today[11];
			clock_today(today);
			/* the member's own organization and the ones above it that it belongs to
			 * are not the same subtree: the branch is the member's organization */
			struct base_booking_filter f = {.prefix = path,
							.end = scope_path_end(req->arena, path),
							.from = today,
							.limit = 50};
			rc = base_booking_list(req->db, req->arena, &f, items);
		}
		if (rc != DB_OK && rc != DB_NOT_FOUND) {
			json_decref(items);
			req_fail_db(req, rc);
			return;
		}
	}
	/* coming visits only: waiting, requested or approved */
	json_t *out = json_array();
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it)
	{
		enum base_status s = base_status_of(json_string_value(json_object_get(it, "status")));
		if (s == BK_REQUESTED || s == BK_APPROVED || s == BK_CHECKED_IN || s == BK_WAITLISTED)
			json_array_append(out, it);
	}
	json_decref(items);
	req_reply_list(req, out, NULL, (int64_t)json_array_size(out));
}

static const struct route base_bookings_routes[] = {
	{"GET", "/api/v1/base-bookings", get_bookings, "base.read", RF_TX_READ, 0,
	 "bookings of the caller's organizations, or a base's (approval queue)", &list_in},
	{"POST", "/api/v1/base-bookings", post_booking, "base.book", RF_TX_WRITE, 0,
	 "book a base's slot for an organization (or a monthly series)"},
	{"POST", "/api/v1/base-bookings/check", post_check, "base.book", RF_TX_READ, 0,
	 "check a booking request without storing it"},
	{"GET", "/api/v1/base-bookings/{id}", get_booking, "base.read", RF_TX_READ, 0, "one booking with its roster"},
	{"POST", "/api/v1/base-bookings/{id}/approve", post_approve, "base.approve", RF_TX_WRITE, 0, "approve a booking"},
	{"POST", "/api/v1/base-bookings/{id}/decline", post_decline, "base.approve", RF_TX_WRITE, 0,
	 "decline a booking with a reason"},
	{"POST", "/api/v1/base-bookings/{id}/cancel", post_cancel, "base.read", RF_TX_WRITE, 0,
	 "cancel a booking (booker or base)"},
	{"POST", "/api/v1/base-bookings/{id}/check-in", post_check_in, "base.approve", RF_TX_WRITE, 0,
	 "record the visit: count and who came"},
	{"POST", "/api/v1/base-bookings/{id}/complete", post_complete, "base.read", RF_TX_WRITE, 0,
	 "close a checked-in visit"},
	{"POST", "/api/v1/base-bookings/{id}/no-show", post_no_show, "base.approve", RF_TX_WRITE, 0,
	 "mark a booking not attended"},
	{"POST", "/api/v1/base-bookings/{id}/check-in-code", post_checkin_code, "base.approve", RF_TX_WRITE, 0,
	 "the visit day's code for the members' own check-in"},
	{"POST", "/api/v1/me/base-visits/check-in", post_self_check_in, "self.read", RF_TX_WRITE, 0,
	 "a member checks in with the base's code"},
	{"POST", "/api/v1/base-bookings/{id}/meeting", post_meeting, "meeting.write", RF_TX_WRITE, 0,
	 "turn the visit into a 主题党日 record of 三会一课 (draft)"},
	{"GET", "/api/v1/me/base-visits", get_my_visits, "self.read", RF_TX_READ, 0,
	 "the coming base visits of the caller's branch"},
};
ROUTE_TABLE(base_bookings);
