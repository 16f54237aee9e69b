// files_store.test.mjs: the files store over HTTP (issue 15 item 1, SECURITY.md S26): uploads
// judged by their bytes (415 otherwise, whatever the name or Content-Type says), EXIF
// GPS gone from a stored photo (read back and parsed here), thumbnails, Content-
// Disposition and a strict type, a file of another scope answers 404 (and an upload to
// another scope's record too), 20 MiB cap (a 200 MiB upload refused before its body),
// the per-organization quota, deleted with the record. Runs on both stores.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { ROOT, rawRequest, problemOk } from './lib/server.mjs';
import { district, as, upload, download } from './lib/roster_api.mjs';

const DATA = join(ROOT, 'tests/api/data');
const JPEG = readFileSync(join(DATA, 'photo.jpg'));
const PNG = readFileSync(join(DATA, 'photo.png'));
const WEBP = readFileSync(join(DATA, 'photo.webp'));

let srv, admin, sec, other, branch, foreign;
before(async () => {
  // a quota of 1 MiB per organization, so that the quota test needs no big files
  srv = await district({ orgs: 40, members: 100, args: ['--file-quota-kib', '1024'] });
  admin = await as(srv, 'district_admin', 1);
  branch = srv.branch(0);
  foreign = srv.branch(1);
  sec = await as(srv, 'branch_secretary', branch);
  other = await as(srv, 'branch_secretary', foreign);
});
after(async () => { await srv.stop(); });

const put = (s, org, buf, name = 'x', type = 'application/octet-stream') =>
  upload(srv, s, `/api/v1/files?owner_kind=org&owner_id=${org}&name=${encodeURIComponent(name)}`, buf, type);

// ---- a JPEG with an Exif APP1 holding GPS and an orientation, built by hand ----
function exifApp1({ orientation = 6, gps = true, secret = 'SECRET-PLACE-31.2304N' } = {}) {
  // big-endian TIFF: IFD0 {Orientation, ImageDescription → secret, GPSInfo → GPS IFD}
  const entries = [];
  const extra = [];
  const ifd0At = 8;
  const n0 = gps ? 3 : 2;
  let dataAt = ifd0At + 2 + n0 * 12 + 4;
  const desc = Buffer.from(`${secret}\0`, 'latin1');
  const descAt = dataAt; dataAt += desc.length; extra.push(desc);
  const gpsAt = dataAt;
  const e = (tag, type, count, value) => { const b = Buffer.alloc(12); b.writeUInt16BE(tag, 0); b.writeUInt16BE(type, 2); b.writeUInt32BE(count, 4); value(b); return b; };
  entries.push(e(0x010e, 2, desc.length, (b) => b.writeUInt32BE(descAt, 8)));
  entries.push(e(0x0112, 3, 1, (b) => b.writeUInt16BE(orientation, 8)));
  if (gps) entries.push(e(0x8825, 4, 1, (b) => b.writeUInt32BE(gpsAt, 8)));
  let gpsIfd = Buffer.alloc(0);
  if (gps) {
    // GPSLatitudeRef 'N', GPSLatitude 31/1 12/1 0/1 (rationals after the IFD)
    const ratAt = gpsAt + 2 + 2 * 12 + 4;
    const rat = Buffer.alloc(24); [31, 1, 12, 1, 0, 1].forEach((v, i) => rat.writeUInt32BE(v, i * 4));
    gpsIfd = Buffer.concat([Buffer.from([0, 2]),
      e(0x0001, 2, 2, (b) => b.write('N\0', 8, 'latin1')),
      e(0x0002, 5, 3, (b) => b.writeUInt32BE(ratAt, 8)),
      Buffer.alloc(4), rat]);
  }
  const tiff = Buffer.concat([Buffer.from('MM\0\x2a\0\0\0\x08', 'latin1'), Buffer.from([0, n0]), ...entries, Buffer.alloc(4), ...extra, gpsIfd]);
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const head = Buffer.alloc(4); head.writeUInt16BE(0xffe1, 0); head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([head, payload]);
}
const withExif = (jpeg, opts) => Buffer.concat([jpeg.subarray(0, 2), exifApp1(opts), jpeg.subarray(2)]);

// The JPEG's segments before the scan: [{marker, data}].
function jpegSegments(buf) {
  assert.equal(buf.readUInt16BE(0), 0xffd8, 'starts with SOI');
  const out = [];
  let i = 2;
  while (i + 4 <= buf.length) {
    assert.equal(buf[i], 0xff, `marker at ${i}`);
    const m = buf[i + 1];
    if (m === 0xda || m === 0xd9) break;
    const len = buf.readUInt16BE(i + 2);
    out.push({ marker: m, data: buf.subarray(i + 4, i + 2 + len) });
    i += 2 + len;
  }
  return out;
}

