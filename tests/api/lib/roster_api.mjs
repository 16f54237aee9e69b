// tests/api/lib/roster_api.mjs: a demo district behind a running server, signed-in
// sessions of the roster's roles, raw uploads and binary downloads, and a recorder of
// every response body for S3.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, startServer } from './server.mjs';
import { signIn } from './auth.mjs';
import { sql } from './roster.mjs';

// A fresh directory with a demo district, and a server on it.
export async function district({ orgs = 40, members = 400, seed = 1, args = [] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'dj-roster-api-'));
  const r = cli(dir, ['demo', '--orgs', String(orgs), '--members', String(members), '--seed', String(seed)]);
  if (r.status !== 0) throw new Error(`demo: ${r.stderr}`);
  const srv = await startServer({ dir, args });
  srv.sql = (q) => sql(dir, q);
  srv.branch = (n = 0) => Number(sql(dir, `SELECT id FROM orgs WHERE type = '党支部' ORDER BY id LIMIT 1 OFFSET ${n}`));
  srv.community = (n = 0) => Number(sql(dir, `SELECT id FROM orgs WHERE label IN ('社区党委', '区域党委') ORDER BY id LIMIT 1 OFFSET ${n}`));
  return srv;
}

// Every body seen by the sessions made through here (S3 scans them).
export const seen = [];

export async function as(srv, role, org) {
  const s = await signIn(srv, { role, org });
  const call = s.call.bind(s);
  s.call = async (...a) => {
    const r = await call(...a);
    seen.push({ role, pii: ['district_admin', 'committee_admin'].includes(role), path: a[1], text: r.text });
    return r;
  };
  s.role = role;
  return s;
}

// Raw body upload (imports) with the session's cookie and CSRF token.
export async function upload(srv, s, path, buf, type = 'application/octet-stream') {
  const res = await fetch(srv.base + path, {
    method: 'POST', body: buf,
    headers: { cookie: s.cookie, 'x-csrf-token': s.csrf, 'content-type': type },
  });
  const text = await res.text();
  let body; try { body = JSON.parse(text); } catch { body = undefined; }
  seen.push({ role: s.role, pii: false, path, text });
  return { status: res.status, headers: res.headers, text, body };
}

// A binary download (exports, the template).
export async function download(srv, s, path) {
  const res = await fetch(srv.base + path, { headers: { cookie: s.cookie } });
  const buf = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, buf, text: buf.toString('utf8') };
}

// Polls a job until it is done or failed.
export async function waitJob(s, id, timeoutMs = 60000) {
  const t0 = Date.now();
  for (;;) {
    const r = await s.call('GET', `/api/v1/jobs/${id}`);
    if (r.status !== 200) throw new Error(`job ${id}: ${r.status} ${r.text}`);
    if (['done', 'failed', 'cancelled'].includes(r.body.status)) return r.body;
    if (Date.now() - t0 > timeoutMs) throw new Error(`job ${id} still ${r.body.status}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

// An export as the page makes it (issue 20 #21): POST /members/exports?query starts a
// job, its progress is polled, its file downloaded. A refused start answers as the
// POST did; a job that ended otherwise than done answers {status: 'failed'|'cancelled',
// job}; else the download ({status: 200, headers, buf, text, job}).
export async function exportFile(srv, s, query) {
  const start = await s.call('POST', `/api/v1/members/exports?${query}`);
  if (start.status !== 202) return { ...start, buf: Buffer.from(start.text || '') };
  const job = await waitJob(s, start.body.id);
  if (job.status !== 'done') return { status: job.status, job };
  const r = await download(srv, s, job.result.download);
  return { ...r, job };
}

/** SQL: member m is in the subtree of organization row o (path prefix as a range). */
export function inSubtree(o) {
  return `m.org_path >= ${o}.path AND m.org_path < substr(${o}.path, 1, length(${o}.path) - 1) || '0'`;
}

/** A district of 2,600 members around the list's plan switch (member_query.c
 * SMALL_SUBTREE = 2,000): the root takes the large plan, `small` (the largest subtree of
 * 100–2,000 members, a community or a unit) the small one. */
export async function planDistrict(seed) {
  const srv = await district({ orgs: 60, members: 2600, seed });
  const admin = await as(srv, 'district_admin', 1);
  const root = Number(srv.sql('SELECT id FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1'));
  const small = Number(srv.sql(`SELECT o.id FROM orgs o WHERE o.parent_id IS NOT NULL AND
    (SELECT COUNT(*) FROM members m WHERE ${inSubtree('o')}) BETWEEN 100 AND 2000
    ORDER BY (SELECT COUNT(*) FROM members m WHERE ${inSubtree('o')}) DESC, o.id LIMIT 1`));
  return { srv, admin, root, small };
}
