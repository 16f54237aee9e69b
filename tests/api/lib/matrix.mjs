// tests/api/lib/matrix.mjs: the S1 access matrix (SECURITY.md S1). Every route that
// `dangjian routes` prints is exercised by every role (and by an anonymous caller);
// routes with path parameters get an object from the caller's own organization, a
// child, a sibling, the parent and a foreign tree. A cell the policy does not allow
// must answer 401/403/404 with no data; an allowed cell must not answer 401/403 (nor
// 404 for an object in scope) nor 5xx.
//
// The policy is written down here from the issue (POLICY below), independently of
// src/auth/policy.c, and the test checks the server's GET /api/v1/roles against it.
//
// HOW A NEW ROUTE JOINS: nothing is needed for the basic check (roles without the
// route's permission must get 401/403, never 2xx). To test organization scope, add a
// file tests/api/lib/fixtures/<resource>.mjs exporting `fixtures`, an object keyed by
// "METHOD /pattern" (or "/pattern" for every method), each with:
//   orgScoped: true        the object belongs to an organization: run the 5 positions
//   object(ctx, orgId)     async: create (or reuse: it is called for every cell, so
//                          cache per orgId) an object in orgId, return its id for the
//                          pattern's first {param} (ctx.admin is a district admin
//                          session over the root org 1, ctx.srv the server)
//   path(ctx, orgId, id)   optional: the full path to call instead (list routes:
//                          `/api/v1/members?org_id=${orgId}`)
//   body(ctx, role)        the JSON body to send (default {}): prefer one that is valid
//                          but harmless, or invalid so that nothing changes (400)
//   fresh: true            the call spends the caller's session (logout): use a new one
//   skip: 'why'            not exercised here (say where it is tested)
// The harness imports every file in fixtures/ by itself.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { cli, api } from './server.mjs';
import { signIn, addOrgs } from './auth.mjs';

// The roles' permissions as the roster landed them; each capability's grants follow in
// GRANTS, one block each (merged into POLICY below).
export const POLICY = {
  sysadmin: ['user.read', 'user.manage', 'settings.manage'],
  secadmin: ['user.read', 'role.assign'],
  auditor: ['audit.read'],
  district_admin: ['org.read', 'org.write', 'member.read', 'member.write', 'member.import', 'member.export', 'pii.view', 'pii.export', 'stats.read', 'self.read'],
  committee_admin: ['org.read', 'org.write', 'member.read', 'member.write', 'member.import', 'member.export', 'pii.view', 'stats.read', 'self.read'],
  branch_secretary: ['org.read', 'member.read', 'member.write', 'member.export', 'stats.read', 'self.read'],
  member: ['self.read'],
  resident: ['self.read'],
};
const GRANTS = [
  // 年度报告
  ['district_admin', 'report.manage'],
  // 发展党员
  ['district_admin', 'calendar.manage'], ['district_admin', 'dev.read'], ['district_admin', 'dev.write'], ['district_admin', 'dev.approve'], ['district_admin', 'dev.quota'],
  ['committee_admin', 'dev.read'], ['committee_admin', 'dev.write'], ['committee_admin', 'dev.approve'],
  ['branch_secretary', 'dev.read'], ['branch_secretary', 'dev.write'],
  // files store
  ['district_admin', 'file.read'], ['district_admin', 'file.write'],
  ['committee_admin', 'file.read'], ['committee_admin', 'file.write'],
  ['branch_secretary', 'file.read'], ['branch_secretary', 'file.write'],
  // messages
  ['district_admin', 'message.read'], ['district_admin', 'message.manage'],
  ['committee_admin', 'message.read'], ['committee_admin', 'message.manage'],
  ['branch_secretary', 'message.read'],
  // transfers (组织关系接转)
  ['district_admin', 'transfer.read'], ['district_admin', 'transfer.write'], ['district_admin', 'transfer.approve'],
  ['committee_admin', 'transfer.read'], ['committee_admin', 'transfer.write'], ['committee_admin', 'transfer.approve'],
  ['branch_secretary', 'transfer.read'], ['branch_secretary', 'transfer.write'],
  ['member', 'transfer.apply'],
  // meetings (三会一课)
  ['district_admin', 'meeting.read'], ['district_admin', 'meeting.write'], ['district_admin', 'meeting.review'],
  ['committee_admin', 'meeting.read'], ['committee_admin', 'meeting.write'], ['committee_admin', 'meeting.review'],
  ['branch_secretary', 'meeting.read'], ['branch_secretary', 'meeting.write'],
  ['district_admin', 'study.write'], ['district_admin', 'study.review'],
  ['committee_admin', 'study.write'], ['committee_admin', 'study.review'],
];
for (const [role, perm] of GRANTS) POLICY[role].push(perm);
export const ADMIN = ['sysadmin', 'secadmin', 'auditor'];
export const POSITIONS = ['own', 'child', 'sibling', 'parent', 'foreign'];

