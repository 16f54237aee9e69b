/* test_audit.c: the audit log (src/model/audit.c), SECURITY.md S10: the hash chain
 * detects every single-row update, delete, insert or reorder over 1,000 random
 * mutations (made as an attacker with the file would: triggers dropped, straight SQL),
 * the triggers refuse UPDATE and DELETE, and a change whose audit row cannot be
 * written rolls back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "dbtest.h"
#include "auth/account.h"
#include "model/audit.h"
#include "model/user.h"

#define ROWS 60

static sqlite3 *raw_open(void)
{
	sqlite3 *h = NULL;
	char path[300];
	snprintf(path, sizeof path, "%s/dj.db", dbtest_dir);
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	sqlite3_busy_timeout(h, 2000);
	return h;
}

static int raw(sqlite3 *h, const char *sql)
{
	char *err = NULL;
	int rc = sqlite3_exec(h, sql, NULL, NULL, &err);
	sqlite3_free(err);
	return rc;
}

/* One row per transaction, as requests write them; actor and event vary over every
 * NULL / non-NULL combination the encoding distinguishes. */
static enum db_rc fill_one(struct db *db, void *ctx)
{
	int i = *(int *)ctx;
	char summary[64];
	snprintf(summary, sizeof summary, "第 %d 条 n=%d", i, i * 7);
	struct audit_event ev = {.action = i % 3 ? "member.update" : "session.login", .object_type = "member",
				 .object_id = i % 5 ? i + 100 : 0, .org_id = i % 4, .success = i % 7 != 0,
				 .summary = i % 6 ? summary : NULL};
	struct audit_actor actor = {.user_id = i % 9, .name = i % 9 ? "张三" : NULL, .role = i % 8 ? "branch_admin" : NULL,
				    .ip = i % 2 ? "10.0.0.1" : NULL, .org_id = i % 11 ? 0 : 7};
	return audit_write(db, &actor, &ev);
}

static void fill(struct db *db)
{
	for (int i = 0; i < ROWS; i++)
		assert_int_equal(db_tx_run(db, true, fill_one, &i), DB_OK);
}

static void test_S10_triggers_refuse_update_and_delete(void **state)
{
	(void)state;
	struct db *db = dbtest_open();
	assert_non_null(db);
	fill(db);
	sqlite3 *h = raw_open();
	assert_int_not_equal(raw(h, "UPDATE audit_log SET summary = 'x' WHERE id = 3"), SQLITE_OK);
	assert_int_not_equal(raw(h, "DELETE FROM audit_log WHERE id = 3"), SQLITE_OK);
	assert_int_not_equal(raw(h, "DELETE FROM audit_log"), SQLITE_OK);
	int64_t count, broken;
	assert_int_equal(audit_verify(db, &count, &broken), 0);
	assert_int_equal(count, ROWS);
	sqlite3_close(h);
	dbtest_close(db);
}

static void snapshot(sqlite3 *h, int64_t id)
{
	char sql[200];
	snprintf(sql, sizeof sql, "INSERT INTO temp.saved SELECT * FROM audit_log WHERE id = %lld", (long long)id);
	assert_int_equal(raw(h, sql), SQLITE_OK);
}

