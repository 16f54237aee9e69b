// session.test.mjs: signing in and out, sessions, CSRF, throttling, the password
// policy and TOTP (SECURITY.md S6, S7, S8; docs/api-contract.md "Session and identity").
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, api, cli, problemOk, sqlQuery, sqlExec, isPg } from './lib/server.mjs';
import { addUser, login, signIn, setClock, serverNow, totp, strongPassword, sessionCookie } from './lib/auth.mjs';

let srv;
before(async () => {
  // the proxy at 127.0.0.1 is trusted, so X-Forwarded-Proto: https counts as TLS
  srv = await startServer({ args: ['--trusted-proxy', '127.0.0.1', '--session-idle', '600', '--session-absolute', '3600'] });
});
after(async () => { await srv.stop(); });

const sql = (q) => sqlQuery(srv.dir, q);
// text as the bytes of a BLOB (SQLite) or BYTEA (PostgreSQL) column
const bytes = (text) => (isPg() ? `convert_to('${text}', 'UTF8')` : `CAST('${text}' AS BLOB)`);

test('a fresh database has no account: nobody can sign in', async () => {
  const fresh = await startServer();
  try {
    assert.equal(sqlQuery(fresh.dir, 'SELECT COUNT(*) FROM users'), '0');
    for (const [u, p] of [['admin', 'admin'], ['admin', 'admin123'], ['root', 'root'], ['sysadmin', '123456']]) {
      problemOk(null, await login(fresh, u, p), 401, 'invalid_credentials');
    }
  } finally { await fresh.stop(); }
});

test('S7 session cookie flags and token size; the login reply is the session object', async () => {
  const otp = addUser(srv, { username: 'cookie1', role: 'member' });
  const r = await login(srv, 'cookie1', otp);
  assert.equal(r.status, 200);
  const set = r.headers.getSetCookie();
  assert.equal(set.length, 1);
  assert.match(set[0], /^dj_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/$/);
  assert.ok(Buffer.from(set[0].split(/[=;]/)[1], 'base64url').length * 8 >= 128);
  assert.deepEqual(Object.keys(r.body).sort(), ['csrf_token', 'permissions', 'roles', 'user']);
  assert.equal(r.body.user.must_change_password, true);
  // a member's own (组织关系转接 applied for on the phone, 三社联动 tasks as a volunteer)
  assert.deepEqual(r.body.permissions, ['self.read', 'transfer.apply', 'service.task']);
  assert.deepEqual(r.body.roles, [{ role: 'member', role_name: '党员', org_id: null, org_name: null }]);
  // only the hash of the token is stored
  const token = set[0].split(/[=;]/)[1];
  assert.equal(sql(`SELECT COUNT(*) FROM sessions WHERE token_hash = ${bytes(token)}`), '0');
  // behind TLS (via the trusted proxy) the cookie is __Host- and Secure
  const tls = await login(srv, 'cookie1', otp, undefined, { 'x-forwarded-proto': 'https' });
  assert.equal(tls.status, 200);
  assert.match(tls.headers.getSetCookie()[0], /^__Host-dj_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/; Secure$/);
  // the plain cookie name is not accepted over TLS, the __Host- one is
  const hostCookie = tls.headers.getSetCookie()[0].split(';')[0];
  assert.equal((await api(srv, 'GET', '/api/v1/session', { headers: { cookie: hostCookie, 'x-forwarded-proto': 'https' } })).status, 200);
  assert.equal((await api(srv, 'GET', '/api/v1/session', { headers: { cookie: hostCookie.replace('__Host-', ''), 'x-forwarded-proto': 'https' } })).status, 401);
  // from the trusted proxy, the forwarded client address is what the audit records
  await login(srv, 'cookie1', otp, undefined, { 'x-forwarded-for': '198.51.100.7' });
  assert.equal(sql("SELECT ip FROM audit_log WHERE action = 'session.login' ORDER BY id DESC LIMIT 1"), '198.51.100.7');
});

