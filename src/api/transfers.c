/* transfers.c: 组织关系接转's routes (issue 14, DOMAIN.md §5, docs/api-contract.md
 * "Transfers"): the queues of an organization (outgoing, incoming, in transit) with
 * counts, a transfer (the letter's fields: the receiving side sees only these, never
 * the member's record), its timeline, creating one (within the deployment, out of it,
 * or registering a paper letter into it), the steps of R-TRF-01, a member's own
 * application, the destinations, the public verification and the statistics. A
 * transfer is visible to the sending side's scope, and to the receiving side's from
 * "sent" on; otherwise it answers 404 like a missing one. Every step is audited. The
 * printed letter is transfer_letter.c. */
#include "api/roster_util.h"
#include "auth/auth.h"
#include "auth/scope.h"
#include "auth/session.h"
#include "config.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/jsonw.h"
#include "http/input.h"
#include "http/params.h"
#include "model/member.h"
#include "model/org.h"
#include "model/rate.h"
#include "model/revcache.h"
#include "model/transfer.h"
#include <sodium.h>
#include <string.h>

/* A 409 (or other non-400) problem that still names its field. */
static void fail_field(struct request *req, int status, const char *code, const char *detail, const char *field)
{
	req_fail(req, status, code, detail);
	if (req->err.status == status && !req->err.fields) {
		req->err.fields = json_array();
		json_array_append_new(req->err.fields,
				      json_pack("{s:s, s:s, s:s}", "field", field, "code", code, "message", detail));
	}
}

static int audit(struct request *req, const char *action, const struct transfer_rec *t, const char *summary)
{
	int64_t org = t->from_org_id > 0 ? t->from_org_id : t->to_org_id;
	struct audit_event ev = {action, "transfer", t->id, org, true, summary};
	return audit_record(req, &ev);
}

static struct transfer_actor actor(struct request *req, const char *perm)
{
	struct transfer_actor a = {auth_user_id(req), NULL};
	auth_actor(req, perm, &a.name, NULL, NULL);
	return a;
}

/* Which side of t the caller sees with perm. The receiving side sees a transfer from
 * "sent" on (a letter that has not left is the sender's business). */
static bool on_sending_side(struct request *req, const struct transfer_rec *t, const char *perm)
{
	return t->from_path && scope_allows(req, perm, t->from_path);
}

static bool on_receiving_side(struct request *req, const struct transfer_rec *t, const char *perm)
{
	if (!t->to_path || !scope_allows(req, perm, t->to_path))
		return false;
	return !(strcmp(t->state, "draft") == 0 || strcmp(t->state, "submitted") == 0 ||
		 strcmp(t->state, "approved") == 0 || strcmp(t->state, "cancelled") == 0);
}

/* Loads transfer {id} when the caller sees it (either side, transfer.read), else 404. */
static bool load_visible(struct request *req, bool decrypt, struct transfer_rec *t)
{
	int64_t id = req_param_id(req, "id");
	if (req_failed(req))
		return false;
	enum db_rc rc = transfer_load(req->db, req->arena, id, decrypt, t);
	return roster_found(req, rc,
			    rc == DB_OK && (on_sending_side(req, t, "transfer.read") ||
					    on_receiving_side(req, t, "transfer.read")),
			    "组织关系转接记录不存在");
}

static json_t *view(struct request *req, const struct transfer_rec *t)
{
	/* the member's id only for the sending side (the receiving side: the letter) */
	return transfer_json(t, roster_today(), false, on_sending_side(req, t, "transfer.read"));
}

/* ---- lists ---- */

static const char *const boxes[] = {"outgoing", "incoming", "transit", "all", NULL};
static const char *const flags[] = {"expired", "expiring", "receipt_overdue", NULL};
static const char *const states[] = {"draft", "submitted", "approved", "sent", "received",
				     "returned", "receipt_returned", "cancelled", NULL};

struct list_in {
	int64_t org_id, limit;
	const char *box, *state, *flag, *cursor;
};
static const struct param list_params[] = {
	PARAM_ID(struct list_in, org_id, "党组织编号无效"),
	PARAM_INT(struct list_in, limit, 1, 200, 20),
	PARAM_ENUM(struct list_in, box, boxes, "队列应为 outgoing、incoming、transit 或 all"),
	PARAM_ENUM(struct list_in, state, states, "状态无效"),
	PARAM_ENUM(struct list_in, flag, flags, "提醒类别应为 expired、expiring 或 receipt_overdue"),
	PARAM_STR(struct list_in, cursor, 512),
};
static const struct params list_in = PARAMS(struct list_in, list_params);

/* built list answers (see get_transfers) */
REVCACHE_BLOB_DEFINE(page_cache, 32);

