/* wechat.c: the WeChat Official Account (公众号) routes (issue 16): a member links the
 * openid the account knows them by through OAuth2 snsapi_base (POST
 * /me/wechat/authorize gives the address to send the phone to, with a single-use
 * state; WeChat redirects back to our phone page /m/wechat with code and state, which
 * the page posts to POST /me/wechat; the server exchanges the code for the openid and
 * links it to the logged-in member), and unlinks it; a desk user of the member's
 * organization sees and removes a member's link; the settings page reads the
 * channel's status. The code exchange runs off the HTTP worker (req_offload): the
 * request's transaction is not held open across the call to WeChat. */
#include "auth/audit.h"
#include "auth/auth.h"
#include "auth/scope.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/sign.h"
#include "http/input.h"
#include "jobs/channel.h"
#include "model/member.h"
#include "model/msg_settings.h"
#include "model/wechat.h"
#include <sodium.h>
#include <stdio.h>
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
};
ROUTE_TABLE(wechat);
