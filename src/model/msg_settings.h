/* msg_settings.h: the messages' settings (issue 16): quiet hours, caps, retries, rates,
 * the SMS providers' endpoints, accounts and approved template codes, the scheduled
 * runs' times. Declared once in a table (msg_settings.c) with type, bounds and
 * default; stored in message_settings (0075) only when changed. A provider's secret is
 * a setting too, but its value is sealed with the data key (the key directory,
 * dj_seal) before it reaches the table and is never shown or logged: the API says
 * only whether it is set. */
#ifndef DJ_MSG_SETTINGS_H
#define DJ_MSG_SETTINGS_H
#include "db/db.h"
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct arena;

enum msg_key {
	MSK_QUIET_START,
	MSK_QUIET_END,
	MSK_DAILY_CAP,
	MSK_MAX_ATTEMPTS,
	MSK_BACKOFF_SECONDS,
	MSK_SMS_RATE,
	MSK_WECHAT_RATE,
	MSK_SMS_PROVIDER,
	MSK_ALIYUN_ENDPOINT,
	MSK_ALIYUN_KEY_ID,
	MSK_ALIYUN_KEY_SECRET,
	MSK_ALIYUN_SIGN_NAME,
	MSK_ALIYUN_REGION,
	MSK_TENCENT_ENDPOINT,
	MSK_TENCENT_SECRET_ID,
	MSK_TENCENT_SECRET_KEY,
	MSK_TENCENT_APP_ID,
	MSK_TENCENT_SIGN_NAME,
	MSK_TENCENT_REGION,
	MSK_SMS_TPL_BIRTHDAY,
	MSK_SMS_TPL_TERM_DUE,
	MSK_SMS_TPL_STUDY,
	MSK_SMS_TPL_NOTICE,
	MSK_SMS_TPL_SVC_FOLLOW,
	MSK_BIRTHDAY_TIME,
	MSK_BIRTHDAY_CHANNELS,
	MSK_TERM_DUE_TIME,
	/* WeChat Official Account (公众号) */
	MSK_WECHAT_APPID,
	MSK_WECHAT_SECRET,
	MSK_WECHAT_API_BASE,
	MSK_WECHAT_OAUTH_URL,
	MSK_WECHAT_REDIRECT_URL,
	MSK_WECHAT_TPL_BIRTHDAY,
	MSK_WECHAT_TPL_TERM_DUE,
	MSK_WECHAT_TPL_STUDY,
	MSK_WECHAT_TPL_NOTICE,
	MSK_WECHAT_FIELDS_BIRTHDAY,
	MSK_WECHAT_FIELDS_TERM_DUE,
	MSK_WECHAT_FIELDS_STUDY,
	MSK_WECHAT_FIELDS_NOTICE,
	MSK_WECHAT_CALLBACK_TOKEN,
	MSK__MAX
};

/* The values in force (defaults where not set), arena-owned; secrets opened. */
struct msg_settings {
	const char *v[MSK__MAX];
};

/* Loads every setting; secrets are opened only with open_secrets (the sender). */
enum db_rc msg_settings_load(struct db *db, struct arena *a, bool open_secrets, struct msg_settings *out);
int64_t msg_settings_int(const struct msg_settings *s, enum msg_key k);
/* "HH:MM" of k as minutes after midnight. */
int msg_settings_minutes(const struct msg_settings *s, enum msg_key k);
/* The SMS template code for a message template code ("birthday"), or "" when none. */
const char *msg_settings_sms_template(const struct msg_settings *s, const char *tmpl);
/* The WeChat template id for a message template code, or "" when none; and its field
 * map ("keyword1:name,keyword2:years": the 公众号 template's data keys and which of our
 * parameters, or title / body, fills each), "" when the template's parameters go under
 * their own names. */
const char *msg_settings_wechat_template(const struct msg_settings *s, const char *tmpl);
const char *msg_settings_wechat_fields(const struct msg_settings *s, const char *tmpl);
/* True when the secret k has a value stored (sealed). */
bool msg_settings_secret_set(struct db *db, enum msg_key k);
/* The settings as the API shows them: {items:[{key, name, type, value, secret, set}]}
 * (a secret's value is null). New reference, NULL on error. */
json_t *msg_settings_json(struct db *db);
/* Sets key from JSON value (validated: field errors through why, Chinese). In the
 * caller's write transaction. DB_OK, DB_NOT_FOUND for an unknown key, DB_CONSTRAINT
 * for a bad value (why says why), or the failure. */
enum db_rc msg_settings_set(struct db *db, const char *key, json_t *value, int64_t now, char *why, size_t whylen);
#endif
