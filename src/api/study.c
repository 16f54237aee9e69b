/* study.c: 学习专题 routes (issue 16 #6): issues of the caller's organizations (list,
 * one with its items and read counts), create, add an item (article HTML sanitized
 * to the allow-list here, before it is stored), submit for review, review (publish,
 * which pushes the issue to every member of the subtree through the outbox, or return
 * with a reason; the reviewer is not the author), and the member's side: the issues
 * for them, an item opened (recorded) and read to the end. */
#include "api/roster_util.h"
#include "auth/audit.h"
#include "auth/auth.h"
#include "auth/scope.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/html_sanitize.h"
#include "http/input.h"
#include "http/params.h"
#include "model/member.h"
#include "model/org.h"
#include "model/msg_settings.h"
#include "model/outbox.h"
#include "model/study.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int audit(struct request *req, const char *action, int64_t id, int64_t org, const char *summary)
{
	struct audit_event ev = {action, "study_issue", id, org, true, summary};
	return audit_record(req, &ev);
}

/* The issue {id} when it lies in the caller's scope for perm; 404 otherwise. */
static bool issue_in_scope(struct request *req, const char *perm, struct study_issue *out)
{
	int64_t id = req_param_id(req, "id");
	if (req_failed(req))
		return false;
	enum db_rc rc = study_issue_get(req->db, req->arena, id, out);
	if (rc == DB_OK && !scope_allows(req, perm, out->org_path))
		rc = DB_NOT_FOUND;
	if (rc == DB_NOT_FOUND)
		req_fail(req, 404, "not_found", "学习专题不存在");
	else if (rc != DB_OK)
		req_fail_db(req, rc);
	return rc == DB_OK;
}

struct list_in {
	int64_t org_id, limit;
	const char *cursor;
};
static const struct param list_params[] = {
	PARAM_ID(struct list_in, org_id, "党组织编号无效"),
	PARAM_INT(struct list_in, limit, 1, 200, 20),
	PARAM_STR(struct list_in, cursor, 20),
};
static const struct params list_in = PARAMS(struct list_in, list_params);

static void get_issues(struct request *req)
{
	const struct list_in *in = req->in;
	int64_t before = in->cursor ? strtoll(in->cursor, NULL, 10) : 0;
	if (before < 0) {
		req_field_error(req, "cursor", "invalid_cursor", "分页游标无效");
		return;
	}
	const char **p = NULL, **e = NULL;
	size_t n = roster_org_ranges(req, "study.write", in->org_id, &p, &e);
	if (req_failed(req))
		return;
	json_t *items = n ? study_list(req->db, p[0], e[0], before, (int)in->limit) : json_array();
	if (!items) {
		req_fail_db(req, DB_ERROR);
		return;
	}
	size_t k = json_array_size(items);
	const char *next = k == (size_t)in->limit
				   ? arena_printf(req->arena, "%lld",
						  (long long)json_integer_value(json_object_get(json_array_get(items, k - 1), "id")))
				   : NULL;
	req_reply_list(req, items, next, (int64_t)k);
}

static void post_issue(struct request *req)
{
	json_t *b = in_body(req);
	if (!b)
		return;
	int64_t org_id = 0;
	in_int(req, b, "org_id", IN_REQUIRED, 1, INT64_MAX, &org_id);
	const char *title = in_str(req, b, "title", IN_REQUIRED, 80);
	if (req_failed(req))
		return;
	struct org_rec o;
	if (!roster_org_in_scope(req, org_id, "study.write", &o))
		return;
	int64_t id;
	enum db_rc rc = study_issue_create(req->db, o.id, o.path, title, auth_user_id(req), clock_now(), &id);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (audit(req, "study.create", id, o.id, arena_printf(req->arena, "title=%s", title)) != 0)
		return;
	req_reply_json(req, 201, study_issue_json(req->db, id));
}

static void get_issue(struct request *req)
{
	struct study_issue s;
	if (!issue_in_scope(req, "study.write", &s))
		return;
	json_t *j = study_issue_json(req->db, s.id);
	if (!j) {
		req_fail_db(req, DB_ERROR);
		return;
	}
	req_reply_json(req, 200, j);
}

static const char *const item_kinds[] = {"article", "link", "video", "document", NULL};

static bool url_ok(const char *u)
{
	return u && (strncmp(u, "https://", 8) == 0 || strncmp(u, "http://", 7) == 0) && !strpbrk(u, " \"'<>\\");
}

