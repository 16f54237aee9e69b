/* cli.c: the identity subcommands: `dangjian user add|reset-password|disable` (the
 * only way to make the first account: there are no default accounts) and
 * `dangjian audit verify`. Each change writes its audit row (actor: the system). */
#include "auth/password.h"
#include "cli.h"
#include "core/arena.h"
#include "db/db.h"
#include "model/audit.h"
#include "model/user.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *flag(int argc, char **argv, const char *name)
{
	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return NULL;
}

static int user_add(int argc, char **argv)
{
	const char *username = flag(argc, argv, "--username"), *name = flag(argc, argv, "--name");
	const char *role = flag(argc, argv, "--role"), *org = flag(argc, argv, "--org");
	const char *member = flag(argc, argv, "--member");
	if (!username || !name || !role) {
		fprintf(stderr, "usage: dangjian user add --username U --name N --role R [--org ID] [--member ID]\n");
		return 2;
	}
	if (strlen(username) > 64 || strlen(name) > 200 || !*username || !*name) {
		fprintf(stderr, "dangjian: username (<= 64) and name (<= 200) must not be empty\n");
		return 2;
	}
	long long org_id = 0;
	if (org) {
		char *end;
		org_id = strtoll(org, &end, 10);
		if (*end || org_id <= 0) {
			fprintf(stderr, "dangjian: --org needs an organization id\n");
			return 2;
		}
	}
	struct db *db = cli_open_db();
	if (!db)
		return 1;
	char otp[17];
	int rc = user_create(db, username, name, role, org_id, otp, sizeof otp);
	if (rc == 0 && member) {
		char *end;
		long long member_id = strtoll(member, &end, 10);
		if (*end || member_id <= 0 || user_link_member(db, username, member_id) != 0) {
			fprintf(stderr, "dangjian: user %s created, but linking member %s failed\n", username, member);
			rc = -1;
		}
	}
	db_close(db);
	if (rc != 0)
		return 1;
	printf("user %s created; one-time password: %s\n(it must be changed at first login)\n", username, otp);
	return 0;
}

enum user_op { OP_RESET_PASSWORD, OP_DISABLE, OP_RESET_TOTP };

/* reset-password, disable and reset-totp: one user by name, in a transaction with its
 * audit row; every session of the user ends. The administrators' accounts are changed
 * only here, on the server (三权分立: no administrator resets another over the API). */
static int user_change(const char *username, enum user_op op)
{
	bool disable = op == OP_DISABLE;
	struct db *db = cli_open_db();
	if (!db)
		return 1;
	struct arena *a = arena_new();
	struct user_row u;
	int rc = user_get_by_username(db, a, username, &u);
	if (rc != DB_ROW) {
		fprintf(stderr, "dangjian: no user %s\n", username);
		arena_free(a);
		db_close(db);
		return 1;
	}
	char otp[17], hash[PASSWORD_HASH_LEN];
	if (op == OP_RESET_PASSWORD) {
		password_one_time(otp);
		if (password_hash(otp, hash) != 0) {
			arena_free(a);
			db_close(db);
			return 1;
		}
	}
	rc = db_tx_begin(db, true);
	if (rc == DB_OK)
		rc = op == OP_DISABLE	  ? user_set_status(db, u.id, "disabled", 0)
		     : op == OP_RESET_TOTP ? user_reset_totp(db, u.id)
					   : user_set_password(db, u.id, hash, true);
	if (rc == DB_OK)
		rc = session_delete_user(db, u.id);
	static const char *const actions[] = {"user.reset_password", "user.disable", "user.reset_totp"};
	struct audit_event ev = {.action = actions[op], .object_type = "user",
				 .object_id = u.id, .success = true,
				 .summary = "via=cli sessions_revoked=all"};
	if (rc == DB_OK && audit_record_as(db, 0, "system", "cli", &ev) != 0)
		rc = DB_ERROR;
	if (rc == DB_OK)
		rc = db_tx_commit(db);
	else
		db_tx_rollback(db);
	arena_free(a);
	db_close(db);
	if (rc != DB_OK) {
		fprintf(stderr, "dangjian: the change failed\n");
		return 1;
	}
	if (disable)
		printf("user %s disabled; every session revoked\n", username);
	else if (op == OP_RESET_TOTP)
		printf("user %s: TOTP forgotten; a new authenticator is enrolled at the next login\n", username);
	else
		printf("user %s: one-time password: %s\n(it must be changed at first login)\n", username, otp);
	return 0;
}

static int cmd_user(int argc, char **argv)
{
	static const char reset[] = "reset-password", lost_factor[] = "reset-totp";
	if (argc >= 2 && strcmp(argv[1], "add") == 0)
		return user_add(argc - 1, argv + 1);
	if (argc == 3 && strcmp(argv[1], reset) == 0)
		return user_change(argv[2], OP_RESET_PASSWORD);
	if (argc == 3 && strcmp(argv[1], "disable") == 0)
		return user_change(argv[2], OP_DISABLE);
	if (argc == 3 && strcmp(argv[1], lost_factor) == 0)
		return user_change(argv[2], OP_RESET_TOTP);
	fprintf(stderr, "usage: dangjian user add --username U --name N --role R [--org ID] [--member ID]\n"
			"       dangjian user reset-password U\n       dangjian user reset-totp U\n"
			"       dangjian user disable U\n");
	return 2;
}
CLI_COMMAND(user, cmd_user, "user add|reset-password|reset-totp|disable …",
	    "create a user (prints a one-time password), reset a password or a lost TOTP, disable a user");

static int cmd_audit(int argc, char **argv)
{
	if (argc != 2 || strcmp(argv[1], "verify") != 0) {
		fprintf(stderr, "usage: dangjian audit verify\n");
		return 2;
	}
	struct db *db = cli_open_db();
	if (!db)
		return 1;
	int64_t count, broken;
	int rc = audit_verify(db, &count, &broken);
	db_close(db);
	if (rc < 0) {
		fprintf(stderr, "dangjian: audit verify: database error\n");
		return 1;
	}
	if (rc > 0) {
		printf("audit chain BROKEN at row %lld (%lld rows read)\n", (long long)broken, (long long)count);
		return 1;
	}
	printf("audit chain ok: %lld rows\n", (long long)count);
	return 0;
}
CLI_COMMAND(audit, cmd_audit, "audit verify", "check the audit log's hash chain; names the first broken row");
