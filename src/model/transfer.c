/* transfer.c: the transfers' SQL, the pure rules and the API's JSON (see transfer.h).
 * The state changes that touch the roster are in transfer_flow.c. */
#include "model/transfer.h"
#include "config.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/idcard.h"
#include "core/jsonw.h"
#include "model/revcache.h"
#include "model/seal.h"
#include <stdio.h>
#include <string.h>

#define TRANSFER_COLS                                                                                            \
	"id, kind, state, open, member_id, from_org_id, from_path, from_org_name, to_org_id, to_path, to_org_name," \
	" issuer_org_id, serial, letter_no, name, sex, birth_date, ethnicity, party_status, joined_on, confirmed_on," \
	" id_masked, mobile_masked, dues_paid_to, outside_city, validity_days, sent_on, valid_until, received_on,"   \
	" receipt_on, sender_address, sender_phone, reason, return_reason, prev_state, renewals, applied_by_member,"  \
	" created_at, updated_at, id_cipher, mobile_cipher"
/* TRANSFER_COLS in their order */
enum transfer_col {
	TC_ID, TC_KIND, TC_STATE, TC_OPEN, TC_MEMBER_ID, TC_FROM_ORG_ID, TC_FROM_PATH, TC_FROM_ORG_NAME, TC_TO_ORG_ID,
	TC_TO_PATH, TC_TO_ORG_NAME, TC_ISSUER_ORG_ID, TC_SERIAL, TC_LETTER_NO, TC_NAME, TC_SEX, TC_BIRTH_DATE,
	TC_ETHNICITY, TC_PARTY_STATUS, TC_JOINED_ON, TC_CONFIRMED_ON, TC_ID_MASKED, TC_MOBILE_MASKED, TC_DUES_PAID_TO,
	TC_OUTSIDE_CITY, TC_VALIDITY_DAYS, TC_SENT_ON, TC_VALID_UNTIL, TC_RECEIVED_ON, TC_RECEIPT_ON,
	TC_SENDER_ADDRESS, TC_SENDER_PHONE, TC_REASON, TC_RETURN_REASON, TC_PREV_STATE, TC_RENEWALS,
	TC_APPLIED_BY_MEMBER, TC_CREATED_AT, TC_UPDATED_AT, TC_ID_CIPHER, TC_MOBILE_CIPHER,
};
/* transfer.events' rows */
enum transfer_event_col { TE_AT, TE_FROM, TE_TO, TE_ACTOR, TE_NOTE };
/* transfer.counts' row */
enum transfer_counts_col { TN_OUT_OPEN, TN_IN_PENDING, TN_EXPIRED, TN_EXPIRING, TN_RECEIPT_OVERDUE, TN_TRANSIT };
/* transfer.stats' row */
enum transfer_stats_col { TS_IN, TS_OUT, TS_WITHIN, TS_K_WITHIN, TS_K_OUT, TS_K_IN };
/* transfer.destinations' rows */
enum transfer_dest_col { TD_ID, TD_NAME, TD_PARENT };
/* transfer.by_serial's row */
enum transfer_serial_col { TV_STATE, TV_VALID_UNTIL };

/* The list's filter: $1 prefix, $2 end, $3 box (1 sending side, 2 receiving side from
 * "sent" on, 3 either), $4 state, $5 flag's date bound (expired: valid_until < $5),
 * $6 (expiring: valid_until <= $6 and >= $7), $8 (receipt_overdue: received_on < $8),
 * $9 member_id; a page adds $10 before_id and $11 limit. */
#define TRANSFER_FILTER                                                                                            \
	" ((($3 = 1 OR $3 = 3) AND from_path >= $1 AND from_path < $2) OR (($3 = 2 OR $3 = 3) AND to_path >= $1"       \
	" AND to_path < $2 AND state NOT IN ('draft', 'submitted', 'approved', 'cancelled')))"                           \
	" AND (CAST($4 AS TEXT) IS NULL OR state = $4)"                                                                 \
	" AND (CAST($5 AS TEXT) IS NULL OR (state = 'sent' AND valid_until < $5))"                                       \
	" AND (CAST($6 AS TEXT) IS NULL OR (state = 'sent' AND valid_until <= $6 AND valid_until >= $7))"                \
	" AND (CAST($8 AS TEXT) IS NULL OR (state = 'received' AND received_on < $8))"                                   \
	" AND (CAST($9 AS BIGINT) IS NULL OR member_id = $9)"

enum transfer_stmt {
	STMT_TRANSFER_INSERT,
	STMT_TRANSFER_LOAD,
	STMT_TRANSFER_SAVE,
	STMT_TRANSFER_EVENT_ADD,
	STMT_TRANSFER_EVENTS,
	STMT_TRANSFER_SERIAL_NEXT,
	STMT_TRANSFER_BY_SERIAL,
	STMT_TRANSFER_OPEN_BY_BLIND,
	STMT_TRANSFER_OPEN_OF_MEMBER,
	STMT_TRANSFER_PAGE,
	STMT_TRANSFER_PAGE_OPEN,
	STMT_TRANSFER_COUNT,
	STMT_TRANSFER_COUNT_OPEN,
	STMT_TRANSFER_COUNTS,
	STMT_TRANSFER_COUNT_TRANSIT,
	STMT_TRANSFER_STATS,
	STMT_TRANSFER_DESTINATIONS,
	STMT_TRANSFER_REV,
	TRANSFER_STMT__MAX
};

