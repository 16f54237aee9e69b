/* mkjpeg.c: writes a photo-like JPEG for the meetings bench (a 12-megapixel image of
 * gradients and grain, about 5 MiB at the default quality): mkjpeg OUT [width height quality] */
#include <stdio.h>
#include <stdlib.h>
#include <jpeglib.h>

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	int w = argc > 3 ? atoi(argv[2]) : 4000, h = argc > 3 ? atoi(argv[3]) : 3000, q = argc > 4 ? atoi(argv[4]) : 92;
	FILE *f = fopen(argv[1], "wb");
	if (!f)
		return 1;
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr e;
	c.err = jpeg_std_error(&e);
	jpeg_create_compress(&c);
	jpeg_stdio_dest(&c, f);
	c.image_width = (JDIMENSION)w;
	c.image_height = (JDIMENSION)h;
	c.input_components = 3;
	c.in_color_space = JCS_RGB;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, q, TRUE);
	jpeg_start_compress(&c, TRUE);
	unsigned char *row = malloc((size_t)w * 3);
	unsigned s = 12345;
	for (int y = 0; y < h; y++) {
		for (int x = 0; x < w; x++) {
			s = s * 1103515245u + 12345u;
			int n = (int)((s >> 16) % 40) - 20;
			int v[3] = {180 * x / w + 40 + n, (x / 97 + y / 83) % 2 ? 170 + n : 80 + n, 230 * y / h + n};
			for (int k = 0; k < 3; k++)
				row[x * 3 + k] = (unsigned char)(v[k] < 0 ? 0 : v[k] > 255 ? 255 : v[k]);
		}
		JSAMPROW r = row;
		jpeg_write_scanlines(&c, &r, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	fclose(f);
	free(row);
	return 0;
}
