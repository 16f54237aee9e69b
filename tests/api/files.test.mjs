// files.test.mjs: the modes of every file a server and its CLI create (SECURITY.md S25):
// database, WAL, shared memory, logs and backups 0600, key files 0400, directories 0700,
// whatever the caller's umask. On PostgreSQL the database is not a file of ours: the
// logs and the keys are checked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, cli, api, isPg } from './lib/server.mjs';

function walk(dir, out = []) {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    const st = statSync(p);
    out.push({ p, mode: st.mode & 0o777, dir: st.isDirectory() });
    if (st.isDirectory()) walk(p, out);
  }
  return out;
}

test('S25: a fresh server\'s database, WAL, shm, logs, backup and key files are 0600 (keys 0400)', async () => {
  const old = process.umask(0o022); // the usual umask: the server must not rely on ours
  let srv;
  try {
    srv = await startServer();
    // writes (a failed login's audit row and counters), so that the WAL exists
    const r = await api(srv, 'POST', '/api/v1/session', { body: { username: 'nobody', password: 'wrong password 1' } });
    assert.equal(r.status, 401, r.text);
    if (!isPg()) {
      const b = cli(srv.dir, ['backup', join(srv.dir, 'backup.db')]);
      assert.equal(b.status, 0, b.stderr);
    } else {
      assert.equal(cli(srv.dir, ['check']).status, 0); // a CLI run, for cli.log
    }
    // (db.url: the test harness's note of the PostgreSQL database, not the server's file)
    const files = walk(srv.dir).filter((f) => f.p !== join(srv.dir, 'db.url'));
    const names = files.map((f) => f.p.slice(srv.dir.length + 1)).sort();
    const wanted = isPg() ? ['server.log', 'cli.log', 'keys'] : ['dj.db', 'dj.db-wal', 'dj.db-shm', 'server.log', 'cli.log', 'backup.db', 'keys'];
    for (const want of wanted)
      assert.ok(names.includes(want), `${want} in ${names.join(', ')}`);
    assert.ok(names.some((n) => n.startsWith('keys/')), 'key files');
    for (const f of files) {
      const rel = f.p.slice(srv.dir.length + 1);
      const want = f.dir ? 0o700 : rel.startsWith('keys/') ? 0o400 : 0o600;
      assert.equal(f.mode.toString(8), want.toString(8), `${rel} is ${f.mode.toString(8)}`);
    }
    console.log(`S25: ${files.length} files checked: ${names.join(', ')}`);
  } finally {
    process.umask(old);
    if (srv) await srv.stop();
  }
});
