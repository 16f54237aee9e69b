/* user.c: the SQL of users, role assignments, sessions and login throttling; see
 * user.h. Business rules (policy, audit, answers) belong to src/api and src/auth. */
#include "model/user.h"
#include "auth/password.h"
#include "auth/policy.h"
#include "auth/session.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "db/db.h"
#include "model/audit.h"
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define USER_COLS                                                                                              \
	"id, username, name, status, password_hash, mobile_masked, must_change_password, password_changed_at, "   \
	"totp_secret, totp_pending, totp_last_step, failed_count, failed_since, locked_until, "                   \
	"COALESCE(member_id, 0), created_at, updated_at, COALESCE(last_login_at, 0)"

static const struct db_sql user_sql[] = {
#define SQL_GET 0
	{"user.get", "SELECT " USER_COLS " FROM users WHERE id = $1"},
#define SQL_GET_NAME 1
	{"user.get_by_username", "SELECT " USER_COLS " FROM users WHERE username = $1"},
#define SQL_ROLES 2
	{"user.roles",
	 "SELECT r.role, COALESCE(r.org_id, 0), o.path, o.name FROM user_roles r LEFT JOIN orgs o ON o.id = r.org_id "
	 "WHERE r.user_id = $1 ORDER BY r.role, r.org_id"},
#define SQL_INSERT 3
	{"user.insert",
	 "INSERT INTO users (username, name, mobile, mobile_masked, password_hash, must_change_password, "
	 "password_changed_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 1, $6, $6, $6) RETURNING id"},
#define SQL_ROLES_CLEAR 4
	{"user.roles_clear", "DELETE FROM user_roles WHERE user_id = $1"},
#define SQL_ROLE_ADD 5
	{"user.role_add", "INSERT INTO user_roles (user_id, role, org_id, created_at) VALUES ($1, $2, $3, $4)"},
#define SQL_SET_PASSWORD 6
	{"user.set_password",
	 "UPDATE users SET password_hash = $2, must_change_password = $3, password_changed_at = $4, updated_at = $4 "
	 "WHERE id = $1"},
#define SQL_SET_STATUS 7
	{"user.set_status",
	 "UPDATE users SET status = $2, locked_until = $3, failed_count = 0, failed_since = 0, updated_at = $4 "
	 "WHERE id = $1"},
#define SQL_SET_NAME 8
	{"user.set_name", "UPDATE users SET name = $2, updated_at = $3 WHERE id = $1"},
#define SQL_SET_MOBILE 9
	{"user.set_mobile", "UPDATE users SET mobile = $2, mobile_masked = $3, updated_at = $4 WHERE id = $1"},
#define SQL_FAILURE 10
	{"user.failure", "UPDATE users SET failed_count = $2, failed_since = $3 WHERE id = $1"},
#define SQL_LOGIN 11
	{"user.login",
	 "UPDATE users SET failed_count = 0, failed_since = 0, last_login_at = $2, "
	 "totp_last_step = MAX(totp_last_step, $3) WHERE id = $1"},
#define SQL_TOTP_PENDING 12
	{"user.totp_pending", "UPDATE users SET totp_pending = $2, updated_at = $3 WHERE id = $1"},
#define SQL_TOTP_CONFIRM 13
	{"user.totp_confirm",
	 "UPDATE users SET totp_secret = totp_pending, totp_pending = NULL, totp_last_step = $2, updated_at = $3 "
	 "WHERE id = $1 AND totp_pending IS NOT NULL"},
#define SQL_IP_COUNT 14
	{"user.ip_failures", "SELECT COUNT(*) FROM login_failures WHERE ip = $1 AND at > $2"},
#define SQL_IP_ADD 15
	{"user.ip_failure_add", "INSERT INTO login_failures (ip, at) VALUES ($1, $2)"},
#define SQL_IP_PRUNE 16
	{"user.ip_failure_prune", "DELETE FROM login_failures WHERE at < $1"},
#define SQL_SESSION_ADD 17
	{"session.insert",
	 "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, ip) VALUES ($1, $2, $3, $3, $4) "
	 "RETURNING id"},
#define SQL_SESSION_DEL 18
	{"session.delete", "DELETE FROM sessions WHERE id = $1"},
#define SQL_SESSION_DEL_USER 19
	{"session.delete_user", "DELETE FROM sessions WHERE user_id = $1"},
#define SQL_SESSION_FIND 20
	{"session.find", "SELECT id, user_id, created_at, last_seen_at FROM sessions WHERE token_hash = $1"},
#define SQL_SESSION_TOUCH 21
	{"session.touch", "UPDATE sessions SET last_seen_at = $2 WHERE id = $1 AND last_seen_at < $2"},
#define SQL_ORG_EXISTS 22
	{"user.org_exists", "SELECT 1 FROM orgs WHERE id = $1"},
#define SQL_LIST 23
	{"user.list",
	 "SELECT id FROM users WHERE ($1 IS NULL OR username LIKE $1 ESCAPE '\\' OR name LIKE $1 ESCAPE '\\') "
	 "AND id > $2 ORDER BY id LIMIT $3"},
#define SQL_COUNT 24
	{"user.count",
	 "SELECT COUNT(*) FROM users WHERE ($1 IS NULL OR username LIKE $1 ESCAPE '\\' OR name LIKE $1 ESCAPE '\\')"},
#define SQL_LINK_MEMBER 25
	{"user.link_member", "UPDATE users SET member_id = $2, updated_at = $3 WHERE username = $1"},
#define SQL_TOTP_RESET 26
	{"user.totp_reset",
	 "UPDATE users SET totp_secret = NULL, totp_pending = NULL, totp_last_step = 0, updated_at = $2 WHERE id = $1"},
};
DB_SQL_TABLE(user, user_sql);

