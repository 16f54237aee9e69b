// import_sheets.test.mjs: issue 20 #9, several sheets: the import's preview reports the
// further sheets whose headers the import does not know (sheets[]: their columns, what
// is unmatched, required fields still missing, a remembered mapping), and an import
// with sheet_mappings for their signatures reads every sheet.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import ExcelJS from 'exceljs';
import { district, as, upload, waitJob } from './lib/roster_api.mjs';
import { rosterRows, HEADERS } from './lib/roster.mjs';

let srv, admin;
before(async () => {
  srv = await district({ orgs: 30, members: 40, seed: 11 });
  admin = await as(srv, 'district_admin', 1);
});
after(async () => { await srv.stop(); });

const RENAME = { 姓名: '同志姓名', 身份证号码: '身份证明', 入党时间: '入党年份日期' };
const OWN = ['编', ...HEADERS.map((h) => RENAME[h] || h)];

// 一支部 with the template's headers, 二支部 with headers of its own (under a title
// row), 说明 with a line of text: only 二支部 needs a mapping
async function workbook(rows) {
  const wb = new ExcelJS.Workbook();
  const a = wb.addWorksheet('一支部');
  a.addRow(HEADERS);
  for (const r of rows.slice(0, 3)) a.addRow(HEADERS.map((h) => r[h] ?? ''));
  const b = wb.addWorksheet('二支部');
  b.addRow(['二支部党员花名册']);
  b.addRow(OWN);
  for (const [i, r] of rows.slice(3).entries()) b.addRow([i + 1, ...HEADERS.map((h) => r[h] ?? '')]);
  wb.addWorksheet('说明').addRow(['请按模板填写']);
  return Buffer.from(await wb.xlsx.writeBuffer());
}
const preview = async (org, buf) => {
  const r = await upload(srv, admin, `/api/v1/members/import/preview?org_id=${org}&format=xlsx`, buf);
  assert.equal(r.status, 200, r.text);
  return r.body;
};

test('R-IMP-SHEETS-PREVIEW issue 20 #9: the preview reports a further sheet of unknown headers (sheets[]) and an import with sheet_mappings reads both sheets', async () => {
  const org = srv.branch(7);
  const rows = rosterRows(7, 97);
  const buf = await workbook(rows);
  const pv = await preview(org, buf);
  // the top level stays the first sheet's
  assert.equal(pv.header_row, 1);
  assert.equal(pv.needs_mapping, false, JSON.stringify(pv.missing_required));
  assert.equal(pv.columns.length, HEADERS.length);
  assert.equal(pv.sheets.length, 1, JSON.stringify(pv.sheets.map((s) => s.name)));
  const s = pv.sheets[0];
  assert.equal(s.sheet, 2);
  assert.equal(s.name, '二支部');
  assert.equal(s.header_row, 2, 'the title row above the header is passed over');
  assert.match(s.signature, /^[0-9a-f]{32}$/);
  assert.notEqual(s.signature, pv.signature);
  assert.equal(s.needs_mapping, true);
  assert.equal(s.saved, false);
  assert.deepEqual(s.columns.map((c) => c.header), OWN);
  assert.deepEqual(s.missing_required.map((m) => m.field).sort(), ['id_number', 'joined_on', 'name']);
  for (const h of ['同志姓名', '身份证明', '入党年份日期']) assert.ok(s.unmatched.includes(OWN.indexOf(h)), h);
  assert.equal(s.columns[OWN.indexOf('性别')].field, 'sex');
  // ID numbers in the samples are masked
  const ids = s.columns[OWN.indexOf('身份证明')].samples;
  assert.ok(ids.length > 0 && ids.every((v) => /\*{6,}/.test(v)), JSON.stringify(ids));
  // a CSV has no further sheets
  const csv = await upload(srv, admin, `/api/v1/members/import/preview?org_id=${org}&format=csv`,
    Buffer.from(HEADERS.join(',') + '\n', 'utf8'), 'text/csv');
  assert.deepEqual(csv.body.sheets, []);

  // the import with the mapping of 二支部 by its signature: both sheets' members
  const mapping = { 0: '', [OWN.indexOf('同志姓名')]: 'name', [OWN.indexOf('身份证明')]: 'id_number', [OWN.indexOf('入党年份日期')]: 'joined_on' };
  const before = Number(srv.sql(`SELECT COUNT(*) FROM members WHERE org_id = ${org}`));
  const r = await upload(srv, admin, `/api/v1/members/import?org_id=${org}&format=xlsx&sheet_mappings=${encodeURIComponent(JSON.stringify({ [s.signature]: mapping }))}`, buf);
  assert.equal(r.status, 202, r.text);
  const job = await waitJob(admin, r.body.id);
  assert.equal(job.status, 'done', JSON.stringify(job).slice(0, 2000));
  assert.equal(job.result.imported, 7, JSON.stringify(job.result).slice(0, 2000));
  assert.equal(Number(srv.sql(`SELECT COUNT(*) FROM members WHERE org_id = ${org}`)), before + 7);
  assert.equal(srv.sql(`SELECT COUNT(*) FROM members WHERE org_id = ${org} AND name = '${rows[6]['姓名']}'`), '1');

  // the mapping is remembered: the next preview says so and asks nothing for 二支部
  const again = await preview(org, buf);
  assert.equal(again.sheets.length, 1);
  assert.equal(again.sheets[0].saved, true);
  assert.equal(again.sheets[0].needs_mapping, false);
  assert.deepEqual(again.sheets[0].missing_required, []);
  assert.equal(again.sheets[0].columns[OWN.indexOf('同志姓名')].field, 'name');
  assert.equal(again.sheets[0].columns[OWN.indexOf('同志姓名')].source, 'saved');
});

