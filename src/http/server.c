/* server.c: libmicrohttpd glue, the per-request life cycle and the dispatcher.
 *
 * Life of a request: uri_log_cb (request created: arena, id, clock) → access_cb first
 * call (method, path, limits, route, early 413) → access_cb with body chunks (cap and
 * deadline enforced as they arrive) → access_cb final call: dispatch (origin, session,
 * permission, CSRF, JSON body, transaction, handler) and queue the response → the
 * completion callback (metrics, access log, free everything). Responses are queued on
 * the second call at the earliest, which keeps keep-alive working (DESIGN.md §10). */
#include "http/server.h"
#include "auth/auth.h"
#include "config.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/log.h"
#include "db/db.h"
#include "http/metrics.h"
#include "jobs/jobs.h"
#include "http/request.h"
#include "http/router.h"
#include "http/params.h"
#include "http/static.h"
#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <sys/resource.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static _Atomic uint64_t req_counter;
static uint32_t req_prefix;

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

static bool is_api_path(const char *path)
{
	return strncmp(path, "/api/", 5) == 0 || strcmp(path, "/api") == 0 || strncmp(path, "/open311/", 9) == 0 ||
	       strcmp(path, "/healthz") == 0 || strcmp(path, "/readyz") == 0 || strcmp(path, "/metrics") == 0;
}

static char *arena_copy_cb(void *ctx, const char *s, size_t n)
{
	return arena_strndup(ctx, s, n);
}

/* ---- dispatch ------------------------------------------------------------------ */

static void parse_json_body(struct request *req)
{
	if (!req->body_len)
		return;
	const char *ct = req_header(req, "Content-Type");
	if (ct && strncasecmp(ct, "application/json", 16) != 0 && strncasecmp(ct, "application/merge-patch+json", 28) != 0) {
		req_fail(req, 415, "unsupported_media_type", "请求体应为 JSON（Content-Type: application/json）");
		return;
	}
	json_error_t jerr;
	req->json = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!req->json) {
		if (json_error_code(&jerr) == json_error_invalid_utf8)
			req_field_error(req, "body", "invalid_utf8", "请求体包含无效的 UTF-8 字符");
		else if (json_error_code(&jerr) == json_error_duplicate_key)
			req_field_error(req, "body", "duplicate_key", "JSON 中有重复的字段");
		else
			req_field_error(req, "body", "invalid_json",
					arena_printf(req->arena, "JSON 格式错误（第 %d 行第 %d 列）", jerr.line, jerr.column));
	}
}

/* ---- the transaction contract (DESIGN.md §3) ---------------------------------------
 * The only place that begins, commits and rolls back a request's transaction. A route
 * declares none, RF_TX_READ or RF_TX_WRITE; the handler (and an offloaded request's
 * `then`) runs inside it; a failed request rolls back, then each req_on_failure
 * callback runs in a write transaction of its own. Handlers and models never call
 * db_tx_*: tools/codecheck refuses it outside src/db, src/http/server.c and src/cli. */

static bool tx_open(struct request *req)
{
	unsigned kind = req->route->flags & (RF_TX_READ | RF_TX_WRITE);
	if (!kind || db_in_tx(req->db))
		return true;
	int rc = db_tx_begin(req->db, kind == RF_TX_WRITE);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return false;
	}
	return true;
}

static void run_failure_hooks(struct request *req)
{
	for (struct req_hook *h = req->on_failure; h; h = h->next) {
		int rc = db_tx_begin(req->db, true);
		if (rc == DB_OK) {
			rc = h->fn(req, h->ctx);
			if (rc == DB_OK)
				rc = db_tx_commit(req->db);
			else
				db_tx_rollback(req->db);
		}
		if (rc != DB_OK) /* the request already failed: the answer stays, the log says */
			log_msg(LOG_ERROR, req->id, "recording a failed request's events: db rc %d", rc);
	}
	req->on_failure = NULL;
}

