/* base_booking.c: bookings of bases by organizations (see base.h): the places a slot
 * holds, insert and status changes, the waiting list, the visit's roster, lists, a
 * month's places and series. The rules (hours, closed days, capacity, who may) are
 * applied by the caller (src/api/base_bookings.c) inside the request's write
 * transaction, which holds the one writer lock on both stores: the places counted are
 * the places there are when the booking is written. */
#include "core/arena.h"
#include "model/base.h"
#include <string.h>

const char *const base_status_names[BK__MAX + 1] = {"requested", "approved", "declined", "checked_in", "completed",
						    "no_show",   "cancelled", "waitlisted", NULL};

enum base_status base_status_of(const char *s)
{
	for (int i = 0; s && i < BK__MAX; i++)
		if (strcmp(base_status_names[i], s) == 0)
			return (enum base_status)i;
	return BK__MAX;
}

bool base_status_holds(enum base_status s)
{
	return s == BK_REQUESTED || s == BK_APPROVED || s == BK_CHECKED_IN;
}

enum bk_stmt {
	STMT_BK_TAKEN,
	STMT_BK_INSERT,
	STMT_BK_GET,
	STMT_BK_SET_STATUS,
	STMT_BK_ROSTER_ADD,
	STMT_BK_ROSTER,
	STMT_BK_MEMBER,
	STMT_BK_WAITING,
	STMT_BK_LIST_BASE,
	STMT_BK_LIST_ORGS,
	STMT_BK_MONTH,
	STMT_BK_SERIES_INSERT,
	STMT_BK_MEETING,
	STMT_BK_SET_MEETING,
	BK_STMT__MAX
};
enum bk_taken_col { BKT_COL_TAKEN, BKT_COL_WAITING };
/* base.booking_get's and the lists' rows */
enum bk_col {
	BK_COL_ID,
	BK_COL_BASE_ID,
	BK_COL_ORG_ID,
	BK_COL_ORG_PATH,
	BK_COL_ORG_NAME,
	BK_COL_BASE_NAME,
	BK_COL_BASE_ADDRESS,
	BK_COL_BASE_ORG_PATH,
	BK_COL_SERIES_ID,
	BK_COL_DAY,
	BK_COL_SLOT_START,
	BK_COL_SLOT_END,
	BK_COL_HEADCOUNT,
	BK_COL_PURPOSE,
	BK_COL_LEADER,
	BK_COL_STATUS,
	BK_COL_DECLINE_REASON,
	BK_COL_ATTENDED,
	BK_COL_CREATED_BY,
	BK_COL_DECIDED_BY,
	BK_COL_CHECKED_IN_AT,
	BK_COL_CREATED_AT,
	BK_COL_UPDATED_AT,
};
enum bk_roster_col { BKR_COL_MEMBER_ID, BKR_COL_NAME, BKR_COL_PRESENT };
enum bk_member_col { BKM_COL_PATH, BKM_COL_NAME };
enum bk_wait_col { BKW_COL_ID, BKW_COL_HEADCOUNT };
enum bk_month_col { BKMO_COL_DAY, BKMO_COL_START, BKMO_COL_TAKEN, BKMO_COL_WAITING };

#define BK_COLS                                                                                                  \
	"k.id, k.base_id, k.org_id, k.org_path, o.name, b.name, b.address, bo.path, k.series_id, k.day,"      \
	" k.slot_start, k.slot_end, k.headcount, k.purpose, k.leader, k.status, k.decline_reason, k.attended,"  \
	" k.created_by, k.decided_by, k.checked_in_at, k.created_at, k.updated_at"
#define BK_FROM                                                                                                  \
	" FROM base_bookings k JOIN orgs o ON o.id = k.org_id JOIN bases b ON b.id = k.base_id"                 \
	" JOIN orgs bo ON bo.id = b.org_id"
#define HOLDING "('requested', 'approved', 'checked_in')"

