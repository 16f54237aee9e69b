/* roster_util.c: see roster_util.h. */
#include "api/roster_util.h"
#include "auth/scope.h"
#include "config.h"
#include "core/arena.h"
#include "core/log.h"
#include "core/clock.h"
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct date roster_today(void)
{
	char b[11];
	struct date d;
	clock_today(b);
	date_parse(b, &d);
	return d;
}

bool roster_org_in_scope(struct request *req, int64_t id, const char *perm, struct org_rec *o)
{
	if (id <= 0) {
		req_fail(req, 404, "not_found", "党组织不存在");
		return false;
	}
	enum db_rc rc = org_get(req->db, req->arena, id, o);
	return roster_found(req, rc, rc == DB_OK && scope_allows(req, perm, o->path), "党组织不存在");
}

bool roster_org_path_in_scope(struct request *req, int64_t id, const char *perm, const char **path)
{
	if (id <= 0) {
		req_fail(req, 404, "not_found", "党组织不存在");
		return false;
	}
	enum db_rc rc = org_path_get(req->db, req->arena, id, path);
	return roster_found(req, rc, rc == DB_OK && scope_allows(req, perm, *path), "党组织不存在");
}

bool roster_found(struct request *req, enum db_rc rc, bool visible, const char *message)
{
	if (rc == DB_OK && visible)
		return true;
	if (rc == DB_OK || rc == DB_NOT_FOUND)
		req_fail(req, 404, "not_found", message);
	else
		req_fail_db(req, rc);
	return false;
}

size_t roster_ranges(struct request *req, const char *perm, const char ***prefixes, const char ***ends)
{
	const char **roots = NULL;
	size_t n = scope_roots(req, perm, &roots);
	const char **e = arena_alloc(req->arena, sizeof *e * (n ? n : 1));
	for (size_t i = 0; i < n; i++)
		e[i] = scope_path_end(req->arena, roots[i]);
	*prefixes = roots;
	*ends = e;
	return n;
}

size_t roster_org_ranges(struct request *req, const char *perm, int64_t org_id, const char ***prefixes,
			 const char ***ends)
{
	if (!org_id)
		return roster_ranges(req, perm, prefixes, ends);
	const char *path;
	if (!roster_org_path_in_scope(req, org_id, perm, &path))
		return 0;
	const char **p = arena_alloc(req->arena, sizeof *p), **e = arena_alloc(req->arena, sizeof *e);
	p[0] = path;
	e[0] = scope_path_end(req->arena, path);
	*prefixes = p;
	*ends = e;
	return 1;
}

const char *roster_cursor_encode(struct request *req, const char *key, int64_t id)
{
	char *raw = arena_printf(req->arena, "%lld\x1f%s", (long long)id, key ? key : "");
	size_t len = strlen(raw);
	size_t cap = sodium_base64_encoded_len(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *out = arena_alloc(req->arena, cap);
	sodium_bin2base64(out, cap, (const unsigned char *)raw, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return out;
}

bool roster_cursor_decode(struct request *req, const char *cursor, const char **key, int64_t *id)
{
	size_t clen = strlen(cursor);
	unsigned char *bin = arena_alloc(req->arena, clen + 1);
	size_t blen = 0;
	if (clen > 1024 ||
	    sodium_base642bin(bin, clen, cursor, clen, NULL, &blen, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		goto bad;
	bin[blen] = 0;
	char *sep = memchr(bin, 0x1f, blen);
	if (!sep || strlen((char *)bin) != blen)
		goto bad;
	*sep = 0;
	char *end;
	long long v = strtoll((char *)bin, &end, 10);
	if (*end || v < 0)
		goto bad;
	*id = v;
	*key = sep + 1;
	return true;
bad:
	req_field_error(req, "cursor", "invalid_cursor", "分页标记无效，请从第一页重新查询");
	return false;
}

char *roster_tmpfile(struct request *req, const char *suffix)
{
	char dir[4096];
	config_work_dir(dir, sizeof dir);
	char *path = arena_printf(req->arena, "%s/.export-%d-XXXXXX%s", dir, (int)getpid(), suffix);
	int fd = mkstemps(path, (int)strlen(suffix));
	if (fd < 0) {
		req_fail(req, 500, "internal_error", "无法创建临时文件");
		return NULL;
	}
	fchmod(fd, 0600);
	close(fd);
	return path;
}

void roster_reply_file(struct request *req, const char *path, const char *type, const char *name)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	unlink(path);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		req_fail(req, 500, "internal_error", "无法读取生成的文件");
		return;
	}
	req->status = 200;
	req->out_fd = fd;
	req->out_fd_size = (uint64_t)st.st_size;
	req->out_type = type;
	roster_attachment(req, name);
}

void roster_attachment(struct request *req, const char *name)
{
	/* RFC 6266 with an RFC 5987 UTF-8 name: the ASCII fallback first */
	char enc[256];
	size_t k = 0;
	for (const unsigned char *p = (const unsigned char *)name; *p && k + 4 < sizeof enc; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
		    *p == '-' || *p == '_') {
			enc[k++] = (char)*p;
		} else {
			snprintf(enc + k, sizeof enc - k, "%%%02X", *p);
			k += 3;
		}
	}
	enc[k] = 0;
	const char *dot = strrchr(name, '.');
	req_add_header(req, "Content-Disposition",
		       arena_printf(req->arena, "attachment; filename=\"export%s\"; filename*=UTF-8''%s", dot ? dot : "", enc));
}
