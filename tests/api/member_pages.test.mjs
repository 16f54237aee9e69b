// member_pages.test.mjs: issue 20 #14, a page of GET /members chosen by number
// (?page=N, ?last=1): the API finds the keyset cursor before the page (member_seek:
// from the nearer end of the order, the last page read back from the far end of the
// index) and answers the ordinary keyset page from it, with page and pages. Every page
// must be the slice of the database's own ORDER BY: first, middle, last, past the last,
// with filters, on both plans (a street past the plan switch of 2,000 members and a
// community under it), by name, by joined date and by 姓氏笔画.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { planDistrict, inSubtree, as, exportFile } from './lib/roster_api.mjs';
import { readCsv } from './lib/roster.mjs';

let srv, admin, root, small;

before(async () => { ({ srv, admin, root, small } = await planDistrict(11)); });
after(async () => { await srv.stop(); });

function dbIds(org, where, order) {
  const out = srv.sql(`SELECT m.id FROM members m, orgs o WHERE o.id = ${org} AND ${inSubtree('o')} AND (${where}) ORDER BY ${order}`);
  return out ? out.split('\n').map(Number) : [];
}

async function page(query) {
  const r = await admin.call('GET', `/api/v1/members?${query}`);
  assert.equal(r.status, 200, r.text);
  return r.body;
}

const CASES = [
  // [title, org, query, where, order, limit]
  ['the street by name (large plan, index entries only)', () => root, '', '1 = 1', 'm.name_pinyin, m.id', 20],
  ['the street by joined date (large plan)', () => root, 'sort=joined', '1 = 1', 'm.joined_on, m.id', 50],
  ['the street, 正式党员 女 (a filter on the index entry)', () => root, 'party_status=formal&sex=2', "m.party_status = 'formal' AND m.sex = '2'", 'm.name_pinyin, m.id', 20],
  ['the street by 姓氏笔画 (rows read)', () => root, 'sort=strokes', '1 = 1', 'm.name_strokes, m.id', 100],
  ['the street, 正常 only (a filter off the index entry: rows read)', () => root, 'state=normal', "m.state = 'normal'", 'm.name_pinyin, m.id', 20],
  ['the street, a name search by joined date', () => root, 'q=%E5%BC%A0&sort=joined', "m.name LIKE '%张%'", 'm.joined_on, m.id', 7],
  ['a community by name (small plan)', () => small, '', '1 = 1', 'm.name_pinyin, m.id', 20],
  ['a community by joined date, 大专以上 (small plan)', () => small, 'edu_group=college_plus&sort=joined', "COALESCE(m.education, '99') >= '10' AND COALESCE(m.education, '99') < '40'", 'm.joined_on, m.id', 13],
];

for (const [title, org, query, where, order, limit] of CASES) {
  test(`R-MEM-PAGE issue 20 #14 page by number: ${title}: first, middle, last, past the last = the ORDER BY's slices`, async () => {
    const id = org();
    const want = dbIds(id, where, order);
    assert.ok(want.length > limit * 2, `the case spans pages (${want.length})`);
    const pages = Math.ceil(want.length / limit);
    const q = [`org_id=${id}`, 'state=all', query].filter(Boolean).join('&').replace('state=all&state=normal', 'state=normal');
    const slice = (n) => want.slice((n - 1) * limit, n * limit);
    for (const n of [1, 2, Math.ceil(pages / 2), pages - 1, pages]) {
      const b = await page(`${q}&limit=${limit}&page=${n}`);
      assert.deepEqual(b.items.map((m) => m.id), slice(n), `page ${n} of ${pages}`);
      assert.equal(b.total, want.length, 'total');
      if (n > 1) {
        assert.equal(b.page, n);
        assert.equal(b.pages, pages);
      }
      assert.equal(Boolean(b.next_cursor), n < pages, 'a next cursor but on the last page');
      if (b.next_cursor) { // the keyset walk goes on from a numbered page
        const c = await page(`${q}&limit=${limit}&cursor=${encodeURIComponent(b.next_cursor)}`);
        assert.deepEqual(c.items.map((m) => m.id), slice(n + 1), `the page after ${n}`);
      }
    }
    const last = await page(`${q}&limit=${limit}&last=1`);
    assert.deepEqual(last.items.map((m) => m.id), slice(pages), 'last=1 is the last page');
    assert.equal(last.page, pages);
    assert.equal(last.next_cursor, null);
    const past = await page(`${q}&limit=${limit}&page=${pages + 1}`);
    assert.deepEqual(past.items, [], 'past the last page: no rows');
    assert.equal(past.pages, pages);
    assert.equal(past.total, want.length);
  });
}

