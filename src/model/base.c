/* base.c: the bases themselves (see base.h): record, opening hours and slots, closed
 * days, the directory, the approvers' assignments and the booker's membership. */
#include "model/base.h"
#include "core/arena.h"
#include "model/workday.h"
#include <string.h>

const char *const base_kinds[BASE_KINDS + 1] = {"纪念馆/展馆", "企业党建阵地", "社区党群服务中心", "学校", "其他", NULL};
const char *const base_offers[] = {"讲解", "党课", "重温入党誓词", NULL};

enum base_stmt {
	STMT_BASE_INSERT,
	STMT_BASE_UPDATE,
	STMT_BASE_GET,
	STMT_BASE_LIST,
	STMT_BASE_CLOSED_DELETE,
	STMT_BASE_CLOSED_ADD,
	STMT_BASE_CLOSED_LIST,
	STMT_BASE_CLOSED_ON,
	STMT_BASE_ASSIGNMENTS,
	STMT_BASE_MEMBER_COUNT,
	STMT_BASE_HOLIDAYS,
	STMT_BASE_REV,
	BASE_STMT__MAX
};
/* base.get's and base.list's rows */
enum base_col {
	BASE_COL_ID,
	BASE_COL_ORG_ID,
	BASE_COL_ORG_PATH,
	BASE_COL_ORG_NAME,
	BASE_COL_NAME,
	BASE_COL_KIND,
	BASE_COL_ADDRESS,
	BASE_COL_LAT,
	BASE_COL_LNG,
	BASE_COL_CAPACITY,
	BASE_COL_SLOT,
	BASE_COL_HOURS,
	BASE_COL_OFFERS,
	BASE_COL_DESCRIPTION,
	BASE_COL_CONTACT_NAME,
	BASE_COL_CONTACT_PHONE,
	BASE_COL_APPROVAL,
	BASE_COL_STATUS,
	BASE_COL_CREATED_AT,
	BASE_COL_UPDATED_AT,
	BASE_COL_HOLIDAYS_CLOSED,
};
enum base_assign_col { BA_COL_USER_ID, BA_COL_NAME, BA_COL_ROLE, BA_COL_ORG_ID, BA_COL_ORG_NAME };
enum base_closed_col { BC_COL_DAY, BC_COL_REASON };
/* base.rev's row */
enum base_rev_col { BR_COL_EPOCH, BR_COL_REV, BR_COL_LAST_BOOKING };

#define BASE_COLS                                                                                          \
	"b.id, b.org_id, o.path, o.name, b.name, b.kind, b.address, b.lat_e6, b.lng_e6, b.capacity,"     \
	" b.slot_minutes, b.hours, b.offers, b.description, b.contact_name, b.contact_phone,"              \
	" b.approval_required, b.status, b.created_at, b.updated_at, b.holidays_closed"

