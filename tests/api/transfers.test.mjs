// transfers.test.mjs: 组织关系接转 over HTTP (issue 14, DOMAIN.md §5): the states of
// R-TRF-01 with actor and time, validity and renewal (R-TRF-02), one organization at a
// time (R-TRF-03: 转出（在途）, no second transfer, no delete or move by hand, the move
// in the accepting transaction, duplicates of a paper letter), arrears (R-TRF-04), the
// receipt alert (R-TRF-05), 预备期 dates kept (R-TRF-06), what the receiving side sees,
// bad input, the public verification, the statistics, and 200 concurrent acceptances.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { problemOk } from './lib/server.mjs';
import { district, as, download } from './lib/roster_api.mjs';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeDir } from './lib/server.mjs';
import { idNumber } from './lib/roster.mjs';
import { signIn } from './lib/auth.mjs';

let srv, admin, sec, sendCom, recvCom, recvSec, otherSec;
let fromBranch, toBranch, otherBranch;
const branchUnder = (community, n = 0) =>
  Number(srv.sql(`SELECT id FROM orgs WHERE parent_id = ${community} AND type = '党支部' ORDER BY id LIMIT 1 OFFSET ${n}`));
const membersOf = (org, n = 1) =>
  srv.sql(`SELECT id FROM members WHERE org_id = ${org} AND state = 'normal' AND party_status = 'formal' AND id NOT IN (SELECT member_id FROM transfers WHERE member_id IS NOT NULL) ORDER BY id LIMIT ${n}`)
    .split('\n').filter(Boolean).map(Number);
const ago = (days) => new Date(Date.now() - days * 864e5).toISOString().slice(0, 10);

before(async () => {
  // 200 acceptances at once come from one address: above the default per-address cap;
  // and they queue for the write lock, longer than the default 2 s on a loaded test box
  srv = await district({ orgs: 40, members: 700, args: ['--per-ip-limit', '512', '--busy-timeout-ms', '60000'] });
  const c0 = srv.community(0), c1 = srv.community(1);
  fromBranch = branchUnder(c0, 0);
  otherBranch = branchUnder(c0, 1);
  toBranch = branchUnder(c1, 0);
  admin = await as(srv, 'district_admin', 1);
  sec = await as(srv, 'branch_secretary', fromBranch);
  otherSec = await as(srv, 'branch_secretary', otherBranch);
  recvSec = await as(srv, 'branch_secretary', toBranch);
  sendCom = await as(srv, 'committee_admin', c0);
  recvCom = await as(srv, 'committee_admin', c1);
});
after(async () => { await srv.stop(); });

async function start(memberId, body = {}) {
  const r = await sec.call('POST', '/api/v1/transfers', { kind: 'within', member_id: memberId, to_org_id: toBranch, reason: '工作单位变动', ...body });
  assert.equal(r.status, 201, r.text);
  return r.body;
}
async function step(s, id, action, body = {}) {
  const r = await s.call('POST', `/api/v1/transfers/${id}/${action}`, body);
  assert.equal(r.status, 200, `${action}: ${r.text}`);
  return r.body;
}
// a within-deployment transfer of a fresh member of fromBranch, up to "sent"
async function sent(body) {
  const [m] = membersOf(fromBranch);
  const t = await start(m, body);
  await step(sec, t.id, 'submit');
  await step(sendCom, t.id, 'approve');
  return step(sec, t.id, 'send');
}

