/* session.h: the signed-in caller as the dispatcher loaded it (auth.c), for handlers
 * and the scope and audit functions. Arena-owned, valid for the request. */
#ifndef DJ_AUTH_SESSION_H
#define DJ_AUTH_SESSION_H
#include "auth/audit.h"
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

struct request;
struct role_def;

struct auth_assignment {
	const struct role_def *role;
	int64_t org_id;       /* 0 = none (global administrator roles) */
	const char *org_path; /* "/1/17/", NULL when org_id is 0 */
	const char *org_name;
};

struct auth_session {
	int64_t session_id;
	int64_t user_id;
	const char *username, *name;
	int64_t member_id; /* 0 when none */
	bool must_change_password;
	bool totp_enrolled;
	bool totp_required; /* holds an administrator role */
	bool password_expired; /* dengbao: an administrator's password is older than 90 days */
	int64_t created_at;
	char csrf[33];         /* hex of a keyed hash of the token */
	struct auth_assignment *as;
	size_t n_as;
};

/* The caller's display name and the role through which it holds perm (the first
 * assignment granting it; NULL perm: the first assignment), for audit rows and
 * messages. Either out pointer may be NULL. Returns false when not signed in. */
bool auth_actor(const struct request *req, const char *perm, const char **name, const char **role,
		int64_t *org_id);
/* The member record of a `member`-role caller (users.member_id), or 0. */
long long auth_member_id(const struct request *req);
/* True when the caller holds any role granting perm (no scope considered). */
bool auth_holds(const struct request *req, const char *perm);
/* The CSRF token of a session token: hex of a keyed hash (index key, purpose
 * "session.csrf"), so nothing extra is stored. out gets 33 bytes. */
void auth_csrf_for(const char *token, char out[33]);
/* Sets the session cookie (__Host-dj_session; Secure over TLS, dj_session on plain
 * HTTP; HttpOnly; SameSite=Strict; Path=/), or clears it when token is NULL. */
void auth_set_cookie(struct request *req, const char *token);
/* Builds req->session for a user just signed in (login, password change), so the
 * reply can describe it. Returns false after setting a 500. */
bool auth_load_user(struct request *req, int64_t user_id, int64_t session_id, const char *token);
#endif
