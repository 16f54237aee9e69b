/* ind_messages.c: the messages' figure of the yearly report (issue 16 → issue 19):
 * "推送政治生日短信 X 条", the political-birthday greetings actually sent by SMS in the
 * period (state sent, the day they went out), in the recipients' subtrees. */
#include "model/indicators.h"
#include <stdio.h>

enum ind_msg_stmt { STMT_IND_BDAY_N, STMT_IND_BDAY_ROWS, IND_MSG_STMT__MAX };
enum ind_msg_col { IMC_ID, IMC_NAME, IMC_DAY, IMC_ORG };

#define BDAY_WHERE                                                                                                  \
	" WHERE o.kind = 'birthday' AND o.channel = 'sms' AND o.state = 'sent' AND o.org_path >= $1"               \
	" AND o.org_path < $2 AND o.done_day >= $3 AND o.done_day <= $4"

static const struct db_sql ind_msg_sql[IND_MSG_STMT__MAX] = {
	[STMT_IND_BDAY_N] = {"ind.birthday_sent", "SELECT COUNT(*) FROM outbox o" BDAY_WHERE},
	[STMT_IND_BDAY_ROWS] = {"ind.birthday_rows",
	 "SELECT o.id, COALESCE(m.name, ''), o.done_day, COALESCE(g.name, '') FROM outbox o"
	 " LEFT JOIN members m ON m.id = o.member_id LEFT JOIN orgs g ON g.id = m.org_id" BDAY_WHERE
	 " AND o.id > $5 ORDER BY o.id LIMIT $6"},
};
DB_SQL_TABLE(ind_messages, ind_msg_sql);

static void bind_scope(struct db_stmt *st, const struct ind_scope *s, size_t i, char from[11], char to[11])
{
	date_format(s->from, from);
	date_format(s->to, to);
	db_bind_text(st, 1, s->prefix[i], -1);
	db_bind_text(st, 2, s->end[i], -1);
	db_bind_text(st, 3, from, -1);
	db_bind_text(st, 4, to, -1);
}

static enum db_rc bday_n(struct db *db, const struct ind_scope *s, struct ind_value *out)
{
	out->num = out->den = 0;
	for (size_t i = 0; i < s->n; i++) {
		struct db_stmt *st = db_prepare(db, &ind_msg_sql[STMT_IND_BDAY_N]);
		if (!st)
			return DB_ERROR;
		char from[11], to[11];
		bind_scope(st, s, i, from, to);
		enum db_rc rc = db_step(st);
		if (rc == DB_ROW)
			out->num += db_col_int(st, DB_COL_ONLY);
		db_reset(st);
		if (rc != DB_ROW)
			return rc;
	}
	return DB_OK;
}

static enum db_rc bday_rows(struct db *db, const struct ind_scope *s, int64_t after, int limit, ind_emit_fn emit,
			    void *ctx)
{
	int left = limit;
	for (size_t i = 0; i < s->n && left > 0; i++) {
		struct db_stmt *st = db_prepare(db, &ind_msg_sql[STMT_IND_BDAY_ROWS]);
		if (!st)
			return DB_ERROR;
		char from[11], to[11];
		bind_scope(st, s, i, from, to);
		db_bind_int(st, 5, after);
		db_bind_int(st, 6, left);
		enum db_rc rc;
		while ((rc = db_step(st)) == DB_ROW) {
			char label[160];
			snprintf(label, sizeof label, "%s · 政治生日短信", db_col_text(st, IMC_NAME));
			struct ind_row r = {db_col_int(st, IMC_ID), label, db_col_text(st, IMC_DAY), db_col_text(st, IMC_ORG)};
			emit(ctx, &r);
			left--;
		}
		db_reset(st);
		if (rc != DB_DONE)
			return rc;
	}
	return DB_OK;
}

static const struct indicator messages_indicators[] = {
	{"messages.birthday_sent", "推送政治生日短信", "条", "消息推送",
	 "期间内实际发出（服务商受理成功）的政治生日祝福短信条数，按收件党员所在组织统计", false, bday_n, bday_rows,
	 true},
};
INDICATOR_TABLE(messages);
