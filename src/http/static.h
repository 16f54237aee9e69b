/* static.h: the built front end (web/dist) served by the binary: ETag and 304, a long
 * cache for hashed assets under /assets/, precompressed .gz when the client accepts
 * gzip, the SPA's index.html for unknown paths, and no way out of the web root. */
#ifndef DJ_STATIC_H
#define DJ_STATIC_H
#include <stdbool.h>

struct request;

/* Serves req->path from cfg.web_root (GET/HEAD). Sets the reply or the error. */
void static_serve(struct request *req);
/* False for a path with a "." or ".." segment, a backslash or a control byte: such a
 * path is refused (400) before any routing. */
bool static_path_ok(const char *path);
#endif