// Every tag of every IFD reachable from an Exif payload ("Exif\0\0" + TIFF).
function exifTags(payload) {
  const t = payload.subarray(6);
  const le = t.toString('latin1', 0, 2) === 'II';
  const u16 = (o) => (le ? t.readUInt16LE(o) : t.readUInt16BE(o));
  const u32 = (o) => (le ? t.readUInt32LE(o) : t.readUInt32BE(o));
  const tags = new Map();
  const seen = new Set();
  const walk = (off) => {
    if (!off || seen.has(off) || off + 2 > t.length) return;
    seen.add(off);
    const n = u16(off);
    for (let k = 0; k < n; k++) {
      const e = off + 2 + k * 12;
      const tag = u16(e);
      tags.set(tag, u16(e + 8));
      if (tag === 0x8825 || tag === 0x8769) walk(u32(e + 8));
    }
    walk(u32(off + 2 + n * 12));
  };
  walk(u32(4));
  return tags;
}

// PNG chunk types in order.
function pngChunks(buf) {
  const out = [];
  for (let i = 8; i + 12 <= buf.length;) {
    const len = buf.readUInt32BE(i);
    out.push(buf.toString('latin1', i + 4, i + 8));
    i += 12 + len;
  }
  return out;
}

// A PNG with an eXIf chunk and a tEXt chunk inserted after IHDR (CRCs are not checked by
// this test's reader; the server's decoder checks them, so they are computed).
function crc32(buf) {
  let c, crc = 0xffffffff;
  for (const b of buf) { c = (crc ^ b) & 0xff; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; crc = (crc >>> 8) ^ c; }
  return (crc ^ 0xffffffff) >>> 0;
}
function pngChunk(type, data) {
  const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
function pngWithMeta(png) {
  const ihdrEnd = 8 + 12 + png.readUInt32BE(8);
  const exif = exifApp1().subarray(10); // the TIFF part
  return Buffer.concat([png.subarray(0, ihdrEnd), pngChunk('eXIf', exif), pngChunk('tEXt', Buffer.from('Comment\0SECRET-PLACE-31.2304N', 'latin1')), png.subarray(ihdrEnd)]);
}

// A minimal ZIP (stored, no compression) with the given entries.
function zip(entries) {
  const locals = [], centrals = [];
  let off = 0;
  for (const [name, text] of Object.entries(entries)) {
    const data = Buffer.from(text);
    const nm = Buffer.from(name);
    const crc = crc32(data);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0); lh.writeUInt16LE(20, 4); lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(data.length, 18); lh.writeUInt32LE(data.length, 22); lh.writeUInt16LE(nm.length, 26);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0); ch.writeUInt16LE(20, 4); ch.writeUInt16LE(20, 6); ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(data.length, 20); ch.writeUInt32LE(data.length, 24); ch.writeUInt16LE(nm.length, 28); ch.writeUInt32LE(off, 42);
    locals.push(lh, nm, data); centrals.push(ch, nm);
    off += 30 + nm.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(centrals.length / 2, 8); end.writeUInt16LE(centrals.length / 2, 10);
  end.writeUInt32LE(cd.length, 12); end.writeUInt32LE(off, 16);
  return Buffer.concat([...locals, cd, end]);
}
const DOCX = zip({ '[Content_Types].xml': '<Types/>', 'word/document.xml': '<w:document/>' });
const XLSX = zip({ '[Content_Types].xml': '<Types/>', 'xl/workbook.xml': '<workbook/>' });
const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');


test('S26 accepted by the bytes: JPEG, PNG, WebP, PDF, DOCX, XLSX, each with its own type whatever the name says', async () => {
  const cases = [[JPEG, 'image/jpeg', 'a.png'], [PNG, 'image/png', 'b.jpg'], [WEBP, 'image/webp', 'c'], [PDF, 'application/pdf', '会议记录.pdf'],
    [DOCX, 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'd.xlsx'],
    [XLSX, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'e.docx']];
  for (const [buf, type, name] of cases) {
    const r = await put(sec, branch, buf, name, 'text/html');
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.content_type, type);
    assert.equal(r.body.org_id, branch);
    const d = await download(srv, sec, r.body.url);
    assert.equal(d.status, 200);
    assert.equal(d.headers.get('content-type'), type);
    assert.equal(d.headers.get('x-content-type-options'), 'nosniff');
    assert.match(d.headers.get('content-disposition'), type.startsWith('image/') ? /^inline; / : /^attachment; /);
    assert.match(d.headers.get('content-disposition'), /filename\*=UTF-8''/);
    if (!type.startsWith('image/')) assert.deepEqual(d.buf, buf, 'documents are stored as they came');
  }
  const pdf = (await sec.call('GET', `/api/v1/files?owner_kind=org&owner_id=${branch}`)).body.items.find((f) => f.content_type === 'application/pdf');
  assert.equal(pdf.name, '会议记录.pdf');
});

