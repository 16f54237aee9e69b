/* test_member_list.c: the member list's plans (src/model/member_query.c) against a naive
 * reference, without HTTP. A temporary database gets a demo district of 3,000 members
 * inserted through the model (demo_build → member_validate + member_insert); every
 * member is read once with a plain SELECT, and the reference filters and sorts them in
 * C (names by their pinyin or stroke key computed here with core/collate.c, dates as
 * bytes, ties by id).
 * member_page must return, page after page with the keyset cursor, exactly the
 * reference's sequence, and member_count_filtered its count:
 *   - the root (3,000 > SMALL_SUBTREE = 2,000: the large plan, an index walk filtered
 *     by path) and every other organization (≤ 2,000: the small plan, read by path and
 *     sorted), by name and by joined date;
 *   - each filter of struct member_filter, alone and combined, on the root and on the
 *     largest small subtree;
 *   - the three column families (list page, full row, full row without the org name);
 *   - page sizes 1, 7, 50, 97 and 200.
 * And the masks of 0052 (issue 10 point 6): a list page and a masked export read the
 * stored masks and open no ciphertext (dj_open_count); a revealed export opens them and
 * their masks are the stored ones; member_fill_masks gives rows whose masks were
 * cleared exactly the masks they had. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/collate.h"
#include "core/log.h"
#include "dbtest.h"
#include "model/demo.h"
#include "model/member.h"

#define MEMBERS 3000

struct ref {
	int64_t id;
	char *name, *joined, *path, *status, *state, *sex, *eth, *edu, *birth;
	char *pinyin, *strokes; /* the name's keys (issue 20 #13) */
	int two_new;
};

static struct db *db;
static struct ref *all;
static size_t nall;
struct org {
	int64_t id;
	char *prefix, *end;
	size_t size;
};
static struct org *orgs;
static size_t norgs;

static char *dup_col(struct db_stmt *st, int i)
{
	const char *s = db_col_text(st, i);
	return s ? strdup(s) : NULL;
}

static const struct db_sql q_all = {
	"t.members", "SELECT id, name, joined_on, org_path, party_status, state, sex, ethnicity, education, birth_date,"
		     " two_new FROM members"};
static const struct db_sql q_orgs = {"t.orgs", "SELECT id, path FROM orgs ORDER BY id"};

static int setup(void **state)
{
	db = dbtest_open();
	assert_non_null(db);
	log_open(NULL, LOG_WARN);
	struct demo_spec spec = {.orgs = 60, .members = MEMBERS, .seed = 11, .streets = 0};
	struct demo_counts got;
	char why[200] = "";
	assert_int_equal(db_tx_begin(db, true), DB_OK);
	assert_int_equal(demo_build(db, &spec, &got, why, sizeof why), DB_OK);
	assert_int_equal(db_tx_commit(db), DB_OK);
	struct db_stmt *st = db_prepare(db, &q_all);
	assert_non_null(st);
	all = calloc(MEMBERS + 1, sizeof *all);
	while (db_step(st) == DB_ROW) {
		assert_true(nall < MEMBERS);
		struct ref *r = &all[nall++];
		r->id = db_col_int(st, 0);
		r->name = dup_col(st, 1);
		r->pinyin = malloc(COLLATE_KEY_SIZE(strlen(r->name)));
		r->strokes = malloc(COLLATE_KEY_SIZE(strlen(r->name)));
		collate_key(r->name, COLLATE_PINYIN, r->pinyin, COLLATE_KEY_SIZE(strlen(r->name)));
		collate_key(r->name, COLLATE_STROKE, r->strokes, COLLATE_KEY_SIZE(strlen(r->name)));
		r->joined = dup_col(st, 2);
		r->path = dup_col(st, 3);
		r->status = dup_col(st, 4);
		r->state = dup_col(st, 5);
		r->sex = dup_col(st, 6);
		r->eth = dup_col(st, 7);
		r->edu = dup_col(st, 8);
		r->birth = dup_col(st, 9);
		r->two_new = (int)db_col_int(st, 10);
	}
	db_reset(st);
	assert_int_equal(nall, MEMBERS);
	st = db_prepare(db, &q_orgs);
	orgs = calloc(100, sizeof *orgs);
	while (db_step(st) == DB_ROW) {
		assert_true(norgs < 100);
		struct org *o = &orgs[norgs++];
		o->id = db_col_int(st, 0);
		o->prefix = dup_col(st, 1);
		o->end = strdup(o->prefix);
		o->end[strlen(o->end) - 1] = '/' + 1; /* as scope_path_end does */
		for (size_t i = 0; i < nall; i++)
			o->size += strcmp(all[i].path, o->prefix) >= 0 && strcmp(all[i].path, o->end) < 0;
	}
	db_reset(st);
	return 0;
}

