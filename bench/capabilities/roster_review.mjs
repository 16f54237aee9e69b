// bench/capabilities/roster_review.mjs: issue 20's scale points on the 1M-member
// district: a street's children paged with their true total (#19), an organization
// search with paths and its total (#20), the picker of role assignment (#1), a whole
// ID number searched through the blind index (#2), and the 在册 default view's total
// against the history view's (#7).
export default async function rosterReview({ base, env, get: getRaw, scenario, results, discovered, log }) {
  const get = async (p) => (await getRaw(p)).body;
  const { street, best } = discovered;
  const kids = await get(`/api/v1/orgs?parent_id=${street.id}&limit=100`);
  results.once.push({ name: '名册评审: a street\'s children, true total', value: `${kids.total} (page of ${kids.items.length})` });
  await scenario('名册评审: street children, first page of 100 with total and paths', `${base}/api/v1/orgs?parent_id=${street.id}&limit=100`, { env });
  if (kids.next_cursor) await scenario('名册评审: street children, next page', `${base}/api/v1/orgs?parent_id=${street.id}&limit=100&cursor=${kids.next_cursor}`, { env });
  const q = encodeURIComponent('党支部');
  const found = await get(`/api/v1/orgs?q=${q}&limit=50`);
  results.once.push({ name: '名册评审: organization search 党支部, total', value: String(found.total) });
  await scenario('名册评审: organization search, 50 with paths and total', `${base}/api/v1/orgs?q=${q}&limit=50`, { env });
  const one = await get(`/api/v1/members?org_id=${best.id}&limit=1`);
  const hist = await get(`/api/v1/members?org_id=${best.id}&state=history&limit=1`);
  results.once.push({ name: '名册评审: 10% subtree 在册 / 历史 totals', value: `${one.total} / ${hist.total}` });
  await scenario('名册评审: members 10% subtree, 历史党员 view', `${base}/api/v1/members?org_id=${best.id}&state=history&limit=20`, { env });
  // a whole mobile number through the blind index (a miss costs the same index probe)
  await scenario('名册评审: search a whole mobile number (blind index)', `${base}/api/v1/members?q=13900000000&limit=20`, { env });
  log('roster_review: done');
}
