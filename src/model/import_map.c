/* import_map.c: the import's column mapping (issue 20 #9; see import.h). A file whose
 * headers the import does not recognise is previewed first: only its first rows are
 * read, its header is found, each column matched to a template column (by the
 * template's name or an alias) or left for the user, and a few masked sample values
 * shown. The user's mapping is checked here against those matches before any import
 * runs, and remembered per organization by a signature of the normalised header row. */
#include "core/arena.h"
#include "core/clock.h"
#include "model/import_internal.h"
#include "model/import_map.h"
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(C__MAX <= IMPORT_MAX_FIELDS, "import_opts.colmap holds every column");

#define PREVIEW_SCAN 10   /* rows where the header may be (import_rows.c's HEADER_SEARCH_ROWS) */
#define PREVIEW_SAMPLES 3 /* data rows shown under it */
#define PREVIEW_ROWS (PREVIEW_SCAN + PREVIEW_SAMPLES)
#define SAMPLE_CHARS 40   /* bytes of a sample, cut at a character */
/* bytes of a CSV the preview reads (its encoding is checked, and GBK converted, over
 * what it is given): the head of the file, cut after a line; an .xlsx's sheet is
 * streamed and the parser stops after PREVIEW_ROWS rows */
#define PREVIEW_CSV_BYTES (256u << 10)

/* Headers of columns the import passes over without asking: what exports and hand-made
 * rosters add (a running number, the export's own extra columns, derived values). */
static const char *const ignored_headers[] = {"序号", "编号", "所属组织", "所在党支部", "所在支部", "党龄",
					      "党龄（年）", "年龄", "出生日期", "出生年月", "备注"};

struct pv_rows {
	char **cells[PREVIEW_ROWS];
	size_t n[PREVIEW_ROWS];
	long rowno[PREVIEW_ROWS];
	int nrows;
	bool oom;
};

/* the first rows of each sheet of the workbook (a CSV has one) */
struct pv_book {
	struct pv_rows sheet[SHEET_MAX_SHEETS];
	char name[SHEET_MAX_SHEETS][128];
	int nsheets;
	bool oom;
};

static int pv_row(void *ctx, long rowno, const char *const *cells, size_t n)
{
	struct pv_book *b = ctx;
	if (rowno == 0) { /* a further sheet: its name */
		if (b->nsheets == SHEET_MAX_SHEETS)
			return 1;
		snprintf(b->name[b->nsheets++], sizeof b->name[0], "%s", n ? cells[0] : "");
		return 0;
	}
	struct pv_rows *p = &b->sheet[b->nsheets ? b->nsheets - 1 : 0];
	if (!b->nsheets)
		b->nsheets = 1;
	if (p->nrows == PREVIEW_ROWS)
		return SHEET_NEXT;
	if (n > SHEET_MAX_COLS)
		n = SHEET_MAX_COLS;
	char **copy = calloc(n ? n : 1, sizeof *copy);
	if (!copy) {
		p->oom = true;
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		if (!(copy[i] = strdup(cells[i])))
			p->oom = true;
	p->cells[p->nrows] = copy;
	p->n[p->nrows] = n;
	p->rowno[p->nrows] = rowno;
	p->nrows++;
	if (p->oom)
		b->oom = true;
	return p->oom ? 1 : p->nrows == PREVIEW_ROWS ? SHEET_NEXT : 0; /* enough of this sheet */
}

static void pv_free(struct pv_rows *p)
{
	for (int r = 0; r < p->nrows; r++) {
		for (size_t i = 0; i < p->n[r]; i++)
			free(p->cells[r][i]);
		free(p->cells[r]);
	}
}

static size_t filled(const struct pv_rows *p, int r)
{
	size_t k = 0;
	for (size_t i = 0; i < p->n[r]; i++)
		k += p->cells[r][i] && p->cells[r][i][0] && strspn(p->cells[r][i], " \t") < strlen(p->cells[r][i]);
	return k;
}

/* The header's index among the rows read: the first naming a required column (as the
 * import finds it), else the first with three or more cells, else the first; -1 when
 * nothing was read. */
static int find_header(const struct pv_rows *p)
{
	for (int r = 0; r < p->nrows && r < PREVIEW_SCAN; r++)
		for (size_t i = 0; i < p->n[r]; i++)
			for (int alias = 0; alias < 2; alias++) {
				int c = import_header_col(p->cells[r][i], alias);
				if (c >= 0 && import_col_required(c))
					return r;
			}
	for (int r = 0; r < p->nrows && r < PREVIEW_SCAN; r++)
		if (filled(p, r) >= 3)
			return r;
	return p->nrows ? 0 : -1;
}

/* A header's text as compared for the signature: without spaces, tabs, line breaks,
 * '*' and the ideographic space (U+3000), into out (NUL-terminated). */
static void normalise(const char *h, char *out, size_t cap)
{
	size_t o = 0;
	for (const char *s = h; *s && o + 1 < cap;) {
		if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n' || *s == '*') {
			s++;
			continue;
		}
		if ((unsigned char)s[0] == 0xE3 && (unsigned char)s[1] == 0x80 && (unsigned char)s[2] == 0x80) {
			s += 3;
			continue;
		}
		out[o++] = *s++;
	}
	out[o] = 0;
}

