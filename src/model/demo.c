/* demo.c: the demo district generator behind `dangjian demo` (src/cli/demo.c): a
 * realistic district for demonstrations and benchmarks. 街道党工委 → 社区党委 → 网格党支部 → 楼院党小组 (with
 * grids and buildings), plus 机关, 学校, 国企 and 两新 organizations; members with
 * plausible names, valid ID numbers and dates that pass member_validate (every row is
 * checked, so the demo obeys the same rules as the API). Deterministic for a seed (own
 * PRNG; the date is fixed by the clock). Loads in its caller's transaction; from
 * 10,000 members into an empty roster, the secondary indexes are built after the load
 * (DESIGN.md §10). Refuses a database that already has organizations. */
#include "core/arena.h"
#include "core/clock.h"
#include "core/idcard.h"
#include "core/prng.h"
#include "model/demo.h"
#include "model/grid.h"
#include "model/member.h"
#include "model/org.h"
#include "model/user.h"
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const surnames[] = {
	"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何",
	"高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田",
	"董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁", "任", "沈", "姚",
	"卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金", "石", "廖", "贾", "夏", "韦", "付", "方", "白",
	"邹", "孟", "熊", "秦", "邱", "江", "尹", "薛", "闫", "段", "雷", "侯", "龙", "史", "陶", "黎", "贺",
	"顾", "毛", "郝", "龚", "邵", "万", "钱", "严", "覃", "武", "戴", "莫", "孔", "向", "汤", "欧阳", "司马"};
static const unsigned surname_w[] = {
	74, 72, 70, 54, 46, 32, 24, 20, 20, 18, 18, 15, 14, 13, 13, 12, 12, 12, 12, 10, 10, 10, 9, 9, 8, 8,
	7, 7, 7, 6, 6, 6, 6, 5, 5, 5, 5, 5, 5, 5, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 1, 1};
static const char *const given_m[] = {
	"伟", "强", "磊", "军", "勇", "杰", "涛", "斌", "超", "明", "刚", "平", "辉", "鹏", "华", "飞", "鑫",
	"波", "宇", "浩", "凯", "健", "俊", "帆", "帅", "旭", "宁", "龙", "林", "建国", "建华", "志强", "国庆",
	"海涛", "文博", "子轩", "浩然", "宇航", "振华", "卫东", "德明", "永刚", "晓东", "立新", "红军", "天佑"};
static const char *const given_f[] = {
	"芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "燕", "玲", "桂英", "秀英", "婷", "雪", "慧", "莹",
	"晶", "倩", "颖", "琳", "欣怡", "梓涵", "诗涵", "雨桐", "淑华", "秀兰", "玉兰", "海燕", "丽华", "春梅",
	"红梅", "晓红", "雅琴", "佳怡", "思雨", "文静", "美玲", "凤英", "秋菊", "丹"};
static const char *const roads[] = {"长乐路", "建国西路", "永康路", "嘉善路", "陕西南路", "复兴中路",
				    "肇嘉浜路", "瑞金二路", "天平路", "衡山路", "宛平路", "桂林路"};
static const char *const provinces[] = {"上海", "江苏", "浙江", "安徽", "山东", "河南", "湖北",
					"四川", "江西", "福建", "湖南", "河北"};
/* areas of birth: the district itself (mostly) and a few other places */
static const char *const areas[] = {"310104", "310104", "310104", "310101", "310105", "320102",
				    "330106", "340104", "370102", "410105", "420106", "510107"};
static const char *const minorities[] = {"02", "03", "04", "05", "06", "08", "10", "11", "15", "22"};
static const char *const units_fg[] = {"科技", "信息", "物业", "餐饮", "贸易", "设计", "物流", "医药"};
static const char *const units_sz[] = {"志愿者协会", "社工服务中心", "养老服务社", "律师协会", "商会"};

struct branch {
	int64_t id;
	const char *domain;
	int64_t groups[4];
	int ngroups;
	int64_t grid_id;
	unsigned weight;
	int64_t members;
	char names[5][32];
	int nnames;
	int sec_sex;
};

struct demo {
	struct db *db;
	struct arena *a;
	struct prng p;
	int64_t budget, orgs;
	struct date today;
	char today_s[11];
	struct branch *br;
	size_t nbr, capbr;
	int64_t now;
	int streets;
	int64_t members;	     /* the members asked for (the shapes plan them) */
	int64_t mleft;		     /* members of the street not yet planned into a unit */
	int fg, sz, xx, jg, gq, comm; /* name counters of the shaped district */
};

static void pick_name(struct demo *d, int sex, char *buf, size_t cap)
{
	const char *s = surnames[prng_weighted(&d->p, surname_w, sizeof surname_w / sizeof surname_w[0])];
	const char *g = sex == 1 ? given_m[prng_below(&d->p, sizeof given_m / sizeof given_m[0])]
				 : given_f[prng_below(&d->p, sizeof given_f / sizeof given_f[0])];
	snprintf(buf, cap, "%s%s", s, g);
}

