/* test_image.c: file types by their bytes, metadata stripping and thumbnails
 * (src/core/image.c), including every truncation of each fixture photo (the sanitizers
 * watch the parsers). Fixtures: tests/api/data/ (run from the repository's root). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/image.h"
#include "helpers.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_S26_sniff_by_bytes(void **state)
{
	(void)state;
	size_t n;
	unsigned char *j = (unsigned char *)slurp("tests/api/data/photo.jpg", &n);
	assert_int_equal(image_sniff(j, n), FILE_T_JPEG);
	free(j);
	unsigned char *p = (unsigned char *)slurp("tests/api/data/photo.png", &n);
	assert_int_equal(image_sniff(p, n), FILE_T_PNG);
	free(p);
	unsigned char *w = (unsigned char *)slurp("tests/api/data/photo.webp", &n);
	assert_int_equal(image_sniff(w, n), FILE_T_WEBP);
	free(w);
	assert_int_equal(image_sniff("%PDF-1.7\n%\xe2\xe3", 12), FILE_T_PDF);
	assert_int_equal(image_sniff("<html><body>", 12), FILE_T_NONE);
	assert_int_equal(image_sniff("<svg onload=x>", 14), FILE_T_NONE);
	assert_int_equal(image_sniff("PK\3\4garbage-garbage-garbage-garbage", 36), FILE_T_NONE);
	assert_int_equal(image_sniff("", 0), FILE_T_NONE);
	assert_string_equal(image_mime(FILE_T_JPEG), "image/jpeg");
	assert_null(image_mime(FILE_T_NONE));
}

/* A JPEG with an Exif APP1 (orientation 6, a GPS IFD pointer and a description) put
 * after SOI. */
static unsigned char *with_exif(const unsigned char *j, size_t n, size_t *out)
{
	static const unsigned char app1[] = {
		0xFF, 0xE1, 0, 66, 'E', 'x', 'i', 'f', 0, 0, 'M', 'M', 0, 42, 0, 0, 0, 8, 0, 3,
		/* Orientation SHORT 6 */ 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0,
		/* GPSInfo LONG → 50 */ 0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 50,
		/* ImageDescription ASCII 8 → 50 */ 0x01, 0x0e, 0, 2, 0, 0, 0, 8, 0, 0, 0, 50,
		0, 0, 0, 0, 'S', 'E', 'C', 'R', 'E', 'T', '!', 0};
	unsigned char *p = malloc(n + sizeof app1);
	memcpy(p, j, 2);
	memcpy(p + 2, app1, sizeof app1);
	memcpy(p + 2 + sizeof app1, j + 2, n - 2);
	*out = n + sizeof app1;
	return p;
}

static void test_S26_jpeg_exif_stripped_orientation_kept(void **state)
{
	(void)state;
	size_t n, m;
	unsigned char *j = (unsigned char *)slurp("tests/api/data/photo.jpg", &n);
	unsigned char *x = with_exif(j, n, &m);
	struct image_out o;
	assert_int_equal(image_prepare(FILE_T_JPEG, x, m, &o), IMAGE_OK);
	assert_int_equal(o.width, 640);
	assert_int_equal(o.height, 480);
	assert_null(memmem(o.out, o.out_len, "SECRET", 6));
	assert_non_null(memmem(o.out, o.out_len, "Exif\0\0MM", 8));
	assert_non_null(o.thumb);
	/* the stored photo decodes again, the same size */
	struct image_out again;
	assert_int_equal(image_prepare(FILE_T_JPEG, o.out, o.out_len, &again), IMAGE_OK);
	assert_int_equal(again.width, 640);
	image_out_free(&again);
	image_out_free(&o);
	free(x);
	free(j);
}

/* Every prefix of each fixture: never a crash, never IMAGE_OK with nothing. */
static void test_truncations(void **state)
{
	(void)state;
	static const struct {
		const char *path;
		enum file_type t;
		size_t step;
	} fx[] = {{"tests/api/data/photo.jpg", FILE_T_JPEG, 97},
		  {"tests/api/data/photo.png", FILE_T_PNG, 1},
		  {"tests/api/data/photo.webp", FILE_T_WEBP, 3}};
	for (size_t k = 0; k < sizeof fx / sizeof fx[0]; k++) {
		size_t n;
		unsigned char *p = (unsigned char *)slurp(fx[k].path, &n);
		for (size_t len = 16; len < n; len += fx[k].step) {
			unsigned char *c = malloc(len);
			memcpy(c, p, len);
			struct image_out o;
			if (image_prepare(fx[k].t, c, len, &o) == IMAGE_OK)
				assert_non_null(o.out);
			image_out_free(&o);
			free(c);
		}
		struct image_out o;
		assert_int_equal(image_prepare(fx[k].t, p, n, &o), IMAGE_OK);
		assert_non_null(o.thumb);
		image_out_free(&o);
		free(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_S26_sniff_by_bytes),
		cmocka_unit_test(test_S26_jpeg_exif_stripped_orientation_kept),
		cmocka_unit_test(test_truncations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
