/* indicators.c: the report's figures and the report itself (issue 19):
 *   GET  /api/v1/indicators?org_id=&from=&to=          every figure for a subtree and period
 *   GET  /api/v1/indicators/{key}/rows?…&after=&limit=  the records behind one figure
 *   GET  /api/v1/indicators/export?…                    the table as .xlsx
 *   POST /api/v1/indicators/snapshots {org_id, year}    freeze a closed year's figures
 *   GET  /api/v1/report/template, PUT (report.manage), POST /api/v1/report/check
 *   GET  /api/v1/report?org_id=&from=&to=               the yearly report as .docx
 * The period defaults to this calendar year up to today. A period that is one whole
 * year with a snapshot answers the frozen figures, with today's beside them. */
#include "api/roster_util.h"
#include "auth/audit.h"
#include "auth/session.h"
#include "core/clock.h"
#include "core/docx.h"
#include "core/sheet_write.h"
#include "http/params.h"
#include "http/request.h"
#include "model/indicators.h"
#include "model/member.h"
#include "model/report.h"
#include "model/revcache.h"
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define XLSX_TYPE "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

struct period_in {
	int64_t org_id;
	const char *from, *to;
	int64_t after, limit;
};
static const struct param period_params[] = {
	PARAM_ID(struct period_in, org_id, "党组织编号无效"),
	PARAM_DATE(struct period_in, from),
	PARAM_DATE(struct period_in, to),
	PARAM_INT(struct period_in, after, 0, INT64_MAX, 0),
	PARAM_INT(struct period_in, limit, 1, 200, 50),
};
static const struct params period_in = PARAMS(struct period_in, period_params);

/* What a request computes over. */
struct ctx {
	struct request *req;
	struct ind_scope s;
	int64_t org_id;
	const char *org_name;
	char from[11], to[11];
	int year;            /* the period's year when it is exactly one calendar year, else 0 */
	struct report_snapshot snap; /* snap.id 0: none */
};

static bool scope_of(struct request *req, const struct period_in *in, struct ctx *c)
{
	memset(c, 0, sizeof *c);
	c->req = req;
	const char **prefix = NULL, **end = NULL;
	size_t n = roster_org_ranges(req, "stats.read", in->org_id, &prefix, &end);
	if (req_failed(req))
		return false;
	struct date today = roster_today(), from = {today.y, 1, 1}, to = today;
	if (in->from)
		date_parse(in->from, &from);
	if (in->to)
		date_parse(in->to, &to);
	else if (in->from && date_to_days(from) > date_to_days(to))
		to = (struct date){from.y, 12, 31}; /* a past year's start alone: that year */
	if (date_to_days(to) < date_to_days(from)) {
		req_field_error(req, "to", "period_order", "结束日期早于开始日期");
		return false;
	}
	c->s = (struct ind_scope){prefix, end, n, from, to, today, req->arena};
	date_format(from, c->from);
	date_format(to, c->to);
	c->org_id = in->org_id;
	c->org_name = "本辖区";
	if (in->org_id) {
		struct org_rec o;
		if (!roster_org_in_scope(req, in->org_id, "stats.read", &o))
			return false;
		c->org_name = o.name;
	}
	if (from.m == 1 && from.d == 1 && to.y == from.y && to.m == 12 && to.d == 31)
		c->year = from.y;
	if (c->year && c->org_id) {
		enum db_rc rc = report_snapshot_get(req->db, req->arena, c->org_id, c->year, &c->snap);
		if (rc != DB_OK && rc != DB_DONE) {
			req_fail_db(req, rc);
			return false;
		}
	}
	return true;
}

static json_t *value_json(const struct indicator *ind, const struct ind_value *v)
{
	char text[48];
	indicator_format(ind, v, text, sizeof text);
	return json_pack("{s:I, s:I, s:s}", "num", (json_int_t)v->num, "den", (json_int_t)v->den, "text", text);
}

