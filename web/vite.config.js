// Vite build for the dangjian front end. The production bundle is served by the
// C binary from web/dist under CSP `default-src 'self'`, so nothing may be inline:
// no inline script (the modulepreload polyfill is off), CSS goes to files.
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
// Element Plus on demand (issue 20 #23): each component a page's template uses is imported
// with its own CSS by that page's chunk, instead of the whole library and its 350 KB of
// CSS for every page; tools/bundle-budget.mjs checks what the login page and 我的 load.
import { pathToFileURL, fileURLToPath } from 'node:url'
import { readFileSync } from 'node:fs'
import Components from 'unplugin-vue-components/vite'
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers'
import { baseCompile } from '@intlify/message-compiler'

// The Chinese strings in two modules made from src/i18n/zh-CN.js (still one file to edit):
// 'virtual:zh-cn-core', what the pages before signing in say (in the entry chunk), and
// 'virtual:zh-cn-rest', everything else, loaded by the router when the user leaves them
// (issue 20 #23: the login page's JavaScript budget).
const ZH = fileURLToPath(new URL('./src/i18n/zh-CN.js', import.meta.url))
const I18N_DIR = fileURLToPath(new URL('./src/i18n/', import.meta.url))
const I18N_INDEX = fileURLToPath(new URL('./src/i18n/index.js', import.meta.url))
// Messages precompiled here into vue-i18n's AST (what @intlify/unplugin-vue-i18n does), so
// the bundle leaves out vue-i18n's message compiler (__INTLIFY_DROP_MESSAGE_COMPILER__:
// ~9 KB gzip off every page). A message without {, }, @ or | stays a string: vue-i18n
// shows such a string as it is. A message that does not compile fails the build.
function precompile(v, path = '') {
  if (typeof v === 'string') {
    if (!/[{}@|]/.test(v)) return v
    const { ast } = baseCompile(v, {
      jit: true,
      minify: true,
      location: false,
      onError: (e) => { throw new Error(`i18n message ${path}: ${e.message}`) }
    })
    return ast
  }
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, precompile(x, path ? `${path}.${k}` : k)]))
  return v
}
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
      return `export default ${JSON.stringify(precompile(part))}`
    },
    // any other messages file of src/i18n/ imported as a module (en.js; a branch's own):
    // precompiled too, or its placeholders would show as written without the compiler
    async transform(code, id) {
      if (!id.startsWith(I18N_DIR) || id === I18N_INDEX || !id.endsWith('.js')) return null
      const msgs = (await import(`${pathToFileURL(id)}?t=${Date.now()}`)).default
      if (!msgs || typeof msgs !== 'object') return null
      return { code: `export default ${JSON.stringify(precompile(msgs))}`, map: null }
    }
  }
}

// @element-plus/icons-vue is one module holding every icon, so Rolldown put every icon any
// page uses (Element Plus's own among them) into one chunk that the login page loaded too
// (24 KB of SVG paths). Each `import { A, B as C } from '@element-plus/icons-vue'` (ours and
// Element Plus's) becomes one import per icon of a module cut out of the package's
// dist/index.js (a block per icon there, each with its own imports), so an icon comes
// with the chunks that use it.
const ICONS = fileURLToPath(new URL('./node_modules/@element-plus/icons-vue/dist/index.js', import.meta.url))
function epIconsSplit() {
  let blocks = null
  const load = () => {
    if (blocks) return blocks
    const src = readFileSync(ICONS, 'utf8')
    const exp = src.slice(src.lastIndexOf('export {'))
    const local = Object.fromEntries([...exp.matchAll(/(\w+) as (\w+)/g)].map((m) => [m[2], m[1]]))
    const body = {}
    for (const part of src.slice(0, src.lastIndexOf('export {')).split(/\n(?=\/\/ src\/components\/)/)) {
      const m = part.match(/\}\), (\w+_default) = _sfc_main\d*;\s*$/)
      if (m) body[m[1]] = part
    }
    blocks = { local, body }
    return blocks
  }
  const IMPORT = /import\s*\{([^}]*)\}\s*from\s*['"]@element-plus\/icons-vue['"];?/g
  return {
    name: 'dj-ep-icons-split',
    enforce: 'post',
    resolveId: (id) => (id.startsWith('virtual:ep-icon/') ? '\0' + id : null),
    load(id) {
      if (!id.startsWith('\0virtual:ep-icon/')) return null
      const name = id.slice('\0virtual:ep-icon/'.length)
      const { local, body } = load()
      const v = local[name]
      if (!v || !body[v]) throw new Error(`@element-plus/icons-vue: no icon ${name}`)
      return `${body[v]}\nexport default ${v};\n`
    },
    transform(code, id) {
      if (!code.includes('@element-plus/icons-vue') || id.startsWith('\0')) return null
      const out = code.replace(IMPORT, (_, list) =>
        list.replace(/\/\/[^\n]*|\/\*[\s\S]*?\*\//g, '').split(',').map((x) => x.trim()).filter(Boolean).map((x) => {
          const [name, as] = x.split(/\s+as\s+/)
          return `import ${as || name} from 'virtual:ep-icon/${name}';`
        }).join('\n'))
      return out === code ? null : { code: out, map: null }
    }
  }
}

export default defineConfig({
  plugins: [
    zhSplit(),
    epIconsSplit(),
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
    __INTLIFY_DROP_MESSAGE_COMPILER__: 'true' // messages precompiled (precompile above)
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
