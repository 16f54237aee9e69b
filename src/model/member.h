/* member.h: the member roster (DOMAIN.md §8.7). ID numbers and mobiles are kept only
 * as AEAD ciphertexts (dj_seal, ad "member.id_number" / "member.mobile") with keyed
 * blind indexes; the ID's blind index is UNIQUE, so one person exists once in the
 * deployment. Validation is pure (member_validate) so the API, the importer and the
 * demo apply the same rules. */
#ifndef DJ_MEMBER_H
#define DJ_MEMBER_H
#include "core/crypto.h"
#include "core/date.h"
#include "core/idcard.h"
#include "db/db.h"
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct arena;

struct member_rec {
	int64_t id, org_id, group_org_id, grid_id, building_id;
	const char *org_path;                 /* filled by member_insert from org_id */
	const char *name, *former_name;
	const char *sex;                      /* "1"/"2"; derived from the ID when absent */
	const char *birth_date;               /* derived from the ID when absent */
	const char *id_number, *mobile;       /* plaintext, only in memory */
	const char *id_masked, *mobile_masked; /* as stored (0052): read by lists and masked exports */
	const char *ethnicity, *native_place, *address, *education, *degree, *work_unit,
		*unit_type, *post, *category, *party_status, *state, *party_post, *joined_on,
		*confirmed_on, *introducers_json, *dues_paid_to, *tags_json;
	int64_t dues_base;                    /* fen; -1 when absent */
	bool two_new;                         /* derived from unit_type */
	int64_t created_at, updated_at;
};

/* Field error sink: field names are the API's (id_number, joined_on, …). */
typedef void (*member_err_fn)(void *ctx, const char *field, const char *code, const char *message);

/* The record's text fields and their limits, in characters (code points, as in_utf8_len
 * counts them): one table that the API (members.c reads each field with its limit) and
 * the import (member_check_lengths) both use, so the two cannot drift. */
enum member_text {
	MT_NAME, MT_FORMER_NAME, MT_SEX, MT_ID_NUMBER, MT_BIRTH_DATE, MT_ETHNICITY, MT_NATIVE_PLACE, MT_MOBILE,
	MT_ADDRESS, MT_EDUCATION, MT_DEGREE, MT_WORK_UNIT, MT_UNIT_TYPE, MT_POST, MT_CATEGORY, MT_PARTY_STATUS,
	MT_PARTY_POST, MT_DUES_PAID_TO, MT__MAX
};
struct member_text_limit {
	const char *field; /* the API's name */
	const char *label; /* the form's and the import template's */
	size_t max;
	/* free text: nothing but its length limits it (the others are codes, dates and
	 * numbers member_validate reads, and the name, whose length it checks) */
	bool free_text;
};
extern const struct member_text_limit member_text_limits[MT__MAX];
/* The record's lists, 入党介绍人 and 标签: whether list is a JSON array of at most max
 * strings of at most 50 characters each, for the API's lists and the import's cell
 * alike. 入党介绍人: at most 2 names (R-DEV-05: a member's two; a list, as an old record
 * may lack one). */
#define MEMBER_INTRODUCERS_MAX 2
#define MEMBER_INTRODUCERS_MSG "入党介绍人最多2人，每人不超过50字"
#define MEMBER_TAGS_MAX 20
bool member_list_ok(const json_t *list, size_t max);
/* Reports (through err, code "too_long", message "家庭住址不能超过 200 个字", in a)
 * each free-text field of r longer than its limit; the number reported. For input
 * that did not come through the API's reading of each field (the import). */
int member_check_lengths(const struct member_rec *r, struct arena *a, member_err_fn err, void *ctx);

/* Checks and normalizes r in place (ID upper-cased and upgraded from 15 digits, sex
 * and birth date derived and cross-checked, two_new derived, codes checked, dates
 * consistent with R-DEV-01/11/12/13). Strings it sets are arena-owned. Returns the
 * number of errors reported through err. */
int member_validate(struct member_rec *r, struct date today, struct arena *a, member_err_fn err, void *ctx);