static const struct db_sql transfer_sql[TRANSFER_STMT__MAX] = {
	/* $1 … $38 in the order of TRANSFER_COLS after id, then id_cipher, id_blind and
	 * mobile_cipher (transfer_insert binds them) */
	[STMT_TRANSFER_INSERT] = {"transfer.insert",
	 "INSERT INTO transfers (kind, state, open, member_id, from_org_id, from_path, from_org_name, to_org_id, to_path,"
	 " to_org_name, issuer_org_id, serial, letter_no, name, sex, birth_date, ethnicity, party_status, joined_on,"
	 " confirmed_on, id_masked, mobile_masked, dues_paid_to, outside_city, validity_days, sent_on, valid_until,"
	 " received_on, receipt_on, sender_address, sender_phone, reason, return_reason, prev_state, renewals,"
	 " applied_by_member, created_at, updated_at, id_cipher, id_blind, mobile_cipher)"
	 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22,"
	 " $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36, $37, $38, $39, $40, $41) RETURNING id"},
	[STMT_TRANSFER_LOAD] = {"transfer.load", "SELECT " TRANSFER_COLS " FROM transfers WHERE id = $1"},
	/* $1 id, $2 the expected state; the changeable columns $3 … $16 */
	[STMT_TRANSFER_SAVE] = {"transfer.save",
	 "UPDATE transfers SET state = $3, open = $4, serial = $5, issuer_org_id = $6, sent_on = $7, valid_until = $8,"
	 " received_on = $9, receipt_on = $10, return_reason = $11, prev_state = $12, renewals = $13, member_id = $14,"
	 " updated_at = $15, validity_days = $16 WHERE id = $1 AND state = $2 RETURNING id"},
	[STMT_TRANSFER_EVENT_ADD] = {"transfer.event_add",
	 "INSERT INTO transfer_events (transfer_id, at, from_state, to_state, actor_id, actor_name, note)"
	 " VALUES ($1, $2, $3, $4, $5, $6, $7)"},
	[STMT_TRANSFER_EVENTS] = {"transfer.events",
	 "SELECT at, from_state, to_state, actor_name, note FROM transfer_events WHERE transfer_id = $1 ORDER BY id"},
	[STMT_TRANSFER_SERIAL_NEXT] = {"transfer.serial_next",
	 "INSERT INTO transfer_serials (issuer_org_id, year, last) VALUES ($1, $2, 1)"
	 " ON CONFLICT (issuer_org_id, year) DO UPDATE SET last = transfer_serials.last + 1 RETURNING last"},
	[STMT_TRANSFER_BY_SERIAL] = {"transfer.by_serial", "SELECT state, valid_until FROM transfers WHERE serial = $1"},
	[STMT_TRANSFER_OPEN_BY_BLIND] = {"transfer.open_by_blind",
	 "SELECT id FROM transfers WHERE id_blind = $1 AND open = 1 ORDER BY id LIMIT 1"},
	[STMT_TRANSFER_OPEN_OF_MEMBER] = {"transfer.open_of_member",
	 "SELECT id FROM transfers WHERE member_id = $1 AND open = 1"},
	/* newest first, walking the table backwards until a page is full (SQLite: NOT
	 * INDEXED, so that it never collects every row of an OR of the two sides' indexes
	 * and sorts them) */
	[STMT_TRANSFER_PAGE] = {"transfer.page",
	 "SELECT " TRANSFER_COLS " FROM transfers NOT INDEXED WHERE" TRANSFER_FILTER
	 " AND ($10 = 0 OR id < $10) ORDER BY id DESC LIMIT $11",
	 "SELECT " TRANSFER_COLS " FROM transfers WHERE" TRANSFER_FILTER
	 " AND ($10 = 0 OR id < $10) ORDER BY id DESC LIMIT $11"},
	/* in transit only: walks transfers_open from the newest (the district's list) */
	[STMT_TRANSFER_PAGE_OPEN] = DB_SQL_INDEXED("transfer.page_open", "SELECT " TRANSFER_COLS " FROM transfers",
	 "transfers_open", " WHERE open = 1 AND" TRANSFER_FILTER " AND ($10 = 0 OR id < $10) ORDER BY open DESC, id DESC LIMIT $11"),
	[STMT_TRANSFER_COUNT] = {"transfer.count", "SELECT COUNT(*) FROM transfers WHERE" TRANSFER_FILTER},
	[STMT_TRANSFER_COUNT_OPEN] = {"transfer.count_open",
	 "SELECT COUNT(*) FROM transfers WHERE open = 1 AND" TRANSFER_FILTER},
	/* $1 prefix, $2 end, $3 today, $4 today + 7 days, $5 today − 1 month. Each figure is
	 * counted in one pass over each side's range on a covering index (an OR of the two
	 * paths would visit every row and merge); the receiving side's figures leave out the
	 * letters whose sending side is in the subtree too (counted once, as outgoing). */
#define TRF_FROM_IN " open = 1 AND from_path >= $1 AND from_path < $2"
#define TRF_TO_ONLY " open = 1 AND to_path >= $1 AND to_path < $2 AND state = 'sent' AND (from_path IS NULL OR from_path < $1 OR from_path >= $2)"
/* …the same inside a scan of the receiving side's range */
#define TRF_TO_ONLY_C " state = 'sent' AND (from_path IS NULL OR from_path < $1 OR from_path >= $2)"
	[STMT_TRANSFER_COUNTS] = {"transfer.counts",
	 "SELECT f.n, t.pending, f.expired + t.expired, f.expiring + t.expiring, r.n, f.n + t.only FROM"
	 " (SELECT COUNT(*) AS n, COALESCE(SUM(CASE WHEN state = 'sent' AND valid_until < $3 THEN 1 ELSE 0 END), 0) AS expired,"
	 " COALESCE(SUM(CASE WHEN state = 'sent' AND valid_until >= $3 AND valid_until <= $4 THEN 1 ELSE 0 END), 0) AS expiring"
	 " FROM transfers WHERE" TRF_FROM_IN ") f,"
	 " (SELECT COALESCE(SUM(CASE WHEN state = 'sent' THEN 1 ELSE 0 END), 0) AS pending,"
	 " COALESCE(SUM(CASE WHEN" TRF_TO_ONLY_C " THEN 1 ELSE 0 END), 0) AS only,"
	 " COALESCE(SUM(CASE WHEN" TRF_TO_ONLY_C " AND valid_until < $3 THEN 1 ELSE 0 END), 0) AS expired,"
	 " COALESCE(SUM(CASE WHEN" TRF_TO_ONLY_C " AND valid_until >= $3 AND valid_until <= $4 THEN 1 ELSE 0 END), 0) AS expiring"
	 " FROM transfers WHERE open = 1 AND to_path >= $1 AND to_path < $2) t,"
	 " (SELECT COUNT(*) AS n FROM transfers WHERE state = 'received' AND received_on < $5 AND ((from_path >= $1 AND"
	 " from_path < $2) OR (to_path >= $1 AND to_path < $2))) r"},
	/* the in-transit list's total without other filters (the district's list): the same
	 * two range counts */
	[STMT_TRANSFER_COUNT_TRANSIT] = {"transfer.count_transit",
	 "SELECT (SELECT COUNT(*) FROM transfers WHERE" TRF_FROM_IN ") + (SELECT COUNT(*) FROM transfers WHERE"
	 TRF_TO_ONLY ")"},
	/* $1 prefix, $2 end, $3 from, $4 to (received_on); completed = received or receipt returned */
	[STMT_TRANSFER_STATS] = {"transfer.stats",
	 "SELECT COALESCE(SUM(CASE WHEN t.to_in = 1 AND t.from_in = 0 THEN 1 ELSE 0 END), 0),"
	 " COALESCE(SUM(CASE WHEN t.from_in = 1 AND t.to_in = 0 THEN 1 ELSE 0 END), 0),"
	 " COALESCE(SUM(CASE WHEN t.from_in = 1 AND t.to_in = 1 THEN 1 ELSE 0 END), 0),"
	 " COALESCE(SUM(CASE WHEN t.kind = 'within' THEN 1 ELSE 0 END), 0),"
	 " COALESCE(SUM(CASE WHEN t.kind = 'out' THEN 1 ELSE 0 END), 0),"
	 " COALESCE(SUM(CASE WHEN t.kind = 'in' THEN 1 ELSE 0 END), 0)"
	 " FROM (SELECT kind, CASE WHEN from_path >= $1 AND from_path < $2 THEN 1 ELSE 0 END AS from_in,"
	 " CASE WHEN to_path >= $1 AND to_path < $2 THEN 1 ELSE 0 END AS to_in FROM transfers"
	 " WHERE state IN ('received', 'receipt_returned') AND received_on >= $3 AND received_on <= $4"
	 " AND ((from_path >= $1 AND from_path < $2) OR (to_path >= $1 AND to_path < $2))) t"},
	[STMT_TRANSFER_DESTINATIONS] = {"transfer.destinations",
	 "SELECT o.id, o.name, p.name FROM orgs o LEFT JOIN orgs p ON p.id = o.parent_id"
	 " WHERE o.type IN ('党支部', '联合党支部') AND o.name LIKE $1 ESCAPE '\\' ORDER BY o.name, o.id LIMIT $2"},
	[STMT_TRANSFER_REV] = {"transfer.rev", "SELECT epoch, rev FROM transfer_rev WHERE id = 1"},
};
/* transfer.rev's row */
enum transfer_rev_col { TR_EPOCH, TR_REV };

