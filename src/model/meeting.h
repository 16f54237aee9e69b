/* meeting.h: 三会一课 and organizational life (DOMAIN.md §4; issue 15): the records
 * with their attendance (meeting.c), the review by the level above with its 调阅
 * count (meeting.c), and the cadence pass of R-MTG-01 with exemptions, the heat-map,
 * early warnings, 民主评议党员 grades, study hours and statistics
 * (meeting_compliance.c). Tables: sql/…/0071_meetings.sql. Who may do what is the api's
 * (api/meetings.c); this module takes values that are already valid. */
#ifndef DJ_MEETING_H
#define DJ_MEETING_H
#include "core/date.h"
#include "db/db.h"
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct arena;

/* The types of §4, numbered as stored (meetings.type). */
enum mtg_type {
	MTG_GENERAL = 1,   /* 支部党员大会: 1 per quarter */
	MTG_COMMITTEE = 2, /* 支部委员会会议: 1 per month */
	MTG_GROUP = 3,     /* 党小组会: 1 per month (branches with 党小组) */
	MTG_LECTURE = 4,   /* 党课: 1 per quarter */
	MTG_THEME_DAY = 5, /* 主题党日: 1 per month */
	MTG_LIFE = 6,      /* 组织生活会: 1 per year */
	MTG_APPRAISAL = 7, /* 民主评议党员: 1 per year */
	MTG_TYPE__MAX
};
enum mtg_cadence { MTG_MONTHLY, MTG_QUARTERLY, MTG_YEARLY };

/* The type's Chinese name ("支部党员大会"), or NULL for a number out of range. */
const char *mtg_type_name(int type);
/* The type of a name, 0 when none. */
int mtg_type_of(const char *name);
enum mtg_cadence mtg_type_cadence(int type);
/* The period key of date d for the type's cadence: "2026-03", "2026-Q1" or "2026". */
void mtg_period_key(int type, struct date d, char out[8]);
/* Whether key is a well-formed period of the type's cadence. */
bool mtg_period_valid(int type, const char *key);

enum mtg_status { MTG_PLANNED, MTG_DRAFT, MTG_SUBMITTED, MTG_RETURNED, MTG_APPROVED, MTG_STATUS__MAX };
const char *mtg_status_code(enum mtg_status s);
enum mtg_status mtg_status_of(const char *code); /* MTG_STATUS__MAX when unknown */

/* One line of the attendance. member_id 0 for a 列席 guest. */
enum mtg_att { MTG_PRESENT, MTG_LEAVE, MTG_ABSENT, MTG_GUEST, MTG_ATT__MAX };
const char *mtg_att_code(enum mtg_att a);
struct mtg_attendee {
	int64_t member_id;
	const char *name, *reason;
	enum mtg_att status;
};

struct meeting {
	int64_t id, org_id;
	const char *org_path, *org_name;
	int type;
	enum mtg_status status;
	const char *topic, *planned_on, *held_on, *place, *host, *recorder, *content, *resolution;
	int hours_x10; /* 学时 credited to each member present, in tenths */
	int due, present, leave, absent, guests;
	const char *return_reason, *reviewer_name;
	int64_t reviewer_id, reviewed_at, view_count, version, created_by, created_at, updated_at, submitted_at;
};

/* The roster due at a meeting of org on date: members of the organization's subtree who
 * had joined by then and whose state is one that takes part in organizational life
 * (normal, floating, abroad: not suspended, transferred out, or ended). Appends
 * {id, name, party_post} to items (by name) when items is not NULL; *n = how many. */
enum db_rc mtg_roster(struct db *db, const char *org_path, const char *date, json_t *items, int64_t *n);
/* Whether member_id is on that roster. */
enum db_rc mtg_roster_has(struct db *db, const char *org_path, const char *date, int64_t member_id, bool *yes,
			  const char **name, struct arena *a);

/* Inserts m (id set) with its attendance lines. */
enum db_rc mtg_insert(struct db *db, struct meeting *m, const struct mtg_attendee *att, size_t natt);
/* Writes m's fields and, when att is not NULL, replaces its attendance; version += 1. */
enum db_rc mtg_update(struct db *db, const struct meeting *m, const struct mtg_attendee *att, size_t natt);
/* Loads one record (DB_NOT_FOUND when none); strings arena-owned. */
enum db_rc mtg_get(struct db *db, struct arena *a, int64_t id, struct meeting *m);
/* The record as JSON (no attendance). New reference. */
json_t *mtg_json(const struct meeting *m);
/* The same object written to w (the list pages stream it). */
struct jsonw;
void mtg_jw(struct jsonw *w, const struct meeting *m);
/* Its attendance lines, in order. */
enum db_rc mtg_attendance(struct db *db, int64_t id, json_t *items);
/* Deletes a record (attendance, views, amendments go with it; files are the caller's). */
enum db_rc mtg_delete(struct db *db, int64_t id);
/* Sets the review outcome: status, reason (returned), reviewer. */
enum db_rc mtg_set_status(struct db *db, int64_t id, enum mtg_status s, const char *reason, int64_t reviewer_id,
			  const char *reviewer_name, int64_t at);
/* Records one 调阅 (each opening by a higher level) and raises view_count. */
enum db_rc mtg_view_add(struct db *db, int64_t id, const char *org_path, int64_t viewer, const char *name, int64_t at);
/* The 调阅 of a record, newest first: {viewer_id, viewer_name, viewed_at}. */
enum db_rc mtg_views(struct db *db, int64_t id, json_t *items);
/* Keeps the record as it was before an amendment of an approved record. */
enum db_rc mtg_amend_keep(struct db *db, const struct meeting *before, const char *reason, int64_t by, int64_t at);
enum db_rc mtg_amendments(struct db *db, int64_t id, json_t *items);

