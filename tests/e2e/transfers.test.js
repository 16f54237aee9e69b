// Browser flows of 组织关系接转 (issue 14) on both sides: the sending branch secretary
// starts a transfer with the form (member picker, destination searched by name across
// the district), the sending 基层党委 approves and issues the letter, the receiving
// 基层党委 sees it in its incoming queue (the letter only, ID number masked), previews
// it and accepts it; a member applies on the phone and follows the application.
// Screenshots of each page go to tests/e2e/screenshots/transfer-*.png.
//
// The accounts are made here with the command line (tests/e2e/run.mjs passes the
// database in DJ_E2E_DB), each with a one-time password that the first sign-in changes.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { launch, freshPage, settle, screenshotPath, DESKTOP, PHONE } from './lib/browser.js'
import { login, url } from './lib/app.js'
import { runSql as sql, addAccount } from './lib/rundb.js'
import { badChecksumId } from './lib/data.js'

const DB = process.env.DJ_E2E_DB
const skipAll = process.env.DJ_BASE_URL && DB ? false : 'run through tests/e2e/run.mjs (DJ_BASE_URL, DJ_E2E_DB)'

let browser
const acct = {}
const w = {} // the world: organizations and people this file works with

function account(username, role, org, member) {
  return addAccount(username, { name: `接转${role}`, role, org, member })
}

before(async () => {
  if (skipAll) return
  // two community committees with branches that hold members and nobody in transit
  const free = "AND EXISTS (SELECT 1 FROM members m WHERE m.org_id = b.id AND m.state = 'normal' AND NOT EXISTS (SELECT 1 FROM transfers t WHERE t.member_id = m.id))"
  const coms = sql(`SELECT c.id FROM orgs c WHERE c.type = '党委' AND (SELECT COUNT(*) FROM orgs b WHERE b.parent_id = c.id AND b.type = '党支部' ${free}) >= 1 ORDER BY c.id LIMIT 2`).split('\n').map(Number)
  assert.equal(coms.length, 2, 'two community committees in the demo district')
  w.fromCom = coms[0]
  w.toCom = coms[1]
  w.fromBranch = Number(sql(`SELECT b.id FROM orgs b WHERE b.parent_id = ${w.fromCom} AND b.type = '党支部' ${free} ORDER BY b.id LIMIT 1`))
  w.toBranch = Number(sql(`SELECT b.id FROM orgs b WHERE b.parent_id = ${w.toCom} AND b.type = '党支部' ORDER BY b.id LIMIT 1`))
  w.toBranchName = sql(`SELECT name FROM orgs WHERE id = ${w.toBranch}`)
  const people = sql(`SELECT id || '|' || name FROM members m WHERE org_id = ${w.fromBranch} AND state = 'normal' AND NOT EXISTS (SELECT 1 FROM transfers t WHERE t.member_id = m.id) ORDER BY id LIMIT 2`).split('\n').map((l) => l.split('|'))
  w.member = { id: Number(people[0][0]), name: people[0][1] }
  w.applicant = { id: Number(people[1][0]), name: people[1][1] }
  const tag = process.pid
  acct.sender = account(`trf_sec_${tag}`, 'branch_secretary', w.fromBranch)
  acct.senderCom = account(`trf_scom_${tag}`, 'committee_admin', w.fromCom)
  acct.receiver = account(`trf_rcom_${tag}`, 'committee_admin', w.toCom)
  acct.member = account(`trf_mem_${tag}`, 'member', w.fromBranch, w.applicant.id)
  browser = await launch()
})
after(async () => {
  if (browser) await browser.close()
})

async function shot(page, name) {
  await settle(page)
  await page.screenshot({ path: screenshotPath(name), fullPage: false })
}

function noProblems(problems, label) {
  assert.deepEqual(problems.csp, [], `${label}: CSP violations`)
  assert.deepEqual(problems.pageErrors, [], `${label}: uncaught page errors`)
}

// type into an Element Plus remote select and pick the first option containing text
async function remotePick(page, testid, query, text) {
  await page.locator(`[data-testid=${testid}]`).click()
  await page.keyboard.type(query)
  const opt = page.locator('.el-select-dropdown__item:visible').filter({ hasText: text }).first()
  await opt.waitFor({ timeout: 15000 })
  await opt.click()
}

async function openRow(page, name) {
  await page.locator('[data-testid=transfers-table] .el-table__row').filter({ hasText: name }).first().locator('.name-link').click()
  await page.locator('[data-testid=letter-preview]').waitFor()
  await settle(page)
}

async function stepAndWait(page, s, stateText) {
  await page.locator(`[data-testid=step-${s}]`).click()
  await page.locator('[data-testid=transfer-timeline]').filter({ hasText: stateText }).waitFor({ timeout: 15000 })
}

