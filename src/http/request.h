/* request.h: one HTTP request as handlers see it, passed explicitly (no globals).
 * Memory: everything hanging off a request is arena-owned and released when the
 * request completes, except json_t values, which the request decrefs then.
 * Errors are sticky (SQLite's mallocFailed): the first req_fail/req_field_error wins,
 * later calls add field errors or do nothing, and the dispatcher renders the problem
 * once. A handler that sees req_failed() just returns. */
#ifndef DJ_REQUEST_H
#define DJ_REQUEST_H
#include "db/db.h"
#include "http/router.h"
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;
struct db;
struct MHD_Connection;
struct auth_session;

struct req_header {
	const char *name, *value;
	struct req_header *next;
};

/* CPU-heavy work (Argon2id) run off the HTTP worker: see req_offload. */
struct req_offload {
	void (*work)(void *ctx);                   /* on the offload thread: no database, no request */
	void (*then)(struct request *req, void *ctx); /* back on an HTTP worker, to finish the request */
	void *ctx;                                 /* arena-owned */
	int state;                                 /* 0 none, 1 queued or running, 2 finished */
	struct request *next;
};

/* Work that must be recorded although the request fails (req_on_failure). */
struct req_hook {
	int (*fn)(struct request *req, void *ctx); /* returns DB_OK to commit */
	void *ctx;
	struct req_hook *next;
};

struct request {
	struct arena *arena;
	struct MHD_Connection *conn;
	char id[24];            /* X-Request-Id */
	const char *method;
	const char *path;       /* percent-decoded, no query string */
	size_t uri_len;         /* raw request-target length */
	const char *ip;         /* the client (a forwarded one only from the trusted proxy) */
	bool tls;               /* came over TLS (directly or from the trusted proxy) */
	double t0;              /* clock_mono_ms at arrival */
	double deadline;        /* clock_mono_ms after which the request is refused */

	struct route_match match;
	const struct route *route;

	char *body;             /* request body, NUL-terminated and read-only; owned by the
				 * request (malloc'd, or a mapping of a spooled body): see
				 * req_body_take to keep it past the request */
	size_t body_len, body_cap;
	bool body_too_large;
	size_t body_discarded;  /* bytes past the cap read and thrown away */
	const char *content_type; /* the Content-Type header, or NULL (set at the first call) */
	struct {                /* body intake (src/http/body.c) */
		bool spooled;   /* the body goes to the unlinked temporary file fd */
		int fd;
		size_t map_len; /* > 0: body is a read-only mapping of this many bytes */
		uint64_t reserved; /* bytes counted in flight for key (limits.c) */
		char key[64];   /* "u:<user id>" or "ip:<address>" */
	} intake;
	json_t *json;           /* parsed JSON body (owned) */
	void *in;               /* the route's declared inputs, parsed and valid (arena) */

	struct db *db;          /* this worker's connection, when the route needs one */
	struct db *writer;      /* db while it is the process's writer connection (db_writer_take) */
	struct auth_session *session; /* set by auth_authenticate; arena-owned */
	struct {                /* session writes put off until the read transaction ends */
		int64_t touch_id, touch_at, drop_id;
	} auth_later;
	struct req_hook *on_failure; /* see req_on_failure; arena-owned */
	struct req_hook *after_commit; /* see req_after_commit; arena-owned */

	struct {
		int status;
		const char *code, *detail;
		json_t *fields; /* array of {field, code, message} */
		int retry_after;
		const char *allow;
	} err;

	int status;
	json_t *out;            /* JSON reply (owned) */
	const char *out_body;   /* or a raw reply, arena-owned */
	size_t out_len;
	const char *out_type;
	int out_fd;             /* or a file (static files), when >= 0; closed by the server */
	uint64_t out_fd_size;
	struct req_header *headers;
	bool no_store_off;      /* static files: allow caching */
	unsigned long long bytes_out;
	struct req_offload offload;
	/* a group-committed write (db.h) is answered once durable: 0 none, 1 waiting, 2 done */
	struct db_durable_wait durable;
	_Atomic int durable_state;
	bool responded;         /* a response was queued */
	bool close_conn;        /* answered before the body was read: close the connection */
	bool in_flight_counted;
};

/* Path parameter by name ({id}); NULL when absent. Arena-owned. */
const char *req_param(struct request *req, const char *name);
/* Path parameter as a positive integer id. A malformed id is a missing object:
 * sets 404 and returns 0. */
int64_t req_param_id(struct request *req, const char *name);
/* Query-string argument (decoded) or NULL. Valid for the request. Handlers do not call
 * it: they read their route's declared inputs (http/params.h), which use it. */
