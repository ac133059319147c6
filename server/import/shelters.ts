/**
 * Shelter / civil-defence lists (CSV or GeoJSON) → site rows, through a column mapping (data/mappings/*.json).
 * The mapping says which columns hold name, lon, lat, capacity, area, kind, hazards, address and id, how kind and
 * hazard values translate, and the coordinates' CRS (gcj02 / bd09 are converted to WGS-84 with gcoord; Chinese
 * map services publish GCJ-02 or BD-09 — DOMAIN.md "OSM tags").
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseCsv } from 'csv-parse/sync';
import gcoord from 'gcoord';
import { z } from 'zod';
import { HAZARDS, SITE_KINDS, isHazard, type Hazard, type SiteKind } from '../domain/hazards.ts';
import { haversine, type Pos } from './osm.ts';

export class ListFileError extends Error {
  constructor(readonly file: string, readonly place: string, detail: string) {
    super(`${file}: ${place}: ${detail}`);
    this.name = 'ListFileError';
  }
}

export const Crs = z.enum(['wgs84', 'gcj02', 'bd09']);
export type Crs = z.infer<typeof Crs>;

export const Mapping = z.object({
  name: z.string(),
  description: z.string().optional(),
  format: z.enum(['csv', 'geojson']),
  crs: Crs.default('wgs84'),
  /** headers (CSV) or property names (GeoJSON) that identify this format for auto-detection */
  detect: z.array(z.string()).default([]),
  columns: z.object({
    id: z.string().optional(),
    name: z.string(),
    lon: z.string().optional(),
    lat: z.string().optional(),
    capacity: z.string().optional(),
    area: z.string().optional(),
    kind: z.string().optional(),
    level: z.string().optional(),
    hazards: z.string().optional(),
    address: z.string().optional(),
  }),
  kinds: z.record(z.string(), z.enum(SITE_KINDS)).default({}),
  defaultKind: z.enum(SITE_KINDS).default('assembly_point'),
  level: z.enum(['emergency', 'fixed']).default('emergency'),
  /** regular expression splitting the hazards column */
  hazardSeparator: z.string().default('[;,]'),
  hazards: z.record(z.string(), z.enum(HAZARDS)).default({}),
  /** columns that are hazard flags: column → hazard, set when the cell is one of flagTrue */
  hazardFlags: z.record(z.string(), z.enum(HAZARDS)).optional(),
  flagTrue: z.array(z.string()).default(['1', '是', 'yes', 'true', '○', '◯']),
  /** rows farther than this from the list's median position are rejected as bad coordinates */
  outlierKm: z.number().positive().default(30),
  isolationKm: z.number().positive().default(5),
});
export type Mapping = z.infer<typeof Mapping>;

export interface ShelterRow {
  extRef: string;
  name: string;
  kind: SiteKind;
  level: 'emergency' | 'fixed';
  /** WGS-84 */
  point: Pos;
  /** a polygon/multipolygon geometry (GeoJSON text, WGS-84) when the source has one */
  geometry?: string;
  areaM2: number | null;
  capacity: number | null;
  hazards: Hazard[];
  address: string | null;
  props: Record<string, unknown>;
}
export interface ShelterList {
  file: string;
  source: string;
  mapping: string;
  crs: Crs;
  rows: ShelterRow[];
  rejected: { place: string; reason: string }[];
  warnings: string[];
}

const MAPPINGS_DIR = fileURLToPath(new URL('../../data/mappings/', import.meta.url));

export function listMappings(): Mapping[] {
  return readdirSync(MAPPINGS_DIR).filter((f) => f.endsWith('.json')).sort().map((f) => loadMapping(path.join(MAPPINGS_DIR, f)));
}

