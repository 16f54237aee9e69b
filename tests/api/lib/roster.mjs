// tests/api/lib/roster.mjs: realistic roster fixtures for the import, export and
// security tests, generated at run time (no committed binaries):
//   idNumber(area, 'YYYY-MM-DD', seq)   a valid GB 11643 ID number
//   rosterRows(n, seed)                  rows under the import template's headers
//   writeXlsx(path, rows)                an .xlsx written by exceljs (not our writer)
//   writeCsv(path, rows, {encoding})     a CSV in UTF-8 (with BOM) or GBK (via iconv)
//   readXlsx(path) / readCsv(buffer)     read files back for comparison
//   sql(dir, query)                      sqlQuery (server.mjs): SQL on a test's database
//   addYears('YYYY-MM-DD', n)            SQLite's date(d, '+n years'), for SQL on both stores
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import ExcelJS from 'exceljs';
import { sqlQuery } from './server.mjs';

export const HEADERS = ['姓名', '曾用名', '性别', '身份证号码', '民族', '籍贯', '手机号码', '家庭住址', '学历', '学位',
  '工作单位', '单位性质', '职务', '人员类别', '党员类别', '党籍状态', '党内职务', '入党时间', '转正时间', '入党介绍人',
  '党费基数', '党费交至'];

export function idNumber(area, birth, seq) {
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const body = area + birth.replace(/-/g, '') + String(seq).padStart(3, '0');
  let s = 0;
  for (let i = 0; i < 17; i++) s += Number(body[i]) * w[i];
  return body + '10X98765432'[s % 11];
}

// A small deterministic generator (mulberry32) so that fixtures repeat exactly.
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SUR = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '郭', '何', '高', '林', '欧阳'];
const GM = ['伟', '强', '磊', '军', '建国', '志强', '海涛', '文博', '振华', '立新'];
const GF = ['芳', '娜', '敏', '静', '秀英', '桂英', '丽华', '春梅', '晓红', '雨桐'];
const pad = (n) => String(n).padStart(2, '0');
const iso = (y, m, d) => `${y}-${pad(m)}-${pad(d)}`;

// n rows of plausible members (unique IDs: the sequence number carries the row).
export function rosterRows(n, seed = 1) {
  const r = rng(seed);
  const pick = (a) => a[Math.floor(r() * a.length)];
  const rows = [];
  for (let i = 0; i < n; i++) {
    const male = r() < 0.52;
    const y = 1940 + Math.floor(r() * 60), m = 1 + Math.floor(r() * 12), d = 1 + Math.floor(r() * 28);
    const seq = (i % 500) * 2 + (male ? 1 : 0);
    const area = ['310104', '310101', '320102', '330106'][Math.floor(i / 500) % 4];
    const jy = y + 19 + Math.floor(r() * 20);
    const joined = iso(Math.min(jy, 2024), 1 + Math.floor(r() * 12), 1 + Math.floor(r() * 28));
    const conf = `${Number(joined.slice(0, 4)) + 1}${joined.slice(4)}`;
    rows.push({
      姓名: pick(SUR) + pick(male ? GM : GF), 性别: male ? '男' : '女', 身份证号码: idNumber(area, iso(y, m, d), seq),
      民族: r() < 0.94 ? '汉族' : '回族', 籍贯: pick(['上海', '江苏', '浙江', '安徽']),
      手机号码: `13${String(100000000 + i * 7919 + Math.floor(r() * 1000)).slice(0, 9)}`,
      家庭住址: `长乐路${1 + Math.floor(r() * 300)}弄${1 + Math.floor(r() * 40)}号`, 学历: pick(['大学本科毕业', '大学专科毕业', '普通高中毕业', '硕士研究生毕业']),
      单位性质: pick(['社区', '非公企业', '机关', '事业']), 人员类别: pick(['工人', '离退休人员', '专业技术人员']),
      党员类别: '正式党员', 党籍状态: '正常', 入党时间: joined, 转正时间: conf, 入党介绍人: '李四、王五', 党费基数: '5000',
      党费交至: '2026-10',
    });
  }
  return rows;
}

export async function writeXlsx(path, rows, { headers = HEADERS, dates = false } = {}) {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'exceljs';
  const ws = wb.addWorksheet('党员信息');
  ws.addRow(headers);
  for (const row of rows) {
    ws.addRow(headers.map((h) => {
      const v = row[h] ?? '';
      // real Excel dates (serial numbers with a date format) where asked
      if (dates && (h === '入党时间' || h === '转正时间') && v) return new Date(`${v}T00:00:00Z`);
      return v;
    }));
  }
  await wb.xlsx.writeFile(path);
}

export function csvText(rows, headers = HEADERS) {
  const q = (s) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return [headers.join(','), ...rows.map((r) => headers.map((h) => q(String(r[h] ?? ''))).join(','))].join('\r\n') + '\r\n';
}

export function writeCsv(path, rows, { encoding = 'utf8', bom = false, headers = HEADERS } = {}) {
  const text = csvText(rows, headers);
  if (encoding === 'gbk') {
    const r = spawnSync('iconv', ['-f', 'UTF-8', '-t', 'GBK'], { input: Buffer.from(text, 'utf8') });
    if (r.status !== 0) throw new Error(`iconv: ${r.stderr}`);
    writeFileSync(path, r.stdout);
    return r.stdout;
  }
  const buf = Buffer.concat([bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0), Buffer.from(text, 'utf8')]);
  writeFileSync(path, buf);
  return buf;
}

export async function readXlsx(pathOrBuffer) {
  const wb = new ExcelJS.Workbook();
  if (typeof pathOrBuffer === 'string') await wb.xlsx.readFile(pathOrBuffer);
  else await wb.xlsx.load(pathOrBuffer);
  const ws = wb.worksheets[0];
  const out = [];
  ws.eachRow({ includeEmpty: false }, (row) => {
    const vals = [];
    for (let c = 1; c <= HEADERS.length; c++) {
      const v = row.getCell(c).value;
      vals.push(v === null || v === undefined ? '' : String(v));
    }
    out.push(vals);
  });
  return out;
}

export function readCsv(buf) {
  let text = buf.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const rows = [];
  let row = [], cell = '', q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') q = false; else cell += c;
    } else if (c === '"') q = true;
    else if (c === ',') { row.push(cell); cell = ''; }
    else if (c === '\n') { row.push(cell.replace(/\r$/, '')); rows.push(row); row = []; cell = ''; }
    else cell += c;
  }
  if (cell || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

export const sql = sqlQuery;

// The date n years after iso (n < 0: before), as SQLite's date(iso, '+n years') gives it
// (29 February of a year without one becomes 1 March), so that SQL run on either store
// can compare ISO dates with a literal instead of a dialect's date function.
export function addYears(iso, n) {
  const [y, m, d] = iso.split('-').map(Number);
  return new Date(Date.UTC(y + n, m - 1, d)).toISOString().slice(0, 10);
}
