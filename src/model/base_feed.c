/* base_feed.c: iCalendar (RFC 5545) feeds of bookings behind revocable tokens (see
 * base.h). A feed's token is 256 random bits shown once; only its keyed hash is kept,
 * so the database alone does not open a feed. */
#include "core/arena.h"
#include "core/crypto.h"
#include "model/base.h"
#include "model/token.h"
#include <stdio.h>
#include <sodium.h>
#include <string.h>
#include <time.h>

enum feed_stmt {
	STMT_FEED_INSERT,
	STMT_FEED_LIST,
	STMT_FEED_FIND,
	STMT_FEED_GET,
	STMT_FEED_REVOKE,
	STMT_FEED_BOOKINGS_BASE,
	STMT_FEED_BOOKINGS_ORGS,
	STMT_CODE_PUT,
	STMT_CODE_FIND,
	FEED_STMT__MAX
};
enum feed_list_col { FL_COL_ID, FL_COL_CREATED_AT, FL_COL_REVOKED_AT };
enum feed_find_col { FF_COL_ID, FF_COL_KIND, FF_COL_OBJECT_ID, FF_COL_REVOKED_AT };
enum feed_bk_col {
	FB_COL_ID,
	FB_COL_DAY,
	FB_COL_START,
	FB_COL_END,
	FB_COL_HEADCOUNT,
	FB_COL_STATUS,
	FB_COL_PURPOSE,
	FB_COL_ORG_NAME,
	FB_COL_BASE_NAME,
	FB_COL_ADDRESS,
	FB_COL_UPDATED_AT,
};

#define FEED_BK_COLS                                                                                       \
	"SELECT k.id, k.day, k.slot_start, k.slot_end, k.headcount, k.status, k.purpose, o.name, b.name,"   \
	" b.address, k.updated_at FROM base_bookings k JOIN orgs o ON o.id = k.org_id"                        \
	" JOIN bases b ON b.id = k.base_id"

static const struct db_sql feed_sql[FEED_STMT__MAX] = {
	[STMT_FEED_INSERT] = {"base.feed_insert",
	 "INSERT INTO base_feeds (kind, object_id, token_hash, created_by, created_at) VALUES ($1, $2, $3, $4, $5)"
	 " RETURNING id"},
	[STMT_FEED_LIST] = {"base.feed_list",
	 "SELECT id, created_at, revoked_at FROM base_feeds WHERE kind = $1 AND object_id = $2 ORDER BY id"},
	[STMT_FEED_FIND] = {"base.feed_find",
	 "SELECT id, kind, object_id, revoked_at FROM base_feeds WHERE token_hash = $1"},
	[STMT_FEED_GET] = {"base.feed_get", "SELECT id, kind, object_id, revoked_at FROM base_feeds WHERE id = $1"},
	[STMT_FEED_REVOKE] = {"base.feed_revoke",
	 "UPDATE base_feeds SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL"},
	[STMT_FEED_BOOKINGS_BASE] = {"base.feed_bookings_base",
	 FEED_BK_COLS " WHERE k.base_id = $1 AND k.day >= $2 AND k.day <= $3 AND k.status <> 'waitlisted'"
	 " ORDER BY k.day, k.slot_start, k.id LIMIT 20000"},
	[STMT_FEED_BOOKINGS_ORGS] = {"base.feed_bookings_orgs",
	 FEED_BK_COLS " WHERE k.org_path >= $1 AND k.org_path < $2 AND k.day >= $3 AND k.day <= $4"
	 " AND k.status <> 'waitlisted' ORDER BY k.day, k.slot_start, k.id LIMIT 20000"},
	[STMT_CODE_PUT] = {"base.checkin_code_put",
	 "INSERT INTO base_checkin_codes (booking_id, code_hash, expires_at, created_at) VALUES ($1, $2, $3, $4)"
	 " ON CONFLICT (booking_id) DO UPDATE SET code_hash = excluded.code_hash, expires_at = excluded.expires_at,"
	 " created_at = excluded.created_at"},
	[STMT_CODE_FIND] = {"base.checkin_code_find",
	 "SELECT booking_id FROM base_checkin_codes WHERE code_hash = $1 AND expires_at > $2"},
};
DB_SQL_TABLE(base_feed, feed_sql);

