/* http/internal.h: what the parts of the HTTP server share among themselves. Only
 * the files of src/http include it; handlers see request.h, the rest of the program server.h.
 *
 *   server.c    libmicrohttpd's callbacks and a request's life cycle
 *   dispatch.c  route checks, the JSON body and the transaction contract
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
/* The whole route (checks, JSON body, transaction, handler) on the last call. */
void dispatch_route(struct request *req);
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

/* ---- offload.c ---- */
/* After the handler: a pending offload suspends the connection and returns true; without
 * the thread the work runs inline, the request finishes at once, and it returns false. */
bool offload_pending(struct request *req);
/* At shutdown, once no request is in flight: the thread ends after its queue. */
void offload_stop(void);
#endif