/* A sample as shown: runs of 7 or more digits keep their first 3 and last 2 (an ID
 * number, a mobile), cut to SAMPLE_CHARS bytes at a character boundary. */
static json_t *sample_of(const char *s)
{
	char buf[SAMPLE_CHARS * 2 + 8];
	size_t len = strlen(s);
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	while (len && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	size_t o = 0;
	for (size_t i = 0; i < len && o < SAMPLE_CHARS;) {
		size_t run = 0;
		while (i + run < len && ((s[i + run] >= '0' && s[i + run] <= '9') || ((s[i + run] == 'X' || s[i + run] == 'x') && run >= 14)))
			run++;
		if (run >= 7) {
			for (size_t k = 0; k < run && o < sizeof buf - 1; k++)
				buf[o++] = k < 3 || k >= run - 2 ? s[i + k] : '*';
			i += run;
			continue;
		}
		size_t ch = 1; /* a whole UTF-8 character */
		while (i + ch < len && ((unsigned char)s[i + ch] & 0xC0) == 0x80)
			ch++;
		if (o + ch >= sizeof buf - 1)
			break;
		memcpy(buf + o, s + i, ch);
		o += ch;
		i += ch;
	}
	buf[o] = 0;
	return json_string(buf);
}

static bool ignored(const char *norm)
{
	for (size_t i = 0; i < sizeof ignored_headers / sizeof ignored_headers[0]; i++)
		if (strcmp(norm, ignored_headers[i]) == 0)
			return true;
	return false;
}

static json_t *fields_list(void)
{
	json_t *a = json_array();
	for (int c = 0; c < C__MAX; c++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:b}", "field", import_col_field[c], "label", import_headers[c],
						   "required", import_col_required(c)));
	return a;
}

static int field_col(const char *field)
{
	for (int c = 0; c < C__MAX; c++)
		if (strcmp(import_col_field[c], field) == 0)
			return c;
	return -1;
}

/* unmatched, missing_required from the columns as they stand */
static void tally(json_t *pv)
{
	json_t *cols = json_object_get(pv, "columns"), *unmatched = json_array(), *missing = json_array();
	bool have[C__MAX] = {false};
	size_t i;
	json_t *c;
	json_array_foreach(cols, i, c)
	{
		const char *f = json_string_value(json_object_get(c, "field"));
		int col = f ? field_col(f) : -1;
		if (col >= 0)
			have[col] = true;
		else if (!json_is_string(json_object_get(c, "source")) && json_string_length(json_object_get(c, "header")))
			json_array_append_new(unmatched, json_integer((json_int_t)i));
	}
	for (int k = 0; k < C__MAX; k++)
		if (import_col_required(k) && !have[k])
			json_array_append_new(missing, json_pack("{s:s, s:s}", "field", import_col_field[k], "label", import_headers[k]));
	json_object_set_new(pv, "unmatched", unmatched);
	json_object_set_new(pv, "missing_required", missing);
}

static void set_field(json_t *col, int c, const char *source)
{
	json_object_set_new(col, "field", c >= 0 ? json_string(import_col_field[c]) : json_null());
	json_object_set_new(col, "label", c >= 0 ? json_string(import_headers[c]) : json_null());
	json_object_set_new(col, "required", json_boolean(import_col_required(c)));
	json_object_set_new(col, "source", source ? json_string(source) : json_null());
}

/* The preview of one sheet's rows (import_preview's shape without format and fields);
 * NULL when nothing was read. */
