/* test_sheet.c: spreadsheet reading and writing (src/core/sheet_*.c): CSV in UTF-8
 * with and without BOM and in GBK, quoting; xlsx written by our writer and read back;
 * Excel date serials. (A workbook written by another library, exceljs, is read in the
 * API import test.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <zip.h>
#include <stdio.h>
#include <stdlib.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/sheet.h"
#include "core/sheet_write.h"
#include "helpers.h"

struct rows {
	char text[64][256];
	long rowno[64];
	size_t n;
	int stop_at;
};

/* joins a row's cells with | */
static int collect(void *ctx, long rowno, const char *const *cells, size_t n)
{
	struct rows *r = ctx;
	if (r->n >= 64)
		return 1;
	char *t = r->text[r->n];
	t[0] = 0;
	for (size_t i = 0; i < n; i++) {
		if (i)
			strncat(t, "|", 255 - strlen(t));
		strncat(t, cells[i], 255 - strlen(t));
	}
	r->rowno[r->n++] = rowno;
	return r->stop_at && (int)r->n == r->stop_at ? 7 : 0;
}

static void test_csv_utf8_plain_and_quotes(void **state)
{
	(void)state;
	const char *csv = "姓名,身份证号码,备注\r\n张三,11010519491231002X,\"含,逗号\"\r\n\"李\"\"四\",,\"两\n行\"\n\n王五,x";
	struct rows r = {0};
	char why[200];
	enum sheet_encoding e;
	assert_int_equal(sheet_csv(csv, strlen(csv), collect, &r, &e, why, sizeof why), 0);
	assert_int_equal(e, SHEET_UTF8);
	assert_int_equal(r.n, 4);
	assert_string_equal(r.text[0], "姓名|身份证号码|备注");
	assert_string_equal(r.text[1], "张三|11010519491231002X|含,逗号");
	assert_string_equal(r.text[2], "李\"四||两\n行");
	assert_string_equal(r.text[3], "王五|x");
	assert_int_equal(r.rowno[0], 1);
	assert_int_equal(r.rowno[1], 2);
}

static void test_csv_utf8_bom(void **state)
{
	(void)state;
	const char *csv = "\xEF\xBB\xBF姓名,性别\n赵六,男\n";
	struct rows r = {0};
	char why[200];
	enum sheet_encoding e;
	assert_int_equal(sheet_csv(csv, strlen(csv), collect, &r, &e, why, sizeof why), 0);
	assert_int_equal(e, SHEET_UTF8_BOM);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.text[0], "姓名|性别");
}

static void test_csv_gbk_detected_and_converted(void **state)
{
	(void)state;
	const char *utf8 = "姓名,民族,学历\n钱七,汉族,大学本科\n";
	iconv_t cd = iconv_open("GBK", "UTF-8");
	char gbk[256];
	char *in = (char *)utf8, *out = gbk;
	size_t il = strlen(utf8), ol = sizeof gbk;
	assert_true(iconv(cd, &in, &il, &out, &ol) != (size_t)-1);
	iconv_close(cd);
	size_t glen = sizeof gbk - ol;
	assert_false(sheet_utf8_valid(gbk, glen));
	struct rows r = {0};
	char why[200];
	enum sheet_encoding e;
	assert_int_equal(sheet_csv(gbk, glen, collect, &r, &e, why, sizeof why), 0);
	assert_int_equal(e, SHEET_GB18030);
	assert_string_equal(r.text[1], "钱七|汉族|大学本科");
}

static void test_csv_errors(void **state)
{
	(void)state;
	struct rows r = {0};
	char why[200] = "";
	const char *bad = "a,\"unterminated\n";
	assert_int_equal(sheet_csv(bad, strlen(bad), collect, &r, NULL, why, sizeof why), -1);
	assert_non_null(strstr(why, "引号"));
	const char *badbom = "\xEF\xBB\xBF\xFF\xFE";
	assert_int_equal(sheet_csv(badbom, strlen(badbom), collect, &r, NULL, why, sizeof why), -1);
	/* the callback stops the parse and its value comes back */
	struct rows s = {.stop_at = 1};
	const char *two = "a\nb\n";
	assert_int_equal(sheet_csv(two, strlen(two), collect, &s, NULL, why, sizeof why), 7);
	assert_int_equal(s.n, 1);
}

