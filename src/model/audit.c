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

static const struct db_sql audit_sql[] = {
#define SQL_LAST 0
	{"audit.last", "SELECT id, mac FROM audit_log ORDER BY id DESC LIMIT 1"},
#define SQL_INSERT 1
	{"audit.insert",
	 "INSERT INTO audit_log (id, at, actor_id, actor_name, role, org_id, ip, action, object_type, object_id, "
	 "outcome, summary, mac) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"},
#define SQL_HEAD_SET 2
	{"audit.head_set",
	 "INSERT INTO audit_head (one, last_id, head_mac) VALUES (1, $1, $2) "
	 "ON CONFLICT (one) DO UPDATE SET last_id = excluded.last_id, head_mac = excluded.head_mac"},
#define SQL_ALL 3
	{"audit.all",
	 "SELECT id, at, actor_id, actor_name, role, org_id, ip, action, object_type, object_id, outcome, summary, mac "
	 "FROM audit_log ORDER BY id"},
#define SQL_HEAD 4
	{"audit.head", "SELECT last_id, head_mac FROM audit_head WHERE one = 1"},
#define AUDIT_FILTER                                                                                            \
	"($1 IS NULL OR actor_id = $1) AND ($2 IS NULL OR action = $2) AND ($3 IS NULL OR object_type = $3) AND " \
	"($4 IS NULL OR object_id = $4) AND ($5 IS NULL OR at >= $5) AND ($6 IS NULL OR at <= $6)"
#define SQL_LIST 5
	{"audit.list",
	 "SELECT id, at, actor_id, actor_name, role, org_id, ip, action, object_type, object_id, outcome, summary "
	 "FROM audit_log WHERE " AUDIT_FILTER " AND id < $7 ORDER BY id DESC LIMIT $8"},
#define SQL_COUNT 6
	{"audit.count", "SELECT COUNT(*) FROM audit_log WHERE " AUDIT_FILTER},
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

static int write_row(struct db *db, struct audit_row *r)
{
	unsigned char prev[DJ_MAC_LEN] = {0}, mac[DJ_MAC_LEN], head[DJ_MAC_LEN];
	struct db_stmt *st = db_prepare(db, &audit_sql[SQL_LAST]);
	if (!st)
		return DB_ERROR;
	int rc = db_step(st);
	r->id = 1;
	if (rc == DB_ROW) {
		r->id = db_col_int(st, 0) + 1;
		if (db_col_len(st, 1) == DJ_MAC_LEN)
			memcpy(prev, db_col_blob(st, 1), DJ_MAC_LEN);
		db_reset(st);
	} else if (rc != DB_DONE) {
		return rc;
	}
	if (row_mac(prev, r, mac) != 0)
		return DB_ERROR;
	st = db_prepare(db, &audit_sql[SQL_INSERT]);
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
	st = db_prepare(db, &audit_sql[SQL_HEAD_SET]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, r->id);
	db_bind_blob(st, 2, head, DJ_MAC_LEN);
	rc = db_step(st);
	return rc == DB_DONE ? DB_OK : rc;
}

/* (audit_write) in parentheses: the name, not the compatibility macro of audit.h */
int(audit_write)(struct db *db, const struct audit_actor *actor, const struct audit_event *ev)
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
	int rc = write_row(db, &r);
	if (rc != DB_OK)
		log_msg(LOG_ERROR, NULL, "audit: writing %s failed: %s", ev->action, db_errmsg(db));
	return rc;
}

const struct audit_actor audit_system_cli = {.name = "system", .ip = "cli"};

/* TEMPORARY: src/api/roster_io.c's import job until sec-import's branch is merged. */
int audit_record_as(struct db *db, int64_t actor_id, const char *actor_name, const char *ip,
		    const struct audit_event *ev)
{
	struct audit_actor a = {.user_id = actor_id, .name = actor_name, .ip = ip};
	return audit_write(db, &a, ev);
}

static const char *col_text(struct db_stmt *st, int i, char **keep, int k)
{
	const char *s = db_col_text(st, i);
	keep[k] = s ? strdup(s) : NULL;
	return keep[k];
}

int audit_verify(struct db *db, int64_t *count, int64_t *first_broken)
{
	*count = 0;
	*first_broken = 0;
	unsigned char prev[DJ_MAC_LEN] = {0}, mac[DJ_MAC_LEN];
	int64_t last_id = 0;
	struct db_stmt *st = db_prepare(db, &audit_sql[SQL_ALL]);
	if (!st)
		return -1;
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		char *keep[7] = {0};
		struct audit_row r = {
			.id = db_col_int(st, 0),
			.at = db_col_int(st, 1),
			.actor_null = db_col_null(st, 2),
			.actor_id = db_col_int(st, 2),
			.actor_name = col_text(st, 3, keep, 0),
			.role = col_text(st, 4, keep, 1),
			.org_null = db_col_null(st, 5),
			.org_id = db_col_int(st, 5),
			.ip = col_text(st, 6, keep, 2),
			.action = col_text(st, 7, keep, 3),
			.object_type = col_text(st, 8, keep, 4),
			.object_null = db_col_null(st, 9),
			.object_id = db_col_int(st, 9),
			.outcome = col_text(st, 10, keep, 5),
			.summary = col_text(st, 11, keep, 6),
		};
		int ok = row_mac(prev, &r, mac) == 0 && db_col_len(st, 12) == DJ_MAC_LEN &&
			 sodium_memcmp(mac, db_col_blob(st, 12), DJ_MAC_LEN) == 0;
		for (int i = 0; i < 7; i++)
			free(keep[i]);
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
	st = db_prepare(db, &audit_sql[SQL_HEAD]);
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
	int64_t head_id = db_col_int(st, 0);
	unsigned char want[DJ_MAC_LEN];
	if (head_mac(prev, last_id, want) != 0) {
		db_reset(st);
		return -1;
	}
	bool ok = head_id == last_id && db_col_len(st, 1) == DJ_MAC_LEN &&
		  sodium_memcmp(want, db_col_blob(st, 1), DJ_MAC_LEN) == 0;
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
	{"member.import", "批量导入党员"},
	{"member.export", "导出党员"},
};

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
	struct db_stmt *st = db_prepare(db, &audit_sql[SQL_COUNT]);
	if (!st)
		return NULL;
	bind_filter(st, f);
	if (db_step(st) != DB_ROW)
		return NULL;
	*total = db_col_int(st, 0);
	db_reset(st);
	st = db_prepare(db, &audit_sql[SQL_LIST]);
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
		clock_rfc3339(db_col_int(st, 1), at);
		*last_id = db_col_int(st, 0);
		json_array_append_new(items, json_pack("{s:I, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
						       "id", (json_int_t)*last_id, "at", at, "actor_id", int_or_null(st, 2),
						       "actor_name", text_or_null(st, 3), "role", text_or_null(st, 4),
						       "org_id", int_or_null(st, 5), "ip", text_or_null(st, 6), "action",
						       text_or_null(st, 7), "object_type", text_or_null(st, 8), "object_id",
						       int_or_null(st, 9), "outcome", text_or_null(st, 10), "summary",
						       text_or_null(st, 11)));
		json_t *row = json_array_get(items, json_array_size(items) - 1);
		const char *name = audit_action_name(db_col_text(st, 7));
		json_object_set_new(row, "action_name", name ? json_string(name) : json_null());
	}
	if (rc != DB_DONE) {
		json_decref(items);
		return NULL;
	}
	return items;
}
