/* user.c: the SQL of users, role assignments, sessions and login throttling; see
 * user.h. Business rules (policy, audit, answers) belong to src/api and src/auth, and
 * so does every password verifier: this file stores the ones it is given. No function
 * here opens a transaction: each runs inside its caller's (a request's, or the CLI's
 * db_tx_run). */
#include "model/user.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "db/db.h"
#include "model/audit.h"
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define USER_COLS                                                                                              \
	"id, username, name, status, password_hash, mobile_masked, must_change_password, password_changed_at, "   \
	"totp_secret, totp_pending, totp_last_step, failed_count, failed_since, locked_until, "                   \
	"COALESCE(member_id, 0), created_at, updated_at, COALESCE(last_login_at, 0), admin_role, "                \
	"COALESCE(reset_by, 0), reset_by_name, COALESCE(reset_at, 0), reset_ip, COALESCE(reset_login_at, 0)"

enum user_stmt {
	STMT_USER_GET,
	STMT_USER_GET_BY_USERNAME,
	STMT_USER_ROLES,
	STMT_USER_INSERT,
	STMT_USER_ROLES_CLEAR,
	STMT_USER_ROLE_ADD,
	STMT_USER_SET_PASSWORD,
	STMT_USER_SET_STATUS,
	STMT_USER_SET_NAME,
	STMT_USER_SET_MOBILE,
	STMT_USER_LOGIN,
	STMT_USER_TOTP_PENDING,
	STMT_USER_TOTP_CONFIRM,
	STMT_USER_IP_FAILURES,
	STMT_USER_IP_FAILURE_ADD,
	STMT_USER_IP_FAILURE_PRUNE,
	STMT_SESSION_INSERT,
	STMT_SESSION_DELETE,
	STMT_SESSION_DELETE_USER,
	STMT_SESSION_FIND,
	STMT_AUTH_REV,
	STMT_SESSION_TOUCH,
	STMT_USER_ORG_EXISTS,
	STMT_USER_LIST,
	STMT_USER_COUNT,
	STMT_USER_LINK_MEMBER,
	STMT_USER_TOTP_RESET,
	STMT_USER_THROTTLE_GET,
	STMT_USER_THROTTLE_SET,
	STMT_USER_THROTTLE_CLEAR,
	STMT_USER_THROTTLE_PRUNE,
	STMT_USER_RESET_MARK,
	STMT_USER_RESET_LOGIN,
	STMT_USER_IP_FAILURES_OLDEST,
	USER_STMT__MAX
};
/* the row of user.get and user.get_by_username (USER_COLS, in its order) */
enum user_col {
	USER_COL_ID,
	USER_COL_USERNAME,
	USER_COL_NAME,
	USER_COL_STATUS,
	USER_COL_PASSWORD_HASH,
	USER_COL_MOBILE_MASKED,
	USER_COL_MUST_CHANGE_PASSWORD,
	USER_COL_PASSWORD_CHANGED_AT,
	USER_COL_TOTP_SECRET,
	USER_COL_TOTP_PENDING,
	USER_COL_TOTP_LAST_STEP,
	USER_COL_FAILED_COUNT,
	USER_COL_FAILED_SINCE,
	USER_COL_LOCKED_UNTIL,
	USER_COL_MEMBER_ID,
	USER_COL_CREATED_AT,
	USER_COL_UPDATED_AT,
	USER_COL_LAST_LOGIN_AT,
	USER_COL_ADMIN_ROLE,
	USER_COL_RESET_BY,
	USER_COL_RESET_BY_NAME,
	USER_COL_RESET_AT,
	USER_COL_RESET_IP,
	USER_COL_RESET_LOGIN_AT,
};
/* the rows of user.roles */
enum role_col { ROLE_COL_ROLE, ROLE_COL_ORG_ID, ROLE_COL_ORG_PATH, ROLE_COL_ORG_NAME };
/* the row of user.throttle_get */
enum throttle_col { THROTTLE_COL_FAILURES, THROTTLE_COL_LAST_AT };
/* the row of session.find */
enum session_col { SESSION_COL_ID, SESSION_COL_USER_ID, SESSION_COL_CREATED_AT, SESSION_COL_LAST_SEEN_AT };
/* user.insert, session.insert (RETURNING id), user.ip_failures, user.ip_failures_oldest,
 * user.count, user.list (one id a row) and auth.rev answer one value: DB_COL_ONLY. */

