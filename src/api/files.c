/* files.c: the files store's routes (api/files.h; docs/api-contract.md "Files"). Upload
 * (up to 20 MiB, judged by its bytes: JPEG, PNG, WebP, PDF, DOCX, XLSX, else 415;
 * photos stripped of location and other metadata and thumbnailed off the HTTP worker),
 * list an owner's files, a file's record, its content and thumbnail (the stored type,
 * with respond.c's nosniff, and Content-Disposition), delete. Every call goes through the owner record's
 * organization: a file or owner outside the caller's scope answers 404 as a missing one
 * does. The "org" kind (an organization's own documents) is declared here; the other
 * kinds in their capabilities' files. */
#include "api/files.h"
#include "api/roster_util.h"
#include "auth/audit.h"
#include "auth/auth.h"
#include "auth/scope.h"
#include "config.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/image.h"
#include "http/params.h"
#include "model/file.h"
#include "model/org.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FILE_CAP (20u << 20)

const struct file_owner *file_owner_find(const char *s)
{
	for (size_t i = 0; s && file_owners[i]; i++)
		if (strcmp(file_owners[i]->kind, s) == 0)
			return file_owners[i];
	return NULL;
}

/* An organization's own documents (换届批复, 成立批复, …): the organization is the owner. */
static enum db_rc org_file_owner(struct db *db, struct arena *a, int64_t id, int64_t *org_id, const char **org_path,
				 bool *locked)
{
	struct org_rec o;
	enum db_rc rc = org_get(db, a, id, &o);
	if (rc != DB_OK)
		return rc;
	*org_id = o.id;
	*org_path = o.path;
	*locked = false;
	return DB_OK;
}
FILE_OWNER(org, "org.read", "file.write", org_file_owner);

/* The owner record (kind, id) when the caller's scope covers its organization for perm
 * (the kind's read or write permission); otherwise 404 (or the database's error). */
static bool owner_in_scope(struct request *req, const struct file_owner *k, int64_t id, bool write, int64_t *org_id,
			   bool *locked)
{
	const char *path = NULL;
	enum db_rc rc = k->find(req->db, req->arena, id, org_id, &path, locked);
	if (rc == DB_OK && scope_allows(req, write ? k->write_perm : k->read_perm, path))
		return true;
	if (rc == DB_OK || rc == DB_NOT_FOUND)
		req_fail(req, 404, "not_found", "附件所属的记录不存在");
	else
		req_fail_db(req, rc);
	return false;
}

/* The file {id} when the caller may see (or, write, change) it; else 404. */
static bool file_in_scope(struct request *req, bool write, struct file_rec *f, bool *locked)
{
	int64_t id = req_param_id(req, "id");
	if (req_failed(req))
		return false;
	enum db_rc rc = file_get(req->db, req->arena, id, f);
	const struct file_owner *k = rc == DB_OK ? file_owner_find(f->owner_kind) : NULL;
	int64_t org;
	if (rc == DB_OK && k) {
		if (!owner_in_scope(req, k, f->owner_id, write, &org, locked)) {
			req->err.status = 0;
			req_fail(req, 404, "not_found", "附件不存在");
			return false;
		}
		return true;
	}
	if (rc == DB_OK || rc == DB_NOT_FOUND)
		req_fail(req, 404, "not_found", "附件不存在");
	else
		req_fail_db(req, rc);
	return false;
}

static bool kind_ok(const char *v)
{
	return file_owner_find(v) != NULL;
}

struct upload_in {
	const char *owner_kind, *name;
	int64_t owner_id;
};
static const struct param upload_params[] = {
	{PARAM_F_(struct upload_in, owner_kind, "owner_kind", PARAM_T_CHECK, PARAM_REQUIRED), .check = kind_ok,
	 .message = "附件所属记录的类别无效"},
	{PARAM_F_(struct upload_in, owner_id, "owner_id", PARAM_T_ID, PARAM_REQUIRED), .message = "附件所属记录编号无效"},
	PARAM_STR(struct upload_in, name, 120),
};
static const struct params upload_in = PARAMS(struct upload_in, upload_params);

/* An upload between the handler and its continuation (arena-owned; the buffers of out
 * are malloc'd and freed by the continuation or, when it does not run, the failure hook). */
