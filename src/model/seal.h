/* seal.h: one contact (an ID number or a mobile) sealed as the roster seals its
 * members' (model/member.c): the AEAD ciphertext under its purpose, the keyed blind
 * index for exact look-ups, and the mask that lists show. Shared by members, service
 * requests, transfers and the development records; no database. */
#ifndef DJ_SEAL_H
#define DJ_SEAL_H
#include "core/arena.h"
#include "core/crypto.h"
#include "core/idcard.h"
#include <stdbool.h>
#include <stddef.h>

enum seal_kind { SEAL_ID_NUMBER, SEAL_MOBILE };

struct sealed_contact {
	unsigned char *cipher; /* arena-owned; NULL for an empty value */
	size_t len;
	unsigned char blind[DJ_BLIND_LEN]; /* zero unless a blind purpose was given */
	char masked[IDCARD_LEN + 1];	   /* idcard_mask or mobile_mask; "" for an empty value */
};

/* Seals value (a normalized ID number or an 11-digit mobile) with seal_ad as the AEAD's
 * associated data, its blind index under blind_purpose (NULL: none computed) and its
 * mask by kind. A NULL or empty value leaves s empty and returns false. */
bool seal_contact(struct arena *a, enum seal_kind kind, const char *value, const char *seal_ad,
		  const char *blind_purpose, struct sealed_contact *s);
#endif
