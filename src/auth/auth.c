/* auth.c: request authentication for the dispatcher; see auth.h. Until the identity
 * module (users, sessions) exists there are no accounts, so every non-public route
 * answers 401: the safe default. */
#include "auth/auth.h"
#include "http/request.h"
#include <string.h>

bool auth_check_origin(struct request *req)
{
	const char *site = req_header(req, "Sec-Fetch-Site");
	if (site && strcmp(site, "cross-site") == 0) {
		req_fail(req, 403, "csrf_failed", "跨站请求已被拒绝");
		return false;
	}
	return true;
}

bool auth_authenticate(struct request *req)
{
	req_fail(req, 401, "unauthenticated", "请先登录");
	return false;
}

bool auth_has_permission(struct request *req, const char *perm)
{
	(void)perm;
	req_fail(req, 403, "forbidden", "没有执行此操作的权限");
	return false;
}

bool auth_check_csrf(struct request *req)
{
	req_fail(req, 403, "csrf_failed", "安全令牌无效，请刷新页面后重试");
	return false;
}

long long auth_user_id(const struct request *req)
{
	(void)req;
	return 0;
}
