// Issue 20's front-end points in the browser (branch web): 我的's first contentful paint on
// a slow 4G phone (measured and reported, not asserted: W23), the side menu by keyboard
// (W17), touch targets and text size on 我的 (W17), digit grouping of counts and the pie
// charts' labels inside their canvas (W22). Screenshots: tests/e2e/screenshots/web-*.png;
// the paint figures: tests/e2e/screenshots/web-fcp-me-slow4g.json.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { launch, freshPage, settle, screenshotPath, SCREENSHOT_DIR, DESKTOP, PHONE } from './lib/browser.js'
import { accounts, login, url } from './lib/app.js'

const skipAll = !process.env.DJ_BASE_URL && 'set DJ_BASE_URL (tests/e2e/run.mjs does)'
let browser

before(async () => {
  if (!skipAll) browser = await launch()
})
after(async () => {
  if (browser) await browser.close()
})

const shot = (page, name) => page.screenshot({ path: screenshotPath(`web-${name}`) })

// Lighthouse's mobile "slow 4G" profile as DevTools applies it (packet-level figures: its
// 150 ms RTT and 1.6 Mbps ×3.75 latency, ×0.9 throughput) and a 4× slower CPU
const SLOW_4G = { offline: false, latency: 562.5, downloadThroughput: (1474.56 * 1024) / 8, uploadThroughput: (675 * 1024) / 8 }
const CPU_SLOWDOWN = 4

test('W23 我的: first contentful paint on the slow 4G profile (reported, not asserted)', { skip: skipAll || (!accounts.member && 'no member account') }, async () => {
  const { page } = await freshPage(browser.context, { viewport: PHONE })
  await login(page, accounts.member)
  const runs = []
  for (let i = 0; i < 3; i++) {
    await page.goto('about:blank')
    const cdp = await browser.context.newCDPSession(page)
    await cdp.send('Network.enable')
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true }) // a first visit: nothing cached
    await cdp.send('Network.emulateNetworkConditions', SLOW_4G)
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: CPU_SLOWDOWN })
    let jsBytes = 0
    cdp.on('Network.loadingFinished', (e) => (jsBytes += e.encodedDataLength))
    await page.goto(url('/m/me'), { waitUntil: 'commit', timeout: 60000 })
    // the page's own content: the member's name (after the scripts, the session and GET /me)
    // (not a condition of the test: on a box under load it may take longer than the wait)
    const named = await page.locator('#me-name').waitFor({ timeout: 90000 }).then(() => page.evaluate(() => performance.now()), () => null)
    if (named == null) await shot(page, `me-slow4g-no-name-${i}`)
    const m = await page.evaluate(() => new Promise((resolve) => {
      const get = () => performance.getEntriesByName('first-contentful-paint')[0]
      const done = () => {
        const nav = performance.getEntriesByType('navigation')[0]
        resolve({ fcp: get()?.startTime ?? null, domContentLoaded: nav?.domContentLoadedEventEnd ?? null, load: nav?.loadEventEnd ?? null })
      }
      if (get()) done()
      else new PerformanceObserver(() => get() && done()).observe({ type: 'paint', buffered: true })
    }))
    await page.waitForLoadState('networkidle', { timeout: 60000 }).catch(() => {})
    runs.push({ ...m, named, transferredBytes: jsBytes })
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 })
    await cdp.detach()
  }
  await shot(page, 'me-slow4g')
  const fcps = runs.map((r) => r.fcp).filter((x) => x != null).sort((a, b) => a - b)
  const median = fcps[Math.floor(fcps.length / 2)]
  const report = {
    page: '/m/me (我的), signed in as a member, nothing cached',
    profile: { name: 'slow 4G (Lighthouse mobile, DevTools throttling)', ...SLOW_4G, cpuSlowdown: CPU_SLOWDOWN },
    target_ms: 1500,
    fcp_ms_median: Math.round(median),
    name_shown_ms_median: (() => { const n = runs.map((r) => r.named).filter((x) => x != null).sort((a, b) => a - b); return n.length ? Math.round(n[Math.floor(n.length / 2)]) : null })(),
    runs: runs.map((r) => ({ fcp_ms: Math.round(r.fcp), name_shown_ms: r.named == null ? null : Math.round(r.named), dom_content_loaded_ms: Math.round(r.domContentLoaded), load_ms: Math.round(r.load), transferred_bytes: r.transferredBytes })),
    note: 'a shared 2-core box under load: a relative figure, compare runs on the same box',
    measured_at: new Date().toISOString()
  }
  writeFileSync(join(SCREENSHOT_DIR, 'web-fcp-me-slow4g.json'), JSON.stringify(report, null, 2) + '\n')
  console.log(`# 我的 first contentful paint, slow 4G + ${CPU_SLOWDOWN}× CPU: median ${report.fcp_ms_median} ms (runs ${report.runs.map((r) => r.fcp_ms).join(', ')} ms; target 1500 ms); the member's name shown at ${report.name_shown_ms_median} ms`)
  assert.ok(median > 0, 'a first contentful paint was recorded')
})

