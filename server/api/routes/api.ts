/** /api: health, layer index, GeoJSON layers, vector tiles. */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { gzipSync } from 'node:zlib';
import type { Context } from 'hono';
import { getDataVersion } from '../data-version.ts';
import { badParameter, errorResponses } from '../errors.ts';
import { queryFeatures } from '../features.ts';
import { CACHE_IMMUTABLE, CACHE_REVALIDATE, conditional, dataEtag, sendJson } from '../http.ts';
import { bboxParam, layerIdParam, limitParam, offsetParam } from '../params.ts';
import { checkTile, renderTile } from '../tiles.ts';
import { readableLayers, resolveLayer, type ApiDeps } from '../context.ts';

export const API_DEFAULT_LIMIT = 1000;

const GeoJsonFeatureCollection = z
  .object({
    type: z.literal('FeatureCollection'),
    features: z.array(
      z.object({
        type: z.literal('Feature'),
        id: z.number().int(),
        geometry: z.record(z.string(), z.any()).openapi({ description: 'GeoJSON geometry (WGS 84)' }),
        properties: z.record(z.string(), z.any()),
      }),
    ),
    numberMatched: z.number().int(),
    numberReturned: z.number().int(),
    dataVersion: z.number().int(),
  })
  .openapi('LayerFeatureCollection');

const healthRoute = createRoute({
  method: 'get',
  path: '/api/health',
  summary: 'Service health: database kind, data version, row counts',
  responses: {
    200: {
      description: 'Healthy',
      content: {
        'application/json': {
          schema: z
            .object({
              status: z.literal('ok'),
              db: z.object({ kind: z.enum(['pglite', 'postgres']), postgis: z.string() }),
              dataVersion: z.number().int(),
              dataUpdatedAt: z.string(),
              counts: z.record(z.string(), z.number().int()),
            })
            .openapi('Health'),
        },
      },
    },
    500: errorResponses[500],
  },
});

const layerIndexRoute = createRoute({
  method: 'get',
  path: '/api/layers',
  summary: 'The map layers: ids, properties, tile URL templates',
  responses: {
    200: {
      description: 'Layers',
      content: {
        'application/json': {
          schema: z
            .object({
              dataVersion: z.number().int(),
              layers: z.array(
                z.object({
                  id: z.string(),
                  title: z.string(),
                  description: z.string(),
                  geometryType: z.string(),
                  minZoom: z.number().int(),
                  properties: z.record(z.string(), z.object({ type: z.string(), description: z.string().optional() })),
                  tiles: z.string().openapi({ example: '/api/tiles/buildings/{z}/{x}/{y}.mvt?v=3' }),
                  items: z.string(),
                }),
              ),
            })
            .openapi('LayerIndex'),
        },
      },
    },
  },
});

const layerRoute = createRoute({
  method: 'get',
  path: '/api/layers/{layer}',
  summary: 'Features of one layer as GeoJSON',
  request: {
    params: z.object({ layer: layerIdParam('layer', 'communities | buildings | sites | roads | zones (and later layers)') }),
    query: z.object({ bbox: bboxParam(false), limit: limitParam(API_DEFAULT_LIMIT), offset: offsetParam }),
  },
  responses: {
    200: { description: 'GeoJSON FeatureCollection', content: { 'application/geo+json': { schema: GeoJsonFeatureCollection } } },
    304: { description: 'Not modified (If-None-Match matched the data version ETag)' },
    ...errorResponses,
  },
});

