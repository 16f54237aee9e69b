// migrate_data.test.mjs: `dangjian migrate-data --from FILE --to URL` (issue 12 #5).
// A SQLite district with real data written through a running server (users with
// passwords and TOTP, organizations, members with sealed ID numbers and mobiles, a
// state change, audit rows) is copied while that server keeps serving into a fresh
// PostgreSQL database; a server on the PostgreSQL URL then shows the same members and
// organizations, opens the full ID number with the same key files, signs the same
// users in, verifies the audit chain (API and `dangjian audit verify`), and gives a new
// member an id past the copied ones. Then the refusals: a non-empty target, bad URLs,
// an unreachable or missing database, a source that is not a dangjian database or is at
// another schema version; and a copy that fails half-way (a value PostgreSQL refuses, a
// broken reference) leaves the target without a row.
//
// The stores: the source is always a SQLite file; the PostgreSQL cluster is DJ_PG's
// (the api-pg tier's) when set, else one this file starts itself (initdb + pg_ctl on a
// socket in a temporary directory, as the postgres user when run as root), else the
// tests are skipped with the reason. DJ_PG is taken out of the environment before the
// test helpers load, so that they keep this file's source directory on SQLite.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, copyFileSync, chownSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PG_BASE = process.env.DJ_PG || '';
delete process.env.DJ_PG;
const { BIN, ROOT, startServer, api } = await import('./lib/server.mjs');
const { login, signIn, totp, serverNow, setClock } = await import('./lib/auth.mjs');
const { district, as } = await import('./lib/roster_api.mjs');
const { idNumber } = await import('./lib/roster.mjs');

const SANITIZER = /AddressSanitizer|LeakSanitizer|runtime error:|UndefinedBehaviorSanitizer/;
const PG_BIN = process.env.DJ_PG_BIN || '/usr/lib/postgresql/15/bin';

// ---- a PostgreSQL cluster: DJ_PG's, or our own ------------------------------------
let cluster = null; // { base, dir? }
let skipWhy = '';
const made = []; // databases created here (dropped at the end)

function startCluster() {
  if (PG_BASE) return { base: PG_BASE };
  if (!existsSync(join(PG_BIN, 'initdb')) || !existsSync(join(PG_BIN, 'pg_ctl'))) {
    skipWhy = `PostgreSQL binaries not found in ${PG_BIN} (set DJ_PG or DJ_PG_BIN)`;
    return null;
  }
  const dir = mkdtempSync(join(tmpdir(), 'dj-md-pg-'));
  // PostgreSQL refuses root: as root, its programs run as the postgres system user
  let as = [];
  if (process.getuid() === 0) {
    const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    if (id.status !== 0) { skipWhy = 'running as root and there is no postgres user'; rmSync(dir, { recursive: true }); return null; }
    chownSync(dir, Number(id.stdout.trim()), -1);
    as = ['runuser', '-u', 'postgres', '--'];
  }
  const run = (cmd, args) => {
    const [c, ...a] = [...as, join(PG_BIN, cmd), ...args];
    const r = spawnSync(c, a, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}${r.stdout}`);
  };
  run('initdb', ['-D', join(dir, 'data'), '-A', 'trust', '--locale=C', '-E', 'UTF8', '-U', 'postgres']);
  run('pg_ctl', ['-D', join(dir, 'data'), '-o', `-k ${dir} -c listen_addresses='' -c fsync=off`, '-l', join(dir, 'log'), '-w', 'start']);
  return { base: `postgresql:///?host=${dir}&user=postgres`, dir, stop: () => run('pg_ctl', ['-D', join(dir, 'data'), '-m', 'fast', '-w', 'stop']) };
}

// The URL of database name in the cluster: the base URL's authority and parameters.
function pgUrl(name) {
  const [head, query] = cluster.base.split(/\?(.*)/s);
  const m = head.match(/^(postgres(?:ql)?:\/\/[^/]*)/);
  return `${m[1]}/${name}${query ? `?${query}` : ''}`;
}

function psql(url, sql) {
  const r = spawnSync('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', url, '-c', sql], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`psql: ${r.stderr}\n${sql}`);
  return r.stdout.trim();
}

let dbSeq = 0;
// A fresh, empty database (C collation, UTF-8, as the PostgreSQL engine requires).
function freshDb() {
  const name = `dj_md_${process.pid}_${++dbSeq}`;
  psql(pgUrl('postgres'), `CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`);
  made.push(name);
  return pgUrl(name);
}