static json_t *sheet_preview(const struct pv_rows *p)
{
	int h = find_header(p);
	if (h < 0)
		return NULL;
	size_t ncols = p->n[h];
	while (ncols && !p->cells[h][ncols - 1][0])
		ncols--;
	json_t *cols = json_array(), *heads = json_array();
	int taken[C__MAX];
	for (int c = 0; c < C__MAX; c++)
		taken[c] = -1;
	/* the template's names first, then the aliases (as import_read_header matches) */
	int match[SHEET_MAX_COLS];
	bool by_alias[SHEET_MAX_COLS] = {false};
	for (size_t i = 0; i < ncols; i++) {
		match[i] = import_header_col(p->cells[h][i], false);
		if (match[i] >= 0 && taken[match[i]] >= 0)
			match[i] = -1;
		else if (match[i] >= 0)
			taken[match[i]] = (int)i;
	}
	for (size_t i = 0; i < ncols; i++) {
		if (match[i] >= 0)
			continue;
		int c = import_header_col(p->cells[h][i], true);
		if (c >= 0 && taken[c] < 0) {
			match[i] = c;
			taken[c] = (int)i;
			by_alias[i] = true;
		}
	}
	crypto_generichash_state hs;
	crypto_generichash_init(&hs, NULL, 0, 16);
	for (size_t i = 0; i < ncols; i++) {
		char norm[512];
		normalise(p->cells[h][i], norm, sizeof norm);
		crypto_generichash_update(&hs, (const unsigned char *)norm, strlen(norm));
		crypto_generichash_update(&hs, (const unsigned char *)"\x1f", 1);
		json_t *samples = json_array();
		for (int r = h + 1; r < p->nrows && json_array_size(samples) < PREVIEW_SAMPLES; r++)
			if (filled(p, r))
				json_array_append_new(samples, sample_of(i < p->n[r] ? p->cells[r][i] : ""));
		json_t *col = json_pack("{s:I, s:s, s:o}", "index", (json_int_t)i, "header", p->cells[h][i], "samples", samples);
		set_field(col, match[i], match[i] >= 0 ? (by_alias[i] ? "alias" : "template") : ignored(norm) ? "ignored" : NULL);
		json_array_append_new(cols, col);
		json_array_append_new(heads, json_string(p->cells[h][i]));
	}
	unsigned char sig[16];
	char hex[33];
	crypto_generichash_final(&hs, sig, sizeof sig);
	sodium_bin2hex(hex, sizeof hex, sig, sizeof sig);
	json_t *pv = json_pack("{s:I, s:s, s:o, s:o, s:b}", "header_row", (json_int_t)p->rowno[h], "signature", hex,
			       "headers", heads, "columns", cols, "saved", false);
	tally(pv);
	json_object_set_new(pv, "needs_mapping", json_boolean(json_array_size(json_object_get(pv, "unmatched")) > 0 ||
								   json_array_size(json_object_get(pv, "missing_required")) > 0));
	/* what the import needs to read a further sheet by itself: 姓名 and 身份证号码 */
	bool name = false, id = false;
	size_t i;
	json_t *c;
	json_array_foreach(cols, i, c)
	{
		const char *f = json_string_value(json_object_get(c, "field"));
		name = name || (f && strcmp(f, import_col_field[C_NAME]) == 0);
		id = id || (f && strcmp(f, import_col_field[C_ID]) == 0);
	}
	json_object_set_new(pv, "known", json_boolean(name && id));
	json_object_set_new(pv, "filled", json_integer((json_int_t)filled(p, h)));
	return pv;
}

/* A further sheet as the import would read it (import_rows.c import_read_header): one
 * whose header names 姓名 and 身份证号码 is read by itself, one with the first sheet's
 * headers as the first is, one whose header has fewer than three cells (instructions, a
 * code table) is passed over; the others need a mapping by their signature. */
static bool further_needs_step(const json_t *first, const json_t *sp)
{
	return sp && !json_is_true(json_object_get(sp, "known")) &&
	       json_integer_value(json_object_get(sp, "filled")) >= 3 &&
	       json_array_size(json_object_get(sp, "columns")) <= SHEET_MAX_COLS &&
	       strcmp(json_string_value(json_object_get(sp, "signature")), json_string_value(json_object_get(first, "signature"))) != 0;
}

