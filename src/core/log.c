/* log.c: see log.h. */
#include "core/log.h"
#include "core/clock.h"
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static FILE *log_fp;
static char log_path[4096];
static enum log_level log_min = LOG_INFO;
static volatile sig_atomic_t reopen_flag;
static const char *const level_names[LOG_LEVEL__MAX] = {"debug", "info", "warn", "error"};
static void access_flush_locked(void);
static void flusher_halt(void);

int log_open(const char *path, enum log_level min)
{
	pthread_mutex_lock(&log_mu);
	access_flush_locked();
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
	flusher_halt();
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

/* Reopens the file after SIGHUP (log_mu held). */
static void reopen_if_asked(void)
{
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
}

/* ---- access lines, written in batches ----------------------------------------------
 * One write(2) per request was ~6% of the server's CPU on a 1 KB static file (issue 21
 * #4): access lines are appended to a buffer, and a flusher thread writes what gathered
 * ACCESS_DELAY_US after the first line of a batch (or at once when the buffer is past
 * half full). Every other line (log_msg) first writes the pending access lines, so the
 * file keeps the order of events; log_close and a reopen flush too. At most the last
 * millisecond of access lines is lost if the process dies.
 *
 * The flusher writes a batch outside log_mu (two buffers: the workers fill one while the
 * other is written): a write(2) may sleep for tens of milliseconds when the kernel
 * throttles a process's dirty pages (a bench's GBs of database and log), and with the
 * lock held every worker finishing a request waited for it, a stall of every
 * connection seen as p99 (docs/perf-notes-tails.md). A worker waits only when both
 * buffers are full; a log_msg line, rare, waits for a batch being written. */
#define ACCESS_BUF (256 * 1024)
#define ACCESS_DELAY_US 1000
static char access_bufs[2][ACCESS_BUF];
static char *access_buf = access_bufs[0]; /* the one being filled */
static size_t access_len;
static bool access_writing; /* the flusher is writing the other buffer, outside log_mu */
static pthread_cond_t access_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t access_idle_cv = PTHREAD_COND_INITIALIZER; /* access_writing went false */
static pthread_cond_t access_room_cv = PTHREAD_COND_INITIALIZER;  /* the full buffer was taken */
static pthread_t flusher;
static bool flusher_on, flusher_stop;

/* Writes n bytes to fd; a full disk loses them, as fputs would have. */
static void write_all(int fd, const char *p, size_t n)
{
	for (size_t off = 0; off < n;) {
		ssize_t w = write(fd, p + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
}

static FILE *log_out(void)
{
	return log_fp ? log_fp : stderr;
}

/* Writes the pending access lines (log_mu held), after a batch being written. */
static void access_flush_locked(void)
{
	while (access_writing)
		pthread_cond_wait(&access_idle_cv, &log_mu);
	if (!access_len)
		return;
	FILE *fp = log_out();
	fflush(fp);
	/* one write(2) for the batch (a line-buffered fwrite wrote it in several) */
	write_all(fileno(fp), access_buf, access_len);
	access_len = 0;
}

static void *flusher_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&log_mu);
	while (!flusher_stop) {
		if (!access_len) {
			pthread_cond_wait(&access_cv, &log_mu);
			continue;
		}
		if (access_len <= ACCESS_BUF / 2) {
			pthread_mutex_unlock(&log_mu);
			struct timespec d = {0, ACCESS_DELAY_US * 1000L};
			nanosleep(&d, NULL);
			pthread_mutex_lock(&log_mu);
		}
		reopen_if_asked();
		if (!access_len)
			continue;
		/* the batch leaves the lock: the workers go on filling the other buffer */
		char *out = access_buf;
		size_t n = access_len;
		access_buf = out == access_bufs[0] ? access_bufs[1] : access_bufs[0];
		access_len = 0;
		access_writing = true;
		FILE *fp = log_out();
		fflush(fp); /* log_msg's lines are flushed as written: nothing is pending here */
		int fd = fileno(fp);
		pthread_cond_broadcast(&access_room_cv);
		pthread_mutex_unlock(&log_mu);
		write_all(fd, out, n);
		pthread_mutex_lock(&log_mu);
		access_writing = false;
		pthread_cond_broadcast(&access_idle_cv);
	}
	access_flush_locked();
	pthread_mutex_unlock(&log_mu);
	return NULL;
}

static void flusher_halt(void)
{
	pthread_mutex_lock(&log_mu);
	bool on = flusher_on;
	flusher_stop = true;
	flusher_on = false;
	pthread_cond_broadcast(&access_cv);
	pthread_cond_broadcast(&access_room_cv);
	pthread_mutex_unlock(&log_mu);
	if (on)
		pthread_join(flusher, NULL);
	flusher_stop = false;
}

static void write_access(const char *line, size_t n)
{
	pthread_mutex_lock(&log_mu);
	if (!flusher_on && !flusher_stop)
		flusher_on = pthread_create(&flusher, NULL, flusher_main, NULL) == 0;
	/* no room: the flusher takes this buffer as soon as the batch before is written */
	while (flusher_on && access_len && access_len + n + 1 > ACCESS_BUF) {
		pthread_cond_signal(&access_cv);
		pthread_cond_wait(&access_room_cv, &log_mu);
	}
	if (!flusher_on || access_len + n + 1 > ACCESS_BUF) {
		while (access_writing) /* a halting flusher's last batch: the file may be reopened here */
			pthread_cond_wait(&access_idle_cv, &log_mu);
		reopen_if_asked();
		access_flush_locked();
	}
	if (n + 1 > ACCESS_BUF || !flusher_on) {
		FILE *fp = log_out();
		fwrite(line, 1, n, fp);
		fputc('\n', fp);
	} else {
		memcpy(access_buf + access_len, line, n);
		access_buf[access_len + n] = '\n';
		bool first = !access_len;
		access_len += n + 1;
		if (first || access_len > ACCESS_BUF / 2)
			pthread_cond_signal(&access_cv);
	}
	pthread_mutex_unlock(&log_mu);
}

static void write_line(const char *line)
{
	pthread_mutex_lock(&log_mu);
	while (access_writing) /* the file may be reopened here */
		pthread_cond_wait(&access_idle_cv, &log_mu);
	reopen_if_asked();
	access_flush_locked();
	FILE *fp = log_out();
	fputs(line, fp);
	fputc('\n', fp);
	pthread_mutex_unlock(&log_mu);
}

static size_t put_head(char *buf, size_t cap, const char *level, const char *req_id)
{
	struct timespec tv;
	clock_gettime(CLOCK_REALTIME, &tv);
	/* the formatted second, once per second per thread (every request logs a line) */
	static _Thread_local time_t ts_sec = -1;
	static _Thread_local char ts[32];
	if (tv.tv_sec != ts_sec) {
		struct tm tm;
		gmtime_r(&tv.tv_sec, &tm);
		strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
		ts_sec = tv.tv_sec;
	}
	size_t len = 0, n = strlen(ts), ln = strlen(level);
	if (n + ln + 64 > cap)
		return 0;
	memcpy(buf, "{\"ts\":\"", 7);
	len = 7;
	memcpy(buf + len, ts, n);
	len += n;
	int ms = (int)(tv.tv_nsec / 1000000);
	buf[len++] = '.';
	buf[len++] = (char)('0' + ms / 100);
	buf[len++] = (char)('0' + ms / 10 % 10);
	buf[len++] = (char)('0' + ms % 10);
	memcpy(buf + len, "Z\",\"level\":\"", 12);
	len += 12;
	memcpy(buf + len, level, ln);
	len += ln;
	buf[len++] = '"';
	buf[len] = 0;
	if (req_id) {
		memcpy(buf + len, ",\"req\":\"", 8);
		len += 8;
		log_json_escape(buf, cap, &len, req_id);
		buf[len++] = '"';
		buf[len] = 0;
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
	size_t kn = strlen(key);
	if (!val || *len + kn + 16 + reserve >= cap)
		return;
	char *o = buf + *len;
	*o++ = ',';
	*o++ = '"';
	memcpy(o, key, kn);
	o += kn;
	memcpy(o, "\":\"", 3);
	*len += kn + 5;
	size_t limit = *len + 512 + 8;
	if (limit > cap - reserve)
		limit = cap - reserve;
	log_json_escape(buf, limit, len, val);
	if (*len >= limit)
		*len = limit - 1;
	buf[(*len)++] = '"';
	buf[*len] = 0;
}

/* The access line by hand (snprintf's formatting was ~5% of a static file's CPU):
 * the same bytes as put_head + put_str + "%d/%.3f/%llu" gave. */
static char *put_lit(char *o, const char *lit, size_t n)
{
	memcpy(o, lit, n);
	return o + n;
}

static char *put_u64(char *o, unsigned long long v)
{
	char tmp[24];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*o++ = tmp[--n];
	return o;
}

void log_access_line(const struct log_access *a)
{
	if (LOG_INFO < log_min)
		return;
	char buf[2048];
	size_t len = put_head(buf, sizeof buf, "info", a->req_id);
	static const char msg[] = ",\"msg\":\"access\"";
	memcpy(buf + len, msg, sizeof msg - 1);
	len += sizeof msg - 1;
	put_str(buf, sizeof buf, &len, "method", a->method);
	put_str(buf, sizeof buf, &len, "route", a->route);
	put_str(buf, sizeof buf, &len, "path", a->path);
	put_str(buf, sizeof buf, &len, "ip", a->ip);
	put_str(buf, sizeof buf, &len, "user", a->user);
	/* put_str leaves 160 bytes for these */
	char *o = buf + len;
	o = put_lit(o, ",\"status\":", 10);
	if (a->status < 0) {
		*o++ = '-';
		o = put_u64(o, (unsigned long long)-(long long)a->status);
	} else {
		o = put_u64(o, (unsigned long long)a->status);
	}
	double ms = a->ms;
	if (ms >= 0 && ms < 1e12) {
		unsigned long long us = (unsigned long long)(ms * 1000.0 + 0.5);
		o = put_lit(o, ",\"ms\":", 6);
		o = put_u64(o, us / 1000);
		*o++ = '.';
		unsigned f = (unsigned)(us % 1000);
		*o++ = (char)('0' + f / 100);
		*o++ = (char)('0' + f / 10 % 10);
		*o++ = (char)('0' + f % 10);
	} else {
		o += snprintf(o, 64, ",\"ms\":%.3f", ms);
	}
	o = put_lit(o, ",\"bytes\":", 9);
	o = put_u64(o, a->bytes);
	*o++ = '}';
	*o = 0;
	write_access(buf, (size_t)(o - buf));
}
