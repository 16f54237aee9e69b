// The bases' routes (issue 17): directory, calendar, bookings, approval queue, feeds,
// statistics. Kept apart from api/index.js so that the capabilities merge cleanly.
import { http } from './client.js'

const enc = encodeURIComponent

export const basesApi = {
  listBases: (query) => http.get('/bases', query),
  getBase: (id) => http.get(`/bases/${enc(id)}`),
  update: (id, body) => http.patch(`/bases/${enc(id)}`, body),
  approvers: (id) => http.get(`/bases/${enc(id)}/approvers`),
  calendar: (id, month, day) => http.get(`/bases/${enc(id)}/calendar`, { month, day }),
  listBookings: (query) => http.get('/base-bookings', query),
  getBooking: (id) => http.get(`/base-bookings/${enc(id)}`),
  book: (body) => http.post('/base-bookings', body),
  check: (body) => http.post('/base-bookings/check', body, { quiet: true }),
  act: (id, action, body = {}) => http.post(`/base-bookings/${enc(id)}/${action}`, body),
  myVisits: () => http.get('/me/base-visits'),
  selfCheckIn: (code) => http.post('/me/base-visits/check-in', { code }),
  feeds: (kind, objectId) => http.get('/base-feeds', { kind, object_id: objectId }),
  newFeed: (kind, objectId) => http.post('/base-feeds', { kind, object_id: objectId }),
  revokeFeed: (id) => http.del(`/base-feeds/${enc(id)}`),
  stats: (query) => http.get('/stats/bases', query)
}
