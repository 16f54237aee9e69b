// member_counts.test.mjs: the organizations' member counters (0040_member_counts,
// 0096 n_formal, 0115 n_roster) that give a members list its `total` (every member, 在册,
// 历史, 正式 / 预备党员 on the roster) stay exact under every write path:
// create, a move to another organization, a state change, delete, an import job, and
// an organization moved under another parent; the total equals a count of the rows.
// An import into an empty roster takes the bulk path (indexes dropped and rebuilt in its
// transaction) and leaves every index as the migrations define it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPg } from './lib/server.mjs';
import { district, as, upload, waitJob } from './lib/roster_api.mjs';
import { idNumber, rosterRows, writeCsv } from './lib/roster.mjs';

let srv, admin;
before(async () => {
  srv = await district({ orgs: 40, members: 300, seed: 5 });
  admin = await as(srv, 'district_admin', 1);
});
after(async () => { await srv.stop(); });

// Every organization's counter equals a count of its member rows, and the list's total
// for org equals a count of the rows under its path.
async function exact(org) {
  const wrong = srv.sql('SELECT COUNT(*) FROM orgs o WHERE n_members <> (SELECT COUNT(*) FROM members m WHERE m.org_id = o.id)');
  assert.equal(Number(wrong), 0, 'every counter equals a count of the rows');
  // 0096: the 正式党员 on the roster of each organization (R-ORG alerts read it)
  const wrongFormal = srv.sql('SELECT COUNT(*) FROM orgs o WHERE n_formal <> (SELECT COUNT(*) FROM members m WHERE m.org_id = o.id AND (m.stats_key & 65) = 65)');
  assert.equal(Number(wrongFormal), 0, 'every formal counter equals a count of the rows');
  const wrongCommittee = srv.sql('SELECT COUNT(*) FROM orgs o WHERE n_committee <> (SELECT COUNT(*) FROM org_committee c WHERE c.org_id = o.id AND c.ended_on IS NULL)');
  assert.equal(Number(wrongCommittee), 0, 'every committee counter equals a count of the rows');
  // 0115: the members on the roster (在册) of each organization
  const wrongRoster = srv.sql('SELECT COUNT(*) FROM orgs o WHERE n_roster <> (SELECT COUNT(*) FROM members m WHERE m.org_id = o.id AND (m.stats_key & 64) = 64)');
  assert.equal(Number(wrongRoster), 0, 'every roster counter equals a count of the rows');
  for (const id of [1, org]) {
    const path = srv.sql(`SELECT path FROM orgs WHERE id = ${Number(id)}`);
    const rows = (cond) => Number(srv.sql(`SELECT COUNT(*) FROM members WHERE substr(org_path, 1, length('${path}')) = '${path}'${cond}`));
    // each total the counters give (0115): every member, 在册 (the default view), 历史,
    // 正式 / 预备党员 on the roster
    for (const [q, cond] of [['&state=all', ''], ['', ' AND (stats_key & 64) = 64'], ['&state=history', ' AND (stats_key & 64) = 0'],
      ['&party_status=formal', ' AND (stats_key & 65) = 65'], ['&party_status=probationary', ' AND (stats_key & 65) = 64']]) {
      const r = await admin.call('GET', `/api/v1/members?org_id=${id}${q}&limit=5`);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.total, rows(cond), `total of org ${id} (${q || 'roster'})`);
    }
  }
}

const person = (org, seq) => ({
  org_id: org, name: '计数党员', id_number: idNumber('110105', '1970-03-04', seq), party_status: 'formal',
  joined_on: '1995-07-01', confirmed_on: '1996-07-01', ethnicity: '01', education: '21',
});

