/* msg_settings.c: see msg_settings.h. */
#include "model/msg_settings.h"
#include "core/arena.h"
#include "core/crypto.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum ms_type { MST_TEXT, MST_INT, MST_HHMM, MST_URL, MST_ENUM, MST_SECRET, MST_CHANNELS, MST_FIELDS };

struct ms_def {
	const char *key, *name, *def;
	enum ms_type type;
	int64_t min, max; /* INT bounds; TEXT: max characters */
	const char *const *allowed;
};

static const char *const providers[] = {"none", "aliyun", "tencent", NULL};

static const struct ms_def defs[MSK__MAX] = {
	[MSK_QUIET_START] = {"quiet_start", "免打扰开始（不发短信）", "21:00", MST_HHMM},
	[MSK_QUIET_END] = {"quiet_end", "免打扰结束", "08:00", MST_HHMM},
	[MSK_DAILY_CAP] = {"daily_cap", "每人每日短信/微信上限（条）", "3", MST_INT, 0, 100},
	[MSK_MAX_ATTEMPTS] = {"max_attempts", "最多尝试次数", "5", MST_INT, 1, 20},
	[MSK_BACKOFF_SECONDS] = {"backoff_seconds", "重试间隔基数（秒，逐次加倍）", "60", MST_INT, 1, 86400},
	[MSK_SMS_RATE] = {"sms_rate", "短信发送速率（条/秒）", "50", MST_INT, 1, 100000},
	[MSK_WECHAT_RATE] = {"wechat_rate", "微信发送速率（条/秒）", "50", MST_INT, 1, 100000},
	[MSK_SMS_PROVIDER] = {"sms_provider", "短信服务商", "none", MST_ENUM, 0, 0, providers},
	[MSK_ALIYUN_ENDPOINT] = {"aliyun_endpoint", "阿里云短信接口地址", "https://dysmsapi.aliyuncs.com/", MST_URL, 0, 200},
	[MSK_ALIYUN_KEY_ID] = {"aliyun_access_key_id", "阿里云 AccessKey ID", "", MST_TEXT, 0, 100},
	[MSK_ALIYUN_KEY_SECRET] = {"aliyun_access_key_secret", "阿里云 AccessKey Secret", "", MST_SECRET, 0, 200},
	[MSK_ALIYUN_SIGN_NAME] = {"aliyun_sign_name", "阿里云短信签名", "", MST_TEXT, 0, 50},
	[MSK_ALIYUN_REGION] = {"aliyun_region", "阿里云地域", "cn-hangzhou", MST_TEXT, 0, 50},
	[MSK_TENCENT_ENDPOINT] = {"tencent_endpoint", "腾讯云短信接口地址", "https://sms.tencentcloudapi.com/", MST_URL, 0, 200},
	[MSK_TENCENT_SECRET_ID] = {"tencent_secret_id", "腾讯云 SecretId", "", MST_TEXT, 0, 100},
	[MSK_TENCENT_SECRET_KEY] = {"tencent_secret_key", "腾讯云 SecretKey", "", MST_SECRET, 0, 200},
	[MSK_TENCENT_APP_ID] = {"tencent_sdk_app_id", "腾讯云短信 SdkAppId", "", MST_TEXT, 0, 50},
	[MSK_TENCENT_SIGN_NAME] = {"tencent_sign_name", "腾讯云短信签名", "", MST_TEXT, 0, 50},
	[MSK_TENCENT_REGION] = {"tencent_region", "腾讯云地域", "ap-guangzhou", MST_TEXT, 0, 50},
	[MSK_SMS_TPL_BIRTHDAY] = {"sms_tpl_birthday", "短信模板：政治生日", "", MST_TEXT, 0, 50},
	[MSK_SMS_TPL_TERM_DUE] = {"sms_tpl_term_due", "短信模板：换届提醒", "", MST_TEXT, 0, 50},
	[MSK_SMS_TPL_STUDY] = {"sms_tpl_study", "短信模板：学习专题", "", MST_TEXT, 0, 50},
	[MSK_SMS_TPL_NOTICE] = {"sms_tpl_notice", "短信模板：通知", "", MST_TEXT, 0, 50},
	[MSK_SMS_TPL_SVC_FOLLOW] = {"sms_tpl_svc_follow", "短信模板：服务诉求查询码", "", MST_TEXT, 0, 50},
	[MSK_BIRTHDAY_TIME] = {"birthday_time", "政治生日祝福发送时间", "09:00", MST_HHMM},
	[MSK_BIRTHDAY_CHANNELS] = {"birthday_channels", "政治生日祝福渠道", "inapp,sms", MST_CHANNELS},
	[MSK_TERM_DUE_TIME] = {"term_due_time", "提醒检查时间（换届、转接、预备期、三会一课、基地预约）", "08:30", MST_HHMM},
	/* WeChat Official Account (公众号) */
	[MSK_WECHAT_APPID] = {"wechat_appid", "公众号 AppID", "", MST_TEXT, 0, 64},
	[MSK_WECHAT_SECRET] = {"wechat_secret", "公众号 AppSecret", "", MST_SECRET, 0, 128},
	[MSK_WECHAT_API_BASE] = {"wechat_api_base", "微信接口地址", "https://api.weixin.qq.com", MST_URL, 0, 200},
	[MSK_WECHAT_OAUTH_URL] = {"wechat_oauth_url", "微信网页授权地址", "https://open.weixin.qq.com/connect/oauth2/authorize",
				  MST_URL, 0, 200},
	[MSK_WECHAT_REDIRECT_URL] = {"wechat_redirect_url", "绑定页面地址（手机页 /m/wechat）", "", MST_URL, 0,
				     300},
	[MSK_WECHAT_TPL_BIRTHDAY] = {"wechat_tpl_birthday", "微信模板：政治生日", "", MST_TEXT, 0, 64},
	[MSK_WECHAT_TPL_TERM_DUE] = {"wechat_tpl_term_due", "微信模板：换届提醒", "", MST_TEXT, 0, 64},
	[MSK_WECHAT_TPL_STUDY] = {"wechat_tpl_study", "微信模板：学习专题", "", MST_TEXT, 0, 64},
	[MSK_WECHAT_TPL_NOTICE] = {"wechat_tpl_notice", "微信模板：通知", "", MST_TEXT, 0, 64},
	[MSK_WECHAT_FIELDS_BIRTHDAY] = {"wechat_fields_birthday", "微信模板字段：政治生日", "", MST_FIELDS, 0, 200},
	[MSK_WECHAT_FIELDS_TERM_DUE] = {"wechat_fields_term_due", "微信模板字段：换届提醒", "", MST_FIELDS, 0, 200},
	[MSK_WECHAT_FIELDS_STUDY] = {"wechat_fields_study", "微信模板字段：学习专题", "", MST_FIELDS, 0, 200},
	[MSK_WECHAT_FIELDS_NOTICE] = {"wechat_fields_notice", "微信模板字段：通知", "", MST_FIELDS, 0, 200},
	[MSK_WECHAT_CALLBACK_TOKEN] = {"wechat_callback_token", "公众号服务器配置 Token（消息回调验签）", "", MST_SECRET, 0, 32},
};

