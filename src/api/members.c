/* members.c: the member roster's routes (docs/api-contract.md "Members"): list with
 * filters and keyset pages, one record (masked unless pii.view and ?reveal=1, audited),
 * create, change, state changes with history, delete (secure_delete), and GET /me.
 * Every record is reached through its organization's path: outside the caller's scope
 * it answers 404 like a missing one. */
#include "api/member_filter.h"
#include "api/roster_util.h"
#include "auth/auth.h"
#include "auth/policy.h"
#include "auth/scope.h"
#include "auth/session.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/jsonw.h"
#include "config.h"
#include "core/crypto.h"
#include "http/input.h"
#include "http/params.h"
#include "model/audit.h"
#include "model/codes.h"
#include "model/grid.h"
#include "model/org.h"
#include "model/member.h"
#include "model/revcache.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads the record's fields from body into r; with patch, absent fields keep r's. */
static void read_body(struct request *req, json_t *b, struct member_rec *r, bool patch)
{
#define STR(t, dst)                                                                               \
	do {                                                                                      \
		const struct member_text_limit *l_ = &member_text_limits[t];                      \
		if (!patch || in_has(b, l_->field))                                               \
			dst = in_str(req, b, l_->field, IN_OPTIONAL | IN_NULLABLE, l_->max);      \
	} while (0)
	/* the limits are the import's too (model/member.h) */
	STR(MT_NAME, r->name);
	STR(MT_FORMER_NAME, r->former_name);
	STR(MT_SEX, r->sex);
	STR(MT_ID_NUMBER, r->id_number);
	STR(MT_BIRTH_DATE, r->birth_date);
	STR(MT_ETHNICITY, r->ethnicity);
	STR(MT_NATIVE_PLACE, r->native_place);
	STR(MT_MOBILE, r->mobile);
	STR(MT_ADDRESS, r->address);
	STR(MT_EDUCATION, r->education);
	STR(MT_DEGREE, r->degree);
	STR(MT_WORK_UNIT, r->work_unit);
	STR(MT_UNIT_TYPE, r->unit_type);
	STR(MT_POST, r->post);
	STR(MT_CATEGORY, r->category);
	STR(MT_PARTY_STATUS, r->party_status);
	STR(MT_PARTY_POST, r->party_post);
	STR(MT_DUES_PAID_TO, r->dues_paid_to);
#undef STR
	if (!patch || in_has(b, "joined_on"))
		r->joined_on = in_date(req, b, "joined_on", IN_OPTIONAL);
	if (!patch || in_has(b, "confirmed_on"))
		r->confirmed_on = in_date(req, b, "confirmed_on", IN_OPTIONAL);
	int64_t v;
	if (!patch || in_has(b, "org_id")) {
		if (in_int(req, b, "org_id", IN_REQUIRED, 1, INT64_MAX, &v))
			r->org_id = v;
	}
	if (in_has(b, "group_org_id"))
		r->group_org_id = in_int(req, b, "group_org_id", IN_OPTIONAL, 1, INT64_MAX, &v) ? v : 0;
	if (in_has(b, "grid_id"))
		r->grid_id = in_int(req, b, "grid_id", IN_OPTIONAL, 1, INT64_MAX, &v) ? v : 0;
	if (in_has(b, "building_id"))
		r->building_id = in_int(req, b, "building_id", IN_OPTIONAL, 1, INT64_MAX, &v) ? v : 0;
	if (!patch)
		r->dues_base = -1;
	if (in_has(b, "dues_base")) {
		json_t *d = json_object_get(b, "dues_base");
		if (json_is_null(d))
			r->dues_base = -1;
		else if (json_is_number(d) && json_number_value(d) >= 0 && json_number_value(d) <= 1e7)
			r->dues_base = (int64_t)(json_number_value(d) * 100 + 0.5);
		else
			req_field_error(req, "dues_base", "invalid_number", "党费基数应为不小于0的金额（元）");
	}
	json_t *lists[2] = {json_object_get(b, "introducers"), json_object_get(b, "tags")};
	const char **dst[2] = {&r->introducers_json, &r->tags_json};
	const char *names[2] = {"introducers", "tags"};
	for (int i = 0; i < 2; i++) {
		if (!lists[i])
			continue;
		if (json_is_null(lists[i])) {
			*dst[i] = NULL;
			continue;
		}
		if (!member_list_ok(lists[i], i == 0 ? MEMBER_INTRODUCERS_MAX : MEMBER_TAGS_MAX)) {
			req_field_error(req, names[i], "invalid_list", i == 0 ? MEMBER_INTRODUCERS_MSG : "标签最多20个");
			continue;
		}
		char *t = json_dumps(lists[i], JSON_COMPACT);
		*dst[i] = arena_strdup(req->arena, t);
		free(t);
	}
}

