/* member_query.c: reading, changing and listing member records (see member.h). The list
 * chooses its plan in code (DESIGN.md §10): a small subtree reads the (org_path, name,
 * id) index and sorts; a large one walks the (name_pinyin | name_strokes | joined_on, id, org_path) index and
 * filters by path. Pages are keyset pages: (key, id) > (cursor key, cursor id). */
#include "core/arena.h"
#include "core/crypto.h"
#include "core/idcard.h"
#include "model/codes.h"
#include "core/clock.h"
#include "model/member.h"
#include "core/jsonw.h"
#include "model/revcache.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MEMBER_COLS_M                                                                                            \
	"m.id, m.org_id, m.org_path, m.group_org_id, m.name, m.former_name, m.sex, m.birth_date, m.id_cipher,"   \
	" m.mobile_cipher, m.ethnicity, m.native_place, m.address, m.grid_id, m.building_id, m.education,"       \
	" m.degree, m.work_unit, m.unit_type, m.two_new, m.post, m.category, m.party_status, m.state,"            \
	" m.party_post, m.joined_on, m.confirmed_on, m.introducers, m.dues_base, m.dues_paid_to, m.tags,"        \
	" m.created_at, m.updated_at, m.id_masked, m.mobile_masked"
#define MEMBER_COLS MEMBER_COLS_M ", o.name"
/* the same columns with NULL for the organization's name, without the join */
#define MEMBER_COLS_NO_ORG MEMBER_COLS_M ", NULL"

/* a list page's columns (member_list_write): a third of MEMBER_COLS to read and copy,
 * with the masks stored at write time (0052) instead of the ciphertexts, so that a page
 * opens no AEAD ciphertext (bench/results.md item 14: ~12% of a page) */
#define MEMBER_LIST_COLS                                                                                         \
	"m.id, m.org_id, m.name, m.sex, m.birth_date, m.id_masked, m.mobile_masked, m.education, m.category,"     \
	" m.party_status, m.state, m.party_post, m.joined_on, o.name"

/* The columns of MEMBER_COLS (and MEMBER_COLS_NO_ORG), in their order: member.load's
 * rows; a page plan adds its sort key after them. */
enum member_rec_col {
	MEMBER_REC_COL_ID,
	MEMBER_REC_COL_ORG_ID,
	MEMBER_REC_COL_ORG_PATH,
	MEMBER_REC_COL_GROUP_ORG_ID,
	MEMBER_REC_COL_NAME,
	MEMBER_REC_COL_FORMER_NAME,
	MEMBER_REC_COL_SEX,
	MEMBER_REC_COL_BIRTH_DATE,
	MEMBER_REC_COL_ID_CIPHER,
	MEMBER_REC_COL_MOBILE_CIPHER,
	MEMBER_REC_COL_ETHNICITY,
	MEMBER_REC_COL_NATIVE_PLACE,
	MEMBER_REC_COL_ADDRESS,
	MEMBER_REC_COL_GRID_ID,
	MEMBER_REC_COL_BUILDING_ID,
	MEMBER_REC_COL_EDUCATION,
	MEMBER_REC_COL_DEGREE,
	MEMBER_REC_COL_WORK_UNIT,
	MEMBER_REC_COL_UNIT_TYPE,
	MEMBER_REC_COL_TWO_NEW,
	MEMBER_REC_COL_POST,
	MEMBER_REC_COL_CATEGORY,
	MEMBER_REC_COL_PARTY_STATUS,
	MEMBER_REC_COL_STATE,
	MEMBER_REC_COL_PARTY_POST,
	MEMBER_REC_COL_JOINED_ON,
	MEMBER_REC_COL_CONFIRMED_ON,
	MEMBER_REC_COL_INTRODUCERS,
	MEMBER_REC_COL_DUES_BASE,
	MEMBER_REC_COL_DUES_PAID_TO,
	MEMBER_REC_COL_TAGS,
	MEMBER_REC_COL_CREATED_AT,
	MEMBER_REC_COL_UPDATED_AT,
	MEMBER_REC_COL_ID_MASKED,
	MEMBER_REC_COL_MOBILE_MASKED,
	MEMBER_REC_COL_ORG_NAME,
	MEMBER_REC_COL_PAGE_KEY, /* PAGE_PLANS: the sort key, last */
};
/* The columns of MEMBER_LIST_COLS, in their order, then a page plan's sort key. */
enum member_list_col {
	MEMBER_LIST_COL_ID,
	MEMBER_LIST_COL_ORG_ID,
	MEMBER_LIST_COL_NAME,
	MEMBER_LIST_COL_SEX,
	MEMBER_LIST_COL_BIRTH_DATE,
	MEMBER_LIST_COL_ID_MASKED,
	MEMBER_LIST_COL_MOBILE_MASKED,
	MEMBER_LIST_COL_EDUCATION,
	MEMBER_LIST_COL_CATEGORY,
	MEMBER_LIST_COL_PARTY_STATUS,
	MEMBER_LIST_COL_STATE,
	MEMBER_LIST_COL_PARTY_POST,
	MEMBER_LIST_COL_JOINED_ON,
	MEMBER_LIST_COL_ORG_NAME,
	MEMBER_LIST_COL_PAGE_KEY,
};
/* member.ids_*'s rows: the id and the page's sort key */
enum member_ids_col { MEMBER_IDS_COL_ID, MEMBER_IDS_COL_KEY };
/* member.history's rows */
enum member_history_col {
	MEMBER_HISTORY_COL_ID,
	MEMBER_HISTORY_COL_AT,
	MEMBER_HISTORY_COL_DATE,
	MEMBER_HISTORY_COL_FROM_STATE,
	MEMBER_HISTORY_COL_TO_STATE,
	MEMBER_HISTORY_COL_REASON,
	MEMBER_HISTORY_COL_ACTOR_NAME,
};
/* member.subtree_counts's row */
enum subtree_counts_col {
	SUBTREE_COUNTS_COL_MEMBERS,
	SUBTREE_COUNTS_COL_ROSTER,
	SUBTREE_COUNTS_COL_FORMAL,
	SUBTREE_COUNTS_COL_ORGS,
};
/* member.rev's row */
enum member_rev_col { MEMBER_REV_COL_EPOCH, MEMBER_REV_COL_REV };

/* The list filter's parameters: $1 prefix and $2 end of the subtree's paths, $3
 * party_status, $4 state, $5 college education (1/0), $6 born after, $7 born on or before,
 * $8 sex, $9 ethnicity is, $10 ethnicity is not, $11 two_new, $12 joined from, $13 joined
 * to, $14 name LIKE (NULL: no condition); see bind_filter. A page plan adds $15 the
 * cursor's key, $16 the cursor's id and $17 the limit. */
#define MEMBER_FILTER                                                                                             \
	" m.org_path >= $1 AND m.org_path < $2 AND (CAST($3 AS TEXT) IS NULL OR m.party_status = $3)"                           \
	" AND (CAST($4 AS TEXT) IS NULL OR m.state = $4"                                                                        \
	" OR ($4 = '" MEMBER_STATE_ROSTER "' AND (m.stats_key & 64) = 64) OR ($4 = '" MEMBER_STATE_HISTORY "' AND (m.stats_key & 64) = 0))" \
	" AND (CAST($5 AS BIGINT) IS NULL OR (COALESCE(m.education, '99') >= '10' AND COALESCE(m.education, '99') < '40') = ($5 = 1))" \
	" AND (CAST($6 AS TEXT) IS NULL OR m.birth_date > $6) AND (CAST($7 AS TEXT) IS NULL OR m.birth_date <= $7)"                           \
	" AND (CAST($8 AS TEXT) IS NULL OR m.sex = $8) AND (CAST($9 AS TEXT) IS NULL OR m.ethnicity = $9) AND (CAST($10 AS TEXT) IS NULL OR m.ethnicity <> $10)" \
	" AND (CAST($11 AS BIGINT) IS NULL OR m.two_new = $11) AND (CAST($12 AS TEXT) IS NULL OR m.joined_on >= $12)"                           \
	" AND (CAST($13 AS TEXT) IS NULL OR m.joined_on <= $13) AND (CAST($14 AS TEXT) IS NULL OR m.name LIKE $14 ESCAPE '\\')"

/* The four plans of a list page, for a set of columns: a small subtree reads its rows
 * by path and sorts them, a large one walks the sort key's index (SMALL_SUBTREE below);
 * sorted by name or by joined date. The sort key is the last column. F names the
 * family's statements: STMT_<F>_SMALL_NAME … STMT_<F>_LARGE_JOINED. */
#define PAGE_PLAN_STMTS(F)                                                                                       \
	STMT_##F##_SMALL_NAME, STMT_##F##_LARGE_NAME, STMT_##F##_SMALL_JOINED, STMT_##F##_LARGE_JOINED,            \
		STMT_##F##_SMALL_STROKES, STMT_##F##_LARGE_STROKES
#define PAGE_PLANS(F, name, cols, join)                                                                          \
	[STMT_##F##_SMALL_NAME] = DB_SQL_INDEXED(name "_small_name", "SELECT " cols ", m.name_pinyin FROM members m", \
	 "members_path_name", join " WHERE" MEMBER_FILTER " AND (m.name_pinyin, m.id) > ($15, $16)"                 \
	 " ORDER BY m.name_pinyin, m.id LIMIT $17"),                                                                 \
	[STMT_##F##_LARGE_NAME] = DB_SQL_INDEXED(name "_large_name", "SELECT " cols ", m.name_pinyin FROM members m", \
	 "members_pinyin", join " WHERE" MEMBER_FILTER " AND (m.name_pinyin, m.id) > ($15, $16)"                    \
	 " ORDER BY m.name_pinyin, m.id LIMIT $17"),                                                                 \
	[STMT_##F##_SMALL_STROKES] = DB_SQL_INDEXED(name "_small_strokes", "SELECT " cols ", m.name_strokes FROM members m", \
	 "members_path_name", join " WHERE" MEMBER_FILTER " AND (m.name_strokes, m.id) > ($15, $16)"                \
	 " ORDER BY m.name_strokes, m.id LIMIT $17"),                                                                \
	[STMT_##F##_LARGE_STROKES] = DB_SQL_INDEXED(name "_large_strokes", "SELECT " cols ", m.name_strokes FROM members m", \
	 "members_strokes", join " WHERE" MEMBER_FILTER " AND (m.name_strokes, m.id) > ($15, $16)"                  \
	 " ORDER BY m.name_strokes, m.id LIMIT $17"),                                                                \
	[STMT_##F##_SMALL_JOINED] = DB_SQL_INDEXED(name "_small_joined", "SELECT " cols ", m.joined_on FROM members m", \
	 "members_path_name", join " WHERE" MEMBER_FILTER " AND (m.joined_on, m.id) > ($15, $16) ORDER BY m.joined_on, m.id LIMIT $17"), \
	[STMT_##F##_LARGE_JOINED] = DB_SQL_INDEXED(name "_large_joined", "SELECT " cols ", m.joined_on FROM members m", \
	 "members_joined", join " WHERE" MEMBER_FILTER " AND (m.joined_on, m.id) > ($15, $16) ORDER BY m.joined_on, m.id LIMIT $17")

