/* db_migrate_data.h: moving a district up (issue 12 #5): a live dangjian SQLite database
 * copied into an empty PostgreSQL one. The engine is src/db/migrate_data.c (sqlite3 and
 * libpq directly); `dangjian migrate-data` (src/cli/migrate_data.c) prints its progress. */
#ifndef DJ_DB_MIGRATE_DATA_H
#define DJ_DB_MIGRATE_DATA_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the engine is doing, for the progress callback. */
enum db_md_step {
	DB_MD_BACKUP,  /* the online backup is done: rows = its size in bytes */
	DB_MD_SCHEMA,  /* the target's schema is at this binary's version: rows = the version */
	DB_MD_TABLE,   /* table: rows copied so far of total; done once per table at its end */
	DB_MD_REBUILD, /* indexes and constraints made again: table = the one begun (NULL at the
			* end), rows of total done */
	DB_MD_CHECK,   /* then: sequences set, row counts compared, statistics, committed */
	DB_MD_STEP__MAX
};

/* Called from the engine's thread; table is NULL except for DB_MD_TABLE and
 * DB_MD_REBUILD. secs: since the step began. */
typedef void (*db_md_progress_fn)(void *ctx, enum db_md_step step, const char *table, int64_t rows,
				  int64_t total, double secs, bool done);

struct db_md_result {
	int tables;        /* tables copied */
	int64_t rows;      /* rows copied, all tables */
	int version;       /* the schema version of source and target */
	double backup_s;   /* the online backup */
	double copy_s;     /* the COPY of every table */
	double rebuild_s;  /* indexes and constraints made again (foreign keys checked) */
	double check_s;    /* sequences, counts, statistics, commit */
	double total_s;
	char target[256];  /* "database D on HOST" (no password) */
};

/* Copies the dangjian SQLite database at from (a file path; it may be in use by a
 * running server) into the PostgreSQL database at to (postgres:// or postgresql://
 * URL), which must hold no rows yet:
 *   - checks the source (application_id 0x444A4A31, schema_migrations, the schema
 *     version equal to this binary's) and the target (reachable, no rows in any table
 *     the copy writes, no other application's tables) before writing anything;
 *   - takes an online backup of the source (SQLite backup API) into a temporary file
 *     next to it (or in $TMPDIR when that directory is not writable), unlinked as soon
 *     as it is open, and copies from that snapshot;
 *   - applies the migrations to the target (db_open + db_migrate);
 *   - copies every table of the source's schema (but schema_migrations and SQLite's
 *     own) by column name with COPY, in one transaction, with the target's user
 *     triggers disabled and its indexes and constraints dropped, then made again from
 *     their own definitions (which checks every key and foreign key on the data); sets
 *     each serial/identity sequence past the highest value copied and compares the row
 *     count of every table with the source's; commits only when all of that holds.
 * Returns 0, or -1 with one line into why (nothing committed on the target then).
 * progress may be NULL; res (may be NULL) receives the figures. */
int db_migrate_data(const char *from, const char *to, db_md_progress_fn progress, void *ctx,
		    struct db_md_result *res, char *why, size_t whylen);
#endif
