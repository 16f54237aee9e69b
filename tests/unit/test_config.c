/* test_config.c: the option table and its readers (src/config.c): defaults, INI file,
 * environment and flags, the later winning; bad values refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static char ini_path[64];

static void write_ini(const char *text)
{
	snprintf(ini_path, sizeof ini_path, "/tmp/dj-config-XXXXXX");
	int fd = mkstemp(ini_path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static int clean(void **state)
{
	(void)state;
	unsetenv("DANGJIAN_PORT");
	unsetenv("DANGJIAN_WORKERS");
	unsetenv("DANGJIAN_CONFIG");
	unsetenv("DANGJIAN_TEST_MODE");
	unsetenv("DANGJIAN_PROT");
	if (ini_path[0])
		unlink(ini_path);
	ini_path[0] = 0;
	return 0;
}

static void test_defaults(void **state)
{
	(void)state;
	char *argv[] = {"dangjian", "serve", NULL};
	int argc = 2;
	assert_int_equal(config_load(&argc, argv), 0);
	assert_int_equal(cfg.port, 8080);
	assert_string_equal(cfg.listen, "127.0.0.1");
	assert_string_equal(cfg.db, "var/dangjian.db");
	assert_false(cfg.test_mode);
	assert_int_equal(cfg.busy_timeout_ms, 2000);
	assert_int_equal(argc, 2);
}

static void test_precedence_file_env_flags(void **state)
{
	(void)state;
	write_ini("; comment\n[server]\nport = 9001\nworkers = 3\nlisten = 127.0.0.2\n[storage]\ndb = /tmp/x.db\n");
	setenv("DANGJIAN_PORT", "9002", 1);
	setenv("DANGJIAN_TEST_MODE", "yes", 1);
	char *argv[] = {"dangjian", "--config", ini_path, "serve", "--port=9003", "--web-root", "/srv/web", "--keep", NULL};
	int argc = 8;
	assert_int_equal(config_load(&argc, argv), 0);
	assert_int_equal(cfg.port, 9003);          /* flag beats env beats file */
	assert_int_equal(cfg.workers, 3);          /* file beats default */
	assert_string_equal(cfg.listen, "127.0.0.2");
	assert_string_equal(cfg.db, "/tmp/x.db");
	assert_string_equal(cfg.web_root, "/srv/web");
	assert_true(cfg.test_mode);                /* env */
	/* recognised options are consumed; the command and its own flags stay, in order */
	assert_int_equal(argc, 3);
	assert_string_equal(argv[1], "serve");
	assert_string_equal(argv[2], "--keep");
}

static void test_env_beats_file(void **state)
{
	(void)state;
	write_ini("port = 9001\n");
	setenv("DANGJIAN_CONFIG", ini_path, 1);
	setenv("DANGJIAN_PORT", "9002", 1);
	char *argv[] = {"dangjian", NULL};
	int argc = 1;
	assert_int_equal(config_load(&argc, argv), 0);
	assert_int_equal(cfg.port, 9002);
}

static void test_bool_flag_without_value(void **state)
{
	(void)state;
	char *argv[] = {"dangjian", "serve", "--test-mode", "--port", "0", NULL};
	int argc = 5;
	assert_int_equal(config_load(&argc, argv), 0);
	assert_true(cfg.test_mode);
	assert_int_equal(cfg.port, 0);
	assert_int_equal(argc, 2);
}

static void test_bad_values_refused(void **state)
{
	(void)state;
	char *a1[] = {"dangjian", "--port=80x", NULL};
	int n1 = 2;
	assert_int_equal(config_load(&n1, a1), -1);
	char *a2[] = {"dangjian", "--test-mode=maybe", NULL};
	int n2 = 2;
	assert_int_equal(config_load(&n2, a2), -1);
	char *a3[] = {"dangjian", "--port", NULL};
	int n3 = 2;
	assert_int_equal(config_load(&n3, a3), -1);
	setenv("DANGJIAN_WORKERS", "many", 1);
	char *a4[] = {"dangjian", NULL};
	int n4 = 1;
	assert_int_equal(config_load(&n4, a4), -1);
	unsetenv("DANGJIAN_WORKERS");
	write_ini("no_such_option = 1\n");
	char *a5[] = {"dangjian", "--config", ini_path, NULL};
	int n5 = 3;
	assert_int_equal(config_load(&n5, a5), -1);
	char *a6[] = {"dangjian", "--config", "/nonexistent/dj.ini", NULL};
	int n6 = 3;
	assert_int_equal(config_load(&n6, a6), -1);
	assert_int_equal(config_set("nope", "1"), -1);
	assert_int_equal(config_set("port", ""), -1);
	assert_int_equal(config_set("port", "99999999999999999999"), -1);
}