json_t *import_preview(const void *data, size_t len, enum import_format format, char *why, size_t whylen)
{
	struct pv_book *b = calloc(1, sizeof *b);
	if (!b) {
		snprintf(why, whylen, "内存不足，无法读取文件");
		return NULL;
	}
	enum sheet_encoding enc = SHEET_UTF8;
	if (format == IMPORT_CSV && len > PREVIEW_CSV_BYTES) {
		const char *d = data;
		size_t cut = PREVIEW_CSV_BYTES;
		while (cut > 0 && d[cut - 1] != '\n')
			cut--;
		len = cut ? cut : PREVIEW_CSV_BYTES; /* a first line longer than that: as it comes */
	}
	int rc = format == IMPORT_CSV ? sheet_csv(data, len, pv_row, b, &enc, why, whylen)
				      : sheet_xlsx(data, len, pv_row, b, why, whylen);
	json_t *pv = rc < 0 || b->oom ? NULL : sheet_preview(&b->sheet[0]);
	if (!pv && rc >= 0)
		snprintf(why, whylen, b->oom ? "内存不足，无法读取文件" : "文件是空的：没有读到表头");
	json_t *sheets = pv ? json_array() : NULL;
	for (int s = 1; pv && s < b->nsheets; s++) {
		json_t *sp = sheet_preview(&b->sheet[s]);
		if (further_needs_step(pv, sp)) {
			json_object_del(sp, "known");
			json_object_del(sp, "filled");
			json_object_del(sp, "headers");
			json_object_set_new(sp, "sheet", json_integer(s + 1));
			json_t *name = json_string(b->name[s]); /* NULL: cut inside a character */
			json_object_set_new(sp, "name", name ? name : json_string(""));
			json_array_append(sheets, sp);
		}
		json_decref(sp);
	}
	if (pv) {
		json_object_del(pv, "known");
		json_object_del(pv, "filled");
		json_object_set_new(pv, "format", json_string(format == IMPORT_CSV ? "csv" : "xlsx"));
		json_object_set_new(pv, "fields", fields_list());
		json_object_set_new(pv, "sheets", sheets);
	}
	for (int s = 0; s < SHEET_MAX_SHEETS; s++)
		pv_free(&b->sheet[s]);
	free(b);
	return pv;
}

void import_preview_saved(json_t *pv, const char *mapping)
{
	json_t *m = json_loads(mapping, 0, NULL), *cols = json_object_get(pv, "columns");
	const char *k;
	json_t *v;
	json_object_foreach(m, k, v)
	{
		char *end;
		long idx = strtol(k, &end, 10);
		json_t *col = *end || idx < 0 ? NULL : json_array_get(cols, (size_t)idx);
		if (!col || !json_is_string(v))
			continue;
		int c = json_string_length(v) ? field_col(json_string_value(v)) : -1;
		if (c < 0 && json_string_length(v))
			continue;
		/* what was matched anyway keeps saying how */
		const char *src = json_string_value(json_object_get(col, "source"));
		const char *f = json_string_value(json_object_get(col, "field"));
		if (src && strcmp(src, "saved") != 0 && (c >= 0 ? f && strcmp(f, import_col_field[c]) == 0 : !f))
			continue;
		set_field(col, c, "saved");
	}
	json_decref(m);
	tally(pv);
	json_object_set_new(pv, "saved", json_true());
}

