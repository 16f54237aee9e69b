// roster_review.test.mjs: issue 20, the roster as its users meet it. One test per
// numbered point of the issue ("P01 …" is point 1), each failing on the main of before.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import ExcelJS from 'exceljs';
import { district, as, upload, waitJob, download, exportFile } from './lib/roster_api.mjs';
import { isPg } from './lib/server.mjs';
import { idNumber, HEADERS, csvText, rosterRows, readCsv } from './lib/roster.mjs';

let srv, admin, sec, secadmin;
before(async () => {
  srv = await district({ orgs: 40, members: 200 });
  admin = await as(srv, 'district_admin', 1);
  sec = await as(srv, 'branch_secretary', srv.branch(0));
  secadmin = await as(srv, 'secadmin');
});
after(async () => { await srv.stop(); });

test('P01 安全管理员 picks an organization for a role: names and paths, no members', async () => {
  assert.equal((await secadmin.call('GET', '/api/v1/orgs')).status, 403); // the roster stays closed
  const roots = await secadmin.call('GET', '/api/v1/orgs/picker');
  assert.equal(roots.status, 200, roots.text);
  assert.ok(roots.body.items.length >= 1);
  assert.ok(roots.body.items.every((o) => o.parent_id === null && typeof o.child_count === 'number'));
  const root = roots.body.items[0];
  const kids = await secadmin.call('GET', `/api/v1/orgs/picker?parent_id=${root.id}&limit=2`);
  assert.equal(kids.status, 200);
  assert.equal(kids.body.items.length, 2);
  assert.ok(kids.body.total > 2 || kids.body.next_cursor === null);
  assert.deepEqual(kids.body.items[0].path_names, [root.name]);
  const b = srv.branch(0);
  const name = srv.sql(`SELECT name FROM orgs WHERE id = ${b}`);
  const found = await secadmin.call('GET', `/api/v1/orgs/picker?q=${encodeURIComponent(name)}`);
  const hit = found.body.items.find((o) => o.id === b);
  assert.ok(hit, found.text);
  assert.ok(hit.path_names.length >= 2 && hit.path_names[0] === root.name, JSON.stringify(hit));
  for (const k of ['member_count', 'formal_count', 'domain', 'secretary', 'phone']) assert.ok(!(k in hit), k);
  // the picked organization is then assigned
  const someone = await as(srv, 'member', b);
  const users = await secadmin.call('GET', `/api/v1/users?q=${someone.username}`);
  const target = users.body.items.find((x) => x.username === someone.username);
  const put = await secadmin.call('PUT', `/api/v1/users/${target.id}/roles`, { roles: [{ role: 'branch_secretary', org_id: b }] });
  assert.equal(put.status, 200, put.text);
  assert.equal((await sec.call('GET', '/api/v1/orgs/picker')).status, 403); // role.assign only
});

test('P02 search finds a whole ID number or mobile through the blind index', async () => {
  let seq = 400;
  while (!idNumber('110101', '1985-03-07', seq).endsWith('X')) seq++;
  const id = idNumber('110101', '1985-03-07', seq);
  const made = await admin.call('POST', '/api/v1/members', {
    org_id: srv.branch(1), name: '检索测试', id_number: id, ethnicity: '01', mobile: '13912345678',
    education: '21', party_status: 'formal', joined_on: '2010-07-01', confirmed_on: '2011-07-01',
  });
  assert.equal(made.status, 201, made.text);
  for (const q of [id, id.toLowerCase(), ` ${id} `, '13912345678']) {
    const r = await admin.call('GET', `/api/v1/members?q=${encodeURIComponent(q)}`);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.items.map((m) => m.id), [made.body.id], q);
    assert.equal(r.body.total, 1, q);
  }
  // a part of a number matches nothing (sealed values are matched whole), and scope holds
  const part = await admin.call('GET', `/api/v1/members?q=${id.slice(0, 10)}`);
  assert.equal(part.body.total, 0);
  const other = await sec.call('GET', `/api/v1/members?q=${id}`);
  assert.equal(other.body.total, 0);
  assert.deepEqual(other.body.items, []);
});