/* Commits when the request succeeded (a failed commit replaces the answer), rolls back
 * otherwise and then records its failure events; never leaves a transaction open. */
static void tx_close(struct request *req)
{
	if (!req->db)
		return;
	if (db_in_tx(req->db)) {
		if (req_failed(req)) {
			db_tx_rollback(req->db);
		} else {
			int rc = db_tx_commit(req->db);
			if (rc != DB_OK) {
				/* the change did not happen: say so, whatever the handler prepared */
				json_decref(req->out);
				req->out = NULL;
				req->out_body = NULL;
				req->err.status = 0;
				req_fail_db(req, rc);
			}
		}
	}
	if (req_failed(req) && req->on_failure)
		run_failure_hooks(req);
	assert(!db_in_tx(req->db));
}

/* The handler, or an offloaded request's continuation, inside the route's transaction. */
static void run_in_tx(struct request *req, void (*fn)(struct request *, void *), void *ctx)
{
	if (tx_open(req))
		fn(req, ctx);
	tx_close(req);
}

static void call_handler(struct request *req, void *unused)
{
	(void)unused;
	req->route->handler(req);
}

static void call_then(struct request *req, void *unused)
{
	(void)unused;
	req->offload.then(req, req->offload.ctx);
}

/* An offloaded request, back on an HTTP worker with its work done. */
static void run_offload_then(struct request *req)
{
	req->offload.state = 0;
	req->db = db_thread();
	if (!req->db) {
		req_fail(req, 503, "db_unavailable", "数据库暂不可用，请稍后重试");
		req->err.retry_after = 5;
		return;
	}
	run_in_tx(req, call_then, NULL);
	auth_after_tx(req);
}

static void run_checked(struct request *req, bool public_route, bool unsafe);

static void run_route(struct request *req)
{
	const struct route *r = req->route;
	bool unsafe = router_unsafe_method(req->method);
	bool public_route = strcmp(r->perm, PERM_PUBLIC) == 0;

	if (unsafe && !auth_check_origin(req))
		return;
	if (r->flags & (RF_TX_READ | RF_TX_WRITE) || !public_route) {
		req->db = db_thread();
		if (!req->db) {
			req_fail(req, 503, "db_unavailable", "数据库暂不可用，请稍后重试");
			req->err.retry_after = 5;
			return;
		}
	}
	/* a read route's transaction starts before the session check: each statement outside
	 * one takes and drops the WAL read lock by itself (bench/results.md) */
	if (r->flags & RF_TX_READ && !tx_open(req))
		return;
	run_checked(req, public_route, unsafe);
	if (req->db) {
		tx_close(req); /* refused before its handler ran, or already closed */
		auth_after_tx(req);
	}
}

static void run_checked(struct request *req, bool public_route, bool unsafe)
{
	const struct route *r = req->route;
	if (!public_route) {
		if (!auth_authenticate(req))
			return;
		if (strcmp(r->perm, PERM_SESSION) != 0 && !auth_has_permission(req, r->perm))
			return;
		if (unsafe && !(r->flags & RF_NO_CSRF) && !auth_check_csrf(req))
			return;
	}
	if (!(r->flags & RF_RAW_BODY)) {
		parse_json_body(req);
		if (req_failed(req))
			return;
	}
	if (r->in && !(req->in = params_parse(req, r->in, NULL, NULL)))
		return;
	/* an offloading handler's transaction ends here too, before its work runs */
	run_in_tx(req, call_handler, NULL);
}

void server_dispatch(struct request *req)
{
	if (!static_path_ok(req->path)) {
		req_fail(req, 400, "bad_path", "请求路径无效");
		return;
	}
	router_match(req->method, req->path, &req->match, arena_copy_cb, req->arena);
	req->route = req->match.route;
	if (req->route) {
		run_route(req);
		return;
	}
	if (is_api_path(req->path) || (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0)) {
		if (req->match.status == 405) {
			req_fail(req, 405, "method_not_allowed", "此地址不支持该请求方法");
			req->err.allow = arena_strdup(req->arena, req->match.allow);
		} else if (!is_api_path(req->path)) {
			req_fail(req, 405, "method_not_allowed", "此地址不支持该请求方法");
			req->err.allow = "GET, HEAD";
		} else {
			req_fail(req, 404, "not_found", "请求的地址不存在");
		}
		return;
	}
	static_serve(req);
}

