// wechat.test.mjs: the WeChat Official Account (公众号) channel over HTTP (issue 16),
// against a local fake of the documented WeChat endpoints (lib/wechat_fake.mjs): the
// settings (secret sealed, API base pointed at the fake), linking a member's openid by
// OAuth2 snsapi_base (state single-use and bound to the account, the code exchanged by
// the server) and unlinking, template messages through the outbox (the JSON WeChat
// gets, msgid recorded), the access token fetched once and reused, refreshed before it
// expires, fetched anew and the send retried once on 40001/42001, the errcodes' outcomes
// (45009 retried with back-off, 43004 failed), members without an openid falling back to
// the in-app message, and scope (another organization's member answers 404).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { problemOk, cli, api } from './lib/server.mjs';
import { district, as } from './lib/roster_api.mjs';
import { setClock, login, strongPassword } from './lib/auth.mjs';
import { startWechat } from './lib/wechat_fake.mjs';

const APPID = 'wx1234567890abcdef';
const SECRET = 'wechat-app-secret-9f3Kq0';
let srv, admin, sec, fake;
const n = (sql) => Number(srv.sql(sql));

async function tick() {
  const r = await api(srv, 'POST', '/api/v1/test/messages/tick');
  assert.equal(r.status, 200, r.text);
  return r.body;
}

async function memberUser(memberId) {
  const username = `wx${memberId}u${process.pid}`;
  const r = cli(srv.dir, ['user', 'add', '--username', username, '--name', '党员', '--role', 'member', '--member', String(memberId)]);
  const m = r.stdout.match(/one-time password: (\S+)/);
  assert.ok(m, r.stderr);
  const first = await login(srv, username, m[1]);
  assert.equal(first.status, 200, first.text);
  const ses = first.session;
  const ch = await ses.call('PUT', '/api/v1/session/password', { old_password: m[1], new_password: strongPassword() });
  assert.equal(ch.status, 200, ch.text);
  ses.update(ch.body);
  return ses;
}

// a member links: authorize → (WeChat redirects with code and state) → POST /me/wechat
async function link(ses, openid) {
  const a = await ses.call('POST', '/api/v1/me/wechat/authorize', {});
  assert.equal(a.status, 200, a.text);
  return ses.call('POST', '/api/v1/me/wechat', { code: fake.code(openid), state: a.body.state });
}

const members = (org) => srv.sql(`SELECT id FROM members WHERE org_id = ${org} AND state = 'normal' ORDER BY id`).split('\n').filter(Boolean).map(Number);

before(async () => {
  srv = await district({ orgs: 12, members: 60, args: ['--message-workers', '0', '--provider-timeout-ms', '1500'] });
  admin = await as(srv, 'district_admin', 1);
  sec = await as(srv, 'branch_secretary', srv.branch(0));
  fake = await startWechat({ appid: APPID, secret: SECRET });
});
after(async () => { await fake.close(); await srv.stop(); });

test('settings: appid, API base and templates stored; the AppSecret sealed, never shown; a bad field map refused', async () => {
  const sys = await as(srv, 'sysadmin');
  const bad = await sys.call('PUT', '/api/v1/messages/settings', { wechat_fields_notice: 'thing1=title', wechat_api_base: 'ftp://x' });
  problemOk(null, bad, 400, 'validation_failed');
  assert.deepEqual(bad.body.errors.map((e) => e.field).sort(), ['wechat_api_base', 'wechat_fields_notice']);
  const r = await sys.call('PUT', '/api/v1/messages/settings', {
    wechat_appid: APPID, wechat_secret: SECRET, wechat_api_base: fake.base, wechat_redirect_url: 'https://dj.example.gov.cn/m/wechat',
    wechat_tpl_notice: 'TPL_NOTICE_1', wechat_tpl_birthday: 'TPL_BDAY_1', daily_cap: 100,
  });
  assert.equal(r.status, 200, r.text);
  const s = Object.fromEntries(r.body.items.map((i) => [i.key, i]));
  assert.equal(s.wechat_secret.value, null);
  assert.equal(s.wechat_secret.set, true);
  assert.equal(s.wechat_api_base.value, fake.base);
  assert.equal(srv.sql("SELECT COUNT(*) FROM message_settings WHERE key = 'wechat_secret' AND value IS NULL AND sealed IS NOT NULL"), '1');
  const dump = srv.sql('SELECT COALESCE(value, \'\') FROM message_settings');
  assert.ok(!dump.includes(SECRET));
  const audit = srv.sql("SELECT summary FROM audit_log WHERE action = 'message.settings' ORDER BY id DESC LIMIT 1");
  assert.ok(audit.includes('wechat_secret') && !audit.includes(SECRET));
  const st = await sys.call('GET', '/api/v1/wechat/status');
  assert.equal(st.status, 200, st.text);
  assert.equal(st.body.configured, true);
  assert.equal(st.body.secret_set, true);
  assert.ok(!JSON.stringify(st.body).includes(SECRET));
  problemOk(null, await sec.call('GET', '/api/v1/wechat/status'), 403, 'forbidden');
});

