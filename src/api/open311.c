/* open311.c: Open311 GeoReport v2 under /open311/v2/ (issue 18, DOMAIN.md §7): the
 * service list and definitions, filing with an API key (form-encoded as the spec says, or
 * JSON), the public request list and one request. JSON only (XML is not offered: see
 * docs/openapi.yaml). Errors use the spec's body, [{"code": N, "description": "…"}].
 * Every answer is public: no contact, no internal note, numbers in texts starred. */
#include "api/services_util.h"
#include "config.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/date.h"
#include "core/jsonw.h"
#include "model/revcache.h"
#include "model/token.h"
#include <stdlib.h>
#include <string.h>

/* The spec's error body, always an array. */
static void o311_error(struct request *req, int status, const char *description)
{
	req_reply_json(req, status, json_pack("[{s:i, s:s}]", "code", status, "description", description));
	if (status == 429)
		req_add_header(req, "Retry-After", "60");
}

/* A query argument, or a field of the form / JSON body (POST). */
struct o311_form {
	json_t *fields; /* object of strings (form) or the JSON body */
};

static const char *arg(struct request *req, const struct o311_form *f, const char *name)
{
	if (f && f->fields) {
		json_t *v = json_object_get(f->fields, name);
		if (json_is_string(v))
			return json_string_value(v);
		if (json_is_number(v))
			return arena_printf(req->arena, "%.7f", json_number_value(v));
		if (json_is_integer(v))
			return arena_printf(req->arena, "%lld", (long long)json_integer_value(v));
		return NULL;
	}
	return req_query(req, name);
}

/* Checks jurisdiction_id (optional: this server answers for one) and the address's rate. */
static bool gate(struct request *req, const struct o311_form *f)
{
	if (!svc_public_allow(req)) {
		o311_error(req, 429, "too many requests from this address; retry after a minute");
		return false;
	}
	const char *j = arg(req, f, "jurisdiction_id");
	if (j && *j && strcmp(j, cfg.services_jurisdiction) != 0) {
		o311_error(req, 404, "jurisdiction_id not found");
		return false;
	}
	return true;
}

/* "{code}.json" → code, or NULL (another format: not offered). */
static const char *strip_json(struct request *req, const char *seg)
{
	size_t n = seg ? strlen(seg) : 0;
	if (n <= 5 || strcmp(seg + n - 5, ".json") != 0)
		return NULL;
	return arena_strndup(req->arena, seg, n - 5);
}

static void get_services(struct request *req)
{
	if (!gate(req, NULL))
		return;
	json_t *items = json_array();
	enum db_rc rc = svc_service_list(req->db, req->arena, true, true, items);
	if (rc != DB_OK) {
		json_decref(items);
		o311_error(req, 500, "internal error");
		return;
	}
	req_reply_json(req, 200, items);
}

static void get_service(struct request *req)
{
	if (!gate(req, NULL))
		return;
	const char *code = strip_json(req, req_param(req, "code"));
	struct svc_service s;
	if (!code || svc_service_by_code(req->db, req->arena, code, &s) != DB_OK || !s.active) {
		o311_error(req, 404, code ? "service_code not found" : "only the .json format is offered");
		return;
	}
	json_t *attrs = json_loads(s.attributes ? s.attributes : "[]", 0, NULL);
	if (!attrs)
		attrs = json_array();
	/* the spec's definition: each attribute with variable true and its order */
	size_t i;
	json_t *a;
	json_array_foreach(attrs, i, a)
	{
		if (!json_object_get(a, "variable"))
			json_object_set_new(a, "variable", json_true());
		if (!json_object_get(a, "order"))
			json_object_set_new(a, "order", json_integer((json_int_t)i + 1));
		if (!json_object_get(a, "required"))
			json_object_set_new(a, "required", json_false());
		if (!json_object_get(a, "datatype_description"))
			json_object_set_new(a, "datatype_description", json_string(""));
	}
	req_reply_json(req, 200, json_pack("{s:s, s:o}", "service_code", s.code, "attributes", attrs));
}

/* Decodes application/x-www-form-urlencoded into an object of strings (the last of a
 * repeated name wins; attribute[code]=v is kept under its full name). NULL when the
 * text is not valid UTF-8 after decoding. */
static json_t *form_decode(struct request *req, const char *body, size_t len)
{
	json_t *o = json_object();
	const char *p = body, *end = body + len;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(stop - p));
		if (eq) {
			char *k = arena_strndup(req->arena, p, (size_t)(eq - p));
			char *v = arena_strndup(req->arena, eq + 1, (size_t)(stop - eq - 1));
			for (char *c = k; *c; c++)
				if (*c == '+')
					*c = ' ';
			for (char *c = v; *c; c++)
				if (*c == '+')
					*c = ' ';
			http_unescape(k);
			http_unescape(v);
			json_t *s = json_string(v), *kk = json_string(k); /* NULL for invalid UTF-8 */
			json_decref(kk);
			if (!s || !kk) {
				json_decref(s);
				json_decref(o);
				return NULL;
			}
			json_object_set_new(o, k, s);
		}
		p = stop + 1;
	}
	return o;
}

