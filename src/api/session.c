/* session.c: signing in and out, the password change and TOTP enrolment
 * (docs/api-contract.md "Session and identity"; SECURITY.md S6, S7, S8, S21, S23).
 * Every password check runs its Argon2id work on the offload thread, outside any
 * transaction (it takes ~50 ms), between two write transactions of the dispatcher's;
 * a refused check records its counters and audit row through req_on_failure. */
#include "auth/account.h"
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

/* The last password reset by someone else ({by, at}), or null: shown to the holder at
 * every sign-in (S22), whoever signed in first with the one-time password. */
static json_t *reset_json(struct request *req, int64_t user_id)
{
	struct user_row u;
	if (!req->db || user_get(req->db, req->arena, user_id, &u) != DB_OK || !u.reset_at)
		return json_null();
	char at[21], first[21];
	clock_rfc3339(u.reset_at, at);
	if (u.reset_login_at)
		clock_rfc3339(u.reset_login_at, first);
	return json_pack("{s:s, s:s, s:o}", "by", u.reset_by_name ? u.reset_by_name : "system", "at", at,
			 "first_login_at", u.reset_login_at ? json_string(first) : json_null());
}

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
	return json_pack("{s:{s:I, s:s, s:s, s:b, s:b, s:b, s:o}, s:o, s:o, s:s}", "user", "id",
			 (json_int_t)s->user_id, "username", s->username, "name", s->name, "must_change_password",
			 s->must_change_password || s->password_expired, "totp_enrolled", s->totp_enrolled,
			 "totp_required", s->totp_required, "password_reset", reset_json(req, s->user_id), "roles",
			 account_roles_json(s->as, s->n_as), "permissions", perms, "csrf_token", s->csrf);
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

/* ---- throttling (SECURITY.md S6, S21, S23; docs/OPERATIONS.md "Login throttling") ----
 * Every password check (the login, the password change) counts its failures per
 * (name as typed, client address) and per address. A pair's first lock_threshold - 1
 * failures cost nothing; from the lock_threshold-th on it waits 60 s, doubling with
 * each further failure up to lock_duration, and a pair quiet for lock_window after its
 * delay is forgotten. An attempt inside the delay is refused (429 + Retry-After)
 * before any password work. ip_login_limit failures from one address within
 * lock_window delay every login from it until the oldest leaves the window. There is
 * no account-wide lock: a name's failures at another address never keep its holder
 * out, and known and unknown names are counted and answered alike. */

static int64_t throttle_delay(int64_t failures)
{
	if (failures < cfg.lock_threshold)
		return 0;
	int64_t shift = failures - cfg.lock_threshold;
	int64_t d = shift >= 20 ? cfg.lock_duration : (int64_t)60 << shift;
	return d < cfg.lock_duration ? d : cfg.lock_duration;
}

enum throttle { THROTTLE_OK, THROTTLE_PAIR, THROTTLE_FAILED };

/* Reads the address's and the (name, address) pair's failures. THROTTLE_OK with the
 * pair's live count in *failures; THROTTLE_PAIR after a 429 for the pair; otherwise
 * THROTTLE_FAILED with the request's error set (429 for the address, or the database
 * error: an unreadable count refuses, it never lets the attempt through). */
static enum throttle throttle_check(struct request *req, const char *name, int64_t now, int64_t *failures)
{
	*failures = 0;
	int64_t n = 0, oldest = 0;
	int rc = login_failures_count(req->db, req->ip, now - cfg.lock_window, &n, &oldest);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return THROTTLE_FAILED;
	}
	if (n >= cfg.ip_login_limit) {
		req_fail(req, 429, "rate_limited", "登录尝试过于频繁，请稍后再试");
		req->err.retry_after = (int)(oldest + cfg.lock_window - now > 0 ? oldest + cfg.lock_window - now : 1);
		return THROTTLE_FAILED;
	}
	int64_t f, last;
	rc = login_throttle_get(req->db, name, req->ip, &f, &last);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return THROTTLE_FAILED;
	}
	int64_t d = throttle_delay(f);
	if (f && now - last >= cfg.lock_window + d)
		f = 0; /* quiet long enough: forgotten */
	*failures = f;
	if (d && f && now < last + d) {
		req_fail(req, 429, "rate_limited", "登录尝试过于频繁，请稍后再试");
		req->err.retry_after = (int)(last + d - now);
		return THROTTLE_PAIR;
	}
	return THROTTLE_OK;
}

/* A refused password check, recorded although the request fails (req_on_failure):
 * the pair's and the address's counters (unless the attempt was refused before any
 * check) and its audit row. Arena-owned. */
struct check_failure {
	const char *name;      /* the pair's name */
	int64_t failures, now; /* the pair's new count */
	bool counted;
	int64_t user_id;       /* 0: unknown name */
	const char *actor;
	bool as_session;       /* audit as the signed-in caller (password change) */
	struct audit_event ev;
};

