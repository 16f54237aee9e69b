/* prng.c: see prng.h (Blackman and Vigna, public domain algorithms). */
#include "core/prng.h"

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void prng_seed(struct prng *p, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		p->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t prng_next(struct prng *p)
{
	uint64_t *s = p->s;
	uint64_t r = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return r;
}

uint64_t prng_below(struct prng *p, uint64_t n)
{
	uint64_t lim = -n % n; /* 2^64 mod n */
	for (;;) {
		uint64_t x = prng_next(p);
		if (x >= lim)
			return x % n;
	}
}

int64_t prng_range(struct prng *p, int64_t lo, int64_t hi)
{
	return lo + (int64_t)prng_below(p, (uint64_t)(hi - lo) + 1);
}

int prng_chance(struct prng *p, unsigned pct)
{
	return prng_below(p, 100) < pct;
}

unsigned prng_weighted(struct prng *p, const unsigned *weights, unsigned n)
{
	uint64_t total = 0;
	for (unsigned i = 0; i < n; i++)
		total += weights[i];
	uint64_t x = prng_below(p, total ? total : 1);
	for (unsigned i = 0; i < n; i++) {
		if (x < weights[i])
			return i;
		x -= weights[i];
	}
	return n - 1;
}
