/* dispatch.c: from a matched route to a finished request: the checks every route gets
 * before its handler (origin, session, permission, CSRF), the JSON body, and the
 * transaction contract (DESIGN.md §3). What belongs here: deciding whether and in what
 * transaction a handler runs. What does not: reading bytes off the connection
 * (server.c, body.c), rendering the answer (respond.c), limits on the request head
 * (limits.c). */
#include "auth/auth.h"
#include "auth/session.h"
#include "core/arena.h"
#include "core/log.h"
#include "core/wrote.h"
#include "db/db.h"
#include "http/internal.h"
#include "http/params.h"
#include "http/request.h"
#include "http/router.h"
#include "http/server.h"
#include "http/static.h"
#include <assert.h>
#include <microhttpd.h>
#include <string.h>
#include <strings.h>

bool http_is_api_path(const char *path)
{
	return strncmp(path, "/api/", 5) == 0 || strcmp(path, "/api") == 0 || strncmp(path, "/open311/", 9) == 0 ||
	       strcmp(path, "/healthz") == 0 || strcmp(path, "/readyz") == 0 || strcmp(path, "/metrics") == 0;
}

static char *arena_copy_cb(void *ctx, const char *s, size_t n)
{
	return arena_strndup(ctx, s, n);
}

/* A JSON route's body must say it is JSON: 415 otherwise (a missing type too). */
static bool json_type_ok(struct request *req)
{
	const char *ct = req->content_type;
	if (ct && (strncasecmp(ct, "application/json", 16) == 0 || strncasecmp(ct, "application/merge-patch+json", 28) == 0))
		return true;
	req_fail(req, 415, "unsupported_media_type", "请求体应为 JSON（Content-Type: application/json）");
	return false;
}

