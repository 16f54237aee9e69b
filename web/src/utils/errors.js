// Turning an ApiError into words for the user. Known codes get our Chinese text;
// otherwise the server's Chinese `detail` is shown (as text, never HTML).
// ElMessage loaded when the first toast is due: the login page (which imports this
// file) does not carry it (issue 20 #23, its JavaScript budget)
const message = (opts) => import('element-plus/es/components/message/index.mjs').then((m) => m.ElMessage(opts))
import { nextTick, reactive } from 'vue'
import { t, te } from '../i18n/index.js'
import { ApiError } from '../api/client.js'

const OWN_TEXT_FIRST = new Set([
  'network_error', 'invalid_credentials', 'rate_limited',
  'totp_invalid', 'unauthenticated'
])

export function errorText(err) {
  if (!err) return ''
  const code = err.code || ''
  if (OWN_TEXT_FIRST.has(code) && te(`errors.${code}`)) return t(`errors.${code}`)
  if (err.detail) return err.detail
  if (code && te(`errors.${code}`)) return t(`errors.${code}`)
  if (err.status && te(`errors.http_${err.status}`)) return t(`errors.http_${err.status}`)
  if (err.title) return err.title
  return t('errors.generic', { status: err.status || '-' })
}

/** A toast (ElMessage's options), Element Plus's message loaded on first use. */
export const toast = message

/** Toast an error unless the client already redirected for it. */
export function showError(err) {
  if (!err || err.handled) return
  if (!(err instanceof ApiError)) {
    // a bug in our own code: keep the details in the console for developers
    console.error(err)
    message({ type: 'error', message: t('errors.generic', { status: '-' }) })
    return
  }
  message({ type: 'error', message: errorText(err), showClose: true, duration: 5000, grouping: true })
}

/**
 * Server field errors for a form: `errs.field` is the Chinese message to show
 * under the el-form-item of that field. `apply(err)` returns true when the error
 * carried field errors (so the caller shows a short banner rather than a toast).
 */
export function useServerErrors() {
  const errs = reactive({})
  const state = reactive({ banner: '' })
  function clear() {
    for (const k of Object.keys(errs)) delete errs[k]
    state.banner = ''
  }
  function apply(err) {
    clear()
    const fields = typeof err?.fieldErrors === 'function' ? err.fieldErrors() : {}
    Object.assign(errs, fields)
    if (Object.keys(fields).length > 0) {
      state.banner = err.detail || t('common.fixErrors')
      nextTick(() => {
        const el = document.querySelector('.el-form-item.is-error') || document.querySelector('[data-testid=form-error]')
        if (el) el.scrollIntoView({ block: 'center' })
      })
      return true
    }
    return false
  }
  function clearField(f) {
    delete errs[f]
  }
  return { errs, state, apply, clear, clearField }
}