test('R-TRF-01 states in order with actor and time on each step, audited', async () => {
  const [m] = membersOf(fromBranch);
  const t = await start(m);
  assert.equal(t.state, 'draft');
  assert.equal(t.in_transit, true);
  // a step out of order changes nothing
  problemOk(null, await sendCom.call('POST', `/api/v1/transfers/${t.id}/approve`, {}), 409, 'invalid_state');
  await step(sec, t.id, 'submit');
  // the branch cannot approve (the setting's default: its 基层党委 approves)
  problemOk(null, await sec.call('POST', `/api/v1/transfers/${t.id}/approve`, {}), 403, 'forbidden');
  const ap = await step(sendCom, t.id, 'approve');
  assert.match(ap.serial, new RegExp(`^${new Date().getUTCFullYear()}-${srv.community(0)}-\\d{4}$`));
  const s = await step(sec, t.id, 'send');
  assert.equal(s.state, 'sent');
  // the receiving branch cannot accept by default: its 基层党委 does
  problemOk(null, await recvSec.call('POST', `/api/v1/transfers/${t.id}/accept`, {}), 403, 'forbidden');
  const acc = await step(recvCom, t.id, 'accept');
  assert.equal(acc.state, 'received');
  assert.equal(acc.in_transit, false);
  const rc = await step(recvCom, t.id, 'receipt');
  assert.equal(rc.state, 'receipt_returned');
  const full = await admin.call('GET', `/api/v1/transfers/${t.id}`);
  const tl = full.body.timeline;
  assert.deepEqual(tl.map((e) => e.to_state), ['draft', 'submitted', 'approved', 'sent', 'received', 'receipt_returned']);
  for (const e of tl) { assert.ok(e.actor_name, 'actor'); assert.match(e.at, /^\d{4}-\d\d-\d\dT/); }
  const audit = srv.sql(`SELECT action FROM audit_log WHERE object_type = 'transfer' AND object_id = ${t.id} ORDER BY id`).split('\n');
  assert.deepEqual(audit, ['transfer.create', 'transfer.submit', 'transfer.approve', 'transfer.send', 'transfer.accept', 'transfer.receipt']);
  // returned with a reason, from "sent"; the member's state comes back
  const t2 = await sent();
  problemOk(null, await recvCom.call('POST', `/api/v1/transfers/${t2.id}/return`, {}), 400, 'validation_failed');
  const ret = await step(recvCom, t2.id, 'return', { reason: '接收单位信息有误' });
  assert.equal(ret.state, 'returned');
  assert.equal(ret.return_reason, '接收单位信息有误');
  const mid = srv.sql(`SELECT member_id FROM transfers WHERE id = ${t2.id}`);
  assert.equal(srv.sql(`SELECT state FROM members WHERE id = ${mid}`), 'normal');
});

test('R-TRF-02 validity 30 days within the city, 90 outside; expired from the date; renewal needs a note', async () => {
  const t = await sent();
  assert.equal(t.validity_days, 30);
  const days = (a, b) => Math.round((Date.parse(b) - Date.parse(a)) / 864e5);
  assert.equal(days(t.sent_on, t.valid_until), 30);
  const [m] = membersOf(fromBranch);
  const o = await start(m, { kind: 'out', to_org_id: undefined, to_org_name: '北京市某区某街道党工委', outside_city: true });
  assert.equal(o.validity_days, 90);
  await step(sec, o.id, 'cancel', { reason: '测试' });
  // its last valid day passed (the date moved back: sessions live on the real clock)
  srv.sql(`UPDATE transfers SET sent_on = '${ago(31)}', valid_until = '${ago(1)}' WHERE id = ${t.id}`);
  {
    const g = await recvCom.call('GET', `/api/v1/transfers/${t.id}`);
    assert.equal(g.body.display_state, 'expired');
    assert.equal(g.body.expired, true);
    const before = srv.sql(`SELECT org_id FROM members WHERE id = (SELECT member_id FROM transfers WHERE id = ${t.id})`);
    problemOk(null, await recvCom.call('POST', `/api/v1/transfers/${t.id}/accept`, {}), 409, 'expired');
    assert.equal(srv.sql(`SELECT org_id FROM members WHERE id = (SELECT member_id FROM transfers WHERE id = ${t.id})`), before);
    const list = await admin.call('GET', '/api/v1/transfers?box=transit&flag=expired');
    assert.ok(list.body.items.some((i) => i.id === t.id));
    problemOk(null, await sec.call('POST', `/api/v1/transfers/${t.id}/renew`, {}), 400, 'validation_failed');
    const rn = await step(sec, t.id, 'renew', { note: '党员出差延误，经协商续期' });
    assert.equal(rn.renewals, 1);
    assert.equal(rn.expired, false);
    assert.ok(rn.valid_until > ago(-29)); // today + 30 days
    const acc = await step(recvCom, t.id, 'accept');
    assert.equal(acc.state, 'received');
    const tl = (await admin.call('GET', `/api/v1/transfers/${t.id}`)).body.timeline;
    assert.ok(tl.some((e) => /续期/.test(e.note || '') && /出差/.test(e.note)));
  }
});

