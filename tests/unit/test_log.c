/* test_log.c: the access log's batches (src/core/log.c): lines written by several
 * threads at once, with log_msg lines among them and batches written outside the lock
 * (two buffers), all reach the file, whole and once, each thread's in its order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"

#define THREADS 4
#define LINES 30000 /* 4 × 30,000 lines of ~200 bytes: many times both buffers */

static void *writer(void *arg)
{
	int t = (int)(intptr_t)arg;
	char path[64], id[32];
	for (int i = 0; i < LINES; i++) {
		snprintf(id, sizeof id, "t%d-%d", t, i);
		snprintf(path, sizeof path, "/api/v1/thread/%d/line/%d", t, i);
		struct log_access a = {id, "GET", "/api/v1/x", path, "127.0.0.1", "u", 200, 0.123, 42};
		log_access_line(&a);
		if (i % 5000 == 0)
			log_msg(LOG_WARN, NULL, "thread %d at %d", t, i);
	}
	return NULL;
}

static void test_threads_lines_whole_and_ordered(void **state)
{
	(void)state;
	char file[] = "/tmp/dj-test-log-XXXXXX";
	int fd = mkstemp(file);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(log_open(file, LOG_INFO), 0);
	pthread_t th[THREADS];
	for (int t = 0; t < THREADS; t++)
		assert_int_equal(pthread_create(&th[t], NULL, writer, (void *)(intptr_t)t), 0);
	for (int t = 0; t < THREADS; t++)
		pthread_join(th[t], NULL);
	log_close();

	FILE *f = fopen(file, "r");
	assert_non_null(f);
	int next[THREADS] = {0}, msgs = 0;
	char line[4096];
	while (fgets(line, sizeof line, f)) {
		size_t n = strlen(line);
		assert_true(n > 0 && line[n - 1] == '\n'); /* whole lines only */
		assert_true(line[0] == '{' && strstr(line, "}\n") == line + n - 2);
		if (strstr(line, "\"access\"")) {
			int t, i;
			const char *p = strstr(line, "/api/v1/thread/");
			assert_non_null(p);
			assert_int_equal(sscanf(p, "/api/v1/thread/%d/line/%d", &t, &i), 2);
			assert_true(t >= 0 && t < THREADS);
			if (i != next[t])
				fail_msg("thread %d: line %d, want %d", t, i, next[t]);
			next[t]++;
		} else if (strstr(line, "at ")) {
			msgs++;
		}
	}
	fclose(f);
	unlink(file);
	for (int t = 0; t < THREADS; t++)
		assert_int_equal(next[t], LINES);
	assert_int_equal(msgs, THREADS * (LINES / 5000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads_lines_whole_and_ordered),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
