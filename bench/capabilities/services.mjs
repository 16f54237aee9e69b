// bench/capabilities/services.mjs: 社区服务 (issue 18). Builds 1,000,000 service requests
// over the last year in the bench district (SQLite, straight into RUNDB with the sqlite3
// shell in one transaction: synthetic rows without contact data), then measures the
// public Open311 list GET /open311/v2/requests.json filtered by date and status (the
// issue's bar: p99 ≤ 10 ms), one request, and the server time of filing a request on
// the residents' endpoint, without and with a photo (≤ 100 ms with the photo the page sends). The server runs with the public per-address limits lifted
// (bench/run.mjs). BENCH_QUICK: 100,000 requests.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { serverTiming } from './meetings.mjs';

function sqlite(db, sql) {
  const r = spawnSync('sqlite3', ['-cmd', '.timeout 60000', db], { input: sql, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`sqlite3: ${r.stderr}`);
  return r.stdout.trim();
}

export default async function services({ base, scenario, results, log, QUICK, RUNDB, http, drain, DATA, ROOT }) {
  if ((process.env.BENCH_DB || 'sqlite').toLowerCase() !== 'sqlite') {
    log('services: the Open311 scenarios run on the SQLite bench only');
    return;
  }
  const N = QUICK ? 100000 : 1000000;
  const have = Number(sqlite(RUNDB, 'SELECT COUNT(*) FROM svc_requests;'));
  const now = Math.floor(Date.now() / 1000);
  if (have < N) {
    const add = N - have;
    const t0 = Date.now();
    // spread evenly over the year, newest first; state by i mod 20: 2 accepted, 1 dispatched,
    // 1 in progress, 3 completed, 1 rejected, 12 rated (9 of them satisfied)
    sqlite(RUNDB, `
      BEGIN IMMEDIATE;
      CREATE TEMP TABLE bg (k INTEGER PRIMARY KEY, gid INTEGER, org_id INTEGER, path TEXT);
      INSERT INTO bg (gid, org_id, path) SELECT g.id, g.org_id, o.path FROM grids g JOIN orgs o ON o.id = g.org_id ORDER BY g.id;
      CREATE TEMP TABLE bs (k INTEGER PRIMARY KEY, sid INTEGER, sla INTEGER);
      INSERT INTO bs (sid, sla) SELECT id, sla_hours FROM svc_services ORDER BY id;
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${add}),
      c AS (SELECT (SELECT COUNT(*) FROM bg) AS ng, (SELECT COUNT(*) FROM bs) AS ns),
      x AS (SELECT i, ${now} - (i * 31536000) / ${add} AS at, i % 20 AS st,
                   1 + (i * 7919) % c.ng AS gk, 1 + i % c.ns AS sk FROM n, c)
      INSERT INTO svc_requests (service_id, org_id, org_path, grid_id, description, address, lat_e6, lon_e6, channel, state, is_open,
                                requested_at, updated_at, due_at, completed_at, follow_hash, rating, rated_at, status_note)
      SELECT bs.sid, bg.org_id, bg.path, bg.gid, '压测诉求 ' || x.i || '：楼道灯不亮，请尽快处理', '压测路' || (x.i % 200) || '号',
             31130000 + (x.i * 37) % 90000, 121400000 + (x.i * 53) % 80000, 'open311',
             CASE WHEN x.st < 2 THEN 'accepted' WHEN x.st = 2 THEN 'dispatched' WHEN x.st = 3 THEN 'in_progress'
                  WHEN x.st < 7 THEN 'completed' WHEN x.st = 7 THEN 'rejected' ELSE 'rated' END,
             CASE WHEN x.st < 4 THEN 1 ELSE 0 END, x.at, x.at + 3600, x.at + bs.sla * 3600,
             CASE WHEN x.st >= 4 AND x.st <> 7 THEN x.at + 7200 END, randomblob(16),
             CASE WHEN x.st >= 8 THEN (CASE WHEN x.st < 17 THEN 'satisfied' WHEN x.st < 19 THEN 'basic' ELSE 'unsatisfied' END) END,
             CASE WHEN x.st >= 8 THEN x.at + 10800 END,
             CASE WHEN x.st >= 4 AND x.st <> 7 THEN '已办结' END
      FROM x JOIN bg ON bg.k = x.gk JOIN bs ON bs.k = x.sk;
      COMMIT;
      ANALYZE svc_requests;`);
    results.once.push({ name: `社区服务: ${add.toLocaleString('en')} requests written (sqlite3, one transaction)`, value: `${((Date.now() - t0) / 1000).toFixed(1)} s` });
    // the GB of pages just written go to the disk before the rows, not during them: the
    // kernel throttles a process that dirties pages past dirty_ratio, and the server's
    // access-log writes were measured as p99 (docs/perf-notes-tails.md)
    const t1 = Date.now();
    spawnSync('sync', ['-f', RUNDB]);
    log(`services: written pages synced in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
  }
  const total = Number(sqlite(RUNDB, 'SELECT COUNT(*) FROM svc_requests;'));
  const iso = (t) => new Date(t * 1000).toISOString().slice(0, 19) + 'Z';
  const label = `${total.toLocaleString('en')} requests`;
  const o311 = `${base}/open311/v2/requests.json`;
  // a handful of connections: the bar is a latency one (p99 ≤ 10 ms), not a queue's.
  // Each request comes from a random resident's address through the proxy (DJ_XFF: the
  // server trusts 127.0.0.1 as production trusts its TLS proxy): from one address, the
  // per-address limit (at most 1,000,000 a minute) answered 429 to a third of the
  // requests/{id}.json scenario's 35,000 req/s in the run of 2026-12-01
  const opts = { conns: 8, env: { DJ_XFF: '1' } };
  await scenario(`社区服务: Open311 requests.json, status=open, last 30 days (${label})`,
    `${o311}?status=open&start_date=${iso(now - 30 * 86400)}&end_date=${iso(now)}`, opts);
  await scenario(`社区服务: Open311 requests.json, status=closed, a week 200 days ago (${label})`,
    `${o311}?status=closed&start_date=${iso(now - 207 * 86400)}&end_date=${iso(now - 200 * 86400)}`, opts);
  await scenario(`社区服务: Open311 requests.json, service_code=LIGHT, status=open, 90 days (${label})`,
    `${o311}?service_code=LIGHT&status=open&start_date=${iso(now - 90 * 86400)}&end_date=${iso(now)}`, opts);
  await scenario(`社区服务: Open311 requests.json, no filter (the last 90 days) (${label})`, o311, opts);
  const one = sqlite(RUNDB, 'SELECT MAX(id) / 2 FROM svc_requests;');
  await scenario(`社区服务: Open311 requests/{id}.json (${label})`, `${base}/open311/v2/requests/${one}.json`, opts);

  // filing on the residents' endpoint, one at a time: the server's time is each answer's
  // Server-Timing (app;dur, as the access log measures it); the round trip on loopback
  // is the second figure
  await drain(base);
  const grid = Number(sqlite(RUNDB, 'SELECT MIN(id) FROM grids;'));
  const file = async (i) => {
    const r = await http(base, 'POST', '/api/v1/public/services/requests', {
      body: { service_code: 'LIGHT', description: `压测：楼道灯不亮 ${i}`, grid_id: grid, mobile: '13912345678', lat: 31.18, long: 121.44 },
    });
    return { status: r.status, srv: serverTiming(r), id: r.body && r.body.id, code: r.body && r.body.follow_code };
  };
  const stats = (a) => {
    const s = [...a].sort((x, y) => x - y);
    return (p) => s[Math.min(s.length - 1, Math.floor(s.length * p))].toFixed(1);
  };
  const badText = (bad, codes) => (bad ? `, ${bad} not 201 (${Object.entries(codes).map(([k, v]) => `HTTP ${k} × ${v}`).join(', ')})` : '');
  {
    const srv = [], rt = [];
    let bad = 0;
    const codes = {};
    for (let i = 0; i < (QUICK ? 20 : 100); i++) {
      const t0 = process.hrtime.bigint();
      const r = await file(i);
      rt.push(Number(process.hrtime.bigint() - t0) / 1e6);
      srv.push(r.srv);
      if (r.status !== 201) { bad++; codes[r.status] = (codes[r.status] || 0) + 1; }
    }
    const q = stats(srv), qr = stats(rt);
    results.once.push({ name: `社区服务: filing a request without a photo (public endpoint, server time, ${srv.length} sequential)`,
      value: `server time median ${q(0.5)} ms, p99 ${q(0.99)} ms; round trip median ${qr(0.5)} ms, p99 ${qr(0.99)} ms${badText(bad, codes)}` });
    log(`services: filing (no photo) server time median ${q(0.5)} ms, p99 ${q(0.99)} ms`);
  }

  // filing with a photo: the request, then its photo (POST …/requests/{id}/photo?code=),
  // the two answers' server times summed. The photo is the one the residents' page sends
  // (the camera's JPEG brought to 1920 px on its long side at quality 0.85 on a canvas,
  // to save the resident's mobile data: bench/capabilities/downscale.c does the same with
  // libjpeg-turbo, which is Chromium's encoder) and, second row, the camera's original
  // (bench-photo.jpg, 4000×3000, as a page without the downsizing would send it). The
  // server checks, strips and thumbnails either.
  const photo = join(DATA, 'bench-photo.jpg');
  const phone = join(DATA, 'bench-photo-1920.jpg');
  if (!existsSync(phone) || statSync(phone).mtimeMs < statSync(photo).mtimeMs) {
    const bin = join(DATA, 'downscale');
    const cc = spawnSync('cc', ['-O2', join(ROOT, 'bench/capabilities/downscale.c'), '-o', bin, '-ljpeg'], { encoding: 'utf8' });
    if (cc.status !== 0) throw new Error(`downscale: ${cc.stderr}`);
    const d = spawnSync(bin, [photo, phone, '1920', '85'], { encoding: 'utf8' });
    if (d.status !== 0) throw new Error(`downscale: ${d.stderr}`);
  }
  const withPhoto = async (path, label) => {
    const bytes = readFileSync(path);
    const srv = [], rt = [];
    let bad = 0;
    const codes = {};
    for (let i = 0; i < (QUICK ? 10 : 50); i++) {
      const t0 = process.hrtime.bigint();
      const r = await file(`照片 ${i}`);
      let sum = r.srv;
      if (r.status !== 201) { bad++; codes[r.status] = (codes[r.status] || 0) + 1; continue; }
      const res = await fetch(`${base}/api/v1/public/services/requests/${r.id}/photo?code=${encodeURIComponent(r.code)}`, {
        method: 'POST', body: bytes, headers: { 'content-type': 'image/jpeg' } });
      await res.arrayBuffer();
      rt.push(Number(process.hrtime.bigint() - t0) / 1e6);
      sum += serverTiming(res);
      srv.push(sum);
      if (res.status !== 201) { bad++; codes[`${res.status} (photo)`] = (codes[`${res.status} (photo)`] || 0) + 1; }
    }
    const q = stats(srv), qr = stats(rt);
    results.once.push({ name: `社区服务: filing a request with ${label} (${(bytes.length / 1024).toFixed(0)} KiB; the request, then its photo; server time summed, ${srv.length} sequential)`,
      value: `server time median ${q(0.5)} ms, p99 ${q(0.99)} ms; round trip median ${qr(0.5)} ms, p99 ${qr(0.99)} ms${badText(bad, codes)}` });
    log(`services: filing with ${label}: server time median ${q(0.5)} ms, p99 ${q(0.99)} ms`);
  };
  await withPhoto(phone, "a photo as the residents' page sends it (the camera's JPEG at 1920×1440, quality 85)");
  await withPhoto(photo, "the camera's original photo (4000×3000 JPEG, not downsized)");
}
