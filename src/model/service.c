/* service.c: SQL and rules of community service requests (see service.h). */
#include "model/service.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/idcard.h"
#include "core/jsonw.h"
#include "model/seal.h"
#include "model/token.h"
#include "model/workday.h"
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum svc_stmt {
	STMT_SVC_SERVICE_INSERT,
	STMT_SVC_SERVICE_UPDATE,
	STMT_SVC_SERVICE_GET,
	STMT_SVC_SERVICE_BY_CODE,
	STMT_SVC_SERVICE_LIST,
	STMT_SVC_REQUEST_INSERT,
	STMT_SVC_REQUEST_GET,
	STMT_SVC_REQUEST_SAVE,
	STMT_SVC_REQUEST_LIST,
	STMT_SVC_TASKS_MEMBER,
	STMT_SVC_TASKS_ORG,
	STMT_SVC_O311_ALL,
	STMT_SVC_O311_STATUS,
	STMT_SVC_O311_CODE,
	STMT_SVC_O311_CODE_STATUS,
	STMT_SVC_O311_SERVICES,
	STMT_SVC_O311_REV,
	STMT_SVC_EVENT_ADD,
	STMT_SVC_EVENT_LIST,
	STMT_SVC_CANDIDATES,
	STMT_SVC_STATS,
	STMT_SVC_KEY_INSERT,
	STMT_SVC_KEY_REVOKE,
	STMT_SVC_KEY_LIST,
	STMT_SVC_KEY_FIND,
	STMT_SVC_MATCH_GRID,
	STMT_SVC_GRID_BRANCH,
	STMT_SVC_MEMBER_BRIEF,
	STMT_SVC_GRIDS_PUBLIC,
	STMT_SVC_SET_MEDIA,
	SVC_STMT__MAX
};

/* the rows of service.get / by_code / list */
enum svc_service_col {
	SVC_S_ID, SVC_S_CODE, SVC_S_NAME, SVC_S_DESCRIPTION, SVC_S_GRP, SVC_S_ORG_ID, SVC_S_HANDLERS, SVC_S_SLA,
	SVC_S_ATTRIBUTES, SVC_S_SKILL, SVC_S_KEYWORDS, SVC_S_ACTIVE
};
#define SVC_SERVICE_COLS \
	"SELECT id, code, name, description, grp, org_id, handler_org_ids, sla_hours, attributes, skill, keywords, active FROM svc_services"

/* the rows of every request read (get, lists, Open311) */
enum svc_request_col {
	SVC_R_ID, SVC_R_SERVICE_ID, SVC_R_ORG_ID, SVC_R_ORG_PATH, SVC_R_GRID_ID, SVC_R_DESCRIPTION, SVC_R_ADDRESS,
	SVC_R_LAT, SVC_R_LON, SVC_R_CHANNEL, SVC_R_CONTACT_NAME, SVC_R_MOBILE_CIPHER, SVC_R_MOBILE_MASKED,
	SVC_R_ATTRIBUTES, SVC_R_MEDIA, SVC_R_API_KEY, SVC_R_STATE, SVC_R_A_KIND, SVC_R_A_ORG_ID, SVC_R_A_ORG_PATH,
	SVC_R_A_MEMBER_ID, SVC_R_A_NAME, SVC_R_STATUS_NOTE, SVC_R_REQUESTED_AT, SVC_R_UPDATED_AT, SVC_R_DUE_AT,
	SVC_R_COMPLETED_AT, SVC_R_DONE_FILE, SVC_R_FOLLOW_HASH, SVC_R_RATE_HASH, SVC_R_RATE_EXPIRES, SVC_R_RATING,
	SVC_R_RATING_COMMENT, SVC_R_RATED_AT, SVC_R_S_CODE, SVC_R_S_NAME, SVC_R_S_GRP, SVC_R_O_NAME, SVC_R_G_NAME
};
#define SVC_REQUEST_COLS                                                                                             \
	"SELECT r.id, r.service_id, r.org_id, r.org_path, r.grid_id, r.description, r.address, r.lat_e6, r.lon_e6,"  \
	" r.channel, r.contact_name, r.mobile_cipher, r.mobile_masked, r.attributes, r.media_file_id, r.api_key_id," \
	" r.state, r.assignee_kind, r.assignee_org_id, r.assignee_org_path, r.assignee_member_id, r.assignee_name,"   \
	" r.status_note, r.requested_at, r.updated_at, r.due_at, r.completed_at, r.done_file_id, r.follow_hash,"      \
	" r.rate_hash, r.rate_expires, r.rating, r.rating_comment, r.rated_at, s.code, s.name, s.grp, o.name, g.name" \
	" FROM svc_requests r JOIN svc_services s ON s.id = r.service_id JOIN orgs o ON o.id = r.org_id"             \
	" LEFT JOIN grids g ON g.id = r.grid_id"

/* the rows of Open311's list: what svc_request_o311_jw shows */
enum svc_o311_col {
	SVC_O_ID, SVC_O_STATE, SVC_O_NOTE, SVC_O_SERVICE_ID, SVC_O_DESCRIPTION, SVC_O_O_NAME, SVC_O_ADDRESS,
	SVC_O_LAT, SVC_O_LON, SVC_O_REQUESTED_AT, SVC_O_UPDATED_AT, SVC_O_DUE_AT
};
/* (the service's code and name from svc.o311_services, read once per page: a join
 * was a seek per row) */
#define SVC_O311_COLS                                                                                                \
	"SELECT r.id, r.state, r.status_note, r.service_id, r.description, o.name, r.address, r.lat_e6, r.lon_e6,"     \
	" r.requested_at, r.updated_at, r.due_at FROM svc_requests r JOIN orgs o ON o.id = r.org_id"
enum svc_o311_service_col { SVC_OS_ID, SVC_OS_CODE, SVC_OS_NAME };
enum svc_o311_rev_col { SVC_RV_EPOCH, SVC_RV_REV, SVC_RV_ORG_REV };

enum svc_event_col { SVC_E_AT, SVC_E_ACTOR, SVC_E_ACTION, SVC_E_FROM, SVC_E_TO, SVC_E_NOTE, SVC_E_PUBLIC };
enum svc_cand_col { SVC_C_ID, SVC_C_NAME, SVC_C_TAGS, SVC_C_ORG };
enum svc_stats_col { SVC_ST_STATE, SVC_ST_OPEN, SVC_ST_REQUESTED, SVC_ST_DUE, SVC_ST_COMPLETED, SVC_ST_RATING };
enum svc_key_col { SVC_K_ID, SVC_K_NAME, SVC_K_PREFIX, SVC_K_RATE, SVC_K_CREATED, SVC_K_REVOKED };
enum svc_keyfind_col { SVC_KF_ID, SVC_KF_RATE };
enum svc_insert_col { SVC_I_ID, SVC_I_ORG_PATH };
enum svc_brief_col { SVC_B_ORG_PATH, SVC_B_NAME, SVC_B_GRID };
enum svc_grid_col { SVC_G_ID, SVC_G_NAME, SVC_G_COMMUNITY };

