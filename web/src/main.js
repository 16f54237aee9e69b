import { createApp } from 'vue'
import { createPinia } from 'pinia'
import ElementPlus from 'element-plus'
import zhCn from 'element-plus/es/locale/lang/zh-cn'
import 'element-plus/dist/index.css'
import './styles/main.css'

import App from './App.vue'
import { router } from './router/index.js'
import { i18n } from './i18n/index.js'

const app = createApp(App)
app.use(createPinia())
app.use(i18n)
app.use(ElementPlus, { locale: zhCn })
app.use(router)
app.mount('#app')
