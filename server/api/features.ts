/** Reading features of a registered layer as GeoJSON: bbox filter, paging, single feature, extent. */
import type { Queryable } from '../db/index.ts';
import type { LayerDef } from './layers.ts';

export interface BBox {
  minLon: number;
  minLat: number;
  maxLon: number;
  maxLat: number;
}

export interface Feature {
  type: 'Feature';
  id: number;
  geometry: unknown;
  properties: Record<string, unknown>;
}

export const MAX_LIMIT = 10_000;
/** Coordinates are written with 7 decimals (≈ 1 cm). */
const GEOJSON_DECIMALS = 7;

/**
 * Parse `minLon,minLat,maxLon,maxLat` (or the 6-number 3D form when `allow3d`, heights ignored).
 * Returns an error message instead of throwing so callers can name the parameter.
 * A bbox with minLon > maxLon crosses the antimeridian (OGC API Features) and is kept as such: `bboxParts`
 * splits it in two.
 */
export function parseBBox(text: string, allow3d = false): BBox | string {
  const parts = text.split(',');
  if (parts.length !== 4 && !(allow3d && parts.length === 6)) {
    return allow3d
      ? `expected 4 (or 6) comma-separated numbers minLon,minLat,maxLon,maxLat, got ${parts.length}`
      : `expected 4 comma-separated numbers minLon,minLat,maxLon,maxLat, got ${parts.length}`;
  }
  const nums = parts.map((p) => (p.trim() === '' ? NaN : Number(p)));
  if (nums.some((n) => !Number.isFinite(n))) return 'every value must be a finite number';
  const [minLon, minLat, maxLon, maxLat] = parts.length === 6 ? [nums[0], nums[1], nums[3], nums[4]] : nums;
  if (minLon < -180 || minLon > 180 || maxLon < -180 || maxLon > 180) return 'longitudes must be within [-180, 180]';
  if (minLat < -90 || minLat > 90 || maxLat < -90 || maxLat > 90) return 'latitudes must be within [-90, 90]';
  if (minLat >= maxLat) return 'minLat must be less than maxLat';
  if (minLon === maxLon) return 'minLon must differ from maxLon';
  return { minLon, minLat, maxLon, maxLat };
}

/** One or two (antimeridian-crossing) envelopes. */
export function bboxParts(b: BBox): [number, number, number, number][] {
  if (b.minLon < b.maxLon) return [[b.minLon, b.minLat, b.maxLon, b.maxLat]];
  return [
    [b.minLon, b.minLat, 180, b.maxLat],
    [-180, b.minLat, b.maxLon, b.maxLat],
  ];
}

/** WHERE clause (over alias `t`) and its parameters, numbered from `firstParam`. */
export function whereClause(layer: LayerDef, bbox: BBox | undefined, firstParam = 1): { sql: string; params: unknown[] } {
  const conds: string[] = [];
  const params: unknown[] = [];
  if (layer.where) conds.push(`(${layer.where})`);
  if (bbox) {
    const g = `t.${layer.geometryColumn}`;
    const ors = bboxParts(bbox).map((env) => {
      const i = firstParam + params.length;
      params.push(...env);
      return `ST_Intersects(${g}, ST_MakeEnvelope($${i}::float8, $${i + 1}::float8, $${i + 2}::float8, $${i + 3}::float8, 4326))`;
    });
    conds.push(ors.length === 1 ? ors[0] : `(${ors.join(' OR ')})`);
  }
  return { sql: conds.length ? `WHERE ${conds.join(' AND ')}` : '', params };
}

function propertyColumns(layer: LayerDef): string {
  return Object.entries(layer.properties)
    .map(([name, p]) => `${p.sql} AS "p_${name}"`)
    .join(', ');
}

function rowToFeature(layer: LayerDef, row: Record<string, any>): Feature {
  const properties: Record<string, unknown> = {};
  for (const name of Object.keys(layer.properties)) {
    const v = row[`p_${name}`];
    properties[name] = v === undefined ? null : v;
  }
  return { type: 'Feature', id: Number(row.__id), geometry: JSON.parse(row.__geom), properties };
}

export interface FeaturePage {
  features: Feature[];
  numberMatched: number;
  numberReturned: number;
}

export async function queryFeatures(
  db: Queryable,
  layer: LayerDef,
  opts: { bbox?: BBox; limit: number; offset: number },
): Promise<FeaturePage> {
  const limit = Math.max(1, Math.min(MAX_LIMIT, Math.floor(opts.limit)));
  const offset = Math.max(0, Math.floor(opts.offset));
  const w = whereClause(layer, opts.bbox, 1);
  const n = w.params.length;
  const rows = await db.query(
    `SELECT t.${layer.idColumn} AS __id, ST_AsGeoJSON(t.${layer.geometryColumn}, ${GEOJSON_DECIMALS}) AS __geom, ${propertyColumns(layer)}
       FROM ${layer.from} t ${w.sql}
      ORDER BY t.${layer.idColumn}
      LIMIT $${n + 1}::int OFFSET $${n + 2}::int`,
    [...w.params, limit, offset],
  );
  let numberMatched: number;
  if (rows.length < limit && (rows.length > 0 || offset === 0)) {
    numberMatched = offset + rows.length; // the last page: no second query needed
  } else {
    const [{ c }] = await db.query<{ c: number }>(`SELECT count(*)::int AS c FROM ${layer.from} t ${w.sql}`, w.params);
    numberMatched = c;
  }
  const features = rows.map((r) => rowToFeature(layer, r));
  return { features, numberMatched, numberReturned: features.length };
}

export async function getFeature(db: Queryable, layer: LayerDef, id: number): Promise<Feature | undefined> {
  if (!Number.isSafeInteger(id)) return undefined;
  const w = whereClause(layer, undefined);
  const idCond = `t.${layer.idColumn} = $1::bigint`;
  const rows = await db.query(
    `SELECT t.${layer.idColumn} AS __id, ST_AsGeoJSON(t.${layer.geometryColumn}, ${GEOJSON_DECIMALS}) AS __geom, ${propertyColumns(layer)}
       FROM ${layer.from} t ${w.sql ? `${w.sql} AND ${idCond}` : `WHERE ${idCond}`}`,
    [id],
  );
  return rows.length ? rowToFeature(layer, rows[0]) : undefined;
}

/** [minLon, minLat, maxLon, maxLat] of all features, or undefined when the layer is empty. */
export async function layerExtent(db: Queryable, layer: LayerDef): Promise<[number, number, number, number] | undefined> {
  const w = whereClause(layer, undefined);
  const [r] = await db.query(
    `SELECT ST_XMin(e) AS x0, ST_YMin(e) AS y0, ST_XMax(e) AS x1, ST_YMax(e) AS y1
       FROM (SELECT ST_Extent(t.${layer.geometryColumn})::geometry AS e FROM ${layer.from} t ${w.sql}) s`,
  );
  if (!r || r.x0 === null || r.x0 === undefined) return undefined;
  return [Number(r.x0), Number(r.y0), Number(r.x1), Number(r.y1)];
}
