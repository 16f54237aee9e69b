// bases.test.mjs: 开放式组织生活基地 (issue 17): bases, bookings by organizations with the
// capacity of a slot, opening hours, closed days, lead time and horizon, approval by
// those who run the base, the waiting list and its promotion, series, the last places
// under 100 simultaneous requests, check-in and the visit's roster, iCalendar feeds
// parsed by a real parser (ical.js), statistics and the audit of every change. Runs on
// SQLite and, with DJ_PG, on PostgreSQL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import ICAL from 'ical.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { problemOk, api, ROOT } from './lib/server.mjs';
import { district, as, upload } from './lib/roster_api.mjs';
import { signIn, setClock } from './lib/auth.mjs';

let srv, admin, sec, comm, otherComm, community, otherCommunity, branch, otherBranch;
const ALL_DAYS = Array(7).fill('09:00-17:00');

// The deployment's today (Asia/Shanghai) plus n days, and its weekday (Monday 0).
const day = (n) => new Date(Date.now() + 8 * 3600e3 + n * 86400e3).toISOString().slice(0, 10);
const weekday = (d) => (new Date(`${d}T00:00:00Z`).getUTCDay() + 6) % 7;
const count = (q) => Number(srv.sql(q));

async function resign() {
  admin = await as(srv, 'district_admin', 1);
  sec = await as(srv, 'branch_secretary', otherBranch);
  comm = await as(srv, 'committee_admin', community);
  otherComm = await as(srv, 'committee_admin', otherCommunity);
}

before(async () => {
  srv = await district({ orgs: 40, members: 400, args: ['--busy_timeout_ms', '30000'] });
  community = srv.community(0);
  otherCommunity = srv.community(1);
  branch = Number(srv.sql(`SELECT id FROM orgs WHERE type = '党支部' AND path LIKE (SELECT path FROM orgs WHERE id = ${community}) || '%' ORDER BY id LIMIT 1`));
  otherBranch = Number(srv.sql(`SELECT id FROM orgs WHERE type = '党支部' AND path LIKE (SELECT path FROM orgs WHERE id = ${otherCommunity}) || '%' ORDER BY id LIMIT 1`));
  await resign();
});
after(async () => { await srv.stop(); });

async function newBase(body = {}) {
  const r = await comm.call('POST', '/api/v1/bases', {
    org_id: community, name: `红色纪念馆${Math.random().toString(36).slice(2, 7)}`, kind: '纪念馆/展馆',
    address: '示范区人民路1号', point: { lat: 31.2304, lng: 121.4737 }, capacity: 30, slot_minutes: 60,
    hours: ALL_DAYS, offers: ['讲解', '重温入党誓词'], contact_name: '王老师', contact_phone: '021-12345678',
    approval_required: true, ...body,
  });
  assert.equal(r.status, 201, r.text);
  return r.body;
}

const members = (org) => Number(srv.sql(`SELECT COUNT(*) FROM members WHERE org_path LIKE (SELECT path FROM orgs WHERE id = ${org}) || '%' AND state = 'normal'`));
const booking = (base, extra = {}) => ({ base_id: base.id, org_id: otherBranch, day: day(7), slot: '10:00', headcount: 2, purpose: '主题党日：参观学习', leader: '李书记', ...extra });

test('bases: create with validation; the directory, the record, approvers are those who run it', async () => {
  const b = await newBase();
  assert.equal(b.kind, '纪念馆/展馆');
  assert.deepEqual(b.point, { lat: 31.2304, lng: 121.4737 });
  assert.equal(b.hours.length, 7);
  assert.equal(b.can_manage, true);
  const bad = await comm.call('POST', '/api/v1/bases', { org_id: community, name: '', kind: '博物馆', address: 'x', capacity: 0, slot_minutes: 60, hours: ['25:00-26:00'], point: { lat: 100, lng: 0 }, offers: ['唱歌'] });
  problemOk(null, bad, 400, 'validation_failed');
  for (const [f, c] of [['name', 'required'], ['kind', 'invalid_code'], ['hours', 'invalid_hours'], ['point', 'invalid_point'], ['offers', 'invalid_code']])
    assert.ok(bad.body.errors.some((e) => e.field === f && e.code === c), `${f} ${c}: ${bad.text}`);
  // a branch secretary sees the district's bases but cannot create or change one
  const dir = await sec.call('GET', '/api/v1/bases');
  assert.equal(dir.status, 200);
  assert.ok(dir.body.items.some((x) => x.id === b.id));
  problemOk(null, await sec.call('POST', '/api/v1/bases', { org_id: otherBranch }), 403, 'forbidden');
  // another community's committee may not change it
  problemOk(null, await otherComm.call('PATCH', `/api/v1/bases/${b.id}`, { capacity: 5 }), 403, 'not_base_manager');
  const ap = await sec.call('GET', `/api/v1/bases/${b.id}/approvers`);
  assert.equal(ap.status, 200);
  assert.ok(ap.body.items.length >= 2, ap.text); // the district admin and the community's committee admin
  assert.ok(ap.body.items.every((a) => ['district_admin', 'committee_admin'].includes(a.role)));
  assert.ok(!ap.body.items.some((a) => a.org_id === otherCommunity));
});

