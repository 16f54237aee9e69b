// tests/e2e/run.mjs: the browser tier of `make test`. Builds a small demo district in
// a fresh database with the real binary, creates the accounts the flows need (each
// with a one-time password, as a real deployment would), starts the server on a free
// port serving web/dist, runs tests/e2e/*.test.js under node's test runner (TAP on
// stdout, which tests/run counts) and stops the server, failing on any sanitizer
// report.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, cli, ROOT } from '../api/lib/server.mjs';

function sql(dir, query) {
  const r = spawnSync('sqlite3', ['-readonly', join(dir, 'dj.db'), query], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sqlite3: ${r.stderr}`);
  return r.stdout.trim();
}

function otp(out) {
  const m = out.match(/one-time password: (\S+)/);
  if (!m) throw new Error(`no one-time password in: ${out}`);
  return m[1];
}

function addUser(dir, username, name, role, org, member) {
  const args = ['user', 'add', '--username', username, '--name', name, '--role', role];
  if (org) args.push('--org', String(org));
  if (member) args.push('--member', String(member));
  const r = cli(dir, args);
  if (r.status !== 0) throw new Error(`user add ${username}: ${r.stderr}${r.stdout}`);
  return otp(r.stdout);
}

const srv = await startServer({ args: ['--session-idle', '1800'] });
const dir = srv.dir;
let code = 1;
try {
  const demo = cli(dir, ['demo', '--orgs', '40', '--members', '400', '--seed', '5']);
  if (demo.status !== 0) throw new Error(`demo: ${demo.stderr}`);
  const root = sql(dir, 'SELECT id FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1');
  // two branches that both have members: the secretary's own and a foreign one
  const branches = sql(dir, "SELECT o.id FROM orgs o WHERE o.type IN ('党支部','联合党支部') AND EXISTS (SELECT 1 FROM members m WHERE m.org_id = o.id) ORDER BY o.id LIMIT 2").split('\n');
  const foreignMember = sql(dir, `SELECT id FROM members WHERE org_id = ${Number(branches[1])} ORDER BY id LIMIT 1`);
  const self = sql(dir, `SELECT id || ' ' || org_id FROM members WHERE org_id = ${Number(branches[0])} ORDER BY id LIMIT 1`).split(' ');
  const env = {
    DJ_BASE_URL: srv.base,
    DJ_ADMIN_USER: 'e2e_admin', DJ_ADMIN_PASSWORD: addUser(dir, 'e2e_admin', '测试组织部管理员', 'district_admin', root),
    DJ_AUDITOR_USER: 'e2e_auditor', DJ_AUDITOR_PASSWORD: addUser(dir, 'e2e_auditor', '测试审计管理员', 'auditor'),
    DJ_SYSADMIN_USER: 'e2e_sysadmin', DJ_SYSADMIN_PASSWORD: addUser(dir, 'e2e_sysadmin', '测试系统管理员', 'sysadmin'),
    DJ_SECRETARY_USER: 'e2e_secretary', DJ_SECRETARY_PASSWORD: addUser(dir, 'e2e_secretary', '测试支部书记', 'branch_secretary', branches[0]),
    DJ_SECRETARY_ORG_ID: branches[0], DJ_FOREIGN_ORG_ID: branches[1], DJ_FOREIGN_MEMBER_ID: foreignMember,
    DJ_E2E_DB: join(dir, 'dj.db'),
    DJ_MEMBER_USER: 'e2e_member', DJ_MEMBER_PASSWORD: addUser(dir, 'e2e_member', '测试党员', 'member', self[1], self[0]),
    DJ_PARENT_ORG_ID: root,
    // 学习专题 (issue 16): a second editor over the district reviews what the admin wrote
    DJ_REVIEWER_USER: 'e2e_reviewer', DJ_REVIEWER_PASSWORD: addUser(dir, 'e2e_reviewer', '测试审核人', 'committee_admin', root),
    // what one test file did to an account (password changed, TOTP enrolled) for the next
    DJ_E2E_STATE: mkdtempSync(join(tmpdir(), 'dj-e2e-state-')),
  };
  const files = readdirSync(join(ROOT, 'tests/e2e')).filter((f) => f.endsWith('.test.js') && (!process.env.DJ_E2E_ONLY || process.env.DJ_E2E_ONLY.split(',').some((p) => f.startsWith(p)))).map((f) => join(ROOT, 'tests/e2e', f));
  const child = spawn(process.execPath, ['--test', '--test-reporter=tap', '--test-concurrency=1', ...files],
    { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit'] });
  code = await new Promise((res) => child.on('exit', (c) => res(c ?? 1)));
} finally {
  await srv.stop();
}
process.exit(code);
