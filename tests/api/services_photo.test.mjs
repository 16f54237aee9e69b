// services_photo.test.mjs: the resident's photo on a service request (issue 18, R-SVC-16)
// as the residents' page sends it: the limits the page reads from the public config, a
// camera JPEG with EXIF GPS stored stripped with a thumbnail, a corrupt or oversized
// photo refused with nothing stored, and the Server-Timing figure the bench reads on
// both answers. Runs on SQLite and PostgreSQL (DJ_PG).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, api, rawRequest } from './lib/server.mjs';
import { district, as, download } from './lib/roster_api.mjs';

const JPEG = readFileSync(join(ROOT, 'tests/api/data/photo.jpg'));
let srv, comm, grid;
before(async () => {
  srv = await district({ orgs: 40, members: 100, args: ['--server-timing', '1'] });
  const community = Number(srv.sql('SELECT org_id FROM grids ORDER BY id LIMIT 1'));
  grid = Number(srv.sql(`SELECT id FROM grids WHERE org_id = ${community} ORDER BY id LIMIT 1`));
  comm = await as(srv, 'committee_admin', community);
});
after(async () => { await srv.stop(); });

const count = (table, where = '1=1') => Number(srv.sql(`SELECT COUNT(*) FROM ${table} WHERE ${where}`));
const timing = (headers) => {
  const m = (headers.get('server-timing') || '').match(/^app;dur=(\d+(\.\d+)?)$/);
  assert.ok(m, `Server-Timing: ${headers.get('server-timing')}`);
  return Number(m[1]);
};

async function file() {
  const r = await api(srv, 'POST', '/api/v1/public/services/requests', {
    body: { service_code: 'LIGHT', description: '楼道灯坏了，附照片', grid_id: grid, mobile: '13912345678' },
  });
  assert.equal(r.status, 201, r.text);
  return r;
}
const put = (f, body, type = 'image/jpeg') => fetch(
  `${srv.base}/api/v1/public/services/requests/${f.id}/photo?code=${encodeURIComponent(f.follow_code)}`,
  { method: 'POST', body, headers: { 'content-type': type } });

// an Exif APP1 with GPSInfo (latitude 31° 12′ N) and a description naming the place
function exifGps(secret) {
  const e = (tag, type, n, value) => { const b = Buffer.alloc(12); b.writeUInt16BE(tag, 0); b.writeUInt16BE(type, 2); b.writeUInt32BE(n, 4); value(b); return b; };
  const desc = Buffer.from(`${secret}\0`, 'latin1');
  const descAt = 8 + 2 + 2 * 12 + 4, gpsAt = descAt + desc.length, ratAt = gpsAt + 2 + 2 * 12 + 4;
  const rat = Buffer.alloc(24); [31, 1, 12, 1, 0, 1].forEach((v, i) => rat.writeUInt32BE(v, i * 4));
  const gps = Buffer.concat([Buffer.from([0, 2]), e(1, 2, 2, (b) => b.write('N\0', 8, 'latin1')), e(2, 5, 3, (b) => b.writeUInt32BE(ratAt, 8)), Buffer.alloc(4), rat]);
  const tiff = Buffer.concat([Buffer.from('MM\0\x2a\0\0\0\x08', 'latin1'), Buffer.from([0, 2]),
    e(0x010e, 2, desc.length, (b) => b.writeUInt32BE(descAt, 8)), e(0x8825, 4, 1, (b) => b.writeUInt32BE(gpsAt, 8)), Buffer.alloc(4), desc, gps]);
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const head = Buffer.alloc(4); head.writeUInt16BE(0xffe1, 0); head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([head, payload]);
}

test('R-SVC-16 the public config tells the page what the photo endpoint accepts (one photo, ≤ 8 MiB, JPEG/PNG/WebP)', async () => {
  const r = await api(srv, 'GET', '/api/v1/public/services/config');
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body.photo, { max_bytes: 8 * 1048576, max_count: 1, types: ['image/jpeg', 'image/png', 'image/webp'] });
  timing(r.headers);
});

test('R-SVC-16 a camera JPEG with EXIF GPS: stored without it, with a thumbnail; both answers carry Server-Timing', async () => {
  const f = await file();
  timing(f.headers);
  const secret = 'SECRET-PLACE-31.2304N';
  const shot = Buffer.concat([JPEG.subarray(0, 2), exifGps(secret), JPEG.subarray(2)]);
  const res = await put(f.body, shot);
  assert.equal(res.status, 201, await res.text());
  assert.ok(timing(res.headers) >= 0);
  const r = await comm.call('GET', `/api/v1/services/requests/${f.body.id}`);
  const id = r.body.media_file_id;
  assert.ok(id, r.text);
  const meta = await comm.call('GET', `/api/v1/files/${id}`);
  assert.equal(meta.status, 200, meta.text);
  assert.equal(meta.body.has_thumb, true);
  assert.ok(meta.body.width > 0 && meta.body.height > 0, meta.text);
  const got = await download(srv, comm, `/api/v1/files/${id}/content`);
  assert.equal(got.status, 200);
  assert.equal(got.buf.indexOf(Buffer.from(secret, 'latin1')), -1, 'the place is gone');
  assert.equal(got.buf.indexOf(Buffer.from('Exif\0\0', 'latin1')), -1, 'no Exif left (orientation 1)');
  assert.equal(got.buf.length, JPEG.length, 'the photo is the camera JPEG without its APP1');
  const thumb = await download(srv, comm, `/api/v1/files/${id}/thumb`);
  assert.equal(thumb.status, 200);
  assert.deepEqual([...thumb.buf.subarray(0, 2)], [0xff, 0xd8]);
  assert.equal(Number(srv.sql(`SELECT thumb_size FROM files WHERE id = ${id}`)), thumb.buf.length);
});

test('R-SVC-16 a photo that does not decode, or over 8 MiB, is refused with a Chinese message and nothing is stored', async () => {
  const f = await file();
  const files = count('files'), chunks = count('file_chunks');
  // a JPEG whose markers are whole (it is stripped and its bytes written) but whose frame
  // says 0 lines: it fails in the decode, on the thumbnail's thread: the transaction rolls back
  const broken = Buffer.from(JPEG);
  const sof = broken.findIndex((b, i) => b === 0xff && (broken[i + 1] === 0xc0 || broken[i + 1] === 0xc2));
  assert.ok(sof > 0);
  broken.writeUInt16BE(0, sof + 5);
  const bad = await put(f.body, broken);
  const badBody = await bad.json();
  assert.equal(bad.status, 415, JSON.stringify(badBody));
  assert.match(badBody.detail, /照片/);
  // over the cap: answered before the body is read, and the connection closed (a raw
  // exchange: a client still sending would see the close, not always the answer)
  const out = await rawRequest(srv.port, `POST /api/v1/public/services/requests/${f.body.id}/photo?code=${encodeURIComponent(f.body.follow_code)} HTTP/1.1\r\n`
    + `Host: 127.0.0.1\r\nContent-Type: image/jpeg\r\nContent-Length: ${8 * 1048576 + 1}\r\n\r\n` + 'x'.repeat(1000));
  assert.match(out, /^HTTP\/1\.1 413 /);
  assert.match(out, /"code":"body_too_large"/);
  assert.match(Buffer.from(out, 'latin1').toString('utf8'), /请求体不能超过/);
  assert.equal(count('files'), files);
  assert.equal(count('file_chunks'), chunks);
  // the request takes its photo afterwards all the same
  const ok = await put(f.body, JPEG);
  assert.equal(ok.status, 201, await ok.text());
});