static const struct db_sql svc_sql[SVC_STMT__MAX] = {
	/* $1 code, $2 name, $3 description, $4 grp, $5 org_id, $6 handler_org_ids, $7 sla_hours, $8 attributes,
	 * $9 skill, $10 keywords, $11 active, $12 now */
	[STMT_SVC_SERVICE_INSERT] = {"svc.service_insert",
	 "INSERT INTO svc_services (code, name, description, grp, org_id, handler_org_ids, sla_hours, attributes, skill,"
	 " keywords, active, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)"
	 " RETURNING id"},
	/* the same $1 … $12 and $13 id */
	[STMT_SVC_SERVICE_UPDATE] = {"svc.service_update",
	 "UPDATE svc_services SET code = $1, name = $2, description = $3, grp = $4, org_id = $5, handler_org_ids = $6,"
	 " sla_hours = $7, attributes = $8, skill = $9, keywords = $10, active = $11, updated_at = $12 WHERE id = $13"},
	[STMT_SVC_SERVICE_GET] = {"svc.service_get", SVC_SERVICE_COLS " WHERE id = $1"},
	[STMT_SVC_SERVICE_BY_CODE] = {"svc.service_by_code", SVC_SERVICE_COLS " WHERE code = $1"},
	[STMT_SVC_SERVICE_LIST] = {"svc.service_list", SVC_SERVICE_COLS " WHERE active = 1 OR $1 = 0 ORDER BY grp, code"},
	/* $1 service_id, $2 org_id, $3 grid_id, $4 description, $5 address, $6 lat_e6, $7 lon_e6, $8 channel,
	 * $9 contact_name, $10 mobile_cipher, $11 mobile_blind, $12 mobile_masked, $13 attributes, $14 media_file_id,
	 * $15 api_key_id, $16 now, $17 due_at, $18 follow_hash; the path is the organization's */
	[STMT_SVC_REQUEST_INSERT] = {"svc.request_insert",
	 "INSERT INTO svc_requests (service_id, org_id, org_path, grid_id, description, address, lat_e6, lon_e6, channel,"
	 " contact_name, mobile_cipher, mobile_blind, mobile_masked, attributes, media_file_id, api_key_id, state, is_open,"
	 " requested_at, updated_at, due_at, follow_hash)"
	 " SELECT $1, $2, o.path, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 'accepted', 1, $16, $16, $17,"
	 " $18 FROM orgs o WHERE o.id = $2 RETURNING id, org_path"},
	[STMT_SVC_REQUEST_GET] = {"svc.request_get", SVC_REQUEST_COLS " WHERE r.id = $1"},
	/* $1 id, $2 state, $3 is_open, $4 assignee_kind, $5 assignee_org_id, $6 assignee_member_id, $7 assignee_name,
	 * $8 status_note, $9 updated_at, $10 completed_at, $11 done_file_id, $12 rate_hash, $13 rate_expires,
	 * $14 rating, $15 rating_comment, $16 rated_at; the assignee's path is its organization's */
	[STMT_SVC_REQUEST_SAVE] = {"svc.request_save",
	 "UPDATE svc_requests SET state = $2, is_open = $3, assignee_kind = $4, assignee_org_id = $5,"
	 " assignee_org_path = (SELECT path FROM orgs WHERE id = $5), assignee_member_id = $6, assignee_name = $7,"
	 " status_note = $8, updated_at = $9, completed_at = $10, done_file_id = $11, rate_hash = $12,"
	 " rate_expires = $13, rating = $14, rating_comment = $15, rated_at = $16 WHERE id = $1"},
	/* $1 prefix, $2 end, $3 state or NULL, $4 before id, $5 overdue only (0/1), $6 now, $7 limit, $8 open only,
	 * $9 with a point only */
	[STMT_SVC_REQUEST_LIST] = {"svc.request_list",
	 SVC_REQUEST_COLS " WHERE r.org_path >= $1 AND r.org_path < $2 AND (CAST($3 AS TEXT) IS NULL OR r.state = $3)"
	 " AND r.id < $4 AND ($5 = 0 OR (r.is_open = 1 AND r.due_at < $6)) AND ($8 = 0 OR r.is_open = 1)"
	 " AND ($9 = 0 OR r.lat_e6 IS NOT NULL) ORDER BY r.id DESC LIMIT $7"},
	[STMT_SVC_TASKS_MEMBER] = {"svc.tasks_member",
	 SVC_REQUEST_COLS " WHERE r.assignee_member_id = $1 AND r.state IN ('dispatched', 'in_progress')"
	 " ORDER BY r.due_at, r.id LIMIT 200"},
	[STMT_SVC_TASKS_ORG] = {"svc.tasks_org",
	 SVC_REQUEST_COLS " WHERE r.assignee_org_path >= $1 AND r.assignee_org_path < $2 AND r.assignee_member_id IS NULL"
	 " AND r.state IN ('dispatched', 'in_progress') ORDER BY r.due_at, r.id LIMIT 200"},
	/* Open311's list: $1 from, $2 to, $3 limit, then $4 is_open, or $4 service code and
	 * $5 is_open. Each filter's page is a walk of one index from the newest that stops
	 * after the page (all: svc_requests_at; status: svc_requests_open_at; a service:
	 * svc_requests_service, and with a status svc_requests_service_open, 0125), with only
	 * the columns the answer shows */
	[STMT_SVC_O311_ALL] = {"svc.o311_all",
	 SVC_O311_COLS " WHERE r.requested_at >= $1 AND r.requested_at <= $2 ORDER BY r.requested_at DESC, r.id DESC LIMIT $3"},
	[STMT_SVC_O311_STATUS] = {"svc.o311_status",
	 SVC_O311_COLS " WHERE r.is_open = $4 AND r.requested_at >= $1 AND r.requested_at <= $2"
	 " ORDER BY r.is_open DESC, r.requested_at DESC, r.id DESC LIMIT $3"},
	[STMT_SVC_O311_CODE] = {"svc.o311_code",
	 SVC_O311_COLS " WHERE r.service_id = (SELECT c.id FROM svc_services c WHERE c.code = $4)"
	 " AND r.requested_at >= $1 AND r.requested_at <= $2 ORDER BY r.requested_at DESC, r.id DESC LIMIT $3"},
	[STMT_SVC_O311_SERVICES] = {"svc.o311_services", "SELECT id, code, name FROM svc_services ORDER BY id"},
	/* the requests' and catalogue's revision (0126) and the organizations' (0124) */
	[STMT_SVC_O311_REV] = {"svc.o311_rev",
	 "SELECT s.epoch, s.rev, o.rev FROM svc_rev s, org_rev o WHERE s.id = 1 AND o.id = 1"},
	[STMT_SVC_O311_CODE_STATUS] = {"svc.o311_code_status",
	 SVC_O311_COLS " WHERE r.service_id = (SELECT c.id FROM svc_services c WHERE c.code = $4) AND r.is_open = $5"
	 " AND r.requested_at >= $1 AND r.requested_at <= $2 ORDER BY r.requested_at DESC, r.id DESC LIMIT $3"},
	/* $1 request, $2 at, $3 actor id, $4 actor name, $5 action, $6 from, $7 to, $8 note, $9 public */
	[STMT_SVC_EVENT_ADD] = {"svc.event_add",
	 "INSERT INTO svc_events (request_id, at, actor_id, actor_name, action, from_state, to_state, note, public)"
	 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"},
	[STMT_SVC_EVENT_LIST] = {"svc.event_list",
	 "SELECT at, actor_name, action, from_state, to_state, note, public FROM svc_events"
	 " WHERE request_id = $1 AND (public = 1 OR $2 = 0) ORDER BY id"},
	/* $1 grid, $2 LIKE pattern of the tag or NULL, $3 limit, [$4, $5) the community's path range (the
	 * members' path index: members.grid_id has none) */
	[STMT_SVC_CANDIDATES] = {"svc.candidates",
	 "SELECT m.id, m.name, m.tags, m.org_id FROM members m WHERE m.org_path >= $4 AND m.org_path < $5"
	 " AND m.grid_id = $1 AND m.state = 'normal' AND (CAST($2 AS TEXT) IS NULL OR m.tags LIKE $2)"
	 " ORDER BY m.id LIMIT $3"},
	/* $1 prefix, $2 end, $3 from, $4 to, $5 group or NULL */
	[STMT_SVC_STATS] = {"svc.stats",
	 "SELECT r.state, r.is_open, r.requested_at, r.due_at, r.completed_at, r.rating FROM svc_requests r"
	 " JOIN svc_services s ON s.id = r.service_id WHERE r.org_path >= $1 AND r.org_path < $2"
	 " AND r.requested_at >= $3 AND r.requested_at < $4 AND (CAST($5 AS TEXT) IS NULL OR s.grp = $5)"},
	[STMT_SVC_KEY_INSERT] = {"svc.key_insert",
	 "INSERT INTO svc_api_keys (name, key_hash, key_prefix, rate_per_min, created_at, created_by)"
	 " VALUES ($1, $2, $3, $4, $5, $6) RETURNING id"},
	[STMT_SVC_KEY_REVOKE] = {"svc.key_revoke",
	 "UPDATE svc_api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL"},
	[STMT_SVC_KEY_LIST] = {"svc.key_list",
	 "SELECT id, name, key_prefix, rate_per_min, created_at, revoked_at FROM svc_api_keys ORDER BY id"},
	[STMT_SVC_KEY_FIND] = {"svc.key_find",
	 "SELECT id, rate_per_min FROM svc_api_keys WHERE key_hash = $1 AND revoked_at IS NULL"},
	/* the grid of the building (楼院) whose name the address $1 contains, the longest name first */
	[STMT_SVC_MATCH_GRID] = {"svc.match_grid",
	 "SELECT b.grid_id FROM buildings b WHERE CAST($1 AS TEXT) LIKE '%' || b.name || '%'"
	 " ORDER BY LENGTH(b.name) DESC, b.id LIMIT 1"},
	/* the grid's 网格党支部 */
	[STMT_SVC_GRID_BRANCH] = {"svc.grid_branch",
	 "SELECT id FROM orgs WHERE grid_id = $1 AND type = '党支部' ORDER BY id LIMIT 1"},
	[STMT_SVC_MEMBER_BRIEF] = {"svc.member_brief", "SELECT org_path, name, grid_id FROM members WHERE id = $1"},
	/* the grids the residents' page offers: grid, its community */
	[STMT_SVC_GRIDS_PUBLIC] = {"svc.grids_public",
	 "SELECT g.id, g.name, o.name FROM grids g JOIN orgs o ON o.id = g.org_id ORDER BY o.name, g.name, g.id LIMIT 2000"},
	[STMT_SVC_SET_MEDIA] = {"svc.set_media", "UPDATE svc_requests SET media_file_id = $2 WHERE id = $1"},
};
DB_SQL_TABLE(svc, svc_sql);

/* ---- rules ------------------------------------------------------------------------- */

static const char *const state_codes[SVC_STATE__MAX] = {"accepted", "dispatched", "in_progress", "completed",
							"rated",    "returned",   "rejected"};
static const char *const state_names[SVC_STATE__MAX] = {"受理", "派单", "处理中", "办结", "评价", "退回", "不予受理"};

const char *svc_state_code(enum svc_state s)
{
	return s < SVC_STATE__MAX ? state_codes[s] : "accepted";
}

const char *svc_state_name(enum svc_state s)
{
	return s < SVC_STATE__MAX ? state_names[s] : "";
}

int svc_state_parse(const char *code)
{
	for (int i = 0; code && i < SVC_STATE__MAX; i++)
		if (strcmp(state_codes[i], code) == 0)
			return i;
	return -1;
}

bool svc_state_open(enum svc_state s)
{
	return s == SVC_ACCEPTED || s == SVC_DISPATCHED || s == SVC_IN_PROGRESS || s == SVC_RETURNED;
}

bool svc_transition_ok(enum svc_state a, enum svc_state b)
{
	switch (b) {
	case SVC_DISPATCHED: /* dispatch, and reassignment of a task not yet done */
		return a == SVC_ACCEPTED || a == SVC_DISPATCHED || a == SVC_IN_PROGRESS || a == SVC_RETURNED;
	case SVC_IN_PROGRESS:
		return a == SVC_DISPATCHED;
	case SVC_COMPLETED:
		return a == SVC_DISPATCHED || a == SVC_IN_PROGRESS;
	case SVC_RATED:
		return a == SVC_COMPLETED;
	case SVC_RETURNED: /* the assignee hands it back */
		return a == SVC_DISPATCHED || a == SVC_IN_PROGRESS;
	case SVC_REJECTED: /* 不予受理: only before anyone works on it */
		return a == SVC_ACCEPTED || a == SVC_RETURNED;
	default:
		return false;
	}
}

bool svc_channel_valid(const char *c)
{
	static const char *const ch[] = {"phone_page", "wechat", "walk_in", "phone_call", "open311", NULL};
	for (int i = 0; c && ch[i]; i++)
		if (strcmp(ch[i], c) == 0)
			return true;
	return false;
}

bool svc_rating_valid(const char *r)
{
	return r && (strcmp(r, "satisfied") == 0 || strcmp(r, "basic") == 0 || strcmp(r, "unsatisfied") == 0);
}

#define CN_OFFSET (8 * 3600)
#define DAY_START (9 * 3600)
#define DAY_END (17 * 3600)

/* Whether the local day (days since 1970-01-01, China time) is a working day: the
 * calendar's answer (holidays and 调休, model/workday.h) with a database, else the
 * plain week. */
static bool workday(struct db *db, int64_t local_day)
{
	if (db) {
		bool w;
		if (workday_is_workday(db, date_from_days(local_day), &w) == DB_OK)
			return w;
	}
	/* 1970-01-01 was a Thursday: day 0 → 4 (0 Sunday) */
	int wd = (int)(((local_day % 7) + 7 + 4) % 7);
	return wd != 0 && wd != 6;
}

int64_t svc_due_at(struct db *db, int64_t start, int64_t sla_hours)
{
	int64_t left = sla_hours * 3600, t = start + CN_OFFSET;
	int64_t day = t >= 0 ? t / 86400 : (t - 86399) / 86400, sec = t - day * 86400;
	for (int guard = 0; guard < 4000; guard++) {
		if (workday(db, day)) {
			if (sec < DAY_START)
				sec = DAY_START;
			if (sec < DAY_END) {
				int64_t avail = DAY_END - sec;
				if (left <= avail)
					return day * 86400 + sec + left - CN_OFFSET;
				left -= avail;
			}
		}
		day++;
		sec = 0;
	}
	return start + sla_hours * 3600;
}

bool svc_overdue(bool open, int64_t due_at, int64_t completed_at, int64_t now)
{
	return open ? now > due_at : completed_at > due_at;
}

const char *svc_sla_colour(bool open, int64_t requested_at, int64_t due_at, int64_t completed_at, int64_t now)
{
	if (!open)
		return completed_at > due_at ? "red" : "grey";
	if (now > due_at)
		return "red";
	if ((now - requested_at) * 4 >= (due_at - requested_at) * 3)
		return "yellow";
	return "green";
}

/* ---- the catalogue ---------------------------------------------------------------- */

static void bind_service(struct db_stmt *st, const struct svc_service *s, int64_t now)
{
	db_bind_text(st, 1, s->code, -1);
	db_bind_text(st, 2, s->name, -1);
	db_bind_opt_text(st, 3, s->description);
	db_bind_text(st, 4, s->group, -1);
	db_bind_int(st, 5, s->org_id);
	db_bind_text(st, 6, s->handler_org_ids ? s->handler_org_ids : "[]", -1);
	db_bind_int(st, 7, s->sla_hours);
	db_bind_text(st, 8, s->attributes ? s->attributes : "[]", -1);
	db_bind_opt_text(st, 9, s->skill);
	db_bind_opt_text(st, 10, s->keywords);
	db_bind_int(st, 11, s->active);
	db_bind_int(st, 12, now);
}

enum db_rc svc_service_insert(struct db *db, struct svc_service *s, int64_t now)
{
	struct db_stmt *st = db_prepare(db, &svc_sql[STMT_SVC_SERVICE_INSERT]);
	if (!st)
		return DB_ERROR;
	bind_service(st, s, now);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		s->id = db_col_int(st, DB_COL_ONLY);
		rc = DB_OK;
	}
	db_reset(st);
	return rc;
}

