// import_refused.test.mjs: issue 20's import items left after the review
// (docs/roster-review.md): #17 names imported with spaces of other kinds (no-break,
// en/em/thin, ideographic, zero-width, a BOM) treated as spaces; #22 the annotated file
// of refused rows carries every refused row, not the error list's first 1,000; #9 a
// confirmed column mapping applies to every sheet with the mapped sheet's headers.
// And a row's free-text fields are held to the limits the API applies (a cell may hold
// 32,767 characters; 家庭住址 is 200).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import ExcelJS from 'exceljs';
import { district, as, upload, download, waitJob } from './lib/roster_api.mjs';
import { problemOk } from './lib/server.mjs';
import { rosterRows, HEADERS } from './lib/roster.mjs';

let srv, admin;
before(async () => {
  srv = await district({ orgs: 30, members: 40, seed: 9 });
  admin = await as(srv, 'district_admin', 1);
});
after(async () => { await srv.stop(); });

// rows under the template's columns, headed by headers (the template's, or as written)
const csv = (rows, headers = HEADERS) => Buffer.from(headers.join(',') + '\n' +
  rows.map((r) => HEADERS.map((h) => r[h] ?? '').join(',')).join('\n') + '\n', 'utf8');
async function importJob(org, buf, q) {
  const r = await upload(srv, admin, `/api/v1/members/import?org_id=${org}&${q}`, buf,
    q.includes('format=csv') ? 'text/csv' : 'application/octet-stream');
  assert.equal(r.status, 202, r.text);
  const job = await waitJob(admin, r.body.id);
  assert.equal(job.status, 'done', JSON.stringify(job).slice(0, 2000));
  return job;
}
async function sheetRows(buf) {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(buf);
  const out = [];
  wb.worksheets[0].eachRow({ includeEmpty: false }, (row) => {
    const v = [];
    for (let c = 1; c <= row.cellCount; c++) v.push(String(row.getCell(c).value ?? ''));
    out.push(v);
  });
  return out;
}

test('R-IMP-17 issue 20 #17: no-break, en/em/thin, ideographic and zero-width spaces and a BOM in imported names and fields are spaces: trimmed, removed inside Chinese names, one space between Latin words', async () => {
  const org = srv.branch(7);
  const rows = rosterRows(8, 91);
  const names = [
    ['李\u00a0红', '李红'], ['\u3000王\u2002小明\u00a0', '王小明'], ['赵\u200b钱', '赵钱'], ['\ufeff孙\u2003丽\u2009', '孙丽'],
    ['周\u202f吴\u205f郑', '周吴郑'], ['Mary\u00a0Ann', 'Mary Ann'], ['John\u2003\u00a0Smith\u200b', 'John Smith'], ['陈\u2060晨\u200a', '陈晨'],
  ];
  names.forEach(([raw], i) => { rows[i]['姓名'] = raw; });
  rows[0]['手机号码'] = `\u00a0${rows[0]['手机号码']}\u200b`;
  rows[1]['身份证号码'] = `\ufeff${rows[1]['身份证号码']}\u3000`;
  rows[2]['入党时间'] = `\u2002${rows[2]['入党时间']}\u00a0`;
  rows[3]['民族'] = '汉族\u00a0';
  const buf = csv(rows, HEADERS.map((h) => (h === '姓名' ? '姓名\u00a0' : h)));
  const dry = await importJob(org, buf, 'format=csv&dry_run=1');
  assert.deepEqual([dry.result.total, dry.result.good, dry.result.bad], [8, 8, 0], JSON.stringify(dry.result.errors));
  const job = await importJob(org, buf, 'format=csv');
  assert.equal(job.result.imported, 8, JSON.stringify(job.result));
  const got = srv.sql(`SELECT name FROM members WHERE org_id = ${org} ORDER BY id`).split('\n');
  assert.deepEqual(got.slice(-8), names.map(([, want]) => want));
  const found = await admin.call('GET', `/api/v1/members?q=${rows[0]['手机号码'].replace(/[^0-9]/g, '')}`);
  assert.equal(found.body.total, 1, 'the mobile stored without its spaces');
});

