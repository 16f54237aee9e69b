/* auth.h: what the dispatcher asks of identity before a handler runs (DESIGN.md §5).
 * The router calls, in order: auth_check_origin for every unsafe method;
 * auth_authenticate unless the route is public; auth_has_permission unless the route
 * needs only a session; auth_check_csrf for unsafe methods unless RF_NO_CSRF. Each
 * sets the request's sticky error itself when it says no. */
#ifndef DJ_AUTH_H
#define DJ_AUTH_H
#include "auth/audit.h"
#include <stdbool.h>

struct request;

/* Refuses a cross-site request (Origin of another host, Sec-Fetch-Site: cross-site):
 * 403 csrf_failed. Returns true when allowed. */
bool auth_check_origin(struct request *req);
/* Loads the session from the cookie into req->session: 401 unauthenticated when there
 * is none or it expired; 403 password_change_required / totp_enrolment_required while
 * one is pending, unless the route allows any state. Returns true when signed in. */
bool auth_authenticate(struct request *req);
/* Called inside a read transaction, auth_authenticate only reads: the idle-clock touch
 * and an expired session's deletion are done here, once the transaction has ended. */
void auth_after_tx(struct request *req);
/* True when the session holds perm through any of its role assignments; otherwise
 * 403 forbidden and false. */
bool auth_has_permission(struct request *req, const char *perm);
/* X-CSRF-Token equals the session's token (constant time), else 403 csrf_failed. */
bool auth_check_csrf(struct request *req);
/* The signed-in user's id for logs and audit, or 0. */
long long auth_user_id(const struct request *req);
/* The member record of a `member`-role caller (users.member_id), or 0. More about the
 * caller (display name, role for audit, assignments): src/auth/session.h. */
long long auth_member_id(const struct request *req);
#endif
