/* dev.h: 发展党员, the 5-stage 25-step record of every applicant (DOMAIN.md §2,
 * issue 13). An applicant (dev_applicants, 0061) is a person on the way from 入党申请
 * to 正式党员; each recorded step is a row of dev_steps. The rules R-DEV-01…16 are
 * checked here (dev_check_step), each refusal a field error whose code names the rule;
 * the api layer adds who may act (scope and permission) and writes through
 * dev_commit_step, which also makes the 预备党员 at step 15 (R-DEV-11) and the 正式党员
 * at step 24 (R-DEV-13) in the roster, in the caller's transaction. */
#ifndef DJ_DEV_H
#define DJ_DEV_H
#include "core/date.h"
#include "db/db.h"
#include "model/member.h"
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct arena;

#define DEV_STEPS 25

/* Who records a step: the branch, or a 基层党委 or higher above it (R-DEV-10): the
 * approvals, the 预审 and the talk before approval; or a filing with a committee (备案). */
enum dev_level { DEV_BRANCH, DEV_COMMITTEE, DEV_FILING, DEV_LEVEL__MAX };

struct dev_step_def {
	int step, stage;
	const char *name;  /* 递交入党申请书 … */
	const char *body;  /* the deciding body by default: 支委会, 支部党员大会, 基层党委 … */
	enum dev_level level;
};
/* The step's definition (1…25), or NULL. */
const struct dev_step_def *dev_step_def(int step);
/* The stage's name (1…5): 申请入党, 入党积极分子, 发展对象, 预备党员接收, 预备党员考察. */
const char *dev_stage_name(int stage);

struct dev_applicant {
	int64_t id, org_id, member_id, approved_org_id;
	const char *org_path, *org_name;
	const char *name, *sex, *birth_date, *ethnicity, *education, *work_unit, *unit_type;
	const char *id_number, *mobile;       /* plaintext: in memory only (insert, forms) */
	const char *id_masked, *mobile_masked;
	bool two_new;
	const char *applied_on, *last_on, *status, *status_reason, *approved_on, *probation_end;
	int stage, last_step, extension_months, approved_age;
	int64_t created_at, updated_at;
};

/* One recorded step. */
struct dev_step_row {
	int64_t id, org_id, actor_id, created_at;
	int step;
	const char *done_on, *body, *actor_name, *notes, *data, *return_reason; /* data: JSON text */
	bool returned;
};

/* What a caller asks to record: the step, its date and particulars (absent: 0/NULL). */
struct dev_vote_in {
	int64_t present, absent_written, ballots_issued, ballots_returned, yes, no, abstain;
	bool given;
};
struct dev_step_in {
	int step;
	const char *date;            /* D(step) */
	int64_t org_id;              /* the body's organization: a committee for DEV_COMMITTEE/FILING */
	const char *org_path, *org_type;
	const char *body, *notes;
	json_t *contacts;            /* step 5: 1–2 member ids (正式党员) */
	json_t *introducers;         /* step 9: exactly 2 member ids (正式党员, R-DEV-05) */
	const char *conclusion;      /* step 10: 合格 | 不合格 (R-DEV-06) */
	int64_t hours, days;         /* step 11 (R-DEV-04) */
	const char *result;          /* step 13: 同意 | 不同意 */
	const char *publicity_start; /* steps 7 and 23 (R-DEV-15) */
	struct dev_vote_in vote;     /* steps 15 and 23 (R-DEV-08) */
	const char *decision;        /* step 23: confirm | extend | cancel */
	int64_t extension_months;    /* step 23 with extend: 6–12 (R-DEV-12) */
	const char *delay_reason;    /* step 17 past 3 months (R-DEV-09) */
};

typedef void (*dev_err_fn)(void *ctx, const char *field, const char *code, const char *message);

/* The outcome of a vote (R-DEV-08): due is computed from the roster. */
struct dev_vote_outcome {
	int64_t due;
	bool quorum, passed;
};

/* Checks in against the applicant's record and steps (D(x) from dates[x], "" when not
 * recorded), the roster and the calendar, reporting every broken rule through err
 * (field, rule ID or a plain code, Chinese message). On success *data is the JSON of
 * the step's particulars to store (computed outcomes included; caller decrefs) and the
 * return is 0; otherwise the number of errors (and DB failures as -1 with *rc set). */
int dev_check_step(struct db *db, struct arena *ar, const struct dev_applicant *a, const char *dates[DEV_STEPS + 1],
		   const struct dev_step_in *in, struct date today, dev_err_fn err, void *ctx, json_t **data,
		   enum db_rc *rc);
/* Writes a checked step: the step row, the applicant's position, and the roster's part
 * (step 15 inserts the 预备党员, step 23 may extend or cancel, step 24 makes the member
 * 正式党员 with 转正时间 = the end of the 预备期). *member_err is set when the roster
 * refuses the record (a field error through err). */
enum db_rc dev_commit_step(struct db *db, struct arena *ar, struct dev_applicant *a, const struct dev_step_in *in,
			   json_t *data, int64_t actor_id, const char *actor_name, int64_t now, struct date today,
			   dev_err_fn err, void *ctx);

