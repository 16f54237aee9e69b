/* audit.c: the append-only, hash-chained audit log; see audit.h. Each row's mac is
 * dj_chain_mac(previous mac, canonical encoding of the row including its id); the
 * first row chains from 32 zero bytes. audit_head keeps a keyed MAC of the last row
 * so that truncation is detected as well as change, insertion, deletion and reorder.
 * Also the reading side: verification (dangjian audit verify, GET /audit/verify) and
 * the GET /audit listing with its action catalogue. */
#include "model/audit.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/log.h"
#include "db/db.h"
#include <assert.h>
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* the columns of a row as the chain covers them, in the order of enum audit_col */
#define AUDIT_ROW_COLS \
	"id, at, actor_id, actor_name, role, org_id, ip, action, object_type, object_id, outcome, summary"
/* the listing's filter: $1 actor id, $2 action, $3 object type, $4 object id, $5 from and
 * $6 to (instants, inclusive); a NULL leaves that condition out */
#define AUDIT_FILTER                                                                                            \
	"(CAST($1 AS BIGINT) IS NULL OR actor_id = $1) AND (CAST($2 AS TEXT) IS NULL OR action = $2) AND (CAST($3 AS TEXT) IS NULL OR object_type = $3) AND " \
	"(CAST($4 AS BIGINT) IS NULL OR object_id = $4) AND (CAST($5 AS BIGINT) IS NULL OR at >= $5) AND (CAST($6 AS BIGINT) IS NULL OR at <= $6)"

enum audit_stmt {
	STMT_AUDIT_LAST,
	STMT_AUDIT_INSERT,
	STMT_AUDIT_HEAD_SET,
	STMT_AUDIT_ALL,
	STMT_AUDIT_HEAD,
	STMT_AUDIT_LIST,
	STMT_AUDIT_COUNT,
	AUDIT_STMT__MAX
};
/* the row of audit.last */
enum audit_last_col { AUDIT_LAST_COL_ID, AUDIT_LAST_COL_MAC };
/* the rows of audit.all (AUDIT_ROW_COLS, then the mac) and of audit.list (AUDIT_ROW_COLS) */
enum audit_col {
	AUDIT_COL_ID,
	AUDIT_COL_AT,
	AUDIT_COL_ACTOR_ID,
	AUDIT_COL_ACTOR_NAME,
	AUDIT_COL_ROLE,
	AUDIT_COL_ORG_ID,
	AUDIT_COL_IP,
	AUDIT_COL_ACTION,
	AUDIT_COL_OBJECT_TYPE,
	AUDIT_COL_OBJECT_ID,
	AUDIT_COL_OUTCOME,
	AUDIT_COL_SUMMARY,
	AUDIT_COL_MAC, /* audit.all only */
};
/* the row of audit.head */
enum audit_head_col { AUDIT_HEAD_COL_LAST_ID, AUDIT_HEAD_COL_MAC };
/* audit.count answers one value: DB_COL_ONLY */

static const struct db_sql audit_sql[AUDIT_STMT__MAX] = {
	[STMT_AUDIT_LAST] = {"audit.last", "SELECT id, mac FROM audit_log ORDER BY id DESC LIMIT 1"},
	/* $1 … $12 the columns of AUDIT_ROW_COLS in their order, $13 the row's mac */
	[STMT_AUDIT_INSERT] = {"audit.insert",
	 "INSERT INTO audit_log (" AUDIT_ROW_COLS ", mac) "
	 "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"},
	/* $1 the last row's id, $2 the head mac (head_mac) */
	[STMT_AUDIT_HEAD_SET] = {"audit.head_set",
	 "INSERT INTO audit_head (one, last_id, head_mac) VALUES (1, $1, $2) "
	 "ON CONFLICT (one) DO UPDATE SET last_id = excluded.last_id, head_mac = excluded.head_mac"},
	[STMT_AUDIT_ALL] = {"audit.all", "SELECT " AUDIT_ROW_COLS ", mac FROM audit_log ORDER BY id"},
	[STMT_AUDIT_HEAD] = {"audit.head", "SELECT last_id, head_mac FROM audit_head WHERE one = 1"},
	/* $1 … $6 AUDIT_FILTER's, $7 the page ends before this id, $8 the page's size */
	[STMT_AUDIT_LIST] = {"audit.list",
	 "SELECT " AUDIT_ROW_COLS " FROM audit_log WHERE " AUDIT_FILTER " AND id < $7 ORDER BY id DESC LIMIT $8"},
	[STMT_AUDIT_COUNT] = {"audit.count", "SELECT COUNT(*) FROM audit_log WHERE " AUDIT_FILTER},
};
DB_SQL_TABLE(audit, audit_sql);

