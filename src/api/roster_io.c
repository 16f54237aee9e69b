/* roster_io.c: the roster's files and long work: POST /members/import (a job with
 * progress; .xlsx or .csv in UTF-8 or GBK; dry run; all-or-nothing or good rows only),
 * the import template, POST /members/exports (a job writing xlsx or CSV in the
 * background; masked unless pii.export and a purpose; audited with its row count,
 * SECURITY.md S14), and the caller's jobs: GET /jobs/{id}, POST /jobs/{id}/cancel,
 * GET /jobs/{id}/file. */
#include "api/member_filter.h"
#include "http/params.h"
#include "api/roster_util.h"
#include "auth/auth.h"
#include "auth/scope.h"
#include "auth/session.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/sheet_write.h"
#include "core/xlsx_stream.h"
#include "jobs/jobs.h"
#include "model/audit.h"
#include "model/codes.h"
#include "model/import.h"
#include "model/member.h"
#include "model/org.h"
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
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
	char errtok[33];  /* the error rows' file: .exported-<job>-<errtok>.xlsx (issue 20 #9) */
	json_t *sheet_mappings; /* the user's mappings of further sheets (o.sheet_mappings) */
};

static void import_job_free(void *p)
{
	struct import_job *ij = p;
	req_body_free(ij->data, ij->len);
	for (size_t i = 0; i < ij->nscope; i++)
		free(ij->scope[i]);
	free(ij->scope);
	free(ij->org_path);
	json_decref(ij->sheet_mappings);
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
	/* issue 20 #9/#22: every refused row back as the user's own cells with their errors,
	 * an .xlsx downloaded as an export's file is (GET /jobs/{id}/file, kept a day) */
	char dir[4096], path[4400], until[21], dl[64];
	config_work_dir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/.exported-%lld-%s.xlsx", dir, (long long)ij->o.job_id, ij->errtok);
	clock_rfc3339(clock_now() + 24 * 3600, until);
	snprintf(dl, sizeof dl, "/api/v1/jobs/%lld/file", (long long)ij->o.job_id);
	ij->o.errors_xlsx = path;
	ij->o.errors_download = dl;
	ij->o.errors_expires_at = until;
	json_t *res = import_members(db, ij->data, ij->len, &ij->o, &rc, why, whylen);
	ij->o.errors_xlsx = ij->o.errors_download = ij->o.errors_expires_at = NULL;
	if (!res || !json_object_get(res, "errors_file"))
		remove(path); /* none, or an import that failed after writing it */
	if (!res && rc == DB_BUSY)
		snprintf(why, whylen, "数据库繁忙，请稍后重新导入");
	else if (!res && rc == DB_FULL)
		snprintf(why, whylen, "存储空间不足，导入未完成，请联系管理员");
	else if (!res && rc != DB_OK && !why[0])
		snprintf(why, whylen, "导入失败（存储错误）");
	return res;
}

/* A kind of job a request records and hands to the jobs worker once the job's row has
 * committed: what the worker runs, how the job's object is freed, and what runs on the
 * object just before it is handed over (NULL: nothing). */
struct job_kind {
	const char *name; /* jobs.kind */
	job_fn run;
	job_free_fn release;
	void (*before)(void *job);
};

/* What a failed request leaves to do (req_on_failure, in order): the job's object goes
 * unless the worker has it; a job recorded already is marked failed. */
struct job_slot {
	const struct job_kind *kind;
	void *job;
	bool *started; /* the object's own flag: handed to the worker, which frees it */
	int64_t id;
	const char *why; /* set once the job's row has committed and the request then fails */
};

static int job_drop(struct request *req, void *ctx)
{
	struct job_slot *slot = ctx;
	if (slot->job && !*slot->started)
		slot->kind->release(slot->job);
	slot->job = NULL;
	if (slot->why)
		jobs_fail(req->db, slot->id, slot->why);
	return DB_OK;
}

/* Once the job's row has committed (req_after_commit): the worker may now see the job. */
static int job_begin(struct request *req, void *ctx)
{
	struct job_slot *slot = ctx;
	*slot->started = true;
	if (slot->kind->before)
		slot->kind->before(slot->job);
	if (jobs_start(slot->id, slot->kind->run, slot->job, slot->kind->release) != 0) {
		slot->why = "后台任务无法启动，请稍后重新提交";
		req_fail(req, 503, "jobs_unavailable", "后台任务暂不可用，请稍后重试");
		req->err.retry_after = 5;
		return DB_ERROR;
	}
	return DB_OK;
}

/* Records a job of kind k (this route's write transaction) owned by owner at org, with
 * params (a JSON object, taken), for job (malloc'd; the request frees it if it fails,
 * the worker once started; started is its flag for that), answers 202 with the job and
 * starts it once that has committed. The job's id, or 0 when the request failed. */
static int64_t job_submit(struct request *req, const struct job_kind *k, void *job, bool *started, int64_t owner,
			  int64_t org, json_t *params)
{
	struct job_slot *slot = arena_alloc(req->arena, sizeof *slot);
	*slot = (struct job_slot){k, job, started, 0, NULL};
	req_on_failure(req, job_drop, slot);
	char *pt = json_dumps(params, JSON_COMPACT);
	json_decref(params);
	enum db_rc rc;
	int64_t id = jobs_create(req->db, k->name, owner, org, pt, &rc);
	free(pt);
	if (!id) {
		req_fail_db(req, rc);
		return 0;
	}
	slot->id = id;
	int64_t job_owner, job_org;
	json_t *row = jobs_get(req->db, id, &job_owner, &job_org, &rc);
	if (!row) {
		req_fail_db(req, rc);
		return 0;
	}
	req_add_header(req, "Location", arena_printf(req->arena, "/api/v1/jobs/%lld", (long long)id));
	req_reply_json(req, 202, row);
	req_after_commit(req, job_begin, slot);
	return id;
}

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

