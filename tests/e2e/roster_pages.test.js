// Issue 20 #14 in the browser: the members pager says the page count and the total,
// jumps to the last page and to a typed page number (the API's ?page=N / ?last=1: the
// server finds the keyset cursor before the page), and the rows on screen are the
// database's own order's slice. Screenshots: tests/e2e/screenshots/pages-*.png.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { launch, freshPage, settle, screenshotPath, DESKTOP, PHONE } from './lib/browser.js'
import { login, url } from './lib/app.js'
import { runSql, addAccount } from './lib/rundb.js'

const DB = process.env.DJ_E2E_DB
const skipAll = process.env.DJ_BASE_URL && DB ? false : 'set DJ_BASE_URL and DJ_E2E_DB (tests/e2e/run.mjs does)'
let browser, root
const acct = {}

function account(key, role, org) {
  acct[key] = addAccount(`pg_${key}_${process.pid}`, { name: `分页${key}`, role, org })
}

before(async () => {
  if (skipAll) return
  root = runSql('SELECT id FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1')
  account('admin', 'district_admin', root)
  browser = await launch()
})
after(async () => {
  if (browser) await browser.close()
})

// the default view (在册党员: stats_key's bit 64) of the district, by name (pinyin, id)
function rosterNames() {
  return runSql('SELECT name FROM members WHERE (stats_key & 64) = 64 ORDER BY name_pinyin, id').split('\n')
}

async function pageState(page) {
  const table = page.locator('[data-testid=members-table]')
  const names = (await table.locator('.el-table__body tr .name-link').allInnerTexts()).map((n) => n.trim())
  const of = await page.locator('[data-testid=page-of]').innerText()
  return { names, of }
}

async function waitFor(page, pred, what) {
  for (let i = 0; i < 100; i++) {
    await settle(page)
    const s = await pageState(page)
    if (pred(s)) return s
    await page.waitForTimeout(100)
  }
  assert.fail(`the pager did not reach ${what}: ${JSON.stringify(await pageState(page))}`)
}

test('P14 the pager: page count, 末页 from the far end, a typed page number, 首页; the rows are the ORDER BY\'s slices', { skip: skipAll }, async () => {
  const { page } = await freshPage(browser.context, { viewport: DESKTOP })
  await login(page, acct.admin)
  const asked = []
  page.on('request', (r) => { if (r.url().includes('/api/v1/members?')) asked.push(r.url()) })
  await page.goto(url('/members'))
  await page.locator('[data-testid=members-table]').waitFor()
  const want = rosterNames()
  const limit = 20
  const pages = Math.ceil(want.length / limit)
  assert.ok(pages >= 4, `the demo spans pages (${want.length})`)
  const slice = (n) => want.slice((n - 1) * limit, n * limit)
  let s = await waitFor(page, (x) => x.names.length === limit, 'page 1')
  assert.equal(s.of, `第 1 / ${pages} 页`)
  assert.deepEqual(s.names, slice(1))
  assert.match(await page.locator('[data-testid=members-total]').innerText(), new RegExp(`共 ${want.length.toLocaleString('en-US')} 人`))
  await page.screenshot({ path: screenshotPath('pages-first') })

  await page.locator('[data-testid=last-page]').click()
  s = await waitFor(page, (x) => x.of === `第 ${pages} / ${pages} 页`, 'the last page')
  assert.deepEqual(s.names, slice(pages), 'the last page\'s rows')
  assert.ok(asked.some((u) => /[?&]last=1/.test(u)), 'asked the server for the last page')
  assert.ok(await page.locator('[data-testid=next-page]').isDisabled(), 'no page after the last')
  await page.screenshot({ path: screenshotPath('pages-last') })

  // back one page from the last: asked by number (no cursor is known for it)
  await page.locator('[data-testid=prev-page]').click()
  s = await waitFor(page, (x) => x.of === `第 ${pages - 1} / ${pages} 页`, 'the page before the last')
  assert.deepEqual(s.names, slice(pages - 1))

  const mid = Math.ceil(pages / 2)
  const input = page.locator('[data-testid=jump-page] input')
  await input.fill(String(mid))
  await input.press('Enter')
  s = await waitFor(page, (x) => x.of === `第 ${mid} / ${pages} 页`, `page ${mid}`)
  assert.deepEqual(s.names, slice(mid), 'the typed page\'s rows')
  assert.ok(asked.some((u) => new RegExp(`[?&]page=${mid}(&|$)`).test(u)), 'asked the server for the page by number')
  // and the walk goes on from it by cursor
  await page.locator('[data-testid=next-page]').click()
  s = await waitFor(page, (x) => x.of === `第 ${mid + 1} / ${pages} 页`, `page ${mid + 1}`)
  assert.deepEqual(s.names, slice(mid + 1))
  assert.ok(/[?&]cursor=/.test(asked[asked.length - 1]), 'the next page by cursor')
  await page.screenshot({ path: screenshotPath('pages-jump') })

  // a number past the last goes to the last
  await input.fill(String(pages + 5))
  await page.locator('[data-testid=jump-go]').click()
  s = await waitFor(page, (x) => x.of === `第 ${pages} / ${pages} 页`, 'the last page (clamped)')
  assert.deepEqual(s.names, slice(pages))

  await page.locator('[data-testid=first-page]').click()
  s = await waitFor(page, (x) => x.of === `第 1 / ${pages} 页`, 'the first page')
  assert.deepEqual(s.names, slice(1))
  await page.close()
})

