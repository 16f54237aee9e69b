/* test_totp.c: RFC 6238 codes (src/auth/totp.c): the RFC's SHA-1 test vectors, the
 * ±1 step window and replay refusal (SECURITY.md S8). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <string.h>

#include "auth/totp.h"

static const unsigned char rfc_secret[TOTP_SECRET_LEN] = "12345678901234567890";

static void test_rfc6238_vectors(void **state)
{
	(void)state;
	/* RFC 6238 appendix B, SHA-1, last six digits of the eight-digit values */
	static const struct {
		int64_t t;
		const char *code;
	} v[] = {{59, "287082"}, {1111111109, "081804"}, {1111111111, "050471"},
		 {1234567890, "005924"}, {2000000000, "279037"}, {20000000000, "353130"}};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		char code[7];
		assert_int_equal(totp_code(rfc_secret, v[i].t, code), 0);
		assert_string_equal(code, v[i].code);
	}
}

static void test_S8_totp_window_and_replay(void **state)
{
	(void)state;
	unsigned char s[TOTP_SECRET_LEN];
	totp_new_secret(s);
	int64_t now = 1800000000;
	char code[7];
	assert_int_equal(totp_code(s, now - 30, code), 0);
	assert_int_equal(totp_check(s, code, now, 0), now / 30 - 1); /* one step late is accepted */
	assert_int_equal(totp_code(s, now + 90, code), 0);
	assert_int_equal(totp_check(s, code, now, 0), -1); /* three steps ahead is not */
	assert_int_equal(totp_code(s, now, code), 0);
	int64_t step = totp_check(s, code, now, 0);
	assert_int_equal(step, now / 30);
	assert_int_equal(totp_check(s, code, now, step), -1); /* never the same code twice */
	assert_int_equal(totp_check(s, "12345", now, 0), -1);
	assert_int_equal(totp_check(s, NULL, now, 0), -1);
	char b32[64];
	assert_int_equal(totp_base32(rfc_secret, b32, sizeof b32), 0);
	assert_string_equal(b32, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc6238_vectors),
		cmocka_unit_test(test_S8_totp_window_and_replay),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
