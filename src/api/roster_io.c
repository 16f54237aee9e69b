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
#include "model/member.h"
#include "model/org.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#define IMPORT_CAP (64u << 20)
#define XLSX_TYPE "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

/* An accepted import: the uploaded file, taken over from the request (a large one is the
 * unlinked temporary file the server spooled it to, mapped, so that queued imports cost
 * disk, not memory), and who asked, for the audit rows. */
struct import_job {
	char *data; /* the upload, taken from the request (req_body_take) */
	size_t len;
	struct import_opts o;
	int64_t id, owner, org_id;
	char **scope; /* malloc'd copies of the caller's member.read roots */
	size_t nscope;
	char *org_path;
	char actor[64], ip[64], today[11];
	bool started;     /* handed to the worker, which frees it */
};

static void import_job_free(void *p)
{
	struct import_job *ij = p;
	req_body_free(ij->data, ij->len);
	for (size_t i = 0; i < ij->nscope; i++)
		free(ij->scope[i]);
	free(ij->scope);
	free(ij->org_path);
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
	const struct audit_actor who = {.user_id = ij->owner, .name = ij->actor, .ip = ij->ip};
	return audit_write(db, &who, &ev) == DB_OK ? 0 : -1;
}

/* S20: one audit row per person outside the caller's scope the file met (they count
 * toward the caller's dup_probe_limit like a create's). */
static int import_foreign(void *ctx, struct db *db, int64_t n)
{
	struct import_job *ij = ctx;
	struct audit_event ev = {MEMBER_DUP_OUT_OF_SCOPE, "org", ij->org_id, ij->org_id, false,
				 "导入文件中的身份证号码属于管辖范围以外的党员"};
	const struct audit_actor who = {.user_id = ij->owner, .name = ij->actor, .ip = ij->ip};
	for (int64_t i = 0; i < n; i++)
		if (audit_write(db, &who, &ev) != DB_OK)
			return -1;
	return 0;
}

static enum db_rc import_finish(struct db *db, void *ctx, int64_t job_id, const char *result)
{
	(void)ctx;
	return jobs_mark_done(db, job_id, result);
}

static enum db_rc import_hold(struct db *db, void *ctx, int64_t job_id)
{
	(void)ctx;
	return jobs_hold(db, job_id);
}

static json_t *run_import(struct job *j, struct db *db, void *arg, char *why, size_t whylen)
{
	struct import_job *ij = arg;
	ij->o.job_id = jobs_id(j);
	ij->o.progress = import_progress;
	ij->o.progress_ctx = j;
	ij->o.before_commit = import_audit;
	ij->o.on_foreign = import_foreign;
	ij->o.commit_ctx = ij;
	ij->o.finish = import_finish;
	ij->o.hold = import_hold; /* another server may take the job over (jobs.h) */
	ij->o.today = ij->today;
	ij->o.now = clock_now();
	enum db_rc rc;
	json_t *res = import_members(db, ij->data, ij->len, &ij->o, &rc, why, whylen);
	if (!res && rc == DB_BUSY)
		snprintf(why, whylen, "数据库繁忙，请稍后重新导入");
	else if (!res && rc == DB_FULL)
		snprintf(why, whylen, "存储空间不足，导入未完成，请联系管理员");
	else if (!res && rc != DB_OK && !why[0])
		snprintf(why, whylen, "导入失败（存储错误）");
	return res;
}

/* What a failed request leaves to do (req_on_failure, in order): the job's copy goes
 * unless the worker has it; a job recorded already is marked failed. */
struct import_slot {
	struct import_job *ij;
	int64_t id;
	const char *why; /* set once the job's row has committed and the request then fails */
};

