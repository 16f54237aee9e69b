/* member.c: SQL, validation and storage of member records (see member.h). */
#include "model/member.h"
#include "core/arena.h"
#include "core/collate.h"
#include "core/idcard.h"
#include "core/log.h"
#include "model/codes.h"
#include "model/seal.h"
#include <string.h>

enum member_stmt {
	STMT_MEMBER_INSERT,
	STMT_MEMBER_BY_BLIND,
	STMT_MEMBER_COUNT,
	/* the secondary indexes of 0020_roster, dropped for a bulk load… */
	STMT_MEMBER_BULK_DROP1,
	STMT_MEMBER_BULK_DROP2,
	STMT_MEMBER_BULK_DROP3,
	STMT_MEMBER_BULK_DROP4,
	STMT_MEMBER_BULK_DROP5,
	STMT_MEMBER_BULK_DROP6,
	STMT_MEMBER_BULK_DROP7,
	STMT_MEMBER_BULK_DROP8,
	STMT_MEMBER_BULK_DROP9,
	/* … and built again after it */
	STMT_MEMBER_BULK_CREATE1,
	STMT_MEMBER_BULK_CREATE2,
	STMT_MEMBER_BULK_CREATE3,
	STMT_MEMBER_BULK_CREATE4,
	STMT_MEMBER_BULK_CREATE5,
	STMT_MEMBER_BULK_CREATE6,
	STMT_MEMBER_BULK_CREATE7,
	STMT_MEMBER_BULK_CREATE8,
	STMT_MEMBER_BULK_CREATE9,
	STMT_MEMBER_STAGED_BY_BLIND,
	STMT_MEMBER_DUP_PROBES,
	STMT_MEMBER_UNMASKED,
	STMT_MEMBER_SET_MASKS,
	STMT_MEMBER_UNKEYED,
	STMT_MEMBER_SET_NAME_KEYS,
	MEMBER_STMT__MAX
};
/* the ranges that member_bulk_begin and member_bulk_end run, first to last */
enum {
	MEMBER_BULK_DROP_FIRST = STMT_MEMBER_BULK_DROP1,
	MEMBER_BULK_DROP_LAST = STMT_MEMBER_BULK_DROP9,
	MEMBER_BULK_CREATE_FIRST = STMT_MEMBER_BULK_CREATE1,
	MEMBER_BULK_CREATE_LAST = STMT_MEMBER_BULK_CREATE9,
};
_Static_assert(MEMBER_BULK_DROP_LAST - MEMBER_BULK_DROP_FIRST == MEMBER_BULK_CREATE_LAST - MEMBER_BULK_CREATE_FIRST,
	       "every index dropped for a bulk load is built again");
/* the rows of member.insert's RETURNING and of member.by_blind */
enum member_key_col { MEMBER_COL_ID, MEMBER_COL_ORG_PATH };
/* the rows of member.unmasked */
enum member_unmasked_col { MEMBER_UNMASKED_COL_ID, MEMBER_UNMASKED_COL_ID_CIPHER, MEMBER_UNMASKED_COL_MOBILE_CIPHER };
/* the rows of member.unkeyed */
enum member_unkeyed_col { MEMBER_UNKEYED_COL_ID, MEMBER_UNKEYED_COL_NAME };

/* member.insert: $1 … $37 are the record's columns as member_bind_sealed binds them
 * ($1 org_id, $2 group_org_id, $3 name, … $32 the time stamp (created_at and
 * updated_at), $33 stats_key, $34 id_masked, $35 mobile_masked, $36 name_pinyin, $37
 * name_strokes); the path is read from the organization. (An import's staging insert
 * binds the same $1 … $37.) */
