import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { VitePWA } from 'vite-plugin-pwa';
import { pwaOptions } from './web/src/sw/pwa.config.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const api = process.env.API_URL ?? 'http://127.0.0.1:8080';

/**
 * The web app lives in web/ and builds to dist/web, which the API process serves (SPA fallback to
 * index.html for /, /planner, /inspector, /building/:id). In dev, /api and /ogc go to the API.
 */
export default defineConfig({
  root: fileURLToPath(new URL('./web', import.meta.url)),
  base: '/',
  publicDir: fileURLToPath(new URL('./web/public', import.meta.url)),
  plugins: [react(), VitePWA(pwaOptions)],
  build: {
    outDir: fileURLToPath(new URL('./dist/web', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 2500,
  },
  server: {
    host: '127.0.0.1',
    // node_modules sit one level above the Vite root (font files, maplibre worker).
    fs: { allow: [here] },
    proxy: {
      '/api': { target: api, changeOrigin: false },
      '/ogc': { target: api, changeOrigin: false },
    },
  },
  preview: {
    proxy: {
      '/api': { target: api, changeOrigin: false },
      '/ogc': { target: api, changeOrigin: false },
    },
  },
});