test('R-IMP-22 issue 20 #22: the file of refused rows carries every refused row (5,000), while the result\'s error list stops at 1,000 and says how many there are', async () => {
  const rows = rosterRows(5003, 92).map((r, i) => (i % 1667 === 5 ? r : { ...r, 身份证号码: `12${i}` }));
  const bad = rows.filter((r) => r['身份证号码'].length < 18).length;
  const job = await importJob(srv.branch(8), csv(rows), 'format=csv&dry_run=1');
  assert.equal(job.result.bad, bad, 'the refused rows counted');
  assert.ok(bad >= 5000);
  assert.equal(job.result.error_count, bad);
  assert.equal(job.result.errors_shown, 1000);
  assert.equal(job.result.errors_truncated, true);
  assert.equal(job.result.errors.length, 1000);
  assert.ok(job.result.errors_file, JSON.stringify(job.result).slice(0, 500));
  assert.equal(job.result.errors_file.rows, bad, 'every refused row in the file');
  const f = await download(srv, admin, job.result.errors_file.download);
  assert.equal(f.status, 200);
  const out = await sheetRows(f.buf);
  assert.equal(out.length, bad + 1, 'the header and every refused row');
  assert.deepEqual(out[0].slice(0, 2), ['原行号', '错误说明']);
  // in file order, the last ones too, each with its own cells and message
  const last = rows.length - 1;
  assert.equal(out[out.length - 1][0], String(last + 2));
  assert.equal(out[out.length - 1][2], rows[last]['姓名']);
  assert.match(out[out.length - 1][1], /身份证号码：/);
  const nos = out.slice(1).map((r) => Number(r[0]));
  assert.deepEqual(nos, [...nos].sort((a, b) => a - b));
});

test('R-IMP-SHEETS-MAP issue 20 #9: a confirmed mapping applies to every sheet with the mapped sheet\'s headers, not only the first', async () => {
  const org = srv.branch(9);
  const RENAME = { 姓名: '党员名字', 身份证号码: '证件号', 入党时间: '何时入党' };
  const ODD = ['工号', ...HEADERS.map((h) => RENAME[h] || h)];
  const rows = rosterRows(9, 93);
  const wb = new ExcelJS.Workbook();
  const add = (name, part, title) => {
    const ws = wb.addWorksheet(name);
    if (title) ws.addRow([title]);
    ws.addRow(ODD.map((h) => (h === '证件号' && title ? ' 证件号 ' : h)));
    for (const [i, r] of part.entries()) ws.addRow(['E' + i, ...HEADERS.map((h) => r[h] ?? '')]);
  };
  add('一支部', rows.slice(0, 3));
  add('二支部', rows.slice(3, 6), '第二党支部党员花名册');
  add('三支部', rows.slice(6));
  const buf = Buffer.from(await wb.xlsx.writeBuffer());
  const pv = await upload(srv, admin, `/api/v1/members/import/preview?org_id=${org}&format=xlsx`, buf);
  assert.equal(pv.status, 200, pv.text);
  assert.equal(pv.body.needs_mapping, true);
  const mapping = { 0: '', [ODD.indexOf('党员名字')]: 'name', [ODD.indexOf('证件号')]: 'id_number', [ODD.indexOf('何时入党')]: 'joined_on' };
  const q = `format=xlsx&mapping=${encodeURIComponent(JSON.stringify(mapping))}`;
  const dry = await importJob(org, buf, `${q}&dry_run=1`);
  assert.deepEqual([dry.result.total, dry.result.good, dry.result.bad], [9, 9, 0], JSON.stringify(dry.result));
  const before = Number(srv.sql(`SELECT COUNT(*) FROM members WHERE org_id = ${org}`));
  const job = await importJob(org, buf, q);
  assert.equal(job.result.imported, 9, JSON.stringify(job.result));
  assert.equal(Number(srv.sql(`SELECT COUNT(*) FROM members WHERE org_id = ${org}`)), before + 9);
  assert.equal(srv.sql(`SELECT COUNT(*) FROM members WHERE org_id = ${org} AND name = '${rows[8]['姓名']}' AND joined_on = '${rows[8]['入党时间']}'`), '1');
});

