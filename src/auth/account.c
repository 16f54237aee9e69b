/* account.c: see account.h. */
#include "auth/account.h"
#include "auth/password.h"
#include "auth/policy.h"
#include "auth/session.h"
#include "core/arena.h"
#include "db/db.h"
#include "model/audit.h"
#include "model/user.h"
#include <sodium.h>
#include <stdio.h>
#include <string.h>

long account_assignments(struct db *db, struct arena *a, int64_t user_id, struct auth_assignment **out)
{
	*out = NULL;
	struct user_role *rs;
	long n = user_roles(db, a, user_id, &rs);
	if (n < 0)
		return -1;
	struct auth_assignment *as = arena_alloc(a, ((size_t)n + 1) * sizeof *as);
	size_t k = 0;
	for (long i = 0; i < n; i++) {
		const struct role_def *r = policy_role(rs[i].role);
		if (!r)
			continue; /* a role this binary no longer knows grants nothing */
		as[k].role = r;
		as[k].org_id = rs[i].org_id;
		as[k].org_path = rs[i].org_path;
		as[k].org_name = rs[i].org_name;
		k++;
	}
	*out = as;
	return (long)k;
}

bool account_is_admin(const struct auth_assignment *as, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (as[i].role->admin)
			return true;
	return false;
}

json_t *account_roles_json(const struct auth_assignment *as, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:o, s:o}", "role", as[i].role->code, "role_name",
						     as[i].role->name, "org_id",
						     as[i].org_id ? json_integer(as[i].org_id) : json_null(), "org_name",
						     as[i].org_name ? json_string(as[i].org_name) : json_null()));
	return arr;
}

enum db_rc account_create(struct db *db, const char *username, const char *name, const char *role, int64_t org_id,
		   char otp_out[17])
{
	const struct role_def *r = policy_role(role);
	if (!r) {
		fprintf(stderr, "dangjian: unknown role %s\n", role ? role : "(none)");
		return DB_ERROR;
	}
	if (r->admin && org_id) {
		fprintf(stderr, "dangjian: the administrator role %s is global; give no --org\n", role);
		return DB_ERROR;
	}
	if (r->needs_org && !org_id) {
		fprintf(stderr, "dangjian: the role %s needs --org ID\n", role);
		return DB_ERROR;
	}
	if (org_id && !user_org_exists(db, org_id)) {
		fprintf(stderr, "dangjian: no organization %lld\n", (long long)org_id);
		return DB_NOT_FOUND;
	}
	char hash[PASSWORD_HASH_LEN];
	password_one_time(otp_out);
	if (password_hash(otp_out, hash) != 0) {
		fprintf(stderr, "dangjian: password hashing failed (memory)\n");
		return DB_ERROR;
	}
	struct arena *a = arena_new();
	int64_t id = 0;
	int rc = user_insert(db, a, username, name, NULL, hash, &id);
	if (rc == DB_CONSTRAINT)
		fprintf(stderr, "dangjian: the username %s is taken\n", username);
	const char *roles[1] = {r->code};
	int64_t orgs[1] = {org_id};
	if (rc == DB_OK)
		rc = user_set_roles(db, id, roles, orgs, 1);
	if (rc == DB_OK) {
		struct audit_event ev = {.action = "user.create", .object_type = "user", .object_id = id,
					 .org_id = org_id, .success = true,
					 .summary = arena_printf(a, "username=%s role=%s via=cli", username, r->code)};
		rc = audit_write(db, &audit_system_cli, &ev) == 0 ? DB_OK : DB_ERROR;
	}
	if (rc != DB_OK && rc != DB_CONSTRAINT)
		fprintf(stderr, "dangjian: creating the user failed: %s\n", db_errmsg(db));
	arena_free(a);
	sodium_memzero(hash, sizeof hash);
	return rc;
}
