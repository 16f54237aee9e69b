/* body.c: where a request body is kept while it arrives and until the request ends.
 * JSON bodies stay in memory (their caps are small); a raw-body route's body (an
 * upload) past cfg.body_spool_threshold goes to an unlinked temporary file (mode 0600
 * in cfg.tmp_dir, or beside the database), and when it is complete the file is mapped
 * read-only at req->body, so that handlers read it as they read a body in memory while
 * the server's private memory does not grow with uploads (SECURITY.md S17). What
 * belongs here: storing, mapping and freeing bodies. What does not: whether a body may
 * be read at all (dispatch.c's gate) and how many bytes may be in flight (limits.c). */
#include "config.h"
#include "core/log.h"
#include "http/internal.h"
#include "http/request.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The directory for spooled bodies (config_work_dir). */
static void spool_dir(char *out, size_t cap)
{
	config_work_dir(out, cap);
}

/* An unlinked file open for reading and writing, mode 0600, or -1 with errno set. */
static int spool_open(void)
{
	char dir[PATH_MAX];
	spool_dir(dir, sizeof dir);
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd;
	/* a file system without O_TMPFILE: create, unlink at once */
	char path[PATH_MAX + 32];
	snprintf(path, sizeof path, "%s/dj-body-XXXXXX", dir);
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	unlink(path);
	if (fchmod(fd, 0600) != 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static bool write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

static void fail_storage(struct request *req, const char *what)
{
	int e = errno;
	log_msg(LOG_ERROR, req->id, "request body: %s: %s", what, strerror(e));
	if (e == ENOSPC || e == EDQUOT)
		req_fail(req, 507, "storage_full", "存储空间不足，暂时无法接收上传的文件，请联系管理员");
	else
		req_fail(req, 500, "internal_error", "服务器内部错误，请稍后重试");
}

/* Moves what is in memory to a new spool file. */
static bool spool_start(struct request *req)
{
	int fd = spool_open();
	if (fd < 0) {
		fail_storage(req, "cannot create a temporary file");
		return false;
	}
	if (!write_all(fd, req->body ? req->body : "", req->body_len)) {
		close(fd);
		fail_storage(req, "cannot write the temporary file");
		return false;
	}
	free(req->body);
	req->body = NULL;
	req->intake.spooled = true;
	req->intake.fd = fd;
	return true;
}

bool body_append(struct request *req, const char *data, size_t n)
{
	bool raw = req->route && (req->route->flags & RF_RAW_BODY);
	if (!req->intake.spooled && raw && req->body_len + n > (size_t)cfg.body_spool_threshold && !spool_start(req))
		return false;
	if (req->intake.spooled) {
		if (!write_all(req->intake.fd, data, n)) {
			fail_storage(req, "cannot write the temporary file");
			return false;
		}
		req->body_len += n;
		return true;
	}
	char *nb = realloc(req->body, req->body_len + n + 1);
	if (!nb) {
		req_fail(req, 500, "internal_error", "服务器内部错误，请稍后重试");
		return false;
	}
	memcpy(nb + req->body_len, data, n);
	req->body = nb;
	req->body_len += n;
	req->body[req->body_len] = 0;
	return true;
}

bool body_finish(struct request *req)
{
	if (!req->intake.spooled)
		return true;
	/* one NUL past the end, in the file, so that the mapping is NUL-terminated like a
	 * body in memory (a mapping's tail past the file's end is not ours to read) */
	if (!write_all(req->intake.fd, "", 1)) {
		fail_storage(req, "cannot write the temporary file");
		return false;
	}
	void *m = mmap(NULL, req->body_len + 1, PROT_READ, MAP_SHARED, req->intake.fd, 0);
	if (m == MAP_FAILED) {
		fail_storage(req, "cannot map the temporary file");
		return false;
	}
	close(req->intake.fd); /* the mapping keeps the unlinked file */
	req->intake.spooled = false;
	req->intake.fd = -1;
	req->body = m;
	req->intake.map_len = req->body_len + 1;
	return true;
}

void body_release(struct request *req)
{
	if (req->intake.spooled)
		close(req->intake.fd);
	req->intake.spooled = false;
	if (req->intake.map_len)
		munmap(req->body, req->intake.map_len);
	else
		free(req->body);
	req->intake.map_len = 0;
	req->body = NULL;
	req->body_len = 0;
}

/* A taken body is always a mapping (anonymous for a body that was in memory), so that
 * req_body_free needs nothing but the pointer and length. */
char *req_body_take(struct request *req, size_t *len)
{
	*len = 0;
	if (!req->body || !req->body_len)
		return NULL;
	char *out;
	if (req->intake.map_len) {
		out = req->body;
	} else {
		void *m = mmap(NULL, req->body_len + 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED) {
			req_fail(req, 500, "internal_error", "服务器内部错误，请稍后重试");
			return NULL;
		}
		memcpy(m, req->body, req->body_len + 1);
		mprotect(m, req->body_len + 1, PROT_READ);
		free(req->body);
		out = m;
	}
	*len = req->body_len;
	req->body = NULL;
	req->body_len = 0;
	req->intake.map_len = 0;
	return out;
}

void req_body_free(char *body, size_t len)
{
	if (body)
		munmap(body, len + 1);
}