/* The queues' counts of a subtree and the lists' totals, kept per (subtree and filter,
 * revision of the transfers, day): ~10 ms of index scans for 20,000 open letters,
 * asked by every page and menu */
REVCACHE_DEFINE(counts_cache, 64, struct transfer_counts);
REVCACHE_DEFINE(total_cache, 128, int64_t);

void transfer_revision(struct db *db, int64_t *epoch, int64_t *rev)
{
	*epoch = 0;
	*rev = -1;
	struct db_stmt *st = db_prepare(db, &transfer_sql[STMT_TRANSFER_REV]);
	if (st && db_step(st) == DB_ROW) {
		*epoch = db_col_int(st, TR_EPOCH);
		*rev = db_col_int(st, TR_REV);
	}
	if (st)
		db_reset(st);
}
DB_SQL_TABLE(transfer, transfer_sql);

/* ---- the rules ---- */

int64_t transfer_validity_days(bool outside_city)
{
	return outside_city ? cfg.transfer_days_outside : cfg.transfer_days_city;
}

int transfer_arrears_months(const char *dues_paid_to, struct date on)
{
	int y, m;
	if (!dues_paid_to || sscanf(dues_paid_to, "%4d-%2d", &y, &m) != 2)
		return -1;
	int owed = (on.y * 12 + on.m) - (y * 12 + m);
	return owed > 0 ? owed : 0;
}

