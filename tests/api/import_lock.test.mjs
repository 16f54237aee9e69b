// import_lock.test.mjs: SECURITY.md S18, an import never starves other writers. While a
// large import (ROWS generated here) runs, other clients' logins and member edits keep
// answering (no 503; the import adds less than 200 ms to the p99 of thousands of edits,
// measured against the same traffic just before it; logins, whose Argon2id shares the
// cores with the import, at most twice their median time without it and never 2 s); a dry run takes no write lock
// at all (another connection's BEGIN IMMEDIATE succeeds at once, again and again, while
// it reads); a second import for the same organization waits in the queue, not 503.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { district, as, upload, waitJob } from './lib/roster_api.mjs';
import { idNumber, csvText, HEADERS } from './lib/roster.mjs';
import { login } from './lib/auth.mjs';
import { holdWriteLock } from './lib/server.mjs';

const ROWS = Number(process.env.DJ_S18_ROWS || 60000);
let srv, admin, sec, csv, memberIds;

// ROWS distinct people: every (birth date, sequence) pair once
function bigRoster(n) {
  const rows = [];
  const start = Date.UTC(1950, 0, 1);
  for (let i = 0; i < n; i++) {
    const day = new Date(start + (i % 12000) * 86400000).toISOString().slice(0, 10); // born 1950–1982
    const id = idNumber(['310104', '310101', '320102', '330106'][i % 4], day, 100 + Math.floor(i / 12000));
    rows.push({ 姓名: `导入${i}`, 身份证号码: id, 党员类别: '正式党员', 入党时间: '2010-07-01', 转正时间: '2011-07-01' });
  }
  return rows;
}

before(async () => {
  srv = await district({ orgs: 20, members: 200 });
  admin = await as(srv, 'district_admin', 1);
  sec = await as(srv, 'branch_secretary', srv.branch(1));
  const dir = mkdtempSync(join(tmpdir(), 'dj-s18-'));
  csv = join(dir, 'big.csv');
  writeFileSync(csv, csvText(bigRoster(ROWS), HEADERS));
  memberIds = srv.sql(`SELECT id FROM members WHERE org_id = ${srv.branch(1)} ORDER BY id LIMIT 20`).split('\n').map(Number);
});
after(async () => { await srv.stop(); });

const p99 = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(s.length * 0.99))]; };

// Requests from other clients, one after another per client, until stop() says so.
async function traffic(stop) {
  const edits = [], logins = [], statuses = [];
  const editor = async () => {
    for (let k = 0; !stop(); k++) {
      const id = memberIds[k % memberIds.length];
      const t0 = performance.now();
      const r = await sec.call('PATCH', `/api/v1/members/${id}`, { address: `长乐路${k}号` });
      edits.push(performance.now() - t0);
      statuses.push(r.status);
    }
  };
  const loginer = async () => {
    while (!stop()) {
      const t0 = performance.now();
      const r = await login(srv, sec.username, sec.password);
      logins.push(performance.now() - t0);
      statuses.push(r.status);
    }
  };
  await Promise.all([editor(), editor(), loginer()]);
  return { edits, logins, statuses };
}

