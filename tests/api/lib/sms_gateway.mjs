// tests/api/lib/sms_gateway.mjs: a local fake of the two SMS providers' SendSms APIs
// on 127.0.0.1, for the messages tests (issue 16). It checks each request's signature
// with an implementation of the providers' documented steps written here, with
// node:crypto, sharing no code with the product's (src/jobs/channel_sms.c):
//   Alibaba Cloud RPC signature: the parameters other than Signature sorted by name,
//   each name and value percent-encoded per RFC 3986, joined k=v&…; StringToSign =
//   METHOD & %2F & percent(canonical); Base64(HMAC-SHA1(secret + "&", StringToSign)).
//   Tencent Cloud TC3-HMAC-SHA256: CanonicalRequest = POST \n / \n \n canonical headers
//   (content-type, host, x-tc-action) \n signed headers \n hex(SHA256(payload));
//   StringToSign = TC3-HMAC-SHA256 \n timestamp \n date/sms/tc3_request \n
//   hex(SHA256(CanonicalRequest)); key chain HMAC("TC3" + key, date) → "sms" →
//   "tc3_request"; signature hex(HMAC(that, StringToSign)).
// It answers as the mode says: ok, limit (rate limit), badtpl (template refused),
// badnum, 500, hold (no answer until released: a timeout, or a send a kill -9 cuts).
import http from 'node:http';
import { createHmac, createHash } from 'node:crypto';

export function pct(s) {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

export function aliyunSignature(method, secret, params) {
  const canon = Object.keys(params).filter((k) => k !== 'Signature').sort()
    .map((k) => `${pct(k)}=${pct(params[k])}`).join('&');
  const sts = `${method}&${pct('/')}&${pct(canon)}`;
  return createHmac('sha1', `${secret}&`).update(sts).digest('base64');
}

export function tc3Signature({ secretKey, host, action, payload, timestamp, contentType }) {
  const date = new Date(timestamp * 1000).toISOString().slice(0, 10);
  const sha = (s) => createHash('sha256').update(s).digest('hex');
  const creq = `POST\n/\n\ncontent-type:${contentType}\nhost:${host}\nx-tc-action:${action.toLowerCase()}\n\n` +
    `content-type;host;x-tc-action\n${sha(payload)}`;
  const sts = `TC3-HMAC-SHA256\n${timestamp}\n${date}/sms/tc3_request\n${sha(creq)}`;
  const h = (k, m) => createHmac('sha256', k).update(m).digest();
  const k = h(h(h(`TC3${secretKey}`, date), 'sms'), 'tc3_request');
  return createHmac('sha256', k).update(sts).digest('hex');
}

export async function startGateway({ aliyunSecret, tencentSecret }) {
  const gw = { mode: 'ok', requests: [], held: [] };
  let serial = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      const answer = (status, obj) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(obj)); };
      const mode = gw.mode;
      if (req.url.startsWith('/aliyun')) {
        const params = Object.fromEntries(new URLSearchParams(body));
        const sigOk = params.Signature === aliyunSignature('POST', aliyunSecret, params);
        const rec = { provider: 'aliyun', sigOk, phone: params.PhoneNumbers, key: params.OutId, template: params.TemplateCode,
          param: params.TemplateParam ? JSON.parse(params.TemplateParam) : null, sign: params.SignName };
        gw.requests.push(rec);
        const rid = `rid-${++serial}`;
        if (!sigOk) return answer(400, { RequestId: rid, Code: 'SignatureDoesNotMatch', Message: 'Specified signature is not matched with our calculation.' });
        if (mode === 'hold') { gw.held.push(res); return; }
        if (mode === '500') return answer(500, { RequestId: rid, Code: 'InternalError', Message: 'The request processing has failed due to some unknown error.' });
        if (mode === 'limit') return answer(200, { RequestId: rid, Code: 'isv.BUSINESS_LIMIT_CONTROL', Message: '触发分钟级流控Permits:1' });
        if (mode === 'badtpl') return answer(200, { RequestId: rid, Code: 'isv.SMS_TEMPLATE_ILLEGAL', Message: '模板不合法(不存在或被拉黑)' });
        if (mode === 'badnum') return answer(200, { RequestId: rid, Code: 'isv.MOBILE_NUMBER_ILLEGAL', Message: '非法手机号' });
        return answer(200, { RequestId: rid, Code: 'OK', Message: 'OK', BizId: `9006197469364984${serial}^0` });
      }
      if (req.url.startsWith('/tencent')) {
        const auth = req.headers.authorization || '';
        const m = auth.match(/^TC3-HMAC-SHA256 Credential=([^/]+)\/(\d{4}-\d{2}-\d{2})\/sms\/tc3_request, SignedHeaders=content-type;host;x-tc-action, Signature=([0-9a-f]{64})$/);
        const ts = Number(req.headers['x-tc-timestamp']);
        const sigOk = !!m && m[3] === tc3Signature({ secretKey: tencentSecret, host: req.headers.host, action: req.headers['x-tc-action'] || '',
          payload: body, timestamp: ts, contentType: req.headers['content-type'] }) && m[2] === new Date(ts * 1000).toISOString().slice(0, 10);
        let p = {};
        try { p = JSON.parse(body); } catch { /* recorded as is */ }
        gw.requests.push({ provider: 'tencent', sigOk, phone: (p.PhoneNumberSet || [])[0], key: p.SessionContext, template: p.TemplateId,
          param: p.TemplateParamSet, sign: p.SignName, secretId: m && m[1] });
        const rid = `a0aabda6-${++serial}`;
        if (!sigOk) return answer(200, { Response: { Error: { Code: 'AuthFailure.SignatureFailure', Message: 'The provided credentials could not be validated.' }, RequestId: rid } });
        if (mode === 'hold') { gw.held.push(res); return; }
        if (mode === '500') return answer(500, { Response: { Error: { Code: 'InternalError', Message: 'internal error' }, RequestId: rid } });
        if (mode === 'badtpl') return answer(200, { Response: { Error: { Code: 'FailedOperation.TemplateIncorrectOrUnapproved', Message: '模板未审批或内容不匹配' }, RequestId: rid } });
        const code = mode === 'limit' ? 'LimitExceeded.PhoneNumberThirtySecondLimit' : mode === 'badnum' ? 'InvalidParameterValue.IncorrectPhoneNumber' : 'Ok';
        return answer(200, { Response: { SendStatusSet: [{ SerialNo: `5000:10457106691570536578${serial}`, PhoneNumber: (p.PhoneNumberSet || [])[0],
          Fee: 1, SessionContext: p.SessionContext, Code: code, Message: code === 'Ok' ? 'send success' : code, IsoCode: 'CN' }], RequestId: rid } });
      }
      answer(404, {});
    });
  });
  await new Promise((res) => server.listen(0, '127.0.0.1', res));
  gw.port = server.address().port;
  gw.url = (p) => `http://127.0.0.1:${gw.port}/${p}/`;
  gw.release = () => { for (const r of gw.held.splice(0)) { try { r.destroy(); } catch { /* gone */ } } };
  gw.close = () => { gw.release(); server.closeAllConnections(); return new Promise((res) => server.close(res)); };
  return gw;
}
