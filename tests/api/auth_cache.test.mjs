// auth_cache.test.mjs: a session check kept per token at the auth revision it was read at
// (sql 0155_auth_rev, src/auth/authcache.c; issue 21 #2). Whatever changes the answer of
// a check (a role taken or granted, an organization renamed, a user changed, a session
// ended), written by this server or by another process (here the store's own shell),
// shows at the very next request on the same connection; a session's touch does not
// raise the revision, and a kept answer never decides an expiry (SECURITY.md S7).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, problemOk, sqlQuery, sqlExec } from './lib/server.mjs';
import { addOrgs, signIn, setClock } from './lib/auth.mjs';

let srv;
before(async () => {
  srv = await startServer({ args: ['--session-idle', '600', '--session-absolute', '3600'] });
  addOrgs(srv, [{ id: 1, name: '示范区委' }, { id: 2, parent: 1, name: '东街道党工委' }, { id: 3, parent: 1, name: '西街道党工委' }]);
});
after(async () => { await srv.stop(); });

const rev = () => Number(sqlQuery(srv.dir, 'SELECT rev FROM auth_rev WHERE id = 1'));
const me = async (s) => { const r = await s.call('GET', '/api/v1/session'); assert.equal(r.status, 200, r.text); return r.body; };

test('a change written by another process shows at the next request (roles, organization, user, session)', async () => {
  const s = await signIn(srv, { role: 'branch_secretary', org: 2 });
  const id = s.user.id;
  // asked twice: the second is answered from what the first kept
  assert.equal((await me(s)).roles[0].org_name, '东街道党工委');
  assert.equal((await s.call('GET', '/api/v1/orgs/2')).status, 200);
  const r0 = rev();
  sqlExec(srv.dir, "UPDATE orgs SET name = '东街道党工委（新）' WHERE id = 2");
  assert.ok(rev() > r0, 'an organization renamed raises the revision');
  assert.equal((await me(s)).roles[0].org_name, '东街道党工委（新）');
  // a role moved to another organization: the old one is out of scope at once
  sqlExec(srv.dir, `UPDATE user_roles SET org_id = 3 WHERE user_id = ${id}`);
  problemOk(null, await s.call('GET', '/api/v1/orgs/2'), 404, 'not_found');
  assert.equal((await s.call('GET', '/api/v1/orgs/3')).status, 200);
  // the role taken away
  sqlExec(srv.dir, `DELETE FROM user_roles WHERE user_id = ${id}`);
  assert.deepEqual((await me(s)).roles, []);
  assert.ok([403, 404].includes((await s.call('GET', '/api/v1/orgs/3')).status));
  // and granted again
  sqlExec(srv.dir, `INSERT INTO user_roles (user_id, role, org_id, created_at) VALUES (${id}, 'branch_secretary', 2, 0)`);
  assert.equal((await s.call('GET', '/api/v1/orgs/2')).status, 200);
  // the user's own row
  sqlExec(srv.dir, `UPDATE users SET name = '改名后的书记' WHERE id = ${id}`);
  assert.equal((await me(s)).user.name, '改名后的书记');
  sqlExec(srv.dir, `UPDATE users SET must_change_password = 1 WHERE id = ${id}`);
  problemOk(null, await s.call('GET', '/api/v1/orgs/2'), 403, 'password_change_required');
  sqlExec(srv.dir, `UPDATE users SET must_change_password = 0 WHERE id = ${id}`);
  assert.equal((await s.call('GET', '/api/v1/orgs/2')).status, 200);
  // the session ended elsewhere (another server's sign-out, the CLI's disable)
  sqlExec(srv.dir, `DELETE FROM sessions WHERE user_id = ${id}`);
  problemOk(null, await s.call('GET', '/api/v1/session'), 401, 'unauthenticated');
});

test('a touch does not raise the revision; a kept answer never outlives the idle limit', async () => {
  const s = await signIn(srv, { role: 'member' });
  try {
    await me(s);
    await me(s);
    const r0 = rev();
    await setClock(srv, 120); // the touch is due (every 60 s): the full check runs and touches
    await me(s);
    const seen = Number(sqlQuery(srv.dir, `SELECT last_seen_at FROM sessions WHERE user_id = ${s.user.id}`));
    assert.ok(seen >= Math.floor(Date.now() / 1000) + 100, `touched: ${seen}`);
    await me(s); // kept again, at the same revision
    assert.equal(rev(), r0, 'a touch leaves the revision as it was');
    // kept at +120; at +721 the idle limit (600 s) has passed: the kept answer is not taken
    await setClock(srv, 721);
    problemOk(null, await s.call('GET', '/api/v1/session'), 401, 'unauthenticated');
  } finally { await setClock(srv, 0); }
});
