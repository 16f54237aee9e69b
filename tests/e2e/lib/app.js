// Driving the dangjian UI: accounts from the environment, signing in (including the
// forced change of a one-time password and administrator TOTP), form helpers.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { baseUrl, settle } from './browser.js'
import { totp } from './data.js'

/**
 * Accounts the tests use, from the environment. A password may be a one-time
 * password: the first sign-in changes it to DJ_NEW_PASSWORD (and later sign-ins in
 * the same run use that). TOTP secrets may be given; otherwise an administrator who
 * is not enrolled yet is enrolled through the UI and the secret kept for the run.
 */
export const accounts = {
  admin: acct('ADMIN'),
  auditor: acct('AUDITOR'),
  sysadmin: acct('SYSADMIN'),
  secretary: acct('SECRETARY'),
  member: acct('MEMBER'),
  reviewer: acct('REVIEWER')
}
export const NEW_PASSWORD = process.env.DJ_NEW_PASSWORD || 'Dj-e2e-Chg-Passw0rd!2025'

// Each test file runs in a process of its own: what one file did to an account (its
// one-time password changed, TOTP enrolled) is kept in DJ_E2E_STATE (a directory
// tests/e2e/run.mjs creates) for the files after it.
function statePath(a) {
  return process.env.DJ_E2E_STATE ? join(process.env.DJ_E2E_STATE, `${a.username}.json`) : null
}
function loadState(a) {
  const p = statePath(a)
  if (!p || !existsSync(p)) return
  const st = JSON.parse(readFileSync(p, 'utf8'))
  a.changedPassword = a.changedPassword || st.changedPassword
  a.totpSecret = a.totpSecret || st.totpSecret
}
function saveState(a) {
  const p = statePath(a)
  if (p) writeFileSync(p, JSON.stringify({ changedPassword: a.changedPassword, totpSecret: a.totpSecret }))
}

function acct(prefix) {
  const username = process.env[`DJ_${prefix}_USER`]
  if (!username) return null
  return {
    username,
    password: process.env[`DJ_${prefix}_PASSWORD`] || '',
    totpSecret: process.env[`DJ_${prefix}_TOTP_SECRET`] || null,
    changedPassword: false
  }
}

export const url = (path) => baseUrl() + path

async function submitPassword(page, a, password, code) {
  await page.goto(url('/login'))
  await page.locator('input[name=username]').fill(a.username)
  await page.locator('input[name=password]').fill(password)
  // the code field is always on the form (a missing code answers like a wrong password)
  if (code) await page.locator('input[name=totp]').fill(code)
  await page.locator('form button[type=submit]').click()
  // one of: left the login page, or an error message
  await page.waitForFunction(
    () => !location.pathname.startsWith('/login') || document.querySelector('[data-testid=login-error]'),
    null,
    { timeout: 15000 }
  )
}

/** Wait until the next 30-s step when the current one is about to end (codes are single use). */
async function freshTotp(secret, used) {
  for (;;) {
    const remaining = 30 - (Math.floor(Date.now() / 1000) % 30)
    const code = totp(secret)
    if (remaining > 3 && code !== used) return code
    await new Promise((r) => setTimeout(r, remaining * 1000 + 300))
  }
}

/**
 * Sign in as `a`; afterwards the page is inside the app. Handles: the TOTP step,
 * a forced password change (to NEW_PASSWORD), TOTP enrolment for administrators.
 * Returns {forcedChange, enrolled}.
 */
export async function login(page, a, { onForcedChange } = {}) {
  if (!a) throw new Error('account not configured')
  loadState(a)
  const out = { forcedChange: false, enrolled: false }
  if (a.totpSecret) a.lastTotp = await freshTotp(a.totpSecret, a.lastTotp)
  await submitPassword(page, a, a.changedPassword ? NEW_PASSWORD : a.password, a.totpSecret ? a.lastTotp : null)
  if (await page.locator('[data-testid=login-error]').isVisible()) {
    throw new Error(`login failed for ${a.username}: ${await page.locator('[data-testid=login-error]').innerText()}`)
  }
  if (page.url().includes('/password')) {
    out.forcedChange = true
    if (onForcedChange) await onForcedChange(page)
    await changePasswordForm(page, a.changedPassword ? NEW_PASSWORD : a.password, NEW_PASSWORD)
    await page.waitForURL((u) => !u.pathname.startsWith('/password'))
    a.changedPassword = true
    saveState(a)
  }
  if (page.url().includes('/totp')) {
    out.enrolled = true
    const secret = (await page.locator('[data-testid=totp-secret]').innerText()).replace(/\s+/g, '')
    a.totpSecret = secret
    a.lastTotp = await freshTotp(secret, null)
    await page.locator('input[name=code]').fill(a.lastTotp)
    await page.getByRole('button', { name: '完成绑定' }).click()
    await page.waitForURL((u) => !u.pathname.startsWith('/totp'))
    saveState(a)
  }
  await settle(page)
  return out
}

export async function changePasswordForm(page, oldPassword, newPassword) {
  await page.locator('input[name=old_password]').fill(oldPassword)
  await page.locator('input[name=new_password]').fill(newPassword)
  await page.locator('input[name=confirm_password]').fill(newPassword)
  await page.getByRole('button', { name: '提交' }).click()
}

export async function logout(page) {
  await page.locator('.user-btn').click()
  await page.getByRole('menuitem', { name: '退出登录' }).click()
  await page.waitForURL(/\/login/)
}

/** The el-form-item whose label is exactly `label` (inside `scope`). */
export function formItem(scope, label) {
  const page = typeof scope.page === 'function' ? scope.page() : scope
  return scope.locator('.el-form-item').filter({ has: page.locator(`.el-form-item__label:text-is("${label}")`) }).first()
}

/** Type a date (YYYY-MM-DD) into an Element Plus date picker inside a form item. */
export async function fillDate(item, value) {
  const input = item.locator('input').first()
  await input.click()
  await input.fill(value)
  await input.press('Enter')
  // close the picker's panel by clicking a neutral spot (Escape would close the dialog)
  const header = item.page().locator('.el-dialog__header:visible').first()
  if (await header.count()) await header.click({ position: { x: 5, y: 5 } })
}

/** The visible Element Plus dialog with the given title. */
export function dialog(page, title) {
  return page.locator('.el-dialog').filter({ has: page.locator(`.el-dialog__title:text-is("${title}")`) }).first()
}

/** Text of the error message under a form item ('' when none). */
export async function fieldError(item) {
  const e = item.locator('.el-form-item__error')
  if ((await e.count()) === 0) return ''
  return (await e.first().innerText()).trim()
}

/** Session reply as the page sees it (same cookie), or null. */
export async function apiGet(page, path) {
  const r = await page.request.get(url('/api/v1' + path), { failOnStatusCode: false })
  let body = null
  try {
    body = await r.json()
  } catch {
    /* not json */
  }
  return { status: r.status(), body }
}