static void field_err(void *ctx, const char *field, const char *code, const char *message)
{
	req_field_error(ctx, field, code, message);
}

/* An audit row that stays although the request fails (req_on_failure). */
static int audit_on_failure(struct request *req, void *ctx)
{
	return audit_record(req, ctx) == 0 ? DB_OK : DB_ERROR;
}

static void audit_anyway(struct request *req, const char *action, const char *summary)
{
	struct audit_event *ev = arena_alloc(req->arena, sizeof *ev);
	*ev = (struct audit_event){action, "member", 0, 0, false, summary};
	req_on_failure(req, audit_on_failure, ev);
}

/* S20: a user who has met more people outside their scope than cfg.dup_probe_limit in
 * the window may not look up ID numbers (create, or change one) until it passes: 429,
 * and an alert for the security administrator (an audit row of its own action: there
 * is no other alert channel yet). Asked before the lookup, so that the refusal itself
 * says nothing about the number. */
static bool probe_allowed(struct request *req)
{
	int64_t n = 0;
	enum db_rc rc = member_dup_probes(req->db, auth_user_id(req), MEMBER_DUP_OUT_OF_SCOPE,
					  clock_now() - cfg.dup_probe_window, &n);
	if (rc != DB_OK) {
		req_fail_db(req, rc); /* fail closed */
		return false;
	}
	if (n < cfg.dup_probe_limit)
		return true;
	req_fail(req, 429, "rate_limited", "查重过于频繁，请稍后再试；如有疑问请联系上级组织");
	req->err.retry_after = (int)cfg.dup_probe_window;
	audit_anyway(req, MEMBER_DUP_PROBE_ALERT,
		     arena_printf(req->arena, "告警：%lld 秒内 %lld 次查重涉及管辖范围以外的人员，已拒绝",
				  (long long)cfg.dup_probe_window, (long long)n));
	return false;
}

/* 409 duplicate_person (new_id: the request brings an ID number, not the record's own).
 * Inside the caller's scope it names the existing record (it
 * helps the user); outside it, or for a person an import is staging, the answer is the
 * same conflict without id or organization, audited and counted (S20). */
static bool check_duplicate(struct request *req, const char *id_number, int64_t self_id, bool new_id)
{
	if (new_id && !probe_allowed(req))
		return false;
	unsigned char blind[DJ_BLIND_LEN];
	member_id_blind(id_number, blind);
	int64_t id;
	const char *path;
	enum db_rc rc = member_find_by_blind(req->db, req->arena, blind, &id, &path);
	if (rc == DB_NOT_FOUND || (rc == DB_OK && id == self_id && id > 0))
		return true;
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return false;
	}
	req_fail(req, 409, "duplicate_person", "此人已在党员名册中（身份证号码相同），不能重复录入");
	if (id > 0 && scope_allows(req, "member.read", path)) {
		json_decref(req->out);
		req->out = json_pack("{s:I}", "existing_id", (json_int_t)id);
	} else if (!scope_allows(req, "member.read", path)) {
		audit_anyway(req, MEMBER_DUP_OUT_OF_SCOPE, "录入的身份证号码属于管辖范围以外的党员");
	}
	return false;
}

static int audit(struct request *req, const char *action, int64_t id, int64_t org_id, const char *summary)
{
	struct audit_event ev = {action, "member", id, org_id, true, summary};
	return audit_record(req, &ev);
}

/* R-TRF-03: true (after a 409 in_transit on field) when the member has an open
 * transfer: a member in transit is not deleted, moved or given another state by hand. */
static bool in_transit(struct request *req, int64_t id, const char *field, const char *what)
{
	enum db_rc rc = member_in_transit(req->db, id, NULL);
	if (rc == DB_NOT_FOUND)
		return false;
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return true;
	}
	req_fail(req, 409, "in_transit", arena_printf(req->arena, "该党员组织关系转接在途，不能%s", what));
	if (!req->err.fields) {
		req->err.fields = json_array();
		json_array_append_new(req->err.fields, json_pack("{s:s, s:s, s:s}", "field", field, "code", "in_transit",
								 "message", "组织关系转接在途（R-TRF-03）"));
	}
	return true;
}

