/**
 * Geometry checks for drawn zones and sites, in two steps:
 *  1. structure, in JS (`geometrySchema`): GeoJSON type allowed here, arrays of [lon, lat] (a third value, the
 *     height, is dropped), finite numbers in WGS-84 ranges, rings of ≥ 4 positions that close on their first
 *     position, no edge longer than 180° of longitude (across the antimeridian the map's planar geometry and the
 *     spheroid's would disagree), at most `maxVertices` positions — each problem named with its path, e.g.
 *     `geometry.coordinates[0][3]: longitude 200 is outside [-180, 180]`;
 *  2. topology and size, in PostGIS (`checkGeometry`): ST_IsValid, rejected with ST_IsValidReason's words and
 *     location (a self-intersecting bow-tie is refused, not silently repaired by ST_MakeValid: the planner sees
 *     where to fix it), and the area on the spheroid against a limit.
 */
import { z } from 'zod';
import type { Queryable } from '../db/index.ts';
import { bad } from './http.ts';

export type Position = [number, number];
export type PointGeom = { type: 'Point'; coordinates: Position };
export type PolygonGeom = { type: 'Polygon'; coordinates: Position[][] };
export type MultiPolygonGeom = { type: 'MultiPolygon'; coordinates: Position[][][] };
export type Geom = PointGeom | PolygonGeom | MultiPolygonGeom;
export type GeomType = Geom['type'];

export const DEFAULT_MAX_VERTICES = 10_000;
/** Largest zone or site accepted: 100 km² (a city district; a central shelter is ≥ 50 ha, GB 50413-2007 §8.2.8). */
export const DEFAULT_MAX_AREA_M2 = 100 * 1_000_000;

type Ctx = { addIssue(i: { code: 'custom'; message: string; path?: (string | number)[] }): void };

class Fail extends Error {
  constructor(
    readonly path: (string | number)[],
    message: string,
  ) {
    super(message);
  }
}

function position(v: unknown, path: (string | number)[]): Position {
  if (!Array.isArray(v)) throw new Fail(path, 'expected a position [longitude, latitude]');
  if (v.length < 2 || v.length > 3) throw new Fail(path, `expected [longitude, latitude], got ${v.length} value(s)`);
  const [lon, lat] = v;
  if (typeof lon !== 'number' || !Number.isFinite(lon)) throw new Fail(path, 'longitude must be a finite number');
  if (typeof lat !== 'number' || !Number.isFinite(lat)) throw new Fail(path, 'latitude must be a finite number');
  if (v.length === 3 && (typeof v[2] !== 'number' || !Number.isFinite(v[2]))) throw new Fail(path, 'height must be a finite number');
  if (lon < -180 || lon > 180) throw new Fail(path, `longitude ${lon} is outside [-180, 180] (WGS-84 degrees, longitude first)`);
  if (lat < -90 || lat > 90) throw new Fail(path, `latitude ${lat} is outside [-90, 90] (WGS-84 degrees, longitude first)`);
  return [lon, lat];
}

function polygon(v: unknown, path: (string | number)[], count: { n: number; max: number }): Position[][] {
  if (!Array.isArray(v) || v.length === 0) throw new Fail(path, 'expected a polygon: a non-empty array of linear rings');
  return v.map((ring, r) => {
    const rp = [...path, r];
    if (!Array.isArray(ring)) throw new Fail(rp, 'expected a linear ring: an array of positions');
    if (ring.length < 4) throw new Fail(rp, `a linear ring needs at least 4 positions (3 corners and the first again), got ${ring.length}`);
    count.n += ring.length;
    if (count.n > count.max) throw new Fail(['coordinates'], `too many vertices: more than ${count.max}`);
    const pts = ring.map((p, i) => position(p, [...rp, i]));
    const a = pts[0];
    const b = pts[pts.length - 1];
    if (a[0] !== b[0] || a[1] !== b[1]) {
      throw new Fail(rp, `ring is not closed: the last position [${b.join(', ')}] must equal the first [${a.join(', ')}]`);
    }
    for (let i = 1; i < pts.length; i++) {
      if (Math.abs(pts[i][0] - pts[i - 1][0]) > 180) {
        throw new Fail([...rp, i], 'this edge spans more than 180° of longitude (it crosses the antimeridian); split the shape at ±180°');
      }
    }
    return pts;
  });
}

