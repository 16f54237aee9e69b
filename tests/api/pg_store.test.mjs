// pg_store.test.mjs: what only the PostgreSQL store has (issue 12): the one-line refusals
// at start (a wrong URL, an unreachable server, an unknown role or database, another
// application's database), `dangjian check` on PostgreSQL, a connection lost while
// serving (503 at most once, then served again, nothing half-written), and the read
// replica (--db-replica): statistics and exports read it while it keeps up, the
// primary answers when it lags or is down, /readyz says which; filtered list totals too.
// Runs in the api-pg tier (DJ_PG set by tests/run); skipped on SQLite.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, chownSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, cli, dbSpec, isPg, startServer, sqlExec, sqlQuery, BIN } from './lib/server.mjs';
import { district, as, exportFile } from './lib/roster_api.mjs';
import { idNumber } from './lib/roster.mjs';

const skip = !isPg() && 'PostgreSQL only: runs in the api-pg tier (DJ_PG)';
const PGBIN = '/usr/lib/postgresql/15/bin';

function sockOf(url) { return decodeURIComponent(url.match(/[?&]host=([^&]+)/)[1]); }
function asPostgres(cmd, args) {
  return spawnSync('runuser', ['-u', 'postgres', '--', join(PGBIN, cmd), ...args], { encoding: 'utf8' });
}
function serve(args) {
  const dir = mkdtempSync(join(tmpdir(), 'dj-pg-'));
  const r = spawnSync(BIN, ['serve', '--port', '0', '--key-dir', join(dir, 'keys'), '--log-file', join(dir, 'log'), ...args],
    { encoding: 'utf8', timeout: 30000 });
  rmSync(dir, { recursive: true, force: true });
  return r;
}

test('start: a wrong URL, an unreachable server, an unknown role or database: one line, exit 1', { skip }, () => {
  const sock = sockOf(process.env.DJ_PG);
  for (const [url, want] of [
    [`postgresql:///no_such_db?host=${sock}&user=postgres`, /database "no_such_db" does not exist/],
    [`postgresql:///postgres?host=${sock}&user=nobody_here`, /role "nobody_here" does not exist/],
    ['postgresql://u:secret-pw@127.0.0.1:1/x', /Connection refused/],
    ['postgresql://%zz', /invalid percent-encoded token/],
  ]) {
    const r = serve(['--db', url]);
    assert.equal(r.status, 1, `${url}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /^dangjian: cannot open the PostgreSQL database: /);
    assert.match(lines[0], want);
    assert.doesNotMatch(r.stderr, /secret-pw/); // a URL's password is never printed
  }
});

test("start: another application's database is refused, and left as it was", { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'dj-pg-other-'));
  try {
    const url = dbSpec(dir);
    sqlQuery(dir, 'CREATE TABLE wp_posts (id integer); INSERT INTO wp_posts VALUES (7);');
    const r = serve(['--db', url]);
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stderr.trim(), "dangjian: the database holds another application's tables (no schema_migrations)");
    assert.equal(sqlQuery(dir, "SELECT string_agg(tablename, ',') FROM pg_tables WHERE schemaname = 'public'"), 'wp_posts');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('check on PostgreSQL: schema version and every statement prepared', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'dj-pg-check-'));
  try {
    assert.equal(cli(dir, ['migrate']).status, 0);
    const r = cli(dir, ['check']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^schema version: (\d+) \(this binary: \1\)$/m);
    const m = r.stdout.match(/^statements: (\d+) prepared, 0 failed$/m);
    assert.ok(m && Number(m[1]) > 100, r.stdout);
    assert.match(r.stdout, /^check ok$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a connection lost while serving: at most one 503 per connection, then served again; nothing half-written', { skip }, async () => {
  const srv = await district({ orgs: 10, members: 60, seed: 2, args: ['--workers', '2'] });
  try {
    const a = await as(srv, 'district_admin', 1);
    const before = Number(srv.sql('SELECT COUNT(*) FROM members'));
    const name = srv.sql('SELECT current_database()');
    for (let round = 0; round < 3; round++) {
      // an administrator ends every session of the server (a failover does the same)
      sqlExec(srv.dir, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}' AND pid <> pg_backend_pid()`);
      const codes = [];
      for (let i = 0; i < 6; i++) codes.push((await a.call('GET', '/api/v1/members?limit=5')).status);
      assert.ok(codes.filter((c) => c === 503).length <= 2, codes.join());
      assert.ok(codes.every((c) => c === 200 || c === 503), codes.join());
      assert.equal(codes.at(-1), 200, codes.join());
    }
    // a write lost with its connection is all or nothing: the roster is whole
    assert.equal(Number(srv.sql('SELECT COUNT(*) FROM members')), before);
    assert.equal(srv.sql('SELECT COUNT(*) FROM orgs o WHERE n_members <> (SELECT COUNT(*) FROM members m WHERE m.org_id = o.id)'), '0');
  } finally {
    await srv.stop();
  }
});

