/* wrote.c: see wrote.h. */
#include "core/wrote.h"
#include "core/clock.h"
#include <stdatomic.h>

#define WROTE_SLOTS 1024

/* milliseconds as integers: an atomic maximum per slot */
static _Atomic int64_t last_ms[WROTE_SLOTS];

static unsigned slot(int64_t user_id)
{
	return (unsigned)((uint64_t)user_id % WROTE_SLOTS);
}

void wrote_note(int64_t user_id)
{
	if (user_id <= 0)
		return;
	/* rounded up: a read that began in the same millisecond counts as before it */
	int64_t now = (int64_t)clock_mono_ms() + 1;
	_Atomic int64_t *p = &last_ms[slot(user_id)];
	int64_t old = atomic_load(p);
	while (old < now && !atomic_compare_exchange_weak(p, &old, now))
		;
}

double wrote_last(int64_t user_id)
{
	return user_id > 0 ? (double)atomic_load(&last_ms[slot(user_id)]) : 0;
}
