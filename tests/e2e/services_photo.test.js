// services_photo.test.js: the resident's photo on the phone page (issue 18) in chromium:
// a camera-sized JPEG (4000×3000, made in the page) is downsized before upload (≤ 1920 px,
// JPEG 0.85), previewed, removed and picked again; a file that is no photo is refused with
// a Chinese message; the filed request shows the photo event, and the stored photo is the
// downsized one (read from the database). Screenshots (phone viewport) into
// tests/e2e/screenshots/services-photo-*.png.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { launch, freshPage, settle, screenshotPath, PHONE } from './lib/browser.js'
import { url } from './lib/app.js'

const READY = process.env.DJ_BASE_URL && process.env.DJ_E2E_DB
const skip = READY ? false : 'set DJ_BASE_URL and DJ_E2E_DB (tests/e2e/run.mjs) to run the browser tests'
let browser

before(async () => { if (!skip) browser = await launch() })
after(async () => { if (browser) await browser.close() })

const sql = (q) => spawnSync('sqlite3', ['-readonly', process.env.DJ_E2E_DB, q], { encoding: 'utf8' }).stdout.trim()

async function shot(page, name) {
  await settle(page)
  await page.screenshot({ path: screenshotPath(name), fullPage: true })
}

// a 4000×3000 JPEG as a phone camera makes it (noise, so that it is megabytes), drawn in the page
async function cameraJpeg(page) {
  const b64 = await page.evaluate(async () => {
    const c = document.createElement('canvas')
    c.width = 4000
    c.height = 3000
    const g = c.getContext('2d')
    const img = g.createImageData(4000, 3000)
    let s = 7
    for (let i = 0; i < img.data.length; i += 4) {
      s = (s * 1103515245 + 12345) & 0x7fffffff
      const y = Math.floor(i / 16000)
      img.data[i] = (y / 12 + (s & 15)) & 255
      img.data[i + 1] = ((s >> 8) & 15) + 120
      img.data[i + 2] = 200 - (s & 15)
      img.data[i + 3] = 255
    }
    g.putImageData(img, 0, 0)
    const blob = await new Promise((r) => c.toBlob(r, 'image/jpeg', 0.92))
    const bytes = new Uint8Array(await blob.arrayBuffer())
    let bin = ''
    for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
    return btoa(bin)
  })
  return Buffer.from(b64, 'base64')
}

test('services photo: a camera photo is downsized, previewed, removable; a non-photo is refused in Chinese; the filed request has it', { skip }, async () => {
  const { page, problems } = await freshPage(browser.context, { viewport: PHONE })
  await page.goto(url('/s'))
  await settle(page)
  const big = await cameraJpeg(page)
  assert.ok(big.length > 1024 * 1024, `camera JPEG ${big.length} bytes`)
  await page.locator('[data-test=service] .el-select__wrapper').click()
  await page.locator('.el-select-dropdown__item:visible').first().click()
  await page.locator('[data-test=description]').fill('小区门口路灯不亮，附照片。')
  await page.locator('[data-test=grid] .el-select__wrapper').click()
  await page.locator('.el-select-dropdown__item:visible').filter({ hasText: '网格' }).first().click()
  await page.locator('[data-test=mobile]').fill('13712345670')
  // the picker: camera and album buttons, the limits said
  assert.match(await page.locator('[data-test=photo-picker]').innerText(), /拍照[\s\S]*从相册选择[\s\S]*不超过 8 MB/)
  await shot(page, 'services-photo-picker')

  // not a photo: refused on the phone, in Chinese, nothing kept
  await page.locator('[data-test=photo]').setInputFiles({ name: 'x.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('这不是照片') })
  await page.locator('[data-test=photo-error]').waitFor()
  assert.match(await page.locator('[data-test=photo-error]').innerText(), /只能上传 JPEG、PNG 或 WebP 照片/)
  assert.equal(await page.locator('[data-test=photo-preview]').count(), 0)
  await shot(page, 'services-photo-refused')

  // the camera's photo: downsized before upload, previewed with its sizes
  await page.locator('[data-test=photo]').setInputFiles({ name: 'IMG_0001.jpg', mimeType: 'image/jpeg', buffer: big })
  await page.locator('[data-test=photo-preview]').waitFor()
  assert.equal(await page.locator('[data-test=photo-error]').count(), 0)
  assert.match(await page.locator('[data-test=photo-size]').innerText(), /已压缩：[\d.]+ MB → [\d.]+ [KM]B/)
  await shot(page, 'services-photo-preview')
  // removed, then picked again
  await page.locator('[data-test=photo-remove]').click()
  await page.locator('[data-test=photo-camera]').waitFor()
  assert.equal(await page.locator('[data-test=photo-preview]').count(), 0)
  await page.locator('[data-test=photo]').setInputFiles({ name: 'IMG_0001.jpg', mimeType: 'image/jpeg', buffer: big })
  await page.locator('[data-test=photo-preview]').waitFor()

  await page.locator('[data-test=submit]').click()
  await page.locator('[data-test=done]').waitFor()
  const text = await page.locator('[data-test=done]').innerText()
  const id = text.match(/编号：\s*(\d+)/)[1]
  assert.equal(await page.locator('[data-test=photo-failed]').count(), 0)
  await shot(page, 'services-photo-filed')
  // what the server stored: the downsized JPEG (1920 on the long side), with a thumbnail
  const row = sql(`SELECT f.width, f.height, f.size, f.thumb_size FROM svc_requests r JOIN files f ON f.id = r.media_file_id WHERE r.id = ${id}`).split('|').map(Number)
  assert.equal(row[0], 1920, `stored ${row}`)
  assert.equal(row[1], 1440, `stored ${row}`)
  assert.ok(row[2] < big.length / 2 && row[3] > 0, `stored ${row} from ${big.length}`)
  await page.getByRole('link', { name: '查看进度' }).click()
  await page.locator('[data-test=follow]').waitFor()
  assert.match(await page.locator('[data-test=follow]').innerText(), /居民上传了照片/)
  assert.deepEqual(problems.csp, [], 'CSP violations')
  assert.deepEqual(problems.pageErrors, [], 'uncaught page errors')
  assert.deepEqual(problems.console, [], 'console errors')
})