test('R-BASE-01 bad bookings are refused with field and code, nothing stored', async () => {
  const b = await newBase({ hours: ALL_DAYS.map((h, i) => (i === 6 ? null : h)) });
  // a closed day of its own, and a Sunday (closed every week)
  const closed = day(10);
  const put = await comm.call('PUT', `/api/v1/bases/${b.id}/closed-days`, { days: [{ day: closed, reason: '布展' }] });
  assert.equal(put.status, 200, put.text);
  let sunday = 5; while (weekday(day(sunday)) !== 6) sunday++;
  const before = count(`SELECT COUNT(*) FROM base_bookings WHERE base_id = ${b.id}`);
  const cases = [
    [{ day: day(-1) }, 'day', 'in_past'],
    [{ day: day(0) }, 'day', 'lead_time'],
    [{ day: day(120) }, 'day', 'beyond_horizon'],
    [{ day: closed }, 'day', 'closed_day'],
    [{ day: day(sunday) }, 'day', 'closed_day'],
    [{ slot: '08:00' }, 'slot', 'outside_hours'],
    [{ slot: '10:30' }, 'slot', 'outside_hours'],
    [{ slot: '16:30' }, 'slot', 'outside_hours'],
    [{ headcount: 0 }, 'headcount', 'headcount_range'],
    [{ headcount: members(otherBranch) + 1 }, 'headcount', 'over_membership'],
    [{ base_id: 999999 }, 'base_id', 'not_found'],
    [{ org_id: community }, 'org_id', 'not_found'], // not in the secretary's scope
  ];
  for (const [extra, field, code] of cases) {
    const r = await sec.call('POST', '/api/v1/base-bookings', booking(b, extra));
    problemOk(null, r, 400, 'validation_failed');
    assert.ok(r.body.errors.some((e) => e.field === field && e.code === code), `${JSON.stringify(extra)} → ${r.text}`);
    assert.ok(r.body.errors.every((e) => /[\u4e00-\u9fff]/.test(e.message)));
  }
  // over the base's capacity (an organization big enough)
  const big = await admin.call('POST', '/api/v1/base-bookings', booking(b, { org_id: 1, headcount: 31 }));
  assert.ok(big.body.errors.some((e) => e.field === 'headcount' && e.code === 'over_capacity'), big.text);
  assert.equal(count(`SELECT COUNT(*) FROM base_bookings WHERE base_id = ${b.id}`), before);
  // the check route says the same without storing
  const chk = await sec.call('POST', '/api/v1/base-bookings/check', booking(b, { day: closed }));
  assert.equal(chk.status, 200);
  assert.equal(chk.body.ok, false);
  assert.equal(chk.body.items[0].errors[0].code, 'closed_day');
  assert.equal(count(`SELECT COUNT(*) FROM base_bookings WHERE base_id = ${b.id}`), before);
});

test('R-BASE-02 a base of another district is not seen: 404 / not_found, nothing stored', async () => {
  srv.sql("INSERT INTO orgs (id, parent_id, path, name, type, domain, two_new, created_at, updated_at) VALUES (90001, NULL, '/90001/', '外区区委', '党委', '机关', 0, 0, 0)");
  srv.sql(`INSERT INTO bases (org_id, name, kind, address, capacity, slot_minutes, hours, offers, approval_required, status, created_at, updated_at) VALUES (90001, '外区展馆', '其他', '外区', 10, 60, '${JSON.stringify(ALL_DAYS)}', '[]', 1, 'open', 0, 0)`);
  const id = Number(srv.sql("SELECT id FROM bases WHERE name = '外区展馆'"));
  problemOk(null, await sec.call('GET', `/api/v1/bases/${id}`), 404, 'not_found');
  const r = await sec.call('POST', '/api/v1/base-bookings', booking({ id }));
  assert.ok(r.body.errors.some((e) => e.field === 'base_id' && e.code === 'not_found'), r.text);
  assert.equal(count(`SELECT COUNT(*) FROM base_bookings WHERE base_id = ${id}`), 0);
  assert.ok(!(await admin.call('GET', '/api/v1/bases')).body.items.some((x) => x.id === id));
});

