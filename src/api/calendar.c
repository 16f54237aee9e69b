/* calendar.c: the working-day calendar's routes (model/workday.h): any signed-in user
 * reads a year's holidays and 调休 days and asks where a period of working days ends
 * (the 公示 forms); the district administrator (calendar.manage) replaces a year's days.
 * The calendar belongs to the whole deployment, not to an organization. */
#include "api/roster_util.h"
#include "auth/audit.h"
#include "core/arena.h"
#include "core/clock.h"
#include "http/input.h"
#include "http/params.h"
#include "model/workday.h"
#include <string.h>

struct cal_in {
	int64_t year;
};
static const struct param cal_params[] = {PARAM_INT(struct cal_in, year, 0, 2199, 0)};
static const struct params cal_in = PARAMS(struct cal_in, cal_params);

static void reply_year(struct request *req, int status, int year)
{
	json_t *items = json_array(), *years = json_array();
	bool known = false;
	int workdays = 0;
	enum db_rc rc = workday_year_list(req->db, year, items);
	if (rc == DB_OK)
		rc = workday_years(req->db, years);
	if (rc == DB_OK)
		rc = workday_year_known(req->db, year, &known);
	if (rc == DB_OK)
		rc = workday_count(req->db, (struct date){year, 1, 1}, (struct date){year, 12, 31}, &workdays);
	if (rc != DB_OK) {
		json_decref(items);
		json_decref(years);
		req_fail_db(req, rc);
		return;
	}
	req_reply_json(req, status,
		       json_pack("{s:i, s:b, s:i, s:o, s:o}", "year", year, "known", known, "workdays", workdays, "years",
				 years, "items", items));
}

static void get_calendar(struct request *req)
{
	const struct cal_in *in = req->in;
	if (in->year && in->year < 1900) {
		req_field_error(req, "year", "out_of_range", "年份应在 1900–2199 之间");
		return;
	}
	reply_year(req, 200, in->year ? (int)in->year : roster_today().y);
}

/* Checks the year's entries (each inside the year, a make-up day on a weekend, no day
 * twice; field names prefixed by what) and replaces the year with them. */
static void replace_year(struct request *req, int64_t year, struct workday_entry *e, size_t n, const char *what,
			 const int *lineno, const char *source)
{
	for (size_t i = 0; i < n; i++) {
		const char *f = lineno ? arena_printf(req->arena, "%s[%d]", what, lineno[i])
				       : arena_printf(req->arena, "%s[%zu]", what, i);
		struct date d;
		if (!e[i].day || !date_parse(e[i].day, &d)) {
			req_field_error(req, f, "invalid_date", "日期应为有效的 YYYY-MM-DD");
			continue;
		}
		if (d.y != year) {
			req_field_error(req, f, "wrong_year", arena_printf(req->arena, "%s 不在 %lld 年内", e[i].day, (long long)year));
			continue;
		}
		for (size_t j = 0; j < i; j++)
			if (e[j].day && strcmp(e[j].day, e[i].day) == 0)
				req_field_error(req, f, "duplicate", arena_printf(req->arena, "%s 重复", e[i].day));
		if (!e[i].kind || (strcmp(e[i].kind, "holiday") != 0 && strcmp(e[i].kind, "workday") != 0))
			req_field_error(req, f, "invalid_kind", "类型应为节假日（holiday）或调休上班（workday）");
		else if (strcmp(e[i].kind, "workday") == 0 && workday_weekday(d) <= 5)
			req_field_error(req, f, "not_weekend", arena_printf(req->arena, "%s 本是工作日，不能设为调休上班日", e[i].day));
	}
	if (req_failed(req))
		return;
	enum db_rc rc = workday_year_replace(req->db, (int)year, e, n, clock_now());
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	struct audit_event ev = {"calendar.update", "calendar", year, 0, true,
				 arena_printf(req->arena, "%s %lld 年节假日和调休安排（%zu 天）", source, (long long)year, n)};
	if (audit_record(req, &ev) != 0)
		return;
	reply_year(req, 200, (int)year);
}

/* PUT {year, days: [{day, kind: holiday|workday, name}]}: the year's exception days,
 * all of them (what is not listed follows the plain week). */
static void put_calendar(struct request *req)
{
	json_t *b = in_body(req);
	int64_t year = 0;
	if (!b || !in_int(req, b, "year", IN_REQUIRED, 1900, 2199, &year))
		return;
	json_t *days = json_object_get(b, "days");
	if (!json_is_array(days) || json_array_size(days) > 200) {
		req_field_error(req, "days", "invalid_list", "请提供不超过200天的节假日和调休列表");
		return;
	}
	size_t n = json_array_size(days);
	struct workday_entry *e = arena_alloc(req->arena, sizeof *e * (n ? n : 1));
	for (size_t i = 0; i < n; i++) {
		json_t *it = json_array_get(days, i);
		if (!json_is_object(it)) {
			req_field_error(req, arena_printf(req->arena, "days[%zu]", i), "invalid", "每一项应为 {day, kind, name}");
			continue;
		}
		const char *name = in_str(req, it, "name", IN_OPTIONAL, 20);
		e[i] = (struct workday_entry){json_string_value(json_object_get(it, "day")),
					      json_string_value(json_object_get(it, "kind")), name ? name : ""};
	}
	if (req_failed(req))
		return;
	replace_year(req, year, e, n, "days", NULL, "修改");
}

