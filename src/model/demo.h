/* demo.h: the demo district generator (see demo.c). */
#ifndef DJ_DEMO_H
#define DJ_DEMO_H
#include "db/db.h"
#include <stdint.h>
#include <stdio.h>

/* Builds norgs organizations (under one street, or with streets > 0 under a district
 * committee over that many streets) and nmembers members into an empty database in one
 * transaction; prints a summary to out. 0, or -1 after printing why to stderr. */
int demo_build(struct db *db, int64_t norgs, int64_t nmembers, uint64_t seed, int streets, FILE *out);
#endif
