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
  // messages (issue 16)
  MESSAGE_READ: 'message.read',
  MESSAGE_MANAGE: 'message.manage',
  SETTINGS_MANAGE: 'settings.manage',
  // transfers (组织关系接转)
  TRANSFER_READ: 'transfer.read',
  TRANSFER_WRITE: 'transfer.write',
  TRANSFER_APPROVE: 'transfer.approve',
  TRANSFER_APPLY: 'transfer.apply',
  // (each capability adds its block here, every line ending with a comma)
  // files store and meetings (issue 15)
  FILE_READ: 'file.read',
  FILE_WRITE: 'file.write',
  MEETING_READ: 'meeting.read',
  MEETING_WRITE: 'meeting.write',
  MEETING_REVIEW: 'meeting.review',
  STUDY_WRITE: 'study.write',
  STUDY_REVIEW: 'study.review',
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
  // messages (issue 16)
  outbox: [P.MESSAGE_READ, P.SETTINGS_MANAGE],
  study: [P.STUDY_WRITE],
  // 发展党员
  development: [P.DEV_READ],
  calendar: [P.DEV_READ, P.CALENDAR_MANAGE],
  transfers: [P.TRANSFER_READ], // transfers
  // 三会一课
  meetings: [P.MEETING_READ, P.MEETING_WRITE, P.MEETING_REVIEW],
}
