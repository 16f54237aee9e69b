/* stats.h: roster statistics over an organization subtree (the report's figures):
 * one pass over the covering index members_stats, counting into arrays in C
 * (DESIGN.md §10: ~80 ms for 1M members; GROUP BY is ~10× slower). Members who have
 * left the roster (去世, 出党) are not counted. */
#ifndef DJ_STATS_H
#define DJ_STATS_H
#include "core/date.h"
#include "db/db.h"
#include <jansson.h>
#include <stdint.h>

#define STATS_YEAR0 1900
#define STATS_YEARS 300

struct member_stats {
	int64_t total, formal, probationary, male, female, han, minority, college_plus, below,
		under_35, from_35_to_60, over_60, two_new;
	int64_t domain[16]; /* by the org_domain code table's order */
	int64_t joined[STATS_YEARS];
};

/* Counts the members whose org_path lies in [prefix, end). Ages on today. Inside the
 * caller's read transaction (a request's, or db_tx_run's): a large subtree's second
 * half is then counted at once on a connection of its own, on a thread of its own,
 * when that connection sees the same members revision. */
enum db_rc stats_members(struct db *db, const char *prefix, const char *end, struct date today, struct member_stats *s);
/* Adds every counter of from to to (the figures of several disjoint ranges). */
void stats_add(struct member_stats *to, const struct member_stats *from);
/* The reply shape of GET /api/v1/stats/members (docs/api-contract.md). New reference. */
json_t *stats_members_json(const struct member_stats *s);
/* The same written straight into w (the API's reply). */
struct jsonw;
void stats_members_write(struct jsonw *w, const struct member_stats *s);
#endif