static const char *const type_names[] = {"text", "int", "time", "url", "enum", "secret", "channels", "fields"};

enum ms_stmt { STMT_MS_ALL, STMT_MS_SET, STMT_MS_SEALED, MS_STMT__MAX };
enum ms_col { MS_COL_KEY, MS_COL_VALUE, MS_COL_SEALED };
static const struct db_sql ms_sql[MS_STMT__MAX] = {
	[STMT_MS_ALL] = {"msg_settings.all", "SELECT key, value, sealed FROM message_settings"},
	[STMT_MS_SET] = {"msg_settings.set",
	 "INSERT INTO message_settings (key, value, sealed, updated_at) VALUES ($1, $2, $3, $4)"
	 " ON CONFLICT (key) DO UPDATE SET value = excluded.value, sealed = excluded.sealed,"
	 " updated_at = excluded.updated_at"},
	[STMT_MS_SEALED] = {"msg_settings.sealed", "SELECT 1 FROM message_settings WHERE key = $1 AND sealed IS NOT NULL"},
};
DB_SQL_TABLE(msg_settings, ms_sql);

static int find(const char *key)
{
	for (int i = 0; i < MSK__MAX; i++)
		if (strcmp(defs[i].key, key) == 0)
			return i;
	return -1;
}

enum db_rc msg_settings_load(struct db *db, struct arena *a, bool open_secrets, struct msg_settings *out)
{
	for (int i = 0; i < MSK__MAX; i++)
		out->v[i] = defs[i].def;
	struct db_stmt *st = db_prepare(db, &ms_sql[STMT_MS_ALL]);
	if (!st)
		return DB_ERROR;
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW) {
		int k = find(db_col_text(st, MS_COL_KEY));
		if (k < 0)
			continue;
		if (defs[k].type == MST_SECRET) {
			if (open_secrets && !db_col_null(st, MS_COL_SEALED)) {
				const char *p = dj_open(a, db_col_blob(st, MS_COL_SEALED), db_col_len(st, MS_COL_SEALED),
							"message_settings.secret", NULL);
				out->v[k] = p ? p : "";
			}
		} else if (!db_col_null(st, MS_COL_VALUE)) {
			out->v[k] = db_col_dup(a, st, MS_COL_VALUE);
		}
	}
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