/* Validates and seals a new applicant (R-DEV-01 on applied_on; ID number GB 11643) and
 * inserts it with step 1. DB_CONSTRAINT when the person is an applicant already. */
int dev_validate_new(struct dev_applicant *a, struct date today, struct arena *ar, dev_err_fn err, void *ctx);
enum db_rc dev_insert(struct db *db, struct arena *ar, struct dev_applicant *a, int64_t actor_id,
		      const char *actor_name);
/* Loads applicant id with its branch's name and path; DB_NOT_FOUND when missing. */
enum db_rc dev_load(struct db *db, struct arena *ar, int64_t id, struct dev_applicant *a);
/* Opens the sealed ID number and mobile into a (forms, step 15). */
enum db_rc dev_unseal(struct db *db, struct arena *ar, struct dev_applicant *a);
/* Every step row of id, oldest first (arena array), and the current dates by step. */
enum db_rc dev_steps(struct db *db, struct arena *ar, int64_t id, struct dev_step_row **rows, size_t *n,
		     const char *dates[DEV_STEPS + 1]);
/* Returns the last recorded step for editing (退回修改): the step row stays, marked with
 * the reason, and the applicant goes back one step. */
enum db_rc dev_return_last(struct db *db, struct dev_applicant *a, int64_t step_id, const char *reason,
			   const char *prev_on, int64_t now);
/* Ends the applicant's way (终止) with a reason. */
enum db_rc dev_withdraw(struct db *db, struct dev_applicant *a, const char *reason, int64_t now);
/* An existing applicant or member with this ID blind index: *where 'a' / 'm' / 0. */
enum db_rc dev_find_person(struct db *db, struct arena *ar, const unsigned char blind[DJ_BLIND_LEN], char *where);

/* The 正式党员 with voting rights of the branch org_path (and its 党小组) on date: due
 * voters of R-DEV-08. */
enum db_rc dev_due_voters(struct db *db, const char *org_path, const char *date, int64_t *due);

/* Quotas (R-DEV-16): the committee's quota for year (*set false when none) and the
 * approvals (step 17) it has made in the year. */
enum db_rc dev_quota(struct db *db, int64_t org_id, int year, int64_t *quota, bool *set, int64_t *used);
enum db_rc dev_quota_put(struct db *db, int64_t org_id, int year, int64_t quota, int64_t now);
/* The quotas of year for the committees within [prefix, end) as API items
 * {org_id, org_name, year, quota, used, left}. */
enum db_rc dev_quota_list(struct db *db, const char *prefix, const char *end, int year, json_t *items);

/* The applicant as the API shows it (masked unless reveal) with its steps, what is due
 * next and its warnings (today). */
json_t *dev_json(const struct dev_applicant *a, bool reveal);
/* The next step and its deadline, and warnings as API objects {code, rule, level,
 * message, due_on} appended to warnings. */
void dev_due(const struct dev_applicant *a, const char *dates[DEV_STEPS + 1], struct date today, json_t *out);

/* A page of applicants of [prefix, end) (stage 0: any; status NULL: active), id > after,
 * limit rows, as list items. */
enum db_rc dev_list(struct db *db, struct arena *ar, const char *prefix, const char *end, int stage,
		    const char *status, const char *name_like, int64_t after, int limit, json_t *items, int64_t *last);
/* The board: active applicants by stage and by the organization directly under root
 * (root itself for its own), and the overdue ones (dev_due's overdue warnings). */
enum db_rc dev_board(struct db *db, struct arena *ar, const char *prefix, const char *end, struct date today,
		     json_t *out);
/* The revisions of what the board and the work list show: the records' (dev_rev, with
 * the database's epoch) and the organizations' (org_rev: their names); rev -1 when
 * they cannot be read (do not cache). */
void dev_view_revision(struct db *db, int64_t *epoch, int64_t *rev, int64_t *org_rev);
/* The warnings of every active applicant in [prefix, end), overdue first: list items
 * written to w, *n += their number. */
struct jsonw;
enum db_rc dev_warnings(struct db *db, const char *prefix, const char *end, struct date today, struct jsonw *w,
			int64_t *n);

/* Statistics (issue 13 #9): developed (D(17) in [from, to]) in total, under 35 on D(17),
 * 大专及以上, from 两新, women, minorities; the pipeline by stage (active). */
struct dev_stats {
	int64_t developed, under_35, college_plus, two_new, women, minorities;
	int64_t stage[6]; /* 1…5 */
	int64_t applicants, activists, candidates, probationary;
};
enum db_rc dev_stats_range(struct db *db, const char *prefix, const char *end, const char *from, const char *to,
			   struct dev_stats *s);
/* The applicant linked to member id (the phone's 我的), DB_NOT_FOUND when none. */
enum db_rc dev_by_member(struct db *db, struct arena *ar, int64_t member_id, struct dev_applicant *a);
#endif

/* Demo data (model/demo_dev.c): n applicants spread over the branches of [prefix, end),
 * at every step, some overdue, with their histories as a branch would have recorded
 * them (members made at step 15, made 正式 at step 24), and the committees' quotas for
 * the years touched. Inside the caller's write transaction. */
enum db_rc dev_demo_fill(struct db *db, const char *prefix, const char *end, int64_t n, uint64_t seed, char *why,
			 size_t whylen);
