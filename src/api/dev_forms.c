/* dev_forms.c: the paper forms of 发展党员 that branches print and sign (issue 13 #8),
 * generated as DOCX (core/docx.h) from the recorded steps: 发展对象公示, 拟接收预备党员
 * 公示 or 转正公示, 支部大会决议, and 发展党员工作登记表 with every step. A form whose step
 * is not recorded yet answers 409 saying which step. ID numbers appear masked; each
 * form generated is audited. */
#include "api/roster_util.h"
#include "auth/audit.h"
#include "auth/scope.h"
#include "core/arena.h"
#include "core/docx.h"
#include "http/params.h"
#include "model/dev.h"
#include <stdlib.h>
#include <string.h>

static const char *sex_name(const char *s)
{
	return s && strcmp(s, "2") == 0 ? "女" : "男";
}

static const char *ym(struct arena *a, const char *date)
{
	return date && strlen(date) >= 7 ? arena_printf(a, "%.4s年%.2s月", date, date + 5) : "";
}

static const char *cn_date(struct arena *a, const char *date)
{
	struct date d;
	if (!date || !date_parse(date, &d))
		return "    年  月  日";
	return arena_printf(a, "%d年%d月%d日", d.y, d.m, d.d);
}

/* The current (not returned) row of step, or NULL; its data parsed into *data (decref). */
static const struct dev_step_row *step_row(struct dev_step_row *rows, size_t n, int step, json_t **data)
{
	const struct dev_step_row *r = NULL;
	for (size_t i = 0; i < n; i++)
		if (rows[i].step == step && !rows[i].returned)
			r = &rows[i];
	if (data)
		*data = r && r->data ? json_loads(r->data, 0, NULL) : NULL;
	return r;
}

static const char *jstr(json_t *o, const char *path1, const char *key)
{
	json_t *x = path1 ? json_object_get(o, path1) : o;
	const char *v = json_string_value(json_object_get(x, key));
	return v ? v : "";
}

static long long jint(json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(json_object_get(o, "vote"), key));
}

static const char *introducer_names(struct arena *a, struct dev_step_row *rows, size_t n)
{
	json_t *d = NULL;
	step_row(rows, n, 9, &d);
	const char *out = "";
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(d, "introducers"), i, p) out =
		arena_printf(a, "%s%s%s", out, i ? "、" : "", jstr(p, NULL, "name"));
	json_decref(d);
	return out;
}

static void person_table(struct docx *d, struct arena *ar, const struct dev_applicant *a, const char *dates[],
			 const char *extra_head, const char *extra)
{
	static const int w[] = {12, 8, 14, 10, 26, 15, 15};
	docx_table(d, extra_head ? 7 : 6, w);
	const char *head[] = {"姓名", "性别", "出生年月", "学历", "工作单位", "申请入党时间", extra_head};
	for (int i = 0; i < (extra_head ? 7 : 6); i++)
		docx_cell(d, head[i], DOCX_BOLD | DOCX_CENTER | DOCX_SMALL);
	docx_cell(d, a->name, DOCX_CENTER | DOCX_SMALL);
	docx_cell(d, sex_name(a->sex), DOCX_CENTER | DOCX_SMALL);
	docx_cell(d, ym(ar, a->birth_date), DOCX_CENTER | DOCX_SMALL);
	docx_cell(d, a->education ? a->education : "", DOCX_CENTER | DOCX_SMALL);
	docx_cell(d, a->work_unit ? a->work_unit : "", DOCX_SMALL);
	docx_cell(d, ym(ar, dates[1]), DOCX_CENTER | DOCX_SMALL);
	if (extra_head)
		docx_cell(d, extra, DOCX_CENTER | DOCX_SMALL);
	docx_table_end(d);
}

static void signature(struct docx *d, struct arena *ar, const struct dev_applicant *a, const char *date)
{
	docx_para(d, "", 0);
	docx_para(d, arena_printf(ar, "中共%s", a->org_name), DOCX_RIGHT);
	docx_para(d, cn_date(ar, date), DOCX_RIGHT);
}

