/* import_rows.c: the import's columns and one row at a time: the header mapped
 * through the template's names, names turned into codes ("汉族" → 01), dates read in
 * the forms people type (2020-07-01, 2020/7/1, 2020.07.01, 20200701, an Excel serial),
 * then member_validate; every problem reported with its row and column. Also the
 * template itself. Duplicates and storage are import.c's. */
#include "core/arena.h"
#include "core/sheet_write.h"
#include "model/codes.h"
#include "model/import_internal.h"
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const import_headers[] = {
	"姓名", "曾用名", "性别", "身份证号码", "民族", "籍贯", "手机号码", "家庭住址", "学历", "学位", "工作单位",
	"单位性质", "职务", "人员类别", "党员类别", "党籍状态", "党内职务", "入党时间", "转正时间", "入党介绍人",
	"党费基数", "党费交至",
};
const size_t import_nheaders = C__MAX;
static const bool required_col[C__MAX] = {[C_NAME] = true, [C_ID] = true, [C_STATUS] = true, [C_JOINED] = true};
/* the API field each column feeds, to name a column in errors */
const char *const import_col_field[C__MAX] = {
	"name", "former_name", "sex", "id_number", "ethnicity", "native_place", "mobile", "address", "education",
	"degree", "work_unit", "unit_type", "post", "category", "party_status", "state", "party_post", "joined_on",
	"confirmed_on", "introducers", "dues_base", "dues_paid_to",
};

/* Keeps the message for the annotated file of refused rows (import_errors.c): its text
 * at the end of the spill file, where it is in m->refusals. */
static void spill_error(struct imp *m, long row, const char *column, const char *message)
{
	if (m->spill_failed)
		return;
	if (!m->spill && !(m->spill = tmpfile()))
		goto fail;
	if (m->nrefusals == m->caprefusals) {
		size_t cap = m->caprefusals ? m->caprefusals * 2 : 256;
		struct import_refusal *r = realloc(m->refusals, cap * sizeof *r);
		if (!r)
			goto fail;
		m->refusals = r;
		m->caprefusals = cap;
	}
	long off = ftell(m->spill);
	int len = fprintf(m->spill, "%s%s%s", column && *column ? column : "", column && *column ? "：" : "", message);
	if (off < 0 || len < 0)
		goto fail;
	m->refusals[m->nrefusals] =
		(struct import_refusal){off, (uint32_t)row, (uint32_t)m->nrefusals, (uint32_t)len, m->sheet_no};
	m->nrefusals++;
	return;
fail:
	m->spill_failed = true;
}

void import_add_error(struct imp *m, long row, const char *column, const char *code, const char *message)
{
	m->row_bad = true;
	if (m->o->errors_xlsx)
		spill_error(m, row, column, message);
	if (m->nerrors++ < m->max_errors) {
		json_t *e = json_pack("{s:I, s:s, s:s, s:s}", "row", (json_int_t)row, "column", column ? column : "", "code",
				      code, "message", message);
		if (e && m->sheet_no > 0) /* a row of a further sheet: which one */
			json_object_set_new(e, "sheet", json_string(m->sheet_name));
		json_array_append_new(m->errors, e);
	}
}

