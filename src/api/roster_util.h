/* roster_util.h: helpers the roster's handlers share (orgs, members, import, export,
 * stats): today's date, organization look-up under the caller's scope (a foreign
 * organization is a missing one: 404), keyset cursors, files served from a temporary
 * file. All results are request-arena owned. */
#ifndef DJ_ROSTER_UTIL_H
#define DJ_ROSTER_UTIL_H
#include "core/date.h"
#include "http/request.h"
#include "model/org.h"
#include <stdbool.h>
#include <stdint.h>

struct date roster_today(void);
/* Ends the load of one record for the caller: true when rc is DB_OK and the caller may
 * see it (visible, judged by the handler: its scope over the record's organization);
 * a missing record and one the caller does not see answer alike, 404 not_found with
 * message; any other rc fails the request with the database's error. The handlers'
 * "load {id} in the caller's scope or 404" end here. */
bool roster_found(struct request *req, enum db_rc rc, bool visible, const char *message);
/* Loads org id when it lies in the caller's scope for perm; otherwise sets 404 (or the
 * database error) and returns false. */
bool roster_org_in_scope(struct request *req, int64_t id, const char *perm, struct org_rec *o);
/* The same when only its path is needed (a lighter read). */
bool roster_org_path_in_scope(struct request *req, int64_t id, const char *perm, const char **path);
/* The caller's scope roots for perm as path ranges (prefix, end); 0 when none. */
size_t roster_ranges(struct request *req, const char *perm, const char ***prefixes, const char ***ends);
/* The ranges of the organization org_id (its subtree, 404 when outside the caller's
 * scope for perm) or, for 0, of the caller's whole scope. 0 with the request failed,
 * or when nothing is visible. */
size_t roster_org_ranges(struct request *req, const char *perm, int64_t org_id, const char ***prefixes,
			 const char ***ends);
/* Opaque cursors for (key, id). Decoding failure sets a field error on "cursor". */
const char *roster_cursor_encode(struct request *req, const char *key, int64_t id);
bool roster_cursor_decode(struct request *req, const char *cursor, const char **key, int64_t *id);
/* A new empty temporary file path next to the database (mode 0600), or NULL + 500.
 * Named .export-*: `dangjian serve` removes those an earlier process left behind. */
char *roster_tmpfile(struct request *req, const char *suffix);
/* Replies with the file at path (then unlinks it) as an attachment named name. */
void roster_reply_file(struct request *req, const char *path, const char *type, const char *name);
/* Content-Disposition: attachment with name (RFC 6266, UTF-8 per RFC 5987), for a
 * reply built in memory (req_reply_raw with arena-owned bytes). */
void roster_attachment(struct request *req, const char *name);
#endif
