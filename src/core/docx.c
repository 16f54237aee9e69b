/* docx.c: see docx.h. The package holds the parts Word, WPS and LibreOffice need to
 * open a document without a repair prompt: [Content_Types].xml, _rels/.rels,
 * word/document.xml, word/styles.xml (the default fonts), word/settings.xml,
 * word/_rels/document.xml.rels and word/media/imageN.png. The body is built as text
 * as the calls come, then zipped in memory with libzip. */
#include "core/docx.h"
#include "core/png.h"
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#define MAX_COLS 16
#define MAX_IMAGES 64
/* A4 with 2.54 cm margins: 11906 − 2 × 1440 twips of text width */
#define TEXT_TWIPS 9026
#define EMU_PER_MM 36000

struct buf {
	char *p;
	size_t n, cap;
};

struct image {
	void *png;
	size_t len;
};

struct docx {
	struct buf body;
	bool failed;
	/* the open table */
	int ncols, col;
	int widths[MAX_COLS]; /* twips */
	bool in_table;
	struct image images[MAX_IMAGES];
	int nimages;
};

static void put(struct docx *d, const char *s, size_t n)
{
	struct buf *b = &d->body;
	if (d->failed)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 8192;
		while (cap < b->n + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			d->failed = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = 0;
}

static void puts_(struct docx *d, const char *s)
{
	put(d, s, strlen(s));
}

static void putf(struct docx *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct docx *d, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof tmp) {
		d->failed = true;
		return;
	}
	put(d, tmp, (size_t)n);
}

/* Text as XML character data; a newline becomes a line break in the run. Bytes XML
 * 1.0 forbids (C0 controls but tab) are dropped. */
static void text(struct docx *d, const char *s)
{
	puts_(d, "<w:t xml:space=\"preserve\">");
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		switch (*p) {
		case '&': puts_(d, "&amp;"); break;
		case '<': puts_(d, "&lt;"); break;
		case '>': puts_(d, "&gt;"); break;
		case '"': puts_(d, "&quot;"); break;
		case '\n': puts_(d, "</w:t><w:br/><w:t xml:space=\"preserve\">"); break;
		case '\t': puts_(d, "</w:t><w:tab/><w:t xml:space=\"preserve\">"); break;
		default:
			if (*p >= 0x20)
				put(d, (const char *)p, 1);
		}
	}
	puts_(d, "</w:t>");
}

/* One paragraph of one run. size: half-points (0: the style's). */
static void paragraph(struct docx *d, const char *s, unsigned flags, int size)
{
	puts_(d, "<w:p><w:pPr>");
	if (flags & DOCX_CENTER)
		puts_(d, "<w:jc w:val=\"center\"/>");
	else if (flags & DOCX_RIGHT)
		puts_(d, "<w:jc w:val=\"right\"/>");
	if (flags & DOCX_INDENT)
		puts_(d, "<w:ind w:firstLineChars=\"200\" w:firstLine=\"480\"/>");
	puts_(d, "</w:pPr><w:r><w:rPr>");
	if (flags & DOCX_BOLD)
		puts_(d, "<w:b/><w:bCs/>");
	if (flags & DOCX_UNDERLINE)
		puts_(d, "<w:u w:val=\"single\"/>");
	if (flags & DOCX_SMALL)
		size = 21;
	if (size)
		putf(d, "<w:sz w:val=\"%d\"/><w:szCs w:val=\"%d\"/>", size, size);
	puts_(d, "</w:rPr>");
	text(d, s);
	puts_(d, "</w:r></w:p>");
}

struct docx *docx_new(void)
{
	return calloc(1, sizeof(struct docx));
}

void docx_title(struct docx *d, const char *utf8)
{
	paragraph(d, utf8, DOCX_CENTER | DOCX_BOLD, 36);
}

void docx_heading(struct docx *d, const char *utf8)
{
	paragraph(d, utf8, DOCX_BOLD, 28);
}

void docx_para(struct docx *d, const char *utf8, unsigned flags)
{
	if (d->in_table)
		docx_table_end(d);
	paragraph(d, utf8, flags, 0);
}