/* ---- responses ----------------------------------------------------------------- */

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

static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct request *req = cls;
	long n = req->stream.read(req->stream.ctx, pos, buf, max);
	if (n < 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (n == 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	req->bytes_out += (unsigned long long)n;
	return n;
}

static void add_common_headers(struct request *req, struct MHD_Response *resp, bool api)
{
	MHD_add_response_header(resp, "X-Request-Id", req->id);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Content-Security-Policy",
				"default-src 'self'; img-src 'self' data: blob:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'");
	MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
	MHD_add_response_header(resp, "Permissions-Policy", "camera=(), microphone=(), geolocation=()");
	if (api && !req->no_store_off)
		MHD_add_response_header(resp, "Cache-Control", "no-store");
	for (struct req_header *h = req->headers; h; h = h->next)
		MHD_add_response_header(resp, h->name, h->value);
}

static enum MHD_Result queue(struct request *req)
{
	struct MHD_Response *resp = NULL;
	int status = req->status ? req->status : 200;
	const char *type = req->out_type;
	bool api = req->route || is_api_path(req->path ? req->path : "/");

	if (req->err.status) {
		if (req->out_fd >= 0) {
			close(req->out_fd);
			req->out_fd = -1;
		}
		if (req->stream.done) {
			req->stream.done(req->stream.ctx);
			req->stream.read = NULL;
			req->stream.done = NULL;
		}
		json_t *p = server_problem(req);
		char *text = json_dumps(p, JSON_COMPACT);
		json_decref(p);
		status = req->err.status;
		type = "application/problem+json";
		resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
		req->bytes_out = strlen(text);
		api = true;
	} else if (req->out_fd >= 0) {
		resp = MHD_create_response_from_fd64(req->out_fd_size, req->out_fd);
		if (!resp)
			close(req->out_fd);
		req->out_fd = -1; /* MHD closes it */
		req->bytes_out = req->out_fd_size;
	} else if (req->stream.read) {
		resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, stream_reader, req, NULL);
	} else if (req->out) {
		char *text = json_dumps(req->out, JSON_COMPACT | JSON_ENCODE_ANY);
		type = type ? type : "application/json";
		resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
		req->bytes_out = strlen(text);
	} else {
		resp = MHD_create_response_from_buffer(req->out_len, (void *)(req->out_body ? req->out_body : ""),
						       MHD_RESPMEM_PERSISTENT);
		req->bytes_out = req->out_len;
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
	enum MHD_Result rc = MHD_queue_response(req->conn, (unsigned)status, resp);
	MHD_destroy_response(resp);
	req->responded = rc == MHD_YES;
	return rc;
}

/* ---- slow-header deadline ----------------------------------------------------------
 * MHD's connection timeout measures inactivity only: a client sending one header byte
 * every few seconds would hold a connection for ever (slowloris, SECURITY.md R8). Every
 * connection is tracked from MHD's connect notification; while no request is being
 * processed on it (headers still arriving, or idle between keep-alive requests) the
 * main thread shuts its socket down once request_deadline has passed, and MHD then
 * closes it. The list lock is also held by the close notification, which MHD sends
 * before closing the socket, so a tracked descriptor is always still ours. */
struct conn_track {
	int fd;
	double phase_start; /* clock_mono_ms when the current header phase began */
	bool in_request;
	struct conn_track *prev, *next;
};

static pthread_mutex_t track_mu = PTHREAD_MUTEX_INITIALIZER;
static struct conn_track *tracked;