void transfer_probation_end(const struct transfer_rec *t, char buf[11])
{
	struct date j;
	buf[0] = 0;
	if (t->party_status && strcmp(t->party_status, "probationary") == 0 && t->joined_on &&
	    date_parse(t->joined_on, &j))
		date_format(date_add_years(j, 1), buf);
}

void transfer_flags(const struct transfer_rec *t, struct date today, struct transfer_flags *f)
{
	memset(f, 0, sizeof *f);
	struct date d;
	if (strcmp(t->state, "sent") == 0 && t->valid_until && date_parse(t->valid_until, &d)) {
		int64_t left = date_to_days(d) - date_to_days(today);
		f->expired = left < 0;
		f->expiring = left >= 0 && left <= 7;
	}
	if (strcmp(t->state, "received") == 0 && t->received_on && date_parse(t->received_on, &d))
		f->receipt_overdue = date_cmp(date_add_months(d, 1), today) < 0;
	struct date on = today;
	if (t->sent_on)
		date_parse(t->sent_on, &on);
	f->arrears_months = transfer_arrears_months(t->dues_paid_to, on);
}

void transfer_verify_code(const char *serial, char buf[17])
{
	unsigned char h[DJ_BLIND_LEN];
	dj_blind_index("transfer.verify", serial, strlen(serial), h);
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < 8; i++) {
		buf[2 * i] = hex[h[i] >> 4];
		buf[2 * i + 1] = hex[h[i] & 15];
	}
	buf[16] = 0;
}

static const char *const state_names[][2] = {
	{"draft", "草稿"}, {"submitted", "已提交"}, {"approved", "已审批"}, {"sent", "已开具（在途）"},
	{"received", "已接收"}, {"returned", "已退回"}, {"receipt_returned", "回执已返回"}, {"cancelled", "已撤销"},
	{"expired", "已过期"},
};

const char *transfer_state_name(const char *state)
{
	for (size_t i = 0; state && i < sizeof state_names / sizeof state_names[0]; i++)
		if (strcmp(state_names[i][0], state) == 0)
			return state_names[i][1];
	return state;
}

const char *transfer_kind_name(const char *kind)
{
	if (!kind)
		return NULL;
	return strcmp(kind, "within") == 0 ? "区内转接" : strcmp(kind, "out") == 0 ? "转出本系统" : "转入本系统";
}

/* ---- storage ---- */

static void bind_opt_int(struct db_stmt *st, int n, int64_t v)
{
	if (v > 0)
		db_bind_int(st, n, v);
	else
		db_bind_null(st, n);
}

enum db_rc transfer_insert(struct db *db, struct arena *a, struct transfer_rec *t)
{
	struct db_stmt *st = db_prepare(db, &transfer_sql[STMT_TRANSFER_INSERT]);
	if (!st)
		return DB_ERROR;
	/* the ID's blind index is the members' (a transfer in finds its member) */
	struct sealed_contact id, mobile;
	seal_contact(a, SEAL_ID_NUMBER, t->id_number, "transfer.id_number", "member.id_number", &id);
	t->id_masked = arena_strdup(a, id.masked);
	if (seal_contact(a, SEAL_MOBILE, t->mobile, "transfer.mobile", NULL, &mobile))
		t->mobile_masked = arena_strdup(a, mobile.masked);
	int n = 0;
	db_bind_text(st, ++n, t->kind, -1);
	db_bind_text(st, ++n, t->state, -1);
	db_bind_int(st, ++n, t->open);
	bind_opt_int(st, ++n, t->member_id);
	bind_opt_int(st, ++n, t->from_org_id);
	db_bind_opt_text(st, ++n, t->from_path);
	db_bind_text(st, ++n, t->from_org_name, -1);
	bind_opt_int(st, ++n, t->to_org_id);
	db_bind_opt_text(st, ++n, t->to_path);
	db_bind_text(st, ++n, t->to_org_name, -1);
	bind_opt_int(st, ++n, t->issuer_org_id);
	db_bind_opt_text(st, ++n, t->serial);
	db_bind_opt_text(st, ++n, t->letter_no);
	db_bind_text(st, ++n, t->name, -1);
	db_bind_text(st, ++n, t->sex, -1);
	db_bind_text(st, ++n, t->birth_date, -1);
	db_bind_text(st, ++n, t->ethnicity, -1);
	db_bind_text(st, ++n, t->party_status, -1);
	db_bind_text(st, ++n, t->joined_on, -1);
	db_bind_opt_text(st, ++n, t->confirmed_on);
	db_bind_text(st, ++n, t->id_masked, -1);
	db_bind_opt_text(st, ++n, mobile.masked);
	db_bind_opt_text(st, ++n, t->dues_paid_to);
	db_bind_int(st, ++n, t->outside_city);
	db_bind_int(st, ++n, t->validity_days);
	db_bind_opt_text(st, ++n, t->sent_on);
	db_bind_opt_text(st, ++n, t->valid_until);
	db_bind_opt_text(st, ++n, t->received_on);
	db_bind_opt_text(st, ++n, t->receipt_on);
	db_bind_opt_text(st, ++n, t->sender_address);
	db_bind_opt_text(st, ++n, t->sender_phone);
	db_bind_opt_text(st, ++n, t->reason);
	db_bind_opt_text(st, ++n, t->return_reason);
	db_bind_opt_text(st, ++n, t->prev_state);
	db_bind_int(st, ++n, t->renewals);
	db_bind_int(st, ++n, t->applied_by_member);
	db_bind_int(st, ++n, t->created_at);
	db_bind_int(st, ++n, t->updated_at);
	db_bind_blob(st, ++n, id.cipher, id.len);
	db_bind_blob(st, ++n, id.blind, DJ_BLIND_LEN);
	db_bind_blob(st, ++n, mobile.cipher, mobile.len); /* NULL binds SQL NULL */
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		t->id = db_col_int(st, DB_COL_ONLY);
		rc = DB_OK;
	} else if (rc == DB_DONE) {
		rc = DB_ERROR;
	}
	db_reset(st);
	return rc;
}

