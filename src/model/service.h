/* service.h: 三社联动 community service requests (issue 18, DOMAIN.md §7): the service
 * catalogue, requests with their internal states and the SLA clock, the steps of each
 * request, Open311 API keys and the public rate counters. The rules that are not about
 * storage (which transition is allowed, what is open, the SLA colour, the rate) live
 * here too, so that the API, the CLI and the demo apply the same ones. */
#ifndef DJ_SERVICE_H
#define DJ_SERVICE_H
#include "db/db.h"
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
struct arena;

#define SVC_DESC_MAX 4000      /* characters of a description (Open311) */
#define SVC_RATE_TTL (14 * 86400) /* seconds a rating token lasts after 办结 */

/* Internal states and their Chinese names. */
enum svc_state {
	SVC_ACCEPTED, SVC_DISPATCHED, SVC_IN_PROGRESS, SVC_COMPLETED, SVC_RATED, SVC_RETURNED, SVC_REJECTED, SVC_STATE__MAX
};
const char *svc_state_code(enum svc_state s);
const char *svc_state_name(enum svc_state s);
/* -1 when code is no state. */
int svc_state_parse(const char *code);
/* Open311: open or closed. */
bool svc_state_open(enum svc_state s);
/* The state machine: may a request go from a to b? (Reassignment is dispatched → dispatched.) */
bool svc_transition_ok(enum svc_state a, enum svc_state b);
/* Channels a request arrives by. */
bool svc_channel_valid(const char *c);
/* Ratings: satisfied 满意, basic 基本满意, unsatisfied 不满意. */
bool svc_rating_valid(const char *r);

/* The SLA clock: the instant sla_hours working hours after start. Working time is
 * 09:00–17:00 China time (UTC+8) on the working days of the calendar (model/workday.h:
 * holidays and 调休) read through db, or Monday–Friday when db is NULL. */
int64_t svc_due_at(struct db *db, int64_t start, int64_t sla_hours);
/* The queue's colour: "red" overdue, "yellow" three quarters of the time used, "green"
 * otherwise; closed requests: "grey" (done in time) or "red" (done late). */
const char *svc_sla_colour(bool open, int64_t requested_at, int64_t due_at, int64_t completed_at, int64_t now);
bool svc_overdue(bool open, int64_t due_at, int64_t completed_at, int64_t now);

struct svc_service {
	int64_t id, org_id, sla_hours;
	const char *code, *name, *description, *group, *handler_org_ids /* JSON */, *attributes /* JSON */, *skill,
		*keywords;
	bool active;
};
enum db_rc svc_service_insert(struct db *db, struct svc_service *s, int64_t now);
enum db_rc svc_service_update(struct db *db, const struct svc_service *s, int64_t now);
enum db_rc svc_service_get(struct db *db, struct arena *a, int64_t id, struct svc_service *s);
enum db_rc svc_service_by_code(struct db *db, struct arena *a, const char *code, struct svc_service *s);
json_t *svc_service_json(const struct svc_service *s);
/* Open311's services.json item (service_code, service_name, description, metadata,
 * type, keywords, group). */
json_t *svc_service_open311(const struct svc_service *s);
/* Every service (active_only: the public ones), by group and code, into items. */
enum db_rc svc_service_list(struct db *db, struct arena *a, bool active_only, bool open311, json_t *items);

struct svc_request {
	int64_t id, service_id, org_id, grid_id, lat_e6, lon_e6, media_file_id, api_key_id, assignee_org_id,
		assignee_member_id, requested_at, updated_at, due_at, completed_at, done_file_id, rate_expires, rated_at;
	bool has_point;
	enum svc_state state;
	const char *org_path, *description, *address, *channel, *contact_name, *mobile_masked, *attributes,
		*assignee_kind, *assignee_org_path, *assignee_name, *status_note, *rating, *rating_comment;
	const unsigned char *mobile_cipher, *follow_hash, *rate_hash;
	size_t mobile_len;
	/* joined */
	const char *service_code, *service_name, *service_group, *org_name, *grid_name;
};
/* Inserts r (state accepted) with the mobile sealed (NULL: none) and the follow code's
 * hash; sets r->id. */
enum db_rc svc_request_insert(struct db *db, struct arena *a, struct svc_request *r, const char *mobile,
			      const unsigned char follow_hash[16]);
enum db_rc svc_request_get(struct db *db, struct arena *a, int64_t id, struct svc_request *r);
/* Writes r's state, assignee, status note, completion, rating token and rating. */
enum db_rc svc_request_save(struct db *db, const struct svc_request *r);
/* The resident's photo (a file of the files store). */
enum db_rc svc_request_set_media(struct db *db, int64_t id, int64_t file_id);
/* The requester's mobile in clear (for the audited full view), or NULL. */
const char *svc_request_mobile(struct arena *a, const struct svc_request *r);
/* The staff view of r (contact masked; events when events is not NULL). */
json_t *svc_request_json(const struct svc_request *r, int64_t now);
/* Open311's request item (no personal data: no contact, no internal notes). */
json_t *svc_request_open311(const struct svc_request *r);
/* The follow code, the rating token and the API keys are kept as keyed hashes
 * (model/token.h: token_hash under "svc.follow", "svc.rate", "svc.api_key"). */