test('R-BASE-03 approval only by those who run the base; decline needs a reason; states move one way', async () => {
  const b = await newBase();
  const r = await sec.call('POST', '/api/v1/base-bookings', booking(b));
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.status, 'requested');
  // the booking's own community committee sees it but does not run the base
  const seen = await otherComm.call('GET', `/api/v1/base-bookings/${r.body.id}`);
  assert.equal(seen.status, 200);
  problemOk(null, await otherComm.call('POST', `/api/v1/base-bookings/${r.body.id}/approve`, {}), 403, 'not_base_approver');
  problemOk(null, await sec.call('POST', `/api/v1/base-bookings/${r.body.id}/approve`, {}), 403, 'forbidden');
  assert.equal(srv.sql(`SELECT status FROM base_bookings WHERE id = ${r.body.id}`), 'requested');
  const q = await comm.call('GET', `/api/v1/base-bookings?base_id=${b.id}&status=requested`);
  assert.ok(q.body.items.some((x) => x.id === r.body.id));
  const ok = await comm.call('POST', `/api/v1/base-bookings/${r.body.id}/approve`, {});
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.body.status, 'approved');
  problemOk(null, await comm.call('POST', `/api/v1/base-bookings/${r.body.id}/approve`, {}), 409, 'invalid_state');
  const r2 = await sec.call('POST', '/api/v1/base-bookings', booking(b, { slot: '11:00' }));
  const noReason = await comm.call('POST', `/api/v1/base-bookings/${r2.body.id}/decline`, {});
  assert.ok(noReason.body.errors.some((e) => e.field === 'reason' && e.code === 'required'));
  const dec = await comm.call('POST', `/api/v1/base-bookings/${r2.body.id}/decline`, { reason: '当天接待已满' });
  assert.equal(dec.body.status, 'declined');
  assert.equal(dec.body.decline_reason, '当天接待已满');
  // a base without approval confirms at once
  const open = await newBase({ approval_required: false });
  const direct = await sec.call('POST', '/api/v1/base-bookings', booking(open));
  assert.equal(direct.body.status, 'approved');
  // the organization's list
  const mine = await sec.call('GET', `/api/v1/base-bookings?org_id=${otherBranch}`);
  assert.ok(mine.body.items.some((x) => x.id === direct.body.id));
});

test('R-BASE-04 capacity: a full slot refuses or waits; a freed place promotes the waiting list', async () => {
  const b = await newBase({ capacity: 5 });
  const a1 = await sec.call('POST', '/api/v1/base-bookings', booking(b, { headcount: 3 }));
  assert.equal(a1.status, 201);
  const full = await sec.call('POST', '/api/v1/base-bookings', booking(b, { headcount: 3 }));
  problemOk(null, full, 409, 'slot_full');
  assert.ok(full.body.errors.some((e) => e.field === 'headcount' && e.code === 'slot_full'));
  const w = await sec.call('POST', '/api/v1/base-bookings', booking(b, { headcount: 3, waitlist: true }));
  assert.equal(w.status, 201);
  assert.equal(w.body.status, 'waitlisted');
  const cal = await sec.call('GET', `/api/v1/bases/${b.id}/calendar?month=${day(7).slice(0, 7)}&day=${day(7)}`);
  const slot = cal.body.days.find((d) => d.day === day(7)).slots.find((s) => s.slot === '10:00');
  assert.deepEqual([slot.taken, slot.free, slot.waiting], [3, 2, 1]);
  const summary = cal.body.days.find((d) => d.day === day(7));
  assert.deepEqual([summary.taken, summary.waiting, summary.free], [3, 1, 5 * 8 - 3]); // 8 slots of 5 places
  assert.ok(cal.body.days.filter((d) => d.slots).length === 1, 'slots of the asked day only');
  const c = await sec.call('POST', `/api/v1/base-bookings/${a1.body.id}/cancel`, { reason: '改期' });
  assert.equal(c.body.status, 'cancelled');
  const promoted = await sec.call('GET', `/api/v1/base-bookings/${w.body.id}`);
  assert.equal(promoted.body.status, 'requested');
  assert.ok(count(`SELECT COUNT(*) FROM audit_log WHERE action = 'base.booking_promote' AND object_id = ${w.body.id}`) === 1);
});