/* The job's own copies of what it needs from the request. */
static struct import_job *import_job_new(struct request *req, const struct org_rec *o)
{
	struct import_job *ij = calloc(1, sizeof *ij);
	if (!ij) {
		req_fail(req, 500, "internal_error", "内存不足");
		return NULL;
	}
	ij->owner = auth_user_id(req);
	ij->org_id = ij->o.org_id = o->id;
	ij->org_path = strdup(o->path);
	ij->o.org_path = ij->org_path;
	const char **roots = NULL;
	ij->nscope = scope_roots(req, "member.read", &roots);
	ij->scope = calloc(ij->nscope ? ij->nscope : 1, sizeof *ij->scope);
	bool ok = ij->org_path && ij->scope;
	for (size_t i = 0; ok && i < ij->nscope; i++)
		ok = (ij->scope[i] = strdup(roots[i])) != NULL;
	ij->o.scope = (const char *const *)ij->scope;
	ij->o.nscope = ij->nscope;
	const char *actor = NULL;
	auth_actor(req, "member.import", &actor, NULL, NULL);
	snprintf(ij->actor, sizeof ij->actor, "%s", actor ? actor : "");
	snprintf(ij->ip, sizeof ij->ip, "%s", req->ip ? req->ip : "");
	clock_today(ij->today);
	if (!ok) {
		import_job_free(ij);
		req_fail(req, 500, "internal_error", "内存不足");
		return NULL;
	}
	/* the upload is the job's now: a large one stays the unlinked file the server
	 * spooled it to (mapped), a small one moves into a mapping of its own */
	ij->data = req_body_take(req, &ij->len);
	if (!ij->data) {
		import_job_free(ij);
		return NULL;
	}
	return ij;
}

static int import_job_drop(struct request *req, void *ctx)
{
	(void)req;
	struct import_slot *slot = ctx;
	if (slot->ij && !slot->ij->started)
		import_job_free(slot->ij);
	slot->ij = NULL;
	if (slot->why)
		jobs_fail(req->db, slot->id, slot->why);
	return DB_OK;
}

/* Once the job's row has committed (req_after_commit): the worker may now see the job. */
static int import_start(struct request *req, void *ctx)
{
	struct import_slot *slot = ctx;
	slot->ij->started = true;
	if (jobs_start(slot->id, run_import, slot->ij, import_job_free) != 0) {
		slot->why = "后台任务无法启动，请稍后重新提交";
		req_fail(req, 503, "jobs_unavailable", "后台任务暂不可用，请稍后重试");
		req->err.retry_after = 5;
		return DB_ERROR;
	}
	return DB_OK;
}

struct import_in {
	int64_t org_id;
	const char *format, *mode;
	int dry_run;
};
static const char *const import_formats[] = {"xlsx", "csv", NULL};
static const char *const import_modes[] = {"all", "good_only", NULL};
static const struct param import_params[] = {
	PARAM_ID(struct import_in, org_id, "党组织编号无效"),
	PARAM_ENUM(struct import_in, format, import_formats, "应为 xlsx 或 csv"),
	PARAM_ENUM(struct import_in, mode, import_modes, "应为 all 或 good_only"),
	PARAM_BOOL(struct import_in, dry_run),
};
static const struct params import_in = PARAMS(struct import_in, import_params);

/* POST /members/import: records the job (this route's write transaction) and starts it
 * once that has committed; the answer is 202 with the job. Imports queue on the jobs
 * worker, one at a time (S18): a second one waits, it is not refused. */
