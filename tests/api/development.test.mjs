// development.test.mjs: 发展党员 (issue 13, DOMAIN.md §2): applicants and the 25 steps
// over HTTP, one test per rule R-DEV-01…16 named after it, with the boundary dates
// (29 Feb, month ends, a 公示 spanning 春节), votes computed by the server, the roster
// changed at steps 15 and 24 in the same transaction, quotas, approval levels, return
// and withdrawal, concurrency (one approval wins, the other 409), scope (404), the work
// list, the board and the statistics.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, problemOk, sqlQuery, removeDir } from './lib/server.mjs';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signIn, addOrgs } from './lib/auth.mjs';
import { idNumber } from './lib/roster.mjs';

let srv, admin, committee, sec, foreign, member9 = [], probationer;
// 1 区委 ─ 2 街道党工委 ─ 3 社区党委 ─┬ 4 第一支部 ─ 6 党小组
//                                    └ 5 党总支 ─ 7 第二支部
// 9 外区委 ─ 10 外区支部
const TREE = [
  { id: 1, name: '示范区委', type: '党委' }, { id: 2, parent: 1, name: '东街道党工委', type: '党工委' },
  { id: 3, parent: 2, name: '幸福社区党委', type: '党委' }, { id: 4, parent: 3, name: '幸福社区第一支部', type: '党支部' },
  { id: 5, parent: 3, name: '幸福社区党总支', type: '党总支' }, { id: 6, parent: 4, name: '第一党小组', type: '党小组' },
  { id: 7, parent: 5, name: '幸福社区第二支部', type: '党支部' },
  { id: 9, name: '外区区委', type: '党委' }, { id: 10, parent: 9, name: '外区支部', type: '党支部' },
];
const BRANCH = 4;
let seq = 100;
const person = (birth, area = '110105') => idNumber(area, birth, (seq += 2) % 1000 + (seq % 2));

before(async () => {
  srv = await startServer();
  addOrgs(srv, TREE);
  sqlQuery(srv.dir, TREE.map((o) => `UPDATE orgs SET type = '${o.type}' WHERE id = ${o.id};`).join('\n'));
  admin = await signIn(srv, { role: 'district_admin', org: 1 });
  committee = await signIn(srv, { role: 'committee_admin', org: 3 });
  sec = await signIn(srv, { role: 'branch_secretary', org: BRANCH });
  foreign = await signIn(srv, { role: 'district_admin', org: 9 });
  // nine 正式党员 of the branch (one in its 党小组) and one 预备党员
  for (let i = 0; i < 9; i++) {
    const r = await admin.call('POST', '/api/v1/members', {
      org_id: BRANCH, ...(i === 8 ? { group_org_id: 6 } : {}), name: `正式党员${i}`, id_number: person(`1970-0${(i % 9) + 1}-15`),
      party_status: 'formal', joined_on: '2009-07-01', confirmed_on: '2010-07-01',
    });
    assert.equal(r.status, 201, r.text);
    member9.push(r.body.id);
  }
  for (let i = 0; i < 3; i++) { // the second branch's three
    const r = await admin.call('POST', '/api/v1/members', {
      org_id: 7, name: `二支部党员${i}`, id_number: person(`1965-1${i}-20`), party_status: 'formal', joined_on: '2000-07-01', confirmed_on: '2001-07-01',
    });
    assert.equal(r.status, 201, r.text);
  }
  const p = await admin.call('POST', '/api/v1/members', {
    org_id: BRANCH, name: '预备党员甲', id_number: person('1995-05-05'), party_status: 'probationary', joined_on: '2026-06-01',
  });
  assert.equal(p.status, 201, p.text);
  probationer = p.body.id;
  for (const y of [2022, 2023, 2024, 2025, 2026]) {
    const q = await admin.call('PUT', '/api/v1/development/quotas', { org_id: 3, year: y, quota: 50 });
    assert.equal(q.status, 200, q.text);
  }
});
after(async () => { await srv.stop(); });

// ---- dates ----
const iso = (d) => d.toISOString().slice(0, 10);
const parse = (s) => new Date(`${s}T00:00:00Z`);
const addDays = (s, n) => { const d = parse(s); d.setUTCDate(d.getUTCDate() + n); return iso(d); };
function addMonths(s, n) {
  const [y, m, d] = s.split('-').map(Number);
  const t = new Date(Date.UTC(y, m - 1 + n, 1));
  const last = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + 1, 0)).getUTCDate();
  t.setUTCDate(Math.min(d, last));
  return iso(t);
}
const addYears = (s, n) => addMonths(s, 12 * n);

async function newApplicant(body = {}, as = sec) {
  const r = await as.call('POST', '/api/v1/development/applicants', {
    org_id: BRANCH, name: '申请人', id_number: person('1998-03-12'), applied_on: '2022-01-10',
    education: '21', unit_type: '非公企业', ...body,
  });
  assert.equal(r.status, 201, r.text);
  return r.body;
}

