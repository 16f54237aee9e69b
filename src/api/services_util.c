/* services_util.c: filing, rate limits and the bounding box of service requests (see
 * services_util.h). */
#include "api/services_util.h"
#include "auth/audit.h"
#include "auth/session.h"
#include "config.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/idcard.h"
#include "http/input.h"
#include "model/grid.h"
#include "model/outbox.h"
#include "model/rate.h"
#include "model/token.h"
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool fail(struct svc_err *e, int status, const char *field, const char *code, const char *message)
{
	e->status = status;
	e->field = field;
	e->code = code;
	e->message = message;
	return false;
}

static bool bbox(double b[4])
{
	return sscanf(cfg.services_bbox, "%lf,%lf,%lf,%lf", &b[0], &b[1], &b[2], &b[3]) == 4;
}

bool svc_in_bbox(int64_t lat_e6, int64_t lon_e6)
{
	double b[4];
	if (!bbox(b))
		return false;
	double lat = (double)lat_e6 / 1e6, lon = (double)lon_e6 / 1e6;
	return lon >= b[0] && lat >= b[1] && lon <= b[2] && lat <= b[3];
}

json_t *svc_bbox_json(void)
{
	double b[4];
	if (!bbox(b))
		return json_null();
	return json_pack("[f, f, f, f]", b[0], b[1], b[2], b[3]);
}

/* A decimal degree as microdegrees; false when it is not a plain number. */
static bool degrees(const char *s, double max, int64_t *out)
{
	if (!s || !*s || strlen(s) > 20)
		return false;
	char *e;
	double v = strtod(s, &e);
	if (*e || !isfinite(v) || fabs(v) > max)
		return false;
	*out = (int64_t)llround(v * 1e6);
	return true;
}

static size_t chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* Text a person typed: valid UTF-8 is jansson's (JSON) or the form decoder's concern;
 * here no control characters but line breaks and tabs. */
static bool plain(const char *s, bool multiline)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 && !(multiline && (*p == '\n' || *p == '\r' || *p == '\t'))) || *p == 0x7f)
			return false;
	return true;
}

bool svc_file(struct request *req, const struct svc_file_in *in, struct svc_request *r, const char **code,
	      struct svc_err *e)
{
	memset(r, 0, sizeof *r);
	struct svc_service s;
	if (!in->service_code || !*in->service_code)
		return fail(e, 400, "service_code", "required", "请选择服务事项");
	enum db_rc rc = svc_service_by_code(req->db, req->arena, in->service_code, &s);
	if (rc == DB_NOT_FOUND || (rc == DB_OK && !s.active))
		return fail(e, 400, "service_code", "unknown_service", "服务事项不存在或已停用");
	if (rc != DB_OK)
		return fail(e, 500, NULL, "internal_error", "数据库错误");
	if (!in->description || !*in->description)
		return fail(e, 400, "description", "required", "请描述需要办理的事项");
	if (chars(in->description) > SVC_DESC_MAX)
		return fail(e, 400, "description", "too_long", "描述不能超过 4000 字");
	if (!plain(in->description, true))
		return fail(e, 400, "description", "control_chars", "描述含有无效字符");
	if (in->address && (chars(in->address) > 200 || !plain(in->address, false)))
		return fail(e, 400, "address", "too_long", "地址不能超过 200 字");
	if (in->contact_name && (chars(in->contact_name) > 50 || !plain(in->contact_name, false)))
		return fail(e, 400, "contact_name", "too_long", "联系人不能超过 50 字");
	if (in->mobile && *in->mobile && !mobile_valid(in->mobile))
		return fail(e, 400, "mobile", "mobile_format", "手机号码应为11位数字");
	bool has_lat = in->lat && *in->lat, has_lon = in->lon && *in->lon;
	if (has_lat != has_lon)
		return fail(e, 400, has_lat ? "long" : "lat", "required", "经度和纬度须同时提供");
	if (has_lat) {
		if (!degrees(in->lat, 90, &r->lat_e6))
			return fail(e, 400, "lat", "invalid_number", "纬度无效");
		if (!degrees(in->lon, 180, &r->lon_e6))
			return fail(e, 400, "long", "invalid_number", "经度无效");
		if (!svc_in_bbox(r->lat_e6, r->lon_e6))
			return fail(e, 400, "lat", "out_of_area", "位置不在本区范围内");
		r->has_point = true;
	}
	if (!has_lat && !(in->address && *in->address) && in->grid_id <= 0)
		return fail(e, 400, "address", "location_required", "请提供位置：定位、地址或所在网格");
	if (in->grid_id > 0 && grid_org(req->db, in->grid_id) <= 0)
		return fail(e, 400, "grid_id", "not_found", "网格不存在");
	r->grid_id = in->grid_id;
	if (!r->grid_id && in->address && *in->address) {
		rc = svc_match_grid(req->db, in->address, &r->grid_id);
		if (rc != DB_OK && rc != DB_NOT_FOUND)
			return fail(e, 500, NULL, "internal_error", "数据库错误");
	}
	r->org_id = r->grid_id ? grid_org(req->db, r->grid_id) : s.org_id;
	if (r->org_id <= 0)
		r->org_id = s.org_id;
	r->service_id = s.id;
	r->description = in->description;
	r->address = in->address && *in->address ? in->address : NULL;
	r->channel = in->channel;
	r->contact_name = in->contact_name && *in->contact_name ? in->contact_name : NULL;
	r->attributes = in->attributes ? json_dumps(in->attributes, JSON_COMPACT) : NULL;
	if (r->attributes) {
		const char *copy = arena_strdup(req->arena, r->attributes);
		free((void *)r->attributes);
		r->attributes = copy;
	}
	r->api_key_id = in->api_key_id;
	r->requested_at = clock_now();
	r->due_at = svc_due_at(req->db, r->requested_at, s.sla_hours);
	/* the follow code: 8 characters, shown once and sent to the mobile (below) */
	unsigned char fh[DJ_BLIND_LEN];
	const char *fc = token_new(req->arena, NULL, 6, "svc.follow", fh);
	rc = svc_request_insert(req->db, req->arena, r, in->mobile && *in->mobile ? in->mobile : NULL, fh);
	if (rc != DB_OK)
		return fail(e, rc == DB_BUSY ? 503 : 500, NULL, "internal_error", "保存失败，请稍后重试");
	r->service_code = s.code;
	r->service_name = s.name;
	r->service_group = s.group;
	*code = fc;
	if (!svc_step(req, r, "create", SVC_ACCEPTED, SVC_ACCEPTED, "已受理", true,
		      arena_printf(req->arena, "受理服务诉求 %s（%s）", s.name, in->channel)))
		return fail(e, 500, NULL, "internal_error", "审计日志写入失败");
	/* the follow code by SMS to the mobile the request was filed with (a bare mobile:
	 * sealed on the outbox row with the code), in this transaction */
	if (in->mobile && *in->mobile) {
		struct outbox_msg m = {
			.dedup_key = arena_printf(req->arena, "svc:follow:%lld:sms", (long long)r->id),
			.channel = "sms",
			.tmpl = "svc_follow",
			.params = json_pack("{s:I, s:s}", "id", (json_int_t)r->id, "code", fc),
			.mobile = in->mobile,
			.org_path = r->org_path,
		};
		char why[200];
		enum outbox_result o = outbox_enqueue(req->db, &m, NULL, why, sizeof why);
		json_decref(m.params);
		if (o == OUTBOX_DB_ERROR || o == OUTBOX_BAD_INPUT)
			return fail(e, 500, NULL, "internal_error", "查询码短信排队失败");
	}
	return true;
}

