/* meeting.c: the records of 三会一课 and organizational life, their attendance, review
 * and 调阅 (see meeting.h). The cadence pass and what is computed from many records
 * are in meeting_compliance.c. */
#include "model/meeting.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/jsonw.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	enum mtg_cadence cadence;
} types[MTG_TYPE__MAX] = {
	[MTG_GENERAL] = {"支部党员大会", MTG_QUARTERLY}, [MTG_COMMITTEE] = {"支部委员会会议", MTG_MONTHLY},
	[MTG_GROUP] = {"党小组会", MTG_MONTHLY},	     [MTG_LECTURE] = {"党课", MTG_QUARTERLY},
	[MTG_THEME_DAY] = {"主题党日", MTG_MONTHLY},	     [MTG_LIFE] = {"组织生活会", MTG_YEARLY},
	[MTG_APPRAISAL] = {"民主评议党员", MTG_YEARLY},
};

const char *mtg_type_name(int type)
{
	return type > 0 && type < MTG_TYPE__MAX ? types[type].name : NULL;
}

int mtg_type_of(const char *name)
{
	for (int t = 1; name && t < MTG_TYPE__MAX; t++)
		if (strcmp(types[t].name, name) == 0)
			return t;
	return 0;
}

enum mtg_cadence mtg_type_cadence(int type)
{
	return type > 0 && type < MTG_TYPE__MAX ? types[type].cadence : MTG_YEARLY;
}

void mtg_period_key(int type, struct date d, char out[8])
{
	switch (mtg_type_cadence(type)) {
	case MTG_MONTHLY: snprintf(out, 8, "%04u-%02u", (unsigned)d.y % 10000u, (unsigned)d.m % 100u); break;
	case MTG_QUARTERLY: snprintf(out, 8, "%04u-Q%u", (unsigned)d.y % 10000u, (unsigned)(d.m - 1) / 3u % 4u + 1u); break;
	default: snprintf(out, 8, "%04u", (unsigned)d.y % 10000u); break;
	}
}

bool mtg_period_valid(int type, const char *k)
{
	if (!k || strlen(k) < 4)
		return false;
	for (int i = 0; i < 4; i++)
		if (k[i] < '0' || k[i] > '9')
			return false;
	switch (mtg_type_cadence(type)) {
	case MTG_MONTHLY:
		return strlen(k) == 7 && k[4] == '-' && ((k[5] == '0' && k[6] >= '1' && k[6] <= '9') ||
							 (k[5] == '1' && k[6] >= '0' && k[6] <= '2'));
	case MTG_QUARTERLY: return strlen(k) == 7 && k[4] == '-' && k[5] == 'Q' && k[6] >= '1' && k[6] <= '4';
	default: return strlen(k) == 4;
	}
}

static const char *const status_codes[MTG_STATUS__MAX] = {
	[MTG_PLANNED] = "planned", [MTG_DRAFT] = "draft", [MTG_SUBMITTED] = "submitted",
	[MTG_RETURNED] = "returned", [MTG_APPROVED] = "approved",
};

const char *mtg_status_code(enum mtg_status s)
{
	return s < MTG_STATUS__MAX ? status_codes[s] : "draft";
}

enum mtg_status mtg_status_of(const char *code)
{
	for (int s = 0; code && s < MTG_STATUS__MAX; s++)
		if (strcmp(status_codes[s], code) == 0)
			return (enum mtg_status)s;
	return MTG_STATUS__MAX;
}

static const char *const att_codes[MTG_ATT__MAX] = {"present", "leave", "absent", "guest"};

const char *mtg_att_code(enum mtg_att a)
{
	return a < MTG_ATT__MAX ? att_codes[a] : "absent";
}

enum meeting_stmt {
	STMT_MTG_ROSTER,
	STMT_MTG_ROSTER_HAS,
	STMT_MTG_INSERT,
	STMT_MTG_UPDATE,
	STMT_MTG_ATT_CLEAR,
	STMT_MTG_ATT_ADD,
	STMT_MTG_GET,
	STMT_MTG_ATT_LIST,
	STMT_MTG_DELETE,
	STMT_MTG_SET_STATUS,
	STMT_MTG_VIEW_ADD,
	STMT_MTG_VIEW_COUNT,
	STMT_MTG_VIEWS,
	STMT_MTG_AMEND_ADD,
	STMT_MTG_AMENDMENTS,
	STMT_MTG_LIST,
	STMT_MTG_LIST_REV,
	STMT_MTG_QUEUE,
	STMT_MTG_QUEUE_COUNTS,
	STMT_MTG_MOVE_MEETINGS,
	STMT_MTG_MOVE_VIEWS,
	STMT_MTG_MOVE_EXEMPTIONS,
	MEETING_STMT__MAX
};