/* A list page's ids chosen from an index alone (0111_member_list_keys): every condition
 * on the index entry's columns (org_path, name, joined_on, stats_key), so no table row
 * is read before the page's 20 are known. $1 prefix and $2 end of the subtree's paths,
 * $3 mask and $4 value over stats_key (packed below), $5 born after and $6 born on or
 * before as stats_key's day numbers, $7 name LIKE, $8 joined from, $9 joined to (NULL:
 * no condition), $10 the cursor's key, $11 its id, $12 the limit. A condition that does
 * not apply is written away by its parameter (mask 0, born after -1, born before 1 << 21):
 * PostgreSQL folds it out of a custom plan, where its own estimate of (stats_key & …)
 * terms would walk the whole of members_path_name instead of the sort's index. */
#define MEMBER_KEY_FILTER " m.org_path >= $1 AND m.org_path < $2 AND" MEMBER_KEY_CONDS
/* MEMBER_KEY_FILTER's conditions on the entry, past the path's ($3 … $9) */
#define MEMBER_KEY_CONDS                                                                                          \
	" (CAST($3 AS BIGINT) = 0 OR (m.stats_key & $3) = $4)"                                                    \
	" AND (CAST($5 AS BIGINT) < 0 OR ((m.stats_key / 256) % 1048576) > $5)"                                   \
	" AND (CAST($6 AS BIGINT) >= 2097152 OR ((m.stats_key / 256) % 1048576) <= $6)"                           \
	" AND (CAST($7 AS TEXT) IS NULL OR m.name LIKE $7 ESCAPE '\\')"                                            \
	" AND (CAST($8 AS TEXT) IS NULL OR m.joined_on >= $8) AND (CAST($9 AS TEXT) IS NULL OR m.joined_on <= $9)"
#define IDS_BY_NAME " AND (m.name_pinyin, m.id) > ($10, $11) ORDER BY m.name_pinyin, m.id LIMIT $12"
#define IDS_BY_JOINED " AND (m.joined_on, m.id) > ($10, $11) ORDER BY m.joined_on, m.id LIMIT $12"
/* the same without the order and the limit (a small subtree on SQLite: ids_top); $12
 * still named so that both engines take the same parameters */
#define IDS_SCAN_NAME " AND (m.name_pinyin, m.id) > ($10, $11) AND CAST($12 AS BIGINT) > 0"
#define IDS_SCAN_JOINED " AND (m.joined_on, m.id) > ($10, $11) AND CAST($12 AS BIGINT) > 0"

/* member_seek's statements, a pair each: S forward, S##_REV the same order reversed */
#define SEEK_KEYS(S, name, key, index)                                                                            \
	[S] = DB_SQL_INDEXED("member.seek_" name, "SELECT m.id, " key " FROM members m", index,                     \
	 " WHERE" MEMBER_KEY_FILTER " AND " key " IS NOT NULL ORDER BY " key ", m.id LIMIT 1 OFFSET $10"),          \
	[S##_REV] = DB_SQL_INDEXED("member.seek_" name "_rev", "SELECT m.id, " key " FROM members m", index,         \
	 " WHERE" MEMBER_KEY_FILTER " AND " key " IS NOT NULL ORDER BY " key " DESC, m.id DESC LIMIT 1 OFFSET $10")
#define SEEK_CHARS(S, name, key, cond)                                                                           \
	[S] = {"member.seek_chars_" name, "SELECT m.id, " key " FROM member_name_chars m WHERE m.ch = lower($11)"   \
	 cond " AND" MEMBER_KEY_FILTER " ORDER BY " key ", m.id LIMIT 1 OFFSET $10"},                               \
	[S##_REV] = {"member.seek_chars_" name "_rev", "SELECT m.id, " key " FROM member_name_chars m"              \
	 " WHERE m.ch = lower($11)" cond " AND" MEMBER_KEY_FILTER " ORDER BY " key " DESC, m.id DESC LIMIT 1 OFFSET $10"}
#define SEEK_ROWS(S, name, key)                                                                                   \
	[S] = {"member.seek_rows_" name, "SELECT m.id, " key " FROM members m WHERE" MEMBER_FILTER " AND " key      \
	 " IS NOT NULL ORDER BY " key ", m.id LIMIT 1 OFFSET $15"},                                                   \
	[S##_REV] = {"member.seek_rows_" name "_rev", "SELECT m.id, " key " FROM members m WHERE" MEMBER_FILTER     \
	 " AND " key " IS NOT NULL ORDER BY " key " DESC, m.id DESC LIMIT 1 OFFSET $15"}

enum member_query_stmt {
	STMT_MEMBER_LOAD,
	STMT_MEMBER_UPDATE,
	STMT_MEMBER_DELETE,
	STMT_MEMBER_DELETE_HISTORY,
	STMT_MEMBER_STATE,
	STMT_MEMBER_IN_TRANSIT, /* transfers (issue 14) */
	STMT_MEMBER_HISTORY_ADD,
	STMT_MEMBER_HISTORY,
	PAGE_PLAN_STMTS(MEMBER_PAGE),
	STMT_MEMBER_COUNT_FILTERED,
	STMT_MEMBER_SUBTREE_TOTAL,
	STMT_MEMBER_COUNT_PACKED,
	STMT_MEMBER_REV,
	STMT_MEMBER_LIST_REV,
	STMT_MEMBER_COUNT_NAME,
	STMT_MEMBER_COUNT_JOINED,
	PAGE_PLAN_STMTS(MEMBER_LIST),
	PAGE_PLAN_STMTS(MEMBER_PAGE_NO_ORG),
	STMT_MEMBER_PAGE_ID_BLIND,
	STMT_MEMBER_PAGE_MOBILE_BLIND,
	STMT_MEMBER_COUNT_ID_BLIND,
	STMT_MEMBER_COUNT_MOBILE_BLIND,
	/* a page's ids from an index (page_by_ids): by name (pinyin) or joined date */
	STMT_MEMBER_IDS_SMALL_NAME,
	STMT_MEMBER_IDS_LARGE_NAME,
	STMT_MEMBER_IDS_SMALL_JOINED,
	STMT_MEMBER_IDS_LARGE_JOINED,
	STMT_MEMBER_IDS_PROBATIONARY,
	STMT_MEMBER_LIST_ROW,
	STMT_MEMBER_COUNT_KEYS_PATH,
	STMT_MEMBER_COUNT_KEYS_JOINED,
	STMT_MEMBER_COUNT_KEYS_PROBATIONARY,
	STMT_MEMBER_COUNT_FLAGS,
	STMT_MEMBER_SUBTREE_ORGS,
	STMT_MEMBER_IDS_ORG_NAME,
	/* the cursor of a page by number (member_seek, issue 20 #14): forward and reverse */
	STMT_MEMBER_SEEK_SMALL_NAME,
	STMT_MEMBER_SEEK_SMALL_NAME_REV,
	STMT_MEMBER_SEEK_LARGE_NAME,
	STMT_MEMBER_SEEK_LARGE_NAME_REV,
	STMT_MEMBER_SEEK_SMALL_JOINED,
	STMT_MEMBER_SEEK_SMALL_JOINED_REV,
	STMT_MEMBER_SEEK_LARGE_JOINED,
	STMT_MEMBER_SEEK_LARGE_JOINED_REV,
	STMT_MEMBER_SEEK_NAME,
	STMT_MEMBER_SEEK_NAME_REV,
	STMT_MEMBER_SEEK_STROKES,
	STMT_MEMBER_SEEK_STROKES_REV,
	STMT_MEMBER_SEEK_JOINED,
	STMT_MEMBER_SEEK_JOINED_REV,
	STMT_MEMBER_CHAR_PROBE,
	STMT_MEMBER_IDS_CHARS_NAME,
	STMT_MEMBER_IDS_CHARS_JOINED,
	STMT_MEMBER_COUNT_CHARS,
	STMT_MEMBER_SEEK_CHARS_NAME,
	STMT_MEMBER_SEEK_CHARS_NAME_REV,
	STMT_MEMBER_SEEK_CHARS_JOINED,
	STMT_MEMBER_SEEK_CHARS_JOINED_REV,
	MEMBER_QUERY_STMT__MAX
};

/* A list page's statement: page_plan[family][plan]. */
enum page_family { PAGE_ALL_COLS, PAGE_LIST_COLS, PAGE_NO_ORG, PAGE_FAMILY__MAX };
enum page_plan {
	PLAN_SMALL_NAME,
	PLAN_LARGE_NAME,
	PLAN_SMALL_JOINED,
	PLAN_LARGE_JOINED,
	PLAN_SMALL_STROKES,
	PLAN_LARGE_STROKES,
	PAGE_PLAN__MAX
};
static const enum member_query_stmt page_plan[PAGE_FAMILY__MAX][PAGE_PLAN__MAX] = {
	[PAGE_ALL_COLS] = {PAGE_PLAN_STMTS(MEMBER_PAGE)},
	[PAGE_LIST_COLS] = {PAGE_PLAN_STMTS(MEMBER_LIST)},
	[PAGE_NO_ORG] = {PAGE_PLAN_STMTS(MEMBER_PAGE_NO_ORG)},
};

