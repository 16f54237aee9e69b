/* base.h: 开放式组织生活基地 (issue 17, DOMAIN.md §7): bases run by an organization, their
 * opening hours, slots and closed days (base.c); bookings made by organizations, with
 * the capacity of a slot, the waiting list, series and the visit's roster
 * (base_booking.c); iCalendar feeds behind revocable tokens (base_feed.c); the figures
 * of the statistics (base_stats.c). Callers pass a connection and an arena for returned
 * text (arena-owned); JSON results are new references. Nothing here knows a request:
 * scope and permissions are decided in src/api/bases.c. */
#ifndef DJ_BASE_H
#define DJ_BASE_H
#include "core/date.h"
#include "db/db.h"
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct arena;

#define BASE_KINDS 5
extern const char *const base_kinds[BASE_KINDS + 1];  /* 纪念馆/展馆 … 其他, NULL-terminated */
extern const char *const base_offers[];               /* 讲解, 党课, 重温入党誓词, NULL-terminated */

struct base_rec {
	int64_t id, org_id;
	const char *org_path, *org_name;
	const char *name, *kind, *address, *description, *contact_name, *contact_phone;
	bool has_point;
	int64_t lat_e6, lng_e6;
	int capacity, slot_minutes;
	int opens[7], closes[7]; /* minutes after midnight, Monday first; opens < 0: closed */
	const char *hours_json;  /* as stored: ["09:00-17:00", …, null] */
	const char *offers_json; /* ["讲解", …] */
	bool approval_required, open;
	bool holidays_closed; /* closed on the statutory holidays of the working-day calendar */
	int64_t created_at, updated_at;
};

/* Parses "HH:MM" into minutes after midnight; -1 when malformed. */
int base_parse_hm(const char *s);
/* Formats minutes after midnight as "HH:MM" into buf[6]. */
void base_format_hm(int minutes, char buf[6]);
/* Reads an hours array (7 entries, Monday first, each null or "HH:MM-HH:MM" with
 * opens < closes) into b->opens/closes. False when it is not one. */
bool base_hours_parse(json_t *hours, struct base_rec *b);
/* Monday 0 … Sunday 6. */
int base_weekday(struct date d);
/* True when start is a slot of b on weekday wd (a multiple of slot_minutes after opening
 * that ends by closing time). */
bool base_slot_valid(const struct base_rec *b, int wd, int start);

enum db_rc base_insert(struct db *db, struct base_rec *b, int64_t now);
enum db_rc base_update(struct db *db, const struct base_rec *b, int64_t now);
/* Loads a base with its running organization's path and name: DB_OK or DB_NOT_FOUND. */
enum db_rc base_get(struct db *db, struct arena *a, int64_t id, struct base_rec *b);
/* The base's JSON as the API shows it (closed days not included). */
json_t *base_json(const struct base_rec *b);
/* Bases run by organizations in [prefix, end), optional kind and name-contains (LIKE
 * pattern), appended to items as base_json with "_path" (the running organization's
 * path, for the caller's decisions; the caller removes it before replying). */
enum db_rc base_list(struct db *db, struct arena *a, const char *prefix, const char *end, const char *kind,
		     const char *name_like, json_t *items);
/* Closed days: replace the list ([{day, reason?}]) / read the days in [from, to). */
enum db_rc base_closed_replace(struct db *db, int64_t base_id, json_t *days);
enum db_rc base_closed_list(struct db *db, int64_t base_id, const char *from, const char *to, json_t *items);
/* True (*closed) when day is one of the base's closed days. */
enum db_rc base_closed_on(struct db *db, int64_t base_id, const char *day, bool *closed);
/* Role assignments whose organization covers path (its own or an ancestor): items
 * [{user_id, name, role, org_id, org_name}]; the caller keeps those whose role grants
 * the approver's permission. */
enum db_rc base_assignments_covering(struct db *db, const char *path, json_t *items);
/* Whether day is a statutory holiday of the district's working-day calendar (0060), and
 * its name (arena) when it is. */
enum db_rc base_holiday(struct db *db, struct arena *a, const char *day, bool *holiday, const char **name);
/* The statutory holidays in [from, to) as items [{day, name}] in day order (one
 * statement: a month's calendar reads its holidays at once). */
enum db_rc base_holidays(struct db *db, const char *from, const char *to, json_t *items);
/* The revision of what a month calendar shows (0117 base_rev: raised by every update and
 * delete of the bookings and every write to the bases, their closed days and the
 * working-day calendar, in the writer's transaction; an insert of a booking raises the
 * bookings' highest id instead, 0131) and the database's epoch, folded with that id;
 * *rev = -1 when it cannot be read. */
void base_revision(struct db *db, int64_t *epoch, int64_t *rev);
/* Members of the subtree [prefix, end) (the booker's membership), counted up to at_most. */
enum db_rc base_member_count(struct db *db, const char *prefix, const char *end, int64_t at_most, int64_t *n);

/* ---- bookings (base_booking.c) ---- */
enum base_status {
	BK_REQUESTED,
	BK_APPROVED,
	BK_DECLINED,
	BK_CHECKED_IN,
	BK_COMPLETED,
	BK_NO_SHOW,
	BK_CANCELLED,
	BK_WAITLISTED,
	BK__MAX
};
extern const char *const base_status_names[BK__MAX + 1]; /* NULL-terminated */
enum base_status base_status_of(const char *s);          /* BK__MAX when unknown */
/* Whether a booking in state s holds places of its slot. */
bool base_status_holds(enum base_status s);

