/**
 * Registers the service worker built by vite-plugin-pwa (/sw.js) in production builds. A module of the bundle,
 * not an inline script: the CSP is `script-src 'self'`. Failures only log: the app works without it.
 */
export function registerServiceWorker(): void {
  if (!import.meta.env.PROD || typeof navigator === 'undefined' || !('serviceWorker' in navigator)) return;
  const go = () => {
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch((e: unknown) => console.warn('service worker not registered:', e));
  };
  if (document.readyState === 'complete') go();
  else window.addEventListener('load', go, { once: true });
}