static void parse_json_body(struct request *req)
{
	if (!req->body_len || !json_type_ok(req))
		return;
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
 * callback runs in a write transaction of its own; in a write transaction the first
 * runs in the same one after db_tx_undo, so that the writer lock is not let go between
 * the check that failed and the counters it records (S6, with N servers). Handlers and models never call
 * db_tx_*: tools/codecheck refuses it outside src/db, this file and src/jobs. */

/* The writer connection back to the queue (the next writer's turn), the thread's
 * connection for what the request does after its transactions. */
static void writer_give(struct request *req)
{
	if (!req->writer)
		return;
	db_writer_give(req->writer);
	req->writer = NULL;
	req->db = db_thread();
}

static bool tx_open(struct request *req)
{
	unsigned kind = req->route->flags & (RF_TX_READ | RF_TX_WRITE);
	if (!kind || db_in_tx(req->db))
		return true;
	/* a request's own write transaction is group-committed: its answer waits for the
	 * fsync (dispatch_durable), the worker does not */
	bool group = kind == RF_TX_WRITE && req->db == db_thread();
	/* on SQLite, on the process's writer connection, taken with the writers' turn
	 * (db_writer_take: its page cache stays valid from one write to the next) until
	 * tx_close has run the hooks; the thread's connection again after that */
	if (group) {
		int rc = db_writer_take(&req->writer);
		if (rc != DB_OK) {
			req_fail_db(req, rc);
			return false;
		}
		if (req->writer)
			req->db = req->writer;
	}
	int rc = group ? db_tx_begin_group(req->db) : db_tx_begin(req->db, kind == RF_TX_WRITE);
	if (rc != DB_OK) {
		writer_give(req);
		req_fail_db(req, rc);
		return false;
	}
	return true;
}

/* Forgets what the handler prepared (body and headers: a file's Content-Disposition, a
 * new session's cookie), for an answer that turned into an error after the handler. */
static void drop_answer(struct request *req)
{
	json_decref(req->out);
	req->out = NULL;
	req->out_body = NULL;
	req->headers = NULL; /* arena-owned */
}

/* One hook in a write transaction of its own: committed when it returns DB_OK. */
static int run_hook(struct request *req, const struct req_hook *h)
{
	int rc = db_tx_begin(req->db, true);
	if (rc != DB_OK)
		return rc;
	rc = h->fn(req, h->ctx);
	if (rc == DB_OK)
		return db_tx_commit(req->db);
	db_tx_rollback(req->db);
	return rc;
}

/* A failed request's events (req_on_failure), each recorded on its own; the first in
 * the request's own write transaction when it is still open (undone, lock held). */
static void run_failure_hooks(struct request *req)
{
	for (struct req_hook *h = req->on_failure; h; h = h->next) {
		int rc;
		if (db_in_tx(req->db)) {
			rc = h->fn(req, h->ctx);
			if (rc == DB_OK)
				rc = db_tx_commit(req->db);
			else
				db_tx_rollback(req->db);
		} else {
			rc = run_hook(req, h);
		}
		if (rc != DB_OK) /* the request already failed: the answer stays, the log says */
			log_msg(LOG_ERROR, req->id, "recording a failed request's events: db rc %d", rc);
	}
	req->on_failure = NULL;
}

/* A request's writes of record after its transaction (req_after_commit): the first
 * that fails fails the request. */
static void run_after_commit_hooks(struct request *req)
{
	for (struct req_hook *h = req->after_commit; h && !req_failed(req); h = h->next) {
		int rc = run_hook(req, h);
		if (rc != DB_OK) {
			drop_answer(req);
			if (!req_failed(req))
				req_fail_db(req, rc);
		}
	}
	req->after_commit = NULL;
}

/* Commits when the request succeeded (a failed commit replaces the answer) and runs its
 * writes of record; rolls back otherwise and then records its failure events; never
 * leaves a transaction open. */
static void tx_close(struct request *req)
{
	if (!req->db)
		return;
	if (db_in_tx(req->db)) {
		if (req->db != db_thread() && req->db != req->writer) { /* a replica's read: nothing to keep, nothing to write there */
			if (req_failed(req))
				db_tx_rollback(req->db);
			else if (db_tx_commit(req->db) != DB_OK)
				db_tx_rollback(req->db);
			req->db = db_thread(); /* the writes of record go to the primary */
		} else if (req_failed(req)) {
			bool keep = req->on_failure && (req->route->flags & RF_TX_WRITE) && db_tx_undo(req->db) == DB_OK;
			if (!keep)
				db_tx_rollback(req->db);
		} else {
			uint64_t ticket = 0;
			int rc = db_tx_commit_group(req->db, &ticket);
			if (ticket > req->durable.ticket)
				req->durable.ticket = ticket;
			if (rc != DB_OK) { /* the change did not happen: say so */
				drop_answer(req);
				req->err.status = 0;
				req_fail_db(req, rc);
			} else if ((req->route->flags & RF_TX_WRITE) && req->session)
				wrote_note(req->session->user_id); /* their next read shows it (core/wrote.h) */
		}
	}
	if (!req_failed(req) && req->after_commit)
		run_after_commit_hooks(req);
	if (req_failed(req) && req->on_failure)
		run_failure_hooks(req);
	assert(!db_in_tx(req->db));
	writer_give(req);
}

/* The handler, or an offloaded request's continuation, inside the route's transaction. */
static void run_in_tx(struct request *req, void (*fn)(struct request *, void *), void *ctx)
{
	if (req->route->flags & RF_REPLICA) {
		/* the session was checked on the primary (a sign-out is never read late); the
		 * handler reads the replica, when there is one that keeps up */
		struct db *replica = db_replica();
		if (replica && !req_failed(req)) {
			if (db_in_tx(req->db) && db_tx_commit(req->db) != DB_OK)
				db_tx_rollback(req->db);
			req->db = replica;
		}
	}
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

static bool need_db(struct request *req)
{
	req->db = db_thread();
	if (req->db)
		return true;
	req_fail(req, 503, "db_unavailable", "数据库暂不可用，请稍后重试");
	req->err.retry_after = 5;
	return false;
}

static void durable_resume(void *ctx)
{
	struct request *req = ctx;
	req->durable_state = 2;
	MHD_resume_connection(req->conn);
}

bool dispatch_durable_pending(struct request *req)
{
	if (!req->durable.ticket || req->durable_state == 2)
		return false;
	req->durable.fn = durable_resume;
	req->durable.ctx = req;
	req->durable_state = 1;
	MHD_suspend_connection(req->conn);
	if (db_durable_async(&req->durable))
		return true; /* durable_resume runs on the sync thread */
	req->durable_state = 2; /* durable already (or never will be): answer now */
	MHD_resume_connection(req->conn);
	return true;
}

void dispatch_durable_done(struct request *req)
{
	req->durable.ticket = 0;
	if (req->durable.rc != DB_OK && !req_failed(req)) {
		/* committed but not known to be on disk: not acknowledged */
		drop_answer(req);
		req_fail_db(req, DB_ERROR);
	}
}

void dispatch_offload_then(struct request *req)
{
	req->offload.state = 0;
	if (!need_db(req))
		return;
	run_in_tx(req, call_then, NULL);
	auth_after_tx(req);
}

/* Session, permission and CSRF: what a non-public route needs before anything else. */
static bool identity_checks(struct request *req, bool unsafe)
{
	const struct route *r = req->route;
	if (!auth_authenticate(req))
		return false;
	if (strcmp(r->perm, PERM_SESSION) != 0 && !auth_has_permission(req, r->perm))
		return false;
	if (unsafe && !(r->flags & RF_NO_CSRF) && !auth_check_csrf(req))
		return false;
	return true;
}

static void run_checked(struct request *req, bool public_route, bool unsafe)
{
	if (!public_route && !identity_checks(req, unsafe))
		return;
	if (!(req->route->flags & RF_RAW_BODY)) {
		parse_json_body(req);
		if (req_failed(req))
			return;
	}
	/* the route's declared inputs, typed and valid, before its handler (http/params.h) */
	if (req->route->in && !(req->in = params_parse(req, req->route->in, NULL, NULL)))
		return;
	/* an offloading handler's transaction ends here too, before its work runs */
	run_in_tx(req, call_handler, NULL);
}

void dispatch_gate(struct request *req)
{
	const struct route *r = req->route;
	if (!r) {
		/* whatever the body, the answer is 404 or 405: give it now */
		if (http_is_api_path(req->path) || (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0))
			server_dispatch(req);
		return;
	}
	bool unsafe = router_unsafe_method(req->method);
	if (unsafe && !auth_check_origin(req))
		return;
	if (strcmp(r->perm, PERM_PUBLIC) != 0) {
		/* the checks in a scope of their own, as dispatch_route makes them: a read route
		 * in a read transaction, closed here; the last call makes them again (the session
		 * may end while the body arrives) */
		if (!need_db(req))
			return;
		if (!(r->flags & RF_TX_READ) || tx_open(req))
			identity_checks(req, unsafe);
		tx_close(req);
		auth_after_tx(req);
		req->db = NULL;
	}
	if (!req_failed(req) && !(r->flags & RF_RAW_BODY))
		json_type_ok(req);
}

void dispatch_route(struct request *req)
{
	const struct route *r = req->route;
	bool unsafe = router_unsafe_method(req->method);
	bool public_route = strcmp(r->perm, PERM_PUBLIC) == 0;

	if (unsafe && !auth_check_origin(req))
		return;
	if ((r->flags & (RF_TX_READ | RF_TX_WRITE) || !public_route) && !need_db(req))
		return;
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

void server_dispatch(struct request *req)
{
	if (!static_path_ok(req->path)) {
		req_fail(req, 400, "bad_path", "请求路径无效");
		return;
	}
	router_match(req->method, req->path, &req->match, arena_copy_cb, req->arena);
	req->route = req->match.route;
	if (req->route) {
		dispatch_route(req);
		return;
	}
	if (http_is_api_path(req->path) || (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0)) {
		if (req->match.status == 405) {
			req_fail(req, 405, "method_not_allowed", "此地址不支持该请求方法");
			req->err.allow = arena_strdup(req->arena, req->match.allow);
		} else if (!http_is_api_path(req->path)) {
			req_fail(req, 405, "method_not_allowed", "此地址不支持该请求方法");
			req->err.allow = "GET, HEAD";
		} else {
			req_fail(req, 404, "not_found", "请求的地址不存在");
		}
		return;
	}
	static_serve(req);
}