static void get_transfers(struct request *req)
{
	const struct list_in *in = req->in;
	const char **prefix = NULL, **end = NULL;
	size_t nr = roster_org_ranges(req, "transfer.read", in->org_id, &prefix, &end);
	if (req_failed(req))
		return;
	const char *ckey = "";
	int64_t cid = 0;
	if (in->cursor && !roster_cursor_decode(req, in->cursor, &ckey, &cid))
		return;
	if (nr == 0) {
		req_reply_list(req, json_array(), NULL, 0);
		return;
	}
	const char *box = in->box ? in->box : "all";
	struct transfer_filter f = {
		.prefix = prefix[0], /* the caller's first scope root (one assignment is the rule) */
		.end = end[0],
		.box = strcmp(box, "outgoing") == 0 ? TRANSFER_BOX_OUT
		       : strcmp(box, "incoming") == 0 ? TRANSFER_BOX_IN
						       : TRANSFER_BOX_ANY,
		.open_only = strcmp(box, "transit") == 0,
		.state = in->state,
		.flag = in->flag,
		.before_id = cid,
		.limit = (int)in->limit + 1,
		.today = roster_today(),
	};
	/* the sending side (on_sending_side) against the caller's roots, gathered once and
	 * not per row */
	const char **roots;
	size_t nroots = scope_roots(req, "transfer.read", &roots);
	/* The answer is built once per (subtree, filters, cursor, size, the caller's roots:
	 * which rows show the member's id) at a revision of the transfers and a day (the
	 * flags, the ages): every field comes from the transfers' rows, whose every change
	 * raises the revision in its transaction. The district's in-transit list is asked
	 * by every page of the queue and the menu. */
	char key[96];
	int kl = snprintf(key, sizeof key, "%s|%s|%d|%d|%s|%s|%lld|%lld|", f.prefix, f.end, (int)f.box,
			  (int)f.open_only, f.state ? f.state : "", f.flag ? f.flag : "", (long long)cid,
			  (long long)in->limit);
	for (size_t i = 0; i < nroots && kl >= 0 && kl < (int)sizeof key; i++)
		kl += snprintf(key + kl, sizeof key - (size_t)kl, "%s,", roots[i]);
	int64_t epoch, rev, kday = date_to_days(f.today);
	transfer_revision(req->db, &epoch, &rev);
	if (kl < 0 || kl >= (int)sizeof key)
		rev = -1; /* too long to keep: built each time */
	char *hit;
	size_t hlen;
	if (rev >= 0 && revcache_get_blob(&page_cache, key, epoch, rev, kday, req->arena, &hit, &hlen)) {
		req_reply_raw(req, 200, "application/json", hit, hlen);
		return;
	}
	struct transfer_rec *rows;
	size_t n;
	int64_t total = 0;
	enum db_rc rc = transfer_page(req->db, req->arena, &f, &rows, &n, &total);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	size_t shown = n > (size_t)in->limit ? (size_t)in->limit : n;
	/* the items streamed (transfer_jw): a page of 20 letters of ~50 fields each was
	 * two thirds of the request's CPU as jansson values */
	struct jsonw *w = req_list_begin(req, 512 + shown * 1400);
	for (size_t i = 0; i < shown; i++)
		transfer_jw(w, &rows[i], f.today, false,
			    rows[i].from_path && scope_path_covers(roots, nroots, rows[i].from_path));
	req_list_end(req, w, n > shown ? roster_cursor_encode(req, "", rows[shown - 1].id) : NULL, total);
	if (rev >= 0)
		revcache_put_blob(&page_cache, key, epoch, rev, kday, w->buf, w->len);
}

struct counts_in {
	int64_t org_id;
};
static const struct param counts_params[] = {PARAM_ID(struct counts_in, org_id, "党组织编号无效")};
static const struct params counts_in = PARAMS(struct counts_in, counts_params);

static void get_counts(struct request *req)
{
	const struct counts_in *in = req->in;
	const char **prefix = NULL, **end = NULL;
	size_t nr = roster_org_ranges(req, "transfer.read", in->org_id, &prefix, &end);
	if (req_failed(req))
		return;
	struct transfer_counts c = {0};
	if (nr) {
		enum db_rc rc = transfer_counts(req->db, prefix[0], end[0], roster_today(), &c);
		if (rc != DB_OK) {
			req_fail_db(req, rc);
			return;
		}
	}
	req_reply_json(req, 200,
		       json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "outgoing_open", (json_int_t)c.outgoing_open,
				 "incoming_pending", (json_int_t)c.incoming_pending, "expired", (json_int_t)c.expired,
				 "expiring", (json_int_t)c.expiring, "receipt_overdue", (json_int_t)c.receipt_overdue,
				 "transit", (json_int_t)c.transit));
}

static void get_transfer(struct request *req)
{
	struct transfer_rec t;
	if (!load_visible(req, false, &t))
		return;
	json_t *j = view(req, &t);
	json_t *ev = json_array();
	enum db_rc rc = transfer_events(req->db, t.id, ev);
	if (rc != DB_OK) {
		json_decref(ev);
		json_decref(j);
		req_fail_db(req, rc);
		return;
	}
	json_object_set_new(j, "timeline", ev);
	char code[17];
	if (t.serial) {
		transfer_verify_code(t.serial, code);
		json_object_set_new(j, "verify_url", json_string(arena_printf(req->arena, "%s/verify/transfer/%s?code=%s",
									      cfg.transfer_verify_base, t.serial, code)));
	}
	req_reply_json(req, 200, j);
}

/* ---- destinations ---- */