// The default date and particulars of each step after D(1) = b, given the dates so far.
function plan(step, D) {
  const at = {
    2: () => addDays(D[1], 10), 3: () => addMonths(D[1], 1), 4: () => addDays(D[3], 5), 5: () => addDays(D[3], 10),
    6: () => addMonths(D[3], 6), 7: () => addDays(addYears(D[3], 1), 20), 8: () => addDays(D[7], 5),
    9: () => addDays(D[7], 10), 10: () => addDays(D[7], 20), 11: () => addDays(D[7], 30), 12: () => addDays(D[7], 40),
    13: () => addDays(D[7], 45), 14: () => addDays(D[7], 50), 15: () => addDays(D[7], 60), 16: () => addDays(D[15], 10),
    17: () => addDays(D[15], 30), 18: () => addDays(D[17], 10), 19: () => addDays(D[17], 15), 20: () => addDays(D[17], 20),
    21: () => addDays(D[17], 60), 22: () => addDays(addYears(D[15], 1), -10), 23: () => addDays(addYears(D[15], 1), 5),
    24: () => addDays(addYears(D[15], 1), 25), 25: () => addDays(addYears(D[15], 1), 30),
  };
  const date = at[step]();
  const extra = {
    5: { contacts: [member9[0]] }, 7: { publicity_start: addDays(date, -20) }, 9: { introducers: [member9[0], member9[1]] },
    10: { conclusion: '合格' }, 11: { hours: 24 }, 13: { result: '同意' },
    23: { decision: 'confirm', publicity_start: addDays(date, -20) },
  }[step] || {};
  return { step, date, ...extra };
}

async function vote(id, date, over = {}) {
  const v = await committee.call('GET', `/api/v1/development/applicants/${id}/voters?date=${date}`);
  assert.equal(v.status, 200, v.text);
  const due = v.body.due;
  return { present: due, absent_written: 0, ballots_issued: due, ballots_returned: due, yes: due, no: 0, abstain: 0, ...over };
}

// Records the steps after the applicant's last up to `to`, overriding any step's body.
async function walk(a, to, over = {}) {
  const D = { 1: a.applied_on };
  for (const s of a.steps || []) if (!s.returned) D[s.step] = s.date;
  let cur = a;
  for (let step = cur.last_step + 1; step <= to; step++) {
    const body = { ...plan(step, D), ...(over[step] || {}) };
    if ((step === 15 || step === 23) && !body.vote) body.vote = await vote(cur.id, body.date);
    const who = step === 18 ? admin : [4, 8, 13, 16, 17, 24].includes(step) || cur.org_id !== BRANCH ? committee : sec;
    const r = await who.call('POST', `/api/v1/development/applicants/${cur.id}/steps`, body);
    assert.equal(r.status, 201, `step ${step}: ${r.text}`);
    cur = r.body;
    D[step] = body.date;
  }
  return cur;
}

const stepCall = (a, body, who = sec) => who.call('POST', `/api/v1/development/applicants/${a.id}/steps`, body);
function refused(r, field, code) {
  problemOk(null, r, 400, 'validation_failed');
  assert.ok(r.body.errors.some((e) => e.field === field && e.code === code), `${field}/${code} in ${r.text}`);
  assert.ok(r.body.errors.every((e) => /[\u4e00-\u9fff]/.test(e.message)));
}
// nothing changed: the applicant as before
async function unchanged(a) {
  const r = await sec.call('GET', `/api/v1/development/applicants/${a.id}`);
  assert.equal(r.body.last_step, a.last_step);
  assert.equal(r.body.steps.length, a.steps.length);
}

test('R-DEV-01 18 on the application date, the birth date from the ID number (the day before is refused)', async () => {
  const id = person('2007-03-31');
  const young = await sec.call('POST', '/api/v1/development/applicants', { org_id: BRANCH, name: '未满', id_number: id, applied_on: '2025-03-30' });
  refused(young, 'applied_on', 'R-DEV-01');
  const ok = await newApplicant({ id_number: id, applied_on: '2025-03-31' });
  assert.equal(ok.birth_date, '2007-03-31');
  assert.equal(ok.last_step, 1);
  assert.match(ok.id_number, /^\d{6}\*+\d{3}[\dX]$/); // masked
  // the same person twice, or a member again: refused
  refused(await sec.call('POST', '/api/v1/development/applicants', { org_id: BRANCH, name: '重复', id_number: id, applied_on: '2025-04-01' }), 'id_number', 'duplicate');
  // the sealed ID number is not in the database in plain text
  assert.equal(sqlQuery(srv.dir, `SELECT COUNT(*) FROM dev_applicants WHERE id_masked = '${id}'`), '0');
  // a 党小组 or a committee does not take applications
  refused(await sec.call('POST', '/api/v1/development/applicants', { org_id: 6, name: 'x', id_number: person('1990-01-01'), applied_on: '2025-01-01' }), 'org_id', 'not_branch');
});

