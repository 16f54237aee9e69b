/* dev.c: 发展党员's SQL, state machine and rules (see dev.h). The rules of DOMAIN.md §2
 * are in dev_check_step, one block per step, each refusal naming its R-DEV ID; what is
 * due next (the work list, the board's overdue badges) is dev_next_due, computed when a
 * step is written and kept on the applicant's row. */
#include "model/dev.h"
#include "config.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/idcard.h"
#include "core/jsonw.h"
#include "model/codes.h"
#include "model/revcache.h"
#include "model/seal.h"
#include "model/workday.h"
#include <stdlib.h>
#include <string.h>

static const struct dev_step_def steps[DEV_STEPS + 1] = {
	[1] = {1, 1, "递交入党申请书", "申请人", DEV_BRANCH},
	[2] = {2, 1, "党组织派人谈话", "党支部", DEV_BRANCH},
	[3] = {3, 2, "推荐和确定入党积极分子", "支委会", DEV_BRANCH},
	[4] = {4, 2, "报上级党委备案", "上级党委", DEV_FILING},
	[5] = {5, 2, "指定培养联系人", "党支部", DEV_BRANCH},
	[6] = {6, 2, "培养教育考察", "党支部", DEV_BRANCH},
	[7] = {7, 3, "确定发展对象", "支委会", DEV_BRANCH},
	[8] = {8, 3, "报上级党委备案", "上级党委", DEV_FILING},
	[9] = {9, 3, "确定入党介绍人", "党支部", DEV_BRANCH},
	[10] = {10, 3, "进行政治审查", "党支部", DEV_BRANCH},
	[11] = {11, 3, "开展集中培训", "上级党委/党校", DEV_BRANCH},
	[12] = {12, 4, "支部委员会审查", "支委会", DEV_BRANCH},
	[13] = {13, 4, "上级党委预审", "基层党委", DEV_COMMITTEE},
	[14] = {14, 4, "填写入党志愿书", "发展对象、入党介绍人", DEV_BRANCH},
	[15] = {15, 4, "支部大会讨论", "支部党员大会", DEV_BRANCH},
	[16] = {16, 4, "上级党委派人谈话", "党委委员或组织员", DEV_COMMITTEE},
	[17] = {17, 4, "上级党委审批", "基层党委", DEV_COMMITTEE},
	[18] = {18, 4, "再上级党委组织部门备案", "上级组织部门", DEV_FILING},
	[19] = {19, 5, "编入党支部和党小组", "党支部", DEV_BRANCH},
	[20] = {20, 5, "入党宣誓", "党支部", DEV_BRANCH},
	[21] = {21, 5, "继续教育考察", "党支部", DEV_BRANCH},
	[22] = {22, 5, "提出转正申请", "预备党员", DEV_BRANCH},
	[23] = {23, 5, "支部大会讨论转正", "支部党员大会", DEV_BRANCH},
	[24] = {24, 5, "上级党委审批转正", "基层党委", DEV_COMMITTEE},
	[25] = {25, 5, "材料归档", "党支部", DEV_BRANCH},
};

const struct dev_step_def *dev_step_def(int step)
{
	return step >= 1 && step <= DEV_STEPS ? &steps[step] : NULL;
}

const char *dev_stage_name(int stage)
{
	static const char *const names[] = {"", "申请入党", "入党积极分子", "发展对象", "接收预备党员", "预备党员考察和转正"};
	return stage >= 1 && stage <= 5 ? names[stage] : "";
}

enum dev_stmt {
	STMT_DEV_INSERT,
	STMT_DEV_STEP_INSERT,
	STMT_DEV_LOAD,
	STMT_DEV_STEPS,
	STMT_DEV_POSITION,
	STMT_DEV_STEP_RETURN,
	STMT_DEV_FIND_APPLICANT,
	STMT_DEV_DUE_VOTERS,
	STMT_DEV_MEMBER_FORMAL,
	STMT_DEV_QUOTA,
	STMT_DEV_QUOTA_USED,
	STMT_DEV_QUOTA_PUT,
	STMT_DEV_QUOTA_LIST,
	STMT_DEV_LIST,
	STMT_DEV_BOARD,
	STMT_DEV_WARNINGS,
	STMT_DEV_STATS,
	STMT_DEV_PIPELINE,
	STMT_DEV_BY_MEMBER,
	STMT_DEV_REV,
	STMT_DEV_VIEW_REV,
	STMT_DEV_CIPHERS,
	DEV_STMT__MAX
};

/* the columns of dev.load and dev.by_member (DEV_COLS) */
#define DEV_COLS                                                                                                    \
	"a.id, a.org_id, a.member_id, a.approved_org_id, a.org_path, o.name, a.name, a.sex, a.birth_date,"        \
	" a.ethnicity, a.education, a.work_unit, a.unit_type, a.id_masked, a.mobile_masked, a.two_new,"          \
	" a.applied_on, a.last_on, a.status, a.status_reason, a.approved_on, a.probation_end, a.stage,"          \
	" a.last_step, a.extension_months, a.approved_age, a.created_at, a.updated_at"
enum dev_col {
	DEV_COL_ID, DEV_COL_ORG_ID, DEV_COL_MEMBER_ID, DEV_COL_APPROVED_ORG_ID, DEV_COL_ORG_PATH, DEV_COL_ORG_NAME,
	DEV_COL_NAME, DEV_COL_SEX, DEV_COL_BIRTH, DEV_COL_ETHNICITY, DEV_COL_EDUCATION, DEV_COL_WORK_UNIT,
	DEV_COL_UNIT_TYPE, DEV_COL_ID_MASKED, DEV_COL_MOBILE_MASKED, DEV_COL_TWO_NEW, DEV_COL_APPLIED_ON,
	DEV_COL_LAST_ON, DEV_COL_STATUS, DEV_COL_STATUS_REASON, DEV_COL_APPROVED_ON, DEV_COL_PROBATION_END,
	DEV_COL_STAGE, DEV_COL_LAST_STEP, DEV_COL_EXTENSION, DEV_COL_APPROVED_AGE, DEV_COL_CREATED_AT,
	DEV_COL_UPDATED_AT
};
/* dev.steps' rows */
enum dev_step_col {
	STEP_COL_ID, STEP_COL_STEP, STEP_COL_DONE_ON, STEP_COL_ORG_ID, STEP_COL_BODY, STEP_COL_ACTOR_ID,
	STEP_COL_ACTOR_NAME, STEP_COL_NOTES, STEP_COL_DATA, STEP_COL_RETURNED, STEP_COL_RETURN_REASON,
	STEP_COL_CREATED_AT
};
/* dev.list's and dev.warnings' rows */
enum dev_list_col {
	LIST_COL_ID, LIST_COL_ORG_ID, LIST_COL_ORG_NAME, LIST_COL_NAME, LIST_COL_SEX, LIST_COL_ID_MASKED,
	LIST_COL_STAGE, LIST_COL_LAST_STEP, LIST_COL_LAST_ON, LIST_COL_STATUS, LIST_COL_DUE_CODE, LIST_COL_WARN_ON,
	LIST_COL_DUE_ON
};
/* dev.board's rows */
enum dev_board_col { BOARD_COL_ORG_ID, BOARD_COL_ORG_NAME, BOARD_COL_STAGE, BOARD_COL_N, BOARD_COL_OVERDUE };
/* dev.stats' row */
enum dev_stats_col {
	STATS_COL_DEVELOPED, STATS_COL_UNDER_35, STATS_COL_COLLEGE, STATS_COL_TWO_NEW, STATS_COL_WOMEN,
	STATS_COL_MINORITIES
};
/* dev.pipeline's rows */
enum dev_pipe_col { PIPE_COL_LAST_STEP, PIPE_COL_N };
/* dev.quota_list's rows */
enum dev_quota_col { QUOTA_COL_ORG_ID, QUOTA_COL_ORG_NAME, QUOTA_COL_QUOTA, QUOTA_COL_USED };
/* dev.insert's RETURNING */
enum dev_ins_col { INS_COL_ID, INS_COL_ORG_PATH };
/* dev.member_formal's row */
enum dev_formal_col { FORMAL_COL_STATUS, FORMAL_COL_CONFIRMED, FORMAL_COL_STATE, FORMAL_COL_PATH, FORMAL_COL_NAME };
/* dev.ciphers' row */
enum dev_cipher_col { CIPHER_COL_ID, CIPHER_COL_MOBILE };

#define LIST_COLS                                                                                                  \
	"a.id, a.org_id, o.name, a.name, a.sex, a.id_masked, a.stage, a.last_step, a.last_on, a.status, a.due_code," \
	" a.warn_on, a.due_on"