/* Writes form into d; false with a 409 when its step is not recorded. */
static bool write_form(struct request *req, struct docx *d, const char *form, const struct dev_applicant *a,
		       struct dev_step_row *rows, size_t n, const char *dates[])
{
	struct arena *ar = req->arena;
	json_t *data = NULL;
	if (strcmp(form, "candidate_notice") == 0) {
		if (!step_row(rows, n, 7, &data)) {
			req_fail(req, 409, "step_missing", "尚未确定发展对象（第7步），不能生成发展对象公示");
			return false;
		}
		docx_title(d, "关于拟确定发展对象的公示");
		docx_para(d,
			  arena_printf(ar,
				       "经党支部委员会研究，拟确定以下同志为发展对象，现予以公示。公示期自%s至%s，共%lld个工作日。"
				       "公示期间，党员和群众可以通过来电、来信、来访等方式向党支部反映情况。",
				       cn_date(ar, jstr(data, "publicity", "start")), cn_date(ar, jstr(data, "publicity", "end")),
				       (long long)json_integer_value(json_object_get(json_object_get(data, "publicity"), "workdays"))),
			  DOCX_INDENT);
		person_table(d, ar, a, dates, "确定为积极分子时间", ym(ar, dates[3]));
		signature(d, ar, a, jstr(data, "publicity", "start"));
	} else if (strcmp(form, "probationary_notice") == 0) {
		bool confirm = a->last_step >= 23 && step_row(rows, n, 23, &data) && strcmp(jstr(data, NULL, "decision"), "confirm") == 0;
		if (!confirm && a->last_step < 13) {
			req_fail(req, 409, "step_missing", "尚未经上级党委预审（第13步），不能生成预备党员公示");
			return false;
		}
		docx_title(d, confirm ? "关于预备党员拟转为正式党员的公示" : "关于拟接收预备党员的公示");
		const char *start = confirm ? jstr(data, "publicity", "start") : "", *end = confirm ? jstr(data, "publicity", "end") : "";
		docx_para(d,
			  arena_printf(ar,
				       confirm ? "%s同志预备期将于%s届满，经党支部研究，拟提交支部党员大会讨论其转为正式党员，现予以公示。公示期自%s至%s。"
					       : "%s同志经党组织培养考察、政治审查和上级党委预审，拟提交支部党员大会讨论接收为中共预备党员，现予以公示。公示期自%s至%s。",
				       a->name, confirm ? cn_date(ar, a->probation_end) : cn_date(ar, start),
				       confirm ? cn_date(ar, start) : cn_date(ar, end), confirm ? cn_date(ar, end) : ""),
			  DOCX_INDENT);
		docx_para(d, "公示期间，党员和群众可以通过来电、来信、来访等方式向党支部反映情况。", DOCX_INDENT);
		person_table(d, ar, a, dates, "入党介绍人", introducer_names(ar, rows, n));
		signature(d, ar, a, start);
	} else if (strcmp(form, "branch_resolution") == 0) {
		if (!step_row(rows, n, 15, &data)) {
			req_fail(req, 409, "step_missing", "支部党员大会尚未讨论（第15步），不能生成决议");
			return false;
		}
		docx_title(d, "支部党员大会决议");
		struct date d15;
		date_parse(dates[15], &d15);
		docx_para(d,
			  arena_printf(ar,
				       "%s，中共%s召开支部党员大会，讨论%s同志的入党申请。%s同志的入党介绍人为%s。"
				       "支部应到会有表决权的正式党员%lld名，实到会%lld名，因故缺席提交书面意见%lld名。",
				       cn_date(ar, dates[15]), a->org_name, a->name, a->name, introducer_names(ar, rows, n),
				       jint(data, "due"), jint(data, "present"), jint(data, "absent_written")),
			  DOCX_INDENT);
		docx_para(d,
			  arena_printf(ar,
				       "经无记名投票表决，赞成%lld票，反对%lld票，弃权%lld票。赞成票超过应到会有表决权正式党员的半数，"
				       "同意接收%s同志为中共预备党员，预备期一年，自%s起至%s止，报上级党委审批。",
				       jint(data, "yes"), jint(data, "no"), jint(data, "abstain"), a->name, cn_date(ar, dates[15]),
				       cn_date(ar, a->probation_end)),
			  DOCX_INDENT);
		docx_para(d, "", 0);
		docx_para(d, "支部书记（签名）：", DOCX_RIGHT | DOCX_UNDERLINE);
		signature(d, ar, a, dates[15]);
	} else if (strcmp(form, "register") == 0) {
		docx_title(d, "发展党员工作登记表");
		static const int w1[] = {16, 34, 16, 34};
		docx_table(d, 4, w1);
		const char *kv[][2] = {
			{"姓名", a->name}, {"性别", sex_name(a->sex)}, {"出生日期", a->birth_date}, {"身份证号码", a->id_masked},
			{"民族", a->ethnicity}, {"学历", a->education ? a->education : ""},
			{"工作单位", a->work_unit ? a->work_unit : ""}, {"所在党组织", a->org_name},
			{"当前阶段", dev_stage_name(dev_step_def(a->last_step) ? dev_step_def(a->last_step)->stage : 1)},
			{"入党介绍人", introducer_names(ar, rows, n)},
		};
		for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++) {
			docx_cell(d, kv[i][0], DOCX_BOLD | DOCX_SMALL);
			docx_cell(d, kv[i][1] ? kv[i][1] : "", DOCX_SMALL);
		}
		docx_table_end(d);
		docx_heading(d, "发展党员全程纪实");
		static const int w2[] = {7, 27, 15, 22, 29};
		docx_table(d, 5, w2);
		const char *head[] = {"序号", "步骤", "日期", "决定机关/办理人", "情况"};
		for (int i = 0; i < 5; i++)
			docx_cell(d, head[i], DOCX_BOLD | DOCX_CENTER | DOCX_SMALL);
		for (int s = 1; s <= DEV_STEPS; s++) {
			const struct dev_step_def *def = dev_step_def(s);
			json_t *sd = NULL;
			const struct dev_step_row *r = step_row(rows, n, s, &sd);
			const char *what = "";
			if (sd && json_object_get(sd, "vote"))
				what = arena_printf(ar, "应到%lld 实到%lld 赞成%lld", jint(sd, "due"), jint(sd, "present"), jint(sd, "yes"));
			else if (sd && json_object_get(sd, "publicity"))
				what = arena_printf(ar, "公示 %s 至 %s", jstr(sd, "publicity", "start"), jstr(sd, "publicity", "end"));
			else if (r && r->notes)
				what = r->notes;
			docx_cell(d, arena_printf(ar, "%d", s), DOCX_CENTER | DOCX_SMALL);
			docx_cell(d, def->name, DOCX_SMALL);
			docx_cell(d, r ? r->done_on : "", DOCX_CENTER | DOCX_SMALL);
			docx_cell(d, r ? arena_printf(ar, "%s %s", r->body, r->actor_name) : "", DOCX_SMALL);
			docx_cell(d, what, DOCX_SMALL);
			json_decref(sd);
		}
		docx_table_end(d);
		for (size_t i = 0; i < n; i++)
			if (rows[i].returned)
				docx_para(d,
					  arena_printf(ar, "第%d步（%s，%s）曾退回修改：%s", rows[i].step, dev_step_def(rows[i].step)->name,
						       rows[i].done_on, rows[i].return_reason ? rows[i].return_reason : ""),
					  DOCX_SMALL);
		signature(d, ar, a, NULL);
	} else if (strcmp(form, "application_extract") == 0) {
		/* 入党志愿书摘要: what the booklet's pages record, from the steps (the
		 * applicant's own handwriting stays on paper) */
		if (!step_row(rows, n, 15, &data)) {
			req_fail(req, 409, "step_missing", "支部党员大会尚未讨论（第15步），入党志愿书尚无可摘录的内容");
			return false;
		}
		docx_title(d, "入党志愿书（摘要）");
		static const int w[] = {20, 30, 20, 30};
		docx_table(d, 4, w);
		const char *kv[][2] = {
			{"姓名", a->name}, {"性别", sex_name(a->sex)}, {"出生年月", ym(ar, a->birth_date)}, {"民族", a->ethnicity},
			{"学历", a->education ? a->education : ""}, {"工作单位", a->work_unit ? a->work_unit : ""},
			{"申请入党时间", cn_date(ar, dates[1])}, {"确定为积极分子时间", cn_date(ar, dates[3])},
			{"确定为发展对象时间", cn_date(ar, dates[7])}, {"入党介绍人", introducer_names(ar, rows, n)},
		};
		for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++) {
			docx_cell(d, kv[i][0], DOCX_BOLD | DOCX_SMALL);
			docx_cell(d, kv[i][1] ? kv[i][1] : "", DOCX_SMALL);
		}
		docx_cell(d, "所在党支部", DOCX_BOLD | DOCX_SMALL);
		docx_cell(d, a->org_name, DOCX_SMALL | DOCX_SPAN(3));
		docx_table_end(d);
		docx_heading(d, "支部大会决议");
		docx_para(d,
			  arena_printf(ar,
				       "%s，支部党员大会讨论%s同志的入党申请，应到会有表决权的正式党员%lld名，实到会%lld名，"
				       "赞成%lld票，反对%lld票，弃权%lld票，同意接收为中共预备党员，预备期自%s起至%s止。",
				       cn_date(ar, dates[15]), a->name, jint(data, "due"), jint(data, "present"), jint(data, "yes"),
				       jint(data, "no"), jint(data, "abstain"), cn_date(ar, dates[15]), cn_date(ar, a->probation_end)),
			  DOCX_INDENT);
		json_t *d16 = NULL, *d17 = NULL;
		const struct dev_step_row *talk = step_row(rows, n, 16, &d16), *appr = step_row(rows, n, 17, &d17);
		docx_heading(d, "上级党组织意见");
		docx_para(d,
			  talk ? arena_printf(ar, "%s，%s派人同%s同志谈话。", cn_date(ar, talk->done_on), talk->body, a->name)
			       : "上级党组织尚未派人谈话。",
			  DOCX_INDENT);
		docx_para(d,
			  appr ? arena_printf(ar, "%s，%s审批同意接收%s同志为中共预备党员。", cn_date(ar, appr->done_on), appr->body, a->name)
			       : "上级党委尚未审批。",
			  DOCX_INDENT);
		json_decref(d16);
		json_decref(d17);
		signature(d, ar, a, appr ? appr->done_on : dates[15]);
	} else {
		req_fail(req, 404, "not_found", "没有这种文书");
		return false;
	}
	json_decref(data);
	return true;
}

