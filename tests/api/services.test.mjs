// services.test.mjs: 三社联动 community service requests (issue 18, DOMAIN.md §7) over
// HTTP: filing (public page and staff), the rules on input (description ≤ 4,000, HTML kept
// as text, the district's box, known services), the internal states with actor, time and
// audit, the SLA clock and overdue flag, dispatch / reassignment / 退回 / 不予受理, the
// assignee's tasks, the sealed and masked contact, the signed single-use expiring rating
// token, the satisfaction rate against a count of rows, API keys, scope and statistics.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { problemOk, api, cli } from './lib/server.mjs';
import { district, as, upload } from './lib/roster_api.mjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './lib/server.mjs';
import { login, setClock, strongPassword } from './lib/auth.mjs';

let srv, admin, comm, community, grid, foreignComm;
const sql = (q) => srv.sql(q);
before(async () => {
  srv = await district({ orgs: 60, members: 300 });
  admin = await as(srv, 'district_admin', 1);
  community = Number(sql("SELECT org_id FROM grids ORDER BY id LIMIT 1"));
  grid = Number(sql(`SELECT id FROM grids WHERE org_id = ${community} ORDER BY id LIMIT 1`));
  foreignComm = Number(sql(`SELECT org_id FROM grids WHERE org_id <> ${community} ORDER BY id LIMIT 1`));
  comm = await as(srv, 'committee_admin', community);
});
after(async () => { await setClock(srv, 0); await srv.stop(); });

// Moves the server's clock; sessions idle past their limit are gone then: sign in again.
async function clock(offset) {
  await setClock(srv, offset);
  admin = await as(srv, 'district_admin', 1);
  comm = await as(srv, 'committee_admin', community);
}

const pub = (method, path, body) => api(srv, method, path, { body });
const count = (table, where = '1=1') => Number(sql(`SELECT COUNT(*) FROM ${table} WHERE ${where}`));
const LAT = 31.18, LONG = 121.44;

async function file(extra = {}) {
  const r = await pub('POST', '/api/v1/public/services/requests', {
    service_code: 'LIGHT', description: '楼道灯坏了', grid_id: grid, mobile: '13912345678', contact_name: '张女士', ...extra,
  });
  assert.equal(r.status, 201, r.text);
  return r.body;
}

// A `member`-role account linked to member id (a volunteer), signed in.
async function volunteer(memberId) {
  const username = `vol${memberId}x${process.pid}`;
  const r = cli(srv.dir, ['user', 'add', '--username', username, '--name', '志愿者', '--role', 'member', '--member', String(memberId)]);
  const otp = r.stdout.match(/one-time password: (\S+)/)[1];
  const s = (await login(srv, username, otp)).session;
  const ch = await s.call('PUT', '/api/v1/session/password', { old_password: otp, new_password: strongPassword() });
  assert.equal(ch.status, 200, ch.text);
  s.update(ch.body);
  return s;
}

test('R-SVC-01 bad input stores nothing: description over 4,000, point outside the box, unknown service, no location', async () => {
  const before = count('svc_requests');
  const cases = [
    [{ description: '灯'.repeat(4001) }, 'description'],
    [{ description: '' }, 'description'],
    [{ lat: 39.9, long: 116.4 }, 'lat'], // Beijing: outside the district's box
    [{ lat: LAT }, 'long'],
    [{ service_code: 'NOPE' }, 'service_code'],
    [{ grid_id: undefined, address: undefined }, 'address'],
    [{ mobile: '12345' }, 'mobile'],
  ];
  for (const [extra, field] of cases) {
    const r = await pub('POST', '/api/v1/public/services/requests', {
      service_code: 'LIGHT', description: '楼道灯坏了', grid_id: grid, mobile: '13912345678', ...extra,
    });
    problemOk(null, r, 400, 'validation_failed');
    assert.ok(r.body.errors.some((e) => e.field === field), `${field}: ${r.text}`);
  }
  assert.equal(count('svc_requests'), before);
  // exactly 4,000 characters is fine; HTML is stored and answered as the text it is
  const html = '<script>alert(1)</script><b>灯</b>';
  const ok = await file({ description: html + '灯'.repeat(4000 - html.length), lat: LAT, long: LONG });
  const r = await comm.call('GET', `/api/v1/services/requests/${ok.id}`);
  assert.equal(r.status, 200, r.text);
  assert.ok(r.body.description.startsWith(html));
  assert.equal([...r.body.description].length, 4000);
  assert.equal(r.headers.get('content-type'), 'application/json');
  assert.equal(r.body.grid_id, grid);
  assert.equal(r.body.org_id, community);
  assert.equal(r.body.lat, LAT);
});