test('OAuth snsapi_base: authorize gives the address with a single-use state; the code is exchanged on the server and the openid linked to the logged-in member', async () => {
  const [m1, m2] = members(srv.branch(0));
  const u1 = await memberUser(m1), u2 = await memberUser(m2);
  let me = await u1.call('GET', '/api/v1/me/wechat');
  assert.equal(me.status, 200, me.text);
  assert.equal(me.body.linked, false);
  assert.equal(me.body.available, true);
  const a = await u1.call('POST', '/api/v1/me/wechat/authorize', {});
  assert.equal(a.status, 200, a.text);
  const url = new URL(a.body.url);
  assert.equal(url.origin + url.pathname, 'https://open.weixin.qq.com/connect/oauth2/authorize');
  assert.equal(url.searchParams.get('appid'), APPID);
  assert.equal(url.searchParams.get('redirect_uri'), 'https://dj.example.gov.cn/m/wechat');
  assert.equal(url.searchParams.get('response_type'), 'code');
  assert.equal(url.searchParams.get('scope'), 'snsapi_base');
  assert.equal(url.searchParams.get('state'), a.body.state);
  assert.equal(url.hash, '#wechat_redirect');
  // another account cannot use this state
  problemOk(null, await u2.call('POST', '/api/v1/me/wechat', { code: fake.code('o_other'), state: a.body.state }), 400, 'validation_failed');
  const code = fake.code('oOPENID_member_1');
  const b = await u1.call('POST', '/api/v1/me/wechat', { code, state: a.body.state });
  assert.equal(b.status, 200, b.text);
  assert.equal(b.body.linked, true);
  const ex = fake.oauth.at(-1);
  assert.deepEqual([ex.appid, ex.secret, ex.code, ex.grant_type], [APPID, SECRET, code, 'authorization_code']);
  assert.equal(srv.sql(`SELECT openid FROM member_wechat WHERE member_id = ${m1}`), 'oOPENID_member_1');
  assert.equal(n(`SELECT COUNT(*) FROM audit_log WHERE action = 'wechat.link' AND object_id = ${m1}`), 1);
  assert.ok(!srv.sql("SELECT summary FROM audit_log WHERE action LIKE 'wechat.%'").includes('oOPENID'));
  // the state is used up
  const again = await u1.call('POST', '/api/v1/me/wechat', { code: fake.code('oOPENID_member_1'), state: a.body.state });
  problemOk(null, again, 400, 'validation_failed');
  assert.equal(again.body.errors[0].code, 'invalid_state');
  // WeChat refuses a bad code (40029): a field error with WeChat's errcode, nothing linked
  const a2 = await u2.call('POST', '/api/v1/me/wechat/authorize', {});
  const bad = await u2.call('POST', '/api/v1/me/wechat', { code: 'forged', state: a2.body.state });
  problemOk(null, bad, 400, 'validation_failed');
  assert.equal(bad.body.errors[0].field, 'code');
  assert.match(bad.body.errors[0].message, /40029/);
  // an openid already linked to another member is refused
  problemOk(null, await link(u2, 'oOPENID_member_1'), 409, 'openid_taken');
  assert.equal(n(`SELECT COUNT(*) FROM member_wechat WHERE member_id = ${m2}`), 0);
  // unlink, relink
  const d = await u1.call('DELETE', '/api/v1/me/wechat');
  assert.equal(d.status, 200, d.text);
  problemOk(null, await u1.call('DELETE', '/api/v1/me/wechat'), 404, 'not_linked');
  assert.equal((await link(u1, 'oOPENID_member_1')).status, 200);
  me = await u1.call('GET', '/api/v1/me/wechat');
  assert.equal(me.body.linked, true);
  assert.equal(me.body.current, true);
  // missing inputs change nothing
  problemOk(null, await u1.call('POST', '/api/v1/me/wechat', {}), 400, 'validation_failed');
});

