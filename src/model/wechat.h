/* wechat.h: members' links to the WeChat Official Account (公众号) (0108, issue 16):
 * the openid a member is known by under the account's appid, linked by the OAuth2
 * snsapi_base flow after login (a single-use state row ties the redirect to the user
 * who started it), and unlinked by the member or a desk user of their organization.
 * Not here: the HTTP to WeChat (src/jobs/channel_wechat.c), the routes (api/wechat.c). */
#ifndef DJ_WECHAT_H
#define DJ_WECHAT_H
#include "db/db.h"
#include <jansson.h>
#include <stdint.h>

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
#endif
