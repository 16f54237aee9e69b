/* revcache.h: a small cache of figures computed over an organization subtree at a
 * revision of the members (0040_member_counts, 0042_stats_revision). The revision rises
 * in the same transaction as every write that changes such a figure, so a result is
 * exact for every snapshot at its (epoch, rev) — and, for figures that age, its day.
 * Fixed slots, overwritten in turn, one mutex; a prefix too long to keep is not kept.
 * A look-up compares one 64-bit hash of the whole key per slot (a contiguous array: 4 KiB
 * for 512 slots), and the key itself only where the hash matches.
 * Used for list totals (member_query.c) and statistics (stats.c).
 *
 * Below, the texts of answers that take long to compute (the dashboard, the indicator
 * table): single-flight and stale-while-rebuild. See revtext_get. */
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
	uint64_t *hash;        /* n hashes of the slots' keys (0: unused) */
};

/* A cache named name of n values of type, at file scope. */
#define REVCACHE_DEFINE(name, n_, type)                                                                         \
	static struct revcache_slot name##_slots[n_];                                                         \
	static type name##_values[n_];                                                                        \
	static uint64_t name##_hash[n_];                                                                      \
	static struct revcache name = {PTHREAD_MUTEX_INITIALIZER, (n_), 0, sizeof(type), name##_slots,        \
				       (unsigned char *)name##_values, name##_hash}

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

/* ---- computed texts: single flight, stale while one rebuilds ---------------------------
 * A text is kept under a key (what it was computed over: the scope, the day, the
 * caller where permissions shape it) with the revisions it was computed at (up to
 * REVTEXT_REVS: the members' epoch and revision, …) and when its computation began.
 * It is current while the revisions are the same and it is younger than the ask's
 * ttl_ms (the figures no revision covers may be that old: replica_max_lag_ms, what an
 * RF_REPLICA read may already be behind). When it is not current, the first request to
 * see that rebuilds it (REVTEXT_BUILD) and, meanwhile, the others get the text they
 * would have had a moment before (REVTEXT_STALE: the last one computed, never older),
 * except a caller who has written since that text's computation began (core/wrote.h):
 * their own change must show, so they wait for the rebuild in flight, or rebuild
 * themselves if it began before their write. A key seen for the first time has nothing
 * to give: concurrent first requests wait for the one computing it. A rebuild that
 * takes longer than REVTEXT_REBUILD_MS (or whose request failed: revtext_abandon) is
 * taken over by the next request. */
#define REVTEXT_REVS 8
#define REVTEXT_REBUILD_MS 30000.0

struct revtext_entry {
	char key[160];
	int64_t rev[REVTEXT_REVS];
	double began, built; /* clock_mono_ms: the computation's request arrived / it was kept */
	double rebuilding;   /* when a rebuild began, 0 if none */
	char *text;          /* malloc'd, NULL before the first */
	size_t len;
};
struct revtext {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned n, next;
	struct revtext_entry *e;
};
#define REVTEXT_DEFINE(name, n_)                                                                              \
	static struct revtext_entry name##_entries[n_];                                                     \
	static struct revtext name = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, (n_), 0, name##_entries}

struct revtext_ask {
	const char *key;     /* < 160 bytes, else nothing is kept (every request computes) */
	int64_t rev[REVTEXT_REVS]; /* the revisions the request sees (unused ones 0) */
	double ttl_ms;
	double began;        /* when the request arrived (req->t0): before its transaction */
	int64_t user_id;     /* the caller (0: none) */
};
enum revtext_got {
	REVTEXT_HIT,   /* *out is the current text */
	REVTEXT_STALE, /* *out is the text of the revision before, while another rebuilds */
	REVTEXT_BUILD, /* compute it, then revtext_put (or revtext_abandon on failure) */
	REVTEXT_REFRESH /* as REVTEXT_BUILD, and *out is the text the caller may have
			 * meanwhile (as REVTEXT_STALE): a caller that can compute on a
			 * thread of its own answers it at once */
};
/* The text for q (copied into a, NUL-terminated, *len without it), or REVTEXT_BUILD.
 * May wait for another request's computation (see above). */
enum revtext_got revtext_get(struct revtext *c, const struct revtext_ask *q, struct arena *a, char **out,
			     size_t *len);
/* Keeps the text just computed for q (after REVTEXT_BUILD) and wakes the waiters. */
void revtext_put(struct revtext *c, const struct revtext_ask *q, const char *p, size_t len);
/* The computation for q failed: the next request computes; waiters are woken. */
void revtext_abandon(struct revtext *c, const struct revtext_ask *q);
#endif
