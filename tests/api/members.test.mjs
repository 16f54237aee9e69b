// members.test.mjs: the member roster over HTTP: validation of every field rule (ID
// number per DOMAIN.md §8.5, R-DEV-01/11/12), encryption-backed uniqueness (409
// duplicate_person naming the record only in scope), masks and the audited ?reveal=1,
// filters and keyset pages, state changes with history, scope (404 for a foreign
// record), and S3 over every response of this file and the server log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { problemOk } from './lib/server.mjs';
import { district, as, seen } from './lib/roster_api.mjs';
import { idNumber, addYears } from './lib/roster.mjs';

let srv, admin, sec, other;
const ID = /\d{17}[\dXx]/;
const MOBILE = /(?<!\d)1[3-9]\d{9}(?!\d)/;

before(async () => {
  srv = await district({ orgs: 40, members: 300 });
  admin = await as(srv, 'district_admin', 1);
  sec = await as(srv, 'branch_secretary', srv.branch(0));
  other = await as(srv, 'branch_secretary', srv.branch(1));
});
after(async () => { await srv.stop(); });

function person(over = {}) {
  return {
    org_id: srv.branch(0), name: '测试党员', id_number: idNumber('310104', '1980-05-17', 123),
    mobile: '13912345678', party_status: 'formal', joined_on: '2005-07-01', confirmed_on: '2006-07-01',
    education: '21', ethnicity: '01', unit_type: '非公企业', ...over,
  };
}

test('member create: derived sex and birth date, 两新 from the unit type, masked reply', async () => {
  const r = await sec.call('POST', '/api/v1/members', person());
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.sex, '1');
  assert.equal(r.body.birth_date, '1980-05-17');
  assert.equal(r.body.two_new, true);
  assert.equal(r.body.id_number, '310104********1235'.slice(0, 14) + r.body.id_number.slice(14));
  assert.match(r.body.id_number, /^310104\*{8}\d{3}[\dX]$/);
  assert.equal(r.body.mobile, '139****5678');
  assert.equal(r.body.party_age >= 19, true);
  assert.equal(r.body.political_birthday, '07-01');
  const again = await sec.call('GET', `/api/v1/members/${r.body.id}`);
  assert.equal(again.body.name, '测试党员');
});

test('ID number rules: checksum, real date, not in the future, sex agreement, 15-digit upgrade', async () => {
  const good = idNumber('310104', '1975-03-09', 22);
  const cases = [
    [{ id_number: good.slice(0, 17) + (good[17] === '1' ? '2' : '1') }, 'id_number', 'id_checksum'],
    [{ id_number: idNumber('310104', '1975-02-30', 22) }, 'id_number', 'id_date'],
    [{ id_number: idNumber('310104', '2099-01-01', 22) }, 'id_number', 'id_future'],
    [{ id_number: '31010419750309' }, 'id_number', 'id_format'],
    [{ id_number: good, sex: '1' }, 'sex', 'id_sex_mismatch'],
    [{ id_number: good, birth_date: '1975-03-10' }, 'birth_date', 'id_birth_mismatch'],
  ];
  for (const [over, field, code] of cases) {
    const r = await sec.call('POST', '/api/v1/members', person(over));
    problemOk(null, r, 400, 'validation_failed');
    assert.ok(r.body.errors.some((e) => e.field === field && e.code === code && /[\u4e00-\u9fff]/.test(e.message)),
      `${field}/${code}: ${r.text}`);
  }
  // legacy 15 digits: upgraded and stored with its check character
  const r = await admin.call('POST', '/api/v1/members', person({ id_number: '110105491231002', name: '十五位', joined_on: '1975-07-01', confirmed_on: '1976-07-01' }));
  assert.equal(r.status, 201, r.text);
  const full = await admin.call('GET', `/api/v1/members/${r.body.id}?reveal=1`);
  assert.equal(full.body.id_number, '11010519491231002X');
  assert.equal(full.body.sex, '2');
});