export function registerApiRoutes(app: OpenAPIHono, deps: ApiDeps) {
  app.openapi(healthRoute, async (c) => {
    const [dv, counts, pg] = await Promise.all([
      getDataVersion(deps.db),
      deps.db.query(`SELECT (SELECT count(*) FROM communities)::int AS communities,
                            (SELECT count(*) FROM buildings)::int AS buildings,
                            (SELECT count(*) FROM sites)::int AS sites,
                            (SELECT count(*) FROM road_nodes)::int AS road_nodes,
                            (SELECT count(*) FROM road_edges)::int AS road_edges,
                            (SELECT count(*) FROM zones)::int AS zones`),
      deps.db.query<{ v: string }>('SELECT postgis_lib_version() AS v'),
    ]);
    c.header('Cache-Control', 'no-store');
    return c.json(
      {
        status: 'ok' as const,
        db: { kind: deps.db.kind, postgis: pg[0].v },
        dataVersion: dv.version,
        dataUpdatedAt: dv.updatedAt,
        counts: counts[0] as Record<string, number>,
      },
      200,
    );
  });

  app.openapi(layerIndexRoute, async (c) => {
    const { version } = await getDataVersion(deps.db);
    const hit = conditional(c, dataEtag(version), CACHE_REVALIDATE);
    if (hit) return hit as any;
    const layers = (await readableLayers(deps, c)).map((l) => ({
      id: l.id,
      title: l.title,
      description: l.description,
      geometryType: l.geometryType,
      minZoom: l.minZoom,
      properties: Object.fromEntries(
        Object.entries(l.properties).map(([k, p]) => [k, { type: p.type, ...(p.description ? { description: p.description } : {}) }]),
      ),
      tiles: `/api/tiles/${l.id}/{z}/{x}/{y}.mvt?v=${version}`,
      items: `/api/layers/${l.id}`,
    }));
    return c.json({ dataVersion: version, layers }, 200);
  });

  app.openapi(layerRoute, async (c) => {
    const { layer: id } = c.req.valid('param');
    const q = c.req.valid('query');
    const layer = await resolveLayer(deps, c, id);
    const { version } = await getDataVersion(deps.db);
    const hit = conditional(c, dataEtag(version), CACHE_REVALIDATE);
    if (hit) return hit as any;
    const page = await queryFeatures(deps.db, layer, { bbox: q.bbox, limit: q.limit ?? API_DEFAULT_LIMIT, offset: q.offset ?? 0 });
    return sendJson(c, { type: 'FeatureCollection', ...page, dataVersion: version }, 'application/geo+json') as any;
  });

  // Tiles: the `{y}.mvt` path segment is not expressible as an OpenAPIHono route, so the handler is a plain
  // route that validates with the same rules and the path is documented in the registry by hand.
  app.get('/api/tiles/:layer/:z/:x/:y', (c) => tileHandler(deps, c));
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/api/tiles/{layer}/{z}/{x}/{y}.mvt',
    summary: 'Mapbox Vector Tile of one layer (MVT layer named after the layer, extent 4096, buffer 64)',
    description:
      'Empty tiles (no features, or z below the layer minZoom: buildings 13, roads 11, others 8) are 204 No Content. ' +
      'With ?v equal to the current data version the tile is cacheable for a year; otherwise it must be revalidated (ETag).',
    request: {
      params: z.object({
        layer: layerIdParam('layer', 'layer id'),
        z: z.number().int().min(0).max(22).openapi({ param: { name: 'z', in: 'path', required: true } }),
        x: z.number().int().min(0).openapi({ param: { name: 'x', in: 'path', required: true } }),
        y: z.number().int().min(0).openapi({ param: { name: 'y', in: 'path', required: true } }),
      }),
      query: z.object({
        v: z.number().int().min(1).optional().openapi({ description: 'Data version the URL was made for (cache key).' }),
      }),
    },
    responses: {
      200: {
        description: 'Vector tile',
        content: { 'application/vnd.mapbox-vector-tile': { schema: z.string().openapi({ format: 'binary' }) } },
      },
      204: { description: 'Empty tile' },
      304: { description: 'Not modified' },
      ...errorResponses,
    },
  });
}

const INT_RE = /^\d{1,8}$/;

async function tileHandler(deps: ApiDeps, c: Context): Promise<Response> {
  const p = c.req.param();
  const m = /^(\d{1,8})\.mvt$/.exec(p.y);
  if (!m) throw badParameter('y', `expected a tile row followed by .mvt, e.g. 12.mvt`, 'path');
  for (const k of ['z', 'x'] as const) if (!INT_RE.test(p[k])) throw badParameter(k, `${k} must be a non-negative integer`, 'path');
  const z = Number(p.z);
  const x = Number(p.x);
  const y = Number(m[1]);
  const bad = checkTile(z, x, y);
  if (bad) throw badParameter(bad[0], bad, 'path');
  const vText = c.req.query('v');
  if (vText !== undefined && !/^\d{1,15}$/.test(vText)) throw badParameter('v', 'v must be a positive integer (the data version)');
  const layer = await resolveLayer(deps, c, p.layer);
  const { version } = await getDataVersion(deps.db);
  const current = vText !== undefined && Number(vText) === version;
  const hit = conditional(c, dataEtag(version), current ? CACHE_IMMUTABLE : CACHE_REVALIDATE);
  if (hit) return hit;
  const tile = await renderTile(deps.db, layer, z, x, y, deps.tileEncoder);
  if (!tile.byteLength) return c.body(null, 204);
  c.header('Content-Type', 'application/vnd.mapbox-vector-tile');
  c.header('Vary', 'Accept-Encoding');
  if (tile.byteLength >= 512 && /\bgzip\b/i.test(c.req.header('Accept-Encoding') ?? '')) {
    c.header('Content-Encoding', 'gzip');
    return c.body(gzipSync(tile, { level: 6 }) as Uint8Array<ArrayBuffer>, 200);
  }
  return c.body(tile as Uint8Array<ArrayBuffer>, 200);
}
