/* roles.c: the permission catalogue and the built-in roles, read-only (policy is data
 * in src/auth/policy.c). Any signed-in user may read them: the front end filters its
 * menus by them and the security administrator assigns from them. */
#include "auth/policy.h"
#include "http/request.h"
#include "http/router.h"

static void get_permissions(struct request *req)
{
	size_t n;
	const struct perm_def *p = policy_perms(&n);
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, json_pack("{s:s, s:s}", "code", p[i].code, "name", p[i].name));
	req_reply_list(req, items, NULL, (int64_t)json_array_size(items));
}

static void get_roles(struct request *req)
{
	size_t n;
	const struct role_def *r = policy_roles(&n);
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *perms = json_array();
		const char *p[POLICY_MAX_ROLE_PERMS];
		size_t np = policy_role_perms(&r[i], p, POLICY_MAX_ROLE_PERMS);
		for (size_t k = 0; k < np; k++)
			json_array_append_new(perms, json_string(p[k]));
		json_array_append_new(items, json_pack("{s:s, s:s, s:o, s:b, s:b}", "code", r[i].code, "name", r[i].name,
						       "permissions", perms, "admin", r[i].admin, "needs_org",
						       r[i].needs_org));
	}
	req_reply_list(req, items, NULL, (int64_t)json_array_size(items));
}

static const struct route roles_routes[] = {
	{"GET", "/api/v1/permissions", get_permissions, PERM_SESSION, 0, 0, "the permission catalogue"},
	{"GET", "/api/v1/roles", get_roles, PERM_SESSION, 0, 0, "the built-in roles and their permissions"},
};
ROUTE_TABLE(roles);
