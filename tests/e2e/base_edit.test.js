// 修改活动基地 (issue 17) in Debian's chromium: the base's manager opens the edit form
// from the directory, a wrong phone number is refused beside its field with nothing
// saved, then a new capacity, contact and weekday hours are saved and shown (on the
// last base of the directory: bases.test.js books the first).
// Screenshots: bases-edit.png, bases-edit-error.png.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { launch, freshPage, settle, screenshotPath, DESKTOP } from './lib/browser.js'
import { accounts, login, url } from './lib/app.js'

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

test('bases: the manager edits a base; a bad field is refused beside it and nothing is saved', { skip: skipAll }, async () => {
  const { page, problems } = await freshPage(browser.context, { viewport: DESKTOP })
  await signIn(page, accounts.admin)
  await page.goto(url('/bases'))
  await page.locator('[data-testid=base-card]').first().waitFor()
  await page.locator('[data-testid=base-info]').waitFor()
  const id = await page.evaluate(async () => (await (await fetch('/api/v1/bases')).json()).items.filter((b) => b.can_manage).pop().id)
  const before = await page.evaluate(async (i) => (await (await fetch(`/api/v1/bases/${i}`)).json()), id)
  await page.locator('[data-testid=base-card]', { hasText: before.name }).first().click()
  await page.locator('[data-testid=base-info]', { hasText: before.name }).waitFor()
  await page.locator('[data-testid=base-edit]').click()
  const dlg = page.locator('[data-testid=base-edit-dialog]')
  await dlg.locator('[data-testid=be-name]').waitFor()
  assert.equal(await dlg.locator('[data-testid=be-name]').inputValue(), before.name)
  // a phone with letters: the server's message beside the field, the base unchanged
  await dlg.locator('[data-testid=be-phone]').fill('abc-123')
  await dlg.locator('[data-testid=be-save]').click()
  await dlg.getByText('联系电话只能包含数字和 -').waitFor()
  await settle(page)
  await page.screenshot({ path: screenshotPath('bases-edit-error'), fullPage: false })
  const unchanged = await page.evaluate(async (i) => (await (await fetch(`/api/v1/bases/${i}`)).json()), id)
  assert.equal(unchanged.contact_phone, before.contact_phone)
  assert.equal(unchanged.updated_at, before.updated_at)
  // now a good one, with a new capacity and Sunday open in the afternoon
  await dlg.locator('[data-testid=be-phone]').fill('010-66668888')
  const cap = dlg.getByRole('spinbutton', { name: '每时段容量' })
  await cap.fill(String(before.capacity + 7))
  await cap.press('Tab')
  const sunday = dlg.getByRole('checkbox', { name: '周日开放' })
  if (!(await sunday.isChecked())) await dlg.locator('.hour-row').nth(6).locator('.el-checkbox').click()
  assert.ok(await sunday.isChecked())
  await dlg.getByRole('textbox', { name: '周日开始时间' }).fill('13:30')
  await dlg.getByRole('textbox', { name: '周日结束时间' }).fill('17:00')
  await settle(page)
  await page.screenshot({ path: screenshotPath('bases-edit'), fullPage: false })
  await dlg.locator('[data-testid=be-save]').click()
  await page.getByText('基地信息已保存').waitFor()
  const after = await page.evaluate(async (i) => (await (await fetch(`/api/v1/bases/${i}`)).json()), id)
  assert.equal(after.capacity, before.capacity + 7)
  assert.equal(after.contact_phone, '010-66668888')
  assert.equal(after.hours[6], '13:30-17:00')
  assert.equal(after.name, before.name)
  await page.locator('[data-testid=base-card]', { hasText: `每时段 ${before.capacity + 7} 人` }).first().waitFor()
  assert.match(await page.locator('[data-testid=base-info]').innerText(), /010-66668888/)
  assert.deepEqual(problems.csp, [], 'CSP violations')
  assert.deepEqual(problems.pageErrors, [], 'uncaught page errors')
  assert.deepEqual(problems.console, [], 'console errors')
})
