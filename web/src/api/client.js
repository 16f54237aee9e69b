// HTTP client for the dangjian JSON API (docs/api-contract.md).
// - same-origin cookie session; the CSRF token from the session reply goes in
//   X-CSRF-Token on every state-changing request;
// - errors are RFC 9457 problem+json and surface as ApiError {status, code, detail, errors[]};
// - 401 unauthenticated sends the user to the login page, 403 password_change_required
//   to the change-password page, 403 totp_enrolment_required to TOTP enrolment.
// Server data is never treated as HTML anywhere in the app.

export const API_BASE = '/api/v1'

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

let csrfToken = null
let hooks = {
  unauthenticated: null,
  passwordChangeRequired: null,
  totpEnrolmentRequired: null
}

export function setCsrfToken(token) {
  csrfToken = token || null
}

export function setAuthHooks(h) {
  hooks = { ...hooks, ...h }
}

export class ApiError extends Error {
  constructor(status, problem = {}) {
    super(problem.detail || problem.title || `HTTP ${status}`)
    this.name = 'ApiError'
    this.status = status
    this.code = problem.code || (status ? `http_${status}` : 'network_error')
    this.title = problem.title || ''
    this.detail = problem.detail || ''
    this.errors = Array.isArray(problem.errors) ? problem.errors : []
    this.problem = problem
    this.handled = false
  }

  /** {field: message} for form items; the first message per field wins. */
  fieldErrors() {
    const out = {}
    for (const e of this.errors) {
      if (e && e.field && !(e.field in out)) out[e.field] = e.message || e.code || ''
    }
    return out
  }
}

export function buildQuery(query) {
  if (!query) return ''
  const p = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue
    if (Array.isArray(v)) v.forEach((x) => p.append(k, String(x)))
    else if (typeof v === 'boolean') p.append(k, v ? '1' : '0')
    else p.append(k, String(v))
  }
  const s = p.toString()
  return s ? `?${s}` : ''
}

export function apiUrl(path, query) {
  return API_BASE + path + buildQuery(query)
}

async function readProblem(res) {
  const ct = res.headers.get('content-type') || ''
  if (ct.includes('json')) {
    try {
      return await res.json()
    } catch {
      return {}
    }
  }
  return {}
}

/**
 * request(method, path, opts)
 *   opts.query   object → query string (empty values dropped)
 *   opts.body    JSON-serialisable body
 *   opts.raw     Blob/File/ArrayBuffer sent as is (opts.contentType)
 *   opts.blob    true → resolve {blob, filename, contentType}
 *   opts.quiet   true → no redirect on 401 (session probe)
 */
export async function request(method, path, opts = {}) {
  method = method.toUpperCase()
  const headers = { Accept: 'application/json, application/problem+json' }
  let body
  if (opts.raw !== undefined) {
    body = opts.raw
    headers['Content-Type'] = opts.contentType || 'application/octet-stream'
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body)
    headers['Content-Type'] = 'application/json'
  }
  if (WRITE_METHODS.has(method) && csrfToken) headers['X-CSRF-Token'] = csrfToken
  if (opts.blob) headers.Accept = '*/*'

  let res
  try {
    res = await fetch(apiUrl(path, opts.query), {
      method,
      headers,
      body,
      credentials: 'same-origin',
      cache: 'no-store',
      redirect: 'error'
    })
  } catch (e) {
    throw new ApiError(0, { code: 'network_error' })
  }

  if (!res.ok) {
    const problem = await readProblem(res)
    const err = new ApiError(res.status, problem)
    if (!opts.quiet) dispatchAuthError(err)
    throw err
  }
  if (opts.blob) {
    const blob = await res.blob()
    return {
      blob,
      filename: filenameFrom(res.headers.get('content-disposition')),
      contentType: res.headers.get('content-type') || ''
    }
  }
  if (res.status === 204) return null
  const ct = res.headers.get('content-type') || ''
  if (ct.includes('json')) return res.json()
  return res.text()
}

function dispatchAuthError(err) {
  if (err.status === 401 && err.code === 'unauthenticated' && hooks.unauthenticated) {
    err.handled = true
    hooks.unauthenticated(err)
  } else if (err.status === 403 && err.code === 'password_change_required' && hooks.passwordChangeRequired) {
    err.handled = true
    hooks.passwordChangeRequired(err)
  } else if (err.status === 403 && err.code === 'totp_enrolment_required' && hooks.totpEnrolmentRequired) {
    err.handled = true
    hooks.totpEnrolmentRequired(err)
  }
}

/** RFC 6266 filename from Content-Disposition (filename* preferred). */
export function filenameFrom(cd) {
  if (!cd) return ''
  const star = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(cd)
  if (star) {
    try {
      return decodeURIComponent(star[1].trim())
    } catch {
      /* fall through */
    }
  }
  const plain = /filename\s*=\s*"?([^";]+)"?/.exec(cd)
  return plain ? plain[1].trim() : ''
}

export const http = {
  get: (path, query, opts = {}) => request('GET', path, { ...opts, query }),
  post: (path, body, opts = {}) => request('POST', path, { ...opts, body }),
  put: (path, body, opts = {}) => request('PUT', path, { ...opts, body }),
  patch: (path, body, opts = {}) => request('PATCH', path, { ...opts, body }),
  del: (path, opts = {}) => request('DELETE', path, opts)
}