/* The canonical bytes of a row: per field a tag ('N' null, 'I' 8-byte big-endian
 * integer, 'T' 4-byte big-endian length and the bytes). */
struct canon {
	unsigned char *p;
	size_t len, cap;
	bool oom;
};

static void canon_put(struct canon *c, const void *p, size_t n)
{
	if (c->oom)
		return;
	if (c->len + n > c->cap) {
		size_t cap = (c->cap ? c->cap * 2 : 512) + n;
		unsigned char *np = realloc(c->p, cap);
		if (!np) {
			c->oom = true;
			return;
		}
		c->p = np;
		c->cap = cap;
	}
	memcpy(c->p + c->len, p, n);
	c->len += n;
}

static void canon_int(struct canon *c, bool null, int64_t v)
{
	unsigned char b[9];
	b[0] = null ? 'N' : 'I';
	if (null) {
		canon_put(c, b, 1);
		return;
	}
	uint64_t u = (uint64_t)v;
	for (int i = 0; i < 8; i++)
		b[1 + i] = (unsigned char)(u >> (56 - 8 * i));
	canon_put(c, b, 9);
}

static void canon_text(struct canon *c, const char *s)
{
	if (!s) {
		canon_put(c, "N", 1);
		return;
	}
	size_t n = strlen(s);
	unsigned char b[5] = {'T', (unsigned char)(n >> 24), (unsigned char)(n >> 16), (unsigned char)(n >> 8),
			      (unsigned char)n};
	canon_put(c, b, 5);
	canon_put(c, s, n);
}

struct audit_row {
	int64_t id, at;
	bool actor_null;
	int64_t actor_id;
	const char *actor_name, *role;
	bool org_null;
	int64_t org_id;
	const char *ip, *action, *object_type;
	bool object_null;
	int64_t object_id;
	const char *outcome, *summary;
};

static int row_mac(const unsigned char prev[DJ_MAC_LEN], const struct audit_row *r, unsigned char out[DJ_MAC_LEN])
{
	struct canon c = {0};
	canon_int(&c, false, r->id);
	canon_int(&c, false, r->at);
	canon_int(&c, r->actor_null, r->actor_id);
	canon_text(&c, r->actor_name);
	canon_text(&c, r->role);
	canon_int(&c, r->org_null, r->org_id);
	canon_text(&c, r->ip);
	canon_text(&c, r->action);
	canon_text(&c, r->object_type);
	canon_int(&c, r->object_null, r->object_id);
	canon_text(&c, r->outcome);
	canon_text(&c, r->summary);
	if (c.oom) {
		free(c.p);
		return -1;
	}
	dj_chain_mac(prev, c.p, c.len, out);
	free(c.p);
	return 0;
}

/* The keyed MAC audit_head stores for the last row (domain-separated from row macs,
 * whose encoding starts with 'I'). -1 when out of memory. */
static int head_mac(const unsigned char last[DJ_MAC_LEN], int64_t last_id, unsigned char out[DJ_MAC_LEN])
{
	struct canon c = {0};
	canon_put(&c, "audit-head", 10);
	canon_int(&c, false, last_id);
	if (c.oom) {
		free(c.p);
		return -1;
	}
	dj_chain_mac(last, c.p, c.len, out);
	free(c.p);
	return 0;
}

