/* ind_members.c: the roster's statistics of a subtree (model/stats.h's struct
 * member_stats) kept per organization path at that path's own revision (0145
 * subtree_rev, raised by every change of a member below it), for 首页 and the
 * member indicators (issue 19: the dashboard cold after a write).
 *
 * A subtree whose root organization has no members of its own and a few children
 * (≤ TREE_KIDS: the district's streets, a street's few large units) is the sum of its
 * children's subtrees, each kept at its own revision; any other subtree is counted by
 * the statistics pass (stats_members). After one member write in the district, its
 * figures then recount the one street that changed (~100,000 members of 1M) and add the
 * others' kept figures. Exact: each kept sum is read at a revision that every change
 * below raises, in the request's snapshot, and the children are read in that snapshot. */
#include "model/indicators.h"
#include "model/member.h"
#include "model/org.h"
#include <stdlib.h>
#include "model/revcache.h"
#include <stdio.h>
#include <string.h>

#define TREE_KIDS 64  /* more children than this: one pass over the subtree */
#define TREE_DEPTH 4  /* levels of sums below the subtree asked for */
#define TREE_SLOTS 256

enum ind_members_stmt { STMT_IM_KIDS, IND_MEMBERS_STMT__MAX };

static const struct db_sql ind_members_sql[IND_MEMBERS_STMT__MAX] = {
	/* the children of the organization at $1 when it has no members of its own
	 * (TREE_KIDS + 1 rows: more than TREE_KIDS means "count the subtree in one pass") */
	[STMT_IM_KIDS] = {"ind.members_kids",
	 "SELECT c.path FROM orgs o JOIN orgs c ON c.parent_id = o.id WHERE o.path = $1 AND o.n_members = 0"
	 " ORDER BY c.path LIMIT 65"},
};
DB_SQL_TABLE(ind_members, ind_members_sql);
_Static_assert(TREE_KIDS + 1 == 65, "ind.members_kids reads TREE_KIDS + 1 rows");

/* (path, members' epoch, the path's revision, day) → the subtree's statistics */
REVCACHE_DEFINE(tree_cache, TREE_SLOTS, struct member_stats);

/* the path's revision: the members list's own (one reader of subtree_rev) */
static enum db_rc path_rev(struct db *db, const char *path, int64_t *rev)
{
	int64_t epoch;
	enum db_rc rc = member_list_revision(db, path, &epoch, rev);
	return rc == DB_OK && *rev < 0 ? DB_ERROR : rc;
}

/* the end of the subtree at path "/1/17/": "/1/170" */
static bool path_end(const char *path, char *end, size_t cap)
{
	size_t n = strlen(path);
	if (n < 2 || n >= cap || path[n - 1] != '/')
		return false;
	memcpy(end, path, n + 1);
	end[n - 1] = '/' + 1;
	return true;
}

/* The children's paths of the organization at path, when it is a sum of them. */
static enum db_rc kids_of(struct db *db, const char *path, char (*kids)[sizeof((struct revcache_slot *)0)->prefix],
			  size_t *n)
{
	*n = 0;
	struct db_stmt *st = db_prepare(db, &ind_members_sql[STMT_IM_KIDS]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, path, -1);
	enum db_rc rc;
	bool fits = true;
	while ((rc = db_step(st)) == DB_ROW) {
		const char *k = db_col_text(st, DB_COL_ONLY);
		if (*n == TREE_KIDS || !k || strlen(k) >= sizeof kids[0]) {
			fits = false;
			continue;
		}
		snprintf(kids[(*n)++], sizeof kids[0], "%s", k);
	}
	db_reset(st);
	if (!fits)
		*n = 0;
	return rc == DB_DONE ? DB_OK : rc;
}

static enum db_rc subtree(struct db *db, const char *path, struct date today, int64_t epoch, int depth,
			  struct member_stats *s)
{
	char end[sizeof((struct revcache_slot *)0)->prefix];
	int64_t rev = 0, day = date_to_days(today);
	if (!path_end(path, end, sizeof end))
		return DB_ERROR;
	enum db_rc rc = path_rev(db, path, &rev);
	if (rc != DB_OK)
		return rc;
	if (revcache_get(&tree_cache, path, epoch, rev, day, s))
		return DB_OK;
	size_t n = 0;
	char kids[TREE_KIDS][sizeof end]; /* 6 KB a level, TREE_DEPTH levels at most */
	if (depth < TREE_DEPTH && (rc = kids_of(db, path, kids, &n)) != DB_OK)
		return rc;
	if (n == 0)
		rc = stats_members(db, path, end, today, s);
	else {
		memset(s, 0, sizeof *s);
		for (size_t i = 0; i < n && rc == DB_OK; i++) {
			struct member_stats one;
			rc = subtree(db, kids[i], today, epoch, depth + 1, &one);
			if (rc == DB_OK)
				stats_add(s, &one);
		}
	}
	if (rc == DB_OK)
		revcache_put(&tree_cache, path, epoch, rev, day, s);
	return rc;
}