struct base_booking {
	int64_t id, base_id, org_id, series_id;
	const char *org_path, *org_name, *base_name, *base_address, *base_org_path;
	char day[11];
	int slot_start, slot_end, headcount;
	const char *purpose, *leader, *decline_reason;
	enum base_status status;
	int attended; /* -1 when not recorded */
	int64_t created_by, decided_by, checked_in_at, created_at, updated_at;
};

/* Places held in the slot (requested + approved + checked in) and bookings waiting. */
enum db_rc base_slot_taken(struct db *db, int64_t base_id, const char *day, int start, int64_t *taken,
			   int64_t *waiting);
/* Inserts k (status set by the caller); sets k->id. */
enum db_rc base_booking_insert(struct db *db, struct base_booking *k, int64_t now);
enum db_rc base_booking_get(struct db *db, struct arena *a, int64_t id, struct base_booking *k);
/* Sets the status (and reason, decider, attended, check-in time as given in k). */
enum db_rc base_booking_set_status(struct db *db, const struct base_booking *k, int64_t now);
/* The 主题党日 record a visit became (0 when none) / record it. */
enum db_rc base_booking_meeting(struct db *db, int64_t id, int64_t *meeting_id);
enum db_rc base_booking_set_meeting(struct db *db, int64_t id, int64_t meeting_id);
/* The roster: add planned members / mark present; read [{member_id, name, present}]. */
enum db_rc base_roster_add(struct db *db, int64_t booking_id, int64_t member_id, bool present, int64_t now);
enum db_rc base_roster(struct db *db, int64_t booking_id, json_t *items);
/* Member org_path for a roster check: DB_NOT_FOUND when no such member. */
enum db_rc base_member_path(struct db *db, struct arena *a, int64_t member_id, const char **path, const char **name);
/* The waiting bookings of a slot in the order they came: ids and headcounts (arena). */
enum db_rc base_waiting(struct db *db, struct arena *a, int64_t base_id, const char *day, int start, int64_t **ids,
			int **heads, size_t *n);
json_t *base_booking_json(const struct base_booking *k);
/* Bookings filtered: of a base (base_id > 0) or of organizations in [prefix, end);
 * optional status and day range [from, to]; ordered by day, slot, id; at most limit
 * after (day, id) cursor. */
struct base_booking_filter {
	int64_t base_id;
	const char *prefix, *end;
	const char *status, *from, *to;
	int limit;
};
enum db_rc base_booking_list(struct db *db, struct arena *a, const struct base_booking_filter *f, json_t *items);
/* A month's places per day and slot: calls fn(ctx, day, start, taken, waiting) for each
 * slot with any booking in [from, to). */
typedef void (*base_slot_fn)(void *ctx, const char *day, int start, int64_t taken, int64_t waiting);
enum db_rc base_month(struct db *db, int64_t base_id, const char *from, const char *to, base_slot_fn fn, void *ctx);
enum db_rc base_series_insert(struct db *db, int64_t base_id, int64_t org_id, const char *rule, int64_t now,
			      int64_t *id);

/* The visit's self check-in code (base_feed.c: tokens live together): a new code for
 * booking (replacing an earlier one), valid until expires_at; the booking of a code
 * still valid at now (DB_NOT_FOUND otherwise). */
enum db_rc base_checkin_code_new(struct db *db, struct arena *a, int64_t booking_id, int64_t now, int64_t expires_at,
				 const char **code);
enum db_rc base_checkin_code_find(struct db *db, const char *code, int64_t now, int64_t *booking_id);

/* ---- feeds (base_feed.c) ---- */
/* A new feed for (kind "base"|"org", object); returns the token (arena, shown once). */
enum db_rc base_feed_create(struct db *db, struct arena *a, const char *kind, int64_t object_id, int64_t user_id,
			    int64_t now, int64_t *id, const char **token);
enum db_rc base_feed_list(struct db *db, const char *kind, int64_t object_id, json_t *items);
/* The feed's kind and object (DB_NOT_FOUND for an unknown or revoked token). */
enum db_rc base_feed_find(struct db *db, struct arena *a, const char *token, const char **kind, int64_t *object_id,
			  int64_t *id);
enum db_rc base_feed_get(struct db *db, struct arena *a, int64_t id, const char **kind, int64_t *object_id,
			 bool *revoked);
enum db_rc base_feed_revoke(struct db *db, int64_t id, int64_t now);
/* The RFC 5545 calendar of bookings (of a base, or of organizations in [prefix, end))
 * with days in [from, to], as arena text of *len bytes (CRLF lines folded at 75 octets). */
enum db_rc base_ics(struct db *db, struct arena *a, int64_t base_id, const char *prefix, const char *end,
		    const char *from, const char *to, const char *calname, int64_t now, char **out, size_t *len);

/* ---- statistics (base_stats.c) ---- */
struct base_stats {
	int64_t bases, by_kind[BASE_KINDS];
	int64_t received, approved, completed, cancelled, declined, no_show, waitlisted;
	int64_t visitors;  /* 人次: attended of checked-in and completed visits */
	int64_t booked_places, offered_places; /* use rate = booked ÷ offered */
};
/* Bases run in [prefix, end) and bookings by organizations in it with days in [from, to]. */
enum db_rc base_stats(struct db *db, struct arena *a, const char *prefix, const char *end, const char *from,
		      const char *to, struct base_stats *s, json_t *per_base);
#endif