int64_t msg_settings_int(const struct msg_settings *s, enum msg_key k)
{
	return strtoll(s->v[k], NULL, 10);
}

int msg_settings_minutes(const struct msg_settings *s, enum msg_key k)
{
	const char *v = s->v[k];
	return atoi(v) * 60 + (strlen(v) >= 5 ? atoi(v + 3) : 0);
}

const char *msg_settings_sms_template(const struct msg_settings *s, const char *tmpl)
{
	static const struct {
		const char *code;
		enum msg_key k;
	} map[] = {{"birthday", MSK_SMS_TPL_BIRTHDAY}, {"term_due", MSK_SMS_TPL_TERM_DUE}, {"study", MSK_SMS_TPL_STUDY},
		   {"notice", MSK_SMS_TPL_NOTICE}, {"svc_follow", MSK_SMS_TPL_SVC_FOLLOW}};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(map[i].code, tmpl) == 0)
			return s->v[map[i].k];
	return "";
}

static const struct {
	const char *code;
	enum msg_key tpl, fields;
} wx_map[] = {{"birthday", MSK_WECHAT_TPL_BIRTHDAY, MSK_WECHAT_FIELDS_BIRTHDAY},
	      {"term_due", MSK_WECHAT_TPL_TERM_DUE, MSK_WECHAT_FIELDS_TERM_DUE},
	      {"study", MSK_WECHAT_TPL_STUDY, MSK_WECHAT_FIELDS_STUDY},
	      {"notice", MSK_WECHAT_TPL_NOTICE, MSK_WECHAT_FIELDS_NOTICE}};

const char *msg_settings_wechat_template(const struct msg_settings *s, const char *tmpl)
{
	for (size_t i = 0; i < sizeof wx_map / sizeof wx_map[0]; i++)
		if (strcmp(wx_map[i].code, tmpl) == 0)
			return s->v[wx_map[i].tpl];
	return "";
}

const char *msg_settings_wechat_fields(const struct msg_settings *s, const char *tmpl)
{
	for (size_t i = 0; i < sizeof wx_map / sizeof wx_map[0]; i++)
		if (strcmp(wx_map[i].code, tmpl) == 0)
			return s->v[wx_map[i].fields];
	return "";
}

bool msg_settings_secret_set(struct db *db, enum msg_key k)
{
	struct db_stmt *st = db_prepare(db, &ms_sql[STMT_MS_SEALED]);
	if (!st)
		return false;
	db_bind_text(st, 1, defs[k].key, -1);
	bool set = db_step(st) == DB_ROW;
	db_reset(st);
	return set;
}

json_t *msg_settings_json(struct db *db)
{
	struct arena *a = arena_new();
	if (!a)
		return NULL;
	struct msg_settings s;
	bool set[MSK__MAX] = {0};
	json_t *items = NULL;
	if (msg_settings_load(db, a, false, &s) != DB_OK)
		goto out;
	struct db_stmt *st = db_prepare(db, &ms_sql[STMT_MS_ALL]);
	if (!st)
		goto out;
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW) {
		int k = find(db_col_text(st, MS_COL_KEY));
		if (k >= 0)
			set[k] = defs[k].type == MST_SECRET ? !db_col_null(st, MS_COL_SEALED) : !db_col_null(st, MS_COL_VALUE);
	}
	db_reset(st);
	if (rc != DB_DONE)
		goto out;
	items = json_array();
	for (int i = 0; i < MSK__MAX; i++) {
		bool secret = defs[i].type == MST_SECRET;
		json_t *o = json_pack("{s:s, s:s, s:s, s:b, s:b}", "key", defs[i].key, "name", defs[i].name, "type",
				      type_names[defs[i].type], "secret", secret, "set", set[i]);
		json_object_set_new(o, "value", secret ? json_null() : json_string(s.v[i]));
		if (defs[i].allowed) {
			json_t *al = json_array();
			for (const char *const *p = defs[i].allowed; *p; p++)
				json_array_append_new(al, json_string(*p));
			json_object_set_new(o, "allowed", al);
		}
		json_array_append_new(items, o);
	}
out:
	arena_free(a);
	return items ? json_pack("{s:o}", "items", items) : NULL;
}

static bool hhmm_valid(const char *v)
{
	return strlen(v) == 5 && v[0] >= '0' && v[0] <= '2' && v[1] >= '0' && v[1] <= '9' && v[2] == ':' &&
	       v[3] >= '0' && v[3] <= '5' && v[4] >= '0' && v[4] <= '9' && atoi(v) < 24;
}

