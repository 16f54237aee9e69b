// Keyset paging state for list pages: a stack of cursors (page 1 has none),
// the reply's next_cursor and total. `go(+1|-1)` moves one page.
import { reactive } from 'vue'

export function useKeyset(fetchPage) {
  const st = reactive({ stack: [null], next: null, total: 0, items: [], loading: false, limit: 20 })
  async function load() {
    st.loading = true
    try {
      const cursor = st.stack[st.stack.length - 1]
      const r = await fetchPage({ cursor, limit: st.limit })
      st.items = r?.items || []
      st.next = r?.next_cursor || null
      st.total = typeof r?.total === 'number' ? r.total : st.items.length
    } catch (e) {
      // a failed query leaves no rows of the previous one on screen (issue 20 #17)
      st.items = []
      st.next = null
      st.total = 0
      throw e
    } finally {
      st.loading = false
    }
  }
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
  function setLimit(n) {
    st.limit = n
    return reset()
  }
  return { st, load, reset, next, prev, setLimit }
}