static void test_S10_chain_detects_1000_random_mutations(void **state)
{
	(void)state;
	struct db *db = dbtest_open();
	assert_non_null(db);
	fill(db);
	sqlite3 *h = raw_open();
	/* the attacker has the file, not the key */
	assert_int_equal(raw(h, "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;"), SQLITE_OK);
	assert_int_equal(raw(h, "CREATE TEMP TABLE saved AS SELECT * FROM audit_log WHERE 0"), SQLITE_OK);
	static const char *const cols[] = {"at = at + 1", "actor_id = COALESCE(actor_id, 0) + 1",
					   "actor_name = COALESCE(actor_name, '') || 'x'", "role = 'sysadmin'",
					   "org_id = COALESCE(org_id, 0) + 1", "ip = '6.6.6.6'", "action = 'user.delete'",
					   "object_type = 'org'", "object_id = COALESCE(object_id, 0) + 1000",
					   "outcome = CASE outcome WHEN 'success' THEN 'failure' ELSE 'success' END",
					   "summary = COALESCE(summary, '') || ' '", "mac = randomblob(32)",
					   "actor_id = CASE WHEN actor_id IS NULL THEN 0 ELSE NULL END",
					   "summary = CASE WHEN summary IS NULL THEN '' ELSE NULL END"};
	int kinds[4] = {0};
	for (int m = 0; m < 1000; m++) {
		int kind = (int)randombytes_uniform(4);
		int64_t r = 1 + randombytes_uniform(ROWS), r2 = 1 + randombytes_uniform(ROWS);
		if (m % 50 == 0)
			r = ROWS; /* the newest row too: cutting the tail must show */
		char sql[400];
		assert_int_equal(raw(h, "DELETE FROM temp.saved"), SQLITE_OK);
		switch (kind) {
		case 0: { /* update one field of one row */
			const char *c = cols[randombytes_uniform(sizeof cols / sizeof cols[0])];
			snapshot(h, r);
			snprintf(sql, sizeof sql, "UPDATE audit_log SET %s WHERE id = %lld", c, (long long)r);
			break;
		}
		case 1: /* delete a row */
			snapshot(h, r);
			snprintf(sql, sizeof sql, "DELETE FROM audit_log WHERE id = %lld", (long long)r);
			break;
		case 2: /* insert a forged row (a copy of a real one, its mac included) at the end */
			snprintf(sql, sizeof sql,
				 "INSERT INTO audit_log SELECT %d, at, actor_id, actor_name, role, org_id, ip, action, "
				 "object_type, object_id, outcome, summary, mac FROM audit_log WHERE id = %lld",
				 ROWS + 1, (long long)r);
			break;
		default: /* reorder: two rows swap places */
			if (r2 == r)
				r2 = r % ROWS + 1;
			snapshot(h, r);
			snapshot(h, r2);
			snprintf(sql, sizeof sql,
				 "DELETE FROM audit_log WHERE id IN (%lld, %lld); "
				 "INSERT INTO audit_log SELECT CASE id WHEN %lld THEN %lld ELSE %lld END, at, actor_id, "
				 "actor_name, role, org_id, ip, action, object_type, object_id, outcome, summary, mac "
				 "FROM temp.saved",
				 (long long)r, (long long)r2, (long long)r, (long long)r2, (long long)r);
			break;
		}
		assert_int_equal(raw(h, sql), SQLITE_OK);
		int64_t count, broken;
		int rc = audit_verify(db, &count, &broken);
		if (rc != 1)
			fail_msg("mutation %d (kind %d, row %lld) went unnoticed: %s", m, kind, (long long)r, sql);
		assert_true(broken >= 1 && broken <= ROWS + 1);
		kinds[kind]++;
		/* undo, and the chain verifies again */
		if (kind == 2) {
			snprintf(sql, sizeof sql, "DELETE FROM audit_log WHERE id = %d", ROWS + 1);
		} else {
			snprintf(sql, sizeof sql,
				 "DELETE FROM audit_log WHERE id IN (SELECT id FROM temp.saved); "
				 "INSERT INTO audit_log SELECT * FROM temp.saved");
		}
		assert_int_equal(raw(h, sql), SQLITE_OK);
		assert_int_equal(audit_verify(db, &count, &broken), 0);
		assert_int_equal(count, ROWS);
	}
	for (int k = 0; k < 4; k++)
		assert_true(kinds[k] > 150);
	/* the head row gone while rows remain is a break as well */
	assert_int_equal(raw(h, "DELETE FROM audit_head"), SQLITE_OK);
	int64_t count, broken;
	assert_int_equal(audit_verify(db, &count, &broken), 1);
	sqlite3_close(h);
	dbtest_close(db);
}

static const struct db_sql count_users = {"test.count_users", "SELECT COUNT(*) FROM users"};

static char test_otp[17];
static enum db_rc create_member_account(struct db *db, void *ctx)
{
	(void)ctx;
	return account_create(db, "rollback", "回滚", "member", 0, test_otp);
}

