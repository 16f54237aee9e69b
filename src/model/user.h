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
struct auth_assignment;

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
};

/* Loads a user by id / username. DB_ROW when found, DB_DONE when not, else an error. */
int user_get(struct db *db, struct arena *a, int64_t id, struct user_row *u);
int user_get_by_username(struct db *db, struct arena *a, const char *username, struct user_row *u);
/* The user's assignments with their organizations' paths and names, in a stable order.
 * Returns the count (*out arena-owned), or -1 on error. */
long user_assignments(struct db *db, struct arena *a, int64_t user_id, struct auth_assignment **out);
/* True when any assignment's role is an administrator role. */
bool user_assignments_admin(const struct auth_assignment *as, size_t n);

/* Inserts a new active user with a one-time password (must change at first login).
 * mobile may be NULL. Returns DB_OK with *id, DB_CONSTRAINT for a taken username,
 * or another error. No audit: the caller records it. */
int user_insert(struct db *db, struct arena *a, const char *username, const char *name, const char *mobile,
		const char *password_hash, int64_t *id);
/* Replaces the user's assignments. Each org_id 0 is stored NULL. */
int user_set_roles(struct db *db, int64_t user_id, const char *const *roles, const int64_t *orgs, size_t n);
/* Creates a user with one role for the CLI and the demo, in its own transaction with
 * its audit row (actor: the system). org_id 0 = none (the administrator roles).
 * Writes the one-time password into otp_out (>= 17 bytes). Returns 0, or -1 with a
 * message printed to stderr (unknown role, missing organization, taken username). */
int user_create(struct db *db, const char *username, const char *name, const char *role, int64_t org_id,
		char *otp_out, size_t otp_len);
/* Links a user to the member record that `GET /api/v1/me` shows (the `member` role),
 * in its own transaction with its audit row. 0, or -1 when there is no such user. */
int user_link_member(struct db *db, const char *username, int64_t member_id);

/* Small updates, inside the caller's transaction. */
int user_set_password(struct db *db, int64_t id, const char *hash, bool must_change);
int user_set_status(struct db *db, int64_t id, const char *status, int64_t locked_until);
int user_set_profile(struct db *db, struct arena *a, int64_t id, const char *name, bool set_mobile,
		     const char *mobile);
int user_record_failure(struct db *db, int64_t id, int64_t count, int64_t since);
int user_record_login(struct db *db, int64_t id, int64_t totp_step);
int user_set_totp_pending(struct db *db, int64_t id, const unsigned char *blob, size_t len);
int user_confirm_totp(struct db *db, int64_t id, int64_t step);
/* Forgets the user's TOTP secret (a lost phone): the next login enrols again.
 * Inside the caller's transaction (`dangjian user reset-totp`). */
int user_reset_totp(struct db *db, int64_t id);

/* Per-IP failed login counting (the per-address limit). */
int64_t login_failures_count(struct db *db, const char *ip, int64_t since);
int login_failure_add(struct db *db, const char *ip, int64_t at, int64_t prune_before);

/* Sessions. The token is 32 random bytes, URL-safe base64 (43 chars); only its
 * BLAKE2b hash is stored. */
int session_create(struct db *db, struct arena *a, int64_t user_id, const char *ip, const char **token,
		   int64_t *session_id);
int session_delete(struct db *db, int64_t session_id);
int session_delete_user(struct db *db, int64_t user_id);
struct session_row {
	int64_t id, user_id, created_at, last_seen_at;
};
/* DB_ROW when the token names a session. */
int session_find(struct db *db, const char *token, struct session_row *s);
int session_touch(struct db *db, int64_t id, int64_t now);
/* The mobile number masked like 138****5678. */
const char *user_mask_mobile(struct arena *a, const char *mobile);
/* [{role, role_name, org_id, org_name}] of docs/api-contract.md (new reference). */
#include <jansson.h>
json_t *user_roles_json(const struct auth_assignment *as, size_t n);
/* True when the organization exists. */
bool user_org_exists(struct db *db, int64_t org_id);
/* Up to limit user ids after the cursor id, filtered by q (substring of username or
 * name), into ids; *total = all matching. Returns the count or -1. */
long user_list_ids(struct db *db, struct arena *a, const char *q, int64_t after, int64_t limit, int64_t *ids,
		   int64_t *total);
#endif
