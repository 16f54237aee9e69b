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

/* Writes ev for the request's caller on req->db, inside the request's write transaction
 * (the dispatcher's, RF_TX_WRITE). In a read route (RF_TX_READ: a report, a reveal)
 * the row is written right after the read, in a write transaction of its own
 * (req_after_commit): a write inside a read transaction fails with
 * SQLITE_BUSY_SNAPSHOT once another writer has committed, and ordinary reads never
 * wait for the write lock; if that row can not be written the request fails and its
 * answer is not sent. ev->org_id 0 takes the role's organization. Returns 0, or -1
 * after setting a 500 on the request (so the change rolls back). */
int audit_record(struct request *req, const struct audit_event *ev);
#endif
