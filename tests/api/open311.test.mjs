// open311.test.mjs: Open311 GeoReport v2 under /open311/v2/ (issue 18, DOMAIN.md §7),
// driven by a small client written from the spec's examples (georeport v2: "GET Service
// List", "GET Service Definition", "POST Service Request" form-encoded with api_key,
// "GET Service Requests" with start_date/end_date/status, "GET Service Request", and the
// error body [{"code": 403, "description": "Invalid api_key"}]). JSON format only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api } from './lib/server.mjs';
import { district, as } from './lib/roster_api.mjs';

// The client: what a 12345 hotline integrator would write from the spec.
class Open311Client {
  constructor(base, { apiKey, jurisdiction } = {}) { this.base = `${base}/open311/v2`; this.apiKey = apiKey; this.jurisdiction = jurisdiction; }
  async get(path, params = {}) {
    const q = new URLSearchParams({ ...(this.jurisdiction ? { jurisdiction_id: this.jurisdiction } : {}), ...params });
    const res = await fetch(`${this.base}/${path}${q.size ? `?${q}` : ''}`);
    return { status: res.status, type: res.headers.get('content-type'), body: await res.json() };
  }
  services() { return this.get('services.json'); }
  definition(code) { return this.get(`services/${encodeURIComponent(code)}.json`); }
  requests(params) { return this.get('requests.json', params); }
  request(id) { return this.get(`requests/${id}.json`); }
  // The spec's example: POST … requests.json with application/x-www-form-urlencoded
  async post(fields) {
    const form = new URLSearchParams({ ...(this.apiKey ? { api_key: this.apiKey } : {}), ...(this.jurisdiction ? { jurisdiction_id: this.jurisdiction } : {}), ...fields });
    const res = await fetch(`${this.base}/requests.json`, { method: 'POST', body: form });
    return { status: res.status, type: res.headers.get('content-type'), body: await res.json() };
  }
}

// Every error is the spec's: an array of {code, description} with the HTTP status as code.
function specError(r, status) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.ok(Array.isArray(r.body) && r.body.length >= 1, JSON.stringify(r.body));
  assert.equal(r.body[0].code, status);
  assert.equal(typeof r.body[0].description, 'string');
}

let srv, admin, client, key;
const sql = (q) => srv.sql(q);
const count = (where = '1=1') => Number(sql(`SELECT COUNT(*) FROM svc_requests WHERE ${where}`));
before(async () => {
  srv = await district({ orgs: 40, members: 200 });
  admin = await as(srv, 'district_admin', 1);
  key = (await admin.call('POST', '/api/v1/services/api-keys', { name: '12345 热线', rate_per_min: 50 })).body.api_key;
  client = new Open311Client(srv.base, { apiKey: key, jurisdiction: 'dangjian' });
});
after(async () => { await srv.stop(); });

// The spec's example request, moved into the district's box.
const example = {
  service_code: 'LIGHT', lat: '31.18', long: '121.44', address_string: '康乐路1弄',
  email: 'smit222@sfgov.edu', device_id: 'tt222111', account_id: '123456', first_name: 'john', last_name: 'smith',
  phone: '13912345678', description: 'A large sinkhole is destroying the street 13912345678', media_url: '',
};

test('O311-01 GET services.json and services/{code}.json as the spec lists them; XML is not offered', async () => {
  const r = await client.services();
  assert.equal(r.status, 200);
  assert.match(r.type, /^application\/json/);
  const light = r.body.find((s) => s.service_code === 'LIGHT');
  for (const k of ['service_code', 'service_name', 'description', 'metadata', 'type', 'keywords', 'group']) assert.ok(k in light, k);
  assert.equal(light.metadata, true);
  assert.equal(light.type, 'realtime');
  const d = await client.definition('LIGHT');
  assert.equal(d.status, 200);
  assert.equal(d.body.service_code, 'LIGHT');
  const a = d.body.attributes[0];
  for (const k of ['variable', 'code', 'datatype', 'required', 'datatype_description', 'order', 'description']) assert.ok(k in a, k);
  specError(await client.definition('NOPE'), 404);
  const xml = await fetch(`${srv.base}/open311/v2/services/LIGHT.xml`);
  assert.equal(xml.status, 404);
  specError(await new Open311Client(srv.base, { jurisdiction: 'sfgov.org' }).services(), 404);
});

