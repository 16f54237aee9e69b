/* base_util.h: what the bases' handlers share (src/api/bases.c, base_bookings.c): which
 * bases a caller sees and runs, and today's booking window. */
#ifndef DJ_BASE_UTIL_H
#define DJ_BASE_UTIL_H
#include "http/request.h"
#include "model/base.h"
#include <stdbool.h>

/* A base is open to every organization of its district: the caller sees it when one of
 * its scope roots for perm lies in the same tree (the first segment of the paths). */
bool base_visible(const struct request *req, const char *perm, const char *base_org_path);
/* Loads base id when the caller sees it for perm; otherwise 404 (or the database error). */
bool base_load_visible(struct request *req, int64_t id, const char *perm, struct base_rec *b);
/* The caller runs the base: its scope for perm covers the running organization. */
bool base_runs(const struct request *req, const char *perm, const struct base_rec *b);
/* The booking window: the first and last day a booking may be made for today. */
void base_window(struct date *first, struct date *last);
#endif
