// The signed-in session: user, roles, permissions and the CSRF token.
import { defineStore } from 'pinia'
import { api } from '../api/index.js'
import { setCsrfToken } from '../api/client.js'

export const useSessionStore = defineStore('session', {
  state: () => ({
    loaded: false,
    user: null,
    roles: [],
    permissions: [],
    // the one-time password typed at login, kept in memory only so that the
    // forced change-password form need not ask for it again
    pendingOldPassword: ''
  }),
  getters: {
    loggedIn: (s) => !!s.user,
    mustChangePassword: (s) => !!s.user?.must_change_password,
    needsTotpEnrolment: (s) => !!(s.user?.totp_required && !s.user?.totp_enrolled),
    displayName: (s) => s.user?.name || s.user?.username || '',
    /** The organizations the user's roles are anchored at (scope roots). */
    scopeOrgs: (s) => {
      const seen = new Map()
      for (const r of s.roles || []) {
        if (r.org_id != null && !seen.has(r.org_id)) seen.set(r.org_id, { id: r.org_id, name: r.org_name })
      }
      return [...seen.values()]
    }
  },
  actions: {
    can(perm) {
      return this.permissions.includes(perm)
    },
    canAny(perms) {
      if (!perms || perms.length === 0) return true
      return perms.some((p) => this.permissions.includes(p))
    },
    apply(session) {
      this.user = session?.user || null
      this.roles = session?.roles || []
      this.permissions = session?.permissions || []
      setCsrfToken(session?.csrf_token || null)
      this.loaded = true
    },
    clear() {
      this.user = null
      this.roles = []
      this.permissions = []
      this.pendingOldPassword = ''
      setCsrfToken(null)
      this.loaded = true
    },
    async load() {
      try {
        this.apply(await api.getSession())
      } catch (e) {
        if (e.status === 401) this.clear()
        else {
          // server unreachable or failing: treat as signed out but let the page say why
          this.clear()
          throw e
        }
      }
    },
    async logout() {
      try {
        await api.logout()
      } catch {
        /* the session may already be gone */
      }
      this.clear()
    }
  }
})
