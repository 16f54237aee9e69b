/* test_revcache.c: the revision-keyed cache of subtree figures (src/model/revcache.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/arena.h"
#include "model/revcache.h"

REVCACHE_DEFINE(cache, 4, int64_t);
REVCACHE_BLOB_DEFINE(blobs, 2);

static void test_keys(void **state)
{
	(void)state;
	int64_t v = 0;
	assert_false(revcache_get(&cache, "/1/", 7, 1, 0, &v));
	int64_t put = 42;
	revcache_put(&cache, "/1/", 7, 1, 0, &put);
	assert_true(revcache_get(&cache, "/1/", 7, 1, 0, &v));
	assert_int_equal(v, 42);
	/* another revision, epoch, day or subtree is another key */
	assert_false(revcache_get(&cache, "/1/", 7, 2, 0, &v));
	assert_false(revcache_get(&cache, "/1/", 8, 1, 0, &v));
	assert_false(revcache_get(&cache, "/1/", 7, 1, 1, &v));
	assert_false(revcache_get(&cache, "/1/2/", 7, 1, 0, &v));
	/* a prefix too long to keep is not kept */
	char longp[200];
	memset(longp, 'a', sizeof longp - 1);
	longp[sizeof longp - 1] = 0;
	revcache_put(&cache, longp, 7, 1, 0, &put);
	assert_false(revcache_get(&cache, longp, 7, 1, 0, &v));
	/* the oldest slot is overwritten once all are used */
	for (int64_t i = 0; i < 4; i++)
		revcache_put(&cache, "/9/", 7, 10 + i, 0, &i);
	assert_false(revcache_get(&cache, "/1/", 7, 1, 0, &v));
	assert_true(revcache_get(&cache, "/9/", 7, 13, 0, &v));
	assert_int_equal(v, 3);
}

/* built answers: copied out whole, replaced (and freed) when their slot is reused */
static void test_blobs(void **state)
{
	(void)state;
	struct arena *a = arena_new();
	char *out = NULL;
	size_t len = 0;
	assert_false(revcache_get_blob(&blobs, "13|2027-01-01|", 5, 1, 0, a, &out, &len));
	assert_true(revcache_put_blob(&blobs, "13|2027-01-01|", 5, 1, 0, "{\"days\":[]}", 11));
	assert_true(revcache_get_blob(&blobs, "13|2027-01-01|", 5, 1, 0, a, &out, &len));
	assert_int_equal(len, 11);
	assert_string_equal(out, "{\"days\":[]}");
	assert_false(revcache_get_blob(&blobs, "13|2027-01-01|", 5, 2, 0, a, &out, &len));
	assert_false(revcache_get_blob(&blobs, "13|2027-01-01|", 5, 1, 1, a, &out, &len));
	assert_true(revcache_put_blob(&blobs, "x", 5, 1, 0, "1", 1));
	assert_true(revcache_put_blob(&blobs, "y", 5, 1, 0, "22", 2));
	assert_false(revcache_get_blob(&blobs, "13|2027-01-01|", 5, 1, 0, a, &out, &len));
	assert_true(revcache_get_blob(&blobs, "y", 5, 1, 0, a, &out, &len));
	assert_int_equal(len, 2);
	arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_blobs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
