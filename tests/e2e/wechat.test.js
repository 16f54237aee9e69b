// 微信公众号 (issue 16) in Debian's chromium: the system administrator configures the
// account on the messages page (tab 微信公众号: AppID, AppSecret written only, the API
// and OAuth addresses, template ids per kind) against a local fake of WeChat's
// documented endpoints (tests/api/lib/wechat_fake.mjs, 127.0.0.1), and a member links
// their WeChat on the phone: 绑定微信 → WeChat's authorization page (the fake agrees at
// once) → back on /m/wechat with code and state → linked; then unlinks.
// Screenshots: wechat-settings, wechat-phone.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { launch, freshPage, settle, screenshotPath, DESKTOP, PHONE } from './lib/browser.js'
import { accounts, login, url } from './lib/app.js'
import { startWechat } from '../api/lib/wechat_fake.mjs'

const READY = process.env.DJ_BASE_URL && accounts.sysadmin && accounts.member
const skipAll = READY ? false : 'set DJ_BASE_URL, DJ_SYSADMIN_* and DJ_MEMBER_* to run the browser tests'
const APPID = 'wxe2e0000000000001'
const SECRET = 'e2e-wechat-secret-K2'
let browser, fake
before(async () => {
  if (skipAll) return
  browser = await launch()
  fake = await startWechat({ appid: APPID, secret: SECRET })
})
after(async () => {
  if (browser) await browser.close()
  if (fake) await fake.close()
})

function clean(problems, label) {
  assert.deepEqual(problems.csp, [], `${label}: CSP violations`)
  assert.deepEqual(problems.pageErrors, [], `${label}: uncaught page errors`)
  assert.deepEqual(problems.console, [], `${label}: console errors`)
}

test('微信公众号 settings: the account and the templates saved from the page; the secret is never shown back', { skip: skipAll }, async () => {
  const { page, problems } = await freshPage(browser.context, { viewport: DESKTOP })
  await login(page, accounts.sysadmin)
  await page.goto(url('/outbox'))
  await page.getByRole('tab', { name: '微信公众号' }).click()
  const form = page.locator('[data-testid=wechat-settings]')
  await form.waitFor()
  await page.locator('[data-testid=wx-wechat_appid]').fill(APPID)
  await page.locator('[data-testid=wx-wechat_secret]').fill(SECRET)
  await page.locator('[data-testid=wx-wechat_api_base]').fill(fake.base)
  await page.locator('[data-testid=wx-wechat_oauth_url]').fill(`${fake.base}/connect/oauth2/authorize`)
  await page.locator('[data-testid=wx-wechat_redirect_url]').fill(url('/m/wechat'))
  await form.getByRole('textbox', { name: '政治生日 模板 ID' }).fill('TPL_BDAY_E2E')
  await form.getByRole('textbox', { name: '通知 模板 ID' }).fill('TPL_NOTICE_E2E')
  await form.getByRole('textbox', { name: '政治生日 字段对应（模板字段:参数）' }).fill('thing1:name,number2:years')
  await page.locator('[data-testid=wx-save]').click()
  await page.getByText('已保存').first().waitFor()
  await form.getByText('已配置').waitFor()
  const s = await page.evaluate(async () => (await (await fetch('/api/v1/messages/settings')).json()))
  const by = Object.fromEntries(s.items.map((i) => [i.key, i]))
  assert.equal(by.wechat_appid.value, APPID)
  assert.equal(by.wechat_secret.value, null)
  assert.equal(by.wechat_secret.set, true)
  assert.equal(by.wechat_tpl_notice.value, 'TPL_NOTICE_E2E')
  assert.ok(!JSON.stringify(s).includes(SECRET))
  await settle(page)
  await page.screenshot({ path: screenshotPath('wechat-settings'), fullPage: true })
  clean(problems, 'wechat settings')
})

test('绑定微信 on the phone: the OAuth2 round trip links the member; unlinking removes it', { skip: skipAll }, async () => {
  const { page, problems } = await freshPage(browser.context, { viewport: PHONE })
  await login(page, accounts.member)
  await page.goto(url('/m/me'))
  await page.locator('[data-testid=me-wechat]').click()
  await page.locator('[data-testid=wx-state]').getByText('尚未绑定微信').waitFor()
  fake.visitor = `oE2E_${process.pid}`
  await page.locator('[data-testid=wx-bind]').click()
  await page.locator('[data-testid=wx-state]').getByText('已绑定微信').waitFor()
  assert.ok(!page.url().includes('code='), page.url())
  const me = await page.evaluate(async () => (await (await fetch('/api/v1/me/wechat')).json()))
  assert.equal(me.linked, true)
  assert.equal(me.current, true)
  assert.equal(fake.oauth.at(-1).appid, APPID)
  await settle(page)
  await page.screenshot({ path: screenshotPath('wechat-phone'), fullPage: true })
  await page.locator('[data-testid=wx-unlink]').click()
  await page.getByRole('button', { name: '确定' }).click()
  await page.locator('[data-testid=wx-state]').getByText('尚未绑定微信').waitFor()
  clean(problems, 'wechat phone')
})

test('公众号版块: the district\'s sections with their items; an item added and the menu pushed to WeChat', { skip: skipAll || (!accounts.admin && 'set DJ_ADMIN_*') }, async () => {
  const { page, problems } = await freshPage(browser.context, { viewport: DESKTOP })
  await login(page, accounts.admin)
  await page.goto(url('/outbox'))
  await page.getByRole('tab', { name: '公众号版块' }).click()
  const box = page.locator('[data-testid=wechat-sections]')
  const study = box.locator('.sec', { hasText: '学习园地' })
  await study.waitFor()
  await study.getByRole('textbox', { name: '栏目项名称' }).fill('党史学习')
  await study.getByRole('textbox', { name: '目标' }).fill('/m/study')
  await study.getByRole('button', { name: '添加栏目项' }).click()
  await study.getByText('党史学习').waitFor()
  const menus = fake.menus.length
  await page.locator('[data-testid=wx-push]').click()
  await page.getByText('菜单已推送').waitFor()
  assert.equal(fake.menus.length, menus + 1)
  const pushed = fake.menus.at(-1)
  assert.deepEqual(pushed.button.map((b) => b.name), ['学习园地', '党员服务', '组工动态'])
  assert.ok(pushed.button[0].sub_button.some((x) => x.name === '党史学习' && x.url.endsWith('/m/study')))
  await page.locator('[data-testid=wx-last-push]').getByText('成功').waitFor()
  await settle(page)
  await page.screenshot({ path: screenshotPath('wechat-sections'), fullPage: true })
  clean(problems, 'wechat sections')
})
