/* account.h: accounts as the policy sees them: stored role assignments mapped onto the
 * built-in roles, and the creation of an account with a one-time password (the
 * verifier is made here, in the auth layer; src/model/user.c only stores it). */
#ifndef DJ_AUTH_ACCOUNT_H
#define DJ_AUTH_ACCOUNT_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db;
struct arena;
struct auth_assignment;

/* The user's assignments with their roles resolved (a role this binary no longer
 * knows grants nothing and is left out). Returns the count (*out arena-owned), or -1
 * on a database error. */
long account_assignments(struct db *db, struct arena *a, int64_t user_id, struct auth_assignment **out);
/* True when any assignment's role is an administrator role. */
bool account_is_admin(const struct auth_assignment *as, size_t n);
/* [{role, role_name, org_id, org_name}] of docs/api-contract.md (a new reference). */
json_t *account_roles_json(const struct auth_assignment *as, size_t n);

/* Creates a user with one role and a one-time password (written to otp_out, 17 bytes),
 * with its audit row (actor: the system, via=cli), inside the caller's transaction
 * (the CLI: db_tx_run). Hashes on the calling thread: never call it from a request.
 * org_id 0 = none (the administrator roles). Returns DB_OK, or DB_CONSTRAINT /
 * DB_NOT_FOUND / DB_ERROR after printing why to stderr (unknown role, missing
 * organization, taken username, database error). */
enum db_rc account_create(struct db *db, const char *username, const char *name, const char *role, int64_t org_id,
		   char otp_out[17]);
#endif
