// dashboard_cache.test.mjs: the dashboard's and the indicator table's kept texts (model/
// revcache.c revtext, issue 19 performance): the children's members come from the
// organizations' counters (0115) and equal a direct count after writes; a caller's own
// write shows at once; after the kept time (replica_max_lag_ms, 200 ms here) the text is
// rebuilt (on a thread of its own when a text of a moment before can be answered) and
// every reader reaches the current figures.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { district, as } from './lib/roster_api.mjs';
import { idNumber } from './lib/roster.mjs';

let srv, admin;
before(async () => {
  srv = await district({ orgs: 40, members: 400, seed: 7, args: ['--replica-max-lag-ms', '200'] });
  admin = await as(srv, 'district_admin', 1);
});
after(async () => { await srv.stop(); });

const num = (q) => Number(srv.sql(q));
const within = (id) => {
  const p = srv.sql(`SELECT path FROM orgs WHERE id = ${id}`);
  return `org_path >= '${p}' AND org_path < '${p.slice(0, -1)}0'`;
};
const fig = (body, key) => body.figures.find((f) => f.key === key).value.num;
const rosterTotal = () => num('SELECT COUNT(*) FROM members WHERE (stats_key & 64) = 64');

async function dashboard(who = admin) {
  const r = await who.call('GET', '/api/v1/dashboard?org_id=1');
  assert.equal(r.status, 200, r.text);
  return r.body;
}

function childrenMatch(body) {
  assert.ok(body.children.length > 0, 'the district has children');
  for (const c of body.children) {
    const members = num(`SELECT COUNT(*) FROM members WHERE ${within(c.id)} AND (stats_key & 64) = 64`);
    const formal = num(`SELECT COUNT(*) FROM members WHERE ${within(c.id)} AND (stats_key & 65) = 65`);
    assert.equal(c.members, members, `members of ${c.id}`);
    assert.equal(c.formal, formal, `formal of ${c.id}`);
    assert.equal(c.probationary, members - formal, `probationary of ${c.id}`);
  }
}

test('R-DASH-PERF-01 the children’s members, read from the organizations’ counters, equal a direct count after writes', async () => {
  const b0 = await dashboard();
  childrenMatch(b0);
  const [k0, k1] = b0.children.map((c) => c.id);
  // a member of the first child moved into the second's subtree, another taken off the roster
  const to = srv.sql(`SELECT id || '|' || path FROM orgs WHERE ${within(k1).replaceAll('org_path', 'path')} ORDER BY path DESC LIMIT 1`).split('|');
  const ids = srv.sql(`SELECT id FROM members WHERE ${within(k0)} AND (stats_key & 64) = 64 ORDER BY id LIMIT 2`).split('\n');
  assert.equal(ids.length, 2);
  srv.sql(`UPDATE members SET org_id = ${to[0]}, org_path = '${to[1]}' WHERE id = ${ids[0]}`);
  srv.sql(`UPDATE members SET stats_key = stats_key - 64 WHERE id = ${ids[1]}`);
  // written by someone else (here: SQL): the text of a moment before may be answered
  // while the rebuild runs aside; the current one follows
  let b1 = await dashboard();
  for (let i = 0; i < 50 && fig(b1, 'members.total') !== rosterTotal(); i++) {
    await new Promise((r) => setTimeout(r, 100));
    b1 = await dashboard();
  }
  childrenMatch(b1);
  assert.equal(fig(b1, 'members.total'), rosterTotal());
  assert.equal(fig(b1, 'members.total'), fig(b0, 'members.total') - 1);
});

test('R-DASH-PERF-02 a caller’s own write shows at once; after the kept time every reader has the current figures', async () => {
  const other = await as(srv, 'district_admin', 1);
  const before = fig(await dashboard(), 'members.total');
  await dashboard(other);
  const t0 = await admin.call('GET', '/api/v1/indicators?org_id=1');
  assert.equal(t0.status, 200, t0.text);
  const branch = srv.branch(0);
  const c = await admin.call('POST', '/api/v1/members', {
    org_id: branch, name: '首页缓存测试', id_number: idNumber('110101', '1990-03-04', 517), party_status: 'formal',
    joined_on: '2015-07-01', confirmed_on: '2016-07-01',
  });
  assert.equal(c.status, 201, c.text);
  assert.equal(fig(await dashboard(), 'members.total'), before + 1, 'the writer’s dashboard');
  const t1 = await admin.call('GET', '/api/v1/indicators?org_id=1');
  assert.equal(t1.body.items.find((i) => i.key === 'members.total').value.num, before + 1, 'the writer’s table');
  // readers at once, many together: each gets an answer (the text of a moment before,
  // or the current one), and within a bounded number of rounds the current one
  let seen = 0;
  for (let round = 0; round < 50 && seen !== before + 1; round++) {
    const all = await Promise.all(Array.from({ length: 6 }, () => dashboard(other)));
    for (const b of all) assert.ok([before, before + 1].includes(fig(b, 'members.total')));
    seen = fig(all[5], 'members.total');
    if (seen !== before + 1) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(seen, before + 1, 'another reader reaches the current figure');
  // after the kept time a rebuild runs aside while the text of a moment before is answered
  await new Promise((r) => setTimeout(r, 300));
  const again = await Promise.all(Array.from({ length: 6 }, () => dashboard(other)));
  for (const b of again) assert.equal(fig(b, 'members.total'), before + 1);
  childrenMatch(again[0]);
});
