/* users.c: user accounts for the system administrator (user.read / user.manage) and
 * role assignments for the security administrator (role.assign); docs/api-contract.md
 * "Users, roles, audit". Accounts are global (not organization-scoped): only the
 * administrator roles hold these permissions, and they hold no business permission. */
#include "auth/account.h"
#include "auth/password.h"
#include "auth/policy.h"
#include "auth/session.h"
#include "core/arena.h"
#include "core/clock.h"
#include "db/db.h"
#include "http/input.h"
#include "http/params.h"
#include "http/request.h"
#include "http/router.h"
#include "model/audit.h"
#include "model/user.h"
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static json_t *instant(int64_t t)
{
	if (!t)
		return json_null();
	char buf[21];
	clock_rfc3339(t, buf);
	return json_string(buf);
}

/* The *user* object; NULL after setting the request's error. */
static json_t *user_json(struct request *req, const struct user_row *u)
{
	struct auth_assignment *as;
	long n = account_assignments(req->db, req->arena, u->id, &as);
	if (n < 0) {
		req_fail_db(req, DB_ERROR);
		return NULL;
	}
	return json_pack("{s:I, s:s, s:s, s:o, s:s, s:b, s:b, s:o, s:o, s:o}", "id", (json_int_t)u->id, "username",
			 u->username, "name", u->name, "mobile",
			 u->mobile_masked ? json_string(u->mobile_masked) : json_null(), "status", u->status,
			 "must_change_password", u->must_change_password, "totp_enrolled", u->totp_secret != NULL,
			 "roles", account_roles_json(as, (size_t)n), "created_at", instant(u->created_at),
			 "last_login_at", instant(u->last_login_at));
}

/* The user named by {id}, or NULL after a 404. */
static bool load_user(struct request *req, struct user_row *u)
{
	int64_t id = req_param_id(req, "id");
	if (!id)
		return false;
	enum db_rc rc = user_get(req->db, req->arena, id, u);
	if (rc == DB_NOT_FOUND)
		req_fail(req, 404, "not_found", "用户不存在");
	else if (rc != DB_OK)
		req_fail_db(req, rc);
	return rc == DB_OK;
}

/* 三权分立: the system administrator manages ordinary accounts; the accounts of the
 * three administrators, present or past (itself included, but for its own profile),
 * are reset, disabled or changed only on the server with `dangjian user …`, so that no
 * administrator can take another's account over the API. */
static bool admin_account_protected(struct request *req, const struct user_row *u, bool self_ok)
{
	if (self_ok && u->id == req->session->user_id)
		return false;
	struct auth_assignment *as = NULL;
	long n = account_assignments(req->db, req->arena, u->id, &as);
	if (n < 0) {
		req_fail_db(req, DB_ERROR);
		return true;
	}
	if (!u->admin_role && !account_is_admin(as, (size_t)n))
		return false;
	req_fail(req, 409, "admin_account_protected",
		 "系统管理员、安全管理员和审计管理员的账户只能由服务器管理人员用命令行重置或停用（三权分立）");
	return true;
}

static bool mobile_ok(const char *m)
{
	if (strlen(m) != 11 || m[0] != '1' || m[1] < '3' || m[1] > '9')
		return false;
	for (int i = 2; i < 11; i++)
		if (m[i] < '0' || m[i] > '9')
			return false;
	return true;
}

static bool username_ok(const char *u)
{
	for (const char *p = u; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
		      *p == '_' || *p == '-'))
			return false;
	return strlen(u) >= 2;
}

struct users_in {
	int64_t limit, cursor;
	const char *q;
};
static const struct param users_params[] = {
	PARAM_INT(struct users_in, limit, 1, 200, 20),
	PARAM_INT(struct users_in, cursor, 0, INT64_MAX, 0),
	PARAM_STR(struct users_in, q, 60),
};
static const struct params users_in = PARAMS(struct users_in, users_params);

static void list_users(struct request *req)
{
	const struct users_in *in = req->in;
	int64_t limit = in->limit, after = in->cursor;
	int64_t *ids = arena_alloc(req->arena, (size_t)limit * sizeof *ids), total = 0;
	long n = user_list_ids(req->db, req->arena, in->q, after, limit, ids, &total);
	if (n < 0) {
		req_fail_db(req, DB_ERROR);
		return;
	}
	json_t *items = json_array();
	for (long i = 0; i < n; i++) {
		struct user_row u;
		if (user_get(req->db, req->arena, ids[i], &u) != DB_OK)
			continue;
		json_t *j = user_json(req, &u);
		if (!j) {
			json_decref(items);
			return;
		}
		json_array_append_new(items, j);
	}
	req_reply_list(req, items, n == limit ? arena_printf(req->arena, "%lld", (long long)ids[n - 1]) : NULL, total);
}

