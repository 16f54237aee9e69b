/* qr.c: QR codes as PNG pictures (see qr.h). */
#include "core/qr.h"
#include "core/png.h"
#include <qrencode.h>
#include <stdlib.h>

int qr_png(const char *text, int scale, void **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (!q)
		return -1;
	int w = q->width;
	unsigned char *px = malloc((size_t)w * (size_t)w);
	int rc = -1;
	if (px) {
		/* bit 0 of each module's byte: 1 = dark */
		for (int i = 0; i < w * w; i++)
			px[i] = q->data[i] & 1;
		rc = png_1bit(px, w, w, scale, out, len);
		free(px);
	}
	QRcode_free(q);
	return rc;
}