test('scope: a desk user sees and unlinks the links of their own organization only; another organization\'s member answers 404', async () => {
  const [m1] = members(srv.branch(0));
  const foreign = members(srv.branch(1))[0];
  const mine = await sec.call('GET', `/api/v1/members/${m1}/wechat`);
  assert.equal(mine.status, 200, mine.text);
  assert.equal(mine.body.linked, true);
  problemOk(null, await sec.call('GET', `/api/v1/members/${foreign}/wechat`), 404, 'not_found');
  problemOk(null, await sec.call('DELETE', `/api/v1/members/${foreign}/wechat`), 404, 'not_found');
  problemOk(null, await sec.call('GET', '/api/v1/members/99999999/wechat'), 404, 'not_found');
  const u = await memberUser(foreign);
  problemOk(null, await u.call('GET', `/api/v1/members/${m1}/wechat`), 403, 'forbidden');
});

test('template message through the outbox: token fetched once, the documented JSON, msgid recorded; members without an openid get the notice in the app', async () => {
  const org = srv.branch(0);
  const all = members(org);
  const [m1] = all;
  const fetches = fake.fetches;
  const r = await admin.call('POST', '/api/v1/messages/notices', { org_id: org, title: '主题党日', text: '周五下午三点活动室', channels: ['wechat'] });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.queued.wechat, 1);
  assert.equal(r.body.queued.wechat_fallback_inapp, all.length - 1);
  const key = `notice:${r.body.notice_id}:wechat:${m1}`;
  const id = n(`SELECT id FROM outbox WHERE dedup_key = '${key}'`);
  const t = await tick();
  assert.equal(t.sender.sent, 1, JSON.stringify(t));
  assert.equal(fake.fetches, fetches + 1);
  const sent = fake.sends.at(-1);
  assert.match(sent.contentType, /application\/json/);
  assert.deepEqual(sent.body, {
    touser: 'oOPENID_member_1', template_id: 'TPL_NOTICE_1', client_msg_id: `dj-${id}`,
    url: 'https://dj.example.gov.cn/m/inbox', data: { title: { value: '主题党日' }, text: { value: '周五下午三点活动室' } },
  });
  const row = srv.sql(`SELECT state || '|' || provider_id || '|' || error_code FROM outbox WHERE id = ${id}`);
  assert.match(row, /^sent\|\d+\|0$/);
  // a second message reuses the cached token
  const r2 = await admin.call('POST', '/api/v1/messages/notices', { org_id: org, title: '第二条', text: '内容', channels: ['inapp', 'wechat'] });
  assert.equal(r2.body.queued.wechat, 1);
  assert.equal(r2.body.queued.wechat_fallback_inapp, undefined);
  await tick();
  assert.equal(fake.fetches, fetches + 1);
  assert.equal(fake.sends.at(-1).token, sent.token);
  // a field map renames the data keys
  const sys = await as(srv, 'sysadmin');
  assert.equal((await sys.call('PUT', '/api/v1/messages/settings', { wechat_fields_notice: 'thing1:title,thing2:text' })).status, 200);
  await admin.call('POST', '/api/v1/messages/notices', { org_id: org, title: '第三条', text: '内容三', channels: ['wechat'] });
  await tick();
  assert.deepEqual(fake.sends.at(-1).body.data, { thing1: { value: '第三条' }, thing2: { value: '内容三' } });
  assert.equal((await sys.call('PUT', '/api/v1/messages/settings', { wechat_fields_notice: null })).status, 200);
});