static void post_import(struct request *req)
{
	const struct import_in *in = req->in;
	struct org_rec o;
	if (!roster_org_in_scope(req, in->org_id, "member.import", &o))
		return;
	if (!scope_allows(req, "member.write", o.path)) {
		req_fail(req, 404, "not_found", "党组织不存在");
		return;
	}
	if (req->body_len == 0) {
		req_field_error(req, "body", "required", "请上传 .xlsx 或 .csv 文件");
		return;
	}
	enum import_format format = in->format ? (strcmp(in->format, "csv") == 0 ? IMPORT_CSV : IMPORT_XLSX)
				    /* sniff: an xlsx is a zip */
				    : req->body_len >= 4 && memcmp(req->body, "PK\3\4", 4) == 0 ? IMPORT_XLSX : IMPORT_CSV;
	bool dry_run = in->dry_run == 1, good_only = in->mode && strcmp(in->mode, "good_only") == 0;
	json_t *params = json_pack("{s:I, s:s, s:b, s:b, s:I}", "org_id", (json_int_t)o.id, "format",
				   format == IMPORT_XLSX ? "xlsx" : "csv", "dry_run", dry_run, "good_only", good_only,
				   "bytes", (json_int_t)req->body_len);
	char *pt = json_dumps(params, JSON_COMPACT);
	json_decref(params);
	enum db_rc rc;
	int64_t id = jobs_create(req->db, "member.import", auth_user_id(req), o.id, pt, &rc);
	free(pt);
	if (!id) {
		req_fail_db(req, rc);
		return;
	}
	struct import_job *ij = import_job_new(req, &o);
	if (!ij)
		return;
	ij->id = id;
	ij->o.format = format;
	ij->o.dry_run = dry_run;
	ij->o.good_only = good_only;
	struct import_slot *slot = arena_alloc(req->arena, sizeof *slot);
	*slot = (struct import_slot){ij, id, NULL};
	req_on_failure(req, import_job_drop, slot);
	int64_t owner, org;
	json_t *job = jobs_get(req->db, id, &owner, &org, &rc);
	if (!job) {
		req_fail_db(req, rc);
		return;
	}
	req_add_header(req, "Location", arena_printf(req->arena, "/api/v1/jobs/%lld", (long long)id));
	req_reply_json(req, 202, job);
	req_after_commit(req, import_start, slot);
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
		if (job || rc == DB_NOT_FOUND)
			req_fail(req, 404, "not_found", "任务不存在");
		else
			req_fail_db(req, rc);
		return;
	}
	req_reply_json(req, 200, job);
}

/* A file that could not be written: 507 when its disk is full (as writes answer,
 * SECURITY.md R3), else 500. The file is removed. */
static void fail_file(struct request *req, const char *path, const char *what)
{
	int err = errno;
	char dir[4096];
	const char *slash = strrchr(path, '/');
	snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
	remove(path);
	struct statvfs v;
	bool full = err == ENOSPC || err == EDQUOT ||
		    (statvfs(dir, &v) == 0 && (unsigned long long)v.f_bavail * v.f_frsize < (1ull << 20));
	if (full)
		req_fail(req, 507, "storage_full", "存储空间不足，无法生成文件，请联系管理员");
	else
		req_fail(req, 500, "internal_error", what);
}

static void get_template(struct request *req)
{
	char *path = roster_tmpfile(req, ".xlsx");
	if (!path)
		return;
	errno = 0;
	if (import_template_xlsx(path, NULL) != 0) {
		fail_file(req, path, "无法生成导入模板");
		return;
	}
	roster_reply_file(req, path, XLSX_TYPE, "党员信息导入模板.xlsx");
}

/* The export's columns: the template's (so that the importer reads a file back), then
 * 所属组织 and 党龄 (issue 20 #10), which the importer passes over. */
#define EXPORT_EXTRA 2
static const char *export_headers[32];
static size_t export_nheaders(void)
{
	if (!export_headers[0]) {
		for (size_t i = 0; i < import_nheaders; i++)
			export_headers[i] = import_headers[i];
		export_headers[import_nheaders] = "所属组织";
		export_headers[import_nheaders + 1] = "党龄（年）";
	}
	return import_nheaders + EXPORT_EXTRA;
}

/* Organization names by id for an export (rows are read without the join): a
 * direct-mapped cache in front of org_get, names in the export's arena. */
#define ORG_CACHE 4096
struct org_names {
	int64_t id[ORG_CACHE];
	const char *name[ORG_CACHE];
	struct arena *a;
};

static const char *org_name_of(struct request *req, struct org_names *c, int64_t id)
{
	size_t k = (size_t)id % ORG_CACHE;
	if (c->id[k] == id && c->name[k])
		return c->name[k];
	struct org_rec o;
	struct arena *tmp = arena_new();
	const char *name = org_get(req->db, tmp, id, &o) == DB_OK ? arena_strdup(c->a, o.name) : "";
	arena_free(tmp);
	c->id[k] = id;
	c->name[k] = name;
	return name;
}

