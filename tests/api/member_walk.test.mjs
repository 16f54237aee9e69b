// member_walk.test.mjs: whole keyset walks of GET /members over a district larger than
// the list's plan switch (src/model/member_query.c SMALL_SUBTREE = 2,000 members: a
// subtree up to that size reads by path and sorts, a larger one walks the sort key's
// index and filters by path; DESIGN.md §10). 2,600 members: the root (street) takes the
// large plan, a community the small one. Each walk must return every member of the
// scope exactly once, in the documented order ((name_pinyin, id) or (joined_on, id): the
// name's stored pinyin key of 0114 compared as bytes, issue 20 #13), with the same total
// on every page, and must equal the database's own ORDER BY.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { planDistrict, inSubtree } from './lib/roster_api.mjs';
import { isPg as isPgStore } from './lib/server.mjs';
import { addYears, idNumber } from './lib/roster.mjs';

const MEMBERS = 2600; // planDistrict's
let srv, admin, root, small;

before(async () => { ({ srv, admin, root, small } = await planDistrict(7)); });
after(async () => { await srv.stop(); });

const ON_ROSTER = "m.state NOT IN ('deceased', 'withdrawn', 'removed', 'expelled')";

// The member ids of org's subtree matching where, in order, from the database.
function dbIds(org, where, order) {
  const out = srv.sql(`SELECT m.id FROM members m, orgs o WHERE o.id = ${org} AND ${inSubtree('o')} AND (${where}) ORDER BY ${order}`);
  return out ? out.split('\n').map(Number) : [];
}