test('W17 the side menu is reached and used by keyboard alone', { skip: skipAll }, async () => {
  const { page } = await freshPage(browser.context, { viewport: DESKTOP })
  await login(page, accounts.admin)
  await page.goto(url('/dashboard'))
  await settle(page)
  await page.locator('body').click({ position: { x: 5, y: 5 } })
  let reached = null
  for (let i = 0; i < 40 && !reached; i++) {
    await page.keyboard.press('Tab')
    reached = await page.evaluate(() => {
      const a = document.activeElement
      return a && a.closest('.sidebar') && a.matches('a.side-item') ? a.textContent.trim() : null
    })
  }
  assert.ok(reached, 'Tab reaches a side menu entry')
  // on to 党员管理 and open it with Enter
  for (let i = 0; i < 20; i++) {
    const label = await page.evaluate(() => document.activeElement?.textContent?.trim())
    if (label === '党员管理') break
    await page.keyboard.press('Tab')
  }
  assert.equal(await page.evaluate(() => document.activeElement?.textContent?.trim()), '党员管理')
  await shot(page, 'menu-keyboard-focus')
  await page.keyboard.press('Enter')
  await page.waitForURL(/\/members/)
  await settle(page)
  const current = page.locator('.sidebar a[aria-current=page]')
  assert.equal((await current.innerText()).trim(), '党员管理')
})

test('W17 我的 at 390×844: touch targets of 44 px and text of 14 px or more', { skip: skipAll || (!accounts.member && 'no member account') }, async () => {
  const { page } = await freshPage(browser.context, { viewport: PHONE })
  await login(page, accounts.member)
  await page.goto(url('/m/me'))
  await settle(page)
  await shot(page, 'me-390x844')
  const bad = await page.evaluate(() => {
    const visible = (e) => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e); return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' }
    const out = []
    for (const e of document.querySelectorAll('button, a[href], [role=button], input:not([type=hidden]), .el-switch, .el-checkbox')) {
      if (!visible(e)) continue
      const r = e.getBoundingClientRect()
      if (r.height < 44 - 0.5 || r.width < 44 - 0.5) out.push(`target ${e.tagName.toLowerCase()}.${e.className} "${(e.textContent || e.getAttribute('aria-label') || '').trim().slice(0, 20)}" ${Math.round(r.width)}×${Math.round(r.height)}`)
    }
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT)
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (!n.textContent.trim()) continue
      const e = n.parentElement
      if (!e || !visible(e) || e.closest('.sr-only')) continue
      const px = parseFloat(getComputedStyle(e).fontSize)
      if (px < 14) out.push(`text ${px}px "${n.textContent.trim().slice(0, 20)}"`)
    }
    return [...new Set(out)]
  })
  assert.deepEqual(bad, [], bad.join('\n'))
})

