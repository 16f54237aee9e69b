/* fuzz_csv.c: the CSV reader (src/core/sheet_csv.c) with encoding detection. */
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
	enum sheet_encoding e;
	sheet_csv((const char *)data, size, row, &total, &e, why, sizeof why);
	return 0;
}
