// orgs.test.mjs: the organization tree over HTTP: create with validation, the record
// with counts, committee and alerts (R-ORG-01…05 computed and exposed), the subtree,
// move (no cycles; paths of the subtree and its members rewritten), delete only when
// empty, grids and buildings, and scope (a foreign organization is a missing one).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { problemOk, isPg } from './lib/server.mjs';
import { district, as } from './lib/roster_api.mjs';
import { idNumber } from './lib/roster.mjs';

let srv, admin, sec;
before(async () => {
  srv = await district({ orgs: 40, members: 200 });
  admin = await as(srv, 'district_admin', 1);
  sec = await as(srv, 'branch_secretary', srv.branch(0));
});
after(async () => { await srv.stop(); });

const today = () => new Date().toISOString().slice(0, 10);
const yearsAgo = (y, days = 0) => {
  const d = new Date(); d.setUTCFullYear(d.getUTCFullYear() - y); d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
};

// 统一社会信用代码 (GB 32100) with its check character.
function creditCode(first17) {
  const cs = '0123456789ABCDEFGHJKLMNPQRTUWXY';
  const w = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += cs.indexOf(first17[i]) * w[i];
  return first17 + cs[(31 - (sum % 31)) % 31];
}

async function newOrg(body) {
  const r = await admin.call('POST', '/api/v1/orgs', { parent_id: 1, type: '党支部', domain: '非公企业', name: `测试支部${Math.random()}`, ...body });
  assert.equal(r.status, 201, r.text);
  return r.body;
}

test('create: types, domains and the 两新 flag; field errors in Chinese', async () => {
  const o = await newOrg({ name: '上海某科技有限公司党支部', credit_code: creditCode('91310104MA1FL1234') });
  assert.equal(o.credit_code, creditCode('91310104MA1FL1234'));
  assert.equal(o.two_new, true);
  assert.equal(o.parent_id, 1);
  const bad = await admin.call('POST', '/api/v1/orgs', { parent_id: 1, name: '', type: '党员之家', domain: '火星', credit_code: '123' });
  problemOk(null, bad, 400, 'validation_failed');
  for (const f of ['name', 'type', 'domain', 'credit_code']) assert.ok(bad.body.errors.some((e) => e.field === f), f);
  // without a domain a new organization takes its parent's
  const inherit = await admin.call('POST', '/api/v1/orgs', { parent_id: o.id, name: '继承领域党小组', type: '党小组' });
  assert.equal(inherit.status, 201, inherit.text);
  assert.equal(inherit.body.domain, '非公企业');
  assert.equal(inherit.body.two_new, true);
  const child = await admin.call('POST', '/api/v1/orgs', { parent_id: o.id, name: '第一党小组', type: '党小组', domain: '非公企业' });
  assert.equal(child.status, 201);
  const under = await admin.call('POST', '/api/v1/orgs', { parent_id: child.body.id, name: 'x', type: '党小组', domain: '其他' });
  assert.ok(under.body.errors.some((e) => e.field === 'parent_id' && e.code === 'invalid_parent'));
  const denied = await sec.call('POST', '/api/v1/orgs', { parent_id: srv.branch(0), name: 'x', type: '党小组', domain: '其他' });
  problemOk(null, denied, 403, 'forbidden'); // 支部书记 lacks org.write
});

