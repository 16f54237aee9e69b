// import_mapping_list.test.mjs: issue 20 #9, the saved column mappings as the import
// wizard lists and deletes them (GET /api/v1/import-mappings?org_id=, DELETE
// /api/v1/import-mappings/{id}; api/import_maps.c). The list is what an import at the
// organization applies: mappings saved there or above, nearest first, with the
// organization's name, the headers, the mapped fields (Chinese labels), who saved it and
// when, and whether the caller may delete it. A delete is only within the caller's
// scope (an ancestor's or a foreign organization's mapping answers 404 and stays),
// audited; after it the same headers ask for their columns again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { district, as, upload, waitJob } from './lib/roster_api.mjs';
import { rosterRows, writeCsv, HEADERS } from './lib/roster.mjs';

let srv, admin, committee, secretary, tmp, community, branch, otherCommunity, otherBranch;
before(async () => {
  srv = await district({ orgs: 30, members: 40, seed: 7 });
  tmp = mkdtempSync(join(tmpdir(), 'dj-imaplist-'));
  // a community with a branch below it, and a branch under another community
  community = srv.community(0);
  otherCommunity = srv.community(1);
  const under = (c) => Number(srv.sql(`SELECT b.id FROM orgs b JOIN orgs c ON c.id = ${c} WHERE b.type = '党支部' AND b.path LIKE c.path || '%' ORDER BY b.id LIMIT 1`));
  branch = under(community);
  otherBranch = Number(srv.sql(`SELECT b.id FROM orgs b JOIN orgs c ON c.id = ${community} WHERE b.type = '党支部' AND b.path NOT LIKE c.path || '%' ORDER BY b.id LIMIT 1`));
  assert.ok(branch > 0 && otherBranch > 0 && otherCommunity > 0);
  admin = await as(srv, 'district_admin', 1);
  committee = await as(srv, 'committee_admin', community);
  secretary = await as(srv, 'branch_secretary', branch);
});
after(async () => { await srv.stop(); });

// two systems' files: different headers, so two signatures
const A = { 姓名: '党员名字', 身份证号码: '证件号', 入党时间: '何时入党' };
const B = { 姓名: '名字', 身份证号码: '公民号', 入党时间: '入党日' };
function file(rename, name) {
  const heads = ['工号', ...HEADERS.map((h) => rename[h] || h)];
  const rows = rosterRows(2, 71).map((r, i) => {
    const o = { 工号: `E${i}` };
    for (const h of HEADERS) o[rename[h] || h] = r[h];
    return o;
  });
  const buf = writeCsv(join(tmp, name), rows, { headers: heads });
  const mapping = { 0: '', [heads.indexOf(rename.姓名)]: 'name', [heads.indexOf(rename.身份证号码)]: 'id_number', [heads.indexOf(rename.入党时间)]: 'joined_on' };
  return { buf, heads, mapping };
}
async function save(s, org, f) {
  const r = await upload(srv, s, `/api/v1/members/import?org_id=${org}&format=csv&dry_run=1&mapping=${encodeURIComponent(JSON.stringify(f.mapping))}`, f.buf, 'text/csv');
  assert.equal(r.status, 202, r.text);
  await waitJob(s, r.body.id);
}
const preview = (s, org, f) => upload(srv, s, `/api/v1/members/import/preview?org_id=${org}&format=csv`, f.buf, 'text/csv');
const list = (s, org) => s.call('GET', `/api/v1/import-mappings?org_id=${org}`);

