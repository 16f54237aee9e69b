// indicators.test.mjs: the yearly report's figures (issue 19). Every registered
// indicator equals a direct count of the rows (a key without a truth here fails, so a
// capability adding a figure adds its count); the records behind a figure are as many
// as the figure; the template is checked with positions; the DOCX report opens in
// LibreOffice with every figure filled; a closed year's snapshot stays as it was.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { problemOk, removeDir, cli } from './lib/server.mjs';
import { login, strongPassword } from './lib/auth.mjs';
import { district, as, download } from './lib/roster_api.mjs';
import { addYears, idNumber } from './lib/roster.mjs';

let srv, admin, sec;
before(async () => {
  srv = await district({ orgs: 50, members: 900, seed: 7 });
  admin = await as(srv, 'district_admin', 1);
  sec = await as(srv, 'branch_secretary', srv.branch(0));
});
after(async () => { await srv.stop(); });

const IN_ROSTER = "state NOT IN ('deceased', 'withdrawn', 'removed', 'expelled')";
const today = () => new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10); // Beijing

// The truth of each indicator over the subtree of the organization at path p.
function truths(p, from, to) {
  const end = p.slice(0, -1) + '0';
  // 发展党员: approved (D(17)) in the period, the withdrawn not counted
  const d = (c) => `(SELECT COUNT(*) FROM dev_applicants a WHERE a.org_path >= '${p}' AND a.org_path < '${end}' AND a.approved_on >= '${from}' AND a.approved_on <= '${to}' AND a.status <> 'withdrawn' AND (${c}))`;
  const m = (c) => `(SELECT COUNT(*) FROM members m WHERE m.org_path >= '${p}' AND m.org_path < '${end}' AND ${IN_ROSTER} AND (${c}))`;
  const o = (c) => `(SELECT COUNT(*) FROM orgs o WHERE o.path >= '${p}' AND o.path < '${end}' AND (${c}))`;
  const y35 = addYears(today(), -35);
  return {
    'orgs.grassroots': o("type IN ('党委', '党总支', '党支部', '联合党支部')"),
    'orgs.committees': o("type = '党委'"),
    'orgs.general_branches': o("type = '党总支'"),
    'orgs.branches': o("type IN ('党支部', '联合党支部')"),
    'orgs.two_new': o("type IN ('党委', '党总支', '党支部', '联合党支部') AND two_new = 1"),
    'members.total': m('1 = 1'),
    'members.formal': m("party_status = 'formal'"),
    'members.probationary': m("party_status = 'probationary'"),
    'members.female': m("sex = '2'"),
    'members.minority': m("ethnicity <> '01'"),
    'members.college_plus': m("education >= '10' AND education < '40'"),
    'members.under_35': m(`birth_date > '${y35}'`),
    'members.two_new': m('two_new = 1'),
    // transfers: completed (received) in the period (default: this year), either side in the subtree
    'transfers.completed': `(SELECT COUNT(*) FROM transfers t WHERE t.state IN ('received', 'receipt_returned') AND t.received_on >= '${today().slice(0, 4)}-01-01' AND t.received_on <= '${today()}' AND ((t.from_path >= '${p}' AND t.from_path < '${end}') OR (t.to_path >= '${p}' AND t.to_path < '${end}')))`,
    // transfers by direction from the subtree's point of view
    ...(() => {
      const done = `t.state IN ('received', 'receipt_returned') AND t.received_on >= '${today().slice(0, 4)}-01-01' AND t.received_on <= '${today()}'`;
      const fromIn = `(t.from_path IS NOT NULL AND t.from_path >= '${p}' AND t.from_path < '${end}')`;
      const toIn = `(t.to_path IS NOT NULL AND t.to_path >= '${p}' AND t.to_path < '${end}')`;
      const c = (w) => `(SELECT COUNT(*) FROM transfers t WHERE ${done} AND ${w})`;
      return { 'transfers.in': c(`${toIn} AND NOT ${fromIn}`), 'transfers.out': c(`${fromIn} AND NOT ${toIn}`), 'transfers.within': c(`${fromIn} AND ${toIn}`) };
    })(),
    // messages: political-birthday greetings sent by SMS this year, by their recipients' organizations
    'messages.birthday_sent': `(SELECT COUNT(*) FROM outbox o WHERE o.kind = 'birthday' AND o.channel = 'sms' AND o.state = 'sent' AND o.org_path >= '${p}' AND o.org_path < '${end}' AND o.done_day >= '${today().slice(0, 4)}-01-01' AND o.done_day <= '${today()}')`,
    // 公众号 (issue 16): sections and items of the accounts owned in the subtree, members linked
    'wechat.sections': `(SELECT COUNT(*) FROM wechat_sections WHERE org_path >= '${p}' AND org_path < '${end}')`,
    'wechat.items': `(SELECT COUNT(*) FROM wechat_items i JOIN wechat_sections s ON s.id = i.section_id WHERE s.org_path >= '${p}' AND s.org_path < '${end}')`,
    'wechat.linked_members': `(SELECT COUNT(*) FROM member_wechat w JOIN members m ON m.id = w.member_id WHERE m.state = 'normal' AND m.org_path >= '${p}' AND m.org_path < '${end}')`,
    // 三会一课 (the period: this year to today)
    'meetings.held': `(SELECT COUNT(*) FROM meetings WHERE org_path >= '${p}' AND org_path < '${end}' AND held_on >= '${today().slice(0, 4)}-01-01' AND held_on <= '${today()}' AND status IN ('submitted', 'approved'))`,
    'meetings.reviewed': `(SELECT COUNT(*) FROM meeting_views WHERE org_path >= '${p}' AND org_path < '${end}' AND viewed_at >= ${Date.UTC(Number(today().slice(0, 4)), 0, 1) / 1000} AND viewed_at < ${Date.parse(`${today()}T00:00:00Z`) / 1000 + 86400})`,
    'development.developed': d('1 = 1'),
    'development.under_35': d('approved_age < 35'),
    'development.college_plus': d("education >= '10' AND education < '40'"),
    'development.two_new': d('two_new = 1'),
    'development.women': d("sex = '2'"),
    'development.minorities': d("ethnicity <> '01'"),
    // bases (issue 17): the default period is this year to today
    'bases.total': `(SELECT COUNT(*) FROM bases b JOIN orgs o ON o.id = b.org_id WHERE o.path >= '${p}' AND o.path < '${end}')`,
    'bases.bookings_received': `(SELECT COUNT(*) FROM base_bookings k WHERE k.org_path >= '${p}' AND k.org_path < '${end}' AND k.day >= '${today().slice(0, 4)}-01-01' AND k.day <= '${today()}')`,
    'bases.bookings_completed': `(SELECT COUNT(*) FROM base_bookings k WHERE k.org_path >= '${p}' AND k.org_path < '${end}' AND k.day >= '${today().slice(0, 4)}-01-01' AND k.day <= '${today()}' AND k.status IN ('checked_in', 'completed'))`,
    // 三会一课 by type (meeting.c's numbers) and study hours (present count × the meeting's hours; tenths summed, rounded)
    ...(() => {
      const held = `org_path >= '${p}' AND org_path < '${end}' AND held_on >= '${today().slice(0, 4)}-01-01' AND held_on <= '${today()}' AND status IN ('submitted', 'approved')`;
      const ty = (n) => `(SELECT COUNT(*) FROM meetings WHERE ${held} AND type = ${n})`;
      return {
        'meetings.general': ty(1), 'meetings.committee': ty(2), 'meetings.group': ty(3), 'meetings.lecture': ty(4),
        'meetings.theme_day': ty(5), 'meetings.life': ty(6), 'meetings.appraisal': ty(7),
        'meetings.study_hours': `(SELECT (CAST(COALESCE(SUM(present_count * hours_x10), 0) AS BIGINT) + 5) / 10 FROM meetings WHERE ${held})`,
        // the present counts are the attendance lines where these were recorded (the demo's small district)
        'meetings.study_hours/lines': `(SELECT (CAST(COALESCE(SUM(m.hours_x10), 0) AS BIGINT) + 5) / 10 FROM meetings m JOIN meeting_attendance a ON a.meeting_id = m.id AND a.status = 'present' WHERE m.${held.replaceAll(' AND ', ' AND m.')})`,
      };
    })(),
    // 学习专题 (issue 16): published in the period by the subtree; the read rate by the members pushed to in the subtree
    ...(() => {
      const pub = `i.state = 'published' AND i.published_day >= '${today().slice(0, 4)}-01-01' AND i.published_day <= '${today()}'`;
      const mine = `i.org_path >= '${p}' AND i.org_path < '${end}'`;
      return {
        'study.issues_published': `(SELECT COUNT(*) FROM study_issues i WHERE ${pub} AND ${mine})`,
        'study.items_pushed': `(SELECT COUNT(*) FROM study_items x JOIN study_issues i ON i.id = x.issue_id WHERE ${pub} AND ${mine})`,
        'study.read_rate': `(SELECT COUNT(*) FROM study_reads r JOIN study_items x ON x.id = r.item_id JOIN study_issues i ON i.id = x.issue_id JOIN outbox o ON o.member_id = r.member_id AND o.kind = 'study' AND o.dedup_key LIKE 'study:' || i.id || ':inapp:%' WHERE r.finished_at IS NOT NULL AND ${pub} AND o.org_path >= '${p}' AND o.org_path < '${end}')`,
        'study.read_rate/den': `(SELECT COUNT(*) FROM study_items x JOIN study_issues i ON i.id = x.issue_id JOIN outbox o ON o.kind = 'study' AND o.dedup_key LIKE 'study:' || i.id || ':inapp:%' WHERE ${pub} AND o.org_path >= '${p}' AND o.org_path < '${end}')`,
      };
    })(),
    'bases.visitors': `(SELECT COALESCE(SUM(COALESCE(attended, 0)), 0) FROM base_bookings k WHERE k.org_path >= '${p}' AND k.org_path < '${end}' AND k.day >= '${today().slice(0, 4)}-01-01' AND k.day <= '${today()}' AND k.status IN ('checked_in', 'completed'))`,
    // services (issue 18): requests of the period (this year to today, China time)
    ...(() => {
      const sv = (c) => `(SELECT COUNT(*) FROM svc_requests r WHERE r.org_path >= '${p}' AND r.org_path < '${end}' AND (${c}))`;
      const from = Date.parse(`${today().slice(0, 4)}-01-01T00:00:00+08:00`) / 1000, to = Date.parse(`${today()}T23:59:59+08:00`) / 1000;
      return {
        'services.accepted': sv(`requested_at BETWEEN ${from} AND ${to}`),
        'services.completed': sv(`completed_at BETWEEN ${from} AND ${to}`),
        'services.satisfaction_rate': sv(`rating = 'satisfied' AND rated_at BETWEEN ${from} AND ${to}`),
      };
    })(),
  };
}

