/* test_jobs.c: the job runner (src/jobs/jobs.c) on a real SQLite file: a job runs on
 * the worker with its own connection, reports progress, stores its result; a failing
 * job is marked failed with its reason; a job whose lease ran out is taken over. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "db/db.h"
#include "jobs/jobs.h"

static char dir[] = "/tmp/dj_test_jobs_XXXXXX";
static struct db *db;

static int setup(void **state)
{
	(void)state;
	assert_non_null(mkdtemp(dir));
	config_defaults();
	static char path[256];
	snprintf(path, sizeof path, "%s/t.db", dir);
	assert_int_equal(config_set("db", path), 0);
	db = db_open(path, DB_OPEN_CREATE);
	assert_non_null(db);
	assert_int_equal(db_migrate(db), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	db_close(db);
	db_close_all();
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static int seen_progress;

static json_t *work_ok(struct job *j, struct db *wdb, void *arg, char *why, size_t whylen)
{
	(void)why;
	(void)whylen;
	assert_non_null(wdb);
	assert_ptr_not_equal(wdb, db); /* the worker's own connection */
	jobs_progress(j, 40);
	int64_t o, g;
	enum db_rc rc;
	json_t *me = jobs_get(wdb, jobs_id(j), &o, &g, &rc);
	assert_non_null(me);
	assert_string_equal(json_string_value(json_object_get(me, "status")), "running");
	seen_progress = (int)json_integer_value(json_object_get(me, "progress"));
	json_decref(me);
	return json_pack("{s:s, s:i}", "echo", (const char *)arg, "n", 7);
}

static json_t *work_fail(struct job *j, struct db *wdb, void *arg, char *why, size_t whylen)
{
	(void)j;
	(void)wdb;
	(void)arg;
	snprintf(why, whylen, "文件无法读取");
	return NULL;
}

static void test_job_runs_reports_progress_and_result(void **state)
{
	(void)state;
	enum db_rc rc;
	int64_t id = jobs_create(db, "test", 5, 0, "{}", &rc);
	assert_int_equal(rc, DB_OK);
	assert_true(id > 0);
	int64_t owner, org;
	json_t *j = jobs_get(db, id, &owner, &org, &rc);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "queued");
	assert_int_equal(owner, 5);
	json_decref(j);
	assert_int_equal(jobs_start(id, work_ok, strdup("你好"), free), 0);
	jobs_drain();
	j = jobs_get(db, id, &owner, &org, &rc);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "done");
	assert_int_equal(json_integer_value(json_object_get(j, "progress")), 100);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "result"), "echo")), "你好");
	assert_int_equal(seen_progress, 40);
	json_decref(j);
}

static void test_job_failure_recorded(void **state)
{
	(void)state;
	enum db_rc rc;
	int64_t id = jobs_create(db, "test", 5, 0, NULL, &rc);
	assert_int_equal(jobs_start(id, work_fail, NULL, NULL), 0);
	jobs_drain();
	int64_t owner, org;
	json_t *j = jobs_get(db, id, &owner, &org, &rc);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "failed");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "result"), "error")), "文件无法读取");
	json_decref(j);
	assert_null(jobs_get(db, 999999, &owner, &org, &rc));
	assert_int_equal(rc, DB_NOT_FOUND);
}

static const char *status_of(int64_t id)
{
	int64_t owner, org;
	enum db_rc rc;
	static char buf[16];
	json_t *j = jobs_get(db, id, &owner, &org, &rc);
	assert_non_null(j);
	snprintf(buf, sizeof buf, "%s", json_string_value(json_object_get(j, "status")));
	json_decref(j);
	return buf;
}

/* issue 12: a job whose lease ran out (its process stopped) is taken over and failed
 * with a reason asking to submit it again; a job this process still holds is left */
static void test_job_with_expired_lease_taken_over(void **state)
{
	(void)state;
	enum db_rc rc;
	int64_t mine = jobs_create(db, "test", 5, 0, NULL, &rc); /* held by this process */
	int64_t gone = jobs_create(db, "test", 5, 0, NULL, &rc);
	int64_t old = jobs_create(db, "test", 5, 0, NULL, &rc);
	char sql[200];
	/* another process's lease that ran out, and a job from before leases existed */
	snprintf(sql, sizeof sql,
		 "UPDATE jobs SET lease_owner = 'elsewhere', lease_until = 1 WHERE id = %lld;"
		 " UPDATE jobs SET lease_owner = NULL, lease_until = NULL WHERE id = %lld;",
		 (long long)gone, (long long)old);
	assert_int_equal(db_exec_script(db, sql), DB_OK);
	assert_int_equal(jobs_recover(db), DB_OK);
	assert_string_equal(status_of(mine), "queued");
	assert_string_equal(status_of(gone), "failed");
	assert_string_equal(status_of(old), "failed");
	int64_t owner, org;
	json_t *j = jobs_get(db, gone, &owner, &org, &rc);
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(j, "result"), "error")), "请重新提交"));
	json_decref(j);
	/* the job taken over is no longer the other process's: its writes are refused */
	assert_int_equal(db_tx_begin(db, true), DB_OK);
	assert_int_equal(jobs_hold(db, gone), DB_ERROR);
	assert_int_equal(jobs_hold(db, mine), DB_OK);
	db_tx_rollback(db);
	/* and this process's own job, let go, is taken over like any other */
	snprintf(sql, sizeof sql, "UPDATE jobs SET lease_until = 0 WHERE id = %lld;", (long long)mine);
	assert_int_equal(db_exec_script(db, sql), DB_OK);
	assert_int_equal(jobs_recover(db), DB_OK);
	assert_string_equal(status_of(mine), "failed");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_job_runs_reports_progress_and_result),
		cmocka_unit_test(test_job_failure_recorded),
		cmocka_unit_test(test_job_with_expired_lease_taken_over),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
