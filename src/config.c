/* config.c: the declarative option table and its readers; see config.h. */
#include "config.h"
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct config cfg;

enum opt_type { OPT_STR, OPT_INT, OPT_BOOL };

/* One option: its type, default, and what values it allows (the bounds of an integer,
 * the choices of a string, "not empty"). A value outside them is refused wherever it
 * comes from, with one line naming the option (STYLE.md: a table with bounds, not free
 * text that silently falls back to a default). */
struct option_def {
	const char *name;
	enum opt_type type;
	size_t off;
	const char *def;
	int64_t min, max;           /* OPT_INT */
	const char *const *choices; /* OPT_STR: the allowed values, NULL-terminated; NULL = any */
	bool nonempty;              /* OPT_STR */
	const char *help;
};

static const char *const log_levels[] = {"debug", "info", "warn", "error", NULL};
static const char *const password_policies[] = {"dengbao", "asvs", NULL};
static const char *const transfer_levels[] = {"committee", "branch", NULL}; /* transfers */

#define KIB 1024LL
#define MIB (1024LL * 1024)
#define GIB (1024LL * 1024 * 1024)
#define I(n, d, lo, hi, h) {#n, OPT_INT, offsetof(struct config, n), d, lo, hi, NULL, false, h}
#define S(n, d, ch, ne, h) {#n, OPT_STR, offsetof(struct config, n), d, 0, 0, ch, ne, h}
#define B(n, d, h) {#n, OPT_BOOL, offsetof(struct config, n), d, 0, 1, NULL, false, h}
static const struct option_def options[] = {
	/* listen is checked when the server starts (an IP address; the database is made first) */
	S(listen, "127.0.0.1", NULL, true, "address to listen on (behind a TLS proxy in production)"),
	I(port, "8080", 0, 65535, "TCP port"),
	I(workers, "0", 0, 256, "HTTP worker threads; 0 = one per core"),
	S(web_root, "web/dist", NULL, true, "directory of the built front end"),
	I(connection_timeout, "30", 1, 3600, "seconds a connection may stay idle"),
	I(connection_limit, "4096", 1, 1000000, "open connections at most"),
	I(per_ip_limit, "128", 1, 1000000, "open connections per client address at most"),
	I(conn_memory_limit, "24576", 4 * KIB, 16 * MIB, "bytes of buffer per connection (MHD zeroes all of it after each request, a cost of every request, and every kept-alive connection holds all of it: keep it a little above max_headers and the request line)"),
	I(request_deadline, "120", 1, 86400, "absolute seconds a request may take, body upload included"),
	I(body_cap, "1048576", 64, 1 * GIB, "default request body cap in bytes"),
	I(max_uri, "8192", 256, 1 * MIB, "longest request target in bytes (414 above)"),
	I(max_headers, "16384", 1 * KIB, 1 * MIB, "total request header bytes (431 above)"),
	I(shutdown_grace, "30", 0, 3600, "seconds to finish in-flight requests at SIGTERM"),
	I(body_spool_threshold, "262144", 4 * KIB, 64 * MIB, "bytes of an upload kept in memory; past this it goes to an unlinked file in tmp_dir"),
	I(body_inflight_user, "134217728", 64 * KIB, 1024 * GIB, "request body bytes in flight per user (or client address before sign-in); 429 above"),
	I(body_inflight_total, "536870912", 64 * KIB, 1024 * GIB, "request body bytes in flight in total; 503 above"),
	S(tmp_dir, "", NULL, false, "directory of spooled uploads (mode 0600, unlinked at once); empty: the database's directory"),
	S(trusted_proxy, "", NULL, false, "proxy address whose X-Forwarded-For/-Proto are trusted"),
	B(test_mode, "0", "enable test-only routes (settable clock); never in production"),
	B(server_timing, "0", "add Server-Timing: app;dur=<ms> (the access log's figure) to API answers, for measuring (make bench); off in production: it would tell every client how long each answer took"),
	S(db, "var/dangjian.db", NULL, true, "SQLite database file, or a postgresql:// URL (docs/OPERATIONS.md)"),
	S(db_replica, "", NULL, false, "postgresql:// URL of a streaming replica for statistics, exports and list totals (empty: none)"),
	I(replica_max_lag_ms, "5000", 0, 86400000, "a replica further behind than this many ms is not read (the primary answers)"),
	I(busy_timeout_ms, "2000", 0, 600000, "ms to wait for the write lock before answering 503"),
	I(statement_timeout_ms, "30000", 0, 86400000, "PostgreSQL: ms one statement may run before it is cancelled (0: no limit)"),
	/* issue 21: reading the 1M-member district's indexes through the mapping instead of
	 * pread into the page cache took ~15-25% of the server's CPU per list or statistics
	 * request off (bench/results.md); 2147418112 is SQLite's own upper bound */
	I(mmap_size, "2147418112", 0, 1024 * GIB, "SQLite mmap_size in bytes (0: read through the page cache; the mapping is the file's pages, shared, counted in RSS but not as anonymous memory)"),
	I(cache_kib, "8192", 64, 16 * MIB, "SQLite page cache per connection in KiB"),
	S(state_correction_roles, "district_admin", NULL, true, "roles (comma-separated codes) that may correct an outgoing state (自动退党, 除名, 开除党籍, 去世) of a member in their scope (issue 20 #5)"),
	I(stats_parallel_orgs, "5000", 1, 1000000000, "a statistics pass over at least this many organizations runs in two halves on two connections"),
	I(file_quota_kib, "2097152", 64, 1024 * 1024 * 1024, "KiB of stored files (contents and thumbnails) per organization; an upload past it answers 409"),
	/* bases (issue 17) */
	I(base_lead_days, "1", 0, 365, "days before a visit a base must be booked at the latest (0: the same day)"),
	I(base_horizon_days, "90", 1, 730, "days ahead a base may be booked at most"),
	I(import_batch_rows, "500", 1, 100000, "rows an import writes per transaction (S18: others write in between)"),
	I(import_max_unzipped_mib, "1536", 1, 64 * 1024, "decompressed MiB of one xlsx part at most (a 1M-row sheet is ~1.2 GiB)"),
	I(import_max_ratio, "40", 1, 10000, "an xlsx part may decompress to at most this many times the upload's size (S19)"),
	I(import_max_seconds, "600", 1, 86400, "seconds an import's file may take to read and check"),
	I(import_max_foreign_dups, "3", 0, 1000000, "people outside the caller's scope an import may meet before it stops (S20)"),
	I(job_lease_seconds, "30", 2, 3600, "seconds a job stays its server's without a renewal (every third of it); then another server takes it over (docs/OPERATIONS.md)"),
	I(dup_probe_limit, "10", 0, 1000000, "duplicates outside the caller's scope a user may meet per dup_probe_window (S20; 429 above)"),
	I(dup_probe_window, "3600", 1, 30 * 86400, "seconds in which dup_probe_limit counts"),
	B(message_workers, "1", "run the scheduler and the outbox sender in this server (messages, issue 16)"),
	I(outbox_lease_seconds, "120", 2, 86400, "seconds a message being sent stays its sender's; past it an unfinished send is marked interrupted, never sent again by itself"),
	I(sender_interval_ms, "1000", 10, 600000, "ms the outbox sender waits when nothing is due"),
	I(scheduler_tick_seconds, "30", 1, 3600, "seconds between the scheduler's looks for due slots"),
	I(provider_timeout_ms, "10000", 100, 600000, "ms one SMS or WeChat provider call may take"),
	S(key_dir, "var/keys", NULL, true, "directory of key files (kept outside the database)"),
	S(log_file, "-", NULL, true, "log file, - for stderr"),
	S(log_level, "info", log_levels, true, "debug, info, warn or error"),
	S(password_policy, "dengbao", password_policies, true, "dengbao (GB/T 22239 level 3) or asvs"),
	/* 发展党员 (issue 13): the (local) settings of DOMAIN.md §2 */
	I(dev_publicity_workdays, "5", 1, 30, "R-DEV-15: working days a 公示 lasts at least"),
	I(dev_review_max_days, "365", 30, 3650, "R-DEV-06: days from the 政审 conclusion to the branch meeting at most"),
	I(dev_annual_default_quota, "0", 0, 100000, "R-DEV-16: a committee's yearly quota when the district set none (0: none set means no approvals)"),
	I(session_idle, "1800", 60, 7 * 86400, "session idle timeout in seconds"),
	I(session_absolute, "43200", 60, 30 * 86400, "session absolute lifetime in seconds"),
	I(lock_threshold, "5", 1, 1000000, "failed logins of one (name, address) before it must wait (docs/OPERATIONS.md)"),
	I(lock_window, "900", 1, 30 * 86400, "seconds in which the failures are counted"),
	I(lock_duration, "900", 1, 30 * 86400, "longest wait, in seconds, a throttled (name, address) is given"),
	I(ip_login_limit, "30", 1, 1000000000, "failed logins per client address per lock_window before every login from it waits"),
	I(pwhash_mem_kib, "19456", 19456, 4 * MIB, "Argon2id memory in KiB (>= 19456)"),
	I(pwhash_ops, "2", 1, 16, "Argon2id passes (fewer than 2 count as 2)"),
	/* transfers (组织关系接转, issue 14) */
	I(transfer_days_city, "30", 1, 365, "R-TRF-02: days a transfer letter is valid within the city"),
	I(transfer_days_outside, "90", 1, 365, "R-TRF-02: days a transfer letter is valid outside the city"),
	S(transfer_approval, "committee", transfer_levels, true, "who approves a transfer on the sending side: committee (the branch submits, its 基层党委 approves) or branch (the branch's submission is the approval)"),
	S(transfer_acceptance, "committee", transfer_levels, true, "who accepts a transfer on the receiving side: committee (the receiving 基层党委) or branch"),
	S(transfer_city, "上海市", NULL, true, "the deployment's city, printed on letters"),
	S(transfer_verify_base, "http://127.0.0.1:8080", NULL, true, "public base URL of the letters' verification link (QR code)"),
	I(transfer_verify_limit, "30", 1, 1000000, "public letter verifications per client address per minute (429 above)"),
	/* services (issue 18): community service requests and Open311 */
	S(services_bbox, "121.40,31.13,121.48,31.22", NULL, true,
	  "the district's bounding box for request points: lon_min,lat_min,lon_max,lat_max (WGS-84)"),
	S(services_tiles, "", NULL, false,
	  "map tile URL template ({z}/{x}/{y}; 天地图 with the deployment's key); empty: the map page shows a list"),
	S(services_jurisdiction, "dangjian", NULL, true, "Open311 jurisdiction_id this server answers for"),
	I(services_public_per_min, "120", 1, 1000000000, "public service API requests per client address per minute"),
	I(services_file_per_hour, "20", 1, 1000000, "requests a client address may file per hour on the residents' page"),
};
#undef I
#undef S
#undef B
#define N_OPTIONS (sizeof options / sizeof options[0])

