/* channel.h: the channels a queued message leaves by, behind one interface (issue 16).
 * A channel sends one claimed outbox row and says how it went: sent (with the
 * provider's id), retry later (rate limit, the provider's 5xx, nothing reached it),
 * or failed for good (bad template, bad number, a refused signature, or an outcome we
 * cannot know: the request reached the provider and no answer came, so sending again
 * could send twice). In-app messages need no channel: the row is the delivery
 * (model/outbox.c). SMS: Alibaba Cloud SendSms (RPC signature, HMAC-SHA1) and Tencent
 * Cloud SendSms (TC3-HMAC-SHA256), over libcurl, in channel_sms.c. WeChat Official
 * Account (公众号) template messages, its access token and the OAuth2 code exchange
 * that links a member's openid, in channel_wechat.c. */
#ifndef DJ_CHANNEL_H
#define DJ_CHANNEL_H
#include "model/msg_settings.h"
#include "model/outbox.h"
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct arena;

enum chan_result { CHAN_SENT, CHAN_RETRY, CHAN_FAILED };

struct chan_outcome {
	enum chan_result r;
	char provider_id[128];
	char code[96];   /* the provider's code or ours (bad_number, unknown_outcome, http_500 …) */
	char error[256]; /* Chinese, for the monitor; never a secret, a mobile or a body */
};

/* One sender pass's connection to the providers (a curl handle kept alive across
 * messages). chan_open never fails for lack of a provider: sending then answers
 * failed/retry as the settings say. */
struct chan_ctx;
struct chan_ctx *chan_open(const struct msg_settings *s);
void chan_close(struct chan_ctx *c);
/* True when channel ("sms", "wechat") has a provider configured. */
bool chan_ready(const struct msg_settings *s, const char *channel);
/* Sends m (its `to` already opened) on its channel. a: the pass's arena. */
void chan_send(struct chan_ctx *c, struct arena *a, const struct outbox_claimed *m, struct chan_outcome *out);

/* ---- WeChat Official Account (channel_wechat.c) ---- */
/* Sends m (its `to` the member's openid) as a template message
 * (/cgi-bin/message/template/send), with the cached access token; an expired or
 * refused token (40001, 42001, 40014) is fetched again and the send tried once more. */
void chan_wechat_send(struct chan_ctx *c, struct arena *a, const struct outbox_claimed *m, struct chan_outcome *out);
/* OAuth2 snsapi_base: exchanges the code the authorization redirect brought for the
 * openid (/sns/oauth2/access_token). s: the settings with the secret opened. True
 * with openid; false with code ("40029", "unreachable" …) and a Chinese error. */
bool chan_wechat_openid(const struct msg_settings *s, const char *code, char openid[129], char err_code[96],
			char error[256]);
/* Pushes the account's menu (JSON {"button": […]}) by /cgi-bin/menu/create, with the
 * cached token (a refused one fetched anew, once). True, or false with WeChat's
 * errcode (or ours: unreachable …) and a Chinese error. */
bool chan_wechat_menu_create(const struct msg_settings *s, const char *menu, char err_code[96], char error[256]);
/* The access token cache of this process, for the status page: {cached, expires_at,
 * fetched_at, fetches} (never the token). New reference. */
json_t *chan_wechat_token_json(void);

/* A mainland mobile number: 11 digits, 1[3-9]…, optionally +86 first. */
bool chan_mobile_valid(const char *s);

/* ---- the signatures, exposed for the unit tests ---- */
/* Alibaba Cloud RPC: the signature (Base64 of HMAC-SHA1 with secret + "&") of the
 * n key/value pairs (kv[2i], kv[2i+1]; any order) for method. Arena-owned. */
char *chan_aliyun_signature(struct arena *a, const char *method, const char *secret, const char *const *kv, size_t n);
/* Tencent Cloud TC3-HMAC-SHA256: the Authorization header's value for a POST of
 * payload (JSON) to host with action, at Unix time ts, service "sms". Arena-owned. */
char *chan_tc3_authorization(struct arena *a, const char *secret_id, const char *secret_key, const char *host,
			     const char *action, const char *payload, int64_t ts);
#endif
