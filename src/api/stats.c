/* stats.c: GET /api/v1/stats/members?org_id=: the roster's figures over a subtree (or
 * the caller's whole scope), from one pass over the covering index (model/stats.c). */
#include "api/roster_util.h"
#include "auth/scope.h"
#include "core/jsonw.h"
#include "http/params.h"
#include "http/request.h"
#include "model/stats.h"
#include <string.h>

struct stats_in {
	int64_t org_id;
};
static const struct param stats_params[] = {PARAM_ID(struct stats_in, org_id, "党组织编号无效")};
static const struct params stats_in = PARAMS(struct stats_in, stats_params);

static void get_member_stats(struct request *req)
{
	const struct stats_in *in = req->in;
	const char **prefix = NULL, **end = NULL;
	size_t n = roster_org_ranges(req, "stats.read", in->org_id, &prefix, &end);
	if (req_failed(req))
		return;
	struct member_stats total, s;
	memset(&total, 0, sizeof total);
	struct date today = roster_today();
	for (size_t i = 0; i < n; i++) {
		enum db_rc rc = stats_members(req->db, prefix[i], end[i], today, &s);
		if (rc != DB_OK) {
			req_fail_db(req, rc);
			return;
		}
		stats_add(&total, &s);
	}
	struct jsonw w;
	jw_init(&w, req->arena, 2048);
	stats_members_write(&w, &total);
	req_reply_raw(req, 200, "application/json", w.buf, w.len);
}

static const struct route stats_routes[] = {
	{"GET", "/api/v1/stats/members", get_member_stats, "stats.read", RF_TX_READ | RF_REPLICA, 0, "member statistics of a subtree",
	 &stats_in},
};
ROUTE_TABLE(stats);
