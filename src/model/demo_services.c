/* demo_services.c: the service requests of the demo district (DEMO_STEP services): the
 * catalogue, skill tags on some members of each grid (the volunteers), and a year of
 * requests across the communities' grids, in every state, most of them rated. Written
 * with the model's own functions so that the demo obeys the same rules as the API. */
#include "core/arena.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/prng.h"
#include "model/demo.h"
#include "model/service.h"
#include "model/token.h"
#include <stdio.h>
#include <string.h>

enum demo_svc_stmt { STMT_DSVC_ROOT, STMT_DSVC_GRIDS, STMT_DSVC_TAGS, STMT_DSVC_VOLUNTEERS, DSVC_STMT__MAX };
enum demo_svc_vol_col { DSVC_V_GRID, DSVC_V_MEMBER };
enum demo_svc_grid_col { DSVC_G_ID, DSVC_G_ORG, DSVC_G_BRANCH, DSVC_G_BUILDING };
static const struct db_sql dsvc_sql[DSVC_STMT__MAX] = {
	[STMT_DSVC_ROOT] = {"demo_svc.root", "SELECT id FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1"},
	/* every grid with its community, its 网格党支部 and one of its buildings */
	[STMT_DSVC_GRIDS] = {"demo_svc.grids",
	 "SELECT g.id, g.org_id, (SELECT MIN(o.id) FROM orgs o WHERE o.grid_id = g.id AND o.type = '党支部'),"
	 " (SELECT MIN(b.name) FROM buildings b WHERE b.grid_id = g.id) FROM grids g ORDER BY g.id"},
	/* volunteers: about one member in twelve of each grid gets skill tags */
	[STMT_DSVC_TAGS] = {"demo_svc.tags",
	 "UPDATE members SET tags = $1 WHERE grid_id IS NOT NULL AND tags IS NULL AND id % 60 = $2"},
	/* one volunteer per grid, in one pass over the members (no index on grid_id) */
	[STMT_DSVC_VOLUNTEERS] = {"demo_svc.volunteers",
	 "SELECT grid_id, MIN(id) FROM members WHERE grid_id IS NOT NULL AND tags IS NOT NULL GROUP BY grid_id ORDER BY grid_id"},
};
DB_SQL_TABLE(demo_svc, dsvc_sql);

static const struct {
	const char *code, *name, *group, *skill, *desc;
	int sla;
} catalogue[] = {
	{"LIGHT", "楼道灯维修", "设施维修", "维修", "楼道、路灯不亮", 16},
	{"WATER", "漏水报修", "设施维修", "维修", "公共部位漏水、管道破损", 16},
	{"ELDER", "独居老人帮扶", "为老服务", "助老", "助餐、陪诊、代购等", 24},
	{"VISIT", "困难群众走访", "为老服务", "助老", "走访慰问困难家庭", 40},
	{"POLICY", "政策咨询", "政策咨询", "政策", "社保、医保、住房等政策咨询", 8},
	{"CLEAN", "环境卫生", "环境整治", "环境", "垃圾堆放、卫生死角", 16},
	{"PARK", "停车秩序", "环境整治", NULL, "乱停车、占用消防通道", 24},
	{"NOISE", "噪声扰民", "矛盾调解", "调解", "装修、夜间噪声", 24},
	{"DISPUTE", "邻里纠纷调解", "矛盾调解", "调解", "邻里矛盾、物业纠纷", 40},
	{"KIDS", "四点半课堂", "青少年服务", "教育", "放学后看护与作业辅导", 40},
};
#define NSVC (sizeof catalogue / sizeof catalogue[0])

/* each after the building's name */
static const char *const texts[] = {
	"楼道灯坏了好几天，晚上上下楼看不清，请尽快修理。",
	"三楼公共水管漏水，楼道地面湿滑。",
	"的独居老人行动不便，希望社区帮忙代购生活用品。",
	"附近有一户困难家庭，希望社区上门看看。",
	"居民想咨询办理居住证需要哪些材料。",
	"垃圾房旁边堆了很多建筑垃圾，气味很大。",
	"门口经常有车辆占用消防通道。",
	"楼上装修，晚上十点后还在施工。",
	"两户邻居因为晾衣问题发生争执，请社区调解。",
	"的双职工家庭希望孩子放学后能有地方写作业。",
};

