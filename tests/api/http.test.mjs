// http.test.mjs: the HTTP layer against the real binary: problem+json shapes, security
// headers, limits (413 without reading the body, 414, 431, the per-request deadline,
// the per-IP cap), malformed JSON, request smuggling, request ids, the access log and
// keep-alive (SECURITY.md R9, R10, R11, S12; DESIGN.md §6, §10).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer, api, rawRequest, problemOk, holdWriteLock } from './lib/server.mjs';

let srv;
before(async () => { srv = await startServer({ args: ['--body-cap', '1000'] }); });
after(async () => { await srv.stop(); });

const SECURITY_HEADERS = {
  'x-content-type-options': /^nosniff$/,
  'content-security-policy': /default-src 'self'.*frame-ancestors 'none'/,
  'referrer-policy': /^same-origin$/,
  'x-request-id': /^[0-9a-f]{8}-[0-9a-f]+$/,
};
function headersOk(h, { api: isApi = true } = {}) {
  for (const [k, re] of Object.entries(SECURITY_HEADERS)) assert.match(h.get(k) || '', re, k);
  if (isApi) assert.equal(h.get('cache-control'), 'no-store');
}

// Parses the responses in a raw exchange: [{status, headers (lower-case), body}].
function responses(raw) {
  const out = [];
  let rest = raw;
  while (rest.startsWith('HTTP/1.1 ')) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const lines = rest.slice(0, end).split('\r\n');
    const headers = {};
    for (const l of lines.slice(1)) { const i = l.indexOf(':'); headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim(); }
    const len = Number(headers['content-length'] || 0);
    const body = rest.slice(end + 4, end + 4 + len);
    out.push({ status: Number(lines[0].split(' ')[1]), headers, body });
    rest = rest.slice(end + 4 + len);
  }
  return out;
}

// Opens a socket, writes parts with pauses, resolves {data, closedByServer}.
function exchange(port, parts, { timeoutMs = 8000 } = {}) {
  return new Promise((res) => {
    const sock = net.connect(port, '127.0.0.1');
    let data = Buffer.alloc(0), settled = false;
    const finish = (closedByServer) => { if (settled) return; settled = true; clearTimeout(timer); sock.destroy(); res({ data: data.toString('latin1'), closedByServer }); };
    const timer = setTimeout(() => finish(false), timeoutMs);
    sock.on('data', (d) => { data = Buffer.concat([data, d]); });
    sock.on('end', () => finish(true));
    sock.on('close', () => finish(true));
    sock.on('error', () => finish(true));
    sock.on('connect', async () => {
      for (const [chunk, pause] of parts) {
        if (sock.destroyed) return;
        sock.write(chunk);
        await new Promise((r) => setTimeout(r, pause));
      }
    });
  });
}

test('S12 404 is problem+json with the security headers', async () => {
  const r = await api(srv, 'GET', '/api/v1/no-such-thing');
  problemOk(null, r, 404, 'not_found');
  assert.equal(r.body.type, 'urn:dangjian:problem:not_found');
  assert.equal(r.body.instance, r.headers.get('x-request-id'));
  headersOk(r.headers);
});

