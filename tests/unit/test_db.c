/* test_db.c: the SQLite store (src/db/): the $n placeholder scheme that lets one SQL
 * text serve SQLite and PostgreSQL (DESIGN.md §4), the pragmas of every connection
 * (R2), BEGIN IMMEDIATE answering DB_BUSY rather than an error, migrations and the
 * statement check; binding a $n or reading a column that a statement does not have
 * fails loudly, and a statement table with an entry left out is caught. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/wait.h>
#include <pthread.h>
#include <unistd.h>

#include "config.h"
#include "db/db.h"

static char dir[64];
static char path[128];

enum t_stmt { T_CREATE, T_INSERT, T_FIND, T_COUNT, T_QMARK, T_TWO, T_W_INSERT, T_STMT__MAX };
enum { T_INSERT_COL_ID, T_INSERT_COL_C };
enum { T_FIND_COL_A, T_FIND_COL_B, T_FIND_COL_C };
enum { T_TWO_COL_SUM, T_TWO_COL_DIFF };
static const struct db_sql t_sql[T_STMT__MAX] = {
	[T_CREATE] = {"t.create", "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT NOT NULL, b INTEGER NOT NULL, c TEXT)"},
	/* $2 used twice and before $1: bound by number, not by position */
	[T_INSERT] = {"t.insert", "INSERT INTO t (a, b, c) VALUES ($2, $1, $2 || '/' || $3) RETURNING id, c"},
	[T_FIND] = {"t.find", "SELECT a, b, c FROM t WHERE b >= $1 AND a <> $2 ORDER BY id"},
	[T_COUNT] = {"t.count", "SELECT COUNT(*) FROM t"},
	[T_QMARK] = {"t.qmark", "SELECT ? + 1"},
	/* two parameters, two columns */
	[T_TWO] = {"t.two", "SELECT $1 + $2, $1 - $2"},
	/* a row of ~1 KB and an index entry at a random place: three or four pages a commit */
	[T_W_INSERT] = {"t.w_insert", "INSERT INTO w (k, v) VALUES (randomblob(16), printf('%.*c', 1000, 'x'))"},
};

/* A table with its middle entry left out, as a forgotten designated initializer leaves it. */
enum holes_stmt { H_FIRST, H_FORGOTTEN, H_LAST, HOLES_STMT__MAX };
static const struct db_sql holes_sql[HOLES_STMT__MAX] = {
	[H_FIRST] = {"holes.first", "SELECT 1"},
	[H_LAST] = {"holes.last", "SELECT 3"},
};
DB_SQL_TABLE(test_holes, holes_sql);

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
	const char *sfx[] = {"", "-wal", "-shm", ".m", ".m-wal", ".m-shm", ".m.bak"};
	for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
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
	struct db_stmt *st = db_prepare(db, &t_sql[T_CREATE]);
	assert_non_null(st);
	assert_int_equal(db_step(st), DB_DONE);

	st = db_prepare(db, &t_sql[T_INSERT]);
	db_bind_int(st, 1, 42);
	db_bind_text(st, 2, "党建", -1);
	db_bind_text(st, 3, "x", -1);
	assert_int_equal(db_step(st), DB_ROW);
	assert_int_equal(db_col_int(st, T_INSERT_COL_ID), 1);
	assert_string_equal(db_col_text(st, T_INSERT_COL_C), "党建/x");
	db_reset(st);

	/* the cached statement comes back with its bindings cleared */
	st = db_prepare(db, &t_sql[T_INSERT]);
	db_bind_int(st, 1, 7);
	db_bind_text(st, 2, "abcdef", 3);
	assert_int_equal(db_step(st), DB_ROW);
	assert_true(db_col_null(st, T_INSERT_COL_C)); /* $3 unbound → NULL, so the concatenation is NULL */
	db_reset(st);

	st = db_prepare(db, &t_sql[T_FIND]);
	db_bind_int(st, 1, 10);
	db_bind_text(st, 2, "zzz", -1);
	assert_int_equal(db_step(st), DB_ROW);
	assert_string_equal(db_col_text(st, T_FIND_COL_A), "党建");
	assert_int_equal(db_col_int(st, T_FIND_COL_B), 42);
	assert_int_equal(db_step(st), DB_DONE);

	/* a parameter that is not $n would bind differently on PostgreSQL: refused */
	assert_null(db_prepare(db, &t_sql[T_QMARK]));
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
	struct db_stmt *st = db_prepare(b, &t_sql[T_COUNT]);
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
	struct db_stmt *st = db_prepare(db, &t_sql[T_INSERT]);
	db_bind_int(st, 1, 1);
	/* a NULL for a NOT NULL column */
	assert_int_equal(db_step(st), DB_CONSTRAINT);
	db_close(db);
}

