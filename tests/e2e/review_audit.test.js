// Issue 20, points 17 and 22 re-audited one by one (branch review): the sub-points that
// had no browser test of their own. Each test is named after its point and what it
// checks; docs/roster-review.md's table lists every sub-point with its test. Screenshots:
// tests/e2e/screenshots/audit-*.png. Its own accounts are made on the run's database
// (DJ_E2E_DB), as roster_review.test.js does.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { launch, freshPage, settle, screenshotPath, DESKTOP } from './lib/browser.js'
import { login, url, formItem, dialog } from './lib/app.js'
import { runSql as sql, addAccount } from './lib/rundb.js'
import { rosterRows, csvText } from '../api/lib/roster.mjs'

const DB = process.env.DJ_E2E_DB
const skipAll = process.env.DJ_BASE_URL && DB ? false : 'set DJ_BASE_URL and DJ_E2E_DB (tests/e2e/run.mjs does)'
let browser
const acct = {}

function account(key, role, org) {
  acct[key] = addAccount(`ra_${key}_${process.pid}`, { name: key === 'admin' ? '组织部管理员' : `复核${key}`, role, org })
}

before(async () => {
  if (skipAll) return
  const root = sql('SELECT id FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1')
  // a branch two levels or more below the top: its parent is outside a secretary's scope
  const branch = sql("SELECT o.id FROM orgs o WHERE o.type = '党支部' AND o.parent_id IS NOT NULL AND EXISTS (SELECT 1 FROM members m WHERE m.org_id = o.id) ORDER BY o.id LIMIT 1")
  account('admin', 'district_admin', root)
  account('secretary', 'branch_secretary', branch)
  acct.branch = Number(branch)
  acct.branchName = sql(`SELECT name FROM orgs WHERE id = ${Number(branch)}`)
  browser = await launch()
})
after(async () => {
  if (browser) await browser.close()
})

const open = () => freshPage(browser.context, { viewport: DESKTOP })
async function shot(page, name) {
  await settle(page)
  await page.screenshot({ path: screenshotPath(`audit-${name}`) })
}
const bodyRows = (page) => page.locator('[data-testid=members-table] .el-table__body-wrapper tbody tr')

test('P17 a failed query leaves no rows of the previous one on screen, and says it failed', { skip: skipAll }, async () => {
  const { page } = await open()
  await login(page, acct.admin)
  await page.goto(url('/members'))
  await page.locator('[data-testid=members-table]').waitFor()
  await settle(page)
  assert.ok(await bodyRows(page).count() > 0, 'the first query shows rows')
  // the next query fails on the server's side
  await page.route(/\/api\/v1\/members(\?|$)/, (route) => route.fulfill({
    status: 500, contentType: 'application/problem+json',
    body: JSON.stringify({ type: 'about:blank', title: '服务器内部错误', status: 500, code: 'internal', detail: '服务器内部错误' })
  }))
  await page.locator('input[name=q]').fill('张')
  await page.getByRole('button', { name: '查询' }).click()
  await page.locator('.el-message--error, .el-message-box, [role=alert]').first().waitFor()
  await settle(page)
  assert.equal(await bodyRows(page).count(), 0, 'no rows of the earlier query stay')
  assert.match(await page.locator('[data-testid=members-total]').innerText(), /共 0 /)
  // nor the old query's page count, and the table says it failed rather than 暂无数据
  assert.match(await page.locator('[data-testid=page-of]').innerText(), /第 1 \/ 1 页/)
  assert.match(await page.locator('[data-testid=members-table] .el-table__empty-text').innerText(), /加载失败/)
  await shot(page, 'p17-failed-query')
})

