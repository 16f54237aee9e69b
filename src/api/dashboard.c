/* dashboard.c: GET /api/v1/dashboard?org_id= — 首页 (issue 19 #2): for an organization
 * (default: the caller's own, when the scope has one root) the year's figures with
 * last year's beside them (a period figure: last year's period; a standing figure:
 * last year's snapshot when the year was closed), the alerts and work lists due, the
 * organization's children with their members (drill-down) and the roster's
 * breakdowns for the charts. Everything is computed here; the page only draws. */
#include "api/roster_util.h"
#include "config.h"
#include "model/member.h"
#include "model/revcache.h"
#include "jobs/background.h"
#include "auth/scope.h"
#include "core/clock.h"
#include "http/params.h"
#include "http/request.h"
#include "model/indicators.h"
#include "model/report.h"
#include "model/stats.h"
#include "model/worklist.h"
#include "auth/session.h"
#include "core/log.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DASH_CHILDREN 24
#define DASH_CACHE 32

/* The dashboard is read far more often than anything on it changes: each answer is
 * kept as its text (model/revcache.h, revtext) keyed by what it was computed over and
 * by the members' revision, for at most cfg.replica_max_lag_ms (the staleness a replica
 * may already add to this route) for the figures no revision covers. When it is not
 * current, the first request rebuilds it and the others get the text of a moment before
 * meanwhile, except a caller whose own write came after that text began: they wait for
 * (or do) the rebuild, so their change shows. */
REVTEXT_DEFINE(dash_texts, DASH_CACHE);

struct dash_in {
	int64_t org_id;
};
static const struct param dash_params[] = {PARAM_ID(struct dash_in, org_id, "党组织编号无效")};
static const struct params dash_in = PARAMS(struct dash_in, dash_params);

/* The organization id at the end of a path "/1/17/342/". */
static int64_t path_leaf(const char *path)
{
	size_t n = strlen(path);
	if (n < 3)
		return 0;
	const char *p = path + n - 2;
	while (p > path && *p != '/')
		p--;
	return strtoll(p + 1, NULL, 10);
}

static json_t *figures(struct request *req, const struct ind_scope *now, const struct ind_scope *last,
		       int64_t snapshot_id)
{
	json_t *items = json_array();
	for (size_t i = 0; i < indicator_count(); i++) {
		const struct indicator *ind = indicator_at(i);
		struct ind_value v = {0, 0}, l = {0, 0};
		enum db_rc rc = indicator_value(req->db, ind, now, &v);
		if (rc != DB_OK) {
			json_decref(items);
			req_fail_db(req, rc);
			return NULL;
		}
		char text[48], ltext[48];
		json_t *it = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:{s:I, s:I, s:s}}", "key", ind->key, "name", ind->name,
				       "unit", ind->unit, "group", ind->group, "definition", ind->definition, "ratio",
				       ind->ratio, "value", "num", (json_int_t)v.num, "den", (json_int_t)v.den, "text",
				       indicator_format(ind, &v, text, sizeof text));
		bool have = false;
		if (ind->period)
			have = indicator_value(req->db, ind, last, &l) == DB_OK;
		else if (snapshot_id)
			have = report_snapshot_value(req->db, snapshot_id, ind->key, &l.num, &l.den) == DB_OK;
		if (have)
			json_object_set_new(it, "last_year", json_pack("{s:I, s:I, s:s}", "num", (json_int_t)l.num, "den",
								       (json_int_t)l.den, "text",
								       indicator_format(ind, &l, ltext, sizeof ltext)));
		json_array_append_new(items, it);
	}
	return items;
}

/* The work lists the capabilities leave for today (model/worklist.h): each counted
 * where the caller holds its permission, within the organization on screen, and shown
 * only when something is waiting. A link opens its page pre-filtered: the query below
 * is what that page reads from its URL (tab, box, status, overdue), and the
 * organization on screen is added as org_id (link_of). */
