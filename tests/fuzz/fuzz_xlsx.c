/* fuzz_xlsx.c: the xlsx reader (src/core/sheet_xlsx.c): zip container and XML parts.
 * Differential: the fast scanner (with its fall-back to expat) and expat alone must
 * deliver the same rows and the same outcome for every input. */
#include "core/sheet.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* a running hash of every row delivered */
static int row(void *ctx, long rowno, const char *const *cells, size_t n)
{
	uint64_t *h = ctx;
	*h = (*h ^ (uint64_t)rowno) * 1099511628211u;
	for (size_t i = 0; i < n; i++)
		for (const char *c = cells[i];; c++) {
			*h = (*h ^ (unsigned char)*c) * 1099511628211u;
			if (!*c)
				break;
		}
	return rowno > 100000;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t h1 = 14695981039346656037u, h2 = h1;
	char why1[256] = "", why2[256] = "";
	int rc1 = sheet_xlsx(data, size, row, &h1, why1, sizeof why1);
	sheet_xlsx_expat_only = true;
	int rc2 = sheet_xlsx(data, size, row, &h2, why2, sizeof why2);
	sheet_xlsx_expat_only = false;
	if (rc1 != rc2 || h1 != h2 || strcmp(why1, why2) != 0) {
		fprintf(stderr, "fast reader and expat differ: %d/%d %s/%s\n", rc1, rc2, why1, why2);
		abort();
	}
	struct date d;
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = 0;
	sheet_serial_date(s, &d);
	free(s);
	return 0;
}