static void notify_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			      enum MHD_ConnectionNotificationCode code)
{
	(void)cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		struct conn_track *t = calloc(1, sizeof *t);
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (!t || !ci) {
			free(t);
			return;
		}
		t->fd = ci->connect_fd;
		t->phase_start = clock_mono_ms();
		pthread_mutex_lock(&track_mu);
		t->next = tracked;
		if (tracked)
			tracked->prev = t;
		tracked = t;
		pthread_mutex_unlock(&track_mu);
		*socket_context = t;
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
		struct conn_track *t = *socket_context;
		pthread_mutex_lock(&track_mu);
		if (t->prev)
			t->prev->next = t->next;
		else
			tracked = t->next;
		if (t->next)
			t->next->prev = t->prev;
		pthread_mutex_unlock(&track_mu);
		free(t);
		*socket_context = NULL;
	}
}

/* Marks the connection as processing a request (the body deadline then applies) or,
 * when it ends, as starting a new header phase. */
static void track_request(struct MHD_Connection *conn, bool in_request)
{
	const union MHD_ConnectionInfo *ci = conn ? MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT) : NULL;
	struct conn_track *t = ci ? ci->socket_context : NULL;
	if (!t)
		return;
	pthread_mutex_lock(&track_mu);
	t->in_request = in_request;
	t->phase_start = clock_mono_ms();
	pthread_mutex_unlock(&track_mu);
}

/* Shuts down connections whose headers did not arrive within the deadline. */
static void sweep_slow_headers(void)
{
	double limit = clock_mono_ms() - (double)cfg.request_deadline * 1000.0;
	int n = 0;
	pthread_mutex_lock(&track_mu);
	for (struct conn_track *t = tracked; t; t = t->next)
		if (!t->in_request && t->phase_start < limit && t->fd >= 0) {
			shutdown(t->fd, SHUT_RDWR);
			t->fd = -1; /* once */
			n++;
		}
	pthread_mutex_unlock(&track_mu);
	if (n)
		log_msg(LOG_INFO, NULL, "closed %d connection(s) whose request headers outlived the deadline", n);
}

/* ---- offload: CPU-heavy work off the HTTP workers ------------------------------- */

/* One thread runs the offloaded work (Argon2id) in arrival order: a worker that
 * hashed would stall every other connection it serves (bench/results.md, item 6), and
 * one hash at a time keeps a login storm to one core and one 19 MiB block. */
static pthread_mutex_t off_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t off_cv = PTHREAD_COND_INITIALIZER;
static struct request *off_head, *off_tail;
static bool off_started, off_stop;
static pthread_t off_thread;

static void *offload_main(void *unused)
{
	(void)unused;
	/* below the HTTP workers: on a busy box reads get the cores first, logins wait */
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), 10) != 0)
		log_msg(LOG_DEBUG, NULL, "offload thread keeps normal priority");
	for (;;) {
		pthread_mutex_lock(&off_mu);
		while (!off_head && !off_stop)
			pthread_cond_wait(&off_cv, &off_mu);
		if (!off_head) { /* stopping, and nothing left to do */
			pthread_mutex_unlock(&off_mu);
			return NULL;
		}
		struct request *req = off_head;
		off_head = req->offload.next;
		if (!off_head)
			off_tail = NULL;
		pthread_mutex_unlock(&off_mu);
		req->offload.work(req->offload.ctx);
		req->offload.state = 2;
		MHD_resume_connection(req->conn);
	}
	return NULL;
}

/* Suspends the request's connection and queues its work. False when the thread cannot
 * start (the work then runs here, as before). */
static bool offload_submit(struct request *req)
{
	pthread_mutex_lock(&off_mu);
	if (!off_started) {
		off_started = pthread_create(&off_thread, NULL, offload_main, NULL) == 0;
		if (!off_started) {
			pthread_mutex_unlock(&off_mu);
			return false;
		}
	}
	MHD_suspend_connection(req->conn);
	req->offload.next = NULL;
	if (off_tail)
		off_tail->offload.next = req;
	else
		off_head = req;
	off_tail = req;
	pthread_cond_signal(&off_cv);
	pthread_mutex_unlock(&off_mu);
	return true;
}

