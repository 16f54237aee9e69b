/* server.c: libmicrohttpd's callbacks and the life cycle of a request. What belongs
 * here: creating, feeding and freeing a struct request as MHD calls us, and starting and
 * stopping the daemon. What does not: route checks and transactions (dispatch.c),
 * rendering (respond.c), limits on the head and connection tracking (limits.c), the
 * offload thread (offload.c).
 *
 * Life of a request: access_cb first call (request created: arena, id, clock; method,
 * path, limits, route, early 413) → access_cb with body chunks (cap and deadline
 * enforced as they arrive) → access_cb final call: dispatch and queue the response →
 * the completion callback (metrics, access log, free everything). Responses are queued
 * on the second call at the earliest, which keeps keep-alive working (DESIGN.md §10). */
#include "http/server.h"
#include "auth/auth.h"
#include "config.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/log.h"
#include "db/db.h"
#include "http/internal.h"
#include "http/metrics.h"
#include "http/request.h"
#include "http/router.h"
#include "http/static.h"
#include "jobs/jobs.h"
#include "jobs/scheduler.h"
#include "jobs/sender.h"
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MEM_TRIM_TICKS 10 /* seconds between two malloc_trim calls */

static _Atomic uint64_t req_counter;
static uint32_t req_prefix;

static char *arena_copy_cb(void *ctx, const char *s, size_t n)
{
	return arena_strndup(ctx, s, n);
}

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
	req->intake.fd = -1;
	req->t0 = clock_mono_ms();
	req->deadline = req->t0 + (double)cfg.request_deadline * 1000.0;
	req->uri_len = uri ? strlen(uri) : 0;
	uint64_t n = atomic_fetch_add(&req_counter, 1);
	/* a dash keeps digit runs short: an id never looks like a phone or ID number (S3);
	 * "%08x-%llx" by hand (snprintf was a visible share of a static file's CPU) */
	static const char hex[] = "0123456789abcdef";
	char *o = req->id;
	for (int i = 7; i >= 0; i--)
		*o++ = hex[(req_prefix >> (i * 4)) & 15];
	*o++ = '-';
	int digits = 1;
	while (digits < 14 && n >> (digits * 4)) /* 8 + 1 + 14 + NUL: req->id's size */
		digits++;
	for (int i = digits - 1; i >= 0; i--)
		*o++ = hex[(n >> (i * 4)) & 15];
	*o = 0;
	req->in_flight_counted = true;
	metrics_inflight_add(1);
	return req;
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

/* The announced body length: Content-Length's value, UINT64_MAX for a chunked body
 * (its length is unknown), 0 for none; a malformed Content-Length sets 400. */
static uint64_t announced_length(struct request *req)
{
	const char *cl = req_header(req, "Content-Length");
	if (!cl)
		return req_header(req, "Transfer-Encoding") ? UINT64_MAX : 0;
	char *end;
	errno = 0;
	unsigned long long n = strtoull(cl, &end, 10);
	if (errno == ERANGE)
		return UINT64_MAX - 1; /* over any cap: 413 */
	if (errno || end == cl || *end || *cl == '-' || *cl == '+' || *cl == ' ') {
		req_fail(req, 400, "bad_framing", "请求的长度信息有歧义");
		return 0;
	}
	return n;
}

/* First call: everything that can be decided from the request line and headers, the
 * route's own checks included when a body follows (no byte of it is read before they
 * pass: SECURITY.md S17). */
