/* crypto.h: keys and the ciphers over personal data (DESIGN.md §5, SECURITY.md S4,
 * GB/T 39786). Keys live in files under cfg.key_dir (created 0600 on first start, never
 * in the database). Every ciphertext starts with an algorithm id byte so that another
 * algorithm (SM4) can be added later without rewriting stored data.
 *
 * Keys (32 bytes each): data.key (AEAD of personal data), index.key (blind index for
 * equality look-ups), audit.key (the audit hash chain), totp.key (AEAD of TOTP secrets
 * is data.key with its own associated data; no separate key). */
#ifndef DJ_CRYPTO_H
#define DJ_CRYPTO_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;

enum dj_key { DJ_KEY_DATA, DJ_KEY_INDEX, DJ_KEY_AUDIT, DJ_KEY__MAX };

enum dj_alg {
	DJ_ALG_XCHACHA20POLY1305 = 1, /* libsodium crypto_aead_xchacha20poly1305_ietf */
	DJ_ALG__MAX
};

#define DJ_BLIND_LEN 16 /* bytes of a blind index */
#define DJ_MAC_LEN 32   /* bytes of an audit chain link */

/* Loads the keys from dir, creating the directory (0700) and missing keys (0600).
 * Idempotent; thread-safe after the first call returns. 0, or -1 with why. */
int dj_crypto_init(const char *dir, char *why, size_t whylen);
bool dj_crypto_ready(void);

/* Seals plain (len bytes) with the data key. ad binds the ciphertext to its place
 * (e.g. "member.id_number"): a ciphertext moved to another column fails to open.
 * Returns an arena-owned blob of *outlen bytes: alg id, nonce, ciphertext and tag. */
unsigned char *dj_seal(struct arena *a, const void *plain, size_t len, const char *ad, size_t *outlen);
/* Opens a blob from dj_seal with the same ad. Returns arena-owned NUL-terminated
 * plaintext (length in *outlen when not NULL), or NULL when the blob was altered,
 * truncated, of an unknown algorithm or sealed with another key. */
char *dj_open(struct arena *a, const unsigned char *blob, size_t bloblen, const char *ad, size_t *outlen);
/* How many times dj_open was called in this process (tests: a list page opens none). */
uint64_t dj_open_count(void);

/* Keyed BLAKE2b of value under the index key, domain-separated by purpose
 * ("member.id_number"): equal values give equal indexes, and without the key nothing
 * about the value can be learned. out gets DJ_BLIND_LEN bytes. */
void dj_blind_index(const char *purpose, const void *value, size_t len, unsigned char out[DJ_BLIND_LEN]);

/* Keyed BLAKE2b (audit key) over prev || msg: one link of the audit chain. */
void dj_chain_mac(const unsigned char prev[DJ_MAC_LEN], const void *msg, size_t len, unsigned char out[DJ_MAC_LEN]);

/* n random bytes as URL-safe base64 without padding, arena-owned (tokens, passwords). */
char *dj_random_token(struct arena *a, size_t nbytes);
#endif
