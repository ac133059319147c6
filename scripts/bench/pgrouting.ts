/**
 * pgRouting / PostGIS side of the side-by-side benchmark (on top of the oracle in test/helpers/pgrouting.ts):
 *  - KNN snap of every building's door point to the nearest edge: LATERAL (… ORDER BY geog <-> point LIMIT 1) on a
 *    GiST-indexed geography column (geography distance, not degrees), with ST_LineLocatePoint for the fraction;
 *  - a route geometry per building: pgr_dijkstra from the virtual super-source to every building vertex, the split
 *    pieces' geometries merged per building (ST_LineMerge(ST_Collect(…))) in the database.
 */
import type { Queryable } from '../../server/db/index.ts';
import type { SplitGraph } from '../../test/helpers/pgrouting.ts';

/** Door points table + geography edges with a GiST index (needs loadSplitGraph(…, { geometry: true }) first). */
export async function loadKnnTables(db: Queryable, schema: string, lon: ArrayLike<number>, lat: ArrayLike<number>): Promise<number> {
  const t0 = performance.now();
  const ids: number[] = [], xs: number[] = [], ys: number[] = [];
  for (let b = 0; b < lon.length; b++) { ids.push(b); xs.push(lon[b]); ys.push(lat[b]); }
  await db.exec(`
    DROP TABLE IF EXISTS ${schema}.doors;
    CREATE TABLE ${schema}.doors (b integer PRIMARY KEY, geom geometry(Point, 4326) NOT NULL, geog geography(Point, 4326) NOT NULL);
    ALTER TABLE ${schema}.orig_edges ADD COLUMN IF NOT EXISTS geog geography(LineString, 4326);
    UPDATE ${schema}.orig_edges SET geog = geom::geography;
    CREATE INDEX ON ${schema}.orig_edges USING gist (geog);`);
  await db.query(
    `INSERT INTO ${schema}.doors (b, geom, geog)
     SELECT u.b, ST_SetSRID(ST_MakePoint(u.x, u.y), 4326), ST_SetSRID(ST_MakePoint(u.x, u.y), 4326)::geography
     FROM unnest($1::int[], $2::float8[], $3::float8[]) AS u(b, x, y)`,
    [ids, xs, ys],
  );
  await db.exec(`ANALYZE ${schema}.doors; ANALYZE ${schema}.orig_edges;`);
  return performance.now() - t0;
}

export interface KnnResult { ms: number; rows: number; edge: Int32Array; distance: Float64Array }

/** Nearest edge (index = orig id − 1) and geography distance per door point. */
export async function knnSnap(db: Queryable, schema: string, n: number, maxSnapM = 250): Promise<KnnResult> {
  const t0 = performance.now();
  const rows = await db.query<{ b: number; e: number; f: number; d: number }>(
    `SELECT d.b, k.id AS e, ST_LineLocatePoint(k.geom, d.geom) AS f, k.dist AS d
       FROM ${schema}.doors d
       CROSS JOIN LATERAL (SELECT o.id, o.geom, o.geog <-> d.geog AS dist FROM ${schema}.orig_edges o
                           ORDER BY o.geog <-> d.geog LIMIT 1) k
      WHERE k.dist <= $1`,
    [maxSnapM],
  );
  const ms = performance.now() - t0;
  const edge = new Int32Array(n).fill(-1), distance = new Float64Array(n).fill(Infinity);
  for (const r of rows) { edge[r.b] = Number(r.e) - 1; distance[r.b] = Number(r.d); }
  return { ms, rows: rows.length, edge, distance };
}

export interface RouteGeomResult { ms: number; routes: number; points: number; distance: Map<number, number> }

/**
 * A merged route geometry per building vertex from the super-source (built and measured in the database), for
 * `targets` (default: every building vertex). pgr_dijkstra one-to-many returns every path row by row, so on all of
 * Monaco's ~21k building vertices it ran for minutes with an 8 GB backend here: the benchmark uses a sample.
 */
export async function routeGeometries(db: Queryable, g: SplitGraph, targets: number[] = g.buildingVertices): Promise<RouteGeomResult> {
  const t0 = performance.now();
  const edgesSql = `SELECT id, source, target, cost FROM ${g.schema}.edges UNION ALL SELECT id, source, target, cost FROM ${g.schema}.super_edges`;
  const rows = await db.query<{ v: number; d: number; n: number }>(
    `SELECT r.end_vid AS v, max(r.agg_cost) AS d, ST_NPoints(ST_LineMerge(ST_Collect(e.geom ORDER BY r.path_seq))) AS n
       FROM pgr_dijkstra($1::text, $2::bigint, $3::bigint[], false) r
       LEFT JOIN ${g.schema}.edges e ON e.id = r.edge
      GROUP BY r.end_vid`,
    [edgesSql, g.superSource, targets],
  );
  const ms = performance.now() - t0;
  const distance = new Map<number, number>();
  let points = 0;
  for (const r of rows) { distance.set(Number(r.v), Number(r.d)); points += Number(r.n ?? 0); }
  return { ms, routes: rows.length, points, distance };
}
