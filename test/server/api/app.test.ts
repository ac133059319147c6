import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { serve } from '@hono/node-server';
import { VectorTile } from '@mapbox/vector-tile';
import { Validator } from '@seriousme/openapi-schema-validator';
import fc from 'fast-check';
import { PbfReader } from 'pbf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bumpDataVersion, createApp, getDataVersion } from '../../../server/api/app.ts';
import { createLayerRegistry } from '../../../server/api/layers.ts';
import { renderTile } from '../../../server/api/tiles.ts';
import { forEachDb } from '../../helpers/db.ts';
import { HOME_BBOX, insertFixture, tileOf, type Fixture } from './fixture.ts';

const run = promisify(execFile);
const LAYERS = ['communities', 'buildings', 'sites', 'roads', 'zones'] as const;

function decode(buf: ArrayBuffer | Uint8Array) {
  return new VectorTile(new PbfReader(buf instanceof Uint8Array ? buf : new Uint8Array(buf)));
}

/** id → properties of every feature of the tile's single layer. */
function tileFeatures(buf: Uint8Array, layer: string) {
  const t = decode(buf);
  expect(Object.keys(t.layers)).toEqual([layer]);
  const l = t.layers[layer];
  expect(l.extent).toBe(4096);
  const out = new Map<number, Record<string, unknown>>();
  for (let i = 0; i < l.length; i++) {
    const f = l.feature(i);
    out.set(Number(f.id), { ...f.properties });
  }
  return out;
}

/** GeoJSON properties as they appear in a tile: arrays joined by ',', nulls left out. */
function asTileProps(p: Record<string, unknown>) {
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) if (v !== null) o[k] = Array.isArray(v) ? v.join(',') : v;
  return o;
}

