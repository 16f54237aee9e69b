/* demo_meetings.c: the meetings' part of the demo district (DEMO_STEP, after the roster
 * in the same transaction): twelve months of 三会一课 for every branch, up to today, with
 * realistic gaps (most branches keep the cadence, some slip, a few often miss, and
 * February, 春节, is thinner everywhere), the older records approved by the level above
 * and the recent ones waiting, a few returned with a reason, a couple of exemptions,
 * and, in a small district, each member's attendance (study hours), 调阅 rows and the
 * 民主评议 grades. In a large district (the bench's) the records carry their counts
 * only, so that the demo stays quick and the compliance pass has its full load. */
#include "core/arena.h"
#include "core/clock.h"
#include "core/prng.h"
#include "model/demo.h"
#include "model/meeting.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* above this many organizations no attendance lines, views or grades are written */
#define DETAIL_MAX_ORGS 5000

enum demo_mtg_stmt { STMT_DM_ORGS, STMT_DM_MEMBERS, DEMO_MTG_STMT__MAX };
enum dm_org_col { DO_ID, DO_PARENT, DO_PATH, DO_KIND };
enum dm_member_col { DM_ID, DM_NAME, DM_ORG };

static const struct db_sql demo_mtg_sql[DEMO_MTG_STMT__MAX] = {
	[STMT_DM_ORGS] = {"demo_mtg.orgs",
	 "SELECT id, COALESCE(parent_id, 0), path, CASE type WHEN '党支部' THEN 1 WHEN '联合党支部' THEN 1"
	 " WHEN '党小组' THEN 2 ELSE 0 END FROM orgs ORDER BY id"},
	[STMT_DM_MEMBERS] = {"demo_mtg.members",
	 "SELECT id, name, org_id FROM members WHERE state IN ('normal', 'floating', 'abroad', 'lost') ORDER BY org_id, id"},
};
DB_SQL_TABLE(demo_meetings, demo_mtg_sql);

struct dbranch {
	int64_t id;
	const char *path;
	bool groups;
	int64_t *members; /* ids (arena) */
	const char **names;
	size_t n, cap;
};

static int cmp_id(const void *a, const void *b)
{
	int64_t x = ((const struct dbranch *)a)->id, y = ((const struct dbranch *)b)->id;
	return x < y ? -1 : x > y;
}

static struct dbranch *find(struct dbranch *b, size_t n, int64_t id)
{
	struct dbranch k = {.id = id};
	return n ? bsearch(&k, b, n, sizeof *b, cmp_id) : NULL;
}

static const char *const topics[MTG_TYPE__MAX] = {
	[MTG_GENERAL] = "传达学习上级会议精神，讨论支部重点工作", [MTG_COMMITTEE] = "研究本月支部工作安排",
	[MTG_GROUP] = "学习交流、谈心谈话", [MTG_LECTURE] = "书记讲党课：坚定理想信念 践行初心使命",
	[MTG_THEME_DAY] = "主题党日：志愿服务进社区", [MTG_LIFE] = "召开年度组织生活会，开展批评与自我批评",
	[MTG_APPRAISAL] = "年度民主评议党员",
};
static const char *const places[] = {"社区党群服务中心", "支部活动室", "居委会会议室", "楼组议事点"};
static const char *const leave_reasons[] = {"工作原因", "外出", "身体原因", "照顾家人"};
static const char *const return_reasons[] = {"请补充会议照片", "出席人数与签到表不一致，请核实", "会议内容过于简略，请补充"};

static enum db_rc build(struct db *db, const struct demo_spec *spec, char *why, size_t whylen)
{
	struct arena *a = arena_new();
	struct prng p;
	prng_seed(&p, spec->seed * 31 + 15);
	char today_s[11];
	clock_today(today_s);
	struct date today;
	date_parse(today_s, &today);
	int64_t now = clock_now();
	bool detail = spec->orgs <= DETAIL_MAX_ORGS;

