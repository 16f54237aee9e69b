// body.test.mjs: request bodies (SECURITY.md S17): no byte of a body is read before its
// route's session, CSRF, origin and permission checks pass; an upload past
// body_spool_threshold goes to an unlinked temporary file and is read back through a
// read-only mapping; bytes in flight are capped per user (429) and in total (503).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { rawRequest } from './lib/server.mjs';
import { district, as, upload, waitJob } from './lib/roster_api.mjs';
import { rosterRows, writeCsv } from './lib/roster.mjs';

let srv, admin;
before(async () => {
  // a small spool threshold: the authenticated import below goes through the file
  srv = await district({ orgs: 20, members: 50, args: ['--body-spool-threshold', '4096',
    '--body-inflight-user', '300000', '--body-inflight-total', '600000'] });
  admin = await as(srv, 'district_admin', 1);
});
after(async () => { await srv.stop(); });

// The server's private (anonymous) memory in KiB: the mapped database and spooled
// files are not in it (DESIGN.md §10).
function privateKiB(pid) {
  const t = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (k) => Number((t.match(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm')) || [0, 0])[1]);
  return kb('Anonymous');
}

// One anonymous 64 MiB upload: writes the head and then body bytes until the server
// closes the connection or all are sent; resolves with what the server answered.
function anonymousUpload(port, path, size) {
  return new Promise((res) => {
    const sock = net.connect(port, '127.0.0.1');
    const chunk = Buffer.alloc(1 << 20, 0x41);
    let got = '', sent = 0, finished = false;
    const done = () => { if (!finished) { finished = true; sock.destroy(); res({ got, sent }); } };
    const timer = setTimeout(done, 60000);
    sock.on('data', (d) => { got += d.toString('latin1'); });
    sock.on('close', () => { clearTimeout(timer); done(); });
    sock.on('error', () => {});
    sock.on('connect', () => {
      sock.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nContent-Length: ${size}\r\n\r\n`);
      const pump = () => {
        while (!sock.destroyed && sent < size) {
          sent += chunk.length;
          if (!sock.write(chunk)) { sock.once('drain', pump); return; }
        }
      };
      pump();
    });
  });
}

test('S17: 16 anonymous concurrent 64 MiB uploads to the import route leave the server\'s private memory within a few MiB', async () => {
  const pid = srv.child.pid;
  const path = `/api/v1/members/import?org_id=${srv.branch(0)}`;
  await anonymousUpload(srv.port, path, 1 << 20); // warm the workers up once
  const beforeKiB = privateKiB(pid);
  let peak = beforeKiB;
  const sampler = setInterval(() => { peak = Math.max(peak, privateKiB(pid)); }, 20);
  const rs = await Promise.all(Array.from({ length: 16 }, () => anonymousUpload(srv.port, path, 64 << 20)));
  clearInterval(sampler);
  peak = Math.max(peak, privateKiB(pid));
  // each was refused at its head: the access log has its 401 (the client, still
  // writing, may see the connection reset instead of the answer)
  const refused = srv.log().split('\n').filter((l) => l.includes('"route":"/api/v1/members/import"') && l.includes('"status":401'));
  assert.equal(refused.length, 17, 'sixteen uploads and the warm-up answered 401');
  for (const r of rs) if (r.got) assert.match(r.got, /^HTTP\/1\.1 401 [^]*\r\nConnection: close\r\n/i);
  const answered = rs.filter((r) => r.got).length;
  const sentMiB = rs.reduce((n, r) => n + r.sent, 0) / (1 << 20);
  console.log(`S17: ${answered} of 16 clients read the 401 before the reset; ${sentMiB.toFixed(0)} MiB written by them in all`);
  const grewMiB = (peak - beforeKiB) / 1024;
  console.log(`S17: private memory ${(beforeKiB / 1024).toFixed(1)} MiB before, peak ${(peak / 1024).toFixed(1)} MiB during 16 anonymous 64 MiB uploads (+${grewMiB.toFixed(1)} MiB)`);
  assert.ok(grewMiB < 8, `private memory grew by ${grewMiB.toFixed(1)} MiB`);
  // and the server still answers
  const h = await fetch(srv.base + '/healthz');
  assert.equal(h.status, 200);
});

test('S17: a body announced to a route without a valid CSRF token is refused before it is read', async () => {
  const head = `POST /api/v1/members/import?org_id=${srv.branch(0)} HTTP/1.1\r\nHost: x\r\nCookie: ${admin.cookie}\r\nContent-Type: text/csv\r\nContent-Length: 1000000\r\n\r\n`;
  const r = await rawRequest(srv.port, head, { timeoutMs: 5000 });
  assert.match(r, /^HTTP\/1\.1 403 /);
  assert.match(r, /"code":"csrf_failed"/);
});

test('S17: an authenticated import through the same route works with its body spooled to a temporary file', async () => {
  const rows = rosterRows(40, 31);
  const buf = writeCsv(join(mkdtempSync(join(tmpdir(), 'dj-body-')), 'a.csv'), rows);
  assert.ok(buf.length > 4096, 'the file is over the spool threshold');
  const before = Number(srv.sql('SELECT COUNT(*) FROM members'));
  const r = await upload(srv, admin, `/api/v1/members/import?org_id=${srv.branch(1)}`, buf, 'text/csv');
  assert.equal(r.status, 202, r.text);
  const job = await waitJob(admin, r.body.id);
  assert.equal(job.status, 'done', JSON.stringify(job));
  assert.equal(job.result.imported, 40);
  assert.equal(Number(srv.sql('SELECT COUNT(*) FROM members')), before + 40);
  // nothing is left behind in the spool directory (the database's)
  assert.deepEqual(readdirSync(srv.dir).filter((f) => f.startsWith('dj-body-')), []);
});

async function announced(size, cookie, csrf) {
  const head = `POST /api/v1/members/import?org_id=${srv.branch(0)} HTTP/1.1\r\nHost: x\r\nCookie: ${cookie}\r\nX-CSRF-Token: ${csrf}\r\nContent-Type: text/csv\r\nContent-Length: ${size}\r\n\r\n`;
  return rawRequest(srv.port, head, { timeoutMs: 5000 });
}

test('S17: bytes in flight: over the route\'s cap 413, over the user\'s share 429, over the server\'s total 503, all before the body', async () => {
  const big = await announced(65 << 20, admin.cookie, admin.csrf);
  assert.match(big, /^HTTP\/1\.1 413 /);
  assert.match(big, /"code":"body_too_large"/);
  const user = await announced(400000, admin.cookie, admin.csrf);
  assert.match(user, /^HTTP\/1\.1 429 /);
  assert.match(user, /"code":"uploads_in_flight"/);
  assert.match(user, /application\/problem\+json/);
  const total = await announced(700000, admin.cookie, admin.csrf);
  assert.match(total, /^HTTP\/1\.1 503 /);
  assert.match(total, /"code":"server_busy"/);
  // two uploads of one user at once: the second is over the share while the first is in flight
  const s1 = net.connect(srv.port, '127.0.0.1');
  await new Promise((r) => s1.on('connect', r));
  s1.write(`POST /api/v1/members/import?org_id=${srv.branch(0)} HTTP/1.1\r\nHost: x\r\nCookie: ${admin.cookie}\r\nX-CSRF-Token: ${admin.csrf}\r\nContent-Type: text/csv\r\nContent-Length: 200000\r\n\r\nabc`);
  await new Promise((r) => setTimeout(r, 300));
  const second = await announced(200000, admin.cookie, admin.csrf);
  s1.destroy();
  assert.match(second, /^HTTP\/1\.1 429 /);
});