struct dest_in {
	const char *q;
};
static const struct param dest_params[] = {PARAM_STR(struct dest_in, q, 40)};
static const struct params dest_in = PARAMS(struct dest_in, dest_params);

static void get_destinations(struct request *req)
{
	const struct dest_in *in = req->in;
	json_t *items = json_array();
	enum db_rc rc = transfer_destinations(req->db, req->arena, in->q, 20, items);
	if (rc != DB_OK) {
		json_decref(items);
		req_fail_db(req, rc);
		return;
	}
	req_reply_list(req, items, NULL, (int64_t)json_array_size(items));
}

/* ---- creating ---- */

/* The receiving organization to_org_id: exists, holds members (党支部, 联合党支部),
 * is not from_org. The tree's names are not secret: any organization may be chosen. */
static bool check_destination(struct request *req, int64_t to_org_id, int64_t from_org_id, struct org_rec *o)
{
	enum db_rc rc = org_get(req->db, req->arena, to_org_id, o);
	if (rc == DB_NOT_FOUND) {
		req_field_error(req, "to_org_id", "not_found", "接收党组织不存在");
		return false;
	}
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return false;
	}
	if (!org_is_branch(o->type)) {
		req_field_error(req, "to_org_id", "not_branch", "接收党组织应为党支部（党委、党总支不直接管理党员）");
		return false;
	}
	if (to_org_id == from_org_id) {
		req_field_error(req, "to_org_id", "same_org", "接收党组织与转出党组织相同");
		return false;
	}
	return true;
}

/* The letter's fields from the member's record (R-TRF-04: 党费交至 as recorded). */
static void letter_from_member(struct request *req, struct transfer_rec *t, const struct member_rec *m,
			       const struct org_rec *from)
{
	t->member_id = m->id;
	t->from_org_id = from->id;
	t->from_path = from->path;
	t->from_org_name = from->name;
	t->name = m->name;
	t->sex = m->sex;
	t->birth_date = m->birth_date;
	t->ethnicity = m->ethnicity;
	t->party_status = m->party_status;
	t->joined_on = m->joined_on;
	t->confirmed_on = m->confirmed_on;
	t->id_number = m->id_number;
	t->mobile = m->mobile;
	t->dues_paid_to = m->dues_paid_to;
	if (!t->sender_address)
		t->sender_address = from->address;
	t->sender_phone = from->phone;
	(void)req;
}

/* A member's transfer may start: in the roster, not in transit already (R-TRF-03). */
static bool member_may_start(struct request *req, const struct member_rec *m)
{
	int64_t open;
	enum db_rc rc = transfer_open_of_member(req->db, m->id, &open);
	if (rc == DB_OK) {
		fail_field(req, 409, "in_transit", "该党员已有在途的组织关系转接，不能重复发起（R-TRF-03）", "member_id");
		return false;
	}
	if (rc != DB_NOT_FOUND) {
		req_fail_db(req, rc);
		return false;
	}
	if (!member_state_in_roster(m->state)) {
		req_field_error(req, "member_id", "not_in_roster", "该党员已不在党员名册中");
		return false;
	}
	return true;
}

/* Inserts t as a draft (or, for a paper letter, as sent), with its first timeline row. */
static bool insert(struct request *req, struct transfer_rec *t, const char *perm, const char *action)
{
	t->created_at = t->updated_at = clock_now();
	enum db_rc rc = transfer_insert(req->db, req->arena, t);
	if (rc == DB_CONSTRAINT) {
		fail_field(req, 409, "in_transit", "该党员已有在途的组织关系转接，不能重复发起（R-TRF-03）", "member_id");
		return false;
	}
	struct transfer_actor who = actor(req, perm);
	if (rc == DB_OK)
		rc = transfer_event(req->db, t->id, NULL, t->state, who.id, who.name,
				    t->applied_by_member ? "党员本人申请" : NULL, t->created_at);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return false;
	}
	return audit(req, action, t, arena_printf(req->arena, "%s：%s → %s", transfer_kind_name(t->kind),
						  t->from_org_name, t->to_org_name)) == 0;
}

/* An audit row that stays although the request fails (req_on_failure). */
static int audit_on_failure(struct request *req, void *ctx)
{
	return audit_record(req, ctx) == 0 ? DB_OK : DB_ERROR;
}

static void audit_anyway(struct request *req, const char *action, const char *summary)
{
	struct audit_event *ev = arena_alloc(req->arena, sizeof *ev);
	*ev = (struct audit_event){action, "transfer", 0, 0, false, summary};
	req_on_failure(req, audit_on_failure, ev);
}

/* S20, as for adding a member by hand (api/members.c): a user who has met more people
 * outside their scope than cfg.dup_probe_limit in the window may not look an ID number
 * up until it passes (429), asked before the lookup. */
