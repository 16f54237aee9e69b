/* codes.c: GET /api/v1/codes/{table}: the code tables the front end's selects and the
 * import template use (src/model/codes.c). Any signed-in user may read them. */
#include "http/request.h"
#include "http/router.h"
#include "model/codes.h"

static void get_codes(struct request *req)
{
	const struct code_table *t = codes_table(req_param(req, "table"));
	if (!t) {
		req_fail(req, 404, "not_found", "没有这个代码表");
		return;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < t->n; i++)
		json_array_append_new(items, json_pack("{s:s, s:s}", "code", t->items[i].code, "name", t->items[i].name));
	req_reply_json(req, 200, json_pack("{s:s, s:s, s:o}", "table", t->table, "title", t->title, "items", items));
}

static const struct route codes_routes[] = {
	{"GET", "/api/v1/codes/{table}", get_codes, PERM_SESSION, 0, 0, "a code table (sex, ethnicity, education, …)"},
};
ROUTE_TABLE(codes);