struct upload {
	const struct file_owner *kind;
	int64_t owner_id;
	const char *name;
	struct image_upload img; /* the bytes; a photo's stripped copy, its thumbnail on a thread */
};

/* On the offload thread: what the bytes are, and a photo's stripped copy; its decode
 * and thumbnail run on a thread of their own while upload_then writes the stripped
 * bytes (the two cores work at once: issue 15's upload time). */
static void upload_work(void *ctx)
{
	image_upload_start(&((struct upload *)ctx)->img);
}

static int upload_drop(struct request *req, void *ctx)
{
	(void)req;
	image_upload_done(&((struct upload *)ctx)->img);
	return DB_OK;
}

/* A photo that could not be prepared: the answer (false when rc is IMAGE_OK). */
static bool photo_failed(struct request *req, enum image_rc rc)
{
	if (rc == IMAGE_OK)
		return false;
	if (rc == IMAGE_NOMEM)
		req_fail(req, 500, "internal_error", "服务器内部错误，请稍后重试");
	else if (rc == IMAGE_TOO_BIG)
		req_fail(req, 415, "image_too_large", "图片像素过多（超过5000万像素），请缩小后上传");
	else
		req_fail(req, 415, "unsupported_file_type", "图片文件已损坏，无法识别");
	return true;
}

/* The stored name: the caller's (path parts and control characters removed), with the
 * extension of the type the bytes are; "附件" when none was given. */
static const char *stored_name(struct request *req, const char *name, enum file_type t)
{
	const char *base = name ? name : "附件";
	const char *slash = strrchr(base, '/'), *bslash = strrchr(base, '\\');
	if (slash)
		base = slash + 1;
	if (bslash && bslash + 1 > base)
		base = bslash + 1;
	char *s = arena_strdup(req->arena, *base ? base : "附件");
	for (char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == '"' || *p == 0x7f)
			*p = '_';
	const char *ext = image_ext(t), *dot = strrchr(s, '.');
	if (dot && strcasecmp(dot, ext) == 0)
		return s;
	if (t == FILE_T_JPEG && dot && strcasecmp(dot, ".jpeg") == 0)
		return s;
	return arena_printf(req->arena, "%s%s", s, ext);
}

static void quota_fail(struct request *req)
{
	req_fail(req, 409, "quota_exceeded",
		 arena_printf(req->arena, "本组织的附件存储空间已满（上限 %lld MB），请删除不需要的附件后再上传",
			      (long long)(cfg.file_quota_kib / 1024)));
}

/* Back on an HTTP worker, in the route's write transaction: the owner again (it may have
 * changed meanwhile), the quota, the rows, the audit. */
static void upload_then(struct request *req, void *ctx)
{
	struct upload *u = ctx;
	if (u->img.type == FILE_T_NONE) {
		req_fail(req, 415, "unsupported_file_type",
			 "文件类型不受支持：只能上传 JPEG、PNG、WebP 图片，PDF，Word（.docx）或 Excel（.xlsx）文件");
		goto out;
	}
	if (image_is_photo(u->img.type) && photo_failed(req, u->img.rc))
		goto out;
	int64_t org_id;
	bool locked;
	if (!owner_in_scope(req, u->kind, u->owner_id, true, &org_id, &locked))
		goto out;
	if (locked) {
		req_fail(req, 409, "record_locked", "该记录已审核通过并锁定，不能再添加附件");
		goto out;
	}
	const unsigned char *data = u->img.out.out ? u->img.out.out : u->img.body;
	size_t len = u->img.out.out ? u->img.out.out_len : u->img.len;
	int64_t used = 0;
	enum db_rc rc = file_org_usage(req->db, org_id, &used);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		goto out;
	}
	if (used + (int64_t)len > cfg.file_quota_kib * 1024) {
		quota_fail(req);
		goto out;
	}
	struct file_rec f = {
		.org_id = org_id,
		.owner_kind = u->kind->kind,
		.owner_id = u->owner_id,
		.name = stored_name(req, u->name, u->img.type),
		.content_type = image_mime(u->img.type),
		.created_by = auth_user_id(req),
		.created_at = clock_now(),
	};
	/* the stripped bytes go in while the thumbnail is being made; then the thumbnail */
	rc = file_insert_content(req->db, &f, data, len);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		goto out;
	}
	if (image_is_photo(u->img.type)) {
		if (photo_failed(req, image_thumb_wait(&u->img.thumb)))
			goto out; /* rolled back: nothing stored */
		if (used + (int64_t)len + (int64_t)u->img.out.thumb_len > cfg.file_quota_kib * 1024) {
			quota_fail(req);
			goto out;
		}
		f.width = u->img.out.width;
		f.height = u->img.out.height;
		rc = file_insert_thumb(req->db, &f, u->img.out.thumb, u->img.out.thumb_len);
		if (rc != DB_OK) {
			req_fail_db(req, rc);
			goto out;
		}
	}
	struct audit_event ev = {"file.upload", "file", f.id, org_id, true,
				 arena_printf(req->arena, "上传附件 %s（%s %lld 字节）", f.name, u->kind->kind, (long long)f.size)};
	if (audit_record(req, &ev) != 0)
		goto out;
	req_reply_json(req, 201, file_json(&f));