static void test_migrate_check_and_backup(void **state)
{
	(void)state;
	/* the file of the tests above holds table t and no schema_migrations: another
	 * application's database, which migrate refuses to touch */
	struct db *other = db_open(path, 0);
	assert_int_equal(db_migrate(other), -1);
	assert_string_equal(db_open_error(), "the database holds another application's tables (no schema_migrations)");
	db_close(other);
	char fresh[160];
	snprintf(fresh, sizeof fresh, "%s.m", path);
	struct db *db = db_open(fresh, DB_OPEN_CREATE);
	assert_int_equal(db_migrate(db), 0);
	assert_int_equal(db_schema_version(db), db_schema_latest());
	assert_true(db_schema_latest() >= 1);
	assert_int_equal(db_migrate(db), 0); /* idempotent */
	char why[256];
	assert_int_equal(db_integrity_check(db, why, sizeof why), 0);
	assert_string_equal(why, "ok");
	assert_int_equal(db_check_statements(db, NULL), 0);
	char bak[192];
	snprintf(bak, sizeof bak, "%s.bak", fresh);
	assert_int_equal(db_backup(db, bak, why, sizeof why), 0);
	db_close(db);
	struct db *copy = db_open(bak, DB_OPEN_READONLY);
	assert_non_null(copy);
	assert_int_equal(db_schema_version(copy), db_schema_latest());
	assert_int_equal(db_integrity_check(copy, why, sizeof why), 0);
	db_close(copy);
}

/* Runs fn(st) in a child process; true when the child died of SIGABRT (an assert). */
static bool aborts(void (*fn)(struct db_stmt *), struct db_stmt *st)
{
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);
		if (devnull >= 0)
			dup2(devnull, 2); /* the assert's message and the log line are expected */
		fn(st);
		_exit(0);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

static void bind_5(struct db_stmt *st)
{
	db_bind_int(st, 5, 1);
}

static void read_col_7(struct db_stmt *st)
{
	(void)db_col_int(st, 7);
}

static void test_binding_5_on_a_2_parameter_statement_fails(void **state)
{
	(void)state;
	struct db *db = db_open(path, DB_OPEN_CREATE);
	assert_non_null(db);
	struct db_stmt *st = db_prepare(db, &t_sql[T_TWO]);
	assert_non_null(st);
	/* a test build asserts */
	assert_true(aborts(bind_5, st));
	/* a release build (no assert) fails the statement's next step instead of binding
	 * nothing and running it */
	db_misuse_asserts = false;
	db_bind_int(st, 1, 5);
	db_bind_int(st, 2, 3);
	db_bind_int(st, 5, 1);
	db_bind_text(st, 0, "x", -1);
	assert_int_equal(db_step(st), DB_ERROR);
	assert_int_equal(db_step(st), DB_ERROR); /* until the statement is prepared again */
	db_misuse_asserts = true;
	/* prepared again, the statement is clean: both parameters bind */
	st = db_prepare(db, &t_sql[T_TWO]);
	db_bind_int(st, 1, 5);
	db_bind_int(st, 2, 3);
	assert_int_equal(db_step(st), DB_ROW);
	assert_int_equal(db_col_int(st, T_TWO_COL_SUM), 8);
	assert_int_equal(db_col_int(st, T_TWO_COL_DIFF), 2);
	db_reset(st);
	db_close(db);
}

static void test_reading_column_7_of_a_2_column_row_fails(void **state)
{
	(void)state;
	struct db *db = db_open(path, DB_OPEN_CREATE);
	assert_non_null(db);
	struct db_stmt *st = db_prepare(db, &t_sql[T_TWO]);
	db_bind_int(st, 1, 5);
	db_bind_int(st, 2, 3);
	assert_int_equal(db_step(st), DB_ROW);
	assert_true(aborts(read_col_7, st));
	db_misuse_asserts = false;
	assert_int_equal(db_col_int(st, 7), 0);
	assert_null(db_col_text(st, 2));
	assert_null(db_col_blob(st, -1));
	assert_int_equal(db_col_int(st, T_TWO_COL_SUM), 8); /* the columns it has still read */
	assert_int_equal(db_step(st), DB_ERROR);
	db_misuse_asserts = true;
	/* no current row: after the last step, a column is not there either */
	st = db_prepare(db, &t_sql[T_TWO]);
	db_bind_int(st, 1, 1);
	db_bind_int(st, 2, 1);
	assert_int_equal(db_step(st), DB_ROW);
	assert_int_equal(db_step(st), DB_DONE);
	assert_true(aborts(read_col_7, st));
	db_misuse_asserts = false;
	assert_int_equal(db_col_int(st, T_TWO_COL_SUM), 0);
	assert_int_equal(db_step(st), DB_ERROR);
	db_misuse_asserts = true;
	db_close(db);
}

static int holes_seen;
static char hole_name[32];

static void report_hole(const char *table, const char *name, const char *msg)
{
	(void)msg;
	assert_string_equal(table, "test_holes");
	snprintf(hole_name, sizeof hole_name, "%s", name);
	holes_seen++;
}

