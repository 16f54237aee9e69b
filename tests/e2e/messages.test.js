// 消息推送 (issue 16) in Debian's chromium: the outbox monitor (per-day counts per
// channel, the messages with their states, the scheduled slots), a notice sent from the
// page, the bell on the desk pages, and on the phone the member's inbox and opt-out
// switches on 我的. Screenshots: outbox, outbox-schedule, bell, inbox-phone, me-prefs.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { launch, freshPage, settle, screenshotPath, DESKTOP, PHONE } from './lib/browser.js'
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

const NOTICE = `党员大会通知 ${process.pid}`

test('消息推送: the monitor shows the days and the messages; a notice sent from the page reaches the outbox', { skip: skipAll }, async () => {
  const { page, problems } = await freshPage(browser.context, { viewport: DESKTOP })
  await login(page, accounts.admin)
  await page.goto(url('/outbox'))
  await page.locator('[data-testid=outbox-table] .el-table__row').first().waitFor()
  // the demo's political birthdays are there, by channel
  assert.match(await page.locator('[data-testid=outbox-table]').innerText(), /政治生日/)
  assert.match(await page.locator('[data-testid=daily]').innerText(), /站内/)
  // a notice to the whole district, in-app
  await page.getByRole('tab', { name: '发布通知' }).click()
  await page.locator('[data-testid=notice-title]').fill(NOTICE)
  await page.locator('[data-testid=notice-text]').fill('请各支部党员于周五下午参加党员大会。')
  await page.locator('[data-testid=notice-send]').click()
  await page.getByText(/已排队 \d+ 条/).waitFor()
  const api = await page.evaluate(async () => (await (await fetch('/api/v1/outbox?kind=notice&limit=5')).json()))
  assert.ok(api.items.some((i) => i.title.startsWith('党员大会通知')), JSON.stringify(api).slice(0, 300))
  await page.getByRole('tab', { name: '发送监控' }).click()
  await settle(page)
  await page.screenshot({ path: screenshotPath('outbox'), fullPage: true })
  await page.getByRole('tab', { name: '定时任务' }).click()
  await page.locator('[data-testid=schedule] .el-table__row', { hasText: '政治生日' }).waitFor()
  await settle(page)
  await page.screenshot({ path: screenshotPath('outbox-schedule'), fullPage: false })
  clean(problems, 'outbox')
})

test('消息中心 on the phone: the member reads the notice; opt-out switches on 我的; the bell on the desk', { skip: skipAll || (!accounts.member && 'set DJ_MEMBER_*') }, async () => {
  const { page, problems } = await freshPage(browser.context, { viewport: PHONE })
  await login(page, accounts.member)
  await page.goto(url('/m/me'))
  await page.locator('[data-testid=pref-birthday]').waitFor()
  // opting out of birthday greetings is saved on the server
  await page.locator('[data-testid=pref-birthday]').click()
  await page.getByText('已保存').first().waitFor()
  const prefs = await page.evaluate(async () => (await (await fetch('/api/v1/me/message-prefs')).json()))
  assert.equal(prefs.opt_out.birthday, true)
  await settle(page)
  await page.screenshot({ path: screenshotPath('me-prefs'), fullPage: true })
  await page.locator('[data-testid=inbox-link]').click()
  await page.locator('[data-testid=inbox-item]').first().waitFor()
  assert.match(await page.locator('.inbox').innerText(), new RegExp(NOTICE))
  const before = await page.evaluate(async () => (await (await fetch('/api/v1/inbox?limit=0')).json()).unread)
  await page.locator('[data-testid=inbox-item]', { hasText: NOTICE }).click()
  await page.waitForFunction(async (n) => (await (await fetch('/api/v1/inbox?limit=0')).json()).unread === n - 1, before)
  await settle(page)
  await page.screenshot({ path: screenshotPath('inbox-phone'), fullPage: true })
  clean(problems, 'inbox (phone)')

  // the desk: a branch secretary's bell lists the messages addressed to the account
  const desk = await freshPage(browser.context, { viewport: DESKTOP })
  await login(desk.page, accounts.admin)
  await desk.page.locator('[data-testid=bell]').click()
  await desk.page.locator('.el-popover').getByText('消息中心').waitFor()
  await settle(desk.page)
  await desk.page.screenshot({ path: screenshotPath('bell'), fullPage: false })
  clean(desk.problems, 'bell')
})

test('学习专题: the editor writes an issue (script removed by the server), a reviewer publishes it, the member reads it on the phone', { skip: skipAll || ((!accounts.reviewer || !accounts.member) && 'set DJ_REVIEWER_* and DJ_MEMBER_*') }, async () => {
  const title = `第${process.pid % 100}期 学习专题`
  const { page, problems } = await freshPage(browser.context, { viewport: DESKTOP })
  await login(page, accounts.admin)
  await page.goto(url('/study'))
  await page.locator('[data-testid=study-new-title]').fill(title)
  await page.locator('[data-testid=study-create]').click()
  await page.locator('.el-drawer').getByText(title).first().waitFor()
  await page.locator('[data-testid=item-title]').fill('原文学习')
  await page.locator('[data-testid=item-body]').fill('<p>高举<strong>伟大旗帜</strong></p><script>alert(1)</script><p onclick="x()">团结奋斗</p>')
  await page.locator('[data-testid=item-add]').click()
  await page.locator('[data-testid=study-items] .el-table__row').first().waitFor()
  await page.locator('.preview strong').waitFor()
  assert.doesNotMatch(await page.locator('.preview').innerHTML(), /script|onclick/)
  await settle(page)
  await page.screenshot({ path: screenshotPath('study-editor'), fullPage: false })
  await page.locator('[data-testid=study-submit]').click()
  await page.locator('.el-drawer').getByText('待审核').first().waitFor()
  clean(problems, 'study editor')

  const rv = await freshPage(browser.context, { viewport: DESKTOP })
  await login(rv.page, accounts.reviewer)
  await rv.page.goto(url('/study'))
  await rv.page.locator('[data-testid=study-table] .el-table__row', { hasText: title }).click()
  await rv.page.locator('[data-testid=study-publish]').click()
  await rv.page.getByText(/已推送 \d+ 人/).first().waitFor()
  clean(rv.problems, 'study review')

  const ph = await freshPage(browser.context, { viewport: PHONE })
  await login(ph.page, accounts.member)
  await ph.page.goto(url('/m/study'))
  const issue = ph.page.locator('[data-testid=study-issue]', { hasText: title })
  await issue.waitFor()
  await issue.getByText('原文学习').click()
  await issue.locator('.rich strong').waitFor()
  await issue.locator('[data-testid=study-finish]').click()
  await issue.getByText('已读完').waitFor()
  await settle(ph.page)
  await ph.page.screenshot({ path: screenshotPath('study-phone'), fullPage: true })
  clean(ph.problems, 'study (phone)')
})
