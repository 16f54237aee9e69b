// export_jobs.test.mjs: exports as jobs (issue 20 #21). POST /members/exports starts a
// job that writes the file on the jobs worker; GET /jobs/{id} shows its progress;
// POST /jobs/{id}/cancel stops it (queued or running, its partial file removed);
// GET /jobs/{id}/file downloads it when done, for its owner only (another user: 404),
// for a day (then 410); every download and cancel audited. A server started with
// DJ_TEST_EXPORT_PAUSE_MS (test mode only) pauses before each page, so that a test can
// catch a job running without timing anything.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, utimesSync, writeFileSync, readFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { problemOk, startServer } from './lib/server.mjs';
import { district, as, upload, download, waitJob, exportFile } from './lib/roster_api.mjs';
import ExcelJS from 'exceljs';
import { readXlsx, readCsv, writeCsv, csvText, rosterRows, HEADERS, idNumber } from './lib/roster.mjs';

let srv, admin, cadmin, sec;
before(async () => {
  srv = await district({ orgs: 30, members: 120, seed: 7 });
  admin = await as(srv, 'district_admin', 1);
  cadmin = await as(srv, 'committee_admin', srv.community(0));
  sec = await as(srv, 'branch_secretary', srv.branch(0));
});
after(async () => { await srv.stop(); });

const files = (dir, prefix) => readdirSync(dir).filter((f) => f.startsWith(prefix));

async function until(fn, what) {
  for (let i = 0; i < 600; i++) {
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`never: ${what}`);
}

test('P21 an export is a job: 202 at once, progress, done with its result, the file for its owner', async () => {
  const org = srv.community(1);
  const start = await admin.call('POST', `/api/v1/members/exports?format=xlsx&org_id=${org}`);
  assert.equal(start.status, 202, start.text);
  assert.equal(start.body.kind, 'member.export');
  assert.ok(['queued', 'running'].includes(start.body.status));
  assert.equal(start.headers.get('location'), `/api/v1/jobs/${start.body.id}`);
  const job = await waitJob(admin, start.body.id);
  assert.equal(job.status, 'done', JSON.stringify(job));
  assert.equal(job.progress, 100);
  const onRoster = (await admin.call('GET', `/api/v1/members?org_id=${org}&limit=1`)).body.total;
  assert.equal(job.result.rows, onRoster);
  assert.equal(job.result.format, 'xlsx');
  assert.equal(job.result.masked, true);
  assert.match(job.result.file_name, /^党员名册_.+_\d{8}\.xlsx$/);
  assert.equal(job.result.download, `/api/v1/jobs/${job.id}/file`);
  assert.ok(Date.parse(job.result.expires_at) > Date.now());
  // the audit row of the export (S14), written with the job's outcome
  assert.match(srv.sql("SELECT summary FROM audit_log WHERE action = 'member.export' ORDER BY id DESC LIMIT 1"),
    new RegExp(`rows=${onRoster} format=xlsx masked=1`));
  const f = await download(srv, admin, job.result.download);
  assert.equal(f.status, 200);
  assert.equal(Number(f.headers.get('x-row-count')), onRoster);
  assert.match(decodeURIComponent(f.headers.get('content-disposition')), /党员名册_.+\.xlsx/);
  const rows = await readXlsx(f.buf);
  assert.deepEqual(rows[0].slice(0, HEADERS.length), HEADERS);
  assert.equal(rows.length - 1, onRoster);
  // downloads are audited, and the file can be fetched again while it is kept
  const downloads = () => Number(srv.sql(`SELECT COUNT(*) FROM audit_log WHERE action = 'member.export_download' AND object_id = ${job.id}`));
  assert.equal(downloads(), 1);
  assert.equal((await download(srv, admin, job.result.download)).status, 200);
  assert.equal(downloads(), 2);
  // the kept file is the only one left, named by job (no .export- leftovers)
  assert.equal(files(srv.dir, `.exported-${job.id}-`).length, 1);
  assert.equal(files(srv.dir, '.export-').length, 0);
  // done: no cancel
  problemOk(null, await admin.call('POST', `/api/v1/jobs/${job.id}/cancel`), 409, 'job_ended');
});