test('R-TRF-03 one organization at a time: in transit, not twice, not deleted or moved by hand, moved on acceptance', async () => {
  const [m] = membersOf(fromBranch);
  const before = { from: Number(srv.sql(`SELECT n_members FROM orgs WHERE id = ${fromBranch}`)), to: Number(srv.sql(`SELECT n_members FROM orgs WHERE id = ${toBranch}`)) };
  const t = await start(m);
  problemOk(null, await sec.call('POST', '/api/v1/transfers', { kind: 'within', member_id: m, to_org_id: toBranch }), 409, 'in_transit');
  await step(sec, t.id, 'submit');
  const mem = await sec.call('GET', `/api/v1/members/${m}`);
  assert.equal(mem.body.state, 'transfer_out'); // 转出（在途）
  assert.equal(mem.body.org_id, fromBranch); // the sender stays responsible
  problemOk(null, await sec.call('DELETE', `/api/v1/members/${m}`), 409, 'in_transit');
  problemOk(null, await admin.call('PATCH', `/api/v1/members/${m}`, { org_id: otherBranch }), 409, 'in_transit');
  problemOk(null, await sec.call('POST', `/api/v1/members/${m}/state`, { state: 'normal', date: new Date().toISOString().slice(0, 10) }), 409, 'in_transit');
  await step(sendCom, t.id, 'approve');
  await step(sec, t.id, 'send');
  // before acceptance the receiving side sees the letter, not the member's record
  problemOk(null, await recvCom.call('GET', `/api/v1/members/${m}`), 404, 'not_found');
  const letter = await recvCom.call('GET', `/api/v1/transfers/${t.id}`);
  assert.equal(letter.status, 200);
  assert.equal(letter.body.member_id, undefined);
  assert.match(letter.body.id_number, /\*{8}/);
  await step(recvCom, t.id, 'accept');
  const after = await recvCom.call('GET', `/api/v1/members/${m}`);
  assert.equal(after.status, 200);
  assert.equal(after.body.org_id, toBranch);
  assert.equal(after.body.state, 'normal');
  assert.equal(Number(srv.sql(`SELECT n_members FROM orgs WHERE id = ${fromBranch}`)), before.from - 1);
  assert.equal(Number(srv.sql(`SELECT n_members FROM orgs WHERE id = ${toBranch}`)), before.to + 1);
  const hist = await recvCom.call('GET', `/api/v1/members/${m}/history`);
  const names = srv.sql(`SELECT name FROM orgs WHERE id IN (${fromBranch}, ${toBranch}) ORDER BY id`).split('\n');
  assert.ok(hist.body.items.some((h) => names.every((n) => (h.reason || '').includes(n))), JSON.stringify(hist.body.items));
  problemOk(null, await sec.call('GET', `/api/v1/members/${m}`), 404, 'not_found');
});

