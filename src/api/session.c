/* session.c: signing in and out, the password change and TOTP enrolment
 * (docs/api-contract.md "Session and identity"; SECURITY.md S6, S7, S8). Login runs
 * the Argon2id verification outside any transaction (it takes ~50 ms) and records the
 * outcome in a short write transaction with its audit row. */
#include "auth/password.h"
#include "auth/policy.h"
#include "auth/session.h"
#include "auth/totp.h"
#include "config.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "db/db.h"
#include "http/input.h"
#include "http/request.h"
#include "http/router.h"
#include "model/audit.h"
#include "model/user.h"
#include <sodium.h>
#include <string.h>

static json_t *session_json(struct request *req)
{
	const struct auth_session *s = req->session;
	json_t *perms = json_array();
	size_t np;
	const struct perm_def *all = policy_perms(&np);
	for (size_t i = 0; i < np; i++) {
		for (size_t k = 0; k < s->n_as; k++)
			if (policy_role_has(s->as[k].role, all[i].code)) {
				json_array_append_new(perms, json_string(all[i].code));
				break;
			}
	}
	return json_pack("{s:{s:I, s:s, s:s, s:b, s:b, s:b}, s:o, s:o, s:s}", "user", "id", (json_int_t)s->user_id,
			 "username", s->username, "name", s->name, "must_change_password",
			 s->must_change_password || s->password_expired, "totp_enrolled", s->totp_enrolled,
			 "totp_required", s->totp_required, "roles", user_roles_json(s->as, s->n_as), "permissions",
			 perms, "csrf_token", s->csrf);
}

/* A password field: not trimmed, at most 128 characters. */
static const char *in_password(struct request *req, json_t *b, const char *field)
{
	json_t *v = json_object_get(b, field);
	const char *s = json_is_string(v) ? json_string_value(v) : NULL;
	if (!s || !*s) {
		req_field_error(req, field, "required", "请输入密码");
		return NULL;
	}
	if (password_chars(s) > PASSWORD_MAX_CHARS || strlen(s) != json_string_length(v)) {
		req_field_error(req, field, "password_too_long", "密码最多 128 个字符");
		return NULL;
	}
	return s;
}

static void fail_tx(struct request *req, int rc)
{
	db_tx_rollback(req->db);
	req_fail_db(req, rc);
}

/* A login between its two halves: the request-side checks, then the Argon2id work on
 * the offload thread (req_offload), then the decision and its writes. */
struct login {
	const char *username, *password, *code;
	int64_t now;
	bool known, ok;
	struct user_row u;
	char newhash[PASSWORD_HASH_LEN];
};

/* On the offload thread: the password work only (no database, no request). Always one
 * full Argon2id verification, against a dummy verifier when the user is unknown (S6). */
static void login_hash(void *ctx)
{
	struct login *l = ctx;
	l->ok = password_verify(l->known ? l->u.password_hash : NULL, l->password);
	if (l->ok && password_needs_rehash(l->u.password_hash) && password_hash(l->password, l->newhash) != 0)
		l->newhash[0] = 0;
}

static void login_finish(struct request *req, void *ctx);

static void post_session(struct request *req)
{
	json_t *b = in_body(req);
	if (!b)
		return;
	struct login *l = arena_alloc(req->arena, sizeof *l);
	l->username = in_str(req, b, "username", IN_REQUIRED, 64);
	l->password = in_password(req, b, "password");
	l->code = in_str(req, b, "totp", IN_OPTIONAL, 6);
	if (req_failed(req))
		return;
	req->db = db_thread();
	if (!req->db) {
		req_fail(req, 503, "db_unavailable", "数据库暂不可用，请稍后重试");
		return;
	}
	l->now = clock_now();
	if (login_failures_count(req->db, req->ip, l->now - cfg.lock_window) >= cfg.ip_login_limit) {
		req_fail(req, 429, "rate_limited", "登录尝试过于频繁，请稍后再试");
		req->err.retry_after = (int)cfg.lock_window;
		return;
	}
	int rc = user_get_by_username(req->db, req->arena, l->username, &l->u);
	if (rc != DB_ROW && rc != DB_DONE) {
		req_fail_db(req, rc);
		return;
	}
	l->known = rc == DB_ROW;
	req_offload(req, login_hash, login_finish, l);
}