static const struct db_sql base_sql[BASE_STMT__MAX] = {
	/* $1 org, $2 name, $3 kind, $4 address, $5 lat, $6 lng, $7 capacity, $8 slot, $9 hours,
	 * $10 offers, $11 description, $12 contact name, $13 phone, $14 approval, $15 status, $16 now,
	 * $17 holidays closed */
	[STMT_BASE_INSERT] = {"base.insert",
	 "INSERT INTO bases (org_id, name, kind, address, lat_e6, lng_e6, capacity, slot_minutes, hours, offers,"
	 " description, contact_name, contact_phone, approval_required, status, created_at, updated_at, holidays_closed)"
	 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16, $17) RETURNING id"},
	[STMT_BASE_UPDATE] = {"base.update",
	 "UPDATE bases SET name = $2, kind = $3, address = $4, lat_e6 = $5, lng_e6 = $6, capacity = $7,"
	 " slot_minutes = $8, hours = $9, offers = $10, description = $11, contact_name = $12, contact_phone = $13,"
	 " approval_required = $14, status = $15, updated_at = $16, holidays_closed = $17 WHERE id = $1"},
	[STMT_BASE_GET] = {"base.get", "SELECT " BASE_COLS " FROM bases b JOIN orgs o ON o.id = b.org_id WHERE b.id = $1"},
	/* $1 prefix, $2 end, $3 kind or NULL, $4 LIKE pattern or NULL */
	[STMT_BASE_LIST] = {"base.list",
	 "SELECT " BASE_COLS " FROM bases b JOIN orgs o ON o.id = b.org_id"
	 " WHERE o.path >= $1 AND o.path < $2 AND (CAST($3 AS TEXT) IS NULL OR b.kind = $3)"
	 " AND (CAST($4 AS TEXT) IS NULL OR b.name LIKE $4 ESCAPE '\\') ORDER BY b.id LIMIT 500"},
	[STMT_BASE_CLOSED_DELETE] = {"base.closed_delete", "DELETE FROM base_closed_days WHERE base_id = $1"},
	[STMT_BASE_CLOSED_ADD] = {"base.closed_add",
	 "INSERT INTO base_closed_days (base_id, day, reason) VALUES ($1, $2, $3) ON CONFLICT (base_id, day) DO NOTHING"},
	[STMT_BASE_CLOSED_LIST] = {"base.closed_list",
	 "SELECT day, reason FROM base_closed_days WHERE base_id = $1 AND day >= $2 AND day < $3 ORDER BY day"},
	[STMT_BASE_CLOSED_ON] = {"base.closed_on", "SELECT COUNT(*) FROM base_closed_days WHERE base_id = $1 AND day = $2"},
	/* assignments at the path's organization or an ancestor: the ancestor's path is a
	 * prefix of $1 */
	[STMT_BASE_ASSIGNMENTS] = {"base.assignments",
	 "SELECT u.id, u.name, r.role, o.id, o.name FROM user_roles r JOIN users u ON u.id = r.user_id"
	 " JOIN orgs o ON o.id = r.org_id WHERE u.status = 'active'"
	 " AND substr(CAST($1 AS TEXT), 1, length(o.path)) = o.path ORDER BY length(o.path) DESC, u.id"},
	/* counts at most $3 (the headcount asked): a district's million members are not
	 * counted to know that it has 20 */
	[STMT_BASE_MEMBER_COUNT] = {"base.member_count",
	 "SELECT COUNT(*) FROM (SELECT 1 FROM members WHERE org_path >= $1 AND org_path < $2 AND state = 'normal'"
	 " LIMIT $3) AS m"},
	/* the statutory holidays of the working-day calendar (0060) in [$1, $2): one range of
	 * calendar_days' primary key (a month's calendar, a booking's day) */
	[STMT_BASE_HOLIDAYS] = {"base.holidays",
	 "SELECT day, name FROM calendar_days WHERE day >= $1 AND day < $2 AND kind = 'holiday' ORDER BY day"},
	/* an insert into base_bookings raises the highest id, not rev (0131) */
	[STMT_BASE_REV] = {"base.rev",
	 "SELECT epoch, rev, (SELECT COALESCE(MAX(id), 0) FROM base_bookings) FROM base_rev WHERE id = 1"},
};
DB_SQL_TABLE(base, base_sql);

int base_parse_hm(const char *s)
{
	if (!s || strlen(s) != 5 || s[2] != ':')
		return -1;
	for (int i = 0; i < 5; i++)
		if (i != 2 && (s[i] < '0' || s[i] > '9'))
			return -1;
	int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
	if (h > 24 || m > 59 || (h == 24 && m != 0))
		return -1;
	return h * 60 + m;
}

void base_format_hm(int minutes, char buf[6])
{
	if (minutes < 0 || minutes > 24 * 60)
		minutes = 0;
	buf[0] = (char)('0' + minutes / 600);
	buf[1] = (char)('0' + (minutes / 60) % 10);
	buf[2] = ':';
	buf[3] = (char)('0' + (minutes % 60) / 10);
	buf[4] = (char)('0' + minutes % 10);
	buf[5] = 0;
}

bool base_hours_parse(json_t *hours, struct base_rec *b)
{
	if (!json_is_array(hours) || json_array_size(hours) != 7)
		return false;
	for (int i = 0; i < 7; i++) {
		json_t *e = json_array_get(hours, (size_t)i);
		b->opens[i] = b->closes[i] = -1;
		if (json_is_null(e))
			continue;
		const char *s = json_string_value(e);
		if (!s || strlen(s) != 11 || s[5] != '-')
			return false;
		char o[6], c[6];
		memcpy(o, s, 5);
		o[5] = 0;
		memcpy(c, s + 6, 5);
		c[5] = 0;
		int om = base_parse_hm(o), cm = base_parse_hm(c);
		if (om < 0 || cm < 0 || om >= cm)
			return false;
		b->opens[i] = om;
		b->closes[i] = cm;
	}
	return true;
}