static const struct db_sql member_sql[MEMBER_STMT__MAX] = {
	[STMT_MEMBER_INSERT] = {"member.insert",
	 "INSERT INTO members (org_id, org_path, group_org_id, name, former_name, sex, birth_date, id_cipher, id_blind,"
	 " mobile_cipher, mobile_blind, ethnicity, native_place, address, grid_id, building_id, education, degree,"
	 " work_unit, unit_type, two_new, post, category, party_status, state, party_post, joined_on, confirmed_on,"
	 " introducers, dues_base, dues_paid_to, tags, created_at, updated_at, stats_key, id_masked, mobile_masked,"
	 " name_pinyin, name_strokes)"
	 " SELECT $1, o.path, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,"
	 " $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $32, $33, $34, $35, $36, $37 FROM orgs o"
	 " WHERE o.id = $1"
	 " RETURNING id, org_path"},
	[STMT_MEMBER_BY_BLIND] = {"member.by_blind", "SELECT id, org_path FROM members WHERE id_blind = $1"},
	[STMT_MEMBER_COUNT] = {"member.count", "SELECT COUNT(*) FROM members"},
	[STMT_MEMBER_BULK_DROP1] = {"member.bulk_drop1", "DROP INDEX IF EXISTS members_path_name"},
	[STMT_MEMBER_BULK_DROP2] = {"member.bulk_drop2", "DROP INDEX IF EXISTS members_name"},
	[STMT_MEMBER_BULK_DROP3] = {"member.bulk_drop3", "DROP INDEX IF EXISTS members_joined"},
	[STMT_MEMBER_BULK_DROP4] = {"member.bulk_drop4", "DROP INDEX IF EXISTS members_org"},
	[STMT_MEMBER_BULK_DROP5] = {"member.bulk_drop5", "DROP INDEX IF EXISTS members_mobile_blind"},
	[STMT_MEMBER_BULK_DROP6] = {"member.bulk_drop6", "DROP INDEX IF EXISTS members_stats"},
	[STMT_MEMBER_BULK_DROP7] = {"member.bulk_drop7", "DROP INDEX IF EXISTS members_probationary"},
	[STMT_MEMBER_BULK_DROP8] = {"member.bulk_drop8", "DROP INDEX IF EXISTS members_pinyin"},
	[STMT_MEMBER_BULK_DROP9] = {"member.bulk_drop9", "DROP INDEX IF EXISTS members_strokes"},
	/* exactly as the migrations define them (0020, 0041, 0111, 0114) */
	[STMT_MEMBER_BULK_CREATE1] = {"member.bulk_create1",
	 "CREATE INDEX IF NOT EXISTS members_path_name ON members (org_path, name_pinyin, id, joined_on, stats_key, name)"},
	[STMT_MEMBER_BULK_CREATE2] = {"member.bulk_create2",
	 "CREATE INDEX IF NOT EXISTS members_name ON members (name, id, org_path, stats_key, joined_on)"},
	[STMT_MEMBER_BULK_CREATE3] = {"member.bulk_create3",
	 "CREATE INDEX IF NOT EXISTS members_joined ON members (joined_on, id, org_path, stats_key, name)"},
	[STMT_MEMBER_BULK_CREATE4] = {"member.bulk_create4", "CREATE INDEX IF NOT EXISTS members_org ON members (org_id)"},
	[STMT_MEMBER_BULK_CREATE5] = {"member.bulk_create5",
	 "CREATE INDEX IF NOT EXISTS members_mobile_blind ON members (mobile_blind)"},
	[STMT_MEMBER_BULK_CREATE6] = {"member.bulk_create6",
	 "CREATE INDEX IF NOT EXISTS members_stats ON members (org_path, org_id, stats_key)"},
	[STMT_MEMBER_BULK_CREATE7] = {"member.bulk_create7", "CREATE INDEX IF NOT EXISTS members_probationary ON members"
	 " (joined_on, id, org_path, stats_key, name) WHERE (stats_key & 1) = 0"},
	[STMT_MEMBER_BULK_CREATE8] = {"member.bulk_create8",
	 "CREATE INDEX IF NOT EXISTS members_pinyin ON members (name_pinyin, id, org_path, stats_key, joined_on, name)"},
	[STMT_MEMBER_BULK_CREATE9] = {"member.bulk_create9",
	 "CREATE INDEX IF NOT EXISTS members_strokes ON members (name_strokes, id, org_path)"},
	/* a person an import has staged (0051): reserved, not yet visible */
	[STMT_MEMBER_STAGED_BY_BLIND] = {"member.staged_by_blind", "SELECT org_path FROM import_stage WHERE id_blind = $1"},
	/* S20: user $1's answers of action $2 about people outside their scope since $3 */
	[STMT_MEMBER_DUP_PROBES] = {"member.dup_probes",
	 "SELECT COUNT(*) FROM audit_log WHERE action = $2 AND actor_id = $1 AND at >= $3"},
	/* member_fill_masks: up to $2 rows written before 0052, after id $1, from the
	 * partial index of 0052 (empty once they are filled) */
	[STMT_MEMBER_UNMASKED] = DB_SQL_INDEXED("member.unmasked",
	 "SELECT id, id_cipher, mobile_cipher FROM members", "members_unmasked",
	 " WHERE id_masked IS NULL AND id > $1 ORDER BY id LIMIT $2"),
	/* no trigger of 0040 fires: neither org_id nor org_path changes */
	[STMT_MEMBER_SET_MASKS] = {"member.set_masks",
	 "UPDATE members SET id_masked = $2, mobile_masked = $3 WHERE id = $1"},
	/* member_fill_name_keys: up to $2 rows written before 0114, after id $1 */
	[STMT_MEMBER_UNKEYED] = DB_SQL_INDEXED("member.unkeyed", "SELECT id, name FROM members", "members_unkeyed",
	 " WHERE name_pinyin IS NULL AND id > $1 ORDER BY id LIMIT $2"),
	[STMT_MEMBER_SET_NAME_KEYS] = {"member.set_name_keys",
	 "UPDATE members SET name_pinyin = $2, name_strokes = $3 WHERE id = $1"},
};
DB_SQL_TABLE(member, member_sql);

