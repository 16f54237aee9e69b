// users.test.mjs: user accounts (sysadmin), role assignments (secadmin), the
// catalogues, and the separation of the three administrators (SECURITY.md S8).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, cli, problemOk, sqlExec } from './lib/server.mjs';
import { signIn, login, addOrgs, strongPassword, setClock, totp, serverNow } from './lib/auth.mjs';

let srv, sys, sec, aud;
before(async () => {
  srv = await startServer();
  addOrgs(srv, [{ id: 1, name: '示范区委' }, { id: 2, parent: 1, name: '东街道党工委' }]);
  sys = await signIn(srv, { role: 'sysadmin' });
  sec = await signIn(srv, { role: 'secadmin' });
  aud = await signIn(srv, { role: 'auditor' });
});
after(async () => { await srv.stop(); });

test('catalogues: permissions and roles with Chinese names', async () => {
  const p = await sys.call('GET', '/api/v1/permissions');
  assert.equal(p.status, 200);
  for (const code of ['org.read', 'org.write', 'member.read', 'member.write', 'pii.view', 'pii.export', 'user.manage', 'role.assign', 'audit.read'])
    assert.ok(p.body.items.some((i) => i.code === code && /[\u4e00-\u9fff]/.test(i.name)), code);
  const r = await sys.call('GET', '/api/v1/roles');
  const byCode = Object.fromEntries(r.body.items.map((i) => [i.code, i]));
  assert.equal(byCode.sysadmin.name, '系统管理员');
  assert.equal(byCode.committee_admin.name, '党(工)委管理员');
  assert.equal(byCode.branch_secretary.name, '支部书记');
  assert.deepEqual(byCode.auditor.permissions, ['audit.read']);
});

test('S8 the three administrator roles share no permission and hold no business permission', async () => {
  const r = await sys.call('GET', '/api/v1/roles');
  const admins = r.body.items.filter((i) => i.admin);
  assert.deepEqual(admins.map((i) => i.code).sort(), ['auditor', 'secadmin', 'sysadmin']);
  const business = /^(org|member|pii|stats|self)\./;
  const seen = new Map();
  for (const a of admins) {
    for (const p of a.permissions) {
      assert.ok(!business.test(p), `${a.code} holds ${p}`);
      // user.read is shared by sysadmin and secadmin (both must see accounts); no write is shared
      if (p !== 'user.read') { assert.ok(!seen.has(p), `${p} in ${seen.get(p)} and ${a.code}`); seen.set(p, a.code); }
    }
  }
});

test('users CRUD by the system administrator; mobile masked; one-time password', async () => {
  const c = await sys.call('POST', '/api/v1/users', { username: 'li.si', name: '李四', mobile: '13912345678' });
  assert.equal(c.status, 201, c.text);
  assert.equal(c.body.user.mobile, '139****5678');
  assert.equal(c.body.user.must_change_password, true);
  assert.match(c.body.one_time_password, /^[A-Za-z2-9]{16}$/);
  assert.ok(!c.text.includes('13912345678'));
  const id = c.body.user.id;
  problemOk(null, await sys.call('POST', '/api/v1/users', { username: 'li.si', name: '重复' }), 400, 'validation_failed');
  const bad = await sys.call('POST', '/api/v1/users', { username: 'x y', name: '', mobile: '12345' });
  assert.deepEqual(bad.body.errors.map((e) => e.field).sort(), ['mobile', 'name', 'username']);
  const g = await sys.call('GET', `/api/v1/users/${id}`);
  assert.equal(g.body.username, 'li.si');
  problemOk(null, await sys.call('GET', '/api/v1/users/999999'), 404, 'not_found');
  const l = await sys.call('GET', '/api/v1/users?q=li.&limit=1');
  assert.equal(l.body.total, 1);
  assert.equal(l.body.items[0].id, id);
  const all = await sys.call('GET', '/api/v1/users?limit=2');
  assert.ok(all.body.total >= 4);
  const page2 = await sys.call('GET', `/api/v1/users?limit=2&cursor=${all.body.next_cursor}`);
  assert.ok(page2.body.items[0].id > all.body.items[1].id);
  const p = await sys.call('PATCH', `/api/v1/users/${id}`, { name: '李四新', mobile: null });
  assert.equal(p.body.name, '李四新');
  assert.equal(p.body.mobile, null);
  // reset password and disable revoke sessions
  const s = (await login(srv, 'li.si', c.body.one_time_password)).session;
  const rp = await sys.call('POST', `/api/v1/users/${id}/reset-password`);
  assert.equal(rp.status, 200);
  problemOk(null, await s.call('GET', '/api/v1/session'), 401, 'unauthenticated');
  const s2 = (await login(srv, 'li.si', rp.body.one_time_password)).session;
  const dis = await sys.call('PATCH', `/api/v1/users/${id}`, { status: 'disabled' });
  assert.equal(dis.body.status, 'disabled');
  problemOk(null, await s2.call('GET', '/api/v1/session'), 401, 'unauthenticated');
  problemOk(null, await login(srv, 'li.si', rp.body.one_time_password), 401, 'invalid_credentials');
  problemOk(null, await sys.call('PATCH', `/api/v1/users/${sys.user.id}`, { status: 'disabled' }), 409, 'cannot_disable_self');
});

