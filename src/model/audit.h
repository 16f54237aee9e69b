/* audit.h: the tamper-evident audit log (DESIGN.md §5, SECURITY.md S9/S10). One row
 * per mutation and per security event, written in the same transaction as the change
 * it records: if the audit row cannot be written the caller fails and the change rolls
 * back. Rows are chained with a keyed BLAKE2b (dj_chain_mac); triggers refuse UPDATE
 * and DELETE. Summaries never hold secrets or full personal data.
 * The model sees no request: who acted is an audit_actor value. Handlers record with
 * audit_record(req, ev) (src/auth/audit.h), which fills the actor from the session. */
#ifndef DJ_AUDIT_H
#define DJ_AUDIT_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct db;

struct audit_event {
	const char *action;      /* catalogued, dotted: "member.create", "session.login" */
	const char *object_type; /* "member", "org", "user", … or NULL */
	int64_t object_id;       /* 0 when none */
	int64_t org_id;          /* the organization the object belongs to, 0 when none */
	bool success;
	const char *summary;     /* short Chinese or key=value text; no secrets, no full PII */
};

/* Who acted: filled by auth from the request (audit_record), or by the caller outside
 * a request (CLI: the system; a job: its owner). Every field may be 0 / NULL. */
struct audit_actor {
	int64_t user_id;              /* 0: the system, or a user not known (a failed login) */
	const char *name, *role, *ip; /* display name; the role that grants the action; address */
	int64_t org_id;               /* that role's organization: the row's org when ev->org_id is 0 */
};

/* Appends ev for actor. Requires the caller's open write transaction (asserted; it
 * never opens one): the row commits or rolls back with the change it records.
 * Returns 0 (DB_OK), or the enum db_rc of the failed step after logging it. */
enum db_rc audit_write(struct db *db, const struct audit_actor *actor, const struct audit_event *ev);

/* The actor of work done from the command line (the system, address "cli"). */
extern const struct audit_actor audit_system_cli;

/* Walks the whole chain. Returns 0 when every link and the head verify, 1 when broken
 * (*first_broken = the first row whose link fails, or the first missing id when rows
 * were cut off the end), -1 on a database error. *count = rows read. */
int audit_verify(struct db *db, int64_t *count, int64_t *first_broken);

/* The catalogue in order: how many, and the i-th (false past the end). */
size_t audit_actions_count(void);
bool audit_action_at(size_t i, const char **code, const char **name);
/* The Chinese name of a catalogued action, or NULL. */
const char *audit_action_name(const char *code);

/* GET /audit: rows matching the filter (0 / NULL fields match all), newest first,
 * with id < before_id (0: from the newest), at most limit. Returns a new JSON array of
 * the contract's items and sets *last_id (the cursor) and *total; NULL on error. */
struct audit_filter {
	int64_t actor_id;
	const char *action, *object_type;
	int64_t object_id;
	int64_t from, to; /* unix seconds, inclusive; 0 = open */
};
json_t *audit_list(struct db *db, const struct audit_filter *f, int64_t before_id, int64_t limit, int64_t *last_id,
		   int64_t *total);
#endif