static void login_finish(struct request *req, void *ctx)
{
	struct login *l = ctx;
	const char *username = l->username, *code = l->code;
	int64_t now = l->now;
	bool known = l->known, ok = l->ok;
	struct user_row u = l->u;
	char *newhash = l->newhash;
	req->db = db_thread();
	if (!req->db) {
		req_fail(req, 503, "db_unavailable", "数据库暂不可用，请稍后重试");
		return;
	}

	int rc = db_tx_begin(req->db, true);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	/* the limits, the lock and the failure counters are read again under the write
	 * lock: concurrent attempts must not all act on the same count (S6) */
	if (login_failures_count(req->db, req->ip, now - cfg.lock_window) >= cfg.ip_login_limit) {
		db_tx_rollback(req->db);
		req_fail(req, 429, "rate_limited", "登录尝试过于频繁，请稍后再试");
		req->err.retry_after = (int)cfg.lock_window;
		return;
	}
	if (known && (rc = user_get_by_username(req->db, req->arena, username, &u)) != DB_ROW)
		return fail_tx(req, rc == DB_DONE ? DB_ERROR : rc);
	struct audit_event ev = {.action = "session.login", .object_type = "user", .object_id = known ? u.id : 0};
	const char *actor = known ? u.name : NULL;
	if (!known || !strcmp(u.status, "disabled")) {
		ev.summary = arena_printf(req->arena, "reason=%s", known ? "disabled" : "unknown_user");
		rc = login_failure_add(req->db, req->ip, now, now - cfg.lock_window);
		if (rc == DB_OK)
			rc = audit_write(req->db, known ? u.id : 0, actor, NULL, req->ip, &ev) == 0 ? DB_OK : DB_ERROR;
		if (rc != DB_OK)
			return fail_tx(req, rc);
		rc = db_tx_commit(req->db);
		if (rc != DB_OK)
			return req_fail_db(req, rc);
		req_fail(req, 401, "invalid_credentials", "用户名或密码错误");
		return;
	}
	if (!strcmp(u.status, "locked")) {
		if (u.locked_until > now) {
			ev.summary = "reason=locked";
			if (audit_write(req->db, u.id, actor, NULL, req->ip, &ev) != 0)
				return fail_tx(req, DB_ERROR);
			rc = db_tx_commit(req->db);
			if (rc != DB_OK)
				return req_fail_db(req, rc);
			req_fail(req, 423, "account_locked", "账户已锁定，请稍后再试");
			req->err.retry_after = (int)(u.locked_until - now);
			return;
		}
		struct audit_event un = {.action = "user.unlock", .object_type = "user", .object_id = u.id,
					 .success = true, .summary = "reason=lock_expired"};
		rc = user_set_status(req->db, u.id, "active", 0);
		if (rc != DB_OK || audit_write(req->db, 0, "system", NULL, req->ip, &un) != 0)
			return fail_tx(req, rc != DB_OK ? rc : DB_ERROR);
		u.failed_count = 0;
	}
	/* the second factor, for enrolled users */
	int64_t step = 0;
	const char *fail_code = NULL;
	bool code_wrong = false;
	if (ok && u.totp_secret) {
		if (!code) {
			fail_code = "totp_required";
		} else {
			size_t slen;
			char *secret = dj_open(req->arena, u.totp_secret, u.totp_secret_len, "user.totp", &slen);
			step = secret && slen == TOTP_SECRET_LEN
				       ? totp_check((const unsigned char *)secret, code, now, u.totp_last_step)
				       : -1;
			if (step < 0) {
				fail_code = "totp_invalid";
				code_wrong = true;
			}
		}
	}
	if (!ok || code_wrong) {
		int64_t count = u.failed_count, since = u.failed_since;
		if (count == 0 || now - since >= cfg.lock_window) {
			count = 0;
			since = now;
		}
		count++;
		ev.summary = !ok ? "reason=wrong_password" : "reason=totp_invalid";
		rc = user_record_failure(req->db, u.id, count, since);
		if (rc == DB_OK)
			rc = login_failure_add(req->db, req->ip, now, now - cfg.lock_window);
		if (rc == DB_OK)
			rc = audit_write(req->db, u.id, actor, NULL, req->ip, &ev) == 0 ? DB_OK : DB_ERROR;
		if (rc == DB_OK && count >= cfg.lock_threshold) {
			struct audit_event lk = {.action = "user.lock", .object_type = "user", .object_id = u.id,
						 .success = true,
						 .summary = arena_printf(req->arena, "failures=%lld", (long long)count)};
			rc = user_set_status(req->db, u.id, "locked", now + cfg.lock_duration);
			if (rc == DB_OK)
				rc = audit_write(req->db, 0, "system", NULL, req->ip, &lk) == 0 ? DB_OK : DB_ERROR;
		}
		if (rc != DB_OK)
			return fail_tx(req, rc);
		rc = db_tx_commit(req->db);
		if (rc != DB_OK)
			return req_fail_db(req, rc);
		if (!ok)
			req_fail(req, 401, "invalid_credentials", "用户名或密码错误");
		else
			req_fail(req, 401, "totp_invalid", "动态口令错误");
		return;
	}
	if (fail_code) { /* password right, code missing: ask for it */
		db_tx_rollback(req->db);
		req_fail(req, 401, "totp_required", "请输入动态口令");
		return;
	}
	const char *token;
	int64_t sid;
	rc = user_record_login(req->db, u.id, step);
	if (rc == DB_OK && newhash[0])
		rc = user_set_password(req->db, u.id, newhash, u.must_change_password);
	if (rc == DB_OK)
		rc = session_create(req->db, req->arena, u.id, req->ip, &token, &sid);
	ev.success = true;
	ev.summary = newhash[0] ? "rehashed=1" : NULL;
	if (rc == DB_OK)
		rc = audit_write(req->db, u.id, actor, NULL, req->ip, &ev) == 0 ? DB_OK : DB_ERROR;
	if (rc != DB_OK)
		return fail_tx(req, rc);
	rc = db_tx_commit(req->db);
	if (rc != DB_OK)
		return req_fail_db(req, rc);
	sodium_memzero(l->newhash, sizeof l->newhash);
	if (!auth_load_user(req, u.id, sid, token))
		return;
	auth_set_cookie(req, token);
	req_reply_json(req, 200, session_json(req));
}

