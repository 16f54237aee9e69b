/* config.c: the declarative option table and its readers; see config.h. */
#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct config cfg;

enum opt_type { OPT_STR, OPT_INT, OPT_BOOL };

struct option_def {
	const char *name;
	enum opt_type type;
	size_t off;
	const char *def;
	const char *help;
};

#define O(n, t, d, h) {#n, t, offsetof(struct config, n), d, h}
static const struct option_def options[] = {
	O(listen, OPT_STR, "127.0.0.1", "address to listen on (behind a TLS proxy in production)"),
	O(port, OPT_INT, "8080", "TCP port"),
	O(workers, OPT_INT, "0", "HTTP worker threads; 0 = one per core"),
	O(web_root, OPT_STR, "web/dist", "directory of the built front end"),
	O(connection_timeout, OPT_INT, "30", "seconds a connection may stay idle"),
	O(connection_limit, OPT_INT, "4096", "open connections at most"),
	O(per_ip_limit, OPT_INT, "128", "open connections per client address at most"),
	O(conn_memory_limit, OPT_INT, "65536", "bytes of buffer per connection (MHD zeroes it after each request: keep it near max_headers)"),
	O(request_deadline, OPT_INT, "120", "absolute seconds a request may take, body upload included"),
	O(body_cap, OPT_INT, "1048576", "default request body cap in bytes"),
	O(max_uri, OPT_INT, "8192", "longest request target in bytes (414 above)"),
	O(max_headers, OPT_INT, "32768", "total request header bytes (431 above)"),
	O(shutdown_grace, OPT_INT, "30", "seconds to finish in-flight requests at SIGTERM"),
	O(trusted_proxy, OPT_STR, "", "proxy address whose X-Forwarded-For/-Proto are trusted"),
	O(test_mode, OPT_BOOL, "0", "enable test-only routes (settable clock); never in production"),
	O(db, OPT_STR, "var/dangjian.db", "SQLite database file"),
	O(busy_timeout_ms, OPT_INT, "2000", "ms to wait for the write lock before answering 503"),
	O(mmap_size, OPT_INT, "0", "SQLite mmap_size in bytes (0: read through the page cache; a mapping counts in RSS per connection)"),
	O(cache_kib, OPT_INT, "8192", "SQLite page cache per connection in KiB"),
	O(stats_parallel_orgs, OPT_INT, "5000", "a statistics pass over at least this many organizations runs in two halves on two connections"),
	O(import_batch_rows, OPT_INT, "500", "rows an import writes per transaction (S18: others write in between)"),
	O(import_max_unzipped_mib, OPT_INT, "1536", "decompressed MiB of one xlsx part at most (a 1M-row sheet is ~1.2 GiB)"),
	O(import_max_ratio, OPT_INT, "40", "an xlsx part may decompress to at most this many times the upload's size (S19)"),
	O(import_max_seconds, OPT_INT, "600", "seconds an import's file may take to read and check"),
	O(import_max_foreign_dups, OPT_INT, "3", "people outside the caller's scope an import may meet before it stops (S20)"),
	O(dup_probe_limit, OPT_INT, "10", "duplicates outside the caller's scope a user may meet per dup_probe_window (S20; 429 above)"),
	O(dup_probe_window, OPT_INT, "3600", "seconds in which dup_probe_limit counts"),
	O(key_dir, OPT_STR, "var/keys", "directory of key files (kept outside the database)"),
	O(log_file, OPT_STR, "-", "log file, - for stderr"),
	O(log_level, OPT_STR, "info", "debug, info, warn or error"),
	O(password_policy, OPT_STR, "dengbao", "dengbao (GB/T 22239 level 3) or asvs"),
	O(session_idle, OPT_INT, "1800", "session idle timeout in seconds"),
	O(session_absolute, OPT_INT, "43200", "session absolute lifetime in seconds"),
	O(lock_threshold, OPT_INT, "5", "failed logins that lock an account"),
	O(lock_window, OPT_INT, "900", "seconds in which the failures are counted"),
	O(lock_duration, OPT_INT, "900", "seconds an account stays locked"),
	O(ip_login_limit, OPT_INT, "30", "login attempts per client address per lock_window"),
	O(pwhash_mem_kib, OPT_INT, "19456", "Argon2id memory in KiB (>= 19456)"),
	O(pwhash_ops, OPT_INT, "2", "Argon2id passes (>= 2)"),
};
#undef O
#define N_OPTIONS (sizeof options / sizeof options[0])

static const struct option_def *find_option(const char *name)
{
	for (size_t i = 0; i < N_OPTIONS; i++)
		if (strcmp(options[i].name, name) == 0)
			return &options[i];
	return NULL;
}

