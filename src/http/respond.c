/* respond.c: a finished request becomes an HTTP response: the problem+json of a failed
 * one (RFC 9457), the JSON, raw or file body of a successful one, and the
 * headers every response carries (DESIGN.md §6). What belongs here: rendering. What
 * does not: deciding the answer (dispatch.c and the handlers). */
#include "config.h"
#include "core/arena.h"
#include "core/clock.h"
#include "http/internal.h"
#include "http/request.h"
#include "http/server.h"
#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const status_titles[][2] = {
	{"400", "请求无效"},     {"401", "未登录或登录已过期"}, {"403", "无权访问"},
	{"404", "未找到"},       {"405", "不支持的请求方法"},   {"408", "请求超时"},
	{"409", "数据冲突"},     {"413", "请求体过大"},         {"414", "请求地址过长"},
	{"415", "不支持的内容类型"}, {"422", "无法处理的数据"}, {"423", "账户已锁定"},
	{"429", "请求过于频繁"}, {"431", "请求头过大"},         {"500", "服务器内部错误"},
	{"503", "服务暂不可用"}, {"507", "存储空间不足"},
};

static const char *status_title(int status)
{
	char s[8];
	snprintf(s, sizeof s, "%d", status);
	for (size_t i = 0; i < sizeof status_titles / sizeof status_titles[0]; i++)
		if (strcmp(status_titles[i][0], s) == 0)
			return status_titles[i][1];
	return "错误";
}

json_t *server_problem(struct request *req)
{
	json_t *p = json_object();
	json_object_set_new(p, "type", json_string(arena_printf(req->arena, "urn:dangjian:problem:%s", req->err.code)));
	json_object_set_new(p, "title", json_string(status_title(req->err.status)));
	json_object_set_new(p, "status", json_integer(req->err.status));
	json_object_set_new(p, "code", json_string(req->err.code));
	json_object_set_new(p, "detail", json_string(req->err.detail ? req->err.detail : status_title(req->err.status)));
	json_object_set_new(p, "instance", json_string(req->id));
	if (req->err.fields)
		json_object_set(p, "errors", req->err.fields);
	/* handlers may add problem members (existing_id of a conflict): merge them */
	if (json_is_object(req->out)) {
		const char *k;
		json_t *v;
		json_object_foreach(req->out, k, v)
		{
			if (!json_object_get(p, k))
				json_object_set(p, k, v);
		}
	}
	return p;
}

/* The Content-Security-Policy, built once: img-src also names the origin of the map
 * tiles (services_tiles, issue 18) when one is set, with a {s}-style subdomain label as
 * "*"; an origin with any other character than a host's is left out. */
static char csp[512];
static pthread_once_t csp_once = PTHREAD_ONCE_INIT;

static void csp_build(void)
{
	char origin[200] = "";
	const char *t = cfg.services_tiles ? cfg.services_tiles : "";
	const char *host = strncmp(t, "https://", 8) == 0 ? t + 8 : strncmp(t, "http://", 7) == 0 ? t + 7 : NULL;
	if (host) {
		size_t n = strcspn(host, "/?#"), scheme = (size_t)(host - t), o = scheme;
		bool ok = n > 0 && scheme + n < sizeof origin - 4;
		if (ok)
			memcpy(origin, t, scheme);
		/* label by label: one with a template ({s}, {0-7}) is any subdomain, "*" */
		for (size_t i = 0; ok && i < n;) {
			size_t len = 0;
			while (i + len < n && host[i + len] != '.')
				len++;
			const char *label = host + i;
			if (memchr(label, '{', len)) {
				ok = i == 0; /* CSP allows the wildcard leftmost only */
				origin[o++] = '*';
			} else {
				for (size_t k = 0; k < len && ok; k++) {
					char c = label[k];
					ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
					     c == ':';
					origin[o++] = c;
				}
				ok = ok && len > 0;
			}
			i += len;
			if (i < n)
				origin[o++] = host[i++]; /* the dot */
		}
		origin[ok ? o : 0] = 0;
	}
	snprintf(csp, sizeof csp,
		 "default-src 'self'; img-src 'self' data: blob:%s%s; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
		 origin[0] ? " " : "", origin);
}