/** Validate GeoJSON structure; returns the normalised 2-D geometry or the first problem with its path. */
export function parseGeometry(v: unknown, allowed: readonly GeomType[], maxVertices = DEFAULT_MAX_VERTICES): Geom | Fail {
  try {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Fail([], `expected a GeoJSON ${allowed.join(' or ')} object`);
    const g = v as { type?: unknown; coordinates?: unknown };
    if (typeof g.type !== 'string' || !(allowed as readonly string[]).includes(g.type)) {
      throw new Fail(['type'], `expected ${allowed.join(' or ')}, got ${typeof g.type === 'string' ? g.type.slice(0, 40) : typeof g.type}`);
    }
    const count = { n: 0, max: maxVertices };
    const c = g.coordinates;
    if (!Array.isArray(c)) throw new Fail(['coordinates'], 'expected an array of coordinates');
    switch (g.type as GeomType) {
      case 'Point':
        return { type: 'Point', coordinates: position(c, ['coordinates']) };
      case 'Polygon':
        return { type: 'Polygon', coordinates: polygon(c, ['coordinates'], count) };
      case 'MultiPolygon':
        if (c.length === 0) throw new Fail(['coordinates'], 'a MultiPolygon needs at least one polygon');
        if (c.length > maxVertices / 4) throw new Fail(['coordinates'], `too many polygons: ${c.length}`);
        return { type: 'MultiPolygon', coordinates: c.map((p, i) => polygon(p, ['coordinates', i], count)) };
    }
  } catch (e) {
    if (e instanceof Fail) return e;
    throw e;
  }
}

/** A zod field for a GeoJSON geometry of the allowed types (structure checks of step 1). */
export function geometrySchema(allowed: readonly GeomType[], maxVertices = DEFAULT_MAX_VERTICES) {
  return z.unknown().transform((v, ctx: Ctx) => {
    const r = parseGeometry(v, allowed, maxVertices);
    if (r instanceof Fail) {
      ctx.addIssue({ code: 'custom', message: r.message, path: r.path });
      return z.NEVER;
    }
    return r;
  });
}

export interface GeometryFacts {
  areaM2: number;
  vertices: number;
}

/** SQL for a geometry parameter: `$n` holds the GeoJSON text. */
export const geomParam = (n: number) => `ST_SetSRID(ST_GeomFromGeoJSON($${n}::text), 4326)`;

/**
 * Step 2: validity and size in PostGIS. Throws a 400 naming the problem (ST_IsValidReason and where) or the area.
 * `field` names the body field in messages.
 */
export async function checkGeometry(q: Queryable, g: Geom, o: { maxAreaM2: number; field?: string }): Promise<GeometryFacts> {
  const field = o.field ?? 'geometry';
  let row: { valid: boolean; reason: string | null; area_m2: number; n: number } | undefined;
  try {
    [row] = await q.query(
      `SELECT ST_IsValid(g) AS valid, CASE WHEN ST_IsValid(g) THEN NULL ELSE ST_IsValidReason(g) END AS reason,
              CASE WHEN ST_IsValid(g) AND GeometryType(g) <> 'POINT' THEN ST_Area(g::geography) ELSE 0 END AS area_m2,
              ST_NPoints(g) AS n
         FROM (SELECT ${geomParam(1)} AS g) s`,
      [JSON.stringify(g)],
    );
  } catch {
    throw bad(`${field}: PostGIS could not read this geometry`, { field });
  }
  if (!row) throw bad(`${field}: PostGIS could not read this geometry`, { field });
  if (!row.valid) {
    const reason = row.reason ?? 'invalid geometry';
    const m = /^(.*?)\s*\[([-\d.eE+]+)\s+([-\d.eE+]+)\]\s*$/.exec(reason);
    const problem = m ? m[1] : reason;
    const at = m ? [Number(m[2]), Number(m[3])] : null;
    const hint = /self-intersection/i.test(problem) ? ' — edges cross each other (e.g. a bow-tie); move the vertices so no edges cross' : '';
    throw bad(`${field} is not valid: ${problem}${at ? ` at [${at[0]}, ${at[1]}]` : ''}${hint}`, { field, reason: problem, location: at });
  }
  if (!(row.area_m2 >= 0) || !Number.isFinite(row.area_m2)) throw bad(`${field}: its area could not be measured`, { field });
  if (g.type !== 'Point' && row.area_m2 <= 0) throw bad(`${field} has no area`, { field });
  if (row.area_m2 > o.maxAreaM2) {
    const km2 = (x: number) => (x / 1e6).toLocaleString('en', { maximumFractionDigits: 2 });
    throw bad(`${field} is too large: ${km2(row.area_m2)} km², the limit is ${km2(o.maxAreaM2)} km² (a polygon across the antimeridian counts the long way round)`, {
      field,
      areaM2: row.area_m2,
      maxAreaM2: o.maxAreaM2,
    });
  }
  return { areaM2: row.area_m2, vertices: row.n };
}
