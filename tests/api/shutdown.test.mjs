// shutdown.test.mjs: signals. SIGTERM stops accepting, lets a request in flight finish
// with its response and exits 0; SIGHUP reopens the log file (logrotate).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, api, removeDir } from './lib/server.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('a slow upload in flight completes across SIGTERM; new connections are refused; exit 0', async () => {
  const srv = await startServer();
  const body = '{"offset":0}';
  const sock = net.connect(srv.port, '127.0.0.1');
  let data = '';
  sock.on('data', (d) => { data += d; });
  const closed = new Promise((r) => sock.on('close', r));
  await new Promise((r) => sock.on('connect', r));
  sock.write(`PUT /api/v1/test/clock HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
  sock.write(body.slice(0, 4));
  await sleep(300);
  srv.child.kill('SIGTERM');
  await sleep(500);
  assert.equal(srv.child.exitCode, null, 'still draining the request in flight');
  // no new connections once stopping
  const refused = await new Promise((r) => {
    const s = net.connect(srv.port, '127.0.0.1');
    s.on('connect', () => { s.destroy(); r(false); });
    s.on('error', () => r(true));
  });
  assert.ok(refused, 'a new connection was accepted during shutdown');
  sock.write(body.slice(4));
  await Promise.race([closed, sleep(5000)]);
  assert.match(data, /^HTTP\/1\.1 200 /);
  assert.match(data, /"offset":0/);
  const r = await srv.stop('SIGTERM', { keep: true });
  assert.equal(r.code, 0);
  const log = srv.log();
  removeDir(srv.dir);
  assert.match(log, /"route":"\/api\/v1\/test\/clock","ip":"127.0.0.1","status":200/);
  assert.match(log, /"msg":"stopped"/);
});

test('SIGHUP reopens the log file', async () => {
  const srv = await startServer();
  try {
    await api(srv, 'GET', '/healthz');
    const log = join(srv.dir, 'server.log');
    const rotated = join(srv.dir, 'server.log.1');
    renameSync(log, rotated);
    await api(srv, 'GET', '/healthz'); // still written to the renamed file
    srv.child.kill('SIGHUP');
    await sleep(300);
    const r = await api(srv, 'GET', '/readyz');
    await sleep(100);
    assert.ok(existsSync(log), 'a new log file was opened');
    const fresh = readFileSync(log, 'utf8');
    assert.match(fresh, new RegExp(`"req":"${r.headers.get('x-request-id')}"`));
    assert.match(readFileSync(rotated, 'utf8'), /"route":"\/healthz"/);
  } finally {
    await srv.stop();
  }
});

test('SIGINT stops cleanly too', async () => {
  const srv = await startServer();
  await api(srv, 'GET', '/healthz');
  const r = await srv.stop('SIGINT');
  assert.equal(r.code, 0);
});