static const char *date_str(struct demo *d, struct date t)
{
	char b[11];
	date_format(t, b);
	return arena_strdup(d->a, b);
}

/* A term started 0–6 years ago: some current, some due within 6 months, some overdue. */
static const char *term_start(struct demo *d)
{
	int64_t days = date_to_days(d->today) - prng_range(&d->p, 30, 6 * 365);
	return date_str(d, date_from_days(days));
}

static int64_t add_org(struct demo *d, int64_t parent, const char *name, const char *type, const char *label,
		       const char *domain, int64_t grid_id)
{
	if (d->budget <= 0)
		return 0;
	struct org_rec o;
	memset(&o, 0, sizeof o);
	o.parent_id = parent;
	o.name = name;
	o.type = type;
	o.label = label;
	o.domain = domain;
	o.grid_id = grid_id;
	char sec[32];
	int sec_sex = prng_chance(&d->p, 60) ? 1 : 2;
	pick_name(d, sec_sex, sec, sizeof sec);
	o.secretary = sec;
	o.founded_on = date_str(d, date_from_days(date_to_days(d->today) - prng_range(&d->p, 3 * 365, 40 * 365)));
	if (strcmp(type, "党小组") != 0)
		o.term_started_on = term_start(d);
	o.address = arena_printf(d->a, "%s%d号", roads[prng_below(&d->p, 12)], (int)prng_range(&d->p, 1, 999));
	o.created_at = d->now;
	if (org_insert(d->db, d->a, &o) != DB_OK)
		return -1;
	d->budget--;
	d->orgs++;
	bool branch = strcmp(type, "党支部") == 0 || strcmp(type, "联合党支部") == 0;
	if (branch) {
		if (d->nbr == d->capbr) {
			d->capbr = d->capbr ? d->capbr * 2 : 64;
			d->br = realloc(d->br, d->capbr * sizeof *d->br);
			if (!d->br)
				abort();
		}
		struct branch *b = &d->br[d->nbr++];
		memset(b, 0, sizeof *b);
		b->id = o.id;
		b->domain = domain;
		b->grid_id = grid_id;
		b->weight = (unsigned)prng_range(&d->p, 8, 60);
		snprintf(b->names[0], sizeof b->names[0], "%s", sec);
		b->nnames = 1;
		b->sec_sex = sec_sex;
	}
	return o.id;
}

static struct branch *last_branch(struct demo *d, int64_t id)
{
	return d->nbr && d->br[d->nbr - 1].id == id ? &d->br[d->nbr - 1] : NULL;
}

static int build_community(struct demo *d, int64_t root, int k)
{
	static const char *const names[] = {"康乐", "新华", "湖南", "天平", "枫林", "斜土", "田林", "虹梅",
					    "长桥", "凌云", "华泾", "龙华", "徐家汇", "漕河泾", "康健", "永嘉"};
	const char *base = names[k % 16];
	const char *cname = k < 16 ? arena_printf(d->a, "%s社区党委", base)
				   : arena_printf(d->a, "%s第%d社区党委", base, k / 16 + 1);
	int64_t c = add_org(d, root, cname, "党委", prng_chance(&d->p, 50) ? "社区党委" : "区域党委", "社区", 0);
	if (c <= 0)
		return (int)c;
	int ngrids = (int)prng_range(&d->p, 3, 5);
	for (int g = 1; g <= ngrids && d->budget > 0; g++) {
		int64_t grid;
		if (grid_insert(d->db, c, arena_printf(d->a, "第%d网格", g), arena_printf(d->a, "G%lld-%d", (long long)c, g),
				&grid) != DB_OK)
			return -1;
		int64_t b = add_org(d, c, arena_printf(d->a, "%s第%d网格党支部", base, g), "党支部", "网格党支部", "社区", grid);
		if (b < 0)
			return -1;
		struct branch *br = last_branch(d, b);
		int ng = (int)prng_range(&d->p, 1, 3);
		for (int h = 1; h <= ng && br && d->budget > 0; h++) {
			const char *road = roads[prng_below(&d->p, 12)];
			int no = (int)prng_range(&d->p, 1, 99) + (h - 1) * 100; /* distinct within the grid */
			int64_t grp = add_org(d, b, arena_printf(d->a, "%s%d弄楼院党小组", road, no), "党小组", "楼院党小组",
					      "社区", grid);
			if (grp < 0)
				return -1;
			int64_t bld;
			if (building_insert(d->db, grid, grp, arena_printf(d->a, "%s%d弄", road, no),
					    arena_printf(d->a, "%s%d弄", road, no), &bld) != DB_OK)
				return -1;
			br->groups[br->ngroups++] = grp;
		}
	}
	return 0;
}