bool import_mapping_check(const json_t *pv, const json_t *mapping, struct import_opts *o, const char **code,
			  char *msg, size_t msglen)
{
	json_t *cols = json_object_get(pv, "columns");
	size_t ncols = json_array_size(cols);
	if (!json_is_object(mapping)) {
		*code = "invalid";
		snprintf(msg, msglen, "列对应关系格式无效：应为“列序号 → 字段”的 JSON 对象");
		return false;
	}
	int colfield[SHEET_MAX_COLS];
	for (size_t i = 0; i < ncols && i < SHEET_MAX_COLS; i++) {
		json_t *col = json_array_get(cols, i);
		const char *src = json_string_value(json_object_get(col, "source"));
		const char *f = json_string_value(json_object_get(col, "field"));
		/* the automatic matches only: a remembered mapping comes back in the request */
		colfield[i] = f && src && (strcmp(src, "template") == 0 || strcmp(src, "alias") == 0) ? field_col(f) : -1;
	}
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)mapping, k, v)
	{
		char *end;
		long idx = strtol(k, &end, 10);
		if (!*k || *end || idx < 0 || (size_t)idx >= ncols || idx >= SHEET_MAX_COLS) {
			*code = "unknown_column";
			snprintf(msg, msglen, "文件中没有第 %s 列", k);
			return false;
		}
		if (!json_is_string(v)) {
			*code = "unknown_field";
			snprintf(msg, msglen, "第 %ld 列的对应字段无效", idx + 1);
			return false;
		}
		int c = json_string_length(v) ? field_col(json_string_value(v)) : -1;
		if (c < 0 && json_string_length(v)) {
			*code = "unknown_field";
			snprintf(msg, msglen, "“%.60s”不是可导入的字段", json_string_value(v));
			return false;
		}
		colfield[idx] = c;
	}
	int colmap[C__MAX];
	for (int c = 0; c < C__MAX; c++)
		colmap[c] = -1;
	for (size_t i = 0; i < ncols && i < SHEET_MAX_COLS; i++) {
		int c = colfield[i];
		if (c < 0)
			continue;
		if (colmap[c] >= 0) {
			*code = "duplicate_field";
			snprintf(msg, msglen, "“%s”被指定给了两列（第 %d 列和第 %zu 列），每个字段只能对应一列",
				 import_headers[c], colmap[c] + 1, i + 1);
			return false;
		}
		colmap[c] = (int)i;
	}
	for (int c = 0; c < C__MAX; c++)
		if (import_col_required(c) && colmap[c] < 0) {
			*code = "missing_field";
			snprintf(msg, msglen, "必填项“%s”没有对应的列，请为它选择一列", import_headers[c]);
			return false;
		}
	o->mapped = true;
	o->map_header_row = (long)json_integer_value(json_object_get(pv, "header_row"));
	for (int c = 0; c < IMPORT_MAX_FIELDS; c++)
		o->colmap[c] = c < C__MAX ? colmap[c] : -1;
	return true;
}

enum map_stmt { STMT_MAP_FIND, STMT_MAP_SAVE, STMT_MAP_LIST, STMT_MAP_GET, STMT_MAP_DELETE, MAP_STMT__MAX };
enum { GET_ORG, GET_PATH, GET_HEADERS };
enum { LIST_ID, LIST_ORG, LIST_ORG_NAME, LIST_ORG_PATH, LIST_HEADERS, LIST_MAPPING, LIST_BY, LIST_BY_NAME, LIST_AT };
static const struct db_sql map_sql[MAP_STMT__MAX] = {
	[STMT_MAP_FIND] = {"import_mappings.find", "SELECT mapping FROM import_mappings WHERE org_id = $1 AND signature = $2"},
	[STMT_MAP_SAVE] = {"import_mappings.save",
			   "INSERT INTO import_mappings (org_id, signature, headers, mapping, updated_by, updated_at)"
			   " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (org_id, signature) DO UPDATE SET"
			   " headers = excluded.headers, mapping = excluded.mapping, updated_by = excluded.updated_by,"
			   " updated_at = excluded.updated_at"},
	[STMT_MAP_LIST] = {"import_mappings.list",
			   "SELECT m.id, m.org_id, o.name, o.path, m.headers, m.mapping, m.updated_by, u.name, m.updated_at"
			   " FROM import_mappings m JOIN orgs o ON o.id = m.org_id LEFT JOIN users u ON u.id = m.updated_by"
			   " WHERE m.org_id = $1 ORDER BY m.updated_at DESC, m.id DESC"},
	[STMT_MAP_GET] = {"import_mappings.get", "SELECT m.org_id, o.path, m.headers FROM import_mappings m"
						 " JOIN orgs o ON o.id = m.org_id WHERE m.id = $1"},
	[STMT_MAP_DELETE] = {"import_mappings.delete", "DELETE FROM import_mappings WHERE id = $1"},
};
DB_SQL_TABLE(import_mappings, map_sql);

/* the organization ids on path, root first; their number */
static size_t path_ids(const char *path, int64_t ids[64])
{
	size_t n = 0;
	for (const char *s = path; *s && n < 64;) {
		char *end;
		long long v = strtoll(s, &end, 10);
		if (end == s) {
			s++;
			continue;
		}
		ids[n++] = v;
		s = end;
	}
	return n;
}

enum db_rc import_mapping_find(struct db *db, struct arena *a, const char *path, const char *signature,
			       const char **mapping)
{
	int64_t ids[64];
	size_t n = path_ids(path, ids);
	while (n--) { /* the nearest first */
		struct db_stmt *st = db_prepare(db, &map_sql[STMT_MAP_FIND]);
		if (!st)
			return DB_ERROR;
		db_bind_int(st, 1, ids[n]);
		db_bind_text(st, 2, signature, -1);
		enum db_rc rc = db_step(st);
		if (rc == DB_ROW)
			*mapping = db_col_dup(a, st, DB_COL_ONLY);
		db_reset(st);
		if (rc == DB_ROW)
			return DB_OK;
		if (rc != DB_DONE)
			return rc;
	}
	return DB_NOT_FOUND;
}

