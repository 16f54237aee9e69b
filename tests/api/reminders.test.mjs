// reminders.test.mjs: the daily reminders of issue 16 item 5 (model/reminders.c), each a
// message kind with its own template and opt-out, queued in-app through the outbox by
// the scheduler's slots: transfer_expiring (R-TRF-02), publicity_ending (R-DEV-15, with
// PUT /development/applicants/{id}/publicity that posts a 公示), probation_ending (R-DEV-11),
// meetings_missing (R-MTG-01) and booking_tomorrow (bases). For each: sent once, not
// again on a second run, nor on a catch-up after downtime (nor when a second server
// with no claim runs the day again: the dedup key holds), the opt-out respected, and
// nothing sent where nothing is due. The clock is moved by the test knob
// (PUT /api/v1/test/clock) and the slots run by POST /api/v1/test/messages/tick.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, cli } from './lib/server.mjs';
import { district, as } from './lib/roster_api.mjs';
import { setClock, login, strongPassword } from './lib/auth.mjs';

let srv, secA, comA, secB, comB, member, memberSes;
let branchA, branchB;
const sql = (q) => srv.sql(q);
const n = (q) => Number(sql(q));
const esc = (s) => s.replace(/'/g, "''");
const keys = (like) => n(`SELECT COUNT(*) FROM outbox WHERE dedup_key LIKE '${esc(like)}'`);

// Unix seconds of a Beijing wall-clock time (the slots run after 08:30 Beijing).
const bj = (day, hh = 10) => {
  const [y, m, d] = day.split('-').map(Number);
  return Date.UTC(y, m - 1, d, hh - 8) / 1000;
};
async function at(day, hh = 10) { await setClock(srv, Math.round(bj(day, hh) - Date.now() / 1000)); }
async function tick() {
  const r = await api(srv, 'POST', '/api/v1/test/messages/tick');
  assert.equal(r.status, 200, r.text);
  return r.body;
}
const ran = (t, slot) => t.ran.find((x) => x.slot === slot);
const branchUnder = (community, k = 0) =>
  n(`SELECT id FROM orgs WHERE parent_id = ${community} AND type = '党支部' ORDER BY id LIMIT 1 OFFSET ${k}`);
const freeMember = (org, k = 0) =>
  n(`SELECT id FROM members WHERE org_id = ${org} AND state = 'normal' AND party_status = 'formal' AND id NOT IN
    (SELECT member_id FROM transfers WHERE member_id IS NOT NULL) ORDER BY id LIMIT 1 OFFSET ${k}`);
// links a desk user's account to a member record that opted out of kind
function optOut(userId, memberId, kind) {
  sql(`UPDATE users SET member_id = ${memberId} WHERE id = ${userId}`);
  sql(`INSERT INTO message_optouts (member_id, kind, created_at) VALUES (${memberId}, '${kind}', 0)`);
}

async function memberUser(memberId) {
  const username = `rem${memberId}u${process.pid}`;
  const r = cli(srv.dir, ['user', 'add', '--username', username, '--name', '党员', '--role', 'member', '--member', String(memberId)]);
  const m = r.stdout.match(/one-time password: (\S+)/);
  assert.ok(m, r.stderr);
  const first = await login(srv, username, m[1]);
  assert.equal(first.status, 200, first.text);
  const ses = first.session;
  const ch = await ses.call('PUT', '/api/v1/session/password', { old_password: m[1], new_password: strongPassword() });
  assert.equal(ch.status, 200, ch.text);
  ses.update(ch.body);
  return ses;
}

async function step(s, id, action) {
  const r = await s.call('POST', `/api/v1/transfers/${id}/${action}`, {});
  assert.equal(r.status, 200, `${action}: ${r.text}`);
  return r.body;
}
// a within-deployment letter of member m from branchA to branchB, sent (in transit)
async function sent(m) {
  const r = await secA.call('POST', '/api/v1/transfers', { kind: 'within', member_id: m, to_org_id: branchB, reason: '工作单位变动' });
  assert.equal(r.status, 201, r.text);
  await step(secA, r.body.id, 'submit');
  await step(comA, r.body.id, 'approve');
  return step(secA, r.body.id, 'send');
}

const letters = {};
before(async () => {
  // no background scheduler or sender: the test's tick runs the slots
  srv = await district({ orgs: 40, members: 300, args: ['--message-workers', '0', '--password-policy', 'asvs'] });
  branchA = branchUnder(srv.community(0));
  branchB = branchUnder(srv.community(1));
  secA = await as(srv, 'branch_secretary', branchA);
  comA = await as(srv, 'committee_admin', srv.community(0));
  secB = await as(srv, 'branch_secretary', branchB);
  comB = await as(srv, 'committee_admin', srv.community(1));
  // the letters are made at today's real date (the API's), their validity moved after
  letters.a = await sent(freeMember(branchA, 0));
  letters.b = await sent(freeMember(branchA, 0));
  member = freeMember(branchA, 0);
  letters.c = await sent(member);
  // the member of letter c opts out of the kind on 我的 (GET lists the kinds the server sends)
  memberSes = await memberUser(member);
  const g = await memberSes.call('GET', '/api/v1/me/message-prefs');
  assert.equal(g.status, 200, g.text);
  for (const k of ['transfer_expiring', 'publicity_ending', 'probation_ending', 'meetings_missing', 'booking_tomorrow'])
    assert.ok(g.body.kinds.some((x) => x.kind === k && x.name) && g.body.opt_out[k] === false, g.text);
  const p = await memberSes.call('PUT', '/api/v1/me/message-prefs', { opt_out: { transfer_expiring: true } });
  assert.equal(p.status, 200, p.text);
  assert.equal(p.body.opt_out.transfer_expiring, true);
  // 公示 posted (R-DEV-15): two applicants of branchA before step 7, one that stays so
  pub.a = pubApplicant(0);
  pub.b = pubApplicant(1);
  for (const id of [pub.a, pub.b]) {
    const r = await secA.call('PUT', `/api/v1/development/applicants/${id}/publicity`, { step: 7, start: '2036-09-01' });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual([r.body.start, r.body.end, r.body.workdays], ['2036-09-01', '2036-09-05', 5]);
  }
  pub.posted = n("SELECT COUNT(*) FROM audit_log WHERE action = 'dev.publicity'");
  // bad input changes nothing; a foreign applicant is a missing one; the wrong step is refused
  const bad = await secA.call('PUT', `/api/v1/development/applicants/${pub.a}/publicity`, { step: 8, start: '2036-02-30' });
  assert.equal(bad.status, 400, bad.text);
  assert.deepEqual(bad.body.errors.map((e) => e.field).sort(), ['start', 'step']);
  const wrong = await secA.call('PUT', `/api/v1/development/applicants/${pub.a}/publicity`, { step: 23, start: '2036-09-01' });
  assert.equal(wrong.status, 409, wrong.text);
  assert.equal(wrong.body.code, 'wrong_step');
  const foreign = await secB.call('PUT', `/api/v1/development/applicants/${pub.a}/publicity`, { step: 7, start: '2036-09-01' });
  assert.equal(foreign.status, 404, foreign.text);
  assert.equal(n(`SELECT COUNT(*) FROM dev_publicity WHERE applicant_id = ${pub.a}`), 1);
  assert.equal(n("SELECT COUNT(*) FROM audit_log WHERE action = 'dev.publicity'"), pub.posted);
});

// an applicant of branchA at step 5 (积极分子, before 确定发展对象), from the other end of
// the table than applicant() below
const pub = {};
function pubApplicant(k) {
  const id = n(`SELECT id FROM dev_applicants ORDER BY id DESC LIMIT 1 OFFSET ${k}`);
  sql(`UPDATE dev_applicants SET org_id = ${branchA}, org_path = (SELECT path FROM orgs WHERE id = ${branchA}),
       status = 'active', last_step = 5, probation_end = NULL WHERE id = ${id}`);
  return id;
}
after(async () => { await setClock(srv, 0); await srv.stop(); });

test('transfer_expiring (R-TRF-02): a letter in transit whose validity ends within 7 days reminds the member and both sides\' desks, once; catch-up; opt-out; nothing before', async () => {
  const { a, b, c } = letters;
  sql(`UPDATE transfers SET valid_until = '2036-03-15' WHERE id IN (${a.id}, ${c.id})`);
  sql(`UPDATE transfers SET valid_until = '2036-03-30' WHERE id = ${b.id}`);
  // nothing is due on 1 March
  await at('2036-03-01');
  let t = await tick();
  assert.equal(ran(t, 'transfer_expiring').outcome, 'ok', JSON.stringify(t.ran));
  assert.equal(keys('trf_expiring:%:2036-%'), 0);
  // 9 March: a and c end within 7 days
  await at('2036-03-09');
  t = await tick();
  assert.match(ran(t, 'transfer_expiring').detail, /2 份介绍信临近有效期/);
  const ka = `trf_expiring:${a.id}:2036-03-15:`;
  assert.equal(keys(`${ka}m${a.member_id}`), 1);
  for (const u of [secA, comA, secB, comB]) assert.equal(keys(`${ka}${u.user.id}`), 1, u.role);
  assert.equal(sql(`SELECT channel || ' ' || state || ' ' || kind FROM outbox WHERE dedup_key = '${ka}${secA.user.id}'`),
    'inapp sent transfer_expiring');
  const body = sql(`SELECT body FROM outbox WHERE dedup_key = '${ka}m${a.member_id}'`);
  assert.ok(body.includes('2036-03-15') && body.includes(a.name), body);
  // c's member opted out: the desks are told, the member not
  assert.equal(keys(`trf_expiring:${c.id}:%:m%`), 0);
  assert.equal(keys(`trf_expiring:${c.id}:2036-03-15:${secA.user.id}`), 1);
  assert.equal(keys(`trf_expiring:${b.id}:%`), 0);
  const all = keys('trf_expiring:%:2036-%');
  // a second run the same day, and the next day's, add nothing
  t = await tick();
  assert.ok(!ran(t, 'transfer_expiring'));
  await at('2036-03-10');
  t = await tick();
  assert.equal(ran(t, 'transfer_expiring').outcome, 'ok');
  assert.equal(keys('trf_expiring:%:2036-%'), all);
  // down from the 11th to the 25th: b became due on the 23rd; the run on the 26th covers it, once
  await at('2036-03-26');
  t = await tick();
  assert.equal(ran(t, 'transfer_expiring').key, '2036-03-26');
  assert.equal(keys(`trf_expiring:${b.id}:2036-03-30:${secA.user.id}`), 1);
  assert.equal(keys(`trf_expiring:${b.id}:2036-03-30:m%`), 1);
  assert.equal(n("SELECT COUNT(*) FROM schedule_runs WHERE slot = 'transfer_expiring' AND slot_key > '2036-03-10' AND slot_key < '2036-03-26'"), 0);
  const after26 = keys('trf_expiring:%:2036-%');
  // a second server without the claim runs the day again: the dedup keys hold
  sql("DELETE FROM schedule_claims WHERE job = 'transfer_expiring' AND day = '2036-03-26'");
  t = await tick();
  assert.equal(ran(t, 'transfer_expiring').outcome, 'ok');
  assert.equal(keys('trf_expiring:%:2036-%'), after26);
  // a renewal's new date reminds again
  sql(`UPDATE transfers SET valid_until = '2036-04-20' WHERE id = ${a.id}`);
  await at('2036-04-14');
  await tick();
  assert.equal(keys(`trf_expiring:${a.id}:2036-04-20:${secA.user.id}`), 1);
  // a letter received is no longer reminded
  sql(`UPDATE transfers SET state = 'received', received_on = '2036-04-15', valid_until = '2036-04-16' WHERE id = ${b.id}`);
  await at('2036-04-15');
  await tick();
  assert.equal(keys(`trf_expiring:${b.id}:2036-04-16:%`), 0);
});

// a development applicant on step 19 in org with its 预备期 ending on end
let nextApplicant = 0;
function applicant(org, end) {
  const id = n(`SELECT id FROM dev_applicants ORDER BY id LIMIT 1 OFFSET ${nextApplicant++}`);
  sql(`UPDATE dev_applicants SET org_id = ${org}, org_path = (SELECT path FROM orgs WHERE id = ${org}), status = 'active',
       last_step = 19, probation_end = '${end}' WHERE id = ${id}`);
  return id;
}

test('probation_ending (R-DEV-11): a 预备期 ending within 30 days reminds the branch secretary that the 转正 is due, once; catch-up; opt-out; no secretary: the committee', async () => {
  assert.ok(n('SELECT COUNT(*) FROM dev_applicants') >= 4, 'the demo has development applicants');
  // the demo's own 预备期 ends are nowhere near 2036
  assert.equal(n("SELECT COUNT(*) FROM dev_applicants WHERE probation_end >= '2036-01-01'"), 0);
  const p = applicant(branchA, '2036-05-25');
  const noSec = branchUnder(srv.community(0), 1);
  const q = applicant(noSec, '2036-05-25');
  const r = applicant(branchB, '2036-05-25');
  const secBmember = freeMember(branchB, 3);
  optOut(secB.user.id, secBmember, 'probation_ending');
  // 35 days before: nothing yet
  await at('2036-04-20');
  let t = await tick();
  assert.equal(ran(t, 'probation_ending').outcome, 'ok');
  assert.equal(keys('probation:%'), 0);
  // 29 days before
  await at('2036-04-26');
  t = await tick();
  assert.equal(keys(`probation:${p}:2036-05-25:${secA.user.id}`), 1);
  assert.equal(keys(`probation:${p}:%`), 1, 'the branch secretary only, not the committee');
  const body = sql(`SELECT body FROM outbox WHERE dedup_key = 'probation:${p}:2036-05-25:${secA.user.id}'`);
  assert.match(body, /预备期将于2036-05-25期满/);
  // a branch without a secretary: the desks at its parent
  assert.equal(keys(`probation:${q}:2036-05-25:${comA.user.id}`), 1);
  // secB opted out (its account's member record): nothing
  assert.equal(keys(`probation:${r}:%`), 0);
  assert.match(ran(t, 'probation_ending').detail, /已退订 1/);
  t = await tick();
  assert.ok(!ran(t, 'probation_ending'));
  // the applicant S, entered meanwhile, ends on 30 April; the server is down from the
  // 27th to 4 May: the run on the 5th catches up the missed days and reminds it, once
  const s = applicant(branchA, '2036-04-30');
  await at('2036-05-05');
  t = await tick();
  assert.match(ran(t, 'probation_ending').detail, /新提醒 1 条/);
  assert.equal(keys(`probation:${s}:2036-04-30:${secA.user.id}`), 1);
  assert.equal(keys(`probation:${p}:%`), 1);
  await at('2036-05-06');
  await tick();
  assert.equal(keys(`probation:${s}:%`), 1);
  // an applicant who applied for 转正 (step 22) is no longer reminded
  const u = applicant(branchA, '2036-06-02');
  sql(`UPDATE dev_applicants SET last_step = 22 WHERE id = ${u}`);
  await at('2036-05-07');
  await tick();
  assert.equal(keys(`probation:${u}:%`), 0);
});

test('meetings_missing (R-MTG-01): in the last 10 days of a period a branch without its 支部党员大会, 支委会 or 党课 reminds its secretary, once per period; exemptions and opt-out respected', async () => {
  const mid = n("SELECT COUNT(*) FROM meetings WHERE held_on >= '2036-01-01'");
  assert.equal(mid, 0);
  // 10 June: not the last 10 days of a period: nothing (March's run on the 26th, in the
  // first test, reminded the first quarter's)
  const before = keys('mtg_missing:%');
  assert.equal(keys('mtg_missing:%:2036-Q2:%') + keys('mtg_missing:%:2036-06:%'), 0);
  await at('2036-06-10');
  let t = await tick();
  assert.equal(ran(t, 'meetings_missing').outcome, 'ok');
  assert.equal(keys('mtg_missing:%'), before);
  // branchA's 党课 of the quarter is exempt
  sql(`INSERT INTO meeting_exemptions (org_id, org_path, type, period, reason, created_at)
       SELECT id, path, 4, '2036-Q2', '书记外出学习', 0 FROM orgs WHERE id = ${branchA}`);
  // branchB's secretary opted out
  optOut(secB.user.id, freeMember(branchB, 3), 'meetings_missing');
  await at('2036-06-24');
  t = await tick();
  assert.equal(keys(`mtg_missing:${branchA}:1:2036-Q2:${secA.user.id}`), 1);
  assert.equal(keys(`mtg_missing:${branchA}:2:2036-06:${secA.user.id}`), 1);
  assert.equal(keys(`mtg_missing:${branchA}:4:2036-Q2:%`), 0, 'exempt');
  assert.equal(keys(`mtg_missing:${branchA}:%:2036-Q2:%`) + keys(`mtg_missing:${branchA}:%:2036-06:%`), 2,
    '党小组会, 主题党日 and the yearly ones are not reminded');
  assert.equal(keys(`mtg_missing:${branchA}:3:%`) + keys(`mtg_missing:${branchA}:5:%`), 0);
  assert.equal(keys(`mtg_missing:${branchB}:%:2036-Q2:%`) + keys(`mtg_missing:${branchB}:%:2036-06:%`), 0, 'opted out');
  const body = sql(`SELECT body FROM outbox WHERE dedup_key = 'mtg_missing:${branchA}:2:2036-06:${secA.user.id}'`);
  assert.ok(body.includes('2036-06') && body.includes('支部委员会会议') && body.includes('6天'), body);
  const june = keys('mtg_missing:%');
  assert.ok(june > before + 2);
  // the next days of the same period add nothing
  await at('2036-06-25');
  await tick();
  await at('2036-06-28');
  await tick();
  assert.equal(keys('mtg_missing:%'), june);
  // July: the 支委会 of the new month, once; the quarter's meetings are not due before September
  await at('2036-07-25');
  await tick();
  assert.equal(keys(`mtg_missing:${branchA}:2:2036-07:${secA.user.id}`), 1);
  assert.equal(keys(`mtg_missing:${branchA}:1:2036-Q3:%`), 0);
});

function booking(base, org, day, status, by) {
  sql(`INSERT INTO base_bookings (base_id, org_id, org_path, day, slot_start, slot_end, headcount, purpose, leader,
       status, created_by, created_at, updated_at) SELECT ${base}, id, path, '${day}', 570, 630, 12, '主题党日', '张三',
       '${status}', ${by || 'NULL'}, 0, 0 FROM orgs WHERE id = ${org}`);
  return n(`SELECT MAX(id) FROM base_bookings`);
}

test('booking_tomorrow: an approved base booking tomorrow reminds the user who booked it, once; catch-up covers today; opt-out; nothing for requests or other days', async () => {
  const base = n('SELECT MIN(id) FROM bases');
  assert.ok(base > 0, 'the demo has bases');
  assert.equal(n("SELECT COUNT(*) FROM base_bookings WHERE day >= '2036-01-01'"), 0);
  const k1 = booking(base, branchA, '2036-08-12', 'approved', secA.user.id);
  const k2 = booking(base, branchA, '2036-08-12', 'requested', secA.user.id);
  const k3 = booking(base, branchA, '2036-08-20', 'approved', secA.user.id);
  const k4 = booking(base, branchB, '2036-08-12', 'approved', secB.user.id);
  const k5 = booking(base, branchA, '2036-08-19', 'approved', secA.user.id);
  const k6 = booking(base, branchA, '2036-08-12', 'approved', null);
  optOut(secB.user.id, freeMember(branchB, 3), 'booking_tomorrow');
  await at('2036-08-10');
  let t = await tick();
  assert.equal(ran(t, 'booking_tomorrow').outcome, 'ok');
  assert.equal(keys('booking:%'), 0);
  await at('2036-08-11');
  t = await tick();
  assert.equal(keys(`booking:${k1}:2036-08-12:${secA.user.id}`), 1);
  assert.equal(keys(`booking:${k1}:%`), 1, 'the booker only');
  assert.equal(keys(`booking:${k2}:%`), 0, 'a request not approved');
  assert.equal(keys(`booking:${k4}:%`), 0, 'opted out');
  // no booker recorded: the booking organization's desks
  assert.equal(keys(`booking:${k6}:2036-08-12:${secA.user.id}`), 1);
  assert.equal(keys(`booking:${k6}:2036-08-12:${comA.user.id}`), 1);
  const body = sql(`SELECT body FROM outbox WHERE dedup_key = 'booking:${k1}:2036-08-12:${secA.user.id}'`);
  assert.ok(body.includes('2036-08-12 09:30') && body.includes('12人'), body);
  await tick();
  await at('2036-08-12');
  await tick();
  assert.equal(keys(`booking:${k1}:%`), 1);
  // down from the 13th to the 19th: on the 20th the run covers today's booking (k3) and
  // tomorrow's; the 19th's (k5) is past
  await at('2036-08-20');
  t = await tick();
  assert.equal(keys(`booking:${k3}:2036-08-20:${secA.user.id}`), 1);
  assert.equal(keys(`booking:${k5}:%`), 0);
  t = await tick();
  assert.equal(keys(`booking:${k3}:%`), 1);
});

test('publicity_ending (R-DEV-15): a 公示 posted ends within 2 days: the branch secretary is reminded, once; not once the step is recorded; nothing before', async () => {
  // b's step 7 is recorded meanwhile: its 公示 needs no reminder
  sql(`UPDATE dev_applicants SET last_step = 7 WHERE id = ${pub.b}`);
  await at('2036-09-02');
  let t = await tick();
  assert.equal(ran(t, 'publicity_ending').outcome, 'ok');
  assert.equal(keys('publicity:%'), 0);
  await at('2036-09-03');
  t = await tick();
  assert.equal(keys(`publicity:${pub.a}:7:2036-09-05:${secA.user.id}`), 1);
  assert.equal(keys('publicity:%'), 1);
  const body = sql(`SELECT body FROM outbox WHERE dedup_key = 'publicity:${pub.a}:7:2036-09-05:${secA.user.id}'`);
  assert.match(body, /发展对象公示将于2036-09-05期满/);
  await tick();
  await at('2036-09-05');
  await tick();
  assert.equal(keys('publicity:%'), 1);
});

test('the schedule lists every reminder slot, and the old ones keep their shape (term_due, transfer_receipt)', async () => {
  const admin = await as(srv, 'district_admin', 1);
  const s = await admin.call('GET', '/api/v1/system/schedule');
  assert.equal(s.status, 200, s.text);
  for (const slot of ['term_due', 'transfer_receipt', 'transfer_expiring', 'publicity_ending', 'probation_ending', 'meetings_missing', 'booking_tomorrow']) {
    const it = s.body.items.find((x) => x.slot === slot);
    assert.ok(it && it.last_run && it.last_run.outcome === 'ok', slot);
  }
  assert.match(s.body.items.find((x) => x.slot === 'term_due').last_run.detail, /个组织临近换届，新提醒/);
});