/* Loads member id inside the caller's scope for perm, or 404. */
static bool load_in_scope(struct request *req, int64_t id, const char *perm, struct member_rec *r,
			  const char **org_name)
{
	if (id <= 0)
		return false;
	enum db_rc rc = member_load(req->db, req->arena, id, true, r, org_name);
	return roster_found(req, rc, rc == DB_OK && scope_allows(req, perm, r->org_path), "党员不存在");
}

struct members_in {
	struct member_filter_in f;
	int64_t limit;
	const char *cursor;
	int64_t page;
	int last;
};
static const struct param members_params[] = {
	MEMBER_FILTER_PARAMS(struct members_in),
	PARAM_INT(struct members_in, limit, 1, 200, 20),
	PARAM_STR(struct members_in, cursor, 512),
	PARAM_INT(struct members_in, page, 1, 1000000, 1),
	PARAM_BOOL(struct members_in, last),
};
static const struct params members_in = PARAMS(struct members_in, members_params);

/* Issue 20 #14: the keyset cursor before the row at position pos (0-based) of q's order,
 * for a page chosen by number. One scope root: member_seek from whichever end of the
 * order is nearer (the last page reads its rows back from the far end of the index:
 * ≤ limit entries); several roots or a blind-index search: a forward walk of the merged
 * order, 200 rows a step, bounded by the total. *found false when the rows ran out. */
static enum db_rc page_cursor(struct request *req, const struct member_list_query *q, int64_t pos, int64_t total,
			      const char **ckey, int64_t *cid, bool *found)
{
	*ckey = "";
	*cid = 0;
	*found = false;
	if (q->nranges == 1 && !q->f.id_blind && !q->f.mobile_blind) {
		struct member_filter f = q->f;
		f.prefix = q->prefix[0];
		f.end = q->end[0];
		bool back = total - 1 - pos < pos;
		return member_seek(req->db, req->arena, &f, back ? total - 1 - pos : pos, back, ckey, cid, found);
	}
	int64_t left = pos + 1;
	while (left > 0) {
		int step = left > 200 ? 200 : (int)left;
		struct member_row *rows;
		size_t n;
		enum db_rc rc = member_filter_page(req->db, req->arena, q, *ckey, *cid, step, &rows, &n, NULL);
		if (rc != DB_OK)
			return rc;
		size_t take = n > (size_t)step ? (size_t)step : n;
		if (take == 0)
			return DB_OK;
		*ckey = rows[take - 1].key ? rows[take - 1].key : "";
		*cid = rows[take - 1].id;
		left -= (int64_t)take;
		if (take < (size_t)step)
			return DB_OK;
	}
	*found = true;
	return DB_OK;
}

/* Built first pages (see get_members): 512 of ~4–10 KB (20 rows), a few MiB at most,
 * each slot reused in turn. */
REVCACHE_BLOB_DEFINE(page_cache, 512);

