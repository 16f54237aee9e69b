/* password.h: password verifiers, the password policy and one-time passwords
 * (DESIGN.md §5, SECURITY.md S5, S6). Verifiers are libsodium Argon2id strings with at
 * least 19 MiB and 2 passes and a random 16-byte salt; the parameters come from
 * cfg.pwhash_mem_kib / cfg.pwhash_ops, never below those floors. */
#ifndef DJ_PASSWORD_H
#define DJ_PASSWORD_H
#include <stdbool.h>
#include <stddef.h>

#define PASSWORD_MAX_CHARS 128
#define PASSWORD_HASH_LEN 128 /* crypto_pwhash_STRBYTES */

/* Hashes password into out (PASSWORD_HASH_LEN bytes, NUL-terminated). 0, or -1 when
 * libsodium could not get the memory. */
int password_hash(const char *password, char out[PASSWORD_HASH_LEN]);
/* Verifies password against a stored verifier; NULL verifier means "no such user":
 * a dummy verifier of the same cost is checked instead, so that both answers take the
 * same time (S6). True only for a real verifier that matches. */
bool password_verify(const char *verifier, const char *password);
/* True when the verifier was made with weaker parameters than configured now. */
bool password_needs_rehash(const char *verifier);

/* The configured policy (cfg.password_policy: dengbao or asvs) applied to a new
 * password. Returns NULL when acceptable, else a stable code (password_too_short,
 * password_too_long, password_too_weak, password_common, password_contains_username)
 * and sets *message to a Chinese explanation (static). */
const char *password_policy_check(const char *password, const char *username, const char **message);
/* True when the password (compared case-insensitively) is on the bundled list of
 * common passwords (data/common-passwords.txt). */
bool password_is_common(const char *password);
/* A random one-time password of 16 characters from an unambiguous alphabet with
 * upper, lower case and digits, into out[17]. */
void password_one_time(char out[17]);
/* True when cfg.password_policy is asvs (else dengbao). */
bool password_policy_asvs(void);
/* UTF-8 code points in s. */
size_t password_chars(const char *s);
#endif
