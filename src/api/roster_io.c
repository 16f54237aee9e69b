/* roster_io.c: the roster's files and long work: POST /members/import (a job with
 * progress; .xlsx or .csv in UTF-8 or GBK; dry run; all-or-nothing or good rows only),
 * the import template, GET /members/export (xlsx in libxlsxwriter's constant-memory
 * mode, or CSV; masked unless pii.export and a purpose; audited with its row count,
 * SECURITY.md S14) and GET /jobs/{id}. */
#include "api/member_filter.h"
#include "http/params.h"
#include "api/roster_util.h"
#include "auth/auth.h"
#include "auth/scope.h"
#include "auth/session.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/sheet_write.h"
#include "jobs/jobs.h"
#include "model/audit.h"
#include "model/codes.h"
#include "model/import.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMPORT_CAP (64u << 20)
#define XLSX_TYPE "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

struct import_job {
	char *data;
	size_t len;
	struct import_opts o;
	struct job *job;
	int64_t owner, org_id;
	char actor[64], ip[64], today[11];
};

static void import_job_free(void *p)
{
	struct import_job *ij = p;
	req_body_free(ij->data, ij->len);
	free(ij);
}

static void import_progress(void *ctx, int pct)
{
	jobs_progress(ctx, pct);
}

static int import_audit(void *ctx, struct db *db, int64_t imported, int64_t bad)
{
	struct import_job *ij = ctx;
	char summary[160];
	snprintf(summary, sizeof summary, "导入党员 %lld 人（有误 %lld 行%s）", (long long)imported, (long long)bad,
		 ij->o.good_only ? "，仅导入正确行" : "");
	struct audit_event ev = {"member.import", "org", ij->org_id, ij->org_id, true, summary};
	return audit_record_as(db, ij->owner, ij->actor, ij->ip, &ev);
}

static json_t *run_import(struct job *j, struct db *db, void *arg, char *why, size_t whylen)
{
	struct import_job *ij = arg;
	ij->o.progress = import_progress;
	ij->o.progress_ctx = j;
	ij->o.before_commit = import_audit;
	ij->o.commit_ctx = ij;
	ij->o.today = ij->today;
	ij->o.now = clock_now();
	enum db_rc rc;
	json_t *res = import_members(db, ij->data, ij->len, &ij->o, &rc, why, whylen);
	if (!res && rc == DB_BUSY)
		snprintf(why, whylen, "数据库繁忙，请稍后重新导入");
	else if (!res && rc != DB_OK && !why[0])
		snprintf(why, whylen, "导入失败（存储错误）");
	return res;
}

static void post_import(struct request *req)
{
	const char *v = req_query(req, "org_id");
	int64_t org_id = v ? strtoll(v, NULL, 10) : 0;
	struct org_rec o;
	if (!roster_org_in_scope(req, org_id, "member.import", &o))
		return;
	if (!scope_allows(req, "member.write", o.path)) {
		req_fail(req, 404, "not_found", "党组织不存在");
		return;
	}
	if (req->body_len == 0) {
		req_field_error(req, "body", "required", "请上传 .xlsx 或 .csv 文件");
		return;
	}
	const char *fmt = req_query(req, "format");
	enum import_format format;
	if (fmt && strcmp(fmt, "xlsx") == 0)
		format = IMPORT_XLSX;
	else if (fmt && strcmp(fmt, "csv") == 0)
		format = IMPORT_CSV;
	else if (fmt && *fmt) {
		req_field_error(req, "format", "invalid_choice", "应为 xlsx 或 csv");
		return;
	} else /* sniff: an xlsx is a zip */
		format = req->body_len >= 4 && memcmp(req->body, "PK\3\4", 4) == 0 ? IMPORT_XLSX : IMPORT_CSV;
	const char *mode = req_query(req, "mode");
	if (mode && *mode && strcmp(mode, "all") != 0 && strcmp(mode, "good_only") != 0) {
		req_field_error(req, "mode", "invalid_choice", "应为 all 或 good_only");
		return;
	}
	struct import_job *ij = calloc(1, sizeof *ij);
	if (!ij) {
		req_fail(req, 500, "internal_error", "内存不足");
		return;
	}
	ij->data = req_body_take(req, &ij->len); /* the job outlives the request */
	ij->o.format = format;
	ij->o.org_id = o.id;
	ij->o.dry_run = roster_query_flag(req, "dry_run");
	ij->o.good_only = mode && strcmp(mode, "good_only") == 0;
	ij->owner = auth_user_id(req);
	ij->org_id = o.id;
	const char *actor = NULL;
	auth_actor(req, "member.import", &actor, NULL, NULL);
	snprintf(ij->actor, sizeof ij->actor, "%s", actor ? actor : "");
	snprintf(ij->ip, sizeof ij->ip, "%s", req->ip ? req->ip : "");
	clock_today(ij->today);

	enum db_rc rc = db_tx_begin(req->db, true);
	int64_t id = 0;
	if (rc == DB_OK) {
		json_t *params = json_pack("{s:I, s:s, s:b, s:b, s:I}", "org_id", (json_int_t)o.id, "format",
					   format == IMPORT_XLSX ? "xlsx" : "csv", "dry_run", ij->o.dry_run, "good_only",
					   ij->o.good_only, "bytes", (json_int_t)ij->len);
		char *pt = json_dumps(params, JSON_COMPACT);
		json_decref(params);
		id = jobs_create(req->db, "member.import", ij->owner, o.id, pt, &rc);
		free(pt);
		rc = rc == DB_OK ? db_tx_commit(req->db) : rc;
		if (rc != DB_OK)
			db_tx_rollback(req->db);
	}
	if (rc != DB_OK) {
		import_job_free(ij);
		req_fail_db(req, rc);
		return;
	}
	if (jobs_start(id, run_import, ij, import_job_free) != 0) {
		jobs_fail(req->db, id, "后台任务无法启动，请稍后重新提交");
		req_fail(req, 503, "jobs_unavailable", "后台任务暂不可用，请稍后重试");
		req->err.retry_after = 5;
		return;
	}
	int64_t owner, org;
	json_t *job = jobs_get(req->db, id, &owner, &org, &rc);
	if (!job) {
		req_fail_db(req, rc);
		return;
	}
	req_add_header(req, "Location", arena_printf(req->arena, "/api/v1/jobs/%lld", (long long)id));
	req_reply_json(req, 202, job);
}

