/* audit.c: reading and verifying the audit log (audit.read: the auditor only). The
 * log itself is written by model/audit.c in the transaction of each change. */
#include "core/arena.h"
#include "core/date.h"
#include "db/db.h"
#include "http/params.h"
#include "http/request.h"
#include "http/router.h"
#include "model/audit.h"
#include "model/user.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct audit_in {
	const char *actor, *action, *object_type;
	int64_t object_id, from, to, limit, cursor;
};
static const struct param audit_params[] = {
	PARAM_STR(struct audit_in, actor, 64),
	PARAM_STR(struct audit_in, action, 64),
	PARAM_STR(struct audit_in, object_type, 32),
	PARAM_INT(struct audit_in, object_id, 0, INT64_MAX, 0),
	PARAM_INSTANT(struct audit_in, from, 0),
	PARAM_INSTANT(struct audit_in, to, 1),
	PARAM_INT(struct audit_in, limit, 1, 200, 20),
	PARAM_INT(struct audit_in, cursor, 0, INT64_MAX, 0),
};
static const struct params audit_in = PARAMS(struct audit_in, audit_params);

/* actor=: a user id, or a username (resolved to its id; an unknown one matches
 * nothing: -1). 0 when absent. */
static int64_t actor_id(struct request *req, const char *v)
{
	if (!v)
		return 0;
	char *end;
	long long n = strtoll(v, &end, 10);
	if (!*end && n > 0)
		return n;
	struct user_row u;
	enum db_rc rc = user_get_by_username(req->db, req->arena, v, &u);
	if (rc == DB_OK)
		return u.id;
	if (rc != DB_NOT_FOUND)
		req_fail_db(req, rc);
	return -1;
}

static void list_audit(struct request *req)
{
	const struct audit_in *in = req->in;
	struct audit_filter f = {
		.actor_id = actor_id(req, in->actor),
		.action = in->action,
		.object_type = in->object_type,
		.object_id = in->object_id,
		.from = in->from,
		.to = in->to,
	};
	if (req_failed(req))
		return;
	int64_t last, total;
	json_t *items = audit_list(req->db, &f, in->cursor, in->limit, &last, &total);
	if (!items) {
		req_fail_db(req, DB_ERROR);
		return;
	}
	bool more = (int64_t)json_array_size(items) == in->limit && last > 1;
	req_reply_list(req, items, more ? arena_printf(req->arena, "%lld", (long long)last) : NULL, total);
}

static void verify_audit(struct request *req)
{
	int64_t count, broken;
	int rc = audit_verify(req->db, &count, &broken);
	if (rc < 0) {
		req_fail_db(req, DB_ERROR);
		return;
	}
	req_reply_json(req, 200, json_pack("{s:b, s:I, s:o}", "ok", rc == 0, "count", (json_int_t)count, "first_broken_id",
					   rc ? json_integer(broken) : json_null()));
}

static const struct route audit_routes[] = {
	{"GET", "/api/v1/audit", list_audit, "audit.read", RF_TX_READ, 0,
	 "audit rows, newest first (?actor=&action=&object_type=&object_id=&from=&to=&cursor=&limit=)", &audit_in},
	{"GET", "/api/v1/audit/verify", verify_audit, "audit.read", RF_TX_READ, 0, "verify the audit hash chain"},
};
ROUTE_TABLE(audit);