static int set_value(const struct option_def *o, const char *value)
{
	char *field = (char *)&cfg + o->off;
	switch (o->type) {
	case OPT_STR: {
		char **p = (char **)(void *)field;
		char *copy = strdup(value);
		if (!copy)
			return -1;
		free(*p);
		*p = copy;
		return 0;
	}
	case OPT_INT: {
		char *end;
		errno = 0;
		long long v = strtoll(value, &end, 10);
		if (errno || end == value || *end)
			return -1;
		*(int64_t *)(void *)field = v;
		return 0;
	}
	case OPT_BOOL:
		if (!strcmp(value, "1") || !strcmp(value, "true") || !strcmp(value, "yes") || !strcmp(value, "on"))
			*(bool *)field = true;
		else if (!strcmp(value, "0") || !strcmp(value, "false") || !strcmp(value, "no") || !strcmp(value, "off"))
			*(bool *)field = false;
		else
			return -1;
		return 0;
	}
	return -1;
}

int config_set(const char *name, const char *value)
{
	const struct option_def *o = find_option(name);
	return o ? set_value(o, value) : -1;
}

void config_defaults(void)
{
	for (size_t i = 0; i < N_OPTIONS; i++)
		set_value(&options[i], options[i].def);
}

static int config_ini_line(void *user, const char *section, const char *name, const char *value)
{
	(void)section; /* sections are allowed for readability and ignored */
	const char *file = user;
	if (config_set(name, value) != 0) {
		fprintf(stderr, "dangjian: %s: bad option %s = %s\n", file, name, value);
		return 0;
	}
	return 1;
}

/* Removes argv[i] (and argv[i+1] when two) from argv. */
static void drop_args(int *argc, char **argv, int i, int n)
{
	for (int j = i; j + n <= *argc; j++)
		argv[j] = argv[j + n];
	*argc -= n;
}

int config_load(int *argc, char **argv)
{
	config_defaults();
	/* 1. the file named by --config (or DANGJIAN_CONFIG) */
	const char *file = getenv("DANGJIAN_CONFIG");
	for (int i = 1; i < *argc; i++) {
		if (!strcmp(argv[i], "--config") && i + 1 < *argc)
			file = argv[i + 1];
		else if (!strncmp(argv[i], "--config=", 9))
			file = argv[i] + 9;
	}
	if (file) {
		int rc = ini_parse(file, config_ini_line, (void *)file);
		if (rc < 0) {
			fprintf(stderr, "dangjian: cannot read config file %s\n", file);
			return -1;
		}
		if (rc > 0) {
			fprintf(stderr, "dangjian: %s: error on line %d\n", file, rc);
			return -1;
		}
	}
	/* 2. the environment */
	for (size_t i = 0; i < N_OPTIONS; i++) {
		char env[96] = "DANGJIAN_";
		size_t k = strlen(env);
		for (const char *p = options[i].name; *p && k + 1 < sizeof env; p++)
			env[k++] = (char)toupper((unsigned char)*p);
		env[k] = 0;
		const char *v = getenv(env);
		if (v && set_value(&options[i], v) != 0) {
			fprintf(stderr, "dangjian: bad value in %s\n", env);
			return -1;
		}
	}
	/* 3. flags: --name=value or --name value; --config was read above */
	for (int i = 1; i < *argc;) {
		const char *a = argv[i];
		if (strncmp(a, "--", 2) != 0) {
			i++;
			continue;
		}
		char name[64];
		const char *eq = strchr(a + 2, '=');
		size_t nlen = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		if (nlen >= sizeof name) {
			i++;
			continue;
		}
		memcpy(name, a + 2, nlen);
		name[nlen] = 0;
		for (char *p = name; *p; p++)
			if (*p == '-')
				*p = '_';
		if (!strcmp(name, "config")) {
			drop_args(argc, argv, i, eq || i + 1 >= *argc ? 1 : 2);
			continue;
		}
		const struct option_def *o = find_option(name);
		if (!o) {
			i++; /* a command's own flag */
			continue;
		}
		const char *v = eq ? eq + 1 : NULL;
		int n = 1;
		if (!v) {
			if (o->type == OPT_BOOL && (i + 1 >= *argc || strncmp(argv[i + 1], "--", 2) == 0)) {
				v = "1";
			} else if (i + 1 < *argc) {
				v = argv[i + 1];
				n = 2;
			} else {
				fprintf(stderr, "dangjian: --%s needs a value\n", o->name);
				return -1;
			}
		}
		if (set_value(o, v) != 0) {
			fprintf(stderr, "dangjian: bad value for --%s: %s\n", o->name, v);
			return -1;
		}
		drop_args(argc, argv, i, n);
	}
	return 0;
}

void config_print(FILE *out)
{
	for (size_t i = 0; i < N_OPTIONS; i++) {
		const struct option_def *o = &options[i];
		const char *field = (const char *)&cfg + o->off;
		fprintf(out, "%s = ", o->name);
		switch (o->type) {
		case OPT_STR:
			fprintf(out, "%s\n", *(char *const *)(const void *)field);
			break;
		case OPT_INT:
			fprintf(out, "%lld\n", (long long)*(const int64_t *)(const void *)field);
			break;
		case OPT_BOOL:
			fprintf(out, "%d\n", *(const bool *)field ? 1 : 0);
			break;
		}
	}
}

void config_usage(FILE *out)
{
	for (size_t i = 0; i < N_OPTIONS; i++)
		fprintf(out, "  --%-20s %s (default %s)\n", options[i].name, options[i].help,
			*options[i].def ? options[i].def : "\"\"");
}
