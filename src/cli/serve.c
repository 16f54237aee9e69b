/* serve.c: `dangjian serve` (the HTTP server until SIGTERM) and `dangjian routes` (the
 * merged route table). The only commands that reach into src/http: they start it or
 * print its table. */
#include "cli/cli.h"
#include "config.h"
#include "core/log.h"
#include "db/db.h"
#include "http/router.h"
#include "http/server.h"
#include "jobs/jobs.h"
#include "jobs/scheduler.h"
#include "jobs/sender.h"
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Removes the export files (.export-<pid>-*, see roster_tmpfile in
 * src/api/roster_util.c) an earlier process left in the work directory when it died
 * mid-export: they may hold personal data. A file of a process still running (another
 * server on this machine sharing the directory) is left alone. */
static void sweep_exports(void)
{
	char dir[4096];
	config_work_dir(dir, sizeof dir);
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	int n = 0;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, ".export-", 8) != 0)
			continue;
		long pid = strtol(e->d_name + 8, NULL, 10);
		if (pid > 0 && pid != getpid() && kill((pid_t)pid, 0) == 0)
			continue;
		char path[4096 + 256];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		n += unlink(path) == 0;
	}
	closedir(d);
	if (n)
		log_msg(LOG_WARN, NULL, "removed %d export file(s) left by an earlier process", n);
}

static int cmd_serve(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	struct db *db = cli_open_db();
	if (!db)
		return 1;
	/* the leases of this process's jobs are renewed from now on, and jobs whose lease
	 * ran out (an earlier process's, or another server's that died) are taken over
	 * now, before any request, and then every half lease on the worker */
	if (jobs_lease_start(true) != 0) {
		db_close(db);
		fprintf(stderr, "dangjian: cannot start the jobs threads\n");
		return 1;
	}
	enum db_rc rc = jobs_recover(db); /* its own short transactions */
	if (rc != DB_OK) /* the server starts; the next pass tries again */
		log_msg(LOG_WARN, NULL, "taking over the jobs of a stopped server failed: %s", db_errmsg(db));
	db_close(db);
	sweep_exports();
	/* the scheduler's slots and the outbox's sender (issue 16); every server may run
	 * them: claims in the database keep each slot and each message to one server */
	if (cfg.message_workers && (scheduler_start() != 0 || sender_start() != 0))
		log_msg(LOG_ERROR, NULL, "cannot start the scheduler or the outbox sender: messages wait for another server");
	return server_run();
}
CLI_COMMAND(serve, cmd_serve, "serve", "serve HTTP on --listen:--port until SIGTERM");

static int cmd_routes(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	router_print();
	return 0;
}
CLI_COMMAND(routes, cmd_routes, "routes", "list every route with its permission and flags");