test('an expired token (42001) or a refused one (40001) is fetched anew and the send retried once', async () => {
  const org = srv.branch(0);
  const fetches = fake.fetches;
  fake.expireTokens();
  const r = await admin.call('POST', '/api/v1/messages/notices', { org_id: org, title: '令牌过期', text: 'x', channels: ['wechat'] });
  const before = fake.sends.length;
  const t = await tick();
  assert.equal(t.sender.sent, 1, JSON.stringify(t));
  assert.equal(fake.fetches, fetches + 1);
  assert.equal(fake.sends.length, before + 2); // 42001, then sent with the new token
  assert.notEqual(fake.sends.at(-1).token, fake.sends.at(-2).token);
  assert.equal(srv.sql(`SELECT state FROM outbox WHERE dedup_key LIKE 'notice:${r.body.notice_id}:wechat:%'`), 'sent');
  // refused again after the new token: only once more, then retried later with the errcode recorded
  fake.next.push({ errcode: 40001 }, { errcode: 40001 });
  const r2 = await admin.call('POST', '/api/v1/messages/notices', { org_id: org, title: '令牌无效', text: 'x', channels: ['wechat'] });
  const t2 = await tick();
  assert.equal(t2.sender.retried, 1, JSON.stringify(t2));
  assert.equal(fake.fetches, fetches + 2);
  const row = srv.sql(`SELECT state || '|' || error_code || '|' || attempts FROM outbox WHERE dedup_key LIKE 'notice:${r2.body.notice_id}:wechat:%'`);
  assert.equal(row, 'queued|40001|1');
});

test('学习专题 published: the in-app push as before, and a WeChat template message to each linked member of the audience', async () => {
  const sys = await as(srv, 'sysadmin');
  assert.equal((await sys.call('PUT', '/api/v1/messages/settings', { wechat_tpl_study: 'TPL_STUDY_1' })).status, 200);
  const org = srv.branch(0);
  const reviewer = await as(srv, 'committee_admin', 1);
  const c = await admin.call('POST', '/api/v1/study/issues', { org_id: org, title: '第9期：党章学习' });
  assert.equal(c.status, 201, c.text);
  const id = c.body.id;
  assert.equal((await admin.call('POST', `/api/v1/study/issues/${id}/items`, { kind: 'link', title: '党章', url: 'https://www.12371.cn/' })).status, 201);
  assert.equal((await admin.call('POST', `/api/v1/study/issues/${id}/submit`)).status, 200);
  const pub = await reviewer.call('POST', `/api/v1/study/issues/${id}/review`, { decision: 'publish' });
  assert.equal(pub.status, 200, pub.text);
  const all = members(org);
  assert.equal(n(`SELECT COUNT(*) FROM outbox WHERE dedup_key LIKE 'study:${id}:inapp:%'`), all.length);
  const linked = n(`SELECT COUNT(*) FROM member_wechat w JOIN members m ON m.id = w.member_id WHERE m.org_id = ${org} AND m.state = 'normal'`);
  assert.ok(linked >= 1);
  assert.equal(n(`SELECT COUNT(*) FROM outbox WHERE dedup_key LIKE 'study:${id}:wechat:%'`), linked);
  assert.equal(n(`SELECT pushed FROM study_issues WHERE id = ${id}`), all.length);
  await tick();
  const sent = fake.sends.filter((x) => x.body && x.body.template_id === 'TPL_STUDY_1');
  assert.equal(sent.length, linked);
  assert.deepEqual(sent[0].body.data, { title: { value: '第9期：党章学习' } });
});

