// services.test.js: the community service pages (issue 18) in chromium: a resident
// files a request on the phone page (no account) and follows it by link + code, the
// community's queue with SLA colours and dispatch, the assignee's task list (办结), the
// resident's rating, the service catalogue, the map of open requests (a plain list: the
// tests have no network, so no tiles), and the statistics section. Screenshots into
// tests/e2e/screenshots/services-*.png.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { dirname, join } from 'node:path'
import { launch, freshPage, settle, screenshotPath, DESKTOP, PHONE } from './lib/browser.js'
import { login, url } from './lib/app.js'
import { cli, ROOT } from '../api/lib/server.mjs'

const READY = process.env.DJ_BASE_URL && process.env.DJ_E2E_DB
const skip = READY ? false : 'set DJ_BASE_URL and DJ_E2E_DB (tests/e2e/run.mjs) to run the browser tests'
let browser
let staff
const filed = {}

before(async () => {
  if (skip) return
  browser = await launch()
  // an account of this file's own (another file may have changed the shared ones' passwords)
  const dir = dirname(process.env.DJ_E2E_DB)
  const root = process.env.DJ_PARENT_ORG_ID || 1
  const r = cli(dir, ['user', 'add', '--username', `e2e_svc${process.pid}`, '--name', '服务测试管理员', '--role', 'district_admin', '--org', String(root)])
  const m = r.stdout.match(/one-time password: (\S+)/)
  if (!m) throw new Error(`user add: ${r.stderr}`)
  staff = { username: `e2e_svc${process.pid}`, password: m[1] }
})
after(async () => { if (browser) await browser.close() })

async function shot(page, name) {
  await settle(page)
  await page.screenshot({ path: screenshotPath(name), fullPage: true })
}

function clean(problems, label) {
  assert.deepEqual(problems.csp, [], `${label}: CSP violations`)
  assert.deepEqual(problems.pageErrors, [], `${label}: uncaught page errors`)
  assert.deepEqual(problems.console, [], `${label}: console errors`)
}

test('services: a resident files a request on the phone page and gets the follow link and code', { skip }, async () => {
  const { page, problems } = await freshPage(browser.context, { viewport: PHONE })
  await page.goto(url('/s'))
  await settle(page)
  await page.locator('[data-test=service] .el-select__wrapper').click()
  await page.locator('.el-select-dropdown__item:visible').filter({ hasText: '楼道灯维修' }).first().click()
  await page.locator('[data-test=description]').fill('<b>三号楼</b>楼道灯不亮，晚上看不清台阶。')
  await page.locator('[data-test=grid] .el-select__wrapper').click()
  await page.locator('.el-select-dropdown__item:visible').filter({ hasText: '网格' }).first().click()
  await page.locator('[data-test=mobile]').fill('13712345678')
  await page.locator('[data-test=photo]').setInputFiles(join(ROOT, 'tests/api/data/photo.png'))
  await shot(page, 'services-resident-form')
  await page.locator('[data-test=submit]').click()
  await page.locator('[data-test=done]').waitFor()
  const text = await page.locator('[data-test=done]').innerText()
  filed.id = text.match(/编号：\s*(\d+)/)[1]
  filed.code = text.match(/查询码：\s*(\S+)/)[1]
  await shot(page, 'services-resident-filed')
  await page.getByRole('link', { name: '查看进度' }).click()
  await page.locator('[data-test=follow]').waitFor()
  assert.match(await page.locator('[data-test=follow]').innerText(), /受理/)
  assert.match(await page.locator('[data-test=follow]').innerText(), /居民上传了照片/)
  // the description is shown as text, not HTML
  assert.match(await page.locator('[data-test=follow]').innerText(), /<b>三号楼<\/b>/)
  clean(problems, 'resident page')
})

test('services: the community queue with SLA colours; dispatch to the grid', { skip }, async () => {
  const { page, problems } = await freshPage(browser.context, { viewport: DESKTOP })
  await page.goto(url('/login'))
  await login(page, staff)
  await page.goto(url('/services'))
  await settle(page)
  const rows = page.locator('[data-test=queue] .el-table__row')
  assert.ok((await rows.count()) > 0)
  assert.ok((await page.locator('[data-sla]').count()) > 0)
  await shot(page, 'services-queue')
  await rows.filter({ hasText: '三号楼' }).first().click()
  await page.locator('[data-test=dispatch]').waitFor()
  await page.locator('[data-test=do-dispatch]').click()
  await settle(page)
  assert.match(await page.locator('.el-drawer').innerText(), /派单/)
  await shot(page, 'services-dispatch')
  clean(problems, 'queue')
})

