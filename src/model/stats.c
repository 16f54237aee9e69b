/* stats.c: see stats.h. */
#include "model/stats.h"
#include "model/revcache.h"
#include "config.h"
#include "core/thread.h"
#include "model/codes.h"
#include "core/jsonw.h"
#include "model/member.h"
#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum stats_stmt {
	STMT_STATS_MEMBERS,
	STMT_STATS_ORG_DOMAINS,
	STMT_STATS_MAX_ORG,
	STMT_STATS_SPLIT,
	STATS_STMT__MAX
};
/* stats.org_domains' rows */
enum stats_domain_col { STATS_DOMAIN_COL_ID, STATS_DOMAIN_COL_DOMAIN };

static const struct db_sql stats_sql[STATS_STMT__MAX] = {
	/* one pass over the covering index, each row handed to count_row (db_scan) */
	[STMT_STATS_MEMBERS] = {"stats.members",
	 "SELECT dj_row(org_id, stats_key) FROM members INDEXED BY members_stats WHERE org_path >= $1 AND org_path < $2",
	 /* PostgreSQL: the rows themselves, streamed to the callback by db_scan */
	 "SELECT org_id, stats_key FROM members WHERE org_path >= $1 AND org_path < $2"},
	[STMT_STATS_ORG_DOMAINS] = DB_SQL_INDEXED("stats.org_domains", "SELECT id, domain FROM orgs", "orgs_path_domain",
	 " WHERE path >= $1 AND path < $2"),
	[STMT_STATS_MAX_ORG] = {"stats.max_org", "SELECT COALESCE(MAX(id), 0) FROM orgs"},
	/* the path that halves the subtree's organizations (members are spread about evenly) */
	[STMT_STATS_SPLIT] = DB_SQL_INDEXED("stats.split", "SELECT path FROM orgs", "orgs_path_members",
	 " WHERE path >= $1 AND path < $2 ORDER BY path LIMIT 1 OFFSET $3"),
};
DB_SQL_TABLE(stats, stats_sql);

/* The org_domain code table, whose order indexes member_stats.domain. */
static const struct code_table *domains(void)
{
	const struct code_table *t = codes_table("org_domain");
	assert(t && t->n <= sizeof((struct member_stats *)0)->domain / sizeof(int64_t));
	return t;
}

static int domain_index(const struct code_table *t, const char *domain)
{
	for (size_t i = 0; domain && i < t->n; i++)
		if (strcmp(t->items[i].code, domain) == 0)
			return (int)i;
	return -1;
}

/* Statistics computed at a revision of the members (0040, 0042) and a date: the pass
 * over 1M members costs ~225 ms here, and the figures only change with a write (which
 * raises the revision in its own transaction) or with the date (ages). */
/* 64 (2.6 KB each): the district's large units and streets at once (the bench's
 * 5,000–50,000 class is 20 organizations, which missed 16 slots taken in turn) */
REVCACHE_DEFINE(stats_cache, 64, struct member_stats);

static enum db_rc stats_pass(struct db *db, const char *prefix, const char *end, struct date today, int64_t epoch,
			     int64_t rev, struct member_stats *s);

enum db_rc stats_members(struct db *db, const char *prefix, const char *end, struct date today, struct member_stats *s)
{
	/* the revision read here stays true while the pass counts: same snapshot */
	assert(db_in_tx(db));
	int64_t epoch = 0, rev = -1, day = date_to_days(today);
	enum db_rc rc = member_revision(db, &epoch, &rev);
	if (rc != DB_OK)
		return rc;
	if (rev >= 0 && revcache_get(&stats_cache, prefix, epoch, rev, day, s))
		return DB_OK;
	rc = stats_pass(db, prefix, end, today, epoch, rev, s);
	if (rc == DB_OK && rev >= 0)
		revcache_put(&stats_cache, prefix, epoch, rev, day, s);
	return rc;
}

/* The pass itself: one read of the covering index members_stats over the subtree. */
struct pass {
	struct member_stats *s;
	const signed char *dom; /* domain index by organization id, -1 none */
	int64_t ndom;
	int64_t cut35, cut61; /* birth-day thresholds of the age bands */
};

static void count_row(void *ctx, const int64_t *v, int n)
{
	struct pass *p = ctx;
	struct member_stats *s = p->s;
	assert(n == 2); /* stats.members selects dj_row(org_id, stats_key) */
	uint64_t k = (uint64_t)v[1];
	if (!(k & MSK_IN_ROSTER))
		return;
	s->total++;
	if (v[0] > 0 && v[0] < p->ndom && p->dom[v[0]] >= 0)
		s->domain[p->dom[v[0]]]++;
	if (k & MSK_FORMAL)
		s->formal++;
	else
		s->probationary++;
	unsigned sex = (k >> MSK_SEX_SHIFT) & 3;
	s->male += sex == 1;
	s->female += sex == 2;
	if (k & MSK_HAN)
		s->han++;
	else
		s->minority++;
	if (k & MSK_COLLEGE)
		s->college_plus++;
	else
		s->below++;
	int64_t birth = (int64_t)((k >> MSK_BIRTH_SHIFT) & 0xFFFFF);
	if (birth > p->cut35)
		s->under_35++;
	else if (birth > p->cut61)
		s->from_35_to_60++;
	else
		s->over_60++;
	if (k & MSK_TWO_NEW)
		s->two_new++;
	unsigned y = (unsigned)((k >> MSK_JOINED_SHIFT) & 0x1FF);
	if (y < STATS_YEARS)
		s->joined[y]++;
}