int base_weekday(struct date d)
{
	int64_t days = date_to_days(d);
	return (int)(((days % 7) + 7 + 3) % 7); /* 1970-01-01 was a Thursday */
}

bool base_slot_valid(const struct base_rec *b, int wd, int start)
{
	if (wd < 0 || wd > 6 || b->opens[wd] < 0 || b->slot_minutes <= 0)
		return false;
	if (start < b->opens[wd] || (start - b->opens[wd]) % b->slot_minutes != 0)
		return false;
	return start + b->slot_minutes <= b->closes[wd];
}

static void bind_rec(struct db_stmt *st, const struct base_rec *b, int64_t now)
{
	db_bind_text(st, 2, b->name, -1);
	db_bind_text(st, 3, b->kind, -1);
	db_bind_text(st, 4, b->address, -1);
	if (b->has_point) {
		db_bind_int(st, 5, b->lat_e6);
		db_bind_int(st, 6, b->lng_e6);
	} else {
		db_bind_null(st, 5);
		db_bind_null(st, 6);
	}
	db_bind_int(st, 7, b->capacity);
	db_bind_int(st, 8, b->slot_minutes);
	db_bind_text(st, 9, b->hours_json, -1);
	db_bind_text(st, 10, b->offers_json ? b->offers_json : "[]", -1);
	db_bind_opt_text(st, 11, b->description);
	db_bind_opt_text(st, 12, b->contact_name);
	db_bind_opt_text(st, 13, b->contact_phone);
	db_bind_int(st, 14, b->approval_required);
	db_bind_text(st, 15, b->open ? "open" : "closed", -1);
	db_bind_int(st, 16, now);
	db_bind_int(st, 17, b->holidays_closed);
}

enum db_rc base_insert(struct db *db, struct base_rec *b, int64_t now)
{
	struct db_stmt *st = db_prepare(db, &base_sql[STMT_BASE_INSERT]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, b->org_id);
	bind_rec(st, b, now);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		b->id = db_col_int(st, DB_COL_ONLY);
		b->created_at = b->updated_at = now;
		rc = DB_OK;
	}
	db_reset(st);
	return rc;
}

