// English messages: the structure mirrors zh-CN.js; keys missing here fall back to zh-CN.
export default {
  app: { name: 'Party Building Service Platform', short: 'PB', subtitle: 'Urban grassroots Party building' },
  common: { ok: 'OK', cancel: 'Cancel', save: 'Save', search: 'Search', reset: 'Reset', prevPage: 'Previous', nextPage: 'Next', firstPage: 'First', lastPage: 'Last', jumpTo: 'Go to', jumpPageUnit: '', jumpGo: 'Go', total: '{n} in total' },
  nav: { dashboard: 'Home', report: 'Yearly report', orgs: 'Organizations', members: 'Members', stats: 'Statistics', users: 'Users & roles', audit: 'Audit log', me: 'Me', changePassword: 'Change password', logout: 'Sign out' },
  login: { title: 'Sign in', username: 'Username', password: 'Password', submit: 'Sign in' }
}