test('R-DEV-02 the talk within a calendar month: warned from day 20, overdue after, a late talk flagged', async () => {
  const today = iso(new Date(Date.now() + 8 * 3600e3));
  const due = await newApplicant({ applied_on: addDays(today, -22) });
  const over = await newApplicant({ applied_on: addDays(today, -40) });
  const fresh = await newApplicant({ applied_on: addDays(today, -3) });
  const w = await sec.call('GET', `/api/v1/development/warnings?org_id=${BRANCH}`);
  assert.equal(w.status, 200, w.text);
  const get = (a) => w.body.items.find((i) => i.id === a.id);
  assert.equal(get(due).warning, 'due');
  assert.equal(get(due).due_on, addMonths(due.applied_on, 1));
  assert.equal(get(over).warning, 'overdue');
  assert.equal(get(fresh), undefined);
  const d = await sec.call('GET', `/api/v1/development/applicants/${over.id}`);
  assert.equal(d.body.warnings[0].rule, 'R-DEV-02');
  assert.equal(d.body.next.step, 2);
  // month end: applied 31 Jan → the talk by 28 Feb (29 in a leap year)
  const jan = await newApplicant({ applied_on: '2025-01-31' });
  const late = await stepCall(jan, { step: 2, date: '2025-03-01' });
  assert.equal(late.status, 201, late.text);
  assert.equal(late.body.steps[1].data.late.rule, 'R-DEV-02');
  const jan2 = await newApplicant({ applied_on: '2025-01-31' });
  const ontime = await stepCall(jan2, { step: 2, date: '2025-02-28' });
  assert.equal(ontime.body.steps[1].data.late, undefined);
});

test('R-DEV-03 发展对象 a year after 积极分子: 29 Feb + 1 year = 28 Feb', async () => {
  const a = await walk(await newApplicant({ applied_on: '2024-01-15' }), 6, { 3: { date: '2024-02-29' }, 4: { date: '2024-03-01' }, 5: { date: '2024-03-05' }, 6: { date: '2024-09-01' } });
  const early = await stepCall(a, { step: 7, date: '2025-02-27', publicity_start: '2025-02-10' });
  refused(early, 'date', 'R-DEV-03');
  await unchanged(a);
  const ok = await stepCall(a, { step: 7, date: '2025-02-28', publicity_start: '2025-02-10' });
  assert.equal(ok.status, 201, ok.text);
  assert.equal(ok.body.stage, 3);
});

test('R-DEV-04 集中培训 after 积极分子, at least 24 学时 or 3 days', async () => {
  const a = await walk(await newApplicant(), 10);
  const d = addDays(a.last_on, 5);
  refused(await stepCall(a, { step: 11, date: d, hours: 16, days: 2 }), 'hours', 'R-DEV-04');
  assert.equal((await stepCall(a, { step: 11, date: d, days: 3 })).status, 201);
});

test('R-DEV-05 exactly two introducers, each a 正式党员 (a 预备党员 refused), checked again at the meeting', async () => {
  const a = await walk(await newApplicant(), 8);
  const d = addDays(a.last_on, 3);
  refused(await stepCall(a, { step: 9, date: d, introducers: [member9[0]] }), 'introducers', 'R-DEV-05');
  refused(await stepCall(a, { step: 9, date: d, introducers: [member9[0], probationer] }), 'introducers[1]', 'R-DEV-05');
  refused(await stepCall(a, { step: 9, date: d, introducers: [member9[0], member9[1], member9[2]] }), 'introducers', 'R-DEV-05');
  await unchanged(a);
  // an introducer who is no longer 正式 (停止党籍) by the meeting: the meeting is refused
  const b = await walk(await newApplicant(), 14, { 9: { introducers: [member9[2], member9[3]] } });
  sqlQuery(srv.dir, `UPDATE members SET state = 'suspended' WHERE id = ${member9[3]}`);
  try {
    const date = addDays(b.last_on, 10);
    refused(await stepCall(b, { step: 15, date, vote: await vote(b.id, date) }), 'introducers[1]', 'R-DEV-05');
  } finally {
    sqlQuery(srv.dir, `UPDATE members SET state = 'normal' WHERE id = ${member9[3]}`);
  }
});

test('R-DEV-06 政审 conclusion 合格, and not older than 365 days at the meeting', async () => {
  const a = await walk(await newApplicant(), 9);
  refused(await stepCall(a, { step: 10, date: addDays(a.last_on, 1), conclusion: '不合格' }), 'conclusion', 'R-DEV-06');
  const a10 = await walk(a, 10);
  const d10 = a10.last_on;
  const b = await walk(a10, 14, { 11: { date: addDays(d10, 300) }, 12: { date: addDays(d10, 301) }, 13: { date: addDays(d10, 302) }, 14: { date: addDays(d10, 303) } });
  const date = addDays(d10, 366);
  refused(await stepCall(b, { step: 15, date, vote: await vote(b.id, date) }), 'date', 'R-DEV-06');
});

test('R-DEV-07 dates never go backwards along the steps (month end)', async () => {
  const a = await walk(await newApplicant({ applied_on: '2024-12-20' }), 2, { 2: { date: '2025-01-31' } });
  const r = await stepCall(a, { step: 3, date: '2025-01-30' });
  refused(r, 'date', 'R-DEV-07');
  await unchanged(a);
  assert.equal((await stepCall(a, { step: 3, date: '2025-01-31' })).status, 201);
  // a future date is no date
  refused(await stepCall(a, { step: 4, date: '2199-01-01' }, committee), 'date', 'in_future');
});