test('P21 another user sees, cancels and downloads nothing of a job: 404', async () => {
  const r = await exportFile(srv, admin, `format=csv&org_id=${srv.branch(0)}`);
  assert.equal(r.status, 200);
  const id = r.job.id;
  for (const who of [sec, cadmin]) {
    problemOk(null, await who.call('GET', `/api/v1/jobs/${id}`), 404, 'not_found');
    problemOk(null, await who.call('GET', `/api/v1/jobs/${id}/file`), 404, 'not_found');
    problemOk(null, await who.call('POST', `/api/v1/jobs/${id}/cancel`), 404, 'not_found');
  }
  problemOk(null, await admin.call('GET', '/api/v1/jobs/999999/file'), 404, 'not_found');
  // a job without a file (an import) has no download and can not be cancelled
  const csv = writeCsv(`${srv.dir}/one.csv`, rosterRows(1, 5));
  const imp = await upload(srv, admin, `/api/v1/members/import?org_id=${srv.branch(1)}&dry_run=1`, csv, 'text/csv');
  await waitJob(admin, imp.body.id);
  problemOk(null, await admin.call('GET', `/api/v1/jobs/${imp.body.id}/file`), 404, 'not_found');
  problemOk(null, await admin.call('POST', `/api/v1/jobs/${imp.body.id}/cancel`), 409, 'not_cancellable');
});

test('P21 the filters, the format and the masking are the list\'s; refusals come from the POST', async () => {
  const org = srv.community(0);
  const q = `org_id=${org}&party_status=probationary&state=all`;
  const list = (await cadmin.call('GET', `/api/v1/members?${q}&limit=1`)).body.total;
  const r = await exportFile(srv, cadmin, `format=csv&${q}`);
  assert.equal(r.status, 200);
  const rows = readCsv(r.buf);
  assert.equal(rows.length - 1, list);
  assert.ok(rows.slice(1).every((x) => x[14] === '预备党员'));
  assert.doesNotMatch(r.text, /\d{17}[\dX]/); // masked
  problemOk(null, await cadmin.call('POST', `/api/v1/members/exports?format=csv&org_id=${srv.branch(5)}`), 404, 'not_found');
  problemOk(null, await cadmin.call('POST', `/api/v1/members/exports?format=csv&org_id=${org}&reveal=1&purpose=ab`), 403, 'forbidden');
  problemOk(null, await admin.call('POST', `/api/v1/members/exports?format=csv&reveal=1`), 400, 'validation_failed');
  problemOk(null, await admin.call('POST', `/api/v1/members/exports?format=pdf`), 400, 'validation_failed');
});

test('P21 a kept file past its day is removed by the next export; its download then answers 410', async () => {
  const r = await exportFile(srv, admin, `format=csv&org_id=${srv.branch(2)}`);
  assert.equal(r.status, 200);
  const [kept] = files(srv.dir, `.exported-${r.job.id}-`);
  const old = new Date(Date.now() - 25 * 3600 * 1000);
  utimesSync(join(srv.dir, kept), old, old);
  const next = await exportFile(srv, admin, `format=csv&org_id=${srv.branch(3)}`);
  assert.equal(next.status, 200);
  assert.equal(files(srv.dir, `.exported-${r.job.id}-`).length, 0);
  problemOk(null, await admin.call('GET', `/api/v1/jobs/${r.job.id}/file`), 410, 'export_expired');
  assert.equal((await download(srv, admin, next.job.result.download)).status, 200);
});

