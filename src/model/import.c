/* import.c: see import.h. One pass over the file: each row is mapped through the
 * template's headers, names turned into codes ("汉族" → 01), dates read in the forms
 * people type (2020-07-01, 2020/7/1, 2020.07.01, 20200701, an Excel serial), then
 * member_validate and the duplicate checks; good rows are inserted as they come, and
 * the transaction is rolled back at the end for a dry run or when a bad row forbids
 * the all-or-nothing commit. */
#include "model/import.h"
#include "config.h"
#include "cli.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/sheet.h"
#include "core/sheet_write.h"
#include "model/codes.h"
#include "model/member.h"
#include "model/org.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum col {
	C_NAME, C_FORMER, C_SEX, C_ID, C_ETHNIC, C_NATIVE, C_MOBILE, C_ADDRESS, C_EDU, C_DEGREE, C_UNIT,
	C_UNIT_TYPE, C_POST, C_CATEGORY, C_STATUS, C_STATE, C_PARTY_POST, C_JOINED, C_CONFIRMED,
	C_INTRODUCERS, C_DUES_BASE, C_DUES_PAID, C__MAX
};

const char *const import_headers[] = {
	"姓名", "曾用名", "性别", "身份证号码", "民族", "籍贯", "手机号码", "家庭住址", "学历", "学位", "工作单位",
	"单位性质", "职务", "人员类别", "党员类别", "党籍状态", "党内职务", "入党时间", "转正时间", "入党介绍人",
	"党费基数", "党费交至",
};
const size_t import_nheaders = C__MAX;
static const bool required_col[C__MAX] = {[C_NAME] = true, [C_ID] = true, [C_STATUS] = true, [C_JOINED] = true};
/* the API field each column feeds, to name a column in errors */
static const char *const col_field[C__MAX] = {
	"name", "former_name", "sex", "id_number", "ethnicity", "native_place", "mobile", "address", "education",
	"degree", "work_unit", "unit_type", "post", "category", "party_status", "state", "party_post", "joined_on",
	"confirmed_on", "introducers", "dues_base", "dues_paid_to",
};

/* open-addressing set of blind indexes seen in this file, with their row */
struct seen {
	unsigned char (*key)[DJ_BLIND_LEN];
	long *row;
	size_t cap, n;
};

static long seen_put(struct seen *s, const unsigned char k[DJ_BLIND_LEN], long row)
{
	if (s->n * 2 >= s->cap) {
		struct seen ns = {0};
		ns.cap = s->cap ? s->cap * 2 : 1024;
		ns.key = calloc(ns.cap, DJ_BLIND_LEN);
		ns.row = calloc(ns.cap, sizeof *ns.row);
		if (!ns.key || !ns.row)
			abort();
		for (size_t i = 0; i < s->cap; i++)
			if (s->row[i])
				seen_put(&ns, s->key[i], s->row[i]);
		free(s->key);
		free(s->row);
		*s = ns;
	}
	uint64_t h;
	memcpy(&h, k, sizeof h);
	for (size_t i = h & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		if (!s->row[i]) {
			memcpy(s->key[i], k, DJ_BLIND_LEN);
			s->row[i] = row;
			s->n++;
			return 0;
		}
		if (memcmp(s->key[i], k, DJ_BLIND_LEN) == 0)
			return s->row[i];
	}
}


/* The two-thread load (an import into an empty roster): a reader thread parses,
 * validates, checks duplicates and seals rows into batches; the caller's thread, which
 * owns the connection, inserts them. Rows, errors and counters are exactly those of
 * the one-thread path: only the reader touches them, and the empty roster means no row
 * needs the database to be judged. */
#define BATCH_ROWS 512
#define BATCHES 8

struct batch {
	struct arena *a; /* the rows' strings and ciphertexts */
	struct member_rec r[BATCH_ROWS];
	struct member_sealed s[BATCH_ROWS];
	unsigned char blind[BATCH_ROWS][DJ_BLIND_LEN];
	bool sealed[BATCH_ROWS]; /* sealed by the reader; the inserter seals the others */
	size_t n;
	int64_t total; /* rows read when the batch was handed over (for progress) */
	struct batch *next;
};

struct pipe {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct batch *full, *full_tail, *free; /* queues, under mu */
	struct batch *cur;                     /* the batch the reader fills */
	size_t nfull;                          /* batches in full, under mu */
	bool done;                             /* the reader has finished, under mu */
	bool reader_seals;                     /* the inserter is behind: the reader seals */
	atomic_bool abort;                     /* the inserter failed: stop reading */
	int prc;                               /* the parser's result */
};

