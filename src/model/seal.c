/* seal.c: a contact sealed with its blind index and mask (see seal.h). */
#include "model/seal.h"
#include <string.h>

bool seal_contact(struct arena *a, enum seal_kind kind, const char *value, const char *seal_ad,
		  const char *blind_purpose, struct sealed_contact *s)
{
	memset(s, 0, sizeof *s);
	if (!value || !*value)
		return false;
	size_t n = strlen(value);
	s->cipher = dj_seal(a, value, n, seal_ad, &s->len);
	if (blind_purpose)
		dj_blind_index(blind_purpose, value, n, s->blind);
	if (kind == SEAL_ID_NUMBER)
		idcard_mask(value, s->masked);
	else
		mobile_mask(value, s->masked);
	return true;
}