static const struct {
	enum wl_kind kind;
	const char *perm, *code, *label, *link;
} work_lists[] = {
	{WL_DEV_OVERDUE, "dev.write", "dev_overdue", "发展党员步骤已超期", "/development?tab=warnings"},
	{WL_DEV_DUE, "dev.write", "dev_due", "发展党员步骤临近期限", "/development?tab=warnings"},
	{WL_TRF_APPROVE, "transfer.approve", "transfer_approve", "组织关系转接待审批", "/transfers?box=outgoing"},
	{WL_TRF_SEND, "transfer.write", "transfer_send", "已审批待开具介绍信", "/transfers?box=outgoing"},
	{WL_TRF_ACCEPT, "transfer.write", "transfer_accept", "转入组织关系待接收", "/transfers?box=incoming"},
	{WL_MTG_REVIEW, "meeting.review", "meeting_review", "下级会议记录待审核", "/meetings?tab=queue"},
	{WL_MTG_RETURNED, "meeting.write", "meeting_returned", "会议记录被退回待修改", "/meetings?tab=list&status=returned"},
	{WL_BASE_APPROVE, "base.approve", "base_approve", "基地预约待审批", "/base-queue?status=requested"},
	{WL_SVC_OVERDUE, "service.write", "service_overdue", "服务诉求已超时", "/services?overdue=1"},
	{WL_SVC_OPEN, "service.write", "service_open", "服务诉求办理中", "/services?open=1"},
	{WL_SVC_TASKS, "service.task", "service_tasks", "派给本组织的服务任务待办", "/m/tasks?"},
};

/* The caller's ranges for perm within the organization at path (NULL: the whole
 * scope); own[i]: whether range i is one of the caller's own roots. */
static size_t perm_ranges(struct request *req, const char *perm, const char *path, const char ***prefix,
			  const char ***end, bool **own)
{
	const char **rp, **re;
	size_t n = roster_ranges(req, perm, &rp, &re), k = 0;
	*prefix = arena_alloc(req->arena, sizeof **prefix * (n ? n : 1));
	*end = arena_alloc(req->arena, sizeof **end * (n ? n : 1));
	*own = arena_alloc(req->arena, sizeof **own * (n ? n : 1));
	for (size_t i = 0; i < n; i++) {
		size_t rl = strlen(rp[i]), pl = path ? strlen(path) : 0;
		if (path && pl >= rl && strncmp(rp[i], path, rl) == 0) {
			/* the organization lies in this root's subtree: its subtree alone */
			(*prefix)[0] = path, (*end)[0] = scope_path_end(req->arena, path);
			(*own)[0] = pl == rl;
			return 1;
		}
		if (!path || (rl > pl && strncmp(path, rp[i], pl) == 0))
			/* the whole scope, or a root inside the organization */
			(*prefix)[k] = rp[i], (*end)[k] = re[i], (*own)[k++] = true;
	}
	return k;
}

/* link + the organization on screen (org_id), or link alone (a path ending in "?" loses it) */
static const char *link_of(struct request *req, const char *link, int64_t org_id)
{
	size_t n = strlen(link);
	if (!org_id)
		return n && link[n - 1] == '?' ? arena_printf(req->arena, "%.*s", (int)(n - 1), link) : link;
	return arena_printf(req->arena, "%s%sorg_id=%lld", link, n && link[n - 1] == '?' ? "" : strchr(link, '?') ? "&" : "?",
			    (long long)org_id);
}

static enum db_rc work_items(struct request *req, const char *path, int64_t org_id, struct date today, json_t *work)
{
	for (size_t w = 0; w < sizeof work_lists / sizeof work_lists[0]; w++) {
		const char **p, **e;
		bool *own;
		size_t n = perm_ranges(req, work_lists[w].perm, path, &p, &e, &own);
		int64_t count = 0;
		for (size_t i = 0; i < n; i++) {
			enum db_rc rc = worklist_count(req->db, work_lists[w].kind, p[i], e[i], own[i] ? p[i] : "", today,
						       clock_now(), &count);
			if (rc != DB_OK)
				return rc;
		}
		if (count > 0)
			json_array_append_new(work, json_pack("{s:s, s:s, s:I, s:s}", "kind", work_lists[w].code, "label",
							      work_lists[w].label, "count", (json_int_t)count, "link",
							      link_of(req, work_lists[w].link, org_id)));
	}
	return DB_OK;
}

static json_t *member_charts(const struct member_stats *s, int this_year)
{
	json_t *joined = json_array();
	for (int y = this_year - 14; y <= this_year; y++) {
		int k = y - STATS_YEAR0;
		json_array_append_new(joined, json_pack("{s:i, s:I}", "year", y,
							"count", (json_int_t)(k >= 0 && k < STATS_YEARS ? s->joined[k] : 0)));
	}
	json_t *all = stats_members_json(s);
	json_t *out = json_pack("{s:O, s:O, s:O, s:O, s:o}", "domain", json_object_get(all, "domain"), "age",
				json_object_get(all, "age"), "education", json_object_get(all, "education"), "party_status",
				json_object_get(all, "party_status"), "joined_per_year", joined);
	json_decref(all);
	return out;
}