static int record_check_failure(struct request *req, void *ctx)
{
	struct check_failure *f = ctx;
	int rc = DB_OK;
	if (f->counted) {
		rc = login_throttle_set(req->db, f->name, req->ip, f->failures, f->now,
					f->now - cfg.lock_window - cfg.lock_duration);
		if (rc == DB_OK)
			rc = login_failure_add(req->db, req->ip, f->now, f->now - cfg.lock_window);
	}
	if (rc != DB_OK)
		return rc;
	struct user_row u;
	if (!f->as_session && !f->user_id) { /* refused unchecked: name the account for the auditor */
		rc = user_get_by_username(req->db, req->arena, f->name, &u);
		if (rc != DB_OK && rc != DB_NOT_FOUND)
			return rc;
		if (rc == DB_OK) {
			f->user_id = f->ev.object_id = u.id;
			f->actor = u.name;
		}
	}
	const struct audit_actor who = {.user_id = f->user_id, .name = f->actor, .ip = req->ip};
	if (f->as_session)
		return audit_record(req, &f->ev) == 0 ? DB_OK : DB_ERROR;
	return audit_write(req->db, &who, &f->ev);
}

static struct check_failure *check_failed(struct request *req, const char *name, int64_t failures, int64_t now,
					  bool counted, const char *action, const char *reason)
{
	struct check_failure *f = arena_alloc(req->arena, sizeof *f);
	memset(f, 0, sizeof *f);
	f->name = name;
	f->failures = failures + counted;
	f->now = now;
	f->counted = counted;
	f->ev.action = action;
	f->ev.object_type = "user";
	f->ev.summary = arena_printf(req->arena, "reason=%s failures=%lld", reason, (long long)f->failures);
	req_on_failure(req, record_check_failure, f);
	return f;
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

/* POST /session runs in two write transactions of the dispatcher's: this half reads the
 * throttle and the verifier (refusing a throttled attempt before any hashing), then the
 * hash runs on the offload thread outside any transaction, then login_finish decides. */
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
	l->now = clock_now();
	int64_t failures;
	enum throttle t = throttle_check(req, l->username, l->now, &failures);
	if (t == THROTTLE_PAIR)
		check_failed(req, l->username, failures, l->now, false, "session.login", "throttled");
	if (t != THROTTLE_OK)
		return;
	enum db_rc rc = user_get_by_username(req->db, req->arena, l->username, &l->u);
	if (rc != DB_OK && rc != DB_NOT_FOUND) {
		req_fail_db(req, rc);
		return;
	}
	l->known = rc == DB_OK;
	req_offload(req, login_hash, login_finish, l);
}

/* The second factor of an enrolled user: the step used (> 0), or -1 when the code is
 * missing, wrong or replayed. */
static int64_t login_totp(struct request *req, const struct user_row *u, const char *code, int64_t now)
{
	if (!code)
		return -1;
	size_t slen;
	char *secret = dj_open(req->arena, u->totp_secret, u->totp_secret_len, "user.totp", &slen);
	return secret && slen == TOTP_SECRET_LEN ? totp_check((const unsigned char *)secret, code, now, u->totp_last_step)
						 : -1;
}

/* Same verifier string (the one the offloaded check used is still the stored one). */
static bool same_verifier(const char *a, const char *b)
{
	size_t n = strlen(a);
	return n == strlen(b) && sodium_memcmp(a, b, n) == 0;
}

/* Inside the dispatcher's write transaction. Every refusal (unknown name, disabled
 * account, wrong password, missing or wrong TOTP) answers the same 401 and counts the
 * same way (S6, S23, issue 11 #7): only a right password with, for an enrolled user, a
 * right code tells the client anything. */