static bool blank(const char *s)
{
	return !s || !*s;
}

/* Characters (UTF-8 code points) in s. */
static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

const struct member_text_limit member_text_limits[MT__MAX] = {
	[MT_NAME] = {"name", "姓名", 50, false},
	[MT_FORMER_NAME] = {"former_name", "曾用名", 50, true},
	[MT_SEX] = {"sex", "性别", 1, false},
	[MT_ID_NUMBER] = {"id_number", "身份证号码", 18, false},
	[MT_BIRTH_DATE] = {"birth_date", "出生日期", 10, false},
	[MT_ETHNICITY] = {"ethnicity", "民族", 2, false},
	[MT_NATIVE_PLACE] = {"native_place", "籍贯", 50, true},
	[MT_MOBILE] = {"mobile", "手机号码", 11, false},
	[MT_ADDRESS] = {"address", "家庭住址", 200, true},
	[MT_EDUCATION] = {"education", "学历", 2, false},
	[MT_DEGREE] = {"degree", "学位", 30, true},
	[MT_WORK_UNIT] = {"work_unit", "工作单位", 100, true},
	[MT_UNIT_TYPE] = {"unit_type", "单位性质", 20, false},
	[MT_POST] = {"post", "职务", 50, true},
	[MT_CATEGORY] = {"category", "人员类别", 20, false},
	[MT_PARTY_STATUS] = {"party_status", "党员类别", 20, false},
	[MT_PARTY_POST] = {"party_post", "党内职务", 50, true},
	[MT_DUES_PAID_TO] = {"dues_paid_to", "党费交至", 7, false},
};

bool member_list_ok(const json_t *list, size_t max)
{
	if (!json_is_array(list) || json_array_size(list) > max)
		return false;
	size_t k;
	json_t *e;
	json_array_foreach(list, k, e) if (!json_is_string(e) || utf8_chars(json_string_value(e)) > 50) return false;
	return true;
}

int member_check_lengths(const struct member_rec *r, struct arena *a, member_err_fn err, void *ctx)
{
	const char *v[MT__MAX] = {[MT_FORMER_NAME] = r->former_name, [MT_NATIVE_PLACE] = r->native_place,
				  [MT_ADDRESS] = r->address,	     [MT_DEGREE] = r->degree,
				  [MT_WORK_UNIT] = r->work_unit,     [MT_POST] = r->post,
				  [MT_PARTY_POST] = r->party_post};
	int n = 0;
	for (int i = 0; i < MT__MAX; i++) {
		const struct member_text_limit *l = &member_text_limits[i];
		if (l->free_text && v[i] && utf8_chars(v[i]) > l->max) {
			err(ctx, l->field, "too_long", arena_printf(a, "%s不能超过 %zu 个字", l->label, l->max));
			n++;
		}
	}
	return n;
}

#define ERR(f, c, m) (n++, err(ctx, f, c, m))
/* The name and the ID number, and the sex and birth date it carries (GB 11643). */
static int validate_identity(struct member_rec *r, struct date today, struct arena *a, member_err_fn err, void *ctx,
			     bool *id_valid)
{
	int n = 0;
	if (blank(r->name))
		ERR("name", "required", "请填写姓名");
	else if (utf8_chars(r->name) > member_text_limits[MT_NAME].max)
		ERR("name", "too_long", arena_printf(a, "姓名不能超过 %zu 个字", member_text_limits[MT_NAME].max));

	struct idcard id;
	bool id_ok = false;
	if (blank(r->id_number)) {
		ERR("id_number", "required", "请填写身份证号码");
	} else {
		enum idcard_err e = idcard_parse(r->id_number, today, &id);
		if (e != IDCARD_OK) {
			ERR("id_number", idcard_err_code(e), idcard_err_message(e));
		} else {
			id_ok = true;
			r->id_number = arena_strdup(a, id.number);
		}
	}
	if (id_ok) {
		const char *sex = id.sex == 1 ? "1" : "2";
		if (!blank(r->sex) && strcmp(r->sex, sex) != 0)
			ERR("sex", "id_sex_mismatch", "性别与身份证号码不一致");
		r->sex = sex;
		char b[11];
		date_format(id.birth, b);
		if (!blank(r->birth_date) && strcmp(r->birth_date, b) != 0)
			ERR("birth_date", "id_birth_mismatch", "出生日期与身份证号码不一致");
		r->birth_date = arena_strdup(a, b);
	} else if (!blank(r->sex) && !codes_valid("sex", r->sex)) {
		ERR("sex", "invalid_code", "性别代码无效");
	}
	*id_valid = id_ok;
	return n;
}

