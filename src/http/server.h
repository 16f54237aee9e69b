/* server.h: the HTTP server on libmicrohttpd (DESIGN.md §3). */
#ifndef DJ_SERVER_H
#define DJ_SERVER_H

/* Serves until SIGTERM or SIGINT, then stops accepting, finishes the requests in
 * flight (at most cfg.shutdown_grace seconds) and closes the database. SIGHUP reopens
 * the log. Prints "serving on http://HOST:PORT" to stdout once listening. Returns the
 * process exit status. */
int server_run(void);

/* The dispatcher, without a socket: fills req (which must have arena, method and path
 * set) as the server would. For `dangjian` self-tests and fuzzing of the routing. */
struct request;
void server_dispatch(struct request *req);
/* The RFC 9457 problem document for req's sticky error (which must be set): type,
 * title, status, code, Chinese detail, instance (the request id), errors[] for field
 * errors, plus any members a handler added to its reply. New reference: json_decref. */
#include <jansson.h>
json_t *server_problem(struct request *req);
#endif
