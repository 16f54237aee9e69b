// roster_io.test.mjs: import as a job over HTTP (an .xlsx written by exceljs, a GBK
// CSV, dry run, all-or-nothing and good rows only, progress and result), the template,
// and export (xlsx and CSV read back and compared; masked unless pii.export and a
// purpose; audited with its row count: S14).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { problemOk, isPg } from './lib/server.mjs';
import { district, as, upload, download, waitJob, exportFile } from './lib/roster_api.mjs';
import { rosterRows, writeXlsx, writeCsv, readXlsx, readCsv, HEADERS } from './lib/roster.mjs';

let srv, admin, cadmin, sec, tmp;
before(async () => {
  srv = await district({ orgs: 30, members: 100 });
  admin = await as(srv, 'district_admin', 1);
  cadmin = await as(srv, 'committee_admin', srv.community(0));
  sec = await as(srv, 'branch_secretary', srv.branch(0));
  tmp = mkdtempSync(join(tmpdir(), 'dj-io-'));
});
after(async () => { await srv.stop(); });

test('import: 1,000 rows from an exceljs workbook as a job with progress, dry run first', async () => {
  const file = join(tmp, 'a.xlsx');
  await writeXlsx(file, rosterRows(1000, 21), { dates: true });
  const buf = readFileSync(file);
  const dry = await upload(srv, admin, `/api/v1/members/import?org_id=${srv.branch(2)}&dry_run=1`, buf);
  assert.equal(dry.status, 202, dry.text);
  assert.equal(dry.body.kind, 'member.import');
  const d = await waitJob(admin, dry.body.id);
  assert.equal(d.status, 'done');
  assert.deepEqual([d.result.total, d.result.good, d.result.bad, d.result.imported], [1000, 1000, 0, 0]);
  const before = Number(srv.sql('SELECT COUNT(*) FROM members'));
  const r = await upload(srv, admin, `/api/v1/members/import?org_id=${srv.branch(2)}&format=xlsx`, buf);
  const job = await waitJob(admin, r.body.id);
  assert.equal(job.progress, 100);
  assert.equal(job.result.imported, 1000);
  assert.equal(Number(srv.sql('SELECT COUNT(*) FROM members')), before + 1000);
  assert.equal(srv.sql("SELECT summary FROM audit_log WHERE action = 'member.import' ORDER BY id DESC LIMIT 1").includes('1000'), true);
  // another user cannot see the job
  problemOk(null, await sec.call('GET', `/api/v1/jobs/${r.body.id}`), 404, 'not_found');
});

test('import: a GBK CSV; bad rows stop the whole file unless mode=good_only', async () => {
  const rows = rosterRows(30, 22);
  rows[7]['身份证号码'] = '12345';
  rows[9]['转正时间'] = rows[9]['入党时间'];
  const gbk = writeCsv(join(tmp, 'g.csv'), rows, { encoding: 'gbk' });
  const before = Number(srv.sql('SELECT COUNT(*) FROM members'));
  const r = await upload(srv, cadmin, `/api/v1/members/import?org_id=${srv.community(0)}`, gbk, 'text/csv');
  const job = await waitJob(cadmin, r.body.id);
  assert.equal(job.result.encoding, 'gb18030');
  assert.deepEqual([job.result.good, job.result.bad, job.result.imported], [28, 2, 0]);
  assert.ok(job.result.errors.some((e) => e.row === 9 && e.column === '身份证号码' && e.code === 'id_format'));
  assert.ok(job.result.errors.some((e) => e.row === 11 && e.column === '转正时间' && e.code === 'R-DEV-11'));
  assert.equal(Number(srv.sql('SELECT COUNT(*) FROM members')), before);
  const g = await upload(srv, cadmin, `/api/v1/members/import?org_id=${srv.community(0)}&mode=good_only`, gbk, 'text/csv');
  const gj = await waitJob(cadmin, g.body.id);
  assert.equal(gj.result.imported, 28);
  assert.equal(Number(srv.sql('SELECT COUNT(*) FROM members')), before + 28);
});