/* Reads the current row of a TRANSFER_COLS statement into t. */
static void read_row(struct db_stmt *st, struct arena *a, bool decrypt, struct transfer_rec *t)
{
	memset(t, 0, sizeof *t);
#define T(c) db_col_dup(a, st, c)
	t->id = db_col_int(st, TC_ID);
	t->kind = T(TC_KIND);
	t->state = T(TC_STATE);
	t->open = db_col_int(st, TC_OPEN) != 0;
	t->member_id = db_col_int(st, TC_MEMBER_ID);
	t->from_org_id = db_col_int(st, TC_FROM_ORG_ID);
	t->from_path = T(TC_FROM_PATH);
	t->from_org_name = T(TC_FROM_ORG_NAME);
	t->to_org_id = db_col_int(st, TC_TO_ORG_ID);
	t->to_path = T(TC_TO_PATH);
	t->to_org_name = T(TC_TO_ORG_NAME);
	t->issuer_org_id = db_col_int(st, TC_ISSUER_ORG_ID);
	t->serial = T(TC_SERIAL);
	t->letter_no = T(TC_LETTER_NO);
	t->name = T(TC_NAME);
	t->sex = T(TC_SEX);
	t->birth_date = T(TC_BIRTH_DATE);
	t->ethnicity = T(TC_ETHNICITY);
	t->party_status = T(TC_PARTY_STATUS);
	t->joined_on = T(TC_JOINED_ON);
	t->confirmed_on = T(TC_CONFIRMED_ON);
	t->id_masked = T(TC_ID_MASKED);
	t->mobile_masked = T(TC_MOBILE_MASKED);
	t->dues_paid_to = T(TC_DUES_PAID_TO);
	t->outside_city = db_col_int(st, TC_OUTSIDE_CITY) != 0;
	t->validity_days = db_col_int(st, TC_VALIDITY_DAYS);
	t->sent_on = T(TC_SENT_ON);
	t->valid_until = T(TC_VALID_UNTIL);
	t->received_on = T(TC_RECEIVED_ON);
	t->receipt_on = T(TC_RECEIPT_ON);
	t->sender_address = T(TC_SENDER_ADDRESS);
	t->sender_phone = T(TC_SENDER_PHONE);
	t->reason = T(TC_REASON);
	t->return_reason = T(TC_RETURN_REASON);
	t->prev_state = T(TC_PREV_STATE);
	t->renewals = db_col_int(st, TC_RENEWALS);
	t->applied_by_member = db_col_int(st, TC_APPLIED_BY_MEMBER) != 0;
	t->created_at = db_col_int(st, TC_CREATED_AT);
	t->updated_at = db_col_int(st, TC_UPDATED_AT);
#undef T
	if (decrypt) {
		t->id_number = dj_open(a, db_col_blob(st, TC_ID_CIPHER), db_col_len(st, TC_ID_CIPHER), "transfer.id_number",
				       NULL);
		if (!db_col_null(st, TC_MOBILE_CIPHER))
			t->mobile = dj_open(a, db_col_blob(st, TC_MOBILE_CIPHER), db_col_len(st, TC_MOBILE_CIPHER),
					    "transfer.mobile", NULL);
	}
}

enum db_rc transfer_load(struct db *db, struct arena *a, int64_t id, bool decrypt, struct transfer_rec *t)
{
	struct db_stmt *st = db_prepare(db, &transfer_sql[STMT_TRANSFER_LOAD]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		read_row(st, a, decrypt, t);
		rc = decrypt && !t->id_number ? DB_ERROR : DB_OK;
	} else if (rc == DB_DONE) {
		rc = DB_NOT_FOUND;
	}
	db_reset(st);
	return rc;
}

