// services_sms.test.mjs: what issue 18 left for the messages (issue 16) to do, over HTTP:
// the follow code of a request filed with a bare mobile goes to that mobile by SMS
// through the outbox (the number and the code sealed on the row, nothing of them in the
// monitor), and the staff queue lists the open requests by default.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api } from './lib/server.mjs';
import { district, as } from './lib/roster_api.mjs';
import { startGateway } from './lib/sms_gateway.mjs';

const ALI_SECRET = 'aliyun-test-secret-Sv18';
let srv, admin, sys, comm, community, grid, gw;
const sql = (q) => srv.sql(q);
const n = (q) => Number(sql(q));

before(async () => {
  // no background sender: the test's tick is the only one
  srv = await district({ orgs: 30, members: 120, args: ['--message-workers', '0'] });
  admin = await as(srv, 'district_admin', 1);
  sys = await as(srv, 'sysadmin');
  community = n('SELECT org_id FROM grids ORDER BY id LIMIT 1');
  grid = n(`SELECT id FROM grids WHERE org_id = ${community} ORDER BY id LIMIT 1`);
  comm = await as(srv, 'committee_admin', community);
  gw = await startGateway({ aliyunSecret: ALI_SECRET, tencentSecret: 'unused' });
});
after(async () => { await gw.close(); await srv.stop(); });

async function tick() {
  const r = await api(srv, 'POST', '/api/v1/test/messages/tick');
  assert.equal(r.status, 200, r.text);
  return r.body;
}

test('R-SVC-FOLLOW-SMS a request filed with a bare mobile sends its follow code by SMS through the outbox, sealed on the row', async () => {
  const s = await sys.call('PUT', '/api/v1/messages/settings', {
    sms_provider: 'aliyun', aliyun_endpoint: gw.url('aliyun'), aliyun_access_key_id: 'LTAI-svc', aliyun_access_key_secret: ALI_SECRET,
    aliyun_sign_name: '党建服务平台', sms_tpl_svc_follow: 'SMS_0918', quiet_start: '00:00', quiet_end: '00:00', sms_rate: 10000,
  });
  assert.equal(s.status, 200, s.text);
  const mobile = '13987654321';
  const r = await api(srv, 'POST', '/api/v1/public/services/requests', {
    body: { service_code: 'LIGHT', description: '楼道灯坏了', grid_id: grid, mobile, contact_name: '李先生' },
  });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.sms_sent, true);
  const key = `svc:follow:${r.body.id}:sms`;
  // one row, to no member or user, with the number and the code only sealed
  assert.equal(n(`SELECT COUNT(*) FROM outbox WHERE dedup_key = '${key}' AND channel = 'sms' AND state = 'queued'
    AND member_id IS NULL AND user_id IS NULL AND to_cipher IS NOT NULL AND params_cipher IS NOT NULL`), 1);
  const row = sql(`SELECT params || '|' || title || '|' || body FROM outbox WHERE dedup_key = '${key}'`);
  assert.ok(!row.includes(r.body.follow_code) && !row.includes(mobile), row);
  const mon = await admin.call('GET', '/api/v1/outbox?channel=sms&limit=200');
  assert.equal(mon.status, 200, mon.text);
  assert.ok(!mon.text.includes(r.body.follow_code) && !mon.text.includes(mobile));
  // the sender opens them and the provider gets the code for that number
  gw.requests.length = 0;
  gw.mode = 'ok';
  const t = await tick();
  assert.ok(t.sender.sent >= 1, JSON.stringify(t));
  const id = n(`SELECT id FROM outbox WHERE dedup_key = '${key}'`);
  const mine = gw.requests.filter((x) => Number(x.key) === id);
  assert.equal(mine.length, 1, JSON.stringify(gw.requests));
  assert.ok(mine[0].sigOk);
  assert.equal(mine[0].phone, mobile);
  assert.equal(mine[0].template, 'SMS_0918');
  assert.equal(mine[0].param.code, r.body.follow_code);
  assert.equal(String(mine[0].param.id), String(r.body.id));
  assert.equal(sql(`SELECT state FROM outbox WHERE id = ${id}`), 'sent');
  // the code it carried follows the request
  const f = await api(srv, 'GET', `/api/v1/public/services/requests/${r.body.id}?code=${mine[0].param.code}`);
  assert.equal(f.status, 200, f.text);
});

test('R-SVC-QUEUE-OPEN the staff queue lists the open requests by default; open=0 every state; a state filter that state', async () => {
  const done = n(`SELECT COUNT(*) FROM svc_requests WHERE org_path LIKE (SELECT path FROM orgs WHERE id = ${community}) || '%'
    AND is_open = 0`);
  assert.ok(done > 0, 'the demo has finished requests in the community');
  const def = await comm.call('GET', `/api/v1/services/requests?org_id=${community}&limit=200`);
  assert.equal(def.status, 200, def.text);
  assert.ok(def.body.items.length > 0);
  assert.ok(def.body.items.every((i) => i.open === true), JSON.stringify(def.body.items.map((i) => i.state)));
  const all = await comm.call('GET', `/api/v1/services/requests?org_id=${community}&open=0&limit=200`);
  assert.ok(all.body.items.some((i) => i.open === false));
  const completed = await comm.call('GET', `/api/v1/services/requests?org_id=${community}&state=rated&limit=200`);
  assert.ok(completed.body.items.length > 0 && completed.body.items.every((i) => i.state === 'rated'));
});
