// report_counters.test.mjs: the meetings' figures of the yearly report read from the
// counters (0121 meeting_month_counts, kept by triggers per ancestor path, month and
// type) plus the days of a period's partial months: every meetings.* figure equals a
// direct count over periods that start and end mid-month, across a year's end, within
// one month and on whole months; the counters equal a direct grouping of the records
// after records are inserted, changed (status, type, day, organization) and deleted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { district, as } from './lib/roster_api.mjs';

let srv, admin;
before(async () => {
  srv = await district({ orgs: 40, members: 500, seed: 11 });
  admin = await as(srv, 'district_admin', 1);
});
after(async () => { await srv.stop(); });

const HELD = "status IN ('submitted', 'approved')";
const TYPES = { general: 1, committee: 2, group: 3, lecture: 4, theme_day: 5, life: 6, appraisal: 7 };
const num = (q) => Number(srv.sql(q));
const pathOf = (id) => srv.sql(`SELECT path FROM orgs WHERE id = ${id}`);

async function check(orgId, from, to) {
  const p = pathOf(orgId), end = p.slice(0, -1) + '0';
  const w = `org_path >= '${p}' AND org_path < '${end}' AND held_on >= '${from}' AND held_on <= '${to}' AND ${HELD}`;
  const r = await admin.call('GET', `/api/v1/indicators?org_id=${orgId}&from=${from}&to=${to}`);
  assert.equal(r.status, 200, r.text);
  const v = (k) => r.body.items.find((i) => i.key === k).value.num;
  const held = num(`SELECT COUNT(*) FROM meetings WHERE ${w}`);
  assert.equal(v('meetings.held'), held, `meetings.held ${orgId} ${from}..${to}`);
  for (const [k, t] of Object.entries(TYPES)) assert.equal(v(`meetings.${k}`), num(`SELECT COUNT(*) FROM meetings WHERE ${w} AND type = ${t}`), `meetings.${k} ${orgId} ${from}..${to}`);
  assert.equal(v('meetings.study_hours'), num(`SELECT (CAST(COALESCE(SUM(present_count * hours_x10), 0) AS BIGINT) + 5) / 10 FROM meetings WHERE ${w}`), `meetings.study_hours ${orgId} ${from}..${to}`);
  return held;
}

// the counters as the records would make them, and as kept
function countersDiff() {
  const direct = `SELECT substr(m.org_path, 1, CAST(p.k AS INTEGER)) AS a, CAST(substr(m.held_on, 1, 4) || substr(m.held_on, 6, 2) AS BIGINT) AS ym, m.type AS t, COUNT(*) AS n, SUM(m.present_count * m.hours_x10) AS h
    FROM meetings m JOIN path_positions p ON p.k >= 2 AND p.k <= length(m.org_path) AND substr(m.org_path, CAST(p.k AS INTEGER), 1) = '/'
    WHERE m.${HELD} AND m.held_on IS NOT NULL GROUP BY 1, 2, 3`;
  const kept = 'SELECT anc_path AS a, ym, type AS t, n, hours AS h FROM meeting_month_counts WHERE n <> 0 OR hours <> 0';
  return num(`SELECT COUNT(*) FROM (${direct} EXCEPT ${kept}) x`) + num(`SELECT COUNT(*) FROM (${kept} EXCEPT ${direct}) x`);
}

test('R-RPT-PERF-01 the meetings’ figures over whole and partial months equal a direct count', async () => {
  const y = Number(srv.sql("SELECT substr(MAX(held_on), 1, 4) FROM meetings WHERE status IN ('submitted', 'approved')"));
  assert.ok(y > 2000);
  const periods = [
    [`${y}-01-01`, `${y}-12-31`], // whole months only
    [`${y}-02-15`, `${y}-10-10`], // partial at both ends
    [`${y}-03-01`, `${y}-03-20`], // within one month
    [`${y}-04-05`, `${y}-04-30`], // one month's tail
    [`${y - 1}-11-20`, `${y}-05-31`], // across the year's end
    [`${y}-06-30`, `${y}-07-01`], // two days, two months
  ];
  let any = 0;
  for (const org of [1, srv.community(0), srv.branch(0)])
    for (const [f, t] of periods) any += await check(org, f, t);
  assert.ok(any > 0, 'the demo holds meetings in the periods');
});