/* POST requests.json: an API key is required (issued by the district); its rate and
 * the address's are counted in the database. */
static void post_requests(struct request *req)
{
	struct o311_form f = {0};
	const char *ct = req->content_type ? req->content_type : "";
	if (strncmp(ct, "application/json", 16) == 0) {
		f.fields = req->body ? json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, NULL) : NULL;
		if (!json_is_object(f.fields)) {
			json_decref(f.fields);
			o311_error(req, 400, "the body is not a JSON object");
			return;
		}
	} else {
		f.fields = form_decode(req, req->body ? req->body : "", req->body_len);
		if (!f.fields) {
			o311_error(req, 400, "the body is not valid UTF-8 form data");
			return;
		}
	}
	json_t *keep = f.fields;
	if (!gate(req, &f)) {
		json_decref(keep);
		return;
	}
	const char *key = arg(req, &f, "api_key");
	unsigned char h[16];
	int64_t key_id = 0, rate = 0;
	if (!key || !*key || (token_hash("svc.api_key", key, h), svc_key_find(req->db, h, &key_id, &rate)) != DB_OK) {
		json_decref(keep);
		o311_error(req, 403, "a valid api_key is required to post service requests");
		return;
	}
	if (!svc_db_allow(req, arena_printf(req->arena, "key:%lld", (long long)key_id), 60, rate)) {
		json_decref(keep);
		o311_error(req, 429, "this api_key is over its rate; retry after a minute");
		return;
	}
	struct svc_file_in in = {.channel = "open311", .api_key_id = key_id};
	in.service_code = arg(req, &f, "service_code");
	in.description = arg(req, &f, "description");
	in.address = arg(req, &f, "address_string");
	in.lat = arg(req, &f, "lat");
	in.lon = arg(req, &f, "long");
	const char *first = arg(req, &f, "first_name"), *last = arg(req, &f, "last_name");
	if (first || last)
		in.contact_name = arena_printf(req->arena, "%s%s", last ? last : "", first ? first : "");
	in.mobile = arg(req, &f, "phone");
	/* attribute[code]=value pairs, kept as an object */
	json_t *attrs = json_object();
	const char *k;
	json_t *v;
	json_object_foreach(f.fields, k, v)
	{
		size_t n = strlen(k);
		if (n > 11 && strncmp(k, "attribute[", 10) == 0 && k[n - 1] == ']' && json_is_string(v))
			json_object_set(attrs, arena_strndup(req->arena, k + 10, n - 11), v);
	}
	in.attributes = json_object_size(attrs) ? attrs : NULL;
	struct svc_request r;
	const char *code;
	struct svc_err e = {0};
	bool ok = svc_file(req, &in, &r, &code, &e);
	json_decref(attrs);
	json_decref(keep);
	if (!ok) {
		if (e.status >= 500) {
			req_fail(req, e.status, e.code, e.message);
			return;
		}
		o311_error(req, e.status, arena_printf(req->arena, "%s: %s", e.field ? e.field : "request", e.code));
		return;
	}
	char when[21];
	clock_rfc3339(r.due_at, when);
	req_reply_json(req, 201, json_pack("[{s:s, s:n, s:s, s:s}]", "service_request_id",
					   arena_printf(req->arena, "%lld", (long long)r.id), "token", "service_notice",
					   "", "account_id", ""));
	json_t *item = json_array_get(req->out, 0);
	json_object_del(item, "account_id");
	json_object_set_new(item, "expected_datetime", json_string(when));
}

/* An instant of the spec (W3C / RFC 3339, or a bare date); false when malformed. */
static bool instant(const char *s, bool end_of_day, int64_t *out)
{
	return s && date_parse_instant(s, end_of_day, out);
}

/* built list answers (see get_requests) */
REVCACHE_BLOB_DEFINE(list_cache, 32);

