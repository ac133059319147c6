/**
 * The product's HTTP server: the API (/api, /ogc) and the built web app (dist/web) on one port,
 * with strict security headers. `startServer` is used by `npm start`, the browser tests and load tests.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import type { Db } from './db/index.ts';
import { createApp } from './api/app.ts';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_WEB_ROOT = path.join(REPO_ROOT, 'dist/web');

/** Content-Security-Policy for the app: everything from our own origin; workers and tiles as blobs. */
export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "child-src 'self' blob:",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function buildServerApp(opts: { db: Db; webRoot?: string }): Hono {
  const webRoot = opts.webRoot ?? DEFAULT_WEB_ROOT;
  const root = new Hono();
  root.use('*', async (c, next) => {
    await next();
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'same-origin');
    c.header('X-Frame-Options', 'DENY');
    if (!c.req.path.startsWith('/api/') && !c.req.path.startsWith('/ogc')) c.header('Content-Security-Policy', CSP);
  });
  root.route('/', createApp({ db: opts.db }));

  // The single-page app: real files first, then index.html for client-side routes (/planner, /building/12 …).
  root.use('/*', serveStatic({ root: path.relative(process.cwd(), webRoot) || '.' }));
  root.get('*', (c) => {
    const p = c.req.path;
    if (p.startsWith('/api/') || p.startsWith('/ogc') || path.extname(p)) {
      return c.json({ error: { code: 'not_found', message: `no such resource: ${p}` } }, 404);
    }
    const index = path.join(webRoot, 'index.html');
    if (!existsSync(index)) {
      return c.text('The web app is not built: run `npm run build` (npm start does this for you).', 503);
    }
    c.header('Cache-Control', 'no-cache');
    return c.html(readFileSync(index, 'utf8'));
  });
  return root;
}

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startServer(opts: { db: Db; port?: number; host?: string; webRoot?: string }): Promise<RunningServer> {
  const app = buildServerApp(opts);
  const host = opts.host ?? '127.0.0.1';
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port: opts.port ?? 0, hostname: host }, (info: AddressInfo) => {
      const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${info.port}`;
      resolve({
        url,
        port: info.port,
        close: () => new Promise<void>((res) => server.close(() => res())),
      });
    });
    server.on('error', reject);
  });
}
