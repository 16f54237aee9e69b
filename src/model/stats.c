/* stats.c: see stats.h. */
#include "model/stats.h"
#include "model/revcache.h"
#include "config.h"
#include "core/thread.h"
#include "model/codes.h"
#include "core/jsonw.h"
#include "model/member.h"
#include <assert.h>
#include <stddef.h>
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

/* Statistics computed at a revision of the subtree (0145) and a date: the pass over 1M
 * members costs ~225 ms here, and the figures only change with a write in the subtree
 * (which raises its revision in its own transaction) or with the date (ages). */
/* 512 (2.6 KB each, 1.3 MiB): the organizations whose statistics are opened between two
 * writes (the bench's 5,000–50,000 class is 20 organizations, which missed 16 slots taken
 * in turn; its 501–5,000 class draws from 398, which missed 64: a pass over ~1,600
 * members each, p99 17.7 ms) */
REVCACHE_DEFINE(stats_cache, 512, struct member_stats);

static enum db_rc stats_pass(struct db *db, const char *prefix, const char *end, struct date today, int64_t epoch,
			     int64_t rev, struct member_stats *s);

enum db_rc stats_members(struct db *db, const char *prefix, const char *end, struct date today, struct member_stats *s)
{
	/* the revision read here stays true while the pass counts: same snapshot */
	assert(db_in_tx(db));
	int64_t epoch = 0, rev = -1, day = date_to_days(today);
	/* the subtree's own revision (0145: every write to a member of it, an organization
	 * of it added, removed or changed in what the pass reads: path, type, domain): a
	 * write elsewhere in the district leaves its figures kept */
	enum db_rc rc = member_list_revision(db, prefix, &epoch, &rev);
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

/* The answer's layout, the one both writers follow (stats_members_json for the CLI and
 * the dashboard, stats_members_write for the API: tests/api/stats.test.mjs compares their
 * bytes): in order, each counter under its section (NULL: at the top), and where the
 * organizations' domains (one member per org_domain code) and the joined years (an
 * array of {year, count}, the years with members) go. */
enum stats_part { SP_FIELD, SP_DOMAIN, SP_YEARS };
static const struct stats_field {
	enum stats_part part;
	const char *section, *key;
	size_t off; /* of the int64_t counter in struct member_stats */
} stats_layout[] = {
#define F_(sec, key, fld) {SP_FIELD, sec, key, offsetof(struct member_stats, fld)}
	F_(NULL, "total", total),
	F_("party_status", "formal", formal),
	F_("party_status", "probationary", probationary),
	F_("sex", "male", male),
	F_("sex", "female", female),
	F_("ethnicity", "han", han),
	F_("ethnicity", "minority", minority),
	F_("education", "college_plus", college_plus),
	F_("education", "below", below),
	F_("age", "under_35", under_35),
	F_("age", "from_35_to_60", from_35_to_60),
	F_("age", "over_60", over_60),
	{SP_DOMAIN, "domain", NULL, 0},
	F_(NULL, "two_new", two_new),
	{SP_YEARS, "joined_per_year", NULL, 0},
#undef F_
};
#define STATS_LAYOUT_N (sizeof stats_layout / sizeof stats_layout[0])

static int64_t field_of(const struct member_stats *s, const struct stats_field *f)
{
	int64_t v;
	memcpy(&v, (const char *)s + f->off, sizeof v);
	return v;
}

json_t *stats_members_json(const struct member_stats *s)
{
	json_t *root = json_object();
	const struct code_table *t = domains();
	for (size_t i = 0; i < STATS_LAYOUT_N; i++) {
		const struct stats_field *f = &stats_layout[i];
		if (f->part == SP_DOMAIN) {
			json_t *dom = json_object();
			for (size_t d = 0; d < t->n; d++)
				json_object_set_new(dom, t->items[d].code, json_integer(s->domain[d]));
			json_object_set_new(root, f->section, dom);
		} else if (f->part == SP_YEARS) {
			json_t *years = json_array();
			for (int y = 0; y < STATS_YEARS; y++)
				if (s->joined[y])
					json_array_append_new(years, json_pack("{s:i, s:I}", "year", STATS_YEAR0 + y, "count",
									       (json_int_t)s->joined[y]));
			json_object_set_new(root, f->section, years);
		} else if (!f->section) {
			json_object_set_new(root, f->key, json_integer(field_of(s, f)));
		} else {
			json_t *sec = json_object_get(root, f->section);
			if (!sec) {
				sec = json_object();
				json_object_set_new(root, f->section, sec);
			}
			json_object_set_new(sec, f->key, json_integer(field_of(s, f)));
		}
	}
	return root;
}

void stats_members_write(struct jsonw *w, const struct member_stats *s)
{
	/* written straight (jansson's build and dump were ~a quarter of a request's CPU for
	 * a community's statistics, issue 21) from stats_layout, as stats_members_json */
	const struct code_table *t = domains();
	const char *open = NULL; /* the section whose object is open */
	jw_object(w);
	for (size_t i = 0; i < STATS_LAYOUT_N; i++) {
		const struct stats_field *f = &stats_layout[i];
		const char *sec = f->part == SP_FIELD ? f->section : NULL;
		if (open && (!sec || strcmp(open, sec) != 0)) {
			jw_object_end(w);
			open = NULL;
		}
		if (f->part == SP_DOMAIN) {
			jw_key(w, f->section);
			jw_object(w);
			for (size_t d = 0; d < t->n; d++)
				jw_kint(w, t->items[d].code, s->domain[d]); /* codes: no quote, backslash or control */
			jw_object_end(w);
		} else if (f->part == SP_YEARS) {
			jw_key(w, f->section);
			jw_array(w);
			for (int y = 0; y < STATS_YEARS; y++)
				if (s->joined[y]) {
					jw_object(w);
					jw_kint(w, "year", STATS_YEAR0 + y);
					jw_kint(w, "count", s->joined[y]);
					jw_object_end(w);
				}
			jw_array_end(w);
		} else if (!sec) {
			jw_kint(w, f->key, field_of(s, f));
		} else {
			if (!open) {
				jw_key(w, sec);
				jw_object(w);
				open = sec;
			}
			jw_kint(w, f->key, field_of(s, f));
		}
	}
	if (open)
		jw_object_end(w);
	jw_object_end(w);
}
