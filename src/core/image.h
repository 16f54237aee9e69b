/* image.h: what an uploaded file is, judged by its bytes (never its name), and the
 * work photos need before they are stored: location and other metadata removed, and a
 * small JPEG thumbnail made. Pure byte work on buffers (no database, no request), so
 * that the files store (model/file.c, api/files.c) and the unit tests share it.
 * Libraries: libjpeg-turbo (DCT-domain downscaling makes a 5 MiB photo's thumbnail
 * cheap), libpng's simplified API, libwebp's scaling decoder; libzip to tell DOCX from
 * XLSX by their parts. */
#ifndef DJ_IMAGE_H
#define DJ_IMAGE_H
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum file_type {
	FILE_T_NONE = 0, /* none of the accepted kinds: 415 */
	FILE_T_JPEG,
	FILE_T_PNG,
	FILE_T_WEBP,
	FILE_T_PDF,
	FILE_T_DOCX,
	FILE_T_XLSX,
	FILE_T__MAX
};

/* The type of the n bytes at p: magic numbers, and for a ZIP the parts a DOCX or an
 * XLSX must have ([Content_Types].xml with word/document.xml or xl/workbook.xml). */
enum file_type image_sniff(const void *p, size_t n);
/* "image/jpeg", "application/pdf", … for t (a static string); NULL for FILE_T_NONE. */
const char *image_mime(enum file_type t);
/* The usual extension with its dot (".jpg"), static. */
const char *image_ext(enum file_type t);
/* Whether t is a photo (JPEG, PNG, WebP): stripped and thumbnailed. */
bool image_is_photo(enum file_type t);

/* Largest photo accepted, in pixels (a decompression bomb is refused before decoding). */
#define IMAGE_MAX_PIXELS (50u * 1000u * 1000u)
/* Longest side of a thumbnail. */
#define IMAGE_THUMB_SIDE 320

enum image_rc {
	IMAGE_OK = 0,
	IMAGE_CORRUPT,  /* the bytes claim a photo but do not decode as one */
	IMAGE_TOO_BIG,  /* more than IMAGE_MAX_PIXELS */
	IMAGE_NOMEM,
};

/* A photo prepared for storing: out (malloc'd, free with free) is the photo without
 * metadata that could locate or identify (JPEG: APP1 Exif/XMP, APP13 IPTC, COM and the
 * other application segments except JFIF, ICC and Adobe; an EXIF orientation other
 * than 1 is kept in a minimal Exif of that one tag, so that a phone's photo still
 * stands upright. PNG: every ancillary chunk but colour and transparency ones (eXIf,
 * tEXt, zTXt, iTXt, tIME go). WebP: the EXIF and XMP chunks and their VP8X flags).
 * thumb (malloc'd, may be NULL when the kind cannot be thumbnailed, e.g. an animated
 * WebP or a CMYK JPEG) is a JPEG of at most IMAGE_THUMB_SIDE on its longest side,
 * turned upright. width and height are the photo's as stored. */
struct image_out {
	unsigned char *out;
	size_t out_len;
	unsigned char *thumb;
	size_t thumb_len;
	int width, height;
};
enum image_rc image_prepare(enum file_type t, const unsigned char *p, size_t n, struct image_out *o);
void image_out_free(struct image_out *o);

/* image_prepare's two halves, for a caller that overlaps the second (the decode, the
 * costly part: a 12-megapixel JPEG's entropy data is read whole even at 1/8 scale) with
 * other work, e.g. storing the stripped bytes (api/files.c). image_strip sets o->out
 * and *orient; image_thumb decodes o->out and sets the rest (on failure o->out is left
 * for the caller to free: another thread may be reading it). */
enum image_rc image_strip(enum file_type t, const unsigned char *p, size_t n, struct image_out *o, int *orient);
enum image_rc image_thumb(enum file_type t, int orient, struct image_out *o);
/* image_thumb on a thread of its own (on the caller's when none can be started): the
 * caller leaves o alone until image_thumb_wait, which returns its result; waiting again,
 * or on a job never started (zeroed), returns at once. */
struct image_job {
	struct image_out *o;
	enum file_type t;
	int orient;
	enum image_rc rc;
	int state; /* 0 never started, 1 running on th, 2 done */
	pthread_t th;
};
void image_thumb_start(struct image_job *j, enum file_type t, int orient, struct image_out *o);
enum image_rc image_thumb_wait(struct image_job *j);

/* An upload's bytes made ready to store, for a handler that stores them on its worker
 * (api/files.c, the resident's photo in api/services.c): image_upload_start, on the
 * offload thread, sniffs type and, for a photo, strips it into out (rc) and starts the
 * decode and thumbnail on a thread of their own (thumb), which runs while the caller
 * writes out.out; image_thumb_wait(&u->thumb) before reading the thumbnail.
 * image_upload_done waits for that thread and frees out (body stays the caller's). */
struct image_upload {
	const unsigned char *body;
	size_t len;
	enum file_type type;
	enum image_rc rc;
	struct image_out out;
	struct image_job thumb;
};
void image_upload_start(struct image_upload *u);
void image_upload_done(struct image_upload *u);
#endif