test('W22 counts are written with digit grouping (1,008,742), whatever the page', { skip: skipAll }, async () => {
  const { page } = await freshPage(browser.context, { viewport: DESKTOP })
  await login(page, accounts.admin)
  // the server's totals, made large: the page only presents them
  await page.route(/\/api\/v1\/(members|transfers)(\?|$)/, async (route) => {
    const r = await route.fetch()
    const j = await r.json()
    await route.fulfill({ response: r, json: { ...j, total: 1008742 } })
  })
  await page.route(/\/api\/v1\/orgs\/\d+(\?|$)/, async (route) => {
    const r = await route.fetch()
    const j = await r.json()
    const big = { member_count: 1008742, formal_count: 950001, probationary_count: 58741 }
    await route.fulfill({ response: r, json: { ...j, ...big, child_count: 1802, subtree: j.subtree ? { ...j.subtree, ...big } : undefined } })
  })
  await page.goto(url('/members'))
  await page.locator('[data-testid=members-total]').waitFor()
  await settle(page)
  assert.match(await page.locator('[data-testid=members-total]').innerText(), /1,008,742/)
  await page.goto(url('/transfers'))
  await page.locator('[data-testid=transfers-total]').waitFor()
  await settle(page)
  assert.match(await page.locator('[data-testid=transfers-total]').innerText(), /1,008,742/)
  await page.goto(url('/orgs'))
  await page.locator('.tile-num').first().waitFor()
  await settle(page)
  const tiles = await page.locator('.tile-num').allInnerTexts()
  assert.ok(tiles.includes('1,802') && tiles.includes('1,008,742'), tiles.join(' '))
  await shot(page, 'grouped-counts')
})

test("W22 the pie charts keep their labels inside the canvas, at a city's counts too", { skip: skipAll }, async () => {
  const { page } = await freshPage(browser.context, { viewport: DESKTOP })
  await login(page, accounts.admin)
  // the statistics of a 1M-member city: every count of the demo district ×2,437
  const scale = (v) => (Array.isArray(v) ? v.map(scale) : v && typeof v === 'object'
    ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, typeof x === 'number' && Number.isInteger(x) && !/year|age|id$/.test(k) ? x * 2437 : scale(x)]))
    : v)
  await page.route(/\/api\/v1\/stats\/members(\?|$)/, async (route) => {
    const r = await route.fetch()
    await route.fulfill({ response: r, json: scale(await r.json()) })
  })
  for (const vp of [DESKTOP, { width: 1024, height: 800 }, PHONE]) {
    await page.setViewportSize(vp)
    await page.goto(url('/stats'))
    await page.locator('.echart canvas').first().waitFor()
    await settle(page)
    await page.waitForTimeout(800) // the charts' entry animation
    await shot(page, `stats-${vp.width}`)
    // the figures above the charts grouped too (911438 → 911,438)
    const nums = (await page.locator('.kpis').first().locator('.kpi-num').allInnerTexts()).slice(0, 8) // the roster's eight
    assert.ok(nums.length > 0 && nums.every((n) => /^(\d{1,3}(,\d{3})*|—)$/.test(n.trim())), nums.join(' '))
    // a label cut by the canvas edge leaves its dark text pixels in the outermost columns
    const cut = await page.evaluate(() => [...document.querySelectorAll('.echart')].map((el, i) => {
      const c = el.querySelector('canvas')
      if (!c) return null
      const ctx = c.getContext('2d')
      const w = c.width; const h = c.height
      const col = (x) => ctx.getImageData(x, 0, 1, h).data
      const dark = (d) => { let n = 0; for (let k = 0; k < d.length; k += 4) if (d[k + 3] > 128 && d[k] < 120 && d[k + 1] < 120 && d[k + 2] < 120) n++; return n }
      const edge = dark(col(0)) + dark(col(1)) + dark(col(w - 1)) + dark(col(w - 2))
      return edge > 0 ? `${el.getAttribute('aria-label')} (#${i}): ${edge} text pixels on the edge` : null
    }).filter(Boolean))
    assert.deepEqual(cut, [], `${vp.width} px: ${cut.join('; ')}`)
  }
})