static const struct db_sql user_sql[USER_STMT__MAX] = {
	[STMT_USER_GET] = {"user.get", "SELECT " USER_COLS " FROM users WHERE id = $1"},
	[STMT_USER_GET_BY_USERNAME] = {"user.get_by_username",
	 "SELECT " USER_COLS " FROM users WHERE username = $1"},
	[STMT_USER_ROLES] = {"user.roles",
	 "SELECT r.role, COALESCE(r.org_id, 0), o.path, o.name FROM user_roles r LEFT JOIN orgs o ON o.id = r.org_id "
	 "WHERE r.user_id = $1 ORDER BY r.role, r.org_id"},
	/* $1 username, $2 name, $3 mobile (sealed), $4 mobile masked, $5 password hash, $6 now */
	[STMT_USER_INSERT] = {"user.insert",
	 "INSERT INTO users (username, name, mobile, mobile_masked, password_hash, must_change_password, "
	 "password_changed_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 1, $6, $6, $6) RETURNING id"},
	[STMT_USER_ROLES_CLEAR] = {"user.roles_clear", "DELETE FROM user_roles WHERE user_id = $1"},
	[STMT_USER_ROLE_ADD] = {"user.role_add",
	 "INSERT INTO user_roles (user_id, role, org_id, created_at) VALUES ($1, $2, $3, $4)"},
	/* $1 user id, $2 password hash, $3 must change (0/1), $4 now */
	[STMT_USER_SET_PASSWORD] = {"user.set_password",
	 "UPDATE users SET password_hash = $2, must_change_password = $3, password_changed_at = $4, updated_at = $4 "
	 "WHERE id = $1"},
	/* $1 user id, $2 status, $3 locked until (instant, 0 for none), $4 now */
	[STMT_USER_SET_STATUS] = {"user.set_status",
	 "UPDATE users SET status = $2, locked_until = $3, failed_count = 0, failed_since = 0, updated_at = $4 "
	 "WHERE id = $1"},
	[STMT_USER_SET_NAME] = {"user.set_name", "UPDATE users SET name = $2, updated_at = $3 WHERE id = $1"},
	/* $1 user id, $2 mobile (sealed), $3 mobile masked, $4 now */
	[STMT_USER_SET_MOBILE] = {"user.set_mobile",
	 "UPDATE users SET mobile = $2, mobile_masked = $3, updated_at = $4 WHERE id = $1"},
	/* $1 user id, $2 now, $3 the TOTP step just accepted (0 without TOTP): never goes back */
	[STMT_USER_LOGIN] = {"user.login",
	 "UPDATE users SET failed_count = 0, failed_since = 0, last_login_at = $2, "
	 "totp_last_step = MAX(totp_last_step, $3) WHERE id = $1",
	 "UPDATE users SET failed_count = 0, failed_since = 0, last_login_at = $2, "
	 "totp_last_step = GREATEST(totp_last_step, $3) WHERE id = $1"},
	/* $1 user id, $2 the sealed secret awaiting confirmation, $3 now */
	[STMT_USER_TOTP_PENDING] = {"user.totp_pending",
	 "UPDATE users SET totp_pending = $2, updated_at = $3 WHERE id = $1"},
	/* $1 user id, $2 the step of the confirming code, $3 now */
	[STMT_USER_TOTP_CONFIRM] = {"user.totp_confirm",
	 "UPDATE users SET totp_secret = totp_pending, totp_pending = NULL, totp_last_step = $2, updated_at = $3 "
	 "WHERE id = $1 AND totp_pending IS NOT NULL"},
	/* user.ip_failures and user.ip_failures_oldest: $1 ip, $2 the window's start */
	[STMT_USER_IP_FAILURES] = {"user.ip_failures",
	 "SELECT COUNT(*) FROM login_failures WHERE ip = $1 AND at > $2"},
	[STMT_USER_IP_FAILURE_ADD] = {"user.ip_failure_add", "INSERT INTO login_failures (ip, at) VALUES ($1, $2)"},
	[STMT_USER_IP_FAILURE_PRUNE] = {"user.ip_failure_prune", "DELETE FROM login_failures WHERE at < $1"},
	/* $1 token hash, $2 user id, $3 now, $4 ip */
	[STMT_SESSION_INSERT] = {"session.insert",
	 "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, ip) VALUES ($1, $2, $3, $3, $4) "
	 "RETURNING id"},
	[STMT_SESSION_DELETE] = {"session.delete", "DELETE FROM sessions WHERE id = $1"},
	[STMT_SESSION_DELETE_USER] = {"session.delete_user", "DELETE FROM sessions WHERE user_id = $1"},
	[STMT_SESSION_FIND] = {"session.find",
	 "SELECT id, user_id, created_at, last_seen_at FROM sessions WHERE token_hash = $1"},
	/* what a session check read is current at (0155_auth_rev, src/auth/authcache.c) */
	[STMT_AUTH_REV] = {"auth.rev", "SELECT rev FROM auth_rev WHERE id = 1"},
	/* $1 session id, $2 now */
	[STMT_SESSION_TOUCH] = {"session.touch",
	 "UPDATE sessions SET last_seen_at = $2 WHERE id = $1 AND last_seen_at < $2"},
	[STMT_USER_ORG_EXISTS] = {"user.org_exists", "SELECT 1 FROM orgs WHERE id = $1"},
	/* user.list and user.count: $1 the LIKE pattern (NULL: every user); user.list: $2 the
	 * last id of the previous page, $3 the page's size */
	[STMT_USER_LIST] = {"user.list",
	 "SELECT id FROM users WHERE (CAST($1 AS TEXT) IS NULL OR username LIKE $1 ESCAPE '\\' OR name LIKE $1 ESCAPE '\\') "
	 "AND id > $2 ORDER BY id LIMIT $3"},
	[STMT_USER_COUNT] = {"user.count",
	 "SELECT COUNT(*) FROM users WHERE (CAST($1 AS TEXT) IS NULL OR username LIKE $1 ESCAPE '\\' OR name LIKE $1 ESCAPE '\\')"},
	/* $1 username, $2 member id, $3 now */
	[STMT_USER_LINK_MEMBER] = {"user.link_member",
	 "UPDATE users SET member_id = $2, updated_at = $3 WHERE username = $1"},
	[STMT_USER_TOTP_RESET] = {"user.totp_reset",
	 "UPDATE users SET totp_secret = NULL, totp_pending = NULL, totp_last_step = 0, updated_at = $2 WHERE id = $1"},
	/* the throttle statements: $1 the username tried, $2 ip; user.throttle_set: $3 failures,
	 * $4 the instant of the last */
	[STMT_USER_THROTTLE_GET] = {"user.throttle_get",
	 "SELECT failures, last_at FROM login_throttle WHERE name = $1 AND ip = $2"},
	[STMT_USER_THROTTLE_SET] = {"user.throttle_set",
	 "INSERT INTO login_throttle (name, ip, failures, last_at) VALUES ($1, $2, $3, $4) "
	 "ON CONFLICT (name, ip) DO UPDATE SET failures = excluded.failures, last_at = excluded.last_at"},
	[STMT_USER_THROTTLE_CLEAR] = {"user.throttle_clear", "DELETE FROM login_throttle WHERE name = $1 AND ip = $2"},
	[STMT_USER_THROTTLE_PRUNE] = {"user.throttle_prune", "DELETE FROM login_throttle WHERE last_at < $1"},
	/* $1 user id, $2 id and $3 name of the administrator who reset it, $4 when, $5 from which ip */
	[STMT_USER_RESET_MARK] = {"user.reset_mark",
	 "UPDATE users SET reset_by = $2, reset_by_name = $3, reset_at = $4, reset_ip = $5, reset_login_at = NULL "
	 "WHERE id = $1"},
	/* $1 user id, $2 the instant of the first login after the reset */
	[STMT_USER_RESET_LOGIN] = {"user.reset_login",
	 "UPDATE users SET reset_login_at = $2 WHERE id = $1 AND reset_at IS NOT NULL"},
	[STMT_USER_IP_FAILURES_OLDEST] = {"user.ip_failures_oldest",
	 "SELECT COALESCE(MIN(at), 0) FROM login_failures WHERE ip = $1 AND at > $2"},
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
	u->id = db_col_int(st, USER_COL_ID);
	u->username = db_col_dup(a, st, USER_COL_USERNAME);
	u->name = db_col_dup(a, st, USER_COL_NAME);
	u->status = db_col_dup(a, st, USER_COL_STATUS);
	u->password_hash = db_col_dup(a, st, USER_COL_PASSWORD_HASH);
	u->mobile_masked = db_col_dup(a, st, USER_COL_MOBILE_MASKED);
	u->must_change_password = db_col_int(st, USER_COL_MUST_CHANGE_PASSWORD) != 0;
	u->password_changed_at = db_col_int(st, USER_COL_PASSWORD_CHANGED_AT);
	u->totp_secret = dup_blob(a, st, USER_COL_TOTP_SECRET, &u->totp_secret_len);
	u->totp_pending = dup_blob(a, st, USER_COL_TOTP_PENDING, &u->totp_pending_len);
	u->totp_last_step = db_col_int(st, USER_COL_TOTP_LAST_STEP);
	u->failed_count = db_col_int(st, USER_COL_FAILED_COUNT);
	u->failed_since = db_col_int(st, USER_COL_FAILED_SINCE);
	u->locked_until = db_col_int(st, USER_COL_LOCKED_UNTIL);
	u->member_id = db_col_int(st, USER_COL_MEMBER_ID);
	u->created_at = db_col_int(st, USER_COL_CREATED_AT);
	u->updated_at = db_col_int(st, USER_COL_UPDATED_AT);
	u->last_login_at = db_col_int(st, USER_COL_LAST_LOGIN_AT);
	u->admin_role = db_col_dup(a, st, USER_COL_ADMIN_ROLE);
	u->reset_by = db_col_int(st, USER_COL_RESET_BY);
	u->reset_by_name = db_col_dup(a, st, USER_COL_RESET_BY_NAME);
	u->reset_at = db_col_int(st, USER_COL_RESET_AT);
	u->reset_ip = db_col_dup(a, st, USER_COL_RESET_IP);
	u->reset_login_at = db_col_int(st, USER_COL_RESET_LOGIN_AT);
}

