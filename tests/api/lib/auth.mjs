// tests/api/lib/auth.mjs: accounts and signed-in sessions for API tests.
//   addUser(srv, {username, name, role, org})  → one-time password (via `dangjian user add`)
//   signIn(srv, {role, org})                     → a ready Session: password changed, TOTP
//                                                  enrolled for administrator roles
//   login(srv, username, password, code)         → the raw POST /api/v1/session reply (+ session)
//   setClock(srv, offset) / totp(secret, t)      → the test-mode clock and RFC 6238 codes
//   addOrgs(srv, [{id, parent, name}])          → organization rows, written straight into
//                                                  the test database (sqlExec)
// A Session carries the cookie jar and the CSRF token: s.call(method, path, body).
import { createHmac, randomBytes } from 'node:crypto';
import { cli, api, sqlQuery, isPg } from './server.mjs';

let seq = 0;
export const ADMIN_ROLES = ['sysadmin', 'secadmin', 'auditor'];

export function base32Decode(s) {
  const alpha = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0, value = 0;
  const out = [];
  for (const c of s.replace(/=+$/, '').toUpperCase()) {
    value = (value << 5) | alpha.indexOf(c);
    bits += 5;
    if (bits >= 8) { out.push((value >>> (bits - 8)) & 255); bits -= 8; }
  }
  return Buffer.from(out);
}

// The RFC 6238 code (SHA-1, 6 digits, 30 s) of a base32 secret at unix time t.
export function totp(secret, t) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(t / 30)));
  const h = createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const o = h[h.length - 1] & 15;
  const n = ((h[o] & 127) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return String(n % 1000000).padStart(6, '0');
}

// The server's clock (test mode): srv.clockOffset remembers the shift for totp().
export async function setClock(srv, offset) {
  const r = await api(srv, 'PUT', '/api/v1/test/clock', { body: { offset } });
  if (r.status !== 200) throw new Error(`clock: ${r.status} ${r.text}`);
  srv.clockOffset = offset;
}
export function serverNow(srv) { return Math.floor(Date.now() / 1000) + (srv.clockOffset || 0); }

export function addUser(srv, { username, name = '测试用户', role, org }) {
  const args = ['user', 'add', '--username', username, '--name', name, '--role', role];
  if (org) args.push('--org', String(org));
  const r = cli(srv.dir, args);
  const m = r.stdout.match(/one-time password: (\S+)/);
  if (r.status !== 0 || !m) throw new Error(`user add failed (${r.status}): ${r.stderr}`);
  return m[1];
}

// Inserts organizations straight into the test database (the identity branch has no
// organization API). rows: [{id, parent, name}]; paths are derived from the parents.
export function addOrgs(srv, rows) {
  const paths = new Map();
  const sql = ['BEGIN;'];
  for (const { id, parent, name } of rows) {
    const path = (parent ? paths.get(parent) : '/') + `${id}/`;
    paths.set(id, path);
    sql.push(`INSERT INTO orgs (id, parent_id, path, name) VALUES (${id}, ${parent || 'NULL'}, '${path}', '${name.replace(/'/g, "''")}');`);
  }
  // explicit ids leave PostgreSQL's identity sequence behind: move it past them
  if (isPg()) sql.push("SELECT setval(pg_get_serial_sequence('orgs', 'id'), (SELECT MAX(id) FROM orgs));");
  sql.push('COMMIT;');
  sqlQuery(srv.dir, sql.join('\n'));
  return paths;
}

export class Session {
  constructor(srv, cookie, body) { this.srv = srv; this.cookie = cookie; this.update(body); }
  update(body) { if (body) { this.body = body; this.csrf = body.csrf_token; this.user = body.user; } }
  async call(method, path, body, headers = {}) {
    const h = { cookie: this.cookie, ...headers };
    if (method !== 'GET' && this.csrf && !('x-csrf-token' in headers)) h['x-csrf-token'] = this.csrf;
    const r = await api(this.srv, method, path, { body, headers: h });
    const c = sessionCookie(r);
    if (c !== undefined) this.cookie = c;
    return r;
  }
}

// The session cookie a reply sets ('' when cleared), or undefined.
export function sessionCookie(r) {
  for (const c of r.headers.getSetCookie ? r.headers.getSetCookie() : []) {
    const m = c.match(/^((?:__Host-)?dj_session)=([^;]*)/);
    if (m) return m[2] ? `${m[1]}=${m[2]}` : '';
  }
  return undefined;
}

export async function login(srv, username, password, code, headers = {}) {
  const body = { username, password };
  if (code) body.totp = code;
  const r = await api(srv, 'POST', '/api/v1/session', { body, headers });
  r.session = r.status === 200 ? new Session(srv, sessionCookie(r), r.body) : null;
  return r;
}

export function strongPassword() { return `Dj-${randomBytes(9).toString('base64url')}-9x`; }

// A user with role at org, signed in and ready: the one-time password replaced, and for
// the administrator roles TOTP enrolled. Returns the Session with .password, .secret.
export async function signIn(srv, { role, org, username } = {}) {
  username = username || `${role}${process.pid}x${++seq}`;
  const otp = addUser(srv, { username, role, org });
  const first = await login(srv, username, otp);
  if (first.status !== 200) throw new Error(`login ${username}: ${first.status} ${first.text}`);
  const s = first.session;
  const password = strongPassword();
  const ch = await s.call('PUT', '/api/v1/session/password', { old_password: otp, new_password: password });
  if (ch.status !== 200) throw new Error(`password change: ${ch.status} ${ch.text}`);
  s.update(ch.body);
  s.password = password;
  s.username = username;
  if (ADMIN_ROLES.includes(role)) {
    const st = await s.call('POST', '/api/v1/session/totp');
    if (st.status !== 200) throw new Error(`totp start: ${st.status} ${st.text}`);
    s.secret = st.body.secret;
    const cf = await s.call('PUT', '/api/v1/session/totp', { code: totp(s.secret, serverNow(srv)) });
    if (cf.status !== 200) throw new Error(`totp confirm: ${cf.status} ${cf.text}`);
    s.update(cf.body);
  }
  return s;
}
