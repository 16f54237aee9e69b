// roster_cli.test.mjs: the roster's command-line side on the real binary: the demo
// district (deterministic, rule-abiding), `dangjian import` of files written by other
// tools (an exceljs .xlsx, a CSV saved in GBK, UTF-8 with BOM), every bad row reported,
// all-or-nothing and good-only, and S4 (no plaintext ID number or mobile in the
// database file, its WAL or a backup).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, removeDir, isPg } from './lib/server.mjs';
import { rosterRows, writeXlsx, writeCsv, sql, idNumber, addYears } from './lib/roster.mjs';

function fresh() { return mkdtempSync(join(tmpdir(), 'dj-roster-')); }
function run(dir, args) {
  const r = cli(dir, args);
  return { ...r, json: (() => { try { return JSON.parse(r.stdout); } catch { return undefined; } })() };
}
function branchId(dir) { return Number(sql(dir, "SELECT MIN(id) FROM orgs WHERE type = '党支部'")); }

test('demo: deterministic for a seed, different for another; every member passes validation', () => {
  const a = fresh(), b = fresh(), c = fresh();
  try {
    for (const [d, seed] of [[a, 7], [b, 7], [c, 8]]) {
      const r = run(d, ['demo', '--orgs', '40', '--members', '800', '--seed', String(seed)]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /demo: 40 organizations .*800 members/);
    }
    const q = 'SELECT name, sex, birth_date, joined_on, confirmed_on, party_status, org_path FROM members ORDER BY id';
    assert.equal(sql(a, q), sql(b, q));
    assert.notEqual(sql(a, q), sql(c, q));
    assert.equal(sql(a, 'SELECT path, name, type FROM orgs ORDER BY id'), sql(b, 'SELECT path, name, type FROM orgs ORDER BY id'));
    // the levels of the district: 街道党工委 → 社区党委 → 网格党支部 → 楼院党小组, and the other domains
    const labels = sql(a, "SELECT DISTINCT COALESCE(label, type) || '/' || domain FROM orgs").split('\n');
    for (const l of ['街道党工委/社区', '网格党支部/社区', '楼院党小组/社区']) assert.ok(labels.includes(l), l);
    assert.ok(labels.some((l) => l.endsWith('/机关')) && labels.some((l) => l.endsWith('/国企')));
    // R-DEV-11: a formal member's 转正 is at least a year after 入党; probationary ones have none
    // (calendar years: 29 Feb + 1 year = 28 Feb, R-DEV-03's convention; SQLite's date() would say 1 Mar)
    const plusYear = (d) => {
      const [y, m, dd] = d.split('-').map(Number);
      const last = new Date(Date.UTC(y + 1, m, 0)).getUTCDate();
      return `${y + 1}-${String(m).padStart(2, '0')}-${String(Math.min(dd, last)).padStart(2, '0')}`;
    };
    const formal = sql(a, "SELECT joined_on || '|' || COALESCE(confirmed_on, '') FROM members WHERE party_status = 'formal'").split('\n');
    assert.ok(formal.length > 500);
    for (const line of formal) {
      const [j, c] = line.split('|');
      assert.ok(c && c >= plusYear(j), line);
    }
    assert.equal(sql(a, "SELECT COUNT(*) FROM members WHERE party_status = 'probationary' AND confirmed_on IS NOT NULL"), '0');
    // R-DEV-01: nobody joined before 18
    const young = sql(a, "SELECT birth_date || '|' || joined_on FROM members").split('\n')
      .filter((l) => { const [b, j] = l.split('|'); return j < addYears(b, 18); });
    assert.deepEqual(young, []);
    // a second demo into the same database is refused
    assert.notEqual(run(a, ['demo', '--orgs', '5', '--members', '5']).status, 0);
    const st = run(a, ['stats']);
    assert.equal(st.status, 0, st.stderr);
    // the roster's 800, those who left it, and the 预备党员 the development demo made (step 15)
    assert.equal(st.json.total + Number(sql(a, "SELECT COUNT(*) FROM members WHERE state = 'deceased'"))
      - Number(sql(a, 'SELECT COUNT(*) FROM dev_applicants WHERE member_id IS NOT NULL')), 800);
  } finally { for (const d of [a, b, c]) removeDir(d); }
});

