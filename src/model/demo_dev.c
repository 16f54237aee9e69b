/* demo_dev.c: 发展党员's part of the demo district (DEMO_STEP development) and the bench's
 * filler (dev_demo_fill, `dangjian dev-demo`): applicants at every step with histories
 * that read as recorded work (dates in order, the year after 积极分子, votes by the branch
 * due, 公示 of 5 working days), some overdue so the board and the work list are alive.
 * The histories are written through dev_commit_step, so the roster gets its 预备党员 and
 * 正式党员 exactly as in real use; the rules' checks (dev_check_step) are not run: the
 * demo writes a past that the district did not watch being recorded. */
#include "config.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/idcard.h"
#include "core/prng.h"
#include "model/demo.h"
#include "model/dev.h"
#include "model/org.h"
#include "model/workday.h"
#include <stdio.h>
#include <string.h>

enum demo_dev_stmt {
	STMT_DEMO_DEV_BRANCHES,
	STMT_DEMO_DEV_FORMAL,
	STMT_DEMO_DEV_COMMITTEES,
	DEMO_DEV_STMT__MAX
};
/* demo_dev.branches' rows */
enum demo_dev_branch_col { DD_BRANCH_COL_ID, DD_BRANCH_COL_PATH };
/* demo_dev.formal's rows */
enum demo_dev_formal_col { DD_FORMAL_COL_ID, DD_FORMAL_COL_NAME };

static const struct db_sql demo_dev_sql[DEMO_DEV_STMT__MAX] = {
	[STMT_DEMO_DEV_BRANCHES] = {"demo_dev.branches",
	 "SELECT id, path FROM orgs WHERE path >= $1 AND path < $2 AND type IN ('党支部', '联合党支部')"
	 " ORDER BY id LIMIT 100000"},
	[STMT_DEMO_DEV_FORMAL] = {"demo_dev.formal",
	 "SELECT id, name FROM members WHERE org_id = $1 AND party_status = 'formal' AND state = 'normal'"
	 " ORDER BY id LIMIT 2"},
	[STMT_DEMO_DEV_COMMITTEES] = {"demo_dev.committees",
	 "SELECT id FROM orgs WHERE path >= $1 AND path < $2 AND type IN ('党委', '党工委') ORDER BY id LIMIT 100000"},
};
DB_SQL_TABLE(demo_dev, demo_dev_sql);

struct branch_ref {
	int64_t id, committee;
	char path[128];
	json_t *intro; /* [{member_id, name}] up to 2 */
};

static const char *const surnames[] = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭"};
static const char *const given[] = {"浩然", "子涵", "欣怡", "宇轩", "梓萱", "俊杰", "诗涵", "明轩", "雨桐", "嘉怡",
				    "思远", "佳琪", "文博", "若曦", "志强", "晓东"};
static const char *const educations[] = {"14", "21", "21", "21", "31", "31", "41", "61"};
static const char *const unit_types[] = {"非公企业", "社会组织", "事业", "社区", "国企", "机关"};

static struct date days(struct date d, int64_t n)
{
	return date_from_days(date_to_days(d) + n);
}

static const char *fmt(struct arena *a, struct date d)
{
	char b[11];
	date_format(d, b);
	return arena_strdup(a, b);
}

/* The nearest 党委/党工委 above the branch (0 when none). */
static enum db_rc committee_of(struct db *db, struct arena *a, const char *path, int64_t *out)
{
	*out = 0;
	char *p = arena_strdup(a, path);
	size_t l = strlen(p);
	if (l > 1)
		p[l - 1] = 0;
	char *slash;
	while ((slash = strrchr(p, '/')) && slash != p) {
		*slash = 0;
		char *id = strrchr(p, '/');
		if (!id)
			break;
		struct org_rec o;
		enum db_rc rc = org_get(db, a, strtoll(id + 1, NULL, 10), &o);
		if (rc != DB_OK)
			return rc;
		if (strcmp(o.type, "党委") == 0 || strcmp(o.type, "党工委") == 0) {
			*out = o.id;
			return DB_OK;
		}
	}
	return DB_OK;
}