test('services: staff record a walk-in request in the queue', { skip }, async () => {
  const { page, problems } = await freshPage(browser.context, { viewport: DESKTOP })
  await page.goto(url('/login'))
  await login(page, staff)
  await page.goto(url('/services'))
  await settle(page)
  await page.locator('[data-test=record]').click()
  const dlg = page.locator('.el-dialog').filter({ hasText: '登记诉求' })
  await dlg.waitFor()
  await dlg.locator('.el-form-item').filter({ hasText: '服务事项' }).locator('.el-select__wrapper').click()
  await page.locator('.el-select-dropdown__item:visible').filter({ hasText: '独居老人帮扶' }).first().click()
  await dlg.locator('textarea').fill('来访：独居老人需要助餐服务')
  await dlg.locator('.el-form-item').filter({ hasText: '网格' }).locator('.el-select__wrapper').click()
  await page.locator('.el-select-dropdown__item:visible').filter({ hasText: '网格' }).first().click()
  await shot(page, 'services-record')
  await dlg.getByRole('button', { name: '保存' }).click()
  await page.locator('.el-drawer').filter({ hasText: '独居老人需要助餐服务' }).waitFor()
  assert.match(await page.locator('.el-drawer').innerText(), /来访登记/)
  clean(problems, 'record')
})

test('services: the catalogue, the map as a list without tiles, the statistics section', { skip }, async () => {
  const { page, problems } = await freshPage(browser.context, { viewport: DESKTOP })
  await page.goto(url('/login'))
  await login(page, staff)
  await page.goto(url('/services/catalog'))
  await settle(page)
  assert.ok((await page.locator('[data-test=catalog] .el-table__row').count()) >= 10)
  await shot(page, 'services-catalog')
  await page.goto(url('/services/map'))
  await page.locator('[data-test=map-list]').waitFor()
  await settle(page)
  assert.ok((await page.locator('[data-test=map-list] .el-table__row').count()) > 0)
  await shot(page, 'services-map')
  await page.goto(url('/stats'))
  await page.locator('[data-test=svc-stats] .kpi').first().waitFor()
  await settle(page)
  assert.match(await page.locator('[data-test=svc-stats]').innerText(), /群众满意率/)
  await page.locator('[data-test=svc-stats]').screenshot({ path: screenshotPath('services-stats') })
  clean(problems, 'catalogue, map, stats')
})

test('services: the assignee completes the task on the phone; the resident rates it', { skip }, async () => {
  const { page, problems } = await freshPage(browser.context, { viewport: PHONE })
  await page.goto(url('/login'))
  await login(page, staff)
  await page.goto(url('/m/tasks'))
  await settle(page)
  const task = page.locator('[data-test=task]').filter({ hasText: `#${filed.id}` })
  await task.waitFor()
  await shot(page, 'services-tasks')
  await task.locator('input:not([type=file])').fill('已更换灯泡')
  await task.locator('input[type=file]').setInputFiles(join(ROOT, 'tests/api/data/photo.png'))
  await task.getByRole('button', { name: '办结' }).click()
  await settle(page)
  assert.equal(await page.locator('[data-test=task]').filter({ hasText: `#${filed.id}` }).count(), 0)
  const done = await page.request.get(url(`/api/v1/services/requests/${filed.id}`))
  assert.ok((await done.json()).done_file_id, 'the done photo is on the request')
  clean(problems, 'tasks')
  const r = await freshPage(browser.context, { viewport: PHONE })
  await r.page.goto(url(`/s/follow/${filed.id}?code=${encodeURIComponent(filed.code)}`))
  await r.page.locator('[data-test=rate]').waitFor()
  await r.page.getByText('满意', { exact: true }).click()
  await r.page.getByRole('button', { name: '提交' }).click()
  await r.page.getByText('感谢您的评价').waitFor()
  await shot(r.page, 'services-rated')
  clean(r.problems, 'rating')
})
