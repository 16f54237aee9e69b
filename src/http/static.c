/* static.c: see static.h. */
#include "http/static.h"
#include "config.h"
#include "core/arena.h"
#include "core/clock.h"
#include "http/request.h"
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
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

/* ---- small files kept in memory ----------------------------------------------------
 * A file of up to STATIC_INLINE_MAX bytes served once is kept, per request path and
 * gzip choice, with its ETag and headers: the next request copies it from here instead of
 * open + fstat + pread + close and three formatted strings (~10% of the CPU of a 1 KB
 * file, issue 21 #4). An entry is checked against the file (lstat: inode, size, mtime)
 * when it is older than STATIC_CHECK_MS, so a new build of web/dist is served within
 * that time; a file gone or changed drops the entry and the request takes the slow path.
 * At most STATIC_CACHE_BYTES are kept (the built front end's small files are ~1 MiB):
 * past it a new file is not kept. */
#define STATIC_CACHE_SLOTS 512
#define STATIC_CACHE_BYTES (2u << 20)
#define STATIC_CHECK_MS 1000.0

struct cached {
	char *key;  /* request path, then "\n1" when gzip was accepted, "\n0" when not */
	char *file; /* the file served (path or path.gz under the web root) */
	char *body, *etag;
	size_t len;
	const char *type, *cache_control;
	bool gz, vary;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	double checked;
};

static struct cached *cache[STATIC_CACHE_SLOTS];
static size_t cache_bytes;
/* read-locked to serve (both workers at once), write-locked to check, add or drop */
static pthread_rwlock_t cache_mu = PTHREAD_RWLOCK_INITIALIZER;

static size_t cache_slot(const char *key)
{
	size_t h = 5381;
	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = h * 33 + *p;
	return h % STATIC_CACHE_SLOTS;
}

static void cached_free(struct cached *c)
{
	if (!c)
		return;
	cache_bytes -= c->len;
	free(c->key);
	free(c->file);
	free(c->body);
	free(c->etag);
	free(c);
}

/* The headers and body of a kept file, copied into the request; false when there is
 * none (or it no longer matches its file). */
static bool cache_serve(struct request *req, const char *key)
{
	size_t slot = cache_slot(key);
	double now = clock_mono_ms();
	pthread_rwlock_rdlock(&cache_mu);
	struct cached *c = cache[slot];
	if (c && strcmp(c->key, key) == 0 && now - c->checked > STATIC_CHECK_MS) {
		/* due for a check: under the write lock, and looked up again */
		pthread_rwlock_unlock(&cache_mu);
		pthread_rwlock_wrlock(&cache_mu);
		c = cache[slot];
		struct stat st;
		if (c && strcmp(c->key, key) == 0 && now - c->checked > STATIC_CHECK_MS) {
			if (lstat(c->file, &st) != 0 || !S_ISREG(st.st_mode) || st.st_ino != c->ino || st.st_size != c->size ||
			    st.st_mtim.tv_sec != c->mtime.tv_sec || st.st_mtim.tv_nsec != c->mtime.tv_nsec) {
				cache[slot] = NULL;
				cached_free(c);
				c = NULL;
			} else {
				c->checked = now;
			}
		}
	}
	if (!c || strcmp(c->key, key) != 0) {
		pthread_rwlock_unlock(&cache_mu);
		return false;
	}
	char *body = arena_memdup(req->arena, c->body, c->len);
	const char *etag = arena_strdup(req->arena, c->etag);
	size_t len = c->len;
	const char *type = c->type, *cc = c->cache_control;
	bool gz = c->gz, vary = c->vary;
	pthread_rwlock_unlock(&cache_mu);
	/* the same headers, in the same order, as the slow path below */
	if (gz)
		req_add_header_static(req, "Content-Encoding", "gzip");
	if (vary)
		req_add_header_static(req, "Vary", "Accept-Encoding");
	req_add_header_static(req, "ETag", etag);
	req_add_header_static(req, "Cache-Control", cc);
	req->no_store_off = true;
	const char *inm = req_header(req, "If-None-Match");
	if (inm && (strcmp(inm, etag) == 0 || strcmp(inm, "*") == 0))
		req_reply_raw(req, 304, NULL, "", 0);
	else
		req_reply_raw(req, 200, type, body, len);
	return true;
}

static char *dup_or_null(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = 0;
	}
	return d;
}

static void cache_put(const char *key, const char *file, const struct stat *st, const char *body, size_t len,
		      const char *etag, const char *type, const char *cc, bool gz, bool vary)
{
	struct cached *c = calloc(1, sizeof *c);
	if (!c)
		return;
	c->key = dup_or_null(key, strlen(key));
	c->file = dup_or_null(file, strlen(file));
	c->body = dup_or_null(body, len);
	c->etag = dup_or_null(etag, strlen(etag));
	c->len = len;
	c->type = type;
	c->cache_control = cc;
	c->gz = gz;
	c->vary = vary;
	c->ino = st->st_ino;
	c->size = st->st_size;
	c->mtime = st->st_mtim;
	c->checked = clock_mono_ms();
	pthread_rwlock_wrlock(&cache_mu);
	size_t slot = cache_slot(key);
	struct cached *old = cache[slot];
	size_t after = cache_bytes - (old ? old->len : 0) + len;
	if (!c->key || !c->file || !c->body || !c->etag || after > STATIC_CACHE_BYTES) {
		pthread_rwlock_unlock(&cache_mu);
		c->len = 0;
		free(c->key);
		free(c->file);
		free(c->body);
		free(c->etag);
		free(c);
		return;
	}
	cached_free(old); /* a slot holds one path: a colliding one replaces it */
	cache_bytes += len;
	cache[slot] = c;
	pthread_rwlock_unlock(&cache_mu);
}

void static_serve(struct request *req)
{
	const char *path = req->path;
	if (!static_path_ok(path)) {
		req_fail(req, 400, "bad_path", "请求路径无效");
		return;
	}
	bool gzip_ok = accepts_gzip(req);
	size_t plen = strlen(path);
	char *key = arena_alloc_raw(req->arena, plen + 3);
	memcpy(key, path, plen);
	memcpy(key + plen, gzip_ok ? "\n1" : "\n0", 3);
	if (cache_serve(req, key))
		return;
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
	bool gz = false;
	if (gzip_ok) {
		struct stat gst;
		int gfd = open_file(req, arena_printf(req->arena, "%s.gz", path), &gst);
		if (gfd >= 0) {
			close(fd);
			fd = gfd;
			st = gst;
			gz = true;
			req_add_header(req, "Content-Encoding", "gzip");
		}
		req_add_header(req, "Vary", "Accept-Encoding");
	}
	const char *etag = arena_printf(req->arena, "\"%llx-%llx-%llx\"", (unsigned long long)st.st_ino,
					(unsigned long long)st.st_size, (unsigned long long)st.st_mtime);
	req_add_header(req, "ETag", etag);
	const char *cc = hashed ? "public, max-age=31536000, immutable" : "no-cache";
	req_add_header(req, "Cache-Control", cc);
	req->no_store_off = true;
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
			/* an SPA route's answer is index.html: kept for "/" only (any other path
			 * is first looked for as a file of its own) */
			if (!spa || strcmp(req->path, "/") == 0)
				cache_put(key, arena_printf(req->arena, "%s%s%s", cfg.web_root, path, gz ? ".gz" : ""), &st, buf,
					  len, etag, type, cc, gz, gzip_ok);
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
