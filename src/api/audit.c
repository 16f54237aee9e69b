/* audit.c: reading and verifying the audit log (audit.read: the auditor only). The
 * log itself is written by model/audit.c in the transaction of each change. */
#include "core/arena.h"
#include "core/date.h"
#include "db/db.h"
#include "http/request.h"
#include "http/router.h"
#include "model/audit.h"
#include "model/user.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An instant filter: unix seconds, YYYY-MM-DD (the day's start in UTC, or its end for
 * `to`) or YYYY-MM-DDTHH:MM:SSZ. 0 when absent; a field error when malformed. */
static int64_t query_instant(struct request *req, const char *name, bool end_of_day)
{
	const char *v = req_query(req, name);
	if (!v || !*v)
		return 0;
	char *end;
	long long n = strtoll(v, &end, 10);
	if (!*end && n > 0)
		return n;
	struct date d;
	char day[11] = "";
	size_t len = strlen(v);
	if (len >= 10) {
		memcpy(day, v, 10);
		day[10] = 0;
	}
	if (len >= 10 && date_parse(day, &d)) {
		int64_t t = date_to_days(d) * 86400;
		if (len == 10)
			return end_of_day ? t + 86399 : t;
		/* HH:MM:SS, optional fraction (what Date.toISOString sends), then Z */
		int hh, mm, ss, used = 0;
		if (len >= 20 && v[10] == 'T' && sscanf(v + 11, "%2d:%2d:%2d%n", &hh, &mm, &ss, &used) == 3 && used == 8 &&
		    hh < 24 && mm < 60 && ss < 61 && hh >= 0 && mm >= 0 && ss >= 0) {
			const char *p = v + 19;
			if (*p == '.')
				for (p++; *p >= '0' && *p <= '9'; p++)
					;
			if (p[0] == 'Z' && p[1] == 0)
				return t + hh * 3600 + mm * 60 + ss;
		}
	}
	req_field_error(req, name, "invalid_instant", "时间格式应为 YYYY-MM-DD 或 YYYY-MM-DDTHH:MM:SSZ");
	return 0;
}

/* actor=: a user id, or a username (resolved to its id; an unknown one matches
 * nothing). 0 when absent. */
static int64_t query_actor(struct request *req)
{
	const char *v = req_query(req, "actor");
	if (!v || !*v)
		return 0;
	char *end;
	long long n = strtoll(v, &end, 10);
	if (!*end && n > 0)
		return n;
	struct user_row u;
	int rc = user_get_by_username(req->db, req->arena, v, &u);
	if (rc == DB_ROW)
		return u.id;
	if (rc != DB_DONE)
		req_fail_db(req, rc);
	return -1;
}

static void list_audit(struct request *req)
{
	struct audit_filter f = {
		.actor_id = query_actor(req),
		.action = req_query(req, "action"),
		.object_type = req_query(req, "object_type"),
		.object_id = req_query_int(req, "object_id", 0, 0, INT64_MAX),
		.from = query_instant(req, "from", false),
		.to = query_instant(req, "to", true),
	};
	if (f.action && !*f.action)
		f.action = NULL;
	if (f.object_type && !*f.object_type)
		f.object_type = NULL;
	int64_t limit = req_query_int(req, "limit", 20, 1, 200);
	int64_t cursor = req_query_int(req, "cursor", 0, 0, INT64_MAX);
	if (req_failed(req))
		return;
	int64_t last, total;
	json_t *items = audit_list(req->db, &f, cursor, limit, &last, &total);
	if (!items)
		return req_fail_db(req, DB_ERROR);
	bool more = (int64_t)json_array_size(items) == limit && last > 1;
	req_reply_list(req, items, more ? arena_printf(req->arena, "%lld", (long long)last) : NULL, total);
}

static void verify_audit(struct request *req)
{
	int64_t count, broken;
	int rc = audit_verify(req->db, &count, &broken);
	if (rc < 0)
		return req_fail_db(req, DB_ERROR);
	req_reply_json(req, 200, json_pack("{s:b, s:I, s:o}", "ok", rc == 0, "count", (json_int_t)count, "first_broken_id",
					   rc ? json_integer(broken) : json_null()));
}

static const struct route audit_routes[] = {
	{"GET", "/api/v1/audit", list_audit, "audit.read", RF_TX_READ, 0,
	 "audit rows, newest first (?actor=&action=&object_type=&object_id=&from=&to=&cursor=&limit=)"},
	{"GET", "/api/v1/audit/verify", verify_audit, "audit.read", RF_TX_READ, 0, "verify the audit hash chain"},
};
ROUTE_TABLE(audit);
