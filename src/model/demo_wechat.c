/* demo_wechat.c: the 公众号's part of the demo district (issue 16): the district's
 * account menu as data, three sections (版块) of pages of ours and addresses, as the
 * seed's "扩展为 X 大版块 X 项内容" counts them; no member is linked (linking needs
 * WeChat). */
#include "core/clock.h"
#include "model/demo.h"
#include "model/wechat.h"
#include <stdio.h>

enum demo_wx_stmt { STMT_DW_ROOT, DEMO_WX_STMT__MAX };
enum dw_root_col { DW_ID, DW_PATH };
static const struct db_sql demo_wx_sql[DEMO_WX_STMT__MAX] = {
	[STMT_DW_ROOT] = {"demo_wechat.root", "SELECT id, path FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1"},
};
DB_SQL_TABLE(demo_wechat, demo_wx_sql);

static enum db_rc demo_wechat(struct db *db, const struct demo_spec *spec, char *why, size_t whylen)
{
	(void)spec;
	struct db_stmt *st = db_prepare(db, &demo_wx_sql[STMT_DW_ROOT]);
	if (!st)
		return DB_ERROR;
	enum db_rc rc = db_step(st);
	int64_t org = 0;
	char path[256] = "";
	if (rc == DB_ROW) {
		org = db_col_int(st, DW_ID);
		snprintf(path, sizeof path, "%s", db_col_text(st, DW_PATH));
	}
	db_reset(st);
	if (rc != DB_ROW)
		return rc == DB_DONE ? DB_OK : rc;
	static const struct {
		const char *section;
		struct wechat_item_in items[4];
	} menu[] = {
		{"学习园地",
		 {{"学习专题", "page", "/m/study", 0}, {"学习强国", "url", "https://www.xuexi.cn/", 1}, {0}}},
		{"党员服务",
		 {{"我的党籍", "page", "/m/me", 0}, {"消息中心", "page", "/m/inbox", 1}, {"组织关系转接", "page", "/m/transfers", 2},
		  {"绑定微信", "page", "/m/wechat", 3}}},
		{"组工动态", {{"共产党员网", "url", "https://www.12371.cn/", 0}, {0}}},
	};
	int64_t now = clock_now();
	for (size_t i = 0; i < sizeof menu / sizeof menu[0]; i++) {
		int64_t sid = 0, iid = 0;
		if ((rc = wechat_section_add(db, org, path, menu[i].section, (int64_t)i, now, &sid)) != DB_OK)
			goto fail;
		for (size_t k = 0; k < 4 && menu[i].items[k].name; k++)
			if ((rc = wechat_item_add(db, sid, &menu[i].items[k], now, &iid)) != DB_OK)
				goto fail;
	}
	return DB_OK;
fail:
	if (whylen)
		snprintf(why, whylen, "公众号版块示例数据写入失败");
	return rc == DB_CONSTRAINT ? DB_ERROR : rc;
}
DEMO_STEP(wechat, demo_wechat);