// A streaming replica of the test cluster, on a socket of its own.
function startReplica() {
  const dir = mkdtempSync(join(tmpdir(), 'dj-replica-'));
  const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout);
  const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout);
  chownSync(dir, uid, gid);
  const src = sockOf(process.env.DJ_PG);
  let r = asPostgres('pg_basebackup', ['-h', src, '-U', 'postgres', '-D', join(dir, 'data'), '-R', '-X', 'stream', '-c', 'fast']);
  if (r.status !== 0) throw new Error(`pg_basebackup: ${r.stderr}`);
  // a hot standby needs at least the primary's max_connections (given to it on its
  // command line by tests/run, so not in the copied postgresql.conf)
  const maxc = spawnSync('psql', ['-X', '-A', '-t', process.env.DJ_PG.replace('///?', '///postgres?'), '-c', 'SHOW max_connections'],
    { encoding: 'utf8' }).stdout.trim();
  r = asPostgres('pg_ctl', ['-D', join(dir, 'data'), '-o', `-k ${dir} -c listen_addresses='' -c max_connections=${maxc}`,
    '-l', join(dir, 'log'), '-w', 'start']);
  if (r.status !== 0) {
    const log = spawnSync('cat', [join(dir, 'log')], { encoding: 'utf8' }).stdout;
    throw new Error(`replica start: ${r.stderr}${r.stdout}\n${log}`);
  }
  return {
    dir,
    url: (name) => `postgresql:///${name}?host=${dir}&user=postgres`,
    sql: (name, q) => spawnSync('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', `postgresql:///${name}?host=${dir}&user=postgres`, '-c', q], { encoding: 'utf8' }).stdout.trim(),
    stop() { asPostgres('pg_ctl', ['-D', join(dir, 'data'), '-m', 'immediate', 'stop']); },
    remove() { this.stop(); rmSync(dir, { recursive: true, force: true }); },
  };
}

async function until(fn, what, ms = 20000) {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('replica: statistics and list totals read it while it keeps up; a lagging or stopped replica sends them to the primary', { skip }, async () => {
  let srv = await district({ orgs: 20, members: 300, seed: 4 });
  const dir = srv.dir;
  const name = srv.sql('SELECT current_database()');
  await srv.stop('SIGTERM', { keep: true });
  const rep = startReplica();
  try {
    srv = await startServer({ dir, args: ['--db-replica', rep.url(name), '--replica-max-lag-ms', '4000'] });
    srv.sql = (q) => sqlQuery(dir, q);
    const a = await as(srv, 'district_admin', 1);
    await until(async () => (await api(srv, 'GET', '/readyz')).body.replica?.status === 'ok', 'the replica to catch up');
    const total = async () => (await a.call('GET', '/api/v1/stats/members')).body.total;
    const formalTotal = async () => (await a.call('GET', '/api/v1/members?limit=5&state=all&party_status=formal')).body.total;
    const n0 = await total();
    const f0 = await formalTotal();
    assert.equal(n0, Number(srv.sql("SELECT COUNT(*) FROM members WHERE state NOT IN ('deceased', 'withdrawn', 'removed', 'expelled')")));
    assert.equal(f0, Number(srv.sql("SELECT COUNT(*) FROM members WHERE party_status = 'formal'")));

    // replay paused just after a write: a member added on the primary is not on the
    // replica, and while the replica is under 4 s behind the statistics and the list's
    // total are read there (without the new member) — the proof that they read it
    assert.equal((await api(srv, 'POST', '/api/v1/test/write')).status, 201);
    await new Promise((r) => setTimeout(r, 300));
    rep.sql(name, 'SELECT pg_wal_replay_pause()');
    const b = srv.sql(`SELECT id FROM orgs WHERE type = '党支部' ORDER BY id LIMIT 1`);
    const add = await a.call('POST', '/api/v1/members', {
      org_id: Number(b), name: '复制测试', id_number: idNumber('310104', '1970-03-09', 77), party_status: 'formal',
      joined_on: '1995-07-01', confirmed_on: '1996-07-01', education: '21', ethnicity: '01',
    });
    assert.equal(add.status, 201, add.text);
    assert.equal(await total(), n0, 'the statistics did not read the replica');
    assert.equal(await formalTotal(), f0, 'the list total did not read the replica');
    // once it is more than 4 s behind, the primary answers, with the new member
    await until(async () => (await api(srv, 'GET', '/readyz')).body.replica?.status === 'lagging', 'the replica to lag');
    await until(async () => (await total()) === n0 + 1, 'the primary to answer the statistics');
    assert.equal(await formalTotal(), f0 + 1);
    rep.sql(name, 'SELECT pg_wal_replay_resume()');
    await until(async () => (await api(srv, 'GET', '/readyz')).body.replica?.status === 'ok', 'the replica to catch up again');
    assert.equal(await total(), n0 + 1);

    // stopped: readyz stays 200 and says so; statistics come from the primary (an export job always reads it)
    rep.stop();
    const ready = await until(async () => {
      const r = await api(srv, 'GET', '/readyz');
      return r.body.replica?.status === 'unavailable' && r;
    }, 'the replica to be seen down');
    assert.equal(ready.status, 200);
    assert.equal(await total(), n0 + 1);
    const ex = await exportFile(srv, a, 'format=csv'); // a job: on the primary always
    assert.equal(ex.status, 200);
  } finally {
    try { await srv.stop(); } finally { rep.remove(); }
  }
});