static enum db_rc scan_range(struct db *db, const char *prefix, const char *end, struct pass *p)
{
	struct db_stmt *st = db_prepare(db, &stats_sql[STMT_STATS_MEMBERS]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, prefix, -1);
	db_bind_text(st, 2, end, -1);
	return db_scan(st, count_row, p, NULL);
}

/* The second half of a parallel pass, on a thread of its own with its own connection
 * and read transaction: it counts only if that transaction sees the same members
 * revision as the request's (the revision rises with every write that changes a figure,
 * in the same transaction), else the request counts the half itself. */
struct half {
	const char *store; /* the request's store: the primary, or the replica it reads */
	const char *prefix, *end;
	struct pass p;
	struct member_stats s;
	int64_t epoch, rev;
	enum db_rc rc;
};

static atomic_flag half_busy = ATOMIC_FLAG_INIT;

static enum db_rc half_count(struct db *db, void *arg)
{
	struct half *h = arg;
	enum db_rc rc = member_revision(db, &h->epoch, &h->rev);
	return rc == DB_OK ? scan_range(db, h->prefix, h->end, &h->p) : rc;
}

static void *half_main(void *arg)
{
	struct half *h = arg;
	h->rc = DB_ERROR;
	struct db *db = db_open(h->store, 0);
	if (!db)
		return NULL;
	db_cache_kib(db, 1024); /* one sequential read of cold pages: a cache would not be hit */
	h->rc = db_tx_run(db, false, half_count, h); /* a read transaction: nothing to commit */
	db_close(db);
	return NULL;
}

void stats_add(struct member_stats *to, const struct member_stats *from)
{
	/* every member of struct member_stats is an int64_t counter */
	_Static_assert(sizeof *to % sizeof(int64_t) == 0, "member_stats holds counters only");
	int64_t *t = (int64_t *)to;
	const int64_t *f = (const int64_t *)from;
	for (size_t i = 0; i < sizeof *to / sizeof(int64_t); i++)
		t[i] += f[i];
}

static enum db_rc stats_pass(struct db *db, const char *prefix, const char *end, struct date today, int64_t epoch,
			     int64_t rev, struct member_stats *s)
{
	memset(s, 0, sizeof *s);
	/* the subtree's organizations' domains, in an array indexed by id (ids are dense:
	 * a byte per organization ever created) */
	struct db_stmt *st = db_prepare(db, &stats_sql[STMT_STATS_MAX_ORG]);
	if (!st)
		return DB_ERROR;
	enum db_rc rc = db_step(st);
	int64_t max_id = rc == DB_ROW ? db_col_int(st, DB_COL_ONLY) : 0;
	db_reset(st);
	if (rc != DB_ROW)
		return rc;
	struct pass p = {.s = s, .ndom = max_id + 1};
	signed char *dom = malloc((size_t)p.ndom);
	if (!dom)
		return DB_ERROR;
	memset(dom, -1, (size_t)p.ndom);
	p.dom = dom;
	if (!(st = db_prepare(db, &stats_sql[STMT_STATS_ORG_DOMAINS]))) {
		free(dom);
		return DB_ERROR;
	}
	db_bind_text(st, 1, prefix, -1);
	db_bind_text(st, 2, end, -1);
	const struct code_table *t = domains();
	int64_t norgs = 0;
	while ((rc = db_step(st)) == DB_ROW) {
		int64_t id = db_col_int(st, STATS_DOMAIN_COL_ID);
		if (id > 0 && id < p.ndom)
			dom[id] = (signed char)domain_index(t, db_col_text(st, STATS_DOMAIN_COL_DOMAIN));
		norgs++;
	}
	db_reset(st);
	if (rc != DB_DONE) {
		free(dom);
		return rc;
	}
	/* age bands as birth-day thresholds: under 35 ⇔ born after today − 35 years;
	 * over 60 ⇔ 61 or older ⇔ born on or before today − 61 years */
	int64_t day0 = date_to_days((struct date){1900, 1, 1});
	p.cut35 = date_to_days(date_add_years(today, -35)) - day0;
	p.cut61 = date_to_days(date_add_years(today, -61)) - day0;
	/* a large subtree is counted in two halves at once, on two connections: reading the
	 * ~40 MB index through a page cache emptied by the last write is most of a pass */
	char *mid = NULL;
	if (rev >= 0 && norgs >= 2 && norgs >= cfg.stats_parallel_orgs &&
	    (st = db_prepare(db, &stats_sql[STMT_STATS_SPLIT]))) {
		db_bind_text(st, 1, prefix, -1);
		db_bind_text(st, 2, end, -1);
		db_bind_int(st, 3, norgs / 2);
		if (db_step(st) == DB_ROW)
			mid = strdup(db_col_text(st, DB_COL_ONLY));
		db_reset(st);
	}
	struct half h = {.store = db_name(db), .prefix = mid, .end = end, .p = p};
	h.p.s = &h.s;
	pthread_t th;
	/* one second connection at a time in the process: memory stays bounded */
	bool two = mid && !atomic_flag_test_and_set(&half_busy);
	if (two && thread_start("dj-stats-half", half_main, &h, &th) != 0) {
		atomic_flag_clear(&half_busy);
		two = false;
	}
	rc = scan_range(db, prefix, two ? mid : end, &p);
	if (two) {
		thread_join("dj-stats-half", th);
		atomic_flag_clear(&half_busy);
		if (rc == DB_OK && h.rc == DB_OK && h.epoch == epoch && h.rev == rev)
			stats_add(s, &h.s);
		else if (rc == DB_OK) /* the half saw another revision, or failed: count it here */
			rc = scan_range(db, mid, end, &p);
	}
	free(mid);
	free(dom);
	return rc;
}