// 换届 due is R-ORG-02/03's alert list, counted by the alerts route (tested in orgs)
const VIA_ALERTS = new Set(['orgs.term_due']);

async function checkAll(s, orgId) {
  const path = srv.sql(`SELECT path FROM orgs WHERE id = ${orgId}`);
  const r = await s.call('GET', `/api/v1/indicators?org_id=${orgId}`);
  assert.equal(r.status, 200, r.text);
  const t = truths(path, r.body.from, r.body.to);
  const keys = Object.keys(t);
  const counts = srv.sql(`SELECT ${keys.map((k) => t[k]).join(" || '|' || ")}`).split('|').map(Number);
  const want = Object.fromEntries(keys.map((k, i) => [k, counts[i]]));
  const alerts = await s.call('GET', `/api/v1/orgs/alerts?org_id=${orgId}`);
  for (const it of r.body.items) {
    if (it.key === 'meetings.compliance_rate') {
      // R-MTG-01's met / (met + missing), as the heat-map of the same year counts them
      const c = await s.call('GET', `/api/v1/meetings/compliance?org_id=${orgId}&year=${today().slice(0, 4)}&limit=0`);
      assert.equal(c.status, 200, c.text);
      assert.equal(it.value.num, c.body.met, it.key);
      assert.equal(it.value.den, c.body.met + c.body.missing || -1, it.key);
      continue;
    }
    if (VIA_ALERTS.has(it.key)) {
      assert.equal(alerts.status, 200, alerts.text);
      const items = alerts.body.items || alerts.body;
      assert.equal(it.value.num, items.filter((a) => a.code === 'term_due' || a.code === 'term_overdue').length, it.key);
      continue;
    }
    assert.ok(it.key in want, `indicator ${it.key} has no direct count in this test`);
    assert.equal(it.value.num, want[it.key], `${it.key}: ${it.value.num} vs ${want[it.key]}`);
    if (`${it.key}/den` in want) assert.equal(it.value.den, want[`${it.key}/den`] || -1, `${it.key} (denominator)`);
    if (`${it.key}/lines` in want) assert.equal(it.value.num, want[`${it.key}/lines`], `${it.key} (attendance lines)`);
    assert.ok(it.name && it.unit && it.definition && it.group, it.key);
  }
  return r.body;
}