static void test_S10_failed_audit_write_rolls_the_change_back(void **state)
{
	(void)state;
	struct db *db = dbtest_open();
	assert_non_null(db);
	sqlite3 *h = raw_open();
	assert_int_equal(raw(h, "CREATE TRIGGER audit_broken BEFORE INSERT ON audit_log "
				"BEGIN SELECT RAISE(ABORT, 'disk says no'); END"),
			 SQLITE_OK);
	assert_int_not_equal(db_tx_run(db, true, create_member_account, NULL), DB_OK);
	struct db_stmt *st = db_prepare(db, &count_users);
	assert_int_equal(db_step(st), DB_ROW);
	assert_int_equal(db_col_int(st, 0), 0); /* no user without its audit row */
	db_reset(st);
	assert_int_equal(raw(h, "DROP TRIGGER audit_broken"), SQLITE_OK);
	assert_int_equal(db_tx_run(db, true, create_member_account, NULL), DB_OK);
	st = db_prepare(db, &count_users);
	assert_int_equal(db_step(st), DB_ROW);
	assert_int_equal(db_col_int(st, 0), 1);
	db_reset(st);
	sqlite3_close(h);
	dbtest_close(db);
}

static enum db_rc write_for_actor(struct db *db, void *ctx)
{
	const struct audit_actor *actor = ctx;
	struct audit_event ev = {.action = "member.update", .object_type = "member", .object_id = 5, .success = true};
	return audit_write(db, actor, &ev);
}

/* The actor value is what the row says: its user, name, role, address, and the role's
 * organization when the event names none (as audit_record fills it from a session). */
static void test_audit_write_records_the_actor(void **state)
{
	(void)state;
	struct db *db = dbtest_open();
	assert_non_null(db);
	struct audit_actor actor = {.user_id = 42, .name = "李四", .role = "community_admin", .ip = "192.0.2.7",
				    .org_id = 17};
	assert_int_equal(db_tx_run(db, true, write_for_actor, &actor), DB_OK);
	assert_int_equal(db_tx_begin(db, false), DB_OK);
	struct audit_filter f = {0};
	int64_t last = 0, total = 0;
	json_t *items = audit_list(db, &f, 0, 10, &last, &total);
	db_tx_rollback(db);
	assert_non_null(items);
	assert_int_equal(total, 1);
	json_t *row = json_array_get(items, 0);
	assert_int_equal(json_integer_value(json_object_get(row, "actor_id")), 42);
	assert_string_equal(json_string_value(json_object_get(row, "actor_name")), "李四");
	assert_string_equal(json_string_value(json_object_get(row, "role")), "community_admin");
	assert_string_equal(json_string_value(json_object_get(row, "ip")), "192.0.2.7");
	assert_int_equal(json_integer_value(json_object_get(row, "org_id")), 17);
	json_decref(items);
	dbtest_close(db);
}

static enum db_rc write_then_fail(struct db *db, void *ctx)
{
	enum db_rc rc = write_for_actor(db, ctx);
	return rc == DB_OK ? DB_CONSTRAINT : rc; /* the change it records is refused */
}

/* audit_write never commits by itself: the row goes with its caller's transaction. */
static void test_audit_row_rolls_back_with_the_callers_transaction(void **state)
{
	(void)state;
	struct db *db = dbtest_open();
	assert_non_null(db);
	struct audit_actor system = {.name = "system", .ip = "cli"};
	assert_int_equal(db_tx_run(db, true, write_then_fail, &system), DB_CONSTRAINT);
	assert_int_equal(db_tx_run(db, true, write_for_actor, &system), DB_OK);
	int64_t count, broken;
	assert_int_equal(audit_verify(db, &count, &broken), 0);
	assert_int_equal(count, 1);
	dbtest_close(db);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_S10_triggers_refuse_update_and_delete),
		cmocka_unit_test(test_S10_chain_detects_1000_random_mutations),
		cmocka_unit_test(test_S10_failed_audit_write_rolls_the_change_back),
		cmocka_unit_test(test_audit_write_records_the_actor),
		cmocka_unit_test(test_audit_row_rolls_back_with_the_callers_transaction),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
