/* migrate.c: applies the numbered migrations embedded from sql/sqlite/ (DESIGN.md §4).
 * A migration is never edited once applied: a change is a new, higher number. */
#include "core/clock.h"
#include "core/embedded.h"
#include "core/log.h"
#include "db/db.h"
#include <stdlib.h>
#include <string.h>

enum migrate_stmt {
	STMT_MIGRATE_CREATE,
	STMT_MIGRATE_VERSION,
	STMT_MIGRATE_RECORD,
	MIGRATE_STMT__MAX
};
static const struct db_sql migrate_sql[MIGRATE_STMT__MAX] = {
	[STMT_MIGRATE_CREATE] = {"migrate.create",
	 "CREATE TABLE IF NOT EXISTS schema_migrations ("
	 " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)"},
	[STMT_MIGRATE_VERSION] = {"migrate.version", "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"},
	[STMT_MIGRATE_RECORD] = {"migrate.record", "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)"},
};
DB_SQL_TABLE(migrate, migrate_sql);

#define PREFIX "sql/sqlite/"

/* The migration number of an embedded name like sql/sqlite/0003_orgs.sql, or 0. */
static int migration_number(const char *name)
{
	size_t plen = strlen(PREFIX);
	if (strncmp(name, PREFIX, plen) != 0)
		return 0;
	const char *end = name + strlen(name);
	if (end - name < 4 || strcmp(end - 4, ".sql") != 0)
		return 0;
	return atoi(name + plen);
}

int db_schema_latest(void)
{
	int max = 0;
	for (const struct embedded_file *f = embedded_files; f->name; f++) {
		int n = migration_number(f->name);
		if (n > max)
			max = n;
	}
	return max;
}

int db_schema_version(struct db *db)
{
	struct db_stmt *st = db_prepare(db, &migrate_sql[STMT_MIGRATE_CREATE]);
	if (!st || db_step(st) != DB_DONE)
		return -1;
	st = db_prepare(db, &migrate_sql[STMT_MIGRATE_VERSION]);
	if (!st || db_step(st) != DB_ROW)
		return -1;
	int v = (int)db_col_int(st, DB_COL_ONLY);
	db_reset(st);
	return v;
}

int db_migrate(struct db *db)
{
	int have = db_schema_version(db);
	if (have < 0)
		return -1;
	int latest = db_schema_latest();
	for (int n = have + 1; n <= latest; n++) {
		const struct embedded_file *mig = NULL;
		for (const struct embedded_file *f = embedded_files; f->name; f++)
			if (migration_number(f->name) == n)
				mig = f;
		if (!mig)
			continue; /* numbers are reserved in ranges per module (0010-0019 identity, …): gaps are normal */
		if (db_tx_begin(db, true) != DB_OK)
			return -1;
		if (db_exec_script(db, mig->data) != DB_OK) {
			db_tx_rollback(db);
			log_msg(LOG_ERROR, NULL, "migrate: %s failed", mig->name);
			return -1;
		}
		struct db_stmt *st = db_prepare(db, &migrate_sql[STMT_MIGRATE_RECORD]);
		if (!st) {
			db_tx_rollback(db);
			return -1;
		}
		db_bind_int(st, 1, n);
		db_bind_text(st, 2, mig->name + strlen(PREFIX), -1);
		db_bind_int(st, 3, clock_now());
		if (db_step(st) != DB_DONE || db_tx_commit(db) != DB_OK) {
			db_tx_rollback(db);
			return -1;
		}
		log_msg(LOG_INFO, NULL, "migrate: applied %s", mig->name);
	}
	return 0;
}
