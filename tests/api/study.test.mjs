// study.test.mjs: 学习专题 over HTTP (issue 16 #6): an issue goes draft → review →
// published; the reviewer is not the author; article HTML is sanitized on the server
// to an allow-list (script, handlers, javascript: URLs gone); publishing pushes the
// issue to every member of the subtree through the outbox, once; members of the
// subtree (and only they) read it on the phone, opens and reads to the end recorded;
// the counts reach GET /stats/messages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { problemOk, cli } from './lib/server.mjs';
import { district, as } from './lib/roster_api.mjs';
import { login, strongPassword } from './lib/auth.mjs';

let srv, author, reviewer, sec;
before(async () => {
  srv = await district({ orgs: 20, members: 120, args: ['--message-workers', '0'] });
  author = await as(srv, 'committee_admin', srv.community(0));
  reviewer = await as(srv, 'district_admin', 1);
  sec = await as(srv, 'branch_secretary', srv.branch(0));
});
after(async () => { await srv.stop(); });

async function memberUser(memberId) {
  const username = `sm${memberId}u${process.pid}`;
  const r = cli(srv.dir, ['user', 'add', '--username', username, '--name', '党员', '--role', 'member', '--member', String(memberId)]);
  const otp = r.stdout.match(/one-time password: (\S+)/)[1];
  const s = (await login(srv, username, otp)).session;
  const ch = await s.call('PUT', '/api/v1/session/password', { old_password: otp, new_password: strongPassword() });
  assert.equal(ch.status, 200, ch.text);
  s.update(ch.body);
  return s;
}