/* At shutdown, once no request is in flight: the thread ends after its queue. */
static void offload_stop(void)
{
	pthread_mutex_lock(&off_mu);
	bool started = off_started;
	off_stop = true;
	pthread_cond_broadcast(&off_cv);
	pthread_mutex_unlock(&off_mu);
	if (started)
		pthread_join(off_thread, NULL);
}

/* After the handler: a pending offload suspends instead of answering (returns true);
 * without the thread the work runs inline and the request finishes at once. */
static bool offload_pending(struct request *req)
{
	if (req->offload.state != 1 || req_failed(req))
		return false;
	if (offload_submit(req))
		return true;
	req->offload.work(req->offload.ctx);
	run_offload_then(req);
	return false;
}

/* ---- MHD callbacks -------------------------------------------------------------- */

/* A new request. (Not MHD's URI log callback: a request MHD refuses on its own
 * before the access handler would never reach the completion callback.) */
static struct request *request_new(const char *uri, struct MHD_Connection *conn)
{
	struct request *req = calloc(1, sizeof *req);
	if (!req)
		return NULL;
	req->arena = arena_new();
	req->conn = conn;
	req->out_fd = -1;
	req->t0 = clock_mono_ms();
	req->deadline = req->t0 + (double)cfg.request_deadline * 1000.0;
	req->uri_len = uri ? strlen(uri) : 0;
	uint64_t n = atomic_fetch_add(&req_counter, 1);
	/* a dash keeps digit runs short: an id never looks like a phone or ID number (S3) */
	snprintf(req->id, sizeof req->id, "%08x-%llx", req_prefix, (unsigned long long)n);
	req->in_flight_counted = true;
	metrics_inflight_add(1);
	return req;
}

static enum MHD_Result sum_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	size_t *total = cls;
	*total += strlen(key) + (value ? strlen(value) : 0) + 4;
	return MHD_YES;
}

static void client_address(struct request *req)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	char buf[INET6_ADDRSTRLEN] = "?";
	if (ci && ci->client_addr) {
		const struct sockaddr *sa = ci->client_addr;
		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, buf, sizeof buf);
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, buf, sizeof buf);
	}
	req->ip = arena_strdup(req->arena, buf);
	if (cfg.trusted_proxy[0] && strcmp(buf, cfg.trusted_proxy) == 0) {
		/* only the configured proxy may tell us who the client is and whether it used TLS */
		const char *xff = req_header(req, "X-Forwarded-For");
		if (xff && *xff) {
			const char *last = strrchr(xff, ',');
			last = last ? last + 1 : xff;
			while (*last == ' ')
				last++;
			unsigned char tmp[16];
			if (inet_pton(AF_INET, last, tmp) == 1 || inet_pton(AF_INET6, last, tmp) == 1)
				req->ip = arena_strdup(req->arena, last);
		}
		const char *proto = req_header(req, "X-Forwarded-Proto");
		req->tls = proto && strcasecmp(proto, "https") == 0;
	}
}

/* Request framing and header syntax that libmicrohttpd 0.9.75 accepts but a proxy in
 * front of us might read differently (SECURITY.md R11: request smuggling). */
struct framing {
	int content_length, transfer_encoding;
	bool te_chunked_only, bad_name, bad_value;
};

static bool is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static enum MHD_Result check_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	struct framing *f = cls;
	if (!*key)
		f->bad_name = true;
	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		if (!is_tchar(*p))
			f->bad_name = true;
	for (const unsigned char *p = (const unsigned char *)(value ? value : ""); *p; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			f->bad_value = true;
	if (strcasecmp(key, "Content-Length") == 0)
		f->content_length++;
	if (strcasecmp(key, "Transfer-Encoding") == 0) {
		f->transfer_encoding++;
		f->te_chunked_only = value && strcasecmp(value, "chunked") == 0;
	}
	return MHD_YES;
}

