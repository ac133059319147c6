/**
 * OGC API – Features – Part 1: Core at /ogc (conformance classes core, geojson, oas30), readable by GDAL's OAPIF
 * driver and QGIS. Every registered readable layer is a collection. Links are absolute (from `baseUrl` or the
 * request's origin). Part 1 asks for 400 on unknown query parameters, which items requests do.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { getDataVersion } from '../data-version.ts';
import { badParameter, errorResponses, notFound } from '../errors.ts';
import { getFeature, queryFeatures } from '../features.ts';
import { baseUrlOf, CACHE_REVALIDATE, conditional, dataEtag, sendJson } from '../http.ts';
import type { LayerDef } from '../layers.ts';
import { bboxParam, layerIdParam, limitParam, offsetParam } from '../params.ts';
import { cachedExtent, readableLayers, resolveLayer, type ApiDeps } from '../context.ts';

export const OGC_DEFAULT_LIMIT = 100;
export const CRS84 = 'http://www.opengis.net/def/crs/OGC/1.3/CRS84';
export const CONFORMANCE = [
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30',
];
const JSON_T = 'application/json';
const GEOJSON_T = 'application/geo+json';
const OAS_T = 'application/vnd.oai.openapi+json;version=3.0';

const fParam = z
  .enum(['json', 'geojson'])
  .optional()
  .openapi({ description: 'Output format; only JSON (GeoJSON for features) is offered.' });
const fQuery = z.object({ f: fParam });

const Link = z
  .object({ href: z.string(), rel: z.string(), type: z.string().optional(), title: z.string().optional() })
  .openapi('Link');
const Links = z.array(Link);
const Collection = z
  .object({
    id: z.string(),
    title: z.string(),
    description: z.string().optional(),
    links: Links,
    extent: z
      .object({ spatial: z.object({ bbox: z.array(z.array(z.number())), crs: z.string() }) })
      .optional(),
    itemType: z.literal('feature'),
    crs: z.array(z.string()),
  })
  .openapi('Collection');
const FeatureSchema = z
  .object({
    type: z.literal('Feature'),
    id: z.number().int(),
    geometry: z.record(z.string(), z.any()),
    properties: z.record(z.string(), z.any()),
    links: Links.optional(),
  })
  .openapi('OgcFeature');
const FeatureCollection = z
  .object({
    type: z.literal('FeatureCollection'),
    features: z.array(FeatureSchema),
    links: Links,
    timeStamp: z.string(),
    numberMatched: z.number().int(),
    numberReturned: z.number().int(),
  })
  .openapi('OgcFeatureCollection');

const collectionIdParam = layerIdParam('collectionId', 'Collection (layer) id');

const json = (schema: z.ZodType, description: string, type = JSON_T) => ({ description, content: { [type]: { schema } } });

const landingRoute = createRoute({
  method: 'get',
  path: '/ogc',
  summary: 'OGC API Features landing page',
  request: { query: fQuery },
  responses: {
    200: json(z.object({ title: z.string(), description: z.string(), links: Links }).openapi('LandingPage'), 'Landing page'),
    ...errorResponses,
  },
});
const conformanceRoute = createRoute({
  method: 'get',
  path: '/ogc/conformance',
  summary: 'Conformance classes implemented',
  request: { query: fQuery },
  responses: { 200: json(z.object({ conformsTo: z.array(z.string()) }).openapi('ConfClasses'), 'Conformance classes'), ...errorResponses },
});
const collectionsRoute = createRoute({
  method: 'get',
  path: '/ogc/collections',
  summary: 'Feature collections',
  request: { query: fQuery },
  responses: {
    200: json(z.object({ links: Links, collections: z.array(Collection) }).openapi('Collections'), 'Collections'),
    ...errorResponses,
  },
});
const collectionRoute = createRoute({
  method: 'get',
  path: '/ogc/collections/{collectionId}',
  summary: 'One feature collection',
  request: { params: z.object({ collectionId: collectionIdParam }), query: fQuery },
  responses: { 200: json(Collection, 'Collection'), ...errorResponses },
});
const itemsRoute = createRoute({
  method: 'get',
  path: '/ogc/collections/{collectionId}/items',
  summary: 'Features of a collection (bbox filter, offset paging)',
  request: {
    params: z.object({ collectionId: collectionIdParam }),
    query: z.object({
      bbox: bboxParam(true),
      'bbox-crs': z.literal(CRS84).optional().openapi({ description: `Only ${CRS84} is supported.` }),
      datetime: z
        .string()
        .max(100)
        .optional()
        .openapi({ description: 'Accepted and ignored: the collections have no temporal properties.' }),
      limit: limitParam(OGC_DEFAULT_LIMIT),
      offset: offsetParam,
      f: fParam,
    }),
  },
  responses: { 200: json(FeatureCollection, 'Features', GEOJSON_T), 304: { description: 'Not modified' }, ...errorResponses },
});
const itemRoute = createRoute({
  method: 'get',
  path: '/ogc/collections/{collectionId}/items/{featureId}',
  summary: 'One feature',
  request: {
    params: z.object({
      collectionId: collectionIdParam,
      featureId: z.string().max(30).openapi({ param: { name: 'featureId', in: 'path', required: true }, example: '1' }),
    }),
    query: fQuery,
  },
  responses: { 200: json(FeatureSchema, 'Feature', GEOJSON_T), 304: { description: 'Not modified' }, ...errorResponses },
});

const ITEMS_PARAMS = new Set(['bbox', 'bbox-crs', 'datetime', 'limit', 'offset', 'f']);

export function registerOgcRoutes(app: OpenAPIHono, deps: ApiDeps) {
  const base = (c: Context) => `${baseUrlOf(c, deps.baseUrl)}/ogc`;

  app.openapi(landingRoute, (c) => {
    const b = base(c);
    const root = baseUrlOf(c, deps.baseUrl);
    return c.json(
      {
        title: '社区疏散规划 Community Evacuation Planner — OGC API Features',
        description: 'Communities, buildings, evacuation sites, the walking network and evacuation zones.',
        links: [
          { href: b, rel: 'self', type: JSON_T, title: 'This document' },
          { href: `${root}/api/openapi.json`, rel: 'service-desc', type: OAS_T, title: 'API definition (OpenAPI 3.0)' },
          { href: `${b}/conformance`, rel: 'conformance', type: JSON_T, title: 'Conformance classes' },
          { href: `${b}/collections`, rel: 'data', type: JSON_T, title: 'Feature collections' },
        ],
      },
      200,
    );
  });
  // "/ogc/" behaves like "/ogc".
  app.get('/ogc/', (c) => c.redirect(`${base(c)}${new URL(c.req.url).search}`, 301));

  app.openapi(conformanceRoute, (c) => c.json({ conformsTo: CONFORMANCE }, 200));

  app.openapi(collectionsRoute, async (c) => {
    const { version } = await getDataVersion(deps.db);
    const hit = conditional(c, dataEtag(version), CACHE_REVALIDATE);
    if (hit) return hit as any;
    const b = base(c);
    const collections = [];
    for (const l of await readableLayers(deps, c)) collections.push(await describe(deps, l, b, version));
    return c.json(
      { links: [{ href: `${b}/collections`, rel: 'self', type: JSON_T, title: 'Collections' }], collections },
      200,
    );
  });

  app.openapi(collectionRoute, async (c) => {
    const layer = await resolveLayer(deps, c, c.req.valid('param').collectionId, 'collection');
    const { version } = await getDataVersion(deps.db);
    const hit = conditional(c, dataEtag(version), CACHE_REVALIDATE);
    if (hit) return hit as any;
    return c.json(await describe(deps, layer, base(c), version), 200);
  });

  app.openapi(itemsRoute, async (c) => {
    for (const k of new URL(c.req.url).searchParams.keys()) {
      if (!ITEMS_PARAMS.has(k)) throw badParameter(k.slice(0, 50), `unknown parameter; allowed: ${[...ITEMS_PARAMS].join(', ')}`);
    }
    const layer = await resolveLayer(deps, c, c.req.valid('param').collectionId, 'collection');
    const q = c.req.valid('query');
    const { version } = await getDataVersion(deps.db);
    const hit = conditional(c, dataEtag(version), CACHE_REVALIDATE);
    if (hit) return hit as any;
    const limit = q.limit ?? OGC_DEFAULT_LIMIT;
    const offset = q.offset ?? 0;
    const page = await queryFeatures(deps.db, layer, { bbox: q.bbox, limit, offset });
    const itemsUrl = `${base(c)}/collections/${layer.id}/items`;
    const pageUrl = (o: number) => {
      const u = new URL(itemsUrl);
      for (const [k, v] of new URL(c.req.url).searchParams) if (k !== 'offset' && k !== 'limit') u.searchParams.append(k, v);
      u.searchParams.set('limit', String(limit));
      if (o > 0) u.searchParams.set('offset', String(o));
      return u.toString();
    };
    const links = [
      { href: pageUrl(offset), rel: 'self', type: GEOJSON_T, title: 'This page' },
      { href: `${base(c)}/collections/${layer.id}`, rel: 'collection', type: JSON_T, title: layer.title },
    ];
    if (offset + page.numberReturned < page.numberMatched) {
      links.push({ href: pageUrl(offset + page.numberReturned), rel: 'next', type: GEOJSON_T, title: 'Next page' });
    }
    if (offset > 0) links.push({ href: pageUrl(Math.max(0, offset - limit)), rel: 'prev', type: GEOJSON_T, title: 'Previous page' });
    return sendJson(
      c,
      {
        type: 'FeatureCollection',
        features: page.features,
        links,
        timeStamp: new Date().toISOString(),
        numberMatched: page.numberMatched,
        numberReturned: page.numberReturned,
      },
      GEOJSON_T,
    ) as any;
  });

  app.openapi(itemRoute, async (c) => {
    const { collectionId, featureId } = c.req.valid('param');
    const layer = await resolveLayer(deps, c, collectionId, 'collection');
    const { version } = await getDataVersion(deps.db);
    const hit = conditional(c, dataEtag(version), CACHE_REVALIDATE);
    if (hit) return hit as any;
    const id = /^\d{1,15}$/.test(featureId) ? Number(featureId) : NaN;
    const feature = Number.isSafeInteger(id) ? await getFeature(deps.db, layer, id) : undefined;
    if (!feature) throw notFound(`No feature '${featureId}' in collection '${layer.id}'`);
    const b = base(c);
    return sendJson(
      c,
      {
        ...feature,
        links: [
          { href: `${b}/collections/${layer.id}/items/${feature.id}`, rel: 'self', type: GEOJSON_T, title: 'This feature' },
          { href: `${b}/collections/${layer.id}`, rel: 'collection', type: JSON_T, title: layer.title },
        ],
      },
      GEOJSON_T,
    ) as any;
  });
}

async function describe(deps: ApiDeps, layer: LayerDef, b: string, version: number) {
  const bbox = await cachedExtent(deps, layer, version);
  const self = `${b}/collections/${layer.id}`;
  return {
    id: layer.id,
    title: layer.title,
    description: layer.description,
    links: [
      { href: self, rel: 'self', type: JSON_T, title: layer.title },
      { href: `${self}/items`, rel: 'items', type: GEOJSON_T, title: `${layer.title} (GeoJSON)` },
    ],
    ...(bbox ? { extent: { spatial: { bbox: [bbox], crs: CRS84 } } } : {}),
    itemType: 'feature' as const,
    crs: [CRS84],
  };
}

