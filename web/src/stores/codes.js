// Code tables (/codes/{table}), fetched once per table and cached for the visit.
import { defineStore } from 'pinia'
import { api } from '../api/index.js'

export const useCodesStore = defineStore('codes', {
  state: () => ({ tables: {}, pending: {} }),
  actions: {
    async load(table) {
      if (this.tables[table]) return this.tables[table]
      if (!this.pending[table]) {
        this.pending[table] = api
          .codes(table)
          .then((r) => {
            this.tables[table] = r.items || []
            return this.tables[table]
          })
          .catch(() => {
            this.tables[table] = []
            return []
          })
          .finally(() => {
            delete this.pending[table]
          })
      }
      return this.pending[table]
    },
    loadMany(tables) {
      return Promise.all(tables.map((t) => this.load(t)))
    },
    list(table) {
      return this.tables[table] || []
    },
    name(table, code) {
      if (code === null || code === undefined || code === '') return ''
      const hit = (this.tables[table] || []).find((x) => String(x.code) === String(code))
      return hit ? hit.name : String(code)
    }
  }
})