static enum db_rc write_row(struct db *db, struct audit_row *r)
{
	unsigned char prev[DJ_MAC_LEN] = {0}, mac[DJ_MAC_LEN], head[DJ_MAC_LEN];
	struct db_stmt *st = db_prepare(db, &audit_sql[STMT_AUDIT_LAST]);
	if (!st)
		return DB_ERROR;
	int rc = db_step(st);
	r->id = 1;
	if (rc == DB_ROW) {
		r->id = db_col_int(st, AUDIT_LAST_COL_ID) + 1;
		if (db_col_len(st, AUDIT_LAST_COL_MAC) == DJ_MAC_LEN)
			memcpy(prev, db_col_blob(st, AUDIT_LAST_COL_MAC), DJ_MAC_LEN);
		db_reset(st);
	} else if (rc != DB_DONE) {
		return rc;
	}
	if (row_mac(prev, r, mac) != 0)
		return DB_ERROR;
	st = db_prepare(db, &audit_sql[STMT_AUDIT_INSERT]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, r->id);
	db_bind_int(st, 2, r->at);
	if (r->actor_null)
		db_bind_null(st, 3);
	else
		db_bind_int(st, 3, r->actor_id);
	db_bind_text(st, 4, r->actor_name, -1);
	db_bind_text(st, 5, r->role, -1);
	if (r->org_null)
		db_bind_null(st, 6);
	else
		db_bind_int(st, 6, r->org_id);
	db_bind_text(st, 7, r->ip, -1);
	db_bind_text(st, 8, r->action, -1);
	db_bind_text(st, 9, r->object_type, -1);
	if (r->object_null)
		db_bind_null(st, 10);
	else
		db_bind_int(st, 10, r->object_id);
	db_bind_text(st, 11, r->outcome, -1);
	db_bind_text(st, 12, r->summary, -1);
	db_bind_blob(st, 13, mac, DJ_MAC_LEN);
	rc = db_step(st);
	if (rc != DB_DONE)
		return rc;
	if (head_mac(mac, r->id, head) != 0)
		return DB_ERROR;
	st = db_prepare(db, &audit_sql[STMT_AUDIT_HEAD_SET]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, r->id);
	db_bind_blob(st, 2, head, DJ_MAC_LEN);
	rc = db_step(st);
	return rc == DB_DONE ? DB_OK : rc;
}

enum db_rc audit_write(struct db *db, const struct audit_actor *actor, const struct audit_event *ev)
{
	assert(db_in_tx(db)); /* the caller's transaction: the row goes with the change */
	assert(ev->action);
	struct audit_row r = {
		.at = clock_now(),
		.actor_null = actor->user_id == 0,
		.actor_id = actor->user_id,
		.actor_name = actor->name,
		.role = actor->role,
		.org_null = ev->org_id == 0 && actor->org_id == 0,
		.org_id = ev->org_id ? ev->org_id : actor->org_id,
		.ip = actor->ip,
		.action = ev->action,
		.object_type = ev->object_type,
		.object_null = ev->object_id == 0,
		.object_id = ev->object_id,
		.outcome = ev->success ? "success" : "failure",
		.summary = ev->summary,
	};
	enum db_rc rc = write_row(db, &r);
	if (rc != DB_OK)
		log_msg(LOG_ERROR, NULL, "audit: writing %s failed: %s", ev->action, db_errmsg(db));
	return rc;
}

const struct audit_actor audit_system_cli = {.name = "system", .ip = "cli"};

/* Column i's text, read in place: it stays valid until the statement's next step (no
 * other column's read converts it). false when SQLite answered NULL for a value that is
 * not NULL: it could not allocate the text, which is an error, not a broken link. */
static bool col_text(struct db_stmt *st, int i, const char **out)
{
	bool null = db_col_null(st, i); /* before the text: a conversion leaves the type undefined */
	*out = db_col_text(st, i);
	return null || *out;
}

/* -1 also when memory runs out (a column's text, the canonical encoding): only a row
 * that was read whole and whose mac differs is a broken link. */