static const struct db_sql dev_sql[DEV_STMT__MAX] = {
	/* $1 org_id … see dev_insert for the order */
	[STMT_DEV_INSERT] = {"dev.insert",
	 "INSERT INTO dev_applicants (org_id, org_path, name, sex, birth_date, id_cipher, id_blind, id_masked,"
	 " mobile_cipher, mobile_masked, ethnicity, education, work_unit, unit_type, two_new, applied_on, stage,"
	 " last_step, last_on, status, created_at, updated_at)"
	 " SELECT $1, o.path, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 1, 1, $15, 'active', $16, $16"
	 " FROM orgs o WHERE o.id = $1 RETURNING id, org_path"},
	[STMT_DEV_STEP_INSERT] = {"dev.step_insert",
	 "INSERT INTO dev_steps (applicant_id, step, done_on, org_id, body, actor_id, actor_name, notes, data, created_at)"
	 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id"},
	[STMT_DEV_LOAD] = {"dev.load",
	 "SELECT " DEV_COLS " FROM dev_applicants a JOIN orgs o ON o.id = a.org_id WHERE a.id = $1"},
	[STMT_DEV_STEPS] = {"dev.steps",
	 "SELECT id, step, done_on, org_id, body, actor_id, actor_name, notes, data, returned, return_reason, created_at"
	 " FROM dev_steps WHERE applicant_id = $1 ORDER BY id"},
	/* the position after a step: $2 stage … $14 updated_at */
	[STMT_DEV_POSITION] = {"dev.position",
	 "UPDATE dev_applicants SET stage = $2, last_step = $3, last_on = $4, status = $5, status_reason = $6,"
	 " member_id = $7, approved_on = $8, approved_org_id = $9, approved_age = $10, extension_months = $11,"
	 " probation_end = $12, due_code = $13, warn_on = $14, due_on = $15, updated_at = $16 WHERE id = $1"},
	[STMT_DEV_STEP_RETURN] = {"dev.step_return",
	 "UPDATE dev_steps SET returned = 1, return_reason = $2 WHERE id = $1 AND returned = 0"},
	[STMT_DEV_FIND_APPLICANT] = {"dev.find_applicant", "SELECT id FROM dev_applicants WHERE id_blind = $1"},
	/* R-DEV-08: 正式党员 of the branch (and its 党小组) whose 转正 was by the meeting
	 * and who hold their rights (not 停止党籍, not gone) */
	[STMT_DEV_DUE_VOTERS] = {"dev.due_voters",
	 "SELECT COUNT(*) FROM members WHERE org_path >= $1 AND org_path < $2 AND party_status = 'formal'"
	 " AND confirmed_on <= $3 AND state IN ('normal', 'floating', 'lost', 'abroad')"},
	/* a member, its status and its 转正 date (R-DEV-05) */
	[STMT_DEV_MEMBER_FORMAL] = {"dev.member_formal",
	 "SELECT party_status, confirmed_on, state, org_path, name FROM members WHERE id = $1"},
	[STMT_DEV_QUOTA] = {"dev.quota", "SELECT quota FROM dev_quotas WHERE org_id = $1 AND year = $2"},
	[STMT_DEV_QUOTA_USED] = {"dev.quota_used",
	 "SELECT COUNT(*) FROM dev_applicants WHERE approved_org_id = $1 AND approved_on >= $2 AND approved_on <= $3"},
	[STMT_DEV_QUOTA_PUT] = {"dev.quota_put",
	 "INSERT INTO dev_quotas (org_id, year, quota, updated_at) VALUES ($1, $2, $3, $4)"
	 " ON CONFLICT (org_id, year) DO UPDATE SET quota = excluded.quota, updated_at = excluded.updated_at"},
	/* the 基层党委 (党委, 党工委) of [$1, $2) with their quota of year $3 and its use */
	[STMT_DEV_QUOTA_LIST] = {"dev.quota_list",
	 "SELECT o.id, o.name, q.quota, (SELECT COUNT(*) FROM dev_applicants a WHERE a.approved_org_id = o.id"
	 " AND a.approved_on >= $4 AND a.approved_on <= $5)"
	 " FROM orgs o LEFT JOIN dev_quotas q ON q.org_id = o.id AND q.year = $3"
	 " WHERE o.path >= $1 AND o.path < $2 AND o.type IN ('党委', '党工委') ORDER BY o.path LIMIT 500"},
	/* a page: [$1, $2), $3 stage (0 any), $4 status, $5 name LIKE or NULL, id > $6, $7 rows */
	[STMT_DEV_LIST] = {"dev.list",
	 "SELECT " LIST_COLS " FROM dev_applicants a JOIN orgs o ON o.id = a.org_id"
	 " WHERE a.org_path >= $1 AND a.org_path < $2 AND ($3 = 0 OR a.stage = $3) AND a.status = $4"
	 " AND (CAST($5 AS TEXT) IS NULL OR a.name LIKE $5) AND a.id > $6 ORDER BY a.id LIMIT $7"},
	/* counted from dev_applicants_path alone, the names joined to the groups */
	[STMT_DEV_BOARD] = {"dev.board",
	 "SELECT g.org_id, o.name, g.stage, g.n, g.overdue FROM (SELECT org_id, stage, COUNT(*) AS n,"
	 " SUM(CASE WHEN due_on < $3 THEN 1 ELSE 0 END) AS overdue FROM dev_applicants"
	 " WHERE org_path >= $1 AND org_path < $2 AND status = 'active' GROUP BY org_id, stage) g"
	 " JOIN orgs o ON o.id = g.org_id ORDER BY o.name, g.org_id, g.stage"},
	/* the work list: warned from warn_on, soonest deadline first */
	[STMT_DEV_WARNINGS] = {"dev.warnings",
	 "SELECT " LIST_COLS " FROM dev_applicants a JOIN orgs o ON o.id = a.org_id"
	 " WHERE a.org_path >= $1 AND a.org_path < $2 AND a.status = 'active' AND a.warn_on <= $3"
	 " ORDER BY a.due_on, a.id LIMIT 1000"},
	/* developed in [$3, $4]: D(17) in the period (R-DEV-16's year, the report's figures) */
	[STMT_DEV_STATS] = {"dev.stats",
	 "SELECT COUNT(*), SUM(CASE WHEN approved_age < 35 THEN 1 ELSE 0 END),"
	 " SUM(CASE WHEN education >= '10' AND education < '40' THEN 1 ELSE 0 END), SUM(two_new),"
	 " SUM(CASE WHEN sex = '2' THEN 1 ELSE 0 END), SUM(CASE WHEN ethnicity <> '01' THEN 1 ELSE 0 END)"
	 " FROM dev_applicants WHERE org_path >= $1 AND org_path < $2 AND approved_on >= $3 AND approved_on <= $4"
	 " AND status <> 'withdrawn'"},
	[STMT_DEV_PIPELINE] = {"dev.pipeline",
	 "SELECT last_step, COUNT(*) FROM dev_applicants WHERE org_path >= $1 AND org_path < $2"
	 " AND status = 'active' GROUP BY last_step"},
	[STMT_DEV_BY_MEMBER] = {"dev.by_member",
	 "SELECT " DEV_COLS " FROM dev_applicants a JOIN orgs o ON o.id = a.org_id WHERE a.member_id = $1"},
	[STMT_DEV_CIPHERS] = {"dev.ciphers", "SELECT id_cipher, mobile_cipher FROM dev_applicants WHERE id = $1"},
	/* the records' revision (0124), raised with every change of dev_applicants */
	[STMT_DEV_REV] = {"dev.rev", "SELECT epoch, rev FROM dev_rev WHERE id = 1"},
	/* what the board and the work list show: the records (0124 dev_rev) and the
	 * organizations' names (0124 org_rev) */
	[STMT_DEV_VIEW_REV] = {"dev.view_rev",
	 "SELECT d.epoch, d.rev, o.rev FROM dev_rev d CROSS JOIN org_rev o WHERE d.id = 1 AND o.id = 1"},
};
DB_SQL_TABLE(dev, dev_sql);

static bool blank(const char *s)
{
	return !s || !*s;
}

static const char *dup_col(struct arena *ar, struct db_stmt *st, int i)
{
	return db_col_dup(ar, st, i);
}

static void read_applicant(struct arena *ar, struct db_stmt *st, struct dev_applicant *a)
{
	memset(a, 0, sizeof *a);
	a->id = db_col_int(st, DEV_COL_ID);
	a->org_id = db_col_int(st, DEV_COL_ORG_ID);
	a->member_id = db_col_int(st, DEV_COL_MEMBER_ID);
	a->approved_org_id = db_col_int(st, DEV_COL_APPROVED_ORG_ID);
	a->org_path = dup_col(ar, st, DEV_COL_ORG_PATH);
	a->org_name = dup_col(ar, st, DEV_COL_ORG_NAME);
	a->name = dup_col(ar, st, DEV_COL_NAME);
	a->sex = dup_col(ar, st, DEV_COL_SEX);
	a->birth_date = dup_col(ar, st, DEV_COL_BIRTH);
	a->ethnicity = dup_col(ar, st, DEV_COL_ETHNICITY);
	a->education = dup_col(ar, st, DEV_COL_EDUCATION);
	a->work_unit = dup_col(ar, st, DEV_COL_WORK_UNIT);
	a->unit_type = dup_col(ar, st, DEV_COL_UNIT_TYPE);
	a->id_masked = dup_col(ar, st, DEV_COL_ID_MASKED);
	a->mobile_masked = dup_col(ar, st, DEV_COL_MOBILE_MASKED);
	a->two_new = db_col_int(st, DEV_COL_TWO_NEW) != 0;
	a->applied_on = dup_col(ar, st, DEV_COL_APPLIED_ON);
	a->last_on = dup_col(ar, st, DEV_COL_LAST_ON);
	a->status = dup_col(ar, st, DEV_COL_STATUS);
	a->status_reason = dup_col(ar, st, DEV_COL_STATUS_REASON);
	a->approved_on = dup_col(ar, st, DEV_COL_APPROVED_ON);
	a->probation_end = dup_col(ar, st, DEV_COL_PROBATION_END);
	a->stage = (int)db_col_int(st, DEV_COL_STAGE);
	a->last_step = (int)db_col_int(st, DEV_COL_LAST_STEP);
	a->extension_months = (int)db_col_int(st, DEV_COL_EXTENSION);
	a->approved_age = (int)db_col_int(st, DEV_COL_APPROVED_AGE);
	a->created_at = db_col_int(st, DEV_COL_CREATED_AT);
	a->updated_at = db_col_int(st, DEV_COL_UPDATED_AT);
}

static enum db_rc load_by(struct db *db, struct arena *ar, enum dev_stmt s, int64_t id, struct dev_applicant *a)
{
	struct db_stmt *st = db_prepare(db, &dev_sql[s]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		read_applicant(ar, st, a);
		rc = DB_OK;
	} else if (rc == DB_DONE) {
		rc = DB_NOT_FOUND;
	}
	db_reset(st);
	return rc;
}

enum db_rc dev_load(struct db *db, struct arena *ar, int64_t id, struct dev_applicant *a)
{
	return load_by(db, ar, STMT_DEV_LOAD, id, a);
}

enum db_rc dev_by_member(struct db *db, struct arena *ar, int64_t member_id, struct dev_applicant *a)
{
	return load_by(db, ar, STMT_DEV_BY_MEMBER, member_id, a);
}

enum db_rc dev_unseal(struct db *db, struct arena *ar, struct dev_applicant *a)
{
	struct db_stmt *st = db_prepare(db, &dev_sql[STMT_DEV_CIPHERS]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, a->id);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		size_t n;
		a->id_number = dj_open(ar, db_col_blob(st, CIPHER_COL_ID), db_col_len(st, CIPHER_COL_ID), "dev.id_number", &n);
		a->mobile = db_col_null(st, CIPHER_COL_MOBILE)
				    ? NULL
				    : dj_open(ar, db_col_blob(st, CIPHER_COL_MOBILE), db_col_len(st, CIPHER_COL_MOBILE),
					      "dev.mobile", &n);
		rc = a->id_number ? DB_OK : DB_ERROR;
	} else if (rc == DB_DONE) {
		rc = DB_NOT_FOUND;
	}
	db_reset(st);
	return rc;
}