out:
	image_upload_done(&u->img);
}

/* POST /files: the owner is checked here (a foreign one answers 404 before any work),
 * the bytes are judged and prepared on the offload thread, and stored by upload_then. */
static void post_file(struct request *req)
{
	const struct upload_in *in = req->in;
	const struct file_owner *k = file_owner_find(in->owner_kind);
	int64_t org_id;
	bool locked;
	if (!owner_in_scope(req, k, in->owner_id, true, &org_id, &locked))
		return;
	if (locked) {
		req_fail(req, 409, "record_locked", "该记录已审核通过并锁定，不能再添加附件");
		return;
	}
	if (req->body_len == 0) {
		req_field_error(req, "body", "required", "请选择要上传的文件");
		return;
	}
	struct upload *u = arena_alloc(req->arena, sizeof *u);
	*u = (struct upload){.kind = k, .owner_id = in->owner_id, .name = in->name,
			     .img = {.body = (const unsigned char *)req->body, .len = req->body_len}};
	req_on_failure(req, upload_drop, u);
	req_offload(req, upload_work, upload_then, u);
}

struct list_in {
	const char *owner_kind;
	int64_t owner_id;
};
static const struct param list_params[] = {
	{PARAM_F_(struct list_in, owner_kind, "owner_kind", PARAM_T_CHECK, PARAM_REQUIRED), .check = kind_ok,
	 .message = "附件所属记录的类别无效"},
	{PARAM_F_(struct list_in, owner_id, "owner_id", PARAM_T_ID, PARAM_REQUIRED), .message = "附件所属记录编号无效"},
};
static const struct params list_in = PARAMS(struct list_in, list_params);

static void get_files(struct request *req)
{
	const struct list_in *in = req->in;
	int64_t org_id;
	bool locked;
	if (!owner_in_scope(req, file_owner_find(in->owner_kind), in->owner_id, false, &org_id, &locked))
		return;
	json_t *items = json_array();
	enum db_rc rc = file_list_owner(req->db, req->arena, in->owner_kind, in->owner_id, items);
	if (rc != DB_OK) {
		json_decref(items);
		req_fail_db(req, rc);
		return;
	}
	req_reply_list(req, items, NULL, (int64_t)json_array_size(items));
}

static void get_file(struct request *req)
{
	struct file_rec f;
	bool locked;
	if (!file_in_scope(req, false, &f, &locked))
		return;
	req_reply_json(req, 200, file_json(&f));
}

static bool write_fd(void *ctx, const void *p, size_t n)
{
	int fd = *(int *)ctx;
	const char *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		c += w;
		n -= (size_t)w;
	}
	return true;
}

/* Content-Disposition for name: inline for photos (shown in <img>), attachment for the
 * rest; RFC 6266 with an ASCII fallback and the UTF-8 name in filename*. */