int audit_verify(struct db *db, int64_t *count, int64_t *first_broken)
{
	*count = 0;
	*first_broken = 0;
	unsigned char prev[DJ_MAC_LEN] = {0}, mac[DJ_MAC_LEN];
	int64_t last_id = 0;
	struct db_stmt *st = db_prepare(db, &audit_sql[STMT_AUDIT_ALL]);
	if (!st)
		return -1;
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		struct audit_row r = {
			.id = db_col_int(st, AUDIT_COL_ID),
			.at = db_col_int(st, AUDIT_COL_AT),
			.actor_null = db_col_null(st, AUDIT_COL_ACTOR_ID),
			.actor_id = db_col_int(st, AUDIT_COL_ACTOR_ID),
			.org_null = db_col_null(st, AUDIT_COL_ORG_ID),
			.org_id = db_col_int(st, AUDIT_COL_ORG_ID),
			.object_null = db_col_null(st, AUDIT_COL_OBJECT_ID),
			.object_id = db_col_int(st, AUDIT_COL_OBJECT_ID),
		};
		if (!col_text(st, AUDIT_COL_ACTOR_NAME, &r.actor_name) || !col_text(st, AUDIT_COL_ROLE, &r.role) ||
		    !col_text(st, AUDIT_COL_IP, &r.ip) || !col_text(st, AUDIT_COL_ACTION, &r.action) ||
		    !col_text(st, AUDIT_COL_OBJECT_TYPE, &r.object_type) ||
		    !col_text(st, AUDIT_COL_OUTCOME, &r.outcome) || !col_text(st, AUDIT_COL_SUMMARY, &r.summary) ||
		    row_mac(prev, &r, mac) != 0) {
			db_reset(st);
			return -1;
		}
		const void *stored = db_col_blob(st, AUDIT_COL_MAC);
		bool ok = stored && db_col_len(st, AUDIT_COL_MAC) == DJ_MAC_LEN &&
			  sodium_memcmp(mac, stored, DJ_MAC_LEN) == 0;
		(*count)++;
		if (!ok) {
			*first_broken = r.id;
			db_reset(st);
			return 1;
		}
		memcpy(prev, mac, DJ_MAC_LEN);
		last_id = r.id;
	}
	if (rc != DB_DONE)
		return -1;
	st = db_prepare(db, &audit_sql[STMT_AUDIT_HEAD]);
	if (!st)
		return -1;
	rc = db_step(st);
	if (rc == DB_DONE) {
		if (last_id == 0)
			return 0;
		*first_broken = last_id;
		return 1;
	}
	if (rc != DB_ROW)
		return -1;
	int64_t head_id = db_col_int(st, AUDIT_HEAD_COL_LAST_ID);
	unsigned char want[DJ_MAC_LEN];
	if (head_mac(prev, last_id, want) != 0) {
		db_reset(st);
		return -1;
	}
	const void *stored = db_col_blob(st, AUDIT_HEAD_COL_MAC);
	bool ok = head_id == last_id && stored && db_col_len(st, AUDIT_HEAD_COL_MAC) == DJ_MAC_LEN &&
		  sodium_memcmp(want, stored, DJ_MAC_LEN) == 0;
	db_reset(st);
	if (!ok) {
		*first_broken = head_id > last_id ? last_id + 1 : (last_id ? last_id : 1);
		return 1;
	}
	return 0;
}

static void bind_filter(struct db_stmt *st, const struct audit_filter *f)
{
	if (f->actor_id)
		db_bind_int(st, 1, f->actor_id);
	else
		db_bind_null(st, 1);
	db_bind_text(st, 2, f->action, -1);
	db_bind_text(st, 3, f->object_type, -1);
	if (f->object_id)
		db_bind_int(st, 4, f->object_id);
	else
		db_bind_null(st, 4);
	if (f->from)
		db_bind_int(st, 5, f->from);
	else
		db_bind_null(st, 5);
	if (f->to)
		db_bind_int(st, 6, f->to);
	else
		db_bind_null(st, 6);
}

static json_t *text_or_null(struct db_stmt *st, int i)
{
	const char *s = db_col_text(st, i);
	return s ? json_string(s) : json_null();
}

static json_t *int_or_null(struct db_stmt *st, int i)
{
	return db_col_null(st, i) ? json_null() : json_integer(db_col_int(st, i));
}

/* The catalogue of audited events (SECURITY.md S9) with the names the audit page
 * shows. An action missing here is still recorded and shown by its code. */
