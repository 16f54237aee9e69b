/* crypto.c: see crypto.h. libsodium does the cryptography; this file owns the keys. */
#include "core/crypto.h"
#include "core/arena.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const key_files[DJ_KEY__MAX] = {"data.key", "index.key", "audit.key"};
static unsigned char keys[DJ_KEY__MAX][32];
static bool ready;
static pthread_mutex_t init_mu = PTHREAD_MUTEX_INITIALIZER;

static int load_or_create(const char *dir, const char *name, unsigned char key[32], char *why, size_t whylen)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0) {
		struct stat st;
		ssize_t n = -1;
		if (fstat(fd, &st) == 0 && st.st_size == 32)
			n = read(fd, key, 32);
		close(fd);
		if (n != 32) {
			snprintf(why, whylen, "key file %s is not 32 bytes", path);
			return -1;
		}
		if (st.st_mode & 077) {
			snprintf(why, whylen, "key file %s is readable by others (chmod 400)", path);
			return -1;
		}
		return 0;
	}
	if (errno != ENOENT) {
		snprintf(why, whylen, "cannot read key file %s: %s", path, strerror(errno));
		return -1;
	}
	randombytes_buf(key, 32);
	/* 0400 (S25): nothing writes a key after this; the open descriptor may still write */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0400);
	if (fd < 0) {
		snprintf(why, whylen, "cannot create key file %s: %s", path, strerror(errno));
		return -1;
	}
	ssize_t n = write(fd, key, 32);
	struct stat st;
	int ok = n == 32 && fsync(fd) == 0 && fstat(fd, &st) == 0 && (st.st_mode & 0777) == 0400;
	close(fd);
	if (!ok) {
		unlink(path);
		snprintf(why, whylen, "cannot write key file %s", path);
		return -1;
	}
	return 0;
}

int dj_crypto_init(const char *dir, char *why, size_t whylen)
{
	pthread_mutex_lock(&init_mu);
	int rc = 0;
	if (!ready) {
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			snprintf(why, whylen, "cannot create key directory %s: %s", dir, strerror(errno));
			rc = -1;
		}
		for (int k = 0; rc == 0 && k < DJ_KEY__MAX; k++)
			rc = load_or_create(dir, key_files[k], keys[k], why, whylen);
		ready = rc == 0;
	}
	pthread_mutex_unlock(&init_mu);
	return rc;
}

bool dj_crypto_ready(void)
{
	return ready;
}

#define NONCE_LEN crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_LEN crypto_aead_xchacha20poly1305_ietf_ABYTES

unsigned char *dj_seal(struct arena *a, const void *plain, size_t len, const char *ad, size_t *outlen)
{
	size_t total = 1 + NONCE_LEN + len + TAG_LEN;
	unsigned char *out = arena_alloc(a, total);
	out[0] = DJ_ALG_XCHACHA20POLY1305;
	randombytes_buf(out + 1, NONCE_LEN);
	unsigned long long clen = 0;
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + 1 + NONCE_LEN, &clen, plain, len, (const unsigned char *)ad,
						   ad ? strlen(ad) : 0, NULL, out + 1, keys[DJ_KEY_DATA]);
	*outlen = 1 + NONCE_LEN + (size_t)clen;
	return out;
}

/* dj_open's calls, for the tests that a list page opens nothing (one relaxed atomic
 * add next to an AEAD open) */
static _Atomic uint64_t opens;

uint64_t dj_open_count(void)
{
	return atomic_load_explicit(&opens, memory_order_relaxed);
}

char *dj_open(struct arena *a, const unsigned char *blob, size_t bloblen, const char *ad, size_t *outlen)
{
	atomic_fetch_add_explicit(&opens, 1, memory_order_relaxed);
	if (!blob || bloblen < 1 + NONCE_LEN + TAG_LEN || blob[0] != DJ_ALG_XCHACHA20POLY1305)
		return NULL;
	size_t clen = bloblen - 1 - NONCE_LEN;
	char *out = arena_alloc(a, clen - TAG_LEN + 1);
	unsigned long long mlen = 0;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt((unsigned char *)out, &mlen, NULL, blob + 1 + NONCE_LEN, clen,
						       (const unsigned char *)ad, ad ? strlen(ad) : 0, blob + 1,
						       keys[DJ_KEY_DATA]) != 0)
		return NULL;
	out[mlen] = 0;
	if (outlen)
		*outlen = (size_t)mlen;
	return out;
}

void dj_blind_index(const char *purpose, const void *value, size_t len, unsigned char out[DJ_BLIND_LEN])
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, keys[DJ_KEY_INDEX], 32, DJ_BLIND_LEN);
	crypto_generichash_update(&st, (const unsigned char *)purpose, strlen(purpose) + 1);
	crypto_generichash_update(&st, value, len);
	crypto_generichash_final(&st, out, DJ_BLIND_LEN);
}

void dj_chain_mac(const unsigned char prev[DJ_MAC_LEN], const void *msg, size_t len, unsigned char out[DJ_MAC_LEN])
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, keys[DJ_KEY_AUDIT], 32, DJ_MAC_LEN);
	crypto_generichash_update(&st, prev, DJ_MAC_LEN);
	crypto_generichash_update(&st, msg, len);
	crypto_generichash_final(&st, out, DJ_MAC_LEN);
}

char *dj_random_token(struct arena *a, size_t nbytes)
{
	unsigned char buf[64];
	if (nbytes > sizeof buf)
		nbytes = sizeof buf;
	randombytes_buf(buf, nbytes);
	size_t cap = sodium_base64_ENCODED_LEN(nbytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *s = arena_alloc(a, cap);
	sodium_bin2base64(s, cap, buf, nbytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(buf, sizeof buf);
	return s;
}