test('P17 the filters are in the address: a reload or a sent link shows the same view', { skip: skipAll }, async () => {
  const { page } = await open()
  await login(page, acct.admin)
  await page.goto(url('/members'))
  await page.locator('[data-testid=members-table]').waitFor()
  await settle(page)
  await page.locator('.filter-form .el-form-item').filter({ hasText: '党员类别' }).locator('.el-select__wrapper').click()
  await page.locator('.el-select-dropdown__item:visible').filter({ hasText: /^\s*预备党员\s*$/ }).click()
  await page.getByRole('button', { name: '更多条件' }).click()
  await page.locator('.filter-form .el-form-item').filter({ hasText: '性别' }).locator('.el-select__wrapper').click()
  await page.locator('.el-select-dropdown__item:visible').filter({ hasText: /^\s*女\s*$/ }).click()
  await page.locator('.filter-form .el-form-item').filter({ hasText: '入党时间' }).locator('input').first().fill('2000-01-01')
  await page.locator('.filter-form .el-form-item').filter({ hasText: '入党时间' }).locator('input').nth(1).fill('2030-12-31')
  await page.locator('.filter-form .el-form-item').filter({ hasText: '入党时间' }).locator('input').nth(1).press('Enter')
  await page.getByRole('button', { name: '查询' }).click()
  await settle(page)
  const u = new URL(page.url())
  assert.equal(u.searchParams.get('party_status'), 'probationary', page.url())
  assert.equal(u.searchParams.get('sex'), '2', page.url())
  assert.equal(u.searchParams.get('joined_from'), '2000-01-01', page.url())
  assert.equal(u.searchParams.get('joined_to'), '2030-12-31', page.url())
  const total = await page.locator('[data-testid=members-total]').innerText()
  // the link opened afresh: the same filters shown, the same rows counted, the hidden ones unfolded
  const seen = []
  page.on('request', (r) => { if (/\/api\/v1\/members\?/.test(r.url())) seen.push(r.url()) })
  await page.goto(u.toString())
  await page.locator('[data-testid=members-table]').waitFor()
  await settle(page)
  const asked = new URL(seen[seen.length - 1])
  assert.equal(asked.searchParams.get('party_status'), 'probationary')
  assert.equal(asked.searchParams.get('sex'), '2')
  assert.equal(asked.searchParams.get('joined_from'), '2000-01-01')
  assert.equal(await page.locator('[data-testid=members-total]').innerText(), total)
  assert.match(await page.locator('.filter-form .el-form-item').filter({ hasText: '党员类别' }).innerText(), /预备党员/)
  assert.match(await page.locator('.filter-form .el-form-item').filter({ hasText: '性别' }).innerText(), /女/, 'a filter from the address is shown, not hidden under 更多条件')
  await shot(page, 'p17-filters-in-url')
})

test('P17 新增党员: 入党时间 is marked required, and an empty one is refused beside it', { skip: skipAll }, async () => {
  const { page } = await open()
  await login(page, acct.admin)
  await page.goto(url('/members'))
  await page.locator('[data-testid=member-create]').click()
  const dlg = dialog(page, '新增党员')
  await dlg.waitFor()
  const item = formItem(dlg, '入党时间')
  assert.ok(await item.evaluate((e) => e.classList.contains('is-required')), '入党时间 carries the required mark')
  const star = await item.locator('.el-form-item__label').evaluate((e) => getComputedStyle(e, '::before').content)
  assert.match(star, /\*/)
  await dlg.getByRole('button', { name: '保存' }).click()
  await item.locator('.el-form-item__error').waitFor()
  assert.match(await item.locator('.el-form-item__error').innerText(), /入党时间/)
  await shot(page, 'p17-joined-required')
})

test('P17 变更状态: a half-filled change asks before it is dropped', { skip: skipAll }, async () => {
  const { page } = await open()
  await login(page, acct.admin)
  await page.goto(url(`/members?org_id=${acct.branch}`))
  await page.locator('[data-testid=members-table]').waitFor()
  await settle(page)
  await page.locator('[data-testid=members-table] .el-table__body tr').first().getByRole('button', { name: '变更状态' }).click()
  const dlg = page.locator('.el-dialog:visible').filter({ hasText: '党籍状态变更' }).last()
  await dlg.waitFor()
  await settle(page)
  // closed untouched: no question
  await dlg.getByRole('button', { name: '取消' }).click()
  await dlg.waitFor({ state: 'hidden' })
  await page.locator('[data-testid=members-table] .el-table__body tr').first().getByRole('button', { name: '变更状态' }).click()
  await dlg.waitFor()
  await settle(page)
  await dlg.locator('textarea').fill('已迁往外地工作')
  await dlg.locator('.el-dialog__headerbtn').click()
  const box = page.locator('.el-message-box:visible')
  await box.waitFor()
  await shot(page, 'p17-state-discard-ask')
  await box.getByRole('button', { name: '继续编辑' }).click()
  assert.equal(await dlg.locator('textarea').inputValue(), '已迁往外地工作')
  await dlg.getByRole('button', { name: '取消' }).click()
  await page.locator('.el-message-box:visible').getByRole('button', { name: '放弃并关闭' }).click()
  await dlg.waitFor({ state: 'hidden' })
})

