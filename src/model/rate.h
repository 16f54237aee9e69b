/* rate.h: fixed-window hit counters per key in the database (svc_rate, 0085), so that
 * every server on one database counts together: the public service writes (per API key,
 * per address) and the public verification of transfer letters (per address). The
 * in-process limit of the residents' page is api/services_util.c's svc_public_allow. */
#ifndef DJ_RATE_H
#define DJ_RATE_H
#include "db/db.h"
#include <stdint.h>

/* Counts one more hit of key in the window of span seconds that holds now (a window is
 * named by its first second, whatever its span) and gives the window's count after it
 * in *n. The first hit of a window forgets the windows of every key older than two days. */
enum db_rc rate_hit(struct db *db, const char *key, int64_t span, int64_t now, int64_t *n);
#endif
