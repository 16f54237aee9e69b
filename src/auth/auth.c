/* auth.c: request authentication for the dispatcher (see auth.h) and the signed-in
 * caller's facts for handlers (session.h). The session cookie carries a 256-bit random
 * token; the database keeps only its hash. Permissions are computed once per request
 * from the user's assignments (Fossil-style), so a role change applies at once: the
 * rows a check reads are kept per token (authcache.h) only at the auth revision read in
 * the request's own snapshot, which every such change raises (0155_auth_rev). */
#include "auth/auth.h"
#include "auth/account.h"
#include "auth/authcache.h"
#include "auth/password.h"
#include "auth/policy.h"
#include "auth/session.h"
#include "config.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/log.h"
#include "db/db.h"
#include "http/request.h"
#include "model/user.h"
#include <sodium.h>
#include <string.h>
#include <strings.h>

#define ADMIN_PASSWORD_MAX_AGE (90 * 86400) /* dengbao: administrators rotate every 90 days */

static const char *cookie_name(const struct request *req)
{
	return req->tls ? "__Host-dj_session" : "dj_session";
}

void auth_csrf_for(const char *token, char out[33])
{
	unsigned char h[DJ_BLIND_LEN];
	dj_blind_index("session.csrf", token, strlen(token), h);
	_Static_assert(2 * DJ_BLIND_LEN + 1 == 33, "the CSRF token is the hex of a blind index");
	sodium_bin2hex(out, 33, h, DJ_BLIND_LEN);
}

void auth_set_cookie(struct request *req, const char *token)
{
	const char *secure = req->tls ? "; Secure" : "";
	if (token)
		req_add_header(req, "Set-Cookie",
			       arena_printf(req->arena, "%s=%s; HttpOnly; SameSite=Strict; Path=/%s", cookie_name(req), token,
					    secure));
	else
		req_add_header(req, "Set-Cookie",
			       arena_printf(req->arena, "%s=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0%s",
					    cookie_name(req), secure));
}

/* The value of our cookie in the Cookie header, arena-owned, or NULL. */
static const char *session_cookie(struct request *req)
{
	const char *v = req_cookie(req, cookie_name(req)); /* libmicrohttpd's parsing */
	return v && *v && strlen(v) <= 128 ? v : NULL;
}

/* dengbao: an administrator's password older than 90 days (unless the ASVS policy). */
static bool password_expired(const struct auth_session *s, int64_t changed_at)
{
	return s->totp_required && !password_policy_asvs() && clock_now() - changed_at > ADMIN_PASSWORD_MAX_AGE;
}

/* Builds req->session from the user's row and roles; *pw_changed: the instant the
 * password was changed (what password_expired was computed from). */
static bool load_user(struct request *req, int64_t user_id, int64_t session_id, const char *token,
		      int64_t *pw_changed)
{
	struct db *db = req->db ? req->db : db_thread();
	struct user_row u;
	enum db_rc rc = db ? user_get(db, req->arena, user_id, &u) : DB_ERROR;
	if (rc != DB_OK) {
		if (rc == DB_NOT_FOUND)
			req_fail(req, 401, "unauthenticated", "请先登录");
		else
			req_fail_db(req, rc);
		return false;
	}
	struct auth_session *s = arena_alloc(req->arena, sizeof *s);
	s->session_id = session_id;
	s->user_id = u.id;
	s->username = u.username;
	s->name = u.name;
	s->member_id = u.member_id;
	s->must_change_password = u.must_change_password;
	s->totp_enrolled = u.totp_secret != NULL;
	long n = account_assignments(db, req->arena, u.id, &s->as);
	if (n < 0) {
		req_fail_db(req, DB_ERROR);
		return false;
	}
	s->n_as = (size_t)n;
	s->totp_required = account_is_admin(s->as, s->n_as);
	*pw_changed = u.password_changed_at;
	s->password_expired = password_expired(s, u.password_changed_at);
	if (token)
		auth_csrf_for(token, s->csrf);
	req->session = s;
	return true;
}

bool auth_load_user(struct request *req, int64_t user_id, int64_t session_id, const char *token)
{
	int64_t pw_changed;
	return load_user(req, user_id, session_id, token, &pw_changed);
}

/* What a signed-in caller may not do before a password change or a TOTP enrolment. */
static bool state_allows(struct request *req)
{
	const struct auth_session *s = req->session;
	bool any_state = req->route && (req->route->flags & RF_ANY_STATE);
	if (!any_state && (s->must_change_password || s->password_expired)) {
		req_fail(req, 403, "password_change_required", "请先修改密码");
		return false;
	}
	if (!any_state && s->totp_required && !s->totp_enrolled) {
		req_fail(req, 403, "totp_enrolment_required", "管理员须先绑定动态口令（TOTP）");
		return false;
	}
	return true;
}

/* The idle clock is kept running at most once a minute (a write per request would queue
 * every reader behind the write lock); every is always below the idle limit. */
static int64_t touch_every(void)
{
	return cfg.session_idle >= 600 ? 60 : cfg.session_idle / 10;
}

