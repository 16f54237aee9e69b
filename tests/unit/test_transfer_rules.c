/* test_transfer_rules.c: the pure rules of transfers (src/model/transfer.c):
 * R-TRF-02 validity from the settings and "expired" from the date, R-TRF-04 arrears
 * on the letter's month, R-TRF-05 the receipt alert a month after acceptance, R-TRF-06
 * the 预备期's end, and the verification code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "config.h"
#include "model/transfer.h"

static const struct date today = {2026, 12, 1};

static struct transfer_rec letter(const char *state)
{
	struct transfer_rec t;
	memset(&t, 0, sizeof t);
	t.state = state;
	t.party_status = "formal";
	return t;
}

static void test_R_TRF_02_validity_and_expiry(void **state)
{
	(void)state;
	cfg.transfer_days_city = 30;
	cfg.transfer_days_outside = 90;
	assert_int_equal(transfer_validity_days(false), 30);
	assert_int_equal(transfer_validity_days(true), 90);
	cfg.transfer_days_city = 15; /* a local setting */
	assert_int_equal(transfer_validity_days(false), 15);
	struct transfer_rec t = letter("sent");
	struct transfer_flags f;
	t.valid_until = "2026-12-01"; /* its last day: still valid, expiring */
	transfer_flags(&t, today, &f);
	assert_false(f.expired);
	assert_true(f.expiring);
	t.valid_until = "2026-11-30";
	transfer_flags(&t, today, &f);
	assert_true(f.expired);
	t.state = "received"; /* received: never expired */
	transfer_flags(&t, today, &f);
	assert_false(f.expired);
}

static void test_R_TRF_04_arrears(void **state)
{
	(void)state;
	assert_int_equal(transfer_arrears_months("2026-12", today), 0);
	assert_int_equal(transfer_arrears_months("2027-01", today), 0); /* paid ahead */
	assert_int_equal(transfer_arrears_months("2026-09", today), 3);
	assert_int_equal(transfer_arrears_months("2025-12", today), 12);
	assert_int_equal(transfer_arrears_months(NULL, today), -1);
}

static void test_R_TRF_05_receipt_alert(void **state)
{
	(void)state;
	struct transfer_rec t = letter("received");
	struct transfer_flags f;
	t.received_on = "2026-11-01"; /* exactly a month: not yet */
	transfer_flags(&t, today, &f);
	assert_false(f.receipt_overdue);
	t.received_on = "2026-10-31";
	transfer_flags(&t, today, &f);
	assert_true(f.receipt_overdue);
	t.state = "receipt_returned";
	transfer_flags(&t, today, &f);
	assert_false(f.receipt_overdue);
}

static void test_R_TRF_06_probation_end(void **state)
{
	(void)state;
	char b[11];
	struct transfer_rec t = letter("sent");
	t.joined_on = "2026-02-28";
	transfer_probation_end(&t, b);
	assert_string_equal(b, ""); /* 正式党员 */
	t.party_status = "probationary";
	transfer_probation_end(&t, b);
	assert_string_equal(b, "2027-02-28");
}

static void test_state_names(void **state)
{
	(void)state;
	assert_string_equal(transfer_state_name("expired"), "已过期");
	assert_string_equal(transfer_state_name("receipt_returned"), "回执已返回");
	assert_string_equal(transfer_kind_name("in"), "转入本系统");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_R_TRF_02_validity_and_expiry),
		cmocka_unit_test(test_R_TRF_04_arrears),
		cmocka_unit_test(test_R_TRF_05_receipt_alert),
		cmocka_unit_test(test_R_TRF_06_probation_end),
		cmocka_unit_test(test_state_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
