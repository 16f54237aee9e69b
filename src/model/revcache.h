/* revcache.h: a small cache of figures computed over an organization subtree at a
 * revision of the members (0040_member_counts, 0042_stats_revision). The revision rises
 * in the same transaction as every write that changes such a figure, so a result is
 * exact for every snapshot at its (epoch, rev) — and, for figures that age, its day.
 * Fixed slots, overwritten in turn, one mutex; a prefix too long to keep is not kept.
 * Used for list totals (member_query.c) and statistics (stats.c). */
#ifndef DJ_REVCACHE_H
#define DJ_REVCACHE_H
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct revcache_slot {
	char prefix[96];
	int64_t epoch, rev, day;
	bool used;
};

struct revcache {
	pthread_mutex_t mu;
	unsigned n, next;
	size_t size;
	struct revcache_slot *slots;
	unsigned char *values; /* n values of size bytes */
};

/* A cache named name of n values of type, at file scope. */
#define REVCACHE_DEFINE(name, n_, type)                                                                         \
	static struct revcache_slot name##_slots[n_];                                                         \
	static type name##_values[n_];                                                                        \
	static struct revcache name = {PTHREAD_MUTEX_INITIALIZER, (n_), 0, sizeof(type), name##_slots,        \
				       (unsigned char *)name##_values}

/* Variable-size values (a built answer, as bytes): each slot's value owns a malloc'd
 * copy, replaced when the slot is reused; a hit is copied out under the lock. */
struct revcache_blob {
	char *p;
	size_t len;
};
#define REVCACHE_BLOB_DEFINE(name, n_) REVCACHE_DEFINE(name, n_, struct revcache_blob)
struct arena;

/* Copies the value kept for the key into out; false when there is none. */
bool revcache_get(struct revcache *c, const char *prefix, int64_t epoch, int64_t rev, int64_t day, void *out);
/* Keeps value for the key, in place of the oldest. */
void revcache_put(struct revcache *c, const char *prefix, int64_t epoch, int64_t rev, int64_t day, const void *value);
/* The same for a cache of REVCACHE_BLOB_DEFINE: the bytes kept, copied into a (with a
 * terminating NUL not counted in *len) / a copy of p kept (false: not kept, no memory). */
bool revcache_get_blob(struct revcache *c, const char *prefix, int64_t epoch, int64_t rev, int64_t day,
		       struct arena *a, char **out, size_t *len);
bool revcache_put_blob(struct revcache *c, const char *prefix, int64_t epoch, int64_t rev, int64_t day,
		       const char *p, size_t len);
#endif
