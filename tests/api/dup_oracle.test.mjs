// dup_oracle.test.mjs: SECURITY.md S20, no membership oracle outside one's scope. A
// duplicate ID number outside the caller's scope answers the same conflict without
// naming the record, is audited, and is rate-limited per user (here 3 per window: the
// 4th request carrying an ID number answers 429 and raises an alert audit row); an
// import, dry run or not, that meets more than import_max_foreign_dups such people
// stops with a clear error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { problemOk } from './lib/server.mjs';
import { district, as, upload, waitJob } from './lib/roster_api.mjs';
import { idNumber, rosterRows, writeCsv } from './lib/roster.mjs';

let srv, sec, other, third, committee, target;

before(async () => {
  srv = await district({ orgs: 20, members: 60, args: ['--dup-probe-limit', '3', '--import-max-foreign-dups', '2'] });
  sec = await as(srv, 'branch_secretary', srv.branch(0));
  other = await as(srv, 'branch_secretary', srv.branch(1));
  // a committee administrator (who may import) over a community that does not hold branch 0
  const b0 = srv.sql(`SELECT path FROM orgs WHERE id = ${srv.branch(0)}`);
  committee = Number(srv.sql(`SELECT id FROM orgs WHERE label IN ('社区党委', '区域党委') AND substr('${b0}', 1, length(path)) <> path ORDER BY id LIMIT 1`));
  target = Number(srv.sql(`SELECT id FROM orgs WHERE type = '党支部' AND path LIKE (SELECT path FROM orgs WHERE id = ${committee}) || '%' ORDER BY id LIMIT 1`));
  third = await as(srv, 'committee_admin', committee);
});
after(async () => { await srv.stop(); });

const person = (over) => ({
  org_id: srv.branch(0), name: '查重者', id_number: idNumber('310104', '1971-03-04', 17), party_status: 'formal',
  joined_on: '2000-07-01', confirmed_on: '2001-07-01', ...over,
});
const audits = (action, user) => Number(srv.sql(
  `SELECT COUNT(*) FROM audit_log WHERE action = '${action}' AND actor_id = ${user}`));

test('S20: a duplicate outside the scope answers a bare conflict, audited; the 4th lookup is refused 429 and alerts', async () => {
  const ids = [1, 2, 3, 4].map((k) => idNumber('310104', `1972-0${k}-05`, 20 + k));
  for (const id of ids) {
    const r = await sec.call('POST', '/api/v1/members', person({ id_number: id, name: `本支部${id.slice(-4)}` }));
    assert.equal(r.status, 201, r.text);
  }
  const me = Number(srv.sql(`SELECT id FROM users WHERE username = '${other.username}'`));
  const before = audits('member.duplicate_out_of_scope', me);
  for (let i = 0; i < 3; i++) {
    const r = await other.call('POST', '/api/v1/members', person({ org_id: srv.branch(1), id_number: ids[i] }));
    problemOk(null, r, 409, 'duplicate_person');
    assert.equal(r.body.existing_id, undefined, r.text);
    assert.ok(!/org|branch|支部|党委/.test(JSON.stringify(r.body.detail)), r.text);
    assert.deepEqual(Object.keys(r.body).sort(), ['code', 'detail', 'instance', 'status', 'title', 'type']);
  }
  assert.equal(audits('member.duplicate_out_of_scope', me), before + 3);
  // over the limit: refused before any lookup, a new person as much as a known one
  const fresh = await other.call('POST', '/api/v1/members', person({ org_id: srv.branch(1), id_number: idNumber('310104', '1980-01-01', 99) }));
  problemOk(null, fresh, 429, 'rate_limited');
  const known = await other.call('POST', '/api/v1/members', person({ org_id: srv.branch(1), id_number: ids[3] }));
  problemOk(null, known, 429, 'rate_limited');
  assert.equal(known.text.replace(/"instance":"[^"]*"/, ''), fresh.text.replace(/"instance":"[^"]*"/, ''));
  assert.equal(audits('security.alert.duplicate_probe', me), 2);
  assert.equal(srv.sql(`SELECT COUNT(*) FROM members WHERE id_blind IS NOT NULL AND birth_date = '1980-01-01'`), '0');
  // inside the scope a duplicate still names the record, and that user is not limited
  const mine = await sec.call('POST', '/api/v1/members', person({ id_number: ids[0] }));
  problemOk(null, mine, 409, 'duplicate_person');
  assert.ok(mine.body.existing_id > 0);
});

test('S20: an import meeting more than a few people outside the scope stops, dry run too, audited', async () => {
  const rows = rosterRows(40, 9);
  // five people the third branch can not see, among its own new ones
  const mineRows = rows.slice(0, 10);
  const dir = mkdtempSync(join(tmpdir(), 'dj-s20-'));
  // the same people as sec's first test: created in branch 0 with these IDs
  const ids = [1, 2, 3, 4].map((k) => idNumber('310104', `1972-0${k}-05`, 20 + k));
  const probe = [...mineRows, ...ids.map((id, k) => ({ ...rows[20 + k], 身份证号码: id, 性别: '' }))];
  const csv = writeCsv(join(dir, 'probe.csv'), probe);
  const me = Number(srv.sql(`SELECT id FROM users WHERE username = '${third.username}'`));
  for (const dry of [true, false]) {
    const before = audits('member.duplicate_out_of_scope', me);
    const r = await upload(srv, third, `/api/v1/members/import?org_id=${target}&format=csv${dry ? '&dry_run=1' : ''}`, csv, 'text/csv');
    assert.equal(r.status, 202, r.text);
    const job = await waitJob(third, r.body.id);
    assert.equal(job.status, 'failed', JSON.stringify(job));
    assert.match(job.result.error, /管辖范围以外/);
    // each one met is audited (the batch in which the limit was passed is counted whole)
    const n = audits('member.duplicate_out_of_scope', me) - before;
    assert.ok(n >= 3 && n <= 4, `${n} audit rows`);
  }
  assert.equal(srv.sql(`SELECT COUNT(*) FROM members WHERE org_id = ${target} AND name IN (${mineRows.map((x) => `'${x.姓名}'`).join(',')}) AND created_at > ${Math.floor(Date.now() / 1000) - 600}`), '0');
});
