/**
 * The service worker (vite-plugin-pwa, generateSW / Workbox), for residents on a weak phone network:
 *  - precache: the app shell (HTML, JS, CSS, the maplibre worker, icons) and the regular-weight label / text font
 *    slices (Noto Sans SC 400, woff2, ~3.7 MB); every page path falls back to the cached index.html;
 *  - runtime: map tiles cache-first (their URLs carry ?v=<data version>, so new data means new URLs), a building's
 *    plan, nearest-shelter answers, search and health network-first with a short timeout (fresh when the network
 *    answers, the last answer when it doesn't), the small map layers used for the extent, other font files on use.
 * Nothing signed-in (/api/auth, operations, inspections) is cached. Registered from web/src/sw/register.ts — a
 * bundled file, because the CSP allows no inline script.
 */
import type { VitePWAOptions } from 'vite-plugin-pwa';

const api = (path: string) => new RegExp(`^https?://[^/]+/api/${path}`);
const DAY = 24 * 3600;

export const pwaOptions: Partial<VitePWAOptions> = {
  strategies: 'generateSW',
  injectRegister: false,
  registerType: 'autoUpdate',
  filename: 'sw.js',
  manifest: {
    name: '社区疏散规划',
    short_name: '疏散规划',
    description: '查找您所在楼栋的应急避难场所与步行路线',
    lang: 'zh-CN',
    start_url: '/',
    scope: '/',
    display: 'standalone',
    background_color: '#ffffff',
    theme_color: '#0b4f8a',
    icons: [{ src: '/favicon.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'any' }],
  },
  workbox: {
    globPatterns: ['**/*.{html,js,mjs,css,svg,webmanifest}', 'assets/noto-sans-sc-*-400-normal-*.woff2'],
    globIgnores: ['**/*.map'],
    maximumFileSizeToCacheInBytes: 8 * 1024 * 1024,
    navigateFallback: '/index.html',
    navigateFallbackDenylist: [/^\/api\//, /^\/ogc\//],
    cleanupOutdatedCaches: true,
    clientsClaim: true,
    skipWaiting: true,
    runtimeCaching: [
      {
        urlPattern: api('tiles/'),
        handler: 'CacheFirst',
        method: 'GET',
        options: { cacheName: 'cep-tiles', expiration: { maxEntries: 4000, maxAgeSeconds: 60 * DAY }, cacheableResponse: { statuses: [200, 204] } },
      },
      {
        urlPattern: api('buildings/\\d+/plan'),
        handler: 'NetworkFirst',
        method: 'GET',
        options: { cacheName: 'cep-building-plans', networkTimeoutSeconds: 6, expiration: { maxEntries: 200, maxAgeSeconds: 60 * DAY }, cacheableResponse: { statuses: [200] } },
      },
      {
        urlPattern: api('(nearest|search)\\?'),
        handler: 'NetworkFirst',
        method: 'GET',
        options: { cacheName: 'cep-answers', networkTimeoutSeconds: 6, expiration: { maxEntries: 200, maxAgeSeconds: 30 * DAY }, cacheableResponse: { statuses: [200] } },
      },
      {
        urlPattern: api('health$'),
        handler: 'NetworkFirst',
        method: 'GET',
        options: { cacheName: 'cep-health', networkTimeoutSeconds: 4, expiration: { maxEntries: 2 }, cacheableResponse: { statuses: [200] } },
      },
      {
        urlPattern: api('layers/(communities|sites|zones)(\\?|$)'),
        handler: 'NetworkFirst',
        method: 'GET',
        options: { cacheName: 'cep-layers', networkTimeoutSeconds: 6, expiration: { maxEntries: 20, maxAgeSeconds: 30 * DAY }, cacheableResponse: { statuses: [200] } },
      },
      {
        urlPattern: /\/assets\/.*\.(woff2?|ttf)$/,
        handler: 'CacheFirst',
        method: 'GET',
        options: { cacheName: 'cep-fonts', expiration: { maxEntries: 400, maxAgeSeconds: 365 * DAY }, cacheableResponse: { statuses: [200] } },
      },
    ],
  },
};