/** A mapping by name (data/mappings/<name>.json) or by path. */
export function loadMapping(nameOrPath: string): Mapping {
  const p = existsSync(nameOrPath) ? nameOrPath : path.join(MAPPINGS_DIR, nameOrPath.replace(/\.json$/, '') + '.json');
  if (!existsSync(p)) throw new Error(`mapping not found: ${nameOrPath} (known: ${readdirSync(MAPPINGS_DIR).map((f) => f.replace(/\.json$/, '')).join(', ')})`);
  const r = Mapping.safeParse(JSON.parse(readFileSync(p, 'utf8')));
  if (!r.success) throw new Error(`mapping ${p} is invalid: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return r.data;
}

/** The mapping whose `detect` names are all present (the most specific one wins), or null. */
export function detectMapping(format: 'csv' | 'geojson', names: string[], mappings = listMappings()): Mapping | null {
  const have = new Set(names.map((n) => n.trim()));
  const fits = mappings.filter((m) => m.format === format && m.detect.every((h) => have.has(h)));
  fits.sort((a, b) => b.detect.length - a.detect.length);
  return fits[0] ?? null;
}

function toWgs84(p: Pos, crs: Crs): Pos {
  if (crs === 'wgs84') return p;
  const out = gcoord.transform(p as [number, number], crs === 'gcj02' ? gcoord.GCJ02 : gcoord.BD09, gcoord.WGS84) as number[];
  return [out[0], out[1]];
}

const num = (v: unknown): number | null => {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  const s = String(v).replace(/[,，\s]/g, '');
  if (s === '') return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
};
const str = (v: unknown): string | null => (v === null || v === undefined || String(v).trim() === '' ? null : String(v).trim());

interface RawRecord { place: string; props: Record<string, unknown>; geometry?: { type: string; coordinates: any } }

function readCsvRecords(file: string, label: string, text: string): { header: string[]; records: RawRecord[] } {
  let rows: string[][];
  try {
    rows = parseCsv(text, { bom: true, skip_empty_lines: true, relax_column_count: false });
  } catch (e: any) {
    throw new ListFileError(label, `line ${e.lines ?? '?'}`, `malformed CSV (${e.message})`);
  }
  if (!rows.length) throw new ListFileError(label, 'line 1', 'empty file (no header)');
  const header = rows[0].map((h) => h.trim());
  const records = rows.slice(1).map((r, i) => {
    const props: Record<string, unknown> = {};
    header.forEach((h, k) => (props[h] = r[k]));
    return { place: `row ${i + 1} (line ${i + 2})`, props };
  });
  return { header, records };
}

function readGeoJsonRecords(label: string, text: string): { names: string[]; records: RawRecord[] } {
  let doc: any;
  try {
    doc = JSON.parse(text);
  } catch (e: any) {
    const m = /position (\d+)/.exec(e.message);
    const line = m ? text.slice(0, Number(m[1])).split('\n').length : undefined;
    throw new ListFileError(label, line ? `line ${line}` : 'JSON', `malformed JSON (${e.message})`);
  }
  const feats = doc?.type === 'FeatureCollection' && Array.isArray(doc.features) ? doc.features : null;
  if (!feats) throw new ListFileError(label, 'top level', 'not a GeoJSON FeatureCollection');
  const names = new Set<string>();
  const records = feats.map((f: any, i: number) => {
    const place = `feature ${i}${f?.id !== undefined ? ` (id ${f.id})` : ''}`;
    if (f?.type !== 'Feature' || !f.geometry) throw new ListFileError(label, place, 'not a Feature with a geometry');
    const props = { ...(f.properties ?? {}) };
    if (f.id !== undefined && props.id === undefined) props.id = f.id;
    Object.keys(props).forEach((k) => names.add(k));
    return { place, props, geometry: f.geometry };
  });
  return { names: [...names], records };
}

export interface ReadListOptions {
  mapping?: string | Mapping;
  crs?: Crs;
  label?: string;
}

/** Read a shelter list (CSV or GeoJSON) into WGS-84 site rows. Throws ListFileError naming file and line/row. */
export function readShelterList(file: string, opts: ReadListOptions = {}): ShelterList {
  const label = opts.label ?? path.basename(file);
  const text = readFileSync(file, 'utf8');
  const isGeo = /\.(geo)?json$/i.test(file);
  const { names, records } = isGeo
    ? readGeoJsonRecords(label, text)
    : (() => { const r = readCsvRecords(file, label, text); return { names: r.header, records: r.records }; })();
  const mapping = typeof opts.mapping === 'object' ? opts.mapping
    : opts.mapping ? loadMapping(opts.mapping)
    : detectMapping(isGeo ? 'geojson' : 'csv', names);
  if (!mapping) throw new ListFileError(label, isGeo ? 'properties' : 'line 1 (header)', `no column mapping matches the ${isGeo ? 'properties' : 'header'} [${names.join(', ')}]; pass --mapping <name|path>`);
  const crs = opts.crs ?? mapping.crs;
  const c = mapping.columns;
  for (const [role, col] of Object.entries(c)) {
    if (col && !names.includes(col) && !(isGeo && (role === 'lon' || role === 'lat'))) {
      if (role === 'name' || role === 'lon' || role === 'lat') throw new ListFileError(label, 'header', `column "${col}" (${role}) required by mapping ${mapping.name} is missing`);
    }
  }
  const sep = new RegExp(mapping.hazardSeparator);
  const warnings: string[] = [];
  const rejected: ShelterList['rejected'] = [];
  const rows: ShelterRow[] = [];
  const seen = new Map<string, number>();
  for (const rec of records) {
    const p = rec.props;
    const name = str(p[c.name]);
    let point: Pos | null = null;
    let geometry: string | undefined;
    if (rec.geometry) {
      const g = rec.geometry;
      const conv = (x: any): any => (typeof x[0] === 'number' ? toWgs84([x[0], x[1]], crs) : x.map(conv));
      if (g.type === 'Point') point = conv(g.coordinates);
      else if (g.type === 'Polygon' || g.type === 'MultiPolygon') {
        const coords = conv(g.coordinates);
        geometry = JSON.stringify({ type: g.type, coordinates: coords });
        const first: Pos = g.type === 'Polygon' ? coords[0][0] : coords[0][0][0];
        point = first;
      } else { rejected.push({ place: rec.place, reason: `geometry type ${g.type} is not supported` }); continue; }
    } else {
      const lon = num(p[c.lon!]);
      const lat = num(p[c.lat!]);
      if (lon === null || lat === null) { rejected.push({ place: rec.place, reason: `no coordinates (${c.lon}=${JSON.stringify(p[c.lon!])}, ${c.lat}=${JSON.stringify(p[c.lat!])})` }); continue; }
      point = toWgs84([lon, lat], crs);
    }
    if (!point || !(Math.abs(point[0]) <= 180 && Math.abs(point[1]) <= 90) || (point[0] === 0 && point[1] === 0)) {
      rejected.push({ place: rec.place, reason: `coordinates out of range (${point})` });
      continue;
    }
    if (!name) { rejected.push({ place: rec.place, reason: `no name (${c.name})` }); continue; }
    const kindRaw = c.kind ? str(p[c.kind]) : null;
    let kind: SiteKind = mapping.defaultKind;
    if (kindRaw) {
      const k = mapping.kinds[kindRaw] ?? ((SITE_KINDS as readonly string[]).includes(kindRaw) ? (kindRaw as SiteKind) : null);
      if (k) kind = k;
      else warnings.push(`${rec.place}: unknown kind "${kindRaw}", used ${mapping.defaultKind}`);
    }
    const levelRaw = c.level ? str(p[c.level]) : null;
    const level = levelRaw === 'fixed' || levelRaw === 'emergency' ? levelRaw : mapping.level;
    const hazards = new Set<Hazard>();
    const hv = c.hazards ? p[c.hazards] : undefined;
    const parts = Array.isArray(hv) ? hv.map(String) : str(hv)?.split(sep) ?? [];
    for (const raw of parts.map((s) => s.trim()).filter(Boolean)) {
      const h = mapping.hazards[raw] ?? (isHazard(raw) ? raw : null);
      if (h) hazards.add(h);
      else warnings.push(`${rec.place}: unknown hazard "${raw}" ignored`);
    }
    if (mapping.hazardFlags) {
      for (const [col, h] of Object.entries(mapping.hazardFlags)) if (mapping.flagTrue.includes(String(p[col] ?? '').trim())) hazards.add(h);
    }
    const capacity = c.capacity ? num(p[c.capacity]) : null;
    const areaM2 = c.area ? num(p[c.area]) : null;
    if (capacity !== null && capacity < 0) { rejected.push({ place: rec.place, reason: `negative capacity ${capacity}` }); continue; }
    if (areaM2 !== null && areaM2 < 0) { rejected.push({ place: rec.place, reason: `negative area ${areaM2}` }); continue; }
    const idRaw = c.id ? str(p[c.id]) : null;
    const extRef = idRaw ?? `${name}@${point[0].toFixed(6)},${point[1].toFixed(6)}`;
    const used = new Set(Object.values(c).filter(Boolean) as string[]);
    const extra: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(p)) if (!used.has(k) && v !== '' && v !== null && v !== undefined) extra[k] = v;
    const row: ShelterRow = {
      extRef, name, kind, level, point, geometry, areaM2, capacity: capacity === null ? null : Math.round(capacity),
      hazards: [...hazards], address: c.address ? str(p[c.address]) : null,
      props: { list: extra, place: rec.place, ...(crs !== 'wgs84' ? { source_crs: crs } : {}) },
    };
    if (seen.has(extRef)) { warnings.push(`${rec.place}: duplicate id "${extRef}" — the later row wins`); rows[seen.get(extRef)!] = row; continue; }
    seen.set(extRef, rows.length);
    rows.push(row);
  }
  // coordinate sanity: reject a point that is far from the list's median AND alone (no other row within
  // isolationKm) — a typo or a placeholder coordinate; a far-away cluster (an island district) is kept.
  if (rows.length >= 5) {
    const med = (a: number[]) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };
    const centre: Pos = [med(rows.map((r) => r.point[0])), med(rows.map((r) => r.point[1]))];
    const bad = new Set<number>();
    rows.forEach((r, i) => {
      const d = haversine(centre, r.point) / 1000;
      if (d <= mapping.outlierKm) return;
      const alone = !rows.some((o, j) => j !== i && haversine(o.point, r.point) / 1000 <= mapping.isolationKm);
      if (!alone) return;
      bad.add(i);
      rejected.push({ place: String(r.props.place), reason: `${r.name} at (${r.point.join(', ')}) is ${d.toFixed(0)} km from the list's median position with no other row within ${mapping.isolationKm} km: bad coordinates` });
    });
    for (const i of [...bad].sort((a, b) => b - a)) rows.splice(i, 1);
  }
  if (!rows.length) throw new ListFileError(label, 'all rows', `no usable rows (${rejected.length} rejected${rejected[0] ? `, e.g. ${rejected[0].place}: ${rejected[0].reason}` : ''})`);
  return { file, source: path.basename(file), mapping: mapping.name, crs, rows, rejected, warnings };
}
