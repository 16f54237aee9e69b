// meetings.test.mjs: 三会一课 over HTTP (issue 15; DOMAIN.md §4): records with attendance
// (due from the roster on the day; bad input changes nothing), submit → review by the
// level above (approving one's own branch's record refused), the 调阅 count (each
// opening of a submitted record by a higher level counted and kept), the lock after
// approval with amendments, R-MTG-01 (cadence per branch and period with exemptions, the
// heat-map), early warnings, the yearly plan, 民主评议党员 grades, study hours, files on a
// meeting, statistics. Runs on both stores.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, problemOk, isPg } from './lib/server.mjs';
import { signIn } from './lib/auth.mjs';
import { district, as, upload, download } from './lib/roster_api.mjs';

const JPEG = readFileSync(join(ROOT, 'tests/api/data/photo.jpg'));
const day = (offset) => { const d = new Date(); d.setUTCDate(d.getUTCDate() + offset); return d.toISOString().slice(0, 10); };
const YEAR = new Date().getUTCFullYear();
const LAST = YEAR - 1;

let srv, admin, sec, committee, selfRole, other, branch, community, roster;
before(async () => {
  srv = await district({ orgs: 40, members: 300 });
  admin = await as(srv, 'district_admin', 1);
  branch = srv.branch(0);
  community = Number(srv.sql(`SELECT parent_id FROM orgs WHERE id = ${branch}`));
  sec = await as(srv, 'branch_secretary', branch);
  committee = await as(srv, 'committee_admin', community);
  selfRole = await as(srv, 'committee_admin', branch); // holds meeting.review, but at the branch itself
  other = await as(srv, 'branch_secretary', srv.branch(1));
  const r = await sec.call('GET', `/api/v1/meetings/roster?org_id=${branch}&date=${day(-3)}`);
  assert.equal(r.status, 200, r.text);
  roster = r.body.items;
  assert.ok(roster.length >= 3, `roster of ${roster.length}`);
});
after(async () => { await srv.stop(); });

const count = () => Number(srv.sql('SELECT COUNT(*) FROM meetings'));
function record(extra = {}) {
  return {
    org_id: branch, type: 5, topic: '学习贯彻党的二十届三中全会精神', held_on: day(-3), place: '社区党群服务中心',
    host: '张书记', recorder: '李委员', content: '集中学习，交流发言。', resolution: '按计划开展志愿服务。', hours: 2,
    attendance: roster.map((m, i) => (i === 1 ? { member_id: m.id, status: 'leave', reason: '出差' } : { member_id: m.id, status: i === 2 ? 'absent' : 'present' })),
    guests: [{ name: '王列席', reason: '街道联络员' }],
    ...extra,
  };
}

let rec;
test('a record: due from the roster on the day, present, leave with reasons, absent, 列席', async () => {
  const r = await sec.call('POST', '/api/v1/meetings', record());
  assert.equal(r.status, 201, r.text);
  rec = r.body;
  assert.equal(rec.status, 'draft');
  assert.equal(rec.type_name, '主题党日');
  assert.deepEqual(rec.attendance, { due: roster.length, present: roster.length - 2, leave: 1, absent: 1, guests: 1 });
  assert.equal(rec.attendees.find((a) => a.status === 'leave').reason, '出差');
  assert.equal(rec.attendees.filter((a) => a.status === 'guest').length, 1);
  assert.equal(rec.hours, 2);
});

