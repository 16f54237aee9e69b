/* study.h: 学习专题 (issue 16 #6): issues (期) of items (条), draft → review →
 * published, the audience the publishing organization's subtree, the push on publish
 * through the outbox, and reads per member (opened, finished). Tables in 0076. Rich
 * text arrives sanitized (core/html_sanitize.h: the api layer calls it). */
#ifndef DJ_STUDY_H
#define DJ_STUDY_H
#include "db/db.h"
#include <jansson.h>
#include <stdint.h>

struct arena;

struct study_issue {
	int64_t id, org_id, created_by, pushed;
	const char *org_path, *title, *state; /* arena-owned */
};

enum db_rc study_issue_create(struct db *db, int64_t org_id, const char *org_path, const char *title, int64_t user,
			      int64_t now, int64_t *id);
enum db_rc study_issue_get(struct db *db, struct arena *a, int64_t id, struct study_issue *out);
/* The issue with its items ({…, items:[{id, seq, kind, title, body_html, url, file_id,
 * study_minutes, opened, finished}]}), new reference or NULL. */
json_t *study_issue_json(struct db *db, int64_t id);
/* Issues in [prefix, end), newest first, id < before (0: newest). */
json_t *study_list(struct db *db, const char *prefix, const char *end, int64_t before, int limit);
enum db_rc study_item_add(struct db *db, int64_t issue, const char *kind, const char *title, const char *body_html,
			  const char *url, int64_t file_id, int64_t minutes, int64_t now, int64_t *id);
/* from → to when the issue is in from (DB_NOT_FOUND otherwise); reviewer and reason
 * recorded when given; publishing stamps the time and day. */
enum db_rc study_set_state(struct db *db, int64_t id, const char *from, const char *to, int64_t reviewer,
			   const char *reason, int64_t now);
enum db_rc study_set_pushed(struct db *db, int64_t id, int64_t n);
int64_t study_item_count(struct db *db, int64_t issue);
/* The member's published issues (their organization or an ancestor published them),
 * with items and the member's read state. */
json_t *study_for_member(struct db *db, int64_t member_id, const char *member_path);
/* One item for the member (its issue published and covering member_path), recording
 * the open; NULL with *rc DB_NOT_FOUND when not theirs. */
json_t *study_open_item(struct db *db, int64_t item, int64_t member_id, const char *member_path, int64_t now,
			enum db_rc *rc);
enum db_rc study_finish_item(struct db *db, int64_t item, int64_t member_id, int64_t now);
/* {issues_published, items_pushed, pushes, reads_opened, reads_finished, read_rate} of
 * the issues published in [from, to] in [prefix, end). */
json_t *study_stats(struct db *db, const char *prefix, const char *end, const char *from, const char *to);
#endif