enum db_rc svc_service_update(struct db *db, const struct svc_service *s, int64_t now)
{
	struct db_stmt *st = db_prepare(db, &svc_sql[STMT_SVC_SERVICE_UPDATE]);
	if (!st)
		return DB_ERROR;
	bind_service(st, s, now);
	db_bind_int(st, 13, s->id);
	enum db_rc rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

static void read_service(struct db_stmt *st, struct arena *a, struct svc_service *s)
{
	s->id = db_col_int(st, SVC_S_ID);
	s->code = db_col_dup(a, st, SVC_S_CODE);
	s->name = db_col_dup(a, st, SVC_S_NAME);
	s->description = db_col_dup(a, st, SVC_S_DESCRIPTION);
	s->group = db_col_dup(a, st, SVC_S_GRP);
	s->org_id = db_col_int(st, SVC_S_ORG_ID);
	s->handler_org_ids = db_col_dup(a, st, SVC_S_HANDLERS);
	s->sla_hours = db_col_int(st, SVC_S_SLA);
	s->attributes = db_col_dup(a, st, SVC_S_ATTRIBUTES);
	s->skill = db_col_dup(a, st, SVC_S_SKILL);
	s->keywords = db_col_dup(a, st, SVC_S_KEYWORDS);
	s->active = db_col_int(st, SVC_S_ACTIVE) != 0;
}

static enum db_rc service_one(struct db_stmt *st, struct arena *a, struct svc_service *s)
{
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		read_service(st, a, s);
		rc = DB_OK;
	} else if (rc == DB_DONE) {
		rc = DB_NOT_FOUND;
	}
	db_reset(st);
	return rc;
}

