/**
 * OSM (.osm XML or .osm.pbf) → an in-memory model of what the planner needs: buildings, evacuation sites,
 * communities, water (for effective site area) and the walking network. A pure function of the file (no DB), so
 * benchmarks and the engine's tests can use it directly. PBF through osm-read (block by block); XML through the
 * streaming reader in osmxml.ts.
 */
import { openSync, readSync, fstatSync, closeSync } from 'node:fs';
import path from 'node:path';
import osmread from 'osm-read';
import { readOsmXml, OsmFileError, type OsmHandlers, type RawMember } from './osmxml.ts';
import { hazardsFromTags, siteKindFromTags, type Hazard, type SiteKind, type Tags } from '../domain/hazards.ts';
import { buildingDims } from '../domain/population.ts';

export { OsmFileError };

/** [lon, lat] */
export type Pos = [number, number];
/** GeoJSON MultiPolygon coordinates: polygons → rings → positions; rings closed. */
export type MultiPolygonCoords = Pos[][][];

export interface OsmArea {
  osmType: 'way' | 'relation';
  osmId: number;
  tags: Tags;
  polygons: MultiPolygonCoords;
}
export interface OsmBuilding extends OsmArea {
  use: string;
  levels: number | null;
  heightM: number | null;
  /** centroid-of-bbox inside a landuse=residential (or residential community) area — makes building=yes residential */
  inResidentialArea: boolean;
}
export interface OsmSite {
  osmType: 'node' | 'way' | 'relation';
  osmId: number;
  tags: Tags;
  kind: SiteKind;
  name: string | null;
  /** explicit hazards from assembly_point:<hazard> tags, else null (the kind's default applies) */
  hazards: Hazard[] | null;
  point?: Pos;
  polygons?: MultiPolygonCoords;
}
export interface OsmCommunity extends OsmArea {
  name: string;
  kind: 'compound' | 'community';
}
export interface RoadEdge {
  wayId: number;
  source: number;
  target: number;
  lengthM: number;
  highway: string;
  name: string | null;
  widthM: number | null;
  coords: Pos[];
}
export interface OsmModel {
  file: string;
  format: 'xml' | 'pbf';
  elements: { nodes: number; ways: number; relations: number };
  buildings: OsmBuilding[];
  sites: OsmSite[];
  communities: OsmCommunity[];
  water: OsmArea[];
  network: {
    /** graph vertices: OSM node ids with positions */
    nodes: { id: number; pos: Pos }[];
    edges: RoadEdge[];
    /** connected components (all kept) and the size of the largest in vertices */
    components: number;
    largestComponentNodes: number;
  };
  warnings: string[];
  ms: number;
}

export interface ParseOptions {
  /** progress lines (default: stderr when the file is big) */
  onProgress?: (msg: string) => void;
  /** name used in messages (default: the file's base name) */
  label?: string;
}

// ───────────────────────────── walking network rules ─────────────────────────────

const FOOT_YES = new Set(['yes', 'designated', 'permissive', 'official']);
const WALKABLE = new Set([
  'footway', 'path', 'pedestrian', 'steps', 'living_street', 'residential', 'service', 'unclassified', 'road',
  'tertiary', 'tertiary_link', 'secondary', 'secondary_link', 'primary', 'primary_link', 'track', 'cycleway',
  'bridleway', 'corridor', 'platform', 'elevator',
]);
const MOTOR_ONLY = new Set(['motorway', 'motorway_link', 'trunk', 'trunk_link']);