// 学习专题: an issue of the first community published this year, read on the phone by
// members it was pushed to (to the end, or only opened), so the study figures count
// something
async function memberUser(memberId) {
  const username = `im${memberId}u${process.pid}`;
  const r = cli(srv.dir, ['user', 'add', '--username', username, '--name', '党员', '--role', 'member', '--member', String(memberId)]);
  const otp = r.stdout.match(/one-time password: (\S+)/)[1];
  const s = (await login(srv, username, otp)).session;
  const ch = await s.call('PUT', '/api/v1/session/password', { old_password: otp, new_password: strongPassword() });
  assert.equal(ch.status, 200, ch.text);
  s.update(ch.body);
  return s;
}

async function studyIssue() {
  const author = await as(srv, 'committee_admin', srv.community(0));
  const c = await author.call('POST', '/api/v1/study/issues', { org_id: srv.community(0), title: '指标测试专题' });
  assert.equal(c.status, 201, c.text);
  for (const t of ['原文', '解读']) {
    const it = await author.call('POST', `/api/v1/study/issues/${c.body.id}/items`, { kind: 'link', title: t, url: 'https://www.12371.cn/' });
    assert.equal(it.status, 201, it.text);
  }
  assert.equal((await author.call('POST', `/api/v1/study/issues/${c.body.id}/submit`)).status, 200);
  const pub = await admin.call('POST', `/api/v1/study/issues/${c.body.id}/review`, { decision: 'publish' });
  assert.equal(pub.status, 200, pub.text);
  assert.ok(pub.body.pushed > 3);
  // three members of different branches read through their phones: both items to the
  // end, one to the end (and the other twice), one only opened
  const items = (await admin.call('GET', `/api/v1/study/issues/${c.body.id}`)).body.items.map((i) => i.id);
  const readers = srv.sql(`SELECT MIN(o.member_id) FROM outbox o WHERE o.dedup_key LIKE 'study:${c.body.id}:inapp:%' GROUP BY o.org_path ORDER BY o.org_path LIMIT 3`).split('\n').map(Number);
  assert.equal(readers.length, 3);
  const plan = [[items[0], items[1]], [items[0]], []];
  for (const [k, mid] of readers.entries()) {
    const m = await memberUser(mid);
    for (const it of items) assert.equal((await m.call('GET', `/api/v1/me/study/items/${it}`)).status, 200);
    for (const it of plan[k]) assert.equal((await m.call('POST', `/api/v1/me/study/items/${it}/finish`)).status, 200);
    if (k === 1) assert.equal((await m.call('POST', `/api/v1/me/study/items/${items[0]}/finish`)).status, 200, 'a second finish counts once');
  }
  return c.body.id;
}