static void get_members(struct request *req)
{
	const struct members_in *in = req->in;
	struct member_list_query q;
	if (!member_filter_build(req, "member.read", &in->f, &q))
		return;
	q.f.list_cols = true;
	int64_t limit = in->limit;
	const char *ckey = "";
	int64_t cid = 0;
	if (in->cursor && (in->page > 1 || in->last == 1)) {
		req_field_error(req, "page", "conflict", "按页码跳转时不能同时带游标");
		return;
	}
	if (in->cursor && !roster_cursor_decode(req, in->cursor, &ckey, &cid))
		return;
	struct member_row *rows;
	size_t n;
	int64_t total;
	enum db_rc rc;
	/* a page by number (issue 20 #14): the total first, then the cursor before the
	 * page's first row, then the ordinary keyset page from it */
	int64_t page = 1, pages = 1;
	bool numbered = !in->cursor && (in->page > 1 || in->last == 1);
	if (numbered) {
		if ((rc = member_filter_count(req->db, &q, &total)) != DB_OK) {
			req_fail_db(req, rc);
			return;
		}
		pages = total > 0 ? (total + limit - 1) / limit : 1;
		page = in->last == 1 ? pages : in->page;
		if (page > pages) { /* past the last page: no rows, and where the last one is */
			struct jsonw *w = req_list_begin(req, 128);
			req_list_end_page(req, w, NULL, total, page, pages);
			return;
		}
		bool found = true;
		if (page > 1 && (rc = page_cursor(req, &q, (page - 1) * limit - 1, total, &ckey, &cid, &found)) != DB_OK) {
			req_fail_db(req, rc);
			return;
		}
		if (!found) {
			struct jsonw *w = req_list_begin(req, 128);
			req_list_end_page(req, w, NULL, total, page, pages);
			return;
		}
	}
	/* issue 21 #2: a page of one organization's subtree is built once per (organization,
	 * filter, keyset) at the subtree's revision (0145 subtree_rev: raised by every write
	 * to a member in it, an organization added, removed, renamed or moved in it; a write
	 * elsewhere in the district leaves it be). The scope is checked above on each request (the range
	 * is the caller's) and the page is the same for everyone whose range it is. Not kept:
	 * pages by number, text searches (an ID number or a mobile in a key), keys too long. */
	char ck[700];
	int kl = -1;
	int64_t epoch = 0, prev = -1;
	if (!numbered && in->f.org_id > 0 && q.nranges == 1 && !in->f.q) {
		const struct member_filter_in *fi = &in->f;
#define S_(x) ((x) ? (x) : "")
		kl = snprintf(ck, sizeof ck, "%lld|%lld|%s|%s|%s|%s|%s|%s|%s|%s|%s|%d|%s|%s|%s|%lld", (long long)fi->org_id,
			      (long long)limit, S_(fi->party_status), S_(fi->state), S_(fi->edu_group),
			      S_(q.f.birth_after), S_(q.f.birth_upto), S_(fi->sex), S_(fi->ethnicity), S_(fi->joined_from),
			      S_(fi->joined_to), fi->two_new, S_(fi->sort), S_(fi->age_band), ckey, (long long)cid);
#undef S_
		if (kl > 0 && (size_t)kl < sizeof page_cache_slots[0].prefix &&
		    (rc = member_list_revision(req->db, q.prefix[0], &epoch, &prev)) != DB_OK) {
			req_fail_db(req, rc);
			return;
		}
		if (kl <= 0 || (size_t)kl >= sizeof page_cache_slots[0].prefix)
			prev = -1;
		char *hit;
		size_t hlen;
		if (prev >= 0 && revcache_get_blob(&page_cache, ck, epoch, prev, 0, req->arena, &hit, &hlen)) {
			req_reply_raw(req, 200, "application/json", hit, hlen);
			return;
		}
	}
	rc = member_filter_page(req->db, req->arena, &q, ckey, cid, (int)limit, &rows, &n, numbered ? NULL : &total);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	size_t shown = n > (size_t)limit ? (size_t)limit : n;
	struct jsonw *w = req_list_begin(req, 512 + shown * 400);
	for (size_t i = 0; i < shown; i++)
		member_list_write(w, &rows[i].r, rows[i].org_name);
	const char *next = n > (size_t)limit ? roster_cursor_encode(req, rows[shown - 1].key, rows[shown - 1].id) : NULL;
	if (numbered) {
		req_list_end_page(req, w, next, total, page, pages);
	} else {
		req_list_end(req, w, next, total);
		if (prev >= 0 && req->status == 200)
			revcache_put_blob(&page_cache, ck, epoch, prev, 0, w->buf, w->len);
	}
}

struct member_in {
	int reveal;
};
static const struct param member_params[] = {PARAM_BOOL(struct member_in, reveal)};
static const struct params member_in = PARAMS(struct member_in, member_params);

static bool outgoing_state(const char *s);
static bool may_correct(const struct request *req, const char *org_path);

/* What the caller may do with r (issue 20 #16: the page shows that, nothing else), and
 * the states r may be moved to by the caller (#5): each with whether it leaves the
 * roster or corrects an outgoing state (then a date, a reason and a confirmation). */
static void add_actions(struct request *req, const struct member_rec *r, json_t *j)
{
	bool write = scope_allows(req, "member.write", r->org_path);
	bool correction = outgoing_state(r->state);
	bool corrector = correction && may_correct(req, r->org_path);
	json_object_set_new(j, "can", json_pack("{s:b, s:b, s:b, s:b}", "edit", write, "change_state",
						 write && (!correction || corrector), "delete", write, "reveal",
						 scope_allows(req, "pii.view", r->org_path)));
	json_t *targets = json_array();
	const struct code_table *t = codes_table("member_state");
	for (size_t i = 0; write && t && i < t->n; i++) {
		const char *c = t->items[i].code;
		if (r->state && strcmp(c, r->state) == 0)
			continue;
		if (correction && (!corrector || (strcmp(r->state, "deceased") == 0 && strcmp(c, "normal") == 0)))
			continue;
		json_array_append_new(targets, json_pack("{s:s, s:s, s:b, s:b}", "code", c, "name", t->items[i].name,
							 "outgoing", outgoing_state(c), "correction", correction));
	}
	json_object_set_new(j, "state_targets", targets);
}