static const struct db_sql mq_sql[MEMBER_QUERY_STMT__MAX] = {
	[STMT_MEMBER_LOAD] = {"member.load",
	 "SELECT " MEMBER_COLS " FROM members m JOIN orgs o ON o.id = m.org_id WHERE m.id = $1"},
	/* $1 the member's id; $2 … $38 its columns as member_bind_record binds them */
	[STMT_MEMBER_UPDATE] = {"member.update",
	 "UPDATE members SET org_id = $2, org_path = (SELECT path FROM orgs WHERE id = $2), group_org_id = $3,"
	 " name = $4, former_name = $5, sex = $6, birth_date = $7, id_cipher = $8, id_blind = $9, mobile_cipher = $10,"
	 " mobile_blind = $11, ethnicity = $12, native_place = $13, address = $14, grid_id = $15, building_id = $16,"
	 " education = $17, degree = $18, work_unit = $19, unit_type = $20, two_new = $21, post = $22, category = $23,"
	 " party_status = $24, state = $25, party_post = $26, joined_on = $27, confirmed_on = $28, introducers = $29,"
	 " dues_base = $30, dues_paid_to = $31, tags = $32, updated_at = $33, stats_key = $34, id_masked = $35,"
	 " mobile_masked = $36, name_pinyin = $37, name_strokes = $38"
	 " WHERE id = $1 AND EXISTS (SELECT 1 FROM orgs WHERE id = $2) RETURNING org_path"},
	[STMT_MEMBER_DELETE] = {"member.delete", "DELETE FROM members WHERE id = $1"},
	[STMT_MEMBER_DELETE_HISTORY] = {"member.delete_history", "DELETE FROM member_history WHERE member_id = $1"},
	/* R-TRF-03: the member's organization while a transfer of theirs is open (0065) */
	[STMT_MEMBER_IN_TRANSIT] = {"member.in_transit",
	 "SELECT m.org_id FROM members m WHERE m.id = $1 AND EXISTS (SELECT 1 FROM transfers t WHERE t.member_id = m.id"
	 " AND t.open = 1)"},
	[STMT_MEMBER_STATE] = {"member.state",
	 "UPDATE members SET state = $2, stats_key = $3, updated_at = $4 WHERE id = $1"},
	[STMT_MEMBER_HISTORY_ADD] = {"member.history_add",
	 "INSERT INTO member_history (member_id, at, date, from_state, to_state, reason, actor_id, actor_name)"
	 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"},
	[STMT_MEMBER_HISTORY] = {"member.history",
	 "SELECT id, at, date, from_state, to_state, reason, actor_name FROM member_history WHERE member_id = $1"
	 " ORDER BY id DESC"},
	/* the page plans with every column */
	PAGE_PLANS(MEMBER_PAGE, "member.page", MEMBER_COLS, " JOIN orgs o ON o.id = m.org_id"),
	[STMT_MEMBER_COUNT_FILTERED] = {"member.count_filtered", "SELECT COUNT(*) FROM members m WHERE" MEMBER_FILTER},
	/* the subtree's members, 在册 and 正式党员 on the roster, from the organizations'
	 * counters (0040, 0096, 0115_org_roster_counts): ~10,000 index entries for a 10%
	 * subtree instead of ~100,000 members, ~100 for a community instead of ~2,000 */
	[STMT_MEMBER_SUBTREE_TOTAL] = DB_SQL_INDEXED("member.subtree_counts",
	 "SELECT COALESCE(SUM(n_members), 0), COALESCE(SUM(n_roster), 0), COALESCE(SUM(n_formal), 0),"
	 " COUNT(CASE WHEN n_members > 0 THEN 1 END) FROM orgs",
	 "orgs_path_counts", " WHERE path >= $1 AND path < $2"),
	/* the count when every filter can be read from stats_key (member.h): a pass over
	 * the covering index instead of the table (DESIGN.md §10) */
	[STMT_MEMBER_COUNT_PACKED] = DB_SQL_INDEXED("member.count_packed",
	 "SELECT COUNT(*) FROM members", "members_stats", " WHERE org_path >= $1 AND org_path < $2"
	 " AND (stats_key & $3) = $4 AND ((stats_key / 256) % 1048576) > $5 AND ((stats_key / 256) % 1048576) <= $6"),
	/* the revision of the members' placement (0040_member_counts) */
	[STMT_MEMBER_REV] = {"member.rev", "SELECT epoch, rev FROM member_rev WHERE id = 1"},
	/* an organization's subtree's revision (0145 subtree_rev, by its path), 0 while it
	 * has no row */
	[STMT_MEMBER_LIST_REV] = {"member.list_rev",
	 "SELECT m.epoch, COALESCE((SELECT r.rev FROM subtree_rev r WHERE r.anc_path = $1), 0)"
	 " FROM member_rev m WHERE m.id = 1"},
	/* a name search's total, read from an index that holds path and name (no table row) */
	[STMT_MEMBER_COUNT_NAME] = DB_SQL_INDEXED("member.count_name",
	 "SELECT COUNT(*) FROM members", "members_path_name", " WHERE org_path >= $1 AND org_path < $2"
	 " AND name LIKE $3 ESCAPE '\\'"),
	/* a joined-date range's total: the range of members_joined, whose entries carry the path */
	[STMT_MEMBER_COUNT_JOINED] = DB_SQL_INDEXED("member.count_joined",
	 "SELECT COUNT(*) FROM members", "members_joined", " WHERE joined_on >= $1 AND joined_on <= $2"
	 " AND org_path >= $3 AND org_path < $4"),
	/* the page plans with a list page's columns (member_filter.list_cols) */
	PAGE_PLANS(MEMBER_LIST, "member.list", MEMBER_LIST_COLS, " JOIN orgs o ON o.id = m.org_id"),
	/* rows without org_name (member_filter.no_org_name; exports): the join reads an
	 * orgs row per member in name order, which the 8 MiB page cache does not hold for
	 * 100,000 organizations (~1/3 of a 1M-row export's read) */
	PAGE_PLANS(MEMBER_PAGE_NO_ORG, "member.page_no_org", MEMBER_COLS_NO_ORG, ""),
	/* an exact ID number or mobile through its blind index (members_id_blind UNIQUE,
	 * members_mobile_blind): a handful of rows whatever the subtree */
	[STMT_MEMBER_PAGE_ID_BLIND] = {"member.page_id_blind",
	 "SELECT " MEMBER_COLS ", m.name_pinyin FROM members m JOIN orgs o ON o.id = m.org_id WHERE" MEMBER_FILTER
	 " AND m.id_blind = $18 AND (m.name_pinyin, m.id) > ($15, $16) ORDER BY m.name_pinyin, m.id LIMIT $17"},
	[STMT_MEMBER_PAGE_MOBILE_BLIND] = {"member.page_mobile_blind",
	 "SELECT " MEMBER_COLS ", m.name_pinyin FROM members m JOIN orgs o ON o.id = m.org_id WHERE" MEMBER_FILTER
	 " AND m.mobile_blind = $18 AND (m.name_pinyin, m.id) > ($15, $16) ORDER BY m.name_pinyin, m.id LIMIT $17"},
	[STMT_MEMBER_COUNT_ID_BLIND] = {"member.count_id_blind",
	 "SELECT COUNT(*) FROM members m WHERE" MEMBER_FILTER " AND m.id_blind = $15"},
	[STMT_MEMBER_COUNT_MOBILE_BLIND] = {"member.count_mobile_blind",
	 "SELECT COUNT(*) FROM members m WHERE" MEMBER_FILTER " AND m.mobile_blind = $15"},
	/* a list page's ids (MEMBER_KEY_FILTER), the same four plans as PAGE_PLANS */
	/* a small subtree's ids: on SQLite every entry of the subtree's range past the
	 * cursor, the page kept by the caller (ids_top: the sorter's insert and delete per
	 * entry cost as much as the scan itself, bench/results.md issue 21); PostgreSQL sorts */
	[STMT_MEMBER_IDS_SMALL_NAME] = {"member.ids_small_name",
	 "SELECT m.id, m.name_pinyin FROM members m INDEXED BY members_path_name WHERE" MEMBER_KEY_FILTER IDS_SCAN_NAME,
	 "SELECT m.id, m.name_pinyin FROM members m WHERE" MEMBER_KEY_FILTER IDS_BY_NAME},
	[STMT_MEMBER_IDS_LARGE_NAME] = DB_SQL_INDEXED("member.ids_large_name", "SELECT m.id, m.name_pinyin FROM members m",
	 "members_pinyin", " WHERE" MEMBER_KEY_FILTER IDS_BY_NAME),
	[STMT_MEMBER_IDS_SMALL_JOINED] = {"member.ids_small_joined",
	 "SELECT m.id, m.joined_on FROM members m INDEXED BY members_path_name WHERE" MEMBER_KEY_FILTER IDS_SCAN_JOINED,
	 "SELECT m.id, m.joined_on FROM members m WHERE" MEMBER_KEY_FILTER IDS_BY_JOINED},
	[STMT_MEMBER_IDS_LARGE_JOINED] = DB_SQL_INDEXED("member.ids_large_joined",
	 "SELECT m.id, m.joined_on FROM members m", "members_joined", " WHERE" MEMBER_KEY_FILTER IDS_BY_JOINED),
	/* 预备党员 in joined order (issue 21 #3): they joined last, at the far end of
	 * members_joined (the whole index passed at the district's root); their own partial
	 * index, whose condition is MSK_FORMAL = 0 */
	[STMT_MEMBER_IDS_PROBATIONARY] = DB_SQL_INDEXED("member.ids_probationary",
	 "SELECT m.id, m.joined_on FROM members m", "members_probationary",
	 " WHERE (m.stats_key & 1) = 0 AND" MEMBER_KEY_FILTER IDS_BY_JOINED),
	/* a total whose filter fits MEMBER_KEY_FILTER (and is not stats_key's alone: that is
	 * member.count_packed's), from the same indexes: a name search over the subtree's
	 * path range, a joined-date range over its range of members_joined, 预备党员 over
	 * their partial index; $1 … $9 as MEMBER_KEY_FILTER (for the joined range, $8 and $9
	 * never NULL) */
	[STMT_MEMBER_COUNT_KEYS_PATH] = DB_SQL_INDEXED("member.count_keys_path", "SELECT COUNT(*) FROM members m",
	 "members_path_name", " WHERE" MEMBER_KEY_FILTER),
	[STMT_MEMBER_COUNT_KEYS_JOINED] = DB_SQL_INDEXED("member.count_keys_joined", "SELECT COUNT(*) FROM members m",
	 "members_joined", " WHERE m.joined_on >= $8 AND m.joined_on <= $9 AND" MEMBER_KEY_FILTER),
	[STMT_MEMBER_COUNT_KEYS_PROBATIONARY] = DB_SQL_INDEXED("member.count_keys_probationary",
	 "SELECT COUNT(*) FROM members m", "members_probationary", " WHERE (m.stats_key & 1) = 0 AND" MEMBER_KEY_FILTER),
	/* member.count_packed without a birth date's bounds (the default list's total, 在册
	 * 党员): a third less work per index entry (0.020 s instead of 0.030 s of CPU at the
	 * root of 200,000 members) */
	[STMT_MEMBER_COUNT_FLAGS] = DB_SQL_INDEXED("member.count_flags", "SELECT COUNT(*) FROM members", "members_stats",
	 " WHERE org_path >= $1 AND org_path < $2 AND (stats_key & $3) = $4"),
	/* the subtree's organizations that hold members (ids_merge), from the counters' index */
	[STMT_MEMBER_SUBTREE_ORGS] = DB_SQL_INDEXED("member.subtree_orgs", "SELECT path FROM orgs", "orgs_path_counts",
	 " WHERE path >= $1 AND path < $2 AND n_members > 0"),
	/* one organization's first ids by name (ids_merge): its own run of members_path_name,
	 * in order from the cursor; $1 its path, $2 the subtree's end, $3 … $12 as
	 * member.ids_large_name */
	[STMT_MEMBER_IDS_ORG_NAME] = DB_SQL_INDEXED("member.ids_org_name", "SELECT m.id, m.name_pinyin FROM members m",
	 "members_path_name", " WHERE m.org_path = $1 AND m.org_path < $2 AND" MEMBER_KEY_CONDS IDS_BY_NAME),
	/* The (id, key) at a position of a list's order, counted from its start (ascending)
	 * or from its end (the same order reversed): the cursor before a page chosen by
	 * number (member_seek). A filter that fits the index entry (MEMBER_KEY_FILTER,
	 * $1 … $9, $10 the position) passes index entries only: a small subtree's range of
	 * members_path_name sorted, a large one's walk of the sort key's index, from either
	 * end; any other filter (MEMBER_FILTER, $1 … $14, $15 the position) reads the rows. */
	SEEK_KEYS(STMT_MEMBER_SEEK_SMALL_NAME, "small_name", "m.name_pinyin", "members_path_name"),
	SEEK_KEYS(STMT_MEMBER_SEEK_LARGE_NAME, "large_name", "m.name_pinyin", "members_pinyin"),
	SEEK_KEYS(STMT_MEMBER_SEEK_SMALL_JOINED, "small_joined", "m.joined_on", "members_path_name"),
	SEEK_KEYS(STMT_MEMBER_SEEK_LARGE_JOINED, "large_joined", "m.joined_on", "members_joined"),
	SEEK_ROWS(STMT_MEMBER_SEEK_NAME, "name", "m.name_pinyin"),
	SEEK_ROWS(STMT_MEMBER_SEEK_STROKES, "strokes", "m.name_strokes"),
	SEEK_ROWS(STMT_MEMBER_SEEK_JOINED, "joined", "m.joined_on"),
	/* A name search over a large subtree (issue 21 #3), from member_name_chars (0157):
	 * the range of one character of the search (lower()d as the table's ch is), in name
	 * order (its key; '' while a member has none, which a page by name skips as
	 * members_pinyin's NULL) or sorted by joined date (the range has no second index:
	 * 0157), every other condition and the whole pattern tested on the entry as
	 * MEMBER_KEY_FILTER does. The page's ids: $1 … $12 as
	 * member.ids_large_name, $13 the character; the total: $1 … $9, $10 the character;
	 * a seek: $1 … $10 as SEEK_KEYS, $11 the character. The probe: how many entries
	 * (up to CHAR_PROBE) a character has (name_char). */
	[STMT_MEMBER_CHAR_PROBE] = {"member.char_probe",
	 "SELECT COUNT(*) FROM (SELECT 1 FROM member_name_chars WHERE ch = lower($1) LIMIT $2) t"},
	[STMT_MEMBER_IDS_CHARS_NAME] = {"member.ids_chars_name", "SELECT m.id, m.name_pinyin FROM member_name_chars m"
	 " WHERE m.ch = lower($13) AND m.name_pinyin <> '' AND" MEMBER_KEY_FILTER IDS_BY_NAME},
	[STMT_MEMBER_IDS_CHARS_JOINED] = {"member.ids_chars_joined", "SELECT m.id, m.joined_on FROM member_name_chars m"
	 " WHERE m.ch = lower($13) AND" MEMBER_KEY_FILTER IDS_BY_JOINED},
	[STMT_MEMBER_COUNT_CHARS] = {"member.count_chars",
	 "SELECT COUNT(*) FROM member_name_chars m WHERE m.ch = lower($10) AND" MEMBER_KEY_FILTER},
	SEEK_CHARS(STMT_MEMBER_SEEK_CHARS_NAME, "name", "m.name_pinyin", " AND m.name_pinyin <> ''"),
	SEEK_CHARS(STMT_MEMBER_SEEK_CHARS_JOINED, "joined", "m.joined_on", ""),
	/* one row of a list page, by id */
	[STMT_MEMBER_LIST_ROW] = {"member.list_row",
	 "SELECT " MEMBER_LIST_COLS " FROM members m JOIN orgs o ON o.id = m.org_id WHERE m.id = $1"},
};
DB_SQL_TABLE(member_query, mq_sql);

/* A subtree up to this size reads its rows by path and sorts them (≤ 2,000 table rows);
 * a larger one walks the name (or joined) index, whose entries carry org_path, so at
 * most ~1M / 2,000 × 21 ≈ 10,000 index entries are passed: both ≲ 2 ms at 1M members. */
#define SMALL_SUBTREE 2000

void member_row_decrypt(struct arena *a, struct member_rec *r, const void *idc, size_t idl, const void *mc, size_t ml)
{
	r->id_number = idc ? dj_open(a, idc, idl, "member.id_number", NULL) : NULL;
	r->mobile = mc ? dj_open(a, mc, ml, "member.mobile", NULL) : NULL;
}

/* Fills r from a row of MEMBER_COLS; returns the org name. */
static const char *read_row(struct db_stmt *st, struct arena *a, bool decrypt, struct member_rec *r)
{
	memset(r, 0, sizeof *r);
	r->id = db_col_int(st, MEMBER_REC_COL_ID);
	r->org_id = db_col_int(st, MEMBER_REC_COL_ORG_ID);
	r->org_path = db_col_dup(a, st, MEMBER_REC_COL_ORG_PATH);
	r->group_org_id = db_col_int(st, MEMBER_REC_COL_GROUP_ORG_ID);
	r->name = db_col_dup(a, st, MEMBER_REC_COL_NAME);
	r->former_name = db_col_dup(a, st, MEMBER_REC_COL_FORMER_NAME);
	r->sex = db_col_dup(a, st, MEMBER_REC_COL_SEX);
	r->birth_date = db_col_dup(a, st, MEMBER_REC_COL_BIRTH_DATE);
	/* the masks as stored; the ciphertexts are opened only for who may see them */
	r->id_masked = db_col_dup(a, st, MEMBER_REC_COL_ID_MASKED);
	r->mobile_masked = db_col_dup(a, st, MEMBER_REC_COL_MOBILE_MASKED);
	if (decrypt)
		member_row_decrypt(a, r, db_col_blob(st, MEMBER_REC_COL_ID_CIPHER),
				   db_col_len(st, MEMBER_REC_COL_ID_CIPHER),
				   db_col_null(st, MEMBER_REC_COL_MOBILE_CIPHER) ? NULL
										: db_col_blob(st, MEMBER_REC_COL_MOBILE_CIPHER),
				   db_col_len(st, MEMBER_REC_COL_MOBILE_CIPHER));
	r->ethnicity = db_col_dup(a, st, MEMBER_REC_COL_ETHNICITY);
	r->native_place = db_col_dup(a, st, MEMBER_REC_COL_NATIVE_PLACE);
	r->address = db_col_dup(a, st, MEMBER_REC_COL_ADDRESS);
	r->grid_id = db_col_int(st, MEMBER_REC_COL_GRID_ID);
	r->building_id = db_col_int(st, MEMBER_REC_COL_BUILDING_ID);
	r->education = db_col_dup(a, st, MEMBER_REC_COL_EDUCATION);
	r->degree = db_col_dup(a, st, MEMBER_REC_COL_DEGREE);
	r->work_unit = db_col_dup(a, st, MEMBER_REC_COL_WORK_UNIT);
	r->unit_type = db_col_dup(a, st, MEMBER_REC_COL_UNIT_TYPE);
	r->two_new = db_col_int(st, MEMBER_REC_COL_TWO_NEW) != 0;
	r->post = db_col_dup(a, st, MEMBER_REC_COL_POST);
	r->category = db_col_dup(a, st, MEMBER_REC_COL_CATEGORY);
	r->party_status = db_col_dup(a, st, MEMBER_REC_COL_PARTY_STATUS);
	r->state = db_col_dup(a, st, MEMBER_REC_COL_STATE);
	r->party_post = db_col_dup(a, st, MEMBER_REC_COL_PARTY_POST);
	r->joined_on = db_col_dup(a, st, MEMBER_REC_COL_JOINED_ON);
	r->confirmed_on = db_col_dup(a, st, MEMBER_REC_COL_CONFIRMED_ON);
	r->introducers_json = db_col_dup(a, st, MEMBER_REC_COL_INTRODUCERS);
	r->dues_base = db_col_null(st, MEMBER_REC_COL_DUES_BASE) ? -1 : db_col_int(st, MEMBER_REC_COL_DUES_BASE);
	r->dues_paid_to = db_col_dup(a, st, MEMBER_REC_COL_DUES_PAID_TO);
	r->tags_json = db_col_dup(a, st, MEMBER_REC_COL_TAGS);
	r->created_at = db_col_int(st, MEMBER_REC_COL_CREATED_AT);
	r->updated_at = db_col_int(st, MEMBER_REC_COL_UPDATED_AT);
	return db_col_dup(a, st, MEMBER_REC_COL_ORG_NAME);
}

/* Fills the fields member_list_write shows from a row of MEMBER_LIST_COLS; returns the
 * org name. */
static const char *read_list_row(struct db_stmt *st, struct arena *a, struct member_rec *r)
{
	memset(r, 0, sizeof *r);
	r->id = db_col_int(st, MEMBER_LIST_COL_ID);
	r->org_id = db_col_int(st, MEMBER_LIST_COL_ORG_ID);
	r->name = db_col_dup(a, st, MEMBER_LIST_COL_NAME);
	r->sex = db_col_dup(a, st, MEMBER_LIST_COL_SEX);
	r->birth_date = db_col_dup(a, st, MEMBER_LIST_COL_BIRTH_DATE);
	r->id_masked = db_col_dup(a, st, MEMBER_LIST_COL_ID_MASKED);
	r->mobile_masked = db_col_dup(a, st, MEMBER_LIST_COL_MOBILE_MASKED);
	r->education = db_col_dup(a, st, MEMBER_LIST_COL_EDUCATION);
	r->category = db_col_dup(a, st, MEMBER_LIST_COL_CATEGORY);
	r->party_status = db_col_dup(a, st, MEMBER_LIST_COL_PARTY_STATUS);
	r->state = db_col_dup(a, st, MEMBER_LIST_COL_STATE);
	r->party_post = db_col_dup(a, st, MEMBER_LIST_COL_PARTY_POST);
	r->joined_on = db_col_dup(a, st, MEMBER_LIST_COL_JOINED_ON);
	r->dues_base = -1;
	return db_col_dup(a, st, MEMBER_LIST_COL_ORG_NAME);
}

enum db_rc member_load(struct db *db, struct arena *a, int64_t id, bool decrypt, struct member_rec *r,
		       const char **org_name)
{
	struct db_stmt *st = db_prepare(db, &mq_sql[STMT_MEMBER_LOAD]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		const char *on = read_row(st, a, decrypt, r);
		if (org_name)
			*org_name = on;
		rc = DB_OK;
	} else if (rc == DB_DONE) {
		rc = DB_NOT_FOUND;
	}
	db_reset(st);
	return rc;
}

enum db_rc member_in_transit(struct db *db, int64_t id, int64_t *org_id)
{
	struct db_stmt *st = db_prepare(db, &mq_sql[STMT_MEMBER_IN_TRANSIT]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		if (org_id)
			*org_id = db_col_int(st, DB_COL_ONLY);
		rc = DB_OK;
	} else if (rc == DB_DONE) {
		rc = DB_NOT_FOUND;
	}
	db_reset(st);
	return rc;
}

enum db_rc member_update(struct db *db, struct arena *a, struct member_rec *r)
{
	/* R-TRF-03: a member in transit is not moved by hand */
	int64_t org_now;
	enum db_rc tr = member_in_transit(db, r->id, &org_now);
	if (tr == DB_OK && org_now != r->org_id)
		return DB_CONSTRAINT;
	if (tr != DB_OK && tr != DB_NOT_FOUND)
		return tr;
	struct db_stmt *st = db_prepare(db, &mq_sql[STMT_MEMBER_UPDATE]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, r->id);
	member_bind_record(st, 1, a, r, r->updated_at);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		r->org_path = arena_strdup(a, db_col_text(st, DB_COL_ONLY)); /* RETURNING org_path */
		rc = DB_OK;
	} else if (rc == DB_DONE) {
		rc = DB_CONSTRAINT;
	}
	db_reset(st);
	return rc;
}