test(`S18: during a ${ROWS}-row import no request answers 503, the import adds < 200 ms to member edits' p99, logins' median at most doubles`, async () => {
  // the same traffic without an import first: a login's Argon2id (19 MiB, t=2) alone may
  // take longer than 200 ms on a loaded machine under ASan, and the lock is not its cost
  const w0 = Date.now();
  await traffic(() => Date.now() - w0 > 1000); // warm-up: connections, caches
  const t0 = Date.now();
  const base = await traffic(() => Date.now() - t0 > 3000);
  const r = await upload(srv, admin, `/api/v1/members/import?org_id=${srv.branch(2)}&format=csv`, readFileSync(csv), 'text/csv');
  assert.equal(r.status, 202, r.text);
  // a second import for the same organization waits its turn (queued, not refused)
  const second = await upload(srv, admin, `/api/v1/members/import?org_id=${srv.branch(2)}&format=csv&dry_run=1`, Buffer.from(csvText(bigRoster(20), HEADERS)), 'text/csv');
  assert.equal(second.status, 202, second.text);
  let done = false;
  const watch = (async () => { await waitJob(admin, r.body.id, 600000); done = true; })();
  const t = await traffic(() => done);
  await watch;
  const job = await waitJob(admin, r.body.id);
  assert.equal(job.status, 'done', JSON.stringify(job).slice(0, 600));
  assert.equal(job.result.imported, ROWS, JSON.stringify(job.result).slice(0, 600));
  const queued = await waitJob(admin, second.body.id);
  assert.equal(queued.status, 'done', JSON.stringify(queued).slice(0, 400));
  const bad = t.statuses.filter((s) => s !== 200);
  assert.deepEqual(bad, [], `non-200 answers during the import: ${bad.join(',')}`);
  assert.ok(t.edits.length >= 100, `only ${t.edits.length} edits: the import finished too soon to measure`);
  console.log(`# S18: during the import ${t.edits.length} edits p99 ${p99(t.edits).toFixed(1)} ms, ${t.logins.length} logins p99 ${p99(t.logins).toFixed(1)} ms;` +
    ` without it ${base.edits.length} edits p99 ${p99(base.edits).toFixed(1)} ms, ${base.logins.length} logins p99 ${p99(base.logins).toFixed(1)} ms`);
  // the times below measure the server; under valgrind they measure the instrumentation
  // (as R1's and S6's do), so there only the absence of 503 above is asserted
  if (process.env.DJ_VALGRIND) return;
  // edits wait for the write lock: the import may add less than 200 ms to their p99
  // (measured against the same traffic just before, so that a loaded machine's own
  // slowness is not counted; starved of the lock they would wait 2 s and answer 503)
  // (a machine slow by itself may widen the bound by at most another 200 ms)
  assert.ok(p99(t.edits) < Math.min(p99(base.edits), 200) + 200,
    `edits p99 ${p99(t.edits).toFixed(1)} ms over ${t.edits.length} requests (without the import ${p99(base.edits).toFixed(1)} ms)`);
  // a login writes too (its session row), after an Argon2id that shares the two cores
  // with the import's parsing and with everything else on the machine: its typical
  // (median) time may at most double, and none waits as long as a login starved of the
  // lock would (busy_timeout_ms, 2 s, then 503)
  const med = (xs) => { const v = [...xs].sort((a, b) => a - b); return v[Math.floor(v.length / 2)]; };
  assert.ok(med(t.logins) < 2 * med(base.logins) + 100,
    `logins median ${med(t.logins).toFixed(1)} ms (without the import ${med(base.logins).toFixed(1)} ms)`);
  assert.ok(p99(t.logins) < 2000, `logins p99 ${p99(t.logins).toFixed(1)} ms`);
});

test('S18: a dry run takes no write lock: it reads on while another process holds BEGIN IMMEDIATE', async () => {
  const r = await upload(srv, admin, `/api/v1/members/import?org_id=${srv.branch(3)}&format=csv&dry_run=1`, readFileSync(csv), 'text/csv');
  assert.equal(r.status, 202, r.text);
  const job = async () => (await admin.call('GET', `/api/v1/jobs/${r.body.id}`)).body;
  for (let j = await job(); j.status !== 'running'; j = await job()) {
    assert.equal(j.status, 'queued', JSON.stringify(j));
    await new Promise((res) => setTimeout(res, 10));
  }
  // another process takes the write lock and keeps it for 2 s
  const holder = await holdWriteLock(srv.dir);
  let p1, during;
  try {
    p1 = (await job()).progress;
    await new Promise((res) => setTimeout(res, 2000));
    during = await job();
  } finally { await holder.release(); }
  // the dry run went on reading and checking meanwhile
  assert.ok(during.progress > p1, `progress ${p1} → ${during.progress} while the lock was held`);
  const done = await waitJob(admin, r.body.id);
  assert.equal(done.status, 'done', JSON.stringify(done).slice(0, 300));
  assert.equal(done.result.dry_run, true);
  assert.equal(done.result.total, ROWS); /* (the people of the first test: duplicates now) */
});
