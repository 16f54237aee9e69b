// audit.test.mjs: the audit log over the API and the CLI: SECURITY.md S9 (every
// catalogued event writes exactly one row with its facts and no secret) and S10 (the
// chain verifies; tampering is named; UPDATE/DELETE refused by trigger).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, cli, problemOk, sqlExec, isPg } from './lib/server.mjs';
import { signIn, login, addUser, addOrgs, strongPassword, totp, serverNow, setClock } from './lib/auth.mjs';

let srv, sys, sec, aud;
const secrets = [];
before(async () => {
  srv = await startServer({ args: ['--lock-threshold', '2'] });
  addOrgs(srv, [{ id: 1, name: '示范区委' }, { id: 2, parent: 1, name: '东街道党工委' }]);
  sys = await signIn(srv, { role: 'sysadmin' });
  sec = await signIn(srv, { role: 'secadmin' });
  aud = await signIn(srv, { role: 'auditor' });
  for (const s of [sys, sec, aud]) secrets.push(s.password, s.secret, s.csrf, s.cookie.split('=')[1]);
});
after(async () => { await srv.stop(); });

async function rowsAfter(id) {
  const r = await aud.call('GET', '/api/v1/audit?limit=200');
  assert.equal(r.status, 200);
  return r.body.items.filter((i) => i.id > id).reverse();
}
async function lastId() { return (await aud.call('GET', '/api/v1/audit?limit=1')).body.items[0].id; }