static const unsigned char *dup_blob(struct arena *a, struct db_stmt *st, int i, size_t *len)
{
	*len = db_col_len(st, i);
	if (db_col_null(st, i) || *len == 0)
		return NULL;
	return arena_memdup(a, db_col_blob(st, i), *len);
}

static void read_user(struct arena *a, struct db_stmt *st, struct user_row *u)
{
	memset(u, 0, sizeof *u);
	u->id = db_col_int(st, 0);
	u->username = db_col_dup(a, st, 1);
	u->name = db_col_dup(a, st, 2);
	u->status = db_col_dup(a, st, 3);
	u->password_hash = db_col_dup(a, st, 4);
	u->mobile_masked = db_col_dup(a, st, 5);
	u->must_change_password = db_col_int(st, 6) != 0;
	u->password_changed_at = db_col_int(st, 7);
	u->totp_secret = dup_blob(a, st, 8, &u->totp_secret_len);
	u->totp_pending = dup_blob(a, st, 9, &u->totp_pending_len);
	u->totp_last_step = db_col_int(st, 10);
	u->failed_count = db_col_int(st, 11);
	u->failed_since = db_col_int(st, 12);
	u->locked_until = db_col_int(st, 13);
	u->member_id = db_col_int(st, 14);
	u->created_at = db_col_int(st, 15);
	u->updated_at = db_col_int(st, 16);
	u->last_login_at = db_col_int(st, 17);
}

static int get_one(struct db *db, struct arena *a, const struct db_sql *sql, int64_t id, const char *name,
		   struct user_row *u)
{
	struct db_stmt *st = db_prepare(db, sql);
	if (!st)
		return DB_ERROR;
	if (name)
		db_bind_text(st, 1, name, -1);
	else
		db_bind_int(st, 1, id);
	int rc = db_step(st);
	if (rc == DB_ROW) {
		read_user(a, st, u);
		db_reset(st);
	}
	return rc;
}

int user_get(struct db *db, struct arena *a, int64_t id, struct user_row *u)
{
	return get_one(db, a, &user_sql[SQL_GET], id, NULL, u);
}

int user_get_by_username(struct db *db, struct arena *a, const char *username, struct user_row *u)
{
	return get_one(db, a, &user_sql[SQL_GET_NAME], 0, username, u);
}

