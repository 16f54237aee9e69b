/* channel_sms.c: the SMS channel (see channel.h): Alibaba Cloud SendSms (RPC API,
 * version 2017-05-25, signature method HMAC-SHA1 version 1.0) and Tencent Cloud
 * SendSms (API 3.0, version 2021-01-11, TC3-HMAC-SHA256), by libcurl. The endpoint,
 * account, sign name and approved template codes are settings (model/msg_settings.c);
 * the secrets arrive opened in the pass's arena and go nowhere but into the HMAC. */
#include "jobs/channel.h"
#include "jobs/channel_http.h"
#include "config.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/sign.h"
#include <curl/curl.h>
#include <pthread.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct chan_ctx *chan_open(const struct msg_settings *s)
{
	pthread_once(&curl_once, curl_init_once);
	struct chan_ctx *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->s = s;
	return c;
}

void chan_close(struct chan_ctx *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	free(c);
}

bool chan_ready(const struct msg_settings *s, const char *channel)
{
	if (strcmp(channel, "sms") == 0) {
		const char *p = s->v[MSK_SMS_PROVIDER];
		if (strcmp(p, "aliyun") == 0)
			return *s->v[MSK_ALIYUN_KEY_ID] && *s->v[MSK_ALIYUN_KEY_SECRET];
		if (strcmp(p, "tencent") == 0)
			return *s->v[MSK_TENCENT_SECRET_ID] && *s->v[MSK_TENCENT_SECRET_KEY] && *s->v[MSK_TENCENT_APP_ID];
	}
	if (strcmp(channel, "wechat") == 0)
		return *s->v[MSK_WECHAT_APPID] && *s->v[MSK_WECHAT_SECRET];
	return false;
}