test('P03 committee 职务 from a code table: codes in, Chinese names out', async () => {
  const codes = await admin.call('GET', '/api/v1/codes/committee_role');
  const names = codes.body.items.map((c) => c.name);
  for (const n of ['书记', '副书记', '组织委员', '宣传委员', '纪检委员', '青年委员', '统战委员', '保密委员']) assert.ok(names.includes(n), n);
  const b = srv.branch(2);
  const ok = await admin.call('PATCH', `/api/v1/orgs/${b}`, {
    committee: [{ name: '甲', role: 'secretary' }, { name: '乙', role: 'united_front' }, { name: '丙', role: 'secrecy' }],
  });
  assert.equal(ok.status, 200, ok.text);
  assert.deepEqual(ok.body.committee.map((c) => c.role_name), ['书记', '统战委员', '保密委员']);
  const bad = await admin.call('PATCH', `/api/v1/orgs/${b}`, { committee: [{ name: '丁', role: 'chairman' }] });
  assert.equal(bad.status, 400);
  assert.match(bad.body.errors[0].message, /书记.*统战委员/);
});

let memberSeq = 100;
async function newMember(org, over = {}) {
  const seq = memberSeq++; // one person per call: an area code of this file's own
  const r = await admin.call('POST', '/api/v1/members', {
    org_id: org, name: '状态测试', id_number: idNumber('110102', '1979-04-0' + (1 + (seq % 9)), seq), ethnicity: '01',
    education: '21', party_status: 'formal', joined_on: '2001-07-01', confirmed_on: '2002-07-01', ...over,
  });
  assert.equal(r.status, 201, r.text);
  return r.body;
}

test('P05 outgoing states need date, reason and confirmation; leaving them is an audited correction; 去世 never 正常', async () => {
  const b = srv.branch(0);
  const m = await newMember(b);
  const url = `/api/v1/members/${m.id}/state`;
  // one click no more: a reason and a confirmation are asked for
  let r = await sec.call('POST', url, { state: 'expelled', date: '2025-06-01' });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body.errors.map((e) => e.field).sort(), ['confirm', 'reason']);
  r = await sec.call('POST', url, { state: 'expelled', date: '2025-06-01', reason: '严重违纪', document_no: '区纪发〔2025〕3号', confirm: true });
  assert.equal(r.status, 200, r.text);
  const one = await sec.call('GET', `/api/v1/members/${m.id}`);
  assert.equal(one.body.can.change_state, false); // a secretary may not correct it
  assert.deepEqual(one.body.state_targets, []);
  // back to 正常 is a correction: the 支部书记 may not decide it (the setting names district_admin)
  r = await sec.call('POST', url, { state: 'normal', date: '2025-06-02', reason: '误操作', confirm: true });
  assert.equal(r.status, 403, r.text);
  assert.equal(r.body.code, 'correction_forbidden');
  r = await admin.call('POST', url, { state: 'normal', date: '2025-06-02', confirm: true });
  assert.equal(r.status, 400);
  assert.ok(r.body.errors.some((e) => e.field === 'reason'));
  const adm = await admin.call('GET', `/api/v1/members/${m.id}`);
  assert.ok(adm.body.state_targets.every((x) => x.correction));
  r = await admin.call('POST', url, { state: 'normal', date: '2025-06-02', reason: '误操作，经区委组织部核实', confirm: true });
  assert.equal(r.status, 200, r.text);
  const h = await admin.call('GET', `/api/v1/members/${m.id}/history`);
  assert.match(h.body.items[0].reason, /^更正：误操作/);
  assert.match(h.body.items[1].reason, /文号：区纪发〔2025〕3号/);
  const aud = srv.sql(`SELECT action || '|' || summary FROM audit_log WHERE action LIKE 'member.state%' AND object_id = ${m.id} ORDER BY id`);
  assert.match(aud, /member\.state\|变更党籍状态 正常 → 开除党籍（附文号）/);
  assert.match(aud, /member\.state_correct\|更正党籍状态 开除党籍 → 正常/);
  assert.doesNotMatch(aud, /状态测试|误操作/); // no name nor reason in the log that outlives the record (S13)
  // 去世 never back to 正常, not even by correction
  r = await admin.call('POST', url, { state: 'deceased', date: '2025-07-01', reason: '病故', confirm: true });
  assert.equal(r.status, 200, r.text);
  r = await admin.call('POST', url, { state: 'normal', date: '2025-07-02', reason: '误录', confirm: true });
  assert.equal(r.status, 400);
  assert.equal(r.body.errors[0].code, 'deceased_final');
  const dead = await admin.call('GET', `/api/v1/members/${m.id}`);
  assert.ok(!dead.body.state_targets.some((x) => x.code === 'normal'));
});