static const struct option_def *find_option(const char *name)
{
	for (size_t i = 0; i < N_OPTIONS; i++)
		if (strcmp(options[i].name, name) == 0)
			return &options[i];
	return NULL;
}

/* Why value is not allowed for o, in a few words for the one-line message; NULL when
 * it is (then *iv holds an integer's value). */
static const char *refusal(const struct option_def *o, const char *value, long long *iv)
{
	switch (o->type) {
	case OPT_STR:
		if (o->nonempty && !*value)
			return "must not be empty";
		if (o->choices) {
			for (const char *const *c = o->choices; *c; c++)
				if (strcmp(*c, value) == 0)
					return NULL;
			return "is not one of the allowed values";
		}
		return NULL;
	case OPT_INT: {
		char *end;
		errno = 0;
		*iv = strtoll(value, &end, 10);
		if (errno || end == value || *end)
			return "is not an integer";
		if (*iv < o->min || *iv > o->max)
			return "is out of range";
		return NULL;
	}
	case OPT_BOOL:
		return strcmp(value, "1") && strcmp(value, "true") && strcmp(value, "yes") && strcmp(value, "on") &&
				       strcmp(value, "0") && strcmp(value, "false") && strcmp(value, "no") && strcmp(value, "off")
			       ? "is not a boolean (1/0, true/false, yes/no, on/off)"
			       : NULL;
	}
	return "has an unknown type";
}