test('role assignments by the security administrator; S8 administrator roles exclusive', async () => {
  const c = await sys.call('POST', '/api/v1/users', { username: 'wang.wu', name: '王五' });
  const id = c.body.user.id;
  const ok = await sec.call('PUT', `/api/v1/users/${id}/roles`, { roles: [{ role: 'branch_secretary', org_id: 2 }, { role: 'member', org_id: 2 }] });
  assert.equal(ok.status, 200, ok.text);
  assert.deepEqual(ok.body.roles.map((r) => [r.role, r.org_id, r.org_name]), [['branch_secretary', 2, '东街道党工委'], ['member', 2, '东街道党工委']]);
  for (const [roles, code] of [
    [[{ role: 'sysadmin' }, { role: 'auditor' }], 'admin_roles_exclusive'],
    [[{ role: 'secadmin' }, { role: 'member', org_id: 2 }], 'admin_roles_exclusive'],
    [[{ role: 'sysadmin', org_id: 1 }], 'admin_role_global'],
    [[{ role: 'district_admin' }], 'org_required'],
    [[{ role: 'district_admin', org_id: 77 }], 'org_not_found'],
    [[{ role: 'king' }], 'unknown_role'],
  ]) {
    const r = await sec.call('PUT', `/api/v1/users/${id}/roles`, { roles });
    problemOk(null, r, 400, 'validation_failed');
    assert.ok(r.body.errors.some((e) => e.code === code), `${JSON.stringify(roles)} → ${r.text}`);
  }
  problemOk(null, await sec.call('PUT', `/api/v1/users/${sec.user.id}/roles`, { roles: [{ role: 'sysadmin' }] }), 409, 'cannot_change_own_roles');
  // the system administrator manages accounts but cannot assign roles; the auditor neither
  problemOk(null, await sys.call('PUT', `/api/v1/users/${id}/roles`, { roles: [] }), 403, 'forbidden');
  problemOk(null, await aud.call('PUT', `/api/v1/users/${id}/roles`, { roles: [] }), 403, 'forbidden');
  problemOk(null, await sec.call('POST', '/api/v1/users', { username: 'zz', name: 'z' }), 403, 'forbidden');
  // the CLI refuses the same mixtures
  const cl = cli(srv.dir, ['user', 'add', '--username', 'bad1', '--name', 'x', '--role', 'auditor', '--org', '1']);
  assert.notEqual(cl.status, 0);
  // a role change applies at the next request
  const s = (await login(srv, 'wang.wu', c.body.one_time_password)).session;
  const pw = strongPassword();
  s.update((await s.call('PUT', '/api/v1/session/password', { old_password: c.body.one_time_password, new_password: pw })).body);
  assert.ok(s.body.permissions.includes('member.read'));
  await sec.call('PUT', `/api/v1/users/${id}/roles`, { roles: [{ role: 'member', org_id: 2 }] });
  assert.deepEqual((await s.call('GET', '/api/v1/session')).body.permissions, ['self.read', 'transfer.apply', 'service.task']);
});