static void get_session(struct request *req)
{
	req_reply_json(req, 200, session_json(req));
}

static void delete_session(struct request *req)
{
	int rc = session_delete(req->db, req->session->session_id);
	if (rc != DB_OK)
		return req_fail_db(req, rc);
	struct audit_event ev = {.action = "session.logout", .object_type = "user",
				 .object_id = req->session->user_id, .success = true};
	if (audit_record(req, &ev) != 0)
		return;
	auth_set_cookie(req, NULL);
	req_reply_json(req, 204, NULL);
}

static void put_password(struct request *req)
{
	json_t *b = in_body(req);
	if (!b)
		return;
	const char *old = in_password(req, b, "old_password");
	const char *new = in_password(req, b, "new_password");
	if (req_failed(req))
		return;
	const struct auth_session *s = req->session;
	const char *msg;
	const char *code = password_policy_check(new, s->username, &msg);
	if (code)
		return req_field_error(req, "new_password", code, msg);
	if (strlen(old) == strlen(new) && sodium_memcmp(old, new, strlen(new)) == 0)
		return req_field_error(req, "new_password", "password_same", "新密码不能与旧密码相同");
	struct user_row u;
	int rc = user_get(req->db, req->arena, s->user_id, &u);
	if (rc != DB_ROW)
		return req_fail_db(req, rc);
	/* the slow part outside the transaction */
	if (!password_verify(u.password_hash, old))
		return req_field_error(req, "old_password", "wrong_password", "原密码错误");
	char hash[PASSWORD_HASH_LEN];
	if (password_hash(new, hash) != 0)
		return req_fail(req, 500, "internal", "服务器内部错误");
	rc = db_tx_begin(req->db, true);
	if (rc != DB_OK)
		return req_fail_db(req, rc);
	const char *token;
	int64_t sid;
	rc = user_set_password(req->db, u.id, hash, false);
	if (rc == DB_OK)
		rc = session_delete_user(req->db, u.id);
	if (rc == DB_OK)
		rc = session_create(req->db, req->arena, u.id, req->ip, &token, &sid);
	struct audit_event ev = {.action = "password.change", .object_type = "user", .object_id = u.id,
				 .success = true, .summary = "sessions_revoked=all"};
	if (rc == DB_OK && audit_record(req, &ev) != 0)
		rc = DB_ERROR;
	if (rc != DB_OK) {
		db_tx_rollback(req->db);
		if (!req_failed(req))
			req_fail_db(req, rc);
		return;
	}
	rc = db_tx_commit(req->db);
	if (rc != DB_OK)
		return req_fail_db(req, rc);
	if (!auth_load_user(req, u.id, sid, token))
		return;
	auth_set_cookie(req, token);
	req_reply_json(req, 200, session_json(req));
}

