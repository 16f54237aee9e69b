/* test_channel_sign.c: the SMS providers' signatures (src/core/sign.c,
 * src/jobs/channel_sms.c). SHA-1 and HMAC-SHA1 against FIPS 180 and RFC 2202 vectors;
 * Alibaba Cloud's RPC signature against the worked example of its SMS documentation
 * (签名机制: AccessKeySecret testSecret, the SendSms request of 2017-07-12T02:42:19Z,
 * Signature zJDF+Lrzhj/ThnlvIToysFRq6t4=). Tencent Cloud's documentation masks the
 * secrets of its example, so TC3 is proved in tests/api/messages.test.mjs against an
 * independent implementation in the fake gateway. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/arena.h"
#include "core/sign.h"
#include "jobs/channel.h"

static void test_sha1_vectors(void **state)
{
	(void)state;
	struct arena *a = arena_new();
	unsigned char h[20];
	sign_sha1("abc", 3, h);
	assert_string_equal(sign_hex(a, h, 20), "a9993e364706816aba3e25717850c26c9cd0d89d");
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	sign_sha1(two, strlen(two), h);
	assert_string_equal(sign_hex(a, h, 20), "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
	unsigned char key[20];
	memset(key, 0x0b, sizeof key);
	sign_hmac_sha1(key, sizeof key, "Hi There", 8, h); /* RFC 2202 test case 1 */
	assert_string_equal(sign_hex(a, h, 20), "b617318655057264e28bc0b6fb378c8ef146be00");
	unsigned char big[80];
	memset(big, 0xaa, sizeof big); /* RFC 2202 test case 6: a key longer than the block */
	const char *m6 = "Test Using Larger Than Block-Size Key - Hash Key First";
	sign_hmac_sha1(big, sizeof big, m6, strlen(m6), h);
	assert_string_equal(sign_hex(a, h, 20), "aa4ae5e15272d00e95705637ce8a3b55ed402112");
	arena_free(a);
}

static void test_aliyun_documented_example(void **state)
{
	(void)state;
	struct arena *a = arena_new();
	const char *kv[] = {"AccessKeyId", "testId", "Action", "SendSms", "Format", "XML", "OutId", "123", "PhoneNumbers",
			    "15300000001", "RegionId", "cn-hangzhou", "SignName", "阿里云短信测试专用", "SignatureMethod",
			    "HMAC-SHA1", "SignatureNonce", "45e25e9b-0a6f-4070-8c85-2956eda1b466", "SignatureVersion", "1.0",
			    "TemplateCode", "SMS_71390007", "TemplateParam", "{\"customer\":\"test\"}", "Timestamp",
			    "2017-07-12T02:42:19Z", "Version", "2017-05-25"};
	char *sig = chan_aliyun_signature(a, "GET", "testSecret", kv, sizeof kv / sizeof kv[0] / 2);
	assert_string_equal(sig, "zJDF+Lrzhj/ThnlvIToysFRq6t4=");
	assert_string_equal(sign_percent(a, "a b*~/中"), "a%20b%2A~%2F%E4%B8%AD");
	arena_free(a);
}

static void test_mobile(void **state)
{
	(void)state;
	assert_true(chan_mobile_valid("13812345678"));
	assert_true(chan_mobile_valid("+8619912345678"));
	assert_false(chan_mobile_valid("12812345678"));
	assert_false(chan_mobile_valid("1381234567"));
	assert_false(chan_mobile_valid("1381234567x"));
	assert_false(chan_mobile_valid(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha1_vectors),
		cmocka_unit_test(test_aliyun_documented_example),
		cmocka_unit_test(test_mobile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
