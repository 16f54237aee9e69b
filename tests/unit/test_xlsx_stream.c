/* test_xlsx_stream.c: the streaming .xlsx writer's sheets (issue 21 #5): a sheet holds
 * Excel's 1,048,576 rows and the rows after go on to "名称(2)", "名称(3)" … of the same
 * workbook, each with the header, frozen pane and filter; the parts that list sheets
 * list every one; names keep to Excel's 31 characters; a refused cell is named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/sheet.h"
#include "core/xlsx_stream.h"
#include "helpers.h"

/* One part of the zip at path, through unzip (malloc'd, NUL-terminated). */
static char *part(const char *path, const char *name)
{
	char tmp[] = "/tmp/dj_test_xlsx_part_XXXXXX";
	int fd = mkstemp(tmp);
	assert_true(fd >= 0);
	close(fd);
	char cmd[400];
	snprintf(cmd, sizeof cmd, "unzip -p '%s' '%s' > %s", path, name, tmp);
	assert_int_equal(system(cmd), 0);
	size_t len;
	char *p = slurp(tmp, &len);
	unlink(tmp);
	return p;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* What the reader saw: rows of each sheet, sheet names, and wrong rows. Row k (0-based
 * over the whole file) holds "k", a long text and "<k>&". */
struct seen {
	int sheet;          /* 0-based */
	long rows[8];       /* per sheet, header included */
	char names[8][128]; /* sheets after the first */
	long next;          /* the next data row expected */
	size_t wide;        /* the long cell's length */
	int bad;
};

static int seen_row(void *ctx, long rowno, const char *const *cells, size_t n)
{
	struct seen *s = ctx;
	if (rowno == 0) { /* a further sheet's name */
		s->sheet++;
		if (s->sheet < 8 && n == 1)
			snprintf(s->names[s->sheet], sizeof s->names[s->sheet], "%s", cells[0]);
		return 0;
	}
	if (s->sheet >= 8)
		return 1;
	s->rows[s->sheet]++;
	if (rowno != s->rows[s->sheet])
		s->bad++;
	if (rowno == 1) { /* every sheet begins with the header */
		s->bad += n != 3 || strcmp(cells[0], "序号") != 0 || strcmp(cells[1], "说明") != 0 || strcmp(cells[2], "党费") != 0;
		return 0;
	}
	char a[32], c[32];
	snprintf(a, sizeof a, "%ld", s->next);
	snprintf(c, sizeof c, "%ld.50", s->next);
	s->bad += n != 3 || strcmp(cells[0], a) != 0 || strlen(cells[1]) != s->wide || strtod(cells[2], NULL) != strtod(c, NULL);
	s->next++;
	return 0;
}

static char *tmpfile_path(void)
{
	char *path = strdup("/tmp/dj_test_xlsx_stream_XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	return path;
}

/* rows data rows at per rows a sheet, each row's second cell wide bytes long */
static struct xlsx_stream_result write_file(const char *path, const char *name, long rows, uint32_t per, size_t wide,
					    int threads)
{
	const char *hdr[] = {"序号", "说明", "党费"};
	struct xlsx_stream *x = xlsx_stream_open(path, name, hdr, 3, 1, threads);
	assert_non_null(x);
	xlsx_stream_numeric(x, 2);
	xlsx_stream_table_view(x);
	if (per)
		xlsx_stream_rows_per_sheet(x, per);
	char *text = malloc(wide + 1);
	for (size_t i = 0; i < wide; i++)
		text[i] = (char)('a' + i % 26);
	text[wide] = 0;
	for (long k = 0; k < rows; k++) {
		char a[32], c[32];
		snprintf(a, sizeof a, "%ld", k);
		snprintf(c, sizeof c, "%ld.50", k);
		text[k % wide] = '&'; /* escaped, and the sheets differ */
		const char *row[] = {a, text, c};
		assert_int_equal(xlsx_stream_row(x, row, 3), 0);
		text[k % wide] = (char)('a' + k % wide % 26);
	}
	free(text);
	struct xlsx_stream_result res;
	assert_int_equal(xlsx_stream_close_result(x, &res), 0);
	assert_int_equal(res.error, XLSX_STREAM_OK);
	return res;
}

static struct seen read_back(const char *path, size_t wide)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "unzip -tq '%s' >/dev/null 2>&1", path); /* every part's CRC */
	assert_int_equal(system(cmd), 0);
	size_t len;
	char *data = slurp(path, &len);
	struct seen s = {.wide = wide};
	char why[200] = "";
	int rc = sheet_xlsx(data, len, seen_row, &s, why, sizeof why);
	free(data);
	if (rc != 0)
		fail_msg("read back: %d %s", rc, why);
	return s;
}