/* The table is computed over the whole subtree, every indicator: kept as its text the
 * same way as the dashboard's (model/revcache.h, revtext): by the subtree (the scope's
 * roots when no organization is named), the period and the day, at the members'
 * revision, for at most cfg.replica_max_lag_ms for the figures no revision covers; one
 * request rebuilds while the others get the text of a moment before, except a caller
 * whose own write came after it began. */
#define IND_TEXTS 32
REVTEXT_DEFINE(ind_texts, IND_TEXTS);

static json_t *table(struct request *req, struct ctx *c);

static void get_indicators(struct request *req)
{
	struct ctx c;
	if (!scope_of(req, req->in, &c))
		return;
	char key[160];
	int kl = snprintf(key, sizeof key, "%lld:%s:%s@%04d-%02d-%02d", (long long)c.org_id, c.from, c.to, c.s.today.y,
			  c.s.today.m, c.s.today.d);
	/* at the revisions of the members, organizations, meetings and development records */
	struct revtext_ask ask;
	bool cacheable;
	enum db_rc rrc = ind_text_ask(req->db, key, sizeof key, kl, !c.org_id, c.s.prefix, c.s.n, req->t0,
				      req->session ? req->session->user_id : 0, &ask, &cacheable);
	if (rrc != DB_OK) {
		req_fail_db(req, rrc);
		return;
	}
	char *text;
	size_t len;
	enum revtext_got got = cacheable ? revtext_get(&ind_texts, &ask, req->arena, &text, &len) : REVTEXT_BUILD;
	if (got == REVTEXT_HIT || got == REVTEXT_STALE) {
		req_reply_raw(req, 200, "application/json", text, len);
		return;
	}
	json_t *body = table(req, &c);
	char *dumped = body && cacheable ? json_dumps(body, JSON_COMPACT) : NULL;
	if (cacheable && !dumped)
		revtext_abandon(&ind_texts, &ask); /* the next request computes */
	if (!dumped) {
		if (body)
			req_reply_json(req, 200, body);
		return;
	}
	len = strlen(dumped);
	revtext_put(&ind_texts, &ask, dumped, len);
	text = arena_alloc(req->arena, len);
	memcpy(text, dumped, len);
	free(dumped);
	json_decref(body);
	req_reply_raw(req, 200, "application/json", text, len);
}

/* The table's answer, or NULL after failing the request. */
static json_t *table(struct request *req, struct ctx *cp)
{
	struct ctx c = *cp;
	c.s.shared = true; /* each figure kept across requests (model/indicators.h) */
	ind_scope_memo(&c.s);
	json_t *items = json_array();
	for (size_t i = 0; i < indicator_count(); i++) {
		const struct indicator *ind = indicator_at(i);
		struct ind_value v = {0, 0};
		enum db_rc rc = indicator_value(req->db, ind, &c.s, &v);
		if (rc != DB_OK) {
			ind_scope_done(&c.s);
			json_decref(items);
			req_fail_db(req, rc);
			return NULL;
		}
		json_t *it = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:o, s:b}", "key", ind->key, "name", ind->name, "unit",
				       ind->unit, "group", ind->group, "definition", ind->definition, "ratio", ind->ratio,
				       "value", value_json(ind, &v), "traceable", ind->rows != NULL);
		int64_t fnum, fden;
		if (c.snap.id && (rc = report_snapshot_value(req->db, c.snap.id, ind->key, &fnum, &fden)) == DB_OK) {
			struct ind_value f = {fnum, fden};
			json_object_set_new(it, "frozen", value_json(ind, &f));
		}
		json_array_append_new(items, it);
	}
	ind_scope_done(&c.s);
	size_t np;
	const struct report_planned *p = report_planned_all(&np);
	json_t *missing = json_array();
	for (size_t i = 0; i < np; i++)
		if (!indicator_find(p[i].key))
			json_array_append_new(missing, json_pack("{s:s, s:s, s:s}", "key", p[i].key, "name", p[i].name,
								 "capability", p[i].capability));
	json_t *body = json_pack("{s:I, s:s, s:s, s:s, s:o, s:o}", "org_id", (json_int_t)c.org_id, "org_name", c.org_name,
				 "from", c.from, "to", c.to, "items", items, "missing", missing);
	if (c.snap.id)
		json_object_set_new(body, "snapshot", json_pack("{s:i, s:I, s:s}", "year", c.year, "taken_at",
								(json_int_t)c.snap.taken_at, "taken_by", c.snap.taken_by));
	return body;
}