/* Prints the one line saying why value was refused for o; where names the option as it
 * was given ("--port", "DANGJIAN_PORT", "port in FILE"). */
static void print_refusal(const struct option_def *o, const char *value, const char *why, const char *where)
{
	fprintf(stderr, "dangjian: bad value for %s: \"%s\" %s", where, value, why);
	if (o->type == OPT_INT)
		fprintf(stderr, " (%lld..%lld)", (long long)o->min, (long long)o->max);
	if (o->choices) {
		fputs(" (", stderr);
		for (const char *const *c = o->choices; *c; c++)
			fprintf(stderr, "%s%s", c == o->choices ? "" : ", ", *c);
		fputs(")", stderr);
	}
	fputc('\n', stderr);
}

/* Stores value (already allowed) into cfg. */
static int store(const struct option_def *o, const char *value, long long iv)
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
	case OPT_INT:
		*(int64_t *)(void *)field = iv;
		return 0;
	case OPT_BOOL:
		*(bool *)field = !strcmp(value, "1") || !strcmp(value, "true") || !strcmp(value, "yes") || !strcmp(value, "on");
		return 0;
	}
	return -1;
}

/* Sets o from value; where (non-NULL) names the source for the message on refusal. */
static int set_value(const struct option_def *o, const char *value, const char *where)
{
	long long iv = 0;
	const char *why = refusal(o, value, &iv);
	if (why) {
		if (where)
			print_refusal(o, value, why, where);
		return -1;
	}
	return store(o, value, iv);
}

