/* ind_transfers.c: the transfers' figure of the yearly report (issue 19's INDICATOR_TABLE,
 * issue 14): 在线接转组织关系 (人次), the transfers completed (received, or receipt
 * returned) in the period that touch the scope, with the records behind it. The same
 * condition as GET /api/v1/stats/transfers' total (model/transfer.c). */
#include "model/indicators.h"
#include <stdio.h>
#include <string.h>

/* $1 prefix, $2 end, $3 from, $4 to (received_on); rows add $5 after id and $6 limit */
#define IND_TRF_WHERE                                                                                            \
	" WHERE state IN ('received', 'receipt_returned') AND received_on >= $3 AND received_on <= $4"             \
	" AND ((from_path >= $1 AND from_path < $2) OR (to_path >= $1 AND to_path < $2))"

/* the directions, from the scope's point of view ($1, $2): in (received into it from
 * outside it or from elsewhere), out (sent from it to outside it or elsewhere), within
 * (both sides in it) */
#define IND_TRF_FROM_IN "(from_path IS NOT NULL AND from_path >= $1 AND from_path < $2)"
#define IND_TRF_TO_IN "(to_path IS NOT NULL AND to_path >= $1 AND to_path < $2)"
#define IND_TRF_DONE " WHERE state IN ('received', 'receipt_returned') AND received_on >= $3 AND received_on <= $4"

enum ind_transfers_stmt {
	STMT_IND_TRF_COUNT,
	STMT_IND_TRF_ROWS,
	STMT_IND_TRF_IN,
	STMT_IND_TRF_OUT,
	STMT_IND_TRF_WITHIN,
	STMT_IND_TRF_IN_ROWS,
	STMT_IND_TRF_OUT_ROWS,
	STMT_IND_TRF_WITHIN_ROWS,
	IND_TRF_STMT__MAX
};
/* ind_trf.rows' columns */
enum ind_trf_col { IND_TRF_COL_ID, IND_TRF_COL_NAME, IND_TRF_COL_KIND, IND_TRF_COL_DATE, IND_TRF_COL_ORG };
static const struct db_sql ind_transfers_sql[IND_TRF_STMT__MAX] = {
	[STMT_IND_TRF_COUNT] = {"ind_trf.count", "SELECT COUNT(*) FROM transfers" IND_TRF_WHERE},
	[STMT_IND_TRF_ROWS] = {"ind_trf.rows",
	 "SELECT id, name, kind, received_on, to_org_name FROM transfers" IND_TRF_WHERE
	 " AND id > $5 ORDER BY id LIMIT $6"},
	[STMT_IND_TRF_IN] = {"ind_trf.in", "SELECT COUNT(*) FROM transfers" IND_TRF_DONE " AND " IND_TRF_TO_IN " AND NOT " IND_TRF_FROM_IN},
	[STMT_IND_TRF_OUT] = {"ind_trf.out", "SELECT COUNT(*) FROM transfers" IND_TRF_DONE " AND " IND_TRF_FROM_IN " AND NOT " IND_TRF_TO_IN},
	[STMT_IND_TRF_WITHIN] = {"ind_trf.within", "SELECT COUNT(*) FROM transfers" IND_TRF_DONE " AND " IND_TRF_FROM_IN " AND " IND_TRF_TO_IN},
	[STMT_IND_TRF_IN_ROWS] = {"ind_trf.in_rows", "SELECT id, name, kind, received_on, to_org_name FROM transfers" IND_TRF_DONE
	 " AND " IND_TRF_TO_IN " AND NOT " IND_TRF_FROM_IN " AND id > $5 ORDER BY id LIMIT $6"},
	[STMT_IND_TRF_OUT_ROWS] = {"ind_trf.out_rows", "SELECT id, name, kind, received_on, to_org_name FROM transfers" IND_TRF_DONE
	 " AND " IND_TRF_FROM_IN " AND NOT " IND_TRF_TO_IN " AND id > $5 ORDER BY id LIMIT $6"},
	[STMT_IND_TRF_WITHIN_ROWS] = {"ind_trf.within_rows", "SELECT id, name, kind, received_on, to_org_name FROM transfers"
	 IND_TRF_DONE " AND " IND_TRF_FROM_IN " AND " IND_TRF_TO_IN " AND id > $5 ORDER BY id LIMIT $6"},
};
DB_SQL_TABLE(ind_transfers, ind_transfers_sql);

