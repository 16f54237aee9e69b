/* log.c: see log.h. */
#include "core/log.h"
#include "core/clock.h"
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static FILE *log_fp;
static char log_path[4096];
static enum log_level log_min = LOG_INFO;
static volatile sig_atomic_t reopen_flag;
static const char *const level_names[LOG_LEVEL__MAX] = {"debug", "info", "warn", "error"};

int log_open(const char *path, enum log_level min)
{
	pthread_mutex_lock(&log_mu);
	log_min = min;
	if (log_fp && log_fp != stderr)
		fclose(log_fp);
	log_fp = stderr;
	log_path[0] = 0;
	int rc = 0;
	if (path && *path && strcmp(path, "-") != 0) {
		snprintf(log_path, sizeof log_path, "%s", path);
		FILE *f = fopen(path, "a");
		if (f) {
			setvbuf(f, NULL, _IOLBF, 0);
			log_fp = f;
		} else {
			rc = -1;
		}
	}
	pthread_mutex_unlock(&log_mu);
	return rc;
}

void log_close(void)
{
	pthread_mutex_lock(&log_mu);
	if (log_fp && log_fp != stderr)
		fclose(log_fp);
	log_fp = NULL;
	pthread_mutex_unlock(&log_mu);
}

void log_request_reopen(void)
{
	reopen_flag = 1;
}

void log_json_escape(char *buf, size_t cap, size_t *len, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = *len;
	for (; s && *s && n + 7 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			buf[n++] = '\\';
			buf[n++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			buf[n++] = '\\';
			buf[n++] = 'u';
			buf[n++] = '0';
			buf[n++] = '0';
			buf[n++] = hex[c >> 4];
			buf[n++] = hex[c & 15];
		} else {
			buf[n++] = (char)c;
		}
	}
	if (s && *s) {
		/* cut short: never leave half a UTF-8 character behind */
		while (n > *len && ((unsigned char)buf[n - 1] & 0xC0) == 0x80)
			n--;
		if (n > *len && (unsigned char)buf[n - 1] >= 0xC0)
			n--;
	}
	buf[n < cap ? n : cap - 1] = 0;
	*len = n;
}

static void write_line(const char *line)
{
	pthread_mutex_lock(&log_mu);
	if (reopen_flag && log_path[0]) {
		reopen_flag = 0;
		FILE *f = fopen(log_path, "a");
		if (f) {
			if (log_fp && log_fp != stderr)
				fclose(log_fp);
			setvbuf(f, NULL, _IOLBF, 0);
			log_fp = f;
		}
	}
	FILE *fp = log_fp ? log_fp : stderr;
	fputs(line, fp);
	fputc('\n', fp);
	pthread_mutex_unlock(&log_mu);
}

static size_t put_head(char *buf, size_t cap, const char *level, const char *req_id)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	/* the formatted second, once per second per thread (every request logs a line) */
	static _Thread_local time_t ts_sec = -1;
	static _Thread_local char ts[32];
	if (tv.tv_sec != ts_sec) {
		struct tm tm;
		gmtime_r(&tv.tv_sec, &tm);
		strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
		ts_sec = tv.tv_sec;
	}
	int n = snprintf(buf, cap, "{\"ts\":\"%s.%03dZ\",\"level\":\"%s\"", ts, (int)(tv.tv_usec / 1000), level);
	size_t len = (size_t)n;
	if (req_id) {
		len += (size_t)snprintf(buf + len, cap - len, ",\"req\":\"");
		log_json_escape(buf, cap, &len, req_id);
		len += (size_t)snprintf(buf + len, cap - len, "\"");
	}
	return len;
}

void log_msg(enum log_level lvl, const char *req_id, const char *fmt, ...)
{
	if (lvl < log_min)
		return;
	char msg[1024], buf[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	size_t len = put_head(buf, sizeof buf, level_names[lvl], req_id);
	len += (size_t)snprintf(buf + len, sizeof buf - len, ",\"msg\":\"");
	log_json_escape(buf, sizeof buf - 3, &len, msg);
	snprintf(buf + len, sizeof buf - len, "\"}");
	write_line(buf);
}

/* Appends ,"key":"value" with the value cut at 512 bytes, always leaving room for
 * the fields that close the line, so that every line stays valid JSON. */
static void put_str(char *buf, size_t cap, size_t *len, const char *key, const char *val)
{
	const size_t reserve = 160; /* status, ms, bytes and the closing brace */
	if (!val || *len + strlen(key) + 16 + reserve >= cap)
		return;
	*len += (size_t)snprintf(buf + *len, cap - *len, ",\"%s\":\"", key);
	size_t limit = *len + 512 + 8;
	if (limit > cap - reserve)
		limit = cap - reserve;
	log_json_escape(buf, limit, len, val);
	if (*len >= limit)
		*len = limit - 1;
	*len += (size_t)snprintf(buf + *len, cap - *len, "\"");
}

void log_access_line(const struct log_access *a)
{
	if (LOG_INFO < log_min)
		return;
	char buf[2048];
	size_t len = put_head(buf, sizeof buf, "info", a->req_id);
	len += (size_t)snprintf(buf + len, sizeof buf - len, ",\"msg\":\"access\"");
	put_str(buf, sizeof buf, &len, "method", a->method);
	put_str(buf, sizeof buf, &len, "route", a->route);
	put_str(buf, sizeof buf, &len, "path", a->path);
	put_str(buf, sizeof buf, &len, "ip", a->ip);
	put_str(buf, sizeof buf, &len, "user", a->user);
	snprintf(buf + len, sizeof buf - len, ",\"status\":%d,\"ms\":%.3f,\"bytes\":%llu}", a->status, a->ms, a->bytes);
	write_line(buf);
}