static void get_job(struct request *req)
{
	int64_t id = req_param_id(req, "id");
	if (req_failed(req))
		return;
	int64_t owner, org;
	enum db_rc rc;
	json_t *job = jobs_get(req->db, id, &owner, &org, &rc);
	if (!job || owner != auth_user_id(req)) {
		json_decref(job);
		if (job || rc == DB_DONE)
			req_fail(req, 404, "not_found", "任务不存在");
		else
			req_fail_db(req, rc);
		return;
	}
	req_reply_json(req, 200, job);
}

static void get_template(struct request *req)
{
	char *path = roster_tmpfile(req, ".xlsx");
	if (!path)
		return;
	if (import_template_xlsx(path, NULL) != 0) {
		remove(path);
		req_fail(req, 500, "internal_error", "无法生成导入模板");
		return;
	}
	roster_reply_file(req, path, XLSX_TYPE, "党员信息导入模板.xlsx");
}

/* One member as the template's columns (names, not codes, so that a person can read
 * it and the importer can read it back). */
static void export_cells(struct arena *a, const struct member_rec *r, bool reveal, const char **c)
{
	/* masked: the forms stored at write time (0052), no ciphertext opened */
	const char *id = reveal ? r->id_number : r->id_masked, *m = reveal ? r->mobile : r->mobile_masked;
	if (!id)
		id = "";
	if (!m)
		m = "";
	const char *intro = NULL;
	if (r->introducers_json) {
		json_t *arr = json_loads(r->introducers_json, 0, NULL);
		size_t i;
		json_t *e;
		char *acc = NULL;
		json_array_foreach(arr, i, e) acc = acc ? arena_printf(a, "%s、%s", acc, json_string_value(e))
						     : arena_strdup(a, json_string_value(e));
		json_decref(arr);
		intro = acc;
	}
	const char *vals[] = {
		r->name, r->former_name, codes_name("sex", r->sex), id, codes_name("ethnicity", r->ethnicity),
		r->native_place, m, r->address, codes_name("education", r->education), r->degree, r->work_unit,
		r->unit_type, r->post, codes_name("person_category", r->category),
		codes_name("party_status", r->party_status), codes_name("member_state", r->state), r->party_post,
		r->joined_on, r->confirmed_on, intro,
		r->dues_base >= 0 ? arena_printf(a, "%lld.%02lld", (long long)(r->dues_base / 100), (long long)(r->dues_base % 100)) : NULL,
		r->dues_paid_to,
	};
	for (size_t i = 0; i < import_nheaders; i++)
		c[i] = vals[i];
}

struct export_in {
	struct member_filter_in f;
	const char *format, *purpose;
	int reveal;
};
static const char *const export_formats[] = {"xlsx", "csv", NULL};
static const struct param export_params[] = {
	MEMBER_FILTER_PARAMS(struct export_in),
	PARAM_ENUM(struct export_in, format, export_formats, "应为 xlsx 或 csv"),
	PARAM_STR(struct export_in, purpose, 200),
	PARAM_BOOL(struct export_in, reveal),
};
static const struct params export_in = PARAMS(struct export_in, export_params);