test('errcodes: 45009 (quota) and HTTP 500 are retried with back-off; 43004 (not following the account) fails for good; nothing is sent twice', async () => {
  const org = srv.branch(0);
  srv.sql("UPDATE outbox SET state = 'cancelled' WHERE state = 'queued'");
  fake.next.push({ errcode: 45009, errmsg: 'reach max api daily quota limit' });
  const r = await admin.call('POST', '/api/v1/messages/notices', { org_id: org, title: '限额', text: 'x', channels: ['wechat'] });
  const t = await tick();
  assert.equal(t.sender.retried, 1, JSON.stringify(t));
  const q = srv.sql(`SELECT state || '|' || error_code || '|' || attempts || '|' || (next_attempt_at > updated_at) FROM outbox WHERE dedup_key LIKE 'notice:${r.body.notice_id}:wechat:%'`);
  assert.match(q, /^queued\|45009\|1\|(1|t|true)$/);
  fake.next.push({ status: 500 });
  const r5 = await admin.call('POST', '/api/v1/messages/notices', { org_id: org, title: '五百', text: 'x', channels: ['wechat'] });
  await tick();
  assert.equal(srv.sql(`SELECT state || '|' || error_code FROM outbox WHERE dedup_key LIKE 'notice:${r5.body.notice_id}:wechat:%'`), 'queued|http_500');
  fake.next.push({ errcode: 43004, errmsg: 'require subscribe' });
  srv.sql("UPDATE outbox SET state = 'cancelled' WHERE state = 'queued'");
  const r3 = await admin.call('POST', '/api/v1/messages/notices', { org_id: org, title: '未关注', text: 'x', channels: ['wechat'] });
  const sends = fake.sends.length;
  await tick();
  await tick();
  assert.equal(fake.sends.length, sends + 1);
  const f = srv.sql(`SELECT state || '|' || error_code || '|' || error FROM outbox WHERE dedup_key LIKE 'notice:${r3.body.notice_id}:wechat:%'`);
  assert.match(f, /^failed\|43004\|收件人未关注公众号/);
  // a member who unlinks after the message was queued: failed as no_openid, never sent
  const [m1] = members(org);
  const r4 = await admin.call('POST', '/api/v1/messages/notices', { org_id: org, title: '已解绑', text: 'x', channels: ['wechat'] });
  assert.equal((await sec.call('DELETE', `/api/v1/members/${m1}/wechat`)).status, 200);
  const before = fake.sends.length;
  await tick();
  assert.equal(fake.sends.length, before);
  assert.equal(srv.sql(`SELECT state || '|' || error_code FROM outbox WHERE dedup_key LIKE 'notice:${r4.body.notice_id}:wechat:%'`), 'failed|no_openid');
  assert.equal(n(`SELECT COUNT(*) FROM audit_log WHERE action = 'wechat.unlink' AND object_id = ${m1}`), 2);
});