/* 2,500 rows at 1,000 a sheet (the header one of them): three sheets of 999, 999 and
 * 502 rows, each sheet's XML several 1 MiB pieces deflated by two threads. */
static void test_rows_go_on_to_further_sheets(void **state)
{
	(void)state;
	char *path = tmpfile_path();
	struct xlsx_stream_result res = write_file(path, "党员名册", 2500, 1000, 2500, 2);
	assert_int_equal(res.sheets, 3);
	struct seen s = read_back(path, 2500);
	assert_int_equal(s.bad, 0);
	assert_int_equal(s.sheet, 2);
	assert_int_equal(s.rows[0], 1000);
	assert_int_equal(s.rows[1], 1000);
	assert_int_equal(s.rows[2], 503);
	assert_int_equal(s.next, 2500);
	assert_string_equal(s.names[1], "党员名册(2)");
	assert_string_equal(s.names[2], "党员名册(3)");

	char *wb = part(path, "xl/workbook.xml");
	assert_non_null(strstr(wb, "<sheet name=\"党员名册\" sheetId=\"1\" r:id=\"rId1\"/>"
				   "<sheet name=\"党员名册(2)\" sheetId=\"2\" r:id=\"rId2\"/>"
				   "<sheet name=\"党员名册(3)\" sheetId=\"3\" r:id=\"rId3\"/></sheets>"));
	/* each sheet's filter range */
	assert_non_null(strstr(wb, "localSheetId=\"0\" hidden=\"1\">'党员名册'!$A$1:$C$1000<"));
	assert_non_null(strstr(wb, "localSheetId=\"1\" hidden=\"1\">'党员名册(2)'!$A$1:$C$1000<"));
	assert_non_null(strstr(wb, "localSheetId=\"2\" hidden=\"1\">'党员名册(3)'!$A$1:$C$503<"));
	free(wb);
	char *rels = part(path, "xl/_rels/workbook.xml.rels");
	for (int k = 1; k <= 3; k++) {
		char want[80];
		snprintf(want, sizeof want, "Id=\"rId%d\" ", k);
		assert_non_null(strstr(rels, want));
		snprintf(want, sizeof want, "Target=\"worksheets/sheet%d.xml\"", k);
		assert_non_null(strstr(rels, want));
	}
	assert_non_null(strstr(rels, "Id=\"rId4\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/"
				     "relationships/styles\""));
	free(rels);
	char *types = part(path, "\\[Content_Types\\].xml"); /* unzip reads [] as a pattern */
	assert_int_equal(count(types, "spreadsheetml.worksheet+xml"), 3);
	assert_non_null(strstr(types, "/xl/worksheets/sheet3.xml"));
	free(types);
	const char *refs[] = {"A1:C1000", "A1:C1000", "A1:C503"};
	for (int k = 1; k <= 3; k++) {
		char name[40], want[80];
		snprintf(name, sizeof name, "xl/worksheets/sheet%d.xml", k);
		char *sh = part(path, name);
		/* the frozen header, numbers in the money column, the bold header, the filter */
		assert_non_null(strstr(sh, "<pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\" state=\"frozen\"/>"));
		assert_int_equal(count(sh, "tabSelected"), k == 1);
		assert_non_null(strstr(sh, "<c r=\"A1\" s=\"2\" t=\"inlineStr\"><is><t>序号</t>"));
		assert_non_null(strstr(sh, "<c r=\"C2\" s=\"3\"><v>"));
		snprintf(want, sizeof want, "<autoFilter ref=\"%s\"/>", refs[k - 1]);
		assert_non_null(strstr(sh, want));
		free(sh);
	}
	unlink(path);
	free(path);
}