// ---- the binary ---------------------------------------------------------------------
function sqlite(file, sql) {
  const r = spawnSync('sqlite3', ['-bail', '-cmd', '.timeout 5000', file], { input: sql, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sqlite3: ${r.stderr}`);
  return r.stdout.trim();
}

function dj(args, dir) {
  const r = spawnSync(BIN, [...args, '--key-dir', join(dir, 'keys'), '--log-file', join(dir, 'cli.log')],
    { cwd: ROOT, encoding: 'utf8' });
  if (SANITIZER.test(r.stderr || '')) throw new Error(`sanitizer report from ${args.join(' ')}:\n${r.stderr}`);
  return r;
}

function djAsync(args, dir) {
  return new Promise((res) => {
    const c = spawn(BIN, [...args, '--key-dir', join(dir, 'keys'), '--log-file', join(dir, 'cli.log')], { cwd: ROOT });
    let stdout = '', stderr = '';
    c.stdout.on('data', (d) => { stdout += d; });
    c.stderr.on('data', (d) => { stderr += d; });
    c.on('exit', (status) => res({ status, stdout, stderr }));
  });
}

const migrate = (from, to, dir) => dj(['migrate-data', '--from', from, '--to', to], dir);

// A refusal: exit 1 and one line on stderr that says why.
function refused(r, re) {
  assert.equal(r.status, 1, `expected exit 1, got ${r.status}\n${r.stdout}\n${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line expected:\n${r.stderr}`);
  assert.match(lines[0], /^dangjian: migrate-data: /);
  assert.match(lines[0], re);
  return lines[0];
}

// ---- the district -------------------------------------------------------------------
let srv, pgsrv, dir, src, target;
let admin, auditor, created, createdFull, listBefore, orgBefore, statsBefore, maxMember, maxAudit;
const ODD = 'a\tb\nc\rd\\e \\N 末';

function person(over = {}) {
  return {
    org_id: srv.branch(0), name: '迁移党员', id_number: idNumber('310104', '1981-04-12', 321),
    mobile: '13912340000', party_status: 'formal', joined_on: '2004-07-01', confirmed_on: '2005-07-01',
    education: '21', ethnicity: '01', unit_type: '非公企业', ...over,
  };
}

async function memberIds(s) {
  const ids = [];
  let cursor = null;
  for (let i = 0; i < 50; i++) {
    const r = await s.call('GET', `/api/v1/members?org_id=1&state=all&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    assert.equal(r.status, 200, r.text);
    ids.push(...r.body.items.map((m) => `${m.id} ${m.name} ${m.org_id} ${m.id_number}`));
    if (!r.body.next_cursor) return { total: r.body.total, ids: ids.sort() };
    cursor = r.body.next_cursor;
  }
  throw new Error('too many pages');
}

before(async () => {
  cluster = startCluster();
  if (!cluster) return;
  srv = await district({ orgs: 30, members: 120, seed: 7 });
  dir = srv.dir;
  src = join(dir, 'dj.db');
  admin = await as(srv, 'district_admin', 1);
  auditor = await signIn(srv, { role: 'auditor' });
  const c = await admin.call('POST', '/api/v1/members', person());
  assert.equal(c.status, 201, c.text);
  created = c.body;
  const st = await admin.call('POST', `/api/v1/members/${created.id}/state`, { state: 'floating', reason: '外出务工', date: '2026-01-01' });
  assert.equal(st.status, 200, st.text);
  createdFull = (await admin.call('GET', `/api/v1/members/${created.id}?reveal=1`)).body;
  assert.equal(createdFull.id_number, person().id_number);
  // bytes COPY's text format must escape (tab, newline, CR, backslash) and a literal \N
  sqlite(src, `UPDATE orgs SET address = '${ODD.replace(/\t/g, "' || char(9) || '").replace(/\n/g, "' || char(10) || '").replace(/\r/g, "' || char(13) || '")}', unit_name = '' WHERE id = 2;`);
  orgBefore = (await admin.call('GET', '/api/v1/orgs/2')).body;
  assert.equal(orgBefore.address, ODD);
  listBefore = await memberIds(admin);
  statsBefore = (await admin.call('GET', '/api/v1/stats/members?org_id=1')).body;
  const v = await auditor.call('GET', '/api/v1/audit/verify');
  assert.deepEqual({ ok: v.body.ok, broken: v.body.first_broken_id }, { ok: true, broken: null });
  maxMember = Number(sqlite(src, 'SELECT max(id) FROM members'));
  maxAudit = Number(sqlite(src, 'SELECT max(id) FROM audit_log'));
});

after(async () => {
  if (pgsrv) await pgsrv.stop('SIGTERM', { keep: true });
  if (srv && srv.child.exitCode === null && srv.child.signalCode === null) await srv.stop('SIGTERM', { keep: true });
  if (cluster) {
    for (const name of made) spawnSync('psql', ['-X', '-q', pgUrl('postgres'), '-c', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]);
    if (cluster.stop) { cluster.stop(); rmSync(cluster.dir, { recursive: true, force: true }); }
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const skip = () => (cluster ? false : skipWhy || 'no PostgreSQL');

test('migrate-data copies a live district: the same members, organizations, ID numbers, users and audit chain on PostgreSQL', async (t) => {
  if (skip()) return t.skip(skip());
  target = freshDb();
  // the server keeps serving (reads and writes) while the copy runs from its snapshot
  const run = djAsync(['migrate-data', '--from', src, '--to', target], dir);
  const h = await api(srv, 'GET', '/healthz');
  assert.equal(h.status, 200);
  const r = await run;
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, SANITIZER);
  assert.match(r.stdout, /backup: [\d.]+ MiB snapshot/);
  assert.match(r.stdout, new RegExp(`\\n  members +${(listBefore.total).toLocaleString('en')} rows +[\\d.]+ s\\n`));
  assert.match(r.stdout, /\n {2}audit_log +[\d,]+ rows/);
  assert.match(r.stdout, /done: [\d,]+ rows in \d+ tables/);
  // the temporary snapshot is gone
  assert.deepEqual(spawnSync('sh', ['-c', `ls -a ${dir} | grep migrate || true`], { encoding: 'utf8' }).stdout, '');
  const late = await admin.call('POST', '/api/v1/members', person({ name: '迁移之后', id_number: idNumber('310104', '1982-05-13', 654) }));
  assert.equal(late.status, 201, late.text);
  await srv.stop('SIGTERM', { keep: true });

  // a server on PostgreSQL with the same key files
  pgsrv = await startServer({ dir, args: ['--db', target] });
  const a = await login(pgsrv, admin.username, admin.password);
  assert.equal(a.status, 200, a.text);
  const s = a.session;
  const list = await memberIds(s);
  assert.equal(list.total, listBefore.total);
  assert.deepEqual(list.ids, listBefore.ids);
  assert.ok(!list.ids.some((x) => x.includes('迁移之后')), 'a member written after the snapshot is not copied');
  const full = await s.call('GET', `/api/v1/members/${created.id}?reveal=1`);
  assert.equal(full.status, 200, full.text);
  assert.equal(full.body.id_number, createdFull.id_number);
  assert.equal(full.body.mobile, createdFull.mobile);
  assert.equal(full.body.state, 'floating');
  const hist = await s.call('GET', `/api/v1/members/${created.id}/history`);
  assert.equal(hist.status, 200, hist.text);
  assert.ok(JSON.stringify(hist.body).includes('外出务工'));
  const org = await s.call('GET', '/api/v1/orgs/2');
  assert.deepEqual(org.body, orgBefore);
  const stats = await s.call('GET', '/api/v1/stats/members?org_id=1');
  assert.deepEqual(stats.body, statsBefore);

  // the auditor signs in with the sealed TOTP secret (a later step: the last one used
  // is copied too) and the chain verifies, through the API and the command line
  await setClock(pgsrv, 90);
  const au = await login(pgsrv, auditor.username, auditor.password, totp(auditor.secret, serverNow(pgsrv)));
  assert.equal(au.status, 200, au.text);
  const v = await au.session.call('GET', '/api/v1/audit/verify');
  assert.equal(v.status, 200, v.text);
  assert.deepEqual({ ok: v.body.ok, broken: v.body.first_broken_id }, { ok: true, broken: null });

  // new rows get ids past the copied ones, and the chain goes on from the copied head
  const n = await s.call('POST', '/api/v1/members', person({ name: '新党员', id_number: idNumber('310104', '1983-06-14', 987) }));
  assert.equal(n.status, 201, n.text);
  assert.ok(n.body.id > maxMember, `new id ${n.body.id} <= ${maxMember}`);
  assert.ok(Number(psql(target, 'SELECT max(id) FROM audit_log')) > maxAudit);
  const cv = dj(['audit', 'verify', '--db', target], dir);
  assert.equal(cv.status, 0, cv.stderr + cv.stdout);
  assert.match(cv.stdout, /^audit chain ok: \d+ rows/);
  assert.ok(Number(cv.stdout.match(/(\d+) rows/)[1]) > maxAudit);
});

test('migrate-data refuses a target that holds rows, and writes nothing', async (t) => {
  if (skip()) return t.skip(skip());
  assert.ok(target, 'the copy test ran first');
  const before = psql(target, 'SELECT (SELECT count(*) FROM members) || \'/\' || (SELECT count(*) FROM audit_log)');
  refused(migrate(src, target, dir), /target is not empty \(table \w+ has rows\)/);
  assert.equal(psql(target, 'SELECT (SELECT count(*) FROM members) || \'/\' || (SELECT count(*) FROM audit_log)'), before);
});

test('migrate-data: a bad URL, a missing database, an unreachable server: one line, exit 1', async (t) => {
  if (skip()) return t.skip(skip());
  refused(migrate(src, 'postgresql://[bad', dir), /invalid target URL/);
  refused(migrate(src, 'postgresql:///x?nonsense=1', dir), /invalid target URL/);
  refused(migrate(src, join(dir, 'other.db'), dir), /must be a postgres:\/\/ or postgresql:\/\/ URL/);
  refused(migrate(src, pgUrl('no_such_database_here'), dir), /cannot connect to the target: .*no_such_database_here/);
  refused(migrate(src, pgUrl('x').replace(/host=[^&]*/, 'host=/nonexistent-dir'), dir), /cannot connect to the target/);
  const pw = refused(migrate(src, 'postgresql://someone:s3cret@[::1', dir), /invalid target URL/);
  assert.ok(!pw.includes('s3cret'), 'the password is not printed');
  const u = dj(['migrate-data', '--from', src], dir);
  assert.equal(u.status, 2);
  assert.match(u.stderr, /^usage: dangjian migrate-data --from FILE --to /);
});

test('migrate-data refuses a source that is not a dangjian database or is at another schema version', async (t) => {
  if (skip()) return t.skip(skip());
  const to = freshDb();
  const text = join(dir, 'notes.txt');
  writeFileSync(text, 'not a database at all\n'.repeat(100));
  refused(migrate(text, to, dir), /is not a SQLite database/);
  const other = join(dir, 'other.db');
  sqlite(other, 'CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);');
  refused(migrate(other, to, dir), /is not a dangjian database \(application_id 0/);
  const noMig = join(dir, 'nomig.db');
  sqlite(noMig, 'PRAGMA application_id = 1145717297; CREATE TABLE t (x INTEGER);');
  refused(migrate(noMig, to, dir), /is not a dangjian database \(no schema_migrations table\)/);
  refused(migrate(join(dir, 'missing.db'), to, dir), /cannot open .*missing\.db/);
  const newer = join(dir, 'newer.db');
  copyFileSync(src, newer);
  sqlite(newer, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', 0);");
  refused(migrate(newer, to, dir), /schema version 9999 and this binary's is \d+/);
  // nothing was written: not even the schema
  assert.equal(psql(to, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), '0');
});

test('migrate-data: a copy that fails half-way leaves the target without a row', async (t) => {
  if (skip()) return t.skip(skip());
  // a value PostgreSQL refuses (text in a BIGINT column: SQLite keeps it)
  const bad = join(dir, 'badvalue.db');
  copyFileSync(src, bad);
  sqlite(bad, "UPDATE members SET dues_base = 'zz-secret-zz' WHERE id = (SELECT max(id) FROM members);");
  const to = freshDb();
  const line = refused(migrate(bad, to, dir), /copying members: invalid input syntax for type bigint \(COPY members, line \d+, column dues_base\)$/);
  assert.ok(!line.includes('zz-secret-zz'), 'the value itself is not printed');
  assert.equal(psql(to, 'SELECT (SELECT count(*) FROM members) + (SELECT count(*) FROM orgs) + (SELECT count(*) FROM audit_log)'), '0');
  // a broken reference (SQLite's foreign keys were off for this write)
  const broken = join(dir, 'broken.db');
  copyFileSync(src, broken);
  sqlite(broken, "PRAGMA foreign_keys = OFF; INSERT INTO grids (org_id, name) VALUES (987654, '孤立网格');");
  const to2 = freshDb();
  refused(migrate(broken, to2, dir), /violates foreign key constraint/);
  assert.equal(psql(to2, 'SELECT (SELECT count(*) FROM grids) + (SELECT count(*) FROM members)'), '0');
  // and the same target then takes a good copy
  const ok = migrate(src, to2, dir);
  assert.equal(ok.status, 0, ok.stderr);
});