test('R-SVC-02 the grid is matched from the address (a building of the grid) where no grid is given', async () => {
  const [bname, bgrid] = sql('SELECT name, grid_id FROM buildings ORDER BY id DESC LIMIT 1').split('|');
  const f = await file({ grid_id: undefined, address: `上海市${bname}3号` });
  const r = await admin.call('GET', `/api/v1/services/requests/${f.id}`);
  assert.equal(r.body.grid_id, Number(bgrid));
  assert.equal(r.body.org_id, Number(sql(`SELECT org_id FROM grids WHERE id = ${bgrid}`)));
});

test('R-SVC-03 contact sealed like members\' numbers: ciphertext at rest, masked in lists, the full view audited', async () => {
  const f = await file({ mobile: '13800138000' });
  assert.equal(count('svc_requests', `id = ${f.id} AND mobile_cipher IS NOT NULL AND mobile_masked = '138****8000'`), 1);
  const raw = sql(`SELECT COUNT(*) FROM svc_requests WHERE CAST(mobile_cipher AS TEXT) LIKE '%13800138000%'`);
  assert.equal(Number(raw), 0);
  const list = await comm.call('GET', `/api/v1/services/requests?org_id=${community}&limit=200`);
  assert.equal(list.status, 200, list.text);
  assert.ok(!list.text.includes('13800138000'));
  assert.ok(list.body.items.some((i) => i.id === f.id && i.mobile_masked === '138****8000'));
  const audits = count('audit_log', "action = 'service.pii_view'");
  const full = await comm.call('POST', `/api/v1/services/requests/${f.id}/contact`);
  assert.equal(full.status, 200, full.text);
  assert.equal(full.body.mobile, '13800138000');
  assert.equal(count('audit_log', "action = 'service.pii_view'"), audits + 1);
  // without pii.view: refused
  const sec = await as(srv, 'branch_secretary', community);
  assert.equal((await sec.call('POST', `/api/v1/services/requests/${f.id}/contact`)).status, 403);
});