static enum db_rc exec1(struct db *db, const struct db_sql *sql, int64_t id)
{
	struct db_stmt *st = db_prepare(db, sql);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	enum db_rc rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

enum db_rc member_delete(struct db *db, int64_t id)
{
	/* R-TRF-03: a member in transit is not deleted (transfer_accept closes the
	 * transfer before an 'out' member leaves the roster) */
	enum db_rc tr = member_in_transit(db, id, NULL);
	if (tr != DB_NOT_FOUND)
		return tr == DB_OK ? DB_CONSTRAINT : tr;
	enum db_rc rc = exec1(db, &mq_sql[STMT_MEMBER_DELETE_HISTORY], id);
	return rc == DB_OK ? exec1(db, &mq_sql[STMT_MEMBER_DELETE], id) : rc;
}

enum db_rc member_change_state(struct db *db, struct member_rec *r, const char *to, const char *reason,
			       const char *date, int64_t actor_id, const char *actor_name, int64_t now)
{
	const char *from = r->state;
	r->state = to;
	struct db_stmt *st = db_prepare(db, &mq_sql[STMT_MEMBER_STATE]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, r->id);
	db_bind_text(st, 2, to, -1);
	db_bind_int(st, 3, member_stats_key(r));
	db_bind_int(st, 4, now);
	enum db_rc rc = db_step(st);
	db_reset(st);
	if (rc != DB_DONE)
		return rc;
	st = db_prepare(db, &mq_sql[STMT_MEMBER_HISTORY_ADD]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, r->id);
	db_bind_int(st, 2, now);
	db_bind_text(st, 3, date, -1);
	db_bind_text(st, 4, from, -1);
	db_bind_text(st, 5, to, -1);
	db_bind_opt_text(st, 6, reason);
	db_bind_opt_id(st, 7, actor_id);
	db_bind_opt_text(st, 8, actor_name);
	rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

enum db_rc member_history_note(struct db *db, const struct member_rec *r, const char *date, const char *note,
			       int64_t actor_id, const char *actor_name, int64_t now)
{
	struct db_stmt *st = db_prepare(db, &mq_sql[STMT_MEMBER_HISTORY_ADD]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, r->id);
	db_bind_int(st, 2, now);
	db_bind_text(st, 3, date, -1);
	db_bind_text(st, 4, r->state, -1);
	db_bind_text(st, 5, r->state, -1);
	db_bind_opt_text(st, 6, note);
	db_bind_opt_id(st, 7, actor_id);
	db_bind_opt_text(st, 8, actor_name);
	enum db_rc rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

enum db_rc member_history(struct db *db, int64_t id, json_t *items)
{
	struct db_stmt *st = db_prepare(db, &mq_sql[STMT_MEMBER_HISTORY]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, id);
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW) {
		char at[21];
		clock_rfc3339(db_col_int(st, MEMBER_HISTORY_COL_AT), at);
		json_t *it = json_pack("{s:I, s:s, s:s, s:s?, s:s, s:s?, s:s?}", "id",
				       (json_int_t)db_col_int(st, MEMBER_HISTORY_COL_ID), "at", at, "date",
				       db_col_text(st, MEMBER_HISTORY_COL_DATE), "from_state",
				       db_col_text(st, MEMBER_HISTORY_COL_FROM_STATE), "to_state",
				       db_col_text(st, MEMBER_HISTORY_COL_TO_STATE), "reason",
				       db_col_text(st, MEMBER_HISTORY_COL_REASON), "actor_name",
				       db_col_text(st, MEMBER_HISTORY_COL_ACTOR_NAME));
		json_array_append_new(items, it);
	}
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

static json_t *json_list_or_empty(const char *text)
{
	json_t *v = text ? json_loads(text, 0, NULL) : NULL;
	if (!json_is_array(v)) {
		json_decref(v);
		v = json_array();
	}
	return v;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

void member_list_write(struct jsonw *w, const struct member_rec *r, const char *org_name)
{
	jw_object(w);
	jw_kint(w, "id", r->id);
	jw_kint(w, "org_id", r->org_id);
	jw_kstr(w, "org_name", org_name);
	jw_kstr(w, "name", r->name);
	jw_kstr(w, "sex", r->sex);
	jw_kstr(w, "birth_date", r->birth_date);
	jw_kstr(w, "id_number", r->id_masked);
	jw_kstr(w, "mobile", r->mobile_masked);
	jw_kstr(w, "education", r->education);
	jw_kstr(w, "category", r->category);
	jw_kstr(w, "party_status", r->party_status);
	jw_kstr(w, "state", r->state);
	jw_kstr(w, "party_post", r->party_post);
	jw_kstr(w, "joined_on", r->joined_on);
	jw_object_end(w);
}

json_t *member_json(const struct member_rec *r, const char *org_name, bool reveal, struct date today)
{
	char idm[IDCARD_LEN + 1], mm[12], bday[6];
	const char *id = r->id_number, *mobile = r->mobile;
	if (!reveal && !id) { /* loaded without decrypting: the stored masks */
		id = r->id_masked;
		mobile = r->mobile_masked;
	} else if (!reveal) { /* the same masks, from the plaintext at hand */
		idcard_mask(id, idm);
		id = idm;
		if (mobile) {
			mobile_mask(mobile, mm);
			mobile = mm;
		}
	}
	member_political_birthday(r->joined_on, bday);
	char c[21], u[21];
	clock_rfc3339(r->created_at, c);
	clock_rfc3339(r->updated_at, u);
	/* the keys are constant ASCII: _nocheck skips a UTF-8 scan of each (bench/results.md) */
	json_t *j = json_object();
#define S(k, v) json_object_set_new_nocheck(j, k, str_or_null(v))
#define I(k, v) json_object_set_new_nocheck(j, k, (v) > 0 ? json_integer(v) : json_null())
	json_object_set_new_nocheck(j, "id", json_integer(r->id));
	json_object_set_new_nocheck(j, "org_id", json_integer(r->org_id));
	S("org_name", org_name);
	I("group_org_id", r->group_org_id);
	S("name", r->name);
	S("former_name", r->former_name);
	S("sex", r->sex);
	S("birth_date", r->birth_date);
	S("id_number", id);
	S("ethnicity", r->ethnicity);
	S("native_place", r->native_place);
	S("mobile", mobile);
	S("address", r->address);
	I("grid_id", r->grid_id);
	I("building_id", r->building_id);
	S("education", r->education);
	S("degree", r->degree);
	S("work_unit", r->work_unit);
	S("unit_type", r->unit_type);
	json_object_set_new_nocheck(j, "two_new", json_boolean(r->two_new));
	S("post", r->post);
	S("category", r->category);
	S("party_status", r->party_status);
	S("state", r->state);
	S("party_post", r->party_post);
	S("joined_on", r->joined_on);
	S("confirmed_on", r->confirmed_on);
	/* 党龄 counts from 转正: a 预备党员 has none yet (null, not "0 年"; issue 20 #17) */
	bool formal = r->party_status && strcmp(r->party_status, "formal") == 0 && r->confirmed_on;
	json_object_set_new_nocheck(j, "party_age",
				    formal ? json_integer(member_party_age(r->confirmed_on, today)) : json_null());
	S("political_birthday", bday[0] ? bday : NULL);
	struct date nb;
	int nb_days, nb_years;
	if (member_next_political_birthday(r->joined_on, today, &nb, &nb_days, &nb_years)) {
		char nbs[11];
		date_format(nb, nbs);
		json_object_set_new_nocheck(j, "next_political_birthday", json_string(nbs));
		json_object_set_new_nocheck(j, "days_to_political_birthday", json_integer(nb_days));
		json_object_set_new_nocheck(j, "political_years", json_integer(nb_years));
	}
	json_object_set_new_nocheck(j, "introducers", json_list_or_empty(r->introducers_json));
	json_object_set_new_nocheck(j, "dues_base", r->dues_base >= 0 ? json_real((double)r->dues_base / 100.0) : json_null());
	S("dues_paid_to", r->dues_paid_to);
	json_object_set_new_nocheck(j, "tags", json_list_or_empty(r->tags_json));
	S("created_at", c);
	S("updated_at", u);
#undef S
#undef I
	return j;
}

static void bind_filter(struct db_stmt *st, const struct member_filter *f)
{
	db_bind_text(st, 1, f->prefix, -1);
	db_bind_text(st, 2, f->end, -1);
	db_bind_text(st, 3, f->party_status, -1);
	db_bind_text(st, 4, f->state, -1);
	if (f->edu_college >= 0)
		db_bind_int(st, 5, f->edu_college);
	else
		db_bind_null(st, 5);
	db_bind_text(st, 6, f->birth_after, -1);
	db_bind_text(st, 7, f->birth_upto, -1);
	db_bind_text(st, 8, f->sex, -1);
	db_bind_text(st, 9, f->eth_eq, -1);
	db_bind_text(st, 10, f->eth_ne, -1);
	if (f->two_new >= 0)
		db_bind_int(st, 11, f->two_new);
	else
		db_bind_null(st, 11);
	db_bind_text(st, 12, f->joined_from, -1);
	db_bind_text(st, 13, f->joined_to, -1);
	db_bind_text(st, 14, f->name_like, -1);
}

/* Birth date → stats_key's day number (days since 1900-01-01). */
static int64_t birth_key(const char *iso, int64_t def)
{
	struct date d;
	if (!iso || !date_parse(iso, &d))
		return def;
	return date_to_days(d) - date_to_days((struct date){1900, 1, 1});
}

/* The filter as (mask, value) over stats_key, when every condition fits in it; with
 * index_cols, a name search and a joined-date range may be left to the index entry's
 * own columns (MEMBER_KEY_FILTER). */
static bool packed_on(const struct member_filter *f, bool index_cols, int64_t *mask, int64_t *value)
{
	bool view = f->state && f->state[0] == '~';
	if ((f->state && !view) || (!index_cols && (f->name_like || f->joined_from || f->joined_to)) ||
	    (f->eth_eq && strcmp(f->eth_eq, "01") != 0) ||
	    (f->eth_ne && strcmp(f->eth_ne, "01") != 0))
		return false;
	if (f->sex && strcmp(f->sex, "1") != 0 && strcmp(f->sex, "2") != 0)
		return false;
	int64_t m = 0, v = 0;
	if (view) {
		m |= MSK_IN_ROSTER;
		v |= strcmp(f->state, MEMBER_STATE_ROSTER) == 0 ? MSK_IN_ROSTER : 0;
	}
	if (f->party_status) {
		m |= MSK_FORMAL;
		v |= strcmp(f->party_status, "formal") == 0 ? MSK_FORMAL : 0;
	}
	if (f->sex) {
		m |= 3 << MSK_SEX_SHIFT;
		v |= (int64_t)(f->sex[0] - '0') << MSK_SEX_SHIFT;
	}
	if (f->eth_eq || f->eth_ne) {
		m |= MSK_HAN;
		v |= f->eth_eq ? MSK_HAN : 0;
	}
	if (f->edu_college >= 0) {
		m |= MSK_COLLEGE;
		v |= f->edu_college ? MSK_COLLEGE : 0;
	}
	if (f->two_new >= 0) {
		m |= MSK_TWO_NEW;
		v |= f->two_new ? MSK_TWO_NEW : 0;
	}
	*mask = m;
	*value = v;
	return true;
}

static bool packed(const struct member_filter *f, int64_t *mask, int64_t *value)
{
	return packed_on(f, false, mask, value);
}

/* Totals computed at a revision of the members (0040_member_counts, 0042_stats_revision):
 * the revision rises in the same transaction as every write that moves a member in or
 * out of a subtree or changes its stats_key or state, so a count at (epoch, rev) is
 * exact for every snapshot at it, whichever store it was counted on; at an unchanged
 * revision the same count is read back from a cache. Two caches: the subtree's counters
 * (subtree_counts: the sum over a 10% subtree reads ~10,000 counters, ~1 ms, over the
 * district ~100,000, ~12 ms) by prefix, and the stats_key passes over the subtree's
 * index entries (packed_total) by filter and prefix. */
struct subtree_counts {
	int64_t members, roster, formal;
	int64_t orgs; /* organizations that hold members (ids_merge's runs) */
};
REVCACHE_DEFINE(total_cache, 64, struct subtree_counts);
REVCACHE_DEFINE(packed_cache, 64, int64_t);

enum db_rc member_revision(struct db *db, int64_t *epoch, int64_t *rev)
{
	*rev = -1;
	struct db_stmt *st = db_prepare(db, &mq_sql[STMT_MEMBER_REV]);
	if (!st)
		return DB_ERROR;
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		*epoch = db_col_int(st, MEMBER_REV_COL_EPOCH);
		*rev = db_col_int(st, MEMBER_REV_COL_REV);
	}
	db_reset(st);
	return rc == DB_ROW || rc == DB_DONE ? DB_OK : rc;
}

enum db_rc member_list_revision(struct db *db, const char *path, int64_t *epoch, int64_t *rev)
{
	*rev = -1;
	struct db_stmt *st = db_prepare(db, &mq_sql[STMT_MEMBER_LIST_REV]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, path, -1);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		*epoch = db_col_int(st, MEMBER_REV_COL_EPOCH);
		*rev = db_col_int(st, MEMBER_REV_COL_REV);
	}
	db_reset(st);
	return rc == DB_ROW || rc == DB_DONE ? DB_OK : rc;
}

/* A count on db by fn(db, arg, out), read from the cache c under key at the revision
 * read on db, or counted and kept there (keep: when the key fits). It is kept only when
 * the revision is the same after the count: inside a transaction it always is; outside
 * one, no write that changes what is counted committed in between. */
static enum db_rc cached_count(struct revcache *c, struct db *db, const char *key, bool keep,
			       enum db_rc (*fn)(struct db *, const void *, void *), const void *arg, void *out)
{
	int64_t epoch = 0, rev;
	enum db_rc rc = member_revision(db, &epoch, &rev);
	if (rc != DB_OK)
		return rc;
	keep = keep && rev >= 0;
	if (keep && revcache_get(c, key, epoch, rev, 0, out))
		return DB_OK;
	rc = fn(db, arg, out);
	int64_t epoch2 = 0, rev2;
	if (rc == DB_OK && keep && member_revision(db, &epoch2, &rev2) == DB_OK && rev2 == rev && epoch2 == epoch)
		revcache_put(c, key, epoch, rev, 0, out);
	return rc;
}

static enum db_rc sum_counters(struct db *db, const void *arg, void *out)
{
	const struct member_filter *f = arg;
	struct subtree_counts *k = out;
	struct db_stmt *st = db_prepare(db, &mq_sql[STMT_MEMBER_SUBTREE_TOTAL]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, f->prefix, -1);
	db_bind_text(st, 2, f->end, -1);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		k->members = db_col_int(st, SUBTREE_COUNTS_COL_MEMBERS);
		k->roster = db_col_int(st, SUBTREE_COUNTS_COL_ROSTER);
		k->formal = db_col_int(st, SUBTREE_COUNTS_COL_FORMAL);
		k->orgs = db_col_int(st, SUBTREE_COUNTS_COL_ORGS);
		rc = DB_OK;
	}
	db_reset(st);
	return rc;
}

static enum db_rc subtree_counts(struct db *db, const struct member_filter *f, struct subtree_counts *k)
{
	return cached_count(&total_cache, db, f->prefix, true, sum_counters, f, k);
}

/* The character of f's name search whose range of member_name_chars (0157) is the
 * shortest, each probed up to CHAR_PROBE entries (the first of equals; a search of one
 * character is not probed), as UTF-8 into out; *found false when f has no search text
 * or the subtree is small (SMALL_SUBTREE: its own range of members_path_name is read,
 * ≤ 2,000 entries, where a character's range is the district's). */
#define CHAR_PROBE 16384
#define CHAR_PROBES 8
static enum db_rc name_char(struct db *db, const struct member_filter *f, char out[8], bool *found)
{
	*found = false;
	if (!f->name_like || !f->name_q || !*f->name_q)
		return DB_OK;
	struct subtree_counts size;
	enum db_rc rc = subtree_counts(db, f, &size);
	if (rc != DB_OK || size.members <= SMALL_SUBTREE)
		return rc;
	int64_t best = -1;
	const unsigned char *p = (const unsigned char *)f->name_q;
	for (int probes = 0; *p && probes < CHAR_PROBES; probes++) {
		size_t len = *p < 0x80 ? 1 : *p < 0xe0 ? 2 : *p < 0xf0 ? 3 : 4;
		size_t have = strnlen((const char *)p, len);
		if (have < len) /* (the search text is checked UTF-8; not expected) */
			break;
		int64_t n = 0;
		if (p != (const unsigned char *)f->name_q || p[len]) {
			struct db_stmt *st = db_prepare(db, &mq_sql[STMT_MEMBER_CHAR_PROBE]);
			if (!st)
				return DB_ERROR;
			db_bind_text(st, 1, (const char *)p, (int)len);
			db_bind_int(st, 2, CHAR_PROBE);
			rc = db_step(st);
			if (rc == DB_ROW)
				n = db_col_int(st, DB_COL_ONLY);
			db_reset(st);
			if (rc != DB_ROW)
				return rc;
		}
		if (best < 0 || n <= best) { /* (equals: the later, a given name's rather than the surname) */
			best = n;
			memcpy(out, p, len);
			out[len] = 0;
			*found = true;
		}
		p += len;
	}
	return DB_OK;
}

/* f for the statements over ch's range: without the pattern when the search is that
 * one character and a CJK ideograph (U+4000–U+9FFF, which lower() leaves as it is on
 * either store: the range is then exactly the names that contain it), in g */
static const struct member_filter *char_filter(const struct member_filter *f, const char *ch, struct member_filter *g)
{
	const unsigned char *c = (const unsigned char *)ch;
	if (strcmp(f->name_q, ch) != 0 || c[0] < 0xe4 || c[0] > 0xe9)
		return f;
	*g = *f;
	g->name_like = NULL;
	return g;
}

enum db_rc member_subtree_counts(struct db *db, const char *prefix, const char *end, int64_t *roster, int64_t *formal)
{
	struct member_filter f = {.prefix = prefix, .end = end};
	struct subtree_counts k = {0, 0, 0};
	enum db_rc rc = subtree_counts(db, &f, &k);
	*roster = k.roster;
	*formal = k.formal;
	return rc;
}

static enum db_rc count_on(struct db *db, const struct member_filter *f, int64_t *n);

static enum db_rc count_on_cb(struct db *db, const void *arg, void *out)
{
	return count_on(db, arg, out);
}

/* A total whose filter is stats_key's alone and not one of the counters' (the 在册 view
 * with 男/女, 汉族, an age band, …): a pass over the subtree's index entries (~10 ms for a
 * 10% subtree of the bench district, ~150 ms at its root for 35 岁以下), counted on the replica when one keeps up (as the other
 * totals), else on this connection; the revision is read on the connection that counts.
 * The key is the filter (with an age band's dates: a count at a revision stays exact for
 * its dates) and the prefix. */
static enum db_rc packed_total(struct db *db, const struct member_filter *f, int64_t mask, int64_t value, int64_t *n)
{
	char key[96];
	int k = snprintf(key, sizeof key, "%lld:%lld:%s:%s:%s", (long long)mask, (long long)value,
			 f->birth_after ? f->birth_after : "", f->birth_upto ? f->birth_upto : "", f->prefix);
	bool keep = k > 0 && (size_t)k < sizeof key;
	struct db *replica = db_replica();
	if (replica && replica != db && !db_in_tx(replica) &&
	    cached_count(&packed_cache, replica, key, keep, count_on_cb, f, n) == DB_OK)
		return DB_OK;
	return cached_count(&packed_cache, db, key, keep, count_on_cb, f, n);
}

/* The total of a stats_key filter (mask, value) from the organizations' counters, when
 * they hold it: every member, 在册 or not (the roster bit), 正式 or 预备党员 on the
 * roster (n_formal counts MSK_FORMAL | MSK_IN_ROSTER). */
static bool from_counters(const struct subtree_counts *k, int64_t mask, int64_t value, int64_t *n)
{
	if (mask == 0)
		*n = k->members;
	else if (mask == MSK_IN_ROSTER)
		*n = value ? k->roster : k->members - k->roster;
	else if (mask == (MSK_IN_ROSTER | MSK_FORMAL) && (value & MSK_IN_ROSTER))
		*n = value & MSK_FORMAL ? k->formal : k->roster - k->formal;
	else
		return false;
	return true;
}

/* A filtered list's total. The subtree's whole count, 在册, 正式/预备党员 on the roster come
 * from the organizations' counters; any other is a pass over an index or the subtree's
 * rows (~0.5 s at the root of a million members), which goes to the replica when one
 * keeps up (db_replica; it may be replica_max_lag_ms behind, as the issue allows for
 * totals), else the primary. */
enum db_rc member_count_filtered(struct db *db, const struct member_filter *f, int64_t *n)
{
	int64_t mask, value;
	if (!f->id_blind && !f->mobile_blind && packed(f, &mask, &value)) {
		struct subtree_counts k;
		bool birth = f->birth_after || f->birth_upto;
		if (!birth && (mask == 0 || mask == MSK_IN_ROSTER || mask == (MSK_IN_ROSTER | MSK_FORMAL))) {
			enum db_rc rc = subtree_counts(db, f, &k);
			if (rc != DB_OK)
				return rc;
			if (from_counters(&k, mask, value, n))
				return DB_OK;
		}
		return packed_total(db, f, mask, value, n);
	}
	struct db *replica = db_replica();
	if (replica && replica != db && !db_in_tx(replica) && count_on(replica, f, n) == DB_OK)
		return DB_OK;
	return count_on(db, f, n);
}

/* (ch: member.count_chars's character, $10) */
static enum db_rc count_keys(struct db *db, const struct member_filter *f, int64_t mask, int64_t value,
			     enum member_query_stmt s, const char *ch, int64_t *n)
{
	struct db_stmt *st = db_prepare(db, &mq_sql[s]);
	if (!st)
		return DB_ERROR;
	bool bounds = s == STMT_MEMBER_COUNT_KEYS_JOINED;
	db_bind_text(st, 1, f->prefix, -1);
	db_bind_text(st, 2, f->end, -1);
	db_bind_int(st, 3, mask);
	db_bind_int(st, 4, value);
	db_bind_int(st, 5, birth_key(f->birth_after, -1));
	db_bind_int(st, 6, birth_key(f->birth_upto, 1 << 21));
	db_bind_text(st, 7, f->name_like, -1);
	db_bind_text(st, 8, f->joined_from ? f->joined_from : bounds ? "" : NULL, -1);
	db_bind_text(st, 9, f->joined_to ? f->joined_to : bounds ? "\x7f" : NULL, -1);
	if (ch)
		db_bind_text(st, 10, ch, -1);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		*n = db_col_int(st, DB_COL_ONLY);
		rc = DB_OK;
	}
	db_reset(st);
	return rc;
}