json_t *stats_members_json(const struct member_stats *s)
{
	json_t *dom = json_object();
	const struct code_table *t = domains();
	for (size_t i = 0; i < t->n; i++)
		json_object_set_new(dom, t->items[i].code, json_integer(s->domain[i]));
	json_t *years = json_array();
	for (int i = 0; i < STATS_YEARS; i++)
		if (s->joined[i])
			json_array_append_new(years, json_pack("{s:i, s:I}", "year", STATS_YEAR0 + i, "count", (json_int_t)s->joined[i]));
	return json_pack("{s:I, s:{s:I, s:I}, s:{s:I, s:I}, s:{s:I, s:I}, s:{s:I, s:I}, s:{s:I, s:I, s:I}, s:o, s:I, s:o}",
			 "total", (json_int_t)s->total,
			 "party_status", "formal", (json_int_t)s->formal, "probationary", (json_int_t)s->probationary,
			 "sex", "male", (json_int_t)s->male, "female", (json_int_t)s->female,
			 "ethnicity", "han", (json_int_t)s->han, "minority", (json_int_t)s->minority,
			 "education", "college_plus", (json_int_t)s->college_plus, "below", (json_int_t)s->below,
			 "age", "under_35", (json_int_t)s->under_35, "from_35_to_60", (json_int_t)s->from_35_to_60,
			 "over_60", (json_int_t)s->over_60,
			 "domain", dom, "two_new", (json_int_t)s->two_new, "joined_per_year", years);
}

void stats_members_write(struct jsonw *w, const struct member_stats *s)
{
	/* the same members in the same order as stats_members_json (tests/api/stats.test.mjs
	 * compares the two): jansson's build and dump were ~a quarter of a request's CPU
	 * for a community's statistics (issue 21) */
	jw_object(w);
	jw_kint(w, "total", s->total);
	jw_key(w, "party_status");
	jw_object(w);
	jw_kint(w, "formal", s->formal);
	jw_kint(w, "probationary", s->probationary);
	jw_object_end(w);
	jw_key(w, "sex");
	jw_object(w);
	jw_kint(w, "male", s->male);
	jw_kint(w, "female", s->female);
	jw_object_end(w);
	jw_key(w, "ethnicity");
	jw_object(w);
	jw_kint(w, "han", s->han);
	jw_kint(w, "minority", s->minority);
	jw_object_end(w);
	jw_key(w, "education");
	jw_object(w);
	jw_kint(w, "college_plus", s->college_plus);
	jw_kint(w, "below", s->below);
	jw_object_end(w);
	jw_key(w, "age");
	jw_object(w);
	jw_kint(w, "under_35", s->under_35);
	jw_kint(w, "from_35_to_60", s->from_35_to_60);
	jw_kint(w, "over_60", s->over_60);
	jw_object_end(w);
	jw_key(w, "domain");
	jw_object(w);
	const struct code_table *t = domains();
	for (size_t i = 0; i < t->n; i++)
		jw_kint(w, t->items[i].code, s->domain[i]); /* codes: no quote, backslash or control */
	jw_object_end(w);
	jw_kint(w, "two_new", s->two_new);
	jw_key(w, "joined_per_year");
	jw_array(w);
	for (int i = 0; i < STATS_YEARS; i++)
		if (s->joined[i]) {
			jw_object(w);
			jw_kint(w, "year", STATS_YEAR0 + i);
			jw_kint(w, "count", s->joined[i]);
			jw_object_end(w);
		}
	jw_array_end(w);
	jw_object_end(w);
}
