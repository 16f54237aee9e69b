/* test_import.c: the roster import at the model level (src/model/import.h), without
 * HTTP: only the public import_members and import_headers, so that the rewrite of
 * import.c keeps this contract (DOMAIN.md roster import; SECURITY.md "Bad input"):
 *   - a dry run checks every row and changes nothing;
 *   - one bad row (a wrong ID check character) and a person twice in the file are
 *     reported with their row numbers, and nothing is imported (all-or-nothing);
 *   - good_only imports the good rows and they are in the roster, findable by their ID
 *     number's blind index in the organization's subtree;
 *   - the same file again: every row is a person who exists already, nothing imported;
 *   - a GB18030 (GBK) file is read as such;
 *   - a missing organization and an empty file are refused as a whole (NULL, a reason). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/idcard.h"
#include "core/log.h"
#include "dbtest.h"
#include "jobs/jobs.h"
#include "model/import.h"
#include "model/member.h"
#include "model/org.h"

#define GOOD 40

static struct db *db;
static int64_t branch;
static const char *branch_path;
static struct arena *ta;
static char ids[GOOD + 2][19];

static int header_index(const char *h)
{
	for (size_t i = 0; i < import_nheaders; i++)
		if (strcmp(import_headers[i], h) == 0)
			return (int)i;
	fail_msg("the template has no column %s", h);
	return -1;
}

struct csv {
	char *p;
	size_t len, cap;
};

static void add(struct csv *c, const char *s)
{
	size_t n = strlen(s);
	if (c->len + n + 1 > c->cap) {
		c->cap = (c->len + n + 1) * 2;
		c->p = realloc(c->p, c->cap);
		assert_non_null(c->p);
	}
	memcpy(c->p + c->len, s, n + 1);
	c->len += n;
}

/* One CSV row in the template's column order from (header, value) pairs. */
static void row(struct csv *c, const char *const *kv)
{
	const char *cells[64] = {0};
	assert_true(import_nheaders <= 64);
	for (int i = 0; kv[i]; i += 2)
		cells[header_index(kv[i])] = kv[i + 1];
	for (size_t i = 0; i < import_nheaders; i++) {
		if (i)
			add(c, ",");
		add(c, cells[i] ? cells[i] : "");
	}
	add(c, "\r\n");
}

static void person(struct csv *c, int k, const char *id)
{
	char name[32];
	snprintf(name, sizeof name, "导入测试%c%d", 'A' + k % 26, k);
	const char *kv[] = {"姓名", name, "性别", k % 2 ? "男" : "女", "身份证号码", id, "民族", "汉族",
			    "党员类别", k % 5 ? "正式党员" : "预备党员", "党籍状态", "正常", "入党时间",
			    k % 5 ? "2001-07-01" : "2026-07-01", "转正时间", k % 5 ? "2002-07-01" : "", NULL};
	row(c, kv);
}

/* The file: a header, GOOD people, then (when bad) a wrong check character and the
 * first person again. */
static struct csv file(bool bad)
{
	struct csv c = {0};
	for (size_t i = 0; i < import_nheaders; i++) {
		if (i)
			add(&c, ",");
		add(&c, import_headers[i]);
	}
	add(&c, "\r\n");
	for (int k = 0; k < GOOD; k++)
		person(&c, k, ids[k]);
	if (bad) {
		char wrong[19];
		memcpy(wrong, ids[GOOD], 19);
		wrong[17] = wrong[17] == '0' ? '1' : '0';
		person(&c, GOOD, wrong);
		person(&c, GOOD + 1, ids[0]);
	}
	return c;
}

static enum db_rc finish_job(struct db *d, void *ctx, int64_t id, const char *result)
{
	(void)ctx;
	return jobs_mark_done(d, id, result);
}