/* The answer for the organization (or the scope's roots [prefix, end) when org_id is 0),
 * or NULL after failing the request. */
static json_t *build(struct request *req, int64_t org_id, const struct org_rec *o, const char **prefix, const char **end,
		     size_t n, struct date today)
{
	struct ind_scope now = {prefix, end, n, {today.y, 1, 1}, today, today, req->arena, NULL, true};
	ind_scope_memo(&now);
	struct ind_scope last = now;
	ind_scope_memo(&last);
	last.from = (struct date){today.y - 1, 1, 1};
	last.to = date_add_years(today, -1);
	struct report_snapshot snap = {0};
	if (org_id) {
		enum db_rc rc = report_snapshot_get(req->db, req->arena, org_id, today.y - 1, &snap);
		if (rc != DB_OK && rc != DB_DONE) {
			req_fail_db(req, rc);
			return NULL;
		}
	}
	double t0 = clock_mono_ms();
	json_t *figs = figures(req, &now, &last, snap.id);
	double t_figs = clock_mono_ms();
	ind_scope_done(&last);
	/* alerts over the subtree (R-ORG-02…05), as the figures counted them */
	struct ind_alerts al = {0, 0, 0, NULL};
	enum db_rc arc = figs ? ind_org_alerts(req->db, &now, &al) : DB_ERROR;
	ind_scope_done(&now);
	if (!figs)
		return NULL;
	if (arc != DB_OK) {
		json_decref(al.first);
		json_decref(figs);
		req_fail_db(req, arc);
		return NULL;
	}
	json_t *alerts = al.first;
	size_t nalerts = (size_t)al.total;
	json_t *work = json_array();
	if (al.term)
		json_array_append_new(work, json_pack("{s:s, s:s, s:I, s:s}", "kind", "term", "label", "换届到期或已届满",
						      "count", (json_int_t)al.term, "link", link_of(req, "/orgs?alerts=1", org_id)));
	if (al.committee)
		json_array_append_new(work, json_pack("{s:s, s:s, s:I, s:s}", "kind", "committee", "label",
						      "班子配备需调整", "count", (json_int_t)al.committee, "link",
						      link_of(req, "/orgs?alerts=1", org_id)));
	double t_alerts = clock_mono_ms();
	enum db_rc wrc = work_items(req, org_id ? o->path : NULL, org_id, today, work);
	double t_work = clock_mono_ms();
	if (wrc != DB_OK) {
		json_decref(figs);
		json_decref(alerts);
		json_decref(work);
		req_fail_db(req, wrc);
		return NULL;
	}
	size_t i;
	/* the roster's breakdowns */
	struct member_stats total;
	memset(&total, 0, sizeof total);
	for (size_t k = 0; k < n; k++) {
		struct member_stats s;
		enum db_rc rc = ind_member_stats(req->db, prefix[k], end[k], today, &s);
		if (rc != DB_OK) {
			json_decref(figs);
			json_decref(alerts);
			json_decref(work);
			req_fail_db(req, rc);
			return NULL;
		}
		stats_add(&total, &s);
	}
	double t_charts = clock_mono_ms();
	/* the children, for drill-down: the first DASH_CHILDREN in the tree's order */
	json_t *children = json_array();
	int64_t nchildren = 0;
	if (org_id) {
		json_t *kids = json_array();
		int64_t last_id = 0;
		size_t nk = 0;
		struct org_filter f = {.prefix = o->path, .end = scope_path_end(req->arena, o->path), .parent_id = org_id,
				       .limit = DASH_CHILDREN};
		enum db_rc rc = org_list(req->db, req->arena, &f, kids, &last_id, &nk);
		int64_t members = 0, formal = 0, prob = 0;
		if (rc == DB_OK)
			rc = org_counts(req->db, org_id, &nchildren, &members, &formal, &prob);
		json_t *k;
		json_array_foreach(kids, i, k)
		{
			if (rc != DB_OK)
				break;
			struct org_rec c;
			rc = org_get(req->db, req->arena, json_integer_value(json_object_get(k, "id")), &c);
			/* 在册 and 正式党员 as the statistics pass counts them (total, formal;
			 * probationary the rest), kept per subtree at its revision (0145): the
			 * figures above have just counted the district's streets */
			int64_t roster = 0, cformal = 0;
			struct member_stats cs;
			if (rc == DB_OK)
				rc = ind_member_stats(req->db, c.path, scope_path_end(req->arena, c.path), today, &cs);
			if (rc == DB_OK)
				roster = cs.total, cformal = cs.formal;
			if (rc == DB_OK)
				json_array_append_new(children,
						      json_pack("{s:I, s:s, s:s, s:O, s:I, s:I, s:I}", "id", (json_int_t)c.id,
								"name", c.name, "type", c.type, "child_count",
								json_object_get(k, "child_count"), "members", (json_int_t)roster,
								"formal", (json_int_t)cformal, "probationary",
								(json_int_t)(roster - cformal)));
		}
		json_decref(kids);
		if (rc != DB_OK) {
			json_decref(figs);
			json_decref(alerts);
			json_decref(work);
			json_decref(children);
			req_fail_db(req, rc);
			return NULL;
		}
	}
	log_msg(LOG_DEBUG, NULL, "dashboard computed: figures %.0f ms, alerts %.0f, work lists %.0f, charts %.0f, children %.0f",
		t_figs - t0, t_alerts - t_figs, t_work - t_alerts, t_charts - t_work, clock_mono_ms() - t_charts);
	json_t *body = json_pack("{s:o, s:i, s:o, s:{s:I, s:o}, s:o, s:o, s:I, s:o}", "org",
				 org_id ? json_pack("{s:I, s:s, s:s, s:o}", "id", (json_int_t)o->id, "name", o->name, "type",
						    o->type, "parent_id",
						    o->parent_id > 0 ? json_integer(o->parent_id) : json_null())
					: json_null(),
				 "year", today.y, "figures", figs, "alerts", "count", (json_int_t)nalerts, "items", alerts,
				 "worklist", work, "children", children, "children_total", (json_int_t)nchildren, "charts",
				 member_charts(&total, today.y));
	if (snap.id)
		json_object_set_new(body, "last_year_snapshot",
				    json_pack("{s:I, s:s}", "taken_at", (json_int_t)snap.taken_at, "taken_by", snap.taken_by));
	return body;
}

