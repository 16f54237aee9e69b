// subtree_rev.test.mjs: the roster's figures and alerts kept per organization subtree at
// its own revision (0145 subtree_rev, model/ind_members.c; issue 19, 首页 cold after a
// write). With nothing else kept (--replica-max-lag-ms 0: no kept answer, no kept
// figure), every dashboard is built from the subtree sums; after each kind of write —
// an addition, a move between streets, a removal, a member off the roster, an
// organization's domain, an organization's term — the district's and each affected
// street's member figures, charts, children and alerts equal a direct count.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { district, as } from './lib/roster_api.mjs';
import { idNumber } from './lib/roster.mjs';

let srv, admin;
before(async () => {
  srv = await district({ orgs: 60, members: 600, seed: 11, args: ['--replica-max-lag-ms', '0'] });
  admin = await as(srv, 'district_admin', 1);
});
after(async () => { await srv.stop(); });

const num = (q) => Number(srv.sql(q));
const pathOf = (id) => srv.sql(`SELECT path FROM orgs WHERE id = ${id}`);
const range = (p, col = 'm.org_path') => `${col} >= '${p}' AND ${col} < '${p.slice(0, -1)}0'`;
const today = () => new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);
const addYears = (d, n) => `${String(Number(d.slice(0, 4)) + n).padStart(4, '0')}${d.slice(4)}`;

// the truth over the subtree at path p, from the rows (on the roster: stats_key bit 64),
// in one statement (each psql start is slow on a loaded box)
const KEYS = ['members.total', 'members.formal', 'members.probationary', 'members.female', 'members.minority',
  'members.college_plus', 'members.under_35', 'members.two_new'];
function truth(p) {
  const y35 = addYears(today(), -35);
  const conds = ['1 = 1', '(m.stats_key & 1) = 1', '(m.stats_key & 1) = 0', "m.sex = '2'", "m.ethnicity <> '01'",
    "m.education >= '10' AND m.education < '40'", `m.birth_date > '${y35}'`, 'm.two_new = 1'];
  const row = srv.sql(`SELECT ${conds.map((c) => `SUM(CASE WHEN ${c} THEN 1 ELSE 0 END)`).join(', ')} FROM members m WHERE ${range(p)} AND (m.stats_key & 64) = 64`).split('|');
  return Object.fromEntries(KEYS.map((k, i) => [k, Number(row[i] || 0)]));
}
function domains(p) {
  const out = {};
  const rows = srv.sql(`SELECT o.domain, COUNT(*) FROM members m JOIN orgs o ON o.id = m.org_id WHERE ${range(p)} AND (m.stats_key & 64) = 64 AND o.domain IS NOT NULL GROUP BY o.domain`);
  for (const line of rows.split('\n').filter(Boolean)) {
    const [d, n] = line.split('|');
    out[d] = Number(n);
  }
  return out;
}
// each child's 在册 and 正式党员: id → [members, formal]
function childCounts(org) {
  const out = {};
  const rows = srv.sql(`SELECT c.id, (SELECT COUNT(*) FROM members m WHERE m.org_path >= c.path AND m.org_path < substr(c.path, 1, length(c.path) - 1) || '0' AND (m.stats_key & 64) = 64), (SELECT COUNT(*) FROM members m WHERE m.org_path >= c.path AND m.org_path < substr(c.path, 1, length(c.path) - 1) || '0' AND (m.stats_key & 65) = 65) FROM orgs c WHERE c.parent_id = ${org}`);
  for (const line of rows.split('\n').filter(Boolean)) {
    const [id, n, f] = line.split('|').map(Number);
    out[id] = [n, f];
  }
  return out;
}

async function dashboard(org) {
  const r = await admin.call('GET', `/api/v1/dashboard?org_id=${org}`);
  assert.equal(r.status, 200, r.text);
  return r.body;
}

// the figures, charts and children of org's dashboard against direct counts; its alerts
// against the organizations page's own (uncached) alert list
async function check(org, what) {
  const b = await dashboard(org);
  const al = await admin.call('GET', `/api/v1/orgs/alerts?org_id=${org}`);
  assert.equal(al.status, 200, al.text);
  assert.equal(b.alerts.count, al.body.items.length, `${what}: alerts of ${org}`);
  assert.deepEqual(b.alerts.items.map((x) => [x.org_id, x.code]), al.body.items.slice(0, 20).map((x) => [x.org_id, x.code]), `${what}: the first alerts of ${org}`);
  const p = pathOf(org);
  const t = truth(p);
  for (const [k, v] of Object.entries(t))
    assert.equal(b.figures.find((f) => f.key === k).value.num, v, `${what}: ${k} of ${org}`);
  const doms = domains(p);
  for (const [d, n] of Object.entries(b.charts.domain))
    assert.equal(n, doms[d] || 0, `${what}: domain ${d} of ${org}`);
  const kids = childCounts(org);
  for (const c of b.children) {
    assert.equal(c.members, kids[c.id][0], `${what}: child ${c.id}`);
    assert.equal(c.formal, kids[c.id][1], `${what}: child ${c.id} formal`);
  }
  return b;
}

