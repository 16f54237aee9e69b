/* prng.h: a small deterministic generator (xoshiro256** seeded by splitmix64) for
 * demo data and property tests: the same seed gives the same district everywhere.
 * Never for secrets (those come from libsodium's CSPRNG); the C library generator is banned. */
#ifndef DJ_PRNG_H
#define DJ_PRNG_H
#include <stdint.h>

struct prng {
	uint64_t s[4];
};

void prng_seed(struct prng *p, uint64_t seed);
uint64_t prng_next(struct prng *p);
/* Uniform in [0, n) without modulo bias; n > 0. */
uint64_t prng_below(struct prng *p, uint64_t n);
/* Uniform in [lo, hi] inclusive. */
int64_t prng_range(struct prng *p, int64_t lo, int64_t hi);
/* True with probability pct/100. */
int prng_chance(struct prng *p, unsigned pct);
/* An index into weights[0..n) chosen in proportion to the weights. */
unsigned prng_weighted(struct prng *p, const unsigned *weights, unsigned n);
#endif
