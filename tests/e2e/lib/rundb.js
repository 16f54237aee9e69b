// The run's database (DJ_E2E_DB, made by tests/e2e/run.mjs) as a test file reads it and
// adds its own accounts to it with the command line, so that a file's flows do not depend
// on what another file did to the shared accounts.
import { spawnSync } from 'node:child_process'
import { dirname } from 'node:path'
import { cli } from '../../api/lib/server.mjs'

/** One query's output (rows on lines, columns split by |), read-only unless told. */
export function runSql(q, { write = false } = {}) {
  const db = process.env.DJ_E2E_DB
  const r = spawnSync('sqlite3', write ? [db, q] : ['-readonly', db, q], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`sqlite3: ${r.stderr}`)
  return r.stdout.trim()
}

/** A new account made with `dangjian user add`, as lib/app.js's login() takes it. */
export function addAccount(username, { name = username, role, org, member } = {}) {
  const args = ['user', 'add', '--username', username, '--name', name, '--role', role]
  if (org) args.push('--org', String(org))
  if (member) args.push('--member', String(member))
  const r = cli(dirname(process.env.DJ_E2E_DB), args)
  const m = r.stdout.match(/one-time password: (\S+)/)
  if (r.status !== 0 || !m) throw new Error(`user add ${username}: ${r.stderr}${r.stdout}`)
  return { username, password: m[1], totpSecret: null, changedPassword: false }
}
