// 发展党员 and the working-day calendar (issue 13): one function per route.
import { http, request } from './client.js'

const enc = encodeURIComponent

export const devApi = {
  board: (orgId) => http.get('/development/board', { org_id: orgId }),
  warnings: (orgId) => http.get('/development/warnings', { org_id: orgId }),
  list: (query) => http.get('/development/applicants', query),
  get: (id) => http.get(`/development/applicants/${enc(id)}`),
  create: (body) => http.post('/development/applicants', body),
  step: (id, body) => http.post(`/development/applicants/${enc(id)}/steps`, body),
  batch: (body) => http.post('/development/batch', body),
  returnStep: (id, body) => http.post(`/development/applicants/${enc(id)}/return`, body),
  withdraw: (id, body) => http.post(`/development/applicants/${enc(id)}/withdraw`, body),
  // issue 16: a 公示 posted before step 7 or 23 {step, start} → {end}; reminded when it ends
  publicity: (id, body) => http.put(`/development/applicants/${enc(id)}/publicity`, body),
  voters: (id, date) => http.get(`/development/applicants/${enc(id)}/voters`, { date }),
  quotas: (query) => http.get('/development/quotas', query),
  putQuota: (body) => http.put('/development/quotas', body),
  stats: (query) => http.get('/stats/development', query),
  mine: () => http.get('/me/development'),
  form: (id, form) => request('GET', `/development/applicants/${enc(id)}/forms/${enc(form)}`, { blob: true }),
  calendar: (year) => http.get('/calendar', { year }),
  putCalendar: (body) => http.put('/calendar', body),
  importCalendar: (year, file) => request('POST', '/calendar/import', { query: { year }, raw: file, contentType: 'text/csv' }),
  span: (start, days) => http.get('/calendar/span', { start, days })
}
