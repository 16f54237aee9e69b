/* demo_transfers.c: the transfers' part of the demo district (DEMO_STEP, issue 14):
 * transfers in every state of R-TRF-01, within the district, out of it and into it,
 * a few letters about to expire, one expired and one receipt overdue (R-TRF-02/05).
 * The roster keeps its size (no letter out of or into the district is completed), so
 * the demo's member count stays what was asked for;
 * made through the same model functions as the API (transfer_flow.c), so the members
 * in transit show 转出（在途） and the accepted ones have moved. */
#include "core/arena.h"
#include "core/clock.h"
#include "core/idcard.h"
#include "model/demo.h"
#include "model/member.h"
#include "model/org.h"
#include "model/transfer.h"
#include <stdio.h>
#include <string.h>

enum demo_transfers_stmt {
	STMT_DEMO_TRF_BRANCHES,
	STMT_DEMO_TRF_MEMBERS,
	DEMO_TRF_STMT__MAX
};
static const struct db_sql demo_transfers_sql[DEMO_TRF_STMT__MAX] = {
	/* branches that hold members, the last made first (the tests' fixtures take the
	 * first branches and members: these stay out of their way) */
	[STMT_DEMO_TRF_BRANCHES] = {"demo_transfers.branches",
	 "SELECT id FROM orgs WHERE type IN ('党支部', '联合党支部') AND n_members > 3 ORDER BY id DESC LIMIT 64"},
	/* $1 branch: its members on the roster, in normal state, the last made first */
	[STMT_DEMO_TRF_MEMBERS] = {"demo_transfers.members",
	 "SELECT id FROM members WHERE org_id = $1 AND state = 'normal' ORDER BY id DESC LIMIT 8"},
};
DB_SQL_TABLE(demo_transfers, demo_transfers_sql);

static size_t ids(struct db *db, enum demo_transfers_stmt s, int64_t arg, int64_t *out, size_t cap)
{
	struct db_stmt *st = db_prepare(db, &demo_transfers_sql[s]);
	if (!st)
		return 0;
	if (s == STMT_DEMO_TRF_MEMBERS)
		db_bind_int(st, 1, arg);
	size_t n = 0;
	while (n < cap && db_step(st) == DB_ROW)
		out[n++] = db_col_int(st, DB_COL_ONLY);
	db_reset(st);
	return n;
}

/* One demo transfer: kind, the state it is brought to, and how many days ago it was
 * sent (expiring ones: 23–27 days of a 30-day letter; expired: 40). */
struct demo_trf {
	const char *kind, *to_state;
	int sent_days_ago, received_days_ago;
};
static const struct demo_trf plan[] = {
	{"within", "draft", 0, 0},      {"within", "draft", 0, 0},      {"within", "submitted", 0, 0},
	{"within", "submitted", 0, 0},  {"within", "approved", 0, 0},   {"within", "sent", 2, 0},
	{"within", "sent", 5, 0},       {"within", "sent", 24, 0},      {"within", "sent", 27, 0},
	{"within", "sent", 40, 0},      {"within", "received", 6, 3},   {"within", "received", 50, 40},
	{"within", "receipt_returned", 30, 25}, {"within", "receipt_returned", 60, 55}, {"within", "returned", 8, 0},
	{"within", "cancelled", 0, 0},  {"out", "sent", 10, 0},         {"out", "sent", 85, 0},
	{"in", "sent", 3, 0},           {"in", "sent", 20, 0},
};