test('R-ORG-01 term end by type and domain; R-ORG-02 alert 6 months before; R-ORG-03 overdue and extension ≤ 1 year', async () => {
  const due = await newOrg({ domain: '机关', term_started_on: yearsAgo(3, 30) }); // ends in 30 days
  assert.equal(due.term_years, 3);
  assert.ok(due.alerts.some((a) => a.code === 'term_due'), JSON.stringify(due.alerts));
  const comm = await newOrg({ type: '党委', domain: '社区', term_started_on: yearsAgo(2) });
  assert.equal(comm.term_years, 5);
  assert.equal(comm.alerts.length, 0);
  const over = await newOrg({ domain: '国企', term_started_on: yearsAgo(3, -10) });
  assert.ok(over.alerts.some((a) => a.code === 'term_overdue'));
  const tooLong = await admin.call('PATCH', `/api/v1/orgs/${over.id}`, { extended_until: yearsAgo(-2), extension_reason: '上级批准' });
  assert.ok(tooLong.body.errors.some((e) => e.field === 'extended_until' && e.code === 'R-ORG-03'), tooLong.text);
  const ext = await admin.call('PATCH', `/api/v1/orgs/${over.id}`, { extended_until: yearsAgo(-1, -20), extension_reason: '上级批准延期' });
  assert.equal(ext.status, 200, ext.text);
  assert.ok(!ext.body.alerts.some((a) => a.code === 'term_overdue'));
  const list = await admin.call('GET', '/api/v1/orgs/alerts');
  assert.ok(list.body.items.some((a) => a.org_id === due.id && a.code === 'term_due'));
  // an extension that has itself run out: overdue again
  const lapsed = await admin.call('PATCH', `/api/v1/orgs/${over.id}`, { extended_until: yearsAgo(0, -5) });
  assert.equal(lapsed.status, 200, lapsed.text);
  assert.ok(lapsed.body.alerts.some((a) => a.code === 'term_overdue'));
});

test('R-ORG-04 a branch with ≥ 7 正式党员 needs a committee of 3–7; R-ORG-05 fewer than 3 is too few', async () => {
  const b = await newOrg({ domain: '非公企业', term_started_on: yearsAgo(1) });
  assert.ok(b.alerts.some((a) => a.code === 'too_few_members'));
  for (let i = 0; i < 7; i++) {
    const r = await admin.call('POST', '/api/v1/members', {
      org_id: b.id, name: `委员候选${i}`, id_number: idNumber('330106', `1985-02-${String(10 + i)}`, 100 + i * 2 + 1),
      party_status: 'formal', joined_on: '2010-07-01', confirmed_on: '2011-07-01',
    });
    assert.equal(r.status, 201, r.text);
  }
  const seven = await admin.call('GET', `/api/v1/orgs/${b.id}`);
  assert.equal(seven.body.formal_count, 7);
  assert.equal(seven.body.member_count, 7);
  assert.deepEqual(seven.body.subtree, { member_count: 7, formal_count: 7, probationary_count: 0 });
  // the parent's record counts its own members; its subtree counts include these seven
  const parent = await admin.call('GET', `/api/v1/orgs/${seven.body.parent_id}`);
  assert.ok(parent.body.subtree.member_count >= parent.body.member_count + 7, parent.text);
  assert.ok(parent.body.subtree.formal_count >= 7);
  assert.ok(seven.body.alerts.some((a) => a.code === 'committee_required'));
  assert.ok(!seven.body.alerts.some((a) => a.code === 'too_few_members'));
  const c = await admin.call('PATCH', `/api/v1/orgs/${b.id}`, { committee: [
    { name: '委员候选0', role: 'secretary', started_on: yearsAgo(1) },
    { name: '委员候选1', role: 'organization' }, { name: '委员候选2', role: 'propaganda' }] });
  assert.equal(c.status, 200, c.text);
  assert.equal(c.body.committee.length, 3);
  assert.ok(!c.body.alerts.some((a) => a.code === 'committee_required'));
  const alerts = await admin.call('GET', `/api/v1/orgs/alerts?org_id=${b.id}`);
  assert.ok(!alerts.body.items.some((a) => a.code === 'committee_required'));
});

