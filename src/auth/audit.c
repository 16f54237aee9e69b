/* audit.c (auth): audit_record, the request-facing side of the audit log (see
 * auth/audit.h); the row itself is written by model/audit.c. */
#include "auth/audit.h"
#include "auth/session.h"
#include "core/arena.h"
#include "db/db.h"
#include "http/request.h"
#include <assert.h>

static int write_event(struct request *req, const struct audit_event *ev)
{
	struct audit_actor actor = {.user_id = req->session ? req->session->user_id : 0, .ip = req->ip};
	auth_actor(req, req->route ? req->route->perm : NULL, &actor.name, &actor.role, &actor.org_id);
	return audit_write(req->db, &actor, ev);
}

/* The deferred row of a read route: its own write transaction after the read's. */
static int write_later(struct request *req, void *ctx)
{
	if (write_event(req, ctx) != 0) {
		req_fail(req, 500, "internal_error", "审计日志写入失败，操作未执行");
		return DB_ERROR;
	}
	return DB_OK;
}

int audit_record(struct request *req, const struct audit_event *ev)
{
	/* the dispatcher opened the route's transaction on this connection */
	assert(req->db && db_in_tx(req->db));
	if (req->route && (req->route->flags & RF_TX_READ)) {
		struct audit_event *copy = arena_alloc(req->arena, sizeof *copy);
		*copy = *ev;
		copy->action = arena_strdup(req->arena, ev->action);
		copy->object_type = ev->object_type ? arena_strdup(req->arena, ev->object_type) : NULL;
		copy->summary = ev->summary ? arena_strdup(req->arena, ev->summary) : NULL;
		req_after_commit(req, write_later, copy);
		return 0;
	}
	if (write_event(req, ev) != 0) {
		req_fail(req, 500, "internal_error", "审计日志写入失败，操作未执行");
		return -1;
	}
	return 0;
}