enum db_rc base_update(struct db *db, const struct base_rec *b, int64_t now)
{
	struct db_stmt *st = db_prepare(db, &base_sql[STMT_BASE_UPDATE]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, b->id);
	bind_rec(st, b, now);
	enum db_rc rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

static void read_rec(struct arena *a, struct db_stmt *st, struct base_rec *b)
{
	memset(b, 0, sizeof *b);
	b->id = db_col_int(st, BASE_COL_ID);
	b->org_id = db_col_int(st, BASE_COL_ORG_ID);
	b->org_path = db_col_dup(a, st, BASE_COL_ORG_PATH);
	b->org_name = db_col_dup(a, st, BASE_COL_ORG_NAME);
	b->name = db_col_dup(a, st, BASE_COL_NAME);
	b->kind = db_col_dup(a, st, BASE_COL_KIND);
	b->address = db_col_dup(a, st, BASE_COL_ADDRESS);
	b->has_point = !db_col_null(st, BASE_COL_LAT);
	b->lat_e6 = db_col_int(st, BASE_COL_LAT);
	b->lng_e6 = db_col_int(st, BASE_COL_LNG);
	b->capacity = (int)db_col_int(st, BASE_COL_CAPACITY);
	b->slot_minutes = (int)db_col_int(st, BASE_COL_SLOT);
	b->hours_json = db_col_dup(a, st, BASE_COL_HOURS);
	b->offers_json = db_col_dup(a, st, BASE_COL_OFFERS);
	b->description = db_col_dup(a, st, BASE_COL_DESCRIPTION);
	b->contact_name = db_col_dup(a, st, BASE_COL_CONTACT_NAME);
	b->contact_phone = db_col_dup(a, st, BASE_COL_CONTACT_PHONE);
	b->approval_required = db_col_int(st, BASE_COL_APPROVAL) != 0;
	const char *s = db_col_text(st, BASE_COL_STATUS);
	b->open = s && strcmp(s, "open") == 0;
	b->created_at = db_col_int(st, BASE_COL_CREATED_AT);
	b->updated_at = db_col_int(st, BASE_COL_UPDATED_AT);
	b->holidays_closed = db_col_int(st, BASE_COL_HOLIDAYS_CLOSED) != 0;
	json_t *h = json_loads(b->hours_json ? b->hours_json : "null", 0, NULL);
	if (!base_hours_parse(h, b))
		for (int i = 0; i < 7; i++)
			b->opens[i] = b->closes[i] = -1;
	json_decref(h);
}

enum db_rc base_get(struct db *db, struct arena *a, int64_t id, struct base_rec *b)
{
	struct db_stmt *st = db_prepare(db, &base_sql[STMT_BASE_GET]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		read_rec(a, st, b);
		rc = DB_OK;
	} else if (rc == DB_DONE)
		rc = DB_NOT_FOUND;
	db_reset(st);
	return rc;
}

json_t *base_json(const struct base_rec *b)
{
	json_t *hours = json_loads(b->hours_json ? b->hours_json : "[]", 0, NULL);
	json_t *offers = json_loads(b->offers_json ? b->offers_json : "[]", 0, NULL);
	json_t *point = b->has_point ? json_pack("{s:f, s:f}", "lat", (double)b->lat_e6 / 1e6, "lng",
						 (double)b->lng_e6 / 1e6)
				     : json_null();
	return json_pack("{s:I, s:I, s:s?, s:s, s:s, s:s, s:o, s:i, s:i, s:o, s:o, s:s?, s:s?, s:s?, s:b, s:b, s:s, s:I, s:I}",
			 "id", (json_int_t)b->id, "org_id", (json_int_t)b->org_id, "org_name", b->org_name, "name",
			 b->name, "kind", b->kind, "address", b->address, "point", point, "capacity", b->capacity,
			 "slot_minutes", b->slot_minutes, "hours", hours ? hours : json_array(), "offers",
			 offers ? offers : json_array(), "description", b->description, "contact_name", b->contact_name,
			 "contact_phone", b->contact_phone, "approval_required", b->approval_required, "holidays_closed",
			 b->holidays_closed, "status",
			 b->open ? "open" : "closed", "created_at", (json_int_t)b->created_at, "updated_at",
			 (json_int_t)b->updated_at);
}

enum db_rc base_list(struct db *db, struct arena *a, const char *prefix, const char *end, const char *kind,
		     const char *name_like, json_t *items)
{
	struct db_stmt *st = db_prepare(db, &base_sql[STMT_BASE_LIST]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, prefix, -1);
	db_bind_text(st, 2, end, -1);
	db_bind_opt_text(st, 3, kind);
	db_bind_opt_text(st, 4, name_like);
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW) {
		struct base_rec b;
		read_rec(a, st, &b);
		json_t *j = base_json(&b);
		json_object_set_new(j, "_path", json_string(b.org_path)); /* for the caller; not shown */
		json_array_append_new(items, j);
	}
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

enum db_rc base_closed_replace(struct db *db, int64_t base_id, json_t *days)
{
	struct db_stmt *st = db_prepare(db, &base_sql[STMT_BASE_CLOSED_DELETE]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, base_id);
	enum db_rc rc = db_step(st);
	db_reset(st);
	if (rc != DB_DONE)
		return rc;
	size_t i;
	json_t *it;
	json_array_foreach(days, i, it)
	{
		st = db_prepare(db, &base_sql[STMT_BASE_CLOSED_ADD]);
		if (!st)
			return DB_ERROR;
		db_bind_int(st, 1, base_id);
		db_bind_text(st, 2, json_string_value(json_object_get(it, "day")), -1);
		db_bind_opt_text(st, 3, json_string_value(json_object_get(it, "reason")));
		rc = db_step(st);
		db_reset(st);
		if (rc != DB_DONE)
			return rc;
	}
	return DB_OK;
}

enum db_rc base_closed_list(struct db *db, int64_t base_id, const char *from, const char *to, json_t *items)
{
	struct db_stmt *st = db_prepare(db, &base_sql[STMT_BASE_CLOSED_LIST]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, base_id);
	db_bind_text(st, 2, from, -1);
	db_bind_text(st, 3, to, -1);
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW)
		json_array_append_new(items, json_pack("{s:s, s:s?}", "day", db_col_text(st, BC_COL_DAY), "reason",
						       db_col_text(st, BC_COL_REASON)));
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

enum db_rc base_closed_on(struct db *db, int64_t base_id, const char *day, bool *closed)
{
	struct db_stmt *st = db_prepare(db, &base_sql[STMT_BASE_CLOSED_ON]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, base_id);
	db_bind_text(st, 2, day, -1);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		*closed = db_col_int(st, DB_COL_ONLY) > 0;
		rc = DB_OK;
	}
	db_reset(st);
	return rc;
}