test('R-RPT-PERF-02 the counters follow every write to the records (insert, change, delete)', async () => {
  assert.equal(countersDiff(), 0, 'after the demo');
  const b0 = srv.branch(0), b1 = srv.branch(1);
  const y = srv.sql("SELECT substr(MAX(held_on), 1, 4) FROM meetings WHERE status IN ('submitted', 'approved')");
  const ids = srv.sql(`SELECT id FROM meetings WHERE org_id = ${b0} AND status IN ('submitted', 'approved') ORDER BY id LIMIT 3`).split('\n').map(Number);
  assert.equal(ids.length, 3);
  const before = await check(1, `${y}-01-01`, `${y}-12-31`);
  // a record returned (no longer held), one moved to another month and type, one to another branch
  srv.sql(`UPDATE meetings SET status = 'returned' WHERE id = ${ids[0]}`);
  srv.sql(`UPDATE meetings SET held_on = '${y}-02-03', type = 4, hours_x10 = 25, present_count = 7 WHERE id = ${ids[1]}`);
  srv.sql(`UPDATE meetings SET org_id = ${b1}, org_path = '${pathOf(b1)}' WHERE id = ${ids[2]}`);
  assert.equal(countersDiff(), 0, 'after the changes');
  assert.equal(await check(1, `${y}-01-01`, `${y}-12-31`), before - 1);
  srv.sql(`UPDATE meetings SET status = 'approved' WHERE id = ${ids[0]}`);
  srv.sql(`DELETE FROM meeting_attendance WHERE meeting_id = ${ids[1]}`);
  srv.sql(`DELETE FROM meeting_views WHERE meeting_id = ${ids[1]}`);
  srv.sql(`DELETE FROM meeting_amendments WHERE meeting_id = ${ids[1]}`);
  srv.sql(`DELETE FROM meetings WHERE id = ${ids[1]}`);
  assert.equal(countersDiff(), 0, 'after the delete');
  for (const org of [1, b0, b1]) await check(org, `${y}-01-10`, `${y}-11-20`);
});

// meetings.compliance_rate is kept per subtree, year and day at the revision of what the
// pass reads (0122 meeting_rev): a write to the records, the exemptions or the tree shows
// at once, as the heat-map (computed afresh) says
test('R-RPT-PERF-03 the kept compliance rate follows the records, the exemptions and the tree', async () => {
  const org = srv.community(0);
  const y = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 4);
  const same = async (what) => {
    const r = await admin.call('GET', `/api/v1/indicators?org_id=${org}`);
    assert.equal(r.status, 200, r.text);
    const v = r.body.items.find((i) => i.key === 'meetings.compliance_rate').value;
    const c = await admin.call('GET', `/api/v1/meetings/compliance?org_id=${org}&year=${y}&limit=0`);
    assert.equal(c.status, 200, c.text);
    assert.equal(v.num, c.body.met, `met ${what}`);
    assert.equal(v.den, c.body.met + c.body.missing || -1, `met + missing ${what}`);
    return v;
  };
  const v0 = await same('at first');
  assert.deepEqual(await same('read again (kept)'), v0);
  const p = pathOf(org), end = p.slice(0, -1) + '0';
  const b = srv.sql(`SELECT org_id FROM meetings WHERE org_path >= '${p}' AND org_path < '${end}' AND ${HELD} AND held_on >= '${y}-01-01' ORDER BY id LIMIT 1`);
  assert.ok(b, 'a held record in the community');
  srv.sql(`UPDATE meetings SET status = 'returned' WHERE org_id = ${b} AND ${HELD} AND held_on >= '${y}-01-01'`);
  const v1 = await same('after records were returned');
  assert.ok(v1.num < v0.num, `fewer met: ${v1.num} < ${v0.num}`);
  srv.sql(`INSERT INTO meeting_exemptions (org_id, org_path, type, period, reason, created_at) SELECT id, path, 2, '${y}', '测试免于考核', 0 FROM orgs WHERE id = ${b}`);
  const v2 = await same('after an exemption');
  assert.ok(v2.den < v1.den, `fewer items counted: ${v2.den} < ${v1.den}`);
  srv.sql(`UPDATE orgs SET type = '党总支' WHERE id = ${b}`);
  await same('after a branch became a 党总支');
});
