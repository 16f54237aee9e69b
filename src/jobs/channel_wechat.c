/* channel_wechat.c: the WeChat Official Account (公众号) channel (see channel.h).
 *
 * The access token (/cgi-bin/token, client_credential) is kept in this process's
 * memory with its expiry and fetched again five minutes before it runs out (or at half
 * its life when that is shorter); one fetch at a time: the fetch runs under the cache's
 * lock, so a second sender waiting on it reuses what the first fetched. A token the
 * API refuses (40001 invalid credential, 42001 expired, 40014 invalid) is fetched anew
 * and the send tried once more; the cache remembers which appid, API base and secret
 * it belongs to, so a change of settings takes a new one. The token and the secret
 * never reach a log or the database: they travel in the query string of HTTPS calls
 * only, which chan_http does not log.
 *
 * Template message: POST {base}/cgi-bin/message/template/send?access_token=…
 *   {"touser", "template_id", "url"?, "client_msg_id", "data": {key: {"value"}}}
 * template_id per message kind and the data keys (the field map) are settings. Our
 * outbox id is the client_msg_id, WeChat's own guard against a repeated send.
 *
 * Outcomes: errcode 0 sent (msgid is the provider id); -1 (busy), 45009 / 45011 (API
 * quota), HTTP 5xx, nothing reached the API: retry later; 43004 (not following the
 * account), 40003 (bad openid), 40037 (bad template id) and the rest: failed for good;
 * the request reached the API and no answer came: failed as an unknown outcome (never
 * resent by itself), as for SMS. */
#include "jobs/channel.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/sign.h"
#include "jobs/channel_http.h"
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t tok_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char appid[72], base[208];
	unsigned char secret_fp[32]; /* BLAKE2b of the secret: which secret the token is of */
	char token[600];
	int64_t expires_at, fetched_at, fetches;
} tok;

static void secret_fp(const char *secret, unsigned char fp[32])
{
	crypto_generichash(fp, 32, (const unsigned char *)secret, strlen(secret), (const unsigned char *)"dj-wx-token", 11);
}

/* the API base without a trailing slash */
static const char *api_base(struct arena *a, const struct msg_settings *s)
{
	const char *b = s->v[MSK_WECHAT_API_BASE];
	size_t n = strlen(b);
	while (n > 0 && b[n - 1] == '/')
		n--;
	return arena_strndup(a, b, n);
}

static bool tok_fresh(const struct msg_settings *s, const char *base, int64_t now)
{
	unsigned char fp[32];
	secret_fp(s->v[MSK_WECHAT_SECRET], fp);
	if (!tok.token[0] || strcmp(tok.appid, s->v[MSK_WECHAT_APPID]) != 0 || strcmp(tok.base, base) != 0 ||
	    sodium_memcmp(fp, tok.secret_fp, 32) != 0)
		return false;
	int64_t life = tok.expires_at - tok.fetched_at, margin = life / 2 < 300 ? life / 2 : 300;
	return now < tok.expires_at - margin;
}

/* An errcode answer as our outcome's code and error. */
static void wx_error(struct chan_outcome *out, const char *what, json_t *j)
{
	json_int_t ec = json_integer_value(json_object_get(j, "errcode"));
	const char *msg = json_string_value(json_object_get(j, "errmsg"));
	snprintf(out->code, sizeof out->code, "%lld", (long long)ec);
	snprintf(out->error, sizeof out->error, "%s（%lld）：%.120s", what, (long long)ec, msg ? msg : "");
}

static bool http_failed(const struct chan_http_res *r, const char *what, struct chan_outcome *out)
{
	if (r->failed) {
		out->r = r->sent_nothing ? CHAN_RETRY : CHAN_FAILED;
		snprintf(out->code, sizeof out->code, r->sent_nothing ? "unreachable" : "unknown_outcome");
		if (r->sent_nothing)
			snprintf(out->error, sizeof out->error, "无法连接微信接口（%s）：%s", what, r->err);
		else
			snprintf(out->error, sizeof out->error,
				 "微信接口未应答（%s：%s），无法确认是否已发送；为避免重复，不自动重发", what, r->err);
		return true;
	}
	if (r->status >= 500) {
		out->r = CHAN_RETRY;
		snprintf(out->code, sizeof out->code, "http_%ld", r->status);
		snprintf(out->error, sizeof out->error, "微信接口内部错误（HTTP %ld），稍后重试", r->status);
		return true;
	}
	if (!json_is_object(r->json)) {
		out->r = CHAN_RETRY;
		snprintf(out->code, sizeof out->code, "bad_answer");
		snprintf(out->error, sizeof out->error, "微信接口的应答无法解析（HTTP %ld）", r->status);
		return true;
	}
	return false;
}