test('R-IMP-SHEETS-SAVED issue 20 #9: a further sheet whose headers the import does not know is read with the mapping remembered for those headers; without one it is passed over as before', async () => {
  const org = srv.branch(10);
  const RENAME = { 姓名: '名字', 身份证号码: '身份号', 入党时间: '入党', 党员类别: '类别' };
  const ODD = ['序', ...HEADERS.map((h) => RENAME[h] || h)];
  const rows = rosterRows(7, 94);
  const sheet = (wb, name, heads, part, title) => {
    const ws = wb.addWorksheet(name);
    if (title) ws.addRow([title]);
    ws.addRow(heads);
    for (const [i, r] of part.entries()) ws.addRow(heads === HEADERS ? HEADERS.map((h) => r[h] ?? '') : [i + 1, ...HEADERS.map((h) => r[h] ?? '')]);
  };
  const two = new ExcelJS.Workbook();
  sheet(two, '一支部', HEADERS, rows.slice(0, 3));
  sheet(two, '二支部', ODD, rows.slice(3), '第二党支部');
  const buf = Buffer.from(await two.xlsx.writeBuffer());
  // nothing remembered yet: the second sheet is passed over, as before
  const first = await importJob(org, buf, 'format=xlsx&dry_run=1');
  assert.equal(first.result.total, 3, JSON.stringify(first.result));
  // a one-sheet file with those headers, imported with the user's mapping (remembered)
  const one = new ExcelJS.Workbook();
  sheet(one, '花名册', ODD, rosterRows(2, 95));
  const oneBuf = Buffer.from(await one.xlsx.writeBuffer());
  const mapping = { 0: '', 1: 'name', [ODD.indexOf('身份号')]: 'id_number', [ODD.indexOf('入党')]: 'joined_on', [ODD.indexOf('类别')]: 'party_status' };
  await importJob(org, oneBuf, `format=xlsx&dry_run=1&mapping=${encodeURIComponent(JSON.stringify(mapping))}`);
  // now the second sheet of the two-sheet file is read with it
  const dry = await importJob(org, buf, 'format=xlsx&dry_run=1');
  assert.deepEqual([dry.result.total, dry.result.good, dry.result.bad], [7, 7, 0], JSON.stringify(dry.result));
  const before = Number(srv.sql(`SELECT COUNT(*) FROM members WHERE org_id = ${org}`));
  const job = await importJob(org, buf, 'format=xlsx');
  assert.equal(job.result.imported, 7, JSON.stringify(job.result));
  assert.equal(Number(srv.sql(`SELECT COUNT(*) FROM members WHERE org_id = ${org}`)), before + 7);
  assert.equal(srv.sql(`SELECT party_status FROM members WHERE org_id = ${org} AND name = '${rows[6]['姓名']}'`), 'formal');
});

test('R-IMP-SHEETS-OWN issue 20 #9: a further sheet with headers of its own is read with the mapping the user gave for its signature (sheet_mappings), which is remembered; bad ones are refused', async () => {
  const org = srv.branch(11);
  const RENAME = { 姓名: '同志姓名', 身份证号码: '身份证明', 入党时间: '入党年份日期' };
  const OWN = ['编', ...HEADERS.map((h) => RENAME[h] || h)];
  const rows = rosterRows(6, 96);
  const wb = new ExcelJS.Workbook();
  const a = wb.addWorksheet('一支部');
  a.addRow(HEADERS);
  for (const r of rows.slice(0, 2)) a.addRow(HEADERS.map((h) => r[h] ?? ''));
  const b = wb.addWorksheet('二支部');
  b.addRow(OWN);
  for (const [i, r] of rows.slice(2).entries()) b.addRow([i + 1, ...HEADERS.map((h) => r[h] ?? '')]);
  const buf = Buffer.from(await wb.xlsx.writeBuffer());
  // the signature of those headers, as the preview gives it for a sheet
  const one = new ExcelJS.Workbook();
  one.addWorksheet('x').addRow(OWN);
  const pv = await upload(srv, admin, `/api/v1/members/import/preview?org_id=${org}&format=xlsx`, Buffer.from(await one.xlsx.writeBuffer()));
  assert.equal(pv.status, 200, pv.text);
  const sig = pv.body.signature;
  const mapping = { 0: '', 1: 'name', [OWN.indexOf('身份证明')]: 'id_number', [OWN.indexOf('入党年份日期')]: 'joined_on' };
  const q = (sm) => `format=xlsx&sheet_mappings=${encodeURIComponent(typeof sm === 'string' ? sm : JSON.stringify(sm))}`;
  for (const [sm, code] of [['{"zz":{}}', 'invalid'], ['[1]', 'invalid'], [{ [sig]: { 1: 'passport' } }, 'unknown_field'], [{ [sig]: { 99: 'name' } }, 'unknown_column']]) {
    const r = await upload(srv, admin, `/api/v1/members/import?org_id=${org}&dry_run=1&${q(sm)}`, buf);
    assert.equal(r.status, 400, r.text);
    const err = (r.body.errors || []).find((e) => e.field === 'sheet_mappings') || r.body;
    assert.equal(err.code, code, r.text);
  }
  assert.equal(srv.sql(`SELECT COUNT(*) FROM import_mappings WHERE signature = '${sig}'`), '0');
  // a mapping leaving a required field without a column: the sheet's header is refused
  const short = await importJob(org, buf, `dry_run=1&${q({ [sig]: { 1: 'name' } })}`);
  assert.ok(short.result.failed, JSON.stringify(short.result));
  assert.ok(short.result.errors.some((e) => e.code === 'mapping_mismatch' && e.sheet === '二支部'), JSON.stringify(short.result));
  const dry = await importJob(org, buf, `dry_run=1&${q({ [sig]: mapping })}`);
  assert.deepEqual([dry.result.total, dry.result.good, dry.result.bad], [6, 6, 0], JSON.stringify(dry.result));
  assert.equal(srv.sql(`SELECT COUNT(*) FROM import_mappings WHERE signature = '${sig}'`), '1', 'remembered');
  assert.equal(srv.sql(`SELECT headers FROM import_mappings WHERE signature = '${sig}'`), JSON.stringify(OWN));
  // and the next import of the file needs no mapping for it
  const job = await importJob(org, buf, 'format=xlsx');
  assert.equal(job.result.imported, 6, JSON.stringify(job.result));
});