test('every indicator equals a direct count of the rows: the district and a branch', async () => {
  await studyIssue();
  const all = await checkAll(admin, 1);
  assert.ok(all.items.length >= 14);
  assert.ok(all.items.find((i) => i.key === 'members.total').value.num > 500);
  const br = await checkAll(sec, srv.branch(0));
  assert.ok(br.items.find((i) => i.key === 'members.total').value.num > 0);
});

test('the figures of 三会一课, bases and 学习专题 count something, and the read rate’s records are each branch’s rate', async () => {
  const r = await admin.call('GET', `/api/v1/indicators?org_id=${srv.community(0)}`);
  const v = (k) => r.body.items.find((i) => i.key === k).value;
  for (const k of ['meetings.committee', 'meetings.theme_day', 'meetings.study_hours', 'study.issues_published', 'study.items_pushed']) assert.ok(v(k).num > 0, k);
  assert.ok(v('study.read_rate').num > 0 && v('study.read_rate').num < v('study.read_rate').den);
  const rows = await admin.call('GET', `/api/v1/indicators/study.read_rate/rows?org_id=${srv.community(0)}&limit=200`);
  assert.equal(rows.status, 200, rows.text);
  const branches = Number(srv.sql(`SELECT COUNT(*) FROM orgs WHERE path >= (SELECT path FROM orgs WHERE id = ${srv.community(0)}) AND path < (SELECT substr(path, 1, length(path) - 1) || '0' FROM orgs WHERE id = ${srv.community(0)}) AND type IN ('党支部', '联合党支部')`));
  assert.equal(rows.body.items.length, branches);
  let num = 0, den = 0;
  for (const b of rows.body.items) {
    const one = (await admin.call('GET', `/api/v1/indicators?org_id=${b.id}`)).body.items.find((i) => i.key === 'study.read_rate');
    if (one.value.den > 0) {
      assert.match(b.label, new RegExp(`已读完 ${one.value.num} / 应读 ${one.value.den}`), b.org);
      num += one.value.num; den += one.value.den;
    } else assert.match(b.label, /未推送/);
  }
  // the branches hold every member the issue reached in the community
  assert.equal(num, v('study.read_rate').num);
  assert.equal(den, v('study.read_rate').den);
  const hours = await admin.call('GET', `/api/v1/indicators/meetings.study_hours/rows?org_id=${srv.community(0)}&limit=5`);
  assert.equal(hours.status, 200, hours.text);
  assert.match(hours.body.items[0].label, / 人 × [\d.]+ 小时$/);
});

