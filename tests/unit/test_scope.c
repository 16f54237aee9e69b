/* test_scope.c: the organization-scope decision (src/auth/scope.c), SECURITY.md S2:
 * scope_path_covers and scope_allows agree with a naive reference that walks parent
 * links, on 10^5 random (tree, user, object) cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth/policy.h"
#include "auth/scope.h"
#include "auth/session.h"
#include "core/arena.h"
#include "http/request.h"

#define MAXN 60

struct tree {
	int n;
	int id[MAXN];     /* organization ids: random, so "/1/" vs "/17/" prefixes occur */
	int parent[MAXN]; /* index of the parent, -1 for a root (several roots = foreign trees) */
	char path[MAXN][256];
};

static void random_tree(struct tree *t)
{
	t->n = 2 + (int)randombytes_uniform(MAXN - 1);
	for (int i = 0; i < t->n; i++) {
		int id;
		bool dup;
		do { /* small ids make prefix look-alikes (1, 17, 170) likely */
			id = 1 + (int)randombytes_uniform(300);
			dup = false;
			for (int k = 0; k < i; k++)
				dup |= t->id[k] == id;
		} while (dup);
		t->id[i] = id;
		t->parent[i] = i == 0 || randombytes_uniform(8) == 0 ? -1 : (int)randombytes_uniform((uint32_t)i);
		if (t->parent[i] < 0)
			snprintf(t->path[i], sizeof t->path[i], "/%d/", id);
		else {
			char parent[200];
			snprintf(parent, sizeof parent, "%.190s", t->path[t->parent[i]]);
			snprintf(t->path[i], sizeof t->path[i], "%s%d/", parent, id);
		}
	}
}

/* The reference: is any assigned node the object or one of its ancestors? */
static bool naive(const struct tree *t, const int *assigned, int na, int obj)
{
	for (int x = obj; x >= 0; x = t->parent[x])
		for (int k = 0; k < na; k++)
			if (assigned[k] == x)
				return true;
	return false;
}

static void test_S2_scope_equals_naive_reference(void **state)
{
	(void)state;
	const struct role_def *with = policy_role("branch_secretary"); /* grants member.read */
	const struct role_def *without = policy_role("member");        /* does not */
	assert_non_null(with);
	assert_non_null(without);
	struct tree t;
	long cases = 0, allowed = 0;
	struct arena *a = arena_new();
	while (cases < 100000) {
		random_tree(&t);
		for (int c = 0; c < 100; c++, cases++) {
			int na = (int)randombytes_uniform(5), assigned[5], granting[5], ng = 0;
			const char *paths[5];
			struct auth_assignment as[6];
			for (int k = 0; k < na; k++) {
				assigned[k] = (int)randombytes_uniform((uint32_t)t.n);
				paths[k] = t.path[assigned[k]];
				bool grants = randombytes_uniform(4) != 0;
				as[k] = (struct auth_assignment){.role = grants ? with : without, .org_id = t.id[assigned[k]],
								 .org_path = t.path[assigned[k]], .org_name = "x"};
				if (grants)
					granting[ng++] = assigned[k];
			}
			/* an administrator-style assignment without an organization covers nothing */
			as[na] = (struct auth_assignment){.role = with, .org_id = 0, .org_path = NULL};
			int obj = (int)randombytes_uniform((uint32_t)t.n);
			bool want = naive(&t, assigned, na, obj);
			assert_int_equal(scope_path_covers(paths, (size_t)na, t.path[obj]), want);

			struct auth_session s = {.user_id = 1, .as = as, .n_as = (size_t)na + 1};
			struct request req = {.arena = a, .session = &s};
			bool want_perm = naive(&t, granting, ng, obj);
			assert_int_equal(scope_allows(&req, "member.read", t.path[obj]), want_perm);
			allowed += want_perm;

			/* scope_roots: minimal, and the union of their subtrees is the same scope */
			const char **roots;
			size_t nr = scope_roots(&req, "member.read", &roots);
			assert_int_equal(scope_path_covers(roots, nr, t.path[obj]), want_perm);
			for (size_t i = 0; i < nr; i++)
				for (size_t j = 0; j < nr; j++)
					if (i != j)
						assert_false(strncmp(roots[i], roots[j], strlen(roots[i])) == 0);
			/* the index range of DESIGN.md §10 selects exactly the subtree */
			if (na) {
				const char *p = paths[0];
				char *end = scope_path_end(a, p);
				bool in_range = strcmp(t.path[obj], p) >= 0 && strcmp(t.path[obj], end) < 0;
				assert_int_equal(in_range, naive(&t, assigned, 1, obj));
			}
		}
	}
	arena_free(a);
	assert_true(allowed > 1000 && allowed < cases - 1000); /* both answers were exercised */
}

static void test_S2_scope_edges(void **state)
{
	(void)state;
	const char *one[] = {"/1/"};
	assert_true(scope_path_covers(one, 1, "/1/"));
	assert_true(scope_path_covers(one, 1, "/1/17/342/"));
	assert_false(scope_path_covers(one, 1, "/17/"));
	const char *seventeen[] = {"/1/17/"};
	assert_false(scope_path_covers(seventeen, 1, "/1/170/"));
	assert_false(scope_path_covers(seventeen, 1, "/1/"));
	assert_false(scope_path_covers(seventeen, 1, NULL));
	assert_false(scope_path_covers(NULL, 0, "/1/"));
	const char *bad[] = {"/1"}; /* a path without its closing slash covers nothing */
	assert_false(scope_path_covers(bad, 1, "/17/"));
	struct arena *a = arena_new();
	assert_string_equal(scope_path_end(a, "/1/17/"), "/1/170");
	struct request req = {.arena = a};
	assert_false(scope_allows(&req, "member.read", "/1/")); /* no session: nothing */
	arena_free(a);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_S2_scope_equals_naive_reference),
		cmocka_unit_test(test_S2_scope_edges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
