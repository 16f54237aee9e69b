/* image.c: file type by bytes, metadata stripping and thumbnails (see image.h). What
 * belongs here: byte-level work on one file in memory. What does not: storing it, who
 * may upload it, quotas (model/file.c, api/files.c). Every length read from a file is
 * checked against the buffer before it is used. */
#include "core/image.h"
#include "core/thread.h"
#include <stdio.h> /* before jpeglib.h, which uses FILE */
#include <jpeglib.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <webp/decode.h>
#include <zip.h>

static const char *const mimes[FILE_T__MAX] = {
	[FILE_T_JPEG] = "image/jpeg",
	[FILE_T_PNG] = "image/png",
	[FILE_T_WEBP] = "image/webp",
	[FILE_T_PDF] = "application/pdf",
	[FILE_T_DOCX] = "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	[FILE_T_XLSX] = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
};
static const char *const exts[FILE_T__MAX] = {
	[FILE_T_JPEG] = ".jpg", [FILE_T_PNG] = ".png", [FILE_T_WEBP] = ".webp",
	[FILE_T_PDF] = ".pdf",	[FILE_T_DOCX] = ".docx", [FILE_T_XLSX] = ".xlsx",
};

const char *image_mime(enum file_type t)
{
	return t > FILE_T_NONE && t < FILE_T__MAX ? mimes[t] : NULL;
}

const char *image_ext(enum file_type t)
{
	return t > FILE_T_NONE && t < FILE_T__MAX ? exts[t] : "";
}

bool image_is_photo(enum file_type t)
{
	return t == FILE_T_JPEG || t == FILE_T_PNG || t == FILE_T_WEBP;
}

/* An OOXML package: a ZIP whose central directory names the parts of a document or a
 * workbook. Only the directory is read (no part is decompressed). */
static enum file_type sniff_zip(const void *p, size_t n)
{
	zip_error_t ze;
	zip_error_init(&ze);
	zip_source_t *src = zip_source_buffer_create(p, n, 0, &ze);
	if (!src) {
		zip_error_fini(&ze);
		return FILE_T_NONE;
	}
	zip_t *z = zip_open_from_source(src, ZIP_RDONLY, &ze);
	enum file_type t = FILE_T_NONE;
	if (!z) {
		zip_source_free(src);
	} else {
		if (zip_name_locate(z, "[Content_Types].xml", 0) >= 0) {
			if (zip_name_locate(z, "word/document.xml", 0) >= 0)
				t = FILE_T_DOCX;
			else if (zip_name_locate(z, "xl/workbook.xml", 0) >= 0)
				t = FILE_T_XLSX;
		}
		zip_discard(z);
	}
	zip_error_fini(&ze);
	return t;
}

