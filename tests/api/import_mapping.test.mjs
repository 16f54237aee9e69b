// import_mapping.test.mjs: issue 20 #9, the column mapping. A file whose headers the
// import does not recognise is previewed (its headers, what each matched, the unmatched
// ones, the required fields still missing, masked samples: all decided by the server);
// an import with the user's mapping reads the columns as mapped; the mapping is
// remembered, so that the next file with the same headers comes pre-mapped; a mapping
// that names an unknown field, gives a field two columns or leaves a required one out is
// refused (problem+json with field, code and a Chinese message) and nothing is imported.
// Works with .csv and .xlsx; the annotated errors file keeps the user's own headers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { district, as, upload, download, waitJob } from './lib/roster_api.mjs';
import { rosterRows, writeCsv, writeXlsx, HEADERS } from './lib/roster.mjs';

let srv, admin, tmp;
before(async () => {
  srv = await district({ orgs: 30, members: 40, seed: 5 });
  admin = await as(srv, 'district_admin', 1);
  tmp = mkdtempSync(join(tmpdir(), 'dj-imap-'));
});
after(async () => { await srv.stop(); });

// The headers a file from another system has: 证件号 and 何时入党 are no header the
// import knows; 工号 is a column of theirs to leave out; the rest as the template.
const RENAME = { 姓名: '党员名字', 身份证号码: '证件号', 入党时间: '何时入党' };
const ODD = ['工号', ...HEADERS.map((h) => RENAME[h] || h)];
function oddRows(n, seed) {
  return rosterRows(n, seed).map((r, i) => {
    const o = { 工号: `E${1000 + i}` };
    for (const h of HEADERS) o[RENAME[h] || h] = r[h];
    return { ...o, _orig: r };
  });
}
const count = (org) => Number(srv.sql(`SELECT COUNT(*) FROM members WHERE org_id = ${org}`));
const col = (pv, header) => pv.columns.find((c) => c.header === header);
const MAPPING = () => ({ 0: '', [ODD.indexOf('党员名字')]: 'name', [ODD.indexOf('证件号')]: 'id_number', [ODD.indexOf('何时入党')]: 'joined_on' });

async function preview(org, buf, format) {
  return upload(srv, admin, `/api/v1/members/import/preview?org_id=${org}&format=${format}`, buf,
    format === 'csv' ? 'text/csv' : 'application/octet-stream');
}
async function importWith(org, buf, format, mapping, extra = '') {
  const q = `org_id=${org}&format=${format}${extra}${mapping === undefined ? '' : `&mapping=${encodeURIComponent(typeof mapping === 'string' ? mapping : JSON.stringify(mapping))}`}`;
  return upload(srv, admin, `/api/v1/members/import?${q}`, buf, format === 'csv' ? 'text/csv' : 'application/octet-stream');
}

test('R-IMP-MAP-01 issue 20 #9: a file with unknown headers is previewed: its headers, the matches, the unmatched, the missing required fields and masked samples', async () => {
  const rows = oddRows(4, 51);
  const buf = writeCsv(join(tmp, 'odd.csv'), rows, { headers: ODD });
  const r = await preview(srv.branch(2), buf, 'csv');
  assert.equal(r.status, 200, r.text);
  const pv = r.body;
  assert.equal(pv.header_row, 1);
  assert.equal(pv.needs_mapping, true);
  assert.equal(pv.saved, false);
  assert.deepEqual(pv.columns.map((c) => c.header), ODD, 'the file\'s own headers, in order');
  assert.deepEqual(pv.unmatched.map((i) => pv.columns[i].header).sort(), ['何时入党', '党员名字', '工号', '证件号'].sort());
  assert.deepEqual(pv.missing_required.map((m) => m.field).sort(), ['id_number', 'joined_on', 'name'].sort());
  assert.ok(pv.missing_required.every((m) => m.label), 'each with its Chinese label');
  assert.equal(col(pv, '手机号码').field, 'mobile');
  assert.equal(col(pv, '手机号码').source, 'template');
  assert.equal(col(pv, '党员类别').field, 'party_status');
  assert.equal(col(pv, '证件号').field, null);
  assert.equal(col(pv, '党员名字').samples[0], rows[0]['党员名字'], 'samples of each column');
  assert.equal(col(pv, '党员名字').samples.length, 3, 'a few of them');
  // ID numbers and mobiles are masked in samples
  const id = rows[0]['证件号'];
  assert.equal(col(pv, '证件号').samples[0], id.slice(0, 3) + '*'.repeat(13) + id.slice(16));
  assert.ok(!r.text.includes(id), 'no full ID number in the preview');
  assert.ok(pv.fields.some((f) => f.field === 'id_number' && f.label === '身份证号码' && f.required));
  // a file the import reads as it is needs no mapping
  const plain = await preview(srv.branch(2), writeCsv(join(tmp, 'plain.csv'), rosterRows(2, 52)), 'csv');
  assert.equal(plain.status, 200);
  assert.equal(plain.body.needs_mapping, false);
  assert.deepEqual(plain.body.unmatched, []);
  // and without a mapping the odd file is still refused at its header, as before
  const before = count(srv.branch(2));
  const j = await importWith(srv.branch(2), buf, 'csv');
  assert.equal(j.status, 202);
  const done = await waitJob(admin, j.body.id);
  assert.ok(done.status === 'failed' || done.result.failed, JSON.stringify(done));
  assert.equal(count(srv.branch(2)), before);
});

