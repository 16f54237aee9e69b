/* import.c: the roster import's course (see import.h). The file is read and every row
 * checked outside any write lock; good rows wait in a batch (cfg.import_batch_rows),
 * whose duplicate check and staging take one short transaction: a read transaction for
 * a dry run or a file that will not be committed, a write one that stages the rows
 * (import_stage.c) otherwise. When the file is judged good, one short transaction marks
 * the commit point with the import's audit row, and the staged rows then move into the
 * roster a batch at a time (S18); a failure before the commit point deletes them
 * (S24). Rows are read by import_rows.c. */
#include "config.h"
#include "core/arena.h"
#include "core/clock.h"
#include "model/import_internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (!p)
		abort(); /* like arena_alloc: the import can not go on without it */
	return p;
}

/* Adds k (row) to the set; the row that had k first, or 0. */
static long seen_put(struct import_seen *s, const unsigned char k[DJ_BLIND_LEN], long row)
{
	if (s->n * 2 >= s->cap) {
		struct import_seen ns = {0};
		ns.cap = s->cap ? s->cap * 2 : 1024;
		ns.key = xcalloc(ns.cap, DJ_BLIND_LEN);
		ns.row = xcalloc(ns.cap, sizeof *ns.row);
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

static void batch_init(struct import_batch *b, size_t cap)
{
	b->cap = cap;
	b->a = arena_new();
	b->r = xcalloc(cap, sizeof *b->r);
	b->s = xcalloc(cap, sizeof *b->s);
	b->blind = xcalloc(cap, sizeof *b->blind);
	b->rowno = xcalloc(cap, sizeof *b->rowno);
	b->dup_id = xcalloc(cap, sizeof *b->dup_id);
	b->dup = xcalloc(cap, sizeof *b->dup);
}

static void batch_free(struct import_batch *b)
{
	arena_free(b->a);
	free(b->r);
	free(b->s);
	free(b->blind);
	free(b->rowno);
	free(b->dup_id);
	free(b->dup);
}

/* True while staging is worth it: a real import that may still be committed. */
static bool staging(const struct imp *m)
{
	return !m->o->dry_run && (m->bad == 0 || m->o->good_only);
}

static bool in_scope(const struct imp *m, const char *path)
{
	if (!m->o->scope)
		return true;
	for (size_t i = 0; i < m->o->nscope; i++)
		if (strncmp(path, m->o->scope[i], strlen(m->o->scope[i])) == 0)
			return true;
	return false;
}

/* The batch's duplicate checks, and its staging when stage: one transaction. */
static enum db_rc check_batch(struct db *db, struct imp *m, bool stage)
{
	struct import_batch *b = &m->b;
	m->seq = m->seq_committed; /* a retried transaction stages the same rows again */
	for (size_t i = 0; i < b->n; i++) {
		const char *path;
		enum db_rc rc = member_find_by_blind(db, b->a, b->blind[i], &b->dup_id[i], &path);
		if (rc == DB_OK) {
			b->dup[i] = in_scope(m, path) ? DUP_IN_SCOPE : DUP_OUT_OF_SCOPE;
			continue;
		}
		if (rc != DB_NOT_FOUND)
			return rc;
		b->dup[i] = DUP_NONE;
		if (stage && (rc = import_stage_row(db, m->o->job_id, m->seq, &b->r[i], &b->s[i], m->org_path)) != DB_OK)
			return rc == DB_CONSTRAINT ? DB_ERROR : rc;
		m->seq += stage;
	}
	return DB_OK;
}

static enum db_rc check_tx(struct db *db, void *ctx)
{
	return check_batch(db, ctx, false);
}

/* The job's lease first (import_hold_fn): no row is staged for a job another server
 * has taken over. */
static enum db_rc hold(struct db *db, const struct import_opts *o)
{
	return o->hold ? o->hold(db, o->finish_ctx, o->job_id) : DB_OK;
}

static enum db_rc stage_tx(struct db *db, void *ctx)
{
	struct imp *m = ctx;
	enum db_rc rc = hold(db, m->o);
	return rc == DB_OK ? check_batch(db, m, true) : rc;
}

/* Progress by rows read against a guess from the file size (~120 bytes a row; rows
 * are not known ahead), capped below 100 until the end. */
static void report_progress(struct imp *m)
{
	if (!m->o->progress)
		return;
	int64_t guess = (int64_t)(m->len / 120) + 1;
	int pct = (int)(m->total * 99 / (guess > m->total ? guess : m->total + 1));
	if (pct > m->last_pct) {
		m->last_pct = pct;
		m->o->progress(m->o->progress_ctx, pct);
	}
}

/* Checks (and stages) the waiting rows, then counts them good or duplicate.
 * IMP_GO_ON, IMP_DB (m->db_rc) or IMP_STOP (too many people outside the scope). */
static int flush(struct imp *m)
{
	struct import_batch *b = &m->b;
	if (b->n == 0)
		return IMP_GO_ON;
	bool stage = staging(m);
	if (stage) /* two AEAD encryptions a row: outside the lock */
		for (size_t i = 0; i < b->n; i++)
			member_seal(b->a, &b->r[i], b->blind[i], &b->s[i]);
	enum db_rc rc = import_tx(m->db, stage, stage ? stage_tx : check_tx, m);
	if (rc != DB_OK) {
		m->db_rc = rc;
		return IMP_DB;
	}
	m->staged += m->seq - m->seq_committed;
	m->seq_committed = m->seq;
	if (m->staged)
		import_test_kill("staged");
	for (size_t i = 0; i < b->n; i++) {
		if (b->dup[i] == DUP_NONE) {
			m->good++;
			continue;
		}
		m->bad++;
		if (b->dup[i] == DUP_IN_SCOPE && b->dup_id[i] > 0)
			import_add_error(m, b->rowno[i], "身份证号码", "duplicate_person",
					 arena_printf(b->a, "此人已在党员名册中（身份证号码相同，党员编号 %lld）",
						      (long long)b->dup_id[i]));
		else /* S20: outside the caller's scope, nothing names the record */
			import_add_error(m, b->rowno[i], "身份证号码", "duplicate_person",
					 "此人已在党员名册中（身份证号码相同）");
		m->foreign += b->dup[i] == DUP_OUT_OF_SCOPE;
	}
	b->n = 0;
	arena_free(b->a);
	b->a = arena_new();
	m->a = b->a;
	report_progress(m);
	if (m->foreign > cfg.import_max_foreign_dups) {
		snprintf(m->why, m->whylen,
			 "文件中有 %lld 个身份证号码属于您管辖范围以外的党员，导入已停止；请核对文件后联系上级组织",
			 (long long)m->foreign);
		return IMP_STOP;
	}
	return IMP_GO_ON;
}

static int on_row(void *ctx, long rowno, const char *const *cells, size_t n)
{
	struct imp *m = ctx;
	if (rowno == 0) { /* a further sheet (core/sheet.h): its own header, its own rows */
		m->sheet_no++;
		snprintf(m->sheet_name, sizeof m->sheet_name, "%s", n ? cells[0] : "");
		m->header_done = false;
		m->skip_sheet = false;
		return IMP_GO_ON;
	}
	if (m->skip_sheet)
		return IMP_GO_ON;
	if (!m->header_done)
		return import_read_header(m, rowno, cells, n);
	bool empty = true;
	for (size_t i = 0; i < n && empty; i++)
		empty = !cells[i][0];
	if (empty)
		return IMP_GO_ON;
	if ((m->total & 1023) == 0 && m->total && clock_mono_ms() - m->t0 > cfg.import_max_seconds * 1000.0) {
		snprintf(m->why, m->whylen, "文件过大，读取超过 %lld 秒，请分批导入", (long long)cfg.import_max_seconds);
		return IMP_STOP;
	}
	m->total++;
	struct import_batch *b = &m->b;
	struct member_rec *r = &b->r[b->n];
	if (!import_read_row(m, rowno, cells, n, r)) {
		m->bad++;
		return IMP_GO_ON;
	}
	member_id_blind(r->id_number, b->blind[b->n]);
	long first = seen_put(&m->seen, b->blind[b->n], rowno);
	if (first) {
		import_add_error(m, rowno, "身份证号码", "duplicate_in_file",
				 arena_printf(m->a, "与第 %ld 行是同一人（身份证号码相同）", first));
		m->bad++;
		return IMP_GO_ON;
	}
	b->rowno[b->n++] = rowno;
	return b->n == b->cap ? flush(m) : IMP_GO_ON;
}

/* Errors in row order (duplicate checks report a batch after the row's own errors). */
static int error_cmp(const void *x, const void *y)
{
	json_t *const *a = x, *const *b = y;
	json_int_t ra = json_integer_value(json_object_get(*a, "row")),
		   rb = json_integer_value(json_object_get(*b, "row"));
	return ra < rb ? -1 : ra > rb;
}

static void sort_errors(json_t *errors)
{
	size_t n = json_array_size(errors);
	json_t **v = xcalloc(n, sizeof *v);
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(errors, i));
	/* stable enough: a row's own errors are added together, before its duplicate */
	qsort(v, n, sizeof *v, error_cmp);
	json_array_clear(errors);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(errors, v[i]);
	free(v);
}

/* Writes the annotated file of every refused row when asked (before the commit point,
 * so that the committed result names it too). */
static void write_refused(struct imp *m, const void *data)
{
	if (m->o->errors_xlsx && m->nrefusals)
		m->errors_file_rows = import_refused_xlsx(m, data, m->o->errors_xlsx);
}

/* errors_file {rows, download} and expires_at in result r, when the file was written */
static void errors_file_of(const struct imp *m, json_t *r)
{
	if (!r || m->errors_file_rows <= 0)
		return;
	json_object_set_new(r, "errors_file", json_pack("{s:I, s:s}", "rows", (json_int_t)m->errors_file_rows, "download",
							m->o->errors_download ? m->o->errors_download : ""));
	if (m->o->errors_expires_at)
		json_object_set_new(r, "expires_at", json_string(m->o->errors_expires_at));
}

static json_t *result_of(struct imp *m, enum sheet_encoding enc, bool commit)
{
	static const char *const encs[] = {"utf-8", "utf-8-bom", "gb18030"};
	sort_errors(m->errors);
	/* issue 20 #22: the list stops at max_errors, and says so; the file of refused rows
	 * has every one */
	json_t *r = json_pack("{s:I, s:I, s:I, s:I, s:I, s:b, s:b, s:s, s:I, s:O, s:I, s:b}", "header_row",
			 (json_int_t)m->header_row, "total", (json_int_t)m->total, "good",
			 (json_int_t)m->good, "bad", (json_int_t)m->bad, "imported", (json_int_t)(commit ? m->staged : 0),
			 "dry_run", m->o->dry_run, "good_only", m->o->good_only, "encoding",
			 m->o->format == IMPORT_CSV ? encs[enc] : "xlsx", "error_count", (json_int_t)m->nerrors, "errors",
			 m->errors, "errors_shown", (json_int_t)json_array_size(m->errors), "errors_truncated",
			 m->nerrors > json_array_size(m->errors));
	errors_file_of(m, r);
	return r;
}

struct commit_ctx {
	struct imp *m;
	const char *result;
};

static enum db_rc commit_tx(struct db *db, void *ctx)
{
	struct commit_ctx *c = ctx;
	const struct import_opts *o = c->m->o;
	enum db_rc rc = hold(db, o);
	if (rc == DB_OK)
		rc = import_stage_commit(db, o->job_id, c->m->org_id, c->result);
	if (rc == DB_OK && o->before_commit && o->before_commit(o->commit_ctx, db, c->m->staged, c->m->bad) != 0)
		rc = DB_ERROR;
	return rc;
}

/* The file is read: the commit point and the move into the roster, or the staged
 * rows removed. The result (new reference) or NULL with *db_rc / why. */
static json_t *conclude(struct imp *m, enum sheet_encoding enc, enum db_rc *db_rc)
{
	bool commit = staging(m) && m->staged > 0;
	json_t *result = result_of(m, enc, commit);
	if (!commit) {
		enum db_rc rc = m->staged ? import_stage_discard(m->db, m->o->job_id) : DB_OK;
		if (rc != DB_OK) /* import_sweep removes them once the job has failed */
			*db_rc = rc;
		return result;
	}
	char *text = json_dumps(result, JSON_COMPACT);
	struct commit_ctx c = {m, text};
	enum db_rc rc = import_tx(m->db, true, commit_tx, &c);
	free(text);
	if (rc != DB_OK) {
		import_stage_discard(m->db, m->o->job_id);
		json_decref(result);
		*db_rc = rc;
		return NULL;
	}
	import_test_kill("committed");
	rc = import_stage_publish(m->db, m->o->job_id, m->o->finish, m->o->hold, m->o->finish_ctx);
	import_test_kill("published");
	if (rc != DB_OK) { /* committed: whoever takes the job over finishes the move */
		snprintf(m->why, m->whylen, "导入已确认，但写入名册时出错；稍后将自动完成");
		json_decref(result);
		*db_rc = rc;
		return NULL;
	}
	return result;
}

static int parse(struct imp *m, const void *data, enum sheet_encoding *enc)
{
	/* S19: what a roster needs, not what the file claims */
	struct sheet_limits lim = sheet_limits_for(m->len, (size_t)cfg.import_max_ratio,
						   (size_t)cfg.import_max_unzipped_mib << 20);
	lim.max_seconds = (double)cfg.import_max_seconds;
	return m->o->format == IMPORT_CSV ? sheet_csv(data, m->len, on_row, m, enc, m->why, m->whylen)
					  : sheet_xlsx_limited(data, m->len, &lim, on_row, m, m->why, m->whylen);
}

static enum db_rc foreign_tx(struct db *db, void *ctx)
{
	struct imp *m = ctx;
	return m->o->on_foreign(m->o->commit_ctx, db, m->foreign) == 0 ? DB_OK : DB_ERROR;
}

static json_t *run(struct imp *m, const void *data, enum db_rc *db_rc)
{
	enum sheet_encoding enc = SHEET_UTF8;
	int prc = parse(m, data, &enc);
	if (prc == IMP_GO_ON)
		prc = flush(m);
	/* S20: each answer about a person outside the caller's scope is audited, a dry
	 * run's too (one short write at the end) */
	if (m->foreign && m->o->on_foreign) {
		enum db_rc rc = import_tx(m->db, true, foreign_tx, m);
		if (rc != DB_OK && prc == IMP_GO_ON) {
			m->db_rc = rc;
			prc = IMP_DB;
		}
	}
	if (prc != IMP_GO_ON || m->headers == 0) {
		if (m->staged)
			import_stage_discard(m->db, m->o->job_id);
		if (prc == IMP_DB)
			*db_rc = m->db_rc;
		else if (prc == IMP_HEADER) { /* a header problem: report it as the result, row 1 */
			write_refused(m, data);
			json_t *r = json_pack("{s:I, s:I, s:I, s:I, s:b, s:O, s:s}", "total", (json_int_t)0, "good",
					      (json_int_t)0, "bad", (json_int_t)0, "imported", (json_int_t)0, "dry_run",
					      m->o->dry_run, "errors", m->errors, "failed", m->why);
			errors_file_of(m, r);
			return r;
		}
		else if (prc == IMP_GO_ON) /* no row named a required column */
			snprintf(m->why, m->whylen, "没有找到表头：前 10 行中没有“姓名”“身份证号码”等列名，请使用导入模板");
		return NULL;
	}
	if (m->total == 0) {
		/* issue 20 #8: a file that gave no row is no success, dry run or not */
		if (m->staged)
			import_stage_discard(m->db, m->o->job_id);
		snprintf(m->why, m->whylen, "没有读到任何数据行：请确认表头下方有数据，且表头使用模板中的列名");
		return json_pack("{s:I, s:I, s:I, s:I, s:b, s:O, s:s, s:s}", "total", (json_int_t)0, "good", (json_int_t)0,
				 "bad", (json_int_t)0, "imported", (json_int_t)0, "dry_run", m->o->dry_run, "errors",
				 m->errors, "failed", m->why, "code", "no_rows");
	}
	write_refused(m, data);
	return conclude(m, enc, db_rc);
}

json_t *import_members(struct db *db, const void *data, size_t len, const struct import_opts *o, enum db_rc *db_rc,
		       char *why, size_t whylen)
{
	*db_rc = DB_OK;
	struct imp m = {.db = db, .o = o, .len = len, .why = why, .whylen = whylen, .org_id = o->org_id};
	m.max_errors = o->max_errors ? o->max_errors : 1000;
	m.t0 = clock_mono_ms();
	if (!o->today || !date_parse(o->today, &m.today) || !o->org_path) {
		snprintf(why, whylen, "内部错误：日期或党组织无效");
		return NULL;
	}
	m.org_path = strdup(o->org_path);
	m.errors = json_array();
	batch_init(&m.b, cfg.import_batch_rows > 0 ? (size_t)cfg.import_batch_rows : 500);
	m.a = m.b.a;
	json_t *result = m.org_path ? run(&m, data, db_rc) : NULL;
	json_decref(m.errors);
	if (m.spill)
		fclose(m.spill);
	free(m.refusals);
	free(m.map_head);
	free(m.seen.key);
	free(m.seen.row);
	free(m.org_path);
	batch_free(&m.b);
	return result;
}