test('R-DEV-01 joined at 18 or older; R-DEV-11 confirmation a year after; R-DEV-12 no endless probation', async () => {
  const r1 = await sec.call('POST', '/api/v1/members', person({ id_number: idNumber('310104', '1990-06-01', 31), joined_on: '2008-05-31', confirmed_on: '2009-05-31' }));
  assert.ok(r1.body.errors.some((e) => e.field === 'joined_on' && e.code === 'R-DEV-01'), r1.text);
  const r2 = await sec.call('POST', '/api/v1/members', person({ id_number: idNumber('310104', '1990-06-01', 31), joined_on: '2012-05-31', confirmed_on: '2013-01-31' }));
  assert.ok(r2.body.errors.some((e) => e.field === 'confirmed_on' && e.code === 'R-DEV-11'), r2.text);
  const r3 = await sec.call('POST', '/api/v1/members', person({ id_number: idNumber('310104', '1990-06-01', 31), party_status: 'probationary', joined_on: '2019-05-31', confirmed_on: null }));
  assert.ok(r3.body.errors.some((e) => e.field === 'party_status' && e.code === 'R-DEV-12'), r3.text);
  assert.equal(srv.sql(`SELECT COUNT(*) FROM members WHERE name = '测试党员' AND birth_date = '1990-06-01'`), '0');
});

test('duplicate_person: the same ID twice → 409 naming the record in scope, not outside it', async () => {
  const p = person({ id_number: idNumber('310104', '1966-10-01', 41), name: '重复者' });
  const first = await sec.call('POST', '/api/v1/members', p);
  assert.equal(first.status, 201, first.text);
  const dup = await sec.call('POST', '/api/v1/members', { ...p, name: '重复者二' });
  problemOk(null, dup, 409, 'duplicate_person');
  assert.equal(dup.body.existing_id, first.body.id);
  // the other branch's secretary may not learn which record it is
  const foreign = await other.call('POST', '/api/v1/members', { ...p, org_id: srv.branch(1) });
  problemOk(null, foreign, 409, 'duplicate_person');
  assert.equal(foreign.body.existing_id, undefined);
  // lower-case x and the 15-digit form are the same person too
  const x = await admin.call('POST', '/api/v1/members', person({ id_number: '11010519491231002x', name: '小写' }));
  problemOk(null, x, 409, 'duplicate_person');
});

test('reveal: masked by default; ?reveal=1 needs pii.view and is audited', async () => {
  const created = await sec.call('POST', '/api/v1/members', person({ id_number: idNumber('310104', '1970-01-02', 55), mobile: '13700001111', name: '查看者' }));
  const id = created.body.id;
  const masked = await admin.call('GET', `/api/v1/members/${id}`);
  assert.doesNotMatch(masked.text, ID);
  const denied = await sec.call('GET', `/api/v1/members/${id}?reveal=1`); // 支部书记 has no pii.view
  problemOk(null, denied, 403, 'forbidden');
  const before = Number(srv.sql("SELECT COUNT(*) FROM audit_log WHERE action = 'member.pii_view'"));
  const full = await admin.call('GET', `/api/v1/members/${id}?reveal=1`);
  assert.equal(full.body.id_number, idNumber('310104', '1970-01-02', 55));
  assert.equal(full.body.mobile, '13700001111');
  assert.equal(Number(srv.sql("SELECT COUNT(*) FROM audit_log WHERE action = 'member.pii_view'")), before + 1);
});