/* The token into buf: the cached one, or a new one when the cache is stale, belongs to
 * other settings, or is `stale` (the one the API just refused). Under tok_mu. False
 * with out filled (token fetches fail as retries: a wrong secret or an address not on
 * the account's IP allow-list is fixed in the settings, then the queue goes). */
static bool get_token(struct chan_ctx *c, struct arena *a, const char *stale, char *buf, size_t buflen,
		      struct chan_outcome *out)
{
	const struct msg_settings *s = c->s;
	const char *base = api_base(a, s);
	pthread_mutex_lock(&tok_mu);
	int64_t now = clock_now();
	bool ok = tok_fresh(s, base, now) &&
		  (!stale || strlen(stale) != strlen(tok.token) || sodium_memcmp(stale, tok.token, strlen(stale)) != 0);
	if (!ok) {
		char *url = arena_printf(a, "%s/cgi-bin/token?grant_type=client_credential&appid=%s&secret=%s", base,
					 sign_percent(a, s->v[MSK_WECHAT_APPID]), sign_percent(a, s->v[MSK_WECHAT_SECRET]));
		struct chan_http_res r;
		chan_http(c, url, NULL, NULL, &r);
		sodium_memzero(url, strlen(url));
		tok.fetches++;
		if (http_failed(&r, "获取 access_token", out)) {
			out->r = CHAN_RETRY; /* no message left: a token fetch may always be repeated */
		} else {
			const char *t = json_string_value(json_object_get(r.json, "access_token"));
			json_int_t exp = json_integer_value(json_object_get(r.json, "expires_in"));
			if (t && *t && strlen(t) < sizeof tok.token && exp > 0) {
				snprintf(tok.token, sizeof tok.token, "%s", t);
				snprintf(tok.appid, sizeof tok.appid, "%s", s->v[MSK_WECHAT_APPID]);
				snprintf(tok.base, sizeof tok.base, "%s", base);
				secret_fp(s->v[MSK_WECHAT_SECRET], tok.secret_fp);
				tok.fetched_at = now;
				tok.expires_at = now + exp;
				ok = true;
			} else {
				out->r = CHAN_RETRY;
				wx_error(out, "获取 access_token 失败", r.json);
				sodium_memzero(tok.token, sizeof tok.token);
				log_msg(LOG_WARN, NULL, "wechat: access_token refused: errcode %s", out->code);
			}
		}
		json_decref(r.json);
	}
	if (ok)
		snprintf(buf, buflen, "%s", tok.token);
	pthread_mutex_unlock(&tok_mu);
	return ok;
}

json_t *chan_wechat_token_json(void)
{
	pthread_mutex_lock(&tok_mu);
	json_t *j = json_pack("{s:b, s:I, s:I, s:I}", "cached", tok.token[0] != 0, "expires_at",
			      (json_int_t)tok.expires_at, "fetched_at", (json_int_t)tok.fetched_at, "fetches",
			      (json_int_t)tok.fetches);
	pthread_mutex_unlock(&tok_mu);
	return j;
}

/* A parameter's text for the data: one of the template's (a parameter named title is
 * the parameter), or else the rendered title / body. */
static const char *field_value(struct arena *a, const struct outbox_claimed *m, const struct outbox_template *t,
			       json_t *p, const char *name)
{
	json_t *pv = json_object_get(p, name);
	if (json_is_string(pv))
		return json_string_value(pv);
	if (json_is_integer(pv))
		return arena_printf(a, "%lld", (long long)json_integer_value(pv));
	if (strcmp(name, "body") == 0)
		return m->body ? m->body : "";
	if (strcmp(name, "title") == 0) {
		char why[160];
		const char *v = t ? outbox_render(a, t, p, true, why, sizeof why) : NULL;
		return v ? v : "";
	}
	json_t *v = json_object_get(p, name);
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v))
		return arena_printf(a, "%lld", (long long)json_integer_value(v));
	return NULL;
}