int config_set(const char *name, const char *value)
{
	const struct option_def *o = find_option(name);
	return o ? set_value(o, value, NULL) : -1;
}

void config_defaults(void)
{
	for (size_t i = 0; i < N_OPTIONS; i++) {
		int rc = set_value(&options[i], options[i].def, options[i].name);
		assert(rc == 0); /* the table's defaults are within its own bounds */
		(void)rc;
	}
}

static bool ini_reported; /* the line handler said why already: one line is enough */

static int config_ini_line(void *user, const char *section, const char *name, const char *value)
{
	(void)section; /* sections are allowed for readability and ignored */
	const char *file = user;
	const struct option_def *o = find_option(name);
	ini_reported = true;
	if (!o) {
		fprintf(stderr, "dangjian: unknown option %s in %s\n", name, file);
		return 0;
	}
	char where[4200];
	snprintf(where, sizeof where, "%s in %s", o->name, file);
	if (set_value(o, value, where) != 0)
		return 0;
	ini_reported = false;
	return 1;
}

/* Removes argv[i] (and argv[i+1] when two) from argv. */
static void drop_args(int *argc, char **argv, int i, int n)
{
	for (int j = i; j + n <= *argc; j++)
		argv[j] = argv[j + n];
	*argc -= n;
}

/* 1. the file named by --config (or DANGJIAN_CONFIG) */
static int read_file(int argc, char **argv)
{
	const char *file = getenv("DANGJIAN_CONFIG");
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--config") && i + 1 < argc)
			file = argv[i + 1];
		else if (!strncmp(argv[i], "--config=", 9))
			file = argv[i] + 9;
	}
	if (!file)
		return 0;
	ini_reported = false;
	int rc = ini_parse(file, config_ini_line, (void *)file);
	if (rc < 0) {
		fprintf(stderr, "dangjian: cannot read config file %s\n", file);
		return -1;
	}
	if (rc > 0) {
		if (!ini_reported)
			fprintf(stderr, "dangjian: %s: error on line %d\n", file, rc);
		return -1;
	}
	return 0;
}

