/* password.c: Argon2id verifiers, the password policy and the common-password list;
 * see password.h. */
#include "auth/password.h"
#include "config.h"
#include "core/embedded.h"
#include <ctype.h>
#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MEM_FLOOR_KIB 19456 /* 19 MiB: OWASP's Argon2id minimum */
#define OPS_FLOOR 2

static unsigned long long mem_bytes(void)
{
	int64_t kib = cfg.pwhash_mem_kib < MEM_FLOOR_KIB ? MEM_FLOOR_KIB : cfg.pwhash_mem_kib;
	return (unsigned long long)kib * 1024ULL;
}

static unsigned long long ops(void)
{
	return (unsigned long long)(cfg.pwhash_ops < OPS_FLOOR ? OPS_FLOOR : cfg.pwhash_ops);
}

/* One Argon2id computation at a time in the whole process: a login storm then takes one
 * core and one 19 MiB block, and the other core keeps serving reads (bench/results.md:
 * logins do not starve reads; the peak RSS stays under 64 MB). */
static pthread_mutex_t hash_mu = PTHREAD_MUTEX_INITIALIZER;

int password_hash(const char *password, char out[PASSWORD_HASH_LEN])
{
	_Static_assert(PASSWORD_HASH_LEN == crypto_pwhash_STRBYTES, "verifier buffer");
	pthread_mutex_lock(&hash_mu);
	int rc = crypto_pwhash_str_alg(out, password, strlen(password), ops(), (size_t)mem_bytes(),
				       crypto_pwhash_ALG_ARGON2ID13);
	pthread_mutex_unlock(&hash_mu);
	return rc == 0 ? 0 : -1;
}

static bool verify_locked(const char *verifier, const char *password)
{
	pthread_mutex_lock(&hash_mu);
	int rc = crypto_pwhash_str_verify(verifier, password, strlen(password));
	pthread_mutex_unlock(&hash_mu);
	return rc == 0;
}

/* A verifier of a random password with the configured cost, made once: unknown users
 * are checked against it so their answer costs what a wrong password costs. */
static char dummy[PASSWORD_HASH_LEN];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static void make_dummy(void)
{
	char pw[17];
	password_one_time(pw);
	if (password_hash(pw, dummy) != 0)
		dummy[0] = 0;
}

bool password_verify(const char *verifier, const char *password)
{
	if (!verifier) {
		pthread_once(&dummy_once, make_dummy);
		/* the cost of a verification is the point; the answer for no user is always no */
		if (dummy[0])
			(void)verify_locked(dummy, password);
		return false;
	}
	return verify_locked(verifier, password);
}

bool password_needs_rehash(const char *verifier)
{
	return crypto_pwhash_str_needs_rehash(verifier, ops(), (size_t)mem_bytes()) != 0;
}

bool password_policy_asvs(void)
{
	const char *policy = cfg.password_policy;
	return strcmp(policy, "asvs") == 0;
}

size_t password_chars(const char *s)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		n += (*p & 0xC0) != 0x80;
	return n;
}

/* The common-password list: the embedded file split into a sorted array once. */
static char **common;
static size_t n_common;
static char *common_buf;
static pthread_once_t common_once = PTHREAD_ONCE_INIT;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void load_common(void)
{
	const struct embedded_file *f = embedded_find("data/common-passwords.txt");
	if (!f)
		return;
	common_buf = malloc(f->len + 1);
	size_t lines = 1;
	for (size_t i = 0; i < f->len; i++)
		lines += f->data[i] == '\n';
	common = calloc(lines, sizeof *common);
	if (!common_buf || !common) {
		free(common_buf);
		free(common);
		common_buf = NULL;
		common = NULL;
		return;
	}
	memcpy(common_buf, f->data, f->len);
	common_buf[f->len] = 0;
	char *p = common_buf;
	while (*p) {
		char *e = strchr(p, '\n');
		if (e)
			*e = 0;
		size_t l = strlen(p);
		if (l && p[l - 1] == '\r')
			p[--l] = 0;
		if (l)
			common[n_common++] = p;
		if (!e)
			break;
		p = e + 1;
	}
	qsort(common, n_common, sizeof *common, cmp_str);
}

bool password_is_common(const char *password)
{
	pthread_once(&common_once, load_common);
	size_t len = strlen(password);
	if (len > PASSWORD_MAX_CHARS * 4)
		return false;
	char low[PASSWORD_MAX_CHARS * 4 + 1];
	for (size_t i = 0; i < len; i++)
		low[i] = (char)tolower((unsigned char)password[i]);
	low[len] = 0;
	const char *key = low;
	return n_common && bsearch(&key, common, n_common, sizeof *common, cmp_str) != NULL;
}

static bool contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	if (n < 3)
		return false;
	for (const char *h = hay; *h; h++)
		if (strncasecmp(h, needle, n) == 0)
			return true;
	return false;
}

const char *password_policy_check(const char *password, const char *username, const char **message)
{
	bool dengbao = !password_policy_asvs();
	size_t chars = password_chars(password);
	size_t min = dengbao ? 12 : 8;
	if (chars < min) {
		*message = dengbao ? "密码至少 12 个字符" : "密码至少 8 个字符";
		return "password_too_short";
	}
	if (chars > PASSWORD_MAX_CHARS) {
		*message = "密码最多 128 个字符";
		return "password_too_long";
	}
	if (dengbao) {
		bool up = false, low = false, digit = false, other = false;
		for (const unsigned char *p = (const unsigned char *)password; *p; p++) {
			if (isupper(*p))
				up = true;
			else if (islower(*p))
				low = true;
			else if (isdigit(*p))
				digit = true;
			else
				other = true;
		}
		if (up + low + digit + other < 3) {
			*message = "密码须包含大写字母、小写字母、数字、符号中的至少三类";
			return "password_too_weak";
		}
	}
	if (password_is_common(password)) {
		*message = "密码过于常见，请换一个";
		return "password_common";
	}
	if (username && contains_ci(password, username)) {
		*message = "密码不能包含用户名";
		return "password_contains_username";
	}
	*message = NULL;
	return NULL;
}

void password_one_time(char out[17])
{
	static const char upper[] = "ABCDEFGHJKLMNPQRSTUVWXYZ";
	static const char lower[] = "abcdefghijkmnpqrstuvwxyz";
	static const char digits[] = "23456789";
	static const char all[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";
	for (;;) {
		bool u = false, l = false, d = false;
		for (int i = 0; i < 16; i++) {
			char c = all[randombytes_uniform(sizeof all - 1)];
			u |= strchr(upper, c) != NULL;
			l |= strchr(lower, c) != NULL;
			d |= strchr(digits, c) != NULL;
			out[i] = c;
		}
		out[16] = 0;
		if (u && l && d)
			return;
	}
}