static const struct db_sql bk_sql[BK_STMT__MAX] = {
	[STMT_BK_TAKEN] = {"base.booking_taken",
	 "SELECT COALESCE(SUM(CASE WHEN status IN " HOLDING " THEN headcount ELSE 0 END), 0),"
	 " COALESCE(SUM(CASE WHEN status = 'waitlisted' THEN 1 ELSE 0 END), 0)"
	 " FROM base_bookings WHERE base_id = $1 AND day = $2 AND slot_start = $3"},
	/* $1 base, $2 org, $3 org path, $4 series, $5 day, $6 start, $7 end, $8 headcount,
	 * $9 purpose, $10 leader, $11 status, $12 created by, $13 now */
	[STMT_BK_INSERT] = {"base.booking_insert",
	 "INSERT INTO base_bookings (base_id, org_id, org_path, series_id, day, slot_start, slot_end, headcount,"
	 " purpose, leader, status, created_by, created_at, updated_at)"
	 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id"},
	[STMT_BK_GET] = {"base.booking_get", "SELECT " BK_COLS BK_FROM " WHERE k.id = $1"},
	/* $1 id, $2 status, $3 reason, $4 decided by, $5 attended, $6 checked in at, $7 now */
	[STMT_BK_SET_STATUS] = {"base.booking_set_status",
	 "UPDATE base_bookings SET status = $2, decline_reason = $3, decided_by = $4, attended = $5,"
	 " checked_in_at = $6, updated_at = $7 WHERE id = $1"},
	[STMT_BK_ROSTER_ADD] = {"base.roster_add",
	 "INSERT INTO base_booking_members (booking_id, member_id, present, checked_at) VALUES ($1, $2, $3, $4)"
	 " ON CONFLICT (booking_id, member_id) DO UPDATE SET present = MAX(base_booking_members.present, excluded.present),"
	 " checked_at = COALESCE(excluded.checked_at, base_booking_members.checked_at)",
	 "INSERT INTO base_booking_members (booking_id, member_id, present, checked_at) VALUES ($1, $2, $3, $4)"
	 " ON CONFLICT (booking_id, member_id) DO UPDATE SET present = GREATEST(base_booking_members.present, excluded.present),"
	 " checked_at = COALESCE(excluded.checked_at, base_booking_members.checked_at)"},
	[STMT_BK_ROSTER] = {"base.roster",
	 "SELECT r.member_id, m.name, r.present FROM base_booking_members r JOIN members m ON m.id = r.member_id"
	 " WHERE r.booking_id = $1 ORDER BY m.name, r.member_id"},
	[STMT_BK_MEMBER] = {"base.member", "SELECT org_path, name FROM members WHERE id = $1"},
	[STMT_BK_WAITING] = {"base.booking_waiting",
	 "SELECT id, headcount FROM base_bookings WHERE base_id = $1 AND day = $2 AND slot_start = $3"
	 " AND status = 'waitlisted' ORDER BY id"},
	/* $1 base, $2 status or NULL, $3 from, $4 to */
	[STMT_BK_LIST_BASE] = {"base.booking_list_base",
	 "SELECT " BK_COLS BK_FROM " WHERE k.base_id = $1 AND (CAST($2 AS TEXT) IS NULL OR k.status = $2)"
	 " AND k.day >= $3 AND k.day <= $4 ORDER BY k.day, k.slot_start, k.id LIMIT $5"},
	/* $1 prefix, $2 end, $3 status or NULL, $4 from, $5 to */
	[STMT_BK_LIST_ORGS] = {"base.booking_list_orgs",
	 "SELECT " BK_COLS BK_FROM " WHERE k.org_path >= $1 AND k.org_path < $2"
	 " AND (CAST($3 AS TEXT) IS NULL OR k.status = $3) AND k.day >= $4 AND k.day <= $5"
	 " ORDER BY k.day, k.slot_start, k.id LIMIT $6"},
	[STMT_BK_MONTH] = {"base.booking_month",
	 "SELECT day, slot_start, SUM(CASE WHEN status IN " HOLDING " THEN headcount ELSE 0 END),"
	 " SUM(CASE WHEN status = 'waitlisted' THEN 1 ELSE 0 END)"
	 " FROM base_bookings WHERE base_id = $1 AND day >= $2 AND day < $3 GROUP BY day, slot_start"
	 " ORDER BY day, slot_start"},
	[STMT_BK_SERIES_INSERT] = {"base.series_insert",
	 "INSERT INTO base_series (base_id, org_id, rule, created_at) VALUES ($1, $2, $3, $4) RETURNING id"},
	[STMT_BK_MEETING] = {"base.booking_meeting", "SELECT COALESCE(meeting_id, 0) FROM base_bookings WHERE id = $1"},
	[STMT_BK_SET_MEETING] = {"base.booking_set_meeting", "UPDATE base_bookings SET meeting_id = $2 WHERE id = $1"},
};
DB_SQL_TABLE(base_booking, bk_sql);

enum db_rc base_booking_meeting(struct db *db, int64_t id, int64_t *meeting_id)
{
	struct db_stmt *st = db_prepare(db, &bk_sql[STMT_BK_MEETING]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		*meeting_id = db_col_int(st, DB_COL_ONLY);
		rc = DB_OK;
	} else if (rc == DB_DONE)
		rc = DB_NOT_FOUND;
	db_reset(st);
	return rc;
}

enum db_rc base_booking_set_meeting(struct db *db, int64_t id, int64_t meeting_id)
{
	struct db_stmt *st = db_prepare(db, &bk_sql[STMT_BK_SET_MEETING]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, meeting_id);
	enum db_rc rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

enum db_rc base_slot_taken(struct db *db, int64_t base_id, const char *day, int start, int64_t *taken,
			   int64_t *waiting)
{
	struct db_stmt *st = db_prepare(db, &bk_sql[STMT_BK_TAKEN]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, base_id);
	db_bind_text(st, 2, day, -1);
	db_bind_int(st, 3, start);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		*taken = db_col_int(st, BKT_COL_TAKEN);
		if (waiting)
			*waiting = db_col_int(st, BKT_COL_WAITING);
		rc = DB_OK;
	}
	db_reset(st);
	return rc;
}

enum db_rc base_booking_insert(struct db *db, struct base_booking *k, int64_t now)
{
	struct db_stmt *st = db_prepare(db, &bk_sql[STMT_BK_INSERT]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, k->base_id);
	db_bind_int(st, 2, k->org_id);
	db_bind_text(st, 3, k->org_path, -1);
	db_bind_opt_id(st, 4, k->series_id);
	db_bind_text(st, 5, k->day, -1);
	db_bind_int(st, 6, k->slot_start);
	db_bind_int(st, 7, k->slot_end);
	db_bind_int(st, 8, k->headcount);
	db_bind_text(st, 9, k->purpose, -1);
	db_bind_text(st, 10, k->leader, -1);
	db_bind_text(st, 11, base_status_names[k->status], -1);
	db_bind_opt_id(st, 12, k->created_by);
	db_bind_int(st, 13, now);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		k->id = db_col_int(st, DB_COL_ONLY);
		k->created_at = k->updated_at = now;
		rc = DB_OK;
	}
	db_reset(st);
	return rc;
}