static enum db_rc count_on(struct db *db, const struct member_filter *f, int64_t *n)
{
	int64_t mask, value;
	struct db_stmt *st;
	if (f->id_blind || f->mobile_blind) {
		st = db_prepare(db, &mq_sql[f->id_blind ? STMT_MEMBER_COUNT_ID_BLIND : STMT_MEMBER_COUNT_MOBILE_BLIND]);
		if (!st)
			return DB_ERROR;
		bind_filter(st, f);
		db_bind_blob(st, 15, f->id_blind ? f->id_blind : f->mobile_blind, DJ_BLIND_LEN);
		enum db_rc rc = db_step(st);
		if (rc == DB_ROW) {
			*n = db_col_int(st, DB_COL_ONLY);
			rc = DB_OK;
		}
		db_reset(st);
		return rc;
	}
	/* every condition on an index entry (0111): the narrowest index that holds them */
	if (packed_on(f, true, &mask, &value)) {
		bool probationary = (mask & MSK_FORMAL) && !(value & MSK_FORMAL);
		bool joined = f->joined_from || f->joined_to;
		char ch[8];
		bool chars;
		enum db_rc rc = name_char(db, f, ch, &chars);
		if (rc != DB_OK)
			return rc;
		struct member_filter g;
		if (chars)
			return count_keys(db, char_filter(f, ch, &g), mask, value, STMT_MEMBER_COUNT_CHARS, ch, n);
		if (probationary || joined || f->name_like)
			return count_keys(db, f, mask, value,
					  probationary ? STMT_MEMBER_COUNT_KEYS_PROBATIONARY
					  : joined     ? STMT_MEMBER_COUNT_KEYS_JOINED
						       : STMT_MEMBER_COUNT_KEYS_PATH,
					  NULL, n);
	}
	bool p = packed(f, &mask, &value);
	/* the generic count reads every table row of the subtree (~0.5 s at the root): a
	 * filter on the name alone, or on the joined date alone, is counted from an index */
	bool others = f->party_status || f->state || f->sex || f->eth_eq || f->eth_ne || f->birth_after || f->birth_upto ||
		      f->edu_college >= 0 || f->two_new >= 0;
	if (!others && f->name_like && !f->joined_from && !f->joined_to) {
		st = db_prepare(db, &mq_sql[STMT_MEMBER_COUNT_NAME]);
		if (!st)
			return DB_ERROR;
		db_bind_text(st, 1, f->prefix, -1);
		db_bind_text(st, 2, f->end, -1);
		db_bind_text(st, 3, f->name_like, -1);
	} else if (!others && !f->name_like && (f->joined_from || f->joined_to)) {
		st = db_prepare(db, &mq_sql[STMT_MEMBER_COUNT_JOINED]);
		if (!st)
			return DB_ERROR;
		db_bind_text(st, 1, f->joined_from ? f->joined_from : "", -1);
		db_bind_text(st, 2, f->joined_to ? f->joined_to : "\x7f", -1);
		db_bind_text(st, 3, f->prefix, -1);
		db_bind_text(st, 4, f->end, -1);
	} else if (p) {
		bool birth = f->birth_after || f->birth_upto;
		st = db_prepare(db, &mq_sql[birth ? STMT_MEMBER_COUNT_PACKED : STMT_MEMBER_COUNT_FLAGS]);
		if (!st)
			return DB_ERROR;
		db_bind_text(st, 1, f->prefix, -1);
		db_bind_text(st, 2, f->end, -1);
		db_bind_int(st, 3, mask);
		db_bind_int(st, 4, value);
		if (birth) {
			db_bind_int(st, 5, birth_key(f->birth_after, -1));
			db_bind_int(st, 6, birth_key(f->birth_upto, 1 << 21));
		}
	} else {
		st = db_prepare(db, &mq_sql[STMT_MEMBER_COUNT_FILTERED]);
		if (!st)
			return DB_ERROR;
		bind_filter(st, f);
	}
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		*n = db_col_int(st, DB_COL_ONLY);
		rc = DB_OK;
	}
	db_reset(st);
	return rc;
}

