// dashboard_links.test.mjs: 首页's work lists link to their pages pre-filtered (issue 19
// #2): each link names the page, the filter that page reads from its URL (the pages:
// DevelopmentView tab, TransfersView box, MeetingsView tab/status, BaseQueueView status,
// ServicesQueueView overdue, OrgsView alerts; tests/e2e/dashboard_work.test.js opens
// them) and the organization on screen; the filter asks the API for the records the
// list counted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { district, as } from './lib/roster_api.mjs';

let srv, admin, sec;
before(async () => {
  srv = await district({ orgs: 50, members: 900, seed: 7 });
  admin = await as(srv, 'district_admin', 1);
  sec = await as(srv, 'branch_secretary', srv.branch(0));
  // a returned record for the branch, before any 首页 is computed (they are kept a moment)
  srv.sql(`UPDATE meetings SET status = 'returned', return_reason = '补充会议记录' WHERE id = (SELECT MIN(id) FROM meetings WHERE status = 'submitted' AND org_id = ${srv.branch(0)})`);
});
after(async () => { await srv.stop(); });

// kind → [page, the filter (without org_id)]
const LINKS = {
  term: ['/orgs', { alerts: '1' }],
  committee: ['/orgs', { alerts: '1' }],
  dev_overdue: ['/development', { tab: 'warnings' }],
  dev_due: ['/development', { tab: 'warnings' }],
  transfer_approve: ['/transfers', { box: 'outgoing' }],
  transfer_send: ['/transfers', { box: 'outgoing' }],
  transfer_accept: ['/transfers', { box: 'incoming' }],
  meeting_review: ['/meetings', { tab: 'queue' }],
  meeting_returned: ['/meetings', { tab: 'list', status: 'returned' }],
  base_approve: ['/base-queue', { status: 'requested' }],
  service_overdue: ['/services', { overdue: '1' }],
  service_open: ['/services', { open: '1' }],
  service_tasks: ['/m/tasks', {}],
};

function check(w, orgId) {
  assert.ok(w.kind in LINKS, `a link for ${w.kind}`);
  const [page, filter] = LINKS[w.kind];
  const u = new URL(w.link, 'http://x');
  assert.equal(u.pathname, page, w.kind);
  const q = Object.fromEntries(u.searchParams);
  const want = { ...filter };
  if (orgId && page !== '/m/tasks') want.org_id = String(orgId);
  assert.deepEqual(q, want, `${w.kind}: ${w.link}`);
}

test('R-DASH-LINK-01 every work list links to its page with the page’s filter and the organization on screen', async () => {
  const seen = new Set();
  for (const [s, orgId] of [[admin, 1], [admin, srv.community(0)], [sec, srv.branch(0)]]) {
    const r = await s.call('GET', `/api/v1/dashboard?org_id=${orgId}`);
    assert.equal(r.status, 200, r.text);
    for (const w of r.body.worklist) { check(w, orgId); seen.add(w.kind); }
  }
  assert.ok(seen.size >= 4, `the demo district leaves work: ${[...seen]}`);
});

test('R-DASH-LINK-02 the filters ask the API for the records the list counted', async () => {
  const r = await admin.call('GET', `/api/v1/dashboard?org_id=1`);
  const byKind = Object.fromEntries(r.body.worklist.map((w) => [w.kind, w]));
  // 会议记录被退回: the list the page asks for with ?status=returned (one made in before())
  const r2 = await sec.call('GET', `/api/v1/dashboard?org_id=${srv.branch(0)}`);
  const ret = r2.body.worklist.find((w) => w.kind === 'meeting_returned');
  assert.ok(ret, 'a returned record waits');
  const q = new URL(ret.link, 'http://x').searchParams;
  const y = new Date().getFullYear();
  let n = 0;
  for (const year of [y - 1, y]) {
    const l = await sec.call('GET', `/api/v1/meetings?org_id=${q.get('org_id')}&status=${q.get('status')}&from=${year}-01-01&to=${year}-12-31&limit=200`);
    assert.equal(l.status, 200, l.text);
    for (const m of l.body.items) assert.equal(m.status, 'returned');
    n += l.body.items.length;
  }
  assert.ok(n >= 1 && n <= ret.count, `${n} of ${ret.count}`);
  // 服务诉求已超时: ?overdue=1 on the requests the page lists
  if (byKind.service_overdue) {
    const l = await admin.call('GET', `/api/v1/services/requests?org_id=1&overdue=1&limit=200`);
    assert.equal(l.status, 200, l.text);
    assert.equal(l.body.total ?? l.body.items.length, byKind.service_overdue.count);
  }
});
