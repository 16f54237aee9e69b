#!/usr/bin/env node
// tools/bundle-budget.mjs [DIST]: the JavaScript a page loads, gzip-sized, against its
// budget (issue 20 #23): the login page ≤ 120 KB, 我的 (the member's phone home) ≤ 150 KB.
// A page's JavaScript is the entry chunk (index.html) and the chunks of its route's
// components (the layout, the view), each with every chunk it imports statically,
// transitively — what the browser fetches before the page shows, read from Vite's
// manifest (dist/.vite/manifest.json). Each file is gzipped at level 9, as `make web`
// precompresses it. Prints one line a page; exits 1 when a page is over its budget.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join, resolve } from 'node:path';

const DIST = resolve(process.argv[2] || new URL('../web/dist', import.meta.url).pathname);
const KB = 1024;
export const PAGES = [
  { name: 'login', budget: 120 * KB, sources: ['src/views/LoginView.vue'] },
  { name: '我的 /m/me', budget: 150 * KB, sources: ['src/layouts/MobileLayout.vue', 'src/views/MeView.vue'] },
];

const manifest = JSON.parse(readFileSync(join(DIST, '.vite/manifest.json'), 'utf8'));
const entry = Object.keys(manifest).find((k) => manifest[k].isEntry);
if (!entry) throw new Error('no entry chunk in the manifest');

function closure(keys) {
  const seen = new Set();
  const walk = (k) => {
    if (seen.has(k)) return;
    if (!manifest[k]) throw new Error(`${k}: not in the manifest`);
    seen.add(k);
    for (const i of manifest[k].imports || []) walk(i);
  };
  keys.forEach(walk);
  return [...seen].map((k) => manifest[k].file).filter((f) => f.endsWith('.js'));
}

const gz = (f) => gzipSync(readFileSync(join(DIST, f)), { level: 9 }).length;
let over = 0;
for (const p of PAGES) {
  const files = closure([entry, ...p.sources]);
  const size = files.reduce((n, f) => n + gz(f), 0);
  const ok = size <= p.budget;
  over += !ok;
  console.log(`${ok ? 'ok' : 'OVER'}  ${p.name}: ${(size / KB).toFixed(1)} KB JS gzip in ${files.length} files (budget ${p.budget / KB} KB)`);
}
process.exit(over ? 1 : 0);
