import { createRouter, createWebHistory } from 'vue-router'
import { useSessionStore } from '../stores/session.js'
import { setAuthHooks } from '../api/client.js'
import { PAGE_PERMS } from '../permissions.js'
import { t, loadAllMessages } from '../i18n/index.js'

const AdminLayout = () => import('../layouts/AdminLayout.vue')
const MobileLayout = () => import('../layouts/MobileLayout.vue')

const routes = [
  { path: '/login', name: 'login', component: () => import('../views/LoginView.vue'), meta: { public: true, title: 'login.title' } },
  { path: '/password', name: 'password', component: () => import('../views/ChangePasswordView.vue'), meta: { title: 'password.title' } },
  { path: '/totp', name: 'totp', component: () => import('../views/TotpEnrolView.vue'), meta: { title: 'totp.title' } },
  {
    path: '/',
    component: AdminLayout,
    children: [
      { path: '', name: 'home', component: () => import('../views/ForbiddenView.vue'), meta: { title: 'nav.home' } },
      { path: 'dashboard', name: 'dashboard', component: () => import('../views/HomeView.vue'), meta: { title: 'nav.dashboard', perms: PAGE_PERMS.dashboard, icon: 'HomeFilled' } },
      { path: 'orgs', name: 'orgs', component: () => import('../views/OrgsView.vue'), meta: { title: 'nav.orgs', perms: PAGE_PERMS.orgs, icon: 'OfficeBuilding' } },
      { path: 'members', name: 'members', component: () => import('../views/MembersView.vue'), meta: { title: 'nav.members', perms: PAGE_PERMS.members, icon: 'User' } },
      { path: 'meetings', name: 'meetings', component: () => import('../views/MeetingsView.vue'), meta: { title: 'nav.meetings', perms: PAGE_PERMS.meetings, icon: 'Calendar' } },
      { path: 'stats', name: 'stats', component: () => import('../views/StatsView.vue'), meta: { title: 'nav.stats', perms: PAGE_PERMS.stats, icon: 'PieChart' } },
      { path: 'transfers', name: 'transfers', component: () => import('../views/TransfersView.vue'), meta: { title: 'nav.transfers', perms: PAGE_PERMS.transfers, icon: 'Switch' } },
      { path: 'report', name: 'report', component: () => import('../views/ReportView.vue'), meta: { title: 'nav.report', perms: PAGE_PERMS.report, icon: 'Document' } },
      { path: 'users', name: 'users', component: () => import('../views/UsersView.vue'), meta: { title: 'nav.users', perms: PAGE_PERMS.users, icon: 'Avatar' } },
      { path: 'audit', name: 'audit', component: () => import('../views/AuditView.vue'), meta: { title: 'nav.audit', perms: PAGE_PERMS.audit, icon: 'Tickets' } },
      // 发展党员 (issue 13) and the working-day calendar
      { path: 'development', name: 'development', component: () => import('../views/DevelopmentView.vue'), meta: { title: 'dev.title', perms: PAGE_PERMS.development, icon: 'Avatar' } },
      { path: 'calendar', name: 'calendar', component: () => import('../views/CalendarView.vue'), meta: { title: 'calendar.title', perms: PAGE_PERMS.calendar, icon: 'Tickets' } },
      // bases (issue 17)
      { path: 'bases', name: 'bases', component: () => import('../views/BasesView.vue'), meta: { title: 'bases.nav.directory', perms: PAGE_PERMS.bases, icon: 'Flag' } },
      { path: 'base-queue', name: 'baseQueue', component: () => import('../views/BaseQueueView.vue'), meta: { title: 'bases.nav.queue', perms: PAGE_PERMS.baseQueue, icon: 'Stamp' } },
      { path: 'base-bookings', name: 'baseBookings', component: () => import('../views/BaseBookingsView.vue'), meta: { title: 'bases.nav.bookings', perms: PAGE_PERMS.baseBookings, icon: 'Calendar' } },
      { path: 'services', name: 'services', component: () => import('../views/ServicesQueueView.vue'), meta: { title: 'nav.services', perms: PAGE_PERMS.services, icon: 'Service' } },
      { path: 'services/map', name: 'servicesMap', component: () => import('../views/ServicesMapView.vue'), meta: { title: 'nav.servicesMap', perms: PAGE_PERMS.servicesMap, icon: 'MapLocation' } },
      { path: 'services/catalog', name: 'servicesCatalog', component: () => import('../views/ServicesCatalogView.vue'), meta: { title: 'nav.servicesCatalog', perms: PAGE_PERMS.servicesCatalog, icon: 'List' } },
      { path: 'outbox', name: 'outbox', component: () => import('../views/OutboxView.vue'), meta: { title: 'msg.nav', perms: PAGE_PERMS.outbox, icon: 'Message' } },
      { path: 'study', name: 'study', component: () => import('../views/StudyView.vue'), meta: { title: 'study.nav', perms: PAGE_PERMS.study, icon: 'Reading' } },
      { path: 'forbidden', name: 'forbidden', component: () => import('../views/ForbiddenView.vue'), meta: { title: 'forbidden.title' } },
    ]
  },
  {
    path: '/m',
    component: MobileLayout,
    children: [
      { path: '', redirect: '/m/me' },
      { path: 'me', name: 'me', component: () => import('../views/MeView.vue'), meta: { title: 'me.title' } },
      { path: 'inbox', name: 'inbox', component: () => import('../views/InboxView.vue'), meta: { title: 'msg.inbox' } },
      { path: 'transfers', name: 'me-transfers', component: () => import('../views/MeTransfersView.vue'), meta: { title: 'transfer.me.title' } },
      // 发展党员: the member's own progress
      { path: 'development', name: 'my-development', component: () => import('../views/MyDevelopmentView.vue'), meta: { title: 'dev.mine' } },
      { path: 'study', name: 'mstudy', component: () => import('../views/StudyPhoneView.vue'), meta: { title: 'study.phoneTitle' } },
      // bases (issue 17)
      { path: 'visits', name: 'myVisits', component: () => import('../views/MyVisitsView.vue'), meta: { title: 'bases.nav.visits' } },
      // WeChat Official Account (公众号): link the member's openid (the OAuth2 redirect lands here)
      { path: 'wechat', name: 'mwechat', component: () => import('../views/WechatBindView.vue'), meta: { title: 'wechat.phoneTitle' } },
      { path: 'tasks', name: 'tasks', component: () => import('../views/ServiceTasksView.vue'), meta: { title: 'svc.tasks' } },
    ]
  },
  // services (issue 18): the residents' phone pages, no account
  {
    path: '/s',
    component: MobileLayout,
    children: [
      { path: '', name: 'resident', component: () => import('../views/ResidentServiceView.vue'), meta: { public: true, title: 'svc.resident' } },
      { path: 'follow/:id', name: 'residentFollow', component: () => import('../views/ResidentFollowView.vue'), meta: { public: true, title: 'svc.follow' } },
    ]
  },
  { path: '/:pathMatch(.*)*', name: 'notfound', component: () => import('../views/NotFoundView.vue'), meta: { public: true, title: 'notFound.title' } }
]