test('公众号 sections: at most 3 sections of at most 5 items (WeChat\'s menu limits), names within its byte limits, targets checked, the menu pushed, the figures', async () => {
  // the demo district's account: three sections on the district
  let r = await admin.call('GET', '/api/v1/wechat/sections?org_id=1');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.items.length, 3);
  const rootSection = r.body.items[0].id;
  problemOk(null, await admin.call('POST', '/api/v1/wechat/sections', { org_id: 1, name: '第四' }), 409, 'too_many_sections');
  const org = srv.community(0);
  const long = await admin.call('POST', '/api/v1/wechat/sections', { org_id: org, name: '一二三四五六' }); // 18 bytes
  problemOk(null, long, 400, 'validation_failed');
  assert.equal(long.body.errors[0].field, 'name');
  r = await admin.call('POST', '/api/v1/wechat/sections', { org_id: org, name: '社区服务' });
  assert.equal(r.status, 201, r.text);
  const sid = r.body.items[0].id;
  const add = (b) => admin.call('POST', `/api/v1/wechat/sections/${sid}/items`, b);
  for (const [b, field] of [[{ name: 'x', kind: 'page', target: '/admin' }, 'target'], [{ name: 'x', kind: 'url', target: 'http://a.cn/' }, 'target'],
    [{ name: 'x', kind: 'study', target: '99999999' }, 'target'], [{ name: 'x', kind: 'fax', target: '1' }, 'kind'], [{ kind: 'page', target: '/m/me' }, 'name']]) {
    const x = await add(b);
    problemOk(null, x, 400, 'validation_failed');
    assert.equal(x.body.errors[0].field, field, JSON.stringify(b));
  }
  assert.equal(n(`SELECT COUNT(*) FROM wechat_items WHERE section_id = ${sid}`), 0);
  // a study issue of the community, published (a draft is refused)
  const opath = srv.sql(`SELECT path FROM orgs WHERE id = ${org}`);
  srv.sql(`INSERT INTO study_issues (org_id, org_path, title, state, created_at, updated_at) VALUES (${org}, '${opath}', '草稿', 'draft', 0, 0)`);
  const draft = srv.sql('SELECT MAX(id) FROM study_issues');
  problemOk(null, await add({ name: '草稿', kind: 'study', target: draft }), 400, 'validation_failed');
  srv.sql(`INSERT INTO study_issues (org_id, org_path, title, state, created_at, updated_at) VALUES (${org}, '${opath}', '第一期', 'published', 0, 0)`);
  const study = srv.sql('SELECT MAX(id) FROM study_issues');
  const items = [{ name: '消息中心', kind: 'page', target: '/m/inbox' }, { name: '共产党员网', kind: 'url', target: 'https://www.12371.cn/' },
    { name: '我的', kind: 'page', target: '/m/me' }, { name: '绑定微信', kind: 'page', target: '/m/wechat' }, { name: '学习', kind: 'page', target: '/m/study' }];
  if (study) items[4] = { name: '本期学习', kind: 'study', target: study };
  for (const [i, it] of items.entries()) {
    const x = await add({ ...it, position: i });
    assert.equal(x.status, 201, x.text);
  }
  problemOk(null, await add({ name: '第六项', kind: 'page', target: '/m/me' }), 409, 'too_many_items');
  // rename
  assert.equal((await admin.call('PUT', `/api/v1/wechat/sections/${sid}`, { name: '党员之家', position: 0 })).status, 200);
  // the menu as WeChat gets it: our pages on the binding page's host
  const m = await admin.call('GET', `/api/v1/wechat/menu?org_id=${org}`);
  assert.equal(m.status, 200, m.text);
  assert.equal(m.body.button.length, 1);
  assert.equal(m.body.button[0].name, '党员之家');
  assert.deepEqual(m.body.button[0].sub_button.slice(0, 2), [
    { type: 'view', name: '消息中心', url: 'https://dj.example.gov.cn/m/inbox' },
    { type: 'view', name: '共产党员网', url: 'https://www.12371.cn/' }]);
  if (study) assert.equal(m.body.button[0].sub_button[4].url, `https://dj.example.gov.cn/m/study?issue=${study}`);
  const p = await admin.call('POST', '/api/v1/wechat/menu/push', { org_id: org });
  assert.equal(p.status, 200, p.text);
  assert.deepEqual(fake.menus.at(-1), m.body);
  assert.equal(p.body.last_push.outcome, 'ok');
  // WeChat refuses (40016): a 502 with its errcode, the push recorded as failed and audited
  fake.menuNext.push({ errcode: 40016, errmsg: 'invalid button size' });
  const refused = await admin.call('POST', '/api/v1/wechat/menu/push', { org_id: org });
  problemOk(null, refused, 502, 'wechat_refused');
  assert.match(refused.body.detail || refused.body.title || refused.text, /40016/);
  assert.equal(srv.sql(`SELECT outcome || '|' || errcode FROM wechat_menu_pushes WHERE org_id = ${org} ORDER BY id DESC LIMIT 1`), 'failed|40016');
  assert.equal(srv.sql("SELECT outcome FROM audit_log WHERE action = 'wechat.menu.push' ORDER BY id DESC LIMIT 1"), 'failure');
  // scope: the secretary reads a branch's only and may not edit; a committee's administrator elsewhere gets 404
  problemOk(null, await sec.call('GET', `/api/v1/wechat/sections?org_id=${org}`), 404, 'not_found');
  problemOk(null, await sec.call('POST', '/api/v1/wechat/sections', { org_id: srv.branch(0), name: 'x' }), 403, 'forbidden');
  const committee = await as(srv, 'committee_admin', org);
  assert.equal((await committee.call('GET', `/api/v1/wechat/sections?org_id=${org}`)).status, 200);
  problemOk(null, await committee.call('GET', '/api/v1/wechat/sections?org_id=1'), 404, 'not_found');
  problemOk(null, await committee.call('PUT', `/api/v1/wechat/sections/${rootSection}`, { name: 'x' }), 404, 'not_found');
  problemOk(null, await committee.call('DELETE', `/api/v1/wechat/sections/${rootSection}`), 404, 'not_found');
  problemOk(null, await committee.call('POST', `/api/v1/wechat/sections/${rootSection}/items`, { name: 'x', kind: 'page', target: '/m/me' }), 404, 'not_found');
  // the figures: "X 大版块 X 项内容"
  const ind = await admin.call('GET', '/api/v1/indicators?org_id=1');
  assert.equal(ind.status, 200, ind.text);
  const v = (k) => ind.body.items.find((i) => i.key === k).value.num;
  assert.equal(v('wechat.sections'), 4);
  assert.equal(v('wechat.items'), n('SELECT COUNT(*) FROM wechat_items'));
  assert.equal(v('wechat.linked_members'), n("SELECT COUNT(*) FROM member_wechat w JOIN members m ON m.id = w.member_id WHERE m.state = 'normal'"));
  // the statistics page's section: the same figures, and the WeChat messages of the year
  const st = await admin.call('GET', '/api/v1/stats/wechat?org_id=1');
  assert.equal(st.status, 200, st.text);
  assert.equal(st.body.sections, 4);
  assert.equal(st.body.items, v('wechat.items'));
  assert.equal(st.body.linked, v('wechat.linked_members'));
  assert.equal(st.body.sent, n(`SELECT COUNT(*) FROM outbox WHERE channel = 'wechat' AND state = 'sent' AND done_day >= '${st.body.from}' AND done_day <= '${st.body.to}'`));
  assert.ok(st.body.sent >= 3);
  problemOk(null, await sec.call('GET', `/api/v1/stats/wechat?org_id=${srv.branch(1)}`), 404, 'not_found');
  // deleting a section takes its items
  assert.equal((await admin.call('DELETE', `/api/v1/wechat/sections/${sid}`)).status, 200);
  assert.equal(n(`SELECT COUNT(*) FROM wechat_items WHERE section_id = ${sid}`), 0);
});