enum db_rc dev_steps(struct db *db, struct arena *ar, int64_t id, struct dev_step_row **rows, size_t *n,
		     const char *dates[DEV_STEPS + 1])
{
	for (int i = 0; i <= DEV_STEPS; i++)
		dates[i] = "";
	struct db_stmt *st = db_prepare(db, &dev_sql[STMT_DEV_STEPS]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	size_t cap = 32, k = 0;
	struct dev_step_row *v = arena_alloc(ar, sizeof *v * cap);
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW) {
		if (k == cap) {
			struct dev_step_row *w = arena_alloc(ar, sizeof *w * cap * 2);
			memcpy(w, v, sizeof *v * cap);
			v = w;
			cap *= 2;
		}
		struct dev_step_row *r = &v[k++];
		r->id = db_col_int(st, STEP_COL_ID);
		r->step = (int)db_col_int(st, STEP_COL_STEP);
		r->done_on = dup_col(ar, st, STEP_COL_DONE_ON);
		r->org_id = db_col_int(st, STEP_COL_ORG_ID);
		r->body = dup_col(ar, st, STEP_COL_BODY);
		r->actor_id = db_col_int(st, STEP_COL_ACTOR_ID);
		r->actor_name = dup_col(ar, st, STEP_COL_ACTOR_NAME);
		r->notes = dup_col(ar, st, STEP_COL_NOTES);
		r->data = dup_col(ar, st, STEP_COL_DATA);
		r->returned = db_col_int(st, STEP_COL_RETURNED) != 0;
		r->return_reason = dup_col(ar, st, STEP_COL_RETURN_REASON);
		r->created_at = db_col_int(st, STEP_COL_CREATED_AT);
		if (!r->returned && r->step >= 1 && r->step <= DEV_STEPS)
			dates[r->step] = r->done_on; /* the newest current row of a step wins */
	}
	db_reset(st);
	*rows = v;
	*n = k;
	return rc == DB_DONE ? DB_OK : rc;
}

/* ---- what is due next ---- */

struct dev_due_item {
	const char *code, *rule, *message;
	struct date warn, due;
	bool set;
};

static struct date days_add(struct date d, int n)
{
	return date_from_days(date_to_days(d) + n);
}

/* What the applicant at last_step owes next and by when (the work list of issue 13 #7). */
static struct dev_due_item next_due(const struct dev_applicant *a, const char *dates[DEV_STEPS + 1])
{
	struct dev_due_item it = {0};
	struct date d;
	if (!a->status || strcmp(a->status, "active") != 0)
		return it;
	int s = a->last_step;
	if (s == 1 && date_parse(dates[1], &d)) {
		/* R-DEV-02: the talk within a month; warn from day 20 */
		it = (struct dev_due_item){"talk_due", "R-DEV-02", "入党申请后一个月内应派人谈话", days_add(d, 20),
					   date_add_months(d, 1), true};
	} else if (s >= 3 && s <= 6) {
		/* an assessment of the 积极分子 every 6 months (from D(3) or the last one) */
		const char *last = s == 6 && !blank(dates[6]) ? dates[6] : dates[3];
		if (date_parse(last, &d))
			it = (struct dev_due_item){"assessment_due", "R-DEV-03", "入党积极分子每半年考察一次",
						   days_add(date_add_months(d, 6), -30), date_add_months(d, 6), true};
	} else if (s >= 15 && s <= 16 && date_parse(dates[15], &d)) {
		/* R-DEV-09: approval within 3 months of the branch meeting */
		it = (struct dev_due_item){"approval_due", "R-DEV-09", "支部大会讨论后三个月内应报上级党委审批",
					   days_add(date_add_months(d, 3), -20), date_add_months(d, 3), true};
	} else if (s >= 17 && s <= 21 && date_parse(a->probation_end, &d)) {
		/* R-DEV-11: the 预备期 ends; the 转正 application and meeting are due */
		it = (struct dev_due_item){"probation_ending", "R-DEV-11", "预备期即将期满，应及时讨论转正",
					   days_add(d, -30), d, true};
	} else if (s >= 22 && s <= 23 && date_parse(a->probation_end, &d)) {
		/* R-DEV-12: the 转正 approved within 3 months of the end of the 预备期 */
		it = (struct dev_due_item){"confirmation_due", "R-DEV-12", "预备期满后三个月内应完成转正审批",
					   days_add(date_add_months(d, 3), -20), date_add_months(d, 3), true};
	}
	return it;
}

void dev_due(const struct dev_applicant *a, const char *dates[DEV_STEPS + 1], struct date today, json_t *out)
{
	const struct dev_step_def *next = dev_step_def(a->last_step + 1);
	json_t *warnings = json_array();
	struct dev_due_item it = next_due(a, dates);
	if (it.set && date_cmp(today, it.warn) >= 0) {
		char due[11];
		date_format(it.due, due);
		bool over = date_cmp(today, it.due) > 0;
		json_array_append_new(warnings, json_pack("{s:s, s:s, s:s, s:s, s:s}", "code", it.code, "rule", it.rule,
							  "level", over ? "overdue" : "due", "message", it.message,
							  "due_on", due));
	}
	json_object_set_new(out, "warnings", warnings);
	if (next && strcmp(a->status, "active") == 0) {
		json_t *n = json_pack("{s:i, s:s, s:s}", "step", next->step, "name", next->name, "body", next->body);
		if (it.set) {
			char due[11];
			date_format(it.due, due);
			json_object_set_new(n, "due_on", json_string(due));
		}
		json_object_set_new(out, "next", n);
	} else {
		json_object_set_new(out, "next", json_null());
	}
}

/* Writes the applicant's position (a's fields) with what is due next. */
static enum db_rc save_position(struct db *db, const struct dev_applicant *a, const char *dates[DEV_STEPS + 1],
				int64_t now)
{
	struct db_stmt *st = db_prepare(db, &dev_sql[STMT_DEV_POSITION]);
	if (!st)
		return DB_ERROR;
	struct dev_due_item it = next_due(a, dates);
	char warn[11], due[11];
	date_format(it.warn, warn);
	date_format(it.due, due);
	const struct dev_step_def *def = dev_step_def(a->last_step);
	db_bind_int(st, 1, a->id);
	db_bind_int(st, 2, def ? def->stage : 1);
	db_bind_int(st, 3, a->last_step);
	db_bind_text(st, 4, a->last_on, -1);
	db_bind_text(st, 5, a->status, -1);
	db_bind_opt_text(st, 6, a->status_reason);
	db_bind_opt_id(st, 7, a->member_id);
	db_bind_opt_text(st, 8, a->approved_on);
	db_bind_opt_id(st, 9, a->approved_org_id);
	if (a->approved_on)
		db_bind_int(st, 10, a->approved_age);
	else
		db_bind_null(st, 10);
	db_bind_int(st, 11, a->extension_months);
	db_bind_opt_text(st, 12, a->probation_end);
	db_bind_opt_text(st, 13, it.set ? it.code : NULL);
	db_bind_opt_text(st, 14, it.set ? warn : NULL);
	db_bind_opt_text(st, 15, it.set ? due : NULL);
	db_bind_int(st, 16, now);
	enum db_rc rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc == DB_ROW ? DB_ERROR : rc;
}

/* ---- creating an applicant ---- */

#define ERR(f, c, m) (n++, err(ctx, f, c, m))