test('P06 members belong to a 党支部 or 联合党支部; a new member defaults to the user\'s own branch', async () => {
  const d = await sec.call('GET', '/api/v1/members/defaults');
  assert.equal(d.status, 200, d.text);
  assert.equal(d.body.org_id, srv.branch(0));
  assert.match(d.body.org_type, /党支部/);
  const top = await admin.call('GET', '/api/v1/members/defaults');
  assert.equal(top.body.org_id, null); // works above the branches: picks one
  const root = Number(srv.sql('SELECT id FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1'));
  assert.equal((await admin.call('GET', `/api/v1/members/defaults?org_id=${srv.branch(1)}`)).body.org_id, srv.branch(1));
  assert.equal((await admin.call('GET', `/api/v1/members/defaults?org_id=${root}`)).body.org_id, null);
  assert.equal((await sec.call('GET', `/api/v1/members/defaults?org_id=${srv.branch(1)}`)).body.org_id, srv.branch(0));
  const bad = await admin.call('POST', '/api/v1/members', {
    org_id: root, name: '归属测试', id_number: idNumber('110101', '1977-02-03', 81), ethnicity: '01',
    education: '21', party_status: 'formal', joined_on: '2001-07-01', confirmed_on: '2002-07-01',
  });
  assert.equal(bad.status, 400, bad.text);
  assert.equal(bad.body.errors[0].field, 'org_id');
  assert.equal(bad.body.errors[0].code, 'not_branch');
  const group = await admin.call('POST', '/api/v1/orgs', { parent_id: srv.branch(0), name: '归属测试党小组', type: '党小组' });
  assert.equal(group.status, 201, group.text);
  const m = await newMember(srv.branch(0));
  const move = await admin.call('PATCH', `/api/v1/members/${m.id}`, { org_id: group.body.id });
  assert.equal(move.body.errors[0].code, 'not_branch');
  const placed = await admin.call('PATCH', `/api/v1/members/${m.id}`, { group_org_id: group.body.id });
  assert.equal(placed.status, 200, placed.text);
});

test('P15 moving a member to another branch is kept in their history', async () => {
  const m = await newMember(srv.branch(0));
  const r = await admin.call('PATCH', `/api/v1/members/${m.id}`, { org_id: srv.branch(1) });
  assert.equal(r.status, 200, r.text);
  const h = await admin.call('GET', `/api/v1/members/${m.id}/history`);
  const a = srv.sql(`SELECT name FROM orgs WHERE id = ${srv.branch(0)}`), b = srv.sql(`SELECT name FROM orgs WHERE id = ${srv.branch(1)}`);
  assert.equal(h.body.items[0].reason, `组织调整：${a} → ${b}`);
  assert.equal(h.body.items[0].from_state, h.body.items[0].to_state);
});

test('P07 the default view is 在册党员; 历史党员 is a filter; list, tiles, statistics and export count the same people', async () => {
  const org = srv.community(0);
  const path = srv.sql(`SELECT path FROM orgs WHERE id = ${org}`);
  const inSub = `org_path >= '${path}' AND org_path < '${path.slice(0, -1)}0'`;
  // someone of the subtree leaves the roster
  const b = Number(srv.sql(`SELECT id FROM orgs WHERE ${inSub.replace(/org_path/g, 'path')} AND type = '党支部' ORDER BY id LIMIT 1`));
  const m = await newMember(b);
  assert.equal((await admin.call('POST', `/api/v1/members/${m.id}/state`, { state: 'withdrawn', date: '2025-01-02', reason: '自行脱党', confirm: true })).status, 200);
  const onRoster = Number(srv.sql(`SELECT COUNT(*) FROM members WHERE ${inSub} AND state NOT IN ('deceased', 'withdrawn', 'removed', 'expelled')`));
  const off = Number(srv.sql(`SELECT COUNT(*) FROM members WHERE ${inSub} AND state IN ('deceased', 'withdrawn', 'removed', 'expelled')`));
  assert.ok(off >= 1);
  const list = await admin.call('GET', `/api/v1/members?org_id=${org}&limit=5`);
  assert.equal(list.body.total, onRoster);
  const hist = await admin.call('GET', `/api/v1/members?org_id=${org}&state=history&limit=200`);
  assert.equal(hist.body.total, off);
  assert.ok(hist.body.items.some((x) => x.id === m.id));
  assert.equal((await admin.call('GET', `/api/v1/members?org_id=${org}&state=all&limit=5`)).body.total, onRoster + off);
  const one = await admin.call('GET', `/api/v1/orgs/${org}`);
  assert.equal(one.body.subtree.member_count, onRoster);
  const st = await admin.call('GET', `/api/v1/stats/members?org_id=${org}`);
  assert.equal(st.body.total, onRoster);
  const csv = await exportFile(srv, admin, `format=csv&org_id=${org}`);
  const lines = csv.text.trim().split('\n');
  assert.equal(lines.length - 1, onRoster);
});