enum db_rc svc_service_get(struct db *db, struct arena *a, int64_t id, struct svc_service *s)
{
	struct db_stmt *st = db_prepare(db, &svc_sql[STMT_SVC_SERVICE_GET]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	return service_one(st, a, s);
}

enum db_rc svc_service_by_code(struct db *db, struct arena *a, const char *code, struct svc_service *s)
{
	struct db_stmt *st = db_prepare(db, &svc_sql[STMT_SVC_SERVICE_BY_CODE]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, code, -1);
	return service_one(st, a, s);
}

static json_t *json_or(const char *text, json_t *dflt)
{
	json_t *j = text ? json_loads(text, 0, NULL) : NULL;
	if (j) {
		json_decref(dflt);
		return j;
	}
	return dflt;
}

json_t *svc_service_json(const struct svc_service *s)
{
	return json_pack("{s:I, s:s, s:s, s:s?, s:s, s:I, s:o, s:I, s:o, s:s?, s:s?, s:b}", "id", (json_int_t)s->id,
			 "code", s->code, "name", s->name, "description", s->description, "group", s->group, "org_id",
			 (json_int_t)s->org_id, "handler_org_ids", json_or(s->handler_org_ids, json_array()), "sla_hours",
			 (json_int_t)s->sla_hours, "attributes", json_or(s->attributes, json_array()), "skill", s->skill,
			 "keywords", s->keywords, "active", s->active);
}

json_t *svc_service_open311(const struct svc_service *s)
{
	json_t *attrs = json_or(s->attributes, json_array());
	bool meta = json_array_size(attrs) > 0;
	json_decref(attrs);
	return json_pack("{s:s, s:s, s:s, s:b, s:s, s:s, s:s}", "service_code", s->code, "service_name", s->name,
			 "description", s->description ? s->description : "", "metadata", meta, "type", "realtime",
			 "keywords", s->keywords ? s->keywords : "", "group", s->group);
}

enum db_rc svc_service_list(struct db *db, struct arena *a, bool active_only, bool open311, json_t *items)
{
	struct db_stmt *st = db_prepare(db, &svc_sql[STMT_SVC_SERVICE_LIST]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, active_only);
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW) {
		struct svc_service s;
		read_service(st, a, &s);
		json_array_append_new(items, open311 ? svc_service_open311(&s) : svc_service_json(&s));
	}
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

/* ---- requests ---------------------------------------------------------------------- */

enum db_rc svc_request_insert(struct db *db, struct arena *a, struct svc_request *r, const char *mobile,
			      const unsigned char follow_hash[16])
{
	struct db_stmt *st = db_prepare(db, &svc_sql[STMT_SVC_REQUEST_INSERT]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, r->service_id);
	db_bind_int(st, 2, r->org_id);
	db_bind_opt_id(st, 3, r->grid_id);
	db_bind_text(st, 4, r->description, -1);
	db_bind_opt_text(st, 5, r->address);
	if (r->has_point) {
		db_bind_int(st, 6, r->lat_e6);
		db_bind_int(st, 7, r->lon_e6);
	} else {
		db_bind_null(st, 6);
		db_bind_null(st, 7);
	}
	db_bind_text(st, 8, r->channel, -1);
	db_bind_opt_text(st, 9, r->contact_name);
	struct sealed_contact m;
	if (seal_contact(a, SEAL_MOBILE, mobile, "svc.mobile", "svc.mobile", &m)) {
		db_bind_blob(st, 10, m.cipher, m.len);
		db_bind_blob(st, 11, m.blind, DJ_BLIND_LEN);
		db_bind_text(st, 12, m.masked, -1);
		r->mobile_masked = arena_strdup(a, m.masked);
	} else {
		db_bind_null(st, 10);
		db_bind_null(st, 11);
		db_bind_null(st, 12);
	}
	db_bind_opt_text(st, 13, r->attributes);
	db_bind_opt_id(st, 14, r->media_file_id);
	db_bind_opt_id(st, 15, r->api_key_id);
	db_bind_int(st, 16, r->requested_at);
	db_bind_int(st, 17, r->due_at);
	db_bind_blob(st, 18, follow_hash, 16);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		r->id = db_col_int(st, SVC_I_ID);
		r->org_path = db_col_dup(a, st, SVC_I_ORG_PATH);
		r->state = SVC_ACCEPTED;
		r->updated_at = r->requested_at;
		rc = DB_OK;
	} else if (rc == DB_DONE) {
		rc = DB_NOT_FOUND; /* no such organization */
	}
	db_reset(st);
	return rc;
}

static int64_t opt_int(struct db_stmt *st, int i)
{
	return db_col_null(st, i) ? 0 : db_col_int(st, i);
}

static const unsigned char *blob_dup(struct arena *a, struct db_stmt *st, int i, size_t *len)
{
	if (db_col_null(st, i))
		return NULL;
	size_t n = db_col_len(st, i);
	if (len)
		*len = n;
	return arena_memdup(a, db_col_blob(st, i), n ? n : 1);
}

