/* test_docx.c: the DOCX writer (src/core/docx.c) and the PNG encoder (src/core/png.c).
 * A document is read back with libzip and each XML part is parsed with expat: the
 * package has its parts, the text survives escaping, merged cells and images are
 * referenced by relationships that exist. The PNG's scanlines are inflated with zlib
 * and compared with the bitmap. (The forms' tests convert whole documents with
 * LibreOffice.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <expat.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>
#include <zlib.h>

#include "core/docx.h"
#include "core/png.h"

/* The part name of z as a NUL-terminated malloc'd string, or NULL. */
static char *part(zip_t *z, const char *name)
{
	zip_stat_t st;
	if (zip_stat(z, name, 0, &st) != 0)
		return NULL;
	zip_file_t *f = zip_fopen(z, name, 0);
	char *p = malloc(st.size + 1);
	assert_non_null(f);
	assert_non_null(p);
	assert_int_equal(zip_fread(f, p, st.size), (zip_int64_t)st.size);
	zip_fclose(f);
	p[st.size] = 0;
	return p;
}

static int well_formed(const char *xml)
{
	XML_Parser p = XML_ParserCreate("UTF-8");
	int ok = XML_Parse(p, xml, (int)strlen(xml), 1) == XML_STATUS_OK;
	XML_ParserFree(p);
	return ok;
}

static void test_png(void **state)
{
	(void)state;
	unsigned char bits[3 * 2] = {1, 0, 1, 0, 1, 0};
	void *png;
	size_t len;
	assert_int_equal(png_1bit(bits, 3, 2, 2, &png, &len), 0);
	int w, h;
	assert_int_equal(png_size(png, len, &w, &h), 0);
	assert_int_equal(w, (3 + 8) * 2); /* a quiet zone of 4 modules each side */
	assert_int_equal(h, (2 + 8) * 2);
	/* IDAT: inflate and look at module (0,0) → pixel (8,8) black, (1,0) → (10,8) white */
	const unsigned char *b = png;
	uint32_t idat_len = (uint32_t)b[33] << 24 | (uint32_t)b[34] << 16 | (uint32_t)b[35] << 8 | b[36];
	assert_memory_equal(b + 37, "IDAT", 4);
	size_t stride = 1 + ((size_t)w + 7) / 8;
	unsigned char raw[64 * 64];
	uLongf rawlen = sizeof raw;
	assert_int_equal(uncompress(raw, &rawlen, b + 41, idat_len), Z_OK);
	assert_int_equal(rawlen, stride * (size_t)h);
	const unsigned char *row = raw + 8 * stride;
	assert_int_equal(row[1 + 8 / 8] & 0x80, 0);     /* x = 8: black (0) */
	assert_int_not_equal(row[1 + 10 / 8] & 0x20, 0); /* x = 10: white (1) */
	assert_int_not_equal(raw[1] & 0x80, 0);          /* quiet zone white */
	free(png);
	assert_int_equal(png_1bit(bits, 0, 2, 2, &png, &len), -1);
	assert_int_equal(png_size("not a png at all, not at all", 28, &w, &h), -1);
}

static void test_document(void **state)
{
	(void)state;
	struct docx *d = docx_new();
	assert_non_null(d);
	docx_title(d, "发展对象公示");
	docx_para(d, "经支部委员会研究 <决定> & \"公示\"\n第二行\x01", DOCX_INDENT);
	int widths[4] = {20, 30, 20, 30};
	docx_table(d, 4, widths);
	docx_cell(d, "姓名", DOCX_BOLD);
	docx_cell(d, "张三", 0);
	docx_cell(d, "性别", DOCX_BOLD);
	docx_cell(d, "男", 0);
	docx_cell(d, "备注", DOCX_BOLD);
	docx_cell(d, "跨三列", DOCX_SPAN(3));
	docx_cell(d, "未满的一行", 0);
	docx_table_end(d);
	unsigned char bits[21 * 21];
	for (int i = 0; i < 21 * 21; i++)
		bits[i] = (unsigned char)(i % 3 == 0);
	void *png;
	size_t plen;
	assert_int_equal(png_1bit(bits, 21, 21, 4, &png, &plen), 0);
	docx_image_png(d, png, plen, 30, DOCX_RIGHT);
	free(png);
	docx_page_break(d);
	docx_para(d, "中共某某支部委员会", DOCX_RIGHT);
	void *out;
	size_t len;
	assert_int_equal(docx_finish(d, &out, &len), 0);
	docx_free(d);

	zip_error_t ze;
	zip_error_init(&ze);
	zip_source_t *src = zip_source_buffer_create(out, len, 0, &ze);
	zip_t *z = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
	assert_non_null(z);
	assert_string_equal(zip_get_name(z, 0, 0), "[Content_Types].xml");
	const char *parts[] = {"[Content_Types].xml", "_rels/.rels", "word/document.xml", "word/styles.xml",
			       "word/settings.xml", "word/_rels/document.xml.rels"};
	char *doc = NULL, *rels = NULL;
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		char *p = part(z, parts[i]);
		assert_non_null(p);
		assert_true(well_formed(p));
		if (i == 2)
			doc = p;
		else if (i == 5)
			rels = p;
		else
			free(p);
	}
	assert_non_null(strstr(doc, "经支部委员会研究 &lt;决定&gt; &amp; &quot;公示&quot;</w:t><w:br/>"));
	assert_null(strchr(doc, '\x01'));
	assert_non_null(strstr(doc, "<w:gridSpan w:val=\"3\"/>"));
	assert_non_null(strstr(doc, "未满的一行"));
	/* the short row was closed with empty cells: 3 rows of 4 grid columns */
	int rows = 0;
	for (const char *p = doc; (p = strstr(p, "<w:tr>")); p++)
		rows++;
	assert_int_equal(rows, 3);
	assert_non_null(strstr(doc, "r:embed=\"rIdImg1\""));
	assert_non_null(strstr(rels, "Id=\"rIdImg1\""));
	assert_non_null(strstr(rels, "media/image1.png"));
	zip_stat_t st;
	assert_int_equal(zip_stat(z, "word/media/image1.png", 0, &st), 0);
	assert_int_equal(st.size, plen);
	free(doc);
	free(rels);
	zip_close(z);
	free(out);
}

static void test_refusals(void **state)
{
	(void)state;
	struct docx *d = docx_new();
	docx_para(d, "x", 0);
	docx_image_png(d, "not a png", 9, 30, 0);
	void *out;
	size_t len;
	assert_int_equal(docx_finish(d, &out, &len), -1);
	assert_null(out);
	docx_free(d);
	d = docx_new();
	docx_cell(d, "no table", 0);
	assert_int_equal(docx_finish(d, &out, &len), -1);
	docx_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_png),
		cmocka_unit_test(test_document),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