static void get_requests(struct request *req)
{
	if (!gate(req, NULL))
		return;
	struct svc_o311_filter f = {.status = -1, .limit = 200};
	int64_t now = clock_now();
	const char *ids = req_query(req, "service_request_id");
	const char *from = req_query(req, "start_date"), *to = req_query(req, "end_date");
	const char *status = req_query(req, "status");
	f.service_code = req_query(req, "service_code");
	if (f.service_code && !*f.service_code)
		f.service_code = NULL;
	if (ids && *ids) {
		/* the spec: other parameters are ignored; ids separated by commas, at most 200 */
		json_t *items = json_array();
		const char *p = ids;
		for (int n = 0; *p && n < 200; n++) {
			char *e;
			long long id = strtoll(p, &e, 10);
			if (e == p || id <= 0 || (*e && *e != ',')) {
				json_decref(items);
				o311_error(req, 400, "service_request_id must be ids separated by commas");
				return;
			}
			struct svc_request r;
			if (svc_request_get(req->db, req->arena, id, &r) == DB_OK)
				json_array_append_new(items, svc_request_open311(&r));
			p = *e ? e + 1 : e;
		}
		req_reply_json(req, 200, items);
		return;
	}
	if (status && *status) {
		if (strcmp(status, "open") == 0)
			f.status = 1;
		else if (strcmp(status, "closed") == 0)
			f.status = 0;
		else {
			o311_error(req, 400, "status must be open or closed");
			return;
		}
	}
	if ((from && *from && !instant(from, false, &f.from)) || (to && *to && !instant(to, true, &f.to))) {
		o311_error(req, 400, "start_date and end_date must be W3C date-times");
		return;
	}
	/* the spec: without dates, the last 90 days; the span is at most 90 days */
	if (!(to && *to))
		f.to = now;
	if (!(from && *from))
		f.from = f.to - 90 * 86400;
	if (f.from > f.to) {
		o311_error(req, 400, "start_date is after end_date");
		return;
	}
	if (f.to - f.from > 90 * 86400) {
		o311_error(req, 400, "start_date and end_date may be at most 90 days apart");
		return;
	}
	/* The answer is kept per (window, status, service) at a revision of the requests and
	 * the catalogue and of the organizations: every field shown comes from those rows
	 * (no day, no caller in it), and each change raises a revision in its transaction */
	char key[96];
	int64_t epoch, rev, orev;
	svc_open311_revision(req->db, &epoch, &rev, &orev);
	int kl = snprintf(key, sizeof key, "%lld|%lld|%d|%lld|%s", (long long)f.from, (long long)f.to, f.status,
			  (long long)orev, f.service_code ? f.service_code : "");
	if (kl < 0 || kl >= (int)sizeof key)
		rev = -1; /* too long to keep: built each time */
	char *hit;
	size_t hlen;
	if (rev >= 0 && revcache_get_blob(&list_cache, key, epoch, rev, 0, req->arena, &hit, &hlen)) {
		req_reply_raw(req, 200, "application/json", hit, hlen);
		return;
	}
	/* streamed (svc_request_o311_jw): 200 items as jansson values were two thirds of
	 * the request's CPU */
	struct jsonw w;
	jw_init(&w, req->arena, 512 * (size_t)f.limit);
	jw_array(&w);
	if (svc_open311_list(req->db, req->arena, &f, &w) != DB_OK) {
		o311_error(req, 500, "internal error");
		return;
	}
	jw_array_end(&w);
	req_reply_raw(req, 200, "application/json", w.buf, w.len);
	if (rev >= 0)
		revcache_put_blob(&list_cache, key, epoch, rev, 0, w.buf, w.len);
}

static void get_request(struct request *req)
{
	if (!gate(req, NULL))
		return;
	const char *seg = strip_json(req, req_param(req, "id"));
	char *e = NULL;
	long long id = seg ? strtoll(seg, &e, 10) : 0;
	struct svc_request r;
	if (!seg || *e || id <= 0 || svc_request_get(req->db, req->arena, id, &r) != DB_OK) {
		o311_error(req, 404, "service_request_id not found");
		return;
	}
	req_reply_json(req, 200, json_pack("[o]", svc_request_open311(&r)));
}

static const struct route open311_routes[] = {
	{"GET", "/open311/v2/services.json", get_services, PERM_PUBLIC, RF_TX_READ, 0, "Open311: the service list"},
	{"GET", "/open311/v2/services/{code}", get_service, PERM_PUBLIC, RF_TX_READ, 0,
	 "Open311: a service definition (CODE.json)"},
	{"POST", "/open311/v2/requests.json", post_requests, PERM_PUBLIC, RF_TX_WRITE | RF_RAW_BODY | RF_NO_CSRF, 16384,
	 "Open311: file a request (api_key)"},
	{"GET", "/open311/v2/requests.json", get_requests, PERM_PUBLIC, RF_TX_READ, 0, "Open311: requests by date, status"},
	{"GET", "/open311/v2/requests/{id}", get_request, PERM_PUBLIC, RF_TX_READ, 0, "Open311: one request (ID.json)"},
};
ROUTE_TABLE(open311);