/* mtg.get's and mtg.list's rows */
enum mtg_col {
	MC_ID, MC_ORG_ID, MC_ORG_PATH, MC_ORG_NAME, MC_TYPE, MC_STATUS, MC_TOPIC, MC_PLANNED_ON, MC_HELD_ON, MC_PLACE,
	MC_HOST, MC_RECORDER, MC_CONTENT, MC_RESOLUTION, MC_HOURS, MC_DUE, MC_PRESENT, MC_LEAVE, MC_ABSENT, MC_GUESTS,
	MC_RETURN_REASON, MC_REVIEWER_ID, MC_REVIEWER_NAME, MC_REVIEWED_AT, MC_VIEW_COUNT, MC_VERSION, MC_CREATED_BY,
	MC_CREATED_AT, MC_UPDATED_AT, MC_SUBMITTED_AT, MC_KEY,
};
#define MTG_COLS                                                                                                       \
	"m.id, m.org_id, m.org_path, o.name, m.type, m.status, m.topic, m.planned_on, m.held_on, m.place, m.host,"     \
	" m.recorder, m.content, m.resolution, m.hours_x10, m.due_count, m.present_count, m.leave_count,"              \
	" m.absent_count, m.guest_count, m.return_reason, COALESCE(m.reviewer_id, 0), m.reviewer_name,"                \
	" COALESCE(m.reviewed_at, 0), m.view_count, m.version, COALESCE(m.created_by, 0), m.created_at, m.updated_at," \
	" COALESCE(m.submitted_at, 0), COALESCE(m.held_on, m.planned_on, '')"
/* states that take part in organizational life (meeting.h: mtg_roster) */
#define ROSTER_WHERE                                                                                                   \
	" WHERE org_path >= $1 AND org_path < $2 AND joined_on <= $3"                                                  \
	" AND state IN ('normal', 'floating', 'abroad', 'lost')"