test('tree and move: no cycles; the subtree’s paths and its members’ paths rewritten', async () => {
  const comm = srv.community(0);
  const t = await admin.call('GET', `/api/v1/orgs/${comm}/tree?depth=1`);
  assert.equal(t.status, 200);
  assert.ok(t.body.children.length > 0 && t.body.children.every((c) => c.children.length === 0));
  const grid = t.body.children[0];
  const deep = await admin.call('GET', `/api/v1/orgs/${comm}/tree?depth=2`);
  assert.ok(deep.body.children.some((c) => c.children.length > 0));
  const cycle = await admin.call('POST', `/api/v1/orgs/${comm}/move`, { parent_id: grid.id });
  problemOk(null, cycle, 409, 'move_cycle');
  const self = await admin.call('POST', `/api/v1/orgs/${comm}/move`, { parent_id: comm });
  problemOk(null, self, 409, 'move_cycle');
  const target = srv.community(1);
  const before = Number(srv.sql(`SELECT COUNT(*) FROM members m JOIN orgs o ON o.id = m.org_id WHERE o.path LIKE (SELECT path FROM orgs WHERE id = ${grid.id}) || '%'`));
  const mv = await admin.call('POST', `/api/v1/orgs/${grid.id}/move`, { parent_id: target });
  assert.equal(mv.status, 200, mv.text);
  assert.equal(mv.body.parent_id, target);
  assert.equal(srv.sql('SELECT COUNT(*) FROM members m JOIN orgs o ON o.id = m.org_id WHERE m.org_path <> o.path'), '0');
  assert.equal(srv.sql(`SELECT COUNT(*) FROM orgs WHERE path LIKE (SELECT path FROM orgs WHERE id = ${target}) || '${grid.id}/%'`) >= '1', true);
  const inTarget = await admin.call('GET', `/api/v1/members?org_id=${target}&limit=200`);
  assert.ok(inTarget.body.total >= before);
  if (!isPg()) assert.equal(srv.sql('PRAGMA integrity_check'), 'ok');
});

test('delete only when empty; 409 org_not_empty otherwise', async () => {
  const full = await admin.call('DELETE', `/api/v1/orgs/${srv.community(2)}`);
  problemOk(null, full, 409, 'org_not_empty');
  const e = await newOrg({ domain: '其他' });
  const g = await admin.call('POST', `/api/v1/orgs/${e.id}/grids`, { name: '第一网格' });
  assert.equal(g.status, 201);
  const b = await admin.call('POST', `/api/v1/orgs/${e.id}/grids/${g.body.id}/buildings`, { name: '1号楼', address: '长乐路1号' });
  assert.equal(b.status, 201, b.text);
  const bl = await admin.call('GET', `/api/v1/orgs/${e.id}/grids/${g.body.id}/buildings`);
  assert.equal(bl.body.items[0].name, '1号楼');
  const d = await admin.call('DELETE', `/api/v1/orgs/${e.id}`);
  assert.equal(d.status, 204, d.text);
  problemOk(null, await admin.call('GET', `/api/v1/orgs/${e.id}`), 404, 'not_found');
});

test('list, search and scope: a foreign organization answers 404', async () => {
  const roots = await sec.call('GET', '/api/v1/orgs');
  assert.deepEqual(roots.body.items.map((o) => o.id), [srv.branch(0)]);
  const all = await admin.call('GET', '/api/v1/orgs?type=党支部&limit=200');
  assert.equal(all.body.items.length, Number(srv.sql("SELECT COUNT(*) FROM orgs WHERE type = '党支部'")));
  const kids = await admin.call('GET', '/api/v1/orgs?parent_id=1&limit=200');
  assert.equal(kids.body.items.length, Number(srv.sql('SELECT COUNT(*) FROM orgs WHERE parent_id = 1')));
  const q = await admin.call('GET', `/api/v1/orgs?q=${encodeURIComponent('网格')}`);
  assert.ok(q.body.items.length > 0 && q.body.items.every((o) => o.name.includes('网格')));
  for (const path of [`/api/v1/orgs/${srv.branch(1)}`, `/api/v1/orgs/${srv.branch(1)}/tree`, `/api/v1/orgs/${srv.branch(1)}/grids`, '/api/v1/orgs/999999']) {
    problemOk(null, await sec.call('GET', path), 404, 'not_found');
  }
  const own = await sec.call('GET', `/api/v1/orgs/${srv.branch(0)}`);
  assert.equal(own.status, 200);
  assert.equal(typeof own.body.member_count, 'number');
  const codes = await sec.call('GET', '/api/v1/codes/org_type');
  assert.deepEqual(codes.body.items.map((c) => c.code), ['党委', '党工委', '党总支', '党支部', '联合党支部', '党小组']);
  problemOk(null, await sec.call('GET', '/api/v1/codes/nope'), 404, 'not_found');
  const eth = await sec.call('GET', '/api/v1/codes/ethnicity');
  assert.equal(eth.body.items.length, 58);
});
