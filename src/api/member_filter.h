/* member_filter.h: the member list's query arguments (GET /members and the export)
 * turned into model filters over the caller's scope, and pages merged across several
 * scope roots. */
#ifndef DJ_MEMBER_FILTER_H
#define DJ_MEMBER_FILTER_H
#include "http/request.h"
#include "model/member.h"

#define MEMBER_MAX_RANGES 32

struct member_list_query {
	struct member_filter f;      /* prefix/end set per range */
	const char *prefix[MEMBER_MAX_RANGES], *end[MEMBER_MAX_RANGES];
	size_t nranges;
};

/* Reads org_id (in scope for perm, else 404), q, party_status, state, edu_group,
 * age_band, sex, ethnicity, two_new, joined_from, joined_to and sort. False after
 * setting the request's error. */
bool member_filter_from_query(struct request *req, const char *perm, struct member_list_query *q);
/* Up to limit + 1 rows after (ckey, cid) over all ranges, merged in order, allocated
 * from a (the request's arena, or a page arena for exports); total (may be NULL)
 * counts every selected member. */
enum db_rc member_filter_page(struct request *req, struct arena *a, const struct member_list_query *q,
			      const char *ckey, int64_t cid, int limit, struct member_row **rows, size_t *n,
			      int64_t *total);
#endif