void docx_table(struct docx *d, int ncols, const int *widths_pct)
{
	if (d->in_table)
		docx_table_end(d);
	if (ncols < 1 || ncols > MAX_COLS) {
		d->failed = true;
		return;
	}
	d->ncols = ncols;
	d->col = 0;
	d->in_table = true;
	puts_(d, "<w:tbl><w:tblPr><w:tblW w:w=\"5000\" w:type=\"pct\"/><w:tblBorders>");
	static const char *const sides[] = {"top", "left", "bottom", "right", "insideH", "insideV"};
	for (size_t i = 0; i < sizeof sides / sizeof sides[0]; i++)
		putf(d, "<w:%s w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"000000\"/>", sides[i]);
	puts_(d, "</w:tblBorders><w:tblLayout w:type=\"fixed\"/>"
		 "<w:tblCellMar><w:left w:w=\"80\" w:type=\"dxa\"/><w:right w:w=\"80\" w:type=\"dxa\"/></w:tblCellMar>"
		 "</w:tblPr><w:tblGrid>");
	for (int i = 0; i < ncols; i++) {
		int pct = widths_pct ? widths_pct[i] : 100 / ncols;
		d->widths[i] = TEXT_TWIPS * (pct > 0 ? pct : 1) / 100;
		putf(d, "<w:gridCol w:w=\"%d\"/>", d->widths[i]);
	}
	puts_(d, "</w:tblGrid>");
}

void docx_cell(struct docx *d, const char *utf8, unsigned flags)
{
	if (!d->in_table) {
		d->failed = true;
		return;
	}
	int span = (int)(flags >> 8 & 0xf);
	if (span < 1)
		span = 1;
	if (span > d->ncols - d->col)
		span = d->ncols - d->col;
	if (d->col == 0)
		puts_(d, "<w:tr>");
	int width = 0;
	for (int i = d->col; i < d->col + span; i++)
		width += d->widths[i];
	putf(d, "<w:tc><w:tcPr><w:tcW w:w=\"%d\" w:type=\"dxa\"/>", width);
	if (span > 1)
		putf(d, "<w:gridSpan w:val=\"%d\"/>", span);
	puts_(d, "<w:vAlign w:val=\"center\"/></w:tcPr>");
	paragraph(d, utf8, flags & 0xffu, 0);
	puts_(d, "</w:tc>");
	d->col += span;
	if (d->col >= d->ncols) {
		puts_(d, "</w:tr>");
		d->col = 0;
	}
}

void docx_table_end(struct docx *d)
{
	if (!d->in_table)
		return;
	while (d->col != 0)
		docx_cell(d, "", 0);
	puts_(d, "</w:tbl>");
	d->in_table = false;
	/* Word needs a paragraph between two tables and after the last one */
	puts_(d, "<w:p/>");
}

void docx_image_png(struct docx *d, const void *png, size_t len, int width_mm, unsigned flags)
{
	int w, h;
	if (d->in_table)
		docx_table_end(d);
	if (png_size(png, len, &w, &h) != 0 || width_mm < 1 || width_mm > 200 || d->nimages >= MAX_IMAGES) {
		d->failed = true;
		return;
	}
	void *copy = malloc(len);
	if (!copy) {
		d->failed = true;
		return;
	}
	memcpy(copy, png, len);
	int n = ++d->nimages;
	d->images[n - 1] = (struct image){copy, len};
	long long cx = (long long)width_mm * EMU_PER_MM, cy = cx * h / w;
	puts_(d, "<w:p><w:pPr>");
	if (flags & DOCX_CENTER)
		puts_(d, "<w:jc w:val=\"center\"/>");
	else if (flags & DOCX_RIGHT)
		puts_(d, "<w:jc w:val=\"right\"/>");
	puts_(d, "</w:pPr><w:r><w:drawing><wp:inline distT=\"0\" distB=\"0\" distL=\"0\" distR=\"0\">");
	putf(d, "<wp:extent cx=\"%lld\" cy=\"%lld\"/><wp:docPr id=\"%d\" name=\"图片 %d\"/>", cx, cy, n, n);
	puts_(d, "<wp:cNvGraphicFramePr><a:graphicFrameLocks noChangeAspect=\"1\"/></wp:cNvGraphicFramePr>"
		 "<a:graphic><a:graphicData uri=\"http://schemas.openxmlformats.org/drawingml/2006/picture\"><pic:pic>");
	putf(d, "<pic:nvPicPr><pic:cNvPr id=\"%d\" name=\"image%d.png\"/><pic:cNvPicPr/></pic:nvPicPr>", n, n);
	putf(d, "<pic:blipFill><a:blip r:embed=\"rIdImg%d\"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>", n);
	putf(d, "<pic:spPr><a:xfrm><a:off x=\"0\" y=\"0\"/><a:ext cx=\"%lld\" cy=\"%lld\"/></a:xfrm>", cx, cy);
	puts_(d, "<a:prstGeom prst=\"rect\"><a:avLst/></a:prstGeom></pic:spPr></pic:pic></a:graphicData></a:graphic>"
		 "</wp:inline></w:drawing></w:r></w:p>");
}

