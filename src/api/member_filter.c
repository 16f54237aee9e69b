/* member_filter.c: see member_filter.h. */
#include "api/member_filter.h"
#include "api/roster_util.h"
#include "auth/scope.h"
#include "core/arena.h"
#include <assert.h>
#include "model/codes.h"
#include <stdlib.h>
#include <string.h>

const char *const member_filter_edu_groups[] = {"college_plus", "below", NULL};
const char *const member_filter_age_bands[] = {"under_35", "35_60", "over_60", NULL};
const char *const member_filter_sorts[] = {"name", "joined", "strokes", NULL};

bool member_filter_sex_ok(const char *v)
{
	return codes_valid("sex", v);
}

/* A state, or the roster's views (issue 20 #7): roster (在册党员, the default), history
 * (历史党员: 出党 and 去世), all. */
bool member_filter_state_ok(const char *v)
{
	return strcmp(v, "roster") == 0 || strcmp(v, "history") == 0 || strcmp(v, "all") == 0 ||
	       codes_valid("member_state", v);
}

bool member_filter_party_status_ok(const char *v)
{
	return codes_valid("party_status", v);
}

bool member_filter_ethnicity_ok(const char *v)
{
	return strcmp(v, "han") == 0 || strcmp(v, "minority") == 0 || codes_valid("ethnicity", v);
}

/* 1 when q is a whole ID number (norm: 17 digits and a digit or X, uppercased), 2 a
 * mobile (11 digits from 1), 0 otherwise; spaces around are ignored. */
static int search_kind(const char *q, char norm[19])
{
	while (*q == ' ')
		q++;
	size_t n = 0;
	for (; q[n] && q[n] != ' '; n++)
		if (n >= 18)
			return 0;
	for (const char *t = q + n; *t; t++)
		if (*t != ' ')
			return 0;
	for (size_t i = 0; i < n; i++) {
		char c = q[i];
		bool last_x = n == 18 && i == 17 && (c == 'x' || c == 'X');
		if (!(c >= '0' && c <= '9') && !last_x)
			return 0;
		norm[i] = last_x ? 'X' : c;
	}
	norm[n] = 0;
	if (n == 18)
		return 1;
	if (n == 11 && norm[0] == '1')
		return 2;
	return 0;
}

bool member_filter_build(struct request *req, const char *perm, const struct member_filter_in *in,
			 struct member_list_query *q)
{
	memset(q, 0, sizeof *q);
	struct member_filter *f = &q->f;
	if (in->org_id) {
		const char *path;
		if (!roster_org_path_in_scope(req, in->org_id, perm, &path))
			return false;
		q->prefix[0] = path;
		q->end[0] = scope_path_end(req->arena, path);
		q->nranges = 1;
	} else {
		const char **p, **e;
		size_t n = roster_ranges(req, perm, &p, &e);
		if (n > MEMBER_MAX_RANGES)
			n = MEMBER_MAX_RANGES;
		for (size_t i = 0; i < n; i++)
			q->prefix[i] = p[i], q->end[i] = e[i];
		q->nranges = n;
	}
	f->party_status = in->party_status;
	/* every total counts the same people: without a state, the members on the roster */
	f->state = !in->state || strcmp(in->state, "roster") == 0 ? MEMBER_STATE_ROSTER
		   : strcmp(in->state, "history") == 0	   ? MEMBER_STATE_HISTORY
		   : strcmp(in->state, "all") == 0	   ? NULL
							   : in->state;
	f->sex = in->sex;
	f->edu_college = !in->edu_group ? -1 : strcmp(in->edu_group, "college_plus") == 0;
	if (in->age_band) {
		struct date t = roster_today();
		char c35[11], c61[11];
		date_format(date_add_years(t, -35), c35);
		date_format(date_add_years(t, -61), c61);
		if (strcmp(in->age_band, "under_35") == 0) {
			f->birth_after = arena_strdup(req->arena, c35);
		} else if (strcmp(in->age_band, "35_60") == 0) {
			f->birth_after = arena_strdup(req->arena, c61);
			f->birth_upto = arena_strdup(req->arena, c35);
		} else {
			assert(strcmp(in->age_band, "over_60") == 0); /* the route's enum */
			f->birth_upto = arena_strdup(req->arena, c61);
		}
	}
	if (in->ethnicity)
		*(strcmp(in->ethnicity, "minority") == 0 ? &f->eth_ne : &f->eth_eq) =
			strcmp(in->ethnicity, "han") == 0 || strcmp(in->ethnicity, "minority") == 0 ? "01" : in->ethnicity;
	f->two_new = in->two_new;
	f->joined_from = in->joined_from;
	f->joined_to = in->joined_to;
	/* issue 20 #2: a whole ID number or mobile is searched through its blind index
	 * (the sealed values can not be matched in part); anything else is a name */
	char norm[19];
	int kind = in->q ? search_kind(in->q, norm) : 0;
	if (kind) {
		unsigned char *b = arena_alloc(req->arena, DJ_BLIND_LEN);
		if (kind == 1) {
			member_id_blind(norm, b);
			f->id_blind = b;
		} else {
			member_mobile_blind(norm, b);
			f->mobile_blind = b;
		}
	} else {
		f->name_like = arena_like_contains(req->arena, in->q);
		f->name_q = f->name_like ? in->q : NULL;
	}
	f->sort_joined = in->sort && strcmp(in->sort, "joined") == 0;
	/* name: 拼音 order; strokes: 姓氏笔画 (issue 20 #13, core/collate.c) */
	f->sort_strokes = in->sort && strcmp(in->sort, "strokes") == 0;
	return true;
}

