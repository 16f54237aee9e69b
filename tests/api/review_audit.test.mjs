// review_audit.test.mjs: issue 20 #17 re-audited (branch review): what the API rules of
// the point still let through. Each test fails on the main of before its change.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { district, as } from './lib/roster_api.mjs';

let srv, admin;
before(async () => {
  srv = await district({ orgs: 20, members: 40 });
  admin = await as(srv, 'district_admin', 1);
});
after(async () => { await srv.stop(); });

test('P17 an organization\'s phone: digits grouped as people write them, nothing looser', async () => {
  const b = srv.branch(0);
  for (const phone of ['--1234567', '1234567-', '12--34567', '6432  1234', '+86+13800138000', '((021))64321234',
    '021)6432 1234', '(021 64321234', '0(21)64321234', '-', '()1234567', 'abc1234567', '123456']) {
    const r = await admin.call('PATCH', `/api/v1/orgs/${b}`, { phone });
    assert.equal(r.status, 400, `${phone}: ${r.text}`);
    assert.equal(r.body.errors[0].field, 'phone');
    assert.equal(r.body.errors[0].code, 'invalid_phone');
    assert.match(r.body.errors[0].message, /联系电话/);
  }
  for (const phone of ['021-6432 1234', '(021) 64321234', '+86 138 0013 8000', '13800138000', '6432 1234-801', '021-64321234']) {
    const r = await admin.call('PATCH', `/api/v1/orgs/${b}`, { phone });
    assert.equal(r.status, 200, `${phone}: ${r.text}`);
    assert.equal(srv.sql(`SELECT phone FROM orgs WHERE id = ${b}`), phone);
  }
});

test('P17 an organization\'s code: letters and digits joined by single "-", nothing looser', async () => {
  const b = srv.branch(1);
  for (const code of ['-', '---', '-DZB1', 'DZB-', 'DZB--001', 'DZB 001', '党支部01', 'DZB_001']) {
    const r = await admin.call('PATCH', `/api/v1/orgs/${b}`, { code });
    assert.equal(r.status, 400, `${code}: ${r.text}`);
    assert.equal(r.body.errors[0].field, 'code');
    assert.match(r.body.errors[0].message, /组织代码/);
  }
  for (const code of ['DZB-001', 'A1', '310104-02-7', 'x']) {
    const r = await admin.call('PATCH', `/api/v1/orgs/${b}`, { code });
    assert.equal(r.status, 200, `${code}: ${r.text}`);
    assert.equal(srv.sql(`SELECT code FROM orgs WHERE id = ${b}`), code);
  }
  // a new organization is held to the same rule
  const r = await admin.call('POST', '/api/v1/orgs', { parent_id: srv.community(0), name: '代码测试党支部', type: '党支部', code: 'X--1', phone: '1234567-' });
  assert.equal(r.status, 400, r.text);
  assert.deepEqual(r.body.errors.map((e) => e.field).sort(), ['code', 'phone']);
  assert.equal(srv.sql("SELECT COUNT(*) FROM orgs WHERE name = '代码测试党支部'"), '0');
});