/* Derived values: 党龄 in whole years from 转正 (R-DEV-13; 0 while probationary) and
 * the political birthday (MM-DD of 入党时间, R-BDAY-01) into buf[6]. */
int member_party_age(const char *confirmed_on, struct date today);
/* The next 政治生日 on or after today (R-BDAY-01: 29 Feb → 28 Feb in a common year),
 * the days until it and the years of membership it marks. False without a valid,
 * past 入党时间. */
bool member_next_political_birthday(const char *joined_on, struct date today, struct date *next, int *days, int *years);
void member_political_birthday(const char *joined_on, char buf[6]);

/* The blind index of a mobile number (11 digits). */
void member_mobile_blind(const char *mobile, unsigned char out[DJ_BLIND_LEN]);
/* The blind index of a normalized ID number. */
void member_id_blind(const char *id_number, unsigned char out[DJ_BLIND_LEN]);

/* Inserts a validated record (sealing ID and mobile; org_path looked up from org_id;
 * sets r->id). DB_CONSTRAINT when the person exists already (or the org is missing). */
enum db_rc member_insert(struct db *db, struct arena *a, struct member_rec *r);
/* A record's ID number and mobile sealed, with their blind indexes (the ciphertexts
 * arena-owned). member_seal needs no database, so an importer may seal on another
 * thread; id_blind, when not NULL, is the ID's blind index computed already. */
struct member_sealed {
	unsigned char *id_cipher, *mobile_cipher; /* mobile_cipher NULL without a mobile */
	size_t id_len, mobile_len;
	unsigned char id_blind[DJ_BLIND_LEN], mobile_blind[DJ_BLIND_LEN];
	/* the masked forms stored beside them (0052): idcard_mask, mobile_mask ("" without
	 * a mobile, stored as NULL) */
	char id_masked[IDCARD_LEN + 1], mobile_masked[12];
	/* the name's sort keys (0114, core/collate.h; arena-owned): 拼音 and 笔画 order */
	const char *name_pinyin, *name_strokes;
};
void member_seal(struct arena *a, const struct member_rec *r, const unsigned char *id_blind, struct member_sealed *s);
/* The member holding this ID blind index: id and its org path (arena-owned), or
 * DB_NOT_FOUND.
 * A person staged by an import in progress (0051) is found too, with id 0 and the
 * import's organization: it is reserved for that import. */
enum db_rc member_find_by_blind(struct db *db, struct arena *a, const unsigned char blind[DJ_BLIND_LEN],
				int64_t *id, const char **org_path);
/* Bulk loads into an empty roster: drop the secondary indexes before and build them
 * after (DESIGN.md §10). Call inside the loading transaction. */
enum db_rc member_bulk_begin(struct db *db);
enum db_rc member_bulk_end(struct db *db);
int64_t member_count(struct db *db);
/* Binds r's columns, sealed already in s, as $base+1 … $base+37 (member.insert's
 * order: org_id, group_org_id, name, … tags, the stamp for created_at and updated_at,
 * stats_key, id_masked, mobile_masked, name_pinyin, name_strokes). */
void member_bind_sealed(struct db_stmt *st, int base, const struct member_rec *r, const struct member_sealed *s,
			int64_t stamp);

/* S20: how many audit rows of action (a duplicate outside the caller's scope) user_id
 * has caused since the instant since, into *n. */
#define MEMBER_DUP_OUT_OF_SCOPE "member.duplicate_out_of_scope"
/* …and the alert for the security administrator when a user passes the limit */
#define MEMBER_DUP_PROBE_ALERT "security.alert.duplicate_probe"
enum db_rc member_dup_probes(struct db *db, int64_t user_id, const char *action, int64_t since, int64_t *n);