// The tree: 1 区委 ─ 2 街道 (parent) ─┬ 3 社区 (own) ─ 4 支部 (child)
//                                     └ 5 社区 (sibling)
//           9 外区 ─ 10 外区街道 (foreign)
export const TREE = [
  { id: 1, name: '示范区委' }, { id: 2, parent: 1, name: '东街道党工委' }, { id: 3, parent: 2, name: '幸福社区党委' },
  { id: 4, parent: 3, name: '幸福社区第一支部' }, { id: 5, parent: 2, name: '和平社区党委' },
  { id: 9, name: '外区区委' }, { id: 10, parent: 9, name: '外区街道党工委' },
];
export const ORG_AT = { own: 3, child: 4, sibling: 5, parent: 2, foreign: 10 };
export const OWN_ORG = 3;

export function readRoutes(srv) {
  const r = cli(srv.dir, ['routes', '--test-mode']);
  if (r.status !== 0) throw new Error(`dangjian routes: ${r.stderr}`);
  return r.stdout.trim().split('\n').slice(1).map((l) => {
    const [method, path, perm, flags] = l.trim().split(/\s+/);
    return { method, path, perm, flags: flags === '-' ? [] : flags.split(',') };
  });
}

export async function loadFixtures() {
  const dir = new URL('./fixtures/', import.meta.url).pathname;
  const all = {};
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.mjs')).sort()) {
    const m = await import(join(dir, f));
    Object.assign(all, m.fixtures || {});
  }
  return all;
}

export function fixtureFor(fixtures, route) {
  return fixtures[`${route.method} ${route.path}`] || fixtures[route.path] || null;
}

// What the policy says about one cell: 'allow', 'forbidden' (403/401) or 'hidden' (404).
export function expected(role, route, fx, position) {
  if (route.perm === 'public') return 'allow';
  if (role === 'anonymous') return 'unauthenticated';
  if (route.perm !== 'session' && !POLICY[role].includes(route.perm)) return 'forbidden';
  if (fx && fx.orgScoped) {
    if (ADMIN.includes(role)) return 'hidden';
    return position === 'own' || position === 'child' ? 'allow' : 'hidden';
  }
  return 'allow';
}

// Builds the world: the tree, one signed-in user per role at the own organization
// (administrators are global), and a district admin over the root for fixtures.
export async function setupWorld(srv) {
  addOrgs(srv, TREE);
  const sessions = {};
  for (const role of Object.keys(POLICY)) {
    sessions[role] = await signIn(srv, { role, org: ADMIN.includes(role) ? undefined : OWN_ORG });
  }
  const admin = await signIn(srv, { role: 'district_admin', org: 1 });
  return { srv, sessions, admin, cli: (args) => cli(srv.dir, args) };
}

export async function call(ctx, role, route, path, body, fresh) {
  if (role === 'anonymous') return api(ctx.srv, route.method, path, { body });
  const s = fresh ? await signIn(ctx.srv, { role, org: ADMIN.includes(role) ? undefined : OWN_ORG }) : ctx.sessions[role];
  return s.call(route.method, path, body);
}

// Judges one reply; returns a failure message or null.
export function judge(want, r) {
  const data = r.body && typeof r.body === 'object' && !('code' in r.body && 'status' in r.body);
  switch (want) {
    case 'unauthenticated':
      return r.status === 401 && !data ? null : `want 401, got ${r.status}`;
    case 'forbidden':
      return (r.status === 403 || r.status === 401) && !data ? null : `want 403, got ${r.status} ${r.text.slice(0, 120)}`;
    case 'hidden': // another organization's object answers exactly as a missing one
      return r.status === 404 && !data ? null : `want 404, got ${r.status} ${r.text.slice(0, 120)}`;
    default:
      return r.status >= 500 || r.status === 401 || r.status === 403 || r.status === 404
        ? `want success, got ${r.status} ${r.text.slice(0, 160)}` : null;
  }
}
