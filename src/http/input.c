/* input.c: see input.h. */
#include "http/input.h"
#include "core/arena.h"
#include "core/date.h"
#include <string.h>

json_t *in_body(struct request *req)
{
	if (!json_is_object(req->json)) {
		req_field_error(req, "body", "invalid_body", "请求体应为 JSON 对象");
		return NULL;
	}
	return req->json;
}

bool in_has(json_t *obj, const char *field)
{
	return json_is_object(obj) && json_object_get(obj, field) != NULL;
}

size_t in_utf8_len(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static json_t *get(struct request *req, json_t *obj, const char *field, unsigned flags)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, field) : NULL;
	if (!v || json_is_null(v)) {
		if (flags & IN_REQUIRED)
			req_field_error(req, field, "required", "此项必填");
		return NULL;
	}
	return v;
}

const char *in_str(struct request *req, json_t *obj, const char *field, unsigned flags, size_t maxchars)
{
	json_t *v = get(req, obj, field, flags);
	if (!v)
		return NULL;
	if (!json_is_string(v)) {
		req_field_error(req, field, "invalid_type", "应为文本");
		return NULL;
	}
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);
	if (strlen(s) != len) {
		req_field_error(req, field, "invalid_chars", "包含不允许的字符");
		return NULL;
	}
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if ((c < 0x20 && !((flags & IN_MULTILINE) && (c == '\n' || c == '\t' || c == '\r'))) || c == 0x7f) {
			req_field_error(req, field, "invalid_chars", "包含不允许的控制字符");
			return NULL;
		}
	}
	while (*s == ' ')
		s++;
	len = strlen(s);
	while (len && s[len - 1] == ' ')
		len--;
	if (!len) {
		if (flags & IN_REQUIRED)
			req_field_error(req, field, "required", "此项必填");
		return NULL;
	}
	char *out = arena_strndup(req->arena, s, len);
	if (maxchars && in_utf8_len(out) > maxchars) {
		req_field_error(req, field, "too_long", arena_printf(req->arena, "不能超过 %zu 个字", maxchars));
		return NULL;
	}
	return out;
}

bool in_int(struct request *req, json_t *obj, const char *field, unsigned flags, int64_t min, int64_t max, int64_t *out)
{
	json_t *v = get(req, obj, field, flags);
	if (!v)
		return false;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
		req_field_error(req, field, "invalid_integer",
				arena_printf(req->arena, "应为 %lld 到 %lld 之间的整数", (long long)min, (long long)max));
		return false;
	}
	*out = json_integer_value(v);
	return true;
}

bool in_bool(struct request *req, json_t *obj, const char *field, unsigned flags, bool *out)
{
	json_t *v = get(req, obj, field, flags);
	if (!v)
		return false;
	if (!json_is_boolean(v)) {
		req_field_error(req, field, "invalid_type", "应为是或否");
		return false;
	}
	*out = json_is_true(v);
	return true;
}

const char *in_date(struct request *req, json_t *obj, const char *field, unsigned flags)
{
	json_t *v = get(req, obj, field, flags);
	if (!v)
		return NULL;
	if (!json_is_string(v) || !date_valid(json_string_value(v))) {
		req_field_error(req, field, "invalid_date", "日期应为有效的 YYYY-MM-DD");
		return NULL;
	}
	return arena_strdup(req->arena, json_string_value(v));
}

const char *in_enum(struct request *req, json_t *obj, const char *field, unsigned flags, const char *const *allowed)
{
	json_t *v = get(req, obj, field, flags);
	if (!v)
		return NULL;
	if (json_is_string(v))
		for (const char *const *a = allowed; *a; a++)
			if (strcmp(*a, json_string_value(v)) == 0)
				return *a;
	req_field_error(req, field, "invalid_choice", "不是允许的选项");
	return NULL;
}
