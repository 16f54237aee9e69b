/* report.c: see report.h. */
#include "model/report.h"
#include "model/indicators.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum report_stmt {
	STMT_REPORT_TPL_GET,
	STMT_REPORT_TPL_PUT,
	STMT_REPORT_SNAP_GET,
	STMT_REPORT_SNAP_VALUE,
	STMT_REPORT_SNAP_CREATE,
	STMT_REPORT_SNAP_PUT,
	REPORT_STMT__MAX
};
enum report_tpl_col { REPORT_TPL_COL_BODY, REPORT_TPL_COL_AT, REPORT_TPL_COL_BY };
enum report_snap_col { REPORT_SNAP_COL_ID, REPORT_SNAP_COL_AT, REPORT_SNAP_COL_BY };
enum report_val_col { REPORT_VAL_COL_NUM, REPORT_VAL_COL_DEN };

static const struct db_sql report_sql[REPORT_STMT__MAX] = {
	[STMT_REPORT_TPL_GET] = {"report.tpl_get", "SELECT body, updated_at, updated_by FROM report_templates WHERE id = 1"},
	[STMT_REPORT_TPL_PUT] = {"report.tpl_put",
	 "INSERT INTO report_templates (id, body, updated_at, updated_by) VALUES (1, $1, $2, $3)"
	 " ON CONFLICT (id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at,"
	 " updated_by = excluded.updated_by"},
	[STMT_REPORT_SNAP_GET] = {"report.snap_get",
	 "SELECT id, taken_at, taken_by FROM indicator_snapshots WHERE org_id = $1 AND year = $2"},
	[STMT_REPORT_SNAP_VALUE] = {"report.snap_value",
	 "SELECT num, den FROM indicator_snapshot_values WHERE snapshot_id = $1 AND key = $2"},
	[STMT_REPORT_SNAP_CREATE] = {"report.snap_create",
	 "INSERT INTO indicator_snapshots (org_id, year, taken_at, taken_by) VALUES ($1, $2, $3, $4) RETURNING id"},
	[STMT_REPORT_SNAP_PUT] = {"report.snap_put",
	 "INSERT INTO indicator_snapshot_values (snapshot_id, key, num, den) VALUES ($1, $2, $3, $4)"},
};
DB_SQL_TABLE(report, report_sql);

/* The figures the report's structure names that a capability of this wave will
 * provide; until its indicators land they are "missing" in the editor. */
static const struct report_planned planned[] = {
	{"development.developed", "发展党员人数", "发展党员"},
	{"development.under_35", "发展 35 岁以下党员", "发展党员"},
	{"development.college_plus", "发展大专以上学历党员", "发展党员"},
	{"development.two_new", "发展“两新”组织党员", "发展党员"},
	{"transfers.completed", "在线接转组织关系", "组织关系接转"},
	{"meetings.held", "“三会一课”记录", "三会一课"},
	{"meetings.reviewed", "调阅“三会一课”记录", "三会一课"},
	{"meetings.compliance_rate", "“三会一课”落实率", "三会一课"},
	{"bases.total", "开放式组织生活基地", "组织生活基地"},
	{"bases.bookings_received", "受理基地网上预约", "组织生活基地"},
	{"bases.visitors", "到基地开展活动党员", "组织生活基地"},
	{"messages.birthday_sent", "推送政治生日短信", "消息推送"},
	{"study.items_pushed", "推送党建学习专题内容", "学习专题"},
	{"study.issues_published", "推送党建学习专题", "学习专题"},
	{"study.read_rate", "学习专题阅读率", "学习专题"},
	{"meetings.general", "召开支部党员大会", "三会一课"},
	{"meetings.committee", "召开支部委员会会议", "三会一课"},
	{"meetings.group", "召开党小组会", "三会一课"},
	{"meetings.lecture", "讲党课", "三会一课"},
	{"meetings.theme_day", "开展主题党日", "三会一课"},
	{"meetings.study_hours", "党员参加组织生活学时", "三会一课"},
	{"bases.bookings_completed", "到基地开展活动", "组织生活基地"},
	{"services.accepted", "受理服务事项", "三社联动"},
	{"services.completed", "办结服务事项", "三社联动"},
	{"services.satisfaction_rate", "群众满意率", "三社联动"},
};

const struct report_planned *report_planned_find(const char *key)
{
	for (size_t i = 0; i < sizeof planned / sizeof planned[0]; i++)
		if (strcmp(planned[i].key, key) == 0)
			return &planned[i];
	return NULL;
}

const struct report_planned *report_planned_all(size_t *n)
{
	*n = sizeof planned / sizeof planned[0];
	return planned;
}