test('S12 405 names the allowed methods; TRACE is refused', async () => {
  const r = await api(srv, 'DELETE', '/healthz');
  problemOk(null, r, 405, 'method_not_allowed');
  assert.equal(r.headers.get('allow'), 'GET, HEAD');
  headersOk(r.headers);
  const t = responses(await rawRequest(srv.port, 'TRACE /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
  assert.equal(t.length, 1);
  assert.equal(t[0].status, 405);
  assert.doesNotMatch(t[0].body, /TRACE \/healthz/);
});

test('S12 errors carry no internals or version banner', async () => {
  const r = await api(srv, 'GET', '/api/v1/%ff%fe');
  assert.ok(r.status >= 400 && r.status < 500);
  assert.equal(r.headers.get('server'), null);
  assert.doesNotMatch(r.text, /sqlite|\.c:|\/src\/|microhttpd/i);
});

test('S12 no Server-Timing by default: how long an answer took is told only with --server-timing (make bench)', async () => {
  for (const p of ['/api/v1/%ff%fe', '/api/v1/session', '/healthz']) assert.equal((await api(srv, 'GET', p)).headers.get('server-timing'), null, p);
});

test('S12 security headers on success responses and metrics', async () => {
  for (const p of ['/healthz', '/readyz', '/metrics']) headersOk((await api(srv, 'GET', p)).headers);
});

test('R9 oversized Content-Length gets 413 before the body is read', async () => {
  const { data, closedByServer } = await exchange(srv.port, [[
    'PUT /api/v1/test/clock HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n{"offset":', 5000]]);
  const rs = responses(data);
  assert.equal(rs.length, 1);
  assert.equal(rs[0].status, 413);
  assert.equal(JSON.parse(rs[0].body).code, 'body_too_large');
  assert.match(rs[0].headers['content-type'], /^application\/problem\+json/);
  assert.equal(rs[0].headers.connection, 'close');
  assert.ok(closedByServer, 'the server closes the connection instead of reading 100 MB');
});

test('R9 chunked body over the cap: 413 at its end, nothing stored, connection closed', async () => {
  // libmicrohttpd 0.9.75 cannot answer while a body is arriving; the bytes past the cap
  // are dropped (not stored) and the 413 goes out when the body ends
  const c = `${(600).toString(16)}\r\n${'x'.repeat(600)}\r\n`;
  const { data, closedByServer } = await exchange(srv.port, [
    ['PUT /api/v1/test/clock HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n', 50],
    [c, 50], [c, 50], [c, 50], ['0\r\n\r\n', 5000]]);
  const rs = responses(data);
  assert.equal(rs.length, 1);
  assert.equal(rs[0].status, 413);
  assert.equal(JSON.parse(rs[0].body).code, 'body_too_large');
  assert.ok(closedByServer);
});

test('R9 an endless chunked body is cut off after a bounded read', async () => {
  const big = `${(64 * 1024).toString(16)}\r\n${'y'.repeat(64 * 1024)}\r\n`;
  const parts = [['PUT /api/v1/test/clock HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n', 20]];
  for (let i = 0; i < 64; i++) parts.push([big, 5]); // 4 MiB offered against a 1000-byte cap
  const { closedByServer } = await exchange(srv.port, parts, { timeoutMs: 10000 });
  assert.ok(closedByServer, 'the server closed the connection');
  await new Promise((r) => setTimeout(r, 100));
  const line = srv.log().trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.msg === 'access' && l.status === 413).pop();
  assert.ok(line && line.route === '/api/v1/test/clock');
});

test('R9 long URI gets 414, huge headers get 431', async () => {
  const r = await api(srv, 'GET', '/api/v1/' + 'a'.repeat(9000));
  problemOk(null, r, 414, 'uri_too_long');
  headersOk(r.headers);
  const q = await api(srv, 'GET', '/healthz?x=' + 'b'.repeat(9000));
  problemOk(null, q, 414, 'uri_too_long');
  const h = await api(srv, 'GET', '/healthz', { headers: { 'x-big': 'c'.repeat(20000) } });
  problemOk(null, h, 431, 'headers_too_large');
  headersOk(h.headers);
});

test('malformed JSON → 400 with the field "body"', async () => {
  const r = await api(srv, 'PUT', '/api/v1/test/clock', { raw: '{"offset": 1,', headers: { 'content-type': 'application/json' } });
  problemOk(null, r, 400, 'validation_failed');
  assert.equal(r.body.errors[0].field, 'body');
  assert.equal(r.body.errors[0].code, 'invalid_json');
  const d = await api(srv, 'PUT', '/api/v1/test/clock', { raw: '{"offset":1,"offset":2}', headers: { 'content-type': 'application/json' } });
  assert.equal(d.body.errors[0].code, 'duplicate_key');
  const arr = await api(srv, 'PUT', '/api/v1/test/clock', { body: [1] });
  assert.equal(arr.body.errors[0].field, 'body');
  const ct = await api(srv, 'PUT', '/api/v1/test/clock', { raw: 'offset=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  problemOk(null, ct, 415, 'unsupported_media_type');
});

test('S12: a JSON route answers 415 problem+json to a body whose Content-Type is missing or not JSON, before reading it', async () => {
  for (const ct of [null, 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
    const body = '{"offset":0}';
    const head = `PUT /api/v1/test/clock HTTP/1.1\r\nHost: x\r\n${ct ? `Content-Type: ${ct}\r\n` : ''}Content-Length: ${body.length}\r\n\r\n`;
    // the head alone is answered: the body is never needed
    const rs = responses(await rawRequest(srv.port, head));
    assert.equal(rs.length, 1, String(ct));
    assert.equal(rs[0].status, 415, String(ct));
    assert.match(rs[0].headers['content-type'], /^application\/problem\+json/);
    assert.equal(JSON.parse(rs[0].body).code, 'unsupported_media_type');
  }
  // a Buffer body gets no Content-Type from fetch: 415 too
  const r = await api(srv, 'PUT', '/api/v1/test/clock', { raw: Buffer.from('{"offset":0}') });
  problemOk(null, r, 415, 'unsupported_media_type');
  // JSON (and merge-patch) with parameters is accepted
  const ok = await api(srv, 'PUT', '/api/v1/test/clock', { raw: '{"offset":0}', headers: { 'content-type': 'application/json; charset=utf-8' } });
  assert.equal(ok.status, 200, ok.text);
});

test('invalid UTF-8 in the body → 400 invalid_utf8 on "body"', async () => {
  const body = Buffer.concat([Buffer.from('{"offset":0,"x":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
  const head = `PUT /api/v1/test/clock HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
  const rs = responses(await rawRequest(srv.port, Buffer.concat([Buffer.from(head), body])));
  assert.equal(rs.length, 1);
  assert.equal(rs[0].status, 400);
  const p = JSON.parse(Buffer.from(rs[0].body, 'latin1').toString('utf8'));
  assert.equal(p.errors[0].field, 'body');
  assert.equal(p.errors[0].code, 'invalid_utf8');
});

test('a valid body reaches the handler; bad values are field errors', async () => {
  const ok = await api(srv, 'PUT', '/api/v1/test/clock', { body: { offset: 0 } });
  assert.equal(ok.status, 200);
  const bad = await api(srv, 'PUT', '/api/v1/test/clock', { body: { offset: 'soon' } });
  problemOk(null, bad, 400, 'validation_failed');
  assert.deepEqual(bad.body.errors.map((e) => [e.field, e.code]), [['offset', 'invalid_integer']]);
});

// Each case must be refused with one 400 and nothing after it: a request hidden in the
// body must never be answered.
const SMUGGLE = {
  'CL+TE': 'POST /api/v1/test/write HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /readyz HTTP/1.1\r\nHost: x\r\n\r\n',
  'duplicate CL': 'POST /api/v1/test/write HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 44\r\n\r\nGET /readyz HTTP/1.1\r\nHost: x\r\n\r\n',
  'TE not chunked': 'POST /api/v1/test/write HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\nGET /readyz HTTP/1.1\r\nHost: x\r\n\r\n',
  'space in header name': 'GET /healthz HTTP/1.1\r\nHost: x\r\nContent Length: 5\r\n\r\n',
  'space before colon': 'GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\n',
};
for (const [name, req] of Object.entries(SMUGGLE)) {
  test(`R11 request smuggling: ${name} → 400, never a second response`, async () => {
    const raw = await rawRequest(srv.port, req, { timeoutMs: 2000 });
    const rs = responses(raw);
    assert.equal(rs.length, 1, raw);
    assert.equal(rs[0].status, 400);
    assert.doesNotMatch(raw, /"schema"/);
  });
}

// The cases libmicrohttpd normalises (obs-fold, NUL, bare LF) are in paths.test.mjs.

test('X-Request-Id on every response and in the access log; no query strings logged', async () => {
  const secret = 'q' + Math.random().toString(36).slice(2);
  const r1 = await api(srv, 'GET', `/healthz?token=${secret}`);
  const r2 = await api(srv, 'GET', `/api/v1/missing?name=${secret}`);
  const r3 = await api(srv, 'DELETE', '/healthz');
  const ids = [r1, r2, r3].map((r) => r.headers.get('x-request-id'));
  assert.equal(new Set(ids).size, 3);
  await new Promise((r) => setTimeout(r, 100));
  const log = srv.log();
  const lines = log.trim().split('\n').map((l) => JSON.parse(l));
  for (const id of ids) {
    const line = lines.find((l) => l.req === id && l.msg === 'access');
    assert.ok(line, `access line for ${id}`);
  }
  assert.equal(lines.find((l) => l.req === ids[0]).route, '/healthz');
  assert.equal(lines.find((l) => l.req === ids[1]).path, '/api/v1/missing');
  assert.ok(!log.includes(secret), 'a query string reached the log');
  assert.ok(!log.includes('?'), 'no query string in the log at all');
});

test('S3 a personal number typed into an unknown path does not reach the log', async () => {
  const r = await api(srv, 'GET', '/api/v1/lookup/11010519491231002X/13812345678');
  assert.equal(r.status, 404);
  await new Promise((res) => setTimeout(res, 100));
  const line = srv.log().trim().split('\n').map((l) => JSON.parse(l)).find((l) => l.req === r.headers.get('x-request-id'));
  assert.equal(line.path, '/api/v1/lookup/#X/#');
  assert.doesNotMatch(srv.log(), /\d{17}[\dXx]|1[3-9]\d{9}/);
});

test('keep-alive: two requests on one connection get two responses, connection stays open', async () => {
  const req = 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n';
  const { data, closedByServer } = await exchange(srv.port, [[req, 300], [req, 300]], { timeoutMs: 1500 });
  const rs = responses(data);
  assert.equal(rs.length, 2);
  assert.ok(rs.every((r) => r.status === 200 && r.headers.connection !== 'close'));
  assert.equal(closedByServer, false);
});

test('R5 a held write lock answers 503 with Retry-After, never 500', async () => {
  const holder = await holdWriteLock(srv.dir);
  try {
    const r = await api(srv, 'POST', '/api/v1/test/write');
    problemOk(null, r, 503, 'db_busy');
    assert.equal(r.headers.get('retry-after'), '1');
  } finally {
    await holder.release();
  }
  const ok = await api(srv, 'POST', '/api/v1/test/write');
  assert.equal(ok.status, 201);
  const m = await api(srv, 'GET', '/metrics');
  assert.match(m.text, /dj_db_busy_total [1-9]/);
  assert.match(m.text, /route="\/api\/v1\/test\/write",status="503"\} 1/);
});