test('R-BASE-05 concurrency: 100 simultaneous requests for the last 10 places grant exactly 10', async () => {
  const b = await newBase({ capacity: 100, approval_required: false });
  const first = await admin.call('POST', '/api/v1/base-bookings', booking(b, { org_id: 1, headcount: 90 }));
  assert.equal(first.status, 201, first.text);
  const rs = await Promise.all(Array.from({ length: 100 }, (_, i) =>
    admin.call('POST', '/api/v1/base-bookings', booking(b, { org_id: 1, headcount: 1, purpose: `并发${i}` }))));
  const by = {};
  for (const r of rs) by[r.status] = (by[r.status] || 0) + 1;
  assert.equal(by[201], 10, JSON.stringify(by));
  assert.equal(by[409], 90, JSON.stringify(by));
  assert.equal(count(`SELECT SUM(headcount) FROM base_bookings WHERE base_id = ${b.id} AND status IN ('requested', 'approved')`), 100);
});

test('R-BASE-05 concurrency: 30 simultaneous requests for the whole of one slot: exactly one succeeds', async () => {
  const b = await newBase({ capacity: 5, approval_required: false });
  const before = await admin.call('GET', `/api/v1/bases/${b.id}/calendar?month=${day(7).slice(0, 7)}&day=${day(7)}`);
  assert.equal(before.body.days.find((d) => d.day === day(7)).slots.find((x) => x.slot === '14:00').taken, 0);
  const rs = await Promise.all(Array.from({ length: 30 }, (_, i) =>
    admin.call('POST', '/api/v1/base-bookings', booking(b, { org_id: 1, headcount: 5, slot: '14:00', purpose: `整场${i}` }))));
  const by = {};
  for (const r of rs) by[r.status] = (by[r.status] || 0) + 1;
  assert.equal(by[201], 1, JSON.stringify(by));
  assert.equal(by[409], 29, JSON.stringify(by));
  assert.ok(rs.filter((r) => r.status === 409).every((r) => r.body.code === 'slot_full'));
  assert.equal(count(`SELECT COUNT(*) FROM base_bookings WHERE base_id = ${b.id}`), 1);
  // the calendar shows the one booking (its revision follows inserts through the highest id, 0131)
  const cal = await admin.call('GET', `/api/v1/bases/${b.id}/calendar?month=${day(7).slice(0, 7)}&day=${day(7)}`);
  assert.equal(cal.status, 200, cal.text);
  const slot = cal.body.days.find((d) => d.day === day(7)).slots.find((x) => x.slot === '14:00');
  assert.equal(slot.taken, 5, JSON.stringify(slot));
});

test('R-BASE-06 series: the same weekday of each month, conflicts reported per date', async () => {
  const b = await newBase();
  const d0 = day(8);
  const nth = Math.floor((Number(d0.slice(8)) - 1) / 7) + 1;
  // close the second date
  const chk = await sec.call('POST', '/api/v1/base-bookings/check', booking(b, { day: d0, repeat: { months: 3 } }));
  assert.equal(chk.status, 200, chk.text);
  assert.equal(chk.body.items.length, 3);
  const second = chk.body.items[1].day;
  if (/^\d{4}-\d\d-\d\d$/.test(second)) {
    assert.equal(weekday(second), weekday(d0));
    assert.equal(Math.floor((Number(second.slice(8)) - 1) / 7) + 1, nth);
    await comm.call('PUT', `/api/v1/bases/${b.id}/closed-days`, { days: [{ day: second, reason: '维修' }] });
  }
  const r = await sec.call('POST', '/api/v1/base-bookings', booking(b, { day: d0, repeat: { months: 3 } }));
  assert.equal(r.status, 201, r.text);
  assert.ok(r.body.series_id > 0);
  assert.equal(r.body.items[0].booking.status, 'requested');
  assert.equal(r.body.items[1].booking, null);
  assert.ok(['closed_day', 'no_such_day', 'beyond_horizon'].includes(r.body.items[1].errors[0].code), JSON.stringify(r.body.items[1]));
  assert.equal(count(`SELECT COUNT(*) FROM base_bookings WHERE series_id = ${r.body.series_id}`), r.body.created);
});

