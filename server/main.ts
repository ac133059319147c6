/**
 * The product's HTTP server: the API (/api, /ogc) and the built web app (dist/web) on one port, with accounts,
 * plans and strict security headers. `startServer` is used by `npm start`, the browser tests and load tests.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Db } from './db/index.ts';
import { createApp } from './api/app.ts';
import { createLayerRegistry } from './api/layers.ts';
import { authRoutes } from './auth/index.ts';
import { planRoutes } from './plans/routes.ts';
import { planLayers } from './plans/layers.ts';
import { editRoutes } from './edit/index.ts';
import { opsRoutes } from './ops/index.ts';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_WEB_ROOT = path.join(REPO_ROOT, 'dist/web');

/** Content-Security-Policy for the app: everything from our own origin; map workers and tiles as blobs. */
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
  const { db } = opts;
  const root = new Hono();
  root.use('*', async (c, next) => {
    await next();
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'same-origin');
    c.header('X-Frame-Options', 'DENY');
    c.header('Content-Security-Policy', CSP);
  });
  const app = createApp({
    db,
    webRoot: opts.webRoot ?? DEFAULT_WEB_ROOT,
    layers: createLayerRegistry(planLayers),
    extend: (api) => {
      const mount = (base: string, sub: Hono, tag: string) => {
        api.route(base, sub);
        documentRoutes(api, base, sub, tag);
      };
      mount('/api/auth', authRoutes(db), 'auth');
      mount('/api', planRoutes(db), 'plans');
      mount('/api', editRoutes(db), 'edit');
      // opsRoutes registers full /api/... paths (server/ops/index.ts): mount it at the root, not under /api
      mount('/', opsRoutes(db), 'operations');
    },
  });
  root.route('/', app);
  return root;
}

/**
 * List the routes of a plain Hono sub-app in the OpenAPI document (path parameters typed as strings; request and
 * response bodies are described by the zod schemas in each module and by the error shape).
 */
function documentRoutes(api: OpenAPIHono, base: string, sub: Hono, tag: string) {
  const seen = new Set<string>();
  for (const r of sub.routes) {
    if (r.method === 'ALL' || r.path.includes('*')) continue;
    const full = (base + (r.path === '/' ? '' : r.path)).replace(/\/+/g, '/');
    const key = `${r.method} ${full}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const names = [...full.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]);
    api.openAPIRegistry.registerPath({
      method: r.method.toLowerCase() as 'get',
      path: full.replace(/:([A-Za-z_][A-Za-z0-9_]*)(\{[^}]*\})?/g, '{$1}'),
      tags: [tag],
      summary: `${r.method} ${full}`,
      request: names.length ? { params: z.object(Object.fromEntries(names.map((n) => [n, z.string()]))) } : undefined,
      responses: {
        200: { description: 'Success (JSON unless the path names another format)' },
        400: { description: 'Bad input: {error:{code,message,details?}}' },
        401: { description: 'Sign in first (writes)' },
        403: { description: 'Role or community not allowed' },
        404: { description: 'No such record' },
      },
    });
  }
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
      resolve({
        url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${info.port}`,
        port: info.port,
        close: () => new Promise<void>((res) => server.close(() => res())),
      });
    });
    server.on('error', reject);
  });
}