enum db_rc ind_member_stats(struct db *db, const char *prefix, const char *end, struct date today,
			    struct member_stats *s)
{
	char e[sizeof((struct revcache_slot *)0)->prefix];
	int64_t epoch = 0, rev = -1;
	enum db_rc rc = member_revision(db, &epoch, &rev);
	if (rc != DB_OK)
		return rc;
	/* a range that is not one organization's subtree, or no revision: the pass */
	if (rev < 0 || !path_end(prefix, e, sizeof e) || strcmp(e, end) != 0)
		return stats_members(db, prefix, end, today, s);
	return subtree(db, prefix, today, epoch, 0, s);
}

/* ---- the R-ORG alerts of a subtree ---------------------------------------------------
 * The same composition for the alerts (orgs.term_due and the dashboard's list): a
 * subtree's alerts are its root organization's own and its children's subtrees' in the
 * tree's order (org_alerts_scan reads by path), kept per path at its revision (which
 * every change of what org_alerts reads raises: an organization's term, committee,
 * type, name, path, its formal members). Kept as text: "total term committee\n" and
 * the first IND_ALERTS_FIRST as JSON. */
REVCACHE_BLOB_DEFINE(alert_cache, TREE_SLOTS);

static void alert_add(void *ctx, const struct org_rec *o, const struct org_alert *al)
{
	struct ind_alerts *s = ctx;
	s->total++;
	if (al->code == ORG_ALERT_TERM_DUE || al->code == ORG_ALERT_TERM_OVERDUE)
		s->term++;
	else
		s->committee++;
	if (json_array_size(s->first) < IND_ALERTS_FIRST)
		json_array_append_new(s->first, org_alert_json(o, al));
}

/* b's figures added to a, b's first after a's */
static void alerts_merge(struct ind_alerts *a, const struct ind_alerts *b)
{
	a->total += b->total, a->term += b->term, a->committee += b->committee;
	size_t i;
	json_t *v;
	json_array_foreach(b->first, i, v)
	{
		if (json_array_size(a->first) >= IND_ALERTS_FIRST)
			break;
		json_array_append(a->first, v);
	}
}

static enum db_rc alerts_subtree(struct db *db, struct arena *ar, const char *path, struct date today, int64_t epoch,
				 int depth, struct ind_alerts *out)
{
	char end[sizeof((struct revcache_slot *)0)->prefix];
	int64_t rev = 0, day = date_to_days(today);
	*out = (struct ind_alerts){0, 0, 0, json_array()};
	if (!out->first || !path_end(path, end, sizeof end))
		return DB_ERROR;
	enum db_rc rc = path_rev(db, path, &rev);
	if (rc != DB_OK)
		return rc;
	char *text;
	size_t len;
	if (revcache_get_blob(&alert_cache, path, epoch, rev, day, ar, &text, &len)) {
		long long t = 0, tm = 0, c = 0;
		int used = 0;
		json_t *first = NULL;
		if (sscanf(text, "%lld %lld %lld\n%n", &t, &tm, &c, &used) == 3 && used > 0 &&
		    (first = json_loads(text + used, 0, NULL)) && json_is_array(first)) {
			json_decref(out->first);
			*out = (struct ind_alerts){t, tm, c, first};
			return DB_OK;
		}
		json_decref(first);
	}
	size_t n = 0;
	char kids[TREE_KIDS][sizeof end];
	if (depth < TREE_DEPTH && (rc = kids_of(db, path, kids, &n)) != DB_OK)
		return rc;
	if (n == 0)
		rc = org_alerts_scan(db, path, end, today, alert_add, out);
	else {
		/* the root's own: [path, path + "0"), a child's path goes on with a digit ≥ 1 */
		char own[sizeof end + 1];
		snprintf(own, sizeof own, "%s0", path);
		rc = org_alerts_scan(db, path, own, today, alert_add, out);
		for (size_t i = 0; i < n && rc == DB_OK; i++) {
			struct ind_alerts one;
			rc = alerts_subtree(db, ar, kids[i], today, epoch, depth + 1, &one);
			if (rc == DB_OK)
				alerts_merge(out, &one);
			json_decref(one.first);
		}
	}
	char *first = rc == DB_OK ? json_dumps(out->first, JSON_COMPACT) : NULL;
	if (first) {
		char *kept = arena_printf(ar, "%lld %lld %lld\n%s", (long long)out->total, (long long)out->term,
					  (long long)out->committee, first);
		revcache_put_blob(&alert_cache, path, epoch, rev, day, kept, strlen(kept));
		free(first);
	}
	return rc;
}

enum db_rc ind_alerts_range(struct db *db, struct arena *a, const char *prefix, const char *end, struct date today,
			    struct ind_alerts *out)
{
	char e[sizeof((struct revcache_slot *)0)->prefix];
	int64_t epoch = 0, rev = -1;
	enum db_rc rc = member_revision(db, &epoch, &rev);
	if (rc != DB_OK)
		return rc;
	if (rev < 0 || !path_end(prefix, e, sizeof e) || strcmp(e, end) != 0) {
		*out = (struct ind_alerts){0, 0, 0, json_array()};
		return out->first ? org_alerts_scan(db, prefix, end, today, alert_add, out) : DB_ERROR;
	}
	return alerts_subtree(db, a, prefix, today, epoch, 0, out);
}