/* ---- a rebuild on a thread of its own ------------------------------------------------
 * The district's dashboard takes long to compute; the worker that would compute it holds
 * many connections (64 in the bench, one worker's share of them stalled for the whole
 * rebuild). When the caller may have the text of a moment before (REVTEXT_REFRESH), it
 * gets that at once and the rebuild runs on a thread of its own (jobs/background.h)
 * with a copy of what it needs: the caller's session (the work lists follow its
 * permissions), the organization and the ranges, on its own connection and snapshot. */
struct aside {
	struct arena *a;
	struct request fake; /* what build() reads of a request: arena, db, session, err */
	struct auth_session session;
	struct revtext_ask ask;
	int64_t org_id;
	struct org_rec o;
	const char **prefix, **end;
	size_t n;
	struct date today;
};

static enum db_rc aside_build(struct db *db, void *arg)
{
	struct aside *x = arg;
	x->fake.db = db;
	json_t *body = build(&x->fake, x->org_id, &x->o, x->prefix, x->end, x->n, x->today);
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (!text)
		return DB_ERROR;
	revtext_put(&dash_texts, &x->ask, text, strlen(text));
	free(text);
	return DB_OK;
}

static void aside_done(void *arg, enum db_rc rc)
{
	struct aside *x = arg;
	if (rc != DB_OK) {
		log_msg(LOG_WARN, NULL, "dashboard rebuilt aside: failed (%d); the next request rebuilds", (int)rc);
		revtext_abandon(&dash_texts, &x->ask);
	}
	json_decref(x->fake.err.fields);
	arena_free(x->a);
}

static const char *dup_or_null(struct arena *a, const char *s)
{
	return s ? arena_strdup(a, s) : NULL;
}

