// 首页's work lists (issue 19 #2) in Debian's chromium: the district's staff and a
// branch secretary each see the lists the server counted for their permissions (the
// page draws what GET /dashboard says), and a list's link opens its page.
// Screenshots: dashboard-work-district.png, dashboard-work-secretary.png,
// dashboard-work-links.png, dashboard-work-link-meetings.png.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { launch, freshPage, settle, screenshotPath, DESKTOP } from './lib/browser.js'
import { accounts, login } from './lib/app.js'

const READY = process.env.DJ_BASE_URL && accounts.admin
const skipAll = READY ? false : 'set DJ_BASE_URL and DJ_ADMIN_USER/DJ_ADMIN_PASSWORD to run the browser tests'
let browser
before(async () => { if (!skipAll) browser = await launch() })
after(async () => { if (browser) await browser.close() })

async function signIn(page, a) {
  try {
    await login(page, a)
  } catch (e) {
    if (a.changedPassword || !/login failed/.test(e.message)) throw e
    a.changedPassword = true
    await login(page, a)
  }
}

async function workList(account, shot) {
  const { page, problems } = await freshPage(browser.context, { viewport: DESKTOP })
  await signIn(page, account)
  await page.waitForURL((u) => u.pathname === '/dashboard')
  await page.locator('.kpi').first().waitFor()
  const api = await page.evaluate(async () => (await (await fetch('/api/v1/dashboard')).json()))
  const rows = page.locator('ul.work li')
  if (api.worklist.length) await rows.first().waitFor()
  assert.equal(await rows.count(), api.worklist.length)
  for (const [i, w] of api.worklist.entries()) {
    const text = await rows.nth(i).innerText()
    assert.ok(text.includes(w.label) && text.includes(w.count.toLocaleString('zh-CN')), `${w.kind}: ${text}`)
  }
  await settle(page)
  await page.waitForTimeout(500)
  await page.screenshot({ path: screenshotPath(shot), fullPage: false })
  assert.deepEqual(problems.csp, [], 'CSP violations')
  assert.deepEqual(problems.pageErrors, [], 'uncaught page errors')
  assert.deepEqual(problems.console, [], 'console errors')
  return { page, api }
}

test('首页 work lists: the district’s staff see what waits for approval and review; a link opens its page', { skip: skipAll }, async () => {
  const { page, api } = await workList(accounts.admin, 'dashboard-work-district')
  const kinds = api.worklist.map((w) => w.kind)
  assert.ok(kinds.some((k) => ['transfer_approve', 'meeting_review', 'base_approve', 'service_open'].includes(k)), `approvals among ${kinds}`)
  const first = api.worklist.find((w) => !w.link.startsWith('/m/'))
  await page.locator('ul.work li', { hasText: first.label }).getByRole('link').click()
  const want = new URL(first.link, 'http://x')
  await page.waitForURL((u) => u.pathname === want.pathname && u.searchParams.get('org_id') === want.searchParams.get('org_id'))
})

// each link carries the filter its page reads from the URL (api/dashboard.c link_of):
// the page opens with that filter applied
test('首页 work lists: a link opens its page pre-filtered', { skip: skipAll }, async () => {
  const { page, api } = await workList(accounts.admin, 'dashboard-work-links')
  const open = async (w) => {
    await page.goto(new URL(w.link, process.env.DJ_BASE_URL).href)
    await page.waitForURL((u) => u.pathname === new URL(w.link, 'http://x').pathname)
  }
  const byKind = Object.fromEntries(api.worklist.map((w) => [w.kind, w]))
  let checked = 0
  if (byKind.service_overdue) {
    await open(byKind.service_overdue)
    await page.locator('.el-checkbox.is-checked').first().waitFor()
    checked++
  }
  if (byKind.meeting_review) {
    await open(byKind.meeting_review)
    await page.locator('.el-tabs__item.is-active', { hasText: '审核调阅' }).waitFor()
    checked++
  }
  for (const k of ['term', 'committee']) {
    if (!byKind[k]) continue
    await open(byKind[k])
    await page.getByTestId('org-subtree-alerts').locator('.alert-link').first().waitFor()
    checked++
    break
  }
  if (byKind.dev_overdue || byKind.dev_due) {
    await open(byKind.dev_overdue || byKind.dev_due)
    await page.locator('.el-tabs__item.is-active', { hasText: '工作提醒' }).waitFor()
    checked++
  }
  // a returned record, as a secretary would follow it: the status tag on the list
  await page.goto(new URL(`/meetings?tab=list&status=returned&org_id=${process.env.DJ_PARENT_ORG_ID}`, process.env.DJ_BASE_URL).href)
  await page.getByTestId('mtg-status-filter').waitFor()
  await settle(page)
  await page.screenshot({ path: screenshotPath('dashboard-work-link-meetings'), fullPage: false })
  assert.ok(checked >= 2, `pre-filtered pages checked: ${checked} of ${Object.keys(byKind)}`)
})

test('首页 work lists: a branch secretary sees their branch’s lists only', { skip: skipAll || (!accounts.secretary && 'set DJ_SECRETARY_*') }, async () => {
  const { api } = await workList(accounts.secretary, 'dashboard-work-secretary')
  for (const w of api.worklist) assert.ok(!['transfer_approve', 'meeting_review', 'base_approve', 'service_open'].includes(w.kind), w.kind)
})
