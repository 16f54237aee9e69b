// name_order.test.mjs: issue 20 #13, names sorted by 汉语拼音 (and by 姓氏笔画 as a
// choice) the same on SQLite and PostgreSQL: the member list's name order is the
// stored key of core/collate.c (0114_member_name_order), walked by keyset pages; rows
// written before 0114 get their keys at the next start.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startServer, cli } from './lib/server.mjs';
import { district, as } from './lib/roster_api.mjs';
import { idNumber, rosterRows, writeCsv, sql } from './lib/roster.mjs';

let srv, admin, branch;
const PINYIN = ['阿强', '白雪', '陈明', '李四', '单田芳', '王五', '张三', '赵六'];
// 丁 2, 王 4, 田 5, 赵 9, 曾 12 strokes
const STROKES = ['丁一', '王五', '田七', '赵六', '曾八'];

before(async () => {
  srv = await district({ orgs: 20, members: 60, seed: 3 });
  admin = await as(srv, 'district_admin', 1);
  branch = srv.branch(2);
  let seq = 600;
  // created in an order that is neither code point nor pinyin
  for (const name of [...new Set(['赵六', '张三', '单田芳', '阿强', '王五', '陈明', '白雪', '李四', '曾八', '田七', '丁一'])]) {
    const r = await admin.call('POST', '/api/v1/members', {
      org_id: branch, name, id_number: idNumber('110101', '1980-01-01', seq++), ethnicity: '01',
      education: '21', party_status: 'formal', joined_on: '2010-07-01', confirmed_on: '2011-07-01',
    });
    assert.equal(r.status, 201, r.text);
  }
});
after(async () => { await srv.stop(); });

// the names of the branch's list in order, page by page (limit 3: keyset cursors)
async function names(sort) {
  const out = [];
  let cursor = '';
  for (let i = 0; i < 100; i++) {
    const r = await admin.call('GET', `/api/v1/members?org_id=${branch}&state=all&limit=3&sort=${sort}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    assert.equal(r.status, 200, r.text);
    out.push(...r.body.items.map((m) => m.name));
    if (!r.body.next_cursor) return out;
    cursor = r.body.next_cursor;
  }
  throw new Error('more than 100 pages');
}
const only = (list, want) => list.filter((n) => want.includes(n));

test('P13 the member list sorts names by pinyin: 阿 < 白 < 陈 < 李 < 单(Shàn) < 王 < 张 < 赵, across keyset pages', async () => {
  const all = await names('name');
  assert.deepEqual(only(all, PINYIN), PINYIN);
  assert.equal(all.length, Number(sql(srv.dir, `SELECT COUNT(*) FROM members WHERE org_id = ${branch}`)), 'every member once');
  // the stored key compares bytewise on both stores: the database's own order of it
  const db = sql(srv.dir, `SELECT name FROM members WHERE org_id = ${branch} ORDER BY name_pinyin, id`).split('\n');
  assert.deepEqual(all, db);
});

test('P13 姓氏笔画: sort=strokes orders by stroke count (丁 2 < 王 4 < 田 5 < 赵 9 < 曾 12)', async () => {
  const all = await names('strokes');
  assert.deepEqual(only(all, STROKES), STROKES);
  const bad = await admin.call('GET', `/api/v1/members?org_id=${branch}&sort=bogus`);
  assert.equal(bad.status, 400);
});

test('P13 every write path stores the keys; rows from before 0114 get them at the next start', async () => {
  // the import path (staging, then the move into members)
  const rows = rosterRows(12, 31);
  const file = join(srv.dir, 'order.csv');
  writeCsv(file, rows);
  const imp = cli(srv.dir, ['import', file, '--org', String(branch)]);
  assert.equal(imp.status, 0, imp.stdout + imp.stderr);
  // a rename through PATCH
  const id = Number(sql(srv.dir, `SELECT id FROM members WHERE name = '白雪'`));
  const p = await admin.call('PATCH', `/api/v1/members/${id}`, { name: '安白雪' });
  assert.equal(p.status, 200, p.text);
  assert.equal(sql(srv.dir, 'SELECT COUNT(*) FROM members WHERE name_pinyin IS NULL OR name_strokes IS NULL'), '0');
  const before = await names('name');
  assert.ok(before.indexOf('安白雪') > before.indexOf('阿强') && before.indexOf('安白雪') < before.indexOf('陈明')); // ā < ān < chén
  await srv.stop('SIGTERM', { keep: true });
  sql(srv.dir, 'UPDATE members SET name_pinyin = NULL, name_strokes = NULL');
  const n = Number(sql(srv.dir, 'SELECT COUNT(*) FROM members'));
  const dir = srv.dir;
  srv = await startServer({ dir });
  srv.sql = (q) => sql(dir, q);
  srv.dir = dir;
  admin = await as(srv, 'district_admin', 1);
  assert.match(srv.log(), new RegExp(`member names: sort keys for ${n} rows`));
  assert.equal(sql(dir, 'SELECT COUNT(*) FROM members WHERE name_pinyin IS NULL'), '0');
  assert.deepEqual(await names('name'), before);
});