test('transfers: the sending side starts a transfer with the form and the letter preview', { skip: skipAll }, async () => {
  const { page, problems } = await freshPage(browser.context, { viewport: DESKTOP })
  await login(page, acct.sender)
  await page.goto(url('/transfers'))
  await page.locator('[data-testid=transfers-table]').waitFor()
  await shot(page, 'transfer-outgoing-queue')
  await page.locator('[data-testid=transfer-create]').click()
  await page.locator('[data-testid=transfer-form]').waitFor()
  await remotePick(page, 'pick-member', w.member.name, w.member.name)
  await remotePick(page, 'pick-dest', w.toBranchName.slice(0, 4), w.toBranchName)
  await page.locator('[data-testid=transfer-reason]').fill('工作单位变动，迁往新居住地')
  await shot(page, 'transfer-form')
  await page.locator('[data-testid=transfer-save]').click()
  await page.locator('[data-testid=letter-preview]').waitFor()
  const letter = await page.locator('[data-testid=letter-preview]').innerText()
  assert.ok(letter.includes(w.member.name) && letter.includes(w.toBranchName), letter)
  assert.match(letter, /\*{8}/) // the ID number masked for a branch secretary
  await stepAndWait(page, 'submit', '已提交')
  await shot(page, 'transfer-sender-letter')
  noProblems(problems, 'sender')
})

test('transfers: the sending 基层党委 approves and issues the letter; the member shows 转出（在途）', { skip: skipAll }, async () => {
  const { page, problems } = await freshPage(browser.context, { viewport: DESKTOP })
  await login(page, acct.senderCom)
  await page.goto(url('/transfers'))
  await page.locator('[data-testid=transfers-table]').waitFor()
  await openRow(page, w.member.name)
  await stepAndWait(page, 'approve', '已审批')
  await stepAndWait(page, 'send', '已开具')
  assert.match(await page.locator('[data-testid=letter-preview]').innerText(), /\d{4}-\d+-\d{4}/) // the serial
  await shot(page, 'transfer-sender-timeline')
  assert.equal(sql(`SELECT state FROM members WHERE id = ${w.member.id}`), 'transfer_out')
  noProblems(problems, 'sender committee')
})

test('transfers: the receiving 基层党委 sees the letter in its incoming queue and accepts it', { skip: skipAll }, async () => {
  const { page, problems } = await freshPage(browser.context, { viewport: DESKTOP })
  await login(page, acct.receiver)
  await page.goto(url('/transfers'))
  await page.locator('[data-testid=transfers-table]').waitFor()
  await page.locator('[data-testid=tab-incoming]').click()
  await page.locator('[data-testid=transfers-table] .el-table__row').filter({ hasText: w.member.name }).first().waitFor()
  assert.match(await page.locator('[data-testid=tab-incoming]').innerText(), /转入\s*[1-9]/)
  await shot(page, 'transfer-incoming-queue')
  await openRow(page, w.member.name)
  assert.match(await page.locator('[data-testid=letter-preview]').innerText(), /\*{8}/)
  await shot(page, 'transfer-receiver-letter')
  await stepAndWait(page, 'accept', '已接收')
  await shot(page, 'transfer-receiver-accepted')
  assert.equal(sql(`SELECT org_id || '|' || state FROM members WHERE id = ${w.member.id}`), `${w.toBranch}|normal`)
  noProblems(problems, 'receiver')
})

test('transfers: a member applies on the phone and follows it', { skip: skipAll }, async () => {
  const { page, problems } = await freshPage(browser.context, { viewport: PHONE })
  await login(page, acct.member)
  await page.goto(url('/m/me'))
  await page.locator('[data-testid=me-transfers]').click()
  await page.waitForURL(/\/m\/transfers/)
  await remotePick(page, 'me-pick-dest', w.toBranchName.slice(0, 4), w.toBranchName)
  await page.locator('[data-testid=me-reason]').fill('搬家到新社区')
  await page.locator('[data-testid=me-apply]').click()
  await page.locator('[data-testid=my-transfer]').first().waitFor()
  assert.match(await page.locator('[data-testid=my-transfer]').first().innerText(), /草稿/)
  await shot(page, 'transfer-me-390x844')
  noProblems(problems, 'member')
})

test('transfers: registering a paper letter from elsewhere shows the server\'s field errors and stores nothing', { skip: skipAll }, async () => {
  const { page, problems } = await freshPage(browser.context, { viewport: DESKTOP })
  await login(page, acct.receiver)
  await page.goto(url('/transfers'))
  await page.locator('[data-testid=transfers-table]').waitFor()
  await page.locator('[data-testid=transfer-register]').click()
  const dlg = page.locator('[data-testid=register-form]')
  await dlg.waitFor()
  const field = (label) => dlg.locator('.el-form-item').filter({ has: page.locator(`.el-form-item__label:text-is("${label}")`) }).first()
  await field('原所在党组织').locator('input').fill('中共杭州市西湖区某街道工作委员会')
  await field('姓名').locator('input').fill('e2e转入')
  await field('身份证号码').locator('input').fill(badChecksumId())
  await field('入党时间').locator('input').fill('2010-07-01')
  await field('入党时间').locator('input').press('Enter')
  await field('转正时间').locator('input').fill('2011-07-01')
  await field('转正时间').locator('input').press('Enter')
  await dlg.locator('.el-dialog__header').click({ position: { x: 5, y: 5 } })
  await shot(page, 'transfer-register-form')
  await page.locator('[data-testid=register-save]').click()
  // the ID number's checksum and the missing destination, next to their fields
  await field('身份证号码').locator('.el-form-item__error').waitFor({ timeout: 15000 })
  await shot(page, 'transfer-register-refused')
  assert.equal(sql("SELECT COUNT(*) FROM transfers WHERE name = 'e2e转入'"), '0')
  noProblems(problems, 'register')
})