/* The mobile, the code-table fields (GB/T 2261.1, GB 3304, GB/T 4658 …), the state and
 * party status, and 党费交至. */
static int validate_codes(struct member_rec *r, member_err_fn err, void *ctx)
{
	int n = 0;
	if (!blank(r->mobile) && !mobile_valid(r->mobile))
		ERR("mobile", "mobile_format", "手机号码应为11位数字");
	if (blank(r->ethnicity))
		r->ethnicity = "01";
	else if (!codes_valid("ethnicity", r->ethnicity))
		ERR("ethnicity", "invalid_code", "民族代码无效");
	if (!blank(r->education) && !codes_valid("education", r->education))
		ERR("education", "invalid_code", "学历代码无效");
	if (!blank(r->category) && !codes_valid("person_category", r->category))
		ERR("category", "invalid_code", "人员类别无效");
	if (!blank(r->unit_type) && !codes_valid("unit_type", r->unit_type))
		ERR("unit_type", "invalid_code", "工作单位性质无效");
	r->two_new = codes_two_new_unit(r->unit_type);
	if (blank(r->state))
		r->state = "normal";
	else if (!codes_valid("member_state", r->state))
		ERR("state", "invalid_code", "党籍状态无效");
	if (blank(r->party_status))
		ERR("party_status", "required", "请选择正式党员或预备党员");
	else if (!codes_valid("party_status", r->party_status))
		ERR("party_status", "invalid_code", "党员类别应为正式党员或预备党员");
	if (!blank(r->dues_paid_to)) {
		char d[11];
		if (strlen(r->dues_paid_to) != 7 || (memcpy(d, r->dues_paid_to, 7), memcpy(d + 7, "-01", 4), !date_valid(d)))
			ERR("dues_paid_to", "invalid_month", "党费交至应为“年-月”，如 2026-10");
	}
	return n;
}

/* 入党时间 and 转正时间 against each other, today and, when id_ok, the birth date the ID
 * number carries (R-DEV-01, 11, 12). */
static int validate_dates(struct member_rec *r, struct date today, bool id_ok, member_err_fn err, void *ctx)
{
	int n = 0;
	struct date joined, confirmed, birth;
	bool have_joined = false;
	if (blank(r->joined_on)) {
		ERR("joined_on", "required", "请填写入党时间");
	} else if (!date_parse(r->joined_on, &joined)) {
		ERR("joined_on", "invalid_date", "入党时间不是有效日期");
	} else if (date_cmp(joined, today) > 0) {
		ERR("joined_on", "in_future", "入党时间晚于今天");
	} else {
		have_joined = true;
		if (id_ok && date_parse(r->birth_date, &birth) && date_years_between(birth, joined) < 18)
			ERR("joined_on", "R-DEV-01", "入党时未满18周岁");
	}
	bool formal = r->party_status && strcmp(r->party_status, "formal") == 0;
	if (!blank(r->confirmed_on)) {
		if (!date_parse(r->confirmed_on, &confirmed)) {
			ERR("confirmed_on", "invalid_date", "转正时间不是有效日期");
		} else if (!formal) {
			ERR("confirmed_on", "probationary_confirmed", "预备党员不应有转正时间");
		} else if (date_cmp(confirmed, today) > 0) {
			ERR("confirmed_on", "in_future", "转正时间晚于今天");
		} else if (have_joined) {
			/* R-DEV-11: the 预备期 lasts 1 year from 入党时间; R-DEV-12: at most one
			 * extension of ≤ 12 months, and approval within 3 months. */
			if (date_cmp(confirmed, date_add_years(joined, 1)) < 0)
				ERR("confirmed_on", "R-DEV-11", "转正时间早于预备期满（入党时间后一年）");
			else if (date_cmp(confirmed, date_add_months(date_add_years(joined, 2), 3)) > 0)
				ERR("confirmed_on", "R-DEV-12", "转正时间晚于预备期（含延长）届满后三个月");
		}
	} else if (formal && have_joined) {
		ERR("confirmed_on", "required", "正式党员请填写转正时间");
	}
	if (!formal && have_joined && r->party_status && strcmp(r->party_status, "probationary") == 0 &&
	    date_cmp(today, date_add_months(date_add_years(joined, 2), 3)) > 0)
		ERR("party_status", "R-DEV-12", "预备期（含延长）已届满，请办理转正或取消资格");
	return n;
}
#undef ERR