enum db_rc base_feed_create(struct db *db, struct arena *a, const char *kind, int64_t object_id, int64_t user_id,
			    int64_t now, int64_t *id, const char **token)
{
	unsigned char h[DJ_BLIND_LEN];
	char *t = token_new(a, NULL, 32, "base.feed", h);
	struct db_stmt *st = db_prepare(db, &feed_sql[STMT_FEED_INSERT]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, kind, -1);
	db_bind_int(st, 2, object_id);
	db_bind_blob(st, 3, h, sizeof h);
	db_bind_opt_id(st, 4, user_id);
	db_bind_int(st, 5, now);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		*id = db_col_int(st, DB_COL_ONLY);
		*token = t;
		rc = DB_OK;
	}
	db_reset(st);
	return rc;
}

/* Codes are 8 characters of [A-Z2-9] without look-alikes (a member types it when the
 * phone cannot scan): 32^8 ≈ 1.1e12 (libsodium's CSPRNG), hashed with the index key, valid for one day. */
enum db_rc base_checkin_code_new(struct db *db, struct arena *a, int64_t booking_id, int64_t now, int64_t expires_at,
				 const char **code)
{
	unsigned char h[DJ_BLIND_LEN];
	char *c = token_code_new(a, "ABCDEFGHJKLMNPQRSTUVWXYZ23456789", 8, "base.checkin", h);
	struct db_stmt *st = db_prepare(db, &feed_sql[STMT_CODE_PUT]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, booking_id);
	db_bind_blob(st, 2, h, sizeof h);
	db_bind_int(st, 3, expires_at);
	db_bind_int(st, 4, now);
	enum db_rc rc = db_step(st);
	db_reset(st);
	if (rc != DB_DONE)
		return rc;
	*code = c;
	return DB_OK;
}

enum db_rc base_checkin_code_find(struct db *db, const char *code, int64_t now, int64_t *booking_id)
{
	unsigned char h[DJ_BLIND_LEN];
	token_hash("base.checkin", code, h);
	struct db_stmt *st = db_prepare(db, &feed_sql[STMT_CODE_FIND]);
	if (!st)
		return DB_ERROR;
	db_bind_blob(st, 1, h, sizeof h);
	db_bind_int(st, 2, now);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		*booking_id = db_col_int(st, DB_COL_ONLY);
		rc = DB_OK;
	} else if (rc == DB_DONE)
		rc = DB_NOT_FOUND;
	db_reset(st);
	return rc;
}

enum db_rc base_feed_list(struct db *db, const char *kind, int64_t object_id, json_t *items)
{
	struct db_stmt *st = db_prepare(db, &feed_sql[STMT_FEED_LIST]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, kind, -1);
	db_bind_int(st, 2, object_id);
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW)
		json_array_append_new(items, json_pack("{s:I, s:s, s:I, s:I, s:o}", "id",
						       (json_int_t)db_col_int(st, FL_COL_ID), "kind", kind, "object_id",
						       (json_int_t)object_id, "created_at",
						       (json_int_t)db_col_int(st, FL_COL_CREATED_AT), "revoked_at",
						       db_col_null(st, FL_COL_REVOKED_AT)
							       ? json_null()
							       : json_integer(db_col_int(st, FL_COL_REVOKED_AT))));
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

static enum db_rc feed_row(struct db_stmt *st, struct arena *a, const char **kind, int64_t *object_id, int64_t *id,
			   bool *revoked)
{
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		*id = db_col_int(st, FF_COL_ID);
		*kind = db_col_dup(a, st, FF_COL_KIND);
		*object_id = db_col_int(st, FF_COL_OBJECT_ID);
		*revoked = !db_col_null(st, FF_COL_REVOKED_AT);
		rc = DB_OK;
	} else if (rc == DB_DONE)
		rc = DB_NOT_FOUND;
	db_reset(st);
	return rc;
}

enum db_rc base_feed_find(struct db *db, struct arena *a, const char *token, const char **kind, int64_t *object_id,
			  int64_t *id)
{
	unsigned char h[DJ_BLIND_LEN];
	token_hash("base.feed", token, h);
	struct db_stmt *st = db_prepare(db, &feed_sql[STMT_FEED_FIND]);
	if (!st)
		return DB_ERROR;
	db_bind_blob(st, 1, h, sizeof h);
	bool revoked = false;
	enum db_rc rc = feed_row(st, a, kind, object_id, id, &revoked);
	return rc == DB_OK && revoked ? DB_NOT_FOUND : rc;
}

