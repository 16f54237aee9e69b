/* transfer_letter.c: GET /api/v1/transfers/{id}/letter.docx, the printed letter (中国共产党
 * 党员组织关系介绍信) with its 回执 stub, as DOCX (core/docx.h), with a QR code of the
 * serial's verification link (core/qr.h). The full ID number is printed for a caller
 * holding pii.view on either side; otherwise the masked one. Every print is audited.
 * The routes of the transfers themselves are in transfers.c. */
#include "api/roster_util.h"
#include "auth/auth.h"
#include "auth/scope.h"
#include "config.h"
#include "core/arena.h"
#include "core/docx.h"
#include "core/qr.h"
#include "http/request.h"
#include "model/codes.h"
#include "model/transfer.h"
#include <stdlib.h>
#include <string.h>

/* "2026-12" → "2026年12月" */
static const char *month_cn(struct arena *a, const char *ym)
{
	if (!ym || strlen(ym) < 7)
		return "（未记录）";
	return arena_printf(a, "%.4s年%d月", ym, atoi(ym + 5));
}

static const char *date_cn(struct arena *a, const char *d)
{
	if (!d || strlen(d) < 10)
		return "    年  月  日";
	return arena_printf(a, "%.4s年%d月%d日", d, atoi(d + 5), atoi(d + 8));
}