static void read_request(struct db_stmt *st, struct arena *a, struct svc_request *r)
{
	memset(r, 0, sizeof *r);
	r->id = db_col_int(st, SVC_R_ID);
	r->service_id = db_col_int(st, SVC_R_SERVICE_ID);
	r->org_id = db_col_int(st, SVC_R_ORG_ID);
	r->org_path = db_col_dup(a, st, SVC_R_ORG_PATH);
	r->grid_id = opt_int(st, SVC_R_GRID_ID);
	r->description = db_col_dup(a, st, SVC_R_DESCRIPTION);
	r->address = db_col_dup(a, st, SVC_R_ADDRESS);
	r->has_point = !db_col_null(st, SVC_R_LAT) && !db_col_null(st, SVC_R_LON);
	r->lat_e6 = opt_int(st, SVC_R_LAT);
	r->lon_e6 = opt_int(st, SVC_R_LON);
	r->channel = db_col_dup(a, st, SVC_R_CHANNEL);
	r->contact_name = db_col_dup(a, st, SVC_R_CONTACT_NAME);
	r->mobile_cipher = blob_dup(a, st, SVC_R_MOBILE_CIPHER, &r->mobile_len);
	r->mobile_masked = db_col_dup(a, st, SVC_R_MOBILE_MASKED);
	r->attributes = db_col_dup(a, st, SVC_R_ATTRIBUTES);
	r->media_file_id = opt_int(st, SVC_R_MEDIA);
	r->api_key_id = opt_int(st, SVC_R_API_KEY);
	int s = svc_state_parse(db_col_text(st, SVC_R_STATE));
	r->state = s < 0 ? SVC_ACCEPTED : (enum svc_state)s;
	r->assignee_kind = db_col_dup(a, st, SVC_R_A_KIND);
	r->assignee_org_id = opt_int(st, SVC_R_A_ORG_ID);
	r->assignee_org_path = db_col_dup(a, st, SVC_R_A_ORG_PATH);
	r->assignee_member_id = opt_int(st, SVC_R_A_MEMBER_ID);
	r->assignee_name = db_col_dup(a, st, SVC_R_A_NAME);
	r->status_note = db_col_dup(a, st, SVC_R_STATUS_NOTE);
	r->requested_at = db_col_int(st, SVC_R_REQUESTED_AT);
	r->updated_at = db_col_int(st, SVC_R_UPDATED_AT);
	r->due_at = db_col_int(st, SVC_R_DUE_AT);
	r->completed_at = opt_int(st, SVC_R_COMPLETED_AT);
	r->done_file_id = opt_int(st, SVC_R_DONE_FILE);
	r->follow_hash = blob_dup(a, st, SVC_R_FOLLOW_HASH, NULL);
	r->rate_hash = blob_dup(a, st, SVC_R_RATE_HASH, NULL);
	r->rate_expires = opt_int(st, SVC_R_RATE_EXPIRES);
	r->rating = db_col_dup(a, st, SVC_R_RATING);
	r->rating_comment = db_col_dup(a, st, SVC_R_RATING_COMMENT);
	r->rated_at = opt_int(st, SVC_R_RATED_AT);
	r->service_code = db_col_dup(a, st, SVC_R_S_CODE);
	r->service_name = db_col_dup(a, st, SVC_R_S_NAME);
	r->service_group = db_col_dup(a, st, SVC_R_S_GRP);
	r->org_name = db_col_dup(a, st, SVC_R_O_NAME);
	r->grid_name = db_col_dup(a, st, SVC_R_G_NAME);
}

enum db_rc svc_request_get(struct db *db, struct arena *a, int64_t id, struct svc_request *r)
{
	struct db_stmt *st = db_prepare(db, &svc_sql[STMT_SVC_REQUEST_GET]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		read_request(st, a, r);
		rc = DB_OK;
	} else if (rc == DB_DONE) {
		rc = DB_NOT_FOUND;
	}
	db_reset(st);
	return rc;
}

enum db_rc svc_request_save(struct db *db, const struct svc_request *r)
{
	struct db_stmt *st = db_prepare(db, &svc_sql[STMT_SVC_REQUEST_SAVE]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, r->id);
	db_bind_text(st, 2, svc_state_code(r->state), -1);
	db_bind_int(st, 3, svc_state_open(r->state));
	db_bind_opt_text(st, 4, r->assignee_kind);
	db_bind_opt_id(st, 5, r->assignee_org_id);
	db_bind_opt_id(st, 6, r->assignee_member_id);
	db_bind_opt_text(st, 7, r->assignee_name);
	db_bind_opt_text(st, 8, r->status_note);
	db_bind_int(st, 9, r->updated_at);
	db_bind_opt_id(st, 10, r->completed_at);
	db_bind_opt_id(st, 11, r->done_file_id);
	if (r->rate_hash)
		db_bind_blob(st, 12, r->rate_hash, 16);
	else
		db_bind_null(st, 12);
	db_bind_opt_id(st, 13, r->rate_expires);
	db_bind_opt_text(st, 14, r->rating);
	db_bind_opt_text(st, 15, r->rating_comment);
	db_bind_opt_id(st, 16, r->rated_at);
	enum db_rc rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

const char *svc_request_mobile(struct arena *a, const struct svc_request *r)
{
	if (!r->mobile_cipher)
		return NULL;
	return dj_open(a, r->mobile_cipher, r->mobile_len, "svc.mobile", NULL);
}

static void rfc(json_t *o, const char *k, int64_t t)
{
	if (t <= 0) {
		json_object_set_new(o, k, json_null());
		return;
	}
	char b[21];
	clock_rfc3339(t, b);
	json_object_set_new(o, k, json_string(b));
}

static json_t *deg(bool has, int64_t e6)
{
	return has ? json_real((double)e6 / 1e6) : json_null();
}

json_t *svc_request_json(const struct svc_request *r, int64_t now)
{
	bool open = svc_state_open(r->state);
	json_t *o = json_pack(
		"{s:I, s:s, s:s, s:s, s:I, s:s, s:o, s:s?, s:s, s:s?, s:o, s:o, s:s, s:s?, s:s?, s:s, s:s, s:b, s:b, s:s,"
		" s:I, s:s?, s:s?, s:s?}",
		"id", (json_int_t)r->id, "service_code", r->service_code, "service_name", r->service_name, "group",
		r->service_group, "org_id", (json_int_t)r->org_id, "org_name", r->org_name, "grid_id",
		r->grid_id ? json_integer(r->grid_id) : json_null(), "grid_name", r->grid_name, "description",
		r->description, "address", r->address, "lat", deg(r->has_point, r->lat_e6), "long",
		deg(r->has_point, r->lon_e6), "channel", r->channel, "contact_name", r->contact_name, "mobile_masked",
		r->mobile_masked, "state", svc_state_code(r->state), "state_name", svc_state_name(r->state), "open", open,
		"overdue", svc_overdue(open, r->due_at, r->completed_at, now), "sla_colour",
		svc_sla_colour(open, r->requested_at, r->due_at, r->completed_at, now), "sla_hours_left",
		(json_int_t)(open ? (r->due_at - now) / 3600 : 0), "rating", r->rating, "rating_comment",
		r->rating_comment, "status_note", r->status_note);
	json_object_set_new(o, "assignee",
			    r->assignee_kind ? json_pack("{s:s, s:o, s:o, s:s?}", "kind", r->assignee_kind, "org_id",
							 r->assignee_org_id ? json_integer(r->assignee_org_id) : json_null(),
							 "member_id",
							 r->assignee_member_id ? json_integer(r->assignee_member_id)
									       : json_null(),
							 "name", r->assignee_name)
					     : json_null());
	json_object_set_new(o, "media_file_id", r->media_file_id ? json_integer(r->media_file_id) : json_null());
	json_object_set_new(o, "done_file_id", r->done_file_id ? json_integer(r->done_file_id) : json_null());
	rfc(o, "requested_at", r->requested_at);
	rfc(o, "updated_at", r->updated_at);
	rfc(o, "due_at", r->due_at);
	rfc(o, "completed_at", r->completed_at);
	rfc(o, "rated_at", r->rated_at);
	return o;
}

/* Public text: runs of 7 or more digits (a mobile, an ID number, a house phone) are
 * starred, so that no answer to the public carries someone's number. A copy (arena;
 * NULL stays NULL). */
static const char *public_dup(struct arena *a, const char *s)
{
	if (!s)
		return NULL;
	/* most texts have no such run: the text itself, uncopied */
	size_t run = 0;
	const char *q = s;
	for (; *q && run < 7; q++)
		run = (*q >= '0' && *q <= '9') || ((*q == 'X' || *q == 'x') && run > 0) ? run + 1 : 0;
	if (run < 7)
		return s;
	size_t n = strlen(s);
	char *b = arena_alloc_raw(a, n + 1);
	memcpy(b, s, n + 1);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && ((b[j] >= '0' && b[j] <= '9') || ((b[j] == 'X' || b[j] == 'x') && j > i)))
			j++;
		if (j - i >= 7)
			memset(b + i, '*', j - i);
		i = j > i ? j : i + 1;
	}
	return b;
}