test('R-BASE-07 visit: check-in by the base with the roster kept; completed; a member sees the branch\'s visits', async () => {
  const b = await newBase({ approval_required: false });
  const ids = srv.sql(`SELECT id FROM members WHERE org_id = ${otherBranch} ORDER BY id LIMIT 2`).split('\n').map(Number);
  const r = await sec.call('POST', '/api/v1/base-bookings', booking(b, { day: day(3), headcount: 2, member_ids: ids }));
  assert.equal(r.status, 201, r.text);
  // a member of the branch sees the coming visit on the phone
  const m = await signIn(srv, { role: 'member', org: otherBranch });
  srv.sql(`UPDATE users SET member_id = ${ids[0]} WHERE username = '${m.username}'`);
  const mine = await m.call('GET', '/api/v1/me/base-visits');
  assert.equal(mine.status, 200);
  assert.ok(mine.body.items.some((x) => x.id === r.body.id), mine.text);
  problemOk(null, await comm.call('POST', `/api/v1/base-bookings/${r.body.id}/check-in`, { attended: 2 }), 409, 'not_yet');
  await setClock(srv, 3 * 86400 + 3600);
  await resign(); // sessions idle for three days have ended
  try {
    const bad = await comm.call('POST', `/api/v1/base-bookings/${r.body.id}/check-in`, { attended: 2, member_ids: [ids[0], 999999] });
    assert.ok(bad.body.errors.some((e) => e.field === 'member_ids[1]' && e.code === 'not_in_org'), bad.text);
    const ci = await comm.call('POST', `/api/v1/base-bookings/${r.body.id}/check-in`, { attended: 2, member_ids: [ids[0]] });
    assert.equal(ci.status, 200, ci.text);
    assert.equal(ci.body.status, 'checked_in');
    assert.equal(ci.body.attended, 2);
    const present = ci.body.roster.filter((x) => x.present).map((x) => x.member_id);
    assert.deepEqual(present, [ids[0]]);
    assert.equal(ci.body.roster.length, 2); // planned + present, kept for a 主题党日 record
    const done = await sec.call('POST', `/api/v1/base-bookings/${r.body.id}/complete`, {});
    assert.equal(done.body.status, 'completed');
    // one action turns the visit into a 主题党日 draft of 三会一课 with the members present
    const mt = await sec.call('POST', `/api/v1/base-bookings/${r.body.id}/meeting`, {});
    assert.equal(mt.status, 201, mt.text);
    assert.equal(mt.body.present, 1);
    const rec = await sec.call('GET', `/api/v1/meetings/${mt.body.meeting_id}`);
    assert.equal(rec.status, 200, rec.text);
    assert.equal(rec.body.type, 5);
    assert.equal(rec.body.held_on, day(3));
    assert.ok(rec.body.attendees.some((a) => a.member_id === ids[0] && a.status === 'present'), rec.text);
    problemOk(null, await sec.call('POST', `/api/v1/base-bookings/${r.body.id}/meeting`, {}), 409, 'meeting_exists');
  } finally { await setClock(srv, 0); await resign(); }
});

