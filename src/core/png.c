/* png.c: see png.h. A PNG is the signature, an IHDR chunk, IDAT chunks of a zlib
 * stream of filtered scanlines (filter byte 0, then the packed row), and IEND; each
 * chunk is length, type, data and the CRC-32 of type and data (RFC 2083). */
#include "core/png.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define QUIET 4

static unsigned char *put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
	return p + 4;
}

/* Writes one chunk at p; returns the byte after it. */
static unsigned char *chunk(unsigned char *p, const char type[4], const unsigned char *data, size_t n)
{
	p = put32(p, (uint32_t)n);
	unsigned char *crc_from = p;
	memcpy(p, type, 4);
	p += 4;
	if (n)
		memcpy(p, data, n);
	p += n;
	uLong crc = crc32(0L, crc_from, (uInt)(n + 4));
	return put32(p, (uint32_t)crc);
}

int png_1bit(const unsigned char *pixels, int w, int h, int scale, void **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	if (!pixels || w < 1 || h < 1 || w > 1024 || h > 1024 || scale < 1 || scale > 32)
		return -1;
	size_t W = (size_t)(w + 2 * QUIET) * (size_t)scale, H = (size_t)(h + 2 * QUIET) * (size_t)scale;
	size_t stride = 1 + (W + 7) / 8;
	unsigned char *raw = calloc(H, stride);
	if (!raw)
		return -1;
	/* greyscale 1-bit: 1 is white, 0 is black; start all white */
	for (size_t y = 0; y < H; y++) {
		unsigned char *row = raw + y * stride;
		memset(row + 1, 0xff, stride - 1);
		size_t my = y / (size_t)scale;
		if (my < QUIET || my >= (size_t)h + QUIET)
			continue;
		for (size_t x = 0; x < W; x++) {
			size_t mx = x / (size_t)scale;
			if (mx < QUIET || mx >= (size_t)w + QUIET)
				continue;
			if (pixels[(my - QUIET) * (size_t)w + (mx - QUIET)])
				row[1 + x / 8] &= (unsigned char)~(0x80u >> (x % 8));
		}
	}
	uLongf zlen = compressBound((uLong)(H * stride));
	unsigned char *z = malloc(zlen);
	if (!z || compress2(z, &zlen, raw, (uLong)(H * stride), 9) != Z_OK) {
		free(z);
		free(raw);
		return -1;
	}
	free(raw);
	size_t total = 8 + (12 + 13) + (12 + zlen) + 12;
	unsigned char *png = malloc(total);
	if (!png) {
		free(z);
		return -1;
	}
	static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	memcpy(png, sig, 8);
	unsigned char ihdr[13];
	put32(ihdr, (uint32_t)W);
	put32(ihdr + 4, (uint32_t)H);
	ihdr[8] = 1;  /* bit depth */
	ihdr[9] = 0;  /* greyscale */
	ihdr[10] = 0; /* deflate */
	ihdr[11] = 0; /* adaptive filtering (each row says 0: none) */
	ihdr[12] = 0; /* no interlace */
	unsigned char *p = chunk(png + 8, "IHDR", ihdr, sizeof ihdr);
	p = chunk(p, "IDAT", z, zlen);
	p = chunk(p, "IEND", NULL, 0);
	free(z);
	*out = png;
	*len = (size_t)(p - png);
	return 0;
}

int png_size(const void *png, size_t len, int *w, int *h)
{
	const unsigned char *b = png;
	static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	if (!b || len < 24 || memcmp(b, sig, 8) != 0 || memcmp(b + 12, "IHDR", 4) != 0)
		return -1;
	uint32_t W = (uint32_t)b[16] << 24 | (uint32_t)b[17] << 16 | (uint32_t)b[18] << 8 | b[19];
	uint32_t H = (uint32_t)b[20] << 24 | (uint32_t)b[21] << 16 | (uint32_t)b[22] << 8 | b[23];
	if (W == 0 || H == 0 || W > 100000 || H > 100000)
		return -1;
	*w = (int)W;
	*h = (int)H;
	return 0;
}