test('R-IMP-MAP-02 issue 20 #9: bad mappings are refused with field, code and a Chinese message; nothing is imported, nothing remembered', async () => {
  const org = srv.branch(3);
  const buf = writeCsv(join(tmp, 'bad.csv'), oddRows(3, 53), { headers: ODD });
  const before = count(org);
  const jobs0 = Number(srv.sql('SELECT COUNT(*) FROM jobs'));
  const cases = [
    [{ ...MAPPING(), [ODD.indexOf('证件号')]: 'passport' }, 'unknown_field', /不是可导入的字段/],
    [{ ...MAPPING(), 0: 'name' }, 'duplicate_field', /“姓名”被指定给了两列/],
    [{ ...MAPPING(), [ODD.indexOf('手机号码')]: 'id_number' }, 'duplicate_field', /身份证号码/],
    [{ 0: '', [ODD.indexOf('党员名字')]: 'name', [ODD.indexOf('证件号')]: 'id_number' }, 'missing_field', /入党时间/],
    [{ ...MAPPING(), 99: 'name' }, 'unknown_column', /第 99 列/],
    ['[1,2]', 'invalid', /格式无效/],
    ['{not json', 'invalid', /格式无效/],
  ];
  for (const [m, code, msg] of cases) {
    const r = await importWith(org, buf, 'csv', m, '&dry_run=1');
    assert.equal(r.status, 400, `${JSON.stringify(m)}: ${r.text}`);
    assert.match(r.headers.get('content-type') || '', /problem\+json/);
    const err = (r.body.errors || []).find((e) => e.field === 'mapping') || r.body;
    assert.equal(err.code, code, r.text);
    assert.match(err.message || r.body.detail, msg, r.text);
  }
  assert.equal(count(org), before, 'nothing imported');
  assert.equal(Number(srv.sql('SELECT COUNT(*) FROM jobs')), jobs0, 'no job recorded');
  assert.equal(Number(srv.sql('SELECT COUNT(*) FROM import_mappings')), 0, 'nothing remembered');
});

test('R-IMP-MAP-03 issue 20 #9: an import with the mapping reads the columns as mapped, is remembered, and the same headers come pre-mapped next time (csv)', async () => {
  const org = srv.branch(4);
  const rows = oddRows(5, 54);
  const buf = writeCsv(join(tmp, 'map.csv'), rows, { headers: ODD });
  const before = count(org);
  const r = await importWith(org, buf, 'csv', MAPPING());
  assert.equal(r.status, 202, r.text);
  const job = await waitJob(admin, r.body.id);
  assert.equal(job.status, 'done', JSON.stringify(job));
  assert.equal(job.result.imported, 5, JSON.stringify(job.result));
  assert.equal(count(org), before + 5);
  // the data is right: names, joined dates and ID numbers (through the blind index, via the API)
  const list = await admin.call('GET', `/api/v1/members?org_id=${org}&limit=200`);
  assert.equal(list.status, 200, list.text);
  for (const row of rows) {
    const m = list.body.items.find((x) => x.name === row['党员名字']);
    assert.ok(m, `${row['党员名字']} imported`);
    const full = await admin.call('GET', `/api/v1/members/${m.id}?reveal=1`);
    assert.equal(full.body.id_number, row['证件号']);
    assert.equal(full.body.joined_on, row['何时入党']);
    assert.equal(full.body.mobile, row['手机号码']);
  }
  // remembered, at the organization of the caller's role
  assert.equal(Number(srv.sql('SELECT COUNT(*) FROM import_mappings')), 1);
  assert.equal(Number(srv.sql('SELECT org_id FROM import_mappings')), 1);
  // another file with the same headers (spaces and marks aside) comes pre-mapped, under any organization below
  const again = oddRows(2, 55);
  const heads2 = ODD.map((h) => (h === '证件号' ? ' 证件号* ' : h));
  const again2 = again.map((x) => ({ ...x, ' 证件号* ': x['证件号'] }));
  const buf2 = writeCsv(join(tmp, 'map2.csv'), again2, { headers: heads2 });
  const pv = await preview(srv.branch(5), buf2, 'csv');
  assert.equal(pv.status, 200, pv.text);
  assert.equal(pv.body.saved, true);
  assert.deepEqual(pv.body.unmatched, []);
  assert.deepEqual(pv.body.missing_required, []);
  assert.equal(col(pv.body, '党员名字').field, 'name');
  assert.equal(col(pv.body, '党员名字').source, 'saved');
  assert.equal(col(pv.body, ' 证件号* ').field, 'id_number');
  assert.equal(col(pv.body, '工号').field, null);
  assert.equal(col(pv.body, '工号').source, 'saved', '不导入 is remembered too');
  assert.equal(col(pv.body, '手机号码').source, 'template', 'what is matched anyway says how');
  // a mapping change is audited
  assert.ok(Number(srv.sql("SELECT COUNT(*) FROM audit_log WHERE action = 'member.import' AND summary LIKE '%列对应关系%'")) >= 1);
});