static void first_call(struct request *req, const char *url, const char *method)
{
	req->method = arena_strdup(req->arena, method);
	req->path = arena_strdup(req->arena, url);
	req->content_type = req_header(req, "Content-Type");
	client_address(req);
	limits_check_head(req);
	if (req_failed(req))
		return;
	if (!static_path_ok(req->path)) {
		req_fail(req, 400, "bad_path", "请求路径无效");
		return;
	}
	router_match(req->method, req->path, &req->match, arena_copy_cb, req->arena);
	req->route = req->match.route;
	size_t cap = req->route && req->route->body_cap ? req->route->body_cap : (size_t)cfg.body_cap;
	req->body_cap = cap;
	uint64_t len = announced_length(req);
	if (!len || req_failed(req))
		return;
	dispatch_gate(req);
	if (req_failed(req))
		return;
	if (len != UINT64_MAX && len > cap) {
		req_fail(req, 413, "body_too_large", arena_printf(req->arena, "请求体不能超过 %zu 字节", cap));
		req->body_too_large = true;
		return;
	}
	if (len != UINT64_MAX)
		(void)limits_body_reserve(req, len); /* refused: the error is set */
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

/* One chunk of the body. libmicrohttpd 0.9.75 refuses a response queued while the body
 * is being received (only before the first byte of it or after its end): once the
 * request has failed (past the cap, over the bytes in flight, a full disk) the rest is
 * read and dropped, within a bound, and the answer goes out when the body ends; past
 * the bound or the deadline the connection is closed (MHD_NO). */
static enum MHD_Result receive_chunk(struct request *req, const char *data, size_t n)
{
	if (req->responded || req_failed(req)) {
		req->body_discarded += n;
		return req->body_discarded > discard_max(req) ? MHD_NO : MHD_YES;
	}
	double now = clock_mono_ms();
	if (now > req->deadline) {
		req_fail(req, 408, "request_timeout", "请求超时");
		return MHD_NO; /* cannot answer mid-body: close; logged as 408 */
	}
	/* a body that stops arriving must not outlive the deadline either: shrink the
	 * inactivity timeout to what is left of it */
	limit_idle(req, now);
	bool ok;
	if (req->body_len + n > req->body_cap) {
		req->body_too_large = true;
		req_fail(req, 413, "body_too_large", arena_printf(req->arena, "请求体不能超过 %zu 字节", req->body_cap));
		ok = false;
	} else {
		/* a chunked body is counted in flight as it arrives */
		uint64_t counted = req->intake.reserved;
		ok = (req->body_len + n <= counted || limits_body_reserve(req, req->body_len + n - counted)) &&
		     body_append(req, data, n);
	}
	if (!ok) {
		req->body_discarded = req->body_len + n;
		body_release(req);
		req->close_conn = true;
		return req->body_discarded > discard_max(req) ? MHD_NO : MHD_YES;
	}
	return MHD_YES;
}

/* The last call (the body, if any, has arrived): dispatch and answer, or suspend for
 * offloaded work, or finish an offloaded request that has been resumed. */
static enum MHD_Result final_call(struct request *req)
{
	if (req->responded)
		return MHD_YES;
	if (req->durable_state == 1)
		return MHD_YES; /* suspended until its commit is on disk */
	if (req->durable_state == 2 && req->durable.ticket) {
		dispatch_durable_done(req);
		return respond_queue(req);
	}
	if (req->offload.state == 1)
		return MHD_YES; /* suspended work still running */
	if (req->offload.state == 2) {
		/* resumed: finish on this worker with the offloaded result */
		dispatch_offload_then(req);
		if (dispatch_durable_pending(req))
			return MHD_YES;
		return respond_queue(req);
	}
	if (!req_failed(req) && body_finish(req)) {
		if (clock_mono_ms() > req->deadline)
			req_fail(req, 408, "request_timeout", "请求超时");
		else if (req->route)
			dispatch_route(req);
		else if (!http_is_api_path(req->path) && (strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0))
			static_serve(req); /* first_call checked the path and found no route: not again */
		else
			server_dispatch(req);
		if (offload_pending(req))
			return MHD_YES;
		if (dispatch_durable_pending(req))
			return MHD_YES;
	}
	return respond_queue(req);
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
		limits_track_request(conn, true);
		first_call(req, url, method);
		limit_idle(req, req->t0);
		if (req_failed(req)) {
			req->close_conn = true;
			return respond_queue(req); /* refuse before reading any body; the connection closes */
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		return receive_chunk(req, upload_data, n);
	}
	return final_call(req);
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
		limits_track_request(conn, false);
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
	if (req->out_fd >= 0)
		close(req->out_fd);
	json_decref(req->json);
	json_decref(req->out);
	json_decref(req->err.fields);
	body_release(req);
	limits_body_release(req);
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

/* Starts the daemon on cfg.listen:cfg.port with every limit set (DESIGN.md §3), or
 * returns NULL after printing why. */
static struct MHD_Daemon *daemon_start(void)
{
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
		return NULL;
	}
	long workers = cfg.workers > 0 ? (long)cfg.workers : sysconf(_SC_NPROCESSORS_ONLN);
	if (workers < 1)
		workers = 1;
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
		MHD_OPTION_NOTIFY_CONNECTION, limits_notify_connection, NULL,
		MHD_OPTION_UNESCAPE_CALLBACK, unescape_cb, NULL,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, NULL,
		MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "dangjian: cannot listen on %s port %lld\n", cfg.listen, (long long)cfg.port);
		return NULL;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	unsigned port = info ? info->port : (unsigned)cfg.port;
	printf("dangjian: serving on http://%s:%u\n", cfg.listen, port);
	fflush(stdout);
	log_msg(LOG_INFO, NULL, "listening on %s:%u with %ld workers", cfg.listen, port, workers);
	return d;
}