test('R-IMP-MAP-07 issue 20 #9: the saved mappings an import at an organization applies: its own and its ancestors\', nearest first, with headers, fields, who and when', async () => {
  const fa = file(A, 'a.csv'), fb = file(B, 'b.csv');
  await save(admin, branch, fa) // remembered at the district (the admin's role)
  await save(committee, branch, fb) // remembered at the community
  const r = await list(committee, branch);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.items.length, 2);
  const [near, far] = r.body.items;
  assert.equal(near.org_id, community, 'the nearest organization first');
  assert.equal(far.org_id, 1);
  assert.equal(near.org_name, srv.sql(`SELECT name FROM orgs WHERE id = ${community}`));
  assert.deepEqual(near.headers, fb.heads);
  assert.deepEqual(near.fields.map((f) => [f.header, f.field, f.label]).sort(),
    [['名字', 'name', '姓名'], ['公民号', 'id_number', '身份证号码'], ['入党日', 'joined_on', '入党时间']].sort());
  assert.equal(near.skipped, 1, '工号 set to 不导入');
  assert.equal(near.updated_by.name, srv.sql(`SELECT name FROM users WHERE id = ${near.updated_by.id}`));
  assert.match(near.updated_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(near.deletable, true, 'its own community\'s');
  assert.equal(far.deletable, false, 'the district\'s is above the committee admin\'s scope');
  // the district admin sees both at the branch, and only the district's at the root
  assert.deepEqual((await list(admin, branch)).body.items.map((i) => [i.org_id, i.deletable]), [[community, true], [1, true]]);
  assert.deepEqual((await list(admin, 1)).body.items.map((i) => i.org_id), [1]);
  // another community's branch: outside the committee admin's scope
  assert.equal((await list(committee, otherBranch)).status, 404);
  assert.equal((await list(committee, community)).body.items.length, 2);
  // org_id is required; a role without member.import may not list
  const bad = await committee.call('GET', '/api/v1/import-mappings');
  assert.equal(bad.status, 400, bad.text);
  assert.equal((await list(secretary, branch)).status, 403);
});

test('R-IMP-MAP-08 issue 20 #9: a saved mapping is deleted only within the caller\'s scope, audited; the same headers then ask again', async () => {
  const items = (await list(admin, branch)).body.items;
  const mine = items.find((i) => i.org_id === community), top = items.find((i) => i.org_id === 1);
  const n0 = Number(srv.sql('SELECT COUNT(*) FROM import_mappings'));
  // the district's mapping is above the committee admin: 404 as a missing one, and it stays
  const up = await committee.call('DELETE', `/api/v1/import-mappings/${top.id}`);
  assert.equal(up.status, 404, up.text);
  assert.equal(up.body.code, 'not_found');
  // one of another community: 404 too
  const foreign = Number(srv.sql(`INSERT INTO import_mappings (org_id, signature, headers, mapping, updated_by, updated_at) VALUES (${otherCommunity}, 'x', '["甲"]', '{"0":""}', 1, 0) RETURNING id`));
  assert.equal((await committee.call('DELETE', `/api/v1/import-mappings/${foreign}`)).status, 404);
  assert.equal((await admin.call('DELETE', '/api/v1/import-mappings/999999')).status, 404);
  assert.equal((await secretary.call('DELETE', `/api/v1/import-mappings/${mine.id}`)).status, 403);
  assert.equal(Number(srv.sql('SELECT COUNT(*) FROM import_mappings')), n0 + 1, 'nothing deleted');
  // the file saved at the community comes pre-mapped until its mapping is deleted
  const fb = file(B, 'b2.csv');
  assert.equal((await preview(committee, branch, fb)).body.saved, true);
  const del = await committee.call('DELETE', `/api/v1/import-mappings/${mine.id}`);
  assert.equal(del.status, 204, del.text);
  assert.equal(Number(srv.sql(`SELECT COUNT(*) FROM import_mappings WHERE id = ${mine.id}`)), 0);
  assert.equal(Number(srv.sql(`SELECT COUNT(*) FROM audit_log WHERE action = 'member.import_mapping_delete' AND org_id = ${community} AND summary LIKE '%#${mine.id}%'`)), 1, 'audited');
  const pv = await preview(committee, branch, fb);
  assert.equal(pv.body.saved, false);
  assert.equal(pv.body.needs_mapping, true, 'asks for the columns again');
  assert.deepEqual((await list(committee, branch)).body.items.map((i) => i.id), [top.id]);
  assert.equal((await committee.call('DELETE', `/api/v1/import-mappings/${mine.id}`)).status, 404, 'gone');
  // the district admin may delete the district's
  assert.equal((await admin.call('DELETE', `/api/v1/import-mappings/${top.id}`)).status, 204);
  assert.deepEqual((await list(admin, branch)).body.items, []);
});