test('R-IMP-MAP-04 issue 20 #9: xlsx with a title row, mapped; the errors file keeps the user\'s own headers', async () => {
  const org = srv.branch(6);
  const rows = oddRows(4, 56);
  rows[1]['证件号'] = '12345';
  const path = join(tmp, 'map.xlsx');
  await writeXlsx(path, rows, { headers: ODD });
  // a title row above the header, as hand-made rosters have
  const ExcelJS = (await import('exceljs')).default;
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(path);
  wb.worksheets[0].spliceRows(1, 0, ['某某党支部党员花名册']);
  await wb.xlsx.writeFile(path);
  const buf = readFileSync(path);
  const pv = await preview(org, buf, 'xlsx');
  assert.equal(pv.status, 200, pv.text);
  assert.equal(pv.body.header_row, 2, 'the header below the title');
  assert.equal(pv.body.format, 'xlsx');
  assert.deepEqual(pv.body.columns.map((c) => c.header), ODD);
  const before = count(org);
  const r = await importWith(org, buf, 'xlsx', MAPPING(), '&dry_run=1');
  assert.equal(r.status, 202, r.text);
  const job = await waitJob(admin, r.body.id);
  assert.equal(job.status, 'done', JSON.stringify(job));
  assert.equal(job.result.total, 4);
  assert.equal(job.result.bad, 1, JSON.stringify(job.result.errors));
  assert.equal(job.result.header_row, 2);
  assert.equal(job.result.errors[0].row, 4);
  assert.ok(job.result.errors_file, 'the refused rows offered back');
  const f = await download(srv, admin, job.result.errors_file.download);
  assert.equal(f.status, 200);
  const ExcelJS2 = (await import('exceljs')).default;
  const back = new ExcelJS2.Workbook();
  await back.xlsx.load(f.buf);
  const ws = back.worksheets[0];
  const head = [];
  for (let c = 1; c <= ODD.length + 2; c++) head.push(String(ws.getRow(1).getCell(c).value ?? ''));
  assert.deepEqual(head.slice(2), ODD, 'the user\'s own headers');
  assert.equal(String(ws.getRow(2).getCell(1).value), '4', 'the refused row\'s own row number');
  assert.equal(String(ws.getRow(2).getCell(2 + 1 + ODD.indexOf('证件号')).value), '12345');
  assert.equal(count(org), before, 'a dry run imports nothing');
  // then for real, good rows only
  const r2 = await importWith(org, buf, 'xlsx', MAPPING(), '&mode=good_only');
  const job2 = await waitJob(admin, r2.body.id);
  assert.equal(job2.status, 'done', JSON.stringify(job2));
  assert.equal(job2.result.imported, 3);
  assert.equal(count(org), before + 3);
});

test('R-IMP-MAP-05 issue 20 #9: the preview of a large file reads only its head', async () => {
  // 40,000 rows (~6 MB) and then a byte that no encoding the import knows can hold: the
  // import, which reads it all, refuses the file; the preview never gets there
  const rows = oddRows(40000, 57);
  const head = writeCsv(join(tmp, 'big.csv'), rows, { headers: ODD });
  const buf = Buffer.concat([head, Buffer.from([0xff, 0x0d, 0x0a])]);
  assert.ok(buf.length > 4 << 20);
  const pv = await preview(srv.branch(7), buf, 'csv');
  assert.equal(pv.status, 200, pv.text);
  assert.deepEqual(pv.body.columns.map((c) => c.header), ODD);
  assert.equal(col(pv.body, '党员名字').samples.length, 3);
  const r = await importWith(srv.branch(7), buf, 'csv', MAPPING(), '&dry_run=1');
  assert.equal(r.status, 202, r.text);
  const job = await waitJob(admin, r.body.id, 120000);
  assert.ok(job.status === 'failed' || job.result?.failed, 'the whole file is read by the import');
  assert.match(JSON.stringify(job), /编码/);
});