void docx_page_break(struct docx *d)
{
	if (d->in_table)
		docx_table_end(d);
	puts_(d, "<w:p><w:r><w:br w:type=\"page\"/></w:r></w:p>");
}

static const char CONTENT_TYPES[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
	"<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
	"<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
	"<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
	"<Default Extension=\"png\" ContentType=\"image/png\"/>"
	"<Override PartName=\"/word/document.xml\" "
	"ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>"
	"<Override PartName=\"/word/styles.xml\" "
	"ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml\"/>"
	"<Override PartName=\"/word/settings.xml\" "
	"ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml\"/>"
	"</Types>";

static const char ROOT_RELS[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
	"<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
	"<Relationship Id=\"rId1\" "
	"Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" "
	"Target=\"word/document.xml\"/></Relationships>";

static const char STYLES[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
	"<w:styles xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">"
	"<w:docDefaults><w:rPrDefault><w:rPr>"
	"<w:rFonts w:ascii=\"Times New Roman\" w:hAnsi=\"Times New Roman\" w:eastAsia=\"宋体\" w:cs=\"Times New Roman\"/>"
	"<w:sz w:val=\"24\"/><w:szCs w:val=\"24\"/><w:lang w:val=\"en-US\" w:eastAsia=\"zh-CN\"/>"
	"</w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after=\"60\" w:line=\"360\" w:lineRule=\"auto\"/>"
	"</w:pPr></w:pPrDefault></w:docDefaults>"
	"<w:style w:type=\"paragraph\" w:default=\"1\" w:styleId=\"Normal\"><w:name w:val=\"Normal\"/></w:style>"
	"<w:style w:type=\"table\" w:default=\"1\" w:styleId=\"TableNormal\"><w:name w:val=\"Normal Table\"/>"
	"<w:tblPr><w:tblInd w:w=\"0\" w:type=\"dxa\"/><w:tblCellMar><w:top w:w=\"0\" w:type=\"dxa\"/>"
	"<w:left w:w=\"108\" w:type=\"dxa\"/><w:bottom w:w=\"0\" w:type=\"dxa\"/><w:right w:w=\"108\" w:type=\"dxa\"/>"
	"</w:tblCellMar></w:tblPr></w:style></w:styles>";

static const char SETTINGS[] = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
			       "<w:settings xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">"
			       "<w:defaultTabStop w:val=\"420\"/><w:compat/></w:settings>";

static const char DOC_HEAD[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
	"<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\" "
	"xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\" "
	"xmlns:wp=\"http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing\" "
	"xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\" "
	"xmlns:pic=\"http://schemas.openxmlformats.org/drawingml/2006/picture\"><w:body>";

static const char DOC_TAIL[] = "<w:sectPr><w:pgSz w:w=\"11906\" w:h=\"16838\"/>"
			       "<w:pgMar w:top=\"1440\" w:right=\"1440\" w:bottom=\"1440\" w:left=\"1440\" "
			       "w:header=\"851\" w:footer=\"992\" w:gutter=\"0\"/></w:sectPr></w:body></w:document>";

/* Adds name with the bytes at p (kept by the caller until zip_close). */
static int add(zip_t *z, const char *name, const void *p, size_t n)
{
	zip_source_t *s = zip_source_buffer(z, p, n, 0);
	if (!s)
		return -1;
	if (zip_file_add(z, name, s, ZIP_FL_ENC_UTF_8) < 0) {
		zip_source_free(s);
		return -1;
	}
	return 0;
}

int docx_finish(struct docx *d, void **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	if (d->in_table)
		docx_table_end(d);
	struct buf rels = {0};
	struct docx tmp = {0}; /* reuse put() for the relationships part */
	puts_(&tmp, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
		    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
		    "<Relationship Id=\"rIdStyles\" "
		    "Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" "
		    "Target=\"styles.xml\"/><Relationship Id=\"rIdSettings\" "
		    "Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings\" "
		    "Target=\"settings.xml\"/>");
	for (int i = 1; i <= d->nimages; i++)
		putf(&tmp, "<Relationship Id=\"rIdImg%d\" "
			   "Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/image\" "
			   "Target=\"media/image%d.png\"/>", i, i);
	puts_(&tmp, "</Relationships>");
	rels = tmp.body;
	/* the whole document.xml */
	struct docx doc = {0};
	puts_(&doc, DOC_HEAD);
	if (d->body.n)
		put(&doc, d->body.p, d->body.n);
	puts_(&doc, DOC_TAIL);
	int rc = -1;
	zip_source_t *src = NULL;
	zip_t *z = NULL;
	char names[MAX_IMAGES][32];
	if (d->failed || tmp.failed || doc.failed)
		goto done;
	zip_error_t ze;
	zip_error_init(&ze);
	src = zip_source_buffer_create(NULL, 0, 0, &ze);
	z = src ? zip_open_from_source(src, ZIP_TRUNCATE, &ze) : NULL;
	zip_error_fini(&ze);
	if (!z)
		goto done;
	zip_source_keep(src);
	/* [Content_Types].xml first, as Office writes it */
	if (add(z, "[Content_Types].xml", CONTENT_TYPES, sizeof CONTENT_TYPES - 1) || add(z, "_rels/.rels", ROOT_RELS, sizeof ROOT_RELS - 1) ||
	    add(z, "word/document.xml", doc.body.p, doc.body.n) || add(z, "word/styles.xml", STYLES, sizeof STYLES - 1) ||
	    add(z, "word/settings.xml", SETTINGS, sizeof SETTINGS - 1) ||
	    add(z, "word/_rels/document.xml.rels", rels.p, rels.n)) {
		zip_discard(z);
		z = NULL;
		goto done;
	}
	for (int i = 0; i < d->nimages; i++) {
		snprintf(names[i], sizeof names[i], "word/media/image%d.png", i + 1);
		if (add(z, names[i], d->images[i].png, d->images[i].len)) {
			zip_discard(z);
			z = NULL;
			goto done;
		}
	}
	if (zip_close(z) != 0) {
		zip_discard(z);
		z = NULL;
		goto done;
	}
	z = NULL;
	zip_stat_t st;
	if (zip_source_stat(src, &st) != 0 || !(st.valid & ZIP_STAT_SIZE) || zip_source_open(src) != 0)
		goto done;
	void *bytes = malloc(st.size ? st.size : 1);
	zip_int64_t got = bytes ? zip_source_read(src, bytes, st.size) : -1;
	zip_source_close(src);
	if (got < 0 || (zip_uint64_t)got != st.size) {
		free(bytes);
		goto done;
	}
	*out = bytes;
	*len = (size_t)st.size;
	rc = 0;
done:
	if (src)
		zip_source_free(src);
	free(rels.p);
	free(doc.body.p);
	return rc;
}

void docx_free(struct docx *d)
{
	if (!d)
		return;
	for (int i = 0; i < d->nimages; i++)
		free(d->images[i].png);
	free(d->body.p);
	free(d);
}
