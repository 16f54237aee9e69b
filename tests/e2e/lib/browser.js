// Launching Debian's chromium through playwright-core (no downloaded browser, ever),
// with a fresh profile per launch, and page helpers shared by the e2e tests.
import { chromium } from 'playwright-core'
import { mkdtempSync, rmSync, mkdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

const here = dirname(fileURLToPath(import.meta.url))
export const SCREENSHOT_DIR = join(here, '..', 'screenshots')
export const CHROMIUM = process.env.DJ_CHROMIUM || '/usr/bin/chromium'

export const DESKTOP = { width: 1440, height: 900 }
export const PHONE = { width: 390, height: 844 }

export function baseUrl() {
  const u = process.env.DJ_BASE_URL
  if (!u) throw new Error('DJ_BASE_URL is not set (e.g. http://127.0.0.1:8080)')
  return u.replace(/\/+$/, '')
}

/**
 * Launch chromium headless on a throwaway profile (mkdtemp) as a persistent context
 * (playwright passes our profile as --user-data-dir). Returns {context, close}.
 * Tests share the context and call freshPage() for a signed-out page.
 */
export async function launch() {
  const profile = mkdtempSync(join(tmpdir(), 'dj-e2e-chromium-'))
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-dev-shm-usage'
  ]
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args,
    viewport: DESKTOP,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    acceptDownloads: true
  })
  return {
    context,
    async close() {
      await context.close().catch(() => {})
      rmSync(profile, { recursive: true, force: true })
    }
  }
}

/**
 * A new signed-out page (cookies cleared) that records console errors, page errors
 * and CSP violations, so that each test can assert there were none.
 */
export async function freshPage(context, { viewport = DESKTOP } = {}) {
  for (const p of context.pages()) await p.close().catch(() => {})
  await context.clearCookies()
  const page = await context.newPage()
  await page.setViewportSize(viewport)
  const problems = { console: [], pageErrors: [], csp: [] }
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return
    const text = msg.text()
    if (/Content Security Policy|Refused to (apply|load|execute)/i.test(text)) problems.csp.push(text)
    // the API's 4xx answers show up as "Failed to load resource" errors: tests assert on those themselves
    else if (!/Failed to load resource: the server responded with a status of 4\d\d/.test(text)) problems.console.push(text)
  })
  page.on('pageerror', (err) => problems.pageErrors.push(String(err)))
  page.setDefaultTimeout(Number(process.env.DJ_E2E_TIMEOUT || 15000))
  return { page, problems }
}

export function screenshotPath(name) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true })
  return join(SCREENSHOT_DIR, `${name}.png`)
}

/** Wait for the SPA to settle: no pending API calls and no loading masks. */
export async function settle(page) {
  await page.waitForLoadState('networkidle').catch(() => {})
  await page.waitForFunction(() => !document.querySelector('.el-loading-mask'), null, { timeout: 10000 }).catch(() => {})
  await page.waitForTimeout(250) // transitions
}

const require = createRequire(import.meta.url)
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8')

/**
 * Run axe-core (WCAG 2.x A/AA rules) in the page; returns the serious and critical
 * violations. The script is added through the DevTools protocol (addScriptTag with
 * content would be an inline script, which the app's CSP refuses).
 */
export async function axeViolations(page) {
  await page.evaluate(AXE_SOURCE)
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] })
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }))
  })
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical')
}
