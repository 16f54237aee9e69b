// multi_server.test.mjs: what only several servers on one PostgreSQL database can show
// (issue 12 point 6): two servers A and B on one database and one key directory, as
// behind a balancer. A session made on one is valid on the other and a logout on one
// ends it on both; the login throttle of a (name, address) counts failures that reached
// either; an import submitted on one runs once, held by its server through its lease
// however long it takes; 1,000 concurrent audited writes spread over both leave one
// audit chain that verifies; a server killed (SIGKILL) mid-import leaves a job that the
// other takes over once its lease has run out, and finishes (past the commit point) or
// fails (before it), never half-imported.
//
// Runs on the PostgreSQL tier only (DJ_PG: the base URL of a cluster, as tests/run sets
// it); on SQLite it is skipped. Both servers and the command line work on one test
// directory, so on its one database (dbSpec) and key directory.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, api, cli, dbSpec, sqlQuery, removeDir, isPg } from './lib/server.mjs';
import { login, strongPassword } from './lib/auth.mjs';
import { upload, waitJob } from './lib/roster_api.mjs';
import { idNumber, csvText, HEADERS } from './lib/roster.mjs';

const skip = isPg() ? false : 'PostgreSQL only: several servers share one database only on PostgreSQL (set DJ_PG)';
const LEASE = 3; // seconds: short, so that a dead server's job is taken over within the test

let dir, A, B, admin;
const q = (sql) => sqlQuery(dir, sql);
const num = (sql) => Number(q(sql));

// A dangjian command on the shared database and keys.
const dj = (args) => cli(dir, args);

// A server on the shared database, with its own log (a later --log-file overrides the
// one startServer gives); env for the test-mode kill hook.
async function serve(tag, env = {}, more = []) {
  const file = join(dir, `${tag}.log`);
  const srv = await startServer({ dir, env, workers: 4,
    args: ['--log-file', file, '--job-lease-seconds', String(LEASE), ...more] });
  srv.log = () => (existsSync(file) ? readFileSync(file, 'utf8') : '');
  return srv;
}

// A user made with the command line, signed in on srv with its password changed.
async function user(srv, role, org) {
  const username = `u${randomBytes(4).toString('hex')}`;
  const add = dj(['user', 'add', '--username', username, '--name', '测试用户', '--role', role, '--org', String(org)]);
  const otp = (add.stdout.match(/one-time password: (\S+)/) || [])[1];
  assert.ok(otp, add.stderr);
  const first = await login(srv, username, otp);
  assert.equal(first.status, 200, first.text);
  const s = first.session;
  const password = strongPassword();
  const ch = await s.call('PUT', '/api/v1/session/password', { old_password: otp, new_password: password });
  assert.equal(ch.status, 200, ch.text);
  s.update(ch.body);
  Object.assign(s, { username, password, role });
  return s;
}
// The same session (cookie and CSRF token) sent to another server.
function on(srv, s) {
  const t = Object.create(Object.getPrototypeOf(s));
  return Object.assign(t, s, { srv });
}

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'dj-multi-'));
  const demo = dj(['demo', '--orgs', '20', '--members', '50', '--seed', '1']);
  assert.equal(demo.status, 0, demo.stderr);
  // both at once: their migrations and start-time passes meet on one database
  // A imports 20 rows per transaction: each write transaction of an import then stands
  // aside at least 5 ms (S18), so that 8,000 rows take longer than a lease on any machine
  [A, B] = await Promise.all([serve('a', {}, ['--import-batch-rows', '20']), serve('b')]);
  admin = await user(A, 'district_admin', 1);
});

after(async () => {
  if (skip) return;
  for (const s of [A, B]) if (s) await s.stop('SIGTERM', { keep: true });
  removeDir(dir);
});

const branch = (n) => num(`SELECT id FROM orgs WHERE type = '党支部' ORDER BY id LIMIT 1 OFFSET ${n}`);
const members = (org) => num(`SELECT COUNT(*) FROM members WHERE org_id = ${org}`);

// n people nobody else in this file uses (k picks the area code).
function roster(k, n) {
  const rows = [];
  for (let i = 0; i < n; i++) {
    const day = new Date(Date.UTC(1950, 0, 1) + (i % 12000) * 86400000).toISOString().slice(0, 10);
    rows.push({ 姓名: `多机${k}-${i}`, 身份证号码: idNumber(`12010${k}`, day, 300 + Math.floor(i / 12000)),
      党员类别: '正式党员', 入党时间: '2010-07-01', 转正时间: '2011-07-01' });
  }
  return Buffer.from(csvText(rows, HEADERS));
}

test('the two servers are on the one PostgreSQL database', { skip }, async () => {
  // the user made with the command line signed in on A; B knows the session and the rows
  for (const srv of [A, B]) {
    const r = await on(srv, admin).call('GET', `/api/v1/orgs/${branch(0)}`);
    assert.equal(r.status, 200, r.text);
  }
});

