/* authcache.h: the answers of session checks (the session's row, its user's, the user's
 * roles with their organizations), kept per token hash at the auth revision they were
 * read at (sql 0155_auth_rev: raised in the same transaction as every write that could
 * change such an answer, in any process). A check that finds the token kept at the
 * revision it reads needs no other read (issue 21 #2: the session check was a third of a
 * cached list page's work). Fixed slots chosen by the hash (a keyed 256-bit hash of a
 * random token: no caller picks a slot), one mutex; what is kept is copied out into the
 * request's arena. What the caller decides with the instants kept (expiry, the touch)
 * is auth.c's. */
#ifndef DJ_AUTH_AUTHCACHE_H
#define DJ_AUTH_AUTHCACHE_H
#include <stdbool.h>
#include <stdint.h>

struct arena;
struct auth_session;

/* What a kept answer was read with, besides the session it built. */
struct authcache_facts {
	int64_t rev;                 /* auth_rev when read */
	int64_t created_at;          /* the session's */
	int64_t last_seen_at;        /* the session's, as read (or as touched by this process) */
	int64_t password_changed_at; /* the user's */
};

/* A copy (in a) of the session kept for the token hash h at revision rev, and its facts;
 * false when none is kept at that revision. */
bool authcache_get(const unsigned char h[32], int64_t rev, struct arena *a, struct auth_session **s,
		   struct authcache_facts *f);
/* Keeps a copy of s for h (in place of what its slot held); silently not kept without
 * memory. */
void authcache_put(const unsigned char h[32], const struct auth_session *s, const struct authcache_facts *f);
/* Forgets everything (tests; a process that must not trust what it kept). */
void authcache_clear(void);
#endif
