/* files.h (api): the kinds of records that files attach to. A capability whose records
 * carry files (meetings, bases, service requests, study items) declares its kind once,
 * at file scope in its src/api file, and tools/gen_registry collects it:
 *
 *   static enum db_rc meeting_file_owner(struct db *db, struct arena *a, int64_t id,
 *                                        int64_t *org_id, const char **org_path, bool *locked);
 *   FILE_OWNER(meeting, "meeting.read", "meeting.write", meeting_file_owner);
 *
 * Then POST /api/v1/files?owner_kind=meeting&owner_id=42 stores a file on meeting 42
 * for a caller whose scope covers the meeting's organization with "meeting.write" (and
 * file.write), GET /api/v1/files?owner_kind=meeting&owner_id=42 lists them, and each
 * file is served to those whose scope covers that organization with "meeting.read"; a
 * file of another scope answers 404. The owner's delete calls file_delete_owner
 * (model/file.h) in its transaction; a move calls file_move_owner. */
#ifndef DJ_API_FILES_H
#define DJ_API_FILES_H
#include "db/db.h"
#include <stdbool.h>
#include <stdint.h>

struct arena;

struct file_owner {
	const char *kind;       /* owner_kind as stored: [a-z_]+, at most 20 characters */
	const char *read_perm;  /* needed (with file.read) to list and download */
	const char *write_perm; /* needed (with file.write) to upload and delete */
	/* The record owner_id: its organization's id and path (arena-owned), and whether it
	 * is locked (an approved record takes no new files and loses none). DB_NOT_FOUND
	 * when there is no such record. */
	enum db_rc (*find)(struct db *db, struct arena *a, int64_t owner_id, int64_t *org_id, const char **org_path,
			   bool *locked);
};

#define FILE_OWNER(id, rperm, wperm, fn) const struct file_owner file_owner_##id = {#id, rperm, wperm, fn}
/* All kinds, NULL-terminated (generated). */
extern const struct file_owner *const file_owners[];
/* The kind named s, or NULL. */
const struct file_owner *file_owner_find(const char *s);
#endif
