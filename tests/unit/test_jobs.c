/* test_jobs.c: the job runner (src/jobs/jobs.c) on a real SQLite file: a job runs on
 * the worker with its own connection, reports progress, stores its result; a failing
 * job is marked failed with its reason; jobs of a previous process are recovered. */
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

static void test_job_of_previous_process_recovered(void **state)
{
	(void)state;
	enum db_rc rc;
	int64_t id = jobs_create(db, "test", 5, 0, NULL, &rc); /* never started */
	jobs_recover(db);
	int64_t owner, org;
	json_t *j = jobs_get(db, id, &owner, &org, &rc);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "failed");
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_job_runs_reports_progress_and_result),
		cmocka_unit_test(test_job_failure_recorded),
		cmocka_unit_test(test_job_of_previous_process_recovered),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
