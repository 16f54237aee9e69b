/* wechat.c: the WeChat Official Account (公众号) routes (issue 16): a member links the
 * openid the account knows them by through OAuth2 snsapi_base (POST
 * /me/wechat/authorize gives the address to send the phone to, with a single-use
 * state; WeChat redirects back to our phone page /m/wechat with code and state, which
 * the page posts to POST /me/wechat; the server exchanges the code for the openid and
 * links it to the logged-in member), and unlinks it; a desk user of the member's
 * organization sees and removes a member's link; the settings page reads the
 * channel's status. The account's sections (版块) and items (项) are edited here and
 * pushed to WeChat as its menu (/cgi-bin/menu/create). WeChat's server callback
 * (/wechat/callback, the account's 服务器配置) answers only requests whose signature
 * (SHA-1 of the sorted token, timestamp and nonce) verifies. The code exchange runs off the HTTP worker (req_offload): the
 * request's transaction is not held open across the call to WeChat. */
#include "api/roster_util.h"
#include "auth/audit.h"
#include "auth/auth.h"
#include "auth/scope.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/sign.h"
#include "http/input.h"
#include "http/params.h"
#include "jobs/channel.h"
#include "model/member.h"
#include "model/msg_settings.h"
#include "model/org.h"
#include "model/outbox.h"
#include "model/wechat.h"
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int audit(struct request *req, const char *action, int64_t member_id, const char *summary)
{
	struct audit_event ev = {action, "member", member_id, 0, true, summary};
	return audit_record(req, &ev);
}

static int64_t my_member(struct request *req)
{
	long long id = auth_member_id(req);
	if (id <= 0)
		req_fail(req, 404, "not_found", "没有与此账号关联的党员信息");
	return id;
}

static bool load_settings(struct request *req, bool secrets, struct msg_settings *s)
{
	enum db_rc rc = msg_settings_load(req->db, req->arena, secrets, s);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return false;
	}
	return true;
}

static bool configured(const struct msg_settings *s)
{
	return *s->v[MSK_WECHAT_APPID] && *s->v[MSK_WECHAT_REDIRECT_URL];
}

static void get_me(struct request *req)
{
	int64_t m = my_member(req);
	struct msg_settings s;
	if (m <= 0 || !load_settings(req, false, &s))
		return;
	json_t *j = wechat_link_json(req->db, m, s.v[MSK_WECHAT_APPID]);
	if (!j) {
		req_fail_db(req, DB_ERROR);
		return;
	}
	json_object_set_new(j, "available", json_boolean(configured(&s)));
	req_reply_json(req, 200, j);
}

/* POST /me/wechat/authorize: the WeChat authorization address for this member. */
static void post_authorize(struct request *req)
{
	int64_t m = my_member(req);
	struct msg_settings s;
	if (m <= 0 || !load_settings(req, false, &s))
		return;
	if (!configured(&s)) {
		req_fail(req, 409, "wechat_not_configured", "尚未配置公众号（AppID 与绑定回调页面地址）");
		return;
	}
	const char *state = dj_random_token(req->arena, 18);
	enum db_rc rc = wechat_state_new(req->db, state, auth_user_id(req), m, clock_now());
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (audit(req, "wechat.authorize", m, "snsapi_base") != 0)
		return;
	const char *url = arena_printf(req->arena,
				       "%s?appid=%s&redirect_uri=%s&response_type=code&scope=snsapi_base&state=%s"
				       "#wechat_redirect",
				       s.v[MSK_WECHAT_OAUTH_URL], sign_percent(req->arena, s.v[MSK_WECHAT_APPID]),
				       sign_percent(req->arena, s.v[MSK_WECHAT_REDIRECT_URL]), state);
	req_reply_json(req, 200, json_pack("{s:s, s:s, s:i}", "url", url, "state", state, "expires_in",
					   WECHAT_STATE_SECONDS));
}

struct bind {
	struct msg_settings s;
	const char *code;
	int64_t member_id;
	bool ok;
	char openid[129], err_code[96], error[256];
};

static void bind_work(void *ctx)
{
	struct bind *b = ctx;
	b->ok = chan_wechat_openid(&b->s, b->code, b->openid, b->err_code, b->error);
}