/* Fills id_masked and mobile_masked of the rows written before 0052 (NULL id_masked),
 * opening their ciphertexts: batches of `batch` rows (0: 5,000), each in its own write
 * transaction (db_tx_run), so a large roster neither holds the write lock for long nor
 * loses the batches done when stopped. Idempotent (a filled row is not read again), and
 * takes no write lock when there is nothing to fill. Needs the keys (dj_crypto_init).
 * *filled gets the number of rows filled; DB_ERROR when a ciphertext does not open
 * (another key). Outside any transaction. */
enum db_rc member_fill_masks(struct db *db, int batch, int64_t *filled);
/* The same for the name's sort keys of 0114 (rows written before it): batches of
 * `batch` rows (0: 5,000), idempotent, no write lock when there is nothing to fill. */
enum db_rc member_fill_name_keys(struct db *db, int batch, int64_t *filled);
/* The name's sort keys (core/collate.h), arena-owned. */
const char *member_name_key(struct arena *a, const char *name, bool strokes);

/* True unless the state means the member has left the roster (去世, 出党). */
bool member_state_in_roster(const char *state);
/* The statistics' fields of a validated record packed into one integer, stored in
 * members.stats_key and read through the covering index (org_path, org_id, stats_key)
 * so that GET /stats/members decodes integers instead of text (DESIGN.md §10). */
#define MSK_FORMAL (1u << 0)
#define MSK_SEX_SHIFT 1 /* 2 bits: 1 男, 2 女, 0 other */
#define MSK_HAN (1u << 3)
#define MSK_COLLEGE (1u << 4)
#define MSK_TWO_NEW (1u << 5)
#define MSK_IN_ROSTER (1u << 6)
#define MSK_BIRTH_SHIFT 8   /* 20 bits: days since 1900-01-01 */
#define MSK_JOINED_SHIFT 28 /* 9 bits: year − 1900 */
int64_t member_stats_key(const struct member_rec *r);

/* ---- reading, changing and listing (member_query.c) ---- */

/* Loads member id with its organization's name and path (in r->org_path), the stored
 * masks and, when decrypt, the plaintext ID number and mobile (arena-owned; NULL
 * otherwise). DB_NOT_FOUND when missing. */
enum db_rc member_load(struct db *db, struct arena *a, int64_t id, bool decrypt, struct member_rec *r,
		       const char **org_name);
/* Rewrites every column of r->id from r (validated; ID and mobile sealed anew; org_path
 * from r->org_id). DB_CONSTRAINT when the ID now matches another person. */
enum db_rc member_update(struct db *db, struct arena *a, struct member_rec *r);
/* R-TRF-03: DB_OK (with the member's organization in *org_id, if not NULL) when the
 * member has an open transfer (0065), DB_NOT_FOUND when not. member_update refuses to
 * move and member_delete to delete such a member (DB_CONSTRAINT). */
enum db_rc member_in_transit(struct db *db, int64_t id, int64_t *org_id);
/* Deletes the member and its history (secure_delete overwrites the bytes);
 * DB_CONSTRAINT while the member is in transit. */
enum db_rc member_delete(struct db *db, int64_t id);
/* Sets the state and appends a history row (the caller audits). */
enum db_rc member_change_state(struct db *db, struct member_rec *r, const char *to, const char *reason,
			       const char *date, int64_t actor_id, const char *actor_name, int64_t now);
/* Appends a history row that changes no state (a move to another branch: issue 20 #15). */
enum db_rc member_history_note(struct db *db, const struct member_rec *r, const char *date, const char *note,
			       int64_t actor_id, const char *actor_name, int64_t now);
/* The history of member id, newest first, as API items. */
enum db_rc member_history(struct db *db, int64_t id, json_t *items);

/* The member as the API shows it (docs/api-contract.md). reveal: the full ID number
 * and mobile, else masked. today: for 党龄. */
json_t *member_json(const struct member_rec *r, const char *org_name, bool reveal, struct date today);
/* A list page's item (GET /members): the columns a roster table shows, always masked;
 * the whole record is GET /members/{id}. Written straight into the page's buffer: see
 * core/jsonw.h for why. */
struct jsonw;
void member_list_write(struct jsonw *w, const struct member_rec *r, const char *org_name);