/* The main thread's loop: sweeps slow headers once a second, reopens the log at SIGHUP,
 * returns at SIGTERM or SIGINT (blocked in set, taken here with sigtimedwait). */
static void wait_for_stop(const sigset_t *set)
{
	unsigned ticks = 0;
	for (;;) {
		struct timespec tick = {1, 0};
		int sig = sigtimedwait(set, NULL, &tick);
		if (sig < 0) {
			if (errno == EAGAIN) {
				limits_sweep_slow_headers();
				/* memory freed by a thread but kept by its malloc arena (a scheduler
				 * run over the district left 21 MiB so, behind a live block; the
				 * connections' buffers after a burst of 256) goes back to the system
				 * every MEM_TRIM_TICKS s: issue 21 #8 (≤ 32 MiB anonymous) */
				if (++ticks % MEM_TRIM_TICKS == 0)
					malloc_trim(0);
			}
			continue;
		}
		if (sig == SIGHUP) {
			log_request_reopen();
			log_msg(LOG_INFO, NULL, "SIGHUP: log reopened");
			continue;
		}
		return;
	}
}

/* Stops accepting, finishes what is in flight within cfg.shutdown_grace, then the
 * offload thread, the daemon and the jobs; returns the exit status. */
static int drain_and_stop(struct MHD_Daemon *d)
{
	log_msg(LOG_INFO, NULL, "stopping: no new connections, finishing %ld in flight", metrics_inflight());
	/* the listening socket stops listening at once (shutdown: new connections are
	 * refused) but is closed only after the daemon stopped: a worker thread may still be
	 * taking it out of its epoll set after MHD_quiesce_daemon returned, and a closed
	 * descriptor there is libmicrohttpd's fatal "Failed to remove listen FD from epoll
	 * set" (seen once in a test's stop) */
	MHD_socket lfd = MHD_quiesce_daemon(d);
	if (lfd != MHD_INVALID_SOCKET)
		shutdown(lfd, SHUT_RDWR);
	double until = clock_mono_ms() + (double)cfg.shutdown_grace * 1000.0;
	while (metrics_inflight() > 0 && clock_mono_ms() < until)
		usleep(20 * 1000);
	offload_stop();
	MHD_stop_daemon(d);
	if (lfd != MHD_INVALID_SOCKET)
		close(lfd);
	scheduler_stop(); /* a run in progress finishes its transaction first */
	sender_stop();    /* a send in progress finishes and is recorded */
	/* long work (imports) finishes too, within what is left of the grace period; a job
	 * still running then keeps its connection: its transaction is rolled back, never
	 * half-applied, and the job is let go for another server (or the next start) to
	 * take over */
	double left = (until - clock_mono_ms()) / 1000.0;
	if (!jobs_drain_for(left > 1 ? left : 1)) {
		log_msg(LOG_WARN, NULL, "stopping with a job still running; another server, or the next start, takes it over");
		return 0;
	}
	db_close_all();
	log_msg(LOG_INFO, NULL, "stopped");
	return 0;
}

int server_run(void)
{
	uint32_t r;
	randombytes_buf(&r, sizeof r);
	req_prefix = r;
	size_t n_routes;
	router_all(&n_routes);
	if (metrics_init(n_routes) != 0)
		return 1;
	/* the signals are taken by this thread with sigwait; the workers never see them */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	struct MHD_Daemon *d = daemon_start();
	if (!d)
		return 1;
	wait_for_stop(&set);
	return drain_and_stop(d);
}
