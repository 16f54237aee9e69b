/* user.c: `dangjian user add|reset-password|reset-totp|disable` (the only way to make
 * the first account: there are no default accounts; the administrators' accounts are
 * changed only here). Each change writes its audit row (actor: the system, address
 * "cli") in the transaction of the change. */
#include "auth/account.h"
#include "auth/password.h"
#include "cli/cli.h"
#include "core/arena.h"
#include "core/clock.h"
#include "db/db.h"
#include "model/audit.h"
#include "model/user.h"
#include <sodium.h>
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

struct user_add {
	const char *username, *name, *role;
	int64_t org_id, member_id;
	char otp[17];
	bool not_linked; /* user_link_member found nothing to link */
};

static enum db_rc user_add_tx(struct db *db, void *ctx)
{
	struct user_add *c = ctx;
	enum db_rc rc = account_create(db, c->username, c->name, c->role, c->org_id, c->otp);
	if (rc == DB_OK && c->member_id) {
		rc = user_link_member(db, c->username, c->member_id);
		c->not_linked = rc == DB_NOT_FOUND;
		if (rc == DB_NOT_FOUND)
			rc = DB_ERROR;
	}
	return rc;
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
	struct user_add add = {username, name, role, org_id, 0, {0}, false};
	if (member) {
		char *end;
		add.member_id = strtoll(member, &end, 10);
		if (*end || add.member_id <= 0) {
			fprintf(stderr, "dangjian: --member needs a member id\n");
			db_close(db);
			return 2;
		}
	}
	/* the account, its link to a member and their audit rows: all or nothing */
	enum db_rc rc = db_tx_run(db, true, user_add_tx, &add);
	db_close(db);
	if (rc != DB_OK) {
		if (add.not_linked)
			fprintf(stderr, "dangjian: no member %s to link (or it already has an account)\n", member);
		sodium_memzero(add.otp, sizeof add.otp);
		return 1;
	}
	printf("user %s created; one-time password: %s\n(it must be changed at first login)\n", username, add.otp);
	sodium_memzero(add.otp, sizeof add.otp);
	return 0;
}

enum user_op { OP_RESET_PASSWORD, OP_DISABLE, OP_RESET_TOTP };

struct user_change {
	enum user_op op;
	const char *username;
	struct arena *a;
	char otp[17], hash[PASSWORD_HASH_LEN];
	bool missing;
};

static enum db_rc user_change_tx(struct db *db, void *ctx)
{
	struct user_change *c = ctx;
	struct user_row u;
	enum db_rc rc = user_get_by_username(db, c->a, c->username, &u);
	if (rc != DB_OK) {
		c->missing = rc == DB_NOT_FOUND;
		return rc == DB_NOT_FOUND ? DB_ERROR : rc;
	}
	rc = c->op == OP_DISABLE      ? user_set_status(db, u.id, "disabled", 0)
	     : c->op == OP_RESET_TOTP ? user_reset_totp(db, u.id)
				      : user_set_password(db, u.id, c->hash, true);
	if (rc == DB_OK && c->op == OP_RESET_PASSWORD) /* S22: the holder is told at the next login */
		rc = user_mark_reset(db, u.id, 0, "system", clock_now(), "cli");
	if (rc == DB_OK)
		rc = session_delete_user(db, u.id);
	static const char *const actions[] = {"user.reset_password", "user.disable", "user.reset_totp"};
	struct audit_event ev = {.action = actions[c->op], .object_type = "user", .object_id = u.id,
				 .success = true, .summary = "via=cli sessions_revoked=all"};
	if (rc == DB_OK)
		rc = audit_write(db, &audit_system_cli, &ev);
	return rc;
}

/* reset-password, disable and reset-totp: one user by name, in a transaction with its
 * audit row; every session of the user ends. The administrators' accounts are changed
 * only here, on the server (三权分立: no administrator resets another over the API). */
static int user_change(const char *username, enum user_op op)
{
	struct user_change c = {.op = op, .username = username};
	if (op == OP_RESET_PASSWORD) { /* the slow hash before the write lock is taken */
		password_one_time(c.otp);
		if (password_hash(c.otp, c.hash) != 0) {
			fprintf(stderr, "dangjian: password hashing failed (memory)\n");
			return 1;
		}
	}
	struct db *db = cli_open_db();
	if (!db)
		return 1;
	c.a = arena_new();
	enum db_rc rc = db_tx_run(db, true, user_change_tx, &c);
	arena_free(c.a);
	db_close(db);
	if (c.missing) {
		fprintf(stderr, "dangjian: no user %s\n", username);
		return 1;
	}
	if (rc != DB_OK) {
		fprintf(stderr, "dangjian: the change failed\n");
		return 1;
	}
	if (op == OP_DISABLE)
		printf("user %s disabled; every session revoked\n", username);
	else if (op == OP_RESET_TOTP)
		printf("user %s: TOTP forgotten; a new authenticator is enrolled at the next login\n", username);
	else
		printf("user %s: one-time password: %s\n(it must be changed at first login)\n", username, c.otp);
	sodium_memzero(c.otp, sizeof c.otp);
	sodium_memzero(c.hash, sizeof c.hash);
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