static enum db_rc get_one(struct db *db, struct arena *a, const struct db_sql *sql, int64_t id, const char *name,
		   struct user_row *u)
{
	struct db_stmt *st = db_prepare(db, sql);
	if (!st)
		return DB_ERROR;
	if (name)
		db_bind_text(st, 1, name, -1);
	else
		db_bind_int(st, 1, id);
	enum db_rc rc = db_step(st);
	if (rc != DB_ROW)
		return rc == DB_DONE ? DB_NOT_FOUND : rc;
	read_user(a, st, u);
	db_reset(st);
	return DB_OK;
}

enum db_rc user_get(struct db *db, struct arena *a, int64_t id, struct user_row *u)
{
	return get_one(db, a, &user_sql[STMT_USER_GET], id, NULL, u);
}

enum db_rc user_get_by_username(struct db *db, struct arena *a, const char *username, struct user_row *u)
{
	return get_one(db, a, &user_sql[STMT_USER_GET_BY_USERNAME], 0, username, u);
}

long user_roles(struct db *db, struct arena *a, int64_t user_id, struct user_role **out)
{
	*out = NULL;
	struct db_stmt *st = db_prepare(db, &user_sql[STMT_USER_ROLES]);
	if (!st)
		return -1;
	db_bind_int(st, 1, user_id);
	size_t cap = 8, n = 0;
	struct user_role *rs = arena_alloc(a, cap * sizeof *rs);
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		if (n == cap) {
			struct user_role *bigger = arena_alloc(a, 2 * cap * sizeof *rs);
			memcpy(bigger, rs, cap * sizeof *rs);
			rs = bigger;
			cap *= 2;
		}
		rs[n].role = db_col_dup(a, st, ROLE_COL_ROLE);
		rs[n].org_id = db_col_int(st, ROLE_COL_ORG_ID);
		rs[n].org_path = db_col_dup(a, st, ROLE_COL_ORG_PATH);
		rs[n].org_name = db_col_dup(a, st, ROLE_COL_ORG_NAME);
		n++;
	}
	if (rc != DB_DONE)
		return -1;
	*out = rs;
	return (long)n;
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

