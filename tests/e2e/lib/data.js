// Test data helpers: valid and invalid Chinese ID numbers (GB 11643), TOTP codes
// (RFC 6238) for administrator logins, unique names.
import { createHmac, randomInt } from 'node:crypto'

const W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
export function idCheckChar(first17) {
  let s = 0
  for (let i = 0; i < 17; i++) s += Number(first17[i]) * W[i]
  return '10X98765432'[s % 11]
}

/** A valid 18-character ID number for a person born on `birth` (YYYY-MM-DD), odd sequence = male. */
export function validId(birth = '1990-05-17', male = true) {
  let seq = randomInt(0, 500) * 2 + (male ? 1 : 0)
  seq = String(seq).padStart(3, '0')
  const first17 = `110105${birth.replace(/-/g, '')}${seq}`
  return first17 + idCheckChar(first17)
}

/** The same number with a wrong check character. */
export function badChecksumId(birth = '1990-05-17') {
  const good = validId(birth)
  const wrong = '10X98765432'.split('').find((c) => c !== good[17])
  return good.slice(0, 17) + wrong
}

export function uniqueSuffix() {
  return `${Date.now().toString(36).slice(-5)}${randomInt(0, 1296).toString(36)}`.toUpperCase()
}

/** Chinese-looking unique name: a surname, then letters that make it unique in this run. */
export function uniqueName(prefix = '测试') {
  return `${prefix}${uniqueSuffix()}`
}

function base32Decode(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  const clean = s.replace(/[\s=]/g, '').toUpperCase()
  let bits = 0
  let value = 0
  const out = []
  for (const ch of clean) {
    const v = alphabet.indexOf(ch)
    if (v < 0) throw new Error('bad base32')
    value = (value << 5) | v
    bits += 5
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff)
      bits -= 8
    }
  }
  return Buffer.from(out)
}

/** RFC 6238 TOTP (SHA-1, 30 s, 6 digits). */
export function totp(secret, at = Date.now()) {
  const counter = Math.floor(at / 1000 / 30)
  const msg = Buffer.alloc(8)
  msg.writeBigUInt64BE(BigInt(counter))
  const h = createHmac('sha1', base32Decode(secret)).update(msg).digest()
  const o = h[h.length - 1] & 0xf
  const code = ((h.readUInt32BE(o) & 0x7fffffff) % 1000000).toString().padStart(6, '0')
  return code
}