enum db_rc transfer_save(struct db *db, const struct transfer_rec *t, const char *expected, int64_t now)
{
	struct db_stmt *st = db_prepare(db, &transfer_sql[STMT_TRANSFER_SAVE]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, t->id);
	db_bind_text(st, 2, expected, -1);
	db_bind_text(st, 3, t->state, -1);
	db_bind_int(st, 4, t->open);
	db_bind_opt_text(st, 5, t->serial);
	bind_opt_int(st, 6, t->issuer_org_id);
	db_bind_opt_text(st, 7, t->sent_on);
	db_bind_opt_text(st, 8, t->valid_until);
	db_bind_opt_text(st, 9, t->received_on);
	db_bind_opt_text(st, 10, t->receipt_on);
	db_bind_opt_text(st, 11, t->return_reason);
	db_bind_opt_text(st, 12, t->prev_state);
	db_bind_int(st, 13, t->renewals);
	bind_opt_int(st, 14, t->member_id);
	db_bind_int(st, 15, now);
	db_bind_int(st, 16, t->validity_days);
	enum db_rc rc = db_step(st);
	db_reset(st);
	return rc == DB_ROW ? DB_OK : rc == DB_DONE ? DB_NOT_FOUND : rc;
}

enum db_rc transfer_event(struct db *db, int64_t id, const char *from, const char *to, int64_t actor_id,
			  const char *actor_name, const char *note, int64_t now)
{
	struct db_stmt *st = db_prepare(db, &transfer_sql[STMT_TRANSFER_EVENT_ADD]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, now);
	db_bind_opt_text(st, 3, from);
	db_bind_text(st, 4, to, -1);
	bind_opt_int(st, 5, actor_id);
	db_bind_opt_text(st, 6, actor_name);
	db_bind_opt_text(st, 7, note);
	enum db_rc rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

enum db_rc transfer_events(struct db *db, int64_t id, json_t *items)
{
	struct db_stmt *st = db_prepare(db, &transfer_sql[STMT_TRANSFER_EVENTS]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW) {
		char at[21];
		clock_rfc3339(db_col_int(st, TE_AT), at);
		const char *to = db_col_text(st, TE_TO);
		json_array_append_new(items, json_pack("{s:s, s:o, s:s, s:o, s:o, s:o}", "at", at, "from_state",
						       str_or_null(db_col_text(st, TE_FROM)), "to_state", to,
						       "to_state_name", str_or_null(transfer_state_name(to)), "actor_name",
						       str_or_null(db_col_text(st, TE_ACTOR)), "note",
						       str_or_null(db_col_text(st, TE_NOTE))));
	}
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

enum db_rc transfer_next_serial(struct db *db, struct arena *a, int64_t issuer, int year, const char **serial)
{
	struct db_stmt *st = db_prepare(db, &transfer_sql[STMT_TRANSFER_SERIAL_NEXT]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, issuer);
	db_bind_int(st, 2, year);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		*serial = arena_printf(a, "%04d-%lld-%04lld", year, (long long)issuer, (long long)db_col_int(st, DB_COL_ONLY));
		rc = DB_OK;
	} else if (rc == DB_DONE) {
		rc = DB_ERROR;
	}
	db_reset(st);
	return rc;
}

enum db_rc transfer_by_serial(struct db *db, struct arena *a, const char *serial, struct transfer_rec *t)
{
	struct db_stmt *st = db_prepare(db, &transfer_sql[STMT_TRANSFER_BY_SERIAL]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, serial, -1);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		memset(t, 0, sizeof *t);
		t->state = db_col_dup(a, st, TV_STATE);
		t->valid_until = db_col_dup(a, st, TV_VALID_UNTIL);
		rc = DB_OK;
	} else if (rc == DB_DONE) {
		rc = DB_NOT_FOUND;
	}
	db_reset(st);
	return rc;
}

static enum db_rc one_id(struct db *db, enum transfer_stmt s, const void *blob, int64_t v, int64_t *id)
{
	struct db_stmt *st = db_prepare(db, &transfer_sql[s]);
	if (!st)
		return DB_ERROR;
	if (blob)
		db_bind_blob(st, 1, blob, DJ_BLIND_LEN);
	else
		db_bind_int(st, 1, v);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		*id = db_col_int(st, DB_COL_ONLY);
		rc = DB_OK;
	} else if (rc == DB_DONE) {
		rc = DB_NOT_FOUND;
	}
	db_reset(st);
	return rc;
}

enum db_rc transfer_open_by_blind(struct db *db, const unsigned char *blind, int64_t *id)
{
	return one_id(db, STMT_TRANSFER_OPEN_BY_BLIND, blind, 0, id);
}

enum db_rc transfer_open_of_member(struct db *db, int64_t member_id, int64_t *id)
{
	return one_id(db, STMT_TRANSFER_OPEN_OF_MEMBER, NULL, member_id, id);
}

static void bind_filter(struct db_stmt *st, const struct transfer_filter *f)
{
	db_bind_text(st, 1, f->prefix, -1);
	db_bind_text(st, 2, f->end, -1);
	db_bind_int(st, 3, f->box);
	db_bind_opt_text(st, 4, f->state);
	char today[11], soon[11], month_ago[11];
	date_format(f->today, today);
	date_format(date_from_days(date_to_days(f->today) + 7), soon);
	date_format(date_add_months(f->today, -1), month_ago);
	const char *flag = f->flag ? f->flag : "";
	db_bind_opt_text(st, 5, strcmp(flag, "expired") == 0 ? today : NULL);
	db_bind_opt_text(st, 6, strcmp(flag, "expiring") == 0 ? soon : NULL);
	db_bind_text(st, 7, today, -1);
	db_bind_opt_text(st, 8, strcmp(flag, "receipt_overdue") == 0 ? month_ago : NULL);
	bind_opt_int(st, 9, f->member_id);
}