/* First call: everything that can be decided from the request line and headers. */
static void first_call(struct request *req, const char *url, const char *method)
{
	req->method = arena_strdup(req->arena, method);
	req->path = arena_strdup(req->arena, url);
	/* the request target's length: the decoded path and arguments are no longer than
	 * the raw one, so count them (MHD itself answers targets past its buffer) */
	MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, sum_header, &req->uri_len);
	client_address(req);
	if (req->uri_len > (size_t)cfg.max_uri) {
		req_fail(req, 414, "uri_too_long", "请求地址过长");
		return;
	}
	size_t hdr = 0;
	MHD_get_connection_values(req->conn, MHD_HEADER_KIND, sum_header, &hdr);
	if (hdr > (size_t)cfg.max_headers) {
		req_fail(req, 431, "headers_too_large", "请求头过大");
		return;
	}
	struct framing fr = {0};
	MHD_get_connection_values(req->conn, MHD_HEADER_KIND, check_header, &fr);
	if (fr.bad_name || fr.bad_value) {
		req_fail(req, 400, "bad_header", "请求头格式无效");
		return;
	}
	if (fr.content_length > 1 || fr.transfer_encoding > 1 || (fr.content_length && fr.transfer_encoding) ||
	    (fr.transfer_encoding && !fr.te_chunked_only)) {
		req_fail(req, 400, "bad_framing", "请求的长度信息有歧义");
		return;
	}
	if (!static_path_ok(req->path)) {
		req_fail(req, 400, "bad_path", "请求路径无效");
		return;
	}
	router_match(req->method, req->path, &req->match, arena_copy_cb, req->arena);
	req->route = req->match.route;
	size_t cap = req->route && req->route->body_cap ? req->route->body_cap : (size_t)cfg.body_cap;
	req->body_cap = cap;
	const char *cl = req_header(req, "Content-Length");
	if (cl) {
		char *end;
		errno = 0;
		unsigned long long n = strtoull(cl, &end, 10);
		if (errno || *end || n > cap) {
			req_fail(req, 413, "body_too_large", arena_printf(req->arena, "请求体不能超过 %zu 字节", cap));
			req->body_too_large = true;
		}
	}
}

static void limit_idle(struct request *req, double now)
{
	double left_s = (req->deadline - now) / 1000.0;
	unsigned idle = (unsigned)cfg.connection_timeout;
	if (left_s < (double)idle)
		idle = left_s < 1.0 ? 1u : (unsigned)left_s + 1u;
	MHD_set_connection_option(req->conn, MHD_CONNECTION_OPTION_TIMEOUT, idle);
}

/* How much of an oversized body is read and dropped so that the client still gets
 * its 413 (a client that keeps sending past this is cut off). */
