// Vite build for the dangjian front end. The production bundle is served by the
// C binary from web/dist under CSP `default-src 'self'`, so nothing may be inline:
// no inline script (the modulepreload polyfill is off), CSS goes to files.
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
// Element Plus on demand (issue 20 #23): each component a page's template uses is imported
// with its own CSS by that page's chunk, instead of the whole library and its 350 KB of
// CSS for every page; tools/bundle-budget.mjs checks what the login page and 我的 load.
import { pathToFileURL, fileURLToPath } from 'node:url'
import Components from 'unplugin-vue-components/vite'
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers'

// The Chinese strings in two modules made from src/i18n/zh-CN.js (still one file to edit):
// 'virtual:zh-cn-core', what the pages before signing in say (in the entry chunk), and
// 'virtual:zh-cn-rest', everything else, loaded by the router when the user leaves them
// (issue 20 #23: the login page's JavaScript budget).
const ZH = fileURLToPath(new URL('./src/i18n/zh-CN.js', import.meta.url))
export const ZH_CORE_KEYS = ['app', 'common', 'login', 'password', 'totp', 'errors', 'fieldLabels', 'notFound', 'forbidden', 'welcome']
function zhSplit() {
  const ids = { 'virtual:zh-cn-core': '\0zh-cn-core', 'virtual:zh-cn-rest': '\0zh-cn-rest' }
  return {
    name: 'dj-zh-split',
    resolveId: (id) => ids[id],
    async load(id) {
      if (id !== ids['virtual:zh-cn-core'] && id !== ids['virtual:zh-cn-rest']) return null
      this.addWatchFile(ZH)
      const all = (await import(`${pathToFileURL(ZH)}?t=${Date.now()}`)).default
      const core = id === ids['virtual:zh-cn-core']
      const part = Object.fromEntries(Object.entries(all).filter(([k]) => ZH_CORE_KEYS.includes(k) === core))
      return `export default ${JSON.stringify(part)}`
    }
  }
}

export default defineConfig({
  plugins: [
    zhSplit(),
    vue(),
    Components({ resolvers: [ElementPlusResolver({ importStyle: 'css', directives: true })], dts: false, dirs: [] })
  ],
  base: '/',
  define: {
    __VUE_OPTIONS_API__: 'true',
    __VUE_PROD_DEVTOOLS__: 'false',
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
    __VUE_I18N_FULL_INSTALL__: 'false', // no <i18n-t>, <i18n-n>, <i18n-d> in any template: t() only
    __VUE_I18N_LEGACY_API__: 'false',
    __INTLIFY_PROD_DEVTOOLS__: 'false',
    __INTLIFY_DROP_MESSAGE_COMPILER__: 'false'
  },
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    target: 'es2020',
    sourcemap: !!process.env.DJ_SOURCEMAP,
    cssCodeSplit: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    // dist/.vite/manifest.json: each chunk's imports, read by tools/bundle-budget.mjs
    manifest: true,
    chunkSizeWarningLimit: 1500,
    rolldownOptions: {
      output: {
        codeSplitting: {
          groups: [
            { name: 'echarts', test: /node_modules[\\/](echarts|zrender|tslib)[\\/]/ },
            // the directory names whole: '@vue' alone also matched '@vueuse' (Element Plus's),
            // which then came with every page
            { name: 'vue', test: /node_modules[\\/](vue|@vue|vue-router|pinia|vue-i18n|@intlify)[\\/]/ }
          ]
        }
      }
    }
  },
  server: {
    host: '127.0.0.1',
    port: 5173,
    proxy: {
      '/api': { target: 'http://127.0.0.1:8080', changeOrigin: false }
    }
  }
})
