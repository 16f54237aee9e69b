// 首页 and 年度报告 (issue 19) in Debian's chromium: the landing page of a district
// administrator and of a branch secretary, the figures table with a figure's records,
// the template editor refusing an unknown figure, and the DOCX download.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { launch, freshPage, settle, screenshotPath, DESKTOP } from './lib/browser.js'
import { accounts, login, url } from './lib/app.js'

const READY = process.env.DJ_BASE_URL && accounts.admin
const skipAll = READY ? false : 'set DJ_BASE_URL and DJ_ADMIN_USER/DJ_ADMIN_PASSWORD to run the browser tests'
let browser
before(async () => { if (!skipAll) browser = await launch() })
after(async () => { if (browser) await browser.close() })

function clean(problems, label) {
  assert.deepEqual(problems.csp, [], `${label}: CSP violations`)
  assert.deepEqual(problems.pageErrors, [], `${label}: uncaught page errors`)
  assert.deepEqual(problems.console, [], `${label}: console errors`)
}

test('首页: a district administrator lands on the district’s figures, work list and charts', { skip: skipAll }, async () => {
  const { page, problems } = await freshPage(browser.context, { viewport: DESKTOP })
  await login(page, accounts.admin)
  await page.waitForURL((u) => u.pathname === '/dashboard')
  await page.locator('.kpi').first().waitFor()
  await page.locator('canvas').first().waitFor()
  const tiles = await page.locator('.kpi').count()
  assert.ok(tiles >= 4, 'figure tiles')
  const total = await page.locator('.kpi', { hasText: '党员总数' }).locator('.kpi-num').innerText()
  const api = await page.evaluate(async () => (await (await fetch('/api/v1/dashboard')).json()))
  assert.equal(total.replace(/人$/, ''), api.figures.find((f) => f.key === 'members.total').value.text)
  assert.ok(await page.getByText('全部指标').isVisible())
  await settle(page)
  await page.waitForTimeout(800)
  await page.screenshot({ path: screenshotPath('dashboard'), fullPage: true })
  // drill down a level through the URL the bars navigate to
  const child = api.children[0]
  await page.goto(url(`/dashboard?org_id=${child.id}`))
  await page.getByText('返回上一级').waitFor()
  assert.match(await page.locator('.sub').innerText(), new RegExp(child.name))
  clean(problems, 'dashboard')
})

test('首页: a branch secretary sees their own branch', { skip: skipAll || (!accounts.secretary && 'set DJ_SECRETARY_*') }, async () => {
  const { page, problems } = await freshPage(browser.context, { viewport: DESKTOP })
  await login(page, accounts.secretary)
  await page.waitForURL((u) => u.pathname === '/dashboard')
  await page.locator('.kpi').first().waitFor()
  const api = await page.evaluate(async () => (await (await fetch('/api/v1/dashboard')).json()))
  assert.equal(String(api.org.id), process.env.DJ_SECRETARY_ORG_ID)
  assert.match(await page.locator('.sub').innerText(), new RegExp(api.org.name))
  await settle(page)
  await page.waitForTimeout(600)
  await page.screenshot({ path: screenshotPath('dashboard-secretary'), fullPage: true })
  clean(problems, 'dashboard (secretary)')
})

test('年度报告: figures with their records, the template checked as typed, the DOCX downloaded', { skip: skipAll }, async () => {
  const { page, problems } = await freshPage(browser.context, { viewport: DESKTOP })
  await login(page, accounts.admin)
  await page.goto(url('/report'))
  await page.locator('.figs .el-table__row').first().waitFor()
  await settle(page)
  await page.screenshot({ path: screenshotPath('report'), fullPage: false })
  // the records behind 女党员
  await page.locator('.figs .el-table__row', { hasText: '女党员' }).getByRole('button', { name: '查看' }).click()
  const drawer = page.locator('.el-drawer')
  await drawer.locator('.el-table__row').first().waitFor()
  assert.doesNotMatch(await drawer.innerText(), /\d{17}[\dXx]/, 'no full ID number among the records')
  await page.keyboard.press('Escape')
  // the template: an unknown figure is named with its position before saving
  await page.getByRole('tab', { name: '报告模板' }).click()
  const ta = page.locator('textarea')
  await ta.waitFor()
  await ta.fill('% 测试\n党员{members.total}名，{no.such}项')
  await page.locator('.problems').getByText('未知的指标').waitFor()
  assert.match(await page.locator('.problems').innerText(), /第 2 行第 \d+ 字/)
  assert.ok(await page.getByRole('button', { name: '保存' }).isDisabled())
  await page.screenshot({ path: screenshotPath('report-template'), fullPage: false })
  await page.getByRole('tab', { name: '指标数据' }).click()
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: '生成报告（Word）' }).click()])
  assert.match(dl.suggestedFilename(), /党建工作报告.*\.docx$/)
  clean(problems, 'report')
})