test('R-DEV-08 the branch meeting: due from the roster, quorum and majority strictly over half, bad counts refused', async () => {
  const a = await walk(await newApplicant(), 14);
  const date = addDays(a.last_on, 10);
  const v = await sec.call('GET', `/api/v1/development/applicants/${a.id}/voters?date=${date}`);
  assert.equal(v.body.due, 9); // the branch's 9 正式党员 (one in its 党小组); the 预备党员 not due
  const half = { present: 4, absent_written: 0, ballots_issued: 4, ballots_returned: 4, yes: 4, no: 0, abstain: 0 };
  refused(await stepCall(a, { step: 15, date, vote: { ...half, present: 10 } }), 'vote.present', 'R-DEV-08');
  refused(await stepCall(a, { step: 15, date, vote: { ...half, present: 5, ballots_issued: 5, ballots_returned: 5, yes: 3, no: 2, abstain: 1 } }), 'vote.yes', 'R-DEV-08');
  refused(await stepCall(a, { step: 15, date, vote: { ...half, ballots_returned: 5 } }), 'vote.ballots_returned', 'R-DEV-08');
  refused(await stepCall(a, { step: 15, date, vote: half }), 'vote', 'R-DEV-08'); // 4 of 9 present: no quorum
  // 5 present, 4 yes in person + 0 written: not a majority of 9
  refused(await stepCall(a, { step: 15, date, vote: { present: 5, absent_written: 0, ballots_issued: 5, ballots_returned: 5, yes: 4, no: 1, abstain: 0 } }), 'vote', 'R-DEV-08');
  await unchanged(a);
  assert.equal(sqlQuery(srv.dir, `SELECT COUNT(*) FROM members WHERE name = '申请人'`), sqlQuery(srv.dir, `SELECT COUNT(*) FROM dev_applicants WHERE name = '申请人' AND member_id IS NOT NULL`));
  // 5 present, 4 yes in person and 1 written opinion of an absentee: passed
  const ok = await stepCall(a, { step: 15, date, vote: { present: 5, absent_written: 1, ballots_issued: 6, ballots_returned: 6, yes: 5, no: 1, abstain: 0 } });
  assert.equal(ok.status, 201, ok.text);
  const stored = ok.body.steps.find((s) => s.step === 15).data.vote;
  assert.deepEqual([stored.due, stored.quorum, stored.passed], [9, true, true]);
});

test('R-DEV-09 approval within 3 months of the meeting, up to 6 with a reason (month end)', async () => {
  const a = await walk(await newApplicant({ applied_on: '2022-02-01' }), 16, { 15: { date: '2023-05-31' }, 16: { date: '2023-06-05' } });
  refused(await stepCall(a, { step: 17, date: '2023-09-01' }, committee), 'delay_reason', 'R-DEV-09');
  refused(await stepCall(a, { step: 17, date: '2023-12-01', delay_reason: '党委换届' }, committee), 'date', 'R-DEV-09');
  const ok = await stepCall(a, { step: 17, date: '2023-08-31' }, committee); // exactly 3 months
  assert.equal(ok.status, 201, ok.text);
  assert.equal(ok.body.approved_on, '2023-08-31');
  const b = await walk(await newApplicant({ applied_on: '2022-02-01' }), 16, { 15: { date: '2023-05-31' }, 16: { date: '2023-06-05' } });
  assert.equal((await stepCall(b, { step: 17, date: '2023-10-15', delay_reason: '党委换届' }, committee)).status, 201);
});

test('R-DEV-10 only a 基层党委 or higher approves: a 党支部 or 党总支 cannot, nor a secretary without dev.approve', async () => {
  const a = await walk(await newApplicant(), 16);
  const date = addDays(a.last_on, 5);
  refused(await stepCall(a, { step: 17, date, org_id: BRANCH }, committee), 'org_id', 'R-DEV-10');
  const b = await walk(await newApplicant({ org_id: 7 }, committee), 16);
  refused(await stepCall(b, { step: 17, date: addDays(b.last_on, 5), org_id: 5 }, committee), 'org_id', 'R-DEV-10');
  problemOk(null, await stepCall(a, { step: 17, date }, sec), 403, 'forbidden');
  // the district (a 党委 higher up) may approve too
  await admin.call('PUT', '/api/v1/development/quotas', { org_id: 1, year: Number(date.slice(0, 4)), quota: 10 });
  const ok = await stepCall(a, { step: 17, date, org_id: 1 }, admin);
  assert.equal(ok.status, 201, ok.text);
  // the filing of step 18 is with the level above the approving committee
  refused(await stepCall(ok.body, { step: 18, date: addDays(date, 2), org_id: 3 }, admin), 'org_id', 'R-DEV-10');
  const b2 = await walk(await newApplicant(), 17);
  refused(await stepCall(b2, { step: 18, date: addDays(b2.last_on, 2), org_id: 3 }, committee), 'org_id', 'R-DEV-10');
  assert.equal((await stepCall(b2, { step: 18, date: addDays(b2.last_on, 2), org_id: 2 }, admin)).status, 201);
  // filings and the 预审 likewise
  const c = await walk(await newApplicant(), 3);
  refused(await stepCall(c, { step: 4, date: addDays(c.last_on, 1), org_id: BRANCH }, committee), 'org_id', 'R-DEV-10');
});