static void test_a_table_with_a_missing_entry_is_caught(void **state)
{
	(void)state;
	assert_int_equal(db_sql_table_test_holes.n, 3); /* the enum's __MAX, not the entries written */
	assert_int_equal(db_sql_table_check(&db_sql_table_test_holes, report_hole), 1);
	assert_int_equal(holes_seen, 1);
	assert_string_equal(hole_name, "#1");
	/* the product's registered tables have none (db_open refuses to run otherwise) */
	assert_int_equal(db_sql_tables_check(NULL), 0);
	/* and the hole does not prepare */
	struct db *db = db_open(path, DB_OPEN_CREATE);
	assert_non_null(db);
	db_misuse_asserts = false;
	assert_null(db_prepare(db, &holes_sql[H_FORGOTTEN]));
	db_misuse_asserts = true;
	assert_non_null(db_prepare(db, &holes_sql[H_LAST]));
	db_close(db);
}

/* Group commits with no pause between them (issue 21 #7): a checkpoint pass never found
 * the WAL copied whole, since frames were appended while it copied, so no writer started
 * it over and it only grew (1.5 GB in 10 s of 16 HTTP writers). The checkpoint thread
 * now copies the rest in the writers' turn once the WAL holds 4,000 frames. */
#define W_THREADS 6
#define W_COMMITS 6000 /* per thread at most */
static volatile int w_stop;
static int w_commits[W_THREADS];

static void *w_writer(void *arg)
{
	int *done = arg;
	struct db *db = db_open(path, 0);
	if (!db)
		return NULL;
	struct db_stmt *st = db_prepare(db, &t_sql[T_W_INSERT]);
	while (!w_stop && *done < W_COMMITS) {
		uint64_t ticket = 0;
		if (db_tx_begin_group(db) != DB_OK)
			break;
		db_reset(st);
		if (db_step(st) != DB_DONE || db_tx_commit_group(db, &ticket) != DB_OK) {
			db_tx_rollback(db);
			break;
		}
		(*done)++;
	}
	db_close(db);
	return NULL;
}

static void test_steady_group_commits_start_the_wal_over(void **state)
{
	(void)state;
	cfg.busy_timeout_ms = 10000;
	struct db *db = db_open(path, DB_OPEN_CREATE);
	assert_non_null(db);
	assert_int_equal(db_exec_script(db, "CREATE TABLE w (id INTEGER PRIMARY KEY, k BLOB NOT NULL, v TEXT NOT NULL);"
					    "CREATE INDEX w_k ON w (k);"),
			 DB_OK);
	char wal[160];
	snprintf(wal, sizeof wal, "%s-wal", path);
	pthread_t th[W_THREADS];
	w_stop = 0;
	for (int i = 0; i < W_THREADS; i++) {
		w_commits[i] = 0;
		assert_int_equal(pthread_create(&th[i], NULL, w_writer, &w_commits[i]), 0);
	}
	/* the WAL's size and its header's salt-1 (a new one each time it is started over),
	 * every 5 ms for at most 10 s */
	long max_frames = 0;
	uint32_t salt = 0;
	int generations = 0, total = 0;
	for (int tick = 0; tick < 2000; tick++) {
		total = 0;
		for (int i = 0; i < W_THREADS; i++)
			total += w_commits[i];
		if (total >= W_THREADS * W_COMMITS)
			break;
		int fd = open(wal, O_RDONLY);
		if (fd >= 0) {
			unsigned char h[20];
			long frames = lseek(fd, 0, SEEK_END) / 4120; /* 24 + 4,096 bytes a frame */
			if (frames > max_frames)
				max_frames = frames;
			if (pread(fd, h, sizeof h, 0) == (ssize_t)sizeof h) {
				uint32_t s = (uint32_t)h[16] << 24 | (uint32_t)h[17] << 16 | (uint32_t)h[18] << 8 | h[19];
				if (s != salt)
					generations++;
				salt = s;
			}
			close(fd);
		}
		usleep(5000);
	}
	w_stop = 1;
	for (int i = 0; i < W_THREADS; i++)
		pthread_join(th[i], NULL);
	fprintf(stderr, "steady group commits: %d, the WAL at most %ld frames, %d generations seen\n", total,
		max_frames, generations);
	assert_true(total >= 8000);
	/* grown, never started over, it passed 18,000 frames within 24,000 commits */
	assert_true(max_frames < 12000);
	assert_true(generations >= 2);
	db_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dollar_n_placeholders_bind_by_number),
		cmocka_unit_test(test_R2_every_connection_has_the_pragmas),
		cmocka_unit_test(test_R5_write_lock_busy_is_db_busy),
		cmocka_unit_test(test_constraint_maps_to_db_constraint),
		cmocka_unit_test(test_migrate_check_and_backup),
		cmocka_unit_test(test_binding_5_on_a_2_parameter_statement_fails),
		cmocka_unit_test(test_reading_column_7_of_a_2_column_row_fails),
		cmocka_unit_test(test_a_table_with_a_missing_entry_is_caught),
		cmocka_unit_test(test_steady_group_commits_start_the_wal_over),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
