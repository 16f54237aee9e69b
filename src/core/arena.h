/* arena.h: a bump allocator. A request's memory comes from its arena and is released
 * all at once when the request ends, so handlers never free (STYLE.md, lwan/h2o).
 * Allocation failure is not recoverable in a request path: arena_alloc aborts the
 * process only when malloc itself fails (as out-of-memory would anyway). */
#ifndef DJ_ARENA_H
#define DJ_ARENA_H
#include <stdarg.h>
#include <stddef.h>

struct arena;

/* A new arena; free with arena_free. */
struct arena *arena_new(void);
/* Releases the arena and everything allocated from it. NULL is allowed. */
void arena_free(struct arena *a);

/* n bytes, aligned to 16, zeroed. Arena-owned. */
void *arena_alloc(struct arena *a, size_t n);
/* The same, not zeroed: for a buffer written before it is read (core/jsonw.c). */
void *arena_alloc_raw(struct arena *a, size_t n);
/* Copies of strings, arena-owned. arena_strndup copies at most n bytes and adds a NUL. */
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
void *arena_memdup(struct arena *a, const void *p, size_t n);
/* A "contains" pattern for `LIKE $n ESCAPE '\'`: "%q%" with LIKE's own characters
 * (%, _ and \) escaped, arena-owned; NULL for a NULL or empty q. The one LIKE-escape
 * of the code base: every LIKE over user text binds what this returns. */
char *arena_like_contains(struct arena *a, const char *q);
/* printf into the arena (no JSON may be built this way: STYLE.md). */
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *arena_vprintf(struct arena *a, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Bytes handed out so far (for tests and metrics). */
size_t arena_used(const struct arena *a);
#endif
