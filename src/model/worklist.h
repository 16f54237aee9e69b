/* worklist.h: the work lists of 首页 (issue 19 #2) that the wave's capabilities leave
 * for a secretary or the district's staff today, each counted over a range of
 * organization paths (the caller passes the ranges it holds the list's permission over):
 * development steps near or past their deadline (dev_applicants' warn_on / due_on),
 * transfers to approve (submitted, sending side), to send (approved) and to accept
 * (sent, receiving side), meeting records to review (submitted, below the caller's own
 * organization) and returned for correction, bookings of the bases run in the range
 * waiting for approval (from today on), service requests open and overdue, and the
 * service tasks dispatched to an organization of the range and not yet done. */
#ifndef DJ_WORKLIST_H
#define DJ_WORKLIST_H
#include "core/date.h"
#include "db/db.h"
#include <stdint.h>

enum wl_kind {
	WL_DEV_DUE,
	WL_DEV_OVERDUE,
	WL_TRF_APPROVE,
	WL_TRF_SEND,
	WL_TRF_ACCEPT,
	WL_MTG_REVIEW,
	WL_MTG_RETURNED,
	WL_BASE_APPROVE,
	WL_SVC_OPEN,
	WL_SVC_OVERDUE,
	WL_SVC_TASKS,
	WL__MAX
};

/* Adds to *n the count of kind over [prefix, end); own: the path left out of
 * WL_MTG_REVIEW (the caller's own organization's records are not theirs to review). */
enum db_rc worklist_count(struct db *db, enum wl_kind kind, const char *prefix, const char *end, const char *own,
			  struct date today, int64_t now, int64_t *n);
#endif