static void bind_then(struct request *req, void *ctx)
{
	struct bind *b = ctx;
	char *secret = (char *)b->s.v[MSK_WECHAT_SECRET]; /* the request arena's copy: used up */
	sodium_memzero(secret, strlen(secret));
	if (!b->ok) {
		if (strcmp(b->err_code, "unreachable") == 0 || strcmp(b->err_code, "unknown_outcome") == 0 ||
		    strncmp(b->err_code, "http_", 5) == 0 || strcmp(b->err_code, "bad_answer") == 0 ||
		    strcmp(b->err_code, "-1") == 0)
			req_fail(req, 502, "wechat_unavailable", b->error);
		else
			req_field_error(req, "code", "wechat_refused", b->error);
		return;
	}
	enum db_rc rc = wechat_link(req->db, b->member_id, b->s.v[MSK_WECHAT_APPID], b->openid, auth_user_id(req),
				    clock_now());
	if (rc == DB_CONSTRAINT) {
		req_fail(req, 409, "openid_taken", "该微信已绑定其他党员，请先在原账号解除绑定");
		return;
	}
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	/* the openid is an identifier of the person: the audit says only that it was linked */
	if (audit(req, "wechat.link", b->member_id, "snsapi_base") != 0)
		return;
	json_t *j = wechat_link_json(req->db, b->member_id, b->s.v[MSK_WECHAT_APPID]);
	if (!j) {
		req_fail_db(req, DB_ERROR);
		return;
	}
	req_reply_json(req, 200, j);
}

/* POST /me/wechat {code, state}: the redirect's code, exchanged for the openid. */
static void post_bind(struct request *req)
{
	json_t *body = in_body(req);
	if (!body)
		return;
	const char *code = in_str(req, body, "code", IN_REQUIRED, 128);
	const char *state = in_str(req, body, "state", IN_REQUIRED, 64);
	if (req_failed(req))
		return;
	int64_t m = my_member(req);
	struct bind *b = arena_alloc(req->arena, sizeof *b);
	memset(b, 0, sizeof *b);
	if (m <= 0 || !load_settings(req, true, &b->s))
		return;
	if (!configured(&b->s) || !*b->s.v[MSK_WECHAT_SECRET]) {
		req_fail(req, 409, "wechat_not_configured", "尚未配置公众号（AppID、AppSecret 与绑定回调页面地址）");
		return;
	}
	int64_t owner = 0;
	enum db_rc rc = wechat_state_take(req->db, state, auth_user_id(req), clock_now(), &owner);
	if (rc == DB_NOT_FOUND || (rc == DB_OK && owner != m)) {
		req_field_error(req, "state", "invalid_state", "授权已过期或不是本账号发起的，请重新绑定");
		return;
	}
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	b->code = code;
	b->member_id = m;
	req_offload(req, bind_work, bind_then, b);
}

static void delete_me(struct request *req)
{
	int64_t m = my_member(req);
	if (m <= 0)
		return;
	enum db_rc rc = wechat_unlink(req->db, m);
	if (rc == DB_NOT_FOUND) {
		req_fail(req, 404, "not_linked", "尚未绑定微信");
		return;
	}
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (audit(req, "wechat.unlink", m, "by=self") != 0)
		return;
	req_reply_json(req, 200, json_pack("{s:b}", "linked", 0));
}

/* a member of the caller's scope for perm, or 404 */
static bool member_in_scope(struct request *req, const char *perm, int64_t *id)
{
	*id = req_param_id(req, "id");
	if (req_failed(req))
		return false;
	struct member_rec r;
	const char *org_name;
	enum db_rc rc = member_load(req->db, req->arena, *id, false, &r, &org_name);
	if (rc == DB_NOT_FOUND || (rc == DB_OK && !scope_allows(req, perm, r.org_path))) {
		req_fail(req, 404, "not_found", "党员不存在");
		return false;
	}
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return false;
	}
	return true;
}

static void get_member(struct request *req)
{
	int64_t id;
	struct msg_settings s;
	if (!member_in_scope(req, "member.read", &id) || !load_settings(req, false, &s))
		return;
	json_t *j = wechat_link_json(req->db, id, s.v[MSK_WECHAT_APPID]);
	if (!j) {
		req_fail_db(req, DB_ERROR);
		return;
	}
	req_reply_json(req, 200, j);
}