test('S7 token rotated at login; replay after logout, password change and disable → 401', async () => {
  const otp = addUser(srv, { username: 'replay1', role: 'member' });
  const a = (await login(srv, 'replay1', otp)).session;
  const b = (await login(srv, 'replay1', otp)).session;
  assert.notEqual(a.cookie, b.cookie);
  assert.notEqual(a.csrf, b.csrf);
  // logout kills this session only
  const out = await b.call('DELETE', '/api/v1/session');
  assert.equal(out.status, 204);
  assert.match(out.headers.getSetCookie()[0], /^dj_session=; .*Max-Age=0/);
  const old = b.cookie;
  problemOk(null, await api(srv, 'GET', '/api/v1/session', { headers: { cookie: old } }), 401, 'unauthenticated');
  assert.equal((await a.call('GET', '/api/v1/session')).status, 200);
  // a password change revokes every other session of the user
  const c = (await login(srv, 'replay1', otp)).session;
  const pw = strongPassword();
  const ch = await a.call('PUT', '/api/v1/session/password', { old_password: otp, new_password: pw });
  assert.equal(ch.status, 200);
  assert.equal(ch.body.user.must_change_password, false);
  assert.notEqual(sessionCookie(ch), undefined);
  problemOk(null, await c.call('GET', '/api/v1/session'), 401, 'unauthenticated');
  assert.equal((await a.call('GET', '/api/v1/session')).status, 200); // the new cookie works
  // disable from the CLI revokes everything
  const d = cli(srv.dir, ['user', 'disable', 'replay1']);
  assert.equal(d.status, 0, d.stderr);
  problemOk(null, await a.call('GET', '/api/v1/session'), 401, 'unauthenticated');
  problemOk(null, await login(srv, 'replay1', pw), 401, 'invalid_credentials');
});

test('S7 idle timeout and absolute lifetime (settings; clock shifted)', async () => {
  const s = await signIn(srv, { role: 'member' });
  try {
    await setClock(srv, 590);
    assert.equal((await s.call('GET', '/api/v1/session')).status, 200); // touched at +590
    await setClock(srv, 1180);
    assert.equal((await s.call('GET', '/api/v1/session')).status, 200);
    await setClock(srv, 1790);
    problemOk(null, await s.call('GET', '/api/v1/session'), 401, 'unauthenticated'); // idle 610 s > 600
    const t = await signIn(srv, { role: 'member' });
    for (let off = 1790 + 500; off < 1790 + 3600; off += 500) {
      await setClock(srv, off);
      assert.equal((await t.call('GET', '/api/v1/session')).status, 200, `at ${off}`);
    }
    await setClock(srv, 1790 + 3601);
    problemOk(null, await t.call('GET', '/api/v1/session'), 401, 'unauthenticated'); // absolute 3600 s
  } finally { await setClock(srv, 0); }
});


test('one-time password: every other route answers 403 password_change_required', async () => {
  const otp = addUser(srv, { username: 'otp2', role: 'member' });
  const s = (await login(srv, 'otp2', otp)).session;
  problemOk(null, await s.call('GET', '/api/v1/permissions'), 403, 'password_change_required');
  assert.equal((await s.call('GET', '/api/v1/session')).status, 200);
  // the policy applies to the new password
  for (const [pw, code] of [['short1A!', 'password_too_short'], ['alllowercaseletters', 'password_too_weak'],
    ['Otp2-password-x', 'password_contains_username'], ['x'.repeat(100) + 'A1'.repeat(15), 'password_too_long'],
    [otp, 'password_same']]) {
    const r = await s.call('PUT', '/api/v1/session/password', { old_password: otp, new_password: pw });
    problemOk(null, r, 400, 'validation_failed');
    assert.equal(r.body.errors[0].field, 'new_password');
    assert.equal(r.body.errors[0].code, code, pw);
  }
  const wrong = await s.call('PUT', '/api/v1/session/password', { old_password: 'nope-Nope-123', new_password: strongPassword() });
  assert.equal(wrong.body.errors[0].code, 'wrong_password');
  const long = 'Aa1-' + '长'.repeat(124); // 128 characters, accepted whole
  const ok = await s.call('PUT', '/api/v1/session/password', { old_password: otp, new_password: long });
  assert.equal(ok.status, 200, ok.text);
  assert.equal((await s.call('GET', '/api/v1/permissions')).status, 200);
  problemOk(null, await login(srv, 'otp2', long.slice(0, 127)), 401, 'invalid_credentials');
  assert.equal((await login(srv, 'otp2', long)).status, 200);
});

