/* policy.h: the permission catalogue and the built-in roles (DESIGN.md §5), as data.
 * Routes name a permission; roles list the permissions they grant; an assignment
 * (user, role, organization) grants them over the organization's subtree. The three
 * administrator roles (三权分立) hold no business permission, exclude each other and any
 * other role, need TOTP, and are assigned without an organization (global). */
#ifndef DJ_POLICY_H
#define DJ_POLICY_H
#include <stdbool.h>
#include <stddef.h>

struct perm_def {
	const char *code; /* "member.read" */
	const char *name; /* Chinese, for the UI */
};

#define ROLE_MAX_PERMS 16 /* the role's own; capabilities' grants are in policy.c */

struct role_def {
	const char *code;  /* "branch_secretary" */
	const char *name;  /* "支部书记" */
	bool admin;        /* sysadmin, secadmin, auditor */
	bool needs_org;    /* the assignment must name an organization */
	const char *perms[ROLE_MAX_PERMS]; /* NULL-terminated */
};

/* The catalogues and their sizes; static. */
const struct perm_def *policy_perms(size_t *n);
const struct role_def *policy_roles(size_t *n);
/* A role or permission by code, or NULL. */
const struct role_def *policy_role(const char *code);
const struct perm_def *policy_perm(const char *code);
/* Every permission the role grants (its own, then the capabilities' grants) into out,
 * up to max; returns how many. */
#define POLICY_MAX_ROLE_PERMS 128
size_t policy_role_perms(const struct role_def *r, const char **out, size_t max);
/* True when the role grants perm. */
bool policy_role_has(const struct role_def *r, const char *perm);
#endif
