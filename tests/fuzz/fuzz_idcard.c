/* fuzz_idcard.c: ID-number parsing and masking (src/core/idcard.c) on arbitrary bytes. */
#include "core/idcard.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = 0;
	struct idcard c;
	struct date today = {2026, 11, 29};
	if (idcard_parse(s, today, &c) == IDCARD_OK) {
		/* a parsed number is normalized, valid again and masks to 18 characters */
		if (strlen(c.number) != 18 || idcard_parse(c.number, today, NULL) != IDCARD_OK)
			abort();
		char m[19];
		idcard_mask(c.number, m);
		if (strlen(m) != 18 || memcmp(m + 6, "********", 8) != 0)
			abort();
	}
	char m[19], mm[12];
	idcard_mask(s, m);
	mobile_mask(s, mm);
	free(s);
	return 0;
}