static void test_xlsx_write_then_read(void **state)
{
	(void)state;
	char path[] = "/tmp/dj_test_sheet_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	const char *hdr[] = {"姓名", "身份证号码", "入党时间"};
	struct xlsx_out *x = xlsx_out_open(path, NULL, "党员名册", hdr, 3);
	assert_non_null(x);
	const char *r1[] = {"张三", "11010519491231002X", "1975-07-01"};
	const char *r2[] = {"李四", NULL, "<&>\"'"};
	assert_int_equal(xlsx_out_row(x, r1, 3), 0);
	assert_int_equal(xlsx_out_row(x, r2, 3), 0);
	assert_int_equal(xlsx_out_close(x), 0);
	size_t len;
	char *data = slurp(path, &len);
	unlink(path);
	struct rows r = {0};
	char why[200];
	assert_int_equal(sheet_xlsx(data, len, collect, &r, why, sizeof why), 0);
	free(data);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.text[0], "姓名|身份证号码|入党时间");
	assert_string_equal(r.text[1], "张三|11010519491231002X|1975-07-01");
	assert_string_equal(r.text[2], "李四||<&>\"'");
	assert_int_equal(r.rowno[2], 3);
}

static void test_xlsx_garbage_refused(void **state)
{
	(void)state;
	struct rows r = {0};
	char why[200] = "";
	assert_int_equal(sheet_xlsx("PK\3\4garbage", 12, collect, &r, why, sizeof why), -1);
	assert_true(strlen(why) > 0);
	assert_int_equal(sheet_xlsx("", 0, collect, &r, why, sizeof why), -1);
}

/* An .xlsx in memory (malloc) with the given shared strings and sheet; *zlen its size. */
static char *make_xlsx(const char *sst, size_t sstlen, const char *sheet, size_t *zlen)
{
	static const char ct[] = "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>";
	static const char wb[] = "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
				 "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">"
				 "<sheets><sheet name=\"s\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";
	static const char rels[] = "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
				   "<Relationship Id=\"rId1\" Target=\"worksheets/sheet1.xml\" "
				   "Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\"/>"
				   "</Relationships>";
	zip_error_t ze;
	zip_error_init(&ze);
	zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
	assert_non_null(src);
	zip_t *z = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
	assert_non_null(z);
	zip_source_keep(src);
	const struct {
		const char *name, *data;
		size_t len;
	} parts[] = {{"[Content_Types].xml", ct, sizeof ct - 1},
		     {"xl/workbook.xml", wb, sizeof wb - 1},
		     {"xl/_rels/workbook.xml.rels", rels, sizeof rels - 1},
		     {"xl/worksheets/sheet1.xml", sheet, strlen(sheet)},
		     {"xl/sharedStrings.xml", sst, sstlen}};
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		zip_source_t *ps = zip_source_buffer(z, parts[i].data, parts[i].len, 0);
		assert_true(zip_file_add(z, parts[i].name, ps, ZIP_FL_OVERWRITE) >= 0);
	}
	assert_int_equal(zip_close(z), 0);
	assert_int_equal(zip_source_open(src), 0);
	zip_source_seek(src, 0, SEEK_END);
	zip_int64_t n = zip_source_tell(src);
	zip_source_seek(src, 0, SEEK_SET);
	char *zbuf = malloc((size_t)n);
	assert_int_equal(zip_source_read(src, zbuf, (zip_uint64_t)n), n);
	zip_source_close(src);
	zip_source_free(src);
	*zlen = (size_t)n;
	return zbuf;
}