static void delete_member(struct request *req)
{
	int64_t id;
	if (!member_in_scope(req, "member.write", &id))
		return;
	enum db_rc rc = wechat_unlink(req->db, id);
	if (rc == DB_NOT_FOUND) {
		req_fail(req, 404, "not_linked", "该党员尚未绑定微信");
		return;
	}
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (audit(req, "wechat.unlink", id, "by=desk") != 0)
		return;
	req_reply_json(req, 200, json_pack("{s:b}", "linked", 0));
}

/* GET /wechat/status: configured or not, the token cache (never the token), links */
static void get_status(struct request *req)
{
	struct msg_settings s;
	if (!load_settings(req, false, &s))
		return;
	int64_t members = 0, linked = 0;
	enum db_rc rc = wechat_linked_counts(req->db, "/", "0", &members, &linked);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	json_t *j = json_pack("{s:b, s:b, s:o, s:I, s:I}", "configured", configured(&s), "secret_set",
			      msg_settings_secret_set(req->db, MSK_WECHAT_SECRET), "token", chan_wechat_token_json(),
			      "members", (json_int_t)members, "linked", (json_int_t)linked);
	req_reply_json(req, 200, j);
}

/* ---- sections (版块), items (项) and the menu ------------------------------------------ */

static int audit_org(struct request *req, const char *action, const char *type, int64_t id, int64_t org,
		     const char *summary)
{
	struct audit_event ev = {action, type, id, org, true, summary};
	return audit_record(req, &ev);
}

struct org_in {
	int64_t org_id;
};
static const struct param org_params[] = {
	PARAM_ID(struct org_in, org_id, "党组织编号无效"),
};
static const struct params org_in = PARAMS(struct org_in, org_params);

/* org_id of the query or body, in the caller's scope for perm (404 outside). */
static bool account_org(struct request *req, int64_t org_id, const char *perm, struct org_rec *o)
{
	if (org_id <= 0) {
		req_field_error(req, "org_id", "required", "请选择公众号所属党组织");
		return false;
	}
	return roster_org_in_scope(req, org_id, perm, o);
}

/* the section or item's organization in the caller's scope for perm, or 404 */
static bool owner_in_scope(struct request *req, bool item, int64_t id, const char *perm, int64_t *org_id)
{
	const char *path = NULL;
	enum db_rc rc = item ? wechat_item_org(req->db, req->arena, id, org_id, &path)
			     : wechat_section_org(req->db, req->arena, id, org_id, &path);
	if (rc == DB_NOT_FOUND || (rc == DB_OK && !scope_allows(req, perm, path))) {
		req_fail(req, 404, "not_found", item ? "栏目项不存在" : "版块不存在");
		return false;
	}
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return false;
	}
	return true;
}

static void reply_sections(struct request *req, int status, int64_t org_id)
{
	json_t *items = wechat_sections_json(req->db, org_id);
	json_t *last = items ? wechat_menu_last(req->db, org_id) : NULL;
	if (!items || !last) {
		json_decref(items);
		req_fail_db(req, DB_ERROR);
		return;
	}
	req_reply_json(req, status,
		       json_pack("{s:I, s:o, s:{s:i, s:i}, s:o}", "org_id", (json_int_t)org_id, "items", items, "limits",
				 "sections", WECHAT_MAX_SECTIONS, "items", WECHAT_MAX_ITEMS, "last_push", last));
}

static void get_sections(struct request *req)
{
	const struct org_in *in = req->in;
	struct org_rec o;
	if (!account_org(req, in->org_id, "message.read", &o))
		return;
	reply_sections(req, 200, in->org_id);
}

/* a name WeChat's menu takes: maxbytes of UTF-8 (16 for a section, 60 for an item) */
static const char *menu_name(struct request *req, json_t *b, size_t maxbytes)
{
	const char *name = in_str(req, b, "name", IN_REQUIRED, 60);
	if (name && strlen(name) > maxbytes) {
		req_field_error(req, "name", "too_long",
				maxbytes == 16 ? "版块名称最多 16 字节（5 个汉字），微信菜单的限制"
					       : "栏目项名称最多 60 字节（20 个汉字），微信菜单的限制");
		return NULL;
	}
	return name;
}

