// jobs_shutdown.test.mjs: SIGTERM drains jobs too (DESIGN.md §3): an import accepted
// just before the signal runs to its end, the process exits 0, and after a restart the
// job reads done with every row imported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, sqlExec, sqlQuery, removeDir } from './lib/server.mjs';
import { district, as, upload } from './lib/roster_api.mjs';
import { rosterRows, writeCsv } from './lib/roster.mjs';

test('an import in progress at SIGTERM finishes before the process exits', async () => {
  const srv = await district({ orgs: 20, members: 50 });
  const admin = await as(srv, 'district_admin', 1);
  const csv = writeCsv(join(mkdtempSync(join(tmpdir(), 'dj-jobs-')), 'big.csv'), rosterRows(6000, 77));
  const before = Number(srv.sql('SELECT COUNT(*) FROM members'));
  const r = await upload(srv, admin, `/api/v1/members/import?org_id=${srv.branch(0)}&format=csv&mode=good_only`, csv, 'text/csv');
  assert.equal(r.status, 202, r.text);
  const stopped = await srv.stop('SIGTERM', { keep: true });
  assert.equal(stopped.code, 0);
  const again = await startServer({ dir: srv.dir });
  try {
    assert.equal(srv.sql(`SELECT status || ' ' || progress FROM jobs WHERE id = ${r.body.id}`), 'done 100');
    const result = JSON.parse(srv.sql(`SELECT result FROM jobs WHERE id = ${r.body.id}`));
    // (the generated rows may repeat a person; good_only imports the rest)
    assert.ok(result.imported >= 5900, JSON.stringify(result).slice(0, 400));
    assert.equal(result.imported, result.good);
    assert.equal(Number(srv.sql('SELECT COUNT(*) FROM members')), before + result.imported);
  } finally {
    await again.stop();
  }
});

test('S4: an export file left behind by a process that died mid-export is removed at start', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dj-sweep-'));
  const { writeFileSync, existsSync } = await import('node:fs');
  const first = await startServer({ dir });
  await first.stop('SIGTERM', { keep: true });
  const left = join(dir, '.export-AbC123.xlsx');
  writeFileSync(left, 'personal data of an interrupted export');
  const again = await startServer({ dir });
  try {
    assert.equal(existsSync(left), false);
    assert.match(again.log(), /removed 1 export file/);
  } finally {
    await again.stop();
    removeDir(dir);
  }
});

test('jobs a previous process left queued or running are marked failed when the server starts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dj-recover-'));
  const first = await startServer({ dir });
  await first.stop('SIGTERM', { keep: true });
  const ins = sqlExec(dir, "INSERT INTO jobs (kind, status, progress, created_at, updated_at) VALUES ('member.import', 'running', 40, 1, 1), ('member.import', 'queued', 0, 1, 1)");
  assert.equal(ins.status, 0, ins.stderr);
  const again = await startServer({ dir });
  try {
    const rows = sqlQuery(dir, 'SELECT status FROM jobs ORDER BY id').split('\n');
    assert.deepEqual(rows, ['failed', 'failed']);
  } finally {
    await again.stop();
    removeDir(dir);
  }
});