enum db_rc base_assignments_covering(struct db *db, const char *path, json_t *items)
{
	struct db_stmt *st = db_prepare(db, &base_sql[STMT_BASE_ASSIGNMENTS]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, path, -1);
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW)
		json_array_append_new(items, json_pack("{s:I, s:s, s:s, s:I, s:s}", "user_id",
						       (json_int_t)db_col_int(st, BA_COL_USER_ID), "name",
						       db_col_text(st, BA_COL_NAME), "role", db_col_text(st, BA_COL_ROLE),
						       "org_id", (json_int_t)db_col_int(st, BA_COL_ORG_ID), "org_name",
						       db_col_text(st, BA_COL_ORG_NAME)));
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

enum db_rc base_member_count(struct db *db, const char *prefix, const char *end, int64_t at_most, int64_t *n)
{
	struct db_stmt *st = db_prepare(db, &base_sql[STMT_BASE_MEMBER_COUNT]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, prefix, -1);
	db_bind_text(st, 2, end, -1);
	db_bind_int(st, 3, at_most);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		*n = db_col_int(st, DB_COL_ONLY);
		rc = DB_OK;
	}
	db_reset(st);
	return rc;
}

enum db_rc base_holidays(struct db *db, const char *from, const char *to, json_t *items)
{
	struct db_stmt *st = db_prepare(db, &base_sql[STMT_BASE_HOLIDAYS]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, from, -1);
	db_bind_text(st, 2, to, -1);
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW)
		json_array_append_new(items, json_pack("{s:s, s:s}", "day", db_col_text(st, BC_COL_DAY), "name",
						       db_col_text(st, BC_COL_REASON) ? db_col_text(st, BC_COL_REASON) : ""));
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

enum db_rc base_holiday(struct db *db, struct arena *a, const char *day, bool *holiday, const char **name)
{
	struct date d;
	*holiday = false;
	if (!date_parse(day, &d))
		return DB_OK;
	/* the one day: [day, day + 1) */
	char next[11];
	date_format(date_from_days(date_to_days(d) + 1), next);
	json_t *items = json_array();
	enum db_rc rc = base_holidays(db, day, next, items);
	json_t *it = json_array_get(items, 0);
	if (rc == DB_OK && it && strcmp(json_string_value(json_object_get(it, "day")), day) == 0) {
		*holiday = true;
		if (name)
			*name = arena_strdup(a, json_string_value(json_object_get(it, "name")));
	}
	json_decref(items);
	return rc;
}

void base_revision(struct db *db, int64_t *epoch, int64_t *rev)
{
	*epoch = 0;
	*rev = -1;
	struct db_stmt *st = db_prepare(db, &base_sql[STMT_BASE_REV]);
	if (st && db_step(st) == DB_ROW) {
		/* (epoch, rev, last booking) folded into the pair the caches compare: the
		 * multiplication by an odd constant is one-to-one modulo 2^64, so two different
		 * last bookings never give the same pair */
		uint64_t last = (uint64_t)db_col_int(st, BR_COL_LAST_BOOKING);
		*epoch = (int64_t)((uint64_t)db_col_int(st, BR_COL_EPOCH) ^ (last * UINT64_C(0x9E3779B97F4A7C15)));
		*rev = db_col_int(st, BR_COL_REV);
	}
	if (st)
		db_reset(st);
}