	/* branches and which of them have groups */
	struct dbranch *br = NULL;
	size_t nb = 0, cap = 0;
	struct { int64_t id, parent; } *groups = NULL;
	size_t ng = 0, gcap = 0;
	enum db_rc rc = DB_OK;
	struct db_stmt *st = db_prepare(db, &demo_mtg_sql[STMT_DM_ORGS]);
	if (!st)
		rc = DB_ERROR;
	while (rc == DB_OK && (rc = db_step(st)) == DB_ROW) {
		int kind = (int)db_col_int(st, DO_KIND);
		if (kind == 1) {
			if (nb == cap) {
				cap = cap ? cap * 2 : 256;
				br = realloc(br, cap * sizeof *br);
			}
			br[nb++] = (struct dbranch){.id = db_col_int(st, DO_ID), .path = db_col_dup(a, st, DO_PATH)};
		} else if (kind == 2) {
			if (ng == gcap) {
				gcap = gcap ? gcap * 2 : 256;
				groups = realloc(groups, gcap * sizeof *groups);
			}
			groups[ng].id = db_col_int(st, DO_ID);
			groups[ng++].parent = db_col_int(st, DO_PARENT);
		}
		rc = DB_OK;
	}
	if (rc == DB_DONE)
		rc = DB_OK;
	for (size_t i = 0; rc == DB_OK && i < ng; i++) {
		struct dbranch *b = find(br, nb, groups[i].parent);
		if (b)
			b->groups = true;
	}
	if (rc == DB_OK && detail) {
		st = db_prepare(db, &demo_mtg_sql[STMT_DM_MEMBERS]);
		rc = st ? DB_OK : DB_ERROR;
		while (rc == DB_OK && (rc = db_step(st)) == DB_ROW) {
			struct dbranch *b = find(br, nb, db_col_int(st, DM_ORG));
			rc = DB_OK;
			if (!b)
				continue;
			if (b->n == b->cap) {
				size_t nc = b->cap ? b->cap * 2 : 16;
				int64_t *nm = arena_alloc(a, nc * sizeof *nm);
				const char **nn = arena_alloc(a, nc * sizeof *nn);
				if (b->n) {
					memcpy(nm, b->members, b->n * sizeof *nm);
					memcpy(nn, b->names, b->n * sizeof *nn);
				}
				b->members = nm;
				b->names = nn;
				b->cap = nc;
			}
			b->members[b->n] = db_col_int(st, DM_ID);
			b->names[b->n++] = db_col_dup(a, st, DM_NAME);
		}
		if (rc == DB_DONE)
			rc = DB_OK;
	}

