/* idcard.c: see idcard.h. GB 11643-1999: weights 2^(17-i) mod 11, check "10X98765432". */
#include "core/idcard.h"
#include <string.h>

static const int weights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
static const char checks[] = "10X98765432";

/* The first two digits of the area code: provinces, autonomous regions and
 * municipalities (GB/T 2260), plus 71 台湾, 81 香港, 82 澳门. */
static bool province_known(int p)
{
	static const unsigned char known[] = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37,
					      41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64,
					      65, 71, 81, 82};
	for (size_t i = 0; i < sizeof known; i++)
		if (known[i] == p)
			return true;
	return false;
}

char idcard_check_char(const char first17[17])
{
	int s = 0;
	for (int i = 0; i < 17; i++)
		s += (first17[i] - '0') * weights[i];
	return checks[s % 11];
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

enum idcard_err idcard_parse(const char *s, struct date today, struct idcard *out)
{
	if (!s)
		return IDCARD_FORMAT;
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	char num[IDCARD_LEN + 1];
	bool upgraded = false;
	if (n == 18) {
		if (!all_digits(s, 17) || !((s[17] >= '0' && s[17] <= '9') || s[17] == 'X' || s[17] == 'x'))
			return IDCARD_FORMAT;
		memcpy(num, s, 18);
		if (num[17] == 'x')
			num[17] = 'X';
	} else if (n == 15) {
		if (!all_digits(s, 15))
			return IDCARD_FORMAT;
		memcpy(num, s, 6);
		num[6] = '1';
		num[7] = '9';
		memcpy(num + 8, s + 6, 9);
		num[17] = idcard_check_char(num);
		upgraded = true;
	} else {
		return IDCARD_FORMAT;
	}
	num[18] = 0;

	char iso[11] = {num[6], num[7], num[8], num[9], '-', num[10], num[11], '-', num[12], num[13], 0};
	struct date birth;
	if (!date_parse(iso, &birth))
		return IDCARD_DATE;
	if (date_cmp(birth, today) > 0)
		return IDCARD_FUTURE;
	if (!upgraded && idcard_check_char(num) != num[17])
		return IDCARD_CHECKSUM;
	if (out) {
		memcpy(out->number, num, sizeof num);
		out->birth = birth;
		out->sex = ((num[16] - '0') % 2) ? 1 : 2;
		out->upgraded = upgraded;
		out->area_known = province_known((num[0] - '0') * 10 + (num[1] - '0'));
	}
	return IDCARD_OK;
}

const char *idcard_err_code(enum idcard_err e)
{
	switch (e) {
	case IDCARD_OK: return "ok";
	case IDCARD_FORMAT: return "id_format";
	case IDCARD_DATE: return "id_date";
	case IDCARD_FUTURE: return "id_future";
	case IDCARD_CHECKSUM: return "id_checksum";
	default: return "id_invalid";
	}
}

const char *idcard_err_message(enum idcard_err e)
{
	switch (e) {
	case IDCARD_OK: return "身份证号码有效";
	case IDCARD_FORMAT: return "身份证号码应为18位（末位可为X）或旧式15位数字";
	case IDCARD_DATE: return "身份证号码中的出生日期不是有效日期";
	case IDCARD_FUTURE: return "身份证号码中的出生日期晚于今天";
	case IDCARD_CHECKSUM: return "身份证号码校验位不正确";
	default: return "身份证号码无效";
	}
}

void idcard_mask(const char *number, char buf[IDCARD_LEN + 1])
{
	size_t n = number ? strlen(number) : 0;
	if (n == IDCARD_LEN) {
		memcpy(buf, number, 6);
		memset(buf + 6, '*', 8);
		memcpy(buf + 14, number + 14, 4);
		buf[18] = 0;
		return;
	}
	if (n > IDCARD_LEN)
		n = IDCARD_LEN;
	memset(buf, '*', n);
	buf[n] = 0;
}

bool mobile_valid(const char *s)
{
	if (!s || strlen(s) != 11 || s[0] != '1' || s[1] < '3' || s[1] > '9')
		return false;
	return all_digits(s, 11);
}

void mobile_mask(const char *mobile, char buf[12])
{
	size_t n = mobile ? strlen(mobile) : 0;
	if (n == 11) {
		memcpy(buf, mobile, 3);
		memset(buf + 3, '*', 4);
		memcpy(buf + 7, mobile + 7, 4);
		buf[11] = 0;
		return;
	}
	if (n > 11)
		n = 11;
	memset(buf, '*', n);
	buf[n] = 0;
}

void idcard_make(const char area[6], struct date birth, int seq, char out[IDCARD_LEN + 1])
{
	memcpy(out, area, 6);
	int y = birth.y, m = birth.m, d = birth.d;
	out[6] = (char)('0' + y / 1000 % 10);
	out[7] = (char)('0' + y / 100 % 10);
	out[8] = (char)('0' + y / 10 % 10);
	out[9] = (char)('0' + y % 10);
	out[10] = (char)('0' + m / 10);
	out[11] = (char)('0' + m % 10);
	out[12] = (char)('0' + d / 10);
	out[13] = (char)('0' + d % 10);
	seq = ((seq % 1000) + 1000) % 1000;
	out[14] = (char)('0' + seq / 100);
	out[15] = (char)('0' + seq / 10 % 10);
	out[16] = (char)('0' + seq % 10);
	out[17] = idcard_check_char(out);
	out[18] = 0;
}