long user_assignments(struct db *db, struct arena *a, int64_t user_id, struct auth_assignment **out)
{
	*out = NULL;
	struct db_stmt *st = db_prepare(db, &user_sql[SQL_ROLES]);
	if (!st)
		return -1;
	db_bind_int(st, 1, user_id);
	size_t cap = 8, n = 0;
	struct auth_assignment *as = arena_alloc(a, cap * sizeof *as);
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		const struct role_def *r = policy_role(db_col_text(st, 0));
		if (!r)
			continue; /* a role this binary no longer knows grants nothing */
		if (n == cap) {
			struct auth_assignment *bigger = arena_alloc(a, 2 * cap * sizeof *as);
			memcpy(bigger, as, cap * sizeof *as);
			as = bigger;
			cap *= 2;
		}
		as[n].role = r;
		as[n].org_id = db_col_int(st, 1);
		as[n].org_path = arena_strdup(a, db_col_text(st, 2));
		as[n].org_name = arena_strdup(a, db_col_text(st, 3));
		n++;
	}
	if (rc != DB_DONE)
		return -1;
	*out = as;
	return (long)n;
}

bool user_assignments_admin(const struct auth_assignment *as, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (as[i].role->admin)
			return true;
	return false;
}

const char *user_mask_mobile(struct arena *a, const char *mobile)
{
	if (!mobile)
		return NULL;
	size_t n = strlen(mobile);
	if (n < 7)
		return arena_strdup(a, "****");
	return arena_printf(a, "%.3s****%s", mobile, mobile + n - 4);
}

int user_insert(struct db *db, struct arena *a, const char *username, const char *name, const char *mobile,
		const char *password_hash, int64_t *id)
{
	struct db_stmt *st = db_prepare(db, &user_sql[SQL_INSERT]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, username, -1);
	db_bind_text(st, 2, name, -1);
	if (mobile) {
		size_t len;
		unsigned char *blob = dj_seal(a, mobile, strlen(mobile), "user.mobile", &len);
		db_bind_blob(st, 3, blob, len);
		db_bind_text(st, 4, user_mask_mobile(a, mobile), -1);
	} else {
		db_bind_null(st, 3);
		db_bind_null(st, 4);
	}
	db_bind_text(st, 5, password_hash, -1);
	db_bind_int(st, 6, clock_now());
	int rc = db_step(st);
	if (rc != DB_ROW)
		return rc;
	*id = db_col_int(st, 0);
	db_reset(st);
	return DB_OK;
}

static int exec_done(struct db_stmt *st)
{
	if (!st)
		return DB_ERROR;
	int rc = db_step(st);
	return rc == DB_DONE ? DB_OK : rc;
}

int user_set_roles(struct db *db, int64_t user_id, const char *const *roles, const int64_t *orgs, size_t n)
{
	struct db_stmt *st = db_prepare(db, &user_sql[SQL_ROLES_CLEAR]);
	if (st)
		db_bind_int(st, 1, user_id);
	int rc = exec_done(st);
	for (size_t i = 0; i < n && rc == DB_OK; i++) {
		st = db_prepare(db, &user_sql[SQL_ROLE_ADD]);
		if (st) {
			db_bind_int(st, 1, user_id);
			db_bind_text(st, 2, roles[i], -1);
			if (orgs[i])
				db_bind_int(st, 3, orgs[i]);
			else
				db_bind_null(st, 3);
			db_bind_int(st, 4, clock_now());
		}
		rc = exec_done(st);
	}
	return rc;
}

