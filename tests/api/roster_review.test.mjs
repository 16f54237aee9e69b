// roster_review.test.mjs: issue 20, the roster as its users meet it. One test per
// numbered point of the issue ("P01 …" is point 1), each failing on the main of before.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { district, as } from './lib/roster_api.mjs';
import { idNumber } from './lib/roster.mjs';

let srv, admin, sec, secadmin;
before(async () => {
  srv = await district({ orgs: 40, members: 200 });
  admin = await as(srv, 'district_admin', 1);
  sec = await as(srv, 'branch_secretary', srv.branch(0));
  secadmin = await as(srv, 'secadmin');
});
after(async () => { await srv.stop(); });

test('P01 安全管理员 picks an organization for a role: names and paths, no members', async () => {
  assert.equal((await secadmin.call('GET', '/api/v1/orgs')).status, 403); // the roster stays closed
  const roots = await secadmin.call('GET', '/api/v1/orgs/picker');
  assert.equal(roots.status, 200, roots.text);
  assert.ok(roots.body.items.length >= 1);
  assert.ok(roots.body.items.every((o) => o.parent_id === null && typeof o.child_count === 'number'));
  const root = roots.body.items[0];
  const kids = await secadmin.call('GET', `/api/v1/orgs/picker?parent_id=${root.id}&limit=2`);
  assert.equal(kids.status, 200);
  assert.equal(kids.body.items.length, 2);
  assert.ok(kids.body.total > 2 || kids.body.next_cursor === null);
  assert.deepEqual(kids.body.items[0].path_names, [root.name]);
  const b = srv.branch(0);
  const name = srv.sql(`SELECT name FROM orgs WHERE id = ${b}`);
  const found = await secadmin.call('GET', `/api/v1/orgs/picker?q=${encodeURIComponent(name)}`);
  const hit = found.body.items.find((o) => o.id === b);
  assert.ok(hit, found.text);
  assert.ok(hit.path_names.length >= 2 && hit.path_names[0] === root.name, JSON.stringify(hit));
  for (const k of ['member_count', 'formal_count', 'domain', 'secretary', 'phone']) assert.ok(!(k in hit), k);
  // the picked organization is then assigned
  const someone = await as(srv, 'member', b);
  const users = await secadmin.call('GET', `/api/v1/users?q=${someone.username}`);
  const target = users.body.items.find((x) => x.username === someone.username);
  const put = await secadmin.call('PUT', `/api/v1/users/${target.id}/roles`, { roles: [{ role: 'branch_secretary', org_id: b }] });
  assert.equal(put.status, 200, put.text);
  assert.equal((await sec.call('GET', '/api/v1/orgs/picker')).status, 403); // role.assign only
});

test('P02 search finds a whole ID number or mobile through the blind index', async () => {
  let seq = 400;
  while (!idNumber('110101', '1985-03-07', seq).endsWith('X')) seq++;
  const id = idNumber('110101', '1985-03-07', seq);
  const made = await admin.call('POST', '/api/v1/members', {
    org_id: srv.branch(1), name: '检索测试', id_number: id, ethnicity: '01', mobile: '13912345678',
    education: '21', party_status: 'formal', joined_on: '2010-07-01', confirmed_on: '2011-07-01',
  });
  assert.equal(made.status, 201, made.text);
  for (const q of [id, id.toLowerCase(), ` ${id} `, '13912345678']) {
    const r = await admin.call('GET', `/api/v1/members?q=${encodeURIComponent(q)}`);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.items.map((m) => m.id), [made.body.id], q);
    assert.equal(r.body.total, 1, q);
  }
  // a part of a number matches nothing (sealed values are matched whole), and scope holds
  const part = await admin.call('GET', `/api/v1/members?q=${id.slice(0, 10)}`);
  assert.equal(part.body.total, 0);
  const other = await sec.call('GET', `/api/v1/members?q=${id}`);
  assert.equal(other.body.total, 0);
  assert.deepEqual(other.body.items, []);
});
