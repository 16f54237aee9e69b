/* base_stats.c: the figures of the bases (see base.h): bases by kind, bookings received
 * (批) and how they ended, visiting members (人次) and each base's use rate (places
 * booked ÷ places offered by its open slots in the period). */
#include "core/arena.h"
#include "model/base.h"
#include <string.h>

enum bstat_stmt { STMT_BSTAT_BASES, STMT_BSTAT_BASE_USE, STMT_BSTAT_BOOKINGS, BSTAT_STMT__MAX };
enum bstat_base_col { BSB_COL_ID, BSB_COL_NAME, BSB_COL_KIND, BSB_COL_CAPACITY, BSB_COL_SLOT, BSB_COL_HOURS };
enum bstat_use_col { BSU_COL_COUNT, BSU_COL_BOOKED, BSU_COL_VISITORS };
enum bstat_bk_col { BSK_COL_STATUS, BSK_COL_COUNT, BSK_COL_VISITORS };

static const struct db_sql bstat_sql[BSTAT_STMT__MAX] = {
	[STMT_BSTAT_BASES] = {"base.stats_bases",
	 "SELECT b.id, b.name, b.kind, b.capacity, b.slot_minutes, b.hours FROM bases b JOIN orgs o ON o.id = b.org_id"
	 " WHERE o.path >= $1 AND o.path < $2 ORDER BY b.id"},
	[STMT_BSTAT_BASE_USE] = {"base.stats_base_use",
	 "SELECT COUNT(*), COALESCE(SUM(CASE WHEN status IN ('approved', 'checked_in', 'completed') THEN headcount"
	 " ELSE 0 END), 0), COALESCE(SUM(CASE WHEN status IN ('checked_in', 'completed') THEN COALESCE(attended, 0)"
	 " ELSE 0 END), 0) FROM base_bookings WHERE base_id = $1 AND day >= $2 AND day <= $3"},
	[STMT_BSTAT_BOOKINGS] = {"base.stats_bookings",
	 "SELECT status, COUNT(*), COALESCE(SUM(COALESCE(attended, 0)), 0) FROM base_bookings"
	 " WHERE org_path >= $1 AND org_path < $2 AND day >= $3 AND day <= $4 GROUP BY status"},
};
DB_SQL_TABLE(base_stats, bstat_sql);

/* Places a base offers on its open days in [from, to] (its own closed days left out). */
static enum db_rc offered(struct db *db, const struct base_rec *b, struct date from, struct date to, int64_t *out)
{
	char f[11], t[11];
	date_format(from, f);
	date_format(date_from_days(date_to_days(to) + 1), t);
	json_t *closed = json_array();
	enum db_rc rc = base_closed_list(db, b->id, f, t, closed);
	int64_t sum = 0;
	for (int64_t d = date_to_days(from); rc == DB_OK && d <= date_to_days(to); d++) {
		struct date dd = date_from_days(d);
		int wd = base_weekday(dd);
		if (b->opens[wd] < 0)
			continue;
		char ds[11];
		date_format(dd, ds);
		bool shut = false;
		size_t i;
		json_t *it;
		json_array_foreach(closed, i, it) if (strcmp(json_string_value(json_object_get(it, "day")), ds) == 0) shut = true;
		if (shut)
			continue;
		sum += (int64_t)((b->closes[wd] - b->opens[wd]) / b->slot_minutes) * b->capacity;
	}
	json_decref(closed);
	*out = sum;
	return rc;
}