/* Options for one import, as a job of its own (its rows are staged under the job). */
static struct import_opts opts(bool dry_run, bool good_only)
{
	struct import_opts o;
	memset(&o, 0, sizeof o);
	o.format = IMPORT_CSV;
	o.org_id = branch;
	o.org_path = branch_path;
	enum db_rc rc;
	assert_int_equal(db_tx_begin(db, true), DB_OK);
	o.job_id = jobs_create(db, "member.import", 0, branch, "{}", &rc);
	assert_int_equal(rc, DB_OK);
	assert_int_equal(db_tx_commit(db), DB_OK);
	o.finish = finish_job;
	o.dry_run = dry_run;
	o.good_only = good_only;
	o.now = 1764000000;
	o.today = "2026-11-29";
	return o;
}

static json_t *run(const struct csv *c, const struct import_opts *o)
{
	enum db_rc rc = DB_ERROR;
	char why[256] = "";
	json_t *r = import_members(db, c->p, c->len, o, &rc, why, sizeof why);
	assert_int_equal(rc, DB_OK);
	if (!r)
		fail_msg("import refused the file: %s", why);
	return r;
}

static int64_t num(json_t *r, const char *k)
{
	json_t *v = json_object_get(r, k);
	if (!json_is_integer(v))
		fail_msg("result has no integer %s", k);
	return json_integer_value(v);
}

static int setup(void **state)
{
	db = dbtest_open();
	assert_non_null(db);
	log_open(NULL, LOG_WARN);
	ta = arena_new();
	assert_int_equal(db_tx_begin(db, true), DB_OK);
	struct org_rec root, b;
	memset(&root, 0, sizeof root);
	root.name = "导入测试街道党工委";
	root.type = "党工委";
	root.domain = "社区";
	assert_int_equal(org_insert(db, ta, &root), DB_OK);
	memset(&b, 0, sizeof b);
	b.parent_id = root.id;
	b.name = "导入测试党支部";
	b.type = "党支部";
	b.domain = "社区";
	assert_int_equal(org_insert(db, ta, &b), DB_OK);
	assert_int_equal(db_tx_commit(db), DB_OK);
	branch = b.id;
	branch_path = b.path;
	for (int k = 0; k < GOOD + 2; k++)
		/* odd sequence numbers are men: person() writes 男 for odd k */
		idcard_make("310104", (struct date){1950 + k % 20, 1 + k % 12, 1 + k % 28}, 2 * k + k % 2, ids[k]);
	return 0;
}

static int teardown(void **state)
{
	arena_free(ta);
	dbtest_close(db);
	return 0;
}

static void test_import_dry_run_checks_every_row_and_changes_nothing(void **state)
{
	struct csv c = file(false);
	int64_t before = member_count(db);
	struct import_opts o = opts(true, false);
	json_t *r = run(&c, &o);
	assert_int_equal(num(r, "total"), GOOD);
	assert_int_equal(num(r, "good"), GOOD);
	assert_int_equal(num(r, "bad"), 0);
	assert_int_equal(num(r, "imported"), 0);
	assert_true(json_is_true(json_object_get(r, "dry_run")));
	assert_string_equal(json_string_value(json_object_get(r, "encoding")), "utf-8");
	assert_int_equal(member_count(db), before);
	json_decref(r);
	free(c.p);
}

static void test_import_bad_rows_reported_by_row_and_nothing_imported(void **state)
{
	struct csv c = file(true);
	int64_t before = member_count(db);
	struct import_opts o = opts(false, false);
	json_t *r = run(&c, &o);
	assert_int_equal(num(r, "total"), GOOD + 2);
	assert_int_equal(num(r, "good"), GOOD);
	assert_int_equal(num(r, "bad"), 2);
	assert_int_equal(num(r, "imported"), 0);
	json_t *errs = json_object_get(r, "errors");
	assert_true(json_array_size(errs) >= 2);
	/* the header is row 1: the people are rows 2 … GOOD + 1, the bad ones after */
	bool wrong_id = false, twice = false;
	size_t i;
	json_t *e;
	json_array_foreach(errs, i, e) {
		int64_t rowno = json_integer_value(json_object_get(e, "row"));
		assert_true(rowno == GOOD + 2 || rowno == GOOD + 3);
		assert_true(strlen(json_string_value(json_object_get(e, "code"))) > 0);
		assert_true(strlen(json_string_value(json_object_get(e, "message"))) > 0);
		wrong_id |= rowno == GOOD + 2;
		twice |= rowno == GOOD + 3;
	}
	assert_true(wrong_id);
	assert_true(twice);
	assert_int_equal(member_count(db), before);
	json_decref(r);
	free(c.p);
}