static bool probe_allowed(struct request *req)
{
	int64_t n = 0;
	enum db_rc rc = member_dup_probes(req->db, auth_user_id(req), MEMBER_DUP_OUT_OF_SCOPE,
					  clock_now() - cfg.dup_probe_window, &n);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
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

static void field_err(void *ctx, const char *field, const char *code, const char *message)
{
	req_field_error(ctx, field, code, message);
}

/* A paper letter from elsewhere (kind "in"): the person is checked against the roster
 * by the ID number's blind index (R-TRF-03) before anything is stored. */
static void post_incoming(struct request *req, json_t *b, struct transfer_rec *t)
{
	struct member_rec m;
	memset(&m, 0, sizeof m);
	m.name = in_str(req, b, "name", IN_REQUIRED, 50);
	m.id_number = in_str(req, b, "id_number", IN_REQUIRED, 18);
	m.ethnicity = in_str(req, b, "ethnicity", IN_OPTIONAL, 2);
	m.party_status = in_str(req, b, "party_status", IN_REQUIRED, 20);
	m.joined_on = in_date(req, b, "joined_on", IN_REQUIRED);
	m.confirmed_on = in_date(req, b, "confirmed_on", IN_OPTIONAL);
	m.mobile = in_str(req, b, "mobile", IN_OPTIONAL, 11);
	m.dues_paid_to = in_str(req, b, "dues_paid_to", IN_OPTIONAL, 7);
	m.dues_base = -1;
	t->from_org_name = in_str(req, b, "from_org_name", IN_REQUIRED, 100);
	t->letter_no = in_str(req, b, "letter_no", IN_OPTIONAL, 40);
	t->sent_on = in_date(req, b, "sent_on", IN_REQUIRED);
	t->valid_until = in_date(req, b, "valid_until", IN_REQUIRED);
	int64_t to = 0;
	in_int(req, b, "to_org_id", IN_REQUIRED, 1, INT64_MAX, &to);
	/* every field's error in one answer: the destination, the dates, the person */
	struct org_rec o;
	memset(&o, 0, sizeof o);
	if (to > 0 && req->err.status == 0) {
		if (roster_org_in_scope(req, to, "transfer.write", &o)) {
			check_destination(req, to, 0, &o);
		} else if (req->err.status == 404) { /* outside the scope: a field error here */
			req->err.status = 0;
			req_field_error(req, "to_org_id", "not_found", "接收党组织不存在");
		}
	}
	if (req->err.status != 0 && req->err.status != 400)
		return;
	m.org_id = to;
	struct date today = roster_today(), sent = {0, 0, 0}, until = {0, 0, 0};
	if (t->sent_on && t->valid_until && date_parse(t->sent_on, &sent) && date_parse(t->valid_until, &until) && date_cmp(until, sent) < 0)
		req_field_error(req, "valid_until", "before_sent", "有效期不能早于开具日期");
	if (t->sent_on && date_parse(t->sent_on, &sent) && date_cmp(sent, today) > 0)
		req_field_error(req, "sent_on", "in_future", "开具日期晚于今天");
	member_validate(&m, today, req->arena, field_err, req);
	if (req_failed(req))
		return;
	if (!probe_allowed(req))
		return;
	unsigned char blind[DJ_BLIND_LEN];
	member_id_blind(m.id_number, blind);
	int64_t id;
	const char *path;
	enum db_rc rc = member_find_by_blind(req->db, req->arena, blind, &id, &path);
	if (rc == DB_OK) {
		/* the same person is on the roster already (added by hand, or never left);
		 * outside the caller's scope the answer is audited and counted (S20) */
		fail_field(req, 409, "duplicate_person", "此人已在党员名册中（身份证号码相同），不能重复转入（R-TRF-03）",
			   "id_number");
		if (!scope_allows(req, "member.read", path))
			audit_anyway(req, MEMBER_DUP_OUT_OF_SCOPE, "登记转入介绍信：身份证号码属于管辖范围以外的党员");
		return;
	}
	if (rc == DB_NOT_FOUND)
		rc = transfer_open_by_blind(req->db, blind, &id);
	if (rc == DB_OK) {
		fail_field(req, 409, "duplicate_person", "此人已有在途的组织关系转接（R-TRF-03）", "id_number");
		return;
	}
	if (rc != DB_NOT_FOUND) {
		req_fail_db(req, rc);
		return;
	}
	t->to_org_id = o.id;
	t->to_path = o.path;
	t->to_org_name = o.name;
	t->name = m.name;
	t->sex = m.sex;
	t->birth_date = m.birth_date;
	t->ethnicity = m.ethnicity;
	t->party_status = m.party_status;
	t->joined_on = m.joined_on;
	t->confirmed_on = m.confirmed_on;
	t->id_number = m.id_number;
	t->mobile = m.mobile;
	t->dues_paid_to = m.dues_paid_to;
	t->state = "sent";
	t->validity_days = date_to_days(until) - date_to_days(sent);
	if (!insert(req, t, "transfer.write", "transfer.register"))
		return;
	req_reply_json(req, 201, view(req, t));
}

static const char *const kinds[] = {"within", "out", "in", NULL};

static void post_transfer(struct request *req)
{
	json_t *b = in_body(req);
	if (!b)
		return;
	struct transfer_rec t;
	memset(&t, 0, sizeof t);
	t.kind = in_enum(req, b, "kind", IN_REQUIRED, kinds);
	t.reason = in_str(req, b, "reason", IN_OPTIONAL | IN_MULTILINE, 500);
	t.sender_address = in_str(req, b, "sender_address", IN_OPTIONAL, 200);
	t.open = true;
	t.state = "draft";
	if (req_failed(req))
		return;
	if (strcmp(t.kind, "in") == 0) {
		post_incoming(req, b, &t);
		return;
	}
	int64_t member_id = 0, to = 0;
	in_int(req, b, "member_id", IN_REQUIRED, 1, INT64_MAX, &member_id);
	bool within = strcmp(t.kind, "within") == 0;
	if (within)
		in_int(req, b, "to_org_id", IN_REQUIRED, 1, INT64_MAX, &to);
	else
		t.to_org_name = in_str(req, b, "to_org_name", IN_REQUIRED, 100);
	bool outside = false;
	if (!within)
		in_bool(req, b, "outside_city", IN_OPTIONAL, &outside);
	if (req_failed(req))
		return;
	struct member_rec m;
	const char *org_name;
	enum db_rc rc = member_load(req->db, req->arena, member_id, true, &m, &org_name);
	if (rc == DB_OK && !scope_allows(req, "transfer.write", m.org_path))
		rc = DB_NOT_FOUND; /* from outside the sender's scope: like a missing member */
	if (rc == DB_NOT_FOUND) {
		req_field_error(req, "member_id", "not_found", "党员不存在");
		return;
	}
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	struct org_rec from, dest;
	if ((rc = org_get(req->db, req->arena, m.org_id, &from)) != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (within) {
		if (!check_destination(req, to, from.id, &dest))
			return;
		t.to_org_id = dest.id;
		t.to_path = dest.path;
		t.to_org_name = dest.name;
	}
	if (!member_may_start(req, &m))
		return;
	letter_from_member(req, &t, &m, &from);
	t.outside_city = outside;
	t.validity_days = transfer_validity_days(outside);
	if (!insert(req, &t, "transfer.write", "transfer.create"))
		return;
	req_reply_json(req, 201, view(req, &t));
}

/* ---- the steps ---- */

enum step { STEP_SUBMIT, STEP_APPROVE, STEP_SEND, STEP_ACCEPT, STEP_RETURN, STEP_RECEIPT, STEP_CANCEL, STEP_RENEW };
enum side { SIDE_SENDER, SIDE_RECEIVER, SIDE_EITHER };

struct step_def {
	const char *action; /* audit */
	const char *from;   /* the states it starts from, comma-separated */
	const char *name;   /* Chinese, for messages */
};
static const struct step_def steps[] = {
	[STEP_SUBMIT] = {"transfer.submit", "draft", "提交"},
	[STEP_APPROVE] = {"transfer.approve", "submitted", "审批"},
	[STEP_SEND] = {"transfer.send", "approved", "开具"},
	[STEP_ACCEPT] = {"transfer.accept", "sent", "接收"},
	[STEP_RETURN] = {"transfer.return", "sent", "退回"},
	[STEP_RECEIPT] = {"transfer.receipt", "received", "回执返回"},
	[STEP_CANCEL] = {"transfer.cancel", "draft,submitted,approved", "撤销"},
	[STEP_RENEW] = {"transfer.renew", "sent", "续期"},
};

static bool state_in(const char *state, const char *list)
{
	size_t n = strlen(state);
	for (const char *p = list; p && *p;) {
		const char *c = strchr(p, ',');
		size_t len = c ? (size_t)(c - p) : strlen(p);
		if (len == n && strncmp(p, state, n) == 0)
			return true;
		p = c ? c + 1 : NULL;
	}
	return false;
}

/* The permission that accepting (and returning) needs on the receiving side. */
static const char *accept_perm(void)
{
	return strcmp(cfg.transfer_acceptance, "branch") == 0 ? "transfer.write" : "transfer.approve";
}

/* Who acts on step s of t: the side and the permission it needs there. Kind "out" has
 * no receiving side here: the sender records what the other side did; kind "in" has no
 * sending side. */
static void who_acts(enum step s, const struct transfer_rec *t, enum side *side, const char **perm)
{
	bool out = strcmp(t->kind, "out") == 0;
	*perm = "transfer.write";
	*side = SIDE_SENDER;
	switch (s) {
	case STEP_APPROVE:
		*perm = "transfer.approve";
		break;
	case STEP_ACCEPT:
	case STEP_RETURN:
		if (!out) {
			*side = SIDE_RECEIVER;
			*perm = accept_perm();
		}
		break;
	case STEP_RECEIPT:
		*side = out ? SIDE_SENDER : SIDE_EITHER;
		break;
	default:
		break;
	}
}

static void do_step(struct request *req, enum step s)
{
	json_t *b = in_body(req);
	if (!b)
		return;
	struct transfer_rec t;
	if (!load_visible(req, false, &t))
		return;
	const char *note = in_str(req, b, s == STEP_RENEW ? "note" : "reason", IN_OPTIONAL | IN_MULTILINE, 500);
	if ((s == STEP_RETURN || s == STEP_RENEW) && !note)
		req_field_error(req, s == STEP_RENEW ? "note" : "reason", "required",
				s == STEP_RENEW ? "续期须填写说明（R-TRF-02）" : "请填写退回原因");
	if (req_failed(req))
		return;
	enum side side;
	const char *perm;
	who_acts(s, &t, &side, &perm);
	bool ok = side == SIDE_SENDER ? on_sending_side(req, &t, perm)
		  : side == SIDE_RECEIVER ? on_receiving_side(req, &t, perm)
					  : on_sending_side(req, &t, perm) || on_receiving_side(req, &t, perm);
	if (!ok) {
		req_fail(req, 403, "forbidden",
			 arena_printf(req->arena, "%s此转接应由%s办理", steps[s].name,
				      side == SIDE_RECEIVER ? "接收方党组织" : "转出方党组织"));
		return;
	}
	/* kind "out": the receipt coming back also records the receiving */
	bool out_receipt = s == STEP_RECEIPT && strcmp(t.kind, "out") == 0 && strcmp(t.state, "sent") == 0;
	if (!state_in(t.state, steps[s].from) && !out_receipt) {
		if (s == STEP_RECEIPT)
			fail_field(req, 409, "not_received", "尚未接收，不能登记回执", "state");
		else
			fail_field(req, 409, "invalid_state",
				   arena_printf(req->arena, "当前状态为“%s”，不能%s", transfer_state_name(t.state),
						steps[s].name),
				   "state");
		return;
	}
	struct date today = roster_today();
	struct transfer_flags f;
	transfer_flags(&t, today, &f);
	if (s == STEP_ACCEPT && f.expired) {
		fail_field(req, 409, "expired", "介绍信已超过有效期，须续期后方可接收（R-TRF-02）", "valid_until");
		return;
	}
	if (s == STEP_RENEW && !f.expired && !f.expiring) {
		fail_field(req, 409, "not_expiring", "介绍信未过期，也不在到期前7天内，无需续期", "valid_until");
		return;
	}
	/* a letter into the deployment: its person is added from the sealed fields */
	if (s == STEP_ACCEPT && strcmp(t.kind, "in") == 0) {
		enum db_rc lr = transfer_load(req->db, req->arena, t.id, true, &t);
		if (lr != DB_OK) {
			req_fail_db(req, lr);
			return;
		}
	}
	struct transfer_actor who = actor(req, perm);
	int64_t now = clock_now();
	enum db_rc rc = DB_OK;
	switch (s) {
	case STEP_SUBMIT:
		rc = transfer_submit(req->db, req->arena, &t, &who, today, now);
		/* the setting "branch": the branch's submission is the sending side's approval */
		if (rc == DB_OK && strcmp(cfg.transfer_approval, "branch") == 0)
			rc = transfer_approve(req->db, req->arena, &t, &who, today, now);
		break;
	case STEP_APPROVE:
		rc = transfer_approve(req->db, req->arena, &t, &who, today, now);
		break;
	case STEP_SEND:
		rc = transfer_send(req->db, req->arena, &t, &who, today, now);
		break;
	case STEP_ACCEPT:
		rc = transfer_accept(req->db, req->arena, &t, &who, today, now);
		break;
	case STEP_RETURN:
		rc = transfer_close(req->db, req->arena, &t, "returned", note, &who, today, now);
		break;
	case STEP_CANCEL:
		rc = transfer_close(req->db, req->arena, &t, "cancelled", note, &who, today, now);
		break;
	case STEP_RECEIPT:
		if (out_receipt) {
			if (f.expired) {
				fail_field(req, 409, "expired", "介绍信已超过有效期，须续期后方可接收（R-TRF-02）",
					   "valid_until");
				return;
			}
			rc = transfer_accept(req->db, req->arena, &t, &who, today, now);
		}
		if (rc == DB_OK)
			rc = transfer_receipt(req->db, req->arena, &t, &who, today, now);
		break;
	case STEP_RENEW:
		rc = transfer_renew(req->db, req->arena, &t, note, &who, today, now);
		break;
	}
	if (rc == DB_NOT_FOUND) { /* another request moved it first (two acceptances: one wins) */
		fail_field(req, 409, "conflict", "该转接已被他人办理，请刷新后查看", "state");
		return;
	}
	if (rc == DB_CONSTRAINT && s == STEP_ACCEPT && strcmp(t.kind, "in") == 0) {
		fail_field(req, 409, "duplicate_person", "此人已在党员名册中（身份证号码相同），不能重复转入（R-TRF-03）",
			   "id_number");
		return;
	}
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (audit(req, steps[s].action, &t,
		  arena_printf(req->arena, "组织关系转接 %s：%s", t.serial ? t.serial : "-", transfer_state_name(t.state))) !=
	    0)
		return;
	req_reply_json(req, 200, view(req, &t));
}

#define STEP_HANDLER(fn, s)                     \
	static void fn(struct request *req)     \
	{                                       \
		do_step(req, s);                \
	}
STEP_HANDLER(post_submit, STEP_SUBMIT)
STEP_HANDLER(post_approve, STEP_APPROVE)
STEP_HANDLER(post_send, STEP_SEND)
STEP_HANDLER(post_accept, STEP_ACCEPT)
STEP_HANDLER(post_return, STEP_RETURN)
STEP_HANDLER(post_receipt, STEP_RECEIPT)
STEP_HANDLER(post_cancel, STEP_CANCEL)
STEP_HANDLER(post_renew, STEP_RENEW)

/* ---- a member's own ---- */

static void get_my_transfers(struct request *req)
{
	int64_t me = auth_member_id(req);
	json_t *items = json_array();
	if (me > 0) {
		struct transfer_filter f = {.prefix = "", .end = "\x7f", .box = TRANSFER_BOX_ANY, .member_id = me,
					    .limit = 50, .today = roster_today()};
		/* kind "in" rows have no sending side: the member's own are found by member_id */
		struct transfer_rec *rows;
		size_t n;
		enum db_rc rc = transfer_page(req->db, req->arena, &f, &rows, &n, NULL);
		if (rc != DB_OK) {
			json_decref(items);
			req_fail_db(req, rc);
			return;
		}
		for (size_t i = 0; i < n; i++) {
			json_t *j = transfer_json(&rows[i], f.today, false, false);
			json_t *ev = json_array();
			if (transfer_events(req->db, rows[i].id, ev) == DB_OK)
				json_object_set_new(j, "timeline", ev);
			else
				json_decref(ev);
			json_array_append_new(items, j);
		}
	}
	req_reply_list(req, items, NULL, (int64_t)json_array_size(items));
}

/* A member applies: a draft the branch completes and submits. */
static void post_my_transfer(struct request *req)
{
	json_t *b = in_body(req);
	if (!b)
		return;
	int64_t me = auth_member_id(req);
	struct transfer_rec t;
	memset(&t, 0, sizeof t);
	int64_t to = 0;
	if (in_has(b, "to_org_id"))
		in_int(req, b, "to_org_id", IN_OPTIONAL, 1, INT64_MAX, &to);
	t.to_org_name = in_str(req, b, "to_org_name", to ? IN_OPTIONAL : IN_REQUIRED, 100);
	bool outside = false;
	in_bool(req, b, "outside_city", IN_OPTIONAL, &outside);
	t.reason = in_str(req, b, "reason", IN_REQUIRED | IN_MULTILINE, 500);
	if (req_failed(req))
		return;
	struct member_rec m;
	const char *org_name;
	enum db_rc rc = me > 0 ? member_load(req->db, req->arena, me, true, &m, &org_name) : DB_NOT_FOUND;
	if (rc == DB_NOT_FOUND) {
		req_fail(req, 404, "not_found", "没有与此账号关联的党员信息");
		return;
	}
	struct org_rec from, dest;
	if (rc != DB_OK || (rc = org_get(req->db, req->arena, m.org_id, &from)) != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	t.kind = to ? "within" : "out";
	if (to) {
		if (!check_destination(req, to, from.id, &dest))
			return;
		t.to_org_id = dest.id;
		t.to_path = dest.path;
		t.to_org_name = dest.name;
	}
	if (!member_may_start(req, &m))
		return;
	letter_from_member(req, &t, &m, &from);
	t.state = "draft";
	t.open = true;
	t.applied_by_member = true;
	t.outside_city = to ? false : outside;
	t.validity_days = transfer_validity_days(t.outside_city);
	if (!insert(req, &t, "transfer.apply", "transfer.apply"))
		return;
	req_reply_json(req, 201, transfer_json(&t, roster_today(), false, false));
}

/* ---- the public verification ---- */

struct verify_in {
	const char *code;
};
static const struct param verify_params[] = {PARAM_STR(struct verify_in, code, 32)};
static const struct params verify_in = PARAMS(struct verify_in, verify_params);

/* Answers only valid / expired / received / invalid: nothing personal, no names. */
static void get_verify(struct request *req)
{
	const struct verify_in *in = req->in;
	const char *serial = req_param(req, "serial");
	int64_t hits = 0;
	enum db_rc rc = rate_hit(req->db, arena_printf(req->arena, "verify:%s", req->ip ? req->ip : "-"), 60,
			       clock_now(), &hits);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (hits > cfg.transfer_verify_limit) {
		req_fail(req, 429, "rate_limited", "查询过于频繁，请稍后再试");
		req->err.retry_after = 60;
		return;
	}
	char want[17] = "";
	if (serial && strlen(serial) <= 40)
		transfer_verify_code(serial, want);
	struct transfer_rec t;
	bool code_ok = in->code && want[0] && strlen(in->code) == 16 && sodium_memcmp(in->code, want, 16) == 0;
	rc = code_ok ? transfer_by_serial(req->db, req->arena, serial, &t) : DB_NOT_FOUND;
	if (rc != DB_OK && rc != DB_NOT_FOUND) {
		req_fail_db(req, rc);
		return;
	}
	const char *status = "invalid", *text = "未查到此介绍信，或校验码不符";
	if (rc == DB_OK) {
		struct transfer_flags f;
		t.id = 0;
		transfer_flags(&t, roster_today(), &f);
		if (strcmp(t.state, "received") == 0 || strcmp(t.state, "receipt_returned") == 0)
			status = "received", text = "此介绍信已被接收";
		else if (strcmp(t.state, "sent") == 0 && f.expired)
			status = "expired", text = "此介绍信已超过有效期";
		else if (strcmp(t.state, "sent") == 0)
			status = "valid", text = "此介绍信真实有效";
	}
	if (strcmp(status, "invalid") == 0) {
		fail_field(req, 404, "not_verified", text, "code");
		return;
	}
	req_reply_json(req, 200,
		       json_pack("{s:s, s:s, s:s, s:o}", "serial", serial, "status", status, "message", text, "valid_until",
				 strcmp(status, "valid") == 0 && t.valid_until ? json_string(t.valid_until) : json_null()));
}

/* ---- statistics ---- */

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
	const char **prefix = NULL, **end = NULL;
	size_t nr = roster_org_ranges(req, "stats.read", in->org_id, &prefix, &end);
	if (req_failed(req))
		return;
	struct date today = roster_today();
	char from[11], to[11];
	if (in->from)
		memcpy(from, in->from, 11);
	else
		date_format((struct date){today.y, 1, 1}, from);
	if (in->to)
		memcpy(to, in->to, 11);
	else
		date_format(today, to);
	if (strcmp(from, to) > 0) {
		req_field_error(req, "to", "before_from", "结束日期早于开始日期");
		return;
	}
	struct transfer_stats total = {0}, s;
	for (size_t i = 0; i < nr; i++) {
		enum db_rc rc = transfer_stats(req->db, prefix[i], end[i], from, to, today, &s);
		if (rc != DB_OK) {
			req_fail_db(req, rc);
			return;
		}
		total.in += s.in, total.out += s.out, total.within += s.within;
		total.kind_within += s.kind_within, total.kind_out += s.kind_out, total.kind_in += s.kind_in;
		total.open += s.open, total.expired += s.expired;
	}
	req_reply_json(req, 200,
		       json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I}, s:I, s:I}", "from", from, "to", to,
				 "in", (json_int_t)total.in, "out", (json_int_t)total.out, "within",
				 (json_int_t)total.within, "total", (json_int_t)(total.in + total.out + total.within),
				 "by_kind", "within", (json_int_t)total.kind_within, "out", (json_int_t)total.kind_out,
				 "in", (json_int_t)total.kind_in, "in_transit", (json_int_t)total.open, "expired",
				 (json_int_t)total.expired));
}