static const struct db_sql meeting_sql[MEETING_STMT__MAX] = {
	[STMT_MTG_ROSTER] = {"mtg.roster", "SELECT id, name, COALESCE(party_post, '') FROM members" ROSTER_WHERE " ORDER BY name, id"},
	[STMT_MTG_ROSTER_HAS] = {"mtg.roster_has", "SELECT name FROM members" ROSTER_WHERE " AND id = $4"},
	/* $1 org, $2 path, $3 type, $4 status, $5 topic, $6 planned, $7 held, $8 held_ym, $9 place,
	 * $10 host, $11 recorder, $12 content, $13 resolution, $14 hours, $15 due, $16 present,
	 * $17 leave, $18 absent, $19 guests, $20 created_by, $21 time */
	[STMT_MTG_INSERT] = {"mtg.insert",
	 "INSERT INTO meetings (org_id, org_path, type, status, topic, planned_on, held_on, held_ym, place, host, recorder,"
	 " content, resolution, hours_x10, due_count, present_count, leave_count, absent_count, guest_count, created_by,"
	 " created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,"
	 " $18, $19, $20, $21, $21) RETURNING id"},
	/* the same numbering; $1 is the record's id and $20 the submitted_at (0: keep) */
	[STMT_MTG_UPDATE] = {"mtg.update",
	 "UPDATE meetings SET org_path = $2, type = $3, status = $4, topic = $5, planned_on = $6, held_on = $7,"
	 " held_ym = $8, place = $9, host = $10, recorder = $11, content = $12, resolution = $13, hours_x10 = $14,"
	 " due_count = $15, present_count = $16, leave_count = $17, absent_count = $18, guest_count = $19,"
	 " submitted_at = CASE WHEN CAST($20 AS BIGINT) > 0 THEN CAST($20 AS BIGINT) ELSE submitted_at END, updated_at = $21, version = version + 1"
	 " WHERE id = $1"},
	[STMT_MTG_ATT_CLEAR] = {"mtg.att_clear", "DELETE FROM meeting_attendance WHERE meeting_id = $1"},
	[STMT_MTG_ATT_ADD] = {"mtg.att_add",
	 "INSERT INTO meeting_attendance (meeting_id, seq, member_id, name, status, reason) VALUES ($1, $2, $3, $4, $5, $6)"},
	[STMT_MTG_GET] = {"mtg.get", "SELECT " MTG_COLS " FROM meetings m JOIN orgs o ON o.id = m.org_id WHERE m.id = $1"},
	[STMT_MTG_ATT_LIST] = {"mtg.att_list",
	 "SELECT COALESCE(member_id, 0), name, status, reason FROM meeting_attendance WHERE meeting_id = $1 ORDER BY seq"},
	[STMT_MTG_DELETE] = {"mtg.delete", "DELETE FROM meetings WHERE id = $1"},
	[STMT_MTG_SET_STATUS] = {"mtg.set_status",
	 "UPDATE meetings SET status = $2, return_reason = $3, reviewer_id = $4, reviewer_name = $5, reviewed_at = $6,"
	 " updated_at = $6 WHERE id = $1"},
	[STMT_MTG_VIEW_ADD] = {"mtg.view_add",
	 "INSERT INTO meeting_views (meeting_id, org_path, viewer_id, viewer_name, viewed_at) VALUES ($1, $2, $3, $4, $5)"},
	[STMT_MTG_VIEW_COUNT] = {"mtg.view_count", "UPDATE meetings SET view_count = view_count + 1 WHERE id = $1"},
	[STMT_MTG_VIEWS] = {"mtg.views",
	 "SELECT viewer_id, viewer_name, viewed_at FROM meeting_views WHERE meeting_id = $1 ORDER BY id DESC LIMIT 200"},
	[STMT_MTG_AMEND_ADD] = {"mtg.amend_add",
	 "INSERT INTO meeting_amendments (meeting_id, version, reason, before_json, changed_by, changed_at)"
	 " VALUES ($1, $2, $3, $4, $5, $6)"},
	[STMT_MTG_AMENDMENTS] = {"mtg.amendments",
	 "SELECT version, reason, before_json, COALESCE(changed_by, 0), changed_at FROM meeting_amendments"
	 " WHERE meeting_id = $1 ORDER BY id DESC"},
	/* $1/$2 range, $3 type (0 any), $4 status ('' any), $5 from ('' open), $6 to ('' open),
	 * $7 keyset date, $8 keyset id, $9 limit */
	[STMT_MTG_LIST] = {"mtg.list",
	 "SELECT " MTG_COLS " FROM meetings m JOIN orgs o ON o.id = m.org_id"
	 " WHERE m.org_path >= $1 AND m.org_path < $2 AND (CAST($3 AS BIGINT) = 0 OR m.type = $3) AND ($4 = '' OR m.status = $4)"
	 " AND ($5 = '' OR COALESCE(m.held_on, m.planned_on, '') >= $5) AND ($6 = '' OR COALESCE(m.held_on, m.planned_on, '') <= $6)"
	 " AND (COALESCE(m.held_on, m.planned_on, '') < $7 OR (COALESCE(m.held_on, m.planned_on, '') = $7 AND m.id < $8))"
	 " ORDER BY COALESCE(m.held_on, m.planned_on, '') DESC, m.id DESC LIMIT $9"},
	/* what a list page shows, at this revision (0127), in this database (epoch) */
	[STMT_MTG_LIST_REV] = {"mtg.list_rev",
	 "SELECT r.rev, m.epoch FROM meeting_list_rev r CROSS JOIN member_rev m WHERE r.id = 1 AND m.id = 1"},
	[STMT_MTG_QUEUE] = {"mtg.queue",
	 "SELECT " MTG_COLS " FROM meetings m JOIN orgs o ON o.id = m.org_id"
	 " WHERE m.status = 'submitted' AND m.org_path >= $1 AND m.org_path < $2 ORDER BY m.id LIMIT $3"},
	[STMT_MTG_QUEUE_COUNTS] = {"mtg.queue_counts",
	 "SELECT status, COUNT(*), COALESCE(SUM(view_count), 0) FROM meetings WHERE org_path >= $1 AND org_path < $2"
	 " GROUP BY status"},
	/* a moved subtree: $1 old prefix, $2 new prefix, $3 length of the old + 1, $4 old end */
	[STMT_MTG_MOVE_MEETINGS] = {"mtg.move_meetings",
	 "UPDATE meetings SET org_path = $2 || substr(org_path, $3) WHERE org_path >= $1 AND org_path < $4"},
	[STMT_MTG_MOVE_VIEWS] = {"mtg.move_views",
	 "UPDATE meeting_views SET org_path = $2 || substr(org_path, $3) WHERE org_path >= $1 AND org_path < $4"},
	[STMT_MTG_MOVE_EXEMPTIONS] = {"mtg.move_exemptions",
	 "UPDATE meeting_exemptions SET org_path = $2 || substr(org_path, $3) WHERE org_path >= $1 AND org_path < $4"},
};
DB_SQL_TABLE(meeting, meeting_sql);
/* the result shapes of the smaller statements, in their SELECT order */
enum roster_col { RC_ID, RC_NAME, RC_POST };
enum att_col { AC_MEMBER_ID, AC_NAME, AC_STATUS, AC_REASON };
enum view_col { VC_VIEWER_ID, VC_NAME, VC_AT };
enum amend_col { AMC_VERSION, AMC_REASON, AMC_BEFORE, AMC_BY, AMC_AT };
enum qcount_col { QC_STATUS, QC_N, QC_VIEWS };
enum lrev_col { LR_REV, LR_EPOCH };