static void jw_rfc(struct jsonw *w, const char *k, int64_t t)
{
	char b[21];
	if (t > 0)
		clock_rfc3339(t, b);
	jw_kstr(w, k, t > 0 ? b : NULL);
}

/* Degrees from millionths: "31.130037", the shortest decimal of the same double as
 * e6 / 1e6 (an integer divided by 1e6 is correctly rounded, and so is the reading of
 * its exact decimal), without printf's %.17g, a fifth of the list's CPU. */
static void jw_deg(struct jsonw *w, const char *k, bool has, int64_t e6)
{
	jw_key(w, k);
	if (!has) {
		jw_null(w);
		return;
	}
	char b[32], *q = b + sizeof b;
	uint64_t u = e6 < 0 ? (uint64_t)0 - (uint64_t)e6 : (uint64_t)e6;
	uint64_t frac = u % 1000000, whole = u / 1000000;
	int digits = 6;
	while (digits > 1 && frac % 10 == 0)
		frac /= 10, digits--;
	for (int i = 0; i < digits; i++, frac /= 10)
		*--q = (char)('0' + frac % 10);
	*--q = '.';
	do
		*--q = (char)('0' + whole % 10);
	while (whole /= 10);
	if (e6 < 0)
		*--q = '-';
	jw_raw(w, q, (size_t)(b + sizeof b - q));
}

void svc_request_o311_jw(struct jsonw *w, const struct svc_request *r)
{
	char id[24];
	snprintf(id, sizeof id, "%lld", (long long)r->id);
	jw_object(w);
	jw_kstr(w, "service_request_id", id);
	jw_kstr(w, "status", svc_state_open(r->state) ? "open" : "closed");
	jw_kstr(w, "status_notes", public_dup(w->arena, r->status_note));
	jw_kstr(w, "service_name", r->service_name);
	jw_kstr(w, "service_code", r->service_code);
	jw_kstr(w, "description", public_dup(w->arena, r->description));
	jw_kstr(w, "agency_responsible", r->org_name);
	jw_kstr(w, "service_notice", NULL);
	jw_kstr(w, "address", public_dup(w->arena, r->address));
	jw_kstr(w, "address_id", NULL);
	jw_kstr(w, "zipcode", NULL);
	jw_deg(w, "lat", r->has_point, r->lat_e6);
	jw_deg(w, "long", r->has_point, r->lon_e6);
	jw_kstr(w, "media_url", NULL);
	jw_rfc(w, "requested_datetime", r->requested_at);
	jw_rfc(w, "updated_datetime", r->updated_at);
	jw_rfc(w, "expected_datetime", r->due_at);
	jw_object_end(w);
}

json_t *svc_request_open311(const struct svc_request *r)
{
	/* one writer for both: the public list streams svc_request_o311_jw, the rest parse it */
	struct arena *a = arena_new();
	json_t *o = NULL;
	if (a) {
		struct jsonw w;
		jw_init(&w, a, 1024);
		svc_request_o311_jw(&w, r);
		o = json_loadb(w.buf, w.len, 0, NULL);
		arena_free(a);
	}
	return o ? o : json_object();
}

