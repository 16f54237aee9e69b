/* scope.c: the organization-scope decision; see scope.h. The pure part
 * (scope_path_covers) is what the S2 property test compares with a naive reference;
 * the request part only gathers the caller's assignments that grant the permission. */
#include "auth/scope.h"
#include "auth/policy.h"
#include "auth/session.h"
#include "core/arena.h"
#include "http/request.h"
#include <string.h>

/* True when prefix ("/1/17/") is org_path itself or one of its ancestors. Both end in
 * '/', so "/1/1/" never covers "/1/17/". */
static bool path_within(const char *prefix, const char *org_path)
{
	size_t n = strlen(prefix);
	return n > 0 && prefix[n - 1] == '/' && strncmp(prefix, org_path, n) == 0;
}

bool scope_path_covers(const char *const *assign_paths, size_t n, const char *org_path)
{
	if (!org_path || org_path[0] != '/')
		return false;
	for (size_t i = 0; i < n; i++)
		if (assign_paths[i] && path_within(assign_paths[i], org_path))
			return true;
	return false;
}

bool scope_allows(const struct request *req, const char *perm, const char *org_path)
{
	const struct auth_session *s = req->session;
	if (!s || !org_path)
		return false;
	for (size_t i = 0; i < s->n_as; i++) {
		const struct auth_assignment *a = &s->as[i];
		if (a->org_path && policy_role_has(a->role, perm) && path_within(a->org_path, org_path))
			return true;
	}
	return false;
}

size_t scope_roots(const struct request *req, const char *perm, const char ***paths)
{
	const struct auth_session *s = req->session;
	*paths = NULL;
	if (!s || !s->n_as)
		return 0;
	const char **out = arena_alloc(req->arena, s->n_as * sizeof *out);
	size_t n = 0;
	for (size_t i = 0; i < s->n_as; i++) {
		const struct auth_assignment *a = &s->as[i];
		if (!a->org_path || !policy_role_has(a->role, perm))
			continue;
		bool inside = false;
		for (size_t j = 0; j < s->n_as && !inside; j++) {
			const struct auth_assignment *b = &s->as[j];
			if (j == i || !b->org_path || !policy_role_has(b->role, perm))
				continue;
			/* drop a path inside another; of two equal paths keep the first */
			if (path_within(b->org_path, a->org_path) && (strcmp(b->org_path, a->org_path) != 0 || j < i))
				inside = true;
		}
		if (!inside)
			out[n++] = a->org_path;
	}
	*paths = n ? out : NULL;
	return n;
}

char *scope_path_end(struct arena *a, const char *prefix)
{
	char *end = arena_strdup(a, prefix);
	size_t n = strlen(end);
	if (n && end[n - 1] == '/')
		end[n - 1] = '/' + 1;
	return end;
}