static size_t discard_max(const struct request *req)
{
	return req->body_cap + 256 * 1024;
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				 const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	(void)cls;
	(void)version;
	struct request *req = *con_cls;
	if (!req) {
		req = request_new(url, conn);
		if (!req)
			return MHD_NO;
		*con_cls = req;
	}
	if (!req->method) {
		track_request(conn, true);
		first_call(req, url, method);
		limit_idle(req, req->t0);
		if (req_failed(req)) {
			req->close_conn = true;
			return queue(req); /* refuse before reading any body; the connection closes */
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		/* libmicrohttpd 0.9.75 refuses a response queued while the body is being
		 * received (only before the first byte of it or after its end): past the cap
		 * the rest is read and dropped, within a bound, and the 413 goes out when the
		 * body ends; past the bound or the deadline the connection is closed. */
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (req->responded || req->body_too_large) {
			req->body_discarded += n;
			return req->body_discarded > discard_max(req) ? MHD_NO : MHD_YES;
		}
		double now = clock_mono_ms();
		if (now > req->deadline) {
			req_fail(req, 408, "request_timeout", "请求超时");
			return MHD_NO; /* cannot answer mid-body: close; logged as 408 */
		}
		/* a body that stops arriving must not outlive the deadline either: shrink
		 * the inactivity timeout to what is left of it */
		limit_idle(req, now);
		if (req->body_len + n > req->body_cap) {
			req->body_too_large = true;
			req->body_discarded = req->body_len + n;
			free(req->body);
			req->body = NULL;
			req->body_len = 0;
			req_fail(req, 413, "body_too_large", arena_printf(req->arena, "请求体不能超过 %zu 字节", req->body_cap));
			req->close_conn = true;
			return req->body_discarded > discard_max(req) ? MHD_NO : MHD_YES;
		}
		char *nb = realloc(req->body, req->body_len + n + 1);
		if (!nb)
			return MHD_NO;
		memcpy(nb + req->body_len, upload_data, n);
		req->body = nb;
		req->body_len += n;
		req->body[req->body_len] = 0;
		return MHD_YES;
	}
	if (req->responded)
		return MHD_YES;
	if (req->offload.state == 1)
		return MHD_YES; /* suspended work still running */
	if (req->offload.state == 2) {
		/* resumed: finish on this worker with the offloaded result */
		run_offload_then(req);
		return queue(req);
	}
	if (!req_failed(req)) {
		if (clock_mono_ms() > req->deadline)
			req_fail(req, 408, "request_timeout", "请求超时");
		else if (req->route)
			run_route(req);
		else
			server_dispatch(req);
		if (offload_pending(req))
			return MHD_YES;
	}
	return queue(req);
}

/* The path of an unmatched request as it may be logged: runs of 6 or more digits
 * (an ID or phone number typed into a URL) become "#", so that no personal number
 * reaches the log (S3). Arena-owned. */
static const char *log_safe_path(struct arena *a, const char *path)
{
	if (!path)
		return NULL;
	size_t n = strlen(path);
	char *out = arena_alloc(a, n + 1);
	size_t w = 0;
	for (size_t i = 0; i < n;) {
		size_t run = 0;
		while (i + run < n && path[i + run] >= '0' && path[i + run] <= '9')
			run++;
		if (run >= 6) {
			out[w++] = '#';
			i += run;
		} else if (run) {
			memcpy(out + w, path + i, run);
			w += run;
			i += run;
		} else {
			out[w++] = path[i++];
		}
	}
	out[w] = 0;
	return out;
}

static void completed_cb(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	struct request *req = *con_cls;
	if (!req)
		return;
	if (conn) { /* the next request on this connection starts with the normal idle timeout */
		MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, (unsigned)cfg.connection_timeout);
		track_request(conn, false);
	}
	*con_cls = NULL;
	double ms = clock_mono_ms() - req->t0;
	/* 499: the client went away first; an error we could not send (the connection
	 * was cut) is logged with its own status */
	int status = req->responded ? req->status : req->err.status ? req->err.status : 499;
	if (req->method) {
		metrics_observe(req->route ? req->match.index : -1, status, ms);
		char user[24] = "";
		long long uid = req->session ? auth_user_id(req) : 0;
		if (uid)
			snprintf(user, sizeof user, "%lld", uid);
		struct log_access a = {
			.req_id = req->id,
			.method = req->method,
			.route = req->route ? req->route->pattern : NULL,
			.path = req->route ? NULL : log_safe_path(req->arena, req->path),
			.ip = req->ip,
			.user = uid ? user : NULL,
			.status = status,
			.ms = ms,
			.bytes = req->bytes_out,
		};
		log_access_line(&a);
		if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && req->responded)
			log_msg(LOG_DEBUG, req->id, "request ended early (%d)", (int)toe);
	}
	if (req->stream.done)
		req->stream.done(req->stream.ctx);
	if (req->out_fd >= 0)
		close(req->out_fd);
	json_decref(req->json);
	json_decref(req->out);
	json_decref(req->err.fields);
	free(req->body);
	arena_free(req->arena);
	if (req->in_flight_counted)
		metrics_inflight_add(-1);
	free(req);
}

/* Percent-decoding of the path and arguments (http_unescape in request.c). */
static size_t unescape_cb(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return http_unescape(s);
}