static bool rebuild_aside(struct request *req, const struct revtext_ask *ask, int64_t org_id, const struct org_rec *o,
			  const char **prefix, const char **end, size_t n, struct date today)
{
	if (!req->session)
		return false;
	struct arena *a = arena_new();
	if (!a)
		return false;
	struct aside *x = arena_alloc(a, sizeof *x);
	memset(x, 0, sizeof *x);
	x->a = a;
	x->fake.arena = a;
	x->fake.out_fd = -1;
	const struct auth_session *s = req->session;
	x->session = *s;
	x->session.username = dup_or_null(a, s->username);
	x->session.name = dup_or_null(a, s->name);
	x->session.as = arena_alloc(a, sizeof *x->session.as * (s->n_as ? s->n_as : 1));
	for (size_t i = 0; i < s->n_as; i++) {
		x->session.as[i] = s->as[i];
		x->session.as[i].org_path = dup_or_null(a, s->as[i].org_path);
		x->session.as[i].org_name = dup_or_null(a, s->as[i].org_name);
	}
	x->fake.session = &x->session;
	x->ask = *ask;
	x->ask.key = arena_strdup(a, ask->key);
	x->org_id = org_id;
	/* what build() reads of the organization; nothing else points into the request */
	x->o.id = o->id;
	x->o.parent_id = o->parent_id;
	x->o.path = dup_or_null(a, o->path);
	x->o.name = dup_or_null(a, o->name);
	x->o.type = dup_or_null(a, o->type);
	x->prefix = arena_alloc(a, sizeof *x->prefix * (n ? n : 1));
	x->end = arena_alloc(a, sizeof *x->end * (n ? n : 1));
	for (size_t i = 0; i < n; i++)
		x->prefix[i] = arena_strdup(a, prefix[i]), x->end[i] = arena_strdup(a, end[i]);
	x->n = n;
	x->today = today;
	if (!jobs_background_read(db_name(req->db), aside_build, aside_done, x)) {
		arena_free(a);
		return false; /* the caller rebuilds */
	}
	return true;
}

static void get_dashboard(struct request *req)
{
	const struct dash_in *in = req->in;
	int64_t org_id = in->org_id;
	if (!org_id) {
		const char **prefix, **end;
		size_t n = roster_ranges(req, "stats.read", &prefix, &end);
		if (n == 1)
			org_id = path_leaf(prefix[0]);
	}
	const char **prefix = NULL, **end = NULL;
	size_t n = roster_org_ranges(req, "stats.read", org_id, &prefix, &end);
	if (req_failed(req))
		return;
	struct org_rec o = {0};
	if (org_id && !roster_org_in_scope(req, org_id, "stats.read", &o))
		return;
	struct date today = roster_today();
	/* the key: the organization (or the scope's roots) and the day */
	char key[160];
	/* the work lists follow the caller's permissions: the user is part of the key */
	int kl = snprintf(key, sizeof key, "%lld@%04d-%02d-%02d#%lld", (long long)org_id, today.y, today.m, today.d,
			  (long long)(req->session ? req->session->user_id : 0));
	/* at the revisions of the members, organizations, meetings and development records */
	struct revtext_ask ask;
	bool cacheable;
	enum db_rc rrc = ind_text_ask(req->db, key, sizeof key, kl, !org_id, prefix, n, req->t0,
				      req->session ? req->session->user_id : 0, &ask, &cacheable);
	if (rrc != DB_OK) {
		req_fail_db(req, rrc);
		return;
	}
	if (cacheable) {
		char *text;
		size_t len;
		enum revtext_got got = revtext_get(&dash_texts, &ask, req->arena, &text, &len);
		if (got == REVTEXT_REFRESH && rebuild_aside(req, &ask, org_id, &o, prefix, end, n, today))
			got = REVTEXT_STALE;
		if (got != REVTEXT_BUILD && got != REVTEXT_REFRESH) {
			req_reply_raw(req, 200, "application/json", text, len);
			return;
		}
	}
	json_t *body = build(req, org_id, &o, prefix, end, n, today);
	if (!body) {
		if (cacheable)
			revtext_abandon(&dash_texts, &ask); /* the next request rebuilds */
		return;
	}
	char *text = cacheable ? json_dumps(body, JSON_COMPACT) : NULL;
	if (cacheable && !text)
		revtext_abandon(&dash_texts, &ask);
	if (text) {
		size_t len = strlen(text);
		revtext_put(&dash_texts, &ask, text, len);
		char *copy = arena_alloc(req->arena, len);
		memcpy(copy, text, len);
		free(text);
		json_decref(body);
		req_reply_raw(req, 200, "application/json", copy, len);
		return;
	}
	req_reply_json(req, 200, body);
}

static const struct route dashboard_routes[] = {
	{"GET", "/api/v1/dashboard", get_dashboard, "stats.read", RF_TX_READ | RF_REPLICA, 0,
	 "首页: the year's figures, alerts, work lists, children and charts of an organization", &dash_in},
};
ROUTE_TABLE(dashboard);