static void no_err(void *ctx, const char *field, const char *code, const char *message)
{
	char *why = ctx;
	if (why && !*why)
		snprintf(why, 200, "%s %s %s", field, code, message);
}

/* The dates of steps 1..k laid out forward from day 0, then moved so the last lands r
 * days before today. */
static void lay_out(struct prng *p, int k, struct date today, int64_t r, struct date d[DEV_STEPS + 1])
{
	struct date z = {2000, 1, 1};
	d[1] = z;
	for (int s = 2; s <= k; s++) {
		int64_t g;
		switch (s) {
		case 2: g = prng_range(p, 7, 25); break;
		case 3: g = prng_range(p, 30, 90); break;
		case 6: g = prng_range(p, 150, 180); break;
		case 7: g = date_to_days(date_add_years(d[3], 1)) - date_to_days(d[6]) + prng_range(p, 10, 60); break;
		case 15: g = prng_range(p, 10, 30); break;
		case 17: g = prng_range(p, 15, 60); break;
		case 22: g = date_to_days(date_add_years(d[15], 1)) - date_to_days(d[21]) - prng_range(p, 5, 20); break;
		case 23: g = date_to_days(date_add_years(d[15], 1)) - date_to_days(d[22]) + prng_range(p, 1, 20); break;
		case 24: g = prng_range(p, 5, 40); break;
		case 19: case 20: case 21: g = prng_range(p, 5, 30); break;
		default: g = prng_range(p, 3, 15); break;
		}
		if (g < 0)
			g = 1;
		d[s] = days(d[s - 1], g);
	}
	int64_t shift = date_to_days(today) - r - date_to_days(d[k]);
	for (int s = 1; s <= k; s++)
		d[s] = days(d[s], shift);
}