static enum db_rc make_one(struct db *db, struct arena *a, const struct demo_trf *p, int64_t member_id,
			   int64_t to_org, int n, struct date today, char *why, size_t whylen)
{
	static const struct transfer_actor who = {0, "演示数据"};
	int64_t now = clock_now();
	struct transfer_rec t;
	memset(&t, 0, sizeof t);
	t.kind = p->kind;
	t.state = "draft";
	t.open = true;
	t.reason = strcmp(p->kind, "in") == 0 ? "外省市转入" : "工作单位变动";
	struct org_rec dest;
	enum db_rc rc = org_get(db, a, to_org, &dest);
	if (rc != DB_OK)
		return rc;
	if (strcmp(p->kind, "in") == 0) {
		char id[IDCARD_LEN + 1];
		idcard_make("330106", (struct date){1980 + n % 15, 1 + n % 12, 1 + n % 27}, 700 + n, id);
		t.from_org_name = "中共杭州市西湖区委组织部";
		t.letter_no = arena_printf(a, "西组转〔%d〕%d号", today.y, 10 + n);
		struct idcard ic;
		if (idcard_parse(id, today, &ic) != IDCARD_OK)
			return DB_ERROR;
		t.name = ic.sex == 2 ? "周晓梅" : "钱立新";
		t.sex = ic.sex == 2 ? "2" : "1";
		char b[11];
		date_format(ic.birth, b);
		t.birth_date = arena_strdup(a, b);
		t.id_number = arena_strdup(a, id);
		t.ethnicity = "01";
		t.party_status = "formal";
		t.joined_on = "2008-07-01";
		t.confirmed_on = "2009-07-01";
		t.dues_paid_to = arena_printf(a, "%04d-%02d", today.y, today.m);
		t.to_org_id = dest.id;
		t.to_path = dest.path;
		t.to_org_name = dest.name;
		t.state = "sent";
		t.validity_days = 90;
		char d[11];
		date_format(date_from_days(date_to_days(today) - p->sent_days_ago), d);
		t.sent_on = arena_strdup(a, d);
		date_format(date_from_days(date_to_days(today) - p->sent_days_ago + 90), d);
		t.valid_until = arena_strdup(a, d);
	} else {
		struct member_rec m;
		const char *org_name;
		struct org_rec from;
		if ((rc = member_load(db, a, member_id, true, &m, &org_name)) != DB_OK ||
		    (rc = org_get(db, a, m.org_id, &from)) != DB_OK)
			return rc;
		t.member_id = m.id;
		t.from_org_id = from.id;
		t.from_path = from.path;
		t.from_org_name = from.name;
		t.name = m.name;
		t.sex = m.sex;
		t.birth_date = m.birth_date;
		t.ethnicity = m.ethnicity;
		t.party_status = m.party_status;
		t.joined_on = m.joined_on;
		t.confirmed_on = m.confirmed_on;
		t.id_number = m.id_number;
		t.mobile = m.mobile;
		t.dues_paid_to = m.dues_paid_to;
		t.sender_address = from.address;
		t.sender_phone = from.phone;
		if (strcmp(p->kind, "within") == 0) {
			t.to_org_id = dest.id;
			t.to_path = dest.path;
			t.to_org_name = dest.name;
		} else {
			t.to_org_name = "中共北京市海淀区某街道工作委员会";
			t.outside_city = true;
		}
		t.validity_days = transfer_validity_days(t.outside_city);
		t.applied_by_member = n == 1;
	}
	t.created_at = t.updated_at = now;
	if ((rc = transfer_insert(db, a, &t)) != DB_OK ||
	    (rc = transfer_event(db, t.id, NULL, t.state, 0, who.name, NULL, now)) != DB_OK)
		goto fail;
	struct date sent_day = date_from_days(date_to_days(today) - p->sent_days_ago);
	struct date recv_day = date_from_days(date_to_days(today) - p->received_days_ago);
	const char *target = p->to_state;
	if (strcmp(t.kind, "in") != 0 && strcmp(target, "draft") != 0) {
		if (strcmp(target, "cancelled") == 0) {
			rc = transfer_close(db, a, &t, "cancelled", "党员暂缓转出", &who, today, now);
			goto done;
		}
		if ((rc = transfer_submit(db, a, &t, &who, sent_day, now)) != DB_OK || strcmp(target, "submitted") == 0)
			goto done;
		if ((rc = transfer_approve(db, a, &t, &who, sent_day, now)) != DB_OK || strcmp(target, "approved") == 0)
			goto done;
		if ((rc = transfer_send(db, a, &t, &who, sent_day, now)) != DB_OK || strcmp(target, "sent") == 0)
			goto done;
		if (strcmp(target, "returned") == 0) {
			rc = transfer_close(db, a, &t, "returned", "接收党组织名称有误，请核实后重新开具", &who, today, now);
			goto done;
		}
	}
	if (strcmp(target, "received") == 0 || strcmp(target, "receipt_returned") == 0) {
		if ((rc = transfer_accept(db, a, &t, &who, recv_day, now)) != DB_OK)
			goto done;
		if (strcmp(target, "receipt_returned") == 0)
			rc = transfer_receipt(db, a, &t, &who, recv_day, now);
	}
done:
	if (rc == DB_OK)
		return DB_OK;
fail:
	snprintf(why, whylen, "demo transfers: %s transfer to %s failed (%d)", p->kind, p->to_state, (int)rc);
	return rc;
}

static enum db_rc demo_transfers(struct db *db, const struct demo_spec *spec, char *why, size_t whylen)
{
	(void)spec;
	int64_t branches[64];
	size_t nb = ids(db, STMT_DEMO_TRF_BRANCHES, 0, branches, 64);
	if (nb < 2)
		return DB_OK; /* a district too small for transfers */
	char today_s[11];
	clock_today(today_s);
	struct date today;
	date_parse(today_s, &today);
	struct arena *a = arena_new();
	enum db_rc rc = DB_OK;
	size_t used = 0; /* members taken so far, round-robin over the branches */
	for (size_t i = 0; rc == DB_OK && i < sizeof plan / sizeof plan[0]; i++) {
		int64_t from = branches[i % nb];
		int64_t to = branches[(i + nb / 2 + 1) % nb];
		if (to == from)
			to = branches[(i + 1) % nb];
		int64_t member = 0;
		if (strcmp(plan[i].kind, "in") != 0) {
			int64_t ms[8];
			size_t nm = ids(db, STMT_DEMO_TRF_MEMBERS, from, ms, 8);
			if (nm == 0)
				continue;
			member = ms[(used++) % nm];
			int64_t open;
			if (transfer_open_of_member(db, member, &open) == DB_OK)
				continue; /* in transit already */
		}
		rc = make_one(db, a, &plan[i], member, to, (int)i, today, why, whylen);
	}
	arena_free(a);
	return rc;
}
DEMO_STEP(transfers, demo_transfers);