static void read_bk(struct arena *a, struct db_stmt *st, struct base_booking *k)
{
	memset(k, 0, sizeof *k);
	k->id = db_col_int(st, BK_COL_ID);
	k->base_id = db_col_int(st, BK_COL_BASE_ID);
	k->org_id = db_col_int(st, BK_COL_ORG_ID);
	k->org_path = db_col_dup(a, st, BK_COL_ORG_PATH);
	k->org_name = db_col_dup(a, st, BK_COL_ORG_NAME);
	k->base_name = db_col_dup(a, st, BK_COL_BASE_NAME);
	k->base_address = db_col_dup(a, st, BK_COL_BASE_ADDRESS);
	k->base_org_path = db_col_dup(a, st, BK_COL_BASE_ORG_PATH);
	k->series_id = db_col_int(st, BK_COL_SERIES_ID);
	const char *d = db_col_text(st, BK_COL_DAY);
	if (d)
		memcpy(k->day, d, strlen(d) < 10 ? strlen(d) : 10);
	k->slot_start = (int)db_col_int(st, BK_COL_SLOT_START);
	k->slot_end = (int)db_col_int(st, BK_COL_SLOT_END);
	k->headcount = (int)db_col_int(st, BK_COL_HEADCOUNT);
	k->purpose = db_col_dup(a, st, BK_COL_PURPOSE);
	k->leader = db_col_dup(a, st, BK_COL_LEADER);
	k->status = base_status_of(db_col_text(st, BK_COL_STATUS));
	k->decline_reason = db_col_dup(a, st, BK_COL_DECLINE_REASON);
	k->attended = db_col_null(st, BK_COL_ATTENDED) ? -1 : (int)db_col_int(st, BK_COL_ATTENDED);
	k->created_by = db_col_int(st, BK_COL_CREATED_BY);
	k->decided_by = db_col_int(st, BK_COL_DECIDED_BY);
	k->checked_in_at = db_col_int(st, BK_COL_CHECKED_IN_AT);
	k->created_at = db_col_int(st, BK_COL_CREATED_AT);
	k->updated_at = db_col_int(st, BK_COL_UPDATED_AT);
}

