/* audit.c (auth): audit_record, the request-facing side of the audit log (see
 * auth/audit.h); the row itself is written by model/audit.c. */
#include "auth/audit.h"
#include "auth/session.h"
#include "db/db.h"
#include "http/request.h"
#include <assert.h>

int audit_record(struct request *req, const struct audit_event *ev)
{
	/* the dispatcher opened the route's transaction on this connection */
	assert(req->db && db_in_tx(req->db));
	struct audit_actor actor = {.user_id = req->session ? req->session->user_id : 0, .ip = req->ip};
	auth_actor(req, req->route ? req->route->perm : NULL, &actor.name, &actor.role, &actor.org_id);
	if (audit_write(req->db, &actor, ev) != 0) {
		req_fail(req, 500, "internal_error", "审计日志写入失败，操作未执行");
		return -1;
	}
	return 0;
}
