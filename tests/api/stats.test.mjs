// stats.test.mjs: GET /stats/members over a subtree equals the same figures computed
// by SQL over the database (the covering-index pass in C must agree with GROUP BY).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { problemOk, cli } from './lib/server.mjs';
import { district, as } from './lib/roster_api.mjs';
import { addYears } from './lib/roster.mjs';

let srv, admin, sec;
before(async () => {
  // every pass over two or more organizations runs in two halves (stats_parallel_orgs;
  // 5,000 by default): the figures below must come out the same
  srv = await district({ orgs: 60, members: 2000, seed: 5, args: ['--stats-parallel-orgs', '2'] });
  admin = await as(srv, 'district_admin', 1);
  sec = await as(srv, 'branch_secretary', srv.branch(0));
});
after(async () => { await srv.stop(); });

function truth(where) {
  const w = `(${where}) AND state NOT IN ('deceased', 'withdrawn', 'removed', 'expelled')`;
  const today = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10); // Beijing time
  const y35 = addYears(today, -35), y61 = addYears(today, -61);
  // the figures' conditions, in the shape of the reply; every count in one statement
  // (starting psql costs more than the counts)
  const shape = {
    total: '1 = 1',
    party_status: { formal: "party_status = 'formal'", probationary: "party_status = 'probationary'" },
    sex: { male: "sex = '1'", female: "sex = '2'" },
    ethnicity: { han: "ethnicity = '01'", minority: "ethnicity <> '01'" },
    education: { college_plus: "education >= '10' AND education < '40'", below: "NOT (COALESCE(education, '99') >= '10' AND COALESCE(education, '99') < '40')" },
    age: {
      under_35: `birth_date > '${y35}'`,
      from_35_to_60: `birth_date <= '${y35}' AND birth_date > '${y61}'`,
      over_60: `birth_date <= '${y61}'`,
    },
    two_new: 'two_new = 1',
  };
  const conds = [];
  const index = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'string' ? conds.push(v) - 1 : index(v)]));
  const at = index(shape);
  const counts = srv.sql(`SELECT ${conds.map((c) => `(SELECT COUNT(*) FROM members m WHERE ${w} AND (${c}))`).join(" || '|' || ")}`)
    .split('|').map(Number);
  const fill = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'number' ? counts[v] : fill(v)]));
  return {
    ...fill(at),
    joined: srv.sql(`SELECT substr(joined_on, 1, 4) || ':' || COUNT(*) FROM members m WHERE ${w} GROUP BY substr(joined_on, 1, 4) ORDER BY 1`).split('\n'),
    domain: srv.sql(`SELECT o.domain || ':' || COUNT(*) FROM members m JOIN orgs o ON o.id = m.org_id WHERE ${w} GROUP BY o.domain ORDER BY 1`).split('\n'),
  };
}

function compare(got, want) {
  for (const k of ['total', 'two_new']) assert.equal(got[k], want[k], k);
  for (const k of ['party_status', 'sex', 'ethnicity', 'education', 'age']) assert.deepEqual(got[k], want[k], k);
  assert.deepEqual(got.joined_per_year.map((y) => `${y.year}:${y.count}`), want.joined);
  assert.deepEqual(Object.entries(got.domain).filter(([, v]) => v > 0).map(([k, v]) => `${k}:${v}`).sort(), want.domain.sort());
}

test('stats over the whole district equal SQL over the database', async () => {
  const r = await admin.call('GET', '/api/v1/stats/members');
  assert.equal(r.status, 200, r.text);
  compare(r.body, truth('1 = 1'));
  const one = await admin.call('GET', '/api/v1/stats/members?org_id=1');
  assert.deepEqual(one.body, r.body);
});

// issue 21: the API writes its reply straight (stats_members_write), the CLI through
// jansson (stats_members_json): the same bytes
test('stats: the reply written straight is byte for byte the CLI\'s jansson text', async () => {
  for (const org of [1, srv.community(0), srv.branch(1)]) {
    const r = await admin.call('GET', `/api/v1/stats/members?org_id=${org}`);
    assert.equal(r.status, 200, r.text);
    const c = cli(srv.dir, ['stats', '--org', String(org)]);
    assert.equal(c.status, 0, c.stderr);
    assert.equal(r.text, c.stdout.trim());
  }
});

test('stats over a subtree; a branch secretary sees only their branch', async () => {
  const c = srv.community(0);
  const r = await admin.call('GET', `/api/v1/stats/members?org_id=${c}`);
  compare(r.body, truth(`org_path >= (SELECT path FROM orgs WHERE id = ${c}) AND org_path < (SELECT substr(path, 1, length(path) - 1) || '0' FROM orgs WHERE id = ${c})`));
  const mine = await sec.call('GET', '/api/v1/stats/members');
  compare(mine.body, truth(`org_id IN (SELECT id FROM orgs WHERE path LIKE (SELECT path FROM orgs WHERE id = ${srv.branch(0)}) || '%')`));
  problemOk(null, await sec.call('GET', `/api/v1/stats/members?org_id=${c}`), 404, 'not_found');
});

test('stats stay exact after every kind of write (the figures are cached per members revision)', async () => {
  const { idNumber } = await import('./lib/roster.mjs');
  const b = srv.branch(2);
  const where = `org_id IN (SELECT id FROM orgs WHERE path LIKE (SELECT path FROM orgs WHERE id = ${b}) || '%')`;
  const check = async (what) => {
    const r = await admin.call('GET', `/api/v1/stats/members?org_id=${b}`);
    assert.equal(r.status, 200, r.text);
    try { compare(r.body, truth(where)); } catch (e) { e.message = `after ${what}: ${e.message}`; throw e; }
    const district = await admin.call('GET', '/api/v1/stats/members');
    compare(district.body, truth('1 = 1'));
  };
  await check('nothing'); // fills the cache
  const m = await admin.call('POST', '/api/v1/members', {
    org_id: b, name: '统计党员', id_number: idNumber('310104', '1996-04-04', 71), party_status: 'probationary',
    joined_on: '2025-07-01', ethnicity: '03', education: '21',
  });
  assert.equal(m.status, 201, m.text);
  await check('a new member');
  assert.equal((await admin.call('PATCH', `/api/v1/members/${m.body.id}`, { ethnicity: '01', education: '61' })).status, 200);
  await check('an edit of the counted fields');
  assert.equal((await admin.call('POST', `/api/v1/members/${m.body.id}/state`, { state: 'deceased', reason: '病故', date: '2026-01-05', confirm: true })).status, 200);
  await check('a state change that leaves the roster');
  const org = await admin.call('GET', `/api/v1/orgs/${b}`);
  const other = org.body.domain === '社区' ? '机关' : '社区';
  assert.equal((await admin.call('PATCH', `/api/v1/orgs/${b}`, { domain: other })).status, 200);
  await check('a change of the organization’s domain');
});