test('P14 the pager on a phone: the controls wrap and stay usable', { skip: skipAll }, async () => {
  const { page } = await freshPage(browser.context, { viewport: PHONE })
  await login(page, acct.admin)
  await page.goto(url('/members'))
  await page.locator('[data-testid=page-of]').waitFor()
  await settle(page)
  const box = await page.locator('[data-testid=last-page]').boundingBox()
  assert.ok(box && box.x >= 0 && box.x + box.width <= PHONE.width, `末页 within the screen: ${JSON.stringify(box)}`)
  await page.locator('[data-testid=last-page]').click()
  await settle(page)
  assert.match(await page.locator('[data-testid=page-of]').innerText(), /第 (\d+) \/ \1 页/)
  await page.screenshot({ path: screenshotPath('pages-phone-last'), fullPage: true })
  await page.close()
})

test('P17 the roster table at 1440 px: every row one line high, every column in view (no sideways scroll)', { skip: skipAll }, async () => {
  const { page } = await freshPage(browser.context, { viewport: DESKTOP })
  await login(page, acct.admin)
  await page.goto(url('/members?state=all'))
  const table = page.locator('[data-testid=members-table]')
  await table.waitFor()
  await waitFor(page, (x) => x.names.length > 0, 'rows')
  // a page with 流动（外出）/ 转出（在途） and long organization names: the default view's
  // pages until one has a state of six characters (bounded by the page count)
  for (let i = 0; i < 30; i++) {
    const states = await table.locator('.el-table__body-wrapper tr td:nth-child(7)').allInnerTexts()
    if (states.some((x) => x.trim().length >= 5)) break
    if (await page.locator('[data-testid=next-page]').isDisabled()) break
    await page.locator('[data-testid=next-page]').click()
    await settle(page)
  }
  const m = await page.evaluate(() => {
    const t = document.querySelector('[data-testid=members-table]')
    const wrap = t.querySelector('.el-table__body-wrapper')
    const body = wrap.querySelector('table.el-table__body')
    const rows = [...wrap.querySelectorAll('tr.el-table__row')].map((r) => Math.round(r.getBoundingClientRect().height))
    const heads = [...t.querySelectorAll('.el-table__header-wrapper th')].map((th) => th.innerText.trim()).filter(Boolean)
    // cells clipped without a tooltip: the name, ID number, mobile and actions columns
    const clipped = []
    for (const tr of wrap.querySelectorAll('tr.el-table__row')) {
      const tds = [...tr.children]
      for (const i of [1, 2, 3, tds.length - 1]) {
        const c = tds[i].querySelector('.cell')
        if (c && c.scrollWidth > c.clientWidth + 1) clipped.push(`${i}:${c.innerText}`)
      }
    }
    return { clipped, rows, tableW: Math.round(body.getBoundingClientRect().width), wrapW: Math.round(wrap.getBoundingClientRect().width), heads }
  })
  assert.ok(m.rows.length > 0)
  assert.deepEqual(m.clipped, [], 'no name, ID number, mobile or action cut off')
  assert.equal(new Set(m.rows).size, 1, `rows of one height: ${m.rows.join(',')}`)
  assert.ok(m.tableW <= m.wrapW + 1, `the table (${m.tableW} px) fits its box (${m.wrapW} px): no column clipped`)
  for (const h of ['姓名', '性别', '身份证号', '所属组织', '党籍状态', '入党时间', '学历', '操作']) assert.ok(m.heads.some((x) => x.includes(h)), `column ${h}: ${m.heads.join('|')}`)
  await page.screenshot({ path: screenshotPath('pages-table-1440') })
  await page.close()
})

