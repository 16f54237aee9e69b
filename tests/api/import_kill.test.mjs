// import_kill.test.mjs: SECURITY.md S24, a job's state changes in the same transaction
// as its data. An import is killed (SIGKILL, at a named point through the test-mode
// hook DJ_TEST_KILL_AT) after its first staged batch, after its commit point, after
// its first batch moved into the roster, and after its last; after each restart the
// job's state tells the truth (failed: nothing visible, no count changed; done: every
// row there once), and resubmitting the same file never duplicates anyone. The job of
// the killed process is taken over by the next one once its lease has run out (issue
// 12): a short lease here, so that the restart does not wait the default 30 s.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, removeDir } from './lib/server.mjs';
import { district, as, upload, waitJob } from './lib/roster_api.mjs';
import { idNumber, csvText, HEADERS, sql } from './lib/roster.mjs';

const N = 1800; // four batches of 500
const LEASE = ['--job-lease-seconds', '2'];
let dir, admin;

before(async () => {
  const srv = await district({ orgs: 20, members: 50 });
  dir = srv.dir;
  admin = await as(srv, 'district_admin', 1);
  await srv.stop('SIGTERM', { keep: true });
});
after(() => removeDir(dir));

const count = (q) => Number(sql(dir, q));
const members = (org) => count(`SELECT COUNT(*) FROM members WHERE org_id = ${org}`);
const branch = (n) => count(`SELECT id FROM orgs WHERE type = '党支部' ORDER BY id LIMIT 1 OFFSET ${n}`);

// Distinct people per case, never in the demo's roster (its own area codes).
function roster(k) {
  const rows = [];
  for (let i = 0; i < N; i++) {
    const day = new Date(Date.UTC(1950, 0, 1) + i * 86400000).toISOString().slice(0, 10);
    rows.push({ 姓名: `中断${k}-${i}`, 身份证号码: idNumber(`11010${k}`, day, 300 + k), 党员类别: '正式党员',
      入党时间: '2010-07-01', 转正时间: '2011-07-01' });
  }
  return rows;
}

const cases = [
  { at: 'staged', truth: 'failed' },
  { at: 'committed', truth: 'done' },
  { at: 'moved', truth: 'done' },
  { at: 'published', truth: 'done' },
];

for (const [k, c] of cases.entries()) {
  test(`S24: killed at "${c.at}", the import reads ${c.truth} after a restart and a resubmission duplicates nobody`, async () => {
    const org = branch(3 + k);
    const rows = roster(k);
    const file = Buffer.from(csvText(rows, HEADERS));
    const before = members(org), nBefore = count(`SELECT n_members FROM orgs WHERE id = ${org}`);
    const doomed = await startServer({ dir, env: { DJ_TEST_KILL_AT: c.at }, args: LEASE });
    let r, exit;
    try {
      admin.srv = doomed;
      r = await upload(doomed, admin, `/api/v1/members/import?org_id=${org}&format=csv`, file, 'text/csv');
      assert.equal(r.status, 202, r.text);
      exit = await Promise.race([doomed.exited, new Promise((res) => setTimeout(() => res(null), 60000).unref())]);
    } finally {
      await doomed.stop('SIGKILL', { keep: true });
    }
    assert.equal(exit && exit.signal, 'SIGKILL', `the server did not kill itself at ${c.at}`);

    const srv = await startServer({ dir, args: LEASE });
    try {
      admin.srv = srv;
      const job = await waitJob(admin, r.body.id);
      assert.equal(job.status, c.truth, JSON.stringify(job).slice(0, 300));
      assert.equal(count('SELECT COUNT(*) FROM import_stage'), 0);
      assert.equal(count('SELECT COUNT(*) FROM import_publish'), 0);
      const after1 = members(org);
      if (c.truth === 'failed') {
        assert.match(job.result.error, /重新提交/);
        assert.equal(after1, before);
      } else {
        assert.equal(job.result.imported, rows.length);
        assert.equal(after1, before + rows.length);
      }
      // the organization's count agrees with its rows either way
      assert.equal(count(`SELECT n_members FROM orgs WHERE id = ${org}`) - nBefore, after1 - before);
      // resubmitting: a failed import now goes in once; a done one finds everyone there
      const again = await upload(srv, admin, `/api/v1/members/import?org_id=${org}&format=csv`, file, 'text/csv');
      assert.equal(again.status, 202, again.text);
      const j2 = await waitJob(admin, again.body.id);
      assert.equal(j2.status, 'done', JSON.stringify(j2).slice(0, 300));
      assert.equal(members(org), before + rows.length);
      if (c.truth === 'done') {
        assert.equal(j2.result.imported, 0);
        assert.ok(j2.result.errors.every((e) => e.code === 'duplicate_person'));
      }
    } finally {
      await srv.stop('SIGTERM', { keep: true });
    }
  });
}
