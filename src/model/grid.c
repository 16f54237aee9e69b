/* grid.c: SQL of grids and buildings (see grid.h). */
#include "model/grid.h"

enum grid_stmt {
	STMT_GRID_INSERT,
	STMT_GRID_BUILDING_INSERT,
	STMT_GRID_LIST,
	STMT_GRID_BUILDING_LIST,
	STMT_GRID_ORG,
	STMT_GRID_BUILDING_GRID,
	GRID_STMT__MAX
};
/* grid.list's rows */
enum grid_col { GRID_COL_ID, GRID_COL_NAME, GRID_COL_CODE };
/* grid.building_list's rows */
enum building_col { BUILDING_COL_ID, BUILDING_COL_ORG_ID, BUILDING_COL_NAME, BUILDING_COL_ADDRESS };

static const struct db_sql grid_sql[GRID_STMT__MAX] = {
	[STMT_GRID_INSERT] = {"grid.insert", "INSERT INTO grids (org_id, name, code) VALUES ($1, $2, $3) RETURNING id"},
	[STMT_GRID_BUILDING_INSERT] = {"grid.building_insert",
	 "INSERT INTO buildings (grid_id, org_id, name, address) VALUES ($1, $2, $3, $4) RETURNING id"},
	[STMT_GRID_LIST] = {"grid.list", "SELECT id, name, code FROM grids WHERE org_id = $1 ORDER BY name, id"},
	[STMT_GRID_BUILDING_LIST] = {"grid.building_list", "SELECT id, org_id, name, address FROM buildings WHERE grid_id = $1 ORDER BY name, id"},
	[STMT_GRID_ORG] = {"grid.org", "SELECT org_id FROM grids WHERE id = $1"},
	[STMT_GRID_BUILDING_GRID] = {"grid.building_grid", "SELECT grid_id FROM buildings WHERE id = $1"},
};
DB_SQL_TABLE(grid, grid_sql);

static enum db_rc step_id(struct db_stmt *st, int64_t *id)
{
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		*id = db_col_int(st, DB_COL_ONLY);
		rc = DB_OK;
	}
	db_reset(st);
	return rc;
}

enum db_rc grid_insert(struct db *db, int64_t org_id, const char *name, const char *code, int64_t *id)
{
	struct db_stmt *st = db_prepare(db, &grid_sql[STMT_GRID_INSERT]);
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
	struct db_stmt *st = db_prepare(db, &grid_sql[STMT_GRID_BUILDING_INSERT]);
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

enum db_rc grid_list(struct db *db, int64_t org_id, json_t *items)
{
	struct db_stmt *st = db_prepare(db, &grid_sql[STMT_GRID_LIST]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, org_id);
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW)
		json_array_append_new(items, json_pack("{s:I, s:I, s:s, s:s?}", "id", (json_int_t)db_col_int(st, GRID_COL_ID),
						       "org_id", (json_int_t)org_id, "name", db_col_text(st, GRID_COL_NAME),
						       "code", db_col_text(st, GRID_COL_CODE)));
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

enum db_rc building_list(struct db *db, int64_t grid_id, json_t *items)
{
	struct db_stmt *st = db_prepare(db, &grid_sql[STMT_GRID_BUILDING_LIST]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, grid_id);
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW) {
		json_t *org = db_col_null(st, BUILDING_COL_ORG_ID) ? json_null()
								   : json_integer(db_col_int(st, BUILDING_COL_ORG_ID));
		json_array_append_new(items, json_pack("{s:I, s:I, s:o, s:s, s:s?}", "id",
						       (json_int_t)db_col_int(st, BUILDING_COL_ID), "grid_id",
						       (json_int_t)grid_id, "org_id", org, "name",
						       db_col_text(st, BUILDING_COL_NAME), "address",
						       db_col_text(st, BUILDING_COL_ADDRESS)));
	}
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

int64_t grid_org(struct db *db, int64_t grid_id)
{
	struct db_stmt *st = db_prepare(db, &grid_sql[STMT_GRID_ORG]);
	if (!st)
		return 0;
	db_bind_int(st, 1, grid_id);
	int64_t v = db_step(st) == DB_ROW ? db_col_int(st, DB_COL_ONLY) : 0;
	db_reset(st);
	return v;
}

int64_t building_grid(struct db *db, int64_t building_id)
{
	struct db_stmt *st = db_prepare(db, &grid_sql[STMT_GRID_BUILDING_GRID]);
	if (!st)
		return 0;
	db_bind_int(st, 1, building_id);
	int64_t v = db_step(st) == DB_ROW ? db_col_int(st, DB_COL_ONLY) : 0;
	db_reset(st);
	return v;
}
