/* static.c: see static.h. */
#include "http/static.h"
#include "config.h"
#include "core/arena.h"
#include "http/request.h"
#include <fcntl.h>
#include <sys/types.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool static_path_ok(const char *path)
{
	if (!path || path[0] != '/')
		return false;
	for (const char *p = path; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c == 0x7f || c == '\\')
			return false;
	}
	const char *seg = path;
	while (*seg) {
		seg++; /* past '/' */
		const char *end = strchr(seg, '/');
		size_t len = end ? (size_t)(end - seg) : strlen(seg);
		if ((len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
			return false;
		seg += len;
	}
	return true;
}

#define STATIC_INLINE_MAX 16384 /* bytes: a file up to this size is answered from memory */

static const struct {
	const char *ext, *type;
} types[] = {
	{".html", "text/html; charset=utf-8"},
	{".js", "text/javascript; charset=utf-8"},
	{".mjs", "text/javascript; charset=utf-8"},
	{".css", "text/css; charset=utf-8"},
	{".json", "application/json"},
	{".svg", "image/svg+xml"},
	{".png", "image/png"},
	{".jpg", "image/jpeg"},
	{".jpeg", "image/jpeg"},
	{".gif", "image/gif"},
	{".webp", "image/webp"},
	{".ico", "image/x-icon"},
	{".woff2", "font/woff2"},
	{".woff", "font/woff"},
	{".ttf", "font/ttf"},
	{".txt", "text/plain; charset=utf-8"},
	{".map", "application/json"},
	{".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
};

static const char *content_type(const char *path)
{
	const char *dot = strrchr(path, '.');
	const char *slash = strrchr(path, '/');
	if (dot && (!slash || dot > slash))
		for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
			if (strcmp(dot, types[i].ext) == 0)
				return types[i].type;
	return "application/octet-stream";
}

/* Opens root+path as a regular file; -1 when it is not one. */
static int open_file(struct request *req, const char *path, struct stat *st)
{
	const char *full = arena_printf(req->arena, "%s%s", cfg.web_root, path);
	int fd = open(full, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool accepts_gzip(struct request *req)
{
	const char *ae = req_header(req, "Accept-Encoding");
	return ae && strstr(ae, "gzip");
}

void static_serve(struct request *req)
{
	const char *path = req->path;
	if (!static_path_ok(path)) {
		req_fail(req, 400, "bad_path", "请求路径无效");
		return;
	}
	struct stat st;
	int fd = -1;
	bool spa = false;
	if (strcmp(path, "/") != 0 && path[strlen(path) - 1] != '/')
		fd = open_file(req, path, &st);
	if (fd < 0) {
		/* the SPA's routes (/orgs, /members/12…) all load index.html; a missing
		 * asset file is a real 404, not the app */
		if (strncmp(path, "/assets/", 8) == 0) {
			req_fail(req, 404, "not_found", "请求的资源不存在");
			return;
		}
		path = "/index.html";
		spa = true;
		fd = open_file(req, path, &st);
		if (fd < 0) {
			req_fail(req, 404, "not_found", "前端页面尚未构建（web/dist 不存在）");
			return;
		}
	}
	bool hashed = strncmp(path, "/assets/", 8) == 0;
	const char *type = content_type(path);
	/* a precompressed sibling, when the client takes gzip */
	if (accepts_gzip(req)) {
		struct stat gst;
		int gfd = open_file(req, arena_printf(req->arena, "%s.gz", path), &gst);
		if (gfd >= 0) {
			close(fd);
			fd = gfd;
			st = gst;
			req_add_header(req, "Content-Encoding", "gzip");
		}
		req_add_header(req, "Vary", "Accept-Encoding");
	}
	const char *etag = arena_printf(req->arena, "\"%llx-%llx-%llx\"", (unsigned long long)st.st_ino,
					(unsigned long long)st.st_size, (unsigned long long)st.st_mtime);
	req_add_header(req, "ETag", etag);
	req_add_header(req, "Cache-Control", hashed ? "public, max-age=31536000, immutable" : "no-cache");
	req->no_store_off = true;
	(void)spa;
	const char *inm = req_header(req, "If-None-Match");
	if (inm && (strcmp(inm, etag) == 0 || strcmp(inm, "*") == 0)) {
		close(fd);
		req_reply_raw(req, 304, NULL, "", 0);
		return;
	}
	/* a small file is read into the request's arena: libmicrohttpd then sends the head
	 * and the body in one call, where a file response takes a send and a sendfile
	 * (each ~11% of the CPU of a 1 KB file: bench/results.md) */
	if (st.st_size <= STATIC_INLINE_MAX) {
		size_t len = (size_t)st.st_size, got = 0;
		char *buf = arena_alloc_raw(req->arena, len + 1);
		while (got < len) {
			ssize_t n = pread(fd, buf + got, len - got, (off_t)got);
			if (n <= 0)
				break;
			got += (size_t)n;
		}
		if (got == len) {
			close(fd);
			req_reply_raw(req, 200, type, buf, len);
			return;
		}
		/* changed while read: sent from the file as it is now */
	}
	req->out_fd = fd;
	req->out_fd_size = (uint64_t)st.st_size;
	req->status = 200;
	req->out_type = type;
}