/* The template's data: the field map's keys, or the template's parameters by name. */
static json_t *data_of(struct arena *a, const struct msg_settings *s, const struct outbox_claimed *m, char *bad,
		       size_t badlen)
{
	const struct outbox_template *t = outbox_template(m->tmpl);
	json_t *p = json_loads(m->params, 0, NULL);
	if (!p)
		p = json_object();
	json_t *data = json_object();
	const char *map = msg_settings_wechat_fields(s, m->tmpl);
	if (*map) {
		char *copy = arena_strdup(a, map), *save = NULL;
		for (char *f = strtok_r(copy, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
			char *colon = strchr(f, ':');
			if (!colon)
				continue;
			*colon = 0;
			const char *v = field_value(a, m, t, p, colon + 1);
			if (!v) {
				snprintf(bad, badlen, "%s", colon + 1);
				json_decref(data);
				data = NULL;
				break;
			}
			json_object_set_new(data, f, json_pack("{s:s}", "value", v));
		}
	} else {
		for (int i = 0; t && t->params[i]; i++) {
			const char *v = field_value(a, m, t, p, t->params[i]);
			json_object_set_new(data, t->params[i], json_pack("{s:s}", "value", v ? v : ""));
		}
	}
	json_decref(p);
	return data;
}

/* scheme://host[:port] of the binding page's address: where a message's link opens */
static const char *public_origin(struct arena *a, const struct msg_settings *s)
{
	const char *u = s->v[MSK_WECHAT_REDIRECT_URL];
	const char *p = strstr(u, "://");
	if (!*u || !p)
		return NULL;
	return arena_strndup(a, u, (size_t)(p + 3 - u) + strcspn(p + 3, "/?#"));
}

void chan_wechat_send(struct chan_ctx *c, struct arena *a, const struct outbox_claimed *m, struct chan_outcome *out)
{
	const struct msg_settings *s = c->s;
	const char *tpl = msg_settings_wechat_template(s, m->tmpl);
	if (!m->to || !*m->to) {
		out->r = CHAN_FAILED;
		snprintf(out->code, sizeof out->code, "no_openid");
		snprintf(out->error, sizeof out->error, "收件党员尚未绑定微信（公众号）");
		return;
	}
	if (!*tpl) {
		out->r = CHAN_FAILED;
		snprintf(out->code, sizeof out->code, "no_template");
		snprintf(out->error, sizeof out->error, "未设置该类消息的微信模板 ID");
		return;
	}
	char bad[40] = "";
	json_t *data = data_of(a, s, m, bad, sizeof bad);
	if (!data) {
		out->r = CHAN_FAILED;
		snprintf(out->code, sizeof out->code, "bad_fields");
		snprintf(out->error, sizeof out->error, "微信模板字段设置引用了不存在的参数 %s", bad);
		return;
	}
	json_t *req = json_pack("{s:s, s:s, s:s, s:o}", "touser", m->to, "template_id", tpl, "client_msg_id",
				arena_printf(a, "dj-%lld", (long long)m->id), "data", data);
	const char *origin = public_origin(a, s);
	if (origin)
		json_object_set_new(req, "url", json_string(arena_printf(a, "%s/m/inbox", origin)));
	char *body = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!body) {
		out->r = CHAN_RETRY;
		snprintf(out->code, sizeof out->code, "oom");
		return;
	}
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json; charset=utf-8");
	const char *base = api_base(a, s);
	char token[600];
	const char *stale = NULL;
	for (int round = 0; round < 2; round++) {
		memset(out, 0, sizeof *out);
		if (!get_token(c, a, stale, token, sizeof token, out))
			break;
		char *url = arena_printf(a, "%s/cgi-bin/message/template/send?access_token=%s", base, sign_percent(a, token));
		struct chan_http_res r;
		chan_http(c, url, hdr, body, &r);
		sodium_memzero(url, strlen(url));
		if (http_failed(&r, "发送模板消息", out)) {
			json_decref(r.json);
			break;
		}
		json_int_t ec = json_integer_value(json_object_get(r.json, "errcode"));
		if (ec == 0) {
			out->r = CHAN_SENT;
			json_t *id = json_object_get(r.json, "msgid");
			if (json_is_integer(id))
				snprintf(out->provider_id, sizeof out->provider_id, "%lld", (long long)json_integer_value(id));
			else if (json_is_string(id))
				snprintf(out->provider_id, sizeof out->provider_id, "%s", json_string_value(id));
			snprintf(out->code, sizeof out->code, "0");
			json_decref(r.json);
			break;
		}
		wx_error(out, ec == 43004 ? "收件人未关注公众号" : "微信拒绝发送", r.json);
		json_decref(r.json);
		if (ec == 40001 || ec == 42001 || ec == 40014) {
			/* the token went stale before its time (another client fetched one, or
			 * the account's secret was reset): a new one, and once more */
			out->r = CHAN_RETRY;
			stale = arena_strdup(a, token);
			continue;
		}
		out->r = ec == -1 || ec == 45009 || ec == 45011 ? CHAN_RETRY : CHAN_FAILED;
		break;
	}
	sodium_memzero(token, sizeof token);
	curl_slist_free_all(hdr);
	free(body);
}