test('R-DEV-11 step 15 makes a 预备党员 in the roster in the same transaction, 入党时间 = D(15), 预备期 a year (29 Feb)', async () => {
  const a = await walk(await newApplicant({ applied_on: '2022-11-01', name: '接收对象' }), 15, { 15: { date: '2024-02-29' } });
  assert.ok(a.member_id);
  assert.equal(a.probation_end, '2025-02-28');
  const m = await admin.call('GET', `/api/v1/members/${a.member_id}`);
  assert.equal(m.status, 200, m.text);
  assert.equal(m.body.party_status, 'probationary');
  assert.equal(m.body.joined_on, '2024-02-29');
  assert.equal(m.body.org_id, BRANCH);
  assert.equal(m.body.name, '接收对象');
  assert.deepEqual(m.body.introducers, ['正式党员0', '正式党员1']);
  // the 转正 application no earlier than a month before the end
  const b = await walk(a, 21);
  refused(await stepCall(b, { step: 22, date: '2025-01-20' }), 'date', 'R-DEV-11');
});

test('R-DEV-12 one extension of 6–12 months at most; the 转正 approved within 3 months of the end', async () => {
  const a = await walk(await newApplicant({ applied_on: '2021-01-10' }), 22);
  const d23 = addDays(a.probation_end, 3);
  const v = await vote(a.id, d23);
  refused(await stepCall(a, { step: 23, date: d23, decision: 'extend', extension_months: 13, vote: v }), 'extension_months', 'R-DEV-12');
  const ext = await stepCall(a, { step: 23, date: d23, decision: 'extend', extension_months: 6, vote: v });
  assert.equal(ext.status, 201, ext.text);
  assert.equal(ext.body.extension_months, 6);
  assert.equal(ext.body.probation_end, addMonths(a.probation_end, 6));
  assert.equal(ext.body.last_step, 21); // back to 继续教育考察
  const b = await walk(ext.body, 22, { 22: { date: addDays(ext.body.probation_end, -10) } });
  const d2 = addDays(b.probation_end, 2);
  refused(await stepCall(b, { step: 23, date: d2, decision: 'extend', extension_months: 6, vote: await vote(b.id, d2) }), 'decision', 'R-DEV-12');
  const c = await walk(b, 23, { 23: { date: d2, publicity_start: addDays(d2, -20) } });
  refused(await stepCall(c, { step: 24, date: addDays(addMonths(c.probation_end, 3), 1) }, committee), 'date', 'R-DEV-12');
  assert.equal((await stepCall(c, { step: 24, date: addMonths(c.probation_end, 3) }, committee)).status, 201);
});

test('R-DEV-13 step 24 makes the member 正式党员, 转正时间 = the end of the 预备期, 党龄 from then', async () => {
  const a = await walk(await newApplicant({ applied_on: '2022-01-10' }), 24);
  const m = await admin.call('GET', `/api/v1/members/${a.member_id}`);
  assert.equal(m.body.party_status, 'formal');
  assert.equal(m.body.confirmed_on, a.probation_end);
  assert.equal(m.body.joined_on, a.steps.find((s) => s.step === 15).date);
  const done = await walk(a, 25);
  assert.equal(done.status, 'done');
  refused(await stepCall(done, { step: 25, date: done.last_on }), 'step', 'not_active');
});

test('R-DEV-15 公示 of 5 working days before 发展对象 and before 转正; one spanning 春节 2026', async () => {
  const a = await walk(await newApplicant({ applied_on: '2024-12-01' }), 6, { 3: { date: '2025-01-10' }, 4: { date: '2025-01-12' }, 5: { date: '2025-01-13' }, 6: { date: '2025-07-10' } });
  refused(await stepCall(a, { step: 7, date: '2026-02-20' }), 'publicity_start', 'R-DEV-15');
  // 12 Feb 2026 → 25 Feb 2026 (Sat 14 Feb worked, 15–23 Feb rest)
  const r = await stepCall(a, { step: 7, date: '2026-02-25', publicity_start: '2026-02-12' });
  refused(r, 'date', 'R-DEV-15');
  assert.match(r.body.errors.find((e) => e.code === 'R-DEV-15').message, /2026-02-25/);
  const ok = await stepCall(a, { step: 7, date: '2026-02-26', publicity_start: '2026-02-12' });
  assert.equal(ok.status, 201, ok.text);
  assert.deepEqual(ok.body.steps.find((s) => s.step === 7).data.publicity, { start: '2026-02-12', end: '2026-02-25', workdays: 5 });
  // before 转正 too
  const b = await walk(await newApplicant({ applied_on: '2022-01-10' }), 22);
  const d = addDays(b.probation_end, 1);
  refused(await stepCall(b, { step: 23, date: d, decision: 'confirm', publicity_start: addDays(d, -2), vote: await vote(b.id, d) }), 'date', 'R-DEV-15');
});