static const struct job_kind import_kind = {"member.import", run_import, import_job_free, NULL};

struct import_in {
	int64_t org_id;
	const char *format, *mode;
	int dry_run;
	const char *mapping, *sheet_mappings;
};
static const char *const import_formats[] = {"xlsx", "csv", NULL};
static const char *const import_modes[] = {"all", "good_only", NULL};
static const struct param import_params[] = {
	PARAM_ID(struct import_in, org_id, "党组织编号无效"),
	PARAM_ENUM(struct import_in, format, import_formats, "应为 xlsx 或 csv"),
	PARAM_ENUM(struct import_in, mode, import_modes, "应为 all 或 good_only"),
	PARAM_BOOL(struct import_in, dry_run),
	PARAM_STR(struct import_in, mapping, 4000),
	PARAM_STR(struct import_in, sheet_mappings, 8000),
};
static const struct params import_in = PARAMS(struct import_in, import_params);

/* The organization whose remembered mappings the caller's own are (issue 20 #9): the one
 * where the caller's import role sits, when it holds the import's organization (o), so
 * that everyone importing under it finds the mapping; else o itself. */
static int64_t mapping_org(struct request *req, const struct org_rec *o)
{
	int64_t role_org = 0;
	auth_actor(req, "member.import", NULL, NULL, &role_org);
	struct org_rec ro;
	if (role_org > 0 && org_get(req->db, req->arena, role_org, &ro) == DB_OK &&
	    strncmp(o->path, ro.path, strlen(ro.path)) == 0)
		return role_org;
	return o->id;
}

/* The import's organization from its inputs, in the caller's scope for member.import
 * and member.write, and a body: false after setting the request's error. */
static bool import_target(struct request *req, int64_t org_id, struct org_rec *o)
{
	if (!roster_org_in_scope(req, org_id, "member.import", o))
		return false;
	if (!scope_allows(req, "member.write", o->path)) {
		req_fail(req, 404, "not_found", "党组织不存在");
		return false;
	}
	if (req->body_len == 0) {
		req_field_error(req, "body", "required", "请上传 .xlsx 或 .csv 文件");
		return false;
	}
	return true;
}

static enum import_format upload_format(struct request *req, const char *format)
{
	return format ? (strcmp(format, "csv") == 0 ? IMPORT_CSV : IMPORT_XLSX)
		      /* sniff: an xlsx is a zip */
		      : req->body_len >= 4 && memcmp(req->body, "PK\3\4", 4) == 0 ? IMPORT_XLSX : IMPORT_CSV;
}

/* The upload's preview (import_preview), with the mapping remembered for its headers
 * applied; NULL after setting the request's error. */
static json_t *upload_preview(struct request *req, enum import_format format)
{
	char why[256] = "";
	json_t *pv = import_preview(req->body, req->body_len, format, why, sizeof why);
	if (!pv)
		req_field_error(req, "body", "unreadable", why[0] ? why : "无法读取文件");
	return pv;
}

/* POST /members/import/preview (issue 20 #9): the upload's header and a few rows, each
 * column matched to a template field or left for the user to map, required fields
 * still missing, masked samples; a mapping remembered for the same headers (at the
 * import's organization or above it) comes applied. Further sheets whose headers the
 * import does not know come in sheets[] the same way (the top-level fields are the
 * first sheet's). Reads; changes nothing. */
struct preview_in {
	int64_t org_id;
	const char *format;
};
static const struct param preview_params[] = {
	PARAM_ID(struct preview_in, org_id, "党组织编号无效"),
	PARAM_ENUM(struct preview_in, format, import_formats, "应为 xlsx 或 csv"),
};
static const struct params preview_in = PARAMS(struct preview_in, preview_params);

static void post_preview(struct request *req)
{
	const struct preview_in *in = req->in;
	struct org_rec o;
	if (!import_target(req, in->org_id, &o))
		return;
	json_t *pv = upload_preview(req, upload_format(req, in->format));
	if (!pv)
		return;
	const char *saved = NULL;
	enum db_rc rc = import_mapping_find(req->db, req->arena, o.path,
					    json_string_value(json_object_get(pv, "signature")), &saved);
	if (rc == DB_OK)
		import_preview_saved(pv, saved);
	/* further sheets of headers of their own: each with the mapping remembered for
	 * them, which the import then applies by itself (no step of the wizard's) */
	size_t i;
	json_t *sp;
	json_array_foreach(json_object_get(pv, "sheets"), i, sp)
	{
		if (rc != DB_OK && rc != DB_NOT_FOUND)
			break;
		saved = NULL;
		rc = import_mapping_find(req->db, req->arena, o.path, json_string_value(json_object_get(sp, "signature")),
					 &saved);
		if (rc == DB_OK) {
			import_preview_saved(sp, saved);
			json_object_set_new(sp, "needs_mapping",
					    json_boolean(json_array_size(json_object_get(sp, "missing_required")) > 0));
		}
	}
	if (rc != DB_OK && rc != DB_NOT_FOUND) {
		json_decref(pv);
		req_fail_db(req, rc);
		return;
	}
	req_reply_json(req, 200, pv);
}

/* mapping= on an import (issue 20 #9): checked against the upload's header (nothing is
 * imported when it does not fit), then remembered for these headers at mapping_org and
 * audited. Sets o's mapping; false after setting the request's error. */