static const char *const context_keys[] = {"org.name", "period.year", "period.from", "period.to", NULL};

bool report_context_key(const char *key)
{
	for (int i = 0; context_keys[i]; i++)
		if (strcmp(context_keys[i], key) == 0)
			return true;
	return false;
}

/* The built-in template, from the structure of a district's yearly report on urban
 * grassroots Party building. A line starting with "?" is kept only when every figure it
 * names is computed by a landed capability (the mark is dropped), so the default grows
 * with the platform and never names a missing figure. */
static const char default_source[] =
	"% {org.name}{period.year}年城市基层党建工作情况报告\n"
	"统计范围：{org.name}，{period.from}至{period.to}。文中数字均由党建服务平台按在册数据自动生成。\n"
	"# 一、坚持“两大功能”并重，基层党组织政治功能和服务功能不断增强\n"
	"## （一）组织体系更加健全\n"
	"全区现有基层党组织{orgs.grassroots}个，其中基层党委{orgs.committees}个、党总支{orgs.general_branches}个、"
	"党支部{orgs.branches}个；“两新”组织建立党组织{orgs.two_new}个。\n"
	"对任期届满和即将届满的党组织逐一建立台账，目前应换届党组织{orgs.term_due}个，均已纳入提醒和督办。\n"
	"## （二）组织生活更加规范\n"
	"?发文对“三会一课”内容进行全面规范，开发了“三会一课”线上调阅功能，全年记录“三会一课”{meetings.held}次，"
	"上级党组织调阅“三会一课”记录{meetings.reviewed}条，“三会一课”落实率达{meetings.compliance_rate}。\n"
	"?其中召开支部党员大会{meetings.general}次、支部委员会会议{meetings.committee}次、党小组会{meetings.group}次，"
	"讲党课{meetings.lecture}次，开展主题党日{meetings.theme_day}次，党员参加组织生活累计{meetings.study_hours}学时。\n"
	"?打造不同类型的开放式组织生活基地{bases.total}个，受理开放式组织生活基地网上预约{bases.bookings_received}批，"
	"先后有{bases.bookings_completed}批{bases.visitors}人次党员到基地开展活动。\n"
	"## （三）服务群众更加精准\n"
	"?以三社联动信息服务平台为支撑，为党员群众提供“一站式”服务，先后受理服务事项{services.accepted}项，"
	"办结{services.completed}项，群众满意率达{services.satisfaction_rate}。\n"
	"# 二、抓实“两支队伍”建设，党员队伍结构持续优化\n"
	"全区共有党员{members.total}名，其中正式党员{members.formal}名、预备党员{members.probationary}名；"
	"女党员{members.female}名，少数民族党员{members.minority}名，大专及以上学历党员{members.college_plus}名，"
	"35岁以下党员{members.under_35}名，“两新”组织党员{members.two_new}名。\n"
	"?认真执行发展党员“双推双评三全程”制度，先后审批发展党员{development.developed}人，其中35岁以下"
	"{development.under_35}人，大专以上学历{development.college_plus}人，“两新”组织{development.two_new}人。\n"
	"?开发了组织关系在线接转功能，先后在线接转组织关系{transfers.completed}人次。\n"
	"?推送政治生日短信{messages.birthday_sent}条，推送党建学习专题{study.issues_published}期、内容{study.items_pushed}条，"
	"党员阅读率达{study.read_rate}。\n"
	"# 三、强化“两个保障”，阵地和经费保障更加有力\n"
	"坚持把党建服务平台作为基层党建的重要阵地，组织管理、党员管理和统计分析全部实现线上办理。\n"
	"# 四、正视“两个不平衡”，找准短板弱项\n"
	"一是区域之间发展不平衡，部分社区党组织服务能力与群众需求还有差距；二是领域之间发展不平衡，"
	"“两新”组织党建工作覆盖和作用发挥仍需加强。\n"
	"# 五、下一步工作打算\n"
	"持续推进基层党组织标准化规范化建设，抓好换届、发展党员和党员教育管理各项工作，以数据驱动提升城市基层党建整体水平。\n";

static char *default_template;
static pthread_once_t default_once = PTHREAD_ONCE_INIT;

/* Whether every {key} of the line [s, s + n) is computable now. */
static bool line_available(const char *s, size_t n)
{
	for (const char *p = memchr(s, '{', n); p && p < s + n; p = memchr(p + 1, '{', (size_t)(s + n - p - 1))) {
		const char *close = memchr(p, '}', (size_t)(s + n - p));
		if (!close)
			return false;
		char key[64];
		size_t klen = (size_t)(close - p - 1);
		if (klen >= sizeof key)
			return false;
		memcpy(key, p + 1, klen);
		key[klen] = 0;
		if (!report_context_key(key) && !indicator_find(key))
			return false;
	}
	return true;
}