static int row_cmp(const void *pa, const void *pb)
{
	const struct member_row *a = pa, *b = pb;
	int c = strcmp(a->key ? a->key : "", b->key ? b->key : "");
	if (c)
		return c;
	return a->id < b->id ? -1 : a->id > b->id;
}

enum db_rc member_filter_page(struct db *db, struct arena *a, const struct member_list_query *q,
			      const char *ckey, int64_t cid, int limit, struct member_row **rows, size_t *n,
			      int64_t *total)
{
	*rows = NULL;
	*n = 0;
	if (total)
		*total = 0;
	struct member_row *all = NULL;
	size_t nall = 0;
	for (size_t i = 0; i < q->nranges; i++) {
		struct member_filter f = q->f;
		f.prefix = q->prefix[i];
		f.end = q->end[i];
		struct member_row *part;
		size_t np;
		enum db_rc rc = member_page(db, a, &f, ckey, cid, limit + 1, &part, &np);
		if (rc != DB_OK)
			return rc;
		int64_t c = 0;
		if (total) {
			if ((rc = member_count_filtered(db, &f, &c)) != DB_OK)
				return rc;
			*total += c;
		}
		if (q->nranges == 1) {
			all = part, nall = np;
			break;
		}
		struct member_row *m = arena_alloc(a, sizeof *m * (nall + np + 1));
		if (nall)
			memcpy(m, all, sizeof *m * nall);
		if (np)
			memcpy(m + nall, part, sizeof *m * np);
		all = m;
		nall += np;
	}
	if (q->nranges > 1)
		qsort(all, nall, sizeof *all, row_cmp);
	*rows = all;
	*n = nall > (size_t)limit + 1 ? (size_t)limit + 1 : nall;
	return DB_OK;
}

static const char *dup_or_null(struct arena *a, const char *s)
{
	return s ? arena_strdup(a, s) : NULL;
}

void member_query_copy(struct arena *a, const struct member_list_query *src, struct member_list_query *dst)
{
	*dst = *src;
	struct member_filter *f = &dst->f;
	const char **strs[] = {&f->party_status, &f->state, &f->sex, &f->eth_eq, &f->eth_ne, &f->birth_after,
			       &f->birth_upto, &f->joined_from, &f->joined_to, &f->name_like, &f->name_q};
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
		*strs[i] = dup_or_null(a, *strs[i]);
	f->prefix = f->end = NULL;
	const unsigned char **blinds[] = {&f->id_blind, &f->mobile_blind};
	for (size_t i = 0; i < 2; i++)
		if (*blinds[i]) {
			unsigned char *b = arena_alloc(a, DJ_BLIND_LEN);
			memcpy(b, *blinds[i], DJ_BLIND_LEN);
			*blinds[i] = b;
		}
	for (size_t i = 0; i < src->nranges; i++) {
		dst->prefix[i] = dup_or_null(a, src->prefix[i]);
		dst->end[i] = dup_or_null(a, src->end[i]);
	}
}

enum db_rc member_filter_count(struct db *db, const struct member_list_query *q, int64_t *total)
{
	*total = 0;
	for (size_t i = 0; i < q->nranges; i++) {
		struct member_filter f = q->f;
		f.prefix = q->prefix[i];
		f.end = q->end[i];
		int64_t c = 0;
		enum db_rc rc = member_count_filtered(db, &f, &c);
		if (rc != DB_OK)
			return rc;
		*total += c;
	}
	return DB_OK;
}