static void login_finish(struct request *req, void *ctx)
{
	struct login *l = ctx;
	struct user_row u = l->u;
	int64_t now = l->now;
	/* the throttle is read again under the write lock: concurrent attempts must not all
	 * act on the same count (S6) */
	int64_t failures;
	enum throttle t = throttle_check(req, l->username, now, &failures);
	if (t == THROTTLE_PAIR)
		check_failed(req, l->username, failures, now, false, "session.login", "throttled");
	if (t != THROTTLE_OK)
		return;
	bool known = l->known;
	if (known) {
		enum db_rc rc = user_get_by_username(req->db, req->arena, l->username, &u);
		if (rc != DB_OK && rc != DB_NOT_FOUND) {
			req_fail_db(req, rc);
			return;
		}
		known = rc == DB_OK && u.id == l->u.id;
	}
	const char *reason = NULL;
	int64_t step = 0;
	if (!known)
		reason = "unknown_user";
	else if (!l->ok || !same_verifier(u.password_hash, l->u.password_hash))
		reason = "wrong_password";
	else if (strcmp(u.status, "active") != 0)
		reason = u.status; /* disabled: answered as a wrong password */
	else if (u.totp_secret && (step = login_totp(req, &u, l->code, now)) < 0)
		reason = l->code ? "totp_invalid" : "totp_missing";
	if (reason) {
		struct check_failure *f = check_failed(req, l->username, failures, now, true, "session.login", reason);
		f->user_id = known ? u.id : 0;
		f->actor = known ? u.name : NULL;
		f->ev.object_id = f->user_id;
		req_fail(req, 401, "invalid_credentials", "用户名或密码错误");
		return;
	}
	const char *token;
	int64_t sid;
	bool first_after_reset = u.reset_at && !u.reset_login_at;
	int rc = login_throttle_clear(req->db, l->username, req->ip);
	if (rc == DB_OK)
		rc = user_record_login(req->db, u.id, step);
	if (rc == DB_OK && l->newhash[0])
		rc = user_set_password(req->db, u.id, l->newhash, u.must_change_password);
	if (rc == DB_OK && first_after_reset)
		rc = user_mark_reset_login(req->db, u.id, now);
	if (rc == DB_OK)
		rc = session_create(req->db, req->arena, u.id, req->ip, &token, &sid);
	const struct audit_actor self = {.user_id = u.id, .name = u.name, .ip = req->ip};
	struct audit_event ev = {.action = "session.login", .object_type = "user", .object_id = u.id, .success = true,
				 .summary = l->newhash[0] ? "rehashed=1" : NULL};
	if (rc == DB_OK)
		rc = audit_write(req->db, &self, &ev) == 0 ? DB_OK : DB_ERROR;
	if (rc == DB_OK && first_after_reset) {
		/* S22: the first sign-in with a password someone else set, for the auditor; the
		 * address tells whether it came from where the reset was made */
		struct audit_event re = {
			.action = "user.reset_login", .object_type = "user", .object_id = u.id, .success = true,
			.summary = arena_printf(req->arena, "reset_by=%lld reset_at=%lld same_address=%d",
						(long long)u.reset_by, (long long)u.reset_at,
						u.reset_ip && req->ip && !strcmp(u.reset_ip, req->ip))};
		rc = audit_write(req->db, &self, &re) == 0 ? DB_OK : DB_ERROR;
	}
	sodium_memzero(l->newhash, sizeof l->newhash);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
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
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	struct audit_event ev = {.action = "session.logout", .object_type = "user",
				 .object_id = req->session->user_id, .success = true};
	if (audit_record(req, &ev) != 0)
		return;
	auth_set_cookie(req, NULL);
	req_reply_json(req, 204, NULL);
}

/* A password change between its halves: the old password is checked and the new one
 * hashed on the offload thread, like a login's (S21). */
struct pwchange {
	const char *old, *new;
	const char *verifier; /* the stored verifier the check used */
	int64_t now;
	bool ok, hashed;
	char hash[PASSWORD_HASH_LEN];
};

static void pwchange_hash(void *ctx)
{
	struct pwchange *p = ctx;
	p->ok = password_verify(p->verifier, p->old);
	p->hashed = p->ok && password_hash(p->new, p->hash) == 0;
}

static void pwchange_finish(struct request *req, void *ctx);

/* PUT /session/password: the old password is a password check like a login's: counted
 * with the login failures of the caller's name and address, throttled alike, and
 * audited each time (S21). */
/* A password change's checks before and after the hash: the (name, address) throttle
 * (a refusal is audited) and the caller's account as it is now. False after setting
 * the request's error; *failures is the pair's count of failures. */
static bool pwchange_allowed(struct request *req, struct pwchange *p, struct user_row *u, int64_t *failures)
{
	const struct auth_session *s = req->session;
	enum throttle t = throttle_check(req, s->username, p->now, failures);
	if (t == THROTTLE_PAIR) {
		struct check_failure *f = check_failed(req, s->username, *failures, p->now, false, "password.change", "throttled");
		f->as_session = true;
		f->ev.object_id = s->user_id;
	}
	if (t != THROTTLE_OK)
		return false;
	enum db_rc rc = user_get(req->db, req->arena, s->user_id, u);
	if (rc != DB_OK) {
		req_fail_db(req, rc == DB_NOT_FOUND ? DB_ERROR : rc);
		return false;
	}
	return true;
}