struct imp {
	struct db *db;
	const struct import_opts *o;
	struct date today;
	int map[SHEET_MAX_COLS]; /* file column → enum col, -1 */
	int colpos[C__MAX];      /* enum col → file column, -1 */
	bool header_done;
	int64_t total, good, bad, imported;
	json_t *errors;
	size_t nerrors;
	size_t max_errors;
	struct arena *a;
	long row;
	bool row_bad;
	bool joined_unreadable; /* the row's 入党时间 error is reported already */
	enum db_rc db_rc;
	struct seen seen;
	bool bulk; /* the roster was empty when the transaction began */
	struct pipe *pipe; /* the two-thread load, or NULL */
	size_t len;
	int last_pct;
	struct org_rec org;
	char *org_path; /* the organization's path (malloc), read in the import's transaction */
	char *why;
	size_t whylen;
};

static void add_error(struct imp *m, long row, const char *column, const char *code, const char *message)
{
	m->row_bad = true;
	if (m->nerrors++ < m->max_errors)
		json_array_append_new(m->errors, json_pack("{s:I, s:s, s:s, s:s}", "row", (json_int_t)row, "column",
							   column ? column : "", "code", code, "message", message));
}

static void field_err(void *ctx, const char *field, const char *code, const char *message)
{
	struct imp *m = ctx;
	if (m->joined_unreadable && strcmp(field, "joined_on") == 0)
		return;
	const char *column = field;
	for (int c = 0; c < C__MAX; c++)
		if (strcmp(col_field[c], field) == 0)
			column = import_headers[c];
	if (strcmp(field, "birth_date") == 0)
		column = "身份证号码";
	add_error(m, m->row, column, code, message);
}

