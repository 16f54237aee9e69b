// nginx.test.mjs: dangjian behind Debian's nginx with docs/nginx/dangjian.conf
// (SECURITY.md R11). libmicrohttpd 0.9.75 accepts a NUL in a header value, obs-fold
// and bare LF; through nginx, requests with a NUL in a header, a folded header, a
// duplicate Content-Length or Content-Length with Transfer-Encoding are answered 400 by
// nginx and never reach dangjian (its access log does not grow, /metrics counts no
// such request); a bare-LF request is re-framed by nginx into one well-formed request.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { ROOT, startServer, rawRequest } from './lib/server.mjs';

const NGINX = '/usr/sbin/nginx';
let srv, nginx, prefix, port;

function freePort() {
  return new Promise((res) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); });
  });
}

async function waitListening(p) {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((res) => {
      const s = net.connect(p, '127.0.0.1');
      s.on('connect', () => { s.destroy(); res(true); });
      s.on('error', () => res(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nginx did not listen:\n${readFileSync(join(prefix, 'error.log'), 'utf8')}`);
}

before(async () => {
  assert.ok(existsSync(NGINX), 'nginx is installed (scripts/deps installs nginx-light)');
  srv = await startServer({ args: ['--trusted-proxy', '127.0.0.1'] });
  prefix = mkdtempSync(join(tmpdir(), 'dj-nginx-'));
  chmodSync(prefix, 0o755);
  port = await freePort();
  const site = readFileSync(join(ROOT, 'docs/nginx/dangjian.conf'), 'utf8')
    .replaceAll('@LISTEN@', `127.0.0.1:${port}`).replaceAll('@UPSTREAM@', `127.0.0.1:${srv.port}`);
  writeFileSync(join(prefix, 'dangjian.conf'), site);
  // the test's own main context: one process in the foreground, every path in prefix
  writeFileSync(join(prefix, 'nginx.conf'), `daemon off;
master_process off;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log info;
events { worker_connections 128; }
http {
    access_log ${prefix}/access.log;
    client_body_temp_path ${prefix}/body;
    proxy_temp_path ${prefix}/proxy;
    fastcgi_temp_path ${prefix}/fastcgi;
    uwsgi_temp_path ${prefix}/uwsgi;
    scgi_temp_path ${prefix}/scgi;
    include ${prefix}/dangjian.conf;
}
`);
  nginx = spawn(NGINX, ['-p', prefix, '-e', join(prefix, 'error.log'), '-c', join(prefix, 'nginx.conf')], { stdio: 'ignore' });
  await waitListening(port);
});

after(async () => {
  if (nginx && nginx.exitCode === null) {
    const gone = new Promise((res) => nginx.on('exit', res));
    nginx.kill('SIGTERM');
    await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
    if (nginx.exitCode === null && nginx.signalCode === null) nginx.kill('SIGKILL');
  }
  if (srv) await srv.stop();
  if (prefix) rmSync(prefix, { recursive: true, force: true });
});

const accessLines = () => srv.log().split('\n').filter((l) => l.includes('"status":'));
// the access line is written when the request completes, just after its answer
async function linesAfter(n0, want) {
  for (let i = 0; i < 50 && accessLines().length - n0 < want; i++) await new Promise((r) => setTimeout(r, 20));
  return accessLines().slice(n0);
}
const status = (raw) => Number((raw.match(/^HTTP\/1\.1 (\d{3})/) || [0, 0])[1]);

test('R11: a plain request through nginx reaches dangjian once, with the client address nginx saw', async () => {
  const n0 = accessLines().length;
  const r = await rawRequest(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 203.0.113.9\r\nConnection: close\r\n\r\n');
  assert.equal(status(r), 200, r);
  const added = await linesAfter(n0, 1);
  assert.equal(added.length, 1);
  assert.match(added[0], /"ip":"127\.0\.0\.1"/, 'X-Forwarded-For is set by nginx, not taken from the client');
});

const smuggling = {
  'a NUL in a header value': 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\nConnection: close\r\n\r\n',
  'an obs-folded header line': 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\r\n  folded\r\nConnection: close\r\n\r\n',
  'a duplicate Content-Length': 'POST /api/v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}',
  'Content-Length with Transfer-Encoding': 'POST /api/v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n',
};

for (const [what, raw] of Object.entries(smuggling)) {
  test(`R11: a request with ${what} is answered 400 by nginx and never reaches a handler`, async () => {
    const n0 = accessLines().length;
    const r = await rawRequest(port, raw);
    assert.equal(status(r), 400, r.slice(0, 300));
    assert.equal((r.match(/HTTP\/1\.1 /g) || []).length, 1, 'one answer, no second request');
    assert.doesNotMatch(r, /X-Request-Id/i, 'the answer is nginx\'s, not dangjian\'s');
    await new Promise((res) => setTimeout(res, 200));
    assert.deepEqual(accessLines().slice(n0), [], 'dangjian logged no request');
  });
}

test('R11: a bare-LF request is re-framed by nginx: dangjian sees one well-formed request', async () => {
  const n0 = accessLines().length;
  const r = await rawRequest(port, 'GET /healthz HTTP/1.1\nHost: x\nConnection: close\n\n');
  const s = status(r);
  assert.ok(s === 200 || s === 400, r.slice(0, 300));
  assert.equal((r.match(/HTTP\/1\.1 /g) || []).length, 1);
  assert.ok(accessLines().length - n0 <= 1);
  console.log(`R11: bare LF through nginx answered ${s}`);
});

test('R11: /metrics counts no request of the refused kinds, and counts a well-formed one', async () => {
  const posts = async () => {
    const m = await (await fetch(`${srv.base}/metrics`)).text();
    return [...m.matchAll(/^dj_http_requests_total\{method="POST",route="\/api\/v1\/session",status="\d+"\} (\d+)$/gm)]
      .reduce((n, x) => n + Number(x[1]), 0);
  };
  // the only POST /api/v1/session requests so far were the refused ones
  assert.equal(await posts(), 0);
  const ok = await rawRequest(port, 'POST /api/v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}');
  assert.equal(status(ok), 400, ok.slice(0, 300)); // dangjian's own field errors
  assert.match(ok, /X-Request-Id/i);
  for (let i = 0; i < 50 && (await posts()) === 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(await posts(), 1);
});
