// bench/capabilities/development.mjs: 发展党员 at the scale (issue 13):
//  - the pipeline board of a 基层党委 with 2,000 applicants (target p99 ≤ 10 ms at c=64);
//  - the district's development statistics for a year over 50,000 records (≤ 50 ms).
// The records are written with `dangjian dev-demo` (model/demo_dev.c: histories through
// the same commit path as the API, batches of 500 per transaction) on the running
// server's database; the demo district already holds some (DEMO_STEP development).
export default async function development({ base, env, get, scenario, dj, log, results, QUICK, discovered }) {
  const BOARD_N = QUICK ? 200 : 2000;
  const DISTRICT_N = QUICK ? 2000 : 50000;
  const year = new Date().getFullYear();

  // a 基层党委 under the district: the community of the roster's scenarios, or the
  // first 党委 below the root that has branches
  let committee = discovered.community;
  if (!committee || committee.type !== '党委') {
    const r = await get('/api/v1/orgs?type=' + encodeURIComponent('党委') + '&limit=50');
    committee = (r.body.items || []).find((o) => o.parent_id) || committee;
  }
  const count = async (orgId) => {
    const r = await get(`/api/v1/development/board?org_id=${orgId}`);
    if (r.status !== 200) throw new Error(`board: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.total;
  };
  const stats = async () => {
    const r = await get(`/api/v1/stats/development?org_id=1&from=2000-01-01&to=2199-12-31`);
    if (r.status !== 200) throw new Error(`stats: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.developed.total + r.body.pipeline.applicants + r.body.pipeline.activists + r.body.pipeline.candidates + r.body.pipeline.probationary;
  };

  let t0 = Date.now();
  const have = await count(committee.id);
  if (have < BOARD_N) dj(['dev-demo', '--org', String(committee.id), '--applicants', String(BOARD_N - have), '--seed', '13']);
  const district = await stats();
  if (district < DISTRICT_N) dj(['dev-demo', '--org', '1', '--applicants', String(DISTRICT_N - district), '--seed', '17']);
  const filled = (Date.now() - t0) / 1000;
  const boardN = await count(committee.id);
  log(`发展党员: ${boardN} active applicants under ${committee.name}; district records ≈ ${await stats()} (filled in ${filled.toFixed(1)} s)`);
  results.once.push({ name: '发展党员: records written with dev-demo for the scenarios', value: `${filled.toFixed(1)} s (board ${boardN} active under “${committee.name}”; district ≥ ${DISTRICT_N.toLocaleString('en')})` });

  await scenario(`发展党员: pipeline board, a 基层党委 with ${boardN.toLocaleString('en')} applicants`, `${base}/api/v1/development/board?org_id=${committee.id}`, { env });
  await scenario('发展党员: work list of the same 基层党委', `${base}/api/v1/development/warnings?org_id=${committee.id}`, { env });
  await scenario(`发展党员: district statistics for ${year}, ${DISTRICT_N.toLocaleString('en')} records`, `${base}/api/v1/stats/development?org_id=1&from=${year}-01-01&to=${year}-12-31`, { env });
  // the time of one statistics request (the ≤ 50 ms target) without 64 connections queueing
  await scenario(`发展党员: district statistics for ${year}, 1 connection`, `${base}/api/v1/stats/development?org_id=1&from=${year}-01-01&to=${year}-12-31`, { env, threads: 1, conns: 1 });
}
