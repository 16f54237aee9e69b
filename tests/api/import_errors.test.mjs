// import_errors.test.mjs: issue 20 #9, the rows an import refused offered back as an
// annotated .xlsx: the file's own header and cells of each refused row, after 原行号 and
// 错误说明 (every message of the row with its column), downloaded as the job's file by
// its owner only; a file with title rows above the header keeps the header's row.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { district, as, upload, download, waitJob } from './lib/roster_api.mjs';
import { rosterRows, writeCsv, HEADERS } from './lib/roster.mjs';

let srv, admin, sec, tmp;
before(async () => {
  srv = await district({ orgs: 30, members: 60, seed: 3 });
  admin = await as(srv, 'district_admin', 1);
  sec = await as(srv, 'branch_secretary', srv.branch(0));
  tmp = mkdtempSync(join(tmpdir(), 'dj-ierr-'));
});
after(async () => { await srv.stop(); });

async function sheetRows(buf) {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(buf);
  const ws = wb.worksheets[0];
  const out = [];
  ws.eachRow({ includeEmpty: false }, (row) => {
    const v = [];
    for (let c = 1; c <= row.cellCount; c++) {
      const x = row.getCell(c).value;
      v.push(x === null || x === undefined ? '' : String(x));
    }
    out.push(v);
  });
  return { name: ws.name, rows: out };
}

test('R-IMP-ERR issue 20 #9: a dry run with bad rows offers them back as an annotated xlsx of the user\'s own cells', async () => {
  const rows = rosterRows(12, 31);
  rows[2]['身份证号码'] = '12345';
  rows[5]['入党时间'] = '2020年13月40日';
  rows[5]['手机号码'] = '123';
  // two title rows above the header, as hand-made rosters have
  const body = '某某党支部党员花名册\n制表日期：2026年1月\n' + HEADERS.join(',') + '\n' +
    rows.map((r) => HEADERS.map((h) => r[h] ?? '').join(',')).join('\n') + '\n';
  const buf = Buffer.from(body, 'utf8');
  const r = await upload(srv, admin, `/api/v1/members/import?org_id=${srv.branch(1)}&dry_run=1&format=csv`, buf, 'text/csv');
  assert.equal(r.status, 202, r.text);
  const job = await waitJob(admin, r.body.id);
  assert.equal(job.status, 'done', JSON.stringify(job));
  assert.equal(job.result.bad, 2, JSON.stringify(job.result.errors));
  assert.equal(job.result.header_row, 3, 'the header below two title rows');
  assert.ok(job.result.errors_file, 'the result offers the file');
  assert.equal(job.result.errors_file.rows, 2);
  const f = await download(srv, admin, job.result.errors_file.download);
  assert.equal(f.status, 200);
  assert.match(decodeURIComponent(f.headers.get('content-disposition') || ''), /导入错误行_.*\.xlsx/);
  const { name, rows: out } = await sheetRows(f.buf);
  assert.equal(name, '错误行');
  assert.deepEqual(out[0].slice(0, 2), ['原行号', '错误说明']);
  assert.deepEqual(out[0].slice(2, 2 + HEADERS.length), HEADERS, 'the file\'s own header');
  assert.equal(out.length, 3, 'the header and the two refused rows');
  // rows 3 (header) + 3 = file row 6 for rows[2], file row 9 for rows[5]
  assert.equal(out[1][0], '6');
  assert.match(out[1][1], /身份证号码：/);
  assert.equal(out[1][2], rows[2]['姓名'], 'the user\'s own cells');
  assert.equal(out[1][2 + HEADERS.indexOf('身份证号码')], '12345');
  assert.equal(out[2][0], '9');
  assert.match(out[2][1], /入党时间：.*；手机号码：|手机号码：.*；入党时间：/, 'every message of the row');
  // the job's owner only
  const other = await download(srv, sec, job.result.errors_file.download);
  assert.equal(other.status, 404);
});

