/* policy.c: the permission catalogue and built-in roles; see policy.h. Adding a
 * capability: add its permissions here, grant them to roles here, and name them on
 * routes. Nothing else decides who may do what. */
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
	/* services (issue 18) */
	{"service.read", "查看服务诉求"},
	{"service.write", "受理派单"},
	{"service.task", "办理服务任务"},
	{"service.admin", "管理服务目录和接入密钥"},
};

static const struct role_def roles[] = {
	{"sysadmin", "系统管理员", true, false, {"user.read", "user.manage", "settings.manage"}},
	{"secadmin", "安全管理员", true, false, {"user.read", "role.assign"}},
	{"auditor", "审计管理员", true, false, {"audit.read"}},
	{"district_admin", "组织部管理员", false, true,
	 {"org.read", "org.write", "member.read", "member.write", "member.import", "member.export", "pii.view",
	  "pii.export", "stats.read", "self.read", /* services */ "service.read", "service.write", "service.task",
	  "service.admin"}},
	{"committee_admin", "党(工)委管理员", false, true,
	 {"org.read", "org.write", "member.read", "member.write", "member.import", "member.export", "pii.view",
	  "stats.read", "self.read", /* services */ "service.read", "service.write", "service.task"}},
	{"branch_secretary", "支部书记", false, true,
	 {"org.read", "member.read", "member.write", "member.export", "stats.read", "self.read",
	  /* services */ "service.read", "service.task"}},
	{"member", "党员", false, false, {"self.read", /* services */ "service.task"}},
	{"resident", "居民", false, false, {"self.read"}},
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

bool policy_role_has(const struct role_def *r, const char *perm)
{
	for (size_t i = 0; i < ROLE_MAX_PERMS && r->perms[i]; i++)
		if (strcmp(r->perms[i], perm) == 0)
			return true;
	return false;
}