int user_create(struct db *db, const char *username, const char *name, const char *role, int64_t org_id,
		char *otp_out, size_t otp_len)
{
	const struct role_def *r = policy_role(role);
	if (!r) {
		fprintf(stderr, "dangjian: unknown role %s\n", role ? role : "(none)");
		return -1;
	}
	if (r->admin && org_id) {
		fprintf(stderr, "dangjian: the administrator role %s is global; give no --org\n", role);
		return -1;
	}
	if (r->needs_org && !org_id) {
		fprintf(stderr, "dangjian: the role %s needs --org ID\n", role);
		return -1;
	}
	if (otp_len < 17)
		return -1;
	char otp[17], hash[PASSWORD_HASH_LEN];
	password_one_time(otp);
	if (password_hash(otp, hash) != 0) {
		fprintf(stderr, "dangjian: password hashing failed (memory)\n");
		return -1;
	}
	struct arena *a = arena_new();
	int rc = db_tx_begin(db, true);
	int64_t id = 0;
	if (rc == DB_OK && org_id) {
		struct db_stmt *st = db_prepare(db, &user_sql[SQL_ORG_EXISTS]);
		if (st)
			db_bind_int(st, 1, org_id);
		rc = st ? db_step(st) : DB_ERROR;
		if (rc == DB_DONE) {
			fprintf(stderr, "dangjian: no organization %lld\n", (long long)org_id);
			db_tx_rollback(db);
			arena_free(a);
			return -1;
		}
		if (rc == DB_ROW) {
			db_reset(st);
			rc = DB_OK;
		}
	}
	if (rc == DB_OK)
		rc = user_insert(db, a, username, name, NULL, hash, &id);
	if (rc == DB_CONSTRAINT) {
		fprintf(stderr, "dangjian: the username %s is taken\n", username);
		db_tx_rollback(db);
		arena_free(a);
		return -1;
	}
	const char *roles[1] = {r->code};
	int64_t orgs[1] = {org_id};
	if (rc == DB_OK)
		rc = user_set_roles(db, id, roles, orgs, 1);
	if (rc == DB_OK) {
		struct audit_event ev = {.action = "user.create", .object_type = "user", .object_id = id,
					 .org_id = org_id, .success = true,
					 .summary = arena_printf(a, "username=%s role=%s via=cli", username, r->code)};
		rc = audit_record_as(db, 0, "system", "cli", &ev) == 0 ? DB_OK : DB_ERROR;
	}
	if (rc == DB_OK)
		rc = db_tx_commit(db);
	else
		db_tx_rollback(db);
	arena_free(a);
	if (rc != DB_OK) {
		fprintf(stderr, "dangjian: creating the user failed: %s\n", db_errmsg(db));
		return -1;
	}
	memcpy(otp_out, otp, 17);
	sodium_memzero(otp, sizeof otp);
	return 0;
}

int user_set_password(struct db *db, int64_t id, const char *hash, bool must_change)
{
	struct db_stmt *st = db_prepare(db, &user_sql[SQL_SET_PASSWORD]);
	if (st) {
		db_bind_int(st, 1, id);
		db_bind_text(st, 2, hash, -1);
		db_bind_int(st, 3, must_change);
		db_bind_int(st, 4, clock_now());
	}
	return exec_done(st);
}

int user_set_status(struct db *db, int64_t id, const char *status, int64_t locked_until)
{
	struct db_stmt *st = db_prepare(db, &user_sql[SQL_SET_STATUS]);
	if (st) {
		db_bind_int(st, 1, id);
		db_bind_text(st, 2, status, -1);
		db_bind_int(st, 3, locked_until);
		db_bind_int(st, 4, clock_now());
	}
	return exec_done(st);
}

int user_set_profile(struct db *db, struct arena *a, int64_t id, const char *name, bool set_mobile,
		     const char *mobile)
{
	int rc = DB_OK;
	if (name) {
		struct db_stmt *st = db_prepare(db, &user_sql[SQL_SET_NAME]);
		if (st) {
			db_bind_int(st, 1, id);
			db_bind_text(st, 2, name, -1);
			db_bind_int(st, 3, clock_now());
		}
		rc = exec_done(st);
	}
	if (rc == DB_OK && set_mobile) {
		struct db_stmt *st = db_prepare(db, &user_sql[SQL_SET_MOBILE]);
		if (st) {
			db_bind_int(st, 1, id);
			if (mobile) {
				size_t len;
				unsigned char *blob = dj_seal(a, mobile, strlen(mobile), "user.mobile", &len);
				db_bind_blob(st, 2, blob, len);
				db_bind_text(st, 3, user_mask_mobile(a, mobile), -1);
			} else {
				db_bind_null(st, 2);
				db_bind_null(st, 3);
			}
			db_bind_int(st, 4, clock_now());
		}
		rc = exec_done(st);
	}
	return rc;
}