static void post_item(struct request *req)
{
	json_t *b = in_body(req);
	struct study_issue s;
	if (!b || !issue_in_scope(req, "study.write", &s))
		return;
	const char *kind = in_enum(req, b, "kind", IN_REQUIRED, item_kinds);
	const char *title = in_str(req, b, "title", IN_REQUIRED, 100);
	const char *url = in_str(req, b, "url", IN_OPTIONAL | IN_NULLABLE, 500);
	int64_t file_id = 0, minutes = 0;
	if (in_has(b, "file_id"))
		in_int(req, b, "file_id", IN_OPTIONAL | IN_NULLABLE, 1, INT64_MAX, &file_id);
	if (in_has(b, "study_minutes"))
		in_int(req, b, "study_minutes", IN_OPTIONAL, 0, 600, &minutes);
	json_t *h = json_object_get(b, "body_html");
	const char *html = NULL;
	int changed = 0;
	if (h && !json_is_null(h)) {
		if (!json_is_string(h) || json_string_length(h) > 200000)
			req_field_error(req, "body_html", "invalid_html", "正文应为不超过 200KB 的文本");
		else
			html = html_sanitize(req->arena, json_string_value(h), json_string_length(h), &changed);
	}
	if (kind && strcmp(kind, "article") == 0 && (!html || !*html))
		req_field_error(req, "body_html", "required", "文章需要正文");
	if (kind && (strcmp(kind, "link") == 0 || strcmp(kind, "video") == 0) && !url_ok(url))
		req_field_error(req, "url", "invalid_url", "链接应为 http(s):// 开头的地址");
	if (kind && strcmp(kind, "document") == 0 && !file_id)
		req_field_error(req, "file_id", "required", "文档需要上传的附件");
	if (url && !url_ok(url))
		req_field_error(req, "url", "invalid_url", "链接应为 http(s):// 开头的地址");
	if (req_failed(req))
		return;
	if (strcmp(s.state, "draft") != 0) {
		req_fail(req, 409, "not_draft", "只有草稿状态的专题可以添加内容");
		return;
	}
	int64_t id;
	enum db_rc rc = study_item_add(req->db, s.id, kind, title, html, url, file_id, minutes, clock_now(), &id);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (audit(req, "study.item", s.id, s.org_id, arena_printf(req->arena, "item=%lld kind=%s sanitized=%d",
								 (long long)id, kind, changed)) != 0)
		return;
	json_t *j = study_issue_json(req->db, s.id);
	json_object_set_new(j, "sanitized", json_boolean(changed));
	req_reply_json(req, 201, j);
}

static void post_submit(struct request *req)
{
	struct study_issue s;
	if (!issue_in_scope(req, "study.write", &s))
		return;
	if (study_item_count(req->db, s.id) <= 0) {
		req_fail(req, 409, "empty_issue", "专题还没有内容，不能提交审核");
		return;
	}
	enum db_rc rc = study_set_state(req->db, s.id, "draft", "review", 0, NULL, clock_now());
	if (rc == DB_NOT_FOUND) {
		req_fail(req, 409, "not_draft", "只有草稿状态的专题可以提交审核");
		return;
	}
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (audit(req, "study.submit", s.id, s.org_id, "state=review") != 0)
		return;
	req_reply_json(req, 200, study_issue_json(req->db, s.id));
}

static const char *const decisions[] = {"publish", "return", NULL};

static void post_review(struct request *req)
{
	json_t *b = in_body(req);
	struct study_issue s;
	if (!b || !issue_in_scope(req, "study.review", &s))
		return;
	const char *d = in_enum(req, b, "decision", IN_REQUIRED, decisions);
	const char *reason = in_str(req, b, "reason", IN_OPTIONAL | IN_NULLABLE, 200);
	if (d && strcmp(d, "return") == 0 && !reason)
		req_field_error(req, "reason", "required", "退回需要说明原因");
	if (req_failed(req))
		return;
	if (s.created_by && s.created_by == auth_user_id(req)) {
		req_fail(req, 409, "same_person", "审核人不能是专题的编写人");
		return;
	}
	bool publish = strcmp(d, "publish") == 0;
	int64_t now = clock_now();
	enum db_rc rc = study_set_state(req->db, s.id, "review", publish ? "published" : "draft", auth_user_id(req),
					publish ? NULL : reason, now);
	if (rc == DB_NOT_FOUND) {
		req_fail(req, 409, "not_in_review", "只有待审核的专题可以审核");
		return;
	}
	int64_t pushed = 0, wx_pushed = 0;
	if (rc == DB_OK && publish) {
		/* the push: one in-app message per member of the audience, deduplicated per
		 * issue and member (a second publish of the same issue adds nothing) */
		char *end = arena_strdup(req->arena, s.org_path);
		end[strlen(end) - 1] = '0';
		json_t *p = json_pack("{s:s}", "title", s.title);
		char why[160];
		rc = outbox_enqueue_subtree(req->db, arena_printf(req->arena, "study:%lld:inapp:", (long long)s.id), "inapp",
					    "study", p, s.org_path, end, "/m/study", &pushed, why, sizeof why);
		if (rc == DB_OK)
			rc = study_set_pushed(req->db, s.id, pushed);
		/* and, with the 公众号 configured for study pushes, a template message to the
		 * members who linked their WeChat (the in-app push above stays the count) */
		struct msg_settings ms;
		if (rc == DB_OK && (rc = msg_settings_load(req->db, req->arena, false, &ms)) == DB_OK &&
		    *ms.v[MSK_WECHAT_APPID] && *msg_settings_wechat_template(&ms, "study") &&
		    msg_settings_secret_set(req->db, MSK_WECHAT_SECRET))
			rc = outbox_enqueue_subtree(req->db, arena_printf(req->arena, "study:%lld:wechat:", (long long)s.id),
						    "wechat", "study", p, s.org_path, end, "/m/study", &wx_pushed, why,
						    sizeof why);
		json_decref(p);
	}
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (audit(req, publish ? "study.publish" : "study.return", s.id, s.org_id,
		  publish ? arena_printf(req->arena, "pushed=%lld wechat=%lld", (long long)pushed, (long long)wx_pushed)
			  : "state=draft") != 0)
		return;
	req_reply_json(req, 200, study_issue_json(req->db, s.id));
}