static void field_err(void *ctx, const char *field, const char *code, const char *message)
{
	struct imp *m = ctx;
	if (m->joined_unreadable && strcmp(field, "joined_on") == 0)
		return;
	const char *column = field;
	for (int c = 0; c < C__MAX; c++)
		if (strcmp(import_col_field[c], field) == 0)
			column = import_headers[c];
	if (strcmp(field, "birth_date") == 0)
		column = "身份证号码";
	import_add_error(m, m->row, column, code, message);
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
	} else if (sscanf(s, "%4d年%d月%d日%c", &y, &mo, &dd, &tail) == 3 ||
		   sscanf(s, "%4d年%d月%d%c", &y, &mo, &dd, &tail) == 3) {
		d = (struct date){y, mo, dd}; /* 2020年7月1日 */
	} else if (sscanf(s, "%4d%c%d%c%d%c", &y, &sep1, &mo, &sep2, &dd, &tail) == 5 && sep1 == sep2 &&
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

/* The length of a space other than ' ' and tab at u (of left bytes) and whether it is
 * one of width zero, or 0 (issue 20 #17): the no-break space U+00A0, U+2000..U+200A
 * (en, em, thin … spaces), U+202F, U+205F, the ideographic space U+3000; of width
 * zero U+200B..U+200D, U+2060 and U+FEFF (a byte-order mark inside a cell). */
static size_t odd_space(const unsigned char *u, size_t left, bool *zero)
{
	*zero = false;
	if (left >= 2 && u[0] == 0xC2 && u[1] == 0xA0)
		return 2;
	if (left < 3)
		return 0;
	if (u[0] == 0xE2 && u[1] == 0x80 && u[2] >= 0x80 && u[2] <= 0x8D) {
		*zero = u[2] >= 0x8B;
		return 3;
	}
	if (u[0] == 0xE2 && ((u[1] == 0x80 && u[2] == 0xAF) || (u[1] == 0x81 && u[2] == 0x9F)))
		return 3;
	if (u[0] == 0xE2 && u[1] == 0x81 && u[2] == 0xA0) {
		*zero = true;
		return 3;
	}
	if (u[0] == 0xE3 && u[1] == 0x80 && u[2] == 0x80)
		return 3;
	if (u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF) {
		*zero = true;
		return 3;
	}
	return 0;
}

/* Full-width digits and letters (ＡＢＣ１２３) as ASCII, the other spaces as ' ' and the
 * zero-width ones dropped, into the arena: what people type with a Chinese input method
 * or paste from web pages and Word (issue 20 #9, #17). */
static char *halfwidth(struct arena *a, const char *s, size_t len)
{
	char *out = arena_alloc(a, len + 1);
	size_t o = 0;
	for (size_t i = 0; i < len;) {
		const unsigned char *u = (const unsigned char *)s + i;
		/* U+FF01..U+FF5E: EF BC 81..EF BD 9E */
		if (i + 2 < len && u[0] == 0xEF && (u[1] == 0xBC || u[1] == 0xBD)) {
			unsigned cp = ((unsigned)(u[0] & 0x0F) << 12) | ((unsigned)(u[1] & 0x3F) << 6) | (u[2] & 0x3F);
			/* digits and Latin letters only: full-width brackets stay (出国（境）暂留) */
			if ((cp >= 0xFF10 && cp <= 0xFF19) || (cp >= 0xFF21 && cp <= 0xFF3A) || (cp >= 0xFF41 && cp <= 0xFF5A)) {
				out[o++] = (char)(cp - 0xFEE0);
				i += 3;
				continue;
			}
		}
		bool zero;
		size_t sp = u[0] >= 0xC2 ? odd_space(u, len - i, &zero) : 0;
		if (sp) {
			if (!zero)
				out[o++] = ' ';
			i += sp;
			continue;
		}
		out[o++] = s[i++];
	}
	out[o] = 0;
	return out;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Column c's text, full-width forms made ASCII, every kind of space a space (the
 * zero-width ones gone), trimmed, in the row's arena; NULL when absent or blank. */
static const char *cell(struct imp *m, const char *const *cells, size_t n, int c)
{
	int pos = m->colpos[c];
	if (pos < 0 || (size_t)pos >= n)
		return NULL;
	const char *s = cells[pos];
	size_t raw = strlen(s);
	if (memchr(s, 0xEF, raw) || memchr(s, 0xE3, raw) || memchr(s, 0xE2, raw) || memchr(s, 0xC2, raw))
		s = halfwidth(m->a, s, raw);
	while (blank(*s))
		s++;
	size_t len = strlen(s);
	while (len && blank(s[len - 1]))
		len--;
	return len ? arena_strndup(m->a, s, len) : NULL;
}

/* A name without the spaces people put inside it ("张  三" is 张三; issue 20 #17);
 * names in Latin letters keep single spaces between words. */
static const char *name_cell(struct imp *m, const char *const *cells, size_t n, int c)
{
	const char *s = cell(m, cells, n, c);
	if (!s)
		return NULL;
	bool latin = false;
	for (const char *p = s; *p; p++)
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
			latin = true;
	char *out = arena_alloc(m->a, strlen(s) + 1);
	size_t o = 0;
	for (const char *p = s; *p; p++) {
		if (blank(*p)) {
			if (latin && o && out[o - 1] != ' ')
				out[o++] = ' ';
			continue;
		}
		out[o++] = *p;
	}
	out[o] = 0;
	return out;
}

/* Education in the words people use (本科, 大专, 硕士 …) → GB/T 4658 (issue 20 #9). */
static const char *education_word(const char *t)
{
	static const struct {
		const char *word, *code;
	} words[] = {
		{"博士", "11"},	    {"博士研究生", "11"}, {"硕士", "14"},	    {"硕士研究生", "14"}, {"研究生", "10"},
		{"本科", "21"},	    {"大学本科", "21"},	  {"大学", "21"},	    {"学士", "21"},	  {"大专", "31"},
		{"专科", "31"},	    {"大学专科", "31"},	  {"中专", "41"},	    {"中等专科", "41"},	  {"职高", "44"},
		{"职业高中", "44"}, {"技校", "47"},	  {"技工学校", "47"},	    {"高中", "61"},	  {"普通高中", "61"},
		{"初中", "71"},	    {"初级中学", "71"},	  {"小学", "81"},	    {"文盲", "90"},	  {"半文盲", "90"},
	};
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strcmp(t, words[i].word) == 0)
			return words[i].code;
	return NULL;
}