enum db_rc transfer_page(struct db *db, struct arena *a, const struct transfer_filter *f, struct transfer_rec **rows,
			 size_t *n, int64_t *total)
{
	*n = 0;
	struct db_stmt *st =
		db_prepare(db, &transfer_sql[f->open_only ? STMT_TRANSFER_PAGE_OPEN : STMT_TRANSFER_PAGE]);
	if (!st)
		return DB_ERROR;
	bind_filter(st, f);
	db_bind_int(st, 10, f->before_id);
	db_bind_int(st, 11, f->limit);
	*rows = arena_alloc(a, sizeof **rows * (size_t)(f->limit > 0 ? f->limit : 1));
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW && *n < (size_t)f->limit)
		read_row(st, a, false, &(*rows)[(*n)++]);
	db_reset(st);
	if (rc != DB_DONE && rc != DB_ROW)
		return rc;
	if (!total)
		return DB_OK;
	bool plain_transit = f->open_only && f->box == TRANSFER_BOX_ANY && !f->state && !f->flag && !f->member_id;
	/* the total is kept per (subtree and filter, revision, day when a flag dates it) */
	char key[96];
	int kl = snprintf(key, sizeof key, "%s|%d|%d|%s|%s|%lld", f->prefix, (int)f->box, (int)f->open_only,
			  f->state ? f->state : "", f->flag ? f->flag : "", (long long)f->member_id);
	int64_t day = f->flag ? date_to_days(f->today) : 0, epoch, rev;
	transfer_revision(db, &epoch, &rev);
	if (kl < 0 || kl >= (int)sizeof key)
		rev = -1; /* too long to keep */
	if (rev >= 0 && revcache_get(&total_cache, key, epoch, rev, day, total))
		return DB_OK;
	st = db_prepare(db, &transfer_sql[plain_transit ? STMT_TRANSFER_COUNT_TRANSIT
					  : f->open_only  ? STMT_TRANSFER_COUNT_OPEN
							  : STMT_TRANSFER_COUNT]);
	if (!st)
		return DB_ERROR;
	if (plain_transit) {
		db_bind_text(st, 1, f->prefix, -1);
		db_bind_text(st, 2, f->end, -1);
	} else {
		bind_filter(st, f);
	}
	rc = db_step(st);
	if (rc == DB_ROW) {
		*total = db_col_int(st, DB_COL_ONLY);
		rc = DB_OK;
		if (rev >= 0)
			revcache_put(&total_cache, key, epoch, rev, day, total);
	}
	db_reset(st);
	return rc;
}

enum db_rc transfer_counts(struct db *db, const char *prefix, const char *end, struct date today,
			   struct transfer_counts *c)
{
	memset(c, 0, sizeof *c);
	int64_t epoch, rev, day = date_to_days(today);
	transfer_revision(db, &epoch, &rev);
	if (rev >= 0 && revcache_get(&counts_cache, prefix, epoch, rev, day, c))
		return DB_OK;
	struct db_stmt *st = db_prepare(db, &transfer_sql[STMT_TRANSFER_COUNTS]);
	if (!st)
		return DB_ERROR;
	char t[11], soon[11], ago[11];
	date_format(today, t);
	date_format(date_from_days(date_to_days(today) + 7), soon);
	date_format(date_add_months(today, -1), ago);
	db_bind_text(st, 1, prefix, -1);
	db_bind_text(st, 2, end, -1);
	db_bind_text(st, 3, t, -1);
	db_bind_text(st, 4, soon, -1);
	db_bind_text(st, 5, ago, -1);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		c->outgoing_open = db_col_int(st, TN_OUT_OPEN);
		c->incoming_pending = db_col_int(st, TN_IN_PENDING);
		c->expired = db_col_int(st, TN_EXPIRED);
		c->expiring = db_col_int(st, TN_EXPIRING);
		c->receipt_overdue = db_col_int(st, TN_RECEIPT_OVERDUE);
		c->transit = db_col_int(st, TN_TRANSIT);
		rc = DB_OK;
		if (rev >= 0)
			revcache_put(&counts_cache, prefix, epoch, rev, day, c);
	}
	db_reset(st);
	return rc;
}

enum db_rc transfer_stats(struct db *db, const char *prefix, const char *end, const char *from, const char *to,
			  struct date today, struct transfer_stats *s)
{
	memset(s, 0, sizeof *s);
	struct db_stmt *st = db_prepare(db, &transfer_sql[STMT_TRANSFER_STATS]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, prefix, -1);
	db_bind_text(st, 2, end, -1);
	db_bind_text(st, 3, from, -1);
	db_bind_text(st, 4, to, -1);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		s->in = db_col_int(st, TS_IN);
		s->out = db_col_int(st, TS_OUT);
		s->within = db_col_int(st, TS_WITHIN);
		s->kind_within = db_col_int(st, TS_K_WITHIN);
		s->kind_out = db_col_int(st, TS_K_OUT);
		s->kind_in = db_col_int(st, TS_K_IN);
		rc = DB_OK;
	}
	db_reset(st);
	if (rc != DB_OK)
		return rc;
	struct transfer_counts c;
	rc = transfer_counts(db, prefix, end, today, &c);
	s->open = c.transit;
	s->expired = c.expired;
	return rc;
}

