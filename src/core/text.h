/* text.h: small text helpers shared by several layers, so that each exists once. */
#ifndef DJ_TEXT_H
#define DJ_TEXT_H
struct arena;

/* "contains s" as a LIKE pattern for `LIKE $n ESCAPE '\'`: %, _ and \ escaped, wrapped
 * in %…%. NULL for a NULL or empty s (no filter). Arena-owned. */
const char *text_like_contains(struct arena *a, const char *s);
#endif