/* the caller's member record: id and organization path */
static bool me(struct request *req, int64_t *id, const char **path)
{
	*id = auth_member_id(req);
	struct member_rec r;
	const char *org_name;
	if (*id <= 0 || member_load(req->db, req->arena, *id, false, &r, &org_name) != DB_OK) {
		req_fail(req, 404, "not_found", "没有与此账号关联的党员信息");
		return false;
	}
	*path = r.org_path;
	return true;
}

static void get_my_study(struct request *req)
{
	int64_t m;
	const char *path;
	if (!me(req, &m, &path))
		return;
	json_t *items = study_for_member(req->db, m, path);
	if (!items) {
		req_fail_db(req, DB_ERROR);
		return;
	}
	req_reply_list(req, items, NULL, (int64_t)json_array_size(items));
}

static void get_my_item(struct request *req)
{
	int64_t m, item = req_param_id(req, "id");
	const char *path;
	if (req_failed(req) || !me(req, &m, &path))
		return;
	enum db_rc rc;
	json_t *j = study_open_item(req->db, item, m, path, clock_now(), &rc);
	if (!j) {
		if (rc == DB_NOT_FOUND)
			req_fail(req, 404, "not_found", "学习内容不存在");
		else
			req_fail_db(req, rc);
		return;
	}
	req_reply_json(req, 200, j);
}

static void post_my_finish(struct request *req)
{
	int64_t m, item = req_param_id(req, "id");
	const char *path;
	if (req_failed(req) || !me(req, &m, &path))
		return;
	enum db_rc rc = study_finish_item(req->db, item, m, clock_now());
	if (rc == DB_NOT_FOUND) {
		req_fail(req, 404, "not_found", "请先打开学习内容");
		return;
	}
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	req_reply_json(req, 200, json_pack("{s:I, s:b}", "id", (json_int_t)item, "finished", 1));
}

static const struct route study_routes[] = {
	{"GET", "/api/v1/study/issues", get_issues, "study.write", RF_TX_READ, 0, "学习专题 issues of a subtree", &list_in},
	{"POST", "/api/v1/study/issues", post_issue, "study.write", RF_TX_WRITE, 0, "create a draft issue"},
	{"GET", "/api/v1/study/issues/{id}", get_issue, "study.write", RF_TX_READ, 0, "an issue with items and reads"},
	{"POST", "/api/v1/study/issues/{id}/items", post_item, "study.write", RF_TX_WRITE, 262144,
	 "add an item (article HTML sanitized)"},
	{"POST", "/api/v1/study/issues/{id}/submit", post_submit, "study.write", RF_TX_WRITE, 0, "draft → review"},
	{"POST", "/api/v1/study/issues/{id}/review", post_review, "study.review", RF_TX_WRITE, 0,
	 "publish (push to the subtree) or return"},
	{"GET", "/api/v1/me/study", get_my_study, "self.read", RF_TX_READ, 0, "published issues for the caller"},
	{"GET", "/api/v1/me/study/items/{id}", get_my_item, "self.read", RF_TX_WRITE, 0, "open an item (recorded)"},
	{"POST", "/api/v1/me/study/items/{id}/finish", post_my_finish, "self.read", RF_TX_WRITE, 0,
	 "the item read to the end"},
};
ROUTE_TABLE(study);
