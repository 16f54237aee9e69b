// member_list_cache.test.mjs: issue 21 #2, a members list page kept per organization at
// its subtree's revision (0145 subtree_rev, by path; src/api/members.c page_cache). The
// page must be exact: a write in the subtree shows at once (a member's change, a new
// member, an organization's rename), a write elsewhere keeps the page (the revision of an
// organization outside the writes' paths stays), a move between organizations shows in
// both, and a page kept for one caller is not given to a caller outside its scope.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { district, as } from './lib/roster_api.mjs';
import { idNumber } from './lib/roster.mjs';

let srv, admin, sec, b1, b2, parent1;

before(async () => {
  srv = await district({ orgs: 40, members: 400, seed: 5 });
  admin = await as(srv, 'district_admin', 1);
  b1 = srv.branch(0);
  // a branch in another subtree than b1's parent
  parent1 = Number(srv.sql(`SELECT parent_id FROM orgs WHERE id = ${b1}`));
  b2 = Number(srv.sql(`SELECT o.id FROM orgs o, orgs p WHERE p.id = ${parent1} AND o.type = '党支部'
    AND NOT (o.path >= p.path AND o.path < substr(p.path, 1, length(p.path) - 1) || '0')
    AND EXISTS (SELECT 1 FROM members m WHERE m.org_id = o.id) ORDER BY o.id LIMIT 1`));
  sec = await as(srv, 'branch_secretary', b1);
  assert.ok(b1 > 0 && b2 > 0 && parent1 > 0);
});
after(async () => { await srv.stop(); });

const rev = (org) => Number(srv.sql(`SELECT COALESCE((SELECT r.rev FROM subtree_rev r, orgs o WHERE o.id = ${org} AND r.anc_path = o.path), 0)`));

async function page(s, org, extra = '') {
  const r = await s.call('GET', `/api/v1/members?org_id=${org}${extra.includes('limit=') ? '' : '&limit=20'}${extra}`);
  assert.equal(r.status, 200, r.text);
  return r.body;
}

async function firstMember(org) {
  const p = await page(admin, org);
  assert.ok(p.items.length > 0, `members in ${org}`);
  return p.items[p.items.length - 1];
}

test('R-MEM-CACHE-1 issue 21 #2: a change of a member shows at once on the pages of its organization and its ancestors', async () => {
  const m = await firstMember(b1);
  const before1 = await page(admin, b1);
  assert.deepEqual(await page(admin, b1), before1, 'the same page twice');
  await page(admin, parent1);
  const r0 = rev(parent1);
  // 阿 sorts first by pinyin: the member is on the first page of every ancestor
  const p = await admin.call('PATCH', `/api/v1/members/${m.id}`, { name: '阿阿缓存' });
  assert.equal(p.status, 200, p.text);
  assert.ok(rev(parent1) > r0, 'the ancestors’ revision rose');
  for (const org of [b1, parent1]) {
    const after1 = await page(admin, org);
    assert.equal(after1.items[0].id, m.id, `${org}: the renamed member first`);
    assert.equal(after1.items[0].name, '阿阿缓存');
  }
  const sp = await page(sec, b1);
  assert.equal(sp.items[0].name, '阿阿缓存', 'the same for another caller of the range');
});

test('R-MEM-CACHE-2 issue 21 #2: a write elsewhere in the district leaves the page and its revision', async () => {
  const kept = await page(admin, b1);
  const r1 = rev(b1);
  const other = await firstMember(b2);
  const r2 = rev(b2);
  const p = await admin.call('PATCH', `/api/v1/members/${other.id}`, { name: '别处改名' });
  assert.equal(p.status, 200, p.text);
  assert.equal(rev(b1), r1, 'b1 untouched');
  assert.ok(rev(b2) > r2, 'b2 raised');
  assert.deepEqual(await page(admin, b1), kept);
});

test('R-MEM-CACHE-3 issue 21 #2: a move between organizations shows in both; a new member and a rename at once', async () => {
  const m = await firstMember(b1);
  const from = await page(admin, b1);
  const to = await page(admin, b2);
  const mv = await admin.call('PATCH', `/api/v1/members/${m.id}`, { org_id: b2, name: '阿阿搬家' });
  assert.equal(mv.status, 200, mv.text);
  const from2 = await page(admin, b1);
  const to2 = await page(admin, b2);
  assert.equal(from2.total, from.total - 1);
  assert.ok(!from2.items.some((x) => x.id === m.id), 'gone from b1');
  assert.equal(to2.total, to.total + 1);
  assert.equal(to2.items[0].id, m.id, 'first in b2');
  assert.equal(to2.items[0].org_id, b2);

  const old = to2.items[0].org_name;
  const ren = await admin.call('PATCH', `/api/v1/orgs/${b2}`, { name: `${old}（缓存）` });
  assert.equal(ren.status, 200, ren.text);
  assert.equal((await page(admin, b2)).items[0].org_name, `${old}（缓存）`);
  assert.equal((await admin.call('PATCH', `/api/v1/orgs/${b2}`, { name: old })).status, 200);
  assert.equal((await page(admin, b2)).items[0].org_name, old);

  const c = await admin.call('POST', '/api/v1/members', { org_id: b1, name: '阿阿新来', id_number: idNumber('110106', '19900307', 917),
    party_status: 'formal', joined_on: '2015-07-01', confirmed_on: '2016-07-01', ethnicity: '01', education: '21', sex: '1',
    birth_date: '1990-03-07' });
  assert.equal(c.status, 201, c.text);
  const from3 = await page(admin, b1);
  assert.equal(from3.total, from2.total + 1);
  assert.ok(from3.items.slice(0, 2).some((x) => x.id === c.body.id), 'the new member on the first page');
});

test('R-MEM-CACHE-4 issue 21 #2: a kept page is not given outside the caller’s scope; a filter or a cursor is its own page', async () => {
  await page(admin, parent1);
  const r = await sec.call('GET', `/api/v1/members?org_id=${parent1}&limit=20`);
  assert.equal(r.status, 404, r.text);
  const all = await page(admin, b1);
  const formal = await page(admin, b1, '&party_status=formal');
  assert.ok(formal.items.every((x) => x.party_status === 'formal'));
  const small = await page(admin, b1, '&limit=2');
  assert.equal(small.items.length, Math.min(2, all.total));
  if (small.next_cursor) {
    const next = await page(admin, b1, `&limit=2&cursor=${encodeURIComponent(small.next_cursor)}`);
    assert.notEqual(next.items[0].id, small.items[0].id);
  }
});