// the side menu in this order (one per line, each ending with a comma: branches merge)
export const MENU_ROUTES = [
  'dashboard',
  'orgs',
  'members',
  'development',
  'transfers',
  'meetings',
  'bases',
  'baseQueue',
  'baseBookings',
  'services',
  'servicesMap',
  'servicesCatalog',
  'stats',
  'report',
  'calendar',
  'outbox',
  'study',
  'users',
  'audit',
]

export const router = createRouter({
  history: createWebHistory(),
  routes,
  scrollBehavior: () => ({ top: 0 })
})

/** Only local paths are accepted as redirect targets (no open redirect). */
export function safeRedirect(r) {
  if (typeof r !== 'string' || !r.startsWith('/') || r.startsWith('//') || r.startsWith('/\\')) return null
  if (r.startsWith('/login')) return null
  return r
}

export function homeFor(session) {
  for (const name of MENU_ROUTES) {
    const rec = routes[3].children.find((c) => c.name === name)
    if (session.canAny(rec.meta.perms)) return { name }
  }
  return { name: 'me' }
}

router.beforeEach(async (to) => {
  const s = useSessionStore()
  // at once, not one after the other (a phone's round trips, issue 20 #23): the rest of
  // zh-CN.js (every page but the login page speaks with it), the session, and the page's
  // own chunks (fetched here, they are in when the router resolves them after this guard)
  const waits = []
  if (to.name !== 'login') waits.push(loadAllMessages().catch(() => {}))
  if (!s.loaded) waits.push(s.load().catch(() => { /* unreachable server: the login page will say so when used */ }))
  for (const r of to.matched) {
    const c = r.components?.default
    if (typeof c === 'function' && !c.prototype && !c.__vccOpts) c()?.catch?.(() => {})
  }
  await Promise.all(waits)
  if (to.meta.public) {
    if (to.name === 'login' && s.loggedIn) {
      return safeRedirect(to.query.redirect) || homeFor(s)
    }
    return true
  }
  if (!s.loggedIn) return { name: 'login', query: { redirect: to.fullPath } }
  if (s.mustChangePassword && to.name !== 'password') {
    return { name: 'password', query: { redirect: to.name === 'home' ? undefined : to.fullPath } }
  }
  if (!s.mustChangePassword && s.needsTotpEnrolment && to.name !== 'totp' && to.name !== 'password') {
    return { name: 'totp', query: { redirect: to.name === 'home' ? undefined : to.fullPath } }
  }
  if (to.name === 'home') return homeFor(s)
  if (to.meta.perms && !s.canAny(to.meta.perms)) return { name: 'forbidden' }
  return true
})

router.afterEach((to) => {
  const app = t('app.name')
  document.title = to.meta.title ? `${t(to.meta.title)} - ${app}` : app
})

setAuthHooks({
  unauthenticated() {
    const s = useSessionStore()
    s.clear()
    const cur = router.currentRoute.value
    if (cur.name === 'login') return
    router.push({ name: 'login', query: { redirect: cur.fullPath, reason: 'expired' } })
  },
  passwordChangeRequired() {
    const s = useSessionStore()
    if (s.user) s.user.must_change_password = true
    const cur = router.currentRoute.value
    if (cur.name !== 'password') router.push({ name: 'password', query: { redirect: cur.fullPath } })
  },
  totpEnrolmentRequired() {
    const s = useSessionStore()
    if (s.user) {
      s.user.totp_required = true
      s.user.totp_enrolled = false
    }
    const cur = router.currentRoute.value
    if (cur.name !== 'totp') router.push({ name: 'totp', query: { redirect: cur.fullPath } })
  }
})
