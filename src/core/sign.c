/* sign.c: see sign.h. SHA-1 after FIPS 180-4 §6.1. */
#include "core/sign.h"
#include "core/arena.h"
#include <sodium.h>
#include <string.h>

#define ROL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))

static void sha1_block(uint32_t h[5], const unsigned char *p)
{
	uint32_t w[80];
	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 80; i++)
		w[i] = ROL(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
	for (int i = 0; i < 80; i++) {
		uint32_t f, k;
		if (i < 20) {
			f = (b & c) | (~b & d);
			k = 0x5A827999;
		} else if (i < 40) {
			f = b ^ c ^ d;
			k = 0x6ED9EBA1;
		} else if (i < 60) {
			f = (b & c) | (b & d) | (c & d);
			k = 0x8F1BBCDC;
		} else {
			f = b ^ c ^ d;
			k = 0xCA62C1D6;
		}
		uint32_t t = ROL(a, 5) + f + e + k + w[i];
		e = d;
		d = c;
		c = ROL(b, 30);
		b = a;
		a = t;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}

/* SHA-1 over the concatenation of two buffers (HMAC's inner and outer hashes). */
static void sha1_two(const void *d1, size_t l1, const void *d2, size_t l2, unsigned char out[20])
{
	uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
	unsigned char buf[64];
	size_t used = 0;
	uint64_t total = (uint64_t)(l1 + l2);
	const unsigned char *parts[2] = {d1, d2};
	size_t lens[2] = {l1, l2};
	for (int k = 0; k < 2; k++) {
		const unsigned char *p = parts[k];
		size_t l = lens[k];
		while (l) {
			size_t take = 64 - used < l ? 64 - used : l;
			memcpy(buf + used, p, take);
			used += take;
			p += take;
			l -= take;
			if (used == 64) {
				sha1_block(h, buf);
				used = 0;
			}
		}
	}
	buf[used++] = 0x80;
	if (used > 56) {
		memset(buf + used, 0, 64 - used);
		sha1_block(h, buf);
		used = 0;
	}
	memset(buf + used, 0, 56 - used);
	uint64_t bits = total * 8;
	for (int i = 0; i < 8; i++)
		buf[63 - i] = (unsigned char)(bits >> (8 * i));
	sha1_block(h, buf);
	for (int i = 0; i < 5; i++) {
		out[4 * i] = (unsigned char)(h[i] >> 24);
		out[4 * i + 1] = (unsigned char)(h[i] >> 16);
		out[4 * i + 2] = (unsigned char)(h[i] >> 8);
		out[4 * i + 3] = (unsigned char)h[i];
	}
}

void sign_sha1(const void *data, size_t len, unsigned char out[20])
{
	sha1_two(data, len, "", 0, out);
}

void sign_hmac_sha1(const void *key, size_t keylen, const void *data, size_t len, unsigned char out[20])
{
	unsigned char k[64] = {0}, ipad[64], opad[64], inner[20];
	if (keylen > 64)
		sign_sha1(key, keylen, k);
	else
		memcpy(k, key, keylen);
	for (int i = 0; i < 64; i++) {
		ipad[i] = k[i] ^ 0x36;
		opad[i] = k[i] ^ 0x5c;
	}
	sha1_two(ipad, 64, data, len, inner);
	sha1_two(opad, 64, inner, 20, out);
	sodium_memzero(k, sizeof k);
}

void sign_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len, unsigned char out[32])
{
	crypto_auth_hmacsha256_state s;
	crypto_auth_hmacsha256_init(&s, key, keylen);
	crypto_auth_hmacsha256_update(&s, data, len);
	crypto_auth_hmacsha256_final(&s, out);
}

void sign_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char h[32];
	crypto_hash_sha256(h, data, len);
	sodium_bin2hex(out, 65, h, 32);
}

char *sign_hex(struct arena *a, const unsigned char *p, size_t n)
{
	char *s = arena_alloc(a, n * 2 + 1);
	sodium_bin2hex(s, n * 2 + 1, p, n);
	return s;
}

char *sign_base64(struct arena *a, const unsigned char *p, size_t n)
{
	size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
	char *s = arena_alloc(a, cap);
	sodium_bin2base64(s, cap, p, n, sodium_base64_VARIANT_ORIGINAL);
	return s;
}

char *sign_percent(struct arena *a, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s);
	char *out = arena_alloc(a, n * 3 + 1), *o = out;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		    *p == '_' || *p == '.' || *p == '~') {
			*o++ = (char)*p;
		} else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = 0;
	return out;
}