test('a session made on one server is valid on the other; a logout on one ends it on both', { skip }, async () => {
  const s = await user(A, 'district_admin', 1);
  assert.equal((await on(B, s).call('GET', '/api/v1/session')).status, 200);
  // a write with the session's CSRF token, on the other server
  const id = num(`SELECT id FROM members WHERE org_id = ${branch(0)} ORDER BY id LIMIT 1`);
  const w = await on(B, s).call('PATCH', `/api/v1/members/${id}`, { address: '两台服务器路1号' });
  assert.equal(w.status, 200, w.text);
  const out = await on(A, s).call('DELETE', '/api/v1/session');
  assert.ok([200, 204].includes(out.status), out.text);
  for (const srv of [A, B]) assert.equal((await on(srv, s).call('GET', '/api/v1/session')).status, 401);
});

test('S6: the login throttle counts the failures that reached either server', { skip }, async () => {
  const s = await user(A, 'member', branch(1));
  // one after another, alternating: five wrong passwords, then even the right one waits
  for (let i = 0; i < 5; i++) {
    const r = await login(i % 2 ? B : A, s.username, 'Wrong-password-1');
    assert.equal(r.status, 401, r.text);
  }
  for (const srv of [A, B]) assert.equal((await login(srv, s.username, s.password)).status, 429);
  // at once, spread over both: only the threshold of them is judged, however they land
  const t = await user(B, 'member', branch(1));
  const rs = await Promise.all(Array.from({ length: 12 }, (_, i) => login(i % 2 ? A : B, t.username, 'Wrong-password-2')));
  const codes = rs.map((r) => r.status);
  assert.equal(codes.filter((c) => c === 401).length, 5, codes.join(','));
  assert.equal(codes.filter((c) => c === 429).length, 7, codes.join(','));
});

test('an import submitted on one server runs once, there, held through its lease while it takes longer than the lease', { skip }, async () => {
  const org = branch(2);
  const N = 8000, M = 100;
  const before = members(org);
  const audits = () => num(`SELECT COUNT(*) FROM audit_log WHERE action = 'member.import' AND object_id = ${org}`);
  const a0 = audits();
  const t0 = Date.now();
  const r = await upload(A, admin, `/api/v1/members/import?org_id=${org}&format=csv`, roster(1, N), 'text/csv');
  assert.equal(r.status, 202, r.text);
  // a second one waits queued on A behind the first, its lease renewed all the while
  const r2 = await upload(A, admin, `/api/v1/members/import?org_id=${org}&format=csv`, roster(9, M), 'text/csv');
  assert.equal(r2.status, 202, r2.text);
  // watched from the other server: it sees the job's state (running, progress) in the database
  let seen = '';
  for (;;) {
    const j = (await on(B, admin).call('GET', `/api/v1/jobs/${r.body.id}`)).body;
    if (j.status === 'running' && j.progress > 0) seen = `running ${j.progress}%`;
    if (j.status === 'done' || j.status === 'failed') break;
    await new Promise((res) => setTimeout(res, 200));
  }
  const job = await waitJob(on(B, admin), r.body.id, 120000);
  const took = (Date.now() - t0) / 1000;
  const second = await waitJob(on(B, admin), r2.body.id, 60000);
  console.log(`# import of ${N} rows on A took ${took.toFixed(1)} s (lease ${LEASE} s); B saw it ${seen}`);
  assert.ok(took > LEASE, `the import took ${took.toFixed(1)} s, not longer than a lease: nothing was shown`);
  assert.equal(job.status, 'done', JSON.stringify(job).slice(0, 300));
  assert.equal(job.result.imported, N);
  assert.equal(second.status, 'done', JSON.stringify(second).slice(0, 300));
  assert.equal(second.result.imported, M);
  assert.equal(members(org), before + N + M);
  assert.equal(audits(), a0 + 2);
  assert.match(seen, /running/, 'B saw the job running on A');
  // A ran both from start to end: their leases, renewed, kept B away
  for (const id of [r.body.id, r2.body.id]) {
    assert.match(q(`SELECT lease_owner FROM jobs WHERE id = ${id}`), new RegExp(`/${A.child.pid}/`));
  }
  assert.doesNotMatch(A.log() + B.log(), /its server stopped|taking it over|taken over|no longer this server/);
  assert.equal(num('SELECT COUNT(*) FROM import_stage'), 0);
});

test('the audit chain verifies after 1,000 concurrent writes spread over both servers', { skip }, async () => {
  const s = await user(B, 'district_admin', 1);
  const ids = q(`SELECT id FROM members WHERE org_id IN (${branch(3)}, ${branch(4)}) ORDER BY id LIMIT 40`).split('\n').map(Number);
  const rows0 = num('SELECT COUNT(*) FROM audit_log');
  let next = 0;
  const statuses = [];
  const t0 = Date.now();
  // 16 clients, each sending one request after another to A or B in turn
  await Promise.all(Array.from({ length: 16 }, async (_, c) => {
    for (let k = next++; k < 1000; k = next++) {
      const r = await on(k % 2 ? A : B, s).call('PATCH', `/api/v1/members/${ids[k % ids.length]}`, { address: `并发路${k}号` });
      statuses.push(r.status);
    }
  }));
  const secs = (Date.now() - t0) / 1000;
  console.log(`# 1000 writes over two servers in ${secs.toFixed(1)} s`);
  assert.deepEqual(statuses.filter((x) => x !== 200), [], 'every write answered 200');
  assert.equal(statuses.length, 1000);
  assert.ok(num('SELECT COUNT(*) FROM audit_log') >= rows0 + 1000);
  const v = dj(['audit', 'verify']);
  assert.equal(v.status, 0, v.stdout + v.stderr);
  assert.match(v.stdout, /audit chain ok/);
});