test('R-DEV-16 approvals within the committee\'s yearly quota; none set means none', async () => {
  const a = await walk(await newApplicant({ applied_on: '2019-01-10' }), 16);
  const year = Number(a.last_on.slice(0, 4)); // 2020
  const none = await stepCall(a, { step: 17, date: addDays(a.last_on, 5) }, committee);
  refused(none, 'org_id', 'R-DEV-16');
  await admin.call('PUT', '/api/v1/development/quotas', { org_id: 3, year, quota: 1 });
  assert.equal((await stepCall(a, { step: 17, date: addDays(a.last_on, 5) }, committee)).status, 201);
  const b = await walk(await newApplicant({ applied_on: '2019-01-10' }), 16);
  refused(await stepCall(b, { step: 17, date: addDays(b.last_on, 5) }, committee), 'org_id', 'R-DEV-16');
  const q = await committee.call('GET', `/api/v1/development/quotas?year=${year}`);
  const row = q.body.items.find((i) => i.org_id === 3);
  assert.deepEqual([row.quota, row.used, row.left], [1, 1, 0]);
  // quotas are set by the district and only for committees; never below what is used
  problemOk(null, await committee.call('PUT', '/api/v1/development/quotas', { org_id: 3, year, quota: 5 }), 403, 'forbidden');
  refused(await admin.call('PUT', '/api/v1/development/quotas', { org_id: BRANCH, year, quota: 5 }), 'org_id', 'R-DEV-16');
  refused(await admin.call('PUT', '/api/v1/development/quotas', { org_id: 3, year, quota: 0 }), 'quota', 'R-DEV-16');
});

test('concurrent approvals of the same step: one wins, the other gets 409', async () => {
  const a = await walk(await newApplicant(), 16);
  const body = { step: 17, date: addDays(a.last_on, 5) };
  const [x, y] = await Promise.all([stepCall(a, body, committee), stepCall(a, body, admin)]);
  assert.deepEqual([x.status, y.status].sort(), [201, 409]);
  assert.equal(sqlQuery(srv.dir, `SELECT COUNT(*) FROM dev_steps WHERE applicant_id = ${a.id} AND step = 17`), '1');
  // out of order: not the next step
  refused(await stepCall(a, { step: 20, date: addDays(a.last_on, 10) }), 'step', 'out_of_order');
});