int member_validate(struct member_rec *r, struct date today, struct arena *a, member_err_fn err, void *ctx)
{
	bool id_ok;
	int n = validate_identity(r, today, a, err, ctx, &id_ok);
	n += validate_codes(r, err, ctx);
	return n + validate_dates(r, today, id_ok, err, ctx);
}

int member_party_age(const char *confirmed_on, struct date today)
{
	struct date c;
	if (!confirmed_on || !date_parse(confirmed_on, &c))
		return 0;
	int y = date_years_between(c, today);
	return y > 0 ? y : 0;
}

void member_political_birthday(const char *joined_on, char buf[6])
{
	buf[0] = 0;
	if (joined_on && date_valid(joined_on)) {
		memcpy(buf, joined_on + 5, 5);
		buf[5] = 0;
	}
}

bool member_next_political_birthday(const char *joined_on, struct date today, struct date *next, int *days, int *years)
{
	struct date j;
	if (!joined_on || !date_parse(joined_on, &j) || date_cmp(j, today) > 0)
		return false;
	/* R-BDAY-01: the anniversary of 入党时间; 29 Feb falls on 28 Feb in a common year */
	struct date cand = date_add_years(j, today.y - j.y);
	if (date_cmp(cand, today) < 0)
		cand = date_add_years(j, today.y + 1 - j.y);
	*next = cand;
	*days = (int)(date_to_days(cand) - date_to_days(today));
	*years = cand.y - j.y;
	return true;
}

void member_mobile_blind(const char *mobile, unsigned char out[DJ_BLIND_LEN])
{
	dj_blind_index("member.mobile", mobile, strlen(mobile), out);
}

void member_id_blind(const char *id_number, unsigned char out[DJ_BLIND_LEN])
{
	dj_blind_index("member.id_number", id_number, strlen(id_number), out);
}

void member_seal(struct arena *a, const struct member_rec *r, const unsigned char *id_blind, struct member_sealed *s)
{
	struct sealed_contact id, mobile;
	seal_contact(a, SEAL_ID_NUMBER, r->id_number, "member.id_number", id_blind ? NULL : "member.id_number", &id);
	s->id_cipher = id.cipher;
	s->id_len = id.len;
	memcpy(s->id_blind, id_blind ? id_blind : id.blind, DJ_BLIND_LEN);
	memcpy(s->id_masked, id.masked, sizeof s->id_masked);
	seal_contact(a, SEAL_MOBILE, r->mobile, "member.mobile", "member.mobile", &mobile);
	s->mobile_cipher = mobile.cipher;
	s->mobile_len = mobile.len;
	memcpy(s->mobile_masked, mobile.masked, sizeof s->mobile_masked);
	if (mobile.cipher) { /* without a mobile its blind index is not bound (member_bind_sealed) */
		memcpy(s->mobile_blind, mobile.blind, DJ_BLIND_LEN);
	}
	s->name_pinyin = member_name_key(a, r->name, false);
	s->name_strokes = member_name_key(a, r->name, true);
}

const char *member_name_key(struct arena *a, const char *name, bool strokes)
{
	size_t n = strlen(name ? name : "");
	char *k = arena_alloc(a, COLLATE_KEY_SIZE(n));
	collate_key(name, strokes ? COLLATE_STROKE : COLLATE_PINYIN, k, COLLATE_KEY_SIZE(n));
	return k;
}