test('the records behind a figure are as many as the figure, masked and in scope', async () => {
  const fig = (await admin.call('GET', '/api/v1/indicators?org_id=1')).body.items.find((i) => i.key === 'members.female').value.num;
  let after = 0, n = 0;
  for (let i = 0; i < 50; i++) {
    const r = await admin.call('GET', `/api/v1/indicators/members.female/rows?org_id=1&limit=200&after=${after}`);
    assert.equal(r.status, 200, r.text);
    n += r.body.items.length;
    assert.doesNotMatch(r.text, /\d{17}[\dX]/, 'no ID number in the rows');
    if (!r.body.next_after) break;
    after = r.body.next_after;
  }
  assert.equal(n, fig);
  const orgRows = await admin.call('GET', '/api/v1/indicators/orgs.branches/rows?org_id=1&limit=5');
  assert.equal(orgRows.body.items.length, 5);
  problemOk(null, await admin.call('GET', '/api/v1/indicators/nope.nothing/rows'), 404, 'not_found');
});

test('a foreign organization answers 404; a period ending before it starts is refused', async () => {
  const foreign = srv.branch(1);
  const r = await sec.call('GET', `/api/v1/indicators?org_id=${foreign}`);
  assert.equal(r.status, 404);
  assert.equal((await sec.call('GET', `/api/v1/indicators/members.total/rows?org_id=${foreign}`)).status, 404);
  const bad = await admin.call('GET', '/api/v1/indicators?from=2026-05-01&to=2026-04-30');
  problemOk(null, bad, 400, 'validation_failed');
  assert.equal(bad.body.errors[0].field, 'to');
  assert.equal(bad.body.errors[0].code, 'period_order');
});

test('the template: unknown keys, missing figures and unbalanced braces are refused with their position', async () => {
  const tpl = await admin.call('GET', '/api/v1/report/template');
  assert.equal(tpl.status, 200, tpl.text);
  assert.equal(tpl.body.default, true);
  assert.deepEqual(tpl.body.problems, [], 'the default template checks clean');
  assert.ok(tpl.body.figures.some((f) => f.key === 'members.total' && f.available));
  const missing = tpl.body.figures.filter((f) => !f.available);
  const bad = await admin.call('PUT', '/api/v1/report/template', {
    body: `% 报告\n党员{members.total}名，{no.such_key}项\n转接{${missing.length ? missing[0].key : 'members.total'}}人次 {members.total\n多余}`,
  });
  problemOk(null, bad, 400, 'validation_failed');
  const codes = bad.body.errors.map((e) => e.code);
  assert.ok(codes.includes('unknown_key'), bad.text);
  assert.ok(codes.includes('unbalanced_brace'), bad.text);
  if (missing.length) assert.ok(codes.includes('missing_figure'), bad.text);
  assert.match(bad.body.errors.find((e) => e.code === 'unknown_key').message, /^第 2 行第 \d+ 字/);
  // nothing was saved
  assert.equal((await admin.call('GET', '/api/v1/report/template')).body.default, true);
  // a secretary may read but not change it
  assert.equal((await sec.call('PUT', '/api/v1/report/template', { body: '% x' })).status, 403);
  const ok = await admin.call('PUT', '/api/v1/report/template', { body: tpl.body.body + '\n本年度新增段落，党员{members.total}名。\n' });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.body.default, false);
  assert.ok(srv.sql("SELECT COUNT(*) FROM audit_log WHERE action = 'report.template_update'") >= 1);
  const check = await admin.call('POST', '/api/v1/report/check', { body: '{members.total}{x' });
  assert.equal(check.status, 200);
  assert.equal(check.body.problems[0].code, 'unbalanced_brace');
  assert.equal(check.body.problems[0].col, 16);
});