int dev_validate_new(struct dev_applicant *a, struct date today, struct arena *ar, dev_err_fn err, void *ctx)
{
	int n = 0;
	if (blank(a->name))
		ERR("name", "required", "请填写姓名");
	struct idcard id;
	bool id_ok = false;
	if (blank(a->id_number)) {
		ERR("id_number", "required", "请填写身份证号码");
	} else {
		enum idcard_err e = idcard_parse(a->id_number, today, &id);
		if (e != IDCARD_OK) {
			ERR("id_number", idcard_err_code(e), idcard_err_message(e));
		} else {
			id_ok = true;
			a->id_number = arena_strdup(ar, id.number);
			a->sex = id.sex == 1 ? "1" : "2";
			char b[11];
			date_format(id.birth, b);
			a->birth_date = arena_strdup(ar, b);
		}
	}
	if (!blank(a->mobile) && !mobile_valid(a->mobile))
		ERR("mobile", "mobile_format", "手机号码应为11位数字");
	if (blank(a->ethnicity))
		a->ethnicity = "01";
	else if (!codes_valid("ethnicity", a->ethnicity))
		ERR("ethnicity", "invalid_code", "民族代码无效");
	if (!blank(a->education) && !codes_valid("education", a->education))
		ERR("education", "invalid_code", "学历代码无效");
	if (!blank(a->unit_type) && !codes_valid("unit_type", a->unit_type))
		ERR("unit_type", "invalid_code", "工作单位性质无效");
	a->two_new = codes_two_new_unit(a->unit_type);
	struct date applied;
	if (blank(a->applied_on) || !date_parse(a->applied_on, &applied)) {
		ERR("applied_on", "required", "请填写递交入党申请书的日期");
	} else if (date_cmp(applied, today) > 0) {
		ERR("applied_on", "in_future", "申请日期不能晚于今天");
	} else if (id_ok && date_years_between(id.birth, applied) < 18) {
		/* R-DEV-01: 18 on the application date, the birth date from the ID number */
		ERR("applied_on", "R-DEV-01", "递交入党申请书时未满18周岁（出生日期取自身份证号码）");
	}
	return n;
}

enum db_rc dev_find_person(struct db *db, struct arena *ar, const unsigned char blind[DJ_BLIND_LEN], char *where)
{
	*where = 0;
	int64_t mid;
	const char *path;
	enum db_rc rc = member_find_by_blind(db, ar, blind, &mid, &path);
	if (rc == DB_OK) {
		*where = 'm';
		return DB_OK;
	}
	if (rc != DB_NOT_FOUND)
		return rc;
	struct db_stmt *st = db_prepare(db, &dev_sql[STMT_DEV_FIND_APPLICANT]);
	if (!st)
		return DB_ERROR;
	db_bind_blob(st, 1, blind, DJ_BLIND_LEN);
	rc = db_step(st);
	db_reset(st);
	if (rc == DB_ROW)
		*where = 'a';
	return rc == DB_ROW || rc == DB_DONE ? DB_OK : rc;
}

static enum db_rc insert_step(struct db *db, int64_t applicant, int step, const char *date, int64_t org_id,
			      const char *body, int64_t actor_id, const char *actor_name, const char *notes,
			      const char *data, int64_t now)
{
	struct db_stmt *st = db_prepare(db, &dev_sql[STMT_DEV_STEP_INSERT]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, applicant);
	db_bind_int(st, 2, step);
	db_bind_text(st, 3, date, -1);
	db_bind_int(st, 4, org_id);
	db_bind_text(st, 5, body ? body : "", -1);
	db_bind_int(st, 6, actor_id);
	db_bind_text(st, 7, actor_name ? actor_name : "", -1);
	db_bind_opt_text(st, 8, notes);
	db_bind_opt_text(st, 9, data);
	db_bind_int(st, 10, now);
	enum db_rc rc = db_step(st);
	db_reset(st);
	return rc == DB_ROW ? DB_OK : rc == DB_DONE ? DB_ERROR : rc;
}

enum db_rc dev_insert(struct db *db, struct arena *ar, struct dev_applicant *a, int64_t actor_id,
		      const char *actor_name)
{
	struct db_stmt *st = db_prepare(db, &dev_sql[STMT_DEV_INSERT]);
	if (!st)
		return DB_ERROR;
	/* the ID's blind index is the members' (one person, one record) */
	struct sealed_contact id, mobile;
	seal_contact(ar, SEAL_ID_NUMBER, a->id_number, "dev.id_number", "member.id_number", &id);
	a->id_masked = arena_strdup(ar, id.masked);
	a->mobile_masked = seal_contact(ar, SEAL_MOBILE, a->mobile, "dev.mobile", NULL, &mobile)
				   ? arena_strdup(ar, mobile.masked)
				   : NULL;
	db_bind_int(st, 1, a->org_id);
	db_bind_text(st, 2, a->name, -1);
	db_bind_text(st, 3, a->sex, -1);
	db_bind_text(st, 4, a->birth_date, -1);
	db_bind_blob(st, 5, id.cipher, id.len);
	db_bind_blob(st, 6, id.blind, DJ_BLIND_LEN);
	db_bind_text(st, 7, id.masked, -1);
	db_bind_blob(st, 8, mobile.cipher, mobile.len);
	db_bind_opt_text(st, 9, mobile.masked);
	db_bind_text(st, 10, a->ethnicity, -1);
	db_bind_opt_text(st, 11, a->education);
	db_bind_opt_text(st, 12, a->work_unit);
	db_bind_opt_text(st, 13, a->unit_type);
	db_bind_int(st, 14, a->two_new);
	db_bind_text(st, 15, a->applied_on, -1);
	db_bind_int(st, 16, a->created_at);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		a->id = db_col_int(st, INS_COL_ID);
		a->org_path = dup_col(ar, st, INS_COL_ORG_PATH);
		rc = DB_OK;
	} else if (rc == DB_DONE) {
		rc = DB_CONSTRAINT;
	}
	db_reset(st);
	if (rc != DB_OK)
		return rc;
	a->stage = a->last_step = 1;
	a->last_on = a->applied_on;
	a->status = "active";
	rc = insert_step(db, a->id, 1, a->applied_on, a->org_id, steps[1].body, actor_id, actor_name, NULL, NULL,
			 a->created_at);
	if (rc != DB_OK)
		return rc;
	const char *dates[DEV_STEPS + 1];
	for (int i = 0; i <= DEV_STEPS; i++)
		dates[i] = "";
	dates[1] = a->applied_on;
	return save_position(db, a, dates, a->created_at);
}

/* ---- the rules of each step ---- */

/* A member's status for R-DEV-05 (introducers) and step 5 (contacts): formal on date. */
static enum db_rc member_formal_on(struct db *db, struct arena *ar, int64_t id, const char *date, bool *formal,
				   bool *exists, const char **name)
{
	*formal = *exists = false;
	*name = NULL;
	struct db_stmt *st = db_prepare(db, &dev_sql[STMT_DEV_MEMBER_FORMAL]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		*exists = true;
		const char *ps = db_col_text(st, FORMAL_COL_STATUS), *conf = db_col_text(st, FORMAL_COL_CONFIRMED),
			   *state = db_col_text(st, FORMAL_COL_STATE);
		*formal = ps && strcmp(ps, "formal") == 0 && conf && strcmp(conf, date) <= 0 && state &&
			  member_state_in_roster(state) && strcmp(state, "suspended") != 0;
		*name = dup_col(ar, st, FORMAL_COL_NAME);
		rc = DB_OK;
	} else if (rc == DB_DONE) {
		rc = DB_OK;
	}
	db_reset(st);
	return rc;
}

enum db_rc dev_due_voters(struct db *db, const char *org_path, const char *date, int64_t *due)
{
	struct db_stmt *st = db_prepare(db, &dev_sql[STMT_DEV_DUE_VOTERS]);
	if (!st)
		return DB_ERROR;
	size_t l = strlen(org_path);
	char end[256];
	if (l == 0 || l >= sizeof end)
		return DB_ERROR;
	memcpy(end, org_path, l + 1);
	end[l - 1] = '/' + 1; /* the subtree's exclusive end (scope_path_end) */
	db_bind_text(st, 1, org_path, -1);
	db_bind_text(st, 2, end, -1);
	db_bind_text(st, 3, date, -1);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		*due = db_col_int(st, DB_COL_ONLY);
		rc = DB_OK;
	}
	db_reset(st);
	return rc;
}

enum db_rc dev_quota(struct db *db, int64_t org_id, int year, int64_t *quota, bool *set, int64_t *used)
{
	struct db_stmt *st = db_prepare(db, &dev_sql[STMT_DEV_QUOTA]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, org_id);
	db_bind_int(st, 2, year);
	enum db_rc rc = db_step(st);
	*set = rc == DB_ROW;
	*quota = *set ? db_col_int(st, DB_COL_ONLY) : cfg.dev_annual_default_quota;
	db_reset(st);
	if (rc != DB_ROW && rc != DB_DONE)
		return rc;
	st = db_prepare(db, &dev_sql[STMT_DEV_QUOTA_USED]);
	if (!st)
		return DB_ERROR;
	char a[11], b[11];
	date_format((struct date){year, 1, 1}, a);
	date_format((struct date){year, 12, 31}, b);
	db_bind_int(st, 1, org_id);
	db_bind_text(st, 2, a, -1);
	db_bind_text(st, 3, b, -1);
	rc = db_step(st);
	if (rc == DB_ROW) {
		*used = db_col_int(st, DB_COL_ONLY);
		rc = DB_OK;
	}
	db_reset(st);
	return rc;
}

