/* text.c: see text.h. */
#include "core/text.h"
#include "core/arena.h"
#include <string.h>

const char *text_like_contains(struct arena *a, const char *s)
{
	if (!s || !*s)
		return NULL;
	char *out = arena_alloc(a, 2 * strlen(s) + 3), *o = out;
	*o++ = '%';
	for (const char *p = s; *p; p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			*o++ = '\\';
		*o++ = *p;
	}
	*o++ = '%';
	*o = 0;
	return out;
}