/* libmicrohttpd's own messages; the format comes from the library */
__attribute__((format(printf, 2, 0))) static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char msg[512];
	vsnprintf(msg, sizeof msg, fmt, ap);
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = 0;
	log_msg(LOG_DEBUG, NULL, "mhd: %s", msg);
}

int server_run(void)
{
	uint32_t r;
	randombytes_buf(&r, sizeof r);
	req_prefix = r;
	if (metrics_init(({
		    size_t n;
		    router_all(&n);
		    n;
	    })) != 0)
		return 1;

	struct sockaddr_in sin = {0};
	struct sockaddr_in6 sin6 = {0};
	const struct sockaddr *sa;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME;
	if (inet_pton(AF_INET, cfg.listen, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)cfg.port);
		sa = (const struct sockaddr *)&sin;
	} else if (inet_pton(AF_INET6, cfg.listen, &sin6.sin6_addr) == 1) {
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons((uint16_t)cfg.port);
		sa = (const struct sockaddr *)&sin6;
		flags |= MHD_USE_IPv6;
	} else {
		fprintf(stderr, "dangjian: listen address %s is not an IP address\n", cfg.listen);
		return 1;
	}
	long workers = cfg.workers > 0 ? (long)cfg.workers : sysconf(_SC_NPROCESSORS_ONLN);
	if (workers < 1)
		workers = 1;

	/* the signals are taken by this thread with sigwait; the workers never see them */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct MHD_Daemon *d = MHD_start_daemon(
		flags, 0, NULL, NULL, access_cb, NULL,
		MHD_OPTION_SOCK_ADDR, sa,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)workers,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg.connection_timeout,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg.connection_limit,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)cfg.per_ip_limit,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)cfg.conn_memory_limit,
		MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
		MHD_OPTION_NOTIFY_COMPLETED, completed_cb, NULL,
		MHD_OPTION_NOTIFY_CONNECTION, notify_connection, NULL,
		MHD_OPTION_UNESCAPE_CALLBACK, unescape_cb, NULL,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, NULL,
		MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "dangjian: cannot listen on %s port %lld\n", cfg.listen, (long long)cfg.port);
		return 1;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	unsigned port = info ? info->port : (unsigned)cfg.port;
	printf("dangjian: serving on http://%s:%u\n", cfg.listen, port);
	fflush(stdout);
	log_msg(LOG_INFO, NULL, "listening on %s:%u with %ld workers", cfg.listen, port, workers);

	for (;;) {
		struct timespec tick = {1, 0};
		int sig = sigtimedwait(&set, NULL, &tick);
		if (sig < 0) {
			if (errno == EAGAIN)
				sweep_slow_headers();
			continue;
		}
		if (sig == SIGHUP) {
			log_request_reopen();
			log_msg(LOG_INFO, NULL, "SIGHUP: log reopened");
			continue;
		}
		break;
	}
	log_msg(LOG_INFO, NULL, "stopping: no new connections, finishing %ld in flight", metrics_inflight());
	MHD_socket lfd = MHD_quiesce_daemon(d);
	if (lfd != MHD_INVALID_SOCKET)
		close(lfd);
	double until = clock_mono_ms() + (double)cfg.shutdown_grace * 1000.0;
	while (metrics_inflight() > 0 && clock_mono_ms() < until)
		usleep(20 * 1000);
	offload_stop();
	MHD_stop_daemon(d);
	/* long work (imports) finishes too, within what is left of the grace period; a job
	 * still running then keeps its connection: its transaction is rolled back by the
	 * next start, never half-applied */
	double left = (until - clock_mono_ms()) / 1000.0;
	if (!jobs_drain_for(left > 1 ? left : 1)) {
		log_msg(LOG_WARN, NULL, "stopping with a job still running; it will be marked failed at the next start");
		return 0;
	}
	db_close_all();
	log_msg(LOG_INFO, NULL, "stopped");
	return 0;
}