static void post_section(struct request *req)
{
	json_t *b = in_body(req);
	if (!b)
		return;
	int64_t org_id = 0, position = 0;
	in_int(req, b, "org_id", IN_REQUIRED, 1, INT64_MAX, &org_id);
	in_int(req, b, "position", IN_OPTIONAL, 0, 1000, &position);
	const char *name = menu_name(req, b, 16);
	struct org_rec o;
	if (req_failed(req) || !account_org(req, org_id, "message.manage", &o))
		return;
	int64_t id = 0;
	enum db_rc rc = wechat_section_add(req->db, org_id, o.path, name, position, clock_now(), &id);
	if (rc == DB_CONSTRAINT) {
		req_fail(req, 409, "too_many_sections", "公众号菜单最多 3 个版块");
		return;
	}
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (audit_org(req, "wechat.section.create", "wechat_section", id, org_id, name) != 0)
		return;
	reply_sections(req, 201, org_id);
}

static void put_section(struct request *req)
{
	int64_t id = req_param_id(req, "id"), org_id = 0, position = 0;
	json_t *b = req_failed(req) ? NULL : in_body(req);
	if (!b || !owner_in_scope(req, false, id, "message.manage", &org_id))
		return;
	in_int(req, b, "position", IN_OPTIONAL, 0, 1000, &position);
	const char *name = menu_name(req, b, 16);
	if (req_failed(req))
		return;
	enum db_rc rc = wechat_section_update(req->db, id, name, position, clock_now());
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (audit_org(req, "wechat.section.update", "wechat_section", id, org_id, name) != 0)
		return;
	reply_sections(req, 200, org_id);
}

static void delete_section(struct request *req)
{
	int64_t id = req_param_id(req, "id"), org_id = 0;
	if (req_failed(req) || !owner_in_scope(req, false, id, "message.manage", &org_id))
		return;
	enum db_rc rc = wechat_section_delete(req->db, id);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (audit_org(req, "wechat.section.delete", "wechat_section", id, org_id, "") != 0)
		return;
	reply_sections(req, 200, org_id);
}

static const char *const item_kinds[] = {"page", "study", "url", NULL};

/* name, kind and target of an item (target checked for its kind; a study issue must be
 * published and in the account organization's subtree) */
static bool item_input(struct request *req, json_t *b, int64_t org_id, struct wechat_item_in *it)
{
	it->position = 0;
	in_int(req, b, "position", IN_OPTIONAL, 0, 1000, &it->position);
	it->name = menu_name(req, b, 60);
	it->kind = in_str(req, b, "kind", IN_REQUIRED, 10);
	it->target = in_str(req, b, "target", IN_REQUIRED, 1000);
	if (req_failed(req))
		return false;
	int k = 0;
	while (item_kinds[k] && strcmp(item_kinds[k], it->kind) != 0)
		k++;
	if (!item_kinds[k]) {
		req_field_error(req, "kind", "invalid_code", "类型应为 page（本系统手机页）、study（学习专题）或 url（网址）");
		return false;
	}
	const char *t = it->target;
	if (k == 0) {
		bool ok = strncmp(t, "/m/", 3) == 0 && strlen(t) <= 200 &&
			  strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_-?=&.") == strlen(t);
		if (!ok)
			req_field_error(req, "target", "invalid_page", "应为本系统手机页的路径，以 /m/ 开头");
		return ok;
	}
	if (k == 2) {
		bool ok = strncmp(t, "https://", 8) == 0 && strlen(t) > 8 && strlen(t) <= 1000 && !strpbrk(t, " \"<>");
		if (!ok)
			req_field_error(req, "target", "invalid_url", "应为 https:// 开头的网址（微信菜单最长 1000 字节）");
		return ok;
	}
	char *e;
	long long sid = strtoll(t, &e, 10);
	const char **p = NULL, **en = NULL;
	bool ok = false;
	if (*e || sid <= 0) {
		req_field_error(req, "target", "invalid_study", "应为已发布的学习专题编号");
		return false;
	}
	if (roster_org_ranges(req, "message.manage", org_id, &p, &en) == 0 || req_failed(req))
		return false;
	enum db_rc rc = wechat_study_ok(req->db, sid, p[0], en[0], &ok);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return false;
	}
	if (!ok)
		req_field_error(req, "target", "invalid_study", "学习专题不存在、未发布或不在本组织范围内");
	return ok;
}