test('the report renders to a DOCX with every figure filled that LibreOffice opens', async () => {
  const r = await download(srv, admin, '/api/v1/report?org_id=1');
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers.get('content-type'), /wordprocessingml/);
  assert.match(r.headers.get('content-disposition'), /attachment/);
  const dir = mkdtempSync(join(tmpdir(), 'dj-report-'));
  try {
    const file = join(dir, 'report.docx');
    writeFileSync(file, r.buf);
    const xml = spawnSync('unzip', ['-p', file, 'word/document.xml'], { encoding: 'utf8' }).stdout;
    assert.ok(xml.length > 1000);
    assert.doesNotMatch(xml, /\{[a-z_.]+\}/, 'no unfilled placeholder');
    const total = (await admin.call('GET', '/api/v1/indicators?org_id=1')).body.items.find((i) => i.key === 'members.total').value.text;
    assert.ok(xml.includes(`全区共有党员${total}名`), 'the figure is in the sentence');
    if (spawnSync('which', ['soffice']).status !== 0) return;
    const lo = spawnSync('soffice', [`-env:UserInstallation=file://${dir}/lo`, '--headless', '--convert-to', 'pdf', '--outdir', dir, file], { encoding: 'utf8', timeout: 120000 });
    assert.ok(existsSync(join(dir, 'report.pdf')), `LibreOffice converted it: ${lo.stderr}`);
    const txt = spawnSync('pdftotext', [join(dir, 'report.pdf'), '-'], { encoding: 'utf8' });
    if (txt.status === 0) assert.match(txt.stdout.replace(/\s+/g, ''), /城市基层党建工作情况报告/);
    assert.ok(readFileSync(join(dir, 'report.pdf')).length > 5000);
  } finally { removeDir(dir); }
});

test('a closed year is frozen: the snapshot answers later, with today’s figure beside it', async () => {
  const year = Number(today().slice(0, 4)) - 1;
  problemOk(null, await admin.call('POST', '/api/v1/indicators/snapshots', { org_id: 1, year: year + 1 }), 400, 'validation_failed');
  const s = await admin.call('POST', '/api/v1/indicators/snapshots', { org_id: 1, year });
  assert.equal(s.status, 201, s.text);
  assert.equal((await admin.call('POST', '/api/v1/indicators/snapshots', { org_id: 1, year })).status, 409);
  assert.equal((await sec.call('POST', '/api/v1/indicators/snapshots', { org_id: srv.branch(0), year })).status, 403);
  const before = await admin.call('GET', `/api/v1/indicators?org_id=1&from=${year}-01-01&to=${year}-12-31`);
  const tot = before.body.items.find((i) => i.key === 'members.total');
  assert.equal(tot.frozen.num, tot.value.num);
  assert.equal(before.body.snapshot.year, year);
  // a correction after the close: the frozen figure stays, today's moves
  const m = await admin.call('POST', '/api/v1/members', { org_id: srv.branch(0), name: '封存测试', id_number: idNumber('110105', '1990-01-01', 987), party_status: 'formal', joined_on: '2015-07-01', confirmed_on: '2016-07-01', ethnicity: '01', education: '21' });
  assert.equal(m.status, 201, m.text);
  const later = await admin.call('GET', `/api/v1/indicators?org_id=1&from=${year}-01-01&to=${year}-12-31`);
  const tot2 = later.body.items.find((i) => i.key === 'members.total');
  assert.equal(tot2.frozen.num, tot.value.num);
  assert.equal(tot2.value.num, tot.value.num + 1);
  const doc = await download(srv, admin, `/api/v1/report?org_id=1&from=${year}-01-01&to=${year}-12-31`);
  const dir = mkdtempSync(join(tmpdir(), 'dj-report-'));
  try {
    writeFileSync(join(dir, 'r.docx'), doc.buf);
    const xml = spawnSync('unzip', ['-p', join(dir, 'r.docx'), 'word/document.xml'], { encoding: 'utf8' }).stdout;
    assert.ok(xml.includes(`（现为${tot2.value.text}）`), 'the correction is shown beside the frozen figure');
  } finally { removeDir(dir); }
});

