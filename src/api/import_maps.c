/* import_maps.c: the import's saved column mappings (issue 20 #9; model/import_map.h).
 * The import wizard remembers the columns a user mapped for a file whose headers it did
 * not recognise (POST /members/import?mapping=, api/roster_io.c), at the organization of
 * the user's role; these routes let the wizard show them and delete one.
 *   GET    /api/v1/import-mappings?org_id=   the mappings an import at org_id applies:
 *          saved at org_id or above it, nearest first; each says whether the caller
 *          may delete it (deletable)
 *   DELETE /api/v1/import-mappings/{id}      one saved in the caller's scope (for
 *          member.import and member.write, as the import's own); audited. A mapping of
 *          an organization outside that scope answers 404, as a missing one does. */
#include "api/roster_util.h"
#include "auth/audit.h"
#include "auth/auth.h"
#include "auth/scope.h"
#include "core/arena.h"
#include "http/params.h"
#include "model/import_map.h"
#include "model/org.h"
#include <stdio.h>

struct list_in {
	int64_t org_id;
};
static const struct param list_params[] = {
	{PARAM_F_(struct list_in, org_id, "org_id", PARAM_T_ID, PARAM_REQUIRED), .message = "党组织编号无效"},
};
static const struct params list_in = PARAMS(struct list_in, list_params);

/* the caller may change what is saved at path (the import's own two permissions) */
static bool writable(const struct request *req, const char *path)
{
	return scope_allows(req, "member.import", path) && scope_allows(req, "member.write", path);
}

static void get_mappings(struct request *req)
{
	const struct list_in *in = req->in;
	struct org_rec o;
	if (!roster_org_in_scope(req, in->org_id, "member.import", &o))
		return;
	json_t *items = json_array();
	enum db_rc rc = import_mapping_list(req->db, req->arena, o.path, items);
	if (rc != DB_OK) {
		json_decref(items);
		req_fail_db(req, rc);
		return;
	}
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it)
	{
		const char *path = json_string_value(json_object_get(it, "org_path"));
		json_object_set_new(it, "deletable", json_boolean(path && writable(req, path)));
	}
	req_reply_list(req, items, NULL, (int64_t)json_array_size(items));
}

static void delete_mapping(struct request *req)
{
	int64_t id = req_param_id(req, "id");
	if (req_failed(req))
		return;
	struct import_mapping_rec m;
	enum db_rc rc = import_mapping_get(req->db, req->arena, id, &m);
	if (!roster_found(req, rc, rc == DB_OK && writable(req, m.org_path), "保存的列对应关系不存在"))
		return;
	rc = import_mapping_delete(req->db, id);
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	struct audit_event ev = {"member.import_mapping_delete", "org", m.org_id, m.org_id, true,
				 arena_printf(req->arena, "删除保存的导入列对应关系 #%lld", (long long)m.id)};
	if (audit_record(req, &ev) != 0)
		return;
	req_reply_json(req, 204, NULL);
}

static const struct route import_maps_routes[] = {
	{"GET", "/api/v1/import-mappings", get_mappings, "member.import", RF_TX_READ, 0,
	 "the saved column mappings an import at org_id applies (saved there or above)", &list_in},
	{"DELETE", "/api/v1/import-mappings/{id}", delete_mapping, "member.import", RF_TX_WRITE, 0,
	 "delete a saved column mapping"},
};
ROUTE_TABLE(import_maps);
