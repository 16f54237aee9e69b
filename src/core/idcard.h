/* idcard.h: resident ID numbers (居民身份证号码, GB 11643; DOMAIN.md §8.5). Pure functions,
 * no allocation: used by member validation, the importer, the demo generator and the
 * fuzz harness. Masking for responses lives here too so that every path masks alike. */
#ifndef DJ_IDCARD_H
#define DJ_IDCARD_H
#include "core/date.h"
#include <stdbool.h>
#include <stddef.h>

#define IDCARD_LEN 18

enum idcard_err {
	IDCARD_OK = 0,
	IDCARD_FORMAT,   /* not 18 (or legacy 15) digits with an optional final X */
	IDCARD_DATE,     /* the birth date is not a real date */
	IDCARD_FUTURE,   /* the birth date lies after today */
	IDCARD_CHECKSUM, /* the check character does not match */
	IDCARD_ERR__MAX
};

struct idcard {
	char number[IDCARD_LEN + 1]; /* normalized: 18 characters, upper-case X */
	struct date birth;
	int sex;                     /* GB/T 2261.1: 1 男, 2 女 (from the sequence parity) */
	bool upgraded;               /* the input was a legacy 15-digit number */
	bool area_known;             /* the province part of the area code is a real one */
};

/* The check character of the first 17 digits: "10X98765432"[Σ dᵢwᵢ mod 11]. */
char idcard_check_char(const char first17[17]);

/* Parses and validates s (surrounding spaces ignored, x accepted as X; a 15-digit
 * number is upgraded by inserting "19" and computing the check). today is the date the
 * birth date must not exceed (the caller's clock). On success fills *out. An unknown
 * area code is not an error: out->area_known says so (a warning for the caller). */
enum idcard_err idcard_parse(const char *s, struct date today, struct idcard *out);

/* A stable machine code ("id_format", "id_date", "id_future", "id_checksum") and a
 * Chinese message for an error. */
const char *idcard_err_code(enum idcard_err e);
const char *idcard_err_message(enum idcard_err e);

/* Masks a normalized number into buf[19]: first 6 and last 4 kept, '*' between
 * ("110105********002X"). Any other length becomes all stars of its length (max 18). */
void idcard_mask(const char *number, char buf[IDCARD_LEN + 1]);

/* Masks a mobile into buf[12]: 3 + 4 kept ("138****5678"); other lengths: all stars. */
void mobile_mask(const char *mobile, char buf[12]);
/* True for a mainland mobile: 11 digits, 1[3-9]…. */
bool mobile_valid(const char *s);

/* Builds a valid number from area (6 digits), birth date, sequence (0..999) into
 * out[19] (demo data and tests). */
void idcard_make(const char area[6], struct date birth, int seq, char out[IDCARD_LEN + 1]);
#endif
