/* test_password.c: password verifiers and policy (src/auth/password.c), SECURITY.md
 * S5 (every stored verifier is Argon2id, m >= 19 MiB, t >= 2, a unique 16-byte salt)
 * and the password policy of SECURITY.md (dengbao | asvs, common list, <= 128). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth/account.h"
#include "auth/password.h"
#include "dbtest.h"
#include "model/user.h"

static const struct db_sql hashes_sql = {"test.hashes", "SELECT password_hash FROM users ORDER BY id"};

struct create_one {
	const char *name, *role;
	char otp[17];
};

/* account_create runs inside its caller's transaction (the CLI's db_tx_run). */
static enum db_rc create_one(struct db *db, void *ctx)
{
	struct create_one *c = ctx;
	return account_create(db, c->name, "测试", c->role, 0, c->otp);
}

static void test_S5_every_verifier_is_argon2id_with_unique_salt(void **state)
{
	(void)state;
	struct db *db = dbtest_open();
	assert_non_null(db);
	static const char *const roles[] = {"sysadmin", "secadmin", "auditor", "member", "resident", "member"};
	for (int i = 0; i < 6; i++) {
		char name[32];
		snprintf(name, sizeof name, "user%d", i);
		struct create_one c = {name, roles[i], ""};
		assert_int_equal(db_tx_run(db, true, create_one, &c), DB_OK);
		assert_int_equal(strlen(c.otp), 16);
	}
	char salts[6][16];
	int n = 0;
	struct db_stmt *st = db_prepare(db, &hashes_sql);
	assert_non_null(st);
	while (db_step(st) == DB_ROW) {
		const char *h = db_col_text(st, 0);
		unsigned m = 0, t = 0, p = 0;
		char salt_b64[64] = "";
		assert_int_equal(sscanf(h, "$argon2id$v=19$m=%u,t=%u,p=%u$%63[^$]$", &m, &t, &p, salt_b64), 4);
		assert_true(m >= 19456);
		assert_true(t >= 2);
		unsigned char salt[32];
		size_t len = 0;
		assert_int_equal(sodium_base642bin(salt, sizeof salt, salt_b64, strlen(salt_b64), NULL, &len, NULL,
						   sodium_base64_VARIANT_ORIGINAL_NO_PADDING),
				 0);
		assert_int_equal(len, 16);
		memcpy(salts[n], salt, 16);
		for (int k = 0; k < n; k++)
			assert_true(memcmp(salts[k], salts[n], 16) != 0);
		n++;
	}
	assert_int_equal(n, 6);
	dbtest_close(db);
}

static void test_S5_rehash_when_parameters_rise(void **state)
{
	(void)state;
	config_defaults();
	char h[PASSWORD_HASH_LEN];
	assert_int_equal(password_hash("Correct-Horse-9", h), 0);
	assert_true(password_verify(h, "Correct-Horse-9"));
	assert_false(password_verify(h, "Correct-Horse-8"));
	assert_false(password_verify(NULL, "Correct-Horse-9")); /* unknown user: dummy verify, never true */
	assert_false(password_needs_rehash(h));
	config_set("pwhash_ops", "3");
	assert_true(password_needs_rehash(h));
	config_set("pwhash_ops", "1"); /* below the floor counts as 2 */
	assert_false(password_needs_rehash(h));
	config_defaults();
}

static void expect(const char *pw, const char *user, const char *code)
{
	const char *msg = NULL;
	const char *got = password_policy_check(pw, user, &msg);
	if (!code) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_string_equal(got, code);
	assert_non_null(msg);
}

static void test_password_policy_dengbao_and_asvs(void **state)
{
	(void)state;
	config_defaults(); /* dengbao: >= 12, three classes */
	expect("Abc-123", NULL, "password_too_short");
	expect("abcdefghijklm", NULL, "password_too_weak");
	expect("Abcdefghijk1", NULL, NULL);
	expect("Zhangsan-2024x", "zhangsan", "password_contains_username");
	char long128[129], long129[130];
	memset(long128, 'a', 128);
	long128[0] = 'A';
	long128[1] = '1';
	long128[128] = 0;
	memcpy(long129, long128, 128);
	long129[128] = 'b';
	long129[129] = 0;
	expect(long128, NULL, NULL); /* accepted in full, not truncated */
	expect(long129, NULL, "password_too_long");
	char h1[PASSWORD_HASH_LEN];
	assert_int_equal(password_hash(long128, h1), 0);
	long128[127] = 'z'; /* a difference in the last character matters */
	assert_false(password_verify(h1, long128));
	config_set("password_policy", "asvs");
	expect("abcdefgh", NULL, NULL);
	expect("abcdefg", NULL, "password_too_short");
	expect("password", NULL, "password_common");
	expect("Aa123456", NULL, "password_common");
	expect("woaini1314", NULL, "password_common");
	expect("1qaz2wsx3edc", NULL, "password_common");
	config_defaults();
}

static void test_common_password_list(void **state)
{
	(void)state;
	static const char *const common[] = {"123456", "a123456", "woaini1314", "qwerty", "password", "11111111",
					     "5201314", "Aa123456", "QWERTY123"};
	for (size_t i = 0; i < sizeof common / sizeof common[0]; i++)
		assert_true(password_is_common(common[i]));
	assert_false(password_is_common("Dj-zq8Lw3-unusual"));
}

static void test_one_time_password_shape(void **state)
{
	(void)state;
	char a[17], b[17];
	password_one_time(a);
	password_one_time(b);
	assert_int_equal(strlen(a), 16);
	assert_string_not_equal(a, b);
	assert_null(strpbrk(a, "0O1lI"));
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_S5_every_verifier_is_argon2id_with_unique_salt),
		cmocka_unit_test(test_S5_rehash_when_parameters_rise),
		cmocka_unit_test(test_password_policy_dengbao_and_asvs),
		cmocka_unit_test(test_common_password_list),
		cmocka_unit_test(test_one_time_password_shape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
