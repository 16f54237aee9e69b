/* user.h: user accounts, their role assignments and sessions in the database
 * (DESIGN.md §5). Statements live in user.c; the policy (who may) lives in the routes
 * and src/auth/. Strings returned are arena-owned. */
#ifndef DJ_MODEL_USER_H
#define DJ_MODEL_USER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db;
struct arena;

struct user_row {
	int64_t id;
	const char *username, *name, *status, *password_hash, *mobile_masked;
	bool must_change_password;
	int64_t password_changed_at;
	const unsigned char *totp_secret; /* sealed; NULL when not enrolled */
	size_t totp_secret_len;
	const unsigned char *totp_pending; /* sealed; NULL when no enrolment is under way */
	size_t totp_pending_len;
	int64_t totp_last_step, failed_count, failed_since, locked_until, member_id;
	int64_t created_at, updated_at, last_login_at;
	const char *admin_role; /* the administrator role ever held (never cleared), or NULL */
	/* the last password reset by someone else: who (0 and "system": the server CLI),
	 * when (0: never), from where, and the first login after it (0: none yet) */
	int64_t reset_by;
	const char *reset_by_name;
	int64_t reset_at;
	const char *reset_ip;
	int64_t reset_login_at;
};

/* Loads a user by id / username: DB_OK, DB_NOT_FOUND or an error. */
enum db_rc user_get(struct db *db, struct arena *a, int64_t id, struct user_row *u);
enum db_rc user_get_by_username(struct db *db, struct arena *a, const char *username, struct user_row *u);
/* One stored assignment (user, role, organization), as stored: the role code is not
 * interpreted here (src/auth/account.c maps it to the policy). */
struct user_role {
	const char *role;
	int64_t org_id;       /* 0 = none */
	const char *org_path; /* NULL when org_id is 0 */
	const char *org_name;
};
/* The user's assignments with their organizations' paths and names, in a stable order.
 * Returns the count (*out arena-owned), or -1 on error. */
long user_roles(struct db *db, struct arena *a, int64_t user_id, struct user_role **out);

/* Inserts a new active user with the verifier of a one-time password (must change at
 * first login; the verifier comes from auth/password.c). mobile may be NULL. Returns
 * DB_OK with *id, DB_CONSTRAINT for a taken username, or another error. No audit: the
 * caller records it. */
enum db_rc user_insert(struct db *db, struct arena *a, const char *username, const char *name, const char *mobile,
		const char *password_hash, int64_t *id);
/* Replaces the user's assignments. Each org_id 0 is stored NULL. An account that ever
 * held an administrator role refuses any other role (a trigger: DB_CONSTRAINT). */
enum db_rc user_set_roles(struct db *db, int64_t user_id, const char *const *roles, const int64_t *orgs, size_t n);
/* Links a user to the member record that `GET /api/v1/me` shows (the `member` role),
 * with its audit row (actor: the system), inside the caller's transaction. DB_OK,
 * DB_NOT_FOUND when there is no such user, or an error. */
enum db_rc user_link_member(struct db *db, const char *username, int64_t member_id);
/* Marks a password reset by someone other than the holder (by_id 0, by_name "system"
 * for the server CLI) and forgets the first login after the previous one. */
enum db_rc user_mark_reset(struct db *db, int64_t id, int64_t by_id, const char *by_name, int64_t at, const char *ip);
/* Records the first login after a reset (no-op without a reset). */
enum db_rc user_mark_reset_login(struct db *db, int64_t id, int64_t at);

/* Small updates, inside the caller's transaction. */
enum db_rc user_set_password(struct db *db, int64_t id, const char *hash, bool must_change);
enum db_rc user_set_status(struct db *db, int64_t id, const char *status, int64_t locked_until);
enum db_rc user_set_profile(struct db *db, struct arena *a, int64_t id, const char *name, bool set_mobile,
		     const char *mobile);
enum db_rc user_record_login(struct db *db, int64_t id, int64_t totp_step);
enum db_rc user_set_totp_pending(struct db *db, int64_t id, const unsigned char *blob, size_t len);
enum db_rc user_confirm_totp(struct db *db, int64_t id, int64_t step);
/* Forgets the user's TOTP secret (a lost phone): the next login enrols again.
 * Inside the caller's transaction (`dangjian user reset-totp`). */
enum db_rc user_reset_totp(struct db *db, int64_t id);

/* Per-address failed password checks (the per-address limit): the count after since
 * and the oldest of them (0 when none). DB_OK or an error: never a guess (a caller
 * that can not read the count refuses the login). */
enum db_rc login_failures_count(struct db *db, const char *ip, int64_t since, int64_t *count, int64_t *oldest);
enum db_rc login_failure_add(struct db *db, const char *ip, int64_t at, int64_t prune_before);
/* Per-(name, address) failed password checks: the name as typed, known or not.
 * get: 0/0 when none. set: stores the pair's count and last time, pruning pairs last
 * seen before prune_before. clear: after a correct password. DB_OK or an error. */
enum db_rc login_throttle_get(struct db *db, const char *name, const char *ip, int64_t *failures, int64_t *last_at);
enum db_rc login_throttle_set(struct db *db, const char *name, const char *ip, int64_t failures, int64_t at,
		       int64_t prune_before);
enum db_rc login_throttle_clear(struct db *db, const char *name, const char *ip);

/* Sessions. The token is 32 random bytes, URL-safe base64 (43 chars); only its
 * BLAKE2b hash is stored. */
enum db_rc session_create(struct db *db, struct arena *a, int64_t user_id, const char *ip, const char **token,
		   int64_t *session_id);
enum db_rc session_delete(struct db *db, int64_t session_id);
enum db_rc session_delete_user(struct db *db, int64_t user_id);
struct session_row {
	int64_t id, user_id, created_at, last_seen_at;
};
/* DB_OK when the token names a session, DB_NOT_FOUND when not, or an error. */
enum db_rc session_find(struct db *db, const char *token, struct session_row *s);
/* The same by the token's hash (session_token_hash: what the table keeps). */
enum db_rc session_find_hash(struct db *db, const unsigned char h[32], struct session_row *s);
void session_token_hash(const char *token, unsigned char out[32]);
/* The revision of what a session check reads (0155_auth_rev; -1 when it has no row). */
enum db_rc auth_revision(struct db *db, int64_t *rev);
enum db_rc session_touch(struct db *db, int64_t id, int64_t now);
/* The mobile number masked like 138****5678. */
const char *user_mask_mobile(struct arena *a, const char *mobile);
/* True when the organization exists. */
bool user_org_exists(struct db *db, int64_t org_id);
/* Up to limit user ids after the cursor id, filtered by q (substring of username or
 * name), into ids; *total = all matching. Returns the count or -1. */
long user_list_ids(struct db *db, struct arena *a, const char *q, int64_t after, int64_t limit, int64_t *ids,
		   int64_t *total);
#endif