test('P17 403: a page the user may not open has a heading and a way back', { skip: skipAll }, async () => {
  const { page } = await open()
  await login(page, acct.secretary)
  await page.goto(url('/members'))
  await page.locator('[data-testid=members-table]').waitFor()
  await page.goto(url('/users'))
  await page.getByRole('heading', { name: '没有访问权限' }).waitFor()
  assert.ok(await page.getByRole('button', { name: '返回' }).isVisible())
  assert.ok(await page.getByRole('link', { name: '返回首页' }).isVisible())
  await shot(page, 'p17-forbidden')
  await page.getByRole('button', { name: '返回' }).click()
  await page.waitForURL(/\/members/)
})

test('P17 a secretary\'s tree asks for nothing outside the scope; pickers show names, never an id', { skip: skipAll }, async () => {
  const { page, problems } = await open()
  await login(page, acct.secretary)
  const denied = [] // after signing in (the sign-in page's own GET /session answers 401)
  page.on('response', (r) => { if (r.url().includes('/api/') && r.status() >= 400) denied.push(`${r.status()} ${new URL(r.url()).pathname}`) })
  await page.goto(url('/orgs'))
  await page.locator('[data-testid=org-name]').waitFor()
  await settle(page)
  assert.equal((await page.locator('[data-testid=org-name]').innerText()).trim(), acct.branchName)
  assert.ok(await page.locator('.org-tree .is-current').count() > 0)
  await shot(page, 'p17-secretary-tree')
  await page.goto(url('/members'))
  await page.locator('[data-testid=members-table]').waitFor()
  await settle(page)
  const picker = page.locator('.filter-form .org-picker').first()
  const shown = (await picker.innerText()) + (await picker.locator('input').first().inputValue().catch(() => ''))
  assert.ok(shown.includes(acct.branchName), `the filter's picker shows the name: "${shown}"`)
  assert.ok(!/\b\d{2,}\b/.test(shown), `no raw id: "${shown}"`)
  await page.locator('[data-testid=member-create]').click()
  const dlg = dialog(page, '新增党员')
  await dlg.waitFor()
  await settle(page)
  const fp = formItem(dlg, '所属组织')
  const fshown = (await fp.innerText()) + (await fp.locator('input').first().inputValue().catch(() => ''))
  assert.ok(fshown.includes(acct.branchName) && !/\b\d{2,}\b/.test(fshown), `the form's picker: "${fshown}"`)
  await shot(page, 'p17-secretary-picker')
  assert.deepEqual(denied, [], 'no request answered 4xx/5xx')
  assert.deepEqual(problems.console, [], 'no console errors')
})

// --- 22: what a visit leaves behind ------------------------------------------------

async function measure(cdp) {
  for (let i = 0; i < 3; i++) await cdp.send('HeapProfiler.collectGarbage')
  const dom = await cdp.send('Memory.getDOMCounters')
  const heap = await cdp.send('Runtime.getHeapUsage')
  return { nodes: dom.nodes, listeners: dom.jsEventListeners, heap: heap.usedSize }
}

async function visit(page, label, ready) {
  await page.locator('.sidebar a.side-item').filter({ hasText: new RegExp(`^\\s*${label}\\s*$`) }).first().click()
  await page.locator(ready).first().waitFor()
  await settle(page)
}

test('P22 each visit to 党员管理 leaves (almost) nothing behind: DOM nodes and JS heap after GC, chromium CDP', { skip: skipAll }, async () => {
  const { page } = await open()
  await login(page, acct.admin)
  await page.goto(url('/dashboard'))
  await settle(page)
  const cdp = await browser.context.newCDPSession(page)
  await cdp.send('HeapProfiler.enable')
  const round = async () => {
    await visit(page, '党员管理', '[data-testid=members-table] .el-table__body-wrapper tbody tr')
    // what a user does there: a filter's drop-down, the organization picker, the next
    // page, a member's drawer and the 新增 form; then leave
    await page.locator('.filter-form .el-form-item').filter({ hasText: '党员类别' }).locator('.el-select__wrapper').click()
    await page.locator('.el-select-dropdown__item:visible').filter({ hasText: /^\s*正式党员\s*$/ }).click()
    await page.getByRole('button', { name: '查询' }).click()
    await settle(page)
    await page.locator('.filter-form .org-picker').first().click()
    await page.keyboard.press('Escape')
    if (await page.locator('[data-testid=next-page]').isEnabled()) {
      await page.locator('[data-testid=next-page]').click()
      await settle(page)
    }
    await page.locator('[data-testid=members-table] .el-table__body tr').first().getByRole('button', { name: '详情' }).click()
    await page.locator('.el-drawer:visible').waitFor()
    await page.keyboard.press('Escape')
    await page.locator('.el-drawer:visible').waitFor({ state: 'hidden' })
    await page.locator('[data-testid=member-create]').click()
    const dlg = dialog(page, '新增党员')
    await dlg.waitFor()
    await dlg.getByRole('button', { name: '取消' }).click()
    await dlg.waitFor({ state: 'hidden' })
    await visit(page, '组织管理', '[data-testid=org-name]')
  }
  for (let i = 0; i < 2; i++) await round() // warm: chunks, code tables, caches
  const a = await measure(cdp)
  const N = 6
  for (let i = 0; i < N; i++) await round()
  const b = await measure(cdp)
  const per = { nodes: (b.nodes - a.nodes) / N, listeners: (b.listeners - a.listeners) / N, kb: (b.heap - a.heap) / N / 1024 }
  console.log(`# 党员管理 per visit after GC: ${per.nodes.toFixed(0)} DOM nodes, ${per.listeners.toFixed(0)} listeners, ${per.kb.toFixed(0)} KB heap (before ${a.nodes} nodes ${Math.round(a.heap / 1024)} KB, after ${N} visits ${b.nodes} nodes ${Math.round(b.heap / 1024)} KB)`)
  await shot(page, 'p22-after-visits')
  assert.ok(per.nodes < 100, `DOM nodes kept per visit: ${per.nodes}`)
  assert.ok(per.kb < 512, `heap kept per visit: ${per.kb} KB`)
})

