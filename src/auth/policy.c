/* policy.c: the permission catalogue and built-in roles; see policy.h. Adding a
 * capability: add its permissions to the catalogue and its grants to `grants` (each
 * in a block of its own, named after the capability), and name them on routes.
 * Nothing else decides who may do what. */
#include "auth/policy.h"
#include <string.h>

static const struct perm_def perms[] = {
	{"org.read", "查看组织"},
	{"org.write", "维护组织"},
	{"member.read", "查看党员"},
	{"member.write", "维护党员"},
	{"member.import", "导入党员"},
	{"member.export", "导出党员"},
	{"pii.view", "查看完整个人信息"},
	{"pii.export", "导出完整个人信息"},
	{"stats.read", "查看统计"},
	{"self.read", "查看本人信息"},
	{"user.read", "查看用户"},
	{"user.manage", "管理用户"},
	{"role.assign", "分配角色"},
	{"audit.read", "查看审计日志"},
	{"settings.manage", "系统设置"},
	/* the yearly report (issue 19): its template and the closing of a year */
	{"report.manage", "维护年度报告"},
	/* 发展党员 (issue 13) and the working-day calendar */
	{"calendar.manage", "维护工作日历"},
	{"dev.read", "查看发展党员"},
	{"dev.write", "办理发展党员"},
	{"dev.approve", "审批发展党员"},
	{"dev.quota", "下达发展指标"},
	/* files store (issue 15): on top of these, each owner kind names the permission its
	 * record needs (api/files.h) */
	{"file.read", "查看附件"},
	{"file.write", "上传附件"},
	/* messages (issue 16): the outbox monitor and pushes */
	{"message.read", "查看消息发送"},
	{"message.manage", "管理消息推送"},
	/* transfers (组织关系接转, issue 14) */
	{"transfer.read", "查看组织关系接转"},
	{"transfer.write", "办理组织关系接转"},
	{"transfer.approve", "审批、接收组织关系接转"},
	{"transfer.apply", "申请组织关系转接"},
	/* meetings (issue 15): 三会一课 records, review (调阅) and compliance */
	{"meeting.read", "查看组织生活"},
	{"meeting.write", "记录组织生活"},
	{"meeting.review", "调阅审核组织生活"},
	{"study.write", "编辑学习专题"},
	{"study.review", "审核发布学习专题"},
};

/* The roles with the roster's permissions; each capability's grants follow in
 * `grants`. */
static const struct role_def roles[] = {
	{"sysadmin", "系统管理员", true, false, {"user.read", "user.manage", "settings.manage"}},
	{"secadmin", "安全管理员", true, false, {"user.read", "role.assign"}},
	{"auditor", "审计管理员", true, false, {"audit.read"}},
	{"district_admin", "组织部管理员", false, true,
	 {"org.read", "org.write", "member.read", "member.write", "member.import", "member.export", "pii.view",
	  "pii.export", "stats.read", "self.read"}},
	{"committee_admin", "党(工)委管理员", false, true,
	 {"org.read", "org.write", "member.read", "member.write", "member.import", "member.export", "pii.view",
	  "stats.read", "self.read"}},
	{"branch_secretary", "支部书记", false, true,
	 {"org.read", "member.read", "member.write", "member.export", "stats.read", "self.read"}},
	{"member", "党员", false, false, {"self.read"}},
	{"resident", "居民", false, false, {"self.read"}},
};

/* (role, permission) pairs granted by the capabilities, one block each. */
static const struct grant {
	const char *role, *perm;
} grants[] = {
	/* the yearly report */
	{"district_admin", "report.manage"},
	/* 发展党员 */
	{"district_admin", "calendar.manage"},
	{"district_admin", "dev.read"},
	{"district_admin", "dev.write"},
	{"district_admin", "dev.approve"},
	{"district_admin", "dev.quota"},
	{"committee_admin", "dev.read"},
	{"committee_admin", "dev.write"},
	{"committee_admin", "dev.approve"},
	{"branch_secretary", "dev.read"},
	{"branch_secretary", "dev.write"},
	/* files store */
	{"district_admin", "file.read"},
	{"district_admin", "file.write"},
	{"committee_admin", "file.read"},
	{"committee_admin", "file.write"},
	{"branch_secretary", "file.read"},
	{"branch_secretary", "file.write"},
	/* messages */
	{"district_admin", "message.read"},
	{"district_admin", "message.manage"},
	{"committee_admin", "message.read"},
	{"committee_admin", "message.manage"},
	{"branch_secretary", "message.read"},
	/* transfers (组织关系接转, issue 14) */
	{"district_admin", "transfer.read"},
	{"district_admin", "transfer.write"},
	{"district_admin", "transfer.approve"},
	{"committee_admin", "transfer.read"},
	{"committee_admin", "transfer.write"},
	{"committee_admin", "transfer.approve"},
	{"branch_secretary", "transfer.read"},
	{"branch_secretary", "transfer.write"},
	{"member", "transfer.apply"},
	/* meetings (三会一课) */
	{"district_admin", "meeting.read"},
	{"district_admin", "meeting.write"},
	{"district_admin", "meeting.review"},
	{"committee_admin", "meeting.read"},
	{"committee_admin", "meeting.write"},
	{"committee_admin", "meeting.review"},
	{"branch_secretary", "meeting.read"},
	{"branch_secretary", "meeting.write"},
	{"district_admin", "study.write"},
	{"district_admin", "study.review"},
	{"committee_admin", "study.write"},
	{"committee_admin", "study.review"},
};

const struct perm_def *policy_perms(size_t *n)
{
	*n = sizeof perms / sizeof perms[0];
	return perms;
}

const struct role_def *policy_roles(size_t *n)
{
	*n = sizeof roles / sizeof roles[0];
	return roles;
}

const struct role_def *policy_role(const char *code)
{
	if (!code)
		return NULL;
	for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
		if (strcmp(roles[i].code, code) == 0)
			return &roles[i];
	return NULL;
}

const struct perm_def *policy_perm(const char *code)
{
	if (!code)
		return NULL;
	for (size_t i = 0; i < sizeof perms / sizeof perms[0]; i++)
		if (strcmp(perms[i].code, code) == 0)
			return &perms[i];
	return NULL;
}

size_t policy_role_perms(const struct role_def *r, const char **out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < ROLE_MAX_PERMS && r->perms[i] && n < max; i++)
		out[n++] = r->perms[i];
	for (size_t i = 0; i < sizeof grants / sizeof grants[0] && n < max; i++)
		if (strcmp(grants[i].role, r->code) == 0)
			out[n++] = grants[i].perm;
	return n;
}

bool policy_role_has(const struct role_def *r, const char *perm)
{
	for (size_t i = 0; i < ROLE_MAX_PERMS && r->perms[i]; i++)
		if (strcmp(r->perms[i], perm) == 0)
			return true;
	for (size_t i = 0; i < sizeof grants / sizeof grants[0]; i++)
		if (strcmp(grants[i].role, r->code) == 0 && strcmp(grants[i].perm, perm) == 0)
			return true;
	return false;
}
