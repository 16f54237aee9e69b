/* test_db.c: the SQLite store (src/db/): the $n placeholder scheme that lets one SQL
 * text serve SQLite and PostgreSQL (DESIGN.md §4), the pragmas of every connection
 * (R2), BEGIN IMMEDIATE answering DB_BUSY rather than an error, migrations and the
 * statement check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "db/db.h"

static char dir[64];
static char path[128];

static const struct db_sql t_sql[] = {
	{"t.create", "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT NOT NULL, b INTEGER NOT NULL, c TEXT)"},
	/* $2 used twice and before $1: bound by number, not by position */
	{"t.insert", "INSERT INTO t (a, b, c) VALUES ($2, $1, $2 || '/' || $3) RETURNING id, c"},
	{"t.find", "SELECT a, b, c FROM t WHERE b >= $1 AND a <> $2 ORDER BY id"},
	{"t.count", "SELECT COUNT(*) FROM t"},
	{"t.qmark", "SELECT ? + 1"},
};

static int setup(void **state)
{
	(void)state;
	config_defaults();
	snprintf(dir, sizeof dir, "/tmp/dj-db-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/t.db", dir);
	cfg.busy_timeout_ms = 100;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char p[160];
	const char *sfx[] = {"", "-wal", "-shm", ".bak"};
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof p, "%s%s", path, sfx[i]);
		unlink(p);
	}
	rmdir(dir);
	return 0;
}

static void test_dollar_n_placeholders_bind_by_number(void **state)
{
	(void)state;
	struct db *db = db_open(path, DB_OPEN_CREATE);
	assert_non_null(db);
	struct db_stmt *st = db_prepare(db, &t_sql[0]);
	assert_non_null(st);
	assert_int_equal(db_step(st), DB_DONE);

	st = db_prepare(db, &t_sql[1]);
	db_bind_int(st, 1, 42);
	db_bind_text(st, 2, "党建", -1);
	db_bind_text(st, 3, "x", -1);
	assert_int_equal(db_step(st), DB_ROW);
	assert_int_equal(db_col_int(st, 0), 1);
	assert_string_equal(db_col_text(st, 1), "党建/x");
	db_reset(st);

	/* the cached statement comes back with its bindings cleared */
	st = db_prepare(db, &t_sql[1]);
	db_bind_int(st, 1, 7);
	db_bind_text(st, 2, "abcdef", 3);
	assert_int_equal(db_step(st), DB_ROW);
	assert_true(db_col_null(st, 1)); /* $3 unbound → NULL, so the concatenation is NULL */
	db_reset(st);

	st = db_prepare(db, &t_sql[2]);
	db_bind_int(st, 1, 10);
	db_bind_text(st, 2, "zzz", -1);
	assert_int_equal(db_step(st), DB_ROW);
	assert_string_equal(db_col_text(st, 0), "党建");
	assert_int_equal(db_col_int(st, 1), 42);
	assert_int_equal(db_step(st), DB_DONE);

	/* a parameter that is not $n would bind differently on PostgreSQL: refused */
	assert_null(db_prepare(db, &t_sql[4]));
	db_close(db);
}

static void test_R2_every_connection_has_the_pragmas(void **state)
{
	(void)state;
	struct db *db = db_open(path, DB_OPEN_CREATE);
	assert_non_null(db);
	char why[128];
	assert_int_equal(db_self_check(db, why, sizeof why), 0);
	db_close(db);
	assert_null(db_open("/nonexistent-dir/x.db", DB_OPEN_CREATE));
}

static void test_R5_write_lock_busy_is_db_busy(void **state)
{
	(void)state;
	struct db *a = db_open(path, DB_OPEN_CREATE);
	struct db *b = db_open(path, 0);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(db_tx_begin(a, true), DB_OK);
	assert_true(db_in_tx(a));
	uint64_t before = db_busy_count();
	assert_int_equal(db_tx_begin(b, true), DB_BUSY);
	assert_false(db_in_tx(b));
	assert_true(db_busy_count() > before);
	/* readers are not blocked by the writer (WAL) */
	assert_int_equal(db_tx_begin(b, false), DB_OK);
	struct db_stmt *st = db_prepare(b, &t_sql[3]);
	assert_non_null(st);
	assert_int_equal(db_step(st), DB_ROW);
	db_reset(st);
	db_tx_rollback(b);
	db_tx_rollback(a);
	assert_int_equal(db_tx_begin(b, true), DB_OK);
	assert_int_equal(db_tx_commit(b), DB_OK);
	db_close(a);
	db_close(b);
}

static void test_constraint_maps_to_db_constraint(void **state)
{
	(void)state;
	struct db *db = db_open(path, DB_OPEN_CREATE);
	struct db_stmt *st = db_prepare(db, &t_sql[1]);
	db_bind_int(st, 1, 1);
	/* a NULL for a NOT NULL column */
	assert_int_equal(db_step(st), DB_CONSTRAINT);
	db_close(db);
}

static void test_migrate_check_and_backup(void **state)
{
	(void)state;
	struct db *db = db_open(path, DB_OPEN_CREATE);
	assert_int_equal(db_migrate(db), 0);
	assert_int_equal(db_schema_version(db), db_schema_latest());
	assert_true(db_schema_latest() >= 1);
	assert_int_equal(db_migrate(db), 0); /* idempotent */
	char why[256];
	assert_int_equal(db_integrity_check(db, why, sizeof why), 0);
	assert_string_equal(why, "ok");
	assert_int_equal(db_check_statements(db, NULL), 0);
	char bak[160];
	snprintf(bak, sizeof bak, "%s.bak", path);
	assert_int_equal(db_backup(db, bak, why, sizeof why), 0);
	db_close(db);
	struct db *copy = db_open(bak, DB_OPEN_READONLY);
	assert_non_null(copy);
	assert_int_equal(db_schema_version(copy), db_schema_latest());
	assert_int_equal(db_integrity_check(copy, why, sizeof why), 0);
	db_close(copy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dollar_n_placeholders_bind_by_number),
		cmocka_unit_test(test_R2_every_connection_has_the_pragmas),
		cmocka_unit_test(test_R5_write_lock_busy_is_db_busy),
		cmocka_unit_test(test_constraint_maps_to_db_constraint),
		cmocka_unit_test(test_migrate_check_and_backup),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
