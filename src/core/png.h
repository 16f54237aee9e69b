/* png.h: a black-and-white PNG from a bitmap (QR codes for letters and check-in):
 * 1-bit greyscale, each module scale × scale pixels with a quiet zone of 4 modules,
 * compressed with zlib. */
#ifndef DJ_PNG_H
#define DJ_PNG_H
#include <stddef.h>

/* pixels: w × h bytes, row-major, nonzero = black. The PNG (malloc'd) in *out and
 * *len. 0, or -1 on a bad size (w, h in 1..1024, scale in 1..32) or no memory. */
int png_1bit(const unsigned char *pixels, int w, int h, int scale, void **out, size_t *len);
/* The width and height a PNG declares in its header: 0, or -1 when png is not one. */
int png_size(const void *png, size_t len, int *w, int *h);
#endif