/* A full view's audit row (S3), written once the read has ended well; the record
 * leaves only when the row committed. */
static int pii_view_audit(struct request *req, void *ctx)
{
	const struct member_rec *r = ctx;
	return audit(req, "member.pii_view", r->id, r->org_id, "查看完整身份证号码和手机号码") == 0 ? DB_OK : DB_ERROR;
}

/* In the route's read transaction; ?reveal=1 is audited right after it
 * (req_after_commit), so that ordinary reads never wait for the write lock. */
static void get_member(struct request *req)
{
	const struct member_in *in = req->in;
	int64_t id = req_param_id(req, "id");
	if (req_failed(req))
		return;
	bool reveal = in->reveal == 1;
	struct member_rec *r = arena_alloc(req->arena, sizeof *r);
	const char *org_name;
	if (!load_in_scope(req, id, "member.read", r, &org_name))
		return;
	if (reveal) {
		if (!scope_allows(req, "pii.view", r->org_path)) {
			req_fail(req, 403, "forbidden", "没有查看完整个人信息的权限");
			return;
		}
		req_after_commit(req, pii_view_audit, r);
	}
	json_t *j = member_json(r, org_name, reveal, roster_today());
	add_actions(req, r, j);
	req_reply_json(req, 200, j);
}

/* True when one of the two paths lies on the other's line (same, ancestor or
 * descendant organization). */
static bool same_line(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	return strncmp(a, b, la < lb ? la : lb) == 0;
}

/* The 党小组, grid and building a member is placed in must exist and belong with the
 * member's own organization: a foreign id would otherwise reveal that it exists and
 * pin another organization's objects (they could no longer be deleted). */
static void check_placement(struct request *req, const struct member_rec *r, const char *org_path)
{
	struct org_rec x;
	if (r->group_org_id > 0 &&
	    (org_get(req->db, req->arena, r->group_org_id, &x) != DB_OK || strcmp(x.type, "党小组") != 0 ||
	     r->group_org_id == r->org_id || strncmp(x.path, org_path, strlen(org_path)) != 0))
		req_field_error(req, "group_org_id", "not_found", "党小组不存在，或不属于该党员所在的党组织");
	int64_t grid = r->grid_id;
	if (grid > 0) {
		int64_t gorg = grid_org(req->db, grid);
		if (!gorg || org_get(req->db, req->arena, gorg, &x) != DB_OK || !same_line(x.path, org_path))
			req_field_error(req, "grid_id", "not_found", "网格不存在，或不属于该党员所在党组织的辖区");
	}
	if (r->building_id > 0) {
		int64_t bgrid = building_grid(req->db, r->building_id);
		bool ok = bgrid > 0;
		if (ok && grid > 0)
			ok = bgrid == grid;
		else if (ok) {
			int64_t gorg = grid_org(req->db, bgrid);
			ok = gorg && org_get(req->db, req->arena, gorg, &x) == DB_OK && same_line(x.path, org_path);
		}
		if (!ok)
			req_field_error(req, "building_id", "not_found", "楼院不存在，或不属于所选网格");
	}
}

/* Members belong to a 党支部 or 联合党支部 (issue 20 #6); a 党小组 is a placement within
 * one (group_org_id), never the member's organization. */
static void branch_only(struct request *req, const struct org_rec *o)
{
	if (!org_is_branch(o->type))
		req_field_error(req, "org_id", "not_branch",
				"党员应归属党支部或联合党支部（党小组请在“所在党小组”中选择）");
}

/* The organization a new member goes to by default (issue 20 #6): the caller's own
 * branch, i.e. the first of its member.write scope roots that is a 党支部 or 联合党支部;
 * none (null) for who works above the branches: they pick one. */
struct defaults_in {
	int64_t org_id;
};
static const struct param defaults_params[] = {PARAM_ID(struct defaults_in, org_id, "党组织编号无效")};
static const struct params defaults_in = PARAMS(struct defaults_in, defaults_params);