test('R-TRF-03 a paper letter into the deployment: duplicates by the ID number, the person added on acceptance', async () => {
  const existing = srv.sql(`SELECT id FROM members WHERE org_id = ${toBranch} LIMIT 1`);
  const letter = (id) => ({ kind: 'in', from_org_name: '杭州市西湖区某街道党工委', letter_no: '西组转〔2026〕15号', name: '转入党员',
    id_number: id, party_status: 'formal', joined_on: '2010-07-01', confirmed_on: '2011-07-01', dues_paid_to: '2026-11',
    to_org_id: toBranch, sent_on: new Date().toISOString().slice(0, 10), valid_until: new Date(Date.now() + 80 * 864e5).toISOString().slice(0, 10) });
  // the person of a roster member: found by the blind index, refused, nothing stored
  const mine = await admin.call('GET', `/api/v1/members/${existing}?reveal=1`);
  const n0 = srv.sql('SELECT COUNT(*) FROM transfers');
  problemOk(null, await recvCom.call('POST', '/api/v1/transfers', letter(mine.body.id_number)), 409, 'duplicate_person');
  assert.equal(srv.sql('SELECT COUNT(*) FROM transfers'), n0);
  // S20: a person outside the caller's scope answers alike, and the answer is audited
  const [far] = membersOf(fromBranch);
  const farId = (await admin.call('GET', `/api/v1/members/${far}?reveal=1`)).body.id_number;
  const probes0 = Number(srv.sql("SELECT COUNT(*) FROM audit_log WHERE action = 'member.duplicate_out_of_scope'"));
  const farR = await recvCom.call('POST', '/api/v1/transfers', letter(farId));
  problemOk(null, farR, 409, 'duplicate_person');
  assert.equal(farR.body.existing_id, undefined);
  assert.equal(Number(srv.sql("SELECT COUNT(*) FROM audit_log WHERE action = 'member.duplicate_out_of_scope'")), probes0 + 1);
  const id = idNumber('330106', '1985-03-02', 41);
  const r = await recvCom.call('POST', '/api/v1/transfers', letter(id));
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.state, 'sent');
  problemOk(null, await recvCom.call('POST', '/api/v1/transfers', letter(id)), 409, 'duplicate_person');
  const acc = await step(recvCom, r.body.id, 'accept');
  assert.equal(acc.state, 'received');
  const added = srv.sql(`SELECT org_id, name FROM members WHERE id = (SELECT member_id FROM transfers WHERE id = ${r.body.id})`);
  assert.equal(added, `${toBranch}|转入党员`);
  problemOk(null, await recvCom.call('POST', '/api/v1/transfers', letter(id)), 409, 'duplicate_person');
});

test('R-TRF-04 党费交至 from the record; arrears warned on the letter', async () => {
  const [m] = membersOf(fromBranch);
  const p = await sec.call('PATCH', `/api/v1/members/${m}`, { dues_paid_to: '2025-06' });
  assert.equal(p.status, 200, p.text);
  const t = await start(m);
  assert.equal(t.dues_paid_to, '2025-06');
  assert.ok(t.arrears_months >= 5);
  assert.ok(t.warnings.some((w) => w.code === 'R-TRF-04'));
  const [m2] = membersOf(fromBranch);
  const ym = new Date().toISOString().slice(0, 7);
  await sec.call('PATCH', `/api/v1/members/${m2}`, { dues_paid_to: ym });
  const t2 = await start(m2);
  assert.equal(t2.arrears_months, 0);
  assert.ok(!t2.warnings.some((w) => w.code === 'R-TRF-04'));
  await step(sec, t.id, 'cancel', { reason: '补交党费后重新办理' });
  await step(sec, t2.id, 'cancel', {});
});

test('R-TRF-05 receipt not returned a month after acceptance: alert', async () => {
  const t = await sent();
  await step(recvCom, t.id, 'accept');
  srv.sql(`UPDATE transfers SET received_on = '${ago(32)}' WHERE id = ${t.id}`);
  {
    const g = await sec.call('GET', `/api/v1/transfers/${t.id}`);
    assert.equal(g.body.receipt_overdue, true);
    assert.ok(g.body.warnings.some((w) => w.code === 'R-TRF-05'));
    const c = await sendCom.call('GET', '/api/v1/transfers/counts');
    assert.ok(c.body.receipt_overdue >= 1);
    const l = await admin.call('GET', '/api/v1/transfers?flag=receipt_overdue');
    assert.ok(l.body.items.some((i) => i.id === t.id));
    const rc = await step(sec, t.id, 'receipt');
    assert.equal(rc.receipt_overdue, false);
  }
  // a receipt for a transfer not yet accepted
  const t2 = await sent();
  problemOk(null, await recvCom.call('POST', `/api/v1/transfers/${t2.id}/receipt`, {}), 409, 'not_received');
});