test('R-SVC-04 states 受理 → 派单 → 处理中 → 办结 → 评价, each step with actor and time, audited; wrong steps 409', async () => {
  const f = await file();
  const member = Number(sql(`SELECT id FROM members WHERE grid_id = ${grid} ORDER BY id LIMIT 1`));
  const vol = await volunteer(member);
  // the volunteer sees nothing yet, and cannot act on it
  assert.ok(!(await vol.call('GET', '/api/v1/services/tasks')).body.items.some((t) => t.id === f.id));
  problemOk(null, await vol.call('POST', `/api/v1/services/requests/${f.id}/start`, {}), 404, 'not_found');
  const cand = await comm.call('GET', `/api/v1/services/requests/${f.id}/candidates`);
  assert.equal(cand.status, 200, cand.text);
  assert.ok(cand.body.items.some((c) => c.member_id === member) || cand.body.items.length > 0, cand.text);
  const d = await comm.call('POST', `/api/v1/services/requests/${f.id}/dispatch`, { kind: 'volunteer', member_id: member, note: '请尽快处理' });
  assert.equal(d.status, 200, d.text);
  assert.equal(d.body.state, 'dispatched');
  assert.equal(d.body.assignee.member_id, member);
  problemOk(null, await comm.call('POST', `/api/v1/services/requests/${f.id}/reject`, { reason: 'x' }), 409, 'invalid_state');
  // the volunteer hears of it in the app (the outbox)
  const inbox = await vol.call('GET', '/api/v1/inbox');
  assert.equal(inbox.status, 200, inbox.text);
  assert.ok(JSON.stringify(inbox.body).includes(`第 ${f.id} 号诉求`), inbox.text);
  const tasks = await vol.call('GET', '/api/v1/services/tasks');
  assert.ok(tasks.body.items.some((t) => t.id === f.id), tasks.text);
  assert.equal((await vol.call('POST', `/api/v1/services/requests/${f.id}/start`, {})).body.state, 'in_progress');
  const done = await vol.call('POST', `/api/v1/services/requests/${f.id}/complete`, { note: '已更换灯泡' });
  assert.equal(done.status, 200, done.text);
  assert.equal(done.body.state, 'completed');
  assert.ok(done.body.completed_at);
  problemOk(null, await vol.call('POST', `/api/v1/services/requests/${f.id}/complete`, {}), 409, 'invalid_state');
  const view = await pub('GET', `/api/v1/public/services/requests/${f.id}?code=${f.follow_code}`);
  assert.equal(view.status, 200, view.text);
  assert.equal(view.body.status, 'closed');
  const rated = await pub('POST', '/api/v1/public/services/rating', { token: view.body.rating_token, rating: 'satisfied', comment: '很及时' });
  assert.equal(rated.status, 200, rated.text);
  const full = await comm.call('GET', `/api/v1/services/requests/${f.id}`);
  assert.deepEqual(full.body.events.map((e) => e.to), ['accepted', 'dispatched', 'in_progress', 'completed', 'rated']);
  for (const e of full.body.events) assert.ok(e.at);
  assert.ok(full.body.events.slice(1, 4).every((e) => e.actor_name), JSON.stringify(full.body.events));
  for (const a of ['service.create', 'service.dispatch', 'service.start', 'service.complete', 'service.rate'])
    assert.equal(count('audit_log', `action = '${a}' AND object_id = ${f.id}`), 1, a);
  // the resident sees public steps only, and no staff names
  const v2 = await pub('GET', `/api/v1/public/services/requests/${f.id}?code=${f.follow_code}`);
  assert.ok(v2.body.events.every((e) => e.actor_name === null));
  assert.ok(!v2.text.includes('请尽快处理')); // the dispatch note is internal
  // a wrong code is a missing request
  problemOk(null, await pub('GET', `/api/v1/public/services/requests/${f.id}?code=wrongcode`), 404, 'not_found');
});

test('R-SVC-05 退回 with a reason, reassignment, 不予受理 with a reason; notes public or internal', async () => {
  const f = await file();
  const d = await comm.call('POST', `/api/v1/services/requests/${f.id}/dispatch`, { kind: 'grid' });
  assert.equal(d.status, 200, d.text);
  assert.equal(d.body.assignee.kind, 'grid');
  const re = await comm.call('POST', `/api/v1/services/requests/${f.id}/dispatch`, { kind: 'social', name: '阳光社工服务社' });
  assert.equal(re.body.events.at(-1).action, 'reassign');
  const noReason = await comm.call('POST', `/api/v1/services/requests/${f.id}/return`, {});
  problemOk(null, noReason, 400, 'validation_failed');
  const back = await comm.call('POST', `/api/v1/services/requests/${f.id}/return`, { note: '不属于我们的服务范围' });
  assert.equal(back.body.state, 'returned');
  assert.equal(back.body.assignee, null);
  problemOk(null, await comm.call('POST', `/api/v1/services/requests/${f.id}/reject`, {}), 400, 'validation_failed');
  const rj = await comm.call('POST', `/api/v1/services/requests/${f.id}/reject`, { reason: '属于物业职责，已告知物业电话' });
  assert.equal(rj.body.state, 'rejected');
  assert.equal(rj.body.open, false);
  const n1 = await comm.call('POST', `/api/v1/services/requests/${f.id}/notes`, { text: '内部：已电话联系', public: false });
  const n2 = await comm.call('POST', `/api/v1/services/requests/${f.id}/notes`, { text: '已联系物业处理', public: true });
  assert.equal(n1.status, 201);
  assert.equal(n2.body.status_note, '已联系物业处理');
  const view = await pub('GET', `/api/v1/public/services/requests/${f.id}?code=${f.follow_code}`);
  assert.ok(view.text.includes('已联系物业处理') && !view.text.includes('内部：已电话联系'));
  assert.equal(view.body.status_notes, '已联系物业处理');
});

