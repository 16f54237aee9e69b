/* router.c: the merged route table and path matching; see router.h. */
#include "http/router.h"
#include "http/params.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct route *all_routes;
static size_t n_routes;
/* per route, the length of its pattern's text before the first '{': a path it matches
 * begins with exactly that text (a parameter is a whole segment, a literal segment must
 * be equal), so one strncmp passes over most routes without the segment walk (the walk
 * over every route was ~17% of the CPU of a static file: bench/results.md) */
static size_t *prefix_len;
/* The routes by their key, the pattern's text up to its fourth '/' ("/api/v1/members"),
 * when that text has no parameter: a path matches such a route only if its own key is
 * the same, so a request looks at its key's routes (a binary search) and at the few
 * routes with a parameter in their key (wild), in table order, instead of every route
 * (the pass over every route was ~3% of the CPU of a static file, and of an API read:
 * issue 21 #4). */
struct keyed {
	const char *key;
	size_t len, idx;
};
static struct keyed *by_key;
static size_t n_keyed;
static size_t *wild;
static size_t n_wild;

static size_t key_len(const char *s)
{
	size_t n = 0;
	int slashes = 0;
	for (; s[n]; n++)
		if (s[n] == '/' && ++slashes == 4)
			break;
	return n;
}

static int keyed_cmp(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->key, y->key, n);
	if (c)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int index_build(void)
{
	free(by_key);
	free(wild);
	by_key = calloc(n_routes ? n_routes : 1, sizeof *by_key);
	wild = calloc(n_routes ? n_routes : 1, sizeof *wild);
	if (!by_key || !wild)
		return -1;
	n_keyed = n_wild = 0;
	for (size_t i = 0; i < n_routes; i++) {
		const char *pat = all_routes[i].pattern;
		size_t kl = key_len(pat);
		if (memchr(pat, '{', kl))
			wild[n_wild++] = i;
		else
			by_key[n_keyed++] = (struct keyed){pat, kl, i};
	}
	qsort(by_key, n_keyed, sizeof *by_key, keyed_cmp);
	return 0;
}