enum db_rc dev_quota_put(struct db *db, int64_t org_id, int year, int64_t quota, int64_t now)
{
	struct db_stmt *st = db_prepare(db, &dev_sql[STMT_DEV_QUOTA_PUT]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, org_id);
	db_bind_int(st, 2, year);
	db_bind_int(st, 3, quota);
	db_bind_int(st, 4, now);
	enum db_rc rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc == DB_ROW ? DB_ERROR : rc;
}

enum db_rc dev_quota_list(struct db *db, const char *prefix, const char *end, int year, json_t *items)
{
	struct db_stmt *st = db_prepare(db, &dev_sql[STMT_DEV_QUOTA_LIST]);
	if (!st)
		return DB_ERROR;
	char a[11], b[11];
	date_format((struct date){year, 1, 1}, a);
	date_format((struct date){year, 12, 31}, b);
	db_bind_text(st, 1, prefix, -1);
	db_bind_text(st, 2, end, -1);
	db_bind_int(st, 3, year);
	db_bind_text(st, 4, a, -1);
	db_bind_text(st, 5, b, -1);
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW) {
		bool set = !db_col_null(st, QUOTA_COL_QUOTA);
		int64_t q = set ? db_col_int(st, QUOTA_COL_QUOTA) : cfg.dev_annual_default_quota;
		int64_t used = db_col_int(st, QUOTA_COL_USED);
		json_array_append_new(items, json_pack("{s:I, s:s, s:i, s:o, s:I, s:I}", "org_id",
						       (json_int_t)db_col_int(st, QUOTA_COL_ORG_ID), "org_name",
						       db_col_text(st, QUOTA_COL_ORG_NAME), "year", year, "quota",
						       set ? json_integer(q) : json_null(), "used", (json_int_t)used,
						       "left", (json_int_t)(q > used ? q - used : 0)));
	}
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

static const char *fmt_date(struct arena *ar, struct date d)
{
	char b[11];
	date_format(d, b);
	return arena_strdup(ar, b);
}

/* The checks of a vote (R-DEV-08); fills out and adds the vote to data. */
static int check_vote(struct db *db, const struct dev_applicant *a, const struct dev_step_in *in, json_t *data,
		      dev_err_fn err, void *ctx, enum db_rc *rc, struct dev_vote_outcome *out)
{
	int n = 0;
	const struct dev_vote_in *v = &in->vote;
	if (!v->given) {
		ERR("vote", "R-DEV-08", "请填写表决情况（应到、实到、票数）");
		return n;
	}
	int64_t due = 0;
	*rc = dev_due_voters(db, a->org_path, in->date, &due);
	if (*rc != DB_OK)
		return -1;
	if (v->present > due)
		ERR("vote.present", "R-DEV-08", "实到人数超过应到人数（有表决权的正式党员）");
	if (v->present + v->absent_written > due)
		ERR("vote.absent_written", "R-DEV-08", "实到人数与书面意见人数之和超过应到人数");
	if (v->ballots_issued > v->present + v->absent_written)
		ERR("vote.ballots_issued", "R-DEV-08", "发出票数超过实到人数与书面意见人数之和");
	if (v->ballots_returned > v->ballots_issued)
		ERR("vote.ballots_returned", "R-DEV-08", "收回票数超过发出票数");
	if (v->yes + v->no + v->abstain > v->ballots_returned)
		ERR("vote.yes", "R-DEV-08", "赞成、反对、弃权票数之和超过收回票数");
	out->due = due;
	/* strictly more than half of those due, in person for the quorum; yes votes include
	 * the written opinions of absentees */
	out->quorum = v->present * 2 > due;
	out->passed = out->quorum && v->yes * 2 > due;
	json_object_set_new(data, "vote",
			    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:b}", "due", (json_int_t)due,
				      "present", (json_int_t)v->present, "absent_written", (json_int_t)v->absent_written,
				      "ballots_issued", (json_int_t)v->ballots_issued, "ballots_returned",
				      (json_int_t)v->ballots_returned, "yes", (json_int_t)v->yes, "no", (json_int_t)v->no,
				      "abstain", (json_int_t)v->abstain, "quorum", out->quorum, "passed", out->passed));
	return n;
}

/* R-DEV-15: the 公示 of in->publicity_start ran its working days before in->date. */
static int check_publicity(struct db *db, struct arena *ar, const struct dev_step_in *in, struct date date,
			   json_t *data, dev_err_fn err, void *ctx, enum db_rc *rc)
{
	int n = 0;
	struct date ps, pe;
	if (blank(in->publicity_start) || !date_parse(in->publicity_start, &ps)) {
		ERR("publicity_start", "R-DEV-15", "请填写公示开始日期（公示期满后方可办理）");
		return n;
	}
	*rc = workday_span_end(db, ps, (int)cfg.dev_publicity_workdays, &pe);
	if (*rc != DB_OK)
		return -1;
	if (date_cmp(date, pe) <= 0)
		ERR("date", "R-DEV-15",
		    arena_printf(ar, "公示不少于%lld个工作日，%s 开始的公示至 %s 期满，办理日期应在期满之后",
				 (long long)cfg.dev_publicity_workdays, in->publicity_start, fmt_date(ar, pe)));
	json_object_set_new(data, "publicity",
			    json_pack("{s:s, s:s, s:I}", "start", in->publicity_start, "end", fmt_date(ar, pe), "workdays",
				      (json_int_t)cfg.dev_publicity_workdays));
	return n;
}

/* Ids of 1..max formal members (on date) into data[key] with their names. */
static int check_people(struct db *db, struct arena *ar, json_t *list, size_t min, size_t max, const char *field,
			const char *rule, const char *date, json_t *data, const char *key, dev_err_fn err, void *ctx,
			enum db_rc *rc)
{
	int n = 0;
	if (!json_is_array(list) || json_array_size(list) < min || json_array_size(list) > max) {
		ERR(field, rule,
		    min == max ? arena_printf(ar, "应确定%zu名正式党员", min)
			       : arena_printf(ar, "应指定%zu至%zu名正式党员", min, max));
		return n;
	}
	json_t *out = json_array();
	size_t i;
	json_t *it;
	json_array_foreach(list, i, it)
	{
		const char *f = arena_printf(ar, "%s[%zu]", field, i);
		if (!json_is_integer(it) || json_integer_value(it) <= 0) {
			ERR(f, "invalid_id", "应为党员编号");
			continue;
		}
		for (size_t j = 0; j < i; j++)
			if (json_integer_value(json_array_get(list, j)) == json_integer_value(it))
				ERR(f, "duplicate", "同一人不能重复");
		bool formal, exists;
		const char *name;
		*rc = member_formal_on(db, ar, json_integer_value(it), date, &formal, &exists, &name);
		if (*rc != DB_OK) {
			json_decref(out);
			return -1;
		}
		if (!exists)
			ERR(f, "not_found", "党员不存在");
		else if (!formal)
			ERR(f, rule, arena_printf(ar, "%s 不是正式党员（预备党员不能担任）", name ? name : ""));
		else
			json_array_append_new(out, json_pack("{s:I, s:s}", "member_id", (json_int_t)json_integer_value(it),
							     "name", name ? name : ""));
	}
	json_object_set_new(data, key, out);
	return n;
}