test('R-DASH-PERF-04 the subtree sums equal direct counts after additions, moves, removals, roster and domain changes', async () => {
  const b0 = await check(1, 'start');
  const streets = b0.children.map((c) => c.id);
  assert.ok(streets.length >= 2, 'the district has two streets at least');
  for (const s of streets.slice(0, 2)) await check(s, 'start');
  const leafIn = (s) => srv.sql(`SELECT id || '|' || path FROM orgs WHERE ${range(pathOf(s), 'path')} AND type = '党支部' ORDER BY id LIMIT 1`).split('|');
  const [a, b] = [leafIn(streets[0]), leafIn(streets[1])];
  // an addition (the API)
  const c = await admin.call('POST', '/api/v1/members', {
    org_id: Number(a[0]), name: '子树修订', id_number: idNumber('110101', '1995-03-04', 612), party_status: 'probationary',
    joined_on: '2026-06-01', sex: '2', ethnicity: '03', education: '21',
  });
  assert.equal(c.status, 201, c.text);
  for (const o of [1, streets[0], streets[1]]) await check(o, 'addition');
  // a move between streets
  const mid = srv.sql(`SELECT id FROM members m WHERE ${range(pathOf(streets[0]))} AND (m.stats_key & 64) = 64 ORDER BY id LIMIT 1`);
  srv.sql(`UPDATE members SET org_id = ${b[0]}, org_path = '${b[1]}' WHERE id = ${mid}`);
  for (const o of [1, streets[0], streets[1]]) await check(o, 'move');
  // off the roster
  const off = srv.sql(`SELECT id FROM members m WHERE ${range(pathOf(streets[1]))} AND (m.stats_key & 64) = 64 ORDER BY id DESC LIMIT 1`);
  srv.sql(`UPDATE members SET stats_key = stats_key - 64 WHERE id = ${off}`);
  for (const o of [1, streets[1]]) await check(o, 'off the roster');
  // a removal (the member added above)
  srv.sql(`DELETE FROM members WHERE id = ${c.body.id}`);
  for (const o of [1, streets[0]]) await check(o, 'removal');
  // an organization's domain
  const dom = srv.sql(`SELECT domain FROM orgs WHERE id = ${b[0]}`);
  const other = srv.sql(`SELECT DISTINCT domain FROM orgs WHERE domain IS NOT NULL AND domain <> '${dom}' ORDER BY domain LIMIT 1`);
  if (other) {
    srv.sql(`UPDATE orgs SET domain = '${other}' WHERE id = ${b[0]}`);
    for (const o of [1, streets[1]]) await check(o, 'domain');
  }
  assert.ok(num(`SELECT rev FROM subtree_rev WHERE anc_path = '${pathOf(1)}'`) >= 4, 'the district’s revision rose');
});

test('R-DASH-PERF-05 the kept alerts follow an organization’s term and committee', async () => {
  const b0 = await check(1, 'alerts start');
  const street = b0.children[0].id;
  const s0 = await check(street, 'alerts start');
  const leaf = srv.sql(`SELECT id FROM orgs WHERE ${range(pathOf(street), 'path')} AND type = '党支部' ORDER BY id DESC LIMIT 1`);
  // a term long ended: a 换届 alert more (or the same, when it already had one)
  srv.sql(`UPDATE orgs SET term_started_on = '2001-01-01', term_years = 3, extended_until = NULL WHERE id = ${leaf}`);
  const b1 = await check(1, 'term');
  const s1 = await check(street, 'term');
  const t1 = b1.figures.find((f) => f.key === 'orgs.term_due').value.num;
  assert.ok(t1 >= b0.figures.find((f) => f.key === 'orgs.term_due').value.num);
  assert.ok(s1.alerts.count >= s0.alerts.count);
  // a term just begun: no 换届 alert for it
  srv.sql(`UPDATE orgs SET term_started_on = '${today()}', term_years = 3 WHERE id = ${leaf}`);
  const b2 = await check(1, 'term renewed');
  assert.equal(b2.figures.find((f) => f.key === 'orgs.term_due').value.num, t1 - 1);
});

test('R-DASH-PERF-06 a dashboard rebuilt aside at SIGTERM is joined: the server stops cleanly', async () => {
  const s = await district({ orgs: 30, members: 300, seed: 12, args: ['--replica-max-lag-ms', '50'] });
  const who = await as(s, 'district_admin', 1);
  try {
    assert.equal((await who.call('GET', '/api/v1/dashboard?org_id=1')).status, 200);
    for (let i = 0; i < 5; i++) {
      // past the kept time: the text of a moment before is answered, a rebuild starts on
      // a thread of its own (jobs/background.c)
      await new Promise((r) => setTimeout(r, 80));
      const r = await who.call('GET', '/api/v1/dashboard?org_id=1');
      assert.equal(r.status, 200, r.text);
    }
  } finally {
    const stopped = await s.stop('SIGTERM');
    assert.equal(stopped.code, 0, 'exit status (ASan: no thread left running, nothing leaked)');
  }
});
