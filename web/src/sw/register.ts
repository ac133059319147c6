/**
 * Registers the service worker built by vite-plugin-pwa (/sw.js) in production-mode builds (not in dev or tests). A module of the bundle,
 * not an inline script: the CSP is `script-src 'self'`. Failures only log: the app works without it.
 */
export function registerServiceWorker(): void {
  // MODE, not PROD: a build run with NODE_ENV=test (the browser tests build from vitest) is still a production build.
  if (import.meta.env.MODE !== 'production' || typeof navigator === 'undefined' || !('serviceWorker' in navigator)) return;
  const go = () => {
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch((e: unknown) => console.warn('service worker not registered:', e));
  };
  if (document.readyState === 'complete') go();
  else window.addEventListener('load', go, { once: true });
}