/* A unit with a committee of kind type over nb branches in domain. */
static int build_unit(struct demo *d, int64_t root, const char *uname, const char *type, const char *domain, int nb)
{
	int64_t u = add_org(d, root, arena_printf(d->a, "%s%s", uname, type), type, NULL, domain, 0);
	if (u <= 0)
		return (int)u;
	for (int i = 1; i <= nb && d->budget > 0; i++)
		if (add_org(d, u, arena_printf(d->a, "%s第%d党支部", uname, i), "党支部", NULL, domain, 0) < 0)
			return -1;
	return 0;
}

/* One street's organizations under root, until the budget is spent. */
static int build_street(struct demo *d, int64_t root)
{
	/* about a third of the organizations outside the communities (机关, 学校, 国企,
	 * 两新), built first so that even a small district has every domain; the
	 * communities (社区党委 → 网格党支部 → 楼院党小组) take the rest */
	static const char kinds[] = "JGFSZFZJGF";
	int k = 0, comm = 0, jg = 0, xx = 0, gq = 0, fg = 0, sz = 0;
	int64_t keep = d->budget - d->budget / 3;
	while (d->budget > keep) {
		int64_t before = d->budget;
		d->budget -= keep; /* a unit may not eat into the communities' share */
		int rc = 0;
		switch (kinds[k++ % (sizeof kinds - 1)]) {
		case 'J':
			rc = build_unit(d, root, arena_printf(d->a, "区%s局机关", (const char *[]){"民政", "教育", "卫健", "财政", "司法"}[jg++ % 5]),
					"党总支", "机关", (int)prng_range(&d->p, 2, 3));
			break;
		case 'S':
			rc = build_unit(d, root, arena_printf(d->a, "枫林第%d中学", ++xx), "党总支", "学校", (int)prng_range(&d->p, 2, 4));
			break;
		case 'G':
			rc = build_unit(d, root, arena_printf(d->a, "上海%s集团", (const char *[]){"城建", "电气", "申通", "光明"}[gq++ % 4]),
					"党委", "国企", (int)prng_range(&d->p, 3, 5));
			break;
		case 'F':
			rc = add_org(d, root, arena_printf(d->a, "上海枫林%s有限公司党支部", units_fg[fg++ % 8]), "党支部", NULL, "非公企业", 0) < 0 ? -1 : 0;
			break;
		case 'Z':
			rc = add_org(d, root, arena_printf(d->a, "枫林街道%s联合党支部", units_sz[sz++ % 5]), "联合党支部", NULL, "社会组织", 0) < 0 ? -1 : 0;
			break;
		}
		d->budget += keep;
		if (rc < 0)
			return -1;
		if (d->budget == before)
			break;
	}
	while (d->budget > 0) {
		int64_t before = d->budget;
		if (build_community(d, root, comm++) < 0)
			return -1;
		if (d->budget == before)
			break;
	}
	return 0;
}

/* ---- the bench district's shapes (streets > 0) ------------------------------------
 * Units get a planned number of members and the organizations they need to hold them;
 * a branch's weight is its planned members, so that demo_members (which spreads the
 * members in proportion to the weights) fills every unit to its plan. At 100,000
 * organizations and 1,000,000 members in 10 streets: streets of 35,000–150,000 members,
 * communities (社区党委 → 网格党支部 → 楼院党小组) of 300–3,000, 两新 companies of 3–50,
 * 学校 党总支 of 80–400, large 机关 and 国企 党委 (→ 党总支 → 党支部 → 党小组) of
 * 2,000–20,000 (at most a tenth of their street each; 党总支 of ~300 within). Branches hold ~30 members
 * (R-ORG-05: usually ≤ 50, split into 党小组); the organizations left over become more
 * 党小组 and smaller branches, so that --orgs is met as closely as the members allow. */

/* The organizations a unit of m members may use: its share of what the street has left. */
static int64_t allowance(struct demo *d, int64_t m)
{
	int64_t a = d->mleft > 0 ? (int64_t)((double)d->budget * (double)m / (double)d->mleft) : d->budget;
	return a < 1 ? 1 : a;
}

/* nb branches and ng 党小组 among them (at most 4 a branch) for m members in about a
 * organizations: branches of ~30 members, the rest of a in 党小组; more than 3 a branch
 * to spare makes smaller branches instead, down to 12 members. */
static void layout(int64_t m, int64_t a, int64_t *nb, int64_t *ng)
{
	if (a < 1)
		a = 1;
	int64_t n = m / 30;
	if (n < 1)
		n = 1;
	if (n > a)
		n = a;
	if ((a - n) / n > 3) {
		int64_t more = a / 4, most = m / 12 > 1 ? m / 12 : 1;
		n = more < most ? more : most;
		if (n < 1)
			n = 1;
	}
	int64_t g = a - n;
	*nb = n;
	*ng = g < 4 * n ? g : 4 * n;
}