enum file_type image_sniff(const void *data, size_t n)
{
	const unsigned char *p = data;
	if (n >= 4 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF)
		return FILE_T_JPEG;
	if (n >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
		return FILE_T_PNG;
	if (n >= 16 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBP", 4) == 0)
		return FILE_T_WEBP;
	if (n >= 8 && memcmp(p, "%PDF-", 5) == 0 && (p[5] == '1' || p[5] == '2') && p[6] == '.')
		return FILE_T_PDF;
	if (n >= 30 && memcmp(p, "PK\3\4", 4) == 0)
		return sniff_zip(p, n);
	return FILE_T_NONE;
}

/* ---- a growing output buffer ---- */

struct buf {
	unsigned char *p;
	size_t len, cap;
	bool oom;
};

static void buf_put(struct buf *b, const void *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n)
			cap *= 2;
		unsigned char *np = realloc(b->p, cap);
		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static uint16_t be16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* ---- JPEG ---- */

/* The EXIF orientation (1–8) in an APP1 payload ("Exif\0\0" + TIFF), or 0. */
static int exif_orientation(const unsigned char *p, size_t n)
{
	if (n < 14 || memcmp(p, "Exif\0\0", 6) != 0)
		return 0;
	const unsigned char *t = p + 6;
	size_t tn = n - 6;
	bool le = t[0] == 'I' && t[1] == 'I';
	if (!le && !(t[0] == 'M' && t[1] == 'M'))
		return 0;
#define U16(q) (le ? (uint16_t)((q)[0] | (q)[1] << 8) : be16(q))
#define U32(q) (le ? le32(q) : be32(q))
	uint32_t ifd = U32(t + 4);
	if (ifd > tn || tn - ifd < 2)
		return 0;
	unsigned count = U16(t + ifd);
	for (unsigned i = 0; i < count; i++) {
		size_t e = ifd + 2 + (size_t)i * 12;
		if (e + 12 > tn)
			return 0;
		if (U16(t + e) == 0x0112 && U16(t + e + 2) == 3) {
			unsigned v = U16(t + e + 8);
			return v >= 1 && v <= 8 ? (int)v : 0;
		}
	}
	return 0;
#undef U16
#undef U32
}

/* Copies the JPEG without the segments that carry metadata (image.h); *orient gets the
 * EXIF orientation it had (1 when none). False when the marker structure is broken. */
static bool jpeg_strip(const unsigned char *p, size_t n, struct buf *b, int *orient)
{
	*orient = 1;
	size_t i = 2;
	buf_put(b, p, 2); /* SOI */
	size_t exif_at = 2; /* the minimal Exif goes after SOI and JFIF */
	for (;;) {
		if (i + 4 > n || p[i] != 0xFF)
			return false;
		unsigned m = p[i + 1];
		if (m == 0xFF) { /* fill byte */
			i++;
			continue;
		}
		if (m == 0xD9 || m == 0xDA) { /* EOI, or SOS: the rest is entropy-coded data */
			break;
		}
		size_t len = be16(p + i + 2);
		if (len < 2 || i + 2 + len > n)
			return false;
		const unsigned char *seg = p + i + 4;
		size_t seglen = len - 2;
		bool keep;
		if (m == 0xE1) {
			int o = exif_orientation(seg, seglen);
			if (o)
				*orient = o;
			keep = false;
		} else if (m == 0xE0) {
			keep = true; /* JFIF / JFXX */
		} else if (m == 0xE2 || m == 0xEE) {
			keep = true; /* ICC profile, Adobe colour transform */
		} else if ((m >= 0xE3 && m <= 0xEF) || m == 0xFE) {
			keep = false; /* other application segments (IPTC in APP13) and comments */
		} else {
			keep = true; /* tables, frame headers */
		}
		if (keep) {
			buf_put(b, p + i, len + 2);
			if (m == 0xE0 && i == 2)
				exif_at = b->len;
		}
		i += len + 2;
	}
	buf_put(b, p + i, n - i);
	if (b->oom)
		return false;
	if (*orient != 1) {
		/* APP1: "Exif\0\0", big-endian TIFF with one IFD entry, Orientation = *orient */
		unsigned char ex[36] = {0xFF, 0xE1, 0, 34, 'E', 'x', 'i', 'f', 0, 0, 'M', 'M', 0, 42, 0, 0, 0, 8,
					0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, (unsigned char)*orient, 0, 0, 0, 0, 0, 0};
		buf_put(b, ex, sizeof ex);
		if (b->oom)
			return false;
		memmove(b->p + exif_at + sizeof ex, b->p + exif_at, b->len - sizeof ex - exif_at);
		memcpy(b->p + exif_at, ex, sizeof ex);
	}
	return true;
}

struct jerr {
	struct jpeg_error_mgr mgr;
	jmp_buf jb;
};

static void jerr_exit(j_common_ptr c)
{
	longjmp(((struct jerr *)c->err)->jb, 1);
}

static void jerr_silent(j_common_ptr c, int level)
{
	(void)c;
	(void)level;
}

/* An RGB raster. */
struct raster {
	unsigned char *px;
	int w, h;
};

/* Box-filters rows of an RGB image of width sw into dst (dw × dh), accumulating one
 * source row at a time, so that only the small raster is ever whole in memory. */
struct shrink {
	int sw, sh, dw, dh;
	uint32_t *acc; /* dw × 3 sums of the current output row */
	uint32_t *cnt;
	int row;       /* source rows fed */
	int out_row;   /* the output row being accumulated */
	struct raster *dst;
};

static bool shrink_init(struct shrink *s, int sw, int sh, struct raster *dst)
{
	memset(s, 0, sizeof *s);
	s->sw = sw;
	s->sh = sh;
	int side = sw > sh ? sw : sh;
	double k = side > IMAGE_THUMB_SIDE ? (double)IMAGE_THUMB_SIDE / side : 1.0;
	s->dw = (int)(sw * k + 0.5);
	s->dh = (int)(sh * k + 0.5);
	if (s->dw < 1)
		s->dw = 1;
	if (s->dh < 1)
		s->dh = 1;
	s->acc = calloc((size_t)s->dw * 3, sizeof *s->acc);
	s->cnt = calloc((size_t)s->dw, sizeof *s->cnt);
	dst->w = s->dw;
	dst->h = s->dh;
	dst->px = calloc((size_t)s->dw * s->dh * 3, 1);
	s->dst = dst;
	return s->acc && s->cnt && dst->px;
}

static void shrink_flush(struct shrink *s)
{
	if (s->out_row >= s->dh)
		return;
	unsigned char *o = s->dst->px + (size_t)s->out_row * s->dw * 3;
	for (int x = 0; x < s->dw; x++) {
		uint32_t c = s->cnt[x] ? s->cnt[x] : 1;
		for (int k = 0; k < 3; k++)
			o[x * 3 + k] = (unsigned char)(s->acc[x * 3 + k] / c);
	}
	memset(s->acc, 0, (size_t)s->dw * 3 * sizeof *s->acc);
	memset(s->cnt, 0, (size_t)s->dw * sizeof *s->cnt);
}

static void shrink_row(struct shrink *s, const unsigned char *rgb)
{
	int oy = (int)((int64_t)s->row * s->dh / s->sh);
	if (oy != s->out_row) {
		shrink_flush(s);
		s->out_row = oy;
	}
	for (int x = 0; x < s->sw; x++) {
		int ox = (int)((int64_t)x * s->dw / s->sw);
		s->acc[ox * 3] += rgb[x * 3];
		s->acc[ox * 3 + 1] += rgb[x * 3 + 1];
		s->acc[ox * 3 + 2] += rgb[x * 3 + 2];
		s->cnt[ox]++;
	}
	s->row++;
}

static void shrink_done(struct shrink *s)
{
	shrink_flush(s);
	free(s->acc);
	free(s->cnt);
}

/* Turns r upright for EXIF orientation o (2–8). */
static bool raster_orient(struct raster *r, int o)
{
	if (o <= 1 || o > 8)
		return true;
	bool swap = o >= 5;
	int nw = swap ? r->h : r->w, nh = swap ? r->w : r->h;
	unsigned char *np = malloc((size_t)nw * nh * 3);
	if (!np)
		return false;
	for (int y = 0; y < nh; y++)
		for (int x = 0; x < nw; x++) {
			int sx, sy; /* the source pixel shown at (x, y) */
			switch (o) {
			case 2: sx = r->w - 1 - x; sy = y; break;
			case 3: sx = r->w - 1 - x; sy = r->h - 1 - y; break;
			case 4: sx = x; sy = r->h - 1 - y; break;
			case 5: sx = y; sy = x; break;
			case 6: sx = y; sy = r->h - 1 - x; break;
			case 7: sx = r->w - 1 - y; sy = r->h - 1 - x; break;
			default: sx = r->w - 1 - y; sy = x; break; /* 8 */
			}
			memcpy(np + ((size_t)y * nw + x) * 3, r->px + ((size_t)sy * r->w + sx) * 3, 3);
		}
	free(r->px);
	r->px = np;
	r->w = nw;
	r->h = nh;
	return true;
}

/* The raster as a JPEG of quality 80 (malloc'd). */
static bool jpeg_encode(const struct raster *r, unsigned char **out, size_t *len)
{
	struct jpeg_compress_struct c;
	struct jerr e;
	c.err = jpeg_std_error(&e.mgr);
	e.mgr.error_exit = jerr_exit;
	e.mgr.emit_message = jerr_silent;
	unsigned char *mem = NULL;
	unsigned long mlen = 0;
	if (setjmp(e.jb)) {
		jpeg_destroy_compress(&c);
		free(mem);
		return false;
	}
	jpeg_create_compress(&c);
	jpeg_mem_dest(&c, &mem, &mlen);
	c.image_width = (JDIMENSION)r->w;
	c.image_height = (JDIMENSION)r->h;
	c.input_components = 3;
	c.in_color_space = JCS_RGB;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, 80, TRUE);
	jpeg_start_compress(&c, TRUE);
	while (c.next_scanline < c.image_height) {
		JSAMPROW row = r->px + (size_t)c.next_scanline * r->w * 3;
		jpeg_write_scanlines(&c, &row, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	*out = mem;
	*len = mlen;
	return true;
}

/* Decodes the JPEG (checking it whole) at the smallest DCT scale that still gives a
 * thumbnail its size, into a thumbnail raster. */
static enum image_rc jpeg_thumb(const unsigned char *p, size_t n, struct raster *r, int *w, int *h, bool *thumbable)
{
	struct jpeg_decompress_struct d;
	struct jerr e;
	d.err = jpeg_std_error(&e.mgr);
	e.mgr.error_exit = jerr_exit;
	e.mgr.emit_message = jerr_silent;
	unsigned char *volatile row = NULL;
	struct shrink s = {0};
	volatile bool started = false;
	if (setjmp(e.jb)) {
		jpeg_destroy_decompress(&d);
		free(row);
		if (started)
			shrink_done(&s);
		return IMAGE_CORRUPT;
	}
	jpeg_create_decompress(&d);
	jpeg_mem_src(&d, p, (unsigned long)n);
	jpeg_read_header(&d, TRUE);
	*w = (int)d.image_width;
	*h = (int)d.image_height;
	if ((uint64_t)d.image_width * d.image_height > IMAGE_MAX_PIXELS) {
		jpeg_destroy_decompress(&d);
		return IMAGE_TOO_BIG;
	}
	if (d.jpeg_color_space == JCS_CMYK || d.jpeg_color_space == JCS_YCCK) {
		/* valid, but libjpeg does not convert CMYK to RGB: stored without a thumbnail */
		jpeg_destroy_decompress(&d);
		*thumbable = false;
		return IMAGE_OK;
	}
	unsigned side = d.image_width > d.image_height ? d.image_width : d.image_height;
	d.scale_num = 1;
	d.scale_denom = 1;
	while (d.scale_denom < 8 && side / (d.scale_denom * 2) >= IMAGE_THUMB_SIDE)
		d.scale_denom *= 2;
	d.out_color_space = JCS_RGB;
	d.dct_method = JDCT_IFAST;
	jpeg_start_decompress(&d);
	row = malloc((size_t)d.output_width * 3);
	if (!row || !shrink_init(&s, (int)d.output_width, (int)d.output_height, r)) {
		free(row);
		free(s.acc);
		free(s.cnt);
		jpeg_destroy_decompress(&d);
		return IMAGE_NOMEM;
	}
	started = true;
	while (d.output_scanline < d.output_height) {
		JSAMPROW rp = row;
		jpeg_read_scanlines(&d, &rp, 1);
		shrink_row(&s, row);
	}
	jpeg_finish_decompress(&d);
	jpeg_destroy_decompress(&d);
	shrink_done(&s);
	free(row);
	*thumbable = true;
	return IMAGE_OK;
}

/* ---- PNG ---- */

static bool png_keep_chunk(const unsigned char *type)
{
	static const char *const keep[] = {"IHDR", "PLTE", "IDAT", "IEND", "tRNS", "cHRM", "gAMA",
					   "iCCP", "sBIT", "sRGB", "bKGD", "pHYs", "hIST"};
	for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
		if (memcmp(type, keep[i], 4) == 0)
			return true;
	return false;
}

static bool png_strip(const unsigned char *p, size_t n, struct buf *b)
{
	buf_put(b, p, 8);
	size_t i = 8;
	bool end = false;
	while (!end) {
		if (i + 12 > n)
			return false;
		uint32_t len = be32(p + i);
		if (len > n - i - 12)
			return false;
		const unsigned char *type = p + i + 4;
		bool critical = !(type[0] & 0x20);
		if (critical && !png_keep_chunk(type))
			return false; /* an unknown critical chunk: not a PNG we can show */
		if (png_keep_chunk(type))
			buf_put(b, p + i, (size_t)len + 12);
		end = memcmp(type, "IEND", 4) == 0;
		i += (size_t)len + 12;
	}
	return !b->oom;
}

static enum image_rc png_thumb(const unsigned char *p, size_t n, struct raster *r, int *w, int *h)
{
	png_image im;
	memset(&im, 0, sizeof im);
	im.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_memory(&im, p, n))
		return IMAGE_CORRUPT;
	*w = (int)im.width;
	*h = (int)im.height;
	if ((uint64_t)im.width * im.height > IMAGE_MAX_PIXELS / 2) {
		/* the simplified reader holds the whole raster: half the JPEG bound */
		png_image_free(&im);
		return IMAGE_TOO_BIG;
	}
	im.format = PNG_FORMAT_RGB;
	size_t stride = (size_t)im.width * 3;
	unsigned char *full = malloc(stride * im.height);
	if (!full) {
		png_image_free(&im);
		return IMAGE_NOMEM;
	}
	png_color white = {255, 255, 255};
	if (!png_image_finish_read(&im, &white, full, (png_int_32)stride, NULL)) {
		free(full);
		png_image_free(&im);
		return IMAGE_CORRUPT;
	}
	struct shrink s;
	if (!shrink_init(&s, (int)im.width, (int)im.height, r)) {
		free(s.acc);
		free(s.cnt);
		free(full);
		return IMAGE_NOMEM;
	}
	for (uint32_t y = 0; y < im.height; y++)
		shrink_row(&s, full + stride * y);
	shrink_done(&s);
	free(full);
	return IMAGE_OK;
}

/* ---- WebP ---- */

static bool webp_strip(const unsigned char *p, size_t n, struct buf *b)
{
	uint32_t riff = le32(p + 4);
	if (riff < 4 || (size_t)riff + 8 > n)
		return false;
	n = (size_t)riff + 8; /* bytes past the RIFF are not the image's */
	buf_put(b, p, 12);
	size_t i = 12, vp8x = 0;
	while (i < n) {
		if (i + 8 > n)
			return false;
		uint32_t len = le32(p + i + 4);
		size_t whole = (size_t)len + 8 + (len & 1);
		if (whole > n - i)
			return false;
		bool drop = memcmp(p + i, "EXIF", 4) == 0 || memcmp(p + i, "XMP ", 4) == 0;
		if (memcmp(p + i, "VP8X", 4) == 0 && len >= 10)
			vp8x = b->len;
		if (!drop)
			buf_put(b, p + i, whole);
		i += whole;
	}
	if (b->oom)
		return false;
	if (vp8x)
		b->p[vp8x + 8] &= (unsigned char)~0x0C; /* the EXIF (0x08) and XMP (0x04) flags */
	uint32_t size = (uint32_t)(b->len - 8);
	unsigned char le[4] = {(unsigned char)size, (unsigned char)(size >> 8), (unsigned char)(size >> 16),
			       (unsigned char)(size >> 24)};
	memcpy(b->p + 4, le, 4);
	return true;
}

static enum image_rc webp_thumb(const unsigned char *p, size_t n, struct raster *r, int *w, int *h, bool *thumbable)
{
	WebPDecoderConfig c;
	if (!WebPInitDecoderConfig(&c) || WebPGetFeatures(p, n, &c.input) != VP8_STATUS_OK)
		return IMAGE_CORRUPT;
	*w = c.input.width;
	*h = c.input.height;
	if ((uint64_t)c.input.width * c.input.height > IMAGE_MAX_PIXELS)
		return IMAGE_TOO_BIG;
	if (c.input.has_animation) {
		*thumbable = false;
		return IMAGE_OK;
	}
	int side = *w > *h ? *w : *h;
	double k = side > IMAGE_THUMB_SIDE ? (double)IMAGE_THUMB_SIDE / side : 1.0;
	c.options.use_scaling = 1;
	c.options.scaled_width = (int)(*w * k + 0.5) ? (int)(*w * k + 0.5) : 1;
	c.options.scaled_height = (int)(*h * k + 0.5) ? (int)(*h * k + 0.5) : 1;
	c.output.colorspace = MODE_RGBA;
	if (WebPDecode(p, n, &c) != VP8_STATUS_OK) {
		WebPFreeDecBuffer(&c.output);
		return IMAGE_CORRUPT;
	}
	r->w = c.output.width;
	r->h = c.output.height;
	r->px = malloc((size_t)r->w * r->h * 3);
	if (!r->px) {
		WebPFreeDecBuffer(&c.output);
		return IMAGE_NOMEM;
	}
	const uint8_t *src = c.output.u.RGBA.rgba;
	for (int y = 0; y < r->h; y++)
		for (int x = 0; x < r->w; x++) {
			const uint8_t *s = src + (size_t)y * c.output.u.RGBA.stride + (size_t)x * 4;
			unsigned a = s[3];
			for (int k2 = 0; k2 < 3; k2++) /* over white */
				r->px[((size_t)y * r->w + x) * 3 + k2] = (unsigned char)((s[k2] * a + 255 * (255 - a)) / 255);
		}
	WebPFreeDecBuffer(&c.output);
	*thumbable = true;
	return IMAGE_OK;
}

enum image_rc image_strip(enum file_type t, const unsigned char *p, size_t n, struct image_out *o, int *orient)
{
	memset(o, 0, sizeof *o);
	struct buf b = {0};
	*orient = 1;
	bool ok = t == FILE_T_JPEG ? jpeg_strip(p, n, &b, orient)
		  : t == FILE_T_PNG ? png_strip(p, n, &b)
		  : t == FILE_T_WEBP ? webp_strip(p, n, &b)
				     : false;
	if (!ok) {
		bool oom = b.oom;
		free(b.p);
		return oom ? IMAGE_NOMEM : IMAGE_CORRUPT;
	}
	o->out = b.p;
	o->out_len = b.len;
	return IMAGE_OK;
}

enum image_rc image_thumb(enum file_type t, int orient, struct image_out *o)
{
	/* the stripped bytes are what is stored, so they are what is decoded */
	struct raster r = {0};
	bool thumbable = true;
	enum image_rc rc = t == FILE_T_JPEG ? jpeg_thumb(o->out, o->out_len, &r, &o->width, &o->height, &thumbable)
			   : t == FILE_T_PNG ? png_thumb(o->out, o->out_len, &r, &o->width, &o->height)
					     : webp_thumb(o->out, o->out_len, &r, &o->width, &o->height, &thumbable);
	if (rc == IMAGE_OK && thumbable && r.px && (!raster_orient(&r, orient) || !jpeg_encode(&r, &o->thumb, &o->thumb_len))) {
		free(o->thumb);
		o->thumb = NULL;
		o->thumb_len = 0;
		rc = IMAGE_NOMEM;
	}
	free(r.px);
	return rc;
}

enum image_rc image_prepare(enum file_type t, const unsigned char *p, size_t n, struct image_out *o)
{
	int orient;
	enum image_rc rc = image_strip(t, p, n, o, &orient);
	if (rc == IMAGE_OK && (rc = image_thumb(t, orient, o)) != IMAGE_OK)
		image_out_free(o);
	return rc;
}

static void *thumb_main(void *arg)
{
	struct image_job *j = arg;
	/* back to normal priority where allowed: a thread inherits its creator's nice value
	 * (the offload thread's 10), and an HTTP worker holding the writer lock waits for
	 * this one; where it is not allowed the thread keeps its creator's */
	if (getpriority(PRIO_PROCESS, (id_t)gettid()) > 0)
		(void)!setpriority(PRIO_PROCESS, (id_t)gettid(), 0);
	j->rc = image_thumb(j->t, j->orient, j->o);
	return NULL;
}

void image_thumb_start(struct image_job *j, enum file_type t, int orient, struct image_out *o)
{
	*j = (struct image_job){.o = o, .t = t, .orient = orient};
	j->state = thread_start("dj-thumb", thumb_main, j, &j->th) == 0 ? 1 : 2;
	if (j->state == 2) /* no thread: now, on this one */
		thumb_main(j);
}

enum image_rc image_thumb_wait(struct image_job *j)
{
	if (j->state == 1) {
		pthread_join(j->th, NULL);
		j->state = 2;
	}
	return j->state ? j->rc : IMAGE_OK;
}

void image_out_free(struct image_out *o)
{
	free(o->out);
	free(o->thumb);
	memset(o, 0, sizeof *o);
}

void image_upload_start(struct image_upload *u)
{
	u->type = image_sniff(u->body, u->len);
	if (image_is_photo(u->type)) {
		int orient;
		u->rc = image_strip(u->type, u->body, u->len, &u->out, &orient);
		if (u->rc == IMAGE_OK)
			image_thumb_start(&u->thumb, u->type, orient, &u->out);
	}
}

void image_upload_done(struct image_upload *u)
{
	image_thumb_wait(&u->thumb);
	image_out_free(&u->out);
}
