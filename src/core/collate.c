/* collate.c: Chinese name sort keys (see collate.h). Only the key; the tables are in
 * the generated collate_table.c. */
#include "core/collate.h"

/* Decodes one UTF-8 character at *s, advancing it; U+FFFD for a malformed sequence. */
static uint32_t next_char(const unsigned char **s)
{
	const unsigned char *p = *s;
	uint32_t c = p[0];
	int n = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : -1;
	if (n < 0) {
		*s = p + 1;
		return 0xFFFD;
	}
	if (n > 0)
		c &= 0x3F >> n;
	for (int i = 1; i <= n; i++) {
		if ((p[i] & 0xC0) != 0x80) {
			*s = p + i;
			return 0xFFFD;
		}
		c = c << 6 | (p[i] & 0x3F);
	}
	*s = p + n + 1;
	return c;
}

static uint32_t weight(uint32_t c, enum collate_order o, int first)
{
	if (first && o == COLLATE_PINYIN)
		for (const struct collate_surname *sn = collate_surnames; sn->ch; sn++)
			if (sn->ch == c) {
				c = sn->like;
				break;
			}
	if (c < 0x1000)
		return c;
	if (c >= COLLATE_HAN_LO && c <= COLLATE_HAN_HI) {
		uint16_t r = (o == COLLATE_STROKE ? collate_stroke : collate_pinyin)[c - COLLATE_HAN_LO];
		if (r)
			return 0x1000 + r;
	}
	return 0x10000 + (c > 0xEFFFF ? 0xEFFFF : c);
}

size_t collate_key(const char *s, enum collate_order o, char *out, size_t outsz)
{
	/* sixteen letters, not hex digits: a key of four characters or more must never
	 * read as an ID number or a mobile (S4 scans the database file for digit runs) */
	static const char hex[] = "ABCDEFGHIJKLMNOP";
	size_t n = 0;
	if (!outsz)
		return 0;
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	for (int first = 1; *p && n + COLLATE_UNIT < outsz; first = 0) {
		uint32_t w = weight(next_char(&p), o, first);
		for (int i = COLLATE_UNIT - 1; i >= 0; i--)
			out[n + (size_t)(COLLATE_UNIT - 1 - i)] = hex[(w >> (4 * i)) & 0xF];
		n += COLLATE_UNIT;
	}
	out[n] = 0;
	return n;
}