test('the token is refreshed before it expires (expires_in 7200: a new one after 6900 s)', async () => {
  const org = srv.branch(0);
  const [m1] = members(org);
  srv.sql(`INSERT INTO member_wechat (member_id, appid, openid, linked_at) VALUES (${m1}, '${APPID}', 'oOPENID_member_1', 0)`);
  srv.sql("UPDATE outbox SET state = 'cancelled' WHERE state = 'queued'");
  const r = await admin.call('POST', '/api/v1/messages/notices', { org_id: org, title: 'A', text: 'x', channels: ['wechat'] });
  const r2 = await admin.call('POST', '/api/v1/messages/notices', { org_id: org, title: 'B', text: 'x', channels: ['wechat'] });
  srv.sql(`UPDATE outbox SET next_attempt_at = next_attempt_at + 7000 WHERE dedup_key LIKE 'notice:${r2.body.notice_id}:%'`);
  await tick();
  const fetches = fake.fetches;
  const tokenA = fake.sends.at(-1).token;
  assert.equal(srv.sql(`SELECT state FROM outbox WHERE dedup_key LIKE 'notice:${r.body.notice_id}:wechat:%'`), 'sent');
  await setClock(srv, 7000);
  try {
    await tick();
  } finally {
    await setClock(srv, 0);
  }
  assert.equal(srv.sql(`SELECT state FROM outbox WHERE dedup_key LIKE 'notice:${r2.body.notice_id}:wechat:%'`), 'sent');
  assert.equal(fake.fetches, fetches + 1, 'a new token was fetched before the old one expired');
  assert.notEqual(fake.sends.at(-1).token, tokenA);
});