/* A code from its code or its name; reports an error naming the column when unknown. */
static const char *code_of(struct imp *m, const char *table, const char *text, int c)
{
	if (!text)
		return NULL;
	const char *code = codes_lookup(table, text);
	if (!code && strcmp(table, "education") == 0)
		code = education_word(text);
	if (!code && strcmp(table, "sex") == 0)
		code = strcmp(text, "男性") == 0 ? "1" : strcmp(text, "女性") == 0 ? "2" : NULL;
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
		import_add_error(m, m->row, import_headers[c], "invalid_code",
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

/* Header words other systems and hand-made rosters use for the template's columns
 * (issue 20 #9). */
static const struct {
	int col;
	const char *name;
} header_alias[] = {
	{C_ID, "公民身份号码"},	  {C_ID, "公民身份证号码"}, {C_ID, "身份证号"},     {C_ID, "身份证"},
	{C_ID, "证件号码"},	  {C_ID, "身份证件号码"},   {C_MOBILE, "联系电话"}, {C_MOBILE, "手机"},
	{C_MOBILE, "手机号"},	  {C_MOBILE, "电话"},	   {C_MOBILE, "联系方式"}, {C_MOBILE, "移动电话"},
	{C_EDU, "文化程度"},	  {C_EDU, "最高学历"},	   {C_JOINED, "入党日期"}, {C_JOINED, "入党年月"},
	{C_JOINED, "加入党组织日期"}, {C_CONFIRMED, "转正日期"}, {C_CONFIRMED, "转为正式党员日期"},
	{C_STATUS, "党员类型"},	  {C_STATUS, "党员身份"},   {C_ADDRESS, "住址"},    {C_ADDRESS, "家庭地址"},
	{C_ADDRESS, "现居住地"},  {C_UNIT, "单位"},	   {C_UNIT, "所在单位"},  {C_UNIT, "工作单位及职务"},
	{C_NAME, "党员姓名"},	  {C_ETHNIC, "民族名称"},   {C_STATE, "党籍"},
};

/* True when header cell h names text: the name itself, then nothing or a mark
 * ("姓名*", "姓名 (必填)", "姓名（…": a full-width bracket starts with 0xEF). */
static bool header_is(const char *h, const char *text)
{
	size_t hl = strlen(text);
	bool zero;
	return strncmp(h, text, hl) == 0 &&
	       (h[hl] == 0 || blank(h[hl]) || h[hl] == '*' || h[hl] == '(' || (unsigned char)h[hl] == 0xEF ||
		odd_space((const unsigned char *)h + hl, strlen(h + hl), &zero));
}

/* s past one space (of any kind, issue 20 #17), tab, line break or '*' at its start, or
 * s itself: what header_start passes over and header_norm leaves out. */
static const char *skip_mark(const char *s)
{
	bool zero;
	size_t sp = odd_space((const unsigned char *)s, strlen(s), &zero);
	if (sp)
		return s + sp;
	return blank(*s) || *s == '*' ? s + 1 : s;
}

/* A header cell past the spaces and marks before its name. */
static const char *header_start(const char *h)
{
	for (const char *next; (next = skip_mark(h)) != h;)
		h = next;
	return h;
}

bool import_col_required(int c)
{
	return c >= 0 && c < C__MAX && required_col[c];
}

int import_header_col(const char *h, bool alias)
{
	h = header_start(h);
	if (!alias) {
		for (int c = 0; c < C__MAX; c++)
			if (header_is(h, import_headers[c]))
				return c;
		return -1;
	}
	for (size_t k = 0; k < sizeof header_alias / sizeof header_alias[0]; k++)
		if (header_is(h, header_alias[k].name))
			return header_alias[k].col;
	return -1;
}

/* Rows before the header that are titles ("某某党支部党员花名册", a date line) are passed
 * over: the header is the first row that names a required column, within this many. */
#define HEADER_SEARCH_ROWS 10

/* A header row as the mapping's signature sees it (import_map.c normalise): each cell
 * without spaces of any kind, tabs, line breaks and '*', cells joined by 0x1F, empty
 * cells at the end left out; malloc'd (NULL when out of memory). */
static char *header_norm(const char *const *cells, size_t n)
{
	while (n && !cells[n - 1][0])
		n--;
	size_t cap = 1;
	for (size_t i = 0; i < n; i++)
		cap += strlen(cells[i]) + 1;
	char *out = malloc(cap), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		for (const char *s = cells[i]; *s;) {
			const char *next = skip_mark(s);
			if (next != s)
				s = next;
			else
				*o++ = *s++;
		}
		*o++ = '\x1f';
	}
	*o = 0;
	return out;
}

void import_header_signature(const char *const *cells, size_t n, char hex[33])
{
	while (n && !cells[n - 1][0])
		n--;
	crypto_generichash_state hs;
	crypto_generichash_init(&hs, NULL, 0, 16);
	for (size_t i = 0; i < n; i++) {
		char norm[512];
		size_t o = 0;
		for (const char *s = cells[i]; *s && o + 1 < sizeof norm;) {
			if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n' || *s == '*')
				s++;
			else if ((unsigned char)s[0] == 0xE3 && (unsigned char)s[1] == 0x80 && (unsigned char)s[2] == 0x80)
				s += 3;
			else
				norm[o++] = *s++;
		}
		crypto_generichash_update(&hs, (const unsigned char *)norm, o);
		crypto_generichash_update(&hs, (const unsigned char *)"\x1f", 1);
	}
	unsigned char sig[16];
	crypto_generichash_final(&hs, sig, sizeof sig);
	sodium_bin2hex(hex, 33, sig, sizeof sig);
}

struct saved_find {
	struct imp *m;
	const char *signature, *mapping;
};

static enum db_rc saved_find_tx(struct db *db, void *ctx)
{
	struct saved_find *f = ctx;
	return import_mapping_find(db, f->m->a, f->m->o->org_path, f->signature, &f->mapping);
}

static int field_col(const char *field)
{
	for (int c = 0; c < C__MAX; c++)
		if (strcmp(import_col_field[c], field) == 0)
			return c;
	return -1;
}

bool import_sheet_mappings_check(const json_t *sm, const char **code, char *msg, size_t msglen)
{
	*code = "invalid";
	if (!json_is_object(sm) || json_object_size(sm) > 16) {
		snprintf(msg, msglen, "各工作表的列对应关系格式无效：应为“表头签名 → {列序号 → 字段}”的 JSON 对象");
		return false;
	}
	const char *sig, *k;
	json_t *map, *v;
	json_object_foreach((json_t *)sm, sig, map)
	{
		if (strlen(sig) != 32 || strspn(sig, "0123456789abcdef") != 32 || !json_is_object(map)) {
			snprintf(msg, msglen, "各工作表的列对应关系格式无效：应为“表头签名 → {列序号 → 字段}”的 JSON 对象");
			return false;
		}
		json_object_foreach(map, k, v)
		{
			char *end;
			long idx = strtol(k, &end, 10);
			if (!*k || *end || idx < 0 || idx >= SHEET_MAX_COLS) {
				*code = "unknown_column";
				snprintf(msg, msglen, "文件中没有第 %.20s 列", k);
				return false;
			}
			if (!json_is_string(v) || (json_string_length(v) && field_col(json_string_value(v)) < 0)) {
				*code = "unknown_field";
				snprintf(msg, msglen, "“%.60s”不是可导入的字段", json_is_string(v) ? json_string_value(v) : "");
				return false;
			}
		}
	}
	return true;
}

struct saved_put {
	struct imp *m;
	const char *signature, *headers, *mapping;
};

static enum db_rc saved_put_tx(struct db *db, void *ctx)
{
	struct saved_put *p = ctx;
	return import_mapping_save(db, p->m->o->map_org_id, p->signature, p->headers, p->mapping, p->m->o->map_user_id,
				   p->m->o->now);
}

/* Remembers a mapping the user gave for a sheet with these headers (a short write). */
static void remember(struct imp *m, const char *sig, const char *const *cells, size_t n, const json_t *map)
{
	json_t *heads = json_array();
	while (n && !cells[n - 1][0])
		n--;
	for (size_t i = 0; i < n; i++)
		json_array_append_new(heads, json_string(cells[i]));
	char *ht = json_dumps(heads, JSON_COMPACT), *mt = json_dumps(map, JSON_COMPACT | JSON_SORT_KEYS);
	struct saved_put p = {m, sig, ht, mt};
	if (ht && mt)
		import_tx(m->db, true, saved_put_tx, &p); /* not remembered: the import goes on */
	free(ht);
	free(mt);
	json_decref(heads);
}

/* A further sheet's header row the import does not know by itself (issue 20 #9): the
 * mapping the user gave for its signature, else the one remembered for it, over the
 * columns matched by name (m->colpos), as import_map.c's import_mapping_check takes a
 * mapping. True when one was found and gives each required column exactly one column:
 * m->colpos then holds it. */
static bool mapping_fits(struct imp *m, size_t n, const json_t *map);
/* 1: mapped; 0: no mapping for these headers; -1: the user's does not fit them. */
static int saved_header(struct imp *m, const char *const *cells, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += cells[i][0] != 0;
	if (k < 3 || n > SHEET_MAX_COLS)
		return 0;
	char sig[33];
	import_header_signature(cells, n, sig);
	const json_t *given = json_object_get(m->o->sheet_mappings, sig);
	if (given) {
		if (!mapping_fits(m, n, given))
			return -1;
		if (m->o->map_org_id)
			remember(m, sig, cells, n, given);
		return 1;
	}
	struct saved_find f = {m, sig, NULL};
	if (!m->o->saved_mappings || import_tx(m->db, false, saved_find_tx, &f) != DB_OK || !f.mapping)
		return 0;
	json_t *map = json_loads(f.mapping, 0, NULL);
	bool ok = mapping_fits(m, n, map);
	json_decref(map);
	return ok;
}

static bool mapping_fits(struct imp *m, size_t n, const json_t *map)
{
	int colfield[SHEET_MAX_COLS];
	for (size_t i = 0; i < n; i++)
		colfield[i] = -1;
	for (int c = 0; c < C__MAX; c++)
		if (m->colpos[c] >= 0 && (size_t)m->colpos[c] < n)
			colfield[m->colpos[c]] = c;
	bool ok = json_is_object(map);
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)map, key, v)
	{
		char *end;
		long idx = strtol(key, &end, 10);
		if (*end || idx < 0 || (size_t)idx >= n || !json_is_string(v)) {
			ok = false;
			break;
		}
		int c = json_string_length(v) ? field_col(json_string_value(v)) : -1;
		if (c < 0 && json_string_length(v)) {
			ok = false;
			break;
		}
		colfield[idx] = c;
	}
	int colpos[C__MAX];
	for (int c = 0; c < C__MAX; c++)
		colpos[c] = -1;
	for (size_t i = 0; ok && i < n; i++)
		if (colfield[i] >= 0) {
			ok = colpos[colfield[i]] < 0; /* a field given two columns */
			colpos[colfield[i]] = (int)i;
		}
	for (int c = 0; ok && c < C__MAX; c++)
		ok = !required_col[c] || colpos[c] >= 0;
	if (ok)
		memcpy(m->colpos, colpos, sizeof colpos);
	return ok;
}