bool chan_mobile_valid(const char *s)
{
	if (!s)
		return false;
	if (strncmp(s, "+86", 3) == 0)
		s += 3;
	if (strlen(s) != 11 || s[0] != '1' || s[1] < '3' || s[1] > '9')
		return false;
	for (int i = 2; i < 11; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int kv_cmp(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* "k=v&k=v" of the pairs sorted by key, each side percent-encoded. */
static char *aliyun_canonical(struct arena *a, const char *const *kv, size_t n)
{
	const char **keys = arena_alloc(a, sizeof *keys * 2 * (n ? n : 1));
	for (size_t i = 0; i < n; i++) {
		keys[2 * i] = kv[2 * i];
		keys[2 * i + 1] = kv[2 * i + 1];
	}
	/* sort pairs by key: keys are distinct, so sorting the pairs as 2-element records works */
	qsort(keys, n, 2 * sizeof *keys, kv_cmp);
	size_t cap = 1;
	char **enc = arena_alloc(a, sizeof *enc * 2 * (n ? n : 1));
	for (size_t i = 0; i < 2 * n; i++) {
		enc[i] = sign_percent(a, keys[i]);
		cap += strlen(enc[i]) + 1;
	}
	char *out = arena_alloc(a, cap), *o = out;
	for (size_t i = 0; i < n; i++) {
		if (i)
			*o++ = '&';
		size_t l = strlen(enc[2 * i]);
		memcpy(o, enc[2 * i], l);
		o += l;
		*o++ = '=';
		l = strlen(enc[2 * i + 1]);
		memcpy(o, enc[2 * i + 1], l);
		o += l;
	}
	*o = 0;
	return out;
}

char *chan_aliyun_signature(struct arena *a, const char *method, const char *secret, const char *const *kv, size_t n)
{
	char *canon = aliyun_canonical(a, kv, n);
	char *sts = arena_printf(a, "%s&%s&%s", method, sign_percent(a, "/"), sign_percent(a, canon));
	char *key = arena_printf(a, "%s&", secret);
	unsigned char mac[20];
	sign_hmac_sha1(key, strlen(key), sts, strlen(sts), mac);
	sodium_memzero(key, strlen(key));
	return sign_base64(a, mac, sizeof mac);
}

char *chan_tc3_authorization(struct arena *a, const char *secret_id, const char *secret_key, const char *host,
			     const char *action, const char *payload, int64_t ts)
{
	char date[11], phash[65], chash[65];
	time_t t = (time_t)ts;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(date, sizeof date, "%Y-%m-%d", &tm);
	char *act = arena_strdup(a, action);
	for (char *p = act; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	sign_sha256_hex(payload, strlen(payload), phash);
	char *creq = arena_printf(a,
				  "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:%s\nx-tc-action:%s\n\n"
				  "content-type;host;x-tc-action\n%s",
				  host, act, phash);
	sign_sha256_hex(creq, strlen(creq), chash);
	char *scope = arena_printf(a, "%s/sms/tc3_request", date);
	char *sts = arena_printf(a, "TC3-HMAC-SHA256\n%lld\n%s\n%s", (long long)ts, scope, chash);
	char *k0 = arena_printf(a, "TC3%s", secret_key);
	unsigned char kd[32], ks[32], kg[32], sig[32];
	sign_hmac_sha256(k0, strlen(k0), date, strlen(date), kd);
	sign_hmac_sha256(kd, 32, "sms", 3, ks);
	sign_hmac_sha256(ks, 32, "tc3_request", 11, kg);
	sign_hmac_sha256(kg, 32, sts, strlen(sts), sig);
	sodium_memzero(k0, strlen(k0));
	sodium_memzero(kd, sizeof kd);
	sodium_memzero(ks, sizeof ks);
	sodium_memzero(kg, sizeof kg);
	return arena_printf(a, "TC3-HMAC-SHA256 Credential=%s/%s, SignedHeaders=content-type;host;x-tc-action, Signature=%s",
			    secret_id, scope, sign_hex(a, sig, sizeof sig));
}

/* What every failed HTTP exchange means: nothing reached the provider (try again), or
 * it may have (never again by itself: the monitor shows it for a person to decide). */
static bool http_outcome(const struct chan_http_res *r, struct chan_outcome *out)
{
	if (r->failed) {
		if (r->sent_nothing) {
			out->r = CHAN_RETRY;
			snprintf(out->code, sizeof out->code, "unreachable");
			snprintf(out->error, sizeof out->error, "无法连接短信服务商：%s", r->err);
		} else {
			out->r = CHAN_FAILED;
			snprintf(out->code, sizeof out->code, "unknown_outcome");
			snprintf(out->error, sizeof out->error,
				 "短信服务商未应答（%s），无法确认是否已发送；为避免重复，不自动重发", r->err);
		}
		return true;
	}
	if (r->status >= 500) {
		out->r = CHAN_RETRY;
		snprintf(out->code, sizeof out->code, "http_%ld", r->status);
		snprintf(out->error, sizeof out->error, "短信服务商内部错误（HTTP %ld），稍后重试", r->status);
		return true;
	}
	if (!r->json) {
		out->r = CHAN_FAILED;
		snprintf(out->code, sizeof out->code, "bad_answer");
		snprintf(out->error, sizeof out->error, "短信服务商的应答无法解析（HTTP %ld）", r->status);
		return true;
	}
	return false;
}

/* The parameters as strings, in the template's order (Tencent) or as an object (Alibaba). */
static json_t *params_of(const struct outbox_claimed *m)
{
	json_t *p = json_loads(m->params, 0, NULL);
	return p ? p : json_object();
}

static const char *param_str(struct arena *a, json_t *p, const char *k)
{
	json_t *v = json_object_get(p, k);
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v))
		return arena_printf(a, "%lld", (long long)json_integer_value(v));
	return "";
}

static bool has(const char *code, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(code, *list) == 0 || (strchr(*list, '*') && strncmp(code, *list, strlen(*list) - 1) == 0))
			return true;
	return false;
}

static void send_aliyun(struct chan_ctx *c, struct arena *a, const struct outbox_claimed *m, const char *tpl,
			struct chan_outcome *out)
{
	const struct msg_settings *s = c->s;
	const struct outbox_template *t = outbox_template(m->tmpl);
	json_t *p = params_of(m), *tp = json_object();
	for (int i = 0; t && t->params[i]; i++)
		json_object_set_new(tp, t->params[i], json_string(param_str(a, p, t->params[i])));
	char *tpj = json_dumps(tp, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(tp);
	json_decref(p);
	char ts[21], nonce[33];
	clock_rfc3339(time(NULL), ts); /* the provider checks the real time, never the test clock */
	unsigned char r[16];
	randombytes_buf(r, sizeof r);
	sodium_bin2hex(nonce, sizeof nonce, r, sizeof r);
	const char *to = m->to;
	if (strncmp(to, "+86", 3) == 0)
		to += 3;
	const char *kv[] = {"AccessKeyId", s->v[MSK_ALIYUN_KEY_ID], "Action", "SendSms", "Format", "JSON",
			    "OutId", arena_printf(a, "%lld", (long long)m->id), "PhoneNumbers", to, "RegionId",
			    s->v[MSK_ALIYUN_REGION], "SignName", s->v[MSK_ALIYUN_SIGN_NAME], "SignatureMethod",
			    "HMAC-SHA1", "SignatureNonce", nonce, "SignatureVersion", "1.0", "TemplateCode", tpl,
			    "TemplateParam", tpj ? tpj : "{}", "Timestamp", ts, "Version", "2017-05-25"};
	size_t n = sizeof kv / sizeof kv[0] / 2;
	char *sig = chan_aliyun_signature(a, "POST", s->v[MSK_ALIYUN_KEY_SECRET], kv, n);
	char *body = arena_printf(a, "Signature=%s&%s", sign_percent(a, sig), aliyun_canonical(a, kv, n));
	free(tpj);
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/x-www-form-urlencoded");
	struct chan_http_res hr;
	chan_http(c, s->v[MSK_ALIYUN_ENDPOINT], hdr, body, &hr);
	curl_slist_free_all(hdr);
	if (http_outcome(&hr, out))
		goto done;
	const char *code = json_string_value(json_object_get(hr.json, "Code"));
	const char *msg = json_string_value(json_object_get(hr.json, "Message"));
	code = code ? code : "unknown";
	snprintf(out->code, sizeof out->code, "%s", code);
	if (strcmp(code, "OK") == 0) {
		const char *biz = json_string_value(json_object_get(hr.json, "BizId"));
		out->r = CHAN_SENT;
		snprintf(out->provider_id, sizeof out->provider_id, "%s", biz ? biz : "");
		goto done;
	}
	static const char *const retry[] = {"isv.BUSINESS_LIMIT_CONTROL", "Throttling*", "isp.SYSTEM_ERROR",
					    "ServiceUnavailable", NULL};
	out->r = has(code, retry) ? CHAN_RETRY : CHAN_FAILED;
	snprintf(out->error, sizeof out->error, "%s：%.150s",
		 out->r == CHAN_RETRY ? "阿里云短信限流或暂不可用，稍后重试" : "阿里云短信拒绝发送", msg ? msg : code);
done:
	json_decref(hr.json);
}

/* host of an URL ("https://h:p/x" → "h:p"), arena-owned */
static const char *url_host(struct arena *a, const char *url)
{
	const char *p = strstr(url, "://");
	p = p ? p + 3 : url;
	size_t n = strcspn(p, "/?#");
	return arena_strndup(a, p, n);
}

static void send_tencent(struct chan_ctx *c, struct arena *a, const struct outbox_claimed *m, const char *tpl,
			 struct chan_outcome *out)
{
	const struct msg_settings *s = c->s;
	const struct outbox_template *t = outbox_template(m->tmpl);
	json_t *p = params_of(m), *set = json_array();
	for (int i = 0; t && t->params[i]; i++)
		json_array_append_new(set, json_string(param_str(a, p, t->params[i])));
	json_decref(p);
	const char *to = m->to;
	json_t *req = json_pack("{s:[s], s:s, s:s, s:s, s:o, s:s}", "PhoneNumberSet",
				strncmp(to, "+86", 3) == 0 ? to : arena_printf(a, "+86%s", to), "SmsSdkAppId",
				s->v[MSK_TENCENT_APP_ID], "SignName", s->v[MSK_TENCENT_SIGN_NAME], "TemplateId", tpl,
				"TemplateParamSet", set, "SessionContext", m->dedup_key);
	char *payload = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!payload) {
		out->r = CHAN_RETRY;
		snprintf(out->code, sizeof out->code, "oom");
		return;
	}
	int64_t ts = (int64_t)time(NULL); /* the provider checks the real time */
	const char *host = url_host(a, s->v[MSK_TENCENT_ENDPOINT]);
	char *auth = chan_tc3_authorization(a, s->v[MSK_TENCENT_SECRET_ID], s->v[MSK_TENCENT_SECRET_KEY], host, "SendSms",
					    payload, ts);
	struct curl_slist *hdr = NULL;
	hdr = curl_slist_append(hdr, arena_printf(a, "Authorization: %s", auth));
	hdr = curl_slist_append(hdr, "Content-Type: application/json; charset=utf-8");
	hdr = curl_slist_append(hdr, arena_printf(a, "Host: %s", host));
	hdr = curl_slist_append(hdr, "X-TC-Action: SendSms");
	hdr = curl_slist_append(hdr, arena_printf(a, "X-TC-Timestamp: %lld", (long long)ts));
	hdr = curl_slist_append(hdr, "X-TC-Version: 2021-01-11");
	hdr = curl_slist_append(hdr, arena_printf(a, "X-TC-Region: %s", s->v[MSK_TENCENT_REGION]));
	struct chan_http_res hr;
	chan_http(c, s->v[MSK_TENCENT_ENDPOINT], hdr, payload, &hr);
	curl_slist_free_all(hdr);
	free(payload);
	if (http_outcome(&hr, out))
		goto done;
	json_t *resp = json_object_get(hr.json, "Response");
	json_t *err = json_object_get(resp, "Error");
	static const char *const retry[] = {"LimitExceeded*", "RequestLimitExceeded*", "InternalError*",
					    "FailedOperation.FailResolvePacket", NULL};
	if (err) {
		const char *code = json_string_value(json_object_get(err, "Code"));
		const char *msg = json_string_value(json_object_get(err, "Message"));
		code = code ? code : "unknown";
		snprintf(out->code, sizeof out->code, "%s", code);
		out->r = has(code, retry) ? CHAN_RETRY : CHAN_FAILED;
		snprintf(out->error, sizeof out->error, "%s：%.150s",
			 out->r == CHAN_RETRY ? "腾讯云短信限流或暂不可用，稍后重试" : "腾讯云短信拒绝发送", msg ? msg : code);
		goto done;
	}
	json_t *st = json_array_get(json_object_get(resp, "SendStatusSet"), 0);
	const char *code = json_string_value(json_object_get(st, "Code"));
	const char *msg = json_string_value(json_object_get(st, "Message"));
	code = code ? code : "unknown";
	snprintf(out->code, sizeof out->code, "%s", code);
	if (strcmp(code, "Ok") == 0) {
		const char *sn = json_string_value(json_object_get(st, "SerialNo"));
		out->r = CHAN_SENT;
		snprintf(out->provider_id, sizeof out->provider_id, "%s", sn ? sn : "");
		goto done;
	}
	out->r = has(code, retry) ? CHAN_RETRY : CHAN_FAILED;
	snprintf(out->error, sizeof out->error, "%s：%.150s",
		 out->r == CHAN_RETRY ? "腾讯云短信限流，稍后重试" : "腾讯云短信拒绝发送", msg ? msg : code);
done:
	json_decref(hr.json);
}

void chan_send(struct chan_ctx *c, struct arena *a, const struct outbox_claimed *m, struct chan_outcome *out)
{
	memset(out, 0, sizeof *out);
	if (strcmp(m->channel, "wechat") == 0) {
		chan_wechat_send(c, a, m, out);
		return;
	}
	if (strcmp(m->channel, "sms") != 0) {
		out->r = CHAN_FAILED;
		snprintf(out->code, sizeof out->code, "no_channel");
		snprintf(out->error, sizeof out->error, "该渠道尚未接入");
		return;
	}
	if (!chan_mobile_valid(m->to)) {
		out->r = CHAN_FAILED;
		snprintf(out->code, sizeof out->code, "bad_number");
		snprintf(out->error, sizeof out->error, "手机号不是有效的大陆手机号");
		return;
	}
	const char *tpl = msg_settings_sms_template(c->s, m->tmpl);
	if (!*tpl) {
		out->r = CHAN_FAILED;
		snprintf(out->code, sizeof out->code, "no_template");
		snprintf(out->error, sizeof out->error, "未设置该类消息的短信模板编号");
		return;
	}
	if (strcmp(c->s->v[MSK_SMS_PROVIDER], "aliyun") == 0)
		send_aliyun(c, a, m, tpl, out);
	else if (strcmp(c->s->v[MSK_SMS_PROVIDER], "tencent") == 0)
		send_tencent(c, a, m, tpl, out);
	else {
		out->r = CHAN_RETRY;
		snprintf(out->code, sizeof out->code, "no_provider");
		snprintf(out->error, sizeof out->error, "未配置短信服务商");
	}
}
