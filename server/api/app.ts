/**
 * The HTTP application: /api (health, layers, tiles, OpenAPI), /ogc (OGC API Features) and, when `webRoot` is
 * given, the built web app (with index.html as the fallback for client-side routes). No listening here:
 * server/main.ts serves `createApp(...).fetch` with @hono/node-server.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { OpenAPIHono } from '@hono/zod-openapi';
import { serveStatic } from '@hono/node-server/serve-static';
import { compress } from 'hono/compress';
import { cors } from 'hono/cors';
import type { Db } from '../db/index.ts';
import { errorJson, makeOnError, validationHook, defaultLogger, type Logger } from './errors.ts';
import { createLayerRegistry, type LayerRegistry } from './layers.ts';
import { defaultEncoder, type TileEncoder } from './tiles.ts';
import type { ApiDeps, CanRead } from './context.ts';
import { registerApiRoutes } from './routes/api.ts';
import { registerOgcRoutes } from './routes/ogc.ts';

export interface AppOptions {
  db: Db;
  /** Directory of the built web app (index.html + assets). */
  webRoot?: string;
  /** Layers to serve (default: the foundation layers). Register more with `layers.register(def)`. */
  layers?: LayerRegistry;
  /** Who may read a layer (default: public layers only). Unreadable layers answer 404. */
  canRead?: CanRead;
  /** Tile encoder (default: 'sql' on a PostGIS server, 'js' on PGlite, which lacks ST_AsMVT). */
  tileEncoder?: TileEncoder;
  /** Public origin for absolute links in OGC responses, e.g. https://evac.example.cn (default: the request's). */
  baseUrl?: string;
  /** Where unexpected errors are logged (default console.error). */
  log?: Logger;
  /** Extra sub-apps to mount before the fallbacks, e.g. plans: (app) => registerPlanRoutes(app, …). */
  extend?: (app: OpenAPIHono, deps: ApiDeps) => void;
}

export const API_VERSION = '0.1.0';

export function createApp(opts: AppOptions): OpenAPIHono {
  const deps: ApiDeps = {
    db: opts.db,
    layers: opts.layers ?? createLayerRegistry(),
    canRead: opts.canRead ?? ((layer) => layer.public),
    tileEncoder: opts.tileEncoder ?? defaultEncoder(opts.db),
    baseUrl: opts.baseUrl,
    log: opts.log ?? defaultLogger,
    extents: new Map(),
  };
  const app = new OpenAPIHono({ defaultHook: validationHook as any });
  app.onError(makeOnError(deps.log));
  // gzip/deflate JSON and GeoJSON (tiles gzip themselves); read-only map data may be fetched from any origin.
  app.use('*', compress());
  const readCors = cors({ origin: '*', allowMethods: ['GET', 'HEAD', 'OPTIONS'], exposeHeaders: ['ETag'], maxAge: 86400 });
  app.use('/ogc/*', readCors);
  app.use('/ogc', readCors);
  app.use('/api/layers/*', readCors);
  app.use('/api/tiles/*', readCors);
  app.use('/api/openapi.json', readCors);

  registerApiRoutes(app, deps);
  registerOgcRoutes(app, deps);
  opts.extend?.(app, deps);

  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/api/openapi.json',
    summary: 'This OpenAPI 3.0 document',
    responses: { 200: { description: 'OpenAPI document', content: { 'application/vnd.oai.openapi+json;version=3.0': { schema: {} } } } },
  });
  let doc: unknown;
  app.get('/api/openapi.json', (c) => {
    doc ??= openApiDocument(app);
    c.header('Cache-Control', 'no-cache');
    return c.json(doc as object, 200, { 'Content-Type': 'application/vnd.oai.openapi+json;version=3.0' });
  });

  // Unknown API paths and wrong methods: JSON errors, never the web app.
  app.all('/api/*', (c) => errorJson(c, 404, { code: 'not_found', message: `No route ${c.req.method} ${c.req.path}` }));
  app.all('/ogc/*', (c) => errorJson(c, 404, { code: 'not_found', message: `No route ${c.req.method} ${c.req.path}` }));

  if (opts.webRoot) {
    const root = path.resolve(opts.webRoot);
    const indexFile = path.join(root, 'index.html');
    app.use('*', serveStatic({ root }));
    app.get('*', (c) => {
      if (!existsSync(indexFile) || !statSync(indexFile).isFile()) {
        return errorJson(c, 404, { code: 'not_found', message: 'web app not built' });
      }
      c.header('Cache-Control', 'no-cache');
      return c.html(readFileSync(indexFile, 'utf8'));
    });
  }
  app.notFound((c) => errorJson(c, 404, { code: 'not_found', message: `No route ${c.req.method} ${c.req.path}` }));
  return app;
}

/** The OpenAPI 3.0 document of every route registered on `app`. */
export function openApiDocument(app: OpenAPIHono) {
  return app.getOpenAPIDocument({
    openapi: '3.0.3',
    info: {
      title: '社区疏散规划 Community Evacuation Planner API',
      version: API_VERSION,
      description:
        'Map layers as GeoJSON and Mapbox Vector Tiles, and OGC API – Features at /ogc. Errors: {"error":{"code","message","details?"}}.',
    },
    tags: [{ name: 'api' }, { name: 'ogc' }],
  });
}

export { getDataVersion, bumpDataVersion } from './data-version.ts';
export { createLayerRegistry, foundationLayers, LayerRegistry, type LayerDef } from './layers.ts';
export type { ApiDeps, CanRead } from './context.ts';
