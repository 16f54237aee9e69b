/* audit.c: `dangjian audit verify`: walks the audit log's hash chain (model/audit.c)
 * and names the first broken row; the same check as GET /api/v1/audit/verify. */
#include "cli/cli.h"
#include "db/db.h"
#include "model/audit.h"
#include <stdio.h>
#include <string.h>

struct verify {
	int64_t count, broken;
	int result; /* audit_verify's: 0 intact, 1 broken, -1 error */
};

/* In one read transaction: a row committed between the walk and the head's check
 * would otherwise look like a cut chain. */
static enum db_rc verify_tx(struct db *db, void *ctx)
{
	struct verify *v = ctx;
	v->result = audit_verify(db, &v->count, &v->broken);
	return v->result < 0 ? DB_ERROR : DB_OK;
}

static int cmd_audit(int argc, char **argv)
{
	if (argc != 2 || strcmp(argv[1], "verify") != 0) {
		fprintf(stderr, "usage: dangjian audit verify\n");
		return 2;
	}
	struct db *db = cli_open_db();
	if (!db)
		return 1;
	struct verify v = {0};
	enum db_rc rc = db_tx_run(db, false, verify_tx, &v);
	db_close(db);
	if (rc != DB_OK) {
		fprintf(stderr, "dangjian: audit verify: database error\n");
		return 1;
	}
	if (v.result > 0) {
		printf("audit chain BROKEN at row %lld (%lld rows read)\n", (long long)v.broken, (long long)v.count);
		return 1;
	}
	printf("audit chain ok: %lld rows\n", (long long)v.count);
	return 0;
}
CLI_COMMAND(audit, cmd_audit, "audit verify", "check the audit log's hash chain; names the first broken row");