/* The 党小组 of the i-th (1-based) of nb branches sharing ng. */
static int groups_of(int64_t nb, int64_t ng, int64_t i)
{
	return (int)(ng / nb + (i <= ng % nb ? 1 : 0));
}

/* A branch of about m members (its weight) under parent with ng 党小组; for a community's
 * 网格党支部 (grid != 0) the groups are 楼院党小组 with their buildings. */
static int shaped_branch(struct demo *d, int64_t parent, const char *name, const char *type, const char *label,
			 const char *domain, int64_t grid, int ng, int64_t m)
{
	int64_t b = add_org(d, parent, name, type, label, domain, grid);
	if (b <= 0)
		return (int)b;
	struct branch *br = last_branch(d, b);
	br->weight = (unsigned)(m < 1 ? 1 : m);
	for (int h = 1; h <= ng && h <= 4 && d->budget > 0; h++) {
		int64_t grp;
		if (grid) {
			const char *road = roads[prng_below(&d->p, 12)];
			int no = (int)prng_range(&d->p, 1, 99) + (h - 1) * 100; /* distinct within the grid */
			const char *addr = arena_printf(d->a, "%s%d弄", road, no);
			grp = add_org(d, b, arena_printf(d->a, "%s楼院党小组", addr), "党小组", "楼院党小组", domain, grid);
			int64_t bld;
			if (grp > 0 && building_insert(d->db, grid, grp, addr, addr, &bld) != DB_OK)
				return -1;
		} else {
			grp = add_org(d, b, arena_printf(d->a, "第%d党小组", h), "党小组", NULL, domain, 0);
		}
		if (grp < 0)
			return -1;
		if (grp > 0)
			br->groups[br->ngroups++] = grp;
	}
	return 0;
}

/* The i-th (1-based) of nb branches sharing m members, given of them handed out so far:
 * ±50% of the mean each (a few nearly empty: R-ORG-05's alert), the last one the rest, so
 * that the unit holds m. */
static int64_t branch_size(struct demo *d, int64_t m, int64_t nb, int64_t i, int64_t *given)
{
	int64_t avg = m / nb > 0 ? m / nb : 1, left = m - *given, rest = nb - i, s;
	if (rest == 0)
		s = left;
	else if (nb > 3 && prng_chance(&d->p, 2))
		s = prng_range(&d->p, 1, 2);
	else
		s = prng_range(&d->p, avg / 2 > 0 ? avg / 2 : 1, avg + avg / 2 > 0 ? avg + avg / 2 : 1);
	if (rest > 0 && s > left - rest)
		s = left - rest;
	if (s < 1)
		s = 1;
	*given += s;
	return s;
}

static int shaped_community(struct demo *d, int64_t root, int64_t m)
{
	static const char *const names[] = {"康乐", "新华", "湖南", "天平", "枫林", "斜土", "田林", "虹梅",
					    "长桥", "凌云", "华泾", "龙华", "徐家汇", "漕河泾", "康健", "永嘉"};
	int k = d->comm++;
	const char *base = names[k % 16];
	int64_t a = allowance(d, m) - 1, nb, ng;
	layout(m, a, &nb, &ng);
	int64_t c = add_org(d, root, k < 16 ? arena_printf(d->a, "%s社区党委", base) : arena_printf(d->a, "%s第%d社区党委", base, k / 16 + 1),
			    "党委", prng_chance(&d->p, 50) ? "社区党委" : "区域党委", "社区", 0);
	if (c <= 0)
		return (int)c;
	int64_t given = 0;
	for (int64_t g = 1; g <= nb && d->budget > 0; g++) {
		int64_t grid;
		if (grid_insert(d->db, c, arena_printf(d->a, "第%lld网格", (long long)g),
				arena_printf(d->a, "G%lld-%lld", (long long)c, (long long)g), &grid) != DB_OK)
			return -1;
		if (shaped_branch(d, c, arena_printf(d->a, "%s第%lld网格党支部", base, (long long)g), "党支部", "网格党支部", "社区",
				  grid, groups_of(nb, ng, g), branch_size(d, m, nb, g, &given)) < 0)
			return -1;
	}
	return 0;
}

/* A unit (机关 / 国企 党委, 学校 党总支) of m members: over 1,000 members its branches
 * sit under 党总支 of ~300. */
