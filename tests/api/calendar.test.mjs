// calendar.test.mjs: the working-day calendar (model/workday.c, api/calendar.c): the
// 2025 and 2026 seed of DOMAIN.md §2, a 公示 spanning 春节 and 国庆, make-up working days
// on weekends, the district administrator replacing a year, bad input changing nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, problemOk } from './lib/server.mjs';
import { signIn, addOrgs } from './lib/auth.mjs';

let srv, admin, sec;
before(async () => {
  srv = await startServer();
  addOrgs(srv, [{ id: 1, name: '示范区委' }, { id: 2, parent: 1, name: '某支部' }]);
  admin = await signIn(srv, { role: 'district_admin', org: 1 });
  sec = await signIn(srv, { role: 'branch_secretary', org: 2 });
});
after(async () => { await srv.stop(); });

const span = async (s, start, days = 5) => {
  const r = await s.call('GET', `/api/v1/calendar/span?start=${start}&days=${days}`);
  assert.equal(r.status, 200, r.text);
  return r.body;
};

test('the 2025 and 2026 seed: holidays and 调休 days from the State Council notices', async () => {
  const r = await sec.call('GET', '/api/v1/calendar?year=2026');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.known, true);
  assert.deepEqual(r.body.years, [2025, 2026]);
  const day = (d) => r.body.items.find((i) => i.day === d);
  assert.equal(day('2026-02-15').kind, 'holiday');
  assert.equal(day('2026-02-23').kind, 'holiday');
  assert.equal(day('2026-02-14').kind, 'workday'); // a Saturday worked
  assert.equal(day('2026-02-14').weekday, 6);
  assert.equal(day('2026-02-28').kind, 'workday');
  assert.equal(r.body.items.filter((i) => i.kind === 'holiday').length, 3 + 9 + 3 + 5 + 3 + 3 + 7);
  assert.equal(r.body.items.filter((i) => i.kind === 'workday').length, 6);
  const y25 = await sec.call('GET', '/api/v1/calendar?year=2025');
  assert.equal(y25.body.items.filter((i) => i.kind === 'workday').length, 5);
  assert.equal(y25.body.items.filter((i) => i.kind === 'holiday').length, 1 + 8 + 3 + 5 + 3 + 8);
  const y27 = await sec.call('GET', '/api/v1/calendar?year=2027');
  assert.equal(y27.body.known, false);
  assert.equal(y27.body.items.length, 0);
});

test('R-DEV-15 a 公示 spanning 春节 2026 ends on the fifth working day, the make-up Saturday counted', async () => {
  // Thu 12 Feb, Fri 13, Sat 14 (调休 worked), then 15–23 rest, Tue 24 is the fourth…
  const s = await span(sec, '2026-02-12');
  assert.equal(s.end, '2026-02-25');
  assert.equal(s.calendar_known, true);
  // starting on a holiday: the first working day is 24 Feb
  assert.equal((await span(sec, '2026-02-16')).end, '2026-02-28'); // 24, 25, 26, 27, Sat 28 (调休)
  // 春节 2025: Mon 27 Jan, then 28 Jan–4 Feb rest, 5, 6, 7, Sat 8 (调休)
  assert.equal((await span(sec, '2025-01-27')).end, '2025-02-08');
  // 国庆 2025: Sun 28 Sep is worked
  assert.equal((await span(sec, '2025-09-26')).end, '2025-10-09'); // 26, Sun 28, 29, 30, then 9 Oct
  // a plain week: Monday to Friday
  assert.equal((await span(sec, '2026-03-02')).end, '2026-03-06');
  // a year nobody entered follows the plain week and says so
  const y = await span(sec, '2027-12-31', 1);
  assert.equal(y.end, '2027-12-31');
  assert.equal(y.calendar_known, false);
});

test('the district administrator replaces a year; others may not; bad input changes nothing', async () => {
  const days = [
    { day: '2027-01-01', kind: 'holiday', name: '元旦' },
    { day: '2027-02-05', kind: 'holiday', name: '春节' },
    { day: '2027-02-06', kind: 'workday', name: '春节调休' },
  ];
  problemOk(null, await sec.call('PUT', '/api/v1/calendar', { year: 2027, days }), 403, 'forbidden');
  const bad = await admin.call('PUT', '/api/v1/calendar', {
    year: 2027, days: [...days, { day: '2026-12-31', kind: 'holiday' }, { day: '2027-01-01', kind: 'holiday' },
      { day: '2027-03-03', kind: 'workday' }, { day: '2027-02-30', kind: 'holiday' }, { day: '2027-04-01', kind: 'rest' }],
  });
  problemOk(null, bad, 400, 'validation_failed');
  const codes = bad.body.errors.map((e) => e.code);
  for (const c of ['wrong_year', 'duplicate', 'not_weekend']) assert.ok(codes.includes(c), `${c} in ${bad.text}`);
  assert.equal((await admin.call('GET', '/api/v1/calendar?year=2027')).body.known, false);
  const ok = await admin.call('PUT', '/api/v1/calendar', { year: 2027, days });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.body.known, true);
  assert.equal(ok.body.items.length, 3);
  assert.equal((await span(sec, '2027-02-04', 2)).end, '2027-02-06'); // Thu 4, (Fri 5 rests), Sat 6 works
  // replacing again keeps only what is sent
  const again = await admin.call('PUT', '/api/v1/calendar', { year: 2027, days: days.slice(0, 1) });
  assert.equal(again.body.items.length, 1);
  assert.equal((await span(sec, '2027-02-04', 2)).end, '2027-02-05');
});

test('a small CSV replaces a year (header optional, Chinese kinds); a bad line is named and nothing changes', async () => {
  const post = (s, year, text) => fetch(`${srv.base}/api/v1/calendar/import?year=${year}`, {
    method: 'POST', body: text, headers: { cookie: s.cookie, 'x-csrf-token': s.csrf, 'content-type': 'text/csv' },
  });
  const csv = '\uFEFF日期,类型,名称\r\n2028-01-01,节假日,元旦\r\n2028-01-29,调休,春节调休\r\n2028-01-26,holiday,春节\r\n';
  assert.equal((await post(sec, 2028, csv)).status, 403);
  const bad = await post(admin, 2028, csv + '2028-02-30,节假日,x\n2028-03-01,调休,周三\n');
  assert.equal(bad.status, 400);
  const errs = (await bad.json()).errors;
  assert.ok(errs.some((e) => e.field === 'line[5]' && e.code === 'invalid_date'), JSON.stringify(errs));
  assert.ok(errs.some((e) => e.field === 'line[6]' && e.code === 'not_weekend'));
  assert.equal((await admin.call('GET', '/api/v1/calendar?year=2028')).body.known, false);
  const ok = await post(admin, 2028, csv);
  assert.equal(ok.status, 200);
  const body = await ok.json();
  assert.deepEqual(body.items.map((i) => `${i.day}:${i.kind}:${i.name}`), ['2028-01-01:holiday:元旦', '2028-01-26:holiday:春节', '2028-01-29:workday:春节调休']);
});