forEachDb('HTTP API', (db, kind) => {
  let fx: Fixture;
  let app: ReturnType<typeof createApp>;
  const logged: unknown[] = [];
  const get = (url: string, headers: Record<string, string> = {}) => app.request(url, { headers });
  const json = async (url: string) => {
    const r = await get(url);
    return { r, body: (await r.json()) as any };
  };
  const expectError = async (url: string, status: number, mention: RegExp) => {
    const r = await get(url);
    expect(r.status, url).toBe(status);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await r.json()) as any;
    expect(Object.keys(body)).toEqual(['error']);
    expect(typeof body.error.code).toBe('string');
    expect(body.error.message, url).toMatch(mention);
    expect(JSON.stringify(body)).not.toMatch(/SELECT|FROM |at .*\.ts:\d+/);
    return body;
  };

  beforeAll(async () => {
    fx = await insertFixture(db());
    app = createApp({ db: db(), log: (_m, e) => logged.push(e) });
  });

  describe('health and layer index', () => {
    it('reports the database kind, data version and counts', async () => {
      const { r, body } = await json('/api/health');
      expect(r.status).toBe(200);
      expect(body.status).toBe('ok');
      expect(body.db.kind).toBe(kind);
      expect(body.db.postgis).toMatch(/^3\./);
      expect(body.dataVersion).toBe((await getDataVersion(db())).version);
      expect(body.counts).toEqual({ communities: 2, buildings: 6, sites: 3, road_nodes: 4, road_edges: 3, zones: 1 });
    });

    it('lists every layer with its tile URL template at the current data version', async () => {
      const { body } = await json('/api/layers');
      const v = (await getDataVersion(db())).version;
      expect(body.layers.map((l: any) => l.id)).toEqual([...LAYERS]);
      const b = body.layers.find((l: any) => l.id === 'buildings');
      expect(b.tiles).toBe(`/api/tiles/buildings/{z}/{x}/{y}.mvt?v=${v}`);
      expect(b.minZoom).toBe(13);
      expect(Object.keys(b.properties)).toContain('population');
    });
  });

  describe('GeoJSON layers', () => {
    it('returns each layer as a FeatureCollection with its properties', async () => {
      const expected: Record<string, { n: number; props: string[] }> = {
        communities: { n: 2, props: ['id', 'name', 'kind', 'area_m2'] },
        buildings: { n: 6, props: ['id', 'name', 'use', 'levels', 'height_m', 'population', 'population_overridden', 'community_id'] },
        sites: {
          n: 3,
          props: ['id', 'name', 'kind', 'level', 'capacity', 'capacity_overridden', 'status', 'hazards', 'area_m2', 'effective_area_m2', 'address', 'community_id'],
        },
        roads: { n: 3, props: ['id', 'highway', 'name', 'length_m', 'width_m'] },
        zones: { n: 1, props: ['id', 'name', 'site_ids', 'hazard'] },
      };
      for (const id of LAYERS) {
        const { r, body } = await json(`/api/layers/${id}`);
        expect(r.status).toBe(200);
        expect(r.headers.get('content-type')).toBe('application/geo+json');
        expect(body.type).toBe('FeatureCollection');
        expect(body.numberMatched).toBe(expected[id].n);
        expect(body.numberReturned).toBe(expected[id].n);
        expect(body.features).toHaveLength(expected[id].n);
        for (const f of body.features) {
          expect(Object.keys(f.properties)).toEqual(expected[id].props);
          expect(f.properties.id).toBe(f.id);
          expect(['Point', 'MultiPolygon', 'LineString', 'Polygon']).toContain(f.geometry.type);
        }
      }
    });

    it('applies overrides: population = override ?? estimate, capacity = override ?? computed', async () => {
      const { body: b } = await json('/api/layers/buildings');
      const pop = Object.fromEntries(b.features.map((f: any) => [f.id, f.properties.population]));
      expect(pop[fx.buildings[0]]).toBe(80);
      expect(pop[fx.buildings[1]]).toBe(300); // override 300 over estimate 240
      expect(pop[fx.buildings[4]]).toBe(0); // an override of 0 is still an override
      const { body: s } = await json('/api/layers/sites');
      const square = s.features.find((f: any) => f.id === fx.sites[1]);
      expect(square.properties).toMatchObject({ capacity: 2500, capacity_overridden: true, status: 'closed', hazards: ['earthquake'] });
      const cdw = s.features.find((f: any) => f.id === fx.sites[2]);
      expect(cdw.geometry).toEqual({ type: 'Point', coordinates: [119.9785, 31.7825] });
      const { body: z } = await json('/api/layers/zones');
      expect(z.features[0].properties.site_ids).toEqual(fx.sites.slice(0, 2));
      const { body: rd } = await json('/api/layers/roads');
      expect(rd.features[0].properties).toEqual({ id: fx.roads[0], highway: 'residential', name: '青枫路', length_m: 473.6, width_m: 7 });
    });

    it('filters by bbox, including one that crosses the antimeridian', async () => {
      const { body } = await json(`/api/layers/buildings?bbox=${HOME_BBOX.join(',')}`);
      expect(body.features.map((f: any) => f.id)).toEqual(fx.buildings);
      const { body: one } = await json('/api/layers/buildings?bbox=119.9709,31.7809,119.9714,31.7813');
      expect(one.features.map((f: any) => f.id)).toEqual([fx.buildings[0]]);
      // minLon > maxLon: [119.9765, 180] ∪ [-180, 116.31] — the east compound's two buildings and Beijing.
      const { r, body: x } = await json('/api/layers/buildings?bbox=119.9765,31,116.31,40');
      expect(r.status).toBe(200);
      expect(x.features.map((f: any) => f.id)).toEqual([fx.buildings[3], fx.buildings[4], fx.farBuilding]);
      const { body: none } = await json('/api/layers/sites?bbox=0,0,1,1');
      expect(none).toMatchObject({ features: [], numberMatched: 0, numberReturned: 0 });
    });

    it('pages with limit and offset and caps limit at 10,000', async () => {
      const { body: p1 } = await json('/api/layers/buildings?limit=4');
      expect(p1.features.map((f: any) => f.id)).toEqual([...fx.buildings.slice(0, 4)]);
      expect(p1).toMatchObject({ numberMatched: 6, numberReturned: 4 });
      const { body: p2 } = await json('/api/layers/buildings?limit=4&offset=4');
      expect(p2.features.map((f: any) => f.id)).toEqual([fx.buildings[4], fx.farBuilding]);
      expect(p2).toMatchObject({ numberMatched: 6, numberReturned: 2 });
      const { body: p3 } = await json('/api/layers/buildings?limit=4&offset=40');
      expect(p3).toMatchObject({ numberMatched: 6, numberReturned: 0 });
      const { r, body: big } = await json('/api/layers/buildings?limit=99999999');
      expect(r.status).toBe(200);
      expect(big.numberReturned).toBe(6);
    });

    it('rejects bad parameters with 400 naming the parameter', async () => {
      const bad: [string, RegExp][] = [
        ['bbox=abc', /bbox.*4 comma-separated/],
        ['bbox=1,2,3', /bbox.*got 3/],
        ['bbox=1,2,3,4,5,6', /bbox.*got 6/],
        ['bbox=1,2,,4', /bbox.*finite/],
        ['bbox=1,2,NaN,4', /bbox.*finite/],
        ['bbox=1,2,Infinity,4', /bbox.*finite/],
        ['bbox=-181,0,1,1', /bbox.*longitudes/],
        ['bbox=0,-91,1,1', /bbox.*latitudes/],
        ['bbox=0,1,1,0', /bbox.*minLat must be less than maxLat/],
        ['bbox=1,0,1,1', /bbox.*minLon must differ/],
        ['limit=0', /'limit'.*at least 1/],
        ['limit=-5', /'limit'.*non-negative integer/],
        ['limit=1.5', /'limit'/],
        ['limit=ten', /'limit'/],
        ['offset=-1', /'offset'/],
        ['offset=1e3', /'offset'/],
        ['offset=99999999999', /'offset'/],
      ];
      for (const [q, re] of bad) {
        const body = await expectError(`/api/layers/buildings?${q}`, 400, re);
        expect(body.error.code).toBe('invalid_parameter');
        expect(body.error.details.issues[0].in).toBe('query');
      }
      await expectError('/api/layers/bridges', 404, /Unknown layer 'bridges'.*buildings/);
      await expectError('/api/layrs', 404, /No route/);
    });

    it('never answers 5xx to arbitrary parameter values', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('bbox', 'limit', 'offset', 'f', 'v', 'datetime'),
          fc.string({ maxLength: 40 }),
          fc.constantFrom('/api/layers/sites', '/ogc/collections/sites/items', '/api/tiles/sites/14/13420/6640.mvt'),
          async (key, value, base) => {
            const r = await get(`${base}?${key}=${encodeURIComponent(value)}`);
            expect(r.status).toBeLessThan(500);
            if (r.status >= 400) expect(((await r.json()) as any).error.message).toBeTruthy();
          },
        ),
        { numRuns: 150 },
      );
      for (const p of ['/api/tiles/%E0%A4%A/1/1/1.mvt', '/ogc/collections/%ZZ/items', '/api/layers/%00', '/ogc/collections/sites/items/%2e%2e']) {
        expect((await get(p)).status, p).toBeLessThan(500);
      }
      expect(logged).toEqual([]);
    });
  });

  describe('caching', () => {
    it('answers 304 to If-None-Match with the current data version and 200 after a bump', async () => {
      const r1 = await get('/api/layers/sites');
      const etag = r1.headers.get('etag')!;
      expect(etag).toMatch(/^W\/".+"$/);
      expect(r1.headers.get('cache-control')).toBe('no-cache');
      const r2 = await get('/api/layers/sites', { 'If-None-Match': etag });
      expect(r2.status).toBe(304);
      expect(r2.headers.get('etag')).toBe(etag);
      expect(await r2.text()).toBe('');
      const o1 = await get('/ogc/collections/sites/items');
      expect((await get('/ogc/collections/sites/items', { 'If-None-Match': o1.headers.get('etag')! })).status).toBe(304);

      const before = (await getDataVersion(db())).version;
      const after = await db().transaction((tx) => bumpDataVersion(tx));
      expect(after).toBe(before + 1);
      const r3 = await get('/api/layers/sites', { 'If-None-Match': etag });
      expect(r3.status).toBe(200);
      expect(r3.headers.get('etag')).not.toBe(etag);
    });

    it('caches tiles for a year only when ?v is the current data version', async () => {
      const v = (await getDataVersion(db())).version;
      const [z, x, y] = tileOf(119.9715, 31.7811, 16);
      const cur = await get(`/api/tiles/buildings/${z}/${x}/${y}.mvt?v=${v}`);
      expect(cur.status).toBe(200);
      expect(cur.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      const old = await get(`/api/tiles/buildings/${z}/${x}/${y}.mvt?v=${v - 1}`);
      expect(old.status).toBe(200);
      expect(old.headers.get('cache-control')).toBe('no-cache');
      const none = await get(`/api/tiles/buildings/${z}/${x}/${y}.mvt`);
      expect(none.headers.get('cache-control')).toBe('no-cache');
      const nm = await get(`/api/tiles/buildings/${z}/${x}/${y}.mvt`, { 'If-None-Match': none.headers.get('etag')! });
      expect(nm.status).toBe(304);
    });
  });

  describe('vector tiles', () => {
    it('serves MVT with the layer name, extent 4096, ids and the GeoJSON properties', async () => {
      const [z, x, y] = tileOf(119.975, 31.782, 15);
      for (const id of LAYERS) {
        const r = await get(`/api/tiles/${id}/${z}/${x}/${y}.mvt`);
        expect(r.status, id).toBe(200);
        expect(r.headers.get('content-type')).toBe('application/vnd.mapbox-vector-tile');
        const feats = tileFeatures(new Uint8Array(await r.arrayBuffer()), id);
        const { body } = await json(`/api/layers/${id}?bbox=${HOME_BBOX.join(',')}`);
        expect([...feats.keys()].sort((a, b) => a - b), id).toEqual(body.features.map((f: any) => f.id));
        for (const f of body.features) expect(feats.get(f.id), `${id} ${f.id}`).toEqual(asTileProps(f.properties));
      }
    });

    it('keeps geometry in tile coordinates at the right place', async () => {
      const [z, x, y] = tileOf(119.9785, 31.7825, 18);
      const r = await get(`/api/tiles/sites/${z}/${x}/${y}.mvt`);
      const layer = decode(new Uint8Array(await r.arrayBuffer())).layers.sites;
      const f = [...Array(layer.length).keys()].map((i) => layer.feature(i)).find((f) => f.id === fx.sites[2])!;
      expect(f.type).toBe(1); // point
      const [[p]] = f.loadGeometry();
      const [lon, lat] = [119.9785, 31.7825];
      const n = 2 ** z;
      const px = (((lon + 180) / 360) * n - x) * 4096;
      const r0 = (lat * Math.PI) / 180;
      const py = (((1 - Math.log(Math.tan(r0) + 1 / Math.cos(r0)) / Math.PI) / 2) * n - y) * 4096;
      expect(Math.abs(p.x - px)).toBeLessThanOrEqual(1);
      expect(Math.abs(p.y - py)).toBeLessThanOrEqual(1);
    });

    it('answers 204 for empty tiles and below a layer minZoom', async () => {
      expect((await get('/api/tiles/buildings/14/0/0.mvt')).status).toBe(204);
      const [z, x, y] = tileOf(119.975, 31.782, 12);
      expect((await get(`/api/tiles/buildings/${z}/${x}/${y}.mvt`)).status).toBe(204); // buildings from z13
      expect((await get(`/api/tiles/sites/${z}/${x}/${y}.mvt`)).status).toBe(200);
      expect((await get('/api/tiles/sites/0/0/0.mvt')).status).toBe(204); // sites from z8
    });

    it('rejects bad tile coordinates with 400 and unknown layers with 404', async () => {
      await expectError('/api/tiles/buildings/23/0/0.mvt', 400, /'z'.*\[0, 22\]/);
      await expectError('/api/tiles/buildings/2/4/0.mvt', 400, /'x'.*\[0, 3\]/);
      await expectError('/api/tiles/buildings/2/0/4.mvt', 400, /'y'.*\[0, 3\]/);
      await expectError('/api/tiles/buildings/a/0/0.mvt', 400, /'z'/);
      await expectError('/api/tiles/buildings/1/-1/0.mvt', 400, /'x'/);
      await expectError('/api/tiles/buildings/1/0/0.png', 400, /'y'.*\.mvt/);
      await expectError('/api/tiles/buildings/1/0/0.mvt?v=abc', 400, /'v'/);
      await expectError('/api/tiles/bridges/1/0/0.mvt', 404, /Unknown layer 'bridges'/);
    });

    it.runIf(kind === 'postgres')('encodes the same features with ST_AsMVT and with geojson-vt', async () => {
      const registry = createLayerRegistry();
      const tiles = [tileOf(119.975, 31.782, 14), tileOf(119.975, 31.782, 15), tileOf(119.9715, 31.7811, 17), tileOf(119.9785, 31.7825, 16)];
      let compared = 0;
      for (const id of LAYERS) {
        for (const [z, x, y] of tiles) {
          const layer = registry.get(id)!;
          const sql = await renderTile(db(), layer, z, x, y, 'sql');
          const js = await renderTile(db(), layer, z, x, y, 'js');
          expect(sql.byteLength > 0, `${id} ${z}/${x}/${y}`).toBe(js.byteLength > 0);
          if (!sql.byteLength) continue;
          const a = tileFeatures(sql, id);
          const b = tileFeatures(js, id);
          expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
          for (const [fid, props] of a) expect(b.get(fid)).toEqual(props);
          compared += a.size;
        }
      }
      expect(compared).toBeGreaterThan(20);
    });

    it.runIf(kind === 'pglite')('has no ST_AsMVT on PGlite, so the JS encoder is the default there', async () => {
      await expect(db().query("SELECT ST_AsMVT(q, 'x') FROM (SELECT 1 AS a) q")).rejects.toThrow();
    });
  });

  describe('OGC API Features', () => {
    it('has a landing page, conformance and collections with extents', async () => {
      const { r, body } = await json('/ogc?f=json');
      expect(r.status).toBe(200);
      const rels = Object.fromEntries(body.links.map((l: any) => [l.rel, l.href]));
      expect(rels).toMatchObject({
        self: 'http://localhost/ogc',
        'service-desc': 'http://localhost/api/openapi.json',
        conformance: 'http://localhost/ogc/conformance',
        data: 'http://localhost/ogc/collections',
      });
      const { body: conf } = await json('/ogc/conformance');
      for (const c of ['core', 'geojson', 'oas30']) {
        expect(conf.conformsTo).toContain(`http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/${c}`);
      }
      const { body: cols } = await json('/ogc/collections');
      expect(cols.collections.map((c: any) => c.id)).toEqual([...LAYERS]);
      const { body: sites } = await json('/ogc/collections/sites');
      expect(sites).toMatchObject({ id: 'sites', itemType: 'feature', crs: ['http://www.opengis.net/def/crs/OGC/1.3/CRS84'] });
      expect(sites.extent.spatial.crs).toBe('http://www.opengis.net/def/crs/OGC/1.3/CRS84');
      const [x0, y0, x1, y1] = sites.extent.spatial.bbox[0];
      expect([x0, y0, x1, y1].map((v: number) => +v.toFixed(6))).toEqual([119.974, 31.7825, 119.9805, 31.785]);
      expect(sites.links.find((l: any) => l.rel === 'items').href).toBe('http://localhost/ogc/collections/sites/items');
      await expectError('/ogc/collections/bridges', 404, /Unknown collection 'bridges'/);
      await expectError('/ogc?f=html', 400, /'f'/);
    });

    it('pages items with next/prev links, numberMatched/numberReturned and timeStamp', async () => {
      let url: string | undefined = 'http://localhost/ogc/collections/buildings/items?limit=2';
      const seen: number[] = [];
      let pages = 0;
      while (url) {
        const r = await app.request(url);
        expect(r.status).toBe(200);
        expect(r.headers.get('content-type')).toBe('application/geo+json');
        const body = (await r.json()) as any;
        expect(body.numberMatched).toBe(6);
        expect(body.numberReturned).toBe(body.features.length);
        expect(Date.parse(body.timeStamp)).not.toBeNaN();
        const rels = body.links.map((l: any) => l.rel);
        expect(rels).toContain('self');
        expect(rels.includes('prev')).toBe(pages > 0);
        seen.push(...body.features.map((f: any) => f.id));
        url = body.links.find((l: any) => l.rel === 'next')?.href;
        pages++;
      }
      expect(pages).toBe(3);
      expect(seen).toEqual([...fx.buildings, fx.farBuilding]);

      const { body: p } = await json(`/ogc/collections/buildings/items?limit=2&offset=4&bbox=${HOME_BBOX.join(',')}`);
      expect(p.features.map((f: any) => f.id)).toEqual([fx.buildings[4]]);
      expect(p.numberMatched).toBe(5);
      const prev = new URL(p.links.find((l: any) => l.rel === 'prev').href);
      expect(Object.fromEntries(prev.searchParams)).toEqual({ bbox: HOME_BBOX.join(','), limit: '2', offset: '2' });
      expect(p.links.find((l: any) => l.rel === 'next')).toBeUndefined();
      const { body: d } = await json('/ogc/collections/buildings/items');
      expect(d.numberReturned).toBe(6); // default limit 100
      const { r: r3 } = await json(`/ogc/collections/sites/items?bbox=119.9,31.7,0,120.1,31.9,100&f=geojson&datetime=2024-01-01T00:00:00Z`);
      expect(r3.status).toBe(200);
    });

    it('serves single features and 404s for absent ones', async () => {
      const { r, body } = await json(`/ogc/collections/zones/items/${fx.zones[0]}?f=json`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('application/geo+json');
      expect(body).toMatchObject({ type: 'Feature', id: fx.zones[0], properties: { name: '一号疏散区' } });
      expect(body.links.map((l: any) => l.rel)).toEqual(['self', 'collection']);
      await expectError('/ogc/collections/zones/items/999999', 404, /No feature '999999'/);
      await expectError('/ogc/collections/zones/items/abc', 404, /No feature 'abc'/);
      await expectError('/ogc/collections/zones/items/99999999999999999999', 404, /No feature/);
    });

    it('rejects unknown and invalid items parameters', async () => {
      await expectError('/ogc/collections/sites/items?colour=red', 400, /'colour'.*unknown parameter/);
      await expectError('/ogc/collections/sites/items?bbox-crs=EPSG:3857', 400, /'bbox-crs'/);
      await expectError('/ogc/collections/sites/items?limit=0', 400, /'limit'/);
      await expectError('/ogc/collections/sites/items?bbox=1,2,3,4,5', 400, /'bbox'.*4 \(or 6\)/);
      await expectError('/ogc/collections/sites/items?f=html', 400, /'f'/);
    });
  });

  describe('layer registry, access and failures', () => {
    it('serves a newly registered layer everywhere; a private one only to readers allowed by canRead', async () => {
      const layers = createLayerRegistry().register({
        id: 'civil_defence',
        title: '人防工程',
        description: 'Civil-defence works only',
        from: '(SELECT * FROM sites)',
        where: "t.kind = 'civil_defence_work'",
        geometryColumn: 'geom',
        idColumn: 'id',
        geometryType: 'Point',
        public: false,
        minZoom: 10,
        properties: { id: { sql: 't.id', type: 'integer' }, name: { sql: 't.name', type: 'string' }, ref: { sql: 't.ext_ref', type: 'string' } },
      });
      const open = createApp({ db: db(), layers, canRead: (l, c) => l.public || c.req.header('x-role') === 'planner' });
      const asPlanner = (u: string) => open.request(u, { headers: { 'x-role': 'planner' } });
      expect((await open.request('/api/layers/civil_defence')).status).toBe(404);
      expect((await open.request('/ogc/collections/civil_defence')).status).toBe(404);
      const cols = (await (await open.request('/ogc/collections')).json()) as any;
      expect(cols.collections.map((c: any) => c.id)).not.toContain('civil_defence');

      const gj = (await (await asPlanner('/api/layers/civil_defence')).json()) as any;
      expect(gj.features.map((f: any) => [f.id, f.properties])).toEqual([[fx.sites[2], { id: fx.sites[2], name: '3号楼人防工程', ref: 'RF-3' }]]);
      const items = (await (await asPlanner('/ogc/collections/civil_defence/items')).json()) as any;
      expect(items.numberMatched).toBe(1);
      // The layer's where applies to single features too.
      expect((await asPlanner(`/ogc/collections/civil_defence/items/${fx.sites[0]}`)).status).toBe(404);
      const [z, x, y] = tileOf(119.9785, 31.7825, 16);
      const tile = await asPlanner(`/api/tiles/civil_defence/${z}/${x}/${y}.mvt`);
      expect(tile.status).toBe(200);
      expect([...tileFeatures(new Uint8Array(await tile.arrayBuffer()), 'civil_defence').keys()]).toEqual([fx.sites[2]]);
    });

    it('turns unexpected failures into a logged, generic 500 without SQL', async () => {
      const seen: unknown[] = [];
      const layers = createLayerRegistry().register({
        ...createLayerRegistry().get('zones')!,
        id: 'broken',
        from: 'no_such_table',
      });
      const broken = createApp({ db: db(), layers, log: (_m, e) => seen.push(e) });
      const r = await broken.request('/api/layers/broken');
      expect(r.status).toBe(500);
      expect(await r.json()).toEqual({ error: { code: 'internal_error', message: 'internal server error' } });
      expect(seen).toHaveLength(1);
      expect(String(seen[0])).toMatch(/no_such_table/);
    });

    it('compresses GeoJSON and tiles when asked, and allows cross-origin reads', async () => {
      const r = await get('/api/layers/buildings', { 'Accept-Encoding': 'gzip' });
      expect(r.headers.get('content-encoding')).toBe('gzip');
      expect(JSON.parse(gunzipSync(new Uint8Array(await r.arrayBuffer())).toString('utf8')).numberReturned).toBe(6);
      const [z, x, y] = tileOf(119.975, 31.782, 15);
      const t = await get(`/api/tiles/zones/${z}/${x}/${y}.mvt`, { 'Accept-Encoding': 'gzip, br' });
      const plain = await get(`/api/tiles/zones/${z}/${x}/${y}.mvt`);
      const raw = new Uint8Array(await plain.arrayBuffer());
      const body = new Uint8Array(await t.arrayBuffer());
      if (raw.byteLength >= 512) {
        expect(t.headers.get('content-encoding')).toBe('gzip');
        expect(new Uint8Array(gunzipSync(body))).toEqual(raw);
      } else {
        expect(t.headers.get('content-encoding')).toBeNull();
        expect(body).toEqual(raw);
      }
      expect(plain.headers.get('content-encoding')).toBeNull();
      const c = await get('/ogc/collections', { Origin: 'https://qgis.example' });
      expect(c.headers.get('access-control-allow-origin')).toBe('*');
      expect(c.headers.get('access-control-expose-headers')).toMatch(/ETag/i);
    });
  });

  describe('OpenAPI', () => {
    it('is a valid OpenAPI 3.0 document listing every route', async () => {
      const { r, body } = await json('/api/openapi.json');
      expect(r.status).toBe(200);
      const result = await new Validator().validate(body);
      expect(result).toEqual({ valid: true });
      expect(body.openapi).toBe('3.0.3');
      expect(Object.keys(body.paths).sort()).toEqual(
        [
          '/api/health',
          '/api/layers',
          '/api/layers/{layer}',
          '/api/tiles/{layer}/{z}/{x}/{y}.mvt',
          '/api/openapi.json',
          '/ogc',
          '/ogc/conformance',
          '/ogc/collections',
          '/ogc/collections/{collectionId}',
          '/ogc/collections/{collectionId}/items',
          '/ogc/collections/{collectionId}/items/{featureId}',
        ].sort(),
      );
      for (const [p, item] of Object.entries<any>(body.paths)) {
        const names = [...p.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
        const declared = (item.get.parameters ?? []).filter((x: any) => x.in === 'path');
        expect(declared.map((x: any) => x.name).sort(), p).toEqual(names.sort());
        for (const d of declared) expect(d.required, `${p} ${d.name}`).toBe(true);
      }
      // Every documented GET path answers (with the fixture's ids) without 404.
      for (const p of Object.keys(body.paths)) {
        const url = p
          .replace('{layer}', 'sites')
          .replace('{collectionId}', 'sites')
          .replace('{featureId}', String(fx.sites[0]))
          .replace('{z}/{x}/{y}', tileOf(119.975, 31.782, 15).join('/'));
        expect((await get(url)).status, url).toBe(200);
      }
    });
  });

  describe('GDAL (OAPIF driver)', () => {
    let server: ReturnType<typeof serve> | undefined;
    let base = '';
    let gdal = true;
    beforeAll(async () => {
      try {
        await run('ogrinfo', ['--version']);
      } catch {
        gdal = false;
        console.warn('ogrinfo not found (apt-get install gdal-bin): skipping the GDAL OAPIF tests');
        return;
      }
      await new Promise<void>((resolve) => {
        server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
          base = `http://127.0.0.1:${info.port}`;
          resolve();
        });
      });
    });
    afterAll(async () => {
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    });

    it('lists every collection with ogrinfo and copies each with ogr2ogr', async (ctx) => {
      if (!gdal) ctx.skip();
      const { stdout } = await run('ogrinfo', ['-ro', '-so', `OAPIF:${base}/ogc`], { timeout: 60_000 });
      for (const id of LAYERS) expect(stdout).toMatch(new RegExp(`\\d+: ${id} \\(title:`));
      const dir = mkdtempSync(path.join(tmpdir(), 'cep-gdal-'));
      try {
        const counts: Record<string, number> = {};
        for (const id of LAYERS) {
          const out = path.join(dir, `${id}.json`);
          // A page size of 2 makes GDAL follow the next links.
          await run('ogr2ogr', ['-f', 'GeoJSON', out, `OAPIF:${base}/ogc`, id, '-oo', 'PAGE_SIZE=2'], { timeout: 60_000 });
          const gj = JSON.parse(readFileSync(out, 'utf8'));
          counts[id] = gj.features.length;
          if (id === 'buildings') {
            const one = gj.features.find((f: any) => f.properties.id === fx.buildings[1]);
            expect(one.properties).toMatchObject({ name: '2号楼', population: 300, levels: 18 });
          }
        }
        expect(counts).toEqual({ communities: 2, buildings: 6, sites: 3, roads: 3, zones: 1 });
        const { stdout: so } = await run('ogrinfo', ['-ro', '-so', `OAPIF:${base}/ogc`, 'sites'], { timeout: 60_000 });
        expect(so).toMatch(/Feature Count: 3/);
        expect(so).toMatch(/Extent: \(119\.974000, 31\.782500\) - \(119\.980500, 31\.785000\)/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
