/* request.c: handler-side helpers over struct request; see request.h. */
#include "http/request.h"
#include "core/jsonw.h"
#include "core/arena.h"
#include "db/db.h"
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

const char *req_param(struct request *req, const char *name)
{
	for (int i = 0; i < req->match.nparams; i++)
		if (strcmp(req->match.params[i].name, name) == 0)
			return req->match.params[i].value;
	return NULL;
}

int64_t req_param_id(struct request *req, const char *name)
{
	const char *v = req_param(req, name);
	if (v && *v && strlen(v) <= 18 && strspn(v, "0123456789") == strlen(v) && v[0] != '0')
		return strtoll(v, NULL, 10);
	req_fail(req, 404, "not_found", "请求的对象不存在");
	return 0;
}

const char *req_query(struct request *req, const char *name)
{
	if (!req->conn)
		return NULL;
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *req_header(struct request *req, const char *name)
{
	if (!req->conn)
		return NULL;
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *req_cookie(struct request *req, const char *name)
{
	if (!req->conn)
		return NULL;
	return MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, name);
}

void req_fail(struct request *req, int status, const char *code, const char *detail)
{
	if (req->err.status)
		return;
	req->err.status = status;
	/* one code for a 500, whatever the caller said (DESIGN.md §6): clients and alerts
	 * match on it, and an internal reason belongs in the log, not the answer */
	req->err.code = status == 500 ? "internal_error" : code;
	req->err.detail = detail;
}

void req_field_error(struct request *req, const char *field, const char *code, const char *message)
{
	if (!req->err.status)
		req_fail(req, 400, "validation_failed", "提交的数据有误，请检查标出的字段");
	if (req->err.status != 400)
		return;
	if (!req->err.fields)
		req->err.fields = json_array();
	json_array_append_new(req->err.fields,
			      json_pack("{s:s, s:s, s:s}", "field", field, "code", code, "message", message));
}

bool req_failed(const struct request *req)
{
	return req->err.status != 0;
}

void req_fail_db(struct request *req, int rc)
{
	switch (rc) {
	case DB_BUSY:
		req_fail(req, 503, "db_busy", "系统繁忙，请稍后重试");
		req->err.retry_after = 1;
		break;
	case DB_FULL:
		req_fail(req, 507, "storage_full", "存储空间不足，暂时无法保存，请联系管理员");
		break;
	case DB_CONSTRAINT:
		req_fail(req, 409, "conflict", "数据与现有记录冲突");
		break;
	case DB_NOT_FOUND:
		req_fail(req, 404, "not_found", "请求的记录不存在");
		break;
	default:
		req_fail(req, 500, "internal_error", "服务器内部错误，请稍后重试");
		break;
	}
}

void req_reply_json(struct request *req, int status, json_t *body)
{
	if (req->out)
		json_decref(req->out);
	req->status = status;
	req->out = body;
}

void req_reply_list(struct request *req, json_t *items, const char *next_cursor, int64_t total)
{
	req_reply_json(req, 200, json_pack("{s:o, s:o, s:I}", "items", items, "next_cursor",
					   next_cursor ? json_string(next_cursor) : json_null(), "total", (json_int_t)total));
}

struct jsonw *req_list_begin(struct request *req, size_t hint)
{
	struct jsonw *w = arena_alloc(req->arena, sizeof *w);
	jw_init(w, req->arena, hint);
	jw_object(w);
	jw_key(w, "items");
	jw_array(w);
	return w;
}

void req_list_end(struct request *req, struct jsonw *w, const char *next_cursor, int64_t total)
{
	jw_array_end(w);
	jw_kstr(w, "next_cursor", next_cursor);
	jw_kint(w, "total", total);
	jw_object_end(w);
	if (req->out) {
		json_decref(req->out);
		req->out = NULL;
	}
	req_reply_raw(req, 200, "application/json", w->buf, w->len);
}

void req_list_end_page(struct request *req, struct jsonw *w, const char *next_cursor, int64_t total, int64_t page,
		       int64_t pages)
{
	jw_array_end(w);
	jw_kstr(w, "next_cursor", next_cursor);
	jw_kint(w, "total", total);
	jw_kint(w, "page", page);
	jw_kint(w, "pages", pages);
	jw_object_end(w);
	if (req->out) {
		json_decref(req->out);
		req->out = NULL;
	}
	req_reply_raw(req, 200, "application/json", w->buf, w->len);
}

void req_reply_raw(struct request *req, int status, const char *type, const char *data, size_t len)
{
	req->status = status;
	req->out_type = type;
	req->out_body = data;
	req->out_len = len;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t http_unescape(char *s)
{
	char *w = s;
	for (const char *r = s; *r;) {
		int hi, lo;
		if (r[0] == '%' && (hi = hexval(r[1])) >= 0 && (lo = hexval(r[2])) >= 0) {
			unsigned v = (unsigned)(hi * 16 + lo);
			*w++ = v ? (char)v : '\x01';
			r += 3;
		} else {
			*w++ = *r++;
		}
	}
	*w = 0;
	return (size_t)(w - s);
}

void req_offload(struct request *req, void (*work)(void *), void (*then)(struct request *, void *), void *ctx)
{
	req->offload.work = work;
	req->offload.then = then;
	req->offload.ctx = ctx;
	req->offload.state = 1;
}

void req_add_header(struct request *req, const char *name, const char *value)
{
	struct req_header *h = arena_alloc(req->arena, sizeof *h);
	h->name = arena_strdup(req->arena, name);
	h->value = arena_strdup(req->arena, value);
	h->next = req->headers;
	req->headers = h;
}

void req_add_header_static(struct request *req, const char *name, const char *value)
{
	struct req_header *h = arena_alloc_raw(req->arena, sizeof *h);
	h->name = name;
	h->value = value;
	h->next = req->headers;
	req->headers = h;
}

static void hook_add(struct request *req, struct req_hook **list, int (*fn)(struct request *req, void *ctx), void *ctx)
{
	struct req_hook *h = arena_alloc(req->arena, sizeof *h);
	h->fn = fn;
	h->ctx = ctx;
	h->next = NULL;
	struct req_hook **p = list;
	while (*p)
		p = &(*p)->next;
	*p = h;
}

void req_on_failure(struct request *req, int (*fn)(struct request *req, void *ctx), void *ctx)
{
	hook_add(req, &req->on_failure, fn, ctx);
}

void req_after_commit(struct request *req, int (*fn)(struct request *req, void *ctx), void *ctx)
{
	hook_add(req, &req->after_commit, fn, ctx);
}