test('P21 cancel: a running export stops and leaves no file; a queued one never starts; both audited', async () => {
  // a server of its own whose exports pause before each page until cancelled
  const slow = await startServer({ dir: srv.dir, env: { DJ_TEST_EXPORT_PAUSE_MS: '600000' } });
  try {
    const a = await as(slow, 'district_admin', 1);
    const run = await a.call('POST', '/api/v1/members/exports?format=xlsx');
    assert.equal(run.status, 202);
    await until(async () => (await a.call('GET', `/api/v1/jobs/${run.body.id}`)).body.status === 'running', 'running');
    // no request thread is held: the server answers others meanwhile
    assert.equal((await a.call('GET', '/api/v1/members?limit=5')).status, 200);
    await until(() => files(slow.dir, '.export-').length === 1, 'its partial file');
    // a second export waits behind it (one job at a time), and is cancelled queued
    const queued = await a.call('POST', '/api/v1/members/exports?format=csv');
    assert.equal((await a.call('GET', `/api/v1/jobs/${queued.body.id}`)).body.status, 'queued');
    const cq = await a.call('POST', `/api/v1/jobs/${queued.body.id}/cancel`);
    assert.equal(cq.status, 200, cq.text);
    assert.equal(cq.body.status, 'cancelled');
    const cr = await a.call('POST', `/api/v1/jobs/${run.body.id}/cancel`);
    assert.equal(cr.status, 200, cr.text);
    assert.equal(cr.body.status, 'cancelled');
    // the worker stops at its next look and removes its partial file
    await until(() => files(slow.dir, '.export-').length === 0, 'the partial file removed');
    for (const id of [run.body.id, queued.body.id]) {
      const j = (await a.call('GET', `/api/v1/jobs/${id}`)).body;
      assert.equal(j.status, 'cancelled');
      assert.equal(j.result.code, 'cancelled');
      problemOk(null, await a.call('GET', `/api/v1/jobs/${id}/file`), 409, 'job_not_done');
      assert.equal(files(slow.dir, `.exported-${id}-`).length, 0);
      problemOk(null, await a.call('POST', `/api/v1/jobs/${id}/cancel`), 409, 'job_ended');
    }
    // the worker is free again: an import runs after them
    const csv = writeCsv(`${slow.dir}/two.csv`, rosterRows(2, 6));
    const imp = await upload(slow, a, `/api/v1/members/import?org_id=${srv.branch(1)}&dry_run=1`, csv, 'text/csv');
    assert.equal((await waitJob(a, imp.body.id)).status, 'done');
  } finally {
    await slow.stop('SIGTERM', { keep: true });
  }
  assert.equal(Number(srv.sql("SELECT COUNT(*) FROM audit_log WHERE action = 'member.export_cancel'")), 2);
});