test('R-BASE-08 iCalendar feeds parse with ical.js; a revoked token answers 404', async () => {
  const b = await newBase({ name: '红色纪念馆, 分馆; 一', address: '人民路1号' });
  const bk = await sec.call('POST', '/api/v1/base-bookings', booking(b, { day: day(5), slot: '14:00' }));
  await comm.call('POST', `/api/v1/base-bookings/${bk.body.id}/approve`, {});
  const bk2 = await sec.call('POST', '/api/v1/base-bookings', booking(b, { day: day(6), slot: '09:00', headcount: 1 }));
  problemOk(null, await sec.call('POST', '/api/v1/base-feeds', { kind: 'base', object_id: b.id }), 403, 'not_base_manager');
  const f = await comm.call('POST', '/api/v1/base-feeds', { kind: 'base', object_id: b.id });
  assert.equal(f.status, 201, f.text);
  assert.match(f.body.token, /^[A-Za-z0-9_-]{43}$/);
  const res = await fetch(srv.base + f.body.url);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/calendar/);
  const text = await res.text();
  assert.ok(text.split('\r\n').every((l) => Buffer.byteLength(l) <= 75), 'lines folded at 75 octets');
  const cal = new ICAL.Component(ICAL.parse(text));
  const tz = cal.getFirstSubcomponent('vtimezone');
  assert.equal(tz.getFirstPropertyValue('tzid'), 'Asia/Shanghai');
  const events = cal.getAllSubcomponents('vevent');
  assert.equal(events.length, 2);
  const ev = events.find((e) => e.getFirstPropertyValue('uid') === `base-booking-${bk.body.id}@dangjian`);
  assert.ok(ev);
  assert.equal(ev.getFirstPropertyValue('status'), 'CONFIRMED');
  assert.equal(ev.getFirstPropertyValue('location'), `${b.name} 人民路1号`);
  assert.ok(ev.getFirstPropertyValue('dtstamp'));
  const start = ev.getFirstProperty('dtstart');
  assert.equal(start.getParameter('tzid'), 'Asia/Shanghai');
  assert.equal(start.getFirstValue().toString(), `${day(5)}T14:00:00`);
  const other = events.find((e) => e.getFirstPropertyValue('uid') === `base-booking-${bk2.body.id}@dangjian`);
  assert.equal(other.getFirstPropertyValue('status'), 'TENTATIVE');
  // the organization's feed
  const of = await sec.call('POST', '/api/v1/base-feeds', { kind: 'org', object_id: otherBranch });
  assert.equal(of.status, 201, of.text);
  const otext = await (await fetch(srv.base + of.body.url)).text();
  const oev = new ICAL.Component(ICAL.parse(otext)).getAllSubcomponents('vevent');
  assert.ok(oev.some((e) => e.getFirstPropertyValue('uid') === `base-booking-${bk.body.id}@dangjian`));
  // revoked: 404, as an unknown token is
  const del = await comm.call('DELETE', `/api/v1/base-feeds/${f.body.id}`);
  assert.equal(del.status, 204);
  const gone = await fetch(srv.base + f.body.url);
  assert.equal(gone.status, 404);
  assert.equal((await fetch(`${srv.base}/api/v1/ical/${'A'.repeat(43)}.ics`)).status, 404);
  const list = await comm.call('GET', `/api/v1/base-feeds?kind=base&object_id=${b.id}`);
  assert.ok(list.body.items[0].revoked_at > 0);
  assert.ok(!list.text.includes(f.body.token));
});

test('R-BASE-09 statistics: bases by kind, bookings (批), visiting members (人次), use rate', async () => {
  const r = await admin.call('GET', `/api/v1/stats/bases?from=${day(-30)}&to=${day(60)}`);
  assert.equal(r.status, 200, r.text);
  assert.ok(r.body.bases.total >= 8);
  assert.ok(r.body.bases.by_kind['纪念馆/展馆'] >= 8);
  assert.ok(r.body.bookings.received >= 11);
  assert.ok(r.body.bookings.completed >= 1);
  assert.ok(r.body.visiting_members >= 2);
  assert.ok(r.body.use_rate > 0 && r.body.use_rate < 1);
  const pb = r.body.per_base.find((x) => x.booked_places >= 100);
  assert.ok(pb && pb.use_rate > 0, JSON.stringify(r.body.per_base));
  const bad = await admin.call('GET', `/api/v1/stats/bases?from=${day(10)}&to=${day(1)}`);
  assert.ok(bad.body.errors.some((e) => e.field === 'to' && e.code === 'invalid_period'));
  problemOk(null, await admin.call('GET', '/api/v1/stats/bases?org_id=90001'), 404, 'not_found');
});

test('R-BASE-10 every change is audited', async () => {
  for (const a of ['base.create', 'base.closed_days', 'base.booking_create', 'base.booking_approve', 'base.booking_decline',
    'base.booking_cancel', 'base.booking_promote', 'base.booking_check_in', 'base.booking_complete', 'base.series_create',
    'base.feed_create', 'base.feed_revoke'])
    assert.ok(count(`SELECT COUNT(*) FROM audit_log WHERE action = '${a}'`) > 0, a);
  const v = await api(srv, 'GET', '/api/v1/audit/verify');
  assert.ok([200, 401].includes(v.status));
});