static int shaped_unit(struct demo *d, int64_t root, const char *uname, const char *type, const char *domain, int64_t m)
{
	int64_t a = allowance(d, m) - 1;
	int64_t u = add_org(d, root, arena_printf(d->a, "%s%s", uname, type), type, NULL, domain, 0);
	if (u <= 0)
		return (int)u;
	int64_t nz = m > 1000 ? m / 300 : 0;
	if (nz > a / 4)
		nz = a / 4;
	for (int64_t z = 0; z < (nz ? nz : 1) && d->budget > 0; z++) {
		int64_t zm = nz ? m / nz + (z + 1 == nz ? m % nz : 0) : m, za = nz ? (a - nz) / nz : a, nb, ng;
		layout(zm, za, &nb, &ng);
		int64_t parent = u;
		const char *prefix = uname;
		if (nz) {
			prefix = arena_printf(d->a, "%s第%lld", uname, (long long)z + 1);
			parent = add_org(d, u, arena_printf(d->a, "%s党总支", prefix), "党总支", NULL, domain, 0);
			if (parent <= 0)
				return (int)parent;
		}
		int64_t given = 0;
		for (int64_t i = 1; i <= nb && d->budget > 0; i++)
			if (shaped_branch(d, parent, arena_printf(d->a, "%s第%lld党支部", prefix, (long long)i), "党支部", NULL, domain, 0,
					  groups_of(nb, ng, i), branch_size(d, zm, nb, i, &given)) < 0)
				return -1;
	}
	return 0;
}

/* 3–50 members, most of them small (the square of a uniform draw). */
static int64_t company_size(struct demo *d, int64_t lo, int64_t hi)
{
	uint64_t u = prng_below(&d->p, 1000);
	return lo + (int64_t)(u * u * (uint64_t)(hi - lo) / 999999);
}

static int shaped_street(struct demo *d, int64_t root, int64_t ms)
{
	static const char *const brands[] = {"恒通", "华信", "锦程", "众联", "启明", "远航", "嘉禾", "瑞丰",
					     "百川", "天成", "新程", "博雅", "同创", "汇智", "金桥", "云帆"};
	static const char *const bureaus[] = {"民政", "教育", "卫健", "财政", "司法", "商务", "科委", "建管", "文旅", "市场监管"};
	static const char *const groups[] = {"城建", "电气", "申通", "光明", "华谊", "锦江", "百联", "东方"};
	d->mleft = ms;
	/* 两新: 9% in 非公企业 党支部 of 3–50, 3% in 社会组织 联合党支部 of 3–30 (a few of 1–2) */
	for (int64_t left = ms * 9 / 100; left >= 3 && d->budget > 0;) {
		int64_t m = company_size(d, 3, 50);
		int k = d->fg++;
		const char *nm = k < 128 ? arena_printf(d->a, "上海%s%s有限公司党支部", brands[k % 16], units_fg[(k / 16) % 8])
					 : arena_printf(d->a, "上海%s%s（%d）有限公司党支部", brands[k % 16], units_fg[(k / 16) % 8], k / 128 + 1);
		if (shaped_branch(d, root, nm, "党支部", NULL, "非公企业", 0, 0, m) < 0)
			return -1;
		left -= m, d->mleft -= m;
	}
	for (int64_t left = ms * 3 / 100; left >= 3 && d->budget > 0;) {
		int64_t m = prng_chance(&d->p, 5) ? prng_range(&d->p, 1, 2) : company_size(d, 3, 30);
		int k = d->sz++;
		if (shaped_branch(d, root, arena_printf(d->a, "枫林%s第%d联合党支部", units_sz[k % 5], k / 5 + 1), "联合党支部", NULL,
				  "社会组织", 0, 0, m) < 0)
			return -1;
		left -= m, d->mleft -= m;
	}
	/* 学校: 4% in 党总支 of 80–400 */
	for (int64_t left = ms * 4 / 100; left >= 80 && d->budget > 0;) {
		int64_t m = prng_range(&d->p, 80, 400);
		m = m > left ? left : m;
		if (shaped_unit(d, root, arena_printf(d->a, "枫林第%d中学", ++d->xx), "党总支", "学校", m) < 0)
			return -1;
		left -= m, d->mleft -= m;
	}
	/* 机关 and 国企: 20% in 党委 of 2,000–20,000, each at most a tenth of the street */
	int64_t cap = ms / 10 > 2000 ? ms / 10 : 2000;
	for (int64_t left = ms * 20 / 100, i = 0; left >= 500 && d->budget > 0; i++) {
		int64_t m = prng_range(&d->p, 2000, 20000);
		m = m > cap ? cap : m;
		m = m > left || (left - m < 2000 && left <= cap) ? left : m; /* no remnant under 2,000 */
		bool jg = i % 2 == 0;
		int k = jg ? d->jg++ : d->gq++;
		const char *nm = jg ? arena_printf(d->a, "区%s局机关%s", bureaus[k % 10], k < 10 ? "" : arena_printf(d->a, "%d", k / 10 + 1))
				    : arena_printf(d->a, "上海%s集团%s", groups[k % 8], k < 8 ? "" : arena_printf(d->a, "%d", k / 8 + 1));
		if (shaped_unit(d, root, nm, "党委", jg ? "机关" : "国企", m) < 0)
			return -1;
		left -= m, d->mleft -= m;
	}
	/* 社区: the rest, in communities of 300–3,000 (the mean of two draws: mostly mid-sized) */
	while (d->mleft > 0 && d->budget > 0) {
		int64_t m = (prng_range(&d->p, 300, 3000) + prng_range(&d->p, 300, 3000)) / 2;
		if (d->mleft - m < 300)
			m = d->mleft;
		if (shaped_community(d, root, m) < 0)
			return -1;
		d->mleft -= m;
	}
	return 0;
}