static void get_member_defaults(struct request *req)
{
	const struct defaults_in *in = req->in;
	struct org_rec here;
	/* the organization the user is looking at, when it is a branch in their scope */
	if (in->org_id && roster_org_in_scope(req, in->org_id, "member.write", &here) && org_is_branch(here.type)) {
		req_reply_json(req, 200, json_pack("{s:I, s:s, s:s}", "org_id", (json_int_t)here.id, "org_name", here.name,
						   "org_type", here.type));
		return;
	}
	req->err.status = 0;
	const char **prefix, **end;
	size_t n = roster_ranges(req, "member.write", &prefix, &end);
	for (size_t i = 0; i < n; i++) {
		const char *p = prefix[i] + strlen(prefix[i]) - 1;
		while (p > prefix[i] && p[-1] != '/')
			p--;
		struct org_rec o;
		enum db_rc rc = org_get(req->db, req->arena, strtoll(p, NULL, 10), &o);
		if (rc != DB_OK) {
			req_fail_db(req, rc);
			return;
		}
		if (org_is_branch(o.type)) {
			req_reply_json(req, 200, json_pack("{s:I, s:s, s:s}", "org_id", (json_int_t)o.id, "org_name", o.name,
							   "org_type", o.type));
			return;
		}
	}
	req_reply_json(req, 200, json_pack("{s:n, s:n, s:n}", "org_id", "org_name", "org_type"));
}

static void post_member(struct request *req)
{
	json_t *b = in_body(req);
	if (!b)
		return;
	struct member_rec r;
	memset(&r, 0, sizeof r);
	read_body(req, b, &r, false);
	if (in_has(b, "state"))
		req_field_error(req, "state", "read_only", "党籍状态请通过状态变更办理");
	if (req_failed(req))
		return;
	struct org_rec o;
	if (!roster_org_in_scope(req, r.org_id, "member.write", &o)) {
		req->err.status = 0; /* a missing org is a field error here, not a 404 */
		req_field_error(req, "org_id", "not_found", "党组织不存在");
		return;
	}
	branch_only(req, &o);
	check_placement(req, &r, o.path);
	member_validate(&r, roster_today(), req->arena, field_err, req);
	if (req_failed(req) || !check_duplicate(req, r.id_number, 0, true))
		return;
	r.created_at = r.updated_at = clock_now();
	enum db_rc rc = member_insert(req->db, req->arena, &r);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (audit(req, "member.create", r.id, r.org_id, arena_printf(req->arena, "新增党员 id=%lld（%s）", (long long)r.id, o.name)) != 0)
		return;
	req_reply_json(req, 201, member_json(&r, o.name, false, roster_today()));
}

static void patch_member(struct request *req)
{
	int64_t id = req_param_id(req, "id");
	json_t *b = in_body(req);
	struct member_rec r;
	const char *org_name;
	if (!b || !load_in_scope(req, id, "member.write", &r, &org_name))
		return;
	int64_t old_org = r.org_id;
	const char *moved_from = NULL;
	read_body(req, b, &r, true);
	if (in_has(b, "state"))
		req_field_error(req, "state", "read_only", "党籍状态请通过状态变更办理");
	if (in_has(b, "id_number") || in_has(b, "sex") || in_has(b, "birth_date")) {
		/* re-derive from the (new) ID unless given explicitly */
		if (!in_has(b, "sex"))
			r.sex = NULL;
		if (!in_has(b, "birth_date"))
			r.birth_date = NULL;
	} else {
		r.sex = NULL, r.birth_date = NULL; /* derived again from the stored ID */
	}
	if (req_failed(req))
		return;
	if (r.org_id != old_org && in_transit(req, r.id, "org_id", "调整所在党组织"))
		return;
	if (r.org_id != old_org) {
		struct org_rec o;
		if (!roster_org_in_scope(req, r.org_id, "member.write", &o)) {
			req->err.status = 0;
			req_field_error(req, "org_id", "not_found", "党组织不存在");
			return;
		}
		branch_only(req, &o);
		moved_from = org_name;
		org_name = o.name;
		r.org_path = o.path;
	}
	if (in_has(b, "group_org_id") || in_has(b, "grid_id") || in_has(b, "building_id") || r.org_id != old_org)
		check_placement(req, &r, r.org_path);
	member_validate(&r, roster_today(), req->arena, field_err, req);
	if (req_failed(req) || !check_duplicate(req, r.id_number, r.id, in_has(b, "id_number")))
		return;
	r.updated_at = clock_now();
	enum db_rc rc = member_update(req->db, req->arena, &r);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (moved_from) {
		/* issue 20 #15: the move stays in the member's history (a transfer between
		 * districts goes through the transfers' own records) */
		const char *actor = NULL;
		auth_actor(req, "member.write", &actor, NULL, NULL);
		char day[11];
		date_format(roster_today(), day);
		rc = member_history_note(req->db, &r, day, arena_printf(req->arena, "组织调整：%s → %s", moved_from, org_name),
					 auth_user_id(req), actor, r.updated_at);
		if (rc != DB_OK) {
			req_fail_db(req, rc);
			return;
		}
	}
	if (audit(req, "member.update", r.id, r.org_id,
		  moved_from ? arena_printf(req->arena, "修改党员 id=%lld（组织调整：%s → %s）", (long long)r.id, moved_from,
					    org_name)
			     : arena_printf(req->arena, "修改党员 id=%lld", (long long)r.id)) != 0)
		return;
	req_reply_json(req, 200, member_json(&r, org_name, false, roster_today()));
}

