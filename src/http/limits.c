/* limits.c: connection tracking and the limits decided from a request's head: the
 * request target's length (414), header bytes (431), header syntax and framing (400),
 * and the header deadline that MHD's inactivity timeout does not give (slowloris). What
 * belongs here: refusing a request or a connection for its size, shape or slowness.
 * What does not: who may send it (dispatch.c) and its body (body.c). */
#include "auth/auth.h"
#include "config.h"
#include "core/clock.h"
#include "core/log.h"
#include "http/internal.h"
#include "http/request.h"
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

static enum MHD_Result sum_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	size_t *total = cls;
	*total += strlen(key) + (value ? strlen(value) : 0) + 4;
	return MHD_YES;
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

void limits_check_head(struct request *req)
{
	/* the request target's length: the decoded path and arguments are no longer than
	 * the raw one, so count them (MHD itself answers targets past its buffer) */
	MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, sum_header, &req->uri_len);
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
	/* written by the connection's worker without the list lock (twice a request: a
	 * mutex shared by every worker, issue 21 #4), read by the sweep under it */
	_Atomic double phase_start; /* clock_mono_ms when the current header phase began */
	_Atomic bool in_request;
	struct conn_track *prev, *next;
};

static pthread_mutex_t track_mu = PTHREAD_MUTEX_INITIALIZER;
static struct conn_track *tracked;

static void track_add(struct MHD_Connection *conn, void **socket_context)
{
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
}

static void track_remove(struct conn_track *t)
{
	pthread_mutex_lock(&track_mu);
	if (t->prev)
		t->prev->next = t->next;
	else
		tracked = t->next;
	if (t->next)
		t->next->prev = t->prev;
	pthread_mutex_unlock(&track_mu);
	free(t);
}

void limits_notify_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			      enum MHD_ConnectionNotificationCode code)
{
	(void)cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		track_add(conn, socket_context);
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
		track_remove(*socket_context);
		*socket_context = NULL;
	}
}

void limits_track_request(struct MHD_Connection *conn, bool in_request)
{
	const union MHD_ConnectionInfo *ci = conn ? MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT) : NULL;
	struct conn_track *t = ci ? ci->socket_context : NULL;
	if (!t)
		return;
	/* the record is freed only by the close notification, on this same worker */
	atomic_store_explicit(&t->phase_start, clock_mono_ms(), memory_order_relaxed);
	atomic_store_explicit(&t->in_request, in_request, memory_order_release);
}

void limits_sweep_slow_headers(void)
{
	double limit = clock_mono_ms() - (double)cfg.request_deadline * 1000.0;
	int n = 0;
	pthread_mutex_lock(&track_mu);
	for (struct conn_track *t = tracked; t; t = t->next)
		if (!atomic_load_explicit(&t->in_request, memory_order_acquire) &&
		    atomic_load_explicit(&t->phase_start, memory_order_relaxed) < limit && t->fd >= 0) {
			shutdown(t->fd, SHUT_RDWR);
			t->fd = -1; /* once */
			n++;
		}
	pthread_mutex_unlock(&track_mu);
	if (n)
		log_msg(LOG_INFO, NULL, "closed %d connection(s) whose request headers outlived the deadline", n);
}

/* ---- bytes in flight ---------------------------------------------------------------
 * Body bytes being received or held by requests, per owner (the signed-in user, or
 * the client address before sign-in) and in total, so that neither one account nor
 * everyone together can fill the disk or memory with uploads (SECURITY.md S17). A body
 * with a Content-Length is counted whole at its first call, before a byte is read; a
 * chunked one as it arrives. Released when the request ends. The owners with bytes in
 * flight are few (one per upload): a list under one lock is enough. */
struct inflight_owner {
	char key[64];
	uint64_t bytes;
	struct inflight_owner *next;
};

static pthread_mutex_t inflight_mu = PTHREAD_MUTEX_INITIALIZER;
static struct inflight_owner *owners;
static uint64_t inflight_total;

static struct inflight_owner **owner_slot(const char *key)
{
	struct inflight_owner **p = &owners;
	while (*p && strcmp((*p)->key, key) != 0)
		p = &(*p)->next;
	return p;
}

bool limits_body_reserve(struct request *req, uint64_t n)
{
	if (!req->intake.key[0]) {
		long long uid = req->session ? auth_user_id(req) : 0;
		if (uid)
			snprintf(req->intake.key, sizeof req->intake.key, "u:%lld", uid);
		else
			snprintf(req->intake.key, sizeof req->intake.key, "ip:%s", req->ip ? req->ip : "?");
	}
	pthread_mutex_lock(&inflight_mu);
	struct inflight_owner **slot = owner_slot(req->intake.key);
	uint64_t mine = *slot ? (*slot)->bytes : 0;
	int refuse = 0;
	if (inflight_total + n > (uint64_t)cfg.body_inflight_total)
		refuse = 503;
	else if (mine + n > (uint64_t)cfg.body_inflight_user)
		refuse = 429;
	else if (!*slot && !(*slot = calloc(1, sizeof **slot)))
		refuse = 503;
	if (!refuse) {
		if (!(*slot)->key[0])
			snprintf((*slot)->key, sizeof (*slot)->key, "%s", req->intake.key);
		(*slot)->bytes += n;
		inflight_total += n;
		req->intake.reserved += n;
	}
	pthread_mutex_unlock(&inflight_mu);
	if (refuse == 429) {
		req_fail(req, 429, "uploads_in_flight", "您同时上传的数据过多，请等当前上传完成后再试");
		req->err.retry_after = 5;
	} else if (refuse == 503) {
		req_fail(req, 503, "server_busy", "服务器正在接收的数据过多，请稍后重试");
		req->err.retry_after = 5;
	}
	return !refuse;
}

void limits_body_release(struct request *req)
{
	if (!req->intake.reserved)
		return;
	pthread_mutex_lock(&inflight_mu);
	struct inflight_owner **slot = owner_slot(req->intake.key);
	if (*slot) {
		(*slot)->bytes -= req->intake.reserved;
		if (!(*slot)->bytes) {
			struct inflight_owner *o = *slot;
			*slot = o->next;
			free(o);
		}
	}
	inflight_total -= req->intake.reserved;
	pthread_mutex_unlock(&inflight_mu);
	req->intake.reserved = 0;
}

uint64_t limits_body_inflight(void)
{
	pthread_mutex_lock(&inflight_mu);
	uint64_t n = inflight_total;
	pthread_mutex_unlock(&inflight_mu);
	return n;
}