static void post_item(struct request *req)
{
	int64_t sid = req_param_id(req, "id"), org_id = 0;
	json_t *b = req_failed(req) ? NULL : in_body(req);
	if (!b || !owner_in_scope(req, false, sid, "message.manage", &org_id))
		return;
	struct wechat_item_in it;
	if (!item_input(req, b, org_id, &it))
		return;
	int64_t id = 0;
	enum db_rc rc = wechat_item_add(req->db, sid, &it, clock_now(), &id);
	if (rc == DB_CONSTRAINT) {
		req_fail(req, 409, "too_many_items", "每个版块最多 5 项（微信菜单的限制）");
		return;
	}
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (audit_org(req, "wechat.item.create", "wechat_item", id, org_id, it.name) != 0)
		return;
	reply_sections(req, 201, org_id);
}

static void put_item(struct request *req)
{
	int64_t id = req_param_id(req, "id"), org_id = 0;
	json_t *b = req_failed(req) ? NULL : in_body(req);
	if (!b || !owner_in_scope(req, true, id, "message.manage", &org_id))
		return;
	struct wechat_item_in it;
	if (!item_input(req, b, org_id, &it))
		return;
	enum db_rc rc = wechat_item_update(req->db, id, &it, clock_now());
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (audit_org(req, "wechat.item.update", "wechat_item", id, org_id, it.name) != 0)
		return;
	reply_sections(req, 200, org_id);
}

static void delete_item(struct request *req)
{
	int64_t id = req_param_id(req, "id"), org_id = 0;
	if (req_failed(req) || !owner_in_scope(req, true, id, "message.manage", &org_id))
		return;
	enum db_rc rc = wechat_item_delete(req->db, id);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (audit_org(req, "wechat.item.delete", "wechat_item", id, org_id, "") != 0)
		return;
	reply_sections(req, 200, org_id);
}

/* the menu as WeChat will get it; NULL (request failed) when it cannot be built */
static json_t *build_menu(struct request *req, int64_t org_id, const struct msg_settings *s)
{
	const char *u = s->v[MSK_WECHAT_REDIRECT_URL], *p = strstr(u, "://");
	if (!*u || !p) {
		req_fail(req, 409, "wechat_not_configured", "请先设置绑定页面地址：菜单中的本系统页面以它的域名打开");
		return NULL;
	}
	const char *origin = arena_strndup(req->arena, u, (size_t)(p + 3 - u) + strcspn(p + 3, "/?#"));
	json_t *m = wechat_menu_json(req->db, org_id, origin);
	if (!m)
		req_fail_db(req, DB_ERROR);
	return m;
}

static void get_menu(struct request *req)
{
	const struct org_in *in = req->in;
	struct org_rec o;
	struct msg_settings s;
	if (!account_org(req, in->org_id, "message.read", &o) || !load_settings(req, false, &s))
		return;
	json_t *m = build_menu(req, in->org_id, &s);
	if (m)
		req_reply_json(req, 200, m);
}

struct push {
	struct msg_settings s;
	int64_t org_id;
	const char *menu; /* the request arena's */
	bool ok;
	char err_code[96], error[256];
};

static void push_work(void *ctx)
{
	struct push *p = ctx;
	p->ok = chan_wechat_menu_create(&p->s, p->menu, p->err_code, p->error);
}

/* a refused push is recorded although the request fails */
static int push_failed(struct request *req, void *ctx)
{
	struct push *p = ctx;
	if (wechat_menu_record(req->db, p->org_id, auth_user_id(req), false, p->err_code, p->error, clock_now()) != DB_OK)
		return DB_ERROR;
	struct audit_event ev = {"wechat.menu.push", "org", p->org_id, p->org_id, false, p->err_code};
	return audit_record(req, &ev) == 0 ? DB_OK : DB_ERROR;
}

static void push_then(struct request *req, void *ctx)
{
	struct push *p = ctx;
	char *secret = (char *)p->s.v[MSK_WECHAT_SECRET];
	sodium_memzero(secret, strlen(secret));
	if (!p->ok) {
		req_on_failure(req, push_failed, p);
		bool down = strcmp(p->err_code, "unreachable") == 0 || strcmp(p->err_code, "unknown_outcome") == 0 ||
			    strncmp(p->err_code, "http_", 5) == 0 || strcmp(p->err_code, "-1") == 0;
		req_fail(req, 502, down ? "wechat_unavailable" : "wechat_refused", p->error);
		return;
	}
	enum db_rc rc = wechat_menu_record(req->db, p->org_id, auth_user_id(req), true, "0", NULL, clock_now());
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (audit_org(req, "wechat.menu.push", "org", p->org_id, p->org_id, "ok") != 0)
		return;
	reply_sections(req, 200, p->org_id);
}