enum db_rc base_booking_get(struct db *db, struct arena *a, int64_t id, struct base_booking *k)
{
	struct db_stmt *st = db_prepare(db, &bk_sql[STMT_BK_GET]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		read_bk(a, st, k);
		rc = DB_OK;
	} else if (rc == DB_DONE)
		rc = DB_NOT_FOUND;
	db_reset(st);
	return rc;
}

enum db_rc base_booking_set_status(struct db *db, const struct base_booking *k, int64_t now)
{
	struct db_stmt *st = db_prepare(db, &bk_sql[STMT_BK_SET_STATUS]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, k->id);
	db_bind_text(st, 2, base_status_names[k->status], -1);
	db_bind_opt_text(st, 3, k->decline_reason);
	db_bind_opt_id(st, 4, k->decided_by);
	if (k->attended >= 0)
		db_bind_int(st, 5, k->attended);
	else
		db_bind_null(st, 5);
	db_bind_opt_id(st, 6, k->checked_in_at);
	db_bind_int(st, 7, now);
	enum db_rc rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

enum db_rc base_roster_add(struct db *db, int64_t booking_id, int64_t member_id, bool present, int64_t now)
{
	struct db_stmt *st = db_prepare(db, &bk_sql[STMT_BK_ROSTER_ADD]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, booking_id);
	db_bind_int(st, 2, member_id);
	db_bind_int(st, 3, present);
	if (present)
		db_bind_int(st, 4, now);
	else
		db_bind_null(st, 4);
	enum db_rc rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

enum db_rc base_roster(struct db *db, int64_t booking_id, json_t *items)
{
	struct db_stmt *st = db_prepare(db, &bk_sql[STMT_BK_ROSTER]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, booking_id);
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW)
		json_array_append_new(items, json_pack("{s:I, s:s, s:b}", "member_id",
						       (json_int_t)db_col_int(st, BKR_COL_MEMBER_ID), "name",
						       db_col_text(st, BKR_COL_NAME), "present",
						       db_col_int(st, BKR_COL_PRESENT) != 0));
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

enum db_rc base_member_path(struct db *db, struct arena *a, int64_t member_id, const char **path, const char **name)
{
	struct db_stmt *st = db_prepare(db, &bk_sql[STMT_BK_MEMBER]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, member_id);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		*path = db_col_dup(a, st, BKM_COL_PATH);
		if (name)
			*name = db_col_dup(a, st, BKM_COL_NAME);
		rc = DB_OK;
	} else if (rc == DB_DONE)
		rc = DB_NOT_FOUND;
	db_reset(st);
	return rc;
}

enum db_rc base_waiting(struct db *db, struct arena *a, int64_t base_id, const char *day, int start, int64_t **ids,
			int **heads, size_t *n)
{
	struct db_stmt *st = db_prepare(db, &bk_sql[STMT_BK_WAITING]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, base_id);
	db_bind_text(st, 2, day, -1);
	db_bind_int(st, 3, start);
	size_t cap = 8, k = 0;
	int64_t *iv = arena_alloc(a, sizeof *iv * cap);
	int *hv = arena_alloc(a, sizeof *hv * cap);
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW) {
		if (k == cap) {
			int64_t *ni = arena_alloc(a, sizeof *ni * cap * 2);
			int *nh = arena_alloc(a, sizeof *nh * cap * 2);
			memcpy(ni, iv, sizeof *iv * cap);
			memcpy(nh, hv, sizeof *hv * cap);
			iv = ni;
			hv = nh;
			cap *= 2;
		}
		iv[k] = db_col_int(st, BKW_COL_ID);
		hv[k] = (int)db_col_int(st, BKW_COL_HEADCOUNT);
		k++;
	}
	db_reset(st);
	*ids = iv;
	*heads = hv;
	*n = k;
	return rc == DB_DONE ? DB_OK : rc;
}

