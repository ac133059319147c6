/**
 * OsmModel → EngineInput without a database, for benchmarks (and tests that want real data without PostGIS).
 *
 * It follows what `loadOsmModel` (server/import/load.ts) + `loadEngineInput` (server/plans/load.ts) produce on a
 * fresh database, with the same domain rules (server/domain/population.ts, capacity.ts, hazards.ts):
 *  - ids: the DB assigns serial ids in insertion order, so on a fresh import id = array position + 1 for edges,
 *    buildings, sites and communities; nodes keep their OSM ids (road_nodes.id = OSM node id).
 *  - footprint / site area: shoelace area in a local metric projection on the WGS-84 ellipsoid (meridional and
 *    prime-vertical radii at the ring's latitude), outer ring minus holes, summed over parts. PostGIS uses
 *    ST_Area(geom::geography) on the ellipsoid: for building- and park-sized polygons the two agree to well under
 *    0.1 %, so a handful of populations may differ by ±1 after rounding.
 *  - population: estimatePopulation(use, levels, height, footprint, inResidentialArea). The DB also counts
 *    `building=yes` inside a named `landuse=residential` compound found by ST_PointOnSurface; the parser's
 *    `inResidentialArea` (bbox-centre test against residential areas, compounds included) stands in for both.
 *  - community: the smallest community polygon containing the building's representative point (the DB uses
 *    ST_PointOnSurface; we use the bbox centre when it is inside the footprint, else a scan-line point inside it).
 *  - site capacity: effectiveArea(kind, area, buildingsM2, waterM2) → siteCapacity(level 'emergency', the OSM
 *    importer's default level). The DB subtracts the area of (site ∩ union of buildings) and (site ∩ water); we clip
 *    each intersecting building / water polygon against the site with turf (planar, in lon/lat) and sum the parts,
 *    which equals the union when buildings do not overlap each other. Point sites have area 0 → capacity 0.
 *  - hazards: the OSM tags' explicit list, else defaultHazards(kind); status 'open'; every site designated.
 *  - levels: max(1, levels ?? round(height / 3) ?? 1), as loadEngineInput's SQL.
 *  - geometry: the DB stores WKT rounded to 7 decimals (≈ 1 cm) and repairs invalid polygons with ST_MakeValid; we
 *    keep the parser's coordinates and rings as they are. Buildings whose outer ring has fewer than 4 points or zero
 *    area (which ST_MakeValid would turn into an empty geometry the importer skips) are dropped here too.
 *  - zones: none (zones are drawn by planners, not in OSM); volunteers: none.
 */
import Flatbush from 'flatbush';
import { intersect, polygon as turfPolygon, featureCollection } from '@turf/turf';
import type { MultiPolygonCoords, OsmModel, Pos } from '../../server/import/osm.ts';
import type { EngineInput, EngineBuilding, EngineSite } from '../../server/engine/types.ts';
import { EdgeColumnsBuilder } from '../../server/engine/edges.ts';
import { estimatePopulation, DEFAULT_POPULATION_PARAMS, type PopulationParams } from '../../server/domain/population.ts';
import { effectiveArea, siteCapacity, DEFAULT_CAPACITY_PARAMS, type CapacityParams } from '../../server/domain/capacity.ts';
import { defaultHazards } from '../../server/domain/hazards.ts';

// WGS-84 ellipsoid
const A = 6378137;
const E2 = 6.69437999014e-3;
const DEG = Math.PI / 180;

/** Metres per degree of longitude (kx) and latitude (ky) at latitude `lat` on the WGS-84 ellipsoid. */
export function metresPerDegree(lat: number): { kx: number; ky: number } {
  const s = Math.sin(lat * DEG);
  const w = 1 - E2 * s * s;
  const N = A / Math.sqrt(w);
  const M = (A * (1 - E2)) / (w * Math.sqrt(w));
  return { kx: N * Math.cos(lat * DEG) * DEG, ky: M * DEG };
}

