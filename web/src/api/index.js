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
  importTemplate: () => request('GET', '/members/import/template.xlsx', { blob: true }),
  exportMembers: (query) => request('GET', '/members/export', { query, blob: true }),
  getJob: (id) => http.get(`/jobs/${enc(id)}`),
  memberStats: (orgId) => http.get('/stats/members', { org_id: orgId }),
  me: () => http.get('/me'),

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
  exportAudit: (query) => request('GET', '/audit/export', { query, blob: true })
}
