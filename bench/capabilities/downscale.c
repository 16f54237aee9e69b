/* downscale.c: the photo the residents' page sends (issue 18): a camera JPEG brought to
 * at most SIDE px on its long side (default 1920) and encoded at quality Q (default 85),
 * as the page does with a canvas (drawImage at the smaller size, toBlob('image/jpeg',
 * 0.85): Chromium encodes with libjpeg-turbo, 4:2:0). Decoded at the libjpeg DCT scale
 * just above the size, then resampled by an area average (what a browser's canvas does
 * on a large reduction, near enough), then encoded. Used by bench/capabilities/services.mjs.
 *   downscale IN OUT [side [quality]] */
#include <stdio.h>
#include <jpeglib.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	if (argc < 3)
		return fprintf(stderr, "usage: downscale IN OUT [side [quality]]\n"), 2;
	unsigned side = argc > 3 ? (unsigned)atoi(argv[3]) : 1920;
	int q = argc > 4 ? atoi(argv[4]) : 85;
	FILE *in = fopen(argv[1], "rb"), *out = fopen(argv[2], "wb");
	if (!in || !out)
		return perror("open"), 1;
	struct jpeg_decompress_struct d;
	struct jpeg_error_mgr e;
	d.err = jpeg_std_error(&e);
	jpeg_create_decompress(&d);
	jpeg_stdio_src(&d, in);
	jpeg_read_header(&d, TRUE);
	unsigned long_side = d.image_width > d.image_height ? d.image_width : d.image_height;
	unsigned num = 8;
	while (num > 1 && long_side * (num - 1) / 8 >= side)
		num--;
	d.scale_num = num;
	d.scale_denom = 8;
	d.out_color_space = JCS_RGB;
	jpeg_start_decompress(&d);
	unsigned sw = d.output_width, sh = d.output_height;
	unsigned char *src = malloc((size_t)sw * sh * 3);
	while (d.output_scanline < sh) {
		JSAMPROW r = src + (size_t)d.output_scanline * sw * 3;
		jpeg_read_scanlines(&d, &r, 1);
	}
	jpeg_finish_decompress(&d);
	jpeg_destroy_decompress(&d);
	unsigned ls = sw > sh ? sw : sh;
	unsigned dw = ls > side ? (unsigned)((unsigned long)sw * side / ls) : sw;
	unsigned dh = ls > side ? (unsigned)((unsigned long)sh * side / ls) : sh;
	unsigned char *dst = malloc((size_t)dw * dh * 3);
	for (unsigned y = 0; y < dh; y++) {
		unsigned y0 = y * sh / dh, y1 = (y + 1) * sh / dh;
		for (unsigned x = 0; x < dw; x++) {
			unsigned x0 = x * sw / dw, x1 = (x + 1) * sw / dw;
			for (int k = 0; k < 3; k++) {
				unsigned long s = 0, n = 0;
				for (unsigned yy = y0; yy < y1; yy++)
					for (unsigned xx = x0; xx < x1; xx++, n++)
						s += src[((size_t)yy * sw + xx) * 3 + k];
				dst[((size_t)y * dw + x) * 3 + k] = (unsigned char)(n ? (s + n / 2) / n : 0);
			}
		}
	}
	struct jpeg_compress_struct c;
	c.err = jpeg_std_error(&e);
	jpeg_create_compress(&c);
	jpeg_stdio_dest(&c, out);
	c.image_width = dw;
	c.image_height = dh;
	c.input_components = 3;
	c.in_color_space = JCS_RGB;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, q, TRUE);
	jpeg_start_compress(&c, TRUE);
	while (c.next_scanline < dh) {
		JSAMPROW r = dst + (size_t)c.next_scanline * dw * 3;
		jpeg_write_scanlines(&c, &r, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	fclose(out);
	fclose(in);
	free(src);
	free(dst);
	return 0;
}