test('P14 bulk actions: tick rows, 导出所选 exports exactly them (the server checks each id)', { skip: skipAll }, async () => {
  const { page } = await freshPage(browser.context, { viewport: DESKTOP })
  await login(page, acct.admin)
  await page.goto(url('/members'))
  const table = page.locator('[data-testid=members-table]')
  await table.waitFor()
  await waitFor(page, (x) => x.names.length > 0, 'rows')
  const boxes = table.locator('.el-table__body-wrapper tr.el-table__row .el-checkbox')
  await boxes.nth(1).click()
  await boxes.nth(4).click()
  await page.locator('[data-testid=bulk-bar]').waitFor()
  await page.locator('[data-testid=bulk-export]').click()
  const dlg = page.locator('.el-dialog').filter({ hasText: '导出所选的 2 人' })
  await dlg.waitFor()
  await page.screenshot({ path: screenshotPath('pages-bulk-export') })
  const started = page.waitForResponse((r) => r.url().includes('/api/v1/members/exports') && r.request().method() === 'POST')
  await dlg.locator('.el-dialog__footer .el-button--primary').click()
  const r = await started
  assert.equal(r.status(), 202)
  assert.match(r.url(), /[?&]ids=\d+%2C\d+|[?&]ids=\d+,\d+/, 'the two ids, not the filter')
  await page.close()
})

test('P09 import: the refused rows come back as an annotated xlsx of the user\'s own cells', { skip: skipAll }, async () => {
  const { rosterRows, writeCsv } = await import('../api/lib/roster.mjs')
  const ExcelJS = (await import('exceljs')).default
  const { mkdtempSync, readFileSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const rows = rosterRows(5, 77)
  rows[1]['身份证号码'] = '12345'
  const dir = mkdtempSync(join(tmpdir(), 'dj-e2e-ierr-'))
  const file = join(dir, '花名册.csv')
  writeCsv(file, rows)
  const branch = runSql("SELECT id FROM orgs WHERE type = '党支部' ORDER BY id LIMIT 1")
  const { page } = await freshPage(browser.context, { viewport: DESKTOP })
  await login(page, acct.admin)
  await page.goto(url(`/members?org_id=${branch}`))
  await page.locator('[data-testid=members-table]').waitFor()
  await page.locator('[data-testid=member-import]').click()
  await page.locator('[data-testid=import-file]').setInputFiles(file)
  await page.locator('[data-testid=import-check]').click()
  await page.locator('[data-testid=import-summary]').waitFor({ timeout: 60000 })
  const btn = page.locator('[data-testid=import-errors-file]')
  await btn.waitFor()
  assert.match(await btn.innerText(), /下载出错的 1 行/)
  await settle(page)
  await page.screenshot({ path: screenshotPath('pages-import-errors') })
  const [dl] = await Promise.all([page.waitForEvent('download'), btn.click()])
  const saved = join(dir, 'err.xlsx')
  await dl.saveAs(saved)
  assert.match(dl.suggestedFilename(), /导入错误行.*\.xlsx/)
  const wb = new ExcelJS.Workbook()
  await wb.xlsx.load(readFileSync(saved))
  const ws = wb.worksheets[0]
  assert.deepEqual([ws.getRow(1).getCell(1).value, ws.getRow(1).getCell(2).value], ['原行号', '错误说明'])
  assert.equal(String(ws.getRow(2).getCell(1).value), '3', 'the row in the user\'s file')
  assert.match(String(ws.getRow(2).getCell(2).value), /身份证号码/)
  assert.equal(ws.getRow(2).getCell(3).value, rows[1]['姓名'])
  await page.close()
})