enum db_rc svc_event_add(struct db *db, int64_t request_id, int64_t at, int64_t actor_id, const char *actor_name,
			 const char *action, const char *from, const char *to, const char *note, bool pub)
{
	struct db_stmt *st = db_prepare(db, &svc_sql[STMT_SVC_EVENT_ADD]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, request_id);
	db_bind_int(st, 2, at);
	db_bind_opt_id(st, 3, actor_id);
	db_bind_opt_text(st, 4, actor_name);
	db_bind_text(st, 5, action, -1);
	db_bind_opt_text(st, 6, from);
	db_bind_opt_text(st, 7, to);
	db_bind_opt_text(st, 8, note);
	db_bind_int(st, 9, pub);
	enum db_rc rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

enum db_rc svc_event_list(struct db *db, int64_t request_id, bool public_only, json_t *items)
{
	struct db_stmt *st = db_prepare(db, &svc_sql[STMT_SVC_EVENT_LIST]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, request_id);
	db_bind_int(st, 2, public_only);
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW) {
		int from = svc_state_parse(db_col_text(st, SVC_E_FROM)), to = svc_state_parse(db_col_text(st, SVC_E_TO));
		json_t *e = json_pack("{s:s, s:s?, s:s?, s:s?, s:s?, s:b}", "action", db_col_text(st, SVC_E_ACTION),
				      "from", from >= 0 ? svc_state_code(from) : NULL, "to",
				      to >= 0 ? svc_state_code(to) : NULL, "to_name", to >= 0 ? svc_state_name(to) : NULL,
				      "note", db_col_text(st, SVC_E_NOTE), "public", db_col_int(st, SVC_E_PUBLIC) != 0);
		/* the resident sees what happened, not who of the staff did it */
		json_object_set_new(e, "actor_name", public_only || db_col_null(st, SVC_E_ACTOR)
								 ? json_null()
								 : json_string(db_col_text(st, SVC_E_ACTOR)));
		rfc(e, "at", db_col_int(st, SVC_E_AT));
		json_array_append_new(items, e);
	}
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

enum db_rc svc_request_list(struct db *db, struct arena *a, const struct svc_filter *f, json_t *items, int64_t *last)
{
	struct db_stmt *st = db_prepare(db, &svc_sql[STMT_SVC_REQUEST_LIST]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, f->prefix, -1);
	db_bind_text(st, 2, f->end, -1);
	db_bind_opt_text(st, 3, f->state);
	db_bind_int(st, 4, f->before > 0 ? f->before : INT64_MAX);
	db_bind_int(st, 5, f->overdue_only);
	db_bind_int(st, 6, f->now);
	db_bind_int(st, 7, f->limit);
	db_bind_int(st, 8, f->open_only);
	db_bind_int(st, 9, f->with_point);
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW) {
		struct svc_request r;
		read_request(st, a, &r);
		*last = r.id;
		json_array_append_new(items, svc_request_json(&r, f->now));
	}
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

static enum db_rc tasks_into(struct db_stmt *st, struct arena *a, int64_t now, json_t *items)
{
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW) {
		struct svc_request r;
		read_request(st, a, &r);
		bool dup = false;
		size_t i;
		json_t *it;
		json_array_foreach(items, i, it) dup |= json_integer_value(json_object_get(it, "id")) == r.id;
		if (!dup)
			json_array_append_new(items, svc_request_json(&r, now));
	}
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

enum db_rc svc_task_list(struct db *db, struct arena *a, const struct svc_filter *f, json_t *items)
{
	struct db_stmt *st;
	enum db_rc rc = DB_OK;
	if (f->assignee_member_id > 0) {
		if (!(st = db_prepare(db, &svc_sql[STMT_SVC_TASKS_MEMBER])))
			return DB_ERROR;
		db_bind_int(st, 1, f->assignee_member_id);
		rc = tasks_into(st, a, f->now, items);
	}
	if (rc == DB_OK && f->assignee_prefix) {
		if (!(st = db_prepare(db, &svc_sql[STMT_SVC_TASKS_ORG])))
			return DB_ERROR;
		db_bind_text(st, 1, f->assignee_prefix, -1);
		db_bind_text(st, 2, f->assignee_end, -1);
		rc = tasks_into(st, a, f->now, items);
	}
	return rc;
}

void svc_open311_revision(struct db *db, int64_t *epoch, int64_t *rev, int64_t *org_rev)
{
	*epoch = 0;
	*rev = -1;
	*org_rev = 0;
	struct db_stmt *st = db_prepare(db, &svc_sql[STMT_SVC_O311_REV]);
	if (st && db_step(st) == DB_ROW) {
		*epoch = db_col_int(st, SVC_RV_EPOCH);
		*rev = db_col_int(st, SVC_RV_REV);
		*org_rev = db_col_int(st, SVC_RV_ORG_REV);
	}
	if (st)
		db_reset(st);
}

enum db_rc svc_open311_list(struct db *db, struct arena *a, const struct svc_o311_filter *f, struct jsonw *w)
{
	/* the catalogue (a few dozen services), then the page */
	struct o311_svc {
		int64_t id;
		const char *code, *name;
	} *svcs = NULL;
	size_t nsvc = 0, cap = 0;
	struct db_stmt *st = db_prepare(db, &svc_sql[STMT_SVC_O311_SERVICES]);
	if (!st)
		return DB_ERROR;
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW) {
		if (nsvc == cap) {
			cap = cap ? 2 * cap : 32;
			struct o311_svc *nv = arena_alloc(a, cap * sizeof *nv);
			if (nsvc)
				memcpy(nv, svcs, nsvc * sizeof *nv);
			svcs = nv;
		}
		svcs[nsvc++] = (struct o311_svc){db_col_int(st, SVC_OS_ID), db_col_dup(a, st, SVC_OS_CODE),
						 db_col_dup(a, st, SVC_OS_NAME)};
	}
	db_reset(st);
	if (rc != DB_DONE)
		return rc;
	bool code = f->service_code != NULL;
	enum svc_stmt which = code ? (f->status < 0 ? STMT_SVC_O311_CODE : STMT_SVC_O311_CODE_STATUS)
				   : (f->status < 0 ? STMT_SVC_O311_ALL : STMT_SVC_O311_STATUS);
	st = db_prepare(db, &svc_sql[which]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, f->from);
	db_bind_int(st, 2, f->to);
	db_bind_int(st, 3, f->limit);
	int n = 4;
	if (code)
		db_bind_text(st, n++, f->service_code, -1);
	if (f->status >= 0)
		db_bind_int(st, n, f->status);
	/* the row's text is read in place (valid until the next step): nothing copied but
	 * what public_dup stars */
	while ((rc = db_step(st)) == DB_ROW) {
		struct svc_request r = {0};
		r.id = db_col_int(st, SVC_O_ID);
		int s = svc_state_parse(db_col_text(st, SVC_O_STATE));
		r.state = s < 0 ? SVC_ACCEPTED : (enum svc_state)s;
		r.status_note = db_col_text(st, SVC_O_NOTE);
		/* ids ascending: a binary search (a request's service always exists: FK) */
		int64_t sid = db_col_int(st, SVC_O_SERVICE_ID);
		size_t lo = 0, hi = nsvc;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (svcs[mid].id < sid)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == nsvc || svcs[lo].id != sid)
			continue; /* not in the catalogue read above: not shown, as the join did */
		r.service_name = svcs[lo].name;
		r.service_code = svcs[lo].code;
		r.description = db_col_text(st, SVC_O_DESCRIPTION);
		r.org_name = db_col_text(st, SVC_O_O_NAME);
		r.address = db_col_text(st, SVC_O_ADDRESS);
		r.has_point = !db_col_null(st, SVC_O_LAT) && !db_col_null(st, SVC_O_LON);
		r.lat_e6 = opt_int(st, SVC_O_LAT);
		r.lon_e6 = opt_int(st, SVC_O_LON);
		r.requested_at = db_col_int(st, SVC_O_REQUESTED_AT);
		r.updated_at = db_col_int(st, SVC_O_UPDATED_AT);
		r.due_at = db_col_int(st, SVC_O_DUE_AT);
		svc_request_o311_jw(w, &r);
	}
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

enum db_rc svc_candidates(struct db *db, int64_t grid_id, const char *prefix, const char *end, const char *skill,
			  int64_t limit, json_t *items)
{
	struct db_stmt *st = db_prepare(db, &svc_sql[STMT_SVC_CANDIDATES]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, grid_id);
	db_bind_text(st, 4, prefix, -1);
	db_bind_text(st, 5, end, -1);
	char pat[128];
	if (skill && *skill && strlen(skill) < 100 && !strpbrk(skill, "%_\"\\")) {
		snprintf(pat, sizeof pat, "%%\"%s\"%%", skill);
		db_bind_text(st, 2, pat, -1);
	} else {
		db_bind_null(st, 2);
	}
	db_bind_int(st, 3, limit);
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW)
		json_array_append_new(items, json_pack("{s:I, s:s, s:o, s:I}", "member_id",
						       (json_int_t)db_col_int(st, SVC_C_ID), "name",
						       db_col_text(st, SVC_C_NAME), "tags",
						       json_or(db_col_text(st, SVC_C_TAGS), json_array()), "org_id",
						       (json_int_t)db_col_int(st, SVC_C_ORG)));
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

enum db_rc svc_stats(struct db *db, const char *prefix, const char *end, int64_t from, int64_t to, const char *group,
		     int64_t now, struct svc_stats *s)
{
	struct db_stmt *st = db_prepare(db, &svc_sql[STMT_SVC_STATS]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, prefix, -1);
	db_bind_text(st, 2, end, -1);
	db_bind_int(st, 3, from);
	db_bind_int(st, 4, to);
	db_bind_opt_text(st, 5, group);
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW) {
		int state = svc_state_parse(db_col_text(st, SVC_ST_STATE));
		bool open = db_col_int(st, SVC_ST_OPEN) != 0;
		int64_t due = db_col_int(st, SVC_ST_DUE), done = opt_int(st, SVC_ST_COMPLETED);
		s->accepted++;
		if (state == SVC_REJECTED)
			s->rejected++;
		if (open)
			s->open++;
		if (state == SVC_COMPLETED || state == SVC_RATED) {
			s->completed++;
			s->complete_seconds += done - db_col_int(st, SVC_ST_REQUESTED);
		}
		if (state != SVC_REJECTED && svc_overdue(open, due, done, now))
			s->overdue++;
		const char *rating = db_col_text(st, SVC_ST_RATING);
		if (rating) {
			s->rated++;
			if (strcmp(rating, "satisfied") == 0)
				s->satisfied++;
			else if (strcmp(rating, "basic") == 0)
				s->basic++;
			else
				s->unsatisfied++;
		}
	}
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

