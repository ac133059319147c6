/**
 * An independent oracle for the engine's nearest-site distances: PostGIS + pgRouting on the same graph.
 *
 * The walking graph is loaded into a private schema with every edge SPLIT at each snap point (buildings' snapped
 * points and the entrances of eligible sites), so buildings and entrances become real vertices — exact, including a
 * building and an entrance on the same edge. Piece costs are (f₁ − f₀) × lengthM, the engine's partial-length rule.
 * Then:
 *  - `nearestViaSuperSource`: a virtual super-source joined at cost 0 to every eligible entrance vertex, and ONE
 *    `pgr_dijkstraCost` from it to all building vertices (undirected);
 *  - `nearestManyToMany`: `pgr_dijkstraCost` entrance vertices × building vertices (undirected), min per building.
 * (`pgr_drivingDistance` with `equicost` gives wrong answers in pgRouting 3.4.2 — issue 3 — so it is not used.)
 * Rows go in as `INSERT … SELECT FROM unnest($1::bigint[], …)`. Server only (pgRouting is not in PGlite).
 *
 * Vertex ids: graph node index i → i + 1; split points → nodeCount + 1 + k; the super-source is the last id.
 */
import { randomBytes } from 'node:crypto';
import { openDb, type Db, type Queryable } from '../../server/db/index.ts';
import type { EngineInput } from '../../server/engine/types.ts';
import { edgeAt, edgeCount } from '../../server/engine/edges.ts';

/** What the oracle needs from a plan (PlanResult satisfies it; so does a hand-made object). */
export interface OracleSnaps {
  buildings: { snapEdge: Int32Array | number[]; snapFraction: Float64Array | number[] };
  /** buildings to query (default: all); others get NaN */
  included?: Uint8Array | number[];
  entrances: { edgeIndex: number; fraction: number; siteIndex: number }[];
  sites: { eligible: boolean }[];
  /** closed edges (by edge index), e.g. plan.context.graph.closed in a what-if */
  closed?: Uint8Array | null;
}

export interface PgrHandle {
  db: Db;
  schema: string;
  /** drops the schema and closes the connection */
  drop(): Promise<void>;
}

/**
 * Opens the server database in a new private schema with pgRouting available, or returns the reason to skip
 * (no DATABASE_URL, server unreachable, pgRouting not installed). Extensions are created in schema public.
 */