/* POST /wechat/menu/push {org_id}: the menu built from the sections, to WeChat */
static void post_menu_push(struct request *req)
{
	json_t *b = in_body(req);
	if (!b)
		return;
	struct push *p = arena_alloc(req->arena, sizeof *p);
	memset(p, 0, sizeof *p);
	in_int(req, b, "org_id", IN_REQUIRED, 1, INT64_MAX, &p->org_id);
	struct org_rec o;
	if (req_failed(req) || !account_org(req, p->org_id, "message.manage", &o) || !load_settings(req, true, &p->s))
		return;
	if (!*p->s.v[MSK_WECHAT_APPID] || !*p->s.v[MSK_WECHAT_SECRET]) {
		req_fail(req, 409, "wechat_not_configured", "尚未配置公众号（AppID 与 AppSecret）");
		return;
	}
	json_t *m = build_menu(req, p->org_id, &p->s);
	if (!m)
		return;
	if (json_array_size(json_object_get(m, "button")) == 0) {
		json_decref(m);
		req_fail(req, 409, "menu_empty", "没有含栏目项的版块，菜单为空");
		return;
	}
	char *dump = json_dumps(m, JSON_COMPACT);
	json_decref(m);
	p->menu = dump ? arena_strdup(req->arena, dump) : NULL;
	free(dump);
	if (!p->menu) {
		req_fail_db(req, DB_ERROR);
		return;
	}
	req_offload(req, push_work, push_then, p);
}

/* ---- WeChat's server callback (服务器配置) ---------------------------------------------- */

/* True when signature is SHA-1 of the sorted token, timestamp and nonce (WeChat's
 * documented check), compared in constant time; false for a missing part or no token. */
static bool callback_signed(struct request *req, const char *token)
{
	const char *sig = req_query(req, "signature"), *ts = req_query(req, "timestamp"), *nonce = req_query(req, "nonce");
	if (!*token || !sig || !ts || !nonce || strlen(sig) != 40 || strlen(ts) > 20 || strlen(nonce) > 64)
		return false;
	const char *p[3] = {token, ts, nonce};
	for (int i = 0; i < 3; i++)
		for (int k = i + 1; k < 3; k++)
			if (strcmp(p[k], p[i]) < 0) {
				const char *x = p[i];
				p[i] = p[k];
				p[k] = x;
			}
	char *joined = arena_printf(req->arena, "%s%s%s", p[0], p[1], p[2]);
	unsigned char mac[20];
	sign_sha1(joined, strlen(joined), mac);
	sodium_memzero(joined, strlen(joined));
	char hex[41];
	sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
	char want[41];
	for (int i = 0; i < 40; i++)
		want[i] = (char)(sig[i] >= 'A' && sig[i] <= 'F' ? sig[i] - 'A' + 'a' : sig[i]);
	want[40] = 0;
	return sodium_memcmp(hex, want, 40) == 0;
}

static bool callback_check(struct request *req)
{
	struct msg_settings s;
	if (!load_settings(req, true, &s))
		return false;
	const char *token = s.v[MSK_WECHAT_CALLBACK_TOKEN];
	if (!*token) {
		req_fail(req, 404, "not_found", "未配置公众号服务器回调");
		return false;
	}
	bool ok = callback_signed(req, token);
	sodium_memzero((char *)token, strlen(token));
	if (!ok)
		req_fail(req, 403, "bad_signature", "签名校验失败");
	return ok;
}

/* GET: WeChat checks the address: echostr back when the signature verifies */
static void get_callback(struct request *req)
{
	const char *echo = req_query(req, "echostr");
	if (!callback_check(req))
		return;
	if (!echo || strlen(echo) > 128) {
		req_field_error(req, "echostr", "required", "缺少 echostr");
		return;
	}
	req_reply_raw(req, 200, "text/plain; charset=utf-8", echo, strlen(echo));
}

/* POST: a message or event from WeChat; acknowledged ("success") once its signature
 * verifies (its content is not acted on yet) */
static void post_callback(struct request *req)
{
	if (!callback_check(req))
		return;
	req_reply_raw(req, 200, "text/plain; charset=utf-8", "success", 7);
}

/* ---- statistics ---------------------------------------------------------------------- */

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

