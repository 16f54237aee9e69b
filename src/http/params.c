/* params.c: see params.h. The readers of JSON bodies are input.c's; this file adds the
 * query string's and the table that drives both. */
#include "http/params.h"
#include "core/arena.h"
#include "core/date.h"
#include "http/input.h"
#include "http/request.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *query_lookup(void *ctx, const char *name)
{
	return req_query(ctx, name);
}

static void bad(struct request *req, const struct param *p, const char *code, const char *generic)
{
	req_field_error(req, p->name, code, p->message ? p->message : generic);
}

/* The text trimmed of spaces, or NULL when empty; a control character is an error. */
static const char *clean_text(struct request *req, const struct param *p, const char *v, bool *ok)
{
	*ok = true;
	for (const char *s = v; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c < 0x20 || c == 0x7f) && !((p->flags & PARAM_MULTILINE) && (c == '\n' || c == '\r' || c == '\t'))) {
			req_field_error(req, p->name, "invalid_chars", "包含不允许的控制字符");
			*ok = false;
			return NULL;
		}
	}
	while (*v == ' ')
		v++;
	size_t len = strlen(v);
	while (len && v[len - 1] == ' ')
		len--;
	return len ? arena_strndup(req->arena, v, len) : NULL;
}

static bool parse_int(const char *v, int64_t *out)
{
	char *end;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (errno || end == v || *end)
		return false;
	*out = n;
	return true;
}

/* One query-string field into its slot; absent fields keep their defaults. */
static void query_field(struct request *req, const struct param *p, const char *raw, char *slot)
{
	bool ok;
	const char *v = raw ? clean_text(req, p, raw, &ok) : NULL;
	if (raw && !ok)
		return;
	if (!v) {
		if (p->flags & PARAM_REQUIRED)
			req_field_error(req, p->name, "required", "此项必填");
		return;
	}
	int64_t n;
	switch (p->type) {
	case PARAM_T_INT:
		if (!parse_int(v, &n) || n < p->min || n > p->max) {
			req_field_error(req, p->name, "invalid_integer",
					arena_printf(req->arena, "应为 %lld 到 %lld 之间的整数", (long long)p->min,
							    (long long)p->max));
			return;
		}
		memcpy(slot, &n, sizeof n);
		return;
	case PARAM_T_ID:
		if (!parse_int(v, &n) || n < 1) {
			bad(req, p, "invalid_integer", "编号无效");
			return;
		}
		memcpy(slot, &n, sizeof n);
		return;
	case PARAM_T_STR:
		if (p->max && in_utf8_len(v) > (size_t)p->max) {
			req_field_error(req, p->name, "too_long",
					arena_printf(req->arena, "不能超过 %lld 个字", (long long)p->max));
			return;
		}
		break;
	case PARAM_T_ENUM: {
		const char *const *a = p->allowed;
		while (*a && strcmp(*a, v) != 0)
			a++;
		if (!*a) {
			bad(req, p, "invalid_choice", "不是允许的选项");
			return;
		}
		v = *a;
		break;
	}
	case PARAM_T_DATE:
		if (!date_valid(v)) {
			bad(req, p, "invalid_date", "日期应为有效的 YYYY-MM-DD");
			return;
		}
		break;
	case PARAM_T_BOOL: {
		int b = !strcmp(v, "1") || !strcmp(v, "true") ? 1 : !strcmp(v, "0") || !strcmp(v, "false") ? 0 : -1;
		if (b < 0) {
			bad(req, p, "invalid_choice", "应为 1 或 0");
			return;
		}
		memcpy(slot, &b, sizeof b);
		return;
	}
	case PARAM_T_CHECK:
		if (!p->check(v)) {
			bad(req, p, "invalid_choice", "不是允许的选项");
			return;
		}
		break;
	case PARAM_T_INSTANT:
		if (!date_parse_instant(v, p->max == 1, &n)) {
			bad(req, p, "invalid_instant", "时间格式应为 YYYY-MM-DD 或 YYYY-MM-DDTHH:MM:SSZ");
			return;
		}
		memcpy(slot, &n, sizeof n);
		return;
	case PARAM_T__MAX:
		return;
	}
	memcpy(slot, &v, sizeof v);
}