int user_record_failure(struct db *db, int64_t id, int64_t count, int64_t since)
{
	struct db_stmt *st = db_prepare(db, &user_sql[SQL_FAILURE]);
	if (st) {
		db_bind_int(st, 1, id);
		db_bind_int(st, 2, count);
		db_bind_int(st, 3, since);
	}
	return exec_done(st);
}

int user_record_login(struct db *db, int64_t id, int64_t totp_step)
{
	struct db_stmt *st = db_prepare(db, &user_sql[SQL_LOGIN]);
	if (st) {
		db_bind_int(st, 1, id);
		db_bind_int(st, 2, clock_now());
		db_bind_int(st, 3, totp_step);
	}
	return exec_done(st);
}

int user_set_totp_pending(struct db *db, int64_t id, const unsigned char *blob, size_t len)
{
	struct db_stmt *st = db_prepare(db, &user_sql[SQL_TOTP_PENDING]);
	if (st) {
		db_bind_int(st, 1, id);
		db_bind_blob(st, 2, blob, len);
		db_bind_int(st, 3, clock_now());
	}
	return exec_done(st);
}

int user_confirm_totp(struct db *db, int64_t id, int64_t step)
{
	struct db_stmt *st = db_prepare(db, &user_sql[SQL_TOTP_CONFIRM]);
	if (st) {
		db_bind_int(st, 1, id);
		db_bind_int(st, 2, step);
		db_bind_int(st, 3, clock_now());
	}
	return exec_done(st);
}

int64_t login_failures_count(struct db *db, const char *ip, int64_t since)
{
	struct db_stmt *st = db_prepare(db, &user_sql[SQL_IP_COUNT]);
	if (!st)
		return 0;
	db_bind_text(st, 1, ip, -1);
	db_bind_int(st, 2, since);
	int64_t n = db_step(st) == DB_ROW ? db_col_int(st, 0) : 0;
	db_reset(st);
	return n;
}

int login_failure_add(struct db *db, const char *ip, int64_t at, int64_t prune_before)
{
	struct db_stmt *st = db_prepare(db, &user_sql[SQL_IP_PRUNE]);
	if (st)
		db_bind_int(st, 1, prune_before);
	int rc = exec_done(st);
	st = rc == DB_OK ? db_prepare(db, &user_sql[SQL_IP_ADD]) : NULL;
	if (st) {
		db_bind_text(st, 1, ip, -1);
		db_bind_int(st, 2, at);
	}
	return rc == DB_OK ? exec_done(st) : rc;
}

static void token_hash(const char *token, unsigned char out[32])
{
	crypto_generichash(out, 32, (const unsigned char *)token, strlen(token), NULL, 0);
}

int session_create(struct db *db, struct arena *a, int64_t user_id, const char *ip, const char **token,
		   int64_t *session_id)
{
	*token = dj_random_token(a, 32);
	unsigned char h[32];
	token_hash(*token, h);
	struct db_stmt *st = db_prepare(db, &user_sql[SQL_SESSION_ADD]);
	if (!st)
		return DB_ERROR;
	db_bind_blob(st, 1, h, sizeof h);
	db_bind_int(st, 2, user_id);
	db_bind_int(st, 3, clock_now());
	db_bind_text(st, 4, ip, -1);
	int rc = db_step(st);
	if (rc != DB_ROW)
		return rc;
	*session_id = db_col_int(st, 0);
	db_reset(st);
	return DB_OK;
}

int session_delete(struct db *db, int64_t session_id)
{
	struct db_stmt *st = db_prepare(db, &user_sql[SQL_SESSION_DEL]);
	if (st)
		db_bind_int(st, 1, session_id);
	return exec_done(st);
}

int session_delete_user(struct db *db, int64_t user_id)
{
	struct db_stmt *st = db_prepare(db, &user_sql[SQL_SESSION_DEL_USER]);
	if (st)
		db_bind_int(st, 1, user_id);
	return exec_done(st);
}

int session_find(struct db *db, const char *token, struct session_row *s)
{
	unsigned char h[32];
	token_hash(token, h);
	struct db_stmt *st = db_prepare(db, &user_sql[SQL_SESSION_FIND]);
	if (!st)
		return DB_ERROR;
	db_bind_blob(st, 1, h, sizeof h);
	int rc = db_step(st);
	if (rc == DB_ROW) {
		s->id = db_col_int(st, 0);
		s->user_id = db_col_int(st, 1);
		s->created_at = db_col_int(st, 2);
		s->last_seen_at = db_col_int(st, 3);
		db_reset(st);
	}
	return rc;
}

