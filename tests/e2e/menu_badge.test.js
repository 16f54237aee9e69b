// The side menu's count badges (the transfers' to-do count, issue 14): the badge stands
// on its label's line, right of the label, inside the menu item, on the desktop's side
// menu. Screenshot: tests/e2e/screenshots/menu-badge.png.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { launch, freshPage, settle, screenshotPath, DESKTOP } from './lib/browser.js'
import { accounts, login, url } from './lib/app.js'

const skip = process.env.DJ_BASE_URL ? false : 'run through tests/e2e/run.mjs (DJ_BASE_URL)'
let browser

before(async () => { if (!skip) browser = await launch() })
after(async () => { if (browser) await browser.close() })

test('the transfers badge stands on its label\'s line in the side menu', { skip }, async () => {
  const { page, problems } = await freshPage(browser.context, { viewport: DESKTOP })
  await login(page, accounts.admin)
  await page.goto(url('/transfers'))
  await settle(page)
  const badge = page.locator('[data-testid=menu-badge-transfers]')
  await badge.waitFor({ timeout: 15000 })
  const box = await page.evaluate(() => {
    const b = document.querySelector('[data-testid=menu-badge-transfers]')
    const item = b.closest('.side-item')
    const sup = b.querySelector('.el-badge__content')
    const label = item.querySelector('[data-testid=menu-label]') || item
    const r = (e) => { const x = e.getBoundingClientRect(); return { top: x.top, bottom: x.bottom, left: x.left, right: x.right } }
    return { item: r(item), badge: r(sup), label: r(label) }
  })
  await page.locator('.sidebar').screenshot({ path: screenshotPath('menu-badge') })
  // inside the item's box, vertically centred on it (± 4 px), right of the label's text
  assert.ok(box.badge.top >= box.item.top && box.badge.bottom <= box.item.bottom, JSON.stringify(box))
  const mid = (x) => (x.top + x.bottom) / 2
  assert.ok(Math.abs(mid(box.badge) - mid(box.item)) <= 4, JSON.stringify(box))
  assert.ok(box.badge.left >= box.label.right - 1, JSON.stringify(box))
  assert.deepEqual(problems.pageErrors, [])
})