static void get_user(struct request *req)
{
	struct user_row u;
	if (!load_user(req, &u))
		return;
	json_t *j = user_json(req, &u);
	if (j)
		req_reply_json(req, 200, j);
}

/* A one-time password and its verifier, made on the offload thread (S21: no hashing
 * on the request threads); then finishes the request in the route's transaction. */
struct otp_work {
	const char *username, *name, *mobile;
	struct user_row u;
	char otp[17], hash[PASSWORD_HASH_LEN];
	bool ok;
};

static void otp_hash(void *ctx)
{
	struct otp_work *w = ctx;
	password_one_time(w->otp);
	w->ok = password_hash(w->otp, w->hash) == 0;
}

static void otp_forget(struct otp_work *w)
{
	sodium_memzero(w->otp, sizeof w->otp);
	sodium_memzero(w->hash, sizeof w->hash);
}

static void post_user_finish(struct request *req, void *ctx);

static void post_user(struct request *req)
{
	json_t *b = in_body(req);
	if (!b)
		return;
	struct otp_work *w = arena_alloc(req->arena, sizeof *w);
	w->username = in_str(req, b, "username", IN_REQUIRED, 64);
	w->name = in_str(req, b, "name", IN_REQUIRED, 100);
	w->mobile = in_str(req, b, "mobile", IN_OPTIONAL, 11);
	if (w->username && !username_ok(w->username))
		req_field_error(req, "username", "invalid", "用户名只能包含字母、数字、点、下划线和连字符，至少 2 个字符");
	if (w->mobile && !mobile_ok(w->mobile))
		req_field_error(req, "mobile", "invalid_mobile", "手机号码格式不正确");
	if (req_failed(req))
		return;
	req_offload(req, otp_hash, post_user_finish, w);
}

/* The new account's row, audit and answer (the one-time password shown once). */
static void post_user_store(struct request *req, struct otp_work *w)
{
	int64_t id;
	int rc = w->ok ? user_insert(req->db, req->arena, w->username, w->name, w->mobile, w->hash, &id) : DB_ERROR;
	if (rc == DB_CONSTRAINT) {
		req_field_error(req, "username", "taken", "用户名已被使用");
		return;
	}
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	struct audit_event ev = {.action = "user.create", .object_type = "user", .object_id = id, .success = true,
				 .summary = arena_printf(req->arena, "username=%s", w->username)};
	if (audit_record(req, &ev) != 0)
		return;
	struct user_row u;
	if (user_get(req->db, req->arena, id, &u) != DB_OK) {
		req_fail_db(req, DB_ERROR);
		return;
	}
	json_t *j = user_json(req, &u);
	if (j)
		req_reply_json(req, 201, json_pack("{s:o, s:s}", "user", j, "one_time_password", w->otp));
}

static void post_user_finish(struct request *req, void *ctx)
{
	post_user_store(req, ctx);
	otp_forget(ctx);
}

