// transfers_notices.test.mjs: R-TRF-05's alert through the outbox (issue 14 with issue
// 16's messages): a letter received more than a month ago whose receipt has not come
// back puts an in-app alert in the inbox of the desk users who chase it (the sending
// branch and its committee), once per letter and user, by the scheduler's daily slot;
// a letter whose receipt came back, or received less than a month ago, alerts nobody.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api } from './lib/server.mjs';
import { district, as } from './lib/roster_api.mjs';
import { setClock } from './lib/auth.mjs';

let srv, sec, sendCom, recvCom, recvSec, fromBranch, toBranch;
const sql = (q) => srv.sql(q);
const n = (q) => Number(sql(q));
const branchUnder = (community, k = 0) =>
  n(`SELECT id FROM orgs WHERE parent_id = ${community} AND type = '党支部' ORDER BY id LIMIT 1 OFFSET ${k}`);
const freeMember = (org) =>
  n(`SELECT id FROM members WHERE org_id = ${org} AND state = 'normal' AND party_status = 'formal' AND id NOT IN
    (SELECT member_id FROM transfers WHERE member_id IS NOT NULL) ORDER BY id LIMIT 1`);
const ago = (days) => new Date(Date.now() - days * 864e5).toISOString().slice(0, 10);

before(async () => {
  // no background scheduler: the test's tick runs the slots
  srv = await district({ orgs: 40, members: 300, args: ['--message-workers', '0'] });
  fromBranch = branchUnder(srv.community(0));
  toBranch = branchUnder(srv.community(1));
  sec = await as(srv, 'branch_secretary', fromBranch);
  sendCom = await as(srv, 'committee_admin', srv.community(0));
  recvCom = await as(srv, 'committee_admin', srv.community(1));
  recvSec = await as(srv, 'branch_secretary', toBranch);
});
after(async () => { await setClock(srv, 0); await srv.stop(); });

async function step(s, id, action) {
  const r = await s.call('POST', `/api/v1/transfers/${id}/${action}`, {});
  assert.equal(r.status, 200, `${action}: ${r.text}`);
  return r.body;
}
// a within-deployment letter of a fresh member of fromBranch, accepted by toBranch's side
async function received() {
  const r = await sec.call('POST', '/api/v1/transfers', { kind: 'within', member_id: freeMember(fromBranch), to_org_id: toBranch, reason: '工作单位变动' });
  assert.equal(r.status, 201, r.text);
  await step(sec, r.body.id, 'submit');
  await step(sendCom, r.body.id, 'approve');
  await step(sec, r.body.id, 'send');
  return step(recvCom, r.body.id, 'accept');
}
async function tick() {
  const r = await api(srv, 'POST', '/api/v1/test/messages/tick');
  assert.equal(r.status, 200, r.text);
  return r.body;
}
const alerts = (t, user) => n(`SELECT COUNT(*) FROM outbox WHERE dedup_key = 'trf_receipt:${t}:${user}'`);

test('R-TRF-05 receipt not returned a month after acceptance: an in-app alert to the sending side through the outbox, once', async () => {
  const overdue = await received(), fresh = await received(), back = await received();
  sql(`UPDATE transfers SET received_on = '${ago(40)}' WHERE id IN (${overdue.id}, ${back.id})`);
  sql(`UPDATE transfers SET received_on = '${ago(10)}' WHERE id = ${fresh.id}`);
  await step(sec, back.id, 'receipt');
  const t = await tick();
  const run = t.ran.find((x) => x.slot === 'transfer_receipt');
  assert.ok(run && run.outcome === 'ok', JSON.stringify(t.ran));
  // the branch that sent it and its committee, not the receiving side
  assert.equal(alerts(overdue.id, sec.user.id), 1);
  assert.equal(alerts(overdue.id, sendCom.user.id), 1);
  assert.equal(alerts(overdue.id, recvSec.user.id), 0);
  assert.equal(alerts(overdue.id, recvCom.user.id), 0);
  assert.equal(n(`SELECT COUNT(*) FROM outbox WHERE dedup_key LIKE 'trf_receipt:${fresh.id}:%' OR dedup_key LIKE 'trf_receipt:${back.id}:%'`), 0);
  assert.equal(sql(`SELECT channel || ' ' || state || ' ' || template FROM outbox WHERE dedup_key = 'trf_receipt:${overdue.id}:${sec.user.id}'`),
    'inapp sent transfer_receipt');
  const inbox = await sec.call('GET', '/api/v1/inbox');
  assert.equal(inbox.status, 200, inbox.text);
  const mine = inbox.body.items.find((i) => i.body.includes(overdue.serial));
  assert.ok(mine, inbox.text);
  assert.match(mine.title, /转接回执逾期未退回/);
  assert.ok(mine.body.includes(overdue.name) && mine.body.includes('回执逾期一个月未退回'), mine.body);
  // the next day's run adds nothing for the same letter
  await setClock(srv, 86400);
  await tick();
  assert.equal(alerts(overdue.id, sec.user.id), 1);
  assert.equal(alerts(overdue.id, sendCom.user.id), 1);
});
