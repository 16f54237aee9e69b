// One function per API route used by the front end (docs/api-contract.md).
import { http, request } from './client.js'

const enc = encodeURIComponent

export const api = {
  // session and identity
  getSession: () => http.get('/session', null, { quiet: true }),
  login: (body) => http.post('/session', body, { quiet: true }),
  logout: () => http.del('/session', { quiet: true }),
  changePassword: (body) => http.put('/session/password', body),
  startTotp: () => http.post('/session/totp', {}),
  confirmTotp: (code) => http.put('/session/totp', { code }),

  // code tables
  codes: (table) => http.get(`/codes/${enc(table)}`),

  // organizations
  listOrgs: (query) => http.get('/orgs', query),
  pickOrgs: (query) => http.get('/orgs/picker', query),
  getOrg: (id) => http.get(`/orgs/${enc(id)}`),
  orgTree: (id, depth = 1) => http.get(`/orgs/${enc(id)}/tree`, { depth }),
  createOrg: (body) => http.post('/orgs', body),
  updateOrg: (id, body) => http.patch(`/orgs/${enc(id)}`, body),
  moveOrg: (id, parentId) => http.post(`/orgs/${enc(id)}/move`, { parent_id: parentId }),
  deleteOrg: (id) => http.del(`/orgs/${enc(id)}`),
  orgAlerts: (orgId) => http.get('/orgs/alerts', { org_id: orgId }),

  // members
  listMembers: (query) => http.get('/members', query),
  memberDefaults: (orgId) => http.get('/members/defaults', orgId ? { org_id: orgId } : null),
  getMember: (id, reveal = false) => http.get(`/members/${enc(id)}`, reveal ? { reveal: 1 } : null),
  createMember: (body) => http.post('/members', body),
  updateMember: (id, body) => http.patch(`/members/${enc(id)}`, body),
  changeMemberState: (id, body) => http.post(`/members/${enc(id)}/state`, body),
  memberHistory: (id) => http.get(`/members/${enc(id)}/history`),
  importMembers: (file, query, contentType) =>
    request('POST', '/members/import', { query, raw: file, contentType }),
  // issue 20 #9 (wizard): the upload's header matched to the import's fields
  importPreview: (file, query, contentType) =>
    request('POST', '/members/import/preview', { query, raw: file, contentType }),
  // issue 20 #9 (wizard): the saved column mappings an import at org_id applies
  importMappings: (orgId) => http.get('/import-mappings', { org_id: orgId }),
  deleteImportMapping: (id) => http.del(`/import-mappings/${enc(id)}`),
  importTemplate: () => request('GET', '/members/import/template.xlsx', { blob: true }),
  startExport: (query) => request('POST', '/members/exports', { query }),
  getJob: (id) => http.get(`/jobs/${enc(id)}`),
  cancelJob: (id) => http.post(`/jobs/${enc(id)}/cancel`, {}),
  exportFile: (id) => request('GET', `/jobs/${enc(id)}/file`, { blob: true }),
  memberStats: (orgId) => http.get('/stats/members', { org_id: orgId }),

  // 首页 and the yearly report (issue 19)
  dashboard: (orgId) => http.get('/dashboard', orgId ? { org_id: orgId } : null),
  indicators: (query) => http.get('/indicators', query),
  indicatorRows: (key, query) => http.get(`/indicators/${enc(key)}/rows`, query),
  indicatorsXlsx: (query) => request('GET', '/indicators/export', { query, blob: true }),
  freezeIndicators: (orgId, year) => http.post('/indicators/snapshots', { org_id: orgId, year }),
  reportTemplate: () => http.get('/report/template'),
  checkReport: (body) => http.post('/report/check', { body }),
  saveReportTemplate: (body) => http.put('/report/template', { body }),
  reportDocx: (query) => request('GET', '/report', { query, blob: true }),
  me: () => http.get('/me'),

  // transfers (组织关系接转)
  listTransfers: (query) => http.get('/transfers', query),
  transferCounts: (orgId) => http.get('/transfers/counts', orgId ? { org_id: orgId } : null),
  transferDestinations: (q) => http.get('/transfers/destinations', { q }),
  getTransfer: (id) => http.get(`/transfers/${enc(id)}`),
  createTransfer: (body) => http.post('/transfers', body),
  transferStep: (id, step, body = {}) => http.post(`/transfers/${enc(id)}/${enc(step)}`, body),
  transferLetter: (id) => request('GET', `/transfers/${enc(id)}/letter.docx`, { blob: true }),
  transferStats: (query) => http.get('/stats/transfers', query),
  myTransfers: () => http.get('/me/transfers'),
  applyTransfer: (body) => http.post('/me/transfers', body),
  myTransferDestinations: (q) => http.get('/me/transfer-destinations', { q }),

  // users, roles, audit
  permissions: () => http.get('/permissions'),
  roles: () => http.get('/roles'),
  listUsers: (query) => http.get('/users', query),
  getUser: (id) => http.get(`/users/${enc(id)}`),
  createUser: (body) => http.post('/users', body),
  updateUser: (id, body) => http.patch(`/users/${enc(id)}`, body),
  resetPassword: (id) => http.post(`/users/${enc(id)}/reset-password`, {}),
  setUserRoles: (id, roles) => http.put(`/users/${enc(id)}/roles`, { roles }),
  listAudit: (query) => http.get('/audit', query),
  verifyAudit: () => http.get('/audit/verify'),
  auditActions: () => http.get('/audit/actions'),
  exportAudit: (query) => request('GET', '/audit/export', { query, blob: true }),

  // messages (issue 16): outbox monitor, schedule, notices, inbox, opt-outs
  schedule: () => http.get('/system/schedule'),
  listOutbox: (query) => http.get('/outbox', query),
  outboxDaily: (query) => http.get('/outbox/daily', query),
  retryMessage: (id) => http.post(`/outbox/${enc(id)}/retry`, {}),
  messageSettings: () => http.get('/messages/settings'),
  saveMessageSettings: (body) => http.put('/messages/settings', body),
  messageTemplates: () => http.get('/messages/templates'),
  sendNotice: (body) => http.post('/messages/notices', body),
  inbox: (query) => http.get('/inbox', query, { quiet: true }),
  markRead: (id) => http.post('/inbox/read', id ? { id } : {}),
  messagePrefs: () => http.get('/me/message-prefs', null, { quiet: true }),
  saveMessagePrefs: (optOut) => http.put('/me/message-prefs', { opt_out: optOut }),
  messageStats: (query) => http.get('/stats/messages', query),
  // WeChat Official Account (公众号): the channel's status, a member's link (OAuth2 snsapi_base)
  wechatStatus: () => http.get('/wechat/status'),
  myWechat: () => http.get('/me/wechat', null, { quiet: true }),
  wechatAuthorize: () => http.post('/me/wechat/authorize', {}),
  wechatBind: (code, state) => http.post('/me/wechat', { code, state }),
  wechatUnlink: () => http.del('/me/wechat'),
  wechatSections: (orgId) => http.get('/wechat/sections', { org_id: orgId }),
  addWechatSection: (body) => http.post('/wechat/sections', body),
  deleteWechatSection: (id) => http.del(`/wechat/sections/${enc(id)}`),
  addWechatItem: (sectionId, body) => http.post(`/wechat/sections/${enc(sectionId)}/items`, body),
  deleteWechatItem: (id) => http.del(`/wechat/items/${enc(id)}`),
  wechatStats: (query) => http.get('/stats/wechat', query, { quiet: true }),
  pushWechatMenu: (orgId) => http.post('/wechat/menu/push', { org_id: orgId }),
  // files store (issue 15): attached to a record (owner kind + id)
  listFiles: (ownerKind, ownerId) => http.get('/files', { owner_kind: ownerKind, owner_id: ownerId }),
  uploadFile: (ownerKind, ownerId, file) =>
    request('POST', '/files', { query: { owner_kind: ownerKind, owner_id: ownerId, name: file.name }, raw: file, contentType: file.type || 'application/octet-stream' }),
  deleteFile: (id) => http.del(`/files/${enc(id)}`),

  // meetings (issue 15): 三会一课, review (调阅), compliance, study hours
  listMeetings: (query) => http.get('/meetings', query),
  getMeeting: (id) => http.get(`/meetings/${enc(id)}`),
  createMeeting: (body) => http.post('/meetings', body),
  updateMeeting: (id, body) => http.patch(`/meetings/${enc(id)}`, body),
  deleteMeeting: (id) => http.del(`/meetings/${enc(id)}`),
  submitMeeting: (id) => http.post(`/meetings/${enc(id)}/submit`, {}),
  reviewMeeting: (id, body) => http.post(`/meetings/${enc(id)}/review`, body),
  meetingViews: (id) => http.get(`/meetings/${enc(id)}/views`),
  meetingRoster: (orgId, date) => http.get('/meetings/roster', { org_id: orgId, date }),
  meetingQueue: (orgId) => http.get('/meetings/queue', { org_id: orgId }),
  meetingPlan: (orgId, year) => http.post('/meetings/plan', { org_id: orgId, year }),
  meetingCompliance: (query) => http.get('/meetings/compliance', query),
  meetingExempt: (body) => http.post('/meetings/exemptions', body),
  meetingWarnings: (orgId) => http.get('/meetings/warnings', { org_id: orgId }),
  studyHours: (orgId, year) => http.get('/study/hours', { org_id: orgId, year }),
  myStudyHours: (year) => http.get('/me/study-hours', { year }),
  meetingStats: (query) => http.get('/stats/meetings', query),
  // 学习专题
  studyIssues: (query) => http.get('/study/issues', query),
  studyIssue: (id) => http.get(`/study/issues/${enc(id)}`),
  createStudyIssue: (body) => http.post('/study/issues', body),
  addStudyItem: (id, body) => http.post(`/study/issues/${enc(id)}/items`, body),
  submitStudyIssue: (id) => http.post(`/study/issues/${enc(id)}/submit`, {}),
  reviewStudyIssue: (id, body) => http.post(`/study/issues/${enc(id)}/review`, body),
  myStudy: () => http.get('/me/study'),
  openStudyItem: (id) => http.get(`/me/study/items/${enc(id)}`),
  finishStudyItem: (id) => http.post(`/me/study/items/${enc(id)}/finish`, {}),
  myStudy: (year) => http.get('/me/study', { year }),
  meetingStats: (query) => http.get('/stats/meetings', query),
  // services (issue 18): community service requests
  svcCatalog: () => http.get('/services/catalog'),
  svcCreateService: (body) => http.post('/services/catalog', body),
  svcUpdateService: (id, body) => http.patch(`/services/catalog/${enc(id)}`, body),
  svcRequests: (query) => http.get('/services/requests', query),
  svcRequest: (id) => http.get(`/services/requests/${enc(id)}`),
  svcRecord: (body) => http.post('/services/requests', body),
  svcContact: (id) => http.post(`/services/requests/${enc(id)}/contact`, {}),
  svcDispatch: (id, body) => http.post(`/services/requests/${enc(id)}/dispatch`, body),
  svcReject: (id, reason) => http.post(`/services/requests/${enc(id)}/reject`, { reason }),
  svcNote: (id, body) => http.post(`/services/requests/${enc(id)}/notes`, body),
  svcCandidates: (id) => http.get(`/services/requests/${enc(id)}/candidates`),
  svcTasks: () => http.get('/services/tasks'),
  svcStart: (id) => http.post(`/services/requests/${enc(id)}/start`, {}),
  svcComplete: (id, note, photoFileId) => http.post(`/services/requests/${enc(id)}/complete`, { note, photo_file_id: photoFileId }),
  svcTaskPhoto: (id, file) =>
    request('POST', '/files', { query: { owner_kind: 'service_request', owner_id: id, name: file.name }, raw: file, contentType: file.type || 'application/octet-stream' }),
  svcReturn: (id, note) => http.post(`/services/requests/${enc(id)}/return`, { note }),
  svcStats: (query) => http.get('/stats/services', query),
  svcPublicConfig: () => http.get('/public/services/config', null, { quiet: true }),
  svcPublicFile: (body) => http.post('/public/services/requests', body, { quiet: true }),
  svcPublicFollow: (id, code) => http.get(`/public/services/requests/${enc(id)}`, { code }, { quiet: true }),
  svcPublicRate: (body) => http.post('/public/services/rating', body, { quiet: true }),
  svcPublicPhoto: (id, code, file) =>
    request('POST', `/public/services/requests/${enc(id)}/photo`, { query: { code }, raw: file, contentType: file.type || 'application/octet-stream', quiet: true }),
}