test('import: a 1,000-row .xlsx written by exceljs (not our writer), with real Excel dates', async () => {
  const dir = fresh();
  try {
    assert.equal(run(dir, ['demo', '--orgs', '10', '--members', '0']).status, 0);
    const rows = rosterRows(1000, 3);
    const file = join(dir, 'roster.xlsx');
    await writeXlsx(file, rows, { dates: true });
    const dry = run(dir, ['import', file, '--org', String(branchId(dir)), '--dry-run']);
    assert.equal(dry.status, 0, dry.stdout + dry.stderr);
    assert.deepEqual([dry.json.total, dry.json.good, dry.json.bad, dry.json.imported], [1000, 1000, 0, 0]);
    assert.equal(sql(dir, 'SELECT COUNT(*) FROM members'), '0'); // a dry run changes nothing
    const r = run(dir, ['import', file, '--org', String(branchId(dir))]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(r.json.imported, 1000);
    assert.equal(sql(dir, 'SELECT COUNT(*) FROM members'), '1000');
    const first = rows[0];
    assert.equal(sql(dir, `SELECT joined_on || '|' || confirmed_on || '|' || education || '|' || sex FROM members WHERE name = '${first['姓名']}' ORDER BY id LIMIT 1`).split('\n')[0].split('|')[0].length, 10);
    assert.equal(sql(dir, `SELECT COUNT(*) FROM members WHERE joined_on = '${first['入党时间']}' AND name = '${first['姓名']}'`) >= '1', true);
    // nobody twice: the same file again is all duplicates, and nothing is added
    const again = run(dir, ['import', file, '--org', String(branchId(dir))]);
    assert.equal(again.json.bad, 1000);
    assert.equal(again.json.errors[0].code, 'duplicate_person');
    assert.equal(sql(dir, 'SELECT COUNT(*) FROM members'), '1000');
  } finally { removeDir(dir); }
});

test('import: a CSV saved in GBK is detected and converted; UTF-8 with BOM too', () => {
  const dir = fresh();
  try {
    assert.equal(run(dir, ['demo', '--orgs', '10', '--members', '0']).status, 0);
    const rows = rosterRows(50, 5);
    const gbk = join(dir, 'gbk.csv');
    const bytes = writeCsv(gbk, rows, { encoding: 'gbk' });
    assert.throws(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes)); // really not UTF-8
    const r = run(dir, ['import', gbk, '--org', String(branchId(dir))]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(r.json.encoding, 'gb18030');
    assert.equal(r.json.imported, 50);
    assert.equal(sql(dir, `SELECT COUNT(*) FROM members WHERE name = '${rows[0]['姓名']}'`) >= '1', true);
    assert.equal(sql(dir, "SELECT COUNT(*) FROM members WHERE address LIKE '长乐路%'"), '50');
    const bom = join(dir, 'bom.csv');
    writeCsv(bom, rosterRows(20, 6).map((x, i) => ({ ...x, 身份证号码: idNumber('110105', `1940-01-${String(1 + i).padStart(2, '0')}`, x['性别'] === '男' ? 11 : 12) })), { bom: true });
    const b = run(dir, ['import', bom, '--org', String(branchId(dir))]);
    assert.equal(b.json.encoding, 'utf-8-bom');
    assert.equal(b.json.imported, 20, b.stdout);
  } finally { removeDir(dir); }
});

test('import: every bad row is reported with row, column and a Chinese message; all-or-nothing unless good_only', () => {
  const dir = fresh();
  try {
    assert.equal(run(dir, ['demo', '--orgs', '10', '--members', '0']).status, 0);
    const rows = rosterRows(6, 9);
    rows[1]['身份证号码'] = rows[1]['身份证号码'].slice(0, 17) + (rows[1]['身份证号码'][17] === '1' ? '2' : '1'); // checksum
    rows[2]['入党时间'] = '2020-02-30'; // not a date
    rows[3]['民族'] = '火星族'; // not a code
    rows[4]['身份证号码'] = rows[0]['身份证号码']; // the same person twice in the file
    rows[4]['性别'] = rows[0]['性别'];
    rows[5]['性别'] = rows[5]['性别'] === '男' ? '女' : '男'; // sex disagrees with the ID
    const file = join(dir, 'bad.csv');
    writeCsv(file, rows);
    const r = run(dir, ['import', file, '--org', String(branchId(dir))]);
    assert.notEqual(r.status, 0);
    assert.deepEqual([r.json.total, r.json.good, r.json.bad, r.json.imported], [6, 1, 5, 0]);
    const seen = r.json.errors.map((e) => `${e.row}:${e.column}:${e.code}`);
    for (const want of ['3:身份证号码:id_checksum', '4:入党时间:invalid_date', '5:民族:invalid_code',
      '6:身份证号码:duplicate_in_file', '7:性别:id_sex_mismatch']) assert.ok(seen.includes(want), `${want} in ${seen}`);
    for (const e of r.json.errors) assert.match(e.message, /[\u4e00-\u9fff]/);
    assert.equal(sql(dir, 'SELECT COUNT(*) FROM members'), '0'); // all-or-nothing
    const g = run(dir, ['import', file, '--org', String(branchId(dir)), '--good-only']);
    assert.equal(g.json.imported, 1);
    assert.equal(sql(dir, 'SELECT COUNT(*) FROM members'), '1');
    // a file without the template's required columns is refused as a whole
    const nohdr = join(dir, 'nohdr.csv');
    writeCsv(nohdr, rows, { headers: ['名字', '身份证'] });
    const n = run(dir, ['import', nohdr, '--org', String(branchId(dir))]);
    assert.ok(n.json.failed, n.stdout);
    assert.ok(n.json.errors.some((e) => e.code === 'missing_column' && e.column === '姓名'));
  } finally { removeDir(dir); }
});

// The bytes the store keeps of dir's database: SQLite's file, its WAL and a backup; on
// PostgreSQL the database's own relation files (base/<oid>, after a CHECKPOINT wrote
// every page out; the cluster's WAL is shared by every test of the run and not read
// here, and a pg_dump would print BYTEA columns in hex, where 18 digits in a row occur
// by chance).
function storedBytes(dir) {
  if (isPg()) {
    sql(dir, 'CHECKPOINT');
    const [data, oid] = sql(dir, "SELECT current_setting('data_directory') || '|' || oid FROM pg_database WHERE datname = current_database()").split('|');
    const base = join(data, 'base', oid);
    return readdirSync(base).map((f) => readFileSync(join(base, f)));
  }
  const bak = join(dir, 'backup.db');
  assert.equal(cli(dir, ['backup', bak]).status, 0);
  const files = readdirSync(dir).filter((f) => /\.db(-wal)?$/.test(f) || f === 'backup.db').map((f) => join(dir, f));
  assert.ok(files.length >= 2);
  return files.filter(existsSync).map((f) => readFileSync(f));
}

test('S4 no plaintext seeded ID number or mobile in the database file, its WAL or a backup', () => {
  const dir = fresh();
  try {
    assert.equal(run(dir, ['demo', '--orgs', '10', '--members', '200']).status, 0);
    const rows = rosterRows(100, 11);
    const file = join(dir, 'seed.csv');
    writeCsv(file, rows);
    assert.equal(run(dir, ['import', file, '--org', String(branchId(dir))]).json.imported, 100);
    const blobs = storedBytes(dir);
    // the bytes read are the roster's: the imported names (stored in clear) are there
    assert.ok(rows.slice(0, 5).every((row) => blobs.some((b) => b.includes(Buffer.from(row['姓名'])))), 'names in the stored bytes');
    for (const row of rows) {
      for (const secret of [row['身份证号码'], row['手机号码']]) {
        for (const b of blobs) assert.equal(b.indexOf(Buffer.from(secret)), -1, `${secret} in plaintext`);
      }
    }
    // and no 18-character ID of any seeded member either (the demo's own)
    for (const b of blobs) assert.doesNotMatch(b.toString('latin1'), /\d{17}[\dX](?!\d)/);
  } finally { removeDir(dir); }
});
