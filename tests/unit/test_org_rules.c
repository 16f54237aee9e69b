/* test_org_rules.c: R-ORG-01…05 (src/model/org.c org_alerts, org_term_end) and the
 * member rules that validation enforces (R-DEV-01/11/12/13, ID cross-checks). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "model/codes.h"
#include "model/member.h"
#include "model/org.h"

static const struct date today = {2026, 11, 29};

static struct org_rec branch(const char *type, const char *domain, const char *start)
{
	struct org_rec o;
	memset(&o, 0, sizeof o);
	o.type = type;
	o.domain = domain;
	o.term_started_on = start;
	return o;
}

static bool has(const struct org_alert *a, int n, enum org_alert_code c)
{
	for (int i = 0; i < n; i++)
		if (a[i].code == c)
			return true;
	return false;
}

static void test_R_ORG_01_term_years(void **state)
{
	(void)state;
	char end[11];
	struct org_rec o = branch("党委", "国企", "2021-05-10");
	assert_true(org_term_end(&o, end));
	assert_string_equal(end, "2026-05-10"); /* 基层党委 5 */
	o = branch("党支部", "机关", "2024-02-29");
	assert_true(org_term_end(&o, end));
	assert_string_equal(end, "2027-02-28"); /* 党支部 3; 29 Feb → 28 Feb */
	o = branch("党总支", "学校", "2020-01-01");
	assert_true(org_term_end(&o, end));
	assert_string_equal(end, "2023-01-01");
	o = branch("党支部", "社区", "2022-06-01");
	assert_true(org_term_end(&o, end));
	assert_string_equal(end, "2027-06-01"); /* 社区 5 */
	o = branch("党支部", "机关", NULL);
	assert_false(org_term_end(&o, end));
	o = branch("党支部", "机关", "2020-01-01");
	o.term_years = 4; /* an explicit term */
	assert_true(org_term_end(&o, end));
	assert_string_equal(end, "2024-01-01");
}

static void test_R_ORG_02_alert_six_months_before(void **state)
{
	(void)state;
	struct org_alert a[8];
	struct org_rec o = branch("党支部", "机关", "2024-05-29"); /* ends 2027-05-29: exactly 6 months */
	int n = org_alerts(&o, 5, 3, today, a, 8);
	assert_true(has(a, n, ORG_ALERT_TERM_DUE));
	assert_string_equal(a[0].due_on, "2027-05-29");
	assert_string_equal(org_alert_code_name(ORG_ALERT_TERM_DUE), "term_due");
	o = branch("党支部", "机关", "2024-05-30"); /* one day more than 6 months away */
	n = org_alerts(&o, 5, 3, today, a, 8);
	assert_false(has(a, n, ORG_ALERT_TERM_DUE));
}

static void test_R_ORG_03_overdue_and_extension(void **state)
{
	(void)state;
	struct org_alert a[8];
	struct org_rec o = branch("党支部", "机关", "2023-11-29"); /* ended today */
	int n = org_alerts(&o, 5, 3, today, a, 8);
	assert_true(has(a, n, ORG_ALERT_TERM_OVERDUE));
	assert_false(has(a, n, ORG_ALERT_TERM_DUE));
	o.extended_until = "2027-03-01"; /* approved extension within a year */
	n = org_alerts(&o, 5, 3, today, a, 8);
	assert_false(has(a, n, ORG_ALERT_TERM_OVERDUE));
	assert_false(has(a, n, ORG_ALERT_EXTENSION_TOO_LONG));
	assert_true(has(a, n, ORG_ALERT_TERM_DUE));
	o.extended_until = "2024-12-01"; /* extension lapsed */
	n = org_alerts(&o, 5, 3, today, a, 8);
	assert_true(has(a, n, ORG_ALERT_TERM_OVERDUE));
	o.extended_until = "2027-12-01"; /* more than a year after the regular end (2026-11-29) */
	n = org_alerts(&o, 5, 3, today, a, 8);
	assert_true(has(a, n, ORG_ALERT_EXTENSION_TOO_LONG));
}