/* a sheet filled exactly: no empty sheet after it */
static void test_a_full_sheet_alone(void **state)
{
	(void)state;
	char *path = tmpfile_path();
	struct xlsx_stream_result res = write_file(path, "党员名册", 999, 1000, 10, 0);
	assert_int_equal(res.sheets, 1);
	struct seen s = read_back(path, 10);
	assert_int_equal(s.bad, 0);
	assert_int_equal(s.sheet, 0);
	assert_int_equal(s.rows[0], 1000);
	unlink(path);
	free(path);
}

/* Excel's 31 characters: a long name is cut on a character, with room for "(2)" */
static void test_sheet_names_keep_to_31_characters(void **state)
{
	(void)state;
	char *path = tmpfile_path();
	/* 35 characters: 30 Chinese (3 bytes each) and five &s */
	const char *name = "中共某某市某某区某某街道某某社区某某党支部第一第二第三党小组&&&&&";
	struct xlsx_stream_result res = write_file(path, name, 5, 3, 5, 1);
	assert_int_equal(res.sheets, 3);
	struct seen s = read_back(path, 5);
	assert_int_equal(s.bad, 0);
	assert_string_equal(s.names[1], "中共某某市某某区某某街道某某社区某某党支部第一第二第三党(2)");
	assert_string_equal(s.names[2], "中共某某市某某区某某街道某某社区某某党支部第一第二第三党(3)");
	char *wb = part(path, "xl/workbook.xml");
	assert_non_null(strstr(wb, "<sheet name=\"中共某某市某某区某某街道某某社区某某党支部第一第二第三党小组&amp;\" sheetId=\"1\""));
	free(wb);
	unlink(path);
	free(path);
}

/* Excel's own limit, at the default: 1,048,576 rows on the first sheet (the header and
 * 1,048,575 members), the next member on a second. The old writer failed the file. */
static void test_excel_row_limit(void **state)
{
	(void)state;
	char *path = tmpfile_path();
	struct xlsx_stream_result res = write_file(path, "党员名册", 1048576, 0, 1, 1);
	assert_int_equal(res.sheets, 2);
	struct seen s = read_back(path, 1);
	assert_int_equal(s.bad, 0);
	assert_int_equal(s.rows[0], 1048576);
	assert_int_equal(s.rows[1], 2);
	assert_string_equal(s.names[1], "党员名册(2)");
	unlink(path);
	free(path);
}

/* a cell over 32,767 fails the file and is named: its column, cell and sheet */
static void test_a_huge_cell_is_named(void **state)
{
	(void)state;
	char *path = tmpfile_path();
	const char *hdr[] = {"姓名", "简历"};
	struct xlsx_stream *x = xlsx_stream_open(path, "党员名册", hdr, 2, 1, 1);
	assert_non_null(x);
	xlsx_stream_rows_per_sheet(x, 3);
	char *big = malloc(40000);
	memset(big, 'x', 39999);
	big[39999] = 0;
	const char *ok[] = {"甲", "a"}, *bad[] = {"乙", big};
	for (int i = 0; i < 3; i++)
		assert_int_equal(xlsx_stream_row(x, ok, 2), 0);
	assert_int_equal(xlsx_stream_row(x, bad, 2), -1);
	assert_int_equal(xlsx_stream_row(x, ok, 2), -1); /* the file has failed */
	struct xlsx_stream_result res;
	assert_int_equal(xlsx_stream_close_result(x, &res), -1);
	assert_int_equal(res.error, XLSX_STREAM_CELL);
	assert_int_equal(res.col, 1);
	assert_string_equal(res.cell, "B3"); /* sheet 2's second member, under its header */
	assert_string_equal(res.sheet, "党员名册(2)");
	free(big);
	unlink(path);
	free(path);
}

/* The second cell of the one data row, as the importer's reader reads it back. */
struct back {
	long rows;
	char *text;
};

static int back_row(void *ctx, long rowno, const char *const *cells, size_t n)
{
	struct back *b = ctx;
	b->rows++;
	if (rowno == 2 && n >= 2)
		b->text = strdup(cells[1]);
	return 0;
}

