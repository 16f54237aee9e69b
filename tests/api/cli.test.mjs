// cli.test.mjs: the dangjian command: migrate, check, routes, backup while serving under
// a write load (R12), version, help and --print-config.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, startServer, api, BIN, dbSpec, removeDir, isPg, sqlQuery } from './lib/server.mjs';

const fresh = () => mkdtempSync(join(tmpdir(), 'dj-cli-'));

test('migrate creates the schema; a second run changes nothing', () => {
  const dir = fresh();
  try {
    const a = cli(dir, ['migrate']);
    assert.equal(a.status, 0, a.stderr);
    const v = Number(a.stdout.match(/schema version (\d+)/)[1]);
    assert.ok(v >= 1);
    const b = cli(dir, ['migrate']);
    assert.equal(b.stdout, a.stdout);
    const ver = cli(dir, ['version']);
    assert.match(ver.stdout, new RegExp(`^dangjian \\S+ \\(schema ${v}\\)`));
  } finally { removeDir(dir); }
});

test('check: schema version, integrity_check, pragmas, every statement prepares', () => {
  const dir = fresh();
  try {
    cli(dir, ['migrate']);
    const c = cli(dir, ['check']);
    assert.equal(c.status, 0, c.stdout + c.stderr);
    assert.match(c.stdout, /^schema version: (\d+) \(this binary: \1\)$/m);
    if (!isPg()) { // SQLite's own checks of the file
      assert.match(c.stdout, /^integrity_check: ok$/m);
      assert.match(c.stdout, /^pragmas: ok$/m);
    }
    assert.match(c.stdout, /^statements: [1-9]\d* prepared, 0 failed$/m);
    assert.match(c.stdout, /^check ok$/m);
    // a database that is not ours fails the check, without a crash: a file of another
    // kind, or (PostgreSQL) a database of another application
    const bad = fresh();
    if (isPg()) sqlQuery(bad, 'CREATE TABLE invoices (id BIGINT PRIMARY KEY, total DOUBLE PRECISION)');
    else writeFileSync(join(bad, 'dj.db'), 'this is not a database file at all, just text padding it out'.repeat(100));
    const f = cli(bad, ['check']);
    assert.notEqual(f.status, 0);
    removeDir(bad);
    const empty = fresh();
    const missing = cli(empty, ['check']);
    assert.notEqual(missing.status, 0);
    removeDir(empty);
  } finally { removeDir(dir); }
});

test('routes lists every route with its method, permission and flags', () => {
  const dir = fresh();
  try {
    const r = cli(dir, ['routes']);
    assert.equal(r.status, 0);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0], /^METHOD\s+PATH\s+PERMISSION\s+FLAGS$/);
    const rows = lines.slice(1).map((l) => l.split(/\s+/));
    assert.ok(rows.length >= 3);
    for (const row of rows) {
      assert.match(row[0], /^(GET|POST|PUT|PATCH|DELETE)$/);
      assert.match(row[1], /^\//);
      assert.ok(row[2] && row[2].length > 0, `permission of ${row[1]}`);
    }
    assert.ok(rows.some((x) => x[0] === 'GET' && x[1] === '/healthz' && x[2] === 'public'));
    // test-only routes exist only in test mode
    assert.ok(!rows.some((x) => x[1].startsWith('/api/v1/test/')));
    const t = cli(dir, ['routes', '--test-mode']);
    assert.match(t.stdout, /^PUT\s+\/api\/v1\/test\/clock\s+public\s+no-csrf,test$/m);
  } finally { removeDir(dir); }
});