bool auth_authenticate(struct request *req)
{
	const char *token = session_cookie(req);
	if (!token || !req->db) {
		req_fail(req, 401, "unauthenticated", "请先登录");
		return false;
	}
	unsigned char h[32];
	session_token_hash(token, h);
	int64_t now = clock_now(), every = touch_every(), rev;
	enum db_rc rc = auth_revision(req->db, &rev);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return false;
	}
	/* the answer kept for this token at this revision (authcache.h): taken only while the
	 * instants kept need no decision (no touch due, so no expiry either: every < idle);
	 * otherwise the full check below reads the rows and decides */
	struct auth_session *cs;
	struct authcache_facts f;
	if (rev >= 0 && authcache_get(h, rev, req->arena, &cs, &f) && now >= f.last_seen_at &&
	    now - f.last_seen_at < every && now - f.created_at < cfg.session_absolute) {
		cs->password_expired = password_expired(cs, f.password_changed_at);
		req->session = cs;
		return state_allows(req);
	}
	struct session_row sr;
	rc = session_find_hash(req->db, h, &sr);
	if (rc != DB_OK && rc != DB_NOT_FOUND) {
		req_fail_db(req, rc);
		return false;
	}
	if (rc == DB_NOT_FOUND) {
		req_fail(req, 401, "unauthenticated", "请先登录");
		return false;
	}
	/* inside a read transaction (RF_TX_READ routes) the session's writes wait for its end
	 * (auth_after_tx): a write would turn it into a write transaction */
	bool later = db_in_tx(req->db);
	if (now - sr.created_at >= cfg.session_absolute || now - sr.last_seen_at >= cfg.session_idle) {
		if (later)
			req->auth_later.drop_id = sr.id;
		else
			(void)session_delete(req->db, sr.id);
		req_fail(req, 401, "unauthenticated", "登录已过期，请重新登录");
		return false;
	}
	f = (struct authcache_facts){.rev = rev, .created_at = sr.created_at, .last_seen_at = sr.last_seen_at};
	if (!load_user(req, sr.user_id, sr.id, token, &f.password_changed_at))
		return false;
	/* a busy database never refuses: a touch skipped is taken at the next full check */
	if (now - sr.last_seen_at >= every) {
		f.last_seen_at = now;
		if (later) {
			req->auth_later.touch_id = sr.id;
			req->auth_later.touch_at = now;
		} else if (session_touch(req->db, sr.id, now) != DB_OK) {
			log_msg(LOG_DEBUG, req->id, "session touch skipped");
		}
	}
	/* kept at the revision read before the rows: a write after that read raised it */
	if (rev >= 0)
		authcache_put(h, req->session, &f);
	return state_allows(req);
}

void auth_after_tx(struct request *req)
{
	if (req->auth_later.drop_id)
		(void)session_delete(req->db, req->auth_later.drop_id);
	if (req->auth_later.touch_id &&
	    session_touch(req->db, req->auth_later.touch_id, req->auth_later.touch_at) != DB_OK)
		log_msg(LOG_DEBUG, req->id, "session touch skipped");
	req->auth_later.drop_id = req->auth_later.touch_id = 0;
}

bool auth_holds(const struct request *req, const char *perm)
{
	const struct auth_session *s = req->session;
	if (!s || !perm)
		return false;
	for (size_t i = 0; i < s->n_as; i++)
		if (policy_role_has(s->as[i].role, perm))
			return true;
	return false;
}

bool auth_has_permission(struct request *req, const char *perm)
{
	if (auth_holds(req, perm))
		return true;
	req_fail(req, 403, "forbidden", "没有执行此操作的权限");
	return false;
}

bool auth_check_csrf(struct request *req)
{
	const char *got = req_header(req, "X-CSRF-Token");
	const struct auth_session *s = req->session;
	if (s && got && strlen(got) == 32 && sodium_memcmp(got, s->csrf, 32) == 0)
		return true;
	req_fail(req, 403, "csrf_failed", "安全令牌无效，请刷新页面后重试");
	return false;
}

bool auth_check_origin(struct request *req)
{
	const char *site = req_header(req, "Sec-Fetch-Site");
	bool bad = site && (strcasecmp(site, "cross-site") == 0 || strcasecmp(site, "same-site") == 0);
	const char *origin = req_header(req, "Origin");
	if (!bad && origin) {
		const char *host = req_header(req, "Host");
		const char *scheme = req->tls ? "https://" : "http://";
		size_t sl = strlen(scheme);
		bad = !host || strncasecmp(origin, scheme, sl) != 0 || strcasecmp(origin + sl, host) != 0;
	}
	if (bad) {
		req_fail(req, 403, "csrf_failed", "跨站请求已被拒绝");
		return false;
	}
	return true;
}

long long auth_user_id(const struct request *req)
{
	return req->session ? (long long)req->session->user_id : 0;
}

long long auth_member_id(const struct request *req)
{
	return req->session ? (long long)req->session->member_id : 0;
}

bool auth_actor(const struct request *req, const char *perm, const char **name, const char **role,
		int64_t *org_id)
{
	const struct auth_session *s = req->session;
	if (name)
		*name = s ? s->name : NULL;
	if (role)
		*role = NULL;
	if (org_id)
		*org_id = 0;
	if (!s)
		return false;
	for (size_t i = 0; i < s->n_as; i++) {
		const struct auth_assignment *a = &s->as[i];
		bool grants = !perm || !strcmp(perm, PERM_SESSION) || !strcmp(perm, PERM_PUBLIC) ||
			      policy_role_has(a->role, perm);
		if (grants) {
			if (role)
				*role = a->role->code;
			if (org_id)
				*org_id = a->org_id;
			return true;
		}
	}
	return true;
}
