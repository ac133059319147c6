/**
 * A small synthetic district behind the web app's API contract, for browser tests of the web app on
 * its own (the real server is tested by server.test.ts). It serves dist/web like the real server
 * (SPA fallback) and encodes real Mapbox Vector Tiles from its GeoJSON with geojson-vt + vt-pbf.
 */
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Feature, FeatureCollection, LineString, Polygon, Point } from 'geojson';
import { GeoJSONVT } from '@maplibre/geojson-vt';
import { fromGeojsonVt } from '@maplibre/vt-pbf';

const O = [116.33, 39.99] as const; // origin of the grid (Haidian, Beijing)
const M_LAT = 1 / 111_320;
const M_LON = 1 / (111_320 * Math.cos((O[1] * Math.PI) / 180));
const at = (xm: number, ym: number): [number, number] => [O[0] + xm * M_LON, O[1] + ym * M_LAT];
const rect = (x0: number, y0: number, x1: number, y1: number): Polygon => ({
  type: 'Polygon',
  coordinates: [[at(x0, y0), at(x1, y0), at(x1, y1), at(x0, y1), at(x0, y0)]],
});

export interface District {
  layers: Record<string, FeatureCollection>;
}

/** 3 × 3 blocks of 200 m with streets between them; 2 compounds of 6- and 18-storey blocks; 3 sites. */
export function makeDistrict(): District {
  const roads: Feature<LineString>[] = [];
  let rid = 1;
  for (let i = 0; i <= 3; i++) {
    const v = i * 220;
    const hw = i === 0 || i === 3 ? 'secondary' : 'residential';
    roads.push({ type: 'Feature', id: rid, properties: { id: rid++, highway: hw, name: `学院路${i + 1}段`, length_m: 660, width_m: 12 }, geometry: { type: 'LineString', coordinates: [at(v, 0), at(v, 660)] } });
    roads.push({ type: 'Feature', id: rid, properties: { id: rid++, highway: i === 1 ? 'footway' : 'tertiary', name: `成府路${i + 1}号街`, length_m: 660, width_m: 8 }, geometry: { type: 'LineString', coordinates: [at(0, v), at(660, v)] } });
  }
  const communities: Feature<Polygon>[] = [
    { type: 'Feature', id: 1, properties: { id: 1, name: '清华东路社区' }, geometry: rect(10, 10, 430, 210) },
    { type: 'Feature', id: 2, properties: { id: 2, name: '五道口花园' }, geometry: rect(230, 230, 650, 430) },
  ];
  const buildings: Feature<Polygon>[] = [];
  let bid = 1;
  for (const [cx, cy, cid, tall] of [[20, 20, 1, false], [240, 240, 2, true]] as const) {
    for (let r = 0; r < 3; r++)
      for (let c = 0; c < 6; c++) {
        const x = cx + c * 32;
        const y = cy + r * 60;
        const levels = tall ? 18 : 6;
        buildings.push({ type: 'Feature', id: bid, properties: { id: bid, name: `${bid}号楼`, use: 'residential', levels, population: levels * 24, community_id: cid }, geometry: rect(x, y, x + 22, y + 40) });
        bid++;
      }
  }
  buildings.push({ type: 'Feature', id: bid, properties: { id: bid, name: '第一小学', use: 'school', levels: 4, population: 0, community_id: 1 }, geometry: rect(450, 20, 520, 90) });
  const sites: Feature<Polygon | Point>[] = [
    { type: 'Feature', id: 1, properties: { id: 1, name: '双清公园', kind: 'park', level: 'emergency', capacity: 4200, status: 'open', hazards: 'earthquake' }, geometry: rect(450, 240, 640, 420) },
    { type: 'Feature', id: 2, properties: { id: 2, name: '文化广场', kind: 'square', level: 'emergency', capacity: 1500, status: 'open', hazards: 'earthquake' }, geometry: rect(240, 450, 420, 640) },
    { type: 'Feature', id: 3, properties: { id: 3, name: '3号人防工程', kind: 'civil_defence_work', level: 'fixed', capacity: 800, status: 'open', hazards: 'earthquake' }, geometry: { type: 'Point', coordinates: at(120, 150) } },
  ];
  const zones: Feature<Polygon>[] = [{ type: 'Feature', id: 1, properties: { id: 1, name: '一区', site_ids: '1,2' }, geometry: rect(0, 0, 660, 660) }];
  const fc = <T extends Feature>(f: T[]): FeatureCollection => ({ type: 'FeatureCollection', features: f });
  return { layers: { communities: fc(communities), buildings: fc(buildings), sites: fc(sites), roads: fc(roads), zones: fc(zones) } };
}

const center = (g: Polygon | Point): [number, number] => {
  if (g.type === 'Point') return g.coordinates as [number, number];
  const ring = g.coordinates[0].slice(0, -1);
  return [ring.reduce((s, p) => s + p[0], 0) / ring.length, ring.reduce((s, p) => s + p[1], 0) / ring.length];
};
const dist = (a: number[], b: number[]) => Math.hypot((a[0] - b[0]) / M_LON, (a[1] - b[1]) / M_LAT);

/** An L-shaped walk (east, then north) and its directions. */
function walk(from: [number, number], to: [number, number]) {
  const corner: [number, number] = [to[0], from[1]];
  const d1 = dist(from, corner);
  const d2 = dist(corner, to);
  const route: LineString = { type: 'LineString', coordinates: [from, corner, to] };
  const steps = [
    { instruction: `向${to[0] >= from[0] ? '东' : '西'}走`, distanceM: Math.round(d1) },
    { instruction: `向${to[1] >= from[1] ? '北' : '南'}走`, distanceM: Math.round(d2) },
  ];
  return { route, steps, distanceM: Math.round(d1 + d2), minutes: (d1 + d2) / 60, minutesVulnerable: (d1 + d2) / 30 };
}

