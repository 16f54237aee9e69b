/* cli/import.c: `dangjian import FILE --org ID [--dry-run] [--good-only]`, the roster
 * import from the command line (the same model code as POST /members/import). It runs
 * as a job on the jobs worker like the server's (its lease renewed meanwhile, so that an
 * interrupted import tells the truth once a server takes it over, S24) and its result
 * is printed as JSON. Nothing here checks scope: the command line is the operator's. */
#include "cli/cli.h"
#include "core/arena.h"
#include "core/clock.h"
#include "db/db.h"
#include "jobs/jobs.h"
#include "model/import.h"
#include "model/org.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The whole file (malloc) into *data; -1 when unreadable. */
static int read_file(const char *file, char **data, size_t *len)
{
	FILE *f = fopen(file, "rb");
	if (!f)
		return -1;
	size_t cap = 0;
	*data = NULL;
	*len = 0;
	for (;;) {
		if (*len == cap) {
			cap = cap ? cap * 2 : 1 << 16;
			char *q = realloc(*data, cap);
			if (!q) {
				free(*data);
				fclose(f);
				return -1;
			}
			*data = q;
		}
		size_t n = fread(*data + *len, 1, cap - *len, f);
		if (n == 0)
			break;
		*len += n;
	}
	int bad = ferror(f);
	fclose(f);
	return bad ? -1 : 0;
}

struct cli_job {
	struct import_opts *o;
	const char *data;
	size_t len;
	int64_t id;
	json_t *res;    /* the result (a reference of our own), or NULL … */
	char why[256];  /* … with the reason */
};

static enum db_rc create_job(struct db *db, void *ctx)
{
	struct cli_job *c = ctx;
	enum db_rc rc;
	c->id = jobs_create(db, "member.import", 0, c->o->org_id, "{\"source\":\"cli\"}", &rc);
	return rc;
}

static enum db_rc finish_job(struct db *db, void *ctx, int64_t id, const char *result)
{
	(void)ctx;
	return jobs_mark_done(db, id, result);
}

static enum db_rc hold_job(struct db *db, void *ctx, int64_t id)
{
	(void)ctx;
	return jobs_hold(db, id);
}

/* The job's work, on the jobs worker as a server's import runs (its lease renewed
 * meanwhile, its outcome written by the runner). */
static json_t *work(struct job *j, struct db *db, void *arg, char *why, size_t whylen)
{
	struct cli_job *c = arg;
	(void)j;
	enum db_rc rc;
	json_t *res = import_members(db, c->data, c->len, c->o, &rc, why, whylen);
	if (!res)
		snprintf(why, whylen, "%s", rc == DB_BUSY ? "数据库忙，请稍后重试" : why[0] ? why : "存储错误");
	snprintf(c->why, sizeof c->why, "%s", why);
	c->res = json_incref(res);
	return res;
}

/* Runs the import as a job; prints the result; the exit status. */
static int run(struct db *db, struct import_opts *o, const char *data, size_t len)
{
	struct cli_job c = {.o = o, .data = data, .len = len};
	enum db_rc rc = db_tx_run(db, true, create_job, &c);
	if (rc != DB_OK) {
		fprintf(stderr, "dangjian: import failed: %s\n", rc == DB_BUSY ? "数据库忙，请稍后重试" : "存储错误");
		return 1;
	}
	o->job_id = c.id;
	o->finish = finish_job;
	o->hold = hold_job;
	/* the job is this process's while it runs: a server on the same database takes it
	 * over only if its lease runs out (jobs.h) */
	jobs_background_priority(false);
	import_stand_aside_short();
	if (jobs_lease_start(false) != 0 || jobs_start(c.id, work, &c, NULL) != 0) {
		jobs_fail(db, c.id, "后台任务无法启动");
		jobs_lease_stop();
		fprintf(stderr, "dangjian: import failed: cannot start the jobs threads\n");
		return 1;
	}
	jobs_drain();
	jobs_drain_for(1); /* the worker and the lease thread end */
	if (!c.res) {
		fprintf(stderr, "dangjian: import failed: %s\n", c.why[0] ? c.why : "存储错误");
		return 1;
	}
	char *t = json_dumps(c.res, JSON_COMPACT);
	printf("%s\n", t);
	free(t);
	bool ok = !json_object_get(c.res, "failed") && json_integer_value(json_object_get(c.res, "bad")) == 0;
	json_decref(c.res);
	return ok ? 0 : 1;
}

static int cmd_import(int argc, char **argv)
{
	const char *file = NULL;
	struct import_opts o = {0};
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--org") == 0 && i + 1 < argc)
			o.org_id = strtoll(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--dry-run") == 0)
			o.dry_run = true;
		else if (strcmp(argv[i], "--good-only") == 0)
			o.good_only = true;
		else if (argv[i][0] != '-' && !file)
			file = argv[i];
		else
			file = NULL, i = argc;
	}
	if (!file || o.org_id <= 0) {
		fprintf(stderr, "usage: dangjian import FILE --org ID [--dry-run] [--good-only]\n");
		return 2;
	}
	char *data;
	size_t len;
	if (read_file(file, &data, &len) != 0) {
		fprintf(stderr, "dangjian: cannot read %s\n", file);
		return 1;
	}
	size_t fl = strlen(file);
	o.format = fl > 5 && strcmp(file + fl - 5, ".xlsx") == 0 ? IMPORT_XLSX : IMPORT_CSV;
	char today[11];
	clock_today(today);
	o.today = today;
	o.now = clock_now();
	o.max_errors = 50;
	struct db *db = cli_open_db();
	if (!db) {
		free(data);
		return 1;
	}
	int status = 1;
	struct arena *a = arena_new();
	struct org_rec org;
	enum db_rc rc = org_get(db, a, o.org_id, &org);
	if (rc == DB_OK) {
		o.org_path = org.path;
		status = run(db, &o, data, len);
	} else {
		fprintf(stderr, "dangjian: import failed: %s\n", rc == DB_NOT_FOUND ? "党组织不存在" : "存储错误");
	}
	arena_free(a);
	free(data);
	db_close(db);
	db_close_all(); /* the lease thread's connection */
	return status;
}
CLI_COMMAND(import, cmd_import, "import FILE --org ID [--dry-run] [--good-only]", "import members from .xlsx or .csv");