bool chan_wechat_menu_create(const struct msg_settings *s, const char *menu, char err_code[96], char error[256])
{
	err_code[0] = error[0] = 0;
	struct arena *a = arena_new();
	struct chan_ctx *c = a ? chan_open(s) : NULL;
	if (!c) {
		arena_free(a);
		snprintf(err_code, 96, "oom");
		snprintf(error, 256, "内存不足");
		return false;
	}
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json; charset=utf-8");
	const char *base = api_base(a, s);
	char token[600];
	const char *stale = NULL;
	struct chan_outcome out;
	for (int round = 0; round < 2; round++) {
		memset(&out, 0, sizeof out);
		if (!get_token(c, a, stale, token, sizeof token, &out))
			break;
		char *url = arena_printf(a, "%s/cgi-bin/menu/create?access_token=%s", base, sign_percent(a, token));
		struct chan_http_res r;
		chan_http(c, url, hdr, menu, &r);
		sodium_memzero(url, strlen(url));
		if (http_failed(&r, "创建菜单", &out)) {
			json_decref(r.json);
			break;
		}
		json_int_t ec = json_integer_value(json_object_get(r.json, "errcode"));
		if (ec == 0) {
			out.r = CHAN_SENT;
			json_decref(r.json);
			break;
		}
		wx_error(&out, "微信拒绝创建菜单", r.json);
		json_decref(r.json);
		out.r = CHAN_FAILED;
		if (ec == 40001 || ec == 42001 || ec == 40014)
			stale = arena_strdup(a, token);
		else
			break;
	}
	sodium_memzero(token, sizeof token);
	curl_slist_free_all(hdr);
	chan_close(c);
	arena_free(a);
	if (out.r != CHAN_SENT) {
		snprintf(err_code, 96, "%s", out.code);
		snprintf(error, 256, "%s", out.error);
	}
	return out.r == CHAN_SENT;
}

bool chan_wechat_openid(const struct msg_settings *s, const char *code, char openid[129], char err_code[96],
			char error[256])
{
	openid[0] = err_code[0] = error[0] = 0;
	struct arena *a = arena_new();
	struct chan_ctx *c = a ? chan_open(s) : NULL;
	if (!c) {
		arena_free(a);
		snprintf(err_code, 96, "oom");
		snprintf(error, 256, "内存不足");
		return false;
	}
	char *url = arena_printf(a, "%s/sns/oauth2/access_token?appid=%s&secret=%s&code=%s&grant_type=authorization_code",
				 api_base(a, s), sign_percent(a, s->v[MSK_WECHAT_APPID]),
				 sign_percent(a, s->v[MSK_WECHAT_SECRET]), sign_percent(a, code));
	struct chan_http_res r;
	chan_http(c, url, NULL, NULL, &r);
	sodium_memzero(url, strlen(url));
	struct chan_outcome out = {0};
	bool ok = false;
	if (!http_failed(&r, "网页授权", &out)) {
		const char *o = json_string_value(json_object_get(r.json, "openid"));
		if (o && *o && strlen(o) < 129 && !json_integer_value(json_object_get(r.json, "errcode"))) {
			snprintf(openid, 129, "%s", o);
			ok = true;
		} else {
			wx_error(&out, "微信网页授权失败", r.json);
		}
	}
	if (!ok) {
		snprintf(err_code, 96, "%s", out.code);
		snprintf(error, 256, "%s", out.error);
	}
	json_decref(r.json);
	chan_close(c);
	arena_free(a);
	return ok;
}
