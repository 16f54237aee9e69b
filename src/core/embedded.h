/* embedded.h: files carried inside the binary (migrations, data lists), written by
 * tools/embed at build time. */
#ifndef DJ_EMBEDDED_H
#define DJ_EMBEDDED_H
#include <stddef.h>

struct embedded_file {
	const char *name; /* path as given at build time, e.g. "sql/sqlite/0001_core.sql" */
	const char *data; /* NUL-terminated, len bytes before the NUL */
	size_t len;
};

/* Terminated by an entry whose name is NULL. */
extern const struct embedded_file embedded_files[];

/* The embedded file with this exact name, or NULL. */
const struct embedded_file *embedded_find(const char *name);
#endif