static bool import_mapping(struct request *req, const struct org_rec *org, enum import_format format,
			   const char *text, struct import_opts *o)
{
	json_t *mapping = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	json_t *pv = mapping ? upload_preview(req, format) : NULL;
	if (!mapping) {
		req_field_error(req, "mapping", "invalid", "列对应关系格式无效：应为“列序号 → 字段”的 JSON 对象");
		return false;
	}
	const char *code = NULL;
	char msg[256];
	bool ok = pv && import_mapping_check(pv, mapping, o, &code, msg, sizeof msg);
	if (pv && !ok)
		req_field_error(req, "mapping", code, msg);
	if (ok) {
		char *mt = json_dumps(mapping, JSON_COMPACT | JSON_SORT_KEYS);
		char *ht = json_dumps(json_object_get(pv, "headers"), JSON_COMPACT);
		int64_t at = mapping_org(req, org);
		enum db_rc rc = mt && ht ? import_mapping_save(req->db, at, json_string_value(json_object_get(pv, "signature")),
							     ht, mt, auth_user_id(req), clock_now())
					 : DB_ERROR;
		free(mt);
		free(ht);
		if (rc != DB_OK) {
			req_fail_db(req, rc);
			ok = false;
		} else {
			struct audit_event ev = {"member.import", "org", at, at, true,
						 "保存导入文件的列对应关系（下次相同表头的文件自动套用）"};
			ok = audit_record(req, &ev) == 0;
		}
	}
	json_decref(pv);
	json_decref(mapping);
	return ok;
}

/* sheet_mappings= on an import (issue 20 #9): the user's mappings of further sheets by
 * their headers' signature (the preview's sheets[].signature), checked for shape here and
 * against each sheet's header when it is read; remembered then at mapping_org, audited
 * here. The parsed object (new reference), or NULL after setting the request's error. */
static json_t *import_sheet_mappings(struct request *req, const struct org_rec *org, const char *text)
{
	json_t *sm = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	const char *code = "invalid";
	char msg[256] = "各工作表的列对应关系格式无效：应为“表头签名 → {列序号 → 字段}”的 JSON 对象";
	if (!sm || !import_sheet_mappings_check(sm, &code, msg, sizeof msg)) {
		req_field_error(req, "sheet_mappings", code, msg);
		json_decref(sm);
		return NULL;
	}
	int64_t at = mapping_org(req, org);
	struct audit_event ev = {"member.import", "org", at, at, true,
				 "保存导入文件其他工作表的列对应关系（下次相同表头的工作表自动套用）"};
	if (audit_record(req, &ev) != 0) {
		json_decref(sm);
		return NULL;
	}
	return sm;
}

/* POST /members/import: records the job (this route's write transaction) and starts it
 * once that has committed; the answer is 202 with the job. Imports queue on the jobs
 * worker, one at a time (S18): a second one waits, it is not refused. */
