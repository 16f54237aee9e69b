// member_masks.test.mjs: the masked ID numbers and mobiles stored at write time
// (0052_member_masks, issue 10 point 6). A list page shows members.id_masked and
// members.mobile_masked as stored, and the database holds, for every member written
// through any path (the demo's member_insert, POST, PATCH of the ID number and mobile,
// the bulk import's member_insert_sealed), exactly the mask of its sealed values.
// Rows from before 0052 (masks NULL) get them back at the next start, byte-equal to
// what the list showed. That a list page opens no ciphertext at all is checked at the
// model level (tests/unit/test_member_list.c, dj_open_count).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startServer, cli } from './lib/server.mjs';
import { district, as } from './lib/roster_api.mjs';
import { idNumber, rosterRows, writeCsv, sql } from './lib/roster.mjs';

let srv, admin, dir;

before(async () => {
  srv = await district({ orgs: 30, members: 500, seed: 5 });
  dir = srv.dir;
  admin = await as(srv, 'district_admin', 1);
});
after(async () => { await srv.stop(); });

const maskId = (s) => s.slice(0, 6) + '********' + s.slice(14);
const maskMobile = (s) => s.slice(0, 3) + '****' + s.slice(7);

// Every member of the district through the list, as "id|id_number|mobile" lines by id.
async function listAll() {
  const lines = [];
  let cursor = null, pages = 0;
  do {
    const r = await admin.call('GET', `/api/v1/members?org_id=1&state=all&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    assert.equal(r.status, 200, r.text);
    for (const m of r.body.items) lines.push([m.id, m.id_number ?? '', m.mobile ?? '']);
    cursor = r.body.next_cursor;
    assert.ok(++pages < 100, 'the walk ends');
  } while (cursor);
  return lines.sort((a, b) => a[0] - b[0]).map((l) => l.join('|')).join('\n');
}

// The same lines from the database file.
function stored() {
  return sql(dir, "SELECT id || '|' || COALESCE(id_masked, '') || '|' || COALESCE(mobile_masked, '') FROM members ORDER BY id");
}

test('member masks: every row written by demo, POST, PATCH and import stores the masks the list shows', async () => {
  const org = srv.branch(0);
  const c = await admin.call('POST', '/api/v1/members', {
    org_id: org, name: '掩码测试', id_number: idNumber('310104', '1981-02-03', 77), mobile: '13812345678',
    party_status: 'formal', joined_on: '2005-07-01', confirmed_on: '2006-07-01',
  });
  assert.equal(c.status, 201, c.text);
  const id = c.body.id;
  const newId = idNumber('440305', '1981-02-03', 78);
  const p = await admin.call('PATCH', `/api/v1/members/${id}`, { id_number: newId, mobile: '15987654321' });
  assert.equal(p.status, 200, p.text);
  assert.equal(sql(dir, `SELECT id_masked || '|' || mobile_masked FROM members WHERE id = ${id}`),
    `${maskId(newId)}|159****4321`);
  // a mobile removed leaves no mask
  const q = await admin.call('PATCH', `/api/v1/members/${id}`, { mobile: '' });
  assert.equal(q.status, 200, q.text);
  assert.equal(sql(dir, `SELECT COUNT(*) FROM members WHERE id = ${id} AND mobile_masked IS NULL`), '1');
  // the bulk path (member_seal + member_insert_sealed), through `dangjian import`
  const rows = rosterRows(40, 23);
  const file = join(dir, 'masks.csv');
  writeCsv(file, rows);
  const imp = cli(dir, ['import', file, '--org', String(srv.branch(1))]);
  assert.equal(imp.status, 0, imp.stdout + imp.stderr);
  assert.equal(JSON.parse(imp.stdout).imported, 40);
  for (const row of rows.slice(0, 5)) {
    const name = row['姓名'].replace(/'/g, "''");
    const got = sql(dir, `SELECT id_masked || '|' || COALESCE(mobile_masked, '') FROM members WHERE id_masked = '${maskId(row['身份证号码'])}' AND name = '${name}'`);
    assert.equal(got, `${maskId(row['身份证号码'])}|${row['手机号码'] ? maskMobile(row['手机号码']) : ''}`);
  }

  const listed = await listAll();
  assert.equal(listed.split('\n').length, Number(sql(dir, 'SELECT COUNT(*) FROM members')));
  assert.equal(listed, stored());
  assert.equal(sql(dir, 'SELECT COUNT(*) FROM members WHERE id_masked IS NULL'), '0');
  // masks, never full numbers (S3/S4)
  assert.doesNotMatch(listed, /\d{17}[\dXx]|(?<!\d)1[3-9]\d{9}(?!\d)/);
  // the masks are those of the sealed values: the revealed record, for a sample
  for (const line of listed.split('\n').filter((_, i) => i % 50 === 0)) {
    const [mid, idm, mm] = line.split('|');
    const r = await admin.call('GET', `/api/v1/members/${mid}?reveal=1`);
    assert.equal(r.status, 200, r.text);
    assert.equal(maskId(r.body.id_number), idm);
    assert.equal(r.body.mobile ? maskMobile(r.body.mobile) : '', mm);
  }
});

test('member masks: rows from before 0052 (masks NULL) are filled at the next start, byte-equal to the list', async () => {
  const before = await listAll();
  const n = Number(sql(dir, 'SELECT COUNT(*) FROM members'));
  await srv.stop('SIGTERM', { keep: true });
  sql(dir, 'UPDATE members SET id_masked = NULL, mobile_masked = NULL');
  assert.equal(sql(dir, 'SELECT COUNT(*) FROM members WHERE id_masked IS NULL'), String(n));
  srv = await startServer({ dir });
  srv.sql = (q) => sql(dir, q);
  admin = await as(srv, 'district_admin', 1);
  assert.match(srv.log(), new RegExp(`member masks: filled ${n} rows`));
  assert.equal(sql(dir, 'SELECT COUNT(*) FROM members WHERE id_masked IS NULL'), '0');
  assert.equal(await listAll(), before);
  assert.equal(stored(), before);
  // once: the next start has nothing to fill
  await srv.stop('SIGTERM', { keep: true });
  srv = await startServer({ dir });
  admin = await as(srv, 'district_admin', 1);
  assert.equal((srv.log().match(/member masks: filled/g) || []).length, 1);
});