static void test_R_ORG_04_committee_required(void **state)
{
	(void)state;
	struct org_alert a[8];
	struct org_rec o = branch("党支部", "非公企业", "2025-01-01");
	assert_true(has(a, org_alerts(&o, 7, 0, today, a, 8), ORG_ALERT_COMMITTEE_REQUIRED));
	assert_true(has(a, org_alerts(&o, 7, 2, today, a, 8), ORG_ALERT_COMMITTEE_REQUIRED));
	assert_false(has(a, org_alerts(&o, 7, 3, today, a, 8), ORG_ALERT_COMMITTEE_REQUIRED));
	assert_false(has(a, org_alerts(&o, 7, 7, today, a, 8), ORG_ALERT_COMMITTEE_REQUIRED));
	assert_true(has(a, org_alerts(&o, 30, 8, today, a, 8), ORG_ALERT_COMMITTEE_REQUIRED));
	assert_false(has(a, org_alerts(&o, 6, 0, today, a, 8), ORG_ALERT_COMMITTEE_REQUIRED));
	o = branch("党委", "国企", "2025-01-01"); /* only branches */
	assert_false(has(a, org_alerts(&o, 70, 0, today, a, 8), ORG_ALERT_COMMITTEE_REQUIRED));
}

static void test_R_ORG_05_three_formal_members(void **state)
{
	(void)state;
	struct org_alert a[8];
	struct org_rec o = branch("党支部", "非公企业", "2025-01-01");
	assert_true(has(a, org_alerts(&o, 2, 0, today, a, 8), ORG_ALERT_TOO_FEW_MEMBERS));
	assert_false(has(a, org_alerts(&o, 3, 0, today, a, 8), ORG_ALERT_TOO_FEW_MEMBERS));
	o.type = "联合党支部"; /* its own alert (issue 20 #17): joined by units that each have fewer than 3 */
	assert_true(has(a, org_alerts(&o, 2, 0, today, a, 8), ORG_ALERT_JOINT_TOO_FEW));
	o.type = "党小组";
	assert_false(has(a, org_alerts(&o, 0, 0, today, a, 8), ORG_ALERT_TOO_FEW_MEMBERS));
}

struct errs {
	char list[16][64];
	int n;
};

static void collect(void *ctx, const char *field, const char *code, const char *message)
{
	(void)message;
	struct errs *e = ctx;
	if (e->n < 16)
		snprintf(e->list[e->n++], 64, "%s:%s", field, code);
}

static bool err_has(const struct errs *e, const char *s)
{
	for (int i = 0; i < e->n; i++)
		if (strcmp(e->list[i], s) == 0)
			return true;
	return false;
}

static struct member_rec good(void)
{
	struct member_rec r;
	memset(&r, 0, sizeof r);
	r.name = "张三";
	r.id_number = "11010519491231002x";
	r.party_status = "formal";
	r.joined_on = "1975-07-01";
	r.confirmed_on = "1976-07-01";
	r.dues_base = -1;
	return r;
}

static void test_member_valid_record_normalized(void **state)
{
	(void)state;
	struct arena *a = arena_new();
	struct errs e = {0};
	struct member_rec r = good();
	assert_int_equal(member_validate(&r, today, a, collect, &e), 0);
	assert_string_equal(r.id_number, "11010519491231002X");
	assert_string_equal(r.sex, "2");
	assert_string_equal(r.birth_date, "1949-12-31");
	assert_string_equal(r.ethnicity, "01");
	assert_string_equal(r.state, "normal");
	arena_free(a);
}

static void test_member_id_cross_checks(void **state)
{
	(void)state;
	struct arena *a = arena_new();
	struct errs e = {0};
	struct member_rec r = good();
	r.sex = "1";
	r.birth_date = "1950-01-01";
	member_validate(&r, today, a, collect, &e);
	assert_true(err_has(&e, "sex:id_sex_mismatch"));
	assert_true(err_has(&e, "birth_date:id_birth_mismatch"));
	e.n = 0;
	r = good();
	r.id_number = "110105194912310021";
	member_validate(&r, today, a, collect, &e);
	assert_true(err_has(&e, "id_number:id_checksum"));
	arena_free(a);
}

static void test_R_DEV_01_joined_at_18_or_older(void **state)
{
	(void)state;
	struct arena *a = arena_new();
	struct errs e = {0};
	struct member_rec r = good();
	r.joined_on = "1967-12-30"; /* one day before the 18th birthday */
	r.confirmed_on = "1968-12-30";
	member_validate(&r, today, a, collect, &e);
	assert_true(err_has(&e, "joined_on:R-DEV-01"));
	e.n = 0;
	r = good();
	r.joined_on = "1967-12-31";
	r.confirmed_on = "1968-12-31";
	assert_int_equal(member_validate(&r, today, a, collect, &e), 0);
	arena_free(a);
}