test('R-SVC-06 the SLA clock runs in working hours; the overdue flag and the queue colours', async () => {
  const f = await file({ service_code: 'POLICY' }); // 8 working hours
  const r = (await comm.call('GET', `/api/v1/services/requests/${f.id}`)).body;
  const due = Date.parse(r.due_at) / 1000, at = Date.parse(r.requested_at) / 1000;
  const cn = new Date((due + 8 * 3600) * 1000);
  assert.ok(due - at >= 8 * 3600, 'at least the SLA hours later');
  const cal = Number(srv.sql(`SELECT COUNT(*) FROM calendar_days WHERE day = '${cn.toISOString().slice(0, 10)}' AND kind = 'holiday'`));
  assert.equal(cal, 0, 'not due on a holiday');
  const h = cn.getUTCHours() * 60 + cn.getUTCMinutes();
  assert.ok(h >= 9 * 60 && h <= 17 * 60, `due within working hours: ${cn.toISOString()}`);
  assert.equal(r.overdue, false);
  assert.ok(['green', 'yellow'].includes(r.sla_colour));
  await clock(due - Math.floor(Date.now() / 1000) + 3600);
  const late = (await comm.call('GET', `/api/v1/services/requests/${f.id}`)).body;
  assert.equal(late.overdue, true);
  assert.equal(late.sla_colour, 'red');
  const q = await comm.call('GET', `/api/v1/services/requests?org_id=${community}&overdue=1&limit=200`);
  assert.ok(q.body.items.some((i) => i.id === f.id));
  assert.ok(q.body.items.every((i) => i.overdue));
  await clock(0);
});

test('R-SVC-06 the SLA clock follows the working-day calendar: 国庆节 holidays are not working time', async () => {
  // Wednesday 2026-09-30 16:00 China time; 8 working hours: one that day, seven after the holidays
  await clock(Math.floor(Date.parse('2026-09-30T08:00:00Z') / 1000) - Math.floor(Date.now() / 1000));
  try {
    const f = await file({ service_code: 'POLICY' });
    const r = (await comm.call('GET', `/api/v1/services/requests/${f.id}`)).body;
    const firstWork = srv.sql("SELECT MIN(d) FROM (SELECT '2026-10-08' AS d UNION SELECT day FROM calendar_days WHERE kind = 'workday' AND day > '2026-10-01' AND day < '2026-10-08') x");
    // 16:00 China time on the first working day after 国庆 (the test's clock offset may lag a second)
    const diff = Date.parse(r.due_at) - Date.parse(`${firstWork}T08:00:00Z`);
    assert.ok(Math.abs(diff) <= 5000, r.due_at);
  } finally { await clock(0); }
});

test('R-SVC-07 rating: a signed token, single use, refused after expiry; rate = satisfied ÷ rated equals a count of rows', async () => {
  const tokens = [];
  for (let i = 0; i < 3; i++) {
    const f = await file();
    await comm.call('POST', `/api/v1/services/requests/${f.id}/dispatch`, { kind: 'grid' });
    await comm.call('POST', `/api/v1/services/requests/${f.id}/complete`, {});
    const v = await pub('GET', `/api/v1/public/services/requests/${f.id}?code=${f.follow_code}`);
    assert.ok(v.body.rating_token, v.text);
    tokens.push(v.body.rating_token);
  }
  const forged = tokens[0].replace(/.$/, (c) => (c === '0' ? '1' : '0'));
  problemOk(null, await pub('POST', '/api/v1/public/services/rating', { token: forged, rating: 'satisfied' }), 404, 'invalid_token');
  assert.equal((await pub('POST', '/api/v1/public/services/rating', { token: tokens[0], rating: 'basic' })).status, 200);
  problemOk(null, await pub('POST', '/api/v1/public/services/rating', { token: tokens[0], rating: 'satisfied' }), 409, 'already_rated');
  problemOk(null, await pub('POST', '/api/v1/public/services/rating', { token: tokens[1], rating: 'great' }), 400, 'validation_failed');
  await clock(15 * 86400); // past the token's 14 days
  problemOk(null, await pub('POST', '/api/v1/public/services/rating', { token: tokens[1], rating: 'satisfied' }), 410, 'token_expired');
  await clock(0);
  assert.equal((await pub('POST', '/api/v1/public/services/rating', { token: tokens[2], rating: 'unsatisfied', comment: '<i>慢</i>' })).status, 200);
  // the server's rate against a count of rows, over the whole district
  const s = await admin.call('GET', '/api/v1/stats/services');
  assert.equal(s.status, 200, s.text);
  const rated = count('svc_requests', 'rating IS NOT NULL');
  const satisfied = count('svc_requests', "rating = 'satisfied'");
  assert.equal(s.body.rated, rated);
  assert.equal(s.body.satisfied, satisfied);
  assert.equal(s.body.satisfaction_rate, Math.floor((satisfied * 1000) / rated) / 10);
  assert.equal(s.body.accepted, count('svc_requests'));
  assert.equal(s.body.completed, count('svc_requests', "state IN ('completed', 'rated')"));
});