enum db_rc user_insert(struct db *db, struct arena *a, const char *username, const char *name, const char *mobile,
		const char *password_hash, int64_t *id)
{
	struct db_stmt *st = db_prepare(db, &user_sql[STMT_USER_INSERT]);
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
	*id = db_col_int(st, DB_COL_ONLY);
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

enum db_rc user_set_roles(struct db *db, int64_t user_id, const char *const *roles, const int64_t *orgs, size_t n)
{
	struct db_stmt *st = db_prepare(db, &user_sql[STMT_USER_ROLES_CLEAR]);
	if (st)
		db_bind_int(st, 1, user_id);
	int rc = exec_done(st);
	for (size_t i = 0; i < n && rc == DB_OK; i++) {
		st = db_prepare(db, &user_sql[STMT_USER_ROLE_ADD]);
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

enum db_rc user_set_password(struct db *db, int64_t id, const char *hash, bool must_change)
{
	struct db_stmt *st = db_prepare(db, &user_sql[STMT_USER_SET_PASSWORD]);
	if (st) {
		db_bind_int(st, 1, id);
		db_bind_text(st, 2, hash, -1);
		db_bind_int(st, 3, must_change);
		db_bind_int(st, 4, clock_now());
	}
	return exec_done(st);
}

enum db_rc user_set_status(struct db *db, int64_t id, const char *status, int64_t locked_until)
{
	struct db_stmt *st = db_prepare(db, &user_sql[STMT_USER_SET_STATUS]);
	if (st) {
		db_bind_int(st, 1, id);
		db_bind_text(st, 2, status, -1);
		db_bind_int(st, 3, locked_until);
		db_bind_int(st, 4, clock_now());
	}
	return exec_done(st);
}

enum db_rc user_set_profile(struct db *db, struct arena *a, int64_t id, const char *name, bool set_mobile,
		     const char *mobile)
{
	int rc = DB_OK;
	if (name) {
		struct db_stmt *st = db_prepare(db, &user_sql[STMT_USER_SET_NAME]);
		if (st) {
			db_bind_int(st, 1, id);
			db_bind_text(st, 2, name, -1);
			db_bind_int(st, 3, clock_now());
		}
		rc = exec_done(st);
	}
	if (rc == DB_OK && set_mobile) {
		struct db_stmt *st = db_prepare(db, &user_sql[STMT_USER_SET_MOBILE]);
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

enum db_rc user_record_login(struct db *db, int64_t id, int64_t totp_step)
{
	struct db_stmt *st = db_prepare(db, &user_sql[STMT_USER_LOGIN]);
	if (st) {
		db_bind_int(st, 1, id);
		db_bind_int(st, 2, clock_now());
		db_bind_int(st, 3, totp_step);
	}
	return exec_done(st);
}

enum db_rc user_set_totp_pending(struct db *db, int64_t id, const unsigned char *blob, size_t len)
{
	struct db_stmt *st = db_prepare(db, &user_sql[STMT_USER_TOTP_PENDING]);
	if (st) {
		db_bind_int(st, 1, id);
		db_bind_blob(st, 2, blob, len);
		db_bind_int(st, 3, clock_now());
	}
	return exec_done(st);
}

enum db_rc user_confirm_totp(struct db *db, int64_t id, int64_t step)
{
	struct db_stmt *st = db_prepare(db, &user_sql[STMT_USER_TOTP_CONFIRM]);
	if (st) {
		db_bind_int(st, 1, id);
		db_bind_int(st, 2, step);
		db_bind_int(st, 3, clock_now());
	}
	return exec_done(st);
}

enum db_rc login_failures_count(struct db *db, const char *ip, int64_t since, int64_t *count, int64_t *oldest)
{
	struct db_stmt *st = db_prepare(db, &user_sql[STMT_USER_IP_FAILURES]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, ip, -1);
	db_bind_int(st, 2, since);
	int rc = db_step(st);
	if (rc != DB_ROW)
		return rc == DB_DONE ? DB_ERROR : rc;
	*count = db_col_int(st, DB_COL_ONLY);
	db_reset(st);
	st = db_prepare(db, &user_sql[STMT_USER_IP_FAILURES_OLDEST]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, ip, -1);
	db_bind_int(st, 2, since);
	rc = db_step(st);
	if (rc != DB_ROW)
		return rc == DB_DONE ? DB_ERROR : rc;
	*oldest = db_col_int(st, DB_COL_ONLY);
	db_reset(st);
	return DB_OK;
}

enum db_rc login_throttle_get(struct db *db, const char *name, const char *ip, int64_t *failures, int64_t *last_at)
{
	struct db_stmt *st = db_prepare(db, &user_sql[STMT_USER_THROTTLE_GET]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, name, -1);
	db_bind_text(st, 2, ip, -1);
	*failures = *last_at = 0;
	int rc = db_step(st);
	if (rc == DB_ROW) {
		*failures = db_col_int(st, THROTTLE_COL_FAILURES);
		*last_at = db_col_int(st, THROTTLE_COL_LAST_AT);
		db_reset(st);
		return DB_OK;
	}
	return rc == DB_DONE ? DB_OK : rc;
}

enum db_rc login_throttle_set(struct db *db, const char *name, const char *ip, int64_t failures, int64_t at,
		       int64_t prune_before)
{
	struct db_stmt *st = db_prepare(db, &user_sql[STMT_USER_THROTTLE_PRUNE]);
	if (st)
		db_bind_int(st, 1, prune_before);
	int rc = exec_done(st);
	st = rc == DB_OK ? db_prepare(db, &user_sql[STMT_USER_THROTTLE_SET]) : NULL;
	if (st) {
		db_bind_text(st, 1, name, -1);
		db_bind_text(st, 2, ip, -1);
		db_bind_int(st, 3, failures);
		db_bind_int(st, 4, at);
	}
	return rc == DB_OK ? exec_done(st) : rc;
}

enum db_rc login_throttle_clear(struct db *db, const char *name, const char *ip)
{
	struct db_stmt *st = db_prepare(db, &user_sql[STMT_USER_THROTTLE_CLEAR]);
	if (st) {
		db_bind_text(st, 1, name, -1);
		db_bind_text(st, 2, ip, -1);
	}
	return exec_done(st);
}

enum db_rc user_mark_reset(struct db *db, int64_t id, int64_t by_id, const char *by_name, int64_t at, const char *ip)
{
	struct db_stmt *st = db_prepare(db, &user_sql[STMT_USER_RESET_MARK]);
	if (st) {
		db_bind_int(st, 1, id);
		db_bind_int(st, 2, by_id);
		db_bind_text(st, 3, by_name, -1);
		db_bind_int(st, 4, at);
		db_bind_text(st, 5, ip, -1);
	}
	return exec_done(st);
}

enum db_rc user_mark_reset_login(struct db *db, int64_t id, int64_t at)
{
	struct db_stmt *st = db_prepare(db, &user_sql[STMT_USER_RESET_LOGIN]);
	if (st) {
		db_bind_int(st, 1, id);
		db_bind_int(st, 2, at);
	}
	return exec_done(st);
}

enum db_rc login_failure_add(struct db *db, const char *ip, int64_t at, int64_t prune_before)
{
	struct db_stmt *st = db_prepare(db, &user_sql[STMT_USER_IP_FAILURE_PRUNE]);
	if (st)
		db_bind_int(st, 1, prune_before);
	int rc = exec_done(st);
	st = rc == DB_OK ? db_prepare(db, &user_sql[STMT_USER_IP_FAILURE_ADD]) : NULL;
	if (st) {
		db_bind_text(st, 1, ip, -1);
		db_bind_int(st, 2, at);
	}
	return rc == DB_OK ? exec_done(st) : rc;
}

void session_token_hash(const char *token, unsigned char out[32])
{
	crypto_generichash(out, 32, (const unsigned char *)token, strlen(token), NULL, 0);
}

enum db_rc session_create(struct db *db, struct arena *a, int64_t user_id, const char *ip, const char **token,
		   int64_t *session_id)
{
	*token = dj_random_token(a, 32);
	unsigned char h[32];
	session_token_hash(*token, h);
	struct db_stmt *st = db_prepare(db, &user_sql[STMT_SESSION_INSERT]);
	if (!st)
		return DB_ERROR;
	db_bind_blob(st, 1, h, sizeof h);
	db_bind_int(st, 2, user_id);
	db_bind_int(st, 3, clock_now());
	db_bind_text(st, 4, ip, -1);
	int rc = db_step(st);
	if (rc != DB_ROW)
		return rc;
	*session_id = db_col_int(st, DB_COL_ONLY);
	db_reset(st);
	return DB_OK;
}

enum db_rc session_delete(struct db *db, int64_t session_id)
{
	struct db_stmt *st = db_prepare(db, &user_sql[STMT_SESSION_DELETE]);
	if (st)
		db_bind_int(st, 1, session_id);
	return exec_done(st);
}

enum db_rc session_delete_user(struct db *db, int64_t user_id)
{
	struct db_stmt *st = db_prepare(db, &user_sql[STMT_SESSION_DELETE_USER]);
	if (st)
		db_bind_int(st, 1, user_id);
	return exec_done(st);
}

enum db_rc session_find(struct db *db, const char *token, struct session_row *s)
{
	unsigned char h[32];
	session_token_hash(token, h);
	return session_find_hash(db, h, s);
}

enum db_rc session_find_hash(struct db *db, const unsigned char h[32], struct session_row *s)
{
	struct db_stmt *st = db_prepare(db, &user_sql[STMT_SESSION_FIND]);
	if (!st)
		return DB_ERROR;
	db_bind_blob(st, 1, h, 32);
	enum db_rc rc = db_step(st);
	if (rc != DB_ROW)
		return rc == DB_DONE ? DB_NOT_FOUND : rc;
	s->id = db_col_int(st, SESSION_COL_ID);
	s->user_id = db_col_int(st, SESSION_COL_USER_ID);
	s->created_at = db_col_int(st, SESSION_COL_CREATED_AT);
	s->last_seen_at = db_col_int(st, SESSION_COL_LAST_SEEN_AT);
	db_reset(st);
	return DB_OK;
}

enum db_rc auth_revision(struct db *db, int64_t *rev)
{
	struct db_stmt *st = db_prepare(db, &user_sql[STMT_AUTH_REV]);
	if (!st)
		return DB_ERROR;
	enum db_rc rc = db_step(st);
	*rev = rc == DB_ROW ? db_col_int(st, DB_COL_ONLY) : -1;
	db_reset(st);
	return rc == DB_ROW || rc == DB_DONE ? DB_OK : rc;
}

enum db_rc session_touch(struct db *db, int64_t id, int64_t now)
{
	struct db_stmt *st = db_prepare(db, &user_sql[STMT_SESSION_TOUCH]);
	if (st) {
		db_bind_int(st, 1, id);
		db_bind_int(st, 2, now);
	}
	return exec_done(st);
}

bool user_org_exists(struct db *db, int64_t org_id)
{
	struct db_stmt *st = db_prepare(db, &user_sql[STMT_USER_ORG_EXISTS]);
	if (!st)
		return false;
	db_bind_int(st, 1, org_id);
	bool found = db_step(st) == DB_ROW;
	db_reset(st);
	return found;
}

long user_list_ids(struct db *db, struct arena *a, const char *q, int64_t after, int64_t limit, int64_t *ids,
		   int64_t *total)
{
	const char *pat = arena_like_contains(a, q);
	struct db_stmt *st = db_prepare(db, &user_sql[STMT_USER_COUNT]);
	if (!st)
		return -1;
	db_bind_text(st, 1, pat, -1);
	if (db_step(st) != DB_ROW)
		return -1;
	*total = db_col_int(st, DB_COL_ONLY);
	db_reset(st);
	st = db_prepare(db, &user_sql[STMT_USER_LIST]);
	if (!st)
		return -1;
	db_bind_text(st, 1, pat, -1);
	db_bind_int(st, 2, after);
	db_bind_int(st, 3, limit);
	long n = 0;
	int rc;
	while ((rc = db_step(st)) == DB_ROW)
		ids[n++] = db_col_int(st, DB_COL_ONLY);
	return rc == DB_DONE ? n : -1;
}

enum db_rc user_link_member(struct db *db, const char *username, int64_t member_id)
{
	struct db_stmt *st = db_prepare(db, &user_sql[STMT_USER_LINK_MEMBER]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, username, -1);
	db_bind_int(st, 2, member_id);
	db_bind_int(st, 3, clock_now());
	int rc = db_step(st);
	if (rc != DB_DONE)
		return rc;
	if (db_changes(db) != 1)
		return DB_NOT_FOUND;
	struct arena *a = arena_new();
	struct audit_event ev = {.action = "user.link_member", .object_type = "user", .success = true,
				 .summary = arena_printf(a, "username=%s member_id=%lld via=cli", username,
							 (long long)member_id)};
	rc = audit_write(db, &audit_system_cli, &ev) == 0 ? DB_OK : DB_ERROR;
	arena_free(a);
	return rc;
}

enum db_rc user_reset_totp(struct db *db, int64_t id)
{
	struct db_stmt *st = db_prepare(db, &user_sql[STMT_USER_TOTP_RESET]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, clock_now());
	return db_step(st) == DB_DONE ? DB_OK : DB_ERROR;
}
