/* messages.c: `dangjian messages set KEY VALUE` (a message setting from the command
 * line, e.g. a provider's secret, sealed like the page does, audited as the system)
 * and `dangjian messages birthdays [--from DAY] [--to DAY]` (the political-birthday
 * run of R-BDAY-01 for those days now, idempotent like the scheduled one; it also
 * times the run over a large district). */
#include "cli/cli.h"
#include "core/clock.h"
#include "db/db.h"
#include "model/audit.h"
#include "model/msg_settings.h"
#include "model/outbox.h"
#include "model/reminders.h"
#include "core/arena.h"
#include <jansson.h>
#include <stdio.h>
#include <string.h>

struct set_run {
	const char *key, *value;
	char why[160];
	enum db_rc rc;
};

static enum db_rc set_tx(struct db *db, void *ctx)
{
	struct set_run *r = ctx;
	json_t *v = json_string(r->value);
	r->rc = msg_settings_set(db, r->key, v, clock_now(), r->why, sizeof r->why);
	json_decref(v);
	if (r->rc != DB_OK)
		return r->rc == DB_ERROR ? DB_ERROR : DB_CONSTRAINT;
	struct arena *a = arena_new();
	if (!a)
		return DB_ERROR;
	struct audit_event ev = {"message.settings", "message_settings", 0, 0, true,
				 arena_printf(a, "keys=%s via=cli", r->key)};
	enum db_rc rc = audit_write(db, &audit_system_cli, &ev);
	arena_free(a);
	return rc;
}

struct bday_run {
	const char *from, *to, *channels;
	struct reminder_counts c;
};

static enum db_rc bday_tx(struct db *db, void *ctx)
{
	struct bday_run *r = ctx;
	struct arena *a = arena_new();
	if (!a)
		return DB_ERROR;
	struct msg_settings s;
	enum db_rc rc = msg_settings_load(db, a, false, &s);
	if (rc == DB_OK)
		rc = reminders_birthdays(db, r->from, r->to, s.v[MSK_BIRTHDAY_CHANNELS], &r->c);
	arena_free(a);
	return rc;
}

static const char *flag(int argc, char **argv, const char *name)
{
	for (int i = 0; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return NULL;
}

static int cmd_messages(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "set") == 0) {
		struct db *db = cli_open_db();
		if (!db)
			return 1;
		struct set_run r = {argv[2], argv[3], "", DB_OK};
		enum db_rc rc = db_tx_run(db, true, set_tx, &r);
		db_close(db);
		if (rc != DB_OK) {
			fprintf(stderr, "dangjian: %s: %s\n", r.key, r.why[0] ? r.why : "database error");
			return 1;
		}
		printf("%s set\n", r.key);
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "birthdays") == 0) {
		char today[11];
		outbox_day(clock_now(), today);
		struct bday_run r = {flag(argc, argv, "--from"), flag(argc, argv, "--to"), NULL, {0}};
		if (!r.to)
			r.to = today;
		if (!r.from)
			r.from = r.to;
		struct db *db = cli_open_db();
		if (!db)
			return 1;
		double t0 = clock_mono_ms();
		enum db_rc rc = db_tx_run(db, true, bday_tx, &r);
		double ms = clock_mono_ms() - t0;
		db_close(db);
		if (rc != DB_OK) {
			fprintf(stderr, "dangjian: the birthday run failed (%d)\n", (int)rc);
			return 1;
		}
		printf("birthdays %s..%s: %lld members, %lld queued, %lld opted out, %lld already there, %.0f ms\n", r.from,
		       r.to, (long long)r.c.members, (long long)r.c.queued, (long long)r.c.opted_out,
		       (long long)r.c.duplicate, ms);
		return 0;
	}
	fprintf(stderr, "usage: dangjian messages set KEY VALUE | messages birthdays [--from YYYY-MM-DD] [--to YYYY-MM-DD]\n");
	return 2;
}
CLI_COMMAND(messages, cmd_messages, "messages", "message settings (set KEY VALUE) and the political-birthday run now");