const char *req_query(struct request *req, const char *name);
/* A request header or NULL. */
const char *req_header(struct request *req, const char *name);
/* A cookie's value as libmicrohttpd parsed the Cookie header, or NULL. Valid for the
 * request. */
const char *req_cookie(struct request *req, const char *name);

/* Sticky errors. detail is Chinese, for the user; code is the stable machine code. */
void req_fail(struct request *req, int status, const char *code, const char *detail);
/* Adds a field error; sets 400 validation_failed unless an error is already set. */
void req_field_error(struct request *req, const char *field, const char *code, const char *message);
bool req_failed(const struct request *req);
/* 503 db_busy with Retry-After, 507 storage_full or 500 for a failed database step. */
void req_fail_db(struct request *req, int db_rc);

/* Replies. req_reply_json steals body (may be NULL for 204). */
void req_reply_json(struct request *req, int status, json_t *body);
/* 200 with the list envelope of DESIGN.md §6: {"items", "next_cursor", "total"}.
 * Steals items; next_cursor NULL means the last page (arena-owned or static text). */
void req_reply_list(struct request *req, json_t *items, const char *next_cursor, int64_t total);
/* The same envelope written by a streaming writer (core/jsonw.h) for hot lists: begin
 * writes {"items":[ and returns the writer for the items (one jw_object each); end
 * closes the array, adds next_cursor and total, and replies 200. */
struct jsonw;
struct jsonw *req_list_begin(struct request *req, size_t hint);
void req_list_end(struct request *req, struct jsonw *w, const char *next_cursor, int64_t total);
/* The same with the page's number and the number of pages (a page chosen by number). */
void req_list_end_page(struct request *req, struct jsonw *w, const char *next_cursor, int64_t total, int64_t page,
		       int64_t pages);
/* Takes the body over, for work that outlives the request (an import job): returns it
 * (NUL-terminated, *len bytes, read-only; NULL when there is none) and leaves the request
 * without a body. Free it with req_body_free(body, len), never with free(). */
char *req_body_take(struct request *req, size_t *len);
void req_body_free(char *body, size_t len);
/* Raw bytes (arena-owned or static) with a content type. */
void req_reply_raw(struct request *req, int status, const char *type, const char *data, size_t len);
/* Percent-decodes s in place (path and query arguments) and returns the new length.
 * A %00 becomes 0x01 so that a NUL cannot cut a path short unseen: static_path_ok
 * then refuses the control byte. '+' is left alone (paths) . Malformed escapes ("%4",
 * "%zz") stay as they are. */
size_t http_unescape(char *s);
/* Hands CPU-heavy work to the offload thread: the handler calls it last and returns;
 * the connection is suspended (its HTTP worker serves other connections meanwhile),
 * work(ctx) runs on the offload thread, then then(req, ctx) finishes the request on an
 * HTTP worker. The dispatcher ends the handler's transaction (committed unless the
 * request failed) before work runs, and runs then inside a fresh transaction of the
 * route's declared kind, closed by the dispatcher as a handler's is. */
void req_offload(struct request *req, void (*work)(void *), void (*then)(struct request *, void *), void *ctx);
/* Registers fn to run when the request fails: security events that must be recorded
 * although the change is refused (a failed login's counters and audit row, a wrong old
 * password). The dispatcher rolls the request's transaction back, then runs each fn, in
 * the order registered, in a write transaction of its own, committed when fn returns
 * DB_OK (enum db_rc) and rolled back otherwise; the request's error answer stays as it
 * is. Not run when the request succeeds. ctx must outlive the request's handler
 * (arena-owned). */
void req_on_failure(struct request *req, int (*fn)(struct request *req, void *ctx), void *ctx);
/* Registers fn to run once the route's (read) transaction has ended well: a write of
 * record about what the request read, such as an export's audit row, that must not
 * hold the write lock while the reading runs. The dispatcher runs it in a write
 * transaction of its own; if fn does not return DB_OK, or the commit fails, the request
 * fails (its prepared answer, a file included, is dropped), so nothing leaves without
 * its record. ctx arena-owned. */
void req_after_commit(struct request *req, int (*fn)(struct request *req, void *ctx), void *ctx);
/* Adds a response header (name and value copied into the arena). */
void req_add_header(struct request *req, const char *name, const char *value);
/* The same without copying: name and value must outlive the request (literals, or
 * strings in req's arena). */
void req_add_header_static(struct request *req, const char *name, const char *value);
#endif
