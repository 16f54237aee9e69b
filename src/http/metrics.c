/* metrics.c: see metrics.h. */
#include "http/metrics.h"
#include "core/arena.h"
#include "db/db.h"
#include "http/router.h"
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const int status_codes[] = {200, 201, 202, 204, 206, 301, 302, 304, 400, 401, 403, 404, 405, 408,
				   409, 412, 413, 414, 415, 422, 423, 429, 431, 500, 503, 507, 0};
#define N_STATUS (sizeof status_codes / sizeof status_codes[0]) /* the last counts "other" */
static const double buckets_ms[] = {1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000};
#define N_BUCKETS (sizeof buckets_ms / sizeof buckets_ms[0])

static _Atomic uint64_t *counts; /* (nroutes + 1) × N_STATUS */
static size_t n_rows;
static _Atomic uint64_t hist[N_BUCKETS + 1];
static _Atomic uint64_t hist_sum_us, hist_count;
static _Atomic long inflight;

int metrics_init(size_t nroutes)
{
	n_rows = nroutes + 1;
	counts = calloc(n_rows * N_STATUS, sizeof *counts);
	return counts ? 0 : -1;
}

static size_t status_slot(int status)
{
	for (size_t i = 0; i + 1 < N_STATUS; i++)
		if (status_codes[i] == status)
			return i;
	return N_STATUS - 1;
}

void metrics_observe(int route_index, int status, double ms)
{
	if (counts) {
		size_t row = route_index >= 0 && (size_t)route_index + 1 < n_rows ? (size_t)route_index + 1 : 0;
		atomic_fetch_add_explicit(&counts[row * N_STATUS + status_slot(status)], 1, memory_order_relaxed);
	}
	size_t b = 0;
	while (b < N_BUCKETS && ms > buckets_ms[b])
		b++;
	atomic_fetch_add_explicit(&hist[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&hist_sum_us, (uint64_t)(ms * 1000.0), memory_order_relaxed);
	atomic_fetch_add_explicit(&hist_count, 1, memory_order_relaxed);
}

void metrics_inflight_add(int delta)
{
	atomic_fetch_add(&inflight, delta);
}

long metrics_inflight(void)
{
	return atomic_load(&inflight);
}

struct sb {
	struct arena *a;
	char *buf;
	size_t len, cap;
};

static void sb_put(struct sb *s, const char *str)
{
	size_t n = strlen(str);
	if (s->len + n + 1 > s->cap) {
		size_t ncap = (s->cap + n + 1) * 2;
		char *nb = arena_alloc(s->a, ncap);
		if (s->len)
			memcpy(nb, s->buf, s->len);
		s->buf = nb;
		s->cap = ncap;
	}
	memcpy(s->buf + s->len, str, n + 1);
	s->len += n;
}

const char *metrics_render(struct arena *a, size_t *len)
{
	struct sb s = {a, NULL, 0, 0};
	size_t nr;
	const struct route *routes = router_all(&nr);
	sb_put(&s, "# HELP dj_http_requests_total HTTP requests by route template and status.\n"
		   "# TYPE dj_http_requests_total counter\n");
	for (size_t row = 0; row < n_rows; row++) {
		for (size_t k = 0; k < N_STATUS; k++) {
			uint64_t v = atomic_load_explicit(&counts[row * N_STATUS + k], memory_order_relaxed);
			if (!v)
				continue;
			const char *method = row ? routes[row - 1].method : "*";
			const char *route = row ? routes[row - 1].pattern : "unmatched";
			char code[8];
			if (status_codes[k])
				snprintf(code, sizeof code, "%d", status_codes[k]);
			else
				snprintf(code, sizeof code, "other");
			sb_put(&s, arena_printf(a, "dj_http_requests_total{method=\"%s\",route=\"%s\",status=\"%s\"} %llu\n",
						method, route, code, (unsigned long long)v));
		}
	}
	sb_put(&s, "# HELP dj_http_request_duration_seconds Request latency.\n"
		   "# TYPE dj_http_request_duration_seconds histogram\n");
	uint64_t cum = 0;
	for (size_t b = 0; b <= N_BUCKETS; b++) {
		cum += atomic_load_explicit(&hist[b], memory_order_relaxed);
		if (b < N_BUCKETS)
			sb_put(&s, arena_printf(a, "dj_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
						buckets_ms[b] / 1000.0, (unsigned long long)cum));
		else
			sb_put(&s, arena_printf(a, "dj_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
						(unsigned long long)cum));
	}
	sb_put(&s, arena_printf(a, "dj_http_request_duration_seconds_sum %.6f\n",
				(double)atomic_load(&hist_sum_us) / 1e6));
	sb_put(&s, arena_printf(a, "dj_http_request_duration_seconds_count %llu\n",
				(unsigned long long)atomic_load(&hist_count)));
	sb_put(&s, "# HELP dj_http_requests_in_flight Requests being served.\n# TYPE dj_http_requests_in_flight gauge\n");
	sb_put(&s, arena_printf(a, "dj_http_requests_in_flight %ld\n", metrics_inflight()));
	sb_put(&s, "# HELP dj_db_busy_total Database lock waits that timed out.\n# TYPE dj_db_busy_total counter\n");
	sb_put(&s, arena_printf(a, "dj_db_busy_total %llu\n", (unsigned long long)db_busy_count()));
	*len = s.len;
	return s.buf ? s.buf : "";
}