static void get_export(struct request *req)
{
	const struct export_in *in = req->in;
	struct member_list_query q;
	if (!member_filter_build(req, "member.export", &in->f, &q))
		return;
	q.f.no_org_name = true; /* export_cells has no organization column */
	bool csv = in->format && strcmp(in->format, "csv") == 0;
	bool reveal = in->reveal == 1;
	q.f.decrypt = reveal; /* checked below before any row is read */
	const char *purpose = in->purpose;
	if (reveal) {
		for (size_t i = 0; i < q.nranges; i++)
			if (!scope_allows(req, "pii.export", q.prefix[i])) {
				req_fail(req, 403, "forbidden", "没有导出完整个人信息的权限");
				return;
			}
		if (!purpose || strlen(purpose) < 2 || strlen(purpose) > 200) {
			req_field_error(req, "purpose", "required", "导出完整个人信息须填写用途");
			return;
		}
	}
	char *path = roster_tmpfile(req, csv ? ".csv" : ".xlsx");
	if (!path)
		return;
	FILE *out = NULL;
	struct xlsx_out *x = NULL;
	if (csv) {
		out = fopen(path, "w");
		if (out)
			fputs(SHEET_CSV_BOM, out);
	} else {
		x = xlsx_out_open(path, NULL, "党员名册", import_headers, import_nheaders);
	}
	if (!out && !x) {
		remove(path);
		req_fail(req, 500, "internal_error", "无法生成导出文件");
		return;
	}
	if (csv)
		csv_out_row(out, import_headers, import_nheaders);
	int64_t rows = 0;
	enum db_rc rc = db_tx_begin(req->db, false); /* one consistent snapshot */
	char key[256] = "";
	int64_t cid = 0;
	while (rc == DB_OK) {
		struct arena *a = arena_new();
		struct member_row *page;
		size_t n;
		rc = member_filter_page(req, a, &q, key, cid, 1000, &page, &n, NULL);
		size_t use = n > 1000 ? 1000 : n;
		for (size_t i = 0; rc == DB_OK && i < use; i++) {
			const char *cells[32];
			export_cells(a, &page[i].r, reveal, cells);
			if (csv)
				csv_out_row(out, cells, import_nheaders);
			else if (xlsx_out_row(x, cells, import_nheaders) != 0)
				rc = DB_ERROR;
			rows++;
		}
		bool more = rc == DB_OK && n > 1000;
		if (more) {
			snprintf(key, sizeof key, "%s", page[use - 1].key ? page[use - 1].key : "");
			cid = page[use - 1].id;
		}
		arena_free(a);
		if (!more)
			break;
	}
	if (db_in_tx(req->db))
		db_tx_rollback(req->db); /* read-only: nothing to keep */
	int closed = csv ? fclose(out) : xlsx_out_close(x);
	if (rc != DB_OK || closed != 0) {
		remove(path);
		if (rc != DB_OK)
			req_fail_db(req, rc);
		else
			req_fail(req, 500, "internal_error", "无法生成导出文件");
		return;
	}
	/* S14: the export and its row count are audited before the file leaves */
	rc = db_tx_begin(req->db, true);
	if (rc == DB_OK) {
		struct audit_event ev = {
			"member.export", "member", 0, q.nranges == 1 ? 0 : 0, true,
			arena_printf(req->arena, "rows=%lld format=%s masked=%d%s%s", (long long)rows, csv ? "csv" : "xlsx",
				     !reveal, reveal ? " purpose=" : "", reveal ? purpose : "")};
		if (audit_record(req, &ev) != 0) {
			db_tx_rollback(req->db);
			remove(path);
			return;
		}
		rc = db_tx_commit(req->db);
		if (rc != DB_OK)
			db_tx_rollback(req->db);
	}
	if (rc != DB_OK) {
		remove(path);
		req_fail_db(req, rc);
		return;
	}
	req_add_header(req, "X-Row-Count", arena_printf(req->arena, "%lld", (long long)rows));
	roster_reply_file(req, path, csv ? "text/csv; charset=utf-8" : XLSX_TYPE, csv ? "党员名册.csv" : "党员名册.xlsx");
}

static const struct route roster_io_routes[] = {
	{"POST", "/api/v1/members/import", post_import, "member.import", RF_RAW_BODY, IMPORT_CAP,
	 "import members from .xlsx/.csv as a job"},
	{"GET", "/api/v1/members/import/template.xlsx", get_template, "member.import", 0, 0, "the import template"},
	{"GET", "/api/v1/members/export", get_export, "member.export", 0, 0, "export members (xlsx/csv), audited",
	 &export_in},
	{"GET", "/api/v1/jobs/{id}", get_job, PERM_SESSION, RF_TX_READ, 0, "a job of the caller, with progress"},
};
ROUTE_TABLE(roster_io);