export interface FixtureServer {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

export async function startFixtureServer(opts: { webRoot: string; port?: number }): Promise<FixtureServer> {
  const d = makeDistrict();
  const indexes = Object.fromEntries(
    Object.entries(d.layers).map(([k, v]) => [k, new GeoJSONVT(v as GeoJSON.GeoJSON, { maxZoom: 16, indexMaxZoom: 5, extent: 4096, buffer: 64, tolerance: 3 })]),
  );
  const requests: string[] = [];
  const sites = d.layers.sites.features as Feature<Polygon | Point>[];
  const answerFor = (from: [number, number]) =>
    sites
      .map((s) => ({ s, w: walk(from, center(s.geometry)) }))
      .sort((a, b) => a.w.distanceM - b.w.distanceM)
      .map(({ s, w }) => ({ site: { id: s.properties!.id, name: s.properties!.name, kind: s.properties!.kind, level: s.properties!.level, capacity: s.properties!.capacity, status: s.properties!.status }, ...w }));

  const server: Server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    requests.push(u.pathname + u.search);
    const json = (body: unknown, status = 200) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(body));
    };
    const p = u.pathname;
    let m: RegExpExecArray | null;
    if (p === '/api/health') return json({ status: 'ok', dataVersion: 7 });
    if ((m = /^\/api\/layers\/(\w+)$/.exec(p))) return d.layers[m[1]] ? json(d.layers[m[1]]) : json({ error: 'no such layer' }, 404);
    if ((m = /^\/api\/tiles\/(\w+)\/(\d+)\/(\d+)\/(\d+)\.mvt$/.exec(p))) {
      const idx = indexes[m[1]];
      if (!idx) return json({ error: 'no such layer' }, 404);
      const tile = idx.getTile(+m[2], +m[3], +m[4]);
      if (!tile) {
        res.writeHead(204);
        return res.end();
      }
      const buf = fromGeojsonVt({ [m[1]]: tile }, { version: 2, extent: 4096 });
      res.writeHead(200, { 'content-type': 'application/vnd.mapbox-vector-tile' });
      return res.end(Buffer.from(buf));
    }
    if (p === '/api/search') {
      const q = (u.searchParams.get('q') ?? '').trim();
      const hits = Object.entries({ building: d.layers.buildings, community: d.layers.communities, site: d.layers.sites }).flatMap(([type, fc]) =>
        fc.features
          .filter((f) => q && String(f.properties!.name).includes(q))
          .map((f) => ({ type, id: f.properties!.id, name: f.properties!.name, center: center(f.geometry as Polygon) })),
      );
      return json(hits.slice(0, 20));
    }
    if (p === '/api/nearest') {
      const from: [number, number] = [Number(u.searchParams.get('lon')), Number(u.searchParams.get('lat'))];
      const k = Number(u.searchParams.get('k') ?? 3);
      return json({ from: { lon: from[0], lat: from[1], snapDistanceM: 5 }, sites: answerFor(from).slice(0, k) });
    }
    if ((m = /^\/api\/buildings\/(\d+)\/plan$/.exec(p))) {
      const b = d.layers.buildings.features.find((f) => f.properties!.id === Number(m![1]));
      if (!b) return json({ error: { message: 'no such building' } }, 404);
      const best = answerFor(center(b.geometry as Polygon))[0];
      const community = d.layers.communities.features.find((c) => c.properties!.id === b.properties!.community_id);
      return json({
        building: { id: b.properties!.id, name: b.properties!.name, population: b.properties!.population, levels: b.properties!.levels, communityName: community?.properties!.name ?? null },
        planId: 1,
        hazard: 'earthquake',
        site: { id: best.site.id, name: best.site.name, kind: best.site.kind },
        distanceM: best.distanceM,
        minutes: best.minutes,
        minutesVulnerable: best.minutesVulnerable,
        route: best.route,
        steps: best.steps,
        signs: [{ id: 1, kind: 'stairwell', lon: best.route.coordinates[0][0], lat: best.route.coordinates[0][1], text: `→ ${best.site.name}` }],
        guides: [{ name: '王建国', role: '楼栋长' }],
        unplacedReason: null,
      });
    }
    if (p.startsWith('/api/') || p.startsWith('/ogc')) return json({ error: 'not found' }, 404);
    // Static files, then the SPA fallback.
    const file = path.join(opts.webRoot, path.normalize(decodeURIComponent(p)).replace(/^([/\\])+/, ''));
    if (file.startsWith(opts.webRoot) && existsSync(file) && statSync(file).isFile()) {
      res.writeHead(200, { 'content-type': mime(file) });
      return res.end(readFileSync(file));
    }
    if (path.extname(p)) return json({ error: 'not found' }, 404);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(readFileSync(path.join(opts.webRoot, 'index.html')));
  });
  await new Promise<void>((r) => server.listen(opts.port ?? 0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

function mime(f: string): string {
  const ext = path.extname(f);
  return (
    { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.woff2': 'font/woff2', '.woff': 'font/woff', '.json': 'application/json', '.map': 'application/json', '.webmanifest': 'application/manifest+json' }[ext] ?? 'application/octet-stream'
  );
}