static void add_common_headers(struct request *req, struct MHD_Response *resp, bool api)
{
	pthread_once(&csp_once, csp_build);
	MHD_add_response_header(resp, "X-Request-Id", req->id);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Content-Security-Policy", csp);
	MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
	/* geolocation for this origin only: the residents' service page offers "use my location" */
	MHD_add_response_header(resp, "Permissions-Policy", "camera=(), microphone=(), geolocation=(self)");
	if (api && !req->no_store_off)
		MHD_add_response_header(resp, "Cache-Control", "no-store");
	for (struct req_header *h = req->headers; h; h = h->next)
		MHD_add_response_header(resp, h->name, h->value);
}

/* The problem document of a failed request; whatever reply was prepared is dropped. */
static struct MHD_Response *problem_response(struct request *req)
{
	if (req->out_fd >= 0) {
		close(req->out_fd);
		req->out_fd = -1;
	}
	json_t *p = server_problem(req);
	char *text = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	req->bytes_out = strlen(text);
	return MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
}

/* The body of a successful request: a file, JSON or raw bytes. */
static struct MHD_Response *reply_response(struct request *req, const char **type)
{
	struct MHD_Response *resp;
	if (req->out_fd >= 0) {
		resp = MHD_create_response_from_fd64(req->out_fd_size, req->out_fd);
		if (!resp)
			close(req->out_fd);
		req->out_fd = -1; /* MHD closes it */
		req->bytes_out = req->out_fd_size;
	} else if (req->out) {
		char *text = json_dumps(req->out, JSON_COMPACT | JSON_ENCODE_ANY);
		*type = *type ? *type : "application/json";
		resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
		req->bytes_out = strlen(text);
	} else {
		resp = MHD_create_response_from_buffer(req->out_len, (void *)(req->out_body ? req->out_body : ""),
						       MHD_RESPMEM_PERSISTENT);
		req->bytes_out = req->out_len;
	}
	return resp;
}

enum MHD_Result respond_queue(struct request *req)
{
	struct MHD_Response *resp;
	int status = req->status ? req->status : 200;
	const char *type = req->out_type;
	bool api = req->route || http_is_api_path(req->path ? req->path : "/");

	if (req->err.status) {
		resp = problem_response(req);
		status = req->err.status;
		type = "application/problem+json";
		api = true;
	} else {
		resp = reply_response(req, &type);
	}
	if (!resp)
		return MHD_NO;
	req->status = status;
	if (type)
		MHD_add_response_header(resp, "Content-Type", type);
	add_common_headers(req, resp, api);
	if (req->err.retry_after) {
		char ra[16];
		snprintf(ra, sizeof ra, "%d", req->err.retry_after);
		MHD_add_response_header(resp, "Retry-After", ra);
	}
	if (req->err.allow)
		MHD_add_response_header(resp, "Allow", req->err.allow);
	if (req->close_conn)
		MHD_add_response_header(resp, "Connection", "close");
	if (api && cfg.server_timing) {
		/* the server's time for this answer (W3C Server-Timing), measured as the access
		 * log's ms is, from the request's arrival (req->t0), to here: queued, after any
		 * commit; the bench reads it for its "server time" figures (issues 15, 18) */
		char st[40];
		snprintf(st, sizeof st, "app;dur=%.1f", clock_mono_ms() - req->t0);
		MHD_add_response_header(resp, "Server-Timing", st);
	}
	enum MHD_Result rc = MHD_queue_response(req->conn, (unsigned)status, resp);
	MHD_destroy_response(resp);
	req->responded = rc == MHD_YES;
	return rc;
}