/* A step of a request. */
enum db_rc svc_event_add(struct db *db, int64_t request_id, int64_t at, int64_t actor_id, const char *actor_name,
			 const char *action, const char *from, const char *to, const char *note, bool pub);
/* The steps of a request (public_only: those the resident sees). */
enum db_rc svc_event_list(struct db *db, int64_t request_id, bool public_only, json_t *items);

/* Staff lists over a subtree range [prefix, end): newest first, id < before (0: from the
 * newest), at most limit; state NULL for all; overdue_only. */
struct svc_filter {
	const char *prefix, *end, *state;
	bool overdue_only, open_only, with_point;
	int64_t before, limit, now;
	int64_t assignee_member_id; /* tasks: this member's… */
	const char *assignee_prefix, *assignee_end; /* …or this organization range's */
};
enum db_rc svc_request_list(struct db *db, struct arena *a, const struct svc_filter *f, json_t *items, int64_t *last);
enum db_rc svc_task_list(struct db *db, struct arena *a, const struct svc_filter *f, json_t *items);

/* Open311 GET requests.json: newest first within [from, to] (0: open), status -1 all,
 * 1 open, 0 closed; service_code NULL for all; at most limit. */
struct svc_o311_filter {
	int64_t from, to, limit;
	int status;
	const char *service_code;
};
/* …each written into w, inside the array the caller opened */
struct jsonw;
/* The revision Open311's list answers are kept at: the requests' and catalogue's
 * (0126) with its epoch, and the organizations' (0124: their names are shown); rev -1
 * when it cannot be read (then nothing is kept). */
void svc_open311_revision(struct db *db, int64_t *epoch, int64_t *rev, int64_t *org_rev);
enum db_rc svc_open311_list(struct db *db, struct arena *a, const struct svc_o311_filter *f, struct jsonw *w);
/* One request as Open311 shows it, written into w (svc_request_open311 parses the same) */
void svc_request_o311_jw(struct jsonw *w, const struct svc_request *r);

/* Volunteers (members) of a grid with a skill tag (NULL: any), at most limit, among the
 * members of the subtree [prefix, end) (the grid's community). */
enum db_rc svc_candidates(struct db *db, int64_t grid_id, const char *prefix, const char *end, const char *skill,
			  int64_t limit, json_t *items);

/* Statistics over [prefix, end) for requests made in [from, to), of group (NULL: all). */
struct svc_stats {
	int64_t accepted, completed, rated, satisfied, basic, unsatisfied, overdue, open, rejected;
	int64_t complete_seconds; /* sum over completed ones */
};
enum db_rc svc_stats(struct db *db, const char *prefix, const char *end, int64_t from, int64_t to, const char *group,
		     int64_t now, struct svc_stats *s);
json_t *svc_stats_json(const struct svc_stats *s);

/* Open311 API keys. */
enum db_rc svc_key_insert(struct db *db, const char *name, const unsigned char hash[16], const char *prefix,
			  int64_t rate, int64_t by, int64_t now, int64_t *id);
enum db_rc svc_key_revoke(struct db *db, int64_t id, int64_t now);
enum db_rc svc_key_list(struct db *db, json_t *items);
/* The live key with this hash: *id and *rate; DB_NOT_FOUND when none or revoked. */
enum db_rc svc_key_find(struct db *db, const unsigned char hash[16], int64_t *id, int64_t *rate);

/* The rating token of request id valid until expires: "<id>.<expires>.<keyed hash>"
 * (signed with the index key; out ≥ 80 bytes). Parsing gives back id and expires
 * (false when malformed); the signature is checked by recomputing it. */
void svc_rate_token(int64_t id, int64_t expires, char *out, size_t cap);
bool svc_rate_token_parse(const char *token, int64_t *id, int64_t *expires);
bool svc_rate_token_valid(const char *token);
/* The grid of the building named in address (DB_NOT_FOUND: none). */
enum db_rc svc_match_grid(struct db *db, const char *address, int64_t *grid);
/* The grid's 网格党支部 (DB_NOT_FOUND: none). */
enum db_rc svc_grid_branch(struct db *db, int64_t grid, int64_t *org);
/* A member's organization path, name and grid (volunteer assignment). */
enum db_rc svc_member_brief(struct db *db, struct arena *a, int64_t id, const char **path, const char **name,
			    int64_t *grid);
/* Every grid with its community's name, for the residents' page. */
enum db_rc svc_grids_public(struct db *db, json_t *items);
#endif