test('R-IMP-LEN a row\'s free-text fields are held to the API\'s limits (家庭住址 200, 籍贯 50, 工作单位 100, 职务 50 characters, counted as the API counts them): each over-long one refused with its row and column, nothing committed', async () => {
  const org = srv.branch(10);
  const far = '\u{20000}'; // one character (two UTF-16 units): one, as the API counts
  const rows = rosterRows(5, 1931);
  Object.assign(rows[0], { 家庭住址: '党'.repeat(199) + far, 籍贯: '浙'.repeat(50), 工作单位: '单'.repeat(100), 职务: '职'.repeat(50) });
  rows[1]['家庭住址'] = '党'.repeat(201);
  rows[2]['籍贯'] = '浙'.repeat(51);
  Object.assign(rows[3], { 工作单位: '单'.repeat(100) + far, 职务: '职'.repeat(51) });
  rows[4]['家庭住址'] = `长乐路 ${'党'.repeat(32000)}`; // far below the cell's 32,767
  const before = Number(srv.sql('SELECT COUNT(*) FROM members'));
  const r = await upload(srv, admin, `/api/v1/members/import?org_id=${org}&format=csv`, csv(rows), 'text/csv');
  assert.equal(r.status, 202, r.text);
  const job = await waitJob(admin, r.body.id);
  assert.deepEqual([job.result.total, job.result.good, job.result.bad, job.result.imported], [5, 1, 4, 0],
    JSON.stringify(job.result).slice(0, 2000));
  assert.deepEqual(job.result.errors.map((e) => [e.row, e.column, e.code, e.message]), [
    [3, '家庭住址', 'too_long', '家庭住址不能超过 200 个字'],
    [4, '籍贯', 'too_long', '籍贯不能超过 50 个字'],
    [5, '工作单位', 'too_long', '工作单位不能超过 100 个字'],
    [5, '职务', 'too_long', '职务不能超过 50 个字'],
    [6, '家庭住址', 'too_long', '家庭住址不能超过 200 个字'],
  ]);
  assert.equal(Number(srv.sql('SELECT COUNT(*) FROM members')), before, 'nothing committed');
  // the API holds the same field to the same limit, counted the same way
  const id = Number(srv.sql('SELECT id FROM members ORDER BY id LIMIT 1'));
  const over = await admin.call('PATCH', `/api/v1/members/${id}`, { address: '党'.repeat(201) });
  problemOk(null, over, 400, 'validation_failed');
  assert.ok(over.body.errors.some((e) => e.field === 'address' && e.code === 'too_long'), over.text);
  const at = await admin.call('PATCH', `/api/v1/members/${id}`, { address: rows[0]['家庭住址'] });
  assert.equal(at.status, 200, at.text);
  // the row at every limit is imported
  const ok = await importJob(org, csv(rows.slice(0, 1)), 'format=csv');
  assert.equal(ok.result.imported, 1, JSON.stringify(ok.result));
  assert.equal(srv.sql(`SELECT address FROM members WHERE org_id = ${org} AND name = '${rows[0]['姓名']}'`), rows[0]['家庭住址']);
});