test('O311-02 POST requests.json needs an API key (issued and revoked by the district); the answer is the spec\'s', async () => {
  const before = count();
  specError(await new Open311Client(srv.base).post(example), 403);
  specError(await new Open311Client(srv.base, { apiKey: 'o311_guess' }).post(example), 403);
  const r = await client.post(example);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.length, 1);
  const id = r.body[0].service_request_id;
  assert.match(String(id), /^\d+$/);
  assert.ok('service_notice' in r.body[0]);
  assert.ok(r.body[0].expected_datetime);
  assert.equal(count(), before + 1);
  assert.equal(sql(`SELECT channel FROM svc_requests WHERE id = ${id}`), 'open311');
  // revoked: refused
  const k = (await admin.call('POST', '/api/v1/services/api-keys', { name: '临时' })).body;
  assert.equal((await new Open311Client(srv.base, { apiKey: k.api_key }).post(example)).status, 201);
  await admin.call('DELETE', `/api/v1/services/api-keys/${k.id}`);
  specError(await new Open311Client(srv.base, { apiKey: k.api_key }).post(example), 403);
});

test('O311-03 bad input: the spec\'s error body and nothing stored (over 4,000 chars, outside the box, unknown service, no location)', async () => {
  const before = count();
  specError(await client.post({ ...example, description: 'x'.repeat(4001) }), 400);
  specError(await client.post({ ...example, lat: '37.76524078', long: '-122.4212043' }), 400); // the spec's San Francisco point
  specError(await client.post({ ...example, service_code: '001' }), 400);
  specError(await client.post({ ...example, lat: '', long: '', address_string: '' }), 400);
  specError(await client.post({ ...example, lat: 'abc' }), 400);
  const bad = await fetch(`${srv.base}/open311/v2/requests.json`, { method: 'POST', body: 'api_key=%FF%FE&x=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(bad.status, 400);
  assert.equal(count(), before);
  // HTML in a description is kept as text
  const r = await client.post({ ...example, description: '<img src=x onerror=alert(1)>' });
  const got = await client.request(r.body[0].service_request_id);
  assert.equal(got.body[0].description, '<img src=x onerror=alert(1)>');
});

test('O311-04 a posting client over its rate gets 429 with the spec\'s body', async () => {
  const k = (await admin.call('POST', '/api/v1/services/api-keys', { name: '限速', rate_per_min: 2 })).body;
  const c = new Open311Client(srv.base, { apiKey: k.api_key });
  const codes = [];
  for (let i = 0; i < 3; i++) codes.push((await c.post(example)).status);
  assert.deepEqual(codes.slice(0, 2), [201, 201]);
  // a minute boundary between the posts resets the window: then the third passes too
  assert.ok(codes[2] === 429 || codes[2] === 201);
  if (codes[2] === 201) assert.equal((await c.post(example)).status, 201);
  let last;
  for (let i = 0; i < 3; i++) last = await c.post(example);
  specError(last, 429);
});

test('O311-05 GET requests.json: filters by id, service_code, start/end date and status; states map onto open/closed with status_notes', async () => {
  const a = (await client.post(example)).body[0].service_request_id;
  const b = (await client.post({ ...example, service_code: 'ELDER' })).body[0].service_request_id;
  const comm = await as(srv, 'committee_admin', Number(sql(`SELECT org_id FROM svc_requests WHERE id = ${a}`)));
  await comm.call('POST', `/api/v1/services/requests/${a}/dispatch`, { kind: 'social', name: '阳光社工服务社' });
  await comm.call('POST', `/api/v1/services/requests/${a}/complete`, { note: '已更换灯泡' });
  const one = await client.request(a);
  assert.equal(one.status, 200);
  assert.equal(one.body[0].status, 'closed');
  assert.equal(one.body[0].status_notes, '已更换灯泡');
  for (const k of ['service_request_id', 'status', 'status_notes', 'service_name', 'service_code', 'description', 'agency_responsible',
    'service_notice', 'requested_datetime', 'updated_datetime', 'expected_datetime', 'address', 'address_id', 'zipcode', 'lat', 'long', 'media_url'])
    assert.ok(k in one.body[0], k);
  assert.equal((await client.request(b)).body[0].status, 'open');
  const ids = await client.requests({ service_request_id: `${a},${b},999999` });
  assert.deepEqual(ids.body.map((x) => x.service_request_id).sort(), [String(a), String(b)].sort());
  const open = await client.requests({ status: 'open' });
  assert.ok(open.body.length > 0 && open.body.every((x) => x.status === 'open'));
  assert.ok(open.body.some((x) => x.service_request_id === String(b)));
  const closed = await client.requests({ status: 'closed' });
  assert.ok(closed.body.every((x) => x.status === 'closed') && closed.body.some((x) => x.service_request_id === String(a)));
  const elder = await client.requests({ service_code: 'ELDER' });
  assert.ok(elder.body.every((x) => x.service_code === 'ELDER'));
  // a window in the past (the demo's year) holds none of today's
  const past = new Date(Date.now() - 40 * 86400e3).toISOString().slice(0, 19) + 'Z';
  const past2 = new Date(Date.now() - 20 * 86400e3).toISOString().slice(0, 19) + 'Z';
  const win = await client.requests({ start_date: past, end_date: past2 });
  assert.ok(win.body.every((x) => x.requested_datetime >= past && x.requested_datetime <= past2));
  assert.ok(!win.body.some((x) => x.service_request_id === String(a)));
  const dbCount = Number(sql(`SELECT COUNT(*) FROM svc_requests WHERE requested_at >= ${Math.floor(Date.parse(past) / 1000)} AND requested_at <= ${Math.floor(Date.parse(past2) / 1000)}`));
  assert.equal(win.body.length, Math.min(dbCount, 200));
  specError(await client.requests({ status: 'pending' }), 400);
  specError(await client.requests({ start_date: 'yesterday' }), 400);
  specError(await client.requests({ start_date: '2025-01-01T00:00:00Z', end_date: '2025-12-01T00:00:00Z' }), 400); // > 90 days
  specError(await client.request(999999), 404);
});

test('O311-06 no personal data of others in any public answer: no name, no phone, numbers starred', async () => {
  const id = (await client.post(example)).body[0].service_request_id;
  for (const r of [await client.request(id), await client.requests(), await client.requests({ status: 'open' })]) {
    const text = JSON.stringify(r.body);
    assert.ok(!text.includes('13912345678'), 'phone');
    assert.ok(!text.includes('smith') && !text.includes('john'), 'name');
    assert.ok(!text.includes('mobile') && !text.includes('contact'), 'no contact fields');
  }
  assert.match((await client.request(id)).body[0].description, /\*{11}/);
});

test('O311-07 per-address rate limit on the public endpoints', async () => {
  const s2 = await district({ orgs: 20, members: 50, args: ['--services-public-per-min', '5'] });
  try {
    const c = new Open311Client(s2.base);
    const codes = [];
    for (let i = 0; i < 12; i++) codes.push((await c.services()).status);
    assert.ok(codes.includes(429), codes.join(','));
    const r = await c.services();
    specError(r, 429);
    const page = await api(s2, 'GET', '/api/v1/public/services/config');
    assert.equal(page.status, 429);
  } finally { await s2.stop(); }
});

test('O311-08 GET requests.json: each filter\'s page is the newest 200 of the database\'s rows, ties on the instant by id, across the page\'s end', async () => {
  // 300 requests at one instant (ties cross the 200-row page's end), a third of them open
  const at = Math.floor(Date.now() / 1000) - 5 * 86400;
  sql(`UPDATE svc_requests SET requested_at = ${at} WHERE id IN (SELECT id FROM svc_requests ORDER BY id DESC LIMIT 300)`);
  const iso = (t) => new Date(t * 1000).toISOString().slice(0, 19) + 'Z';
  const from = at - 30 * 86400, to = at + 86400;
  const cases = [
    [{}, ''],
    [{ status: 'open' }, ' AND r.is_open = 1'],
    [{ status: 'closed' }, ' AND r.is_open = 0'],
    [{ service_code: 'LIGHT' }, " AND s.code = 'LIGHT'"],
    [{ service_code: 'LIGHT', status: 'open' }, " AND s.code = 'LIGHT' AND r.is_open = 1"],
    [{ service_code: 'ELDER', status: 'closed' }, " AND s.code = 'ELDER' AND r.is_open = 0"],
    [{ service_code: 'NO-SUCH', status: 'open' }, " AND s.code = 'NO-SUCH'"],
  ];
  for (const [params, where] of cases) {
    const want = sql(`SELECT r.id FROM svc_requests r JOIN svc_services s ON s.id = r.service_id WHERE r.requested_at >= ${from}
      AND r.requested_at <= ${to}${where} ORDER BY r.requested_at DESC, r.id DESC LIMIT 200`).split('\n').filter(Boolean);
    const r = await client.requests({ ...params, start_date: iso(from), end_date: iso(to) });
    assert.equal(r.status, 200, JSON.stringify(params));
    assert.deepEqual(r.body.map((x) => x.service_request_id), want, JSON.stringify(params));
  }
  // the point: millionths of a degree, as the detail answers them
  const [id, lat, lon] = sql('SELECT id, lat_e6, lon_e6 FROM svc_requests WHERE lat_e6 IS NOT NULL ORDER BY id DESC LIMIT 1').split('|').map(Number);
  const item = (await client.requests({ service_request_id: String(id) })).body[0];
  assert.equal(item.lat, lat / 1e6);
  assert.equal(item.long, lon / 1e6);
});

test('O311-09 GET requests.json: an answer kept at a revision is not shown after a request, its state, the catalogue or its organization\'s name change', async () => {
  const list = async (p = {}) => (await client.requests(p)).body;
  const before = await list({ status: 'open' });
  assert.deepEqual(await list({ status: 'open' }), before); // the same again (kept)
  const id = (await client.post(example)).body[0].service_request_id;
  const open = await list({ status: 'open' });
  assert.equal(open[0].service_request_id, id);
  const org = Number(sql(`SELECT org_id FROM svc_requests WHERE id = ${id}`));
  const comm = await as(srv, 'committee_admin', org);
  await comm.call('POST', `/api/v1/services/requests/${id}/dispatch`, { kind: 'social', name: '阳光社工服务社' });
  await comm.call('POST', `/api/v1/services/requests/${id}/complete`, { note: '已修好' });
  assert.ok(!(await list({ status: 'open' })).some((x) => x.service_request_id === id));
  const closed = (await list({ status: 'closed' })).find((x) => x.service_request_id === id);
  assert.equal(closed.status_notes, '已修好');
  sql(`UPDATE orgs SET name = name || '（更名）' WHERE id = ${org}`);
  const renamed = (await list({ status: 'closed' })).find((x) => x.service_request_id === id);
  assert.match(renamed.agency_responsible, /（更名）$/);
  sql("UPDATE svc_services SET name = name || '（新）' WHERE code = 'LIGHT'");
  assert.match((await list({ status: 'closed' })).find((x) => x.service_request_id === id).service_name, /（新）$/);
});