// Runs fn and checks it wrote exactly the expected actions, one row each, with the facts.
async function expectEvents(fn, expected) {
  const before = await lastId();
  await fn();
  const rows = await rowsAfter(before);
  assert.deepEqual(rows.map((r) => `${r.action}:${r.outcome}`), expected, JSON.stringify(rows, null, 1));
  for (const r of rows) {
    assert.match(r.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(r.ip, r.action.startsWith('user.') && r.actor_name === 'system' && r.ip === 'cli' ? 'cli' : r.ip);
    assert.ok(r.ip === '127.0.0.1' || r.ip === 'cli', r.ip);
    assert.ok(r.object_type, 'object named');
    const text = JSON.stringify(r);
    for (const s of secrets) if (s) assert.ok(!text.includes(s), `secret in ${text}`);
  }
  return rows;
}

test('S9 each security event writes exactly one audit row with its facts and no secret', async () => {
  let otp, s, pw;
  let rows = await expectEvents(() => { otp = addUser(srv, { username: 'ev1', role: 'branch_secretary', org: 2 }); }, ['user.create:success']);
  assert.equal(rows[0].org_id, 2);
  secrets.push(otp);
  rows = await expectEvents(async () => { s = (await login(srv, 'ev1', otp)).session; }, ['session.login:success']);
  assert.equal(rows[0].actor_name, '测试用户');
  assert.equal(rows[0].object_id, s.user.id);
  secrets.push(s.csrf, s.cookie.split('=')[1]);
  pw = strongPassword();
  secrets.push(pw);
  rows = await expectEvents(async () => {
    s.update((await s.call('PUT', '/api/v1/session/password', { old_password: otp, new_password: pw })).body);
  }, ['password.change:success']);
  assert.equal(rows[0].actor_id, s.user.id);
  assert.equal(rows[0].org_id, 2); // the actor's organization
  await expectEvents(() => login(srv, 'ev1', 'Wrong-password-1'), ['session.login:failure']);
  await expectEvents(() => login(srv, 'nobody-here', 'Wrong-password-1'), ['session.login:failure']);
  await expectEvents(() => login(srv, 'ev1', 'Wrong-password-1'), ['session.login:failure']); // delays start
  rows = await expectEvents(() => login(srv, 'ev1', pw), ['session.login:failure']); // throttled, no check
  assert.match(rows[0].summary_raw, /reason=throttled/);
  try {
    await setClock(srv, 901);
    rows = await expectEvents(async () => { s = (await login(srv, 'ev1', pw)).session; }, ['session.login:success']);
  } finally { await setClock(srv, 0); }
  await expectEvents(() => s.call('DELETE', '/api/v1/session'), ['session.logout:success']);
  rows = await expectEvents(() => sec.call('PUT', `/api/v1/users/${s.user.id}/roles`, { roles: [{ role: 'member', org_id: 2 }] }), ['role.assign:success']);
  assert.equal(rows[0].role, 'secadmin');
  assert.match(rows[0].summary_raw, /before=branch_secretary@2 after=member@2/);
  let id;
  await expectEvents(async () => { id = (await sys.call('POST', '/api/v1/users', { username: 'ev2', name: '事件二', mobile: '13700001111' })).body.user.id; }, ['user.create:success']);
  rows = await expectEvents(() => sys.call('PATCH', `/api/v1/users/${id}`, { mobile: '13700002222' }), ['user.update:success']);
  assert.ok(!JSON.stringify(rows).includes('13700002222'));
  await expectEvents(() => sys.call('POST', `/api/v1/users/${id}/reset-password`), ['user.reset_password:success']);
  await expectEvents(() => sys.call('PATCH', `/api/v1/users/${id}`, { status: 'disabled' }), ['user.disable:success']);
  await expectEvents(() => { cli(srv.dir, ['user', 'reset-password', 'ev2']); }, ['user.reset_password:success']);
  // TOTP enrolment of a new administrator
  const t = addUser(srv, { username: 'ev3', role: 'auditor' });
  const a = (await login(srv, 'ev3', t)).session;
  a.update((await a.call('PUT', '/api/v1/session/password', { old_password: t, new_password: strongPassword() })).body);
  const st = await a.call('POST', '/api/v1/session/totp');
  secrets.push(st.body.secret);
  rows = await expectEvents(() => a.call('PUT', '/api/v1/session/totp', { code: totp(st.body.secret, serverNow(srv)) }), ['totp.enrol:success']);
  assert.equal(rows[0].role, 'auditor');
  // bad input changes nothing and writes nothing
  await expectEvents(() => sys.call('POST', '/api/v1/users', { username: '' }), []);
});

test('S9 the audit IP is the peer; X-Forwarded-For counts only from a configured trusted proxy', async () => {
  const otp = addUser(srv, { username: 'ip1', role: 'member' });
  const before = await lastId();
  assert.equal((await login(srv, 'ip1', otp, undefined, { 'x-forwarded-for': '203.0.113.9' })).status, 200);
  const rows = await rowsAfter(before);
  assert.equal(rows.length, 1);
  assert.equal(rows[0].ip, '127.0.0.1'); // this server trusts no proxy
});

test('GET /audit filters and keyset pagination; auditor only', async () => {
  const all = await aud.call('GET', '/api/v1/audit?limit=200');
  const total = all.body.total;
  assert.ok(total > 5);
  let seen = [], cursor = '';
  for (;;) {
    const r = await aud.call('GET', `/api/v1/audit?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
    seen.push(...r.body.items.map((i) => i.id));
    if (!r.body.next_cursor) break;
    cursor = r.body.next_cursor;
  }
  assert.deepEqual(seen, all.body.items.map((i) => i.id));
  const logins = await aud.call('GET', '/api/v1/audit?action=session.login&limit=200');
  assert.ok(logins.body.items.length > 0 && logins.body.items.every((i) => i.action === 'session.login'));
  // catalogued actions carry their Chinese name for the audit page
  assert.ok(logins.body.items.every((i) => i.action_name === '登录'));
  const mine = await aud.call('GET', `/api/v1/audit?actor=${sys.user.id}`);
  assert.ok(mine.body.items.every((i) => i.actor_id === sys.user.id));
  const byName = await aud.call('GET', `/api/v1/audit?actor=${sys.username}`); // the UI sends an id or a username
  assert.deepEqual(byName.body.items.map((i) => i.id), mine.body.items.map((i) => i.id));
  assert.equal((await aud.call('GET', '/api/v1/audit?actor=no.such.user')).body.total, 0);
  const obj = await aud.call('GET', `/api/v1/audit?object_type=user&object_id=${sec.user.id}`);
  assert.ok(obj.body.total >= 1 && obj.body.items.every((i) => i.object_id === sec.user.id));
  const future = await aud.call('GET', '/api/v1/audit?from=2199-01-01');
  assert.equal(future.body.total, 0);
  const today = new Date().toISOString().slice(0, 10);
  assert.equal((await aud.call('GET', `/api/v1/audit?from=${today}&to=${today}T23:59:59Z&limit=200`)).body.total, total);
  // what the browser's Date.toISOString() sends, milliseconds included
  const hourAgo = new Date(Date.now() - 3600e3).toISOString(), inHour = new Date(Date.now() + 3600e3).toISOString();
  assert.equal((await aud.call('GET', `/api/v1/audit?from=${hourAgo}&to=${inHour}&limit=200`)).body.total, total);
  problemOk(null, await aud.call('GET', '/api/v1/audit?from=yesterday'), 400, 'validation_failed');
  problemOk(null, await aud.call('GET', '/api/v1/audit?from=2026-01-01T10:00:00.5'), 400, 'validation_failed');
  problemOk(null, await sys.call('GET', '/api/v1/audit'), 403, 'forbidden');
  problemOk(null, await sec.call('GET', '/api/v1/audit/verify'), 403, 'forbidden');
});

test('S10 the chain verifies; tampering is named by the API and `dangjian audit verify`', async () => {
  const v = await aud.call('GET', '/api/v1/audit/verify');
  assert.deepEqual({ ok: v.body.ok, broken: v.body.first_broken_id }, { ok: true, broken: null });
  const ok = cli(srv.dir, ['audit', 'verify']);
  assert.equal(ok.status, 0);
  assert.match(ok.stdout, /audit chain ok: \d+ rows/);
  const sq = (q) => sqlExec(srv.dir, q);
  // the triggers refuse change
  assert.match(sq("UPDATE audit_log SET summary = 'x' WHERE id = 3").stderr, /append-only/);
  assert.match(sq('DELETE FROM audit_log WHERE id = 3').stderr, /append-only/);
  // an attacker with the file (or the database's owner) drops them and edits row 3
  const drop = sq(`DROP TRIGGER audit_log_no_update${isPg() ? ' ON audit_log' : ''}; UPDATE audit_log SET outcome = 'failure' WHERE id = 3;`);
  assert.equal(drop.status, 0, drop.stderr);
  const bad = cli(srv.dir, ['audit', 'verify']);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stdout, /BROKEN at row 3\b/);
  const api = await aud.call('GET', '/api/v1/audit/verify');
  assert.equal(api.body.ok, false);
  assert.equal(api.body.first_broken_id, 3);
});