test('R-SVC-08 statistics by subtree, service group and period', async () => {
  const all = (await admin.call('GET', '/api/v1/stats/services')).body;
  const one = (await admin.call('GET', `/api/v1/stats/services?org_id=${community}`)).body;
  const path = sql(`SELECT path FROM orgs WHERE id = ${community}`);
  assert.equal(one.accepted, count('svc_requests', `org_path LIKE '${path}%'`));
  assert.ok(one.accepted < all.accepted);
  const g = (await admin.call('GET', `/api/v1/stats/services?group=${encodeURIComponent('设施维修')}`)).body;
  assert.equal(g.accepted, Number(sql("SELECT COUNT(*) FROM svc_requests r JOIN svc_services s ON s.id = r.service_id WHERE s.grp = '设施维修'")));
  const today = new Date().toISOString().slice(0, 10);
  const recent = (await admin.call('GET', `/api/v1/stats/services?from=${today}&to=${today}`)).body;
  assert.ok(recent.accepted >= 1 && recent.accepted < all.accepted);
  assert.ok(all.avg_hours_to_complete > 0);
  assert.ok(all.overdue >= 0);
  problemOk(null, await admin.call('GET', '/api/v1/stats/services?from=2026-02-30'), 400, 'validation_failed');
  // another community's committee sees only its own
  const other = await as(srv, 'committee_admin', foreignComm);
  problemOk(null, await other.call('GET', `/api/v1/stats/services?org_id=${community}`), 404, 'not_found');
});

test('R-SVC-09 scope: another community\'s request is a missing one; staff-recorded requests stay in scope', async () => {
  const f = await file();
  const other = await as(srv, 'committee_admin', foreignComm);
  problemOk(null, await other.call('GET', `/api/v1/services/requests/${f.id}`), 404, 'not_found');
  problemOk(null, await other.call('POST', `/api/v1/services/requests/${f.id}/dispatch`, { kind: 'grid' }), 404, 'not_found');
  const list = await other.call('GET', '/api/v1/services/requests?limit=200');
  assert.ok(!list.body.items.some((i) => i.id === f.id));
  const walk = await comm.call('POST', '/api/v1/services/requests', { service_code: 'ELDER', description: '来访：独居老人需要助餐', channel: 'walk_in', grid_id: grid });
  assert.equal(walk.status, 201, walk.text);
  assert.equal(walk.body.channel, 'walk_in');
  const before = count('svc_requests');
  const out = await other.call('POST', '/api/v1/services/requests', { service_code: 'ELDER', description: 'x', channel: 'walk_in', grid_id: grid });
  problemOk(null, out, 400, 'validation_failed');
  assert.equal(count('svc_requests'), before);
});