static void patch_user(struct request *req)
{
	json_t *b = in_body(req);
	struct user_row u;
	if (!b || !load_user(req, &u) || admin_account_protected(req, &u, true))
		return;
	static const char *const statuses[] = {"active", "disabled", NULL};
	const char *name = in_str(req, b, "name", IN_OPTIONAL, 100);
	const char *mobile = in_str(req, b, "mobile", IN_NULLABLE, 11);
	const char *status = in_enum(req, b, "status", IN_OPTIONAL, statuses);
	if (mobile && !mobile_ok(mobile))
		req_field_error(req, "mobile", "invalid_mobile", "手机号码格式不正确");
	if (req_failed(req))
		return;
	if (status && !strcmp(status, "disabled") && u.id == req->session->user_id) {
		req_fail(req, 409, "cannot_disable_self", "不能停用自己的账户");
		return;
	}
	bool set_mobile = in_has(b, "mobile");
	int rc = user_set_profile(req->db, req->arena, u.id, name, set_mobile, mobile);
	char fields[64] = "";
	size_t fl = 0;
	if (name)
		fl += (size_t)snprintf(fields + fl, sizeof fields - fl, "name,");
	if (set_mobile)
		fl += (size_t)snprintf(fields + fl, sizeof fields - fl, "mobile,");
	if (rc == DB_OK && status && strcmp(status, u.status) != 0) {
		fl += (size_t)snprintf(fields + fl, sizeof fields - fl, "status,");
		rc = user_set_status(req->db, u.id, status, 0);
		if (rc == DB_OK && !strcmp(status, "disabled"))
			rc = session_delete_user(req->db, u.id);
		const char *action = !strcmp(status, "disabled") ? "user.disable" : "user.enable";
		struct audit_event ev = {.action = action, .object_type = "user", .object_id = u.id, .success = true,
					 .summary = arena_printf(req->arena, "status=%s->%s", u.status, status)};
		if (rc == DB_OK && audit_record(req, &ev) != 0)
			return;
	}
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (fl && fields[fl - 1] == ',')
		fields[fl - 1] = 0;
	if (name || set_mobile) {
		struct audit_event ev = {.action = "user.update", .object_type = "user", .object_id = u.id, .success = true,
					 .summary = arena_printf(req->arena, "fields=%s", fields)};
		if (audit_record(req, &ev) != 0)
			return;
	}
	if (user_get(req->db, req->arena, u.id, &u) != DB_OK) {
		req_fail_db(req, DB_ERROR);
		return;
	}
	json_t *j = user_json(req, &u);
	if (j)
		req_reply_json(req, 200, j);
}

static void reset_finish(struct request *req, void *ctx);

/* S22: the one-time password is shown once, to the administrator; the account is
 * marked (who, when, from where) and its holder is told at every sign-in; the reset
 * and the first sign-in after it are audited. (When messages exist (issue 16) the
 * one-time password goes to the holder's registered mobile through the outbox instead
 * of this answer.) */
static void reset_password(struct request *req)
{
	struct otp_work *w = arena_alloc(req->arena, sizeof *w);
	if (!load_user(req, &w->u) || admin_account_protected(req, &w->u, false))
		return;
	req_offload(req, otp_hash, reset_finish, w);
}

static void reset_finish(struct request *req, void *ctx)
{
	struct otp_work *w = ctx;
	const struct auth_session *s = req->session;
	int rc = w->ok ? user_set_password(req->db, w->u.id, w->hash, true) : DB_ERROR;
	if (rc == DB_OK)
		rc = user_mark_reset(req->db, w->u.id, s->user_id, s->name, clock_now(), req->ip);
	if (rc == DB_OK)
		rc = session_delete_user(req->db, w->u.id);
	struct audit_event ev = {.action = "user.reset_password", .object_type = "user", .object_id = w->u.id,
				 .success = true, .summary = "sessions_revoked=all must_change=1 holder_told=at_login"};
	if (rc != DB_OK)
		req_fail_db(req, rc);
	else if (audit_record(req, &ev) == 0)
		req_reply_json(req, 200, json_pack("{s:s}", "one_time_password", w->otp));
	otp_forget(w);
}

static const char *roles_text(struct request *req, const struct auth_assignment *as, size_t n)
{
	const char *s = "";
	for (size_t i = 0; i < n; i++)
		s = arena_printf(req->arena, "%s%s%s@%lld", s, i ? "," : "", as[i].role->code, (long long)as[i].org_id);
	return *s ? s : "none";
}

/* A refused attempt to reuse an administrator's account, audited for the auditor
 * although the request fails (S22). */
struct reuse_attempt {
	struct audit_event ev;
};

static int audit_reuse(struct request *req, void *ctx)
{
	struct reuse_attempt *a = ctx;
	return audit_record(req, &a->ev) == 0 ? DB_OK : DB_ERROR;
}

static void refuse_reuse(struct request *req, int64_t user_id, const char *role)
{
	struct reuse_attempt *a = arena_alloc(req->arena, sizeof *a);
	a->ev = (struct audit_event){.action = "role.assign", .object_type = "user", .object_id = user_id,
				     .summary = arena_printf(req->arena, "refused=admin_account_reuse role=%s", role)};
	req_on_failure(req, audit_reuse, a);
	req_fail(req, 409, "admin_account_reuse",
		 "该账户担任过系统管理员、安全管理员或审计管理员，不能再授予其他角色（三权分立）");
}