static bool channels_valid(const char *v)
{
	/* a comma-separated subset of inapp, sms, wechat (may be empty) */
	char buf[64];
	if (strlen(v) >= sizeof buf)
		return false;
	snprintf(buf, sizeof buf, "%s", v);
	char *save = NULL;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
		if (strcmp(t, "inapp") != 0 && strcmp(t, "sms") != 0 && strcmp(t, "wechat") != 0)
			return false;
	return true;
}

/* "key:param,key:param" (may be empty): key [A-Za-z0-9_]{1,32}, param [a-z_]{1,32} */
static bool fields_valid(const char *v)
{
	const char *p = v;
	while (*p) {
		size_t k = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");
		if (k == 0 || k > 32 || p[k] != ':')
			return false;
		p += k + 1;
		size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz_");
		if (n == 0 || n > 32 || (p[n] != ',' && p[n] != 0))
			return false;
		p += n;
		if (*p == ',' && !*++p)
			return false;
	}
	return true;
}

enum db_rc msg_settings_set(struct db *db, const char *key, json_t *value, int64_t now, char *why, size_t whylen)
{
	int k = find(key);
	if (k < 0) {
		snprintf(why, whylen, "未知的设置项");
		return DB_NOT_FOUND;
	}
	const struct ms_def *d = &defs[k];
	char num[32];
	const char *v = NULL;
	if (json_is_integer(value) && d->type == MST_INT) {
		snprintf(num, sizeof num, "%lld", (long long)json_integer_value(value));
		v = num;
	} else if (json_is_string(value)) {
		v = json_string_value(value);
	} else if (json_is_null(value)) { /* back to the default */
		v = NULL;
	} else {
		snprintf(why, whylen, "设置值的类型不对");
		return DB_CONSTRAINT;
	}
	bool ok = true;
	if (v) {
		for (const char *p = v; *p; p++)
			if ((unsigned char)*p < 0x20)
				ok = false;
		switch (d->type) {
		case MST_INT: {
			char *e;
			long long n = strtoll(v, &e, 10);
			ok = ok && *v && !*e && n >= d->min && n <= d->max;
			if (!ok)
				snprintf(why, whylen, "应为 %lld 到 %lld 之间的整数", (long long)d->min, (long long)d->max);
			break;
		}
		case MST_HHMM:
			ok = ok && hhmm_valid(v);
			if (!ok)
				snprintf(why, whylen, "时间应为 HH:MM");
			break;
		case MST_URL:
			ok = ok && (strncmp(v, "https://", 8) == 0 || strncmp(v, "http://", 7) == 0) &&
			     strlen(v) <= (size_t)d->max && !strchr(v, ' ');
			if (!ok)
				snprintf(why, whylen, "应为 http(s):// 开头的地址");
			break;
		case MST_ENUM:
			ok = false;
			for (const char *const *p = d->allowed; *p; p++)
				ok = ok || strcmp(*p, v) == 0;
			if (!ok)
				snprintf(why, whylen, "取值不在允许范围内");
			break;
		case MST_CHANNELS:
			ok = ok && channels_valid(v);
			if (!ok)
				snprintf(why, whylen, "渠道应为 inapp、sms、wechat 以逗号分隔");
			break;
		case MST_FIELDS:
			ok = ok && fields_valid(v) && strlen(v) <= (size_t)d->max;
			if (!ok)
				snprintf(why, whylen, "应为“模板字段:参数”以逗号分隔，字段为字母数字下划线，参数为模板参数或 title、body");
			break;
		case MST_TEXT:
		case MST_SECRET:
			ok = ok && strlen(v) <= (size_t)(d->max * 3);
			if (!ok)
				snprintf(why, whylen, "内容过长或含控制字符");
			break;
		}
	}
	if (!ok)
		return DB_CONSTRAINT;
	struct db_stmt *st = db_prepare(db, &ms_sql[STMT_MS_SET]);
	if (!st)
		return DB_ERROR;
	struct arena *a = arena_new();
	if (!a)
		return DB_ERROR;
	db_bind_text(st, 1, d->key, -1);
	if (d->type == MST_SECRET) {
		db_bind_null(st, 2);
		if (v && *v) {
			size_t n;
			unsigned char *blob = dj_seal(a, v, strlen(v), "message_settings.secret", &n);
			db_bind_blob(st, 3, blob, n);
		} else {
			db_bind_null(st, 3);
		}
	} else {
		db_bind_opt_text(st, 2, v);
		db_bind_null(st, 3);
	}
	db_bind_int(st, 4, now);
	enum db_rc rc = db_step(st);
	db_reset(st);
	arena_free(a);
	return rc == DB_DONE ? DB_OK : rc;
}