static int teardown(void **state)
{
	for (size_t i = 0; i < nall; i++) {
		struct ref *r = &all[i];
		char *f[] = {r->name, r->joined, r->path, r->status, r->state, r->sex, r->eth, r->edu, r->birth, r->pinyin, r->strokes};
		for (size_t k = 0; k < sizeof f / sizeof *f; k++)
			free(f[k]);
	}
	free(all);
	for (size_t i = 0; i < norgs; i++) {
		free(orgs[i].prefix);
		free(orgs[i].end);
	}
	free(orgs);
	dbtest_close(db);
	return 0;
}

/* SQL's "col = v": NULL never matches */
static bool eq(const char *col, const char *v)
{
	return col && strcmp(col, v) == 0;
}

/* "%x%" → contains x (the test's patterns have no LIKE escapes and no ASCII letters) */
static bool like(const char *name, const char *pat)
{
	size_t n = strlen(pat);
	assert_true(n >= 2 && pat[0] == '%' && pat[n - 1] == '%');
	char sub[64];
	assert_true(n - 2 < sizeof sub);
	memcpy(sub, pat + 1, n - 2);
	sub[n - 2] = 0;
	return strstr(name, sub) != NULL;
}

static bool matches(const struct ref *r, const struct member_filter *f)
{
	if (strcmp(r->path, f->prefix) < 0 || strcmp(r->path, f->end) >= 0)
		return false;
	if (f->party_status && !eq(r->status, f->party_status))
		return false;
	if (f->state && !eq(r->state, f->state))
		return false;
	if (f->edu_college >= 0) {
		const char *e = r->edu ? r->edu : "99";
		bool college = strcmp(e, "10") >= 0 && strcmp(e, "40") < 0;
		if (college != (f->edu_college == 1))
			return false;
	}
	if (f->birth_after && !(r->birth && strcmp(r->birth, f->birth_after) > 0))
		return false;
	if (f->birth_upto && !(r->birth && strcmp(r->birth, f->birth_upto) <= 0))
		return false;
	if (f->sex && !eq(r->sex, f->sex))
		return false;
	if (f->eth_eq && !eq(r->eth, f->eth_eq))
		return false;
	if (f->eth_ne && !(r->eth && strcmp(r->eth, f->eth_ne) != 0))
		return false;
	if (f->two_new >= 0 && r->two_new != f->two_new)
		return false;
	if (f->joined_from && !(r->joined && strcmp(r->joined, f->joined_from) >= 0))
		return false;
	if (f->joined_to && !(r->joined && strcmp(r->joined, f->joined_to) <= 0))
		return false;
	if (f->name_like && !like(r->name, f->name_like))
		return false;
	return true;
}

static const struct member_filter *sort_by;
static const char *ref_key(const struct ref *r, const struct member_filter *f)
{
	return f->sort_joined ? r->joined : f->sort_strokes ? r->strokes : r->pinyin;
}
static int by_key(const void *a, const void *b)
{
	const struct ref *x = *(const struct ref *const *)a, *y = *(const struct ref *const *)b;
	int c = strcmp(ref_key(x, sort_by), ref_key(y, sort_by));
	return c ? c : (x->id > y->id) - (x->id < y->id);
}

/* The reference sequence for f (malloc'd; *n set). */
static const struct ref **reference(const struct member_filter *f, size_t *n)
{
	const struct ref **out = malloc((nall + 1) * sizeof *out);
	*n = 0;
	for (size_t i = 0; i < nall; i++)
		if (matches(&all[i], f))
			out[(*n)++] = &all[i];
	sort_by = f;
	qsort(out, *n, sizeof *out, by_key);
	return out;
}