static enum db_rc done(struct db_stmt *st)
{
	enum db_rc rc = db_step(st);
	return rc == DB_DONE ? DB_OK : rc == DB_ROW ? DB_ERROR : rc;
}

enum db_rc mtg_roster(struct db *db, const char *org_path, const char *date, json_t *items, int64_t *n)
{
	struct db_stmt *st = db_prepare(db, &meeting_sql[STMT_MTG_ROSTER]);
	if (!st)
		return DB_ERROR;
	char end[512];
	snprintf(end, sizeof end, "%.*s0", (int)strlen(org_path) - 1, org_path);
	db_bind_text(st, 1, org_path, -1);
	db_bind_text(st, 2, end, -1);
	db_bind_text(st, 3, date, -1);
	enum db_rc rc;
	*n = 0;
	while ((rc = db_step(st)) == DB_ROW) {
		(*n)++;
		if (items)
			json_array_append_new(items, json_pack("{s:I, s:s, s:s}", "id", (json_int_t)db_col_int(st, RC_ID), "name",
							       db_col_text(st, RC_NAME), "party_post", db_col_text(st, RC_POST)));
	}
	return rc == DB_DONE ? DB_OK : rc;
}

enum db_rc mtg_roster_has(struct db *db, const char *org_path, const char *date, int64_t member_id, bool *yes,
			  const char **name, struct arena *a)
{
	struct db_stmt *st = db_prepare(db, &meeting_sql[STMT_MTG_ROSTER_HAS]);
	if (!st)
		return DB_ERROR;
	char end[512];
	snprintf(end, sizeof end, "%.*s0", (int)strlen(org_path) - 1, org_path);
	db_bind_text(st, 1, org_path, -1);
	db_bind_text(st, 2, end, -1);
	db_bind_text(st, 3, date, -1);
	db_bind_int(st, 4, member_id);
	enum db_rc rc = db_step(st);
	*yes = rc == DB_ROW;
	if (rc == DB_ROW) {
		*name = db_col_dup(a, st, DB_COL_ONLY);
		db_reset(st);
		return DB_OK;
	}
	return rc == DB_DONE ? DB_OK : rc;
}

static int64_t ym_of(const char *date)
{
	struct date d;
	return date && date_parse(date, &d) ? (int64_t)d.y * 100 + d.m : 0;
}