test('bad input: held in the future, a person twice, present > due, leave without a reason: 400, nothing stored', async () => {
  const before = count();
  const future = await sec.call('POST', '/api/v1/meetings', record({ held_on: day(3) }));
  problemOk(null, future, 400, 'validation_failed');
  assert.ok(future.body.errors.some((e) => e.field === 'held_on' && e.code === 'in_future'));
  const twice = await sec.call('POST', '/api/v1/meetings', record({ attendance: [{ member_id: roster[0].id, status: 'present' }, { member_id: roster[0].id, status: 'absent' }] }));
  problemOk(null, twice, 400, 'validation_failed');
  assert.ok(twice.body.errors.some((e) => e.field === 'attendance[1]' && e.code === 'duplicate'));
  const stranger = Number(srv.sql(`SELECT id FROM members WHERE org_id <> ${branch} AND org_path NOT LIKE (SELECT path FROM orgs WHERE id = ${branch}) || '%' LIMIT 1`));
  const over = await sec.call('POST', '/api/v1/meetings', record({ attendance: [...roster, { id: stranger }].map((m) => ({ member_id: m.id, status: 'present' })) }));
  problemOk(null, over, 400, 'validation_failed');
  assert.ok(over.body.errors.some((e) => e.code === 'present_exceeds_due'), over.text);
  assert.ok(over.body.errors.some((e) => e.code === 'not_due'));
  const noReason = await sec.call('POST', '/api/v1/meetings', record({ attendance: [{ member_id: roster[0].id, status: 'leave' }] }));
  assert.ok(noReason.body.errors.some((e) => e.code === 'reason_required'));
  const foreign = await other.call('POST', '/api/v1/meetings', record());
  problemOk(null, foreign, 400, 'validation_failed'); // org_id: not_found, as a missing one
  assert.equal(count(), before);
});

test('files on a meeting: a photo from the phone; another scope 404; deleted with the draft', async () => {
  const draft = await sec.call('POST', '/api/v1/meetings', record({ type: 2, topic: '草稿' }));
  const up = await upload(srv, sec, `/api/v1/files?owner_kind=meeting&owner_id=${draft.body.id}&name=现场照片.jpg`, JPEG);
  assert.equal(up.status, 201, up.text);
  assert.equal((await sec.call('GET', `/api/v1/meetings/${draft.body.id}`)).body.files.length, 1);
  problemOk(null, await upload(srv, other, `/api/v1/files?owner_kind=meeting&owner_id=${draft.body.id}`, JPEG), 404, 'not_found');
  assert.equal((await download(srv, other, up.body.url)).status, 404);
  assert.equal((await sec.call('DELETE', `/api/v1/meetings/${draft.body.id}`)).status, 204);
  assert.equal(Number(srv.sql(`SELECT COUNT(*) FROM files WHERE id = ${up.body.id}`)), 0);
});

test('调阅 count: each opening of a submitted record by a higher level is counted and kept (who, when); the branch\'s own openings are not', async () => {
  // a draft opened from above is not yet a 调阅
  await committee.call('GET', `/api/v1/meetings/${rec.id}`);
  assert.equal((await sec.call('GET', `/api/v1/meetings/${rec.id}`)).body.view_count, 0);
  const sub = await sec.call('POST', `/api/v1/meetings/${rec.id}/submit`);
  assert.equal(sub.status, 200, sub.text);
  assert.equal(sub.body.status, 'submitted');
  const a = await committee.call('GET', `/api/v1/meetings/${rec.id}`);
  assert.equal(a.body.counted_as_review, true);
  assert.equal(a.body.view_count, 1);
  await committee.call('GET', `/api/v1/meetings/${rec.id}`);
  await admin.call('GET', `/api/v1/meetings/${rec.id}`);
  const own = await sec.call('GET', `/api/v1/meetings/${rec.id}`);
  assert.equal(own.body.counted_as_review, false);
  assert.equal(own.body.view_count, 3);
  const views = await sec.call('GET', `/api/v1/meetings/${rec.id}/views`);
  assert.equal(views.body.total, 3);
  assert.equal(views.body.items.length, 3);
  assert.ok(views.body.items.every((v) => v.viewer_id && v.viewed_at));
  assert.equal(Number(srv.sql(`SELECT COUNT(*) FROM meeting_views WHERE meeting_id = ${rec.id}`)), 3);
  // the queue shows it with the counts
  const q = await committee.call('GET', '/api/v1/meetings/queue');
  assert.equal(q.status, 200, q.text);
  assert.ok(q.body.items.some((m) => m.id === rec.id));
  assert.ok(q.body.counts.submitted >= 1);
  assert.ok(q.body.counts.views >= 3);
});