static void delete_member(struct request *req)
{
	int64_t id = req_param_id(req, "id");
	struct member_rec r;
	const char *org_name;
	if (!load_in_scope(req, id, "member.write", &r, &org_name) || in_transit(req, id, "id", "删除"))
		return;
	enum db_rc rc = member_delete(req->db, id);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (audit(req, "member.delete", id, r.org_id, "删除党员记录") != 0)
		return;
	req_reply_json(req, 204, NULL);
}

/* The outgoing states (出党 and 去世): the person leaves the roster (issue 20 #5). */
static bool outgoing_state(const char *s)
{
	return s && (strcmp(s, "withdrawn") == 0 || strcmp(s, "removed") == 0 || strcmp(s, "expelled") == 0 ||
		     strcmp(s, "deceased") == 0);
}

/* True when the caller holds, over org_path, one of the roles the setting
 * state_correction_roles names (who may decide a correction of an outgoing state). */
static bool may_correct(const struct request *req, const char *org_path)
{
	const struct auth_session *s = req->session;
	const char *list = cfg.state_correction_roles;
	for (size_t i = 0; s && i < s->n_as; i++) {
		const struct auth_assignment *a = &s->as[i];
		if (!a->org_path || strncmp(a->org_path, org_path, strlen(a->org_path)) != 0)
			continue;
		size_t n = strlen(a->role->code);
		for (const char *p = list; p && *p;) {
			while (*p == ' ' || *p == ',')
				p++;
			size_t k = strcspn(p, ", ");
			if (k == n && strncmp(p, a->role->code, n) == 0)
				return true;
			p += k;
		}
	}
	return false;
}

