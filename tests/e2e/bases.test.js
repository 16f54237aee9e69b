// Browser flows of the bases (issue 17): the directory with its calendar of free places,
// the booking form that shows conflicts at once, the base's approval queue, an
// organization's bookings with its calendar feed, the member's phone page of the
// branch's coming visits, and the statistics section. Screenshots: bases-*.png.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { launch, freshPage, settle, axeViolations, screenshotPath, DESKTOP, PHONE } from './lib/browser.js'
import { accounts, login, url } from './lib/app.js'

const READY = process.env.DJ_BASE_URL && accounts.admin && accounts.secretary
const skipAll = READY ? false : 'set DJ_BASE_URL and the admin and secretary accounts to run the browser tests'
let browser
const a11y = []

before(async () => { if (!skipAll) browser = await launch() })
after(async () => { if (browser) await browser.close() })

// app.test.js may have changed the one-time passwords already (another process)
async function signIn(page, a) {
  try {
    await login(page, a)
  } catch (e) {
    if (a.changedPassword || !/login failed/.test(e.message)) throw e
    a.changedPassword = true
    await login(page, a)
  }
}

async function capture(page, problems, name) {
  await settle(page)
  await page.screenshot({ path: screenshotPath(name), fullPage: false })
  a11y.push({ page: name, violations: await axeViolations(page) })
  assert.deepEqual(problems.csp, [], `${name}: CSP violations`)
  assert.deepEqual(problems.pageErrors, [], `${name}: uncaught page errors`)
  assert.deepEqual(problems.console, [], `${name}: console errors`)
}

test('bases: directory, month calendar of free places, booking form with conflicts at once', { skip: skipAll }, async () => {
  const { page, problems } = await freshPage(browser.context, { viewport: DESKTOP })
  await signIn(page, accounts.secretary)
  await page.goto(url('/bases'))
  const cards = page.locator('[data-testid=base-card]')
  await cards.first().waitFor()
  assert.ok((await cards.count()) >= 12, 'the demo district has a dozen bases')
  await page.locator('[data-testid=base-info]').waitFor()
  await capture(page, problems, 'bases-directory')
  // next month: every open day lies within the booking window
  await page.getByRole('button', { name: '下月' }).click()
  await settle(page)
  const day = page.locator('[data-testid=cal-day]:not([disabled])').first()
  await day.click()
  await page.locator('[data-testid=slot-row]').first().waitFor()
  await capture(page, problems, 'bases-calendar')
  await page.locator('[data-testid=book-btn]').first().click()
  const dlg = page.locator('[data-testid=booking-dialog]')
  await dlg.locator('[data-testid=conflicts] .c-row').first().waitFor()
  // too many people for the branch: the conflict shows before submitting
  const count = dlg.getByRole('spinbutton', { name: '人数' })
  await count.fill('100000')
  await count.press('Tab')
  await dlg.locator('[data-testid=conflicts] .bad-t').first().waitFor()
  assert.match(await dlg.locator('[data-testid=conflicts]').innerText(), /党员人数|容量|余位/)
  await capture(page, problems, 'bases-booking-form')
  await count.fill('2')
  await count.press('Tab')
  await dlg.locator('[data-testid=conflicts] .ok-t').first().waitFor()
  await dlg.getByRole('textbox', { name: '带队负责人' }).fill('测试书记')
  await page.locator('[data-testid=booking-submit]').click()
  await page.locator('.el-message--success').waitFor()
  await settle(page)
})

test('bases: the base\'s approval queue approves the request', { skip: skipAll }, async () => {
  const { page, problems } = await freshPage(browser.context, { viewport: DESKTOP })
  await signIn(page, accounts.admin)
  await page.goto(url('/base-queue'))
  await page.locator('[data-testid=booking-table]').waitFor()
  await settle(page)
  await capture(page, problems, 'bases-approval-queue')
  const approve = page.locator('[data-testid=act-approve]').first()
  if (await approve.count()) {
    const rows = await page.locator('[data-testid=booking-table] .el-table__body tr').count()
    await approve.click()
    await page.locator('.el-message--success').waitFor()
    await settle(page)
    assert.ok((await page.locator('[data-testid=booking-table] .el-table__body tr').count()) <= rows)
  }
})

test('bases: an organization\'s bookings and its calendar feed', { skip: skipAll }, async () => {
  const { page, problems } = await freshPage(browser.context, { viewport: DESKTOP })
  await signIn(page, accounts.secretary)
  await page.goto(url('/base-bookings'))
  await page.locator('[data-testid=booking-status]').first().waitFor()
  assert.ok(await page.getByText('测试书记').count() > 0, 'the booking made above is listed')
  await page.locator('[data-testid=feed-new]').click()
  await page.locator('[data-testid=feed-url]').waitFor()
  const feed = (await page.locator('[data-testid=feed-url] .mono').innerText()).trim()
  assert.match(feed, /\/api\/v1\/ical\/[A-Za-z0-9_-]{43}\.ics$/)
  const ics = await page.evaluate(async (u) => (await fetch(u)).text(), feed)
  assert.match(ics, /^BEGIN:VCALENDAR/)
  assert.match(ics, /TZID:Asia\/Shanghai/)
  await capture(page, problems, 'bases-org-bookings')
})

test('bases: on the phone a member sees the branch\'s coming visits', { skip: skipAll || (!accounts.member && 'set DJ_MEMBER_USER') }, async () => {
  const { page, problems } = await freshPage(browser.context, { viewport: PHONE })
  await signIn(page, accounts.member)
  await page.goto(url('/m/visits'))
  await page.locator('[data-testid=visit]').first().waitFor()
  assert.match(await page.locator('[data-testid=visit]').first().innerText(), /\d{4}-\d\d-\d\d/)
  await capture(page, problems, 'bases-phone-visits-390x844')
})

test('bases: the statistics page has the bases section', { skip: skipAll }, async () => {
  const { page, problems } = await freshPage(browser.context, { viewport: DESKTOP })
  await signIn(page, accounts.admin)
  await page.goto(url('/stats'))
  const sec = page.locator('[data-testid=bases-stats]')
  await sec.locator('.kpi-num').first().waitFor()
  await sec.scrollIntoViewIfNeeded()
  await page.waitForTimeout(800) // chart animation
  assert.match(await sec.innerText(), /受理预约/)
  await capture(page, problems, 'bases-stats')
})

test('bases: the pages have no serious accessibility violations', { skip: skipAll }, () => {
  const bad = a11y.filter((x) => x.violations.length)
  assert.deepEqual(bad, [], JSON.stringify(bad, null, 1))
})
