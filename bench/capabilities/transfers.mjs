// bench/capabilities/transfers.mjs: 组织关系接转 at the scale (issue 14): the
// district's in-transit list and counts with 20,000 open transfers (p99 ≤ 10 ms asked),
// a street's, and 200 concurrent acceptances of different transfers (once: time, and
// that every member moved exactly once).
//
// The 20,000 letters are written straight into the run's database (sqlite3, or psql
// for a PostgreSQL run) from 20,000 members: a list page reads only the stored masks,
// so the sealed ID number is a placeholder here (the API test makes real ones). The
// demo's own few transfers stay as they are.
import { spawnSync } from 'node:child_process';

const OPEN = 20000;

function sqlRun(RUNDB, sql) {
  const pg = /^postgres(ql)?:/.test(RUNDB);
  const r = pg ? spawnSync('psql', [RUNDB, '-v', 'ON_ERROR_STOP=1', '-qAtc', sql], { encoding: 'utf8' })
    : spawnSync('sqlite3', ['-bail', RUNDB], { input: `.timeout 60000\n${sql}\n`, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`transfers bench data: ${r.stderr}`);
  return { out: r.stdout.trim(), pg };
}

export default async function transfers({ base, sess, get, http, scenario, RUNDB, log, results, discovered }) {
  const pg = /^postgres(ql)?:/.test(RUNDB);
  const day = (d) => new Date(Date.now() + d * 864e5).toISOString().slice(0, 10);
  const blob = pg ? "'\\x00'::bytea" : "X'00'";
  // members on the roster in branches, not in transit, the newest first (the roster's
  // own scenarios read the first pages); 200 more for the acceptances
  const t0 = process.hrtime.bigint();
  // one in ten already expired (R-TRF-02), for the expired list
  sqlRun(RUNDB, `INSERT INTO transfers (kind, state, open, member_id, from_org_id, from_path, from_org_name, to_org_id, to_path,
      to_org_name, issuer_org_id, serial, name, sex, birth_date, ethnicity, party_status, joined_on, id_cipher, id_blind, id_masked,
      validity_days, sent_on, valid_until, created_at, updated_at)
    SELECT 'within', 'sent', 1, m.id, m.org_id, m.org_path, o.name, d.id, d.path, d.name, 1, 'B' || m.id, m.name, m.sex,
      m.birth_date, m.ethnicity, m.party_status, m.joined_on, ${blob}, ${blob}, COALESCE(m.id_masked, '-'), 30,
      '${day(-10)}', CASE WHEN m.id % 10 = 0 THEN '${day(-1)}' ELSE '${day(20)}' END, 0, 0
    FROM (SELECT id, org_id, org_path, name, sex, birth_date, ethnicity, party_status, joined_on, id_masked FROM members
          WHERE state = 'normal' AND id NOT IN (SELECT member_id FROM transfers WHERE member_id IS NOT NULL)
          ORDER BY id DESC LIMIT ${OPEN + 200}) m
    JOIN orgs o ON o.id = m.org_id
    JOIN orgs d ON d.id = (SELECT MIN(b.id) FROM orgs b WHERE b.type = '党支部' AND b.id <> m.org_id);
    UPDATE members SET state = 'transfer_out' WHERE id IN (SELECT member_id FROM transfers WHERE serial LIKE 'B%');`);
  const n = Number(sqlRun(RUNDB, "SELECT COUNT(*) FROM transfers WHERE open = 1").out);
  results.once.push({ name: `组织关系接转: ${n.toLocaleString('en')} open transfers written`, value: `${(Number(process.hrtime.bigint() - t0) / 1e9).toFixed(1)} s` });

  const env = { DJ_COOKIE: sess.cookie };
  const first = await get('/api/v1/transfers?box=transit&limit=20');
  log(`transfers: district in-transit list total ${first.body.total}`);
  await scenario(`组织关系接转: the district's in-transit list, ${n.toLocaleString('en')} open, first page`, `${base}/api/v1/transfers?box=transit&limit=20`, { env });
  if (first.body.next_cursor) {
    await scenario('组织关系接转: the district\'s in-transit list, next page', `${base}/api/v1/transfers?box=transit&limit=20&cursor=${encodeURIComponent(first.body.next_cursor)}`, { env });
  }
  await scenario('组织关系接转: the district\'s expired letters', `${base}/api/v1/transfers?box=transit&flag=expired&limit=20`, { env });
  await scenario('组织关系接转: a street\'s in-transit list', `${base}/api/v1/transfers?box=transit&org_id=${discovered.street.id}&limit=20`, { env });
  await scenario('组织关系接转: the district\'s queue counts (menu)', `${base}/api/v1/transfers/counts`, { env });

  // 200 concurrent acceptances of different transfers: each member moves exactly once
  const ids = sqlRun(RUNDB, `SELECT id FROM transfers WHERE serial LIKE 'B%' AND valid_until >= '${day(0)}' ORDER BY id LIMIT 200`).out.split('\n').map(Number);
  const members = sqlRun(RUNDB, `SELECT COUNT(*) FROM members`).out;
  const a0 = process.hrtime.bigint();
  const replies = await Promise.all(ids.map((id) => http(base, 'POST', `/api/v1/transfers/${id}/accept`, { body: {}, cookie: sess.cookie, csrf: sess.csrf })));
  const ms = Number(process.hrtime.bigint() - a0) / 1e6;
  const ok = replies.filter((r) => r.status === 200).length;
  const moved = sqlRun(RUNDB, `SELECT COUNT(*) FROM members m JOIN transfers t ON t.member_id = m.id WHERE t.id IN (${ids.join(',')}) AND m.org_id = t.to_org_id`).out;
  const after = sqlRun(RUNDB, `SELECT COUNT(*) FROM members`).out;
  results.once.push({
    name: '组织关系接转: 200 concurrent acceptances of different transfers',
    value: `${ms.toFixed(0)} ms in all; ${ok} accepted, ${moved} members moved, roster ${members} → ${after}`,
  });
}
