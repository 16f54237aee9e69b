// Permission codes the front end looks at. The server enforces every one of them;
// the UI only hides what the user cannot use. Codes other than those named in
// docs/api-contract.md (org.read, org.write, pii.view, pii.export, user.manage,
// role.assign, audit.read) are kept here, in one place, so they follow the
// server's route table if it names them differently.
export const P = {
  ORG_READ: 'org.read',
  ORG_WRITE: 'org.write',
  MEMBER_READ: 'member.read',
  MEMBER_WRITE: 'member.write',
  MEMBER_IMPORT: 'member.import',
  MEMBER_EXPORT: 'member.export',
  STATS_READ: 'stats.read',
  PII_VIEW: 'pii.view',
  PII_EXPORT: 'pii.export',
  USER_MANAGE: 'user.manage',
  ROLE_ASSIGN: 'role.assign',
  AUDIT_READ: 'audit.read',
  // 发展党员 (issue 13) and the working-day calendar
  CALENDAR_MANAGE: 'calendar.manage',
  DEV_READ: 'dev.read',
  DEV_WRITE: 'dev.write',
  DEV_APPROVE: 'dev.approve',
  DEV_QUOTA: 'dev.quota',
  // services (issue 18)
  SERVICE_READ: 'service.read',
  SERVICE_WRITE: 'service.write',
  SERVICE_TASK: 'service.task',
  SERVICE_ADMIN: 'service.admin'
}

/** Which permissions (any of) open each admin page. */
export const PAGE_PERMS = {
  dashboard: [P.STATS_READ],
  report: [P.STATS_READ],
  orgs: [P.ORG_READ, P.ORG_WRITE],
  members: [P.MEMBER_READ, P.MEMBER_WRITE],
  stats: [P.STATS_READ, P.MEMBER_READ],
  users: [P.USER_MANAGE, P.ROLE_ASSIGN],
  audit: [P.AUDIT_READ],
  // 发展党员
  development: [P.DEV_READ],
  calendar: [P.DEV_READ, P.CALENDAR_MANAGE],
  // services (issue 18)
  services: [P.SERVICE_READ],
  servicesMap: [P.SERVICE_READ],
  servicesCatalog: [P.SERVICE_READ]
}