/* A page of a subtree's records (org_path range), newest first (held, else planned date),
 * optionally of one type or status, after the keyset (key date, id) of the last row
 * shown ("" and 0 for the first page). Writes the rows (mtg_jw) to w, adds their number to
 * *n, keeps the last one's keyset; *more when there are more. */
struct mtg_filter {
	const char *prefix, *end;
	int type;                /* 0: any */
	int status;              /* -1: any, else enum mtg_status */
	const char *from, *to;   /* dates, inclusive; NULL: open */
	const char *after_key;   /* keyset */
	int64_t after_id;
	int limit;
};
#define MTG_KEY_MAX 32
enum db_rc mtg_list(struct db *db, const struct mtg_filter *f, struct jsonw *w, int *n, char last_key[MTG_KEY_MAX],
		    int64_t *last_id, bool *more);
/* The revision of what a list page shows (0127_meeting_list_rev) and the database's
 * epoch; *rev = -1 when unknown (do not cache). */
void mtg_list_revision(struct db *db, int64_t *epoch, int64_t *rev);
/* The reviewer's queue: submitted records of the range, oldest first, up to limit, and
 * the range's counts by status and its 调阅 total. */
enum db_rc mtg_queue(struct db *db, struct arena *a, const char *prefix, const char *end, int limit, json_t *items,
		     json_t *counts);

/* A subtree moved from old_prefix to new_prefix (org_move): the records', 调阅 rows' and
 * exemptions' paths follow, in the move's transaction. */
enum db_rc mtg_move_paths(struct db *db, const char *old_prefix, const char *new_prefix);

/* ---- meeting_compliance.c ---- */

/* R-MTG-01 exemptions. DB_CONSTRAINT when one exists already for (org, type, period). */
enum db_rc mtg_exempt_add(struct db *db, int64_t org_id, const char *org_path, int type, const char *period,
			  const char *reason, int64_t by, int64_t at);
enum db_rc mtg_exemptions(struct db *db, int64_t org_id, int year, json_t *items);

/* The cadence pass over a subtree for a year, as of today (a period not yet ended is
 * pending, not missing). Each branch (党支部, 联合党支部) is a row; a 党小组's meetings
 * count for its branch, and 党小组会 is due only from a branch that has groups.
 * Per branch and month: required (items whose period ends in that month and are not
 * exempt), met, missing (ended, neither held nor exempt). Rows offset…offset+limit are
 * written with names; the totals cover every branch. The JSON: {year, as_of, branches,
 * months: [{month, ok, partial, missing, future}], rate, met, missing, exempt,
 * rows: [{org_id, name, cells: [[required, met, missing] × 12]}]}. */
struct mtg_heat_opts {
	const char *prefix, *end;
	int year;
	struct date today;
	int offset, limit;
	int64_t only_org; /* > 0: that branch's detail by type and period too ("detail") */
};
json_t *mtg_heatmap(struct db *db, struct arena *a, const struct mtg_heat_opts *o, enum db_rc *rc);
/* Early warnings as of today: in the last 10 days of a month (or quarter, or year) the
 * branches whose meetings of that period are still missing: [{org_id, name, type,
 * type_name, period, days_left}], at most limit. */
json_t *mtg_warnings(struct db *db, struct arena *a, const char *prefix, const char *end, struct date today, int limit,
		     enum db_rc *rc);
/* Creates the year's plan for a branch: a planned record for each period of each type
 * of its cadence that has none yet (planned date: the 15th of the month, or of the last
 * month of the quarter, or 15 December). *created = how many. */
enum db_rc mtg_plan_year(struct db *db, int64_t org_id, const char *org_path, bool has_groups, int year, int64_t by,
			 int64_t at, int *created);

/* 民主评议党员: grades of a year for members of org. grade codes: excellent, qualified,
 * basic, unqualified. */
const char *mtg_grade_name(const char *code); /* NULL when not a grade */
enum db_rc mtg_grade_set(struct db *db, int64_t member_id, int year, int64_t org_id, int64_t meeting_id,
			 const char *grade, int64_t at);
/* Counts by grade and the list of a subtree's year: {counts:{excellent,…}, items:[{member_id,
 * name, org_id, grade, grade_name, follow_up}]}; a 不合格 carries follow_up true. */
json_t *mtg_grades(struct db *db, const char *prefix, const char *end, int year, enum db_rc *rc);

/* Study hours of a year: each member present at a submitted or approved meeting of the
 * year is credited its hours. Required: 56 for secretaries and committee members (a
 * party_post), 32 for the rest. */
#define MTG_HOURS_MEMBER 32
#define MTG_HOURS_CADRE 56
enum db_rc mtg_member_hours(struct db *db, int64_t member_id, int year, int *hours_x10, json_t *items);
/* The members of a subtree with their hours and requirement, shortest first:
 * [{member_id, name, org_id, hours, required, short}]; *nshort = how many are short. */
enum db_rc mtg_hours_list(struct db *db, const char *prefix, const char *end, int year, json_t *items, int64_t *nshort);

/* GET /stats/meetings: meetings held by type, records reviewed (调阅 count) and
 * approved, compliance rate, average attendance (present / due), study hours per member,
 * for a subtree and a period [from, to]. */
json_t *mtg_stats(struct db *db, struct arena *a, const char *prefix, const char *end, const char *from, const char *to,
		  struct date today, enum db_rc *rc);
#endif