// issue 21 #5: the xlsx comes from our streaming writer (zlib, parallel deflate); it
// must open in the spreadsheet programs people use. LibreOffice converts it to CSV and
// the values come back: an 18-digit ID number whole (text, not 1.1E+17), a date, a
// name, an address with XML's special characters, the amount as a number.
test('P21 the xlsx opens in LibreOffice: an 18-digit ID number, a date and an amount read back', async (t) => {
  if (spawnSync('which', ['soffice']).status !== 0) { t.skip('no LibreOffice here'); return; }
  const org = srv.branch(4);
  const id = idNumber('110105', '1988-03-09', 417);
  const m = await admin.call('POST', '/api/v1/members', {
    org_id: org, name: '表格回读', id_number: id, party_status: 'formal', joined_on: '2012-07-01',
    confirmed_on: '2013-07-01', ethnicity: '01', education: '21', address: '幸福路 1 号 & <2> 栋', dues_base: 123456,
  });
  assert.equal(m.status, 201, m.text);
  const r = await exportFile(srv, admin, `format=xlsx&org_id=${org}&reveal=1&purpose=${encodeURIComponent('表格兼容核对')}`);
  assert.equal(r.status, 200);
  const dir = mkdtempSync(join(tmpdir(), 'dj-lo-'));
  try {
    writeFileSync(join(dir, 'export.xlsx'), r.buf);
    const lo = spawnSync('soffice', [`-env:UserInstallation=file://${dir}/lo`, '--headless', '--convert-to',
      'csv:Text - txt - csv (StarCalc):44,34,76', '--outdir', dir, join(dir, 'export.xlsx')], { encoding: 'utf8', timeout: 180000 });
    assert.ok(existsSync(join(dir, 'export.csv')), `LibreOffice converted it: ${lo.stdout} ${lo.stderr}`);
    const rows = readCsv(readFileSync(join(dir, 'export.csv')));
    assert.deepEqual(rows[0].slice(0, HEADERS.length), HEADERS);
    assert.equal(rows.length - 1, r.job.result.rows);
    const row = rows.find((x) => x[0] === '表格回读');
    assert.ok(row, 'the member is in the file');
    assert.equal(row[3], id); // all 18 digits, as text
    assert.equal(row[7], '幸福路 1 号 & <2> 栋');
    assert.equal(row[17], '2012-07-01');
    assert.equal(row[18], '2013-07-01');
    assert.equal(row[20], '123,456.00'); // a number, shown as #,##0.00 (grouping: not text)
    assert.ok(rows.slice(1).every((x) => /^\d{17}[\dX]$/.test(x[3])), 'every ID number whole');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

// Every sheet of an .xlsx: its name, view, filter and rows (the roster's columns).
async function sheetsOf(buf) {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(buf);
  return wb.worksheets.map((ws) => {
    const rows = [];
    ws.eachRow({ includeEmpty: false }, (row) => {
      const vals = [];
      for (let c = 1; c <= HEADERS.length; c++) {
        const v = row.getCell(c).value;
        vals.push(v === null || v === undefined ? '' : String(v));
      }
      rows.push(vals);
    });
    return { name: ws.name, views: ws.views, filter: ws.autoFilter, rows };
  });
}

// issue 21 #5: a district of 1,058,503 members failed at 98% (存储错误): Excel holds
// 1,048,576 rows to a sheet. The rows after go on to further sheets of the same file,
// each with the header, the frozen pane and the filter, and the job says so. A server of
// its own (test mode: DJ_XLSX_ROWS_PER_SHEET) puts 40 rows, the header one of them, on a
// sheet; its sheets together hold the same rows as the one sheet of the default.
test('P21 an xlsx past a sheet\'s rows goes on to further sheets with the header; the job says how many', async () => {
  const whole = await exportFile(srv, admin, 'format=xlsx');
  assert.equal(whole.status, 200);
  assert.equal(whole.job.result.sheets, 1);
  assert.equal(whole.job.result.note, undefined);
  const [one, ...none] = await sheetsOf(whole.buf);
  assert.equal(none.length, 0);
  assert.equal(one.rows.length - 1, whole.job.result.rows);
  const small = await startServer({ dir: srv.dir, env: { DJ_XLSX_ROWS_PER_SHEET: '40' } });
  try {
    const a = await as(small, 'district_admin', 1);
    const r = await exportFile(small, a, 'format=xlsx');
    assert.equal(r.status, 200, JSON.stringify(r.job));
    const n = r.job.result.rows;
    assert.equal(n, whole.job.result.rows);
    const want = Math.ceil(n / 39);
    assert.ok(want >= 3, `${n} members: several sheets`);
    assert.equal(r.job.result.sheets, want);
    assert.equal(r.job.result.note, `名册超过 Excel 单个工作表的 1,048,576 行，已分为 ${want} 个工作表（党员名册、党员名册(2) …），每个工作表都有表头`);
    const sheets = await sheetsOf(r.buf);
    assert.deepEqual(sheets.map((x) => x.name), ['党员名册', ...Array.from({ length: want - 1 }, (_, i) => `党员名册(${i + 2})`)]);
    sheets.forEach((x, i) => {
      assert.deepEqual(x.rows[0], one.rows[0], `sheet ${i + 1}'s header`);
      assert.equal(x.rows.length, i < want - 1 ? 40 : n - 39 * (want - 1) + 1, `sheet ${i + 1}'s rows`);
      assert.equal(x.views[0].state, 'frozen');
      assert.equal(x.views[0].ySplit, 1);
      assert.ok(x.filter, `sheet ${i + 1}'s filter`);
    });
    assert.deepEqual(sheets.flatMap((x) => x.rows.slice(1)), one.rows.slice(1));
    assert.equal(Number(r.headers.get('x-row-count')), n);
    // the file reads back into the importer (several sheets of one header): every row
    const dry = await upload(small, a, `/api/v1/members/import?org_id=${srv.branch(0)}&dry_run=1`, r.buf);
    assert.equal(dry.status, 202, dry.text);
    const dj = await waitJob(a, dry.body.id);
    assert.equal(dj.status, 'done', JSON.stringify(dj));
    assert.equal(dj.result.total, n, JSON.stringify(dj.result));
  } finally {
    await small.stop('SIGTERM', { keep: true });
  }
});

// Excel holds 32,767 characters in a cell, counted in UTF-16 code units (one outside the
// BMP counts 2); the import and the export counted UTF-8 bytes, and refused a Chinese text
// at a third of it while saying 32,767. The import's reader refuses a cell one unit over,
// quoted (a comma in it) or not, naming the row and column; a row holds 家庭住址 to the
// API's 200 characters. A member whose stored 家庭住址 is longer (kept before those checks:
// written here into its column directly, which is plain text) is exported whole at exactly
// 32,767 units; at 32,768 the xlsx export fails saying who, which column and which cell,
// not 存储错误.
test('P21 the 32,767-character cell limit in UTF-16 units: in and out at the limit; over it the import refuses a cell, the export names the member and cell', async () => {
  const org = srv.branch(3);
  const far = '\u{20000}'; // 𠀀, outside the BMP: 2 units
  const at = `长乐路1弄1号,${'党'.repeat(32767 - 8 - 2)}${far}`; // quoted: it holds a comma
  assert.equal(at.length, 32767);
  assert.ok(Buffer.byteLength(at) > 3 * 32000);
  const over = `${'党'.repeat(32767)}${far}`.slice(0, 32768); // unquoted, one unit over
  const rows = rosterRows(3, 2171);
  rows[0].姓名 = '限长甲';
  rows[0].家庭住址 = at;
  rows[1].姓名 = '限长乙';
  rows[1].家庭住址 = `${at}党`; // quoted, one unit over
  rows[2].姓名 = '限长丙';
  rows[2].家庭住址 = over;
  // a cell over the limit, quoted or not: the file is refused, row and column named
  for (const [which, row] of [[[0, 1, 2], 3], [[0, 2], 3]]) {
    const refused = await upload(srv, admin, `/api/v1/members/import?org_id=${org}`,
      Buffer.from(csvText(which.map((i) => rows[i])), 'utf8'), 'text/csv');
    assert.equal(refused.status, 202, refused.text);
    const rj = await waitJob(admin, refused.body.id);
    assert.equal(rj.status, 'failed', JSON.stringify(rj).slice(0, 2000));
    assert.equal(rj.result.error, `第 ${row} 行第 8 列：单元格内容过长（超过 Excel 单元格的 32,767 个字符上限）`);
  }
  // a cell at the limit is read, and its row refused: 家庭住址 is 200 characters at most
  const long = await upload(srv, admin, `/api/v1/members/import?org_id=${org}`, Buffer.from(csvText(rows.slice(0, 1)), 'utf8'), 'text/csv');
  assert.equal(long.status, 202, long.text);
  const lj = await waitJob(admin, long.body.id);
  assert.deepEqual([lj.result.bad, lj.result.imported], [1, 0], JSON.stringify(lj.result).slice(0, 2000));
  assert.deepEqual(lj.result.errors.map((e) => [e.row, e.column, e.code]), [[2, '家庭住址', 'too_long']]);
  // the two members imported with an ordinary 家庭住址, then given the long ones
  const short = rows.slice(0, 2).map((row) => ({ ...row, 家庭住址: '长乐路1弄1号' }));
  const r = await upload(srv, admin, `/api/v1/members/import?org_id=${org}`, Buffer.from(csvText(short), 'utf8'), 'text/csv');
  assert.equal(r.status, 202, r.text);
  const ij = await waitJob(admin, r.body.id);
  assert.equal(ij.status, 'done', JSON.stringify(ij));
  assert.equal(ij.result.imported, 2, JSON.stringify(ij.result));
  const idOf = (name) => Number(srv.sql(`SELECT id FROM members WHERE name = '${name}'`));
  const [a, b] = [idOf('限长甲'), idOf('限长乙')];
  assert.ok(a > 0 && b > 0);
  srv.sql(`UPDATE members SET address = '${rows[0].家庭住址}' WHERE id = ${a}; UPDATE members SET address = '${rows[1].家庭住址}' WHERE id = ${b};`);
  assert.equal(srv.sql(`SELECT address FROM members WHERE id = ${b}`), rows[1].家庭住址);
  try {
    // 32,767 units: exported whole
    const ok = await exportFile(srv, admin, `format=xlsx&ids=${a}`);
    assert.equal(ok.status, 200, JSON.stringify(ok.job));
    const got = await readXlsx(ok.buf);
    assert.equal(got[1][HEADERS.indexOf('家庭住址')], at);
    // 32,768: the job fails and says why (member, column, sheet, cell), no file left
    const bad = await exportFile(srv, admin, `format=xlsx&ids=${a},${b}`);
    assert.equal(bad.status, 'failed', JSON.stringify(bad.job));
    assert.equal(bad.job.result.error,
      '导出失败（党员“限长乙”的“家庭住址”超过 Excel 单元格的 32,767 个字符上限，位于工作表“党员名册”的 H3 单元格）');
    assert.equal(bad.job.result.code, 'job_failed');
    assert.equal(files(srv.dir, `.exported-${bad.job.id}-`).length, 0);
    assert.equal(files(srv.dir, '.export-').length, 0);
    // a CSV has no such limit: the same rows are written
    const csv = await exportFile(srv, admin, `format=csv&ids=${a},${b}`);
    assert.equal(csv.status, 200, JSON.stringify(csv.job));
    assert.equal(csv.job.result.rows, 2);
  } finally {
    for (const id of [a, b]) if (id > 0) assert.equal((await admin.call('DELETE', `/api/v1/members/${id}`)).status, 204);
  }
});