/* The streets' shares of the members (and of the organizations): 35,000–150,000 of
 * 1,000,000 in 10 streets. */
static const unsigned street_w[10] = {150, 135, 120, 110, 100, 95, 90, 85, 80, 35};

/* The district: one street as the root (the default), or with streets > 0 a district
 * committee over that many streets sharing the organizations evenly (5 levels: 区委 →
 * 街道党工委 → 社区党委 → 网格党支部 → 党小组; the shape `make bench` measures). */
static int build_tree(struct demo *d)
{
	static const char *const snames[] = {"枫林", "漕河泾", "虹梅", "田林", "康健", "长桥", "凌云", "龙华", "斜土", "华泾"};
	if (d->streets <= 0) {
		int64_t root = add_org(d, 0, "徐汇区枫林街道党工委", "党工委", "街道党工委", "社区", 0);
		if (root <= 0 || build_street(d, root) < 0)
			return -1;
	} else {
		int64_t root = add_org(d, 0, "徐汇区委", "党委", "区委", "机关", 0);
		if (root <= 0)
			return -1;
		uint64_t wsum = 0;
		for (int i = 0; i < d->streets; i++)
			wsum += street_w[i % 10];
		int64_t orgs = d->budget, left = d->budget;
		for (int i = 0; i < d->streets && left > 0; i++) {
			int64_t share = i + 1 == d->streets ? left : (int64_t)((uint64_t)orgs * street_w[i % 10] / wsum);
			share = share > left ? left : share;
			d->budget = share;
			const char *nm = arena_printf(d->a, "徐汇区%s%s街道党工委", snames[i % 10], i < 10 ? "" : arena_printf(d->a, "%d", i / 10 + 1));
			int64_t st = add_org(d, root, nm, "党工委", "街道党工委", "社区", 0);
			int64_t ms = (int64_t)((uint64_t)d->members * street_w[i % 10] / wsum);
			if (st < 0 || (st > 0 && shaped_street(d, st, ms) < 0))
				return -1;
			left -= share - d->budget;
		}
		d->budget = 0;
	}
	if (d->nbr == 0) { /* a tiny district: members belong to the root */
		d->budget = 0;
		d->br = calloc(1, sizeof *d->br);
		if (!d->br)
			abort();
		d->br[0].id = 1; /* the root: the first organization */
		d->br[0].domain = "社区";
		d->br[0].weight = 1;
		d->nbr = 1;
		d->capbr = 1;
	}
	return 0;
}