test('CSRF: state-changing requests need the token and a same-origin request', async () => {
  const s = await signIn(srv, { role: 'member' });
  problemOk(null, await s.call('DELETE', '/api/v1/session', undefined, { 'x-csrf-token': '' }), 403, 'csrf_failed');
  problemOk(null, await s.call('DELETE', '/api/v1/session', undefined, { 'x-csrf-token': 'a'.repeat(32) }), 403, 'csrf_failed');
  problemOk(null, await s.call('DELETE', '/api/v1/session', undefined, { 'x-csrf-token': s.csrf, 'sec-fetch-site': 'cross-site' }), 403, 'csrf_failed');
  problemOk(null, await s.call('DELETE', '/api/v1/session', undefined, { 'x-csrf-token': s.csrf, origin: 'http://evil.example' }), 403, 'csrf_failed');
  // a cross-site login is refused too (login CSRF)
  problemOk(null, await login(srv, s.username, s.password, undefined, { origin: 'https://evil.example' }), 403, 'csrf_failed');
  assert.equal((await s.call('GET', '/api/v1/session')).status, 200); // nothing happened
  const ok = await s.call('DELETE', '/api/v1/session', undefined, { 'x-csrf-token': s.csrf, origin: srv.base, 'sec-fetch-site': 'same-origin' });
  assert.equal(ok.status, 204);
});

// From an attacker's address (X-Forwarded-For counts: the proxy at 127.0.0.1 is trusted).
const from = (ip) => ({ 'x-forwarded-for': ip });

test('S6 S23 five wrong passwords delay that (name, address) with a growing Retry-After; no account lock; another address still signs in', async () => {
  const s = await signIn(srv, { role: 'member' });
  const evil = from('203.0.113.6');
  for (let i = 0; i < 5; i++) problemOk(null, await login(srv, s.username, 'Wrong-password-1', undefined, evil), 401, 'invalid_credentials');
  // from the attacker's address even the right password waits now, before any check
  let r = await login(srv, s.username, s.password, undefined, evil);
  problemOk(null, r, 429, 'rate_limited');
  assert.ok(Math.abs(Number(r.headers.get('retry-after')) - 60) <= 1, r.headers.get('retry-after'));
  // the holder, elsewhere, is not kept out; the account is never locked
  assert.equal((await login(srv, s.username, s.password, undefined, from('198.51.100.20'))).status, 200);
  assert.equal(sql(`SELECT status FROM users WHERE id = ${s.user.id}`), 'active');
  assert.equal(sql(`SELECT COUNT(*) FROM audit_log WHERE action = 'user.lock' AND object_id = ${s.user.id}`), '0');
  try {
    // each further failure doubles the delay: 60, 120, 240 s
    let offset = 0;
    for (const wait of [60, 120, 240]) {
      offset += wait + 1;
      await setClock(srv, offset);
      problemOk(null, await login(srv, s.username, 'Wrong-password-1', undefined, evil), 401, 'invalid_credentials');
      r = await login(srv, s.username, s.password, undefined, evil);
      problemOk(null, r, 429, 'rate_limited');
      assert.ok(Math.abs(Number(r.headers.get('retry-after')) - 2 * wait) <= 1, `${wait}: ${r.headers.get('retry-after')}`);
    }
    // once the delay has passed, the right password from there signs in and clears the pair
    offset += 481;
    await setClock(srv, offset);
    assert.equal((await login(srv, s.username, s.password, undefined, evil)).status, 200);
    for (let i = 0; i < 4; i++) problemOk(null, await login(srv, s.username, 'Wrong-password-1', undefined, evil), 401, 'invalid_credentials');
    assert.equal((await login(srv, s.username, s.password, undefined, evil)).status, 200);
    // failures spread over more than the window are forgotten
    for (let i = 0; i < 4; i++) await login(srv, s.username, 'Wrong-password-1', undefined, evil);
    await setClock(srv, offset + 901);
    await login(srv, s.username, 'Wrong-password-1', undefined, evil);
    assert.equal((await login(srv, s.username, s.password, undefined, evil)).status, 200);
  } finally { await setClock(srv, 0); }
});

