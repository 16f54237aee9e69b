// base_edit.test.mjs: 修改活动基地 (issue 17) over HTTP, as the edit form sends it: every
// field of PATCH /api/v1/bases/{id} at once; bad fields answer with their names and
// change nothing; a good edit is stored and audited; a secretary may not edit it; the
// running organization (org_id) stays read-only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { problemOk } from './lib/server.mjs';
import { district, as } from './lib/roster_api.mjs';

let srv, admin, sec;
before(async () => {
  srv = await district({ orgs: 20, members: 120 });
  admin = await as(srv, 'district_admin', 1);
  sec = await as(srv, 'branch_secretary', srv.branch(0));
});
after(async () => { await srv.stop(); });

test('the edit form’s PATCH: bad fields named and nothing changed; a good one stored and audited', async () => {
  const id = Number(srv.sql('SELECT MAX(id) FROM bases'));
  const before = (await admin.call('GET', `/api/v1/bases/${id}`)).body;
  const form = {
    name: before.name, kind: before.kind, address: before.address, point: before.point, capacity: before.capacity,
    slot_minutes: before.slot_minutes, hours: before.hours, offers: before.offers, contact_name: before.contact_name,
    contact_phone: before.contact_phone, approval_required: before.approval_required,
    holidays_closed: before.holidays_closed, status: before.status, description: before.description,
  };
  const bad = await admin.call('PATCH', `/api/v1/bases/${id}`, {
    ...form, name: '', kind: '博物馆', capacity: 0, slot_minutes: 5, contact_phone: 'abc',
    hours: ['09:00-17:00'], offers: ['唱歌'], point: { lat: 120, lng: 31 }, org_id: 1,
  });
  problemOk(null, bad, 400, 'validation_failed');
  const fields = bad.body.errors.map((e) => e.field).sort();
  assert.deepEqual(fields, ['capacity', 'contact_phone', 'hours', 'kind', 'name', 'offers', 'org_id', 'point', 'slot_minutes']);
  assert.deepEqual((await admin.call('GET', `/api/v1/bases/${id}`)).body, before, 'nothing changed');
  const hours = [...before.hours];
  hours[6] = '13:30-17:00';
  const ok = await admin.call('PATCH', `/api/v1/bases/${id}`, { ...form, capacity: before.capacity + 5, contact_phone: '010-66668888', hours, offers: ['讲解'], status: 'closed' });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.body.capacity, before.capacity + 5);
  assert.equal(ok.body.hours[6], '13:30-17:00');
  assert.deepEqual(ok.body.offers, ['讲解']);
  assert.equal(ok.body.status, 'closed');
  assert.equal(Number(srv.sql(`SELECT COUNT(*) FROM audit_log WHERE action = 'base.update' AND object_id = ${id}`)), 1);
  // a secretary sees the base but may not edit bases
  assert.equal((await sec.call('PATCH', `/api/v1/bases/${id}`, { capacity: 3 })).status, 403);
  assert.equal((await admin.call('GET', `/api/v1/bases/${id}`)).body.capacity, before.capacity + 5);
});