enum db_rc import_mapping_save(struct db *db, int64_t org_id, const char *signature, const char *headers,
			       const char *mapping, int64_t user_id, int64_t now)
{
	struct db_stmt *st = db_prepare(db, &map_sql[STMT_MAP_SAVE]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, org_id);
	db_bind_text(st, 2, signature, -1);
	db_bind_text(st, 3, headers, -1);
	db_bind_text(st, 4, mapping, -1);
	db_bind_int(st, 5, user_id);
	db_bind_int(st, 6, now);
	enum db_rc rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc == DB_ROW ? DB_ERROR : rc;
}

/* One row of the list as the wizard shows it: the mapped columns with their header and
 * the field's name, the 不导入 ones counted. */
static json_t *mapping_item(struct db_stmt *st)
{
	json_t *headers = json_loads(db_col_text(st, LIST_HEADERS), 0, NULL);
	json_t *mapping = json_loads(db_col_text(st, LIST_MAPPING), 0, NULL);
	if (!json_is_array(headers)) {
		json_decref(headers);
		headers = json_array();
	}
	json_t *fields = json_array();
	json_int_t skipped = 0;
	for (size_t i = 0; i < json_array_size(headers); i++) {
		char key[24];
		snprintf(key, sizeof key, "%zu", i);
		const char *f = json_string_value(json_object_get(mapping, key));
		int c = f && *f ? field_col(f) : -1;
		if (c >= 0)
			json_array_append_new(fields, json_pack("{s:I, s:O, s:s, s:s}", "index", (json_int_t)i, "header",
								json_array_get(headers, i), "field", import_col_field[c],
								"label", import_headers[c]));
		else if (f)
			skipped++;
	}
	json_decref(mapping);
	char at[21];
	clock_rfc3339(db_col_int(st, LIST_AT), at);
	const char *by = db_col_null(st, LIST_BY_NAME) ? "" : db_col_text(st, LIST_BY_NAME);
	return json_pack("{s:I, s:I, s:s, s:s, s:o, s:o, s:I, s:{s:I, s:s}, s:s}", "id", (json_int_t)db_col_int(st, LIST_ID),
			 "org_id", (json_int_t)db_col_int(st, LIST_ORG), "org_name", db_col_text(st, LIST_ORG_NAME),
			 "org_path", db_col_text(st, LIST_ORG_PATH), "headers", headers, "fields", fields, "skipped", skipped,
			 "updated_by", "id", (json_int_t)db_col_int(st, LIST_BY), "name", by, "updated_at", at);
}

enum db_rc import_mapping_list(struct db *db, struct arena *a, const char *path, json_t *items)
{
	(void)a;
	int64_t ids[64];
	size_t n = path_ids(path, ids);
	while (n--) { /* the nearest first */
		struct db_stmt *st = db_prepare(db, &map_sql[STMT_MAP_LIST]);
		if (!st)
			return DB_ERROR;
		db_bind_int(st, 1, ids[n]);
		enum db_rc rc;
		while ((rc = db_step(st)) == DB_ROW) {
			json_t *it = mapping_item(st);
			if (!it) {
				rc = DB_ERROR;
				break;
			}
			json_array_append_new(items, it);
		}
		db_reset(st);
		if (rc != DB_DONE)
			return rc;
	}
	return DB_OK;
}

enum db_rc import_mapping_get(struct db *db, struct arena *a, int64_t id, struct import_mapping_rec *m)
{
	struct db_stmt *st = db_prepare(db, &map_sql[STMT_MAP_GET]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		m->id = id;
		m->org_id = db_col_int(st, GET_ORG);
		m->org_path = db_col_dup(a, st, GET_PATH);
		m->headers = db_col_dup(a, st, GET_HEADERS);
		rc = m->org_path && m->headers ? DB_OK : DB_ERROR;
	} else if (rc == DB_DONE)
		rc = DB_NOT_FOUND;
	db_reset(st);
	return rc;
}

enum db_rc import_mapping_delete(struct db *db, int64_t id)
{
	struct db_stmt *st = db_prepare(db, &map_sql[STMT_MAP_DELETE]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	enum db_rc rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc == DB_ROW ? DB_ERROR : rc;
}