static const struct {
	const char *code, *name;
} audit_actions[] = {
	{"session.login", "登录"},
	{"session.logout", "退出登录"},
	{"password.change", "修改密码"},
	{"totp.enrol", "绑定动态验证码"},
	{"user.create", "新建用户"},
	{"user.update", "修改用户"},
	{"user.disable", "停用用户"},
	{"user.enable", "启用用户"},
	{"user.lock", "账户锁定"},
	{"user.unlock", "账户解锁"},
	{"user.reset_password", "重置密码"},
	{"user.reset_login", "重置密码后首次登录"},
	{"member.duplicate_out_of_scope", "查询管辖范围以外的身份证号码"},
	{"security.alert.duplicate_probe", "安全告警：频繁查询范围外人员"},
	{"user.reset_totp", "重置动态验证码"},
	{"user.link_member", "关联党员档案"},
	{"role.assign", "分配角色"},
	{"org.create", "新建党组织"},
	{"org.update", "修改党组织"},
	{"org.move", "调整隶属关系"},
	{"org.delete", "删除党组织"},
	{"org.grid_create", "新建网格"},
	{"org.building_create", "新建楼院"},
	{"member.create", "新增党员"},
	{"member.update", "修改党员信息"},
	{"member.state", "变更党籍状态"},
	{"member.delete", "删除党员"},
	{"member.pii_view", "查看完整个人信息"},
	/* transfers (组织关系接转, issue 14) */
	{"transfer.create", "发起组织关系转接"},
	{"transfer.register", "登记转入介绍信"},
	{"transfer.apply", "党员申请组织关系转接"},
	{"transfer.submit", "提交组织关系转接"},
	{"transfer.approve", "审批组织关系转接"},
	{"transfer.send", "开具组织关系介绍信"},
	{"transfer.accept", "接收组织关系"},
	{"transfer.return", "退回组织关系转接"},
	{"transfer.receipt", "登记介绍信回执"},
	{"transfer.cancel", "撤销组织关系转接"},
	{"transfer.renew", "介绍信续期"},
	{"transfer.letter", "打印组织关系介绍信"},
	{"member.import", "批量导入党员"},
	{"member.export", "导出党员"},
	/* saved import column mappings (issue 20 #9, api/import_maps.c) */
	{"member.import_mapping_delete", "删除导入列对应关系"},
	/* export jobs (issue 20 #21) */
	{"member.export_download", "下载导出文件"},
	{"member.export_cancel", "取消导出"},
	/* services (issue 18) */
	{"service.create", "受理服务诉求"},
	{"service.dispatch", "服务诉求派单"},
	{"service.reassign", "服务诉求改派"},
	{"service.start", "开始办理服务诉求"},
	{"service.complete", "服务诉求办结"},
	{"service.return", "服务诉求退回"},
	{"service.reject", "服务诉求不予受理"},
	{"service.note", "服务诉求备注"},
	{"service.rate", "居民评价服务诉求"},
	{"service.pii_view", "查看诉求人联系电话"},
	{"service.catalog_create", "新增服务事项"},
	{"service.catalog_update", "修改服务事项"},
	{"service.key_issue", "签发 Open311 接入密钥"},
	{"service.key_revoke", "吊销 Open311 接入密钥"},
	{"member.state_correct", "更正党籍状态"},
	{"audit.export", "导出审计日志"},
	/* the yearly report (issue 19) */
	{"report.template_update", "修改年度报告模板"},
	{"report.export", "生成年度报告"},
	{"indicator.snapshot", "封存年度指标"},
	/* 发展党员 (issue 13) and the working-day calendar */
	{"calendar.update", "修改工作日历"},
	{"dev.applicant_create", "登记入党申请人"},
	{"dev.applicant_update", "修改入党申请人"},
	{"dev.applicant_pii_view", "查看申请人完整身份证号码"},
	{"dev.step", "记录发展党员步骤"},
	{"dev.return", "退回修改发展党员步骤"},
	{"dev.withdraw", "终止发展"},
	/* issue 16 item 5: a 公示 posted, its end computed (publicity_ending reminder) */
	{"dev.publicity", "登记发展党员公示"},
	{"dev.quota", "下达发展指标"},
	{"dev.form", "生成发展党员文书"},
	/* files store */
	{"file.upload", "上传附件"},
	{"file.delete", "删除附件"},
	/* meetings */
	{"meeting.create", "新建组织生活记录"},
	{"meeting.update", "修改组织生活记录"},
	{"meeting.amend", "更正已审核的组织生活记录"},
	{"meeting.delete", "删除组织生活记录"},
	{"meeting.submit", "提交组织生活记录"},
	{"meeting.approve", "审核通过组织生活记录"},
	{"meeting.return", "退回组织生活记录"},
	{"meeting.plan", "制定年度组织生活计划"},
	{"meeting.exempt", "组织生活免于考核"},
	{"meeting.grades", "登记民主评议等次"},
	/* messages and 学习专题 (issue 16) */
	{"message.settings", "修改消息推送设置"},
	{"message.retry", "重新发送消息"},
	{"message.notice", "发布通知"},
	{"message.optout", "修改消息退订"},
	{"study.create", "新建学习专题"},
	{"study.item", "添加学习内容"},
	{"study.submit", "提交学习专题审核"},
	{"study.publish", "审核发布学习专题"},
	{"study.return", "退回学习专题"},
	/* bases (issue 17) */
	{"base.create", "新建活动基地"},
	{"base.update", "修改活动基地"},
	{"base.closed_days", "设置基地闭馆日"},
	{"base.booking_create", "预约活动基地"},
	{"base.series_create", "预约活动基地（周期）"},
	{"base.booking_approve", "同意基地预约"},
	{"base.booking_decline", "拒绝基地预约"},
	{"base.booking_cancel", "取消基地预约"},
	{"base.booking_promote", "候补转为预约"},
	{"base.booking_check_in", "基地签到"},
	{"base.booking_complete", "基地活动完成"},
	{"base.booking_no_show", "预约未到"},
	{"base.checkin_code", "生成基地签到码"},
	{"base.booking_self_check_in", "党员扫码签到"},
	{"base.booking_meeting", "基地活动生成主题党日记录"},
	{"base.feed_create", "新建日历订阅"},
	{"base.feed_revoke", "撤销日历订阅"},
};