static enum db_rc demo_services(struct db *db, const struct demo_spec *spec, char *why, size_t whylen)
{
	struct arena *a = arena_new();
	struct prng p;
	prng_seed(&p, spec->seed * 7919 + 18);
	int64_t now = clock_now(), root = 0, ids[NSVC];
	enum db_rc rc = DB_ERROR;
	struct db_stmt *st = db_prepare(db, &dsvc_sql[STMT_DSVC_ROOT]);
	if (!st || db_step(st) != DB_ROW) {
		snprintf(why, whylen, "services demo: no root organization");
		goto out;
	}
	root = db_col_int(st, DB_COL_ONLY);
	db_reset(st);
	for (size_t i = 0; i < NSVC; i++) {
		struct svc_service s = {.code = catalogue[i].code, .name = catalogue[i].name, .group = catalogue[i].group,
					.skill = catalogue[i].skill, .description = catalogue[i].desc, .org_id = root,
					.sla_hours = catalogue[i].sla, .active = true, .keywords = catalogue[i].group};
		if (i == 0)
			s.attributes = "[{\"code\":\"floor\",\"datatype\":\"string\",\"required\":false,"
				       "\"description\":\"楼层\",\"order\":1}]";
		if ((rc = svc_service_insert(db, &s, now - 400 * 86400)) != DB_OK) {
			snprintf(why, whylen, "services demo: catalogue %s", s.code);
			goto out;
		}
		ids[i] = s.id;
	}
	static const char *const tagsets[] = {"[\"维修\",\"志愿者\"]", "[\"助老\",\"志愿者\"]", "[\"政策\",\"调解\"]",
					      "[\"环境\",\"志愿者\"]", "[\"教育\",\"助老\"]"};
	for (int k = 0; k < 5; k++) { /* ids ≡ k (mod 60) */
		if (!(st = db_prepare(db, &dsvc_sql[STMT_DSVC_TAGS])))
			goto out;
		db_bind_text(st, 1, tagsets[k], -1);
		db_bind_int(st, 2, k);
		rc = db_step(st);
		db_reset(st);
		if (rc != DB_DONE)
			goto out;
	}
	/* the grids */
	int64_t (*grids)[4] = NULL;
	size_t ng = 0, cap = 0;
	const char **bnames = NULL;
	if (!(st = db_prepare(db, &dsvc_sql[STMT_DSVC_GRIDS])))
		goto out;
	while ((rc = db_step(st)) == DB_ROW) {
		if (ng == cap) {
			cap = cap ? cap * 2 : 64;
			int64_t(*ng_)[4] = arena_alloc(a, sizeof *ng_ * cap);
			const char **nb = arena_alloc(a, sizeof *nb * cap);
			if (ng) {
				memcpy(ng_, grids, sizeof *ng_ * ng);
				memcpy(nb, bnames, sizeof *nb * ng);
			}
			grids = ng_;
			bnames = nb;
		}
		grids[ng][0] = db_col_int(st, DSVC_G_ID);
		grids[ng][1] = db_col_int(st, DSVC_G_ORG);
		grids[ng][2] = db_col_null(st, DSVC_G_BRANCH) ? 0 : db_col_int(st, DSVC_G_BRANCH);
		bnames[ng] = db_col_dup(a, st, DSVC_G_BUILDING);
		ng++;
	}
	db_reset(st);
	if (rc != DB_DONE)
		goto out;
	rc = DB_OK;
	if (ng == 0)
		goto out;
	/* each grid's volunteer (grids and this list are both in grid id order) */
	int64_t *vol = arena_alloc(a, sizeof *vol * ng);
	memset(vol, 0, sizeof *vol * ng);
	if (!(st = db_prepare(db, &dsvc_sql[STMT_DSVC_VOLUNTEERS]))) {
		rc = DB_ERROR;
		goto out;
	}
	for (size_t gi = 0; (rc = db_step(st)) == DB_ROW;) {
		int64_t g = db_col_int(st, DSVC_V_GRID);
		while (gi < ng && grids[gi][0] < g)
			gi++;
		if (gi < ng && grids[gi][0] == g)
			vol[gi] = db_col_int(st, DSVC_V_MEMBER);
	}
	db_reset(st);
	if (rc != DB_DONE)
		goto out;
	rc = DB_OK;
	/* a year of requests: about 40 per grid, at most 20,000 in all */
	int64_t total = (int64_t)ng * 40;
	if (total > 20000)
		total = 20000;
	static const unsigned state_w[] = {3, 2, 2, 12, 70, 1, 4}; /* accepted … rejected, by age below */
	double b[4] = {121.40, 31.13, 121.48, 31.22};
	for (int64_t n = 0; n < total; n++) {
		size_t gi = (size_t)prng_below(&p, ng), si = (size_t)prng_below(&p, NSVC);
		int64_t age = (int64_t)prng_below(&p, 365 * 86400);
		int64_t at = now - age;
		struct svc_service s = {.id = ids[si], .sla_hours = catalogue[si].sla};
		const char *bn = bnames[gi] ? bnames[gi] : "小区";
		struct svc_request r = {.service_id = s.id, .org_id = grids[gi][1], .grid_id = grids[gi][0],
					.channel = prng_chance(&p, 60) ? "phone_page" : prng_chance(&p, 50) ? "walk_in" : "phone_call",
					.requested_at = at, .due_at = svc_due_at(NULL, at, s.sla_hours), /* the plain week: a calendar look-up per day would cost more than the row */
					.address = bn, .contact_name = prng_chance(&p, 50) ? "王先生" : "李阿姨"};
		r.description = arena_printf(a, "%s%s", bn, texts[si]);
		if (prng_chance(&p, 80)) {
			r.has_point = true;
			r.lat_e6 = (int64_t)(b[1] * 1e6) + (int64_t)prng_below(&p, (uint64_t)((b[3] - b[1]) * 1e6));
			r.lon_e6 = (int64_t)(b[0] * 1e6) + (int64_t)prng_below(&p, (uint64_t)((b[2] - b[0]) * 1e6));
		}
		char mobile[12];
		snprintf(mobile, sizeof mobile, "13%09llu", (unsigned long long)prng_below(&p, 1000000000ULL));
		unsigned char fh[16];
		token_hash("svc.follow", arena_printf(a, "demo%lld", (long long)n), fh);
		if ((rc = svc_request_insert(db, a, &r, mobile, fh)) != DB_OK) {
			snprintf(why, whylen, "services demo: request %lld", (long long)n);
			goto out;
		}
		/* recent ones are still open; older ones done and mostly rated */
		enum svc_state to = age < 3 * 86400 ? (enum svc_state)prng_weighted(&p, state_w, 3)
			       : age < 20 * 86400 ? (enum svc_state)prng_weighted(&p, state_w, SVC_STATE__MAX)
						  : (prng_chance(&p, 5) ? SVC_REJECTED : prng_chance(&p, 85) ? SVC_RATED : SVC_COMPLETED);
		int64_t done = at + (int64_t)prng_range(&p, 2 * 3600, (int64_t)catalogue[si].sla * 3600 * 3);
		r.state = to;
		r.updated_at = at;
		if (to != SVC_ACCEPTED && to != SVC_REJECTED) {
			r.assignee_kind = prng_chance(&p, 60) || !grids[gi][2] ? "volunteer" : "grid";
			if (strcmp(r.assignee_kind, "grid") == 0) {
				r.assignee_org_id = grids[gi][2];
				r.assignee_name = "网格党支部";
			} else {
				r.assignee_member_id = vol[gi];
				r.assignee_kind = r.assignee_member_id ? "volunteer" : "social";
				r.assignee_name = r.assignee_member_id ? "党员志愿者" : "阳光社工服务社";
			}
			r.updated_at = at + 1800;
		}
		if (to == SVC_COMPLETED || to == SVC_RATED) {
			r.completed_at = done < now ? done : now;
			r.updated_at = r.completed_at;
			r.rate_expires = r.completed_at + SVC_RATE_TTL;
			r.status_note = "已办结";
		}
		if (to == SVC_RATED) {
			static const unsigned rw[] = {88, 9, 3};
			static const char *const rv[] = {"satisfied", "basic", "unsatisfied"};
			r.rating = rv[prng_weighted(&p, rw, 3)];
			r.rated_at = r.completed_at + 3600;
			r.updated_at = r.rated_at;
		}
		if (to == SVC_REJECTED)
			r.status_note = "不予受理：不属于社区服务范围";
		if (to != SVC_ACCEPTED && (rc = svc_request_save(db, &r)) != DB_OK)
			goto out;
		if ((rc = svc_event_add(db, r.id, at, 0, NULL, "create", NULL, "accepted", "已受理", true)) != DB_OK ||
		    (to != SVC_ACCEPTED &&
		     (rc = svc_event_add(db, r.id, r.updated_at, 0, NULL, "demo", "accepted", svc_state_code(to),
					 r.status_note, true)) != DB_OK))
			goto out;
	}
	rc = DB_OK;
out:
	if (rc != DB_OK && !why[0])
		snprintf(why, whylen, "services demo: database error");
	arena_free(a);
	return rc;
}
DEMO_STEP(services, demo_services);
