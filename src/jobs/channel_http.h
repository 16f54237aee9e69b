/* channel_http.h: what the channels share inside src/jobs (not for other layers): the
 * pass's context and one HTTP exchange with a provider over libcurl. */
#ifndef DJ_CHANNEL_HTTP_H
#define DJ_CHANNEL_HTTP_H
#include "model/msg_settings.h"
#include <curl/curl.h>
#include <jansson.h>
#include <stdbool.h>

struct chan_ctx {
	const struct msg_settings *s;
	CURL *curl;
};

struct chan_http_res {
	long status;
	bool sent_nothing; /* the request never reached the provider: safe to try again */
	bool failed;       /* no answer */
	char err[128];
	json_t *json;      /* the answer parsed, or NULL (the caller decrefs) */
};

/* POSTs body to url (GET when body is NULL) with the headers hdr (may be NULL), within
 * the provider timeout; the answer's JSON in r->json. The URL may carry a secret (the
 * WeChat token): it is never logged here. */
void chan_http(struct chan_ctx *c, const char *url, struct curl_slist *hdr, const char *body,
	       struct chan_http_res *r);
#endif