test('R-MEM-PAGE issue 20 #14: a page number with a cursor, or out of range, is refused and changes nothing', async () => {
  const first = await page(`org_id=${root}&limit=20`);
  for (const bad of [`page=0`, `page=abc`, `page=1000001`, `page=2&cursor=${encodeURIComponent(first.next_cursor)}`, `last=1&cursor=${encodeURIComponent(first.next_cursor)}`]) {
    const r = await admin.call('GET', `/api/v1/members?org_id=${root}&limit=20&${bad}`);
    assert.equal(r.status, 400, bad);
    assert.equal(r.body.code, 'validation_failed', bad);
    assert.ok(r.body.errors?.some((e) => e.field === 'page' || e.field === 'last'), `${bad}: ${r.text}`);
  }
});

test('R-MEM-PAGE issue 20 #14: an empty selection has one page and last=1 answers it', async () => {
  const b = await page(`org_id=${root}&q=%E6%97%A0%E6%AD%A4%E4%BA%BA&last=1`);
  assert.deepEqual(b.items, []);
  assert.equal(b.total, 0);
  assert.equal(b.pages, 1);
  assert.equal(b.page, 1);
});

test('R-MEM-PAGE issue 20 #14: a branch secretary pages only their branch (scope holds for numbered pages)', async () => {
  const branch = srv.branch();
  const sec = await as(srv, 'branch_secretary', branch);
  const want = dbIds(branch, '1 = 1', 'm.name_pinyin, m.id');
  const r = await sec.call('GET', `/api/v1/members?limit=2&last=1&state=all`);
  assert.equal(r.status, 200, r.text);
  const pages = Math.max(1, Math.ceil(want.length / 2));
  assert.equal(r.body.total, want.length, 'the branch only');
  assert.deepEqual(r.body.items.map((m) => m.id), want.slice((pages - 1) * 2), 'the branch\'s last page');
});

// 导出所选 (issue 20 #14's bulk actions): the rows ticked on a page, in their order
test('R-MEM-PAGE issue 20 #14: export of the selected rows (ids=) writes exactly them; a foreign or malformed id is refused', async () => {
  const page1 = await page(`org_id=${small}&limit=20&page=2`);
  const pick = [page1.items[3], page1.items[0], page1.items[7]];
  const r = await exportFile(srv, admin, `format=csv&ids=${pick.map((m) => m.id).join(',')}`);
  assert.equal(r.status, 200, r.text);
  const [head, ...rows] = readCsv(r.buf);
  const at = head.findIndex((h) => h.startsWith('姓名'));
  const idAt = head.findIndex((h) => h.startsWith('身份证'));
  assert.deepEqual(rows.map((x) => x[at]), pick.map((m) => m.name), 'the selected members, in their order');
  assert.ok(rows.every((x) => x[idAt].includes('*')), 'masked');
  // a branch secretary can not export a member of another branch by id
  const branch = srv.branch();
  const sec = await as(srv, 'branch_secretary', branch);
  const foreign = Number(srv.sql(`SELECT m.id FROM members m, orgs o WHERE o.id = ${branch} AND NOT (${inSubtree('o')}) ORDER BY m.id LIMIT 1`));
  const own = Number(srv.sql(`SELECT m.id FROM members m, orgs o WHERE o.id = ${branch} AND ${inSubtree('o')} ORDER BY m.id LIMIT 1`));
  const jobs = Number(srv.sql('SELECT COUNT(*) FROM jobs'));
  const f = await sec.call('POST', `/api/v1/members/exports?format=csv&ids=${own},${foreign}`);
  assert.equal(f.status, 404, f.text);
  for (const bad of ['1,,2', 'a', '-3', Array.from({ length: 1001 }, (_, i) => i + 1).join(',')]) {
    const b = await admin.call('POST', `/api/v1/members/exports?format=csv&ids=${bad}`);
    assert.equal(b.status, 400, `${bad.slice(0, 20)}: ${b.text}`);
  }
  assert.equal(Number(srv.sql('SELECT COUNT(*) FROM jobs')), jobs, 'no job started by a refused export');
  const mine = await exportFile(srv, sec, `format=csv&ids=${own}`);
  assert.equal(mine.status, 200);
  assert.equal(readCsv(mine.buf).length, 2, 'the header and the one row');
});