test('the indicator table exports to xlsx', async () => {
  const r = await download(srv, admin, '/api/v1/indicators/export?org_id=1');
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers.get('content-type'), /spreadsheetml/);
  const dir = mkdtempSync(join(tmpdir(), 'dj-ind-'));
  try {
    writeFileSync(join(dir, 'i.xlsx'), r.buf);
    const sheet = spawnSync('unzip', ['-p', join(dir, 'i.xlsx'), 'xl/sharedStrings.xml'], { encoding: 'utf8' }).stdout
      + spawnSync('unzip', ['-p', join(dir, 'i.xlsx'), 'xl/worksheets/sheet1.xml'], { encoding: 'utf8' }).stdout;
    assert.match(sheet, /党员总数/);
    assert.match(sheet, /口径说明/);
  } finally { removeDir(dir); }
});

test('首页: the organization’s figures, its children with their members, alerts and charts', async () => {
  const r = await admin.call('GET', '/api/v1/dashboard?org_id=1');
  assert.equal(r.status, 200, r.text);
  const t = truths(srv.sql('SELECT path FROM orgs WHERE id = 1'));
  assert.equal(r.body.figures.find((f) => f.key === 'members.total').value.num, Number(srv.sql(`SELECT ${t['members.total']}`)));
  assert.equal(r.body.children_total, Number(srv.sql('SELECT COUNT(*) FROM orgs WHERE parent_id = 1')));
  assert.ok(r.body.children.length > 0);
  for (const c of r.body.children) {
    const p = srv.sql(`SELECT path FROM orgs WHERE id = ${c.id}`);
    assert.equal(c.members, Number(srv.sql(`SELECT ${truths(p)['members.total']}`)), c.name);
  }
  const joined = r.body.charts.joined_per_year;
  assert.equal(joined.length, 15);
  const y = joined[joined.length - 1].year;
  assert.equal(joined[joined.length - 1].count, Number(srv.sql(`SELECT COUNT(*) FROM members WHERE ${IN_ROSTER} AND substr(joined_on, 1, 4) = '${y}'`)));
  assert.equal(typeof r.body.alerts.count, 'number');
  // a secretary lands on their own branch; another branch is not there
  const s = await sec.call('GET', '/api/v1/dashboard');
  assert.equal(s.status, 200, s.text);
  assert.equal(s.body.org.id, srv.branch(0));
  assert.equal((await sec.call('GET', `/api/v1/dashboard?org_id=${srv.branch(1)}`)).status, 404);
});

test('首页 is kept for a moment but a change to the roster shows at once', async () => {
  const a = await admin.call('GET', '/api/v1/dashboard?org_id=1');
  const b = await admin.call('GET', '/api/v1/dashboard?org_id=1');
  assert.deepEqual(b.body, a.body);
  const m = await admin.call('POST', '/api/v1/members', { org_id: srv.branch(2), name: '首页缓存', id_number: idNumber('110105', '1991-02-03', 321), party_status: 'formal', joined_on: '2016-07-01', confirmed_on: '2017-07-01', ethnicity: '01', education: '21' });
  assert.equal(m.status, 201, m.text);
  const c = await admin.call('GET', '/api/v1/dashboard?org_id=1');
  const tot = (r) => r.body.figures.find((f) => f.key === 'members.total').value.num;
  assert.equal(tot(c), tot(a) + 1);
});

