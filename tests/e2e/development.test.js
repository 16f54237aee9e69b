// Browser flows of 发展党员 (issue 13) in Debian's chromium: the pipeline board with
// overdue badges, the work list, a person's timeline with what is due next, a step
// refused with the rule shown (R-DEV-07), the quota page, the calendar page, the
// statistics section, and a 预备党员's own progress on the phone. The accounts are this
// file's own (made with the CLI on the run's database), so the flows do not depend on
// what app.test.js did to the shared accounts.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { launch, freshPage, settle, screenshotPath, DESKTOP, PHONE } from './lib/browser.js'
import { login, url, formItem, fillDate } from './lib/app.js'
import { runSql as sql, addAccount } from './lib/rundb.js'

const DB = process.env.DJ_E2E_DB
const skipAll = process.env.DJ_BASE_URL && DB && process.env.DJ_PARENT_ORG_ID ? false : 'run through tests/e2e/run.mjs (DJ_E2E_DB, DJ_PARENT_ORG_ID)'
let browser
const acct = {}


before(async () => {
  if (skipAll) return
  browser = await launch()
  acct.admin = addAccount('dev_e2e_admin', { name: '发展测试', role: 'district_admin', org: process.env.DJ_PARENT_ORG_ID })
  // a 预备党员 made by the demo's step 15, with an account of the member role
  const mine = sql("SELECT member_id FROM dev_applicants WHERE member_id IS NOT NULL AND status = 'active' ORDER BY id LIMIT 1")
  if (mine) acct.member = addAccount('dev_e2e_member', { name: '发展测试', role: 'member', org: sql(`SELECT org_id FROM members WHERE id = ${Number(mine)}`), member: mine })
})
after(async () => {
  if (browser) await browser.close()
})

async function shot(page, name) {
  await settle(page)
  await page.screenshot({ path: screenshotPath(name), fullPage: false })
}

function clean(problems, label) {
  assert.deepEqual(problems.pageErrors, [], `${label}: uncaught page errors`)
  assert.deepEqual(problems.csp, [], `${label}: CSP violations`)
}

test('发展党员 board: stages with counts and overdue badges, the work list, quotas', { skip: skipAll }, async () => {
  const { page, problems } = await freshPage(browser.context, { viewport: DESKTOP })
  await login(page, acct.admin)
  await page.goto(url('/development'))
  const board = page.locator('[data-testid=dev-board]')
  await board.locator('.stage').first().waitFor()
  const active = Number(sql("SELECT COUNT(*) FROM dev_applicants WHERE status = 'active'"))
  const nums = await board.locator('.s-num').allInnerTexts()
  assert.equal(nums.map(Number).reduce((a, b) => a + b, 0), active)
  const overdue = Number(sql(`SELECT COUNT(*) FROM dev_applicants WHERE status = 'active' AND due_on < date('now', '+8 hours')`))
  assert.ok(overdue > 0, 'the demo has overdue applicants')
  assert.ok(await page.locator('[data-testid=dev-overdue-badge]').count() > 0)
  await shot(page, 'development-board')
  await page.getByRole('tab', { name: '工作提醒' }).click()
  await page.locator('[data-testid=dev-warnings] .el-table__row').first().waitFor()
  assert.ok(await page.locator('[data-testid=dev-warnings] .el-tag--danger').count() > 0)
  await shot(page, 'development-warnings')
  await page.getByRole('tab', { name: '发展指标' }).click()
  await page.locator('[data-testid=dev-quotas] .el-table__row').first().waitFor()
  await shot(page, 'development-quotas')
  clean(problems, 'board')
})

test('发展党员 person: the timeline with what is due next; a date before the last step is refused naming R-DEV-07', { skip: skipAll }, async () => {
  const { page, problems } = await freshPage(browser.context, { viewport: DESKTOP })
  await login(page, acct.admin)
  // a 积极分子 whose next step is the branch's own (培养联系人 … 考察)
  const row = sql("SELECT id || '|' || name || '|' || last_on FROM dev_applicants WHERE status = 'active' AND last_step IN (2, 3, 5) ORDER BY id LIMIT 1").split('|')
  assert.equal(row.length, 3, 'the demo has an applicant at step 2, 3 or 5')
  await page.goto(url('/development'))
  await page.getByRole('tab', { name: '人员名单' }).click()
  const people = page.locator('[data-testid=dev-people]')
  await people.locator('.el-table__row').first().waitFor()
  // page through until the person is listed (ids ascending)
  for (let i = 0; i < 40 && !(await people.locator('.el-table__row', { hasText: row[1] }).count()); i++) {
    await page.getByRole('button', { name: '下一页' }).click()
    await settle(page)
  }
  await people.locator('.el-table__row', { hasText: row[1] }).first().click()
  const drawer = page.locator('[data-testid=dev-person]')
  await drawer.locator('[data-testid=dev-timeline]').waitFor()
  assert.ok(await drawer.locator('.el-timeline-item').count() >= 2)
  await shot(page, 'development-person')
  // one day before the last recorded step
  const d = new Date(`${row[2]}T00:00:00Z`)
  d.setUTCDate(d.getUTCDate() - 1)
  const before = d.toISOString().slice(0, 10)
  const form = drawer.locator('[data-testid=dev-step-form]')
  await fillDate(formItem(form, '办理日期'), before)
  // close the picker's panel by clicking the drawer's title (Escape would close the drawer)
  await page.locator('.el-drawer__header').first().click({ position: { x: 5, y: 5 } })
  await drawer.locator('[data-testid=dev-step-save]').click()
  const refusal = drawer.locator('[data-testid=dev-refusal]')
  await refusal.waitFor()
  assert.match(await refusal.innerText(), /R-DEV-07/)
  await shot(page, 'development-refused')
  clean(problems, 'person')
})

test('calendar page: 2026 with 春节 and the make-up days; a 公示 end computed', { skip: skipAll }, async () => {
  const { page, problems } = await freshPage(browser.context, { viewport: DESKTOP })
  await login(page, acct.admin)
  await page.goto(url('/calendar'))
  await page.locator('[data-testid=calendar-table] .el-table__row').first().waitFor({ timeout: 30000 })
  // the year shown is the server's current one; 2026 in the seed
  if (new Date().getFullYear() !== 2026) return
  assert.match(await page.locator('[data-testid=calendar-known]').innerText(), /已录入/)
  assert.equal(await page.locator('[data-testid=calendar-table] .el-table__row').count(), 39)
  await shot(page, 'calendar')
  clean(problems, 'calendar')
})

test('statistics page: the 发展党员 section', { skip: skipAll }, async () => {
  const { page, problems } = await freshPage(browser.context, { viewport: DESKTOP })
  await login(page, acct.admin)
  await page.goto(url('/stats'))
  const s = page.locator('[data-testid=dev-stats]')
  await s.locator('.kpi').first().waitFor()
  await s.scrollIntoViewIfNeeded()
  await shot(page, 'development-stats')
  clean(problems, 'stats')
})

test('我的 on the phone: a 预备党员 sees the own way to 转正', { skip: skipAll }, async (t) => {
  if (!acct.member) return t.skip('the demo made no 预备党员 through step 15')
  const { page, problems } = await freshPage(browser.context, { viewport: PHONE })
  await login(page, acct.member)
  await page.goto(url('/m/development'))
  await page.locator('[data-testid=my-dev-stage]').waitFor()
  assert.ok((await page.locator('.el-step').count()) >= 15)
  await shot(page, 'development-mine-phone')
  clean(problems, 'mine')
})