static void post_import(struct request *req)
{
	const struct import_in *in = req->in;
	struct org_rec o;
	if (!import_target(req, in->org_id, &o))
		return;
	enum import_format format = upload_format(req, in->format);
	struct import_opts mapped = {0};
	if (in->mapping && !import_mapping(req, &o, format, in->mapping, &mapped))
		return;
	json_t *sheet_maps = in->sheet_mappings ? import_sheet_mappings(req, &o, in->sheet_mappings) : NULL;
	if (in->sheet_mappings && !sheet_maps)
		return;
	bool dry_run = in->dry_run == 1, good_only = in->mode && strcmp(in->mode, "good_only") == 0;
	struct import_job *ij = import_job_new(req, &o);
	if (!ij) {
		json_decref(sheet_maps);
		return;
	}
	if (sheet_maps) {
		ij->sheet_mappings = sheet_maps;
		ij->o.sheet_mappings = sheet_maps;
		ij->o.map_org_id = mapping_org(req, &o);
		ij->o.map_user_id = auth_user_id(req);
	}
	unsigned char tok[16];
	randombytes_buf(tok, sizeof tok);
	sodium_bin2hex(ij->errtok, sizeof ij->errtok, tok, sizeof tok);
	struct date today = roster_today();
	char day[11];
	date_format(today, day);
	json_t *params = json_pack("{s:I, s:s, s:b, s:b, s:I, s:s, s:s}", "org_id", (json_int_t)o.id, "format",
				   format == IMPORT_XLSX ? "xlsx" : "csv", "dry_run", dry_run, "good_only", good_only,
				   "bytes", (json_int_t)req->body_len, "errors_file", ij->errtok, "errors_file_name",
				   arena_printf(req->arena, "导入错误行_%s_%.4s%.2s%.2s.xlsx", o.name, day, day + 5, day + 8));
	if (mapped.mapped) {
		json_object_set_new(params, "mapped", json_true());
		ij->o.mapped = true;
		ij->o.map_header_row = mapped.map_header_row;
		memcpy(ij->o.colmap, mapped.colmap, sizeof ij->o.colmap);
	}
	if (sheet_maps)
		json_object_set_new(params, "sheet_mappings", json_integer((json_int_t)json_object_size(sheet_maps)));
	ij->o.saved_mappings = true; /* further sheets: the mappings remembered (issue 20 #9) */
	ij->o.format = format;
	ij->o.dry_run = dry_run;
	ij->o.good_only = good_only;
	ij->id = job_submit(req, &import_kind, ij, &ij->started, auth_user_id(req), o.id, params);
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

static const char *org_name_of(struct db *db, struct org_names *c, int64_t id)
{
	size_t k = (size_t)id % ORG_CACHE;
	if (c->id[k] == id && c->name[k])
		return c->name[k];
	struct org_rec o;
	struct arena *tmp = arena_new();
	const char *name = org_get(db, tmp, id, &o) == DB_OK ? arena_strdup(c->a, o.name) : "";
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

/* How long a finished export's file is kept for its owner to download (then removed:
 * it holds personal data). */
#define EXPORT_KEEP_SECONDS (24 * 3600)
/* rows read per page (and between two looks at a cancel) */
#define EXPORT_PAGE 1000
/* the database mapped while an export reads it (SQLite caps it at its build's limit) */
#define EXPORT_MMAP (64ll << 30)

/* An export job (issue 20 #21): everything it needs, copied from the request, so that
 * the file is written on the jobs worker and no request thread waits for it. */
struct export_job {
	struct arena *a; /* owns q's strings and the texts below */
	struct member_list_query q;
	bool csv, reveal, started;
	const char *purpose, *file_name;
	int64_t owner, org_id;
	char actor[64], role[64], ip[64];
	int64_t role_org;
	char token[33]; /* the kept file's name: .exported-<job>-<token>.<ext> */
	char dir[4096];
	struct date today;
	/* while it runs */
	struct job *j;
	struct export_out {
		FILE *out;
		struct xlsx_out *x;      /* libxlsxwriter (test mode's A/B only) */
		struct xlsx_stream *xs; /* the streaming writer */
		struct org_names *orgs;
	} o;
	int64_t rows, total;
	bool cancelled;
	/* the file failed (not the database): which member's row, for the message */
	bool write_failed;
	char failed_name[96];
	int sheets; /* the .xlsx's sheets (over 1,048,576 rows: several) */
	/* issue 20 #14: the rows selected on the page (ids=), in their order, instead of the
	 * filter's; each checked against the caller's scope when the job was asked for */
	int64_t *ids;
	size_t nids;
};

static void export_job_free(void *p)
{
	struct export_job *ej = p;
	if (!ej)
		return;
	arena_free(ej->a);
	free(ej);
}

static void export_path(const struct export_job *ej, int64_t id, char *out, size_t cap)
{
	snprintf(out, cap, "%s/.exported-%lld-%s.%s", ej->dir, (long long)id, ej->token, ej->csv ? "csv" : "xlsx");
}

/* One member's row of the file. */
static enum db_rc export_row(struct db *db, struct arena *a, struct export_job *ej, const struct member_rec *r, size_t nh)
{
	const char *cells[32];
	export_cells(a, r, ej->reveal, ej->csv, cells);
	cells[import_nheaders] = org_name_of(db, ej->o.orgs, r->org_id);
	/* 党龄 from 转正; none while probationary (预备党员 have no 党龄) */
	cells[import_nheaders + 1] = r->party_status && strcmp(r->party_status, "formal") == 0 && r->confirmed_on
					     ? arena_printf(a, "%d", member_party_age(r->confirmed_on, ej->today))
					     : NULL;
	enum db_rc rc = DB_OK;
	if (ej->csv)
		csv_out_row(ej->o.out, cells, nh);
	else if (ej->o.xs ? xlsx_stream_row(ej->o.xs, cells, nh) != 0 : xlsx_out_row(ej->o.x, cells, nh) != 0) {
		ej->write_failed = true; /* the file's fault: the message says so, not 存储错误 */
		snprintf(ej->failed_name, sizeof ej->failed_name, "%s", r->name ? r->name : "");
		rc = DB_ERROR;
	}
	ej->rows++;
	return rc;
}

/* Every member of the query, a page at a time, in one read transaction (one
 * consistent snapshot; no write lock while the file is written). */
static enum db_rc export_read_tx(struct db *db, void *ctx)
{
	struct export_job *ej = ctx;
	enum db_rc rc = member_filter_count(db, &ej->q, &ej->total);
	char key[256] = "";
	int64_t cid = 0;
	size_t nh = export_nheaders();
	/* test mode only: a pause before each page, so that a test can cancel a running job */
	const char *pause = cfg.test_mode ? getenv("DJ_TEST_EXPORT_PAUSE_MS") : NULL;
	long pause_ms = pause ? strtol(pause, NULL, 10) : 0;
	if (rc == DB_OK && ej->nids) { /* the selected rows (a few hundred at most) */
		ej->total = (int64_t)ej->nids;
		struct arena *a = arena_new();
		for (size_t i = 0; rc == DB_OK && i < ej->nids; i++) {
			struct member_rec r;
			enum db_rc lr = member_load(db, a, ej->ids[i], ej->reveal, &r, NULL);
			if (lr == DB_NOT_FOUND)
				continue; /* deleted since it was asked for */
			if (lr != DB_OK) {
				rc = lr;
				break;
			}
			rc = export_row(db, a, ej, &r, nh);
		}
		arena_free(a);
		return rc;
	}
	while (rc == DB_OK) {
		for (long w = 0; w < pause_ms && !jobs_cancelled(ej->j); w += 10)
			usleep(10000);
		if (jobs_cancelled(ej->j)) {
			ej->cancelled = true;
			return DB_ERROR;
		}
		struct arena *a = arena_new();
		struct member_row *page;
		size_t n;
		rc = member_filter_page(db, a, &ej->q, key, cid, EXPORT_PAGE, &page, &n, NULL);
		size_t use = n > EXPORT_PAGE ? EXPORT_PAGE : n;
		for (size_t i = 0; rc == DB_OK && i < use; i++)
			rc = export_row(db, a, ej, &page[i].r, nh);
		bool more = rc == DB_OK && n > EXPORT_PAGE;
		if (more) {
			snprintf(key, sizeof key, "%s", page[use - 1].key ? page[use - 1].key : "");
			cid = page[use - 1].id;
		}
		arena_free(a);
		if (ej->total > 0)
			jobs_progress(ej->j, (int)(ej->rows * 99 / ej->total));
		if (!more)
			break;
	}
	return rc;
}

/* The export's outcome, with its audit row (S14: the export, its row count, masked or
 * the purpose), in one write transaction: the job reads done, and its file can be
 * downloaded, exactly when the audit row is there. */
struct export_done {
	struct export_job *ej;
	const char *result;
};

static enum db_rc export_done_tx(struct db *db, void *ctx)
{
	const struct export_done *d = ctx;
	const struct export_job *ej = d->ej;
	char summary[400];
	snprintf(summary, sizeof summary, "rows=%lld format=%s masked=%d%s%s", (long long)ej->rows, ej->csv ? "csv" : "xlsx",
		 !ej->reveal, ej->reveal ? " purpose=" : "", ej->reveal ? ej->purpose : "");
	struct audit_event ev = {"member.export", "member", 0, 0, true, summary};
	const struct audit_actor who = {.user_id = ej->owner, .name = ej->actor, .role = ej->role, .ip = ej->ip,
					.org_id = ej->role_org};
	enum db_rc rc = audit_write(db, &who, &ev);
	return rc == DB_OK ? jobs_mark_done(db, jobs_id(ej->j), d->result) : rc;
}

/* The xlsx writer (issue 21 #5, bench/results.md): our streaming writer, deflate level
 * 1 with one deflate thread beside the reading one (the numbers chose it: see the
 * commit). Test mode may pick another for A/B runs on one binary: DJ_XLSX_WRITER=
 * libxlsxwriter, DJ_XLSX_LEVEL, DJ_XLSX_THREADS; and DJ_XLSX_ROWS_PER_SHEET, fewer rows
 * to a sheet than Excel's 1,048,576, so that a test sees a roster go on to further
 * sheets. False: libxlsxwriter. */
#define XLSX_LEVEL 1
#define XLSX_THREADS 1
static bool xlsx_choice(int *level, int *threads, uint32_t *per_sheet)
{
	*level = XLSX_LEVEL;
	*threads = XLSX_THREADS;
	*per_sheet = XLSX_STREAM_ROWS_PER_SHEET;
	if (!cfg.test_mode)
		return true;
	const char *w = getenv("DJ_XLSX_WRITER"), *l = getenv("DJ_XLSX_LEVEL"), *t = getenv("DJ_XLSX_THREADS"),
		   *p = getenv("DJ_XLSX_ROWS_PER_SHEET");
	if (l)
		*level = atoi(l);
	if (t)
		*threads = atoi(t);
	if (p && atol(p) > 1 && atol(p) < (long)XLSX_STREAM_ROWS_PER_SHEET)
		*per_sheet = (uint32_t)atol(p);
	return !w || strcmp(w, "libxlsxwriter") != 0;
}

/* Whether a file in dir failed for want of space (the error, or under 1 MiB left). */
static bool disk_full(const char *dir, int err)
{
	struct statvfs v;
	return err == ENOSPC || err == EDQUOT ||
	       (statvfs(dir, &v) == 0 && (unsigned long long)v.f_bavail * v.f_frsize < (1ull << 20));
}

/* An errno of a failed file, in Chinese (the common ones; else its number). */
static const char *file_error_text(int err, char *buf, size_t cap)
{
	switch (err) {
	case EIO:
		return "磁盘输入输出错误";
	case EFBIG:
		return "文件过大";
	case EROFS:
		return "文件系统只读";
	case EACCES:
	case EPERM:
		return "无写入权限";
	case ENOMEM:
		return "内存不足";
	default:
		snprintf(buf, cap, "错误码 %d", err);
		return buf;
	}
}

/* Why the export's file failed (issue 21 #5: not 存储错误, which is the database's). */
static void export_file_why(const struct export_job *ej, const struct xlsx_stream_result *res, int err, char *why,
			    size_t whylen)
{
	char buf[32];
	if (res && res->error == XLSX_STREAM_CELL) {
		const char *col = res->col < export_nheaders() ? export_headers[res->col] : "";
		snprintf(why, whylen, "导出失败（党员“%s”的“%s”超过 Excel 单元格的 32,767 个字符上限，位于工作表“%s”的 %s 单元格）",
			 ej->failed_name, col, res->sheet, res->cell);
	} else if (res && res->error == XLSX_STREAM_TOO_BIG) {
		snprintf(why, whylen, "导出失败（文件将超过 4 GiB，请按党组织分批导出）");
	} else if (res && res->error == XLSX_STREAM_NOMEM) {
		snprintf(why, whylen, "导出失败（服务器内存不足）");
	} else if (disk_full(ej->dir, res ? res->err : err)) {
		snprintf(why, whylen, "导出失败（写入文件出错：存储空间不足，无法生成文件，请联系管理员）");
	} else {
		int e = res ? res->err : err;
		snprintf(why, whylen, e ? "导出失败（写入文件出错：%s）" : "导出失败（写入文件出错）",
			 file_error_text(e, buf, sizeof buf));
	}
}

static json_t *run_export(struct job *j, struct db *db, void *arg, char *why, size_t whylen)
{
	struct export_job *ej = arg;
	ej->j = j;
	int64_t id = jobs_id(j);
	const char *ext = ej->csv ? ".csv" : ".xlsx";
	char tmp[4200];
	/* while it is written: .export-<pid>-…, which a later start removes if this
	 * process dies meanwhile (src/cli/serve.c) */
	snprintf(tmp, sizeof tmp, "%s/.export-%d-job%lld-XXXXXX%s", ej->dir, (int)getpid(), (long long)id, ext);
	int fd = mkstemps(tmp, (int)strlen(ext));
	if (fd < 0) {
		snprintf(why, whylen, disk_full(ej->dir, errno) ? "存储空间不足，无法生成文件，请联系管理员" : "无法创建导出文件");
		return NULL;
	}
	fchmod(fd, 0600);
	close(fd);
	size_t nh = export_nheaders();
	int level, threads;
	uint32_t per_sheet;
	if (ej->csv) {
		ej->o.out = fopen(tmp, "w");
		if (ej->o.out) {
			fputs(SHEET_CSV_BOM, ej->o.out);
			csv_out_row(ej->o.out, export_headers, nh);
		}
	} else if (xlsx_choice(&level, &threads, &per_sheet)) {
		ej->o.xs = xlsx_stream_open(tmp, "党员名册", export_headers, nh, level, threads);
		if (ej->o.xs) {
			xlsx_stream_rows_per_sheet(ej->o.xs, per_sheet);
			for (size_t i = 0; i < import_nheaders; i++) /* money as a number */
				if (strcmp(import_headers[i], "党费基数") == 0)
					xlsx_stream_numeric(ej->o.xs, i);
			xlsx_stream_table_view(ej->o.xs);
		}
	} else {
		ej->o.x = xlsx_out_open(tmp, NULL, "党员名册", export_headers, nh);
		if (ej->o.x) {
			for (size_t i = 0; i < import_nheaders; i++)
				if (strcmp(import_headers[i], "党费基数") == 0)
					xlsx_out_numeric(ej->o.x, i);
			xlsx_out_table_view(ej->o.x);
		}
	}
	ej->o.orgs = calloc(1, sizeof *ej->o.orgs);
	if (ej->o.orgs)
		ej->o.orgs->a = ej->a;
	if ((!ej->o.out && !ej->o.x && !ej->o.xs) || !ej->o.orgs) {
		free(ej->o.orgs);
		if (ej->o.out)
			fclose(ej->o.out);
		if (ej->o.x)
			xlsx_out_close(ej->o.x);
		if (ej->o.xs)
			xlsx_stream_close(ej->o.xs);
		remove(tmp);
		snprintf(why, whylen, disk_full(ej->dir, errno) ? "存储空间不足，无法生成文件，请联系管理员" : "无法生成导出文件");
		return NULL;
	}
	/* the whole file is read, in name order (a random page per row): mapped, each page
	 * is read in place instead of copied through pread (a fifth of the export's CPU) */
	db_mmap(db, EXPORT_MMAP);
	enum db_rc rc = db_tx_run(db, false, export_read_tx, ej);
	db_mmap(db, 0);
	free(ej->o.orgs);
	errno = 0;
	struct xlsx_stream_result xres = {0};
	int closed = ej->csv ? (ferror(ej->o.out) | fclose(ej->o.out))
			     : ej->o.xs ? xlsx_stream_close_result(ej->o.xs, &xres) : xlsx_out_close(ej->o.x);
	int err = errno;
	ej->sheets = xres.sheets;
	if (ej->cancelled || rc != DB_OK || closed != 0) {
		remove(tmp);
		if (ej->cancelled)
			snprintf(why, whylen, "任务已取消");
		else if (ej->write_failed || closed != 0) /* the file, not the database */
			export_file_why(ej, ej->o.xs ? &xres : NULL, err, why, whylen);
		else
			snprintf(why, whylen, rc == DB_BUSY ? "数据库繁忙，请稍后重新导出" : "导出失败（存储错误）");
		return NULL;
	}
	char path[4400];
	export_path(ej, id, path, sizeof path);
	if (rename(tmp, path) != 0) {
		remove(tmp);
		snprintf(why, whylen, "无法保存导出文件");
		return NULL;
	}
	struct stat st;
	int64_t size = stat(path, &st) == 0 ? (int64_t)st.st_size : 0;
	char until[21];
	clock_rfc3339(clock_now() + EXPORT_KEEP_SECONDS, until);
	json_t *res = json_pack("{s:I, s:s, s:s, s:I, s:b, s:s, s:s}", "rows", (json_int_t)ej->rows, "format",
				ej->csv ? "csv" : "xlsx", "file_name", ej->file_name, "size", (json_int_t)size, "masked",
				!ej->reveal, "expires_at", until, "download",
				arena_printf(ej->a, "/api/v1/jobs/%lld/file", (long long)id));
	if (!ej->csv && res) { /* over Excel's rows to a sheet, the members go on to further sheets */
		int sheets = ej->sheets > 0 ? ej->sheets : 1;
		json_object_set_new(res, "sheets", json_integer(sheets));
		if (sheets > 1)
			json_object_set_new(res, "note",
					    json_string(arena_printf(ej->a,
								     "名册超过 Excel 单个工作表的 1,048,576 行，已分为 %d 个工作表"
								     "（党员名册、党员名册(2) …），每个工作表都有表头",
								     sheets)));
	}
	char *text = json_dumps(res, JSON_COMPACT);
	struct export_done d = {ej, text};
	rc = text ? db_tx_run(db, true, export_done_tx, &d) : DB_ERROR;
	free(text);
	if (rc != DB_OK) { /* cancelled meanwhile, or the audit row failed: no file */
		unlink(path);
		json_decref(res);
		snprintf(why, whylen, ej->j && jobs_cancelled(j) ? "任务已取消" : "导出未能记录审计日志，文件已删除");
		return NULL;
	}
	return res;
}

/* Removes kept export files past their time (any job's, this directory's), and files
 * of cancelled or failed jobs that a race left. Cheap: one directory read per export. */
static void export_sweep(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	time_t now = time(NULL);
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, ".exported-", 10) != 0)
			continue;
		char path[4400];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		struct stat st;
		if (stat(path, &st) == 0 && now - st.st_mtime > EXPORT_KEEP_SECONDS)
			unlink(path);
	}
	closedir(d);
}

