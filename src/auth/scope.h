/* scope.h: the one place that decides whether an organization lies inside what the
 * caller may act on (DESIGN.md §5, SECURITY.md S1/S2). An assignment (user, role,
 * organization) covers that organization's whole subtree; subtrees are materialized
 * paths ("/1/17/342/"), so "inside" is a prefix test. Every model query that lists or
 * fetches business data asks here first, and answers 404 (never 403) when the object's
 * organization is outside, exactly as for a missing object.
 * Implemented by the identity module (src/auth/scope.c). */
#ifndef DJ_SCOPE_H
#define DJ_SCOPE_H
#include <stdbool.h>
#include <stddef.h>

struct request;

/* True when an assignment of the caller that grants perm has a path that is a prefix
 * of org_path (the organization itself or an ancestor). */
bool scope_allows(const struct request *req, const char *perm, const char *org_path);

/* The roots of the caller's scope for perm: the distinct, minimal paths (no root lies
 * inside another), arena-owned. Returns how many; 0 means nothing is visible. */
size_t scope_roots(const struct request *req, const char *perm, const char ***paths);

/* The pure decision, for the property test (S2): does any of the n assignment paths
 * cover org_path? */
bool scope_path_covers(const char *const *assign_paths, size_t n, const char *org_path);

/* The exclusive upper bound of a subtree's path range: "/1/17/" → "/1/170" with its
 * last '/' replaced by the next character, so that
 * path >= prefix AND path < scope_path_end(prefix) selects the subtree with an index
 * (DESIGN.md §10). Arena-owned. */
struct arena;
char *scope_path_end(struct arena *a, const char *prefix);
#endif