test('S26 refused by the bytes: HTML, SVG, an EXE, a ZIP that is no Office file, a PNG that is cut short: 415, nothing stored', async () => {
  const before = Number(srv.sql('SELECT COUNT(*) FROM files'));
  const bad = [
    Buffer.from('<html><script>alert(1)</script></html>'),
    Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
    Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200)]),
    zip({ 'evil.txt': 'x' }),
    Buffer.concat([Buffer.from('%PDF'), Buffer.from('<html>')]),
  ];
  for (const b of bad) {
    const r = await put(sec, branch, b, 'photo.jpg', 'image/jpeg');
    problemOk(null, r, 415, 'unsupported_file_type');
  }
  const cut = await put(sec, branch, PNG.subarray(0, 60), 'x.png', 'image/png');
  problemOk(null, cut, 415, 'unsupported_file_type');
  const cutJpeg = await put(sec, branch, JPEG.subarray(0, 400), 'x.jpg', 'image/jpeg');
  problemOk(null, cutJpeg, 415, 'unsupported_file_type');
  assert.equal(Number(srv.sql('SELECT COUNT(*) FROM files')), before);
});

test('S26 EXIF GPS gone from a stored JPEG (read back and parsed); the orientation kept; the thumbnail upright', async () => {
  const src = withExif(JPEG, { orientation: 6 });
  assert.ok(src.includes(Buffer.from('SECRET-PLACE')), 'the fixture carries the secret');
  assert.ok(exifTags(jpegSegments(src).find((s) => s.marker === 0xe1).data).has(0x8825), 'the fixture carries GPS');
  const r = await put(sec, branch, src, 'IMG_0001.JPG', 'image/jpeg');
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.width, 640);
  assert.equal(r.body.height, 480);
  assert.equal(r.body.has_thumb, true);
  const stored = (await download(srv, sec, r.body.url)).buf;
  assert.ok(!stored.includes(Buffer.from('SECRET-PLACE')), 'no description left');
  const app1 = jpegSegments(stored).filter((s) => s.marker === 0xe1);
  assert.equal(app1.length, 1, 'one minimal Exif for the orientation');
  const tags = exifTags(app1[0].data);
  assert.ok(!tags.has(0x8825), 'no GPS IFD');
  assert.deepEqual([...tags.keys()], [0x0112]);
  assert.equal(tags.get(0x0112), 6);
  // and straight from the database: the bytes stored are the bytes served
  const hex = srv.sql(`SELECT sha256 FROM files WHERE id = ${r.body.id}`);
  const { createHash } = await import('node:crypto');
  assert.equal(createHash('sha256').update(stored).digest('hex'), hex);
  // the thumbnail: a JPEG at most 320 on its long side, turned upright (portrait)
  const th = await download(srv, sec, r.body.thumb_url);
  assert.equal(th.status, 200);
  assert.equal(th.headers.get('content-type'), 'image/jpeg');
  const sof = jpegSegments(th.buf).find((s) => s.marker === 0xc0 || s.marker === 0xc2);
  const h = sof.data.readUInt16BE(1), w = sof.data.readUInt16BE(3);
  assert.ok(w <= 320 && h <= 320 && h > w, `thumbnail ${w}×${h}`);
  // without an orientation, no Exif at all
  const plain = await put(sec, branch, withExif(JPEG, { orientation: 1 }), 'p.jpg');
  const pb = (await download(srv, sec, plain.body.url)).buf;
  assert.equal(jpegSegments(pb).filter((s) => s.marker === 0xe1).length, 0);
});

test('S26 PNG eXIf and text chunks gone; WebP stored and thumbnailed', async () => {
  const r = await put(sec, branch, pngWithMeta(PNG), 'a.png');
  assert.equal(r.status, 201, r.text);
  const stored = (await download(srv, sec, r.body.url)).buf;
  const chunks = pngChunks(stored);
  assert.ok(!chunks.includes('eXIf') && !chunks.includes('tEXt'), chunks.join(','));
  assert.ok(!stored.includes(Buffer.from('SECRET-PLACE')));
  assert.equal(r.body.has_thumb, true);
  const w = await put(sec, branch, WEBP, 'w.webp');
  assert.equal(w.status, 201, w.text);
  assert.deepEqual([w.body.width, w.body.height], [400, 300]);
  assert.equal((await download(srv, sec, w.body.thumb_url)).status, 200);
});

