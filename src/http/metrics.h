/* metrics.h: request counters for GET /metrics (Prometheus text format 0.0.4). Lock-free
 * atomics; observing costs a few increments. */
#ifndef DJ_METRICS_H
#define DJ_METRICS_H
#include <stddef.h>

struct arena;

/* Sizes the per-route counters; call after router_init. */
int metrics_init(size_t nroutes);
/* route_index -1 counts as "unmatched" (static files, 404s). */
void metrics_observe(int route_index, int status, double ms);
void metrics_inflight_add(int delta);
long metrics_inflight(void);
/* The exposition text, arena-owned. */
const char *metrics_render(struct arena *a, size_t *len);
#endif
