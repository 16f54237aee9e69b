/* wechat.h: members' links to the WeChat Official Account (公众号) (0108, issue 16):
 * the openid a member is known by under the account's appid, linked by the OAuth2
 * snsapi_base flow after login (a single-use state row ties the redirect to the user
 * who started it), and unlinked by the member or a desk user of their organization.
 * Not here: the HTTP to WeChat (src/jobs/channel_wechat.c), the routes (api/wechat.c). */
#ifndef DJ_WECHAT_H
#define DJ_WECHAT_H
#include "db/db.h"
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct arena;

#define WECHAT_STATE_SECONDS 600

/* A new authorization state for (user, member), valid WECHAT_STATE_SECONDS; expired
 * ones are swept. Caller's write transaction. */
enum db_rc wechat_state_new(struct db *db, const char *state, int64_t user_id, int64_t member_id, int64_t now);
/* Takes (deletes) state if it is user's and not expired: *member_id, DB_OK; DB_NOT_FOUND
 * otherwise. */
enum db_rc wechat_state_take(struct db *db, const char *state, int64_t user_id, int64_t now, int64_t *member_id);
/* Links member to openid under appid (replacing the member's earlier link).
 * DB_CONSTRAINT when that openid is another member's. */
enum db_rc wechat_link(struct db *db, int64_t member_id, const char *appid, const char *openid, int64_t by, int64_t now);
/* Removes member's link; DB_NOT_FOUND when none. */
enum db_rc wechat_unlink(struct db *db, int64_t member_id);
/* {linked, linked_at, appid_current}: whether member is linked, under appid (the
 * configured one; a link under another appid is stale). New reference, NULL on error. */
json_t *wechat_link_json(struct db *db, int64_t member_id, const char *appid);
/* Members in the normal state of the subtree [prefix, end), and those linked. */
enum db_rc wechat_linked_counts(struct db *db, const char *prefix, const char *end, int64_t *members, int64_t *linked);

/* GET /stats/wechat over the subtree [prefix, end) and the days [from, to]: sections
 * and items (as they stand), members and those linked, and WeChat messages that ended
 * sent or failed in the period. New reference, NULL on error. */
json_t *wechat_stats(struct db *db, const char *prefix, const char *end, const char *from, const char *to);

/* ---- the 公众号's sections (版块) and items (项), and its menu (0109) ---- */
#define WECHAT_MAX_SECTIONS 3 /* WeChat's menu: at most 3 top-level buttons */
#define WECHAT_MAX_ITEMS 5    /* of at most 5 sub-buttons each */

struct wechat_item_in {
	const char *name, *kind, *target; /* kind page | study | url */
	int64_t position;
};
/* The sections of org_id with their items, in position order. New reference, NULL on error. */
json_t *wechat_sections_json(struct db *db, int64_t org_id);
/* Adds a section to org_id (path its path): *id; DB_CONSTRAINT when org_id has
 * WECHAT_MAX_SECTIONS already. */
enum db_rc wechat_section_add(struct db *db, int64_t org_id, const char *path, const char *name, int64_t position,
			      int64_t now, int64_t *id);
/* The section's organization and its path (arena-owned); DB_NOT_FOUND. */
enum db_rc wechat_section_org(struct db *db, struct arena *a, int64_t id, int64_t *org_id, const char **path);
enum db_rc wechat_section_update(struct db *db, int64_t id, const char *name, int64_t position, int64_t now);
enum db_rc wechat_section_delete(struct db *db, int64_t id);
/* Adds an item to section: *id; DB_CONSTRAINT when it has WECHAT_MAX_ITEMS already. */
enum db_rc wechat_item_add(struct db *db, int64_t section_id, const struct wechat_item_in *in, int64_t now, int64_t *id);
/* The item's section's organization and path; DB_NOT_FOUND. */
enum db_rc wechat_item_org(struct db *db, struct arena *a, int64_t id, int64_t *org_id, const char **path);
enum db_rc wechat_item_update(struct db *db, int64_t id, const struct wechat_item_in *in, int64_t now);
enum db_rc wechat_item_delete(struct db *db, int64_t id);
/* True when study issue id is published and in the subtree [prefix, end). */
enum db_rc wechat_study_ok(struct db *db, int64_t id, const char *prefix, const char *end, bool *ok);
/* WeChat's menu of org_id ({"button": [{name, sub_button: [{type: view, name, url}]}]});
 * origin: scheme://host of our phone pages. Sections without items are left out. New
 * reference, NULL on error. */
json_t *wechat_menu_json(struct db *db, int64_t org_id, const char *origin);
/* Records a push of org_id's menu and its outcome. */
enum db_rc wechat_menu_record(struct db *db, int64_t org_id, int64_t user_id, bool ok, const char *errcode,
			      const char *error, int64_t now);
/* The last push of org_id's menu {pushed_at, outcome, errcode, error} or JSON null. */
json_t *wechat_menu_last(struct db *db, int64_t org_id);
#endif