static void emit_row(void *ctx, const struct ind_row *r)
{
	json_array_append_new(ctx, json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)r->id, "label",
					     r->label ? r->label : "", "date", r->date ? r->date : "", "org_name",
					     r->org ? r->org : ""));
}

static void get_rows(struct request *req)
{
	const struct period_in *in = req->in;
	const char *key = req_param(req, "key");
	const struct indicator *ind = indicator_find(key);
	if (!ind) {
		req_fail(req, 404, "not_found", "没有这个指标");
		return;
	}
	struct ctx c;
	if (!scope_of(req, in, &c))
		return;
	if (!ind->rows) {
		req_fail(req, 422, "not_traceable", "这个指标是比率，请查看构成它的指标的明细");
		return;
	}
	json_t *items = json_array();
	enum db_rc rc = ind->rows(req->db, &c.s, in->after, (int)in->limit + 1, emit_row, items);
	if (rc != DB_OK) {
		json_decref(items);
		req_fail_db(req, rc);
		return;
	}
	const char *next = NULL;
	if (json_array_size(items) > (size_t)in->limit) {
		json_array_remove(items, json_array_size(items) - 1);
		json_t *last = json_array_get(items, json_array_size(items) - 1);
		next = arena_printf(req->arena, "%lld", (long long)json_integer_value(json_object_get(last, "id")));
	}
	json_t *body = json_pack("{s:s, s:s, s:o}", "key", ind->key, "name", ind->name, "items", items);
	json_object_set_new(body, "next_after", next ? json_string(next) : json_null());
	req_reply_json(req, 200, body);
}

static void get_export(struct request *req)
{
	struct ctx c;
	if (!scope_of(req, req->in, &c))
		return;
	char *path = roster_tmpfile(req, ".xlsx");
	if (!path)
		return;
	ind_scope_memo(&c.s);
	static const char *const headers[] = {"分类", "指标", "数值", "单位", "口径说明", "封存值"};
	struct xlsx_out *x = xlsx_out_open(path, NULL, "指标", headers, 6);
	if (!x) {
		ind_scope_done(&c.s);
		unlink(path);
		req_fail(req, 500, "internal_error", "无法生成文件");
		return;
	}
	for (size_t i = 0; i < indicator_count(); i++) {
		const struct indicator *ind = indicator_at(i);
		struct ind_value v = {0, 0};
		enum db_rc rc = indicator_value(req->db, ind, &c.s, &v);
		char text[48], frozen[48] = "";
		int64_t fnum, fden;
		if (rc == DB_OK && c.snap.id && report_snapshot_value(req->db, c.snap.id, ind->key, &fnum, &fden) == DB_OK)
			indicator_format(ind, &(struct ind_value){fnum, fden}, frozen, sizeof frozen);
		const char *cells[6] = {ind->group, ind->name, indicator_format(ind, &v, text, sizeof text), ind->unit,
					ind->definition, frozen};
		if (rc != DB_OK || xlsx_out_row(x, cells, 6) != 0) {
			ind_scope_done(&c.s);
			xlsx_out_close(x);
			unlink(path);
			if (rc != DB_OK)
				req_fail_db(req, rc);
			else
				req_fail(req, 500, "internal_error", "无法生成文件");
			return;
		}
	}
	ind_scope_done(&c.s);
	if (xlsx_out_close(x) != 0) {
		unlink(path);
		req_fail(req, 500, "internal_error", "无法生成文件");
		return;
	}
	roster_reply_file(req, path, XLSX_TYPE, arena_printf(req->arena, "%s党建指标_%s至%s.xlsx", c.org_name, c.from, c.to));
}

/* ---- the report ---------------------------------------------------------------------- */

