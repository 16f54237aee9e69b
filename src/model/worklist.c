/* worklist.c: see worklist.h. One counting statement per work list, over a range of
 * organization paths; the caller (api/dashboard.c) passes the ranges the user holds
 * the list's permission over, within the organization on screen. */
#include "model/worklist.h"

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

enum db_rc worklist_count(struct db *db, enum wl_kind kind, const char *prefix, const char *end, const char *own,
			  struct date today, int64_t now, int64_t *n)
{
	if (kind < 0 || kind >= WL__MAX)
		return DB_ERROR;
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
