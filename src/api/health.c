/* health.c: operations routes: liveness, readiness, metrics, and (test_mode only) the
 * settable clock that time-based tests use. */
#include "config.h"
#include "core/arena.h"
#include "core/clock.h"
#include "db/db.h"
#include "http/input.h"
#include "http/metrics.h"
#include "http/request.h"
#include "http/router.h"

enum health_stmt {
	STMT_HEALTH_PING,
	STMT_HEALTH_TEST_WRITE,
	HEALTH_STMT__MAX
};
static const struct db_sql health_sql[HEALTH_STMT__MAX] = {
	[STMT_HEALTH_PING] = {"health.ping", "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"},
	[STMT_HEALTH_TEST_WRITE] = {"health.test_write",
	 "INSERT INTO jobs (kind, status, progress, created_at, updated_at) VALUES ('test', 'done', 100, $1, $1) RETURNING id"},
};
DB_SQL_TABLE(health, health_sql);

static void get_healthz(struct request *req)
{
	req_reply_json(req, 200, json_pack("{s:s}", "status", "ok"));
}

static void get_readyz(struct request *req)
{
	struct db *db = db_thread();
	struct db_stmt *st = db ? db_prepare(db, &health_sql[STMT_HEALTH_PING]) : NULL;
	int rc = st ? db_step(st) : DB_ERROR;
	if (rc != DB_ROW) {
		req_fail(req, 503, "not_ready", "数据库暂不可用");
		req->err.retry_after = 5;
		return;
	}
	int64_t v = db_col_int(st, DB_COL_ONLY);
	db_reset(st);
	json_t *out = json_pack("{s:s, s:I}", "status", "ok", "schema", (json_int_t)v);
	/* the replica is reported, never a reason to be unready: the primary answers for it */
	int64_t lag = 0;
	enum db_replica_state rs = db_replica_probe(&lag);
	if (rs != DB_REPLICA_NONE) {
		static const char *const names[] = {"none", "ok", "lagging", "unavailable"};
		json_t *r = json_pack("{s:s}", "status", names[rs]);
		if (rs != DB_REPLICA_DOWN)
			json_object_set_new(r, "lag_ms", json_integer((json_int_t)lag));
		json_object_set_new(out, "replica", r);
	}
	req_reply_json(req, 200, out);
}

static void get_metrics(struct request *req)
{
	size_t len;
	const char *text = metrics_render(req->arena, &len);
	req_reply_raw(req, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
}

/* test_mode: PUT /api/v1/test/clock {"offset": seconds} shifts clock_now. */
static void put_test_clock(struct request *req)
{
	json_t *b = in_body(req);
	int64_t off = 0;
	if (!b || !in_int(req, b, "offset", IN_REQUIRED, -3650LL * 86400, 3650LL * 86400, &off))
		return;
	clock_set_offset(off);
	req_reply_json(req, 200, json_pack("{s:I, s:I}", "offset", (json_int_t)off, "now", (json_int_t)clock_now()));
}

/* test_mode: POST /api/v1/test/write adds a row in a write transaction, so tests can
 * load the store (backup under load, lock contention answering 503). */
static void post_test_write(struct request *req)
{
	struct db_stmt *st = db_prepare(req->db, &health_sql[STMT_HEALTH_TEST_WRITE]);
	if (!st) {
		req_fail_db(req, DB_ERROR);
		return;
	}
	db_bind_int(st, 1, clock_now());
	int rc = db_step(st);
	if (rc != DB_ROW) {
		req_fail_db(req, rc);
		return;
	}
	json_int_t id = (json_int_t)db_col_int(st, DB_COL_ONLY); /* RETURNING id */
	db_reset(st);
	req_reply_json(req, 201, json_pack("{s:I}", "id", id));
}

static const struct route health_routes[] = {
	{"GET", "/healthz", get_healthz, PERM_PUBLIC, 0, 0, "liveness"},
	{"GET", "/readyz", get_readyz, PERM_PUBLIC, 0, 0, "readiness: the database answers (and how the replica is)"},
	{"GET", "/metrics", get_metrics, PERM_PUBLIC, 0, 0, "Prometheus metrics (keep behind the proxy)"},
	{"PUT", "/api/v1/test/clock", put_test_clock, PERM_PUBLIC, RF_TEST | RF_NO_CSRF, 0, "test mode: shift the clock"},
	{"POST", "/api/v1/test/write", post_test_write, PERM_PUBLIC, RF_TEST | RF_NO_CSRF | RF_TX_WRITE, 0,
	 "test mode: one row written in a write transaction"},
};
ROUTE_TABLE(health);
