/* org.c: SQL and functions of the organization tree (see org.h). Identity's 0010
 * creates the minimal orgs table; 0020_roster adds the rest of the record. */
#include "model/org.h"
#include "core/arena.h"
#include "model/codes.h"
#include <stdio.h>
#include <string.h>

enum org_stmt {
	STMT_ORG_INSERT,
	STMT_ORG_MAX_ID,
	STMT_ORG_PATH,
	STMT_ORG_GET,
	STMT_ORG_COMMITTEE_ADD,
	ORG_STMT__MAX
};
/* org.get's rows */
enum org_col {
	ORG_COL_ID,
	ORG_COL_PARENT_ID,
	ORG_COL_PATH,
	ORG_COL_NAME,
	ORG_COL_SHORT_NAME,
	ORG_COL_CODE,
	ORG_COL_TYPE,
	ORG_COL_LABEL,
	ORG_COL_DOMAIN,
	ORG_COL_TWO_NEW,
	ORG_COL_UNIT_NAME,
	ORG_COL_UNIT_NATURE,
	ORG_COL_CREDIT_CODE,
	ORG_COL_SECRETARY,
	ORG_COL_CONTACT,
	ORG_COL_PHONE,
	ORG_COL_ADDRESS,
	ORG_COL_GRID_ID,
	ORG_COL_FOUNDED_ON,
	ORG_COL_TERM_STARTED_ON,
	ORG_COL_TERM_YEARS,
	ORG_COL_EXTENDED_UNTIL,
	ORG_COL_EXTENSION_REASON,
	ORG_COL_CREATED_AT,
	ORG_COL_UPDATED_AT,
};

static const struct db_sql org_sql[ORG_STMT__MAX] = {
	/* $1 … $23 the record's columns in the order of the column list; $24 the time stamp
	 * (created_at and updated_at) */
	[STMT_ORG_INSERT] = {"org.insert",
	 "INSERT INTO orgs (id, parent_id, path, name, short_name, code, type, label, domain, two_new, unit_name,"
	 " unit_nature, credit_code, secretary, contact, phone, address, grid_id, founded_on, term_started_on,"
	 " term_years, extended_until, extension_reason, created_at, updated_at)"
	 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,"
	 " $21, $22, $23, $24, $24)"},
	[STMT_ORG_MAX_ID] = {"org.max_id", "SELECT COALESCE(MAX(id), 0) FROM orgs"},
	[STMT_ORG_PATH] = {"org.path", "SELECT path FROM orgs WHERE id = $1"},
	[STMT_ORG_GET] = {"org.get",
	 "SELECT id, COALESCE(parent_id, 0), path, name, short_name, code, type, label, domain, two_new, unit_name,"
	 " unit_nature, credit_code, secretary, contact, phone, address, COALESCE(grid_id, 0), founded_on,"
	 " term_started_on, COALESCE(term_years, 0), extended_until, extension_reason, created_at, updated_at"
	 " FROM orgs WHERE id = $1"},
	[STMT_ORG_COMMITTEE_ADD] = {"org.committee_add", "INSERT INTO org_committee (org_id, name, role, started_on) VALUES ($1, $2, $3, $4)"},
};
DB_SQL_TABLE(org, org_sql);

int org_default_term_years(const char *type, const char *domain)
{
	if (domain && (strcmp(domain, "社区") == 0 || strcmp(domain, "农村") == 0))
		return 5;
	if (type && (strcmp(type, "党委") == 0 || strcmp(type, "党工委") == 0))
		return 5;
	return 3;
}

bool org_term_end(const struct org_rec *o, char buf[11])
{
	struct date d;
	if (o->extended_until && date_parse(o->extended_until, &d)) {
		date_format(d, buf);
		return true;
	}
	if (!o->term_started_on || !date_parse(o->term_started_on, &d))
		return false;
	int years = o->term_years > 0 ? o->term_years : org_default_term_years(o->type, o->domain);
	date_format(date_add_years(d, years), buf);
	return true;
}

int64_t org_max_id(struct db *db)
{
	struct db_stmt *st = db_prepare(db, &org_sql[STMT_ORG_MAX_ID]);
	if (!st || db_step(st) != DB_ROW)
		return -1;
	int64_t v = db_col_int(st, DB_COL_ONLY);
	db_reset(st);
	return v;
}

