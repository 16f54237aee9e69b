// Issue 20 in the browser: the roster as its users meet it. Each test is named after
// the point ("P01 …"); screenshots go to tests/e2e/screenshots/review-*.png.
// Its own accounts are made with the command line on the run's database (DJ_E2E_DB),
// so that it does not depend on what app.test.js did to the shared ones.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { launch, freshPage, settle, screenshotPath, DESKTOP } from './lib/browser.js'
import { login, url, formItem, dialog, fillDate } from './lib/app.js'
import { validId, uniqueName } from './lib/data.js'
import { runSql, addAccount } from './lib/rundb.js'

const DB = process.env.DJ_E2E_DB
const skipAll = process.env.DJ_BASE_URL && DB ? false : 'set DJ_BASE_URL and DJ_E2E_DB (tests/e2e/run.mjs does)'
let browser
const acct = {}

function account(key, role, org) {
  acct[key] = addAccount(`rr_${key}_${process.pid}`, { name: `评审${key}`, role, org })
}

before(async () => {
  if (skipAll) return
  const root = runSql('SELECT id FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1')
  const branch = runSql("SELECT o.id FROM orgs o WHERE o.type = '党支部' AND EXISTS (SELECT 1 FROM members m WHERE m.org_id = o.id) ORDER BY o.id DESC LIMIT 1")
  account('admin', 'district_admin', root)
  account('secadmin', 'secadmin')
  account('secretary', 'branch_secretary', branch)
  acct.branch = Number(branch)
  browser = await launch()
})
after(async () => {
  if (browser) await browser.close()
})

async function open() {
  return freshPage(browser.context, { viewport: DESKTOP })
}
async function shot(page, name) {
  await settle(page)
  await page.screenshot({ path: screenshotPath(`review-${name}`) })
}

test('P01 分配角色: the 安全管理员 picks an organization from a tree it may read, and saves', { skip: skipAll }, async () => {
  const { page } = await open()
  await login(page, acct.secadmin)
  await page.goto(url('/users'))
  await settle(page)
  const row = page.locator('.el-table__body tr').filter({ hasText: acct.secretary.username }).first()
  await row.waitFor()
  await row.getByRole('button', { name: /角色/ }).first().click()
  const dlg = page.locator('.el-dialog:visible').last()
  await dlg.waitFor()
  await dlg.locator('.role-org .el-select__wrapper').first().click()
  const first = page.locator('.org-picker-popper:visible .el-tree-node__content').first()
  await first.waitFor()
  assert.ok((await first.innerText()).trim().length > 0, 'the picker shows organizations')
  await shot(page, 'p01-role-org-picker')
  // typing searches, with each result's path
  await dlg.locator('.role-org input').first().fill('支部')
  await page.locator('.org-picker-popper:visible .org-path').first().waitFor()
  await shot(page, 'p01-role-org-search')
})