static const struct route transfers_routes[] = {
	{"GET", "/api/v1/transfers", get_transfers, "transfer.read", RF_TX_READ, 0,
	 "transfers of a subtree: outgoing, incoming, in transit (keyset pages)", &list_in},
	{"GET", "/api/v1/transfers/counts", get_counts, "transfer.read", RF_TX_READ, 0, "the queues' counts", &counts_in},
	{"GET", "/api/v1/transfers/destinations", get_destinations, "transfer.write", RF_TX_READ, 0,
	 "branches of the deployment by name (a transfer's destination)", &dest_in},
	{"POST", "/api/v1/transfers", post_transfer, "transfer.write", RF_TX_WRITE, 0,
	 "start a transfer (within, out) or register a paper letter (in)"},
	{"GET", "/api/v1/transfers/{id}", get_transfer, "transfer.read", RF_TX_READ, 0, "one transfer with its timeline"},
	{"POST", "/api/v1/transfers/{id}/submit", post_submit, "transfer.write", RF_TX_WRITE, 0, "submit (R-TRF-01)"},
	{"POST", "/api/v1/transfers/{id}/approve", post_approve, "transfer.approve", RF_TX_WRITE, 0,
	 "approve on the sending side"},
	{"POST", "/api/v1/transfers/{id}/send", post_send, "transfer.write", RF_TX_WRITE, 0, "issue the letter"},
	{"POST", "/api/v1/transfers/{id}/accept", post_accept, "transfer.write", RF_TX_WRITE, 0,
	 "accept: the member moves (R-TRF-03)"},
	{"POST", "/api/v1/transfers/{id}/return", post_return, "transfer.write", RF_TX_WRITE, 0, "return with a reason"},
	{"POST", "/api/v1/transfers/{id}/receipt", post_receipt, "transfer.write", RF_TX_WRITE, 0,
	 "the receipt came back (R-TRF-05)"},
	{"POST", "/api/v1/transfers/{id}/cancel", post_cancel, "transfer.write", RF_TX_WRITE, 0, "cancel before sending"},
	{"POST", "/api/v1/transfers/{id}/renew", post_renew, "transfer.write", RF_TX_WRITE, 0,
	 "renew an expired letter with a note (R-TRF-02)"},
	{"GET", "/api/v1/me/transfers", get_my_transfers, "self.read", RF_TX_READ, 0, "the caller's own transfers"},
	{"POST", "/api/v1/me/transfers", post_my_transfer, "transfer.apply", RF_TX_WRITE, 0, "a member applies"},
	{"GET", "/api/v1/me/transfer-destinations", get_destinations, "transfer.apply", RF_TX_READ, 0,
	 "branches by name, for a member's application", &dest_in},
	{"GET", "/verify/transfer/{serial}", get_verify, PERM_PUBLIC, RF_TX_WRITE, 0,
	 "public check of a letter: valid, expired or received (rate-limited)", &verify_in},
	{"GET", "/api/v1/stats/transfers", get_stats, "stats.read", RF_TX_READ | RF_REPLICA, 0,
	 "transfers completed in a period over a subtree (人次)", &stats_in},
};
ROUTE_TABLE(transfers);
