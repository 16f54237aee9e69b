/* fuzz_query.c: percent-decoding of paths and query arguments (http_unescape, which
 * libmicrohttpd calls for both) followed by the path check. Invariants: the result is
 * never longer than the input, holds no NUL before its end (%00 becomes 0x01, which
 * static_path_ok refuses), and a path that passes the check has no "." or ".."
 * segment and no control byte. */
#include "http/request.h"
#include "http/static.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = 0;
	size_t in = strlen(s);
	size_t out = http_unescape(s);
	if (out > in || strlen(s) != out)
		abort();
	if (static_path_ok(s)) {
		if (strstr(s, "/../") || strstr(s, "/./") || strchr(s, '\\'))
			abort();
		size_t n = strlen(s);
		if ((n >= 3 && strcmp(s + n - 3, "/..") == 0) || (n >= 2 && strcmp(s + n - 2, "/.") == 0))
			abort();
		for (const char *p = s; *p; p++)
			if ((unsigned char)*p < 0x20)
				abort();
	}
	free(s);
	return 0;
}