/* Binds the record's columns as $base+1 … $base+37 (see member.h). */
void member_bind_sealed(struct db_stmt *st, int base, const struct member_rec *r, const struct member_sealed *s,
			int64_t stamp)
{
	int n = base;
	db_bind_int(st, ++n, r->org_id);
	db_bind_opt_id(st, ++n, r->group_org_id);
	db_bind_text(st, ++n, r->name, -1);
	db_bind_opt_text(st, ++n, r->former_name);
	db_bind_text(st, ++n, r->sex, -1);
	db_bind_text(st, ++n, r->birth_date, -1);
	db_bind_blob(st, ++n, s->id_cipher, s->id_len);
	db_bind_blob(st, ++n, s->id_blind, DJ_BLIND_LEN);
	db_bind_blob(st, ++n, s->mobile_cipher, s->mobile_len); /* NULL binds SQL NULL */
	db_bind_blob(st, ++n, s->mobile_cipher ? s->mobile_blind : NULL, DJ_BLIND_LEN);
	db_bind_text(st, ++n, r->ethnicity, -1);
	db_bind_opt_text(st, ++n, r->native_place);
	db_bind_opt_text(st, ++n, r->address);
	db_bind_opt_id(st, ++n, r->grid_id);
	db_bind_opt_id(st, ++n, r->building_id);
	db_bind_opt_text(st, ++n, r->education);
	db_bind_opt_text(st, ++n, r->degree);
	db_bind_opt_text(st, ++n, r->work_unit);
	db_bind_opt_text(st, ++n, r->unit_type);
	db_bind_int(st, ++n, r->two_new);
	db_bind_opt_text(st, ++n, r->post);
	db_bind_opt_text(st, ++n, r->category);
	db_bind_text(st, ++n, r->party_status, -1);
	db_bind_text(st, ++n, r->state, -1);
	db_bind_opt_text(st, ++n, r->party_post);
	db_bind_text(st, ++n, r->joined_on, -1);
	db_bind_opt_text(st, ++n, r->confirmed_on);
	db_bind_opt_text(st, ++n, r->introducers_json);
	if (r->dues_base >= 0)
		db_bind_int(st, ++n, r->dues_base);
	else
		db_bind_null(st, ++n);
	db_bind_opt_text(st, ++n, r->dues_paid_to);
	db_bind_opt_text(st, ++n, r->tags_json);
	db_bind_int(st, ++n, stamp);
	db_bind_int(st, ++n, member_stats_key(r));
	db_bind_text(st, ++n, s->id_masked, -1);
	db_bind_opt_text(st, ++n, s->mobile_masked); /* "" without a mobile binds NULL */
	db_bind_text(st, ++n, s->name_pinyin, -1);
	db_bind_text(st, ++n, s->name_strokes, -1);
}

void member_bind_record(struct db_stmt *st, int base, struct arena *a, const struct member_rec *r, int64_t stamp)
{
	struct member_sealed s;
	member_seal(a, r, NULL, &s);
	member_bind_sealed(st, base, r, &s, stamp);
}

enum db_rc member_insert(struct db *db, struct arena *a, struct member_rec *r)
{
	struct db_stmt *st = db_prepare(db, &member_sql[STMT_MEMBER_INSERT]);
	if (!st)
		return DB_ERROR;
	member_bind_record(st, 0, a, r, r->created_at);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		r->id = db_col_int(st, MEMBER_COL_ID);
		r->org_path = arena_strdup(a, db_col_text(st, MEMBER_COL_ORG_PATH));
		rc = DB_OK;
	} else if (rc == DB_DONE) {
		rc = DB_CONSTRAINT; /* no such organization */
	}
	db_reset(st);
	return rc;
}

enum db_rc member_find_by_blind(struct db *db, struct arena *a, const unsigned char blind[DJ_BLIND_LEN],
				int64_t *id, const char **org_path)
{
	struct db_stmt *st = db_prepare(db, &member_sql[STMT_MEMBER_BY_BLIND]);
	if (!st)
		return DB_ERROR;
	db_bind_blob(st, 1, blind, DJ_BLIND_LEN);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		*id = db_col_int(st, MEMBER_COL_ID);
		*org_path = arena_strdup(a, db_col_text(st, MEMBER_COL_ORG_PATH));
		rc = DB_OK;
	}
	db_reset(st);
	if (rc != DB_DONE)
		return rc;
	st = db_prepare(db, &member_sql[STMT_MEMBER_STAGED_BY_BLIND]);
	if (!st)
		return DB_ERROR;
	db_bind_blob(st, 1, blind, DJ_BLIND_LEN);
	rc = db_step(st);
	if (rc == DB_ROW) {
		*id = 0;
		*org_path = arena_strdup(a, db_col_text(st, DB_COL_ONLY));
		rc = DB_OK;
	}
	db_reset(st);
	return rc == DB_DONE ? DB_NOT_FOUND : rc;
}

