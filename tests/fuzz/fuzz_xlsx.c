/* fuzz_xlsx.c: the xlsx reader (src/core/sheet_xlsx.c): zip container and XML parts. */
#include "core/sheet.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int row(void *ctx, long rowno, const char *const *cells, size_t n)
{
	size_t *total = ctx;
	for (size_t i = 0; i < n; i++)
		*total += strlen(cells[i]);
	return rowno > 100000;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t total = 0;
	char why[256];
	sheet_xlsx(data, size, row, &total, why, sizeof why);
	struct date d;
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = 0;
	sheet_serial_date(s, &d);
	free(s);
	return 0;
}