static void member_profile(struct demo *d, const struct branch *b, struct member_rec *r, int sex, char *idbuf,
			   char *mobile, char *name, size_t namecap, const char *fixed_name)
{
	/* age by domain: communities are older, schools and 两新 younger */
	bool comm = strcmp(b->domain, "社区") == 0;
	bool young = strcmp(b->domain, "非公企业") == 0 || strcmp(b->domain, "社会组织") == 0;
	int age;
	if (comm)
		age = (int)(prng_chance(&d->p, 55) ? prng_range(&d->p, 60, 92) : prng_range(&d->p, 22, 59));
	else if (young)
		age = (int)prng_range(&d->p, 22, 50);
	else
		age = (int)(prng_chance(&d->p, 10) ? prng_range(&d->p, 19, 23) : prng_range(&d->p, 24, 62));
	struct date birth = date_from_days(date_to_days(d->today) - (int64_t)age * 365 - prng_range(&d->p, 0, 364));
	int seq = (int)prng_range(&d->p, 0, 499) * 2 + (sex == 1 ? 1 : 0);
	idcard_make(areas[prng_below(&d->p, 12)], birth, seq, idbuf);
	r->id_number = idbuf;
	/* joined at 19–45 (never before 18: R-DEV-01), not in the future */
	int join_age = (int)prng_range(&d->p, 19, age < 45 ? age : 45);
	int64_t jd = date_to_days(date_add_years(birth, join_age)) + prng_range(&d->p, 0, 300);
	if (jd > date_to_days(d->today))
		jd = date_to_days(d->today) - prng_range(&d->p, 1, 200);
	struct date joined = date_from_days(jd);
	r->joined_on = date_str(d, joined);
	struct date conf = date_add_years(joined, 1); /* R-DEV-11: 预备期 one year from 入党时间 */
	if (prng_chance(&d->p, 3))
		conf = date_add_months(conf, 6); /* R-DEV-12: an extension of 6 months */
	if (date_cmp(conf, d->today) <= 0) {
		r->party_status = "formal";
		r->confirmed_on = date_str(d, conf);
	} else {
		r->party_status = "probationary";
		r->confirmed_on = NULL;
	}
	if (fixed_name)
		snprintf(name, namecap, "%s", fixed_name);
	else
		pick_name(d, sex, name, namecap);
	r->name = name;
	snprintf(mobile, 12, "1%c%09llu", "3456789"[prng_below(&d->p, 7)],
		 (unsigned long long)prng_below(&d->p, 1000000000ULL));
	r->mobile = prng_chance(&d->p, 95) ? mobile : NULL;
	r->ethnicity = prng_chance(&d->p, 94) ? "01" : minorities[prng_below(&d->p, 10)];
	r->native_place = provinces[prng_below(&d->p, 12)];
	r->address = arena_printf(d->a, "%s%d弄%d号%d室", roads[prng_below(&d->p, 12)], (int)prng_range(&d->p, 1, 300),
				  (int)prng_range(&d->p, 1, 40), (int)prng_range(&d->p, 101, 1805));
	static const char *const edu_hi[] = {"14", "21", "21", "21", "31", "31", "11"};
	static const char *const edu_lo[] = {"31", "41", "44", "47", "61", "71", "81", "21"};
	bool hi = !comm || age < 50 ? prng_chance(&d->p, 80) : prng_chance(&d->p, 30);
	r->education = hi ? edu_hi[prng_below(&d->p, 7)] : edu_lo[prng_below(&d->p, 8)];
	r->grid_id = b->grid_id;
	r->group_org_id = b->ngroups ? b->groups[prng_below(&d->p, (uint64_t)b->ngroups)] : 0;
	if (comm) {
		r->unit_type = age >= 60 ? "社区" : (const char *[]){"社区", "非公企业", "事业", "其他"}[prng_below(&d->p, 4)];
		r->category = age >= 60 ? "retired" : (const char *[]){"worker", "professional", "manager", "other"}[prng_below(&d->p, 4)];
		r->work_unit = age >= 60 ? NULL : "枫林街道社区";
	} else if (strcmp(b->domain, "机关") == 0) {
		r->unit_type = "机关", r->category = "official", r->work_unit = "区级机关";
	} else if (strcmp(b->domain, "学校") == 0) {
		r->unit_type = "事业";
		r->category = age < 24 ? "student" : "professional";
		r->work_unit = "枫林中学";
	} else if (strcmp(b->domain, "国企") == 0) {
		r->unit_type = "国企", r->category = prng_chance(&d->p, 50) ? "worker" : "manager", r->work_unit = "国有企业";
	} else {
		r->unit_type = b->domain;
		r->category = prng_chance(&d->p, 50) ? "worker" : "professional";
		r->work_unit = strcmp(b->domain, "非公企业") == 0 ? "非公有制企业" : "社会组织";
	}
	r->post = NULL;
	static const unsigned st_w[] = {970, 15, 5, 5, 5};
	static const char *const states[] = {"normal", "floating", "lost", "abroad", "deceased"};
	r->state = states[prng_weighted(&d->p, st_w, 5)];
	r->dues_base = r->category && strcmp(r->category, "retired") == 0 ? prng_range(&d->p, 3000, 8000) * 100
	 : strcmp(r->category, "student") == 0 ? -1 : prng_range(&d->p, 3000, 20000) * 100;
	char ym[8];
	memcpy(ym, d->today_s, 7);
	ym[7] = 0;
	r->dues_paid_to = arena_strdup(d->a, ym);
	r->introducers_json = NULL;
}

struct why {
	char *buf;
	size_t len;
};

static void demo_err(void *ctx, const char *field, const char *code, const char *message)
{
	struct why *w = ctx;
	if (!w->buf[0]) /* the first failure */
		snprintf(w->buf, w->len, "generated member fails %s (%s): %s", field, code, message);
}

/* One generated member of branch b (k-th: 0 is the secretary) inserted; a chance clash
 * with an existing ID number is retried with another sequence number. d->a is the
 * member's arena for the call. 0, or -1 with first_error said. */