static void test_R_DEV_11_confirmation_after_one_year(void **state)
{
	(void)state;
	struct arena *a = arena_new();
	struct errs e = {0};
	struct member_rec r = good();
	r.confirmed_on = "1976-06-30";
	member_validate(&r, today, a, collect, &e);
	assert_true(err_has(&e, "confirmed_on:R-DEV-11"));
	e.n = 0;
	r = good();
	r.confirmed_on = NULL; /* a formal member needs 转正时间 */
	member_validate(&r, today, a, collect, &e);
	assert_true(err_has(&e, "confirmed_on:required"));
	e.n = 0;
	r = good();
	r.party_status = "probationary"; /* a probationary member has none */
	r.joined_on = "2026-03-01";
	r.confirmed_on = "2027-03-01";
	member_validate(&r, today, a, collect, &e);
	assert_true(err_has(&e, "confirmed_on:probationary_confirmed"));
	arena_free(a);
}

static void test_R_DEV_12_probation_at_most_extended_once(void **state)
{
	(void)state;
	struct arena *a = arena_new();
	struct errs e = {0};
	struct member_rec r = good();
	r.confirmed_on = "1977-10-02"; /* 1 year + 12 months + 3 months + 1 day */
	member_validate(&r, today, a, collect, &e);
	assert_true(err_has(&e, "confirmed_on:R-DEV-12"));
	e.n = 0;
	r = good();
	r.party_status = "probationary";
	r.confirmed_on = NULL;
	r.joined_on = "2024-06-01"; /* 预备期 with the longest extension ended long ago */
	member_validate(&r, today, a, collect, &e);
	assert_true(err_has(&e, "party_status:R-DEV-12"));
	arena_free(a);
}

static void test_R_DEV_13_party_age_from_confirmation(void **state)
{
	(void)state;
	assert_int_equal(member_party_age("1976-07-01", today), 50);
	assert_int_equal(member_party_age("2025-11-30", today), 0);
	assert_int_equal(member_party_age(NULL, today), 0);
	char b[6];
	member_political_birthday("1975-07-01", b); /* R-BDAY-01: 政治生日 = 入党时间 */
	assert_string_equal(b, "07-01");
}

static void test_member_codes_checked(void **state)
{
	(void)state;
	struct arena *a = arena_new();
	struct errs e = {0};
	struct member_rec r = good();
	r.ethnicity = "99";
	r.education = "50";
	r.state = "gone";
	r.mobile = "23800000000";
	r.dues_paid_to = "2026-13";
	member_validate(&r, today, a, collect, &e);
	assert_true(err_has(&e, "ethnicity:invalid_code"));
	assert_true(err_has(&e, "education:invalid_code"));
	assert_true(err_has(&e, "state:invalid_code"));
	assert_true(err_has(&e, "mobile:mobile_format"));
	assert_true(err_has(&e, "dues_paid_to:invalid_month"));
	r = good();
	r.unit_type = "非公企业";
	e.n = 0;
	assert_int_equal(member_validate(&r, today, a, collect, &e), 0);
	assert_true(r.two_new);
	arena_free(a);
}

static void test_codes_tables(void **state)
{
	(void)state;
	assert_int_equal(codes_table("ethnicity")->n, 58);
	assert_string_equal(codes_name("ethnicity", "56"), "基诺族");
	assert_string_equal(codes_lookup("sex", "女"), "2");
	assert_true(codes_edu_college_plus("10"));
	assert_true(codes_edu_college_plus("39"));
	assert_false(codes_edu_college_plus("41"));
	assert_false(codes_edu_college_plus("9"));
	assert_true(codes_two_new_domain("社会组织"));
	assert_false(codes_two_new_domain("国企"));
	assert_null(codes_table("nope"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_R_ORG_01_term_years),
		cmocka_unit_test(test_R_ORG_02_alert_six_months_before),
		cmocka_unit_test(test_R_ORG_03_overdue_and_extension),
		cmocka_unit_test(test_R_ORG_04_committee_required),
		cmocka_unit_test(test_R_ORG_05_three_formal_members),
		cmocka_unit_test(test_member_valid_record_normalized),
		cmocka_unit_test(test_member_id_cross_checks),
		cmocka_unit_test(test_R_DEV_01_joined_at_18_or_older),
		cmocka_unit_test(test_R_DEV_11_confirmation_after_one_year),
		cmocka_unit_test(test_R_DEV_12_probation_at_most_extended_once),
		cmocka_unit_test(test_R_DEV_13_party_age_from_confirmation),
		cmocka_unit_test(test_member_codes_checked),
		cmocka_unit_test(test_codes_tables),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
