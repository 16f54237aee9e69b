/* qr.h: a QR code (ISO/IEC 18004) of a text as a PNG, for the letters' verification
 * links (transfers) and anything else printed that a phone should open. The symbol
 * comes from libqrencode (error correction level M, 8-bit mode, the smallest version
 * that holds the text), the picture from png_1bit (core/png.h). */
#ifndef DJ_QR_H
#define DJ_QR_H
#include <stddef.h>
/* The PNG (malloc'd; the caller frees) of text's QR code, scale pixels per module, in
 * *out and *len. 0, or -1 when text is too long for a QR code or memory runs out. */
int qr_png(const char *text, int scale, void **out, size_t *len);
#endif