bool svc_step(struct request *req, const struct svc_request *r, const char *action, enum svc_state from,
	      enum svc_state to, const char *note, bool pub, const char *summary)
{
	const char *name = NULL, *role = NULL;
	int64_t org = 0;
	if (req->session)
		auth_actor(req, req->route ? req->route->perm : NULL, &name, &role, &org);
	int64_t uid = req->session ? req->session->user_id : 0;
	if (svc_event_add(req->db, r->id, clock_now(), uid, name ? name : (req->session ? NULL : "居民"), action,
			  action[0] == 'c' && from == to ? NULL : svc_state_code(from), svc_state_code(to), note, pub) != DB_OK)
		return false;
	struct audit_event ev = {arena_printf(req->arena, "service.%s", action), "service_request", r->id, r->org_id, true,
				 summary};
	return audit_record(req, &ev) == 0;
}

/* ---- rate limits ------------------------------------------------------------------- */

#define RL_SLOTS 4096
static struct {
	char ip[48];
	int64_t win, n;
} rl[RL_SLOTS];
static pthread_mutex_t rl_lock = PTHREAD_MUTEX_INITIALIZER;

bool svc_public_allow(struct request *req)
{
	const char *ip = req->ip ? req->ip : "";
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)ip; *p; p++)
		h = (h ^ *p) * 16777619u;
	int64_t win = clock_now() / 60;
	pthread_mutex_lock(&rl_lock);
	size_t i = h % RL_SLOTS;
	if (strncmp(rl[i].ip, ip, sizeof rl[i].ip) != 0 || rl[i].win != win) {
		/* another address in the slot, or an old window: the slot is this address's now */
		snprintf(rl[i].ip, sizeof rl[i].ip, "%s", ip);
		rl[i].win = win;
		rl[i].n = 0;
	}
	bool ok = ++rl[i].n <= cfg.services_public_per_min;
	pthread_mutex_unlock(&rl_lock);
	return ok;
}

bool svc_db_allow(struct request *req, const char *bucket, int64_t span, int64_t limit)
{
	int64_t n = 0;
	return rate_hit(req->db, bucket, span, clock_now(), &n) == DB_OK && n <= limit;
}
