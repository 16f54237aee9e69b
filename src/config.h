/* config.h: every option of the platform, declared once in the table in config.c. The
 * defaults, the INI file (--config FILE, via libinih), the environment (DANGJIAN_<NAME>)
 * and flags (--name=value) are read from that one table, in that order, the later
 * winning; --print-config prints the result (redis-style). */
#ifndef DJ_CONFIG_H
#define DJ_CONFIG_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct config {
	/* server */
	char *listen;
	int64_t port;
	int64_t workers;
	char *web_root;
	int64_t connection_timeout; /* seconds of inactivity */
	int64_t connection_limit;
	int64_t per_ip_limit;
	int64_t conn_memory_limit; /* bytes per connection */
	int64_t request_deadline;  /* absolute seconds per request */
	int64_t body_cap;          /* default body cap in bytes; routes may set their own */
	int64_t max_uri;           /* bytes */
	int64_t max_headers;       /* bytes of all request headers */
	int64_t shutdown_grace;    /* seconds to drain in-flight requests */
	int64_t body_spool_threshold; /* bytes of an upload kept in memory before it goes to a file */
	int64_t body_inflight_user;   /* body bytes in flight per user (or address) at most */
	int64_t body_inflight_total;  /* body bytes in flight in total at most */
	char *tmp_dir;             /* spooled uploads; "" = the database's directory */
	char *trusted_proxy;       /* address whose X-Forwarded-For is believed, or "" */
	bool test_mode;            /* enables the test-only routes (clock); never in production */
	bool server_timing;        /* Server-Timing on API answers (measuring only) */
	/* storage */
	char *db;                    /* a SQLite file or a postgresql:// URL */
	char *db_replica;            /* a PostgreSQL replica's URL, or "" */
	int64_t replica_max_lag_ms;  /* replay lag above which the replica is not read */
	int64_t busy_timeout_ms;
	int64_t statement_timeout_ms; /* PostgreSQL's statement_timeout */
	int64_t mmap_size;
	int64_t cache_kib;
	int64_t import_batch_rows;       /* rows per write transaction of an import */
	int64_t import_max_unzipped_mib; /* decompressed MiB of one xlsx part */
	int64_t import_max_ratio;        /* decompressed / uploaded bytes of one xlsx part */
	int64_t import_max_seconds;      /* reading and checking an import's file */
	int64_t import_max_foreign_dups; /* out-of-scope duplicates before an import stops */
	int64_t job_lease_seconds;       /* a job's lease: renewed every third, taken over when run out */
	int64_t dup_probe_limit;         /* out-of-scope duplicates per user per window */
	int64_t dup_probe_window;        /* seconds */
	int64_t stats_parallel_orgs;
	char *state_correction_roles; /* roles that may take a member out of 自动退党/除名/开除党籍/去世 (comma list) */
	/* messages (issue 16) */
	bool message_workers;           /* run the scheduler and the outbox sender threads */
	int64_t outbox_lease_seconds;   /* a 'sending' row stays its sender's this long */
	int64_t sender_interval_ms;     /* the sender's pause when nothing is due */
	int64_t scheduler_tick_seconds; /* how often the scheduler looks for due slots */
	int64_t provider_timeout_ms;    /* one provider HTTP call at most */
	int64_t file_quota_kib;          /* files store: bytes an organization's files may take, in KiB */
	/* bases (issue 17): a booking's lead time and how far ahead it may be */
	int64_t base_lead_days;
	int64_t base_horizon_days;
	char *key_dir; /* key files, outside the database */
	/* logging */
	char *log_file;
	char *log_level;
	/* identity */
	char *password_policy; /* dengbao | asvs */
	/* 发展党员 (issue 13) */
	int64_t dev_publicity_workdays;
	int64_t dev_review_max_days;
	int64_t dev_annual_default_quota;
	int64_t session_idle;
	int64_t session_absolute;
	int64_t lock_threshold;
	int64_t lock_window;
	int64_t lock_duration;
	int64_t ip_login_limit; /* login attempts per IP per lock_window */
	int64_t pwhash_mem_kib;
	int64_t pwhash_ops;
	/* transfers (组织关系接转, issue 14) */
	int64_t transfer_days_city;    /* R-TRF-02 (local): a letter's validity within the city */
	int64_t transfer_days_outside; /* R-TRF-02 (local): … to outside the city */
	char *transfer_approval;       /* who approves on the sending side: committee | branch */
	char *transfer_acceptance;     /* who accepts on the receiving side: committee | branch */
	char *transfer_city;           /* the city's name on the letter, for "within the city" */
	char *transfer_verify_base;    /* the public base URL of the QR code's verification link */
	int64_t transfer_verify_limit; /* public verifications per client address per minute */
	/* services (issue 18) */
	char *services_bbox;
	char *services_tiles;
	char *services_jurisdiction;
	int64_t services_public_per_min;
	int64_t services_file_per_hour;
};

extern struct config cfg;

/* Fills cfg from defaults, the config file, the environment and the flags in argv.
 * Consumes recognised --options from argv (argc updated); leaves the rest in order.
 * Returns 0, or -1 after printing a message to stderr. */
int config_load(int *argc, char **argv);
/* Sets one option by name from text. Returns 0, or -1 for an unknown name or bad value. */
int config_set(const char *name, const char *value);
/* Prints every option as INI, in table order. */
void config_print(FILE *out);
/* Prints the options with their help lines (for `dangjian help`). */
void config_usage(FILE *out);
/* The directory of spooled uploads and export files: cfg.tmp_dir, else the SQLite
 * database's directory (on disk, unlike a tmpfs /tmp, whose pages would be memory
 * again), else (PostgreSQL) $TMPDIR or /var/tmp. */
void config_work_dir(char *out, size_t cap);
/* Resets cfg to its defaults (tests). */
void config_defaults(void);
#endif