json_t *svc_stats_json(const struct svc_stats *s)
{
	/* DOMAIN.md §7: the satisfaction rate is satisfied ÷ rated (满意 only), in percent
	 * with one decimal; null when nothing was rated */
	json_t *rate = s->rated ? json_real((double)(s->satisfied * 1000 / s->rated) / 10.0) : json_null();
	json_t *avg = s->completed ? json_real((double)(s->complete_seconds * 10 / 3600 / s->completed) / 10.0)
				   : json_null();
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:o, s:I, s:I, s:I, s:I, s:o}", "accepted",
			 (json_int_t)s->accepted, "completed", (json_int_t)s->completed, "rejected",
			 (json_int_t)s->rejected, "open", (json_int_t)s->open, "rated", (json_int_t)s->rated,
			 "satisfaction_rate", rate, "satisfied", (json_int_t)s->satisfied, "basic", (json_int_t)s->basic,
			 "unsatisfied", (json_int_t)s->unsatisfied, "overdue", (json_int_t)s->overdue,
			 "avg_hours_to_complete", avg);
}

/* ---- Open311 keys and rate counters ------------------------------------------------ */

enum db_rc svc_key_insert(struct db *db, const char *name, const unsigned char hash[16], const char *prefix,
			  int64_t rate, int64_t by, int64_t now, int64_t *id)
{
	struct db_stmt *st = db_prepare(db, &svc_sql[STMT_SVC_KEY_INSERT]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, name, -1);
	db_bind_blob(st, 2, hash, 16);
	db_bind_text(st, 3, prefix, -1);
	db_bind_int(st, 4, rate);
	db_bind_int(st, 5, now);
	db_bind_opt_id(st, 6, by);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		*id = db_col_int(st, DB_COL_ONLY);
		rc = DB_OK;
	}
	db_reset(st);
	return rc;
}

enum db_rc svc_key_revoke(struct db *db, int64_t id, int64_t now)
{
	struct db_stmt *st = db_prepare(db, &svc_sql[STMT_SVC_KEY_REVOKE]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, now);
	enum db_rc rc = db_step(st);
	db_reset(st);
	if (rc != DB_DONE)
		return rc;
	return db_changes(db) == 1 ? DB_OK : DB_NOT_FOUND;
}

enum db_rc svc_key_list(struct db *db, json_t *items)
{
	struct db_stmt *st = db_prepare(db, &svc_sql[STMT_SVC_KEY_LIST]);
	if (!st)
		return DB_ERROR;
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW) {
		json_t *k = json_pack("{s:I, s:s, s:s, s:I, s:b}", "id", (json_int_t)db_col_int(st, SVC_K_ID), "name",
				      db_col_text(st, SVC_K_NAME), "key_prefix", db_col_text(st, SVC_K_PREFIX),
				      "rate_per_min", (json_int_t)db_col_int(st, SVC_K_RATE), "revoked",
				      !db_col_null(st, SVC_K_REVOKED));
		rfc(k, "created_at", db_col_int(st, SVC_K_CREATED));
		rfc(k, "revoked_at", opt_int(st, SVC_K_REVOKED));
		json_array_append_new(items, k);
	}
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

enum db_rc svc_key_find(struct db *db, const unsigned char hash[16], int64_t *id, int64_t *rate)
{
	struct db_stmt *st = db_prepare(db, &svc_sql[STMT_SVC_KEY_FIND]);
	if (!st)
		return DB_ERROR;
	db_bind_blob(st, 1, hash, 16);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		*id = db_col_int(st, SVC_KF_ID);
		*rate = db_col_int(st, SVC_KF_RATE);
		rc = DB_OK;
	} else if (rc == DB_DONE) {
		rc = DB_NOT_FOUND;
	}
	db_reset(st);
	return rc;
}

/* ---- look-ups for filing and dispatching ------------------------------------------ */

static enum db_rc one_id(struct db_stmt *st, int64_t *out)
{
	enum db_rc rc = db_step(st);
	*out = 0;
	if (rc == DB_ROW) {
		*out = db_col_int(st, DB_COL_ONLY);
		rc = DB_OK;
	} else if (rc == DB_DONE) {
		rc = DB_NOT_FOUND;
	}
	db_reset(st);
	return rc;
}

enum db_rc svc_match_grid(struct db *db, const char *address, int64_t *grid)
{
	struct db_stmt *st = db_prepare(db, &svc_sql[STMT_SVC_MATCH_GRID]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, address, -1);
	return one_id(st, grid);
}

enum db_rc svc_grid_branch(struct db *db, int64_t grid, int64_t *org)
{
	struct db_stmt *st = db_prepare(db, &svc_sql[STMT_SVC_GRID_BRANCH]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, grid);
	return one_id(st, org);
}

enum db_rc svc_member_brief(struct db *db, struct arena *a, int64_t id, const char **path, const char **name,
			    int64_t *grid)
{
	struct db_stmt *st = db_prepare(db, &svc_sql[STMT_SVC_MEMBER_BRIEF]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		*path = db_col_dup(a, st, SVC_B_ORG_PATH);
		*name = db_col_dup(a, st, SVC_B_NAME);
		*grid = opt_int(st, SVC_B_GRID);
		rc = DB_OK;
	} else if (rc == DB_DONE) {
		rc = DB_NOT_FOUND;
	}
	db_reset(st);
	return rc;
}

enum db_rc svc_grids_public(struct db *db, json_t *items)
{
	struct db_stmt *st = db_prepare(db, &svc_sql[STMT_SVC_GRIDS_PUBLIC]);
	if (!st)
		return DB_ERROR;
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW)
		json_array_append_new(items, json_pack("{s:I, s:s, s:s}", "id", (json_int_t)db_col_int(st, SVC_G_ID),
						       "name", db_col_text(st, SVC_G_NAME), "community",
						       db_col_text(st, SVC_G_COMMUNITY)));
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

void svc_rate_token(int64_t id, int64_t expires, char *out, size_t cap)
{
	char head[48];
	snprintf(head, sizeof head, "%lld.%lld", (long long)id, (long long)expires);
	token_sign("svc.rate_token", head, out, cap);
}

bool svc_rate_token_parse(const char *token, int64_t *id, int64_t *expires)
{
	if (!token || strlen(token) > 80)
		return false;
	char *e;
	long long a = strtoll(token, &e, 10);
	if (e == token || *e != '.' || a <= 0)
		return false;
	const char *p = e + 1;
	long long b = strtoll(p, &e, 10);
	if (e == p || *e != '.' || b <= 0)
		return false;
	*id = a;
	*expires = b;
	return true;
}

bool svc_rate_token_valid(const char *token)
{
	int64_t id, expires;
	return svc_rate_token_parse(token, &id, &expires) && token_signed_valid("svc.rate_token", token);
}

enum db_rc svc_request_set_media(struct db *db, int64_t id, int64_t file_id)
{
	struct db_stmt *st = db_prepare(db, &svc_sql[STMT_SVC_SET_MEDIA]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, file_id);
	enum db_rc rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}