/* (key, id) against (ckey, cid), as SQLite's ORDER BY key, id (BINARY: byte order) */
static int key_cmp(const char *key, int64_t id, const char *ckey, int64_t cid)
{
	int c = strcmp(key, ckey);
	return c ? c : (id > cid) - (id < cid);
}

/* Keeps (key, id) in out, the first k of at most cap by (key, id) in order (ids_top). */
static void top_insert(struct arena *a, struct db_stmt *st, const char *key, int64_t id, struct member_row *out,
		       size_t cap, size_t *k)
{
	size_t i = *k < cap ? (*k)++ : *k - 1;
	while (i > 0 && key_cmp(key, id, out[i - 1].key, out[i - 1].id) < 0) {
		out[i] = out[i - 1];
		i--;
	}
	out[i].id = id;
	out[i].key = db_col_dup(a, st, MEMBER_IDS_COL_KEY);
}

/* The first limit rows of member.ids_small_*'s rows by (key, id), into out (*n of
 * them): a sorted array into which a row goes only when it precedes the last one kept
 * (a subtree's range of members_path_name is a run per organization, each already in
 * key order, so few rows do). Rows whose key is NULL are not returned by the statement
 * (a row value compared with NULL is not true). */
static enum db_rc ids_top(struct db_stmt *st, struct arena *a, struct member_row *out, int limit, size_t *n)
{
	size_t k = 0, cap = limit > 0 ? (size_t)limit : 0;
	enum db_rc rc;
	while ((rc = db_step(st)) == DB_ROW) {
		const char *key = db_col_text(st, MEMBER_IDS_COL_KEY);
		int64_t id = db_col_int(st, MEMBER_IDS_COL_ID);
		if (!key || cap == 0 || (k == cap && key_cmp(key, id, out[k - 1].key, out[k - 1].id) >= 0))
			continue;
		top_insert(a, st, key, id, out, cap, &k);
	}
	*n = k;
	return rc;
}