test('R-SVC-10 the catalogue: admin adds and changes services with Open311 attributes; others may not', async () => {
  const add = await admin.call('POST', '/api/v1/services/catalog', {
    code: 'TREE', name: '树木修剪', group: '环境整治', sla_hours: 24, skill: '环境',
    attributes: [{ code: 'height', datatype: 'number', required: true, description: '树高（米）' }],
  });
  assert.equal(add.status, 201, add.text);
  const dup = await admin.call('POST', '/api/v1/services/catalog', { code: 'TREE', name: 'x', group: 'y', sla_hours: 1 });
  assert.ok(dup.body.errors.some((e) => e.code === 'duplicate'));
  const bad = await admin.call('POST', '/api/v1/services/catalog', { code: 'a b', name: 'x', group: 'y', sla_hours: 0, attributes: [{ code: 'x' }] });
  for (const f of ['code', 'sla_hours', 'attributes']) assert.ok(bad.body.errors.some((e) => e.field === f), f);
  const off = await admin.call('PATCH', `/api/v1/services/catalog/${add.body.id}`, { active: false });
  assert.equal(off.body.active, false);
  const r = await pub('POST', '/api/v1/public/services/requests', { service_code: 'TREE', description: 'x', grid_id: grid, mobile: '13912345678' });
  assert.ok(r.body.errors.some((e) => e.field === 'service_code'));
  assert.equal((await comm.call('POST', '/api/v1/services/catalog', { code: 'Z', name: 'x', group: 'y', sla_hours: 1 })).status, 403);
});

test('R-SVC-11 Open311 API keys: issued once, kept hashed, listed without the key, revoked', async () => {
  const k = await admin.call('POST', '/api/v1/services/api-keys', { name: '12345 热线', rate_per_min: 5 });
  assert.equal(k.status, 201, k.text);
  assert.match(k.body.api_key, /^o311_/);
  assert.equal(count('svc_api_keys', `key_prefix = '${k.body.api_key.slice(0, 9)}'`), 1);
  const list = await admin.call('GET', '/api/v1/services/api-keys');
  assert.ok(!list.text.includes(k.body.api_key));
  assert.equal((await admin.call('DELETE', `/api/v1/services/api-keys/${k.body.id}`)).status, 204);
  problemOk(null, await admin.call('DELETE', `/api/v1/services/api-keys/${k.body.id}`), 404, 'not_found');
  assert.equal(count('audit_log', "action IN ('service.key_issue', 'service.key_revoke')"), 2);
});

test('R-SVC-12 the residents\' page config: the box, the tiles setting, public services and grids, no personal data', async () => {
  const r = await pub('GET', '/api/v1/public/services/config');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.bbox.length, 4);
  assert.equal(r.body.tiles, '');
  assert.ok(r.body.services.some((s) => s.service_code === 'LIGHT'));
  assert.ok(r.body.grids.some((g) => g.id === grid));
});

test('R-SVC-13 办结 with a photo from the files store: uploaded to the request by its assignee, another request\'s photo refused', async () => {
  const png = readFileSync(join(ROOT, 'tests/api/data/photo.png'));
  const f = await file();
  const g = await file();
  await comm.call('POST', `/api/v1/services/requests/${f.id}/dispatch`, { kind: 'grid' });
  const branch = (await comm.call('GET', `/api/v1/services/requests/${f.id}`)).body.assignee.org_id;
  const sec = await as(srv, 'branch_secretary', branch);
  assert.ok((await sec.call('GET', '/api/v1/services/tasks')).body.items.some((t) => t.id === f.id));
  const up = await upload(srv, sec, `/api/v1/files?owner_kind=service_request&owner_id=${f.id}&name=done.png`, png, 'image/png');
  assert.equal(up.status, 201, up.text);
  const other = await upload(srv, comm, `/api/v1/files?owner_kind=service_request&owner_id=${g.id}&name=x.png`, png, 'image/png');
  assert.equal(other.status, 201, other.text);
  const wrong = await sec.call('POST', `/api/v1/services/requests/${f.id}/complete`, { photo_file_id: other.body.id });
  problemOk(null, wrong, 400, 'validation_failed');
  const done = await sec.call('POST', `/api/v1/services/requests/${f.id}/complete`, { note: '已修好', photo_file_id: up.body.id });
  assert.equal(done.status, 200, done.text);
  assert.equal(done.body.done_file_id, up.body.id);
  // another community's committee cannot see the photo
  const otherComm = await as(srv, 'committee_admin', foreignComm);
  assert.equal((await otherComm.call('GET', `/api/v1/files/${up.body.id}`)).status, 404);
});

