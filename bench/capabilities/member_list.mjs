// bench/capabilities/member_list.mjs: the member list's sort × filter combinations at the
// district's root (issue 21 #3: a first page in ≤ 50 ms for every one). Each combination's
// first page (with its total) is timed as one request at a time, median of 5 (results.once);
// the two that took seconds before 0111_member_list_keys (入党时间 with 预备党员, with
// 35 岁以下) are also measured under load (wrk). A name search (q) is not kept by the
// page cache (src/api/members.c): each of its five requests is answered afresh, over
// member_name_chars (0157) at this size.
const FILTERS = [
  ['', '在册党员'], ['party_status=probationary', '预备党员'], ['party_status=formal', '正式党员'],
  ['age_band=under_35', '35 岁以下'], ['age_band=35_60', '35–60 岁'], ['age_band=over_60', '60 岁以上'],
  ['sex=2', '女'], ['edu_group=college_plus', '大专以上'], ['ethnicity=minority', '少数民族'], ['two_new=1', '两新'],
  ['state=history', '历史党员'], ['state=all', '全部'], ['joined_from=2015-01-01&joined_to=2016-12-31', '入党 2015–2016'],
  ['q=%E5%BC%A0', '姓名含“张”'], ['q=%E5%BC%A0%E4%BC%9F', '姓名含“张伟”'], ['q=%E9%91%AB', '姓名含“鑫”'],
  ['q=%E5%BC%A0&party_status=probationary', '姓名含“张”, 预备党员'],
  ['party_status=probationary&age_band=under_35&sex=2', '预备 35 岁以下 女'],
];
const SORTS = [['name', '姓名'], ['joined', '入党时间']];

export default async function memberList({ base, env, get, scenario, results, QUICK }) {
  const median = (a) => a.slice().sort((x, y) => x - y)[a.length >> 1];
  let worst = null;
  for (const [sort, sortName] of SORTS) {
    for (const [q, name] of FILTERS) {
      const path = `/api/v1/members?org_id=1&sort=${sort}&limit=20${q ? `&${q}` : ''}`;
      const ms = [];
      for (let i = 0; i < (QUICK ? 2 : 5); i++) {
        const t = process.hrtime.bigint();
        const r = await get(path);
        ms.push(Number(process.hrtime.bigint() - t) / 1e6);
        if (r.status !== 200) throw new Error(`member list ${path}: ${r.status}`);
      }
      const m = median(ms);
      if (!worst || m > worst.ms) worst = { ms: m, what: `${sortName} × ${name}` };
      results.once.push({ name: `名册列表: the district's first page by ${sortName}, ${name} (median of ${ms.length}, one at a time)`, value: `${m.toFixed(1)} ms` });
    }
  }
  results.once.push({ name: '名册列表: the slowest sort × filter first page at the root (target ≤ 50 ms)', value: `${worst.ms.toFixed(1)} ms (${worst.what})` });
  await scenario('名册列表: the district by 入党时间, 预备党员, first page', `${base}/api/v1/members?org_id=1&sort=joined&party_status=probationary&limit=20`, { env });
  await scenario('名册列表: the district by 入党时间, 35 岁以下, first page', `${base}/api/v1/members?org_id=1&sort=joined&age_band=under_35&limit=20`, { env });
}