test('import: permission, scope and bad requests', async () => {
  const csv = writeCsv(join(tmp, 'x.csv'), rosterRows(2, 23));
  problemOk(null, await upload(srv, sec, `/api/v1/members/import?org_id=${srv.branch(0)}`, csv), 403, 'forbidden');
  problemOk(null, await upload(srv, cadmin, `/api/v1/members/import?org_id=${srv.branch(5)}`, csv), 404, 'not_found');
  problemOk(null, await upload(srv, admin, `/api/v1/members/import?org_id=${srv.branch(0)}`, Buffer.alloc(0)), 400, 'validation_failed');
  const junk = await upload(srv, admin, `/api/v1/members/import?org_id=${srv.branch(0)}&format=xlsx`, Buffer.from('PK\x03\x04 not a zip'));
  const j = await waitJob(admin, junk.body.id);
  assert.equal(j.status, 'failed');
  assert.match(j.result.error, /xlsx/);
});

test('template: the import headers, readable by another library', async () => {
  const t = await download(srv, admin, '/api/v1/members/import/template.xlsx');
  assert.equal(t.status, 200);
  const rows = await readXlsx(t.buf);
  assert.deepEqual(rows[0].map((h) => h.replace(/\*$/, '')), HEADERS); // required ones marked * (issue 20 #8)
});

test('export xlsx: the whole result streamed, masked by default, read back and compared; audited (S14)', async () => {
  const org = srv.community(1);
  const list = [];
  let cursor = null;
  do {
    const r = await admin.call('GET', `/api/v1/members?org_id=${org}&limit=200${cursor ? `&cursor=${cursor}` : ''}`);
    list.push(...r.body.items);
    cursor = r.body.next_cursor;
  } while (cursor);
  const x = await exportFile(srv, admin, `format=xlsx&org_id=${org}`);
  assert.equal(x.status, 200);
  assert.equal(Number(x.headers.get('x-row-count')), list.length);
  const rows = await readXlsx(x.buf);
  assert.deepEqual(rows[0], HEADERS);
  assert.equal(rows.length - 1, list.length);
  for (let i = 0; i < list.length; i++) {
    assert.equal(rows[i + 1][0], list[i].name);
    assert.equal(rows[i + 1][3], list[i].id_number); // the same mask
    assert.match(rows[i + 1][3], /^\d{6}\*{8}\d{3}[\dX]$/);
    assert.equal(rows[i + 1][17], list[i].joined_on);
  }
  const audit = srv.sql("SELECT summary FROM audit_log WHERE action = 'member.export' ORDER BY id DESC LIMIT 1");
  assert.match(audit, new RegExp(`rows=${list.length} format=xlsx masked=1`));
  // the export reads back into the importer: a dry run in another branch finds them all as duplicates
  const dry = await upload(srv, admin, `/api/v1/members/import?org_id=${srv.branch(0)}&dry_run=1`, x.buf);
  const dj = await waitJob(admin, dry.body.id);
  assert.equal(dj.result.total, list.length);
});

test('export csv unmasked needs pii.export and a purpose (S14)', async () => {
  const org = srv.branch(0);
  const noPurpose = await exportFile(srv, admin, `format=csv&org_id=${org}&reveal=1`);
  assert.equal(noPurpose.status, 400);
  const noPerm = await exportFile(srv, cadmin, `format=csv&org_id=${srv.community(0)}&reveal=1&purpose=${encodeURIComponent('换届统计')}`);
  assert.equal(noPerm.status, 403); // 党(工)委管理员 has pii.view but not pii.export
  const ok = await exportFile(srv, admin, `format=csv&org_id=${org}&reveal=1&purpose=${encodeURIComponent('组织关系核查')}`);
  assert.equal(ok.status, 200);
  assert.equal(ok.buf.subarray(0, 3).toString('hex'), 'efbbbf');
  const rows = readCsv(ok.buf);
  assert.deepEqual(rows[0], [...HEADERS, "所属组织", "党龄（年）"]);
  assert.ok(rows.slice(1).every((r) => /^\t\d{17}[\dX]$/.test(r[3]))); // a leading tab keeps the 18 digits (issue 20 #10)
  assert.equal(rows.length - 1, Number(srv.sql(`SELECT COUNT(*) FROM members WHERE org_path >= (SELECT path FROM orgs WHERE id = ${org}) AND org_path < (SELECT substr(path, 1, length(path) - 1) || '0' FROM orgs WHERE id = ${org}) AND state NOT IN ('deceased', 'withdrawn', 'removed', 'expelled')`)));
  const audit = srv.sql("SELECT summary FROM audit_log WHERE action = 'member.export' ORDER BY id DESC LIMIT 1");
  assert.match(audit, /masked=0 purpose=组织关系核查/);
  const sec403 = await exportFile(srv, sec, `format=csv&reveal=1&purpose=x1`);
  assert.equal(sec403.status, 403);
  const masked = await exportFile(srv, sec, `format=csv`);
  assert.equal(masked.status, 200);
  assert.doesNotMatch(masked.text, /\d{17}[\dX]/);
});