static void bind_record(struct db_stmt *st, const struct meeting *m)
{
	db_bind_text(st, 2, m->org_path, -1);
	db_bind_int(st, 3, m->type);
	db_bind_text(st, 4, mtg_status_code(m->status), -1);
	db_bind_opt_text(st, 5, m->topic);
	db_bind_opt_text(st, 6, m->planned_on);
	db_bind_opt_text(st, 7, m->held_on);
	db_bind_int(st, 8, ym_of(m->held_on));
	db_bind_opt_text(st, 9, m->place);
	db_bind_opt_text(st, 10, m->host);
	db_bind_opt_text(st, 11, m->recorder);
	db_bind_opt_text(st, 12, m->content);
	db_bind_opt_text(st, 13, m->resolution);
	db_bind_int(st, 14, m->hours_x10);
	db_bind_int(st, 15, m->due);
	db_bind_int(st, 16, m->present);
	db_bind_int(st, 17, m->leave);
	db_bind_int(st, 18, m->absent);
	db_bind_int(st, 19, m->guests);
}

static enum db_rc put_attendance(struct db *db, int64_t id, const struct mtg_attendee *att, size_t n)
{
	struct db_stmt *st = db_prepare(db, &meeting_sql[STMT_MTG_ATT_CLEAR]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	enum db_rc rc = done(st);
	for (size_t i = 0; rc == DB_OK && i < n; i++) {
		st = db_prepare(db, &meeting_sql[STMT_MTG_ATT_ADD]);
		if (!st)
			return DB_ERROR;
		db_bind_int(st, 1, id);
		db_bind_int(st, 2, (int64_t)i);
		db_bind_opt_id(st, 3, att[i].member_id);
		db_bind_text(st, 4, att[i].name, -1);
		db_bind_text(st, 5, mtg_att_code(att[i].status), -1);
		db_bind_opt_text(st, 6, att[i].reason);
		rc = done(st);
	}
	return rc;
}

enum db_rc mtg_insert(struct db *db, struct meeting *m, const struct mtg_attendee *att, size_t natt)
{
	struct db_stmt *st = db_prepare(db, &meeting_sql[STMT_MTG_INSERT]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, m->org_id);
	bind_record(st, m);
	db_bind_opt_id(st, 20, m->created_by);
	db_bind_int(st, 21, m->created_at);
	enum db_rc rc = db_step(st);
	if (rc != DB_ROW)
		return rc == DB_DONE ? DB_ERROR : rc;
	m->id = db_col_int(st, DB_COL_ONLY);
	db_reset(st);
	return natt ? put_attendance(db, m->id, att, natt) : DB_OK;
}

enum db_rc mtg_update(struct db *db, const struct meeting *m, const struct mtg_attendee *att, size_t natt)
{
	struct db_stmt *st = db_prepare(db, &meeting_sql[STMT_MTG_UPDATE]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, m->id);
	bind_record(st, m);
	db_bind_int(st, 20, m->submitted_at);
	db_bind_int(st, 21, m->updated_at);
	enum db_rc rc = done(st);
	if (rc == DB_OK && att)
		rc = put_attendance(db, m->id, att, natt);
	return rc;
}

/* A meeting's text columns: copied into a, or (a NULL) borrowed from the row, valid until
 * the next step (the list streams each row out before stepping on). */
static const char *col_text(struct arena *a, struct db_stmt *st, int i)
{
	return a ? db_col_dup(a, st, i) : db_col_text(st, i);
}

static void read_row(struct arena *a, struct db_stmt *st, struct meeting *m)
{
	memset(m, 0, sizeof *m);
	m->id = db_col_int(st, MC_ID);
	m->org_id = db_col_int(st, MC_ORG_ID);
	m->org_path = col_text(a, st, MC_ORG_PATH);
	m->org_name = col_text(a, st, MC_ORG_NAME);
	m->type = (int)db_col_int(st, MC_TYPE);
	m->status = mtg_status_of(db_col_text(st, MC_STATUS));
	m->topic = col_text(a, st, MC_TOPIC);
	m->planned_on = col_text(a, st, MC_PLANNED_ON);
	m->held_on = col_text(a, st, MC_HELD_ON);
	m->place = col_text(a, st, MC_PLACE);
	m->host = col_text(a, st, MC_HOST);
	m->recorder = col_text(a, st, MC_RECORDER);
	m->content = col_text(a, st, MC_CONTENT);
	m->resolution = col_text(a, st, MC_RESOLUTION);
	m->hours_x10 = (int)db_col_int(st, MC_HOURS);
	m->due = (int)db_col_int(st, MC_DUE);
	m->present = (int)db_col_int(st, MC_PRESENT);
	m->leave = (int)db_col_int(st, MC_LEAVE);
	m->absent = (int)db_col_int(st, MC_ABSENT);
	m->guests = (int)db_col_int(st, MC_GUESTS);
	m->return_reason = col_text(a, st, MC_RETURN_REASON);
	m->reviewer_id = db_col_int(st, MC_REVIEWER_ID);
	m->reviewer_name = col_text(a, st, MC_REVIEWER_NAME);
	m->reviewed_at = db_col_int(st, MC_REVIEWED_AT);
	m->view_count = db_col_int(st, MC_VIEW_COUNT);
	m->version = db_col_int(st, MC_VERSION);
	m->created_by = db_col_int(st, MC_CREATED_BY);
	m->created_at = db_col_int(st, MC_CREATED_AT);
	m->updated_at = db_col_int(st, MC_UPDATED_AT);
	m->submitted_at = db_col_int(st, MC_SUBMITTED_AT);
}

enum db_rc mtg_get(struct db *db, struct arena *a, int64_t id, struct meeting *m)
{
	struct db_stmt *st = db_prepare(db, &meeting_sql[STMT_MTG_GET]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	enum db_rc rc = db_step(st);
	if (rc == DB_DONE)
		return DB_NOT_FOUND;
	if (rc != DB_ROW)
		return rc;
	read_row(a, st, m);
	db_reset(st);
	return DB_OK;
}

static json_t *instant_or_null(int64_t t)
{
	if (t <= 0)
		return json_null();
	char at[21];
	clock_rfc3339(t, at);
	return json_string(at);
}

static void jw_kinstant(struct jsonw *w, const char *k, int64_t t)
{
	jw_key(w, k);
	if (t <= 0) {
		jw_null(w);
		return;
	}
	char at[21];
	clock_rfc3339(t, at);
	jw_str(w, at);
}

void mtg_jw(struct jsonw *w, const struct meeting *m)
{
	jw_object(w);
	jw_kint(w, "id", m->id);
	jw_kint(w, "org_id", m->org_id);
	jw_kstr(w, "org_name", m->org_name);
	jw_kint(w, "type", m->type);
	jw_kstr(w, "type_name", mtg_type_name(m->type) ? mtg_type_name(m->type) : "");
	jw_kstr(w, "status", mtg_status_code(m->status));
	jw_kstr(w, "topic", m->topic);
	jw_kstr(w, "planned_on", m->planned_on);
	jw_kstr(w, "held_on", m->held_on);
	jw_kstr(w, "place", m->place);
	jw_kstr(w, "host", m->host);
	jw_kstr(w, "recorder", m->recorder);
	jw_kstr(w, "content", m->content);
	jw_kstr(w, "resolution", m->resolution);
	jw_key(w, "hours");
	jw_real(w, m->hours_x10 / 10.0);
	jw_key(w, "attendance");
	jw_object(w);
	jw_kint(w, "due", m->due);
	jw_kint(w, "present", m->present);
	jw_kint(w, "leave", m->leave);
	jw_kint(w, "absent", m->absent);
	jw_kint(w, "guests", m->guests);
	jw_object_end(w);
	jw_kstr(w, "return_reason", m->return_reason);
	jw_kstr(w, "reviewer_name", m->reviewer_name);
	jw_kinstant(w, "reviewed_at", m->reviewed_at);
	jw_kint(w, "view_count", m->view_count);
	jw_kint(w, "version", m->version);
	jw_key(w, "locked");
	jw_bool(w, m->status == MTG_APPROVED);
	jw_kinstant(w, "created_at", m->created_at);
	jw_kinstant(w, "updated_at", m->updated_at);
	jw_kinstant(w, "submitted_at", m->submitted_at);
	jw_object_end(w);
}

json_t *mtg_json(const struct meeting *m)
{
	/* one writer for both: the list streams mtg_jw, the rest parse it */
	struct arena *a = arena_new();
	json_t *j = NULL;
	if (a) {
		struct jsonw w;
		jw_init(&w, a, 1024);
		mtg_jw(&w, m);
		j = json_loadb(w.buf, w.len, 0, NULL);
		arena_free(a);
	}
	return j ? j : json_object();
}

enum db_rc mtg_attendance(struct db *db, int64_t id, json_t *items)
{
	struct db_stmt *st = db_prepare(db, &meeting_sql[STMT_MTG_ATT_LIST]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW) {
		int64_t mid = db_col_int(st, AC_MEMBER_ID);
		json_array_append_new(items, json_pack("{s:o, s:s, s:s, s:s?}", "member_id",
						       mid ? json_integer(mid) : json_null(), "name", db_col_text(st, AC_NAME),
						       "status", db_col_text(st, AC_STATUS), "reason", db_col_text(st, AC_REASON)));
	}
	return rc == DB_DONE ? DB_OK : rc;
}

enum db_rc mtg_delete(struct db *db, int64_t id)
{
	struct db_stmt *st = db_prepare(db, &meeting_sql[STMT_MTG_DELETE]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	return done(st);
}

enum db_rc mtg_set_status(struct db *db, int64_t id, enum mtg_status s, const char *reason, int64_t reviewer_id,
			  const char *reviewer_name, int64_t at)
{
	struct db_stmt *st = db_prepare(db, &meeting_sql[STMT_MTG_SET_STATUS]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	db_bind_text(st, 2, mtg_status_code(s), -1);
	db_bind_opt_text(st, 3, reason);
	db_bind_opt_id(st, 4, reviewer_id);
	db_bind_opt_text(st, 5, reviewer_name);
	db_bind_int(st, 6, at);
	return done(st);
}

enum db_rc mtg_view_add(struct db *db, int64_t id, const char *org_path, int64_t viewer, const char *name, int64_t at)
{
	struct db_stmt *st = db_prepare(db, &meeting_sql[STMT_MTG_VIEW_ADD]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	db_bind_text(st, 2, org_path, -1);
	db_bind_int(st, 3, viewer);
	db_bind_opt_text(st, 4, name);
	db_bind_int(st, 5, at);
	enum db_rc rc = done(st);
	if (rc != DB_OK)
		return rc;
	st = db_prepare(db, &meeting_sql[STMT_MTG_VIEW_COUNT]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	return done(st);
}

enum db_rc mtg_views(struct db *db, int64_t id, json_t *items)
{
	struct db_stmt *st = db_prepare(db, &meeting_sql[STMT_MTG_VIEWS]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW)
		json_array_append_new(items, json_pack("{s:I, s:s?, s:o}", "viewer_id", (json_int_t)db_col_int(st, VC_VIEWER_ID),
						       "viewer_name", db_col_text(st, VC_NAME), "viewed_at",
						       instant_or_null(db_col_int(st, VC_AT))));
	return rc == DB_DONE ? DB_OK : rc;
}

enum db_rc mtg_amend_keep(struct db *db, const struct meeting *before, const char *reason, int64_t by, int64_t at)
{
	json_t *j = mtg_json(before);
	json_t *att = json_array();
	enum db_rc rc = mtg_attendance(db, before->id, att);
	json_object_set_new(j, "attendees", att);
	char *text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (rc != DB_OK || !text) {
		free(text);
		return rc != DB_OK ? rc : DB_ERROR;
	}
	struct db_stmt *st = db_prepare(db, &meeting_sql[STMT_MTG_AMEND_ADD]);
	if (!st) {
		free(text);
		return DB_ERROR;
	}
	db_bind_int(st, 1, before->id);
	db_bind_int(st, 2, before->version);
	db_bind_text(st, 3, reason, -1);
	db_bind_text(st, 4, text, -1);
	db_bind_opt_id(st, 5, by);
	db_bind_int(st, 6, at);
	rc = done(st);
	free(text);
	return rc;
}

enum db_rc mtg_amendments(struct db *db, int64_t id, json_t *items)
{
	struct db_stmt *st = db_prepare(db, &meeting_sql[STMT_MTG_AMENDMENTS]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW) {
		json_t *before = json_loads(db_col_text(st, AMC_BEFORE), 0, NULL);
		json_array_append_new(items, json_pack("{s:I, s:s, s:o, s:I, s:o}", "version", (json_int_t)db_col_int(st, AMC_VERSION),
						       "reason", db_col_text(st, AMC_REASON), "before", before ? before : json_null(),
						       "changed_by", (json_int_t)db_col_int(st, AMC_BY), "changed_at",
						       instant_or_null(db_col_int(st, AMC_AT))));
	}
	return rc == DB_DONE ? DB_OK : rc;
}

enum db_rc mtg_list(struct db *db, const struct mtg_filter *f, struct jsonw *w, int *n, char last_key[MTG_KEY_MAX],
		    int64_t *last_id, bool *more)
{
	struct db_stmt *st = db_prepare(db, &meeting_sql[STMT_MTG_LIST]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, f->prefix, -1);
	db_bind_text(st, 2, f->end, -1);
	db_bind_int(st, 3, f->type);
	db_bind_text(st, 4, f->status >= 0 ? mtg_status_code((enum mtg_status)f->status) : "", -1);
	db_bind_text(st, 5, f->from ? f->from : "", -1);
	db_bind_text(st, 6, f->to ? f->to : "", -1);
	db_bind_text(st, 7, f->after_key && *f->after_key ? f->after_key : "9999-12-31~", -1);
	db_bind_int(st, 8, f->after_id > 0 ? f->after_id : INT64_MAX);
	db_bind_int(st, 9, f->limit + 1);
	enum db_rc rc;
	int k = 0;
	*more = false;
	while ((rc = db_step(st)) == DB_ROW) {
		if (k == f->limit) {
			*more = true;
			db_reset(st);
			return DB_OK;
		}
		struct meeting m;
		read_row(NULL, st, &m);
		const char *key = db_col_text(st, MC_KEY);
		snprintf(last_key, MTG_KEY_MAX, "%s", key ? key : "");
		*last_id = m.id;
		mtg_jw(w, &m);
		k++;
		(*n)++;
	}
	return rc == DB_DONE ? DB_OK : rc;
}

void mtg_list_revision(struct db *db, int64_t *epoch, int64_t *rev)
{
	*epoch = 0;
	*rev = -1;
	struct db_stmt *st = db_prepare(db, &meeting_sql[STMT_MTG_LIST_REV]);
	if (!st)
		return;
	if (db_step(st) == DB_ROW) {
		*rev = db_col_int(st, LR_REV);
		*epoch = db_col_int(st, LR_EPOCH);
	}
	db_reset(st);
}

enum db_rc mtg_queue(struct db *db, struct arena *a, const char *prefix, const char *end, int limit, json_t *items,
		     json_t *counts)
{
	struct db_stmt *st = db_prepare(db, &meeting_sql[STMT_MTG_QUEUE]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, prefix, -1);
	db_bind_text(st, 2, end, -1);
	db_bind_int(st, 3, limit);
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW) {
		struct meeting m;
		read_row(a, st, &m);
		json_array_append_new(items, mtg_json(&m));
	}
	if (rc != DB_DONE)
		return rc;
	st = db_prepare(db, &meeting_sql[STMT_MTG_QUEUE_COUNTS]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, prefix, -1);
	db_bind_text(st, 2, end, -1);
	while ((rc = db_step(st)) == DB_ROW) {
		const char *s = db_col_text(st, QC_STATUS);
		json_int_t n = db_col_int(st, QC_N), v = db_col_int(st, QC_VIEWS);
		json_t *old = json_object_get(counts, s);
		json_object_set_new(counts, s, json_integer(n + (old ? json_integer_value(old) : 0)));
		json_t *views = json_object_get(counts, "views");
		json_object_set_new(counts, "views", json_integer(v + (views ? json_integer_value(views) : 0)));
	}
	return rc == DB_DONE ? DB_OK : rc;
}

enum db_rc mtg_move_paths(struct db *db, const char *old_prefix, const char *new_prefix)
{
	static const enum meeting_stmt seq[] = {STMT_MTG_MOVE_MEETINGS, STMT_MTG_MOVE_VIEWS, STMT_MTG_MOVE_EXEMPTIONS};
	char end[512];
	snprintf(end, sizeof end, "%.*s0", (int)strlen(old_prefix) - 1, old_prefix);
	for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++) {
		struct db_stmt *st = db_prepare(db, &meeting_sql[seq[i]]);
		if (!st)
			return DB_ERROR;
		db_bind_text(st, 1, old_prefix, -1);
		db_bind_text(st, 2, new_prefix, -1);
		db_bind_int(st, 3, (int64_t)strlen(old_prefix) + 1);
		db_bind_text(st, 4, end, -1);
		enum db_rc rc = done(st);
		if (rc != DB_OK)
			return rc;
	}
	return DB_OK;
}
