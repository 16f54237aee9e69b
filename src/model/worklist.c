/* worklist.c: see worklist.h. One counting statement per work list, over a range of
 * organization paths; the caller (api/dashboard.c) passes the ranges the user holds
 * the list's permission over, within the organization on screen. */
#include "model/worklist.h"
#include "config.h"
#include "core/clock.h"
#include <pthread.h>
#include <stdio.h>
#include <string.h>

enum wl_stmt {
	STMT_WL_DEV_DUE,
	STMT_WL_DEV_OVERDUE,
	STMT_WL_TRF_APPROVE,
	STMT_WL_TRF_SEND,
	STMT_WL_TRF_ACCEPT,
	STMT_WL_MTG_REVIEW,
	STMT_WL_MTG_RETURNED,
	STMT_WL_BASE_APPROVE,
	STMT_WL_SVC_OPEN,
	STMT_WL_SVC_OVERDUE,
	STMT_WL_SVC_TASKS,
	STMT_WL_REVS,
	WL_STMT__MAX
};

#define SVC_OPEN " state IN ('accepted', 'dispatched', 'in_progress') AND org_path >= $1 AND org_path < $2"

/* $1/$2 the range; $3 today (YYYY-MM-DD), the own path to leave out, or now (seconds) */
static const struct db_sql wl_sql[WL_STMT__MAX] = {
	[STMT_WL_DEV_DUE] = {"wl.dev_due",
	 "SELECT COUNT(*) FROM dev_applicants WHERE org_path >= $1 AND org_path < $2 AND status = 'active'"
	 " AND warn_on IS NOT NULL AND warn_on <= $3 AND (due_on IS NULL OR due_on >= $3)"},
	[STMT_WL_DEV_OVERDUE] = {"wl.dev_overdue",
	 "SELECT COUNT(*) FROM dev_applicants WHERE org_path >= $1 AND org_path < $2 AND status = 'active'"
	 " AND due_on IS NOT NULL AND due_on < $3"},
	[STMT_WL_TRF_APPROVE] = {"wl.trf_approve",
	 "SELECT COUNT(*) FROM transfers WHERE state = 'submitted' AND from_path >= $1 AND from_path < $2"},
	[STMT_WL_TRF_SEND] = {"wl.trf_send",
	 "SELECT COUNT(*) FROM transfers WHERE state = 'approved' AND from_path >= $1 AND from_path < $2"},
	[STMT_WL_TRF_ACCEPT] = {"wl.trf_accept",
	 "SELECT COUNT(*) FROM transfers WHERE state = 'sent' AND to_path >= $1 AND to_path < $2"},
	[STMT_WL_MTG_REVIEW] = {"wl.mtg_review",
	 "SELECT COUNT(*) FROM meetings WHERE status = 'submitted' AND org_path >= $1 AND org_path < $2 AND org_path <> $3"},
	[STMT_WL_MTG_RETURNED] = {"wl.mtg_returned",
	 "SELECT COUNT(*) FROM meetings WHERE status = 'returned' AND org_path >= $1 AND org_path < $2"},
	[STMT_WL_BASE_APPROVE] = {"wl.base_approve",
	 "SELECT COUNT(*) FROM base_bookings k JOIN bases b ON b.id = k.base_id JOIN orgs o ON o.id = b.org_id"
	 " WHERE k.status = 'requested' AND k.day >= $3 AND o.path >= $1 AND o.path < $2"},
	[STMT_WL_SVC_OPEN] = {"wl.svc_open", "SELECT COUNT(*) FROM svc_requests WHERE" SVC_OPEN},
	[STMT_WL_SVC_OVERDUE] = {"wl.svc_overdue", "SELECT COUNT(*) FROM svc_requests WHERE" SVC_OPEN " AND due_at < $3"},
	[STMT_WL_SVC_TASKS] = {"wl.svc_tasks",
	 "SELECT COUNT(*) FROM svc_requests WHERE state IN ('dispatched', 'in_progress') AND assignee_org_path >= $1"
	 " AND assignee_org_path < $2"},
	/* the revisions of what the lists count, in one read (0124, 0114/0117, 0122, 0126;
	 * each raised by every write to its table): a count is kept at them */
	[STMT_WL_REVS] = {"wl.revs",
	 "SELECT (SELECT rev FROM dev_rev WHERE id = 1), (SELECT rev FROM transfer_rev WHERE id = 1),"
	 " (SELECT rev FROM meeting_rev WHERE id = 1), (SELECT rev FROM base_rev WHERE id = 1),"
	 " (SELECT rev FROM org_rev WHERE id = 1), (SELECT rev FROM svc_rev WHERE id = 1)"},
};
DB_SQL_TABLE(worklist, wl_sql);

static const struct {
	enum wl_stmt stmt;
	char arg; /* 'd' today, 'p' the own path, 't' now, 0 none */
} how[WL__MAX] = {
	[WL_DEV_DUE] = {STMT_WL_DEV_DUE, 'd'},
	[WL_DEV_OVERDUE] = {STMT_WL_DEV_OVERDUE, 'd'},
	[WL_TRF_APPROVE] = {STMT_WL_TRF_APPROVE, 0},
	[WL_TRF_SEND] = {STMT_WL_TRF_SEND, 0},
	[WL_TRF_ACCEPT] = {STMT_WL_TRF_ACCEPT, 0},
	[WL_MTG_REVIEW] = {STMT_WL_MTG_REVIEW, 'p'},
	[WL_MTG_RETURNED] = {STMT_WL_MTG_RETURNED, 0},
	[WL_BASE_APPROVE] = {STMT_WL_BASE_APPROVE, 'd'},
	[WL_SVC_OPEN] = {STMT_WL_SVC_OPEN, 0},
	[WL_SVC_OVERDUE] = {STMT_WL_SVC_OVERDUE, 't'},
	[WL_SVC_TASKS] = {STMT_WL_SVC_TASKS, 0},
};