test('S6 concurrent wrong passwords cannot outrun the throttle', async () => {
  // many workers, so that attempts really overlap
  const busy = await startServer({ workers: 8 });
  try {
    const s = await signIn(busy, { role: 'member' });
    // twelve attempts at once: the counter is read under the write lock, so only the
    // threshold of them are judged before the (name, address) pair must wait
    const rs = await Promise.all(Array.from({ length: 12 }, () => login(busy, s.username, 'Wrong-password-2')));
    const wrong = rs.filter((r) => r.status === 401).length;
    const waiting = rs.filter((r) => r.status === 429).length;
    assert.equal(wrong, 5, rs.map((r) => r.status).join(','));
    assert.equal(waiting, 7);
  } finally {
    await busy.stop();
  }
});

test('S23 known and unknown names answer alike at every count 1..8 (status, body, Retry-After)', async () => {
  const t = await startServer({ args: ['--trusted-proxy', '127.0.0.1'] });
  try {
    addUser(t, { username: 'known23', role: 'member' });
    const plain = (r) => JSON.stringify({ ...r.body, instance: undefined });
    const attempt = (name) => login(t, name, 'Wrong-password-1', undefined, from('203.0.113.23'));
    let offset = 0;
    for (let count = 1; count <= 8; count++) {
      const k = await attempt('known23');
      const u = await attempt('unknown23');
      problemOk(null, k, 401, 'invalid_credentials');
      assert.equal(u.status, k.status, `count ${count}`);
      assert.equal(plain(u), plain(k), `count ${count}`);
      if (count < 5) continue;
      // from the fifth failure on, both wait alike, for a delay that grows with the count
      const k2 = await attempt('known23');
      const u2 = await attempt('unknown23');
      problemOk(null, k2, 429, 'rate_limited');
      assert.equal(u2.status, k2.status, `count ${count}, waiting`);
      assert.equal(plain(u2), plain(k2), `count ${count}, waiting`);
      const delay = Math.min(900, 60 * 2 ** (count - 5));
      assert.ok(Math.abs(Number(k2.headers.get('retry-after')) - delay) <= 1, `count ${count}: ${k2.headers.get('retry-after')}`);
      assert.ok(Math.abs(Number(u2.headers.get('retry-after')) - delay) <= 1, `count ${count}: ${u2.headers.get('retry-after')}`);
      offset += delay + 1;
      await setClock(t, offset);
    }
  } finally { await t.stop(); }
});