/* Runs the statements first … last (inclusive), which return no rows. */
static enum db_rc run_all(struct db *db, int first, int last)
{
	for (int i = first; i <= last; i++) {
		struct db_stmt *st = db_prepare(db, &member_sql[i]);
		if (!st)
			return DB_ERROR;
		enum db_rc rc = db_step(st);
		db_reset(st);
		if (rc != DB_DONE)
			return rc;
	}
	return DB_OK;
}

enum db_rc member_bulk_begin(struct db *db)
{
	return run_all(db, MEMBER_BULK_DROP_FIRST, MEMBER_BULK_DROP_LAST);
}

enum db_rc member_bulk_end(struct db *db)
{
	return run_all(db, MEMBER_BULK_CREATE_FIRST, MEMBER_BULK_CREATE_LAST);
}

int64_t member_count(struct db *db)
{
	struct db_stmt *st = db_prepare(db, &member_sql[STMT_MEMBER_COUNT]);
	if (!st || db_step(st) != DB_ROW)
		return -1;
	int64_t v = db_col_int(st, DB_COL_ONLY);
	db_reset(st);
	return v;
}

/* One row of a fill: the id and the two values the update writes as $2 and $3 (NULL
 * writes NULL), arena-owned. */
struct fill_row {
	int64_t id;
	const char *v2, *v3;
};

/* Reads the current row of a fill's SELECT into w (strings in a); false when the row
 * cannot be read (the batch fails). */
typedef bool fill_row_fn(struct db_stmt *sel, struct arena *a, struct fill_row *w);

/* A fill in progress: one batch per transaction. */
struct fill {
	enum member_stmt sel; /* up to $2 rows to fill after id $1, by id */
	enum member_stmt up;  /* writes $2, $3 to row $1 */
	fill_row_fn *row;
	int64_t after;  /* the last id filled */
	int64_t filled; /* rows filled so far */
	int batch;      /* rows per transaction */
	bool more;      /* the batch was full: run another */
};

#define FILL_BATCH 5000

static enum db_rc fill_batch(struct db *db, void *ctx)
{
	struct fill *f = ctx;
	struct db_stmt *sel = db_prepare(db, &member_sql[f->sel]);
	if (!sel)
		return DB_ERROR;
	db_bind_int(sel, 1, f->after);
	db_bind_int(sel, 2, f->batch);
	/* read the batch first, then write: the update is not stepped under a live SELECT
	 * of the same partial index */
	struct arena *a = arena_new();
	struct fill_row *rows = arena_alloc(a, sizeof *rows * (size_t)f->batch);
	size_t n = 0;
	enum db_rc rc;
	while ((rc = db_step(sel)) == DB_ROW) {
		if (!f->row(sel, a, &rows[n])) {
			rc = DB_ERROR;
			break;
		}
		if (++n == (size_t)f->batch) {
			rc = DB_DONE;
			break;
		}
	}
	db_reset(sel);
	if (rc != DB_DONE) {
		arena_free(a);
		return rc;
	}
	rc = DB_OK;
	for (size_t i = 0; rc == DB_OK && i < n; i++) {
		struct db_stmt *up = db_prepare(db, &member_sql[f->up]);
		if (!up) {
			rc = DB_ERROR;
			break;
		}
		db_bind_int(up, 1, rows[i].id);
		db_bind_text(up, 2, rows[i].v2, -1);
		db_bind_text(up, 3, rows[i].v3, -1);
		rc = db_step(up);
		db_reset(up);
		rc = rc == DB_DONE ? DB_OK : rc == DB_OK ? DB_ERROR : rc;
	}
	if (rc == DB_OK && n) {
		f->after = rows[n - 1].id;
		f->filled += (int64_t)n;
	}
	f->more = rc == DB_OK && n == (size_t)f->batch;
	arena_free(a);
	return rc;
}

/* Fills the rows that statement sel finds, `batch` (0: FILL_BATCH) to a transaction,
 * writing each with statement up; *filled is how many. */
static enum db_rc fill_run(struct db *db, enum member_stmt sel, enum member_stmt up, fill_row_fn *row, int batch,
			   int64_t *filled)
{
	struct fill f = {.sel = sel, .up = up, .row = row, .batch = batch > 0 ? batch : FILL_BATCH};
	*filled = 0;
	/* nothing to fill (every start after the first): no write lock taken */
	struct db_stmt *st = db_prepare(db, &member_sql[sel]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, 0);
	db_bind_int(st, 2, 1);
	enum db_rc rc = db_step(st);
	db_reset(st);
	if (rc != DB_ROW)
		return rc == DB_DONE ? DB_OK : rc;
	do
		rc = db_tx_run(db, true, fill_batch, &f);
	while (rc == DB_OK && f.more);
	*filled = f.filled;
	return rc;
}