/* One member as the template's columns (names, not codes, so that a person can read
 * it and the importer can read it back). */
static void export_cells(struct arena *a, const struct member_rec *r, bool reveal, bool csv, const char **c)
{
	/* masked: the forms stored at write time (0052), no ciphertext opened */
	const char *id = reveal ? r->id_number : r->id_masked, *m = reveal ? r->mobile : r->mobile_masked;
	if (!id)
		id = "";
	else if (csv)
		/* a spreadsheet program reads 18 digits as a number and keeps 15 of them: a
		 * leading tab keeps the cell text (the importer trims it) */
		id = arena_printf(a, "\t%s", id);
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

/* Where an export's rows go: CSV or xlsx. */
struct export_out {
	bool csv;
	FILE *out;
	struct xlsx_out *x;
	struct org_names *orgs;
	struct date today;
};

/* Every member of q, a page at a time, into o; the rows written into *rows. */
static enum db_rc export_rows(struct request *req, struct member_list_query *q, bool reveal, struct export_out *o,
			      int64_t *rows)
{
	enum db_rc rc = DB_OK; /* the route's transaction: one consistent snapshot */
	char key[256] = "";
	int64_t cid = 0;
	while (rc == DB_OK) {
		struct arena *a = arena_new();
		struct member_row *page;
		size_t n;
		rc = member_filter_page(req, a, q, key, cid, 1000, &page, &n, NULL);
		size_t use = n > 1000 ? 1000 : n;
		for (size_t i = 0; rc == DB_OK && i < use; i++) {
			const char *cells[32];
			const struct member_rec *r = &page[i].r;
			export_cells(a, r, reveal, o->csv, cells);
			cells[import_nheaders] = org_name_of(req, o->orgs, r->org_id);
			/* 党龄 from 转正; none while probationary (预备党员 have no 党龄) */
			cells[import_nheaders + 1] =
				r->party_status && strcmp(r->party_status, "formal") == 0 && r->confirmed_on
					? arena_printf(a, "%d", member_party_age(r->confirmed_on, o->today))
					: NULL;
			if (o->csv)
				csv_out_row(o->out, cells, export_nheaders());
			else if (xlsx_out_row(o->x, cells, export_nheaders()) != 0)
				rc = DB_ERROR;
			(*rows)++;
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
	return rc;
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

/* The export's options, from its declared inputs; false after an error. */
static bool export_args(struct request *req, struct member_list_query *q, bool *csv, bool *reveal,
			const char **purpose)
{
	const struct export_in *in = req->in;
	if (!member_filter_build(req, "member.export", &in->f, q))
		return false;
	q->f.no_org_name = true; /* export_cells has no organization column */
	*csv = in->format && strcmp(in->format, "csv") == 0;
	*reveal = in->reveal == 1;
	q->f.decrypt = *reveal; /* checked below before any row is read */
	*purpose = in->purpose;
	if (!*reveal)
		return true;
	for (size_t i = 0; i < q->nranges; i++)
		if (!scope_allows(req, "pii.export", q->prefix[i])) {
			req_fail(req, 403, "forbidden", "没有导出完整个人信息的权限");
			return false;
		}
	if (!*purpose || strlen(*purpose) < 2 || strlen(*purpose) > 200) {
		req_field_error(req, "purpose", "required", "导出完整个人信息须填写用途");
		return false;
	}
	return true;
}

/* S14: the export and its row count, audited once the reading has ended well. */
static int export_audit(struct request *req, void *ctx)
{
	return audit_record(req, ctx) == 0 ? DB_OK : DB_ERROR;
}

/* In the route's read transaction (one snapshot, no write lock while the file is
 * written); its audit row is written right after, in a short write transaction of its
 * own, and the file leaves only when that row committed (req_after_commit). */
static void get_export(struct request *req)
{
	struct member_list_query q;
	bool reveal;
	const char *purpose;
	struct export_out o = {0};
	if (!export_args(req, &q, &o.csv, &reveal, &purpose))
		return;
	char *path = roster_tmpfile(req, o.csv ? ".csv" : ".xlsx");
	if (!path)
		return;
	size_t nh = export_nheaders();
	if (o.csv) {
		o.out = fopen(path, "w");
		if (o.out) {
			fputs(SHEET_CSV_BOM, o.out);
			csv_out_row(o.out, export_headers, nh);
		}
	} else {
		o.x = xlsx_out_open(path, NULL, "党员名册", export_headers, nh);
		if (o.x) {
			for (size_t i = 0; i < import_nheaders; i++) /* money as a number */
				if (strcmp(import_headers[i], "党费基数") == 0)
					xlsx_out_numeric(o.x, i);
			xlsx_out_table_view(o.x);
		}
	}
	o.orgs = arena_alloc(req->arena, sizeof *o.orgs);
	memset(o.orgs, 0, sizeof *o.orgs);
	o.orgs->a = req->arena;
	o.today = roster_today();
	if (!o.out && !o.x) {
		fail_file(req, path, "无法生成导出文件");
		return;
	}
	int64_t rows = 0;
	enum db_rc rc = export_rows(req, &q, reveal, &o, &rows);
	errno = 0;
	int closed = o.csv ? (ferror(o.out) | fclose(o.out)) : xlsx_out_close(o.x);
	if (rc != DB_OK) {
		remove(path);
		req_fail_db(req, rc);
		return;
	}
	if (closed != 0) {
		fail_file(req, path, "无法生成导出文件");
		return;
	}
	/* S14: the export and its row count are audited before the file leaves (a failed
	 * audit replaces the answer; the file is unlinked already by roster_reply_file) */
	struct audit_event *ev = arena_alloc(req->arena, sizeof *ev);
	*ev = (struct audit_event){
		"member.export", "member", 0, 0, true,
		arena_printf(req->arena, "rows=%lld format=%s masked=%d%s%s", (long long)rows, o.csv ? "csv" : "xlsx",
			     !reveal, reveal ? " purpose=" : "", reveal ? purpose : "")};
	req_after_commit(req, export_audit, ev);
	req_add_header(req, "X-Row-Count", arena_printf(req->arena, "%lld", (long long)rows));
	/* the file says what it holds: 党员名册_<organization>_<date> (issue 20 #10) */
	const struct export_in *in = req->in;
	struct org_rec top;
	const char *org = "";
	int64_t top_id = in->f.org_id;
	if (!top_id && q.nranges) {
		const char *p = q.prefix[0] + strlen(q.prefix[0]) - 1;
		while (p > q.prefix[0] && p[-1] != '/')
			p--;
		top_id = strtoll(p, NULL, 10);
	}
	if (top_id && org_get(req->db, req->arena, top_id, &top) == DB_OK)
		org = top.name;
	char day[11];
	date_format(o.today, day);
	roster_reply_file(req, path, o.csv ? "text/csv; charset=utf-8" : XLSX_TYPE,
			  arena_printf(req->arena, "党员名册_%s_%.4s%.2s%.2s.%s", org, day, day + 5, day + 8,
				       o.csv ? "csv" : "xlsx"));
}

static const struct route roster_io_routes[] = {
	{"POST", "/api/v1/members/import", post_import, "member.import", RF_RAW_BODY | RF_TX_WRITE, IMPORT_CAP,
	 "import members from .xlsx/.csv as a job", &import_in},
	{"GET", "/api/v1/members/import/template.xlsx", get_template, "member.import", 0, 0, "the import template"},
	/* a read transaction, then the audit row after it (see get_export) */
	{"GET", "/api/v1/members/export", get_export, "member.export", RF_TX_READ | RF_REPLICA, 0,
	 "export members (xlsx/csv), audited", &export_in},
	{"GET", "/api/v1/jobs/{id}", get_job, PERM_SESSION, RF_TX_READ, 0, "a job of the caller, with progress"},
};
ROUTE_TABLE(roster_io);