test('R12 backup while serving under a write load opens and passes integrity_check', {
  skip: isPg() && 'SQLite only: `dangjian backup` is SQLite\'s online backup into a file (PostgreSQL: pg_basebackup, docs/OPERATIONS.md)',
}, async () => {
  const srv = await startServer();
  const out = join(srv.dir, 'backup.db');
  try {
    let stop = false, writes = 0;
    const load = (async () => {
      while (!stop) {
        const r = await api(srv, 'POST', '/api/v1/test/write');
        assert.ok(r.status === 201 || r.status === 503, `write answered ${r.status}`);
        if (r.status === 201) writes++;
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    const b = cli(srv.dir, ['backup', out]);
    stop = true;
    await load;
    assert.equal(b.status, 0, b.stderr);
    assert.match(b.stdout, /backup written to/);
    assert.ok(writes > 0);
    const q = spawnSync('sqlite3', [out, 'PRAGMA integrity_check; SELECT COUNT(*) > 0 FROM jobs; PRAGMA journal_mode;'], { encoding: 'utf8' });
    assert.equal(q.stdout, 'ok\n1\ndelete\n');
    // the backup is a working database for the binary too
    const c = spawnSync(BIN, ['check', '--db', out, '--log-file', join(srv.dir, 'c.log')], { encoding: 'utf8' });
    assert.equal(c.status, 0, c.stdout);
    // never overwrites
    const again = cli(srv.dir, ['backup', out]);
    assert.notEqual(again.status, 0);
    assert.match(again.stderr, /exists/);
  } finally { await srv.stop(); }
});

test('help, unknown commands and --print-config', () => {
  const dir = fresh();
  try {
    const h = cli(dir, ['help']);
    assert.equal(h.status, 0);
    for (const c of ['serve', 'migrate', 'check', 'routes', 'backup FILE', 'version', 'help']) assert.match(h.stdout, new RegExp(`^  ${c}\\s`, 'm'));
    assert.match(h.stdout, /--print-config/);
    const u = cli(dir, ['frobnicate']);
    assert.equal(u.status, 2);
    assert.match(u.stderr, /unknown command frobnicate/);
    const p = cli(dir, ['--print-config', '--port', '9123'], { env: { DANGJIAN_WORKERS: '3' } });
    assert.equal(p.status, 0);
    assert.match(p.stdout, /^port = 9123$/m);
    assert.match(p.stdout, /^workers = 3$/m);
    assert.match(p.stdout, isPg() ? /^db = postgres(ql)?:\/\/\S+$/m : /^db = .*dj\.db$/m);
    const bad = cli(dir, ['--print-config', '--port', 'eighty']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /bad value for --port/);
  } finally { removeDir(dir); }
});

test('serve refuses an address it cannot listen on', () => {
  const dir = fresh();
  try {
    const r = cli(dir, ['serve', '--listen', 'not-an-address', '--port', '0']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /not an IP address/);
    if (!isPg()) assert.ok(existsSync(join(dir, 'dj.db'))); // the database was opened first
  } finally { removeDir(dir); }
});

test('every route of `dangjian routes` is documented in docs/openapi.yaml', async () => {
  const { readFileSync } = await import('node:fs');
  const { ROOT } = await import('./lib/server.mjs');
  const doc = new Set();
  let path = null;
  for (const line of readFileSync(join(ROOT, 'docs/openapi.yaml'), 'utf8').split('\n')) {
    let m = line.match(/^  (\/\S*):\s*$/);
    if (m) { path = m[1]; continue; }
    if (/^\S/.test(line) || /^  \S/.test(line)) path = null;
    m = line.match(/^    (get|post|put|patch|delete):/);
    if (m && path) doc.add(`${m[1].toUpperCase()} ${path}`);
  }
  const dir = fresh();
  try {
    const rows = cli(dir, ['routes', '--test-mode']).stdout.trim().split('\n').slice(1).map((l) => l.split(/\s+/));
    const missing = rows.map((r) => `${r[0]} ${r[1]}`).filter((r) => !doc.has(r));
    assert.deepEqual(missing, []);
  } finally { removeDir(dir); }
});

test('a log file in a directory that does not exist yet is created on first run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dj-logdir-'));
  const log = join(dir, 'logs', 'nested', 'dj.log');
  const db = isPg() ? dbSpec(dir) : join(dir, 'db', 'dj.db');
  try {
    const r = spawnSync(BIN, ['migrate', '--db', db, '--key-dir', join(dir, 'keys'), '--log-file', log], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /cannot open log file/);
    assert.ok(existsSync(log));
  } finally { removeDir(dir); }
});

// src/cli/user.c and src/cli/audit.c: each change is one audit row, written in the
// change's own transaction (db_tx_run); an unknown user changes nothing and writes none.
test('user commands: one audit row per change; an unknown user changes nothing', () => {
  const dir = fresh();
  try {
    assert.equal(cli(dir, ['user', 'add', '--username', 'wang', '--name', '王五', '--role', 'member']).status, 0);
    for (const op of ['reset-password', 'reset-totp', 'disable']) {
      const r = cli(dir, ['user', op, 'wang']);
      assert.equal(r.status, 0, r.stderr);
    }
    assert.match(cli(dir, ['user', 'reset-password', 'wang']).stdout, /one-time password: \S{16}/);
    for (const op of ['reset-password', 'reset-totp', 'disable']) {
      const r = cli(dir, ['user', op, 'nobody']);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /no user nobody/);
    }
    const v = cli(dir, ['audit', 'verify']);
    assert.equal(v.status, 0, v.stdout);
    assert.match(v.stdout, /audit chain ok: 5 rows/); // create, reset, reset-totp, disable, reset
    assert.equal(cli(dir, ['audit']).status, 2);
  } finally { removeDir(dir); }
});

// src/cli/stats.c: the subtree's figures in one read transaction, as GET /stats/members.
test('stats: a subtree\'s figures as JSON; an unknown organization is refused', () => {
  const dir = fresh();
  try {
    assert.equal(cli(dir, ['demo', '--orgs', '12', '--members', '150', '--no-admin']).status, 0);
    const r = cli(dir, ['stats']);
    assert.equal(r.status, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.equal(s.total, s.party_status.formal + s.party_status.probationary);
    // the roster's 150, and the 预备党员 and 正式党员 the development demo made (step 15)
    // (and those a transfer into the deployment registered)
    const developed = Number(sqlQuery(dir, 'SELECT COUNT(*) FROM dev_applicants WHERE member_id IS NOT NULL'))
      + Number(sqlQuery(dir, "SELECT COUNT(*) FROM transfers WHERE kind = 'in' AND member_id IS NOT NULL"));
    assert.ok(s.total > 0 && s.total <= 150 + developed);
    const none = cli(dir, ['stats', '--org', '999999']);
    assert.equal(none.status, 1);
    assert.match(none.stderr, /no organization 999999/);
    const again = cli(dir, ['demo', '--orgs', '3', '--members', '3']);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /already has organizations/);
  } finally { removeDir(dir); }
});
