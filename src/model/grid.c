/* grid.c: SQL of grids and buildings (see grid.h). */
#include "model/grid.h"

static const struct db_sql grid_sql[] = {
#define SQL_GRID_INSERT 0
	{"grid.insert", "INSERT INTO grids (org_id, name, code) VALUES ($1, $2, $3) RETURNING id"},
#define SQL_BUILDING_INSERT 1
	{"grid.building_insert",
	 "INSERT INTO buildings (grid_id, org_id, name, address) VALUES ($1, $2, $3, $4) RETURNING id"},
#define SQL_GRID_LIST 2
	{"grid.list", "SELECT id, name, code FROM grids WHERE org_id = $1 ORDER BY name, id"},
#define SQL_BUILDING_LIST 3
	{"grid.building_list", "SELECT id, org_id, name, address FROM buildings WHERE grid_id = $1 ORDER BY name, id"},
};
DB_SQL_TABLE(grid, grid_sql);

static enum db_rc step_id(struct db_stmt *st, int64_t *id)
{
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		*id = db_col_int(st, 0);
		rc = DB_OK;
	}
	db_reset(st);
	return rc;
}

enum db_rc grid_insert(struct db *db, int64_t org_id, const char *name, const char *code, int64_t *id)
{
	struct db_stmt *st = db_prepare(db, &grid_sql[SQL_GRID_INSERT]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, org_id);
	db_bind_text(st, 2, name, -1);
	db_bind_text(st, 3, code, -1);
	return step_id(st, id);
}

enum db_rc building_insert(struct db *db, int64_t grid_id, int64_t org_id, const char *name, const char *address,
			   int64_t *id)
{
	struct db_stmt *st = db_prepare(db, &grid_sql[SQL_BUILDING_INSERT]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, grid_id);
	if (org_id > 0)
		db_bind_int(st, 2, org_id);
	else
		db_bind_null(st, 2);
	db_bind_text(st, 3, name, -1);
	db_bind_text(st, 4, address, -1);
	return step_id(st, id);
}
