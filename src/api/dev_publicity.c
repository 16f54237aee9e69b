/* dev_publicity.c: PUT /api/v1/development/applicants/{id}/publicity (issue 16 item 5,
 * R-DEV-15): the branch posts a 公示 before 确定发展对象 (step 7) or before 转正 (step 23)
 * and enters its start; the server computes its end on the working-day calendar and
 * keeps it (model/dev_publicity.h) so that the branch secretary is reminded when it ends
 * (the publicity_ending reminder, model/reminders.c). An applicant outside the caller's
 * scope answers 404 like a missing one. */
#include "api/roster_util.h"
#include "auth/audit.h"
#include "auth/auth.h"
#include "auth/scope.h"
#include "config.h"
#include "core/arena.h"
#include "core/clock.h"
#include "http/input.h"
#include "model/dev.h"
#include "model/dev_publicity.h"
#include <string.h>

static void put_publicity(struct request *req)
{
	int64_t id = req_param_id(req, "id");
	if (req_failed(req))
		return;
	struct dev_applicant a;
	enum db_rc rc = dev_load(req->db, req->arena, id, &a);
	if (!roster_found(req, rc, rc == DB_OK && scope_allows(req, "dev.write", a.org_path), "发展对象不存在"))
		return;
	json_t *b = in_body(req);
	if (!b)
		return;
	int64_t step = 0;
	if (in_int(req, b, "step", IN_REQUIRED, 1, 25, &step) && step != 7 && step != 23)
		req_field_error(req, "step", "invalid", "公示只在确定发展对象（第7步）和讨论转正（第23步）之前进行");
	const char *start = in_date(req, b, "start", IN_REQUIRED);
	if (req_failed(req))
		return;
	bool ok = a.status && strcmp(a.status, "active") == 0 &&
		  (step == 7 ? a.last_step >= 3 && a.last_step < 7 : a.last_step >= 17 && a.last_step < 23);
	if (!ok) {
		req_fail(req, 409, "wrong_step",
			 step == 7 ? "只有入党积极分子在确定为发展对象之前才进行发展对象公示"
				   : "只有预备党员在讨论转正之前才进行转正公示");
		return;
	}
	struct date s, e;
	date_parse(start, &s);
	int64_t now = clock_now();
	rc = dev_publicity_set(req->db, a.id, (int)step, s, (int)cfg.dev_publicity_workdays, auth_user_id(req), now, &e);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	char end[11];
	date_format(e, end);
	struct audit_event ev = {"dev.publicity", "dev_applicant", a.id, a.org_id, true,
				 arena_printf(req->arena, "step=%d start=%s end=%s", (int)step, start, end)};
	if (audit_record(req, &ev) != 0)
		return;
	req_reply_json(req, 200, json_pack("{s:I, s:i, s:s, s:s, s:I}", "applicant_id", (json_int_t)a.id, "step",
					   (int)step, "start", start, "end", end, "workdays",
					   (json_int_t)cfg.dev_publicity_workdays));
}

static const struct route dev_publicity_routes[] = {
	{"PUT", "/api/v1/development/applicants/{id}/publicity", put_publicity, "dev.write", RF_TX_WRITE, 0,
	 "post a 公示 before step 7 or 23: {step, start}; the end on the working-day calendar (R-DEV-15)"},
};
ROUTE_TABLE(dev_publicity);