test('member counters: exact after the demo load, create, move, state change and delete', async () => {
  const a = srv.branch(0), b = srv.branch(3);
  await exact(a);
  const c = await admin.call('POST', '/api/v1/members', person(a, 301));
  assert.equal(c.status, 201, c.text);
  await exact(a);
  const m = await admin.call('PATCH', `/api/v1/members/${c.body.id}`, { org_id: b });
  assert.equal(m.status, 200, m.text);
  await exact(a);
  await exact(b);
  const s = await admin.call('POST', `/api/v1/members/${c.body.id}/state`, { state: 'floating', date: '2026-01-05', reason: '外出务工' });
  assert.equal(s.status, 200, s.text);
  await exact(b);
  // off the roster (去世) and a 预备党员 made 正式 (0096: n_formal follows stats_key)
  const x = await admin.call('POST', '/api/v1/members', { ...person(b, 302), party_status: 'probationary', confirmed_on: undefined, joined_on: '2025-06-01' });
  assert.equal(x.status, 201, x.text);
  await exact(b);
  const f = await admin.call('PATCH', `/api/v1/members/${x.body.id}`, { party_status: 'formal', confirmed_on: '2026-06-01' });
  assert.equal(f.status, 200, f.text);
  await exact(b);
  const dead = await admin.call('POST', `/api/v1/members/${x.body.id}/state`, { state: 'deceased', date: '2026-11-20', reason: '病故', confirm: true });
  assert.ok(dead.status === 200, dead.text);
  await exact(b);
  // 出党 (开除党籍): off the roster, its 在册 and 正式 counters follow (0115)
  const y = await admin.call('POST', '/api/v1/members', person(a, 303));
  assert.equal(y.status, 201, y.text);
  await exact(a);
  const out = await admin.call('POST', `/api/v1/members/${y.body.id}/state`, { state: 'expelled', date: '2026-11-21', reason: '严重违纪', confirm: true });
  assert.equal(out.status, 200, out.text);
  await exact(a);
  // moved off the roster to another organization, then deleted
  const mo = await admin.call('PATCH', `/api/v1/members/${y.body.id}`, { org_id: b });
  if (mo.status === 200) await exact(b);
  const dy = await admin.call('DELETE', `/api/v1/members/${y.body.id}`);
  assert.ok(dy.status === 200 || dy.status === 204, dy.text);
  await exact(a);
  await exact(b);
  const d = await admin.call('DELETE', `/api/v1/members/${c.body.id}`);
  assert.ok(d.status === 200 || d.status === 204, d.text);
  await exact(b);
  // a committee replaced (0096: n_committee follows org_committee)
  const cm = await admin.call('PATCH', `/api/v1/orgs/${b}`, { committee: [
    { name: '甲', role: 'secretary', started_on: '2024-01-01' }, { name: '乙', role: 'organization', started_on: '2024-01-01' },
    { name: '丙', role: 'propaganda', started_on: '2020-01-01', ended_on: '2023-12-31' }] });
  assert.equal(cm.status, 200, cm.text);
  assert.equal(Number(srv.sql(`SELECT n_committee FROM orgs WHERE id = ${b}`)), 2);
  await exact(b);
});

test('member counters: exact after an import job and after an organization moves', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'dj-counts-'));
  const target = srv.branch(2);
  const buf = writeCsv(join(tmp, 'c.csv'), rosterRows(40, 77));
  const r = await upload(srv, admin, `/api/v1/members/import?org_id=${target}`, buf, 'text/csv');
  assert.equal(r.status, 202, r.text);
  const job = await waitJob(admin, r.body.id);
  assert.equal(job.result.imported, 40);
  await exact(target);
  // the branch moves under another community: its members' paths change, counts follow
  const to = srv.community(1);
  const mv = await admin.call('POST', `/api/v1/orgs/${target}/move`, { parent_id: to });
  assert.equal(mv.status, 200, mv.text);
  await exact(target);
  await exact(to);
});

