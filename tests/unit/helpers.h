/* helpers.h: what the unit tests share (test_sheet.c, test_sheet_write.c,
 * test_xlsx_stream.c, test_image.c): a file read whole, texts of a given length in
 * Excel's UTF-16 units; header-only, after cmocka.h. */
#ifndef DJ_TEST_HELPERS_H
#define DJ_TEST_HELPERS_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The file at path, whole (malloc'd, NUL-terminated past *len bytes). */
static inline char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *p = malloc((size_t)n + 1);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	p[n] = 0;
	fclose(f);
	*len = (size_t)n;
	return p;
}

/* n UTF-16 units of Chinese text (malloc'd): "党" (U+515A, 1 unit, 3 bytes) and one
 * "𠀀" (U+20000, outside the BMP: 2 units, 4 bytes) in the middle */
static inline char *chinese_units(size_t n)
{
	char *t = malloc(n * 3 + 8), *w = t;
	assert_non_null(t);
	for (size_t u = 0; u < n;) {
		if (u == n / 2 && n - u >= 2) {
			memcpy(w, "\xF0\xA0\x80\x80", 4);
			w += 4;
			u += 2;
		} else {
			memcpy(w, "\xE5\x85\x9A", 3);
			w += 3;
			u++;
		}
	}
	*w = 0;
	return t;
}
#endif