struct import_in {
	int64_t year;
};
static const struct param import_params[] = {
	{PARAM_F_(struct import_in, year, "year", PARAM_T_INT, PARAM_REQUIRED), .min = 1900, .max = 2199, .def = 1900},
};
static const struct params import_in = PARAMS(struct import_in, import_params);

/* POST ?year= with a small CSV (UTF-8, a header line optional): day,kind,name per line,
 * kind 节假日/holiday or 调休/调休上班/workday. Replaces the year as PUT does; a bad line
 * is named by its number ("line[k]", 1-based). */
static void post_import(struct request *req)
{
	const struct import_in *in = req->in;
	char *text = arena_alloc(req->arena, req->body_len + 1);
	memcpy(text, req->body ? req->body : "", req->body_len);
	text[req->body_len] = 0;
	if (strncmp(text, "\xEF\xBB\xBF", 3) == 0)
		text += 3;
	size_t cap = 400, n = 0;
	struct workday_entry *e = arena_alloc(req->arena, sizeof *e * cap);
	int *lines = arena_alloc(req->arena, sizeof *lines * cap);
	int line = 0;
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		line++;
		size_t len = strlen(l);
		while (len && (l[len - 1] == '\r' || l[len - 1] == ' '))
			l[--len] = 0;
		if (!len || (line == 1 && !(l[0] >= '0' && l[0] <= '9')))
			continue; /* blank, or the header */
		if (n == cap) {
			req_field_error(req, "body", "too_many", "一年最多400行");
			return;
		}
		char *f[3] = {l, NULL, NULL};
		for (int k = 1; k < 3; k++) {
			char *c = f[k - 1] ? strchr(f[k - 1], ',') : NULL;
			if (c) {
				*c = 0;
				f[k] = c + 1;
			}
		}
		const char *kind = !f[1] ? NULL
				   : strcmp(f[1], "holiday") == 0 || strcmp(f[1], "节假日") == 0 || strcmp(f[1], "放假") == 0
				       ? "holiday"
				   : strcmp(f[1], "workday") == 0 || strcmp(f[1], "调休") == 0 || strcmp(f[1], "调休上班") == 0 ||
					     strcmp(f[1], "上班") == 0
				       ? "workday"
				       : f[1];
		const char *name = f[2] && in_utf8_len(f[2]) <= 20 ? f[2] : "";
		lines[n] = line;
		e[n++] = (struct workday_entry){f[0], kind, name};
	}
	replace_year(req, in->year, e, n, "line", lines, "导入");
}

struct span_in {
	const char *start;
	int64_t days;
};
static const struct param span_params[] = {
	{PARAM_F_(struct span_in, start, "start", PARAM_T_DATE, PARAM_REQUIRED)},
	PARAM_INT(struct span_in, days, 1, 60, 5),
};
static const struct params span_in = PARAMS(struct span_in, span_params);

/* Where a period of ?days working days starting on ?start ends (a 公示, R-DEV-15). */
static void get_span(struct request *req)
{
	const struct span_in *in = req->in;
	struct date s, e;
	date_parse(in->start, &s);
	bool known_s = false, known_e = false;
	enum db_rc rc = workday_span_end(req->db, s, (int)in->days, &e);
	if (rc == DB_OK)
		rc = workday_year_known(req->db, s.y, &known_s);
	if (rc == DB_OK)
		rc = workday_year_known(req->db, e.y, &known_e);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	char end[11];
	date_format(e, end);
	req_reply_json(req, 200,
		       json_pack("{s:s, s:I, s:s, s:b}", "start", in->start, "days", (json_int_t)in->days, "end", end,
				 "calendar_known", known_s && known_e));
}

static const struct route calendar_routes[] = {
	{"GET", "/api/v1/calendar", get_calendar, PERM_SESSION, RF_TX_READ, 0, "a year's holidays and 调休 days", &cal_in},
	{"PUT", "/api/v1/calendar", put_calendar, "calendar.manage", RF_TX_WRITE, 0, "replace a year's holidays and 调休 days"},
	{"POST", "/api/v1/calendar/import", post_import, "calendar.manage", RF_RAW_BODY | RF_TX_WRITE, 65536,
	 "replace a year's holidays and 调休 days from a small CSV (day,kind,name)", &import_in},
	{"GET", "/api/v1/calendar/span", get_span, PERM_SESSION, RF_TX_READ, 0, "the end of N working days from a date",
	 &span_in},
};
ROUTE_TABLE(calendar);