static enum db_rc one_applicant(struct db *db, struct arena *a, struct prng *p, struct branch_ref *b, int k,
				int64_t serial, struct date today, int64_t now, char *why)
{
	struct date d[DEV_STEPS + 1];
	/* how long ago the last step was: a few are overdue (a talk after 40+ days, an
	 * approval past 3 months) */
	int64_t r = prng_range(p, 0, 25);
	if ((k == 1 || k == 15 || k == 16) && prng_chance(p, 35))
		r = k == 1 ? prng_range(p, 35, 60) : prng_range(p, 95, 140);
	lay_out(p, k, today, r, d);
	struct dev_applicant ap;
	memset(&ap, 0, sizeof ap);
	char name[32], id[IDCARD_LEN + 1];
	snprintf(name, sizeof name, "%s%s", surnames[prng_below(p, 16)], given[prng_below(p, 16)]);
	/* 18–40 on the application day */
	struct date birth = days(date_add_years(d[1], -(int)prng_range(p, 19, 40)), -prng_range(p, 0, 360));
	char area[16];
	snprintf(area, sizeof area, "31%04lld", (long long)(1000 + serial / 1000 % 9000));
	idcard_make(area, birth, (int)(serial % 1000), id);
	ap.org_id = b->id;
	ap.name = arena_strdup(a, name);
	ap.id_number = arena_strdup(a, id);
	ap.ethnicity = prng_chance(p, 8) ? "03" : "01";
	ap.education = educations[prng_below(p, 8)];
	ap.unit_type = unit_types[prng_below(p, 6)];
	ap.work_unit = "某单位";
	ap.applied_on = fmt(a, d[1]);
	if (dev_validate_new(&ap, today, a, no_err, why))
		return DB_CONSTRAINT;
	unsigned char blind[DJ_BLIND_LEN];
	member_id_blind(ap.id_number, blind);
	char where;
	enum db_rc rc = dev_find_person(db, a, blind, &where);
	if (rc != DB_OK || where)
		return rc == DB_OK ? DB_DONE : rc; /* a person who exists already: skipped */
	ap.created_at = ap.updated_at = now;
	rc = dev_insert(db, a, &ap, 0, "演示数据");
	if (rc != DB_OK)
		return rc;
	for (int s = 2; s <= k && rc == DB_OK; s++) {
		const struct dev_step_def *def = dev_step_def(s);
		struct dev_step_in in;
		memset(&in, 0, sizeof in);
		in.step = s;
		in.date = fmt(a, d[s]);
		in.org_id = def->level == DEV_BRANCH || !b->committee ? b->id : b->committee;
		json_t *data = json_object();
		if (s == 5 || s == 9)
			json_object_set(data, s == 5 ? "contacts" : "introducers", b->intro);
		if (s == 10)
			json_object_set_new(data, "conclusion", json_string("合格"));
		if (s == 11)
			json_object_set_new(data, "training", json_pack("{s:i, s:i}", "hours", 24, "days", 3));
		if (s == 13)
			json_object_set_new(data, "result", json_string("同意"));
		if (s == 7 || s == 23) {
			struct date ps = days(d[s], -16), pe;
			rc = workday_span_end(db, ps, (int)cfg.dev_publicity_workdays, &pe);
			json_object_set_new(data, "publicity", json_pack("{s:s, s:s, s:i}", "start", fmt(a, ps), "end",
									 fmt(a, pe), "workdays", (int)cfg.dev_publicity_workdays));
		}
		if (s == 15 || s == 23) {
			int64_t due = 0;
			if (rc == DB_OK)
				rc = dev_due_voters(db, b->path, in.date, &due);
			int64_t present = due - (due > 4 ? prng_range(p, 0, 2) : 0);
			json_object_set_new(data, "vote",
					    json_pack("{s:I, s:I, s:i, s:I, s:I, s:I, s:i, s:i, s:b, s:b}", "due", (json_int_t)due,
						      "present", (json_int_t)present, "absent_written", 0, "ballots_issued",
						      (json_int_t)present, "ballots_returned", (json_int_t)present, "yes",
						      (json_int_t)present, "no", 0, "abstain", 0, "quorum", 1, "passed", 1));
		}
		if (s == 23) {
			in.decision = "confirm";
			json_object_set_new(data, "decision", json_string("confirm"));
		}
		if (rc == DB_OK)
			rc = dev_commit_step(db, a, &ap, &in, data, 0, "演示数据", now, today, no_err, why);
		json_decref(data);
	}
	return rc;
}