/* A list page (list_cols) whose filter fits the index entry (packed_on): its ids and
 * keys from the index alone, then its rows by id (issue 21 #2: the small-subtree plan
 * read every member row of the subtree to keep 20). */
/* Binds MEMBER_KEY_FILTER's parameters ($1 path, $2 end) and the page's ($10 … $12). */
static void bind_keys(struct db_stmt *st, const struct member_filter *f, const char *path, const char *end,
		      int64_t mask, int64_t value, const char *ckey, int64_t cid, int limit)
{
	db_bind_text(st, 1, path, -1);
	db_bind_text(st, 2, end, -1);
	db_bind_int(st, 3, mask);
	db_bind_int(st, 4, value);
	db_bind_int(st, 5, birth_key(f->birth_after, -1));
	db_bind_int(st, 6, birth_key(f->birth_upto, 1 << 21));
	db_bind_text(st, 7, f->name_like, -1);
	db_bind_text(st, 8, f->joined_from, -1);
	db_bind_text(st, 9, f->joined_to, -1);
	db_bind_text(st, 10, ckey ? ckey : "", -1);
	db_bind_int(st, 11, cid);
	db_bind_int(st, 12, limit);
}

/* A name-ordered page's ids merged from the subtree's organizations' own runs of
 * members_path_name (issue 21: a community of ~1,700 members in ~55 organizations read
 * its ~1,700 entries to keep 20; a larger one walked ~10,000 entries of members_pinyin):
 * each organization's run is read from the cursor, in order, and only while it precedes
 * the last id kept, so that past the first organizations most runs end at their first
 * entry. The same ids as ids_top over the subtree's range: the page is the first limit
 * of the union of the runs, each run's first limit being all it can give. */
static enum db_rc ids_merge(struct db *db, struct arena *a, const struct member_filter *f, int64_t mask, int64_t value,
			    const char *ckey, int64_t cid, int limit, struct member_row *out, size_t *n)
{
	size_t k = 0, cap = limit > 0 ? (size_t)limit : 0;
	struct db_stmt *os = db_prepare(db, &mq_sql[STMT_MEMBER_SUBTREE_ORGS]);
	if (!os)
		return DB_ERROR;
	struct db_stmt *st = db_prepare(db, &mq_sql[STMT_MEMBER_IDS_ORG_NAME]);
	if (!st)
		return DB_ERROR;
	db_bind_text(os, 1, f->prefix, -1);
	db_bind_text(os, 2, f->end, -1);
	enum db_rc rc = DB_DONE;
	while (cap > 0 && (rc = db_step(os)) == DB_ROW) {
		bind_keys(st, f, db_col_text(os, DB_COL_ONLY), f->end, mask, value, ckey, cid, limit);
		enum db_rc r;
		while ((r = db_step(st)) == DB_ROW) {
			const char *key = db_col_text(st, MEMBER_IDS_COL_KEY);
			int64_t id = db_col_int(st, MEMBER_IDS_COL_ID);
			if (!key)
				continue;
			if (k == cap && key_cmp(key, id, out[k - 1].key, out[k - 1].id) >= 0)
				break; /* the rest of this run follows it too */
			top_insert(a, st, key, id, out, cap, &k);
		}
		db_reset(st);
		if (r != DB_ROW && r != DB_DONE) {
			db_reset(os);
			return r;
		}
	}
	db_reset(os);
	*n = k;
	return cap == 0 || rc == DB_DONE ? DB_OK : rc;
}

/* Whether a name-ordered page merges its organizations' runs (ids_merge) rather than
 * read the subtree's range (small) or walk members_pinyin (large): when a run's seek,
 * statement and all (~MERGE_SEEK entries' worth, measured) per organization costs less
 * than the entries those read: every one of a small subtree's, and for a large one
 * ~limit × district ÷ subtree, taken as at least MERGE_WALK (the bench district's
 * 5,000–50,000 class, ~350 organizations for ~10,000 members, walks ~2,000 entries and
 * is ~4× dearer merged; 501–5,000, ~55 organizations for ~1,700, is ~2× cheaper). */