/* The confirmed mapping's columns for the header at rowno. */
static int mapped_header(struct imp *m, long rowno)
{
	for (int c = 0; c < C__MAX; c++)
		m->colpos[c] = m->o->colmap[c];
	m->header_done = true;
	m->headers++;
	if (m->sheet_no == 0)
		m->header_row = rowno;
	return IMP_GO_ON;
}

int import_read_header(struct imp *m, long rowno, const char *const *cells, size_t n)
{
	if (m->o->mapped && m->sheet_no == 0) {
		/* a mapping the user confirmed (import_map.c): the header is where the preview
		 * found it, its columns as mapped; the rows above it are titles */
		if (rowno < m->o->map_header_row)
			return IMP_GO_ON;
		free(m->map_head);
		m->map_head = header_norm(cells, n);
		return mapped_header(m, rowno);
	}
	if (m->map_head && rowno < HEADER_SEARCH_ROWS) {
		/* a further sheet with the mapped sheet's headers (issue 20 #9): the same
		 * mapping, whatever its headers would match on their own */
		char *h = header_norm(cells, n);
		bool same = h && strcmp(h, m->map_head) == 0;
		free(h);
		if (same)
			return mapped_header(m, rowno);
	}
	for (int c = 0; c < C__MAX; c++)
		m->colpos[c] = -1;
	for (size_t i = 0; i < n; i++) {
		const char *h = header_start(cells[i]);
		for (int c = 0; c < C__MAX; c++)
			if (m->colpos[c] < 0 && header_is(h, import_headers[c]))
				m->colpos[c] = (int)i;
	}
	for (size_t i = 0; i < n; i++) {
		const char *h = header_start(cells[i]);
		for (size_t k = 0; k < sizeof header_alias / sizeof header_alias[0]; k++)
			if (m->colpos[header_alias[k].col] < 0 && header_is(h, header_alias[k].name))
				m->colpos[header_alias[k].col] = (int)i;
	}
	int sv = m->sheet_no > 0 && (m->o->saved_mappings || m->o->sheet_mappings) && rowno < HEADER_SEARCH_ROWS &&
			 (m->colpos[C_NAME] < 0 || m->colpos[C_ID] < 0)
		     ? saved_header(m, cells, n)
		     : 0;
	if (sv) {
		m->header_done = true;
		m->headers++;
		if (sv > 0)
			return IMP_GO_ON;
		import_add_error(m, rowno, "", "mapping_mismatch",
				 "此工作表的列对应关系不完整：每个必填项需要对应一列，每个字段只能对应一列");
		snprintf(m->why, m->whylen, "工作表“%s”的列对应关系不完整", m->sheet_name);
		return IMP_HEADER;
	}
	bool any = false;
	for (int c = 0; c < C__MAX; c++)
		any = any || (required_col[c] && m->colpos[c] >= 0);
	if (!any && rowno < HEADER_SEARCH_ROWS)
		return IMP_GO_ON; /* a title row: the header is further down */
	/* a further sheet is a roster only when its header names 姓名 and 身份证号码; any
	 * other (instructions, a code table) is passed over */
	if (m->sheet_no > 0 && (m->colpos[C_NAME] < 0 || m->colpos[C_ID] < 0)) {
		if (rowno >= HEADER_SEARCH_ROWS)
			m->skip_sheet = true;
		return IMP_GO_ON;
	}
	bool missing = false;
	for (int c = 0; c < C__MAX; c++)
		if (required_col[c] && m->colpos[c] < 0) {
			import_add_error(m, rowno, import_headers[c], "missing_column",
					 arena_printf(m->a, "缺少必填列“%s”，请使用导入模板", import_headers[c]));
			missing = true;
		}
	m->header_done = true;
	m->headers++;
	if (m->sheet_no == 0)
		m->header_row = rowno;
	if (missing) {
		snprintf(m->why, m->whylen, "表头缺少必填列，请使用导入模板");
		return IMP_HEADER;
	}
	return IMP_GO_ON;
}

