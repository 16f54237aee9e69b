// security_matrix.test.mjs: SECURITY.md S1, every role × every route × an object in
// the caller's own, a child, a sibling, the parent and a foreign organization. The
// routes come from `dangjian routes`, so routes added later are covered at once; see
// tests/api/lib/matrix.mjs for how a resource adds its organization fixtures.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import { POLICY, POSITIONS, ORG_AT, readRoutes, loadFixtures, fixtureFor, expected, setupWorld, call, judge } from './lib/matrix.mjs';

let srv, ctx, routes, fixtures;
before(async () => {
  srv = await startServer();
  routes = readRoutes(srv);
  fixtures = await loadFixtures();
  ctx = await setupWorld(srv);
});
after(async () => { await srv.stop(); });

test('S1 the server\'s roles are the written policy', async () => {
  const r = await ctx.sessions.member.call('GET', '/api/v1/roles');
  const got = Object.fromEntries(r.body.items.map((i) => [i.code, [...i.permissions].sort()]));
  const want = Object.fromEntries(Object.entries(POLICY).map(([k, v]) => [k, [...v].sort()]));
  assert.deepEqual(got, want);
});

test('S1 every route declares a known permission', () => {
  const perms = new Set([...Object.values(POLICY).flat(), 'public', 'session']);
  for (const r of routes) assert.ok(perms.has(r.perm), `${r.method} ${r.path}: ${r.perm} is granted to no role`);
  assert.ok(routes.length >= 20);
});

test('S1 access matrix: every role × every route × own/child/sibling/parent/foreign', async () => {
  const failures = [];
  let cells = 0;
  for (const route of routes) {
    const fx = fixtureFor(fixtures, route);
    if (fx && fx.skip) continue;
    for (const role of [...Object.keys(POLICY), 'anonymous']) {
      const positions = fx && fx.orgScoped ? POSITIONS : [null];
      for (const pos of positions) {
        let id = '1';
        if (fx && fx.object) id = String(await fx.object(ctx, pos ? ORG_AT[pos] : undefined));
        let path = route.path.replace(/\{[^}]+\}/, id).replace(/\{[^}]+\}/g, '1');
        if (fx && fx.path) path = await fx.path(ctx, pos ? ORG_AT[pos] : undefined, id);
        const body = route.method === 'GET' ? undefined : (fx && fx.body ? fx.body(ctx, role) : {});
        const want = expected(role, route, fx, pos);
        const r = await call(ctx, role, route, path, body, fx && fx.fresh);
        const why = judge(want, r);
        cells++;
        if (why) failures.push(`${route.method} ${route.path} as ${role}${pos ? ` (${pos})` : ''}: ${why}`);
      }
    }
  }
  assert.deepEqual(failures, [], `${failures.length} of ${cells} cells disagree with the policy`);
  assert.ok(cells >= routes.length * 9);
});

test('S1 the matrix oracle: scope positions for organization-scoped objects', () => {
  const route = { method: 'GET', path: '/api/v1/members/{id}', perm: 'member.read' };
  const fx = { orgScoped: true };
  const row = (role) => POSITIONS.map((p) => expected(role, route, fx, p));
  assert.deepEqual(row('branch_secretary'), ['allow', 'allow', 'hidden', 'hidden', 'hidden']);
  assert.deepEqual(row('district_admin'), ['allow', 'allow', 'hidden', 'hidden', 'hidden']); // assigned at own, too
  assert.deepEqual(row('member'), Array(5).fill('forbidden'));
  assert.deepEqual(row('auditor'), Array(5).fill('forbidden'));
  assert.deepEqual(row('anonymous'), Array(5).fill('unauthenticated'));
  assert.equal(expected('resident', { perm: 'session' }, null, null), 'allow');
  assert.equal(judge('hidden', { status: 403, body: { code: 'forbidden', status: 403 }, text: '' }) !== null, true);
  assert.equal(judge('forbidden', { status: 200, body: { items: [] }, text: '{}' }) !== null, true);
  assert.equal(judge('allow', { status: 400, body: { code: 'validation_failed', status: 400 }, text: '' }), null);
});
