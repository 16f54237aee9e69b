/* demo_bases.c: the bases' part of the demo district (DEMO_STEP bases): a dozen bases
 * run by the district's committees, with a year of bookings by its branches (ten months
 * past, visited or not, and two months ahead, some waiting for approval), deterministic
 * for a seed. Written through the model's own inserts, in the demo's transaction. */
#include "core/arena.h"
#include "core/clock.h"
#include "core/prng.h"
#include "model/base.h"
#include "model/demo.h"
#include <stdio.h>
#include <string.h>

enum demo_base_stmt { STMT_DB_RUNNERS, STMT_DB_BRANCHES, DB_STMT__MAX };
enum demo_org_col { DO_COL_ID, DO_COL_PATH };
static const struct db_sql demo_base_sql[DB_STMT__MAX] = {
	[STMT_DB_RUNNERS] = {"demo_bases.runners",
	 "SELECT id, path FROM orgs WHERE type IN ('党委', '党工委') ORDER BY id LIMIT 12"},
	[STMT_DB_BRANCHES] = {"demo_bases.branches",
	 "SELECT id, path FROM orgs WHERE type IN ('党支部', '联合党支部') ORDER BY id LIMIT 400"},
};
DB_SQL_TABLE(demo_bases, demo_base_sql);

static const char *const names[] = {
	"红色记忆纪念馆", "党史学习教育展馆", "先锋科技企业党建阵地", "幸福里社区党群服务中心", "实验中学党建教育基地",
	"老街红色驿站",   "革命烈士陵园",     "智造园区党群服务站",   "滨江社区党群服务中心",   "师范大学党员教育基地",
	"廉政文化教育馆", "新时代文明实践中心",
};
static const int kind_of[] = {0, 0, 1, 2, 3, 4, 0, 1, 2, 3, 0, 4};

struct orgs {
	int64_t id[400];
	char path[400][64];
	int n;
};

static enum db_rc load_orgs(struct db *db, enum demo_base_stmt which, struct orgs *o)
{
	struct db_stmt *st = db_prepare(db, &demo_base_sql[which]);
	if (!st)
		return DB_ERROR;
	enum db_rc rc;
	o->n = 0;
	while ((rc = db_step(st)) == DB_ROW && o->n < 400) {
		o->id[o->n] = db_col_int(st, DO_COL_ID);
		snprintf(o->path[o->n], sizeof o->path[0], "%s", db_col_text(st, DO_COL_PATH));
		o->n++;
	}
	db_reset(st);
	return rc == DB_DONE || rc == DB_ROW ? DB_OK : rc;
}