test('S26 a file of another scope answers 404, as a missing one; an upload to another scope\'s record too', async () => {
  const r = await put(sec, branch, PDF, 'mine.pdf');
  assert.equal(r.status, 201);
  for (const p of [`/api/v1/files/${r.body.id}`, r.body.url, `/api/v1/files?owner_kind=org&owner_id=${branch}`]) {
    const x = await other.call('GET', p);
    problemOk(null, x, 404, 'not_found');
    const missing = await other.call('GET', p.replace(String(r.body.id), '999999').replace(String(branch), '999999'));
    problemOk(null, missing, 404, 'not_found');
  }
  problemOk(null, await other.call('DELETE', `/api/v1/files/${r.body.id}`), 404, 'not_found');
  const before = Number(srv.sql('SELECT COUNT(*) FROM files'));
  problemOk(null, await put(other, branch, PDF, 'x.pdf'), 404, 'not_found');
  problemOk(null, await put(sec, 999999, PDF, 'x.pdf'), 404, 'not_found');
  assert.equal(Number(srv.sql('SELECT COUNT(*) FROM files')), before);
  // the level above sees it
  assert.equal((await download(srv, admin, r.body.url)).status, 200);
  const bad = await put(sec, branch, PDF, 'x', 'application/pdf').then(() => upload(srv, sec, '/api/v1/files?owner_kind=nothing&owner_id=1', PDF));
  problemOk(null, bad, 400, 'validation_failed');
});

test('S26 20 MiB per file: a 200 MiB upload is refused before its body is read; 21 MiB too; 19 MiB taken', async () => {
  const head = (n) => `POST /api/v1/files?owner_kind=org&owner_id=${branch} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${sec.cookie}\r\n`
    + `X-CSRF-Token: ${sec.csrf}\r\nContent-Type: image/jpeg\r\nContent-Length: ${n}\r\n\r\n`;
  const before = Number(srv.sql('SELECT COUNT(*) FROM files'));
  for (const n of [200 * 1024 * 1024, 21 * 1024 * 1024]) {
    const out = await rawRequest(srv.port, head(n) + 'x'.repeat(1000));
    assert.match(out, /^HTTP\/1\.1 413 /);
    assert.match(out, /"code":"body_too_large"/);
  }
  assert.equal(Number(srv.sql('SELECT COUNT(*) FROM files')), before);
  // under the cap the route takes it (and the quota of 1 MiB then refuses it: 409, not 413)
  const r = await put(sec, branch, Buffer.concat([PDF, Buffer.alloc(19 * 1024 * 1024, 0x20)]), 'big.pdf');
  problemOk(null, r, 409, 'quota_exceeded');
});

test('S26 per-organization quota (file_quota_kib): past it 409, nothing stored', async () => {
  const org = srv.branch(2);
  const s = await as(srv, 'branch_secretary', org);
  const big = Buffer.concat([PDF, Buffer.alloc(600 * 1024, 0x20)]);
  assert.equal((await put(s, org, big, 'a.pdf')).status, 201);
  const r = await put(s, org, big, 'b.pdf');
  problemOk(null, r, 409, 'quota_exceeded');
  assert.equal(Number(srv.sql(`SELECT COUNT(*) FROM files WHERE org_id = ${org}`)), 1);
  // chunks: 256 KiB rows
  assert.equal(Number(srv.sql(`SELECT COUNT(*) FROM file_chunks c JOIN files f ON f.id = c.file_id WHERE f.org_id = ${org}`)), 3);
});

test('S26 delete: a file, audited; an organization\'s files go with it', async () => {
  const r = await put(sec, branch, PDF, 'del.pdf');
  const d = await sec.call('DELETE', `/api/v1/files/${r.body.id}`);
  assert.equal(d.status, 204);
  problemOk(null, await sec.call('GET', `/api/v1/files/${r.body.id}`), 404, 'not_found');
  assert.equal(Number(srv.sql(`SELECT COUNT(*) FROM file_chunks WHERE file_id = ${r.body.id}`)), 0);
  assert.ok(Number(srv.sql("SELECT COUNT(*) FROM audit_log WHERE action IN ('file.upload', 'file.delete')")) >= 2);
  const o = await admin.call('POST', '/api/v1/orgs', { parent_id: 1, type: '党支部', domain: '社区', name: '临时支部' });
  assert.equal(o.status, 201, o.text);
  const f = await put(admin, o.body.id, PDF, 'x.pdf');
  assert.equal(f.status, 201);
  assert.equal((await admin.call('DELETE', `/api/v1/orgs/${o.body.id}`)).status, 204);
  assert.equal(Number(srv.sql(`SELECT COUNT(*) FROM files WHERE id = ${f.body.id}`)), 0);
});