enum db_rc transfer_destinations(struct db *db, struct arena *a, const char *q, int limit, json_t *items)
{
	struct db_stmt *st = db_prepare(db, &transfer_sql[STMT_TRANSFER_DESTINATIONS]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, arena_like_contains(a, q ? q : ""), -1);
	db_bind_int(st, 2, limit);
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW)
		json_array_append_new(items, json_pack("{s:I, s:s, s:o}", "id", (json_int_t)db_col_int(st, TD_ID), "name",
						       db_col_text(st, TD_NAME), "parent_name",
						       str_or_null(db_col_text(st, TD_PARENT))));
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

void transfer_jw(struct jsonw *w, const struct transfer_rec *t, struct date today, bool reveal, bool with_member)
{
	struct transfer_flags f;
	transfer_flags(t, today, &f);
	char pend[11], idm[IDCARD_LEN + 1], mm[12];
	transfer_probation_end(t, pend);
	const char *id = t->id_masked, *mobile = t->mobile_masked;
	if (reveal && t->id_number)
		id = t->id_number, mobile = t->mobile;
	else if (t->id_number) {
		idcard_mask(t->id_number, idm);
		id = idm;
		if (t->mobile) {
			mobile_mask(t->mobile, mm);
			mobile = mm;
		}
	}
	struct date b, on = today;
	if (t->sent_on)
		date_parse(t->sent_on, &on);
	int age = t->birth_date && date_parse(t->birth_date, &b) ? date_years_between(b, on) : 0;
	const char *shown = f.expired ? "expired" : t->state;
	char c[21], u[21];
	clock_rfc3339(t->created_at, c);
	clock_rfc3339(t->updated_at, u);
	jw_object(w);
#define S(k, v) jw_kstr(w, k, v)
#define I(k, v)                                                                                                  \
	do {                                                                                                     \
		jw_key(w, k);                                                                                    \
		if ((v) > 0)                                                                                     \
			jw_int(w, v);                                                                            \
		else                                                                                             \
			jw_null(w);                                                                              \
	} while (0)
#define B(k, v) (jw_key(w, k), jw_bool(w, v))
	jw_kint(w, "id", t->id);
	S("kind", t->kind);
	S("kind_name", transfer_kind_name(t->kind));
	S("state", t->state);
	S("display_state", shown);
	S("state_name", transfer_state_name(shown));
	B("in_transit", t->open);
	if (with_member)
		I("member_id", t->member_id);
	I("from_org_id", t->from_org_id);
	S("from_org_name", t->from_org_name);
	I("to_org_id", t->to_org_id);
	S("to_org_name", t->to_org_name);
	S("serial", t->serial);
	S("letter_no", t->letter_no);
	S("name", t->name);
	S("sex", t->sex);
	jw_kint(w, "age", age);
	S("birth_date", t->birth_date);
	S("ethnicity", t->ethnicity);
	S("party_status", t->party_status);
	S("joined_on", t->joined_on);
	S("confirmed_on", t->confirmed_on);
	S("probation_from", pend[0] ? t->joined_on : NULL);
	S("probation_to", pend[0] ? pend : NULL);
	S("id_number", id);
	S("mobile", mobile);
	S("dues_paid_to", t->dues_paid_to);
	B("outside_city", t->outside_city);
	jw_kint(w, "validity_days", t->validity_days);
	S("sent_on", t->sent_on);
	S("valid_until", t->valid_until);
	S("received_on", t->received_on);
	S("receipt_on", t->receipt_on);
	S("sender_address", t->sender_address);
	S("sender_phone", t->sender_phone);
	S("reason", t->reason);
	S("return_reason", t->return_reason);
	jw_kint(w, "renewals", t->renewals);
	B("applied_by_member", t->applied_by_member);
	B("expired", f.expired);
	B("expiring", f.expiring);
	B("receipt_overdue", f.receipt_overdue);
	jw_kint(w, "arrears_months", f.arrears_months);
	jw_key(w, "warnings");
	jw_array(w);
#define WARN(code, msg) (jw_object(w), jw_kstr(w, "code", code), jw_kstr(w, "message", msg), jw_object_end(w))
	if (f.arrears_months > 0)
		WARN("R-TRF-04", "党费未交清：党费交至月份早于转出当月，请督促补交");
	else if (f.arrears_months < 0)
		WARN("R-TRF-04", "未记录党费交至月份");
	if (f.expired)
		WARN("R-TRF-02", "介绍信已超过有效期，需续期后方可接收");
	if (f.receipt_overdue)
		WARN("R-TRF-05", "接收已超过一个月，回执尚未返回");
	jw_array_end(w);
	S("created_at", c);
	S("updated_at", u);
	jw_object_end(w);
#undef WARN
#undef S
#undef I
#undef B
}

json_t *transfer_json(const struct transfer_rec *t, struct date today, bool reveal, bool with_member)
{
	/* one writer for both: the list pages stream transfer_jw, the rest parse it */
	struct arena *a = arena_new();
	json_t *j = NULL;
	if (a) {
		struct jsonw w;
		jw_init(&w, a, 2048);
		transfer_jw(&w, t, today, reveal, with_member);
		j = json_loadb(w.buf, w.len, 0, NULL);
		arena_free(a);
	}
	return j ? j : json_object();
}