/* One body field through input.c's typed readers (they record their own errors). */
static void body_field(struct request *req, const struct param *p, json_t *obj, char *slot)
{
	unsigned fl = (p->flags & PARAM_REQUIRED ? IN_REQUIRED : IN_OPTIONAL) | (p->flags & PARAM_MULTILINE ? IN_MULTILINE : 0);
	const char *s = NULL;
	int64_t n;
	bool b;
	switch (p->type) {
	case PARAM_T_INSTANT: /* bodies carry instants as RFC 3339 text */
		s = in_str(req, obj, p->name, fl, 40);
		if (s && !date_parse_instant(s, p->max == 1, &n)) {
			bad(req, p, "invalid_instant", "时间格式应为 YYYY-MM-DD 或 YYYY-MM-DDTHH:MM:SSZ");
		} else if (s) {
			memcpy(slot, &n, sizeof n);
		}
		return;
	case PARAM_T_INT:
	case PARAM_T_ID:
		if (in_int(req, obj, p->name, fl, p->type == PARAM_T_ID ? 1 : p->min, p->type == PARAM_T_ID ? INT64_MAX : p->max, &n))
			memcpy(slot, &n, sizeof n);
		return;
	case PARAM_T_BOOL:
		if (in_bool(req, obj, p->name, fl, &b)) {
			int v = b;
			memcpy(slot, &v, sizeof v);
		}
		return;
	case PARAM_T_STR:
		s = in_str(req, obj, p->name, fl, (size_t)p->max);
		break;
	case PARAM_T_ENUM:
		s = in_enum(req, obj, p->name, fl, p->allowed);
		break;
	case PARAM_T_DATE:
		s = in_date(req, obj, p->name, fl);
		break;
	case PARAM_T_CHECK:
		s = in_str(req, obj, p->name, fl, 0);
		if (s && !p->check(s)) {
			bad(req, p, "invalid_choice", "不是允许的选项");
			s = NULL;
		}
		break;
	case PARAM_T__MAX:
		return;
	}
	if (s)
		memcpy(slot, &s, sizeof s);
}

static void set_default(const struct param *p, char *slot)
{
	if (p->type == PARAM_T_INT)
		memcpy(slot, &p->def, sizeof p->def);
	else if (p->type == PARAM_T_BOOL) {
		int v = -1;
		memcpy(slot, &v, sizeof v);
	}
}

void *params_parse(struct request *req, const struct params *ps, param_lookup lookup, void *ctx)
{
	char *out = arena_alloc(req->arena, ps->size ? ps->size : 1);
	memset(out, 0, ps->size);
	if (!lookup) {
		lookup = query_lookup;
		ctx = req;
	}
	json_t *body = NULL;
	for (size_t i = 0; i < ps->n; i++)
		if (ps->p[i].flags & PARAM_BODY) {
			body = in_body(req);
			if (!body)
				return NULL;
			break;
		}
	bool failed_before = req_failed(req);
	for (size_t i = 0; i < ps->n; i++) {
		const struct param *p = &ps->p[i];
		set_default(p, out + p->off);
		if (p->flags & PARAM_BODY)
			body_field(req, p, body, out + p->off);
		else
			query_field(req, p, lookup(ctx, p->name), out + p->off);
	}
	return req_failed(req) && !failed_before ? NULL : out;
}

static size_t slot_size(enum param_type t)
{
	switch (t) {
	case PARAM_T_INT:
	case PARAM_T_ID:
	case PARAM_T_INSTANT:
		return sizeof(int64_t);
	case PARAM_T_BOOL:
		return sizeof(int);
	default:
		return sizeof(const char *);
	}
}

int params_validate(const char *route, const struct params *ps)
{
	for (size_t i = 0; i < ps->n; i++) {
		const struct param *p = &ps->p[i];
		const char *why = NULL;
		if (!p->name || !*p->name)
			why = "no name";
		else if (p->type >= PARAM_T__MAX)
			why = "unknown type";
		else if (p->off + slot_size(p->type) > ps->size)
			why = "field outside its struct";
		else if (p->type == PARAM_T_ENUM && (!p->allowed || !p->allowed[0]))
			why = "enum without values";
		else if (p->type == PARAM_T_CHECK && !p->check)
			why = "check without a function";
		else if (p->type == PARAM_T_INT && (p->min > p->max || p->def < p->min || p->def > p->max))
			why = "integer bounds do not hold its default";
		if (why) {
			fprintf(stderr, "route %s: input %zu (%s): %s\n", route, i, p->name ? p->name : "?", why);
			return -1;
		}
	}
	return 0;
}