int dev_check_step(struct db *db, struct arena *ar, const struct dev_applicant *a, const char *dates[DEV_STEPS + 1],
		   const struct dev_step_in *in, struct date today, dev_err_fn err, void *ctx, json_t **data_out,
		   enum db_rc *rc)
{
	int n = 0;
	*rc = DB_OK;
	*data_out = NULL;
	const struct dev_step_def *def = dev_step_def(in->step);
	if (!def || in->step == 1) {
		ERR("step", "invalid_step", "步骤应为 2–25（第1步随申请登记）");
		return n;
	}
	if (strcmp(a->status, "active") != 0) {
		ERR("step", "not_active", "该发展对象已终止或已完成，不能继续办理");
		return n;
	}
	bool repeat = in->step == 6 && a->last_step == 6; /* another 6-monthly assessment */
	if (in->step != a->last_step + 1 && !repeat) {
		ERR("step", "out_of_order",
		    arena_printf(ar, "当前应办理第%d步（%s）", a->last_step + 1,
				 dev_step_def(a->last_step + 1) ? dev_step_def(a->last_step + 1)->name : "无"));
		return n;
	}
	struct date d, prev;
	if (blank(in->date) || !date_parse(in->date, &d)) {
		ERR("date", "required", "请填写办理日期");
		return n;
	}
	if (date_cmp(d, today) > 0)
		ERR("date", "in_future", "办理日期不能晚于今天");
	/* R-DEV-07: never before the previous step */
	if (date_parse(a->last_on, &prev) && date_cmp(d, prev) < 0)
		ERR("date", "R-DEV-07",
		    arena_printf(ar, "日期不能早于上一步骤（第%d步，%s）", a->last_step, a->last_on));
	/* R-DEV-10: approvals and the 预审 only by a 基层党委 or higher; filings with one */
	if (def->level != DEV_BRANCH && (!in->org_type || (strcmp(in->org_type, "党委") != 0 &&
							   strcmp(in->org_type, "党工委") != 0)))
		ERR("org_id", "R-DEV-10", "只有基层党委或更高一级党组织才能审批、预审或备案，党总支、党支部不能");
	json_t *data = json_object();
	struct date dx;
	switch (in->step) {
	case 2:
		/* R-DEV-02: within a month; a late talk is recorded and flagged */
		if (date_parse(dates[1], &dx) && date_cmp(d, date_add_months(dx, 1)) > 0)
			json_object_set_new(data, "late", json_pack("{s:s, s:s}", "rule", "R-DEV-02", "message",
								    "谈话晚于申请后一个月"));
		break;
	case 3:
		if (in->body && strcmp(in->body, "支委会") != 0 && strcmp(in->body, "支部党员大会") != 0)
			ERR("body", "invalid_body", "积极分子由支委会（未设支委会的由支部党员大会）确定");
		break;
	case 5: {
		int k = check_people(db, ar, in->contacts, 1, 2, "contacts", "contacts", in->date, data, "contacts", err,
				     ctx, rc);
		if (k < 0)
			goto db_fail;
		n += k;
		break;
	}
	case 7:
		/* R-DEV-03: a year after becoming 积极分子, calendar-aware (29 Feb + 1 year = 28 Feb) */
		if (date_parse(dates[3], &dx) && date_cmp(d, date_add_years(dx, 1)) < 0)
			ERR("date", "R-DEV-03",
			    arena_printf(ar, "确定为入党积极分子（%s）满一年后（%s 起）才能确定为发展对象", dates[3],
					 fmt_date(ar, date_add_years(dx, 1))));
		{
			int k = check_publicity(db, ar, in, d, data, err, ctx, rc);
			if (k < 0)
				goto db_fail;
			n += k;
		}
		break;
	case 9: {
		int k = check_people(db, ar, in->introducers, 2, 2, "introducers", "R-DEV-05", in->date, data,
				     "introducers", err, ctx, rc);
		if (k < 0)
			goto db_fail;
		n += k;
		break;
	}
	case 10:
		if (!in->conclusion || strcmp(in->conclusion, "合格") != 0)
			ERR("conclusion", "R-DEV-06", "政治审查结论为“合格”方可继续发展");
		else
			json_object_set_new(data, "conclusion", json_string(in->conclusion));
		break;
	case 11:
		/* R-DEV-04: after becoming 积极分子, at least 24 学时 or 3 days */
		if (date_parse(dates[3], &dx) && date_cmp(d, dx) < 0)
			ERR("date", "R-DEV-04", "集中培训应在确定为入党积极分子之后");
		if (in->hours < 24 && in->days < 3)
			ERR("hours", "R-DEV-04", "集中培训不少于3天或24学时");
		json_object_set_new(data, "training", json_pack("{s:I, s:I}", "hours", (json_int_t)in->hours, "days",
								 (json_int_t)in->days));
		break;
	case 13:
		if (!in->result || strcmp(in->result, "同意") != 0)
			ERR("result", "pre_review", "上级党委预审同意后方可填写入党志愿书");
		else
			json_object_set_new(data, "result", json_string(in->result));
		break;
	case 15: {
		/* R-DEV-05 again on the meeting date: the introducers still 正式党员 */
		json_t *intro = NULL;
		struct dev_step_row *rows;
		size_t nr;
		const char *dd[DEV_STEPS + 1];
		*rc = dev_steps(db, ar, a->id, &rows, &nr, dd);
		if (*rc != DB_OK)
			goto db_fail;
		for (size_t i = 0; i < nr; i++)
			if (rows[i].step == 9 && !rows[i].returned && rows[i].data) {
				json_t *j = json_loads(rows[i].data, 0, NULL);
				json_t *list = json_array();
				size_t k;
				json_t *p;
				json_array_foreach(json_object_get(j, "introducers"), k, p)
					json_array_append_new(list, json_integer(json_integer_value(json_object_get(p, "member_id"))));
				json_decref(intro);
				intro = list;
				json_decref(j);
			}
		json_t *scratch = json_object();
		int k = check_people(db, ar, intro ? intro : json_array(), 2, 2, "introducers", "R-DEV-05", in->date,
				     scratch, "introducers", err, ctx, rc);
		json_decref(intro);
		json_decref(scratch);
		if (k < 0)
			goto db_fail;
		n += k;
		/* R-DEV-06 (local): the 政审 not older than the setting */
		if (date_parse(dates[10], &dx) && date_to_days(d) - date_to_days(dx) > cfg.dev_review_max_days)
			ERR("date", "R-DEV-06",
			    arena_printf(ar, "政治审查（%s）距支部大会已超过%lld天，应重新审查", dates[10],
					 (long long)cfg.dev_review_max_days));
		struct dev_vote_outcome vo;
		k = check_vote(db, a, in, data, err, ctx, rc, &vo);
		if (k < 0)
			goto db_fail;
		n += k;
		if (k == 0 && !vo.passed)
			ERR("vote", "R-DEV-08",
			    vo.quorum ? "赞成票未超过应到会有表决权正式党员的半数，不能接收为预备党员"
				      : "实到会人数未超过应到会有表决权正式党员的半数，会议无效");
		break;
	}
	case 17: {
		/* R-DEV-09: within 3 months of the meeting, at most 6 with a reason */
		if (date_parse(dates[15], &dx)) {
			if (date_cmp(d, date_add_months(dx, 6)) > 0)
				ERR("date", "R-DEV-09", "支部大会讨论已超过六个月，应重新讨论");
			else if (date_cmp(d, date_add_months(dx, 3)) > 0 && blank(in->delay_reason))
				ERR("delay_reason", "R-DEV-09", "超过三个月审批应说明原因");
		}
		/* R-DEV-16: within the committee's quota of the year */
		int64_t quota, used;
		bool set;
		*rc = dev_quota(db, in->org_id, d.y, &quota, &set, &used);
		if (*rc != DB_OK)
			goto db_fail;
		if (used >= quota)
			ERR("org_id", "R-DEV-16",
			    set ? arena_printf(ar, "%d年发展指标%lld名已用完", d.y, (long long)quota)
				: arena_printf(ar, "尚未下达%d年发展指标", d.y));
		if (!blank(in->delay_reason))
			json_object_set_new(data, "delay_reason", json_string(in->delay_reason));
		break;
	}
	case 22:
		/* the application when the 预备期 ends (a month before at the earliest) */
		if (date_parse(a->probation_end, &dx) && date_cmp(d, date_add_months(dx, -1)) < 0)
			ERR("date", "R-DEV-11", arena_printf(ar, "预备期至 %s 期满，转正申请应在期满前一个月内提出",
							     a->probation_end));
		break;
	case 23: {
		static const char *const decisions[] = {"confirm", "extend", "cancel", NULL};
		bool known = false;
		for (int i = 0; in->decision && decisions[i]; i++)
			known = known || strcmp(in->decision, decisions[i]) == 0;
		if (!known) {
			ERR("decision", "required", "请选择：按期转正、延长预备期或取消预备党员资格");
			break;
		}
		if (strcmp(in->decision, "extend") == 0) {
			/* R-DEV-12: one extension at most, 6–12 months */
			if (a->extension_months > 0)
				ERR("decision", "R-DEV-12", "预备期只能延长一次");
			if (in->extension_months < 6 || in->extension_months > 12)
				ERR("extension_months", "R-DEV-12", "延长预备期为6至12个月");
		}
		if (strcmp(in->decision, "confirm") == 0) {
			if (date_parse(a->probation_end, &dx) && date_cmp(d, dx) < 0)
				ERR("date", "R-DEV-11", arena_printf(ar, "预备期至 %s 期满，期满后方可讨论转正", a->probation_end));
			int k = check_publicity(db, ar, in, d, data, err, ctx, rc);
			if (k < 0)
				goto db_fail;
			n += k;
		}
		struct dev_vote_outcome vo;
		int k = check_vote(db, a, in, data, err, ctx, rc, &vo);
		if (k < 0)
			goto db_fail;
		n += k;
		if (k == 0 && !vo.passed)
			ERR("vote", "R-DEV-08",
			    vo.quorum ? "赞成票未超过应到会有表决权正式党员的半数，决议不成立"
				      : "实到会人数未超过应到会有表决权正式党员的半数，会议无效");
		json_object_set_new(data, "decision", json_string(in->decision));
		if (strcmp(in->decision, "extend") == 0)
			json_object_set_new(data, "extension_months", json_integer(in->extension_months));
		break;
	}
	case 24:
		/* R-DEV-12: the 转正 approved within 3 months of the end of the 预备期 */
		if (date_parse(a->probation_end, &dx)) {
			if (date_cmp(d, dx) < 0)
				ERR("date", "R-DEV-13", "预备期未满，不能审批转正");
			else if (date_cmp(d, date_add_months(dx, 3)) > 0)
				ERR("date", "R-DEV-12", "转正审批应在预备期满后三个月内完成");
		}
		break;
	default:
		break;
	}
	if (n) {
		json_decref(data);
		return n;
	}
	*data_out = data;
	return 0;
db_fail:
	json_decref(data);
	return -1;
}

/* ---- writing ---- */

struct member_err_ctx {
	dev_err_fn err;
	void *ctx;
	int n;
};

static void member_err(void *c, const char *field, const char *code, const char *message)
{
	struct member_err_ctx *m = c;
	m->n++;
	m->err(m->ctx, field, code, message);
}

