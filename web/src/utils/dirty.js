// Closing a half-filled form asks first (issue 20 #17): a snapshot of the form when it
// opened; the dialog's before-close and the cancel button go through `close`.
import { ElMessageBox } from 'element-plus'
import { t } from '../i18n/index.js'

export function useDirtyGuard(form) {
  let base = ''
  const snap = () => JSON.stringify(form)
  function snapshot() {
    base = snap()
  }
  async function close(done) {
    if (base && snap() !== base) {
      const ok = await ElMessageBox.confirm(t('common.discardText'), t('common.discardTitle'), {
        type: 'warning', confirmButtonText: t('common.discard'), cancelButtonText: t('common.keepEditing')
      }).then(() => true).catch(() => false)
      if (!ok) return
    }
    base = ''
    done()
  }
  return { snapshot, close, beforeClose: (done) => close(done) }
}