/* 入党时间, 转正时间, 入党介绍人 and the dues: the columns read by hand. */
static void read_special(struct imp *m, long rowno, const char *const *cells, size_t n, struct member_rec *r)
{
	const char *j = cell(m, cells, n, C_JOINED), *cf = cell(m, cells, n, C_CONFIRMED);
	r->joined_on = j ? norm_date(m->a, j) : NULL;
	if (j && !r->joined_on)
		import_add_error(m, rowno, "入党时间", "invalid_date", "入党时间不是有效日期（如 2020-07-01）");
	r->confirmed_on = cf ? norm_date(m->a, cf) : NULL;
	if (cf && !r->confirmed_on)
		import_add_error(m, rowno, "转正时间", "invalid_date", "转正时间不是有效日期（如 2021-07-01）");
	/* an unreadable joined date is reported already: validate the rest without a
	 * second "required" error for it */
	m->joined_unreadable = j && !r->joined_on;
	const char *intro = cell(m, cells, n, C_INTRODUCERS);
	if (intro) {
		json_t *names = split_names(intro);
		if (member_list_ok(names, MEMBER_INTRODUCERS_MAX)) {
			char *t = json_dumps(names, JSON_COMPACT);
			r->introducers_json = arena_strdup(m->a, t);
			free(t);
		} else { /* (the API's rule: the same list, refused the same way) */
			import_add_error(m, rowno, "入党介绍人", "invalid_list", MEMBER_INTRODUCERS_MSG);
		}
		json_decref(names);
	}
	const char *dues = cell(m, cells, n, C_DUES_BASE);
	if (dues) {
		char *end;
		double v = strtod(dues, &end);
		if (end == dues || *end || !(v >= 0 && v <= 10000000)) /* NaN fails both */
			import_add_error(m, rowno, "党费基数", "invalid_number", "党费基数应为金额（元）");
		else
			r->dues_base = (int64_t)(v * 100 + 0.5);
	}
}

