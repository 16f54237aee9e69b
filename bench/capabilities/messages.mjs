// bench/capabilities/messages.mjs: the messages' figures of issue 16 on the bench
// district: queueing one in-app notice to every member (≤ 10 s for 1M), the sender's
// drain rate of an SMS push against a local fake gateway that checks every signature
// (≥ 2,000 messages/s), and the political-birthday run over the whole district
// (≤ 5 s for 1M), through `dangjian messages birthdays`.
import { startGateway } from '../../tests/api/lib/sms_gateway.mjs';

const SECRET = 'bench-aliyun-secret';

export default async function messages({ base, sess, login, http, dj, log, results, QUICK, discovered }) {
  const call = (method, path, body) => http(base, method, path, { body, cookie: sess.cookie, csrf: sess.csrf });
  const secs = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;

  // 1. one notice, in-app, to every member of the district
  let t0 = process.hrtime.bigint();
  const push = await call('POST', '/api/v1/messages/notices', { org_id: 1, title: '性能测试通知', text: '全区党员请注意：这是一条性能测试通知。', channels: ['inapp'] });
  const pushS = secs(t0);
  results.once.push({ name: `消息推送: one in-app notice queued to the whole district (${push.body?.queued?.inapp ?? '?'} members)`, value: `${pushS.toFixed(2)} s (HTTP ${push.status})` });
  log(`messages: push to the district ${pushS.toFixed(2)} s`);

  // 1a. the figure issue 16 names: one study item pushed to the district, i.e. a 学习专题
  // of one article published by its reviewer (not its author): the in-app row per member
  // and the per-organization push counts of the read rate, in one request
  {
    const reviewer = await login('bench-review');
    const rcall = (method, path, body) => http(base, method, path, { body, cookie: reviewer.cookie, csrf: reviewer.csrf });
    const iss = await call('POST', '/api/v1/study/issues', { org_id: 1, title: '性能测试：学习专题' });
    const id = iss.body?.id;
    const item = id && await call('POST', `/api/v1/study/issues/${id}/items`, { kind: 'article', title: '原文学习', study_minutes: 30, body_html: '<p>性能测试正文</p>' });
    const sub = id && await call('POST', `/api/v1/study/issues/${id}/submit`);
    if (!id || item.status !== 201 || sub.status !== 200) throw new Error(`study issue for the push: ${iss.status} ${item?.status} ${sub?.status} ${JSON.stringify(sub?.body || iss.body)}`);
    t0 = process.hrtime.bigint();
    const pub = await rcall('POST', `/api/v1/study/issues/${id}/review`, { decision: 'publish' });
    const pubS = secs(t0);
    results.once.push({ name: `消息推送: one study issue published to the whole district (${pub.body?.pushed ?? '?'} members)`, value: `${pubS.toFixed(2)} s (HTTP ${pub.status})` });
    log(`messages: study issue published to the district ${pubS.toFixed(2)} s`);
  }

  // 1b. what the push leaves to the sender: in-app rows are written as sent in the
  // push's own transaction, so nothing should be queued; if something is (another
  // channel, a change of the model), the rows after this module must not be measured
  // beside its drain: wait for it (at most 15 min) and record its rate as its own figure
  const queuedIn = async (id, state) => (await call('GET', `/api/v1/outbox?org_id=${id}&state=${state}&limit=1`)).body?.items?.length || 0;
  const pending = async (id) => (await queuedIn(id, 'queued')) + (await queuedIn(id, 'sending'));
  {
    t0 = process.hrtime.bigint();
    const had = await pending(1);
    let left = had;
    for (let i = 0; i < 900 && left > 0; i++) { await new Promise((r) => setTimeout(r, 1000)); left = await pending(1); }
    results.once.push({ name: '消息推送: the sender\'s work left by the district push',
      value: had ? `${left ? 'still sending after' : 'drained in'} ${secs(t0).toFixed(0)} s (the rows after this module waited for it)` : 'none: nothing queued or sending after the push (in-app rows are written as sent by the push itself)' });
  }

  // 2. the sender's drain rate against a local fake Alibaba Cloud gateway
  const gw = await startGateway({ aliyunSecret: SECRET, tencentSecret: 'unused' });
  try {
    for (const [k, v] of [['sms_provider', 'aliyun'], ['aliyun_endpoint', gw.url('aliyun')], ['aliyun_access_key_id', 'bench'],
      ['aliyun_access_key_secret', SECRET], ['aliyun_sign_name', '党建服务平台'], ['sms_tpl_notice', 'SMS_BENCH'],
      ['quiet_start', '00:00'], ['quiet_end', '00:00'], ['daily_cap', '100'], ['sms_rate', '100000']]) dj(['messages', 'set', k, v]);
    const org = QUICK ? discovered.leaf : discovered.street;
    const sms = await call('POST', '/api/v1/messages/notices', { org_id: org.id, title: '短信压测', text: '短信发送速率测试', channels: ['sms'] });
    const n = sms.body?.queued?.sms || 0;
    t0 = process.hrtime.bigint();
    let left = n;
    for (let i = 0; i < 6000 && left > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      left = await pending(org.id);
    }
    const drainS = secs(t0);
    const bad = gw.requests.filter((x) => !x.sigOk).length;
    results.once.push({ name: `消息推送: SMS sender drain against a local fake gateway (${n} messages, “${org.name}”)`,
      value: `${(n / drainS).toFixed(0)} messages/s (${drainS.toFixed(1)} s; ${gw.requests.length} requests, ${bad} bad signatures${left ? `, ${left}+ left` : ''})` });
    log(`messages: drained ${n} in ${drainS.toFixed(1)} s`);
  } finally {
    dj(['messages', 'set', 'sms_provider', 'none'], { allowFail: true });
    await gw.close();
  }

  // 3. the political-birthday run over the whole district (a week, as after downtime, and one day)
  for (const days of [1, 7]) {
    const to = new Date(Date.now() + 8 * 3600e3);
    const from = new Date(to.getTime() - (days - 1) * 86400e3);
    const r = dj(['messages', 'birthdays', '--from', from.toISOString().slice(0, 10), '--to', to.toISOString().slice(0, 10)], { allowFail: true });
    results.once.push({ name: `消息推送: political-birthday run over the district, ${days} day(s) (R-BDAY-01)`, value: (r.stdout || r.stderr).trim() });
  }
}
