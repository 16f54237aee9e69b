/* fuzz_xlsx_parts.c: the xlsx reader's XML scanners (src/core/sheet_xlsx.c) reached
 * directly. fuzz_xlsx mutates whole zip files, whose CRCs and deflate streams stop
 * almost every mutation before the XML; here the input is the parts' XML and the
 * harness wraps it in a valid stored (uncompressed) zip. Input: the sheet's XML, then
 * optionally NUL and xl/sharedStrings.xml, NUL and xl/workbook.xml, NUL and
 * xl/_rels/workbook.xml.rels (the sheet is also stored as xl/worksheets/s.xml, which a
 * relationship may name). Same differential check as fuzz_xlsx: the fast scanner (with
 * its fall-back) and expat alone must deliver the same rows and outcome. */
#include "core/sheet.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t crc32_of(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
	}
	return ~c;
}

struct out {
	uint8_t *p;
	size_t len, cap;
};

static void put(struct out *o, const void *s, size_t n)
{
	if (o->len + n > o->cap) {
		o->cap = (o->len + n) * 2 + 64;
		o->p = realloc(o->p, o->cap);
		if (!o->p)
			abort();
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void put16(struct out *o, uint32_t v)
{
	uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
	put(o, b, 2);
}

static void put32(struct out *o, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	put(o, b, 4);
}

struct entry {
	const char *name;
	const uint8_t *data;
	size_t len;
};

/* A stored zip of the entries (local headers, central directory, end record). */
static void zip_stored(struct out *o, const struct entry *e, int n)
{
	uint32_t offs[8];
	for (int i = 0; i < n; i++) {
		offs[i] = (uint32_t)o->len;
		uint32_t crc = crc32_of(e[i].data, e[i].len);
		put32(o, 0x04034b50);
		put16(o, 20), put16(o, 0), put16(o, 0), put16(o, 0), put16(o, 0x21);
		put32(o, crc), put32(o, (uint32_t)e[i].len), put32(o, (uint32_t)e[i].len);
		put16(o, (uint32_t)strlen(e[i].name)), put16(o, 0);
		put(o, e[i].name, strlen(e[i].name));
		put(o, e[i].data, e[i].len);
	}
	uint32_t cd = (uint32_t)o->len;
	for (int i = 0; i < n; i++) {
		put32(o, 0x02014b50);
		put16(o, 20), put16(o, 20), put16(o, 0), put16(o, 0), put16(o, 0), put16(o, 0x21);
		put32(o, crc32_of(e[i].data, e[i].len)), put32(o, (uint32_t)e[i].len), put32(o, (uint32_t)e[i].len);
		put16(o, (uint32_t)strlen(e[i].name)), put16(o, 0), put16(o, 0), put16(o, 0), put16(o, 0);
		put32(o, 0), put32(o, offs[i]);
		put(o, e[i].name, strlen(e[i].name));
	}
	uint32_t cdlen = (uint32_t)o->len - cd;
	put32(o, 0x06054b50);
	put16(o, 0), put16(o, 0), put16(o, (uint32_t)n), put16(o, (uint32_t)n);
	put32(o, cdlen), put32(o, cd), put16(o, 0);
}

static int row(void *ctx, long rowno, const char *const *cells, size_t n)
{
	uint64_t *h = ctx;
	*h = (*h ^ (uint64_t)rowno) * 1099511628211u;
	for (size_t i = 0; i < n; i++)
		for (const char *c = cells[i];; c++) {
			*h = (*h ^ (unsigned char)*c) * 1099511628211u;
			if (!*c)
				break;
		}
	return rowno > 100000;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "xl/workbook.xml",
					    "xl/_rels/workbook.xml.rels"};
	struct entry e[5];
	int n = 0;
	const uint8_t *p = data, *end = data + size;
	while (n < 4) {
		const uint8_t *z = memchr(p, 0, (size_t)(end - p));
		e[n].name = names[n];
		e[n].data = p;
		e[n].len = (size_t)((z ? z : end) - p);
		n++;
		if (!z)
			break;
		p = z + 1;
	}
	e[n].name = "xl/worksheets/s.xml"; /* the same sheet under another name */
	e[n].data = e[0].data;
	e[n].len = e[0].len;
	n++;
	struct out o = {0};
	zip_stored(&o, e, n);

	uint64_t h1 = 14695981039346656037u, h2 = h1;
	char why1[256] = "", why2[256] = "";
	int rc1 = sheet_xlsx(o.p, o.len, row, &h1, why1, sizeof why1);
	sheet_xlsx_expat_only = true;
	int rc2 = sheet_xlsx(o.p, o.len, row, &h2, why2, sizeof why2);
	sheet_xlsx_expat_only = false;
	if (rc1 != rc2 || h1 != h2 || strcmp(why1, why2) != 0) {
		fprintf(stderr, "fast reader and expat differ: %d/%d %s/%s\n", rc1, rc2, why1, why2);
		abort();
	}
	free(o.p);
	return 0;
}