size_t audit_actions_count(void)
{
	return sizeof audit_actions / sizeof audit_actions[0];
}

bool audit_action_at(size_t i, const char **code, const char **name)
{
	if (i >= sizeof audit_actions / sizeof audit_actions[0])
		return false;
	*code = audit_actions[i].code;
	*name = audit_actions[i].name;
	return true;
}

const char *audit_action_name(const char *code)
{
	for (size_t i = 0; code && i < sizeof audit_actions / sizeof audit_actions[0]; i++)
		if (strcmp(audit_actions[i].code, code) == 0)
			return audit_actions[i].name;
	return NULL;
}

json_t *audit_list(struct db *db, const struct audit_filter *f, int64_t before_id, int64_t limit, int64_t *last_id,
		   int64_t *total)
{
	struct db_stmt *st = db_prepare(db, &audit_sql[STMT_AUDIT_COUNT]);
	if (!st)
		return NULL;
	bind_filter(st, f);
	if (db_step(st) != DB_ROW)
		return NULL;
	*total = db_col_int(st, DB_COL_ONLY);
	db_reset(st);
	st = db_prepare(db, &audit_sql[STMT_AUDIT_LIST]);
	if (!st)
		return NULL;
	bind_filter(st, f);
	db_bind_int(st, 7, before_id > 0 ? before_id : INT64_MAX);
	db_bind_int(st, 8, limit);
	json_t *items = json_array();
	int rc;
	*last_id = 0;
	while ((rc = db_step(st)) == DB_ROW) {
		char at[21];
		clock_rfc3339(db_col_int(st, AUDIT_COL_AT), at);
		*last_id = db_col_int(st, AUDIT_COL_ID);
		json_array_append_new(
			items, json_pack("{s:I, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "id",
					 (json_int_t)*last_id, "at", at, "actor_id", int_or_null(st, AUDIT_COL_ACTOR_ID),
					 "actor_name", text_or_null(st, AUDIT_COL_ACTOR_NAME), "role",
					 text_or_null(st, AUDIT_COL_ROLE), "org_id", int_or_null(st, AUDIT_COL_ORG_ID), "ip",
					 text_or_null(st, AUDIT_COL_IP), "action", text_or_null(st, AUDIT_COL_ACTION),
					 "object_type", text_or_null(st, AUDIT_COL_OBJECT_TYPE), "object_id",
					 int_or_null(st, AUDIT_COL_OBJECT_ID), "outcome", text_or_null(st, AUDIT_COL_OUTCOME),
					 "summary", text_or_null(st, AUDIT_COL_SUMMARY)));
		json_t *row = json_array_get(items, json_array_size(items) - 1);
		const char *name = audit_action_name(db_col_text(st, AUDIT_COL_ACTION));
		json_object_set_new(row, "action_name", name ? json_string(name) : json_null());
	}
	if (rc != DB_DONE) {
		json_decref(items);
		return NULL;
	}
	return items;
}