json_t *base_booking_json(const struct base_booking *k)
{
	char s[6], e[6];
	base_format_hm(k->slot_start, s);
	base_format_hm(k->slot_end, e);
	return json_pack("{s:I, s:I, s:s?, s:s?, s:I, s:s?, s:o, s:s, s:s, s:s, s:i, s:s?, s:s?, s:s, s:s?, s:o, s:o,"
			 " s:I, s:I}",
			 "id", (json_int_t)k->id, "base_id", (json_int_t)k->base_id, "base_name", k->base_name,
			 "base_address", k->base_address, "org_id", (json_int_t)k->org_id, "org_name", k->org_name,
			 "series_id", k->series_id > 0 ? json_integer(k->series_id) : json_null(), "day", k->day,
			 "slot", s, "slot_end", e, "headcount", k->headcount, "purpose", k->purpose, "leader", k->leader,
			 "status", k->status < BK__MAX ? base_status_names[k->status] : "unknown", "decline_reason",
			 k->decline_reason, "attended", k->attended >= 0 ? json_integer(k->attended) : json_null(),
			 "checked_in_at", k->checked_in_at > 0 ? json_integer(k->checked_in_at) : json_null(),
			 "created_at", (json_int_t)k->created_at, "updated_at", (json_int_t)k->updated_at);
}

enum db_rc base_booking_list(struct db *db, struct arena *a, const struct base_booking_filter *f, json_t *items)
{
	struct db_stmt *st;
	int n;
	if (f->base_id > 0) {
		st = db_prepare(db, &bk_sql[STMT_BK_LIST_BASE]);
		if (!st)
			return DB_ERROR;
		db_bind_int(st, 1, f->base_id);
		n = 2;
	} else {
		st = db_prepare(db, &bk_sql[STMT_BK_LIST_ORGS]);
		if (!st)
			return DB_ERROR;
		db_bind_text(st, 1, f->prefix, -1);
		db_bind_text(st, 2, f->end, -1);
		n = 3;
	}
	db_bind_opt_text(st, n, f->status);
	db_bind_text(st, n + 1, f->from ? f->from : "0000-00-00", -1);
	db_bind_text(st, n + 2, f->to ? f->to : "9999-99-99", -1);
	db_bind_int(st, n + 3, f->limit > 0 ? f->limit : 200);
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW) {
		struct base_booking k;
		read_bk(a, st, &k);
		json_array_append_new(items, base_booking_json(&k));
	}
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

enum db_rc base_month(struct db *db, int64_t base_id, const char *from, const char *to, base_slot_fn fn, void *ctx)
{
	struct db_stmt *st = db_prepare(db, &bk_sql[STMT_BK_MONTH]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, base_id);
	db_bind_text(st, 2, from, -1);
	db_bind_text(st, 3, to, -1);
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW)
		fn(ctx, db_col_text(st, BKMO_COL_DAY), (int)db_col_int(st, BKMO_COL_START),
		   db_col_int(st, BKMO_COL_TAKEN), db_col_int(st, BKMO_COL_WAITING));
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

enum db_rc base_series_insert(struct db *db, int64_t base_id, int64_t org_id, const char *rule, int64_t now,
			      int64_t *id)
{
	struct db_stmt *st = db_prepare(db, &bk_sql[STMT_BK_SERIES_INSERT]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, base_id);
	db_bind_int(st, 2, org_id);
	db_bind_text(st, 3, rule, -1);
	db_bind_int(st, 4, now);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		*id = db_col_int(st, DB_COL_ONLY);
		rc = DB_OK;
	}
	db_reset(st);
	return rc;
}
