import { createI18n } from 'vue-i18n'
// zh-CN.js in two parts (vite.config.js zhSplit): the pages before signing in need only
// the core; the rest comes with the first page after them (loadAllMessages)
import zhCore from 'virtual:zh-cn-core'
import en from './en.js'

export const i18n = createI18n({
  legacy: false,
  locale: 'zh-CN',
  fallbackLocale: 'zh-CN',
  missingWarn: false,
  fallbackWarn: false,
  messages: { 'zh-CN': zhCore, en }
})

let rest = null
/** Loads the rest of the Chinese strings once; resolves when they are in. */
export function loadAllMessages() {
  if (!rest) {
    rest = import('virtual:zh-cn-rest').then((m) => i18n.global.mergeLocaleMessage('zh-CN', m.default))
    rest.catch(() => (rest = null))
  }
  return rest
}

export const t = (...args) => i18n.global.t(...args)
export const te = (key) => i18n.global.te(key)