/* Excel's limit is 32,767 characters in UTF-16 code units, not bytes: a Chinese text
 * of 32,767 units (98,000 bytes, one character outside the BMP counting 2) is written
 * and reads back whole, controls the file can not hold not counted; 32,768 is refused
 * and named */
static void test_the_cell_limit_counts_utf16_units(void **state)
{
	(void)state;
	const char *hdr[] = {"姓名", "家庭住址"};
	char *at = chinese_units(32767), *over = chinese_units(32768);
	assert_int_equal(sheet_utf16_len(at, strlen(at)), 32767);
	assert_int_equal(sheet_utf16_len(over, strlen(over)), 32768);
	assert_true(strlen(at) > 3 * 32000);

	/* at the limit, and at it with a control emit_text drops: written */
	const char *ctl_cells[2];
	char *ctl = malloc(strlen(at) + 2);
	ctl[0] = '\x01';
	strcpy(ctl + 1, at);
	ctl_cells[0] = "乙";
	ctl_cells[1] = ctl;
	for (int k = 0; k < 2; k++) {
		char *path = tmpfile_path();
		struct xlsx_stream *x = xlsx_stream_open(path, "党员名册", hdr, 2, 1, 1);
		assert_non_null(x);
		const char *row[] = {"甲", at};
		assert_int_equal(xlsx_stream_row(x, k ? ctl_cells : row, 2), 0);
		struct xlsx_stream_result res;
		assert_int_equal(xlsx_stream_close_result(x, &res), 0);
		assert_int_equal(res.error, XLSX_STREAM_OK);
		size_t len;
		char *data = slurp(path, &len);
		struct back b = {0};
		char why[256] = "";
		assert_int_equal(sheet_xlsx(data, len, back_row, &b, why, sizeof why), 0);
		assert_int_equal(b.rows, 2);
		assert_non_null(b.text);
		assert_string_equal(b.text, at);
		free(b.text);
		free(data);
		unlink(path);
		free(path);
	}
	free(ctl);

	/* one unit over: refused, the column, cell and sheet named */
	char *path = tmpfile_path();
	struct xlsx_stream *x = xlsx_stream_open(path, "党员名册", hdr, 2, 1, 1);
	assert_non_null(x);
	const char *ok[] = {"甲", "北京"}, *bad[] = {"乙", over};
	assert_int_equal(xlsx_stream_row(x, ok, 2), 0);
	assert_int_equal(xlsx_stream_row(x, bad, 2), -1);
	struct xlsx_stream_result res;
	assert_int_equal(xlsx_stream_close_result(x, &res), -1);
	assert_int_equal(res.error, XLSX_STREAM_CELL);
	assert_int_equal(res.col, 1);
	assert_string_equal(res.cell, "B3");
	assert_string_equal(res.sheet, "党员名册");
	unlink(path);
	free(path);
	free(at);
	free(over);
}

/* a file that can not be written names the error */
static void test_a_write_error_is_named(void **state)
{
	(void)state;
	if (access("/dev/full", W_OK) != 0)
		skip();
	const char *hdr[] = {"名称"};
	struct xlsx_stream *x = xlsx_stream_open("/dev/full", "s", hdr, 1, 1, 1);
	assert_non_null(x);
	const char *row[] = {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
	int rc = 0;
	for (int i = 0; i < 100000 && rc == 0; i++)
		rc = xlsx_stream_row(x, row, 1);
	struct xlsx_stream_result res;
	assert_int_equal(xlsx_stream_close_result(x, &res), -1);
	assert_int_equal(res.error, XLSX_STREAM_FILE);
	assert_int_equal(res.err, 28 /* ENOSPC */);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_go_on_to_further_sheets),
		cmocka_unit_test(test_a_full_sheet_alone),
		cmocka_unit_test(test_sheet_names_keep_to_31_characters),
		cmocka_unit_test(test_excel_row_limit),
		cmocka_unit_test(test_a_huge_cell_is_named),
		cmocka_unit_test(test_the_cell_limit_counts_utf16_units),
		cmocka_unit_test(test_a_write_error_is_named),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