test('R-TRF-06 a 预备党员 keeps the original 预备期 dates', async () => {
  const joined = new Date(Date.now() - 100 * 864e5).toISOString().slice(0, 10);
  const c = await sec.call('POST', '/api/v1/members', { org_id: fromBranch, name: '预备党员甲', id_number: idNumber('310104', '1995-04-09', 77),
    party_status: 'probationary', joined_on: joined, ethnicity: '01' });
  assert.equal(c.status, 201, c.text);
  const t = await start(c.body.id);
  assert.equal(t.probation_from, joined);
  const end = new Date(Date.parse(joined)); end.setUTCFullYear(end.getUTCFullYear() + 1);
  assert.equal(t.probation_to, end.toISOString().slice(0, 10));
  await step(sec, t.id, 'submit');
  await step(sendCom, t.id, 'approve');
  await step(sec, t.id, 'send');
  await step(recvCom, t.id, 'accept');
  const m = await recvCom.call('GET', `/api/v1/members/${c.body.id}`);
  assert.equal(m.body.party_status, 'probationary');
  assert.equal(m.body.joined_on, joined);
  assert.equal(m.body.confirmed_on, null);
});

test('transfers: bad input answers with the field and changes nothing', async () => {
  const [m] = membersOf(fromBranch);
  const n0 = srv.sql('SELECT COUNT(*) FROM transfers');
  const bad = async (s, body, status, field, code) => {
    const r = await s.call('POST', '/api/v1/transfers', { kind: 'within', member_id: m, to_org_id: toBranch, ...body });
    assert.equal(r.status, status, r.text);
    assert.ok(r.body.errors.some((e) => e.field === field && e.code === code), r.text);
  };
  await bad(sec, { to_org_id: fromBranch }, 400, 'to_org_id', 'same_org');
  await bad(sec, { to_org_id: srv.community(1) }, 400, 'to_org_id', 'not_branch');
  await bad(sec, { to_org_id: 999999 }, 400, 'to_org_id', 'not_found');
  await bad(otherSec, {}, 400, 'member_id', 'not_found'); // outside the sender's scope
  await bad(sec, { kind: 'sideways' }, 400, 'kind', 'invalid_choice');
  assert.equal(srv.sql('SELECT COUNT(*) FROM transfers'), n0);
  // another organization's transfer is a missing one
  const t = await start(m);
  problemOk(null, await otherSec.call('GET', `/api/v1/transfers/${t.id}`), 404, 'not_found');
  problemOk(null, await recvSec.call('GET', `/api/v1/transfers/${t.id}`), 404, 'not_found'); // not sent yet
  await step(sec, t.id, 'cancel', {});
});

test('transfers: a member applies on the phone and follows it', async () => {
  const [m] = membersOf(fromBranch);
  const me = await signIn(srv, { role: 'member', org: fromBranch });
  srv.sql(`UPDATE users SET member_id = ${m} WHERE username = '${me.username}'`);
  const d = await me.call('GET', `/api/v1/me/transfer-destinations?q=${encodeURIComponent('网格')}`);
  assert.equal(d.status, 200, d.text);
  assert.ok(d.body.items.length > 0);
  const a = await me.call('POST', '/api/v1/me/transfers', { to_org_id: toBranch, reason: '搬家到新华社区' });
  assert.equal(a.status, 201, a.text);
  assert.equal(a.body.applied_by_member, true);
  const q = await sec.call('GET', '/api/v1/transfers?box=outgoing&state=draft');
  assert.ok(q.body.items.some((i) => i.id === a.body.id));
  await step(sec, a.body.id, 'submit');
  const mine = await me.call('GET', '/api/v1/me/transfers');
  assert.equal(mine.body.items[0].state, 'submitted');
  assert.ok(mine.body.items[0].timeline.length >= 2);
  assert.equal(mine.body.items[0].member_id, undefined);
});