test('scope: another branch’s member answers 404 like a missing one', async () => {
  const mine = await sec.call('POST', '/api/v1/members', person({ id_number: idNumber('310104', '1971-01-02', 57), name: '本支部' }));
  for (const [m, p, b] of [['GET', '', undefined], ['PATCH', '', { name: 'x' }], ['POST', '/state', { state: 'floating', reason: '外出', date: '2026-01-01' }],
    ['GET', '/history', undefined], ['DELETE', '', undefined]]) {
    const r = await other.call(m, `/api/v1/members/${mine.body.id}${p}`, b);
    problemOk(null, r, 404, 'not_found');
    const missing = await other.call(m, `/api/v1/members/99999999${p}`, b);
    problemOk(null, missing, 404, 'not_found');
  }
  const list = await other.call('GET', `/api/v1/members?org_id=${srv.branch(0)}`);
  problemOk(null, list, 404, 'not_found');
});

test('list: filters and keyset pages return every member of the scope exactly once', async () => {
  // the default view counts the members on the roster (issue 20 #7)
  const ON = "state NOT IN ('deceased', 'withdrawn', 'removed', 'expelled')";
  const total = Number(srv.sql(`SELECT COUNT(*) FROM members WHERE ${ON}`));
  const ids = new Set();
  let cursor = null, pages = 0;
  do {
    const r = await admin.call('GET', `/api/v1/members?limit=37${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.total, total);
    for (const m of r.body.items) { assert.ok(!ids.has(m.id)); ids.add(m.id); }
    // in the names' pinyin order: their stored keys (0114) ascending, as bytes
    const keys = r.body.items.map((m) => srv.sql(`SELECT name_pinyin FROM members WHERE id = ${m.id}`));
    assert.deepEqual(keys, [...keys].sort((a, b) => (Buffer.compare(Buffer.from(a), Buffer.from(b)))));
    cursor = r.body.next_cursor;
    pages++;
  } while (cursor);
  assert.equal(ids.size, total);
  assert.equal(pages, Math.ceil(total / 37));
  // each filter agrees with the database
  const checks = [
    ['party_status=probationary', "party_status = 'probationary'"],
    ['sex=2', "sex = '2'"],
    ['ethnicity=minority', "ethnicity <> '01'"],
    ['ethnicity=han', "ethnicity = '01'"],
    ['edu_group=college_plus', "education >= '10' AND education < '40'"],
    ['two_new=1', 'two_new = 1'],
    ['joined_from=2000-01-01&joined_to=2009-12-31', "joined_on BETWEEN '2000-01-01' AND '2009-12-31'"],
    ['state=floating', "state = 'floating'"],
    [`org_id=${srv.community(0)}`, `org_path >= (SELECT path FROM orgs WHERE id = ${srv.community(0)}) AND org_path < (SELECT substr(path, 1, length(path) - 1) || '0' FROM orgs WHERE id = ${srv.community(0)})`],
    ['age_band=over_60', `birth_date <= '${addYears(new Date().toISOString().slice(0, 10), -61)}'`],
    // totals counted from an index (a name alone, a joined date alone) agree too
    [`q=${encodeURIComponent('测试')}`, "name LIKE '%测试%'"],
    [`q=${encodeURIComponent('张')}&org_id=${srv.community(0)}`, `name LIKE '%张%' AND org_path >= (SELECT path FROM orgs WHERE id = ${srv.community(0)}) AND org_path < (SELECT substr(path, 1, length(path) - 1) || '0' FROM orgs WHERE id = ${srv.community(0)})`],
    ['q=%25', "name LIKE '%!%%' ESCAPE '!'"],
    ['joined_from=2015-01-01', "joined_on >= '2015-01-01'"],
    ['joined_to=1990-12-31', "joined_on <= '1990-12-31'"],
  ];
  for (const [q, where] of checks) {
    const r = await admin.call('GET', `/api/v1/members?limit=200&${q}`);
    assert.equal(r.status, 200, `${q}: ${r.text}`);
    assert.equal(r.body.total, Number(srv.sql(`SELECT COUNT(*) FROM members WHERE (${where})${q.startsWith('state=') ? '' : ` AND ${ON}`}`)), q);
  }
  const byJoined = await admin.call('GET', '/api/v1/members?sort=joined&limit=50');
  const j = byJoined.body.items.map((m) => m.joined_on);
  assert.deepEqual(j, [...j].sort());
  const q = await admin.call('GET', `/api/v1/members?q=${encodeURIComponent('测试')}`);
  assert.ok(q.body.items.length >= 1 && q.body.items.every((m) => m.name.includes('测试')));
  for (const bad of ['sex=5', 'age_band=old', 'sort=id', 'cursor=%%%', 'party_status=x', 'joined_from=2020-13-01']) {
    const r = await admin.call('GET', `/api/v1/members?${bad}`);
    problemOk(null, r, 400, 'validation_failed');
  }
});

test('state changes only through /state, kept as history', async () => {
  const m = await sec.call('POST', '/api/v1/members', person({ id_number: idNumber('310104', '1972-03-04', 61), name: '流动者' }));
  const p = await sec.call('PATCH', `/api/v1/members/${m.body.id}`, { state: 'lost' });
  assert.ok(p.body.errors.some((e) => e.field === 'state' && e.code === 'read_only'));
  const lost = await sec.call('POST', `/api/v1/members/${m.body.id}/state`, { state: 'lost', reason: '外出务工经商', date: '2026-01-15' });
  assert.equal(lost.status, 200, lost.text);
  assert.equal(lost.body.state, 'lost');
  const bad = await sec.call('POST', `/api/v1/members/${m.body.id}/state`, { state: 'lost', reason: '外出务工经商', date: '2026-01-15' });
  assert.ok(bad.body.errors.some((e) => e.code === 'same_state'));
  const noReason = await sec.call('POST', `/api/v1/members/${m.body.id}/state`, { state: 'suspended', date: '2026-02-01' });
  assert.ok(noReason.body.errors.some((e) => e.field === 'reason'));
  const future = await sec.call('POST', `/api/v1/members/${m.body.id}/state`, { state: 'normal', date: '2099-01-01' });
  assert.ok(future.body.errors.some((e) => e.field === 'date' && e.code === 'in_future'));
  await sec.call('POST', `/api/v1/members/${m.body.id}/state`, { state: 'normal', date: '2026-03-01', reason: '已联系' });
  const h = await sec.call('GET', `/api/v1/members/${m.body.id}/history`);
  assert.deepEqual(h.body.items.map((i) => `${i.from_state}>${i.to_state}`), ['lost>normal', 'normal>lost']);
  assert.equal(h.body.items[1].reason, '外出务工经商');
});

test('patch: changes validated like a new record; moving to another branch in scope', async () => {
  const m = await admin.call('POST', '/api/v1/members', person({ id_number: idNumber('310104', '1973-03-04', 63), name: '待修改' }));
  const r = await admin.call('PATCH', `/api/v1/members/${m.body.id}`, { name: '已修改', org_id: srv.branch(1), joined_on: '1980-01-01' });
  assert.ok(r.body.errors.some((e) => e.field === 'joined_on' && e.code === 'R-DEV-01'), r.text);
  const ok = await admin.call('PATCH', `/api/v1/members/${m.body.id}`, { name: '已修改', org_id: srv.branch(1) });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.body.org_id, srv.branch(1));
  assert.equal(srv.sql(`SELECT COUNT(*) FROM members WHERE id = ${m.body.id} AND org_path = (SELECT path FROM orgs WHERE id = ${srv.branch(1)})`), '1');
});

test('GET /me: a member-role user sees their own record', async () => {
  const me = await admin.call('GET', '/api/v1/me');
  assert.equal(me.status, 404); // an administrator has no member record
});

test('S3 no full ID number or mobile in any response without pii.view, nor in the log', async () => {
  assert.ok(seen.length > 50);
  for (const s of seen) {
    if (s.pii) continue;
    assert.doesNotMatch(s.text || '', ID, `${s.role} ${s.path}`);
    assert.doesNotMatch(s.text || '', MOBILE, `${s.role} ${s.path}`);
  }
  const log = srv.log();
  assert.doesNotMatch(log, ID);
  assert.doesNotMatch(log, MOBILE);
});

test('R-BDAY-01 political birthday: 29 Feb falls on 28 Feb in a common year, with the years it marks', async () => {
  const r = await sec.call('POST', '/api/v1/members', person({
    name: '闰日党员', id_number: idNumber('310104', '1978-06-02', 45), mobile: null,
    joined_on: '2004-02-29', confirmed_on: '2005-03-01',
  }));
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.political_birthday, '02-29');
  // move the server's clock to 2027-01-15 (08:00 in Beijing): the next one is 2027-02-28
  const target = Date.UTC(2027, 0, 15, 0, 0, 0) / 1000;
  const shift = async (offset) => fetch(`${srv.base}/api/v1/test/clock`, {
    method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ offset }),
  });
  await shift(Math.round(target - Date.now() / 1000));
  try {
    // sessions do not survive a jump of weeks: sign in again at the new date
    const later = await as(srv, 'branch_secretary', srv.branch(0));
    const m = await later.call('GET', `/api/v1/members/${r.body.id}`);
    assert.equal(m.body.next_political_birthday, '2027-02-28');
    assert.equal(m.body.days_to_political_birthday, 44);
    assert.equal(m.body.political_years, 23);
  } finally {
    await shift(0);
  }
});

test('placement: the 党小组, grid and building must belong with the member’s own organization', async () => {
  const mine = srv.branch(0), theirs = srv.branch(1);
  // a 党小组 under each branch, a grid and a building under each branch
  const gMine = await admin.call('POST', '/api/v1/orgs', { parent_id: mine, name: '本支部第一党小组', type: '党小组' });
  const gTheirs = await admin.call('POST', '/api/v1/orgs', { parent_id: theirs, name: '他支部第一党小组', type: '党小组' });
  const gridMine = await admin.call('POST', `/api/v1/orgs/${mine}/grids`, { name: '本网格' });
  const gridTheirs = await admin.call('POST', `/api/v1/orgs/${theirs}/grids`, { name: '他网格' });
  const bTheirs = await admin.call('POST', `/api/v1/orgs/${theirs}/grids/${gridTheirs.body.id}/buildings`, { name: '9号楼' });
  for (const r of [gMine, gTheirs, gridMine, gridTheirs, bTheirs]) assert.equal(r.status, 201, r.text);
  const m = await sec.call('POST', '/api/v1/members', person({ name: '落位党员', id_number: idNumber('310104', '1982-03-03', 61), mobile: null }));
  assert.equal(m.status, 201, m.text);
  for (const [body, field] of [
    [{ group_org_id: gTheirs.body.id }, 'group_org_id'], [{ group_org_id: 999999 }, 'group_org_id'],
    [{ group_org_id: mine }, 'group_org_id'], [{ grid_id: gridTheirs.body.id }, 'grid_id'],
    [{ building_id: bTheirs.body.id }, 'building_id'], [{ grid_id: gridMine.body.id, building_id: bTheirs.body.id }, 'building_id'],
  ]) {
    const r = await sec.call('PATCH', `/api/v1/members/${m.body.id}`, body);
    problemOk(null, r, 400, 'validation_failed');
    assert.ok(r.body.errors.some((e) => e.field === field && e.code === 'not_found'), `${JSON.stringify(body)}: ${r.text}`);
  }
  const ok = await sec.call('PATCH', `/api/v1/members/${m.body.id}`, { group_org_id: gMine.body.id, grid_id: gridMine.body.id });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.body.group_org_id, gMine.body.id);
  // the other branch can still delete its own 党小组: nothing of ours points at it
  const del = await admin.call('DELETE', `/api/v1/orgs/${gTheirs.body.id}`);
  assert.equal(del.status, 204, del.text);
});