test('import: introducers split on Chinese and ASCII separators, whole characters only', async () => {
  const rows = rosterRows(4, 91);
  const lists = ['李四、王五', '张三,赵六', '陈一峰', '王一；刘二'];
  rows.forEach((row, i) => { row['入党介绍人'] = lists[i]; });
  const csv = writeCsv(join(tmp, 'intro.csv'), rows);
  const r = await upload(srv, admin, `/api/v1/members/import?org_id=${srv.branch(3)}&format=csv`, csv, 'text/csv');
  const job = await waitJob(admin, r.body.id);
  assert.equal(job.result.imported, 4, JSON.stringify(job.result));
  const got = rows.map((row) => JSON.parse(srv.sql(`SELECT introducers FROM members WHERE name = '${row['姓名']}' AND org_id = ${srv.branch(3)} ORDER BY id DESC LIMIT 1`)));
  assert.deepEqual(got, [['李四', '王五'], ['张三', '赵六'], ['陈一峰'], ['王一', '刘二']]);
});

// the API's rule (model/member.c member_list_ok: at most 2 names of at most 50 characters): a row
// over it is reported with its row and column, and nothing is imported
test('import: more than 2 introducers, or a name over 50 characters, is a row error like the API\'s', async () => {
  const rows = rosterRows(3, 92);
  const lists = ['王一；刘二 周三', '李四、王五', `${'长'.repeat(51)}、王五`];
  rows.forEach((row, i) => { row['入党介绍人'] = lists[i]; });
  const csv = writeCsv(join(tmp, 'intro-bad.csv'), rows);
  const before = srv.sql('SELECT COUNT(*) FROM members');
  const r = await upload(srv, admin, `/api/v1/members/import?org_id=${srv.branch(3)}&format=csv`, csv, 'text/csv');
  const job = await waitJob(admin, r.body.id);
  assert.equal(job.result.imported, 0, JSON.stringify(job.result));
  const errs = job.result.errors.filter((e) => e.code === 'invalid_list');
  assert.deepEqual(errs.map((e) => [e.row, e.column, e.message]), [[2, '入党介绍人', '入党介绍人最多2人，每人不超过50字'], [4, '入党介绍人', '入党介绍人最多2人，每人不超过50字']], JSON.stringify(job.result.errors));
  assert.equal(srv.sql('SELECT COUNT(*) FROM members'), before, 'nothing imported');
  const api = await admin.call('POST', '/api/v1/members', { introducers: ['王一', '刘二', '周三'] });
  assert.equal(api.status, 400, api.text);
  assert.equal(api.body.errors.find((e) => e.field === 'introducers').message, '入党介绍人最多2人，每人不超过50字');
});