static json_t *problems_json(const struct report_problem *p, int n)
{
	json_t *a = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:i, s:i, s:s, s:s, s:s}", "line", p[i].line, "col", p[i].col, "code",
						   p[i].code, "key", p[i].key, "message", p[i].message));
	return a;
}

/* The figures a template may name: every indicator and the planned ones (missing). */
static json_t *figures_json(void)
{
	json_t *a = json_array();
	for (size_t i = 0; i < indicator_count(); i++) {
		const struct indicator *ind = indicator_at(i);
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:b}", "key", ind->key, "name", ind->name, "unit",
						   ind->unit, "group", ind->group, "available", 1));
	}
	size_t np;
	const struct report_planned *p = report_planned_all(&np);
	for (size_t i = 0; i < np; i++)
		if (!indicator_find(p[i].key))
			json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:b}", "key", p[i].key, "name", p[i].name,
							   "unit", "", "group", p[i].capability, "available", 0));
	return a;
}

static void get_template(struct request *req)
{
	const char *body, *by;
	int64_t at;
	enum db_rc rc = report_template_get(req->db, req->arena, &body, &at, &by);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	struct report_problem p[32];
	int n = report_check(body, p, 32);
	json_t *out = json_pack("{s:s, s:b, s:o, s:o}", "body", body, "default", by == NULL, "problems",
				problems_json(p, n < 32 ? n : 32), "figures", figures_json());
	if (by) {
		json_object_set_new(out, "updated_at", json_integer(at));
		json_object_set_new(out, "updated_by", json_string(by));
	}
	req_reply_json(req, 200, out);
}

struct template_in {
	const char *body;
};
static const struct param template_params[] = {
	{.name = "body", .type = PARAM_T_STR, .flags = PARAM_BODY | PARAM_REQUIRED | PARAM_MULTILINE,
	 .off = offsetof(struct template_in, body), .max = REPORT_MAX_BYTES},
};
static const struct params template_in = PARAMS(struct template_in, template_params);

/* Field errors for each problem, on "body" with its position; false when any. */
static bool template_ok(struct request *req, const char *body)
{
	struct report_problem p[32];
	int n = report_check(body, p, 32);
	for (int i = 0; i < n && i < 32; i++)
		req_field_error(req, "body", p[i].code,
				arena_printf(req->arena, "第 %d 行第 %d 字：%s", p[i].line, p[i].col, p[i].message));
	return n == 0;
}

static void post_check(struct request *req)
{
	const struct template_in *in = req->in;
	struct report_problem p[32];
	int n = report_check(in->body, p, 32);
	req_reply_json(req, 200, json_pack("{s:o}", "problems", problems_json(p, n < 32 ? n : 32)));
}

static void put_template(struct request *req)
{
	const struct template_in *in = req->in;
	if (!template_ok(req, in->body))
		return;
	const char *name = NULL;
	auth_actor(req, "report.manage", &name, NULL, NULL);
	enum db_rc rc = report_template_put(req->db, in->body, clock_now(), name ? name : "");
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	struct audit_event ev = {"report.template_update", "report_template", 1, 0, true, "修改年度报告模板"};
	if (audit_record(req, &ev) != 0)
		return;
	get_template(req);
}

/* The value of a figure in the report: the frozen one for a closed year with a
 * snapshot, with today's beside it when a later correction changed it. */
static const char *report_value(void *vctx, const char *key)
{
	struct ctx *c = vctx;
	struct request *req = c->req;
	if (strcmp(key, "org.name") == 0)
		return c->org_name;
	if (strcmp(key, "period.from") == 0 || strcmp(key, "period.to") == 0) {
		struct date d;
		date_parse(strcmp(key, "period.from") == 0 ? c->from : c->to, &d);
		return arena_printf(req->arena, "%d年%d月%d日", d.y, d.m, d.d);
	}
	if (strcmp(key, "period.year") == 0)
		return arena_printf(req->arena, "%d", c->s.from.y);
	const struct indicator *ind = indicator_find(key);
	if (!ind)
		return NULL;
	struct ind_value v = {0, 0};
	if (indicator_value(req->db, ind, &c->s, &v) != DB_OK)
		return NULL;
	char now[48], frozen[48];
	indicator_format(ind, &v, now, sizeof now);
	int64_t fnum, fden;
	if (c->snap.id && report_snapshot_value(req->db, c->snap.id, key, &fnum, &fden) == DB_OK) {
		indicator_format(ind, &(struct ind_value){fnum, fden}, frozen, sizeof frozen);
		if (strcmp(frozen, now) != 0)
			return arena_printf(req->arena, "%s（现为%s）", frozen, now);
		return arena_strdup(req->arena, frozen);
	}
	return arena_strdup(req->arena, now);
}