/* GET /stats/wechat?org_id=&from=&to= (this year by default) */
static void get_stats(struct request *req)
{
	const struct stats_in *in = req->in;
	char today[11], jan1[11];
	outbox_day(clock_now(), today);
	snprintf(jan1, sizeof jan1, "%.4s-01-01", today);
	const char *from = in->from ? in->from : arena_strdup(req->arena, jan1);
	const char *to = in->to ? in->to : arena_strdup(req->arena, today);
	if (strcmp(from, to) > 0) {
		req_field_error(req, "from", "range_reversed", "开始日期不能晚于结束日期");
		return;
	}
	const char **p = NULL, **e = NULL;
	size_t n = roster_org_ranges(req, "stats.read", in->org_id, &p, &e);
	if (req_failed(req))
		return;
	if (n == 0) {
		req_fail(req, 404, "not_found", "党组织不存在");
		return;
	}
	json_t *j = wechat_stats(req->db, p[0], e[0], from, to);
	if (!j) {
		req_fail_db(req, DB_ERROR);
		return;
	}
	req_reply_json(req, 200, j);
}

static const struct route wechat_routes[] = {
	{"GET", "/api/v1/me/wechat", get_me, "self.read", RF_TX_READ, 0, "whether the caller's WeChat is linked"},
	{"POST", "/api/v1/me/wechat/authorize", post_authorize, "self.read", RF_TX_WRITE, 0,
	 "the WeChat OAuth2 (snsapi_base) address to link the caller's openid"},
	{"POST", "/api/v1/me/wechat", post_bind, "self.read", RF_TX_WRITE, 0,
	 "link the caller's openid from the OAuth2 redirect's code and state"},
	{"DELETE", "/api/v1/me/wechat", delete_me, "self.read", RF_TX_WRITE, 0, "unlink the caller's WeChat"},
	{"GET", "/api/v1/members/{id}/wechat", get_member, "member.read", RF_TX_READ, 0,
	 "whether a member's WeChat is linked"},
	{"DELETE", "/api/v1/members/{id}/wechat", delete_member, "member.write", RF_TX_WRITE, 0,
	 "unlink a member's WeChat"},
	{"GET", "/api/v1/wechat/status", get_status, "settings.manage", RF_TX_READ, 0,
	 "the WeChat channel's configuration, token cache and links"},
	{"GET", "/api/v1/wechat/sections", get_sections, "message.read", RF_TX_READ, 0,
	 "the 公众号's sections (版块) and items (项) of an organization", &org_in},
	{"POST", "/api/v1/wechat/sections", post_section, "message.manage", RF_TX_WRITE, 0, "add a section"},
	{"PUT", "/api/v1/wechat/sections/{id}", put_section, "message.manage", RF_TX_WRITE, 0, "rename or move a section"},
	{"DELETE", "/api/v1/wechat/sections/{id}", delete_section, "message.manage", RF_TX_WRITE, 0,
	 "delete a section and its items"},
	{"POST", "/api/v1/wechat/sections/{id}/items", post_item, "message.manage", RF_TX_WRITE, 0, "add an item"},
	{"PUT", "/api/v1/wechat/items/{id}", put_item, "message.manage", RF_TX_WRITE, 0, "change an item"},
	{"DELETE", "/api/v1/wechat/items/{id}", delete_item, "message.manage", RF_TX_WRITE, 0, "delete an item"},
	{"GET", "/api/v1/wechat/menu", get_menu, "message.read", RF_TX_READ, 0, "the menu WeChat would get", &org_in},
	{"GET", "/api/v1/stats/wechat", get_stats, "stats.read", RF_TX_READ | RF_REPLICA, 0,
	 "公众号: sections, items, members linked, WeChat messages sent and failed", &stats_in},
	{"GET", "/api/v1/wechat/callback", get_callback, PERM_PUBLIC, RF_TX_READ, 0,
	 "WeChat's server address check (signature verified, echostr back)"},
	{"POST", "/api/v1/wechat/callback", post_callback, PERM_PUBLIC, RF_TX_READ | RF_NO_CSRF | RF_RAW_BODY, 65536,
	 "WeChat's messages and events (signature verified; acknowledged)"},
	{"POST", "/api/v1/wechat/menu/push", post_menu_push, "message.manage", RF_TX_WRITE, 0,
	 "push the menu to WeChat (/cgi-bin/menu/create)"},
};
ROUTE_TABLE(wechat);