test('R-BDAY-01 over WeChat: a linked member gets the greeting as a template message, one without an openid in the app; never both', async () => {
  const sys = await as(srv, 'sysadmin');
  const set = await sys.call('PUT', '/api/v1/messages/settings', { birthday_channels: 'wechat' });
  assert.equal(set.status, 200, set.text);
  const [m1, m2] = members(srv.branch(0));
  if (!n(`SELECT COUNT(*) FROM member_wechat WHERE member_id = ${m1}`))
    srv.sql(`INSERT INTO member_wechat (member_id, appid, openid, linked_at) VALUES (${m1}, '${APPID}', 'oOPENID_member_1', 0)`);
  srv.sql(`DELETE FROM member_wechat WHERE member_id = ${m2}`);
  srv.sql(`UPDATE members SET joined_on = '1999-07-01' WHERE SUBSTR(joined_on, 6, 5) = '05-12'`);
  srv.sql(`UPDATE members SET joined_on = '2001-05-12' WHERE id IN (${m1}, ${m2})`);
  const sends = fake.sends.length;
  // 2030-05-12 10:00 in Beijing
  await setClock(srv, Math.round(Date.UTC(2030, 4, 12, 2, 0) / 1000 - Date.now() / 1000));
  try {
    const t = await tick();
    assert.ok(t.ran.some((x) => x.slot === 'birthday' && x.key === '2030-05-12' && x.outcome === 'ok'), JSON.stringify(t));
    await tick(); // a second run adds nothing
  } finally {
    await setClock(srv, 0);
  }
  const keys = (m) => srv.sql(`SELECT dedup_key || '=' || state FROM outbox WHERE member_id = ${m} AND kind = 'birthday' AND dedup_key LIKE 'bday:${m}:2030:%' ORDER BY dedup_key`);
  assert.equal(keys(m1), `bday:${m1}:2030:wechat=sent`);
  assert.equal(keys(m2), `bday:${m2}:2030:inapp=sent`);
  const mine = fake.sends.slice(sends).filter((x) => x.body && x.body.template_id === 'TPL_BDAY_1');
  assert.equal(mine.length, 1);
  assert.equal(mine[0].body.touser, 'oOPENID_member_1');
  assert.equal(mine[0].body.data.years.value, '29');
  assert.ok(mine[0].body.data.name.value.length > 0);
});

test('WeChat\'s server callback: only a request whose signature (SHA-1 of the sorted token, timestamp, nonce) verifies is answered', async () => {
  const { createHash } = await import('node:crypto');
  const cb = (q, method = 'GET') => api(srv, method, `/api/v1/wechat/callback?${new URLSearchParams(q)}`, method === 'POST' ? { raw: '<xml><MsgType>event</MsgType></xml>', headers: { 'content-type': 'text/xml' } } : {});
  const q0 = { signature: '0'.repeat(40), timestamp: '1700000000', nonce: '42', echostr: 'hello' };
  problemOk(null, await cb(q0), 404, 'not_found'); // no token configured: no callback
  const sys = await as(srv, 'sysadmin');
  const TOKEN = 'cbToken2026x';
  assert.equal((await sys.call('PUT', '/api/v1/messages/settings', { wechat_callback_token: TOKEN })).status, 200);
  const sign = (ts, nonce) => createHash('sha1').update([TOKEN, ts, nonce].sort().join('')).digest('hex');
  const good = { signature: sign('1700000000', '9876'), timestamp: '1700000000', nonce: '9876', echostr: 'echo-7713' };
  const r = await cb(good);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.text, 'echo-7713');
  problemOk(null, await cb({ ...good, nonce: '9877' }), 403, 'bad_signature');
  problemOk(null, await cb({ ...good, signature: undefined }), 403, 'bad_signature');
  const p = await cb(good, 'POST');
  assert.equal(p.status, 200, p.text);
  assert.equal(p.text, 'success');
  problemOk(null, await cb({ ...good, signature: sign('1', '2') }, 'POST'), 403, 'bad_signature');
  assert.ok(!srv.sql('SELECT COALESCE(value, \'\') FROM message_settings').includes(TOKEN));
});