test('R-BASE-11 photos from the files store: uploaded by those who run the base, seen by every booker', async () => {
  const b = await newBase();
  const png = readFileSync(join(ROOT, 'tests/api/data/photo.png'));
  const denied = await upload(srv, sec, `/api/v1/files?owner_kind=base&owner_id=${b.id}&name=x.png`, png, 'image/png');
  assert.ok([403, 404].includes(denied.status), denied.text); // a branch secretary does not run the base
  const up = await upload(srv, comm, `/api/v1/files?owner_kind=base&owner_id=${b.id}&name=${encodeURIComponent('展厅.png')}`, png, 'image/png');
  assert.equal(up.status, 201, up.text);
  const seen = await sec.call('GET', `/api/v1/bases/${b.id}`);
  assert.equal(seen.body.photos.length, 1);
  const dir = await sec.call('GET', '/api/v1/bases');
  assert.equal(dir.body.items.find((x) => x.id === b.id).photos.length, 1);
  // the secretary of another community sees the photo through the base
  for (const u of [seen.body.photos[0].url, seen.body.photos[0].thumb_url]) {
    const res = await fetch(srv.base + u, { headers: { cookie: sec.cookie } });
    assert.equal(res.status, 200, u);
    assert.match(res.headers.get('content-type'), /^image\//);
  }
  const other = await newBase();
  problemOk(null, await sec.call('GET', `/api/v1/bases/${other.id}/photos/${up.body.id}`), 404, 'not_found');
});

test('R-BASE-12 a base that closes on holidays follows the district working-day calendar', async () => {
  const b = await newBase({ holidays_closed: true });
  const open = await newBase();
  let n = 9; while (weekday(day(n)) > 4) n++; // a weekday
  const d = day(n);
  const year = Number(d.slice(0, 4));
  const cal = await admin.call('GET', `/api/v1/calendar?year=${year}`);
  const days = (cal.body.items || []).filter((x) => x.day !== d).map(({ day: dd, kind, name }) => ({ day: dd, kind, name }));
  const put = await admin.call('PUT', '/api/v1/calendar', { year, days: [...days, { day: d, kind: 'holiday', name: '测试假日' }] });
  assert.equal(put.status, 200, put.text);
  const r = await sec.call('POST', '/api/v1/base-bookings', booking(b, { day: d }));
  assert.ok(r.body.errors && r.body.errors.some((e) => e.field === 'day' && e.code === 'closed_day' && /测试假日/.test(e.message)), r.text);
  const ok = await sec.call('POST', '/api/v1/base-bookings', booking(open, { day: d }));
  assert.equal(ok.status, 201, ok.text); // a base open on holidays takes it
  const m = await sec.call('GET', `/api/v1/bases/${b.id}/calendar?month=${d.slice(0, 7)}`);
  const cd = m.body.days.find((x) => x.day === d);
  assert.equal(cd.open, false);
  assert.equal(cd.closed_reason, '测试假日');
});

test('R-BASE-04 the month calendar follows every change: bookings, cancellations, the base, its closed days, the holidays', async () => {
  // the server keeps a built calendar per revision of the bases (0117 base_rev): each
  // write below must show in the next read
  const b = await newBase({ capacity: 5, holidays_closed: true });
  const d = day(7), m = d.slice(0, 7);
  const read = async () => {
    const r = await sec.call('GET', `/api/v1/bases/${b.id}/calendar?month=${m}&day=${d}`);
    assert.equal(r.status, 200, r.text);
    return r.body.days.find((x) => x.day === d);
  };
  const slot = (x) => x.slots.find((s) => s.slot === '10:00');
  const c0 = await read();
  assert.deepEqual(await read(), c0, 'the same answer twice');
  assert.equal(slot(c0).taken, 0);
  const a = await sec.call('POST', '/api/v1/base-bookings', booking(b, { headcount: 2 }));
  assert.equal(a.status, 201, a.text);
  assert.deepEqual([slot(await read()).taken, (await read()).taken], [2, 2]);
  const c = await sec.call('POST', `/api/v1/base-bookings/${a.body.id}/cancel`, { reason: '改期' });
  assert.equal(c.body.status, 'cancelled');
  assert.equal(slot(await read()).taken, 0);
  const p = await comm.call('PATCH', `/api/v1/bases/${b.id}`, { capacity: 7 });
  assert.equal(p.status, 200, p.text);
  assert.equal(slot(await read()).free, 7);
  const put = await comm.call('PUT', `/api/v1/bases/${b.id}/closed-days`, { days: [{ day: d, reason: '布展' }] });
  assert.ok(put.status < 300, put.text);
  let x = await read();
  assert.deepEqual([x.open, x.closed_reason], [false, '布展']);
  await comm.call('PUT', `/api/v1/bases/${b.id}/closed-days`, { days: [] });
  assert.equal((await read()).open, weekday(d) < 7);
  const year = Number(d.slice(0, 4));
  const cal = await admin.call('GET', `/api/v1/calendar?year=${year}`);
  const days = (cal.body.items || []).filter((i) => i.day !== d).map(({ day: dd, kind, name }) => ({ day: dd, kind, name }));
  assert.equal((await admin.call('PUT', '/api/v1/calendar', { year, days: [...days, { day: d, kind: 'holiday', name: '缓存假日' }] })).status, 200);
  x = await read();
  assert.deepEqual([x.open, x.closed_reason], [false, '缓存假日']);
  assert.equal((await admin.call('PUT', '/api/v1/calendar', { year, days })).status, 200);
  assert.equal((await read()).open, true);
});

test('R-BASE-13 the yearly report\'s figures: bases, bookings received (批), visiting members (人次) with their records', async () => {
  const from = day(-30), to = day(60);
  const r = await admin.call('GET', `/api/v1/indicators?org_id=1&from=${from}&to=${to}`);
  assert.equal(r.status, 200, r.text);
  const fig = (k) => r.body.items.find((i) => i.key === k);
  const stats = (await admin.call('GET', `/api/v1/stats/bases?org_id=1&from=${from}&to=${to}`)).body;
  assert.equal(fig('bases.total').value.num, stats.bases.total);
  assert.equal(fig('bases.bookings_received').value.num, stats.bookings.received);
  assert.equal(fig('bases.visitors').value.num, stats.visiting_members);
  const rows = await admin.call('GET', `/api/v1/indicators/bases.visitors/rows?org_id=1&from=${from}&to=${to}&limit=200`);
  assert.equal(rows.status, 200, rows.text);
  assert.ok(rows.body.items.length >= 1);
  assert.ok(rows.body.items.every((x) => /人$/.test(x.label)), rows.text);
});

test('R-BASE-14 members check themselves in with the code the base shows on the visit day', async () => {
  const b = await newBase({ approval_required: false });
  const ids = srv.sql(`SELECT id FROM members WHERE org_id = ${otherBranch} ORDER BY id LIMIT 3`).split('\n').map(Number);
  const r = await sec.call('POST', '/api/v1/base-bookings', booking(b, { day: day(2), headcount: 3 }));
  assert.equal(r.status, 201, r.text);
  problemOk(null, await comm.call('POST', `/api/v1/base-bookings/${r.body.id}/check-in-code`, {}), 409, 'not_yet');
  await setClock(srv, 2 * 86400);
  try {
    await resign();
    const c = await comm.call('POST', `/api/v1/base-bookings/${r.body.id}/check-in-code`, {});
    assert.equal(c.status, 201, c.text);
    assert.match(c.body.code, /^[A-HJ-NP-Z2-9]{8}$/);
    // the QR code the base shows: a PNG of the public check-in link with the code
    assert.ok(c.body.link.endsWith(`/m/visits?code=${c.body.code}`), c.body.link);
    const png = Buffer.from(c.body.qr.replace(/^data:image\/png;base64,/, ''), 'base64');
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
    assert.ok(png.readUInt32BE(16) >= 21 * 6, 'at least a version-1 symbol at 6 px a module');
    problemOk(null, await otherComm.call('POST', `/api/v1/base-bookings/${r.body.id}/check-in-code`, {}), 403, 'not_base_approver');
    const m1 = await signIn(srv, { role: 'member', org: otherBranch });
    srv.sql(`UPDATE users SET member_id = ${ids[0]} WHERE username = '${m1.username}'`);
    const bad = await m1.call('POST', '/api/v1/me/base-visits/check-in', { code: 'AAAAAAAA' });
    assert.ok(bad.body.errors.some((e) => e.field === 'code' && e.code === 'invalid_code'), bad.text);
    const ok = await m1.call('POST', '/api/v1/me/base-visits/check-in', { code: c.body.code.toLowerCase() });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.status, 'checked_in');
    assert.equal(ok.body.attended, 1);
    assert.deepEqual(ok.body.roster.filter((x) => x.present).map((x) => x.member_id), [ids[0]]);
    // a member of another branch cannot use it
    const foreignMember = Number(srv.sql(`SELECT id FROM members WHERE org_id = ${branch} ORDER BY id LIMIT 1`));
    const m2 = await signIn(srv, { role: 'member', org: branch });
    srv.sql(`UPDATE users SET member_id = ${foreignMember} WHERE username = '${m2.username}'`);
    const no = await m2.call('POST', '/api/v1/me/base-visits/check-in', { code: c.body.code });
    assert.ok(no.body.errors.some((e) => e.code === 'invalid_code'), no.text);
    assert.equal(count(`SELECT COUNT(*) FROM base_booking_members WHERE booking_id = ${r.body.id} AND present = 1`), 1);
  } finally { await setClock(srv, 0); await resign(); }
});
