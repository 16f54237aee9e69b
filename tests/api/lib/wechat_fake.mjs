// tests/api/lib/wechat_fake.mjs: a local fake of the WeChat Official Account API on
// 127.0.0.1 for the wechat tests (issue 16): the documented endpoints and answers of
//   GET  /cgi-bin/token?grant_type=client_credential&appid&secret → {access_token, expires_in}
//        (errcode 40013 invalid appid, 40125 invalid appsecret)
//   POST /cgi-bin/message/template/send?access_token → {errcode: 0, errmsg: "ok", msgid}
//        (40001 invalid credential for a token never issued, 42001 for one expired)
//   GET  /sns/oauth2/access_token?appid&secret&code&grant_type=authorization_code →
//        {access_token, expires_in, refresh_token, openid, scope: "snsapi_base"}
//        (40029 invalid code; 40163 code been used)
//   POST /cgi-bin/menu/create?access_token → {errcode: 0, errmsg: "ok"} (menus recorded in
//        fake.menus; scripted answers in fake.menuNext)
//   GET  /connect/oauth2/authorize?appid&redirect_uri&response_type=code&scope=snsapi_base&state
//        → 302 to redirect_uri?code&state (the user agreeing; the code names fake.visitor)
// Tokens it issued stay valid until expireTokens(); send answers may be scripted
// (fake.next.push({errcode: 45009}) or {status: 500}) and every request is recorded.
import http from 'node:http';

export async function startWechat({ appid, secret }) {
  const fake = { visitor: 'oVISITOR', tokens: new Set(), expired: new Set(), fetches: 0, sends: [], next: [], menus: [], menuNext: [], codes: new Map(), used: new Set(), oauth: [] };
  let serial = 0, msgid = 2000000000;
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      const answer = (obj, status = 200) => { res.writeHead(status, { 'content-type': 'application/json; encoding=utf-8' }); res.end(JSON.stringify(obj)); };
      const u = new URL(req.url, 'http://x');
      const q = Object.fromEntries(u.searchParams);
      if (req.method === 'GET' && u.pathname === '/cgi-bin/token') {
        fake.fetches++;
        if (q.grant_type !== 'client_credential') return answer({ errcode: 40002, errmsg: 'invalid grant_type' });
        if (q.appid !== appid) return answer({ errcode: 40013, errmsg: 'invalid appid' });
        if (q.secret !== secret) return answer({ errcode: 40125, errmsg: 'invalid appsecret' });
        const t = `ACCESS_TOKEN_${++serial}_${'x'.repeat(100)}`;
        fake.tokens.add(t);
        return answer({ access_token: t, expires_in: 7200 });
      }
      if (req.method === 'POST' && u.pathname === '/cgi-bin/message/template/send') {
        let p = null;
        try { p = JSON.parse(body); } catch { /* recorded as null */ }
        const rec = { token: q.access_token, body: p, contentType: req.headers['content-type'] };
        fake.sends.push(rec);
        if (fake.expired.has(q.access_token)) return answer({ errcode: 42001, errmsg: 'access_token expired' });
        if (!fake.tokens.has(q.access_token)) return answer({ errcode: 40001, errmsg: 'invalid credential, access_token is invalid or not latest' });
        const scripted = fake.next.shift();
        if (scripted && scripted.status) return answer({ errcode: -1, errmsg: 'system error' }, scripted.status);
        if (scripted) return answer({ errmsg: 'scripted', ...scripted });
        if (!p || !p.touser || !p.template_id || typeof p.data !== 'object') return answer({ errcode: 47001, errmsg: 'data format error' });
        return answer({ errcode: 0, errmsg: 'ok', msgid: ++msgid });
      }
      if (req.method === 'GET' && u.pathname === '/sns/oauth2/access_token') {
        fake.oauth.push(q);
        if (q.appid !== appid || q.secret !== secret) return answer({ errcode: 40125, errmsg: 'invalid appsecret' });
        if (q.grant_type !== 'authorization_code') return answer({ errcode: 40002, errmsg: 'invalid grant_type' });
        if (fake.used.has(q.code)) return answer({ errcode: 40163, errmsg: 'code been used' });
        const openid = fake.codes.get(q.code);
        if (!openid) return answer({ errcode: 40029, errmsg: 'invalid code' });
        fake.used.add(q.code);
        return answer({ access_token: `WEB_${serial}`, expires_in: 7200, refresh_token: 'R', openid, scope: 'snsapi_base' });
      }
      if (req.method === 'POST' && u.pathname === '/cgi-bin/menu/create') {
        if (!fake.tokens.has(q.access_token)) return answer({ errcode: 40001, errmsg: 'invalid credential' });
        let p = null;
        try { p = JSON.parse(body); } catch { /* recorded as null */ }
        fake.menus.push(p);
        const scripted = fake.menuNext.shift();
        if (scripted) return answer({ errmsg: 'scripted', ...scripted });
        const bad = !p || !Array.isArray(p.button) || p.button.length < 1 || p.button.length > 3 ||
          p.button.some((b) => Buffer.byteLength(b.name) > 16 || !Array.isArray(b.sub_button) || b.sub_button.length > 5 ||
            b.sub_button.some((x) => x.type !== 'view' || Buffer.byteLength(x.name) > 60 || !/^https?:\/\//.test(x.url)));
        if (bad) return answer({ errcode: 40016, errmsg: 'invalid button size' });
        return answer({ errcode: 0, errmsg: 'ok' });
      }
      if (req.method === 'GET' && u.pathname === '/connect/oauth2/authorize') {
        if (q.appid !== appid || q.scope !== 'snsapi_base' || q.response_type !== 'code' || !q.redirect_uri) {
          res.writeHead(400, { 'content-type': 'text/plain' });
          return res.end('bad authorize request');
        }
        const to = new URL(q.redirect_uri);
        to.searchParams.set('code', fake.code(fake.visitor));
        to.searchParams.set('state', q.state || '');
        res.writeHead(302, { location: to.toString() });
        return res.end();
      }
      answer({ errcode: 404, errmsg: 'not found' }, 404);
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  fake.base = `http://127.0.0.1:${server.address().port}`;
  // what WeChat does when the user authorizes: a code that names their openid
  fake.code = (openid) => { const c = `CODE_${++serial}_${Math.random().toString(36).slice(2)}`; fake.codes.set(c, openid); return c; };
  fake.expireTokens = () => { for (const t of fake.tokens) fake.expired.add(t); fake.tokens.clear(); };
  fake.close = () => { server.closeAllConnections(); return new Promise((r) => server.close(r)); };
  return fake;
}
