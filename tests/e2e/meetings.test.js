// 三会一课 in Debian's chromium (issue 15): a branch secretary records a meeting with
// the record form (attendance one tap per member, a photo from the camera input) and
// submits it; the level above opens it from the reviewer's queue (a 调阅, counted) and
// approves it; the compliance heat-map; a member's study hours on 我的. Screenshots:
// meeting-form, meeting-queue, meeting-heatmap, me-study. Environment as app.test.js
// (tests/e2e/run.mjs); accounts whose one-time password another file already changed
// sign in with the changed one.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { launch, freshPage, settle, axeViolations, screenshotPath, DESKTOP, PHONE } from './lib/browser.js'
import { accounts, login, url, apiGet } from './lib/app.js'

const READY = process.env.DJ_BASE_URL && accounts.admin && accounts.secretary && process.env.DJ_SECRETARY_ORG_ID
const skipAll = READY ? false : 'set DJ_BASE_URL, DJ_ADMIN_*, DJ_SECRETARY_* and DJ_SECRETARY_ORG_ID (tests/e2e/run.mjs)'
const PHOTO = join(new URL('.', import.meta.url).pathname, '..', 'api', 'data', 'photo.jpg')

let browser
let meetingId = null
before(async () => {
  if (!skipAll) browser = await launch()
})
after(async () => {
  if (browser) await browser.close()
})

/** Signs in, whether or not another test file already changed the one-time password. */
async function signIn(page, a) {
  try {
    await login(page, a)
  } catch (e) {
    if (a.changedPassword) throw e
    a.changedPassword = true
    await login(page, a)
  }
}

async function capture(page, problems, name) {
  await settle(page)
  await page.screenshot({ path: screenshotPath(name), fullPage: false })
  const v = await axeViolations(page)
  const serious = v.filter((x) => x.impact === 'critical')
  assert.deepEqual(serious.map((x) => x.id), [], `${name}: critical accessibility violations`)
  assert.deepEqual(problems.csp, [], `${name}: CSP violations`)
  assert.deepEqual(problems.pageErrors, [], `${name}: page errors`)
}

test('the record form: attendance one tap per member, a photo from the camera, then submitted', { skip: skipAll }, async () => {
  const { page, problems } = await freshPage(browser.context, { viewport: DESKTOP })
  await signIn(page, accounts.secretary)
  await page.goto(url('/meetings'))
  await page.locator('[data-testid=mtg-create]').click()
  const dlg = page.locator('.el-dialog.mtg-form')
  await dlg.waitFor()
  await page.locator('[data-testid^=att-]').first().waitFor()
  const chips = page.locator('[data-testid^=att-]')
  const n = await chips.count()
  assert.ok(n >= 2, `roster of ${n}`)
  await page.locator('input[data-testid=mtg-topic], [data-testid=mtg-topic] input').first().fill('学习贯彻全会精神（浏览器测试）')
  await page.locator('textarea[data-testid=mtg-content], [data-testid=mtg-content] textarea').first().fill('集中学习，交流发言。')
  // one tap: present → leave; the reason field appears
  await chips.nth(1).click()
  assert.match(await chips.nth(1).innerText(), /请假/)
  await page.getByPlaceholder('请假原因').first().fill('出差')
  // two taps: → absent
  await chips.nth(2).click()
  await chips.nth(2).click()
  assert.match(await chips.nth(2).innerText(), /缺席/)
  await page.locator('[data-testid=mtg-save]').click()
  const input = page.locator('[data-testid=mtg-photo]')
  await input.waitFor({ state: 'attached' })
  assert.equal(await input.getAttribute('capture'), 'environment')
  await input.setInputFiles(PHOTO)
  await dlg.locator('.photos img').first().waitFor()
  await capture(page, problems, 'meeting-form')
  const list = await apiGet(page, `/meetings?org_id=${process.env.DJ_SECRETARY_ORG_ID}&status=draft`)
  const rec = list.body.items.find((m) => m.topic === '学习贯彻全会精神（浏览器测试）')
  assert.ok(rec, 'the draft is listed')
  assert.equal(rec.attendance.leave, 1)
  assert.equal(rec.attendance.absent, 1)
  meetingId = rec.id
  await dlg.locator('.el-dialog__footer').getByRole('button', { name: '关闭' }).click()
  // open it from the list and submit
  await page.locator('[data-testid=mtg-list] .el-table__row', { hasText: '学习贯彻全会精神（浏览器测试）' }).click()
  await page.locator('[data-testid=mtg-submit]').click()
  await page.locator('[data-testid=mtg-drawer] .el-tag', { hasText: '待审核' }).waitFor()
})

test('the reviewer\'s queue: counts, a 调阅 counted, approval', { skip: skipAll }, async () => {
  assert.ok(meetingId, 'a submitted record from the previous test')
  const { page, problems } = await freshPage(browser.context, { viewport: DESKTOP })
  await signIn(page, accounts.admin)
  await page.goto(url('/meetings'))
  await page.getByRole('tab', { name: '审核调阅' }).click()
  await page.locator('[data-testid=mtg-queue]').waitFor()
  await page.locator(`[data-testid=open-${meetingId}]`).waitFor()
  const before = Number(await page.locator('[data-testid=queue-views] .kpi-num').innerText())
  await capture(page, problems, 'meeting-queue')
  await page.locator(`[data-testid=open-${meetingId}]`).click()
  await page.locator('[data-testid=mtg-view-count]', { hasText: '1 次' }).waitFor()
  await page.locator('[data-testid=mtg-approve]').click()
  await page.locator('[data-testid=mtg-drawer] .el-tag', { hasText: '已通过' }).waitFor()
  const r = await apiGet(page, `/meetings/${meetingId}/views`)
  assert.ok(r.body.total >= 1)
  assert.ok(before >= 0)
})

test('the compliance heat-map: branches × months, gaps marked, the rate', { skip: skipAll }, async () => {
  const { page, problems } = await freshPage(browser.context, { viewport: DESKTOP })
  await signIn(page, accounts.admin)
  await page.goto(url('/meetings'))
  await page.getByRole('tab', { name: '合规热力图' }).click()
  await page.locator('[data-testid=heatmap] tbody tr').first().waitFor()
  assert.ok(await page.locator('[data-testid=heatmap] tbody tr').count() >= 2)
  assert.ok(await page.locator('[data-testid=heatmap] td.ok').count() >= 1, 'kept months shown')
  assert.match(await page.locator('[data-testid=heat-rate]').innerText(), /%/)
  await capture(page, problems, 'meeting-heatmap')
})

test('我的: a member\'s study hours on the phone', { skip: skipAll || (!accounts.member && 'set DJ_MEMBER_*') }, async () => {
  const { page, problems } = await freshPage(browser.context, { viewport: PHONE })
  await signIn(page, accounts.member)
  await page.goto(url('/m/me'))
  await page.locator('[data-testid=my-study]').waitFor()
  assert.match(await page.locator('[data-testid=my-study]').innerText(), /学时/)
  await page.locator('[data-testid=my-study]').scrollIntoViewIfNeeded()
  await capture(page, problems, 'me-study')
})
