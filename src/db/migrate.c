/* migrate.c: applies the numbered migrations embedded from sql/sqlite/ or sql/pg/, the
 * connection's engine's (DESIGN.md §4). Both directories hold the same numbers and
 * names, and tools/schema-compare checks they build the same tables. A migration is
 * never edited once applied: a change is a new, higher number. */
#include "core/clock.h"
#include "core/embedded.h"
#include "core/log.h"
#include "db/db_impl.h"
#include <stdlib.h>
#include <string.h>

enum migrate_stmt {
	STMT_MIGRATE_CREATE,
	STMT_MIGRATE_VERSION,
	STMT_MIGRATE_RECORD,
	STMT_MIGRATE_FOREIGN,
	MIGRATE_STMT__MAX
};
static const struct db_sql migrate_sql[MIGRATE_STMT__MAX] = {
	[STMT_MIGRATE_CREATE] = {"migrate.create",
	 "CREATE TABLE IF NOT EXISTS schema_migrations ("
	 " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)"},
	[STMT_MIGRATE_VERSION] = {"migrate.version", "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"},
	[STMT_MIGRATE_RECORD] = {"migrate.record", "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)"},
	/* tables of a database without schema_migrations: another application's */
	[STMT_MIGRATE_FOREIGN] = {"migrate.foreign",
	 "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'"
	 " AND NOT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'schema_migrations')",
	 "SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema()"
	 " AND NOT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'schema_migrations')"},
};
DB_SQL_TABLE(migrate, migrate_sql);

#define PREFIX "sql/sqlite/" /* the numbers db_schema_latest reports; sql/pg/ has the same */

/* The migration number of an embedded name like sql/sqlite/0003_orgs.sql under
 * prefix, or 0. */
static int number_under(const char *name, const char *prefix)
{
	size_t plen = strlen(prefix);
	if (strncmp(name, prefix, plen) != 0)
		return 0;
	const char *end = name + strlen(name);
	if (end - name < 4 || strcmp(end - 4, ".sql") != 0)
		return 0;
	return atoi(name + plen);
}

static int migration_number(const char *name)
{
	return number_under(name, PREFIX);
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

/* Whether the database holds tables but no schema_migrations: not ours. */
static int foreign_database(struct db *db)
{
	struct db_stmt *st = db_prepare(db, &migrate_sql[STMT_MIGRATE_FOREIGN]);
	if (!st || db_step(st) != DB_ROW)
		return -1;
	int64_t n = db_col_int(st, DB_COL_ONLY);
	db_reset(st);
	return n > 0;
}

/* Applies migration n (mig, of the engine's directory) in its own write transaction,
 * unless another process applied it meanwhile. */
static int apply(struct db *db, int n, const struct embedded_file *mig, const char *prefix)
{
	if (db_tx_begin(db, true) != DB_OK)
		return -1;
	struct db_stmt *st = db_prepare(db, &migrate_sql[STMT_MIGRATE_VERSION]);
	if (!st || db_step(st) != DB_ROW) {
		db_tx_rollback(db);
		return -1;
	}
	int have = (int)db_col_int(st, DB_COL_ONLY);
	db_reset(st);
	if (have >= n) {
		db_tx_rollback(db);
		return 0;
	}
	if (db_exec_script(db, mig->data) != DB_OK) {
		db_tx_rollback(db);
		log_msg(LOG_ERROR, NULL, "migrate: %s failed", mig->name);
		return -1;
	}
	st = db_prepare(db, &migrate_sql[STMT_MIGRATE_RECORD]);
	if (!st) {
		db_tx_rollback(db);
		return -1;
	}
	db_bind_int(st, 1, n);
	db_bind_text(st, 2, mig->name + strlen(prefix), -1);
	db_bind_int(st, 3, clock_now());
	if (db_step(st) != DB_DONE || db_tx_commit(db) != DB_OK) {
		db_tx_rollback(db);
		return -1;
	}
	log_msg(LOG_INFO, NULL, "migrate: applied %s", mig->name);
	return 0;
}

static int migrate_locked(struct db *db)
{
	const char *prefix = db->ops->migrations;
	int foreign = foreign_database(db);
	int have = foreign == 0 ? db_schema_version(db) : 0;
	if (foreign > 0) {
		/* db_schema_version creates schema_migrations: only look, never create here */
		db_set_open_error("the database holds another application's tables (no schema_migrations)");
		log_msg(LOG_ERROR, NULL, "migrate: the database holds tables but no schema_migrations: not ours");
		return -1;
	}
	if (have < 0)
		return -1;
	int latest = db_schema_latest();
	for (int n = have + 1; n <= latest; n++) {
		const struct embedded_file *mig = NULL;
		for (const struct embedded_file *f = embedded_files; f->name; f++)
			if (number_under(f->name, prefix) == n)
				mig = f;
		if (!mig) {
			/* numbers are reserved in ranges per module (0010-0019 identity, …): gaps are
			 * normal, but the other engine's directory must not have one this lacks */
			for (const struct embedded_file *f = embedded_files; f->name; f++)
				if (migration_number(f->name) == n) {
					log_msg(LOG_ERROR, NULL, "migrate: %s has no counterpart under %s", f->name, prefix);
					return -1;
				}
			continue;
		}
		if (apply(db, n, mig, prefix) != 0)
			return -1;
	}
	return 0;
}

int db_migrate(struct db *db)
{
	if (db->ops->migrate_lock(db, true) != 0)
		return -1;
	int rc = migrate_locked(db);
	db->ops->migrate_lock(db, false);
	return rc;
}