/* n empty shared strings as sharedStrings.xml (malloc); *len its size. */
static char *empty_sst(size_t n, size_t *len)
{
	char *sst = malloc(n * 5 + 200);
	*len = (size_t)snprintf(sst, 200, "<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">");
	for (size_t i = 0; i < n; i++, *len += 5)
		memcpy(sst + *len, "<si/>", 5);
	memcpy(sst + *len, "</sst>", 7);
	*len += 6;
	return sst;
}

static const char one_cell_sheet[] = "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
				     "<sheetData><row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row></sheetData></worksheet>";

/* A tiny workbook whose sharedStrings.xml expands into millions of empty entries: the
 * reader refuses it instead of growing without bound (review finding, S: memory). */
static void test_xlsx_shared_string_bomb_refused(void **state)
{
	(void)state;
	size_t len, zlen;
	char *sst = empty_sst(9000000, &len);
	char *zbuf = make_xlsx(sst, len, one_cell_sheet, &zlen);
	assert_true(zlen < 2 * 1024 * 1024); /* the bomb is small */
	struct rows g = {0};
	char why[256] = "";
	assert_int_not_equal(sheet_xlsx(zbuf, zlen, collect, &g, why, sizeof why), 0);
	assert_true(why[0] != 0);
	free(zbuf);
	free(sst);
}

/* S19: shared strings cost their bytes and a 4-byte index, not an allocation each (a
 * 245 KB file once took 320 MB): a million empty ones fit in 5 MB and not in 4 MB. */
static void test_S19_shared_strings_memory_follows_bytes(void **state)
{
	(void)state;
	size_t len, zlen;
	char *sst = empty_sst(1000000, &len);
	char *zbuf = make_xlsx(sst, len, one_cell_sheet, &zlen);
	struct sheet_limits lim = sheet_limits_for(zlen, 1000, SHEET_MAX_XML);
	lim.max_sst_bytes = 5u << 20;
	struct rows g = {0};
	char why[256] = "";
	assert_int_equal(sheet_xlsx_limited(zbuf, zlen, &lim, collect, &g, why, sizeof why), 0);
	lim.max_sst_bytes = 4u << 20;
	assert_int_not_equal(sheet_xlsx_limited(zbuf, zlen, &lim, collect, &g, why, sizeof why), 0);
	assert_non_null(strstr(why, "共享字符串"));
	/* and the part's inflation is bounded by the upload's size */
	lim = sheet_limits_for(zlen, 2, SHEET_MAX_XML);
	assert_int_not_equal(sheet_xlsx_limited(zbuf, zlen, &lim, collect, &g, why, sizeof why), 0);
	assert_non_null(strstr(why, "解压后过大"));
	free(zbuf);
	free(sst);
}

/* the last cell of row 2 (malloc'd) */
static int long_cell(void *ctx, long rowno, const char *const *cells, size_t n)
{
	char **out = ctx;
	if (rowno == 2 && n) {
		free(*out);
		*out = strdup(cells[n - 1]);
	}
	return 0;
}

/* One of the three ways a text reaches a cell: CSV, an .xlsx inline string, an .xlsx
 * shared string. 0 or -1 with why; *got the cell read. */
static int read_long(int how, const char *text, char **got, char *why, size_t whylen)
{
	size_t tl = strlen(text), len;
	char *buf = malloc(tl + 1024);
	int rc;
	*got = NULL;
	if (how == 0) {
		len = (size_t)sprintf(buf, "姓名,家庭住址\n张三,%s\n", text);
		return rc = sheet_csv(buf, len, long_cell, got, NULL, why, whylen), free(buf), rc;
	}
	static const char head[] = "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
				   "<sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>姓名</t></is></c></row>"
				   "<row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is><t>张三</t></is></c>";
	char *sst;
	size_t sstlen;
	if (how == 1) {
		sprintf(buf, "%s<c r=\"B2\" t=\"inlineStr\"><is><t>%s</t></is></c></row></sheetData></worksheet>", head, text);
		sst = empty_sst(0, &sstlen);
	} else {
		sprintf(buf, "%s<c r=\"B2\" t=\"s\"><v>0</v></c></row></sheetData></worksheet>", head);
		sst = malloc(tl + 200);
		sstlen = (size_t)sprintf(sst,
					 "<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
					 "<si><t>%s</t></si></sst>",
					 text);
	}
	char *z = make_xlsx(sst, sstlen, buf, &len);
	rc = sheet_xlsx(z, len, long_cell, got, why, whylen);
	free(z);
	free(sst);
	free(buf);
	return rc;
}

/* text as a quoted CSV cell (its quotes doubled) in row 2, column 2 */
static int read_quoted(const char *text, char **got, char *why, size_t whylen)
{
	char *buf = malloc(2 * strlen(text) + 64), *o = buf;
	*got = NULL;
	o += sprintf(o, "姓名,家庭住址\n张三,\"");
	for (const char *p = text; *p; p++) {
		if (*p == '"')
			*o++ = '"';
		*o++ = *p;
	}
	o += sprintf(o, "\"\n");
	int rc = sheet_csv(buf, (size_t)(o - buf), long_cell, got, NULL, why, whylen);
	free(buf);
	return rc;
}

/* The import reads a cell up to Excel's 32,767 characters as Excel counts them, in
 * UTF-16 code units (it counted bytes: a Chinese text of 11,000 characters was "too
 * long"); one more is refused as before, naming the row (and the column where it can):
 * CSV, inline and shared strings, with the scanner and with expat alone */
static void test_cell_limit_in_utf16_units(void **state)
{
	(void)state;
	char *at = chinese_units(32767), *over = chinese_units(32768);
	assert_int_equal(sheet_utf16_len(at, strlen(at)), 32767);
	assert_int_equal(sheet_utf16_len(over, strlen(over)), 32768);
	assert_int_equal(sheet_utf16_len("a\xC3\xA9\xE5\x85\x9A\xF0\x9F\x98\x80", 10), 5);
	static const char *const refused[] = {"第 2 行第 2 列：单元格内容过长（超过 Excel 单元格的 32,767 个字符上限）",
					      "第 2 行 B 列：单元格内容过长（超过 Excel 单元格的 32,767 个字符上限）",
					      "xlsx 中有单元格内容过长（超过 Excel 单元格的 32,767 个字符上限）"};
	for (int expat = 0; expat < 2; expat++) {
		sheet_xlsx_expat_only = expat;
		for (int how = 0; how < 3; how++) {
			char why[256] = "", *got;
			assert_int_equal(read_long(how, at, &got, why, sizeof why), 0);
			assert_non_null(got);
			assert_string_equal(got, at);
			free(got);
			assert_int_equal(read_long(how, over, &got, why, sizeof why), -1);
			free(got);
			assert_string_equal(why, refused[how]);
		}
	}
	/* a quoted CSV cell (a comma, a quote, a line break in it) is held to the same
	 * limit: 32,767 units read back whole, one more refused naming row and column (the
	 * reader never measured a quoted cell) */
	for (size_t units = 32767; units <= 32768; units++) {
		char *tail = chinese_units(units - 4), *text = malloc(strlen(tail) + 5), why[256] = "", *got;
		sprintf(text, "\"a,\n%s", tail);
		assert_int_equal(sheet_utf16_len(text, strlen(text)), units);
		if (units == 32767) {
			assert_int_equal(read_quoted(text, &got, why, sizeof why), 0);
			assert_non_null(got);
			assert_string_equal(got, text);
		} else {
			assert_int_equal(read_quoted(text, &got, why, sizeof why), -1);
			assert_null(got);
			assert_string_equal(why, refused[0]);
		}
		free(got);
		free(text);
		free(tail);
	}
	/* a text in many pieces (expat hands each entity over alone): 32,767 "&amp;" read
	 * back as 32,767 "&", one more refused */
	char *amps = malloc(5 * 32768 + 1), *want = malloc(32768);
	for (int i = 0; i < 32768; i++)
		memcpy(amps + 5 * i, "&amp;", 5);
	memset(want, '&', 32767);
	want[32767] = 0;
	for (int expat = 0; expat < 2; expat++) {
		sheet_xlsx_expat_only = expat;
		for (int how = 1; how < 3; how++) {
			char why[256] = "", *got;
			amps[5 * 32767] = 0;
			assert_int_equal(read_long(how, amps, &got, why, sizeof why), 0);
			assert_non_null(got);
			assert_string_equal(got, want);
			free(got);
			amps[5 * 32767] = '&';
			amps[5 * 32768] = 0;
			assert_int_equal(read_long(how, amps, &got, why, sizeof why), -1);
			free(got);
			assert_string_equal(why, refused[how]);
		}
	}
	sheet_xlsx_expat_only = false;
	free(amps);
	free(want);
	free(at);
	free(over);
}

static void test_serial_dates(void **state)
{
	(void)state;
	struct date d;
	assert_true(sheet_serial_date("1", &d));
	assert_int_equal(d.y, 1900);
	assert_int_equal(d.m, 1);
	assert_int_equal(d.d, 1);
	assert_true(sheet_serial_date("61", &d)); /* after Excel's fictitious 29 Feb 1900 */
	assert_int_equal(d.m, 3);
	assert_int_equal(d.d, 1);
	assert_true(sheet_serial_date("45292", &d));
	assert_int_equal(d.y, 2024);
	assert_int_equal(d.m, 1);
	assert_int_equal(d.d, 1);
	assert_true(sheet_serial_date("45292.75", &d));
	assert_false(sheet_serial_date("60", &d));
	assert_false(sheet_serial_date("abc", &d));
	assert_false(sheet_serial_date("", &d));
}

static void test_csv_out_quotes_and_formula_injection(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	const char *cells[] = {"a,b", "say \"hi\"", "=HYPERLINK(1)", "plain", NULL};
	csv_out_row(f, cells, 5);
	fclose(f);
	assert_string_equal(buf, "\"a,b\",\"say \"\"hi\"\"\",\"'=HYPERLINK(1)\",plain,\r\n");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_utf8_plain_and_quotes),
		cmocka_unit_test(test_csv_utf8_bom),
		cmocka_unit_test(test_csv_gbk_detected_and_converted),
		cmocka_unit_test(test_csv_errors),
		cmocka_unit_test(test_xlsx_write_then_read),
		cmocka_unit_test(test_xlsx_garbage_refused),
		cmocka_unit_test(test_xlsx_shared_string_bomb_refused),
		cmocka_unit_test(test_S19_shared_strings_memory_follows_bytes),
		cmocka_unit_test(test_cell_limit_in_utf16_units),
		cmocka_unit_test(test_serial_dates),
		cmocka_unit_test(test_csv_out_quotes_and_formula_injection),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