static void test_import_good_only_imports_the_good_rows_into_the_org(void **state)
{
	struct csv c = file(true);
	int64_t before = member_count(db);
	struct import_opts o = opts(false, true);
	json_t *r = run(&c, &o);
	assert_int_equal(num(r, "imported"), GOOD);
	assert_int_equal(num(r, "bad"), 2);
	assert_int_equal(member_count(db), before + GOOD);
	for (int k = 0; k < GOOD; k++) {
		unsigned char blind[DJ_BLIND_LEN];
		member_id_blind(ids[k], blind);
		int64_t id = 0;
		const char *path = NULL;
		assert_int_equal(member_find_by_blind(db, ta, blind, &id, &path), DB_OK);
		assert_true(id > 0);
		assert_string_equal(path, branch_path);
	}
	/* the wrong ID number was not entered */
	unsigned char blind[DJ_BLIND_LEN];
	member_id_blind(ids[GOOD], blind);
	int64_t id;
	const char *path;
	assert_int_equal(member_find_by_blind(db, ta, blind, &id, &path), DB_NOT_FOUND);
	json_decref(r);
	free(c.p);
}

static void test_import_again_every_person_exists_nothing_imported(void **state)
{
	struct csv c = file(false);
	int64_t before = member_count(db);
	struct import_opts o = opts(false, true);
	json_t *r = run(&c, &o);
	assert_int_equal(num(r, "bad"), GOOD);
	assert_int_equal(num(r, "imported"), 0);
	assert_int_equal(member_count(db), before);
	json_decref(r);
	free(c.p);
}

static void test_import_gb18030_file(void **state)
{
	struct csv c = file(false);
	iconv_t cd = iconv_open("GB18030", "UTF-8");
	assert_true(cd != (iconv_t)-1);
	size_t cap = c.len * 2 + 16, left = cap, inleft = c.len;
	char *gbk = malloc(cap), *out = gbk, *in = c.p;
	assert_true(iconv(cd, &in, &inleft, &out, &left) != (size_t)-1);
	iconv_close(cd);
	struct csv g = {gbk, cap - left, cap};
	struct import_opts o = opts(true, false);
	json_t *r = run(&g, &o);
	assert_string_equal(json_string_value(json_object_get(r, "encoding")), "gb18030");
	/* the same people, read from GBK bytes: all exist already (imported above) */
	assert_int_equal(num(r, "total"), GOOD);
	assert_int_equal(num(r, "bad"), GOOD);
	json_decref(r);
	free(g.p);
	free(c.p);
}

/* The caller names the organization (its id and path, looked up in its own scope):
 * without its path, or with an empty file, the import is refused with a reason. */
static void test_import_refuses_a_missing_org_and_an_empty_file(void **state)
{
	struct csv c = file(false);
	struct import_opts o = opts(true, false);
	o.org_path = NULL;
	enum db_rc rc = DB_ERROR;
	char why[256] = "";
	json_t *r = import_members(db, c.p, c.len, &o, &rc, why, sizeof why);
	assert_null(r);
	assert_true(strlen(why) > 0);
	o.org_path = branch_path;
	why[0] = 0;
	r = import_members(db, "", 0, &o, &rc, why, sizeof why);
	assert_null(r);
	assert_true(strlen(why) > 0);
	free(c.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_import_dry_run_checks_every_row_and_changes_nothing),
		cmocka_unit_test(test_import_bad_rows_reported_by_row_and_nothing_imported),
		cmocka_unit_test(test_import_good_only_imports_the_good_rows_into_the_org),
		cmocka_unit_test(test_import_again_every_person_exists_nothing_imported),
		cmocka_unit_test(test_import_gb18030_file),
		cmocka_unit_test(test_import_refuses_a_missing_org_and_an_empty_file),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