	/* twelve months up to this one */
	struct date start = date_add_months((struct date){today.y, today.m, 1}, -11);
	struct mtg_attendee *att = NULL;
	size_t acap = 0;
	int64_t made = 0;
	for (size_t i = 0; rc == DB_OK && i < nb; i++) {
		struct dbranch *b = &br[i];
		unsigned diligence = prng_chance(&p, 60) ? 95 : prng_chance(&p, 75) ? 75 : 40;
		int exempt_month = diligence == 40 && prng_chance(&p, 50) ? (int)prng_range(&p, 0, 11) : -1;
		if (b->n + 4 > acap) {
			acap = b->n + 16;
			att = realloc(att, acap * sizeof *att);
		}
		for (int k = 0; rc == DB_OK && k < 12; k++) {
			struct date m0 = date_add_months(start, k);
			if (k == exempt_month) {
				char key[8];
				mtg_period_key(MTG_COMMITTEE, m0, key);
				rc = mtg_exempt_add(db, b->id, b->path, MTG_COMMITTEE, key, "支部换届，经上级党组织批准暂缓", 0, now);
				if (rc != DB_OK)
					break;
			}
			for (int t = 1; rc == DB_OK && t < MTG_TYPE__MAX; t++) {
				enum mtg_cadence c = mtg_type_cadence(t);
				if (t == MTG_GROUP && !b->groups)
					continue;
				if (c == MTG_QUARTERLY && m0.m % 3 != 0)
					continue;
				if (c == MTG_YEARLY && m0.m != 1 && m0.m != 12)
					continue;
				if (t == MTG_COMMITTEE && k == exempt_month)
					continue;
				unsigned pct = diligence - (m0.m == 2 ? 20 : 0);
				if (!prng_chance(&p, pct))
					continue;
				int dmax = date_month_days(m0.y, m0.m);
				struct date d = {m0.y, m0.m, (int)prng_range(&p, 3, dmax - 2)};
				if (date_cmp(d, today) > 0) {
					if (m0.y == today.y && m0.m == today.m && today.d > 1)
						d.d = (int)prng_range(&p, 1, today.d - 1);
					else
						continue; /* this month's meeting is still to come */
				}
				char *held = arena_alloc(a, 11);
				date_format(d, held);
				struct meeting m = {
					.org_id = b->id, .org_path = b->path, .type = t, .topic = topics[t], .held_on = held,
					.place = places[prng_below(&p, 4)], .host = "支部书记", .recorder = "组织委员",
					.content = "会议按议程进行，与会党员进行了学习讨论。", .resolution = "按会议部署抓好落实。",
					.hours_x10 = t == MTG_LECTURE || t == MTG_THEME_DAY || t == MTG_LIFE ? 20 : 10,
					.created_at = now, .updated_at = now,
				};
				int64_t age = date_to_days(today) - date_to_days(d);
				m.status = age > 30 ? MTG_APPROVED : MTG_SUBMITTED;
				if (age <= 10 && prng_chance(&p, 30))
					m.status = MTG_DRAFT;
				size_t na = 0;
				m.due = detail ? (int)b->n : (int)prng_range(&p, 8, 40);
				if (detail) {
					for (size_t j = 0; j < b->n; j++) {
						unsigned r = (unsigned)prng_below(&p, 100);
						enum mtg_att s = r < 86 ? MTG_PRESENT : r < 96 ? MTG_LEAVE : MTG_ABSENT;
						att[na++] = (struct mtg_attendee){b->members[j], b->names[j],
										  s == MTG_LEAVE ? leave_reasons[prng_below(&p, 4)] : NULL, s};
						m.present += s == MTG_PRESENT;
						m.leave += s == MTG_LEAVE;
						m.absent += s == MTG_ABSENT;
					}
				} else {
					m.present = m.due - (int)prng_range(&p, 0, m.due / 5);
					m.leave = m.due - m.present;
				}
				rc = mtg_insert(db, &m, att, na);
				if (rc != DB_OK)
					break;
				made++;
				if (m.status == MTG_APPROVED && detail) {
					/* the reviewer and the returns (a large district keeps the status of the insert) */
					bool returned = prng_chance(&p, 5);
					rc = mtg_set_status(db, m.id, returned ? MTG_RETURNED : MTG_APPROVED,
							    returned ? return_reasons[prng_below(&p, 3)] : NULL, 0, "街道党工委",
							    now - (age - 5) * 86400);
					int views = detail ? (int)prng_range(&p, 0, 3) : 0;
					for (int v = 0; rc == DB_OK && v < views; v++)
						rc = mtg_view_add(db, m.id, b->path, 0, "街道党工委", now - (age - 3) * 86400);
				}
				if (rc == DB_OK && detail && t == MTG_APPRAISAL) {
					static const char *const g[] = {"excellent", "qualified", "basic", "unqualified"};
					static const unsigned w[] = {15, 80, 4, 1};
					for (size_t j = 0; rc == DB_OK && j < b->n; j++)
						rc = mtg_grade_set(db, b->members[j], d.y, b->id, m.id, g[prng_weighted(&p, w, 4)], now);
				}
			}
		}
	}
	if (rc != DB_OK && whylen)
		snprintf(why, whylen, "meetings demo: database error after %lld records", (long long)made);
	free(att);
	free(br);
	free(groups);
	arena_free(a);
	return rc;
}

DEMO_STEP(meetings, build);
