/* ind_messages.c: the messages' figure of the yearly report (issue 16 → issue 19):
 * "推送政治生日短信 X 条", the political-birthday greetings actually sent by SMS in the
 * period (state sent, the day they went out), in the recipients' subtrees. */
#include "model/indicators.h"
#include <stdio.h>

enum ind_msg_stmt { STMT_IND_BDAY_N, STMT_IND_BDAY_ROWS, IND_MSG_STMT__MAX };
enum ind_msg_col { IMC_ID, IMC_NAME, IMC_DAY, IMC_ORG };

/* channel <> 'inapp' (implied by 'sms') lets SQLite read outbox_kind, which holds no in-app row (0129) */
#define BDAY_WHERE                                                                                                  \
	" WHERE o.kind = 'birthday' AND o.channel = 'sms' AND o.channel <> 'inapp' AND o.state = 'sent'"            \
	" AND o.org_path >= $1"                                                                                     \
	" AND o.org_path < $2 AND o.done_day >= $3 AND o.done_day <= $4"

static const struct db_sql ind_msg_sql[IND_MSG_STMT__MAX] = {
	[STMT_IND_BDAY_N] = {"ind.birthday_sent", "SELECT COUNT(*) FROM outbox o" BDAY_WHERE},
	[STMT_IND_BDAY_ROWS] = {"ind.birthday_rows",
	 "SELECT o.id, COALESCE(m.name, ''), o.done_day, COALESCE(g.name, '') FROM outbox o"
	 " LEFT JOIN members m ON m.id = o.member_id LEFT JOIN orgs g ON g.id = m.org_id" BDAY_WHERE
	 " AND o.id > $5 ORDER BY o.id LIMIT $6"},
};
DB_SQL_TABLE(ind_messages, ind_msg_sql);

static const struct ind_param period[] = {IND_P_DATES};

static enum db_rc bday_n(struct db *db, const struct ind_scope *s, struct ind_value *out)
{
	out->den = 0;
	return ind_count_stmt(db, s, &ind_msg_sql[STMT_IND_BDAY_N], period, 2, DB_COL_ONLY, &out->num);
}

static void bday_row(struct db_stmt *st, const struct ind_scope *s, const void *arg, ind_emit_fn emit, void *ctx)
{
	(void)s, (void)arg;
	char label[160];
	snprintf(label, sizeof label, "%s · 政治生日短信", db_col_text(st, IMC_NAME));
	struct ind_row r = {db_col_int(st, IMC_ID), label, db_col_text(st, IMC_DAY), db_col_text(st, IMC_ORG)};
	emit(ctx, &r);
}

static enum db_rc bday_rows(struct db *db, const struct ind_scope *s, int64_t after, int limit, ind_emit_fn emit,
			    void *ctx)
{
	return ind_rows_stmt(db, s, &ind_msg_sql[STMT_IND_BDAY_ROWS], period, 2, after, limit, bday_row, NULL, emit,
			     ctx);
}

static const struct indicator messages_indicators[] = {
	{"messages.birthday_sent", "推送政治生日短信", "条", "消息推送",
	 "期间内实际发出（服务商受理成功）的政治生日祝福短信条数，按收件党员所在组织统计", false, bday_n, bday_rows,
	 true},
};
INDICATOR_TABLE(messages);