static void get_report(struct request *req)
{
	struct ctx c;
	if (!scope_of(req, req->in, &c))
		return;
	const char *body, *by;
	int64_t at;
	enum db_rc rc = report_template_get(req->db, req->arena, &body, &at, &by);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (!template_ok(req, body))
		return; /* nothing rendered half: the editor shows the problems */
	ind_scope_memo(&c.s);
	struct docx *d = docx_new();
	if (!d) {
		ind_scope_done(&c.s);
		req_fail(req, 500, "internal_error", "内存不足");
		return;
	}
	report_render(d, body, report_value, &c);
	/* the appendix: every figure with its definition */
	docx_page_break(d);
	docx_heading(d, "附表：党建工作指标");
	docx_para(d, arena_printf(req->arena, "统计范围：%s；统计期间：%s 至 %s%s", c.org_name, c.from, c.to,
				  c.snap.id ? "；数值为年度封存值，括号内为现值" : ""),
		  DOCX_SMALL);
	static const int widths[4] = {16, 26, 18, 40};
	docx_table(d, 4, widths);
	docx_cell(d, "分类", DOCX_BOLD | DOCX_CENTER);
	docx_cell(d, "指标", DOCX_BOLD | DOCX_CENTER);
	docx_cell(d, "数值", DOCX_BOLD | DOCX_CENTER);
	docx_cell(d, "口径", DOCX_BOLD | DOCX_CENTER);
	for (size_t i = 0; i < indicator_count(); i++) {
		const struct indicator *ind = indicator_at(i);
		const char *v = report_value(&c, ind->key);
		docx_cell(d, ind->group, DOCX_SMALL);
		docx_cell(d, ind->name, DOCX_SMALL);
		docx_cell(d, arena_printf(req->arena, "%s%s", v ? v : "—", ind->ratio ? "" : ind->unit), DOCX_SMALL | DOCX_RIGHT);
		docx_cell(d, ind->definition, DOCX_SMALL);
	}
	docx_table_end(d);
	docx_para(d, arena_printf(req->arena, "本报告由党建服务平台于 %s 根据实时数据生成。", c.s.today.y ? c.to : ""),
		  DOCX_RIGHT | DOCX_SMALL);
	ind_scope_done(&c.s);
	void *bytes;
	size_t len;
	int ok = docx_finish(d, &bytes, &len);
	docx_free(d);
	if (ok != 0) {
		req_fail(req, 500, "internal_error", "无法生成报告");
		return;
	}
	char *copy = arena_alloc(req->arena, len);
	memcpy(copy, bytes, len);
	free(bytes);
	struct audit_event ev = {"report.export", "org", c.org_id, c.org_id, true,
				 arena_printf(req->arena, "生成年度报告 %s 至 %s", c.from, c.to)};
	if (audit_record(req, &ev) != 0)
		return;
	roster_attachment(req, arena_printf(req->arena, "%s党建工作报告_%s至%s.docx", c.org_name, c.from, c.to));
	req_reply_raw(req, 200, DOCX_CONTENT_TYPE, copy, len);
}

/* ---- snapshots ----------------------------------------------------------------------- */