bool import_read_row(struct imp *m, long rowno, const char *const *cells, size_t n, struct member_rec *r)
{
	m->row = rowno;
	m->row_bad = false;
	memset(r, 0, sizeof *r);
	r->org_id = m->org_id;
	r->created_at = m->o->now;
	r->dues_base = -1;
	r->name = name_cell(m, cells, n, C_NAME);
	r->former_name = name_cell(m, cells, n, C_FORMER);
	r->sex = code_of(m, "sex", cell(m, cells, n, C_SEX), C_SEX);
	r->id_number = cell(m, cells, n, C_ID);
	r->ethnicity = code_of(m, "ethnicity", cell(m, cells, n, C_ETHNIC), C_ETHNIC);
	r->native_place = cell(m, cells, n, C_NATIVE);
	r->mobile = cell(m, cells, n, C_MOBILE);
	r->address = cell(m, cells, n, C_ADDRESS);
	r->education = code_of(m, "education", cell(m, cells, n, C_EDU), C_EDU);
	r->degree = cell(m, cells, n, C_DEGREE);
	r->work_unit = cell(m, cells, n, C_UNIT);
	r->unit_type = code_of(m, "unit_type", cell(m, cells, n, C_UNIT_TYPE), C_UNIT_TYPE);
	r->post = cell(m, cells, n, C_POST);
	r->category = code_of(m, "person_category", cell(m, cells, n, C_CATEGORY), C_CATEGORY);
	r->party_status = code_of(m, "party_status", cell(m, cells, n, C_STATUS), C_STATUS);
	r->state = code_of(m, "member_state", cell(m, cells, n, C_STATE), C_STATE);
	r->party_post = cell(m, cells, n, C_PARTY_POST);
	r->dues_paid_to = cell(m, cells, n, C_DUES_PAID);
	read_special(m, rowno, cells, n, r);
	member_validate(r, m->today, m->a, field_err, m);
	/* the API's limits (model/member.h): a cell may hold 32,767 characters */
	member_check_lengths(r, m->a, field_err, m);
	return !m->row_bad;
}

