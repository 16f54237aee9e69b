/* clock.h: the platform's notion of now. Tests of time-based rules (lockouts, session
 * timeouts, term alerts) shift it with clock_set_offset, which only the test-mode
 * route can reach (config test_mode). */
#ifndef DJ_CLOCK_H
#define DJ_CLOCK_H
#include <stdint.h>

/* Unix seconds, shifted by the test offset. */
int64_t clock_now(void);
/* Milliseconds since an arbitrary start, monotonic, never shifted (for latency). */
double clock_mono_ms(void);
/* Today's date as YYYY-MM-DD (local time of the deployment: Asia/Shanghai by default) into buf[11]. */
void clock_today(char buf[11]);
/* Test mode only: shifts clock_now by seconds. */
void clock_set_offset(int64_t seconds);
int64_t clock_get_offset(void);
/* RFC 3339 UTC of a Unix time into buf[21]: 2026-11-29T11:23:48Z. */
void clock_rfc3339(int64_t t, char buf[21]);
#endif