test('R-SVC-14 the yearly report\'s 三社联动 figures: accepted, completed, satisfaction rate = satisfied ÷ rated, with their rows', async () => {
  const year = new Date(Date.now() + 8 * 3600e3).getUTCFullYear();
  const from = Math.floor(Date.parse(`${year}-01-01T00:00:00+08:00`) / 1000);
  const to = Math.floor(Date.now() / 1000) + 86400;
  const r = await admin.call('GET', `/api/v1/indicators?org_id=1&from=${year}-01-01&to=${new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10)}`);
  assert.equal(r.status, 200, r.text);
  const fig = (k) => r.body.items.find((i) => i.key === k);
  assert.equal(fig('services.accepted').value.num, count('svc_requests', `requested_at >= ${from} AND requested_at < ${to}`));
  assert.equal(fig('services.completed').value.num, count('svc_requests', `completed_at >= ${from} AND completed_at < ${to}`));
  const rate = fig('services.satisfaction_rate').value;
  assert.equal(rate.num, count('svc_requests', `rating = 'satisfied' AND rated_at >= ${from} AND rated_at < ${to}`));
  assert.equal(rate.den, count('svc_requests', `rating IS NOT NULL AND rated_at >= ${from} AND rated_at < ${to}`));
  const rows = await admin.call('GET', `/api/v1/indicators/services.accepted/rows?org_id=1&from=${year}-01-01&limit=5`);
  assert.equal(rows.status, 200, rows.text);
  assert.ok(rows.body.items.length > 0);
  assert.ok(!rows.text.includes('1391234'));
});

test('R-SVC-15 the map tiles setting: the tile origin joins the CSP img-src (a {s} label as *); geolocation allowed for the page itself', async () => {
  const { startServer } = await import('./lib/server.mjs');
  const plain = await api(srv, 'GET', '/api/v1/public/services/config');
  assert.match(plain.headers.get('content-security-policy'), /img-src 'self' data: blob:;/);
  assert.match(plain.headers.get('permissions-policy'), /geolocation=\(self\)/);
  for (const [tiles, want] of [
    ['https://t{s}.tianditu.gov.cn/vec_w/wmts?tk=KEY&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}', "img-src 'self' data: blob: https://*.tianditu.gov.cn;"],
    ['http://127.0.0.1:9/{z}/{x}/{y}.png', "img-src 'self' data: blob: http://127.0.0.1:9;"],
    ["https://evil.example/'; script-src *", "img-src 'self' data: blob: https://evil.example;"],
    ['https://a b/{z}', "img-src 'self' data: blob:;"],
  ]) {
    const s2 = await startServer({ args: ['--services-tiles', tiles] });
    try {
      const r = await api(s2, 'GET', '/healthz');
      assert.ok(r.headers.get('content-security-policy').includes(want), `${tiles}: ${r.headers.get('content-security-policy')}`);
    } finally { await s2.stop(); }
  }
});

test('R-SVC-16 the resident adds a photo with the follow code: stored through the files store, one per request, text refused', async () => {
  const png = readFileSync(join(ROOT, 'tests/api/data/photo.png'));
  const f = await file();
  const put = (code, body, type = 'image/png') => fetch(`${srv.base}/api/v1/public/services/requests/${f.id}/photo?code=${encodeURIComponent(code)}`, { method: 'POST', body, headers: { 'content-type': type } });
  assert.equal((await put('wrongcode', png)).status, 404);
  assert.equal((await put(f.follow_code, Buffer.from('<script>alert(1)</script>'), 'text/html')).status, 415);
  const ok = await put(f.follow_code, png);
  assert.equal(ok.status, 201, await ok.text());
  assert.equal((await put(f.follow_code, png)).status, 409);
  const r = await comm.call('GET', `/api/v1/services/requests/${f.id}`);
  assert.ok(r.body.media_file_id);
  const files = await comm.call('GET', `/api/v1/files?owner_kind=service_request&owner_id=${f.id}`);
  assert.equal(files.status, 200, files.text);
  assert.equal(files.body.items.length, 1);
  assert.equal(count('audit_log', `action = 'service.photo' AND object_id = ${f.id}`), 1);
});