enum db_rc dev_commit_step(struct db *db, struct arena *ar, struct dev_applicant *a, const struct dev_step_in *in,
			   json_t *data, int64_t actor_id, const char *actor_name, int64_t now, struct date today,
			   dev_err_fn err, void *ctx)
{
	char *text = json_object_size(data) ? json_dumps(data, JSON_COMPACT) : NULL;
	const struct dev_step_def *def = dev_step_def(in->step);
	enum db_rc rc = insert_step(db, a->id, in->step, in->date, in->org_id, in->body ? in->body : def->body,
				    actor_id, actor_name, in->notes, text, now);
	free(text);
	if (rc != DB_OK)
		return rc;
	struct date d;
	date_parse(in->date, &d);
	a->last_step = in->step;
	a->last_on = in->date;
	if (in->step == 15) {
		/* R-DEV-11: the 预备党员 joins the roster now; 入党时间 = D(15); the 预备期 a year */
		rc = dev_unseal(db, ar, a);
		if (rc != DB_OK)
			return rc;
		struct member_rec m;
		memset(&m, 0, sizeof m);
		m.org_id = a->org_id;
		m.name = a->name;
		m.id_number = a->id_number;
		m.mobile = a->mobile;
		m.ethnicity = a->ethnicity;
		m.education = a->education;
		m.work_unit = a->work_unit;
		m.unit_type = a->unit_type;
		m.party_status = "probationary";
		m.state = "normal";
		m.joined_on = in->date;
		m.dues_base = -1;
		json_t *intro = json_array();
		/* the introducers' names, from step 9 */
		struct dev_step_row *rows;
		size_t nr;
		const char *dd[DEV_STEPS + 1];
		rc = dev_steps(db, ar, a->id, &rows, &nr, dd);
		if (rc != DB_OK) {
			json_decref(intro);
			return rc;
		}
		for (size_t i = 0; i < nr; i++)
			if (rows[i].step == 9 && !rows[i].returned && rows[i].data) {
				json_t *j = json_loads(rows[i].data, 0, NULL);
				size_t k;
				json_t *p;
				json_array_clear(intro);
				json_array_foreach(json_object_get(j, "introducers"), k, p)
					json_array_append(intro, json_object_get(p, "name"));
				json_decref(j);
			}
		char *it = json_dumps(intro, JSON_COMPACT);
		m.introducers_json = arena_strdup(ar, it);
		free(it);
		json_decref(intro);
		struct member_err_ctx mc = {err, ctx, 0};
		/* judged as on the meeting day: a step recorded afterwards (a record kept up
		 * late) must not fail the roster's checks of today */
		member_validate(&m, d, ar, member_err, &mc);
		if (mc.n)
			return DB_CONSTRAINT;
		m.created_at = m.updated_at = now;
		rc = member_insert(db, ar, &m);
		if (rc != DB_OK)
			return rc;
		a->member_id = m.id;
		a->probation_end = fmt_date(ar, date_add_years(d, 1));
	} else if (in->step == 17) {
		struct date b;
		a->approved_on = in->date;
		a->approved_org_id = in->org_id;
		a->approved_age = date_parse(a->birth_date, &b) ? date_years_between(b, d) : 0;
	} else if (in->step == 23 && in->decision && strcmp(in->decision, "extend") == 0) {
		/* R-DEV-12: the 预备期 longer by the months; back to 继续教育考察 */
		struct date pe;
		date_parse(a->probation_end, &pe);
		a->extension_months = (int)in->extension_months;
		a->probation_end = fmt_date(ar, date_add_months(pe, (int)in->extension_months));
		a->last_step = 21;
	} else if (in->step == 23 && in->decision && strcmp(in->decision, "cancel") == 0) {
		/* 取消预备党员资格: off the roster; the record of the way stays here */
		a->status = "cancelled";
		a->status_reason = "支部大会决议取消预备党员资格";
		if (a->member_id > 0) {
			rc = member_delete(db, a->member_id);
			if (rc != DB_OK)
				return rc;
		}
	} else if (in->step == 24) {
		/* R-DEV-13: 正式党员 from the end of the 预备期; 党龄 counts from then */
		struct member_rec m;
		const char *org_name;
		rc = member_load(db, ar, a->member_id, true, &m, &org_name);
		if (rc != DB_OK)
			return rc;
		m.party_status = "formal";
		m.confirmed_on = a->probation_end;
		m.sex = NULL, m.birth_date = NULL;
		struct member_err_ctx mc = {err, ctx, 0};
		member_validate(&m, d, ar, member_err, &mc);
		if (mc.n)
			return DB_CONSTRAINT;
		m.updated_at = now;
		rc = member_update(db, ar, &m);
		if (rc != DB_OK)
			return rc;
	} else if (in->step == 25) {
		a->status = "done";
	}
	struct dev_step_row *rows;
	size_t nr;
	const char *dates[DEV_STEPS + 1];
	rc = dev_steps(db, ar, a->id, &rows, &nr, dates);
	if (rc != DB_OK)
		return rc;
	return save_position(db, a, dates, now);
}

enum db_rc dev_return_last(struct db *db, struct dev_applicant *a, int64_t step_id, const char *reason,
			   const char *prev_on, int64_t now)
{
	struct db_stmt *st = db_prepare(db, &dev_sql[STMT_DEV_STEP_RETURN]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, step_id);
	db_bind_text(st, 2, reason, -1);
	enum db_rc rc = db_step(st);
	db_reset(st);
	if (rc != DB_DONE)
		return rc == DB_ROW ? DB_ERROR : rc;
	if (a->last_step == 17) {
		a->approved_on = NULL;
		a->approved_org_id = 0;
	}
	a->last_step--;
	a->last_on = prev_on;
	struct arena *ar = arena_new();
	struct dev_step_row *rows;
	size_t nr;
	const char *dates[DEV_STEPS + 1];
	rc = dev_steps(db, ar, a->id, &rows, &nr, dates);
	if (rc == DB_OK) {
		/* a repeated step 6 returned leaves the one before */
		if (a->last_step == 5 && !blank(dates[6])) {
			a->last_step = 6;
			a->last_on = dates[6];
		}
		rc = save_position(db, a, dates, now);
	}
	arena_free(ar);
	return rc;
}

enum db_rc dev_withdraw(struct db *db, struct dev_applicant *a, const char *reason, int64_t now)
{
	a->status = "withdrawn";
	a->status_reason = reason;
	const char *dates[DEV_STEPS + 1];
	for (int i = 0; i <= DEV_STEPS; i++)
		dates[i] = "";
	return save_position(db, a, dates, now);
}

/* ---- reading for the API ---- */

json_t *dev_json(const struct dev_applicant *a, bool reveal)
{
	const struct dev_step_def *def = dev_step_def(a->last_step);
	json_t *j = json_pack("{s:I, s:I, s:s?, s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:b, s:s, s:i, s:s, s:i, s:s,"
			      " s:s, s:s, s:s?, s:o, s:s?, s:s?, s:i}",
			      "id", (json_int_t)a->id, "org_id", (json_int_t)a->org_id, "org_name", a->org_name, "name",
			      a->name, "sex", a->sex, "birth_date", a->birth_date, "ethnicity", a->ethnicity, "education",
			      a->education, "work_unit", a->work_unit, "unit_type", a->unit_type, "two_new", a->two_new,
			      "applied_on", a->applied_on, "stage", def ? def->stage : 1, "stage_name",
			      dev_stage_name(def ? def->stage : 1), "last_step", a->last_step, "last_step_name",
			      def ? def->name : "", "last_on", a->last_on, "status", a->status, "status_reason",
			      a->status_reason, "member_id", a->member_id > 0 ? json_integer(a->member_id) : json_null(),
			      "approved_on", a->approved_on, "probation_end", a->probation_end, "extension_months",
			      a->extension_months);
	json_object_set_new(j, "id_number", json_string(reveal && a->id_number ? a->id_number : a->id_masked));
	json_object_set_new(j, "mobile", a->mobile_masked ? json_string(reveal && a->mobile ? a->mobile : a->mobile_masked)
							  : json_null());
	return j;
}

/* A list row written to w (the work list streams it: ~1,000 rows as jansson values
 * were half of its CPU) */
static void list_item_jw(struct db_stmt *st, const char *t, struct jsonw *w)
{
	const char *due = db_col_text(st, LIST_COL_DUE_ON), *warn = db_col_text(st, LIST_COL_WARN_ON);
	const char *level = !due ? NULL : strcmp(t, due) > 0 ? "overdue" : warn && strcmp(t, warn) >= 0 ? "due" : NULL;
	int step = (int)db_col_int(st, LIST_COL_LAST_STEP);
	int stage = (int)db_col_int(st, LIST_COL_STAGE);
	const struct dev_step_def *def = dev_step_def(step), *next = dev_step_def(step + 1);
	jw_object(w);
	jw_kint(w, "id", db_col_int(st, LIST_COL_ID));
	jw_kint(w, "org_id", db_col_int(st, LIST_COL_ORG_ID));
	jw_kstr(w, "org_name", db_col_text(st, LIST_COL_ORG_NAME));
	jw_kstr(w, "name", db_col_text(st, LIST_COL_NAME));
	jw_kstr(w, "sex", db_col_text(st, LIST_COL_SEX));
	jw_kstr(w, "id_number", db_col_text(st, LIST_COL_ID_MASKED));
	jw_kint(w, "stage", stage);
	jw_kstr(w, "stage_name", dev_stage_name(stage));
	jw_kint(w, "last_step", step);
	jw_kstr(w, "last_step_name", def ? def->name : "");
	jw_kstr(w, "last_on", db_col_text(st, LIST_COL_LAST_ON));
	jw_kstr(w, "status", db_col_text(st, LIST_COL_STATUS));
	jw_kstr(w, "next_step_name", next ? next->name : NULL);
	jw_kstr(w, "due_code", db_col_text(st, LIST_COL_DUE_CODE));
	jw_kstr(w, "due_on", due);
	jw_kstr(w, "warning", level);
	jw_object_end(w);
}