test('学习专题: draft → review → published, sanitized HTML, a push to the subtree once, reads recorded', async () => {
  const org = srv.community(0);
  const path = srv.sql(`SELECT path FROM orgs WHERE id = ${org}`);
  const c = await author.call('POST', '/api/v1/study/issues', { org_id: org, title: '第1期：学习二十大精神' });
  assert.equal(c.status, 201, c.text);
  const id = c.body.id;
  assert.equal(c.body.state, 'draft');
  // nothing to review yet
  problemOk(null, await author.call('POST', `/api/v1/study/issues/${id}/submit`), 409, 'empty_issue');
  const art = await author.call('POST', `/api/v1/study/issues/${id}/items`, {
    kind: 'article', title: '原文学习', study_minutes: 30,
    body_html: '<p onclick="steal()">高举<strong>伟大旗帜</strong></p><script>alert(document.cookie)</script><a href="javascript:alert(1)">点我</a><img src="/api/v1/files/1/content" onerror="x()">',
  });
  assert.equal(art.status, 201, art.text);
  assert.equal(art.body.sanitized, true);
  const html = art.body.items[0].body_html;
  assert.equal(html, '<p>高举<strong>伟大旗帜</strong></p><a rel="noopener noreferrer">点我</a><img src="/api/v1/files/1/content">');
  const bad = await author.call('POST', `/api/v1/study/issues/${id}/items`, { kind: 'video', title: 'x', url: 'javascript:alert(1)' });
  problemOk(null, bad, 400, 'validation_failed');
  assert.ok(bad.body.errors.some((e) => e.field === 'url'));
  const link = await author.call('POST', `/api/v1/study/issues/${id}/items`, { kind: 'link', title: '共产党员网', url: 'https://www.12371.cn/' });
  assert.equal(link.status, 201, link.text);
  const sub = await author.call('POST', `/api/v1/study/issues/${id}/submit`);
  assert.equal(sub.body.state, 'review');
  problemOk(null, await author.call('POST', `/api/v1/study/issues/${id}/items`, { kind: 'link', title: 'y', url: 'https://a.cn/' }), 409, 'not_draft');
  // a committee admin holds study.review too, but not over their own issue
  problemOk(null, await author.call('POST', `/api/v1/study/issues/${id}/review`, { decision: 'publish' }), 409, 'same_person');
  // return with a reason, fix, submit again, publish
  problemOk(null, await reviewer.call('POST', `/api/v1/study/issues/${id}/review`, { decision: 'return' }), 400, 'validation_failed');
  const ret = await reviewer.call('POST', `/api/v1/study/issues/${id}/review`, { decision: 'return', reason: '请补充视频' });
  assert.equal(ret.body.state, 'draft');
  assert.equal(ret.body.return_reason, '请补充视频');
  await author.call('POST', `/api/v1/study/issues/${id}/items`, { kind: 'video', title: '专题片', url: 'https://v.example.cn/1.mp4', study_minutes: 20 });
  await author.call('POST', `/api/v1/study/issues/${id}/submit`);
  const pub = await reviewer.call('POST', `/api/v1/study/issues/${id}/review`, { decision: 'publish' });
  assert.equal(pub.status, 200, pub.text);
  assert.equal(pub.body.state, 'published');
  const members = Number(srv.sql(`SELECT COUNT(*) FROM members WHERE org_path >= '${path}' AND org_path < '${path.slice(0, -1)}0' AND state = 'normal'`));
  assert.ok(members > 0);
  assert.equal(pub.body.pushed, members);
  assert.equal(Number(srv.sql(`SELECT COUNT(*) FROM outbox WHERE dedup_key LIKE 'study:${id}:inapp:%'`)), members);
  problemOk(null, await reviewer.call('POST', `/api/v1/study/issues/${id}/review`, { decision: 'publish' }), 409, 'not_in_review');
  assert.equal(Number(srv.sql(`SELECT COUNT(*) FROM outbox WHERE dedup_key LIKE 'study:${id}:inapp:%'`)), members);

  // a member of the subtree reads it; one outside sees nothing
  const inside = Number(srv.sql(`SELECT id FROM members WHERE org_path >= '${path}' AND org_path < '${path.slice(0, -1)}0' AND state = 'normal' ORDER BY id LIMIT 1`));
  const outside = Number(srv.sql(`SELECT id FROM members WHERE NOT (org_path >= '${path}' AND org_path < '${path.slice(0, -1)}0') AND state = 'normal' ORDER BY id LIMIT 1`));
  const m = await memberUser(inside);
  const mine = await m.call('GET', '/api/v1/me/study');
  assert.equal(mine.status, 200, mine.text);
  const issue = mine.body.items.find((i) => i.id === id);
  assert.equal(issue.items.length, 3);
  assert.ok(issue.items.every((x) => x.opened === false));
  const item = issue.items[0].id;
  problemOk(null, await m.call('POST', `/api/v1/me/study/items/${item}/finish`), 404, 'not_found');
  const open = await m.call('GET', `/api/v1/me/study/items/${item}`);
  assert.equal(open.status, 200, open.text);
  assert.equal(open.body.body_html, html);
  assert.equal((await m.call('POST', `/api/v1/me/study/items/${item}/finish`)).status, 200);
  const inbox = await m.call('GET', '/api/v1/inbox');
  assert.ok(inbox.body.items.some((i) => i.kind === 'study' && i.title.includes('学习二十大精神')));
  const o = await memberUser(outside);
  assert.ok(!(await o.call('GET', '/api/v1/me/study')).body.items.some((i) => i.id === id));
  problemOk(null, await o.call('GET', `/api/v1/me/study/items/${item}`), 404, 'not_found');
  // the desk sees the counts; a foreign desk user sees nothing
  const desk = await reviewer.call('GET', `/api/v1/study/issues/${id}`);
  assert.equal(desk.body.items[0].opened, 1);
  assert.equal(desk.body.items[0].finished, 1);
  problemOk(null, await sec.call('GET', `/api/v1/study/issues/${id}`), 403, 'forbidden');
  const st = await reviewer.call('GET', '/api/v1/stats/messages?org_id=1');
  assert.equal(st.status, 200, st.text);
  assert.equal(st.body.study.issues_published, 1);
  assert.equal(st.body.study.items_pushed, 3);
  assert.equal(st.body.study.reads_finished, 1);
  assert.ok(st.body.study.read_rate > 0);
});