test('transfers: queues and counts per organization; statistics 人次 in, out, within', async () => {
  const c = await recvCom.call('GET', '/api/v1/transfers/counts');
  assert.equal(c.status, 200);
  for (const k of ['outgoing_open', 'incoming_pending', 'expired', 'expiring', 'receipt_overdue', 'transit']) assert.equal(typeof c.body[k], 'number');
  const inbox = await recvCom.call('GET', '/api/v1/transfers?box=incoming&limit=2');
  assert.ok(inbox.body.total >= inbox.body.items.length);
  if (inbox.body.next_cursor) {
    const p2 = await recvCom.call('GET', `/api/v1/transfers?box=incoming&limit=2&cursor=${inbox.body.next_cursor}`);
    assert.ok(p2.body.items.every((i) => !inbox.body.items.some((j) => j.id === i.id)));
  }
  const year = new Date().getUTCFullYear();
  const s1 = await recvCom.call('GET', `/api/v1/stats/transfers?from=${year}-01-01&to=${year}-12-31`);
  assert.equal(s1.status, 200, s1.text);
  const received = Number(srv.sql(`SELECT COUNT(*) FROM transfers WHERE state IN ('received', 'receipt_returned') AND to_path LIKE '/1/${srv.community(1)}/%' AND (from_path IS NULL OR from_path NOT LIKE '/1/${srv.community(1)}/%')`));
  assert.equal(s1.body.in, received);
  const s2 = await admin.call('GET', `/api/v1/stats/transfers?from=${year}-01-01&to=${year}-12-31`);
  assert.equal(s2.body.within, Number(srv.sql("SELECT COUNT(*) FROM transfers WHERE kind = 'within' AND state IN ('received', 'receipt_returned')")));
  assert.equal(s2.body.by_kind.in, Number(srv.sql("SELECT COUNT(*) FROM transfers WHERE kind = 'in' AND state IN ('received', 'receipt_returned')")));
  problemOk(null, await admin.call('GET', '/api/v1/stats/transfers?from=2026-02-30'), 400, 'validation_failed');
  // the yearly report's figure (INDICATOR_TABLE) counts the same 人次
  const ind = await admin.call('GET', `/api/v1/indicators?org_id=1&from=${year}-01-01&to=${year}-12-31`);
  assert.equal(ind.status, 200, ind.text);
  const fig = ind.body.items.find((i) => i.key === 'transfers.completed');
  assert.equal(fig.value.num, s2.body.total);
  const rows = await admin.call('GET', `/api/v1/indicators/transfers.completed/rows?org_id=1&from=${year}-01-01&to=${year}-12-31`);
  assert.equal(rows.status, 200, rows.text);
  assert.ok(rows.body.items.length > 0 && !/\d{17}[\dX]/.test(rows.text));
});