struct snapshot_in {
	int64_t org_id, year;
};
static const struct param snapshot_params[] = {
	{.name = "org_id", .type = PARAM_T_ID, .flags = PARAM_BODY | PARAM_REQUIRED, .off = offsetof(struct snapshot_in, org_id),
	 .message = "党组织编号无效"},
	{.name = "year", .type = PARAM_T_INT, .flags = PARAM_BODY | PARAM_REQUIRED, .off = offsetof(struct snapshot_in, year),
	 .min = 2000, .max = 2100, .def = 2000},
};
static const struct params snapshot_in = PARAMS(struct snapshot_in, snapshot_params);

static void post_snapshot(struct request *req)
{
	const struct snapshot_in *in = req->in;
	struct date today = roster_today();
	if (in->year >= today.y) {
		req_field_error(req, "year", "year_open", "只能封存已经结束的年度");
		return;
	}
	char from[11], to[11];
	snprintf(from, sizeof from, "%04d-01-01", (int)in->year);
	snprintf(to, sizeof to, "%04d-12-31", (int)in->year);
	struct period_in p = {in->org_id, from, to, 0, 50};
	struct ctx c;
	if (!scope_of(req, &p, &c))
		return;
	if (!roster_org_in_scope(req, in->org_id, "report.manage", &(struct org_rec){0}))
		return;
	if (c.snap.id) {
		req_fail(req, 409, "snapshot_exists", "该年度的指标已经封存");
		return;
	}
	const char *name = NULL;
	auth_actor(req, "report.manage", &name, NULL, NULL);
	int64_t id = 0;
	enum db_rc rc = report_snapshot_create(req->db, in->org_id, (int)in->year, clock_now(), name ? name : "", &id);
	if (rc == DB_CONSTRAINT) {
		req_fail(req, 409, "snapshot_exists", "该年度的指标已经封存");
		return;
	}
	ind_scope_memo(&c.s);
	for (size_t i = 0; rc == DB_OK && i < indicator_count(); i++) {
		const struct indicator *ind = indicator_at(i);
		struct ind_value v = {0, 0};
		rc = indicator_value(req->db, ind, &c.s, &v);
		if (rc == DB_OK)
			rc = report_snapshot_put(req->db, id, ind->key, v.num, v.den);
	}
	ind_scope_done(&c.s);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	struct audit_event ev = {"indicator.snapshot", "org", in->org_id, in->org_id, true,
				 arena_printf(req->arena, "封存 %d 年度指标", (int)in->year)};
	if (audit_record(req, &ev) != 0)
		return;
	req_reply_json(req, 201, json_pack("{s:I, s:I, s:I, s:I}", "id", (json_int_t)id, "org_id", (json_int_t)in->org_id,
					   "year", (json_int_t)in->year, "taken_at", (json_int_t)clock_now()));
}

static const struct route indicators_routes[] = {
	{"GET", "/api/v1/indicators", get_indicators, "stats.read", RF_TX_READ | RF_REPLICA, 0,
	 "the report's figures for a subtree and period", &period_in},
	{"GET", "/api/v1/indicators/export", get_export, "stats.read", RF_TX_READ | RF_REPLICA, 0,
	 "the figures as .xlsx", &period_in},
	{"GET", "/api/v1/indicators/{key}/rows", get_rows, "stats.read", RF_TX_READ | RF_REPLICA, 0,
	 "the records behind one figure (masked, in scope)", &period_in},
	{"POST", "/api/v1/indicators/snapshots", post_snapshot, "report.manage", RF_TX_WRITE, 0,
	 "freeze a closed year's figures", &snapshot_in},
	{"GET", "/api/v1/report/template", get_template, "stats.read", RF_TX_READ, 0, "the yearly report's template", NULL},
	{"PUT", "/api/v1/report/template", put_template, "report.manage", RF_TX_WRITE, 0,
	 "save the yearly report's template", &template_in},
	{"POST", "/api/v1/report/check", post_check, "stats.read", 0, 0, "check a template's figures and braces",
	 &template_in},
	{"GET", "/api/v1/report", get_report, "stats.read", RF_TX_READ | RF_REPLICA, 0,
	 "the yearly report as .docx", &period_in},
};
ROUTE_TABLE(indicators);