static void build_default(void)
{
	size_t cap = sizeof default_source, o = 0;
	default_template = malloc(cap);
	if (!default_template)
		return;
	for (const char *p = default_source; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p + 1) : strlen(p);
		bool optional = *p == '?';
		if (!optional || line_available(p + 1, len - 1)) {
			memcpy(default_template + o, p + optional, len - optional);
			o += len - optional;
		}
		p += len;
	}
	default_template[o] = 0;
}

const char *report_default_template(void)
{
	pthread_once(&default_once, build_default);
	return default_template ? default_template : "";
}

/* The byte length of the UTF-8 sequence starting with c (1 for a stray byte). */
static int u8len(unsigned char c)
{
	return c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
}

/* The message is before + key + after. */
static void problem(struct report_problem *out, int max, int *n, int line, int col, const char *code, const char *key,
		    const char *before, const char *after)
{
	if (*n < max) {
		struct report_problem *p = &out[*n];
		p->line = line;
		p->col = col;
		p->code = code;
		snprintf(p->key, sizeof p->key, "%s", key ? key : "");
		snprintf(p->message, sizeof p->message, "%s%s%s", before, p->key, after);
	}
	(*n)++;
}

int report_check(const char *tpl, struct report_problem *out, int max)
{
	int n = 0, line = 1, col = 1;
	if (strlen(tpl) > REPORT_MAX_BYTES) {
		problem(out, max, &n, 1, 1, "too_long", NULL, "模板过长（最多 64 KB）", "");
		return n;
	}
	for (const char *p = tpl; *p;) {
		if (*p == '\n') {
			line++, col = 1, p++;
			continue;
		}
		if (*p == '}') {
			problem(out, max, &n, line, col, "unbalanced_brace", NULL, "多余的“}”", "");
			p++, col++;
			continue;
		}
		if (*p != '{') {
			p += u8len((unsigned char)*p), col++;
			continue;
		}
		const char *close = p + 1;
		while (*close && *close != '}' && *close != '{' && *close != '\n')
			close++;
		if (*close != '}') {
			problem(out, max, &n, line, col, "unbalanced_brace", NULL, "“{”没有对应的“}”", "");
			p++, col++;
			continue;
		}
		char key[64];
		size_t klen = (size_t)(close - p - 1);
		snprintf(key, sizeof key, "%.*s", (int)(klen < sizeof key ? klen : sizeof key - 1), p + 1);
		if (klen >= sizeof key || !indicator_key_ok(key))
			problem(out, max, &n, line, col, "bad_key", key, "指标名“", "”格式不正确（小写字母、数字、点和下划线）");
		else if (!report_context_key(key) && !indicator_find(key)) {
			if (report_planned_find(key))
				problem(out, max, &n, line, col, "missing_figure", key,
					"指标“", "”暂无数据来源（相关功能尚未上线），不能填入报告");
			else
				problem(out, max, &n, line, col, "unknown_key", key, "未知的指标“", "”");
		}
		for (const char *q = p; q <= close; q += u8len((unsigned char)*q))
			col++;
		p = close + 1;
	}
	return n;
}

/* One line of a template with its figures filled, as a heap string. */
static char *fill(const char *s, size_t len, report_value_fn value, void *ctx)
{
	size_t cap = len * 2 + 64, o = 0;
	char *out = malloc(cap);
	for (size_t i = 0; out && i < len;) {
		const char *piece = s + i;
		size_t plen = 1;
		char key[64];
		if (s[i] == '{') {
			const char *close = memchr(s + i, '}', len - i);
			size_t klen = close ? (size_t)(close - s - i - 1) : 0;
			if (close && klen < sizeof key) {
				memcpy(key, s + i + 1, klen);
				key[klen] = 0;
				piece = value(ctx, key);
				piece = piece ? piece : "—";
				plen = strlen(piece);
				i += klen + 2;
			} else
				i++;
		} else
			i++;
		if (o + plen + 1 > cap) {
			cap = (o + plen + 1) * 2;
			char *q = realloc(out, cap);
			if (!q) {
				free(out);
				return NULL;
			}
			out = q;
		}
		memcpy(out + o, piece, plen);
		o += plen;
	}
	if (out)
		out[o] = 0;
	return out;
}

