/* file.h: the files store (DESIGN.md §7 shared services): uploaded documents and photos
 * kept in the database in chunks (files + file_chunks, sql/…/0070_files.sql), so that
 * every server of a deployment serves every file and a backup carries them. A file
 * belongs to an owner record (owner_kind + owner_id, e.g. "meeting" 42) and to that
 * record's organization (org_id): scope, quota and deletion follow the owner. Content
 * is checked, stripped and thumbnailed before it gets here (core/image.h); this module
 * only stores and reads. Who may do what is the api's (api/files.h). */
#ifndef DJ_FILE_H
#define DJ_FILE_H
#include "db/db.h"
#include <jansson.h>
#include <stdint.h>

struct arena;

/* Bytes per stored chunk (one row of file_chunks). */
#define FILE_CHUNK (256u * 1024u)

enum file_part { FILE_PART_CONTENT = 0, FILE_PART_THUMB = 1 };

struct file_rec {
	int64_t id, org_id, owner_id, size, thumb_size, created_by, created_at;
	int width, height;               /* 0 for documents */
	const char *owner_kind, *name, *content_type, *sha256; /* arena-owned */
};

/* Stores a new file: its row and the content's (and thumbnail's, when thumb_len > 0)
 * chunks, in the caller's write transaction. f->id is set. The bytes are the caller's. */
enum db_rc file_insert(struct db *db, struct file_rec *f, const void *data, size_t len, const void *thumb,
		       size_t thumb_len);
/* file_insert in two steps, for a caller whose thumbnail is still being made: the row
 * (f->thumb_size, width and height as they are then) and the content's chunks; then the
 * thumbnail's chunks (none when thumb_len is 0) and the row's thumb_size, width and
 * height from f. */
enum db_rc file_insert_content(struct db *db, struct file_rec *f, const void *data, size_t len);
enum db_rc file_insert_thumb(struct db *db, struct file_rec *f, const void *thumb, size_t thumb_len);
/* One file's row (DB_NOT_FOUND when none). Strings arena-owned. */
enum db_rc file_get(struct db *db, struct arena *a, int64_t id, struct file_rec *f);
/* Bytes stored for the organization (contents and thumbnails): what the quota counts. */
enum db_rc file_org_usage(struct db *db, int64_t org_id, int64_t *bytes);
/* The part's chunks in order, each passed to fn (which returns false to stop: then
 * DB_ERROR). */
enum db_rc file_read(struct db *db, int64_t id, enum file_part part, bool (*fn)(void *ctx, const void *p, size_t n),
		     void *ctx);
/* The file as the API shows it: {id, owner_kind, owner_id, org_id, name, content_type,
 * size, width, height, has_thumb, created_by, created_at, url, thumb_url}. New reference. */
json_t *file_json(const struct file_rec *f);
/* Appends file_json of every file of the owner, oldest first, to items. */
enum db_rc file_list_owner(struct db *db, struct arena *a, const char *owner_kind, int64_t owner_id, json_t *items);
/* How many files the owner has. */
enum db_rc file_count_owner(struct db *db, const char *owner_kind, int64_t owner_id, int64_t *n);
/* Deletes one file (and its chunks). DB_NOT_FOUND when none. */
enum db_rc file_delete(struct db *db, int64_t id);
/* Deletes every file of the owner: call it in the owner's delete, in the same
 * transaction ("deleted with the record"). */
enum db_rc file_delete_owner(struct db *db, const char *owner_kind, int64_t owner_id);
/* Moves the owner's files to another organization (the record moved). */
enum db_rc file_move_owner(struct db *db, const char *owner_kind, int64_t owner_id, int64_t org_id);
#endif