async function importOnce(page, file) {
  await page.locator('[data-testid=member-import]').click()
  await page.locator('[data-testid=import-file]').setInputFiles(file)
  await page.locator('[data-testid=import-check]').click()
  await page.locator('[data-testid=import-summary]').waitFor({ timeout: 60000 })
  await page.locator('[data-testid=import-errors-truncated]').waitFor()
}
async function importClose(page) {
  await page.locator('.el-dialog:visible .el-dialog__headerbtn').last().click()
  await page.locator('[data-testid=import-summary]').waitFor({ state: 'detached' })
  await settle(page)
}
function badFile() {
  const rows = rosterRows(1105, 91).map((r) => ({ ...r, 身份证号码: '123' }))
  const file = join(mkdtempSync(join(tmpdir(), 'dj-e2e-audit-')), 'bad.csv')
  writeFileSync(file, csvText(rows))
  return file
}

test('P22 the import wizard: an error list cut at 1,000 says so', { skip: skipAll }, async () => {
  const { page } = await open()
  await login(page, acct.admin)
  await page.goto(url(`/members?org_id=${acct.branch}`))
  await page.locator('[data-testid=members-table]').waitFor()
  await importOnce(page, badFile())
  const note = await page.locator('[data-testid=import-errors-truncated]').innerText()
  assert.match(note, /下表只列出前 1,000 条/, note)
  assert.match(note, /共 1,1\d\d 条错误/, note)
  assert.equal(await page.locator('[data-testid=import-errors] .el-table__body tr').count(), 1000)
  await shot(page, 'p22-import-truncated')
})

// What a use kept (heap snapshot): the file input made per use inside the dialog's
// destroyed content, held after it (here by the DevTools handle that set its files; a
// file chooser may too), kept through its Vue change handler's component chain the last
// step's subtree, 1,000 error rows of DOM. ImportWizard.vue now has one input outside
// the dialog for every use.
test('P22 the import wizard: each use leaves (almost) nothing behind (DOM nodes, heap after GC)', { skip: skipAll }, async () => {
  const { page } = await open()
  await login(page, acct.admin)
  const file = badFile()
  await page.goto(url(`/members?org_id=${acct.branch}`))
  await page.locator('[data-testid=members-table]').waitFor()
  await settle(page)
  const cdp = await browser.context.newCDPSession(page)
  await cdp.send('HeapProfiler.enable')
  await importOnce(page, file)
  await importClose(page)
  const a = await measure(cdp)
  const N = 3
  for (let i = 0; i < N; i++) {
    await importOnce(page, file)
    await importClose(page)
  }
  const b = await measure(cdp)
  const per = { nodes: (b.nodes - a.nodes) / N, kb: (b.heap - a.heap) / N / 1024 }
  console.log(`# import wizard per use (1,105 bad rows, dry run, closed) after GC: ${per.nodes.toFixed(0)} DOM nodes, ${per.kb.toFixed(0)} KB heap (before ${a.nodes} nodes ${Math.round(a.heap / 1024)} KB)`)
  assert.ok(per.nodes < 100, `DOM nodes kept per use: ${per.nodes}`)
  assert.ok(per.kb < 1024, `heap kept per use: ${per.kb} KB`)
})
