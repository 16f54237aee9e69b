/* channel_http.c: see channel_http.h. */
#include "jobs/channel_http.h"
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct buf {
	char *p;
	size_t n, cap;
};

static size_t on_body(char *d, size_t sz, size_t nm, void *u)
{
	struct buf *b = u;
	size_t n = sz * nm;
	if (b->n + n + 1 > 65536)
		return 0; /* a provider's answer is small: more is not one */
	if (b->n + n + 1 > b->cap) {
		size_t cap = (b->n + n + 1) * 2;
		char *p = realloc(b->p, cap);
		if (!p)
			return 0;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, d, n);
	b->n += n;
	b->p[b->n] = 0;
	return n;
}

void chan_http(struct chan_ctx *c, const char *url, struct curl_slist *hdr, const char *body,
	       struct chan_http_res *r)
{
	memset(r, 0, sizeof *r);
	if (!c->curl)
		c->curl = curl_easy_init();
	CURL *h = c->curl;
	if (!h) {
		r->failed = r->sent_nothing = true;
		snprintf(r->err, sizeof r->err, "curl init");
		return;
	}
	curl_easy_reset(h);
	struct buf b = {0};
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	if (body) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	} else {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	}
	if (hdr)
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)cfg.provider_timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)cfg.provider_timeout_ms);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	CURLcode rc = curl_easy_perform(h);
	if (rc != CURLE_OK) {
		long sent = 0;
		curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &sent);
		r->failed = true;
		r->sent_nothing = sent == 0 || rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST;
		snprintf(r->err, sizeof r->err, "%s", curl_easy_strerror(rc));
	} else {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
		r->json = b.p ? json_loads(b.p, 0, NULL) : NULL;
	}
	free(b.p);
}

