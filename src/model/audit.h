/* audit.h: the tamper-evident audit log (DESIGN.md §5, SECURITY.md S9/S10). One row
 * per mutation and per security event, written in the same transaction as the change
 * it records: if the audit row cannot be written the caller fails the request and the
 * change rolls back. Rows are chained with a keyed BLAKE2b (dj_chain_mac); triggers
 * refuse UPDATE and DELETE. Summaries never hold secrets or full personal data.
 * Implemented by the identity module (src/model/audit.c). */
#ifndef DJ_AUDIT_H
#define DJ_AUDIT_H
#include <stdbool.h>
#include <stdint.h>

struct request;
struct db;

struct audit_event {
	const char *action;      /* catalogued, dotted: "member.create", "session.login" */
	const char *object_type; /* "member", "org", "user", … or NULL */
	int64_t object_id;       /* 0 when none */
	int64_t org_id;          /* the organization the object belongs to, 0 when none */
	bool success;
	const char *summary;     /* short Chinese or key=value text; no secrets, no full PII */
};

/* Writes the event for the request's actor (user, role, IP) on req->db, inside the
 * request's transaction when there is one. Returns 0, or -1 after setting a 500 on
 * the request (so the change rolls back). A route that audits (every mutation, every
 * full view or export of personal data, even a GET) declares RF_TX_WRITE: a write
 * inside a read transaction may fail with SQLITE_BUSY_SNAPSHOT. role is the caller's
 * role that grants the route's permission; org_id 0 takes that assignment's org. */
int audit_record(struct request *req, const struct audit_event *ev);

/* The same for work outside a request (CLI, jobs): actor_id 0 = the system. */
int audit_record_as(struct db *db, int64_t actor_id, const char *actor_name, const char *ip,
		    const struct audit_event *ev);
/* The full form: an explicit actor (login attempts before a session exists). role and
 * ip may be NULL. Opens and commits its own transaction when db is not in one. */
int audit_write(struct db *db, int64_t actor_id, const char *actor_name, const char *role, const char *ip,
		const struct audit_event *ev);

/* Walks the whole chain. Returns 0 when every link and the head verify, 1 when broken
 * (*first_broken = the first row whose link fails, or the first missing id when rows
 * were cut off the end), -1 on a database error. *count = rows read. */
int audit_verify(struct db *db, int64_t *count, int64_t *first_broken);

/* GET /audit: rows matching the filter (0 / NULL fields match all), newest first,
 * with id < before_id (0: from the newest), at most limit. Returns a new JSON array of
 * the contract's items and sets *last_id (the cursor) and *total; NULL on error. */
struct audit_filter {
	int64_t actor_id;
	const char *action, *object_type;
	int64_t object_id;
	int64_t from, to; /* unix seconds, inclusive; 0 = open */
};
#include <jansson.h>
/* The Chinese name of a catalogued action, or NULL. */
const char *audit_action_name(const char *code);

json_t *audit_list(struct db *db, const struct audit_filter *f, int64_t before_id, int64_t limit, int64_t *last_id,
		   int64_t *total);
#endif