/* Dates as people type them; NULL when unreadable. */
static const char *norm_date(struct arena *a, const char *s)
{
	struct date d;
	if (date_parse(s, &d))
		return s;
	int y = 0, mo = 0, dd = 0;
	char sep1 = 0, sep2 = 0, tail = 0;
	if (sscanf(s, "%4d%c%2d%c%2d%c", &y, &sep1, &mo, &sep2, &dd, &tail) == 5 && sep1 == sep2 &&
	    (sep1 == '/' || sep1 == '.' || sep1 == '-')) {
		d = (struct date){y, mo, dd};
	} else if (strlen(s) == 8 && strspn(s, "0123456789") == 8) {
		d = (struct date){(s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0'),
				  (s[4] - '0') * 10 + (s[5] - '0'), (s[6] - '0') * 10 + (s[7] - '0')};
	} else if (!sheet_serial_date(s, &d)) {
		return NULL;
	}
	char b[11];
	date_format(d, b);
	return date_valid(b) ? arena_strdup(a, b) : NULL;
}

static const char *cell(struct imp *m, const char *const *cells, size_t n, int c)
{
	int pos = m->colpos[c];
	if (pos < 0 || (size_t)pos >= n)
		return NULL;
	const char *s = cells[pos];
	while (*s == ' ' || *s == '\t')
		s++;
	size_t len = strlen(s);
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r' || s[len - 1] == '\n'))
		len--;
	return len ? arena_strndup(m->a, s, len) : NULL;
}

/* A code from its code or its name; reports an error naming the column when unknown. */
static const char *code_of(struct imp *m, const char *table, const char *text, int c)
{
	if (!text)
		return NULL;
	const char *code = codes_lookup(table, text);
	if (!code && strcmp(table, "ethnicity") == 0) /* "苗" for 苗族 */
		code = codes_lookup(table, arena_printf(m->a, "%s族", text));
	if (!code && strcmp(table, "party_status") == 0) {
		if (strcmp(text, "正式") == 0)
			code = "formal";
		else if (strcmp(text, "预备") == 0)
			code = "probationary";
	}
	if (!code && strcmp(table, "member_state") == 0 && strcmp(text, "正常") == 0)
		code = "normal";
	if (!code)
		add_error(m, m->row, import_headers[c], "invalid_code",
			  arena_printf(m->a, "“%s”不是有效的%s", text, codes_table(table)->title));
	return code;
}

/* The length of the separator at p (",", ";", " ", "，", "、", "；"), or 0. */
static size_t name_separator(const char *p)
{
	static const char *const seps[] = {",", ";", " ", "，", "、", "；"};
	for (size_t i = 0; i < sizeof seps / sizeof seps[0]; i++)
		if (strncmp(p, seps[i], strlen(seps[i])) == 0)
			return strlen(seps[i]);
	return 0;
}

/* "李四、王五" → ["李四", "王五"]: walks whole UTF-8 characters, so a separator byte
 * never matches inside another character. */
static json_t *split_names(const char *s)
{
	json_t *a = json_array();
	if (!s)
		return a;
	const char *start = s, *p = s;
	for (;;) {
		size_t sep = *p ? name_separator(p) : 0;
		if (!*p || sep) {
			if (p > start)
				json_array_append_new(a, json_stringn(start, (size_t)(p - start)));
			if (!*p)
				break;
			p += sep;
			start = p;
			continue;
		}
		p++;
		while ((*p & 0xC0) == 0x80) /* continuation bytes of the same character */
			p++;
	}
	return a;
}

/* Progress by rows read against a guess from the file size (~120 bytes a row; rows
 * are not known ahead), capped below 100 until the end. */
static void report_progress(struct imp *m, int64_t total)
{
	int64_t guess = (int64_t)(m->len / 120) + 1;
	int pct = (int)(total * 99 / (guess > total ? guess : total + 1));
	if (pct > m->last_pct) {
		m->last_pct = pct;
		m->o->progress(m->o->progress_ctx, pct);
	}
}

static void pipe_next_batch(struct imp *m);

static int on_row(void *ctx, long rowno, const char *const *cells, size_t n)
{
	struct imp *m = ctx;
	if (!m->header_done) {
		for (int c = 0; c < C__MAX; c++)
			m->colpos[c] = -1;
		for (size_t i = 0; i < n; i++) {
			const char *h = cells[i];
			while (*h == ' ')
				h++;
			for (int c = 0; c < C__MAX; c++) {
				size_t hl = strlen(import_headers[c]);
				if (strncmp(h, import_headers[c], hl) == 0 && (h[hl] == 0 || h[hl] == ' ' || h[hl] == '*' || h[hl] == '(' || (unsigned char)h[hl] == 0xEF))
					if (m->colpos[c] < 0)
						m->colpos[c] = (int)i;
			}
		}
		bool missing = false;
		for (int c = 0; c < C__MAX; c++)
			if (required_col[c] && m->colpos[c] < 0) {
				add_error(m, rowno, import_headers[c], "missing_column",
					  arena_printf(m->a, "缺少必填列“%s”，请使用导入模板", import_headers[c]));
				missing = true;
			}
		m->header_done = true;
		if (missing) {
			snprintf(m->why, m->whylen, "表头缺少必填列，请使用导入模板");
			return 2;
		}
		return 0;
	}
	bool empty = true;
	for (size_t i = 0; i < n && empty; i++)
		if (cells[i][0])
			empty = false;
	if (empty)
		return 0;
	if (m->pipe) {
		if (atomic_load(&m->pipe->abort))
			return 3;
		if (!m->pipe->cur || m->pipe->cur->n == BATCH_ROWS)
			pipe_next_batch(m);
	} else if ((m->total & 1023) == 0) {
		arena_free(m->a);
		m->a = arena_new();
	}
	m->total++;
	m->row = rowno;
	m->row_bad = false;
	struct member_rec r;
	memset(&r, 0, sizeof r);
	r.org_id = m->org.id;
	r.created_at = m->o->now;
	r.dues_base = -1;
	r.name = cell(m, cells, n, C_NAME);
	r.former_name = cell(m, cells, n, C_FORMER);
	r.sex = code_of(m, "sex", cell(m, cells, n, C_SEX), C_SEX);
	r.id_number = cell(m, cells, n, C_ID);
	r.ethnicity = code_of(m, "ethnicity", cell(m, cells, n, C_ETHNIC), C_ETHNIC);
	r.native_place = cell(m, cells, n, C_NATIVE);
	r.mobile = cell(m, cells, n, C_MOBILE);
	r.address = cell(m, cells, n, C_ADDRESS);
	r.education = code_of(m, "education", cell(m, cells, n, C_EDU), C_EDU);
	r.degree = cell(m, cells, n, C_DEGREE);
	r.work_unit = cell(m, cells, n, C_UNIT);
	r.unit_type = code_of(m, "unit_type", cell(m, cells, n, C_UNIT_TYPE), C_UNIT_TYPE);
	r.post = cell(m, cells, n, C_POST);
	r.category = code_of(m, "person_category", cell(m, cells, n, C_CATEGORY), C_CATEGORY);
	r.party_status = code_of(m, "party_status", cell(m, cells, n, C_STATUS), C_STATUS);
	r.state = code_of(m, "member_state", cell(m, cells, n, C_STATE), C_STATE);
	r.party_post = cell(m, cells, n, C_PARTY_POST);
	const char *j = cell(m, cells, n, C_JOINED), *cf = cell(m, cells, n, C_CONFIRMED);
	r.joined_on = j ? norm_date(m->a, j) : NULL;
	if (j && !r.joined_on) {
		add_error(m, rowno, "入党时间", "invalid_date", "入党时间不是有效日期（如 2020-07-01）");
		r.joined_on = NULL;
	}
	r.confirmed_on = cf ? norm_date(m->a, cf) : NULL;
	if (cf && !r.confirmed_on)
		add_error(m, rowno, "转正时间", "invalid_date", "转正时间不是有效日期（如 2021-07-01）");
	const char *intro = cell(m, cells, n, C_INTRODUCERS);
	if (intro) {
		json_t *names = split_names(intro);
		char *t = json_dumps(names, JSON_COMPACT);
		r.introducers_json = arena_strdup(m->a, t);
		free(t);
		json_decref(names);
	}
	const char *dues = cell(m, cells, n, C_DUES_BASE);
	if (dues) {
		char *end;
		double v = strtod(dues, &end);
		if (end == dues || *end || !(v >= 0 && v <= 10000000)) /* NaN fails both */
			add_error(m, rowno, "党费基数", "invalid_number", "党费基数应为金额（元）");
		else
			r.dues_base = (int64_t)(v * 100 + 0.5);
	}
	r.dues_paid_to = cell(m, cells, n, C_DUES_PAID);
	/* an unreadable joined date is reported already: validate the rest without a
	 * second "required" error for it */
	m->joined_unreadable = j && !r.joined_on;
	member_validate(&r, m->today, m->a, field_err, m);
	unsigned char blind[DJ_BLIND_LEN];
	if (!m->row_bad) {
		member_id_blind(r.id_number, blind);
		long first = seen_put(&m->seen, blind, rowno);
		if (first) {
			add_error(m, rowno, "身份证号码", "duplicate_in_file",
				  arena_printf(m->a, "与第 %ld 行是同一人（身份证号码相同）", first));
		} else if (!m->bulk) {
			int64_t id;
			const char *path;
			enum db_rc rc = member_find_by_blind(m->db, m->a, blind, &id, &path);
			if (rc == DB_OK) {
				add_error(m, rowno, "身份证号码", "duplicate_person", "此人已在党员名册中（身份证号码相同）");
			} else if (rc != DB_DONE) {
				m->db_rc = rc;
				return 3;
			}
		}
	}
	if (m->row_bad) {
		m->bad++;
	} else {
		m->good++;
		if (!m->o->dry_run) {
			if (m->pipe) { /* the inserter takes it from here */
				struct batch *b = m->pipe->cur;
				b->r[b->n] = r;
				memcpy(b->blind[b->n], blind, DJ_BLIND_LEN);
				b->sealed[b->n] = m->pipe->reader_seals;
				if (b->sealed[b->n])
					member_seal(m->a, &r, blind, &b->s[b->n]);
				b->n++;
				return 0;
			}
			struct member_sealed sealed;
			member_seal(m->a, &r, blind, &sealed);
			enum db_rc rc = member_insert_sealed(m->db, &r, &sealed, m->org_path);
			if (rc != DB_OK) {
				m->db_rc = rc == DB_CONSTRAINT ? DB_ERROR : rc;
				return 3;
			}
			m->imported++;
		}
	}
	if (!m->pipe && m->o->progress && (m->total & 255) == 0)
		report_progress(m, m->total);
	return 0;
}

static int parse(struct imp *m, const void *data, enum sheet_encoding *enc)
{
	return m->o->format == IMPORT_CSV ? sheet_csv(data, m->len, on_row, m, enc, m->why, m->whylen)
					  : sheet_xlsx(data, m->len, on_row, m, m->why, m->whylen);
}

/* --- the two-thread load --- */

/* Queues the reader's batch for the inserter (under mu). */
static void pipe_push(struct pipe *p, int64_t total)
{
	p->cur->total = total;
	p->cur->next = NULL;
	if (p->full_tail)
		p->full_tail->next = p->cur;
	else
		p->full = p->cur;
	p->full_tail = p->cur;
	p->nfull++;
}

/* Reader: hands the filled batch over and takes a free one (waiting for the inserter
 * when all are in flight); its arena becomes the rows' arena. Sealing (two AEAD
 * encryptions a row) goes to whichever thread has time: the reader while batches wait
 * for the inserter, else the inserter. */
static void pipe_next_batch(struct imp *m)
{
	struct pipe *p = m->pipe;
	pthread_mutex_lock(&p->mu);
	if (p->cur) {
		pipe_push(p, m->total);
		pthread_cond_broadcast(&p->cv);
	}
	p->reader_seals = p->nfull >= 2;
	while (!p->free)
		pthread_cond_wait(&p->cv, &p->mu);
	struct batch *b = p->free;
	p->free = b->next;
	pthread_mutex_unlock(&p->mu);
	arena_free(b->a);
	b->a = arena_new();
	b->n = 0;
	p->cur = b;
	m->a = b->a;
}

struct reader_arg {
	struct imp *m;
	const void *data;
	enum sheet_encoding *enc;
};

static void *reader_main(void *arg)
{
	struct reader_arg *ra = arg;
	struct imp *m = ra->m;
	struct pipe *p = m->pipe;
	int prc = parse(m, ra->data, ra->enc);
	pthread_mutex_lock(&p->mu);
	p->prc = prc;
	if (p->cur && p->cur->n) {
		pipe_push(p, m->total);
	} else if (p->cur) {
		p->cur->next = p->free;
		p->free = p->cur;
	}
	p->cur = NULL;
	p->done = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Inserter (the caller's thread, which owns the connection): inserts each batch as it
 * comes; after a storage error it stops the reader and drains. The parser's result. */
static int parse_two_threads(struct imp *m, const void *data, enum sheet_encoding *enc)
{
	struct pipe p = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
	struct batch *all = calloc(BATCHES, sizeof *all);
	if (!all)
		return parse(m, data, enc);
	for (int i = 0; i < BATCHES; i++) {
		all[i].next = p.free;
		p.free = &all[i];
	}
	struct arena *own = m->a;
	m->pipe = &p;
	struct reader_arg ra = {m, data, enc};
	pthread_t th;
	if (pthread_create(&th, NULL, reader_main, &ra) != 0) {
		m->pipe = NULL;
		free(all);
		return parse(m, data, enc);
	}
	for (;;) {
		pthread_mutex_lock(&p.mu);
		while (!p.full && !p.done)
			pthread_cond_wait(&p.cv, &p.mu);
		struct batch *b = p.full;
		if (b) {
			p.full = b->next;
			if (!p.full)
				p.full_tail = NULL;
			p.nfull--;
		}
		pthread_mutex_unlock(&p.mu);
		if (!b)
			break;
		for (size_t i = 0; i < b->n && !atomic_load(&p.abort); i++) {
			if (!b->sealed[i])
				member_seal(b->a, &b->r[i], b->blind[i], &b->s[i]);
			enum db_rc rc = member_insert_sealed(m->db, &b->r[i], &b->s[i], m->org_path);
			if (rc != DB_OK) {
				m->db_rc = rc == DB_CONSTRAINT ? DB_ERROR : rc;
				atomic_store(&p.abort, true);
			} else {
				m->imported++;
			}
		}
		if (m->o->progress && !atomic_load(&p.abort))
			report_progress(m, b->total);
		pthread_mutex_lock(&p.mu);
		b->next = p.free;
		p.free = b;
		pthread_cond_broadcast(&p.cv);
		pthread_mutex_unlock(&p.mu);
	}
	pthread_join(th, NULL);
	m->pipe = NULL;
	m->a = own;
	for (int i = 0; i < BATCHES; i++)
		arena_free(all[i].a);
	free(all);
	pthread_mutex_destroy(&p.mu);
	pthread_cond_destroy(&p.cv);
	return atomic_load(&p.abort) ? 3 : p.prc;
}

json_t *import_members(struct db *db, const void *data, size_t len, const struct import_opts *o, enum db_rc *db_rc,
		       char *why, size_t whylen)
{
	*db_rc = DB_OK;
	struct imp m;
	memset(&m, 0, sizeof m);
	m.db = db;
	m.o = o;
	m.len = len;
	m.why = why;
	m.whylen = whylen;
	m.max_errors = o->max_errors ? o->max_errors : 1000;
	m.errors = json_array();
	m.a = arena_new();
	json_t *result = NULL;
	bool cache_set = false;
	if (!o->today || !date_parse(o->today, &m.today)) {
		snprintf(why, whylen, "内部错误：日期无效");
		goto out;
	}
	enum db_rc rc = db_tx_begin(db, true);
	if (rc != DB_OK) {
		*db_rc = rc;
		goto out;
	}
	rc = org_get(db, m.a, o->org_id, &m.org);
	if (rc != DB_OK) {
		db_tx_rollback(db);
		if (rc == DB_NOT_FOUND)
			snprintf(why, whylen, "党组织不存在");
		else
			*db_rc = rc;
		goto out;
	}
	/* the org record's strings live in m.a, which on_row recycles: keep the id and a
	 * copy of the path (the write transaction holds it still until the end) */
	m.org_path = strdup(m.org.path);
	m.org.name = m.org.path = NULL;
	if (!m.org_path)
		abort();
	/* into an empty roster (the first load of a district), load the way `demo` does: the
	 * secondary indexes are dropped inside this transaction and rebuilt before commit
	 * (a rollback restores them); with six live indexes and the whole file in one
	 * transaction, pages spill to the WAL again and again (bench/results.md) */
	bool bulk = !o->dry_run && member_count(db) == 0;
	m.bulk = bulk;
	/* a page cache that holds the whole load, so that pages are written once, at the
	 * commit, instead of spilling to the WAL again and again (~600 MB for 1M rows,
	 * taken as the pages fill; the configured size is set back at the end) */
	if (!o->dry_run) {
		db_cache_kib(db, cfg.import_cache_kib); /* config: 1 GiB holds a 1M-row load */
		cache_set = true;
	}
	if (bulk && member_bulk_begin(db) != DB_OK) {
		db_tx_rollback(db);
		*db_rc = DB_ERROR;
		goto out;
	}
	/* every row goes to one organization: count them once at the end instead of two
	 * UPDATEs per row by the trigger of 0040 (which also made SQLite keep a statement
	 * journal for each INSERT) */
	enum db_rc crc = bulk ? member_bulk_counts_begin(db) : DB_DONE;
	bool counts_deferred = crc == DB_OK;
	if (crc != DB_OK && crc != DB_DONE) {
		db_tx_rollback(db);
		*db_rc = crc;
		goto out;
	}
	enum sheet_encoding enc = SHEET_UTF8;
	int prc = bulk ? parse_two_threads(&m, data, &enc) : parse(&m, data, &enc);
	if (prc == 3) {
		db_tx_rollback(db);
		*db_rc = m.db_rc;
		goto out;
	}
	if (prc == -1 || prc == 2) {
		db_tx_rollback(db);
		if (prc == 2) { /* a header problem: report it as the result, row 1 */
			result = json_pack("{s:I, s:I, s:I, s:I, s:b, s:O}", "total", (json_int_t)0, "good", (json_int_t)0,
					   "bad", (json_int_t)0, "imported", (json_int_t)0, "dry_run", o->dry_run, "errors", m.errors);
			json_object_set_new(result, "failed", json_string(why));
		}
		goto out;
	}
	if (!m.header_done) {
		db_tx_rollback(db);
		snprintf(why, whylen, "文件是空的");
		goto out;
	}
	bool commit = !o->dry_run && m.imported > 0 && (m.bad == 0 || o->good_only);
	if (commit && counts_deferred && (rc = member_bulk_counts_end(db, m.org.id, m.imported)) != DB_OK) {
		db_tx_rollback(db);
		*db_rc = rc;
		goto out;
	}
	if (commit && o->before_commit && o->before_commit(o->commit_ctx, db, m.imported, m.bad) != 0) {
		db_tx_rollback(db);
		*db_rc = DB_ERROR;
		snprintf(why, whylen, "无法记录审计日志，导入已撤销");
		goto out;
	}
	if (commit && bulk && member_bulk_end(db) != DB_OK) {
		db_tx_rollback(db);
		*db_rc = DB_ERROR;
		snprintf(why, whylen, "无法重建索引，导入已撤销");
		goto out;
	}
	if (commit) {
		rc = db_tx_commit(db);
		if (rc != DB_OK) {
			db_tx_rollback(db);
			*db_rc = rc;
			goto out;
		}
	} else {
		db_tx_rollback(db);
		m.imported = 0;
	}
	static const char *const encs[] = {"utf-8", "utf-8-bom", "gb18030"};
	result = json_pack("{s:I, s:I, s:I, s:I, s:b, s:b, s:s, s:I, s:O}", "total", (json_int_t)m.total, "good",
			   (json_int_t)m.good, "bad", (json_int_t)m.bad, "imported", (json_int_t)m.imported, "dry_run",
			   o->dry_run, "good_only", o->good_only, "encoding",
			   o->format == IMPORT_CSV ? encs[enc] : "xlsx", "error_count", (json_int_t)m.nerrors, "errors",
			   m.errors);
out:
	if (cache_set) /* the transaction is over: give the pages back */
		db_cache_kib(db, 0);
	json_decref(m.errors);
	free(m.seen.key);
	free(m.seen.row);
	free(m.org_path);
	arena_free(m.a);
	return result;
}

int import_template_xlsx(const char *path, const char *tmpdir)
{
	struct xlsx_out *x = xlsx_out_open(path, tmpdir, "党员信息", import_headers, import_nheaders);
	if (!x)
		return -1;
	const char *example[C__MAX] = {
		[C_NAME] = "张三", [C_SEX] = "女", [C_ID] = "11010519491231002X", [C_ETHNIC] = "汉族",
		[C_NATIVE] = "北京", [C_MOBILE] = "13800000000", [C_EDU] = "大学本科毕业", [C_UNIT_TYPE] = "社区",
		[C_CATEGORY] = "离退休人员", [C_STATUS] = "正式党员", [C_STATE] = "正常", [C_JOINED] = "1975-07-01",
		[C_CONFIRMED] = "1976-07-01", [C_INTRODUCERS] = "李四、王五", [C_DUES_BASE] = "5000",
		[C_DUES_PAID] = "2026-10",
	};
	int rc = xlsx_out_row(x, example, C__MAX);
	return xlsx_out_close(x) || rc ? -1 : 0;
}

/* `dangjian import FILE --org ID [--dry-run] [--good-only]`: the same import from the
 * command line; prints the result as JSON. */
static int cmd_import(int argc, char **argv)
{
	const char *file = NULL;
	struct import_opts o = {0};
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--org") == 0 && i + 1 < argc)
			o.org_id = strtoll(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--dry-run") == 0)
			o.dry_run = true;
		else if (strcmp(argv[i], "--good-only") == 0)
			o.good_only = true;
		else if (argv[i][0] != '-' && !file)
			file = argv[i];
		else
			file = NULL, i = argc;
	}
	if (!file || o.org_id <= 0) {
		fprintf(stderr, "usage: dangjian import FILE --org ID [--dry-run] [--good-only]\n");
		return 2;
	}
	FILE *f = fopen(file, "rb");
	if (!f) {
		fprintf(stderr, "dangjian: cannot read %s\n", file);
		return 1;
	}
	char *data = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 1 << 16;
			char *q = realloc(data, cap);
			if (!q)
				abort();
			data = q;
		}
		size_t n = fread(data + len, 1, cap - len, f);
		if (n == 0)
			break;
		len += n;
	}
	fclose(f);
	size_t fl = strlen(file);
	o.format = fl > 5 && strcmp(file + fl - 5, ".xlsx") == 0 ? IMPORT_XLSX : IMPORT_CSV;
	char today[11];
	clock_today(today);
	o.today = today;
	o.now = clock_now();
	o.max_errors = 50;
	struct db *db = cli_open_db();
	if (!db) {
		free(data);
		return 1;
	}
	char why[256] = "";
	enum db_rc rc;
	json_t *res = import_members(db, data, len, &o, &rc, why, sizeof why);
	free(data);
	db_close(db);
	if (!res) {
		fprintf(stderr, "dangjian: import failed: %s\n", rc == DB_BUSY ? "数据库忙，请稍后重试" : why);
		return 1;
	}
	char *t = json_dumps(res, JSON_INDENT(1));
	printf("%s\n", t);
	free(t);
	bool ok = !json_object_get(res, "failed") && json_integer_value(json_object_get(res, "bad")) == 0;
	json_decref(res);
	return ok ? 0 : 1;
}
CLI_COMMAND(import, cmd_import, "import FILE --org ID [--dry-run] [--good-only]", "import members from .xlsx or .csv");
