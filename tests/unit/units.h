/* units.h: texts of a given length in Excel's UTF-16 units, for the cell-limit tests of
 * the sheet readers (test_sheet.c) and the streaming writer (test_xlsx_stream.c);
 * header-only, after cmocka.h. */
#ifndef DJ_TEST_UNITS_H
#define DJ_TEST_UNITS_H
#include <stdlib.h>
#include <string.h>

/* n UTF-16 units of Chinese text (malloc'd): "党" (U+515A, 1 unit, 3 bytes) and one
 * "𠀀" (U+20000, outside the BMP: 2 units, 4 bytes) in the middle */
static char *chinese_units(size_t n)
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
