/* member_filter.c: see member_filter.h. */
#include "api/member_filter.h"
#include "api/roster_util.h"
#include "auth/scope.h"
#include "core/arena.h"
#include "model/codes.h"
#include <stdlib.h>
#include <string.h>

static bool one_of(const char *v, const char *const *allowed)
{
	for (; *allowed; allowed++)
		if (strcmp(v, *allowed) == 0)
			return true;
	return false;
}

bool member_filter_from_query(struct request *req, const char *perm, struct member_list_query *q)
{
	memset(q, 0, sizeof *q);
	struct member_filter *f = &q->f;
	f->edu_college = -1;
	f->two_new = -1;
	const char *v;
	if ((v = req_query(req, "org_id")) && *v) {
		char *end;
		long long id = strtoll(v, &end, 10);
		struct org_rec o;
		if (*end || id <= 0) {
			req_field_error(req, "org_id", "invalid_integer", "党组织编号无效");
			return false;
		}
		if (!roster_org_in_scope(req, id, perm, &o))
			return false;
		q->prefix[0] = o.path;
		q->end[0] = scope_path_end(req->arena, o.path);
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
	if ((v = req_query(req, "party_status")) && *v) {
		if (!codes_valid("party_status", v))
			req_field_error(req, "party_status", "invalid_choice", "应为 formal 或 probationary");
		f->party_status = v;
	}
	if ((v = req_query(req, "state")) && *v) {
		if (!codes_valid("member_state", v))
			req_field_error(req, "state", "invalid_choice", "党籍状态无效");
		f->state = v;
	}
	if ((v = req_query(req, "edu_group")) && *v) {
		if (strcmp(v, "college_plus") == 0)
			f->edu_college = 1;
		else if (strcmp(v, "below") == 0)
			f->edu_college = 0;
		else
			req_field_error(req, "edu_group", "invalid_choice", "应为 college_plus 或 below");
	}
	if ((v = req_query(req, "age_band")) && *v) {
		struct date t = roster_today();
		char c35[11], c61[11];
		date_format(date_add_years(t, -35), c35);
		date_format(date_add_years(t, -61), c61);
		if (strcmp(v, "under_35") == 0) {
			f->birth_after = arena_strdup(req->arena, c35);
		} else if (strcmp(v, "35_60") == 0) {
			f->birth_after = arena_strdup(req->arena, c61);
			f->birth_upto = arena_strdup(req->arena, c35);
		} else if (strcmp(v, "over_60") == 0) {
			f->birth_upto = arena_strdup(req->arena, c61);
		} else {
			req_field_error(req, "age_band", "invalid_choice", "应为 under_35、35_60 或 over_60");
		}
	}
	if ((v = req_query(req, "sex")) && *v) {
		if (!codes_valid("sex", v))
			req_field_error(req, "sex", "invalid_choice", "性别代码无效");
		f->sex = v;
	}
	if ((v = req_query(req, "ethnicity")) && *v) {
		if (strcmp(v, "han") == 0)
			f->eth_eq = "01";
		else if (strcmp(v, "minority") == 0)
			f->eth_ne = "01";
		else if (codes_valid("ethnicity", v))
			f->eth_eq = v;
		else
			req_field_error(req, "ethnicity", "invalid_choice", "应为 han、minority 或民族代码");
	}
	if ((v = req_query(req, "two_new")) && *v) {
		static const char *const bools[] = {"0", "1", NULL};
		if (!one_of(v, bools))
			req_field_error(req, "two_new", "invalid_choice", "应为 0 或 1");
		f->two_new = v[0] == '1';
	}
	if ((v = req_query(req, "joined_from")) && *v) {
		if (!date_valid(v))
			req_field_error(req, "joined_from", "invalid_date", "日期应为有效的 YYYY-MM-DD");
		f->joined_from = v;
	}
	if ((v = req_query(req, "joined_to")) && *v) {
		if (!date_valid(v))
			req_field_error(req, "joined_to", "invalid_date", "日期应为有效的 YYYY-MM-DD");
		f->joined_to = v;
	}
	if ((v = req_query(req, "q")) && *v) {
		if (strlen(v) > 60) {
			req_field_error(req, "q", "too_long", "搜索词过长");
		} else {
			f->name_like = arena_like_contains(req->arena, v);
		}
	}
	if ((v = req_query(req, "sort")) && *v) {
		if (strcmp(v, "joined") == 0)
			f->sort_joined = true;
		else if (strcmp(v, "name") != 0)
			req_field_error(req, "sort", "invalid_choice", "应为 name 或 joined");
	}
	return !req_failed(req);
}

static int row_cmp(const void *pa, const void *pb)
{
	const struct member_row *a = pa, *b = pb;
	int c = strcmp(a->key ? a->key : "", b->key ? b->key : "");
	if (c)
		return c;
	return a->id < b->id ? -1 : a->id > b->id;
}

enum db_rc member_filter_page(struct request *req, struct arena *a, const struct member_list_query *q,
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
		enum db_rc rc = member_page(req->db, a, &f, ckey, cid, limit + 1, &part, &np);
		if (rc != DB_OK)
			return rc;
		int64_t c = 0;
		if (total) {
			if ((rc = member_count_filtered(req->db, &f, &c)) != DB_OK)
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
