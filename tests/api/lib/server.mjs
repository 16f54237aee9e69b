// tests/api/lib/server.mjs: starts the real dangjian binary for a test file, on a free
// port (--port 0, read back from its stdout) with a fresh database and key directory,
// and stops it at the end, failing when the sanitizers reported anything.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import net from 'node:net';

export const ROOT = resolve(new URL('../../..', import.meta.url).pathname);
export const BIN = resolve(ROOT, process.env.DJ_BIN || 'build/asan/dangjian');

const SANITIZER = /AddressSanitizer|LeakSanitizer|runtime error:|UndefinedBehaviorSanitizer/;

// Runs a dangjian subcommand synchronously against dir's database.
export function cli(dir, args, { env = {}, input } = {}) {
  const r = spawnSync(BIN, [...args, '--db', join(dir, 'dj.db'), '--key-dir', join(dir, 'keys'),
    '--log-file', join(dir, 'cli.log')], { cwd: ROOT, env: { ...process.env, ...env }, input, encoding: 'utf8' });
  if (SANITIZER.test(r.stderr || '')) throw new Error(`sanitizer report from ${args.join(' ')}:\n${r.stderr}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// Starts a server. opts.args: extra flags; opts.dir: reuse a directory (restart).
export async function startServer(opts = {}) {
  const dir = opts.dir || mkdtempSync(join(tmpdir(), 'dj-api-'));
  const args = ['serve', '--port', '0', '--db', join(dir, 'dj.db'), '--key-dir', join(dir, 'keys'),
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
      if (!keep && !opts.dir) rmSync(dir, { recursive: true, force: true });
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
