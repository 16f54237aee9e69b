// tests/api/lib/server.mjs: starts the real dangjian binary for a test file, on a free
// port (--port 0, read back from its stdout) with a fresh database and key directory,
// and stops it at the end, failing when the sanitizers reported anything.
//
// The store: a test directory's database is dbSpec(dir): the SQLite file dir/dj.db, or,
// when DJ_PG is set (the base URL of a PostgreSQL cluster, no database name, e.g.
// postgresql:///?host=/tmp/dj-pg.x&user=postgres, as tests/run exports it for the
// api-pg tier), a database of its own in that cluster, created on first use and named
// in dir/db.url so that a restart on the same directory finds it again. sqlExec and
// sqlQuery run SQL on it with the store's own shell (sqlite3 or psql): write SQL that
// both accept (single-quoted strings, no INSERT OR …, no SQLite date functions, no
// boolean results in the select list). A test about SQLite itself is skipped on
// PostgreSQL with { skip: isPg() && 'SQLite only: why' }.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import net from 'node:net';

export const ROOT = resolve(new URL('../../..', import.meta.url).pathname);
export const BIN = resolve(ROOT, process.env.DJ_BIN || 'build/asan/dangjian');

const SANITIZER = /AddressSanitizer|LeakSanitizer|runtime error:|UndefinedBehaviorSanitizer/;

const PG = process.env.DJ_PG || '';
export function isPg() { return PG !== ''; }

// The URL of database name in DJ_PG's cluster: the base URL's authority and parameters.
function pgUrl(name) {
  const [head, query] = PG.split(/\?(.*)/s);
  const m = head.match(/^(postgres(?:ql)?:\/\/[^/]*)/);
  if (!m) throw new Error(`DJ_PG is not a postgresql:// URL: ${PG}`);
  return `${m[1]}/${name}${query ? `?${query}` : ''}`;
}

const PSQL = ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1'];
function pgAdmin(sql) {
  return spawnSync('psql', [...PSQL, pgUrl('postgres'), '-c', sql], { encoding: 'utf8' });
}

let dbSeq = 0;
// The --db value of dir: dir/dj.db, or on PostgreSQL the URL of dir's own database
// (created by the first call, named in dir/db.url from then on).
export function dbSpec(dir) {
  if (!isPg()) return join(dir, 'dj.db');
  const f = join(dir, 'db.url');
  if (existsSync(f)) return readFileSync(f, 'utf8').trim();
  const name = `dj_${process.pid}_${++dbSeq}_${randomBytes(3).toString('hex')}`;
  // C collation: text orders and path ranges compare bytes, as SQLite's BINARY does
  const r = pgAdmin(`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`);
  if (r.status !== 0) throw new Error(`CREATE DATABASE ${name}: ${r.stderr}`);
  const url = pgUrl(name);
  writeFileSync(f, `${url}\n`, { mode: 0o600 });
  return url;
}

// Drops dir's PostgreSQL database, if it has one (best-effort: the cluster goes at the
// end of the run anyway), and removes dir.
export function removeDir(dir) {
  const f = join(dir, 'db.url');
  if (isPg() && existsSync(f)) {
    const name = readFileSync(f, 'utf8').trim().match(/^[^?]*\/([A-Za-z0-9_]+)(\?|$)/);
    if (name) pgAdmin(`DROP DATABASE IF EXISTS ${name[1]} WITH (FORCE)`);
  }
  rmSync(dir, { recursive: true, force: true });
}

// Runs sql (one or more statements) on dir's database with the store's shell; returns
// {status, stdout, stderr} and never throws. Output as both shells print it by default:
// one line per row, columns separated by |, NULL as nothing.
export function sqlExec(dir, sql) {
  const spec = dbSpec(dir);
  if (isPg()) return spawnSync('psql', [...PSQL, spec, '-f', '-'], { input: sql, encoding: 'utf8' });
  return spawnSync('sqlite3', ['-bail', '-cmd', '.timeout 5000', spec], { input: sql, encoding: 'utf8' });
}

// sqlExec that throws on an error and returns the output trimmed.
export function sqlQuery(dir, sql) {
  const r = sqlExec(dir, sql);
  if (r.status !== 0) throw new Error(`${isPg() ? 'psql' : 'sqlite3'}: ${r.stderr}\n${sql}`);
  return r.stdout.trim();
}

// The key of the writer lock a PostgreSQL write transaction takes, as src/db/db_pg.c
// defines it (read from there, so that the two cannot drift apart).
function pgWriterLock() {
  const m = readFileSync(join(ROOT, 'src/db/db_pg.c'), 'utf8').match(/^#define WRITER_LOCK "(\d+)"/m);
  if (!m) throw new Error('src/db/db_pg.c defines no WRITER_LOCK');
  return m[1];
}

// Another process holding the store's write lock on dir's database until release():
// SQLite's BEGIN IMMEDIATE in the sqlite3 shell, or the writer's transaction-level
// advisory lock in psql. Resolves once the lock is held.
export async function holdWriteLock(dir) {
  const spec = dbSpec(dir);
  const child = isPg()
    ? spawn('psql', [...PSQL, spec], { stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn('sqlite3', [spec], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '', err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((res) => child.on('exit', res));
  child.stdin.write(isPg()
    ? `BEGIN;\nSELECT pg_advisory_xact_lock(${pgWriterLock()});\nSELECT 'locked';\n`
    : ".timeout 5000\nBEGIN IMMEDIATE;\nSELECT 'locked';\n");
  await new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error(`the write lock was not taken: ${err}`)), 10000);
    const check = () => { if (out.includes('locked')) { clearTimeout(t); res(); } };
    child.stdout.on('data', check);
    exited.then(() => { clearTimeout(t); rej(new Error(`the lock holder exited: ${err}`)); });
  });
  return {
    // commits and waits for the holder to exit
    async release() { child.stdin.end('COMMIT;\n'); await exited; },
  };
}

