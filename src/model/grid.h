/* grid.h: grids (网格) and buildings (楼院) attached to organizations (DOMAIN.md §1, §3). */
#ifndef DJ_GRID_H
#define DJ_GRID_H
#include "db/db.h"
#include <stdint.h>

/* Inserts a grid of org_id; sets *id. DB_CONSTRAINT when the name exists in the org. */
enum db_rc grid_insert(struct db *db, int64_t org_id, const char *name, const char *code, int64_t *id);
/* Inserts a building of grid_id (optionally kept by org_id, its 楼院党小组); sets *id. */
enum db_rc building_insert(struct db *db, int64_t grid_id, int64_t org_id, const char *name, const char *address,
			   int64_t *id);
/* Grids of an organization and buildings of a grid as API items. */
#include <jansson.h>
enum db_rc grid_list(struct db *db, int64_t org_id, json_t *items);
enum db_rc building_list(struct db *db, int64_t grid_id, json_t *items);
/* The organization a grid belongs to; 0 when there is no such grid. */
int64_t grid_org(struct db *db, int64_t grid_id);
/* The grid a building belongs to, 0 when there is no such building. */
int64_t building_grid(struct db *db, int64_t building_id);
#endif