/* The option a DANGJIAN_<NAME> variable names, or NULL. */
static const struct option_def *env_option(const char *var, size_t len)
{
	char name[64];
	if (len >= sizeof name)
		return NULL;
	for (size_t k = 0; k < len; k++)
		name[k] = (char)tolower((unsigned char)var[k]);
	name[len] = 0;
	return find_option(name);
}

/* 2. the environment: DANGJIAN_<NAME>; a DANGJIAN_ variable that names no option (a
 * typo would otherwise be ignored) stops the start, DANGJIAN_CONFIG aside. */
static int read_env(void)
{
	extern char **environ;
	for (char **e = environ; *e; e++) {
		if (strncmp(*e, "DANGJIAN_", 9) != 0)
			continue;
		const char *var = *e + 9, *eq = strchr(var, '=');
		if (!eq || ((size_t)(eq - var) == 6 && !strncmp(var, "CONFIG", 6)))
			continue;
		const struct option_def *o = env_option(var, (size_t)(eq - var));
		char where[80];
		snprintf(where, sizeof where, "DANGJIAN_%.*s", (int)(eq - var), var);
		if (!o) {
			fprintf(stderr, "dangjian: unknown option %s (environment)\n", where);
			return -1;
		}
		if (set_value(o, eq + 1, where) != 0)
			return -1;
	}
	return 0;
}

/* The option of a --flag (--name or --name=value, '-' or '_' between words), or NULL
 * (a command's own flag, or --config). */
static const struct option_def *flag_option(const char *a, const char **eq)
{
	char name[64];
	*eq = strchr(a + 2, '=');
	size_t nlen = *eq ? (size_t)(*eq - a - 2) : strlen(a + 2);
	if (nlen >= sizeof name)
		return NULL;
	memcpy(name, a + 2, nlen);
	name[nlen] = 0;
	for (char *p = name; *p; p++)
		if (*p == '-')
			*p = '_';
	return find_option(name);
}

/* 3. flags: --name=value or --name value; --config was read above. Consumed from argv. */
static int read_flags(int *argc, char **argv)
{
	for (int i = 1; i < *argc;) {
		const char *a = argv[i], *eq;
		if (strncmp(a, "--", 2) != 0) {
			i++;
			continue;
		}
		if (!strcmp(a, "--config") || !strncmp(a, "--config=", 9)) {
			drop_args(argc, argv, i, a[8] == '=' || i + 1 >= *argc ? 1 : 2);
			continue;
		}
		const struct option_def *o = flag_option(a, &eq);
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
				fprintf(stderr, "dangjian: bad value for --%s: none given\n", o->name);
				return -1;
			}
		}
		char where[80];
		snprintf(where, sizeof where, "--%s", o->name);
		if (set_value(o, v, where) != 0)
			return -1;
		drop_args(argc, argv, i, n);
	}
	return 0;
}

int config_load(int *argc, char **argv)
{
	config_defaults();
	if (read_file(*argc, argv) != 0 || read_env() != 0 || read_flags(argc, argv) != 0)
		return -1;
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

void config_work_dir(char *out, size_t cap)
{
	if (cfg.tmp_dir[0]) {
		snprintf(out, cap, "%s", cfg.tmp_dir);
		return;
	}
	if (strncmp(cfg.db, "postgres://", 11) == 0 || strncmp(cfg.db, "postgresql://", 13) == 0) {
		const char *t = getenv("TMPDIR");
		snprintf(out, cap, "%s", t && *t ? t : "/var/tmp"); /* on disk, unlike a tmpfs /tmp */
		return;
	}
	const char *slash = strrchr(cfg.db, '/');
	if (!slash)
		snprintf(out, cap, ".");
	else if (slash == cfg.db)
		snprintf(out, cap, "/");
	else
		snprintf(out, cap, "%.*s", (int)(slash - cfg.db), cfg.db);
}
