// limits.test.mjs: connection limits that need their own server settings: the absolute
// per-request deadline (SECURITY.md R8) and the per-address connection cap (R10).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer, rawRequest } from './lib/server.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function open(port) {
  return new Promise((res) => {
    const s = net.connect(port, '127.0.0.1');
    s.data = '';
    s.gone = false;
    s.on('data', (d) => { s.data += d; });
    s.on("close", () => { s.gone = true; });
    s.on('error', () => {});
    s.on('connect', () => res(s));
  });
}

test('R8 a body trickled past the request deadline is cut off (408 logged, connection closed)', async () => {
  const srv = await startServer({ args: ['--request-deadline', '1'] });
  try {
    const s = await open(srv.port);
    const body = '{"offset":0}     ';
    s.write(`PUT /api/v1/test/clock HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
    let sent = 0;
    for (; sent < body.length && !s.gone; sent++) {
      s.write(body[sent]);
      await sleep(250);
    }
    await sleep(300);
    assert.ok(s.gone, 'the server closed the connection');
    assert.ok(sent < body.length, 'before the whole body arrived');
    assert.doesNotMatch(s.data, /HTTP\/1\.1 200/);
    const line = srv.log().trim().split('\n').map((l) => JSON.parse(l)).find((l) => l.msg === 'access' && l.route === '/api/v1/test/clock');
    assert.equal(line.status, 408);
  } finally { await srv.stop(); }
});

test('R8 a body that stops arriving is closed at the deadline, not at the idle timeout', async () => {
  const srv = await startServer({ args: ['--request-deadline', '1', '--connection-timeout', '30'] });
  try {
    const s = await open(srv.port);
    s.write('PUT /api/v1/test/clock HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n{"off');
    for (let i = 0; i < 40 && !s.gone; i++) await sleep(250);
    assert.ok(s.gone, 'closed within 10 s although the idle timeout is 30 s');
  } finally { await srv.stop(); }
});

test('R10 connections from one address are capped at per_ip_limit', async () => {
  const srv = await startServer({ args: ['--per-ip-limit', '3'] });
  try {
    const held = [await open(srv.port), await open(srv.port), await open(srv.port)];
    await sleep(200);
    const extra = await rawRequest(srv.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n', { timeoutMs: 2000 });
    assert.equal(extra, '', 'a 4th connection from the same address is refused');
    assert.ok(held.every((s) => !s.gone), 'the held connections stay open');
    held[0].write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await sleep(300);
    assert.match(held[0].data, /^HTTP\/1\.1 200 /);
    held.forEach((s) => s.destroy());
    await sleep(300);
    const again = await rawRequest(srv.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.match(again, /^HTTP\/1\.1 200 /);
  } finally { await srv.stop(); }
});

test('R8 an idle connection is closed after connection_timeout', async () => {
  const srv = await startServer({ args: ['--connection-timeout', '1'] });
  try {
    const idle = await open(srv.port);
    const kept = await open(srv.port);
    kept.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    for (let i = 0; i < 40 && !idle.gone; i++) await sleep(250);
    assert.ok(idle.gone, 'an idle connection is closed (within 10 s, timeout 1 s)');
    assert.match(kept.data, /^HTTP\/1\.1 200 /);
  } finally { await srv.stop(); }
});

test('R10 connection_limit caps open connections overall', async () => {
  const srv = await startServer({ args: ['--connection-limit', '2', '--per-ip-limit', '100'] });
  try {
    const held = [await open(srv.port), await open(srv.port)];
    await sleep(200);
    const extra = await rawRequest(srv.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n', { timeoutMs: 2000 });
    assert.doesNotMatch(extra, /^HTTP\/1\.1 200 /);
    held.forEach((s) => s.destroy());
    await sleep(300);
    const again = await rawRequest(srv.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.match(again, /^HTTP\/1\.1 200 /);
  } finally { await srv.stop(); }
});

test('R8 slow headers (one byte at a time) are cut off at the request deadline; others are served meanwhile', async () => {
  const srv = await startServer({ args: ['--request-deadline', '2', '--connection-timeout', '30'] });
  try {
    const slow = await open(srv.port);
    slow.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    const header = 'X-Slow: ' + 'a'.repeat(200);
    let sent = 0;
    const t0 = Date.now();
    while (!slow.gone && sent < header.length && Date.now() - t0 < 15000) {
      slow.write(header[sent++]);
      await sleep(250);
      if (sent === 4) {
        const r = await rawRequest(srv.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
        assert.match(r, /^HTTP\/1\.1 200 /, 'a normal client is served while the slow one trickles');
      }
    }
    assert.ok(slow.gone, 'the slow connection was closed');
    assert.ok(sent < header.length, 'before its headers were complete');
    assert.equal(slow.data, '');
    assert.match(srv.log(), /request headers outlived the deadline/);
  } finally { await srv.stop(); }
});

test('R8 a keep-alive connection is not cut while its requests keep coming', async () => {
  const srv = await startServer({ args: ['--request-deadline', '1'] });
  try {
    const s = await open(srv.port);
    for (let i = 0; i < 6; i++) {
      s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      await sleep(400);
    }
    assert.equal(s.gone, false);
    assert.equal(s.data.match(/HTTP\/1\.1 200 /g).length, 6);
  } finally { await srv.stop(); }
});
