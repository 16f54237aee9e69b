// paths.test.mjs: requests whose framing libmicrohttpd 0.9.75 normalises before we see
// the headers (SECURITY.md R11): a bare LF ends a line, an obs-fold line is joined (and
// then refused as a bad header), a NUL ends a value. The framing both sides see is then
// the same, so nothing can be smuggled. Each case must get exactly one complete answer,
// to the first request (GET /healthz, or a 400 problem), the server must close the
// connection after it, and nothing may follow it: a second answer would be the hidden
// GET /readyz. No answer at all fails too (the earlier form of this test, in
// http.test.mjs, passed on zero responses).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer } from './lib/server.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv.stop(); });

// Sends data, collects until the server closes or timeoutMs passes: {raw, closed}.
function exchange(port, data, timeoutMs = 4000) {
  return new Promise((res) => {
    const sock = net.connect(port, '127.0.0.1');
    let out = Buffer.alloc(0), settled = false;
    const finish = (closed) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      res({ raw: out.toString('latin1'), closed });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    sock.on('data', (d) => { out = Buffer.concat([out, d]); });
    sock.on('end', () => finish(true));
    sock.on('close', () => finish(true));
    sock.on('error', () => finish(true));
    sock.on('connect', () => sock.write(data));
  });
}

// The responses in raw and what is left after the last complete one.
function parse(raw) {
  const out = [];
  let rest = raw;
  while (rest.startsWith('HTTP/1.1 ')) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const lines = rest.slice(0, end).split('\r\n');
    const headers = {};
    for (const l of lines.slice(1)) { const i = l.indexOf(':'); headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim(); }
    if (!('content-length' in headers)) break;
    const len = Number(headers['content-length']);
    if (rest.length < end + 4 + len) break; // incomplete body
    out.push({ status: Number(lines[0].split(' ')[1]), headers, body: rest.slice(end + 4, end + 4 + len) });
    rest = rest.slice(end + 4 + len);
  }
  return { responses: out, rest };
}

const HIDDEN = 'GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n';
const NORMALISED = {
  'obs-fold': 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\r\n Content-Length: 40\r\nConnection: close\r\n\r\n' + HIDDEN,
  'NUL in a header': 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\0\r\nConnection: close\r\n\r\n' + HIDDEN,
  'bare LF': 'GET /healthz HTTP/1.1\nHost: x\nConnection: close\n\n' + HIDDEN.replace(/\r\n/g, '\n'),
};

for (const [name, req] of Object.entries(NORMALISED)) {
  test(`R11 request smuggling: ${name} is normalised: exactly one answer, to the first request, then close`, async () => {
    const { raw, closed } = await exchange(srv.port, req);
    const { responses, rest } = parse(raw);
    assert.equal(responses.length, 1, `exactly one complete response, got ${responses.length}: ${JSON.stringify(raw)}`);
    assert.equal(rest, '', `nothing after the response: ${JSON.stringify(rest)}`);
    assert.ok(closed, 'the server closed the connection (Connection: close)');
    const [r] = responses;
    if (r.status === 200) {
      // the answer of GET /healthz, not of the hidden GET /readyz (which names the schema)
      assert.deepEqual(JSON.parse(r.body), { status: 'ok' });
    } else {
      assert.equal(r.status, 400, `200 or 400, got ${r.status}`);
      assert.match(r.headers['content-type'], /^application\/problem\+json/);
      assert.equal(JSON.parse(r.body).status, 400);
    }
    assert.doesNotMatch(raw, /"schema"/);
  });
}
