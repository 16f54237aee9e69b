/* audit.h (auth): recording an audit event for the request's caller. The writer
 * itself is the model's (model/audit.h: audit_write with an audit_actor); this is where
 * the actor comes from the request: the session's user and name, the role through
 * which the caller holds the route's permission and that role's organization, and the
 * client's address. Included by auth/auth.h and auth/session.h, so every handler that
 * sees the session can record. */
#ifndef DJ_AUTH_AUDIT_H
#define DJ_AUTH_AUDIT_H
#include "model/audit.h"

struct request;

/* Writes ev for the request's caller on req->db, inside the request's transaction
 * (the dispatcher's; the route declares RF_TX_WRITE, as every route that audits
 * does, even a GET that reveals personal data: a write inside a read transaction may
 * fail with SQLITE_BUSY_SNAPSHOT). ev->org_id 0 takes the role's organization.
 * Returns 0, or -1 after setting a 500 on the request (so the change rolls back). */
int audit_record(struct request *req, const struct audit_event *ev);
#endif