/* Walks f with pages of limit and compares with the reference; returns the count. */
static size_t walk(const struct member_filter *f, int limit, const char *what)
{
	size_t nref;
	const struct ref **want = reference(f, &nref);
	struct arena *a = arena_new();
	const char *ckey = "";
	char keybuf[COLLATE_KEY_SIZE(64)] = "";
	int64_t cid = 0;
	size_t got = 0, pages = 0;
	for (;;) {
		struct member_row *rows;
		size_t n;
		assert_int_equal(member_page(db, a, f, ckey, cid, limit, &rows, &n), DB_OK);
		pages++;
		for (size_t i = 0; i < n; i++, got++) {
			if (got >= nref || rows[i].id != want[got]->id)
				fail_msg("%s, limit %d: row %zu is member %lld (key %s), the reference has %lld (%s, key %s)", what, limit, got,
					 (long long)rows[i].id, rows[i].key, got < nref ? (long long)want[got]->id : -1LL, got < nref ? want[got]->name : "", got < nref ? ref_key(want[got], f) : "");
			const char *key = ref_key(want[got], f);
			assert_string_equal(rows[i].key, key);
			if (f->list_cols || !f->no_org_name)
				assert_non_null(rows[i].org_name);
			else
				assert_null(rows[i].org_name);
			/* every row carries the stored masks; only a decrypting full row the
			 * plaintext, whose masks are the stored ones */
			assert_non_null(rows[i].r.id_masked);
			assert_int_equal(strlen(rows[i].r.id_masked), IDCARD_LEN);
			if (!f->list_cols && f->decrypt) {
				assert_non_null(rows[i].r.id_number);
				char idm[IDCARD_LEN + 1], mm[12];
				idcard_mask(rows[i].r.id_number, idm);
				assert_string_equal(rows[i].r.id_masked, idm);
				if (rows[i].r.mobile) {
					mobile_mask(rows[i].r.mobile, mm);
					assert_string_equal(rows[i].r.mobile_masked, mm);
				} else {
					assert_null(rows[i].r.mobile_masked);
				}
			} else {
				assert_null(rows[i].r.id_number);
				assert_null(rows[i].r.mobile);
			}
		}
		if (n < (size_t)limit)
			break;
		snprintf(keybuf, sizeof keybuf, "%s", rows[n - 1].key);
		ckey = keybuf;
		cid = rows[n - 1].id;
		arena_free(a);
		a = arena_new();
		assert_true(pages <= nall + 1);
	}
	arena_free(a);
	if (got != nref)
		fail_msg("%s, limit %d: %zu rows, the reference has %zu", what, limit, got, nref);
	int64_t count = -1;
	assert_int_equal(member_count_filtered(db, f, &count), DB_OK);
	if (count != (int64_t)nref)
		fail_msg("%s: member_count_filtered %lld, the reference %zu", what, (long long)count, nref);
	free(want);
	return nref;
}

static struct member_filter base(const struct org *o)
{
	struct member_filter f;
	memset(&f, 0, sizeof f);
	f.prefix = o->prefix;
	f.end = o->end;
	f.edu_college = -1;
	f.two_new = -1;
	return f;
}

static const struct org *root_org(void)
{
	const struct org *r = &orgs[0];
	for (size_t i = 1; i < norgs; i++)
		if (orgs[i].size > r->size)
			r = &orgs[i];
	return r;
}

/* the largest subtree within the small plan */
static const struct org *largest_small(void)
{
	const struct org *best = NULL;
	for (size_t i = 0; i < norgs; i++)
		if (orgs[i].size <= 2000 && (!best || orgs[i].size > best->size))
			best = &orgs[i];
	return best;
}

static void test_list_plans_every_org_both_sorts_equal_the_reference(void **state)
{
	const struct org *root = root_org();
	assert_int_equal(root->size, MEMBERS); /* past the switch: the large plan */
	size_t seen_small = 0;
	for (size_t i = 0; i < norgs; i++) {
		struct member_filter f = base(&orgs[i]);
		f.list_cols = true;
		for (int s = 0; s < 3; s++) {
			f.sort_joined = s == 1;
			f.sort_strokes = s == 2;
			size_t n = walk(&f, 50, "every organization");
			assert_int_equal(n, orgs[i].size);
		}
		seen_small += orgs[i].size > 0 && orgs[i].size <= 2000;
	}
	assert_true(seen_small >= 10);
}

static void test_list_plans_filters_on_both_plans_equal_the_reference(void **state)
{
	const struct org *plans[] = {root_org(), largest_small()};
	assert_non_null(plans[1]);
	assert_true(plans[1]->size >= 200);
	for (int p = 0; p < 2; p++) {
		size_t total = 0, nonempty = 0;
		for (int c = 0; c < 13; c++) {
			struct member_filter f = base(plans[p]);
			const char *what = "";
			switch (c) {
			case 0: what = "no filter"; break;
			case 1: what = "预备党员"; f.party_status = "probationary"; break;
			case 2: what = "流动党员"; f.state = "floating"; break;
			case 3: what = "女"; f.sex = "2"; break;
			case 4: what = "汉族"; f.eth_eq = "01"; break;
			case 5: what = "少数民族"; f.eth_ne = "01"; break;
			case 6: what = "大专及以上"; f.edu_college = 1; break;
			case 7: what = "大专以下"; f.edu_college = 0; break;
			case 8: what = "两新"; f.two_new = 1; break;
			case 9: what = "birth range"; f.birth_after = "1960-01-01"; f.birth_upto = "1985-12-31"; break;
			case 10: what = "joined range"; f.joined_from = "1990-01-01"; f.joined_to = "2010-12-31"; break;
			case 11: what = "name contains 王"; f.name_like = "%王%"; break;
			case 12: what = "combined"; f.sex = "1"; f.party_status = "formal"; f.edu_college = 1;
				f.joined_from = "1980-01-01"; f.two_new = 0; break;
			}
			for (int fam = 0; fam < 3; fam++) {
				f.list_cols = fam == 0;
				f.no_org_name = fam == 2;
				f.decrypt = fam == 1; /* the export's family reads the masks only */
				for (int s = 0; s < 2; s++) {
					f.sort_joined = s;
					size_t n = walk(&f, fam == 0 ? 200 : p == 0 ? 97 : 7, what);
					if (fam == 0 && s == 0) {
						total += n;
						nonempty += n > 0;
					}
				}
			}
		}
		assert_true(nonempty >= 12); /* the data exercises the filters */
		assert_true(total > 0);
	}
}