/* Percent-encodes s for an otpauth URI label or parameter. */
static const char *uri_escape(struct arena *a, const char *s)
{
	size_t n = strlen(s);
	char *out = arena_alloc(a, 3 * n + 1), *o = out;
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		    *p == '.' || *p == '_' || *p == '~') {
			*o++ = (char)*p;
		} else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = 0;
	return out;
}

static void post_totp(struct request *req)
{
	const struct auth_session *s = req->session;
	if (s->totp_enrolled)
		return req_fail(req, 409, "totp_already_enrolled", "已绑定动态口令；如需更换请联系系统管理员");
	unsigned char secret[TOTP_SECRET_LEN];
	char b32[64];
	totp_new_secret(secret);
	if (totp_base32(secret, b32, sizeof b32) != 0)
		return req_fail(req, 500, "internal", "服务器内部错误");
	size_t len;
	unsigned char *blob = dj_seal(req->arena, secret, sizeof secret, "user.totp", &len);
	sodium_memzero(secret, sizeof secret);
	int rc = user_set_totp_pending(req->db, s->user_id, blob, len);
	if (rc != DB_OK)
		return req_fail_db(req, rc);
	const char *uri = arena_printf(req->arena, "otpauth://totp/dangjian:%s?secret=%s&issuer=dangjian&algorithm=SHA1&digits=6&period=30",
				       uri_escape(req->arena, s->username), b32);
	req_reply_json(req, 200, json_pack("{s:s, s:s}", "otpauth_uri", uri, "secret", b32));
}

static void put_totp(struct request *req)
{
	json_t *b = in_body(req);
	if (!b)
		return;
	const char *code = in_str(req, b, "code", IN_REQUIRED, 6);
	if (req_failed(req))
		return;
	const struct auth_session *s = req->session;
	struct user_row u;
	int rc = user_get(req->db, req->arena, s->user_id, &u);
	if (rc != DB_ROW)
		return req_fail_db(req, rc);
	if (!u.totp_pending)
		return req_fail(req, 409, "totp_not_started", "请先开始绑定动态口令");
	size_t slen;
	char *secret = dj_open(req->arena, u.totp_pending, u.totp_pending_len, "user.totp", &slen);
	int64_t step = secret && slen == TOTP_SECRET_LEN
			       ? totp_check((const unsigned char *)secret, code, clock_now(), u.totp_last_step)
			       : -1;
	if (step < 0)
		return req_field_error(req, "code", "totp_invalid", "动态口令错误");
	rc = user_confirm_totp(req->db, u.id, step);
	if (rc != DB_OK)
		return req_fail_db(req, rc);
	struct audit_event ev = {.action = "totp.enrol", .object_type = "user", .object_id = u.id, .success = true};
	if (audit_record(req, &ev) != 0)
		return;
	const char *keep = req->session->csrf;
	int64_t sid = req->session->session_id;
	if (!auth_load_user(req, u.id, sid, NULL))
		return;
	memcpy(req->session->csrf, keep, sizeof req->session->csrf);
	req_reply_json(req, 200, session_json(req));
}

static const struct route session_routes[] = {
	{"POST", "/api/v1/session", post_session, PERM_PUBLIC, RF_NO_CSRF | RF_ANY_STATE, 4096, "sign in"},
	{"GET", "/api/v1/session", get_session, PERM_SESSION, RF_ANY_STATE, 0, "the signed-in session"},
	{"DELETE", "/api/v1/session", delete_session, PERM_SESSION, RF_TX_WRITE | RF_ANY_STATE, 0, "sign out"},
	{"PUT", "/api/v1/session/password", put_password, PERM_SESSION, RF_ANY_STATE, 4096,
	 "change the own password (revokes every other session)"},
	{"POST", "/api/v1/session/totp", post_totp, PERM_SESSION, RF_TX_WRITE | RF_ANY_STATE, 0,
	 "start TOTP enrolment"},
	{"PUT", "/api/v1/session/totp", put_totp, PERM_SESSION, RF_TX_WRITE | RF_ANY_STATE, 0,
	 "confirm TOTP enrolment with a first code"},
};
ROUTE_TABLE(session);