/* Every option has bounds or allowed values; a value outside them stops the load with
 * one line naming the option, wherever it came from (issue 10 #7). */
static void test_bounds_and_choices_refused(void **state)
{
	(void)state;
	char *a1[] = {"dangjian", "--port", "70000", NULL};
	int n1 = 3;
	assert_int_equal(config_load(&n1, a1), -1);
	char *a2[] = {"dangjian", "--log-level=loud", NULL};
	int n2 = 2;
	assert_int_equal(config_load(&n2, a2), -1);
	char *a3[] = {"dangjian", "--password-policy", "none", NULL};
	int n3 = 3;
	assert_int_equal(config_load(&n3, a3), -1);
	char *a4[] = {"dangjian", "--db", "", NULL};
	int n4 = 3;
	assert_int_equal(config_load(&n4, a4), -1);
	char *a5[] = {"dangjian", "--session-idle", "0", NULL};
	int n5 = 3;
	assert_int_equal(config_load(&n5, a5), -1);
	char *a6[] = {"dangjian", "--pwhash-mem-kib", "1024", NULL};
	int n6 = 3;
	assert_int_equal(config_load(&n6, a6), -1);
	write_ini("[server]\nworkers = -1\n");
	char *a7[] = {"dangjian", "--config", ini_path, NULL};
	int n7 = 3;
	assert_int_equal(config_load(&n7, a7), -1);
	setenv("DANGJIAN_PORT", "-5", 1);
	char *a8[] = {"dangjian", NULL};
	int n8 = 1;
	assert_int_equal(config_load(&n8, a8), -1);
	unsetenv("DANGJIAN_PORT");
	/* the edges themselves are allowed */
	char *ok[] = {"dangjian", "--port", "65535", "--log-level", "debug", "--password-policy", "asvs", NULL};
	int nok = 7;
	assert_int_equal(config_load(&nok, ok), 0);
	assert_int_equal(cfg.port, 65535);
	assert_string_equal(cfg.log_level, "debug");
	/* config_set refuses the same and leaves the value as it was */
	assert_int_equal(config_set("port", "65536"), -1);
	assert_int_equal(cfg.port, 65535);
	assert_int_equal(config_set("log_level", "verbose"), -1);
	assert_string_equal(cfg.log_level, "debug");
}

/* A DANGJIAN_ variable that names no option is a typo, not something to ignore. */
static void test_unknown_environment_option_refused(void **state)
{
	(void)state;
	setenv("DANGJIAN_PROT", "9000", 1);
	char *argv[] = {"dangjian", NULL};
	int argc = 1;
	assert_int_equal(config_load(&argc, argv), -1);
	unsetenv("DANGJIAN_PROT");
	assert_int_equal(config_load(&argc, argv), 0);
}

static void test_print_config_round_trips(void **state)
{
	(void)state;
	config_defaults();
	assert_int_equal(config_set("port", "1234"), 0);
	assert_int_equal(config_set("trusted_proxy", "10.0.0.1"), 0);
	char buf[8192] = "";
	FILE *f = fmemopen(buf, sizeof buf, "w");
	config_print(f);
	fclose(f);
	assert_non_null(strstr(buf, "port = 1234\n"));
	assert_non_null(strstr(buf, "trusted_proxy = 10.0.0.1\n"));
	assert_non_null(strstr(buf, "test_mode = 0\n"));
	/* what --print-config prints is a config file that loads back to the same values */
	write_ini(buf);
	config_defaults();
	char *argv[] = {"dangjian", "--config", ini_path, NULL};
	int argc = 3;
	assert_int_equal(config_load(&argc, argv), 0);
	assert_int_equal(cfg.port, 1234);
	assert_string_equal(cfg.trusted_proxy, "10.0.0.1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_defaults, clean),
		cmocka_unit_test_teardown(test_precedence_file_env_flags, clean),
		cmocka_unit_test_teardown(test_env_beats_file, clean),
		cmocka_unit_test_teardown(test_bool_flag_without_value, clean),
		cmocka_unit_test_teardown(test_bad_values_refused, clean),
		cmocka_unit_test_teardown(test_bounds_and_choices_refused, clean),
		cmocka_unit_test_teardown(test_unknown_environment_option_refused, clean),
		cmocka_unit_test_teardown(test_print_config_round_trips, clean),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