static const struct ind_param period[] = {IND_P_DATES};

/* Summed over the scope's roots (disjoint subtrees; a transfer between two of them
 * counts in each, as it is one out and one in) */
static enum db_rc count_by(struct db *db, const struct ind_scope *s, enum ind_transfers_stmt which,
			   struct ind_value *out)
{
	out->den = 0;
	return ind_count_stmt(db, s, &ind_transfers_sql[which], period, 2, DB_COL_ONLY, &out->num);
}

static void trf_row(struct db_stmt *st, const struct ind_scope *s, const void *arg, ind_emit_fn emit, void *ctx)
{
	(void)s, (void)arg;
	const char *kind = db_col_text(st, IND_TRF_COL_KIND);
	char label[256];
	snprintf(label, sizeof label, "%s · %s", db_col_text(st, IND_TRF_COL_NAME),
		 strcmp(kind, "within") == 0 ? "区内转接" : strcmp(kind, "out") == 0 ? "转出" : "转入");
	struct ind_row r = {db_col_int(st, IND_TRF_COL_ID), label, db_col_text(st, IND_TRF_COL_DATE),
			    db_col_text(st, IND_TRF_COL_ORG)};
	emit(ctx, &r);
}

static enum db_rc rows_by(struct db *db, const struct ind_scope *s, enum ind_transfers_stmt which, int64_t after,
			  int limit, ind_emit_fn emit, void *ctx)
{
	return ind_rows_stmt(db, s, &ind_transfers_sql[which], period, 2, after, limit, trf_row, NULL, emit, ctx);
}

#define TRF_FNS(fn, count_stmt, rows_stmt)                                                                  \
	static enum db_rc fn##_n(struct db *db, const struct ind_scope *s, struct ind_value *out)             \
	{                                                                                                   \
		return count_by(db, s, count_stmt, out);                                                    \
	}                                                                                                   \
	static enum db_rc fn##_rows(struct db *db, const struct ind_scope *s, int64_t after, int limit,     \
				    ind_emit_fn emit, void *ctx)                                            \
	{                                                                                                   \
		return rows_by(db, s, rows_stmt, after, limit, emit, ctx);                                  \
	}
TRF_FNS(completed, STMT_IND_TRF_COUNT, STMT_IND_TRF_ROWS)
TRF_FNS(trf_in, STMT_IND_TRF_IN, STMT_IND_TRF_IN_ROWS)
TRF_FNS(trf_out, STMT_IND_TRF_OUT, STMT_IND_TRF_OUT_ROWS)
TRF_FNS(trf_within, STMT_IND_TRF_WITHIN, STMT_IND_TRF_WITHIN_ROWS)

static const struct indicator ind_transfers_indicators[] = {
	{"transfers.completed", "在线接转组织关系", "人次", "组织关系接转",
	 "期间内办结（已接收或回执已返回）的组织关系接转人次，转出、转入或在本组织内转接", false, completed_n,
	 completed_rows, true},
	{"transfers.in", "转入组织关系", "人次", "组织关系接转",
	 "期间内办结、接收方在本组织（含下级）而转出方不在的接转人次（含从外地转入）", false, trf_in_n, trf_in_rows, true},
	{"transfers.out", "转出组织关系", "人次", "组织关系接转",
	 "期间内办结、转出方在本组织（含下级）而接收方不在的接转人次（含转往外地）", false, trf_out_n, trf_out_rows, true},
	{"transfers.within", "内部接转组织关系", "人次", "组织关系接转",
	 "期间内办结、转出方和接收方都在本组织（含下级）的接转人次", false, trf_within_n, trf_within_rows, true},
};
INDICATOR_TABLE(ind_transfers);
