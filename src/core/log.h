/* log.h: JSON-lines logging. One line per event, to the configured file or stderr.
 * Never log query strings, bodies, passwords, tokens or personal data (S3): callers
 * pass only route templates, ids and codes. SIGHUP sets log_reopen_requested and the
 * next line reopens the file (for logrotate). */
#ifndef DJ_LOG_H
#define DJ_LOG_H
#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_LEVEL__MAX };

/* path NULL or "-" logs to stderr. Returns 0, or -1 when the file cannot be opened. */
int log_open(const char *path, enum log_level min);
void log_close(void);
/* Async-signal-safe: asks the next log line to reopen the file. */
void log_request_reopen(void);

/* A message line. req_id may be NULL. */
void log_msg(enum log_level lvl, const char *req_id, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

struct log_access {
	const char *req_id, *method, *route, *path, *ip, *user;
	int status;
	double ms;
	unsigned long long bytes;
};
/* The access line of one request (no query string, no body). */
void log_access_line(const struct log_access *a);

/* Appends s as a JSON string body (without quotes) into buf of size cap starting at *len;
 * truncates safely. Used by the log and by tests. */
void log_json_escape(char *buf, size_t cap, size_t *len, const char *s);
#endif