enum db_rc dev_demo_fill(struct db *db, const char *prefix, const char *end, int64_t n, uint64_t seed, char *why,
			 size_t whylen)
{
	if (whylen)
		why[0] = 0;
	struct arena *a = arena_new();
	struct prng p;
	prng_seed(&p, seed * 7919 + 13);
	char t[11];
	clock_today(t);
	struct date today;
	date_parse(t, &today);
	int64_t now = clock_now();
	/* the branches and their committees */
	size_t nb = 0, cap = 64;
	struct branch_ref *br = arena_alloc(a, sizeof *br * cap);
	enum db_rc rc = DB_OK;
	struct db_stmt *st = db_prepare(db, &demo_dev_sql[STMT_DEMO_DEV_BRANCHES]);
	if (!st)
		rc = DB_ERROR;
	if (st) {
		db_bind_text(st, 1, prefix, -1);
		db_bind_text(st, 2, end, -1);
		while ((rc = db_step(st)) == DB_ROW) {
			if (nb == cap) {
				struct branch_ref *w = arena_alloc(a, sizeof *w * cap * 2);
				memcpy(w, br, sizeof *br * cap);
				br = w;
				cap *= 2;
			}
			br[nb].id = db_col_int(st, DD_BRANCH_COL_ID);
			snprintf(br[nb].path, sizeof br[nb].path, "%s", db_col_text(st, DD_BRANCH_COL_PATH));
			br[nb].intro = NULL;
			nb++;
		}
		db_reset(st);
		rc = rc == DB_DONE ? DB_OK : rc;
	}
	/* a big district (make bench: 100,000 organizations) spreads n applicants over n
	 * branches taken evenly, so the look-ups below stay proportionate to n */
	if ((int64_t)nb > n && n > 0) {
		size_t k = 0;
		for (int64_t i = 0; i < n; i++)
			br[k++] = br[(size_t)(i * (int64_t)nb / n)];
		nb = k;
	}
	for (size_t i = 0; rc == DB_OK && i < nb; i++) {
		rc = committee_of(db, a, br[i].path, &br[i].committee);
		br[i].intro = json_array();
		st = rc == DB_OK ? db_prepare(db, &demo_dev_sql[STMT_DEMO_DEV_FORMAL]) : NULL;
		if (rc == DB_OK && !st)
			rc = DB_ERROR;
		if (st) {
			db_bind_int(st, 1, br[i].id);
			while ((rc = db_step(st)) == DB_ROW)
				json_array_append_new(br[i].intro,
						      json_pack("{s:I, s:s}", "member_id", (json_int_t)db_col_int(st, DD_FORMAL_COL_ID),
								"name", db_col_text(st, DD_FORMAL_COL_NAME)));
			db_reset(st);
			rc = rc == DB_DONE ? DB_OK : rc;
		}
	}
	/* every committee gets a quota for the last three years */
	st = rc == DB_OK ? db_prepare(db, &demo_dev_sql[STMT_DEMO_DEV_COMMITTEES]) : NULL;
	if (st) {
		size_t nc = 0, cc = 64;
		int64_t *cs = arena_alloc(a, sizeof *cs * cc);
		db_bind_text(st, 1, prefix, -1);
		db_bind_text(st, 2, end, -1);
		while ((rc = db_step(st)) == DB_ROW) {
			if (nc == cc) {
				int64_t *w = arena_alloc(a, sizeof *w * cc * 2);
				memcpy(w, cs, sizeof *cs * cc);
				cs = w;
				cc *= 2;
			}
			cs[nc++] = db_col_int(st, DB_COL_ONLY);
		}
		db_reset(st);
		rc = rc == DB_DONE ? DB_OK : rc;
		int64_t per = nb ? n / (int64_t)(nc ? nc : 1) + 30 : 30;
		for (size_t i = 0; rc == DB_OK && i < nc; i++)
			for (int y = today.y - 2; rc == DB_OK && y <= today.y; y++)
				rc = dev_quota_put(db, cs[i], y, per, now);
	}
	/* the steps, weighted towards the early stages as a real pipeline is */
	static const unsigned w[DEV_STEPS + 1] = {0, 12, 5, 8, 3, 4, 10, 6, 2, 3, 3, 3, 2, 2, 3, 3, 3, 2, 2, 2, 2, 8, 3, 2, 2, 4};
	for (int64_t i = 0; rc == DB_OK && nb && i < n; i++) {
		int k = (int)prng_weighted(&p, w, DEV_STEPS + 1);
		if (k < 1)
			k = 1;
		struct arena *one = arena_new(); /* freed per applicant: a long fill stays small */
		rc = one_applicant(db, one, &p, &br[(size_t)i % nb], k, (int64_t)(seed * 100000 + (uint64_t)i), today, now, why);
		arena_free(one);
		if (rc == DB_DONE)
			rc = DB_OK;
	}
	for (size_t i = 0; i < nb; i++)
		json_decref(br[i].intro);
	if (rc != DB_OK && whylen && !why[0])
		snprintf(why, whylen, "发展党员演示数据写入失败");
	arena_free(a);
	return rc;
}

static enum db_rc demo_development(struct db *db, const struct demo_spec *spec, char *why, size_t whylen)
{
	/* an empty roster stays empty (its tests load one) */
	if (spec->members <= 0)
		return DB_OK;
	int64_t n = spec->members / 8; /* proportionate: a small test district stays small */
	if (n < 5)
		n = 5;
	if (n > 1500)
		n = 1500;
	return dev_demo_fill(db, "/", "0", n, spec->seed, why, whylen);
}
DEMO_STEP(development, demo_development);