// 首页's work lists: each a direct count over the organizations where the caller holds
// the list's permission (model/worklist.c), only those with something waiting
function workTruths(p, own) {
  const end = p.slice(0, -1) + '0';
  const day = today(), now = Math.floor(Date.now() / 1000);
  const r = (col) => `${col} >= '${p}' AND ${col} < '${end}'`;
  const svcOpen = `state IN ('accepted', 'dispatched', 'in_progress') AND ${r('org_path')}`;
  return {
    dev_overdue: `SELECT COUNT(*) FROM dev_applicants WHERE ${r('org_path')} AND status = 'active' AND due_on IS NOT NULL AND due_on < '${day}'`,
    dev_due: `SELECT COUNT(*) FROM dev_applicants WHERE ${r('org_path')} AND status = 'active' AND warn_on IS NOT NULL AND warn_on <= '${day}' AND (due_on IS NULL OR due_on >= '${day}')`,
    transfer_approve: `SELECT COUNT(*) FROM transfers WHERE state = 'submitted' AND ${r('from_path')}`,
    transfer_send: `SELECT COUNT(*) FROM transfers WHERE state = 'approved' AND ${r('from_path')}`,
    transfer_accept: `SELECT COUNT(*) FROM transfers WHERE state = 'sent' AND ${r('to_path')}`,
    meeting_review: `SELECT COUNT(*) FROM meetings WHERE status = 'submitted' AND ${r('org_path')} AND org_path <> '${own ? p : ''}'`,
    meeting_returned: `SELECT COUNT(*) FROM meetings WHERE status = 'returned' AND ${r('org_path')}`,
    base_approve: `SELECT COUNT(*) FROM base_bookings k JOIN bases b ON b.id = k.base_id JOIN orgs o ON o.id = b.org_id WHERE k.status = 'requested' AND k.day >= '${day}' AND ${r('o.path')}`,
    service_overdue: `SELECT COUNT(*) FROM svc_requests WHERE ${svcOpen} AND due_at < ${now}`,
    service_open: `SELECT COUNT(*) FROM svc_requests WHERE ${svcOpen}`,
    service_tasks: `SELECT COUNT(*) FROM svc_requests WHERE state IN ('dispatched', 'in_progress') AND ${r('assignee_org_path')}`,
  };
}

async function checkWork(s, orgId, kinds, own) {
  const r = await s.call('GET', `/api/v1/dashboard?org_id=${orgId}`);
  assert.equal(r.status, 200, r.text);
  const t = workTruths(srv.sql(`SELECT path FROM orgs WHERE id = ${orgId}`), own);
  const got = Object.fromEntries(r.body.worklist.filter((w) => w.kind in t).map((w) => [w.kind, w]));
  for (const k of Object.keys(t)) {
    const want = kinds.includes(k) ? Number(srv.sql(t[k])) : 0;
    assert.equal(got[k]?.count || 0, want, `${k}: ${got[k]?.count || 0} vs ${want}`);
    if (want) assert.match(got[k].link, /^\/[a-z/-]+(\?[a-z_]+=[a-z0-9_]+(&[a-z_]+=[a-z0-9_]+)*)?$/, k);
  }
  return got;
}

test('首页 work lists: the district staff’s and a branch secretary’s, each a direct count within their permissions', async () => {
  const all = await checkWork(admin, 1, ['dev_overdue', 'dev_due', 'transfer_approve', 'transfer_send', 'transfer_accept', 'meeting_review', 'meeting_returned', 'base_approve', 'service_overdue', 'service_open', 'service_tasks'], true);
  assert.ok(Object.keys(all).length >= 4, `the demo district leaves work: ${Object.keys(all)}`);
  // a community seen by the district: below the district's own level, its records are all to review
  await checkWork(admin, srv.community(0), ['dev_overdue', 'dev_due', 'transfer_approve', 'transfer_send', 'transfer_accept', 'meeting_review', 'meeting_returned', 'base_approve', 'service_overdue', 'service_open', 'service_tasks'], false);
  // a secretary: their branch's steps, transfers to send and accept, returned records, tasks; nothing to approve or review
  const mine = await checkWork(sec, srv.branch(0), ['dev_overdue', 'dev_due', 'transfer_send', 'transfer_accept', 'meeting_returned', 'service_tasks'], true);
  for (const k of ['transfer_approve', 'meeting_review', 'base_approve', 'service_open']) assert.ok(!(k in mine), k);
});