/* A row of member.unmasked: its masks, from the sealed numbers. */
static bool fill_masks_row(struct db_stmt *sel, struct arena *a, struct fill_row *w)
{
	w->id = db_col_int(sel, MEMBER_UNMASKED_COL_ID);
	const char *id = dj_open(a, db_col_blob(sel, MEMBER_UNMASKED_COL_ID_CIPHER),
				 db_col_len(sel, MEMBER_UNMASKED_COL_ID_CIPHER), "member.id_number", NULL);
	const char *mobile = NULL;
	bool has_mobile = !db_col_null(sel, MEMBER_UNMASKED_COL_MOBILE_CIPHER);
	if (has_mobile)
		mobile = dj_open(a, db_col_blob(sel, MEMBER_UNMASKED_COL_MOBILE_CIPHER),
				 db_col_len(sel, MEMBER_UNMASKED_COL_MOBILE_CIPHER), "member.mobile", NULL);
	if (!id || (has_mobile && !mobile)) {
		log_msg(LOG_ERROR, NULL, "member masks: member %lld does not open with this key", (long long)w->id);
		return false;
	}
	char *id_masked = arena_alloc(a, IDCARD_LEN + 1);
	idcard_mask(id, id_masked);
	w->v2 = id_masked;
	w->v3 = NULL;
	if (mobile && *mobile) {
		char *mobile_masked = arena_alloc(a, 12);
		mobile_mask(mobile, mobile_masked);
		w->v3 = *mobile_masked ? mobile_masked : NULL;
	}
	return true;
}

enum db_rc member_fill_masks(struct db *db, int batch, int64_t *filled)
{
	return fill_run(db, STMT_MEMBER_UNMASKED, STMT_MEMBER_SET_MASKS, fill_masks_row, batch, filled);
}

/* A row of member.unkeyed: its name's sort keys. */
static bool fill_name_keys_row(struct db_stmt *sel, struct arena *a, struct fill_row *w)
{
	const char *name = db_col_text(sel, MEMBER_UNKEYED_COL_NAME);
	w->id = db_col_int(sel, MEMBER_UNKEYED_COL_ID);
	w->v2 = member_name_key(a, name, false);
	w->v3 = member_name_key(a, name, true);
	return true;
}

enum db_rc member_fill_name_keys(struct db *db, int batch, int64_t *filled)
{
	return fill_run(db, STMT_MEMBER_UNKEYED, STMT_MEMBER_SET_NAME_KEYS, fill_name_keys_row, batch, filled);
}

bool member_state_in_roster(const char *state)
{
	return !state || !(strcmp(state, "deceased") == 0 || strcmp(state, "withdrawn") == 0 ||
			   strcmp(state, "removed") == 0 || strcmp(state, "expelled") == 0);
}

int64_t member_stats_key(const struct member_rec *r)
{
	uint64_t k = 0;
	if (r->party_status && strcmp(r->party_status, "formal") == 0)
		k |= MSK_FORMAL;
	if (r->sex && r->sex[0] == '1')
		k |= (uint64_t)1 << MSK_SEX_SHIFT;
	else if (r->sex && r->sex[0] == '2')
		k |= (uint64_t)2 << MSK_SEX_SHIFT;
	if (!r->ethnicity || strcmp(r->ethnicity, "01") == 0)
		k |= MSK_HAN;
	if (codes_edu_college_plus(r->education))
		k |= MSK_COLLEGE;
	if (r->two_new)
		k |= MSK_TWO_NEW;
	if (member_state_in_roster(r->state))
		k |= MSK_IN_ROSTER;
	struct date d;
	if (r->birth_date && date_parse(r->birth_date, &d))
		k |= (uint64_t)(date_to_days(d) - date_to_days((struct date){1900, 1, 1})) << MSK_BIRTH_SHIFT;
	if (r->joined_on && date_parse(r->joined_on, &d))
		k |= (uint64_t)(d.y - 1900) << MSK_JOINED_SHIFT;
	return (int64_t)k;
}

enum db_rc member_dup_probes(struct db *db, int64_t user_id, const char *action, int64_t since, int64_t *n)
{
	struct db_stmt *st = db_prepare(db, &member_sql[STMT_MEMBER_DUP_PROBES]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, user_id);
	db_bind_text(st, 2, action, -1);
	db_bind_int(st, 3, since);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		*n = db_col_int(st, DB_COL_ONLY);
		rc = DB_OK;
	}
	db_reset(st);
	return rc;
}