/* ---- counts kept across requests ------------------------------------------------------
 * 首页 counts every list for each load it rebuilds (a member write rebuilds the district's:
 * ~0.4–0.9 s of these counts on the bench district under load, none of which a member
 * write changes). A count is kept under (kind, range, own path, day) at the revisions of
 * every table the lists read (dev_rev, transfer_rev, meeting_rev: status and path,
 * base_rev, org_rev: an organization's path, svc_rev): exact at them, in the reader's
 * snapshot. A list that depends on the time of day (service requests overdue: due_at <
 * now) is kept at most cfg.replica_max_lag_ms, the staleness 首页 already allows. */
#define WL_REVS 6
#define WL_KEPT 128
struct wl_kept {
	char key[232];
	int64_t rev[WL_REVS];
	double at;
	int64_t n;
};
static struct {
	pthread_mutex_t mu;
	unsigned next;
	struct wl_kept e[WL_KEPT];
} wl_kept = {PTHREAD_MUTEX_INITIALIZER, 0, {{{0}, {0}, 0, 0}}};

static enum db_rc wl_revs(struct db *db, int64_t rev[WL_REVS])
{
	struct db_stmt *st = db_prepare(db, &wl_sql[STMT_WL_REVS]);
	if (!st)
		return DB_ERROR;
	enum db_rc rc = db_step(st);
	for (int i = 0; rc == DB_ROW && i < WL_REVS; i++)
		rev[i] = db_col_null(st, i) ? -1 : db_col_int(st, i);
	db_reset(st);
	return rc == DB_ROW ? DB_OK : rc == DB_DONE ? DB_ERROR : rc;
}

static bool wl_get(const char *key, const int64_t rev[WL_REVS], bool ttl, int64_t *n)
{
	bool hit = false;
	double now = clock_mono_ms();
	pthread_mutex_lock(&wl_kept.mu);
	for (unsigned i = 0; i < WL_KEPT && !hit; i++) {
		const struct wl_kept *k = &wl_kept.e[i];
		if (k->key[0] && memcmp(k->rev, rev, sizeof k->rev) == 0 && strcmp(k->key, key) == 0 &&
		    (!ttl || now - k->at < (double)cfg.replica_max_lag_ms)) {
			*n = k->n;
			hit = true;
		}
	}
	pthread_mutex_unlock(&wl_kept.mu);
	return hit;
}

static void wl_put(const char *key, const int64_t rev[WL_REVS], double at, int64_t n)
{
	pthread_mutex_lock(&wl_kept.mu);
	unsigned i = 0;
	while (i < WL_KEPT && strcmp(wl_kept.e[i].key, key) != 0)
		i++;
	if (i == WL_KEPT)
		i = wl_kept.next++ % WL_KEPT;
	struct wl_kept *k = &wl_kept.e[i];
	snprintf(k->key, sizeof k->key, "%s", key);
	memcpy(k->rev, rev, sizeof k->rev);
	k->at = at;
	k->n = n;
	pthread_mutex_unlock(&wl_kept.mu);
}

static enum db_rc wl_count(struct db *db, enum wl_kind kind, const char *prefix, const char *end, const char *own,
			   struct date today, int64_t now, int64_t *n);

enum db_rc worklist_count(struct db *db, enum wl_kind kind, const char *prefix, const char *end, const char *own,
			  struct date today, int64_t now, int64_t *n)
{
	if (kind < 0 || kind >= WL__MAX)
		return DB_ERROR;
	char day[11], key[sizeof wl_kept.e[0].key];
	date_format(today, day);
	int64_t rev[WL_REVS];
	int kl = snprintf(key, sizeof key, "%d|%s|%s|%s|%s", (int)kind, prefix, end, own ? own : "", day);
	bool ttl = how[kind].arg == 't';
	if (cfg.replica_max_lag_ms <= 0 || kl <= 0 || (size_t)kl >= sizeof key || wl_revs(db, rev) != DB_OK)
		return wl_count(db, kind, prefix, end, own, today, now, n);
	int64_t got = 0;
	if (wl_get(key, rev, ttl, &got)) {
		*n += got;
		return DB_OK;
	}
	double t0 = clock_mono_ms();
	enum db_rc rc = wl_count(db, kind, prefix, end, own, today, now, &got);
	if (rc == DB_OK) {
		wl_put(key, rev, t0, got);
		*n += got;
	}
	return rc;
}

static enum db_rc wl_count(struct db *db, enum wl_kind kind, const char *prefix, const char *end, const char *own,
			   struct date today, int64_t now, int64_t *n)
{
	struct db_stmt *st = db_prepare(db, &wl_sql[how[kind].stmt]);
	if (!st)
		return DB_ERROR;
	char day[11];
	date_format(today, day);
	db_bind_text(st, 1, prefix, -1);
	db_bind_text(st, 2, end, -1);
	if (how[kind].arg == 'd')
		db_bind_text(st, 3, day, -1);
	else if (how[kind].arg == 'p')
		db_bind_text(st, 3, own ? own : "", -1);
	else if (how[kind].arg == 't')
		db_bind_int(st, 3, now);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW)
		*n += db_col_int(st, DB_COL_ONLY);
	db_reset(st);
	return rc == DB_ROW ? DB_OK : rc == DB_DONE ? DB_ERROR : rc;
}
