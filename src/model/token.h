/* token.h: secrets handed out once and kept only as their keyed hash (the blind index
 * of core/crypto.h under a purpose), so that the database alone opens nothing: the
 * bases' calendar feeds and check-in codes, the Open311 API keys, the service requests'
 * follow codes and rating links. (Sessions keep their own unkeyed hash: model/user.c.) */
#ifndef DJ_TOKEN_H
#define DJ_TOKEN_H
#include "core/arena.h"
#include "core/crypto.h"
#include <stdbool.h>
#include <stddef.h>

/* A new token: prefix (NULL: none) and nbytes random bytes as URL-safe base64, and the
 * keyed hash of the whole token under purpose in hash. Arena-owned. */
char *token_new(struct arena *a, const char *prefix, size_t nbytes, const char *purpose,
		unsigned char hash[DJ_BLIND_LEN]);
/* A new code of len characters drawn uniformly from alphabet (a person types it: an
 * alphabet without look-alikes), with its keyed hash under purpose. Arena-owned. */
char *token_code_new(struct arena *a, const char *alphabet, size_t len, const char *purpose,
		     unsigned char hash[DJ_BLIND_LEN]);
/* The keyed hash of token under purpose (what the database is asked for). */
void token_hash(const char *purpose, const char *token, unsigned char hash[DJ_BLIND_LEN]);
/* Two stored hashes equal, in constant time; false when either is missing. */
bool token_hash_equal(const unsigned char *a, const unsigned char *b);
/* A token that carries its own proof, "<head>.<hex of head's keyed hash under purpose>",
 * into out (cap ≥ strlen(head) + 34), and whether token is one such whole. */
void token_sign(const char *purpose, const char *head, char *out, size_t cap);
bool token_signed_valid(const char *purpose, const char *token);
#endif