test('transfers: the in-transit list\'s pages across the cursor are the database\'s rows newest first; a kept answer is not shown after a change, nor to another side', async () => {
  const visible = "open = 1 AND (from_path LIKE '/1/%' OR (to_path LIKE '/1/%' AND state NOT IN ('draft', 'submitted', 'approved', 'cancelled')))";
  const walk = async () => {
    const ids = [];
    let cursor = null, total = null;
    for (let i = 0; i < 200; i++) {
      const r = await admin.call('GET', `/api/v1/transfers?box=transit&limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      assert.equal(r.status, 200, r.text);
      total = r.body.total;
      ids.push(...r.body.items.map((x) => x.id));
      if (!(cursor = r.body.next_cursor)) break;
    }
    return { ids, total };
  };
  const want = () => srv.sql(`SELECT id FROM transfers WHERE ${visible} ORDER BY id DESC`).split('\n').filter(Boolean).map(Number);
  const a = await walk();
  assert.deepEqual(a.ids, want());
  assert.equal(a.total, a.ids.length);
  assert.deepEqual(await walk(), a); // the same again (kept)
  const t = await sent();
  const first = await admin.call('GET', '/api/v1/transfers?box=transit&limit=3');
  assert.equal(first.body.items[0].id, t.id);
  assert.equal(first.body.total, a.total + 1);
  assert.deepEqual((await walk()).ids, want());
  // the sending side sees the member's id, the receiving side (other roots) only the letter
  assert.equal(first.body.items[0].member_id, t.member_id);
  const recv = await recvSec.call('GET', '/api/v1/transfers?box=transit&limit=3');
  const mine = recv.body.items.find((x) => x.id === t.id);
  assert.ok(mine && !('member_id' in mine), recv.text);
  await step(recvCom, t.id, 'accept');
  const after = await admin.call('GET', '/api/v1/transfers?box=transit&limit=3');
  assert.ok(!after.body.items.some((x) => x.id === t.id));
  assert.equal(after.body.total, a.total);
});

test('transfers: 200 concurrent acceptances of different transfers move each member once; two of one: one wins', async () => {
  const total0 = srv.sql('SELECT COUNT(*) FROM members');
  const ms = srv.sql(`SELECT id, org_id FROM members WHERE state = 'normal' AND org_id <> ${toBranch} AND id NOT IN (SELECT member_id FROM transfers WHERE member_id IS NOT NULL) ORDER BY id LIMIT 201`)
    .split('\n').map((l) => l.split('|').map(Number));
  assert.equal(ms.length, 201);
  const ids = [];
  for (let i = 0; i < ms.length; i += 10) {
    ids.push(...await Promise.all(ms.slice(i, i + 10).map(async ([m]) => {
      const r = await admin.call('POST', '/api/v1/transfers', { kind: 'within', member_id: m, to_org_id: toBranch });
      assert.equal(r.status, 201, r.text);
      for (const a of ['submit', 'approve', 'send']) await step(admin, r.body.id, a);
      return r.body.id;
    })));
  }
  const last = ids.pop();
  const results = await Promise.all(ids.map((id) => recvCom.call('POST', `/api/v1/transfers/${id}/accept`, {})));
  assert.deepEqual(results.filter((r) => r.status !== 200).map((r) => r.text), []);
  const twice = await Promise.all([1, 2].map(() => recvCom.call('POST', `/api/v1/transfers/${last}/accept`, {})));
  assert.deepEqual(twice.map((r) => r.status).sort(), [200, 409]);
  assert.equal(srv.sql('SELECT COUNT(*) FROM members'), total0); // none lost, none doubled
  const moved = ms.map(([m]) => m).join(',');
  assert.equal(srv.sql(`SELECT COUNT(*) FROM members WHERE id IN (${moved}) AND org_id = ${toBranch} AND state = 'normal'`), '201');
  assert.equal(srv.sql(`SELECT COUNT(*) FROM member_history WHERE member_id IN (${moved}) AND reason LIKE '组织关系转接：由%'`), '201');
  assert.equal(Number(srv.sql(`SELECT n_members FROM orgs WHERE id = ${toBranch}`)), Number(srv.sql(`SELECT COUNT(*) FROM members WHERE org_id = ${toBranch}`)));
  assert.equal(srv.sql(`SELECT COUNT(*) FROM transfer_events WHERE transfer_id = ${last} AND to_state = 'received'`), '1');
});

test('transfers: the printed letter with its 回执 stub and QR code is a DOCX that LibreOffice opens; printing is audited', async () => {
  const t = await sent();
  const letterOf = async (s) => download(srv, s, `/api/v1/transfers/${t.id}/letter.docx`);
  const masked = await letterOf(sec); // a branch secretary: no pii.view
  assert.equal(masked.status, 200, masked.text);
  assert.match(masked.headers.get('content-type'), /wordprocessingml/);
  assert.match(masked.headers.get('content-disposition'), /attachment/);
  const r = await letterOf(sendCom); // the 基层党委: pii.view, the full number
  const dir = mkdtempSync(join(tmpdir(), 'dj-letter-'));
  try {
    const file = join(dir, 'letter.docx');
    writeFileSync(file, r.buf);
    writeFileSync(join(dir, 'masked.docx'), masked.buf);
    const xml = spawnSync('unzip', ['-p', file, 'word/document.xml'], { encoding: 'utf8' }).stdout;
    const mxml = spawnSync('unzip', ['-p', join(dir, 'masked.docx'), 'word/document.xml'], { encoding: 'utf8' }).stdout;
    for (const s of ['中国共产党党员组织关系介绍信', '回执', t.serial, t.name, t.to_org_name, '/verify/transfer/']) assert.ok(xml.includes(s), s);
    assert.match(xml, /\d{17}[\dX]/); // printed in full for pii.view
    assert.doesNotMatch(mxml, /\d{17}[\dX]/);
    const media = spawnSync('unzip', ['-l', file], { encoding: 'utf8' }).stdout;
    assert.match(media, /word\/media\/\S+\.png/, 'the QR code');
    const lo = spawnSync('soffice', [`-env:UserInstallation=file://${dir}/lo`, '--headless', '--convert-to', 'pdf', '--outdir', dir, file], { encoding: 'utf8', timeout: 180000 });
    assert.ok(existsSync(join(dir, 'letter.pdf')), `LibreOffice converted it: ${lo.stderr}`);
    assert.ok(readFileSync(join(dir, 'letter.pdf')).length > 3000);
    const txt = spawnSync('pdftotext', [join(dir, 'letter.pdf'), '-'], { encoding: 'utf8' });
    if (txt.status === 0) assert.match(txt.stdout.replace(/\s+/g, ''), /中国共产党党员组织关系介绍信/);
  } finally { removeDir(dir); }
  assert.equal(srv.sql(`SELECT COUNT(*) FROM audit_log WHERE action = 'transfer.letter' AND object_id = ${t.id}`), '2');
  // a letter not yet numbered does not print; another scope: 404
  const [m] = membersOf(fromBranch);
  const d = await start(m);
  problemOk(null, await download(srv, sec, `/api/v1/transfers/${d.id}/letter.docx`).then((x) => ({ ...x, body: JSON.parse(x.text) })), 409, 'no_serial');
  problemOk(null, await download(srv, otherSec, `/api/v1/transfers/${t.id}/letter.docx`).then((x) => ({ ...x, body: JSON.parse(x.text) })), 404, 'not_found');
  await step(sec, d.id, 'cancel', {});
});

test('transfers: the public verification answers valid, expired or received with nothing personal; rate-limited', async () => {
  const t = await sent();
  const g = await sec.call('GET', `/api/v1/transfers/${t.id}`);
  const url = new URL(g.body.verify_url);
  const pub = (path) => fetch(srv.base + path).then(async (r) => ({ status: r.status, text: await r.text() }));
  const ok = await pub(url.pathname + url.search);
  assert.equal(ok.status, 200, ok.text);
  assert.equal(JSON.parse(ok.text).status, 'valid');
  assert.ok(!ok.text.includes(t.name) && !/\d{17}[\dX]/.test(ok.text) && !ok.text.includes(t.from_org_name));
  assert.equal((await pub(`${url.pathname}?code=0000000000000000`)).status, 404);
  assert.equal((await pub('/verify/transfer/2026-1-9999?code=0000000000000000')).status, 404);
  const until = t.valid_until;
  srv.sql(`UPDATE transfers SET valid_until = '${ago(2)}' WHERE id = ${t.id}`);
  assert.equal(JSON.parse((await pub(url.pathname + url.search)).text).status, 'expired');
  srv.sql(`UPDATE transfers SET valid_until = '${until}' WHERE id = ${t.id}`);
  await step(recvCom, t.id, 'accept');
  assert.equal(JSON.parse((await pub(url.pathname + url.search)).text).status, 'received');
  let limited = null;
  for (let i = 0; i < 40 && !limited; i++) {
    const r = await pub(url.pathname + url.search);
    if (r.status === 429) limited = r;
  }
  assert.ok(limited, 'rate limit');
});