test('S6 unknown user and wrong password answer alike (body, status; median of 40 paired time differences within 5 ms)', async () => {
  const t6 = await startServer({ args: ['--lock-threshold', '1000', '--ip-login-limit', '100000'] });
  try {
    const otp = addUser(t6, { username: 'known1', role: 'member' });
    assert.equal((await login(t6, 'known1', otp)).status, 200);
    const timed = async (name) => {
      const t0 = process.hrtime.bigint();
      const r = await login(t6, name, 'Wrong-password-1');
      return { r, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
    };
    // interleaved pairs, alternating which goes first: a slow moment of the box lands in
    // both halves of a pair, and the median of the differences keeps the property
    const diffs = [], all = [];
    const bodies = new Set();
    for (let i = 0; i < 40; i++) {
      const pair = {};
      for (const kind of i % 2 ? ['unknown', 'wrong'] : ['wrong', 'unknown']) {
        pair[kind] = await timed(kind === 'unknown' ? `nobody${i}` : 'known1');
        assert.equal(pair[kind].r.status, 401);
        bodies.add(JSON.stringify({ ...pair[kind].r.body, instance: undefined }));
      }
      diffs.push(pair.wrong.ms - pair.unknown.ms);
      all.push(pair.wrong.ms, pair.unknown.ms);
    }
    assert.equal(bodies.size, 1, [...bodies].join('\n'));
    const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
    const d = Math.abs(median(diffs));
    // a path that skipped the hash would differ by a whole verification (median(all))
    const bound = Math.max(5, median(all) / 10);
    // under valgrind every login takes ~0.3 s and the bound measures the instrumentation
    if (!process.env.DJ_VALGRIND) assert.ok(d <= bound, `median paired difference ${d.toFixed(2)} ms > ${bound.toFixed(2)} ms (a login takes ${median(all).toFixed(1)} ms)`);
  } finally { await t6.stop(); }
});

test('S6 per-address limit: too many failures from one address → 429', async () => {
  const t = await startServer({ args: ['--ip-login-limit', '3'] });
  try {
    for (let i = 0; i < 3; i++) problemOk(null, await login(t, `ghost${i}`, 'Wrong-password-1'), 401, 'invalid_credentials');
    const r = await login(t, 'ghost9', 'Wrong-password-1');
    problemOk(null, r, 429, 'rate_limited');
    assert.ok(Number(r.headers.get('retry-after')) > 0);
  } finally { await t.stop(); }
});

test('S8 administrator login needs TOTP; enrolment before anything else; a missing or wrong code answers like a wrong password', async () => {
  const otp = addUser(srv, { username: 'admin8', role: 'auditor' });
  const s = (await login(srv, 'admin8', otp)).session;
  assert.equal(s.body.user.totp_required, true);
  const pw = strongPassword();
  const ch = await s.call('PUT', '/api/v1/session/password', { old_password: otp, new_password: pw });
  assert.equal(ch.status, 200);
  s.update(ch.body);
  problemOk(null, await s.call('GET', '/api/v1/audit'), 403, 'totp_enrolment_required');
  const st = await s.call('POST', '/api/v1/session/totp');
  assert.equal(st.status, 200);
  assert.match(st.body.otpauth_uri, /^otpauth:\/\/totp\/dangjian:admin8\?secret=[A-Z2-7]{32}&issuer=dangjian/);
  problemOk(null, await s.call('PUT', '/api/v1/session/totp', { code: '000000' === totp(st.body.secret, serverNow(srv)) ? '111111' : '000000' }), 400, 'validation_failed');
  const cf = await s.call('PUT', '/api/v1/session/totp', { code: totp(st.body.secret, serverNow(srv)) });
  assert.equal(cf.status, 200);
  assert.equal(cf.body.user.totp_enrolled, true);
  assert.equal((await s.call('GET', '/api/v1/audit')).status, 200);
  problemOk(null, await s.call('POST', '/api/v1/session/totp'), 409, 'totp_already_enrolled');
  // signing in again: the password alone is not enough, and a right password with a
  // missing or wrong code answers exactly like a wrong password (issue 11 #7)
  const wrongPw = await login(srv, 'admin8', 'Wrong-password-8', totp(st.body.secret, serverNow(srv)));
  problemOk(null, wrongPw, 401, 'invalid_credentials');
  const plain = (r) => JSON.stringify({ ...r.body, instance: undefined });
  for (const r of [await login(srv, 'admin8', pw), await login(srv, 'admin8', pw, '123456' === totp(st.body.secret, serverNow(srv)) ? '654321' : '123456')]) {
    problemOk(null, r, 401, 'invalid_credentials');
    assert.equal(plain(r), plain(wrongPw));
  }
  // and they count as failures of the pair
  assert.equal(sql("SELECT failures FROM login_throttle WHERE name = 'admin8' AND ip = '127.0.0.1'"), '3');
  try {
    await setClock(srv, 60); // the enrolment code's step is used up; take the next one
    const r = await login(srv, 'admin8', pw, totp(st.body.secret, serverNow(srv)));
    assert.equal(r.status, 200, r.text);
    problemOk(null, await login(srv, 'admin8', pw, totp(st.body.secret, serverNow(srv))), 401, 'invalid_credentials'); // no replay
  } finally { await setClock(srv, 0); }
  // the secret is sealed at rest
  assert.equal(sql(`SELECT ${isPg() ? `position(${bytes(st.body.secret)} in totp_secret)` : `instr(totp_secret, ${bytes(st.body.secret)})`} FROM users WHERE username = 'admin8'`), '0');
});

test('S5 verifiers are rehashed at login when the configured parameters rise', async () => {
  const dir = srv.dir;
  const s = await signIn(srv, { role: 'member' });
  assert.match(sql(`SELECT password_hash FROM users WHERE id = ${s.user.id}`), /^\$argon2id\$v=19\$m=19456,t=2,/);
  const up = await startServer({ dir, args: ['--pwhash-ops', '3'] });
  try {
    assert.equal((await login(up, s.username, s.password)).status, 200);
    assert.match(sql(`SELECT password_hash FROM users WHERE id = ${s.user.id}`), /^\$argon2id\$v=19\$m=19456,t=3,/);
    assert.equal((await login(up, s.username, s.password)).status, 200);
  } finally { await up.stop(); }
});

test('S21 wrong old passwords count with the login failures of the name and address, are throttled alike and each is audited', async () => {
  const s = await signIn(srv, { role: 'member' });
  const evil = from('203.0.113.21');
  // a session used from the attacker's address (a stolen cookie, say)
  const call = (body) => s.call('PUT', '/api/v1/session/password', body, evil);
  const before = Number(sql(`SELECT COALESCE(MAX(id), 0) FROM audit_log`));
  for (let i = 0; i < 3; i++) {
    const r = await call({ old_password: `Wrong-old-${i}x`, new_password: strongPassword() });
    problemOk(null, r, 400, 'validation_failed');
    assert.equal(r.body.errors[0].code, 'wrong_password');
  }
  // the login failures of the same name and address are the same counter
  for (let i = 0; i < 2; i++) problemOk(null, await login(srv, s.username, 'Wrong-password-1', undefined, evil), 401, 'invalid_credentials');
  let r = await call({ old_password: s.password, new_password: strongPassword() });
  problemOk(null, r, 429, 'rate_limited');
  assert.ok(Math.abs(Number(r.headers.get('retry-after')) - 60) <= 1, r.headers.get('retry-after'));
  problemOk(null, await login(srv, s.username, s.password, undefined, evil), 429, 'rate_limited');
  // every attempt has its row: 3 wrong old passwords, 2 wrong logins, 2 refused unchecked
  const rows = sql(`SELECT action || ':' || outcome || ':' || summary FROM audit_log WHERE id > ${before} AND object_id = ${s.user.id} ORDER BY id`).split('\n');
  assert.deepEqual(rows.map((l) => l.replace(/ failures=\d+/, '')), [
    'password.change:failure:reason=wrong_password', 'password.change:failure:reason=wrong_password',
    'password.change:failure:reason=wrong_password', 'session.login:failure:reason=wrong_password',
    'session.login:failure:reason=wrong_password', 'password.change:failure:reason=throttled',
    'session.login:failure:reason=throttled']);
  assert.equal(sql(`SELECT failures FROM login_throttle WHERE name = '${s.username}' AND ip = '203.0.113.21'`), '5');
  // from the holder's own address the change goes through, after its check on the offload thread
  const pw = strongPassword();
  r = await s.call('PUT', '/api/v1/session/password', { old_password: s.password, new_password: pw });
  assert.equal(r.status, 200, r.text);
});

test('S6 database errors fail closed: an unreadable per-address count refuses the login', async () => {
  const t = await startServer();
  const tsql = (q) => sqlExec(t.dir, q);
  try {
    const otp = addUser(t, { username: 'closed1', role: 'member' });
    assert.equal(tsql('ALTER TABLE login_failures RENAME TO login_failures_gone').status, 0);
    const r = await login(t, 'closed1', otp);
    problemOk(null, r, 500, 'internal_error');
    assert.equal(r.session, null);
    assert.equal(tsql('ALTER TABLE login_failures_gone RENAME TO login_failures').status, 0);
    assert.equal((await login(t, 'closed1', otp)).status, 200);
  } finally { await t.stop(); }
});