void report_render(struct docx *d, const char *tpl, report_value_fn value, void *ctx)
{
	bool titled = false;
	for (const char *p = tpl; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		const char *s = p;
		p += len + (nl != NULL);
		while (len && (s[len - 1] == '\r' || s[len - 1] == ' '))
			len--;
		if (len == 0)
			continue;
		int kind = 0; /* 0 paragraph, 1 title, 2 heading, 3 sub-heading */
		if (len > 2 && s[0] == '%' && s[1] == ' ')
			kind = 1, s += 2, len -= 2;
		else if (len > 3 && s[0] == '#' && s[1] == '#' && s[2] == ' ')
			kind = 3, s += 3, len -= 3;
		else if (len > 2 && s[0] == '#' && s[1] == ' ')
			kind = 2, s += 2, len -= 2;
		char *text = fill(s, len, value, ctx);
		if (!text)
			continue; /* out of memory: docx_finish reports its own failures */
		if (kind == 1 && !titled)
			docx_title(d, text), titled = true;
		else if (kind == 2)
			docx_heading(d, text);
		else if (kind == 3)
			docx_para(d, text, DOCX_BOLD | DOCX_INDENT);
		else
			docx_para(d, text, DOCX_INDENT);
		free(text);
	}
}

enum db_rc report_template_get(struct db *db, struct arena *a, const char **body, int64_t *updated_at,
			       const char **updated_by)
{
	*body = report_default_template();
	*updated_at = 0;
	*updated_by = NULL;
	struct db_stmt *st = db_prepare(db, &report_sql[STMT_REPORT_TPL_GET]);
	if (!st)
		return DB_ERROR;
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		*body = db_col_dup(a, st, REPORT_TPL_COL_BODY);
		*updated_at = db_col_int(st, REPORT_TPL_COL_AT);
		*updated_by = db_col_dup(a, st, REPORT_TPL_COL_BY);
	}
	db_reset(st);
	return rc == DB_ROW || rc == DB_DONE ? DB_OK : rc;
}

static enum db_rc done(struct db_stmt *st)
{
	enum db_rc rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? DB_OK : rc;
}

enum db_rc report_template_put(struct db *db, const char *body, int64_t now, const char *by)
{
	struct db_stmt *st = db_prepare(db, &report_sql[STMT_REPORT_TPL_PUT]);
	if (!st)
		return DB_ERROR;
	db_bind_text(st, 1, body, -1);
	db_bind_int(st, 2, now);
	db_bind_text(st, 3, by, -1);
	return done(st);
}

enum db_rc report_snapshot_get(struct db *db, struct arena *a, int64_t org_id, int year, struct report_snapshot *s)
{
	struct db_stmt *st = db_prepare(db, &report_sql[STMT_REPORT_SNAP_GET]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, org_id);
	db_bind_int(st, 2, year);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		s->id = db_col_int(st, REPORT_SNAP_COL_ID);
		s->taken_at = db_col_int(st, REPORT_SNAP_COL_AT);
		s->taken_by = db_col_dup(a, st, REPORT_SNAP_COL_BY);
	}
	db_reset(st);
	return rc == DB_ROW ? DB_OK : rc;
}

enum db_rc report_snapshot_value(struct db *db, int64_t snapshot_id, const char *key, int64_t *num, int64_t *den)
{
	struct db_stmt *st = db_prepare(db, &report_sql[STMT_REPORT_SNAP_VALUE]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, snapshot_id);
	db_bind_text(st, 2, key, -1);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW) {
		*num = db_col_int(st, REPORT_VAL_COL_NUM);
		*den = db_col_int(st, REPORT_VAL_COL_DEN);
	}
	db_reset(st);
	return rc == DB_ROW ? DB_OK : rc;
}

enum db_rc report_snapshot_create(struct db *db, int64_t org_id, int year, int64_t now, const char *by, int64_t *id)
{
	struct db_stmt *st = db_prepare(db, &report_sql[STMT_REPORT_SNAP_CREATE]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, org_id);
	db_bind_int(st, 2, year);
	db_bind_int(st, 3, now);
	db_bind_text(st, 4, by, -1);
	enum db_rc rc = db_step(st);
	if (rc == DB_ROW)
		*id = db_col_int(st, DB_COL_ONLY);
	db_reset(st);
	return rc == DB_ROW ? DB_OK : rc;
}

enum db_rc report_snapshot_put(struct db *db, int64_t snapshot_id, const char *key, int64_t num, int64_t den)
{
	struct db_stmt *st = db_prepare(db, &report_sql[STMT_REPORT_SNAP_PUT]);
	if (!st)
		return DB_ERROR;
	db_bind_int(st, 1, snapshot_id);
	db_bind_text(st, 2, key, -1);
	db_bind_int(st, 3, num);
	db_bind_int(st, 4, den);
	return done(st);
}