test('P03 P04 P12 organization form: 职务 by name, 批准情况 for an extension, errors named by label', { skip: skipAll }, async () => {
  const { page } = await open()
  await login(page, acct.admin)
  await page.goto(url(`/orgs?org_id=${acct.branch}`))
  await page.locator('[data-testid=org-name]').waitFor()
  await settle(page)
  await page.getByRole('button', { name: '编辑' }).first().click()
  const dlg = page.locator('.el-dialog:visible').last()
  await dlg.waitFor()
  // P12: a committee row without a name: the banner names the list and the row
  await dlg.getByRole('button', { name: '新建' }).click()
  const role = dlg.locator('[data-test=committee-role]').last()
  await role.locator('.el-select__wrapper').click()
  await page.locator('.el-select-dropdown__item:visible').filter({ hasText: /^\s*统战委员\s*$/ }).waitFor()
  const opts = await page.locator('.el-select-dropdown__item:visible').allInnerTexts()
  assert.ok(opts.length >= 8, opts.join(','))
  for (const n of ['书记', '组织委员', '统战委员', '保密委员']) assert.ok(opts.map((o) => o.trim()).includes(n), `职务 ${n}`)
  assert.ok(!opts.some((o) => /secretary|propaganda/.test(o)), 'no English codes')
  await page.locator('.el-select-dropdown__item:visible').filter({ hasText: /^\s*统战委员\s*$/ }).click()
  await dlg.getByRole('button', { name: '保存' }).click()
  const banner = page.locator('[data-testid=form-error]:visible')
  await banner.waitFor()
  const text = await banner.innerText()
  assert.match(text, /委员会成员第 \d+ 行：请填写委员姓名/)
  assert.doesNotMatch(text, /committee\[/)
  await shot(page, 'p12-error-labels')
  await dlg.locator('.committee-row').last().locator('input').first().fill('王统战')
  // P04: an extension asks for 批准情况
  await fillDate(formItem(dlg, '本届开始日期'), '2022-03-01')
  await formItem(dlg, '任期（年）').locator('input').fill('5')
  await fillDate(formItem(dlg, '延期至'), '2027-12-01')
  const reason = formItem(dlg, '批准情况')
  await reason.waitFor()
  await reason.locator('input').fill('区委组织部 区组〔2025〕3号')
  await shot(page, 'p04-extension-reason')
  await dlg.getByRole('button', { name: '保存' }).click()
  await dlg.waitFor({ state: 'hidden' })
  await settle(page)
  // P03: the detail shows the name
  assert.ok(await page.getByText('统战委员').first().isVisible(), '职务 shown by name')
  await shot(page, 'p03-committee-names')
})

test('P05 P06 P07 P16 members: own branch by default, 在册 view, outgoing states confirmed, only what the user may do', { skip: skipAll }, async () => {
  const { page } = await open()
  await login(page, acct.secretary)
  await page.goto(url('/members'))
  await page.locator('[data-testid=members-table]').waitFor()
  await settle(page)
  // P16: no 批量导入 for a 支部书记
  assert.equal(await page.locator('[data-testid=member-import]').count(), 0)
  // P07: the page says what it counts
  assert.match(await page.locator('[data-testid=members-total]').innerText(), /在册党员 共 [\d,]+ 人/)
  // P06: 新增党员 defaults to the secretary's own branch
  await page.locator('[data-testid=member-create]').click()
  const dlg = dialog(page, '新增党员')
  await dlg.waitFor()
  const branchName = runSql(`SELECT name FROM orgs WHERE id = ${acct.branch}`)
  await page.waitForFunction((n) => [...document.querySelectorAll('.el-dialog .el-select__selected-item')].some((e) => e.textContent.includes(n)), branchName)
  const name = uniqueName('出党测试')
  await formItem(dlg, '姓名').locator('input').fill(name)
  await formItem(dlg, '身份证号').locator('input').fill(validId('1979-08-12', true))
  await fillDate(formItem(dlg, '入党时间'), '2003-07-01')
  await fillDate(formItem(dlg, '转正时间'), '2004-07-01')
  await shot(page, 'p06-own-branch-default')
  await dlg.locator('[data-testid=member-save]').click()
  await dlg.waitFor({ state: 'hidden' })
  // P05: 开除党籍 asks for a reason and a confirmation
  await page.locator('input[name=q]').fill(name)
  await page.getByRole('button', { name: '查询' }).click()
  await settle(page)
  const row = page.locator('[data-testid=members-table] .el-table__body tr').filter({ hasText: name }).first()
  await row.waitFor()
  await row.getByRole('button', { name: /状态/ }).first().click()
  const sd = page.locator('.el-dialog:visible').last()
  await sd.waitFor()
  await sd.locator('.el-select__wrapper').first().click()
  await page.locator('.el-select-dropdown__item:visible').filter({ hasText: '开除党籍' }).first().click()
  await sd.locator('textarea[name=reason]').fill('严重违纪')
  await sd.locator('input[name=document_no]').fill('区纪发〔2026〕1号')
  await sd.getByRole('button', { name: '确认' }).click()
  const box = page.locator('.el-message-box:visible')
  await box.waitFor()
  assert.match(await box.innerText(), /移出在册党员/)
  await shot(page, 'p05-confirm-expel')
  await box.getByRole('button', { name: '确认' }).click()
  await sd.waitFor({ state: 'hidden' })
  await settle(page)
  // gone from the 在册 view, found under 历史党员
  assert.equal(await page.locator('[data-testid=members-table] .el-table__body tr').filter({ hasText: name }).count(), 0)
  await page.locator('[data-testid=state-filter] .el-select__wrapper').click()
  await page.locator('.el-select-dropdown__item:visible').filter({ hasText: '历史党员' }).first().click()
  await page.getByRole('button', { name: '查询' }).click()
  await settle(page)
  await page.locator('[data-testid=members-table] .el-table__body tr').filter({ hasText: name }).first().waitFor()
  assert.match(await page.locator('[data-testid=members-total]').innerText(), /历史党员/)
  assert.match(page.url(), /state=history/, 'the filters are in the address (P17)')
  await shot(page, 'p07-history-view')
  // the secretary may not correct it: the dialog says so, nothing to pick
  await page.locator('[data-testid=members-table] .el-table__body tr').filter({ hasText: name }).first().getByRole('button', { name: /状态/ }).first().click()
  const sd2 = page.locator('.el-dialog:visible').last()
  await sd2.waitFor()
  await sd2.getByText('无权更正').waitFor()
  await shot(page, 'p05-no-correction')
})

/** A street with 1,020 branches (滚动测试1…1020党支部), made once per run: P19/P20 page
 * through it and P17 moves one of them, each test whichever runs first. */
function bigStreet() {
  const street = Number(runSql("SELECT id FROM orgs WHERE label IN ('社区党委', '区域党委') ORDER BY id LIMIT 1"))
  if (Number(runSql("SELECT COUNT(*) FROM orgs WHERE name LIKE '滚动测试%'")) === 0) {
    const path = runSql(`SELECT path FROM orgs WHERE id = ${street}`)
    const base = Number(runSql('SELECT MAX(id) FROM orgs')) + 1
    const rows = []
    for (let i = 0; i < 1020; i++) rows.push(`(${base + i}, ${street}, '${path}${base + i}/', '滚动测试${i + 1}党支部', '党支部', '社区')`)
    runSql(`INSERT INTO orgs (id, parent_id, path, name, type, domain) VALUES ${rows.join(',')}`, { write: true })
  }
  return street
}

test('P19 P20 the tree pages a node of 1,000+ children as it scrolls; search shows paths and opens the tree at the pick', { skip: skipAll }, async () => {
  const street = bigStreet()
  const { page } = await open()
  await login(page, acct.admin)
  await page.goto(url(`/orgs?org_id=${street}`))
  await page.locator('[data-testid=org-name]').waitFor()
  await settle(page)
  const streetName = runSql(`SELECT name FROM orgs WHERE id = ${street}`)
  const content = page.locator('.org-tree .el-tree-node__content').filter({ has: page.locator(`.node-name:text-is("${streetName}")`) }).first()
  await content.waitFor()
  await content.locator('.el-tree-node__expand-icon').click()
  // the street's own row (共 1,0xx 个), whatever other node has one
  const more = page.locator('[data-testid=tree-more]').filter({ hasText: /共 1,0\d\d 个/ }).last()
  await more.waitFor()
  assert.match(await more.innerText(), /共 1,0\d\d 个/)
  // the first page only: nothing loads before the row is scrolled to
  await settle(page)
  const count = () => page.locator('.org-tree .el-tree-node__content').count()
  const before = await count()
  assert.ok(before < 300, `one page of the street's children, not all: ${before} rows`)
  await more.scrollIntoViewIfNeeded()
  await page.waitForFunction((n) => document.querySelectorAll('.org-tree .el-tree-node__content').length > n, before)
  assert.ok((await count()) > before, 'the next page came as the row scrolled into view')
  await shot(page, 'p19-tree-pages')
  // P20: search, the path under each result, the pick opens the tree at it
  await page.locator('.tree-search input').fill('滚动测试1017')
  const result = page.locator('[data-testid=org-result]').first()
  await result.waitFor()
  assert.match(await result.innerText(), /›/)
  await shot(page, 'p20-search-paths')
  await result.click()
  // opening the tree at the pick pages through a thousand siblings: give a loaded CI box time
  await page.waitForFunction(() => document.querySelector('.org-tree .is-current')?.textContent.includes('滚动测试1017党支部'), null, { timeout: 60000 })
  assert.equal((await page.locator('[data-testid=org-name]').innerText()).trim(), '滚动测试1017党支部')
  await shot(page, 'p20-tree-opened')
})

test('P16 P17 editing shows masked values and logs no full view; a half-filled form asks before closing; 404 has a heading and a way back; the avatar is one character', { skip: skipAll }, async () => {
  const { page } = await open()
  await login(page, acct.admin)
  await page.goto(url(`/members?org_id=${acct.branch}`))
  await page.locator('[data-testid=members-table]').waitFor()
  await settle(page)
  assert.equal((await page.locator('.avatar').first().innerText()).trim(), '评') // 评审admin, not "in"
  const views = () => Number(runSql("SELECT COUNT(*) FROM audit_log WHERE action = 'member.pii_view'"))
  const before = views()
  await page.locator('[data-testid=members-table] .el-table__body tr').first().getByRole('button', { name: '编辑' }).click()
  const dlg = dialog(page, '编辑党员信息')
  await dlg.waitFor()
  assert.match(await formItem(dlg, '身份证号').locator('input').inputValue(), /\*{4,}/)
  assert.equal(views(), before, 'opening 编辑 logs no full view')
  await dlg.locator('[data-testid=form-reveal]').waitFor()
  await shot(page, 'p16-edit-masked')
  // a change, then the close button: asked first, and the form stays when kept
  await formItem(dlg, '籍贯').locator('input').fill('浙江杭州')
  await dlg.locator('.el-dialog__headerbtn').click()
  const box = page.locator('.el-message-box:visible')
  await box.waitFor()
  await shot(page, 'p17-discard-ask')
  await box.getByRole('button', { name: '继续编辑' }).click()
  assert.ok(await dlg.isVisible())
  await dlg.getByRole('button', { name: '取消' }).click()
  await page.locator('.el-message-box:visible').getByRole('button', { name: '放弃并关闭' }).click()
  await dlg.waitFor({ state: 'hidden' })
  await page.goto(url('/no/such/page'))
  await page.getByRole('heading', { name: '页面不存在' }).waitFor()
  assert.ok(await page.getByRole('button', { name: '返回' }).isVisible())
  await shot(page, 'p17-not-found')
})

test('P14 the pager says the page count; rows are selected for a bulk state change, each by the server\'s rules', { skip: skipAll }, async () => {
  const { page } = await open()
  await login(page, acct.admin)
  await page.goto(url(`/members?org_id=${acct.branch}`))
  await page.locator('[data-testid=members-table]').waitFor()
  await settle(page)
  assert.match(await page.locator('[data-testid=page-of]').innerText(), /第 1 \/ \d+ 页/)
  const rows = page.locator('[data-testid=members-table] .el-table__body-wrapper tr')
  for (const i of [0, 1]) await rows.nth(i).locator('.el-checkbox').first().click()
  await page.locator('[data-testid=bulk-bar]').waitFor()
  assert.match(await page.locator('[data-testid=bulk-bar]').innerText(), /已选 2 人/)
  await page.locator('[data-testid=bulk-state]').click()
  const dlg = page.locator('.el-dialog:visible').last()
  await dlg.waitFor()
  await dlg.locator('.el-select__wrapper').first().click()
  await page.locator('.el-select-dropdown__item:visible').filter({ hasText: /^\s*流动（外出）\s*$/ }).click()
  await dlg.locator('textarea').fill('外出务工')
  await dlg.getByRole('button', { name: '确认' }).click()
  await page.locator('.el-message-box:visible').getByRole('button', { name: '确认' }).click()
  await dlg.locator('[data-testid=bulk-result]').waitFor()
  assert.match(await dlg.locator('[data-testid=bulk-result]').innerText(), /已变更 \d 人/)
  await shot(page, 'p14-bulk-state')
})

test('P17 after a move the tree opens at the moved organization again; the picker finds the new parent by typing', { skip: skipAll }, async () => {
  const { page } = await open()
  await login(page, acct.admin)
  // its own data: it failed whenever P19 (which made the 1,020 branches) had not run
  bigStreet()
  const org = Number(runSql("SELECT id FROM orgs WHERE name = '滚动测试1017党支部'"))
  assert.ok(org > 0)
  const target = runSql("SELECT name FROM orgs WHERE label IN ('社区党委', '区域党委') ORDER BY id LIMIT 1 OFFSET 1")
  await page.goto(url(`/orgs?org_id=${org}`))
  await page.locator('[data-testid=org-name]').waitFor()
  await settle(page)
  await page.getByRole('button', { name: '调整隶属关系' }).click()
  const dlg = page.locator('.el-dialog:visible').last()
  await dlg.waitFor()
  await dlg.locator('.org-picker input').first().fill(target)
  const opt = page.locator('.org-picker-popper:visible .org-node').filter({ hasText: target }).first()
  await opt.waitFor()
  await opt.click()
  await dlg.getByRole('button', { name: '确认' }).click()
  await dlg.waitFor({ state: 'hidden' })
  // opening the tree at the pick pages through a thousand siblings: give a loaded CI box time
  await page.waitForFunction(() => document.querySelector('.org-tree .is-current')?.textContent.includes('滚动测试1017党支部'), null, { timeout: 60000 })
  assert.equal(Number(runSql(`SELECT parent_id FROM orgs WHERE id = ${org}`)), Number(runSql(`SELECT id FROM orgs WHERE name = '${target}'`)))
  await shot(page, 'p17-tree-after-move')
})