struct export_in {
	struct member_filter_in f;
	const char *format, *purpose;
	int reveal;
	const char *ids;
};
/* at most this many selected rows (ids=): a page holds 200 */
#define EXPORT_MAX_IDS 1000
static const char *const export_formats[] = {"xlsx", "csv", NULL};
static const struct param export_params[] = {
	MEMBER_FILTER_PARAMS(struct export_in),
	PARAM_ENUM(struct export_in, format, export_formats, "应为 xlsx 或 csv"),
	PARAM_STR(struct export_in, purpose, 200),
	PARAM_BOOL(struct export_in, reveal),
	PARAM_STR(struct export_in, ids, EXPORT_MAX_IDS * 12),
};

/* ids= (issue 20 #14, 导出所选): comma-separated member ids, each in the caller's scope
 * for member.export (a foreign or missing one answers 404, as a single record does);
 * into *out (request arena). False after setting the request's error. */
static bool export_ids(struct request *req, const char *text, int64_t **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!text)
		return true;
	int64_t *ids = arena_alloc(req->arena, sizeof *ids * EXPORT_MAX_IDS);
	size_t k = 0;
	const char *p = text;
	while (*p) {
		char *end;
		long long v = strtoll(p, &end, 10);
		if (end == p || v <= 0 || (*end && *end != ',') || k == EXPORT_MAX_IDS) {
			req_field_error(req, "ids", "invalid", "应为以逗号分隔的党员编号（至多 1000 个）");
			return false;
		}
		ids[k++] = v;
		p = *end ? end + 1 : end;
	}
	for (size_t i = 0; i < k; i++) {
		struct member_rec r;
		enum db_rc rc = member_load(req->db, req->arena, ids[i], false, &r, NULL);
		if (!roster_found(req, rc, rc == DB_OK && scope_allows(req, "member.export", r.org_path), "党员不存在"))
			return false;
	}
	*out = ids;
	*n = k;
	return true;
}
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

