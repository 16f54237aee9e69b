/* http/internal.h: what the parts of the HTTP server share among themselves. Only
 * the files of src/http include it; handlers see request.h, the rest of the program server.h.
 *
 *   server.c    libmicrohttpd's callbacks and a request's life cycle
 *   dispatch.c  route checks (before the body too), the JSON body, the transaction contract
 *   respond.c   turning a finished request into an HTTP response (problem+json)
 *   limits.c    connection tracking and every limit decided from the request head
 *   body.c      receiving a body: in memory, or spooled to an unlinked temporary file
 *   offload.c   the thread that runs CPU-heavy work off the HTTP workers */
#ifndef DJ_HTTP_INTERNAL_H
#define DJ_HTTP_INTERNAL_H
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct request;

/* ---- dispatch.c ---- */
/* True for the API's paths (problem+json answers, Cache-Control: no-store). */
bool http_is_api_path(const char *path);
/* First call of a request that announces a body: origin, session, permission, CSRF
 * and the JSON content type, decided from the head alone, so that no body byte is read
 * for a request its route would refuse (SECURITY.md S17). Sets the sticky error. */
void dispatch_gate(struct request *req);
/* The whole route (checks, JSON body, transaction, handler) on the last call. */
void dispatch_route(struct request *req);
/* After the last transaction: a group-committed write not yet durable suspends the
 * connection until it is (true); the answer is queued when it is resumed, after
 * dispatch_durable_done (which turns it into an error if the sync failed). */
bool dispatch_durable_pending(struct request *req);
void dispatch_durable_done(struct request *req);
/* An offloaded request back on an HTTP worker: its continuation in a fresh transaction. */
void dispatch_offload_then(struct request *req);

/* ---- respond.c ---- */
/* Queues req's answer (its problem when it failed). MHD_NO when MHD refused it. */
enum MHD_Result respond_queue(struct request *req);

/* ---- limits.c ---- */
/* URI length, header bytes, header syntax and framing: a sticky 414/431/400 on req. */
void limits_check_head(struct request *req);
/* MHD's connection notification: tracks every connection for the header deadline. */
void limits_notify_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			      enum MHD_ConnectionNotificationCode code);
/* Marks the connection as processing a request, or as waiting for the next one. */
void limits_track_request(struct MHD_Connection *conn, bool in_request);
/* Shuts down connections whose request headers outlived cfg.request_deadline. */
void limits_sweep_slow_headers(void);

/* Counts n more body bytes in flight for req's owner (its user once signed in, else its
 * address) and in total. False after setting 429 uploads_in_flight (the owner's share,
 * cfg.body_inflight_user) or 503 server_busy (cfg.body_inflight_total). */
bool limits_body_reserve(struct request *req, uint64_t n);
/* Gives back what req reserved (at completion). */
void limits_body_release(struct request *req);
/* Bytes in flight now, all owners (for /metrics and tests). */
uint64_t limits_body_inflight(void);

/* ---- body.c ---- */
/* Stores n more bytes of body: in memory, or, for a raw-body route past
 * cfg.body_spool_threshold, in an unlinked temporary file. False after setting the
 * request's error (507 storage_full, 500 internal_error). */
bool body_append(struct request *req, const char *data, size_t n);
/* The body is complete: a spooled one is mapped read-only at req->body. False after
 * setting the request's error. */
bool body_finish(struct request *req);
/* Frees the body, whatever holds it. */
void body_release(struct request *req);

/* ---- offload.c ---- */
/* After the handler: a pending offload suspends the connection and returns true; without
 * the thread the work runs inline, the request finishes at once, and it returns false. */
bool offload_pending(struct request *req);
/* At shutdown, once no request is in flight: the thread ends after its queue. */
void offload_stop(void);
#endif