static void post_state(struct request *req)
{
	int64_t id = req_param_id(req, "id");
	json_t *b = in_body(req);
	struct member_rec r;
	const char *org_name;
	if (!b || !load_in_scope(req, id, "member.write", &r, &org_name))
		return;
	const char *state = in_str(req, b, "state", IN_REQUIRED, 20);
	const char *reason = in_str(req, b, "reason", IN_OPTIONAL | IN_MULTILINE, 500);
	const char *doc = in_str(req, b, "document_no", IN_OPTIONAL | IN_NULLABLE, 100);
	const char *date = in_date(req, b, "date", IN_REQUIRED);
	json_t *cj = json_object_get(b, "confirm");
	bool confirmed = json_is_true(cj);
	if (cj && !json_is_boolean(cj))
		req_field_error(req, "confirm", "invalid_bool", "应为 true 或 false");
	if (state && !codes_valid("member_state", state))
		req_field_error(req, "state", "invalid_code", "党籍状态无效");
	else if (state && strcmp(state, "transfer_out") == 0)
		req_field_error(req, "state", "read_only", "转出（在途）由组织关系接转办理");
	else if (state && r.state && strcmp(state, r.state) == 0)
		req_field_error(req, "state", "same_state", "党籍状态没有变化");
	struct date d, today = roster_today();
	if (date && date_parse(date, &d) && date_cmp(d, today) > 0)
		req_field_error(req, "date", "in_future", "日期不能晚于今天");
	bool correction = outgoing_state(r.state);
	if (state && (strcmp(state, "normal") != 0 || correction) && !reason)
		req_field_error(req, "reason", "required", correction ? "请填写更正的原因" : "请填写变更原因或文号");
	if (state && strcmp(state, "lost") == 0 && reason && !codes_lookup("lost_contact_reason", reason))
		req_field_error(req, "reason", "invalid_code", "失联原因应为代码表 lost_contact_reason 中的一项");
	/* R-MEM-OUT: leaving the roster, and coming back to it, is confirmed by the caller */
	if (state && codes_valid("member_state", state) && (outgoing_state(state) || correction) && !confirmed)
		req_field_error(req, "confirm", "confirm_required",
				correction ? "这是对出党或去世状态的更正，请确认后再提交"
					   : "该状态将使其移出在册党员，请确认后再提交");
	if (req_failed(req) || in_transit(req, id, "state", "变更党籍状态"))
		return;
	if (r.state && strcmp(r.state, "deceased") == 0 && strcmp(state, "normal") == 0) {
		req_field_error(req, "state", "deceased_final", "已去世的党员不能恢复为正常");
		return;
	}
	if (correction && !may_correct(req, r.org_path)) {
		req_fail(req, 403, "correction_forbidden", "出党或去世状态的更正须由有权决定的管理员办理");
		return;
	}
	if (strcmp(state, "lost") == 0)
		reason = codes_name("lost_contact_reason", codes_lookup("lost_contact_reason", reason));
	const char *why = reason;
	if (doc)
		why = arena_printf(req->arena, "%s（文号：%s）", reason ? reason : "", doc);
	if (correction)
		why = arena_printf(req->arena, "更正：%s", why);
	const char *actor = NULL;
	auth_actor(req, "member.write", &actor, NULL, NULL);
	const char *from = r.state;
	enum db_rc rc = member_change_state(req->db, &r, state, why, date, auth_user_id(req), actor, clock_now());
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	const char *fn = codes_name("member_state", from), *tn = codes_name("member_state", state);
	if (audit(req, correction ? "member.state_correct" : "member.state", r.id, r.org_id,
		  /* no name nor reason: the audit log outlives a deleted record (S13); the
		   * reason stays in the member's history */
		  arena_printf(req->arena, "%s党籍状态 %s → %s%s", correction ? "更正" : "变更", fn ? fn : from,
			       tn ? tn : state, doc ? "（附文号）" : "")) != 0)
		return;
	req_reply_json(req, 200, member_json(&r, org_name, false, today));
}

static void get_history(struct request *req)
{
	int64_t id = req_param_id(req, "id");
	struct member_rec r;
	const char *org_name;
	if (!load_in_scope(req, id, "member.read", &r, &org_name))
		return;
	json_t *items = json_array();
	enum db_rc rc = member_history(req->db, id, items);
	if (rc != DB_OK) {
		json_decref(items);
		req_fail_db(req, rc);
		return;
	}
	req_reply_list(req, items, NULL, (int64_t)json_array_size(items));
}

static void get_me(struct request *req)
{
	long long id = auth_member_id(req);
	struct member_rec r;
	const char *org_name;
	if (id <= 0 || member_load(req->db, req->arena, id, true, &r, &org_name) != DB_OK) {
		req_fail(req, 404, "not_found", "没有与此账号关联的党员信息");
		return;
	}
	req_reply_json(req, 200, member_json(&r, org_name, false, roster_today()));
}

static const struct route members_routes[] = {
	{"GET", "/api/v1/members", get_members, "member.read", RF_TX_READ, 0, "members in scope, filtered, keyset pages",
	 &members_in},
	{"POST", "/api/v1/members", post_member, "member.write", RF_TX_WRITE, 0, "add a member"},
	{"GET", "/api/v1/members/defaults", get_member_defaults, "member.write", RF_TX_READ, 0,
	 "defaults of a new member: the branch looked at, else the caller's own", &defaults_in},
	{"GET", "/api/v1/members/{id}", get_member, "member.read", RF_TX_READ, 0, "one member (?reveal=1 audited)",
	 &member_in},
	{"PATCH", "/api/v1/members/{id}", patch_member, "member.write", RF_TX_WRITE, 0, "change a member"},
	{"DELETE", "/api/v1/members/{id}", delete_member, "member.write", RF_TX_WRITE, 0, "delete a member record"},
	{"POST", "/api/v1/members/{id}/state", post_state, "member.write", RF_TX_WRITE, 0, "change the membership state"},
	{"GET", "/api/v1/members/{id}/history", get_history, "member.read", RF_TX_READ, 0, "state history"},
	{"GET", "/api/v1/me", get_me, "self.read", RF_TX_READ, 0, "the caller's own member record"},
};
ROUTE_TABLE(members);