static void disposition(struct request *req, const char *name, bool inline_)
{
	char enc[512];
	size_t k = 0;
	for (const unsigned char *p = (const unsigned char *)name; *p && k + 4 < sizeof enc; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
		    *p == '-' || *p == '_')
			enc[k++] = (char)*p;
		else {
			snprintf(enc + k, sizeof enc - k, "%%%02X", *p);
			k += 3;
		}
	}
	enc[k] = 0;
	const char *dot = strrchr(name, '.');
	req_add_header(req, "Content-Disposition",
		       arena_printf(req->arena, "%s; filename=\"file%s\"; filename*=UTF-8''%s",
				    inline_ ? "inline" : "attachment", dot ? dot : "", enc));
}

/* The content, written from its chunks to an unlinked temporary file that the server
 * then sends (a 20 MiB file costs disk for the moment, not memory). */
static void get_content(struct request *req)
{
	struct file_rec f;
	bool locked;
	if (!file_in_scope(req, false, &f, &locked))
		return;
	char *path = roster_tmpfile(req, ".file");
	if (!path)
		return;
	int fd = open(path, O_RDWR | O_CLOEXEC);
	unlink(path);
	if (fd < 0) {
		req_fail(req, 500, "internal_error", "无法读取附件");
		return;
	}
	enum db_rc rc = file_read(req->db, f.id, FILE_PART_CONTENT, write_fd, &fd);
	if (rc != DB_OK || lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		req_fail_db(req, rc == DB_OK ? DB_ERROR : rc);
		return;
	}
	req->status = 200;
	req->out_fd = fd;
	req->out_fd_size = (uint64_t)f.size;
	req->out_type = f.content_type;
	disposition(req, f.name, strncmp(f.content_type, "image/", 6) == 0);
}

struct membuf {
	struct arena *a;
	char *p;
	size_t len, cap;
};

static bool put_mem(void *ctx, const void *p, size_t n)
{
	struct membuf *m = ctx;
	if (m->len + n > m->cap)
		return false;
	memcpy(m->p + m->len, p, n);
	m->len += n;
	return true;
}

static void get_thumb(struct request *req)
{
	struct file_rec f;
	bool locked;
	if (!file_in_scope(req, false, &f, &locked))
		return;
	if (f.thumb_size <= 0) {
		req_fail(req, 404, "not_found", "该附件没有缩略图");
		return;
	}
	struct membuf m = {req->arena, arena_alloc_raw(req->arena, (size_t)f.thumb_size), 0, (size_t)f.thumb_size};
	enum db_rc rc = file_read(req->db, f.id, FILE_PART_THUMB, put_mem, &m);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	disposition(req, "thumb.jpg", true);
	req_reply_raw(req, 200, "image/jpeg", m.p, m.len);
}

static void delete_file(struct request *req)
{
	struct file_rec f;
	bool locked;
	if (!file_in_scope(req, true, &f, &locked))
		return;
	if (locked) {
		req_fail(req, 409, "record_locked", "该记录已审核通过并锁定，附件不能删除");
		return;
	}
	enum db_rc rc = file_delete(req->db, f.id);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	struct audit_event ev = {"file.delete", "file", f.id, f.org_id, true,
				 arena_printf(req->arena, "删除附件 %s", f.name)};
	if (audit_record(req, &ev) != 0)
		return;
	req_reply_json(req, 204, NULL);
}

static const struct route files_routes[] = {
	{"POST", "/api/v1/files", post_file, "file.write", RF_RAW_BODY | RF_TX_WRITE, FILE_CAP,
	 "upload a file to a record (?owner_kind=&owner_id=&name=; JPEG/PNG/WebP/PDF/DOCX/XLSX ≤ 20 MiB)", &upload_in},
	{"GET", "/api/v1/files", get_files, "file.read", RF_TX_READ, 0, "the files of a record", &list_in},
	{"GET", "/api/v1/files/{id}", get_file, "file.read", RF_TX_READ, 0, "one file's record"},
	{"GET", "/api/v1/files/{id}/content", get_content, "file.read", RF_TX_READ, 0, "a file's bytes"},
	{"GET", "/api/v1/files/{id}/thumb", get_thumb, "file.read", RF_TX_READ, 0, "a photo's JPEG thumbnail"},
	{"DELETE", "/api/v1/files/{id}", delete_file, "file.write", RF_TX_WRITE, 0, "delete a file"},
};
ROUTE_TABLE(files);
