// health.test.mjs: the operations routes (/healthz, /readyz, /metrics).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, api } from './lib/server.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv.stop(); });

test('healthz answers ok', async () => {
  const r = await api(srv, 'GET', '/healthz');
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { status: 'ok' });
});

test('readyz reports the schema version the database answers with', async () => {
  const r = await api(srv, 'GET', '/readyz');
  assert.equal(r.status, 200);
  assert.equal(r.body.status, 'ok');
  assert.ok(r.body.schema >= 1);
});

test('metrics count requests by route template and status', async () => {
  await api(srv, 'GET', '/healthz');
  const r = await api(srv, 'GET', '/metrics');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/plain/);
  assert.match(r.text, /dj_http_requests_total\{method="GET",route="\/healthz",status="200"\} [1-9]/);
  assert.match(r.text, /dj_http_request_duration_seconds_bucket\{le="\+Inf"\} [1-9]/);
  assert.match(r.text, /dj_http_requests_in_flight \d+/);
  assert.match(r.text, /dj_db_busy_total \d+/);
});