static void put_roles(struct request *req)
{
	json_t *b = in_body(req);
	struct user_row u;
	if (!b || !load_user(req, &u))
		return;
	if (u.id == req->session->user_id) {
		req_fail(req, 409, "cannot_change_own_roles", "不能修改自己的角色");
		return;
	}
	json_t *arr = json_object_get(b, "roles");
	if (!json_is_array(arr) || json_array_size(arr) > 50) {
		req_field_error(req, "roles", "invalid", "roles 须为角色数组（最多 50 项）");
		return;
	}
	size_t n = json_array_size(arr);
	const char **codes = arena_alloc(req->arena, (n + 1) * sizeof *codes);
	int64_t *orgs = arena_alloc(req->arena, (n + 1) * sizeof *orgs);
	size_t admins = 0;
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(arr, i);
		const char *field = arena_printf(req->arena, "roles[%zu]", i);
		const struct role_def *r = json_is_object(e) ? policy_role(json_string_value(json_object_get(e, "role"))) : NULL;
		if (!r) {
			req_field_error(req, field, "unknown_role", "未知角色");
			continue;
		}
		json_t *o = json_object_get(e, "org_id");
		int64_t org = json_is_integer(o) ? json_integer_value(o) : 0;
		if (o && !json_is_null(o) && (!json_is_integer(o) || org <= 0)) {
			req_field_error(req, field, "invalid_org", "组织编号无效");
			continue;
		}
		if (r->admin && org)
			req_field_error(req, field, "admin_role_global", "管理员角色不关联组织");
		else if (r->needs_org && !org)
			req_field_error(req, field, "org_required", "该角色须指定组织");
		else if (org && !user_org_exists(req->db, org))
			req_field_error(req, field, "org_not_found", "组织不存在");
		for (size_t k = 0; k < i; k++)
			if (codes[k] && !strcmp(codes[k], r->code) && orgs[k] == org)
				req_field_error(req, field, "duplicate", "角色重复");
		admins += r->admin;
		codes[i] = r->code;
		orgs[i] = org;
	}
	if (!req_failed(req) && admins && n > 1)
		req_field_error(req, "roles", "admin_roles_exclusive",
				"系统管理员、安全管理员、审计管理员三者互斥，且不能与其他角色兼任");
	if (req_failed(req))
		return;
	/* S22: an account that holds or ever held an administrator role is never given
	 * another role (users.admin_role, kept by triggers: see 0050_admin_history.sql) */
	for (size_t i = 0; i < n && u.admin_role; i++)
		if (strcmp(codes[i], u.admin_role) != 0)
			return refuse_reuse(req, u.id, codes[i]);
	struct auth_assignment *before;
	long nb = account_assignments(req->db, req->arena, u.id, &before);
	if (nb < 0) {
		req_fail_db(req, DB_ERROR);
		return;
	}
	int rc = user_set_roles(req->db, u.id, codes, orgs, n);
	if (rc == DB_CONSTRAINT)
		return refuse_reuse(req, u.id, "?");
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	struct auth_assignment *after;
	long na = account_assignments(req->db, req->arena, u.id, &after);
	if (na < 0) {
		req_fail_db(req, DB_ERROR);
		return;
	}
	struct audit_event ev = {.action = "role.assign", .object_type = "user", .object_id = u.id, .success = true,
				 .summary = arena_printf(req->arena, "before=%s after=%s", roles_text(req, before, (size_t)nb),
							 roles_text(req, after, (size_t)na))};
	if (audit_record(req, &ev) != 0)
		return;
	json_t *j = user_json(req, &u);
	if (j)
		req_reply_json(req, 200, j);
}

static const struct route users_routes[] = {
	{"GET", "/api/v1/users", list_users, "user.read", RF_TX_READ, 0, "list users (?q=&cursor=&limit=)", &users_in},
	{"POST", "/api/v1/users", post_user, "user.manage", RF_TX_WRITE, 4096, "create a user; returns a one-time password"},
	{"GET", "/api/v1/users/{id}", get_user, "user.read", RF_TX_READ, 0, "one user"},
	{"PATCH", "/api/v1/users/{id}", patch_user, "user.manage", RF_TX_WRITE, 4096, "change name, mobile or status"},
	{"POST", "/api/v1/users/{id}/reset-password", reset_password, "user.manage", RF_TX_WRITE, 0,
	 "new one-time password; revokes the user's sessions"},
	{"PUT", "/api/v1/users/{id}/roles", put_roles, "role.assign", RF_TX_WRITE, 16384, "replace the user's role assignments"},
};
ROUTE_TABLE(users);