static enum db_rc demo_bases(struct db *db, const struct demo_spec *spec, char *why, size_t whylen)
{
	static struct orgs runners, branches;
	enum db_rc rc = load_orgs(db, STMT_DB_RUNNERS, &runners);
	if (rc == DB_OK)
		rc = load_orgs(db, STMT_DB_BRANCHES, &branches);
	if (rc != DB_OK) {
		snprintf(why, whylen, "bases: cannot read the organizations");
		return rc;
	}
	if (runners.n == 0 || branches.n == 0)
		return DB_OK;
	struct prng p;
	prng_seed(&p, spec->seed ^ 0xba5e5ull);
	struct arena *a = arena_new();
	char today_s[11];
	clock_today(today_s);
	struct date today;
	date_parse(today_s, &today);
	int64_t t0 = date_to_days(today), now = clock_now();
	for (int i = 0; i < 12 && rc == DB_OK; i++) {
		struct base_rec b;
		memset(&b, 0, sizeof b);
		b.org_id = runners.id[i % runners.n];
		b.name = names[i];
		b.kind = base_kinds[kind_of[i]];
		b.address = arena_printf(a, "示范区%s路%d号", i % 2 ? "人民" : "建设", 10 + i * 7);
		b.has_point = true;
		b.lat_e6 = 31200000 + (int64_t)prng_range(&p, 0, 80000);
		b.lng_e6 = 121420000 + (int64_t)prng_range(&p, 0, 90000);
		b.capacity = (int)prng_range(&p, 3, 8) * 10;
		b.slot_minutes = i % 3 == 0 ? 120 : 60;
		b.hours_json = i % 4 == 3 ? "[\"09:00-17:00\",\"09:00-17:00\",\"09:00-17:00\",\"09:00-17:00\",\"09:00-17:00\",null,null]"
					  : "[null,\"09:00-17:00\",\"09:00-17:00\",\"09:00-17:00\",\"09:00-17:00\",\"09:00-17:00\",\"09:00-12:00\"]";
		json_t *h = json_loads(b.hours_json, 0, NULL);
		base_hours_parse(h, &b);
		json_decref(h);
		b.offers_json = i % 2 ? "[\"讲解\",\"重温入党誓词\"]" : "[\"讲解\",\"党课\",\"重温入党誓词\"]";
		b.description = "面向全区各级党组织开放，可开展主题党日、党课、重温入党誓词等组织生活。";
		b.contact_name = "基地管理员";
		b.contact_phone = arena_printf(a, "021-6%07d", (int)prng_range(&p, 0, 9999999));
		b.approval_required = i % 5 != 4;
		b.holidays_closed = kind_of[i] == 1 || kind_of[i] == 3; /* enterprises and schools */
		b.open = true;
		rc = base_insert(db, &b, now);
		if (rc != DB_OK)
			break;
		/* a year: ten months back, two ahead; at most one booking per slot */
		int64_t first = t0 - 300, last = t0 + 60;
		int want = (int)prng_range(&p, 120, 180);
		for (int k = 0, tries = 0; k < want && tries < want * 4 && rc == DB_OK; tries++) {
			int64_t d = first + (int64_t)prng_below(&p, (uint64_t)(last - first + 1));
			struct date dd = date_from_days(d);
			int wd = base_weekday(dd);
			if (b.opens[wd] < 0 || d == t0)
				continue;
			int nslots = (b.closes[wd] - b.opens[wd]) / b.slot_minutes;
			int start = b.opens[wd] + (int)prng_below(&p, (uint64_t)nslots) * b.slot_minutes;
			struct base_booking bk;
			memset(&bk, 0, sizeof bk);
			int o = (int)prng_below(&p, (uint64_t)branches.n);
			bk.base_id = b.id;
			bk.org_id = branches.id[o];
			bk.org_path = branches.path[o];
			date_format(dd, bk.day);
			int64_t taken = 0;
			rc = base_slot_taken(db, b.id, bk.day, start, &taken, NULL);
			if (rc != DB_OK || taken > 0)
				continue;
			bk.slot_start = start;
			bk.slot_end = start + b.slot_minutes;
			bk.headcount = (int)prng_range(&p, 5, b.capacity < 25 ? b.capacity : 25);
			bk.purpose = (k % 3 == 0) ? "主题党日：参观学习" : (k % 3 == 1) ? "重温入党誓词" : "党课：学习党史";
			bk.leader = "支部书记";
			bk.attended = -1;
			if (d < t0) {
				unsigned w[] = {84, 5, 6, 5};
				unsigned s = prng_weighted(&p, w, 4);
				bk.status = s == 0 ? BK_COMPLETED : s == 1 ? BK_NO_SHOW : s == 2 ? BK_CANCELLED : BK_DECLINED;
			} else {
				unsigned w[] = {60, 30, 5, 5};
				unsigned s = prng_weighted(&p, w, 4);
				bk.status = s == 0 ? BK_APPROVED : s == 1 ? BK_REQUESTED : s == 2 ? BK_CANCELLED : BK_DECLINED;
				if (!b.approval_required && bk.status == BK_REQUESTED)
					bk.status = BK_APPROVED;
			}
			int64_t made = now - (t0 - d + 14) * 86400;
			rc = base_booking_insert(db, &bk, made < now ? made : now);
			if (rc != DB_OK)
				break;
			if (bk.status == BK_COMPLETED || bk.status == BK_DECLINED) {
				if (bk.status == BK_COMPLETED) {
					bk.attended = bk.headcount - (int)prng_range(&p, 0, 3);
					bk.checked_in_at = (d - 0) * 86400 + start * 60 - 8 * 3600;
				} else
					bk.decline_reason = "当天已有接待安排，请改约其他时段";
				rc = base_booking_set_status(db, &bk, now);
			}
			k++;
		}
	}
	arena_free(a);
	if (rc != DB_OK)
		snprintf(why, whylen, "bases: cannot write the demo bases");
	return rc;
}
DEMO_STEP(bases, demo_bases);