static void export_before(void *job)
{
	export_sweep(((struct export_job *)job)->dir);
}

static const struct job_kind export_kind = {"member.export", run_export, export_job_free, export_before};

/* POST /members/exports (issue 20 #21): the member list's filters, xlsx or csv, masked
 * unless reveal=1 with pii.export and a purpose (S14). Records the job and starts it
 * once that has committed; 202 with the job. The file is written on the jobs worker in
 * one read transaction; GET /jobs/{id} shows its progress, POST /jobs/{id}/cancel stops
 * it, GET /jobs/{id}/file downloads it when done (its owner only, for a day). */
static void post_export(struct request *req)
{
	struct member_list_query q;
	bool csv, reveal;
	const char *purpose;
	if (!export_args(req, &q, &csv, &reveal, &purpose))
		return;
	const struct export_in *in = req->in;
	int64_t *ids;
	size_t nids;
	if (!export_ids(req, in->ids, &ids, &nids))
		return;
	/* the file says what it holds: 党员名册_<organization>_<date> (issue 20 #10) */
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
	struct date today = roster_today();
	char day[11];
	date_format(today, day);
	struct export_job *ej = calloc(1, sizeof *ej);
	struct arena *a = ej ? arena_new() : NULL;
	if (!a) {
		free(ej);
		req_fail(req, 500, "internal_error", "内存不足");
		return;
	}
	ej->a = a;
	member_query_copy(a, &q, &ej->q);
	if (nids) {
		ej->ids = arena_alloc(a, sizeof *ej->ids * nids);
		memcpy(ej->ids, ids, sizeof *ids * nids);
		ej->nids = nids;
	}
	ej->csv = csv;
	ej->reveal = reveal;
	ej->purpose = purpose ? arena_strdup(a, purpose) : NULL;
	ej->file_name = arena_printf(a, "党员名册_%s_%.4s%.2s%.2s.%s", org, day, day + 5, day + 8, csv ? "csv" : "xlsx");
	ej->owner = auth_user_id(req);
	ej->org_id = top_id;
	ej->today = today;
	const char *actor = NULL, *role = NULL;
	auth_actor(req, "member.export", &actor, &role, &ej->role_org);
	snprintf(ej->actor, sizeof ej->actor, "%s", actor ? actor : "");
	snprintf(ej->role, sizeof ej->role, "%s", role ? role : "");
	snprintf(ej->ip, sizeof ej->ip, "%s", req->ip ? req->ip : "");
	unsigned char r[16];
	randombytes_buf(r, sizeof r);
	sodium_bin2hex(ej->token, sizeof ej->token, r, sizeof r);
	config_work_dir(ej->dir, sizeof ej->dir);
	json_t *params = json_pack("{s:I, s:s, s:b, s:s, s:s}", "org_id", (json_int_t)top_id, "format", csv ? "csv" : "xlsx",
				   "masked", !reveal, "file", ej->token, "file_name", ej->file_name);
	job_submit(req, &export_kind, ej, &ej->started, ej->owner, top_id, params);
}