/** Whether a way is part of the walking network (rules in the module README / issue 2). */
export function isWalkable(t: Tags): boolean {
  const hw = t.highway;
  if (!hw) return false;
  if (t.area === 'yes') return false; // pedestrian squares are sites, not lines
  const foot = t.foot;
  if (foot === 'no' || foot === 'use_sidepath') return false;
  const footYes = foot !== undefined && FOOT_YES.has(foot);
  if (t.access === 'no' && !footYes) return false;
  if (WALKABLE.has(hw)) return true;
  if (MOTOR_ONLY.has(hw)) {
    const sw = t.sidewalk ?? t['sidewalk:both'] ?? t['sidewalk:left'] ?? t['sidewalk:right'];
    return footYes || (sw !== undefined && sw !== 'no' && sw !== 'none');
  }
  return false; // construction, proposed, abandoned, raceway, bus_guideway, …
}

export function parseWidth(v: string | undefined): number | null {
  if (!v) return null;
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*(m|metres|meters)?\s*$/i.exec(v);
  if (!m) return null;
  const w = Number(m[1]);
  return w > 0 && w < 200 ? w : null;
}

const R = 6371008.8; // mean Earth radius, m (IUGG)
export function haversine(a: Pos, b: Pos): number {
  const toRad = Math.PI / 180;
  const dLat = (b[1] - a[1]) * toRad;
  const dLon = (b[0] - a[0]) * toRad;
  const s = Math.sin(dLat / 2) ** 2 + Math.cos(a[1] * toRad) * Math.cos(b[1] * toRad) * Math.sin(dLon / 2) ** 2;
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(s)));
}

// ───────────────────────────── areas ─────────────────────────────

const WATER = (t: Tags) =>
  t.natural === 'water' || t.waterway === 'riverbank' || t.landuse === 'reservoir' || t.landuse === 'basin' ||
  t.leisure === 'swimming_pool';
const isBuilding = (t: Tags) => !!t.building && t.building !== 'no';
const isResidentialLanduse = (t: Tags) => t.landuse === 'residential';
const communityKind = (t: Tags): OsmCommunity['kind'] | null =>
  t.name && t.landuse === 'residential' ? 'compound'
    : t.name && (t.place === 'neighbourhood' || t.place === 'quarter') ? 'community' : null;
const isAreaOfInterest = (t: Tags) =>
  isBuilding(t) || siteKindFromTags(t) !== null || isResidentialLanduse(t) || communityKind(t) !== null || WATER(t);

