/* member_filter.h: the member list's query arguments (GET /members and the export)
 * turned into model filters over the caller's scope, and pages merged across several
 * scope roots. */
#ifndef DJ_MEMBER_FILTER_H
#define DJ_MEMBER_FILTER_H
#include "http/request.h"
#include "http/params.h"
#include "model/member.h"
#include <stddef.h>

#define MEMBER_MAX_RANGES 32

struct member_list_query {
	struct member_filter f;      /* prefix/end set per range */
	const char *prefix[MEMBER_MAX_RANGES], *end[MEMBER_MAX_RANGES];
	size_t nranges;
};

/* The list's and the export's filter fields, as the route declares them (http/params.h):
 * a route's input struct starts with `struct member_filter_in f;` and its params table
 * with MEMBER_FILTER_PARAMS(its struct). */
struct member_filter_in {
	int64_t org_id;
	const char *party_status, *state, *edu_group, *age_band, *sex, *ethnicity, *joined_from, *joined_to, *q, *sort;
	int two_new;
};
bool member_filter_sex_ok(const char *v);
bool member_filter_state_ok(const char *v);
bool member_filter_party_status_ok(const char *v);
bool member_filter_ethnicity_ok(const char *v);
extern const char *const member_filter_edu_groups[], *const member_filter_age_bands[], *const member_filter_sorts[];
#define MEMBER_FILTER_PARAM_(T, fld, t, ...) {.name = #fld, .type = t, .off = offsetof(T, f.fld), __VA_ARGS__}
#define MEMBER_FILTER_PARAMS(T)                                                                                  \
	MEMBER_FILTER_PARAM_(T, org_id, PARAM_T_ID, .message = "党组织编号无效"),                                      \
	MEMBER_FILTER_PARAM_(T, party_status, PARAM_T_CHECK, .check = member_filter_party_status_ok,                \
			     .message = "应为 formal 或 probationary"),                                             \
	MEMBER_FILTER_PARAM_(T, state, PARAM_T_CHECK, .check = member_filter_state_ok, .message = "党籍状态无效"),  \
	MEMBER_FILTER_PARAM_(T, edu_group, PARAM_T_ENUM, .allowed = member_filter_edu_groups,                       \
			     .message = "应为 college_plus 或 below"),                                              \
	MEMBER_FILTER_PARAM_(T, age_band, PARAM_T_ENUM, .allowed = member_filter_age_bands,                         \
			     .message = "应为 under_35、35_60 或 over_60"),                                          \
	MEMBER_FILTER_PARAM_(T, sex, PARAM_T_CHECK, .check = member_filter_sex_ok, .message = "性别代码无效"),      \
	MEMBER_FILTER_PARAM_(T, ethnicity, PARAM_T_CHECK, .check = member_filter_ethnicity_ok,                      \
			     .message = "应为 han、minority 或民族代码"),                                             \
	MEMBER_FILTER_PARAM_(T, two_new, PARAM_T_BOOL, .message = "应为 0 或 1"),                                   \
	MEMBER_FILTER_PARAM_(T, joined_from, PARAM_T_DATE),                                                         \
	MEMBER_FILTER_PARAM_(T, joined_to, PARAM_T_DATE),                                                           \
	MEMBER_FILTER_PARAM_(T, q, PARAM_T_STR, .max = 60),                                                         \
	MEMBER_FILTER_PARAM_(T, sort, PARAM_T_ENUM, .allowed = member_filter_sorts, .message = "应为 name 或 joined")

/* The declared filter turned into model filters over the caller's scope for perm: the
 * organization (in scope, else 404) or every scope root. False after setting the
 * request's error. */
bool member_filter_build(struct request *req, const char *perm, const struct member_filter_in *in,
			 struct member_list_query *q);
/* Up to limit + 1 rows after (ckey, cid) over all ranges, merged in order, allocated
 * from a (the request's arena, or a page arena for exports); total (may be NULL)
 * counts every selected member. db: the request's, or an export job's. */
enum db_rc member_filter_page(struct db *db, struct arena *a, const struct member_list_query *q,
			      const char *ckey, int64_t cid, int limit, struct member_row **rows, size_t *n,
			      int64_t *total);
/* A copy of q with every string in a (an export job keeps it past its request). */
void member_query_copy(struct arena *a, const struct member_list_query *src, struct member_list_query *dst);
/* How many members q selects, over all its ranges. */
enum db_rc member_filter_count(struct db *db, const struct member_list_query *q, int64_t *total);
#endif