export async function openPgRouting(url = process.env.DATABASE_URL): Promise<PgrHandle | { skip: string }> {
  if (!url) return { skip: 'DATABASE_URL is not set: pgRouting comparison skipped' };
  const schema = `pgr_${randomBytes(6).toString('hex')}`;
  let db: Db;
  try {
    db = await openDb({ url, schema, migrate: false });
  } catch (e) {
    return { skip: `cannot open ${url.replace(/\/\/[^@]*@/, '//…@')}: ${(e as Error).message}` };
  }
  const drop = async () => {
    try { await db.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`); } finally { await db.close(); }
  };
  try {
    const [av] = await db.query(`SELECT count(*) AS n FROM pg_available_extensions WHERE name = 'pgrouting'`);
    if (!av || Number(av.n) === 0) { await drop(); return { skip: 'pgRouting is not installed on the server (apt-get install postgresql-15-pgrouting)' }; }
    await db.exec('CREATE EXTENSION IF NOT EXISTS pgrouting SCHEMA public');
  } catch (e) {
    await drop();
    return { skip: `pgRouting unavailable: ${(e as Error).message}` };
  }
  return { db, schema, drop };
}

export interface SplitGraph {
  schema: string;
  nodeCount: number;
  /** vertex id per building (-1: not snapped / not included) */
  buildingVertex: Float64Array;
  /** distinct building vertex ids */
  buildingVertices: number[];
  /** distinct vertex ids of eligible entrances */
  entranceVertices: number[];
  superSource: number;
  pieces: number;
  vertices: number;
  ms: number;
}

export interface LoadOptions {
  /** also store each piece's geometry (ST_LineSubstring of the edge) for route geometry queries */
  geometry?: boolean;
}

/** Loads the split graph into `schema` (tables edges, super_edges[, orig_edges]). */
export async function loadSplitGraph(db: Queryable, schema: string, input: EngineInput, snaps: OracleSnaps, opts: LoadOptions = {}): Promise<SplitGraph> {
  const t0 = performance.now();
  const n = input.nodes.ids.length;
  const m = edgeCount(input.edges);
  const nodeIndex = new Map<number, number>();
  for (let i = 0; i < n; i++) nodeIndex.set(Number(input.nodes.ids[i]), i);
  const nB = input.buildings.length;
  const closed = snaps.closed ?? null;

  // points to split at, per edge: [fraction, tag] (tag ≥ 0 building, < 0 entrance -1 - k)
  const perEdge = new Map<number, { f: number; tag: number }[]>();
  const add = (e: number, f: number, tag: number) => {
    let l = perEdge.get(e);
    if (!l) perEdge.set(e, (l = []));
    l.push({ f, tag });
  };
  for (let b = 0; b < nB; b++) {
    if (snaps.included && !snaps.included[b]) continue;
    const e = snaps.buildings.snapEdge[b];
    if (e < 0 || (closed && closed[e])) continue;
    add(e, snaps.buildings.snapFraction[b], b);
  }
  snaps.entrances.forEach((en, k) => {
    if (!snaps.sites[en.siteIndex]?.eligible) return;
    if (closed && closed[en.edgeIndex]) return;
    add(en.edgeIndex, en.fraction, -1 - k);
  });

  const buildingVertex = new Float64Array(nB).fill(-1);
  const entranceSet = new Set<number>();
  let nextVertex = n + 1;
  const pid: number[] = [], psrc: number[] = [], ptgt: number[] = [], pcost: number[] = [], pedge: number[] = [], pf0: number[] = [], pf1: number[] = [];
  for (let e = 0; e < m; e++) {
    if (closed && closed[e]) continue;
    const ed = edgeAt(input.edges, e);
    const s = nodeIndex.get(ed.source)! + 1, t = nodeIndex.get(ed.target)! + 1;
    const L = ed.lengthM;
    const pts = perEdge.get(e);
    if (!pts) {
      pid.push(pid.length + 1); psrc.push(s); ptgt.push(t); pcost.push(L); pedge.push(e + 1); pf0.push(0); pf1.push(1);
      continue;
    }
    pts.sort((a, b) => a.f - b.f);
    let prevV = s, prevF = 0;
    let i = 0;
    while (i < pts.length) {
      const f = pts[i].f;
      let v: number;
      if (f <= 0) v = s;
      else if (f >= 1) v = t;
      else v = -1;
      if (v === -1) {
        v = nextVertex++;
        pid.push(pid.length + 1); psrc.push(prevV); ptgt.push(v); pcost.push((f - prevF) * L); pedge.push(e + 1); pf0.push(prevF); pf1.push(f);
        prevV = v; prevF = f;
      }
      // every point at exactly this fraction shares the vertex
      for (; i < pts.length && pts[i].f === f; i++) {
        const tag = pts[i].tag;
        if (tag >= 0) buildingVertex[tag] = v;
        else entranceSet.add(v);
      }
    }
    pid.push(pid.length + 1); psrc.push(prevV); ptgt.push(t); pcost.push((1 - prevF) * L); pedge.push(e + 1); pf0.push(prevF); pf1.push(1);
  }
  const superSource = nextVertex++;
  const entranceVertices = [...entranceSet];
  const buildingVertices = [...new Set(Array.from(buildingVertex).filter((v) => v >= 0))];

  await db.exec(`
    DROP TABLE IF EXISTS ${schema}.edges, ${schema}.super_edges, ${schema}.orig_edges;
    CREATE TABLE ${schema}.edges (id bigint PRIMARY KEY, source bigint NOT NULL, target bigint NOT NULL, cost float8 NOT NULL,
                                  orig integer NOT NULL, f0 float8 NOT NULL, f1 float8 NOT NULL, geom geometry(LineString, 4326));
    CREATE TABLE ${schema}.super_edges (id bigint PRIMARY KEY, source bigint NOT NULL, target bigint NOT NULL, cost float8 NOT NULL);`);
  const CH = 50_000;
  for (let i = 0; i < pid.length; i += CH) {
    const sl = <T>(a: T[]) => a.slice(i, i + CH);
    await db.query(
      `INSERT INTO ${schema}.edges (id, source, target, cost, orig, f0, f1)
       SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::float8[], $5::int[], $6::float8[], $7::float8[])`,
      [sl(pid), sl(psrc), sl(ptgt), sl(pcost), sl(pedge), sl(pf0), sl(pf1)],
    );
  }
  // super-source edges: ids after the pieces' ids
  await db.query(
    `INSERT INTO ${schema}.super_edges (id, source, target, cost)
     SELECT $1::bigint + ord, $2::bigint, v, 0 FROM unnest($3::bigint[]) WITH ORDINALITY AS u(v, ord)`,
    [pid.length, superSource, entranceVertices],
  );
  if (opts.geometry) {
    await db.exec(`CREATE TABLE ${schema}.orig_edges (id integer PRIMARY KEY, geom geometry(LineString, 4326) NOT NULL)`);
    for (let i = 0; i < m; i += CH) {
      const ids: number[] = [], wkt: string[] = [];
      for (let e = i; e < Math.min(m, i + CH); e++) {
        const ed = edgeAt(input.edges, e), c = ed.coords;
        let pts: string[] = [];
        if (c && c.length >= 4) for (let k = 0; k + 1 < c.length; k += 2) pts.push(`${c[k]} ${c[k + 1]}`);
        else {
          const s = nodeIndex.get(ed.source)!, t = nodeIndex.get(ed.target)!;
          pts = [`${input.nodes.lon[s]} ${input.nodes.lat[s]}`, `${input.nodes.lon[t]} ${input.nodes.lat[t]}`];
        }
        ids.push(e + 1); wkt.push(`LINESTRING(${pts.join(',')})`);
      }
      await db.query(
        `INSERT INTO ${schema}.orig_edges (id, geom) SELECT u.id, ST_GeomFromText(u.wkt, 4326) FROM unnest($1::int[], $2::text[]) AS u(id, wkt)`,
        [ids, wkt],
      );
    }
    // zero-length pieces (two snap points at one fraction) stay NULL: ST_LineSubstring gives a Point there
    await db.exec(`UPDATE ${schema}.edges p SET geom = s.g FROM (
        SELECT p2.id, ST_LineSubstring(o.geom, p2.f0, p2.f1) AS g FROM ${schema}.edges p2 JOIN ${schema}.orig_edges o ON o.id = p2.orig
         WHERE p2.f1 > p2.f0) s
      WHERE s.id = p.id AND GeometryType(s.g) = 'LINESTRING'`);
  }
  await db.exec(`ANALYZE ${schema}.edges; ANALYZE ${schema}.super_edges;`);
  return {
    schema, nodeCount: n, buildingVertex, buildingVertices, entranceVertices, superSource,
    pieces: pid.length, vertices: nextVertex - 1, ms: performance.now() - t0,
  };
}

function perBuilding(g: SplitGraph, byVertex: Map<number, number>): Float64Array {
  const out = new Float64Array(g.buildingVertex.length).fill(NaN);
  for (let b = 0; b < out.length; b++) {
    const v = g.buildingVertex[b];
    out[b] = v < 0 ? Infinity : byVertex.get(v) ?? Infinity;
  }
  return out;
}

export interface OracleResult {
  /** network metres per building: Infinity = unreachable / not snapped */
  distance: Float64Array;
  /** query time (ms), excluding the load */
  ms: number;
  rows: number;
}

const EDGES_SQL = (schema: string) => `SELECT id, source, target, cost FROM ${schema}.edges`;

/** Nearest eligible entrance for every building: one pgr_dijkstraCost from the virtual super-source. */
export async function nearestViaSuperSource(db: Queryable, g: SplitGraph): Promise<OracleResult> {
  const t0 = performance.now();
  const sql = `${EDGES_SQL(g.schema)} UNION ALL SELECT id, source, target, cost FROM ${g.schema}.super_edges`;
  const rows = g.entranceVertices.length && g.buildingVertices.length
    ? await db.query<{ v: number; d: number }>(
      `SELECT end_vid AS v, agg_cost AS d FROM pgr_dijkstraCost($1::text, $2::bigint, $3::bigint[], false)`,
      [sql, g.superSource, g.buildingVertices],
    )
    : [];
  const ms = performance.now() - t0;
  const byVertex = new Map<number, number>();
  for (const r of rows) byVertex.set(Number(r.v), Number(r.d));
  return { distance: perBuilding(g, byVertex), ms, rows: rows.length };
}

/** Nearest eligible entrance for every building: many-to-many pgr_dijkstraCost (entrances × buildings), min per building. */
export async function nearestManyToMany(db: Queryable, g: SplitGraph): Promise<OracleResult & { pairs: number }> {
  const t0 = performance.now();
  const rows = g.entranceVertices.length && g.buildingVertices.length
    ? await db.query<{ v: number; d: number; n: number }>(
      `SELECT end_vid AS v, min(agg_cost) AS d, count(*) AS n
         FROM pgr_dijkstraCost($1::text, $2::bigint[], $3::bigint[], false) GROUP BY end_vid`,
      [EDGES_SQL(g.schema), g.entranceVertices, g.buildingVertices],
    )
    : [];
  const ms = performance.now() - t0;
  const byVertex = new Map<number, number>();
  let pairs = 0;
  for (const r of rows) { byVertex.set(Number(r.v), Number(r.d)); pairs += Number(r.n); }
  // pgRouting leaves out start = end pairs: a building vertex that is an entrance vertex is at distance 0
  for (const v of g.entranceVertices) byVertex.set(v, 0);
  return { distance: perBuilding(g, byVertex), ms, rows: rows.length, pairs };
}

export interface Mismatch { building: number; engine: number; oracle: number }

/** Buildings where the two distances disagree beyond max(absTol, relTol × distance), or reachability differs. */
export function compareDistances(engine: ArrayLike<number>, oracle: ArrayLike<number>, included?: ArrayLike<number>, absTol = 1e-3, relTol = 1e-6): Mismatch[] {
  const out: Mismatch[] = [];
  for (let b = 0; b < oracle.length; b++) {
    if (included && !included[b]) continue;
    const a = engine[b], o = oracle[b];
    const fa = Number.isFinite(a), fo = Number.isFinite(o);
    if (fa !== fo || (fa && Math.abs(a - o) > Math.max(absTol, relTol * Math.abs(o)))) out.push({ building: b, engine: a, oracle: o });
  }
  return out;
}