enum db_rc base_stats(struct db *db, struct arena *a, const char *prefix, const char *end, const char *from,
		      const char *to, struct base_stats *s, json_t *per_base)
{
	struct date df, dt;
	if (!date_parse(from, &df) || !date_parse(to, &dt))
		return DB_ERROR;
	struct db_stmt *st = db_prepare(db, &bstat_sql[STMT_BSTAT_BASES]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, prefix, -1);
	db_bind_text(st, 2, end, -1);
	size_t n = 0, cap = 16;
	struct base_rec *v = arena_alloc(a, sizeof *v * cap);
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW) {
		if (n == cap) {
			struct base_rec *nv = arena_alloc(a, sizeof *nv * cap * 2);
			memcpy(nv, v, sizeof *v * cap);
			v = nv;
			cap *= 2;
		}
		struct base_rec *b = &v[n++];
		memset(b, 0, sizeof *b);
		b->id = db_col_int(st, BSB_COL_ID);
		b->name = db_col_dup(a, st, BSB_COL_NAME);
		b->kind = db_col_dup(a, st, BSB_COL_KIND);
		b->capacity = (int)db_col_int(st, BSB_COL_CAPACITY);
		b->slot_minutes = (int)db_col_int(st, BSB_COL_SLOT);
		json_t *h = json_loads(db_col_text(st, BSB_COL_HOURS), 0, NULL);
		if (!base_hours_parse(h, b))
			for (int i = 0; i < 7; i++)
				b->opens[i] = -1;
		json_decref(h);
	}
	db_reset(st);
	if (rc != DB_DONE)
		return rc;
	for (size_t i = 0; i < n; i++) {
		struct base_rec *b = &v[i];
		s->bases++;
		for (int k = 0; k < BASE_KINDS; k++)
			if (strcmp(base_kinds[k], b->kind) == 0)
				s->by_kind[k]++;
		int64_t places = 0;
		if ((rc = offered(db, b, df, dt, &places)) != DB_OK)
			return rc;
		st = db_prepare(db, &bstat_sql[STMT_BSTAT_BASE_USE]);
		if (!st)
			return DB_ERROR;
		db_bind_int(st, 1, b->id);
		db_bind_text(st, 2, from, -1);
		db_bind_text(st, 3, to, -1);
		rc = db_step(st);
		if (rc != DB_ROW) {
			db_reset(st);
			return rc == DB_DONE ? DB_ERROR : rc;
		}
		int64_t count = db_col_int(st, BSU_COL_COUNT), booked = db_col_int(st, BSU_COL_BOOKED),
			visitors = db_col_int(st, BSU_COL_VISITORS);
		db_reset(st);
		s->booked_places += booked;
		s->offered_places += places;
		if (per_base)
			json_array_append_new(per_base,
					      json_pack("{s:I, s:s, s:s, s:i, s:I, s:I, s:I, s:I, s:f}", "id",
							(json_int_t)b->id, "name", b->name, "kind", b->kind, "capacity",
							b->capacity, "bookings", (json_int_t)count, "booked_places",
							(json_int_t)booked, "offered_places", (json_int_t)places,
							"visitors", (json_int_t)visitors, "use_rate",
							places > 0 ? (double)booked / (double)places : 0.0));
	}
	st = db_prepare(db, &bstat_sql[STMT_BSTAT_BOOKINGS]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, prefix, -1);
	db_bind_text(st, 2, end, -1);
	db_bind_text(st, 3, from, -1);
	db_bind_text(st, 4, to, -1);
	while ((rc = db_step(st)) == DB_ROW) {
		int64_t c = db_col_int(st, BSK_COL_COUNT);
		switch (base_status_of(db_col_text(st, BSK_COL_STATUS))) {
		case BK_APPROVED:
			s->approved += c;
			break;
		case BK_CHECKED_IN:
			s->approved += c;
			s->visitors += db_col_int(st, BSK_COL_VISITORS);
			break;
		case BK_COMPLETED:
			s->completed += c;
			s->visitors += db_col_int(st, BSK_COL_VISITORS);
			break;
		case BK_DECLINED:
			s->declined += c;
			break;
		case BK_CANCELLED:
			s->cancelled += c;
			break;
		case BK_NO_SHOW:
			s->no_show += c;
			break;
		case BK_WAITLISTED:
			s->waitlisted += c;
			break;
		default:
			break;
		}
		s->received += c;
	}
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}
