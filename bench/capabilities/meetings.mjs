// bench/capabilities/meetings.mjs: 三会一课 at the bench district's scale (issue 15
// "Performance"). The demo's meetings step has written twelve months of records for
// every branch (counts only at this size), so the module measures:
//   - the compliance heat-map of the whole district for the year (≤ 200 ms): single
//     requests timed one by one (the pass is CPU-bound; wrk would queue them), and a
//     wrk row for the first page of rows;
//   - a branch's meeting list (p99 ≤ 10 ms) with wrk;
//   - a 5 MiB photo upload, thumbnail included (≤ 150 ms server time): a 12-megapixel
//     JPEG made by bench/capabilities/mkjpeg.c (libjpeg, compiled here), uploaded
//     one at a time; the server time is the answer's Server-Timing header (app;dur:
//     from the request's arrival to its answer queued, after the commit, as the access
//     log's ms is measured), the round trip on loopback a second figure.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
// the server's own time for an answer: its Server-Timing header (app;dur=<ms>)
export const serverTiming = (res) => {
  const m = (res.headers.get('server-timing') || '').match(/app;dur=([\d.]+)/);
  if (!m) throw new Error('no Server-Timing header in the answer');
  return Number(m[1]);
};
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };

export default async function meetings({ base, sess, env, get, http, scenario, DATA, ROOT, log, results, QUICK, discovered }) {
  const year = new Date().getUTCFullYear();
  // the whole district's heat-map: the pass over every organization and record
  const heat = `/api/v1/meetings/compliance?org_id=1&year=${year}&limit=50`;
  const first = await get(heat);
  if (first.status !== 200) throw new Error(`compliance: ${first.status} ${JSON.stringify(first.body).slice(0, 200)}`);
  const times = [];
  for (let i = 0; i < (QUICK ? 3 : 9); i++) {
    const t0 = process.hrtime.bigint();
    const r = await get(heat);
    if (r.status !== 200) throw new Error(`compliance: ${r.status}`);
    times.push(ms(t0));
  }
  results.once.push({
    name: `三会一课: compliance heat-map of the whole district for ${year} (${first.body.branches.toLocaleString('en')} branches × 12 months × 7 types; ${(first.body.met + first.body.missing).toLocaleString('en')} items), one request at a time`,
    value: `median ${median(times).toFixed(0)} ms (min ${Math.min(...times).toFixed(0)}, max ${Math.max(...times).toFixed(0)}; target ≤ 200 ms)`,
  });
  log(`meetings: heat-map median ${median(times).toFixed(0)} ms`);

  // a branch's list: the leaf branch the roster's scenarios found, or the first row
  const branch = (discovered.leaf && discovered.leaf.id) || first.body.rows[0]?.org_id;
  await scenario('三会一课: a branch\'s meeting list (50 newest)', `${base}/api/v1/meetings?org_id=${branch}&limit=50`, { env });

  // 5 MiB photo uploads onto one of the branch's records
  const photo = join(DATA, 'bench-photo.jpg');
  if (!existsSync(photo)) {
    const bin = join(DATA, 'mkjpeg');
    const cc = spawnSync('cc', ['-O2', join(ROOT, 'bench/capabilities/mkjpeg.c'), '-o', bin, '-ljpeg'], { encoding: 'utf8' });
    if (cc.status !== 0) throw new Error(`mkjpeg: ${cc.stderr}`);
    const mk = spawnSync(bin, [photo], { encoding: 'utf8' });
    if (mk.status !== 0) throw new Error(`mkjpeg: ${mk.stderr}`);
  }
  const bytes = readFileSync(photo);
  const list = await get(`/api/v1/meetings?org_id=${branch}&limit=20`);
  const target = (list.body.items || []).find((m) => m.status !== 'approved');
  let owner = target?.id;
  if (!owner) {
    const c = await http(base, 'POST', '/api/v1/meetings', { cookie: sess.cookie, csrf: sess.csrf,
      body: { org_id: branch, type: 5, topic: '压测：照片上传', planned_on: `${year}-12-20`, attendance: [] } });
    if (c.status !== 201) throw new Error(`meeting for uploads: ${c.status} ${JSON.stringify(c.body)}`);
    owner = c.body.id;
  }
  const up = [], srv = [];
  for (let i = 0; i < (QUICK ? 3 : 9); i++) {
    const t0 = process.hrtime.bigint();
    const res = await fetch(`${base}/api/v1/files?owner_kind=meeting&owner_id=${owner}&name=bench${i}.jpg`, {
      method: 'POST', body: bytes, headers: { cookie: sess.cookie, 'x-csrf-token': sess.csrf, 'content-type': 'image/jpeg' } });
    const body = await res.json();
    up.push(ms(t0));
    srv.push(serverTiming(res));
    if (res.status !== 201) throw new Error(`upload: ${res.status} ${JSON.stringify(body)}`);
    if (!body.has_thumb) throw new Error('upload: no thumbnail');
    await http(base, 'DELETE', `/api/v1/files/${body.id}`, { cookie: sess.cookie, csrf: sess.csrf });
  }
  results.once.push({
    name: `三会一课: photo upload of ${(statSync(photo).size / 1048576).toFixed(1)} MiB (4000×3000 JPEG; EXIF strip, decode at 1/8, thumbnail, chunks into the database), one at a time`,
    value: `server time median ${median(srv).toFixed(0)} ms (min ${Math.min(...srv).toFixed(0)}, max ${Math.max(...srv).toFixed(0)}; target ≤ 150 ms); round trip median ${median(up).toFixed(0)} ms (min ${Math.min(...up).toFixed(0)}, max ${Math.max(...up).toFixed(0)})`,
  });
  log(`meetings: 5 MiB upload server time median ${median(srv).toFixed(0)} ms, round trip ${median(up).toFixed(0)} ms`);
}
