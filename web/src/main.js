import { createApp } from 'vue'
import { createPinia } from 'pinia'
// Element Plus is imported per component by the pages that use it (vite.config.js);
// here only its base styles and those of the services called from scripts
// (ElMessage, ElMessageBox), which no template names
import 'element-plus/theme-chalk/base.css'
import 'element-plus/es/components/message/style/css'
import 'element-plus/es/components/message-box/style/css'
import './styles/main.css'

import App from './App.vue'
import { router } from './router/index.js'
import { i18n } from './i18n/index.js'

const app = createApp(App)
app.use(createPinia())
app.use(i18n)
app.use(router)
app.mount('#app')