// n children under parent, straight into the table (a street of 1,000+ is the issue's case)
function addChildren(parent, n, prefix) {
  const p = srv.sql(`SELECT path FROM orgs WHERE id = ${parent}`);
  const base = Number(srv.sql('SELECT MAX(id) FROM orgs')) + 1;
  const rows = [];
  for (let i = 0; i < n; i++) rows.push(`(${base + i}, ${parent}, '${p}${base + i}/', '${prefix}${i + 1}党支部', '党支部', '社区')`);
  srv.sql(`INSERT INTO orgs (id, parent_id, path, name, type, domain) VALUES ${rows.join(',')}`);
  if (isPg()) srv.sql("SELECT setval(pg_get_serial_sequence('orgs', 'id'), (SELECT MAX(id) FROM orgs))");
  return base;
}

test('P19 children come in pages with the true total', async () => {
  const street = srv.community(1);
  const before = Number(srv.sql(`SELECT COUNT(*) FROM orgs WHERE parent_id = ${street}`));
  addChildren(street, 1050, '分页测试');
  const want = before + 1050;
  const seen = new Set();
  let cursor = null, pages = 0;
  do {
    const r = await admin.call('GET', `/api/v1/orgs?parent_id=${street}&limit=200${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.total, want);
    for (const o of r.body.items) seen.add(o.id);
    cursor = r.body.next_cursor;
  } while (cursor && ++pages < 20);
  assert.equal(seen.size, want);
  const pick = await secadmin.call('GET', `/api/v1/orgs/picker?parent_id=${street}&limit=100`);
  assert.equal(pick.body.total, want);
  assert.ok(pick.body.next_cursor);
});

test('P20 organization search: each result with its path, paged, true total', async () => {
  const a = srv.community(0), b = srv.community(1);
  addChildren(a, 3, '同名检索');
  addChildren(b, 60, '同名检索');
  const r = await admin.call('GET', `/api/v1/orgs?q=${encodeURIComponent('同名检索1党支部')}&limit=50`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.total, 2); // 同名检索1党支部 under both communities
  const paths = r.body.items.map((o) => o.path_names.join(' › '));
  assert.notEqual(paths[0], paths[1]); // same-named branches told apart
  for (const o of r.body.items) assert.ok(o.path_names.length >= 2, JSON.stringify(o));
  const all = await admin.call('GET', `/api/v1/orgs?q=${encodeURIComponent('同名检索')}&limit=50`);
  assert.equal(all.body.total, 63);
  assert.equal(all.body.items.length, 50);
  const next = await admin.call('GET', `/api/v1/orgs?q=${encodeURIComponent('同名检索')}&limit=50&cursor=${all.body.next_cursor}`);
  assert.equal(next.body.items.length, 13);
  assert.equal(next.body.next_cursor, null);
  // a secretary's results start at their own scope: nothing above it is named
  const mine = srv.sql(`SELECT name FROM orgs WHERE id = ${srv.branch(0)}`);
  const s = await sec.call('GET', `/api/v1/orgs?q=${encodeURIComponent(mine)}`);
  assert.deepEqual(s.body.items.find((o) => o.id === srv.branch(0)).path_names, []);
  // the totals are kept at the organizations' revision (0124): an added, renamed or
  // removed organization shows in the next answer
  const id = addChildren(b, 1, '同名检索');
  assert.equal((await admin.call('GET', `/api/v1/orgs?q=${encodeURIComponent('同名检索')}&limit=50`)).body.total, 64);
  srv.sql(`UPDATE orgs SET name = '改名检索' WHERE id = ${id}`);
  assert.equal((await admin.call('GET', `/api/v1/orgs?q=${encodeURIComponent('同名检索')}&limit=50`)).body.total, 63);
  assert.equal((await admin.call('GET', `/api/v1/orgs?parent_id=${b}&q=${encodeURIComponent('改名检索')}`)).body.total, 1);
  srv.sql(`DELETE FROM orgs WHERE id = ${id}`);
  assert.equal((await admin.call('GET', `/api/v1/orgs?parent_id=${b}&q=${encodeURIComponent('改名检索')}`)).body.total, 0);
});

async function importJob(buf, query) {
  const r = await upload(srv, admin, `/api/v1/members/import?org_id=${srv.branch(3)}&${query}`, buf, 'text/csv');
  assert.equal(r.status, 202, r.text);
  return waitJob(admin, r.body.id);
}

test('P08 a dry run that read 0 rows is an error, not a green pass', async () => {
  const onlyHeader = Buffer.from(`${HEADERS.join(',')}\n`);
  const j = await importJob(onlyHeader, 'dry_run=1&format=csv');
  assert.equal(j.result.total, 0);
  assert.equal(j.result.code, 'no_rows');
  assert.match(j.result.failed, /没有读到任何数据行/);
});

test('P22 the import\'s error list says when it stops at its cap', async () => {
  const rows = rosterRows(1105, 77).map((r) => ({ ...r, 身份证号码: '123' }));
  const j = await importJob(Buffer.from(csvText(rows)), 'dry_run=1&format=csv');
  assert.equal(j.result.bad, 1105);
  assert.ok(j.result.error_count >= 1105);
  assert.equal(j.result.errors_shown, 1000);
  assert.equal(j.result.errors_truncated, true);
});

test('P10 export: 所属组织 and 党龄 columns, a file name with the organization and date, frozen header and filter, money as a number, 18-digit IDs in CSV', async () => {
  const org = srv.branch(0);
  const orgName = srv.sql(`SELECT name FROM orgs WHERE id = ${org}`);
  const x = await exportFile(srv, admin, `format=xlsx&org_id=${org}`);
  assert.equal(x.status, 200);
  const cd = decodeURIComponent(x.headers.get('content-disposition'));
  const day = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10).replace(/-/g, '');
  assert.ok(cd.includes(`党员名册_${orgName}_${day}.xlsx`), cd);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(x.buf);
  const ws = wb.worksheets[0];
  const head = ws.getRow(1).values.slice(1);
  assert.deepEqual(head.slice(-2), ['所属组织', '党龄（年）']);
  assert.equal(ws.views[0].state, 'frozen');
  assert.equal(ws.views[0].ySplit, 1);
  assert.ok(ws.autoFilter, 'an autofilter');
  const dues = head.indexOf('党费基数') + 1, orgCol = head.indexOf('所属组织') + 1;
  let money = 0;
  ws.eachRow((row, n) => {
    if (n === 1) return;
    assert.equal(row.getCell(orgCol).value, orgName);
    if (row.getCell(dues).value !== null) { assert.equal(typeof row.getCell(dues).value, 'number'); money++; }
  });
  assert.ok(money > 0, 'some dues written');
  const c = await exportFile(srv, admin, `format=csv&org_id=${org}&reveal=1&purpose=${encodeURIComponent('换届核对')}`);
  const rows = readCsv(c.buf);
  assert.ok(decodeURIComponent(c.headers.get('content-disposition')).includes(`党员名册_${orgName}_${day}.csv`));
  for (const r of rows.slice(1)) assert.match(r[3], /^\t\d{17}[\dX]$/);
  // the importer reads the file back (the tab trimmed, the extra columns passed over)
  const dry = await upload(srv, admin, `/api/v1/members/import?org_id=${srv.branch(1)}&dry_run=1&format=csv`, c.buf, 'text/csv');
  const j = await waitJob(admin, dry.body.id);
  assert.equal(j.result.total, rows.length - 1);
  assert.deepEqual(j.result.errors.filter((e) => e.code !== 'duplicate_person'), []); // only: already on the roster
});

test('P08 the template: required columns marked, drop-down lists for coded columns, an instructions sheet, no importable sample', async () => {
  const t = await download(srv, admin, '/api/v1/members/import/template.xlsx');
  assert.equal(t.status, 200);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(t.buf);
  assert.deepEqual(wb.worksheets.map((w) => w.name), ['党员信息', '填写说明', '代码表']);
  const ws = wb.worksheets[0];
  const head = ws.getRow(1).values.slice(1);
  assert.deepEqual(head.filter((h) => h.endsWith('*')), ['姓名*', '身份证号码*', '党员类别*', '入党时间*']);
  assert.equal(ws.actualRowCount, 1, 'no sample row');
  const lists = [];
  for (const col of ['性别', '民族', '学历', '单位性质', '人员类别', '党员类别', '党籍状态']) {
    const c = head.findIndex((h) => h.replace('*', '') === col) + 1;
    const dv = ws.getCell(2, c).dataValidation;
    assert.ok(dv, col);
    if (dv.type === 'list') lists.push(col);
    else assert.match(dv.prompt, /代码表/, col); // a list longer than Excel allows points to the code sheet
  }
  for (const col of ['性别', '党员类别', '党籍状态']) assert.ok(lists.includes(col), col);
  assert.ok(wb.worksheets[2].getColumn(1).values.includes('男'));
  assert.match(wb.worksheets[1].getCell(1, 1).value, /填写说明/);
  // the template as it comes imports nothing: a dry run of it fails with no_rows
  const dry = await upload(srv, admin, `/api/v1/members/import?org_id=${srv.branch(3)}&dry_run=1&format=xlsx`, t.buf);
  const j = await waitJob(admin, dry.body.id);
  assert.equal(j.result.code, 'no_rows');
});

test('P09 real spreadsheets: title rows, header variants, everyday words, date forms, full-width digits, lowercase x, inner spaces', async () => {
  let seq = 601;
  while (!idNumber('320102', '1984-11-23', seq).endsWith('X')) seq += 2; // odd: a man
  const idx = idNumber('320102', '1984-11-23', seq);
  const id2 = idNumber('320102', '1990-02-14', 612); // even: a woman
  const full = (s) => s.replace(/[0-9]/g, (d) => String.fromCharCode(0xff10 + Number(d)));
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('花名册');
  ws.addRow(['某某社区第一党支部党员花名册']);
  ws.addRow(['填报日期：2026年3月']);
  ws.addRow(['序号', '党员姓名', '性别', '公民身份号码', '民族', '文化程度', '联系电话', '入党日期', '转正日期', '党员身份']);
  ws.addRow([1, '王  小明', '男', idx.toLowerCase(), '汉', '本科', full('13912340001'), '2010年7月1日', '2011.7.1', '正式']);
  ws.addRow([2, ' 李 红 ', '女性', ` ${full(id2)} `, '汉族', '大专', '13912340002', new Date(Date.UTC(2015, 6, 1)), '2016/7/1', '正式党员']);
  const buf = Buffer.from(await wb.xlsx.writeBuffer());
  const org = srv.branch(4);
  const dry = await upload(srv, admin, `/api/v1/members/import?org_id=${org}&dry_run=1&format=xlsx`, buf);
  const j = await waitJob(admin, dry.body.id);
  assert.deepEqual([j.result.total, j.result.good, j.result.bad], [2, 2, 0], JSON.stringify(j.result.errors));
  const real = await upload(srv, admin, `/api/v1/members/import?org_id=${org}&format=xlsx`, buf);
  const r = await waitJob(admin, real.body.id);
  assert.equal(r.result.imported, 2, JSON.stringify(r.result));
  const got = srv.sql(`SELECT name || '|' || sex || '|' || ethnicity || '|' || education || '|' || joined_on || '|' || confirmed_on || '|' || party_status FROM members WHERE org_id = ${org} AND name IN ('王小明', '李红') ORDER BY name`).split('\n');
  assert.deepEqual(got, ['李红|2|01|31|2015-07-01|2016-07-01|formal', '王小明|1|01|21|2010-07-01|2011-07-01|formal']);
  const found = await admin.call('GET', `/api/v1/members?q=${idx}`); // the lowercase x stored as X
  assert.equal(found.body.total, 1);
  const mob = await admin.call('GET', '/api/v1/members?q=13912340001'); // full-width digits stored as ASCII
  assert.equal(mob.body.total, 1);
});

test('P11 the audit log in Chinese: action, role, object and summary names, an action picker, an export for the auditor', async () => {
  const auditor = await as(srv, 'auditor');
  // a user disabled: stored as status=active->disabled, shown in words
  const u = await as(srv, 'member', srv.branch(0));
  const sys = await as(srv, 'sysadmin');
  const users = await sys.call('GET', `/api/v1/users?q=${u.username}`);
  const uid = users.body.items[0].id;
  assert.equal((await sys.call('PATCH', `/api/v1/users/${uid}`, { status: 'disabled' })).status, 200);
  const r = await auditor.call('GET', `/api/v1/audit?object_type=user&object_id=${uid}&limit=50`);
  assert.equal(r.status, 200, r.text);
  const dis = r.body.items.find((x) => /disabled/.test(x.summary_raw || ''));
  assert.ok(dis, r.text);
  assert.equal(dis.summary, '状态：正常 → 停用');
  assert.equal(dis.role_name, '系统管理员');
  assert.match(dis.object_name, new RegExp(`^用户 .*（${u.username}）$`));
  assert.ok(dis.action_name && !/[a-z]/.test(dis.action_name));
  // a member's row names the member
  const made = await newMember(srv.branch(1), { name: '审计对象' });
  const m = await auditor.call('GET', '/api/v1/audit?action=member.create&limit=5');
  assert.ok(m.body.items.length > 0);
  assert.equal(m.body.items[0].object_name, '党员 审计对象');
  assert.equal(m.body.items[0].object_id, made.id);
  assert.equal(m.body.items[0].role_name, '组织部管理员');
  // the picker: every action by its Chinese name
  const acts = await auditor.call('GET', '/api/v1/audit/actions');
  assert.ok(acts.body.items.some((a) => a.code === 'member.state_correct' && a.name === '更正党籍状态'));
  // the export, audited
  const x = await download(srv, auditor, '/api/v1/audit/export?action=member.create');
  assert.equal(x.status, 200);
  const rows = readCsv(x.buf);
  assert.deepEqual(rows[0], ['编号', '时间', '操作人', '角色', '操作', '对象', '结果', '摘要', '来源地址']);
  assert.equal(rows.length - 1, Number(srv.sql("SELECT COUNT(*) FROM audit_log WHERE action = 'member.create'")));
  assert.equal(rows[1][4], '新增党员');
  assert.equal(Number(srv.sql("SELECT COUNT(*) FROM audit_log WHERE action = 'audit.export'")), 1);
  assert.equal((await admin.call('GET', '/api/v1/audit/export')).status, 403);
});

test('P17 预备党员 have no 党龄; organizations check phone and code; a 联合党支部 is not told to form one; a clear 延期 message', async () => {
  const p = await newMember(srv.branch(2), { party_status: 'probationary', joined_on: '2025-07-01', confirmed_on: null });
  assert.equal(p.party_age, null);
  const f = await newMember(srv.branch(2));
  assert.ok(f.party_age >= 20);
  const b = srv.branch(2);
  for (const [body, field] of [[{ phone: 'abc123' }, 'phone'], [{ phone: '12' }, 'phone'], [{ code: '代码 1' }, 'code']]) {
    const r = await admin.call('PATCH', `/api/v1/orgs/${b}`, body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.body.errors[0].field, field);
  }
  assert.equal((await admin.call('PATCH', `/api/v1/orgs/${b}`, { phone: '021-6432 1234', code: 'DZB-001' })).status, 200);
  const joint = await admin.call('POST', '/api/v1/orgs', { parent_id: srv.community(0), name: '联合测试联合党支部', type: '联合党支部' });
  assert.equal(joint.status, 201, joint.text);
  const codes = joint.body.alerts.map((a) => a.code);
  assert.ok(codes.includes('joint_too_few'), JSON.stringify(joint.body.alerts));
  assert.ok(!codes.includes('too_few_members'));
  const t = await admin.call('PATCH', `/api/v1/orgs/${joint.body.id}`, { term_started_on: '2024-03-01', term_years: 3, extended_until: '2026-01-01', extension_reason: '上级批准' });
  assert.equal(t.status, 400);
  assert.match(t.body.errors[0].message, /应晚于本届届满日期 2027-03-01/);
  const t2 = await admin.call('PATCH', `/api/v1/orgs/${joint.body.id}`, { term_started_on: '2024-03-01', term_years: 3, extended_until: '2028-06-01', extension_reason: '上级批准' });
  assert.match(t2.body.errors[0].message, /最晚延至 2028-03-01/);
});