/* The first entry of by_key whose key is not below key/len. */
static size_t key_lower(const char *key, size_t len)
{
	size_t lo = 0, hi = n_keyed;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		struct keyed probe = {key, len, 0};
		if (keyed_cmp(&by_key[mid], &probe) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};

bool router_unsafe_method(const char *method)
{
	return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 && strcmp(method, "OPTIONS") != 0;
}

int router_init(bool test_mode)
{
	return router_init_tables(route_tables, test_mode);
}

int router_init_tables(const struct route_table *const *tables, bool test_mode)
{
	size_t total = 0;
	for (const struct route_table *const *t = tables; *t; t++)
		total += (*t)->n;
	free(all_routes);
	free(prefix_len);
	all_routes = calloc(total ? total : 1, sizeof *all_routes);
	prefix_len = calloc(total ? total : 1, sizeof *prefix_len);
	if (!all_routes || !prefix_len)
		return -1;
	n_routes = 0;
	int bad = 0;
	for (const struct route_table *const *t = tables; *t; t++) {
		for (size_t i = 0; i < (*t)->n; i++) {
			const struct route *r = &(*t)->routes[i];
			bool known = false;
			for (size_t k = 0; k < sizeof methods / sizeof methods[0]; k++)
				known |= strcmp(r->method, methods[k]) == 0;
			if (!known || !r->pattern || r->pattern[0] != '/' || !r->handler) {
				fprintf(stderr, "route %s %s (%s): bad method, pattern or handler\n", r->method,
					r->pattern ? r->pattern : "?", (*t)->name);
				bad++;
			}
			if (!r->perm || !*r->perm) {
				fprintf(stderr, "route %s %s (%s) declares no permission\n", r->method, r->pattern, (*t)->name);
				bad++;
			}
			if ((r->flags & RF_TX_READ) && (r->flags & RF_TX_WRITE)) {
				fprintf(stderr, "route %s %s: both read and write transaction\n", r->method, r->pattern);
				bad++;
			}
			if (r->in && params_validate(r->pattern, r->in) != 0)
				bad++;
			if ((r->flags & RF_REPLICA) && !(r->flags & RF_TX_READ)) {
				fprintf(stderr, "route %s %s: replica without tx-read\n", r->method, r->pattern);
				abort();
			}
			if ((r->flags & RF_TEST) && !test_mode)
				continue;
			for (size_t j = 0; j < n_routes; j++)
				if (!strcmp(all_routes[j].method, r->method) && !strcmp(all_routes[j].pattern, r->pattern)) {
					fprintf(stderr, "route %s %s declared twice\n", r->method, r->pattern);
					bad++;
				}
			prefix_len[n_routes] = r->pattern ? strcspn(r->pattern, "{") : 0;
			all_routes[n_routes++] = *r;
		}
	}
	if (index_build() != 0)
		return -1;
	return bad ? -1 : 0;
}

const struct route *router_all(size_t *n)
{
	*n = n_routes;
	return all_routes;
}

/* Matches one pattern against path. Returns -1 for no match, else a score: a bit per
 * literal segment, the earliest the most significant. */
static long match_pattern(const char *pat, const char *path, struct route_match *m,
			  char *(*copy)(void *, const char *, size_t), void *ctx, bool capture)
{
	long score = 0;
	int seg = 0, np = 0;
	const char *p = pat, *s = path;
	while (*p && *s) {
		if (*p != '/' || *s != '/')
			return -1;
		p++;
		s++;
		const char *pe = strchr(p, '/');
		const char *se = strchr(s, '/');
		size_t pl = pe ? (size_t)(pe - p) : strlen(p);
		size_t sl = se ? (size_t)(se - s) : strlen(s);
		if (pl >= 2 && p[0] == '{' && p[pl - 1] == '}') {
			if (sl == 0 || np >= ROUTE_MAX_PARAMS)
				return -1;
			if (capture) {
				size_t nl = pl - 2 < sizeof m->param_names[0] - 1 ? pl - 2 : sizeof m->param_names[0] - 1;
				memcpy(m->param_names[np], p + 1, nl);
				m->param_names[np][nl] = 0;
				m->params[np].name = m->param_names[np];
				m->params[np].value = copy(ctx, s, sl);
			}
			np++;
		} else {
			if (pl != sl || memcmp(p, s, pl) != 0)
				return -1;
			if (seg < 30)
				score |= 1L << (30 - seg);
		}
		seg++;
		p += pl;
		s += sl;
	}
	if (*p || *s)
		return -1;
	if (capture)
		m->nparams = np;
	return score;
}

void router_match(const char *method, const char *path, struct route_match *m,
		  char *(*copy)(void *, const char *, size_t), void *ctx)
{
	memset(m, 0, sizeof *m);
	m->index = -1;
	const char *want = strcmp(method, "HEAD") == 0 ? "GET" : method;
	long best = -1;
	int best_i = -1;
	bool path_known = false;
	size_t kl = key_len(path);
	size_t kx = key_lower(path, kl), wx = 0;
	for (;;) {
		/* the next candidate in table order: of the path's key, or wild */
		bool keyed_left = kx < n_keyed && by_key[kx].len == kl && memcmp(by_key[kx].key, path, kl) == 0;
		size_t i;
		if (keyed_left && (wx >= n_wild || by_key[kx].idx < wild[wx]))
			i = by_key[kx++].idx;
		else if (wx < n_wild)
			i = wild[wx++];
		else
			break;
		const char *pat = all_routes[i].pattern;
		if (prefix_len[i] > 1 && strncmp(pat, path, prefix_len[i]) != 0)
			continue;
		long sc = match_pattern(all_routes[i].pattern, path, m, copy, ctx, false);
		if (sc < 0)
			continue;
		path_known = true;
		if (strcmp(all_routes[i].method, want) != 0)
			continue;
		if (sc > best) {
			best = sc;
			best_i = (int)i;
		}
	}
	if (best_i >= 0) {
		m->route = &all_routes[best_i];
		m->index = best_i;
		match_pattern(m->route->pattern, path, m, copy, ctx, true);
		return;
	}
	if (!path_known) {
		m->status = 404;
		return;
	}
	/* 405: list every method some pattern of this path allows */
	m->status = 405;
	size_t len = 0;
	for (size_t k = 0; k < sizeof methods / sizeof methods[0]; k++) {
		bool allowed = false;
		for (size_t i = 0; i < n_routes && !allowed; i++)
			allowed = strcmp(all_routes[i].method, methods[k]) == 0 &&
				  match_pattern(all_routes[i].pattern, path, m, copy, ctx, false) >= 0;
		if (!allowed)
			continue;
		int w = snprintf(m->allow + len, sizeof m->allow - len, "%s%s", len ? ", " : "", methods[k]);
		if (w > 0 && (size_t)w < sizeof m->allow - len)
			len += (size_t)w;
		if (k == 0) {
			w = snprintf(m->allow + len, sizeof m->allow - len, ", HEAD");
			if (w > 0 && (size_t)w < sizeof m->allow - len)
				len += (size_t)w;
		}
	}
}

void router_print(void)
{
	static const char *const flag_names[] = {"tx-read", "tx-write", "no-csrf", "raw-body", "any-state", "test", "replica"};
	printf("%-7s %-48s %-16s %s\n", "METHOD", "PATH", "PERMISSION", "FLAGS");
	for (size_t i = 0; i < n_routes; i++) {
		const struct route *r = &all_routes[i];
		char flags[128] = "";
		size_t len = 0;
		for (size_t b = 0; b < sizeof flag_names / sizeof flag_names[0]; b++)
			if (r->flags & (1u << b)) {
				int w = snprintf(flags + len, sizeof flags - len, "%s%s", len ? "," : "", flag_names[b]);
				if (w > 0)
					len += (size_t)w;
			}
		if (r->body_cap) {
			snprintf(flags + len, sizeof flags - len, "%sbody<=%zu", len ? "," : "", r->body_cap);
		}
		printf("%-7s %-48s %-16s %s\n", r->method, r->pattern, r->perm, *flags ? flags : "-");
	}
}