static int demo_member(struct demo *d, struct branch *b, int64_t k, struct why *first_error)
{
	struct member_rec r;
	memset(&r, 0, sizeof r);
	r.org_id = b->id;
	r.created_at = d->now;
	char idbuf[19], mobile[12], name[32];
	int sex = k == 0 && b->sec_sex ? b->sec_sex : (prng_chance(&d->p, 52) ? 1 : 2);
	member_profile(d, b, &r, sex, idbuf, mobile, name, sizeof name, k == 0 ? b->names[0] : NULL);
	if (k == 0) /* the secretary is a formal member in the normal state */
		r.state = "normal";
	if (member_validate(&r, d->today, d->a, demo_err, first_error) != 0)
		return -1;
	/* the same person by chance: another sequence number. Looked up first rather than
	 * retried after a failed insert, which would end a PostgreSQL transaction */
	unsigned char blind[DJ_BLIND_LEN];
	int64_t other_id;
	const char *other_path;
	enum db_rc mrc;
	int tries = 0;
	while (member_id_blind(r.id_number, blind),
	       (mrc = member_find_by_blind(d->db, d->a, blind, &other_id, &other_path)) == DB_OK && tries++ < 50) {
		struct idcard c;
		idcard_parse(r.id_number, d->today, &c);
		int seq = (int)prng_range(&d->p, 0, 499) * 2 + (c.sex == 1);
		char area[7];
		memcpy(area, r.id_number, 6);
		area[6] = 0;
		idcard_make(area, c.birth, seq, idbuf);
		r.id_number = idbuf;
	}
	if (mrc != DB_NOT_FOUND || member_insert(d->db, d->a, &r) != DB_OK)
		return -1;
	if (k > 0 && k < 5 && b->nnames < 5)
		snprintf(b->names[b->nnames++], sizeof b->names[0], "%s", name);
	b->members++;
	return 0;
}

/* nmembers spread over the branches in proportion to their weights, each branch's
 * secretary first. Returns how many were inserted, or -1. */
static int64_t demo_members(struct demo *d, int64_t nmembers, struct why *first_error)
{
	uint64_t wsum = 0;
	for (size_t i = 0; i < d->nbr; i++)
		wsum += d->br[i].weight;
	int64_t done = 0;
	struct arena *keep = d->a;
	d->a = arena_new();
	uint64_t wcum = 0;
	for (size_t i = 0; i < d->nbr && done >= 0; i++) {
		struct branch *b = &d->br[i];
		int64_t share = i + 1 == d->nbr ? nmembers - done : (int64_t)((uint64_t)nmembers * b->weight / wsum);
		if (d->streets > 0) { /* the shaped district: rounded on the running sum, not all remainders to the last */
			wcum += b->weight;
			share = (int64_t)((double)nmembers * (double)wcum / (double)wsum) - done;
		}
		if (share > nmembers - done)
			share = nmembers - done;
		for (int64_t k = 0; k < share; k++) {
			if ((done & 4095) == 0) { /* memory follows a batch of members, not all */
				arena_free(d->a);
				d->a = arena_new();
			}
			if (demo_member(d, b, k, first_error) != 0) {
				done = -1;
				break;
			}
			done++;
		}
	}
	arena_free(d->a);
	d->a = keep;
	return done;
}

/* R-ORG-04: a branch with ≥ 7 members gets a committee of 3–5 of its members. */
static enum db_rc demo_committees(struct demo *d)
{
	static const char *const roles[] = {"secretary", "organization", "propaganda", "discipline", "deputy_secretary"};
	for (size_t i = 0; i < d->nbr; i++) {
		struct branch *b = &d->br[i];
		if (b->members < 7)
			continue;
		int n = b->nnames < 3 ? b->nnames : (int)prng_range(&d->p, 3, b->nnames);
		for (int j = 0; j < n; j++) {
			enum db_rc rc = org_committee_add(d->db, b->id, b->names[j], roles[j], NULL);
			if (rc != DB_OK)
				return rc;
		}
	}
	return DB_OK;
}

enum db_rc demo_build(struct db *db, const struct demo_spec *spec, struct demo_counts *out, char *why, size_t whylen)
{
	assert(db_in_tx(db) && whylen > 0);
	struct why first_error = {why, whylen};
	why[0] = 0;
	int64_t max_id = org_max_id(db);
	if (max_id != 0) {
		snprintf(why, whylen, "%s", max_id < 0 ? "cannot read the organizations" :
			 "the database already has organizations; use a new database");
		return max_id < 0 ? DB_ERROR : DB_CONSTRAINT;
	}
	struct demo d;
	memset(&d, 0, sizeof d);
	d.db = db;
	d.a = arena_new();
	prng_seed(&d.p, spec->seed);
	d.budget = spec->orgs;
	d.streets = spec->streets;
	d.members = spec->members;
	d.now = clock_now();
	clock_today(d.today_s);
	date_parse(d.today_s, &d.today);
	enum db_rc rc = DB_ERROR;
	bool bulk = spec->members >= 10000 && member_count(db) == 0;
	int64_t done = -1;
	if (build_tree(&d) == 0 && (!bulk || member_bulk_begin(db) == DB_OK) &&
	    (done = demo_members(&d, spec->members, &first_error)) >= 0 && demo_committees(&d) == DB_OK &&
	    (!bulk || member_bulk_end(db) == DB_OK)) {
		out->orgs = d.orgs;
		out->branches = (int64_t)d.nbr;
		out->members = done;
		rc = DB_OK;
	} else if (!why[0]) {
		snprintf(why, whylen, "%s", db_errmsg(db));
	}
	free(d.br);
	arena_free(d.a);
	return rc;
}