test('S8 三权分立: no administrator resets another administrator over the API; the server CLI does', async () => {
  const a2 = await signIn(srv, { role: 'auditor' });
  for (const [m, p, b] of [['POST', `/api/v1/users/${a2.user.id}/reset-password`], ['PATCH', `/api/v1/users/${a2.user.id}`, { status: 'disabled' }],
    ['PATCH', `/api/v1/users/${sec.user.id}`, { name: '改名' }], ['POST', `/api/v1/users/${sys.user.id}/reset-password`]]) {
    problemOk(null, await sys.call(m, p, b), 409, 'admin_account_protected');
  }
  // its own profile the system administrator may still edit
  assert.equal((await sys.call('PATCH', `/api/v1/users/${sys.user.id}`, { name: '系统管理员甲' })).status, 200);
  // a lost authenticator: reset on the server; every session ends; the next login enrols again
  const r = cli(srv.dir, ['user', 'reset-totp', a2.username]);
  assert.equal(r.status, 0, r.stderr);
  problemOk(null, await a2.call('GET', '/api/v1/session'), 401, 'unauthenticated');
  const again = await login(srv, a2.username, a2.password);
  assert.equal(again.status, 200, again.text);
  assert.equal(again.body.user.totp_enrolled, false);
  problemOk(null, await again.session.call('GET', '/api/v1/audit'), 403, 'totp_enrolment_required');
  const rows = await aud.call('GET', '/api/v1/audit?action=user.reset_totp');
  assert.equal(rows.body.items.length, 1);
  assert.equal(rows.body.items[0].action_name, '重置动态验证码');
});

test('S8 the auditor cannot write business data or accounts', async () => {
  for (const [m, p, b] of [['POST', '/api/v1/users', { username: 'q', name: 'q' }], ['PATCH', `/api/v1/users/${sys.user.id}`, { name: 'x' }],
    ['POST', `/api/v1/users/${sys.user.id}/reset-password`], ['GET', '/api/v1/users']]) {
    problemOk(null, await aud.call(m, p, b), 403, 'forbidden');
  }
  const s = await aud.call('GET', '/api/v1/session');
  assert.deepEqual(s.body.permissions, ['audit.read']);
});

test('dengbao policy: an administrator whose password is 90 days old must change it first', async () => {
  const adm = await signIn(srv, { role: 'secadmin' });
  await setClock(srv, 91 * 86400);
  try {
    const r = await login(srv, adm.username, adm.password, totp(adm.secret, serverNow(srv)));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.user.must_change_password, true);
    problemOk(null, await r.session.call('GET', '/api/v1/users'), 403, 'password_change_required');
    const fresh = strongPassword();
    const ch = await r.session.call('PUT', '/api/v1/session/password', { old_password: adm.password, new_password: fresh });
    assert.equal(ch.status, 200, ch.text);
    assert.equal(ch.body.user.must_change_password, false);
  } finally {
    await setClock(srv, 0);
  }
});

const dbsql = (q) => sqlExec(srv.dir, q);