#define MERGE_SEEK 8
#define MERGE_WALK 2000
static bool merge_pays(const struct subtree_counts *size)
{
	int64_t read = size->members < MERGE_WALK ? size->members : MERGE_WALK;
	return size->orgs > 1 && size->orgs * MERGE_SEEK < read;
}

static enum db_rc page_by_ids(struct db *db, struct arena *a, const struct member_filter *f,
			      const struct subtree_counts *size, int64_t mask, int64_t value, const char *ckey,
			      int64_t cid, int limit, struct member_row **rows, size_t *n)
{
	bool large = size->members > SMALL_SUBTREE;
	char ch[8];
	bool chars;
	enum db_rc rc = name_char(db, f, ch, &chars);
	if (rc != DB_OK)
		return rc;
	enum member_query_stmt s;
	if (chars)
		s = f->sort_joined ? STMT_MEMBER_IDS_CHARS_JOINED : STMT_MEMBER_IDS_CHARS_NAME;
	else if (!f->sort_joined)
		s = large ? STMT_MEMBER_IDS_LARGE_NAME : STMT_MEMBER_IDS_SMALL_NAME;
	else if (!large)
		s = STMT_MEMBER_IDS_SMALL_JOINED;
	else if ((mask & MSK_FORMAL) && !(value & MSK_FORMAL))
		s = STMT_MEMBER_IDS_PROBATIONARY;
	else
		s = STMT_MEMBER_IDS_LARGE_JOINED;
	/* a joined-date range starts the walk at its first day (the row value's bound is
	 * the one the index seeks on) */
	if (f->sort_joined && f->joined_from && strcmp(ckey ? ckey : "", f->joined_from) < 0) {
		ckey = f->joined_from;
		cid = 0;
	}
	/* and one born after a date joined 18 years after it at the earliest (R-DEV-01, checked
	 * by member_validate on every write: create, change, import): the walk by joined date
	 * starts 17 years after it (a year's margin), past the older members (issue 21 #3:
	 * 35 岁以下 at the district's root passed ~550,000 entries, now ~40,000) */
	char from[11];
	struct date born;
	if (f->sort_joined && f->birth_after && date_parse(f->birth_after, &born)) {
		date_format(date_add_years(born, 17), from);
		if (strcmp(ckey ? ckey : "", from) < 0) {
			ckey = from;
			cid = 0;
		}
	}
	struct member_row *out = arena_alloc(a, sizeof *out * (size_t)(limit > 0 ? limit : 1));
	size_t k = 0;
	struct db_stmt *st;
	if (!chars && !f->sort_joined && db_dialect(db) == DB_SQLITE && merge_pays(size)) {
		rc = ids_merge(db, a, f, mask, value, ckey, cid, limit, out, &k);
		if (rc != DB_OK)
			return rc;
	} else {
		if (!(st = db_prepare(db, &mq_sql[s])))
			return DB_ERROR;
		struct member_filter g;
		bind_keys(st, chars ? char_filter(f, ch, &g) : f, f->prefix, f->end, mask, value, ckey, cid, limit);
		if (chars)
			db_bind_text(st, 13, ch, -1);
		if (s == STMT_MEMBER_IDS_SMALL_NAME || s == STMT_MEMBER_IDS_SMALL_JOINED) {
			rc = ids_top(st, a, out, limit, &k);
		} else {
			while ((rc = db_step(st)) == DB_ROW && k < (size_t)limit) {
				out[k].id = db_col_int(st, MEMBER_IDS_COL_ID);
				out[k].key = db_col_dup(a, st, MEMBER_IDS_COL_KEY);
				k++;
			}
		}
		db_reset(st);
		if (rc != DB_DONE && rc != DB_ROW)
			return rc;
	}
	if (!(st = db_prepare(db, &mq_sql[STMT_MEMBER_LIST_ROW])))
		return DB_ERROR;
	size_t kept = 0;
	for (size_t i = 0; i < k; i++) {
		db_bind_int(st, 1, out[i].id);
		rc = db_step(st);
		if (rc == DB_ROW) { /* the same snapshot: always, unless the row went meanwhile */
			out[kept].id = out[i].id;
			out[kept].key = out[i].key;
			out[kept].org_name = read_list_row(st, a, &out[kept].r);
			kept++;
		}
		db_reset(st);
		if (rc != DB_ROW && rc != DB_DONE)
			return rc;
	}
	*rows = out;
	*n = kept;
	return DB_OK;
}

enum db_rc member_page(struct db *db, struct arena *a, const struct member_filter *f, const char *ckey, int64_t cid,
		       int limit, struct member_row **rows, size_t *n)
{
	*rows = NULL;
	*n = 0;
	struct subtree_counts size;
	enum db_rc rc = subtree_counts(db, f, &size);
	if (rc != DB_OK)
		return rc;
	bool large = size.members > SMALL_SUBTREE;
	struct db_stmt *st;
	if (f->id_blind || f->mobile_blind) {
		st = db_prepare(db, &mq_sql[f->id_blind ? STMT_MEMBER_PAGE_ID_BLIND : STMT_MEMBER_PAGE_MOBILE_BLIND]);
		if (!st)
			return DB_ERROR;
		bind_filter(st, f);
		db_bind_text(st, 15, ckey ? ckey : "", -1);
		db_bind_int(st, 16, cid);
		db_bind_int(st, 17, limit);
		db_bind_blob(st, 18, f->id_blind ? f->id_blind : f->mobile_blind, DJ_BLIND_LEN);
		struct member_row *out = arena_alloc(a, sizeof *out * (size_t)(limit > 0 ? limit : 1));
		size_t k = 0;
		while ((rc = db_step(st)) == DB_ROW && k < (size_t)limit) {
			out[k].org_name = read_row(st, a, f->decrypt, &out[k].r);
			out[k].key = db_col_dup(a, st, MEMBER_REC_COL_PAGE_KEY);
			out[k].id = out[k].r.id;
			k++;
		}
		db_reset(st);
		if (rc != DB_DONE && rc != DB_ROW)
			return rc;
		*rows = out;
		*n = k;
		return DB_OK;
	}
	int64_t mask, value;
	/* (姓氏笔画 has no such index: its pages take the plans below) */
	if (f->list_cols && !f->sort_strokes && packed_on(f, true, &mask, &value))
		return page_by_ids(db, a, f, &size, mask, value, ckey, cid, limit, rows, n);
	enum page_family fam = f->list_cols ? PAGE_LIST_COLS : f->no_org_name ? PAGE_NO_ORG : PAGE_ALL_COLS;
	enum page_plan plan = f->sort_joined    ? (large ? PLAN_LARGE_JOINED : PLAN_SMALL_JOINED)
			      : f->sort_strokes ? (large ? PLAN_LARGE_STROKES : PLAN_SMALL_STROKES)
						: (large ? PLAN_LARGE_NAME : PLAN_SMALL_NAME);
	st = db_prepare(db, &mq_sql[page_plan[fam][plan]]);
	if (!st)
		return DB_ERROR;
	bind_filter(st, f);
	db_bind_text(st, 15, ckey ? ckey : "", -1);
	db_bind_int(st, 16, cid);
	db_bind_int(st, 17, limit);
	struct member_row *out = arena_alloc(a, sizeof *out * (size_t)(limit > 0 ? limit : 1));
	size_t k = 0;
	while ((rc = db_step(st)) == DB_ROW && k < (size_t)limit) {
		if (f->list_cols) {
			out[k].org_name = read_list_row(st, a, &out[k].r);
			out[k].key = db_col_dup(a, st, MEMBER_LIST_COL_PAGE_KEY);
		} else {
			out[k].org_name = read_row(st, a, f->decrypt, &out[k].r);
			out[k].key = db_col_dup(a, st, MEMBER_REC_COL_PAGE_KEY);
		}
		out[k].id = out[k].r.id;
		k++;
	}
	db_reset(st);
	if (rc != DB_DONE && rc != DB_ROW)
		return rc;
	*rows = out;
	*n = k;
	return DB_OK;
}

enum db_rc member_seek(struct db *db, struct arena *a, const struct member_filter *f, int64_t pos, bool from_end,
		       const char **key, int64_t *id, bool *found)
{
	*found = false;
	*key = NULL;
	*id = 0;
	if (f->id_blind || f->mobile_blind || pos < 0)
		return DB_OK; /* (a blind search's handful: the caller walks it) */
	int64_t mask, value;
	bool keys = !f->sort_strokes && packed_on(f, true, &mask, &value);
	enum member_query_stmt s;
	char ch[8];
	bool chars = false;
	if (keys) {
		struct subtree_counts size;
		enum db_rc rc = subtree_counts(db, f, &size);
		if (rc == DB_OK)
			rc = name_char(db, f, ch, &chars);
		if (rc != DB_OK)
			return rc;
		bool large = size.members > SMALL_SUBTREE;
		if (chars)
			s = f->sort_joined ? STMT_MEMBER_SEEK_CHARS_JOINED : STMT_MEMBER_SEEK_CHARS_NAME;
		else
			s = f->sort_joined ? (large ? STMT_MEMBER_SEEK_LARGE_JOINED : STMT_MEMBER_SEEK_SMALL_JOINED)
					   : (large ? STMT_MEMBER_SEEK_LARGE_NAME : STMT_MEMBER_SEEK_SMALL_NAME);
	} else {
		s = f->sort_joined ? STMT_MEMBER_SEEK_JOINED : f->sort_strokes ? STMT_MEMBER_SEEK_STROKES : STMT_MEMBER_SEEK_NAME;
	}
	if (from_end)
		s++; /* each statement's _REV follows it */
	struct db_stmt *st = db_prepare(db, &mq_sql[s]);
	if (!st)
		return DB_ERROR;
	if (keys) {
		db_bind_text(st, 1, f->prefix, -1);
		db_bind_text(st, 2, f->end, -1);
		db_bind_int(st, 3, mask);
		db_bind_int(st, 4, value);
		db_bind_int(st, 5, birth_key(f->birth_after, -1));
		db_bind_int(st, 6, birth_key(f->birth_upto, 1 << 21));
		struct member_filter g;
		db_bind_text(st, 7, chars ? char_filter(f, ch, &g)->name_like : f->name_like, -1);
		db_bind_text(st, 8, f->joined_from, -1);
		db_bind_text(st, 9, f->joined_to, -1);
		db_bind_int(st, 10, pos);
		if (chars)
			db_bind_text(st, 11, ch, -1);
	} else {
		bind_filter(st, f);
		db_bind_int(st, 15, pos);
	}
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		*id = db_col_int(st, MEMBER_IDS_COL_ID);
		*key = db_col_dup(a, st, MEMBER_IDS_COL_KEY);
		*found = true;
		rc = DB_OK;
	} else if (rc == DB_DONE) {
		rc = DB_OK;
	}
	db_reset(st);
	return rc;
}
