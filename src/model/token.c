/* token.c: one-time secrets and their keyed hashes (see token.h). */
#include "model/token.h"
#include <sodium.h>
#include <stdio.h>
#include <string.h>

char *token_new(struct arena *a, const char *prefix, size_t nbytes, const char *purpose,
		unsigned char hash[DJ_BLIND_LEN])
{
	char *t = dj_random_token(a, nbytes);
	if (prefix && *prefix)
		t = arena_printf(a, "%s%s", prefix, t);
	token_hash(purpose, t, hash);
	return t;
}

char *token_code_new(struct arena *a, const char *alphabet, size_t len, const char *purpose,
		     unsigned char hash[DJ_BLIND_LEN])
{
	uint32_t n = (uint32_t)strlen(alphabet);
	char *c = arena_alloc(a, len + 1);
	for (size_t i = 0; i < len; i++)
		c[i] = alphabet[randombytes_uniform(n)];
	c[len] = 0;
	token_hash(purpose, c, hash);
	return c;
}

void token_hash(const char *purpose, const char *token, unsigned char hash[DJ_BLIND_LEN])
{
	dj_blind_index(purpose, token, strlen(token), hash);
}

bool token_hash_equal(const unsigned char *a, const unsigned char *b)
{
	return a && b && sodium_memcmp(a, b, DJ_BLIND_LEN) == 0;
}

void token_sign(const char *purpose, const char *head, char *out, size_t cap)
{
	unsigned char mac[DJ_BLIND_LEN];
	token_hash(purpose, head, mac);
	char hex[DJ_BLIND_LEN * 2 + 1];
	sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
	snprintf(out, cap, "%s.%s", head, hex);
}

bool token_signed_valid(const char *purpose, const char *token)
{
	const char *dot = token ? strrchr(token, '.') : NULL;
	size_t hl = dot ? (size_t)(dot - token) : 0;
	if (!dot || hl == 0 || hl > 64)
		return false;
	char head[65], want[65 + DJ_BLIND_LEN * 2 + 2];
	memcpy(head, token, hl);
	head[hl] = 0;
	token_sign(purpose, head, want, sizeof want);
	return strlen(want) == strlen(token) && sodium_memcmp(want, token, strlen(want)) == 0;
}