/* The names of a code table, for a drop-down list (arena-owned). */
static const char *const *names_of(struct arena *a, const char *table, size_t *n)
{
	const struct code_table *t = codes_table(table);
	*n = t ? t->n : 0;
	const char **v = arena_alloc(a, sizeof *v * (*n ? *n : 1));
	for (size_t i = 0; i < *n; i++)
		v[i] = t->items[i].name;
	return v;
}

int import_template_xlsx(const char *path, const char *tmpdir)
{
	(void)tmpdir;
	struct arena *a = arena_new();
	struct xlsx_template_col cols[C__MAX];
	memset(cols, 0, sizeof cols);
	for (int c = 0; c < C__MAX; c++) {
		cols[c].header = import_headers[c];
		cols[c].required = required_col[c];
	}
	static const struct {
		int col;
		const char *table;
	} coded[] = {{C_SEX, "sex"}, {C_ETHNIC, "ethnicity"}, {C_EDU, "education"}, {C_UNIT_TYPE, "unit_type"},
		     {C_CATEGORY, "person_category"}, {C_STATUS, "party_status"}, {C_STATE, "member_state"}};
	for (size_t i = 0; i < sizeof coded / sizeof coded[0]; i++)
		cols[coded[i].col].list = names_of(a, coded[i].table, &cols[coded[i].col].nlist);
	cols[C_ID].text = cols[C_MOBILE].text = cols[C_JOINED].text = cols[C_CONFIRMED].text = true;
	cols[C_DUES_PAID].text = true;
	cols[C_ID].prompt = "18位居民身份证号码；性别、出生日期从号码读出";
	cols[C_JOINED].prompt = "如 2020-07-01、2020.7.1 或 2020年7月1日";
	cols[C_CONFIRMED].prompt = "预备党员不填";
	cols[C_DUES_BASE].prompt = "金额（元），如 5000";
	cols[C_DUES_PAID].prompt = "已交至的月份，如 2026-10";
	static const char *const lines[] = {
		"党员信息导入模板 填写说明",
		"1. 在“党员信息”工作表第 2 行起逐行填写，每行一名党员；第 1 行表头请勿修改、删除或调整顺序。",
		"2. 表头带 * 的列必须填写：姓名、身份证号码、党员类别、入党时间。",
		"3. 性别、民族、学历、单位性质、人员类别、党员类别、党籍状态请从单元格的下拉列表中选择。",
		"4. 身份证号码填 18 位（末位 X 可大写或小写）；性别和出生日期由号码自动读出，可不填。",
		"5. 日期可写作 2020-07-01、2020/7/1、2020.07.01 或 2020年7月1日；转正时间仅正式党员填写。",
		"6. 党费基数填金额（元）；入党介绍人多人用顿号分隔，如：李四、王五。",
		"7. 导入前系统会先校验全部数据，有误的行会列出行号、列名和原因，可修改后重新上传。",
		"8. 同一身份证号码的党员只会出现一次：已在名册中的人员不会重复导入。",
	};
	int rc = xlsx_template(path, "党员信息", cols, C__MAX, lines, sizeof lines / sizeof lines[0], 5000);
	arena_free(a);
	return rc;
}