static void put_password(struct request *req)
{
	json_t *b = in_body(req);
	if (!b)
		return;
	struct pwchange *p = arena_alloc(req->arena, sizeof *p);
	p->old = in_password(req, b, "old_password");
	p->new = in_password(req, b, "new_password");
	if (req_failed(req))
		return;
	const struct auth_session *s = req->session;
	const char *msg;
	const char *code = password_policy_check(p->new, s->username, &msg);
	if (code) {
		req_field_error(req, "new_password", code, msg);
		return;
	}
	if (strlen(p->old) == strlen(p->new) && sodium_memcmp(p->old, p->new, strlen(p->new)) == 0) {
		req_field_error(req, "new_password", "password_same", "新密码不能与旧密码相同");
		return;
	}
	p->now = clock_now();
	struct user_row u;
	int64_t failures;
	if (!pwchange_allowed(req, p, &u, &failures))
		return;
	p->verifier = u.password_hash;
	req_offload(req, pwchange_hash, pwchange_finish, p);
}

static void pwchange_finish(struct request *req, void *ctx)
{
	struct pwchange *p = ctx;
	const struct auth_session *s = req->session;
	struct user_row u;
	int64_t failures;
	if (!pwchange_allowed(req, p, &u, &failures))
		goto out;
	if (!p->ok || !same_verifier(u.password_hash, p->verifier)) {
		struct check_failure *f = check_failed(req, s->username, failures, p->now, true, "password.change",
						       "wrong_password");
		f->as_session = true;
		f->ev.object_id = u.id;
		req_field_error(req, "old_password", "wrong_password", "原密码错误");
		goto out;
	}
	if (!p->hashed) {
		req_fail(req, 500, "internal_error", "服务器内部错误");
		goto out;
	}
	const char *token;
	int64_t sid;
	enum db_rc rc = login_throttle_clear(req->db, s->username, req->ip);
	if (rc == DB_OK)
		rc = user_set_password(req->db, u.id, p->hash, false);
	if (rc == DB_OK)
		rc = session_delete_user(req->db, u.id);
	if (rc == DB_OK)
		rc = session_create(req->db, req->arena, u.id, req->ip, &token, &sid);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		goto out;
	}
	struct audit_event ev = {.action = "password.change", .object_type = "user", .object_id = u.id,
				 .success = true, .summary = "sessions_revoked=all"};
	if (audit_record(req, &ev) != 0)
		goto out;
	if (!auth_load_user(req, u.id, sid, token))
		goto out;
	auth_set_cookie(req, token);
	req_reply_json(req, 200, session_json(req));
out:
	sodium_memzero(p->hash, sizeof p->hash);
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
	if (s->totp_enrolled) {
		req_fail(req, 409, "totp_already_enrolled", "已绑定动态口令；如需更换请联系系统管理员");
		return;
	}
	unsigned char secret[TOTP_SECRET_LEN];
	char b32[64];
	totp_new_secret(secret);
	if (totp_base32(secret, b32, sizeof b32) != 0) {
		req_fail(req, 500, "internal_error", "服务器内部错误");
		return;
	}
	size_t len;
	unsigned char *blob = dj_seal(req->arena, secret, sizeof secret, "user.totp", &len);
	sodium_memzero(secret, sizeof secret);
	int rc = user_set_totp_pending(req->db, s->user_id, blob, len);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
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
	enum db_rc rc = user_get(req->db, req->arena, s->user_id, &u);
	if (rc != DB_OK) {
		req_fail_db(req, rc == DB_NOT_FOUND ? DB_ERROR : rc);
		return;
	}
	if (!u.totp_pending) {
		req_fail(req, 409, "totp_not_started", "请先开始绑定动态口令");
		return;
	}
	size_t slen;
	char *secret = dj_open(req->arena, u.totp_pending, u.totp_pending_len, "user.totp", &slen);
	int64_t step = secret && slen == TOTP_SECRET_LEN
			       ? totp_check((const unsigned char *)secret, code, clock_now(), u.totp_last_step)
			       : -1;
	if (step < 0) {
		req_field_error(req, "code", "totp_invalid", "动态口令错误");
		return;
	}
	rc = user_confirm_totp(req->db, u.id, step);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
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
	{"POST", "/api/v1/session", post_session, PERM_PUBLIC, RF_TX_WRITE | RF_NO_CSRF | RF_ANY_STATE, 4096, "sign in"},
	{"GET", "/api/v1/session", get_session, PERM_SESSION, RF_ANY_STATE, 0, "the signed-in session"},
	{"DELETE", "/api/v1/session", delete_session, PERM_SESSION, RF_TX_WRITE | RF_ANY_STATE, 0, "sign out"},
	{"PUT", "/api/v1/session/password", put_password, PERM_SESSION, RF_TX_WRITE | RF_ANY_STATE, 4096,
	 "change the own password (revokes every other session)"},
	{"POST", "/api/v1/session/totp", post_totp, PERM_SESSION, RF_TX_WRITE | RF_ANY_STATE, 0,
	 "start TOTP enrolment"},
	{"PUT", "/api/v1/session/totp", put_totp, PERM_SESSION, RF_TX_WRITE | RF_ANY_STATE, 0,
	 "confirm TOTP enrolment with a first code"},
};
ROUTE_TABLE(session);
