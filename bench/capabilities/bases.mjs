// bench/capabilities/bases.mjs: 开放式组织生活基地 (issue 17). One base open around the
// clock (96 slots of 15 minutes a day, 10,000 places each) run by the district: booking
// requests for different slots of next month (wrk, synchronous=FULL on SQLite: each is
// one write transaction), which also fill the month; topped up to 10,000 bookings; then
// the base's month calendar (one range over base_bookings_slot, folded in C).
// The booking rate (also run by bench/run.mjs's PostgreSQL section on both stores): a
// base open around the clock, then booking requests for different slots of next month for
// `seconds` (wrk, 64 connections; each a write transaction whose answer waits for its
// commit to be durable). Returns the base, the month, wrk's result and its failures.
export async function bookingRate({ base, sess, http, wrkOnce, seconds }) {
  const auth = { cookie: sess.cookie, csrf: sess.csrf };
  const r = await http(base, 'POST', '/api/v1/bases', {
    ...auth,
    body: {
      org_id: 1, name: `压测基地${Date.now() % 100000}`, kind: '其他', address: '压测路1号', capacity: 10000,
      slot_minutes: 15, hours: Array(7).fill('00:00-24:00'), approval_required: false,
    },
  });
  if (r.status !== 201) throw new Error(`bases bench: base ${r.status} ${JSON.stringify(r.body)}`);
  const id = r.body.id;
  const next = new Date(Date.now() + 8 * 3600e3);
  next.setUTCDate(1);
  next.setUTCMonth(next.getUTCMonth() + 1);
  const month = next.toISOString().slice(0, 7);
  const env = { DJ_COOKIE: sess.cookie, DJ_CSRF: sess.csrf, DJ_BASE: String(id), DJ_ORG: '1', DJ_MONTH: month, DJ_SLOTS: '96' };
  const w = wrkOnce(`${base}/api/v1/base-bookings`, { script: 'bench/capabilities/bases_book.lua', env, seconds });
  const bad = w.errors + Object.entries(w.status).filter(([k]) => !k.startsWith('2')).reduce((s, [, v]) => s + v, 0);
  return { id, month, w, bad };
}

// "1,000 /s (p50 …, p99 …; n requests, k non-2xx/errors)"
export const rateText = ({ w, bad }) =>
  `${w.rps.toFixed(0)} /s (p50 ${(w.p50_us / 1000).toFixed(1)} ms, p99 ${(w.p99_us / 1000).toFixed(1)} ms; ${w.requests} requests, ${bad} non-2xx/errors)`;

export default async function bases({ base, sess, get, http, scenario, wrkOnce, drain, log, results, QUICK }) {
  const auth = { cookie: sess.cookie, csrf: sess.csrf };
  // booking requests for different slots (each a write: capacity counted in the writer's transaction)
  await drain(base);
  const b = await bookingRate({ base, sess, http, wrkOnce, seconds: QUICK ? 3 : 10 });
  const { id, month, w, bad } = b;
  log(`基地: booking requests ${w.rps.toFixed(0)} /s, p99 ${(w.p99_us / 1000).toFixed(1)} ms, ${bad} non-2xx/errors`);
  results.once.push({ name: '基地: booking requests per second for different slots (synchronous=FULL)', value: rateText(b) });

  // top the month up to 10,000 bookings, 32 requests at a time
  // the month's days carry their taken places (the slots only with ?day=)
  const cal = async () => (await get(`/api/v1/bases/${id}/calendar?month=${month}`)).body;
  const taken = (c) => c.days.reduce((s, d) => s + (d.taken ?? (d.slots || []).reduce((t, x) => t + x.taken, 0)), 0);
  let have = taken(await cal());
  for (let n = have; n < 10000;) {
    const batch = [];
    for (let k = 0; k < 32 && n < 10000; k++, n++) {
      const day = 1 + (n % 28), s = Math.floor(n / 28) % 96;
      const slot = `${String(Math.floor((s * 15) / 60)).padStart(2, '0')}:${String((s * 15) % 60).padStart(2, '0')}`;
      batch.push(http(base, 'POST', '/api/v1/base-bookings', { ...auth, body: { base_id: id, org_id: 1, day: `${month}-${String(day).padStart(2, '0')}`, slot, headcount: 1, purpose: '压测预约', leader: '压测' } }));
    }
    await Promise.all(batch);
  }
  have = taken(await cal());
  results.once.push({ name: '基地: bookings in the measured month', value: String(have) });

  await scenario(`基地: a base's month calendar, ${have.toLocaleString('en')} bookings`, `${base}/api/v1/bases/${id}/calendar?month=${month}`, { env: { DJ_COOKIE: sess.cookie } });
}