function ringArea(r: Pos[]): number {
  let s = 0;
  for (let i = 0, n = r.length - 1; i < n; i++) s += r[i][0] * r[i + 1][1] - r[i + 1][0] * r[i][1];
  return s / 2;
}
function pointInRing(p: Pos, r: Pos[]): boolean {
  let inside = false;
  for (let i = 0, j = r.length - 1; i < r.length; j = i++) {
    const [xi, yi] = r[i];
    const [xj, yj] = r[j];
    if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
export function pointInPolygons(p: Pos, polys: MultiPolygonCoords): boolean {
  return polys.some((poly) => pointInRing(p, poly[0]) && !poly.slice(1).some((h) => pointInRing(p, h)));
}
function bbox(polys: MultiPolygonCoords): [number, number, number, number] {
  let a = Infinity, b = Infinity, c = -Infinity, d = -Infinity;
  for (const poly of polys) for (const [x, y] of poly[0]) { if (x < a) a = x; if (y < b) b = y; if (x > c) c = x; if (y > d) d = y; }
  return [a, b, c, d];
}

/** Join member ways (node-id lists) into closed rings; returns rings and the number of pieces left open. */
function joinRings(parts: number[][]): { rings: number[][]; open: number } {
  const rings: number[][] = [];
  const pending: number[][] = [];
  for (const p of parts) {
    if (p.length < 2) continue;
    if (p.length >= 4 && p[0] === p[p.length - 1]) rings.push(p);
    else pending.push(p.slice());
  }
  let open = 0;
  while (pending.length) {
    let cur = pending.pop()!;
    let grown = true;
    while (cur[0] !== cur[cur.length - 1] && grown) {
      grown = false;
      for (let i = 0; i < pending.length; i++) {
        const p = pending[i];
        const end = cur[cur.length - 1];
        if (p[0] === end) cur = cur.concat(p.slice(1));
        else if (p[p.length - 1] === end) cur = cur.concat(p.slice(0, -1).reverse());
        else if (p[p.length - 1] === cur[0]) cur = p.concat(cur.slice(1));
        else if (p[0] === cur[0]) cur = p.slice().reverse().concat(cur.slice(1));
        else continue;
        pending.splice(i, 1);
        grown = true;
        break;
      }
    }
    if (cur.length >= 4 && cur[0] === cur[cur.length - 1]) rings.push(cur);
    else open++;
  }
  return { rings, open };
}

// ───────────────────────────── reading ─────────────────────────────

interface WayRec { refs: number[]; tags: Tags | null }

/** Scan the PBF block headers so a truncated file is reported with its byte offset before parsing starts. */
function checkPbfFraming(file: string, label: string): void {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const head = Buffer.alloc(4);
    let off = 0;
    let block = 0;
    while (off < size) {
      if (off + 4 > size) throw new OsmFileError(label, `byte ${off} (block ${block})`, 'file ends inside a block-header length (truncated file)');
      readSync(fd, head, 0, 4, off);
      const hlen = head.readInt32BE(0);
      if (hlen <= 0 || hlen > 64 * 1024) throw new OsmFileError(label, `byte ${off} (block ${block})`, `invalid block-header length ${hlen} (not an OSM PBF file, or corrupt)`);
      if (off + 4 + hlen > size) throw new OsmFileError(label, `byte ${off} (block ${block})`, 'file ends inside a block header (truncated file)');
      const hb = Buffer.alloc(hlen);
      readSync(fd, hb, 0, hlen, off + 4);
      // BlobHeader: 1 type (string), 2 indexdata (bytes), 3 datasize (int32)
      let i = 0;
      let type = '';
      let datasize = -1;
      const varint = () => {
        let v = 0, s = 0, b: number;
        do { if (i >= hb.length) throw new OsmFileError(label, `byte ${off} (block ${block})`, 'corrupt block header'); b = hb[i++]; v += (b & 0x7f) * 2 ** s; s += 7; } while (b & 0x80);
        return v;
      };
      while (i < hb.length) {
        const key = varint();
        const field = Math.floor(key / 8), wt = key & 7;
        if (wt === 0) { const v = varint(); if (field === 3) datasize = v; }
        else if (wt === 2) { const len = varint(); if (field === 1) type = hb.toString('utf8', i, i + len); i += len; }
        else throw new OsmFileError(label, `byte ${off} (block ${block})`, 'corrupt block header');
      }
      if (block === 0 && type !== 'OSMHeader') throw new OsmFileError(label, `byte ${off} (block 0)`, `first block is "${type}", not OSMHeader (not an OSM PBF file)`);
      if (datasize < 0) throw new OsmFileError(label, `byte ${off} (block ${block})`, 'block header without a data size');
      const next = off + 4 + hlen + datasize;
      if (next > size) throw new OsmFileError(label, `byte ${off} (block ${block}, ${type})`, `block needs ${datasize} bytes of data but the file ends ${size - off - 4 - hlen} bytes in (truncated file)`);
      off = next;
      block++;
    }
  } finally {
    closeSync(fd);
  }
}

function readPbf(file: string, h: OsmHandlers, label: string): Promise<void> {
  checkPbfFraming(file, label);
  return new Promise((resolve, reject) => {
    let last = 'the first element';
    let failed = false;
    let parser: { pause(): void } | null = null;
    const guard = <T>(what: string, fn: (x: T) => void) => (x: T) => {
      if (failed) return;
      try {
        fn(x);
      } catch (e) {
        failed = true;
        parser?.pause();
        reject(e instanceof OsmFileError ? e : new OsmFileError(label, what, (e as Error).message));
      }
    };
    const tagsOf = (t: Record<string, string> | undefined) => t ?? {};
    parser = osmread.parse({
      filePath: file,
      format: 'pbf',
      node: guard<any>('node', (n) => {
        last = `node ${n.id}`;
        const id = Number(n.id);
        if (!Number.isFinite(n.lat) || !Number.isFinite(n.lon) || Math.abs(n.lat) > 90 || Math.abs(n.lon) > 180)
          throw new OsmFileError(label, last, `bad coordinates (${n.lat}, ${n.lon})`);
        h.node({ id, lat: n.lat, lon: n.lon, tags: tagsOf(n.tags) });
      }),
      way: guard<any>('way', (w) => {
        last = `way ${w.id}`;
        h.way({ id: Number(w.id), refs: w.nodeRefs.map(Number), tags: tagsOf(w.tags) });
      }),
      relation: guard<any>('relation', (r) => {
        last = `relation ${r.id}`;
        h.relation({
          id: Number(r.id),
          tags: tagsOf(r.tags),
          members: r.members.map((m: any) => ({ type: m.type, ref: Number(m.ref), role: m.role ?? '' }) as RawMember),
        });
      }),
      endDocument: () => { if (!failed) resolve(); },
      error: (e: unknown) => {
        if (failed) return;
        failed = true;
        reject(new OsmFileError(label, `after ${last}`, `corrupt PBF data: ${e instanceof Error ? e.message : String(e)}`));
      },
    });
  });
}

/** Parse an OSM file into the model. Throws OsmFileError (file + line / element / byte) on bad input. */
export async function parseOsmFile(file: string, opts: ParseOptions = {}): Promise<OsmModel> {
  const t0 = performance.now();
  const label = opts.label ?? path.basename(file);
  const format: 'xml' | 'pbf' = /\.pbf$/i.test(file) ? 'pbf' : 'xml';
  const progress = opts.onProgress ?? (() => {});

  // nodes: id → index into flat coordinate arrays
  const nodeIndex = new Map<number, number>();
  let lon = new Float64Array(1 << 16);
  let lat = new Float64Array(1 << 16);
  let nNodes = 0;
  const pointSites: OsmSite[] = [];
  const ways = new Map<number, WayRec>();
  const relations: { id: number; members: RawMember[]; tags: Tags }[] = [];
  /** every multipolygon relation, also untagged ones: their inner rings may belong to a tagged outer way */
  const multipolygons: { id: number; members: RawMember[]; tags: Tags }[] = [];
  const counts = { nodes: 0, ways: 0, relations: 0 };
  let lastReport = performance.now();
  const report = (force = false) => {
    const now = performance.now();
    if (!force && now - lastReport < 2000) return;
    lastReport = now;
    progress(`${label}: read ${counts.nodes.toLocaleString('en')} nodes, ${counts.ways.toLocaleString('en')} ways, ${counts.relations.toLocaleString('en')} relations (${((now - t0) / 1000).toFixed(1)} s)`);
  };

  const handlers: OsmHandlers = {
    node(n) {
      counts.nodes++;
      if (nNodes === lon.length) {
        const l2 = new Float64Array(lon.length * 2); l2.set(lon); lon = l2;
        const a2 = new Float64Array(lat.length * 2); a2.set(lat); lat = a2;
      }
      nodeIndex.set(n.id, nNodes);
      lon[nNodes] = n.lon;
      lat[nNodes] = n.lat;
      nNodes++;
      for (const _ in n.tags) {
        const kind = siteKindFromTags(n.tags);
        if (kind) pointSites.push({ osmType: 'node', osmId: n.id, tags: n.tags, kind, name: n.tags.name ?? null, hazards: hazardsFromTags(n.tags, kind), point: [n.lon, n.lat] });
        break;
      }
      if ((counts.nodes & 0xffff) === 0) report();
    },
    way(w) {
      counts.ways++;
      const keepTags = isWalkable(w.tags) || isAreaOfInterest(w.tags);
      ways.set(w.id, { refs: w.refs, tags: keepTags ? w.tags : null });
      if ((counts.ways & 0x3fff) === 0) report();
    },
    relation(r) {
      counts.relations++;
      const t = r.tags;
      if ((t.type === 'multipolygon' || t.type === 'boundary') && isAreaOfInterest(t)) relations.push({ id: r.id, members: r.members, tags: t });
      if (t.type === 'multipolygon') multipolygons.push({ id: r.id, members: r.members, tags: t });
    },
    progress: format === 'xml' ? () => report() : undefined,
  };
  if (format === 'pbf') await readPbf(file, handlers, label);
  else await readOsmXml(file, handlers, label);
  report(true);

  const warnings: string[] = [];
  let missingRefs = 0;
  /** positions of a node-id list; null if any node is missing */
  const coordsOf = (refs: number[]): Pos[] | null => {
    const out: Pos[] = new Array(refs.length);
    for (let i = 0; i < refs.length; i++) {
      const k = nodeIndex.get(refs[i]);
      if (k === undefined) { missingRefs++; return null; }
      out[i] = [lon[k], lat[k]];
    }
    return out;
  };

  // ── closed ways that are whole outer rings of multipolygon relations
  // (a) The relation is itself a building / site (e.g. building=yes on the relation AND on its outer way): the
  //     relation is the feature, so the way must not be counted again — a building counted twice doubles its
  //     residents. Its levels / height fill gaps in the relation's tags.
  // (b) The relation is NOT that feature (old-style multipolygon: tags on the outer way, the relation only
  //     carries type=multipolygon, or other tags such as a name / amenity): the relation's inner rings are holes
  //     of the way's area (courtyards, a pool inside a building outline) and must not count as floor area.
  const outerOf = new Map<number, { id: number; members: RawMember[]; tags: Tags }[]>();
  for (const rel of multipolygons)
    for (const m of rel.members)
      if (m.type === 'way' && m.role !== 'inner') {
        const list = outerOf.get(m.ref);
        if (list) list.push(rel); else outerOf.set(m.ref, [rel]);
      }
  const notSeparately = new Map<number, { building: boolean; site: boolean }>();
  const relFill = new Map<number, Tags>();
  for (const [wayId, rels] of outerOf) {
    const t = ways.get(wayId)?.tags;
    if (!t) continue;
    const building = isBuilding(t) && rels.some((r) => isBuilding(r.tags));
    const site = siteKindFromTags(t) !== null && rels.some((r) => siteKindFromTags(r.tags) !== null);
    if (building || site) notSeparately.set(wayId, { building, site });
    if (building) for (const r of rels) if (isBuilding(r.tags)) {
      const fill: Tags = {};
      for (const k of ['building:levels', 'height', 'building:height']) if (t[k] !== undefined && r.tags[k] === undefined) fill[k] = t[k];
      if (Object.keys(fill).length) relFill.set(r.id, fill);
    }
  }

  // ── areas from closed ways and multipolygon relations
  const areas: OsmArea[] = [];
  const wayArea = new Map<number, OsmArea>();
  for (const [id, w] of ways) {
    if (!w.tags || !isAreaOfInterest(w.tags)) continue;
    const r = w.refs;
    if (r.length < 4 || r[0] !== r[r.length - 1]) continue; // open way: a line, not an area
    if (new Set(r).size < 3) continue; // A-B-…-A: no area
    const ring = coordsOf(r);
    if (!ring) { warnings.push(`way ${id}: refers to nodes missing from the file; skipped`); continue; }
    if (ringArea(ring) === 0) continue; // collinear: no area
    const a: OsmArea = { osmType: 'way', osmId: id, tags: w.tags, polygons: [[ring]] };
    areas.push(a);
    wayArea.set(id, a);
  }
  // (b) holes from the relations a tagged closed way is the whole outer ring of
  for (const rel of multipolygons) {
    const outers = rel.members.filter((m) => m.type === 'way' && m.role !== 'inner');
    if (outers.length !== 1) continue;
    const a = wayArea.get(outers[0].ref);
    if (!a) continue;
    // case (a): the relation itself is the feature (with its own holes); the way is not counted as it
    if ((isBuilding(rel.tags) && isBuilding(a.tags)) || (siteKindFromTags(rel.tags) !== null && siteKindFromTags(a.tags) !== null)) continue;
    const inner = joinRings(rel.members.filter((m) => m.type === 'way' && m.role === 'inner').map((m) => ways.get(m.ref)?.refs ?? []));
    for (const h of inner.rings) {
      const c = coordsOf(h);
      if (c && c.some((p) => pointInRing(p, a.polygons[0][0]))) a.polygons[0].push(c);
    }
  }
  for (const rel of relations) {
    const outerParts: number[][] = [];
    const innerParts: number[][] = [];
    let missingWay = false;
    for (const m of rel.members) {
      if (m.type !== 'way') continue;
      const w = ways.get(m.ref);
      if (!w) { missingWay = true; continue; }
      (m.role === 'inner' ? innerParts : outerParts).push(w.refs);
    }
    const outer = joinRings(outerParts);
    const inner = joinRings(innerParts);
    if (!outer.rings.length) { warnings.push(`relation ${rel.id}: no closed outer ring${missingWay ? ' (member ways missing from the file)' : ''}; skipped`); continue; }
    if (outer.open || inner.open) warnings.push(`relation ${rel.id}: ${outer.open + inner.open} ring piece(s) could not be closed; left out`);
    const polys: MultiPolygonCoords = [];
    let bad = false;
    for (const o of outer.rings) { const c = coordsOf(o); if (!c) { bad = true; break; } polys.push([c]); }
    if (bad) { warnings.push(`relation ${rel.id}: refers to nodes missing from the file; skipped`); continue; }
    // largest outer first so that holes go to the smallest containing outer
    const order = polys.map((p, i) => ({ i, a: Math.abs(ringArea(p[0])) })).sort((a, b) => a.a - b.a);
    for (const h of inner.rings) {
      const c = coordsOf(h);
      if (!c) continue;
      const owner = order.find(({ i }) => pointInRing(c[0], polys[i][0]));
      if (owner) polys[owner.i].push(c);
    }
    const fill = relFill.get(rel.id);
    areas.push({ osmType: 'relation', osmId: rel.id, tags: fill ? { ...fill, ...rel.tags } : rel.tags, polygons: polys });
  }

  // ── classify areas
  const buildings: OsmBuilding[] = [];
  const sites: OsmSite[] = [...pointSites];
  const communities: OsmCommunity[] = [];
  const water: OsmArea[] = [];
  const residential: { box: [number, number, number, number]; polygons: MultiPolygonCoords }[] = [];
  for (const a of areas) {
    const t = a.tags;
    const skip = a.osmType === 'way' ? notSeparately.get(a.osmId) : undefined;
    if (isBuilding(t) && !skip?.building) {
      const { levels, heightM } = buildingDims(t);
      buildings.push({ ...a, use: t.building, levels, heightM, inResidentialArea: false });
    }
    const kind = skip?.site ? null : siteKindFromTags(t);
    if (kind) sites.push({ osmType: a.osmType, osmId: a.osmId, tags: t, kind, name: t.name ?? null, hazards: hazardsFromTags(t, kind), polygons: a.polygons });
    const ck = communityKind(t);
    if (ck) communities.push({ ...a, name: t.name, kind: ck });
    if (isResidentialLanduse(t) || ck) residential.push({ box: bbox(a.polygons), polygons: a.polygons });
    if (WATER(t)) water.push(a);
  }
  // building=yes inside a residential area counts as residential (population.ts): test a point of the footprint
  if (residential.length) {
    for (const b of buildings) {
      const [x0, y0, x1, y1] = bbox(b.polygons);
      const c: Pos = [(x0 + x1) / 2, (y0 + y1) / 2];
      const p = pointInPolygons(c, b.polygons) ? c : b.polygons[0][0][0];
      b.inResidentialArea = residential.some((r) => p[0] >= r.box[0] && p[0] <= r.box[2] && p[1] >= r.box[1] && p[1] <= r.box[3] && pointInPolygons(p, r.polygons));
    }
  }

  // ── walking network: split walkable ways at shared nodes and at their ends
  const walk: { id: number; refs: number[]; tags: Tags }[] = [];
  const uses = new Map<number, number>();
  for (const [id, w] of ways) {
    if (!w.tags || !isWalkable(w.tags)) continue;
    // drop consecutive duplicate refs
    const refs = w.refs.filter((r, i) => i === 0 || r !== w.refs[i - 1]);
    if (refs.length < 2) continue;
    walk.push({ id, refs, tags: w.tags });
    for (const r of refs) uses.set(r, (uses.get(r) ?? 0) + 1);
  }
  const edges: RoadEdge[] = [];
  const vertex = new Set<number>();
  let missingNetworkRefs = 0;
  for (const w of walk) {
    const widthM = parseWidth(w.tags.width);
    const name = w.tags.name ?? null;
    let segRefs: number[] = [];
    let segCoords: Pos[] = [];
    let len = 0;
    const flush = () => {
      if (segRefs.length >= 2 && len > 0) {
        const s = segRefs[0], t = segRefs[segRefs.length - 1];
        edges.push({ wayId: w.id, source: s, target: t, lengthM: len, highway: w.tags.highway, name, widthM, coords: segCoords });
        vertex.add(s); vertex.add(t);
      }
    };
    for (let i = 0; i < w.refs.length; i++) {
      const r = w.refs[i];
      const k = nodeIndex.get(r);
      if (k === undefined) { missingNetworkRefs++; flush(); segRefs = []; segCoords = []; len = 0; continue; }
      const p: Pos = [lon[k], lat[k]];
      if (segCoords.length) len += haversine(segCoords[segCoords.length - 1], p);
      segRefs.push(r);
      segCoords.push(p);
      if (i > 0 && i < w.refs.length - 1 && (uses.get(r) ?? 0) >= 2 && segRefs.length >= 2) {
        flush();
        segRefs = [r]; segCoords = [p]; len = 0;
      }
    }
    flush();
  }
  if (missingNetworkRefs) warnings.push(`${missingNetworkRefs} walkable-way node references are missing from the file (ways cut at the extract's edge)`);
  if (missingRefs) warnings.push(`${missingRefs} area(s) refer to nodes missing from the file`);

  // connected components (union–find over vertices)
  const ids = [...vertex];
  const idx = new Map<number, number>();
  ids.forEach((id, i) => idx.set(id, i));
  const parent = new Int32Array(ids.length).map((_, i) => i);
  const find = (x: number): number => { while (parent[x] !== x) { parent[x] = parent[parent[x]]; x = parent[x]; } return x; };
  for (const e of edges) { const a = find(idx.get(e.source)!), b = find(idx.get(e.target)!); if (a !== b) parent[a] = b; }
  const compSize = new Map<number, number>();
  for (let i = 0; i < ids.length; i++) { const r = find(i); compSize.set(r, (compSize.get(r) ?? 0) + 1); }
  const nodes = ids.map((id) => { const k = nodeIndex.get(id)!; return { id, pos: [lon[k], lat[k]] as Pos }; });

  const model: OsmModel = {
    file, format, elements: counts, buildings, sites, communities, water,
    network: { nodes, edges, components: compSize.size, largestComponentNodes: Math.max(0, ...compSize.values()) },
    warnings, ms: Math.round(performance.now() - t0),
  };
  progress(`${label}: ${buildings.length} buildings, ${sites.length} sites, ${communities.length} communities, ${edges.length} walking edges / ${nodes.length} vertices in ${model.network.components} component(s) (${model.ms} ms)`);
  return model;
}