static void test_list_plans_page_of_one(void **state)
{
	struct member_filter f = base(largest_small());
	f.list_cols = true;
	walk(&f, 1, "page of one, small plan");
	f = base(root_org());
	f.list_cols = true;
	f.sort_joined = true;
	f.state = "floating";
	walk(&f, 1, "page of one, large plan, filtered");
}

/* Issue 10 point 6: walking the root as a list page, and as a masked export, opens no
 * ciphertext; a revealed export opens each member's ID number and mobile. */
static void test_list_page_and_masked_export_open_no_ciphertext(void **state)
{
	struct member_filter f = base(root_org());
	f.list_cols = true;
	uint64_t before = dj_open_count();
	walk(&f, 200, "list page");
	f.sort_joined = true;
	walk(&f, 50, "list page by joined");
	assert_int_equal(dj_open_count() - before, 0);
	f = base(root_org());
	f.no_org_name = true;
	walk(&f, 97, "masked export");
	assert_int_equal(dj_open_count() - before, 0);
	f.decrypt = true;
	walk(&f, 97, "revealed export");
	assert_true(dj_open_count() - before >= MEMBERS); /* an ID number per member, and the mobiles */
}

static const struct db_sql q_masks = {"t.masks", "SELECT id, id_masked, mobile_masked FROM members ORDER BY id"};
static const struct db_sql q_clear = {"t.clear_masks", "UPDATE members SET id_masked = NULL, mobile_masked = NULL"};
static const struct db_sql q_unmasked = {"t.unmasked", "SELECT COUNT(*) FROM members WHERE id_masked IS NULL"};

/* Every member's (id, masks) as one string, for a byte comparison. */
static char *masks_dump(void)
{
	size_t cap = (size_t)MEMBERS * 64 + 1, len = 0;
	char *out = malloc(cap);
	struct db_stmt *st = db_prepare(db, &q_masks);
	assert_non_null(st);
	while (db_step(st) == DB_ROW) {
		const char *idm = db_col_text(st, 1), *mm = db_col_text(st, 2);
		len += (size_t)snprintf(out + len, cap - len, "%lld %s %s\n", (long long)db_col_int(st, 0),
					idm ? idm : "(null)", mm ? mm : "(null)");
		assert_true(len < cap);
	}
	db_reset(st);
	return out;
}

/* Rows written before 0052 (masks NULL) get, from member_fill_masks, exactly the masks
 * the write path stores; in batches (7 rows here, 429 transactions), once. */
static void test_member_fill_masks_restores_the_masks_once(void **state)
{
	char *want = masks_dump();
	assert_null(strstr(want, "(null) ")); /* every write filled the ID's mask */
	assert_int_equal(db_tx_begin(db, true), DB_OK);
	struct db_stmt *st = db_prepare(db, &q_clear);
	assert_int_equal(db_step(st), DB_DONE);
	assert_int_equal(db_tx_commit(db), DB_OK);
	st = db_prepare(db, &q_unmasked);
	assert_int_equal(db_step(st), DB_ROW);
	assert_int_equal(db_col_int(st, 0), MEMBERS);
	db_reset(st);
	int64_t filled = -1;
	assert_int_equal(member_fill_masks(db, 7, &filled), DB_OK);
	assert_int_equal(filled, MEMBERS);
	char *got = masks_dump();
	assert_string_equal(got, want);
	assert_int_equal(member_fill_masks(db, 0, &filled), DB_OK);
	assert_int_equal(filled, 0);
	free(got);
	free(want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_plans_every_org_both_sorts_equal_the_reference),
		cmocka_unit_test(test_list_plans_filters_on_both_plans_equal_the_reference),
		cmocka_unit_test(test_list_plans_page_of_one),
		cmocka_unit_test(test_list_page_and_masked_export_open_no_ciphertext),
		cmocka_unit_test(test_member_fill_masks_restores_the_masks_once),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