/** Unsigned area (m²) of one ring of [lon, lat] positions, local metric projection at the ring's mean latitude. */
export function ringAreaM2(ring: Pos[]): number {
  const n = ring.length;
  if (n < 3) return 0;
  let lat0 = 0;
  for (const p of ring) lat0 += p[1];
  lat0 /= n;
  const lon0 = ring[0][0];
  const { kx, ky } = metresPerDegree(lat0);
  let s = 0;
  for (let i = 0; i < n; i++) {
    const a = ring[i], b = ring[(i + 1) % n];
    s += (a[0] - lon0) * kx * (b[1] - lat0) * ky - (b[0] - lon0) * kx * (a[1] - lat0) * ky;
  }
  return Math.abs(s) / 2;
}

/** Area (m²) of a multipolygon: outer rings minus holes. */
export function multiPolygonAreaM2(mp: MultiPolygonCoords): number {
  let a = 0;
  for (const poly of mp) {
    if (!poly.length) continue;
    let pa = ringAreaM2(poly[0]);
    for (let h = 1; h < poly.length; h++) pa -= ringAreaM2(poly[h]);
    a += Math.max(0, pa);
  }
  return a;
}

function pointInRing(x: number, y: number, r: Pos[]): boolean {
  let inside = false;
  for (let i = 0, j = r.length - 1; i < r.length; j = i++) {
    const xi = r[i][0], yi = r[i][1], xj = r[j][0], yj = r[j][1];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
function pointInMultiPolygon(x: number, y: number, mp: MultiPolygonCoords): boolean {
  for (const poly of mp) {
    if (!poly.length || !pointInRing(x, y, poly[0])) continue;
    let hole = false;
    for (let h = 1; h < poly.length && !hole; h++) if (pointInRing(x, y, poly[h])) hole = true;
    if (!hole) return true;
  }
  return false;
}

type BBox = [number, number, number, number];
function bboxOf(mp: MultiPolygonCoords): BBox {
  let a = Infinity, b = Infinity, c = -Infinity, d = -Infinity;
  for (const poly of mp) for (const [x, y] of poly[0] ?? []) {
    if (x < a) a = x; if (y < b) b = y; if (x > c) c = x; if (y > d) d = y;
  }
  return [a, b, c, d];
}

/**
 * A point inside the (first, largest-by-bbox) polygon, like ST_PointOnSurface: the bbox centre when inside,
 * else the middle of the widest interior interval of the horizontal line through the centre.
 */
export function pointOnSurface(mp: MultiPolygonCoords): Pos {
  const [x0, y0, x1, y1] = bboxOf(mp);
  const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
  if (pointInMultiPolygon(cx, cy, mp)) return [cx, cy];
  const xs: number[] = [];
  for (const poly of mp) for (const r of poly) {
    for (let i = 0, j = r.length - 1; i < r.length; j = i++) {
      const [xi, yi] = r[i], [xj, yj] = r[j];
      if (yi > cy !== yj > cy) xs.push(((xj - xi) * (cy - yi)) / (yj - yi) + xi);
    }
  }
  xs.sort((a, b) => a - b);
  let best: Pos | null = null, bestW = -1;
  for (let i = 0; i + 1 < xs.length; i += 2) {
    const w = xs[i + 1] - xs[i];
    if (w > bestW) { bestW = w; best = [(xs[i] + xs[i + 1]) / 2, cy]; }
  }
  return best ?? (mp[0]?.[0]?.[0] ?? [cx, cy]);
}

function flatRing(r: Pos[]): number[] {
  const out = new Array<number>(r.length * 2);
  for (let i = 0; i < r.length; i++) { out[2 * i] = r[i][0]; out[2 * i + 1] = r[i][1]; }
  return out;
}

/** Area (m²) of a ∩ b (planar clipping in lon/lat with turf, area on the ellipsoid). Null when turf fails. */
function intersectionAreaM2(a: MultiPolygonCoords, b: MultiPolygonCoords): number | null {
  let total = 0;
  try {
    for (const pa of a) for (const pb of b) {
      const r = intersect(featureCollection([turfPolygon(pa), turfPolygon(pb)]));
      if (!r) continue;
      const g = r.geometry;
      const polys = (g.type === 'Polygon' ? [g.coordinates] : g.coordinates) as MultiPolygonCoords;
      total += multiPolygonAreaM2(polys);
    }
  } catch {
    return null;
  }
  return total;
}

export interface ModelInputOptions {
  population?: PopulationParams;
  capacity?: CapacityParams;
}

export interface ModelInputStats {
  ms: number;
  droppedBuildings: number;
  /** sites whose building/water clipping failed in turf (fell back to counting whole polygons whose point is inside) */
  clipFallbacks: number;
}

export function modelToEngineInput(m: OsmModel, opts: ModelInputOptions = {}): { input: EngineInput; stats: ModelInputStats } {
  const t0 = performance.now();
  const pop = opts.population ?? DEFAULT_POPULATION_PARAMS;
  const cap = opts.capacity ?? DEFAULT_CAPACITY_PARAMS;

  // ── network: nodes keep OSM ids, edges get id = position + 1
  const nn = m.network.nodes.length;
  const ids = new Float64Array(nn), lon = new Float64Array(nn), lat = new Float64Array(nn);
  for (let i = 0; i < nn; i++) {
    const n = m.network.nodes[i];
    ids[i] = n.id; lon[i] = n.pos[0]; lat[i] = n.pos[1];
  }
  // as columns, as the server loads them (a city's edges as objects would be 2.6 M more heap objects)
  let points = 0;
  for (const e of m.network.edges) points += e.coords.length;
  const eb = new EdgeColumnsBuilder(m.network.edges.length, points);
  const flatCoords: number[] = [];
  m.network.edges.forEach((e, i) => {
    flatCoords.length = 0;
    for (const c of e.coords) flatCoords.push(c[0], c[1]);
    eb.push(i + 1, e.source, e.target, e.lengthM, e.highway, e.widthM, flatCoords);
  });
  const edges = eb.finish();

  // ── communities: id = position + 1; index by bbox for "smallest containing"
  const comms = m.communities.map((c, i) => ({ id: i + 1, name: c.name, polygons: c.polygons, area: multiPolygonAreaM2(c.polygons), box: bboxOf(c.polygons) }));
  let commIndex: Flatbush | null = null;
  if (comms.length) {
    commIndex = new Flatbush(comms.length);
    for (const c of comms) commIndex.add(c.box[0], c.box[1], c.box[2], c.box[3]);
    commIndex.finish();
  }
  const communityAt = (p: Pos): number | null => {
    if (!commIndex) return null;
    let best: number | null = null, bestA = Infinity;
    for (const k of commIndex.search(p[0], p[1], p[0], p[1])) {
      const c = comms[k];
      if (c.area < bestA && pointInMultiPolygon(p[0], p[1], c.polygons)) { best = c.id; bestA = c.area; }
    }
    return best;
  };

  // ── buildings
  let dropped = 0;
  const kept: { b: OsmModel['buildings'][number]; area: number; box: BBox }[] = [];
  for (const b of m.buildings) {
    const outer = b.polygons[0]?.[0];
    const area = multiPolygonAreaM2(b.polygons);
    if (!outer || outer.length < 4 || !(area > 0)) { dropped++; continue; }
    kept.push({ b, area, box: bboxOf(b.polygons) });
  }
  const buildings: EngineBuilding[] = kept.map(({ b, area }, i) => {
    const population = estimatePopulation(
      { use: b.use, levels: b.levels, heightM: b.heightM, footprintM2: area, inResidentialArea: b.inResidentialArea },
      pop,
    );
    const levels = Math.max(1, b.levels ?? (b.heightM != null ? Math.round(b.heightM / 3) : 1));
    return {
      id: i + 1,
      osmId: b.osmId,
      name: b.tags.name ?? null,
      population,
      levels,
      communityId: communityAt(pointOnSurface(b.polygons)),
      ring: flatRing(b.polygons[0][0]),
    };
  });

  // ── sites: capacity from effective area (buildings and water inside removed)
  let bIndex: Flatbush | null = null;
  if (kept.length) {
    bIndex = new Flatbush(kept.length);
    for (const k of kept) bIndex.add(k.box[0], k.box[1], k.box[2], k.box[3]);
    bIndex.finish();
  }
  const bItems = kept.map((k) => ({ polygons: k.b.polygons, area: k.area }));
  const water = m.water.map((w) => ({ polygons: w.polygons, box: bboxOf(w.polygons), area: multiPolygonAreaM2(w.polygons) }));
  let wIndex: Flatbush | null = null;
  if (water.length) {
    wIndex = new Flatbush(water.length);
    for (const w of water) wIndex.add(w.box[0], w.box[1], w.box[2], w.box[3]);
    wIndex.finish();
  }
  let clipFallbacks = 0;
  const overlapM2 = (site: MultiPolygonCoords, box: BBox, index: Flatbush | null, items: { polygons: MultiPolygonCoords; area: number }[]): number => {
    if (!index) return 0;
    let s = 0;
    for (const k of index.search(box[0], box[1], box[2], box[3])) {
      const it = items[k];
      // fast paths: wholly inside (every vertex inside, no site vertex inside it) or wholly outside
      let inside = 0, total = 0;
      for (const poly of it.polygons) for (const [x, y] of poly[0]) { total++; if (pointInMultiPolygon(x, y, site)) inside++; }
      let siteIn = 0;
      if (inside === 0 || inside === total) {
        for (const poly of site) for (const [x, y] of poly[0]) if (pointInMultiPolygon(x, y, it.polygons)) { siteIn++; break; }
        if (siteIn === 0) { if (inside === total) s += it.area; continue; }
      }
      const a = intersectionAreaM2(site, it.polygons);
      if (a !== null) s += a;
      else {
        clipFallbacks++;
        const p = pointOnSurface(it.polygons);
        if (pointInMultiPolygon(p[0], p[1], site)) s += it.area;
      }
    }
    return s;
  };
  const sites: EngineSite[] = m.sites.map((s, i) => {
    const level = 'emergency' as const; // the OSM importer leaves sites at the column default
    let areaM2 = 0, buildingsM2 = 0, waterM2 = 0;
    let rings: number[][] = [];
    let point: [number, number];
    if (s.polygons && s.polygons.length) {
      const box = bboxOf(s.polygons);
      areaM2 = multiPolygonAreaM2(s.polygons);
      if (s.kind !== 'civil_defence_work') {
        buildingsM2 = overlapM2(s.polygons, box, bIndex, bItems);
        waterM2 = overlapM2(s.polygons, box, wIndex, water);
      }
      rings = s.polygons.map((p) => flatRing(p[0]));
      point = pointOnSurface(s.polygons);
    } else {
      point = s.point!;
    }
    const eff = effectiveArea({ kind: s.kind, areaM2, buildingsM2, waterM2 }, cap);
    return {
      id: i + 1,
      name: s.name,
      kind: s.kind,
      level,
      capacity: siteCapacity({ kind: s.kind, level, effectiveAreaM2: eff }, cap),
      status: 'open',
      hazards: s.hazards?.length ? s.hazards : defaultHazards(s.kind),
      rings,
      point,
      candidate: false,
    };
  });

  const input: EngineInput = {
    nodes: { ids, lon, lat },
    edges,
    buildings,
    sites,
    zones: [],
    communities: comms.map((c) => ({ id: c.id, name: c.name })),
  };
  return { input, stats: { ms: performance.now() - t0, droppedBuildings: dropped, clipFallbacks } };
}
