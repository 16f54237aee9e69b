/* services_util.h: what the service request routes share (src/api/services.c, the
 * residents' public routes, src/api/open311.c): filing a request with its rules, the
 * per-address rate limits of the public endpoints, the district's bounding box. */
#ifndef DJ_SERVICES_UTIL_H
#define DJ_SERVICES_UTIL_H
#include "http/request.h"
#include "model/service.h"
#include <stdbool.h>
#include <stdint.h>

/* The first thing wrong with an input: HTTP status, field, stable code, Chinese message. */
struct svc_err {
	int status;
	const char *field, *code, *message;
};

struct svc_file_in {
	const char *service_code, *description, *address, *contact_name, *mobile, *channel, *lat, *lon;
	int64_t grid_id, api_key_id;
	json_t *attributes; /* object or NULL */
};

/* Files a request: checks every rule (service known and active, description present and
 * ≤ 4,000 characters, a location, the point inside services_bbox, the grid, the mobile),
 * matches the grid from the address, stores it (state 受理, SLA clock started), its first
 * step and its audit row. On success r holds it and *code the follow code (arena);
 * otherwise e says what is wrong and nothing is stored. */
bool svc_file(struct request *req, const struct svc_file_in *in, struct svc_request *r, const char **code,
	      struct svc_err *e);
/* One more public request from the caller's address in this minute: false when it is
 * over services_public_per_min (this process's count; see docs/OPERATIONS.md). */
bool svc_public_allow(struct request *req);
/* Counts one more write in bucket's window of span seconds in the database (shared by
 * every server) and says whether it is within limit. */
bool svc_db_allow(struct request *req, const char *bucket, int64_t span, int64_t limit);
/* The request's point (microdegrees) inside the district's box? */
bool svc_in_bbox(int64_t lat_e6, int64_t lon_e6);
/* The box as [lon_min, lat_min, lon_max, lat_max]. */
json_t *svc_bbox_json(void);
/* Records a step (svc_events) and the audit row of a change of r. */
bool svc_step(struct request *req, const struct svc_request *r, const char *action, enum svc_state from,
	      enum svc_state to, const char *note, bool pub, const char *summary);
#endif