// The flags that put a process on dir: its database, and on PostgreSQL dir as the work
// directory too (spooled uploads, exports), which on SQLite is the database's directory
// already and on PostgreSQL would otherwise be $TMPDIR, shared by every test.
function dirArgs(dir) {
  return ['--db', dbSpec(dir), ...(isPg() ? ['--tmp-dir', dir] : [])];
}

// Runs a dangjian subcommand synchronously against dir's database.
export function cli(dir, args, { env = {}, input } = {}) {
  const r = spawnSync(BIN, [...args, ...dirArgs(dir), '--key-dir', join(dir, 'keys'),
    '--log-file', join(dir, 'cli.log')], { cwd: ROOT, env: { ...process.env, ...env }, input, encoding: 'utf8' });
  if (SANITIZER.test(r.stderr || '')) throw new Error(`sanitizer report from ${args.join(' ')}:\n${r.stderr}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// Starts a server. opts.args: extra flags; opts.dir: reuse a directory (restart).
export async function startServer(opts = {}) {
  const dir = opts.dir || mkdtempSync(join(tmpdir(), 'dj-api-'));
  const args = ['serve', '--port', '0', ...dirArgs(dir), '--key-dir', join(dir, 'keys'),
    '--log-file', join(dir, 'server.log'), '--web-root', opts.webRoot || join(ROOT, 'web/dist'),
    '--workers', String(opts.workers || 2), '--test-mode', ...(opts.args || [])];
  const wrap = process.env.DJ_VALGRIND ? ['valgrind', ['-q', '--error-exitcode=99', '--leak-check=full', BIN, ...args]] : [BIN, args];
  const child = spawn(wrap[0], wrap[1], { cwd: ROOT, env: { ...process.env, ...(opts.env || {}) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((res) => child.on('exit', (code, signal) => res({ code, signal })));
  const port = await new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error(`server did not start:\n${stdout}\n${stderr}`)), 30000);
    const check = () => {
      const m = stdout.match(/serving on http:\/\/[^:]+:(\d+)/);
      if (m) { clearTimeout(t); res(Number(m[1])); }
    };
    child.stdout.on('data', check);
    child.on('exit', () => { clearTimeout(t); rej(new Error(`server exited early:\n${stdout}\n${stderr}`)); });
  });
  const base = `http://127.0.0.1:${port}`;
  const srv = {
    dir, port, base, child, exited,
    get stderr() { return stderr; },
    log() { const f = join(dir, 'server.log'); return existsSync(f) ? readFileSync(f, 'utf8') : ''; },
    // Stops with SIGTERM (or the given signal); rejects on a sanitizer report.
    async stop(signal = 'SIGTERM', { keep = false } = {}) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const r = await Promise.race([exited, new Promise((res) => setTimeout(() => res(null), 30000).unref())]);
      if (!r) { child.kill('SIGKILL'); await exited; throw new Error('server did not stop within 30 s'); }
      if (SANITIZER.test(stderr)) throw new Error(`sanitizer report:\n${stderr}`);
      if (signal !== 'SIGKILL' && r.code !== 0) throw new Error(`server exited with ${r.code}:\n${stderr}`);
      if (!keep && !opts.dir) removeDir(dir);
      return r;
    },
  };
  return srv;
}

// fetch against the server, returning {status, headers, body (parsed JSON when it is)}.
export async function api(srv, method, path, { body, headers = {}, raw } = {}) {
  const h = { ...headers };
  let payload = raw;
  if (body !== undefined) { h['content-type'] = 'application/json'; payload = JSON.stringify(body); }
  const res = await fetch(srv.base + path, { method, headers: h, body: payload, redirect: 'manual' });
  const text = await res.text();
  let json;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, body: json };
}

// A raw HTTP exchange over a socket: sends bytes, collects everything until the server
// closes or timeoutMs passes. For framing, smuggling and limit tests.
export function rawRequest(port, data, { timeoutMs = 3000, slowChunks } = {}) {
  return new Promise((res) => {
    const sock = net.connect(port, '127.0.0.1');
    let out = Buffer.alloc(0);
    const done = () => { sock.destroy(); res(out.toString('latin1')); };
    const timer = setTimeout(done, timeoutMs);
    sock.on('data', (d) => { out = Buffer.concat([out, d]); });
    sock.on('close', () => { clearTimeout(timer); res(out.toString('latin1')); });
    sock.on('error', () => {});
    sock.on('connect', async () => {
      if (slowChunks) {
        for (const [chunk, delay] of slowChunks) {
          if (sock.destroyed) break;
          sock.write(chunk);
          await new Promise((r) => setTimeout(r, delay));
        }
      } else {
        sock.write(data);
      }
    });
  });
}

export function problemOk(t, r, status, code) {
  // every error is RFC 9457 problem+json with a stable code and a Chinese detail
  if (r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${r.text}`);
  const ct = r.headers.get('content-type') || '';
  if (!ct.startsWith('application/problem+json')) throw new Error(`not problem+json: ${ct}`);
  if (r.body.code !== code) throw new Error(`expected code ${code}, got ${r.body.code}`);
  if (r.body.status !== status) throw new Error('status member differs');
  if (!/[\u4e00-\u9fff]/.test(r.body.detail || '')) throw new Error(`detail is not Chinese: ${r.body.detail}`);
}