/* The same row appended to items (one writer for both) */
static void list_item(struct db_stmt *st, struct date today, json_t *items)
{
	char t[11];
	date_format(today, t);
	struct arena *a = arena_new();
	json_t *j = NULL;
	if (a) {
		struct jsonw w;
		jw_init(&w, a, 1024);
		list_item_jw(st, t, &w);
		j = json_loadb(w.buf, w.len, 0, NULL);
		arena_free(a);
	}
	if (j)
		json_array_append_new(items, j);
}

enum db_rc dev_list(struct db *db, struct arena *ar, const char *prefix, const char *end, int stage,
		    const char *status, const char *name_like, int64_t after, int limit, json_t *items, int64_t *last)
{
	(void)ar;
	struct db_stmt *st = db_prepare(db, &dev_sql[STMT_DEV_LIST]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, prefix, -1);
	db_bind_text(st, 2, end, -1);
	db_bind_int(st, 3, stage);
	db_bind_text(st, 4, status ? status : "active", -1);
	db_bind_opt_text(st, 5, name_like);
	db_bind_int(st, 6, after);
	db_bind_int(st, 7, limit);
	struct date today;
	char t[11];
	clock_today(t);
	date_parse(t, &today);
	enum db_rc rc;
	*last = 0;
	while ((rc = db_step(st)) == DB_ROW) {
		*last = db_col_int(st, LIST_COL_ID);
		list_item(st, today, items);
	}
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

enum db_rc dev_warnings(struct db *db, const char *prefix, const char *end, struct date today, struct jsonw *w,
			int64_t *n)
{
	struct db_stmt *st = db_prepare(db, &dev_sql[STMT_DEV_WARNINGS]);
	if (!st)
		return DB_ERROR;
	char t[11];
	date_format(today, t);
	db_bind_text(st, 1, prefix, -1);
	db_bind_text(st, 2, end, -1);
	db_bind_text(st, 3, t, -1);
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW) {
		list_item_jw(st, t, w);
		(*n)++;
	}
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

enum db_rc dev_board(struct db *db, struct arena *ar, const char *prefix, const char *end, struct date today,
		     json_t *out)
{
	(void)ar;
	struct db_stmt *st = db_prepare(db, &dev_sql[STMT_DEV_BOARD]);
	if (!st)
		return DB_ERROR;
	char t[11];
	date_format(today, t);
	db_bind_text(st, 1, prefix, -1);
	db_bind_text(st, 2, end, -1);
	db_bind_text(st, 3, t, -1);
	int64_t stage[6] = {0}, overdue[6] = {0}, total = 0, total_over = 0;
	json_t *orgs = json_array(), *cur = NULL;
	int64_t cur_id = 0;
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW) {
		int64_t org = db_col_int(st, BOARD_COL_ORG_ID);
		int s = (int)db_col_int(st, BOARD_COL_STAGE);
		int64_t c = db_col_int(st, BOARD_COL_N), o = db_col_int(st, BOARD_COL_OVERDUE);
		if (!cur || org != cur_id) {
			cur = json_pack("{s:I, s:s, s:[iiiii], s:[iiiii], s:I, s:I}", "org_id", (json_int_t)org, "org_name",
					db_col_text(st, BOARD_COL_ORG_NAME), "stages", 0, 0, 0, 0, 0, "overdue_by_stage", 0,
					0, 0, 0, 0, "total", (json_int_t)0, "overdue", (json_int_t)0);
			json_array_append_new(orgs, cur);
			cur_id = org;
		}
		if (s >= 1 && s <= 5) {
			stage[s] += c;
			overdue[s] += o;
			json_array_set_new(json_object_get(cur, "stages"), (size_t)s - 1, json_integer(c));
			json_array_set_new(json_object_get(cur, "overdue_by_stage"), (size_t)s - 1, json_integer(o));
		}
		json_object_set_new(cur, "total", json_integer(json_integer_value(json_object_get(cur, "total")) + c));
		json_object_set_new(cur, "overdue", json_integer(json_integer_value(json_object_get(cur, "overdue")) + o));
		total += c;
		total_over += o;
	}
	db_reset(st);
	if (rc != DB_DONE) {
		json_decref(orgs);
		return rc;
	}
	json_t *stages = json_array();
	for (int s = 1; s <= 5; s++)
		json_array_append_new(stages, json_pack("{s:i, s:s, s:I, s:I}", "stage", s, "name", dev_stage_name(s),
							"count", (json_int_t)stage[s], "overdue", (json_int_t)overdue[s]));
	json_object_set_new(out, "stages", stages);
	json_object_set_new(out, "orgs", orgs);
	json_object_set_new(out, "total", json_integer(total));
	json_object_set_new(out, "overdue", json_integer(total_over));
	return DB_OK;
}

/* The statistics of a subtree and period, kept per (range, period, revision of the
 * records): ~20 ms of index scans over 50,000 records at the district, asked by the
 * statistics page, the indicators and the yearly report. None of the figures ages
 * with the day (ages are taken at approval), so the day is not in the key. */
REVCACHE_DEFINE(stats_cache, 64, struct dev_stats);

/* dev.rev's row */
enum dev_rev_col { DR_EPOCH, DR_REV, DR_ORG_REV };

/* The records' revision, or rev -1 when it cannot be read (no caching). */
static void dev_revision(struct db *db, int64_t *epoch, int64_t *rev)
{
	*epoch = 0;
	*rev = -1;
	struct db_stmt *st = db_prepare(db, &dev_sql[STMT_DEV_REV]);
	if (st && db_step(st) == DB_ROW) {
		*epoch = db_col_int(st, DR_EPOCH);
		*rev = db_col_int(st, DR_REV);
	}
	if (st)
		db_reset(st);
}

void dev_view_revision(struct db *db, int64_t *epoch, int64_t *rev, int64_t *org_rev)
{
	*epoch = 0;
	*rev = *org_rev = -1;
	struct db_stmt *st = db_prepare(db, &dev_sql[STMT_DEV_VIEW_REV]);
	if (st && db_step(st) == DB_ROW) {
		*epoch = db_col_int(st, DR_EPOCH);
		*rev = db_col_int(st, DR_REV);
		*org_rev = db_col_int(st, DR_ORG_REV);
	}
	if (st)
		db_reset(st);
}

static enum db_rc stats_range(struct db *db, const char *prefix, const char *end, const char *from, const char *to,
			      struct dev_stats *s);

enum db_rc dev_stats_range(struct db *db, const char *prefix, const char *end, const char *from, const char *to,
			   struct dev_stats *s)
{
	char key[sizeof stats_cache_slots[0].prefix];
	int64_t epoch, rev;
	dev_revision(db, &epoch, &rev);
	int kl = snprintf(key, sizeof key, "%s|%s|%s|%s", prefix, end, from, to);
	bool keep = rev >= 0 && kl > 0 && (size_t)kl < sizeof key;
	struct dev_stats one;
	if (!keep || !revcache_get(&stats_cache, key, epoch, rev, 0, &one)) {
		memset(&one, 0, sizeof one);
		enum db_rc rc = stats_range(db, prefix, end, from, to, &one);
		if (rc != DB_OK)
			return rc;
		if (keep)
			revcache_put(&stats_cache, key, epoch, rev, 0, &one);
	}
	s->developed += one.developed;
	s->under_35 += one.under_35;
	s->college_plus += one.college_plus;
	s->two_new += one.two_new;
	s->women += one.women;
	s->minorities += one.minorities;
	for (int k = 0; k < 6; k++)
		s->stage[k] += one.stage[k];
	s->applicants += one.applicants;
	s->activists += one.activists;
	s->candidates += one.candidates;
	s->probationary += one.probationary;
	return DB_OK;
}

static enum db_rc stats_range(struct db *db, const char *prefix, const char *end, const char *from, const char *to,
			      struct dev_stats *s)
{
	struct db_stmt *st = db_prepare(db, &dev_sql[STMT_DEV_STATS]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, prefix, -1);
	db_bind_text(st, 2, end, -1);
	db_bind_text(st, 3, from, -1);
	db_bind_text(st, 4, to, -1);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		s->developed += db_col_int(st, STATS_COL_DEVELOPED);
		s->under_35 += db_col_int(st, STATS_COL_UNDER_35);
		s->college_plus += db_col_int(st, STATS_COL_COLLEGE);
		s->two_new += db_col_int(st, STATS_COL_TWO_NEW);
		s->women += db_col_int(st, STATS_COL_WOMEN);
		s->minorities += db_col_int(st, STATS_COL_MINORITIES);
		rc = DB_OK;
	}
	db_reset(st);
	if (rc != DB_OK)
		return rc == DB_DONE ? DB_ERROR : rc;
	st = db_prepare(db, &dev_sql[STMT_DEV_PIPELINE]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, prefix, -1);
	db_bind_text(st, 2, end, -1);
	while ((rc = db_step(st)) == DB_ROW) {
		int step = (int)db_col_int(st, PIPE_COL_LAST_STEP);
		int64_t c = db_col_int(st, PIPE_COL_N);
		const struct dev_step_def *def = dev_step_def(step);
		if (def)
			s->stage[def->stage] += c;
		if (step <= 2)
			s->applicants += c;
		else if (step <= 6)
			s->activists += c;
		else if (step <= 14)
			s->candidates += c;
		else
			s->probationary += c;
	}
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}