/* List filters (GET /members); NULL / -1 = not filtered. */
/* member_filter.state's views beside a state code: on the roster (not 出党 or 去世),
 * and the history (出党 or 去世). */
#define MEMBER_STATE_ROSTER "~roster"
#define MEMBER_STATE_HISTORY "~history"
struct member_filter {
	const char *prefix, *end; /* the organization subtree's path range */
	const char *party_status, *state, *sex, *eth_eq, *eth_ne, *birth_after, *birth_upto, *joined_from,
		*joined_to, *name_like;
	const char *name_q; /* name_like's own text: its characters' ranges of member_name_chars */
	int edu_college; /* 1 大专及以上, 0 below, -1 any */
	int two_new;     /* 1, 0, -1 any */
	bool sort_joined;
	bool sort_strokes; /* by 姓氏笔画 instead of 拼音 (issue 20 #13) */
	bool list_cols; /* rows carry only what member_list_write shows (a list page) */
	bool no_org_name; /* full rows with org_name NULL, read without the join (exports) */
	bool decrypt;     /* full rows also open the sealed ID number and mobile (a revealed
			   * export); otherwise only the stored masks are read */
	/* an exact ID number or mobile searched through its blind index (issue 20 #2):
	 * the other filters still apply, name_like is then NULL */
	const unsigned char *id_blind, *mobile_blind;
};

/* One row of a list page. */
struct member_row {
	int64_t id;
	const char *key; /* the sort key (name or joined_on) */
	struct member_rec r;
	const char *org_name;
};

/* Up to limit rows of f after the keyset cursor (key, id) — key "" and id 0 for the
 * first page — into rows (arena array, *n set). The plan is chosen by the subtree's
 * size (DESIGN.md §10). */
enum db_rc member_page(struct db *db, struct arena *a, const struct member_filter *f, const char *ckey, int64_t cid,
		       int limit, struct member_row **rows, size_t *n);
/* The sort key and id of the row at position pos (0-based) of f's order, counted from
 * its start or, from_end, from its end (the reverse walk of the same order): the keyset
 * cursor before a page chosen by number (issue 20 #14). *found is false past either end
 * and for a blind-index search (a handful of rows: the caller walks them). */
enum db_rc member_seek(struct db *db, struct arena *a, const struct member_filter *f, int64_t pos, bool from_end,
		       const char **key, int64_t *id, bool *found);
/* How many members f selects. */
/* The members' revision (0040, 0042): it rises in the same transaction as every write
 * that changes a subtree's list total or statistics; epoch is random per database.
 * *rev is -1 when the table is missing. */
/* Binds a record's columns as $base+1 … $base+35 (org_id … tags, then stamp, then
 * stats_key, then id_masked and mobile_masked), sealing the ID number and mobile with
 * their blind indexes and masking them: the one layout shared by member.insert and
 * member.update. Ciphertexts are arena-owned. */
void member_bind_record(struct db_stmt *st, int base, struct arena *a, const struct member_rec *r, int64_t stamp);
enum db_rc member_revision(struct db *db, int64_t *epoch, int64_t *rev);
/* The revision of what the subtree at path shows (0145 subtree_rev: raised by every write
 * to a member of the subtree, an organization added, removed, renamed or moved in it)
 * with member_rev's epoch; *rev -1 when there is none. */
enum db_rc member_list_revision(struct db *db, const char *path, int64_t *epoch, int64_t *rev);
enum db_rc member_count_filtered(struct db *db, const struct member_filter *f, int64_t *n);
/* The members on the roster (在册) of the subtree [prefix, end) and of them 正式党员,
 * from the organizations' counters (0115): what stats_members counts as total and
 * formal, without a pass over the members (cached per members revision). */
enum db_rc member_subtree_counts(struct db *db, const char *prefix, const char *end, int64_t *roster, int64_t *formal);
/* Decrypts a row's ID number and mobile into its record (for export). */
void member_row_decrypt(struct arena *a, struct member_rec *r, const void *idc, size_t idl, const void *mc, size_t ml);
#endif
