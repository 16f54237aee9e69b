/* import_map.h: the saved column mappings as records (issue 20 #9: the wizard lists
 * and deletes them; GET/DELETE /api/v1/import-mappings in api/import_maps.c). Saving
 * and applying them is import.h's (import_mapping_find/_save). */
#ifndef DJ_MODEL_IMPORT_MAP_H
#define DJ_MODEL_IMPORT_MAP_H
#include "db/db.h"
#include <jansson.h>
#include <stdint.h>

struct arena;

/* Appends to items the mappings saved at the organizations on path (the organization
 * itself and its ancestors; "/1/17/" is 17 then 1), nearest first, newest first within
 * one: {id, org_id, org_name, org_path, headers:[text…], fields:[{index, header, field,
 * label}] (the columns mapped to a field; 不导入 ones left out), skipped (columns set to
 * 不导入), updated_by:{id, name}, updated_at (RFC 3339)}. */
enum db_rc import_mapping_list(struct db *db, struct arena *a, const char *path, json_t *items);

/* One saved mapping's organization (id and path) and its header texts (JSON, arena). */
struct import_mapping_rec {
	int64_t id, org_id;
	const char *org_path, *headers;
};
enum db_rc import_mapping_get(struct db *db, struct arena *a, int64_t id, struct import_mapping_rec *m);
enum db_rc import_mapping_delete(struct db *db, int64_t id);
#endif