test('return for edit with a reason, withdrawal with a reason, every change audited; scope answers 404', async () => {
  const a = await walk(await newApplicant(), 5);
  const r = await sec.call('POST', `/api/v1/development/applicants/${a.id}/return`, { step: 5, reason: '培养联系人应为两名' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.last_step, 4);
  const ret = r.body.steps.find((s) => s.step === 5);
  assert.equal(ret.returned, true);
  assert.equal(ret.return_reason, '培养联系人应为两名');
  problemOk(null, await sec.call('POST', `/api/v1/development/applicants/${a.id}/return`, { step: 3, reason: 'x' }), 409, 'conflict');
  refused(await sec.call('POST', `/api/v1/development/applicants/${a.id}/return`, { step: 4 }), 'reason', 'required');
  const again = await stepCall(r.body, { step: 5, date: ret.date, contacts: [member9[0], member9[1]] });
  assert.equal(again.status, 201, again.text);
  const w = await sec.call('POST', `/api/v1/development/applicants/${a.id}/withdraw`, { reason: '本人申请撤回' });
  assert.equal(w.status, 200, w.text);
  assert.equal(w.body.status, 'withdrawn');
  refused(await stepCall(w.body, { step: 6, date: addDays(again.body.last_on, 1) }), 'step', 'not_active');
  const actions = sqlQuery(srv.dir, `SELECT action FROM audit_log WHERE object_type = 'dev_applicant' AND object_id = ${a.id} ORDER BY id`).split('\n');
  assert.deepEqual(actions, ['dev.applicant_create', 'dev.step', 'dev.step', 'dev.step', 'dev.step', 'dev.return', 'dev.step', 'dev.withdraw']);
  // another district's administrator sees nothing
  problemOk(null, await foreign.call('GET', `/api/v1/development/applicants/${a.id}`), 404, 'not_found');
  problemOk(null, await foreign.call('POST', `/api/v1/development/applicants/${a.id}/steps`, { step: 6, date: '2025-01-01' }), 404, 'not_found');
  const list = await foreign.call('GET', '/api/v1/development/applicants');
  assert.equal(list.body.items.length, 0);
});

test('the board and the work list are kept at a revision of what they show (0124 dev_rev, org_rev) and the day: a new applicant, a rename, a withdrawal show at once; the scope is checked on each request', async () => {
  const b = '/api/v1/development/board?org_id=3', w = '/api/v1/development/warnings?org_id=3';
  const b0 = await committee.call('GET', b), w0 = await committee.call('GET', w);
  assert.equal(b0.status, 200, b0.text);
  assert.equal(w0.status, 200, w0.text);
  assert.deepEqual((await committee.call('GET', b)).body, b0.body);
  assert.deepEqual((await committee.call('GET', w)).body, w0.body);
  assert.deepEqual((await admin.call('GET', b)).body, b0.body); // the same ranges: the same answer
  problemOk(null, await foreign.call('GET', b), 404, 'not_found');
  problemOk(null, await foreign.call('GET', w), 404, 'not_found');
  // a new applicant whose talk is overdue: on the board and on the work list at once
  const today = iso(new Date(Date.now() + 8 * 3600e3));
  const a = await newApplicant({ name: '缓存申请人', applied_on: addDays(today, -40) });
  const b1 = await committee.call('GET', b), w1 = await committee.call('GET', w);
  assert.equal(b1.body.total, b0.body.total + 1);
  assert.equal(b1.body.overdue, b0.body.overdue + 1);
  assert.equal(w1.body.items.find((i) => i.id === a.id)?.warning, 'overdue');
  // the branch renamed: its name on the board's row and on the work list
  const old = sqlQuery(srv.dir, `SELECT name FROM orgs WHERE id = ${BRANCH}`);
  assert.equal((await admin.call('PATCH', `/api/v1/orgs/${BRANCH}`, { name: `${old}（缓存）` })).status, 200);
  assert.equal((await committee.call('GET', b)).body.orgs.find((o) => o.org_id === BRANCH).org_name, `${old}（缓存）`);
  assert.equal((await committee.call('GET', w)).body.items.find((i) => i.id === a.id).org_name, `${old}（缓存）`);
  assert.equal((await admin.call('PATCH', `/api/v1/orgs/${BRANCH}`, { name: old })).status, 200);
  // withdrawn (written behind the API, as a restore or another server would): gone at once
  sqlQuery(srv.dir, `UPDATE dev_applicants SET status = 'withdrawn' WHERE id = ${a.id}`);
  assert.deepEqual((await committee.call('GET', b)).body, b0.body);
  assert.deepEqual((await committee.call('GET', w)).body, w0.body);
});

test('board, statistics and the member\'s own progress', async () => {
  const board = await committee.call('GET', '/api/v1/development/board?org_id=3');
  assert.equal(board.status, 200, board.text);
  const total = Number(sqlQuery(srv.dir, "SELECT COUNT(*) FROM dev_applicants WHERE status = 'active'"));
  assert.equal(board.body.total, total);
  assert.equal(board.body.stages.reduce((s, x) => s + x.count, 0), total);
  assert.ok(board.body.overdue >= 1);
  assert.ok(board.body.orgs.some((o) => o.org_id === BRANCH));
  const st = await admin.call('GET', '/api/v1/stats/development?from=2000-01-01&to=2099-12-31');
  assert.equal(st.status, 200, st.text);
  const developed = Number(sqlQuery(srv.dir, "SELECT COUNT(*) FROM dev_applicants WHERE approved_on IS NOT NULL AND status <> 'withdrawn'"));
  assert.equal(st.body.developed.total, developed);
  assert.equal(st.body.developed.college_plus, developed); // every test applicant has 大学本科
  assert.equal(st.body.developed.two_new, developed);
  assert.equal(st.body.developed.under_35, developed);
  assert.equal(st.body.pipeline.stages.reduce((s, x) => s + x.count, 0), total);
  const y = await admin.call('GET', '/api/v1/stats/development?from=2023-01-01&to=2023-12-31');
  assert.equal(y.body.developed.total, Number(sqlQuery(srv.dir, "SELECT COUNT(*) FROM dev_applicants WHERE approved_on BETWEEN '2023-01-01' AND '2023-12-31' AND status <> 'withdrawn'")));
  refused(await admin.call('GET', '/api/v1/stats/development?from=2024-01-01&to=2023-01-01'), 'to', 'invalid_range');
  // the figures are kept at the records' revision (0124): every change shows at once
  const again = await admin.call('GET', '/api/v1/stats/development?from=2000-01-01&to=2099-12-31');
  const one = await newApplicant({ name: '统计缓存' });
  const later = await admin.call('GET', '/api/v1/stats/development?from=2000-01-01&to=2099-12-31');
  assert.equal(later.body.pipeline.applicants, again.body.pipeline.applicants + 1);
  sqlQuery(srv.dir, `UPDATE dev_applicants SET status = 'withdrawn' WHERE id = ${one.id}`);
  const gone = await admin.call('GET', '/api/v1/stats/development?from=2000-01-01&to=2099-12-31');
  assert.equal(gone.body.pipeline.applicants, again.body.pipeline.applicants);
  // 我的: the 预备党员's own record through the account linked to the member
  const mine = await walk(await newApplicant({ name: '手机用户' }), 16);
  const u = await signIn(srv, { role: 'member', org: BRANCH });
  sqlQuery(srv.dir, `UPDATE users SET member_id = ${mine.member_id} WHERE username = '${u.username}'`);
  const me = await u.call('GET', '/api/v1/me/development');
  assert.equal(me.status, 200, me.text);
  assert.equal(me.body.last_step, 16);
  assert.equal(me.body.next.step, 17);
});

test('the paper forms as DOCX: 登记表 with every step opens in LibreOffice; a form before its step is 409', async () => {
  const a = await walk(await newApplicant({ name: '文书对象' }), 16);
  const get = (form) => fetch(`${srv.base}/api/v1/development/applicants/${a.id}/forms/${form}`, { headers: { cookie: sec.cookie } });
  for (const form of ['candidate_notice', 'probationary_notice', 'branch_resolution', 'application_extract', 'register']) {
    const r = await get(form);
    assert.equal(r.status, 200, form);
    assert.match(r.headers.get('content-type'), /wordprocessingml/);
    assert.match(r.headers.get('content-disposition'), /attachment/);
  }
  const early = await newApplicant({ name: '尚早' });
  const r409 = await fetch(`${srv.base}/api/v1/development/applicants/${early.id}/forms/branch_resolution`, { headers: { cookie: sec.cookie } });
  assert.equal(r409.status, 409);
  assert.equal((await fetch(`${srv.base}/api/v1/development/applicants/${early.id}/forms/nonsense`, { headers: { cookie: sec.cookie } })).status, 404);
  assert.equal(sqlQuery(srv.dir, `SELECT COUNT(*) FROM audit_log WHERE action = 'dev.form' AND object_id = ${a.id}`), '5');
  const dir = mkdtempSync(join(tmpdir(), 'dj-devforms-'));
  try {
    const file = join(dir, 'register.docx');
    writeFileSync(file, Buffer.from(await (await get('register')).arrayBuffer()));
    const xml = spawnSync('unzip', ['-p', file, 'word/document.xml'], { encoding: 'utf8' }).stdout;
    assert.ok(xml.includes('发展党员工作登记表') && xml.includes('文书对象') && xml.includes('上级党委审批'));
    assert.doesNotMatch(xml, /\d{17}[\dX]/, 'the ID number masked');
    const res = join(dir, 'resolution.docx');
    writeFileSync(res, Buffer.from(await (await get('branch_resolution')).arrayBuffer()));
    const rx = spawnSync('unzip', ['-p', res, 'word/document.xml'], { encoding: 'utf8' }).stdout;
    assert.match(rx, /应到会有表决权的正式党员9名/);
    // 入党志愿书摘要: the booklet's particulars from the steps, the approval not yet recorded (step 16 walked)
    const ex = join(dir, 'extract.docx');
    writeFileSync(ex, Buffer.from(await (await get('application_extract')).arrayBuffer()));
    const exml = spawnSync('unzip', ['-p', ex, 'word/document.xml'], { encoding: 'utf8' }).stdout;
    assert.ok(exml.includes('入党志愿书（摘要）') && exml.includes('文书对象') && exml.includes('上级党委尚未审批'));
    if (spawnSync('which', ['soffice']).status !== 0) return;
    const lo = spawnSync('soffice', [`-env:UserInstallation=file://${dir}/lo`, '--headless', '--convert-to', 'pdf', '--outdir', dir, file], { encoding: 'utf8', timeout: 120000 });
    assert.ok(existsSync(join(dir, 'register.pdf')), `LibreOffice converted it: ${lo.stderr}`);
    const txt = spawnSync('pdftotext', [join(dir, 'register.pdf'), '-'], { encoding: 'utf8' });
    if (txt.status === 0) assert.match(txt.stdout.replace(/\s+/g, ''), /发展党员工作登记表/);
    assert.ok(readFileSync(join(dir, 'register.pdf')).length > 3000);
  } finally { removeDir(dir); }
});

test('batch: the same 谈话 date for several applicants, all or nothing; a full view of the ID number is audited', async () => {
  const xs = [await newApplicant({ applied_on: '2025-03-01' }), await newApplicant({ applied_on: '2025-03-05' })];
  const late = await newApplicant({ applied_on: '2025-03-20' });
  // one refused (the date before its application, R-DEV-07): nothing written
  const bad = await sec.call('POST', '/api/v1/development/batch', { ids: [xs[0].id, xs[1].id, late.id], step: 2, date: '2025-03-15' });
  problemOk(null, bad, 400, 'validation_failed');
  assert.ok(bad.body.errors.some((e) => e.code === 'R-DEV-07'));
  assert.ok(bad.body.errors.some((e) => e.field === 'ids[2]'));
  for (const a of [...xs, late]) await unchanged(a);
  const ok = await sec.call('POST', '/api/v1/development/batch', { ids: xs.map((a) => a.id), step: 2, date: '2025-03-25' });
  assert.equal(ok.status, 201, ok.text);
  for (const a of xs) assert.equal((await sec.call('GET', `/api/v1/development/applicants/${a.id}`)).body.last_step, 2);
  problemOk(null, await foreign.call('POST', '/api/v1/development/batch', { ids: [late.id], step: 2, date: '2025-03-25' }), 400, 'validation_failed');
  // reveal: pii.view only, audited
  problemOk(null, await sec.call('GET', `/api/v1/development/applicants/${late.id}?reveal=1`), 403, 'forbidden');
  const full = await admin.call('GET', `/api/v1/development/applicants/${late.id}?reveal=1`);
  assert.equal(full.status, 200, full.text);
  assert.match(full.body.id_number, /^\d{17}[\dX]$/);
  assert.equal(sqlQuery(srv.dir, `SELECT COUNT(*) FROM audit_log WHERE action = 'dev.applicant_pii_view' AND object_id = ${late.id}`), '1');
});