test('a branch\'s list is kept at a revision of what it shows (0127): a 调阅, an edit, a rename, a new and a deleted record show at once; the scope is checked on each request', async () => {
  const url = `/api/v1/meetings?org_id=${branch}&limit=50`;
  const row = (l, id) => l.body.items.find((m) => m.id === id);
  const l0 = await sec.call('GET', url);
  assert.equal(l0.status, 200, l0.text);
  assert.deepEqual((await sec.call('GET', url)).body, l0.body);
  // the level above sees the same page (same ranges); a foreign branch none
  assert.deepEqual((await committee.call('GET', url)).body, l0.body);
  problemOk(null, await other.call('GET', url), 404, 'not_found');
  // a 调阅 raises the view_count shown
  const v0 = row(l0, rec.id).view_count;
  assert.equal((await committee.call('GET', `/api/v1/meetings/${rec.id}`)).body.view_count, v0 + 1);
  assert.equal(row(await sec.call('GET', url), rec.id).view_count, v0 + 1);
  // a new draft, then an edit of its text, then its deletion
  const d = await sec.call('POST', '/api/v1/meetings', record({ topic: '缓存：新记录' }));
  assert.equal(d.status, 201, d.text);
  assert.equal(row(await sec.call('GET', url), d.body.id).topic, '缓存：新记录');
  assert.equal((await sec.call('PATCH', `/api/v1/meetings/${d.body.id}`, { content: '缓存：改过的内容' })).status, 200);
  assert.equal(row(await sec.call('GET', url), d.body.id).content, '缓存：改过的内容');
  assert.equal((await sec.call('DELETE', `/api/v1/meetings/${d.body.id}`)).status, 204);
  assert.equal(row(await sec.call('GET', url), d.body.id), undefined);
  // the branch renamed: its name on every row
  const old = srv.sql(`SELECT name FROM orgs WHERE id = ${branch}`);
  const ren = await admin.call('PATCH', `/api/v1/orgs/${branch}`, { name: `${old}（缓存）` });
  assert.equal(ren.status, 200, ren.text);
  const l1 = await sec.call('GET', url);
  assert.ok(l1.body.items.length > 0 && l1.body.items.every((m) => m.org_name === `${old}（缓存）`), l1.text);
  assert.equal((await admin.call('PATCH', `/api/v1/orgs/${branch}`, { name: old })).status, 200);
  assert.ok((await sec.call('GET', url)).body.items.every((m) => m.org_name === old));
  // pages by cursor: the same rows, in order, as one page
  const all = (await sec.call('GET', url)).body.items.map((m) => m.id);
  const seen = [];
  let cursor = null;
  for (let i = 0; i < 50; i++) {
    const p = await sec.call('GET', `/api/v1/meetings?org_id=${branch}&limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    assert.equal(p.status, 200, p.text);
    seen.push(...p.body.items.map((m) => m.id));
    cursor = p.body.next_cursor;
    if (!cursor) break;
  }
  assert.deepEqual(seen, all);
});

test('review: approving one\'s own branch\'s record refused; return with a reason; resubmit; approve; then locked, amendments keep history', async () => {
  problemOk(null, await selfRole.call('POST', `/api/v1/meetings/${rec.id}/review`, { action: 'approve' }), 403, 'own_record');
  problemOk(null, await sec.call('POST', `/api/v1/meetings/${rec.id}/review`, { action: 'approve' }), 403, 'forbidden');
  problemOk(null, await other.call('GET', `/api/v1/meetings/${rec.id}`), 404, 'not_found');
  const noReason = await committee.call('POST', `/api/v1/meetings/${rec.id}/review`, { action: 'return' });
  assert.ok(noReason.body.errors.some((e) => e.field === 'reason'));
  problemOk(null, await sec.call('PATCH', `/api/v1/meetings/${rec.id}`, { topic: 'x' }), 409, 'under_review');
  const ret = await committee.call('POST', `/api/v1/meetings/${rec.id}/review`, { action: 'return', reason: '请补充会议照片' });
  assert.equal(ret.status, 200, ret.text);
  assert.equal(ret.body.status, 'returned');
  assert.equal(ret.body.return_reason, '请补充会议照片');
  const fix = await sec.call('PATCH', `/api/v1/meetings/${rec.id}`, { resolution: '补充：按计划开展志愿服务两次。' });
  assert.equal(fix.status, 200, fix.text);
  assert.equal((await sec.call('POST', `/api/v1/meetings/${rec.id}/submit`)).body.status, 'submitted');
  const ok = await committee.call('POST', `/api/v1/meetings/${rec.id}/review`, { action: 'approve' });
  assert.equal(ok.body.status, 'approved');
  assert.equal(ok.body.locked, true);
  const locked = await sec.call('PATCH', `/api/v1/meetings/${rec.id}`, { topic: '改' });
  assert.ok(locked.body.errors.some((e) => e.field === 'amend_reason' && e.code === 'locked'));
  problemOk(null, await upload(srv, sec, `/api/v1/files?owner_kind=meeting&owner_id=${rec.id}`, JPEG), 409, 'record_locked');
  problemOk(null, await sec.call('DELETE', `/api/v1/meetings/${rec.id}`), 409, 'not_draft');
  const am = await sec.call('PATCH', `/api/v1/meetings/${rec.id}`, { place: '党群服务中心二楼', amend_reason: '地点笔误' });
  assert.equal(am.status, 200, am.text);
  assert.equal(am.body.status, 'approved');
  assert.equal(am.body.place, '党群服务中心二楼');
  assert.equal(am.body.amendments.length, 1);
  assert.equal(am.body.amendments[0].reason, '地点笔误');
  assert.equal(am.body.amendments[0].before.place, '社区党群服务中心');
  assert.ok(Number(srv.sql("SELECT COUNT(*) FROM audit_log WHERE action IN ('meeting.approve', 'meeting.return', 'meeting.amend')")) >= 3);
});

// A submitted record of type in month (1–12) of LAST in branch b.
async function held(s, b, type, month, dayOfMonth = 10) {
  const date = `${LAST}-${String(month).padStart(2, '0')}-${String(dayOfMonth).padStart(2, '0')}`;
  const r = await s.call('POST', '/api/v1/meetings', { org_id: b, type, topic: `议题${type}-${month}`, held_on: date, content: '内容', attendance: [] });
  assert.equal(r.status, 201, r.text);
  // one present member so that the record may be submitted
  const rost = (await s.call('GET', `/api/v1/meetings/roster?org_id=${b}&date=${date}`)).body.items;
  const p = await s.call('PATCH', `/api/v1/meetings/${r.body.id}`, { attendance: rost.slice(0, 1).map((m) => ({ member_id: m.id, status: 'present' })) });
  assert.equal(p.status, 200, p.text);
  const sub = await s.call('POST', `/api/v1/meetings/${r.body.id}/submit`);
  assert.equal(sub.status, 200, sub.text);
  return r.body.id;
}

test('R-MTG-01 per branch and period: meetings by type against the cadence, exemptions with a reason, the heat-map', { timeout: 120000 }, async () => {
  const b = srv.branch(3);
  const s = await as(srv, 'branch_secretary', b);
  for (let m = 1; m <= 12; m++) {
    if (m !== 3) await held(s, b, 2, m);   // 支部委员会会议: all but March
    await held(s, b, 5, m);                // 主题党日: every month
  }
  for (const m of [2, 5, 8]) await held(s, b, 1, m); // 支部党员大会: Q1–Q3, none in Q4
  for (const m of [1, 4, 7, 10]) await held(s, b, 4, m); // 党课: every quarter
  await held(s, b, 6, 11); // 组织生活会
  // drafts and plans do not count
  await s.call('POST', '/api/v1/meetings', { org_id: b, type: 1, topic: '草稿', held_on: `${LAST}-11-20`, attendance: [] });
  // exemptions: 支委会 of March, 民主评议 of the year; only the level above grants them
  problemOk(null, await s.call('POST', '/api/v1/meetings/exemptions', { org_id: b, type: 2, period: `${LAST}-03`, reason: '疫情' }), 403, 'forbidden');
  const bad = await committee.call('POST', '/api/v1/meetings/exemptions', { org_id: b, type: 2, period: `${LAST}-Q1`, reason: 'x' });
  assert.ok(bad.body.errors.some((e) => e.field === 'period' && e.code === 'invalid_period'));
  for (const [type, period] of [[2, `${LAST}-03`], [7, `${LAST}`]]) {
    const r = await admin.call('POST', '/api/v1/meetings/exemptions', { org_id: b, type, period, reason: '支部换届，经街道党工委批准' });
    assert.equal(r.status, 201, r.text);
  }
  problemOk(null, await admin.call('POST', '/api/v1/meetings/exemptions', { org_id: b, type: 7, period: `${LAST}`, reason: '再次' }), 409, 'duplicate');
  const c = await s.call('GET', `/api/v1/meetings/compliance?org_id=${b}&year=${LAST}`);
  assert.equal(c.status, 200, c.text);
  const groups = c.body.rows[0].has_groups;
  const g = groups ? 12 : 0; // 党小组会 is due only from a branch with groups, and none were held
  assert.equal(c.body.branches, 1);
  assert.equal(c.body.met, 11 + 12 + 3 + 4 + 1);
  assert.equal(c.body.exempt, 2);
  assert.equal(c.body.missing, 1 + g);
  assert.ok(Math.abs(c.body.rate - 31 / (31 + 1 + g)) < 1e-9);
  const cells = c.body.rows[0].cells;
  assert.deepEqual(cells[2], [3 + (groups ? 1 : 0), 3, g ? 1 : 0]);   // March: 支委会 exempt; 主题党日, Q1 大会, Q1 党课 met
  assert.deepEqual(cells[11], [5 + (groups ? 1 : 0), 4, 1 + (g ? 1 : 0)]); // December: Q4 大会 missing; 民主评议 exempt
  const detail = Object.fromEntries(c.body.detail.map((d) => [d.type, d.periods]));
  assert.equal(detail[1].find((p) => p.period === `${LAST}-Q4`).state, 'missing');
  assert.equal(detail[2].find((p) => p.period === `${LAST}-03`).state, 'exempt');
  assert.equal(detail[7][0].state, 'exempt');
  assert.equal(detail[6][0].state, 'met');
  assert.equal(c.body.exemptions.length, 2);
  // the level above sees the branch among its rows; months summed
  const up = await admin.call('GET', `/api/v1/meetings/compliance?org_id=1&year=${LAST}&limit=500`);
  assert.equal(up.status, 200, up.text);
  assert.ok(up.body.rows.some((r) => r.org_id === b));
  assert.equal(up.body.months.length, 12);
  // early warnings in the last 10 days of December: the Q4 支部党员大会 still missing
  const w = await admin.call('GET', `/api/v1/meetings/warnings?org_id=${b}&date=${LAST}-12-25`);
  assert.equal(w.status, 200, w.text);
  assert.ok(w.body.items.some((x) => x.type === 1 && x.period === `${LAST}-Q4` && x.days_left === 6), w.text);
  assert.ok(!w.body.items.some((x) => x.type === 5));
  const none = await admin.call('GET', `/api/v1/meetings/warnings?org_id=${b}&date=${LAST}-12-10`);
  assert.equal(none.body.items.length, 0);
  // another scope's branch: 404
  problemOk(null, await other.call('GET', `/api/v1/meetings/compliance?org_id=${b}&year=${LAST}`), 404, 'not_found');
});

test('the yearly plan per branch: one planned record per period of the cadence, once', async () => {
  const b = srv.branch(4);
  const p = await sec.call('POST', '/api/v1/meetings/plan', { org_id: b, year: YEAR + 1 });
  problemOk(null, p, 404, 'not_found'); // another branch than the secretary's
  const s = await as(srv, 'branch_secretary', b);
  const r = await s.call('POST', '/api/v1/meetings/plan', { org_id: b, year: YEAR + 1 });
  assert.equal(r.status, 201, r.text);
  assert.ok(r.body.created === 12 * 2 + 4 * 2 + 2 || r.body.created === 12 * 3 + 4 * 2 + 2, String(r.body.created));
  assert.equal((await s.call('POST', '/api/v1/meetings/plan', { org_id: b, year: YEAR + 1 })).body.created, 0);
  const list = await s.call('GET', `/api/v1/meetings?org_id=${b}&status=planned&limit=200`);
  assert.equal(list.body.items.length, r.body.created);
});

test('民主评议党员 grades: counts and list; 不合格 raises a follow-up; study hours credited to those present (32/56)', async () => {
  const date = day(-2);
  const r = await sec.call('POST', '/api/v1/meetings', { org_id: branch, type: 7, topic: '年度民主评议党员', held_on: date, content: '评议', hours: 3,
    attendance: roster.map((m) => ({ member_id: m.id, status: 'present' })) });
  assert.equal(r.status, 201, r.text);
  const g = await sec.call('PUT', `/api/v1/meetings/${r.body.id}/grades`, { grades: [
    { member_id: roster[0].id, grade: 'excellent' }, { member_id: roster[1].id, grade: 'qualified' }, { member_id: roster[2].id, grade: 'unqualified' }] });
  assert.equal(g.status, 200, g.text);
  const of = (body, id) => body.items.find((x) => x.member_id === id);
  assert.equal(of(g.body, roster[0].id).grade, 'excellent');
  assert.equal(of(g.body, roster[2].id).grade_name, '不合格');
  assert.ok(g.body.counts.excellent >= 1 && g.body.counts.unqualified >= 1);
  assert.equal(Object.values(g.body.counts).reduce((x, y) => x + y, 0), g.body.items.length);
  const list = await committee.call('GET', `/api/v1/meetings/grades?year=${date.slice(0, 4)}`);
  assert.ok(list.body.follow_ups >= 1);
  assert.equal(of(list.body, roster[2].id).follow_up, true);
  assert.equal(of(list.body, roster[0].id).follow_up, false);
  const bad = await sec.call('PUT', `/api/v1/meetings/${r.body.id}/grades`, { grades: [{ member_id: roster[0].id, grade: '很好' }] });
  problemOk(null, bad, 400, 'validation_failed');
  // hours: only submitted or approved records count
  const before = await sec.call('GET', `/api/v1/study/hours?org_id=${branch}&year=${date.slice(0, 4)}`);
  const h0 = before.body.items.find((x) => x.member_id === roster[0].id).hours;
  assert.equal((await sec.call('POST', `/api/v1/meetings/${r.body.id}/submit`)).status, 200);
  const after_ = await sec.call('GET', `/api/v1/study/hours?org_id=${branch}&year=${date.slice(0, 4)}`);
  const row = after_.body.items.find((x) => x.member_id === roster[0].id);
  assert.equal(row.hours, h0 + 3);
  assert.ok([32, 56].includes(row.required));
  assert.equal(row.short, row.hours < row.required);
  // a member sees their own hours on 我的
  const me = await signIn(srv, { role: 'member', org: branch });
  srv.sql(`UPDATE users SET member_id = ${roster[0].id} WHERE username = '${me.username}'`);
  const mine = await me.call('GET', `/api/v1/me/study-hours?year=${date.slice(0, 4)}`);
  assert.equal(mine.status, 200, mine.text);
  assert.equal(mine.body.hours, row.hours);
  assert.equal(mine.body.required, row.required);
  assert.ok(mine.body.items.some((x) => x.meeting_id === r.body.id));
});

test('GET /stats/meetings: held by type, 调阅 count, compliance rate, attendance, hours per member', async () => {
  const s = await committee.call('GET', `/api/v1/stats/meetings?org_id=${community}&from=${YEAR}-01-01&to=${day(0)}`);
  assert.equal(s.status, 200, s.text);
  assert.ok(s.body.held >= 1);
  assert.ok(s.body.reviewed >= 3, s.text);
  assert.ok(s.body.by_type.some((t) => t.type_name === '主题党日'));
  assert.ok(s.body.attendance_rate > 0 && s.body.attendance_rate <= 1);
  assert.ok(s.body.hours_per_member > 0);
  problemOk(null, await other.call('GET', `/api/v1/stats/meetings?org_id=${community}`), 404, 'not_found');
});

test('a moved branch takes its records along: the new parent\'s list and heat-map count them, the old one\'s no longer', async () => {
  const b = srv.branch(5);
  const from = Number(srv.sql(`SELECT parent_id FROM orgs WHERE id = ${b}`));
  const to = Number(srv.sql(`SELECT id FROM orgs WHERE label IN ('社区党委', '区域党委') AND id <> ${from} ORDER BY id LIMIT 1`));
  const n = Number(srv.sql(`SELECT COUNT(*) FROM meetings WHERE org_id = ${b}`));
  assert.ok(n > 0, 'the demo gave the branch records');
  const mv = await admin.call('POST', `/api/v1/orgs/${b}/move`, { parent_id: to });
  assert.equal(mv.status, 200, mv.text);
  const path = srv.sql(`SELECT path FROM orgs WHERE id = ${b}`);
  assert.equal(Number(srv.sql(`SELECT COUNT(*) FROM meetings WHERE org_id = ${b} AND org_path = '${path}'`)), n);
  const heatTo = await admin.call('GET', `/api/v1/meetings/compliance?org_id=${to}&year=${YEAR}&limit=500`);
  assert.ok(heatTo.body.rows.some((r) => r.org_id === b));
  const heatFrom = await admin.call('GET', `/api/v1/meetings/compliance?org_id=${from}&year=${YEAR}&limit=500`);
  assert.ok(!heatFrom.body.rows.some((r) => r.org_id === b));
  const listTo = await admin.call('GET', `/api/v1/meetings?org_id=${to}&limit=200`);
  assert.ok(listTo.body.items.some((m) => m.org_id === b));
});

test('R-MTG-01 the months kept per organization, type and year (0118 meeting_months, read by the heat-map) are those of the counted meetings after every change above', async () => {
  const bit = isPg() ? '(1::bigint << CAST(held_ym % 100 - 1 AS INTEGER))' : '(1 << (held_ym % 100 - 1))';
  const want = srv.sql(`SELECT org_id || ':' || type || ':' || (held_ym / 100) || ':' || SUM(DISTINCT ${bit}) FROM meetings
    WHERE status IN ('submitted', 'approved') AND held_ym > 0 GROUP BY org_id, type, held_ym / 100 ORDER BY 1`);
  const have = srv.sql("SELECT org_id || ':' || type || ':' || year || ':' || mask FROM meeting_months WHERE mask <> 0 ORDER BY 1");
  assert.ok(want.length > 0, 'counted meetings to compare');
  assert.equal(have, want);
  // and each row carries its organization's path (a moved branch's rows moved too)
  assert.equal(Number(srv.sql('SELECT COUNT(*) FROM meeting_months k JOIN orgs o ON o.id = k.org_id WHERE k.org_path <> o.path AND k.mask <> 0')), 0);
});