test('R-IMP-SHEETS-PREVIEW issue 20 #9: further sheets the import reads by itself are not in sheets[]', async () => {
  const org = srv.branch(8);
  const rows = rosterRows(4, 98);
  const wb = new ExcelJS.Workbook();
  for (const name of ['甲', '乙']) {
    const ws = wb.addWorksheet(name);
    ws.addRow(HEADERS);
    for (const r of rows.slice(name === '甲' ? 0 : 2, name === '甲' ? 2 : 4)) ws.addRow(HEADERS.map((h) => r[h] ?? ''));
  }
  const pv = await preview(org, Buffer.from(await wb.xlsx.writeBuffer()));
  assert.deepEqual(pv.sheets, []);
});

test('R-IMP-SHEETS-PREVIEW issue 20 #9: a sheet_mappings entry that does not fit refuses the import even when sheets follow', async () => {
  const org = srv.branch(9);
  const rows = rosterRows(8, 99);
  const buf = await workbook(rows.slice(0, 6));
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(buf);
  const c = wb.addWorksheet('三支部');
  c.addRow(HEADERS);
  for (const r of rows.slice(6)) c.addRow(HEADERS.map((h) => r[h] ?? ''));
  const three = Buffer.from(await wb.xlsx.writeBuffer());
  const pv = await preview(org, three);
  assert.deepEqual(pv.sheets.map((s) => s.name), ['二支部']);
  const before = Number(srv.sql(`SELECT COUNT(*) FROM members WHERE org_id = ${org}`));
  const short = { [pv.sheets[0].signature]: { [OWN.indexOf('同志姓名')]: 'name' } };
  const r = await upload(srv, admin, `/api/v1/members/import?org_id=${org}&format=xlsx&sheet_mappings=${encodeURIComponent(JSON.stringify(short))}`, three);
  assert.equal(r.status, 202, r.text);
  const job = await waitJob(admin, r.body.id);
  assert.ok(job.result?.failed || job.status === 'failed', JSON.stringify(job).slice(0, 2000));
  assert.ok((job.result?.errors || []).some((e) => e.code === 'mapping_mismatch' && e.sheet === '二支部'), JSON.stringify(job.result).slice(0, 2000));
  assert.equal(Number(srv.sql(`SELECT COUNT(*) FROM members WHERE org_id = ${org}`)), before, 'nothing imported');
});