test('R3: on a full disk, an export (a job to record) and the template answer 507 like writes do; reads go on', async (t) => {
  const { spawnSync } = await import('node:child_process');
  const { openSync, writeSync, closeSync, unlinkSync, rmSync } = await import('node:fs');
  const mnt = mkdtempSync(join(tmpdir(), 'dj-full-'));
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', mnt]).status !== 0) {
    rmSync(mnt, { recursive: true, force: true });
    t.skip('mounting a tmpfs needs root');
    return;
  }
  let full;
  try {
    const { startServer, cli } = await import('./lib/server.mjs');
    assert.equal(cli(mnt, ['demo', '--orgs', '10', '--members', '50', '--seed', '3']).status, 0);
    full = await startServer({ dir: mnt });
    const a = await as(full, 'district_admin', 1);
    assert.equal((await exportFile(full, a, `format=csv`)).status, 200);
    // fill the disk to the last byte
    const fd = openSync(join(mnt, 'filler'), 'w');
    for (const size of [1 << 20, 4096, 512, 1]) {
      const chunk = Buffer.alloc(size);
      try { for (;;) writeSync(fd, chunk); } catch (e) { assert.equal(e.code, 'ENOSPC'); }
    }
    closeSync(fd);
    // on SQLite an export job can not even be recorded (a write: 507); on PostgreSQL
    // (its data elsewhere) the job is recorded and fails saying why, leaving no file
    for (const format of ['xlsx', 'csv']) {
      const r = await exportFile(full, a, `format=${format}`);
      if (isPg()) {
        assert.equal(r.status, 'failed', JSON.stringify(r.job));
        assert.match(r.job.result.error, /存储空间不足/);
      } else {
        assert.equal(r.status, 507, r.text);
        assert.equal(r.body.code, 'storage_full');
      }
    }
    const tpl = await download(full, a, '/api/v1/members/import/template.xlsx');
    assert.equal(tpl.status, 507, tpl.text.slice(0, 300));
    assert.match(tpl.headers.get('content-type'), /problem\+json/);
    assert.equal(JSON.parse(tpl.text).code, 'storage_full');
    assert.equal((await a.call('GET', '/api/v1/members?limit=5')).status, 200);
    // space returns: so does the export
    unlinkSync(join(mnt, 'filler'));
    assert.equal((await exportFile(full, a, `format=csv`)).status, 200);
  } finally {
    if (full) await full.stop('SIGTERM', { keep: true });
    spawnSync('umount', [mnt]);
    rmSync(mnt, { recursive: true, force: true });
  }
});

// S14 and S3: an export's audit row is written with its job's outcome, and a full view
// is audited just after its read (req_after_commit); when the audit row cannot be
// written, nothing leaves: the export job fails (no file to download), the full view
// answers a 500 problem.
test('S14: an export or a full view whose audit row fails answers 500 and sends no data', async () => {
  const org = srv.branch(0);
  const member = Number(srv.sql(`SELECT id FROM members WHERE org_id = ${org} LIMIT 1`));
  const ok = await exportFile(srv, admin, `format=csv&org_id=${org}`);
  assert.equal(ok.status, 200);
  if (isPg()) {
    srv.sql("CREATE FUNCTION audit_says_no() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no audit'; END $$;\n" +
      "CREATE TRIGGER audit_says_no BEFORE INSERT ON audit_log FOR EACH ROW WHEN (NEW.action IN ('member.export', 'member.pii_view')) " +
      'EXECUTE FUNCTION audit_says_no()');
  } else {
    srv.sql("CREATE TRIGGER audit_says_no BEFORE INSERT ON audit_log WHEN NEW.action IN ('member.export', 'member.pii_view') " +
      "BEGIN SELECT RAISE(ABORT, 'no audit'); END");
  }
  try {
    const exp = await exportFile(srv, admin, `format=csv&org_id=${org}`);
    assert.equal(exp.status, 'failed'); // the job fails: no file to download
    assert.doesNotMatch(JSON.stringify(exp.job), /姓名|\d{17}[\dX]/);
    problemOk(null, await admin.call('GET', `/api/v1/jobs/${exp.job.id}/file`), 409, 'job_not_done');
    const full = await admin.call('GET', `/api/v1/members/${member}?reveal=1`);
    problemOk(null, full, 500, 'internal_error');
    assert.doesNotMatch(full.text, /\d{17}[\dX]|1[3-9]\d{9}/);
    const plain = await admin.call('GET', `/api/v1/members/${member}`); // reads are not audited: it still works
    assert.equal(plain.status, 200);
  } finally {
    srv.sql(isPg() ? 'DROP TRIGGER audit_says_no ON audit_log; DROP FUNCTION audit_says_no()' : 'DROP TRIGGER audit_says_no');
  }
  const again = await admin.call('GET', `/api/v1/members/${member}?reveal=1`);
  assert.equal(again.status, 200);
  assert.match(again.body.member ? again.body.member.id_number : again.body.id_number, /^\d{17}[\dX]$/);
});