test('import into an empty roster: the bulk load rebuilds every index and the counters stay exact', async () => {
  const empty = await district({ orgs: 12, members: 0, seed: 6 });
  try {
    const adm = await as(empty, 'district_admin', 1);
    const branch = empty.branch(0);
    // the counting trigger and the members table's indexes as the store defines them
    // (PostgreSQL: the trigger with its function's body; index definitions written as
    // SQLite's, without the schema and the default method)
    const trigger = () => empty.sql(isPg()
      ? "SELECT pg_get_triggerdef(t.oid) || ' ' || p.prosrc FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid WHERE t.tgname = 'members_count_insert'"
      : "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'members_count_insert'");
    const indexes = () => (isPg()
      ? empty.sql("SELECT string_agg(indexname || ':' || indexdef, ' | ' ORDER BY indexname) FROM pg_indexes WHERE tablename = 'members' AND indexname <> 'members_pkey'")
        .replace(/ ON public\./g, ' ON ').replace(/ USING btree/g, '')
      : empty.sql("SELECT group_concat(name || ':' || sql, ' | ') FROM (SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'members' AND sql IS NOT NULL ORDER BY name)"));
    const trig0 = trigger(), idx0 = indexes();
    assert.match(trig0, /n_members = (o\.)?n_members \+ (1|c\.n)/); // per row (SQLite) or per statement
    const rev0 = Number(empty.sql('SELECT rev FROM member_rev'));
    const buf = writeCsv(join(mkdtempSync(join(tmpdir(), 'dj-bulk-')), 'b.csv'), rosterRows(60, 78));
    const r = await upload(empty, adm, `/api/v1/members/import?org_id=${branch}`, buf, 'text/csv');
    assert.equal(r.status, 202, r.text);
    const job = await waitJob(adm, r.body.id);
    assert.equal(job.result.imported, 60);
    const idx = indexes();
    assert.equal(idx, idx0, 'every index as before the bulk load');
    // (0111_member_list_keys: the list indexes carry stats_key; 预备党员's partial index; 0114: the pinyin and stroke keys)
    for (const want of ['members_path_name:CREATE INDEX members_path_name ON members (org_path, name_pinyin, id, joined_on, stats_key, name)',
      'members_name:CREATE INDEX members_name ON members (name, id, org_path, stats_key, joined_on)',
      'members_joined:CREATE INDEX members_joined ON members (joined_on, id, org_path, stats_key, name)',
      'members_probationary:CREATE INDEX members_probationary ON members (joined_on, id, org_path, stats_key, name) WHERE ',
      'members_pinyin:CREATE INDEX members_pinyin ON members (name_pinyin, id, org_path, stats_key, joined_on, name)',
      'members_strokes:CREATE INDEX members_strokes ON members (name_strokes, id, org_path)',
      'members_org:', 'members_mobile_blind:', 'members_stats:']) assert.ok(idx.includes(want), `${want} in ${idx}`);
    assert.equal(Number(empty.sql(`SELECT n_members FROM orgs WHERE id = ${branch}`)), 60);
    // the bulk load counts once at the end instead of by the per-row trigger: the same
    // counts and revision as 60 firings, and the trigger is back as 0040 defined it
    assert.equal(Number(empty.sql('SELECT rev FROM member_rev')), rev0 + 60);
    assert.equal(trigger(), trig0);
    const list = await adm.call('GET', '/api/v1/members?org_id=1&state=all&limit=5');
    assert.equal(list.body.total, 60);
    assert.equal(list.body.items.length, 5);
    // a second import into the now non-empty roster takes the ordinary path
    const again = await upload(empty, adm, `/api/v1/members/import?org_id=${branch}`, writeCsv(join(mkdtempSync(join(tmpdir(), 'dj-bulk-')), 'c.csv'), rosterRows(10, 79)), 'text/csv');
    const j2 = await waitJob(adm, again.body.id);
    assert.equal(j2.status, 'done');
    const n = Number(empty.sql('SELECT COUNT(*) FROM members'));
    assert.equal((await adm.call('GET', '/api/v1/members?org_id=1&state=all&limit=1')).body.total, n);
    assert.equal(Number(empty.sql(`SELECT n_members FROM orgs WHERE id = ${branch}`)), n);
    assert.equal(Number(empty.sql('SELECT rev FROM member_rev')), rev0 + n);
  } finally {
    await empty.stop();
  }
});