static void get_form(struct request *req)
{
	int64_t id = req_param_id(req, "id");
	const char *form = req_param(req, "form");
	if (req_failed(req))
		return;
	struct dev_applicant a;
	enum db_rc rc = dev_load(req->db, req->arena, id, &a);
	if (!roster_found(req, rc, rc == DB_OK && scope_allows(req, "dev.read", a.org_path), "发展对象不存在"))
		return;
	struct dev_step_row *rows = NULL;
	size_t n = 0;
	const char *dates[DEV_STEPS + 1];
	rc = dev_steps(req->db, req->arena, a.id, &rows, &n, dates);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	struct docx *d = docx_new();
	if (!d) {
		req_fail(req, 500, "internal_error", "无法生成文书");
		return;
	}
	if (!write_form(req, d, form, &a, rows, n, dates)) {
		docx_free(d);
		return;
	}
	void *bytes;
	size_t len;
	int ok = docx_finish(d, &bytes, &len);
	docx_free(d);
	if (ok != 0) {
		req_fail(req, 500, "internal_error", "无法生成文书");
		return;
	}
	char *copy = arena_alloc(req->arena, len);
	memcpy(copy, bytes, len);
	free(bytes);
	struct audit_event ev = {"dev.form", "dev_applicant", a.id, a.org_id, true,
				 arena_printf(req->arena, "生成文书 %s", form)};
	if (audit_record(req, &ev) != 0)
		return;
	roster_attachment(req, arena_printf(req->arena, "%s_%s.docx", a.name, form));
	req_reply_raw(req, 200, DOCX_CONTENT_TYPE, copy, len);
}

static const struct route dev_forms_routes[] = {
	{"GET", "/api/v1/development/applicants/{id}/forms/{form}", get_form, "dev.read", RF_TX_WRITE, 0,
	 "a paper form as DOCX: candidate_notice, probationary_notice, branch_resolution, register"},
};
ROUTE_TABLE(dev_forms);