int session_touch(struct db *db, int64_t id, int64_t now)
{
	struct db_stmt *st = db_prepare(db, &user_sql[SQL_SESSION_TOUCH]);
	if (st) {
		db_bind_int(st, 1, id);
		db_bind_int(st, 2, now);
	}
	return exec_done(st);
}

json_t *user_roles_json(const struct auth_assignment *as, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:o, s:o}", "role", as[i].role->code, "role_name",
						     as[i].role->name, "org_id",
						     as[i].org_id ? json_integer(as[i].org_id) : json_null(), "org_name",
						     as[i].org_name ? json_string(as[i].org_name) : json_null()));
	return arr;
}

bool user_org_exists(struct db *db, int64_t org_id)
{
	struct db_stmt *st = db_prepare(db, &user_sql[SQL_ORG_EXISTS]);
	if (!st)
		return false;
	db_bind_int(st, 1, org_id);
	bool found = db_step(st) == DB_ROW;
	db_reset(st);
	return found;
}

/* q as a LIKE pattern with %, _ and \\ escaped, or NULL. */
static const char *like_pattern(struct arena *a, const char *q)
{
	if (!q || !*q)
		return NULL;
	char *out = arena_alloc(a, 2 * strlen(q) + 3), *o = out;
	*o++ = '%';
	for (const char *p = q; *p; p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			*o++ = '\\';
		*o++ = *p;
	}
	*o++ = '%';
	*o = 0;
	return out;
}

long user_list_ids(struct db *db, struct arena *a, const char *q, int64_t after, int64_t limit, int64_t *ids,
		   int64_t *total)
{
	const char *pat = like_pattern(a, q);
	struct db_stmt *st = db_prepare(db, &user_sql[SQL_COUNT]);
	if (!st)
		return -1;
	db_bind_text(st, 1, pat, -1);
	if (db_step(st) != DB_ROW)
		return -1;
	*total = db_col_int(st, 0);
	db_reset(st);
	st = db_prepare(db, &user_sql[SQL_LIST]);
	if (!st)
		return -1;
	db_bind_text(st, 1, pat, -1);
	db_bind_int(st, 2, after);
	db_bind_int(st, 3, limit);
	long n = 0;
	int rc;
	while ((rc = db_step(st)) == DB_ROW)
		ids[n++] = db_col_int(st, 0);
	return rc == DB_DONE ? n : -1;
}

int user_link_member(struct db *db, const char *username, int64_t member_id)
{
	int rc = db_tx_begin(db, true);
	struct db_stmt *st = rc == DB_OK ? db_prepare(db, &user_sql[SQL_LINK_MEMBER]) : NULL;
	if (st) {
		db_bind_text(st, 1, username, -1);
		db_bind_int(st, 2, member_id);
		db_bind_int(st, 3, clock_now());
		rc = db_step(st) == DB_DONE && db_changes(db) == 1 ? DB_OK : DB_ERROR;
	} else if (rc == DB_OK) {
		rc = DB_ERROR;
	}
	if (rc == DB_OK) {
		struct arena *a = arena_new();
		struct audit_event ev = {.action = "user.link_member", .object_type = "user", .success = true,
					 .summary = arena_printf(a, "username=%s member_id=%lld via=cli", username,
								 (long long)member_id)};
		rc = audit_record_as(db, 0, "system", "cli", &ev) == 0 ? DB_OK : DB_ERROR;
		arena_free(a);
	}
	if (rc == DB_OK)
		rc = db_tx_commit(db);
	else
		db_tx_rollback(db);
	return rc == DB_OK ? 0 : -1;
}

int user_reset_totp(struct db *db, int64_t id)
{
	struct db_stmt *st = db_prepare(db, &user_sql[SQL_TOTP_RESET]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, clock_now());
	return db_step(st) == DB_DONE ? DB_OK : DB_ERROR;
}
