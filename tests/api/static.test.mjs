// static.test.mjs: the built front end served by the binary, from a temporary web root
// made here (independent of web/dist): ETag/304, long cache for hashed assets,
// precompressed gzip, the SPA's index.html for unknown paths, no way out of the root.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { startServer, api, rawRequest, problemOk } from './lib/server.mjs';

let srv, root;
const INDEX = '<!doctype html><html lang="zh-CN"><title>党建服务平台</title><div id="app"></div></html>';
const APP_JS = 'console.log("dangjian");\n'.repeat(50);

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'dj-web-'));
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'index.html'), INDEX);
  writeFileSync(join(root, 'robots.txt'), 'User-agent: *\nDisallow: /\n');
  writeFileSync(join(root, 'assets/app-3f9a1c.js'), APP_JS);
  writeFileSync(join(root, 'assets/app-3f9a1c.js.gz'), gzipSync(APP_JS));
  srv = await startServer({ webRoot: root });
});
after(async () => { await srv.stop(); rmSync(root, { recursive: true, force: true }); });

function secHeaders(h) {
  assert.equal(h.get('x-content-type-options'), 'nosniff');
  assert.match(h.get('content-security-policy'), /frame-ancestors 'none'/);
  assert.equal(h.get('referrer-policy'), 'same-origin');
  assert.match(h.get('x-request-id'), /^[0-9a-f]{8}-[0-9a-f]+$/);
}

test('index.html with an ETag, revalidated (no-cache), 304 on If-None-Match', async () => {
  const r = await api(srv, 'GET', '/');
  assert.equal(r.status, 200);
  assert.equal(r.text, INDEX);
  assert.match(r.headers.get('content-type'), /^text\/html/);
  assert.equal(r.headers.get('cache-control'), 'no-cache');
  secHeaders(r.headers);
  const etag = r.headers.get('etag');
  assert.match(etag, /^"[0-9a-f-]+"$/);
  const c = await api(srv, 'GET', '/', { headers: { 'if-none-match': etag } });
  assert.equal(c.status, 304);
  assert.equal(c.text, '');
  secHeaders(c.headers);
  const other = await api(srv, 'GET', '/', { headers: { 'if-none-match': '"nope"' } });
  assert.equal(other.status, 200);
});

test('hashed assets are cached for a year; gzip sibling served when accepted', async () => {
  const plain = await api(srv, 'GET', '/assets/app-3f9a1c.js', { headers: { 'accept-encoding': 'identity' } });
  assert.equal(plain.status, 200);
  assert.equal(plain.text, APP_JS);
  assert.equal(plain.headers.get('content-encoding'), null);
  assert.equal(plain.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.match(plain.headers.get('content-type'), /^text\/javascript/);
  const raw = await rawRequest(srv.port, 'GET /assets/app-3f9a1c.js HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip, br\r\nConnection: close\r\n\r\n');
  assert.match(raw, /\r\nContent-Encoding: gzip\r\n/i);
  assert.match(raw, /\r\nVary: Accept-Encoding\r\n/i);
  assert.match(raw, new RegExp(`\\r\\nContent-Length: ${gzipSync(APP_JS).length}\\r\\n`, 'i'));
  // fetch decodes it transparently: the content is the same
  const z = await api(srv, 'GET', '/assets/app-3f9a1c.js');
  assert.equal(z.text, APP_JS);
});

test('unknown non-API paths load the SPA; a missing asset and API paths are 404', async () => {
  for (const p of ['/orgs', '/members/12', '/login?next=/x']) {
    const r = await api(srv, 'GET', p);
    assert.equal(r.status, 200, p);
    assert.equal(r.text, INDEX);
  }
  problemOk(null, await api(srv, 'GET', '/assets/missing-123.js'), 404, 'not_found');
  problemOk(null, await api(srv, 'GET', '/api/v1/whatever'), 404, 'not_found');
  const robots = await api(srv, 'GET', '/robots.txt');
  assert.match(robots.text, /Disallow/);
  assert.equal((await api(srv, 'HEAD', '/robots.txt')).status, 200);
  problemOk(null, await api(srv, 'POST', '/orgs'), 405, 'method_not_allowed');
});

test('path traversal refused: /../, %2e%2e, %00, backslash', async () => {
  const paths = ['/../../../etc/passwd', '/assets/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd',
    '/assets/%2E%2E/%2e%2e/etc/passwd', '/index.html%00.js', '/assets%5c..%5c..%5cetc%5cpasswd', '/./index.html'];
  for (const p of paths) {
    const raw = await rawRequest(srv.port, `GET ${p} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    assert.match(raw, /^HTTP\/1\.1 400 /, p);
    assert.doesNotMatch(raw, /root:/);
    assert.match(raw, /"code":"bad_path"/);
    assert.match(raw, /\r\nX-Content-Type-Options: nosniff\r\n/i);
  }
});

test('without a built front end the answer is a 404 problem, not a crash', async () => {
  const bare = await startServer({ webRoot: join(root, 'nonexistent') });
  try {
    const r = await api(bare, 'GET', '/');
    problemOk(null, r, 404, 'not_found');
  } finally { await bare.stop(); }
});