test('S22 the security administrator alone can not reuse an administrator account, present or past, for any other role', async () => {
  const a3 = await signIn(srv, { role: 'auditor' });
  const put = (roles) => sec.call('PUT', `/api/v1/users/${a3.user.id}/roles`, { roles });
  problemOk(null, await put([{ role: 'district_admin', org_id: 1 }]), 409, 'admin_account_reuse');
  // removing the auditor's role is allowed (and audited) …
  assert.equal((await put([])).status, 200);
  // … but the account stays an auditor's for good: no business role, no other administrator role
  for (const roles of [[{ role: 'district_admin', org_id: 1 }], [{ role: 'member', org_id: 2 }], [{ role: 'sysadmin' }], [{ role: 'secadmin' }]]) {
    problemOk(null, await put(roles), 409, 'admin_account_reuse');
  }
  const refused = await aud.call('GET', `/api/v1/audit?action=role.assign&object_type=user&object_id=${a3.user.id}`);
  assert.equal(refused.body.items.filter((i) => i.outcome === 'failure' && /refused=admin_account_reuse/.test(i.summary_raw)).length, 5);
  // the record is durable: not cleared by hand, and the database refuses the role itself
  assert.notEqual(dbsql(`UPDATE users SET admin_role = NULL WHERE id = ${a3.user.id}`).status, 0);
  assert.notEqual(dbsql(`INSERT INTO user_roles (user_id, role, org_id, created_at) VALUES (${a3.user.id}, 'district_admin', 1, 0)`).status, 0);
  assert.equal(dbsql(`SELECT admin_role FROM users WHERE id = ${a3.user.id}`).stdout.trim(), 'auditor');
  // its own role it may get back
  assert.equal((await put([{ role: 'auditor' }])).status, 200);
  // the security administrator can not reset a password or create an account either
  problemOk(null, await sec.call('POST', `/api/v1/users/${a3.user.id}/reset-password`), 403, 'forbidden');
});

test('S22 the system administrator alone: a reset shows the one-time password once, marks the account, tells its holder and is audited', async () => {
  const m = await signIn(srv, { role: 'member' });
  const reset = await sys.call('POST', `/api/v1/users/${m.user.id}/reset-password`);
  assert.equal(reset.status, 200, reset.text);
  const otp = reset.body.one_time_password;
  assert.match(otp, /^[A-Za-z0-9]{16}$/);
  const sysName = dbsql(`SELECT name FROM users WHERE id = ${sys.user.id}`).stdout.trim();
  assert.equal(dbsql(`SELECT reset_by || '|' || reset_by_name FROM users WHERE id = ${m.user.id}`).stdout.trim(), `${sys.user.id}|${sysName}`);
  // the administrator signs in with it: possible, but not undetected
  const first = await login(srv, m.username, otp);
  assert.equal(first.status, 200, first.text);
  assert.equal(first.body.user.must_change_password, true);
  assert.equal(first.body.user.password_reset.by, sysName);
  assert.match(first.body.user.password_reset.at, /^\d{4}-\d\d-\d\dT/);
  problemOk(null, await first.session.call('GET', '/api/v1/me'), 403, 'password_change_required');
  // the holder's next sign-in names who reset the password, when, and that someone signed in since
  const second = await login(srv, m.username, otp);
  assert.equal(second.body.user.password_reset.by, sysName);
  assert.match(second.body.user.password_reset.first_login_at, /^\d{4}-\d\d-\d\dT/);
  // the auditor sees the reset and the first sign-in after it, once each
  const ev = async (action) => (await aud.call('GET', `/api/v1/audit?action=${action}&object_type=user&object_id=${m.user.id}`)).body.items;
  const resets = await ev('user.reset_password');
  assert.equal(resets.length, 1);
  assert.equal(resets[0].actor_id, sys.user.id);
  const firsts = await ev('user.reset_login');
  assert.equal(firsts.length, 1);
  assert.match(firsts[0].summary_raw, new RegExp(`reset_by=${sys.user.id} .*same_address=1`));
  // and it can not hand the account a role
  problemOk(null, await sys.call('PUT', `/api/v1/users/${m.user.id}/roles`, { roles: [{ role: 'district_admin', org_id: 1 }] }), 403, 'forbidden');
});

test('S22 the auditor alone can not reset, create, or assign', async () => {
  const m = await signIn(srv, { role: 'member' });
  for (const [mt, p, b] of [['POST', `/api/v1/users/${m.user.id}/reset-password`], ['POST', '/api/v1/users', { username: 'aud-made', name: 'x' }],
    ['PUT', `/api/v1/users/${m.user.id}/roles`, { roles: [{ role: 'district_admin', org_id: 1 }] }], ['PUT', `/api/v1/users/${aud.user.id}/roles`, { roles: [] }]]) {
    problemOk(null, await aud.call(mt, p, b), 403, 'forbidden');
  }
  assert.equal(dbsql(`SELECT COUNT(*) FROM users WHERE username = 'aud-made'`).stdout.trim(), '0');
});