// Walks every page of query; returns the items in order and the number of pages.
async function walk(query, limit) {
  const items = [];
  let cursor = null, pages = 0, total = null;
  do {
    const r = await admin.call('GET', `/api/v1/members?${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    assert.equal(r.status, 200, r.text);
    if (total === null) total = r.body.total;
    assert.equal(r.body.total, total, `the same total on page ${pages + 1}`);
    assert.ok(r.body.items.length <= limit);
    if (r.body.next_cursor) assert.equal(r.body.items.length, limit, 'only the last page is short');
    items.push(...r.body.items);
    cursor = r.body.next_cursor;
    pages++;
    assert.ok(pages <= MEMBERS, 'the walk ends');
  } while (cursor);
  return { items, pages, total };
}

const byBytes = (a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b));

function assertOrder(items, key) {
  for (let i = 1; i < items.length; i++) {
    const a = items[i - 1], b = items[i];
    const c = byBytes(a[key], b[key]);
    assert.ok(c < 0 || (c === 0 && a.id < b.id), `order at ${i}: (${a[key]}, ${a.id}) before (${b[key]}, ${b.id})`);
  }
}

// 35 岁以下: born after this date (Beijing time, as the server's today)
const Y35 = addYears(new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10), -35);

const CASES = [
  // [title, org (function: resolved after before()), query, where, order, key, limit]
  ['root, by name (large plan)', () => root, '', '1 = 1', 'm.name_pinyin, m.id', 'name_pinyin', 200],
  ['root, by joined date (large plan)', () => root, 'sort=joined', '1 = 1', 'm.joined_on, m.id', 'joined_on', 173],
  ['root, 正式党员 only, by name (large plan with a filter)', () => root, 'party_status=formal', "m.party_status = 'formal'", 'm.name_pinyin, m.id', 'name_pinyin', 199],
  ['a community, by name (small plan)', () => small, '', '1 = 1', 'm.name_pinyin, m.id', 'name_pinyin', 37],
  ['a community, by joined date (small plan)', () => small, 'sort=joined', '1 = 1', 'm.joined_on, m.id', 'joined_on', 41],
  // issue 21: the page's ids chosen from an index alone (0111_member_list_keys), every
  // filter tested on the index entry (stats_key, name, joined_on)
  ['root, 预备党员 by joined date (their partial index)', () => root, 'party_status=probationary&sort=joined', "m.party_status = 'probationary'", 'm.joined_on, m.id', 'joined_on', 7],
  ['root, 正式党员 女 两新 by joined date (large plan, index entries only)', () => root, 'party_status=formal&sex=2&two_new=0&sort=joined', "m.party_status = 'formal' AND m.sex = '2' AND m.two_new = 0", 'm.joined_on, m.id', 'joined_on', 97],
  ['root, a name search by joined date', () => root, 'q=%E5%BC%A0&sort=joined', "m.name LIKE '%张%'", 'm.joined_on, m.id', 'joined_on', 9],
  ['root, a joined-date range by name', () => root, 'joined_from=2005-01-01&joined_to=2015-12-31', "m.joined_on >= '2005-01-01' AND m.joined_on <= '2015-12-31'", 'm.name_pinyin, m.id', 'name_pinyin', 53],
  ['root, a joined-date range by joined date', () => root, 'joined_from=2005-01-01&joined_to=2015-12-31&sort=joined', "m.joined_on >= '2005-01-01' AND m.joined_on <= '2015-12-31'", 'm.joined_on, m.id', 'joined_on', 61],
  // issue 21 #3: 35 岁以下 by joined date starts its walk 17 years after the age band's
  // first birth date (R-DEV-01: no one joins before 18)
  ['root, 35 岁以下 by joined date (the walk starts past the older members)', () => root, 'age_band=under_35&sort=joined', `m.birth_date > '${Y35}'`, 'm.joined_on, m.id', 'joined_on', 13],
  ['a community, 35 岁以下 by joined date (small plan)', () => small, 'age_band=under_35&sort=joined', `m.birth_date > '${Y35}'`, 'm.joined_on, m.id', 'joined_on', 5],
  // issue 21 #2: a name-ordered page of a subtree of several organizations merges the
  // organizations' own runs of members_path_name (src/model/member_query.c ids_merge)
  ['a community, 正式党员 女 by name (its organizations\' runs merged)', () => small, 'party_status=formal&sex=2', "m.party_status = 'formal' AND m.sex = '2'", 'm.name_pinyin, m.id', 'name_pinyin', 17],
  ['a community, a name search by name (runs merged)', () => small, 'q=%E7%8E%8B', "m.name LIKE '%王%'", 'm.name_pinyin, m.id', 'name_pinyin', 3],
  ['a community, by name one at a time (runs merged)', () => small, '', '1 = 1', 'm.name_pinyin, m.id', 'name_pinyin', 1],
  // issue 21 #3: a name search over a large subtree reads one character's range of
  // member_name_chars (0157), by name (its key) or by joined date (its second index)
  ['root, a name search by name (a character\'s range)', () => root, 'q=%E5%BC%A0', "m.name LIKE '%张%'", 'm.name_pinyin, m.id', 'name_pinyin', 7],
  ['root, a name search, 预备党员 by joined date (a character\'s range)', () => root, 'q=%E7%8E%8B&party_status=probationary&sort=joined', "m.name LIKE '%王%' AND m.party_status = 'probationary'", 'm.joined_on, m.id', 'joined_on', 3],
  ['root, a two-character search by name (the rarer character\'s range)', () => root, () => `q=${encodeURIComponent(twoChars())}`, () => `m.name LIKE '%${twoChars()}%'`, 'm.name_pinyin, m.id', 'name_pinyin', 2],
  ['a community, 正式党员 大专以上 by joined date (small plan, index entries only)', () => small, 'party_status=formal&edu_group=college_plus&sort=joined', "m.party_status = 'formal' AND COALESCE(m.education, '99') >= '10' AND COALESCE(m.education, '99') < '40'", 'm.joined_on, m.id', 'joined_on', 11],
];

// the commonest name of the district (a search of its two first characters)
const twoChars = () => srv.sql('SELECT substr(name, 1, 2) FROM members GROUP BY substr(name, 1, 2) ORDER BY COUNT(*) DESC, 1 LIMIT 1');

for (const [title, org, query0, where0, order, key, limit] of CASES) {
  test(`members list walk over ${MEMBERS} members: ${title}: every member once, in order, totals match`, async () => {
    const id = org();
    const query = typeof query0 === 'function' ? query0() : query0;
    const where = typeof where0 === 'function' ? where0() : where0;
    const want = dbIds(id, where, order);
    if (id === root) assert.ok(want.length > 2000 || where !== '1 = 1', 'the root is past the plan switch');
    else assert.ok(want.length <= 2000, `the subtree is under the plan switch (${want.length})`);
    assert.ok(want.length > 0, 'the case has members');
    // every member, in or out of the roster (state=all; the default view is 在册党员, issue 20 #7)
    const q = [`org_id=${id}`, 'state=all', query].filter(Boolean).join('&');
    const { items, pages, total } = await walk(q, limit);
    assert.equal(total, want.length, 'total = the database count');
    const ids = items.map((m) => m.id);
    assert.equal(new Set(ids).size, ids.length, 'no member twice');
    assert.equal(ids.length, want.length, 'every member once');
    if (key === 'name_pinyin') { // the stored key, not in the response
      const keys = new Map(srv.sql("SELECT id || '|' || name_pinyin FROM members").split('\n').map((l) => l.split('|')).map(([i, k]) => [Number(i), k]));
      for (const m of items) m.name_pinyin = keys.get(m.id);
    }
    assertOrder(items, key);
    assert.deepEqual(ids, want, 'the same sequence as the database ORDER BY');
    assert.equal(pages, Math.max(1, Math.ceil(want.length / limit)));
  });
}

test('members list: the community of the walks takes the merge of its organizations\' runs', () => {
  // ids_merge's condition (merge_pays): more than one organization holding members, and
  // 8 per organization fewer than the subtree's members
  const [orgs, members] = srv.sql(`SELECT COUNT(CASE WHEN x.n_members > 0 THEN 1 END) || '|' || SUM(x.n_members)
    FROM orgs x, orgs o WHERE o.id = ${small} AND x.path >= o.path AND x.path < substr(o.path, 1, length(o.path) - 1) || '0'`).split('|').map(Number);
  assert.ok(orgs > 1 && orgs * 8 < members, `${orgs} organizations, ${members} members`);
});

test('members list: the root walk has more than the plan switch and the subtree walks add up', async () => {
  // the roster's demo made MEMBERS; the development demo adds the 预备党员 of step 15
  const all = Number(srv.sql('SELECT COUNT(*) FROM members'));
  assert.equal(all - Number(srv.sql('SELECT COUNT(*) FROM dev_applicants WHERE member_id IS NOT NULL')), MEMBERS);
  const r = await admin.call('GET', `/api/v1/members?org_id=${root}&state=all&limit=1`);
  assert.equal(r.body.total, all);
  // the root's children's totals add up to the root's (members sit in branches, never at the root)
  const kids = srv.sql(`SELECT id FROM orgs WHERE parent_id = ${root}`).split('\n').map(Number);
  let sum = 0;
  for (const k of kids) sum += (await admin.call('GET', `/api/v1/members?org_id=${k}&state=all&limit=1`)).body.total;
  assert.equal(sum + Number(srv.sql(`SELECT COUNT(*) FROM members WHERE org_id = ${root}`)), all);
});

// issue 21: the page's ids come from the index entries' packed key (stats_key): a change
// of a member's state or party status is in the next page and total, on both plans
test('members list: a state change and a 转正 follow into the index-chosen pages and totals', async () => {
  // the 预备党员 who joined first: a year later (R-DEV-11) is past
  const [ids, joined] = srv.sql(`SELECT m.id || ',' || m.org_id, m.joined_on FROM members m WHERE m.party_status = 'probationary' AND ${ON_ROSTER} ORDER BY m.joined_on, m.id LIMIT 1`).split('|');
  const [id, org] = ids.split(',').map(Number);
  const confirmed = `${Number(joined.slice(0, 4)) + 1}${joined.slice(4)}`;
  const has = async (q) => {
    const r = await admin.call('GET', `/api/v1/members?${q}&limit=200`);
    assert.equal(r.status, 200, r.text);
    return { in: r.body.items.some((m) => m.id === id), total: r.body.total };
  };
  const views = [`org_id=${root}&party_status=probationary&sort=joined`, `org_id=${org}&party_status=probationary&sort=joined`,
    `org_id=${org}`, `org_id=${root}&party_status=formal&q=${encodeURIComponent(srv.sql(`SELECT name FROM members WHERE id = ${id}`))}`];
  const before = [];
  for (const q of views) before.push(await has(q));
  assert.deepEqual(before.slice(0, 3).map((v) => v.in), [true, true, true]);
  assert.equal(before[3].in, false);
  // 转正: probationary → formal, with its date (R-DEV-11, R-DEV-13)
  let r = await admin.call('PATCH', `/api/v1/members/${id}`, { party_status: 'formal', confirmed_on: confirmed });
  assert.equal(r.status, 200, r.text);
  const formal = [];
  for (const q of views) formal.push(await has(q));
  assert.deepEqual(formal.map((v) => v.in), [false, false, true, true]);
  assert.deepEqual(formal.map((v) => v.total), [before[0].total - 1, before[1].total - 1, before[2].total, before[3].total + 1]);
  // 去世: out of the roster (the default view), in the history view
  r = await admin.call('POST', `/api/v1/members/${id}/state`, { state: 'deceased', reason: '病故', date: '2026-02-01', confirm: true });
  assert.equal(r.status, 200, r.text);
  assert.equal((await has(`org_id=${org}`)).in, false);
  assert.equal((await has(`org_id=${org}`)).total, before[2].total - 1);
  assert.equal((await has(`org_id=${org}&state=history&sort=joined`)).in, true);
});

// issue 21 #3: pages by number of a name search at the root (member_seek over a
// character's range of member_name_chars, from the nearer end) are the walk's pages
test('members list: pages by number of a name search at the root are the walk\'s pages', async () => {
  for (const sort of ['', '&sort=joined']) {
    const q = `org_id=${root}&state=all&q=%E5%BC%A0${sort}`;
    const { items } = await walk(q, 20);
    assert.ok(items.length > 60, `enough matches for pages (${items.length})`);
    const pages = Math.ceil(items.length / 20);
    for (const page of [2, 3, pages - 1]) {
      const r = await admin.call('GET', `/api/v1/members?${q}&limit=20&page=${page}`);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body.items.map((m) => m.id), items.slice((page - 1) * 20, page * 20).map((m) => m.id), `page ${page}${sort}`);
    }
    const last = await admin.call('GET', `/api/v1/members?${q}&limit=20&last=1`);
    assert.deepEqual(last.body.items.map((m) => m.id), items.slice((pages - 1) * 20).map((m) => m.id), `the last page${sort}`);
  }
});

// issue 21 #3: member_name_chars holds, for every member, each distinct character of the
// name (lower-cased) with the entry's columns, after every kind of write to members
test('members list: member_name_chars follows additions, renames, moves, key changes and removals', async () => {
  const entries = `SELECT DISTINCT lower(substr(m.name, CAST(p.k AS INTEGER), 1)) AS ch, COALESCE(m.name_pinyin, '') AS np, m.id,
    m.org_path, m.joined_on, m.stats_key, m.name FROM members m JOIN path_positions p ON p.k <= length(m.name)`;
  const table = 'SELECT ch, name_pinyin, id, org_path, joined_on, stats_key, name FROM member_name_chars';
  const same = (what) => {
    assert.equal(srv.sql(`SELECT COUNT(*) FROM (${table} EXCEPT ${entries}) x`), '0', `no stray entry (${what})`);
    assert.equal(srv.sql(`SELECT COUNT(*) FROM (${entries} EXCEPT ${table}) x`), '0', `no missing entry (${what})`);
  };
  same('the demo');
  const [org, other] = srv.sql(`SELECT id FROM orgs WHERE type = '党支部' ORDER BY id LIMIT 2`).split('\n').map(Number);
  const c = await admin.call('POST', '/api/v1/members', {
    org_id: org, name: '欧阳Ab欧', id_number: idNumber('110101', '1990-05-06', 731), party_status: 'probationary',
    joined_on: '2025-06-01', sex: '1', ethnicity: '01', education: '21',
  });
  assert.equal(c.status, 201, c.text);
  assert.deepEqual(srv.sql(`SELECT ch FROM member_name_chars WHERE id = ${c.body.id}`).split('\n').sort(),
    ['a', 'b', '欧', '阳'].sort(), 'each character once, lower-cased');
  same('an addition');
  // every member (state=all), or the default view (在册党员)
  const search = async (q, all = true) => (await admin.call('GET', `/api/v1/members?org_id=${root}${all ? '&state=all' : ''}&limit=50&q=${encodeURIComponent(q)}`)).body.items.map((m) => m.id);
  assert.ok((await search('AB')).includes(c.body.id) === !isPgStore(), 'an ASCII search is case-blind on SQLite, exact on PostgreSQL (its LIKE)');
  assert.ok((await search('阳Ab')).includes(c.body.id), 'a search of several characters');
  let r = await admin.call('PATCH', `/api/v1/members/${c.body.id}`, { name: '司马相如' });
  assert.equal(r.status, 200, r.text);
  same('a rename');
  assert.ok(!(await search('欧阳')).includes(c.body.id) && (await search('相')).includes(c.body.id), 'the search follows the rename');
  r = await admin.call('PATCH', `/api/v1/members/${c.body.id}`, { org_id: other });
  assert.equal(r.status, 200, r.text);
  same('a move');
  r = await admin.call('PATCH', `/api/v1/members/${c.body.id}`, { joined_on: '2025-07-01' });
  assert.equal(r.status, 200, r.text);
  same('a joined date');
  r = await admin.call('POST', `/api/v1/members/${c.body.id}/state`, { state: 'deceased', reason: '病故', date: '2026-02-01', confirm: true });
  assert.equal(r.status, 200, r.text);
  same('a state (the packed key)');
  assert.ok((await search('相')).includes(c.body.id) && !(await search('相', false)).includes(c.body.id), 'off the roster');
  srv.sql(`UPDATE members SET name_pinyin = NULL WHERE id = ${c.body.id}`);
  same('a key cleared (not yet keyed)');
  assert.ok(!(await search('相')).includes(c.body.id), 'a member without a key is not on a page by name');
  srv.sql(`UPDATE members SET org_path = org_path WHERE id = ${c.body.id}`);
  same('an update that changes nothing');
  // the page and total of a large subtree come from the table: an entry taken out by
  // hand takes the member out of the root's search (not out of a small subtree's)
  srv.sql(`UPDATE members SET name_pinyin = 'xiang' WHERE id = ${c.body.id}`);
  assert.ok((await search('相')).includes(c.body.id));
  srv.sql(`DELETE FROM member_name_chars WHERE id = ${c.body.id} AND ch = '相'`);
  assert.ok(!(await search('相')).includes(c.body.id), 'the root\'s search reads member_name_chars');
  const inOrg = await admin.call('GET', `/api/v1/members?org_id=${other}&state=all&q=${encodeURIComponent('相')}`);
  assert.ok(inOrg.body.items.some((m) => m.id === c.body.id), 'a small subtree reads its own range of members');
  srv.sql(`UPDATE members SET name = name || '' , name_pinyin = NULL WHERE id = ${c.body.id}`);
  same('the entries written again');
  r = await admin.call('DELETE', `/api/v1/members/${c.body.id}`);
  assert.ok(r.status === 200 || r.status === 204, r.text);
  same('a removal');
  assert.equal(srv.sql(`SELECT COUNT(*) FROM member_name_chars WHERE id = ${c.body.id}`), '0');
});