test('R-IMP-ERR issue 20 #9: a file whose header lacks a required column gets the header annotated; a clean file has no errors file', async () => {
  const rows = rosterRows(3, 32);
  const heads = HEADERS.filter((h) => h !== '身份证号码');
  const buf = writeCsv(join(tmp, 'h.csv'), rows, { headers: heads });
  const r = await upload(srv, admin, `/api/v1/members/import?org_id=${srv.branch(1)}&dry_run=1&format=csv`, buf, 'text/csv');
  const job = await waitJob(admin, r.body.id);
  assert.ok(job.result.errors.some((e) => e.code === 'missing_column'), JSON.stringify(job.result));
  assert.ok(job.result.errors_file, JSON.stringify(job.result));
  const { rows: out } = await sheetRows((await download(srv, admin, job.result.errors_file.download)).buf);
  assert.equal(out[1][0], '表头');
  assert.match(out[1][1], /缺少必填列“身份证号码”/);
  const good = writeCsv(join(tmp, 'g.csv'), rosterRows(3, 33));
  const g = await waitJob(admin, (await upload(srv, admin, `/api/v1/members/import?org_id=${srv.branch(1)}&dry_run=1&format=csv`, good, 'text/csv')).body.id);
  assert.equal(g.result.bad, 0);
  assert.equal(g.result.errors_file, undefined);
  const none = await download(srv, admin, `/api/v1/jobs/${g.id}/file`);
  assert.equal(none.status, 404);
});

test('R-IMP-SHEETS issue 20 #9: every visible sheet is read, each with its own title rows and header; hidden and instruction sheets are passed over', async () => {
  const rows = rosterRows(7, 41);
  rows[6]['身份证号码'] = '999';
  const wb = new ExcelJS.Workbook();
  const a = wb.addWorksheet('一支部');
  a.addRow(['第一党支部党员花名册']);
  a.addRow(HEADERS);
  for (const r of rows.slice(0, 4)) a.addRow(HEADERS.map((h) => r[h] ?? ''));
  const lists = wb.addWorksheet('lists', { state: 'hidden' });
  for (let i = 0; i < 12; i++) lists.addRow(['男', '女', '汉族']);
  const b = wb.addWorksheet('二支部');
  b.addRow(HEADERS);
  for (const r of rows.slice(4)) b.addRow(HEADERS.map((h) => r[h] ?? ''));
  const c = wb.addWorksheet('填表说明');
  for (let i = 0; i < 14; i++) c.addRow([`${i + 1}. 请按模板填写`]);
  const buf = Buffer.from(await wb.xlsx.writeBuffer());
  const r = await upload(srv, admin, `/api/v1/members/import?org_id=${srv.branch(2)}&dry_run=1&format=xlsx`, buf);
  const job = await waitJob(admin, r.body.id);
  assert.equal(job.status, 'done', JSON.stringify(job));
  assert.equal(job.result.failed, undefined, JSON.stringify(job.result));
  assert.deepEqual([job.result.total, job.result.good, job.result.bad], [7, 6, 1], JSON.stringify(job.result.errors));
  assert.equal(job.result.header_row, 2);
  const e = job.result.errors.find((x) => x.code !== 'duplicate_in_file');
  assert.equal(e.sheet, '二支部');
  assert.equal(e.row, 4, 'the row in its own sheet');
  const { rows: out } = await sheetRows((await download(srv, admin, job.result.errors_file.download)).buf);
  assert.equal(out[1][0], '二支部!4');
  assert.equal(out[1][2], rows[6]['姓名']);
  // and the good rows of both sheets import
  const before = Number(srv.sql('SELECT COUNT(*) FROM members'));
  const g = await waitJob(admin, (await upload(srv, admin, `/api/v1/members/import?org_id=${srv.branch(2)}&format=xlsx&mode=good_only`, buf)).body.id);
  assert.equal(g.result.imported, 6, JSON.stringify(g.result));
  assert.equal(Number(srv.sql('SELECT COUNT(*) FROM members')), before + 6);
});