/* The caller's own job id (another user's, or none, answers 404), with its params. */
static json_t *own_job(struct request *req, int64_t id, json_t **params)
{
	int64_t owner, org;
	enum db_rc rc;
	json_t *job = jobs_get(req->db, id, &owner, &org, &rc);
	if (!job || owner != auth_user_id(req)) {
		json_decref(job);
		if (job || rc == DB_NOT_FOUND)
			req_fail(req, 404, "not_found", "任务不存在");
		else
			req_fail_db(req, rc);
		return NULL;
	}
	if (params && !(*params = jobs_params(req->db, id, &rc))) {
		json_decref(job);
		req_fail(req, 404, "not_found", "任务不存在");
		return NULL;
	}
	return job;
}

/* GET /jobs/{id}: the caller's own job, with its progress. */
static void get_job(struct request *req)
{
	int64_t id = req_param_id(req, "id");
	if (req_failed(req))
		return;
	json_t *job = own_job(req, id, NULL);
	if (job)
		req_reply_json(req, 200, job);
}

/* POST /jobs/{id}/cancel: an export stops (queued: never starts; running: at its next
 * page, its partial file removed); 409 once it has ended or for a job that can not be
 * cancelled (an import, whose batches commit as they go). Audited. */
static int cancel_local(struct request *req, void *ctx)
{
	(void)req;
	jobs_cancel_local(*(int64_t *)ctx);
	return DB_OK;
}

