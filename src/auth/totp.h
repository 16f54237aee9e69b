/* totp.h: the second factor (RFC 6238 through liboath: HMAC-SHA1, 6 digits, 30 s),
 * required for the administrator roles (SECURITY.md S8). Secrets are 20 random bytes,
 * stored sealed (dj_seal, ad "user.totp"); a code is accepted one step either side of
 * now, and never twice (the caller keeps the last accepted step). */
#ifndef DJ_TOTP_H
#define DJ_TOTP_H
#include <stddef.h>
#include <stdint.h>

#define TOTP_SECRET_LEN 20
#define TOTP_STEP 30

/* A new random secret. */
void totp_new_secret(unsigned char secret[TOTP_SECRET_LEN]);
/* Base32 (RFC 4648, no padding) of the secret into out (at least 33 bytes). 0 or -1. */
int totp_base32(const unsigned char secret[TOTP_SECRET_LEN], char *out, size_t outlen);
/* The 6-digit code for time t into code[7]. 0 or -1. */
int totp_code(const unsigned char secret[TOTP_SECRET_LEN], int64_t t, char code[7]);
/* Checks code at time now (±1 step), constant time per candidate. Returns the matched
 * time step (now/30 + offset) when it is after last_step, else -1 (wrong or replayed). */
int64_t totp_check(const unsigned char secret[TOTP_SECRET_LEN], const char *code, int64_t now, int64_t last_step);
#endif
