// Keyset paging state for list pages: a stack of cursors (page 1 has none),
// the reply's next_cursor and total. `next`/`prev` move one page. A list whose API
// answers a page by number (GET /members ?page=N, ?last=1: issue 20 #14, the server
// finds the keyset cursor before it) can also jump: `goTo(n)`, `last()`. A page reached
// by a jump has no cursor of its own (undefined in the stack): it, and the pages before
// it, are asked for by number; the pages after it by the replies' next_cursor.
import { reactive } from 'vue'

export function useKeyset(fetchPage) {
  const st = reactive({ stack: [null], next: null, total: 0, pages: 1, items: [], loading: false, failed: false, limit: 20 })
  async function fetchAt(last) {
    st.loading = true
    st.failed = false
    try {
      const cursor = st.stack[st.stack.length - 1]
      const arg = last ? { limit: st.limit, last: 1 }
        : cursor === undefined ? { limit: st.limit, page: st.stack.length }
        : { cursor, limit: st.limit }
      const r = await fetchPage(arg)
      st.items = r?.items || []
      st.next = r?.next_cursor || null
      st.total = typeof r?.total === 'number' ? r.total : st.items.length
      st.pages = r?.pages || Math.max(1, Math.ceil(st.total / st.limit))
      if (last && r?.page) st.stack = stackFor(r.page)
    } catch (e) {
      // a failed query leaves no rows of the previous one on screen (issue 20 #17)
      st.items = []
      st.next = null
      st.total = 0
      st.pages = 1 // nor its page count ("第 1 / 21 页" over an empty table)
      st.failed = true // the table says the query failed, not that nothing matched
      throw e
    } finally {
      st.loading = false
    }
  }
  function stackFor(n) {
    const s = new Array(Math.max(1, n)).fill(undefined)
    s[0] = null
    return s
  }
  const load = () => fetchAt(false)
  function reset() {
    st.stack = [null]
    return load()
  }
  function next() {
    if (!st.next) return
    st.stack.push(st.next)
    return load()
  }
  function prev() {
    if (st.stack.length <= 1) return
    st.stack.pop()
    return load()
  }
  function goTo(n) {
    n = Math.trunc(Number(n))
    if (!(n >= 1)) return
    if (n === st.stack.length + 1 && st.next) return next()
    if (n <= st.stack.length) st.stack = st.stack.slice(0, n)
    else st.stack = stackFor(n)
    return load()
  }
  function last() {
    return fetchAt(true)
  }
  function setLimit(n) {
    st.limit = n
    return reset()
  }
  return { st, load, reset, next, prev, goTo, last, setLimit }
}