static void post_cancel(struct request *req)
{
	int64_t id = req_param_id(req, "id");
	if (req_failed(req))
		return;
	json_t *job = own_job(req, id, NULL);
	if (!job)
		return;
	bool exp = strcmp(json_string_value(json_object_get(job, "kind")), "member.export") == 0;
	json_decref(job);
	if (!exp) {
		req_fail(req, 409, "not_cancellable", "该任务不能取消");
		return;
	}
	enum db_rc rc = jobs_cancel(req->db, id);
	if (rc == DB_DONE) {
		req_fail(req, 409, "job_ended", "任务已结束，无法取消");
		return;
	}
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	struct audit_event ev = {"member.export_cancel", "job", id, 0, true, "取消导出任务"};
	if (audit_record(req, &ev) != 0)
		return;
	int64_t *slot = arena_alloc(req->arena, sizeof *slot);
	*slot = id;
	req_after_commit(req, cancel_local, slot);
	int64_t owner, org;
	req_reply_json(req, 200, jobs_get(req->db, id, &owner, &org, &rc));
}

/* GET /jobs/{id}/file: a done export's file, to its owner only (404 for anyone else,
 * 409 before it is done, 410 once it has been removed). Each download is audited. */
static void get_job_file(struct request *req)
{
	int64_t id = req_param_id(req, "id");
	if (req_failed(req))
		return;
	json_t *params = NULL;
	json_t *job = own_job(req, id, &params);
	if (!job)
		return;
	const char *kind = json_string_value(json_object_get(job, "kind"));
	const char *status = json_string_value(json_object_get(job, "status"));
	const char *stem = json_string_value(json_object_get(params, "file"));
	const char *fmt = json_string_value(json_object_get(params, "format"));
	const char *name = json_string_value(json_object_get(params, "file_name"));
	bool csv = fmt && strcmp(fmt, "csv") == 0;
	/* an import's file: its refused rows, annotated (issue 20 #9) */
	bool import = strcmp(kind, "member.import") == 0;
	if (import) {
		stem = json_object_get(json_object_get(job, "result"), "errors_file")
			       ? json_string_value(json_object_get(params, "errors_file"))
			       : NULL;
		name = json_string_value(json_object_get(params, "errors_file_name"));
		csv = false;
	}
	if ((!import && strcmp(kind, "member.export") != 0) || !stem || !name) {
		req_fail(req, 404, "not_found", "该任务没有文件");
	} else if (strcmp(status, "done") != 0) {
		req_fail(req, 409, "job_not_done", "导出尚未完成");
	} else {
		char dir[4096], path[4400];
		config_work_dir(dir, sizeof dir);
		snprintf(path, sizeof path, "%s/.exported-%lld-%s.%s", dir, (long long)id, stem, csv ? "csv" : "xlsx");
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		struct stat st;
		int64_t until = 0;
		const char *exp = json_string_value(json_object_get(json_object_get(job, "result"), "expires_at"));
		if (!exp || !date_parse_instant(exp, false, &until))
			until = 0;
		if (fd < 0 || fstat(fd, &st) != 0 || clock_now() > until) {
			if (fd >= 0)
				close(fd);
			req_fail(req, 410, "export_expired", "导出文件已过期删除，请重新导出");
		} else {
			struct audit_event ev = {"member.export_download", "job", id, 0, true,
						 arena_printf(req->arena, "下载导出文件（任务 %lld）", (long long)id)};
			if (audit_record(req, &ev) != 0) {
				close(fd);
			} else {
				json_t *res = json_object_get(job, "result");
				json_t *rows = json_object_get(res, "rows");
				if (json_is_integer(rows))
					req_add_header(req, "X-Row-Count",
						       arena_printf(req->arena, "%lld", (long long)json_integer_value(rows)));
				req->status = 200;
				req->out_fd = fd;
				req->out_fd_size = (uint64_t)st.st_size;
				req->out_type = csv ? "text/csv; charset=utf-8" : XLSX_TYPE;
				roster_attachment(req, arena_strdup(req->arena, name));
			}
		}
	}
	json_decref(params);
	json_decref(job);
}

static const struct route roster_io_routes[] = {
	{"POST", "/api/v1/members/import", post_import, "member.import", RF_RAW_BODY | RF_TX_WRITE, IMPORT_CAP,
	 "import members from .xlsx/.csv as a job", &import_in},
	{"POST", "/api/v1/members/import/preview", post_preview, "member.import", RF_RAW_BODY | RF_TX_READ, IMPORT_CAP,
	 "the header of an upload matched to the import's fields, for the column mapping", &preview_in},
	{"GET", "/api/v1/members/import/template.xlsx", get_template, "member.import", 0, 0, "the import template"},
	{"POST", "/api/v1/members/exports", post_export, "member.export", RF_TX_WRITE, 0,
	 "export members (xlsx/csv) as a job, audited", &export_in},
	{"GET", "/api/v1/jobs/{id}", get_job, PERM_SESSION, RF_TX_READ, 0, "a job of the caller, with progress"},
	{"POST", "/api/v1/jobs/{id}/cancel", post_cancel, PERM_SESSION, RF_TX_WRITE, 0, "cancel an export job of the caller"},
	/* the audit row of the download in the route's transaction, then the file */
	{"GET", "/api/v1/jobs/{id}/file", get_job_file, PERM_SESSION, RF_TX_WRITE, 0,
	 "the file of a finished export job of the caller"},
};
ROUTE_TABLE(roster_io);
