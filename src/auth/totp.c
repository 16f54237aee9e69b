/* totp.c: RFC 6238 codes via liboath; see totp.h. */
#include "auth/totp.h"
#include <liboath/oath.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static void init_oath(void)
{
	oath_init();
}

void totp_new_secret(unsigned char secret[TOTP_SECRET_LEN])
{
	randombytes_buf(secret, TOTP_SECRET_LEN);
}

int totp_base32(const unsigned char secret[TOTP_SECRET_LEN], char *out, size_t outlen)
{
	pthread_once(&once, init_oath);
	char *b32 = NULL;
	size_t len = 0;
	if (oath_base32_encode((const char *)secret, TOTP_SECRET_LEN, &b32, &len) != OATH_OK)
		return -1;
	size_t k = 0;
	for (size_t i = 0; i < len && b32[i] != '='; i++) {
		if (k + 1 >= outlen) {
			free(b32);
			return -1;
		}
		out[k++] = b32[i];
	}
	out[k] = 0;
	free(b32);
	return 0;
}

int totp_code(const unsigned char secret[TOTP_SECRET_LEN], int64_t t, char code[7])
{
	pthread_once(&once, init_oath);
	return oath_totp_generate((const char *)secret, TOTP_SECRET_LEN, (time_t)t, TOTP_STEP, 0, 6, code) == OATH_OK
		       ? 0
		       : -1;
}

int64_t totp_check(const unsigned char secret[TOTP_SECRET_LEN], const char *code, int64_t now, int64_t last_step)
{
	if (!code || strlen(code) != 6)
		return -1;
	int64_t found = -1;
	for (int off = -1; off <= 1; off++) {
		char want[7];
		int64_t t = now + off * TOTP_STEP;
		if (totp_code(secret, t, want) != 0)
			return -1;
		if (sodium_memcmp(want, code, 6) == 0 && t / TOTP_STEP > last_step)
			found = t / TOTP_STEP;
	}
	return found;
}