static void get_letter(struct request *req)
{
	int64_t id = req_param_id(req, "id");
	if (req_failed(req))
		return;
	struct transfer_rec t;
	enum db_rc rc = transfer_load(req->db, req->arena, id, false, &t);
	bool sender = rc == DB_OK && t.from_path && scope_allows(req, "transfer.read", t.from_path);
	/* the receiving side sees a letter from "sent" on, as it sees the transfer */
	bool receiver = rc == DB_OK && t.to_path && scope_allows(req, "transfer.read", t.to_path) &&
			strcmp(t.state, "draft") != 0 && strcmp(t.state, "submitted") != 0 &&
			strcmp(t.state, "approved") != 0 && strcmp(t.state, "cancelled") != 0;
	if (rc == DB_NOT_FOUND || (rc == DB_OK && !sender && !receiver)) {
		req_fail(req, 404, "not_found", "组织关系转接记录不存在");
		return;
	}
	if (rc != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	if (!t.serial) {
		req_fail(req, 409, "no_serial", "介绍信尚未审批编号，不能打印");
		return;
	}
	bool reveal = (sender && scope_allows(req, "pii.view", t.from_path)) ||
		      (receiver && scope_allows(req, "pii.view", t.to_path));
	if (reveal && (rc = transfer_load(req->db, req->arena, id, true, &t)) != DB_OK) {
		req_fail_db(req, rc);
		return;
	}
	struct date today = roster_today();
	json_t *j = transfer_json(&t, today, reveal, false); /* the shown values: masks, age, flags */
	const char *idn = json_string_value(json_object_get(j, "id_number"));
	const char *mobile = json_string_value(json_object_get(j, "mobile"));
	int age = (int)json_integer_value(json_object_get(j, "age"));
	int arrears = (int)json_integer_value(json_object_get(j, "arrears_months"));
	const char *ptext = json_string_value(json_object_get(j, "probation_to"));
	char code[17];
	transfer_verify_code(t.serial, code);
	const char *url = arena_printf(req->arena, "%s/verify/transfer/%s?code=%s", cfg.transfer_verify_base, t.serial, code);
	const char *eth = codes_name("ethnicity", t.ethnicity);
	const char *a = NULL; /* scratch */

	struct docx *d = docx_new();
	docx_para(d, arena_printf(req->arena, "编号：%s", t.serial), DOCX_RIGHT);
	docx_title(d, "中国共产党党员组织关系介绍信");
	docx_para(d, arena_printf(req->arena, "%s：", t.to_org_name), 0);
	a = arena_printf(req->arena,
			 "兹介绍 %s 同志（%s，%d 岁，%s），系中共%s，身份证号码 %s，由 %s 去 %s，请转接组织关系。",
			 t.name, strcmp(t.sex, "2") == 0 ? "女" : "男", age, eth ? eth : t.ethnicity,
			 strcmp(t.party_status, "probationary") == 0 ? "预备党员" : "正式党员", idn ? idn : "",
			 t.from_org_name, t.to_org_name);
	docx_para(d, a, DOCX_INDENT);
	if (ptext)
		docx_para(d, arena_printf(req->arena, "该同志预备期自 %s 起至 %s 止。", date_cn(req->arena, t.joined_on),
					  date_cn(req->arena, ptext)),
			  DOCX_INDENT);
	docx_para(d, arena_printf(req->arena, "该同志党费已交到 %s。%s", month_cn(req->arena, t.dues_paid_to),
				  arrears > 0 ? arena_printf(req->arena, "（注意：党费未交清，欠交 %d 个月）", arrears)
					      : ""),
		  DOCX_INDENT);
	docx_para(d, arena_printf(req->arena, "（有效期 %lld 天，至 %s）", (long long)t.validity_days,
				  date_cn(req->arena, t.valid_until)),
		  DOCX_INDENT);
	docx_para(d, arena_printf(req->arena, "%s（盖章）", t.from_org_name), DOCX_RIGHT);
	docx_para(d, date_cn(req->arena, t.sent_on), DOCX_RIGHT);
	static const int widths[] = {28, 72};
	docx_table(d, 2, widths);
	docx_cell(d, "党员联系电话", DOCX_SMALL);
	docx_cell(d, mobile ? mobile : "", DOCX_SMALL);
	docx_cell(d, "党员原所在基层党委通讯地址", DOCX_SMALL);
	docx_cell(d, t.sender_address ? t.sender_address : "", DOCX_SMALL);
	docx_cell(d, "联系电话", DOCX_SMALL);
	docx_cell(d, t.sender_phone ? t.sender_phone : "", DOCX_SMALL);
	docx_table_end(d);
	void *png = NULL;
	size_t plen = 0;
	if (qr_png(url, 4, &png, &plen) == 0) {
		docx_image_png(d, png, plen, 28, DOCX_RIGHT);
		free(png);
	}
	docx_para(d, arena_printf(req->arena, "扫码核验：%s", url), DOCX_RIGHT | DOCX_SMALL);
	docx_para(d, "…………………………………………（此处剪开）…………………………………………", DOCX_CENTER | DOCX_SMALL);
	docx_title(d, "回执");
	docx_para(d, arena_printf(req->arena, "编号：%s", t.serial), DOCX_RIGHT);
	docx_para(d, arena_printf(req->arena, "%s：", t.from_org_name), 0);
	docx_para(d, arena_printf(req->arena, "%s 同志的党员组织关系已转达我处，特此回复。", t.name), DOCX_INDENT);
	docx_para(d, "接收党组织（盖章）                    ", DOCX_RIGHT | DOCX_UNDERLINE);
	docx_para(d, "    年    月    日", DOCX_RIGHT);
	json_decref(j);
	void *bytes;
	size_t len;
	int ok = docx_finish(d, &bytes, &len);
	docx_free(d);
	if (ok != 0) {
		req_fail(req, 500, "internal_error", "无法生成介绍信");
		return;
	}
	char *copy = arena_alloc(req->arena, len);
	memcpy(copy, bytes, len);
	free(bytes);
	struct audit_event ev = {"transfer.letter", "transfer", t.id, t.from_org_id > 0 ? t.from_org_id : t.to_org_id, true,
				 arena_printf(req->arena, "打印介绍信 %s%s", t.serial, reveal ? "（含完整身份证号码）" : "")};
	if (audit_record(req, &ev) != 0)
		return;
	roster_attachment(req, arena_printf(req->arena, "组织关系介绍信_%s.docx", t.serial));
	req_reply_raw(req, 200, DOCX_CONTENT_TYPE, copy, len);
}

static const struct route transfer_letter_routes[] = {
	{"GET", "/api/v1/transfers/{id}/letter.docx", get_letter, "transfer.read", RF_TX_WRITE, 0,
	 "the printed letter with its receipt stub and QR code (DOCX, audited)"},
};
ROUTE_TABLE(transfer_letter);
