/* test_sheet_write.c: the .xlsx writer's hand-over to its writer thread
 * (src/core/sheet_write.c): many batches arrive whole and in order, and a cell that
 * libxlsxwriter refuses fails the file, whichever row it is in. */
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
#include "core/sheet_write.h"
#include "core/xlsx_stream.h"
#include "helpers.h"

#define ROWS 20000 /* × 3 cells: several batches, and the queue fills */

struct seq {
	long rows;
	int bad;
};

/* row 1 is the header; row k + 2 holds "k", "<k>&", and every third row an empty cell */
static int check_row(void *ctx, long rowno, const char *const *cells, size_t n)
{
	struct seq *s = ctx;
	long k = rowno - 2;
	char a[32], b[32];
	snprintf(a, sizeof a, "%ld", k);
	snprintf(b, sizeof b, "<%ld>&", k);
	if (rowno == 1)
		s->bad += n != 3 || strcmp(cells[0], "序号") != 0;
	else if (k % 3 == 0)
		s->bad += n < 2 || strcmp(cells[0], a) != 0 || strcmp(cells[1], b) != 0 || (n > 2 && *cells[2]);
	else
		s->bad += n != 3 || strcmp(cells[0], a) != 0 || strcmp(cells[1], b) != 0 || strcmp(cells[2], "身份证") != 0;
	s->rows++;
	return 0;
}

static void test_xlsx_many_rows_in_order(void **state)
{
	(void)state;
	char path[] = "/tmp/dj_test_sheet_write_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	const char *hdr[] = {"序号", "名称", "证件"};
	struct xlsx_out *x = xlsx_out_open(path, NULL, "党员名册", hdr, 3);
	assert_non_null(x);
	for (long k = 0; k < ROWS; k++) {
		char a[32], b[32];
		snprintf(a, sizeof a, "%ld", k);
		snprintf(b, sizeof b, "<%ld>&", k);
		const char *row[] = {a, b, k % 3 == 0 ? NULL : "身份证"};
		assert_int_equal(xlsx_out_row(x, row, 3), 0);
	}
	assert_int_equal(xlsx_out_close(x), 0);
	size_t len;
	char *data = slurp(path, &len);
	unlink(path);
	struct seq s = {0};
	char why[200] = "";
	assert_int_equal(sheet_xlsx(data, len, check_row, &s, why, sizeof why), 0);
	free(data);
	assert_int_equal(s.rows, ROWS + 1);
	assert_int_equal(s.bad, 0);
}

/* libxlsxwriter refuses strings over 32,767 characters; the refusal happens on the
 * writer thread, after the row was accepted, and must still fail the file. */
static void test_xlsx_refused_cell_fails_the_file(void **state)
{
	(void)state;
	char path[] = "/tmp/dj_test_sheet_write_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	const char *hdr[] = {"名称"};
	struct xlsx_out *x = xlsx_out_open(path, NULL, "s", hdr, 1);
	assert_non_null(x);
	char *big = malloc(40000);
	memset(big, 'x', 39999);
	big[39999] = 0;
	const char *ok[] = {"a"}, *bad[] = {big};
	int rc = xlsx_out_row(x, ok, 1);
	rc |= xlsx_out_row(x, bad, 1);
	for (int i = 0; i < 30000 && rc == 0; i++) /* later rows may or may not see it */
		rc |= xlsx_out_row(x, ok, 1);
	rc |= xlsx_out_close(x);
	free(big);
	unlink(path);
	assert_int_equal(rc, -1);
}

/* The streaming writer (issue 21 #5): enough rows for many 1 MiB pieces (more than
 * its ring holds), deflated inline or by one or two threads at levels 1 and 6; the file
 * reads back whole and in order through our reader, and unzip verifies its CRCs. */
#define STREAM_ROWS 120000
static void stream_roundtrip(int level, int threads)
{
	char path[] = "/tmp/dj_test_xlsx_stream_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	const char *hdr[] = {"序号", "名称", "证件"};
	struct xlsx_stream *x = xlsx_stream_open(path, "党员名册 & <测试>", hdr, 3, level, threads);
	assert_non_null(x);
	xlsx_stream_table_view(x);
	for (long k = 0; k < STREAM_ROWS; k++) {
		char a[32], b[32];
		snprintf(a, sizeof a, "%ld", k);
		snprintf(b, sizeof b, "<%ld>&", k);
		const char *row[] = {a, b, k % 3 == 0 ? NULL : "身份证"};
		assert_int_equal(xlsx_stream_row(x, row, 3), 0);
	}
	assert_int_equal(xlsx_stream_close(x), 0);
	char cmd[200];
	snprintf(cmd, sizeof cmd, "unzip -tq %s >/dev/null 2>&1", path);
	assert_int_equal(system(cmd), 0);
	size_t len;
	char *data = slurp(path, &len);
	unlink(path);
	struct seq s = {0};
	char why[200] = "";
	assert_int_equal(sheet_xlsx(data, len, check_row, &s, why, sizeof why), 0);
	free(data);
	assert_int_equal(s.rows, STREAM_ROWS + 1);
	assert_int_equal(s.bad, 0);
}

static void test_stream_inline_level1(void **state)
{
	(void)state;
	stream_roundtrip(1, 0);
}

static void test_stream_one_thread_level1(void **state)
{
	(void)state;
	stream_roundtrip(1, 1);
}

static void test_stream_two_threads_level6(void **state)
{
	(void)state;
	stream_roundtrip(6, 2);
}

/* a cell over Excel's limit fails the row and the file */
static void test_stream_refuses_a_huge_cell(void **state)
{
	(void)state;
	char path[] = "/tmp/dj_test_xlsx_stream_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	const char *hdr[] = {"名称"};
	struct xlsx_stream *x = xlsx_stream_open(path, "s", hdr, 1, 1, 1);
	assert_non_null(x);
	char *big = malloc(40000);
	memset(big, 'x', 39999);
	big[39999] = 0;
	const char *ok[] = {"a"}, *bad[] = {big};
	assert_int_equal(xlsx_stream_row(x, ok, 1), 0);
	assert_int_equal(xlsx_stream_row(x, bad, 1), -1);
	assert_int_equal(xlsx_stream_close(x), -1);
	free(big);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xlsx_many_rows_in_order),
		cmocka_unit_test(test_xlsx_refused_cell_fails_the_file),
		cmocka_unit_test(test_stream_inline_level1),
		cmocka_unit_test(test_stream_one_thread_level1),
		cmocka_unit_test(test_stream_two_threads_level6),
		cmocka_unit_test(test_stream_refuses_a_huge_cell),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