enum db_rc org_insert(struct db *db, struct arena *a, struct org_rec *o)
{
	const char *parent_path = "/";
	if (o->parent_id > 0) {
		struct db_stmt *p = db_prepare(db, &org_sql[STMT_ORG_PATH]);
		if (!p)
			return DB_ERROR;
		db_bind_int(p, 1, o->parent_id);
		enum db_rc rc = db_step(p);
		if (rc != DB_ROW) {
			db_reset(p);
			return rc == DB_DONE ? DB_CONSTRAINT : rc;
		}
		parent_path = arena_strdup(a, db_col_text(p, DB_COL_ONLY));
		db_reset(p);
	}
	if (o->id <= 0) {
		int64_t max = org_max_id(db);
		if (max < 0)
			return DB_ERROR;
		o->id = max + 1;
	}
	o->path = arena_printf(a, "%s%lld/", parent_path, (long long)o->id);
	o->two_new = codes_two_new_domain(o->domain);
	struct db_stmt *st = db_prepare(db, &org_sql[STMT_ORG_INSERT]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, o->id);
	if (o->parent_id > 0)
		db_bind_int(st, 2, o->parent_id);
	else
		db_bind_null(st, 2);
	db_bind_text(st, 3, o->path, -1);
	db_bind_text(st, 4, o->name, -1);
	db_bind_opt_text(st, 5, o->short_name);
	db_bind_opt_text(st, 6, o->code);
	db_bind_text(st, 7, o->type, -1);
	db_bind_opt_text(st, 8, o->label);
	db_bind_text(st, 9, o->domain, -1);
	db_bind_int(st, 10, o->two_new);
	db_bind_opt_text(st, 11, o->unit_name);
	db_bind_opt_text(st, 12, o->unit_nature);
	db_bind_opt_text(st, 13, o->credit_code);
	db_bind_opt_text(st, 14, o->secretary);
	db_bind_opt_text(st, 15, o->contact);
	db_bind_opt_text(st, 16, o->phone);
	db_bind_opt_text(st, 17, o->address);
	if (o->grid_id > 0)
		db_bind_int(st, 18, o->grid_id);
	else
		db_bind_null(st, 18);
	db_bind_opt_text(st, 19, o->founded_on);
	db_bind_opt_text(st, 20, o->term_started_on);
	if (o->term_years > 0)
		db_bind_int(st, 21, o->term_years);
	else
		db_bind_null(st, 21);
	db_bind_opt_text(st, 22, o->extended_until);
	db_bind_opt_text(st, 23, o->extension_reason);
	db_bind_int(st, 24, o->created_at);
	enum db_rc rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

enum db_rc org_path_get(struct db *db, struct arena *a, int64_t id, const char **path)
{
	struct db_stmt *st = db_prepare(db, &org_sql[STMT_ORG_PATH]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW)
		*path = db_col_dup(a, st, DB_COL_ONLY);
	db_reset(st);
	return rc == DB_ROW ? DB_OK : rc == DB_DONE ? DB_NOT_FOUND : rc;
}

enum db_rc org_get(struct db *db, struct arena *a, int64_t id, struct org_rec *o)
{
	struct db_stmt *st = db_prepare(db, &org_sql[STMT_ORG_GET]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	enum db_rc rc = db_step(st);
	if (rc != DB_ROW) {
		db_reset(st);
		return rc == DB_DONE ? DB_NOT_FOUND : rc;
	}
	memset(o, 0, sizeof *o);
	o->id = db_col_int(st, ORG_COL_ID);
	o->parent_id = db_col_int(st, ORG_COL_PARENT_ID);
	o->path = db_col_dup(a, st, ORG_COL_PATH);
	o->name = db_col_dup(a, st, ORG_COL_NAME);
	o->short_name = db_col_dup(a, st, ORG_COL_SHORT_NAME);
	o->code = db_col_dup(a, st, ORG_COL_CODE);
	o->type = db_col_dup(a, st, ORG_COL_TYPE);
	o->label = db_col_dup(a, st, ORG_COL_LABEL);
	o->domain = db_col_dup(a, st, ORG_COL_DOMAIN);
	o->two_new = db_col_int(st, ORG_COL_TWO_NEW) != 0;
	o->unit_name = db_col_dup(a, st, ORG_COL_UNIT_NAME);
	o->unit_nature = db_col_dup(a, st, ORG_COL_UNIT_NATURE);
	o->credit_code = db_col_dup(a, st, ORG_COL_CREDIT_CODE);
	o->secretary = db_col_dup(a, st, ORG_COL_SECRETARY);
	o->contact = db_col_dup(a, st, ORG_COL_CONTACT);
	o->phone = db_col_dup(a, st, ORG_COL_PHONE);
	o->address = db_col_dup(a, st, ORG_COL_ADDRESS);
	o->grid_id = db_col_int(st, ORG_COL_GRID_ID);
	o->founded_on = db_col_dup(a, st, ORG_COL_FOUNDED_ON);
	o->term_started_on = db_col_dup(a, st, ORG_COL_TERM_STARTED_ON);
	o->term_years = (int)db_col_int(st, ORG_COL_TERM_YEARS);
	o->extended_until = db_col_dup(a, st, ORG_COL_EXTENDED_UNTIL);
	o->extension_reason = db_col_dup(a, st, ORG_COL_EXTENSION_REASON);
	o->created_at = db_col_int(st, ORG_COL_CREATED_AT);
	o->updated_at = db_col_int(st, ORG_COL_UPDATED_AT);
	db_reset(st);
	return DB_OK;
}

enum db_rc org_committee_add(struct db *db, int64_t org_id, const char *name, const char *role, const char *started_on)
{
	struct db_stmt *st = db_prepare(db, &org_sql[STMT_ORG_COMMITTEE_ADD]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, org_id);
	db_bind_text(st, 2, name, -1);
	db_bind_text(st, 3, role, -1);
	db_bind_opt_text(st, 4, started_on);
	enum db_rc rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

bool org_is_branch(const char *type)
{
	return type && (strcmp(type, "党支部") == 0 || strcmp(type, "联合党支部") == 0);
}

const char *org_alert_code_name(enum org_alert_code c)
{
	static const char *const names[] = {"term_due",	       "term_overdue",	     "committee_required",
					    "too_few_members", "extension_too_long", "joint_too_few"};
	return c < ORG_ALERT__MAX ? names[c] : "unknown";
}

const char *org_alert_message(enum org_alert_code c)
{
	static const char *const msgs[] = {
		"本届任期将在6个月内届满，请做好换届准备",
		"任期已届满且未批准延期，请及时换届",
		"正式党员7人以上的党支部应设立支部委员会（3至7人）",
		"正式党员不足3人，应与其他单位成立联合党支部",
		"延期换届超过1年",
		"联合党支部正式党员不足3人，请补充党员或调整组建",
	};
	return c < ORG_ALERT__MAX ? msgs[c] : "";
}

int org_alerts(const struct org_rec *o, int64_t formal_count, int committee_size, struct date today,
	       struct org_alert *out, int max)
{
	int n = 0;
#define ADD(c, lvl, due)                                                   \
	do {                                                               \
		if (n < max) {                                             \
			out[n].code = (c);                                 \
			out[n].level = (lvl);                              \
			snprintf(out[n].due_on, sizeof out[n].due_on, "%s", (due)); \
			n++;                                               \
		}                                                          \
	} while (0)
	bool group = o->type && strcmp(o->type, "党小组") == 0;
	char end[11];
	if (!group && org_term_end(o, end)) {
		struct date e;
		date_parse(end, &e);
		if (o->extended_until && o->term_started_on) {
			/* R-ORG-03: an extension moves the regular end by at most a year */
			struct org_rec plain = *o;
			plain.extended_until = NULL;
			char regular[11];
			struct date r;
			if (org_term_end(&plain, regular) && date_parse(regular, &r) &&
			    date_cmp(e, date_add_years(r, 1)) > 0)
				ADD(ORG_ALERT_EXTENSION_TOO_LONG, "error", end);
		}
		if (date_cmp(today, e) >= 0)
			ADD(ORG_ALERT_TERM_OVERDUE, "error", end);
		else if (date_cmp(date_add_months(today, 6), e) >= 0)
			ADD(ORG_ALERT_TERM_DUE, "warning", end);
	}
	if (org_is_branch(o->type)) {
		if (formal_count >= 7 && (committee_size < 3 || committee_size > 7))
			ADD(ORG_ALERT_COMMITTEE_REQUIRED, "warning", "");
		/* a 联合党支部 is already the answer to too few members: not told to form one */
		if (formal_count < 3)
			ADD(strcmp(o->type, "联合党支部") == 0 ? ORG_ALERT_JOINT_TOO_FEW : ORG_ALERT_TOO_FEW_MEMBERS, "warning",
			    "");
	}
#undef ADD
	return n;
}
