/* sign.h: the pieces the SMS providers' request signatures are made of (issue 16):
 * SHA-1 and HMAC-SHA1 (Alibaba Cloud's RPC signature; libsodium has no SHA-1),
 * HMAC-SHA256 and SHA-256 in hex (Tencent Cloud's TC3-HMAC-SHA256, over libsodium),
 * Base64, and RFC 3986 percent-encoding as Alibaba Cloud specifies it (unreserved
 * A-Z a-z 0-9 - _ . ~ kept, everything else %XX in upper case, space as %20).
 * Whole signatures are built in src/jobs/channel_sms.c. */
#ifndef DJ_SIGN_H
#define DJ_SIGN_H
#include <stddef.h>
#include <stdint.h>

struct arena;

void sign_sha1(const void *data, size_t len, unsigned char out[20]);
void sign_hmac_sha1(const void *key, size_t keylen, const void *data, size_t len, unsigned char out[20]);
void sign_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len, unsigned char out[32]);
/* Lower-case hex of SHA-256(data) into out[65]. */
void sign_sha256_hex(const void *data, size_t len, char out[65]);
/* Lower-case hex of n bytes, arena-owned. */
char *sign_hex(struct arena *a, const unsigned char *p, size_t n);
/* Standard Base64 with padding, arena-owned. */
char *sign_base64(struct arena *a, const unsigned char *p, size_t n);
/* RFC 3986 percent-encoding of s, arena-owned. */
char *sign_percent(struct arena *a, const char *s);
#endif
