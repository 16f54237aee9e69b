// 首页's work lists (issue 19 #2) in Debian's chromium: the district's staff and a
// branch secretary each see the lists the server counted for their permissions (the
// page draws what GET /dashboard says), and a list's link opens its page.
// Screenshots: dashboard-work-district.png, dashboard-work-secretary.png.
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
  const first = api.worklist.find((w) => !w.link.startsWith('/m/') && !w.link.includes('?'))
  await page.locator('ul.work li', { hasText: first.label }).getByRole('link').click()
  await page.waitForURL((u) => u.pathname === first.link)
})

test('首页 work lists: a branch secretary sees their branch’s lists only', { skip: skipAll || (!accounts.secretary && 'set DJ_SECRETARY_*') }, async () => {
  const { api } = await workList(accounts.secretary, 'dashboard-work-secretary')
  for (const w of api.worklist) assert.ok(!['transfer_approve', 'meeting_review', 'base_approve', 'service_open'].includes(w.kind), w.kind)
})