enum db_rc base_feed_get(struct db *db, struct arena *a, int64_t id, const char **kind, int64_t *object_id,
			 bool *revoked)
{
	struct db_stmt *st = db_prepare(db, &feed_sql[STMT_FEED_GET]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	int64_t got;
	return feed_row(st, a, kind, object_id, &got, revoked);
}

enum db_rc base_feed_revoke(struct db *db, int64_t id, int64_t now)
{
	struct db_stmt *st = db_prepare(db, &feed_sql[STMT_FEED_REVOKE]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, now);
	enum db_rc rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

/* ---- writing the calendar ---- */

struct ics {
	struct arena *a;
	char *buf;
	size_t len, cap;
};

static void ics_raw(struct ics *w, const char *s, size_t n)
{
	if (w->len + n + 1 > w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 8192;
		while (cap < w->len + n + 1)
			cap *= 2;
		char *nb = arena_alloc_raw(w->a, cap);
		if (w->len)
			memcpy(nb, w->buf, w->len);
		w->buf = nb;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = 0;
}

/* One content line: name, then value escaped as TEXT when text is true (backslash,
 * semicolon, comma, newline), folded at 75 octets without splitting a UTF-8 sequence
 * (RFC 5545 §3.1), ended with CRLF. */
static void ics_line(struct ics *w, const char *name, const char *value, bool text)
{
	char tmp[2048];
	size_t n = 0;
	for (const char *p = name; *p && n < sizeof tmp - 8; p++)
		tmp[n++] = *p;
	for (const char *p = value ? value : ""; *p && n < sizeof tmp - 8; p++) {
		unsigned char c = (unsigned char)*p;
		if (text && (c == '\\' || c == ';' || c == ',')) {
			tmp[n++] = '\\';
			tmp[n++] = (char)c;
		} else if (text && c == '\n') {
			tmp[n++] = '\\';
			tmp[n++] = 'n';
		} else if (c == '\r' || (c < 0x20 && c != '\t')) {
			continue;
		} else
			tmp[n++] = (char)c;
	}
	/* a UTF-8 sequence cut by the buffer's end is dropped */
	while (n > 0 && ((unsigned char)tmp[n - 1] & 0xC0) == 0x80) {
		size_t k = n - 1;
		while (k > 0 && ((unsigned char)tmp[k] & 0xC0) == 0x80)
			k--;
		unsigned char lead = (unsigned char)tmp[k];
		size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
		if (n - k == need)
			break;
		n = k;
	}
	size_t pos = 0, width = 75;
	while (pos < n) {
		size_t take = n - pos > width ? width : n - pos;
		if (pos + take < n)
			while (take > 0 && ((unsigned char)tmp[pos + take] & 0xC0) == 0x80)
				take--;
		if (pos > 0)
			ics_raw(w, " ", 1);
		ics_raw(w, tmp + pos, take);
		ics_raw(w, "\r\n", 2);
		pos += take;
		width = 74; /* a continuation line starts with its space */
	}
	if (n == 0)
		ics_raw(w, "\r\n", 2);
}

static const char *ics_status(const char *s)
{
	switch (base_status_of(s)) {
	case BK_APPROVED:
	case BK_CHECKED_IN:
	case BK_COMPLETED:
		return "CONFIRMED";
	case BK_DECLINED:
	case BK_CANCELLED:
	case BK_NO_SHOW:
		return "CANCELLED";
	default:
		return "TENTATIVE";
	}
}

static void utc_stamp(int64_t t, char out[17])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

static void local_stamp(const char *day, int minutes, char out[16])
{
	char hm[6];
	base_format_hm(minutes, hm);
	/* YYYYMMDDTHHMM00 */
	memcpy(out, day, 4);
	memcpy(out + 4, day + 5, 2);
	memcpy(out + 6, day + 8, 2);
	out[8] = 'T';
	memcpy(out + 9, hm, 2);
	memcpy(out + 11, hm + 3, 2);
	memcpy(out + 13, "00", 3);
}

enum db_rc base_ics(struct db *db, struct arena *a, int64_t base_id, const char *prefix, const char *end,
		    const char *from, const char *to, const char *calname, int64_t now, char **out, size_t *len)
{
	struct db_stmt *st;
	if (base_id > 0) {
		st = db_prepare(db, &feed_sql[STMT_FEED_BOOKINGS_BASE]);
		if (!st)
			return DB_ERROR;
		db_bind_int(st, 1, base_id);
		db_bind_text(st, 2, from, -1);
		db_bind_text(st, 3, to, -1);
	} else {
		st = db_prepare(db, &feed_sql[STMT_FEED_BOOKINGS_ORGS]);
		if (!st)
			return DB_ERROR;
		db_bind_text(st, 1, prefix, -1);
		db_bind_text(st, 2, end, -1);
		db_bind_text(st, 3, from, -1);
		db_bind_text(st, 4, to, -1);
	}
	struct ics w = {a, NULL, 0, 0};
	char stamp[17];
	utc_stamp(now, stamp);
	ics_line(&w, "BEGIN:", "VCALENDAR", false);
	ics_line(&w, "VERSION:", "2.0", false);
	ics_line(&w, "PRODID:", "-//dangjian//bases//ZH", false);
	ics_line(&w, "CALSCALE:", "GREGORIAN", false);
	ics_line(&w, "METHOD:", "PUBLISH", false);
	ics_line(&w, "X-WR-CALNAME:", calname, true);
	ics_line(&w, "X-WR-TIMEZONE:", "Asia/Shanghai", false);
	ics_line(&w, "BEGIN:", "VTIMEZONE", false);
	ics_line(&w, "TZID:", "Asia/Shanghai", false);
	ics_line(&w, "BEGIN:", "STANDARD", false);
	ics_line(&w, "DTSTART:", "19700101T000000", false);
	ics_line(&w, "TZOFFSETFROM:", "+0800", false);
	ics_line(&w, "TZOFFSETTO:", "+0800", false);
	ics_line(&w, "TZNAME:", "CST", false);
	ics_line(&w, "END:", "STANDARD", false);
	ics_line(&w, "END:", "VTIMEZONE", false);
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW) {
		const char *day = db_col_text(st, FB_COL_DAY);
		if (!day || strlen(day) != 10)
			continue;
		char ds[16], de[16], upd[17];
		local_stamp(day, (int)db_col_int(st, FB_COL_START), ds);
		local_stamp(day, (int)db_col_int(st, FB_COL_END), de);
		utc_stamp(db_col_int(st, FB_COL_UPDATED_AT), upd);
		ics_line(&w, "BEGIN:", "VEVENT", false);
		ics_line(&w, "UID:", arena_printf(a, "base-booking-%lld@dangjian", (long long)db_col_int(st, FB_COL_ID)),
			 false);
		ics_line(&w, "DTSTAMP:", stamp, false);
		ics_line(&w, "LAST-MODIFIED:", upd, false);
		ics_line(&w, "DTSTART;TZID=Asia/Shanghai:", ds, false);
		ics_line(&w, "DTEND;TZID=Asia/Shanghai:", de, false);
		ics_line(&w, "SUMMARY:",
			 arena_printf(a, "%s · %s（%lld人）", db_col_text(st, FB_COL_ORG_NAME),
				      db_col_text(st, FB_COL_BASE_NAME), (long long)db_col_int(st, FB_COL_HEADCOUNT)),
			 true);
		ics_line(&w, "LOCATION:",
			 arena_printf(a, "%s %s", db_col_text(st, FB_COL_BASE_NAME), db_col_text(st, FB_COL_ADDRESS)),
			 true);
		ics_line(&w, "DESCRIPTION:", db_col_text(st, FB_COL_PURPOSE), true);
		ics_line(&w, "STATUS:", ics_status(db_col_text(st, FB_COL_STATUS)), false);
		ics_line(&w, "END:", "VEVENT", false);
	}
	db_reset(st);
	if (rc != DB_DONE)
		return rc;
	ics_line(&w, "END:", "VCALENDAR", false);
	*out = w.buf;
	*len = w.len;
	return DB_OK;
}