test('a server whose job was taken over while it still ran (its lease lost) writes nothing more for it: the job ends once, all or nothing', { skip }, async () => {
  const org = branch(4);
  const N = 8000;
  const before = members(org);
  const r = await upload(A, admin, `/api/v1/members/import?org_id=${org}&format=csv`, roster(8, N), 'text/csv');
  assert.equal(r.status, 202, r.text);
  const id = r.body.id;
  // A is staging rows (20 a transaction) when its lease is lost: as if it had not renewed
  // it in time and another process had claimed the job
  for (let j; !(j = (await admin.call('GET', `/api/v1/jobs/${id}`)).body).progress || j.progress < 10;) {
    assert.ok(['queued', 'running'].includes(j.status), JSON.stringify(j));
    await new Promise((res) => setTimeout(res, 50));
  }
  q(`UPDATE jobs SET lease_owner = 'lost', lease_until = 0 WHERE id = ${id}`);
  const job = await waitJob(on(B, admin), id, 60000);
  assert.equal(job.status, 'failed', JSON.stringify(job).slice(0, 300));
  assert.match(job.result.error, /重新提交/);
  // A stopped at its next transaction; nothing of the job is left, nothing entered
  for (let t0 = Date.now(); !/no longer this server/.test(A.log()) && Date.now() - t0 < 10000;) await new Promise((res) => setTimeout(res, 100));
  assert.match(A.log(), /job \d+: no longer this server's/);
  await new Promise((res) => setTimeout(res, 500));
  assert.equal(members(org), before);
  assert.equal(num(`SELECT COUNT(*) FROM import_stage WHERE job_id = ${id}`), 0);
  assert.equal(num(`SELECT COUNT(*) FROM import_publish WHERE job_id = ${id}`), 0);
  assert.equal(q(`SELECT status FROM jobs WHERE id = ${id}`), 'failed');
  // A is free for the next import
  const again = await upload(A, admin, `/api/v1/members/import?org_id=${org}&format=csv`, roster(8, 50), 'text/csv');
  assert.equal((await waitJob(admin, again.body.id)).status, 'done');
  assert.equal(members(org), before + 50);
});

for (const [k, c] of [{ at: 'staged', truth: 'failed' }, { at: 'moved', truth: 'done' }].entries()) {
  test(`a server killed (SIGKILL) at "${c.at}" mid-import: another server takes the job over when its lease runs out; it reads ${c.truth}, never half-imported`, { skip }, async () => {
    const org = branch(5 + k);
    const N = 1800; // four batches of 500
    const before = members(org);
    const doomed = await serve(`doomed-${c.at}`, { DJ_TEST_KILL_AT: c.at });
    let r, exit;
    try {
      r = await upload(doomed, admin, `/api/v1/members/import?org_id=${org}&format=csv`, roster(2 + k, N), 'text/csv');
      assert.equal(r.status, 202, r.text);
      exit = await Promise.race([doomed.exited, new Promise((res) => setTimeout(() => res(null), 60000).unref())]);
    } finally {
      await doomed.stop('SIGKILL', { keep: true });
    }
    assert.equal(exit && exit.signal, 'SIGKILL', `the server did not kill itself at ${c.at}`);
    const killedAt = Date.now();
    // the dead server's job, as the living ones see it, until one of them takes it over
    const job = await waitJob(on(B, admin), r.body.id, 60000);
    const waited = (Date.now() - killedAt) / 1000;
    assert.equal(job.status, c.truth, JSON.stringify(job).slice(0, 300));
    assert.ok(waited < 4 * LEASE, `taken over after ${waited.toFixed(1)} s`);
    // all or nothing, and nothing left staged
    assert.equal(members(org), before + (c.truth === 'done' ? N : 0));
    assert.equal(num(`SELECT COUNT(*) FROM import_stage WHERE job_id = ${r.body.id}`), 0);
    assert.equal(num(`SELECT COUNT(*) FROM import_publish WHERE job_id = ${r.body.id}`), 0);
    if (c.truth === 'failed') assert.match(job.result.error, /重新提交/);
    else assert.equal(job.result.imported, N);
    // taken over once, by A or B (not by the dead one)
    const owner = q(`SELECT lease_owner FROM jobs WHERE id = ${r.body.id}`);
    assert.ok([A.child.pid, B.child.pid].some((p) => owner.includes(`/${p}/`)), owner);
    // the organization's count agrees with its rows
    assert.equal(num(`SELECT n_members FROM orgs WHERE id = ${org}`), members(org));
  });
}
