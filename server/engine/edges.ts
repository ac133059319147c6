/**
 * The walking network's edges as columns, and the few helpers that let the engine and its callers take either form
 * of `EngineInput.edges` (an array of `EngineEdge` objects, or `EngineEdgeColumns`).
 *
 * Why columns: a city's network is ~1.3 M edges. As objects (each with its own coordinate array) they are 2.6 M heap
 * objects that every full collection marks again while the input stays alive for what-ifs; as columns they are ten
 * typed arrays. Loaders of real networks (the database, the benchmark's OSM import) build columns with
 * `EdgeColumnsBuilder`; small hand-made inputs (tests, fixtures) may stay arrays of objects.
 */
import type { EngineEdge, EngineEdgeColumns, EngineEdges } from './types.ts';

export function isEdgeColumns(edges: EngineEdges): edges is EngineEdgeColumns {
  return !Array.isArray(edges);
}

export function edgeCount(edges: EngineEdges): number {
  return isEdgeColumns(edges) ? edges.id.length : edges.length;
}

/** External id of edge `e` (by index). */
export function edgeIdAt(edges: EngineEdges, e: number): number {
  return isEdgeColumns(edges) ? edges.id[e] : edges[e].id;
}

/** Edge `e` as an object (a fresh one for columns: for occasional reads, not loops over a whole network). */
export function edgeAt(edges: EngineEdges, e: number): EngineEdge {
  if (!isEdgeColumns(edges)) return edges[e];
  const w = edges.widthM[e];
  return {
    id: edges.id[e], source: edges.source[e], target: edges.target[e], lengthM: edges.lengthM[e],
    highway: edges.highways[edges.highway[e]], widthM: Number.isNaN(w) ? null : w,
    coords: edges.coords.subarray(2 * edges.coordStart[e], 2 * edges.coordStart[e + 1]),
  };
}

/** The edges as columns: the columns themselves, or a copy of an array of objects. */
export function toEdgeColumns(edges: EngineEdges): EngineEdgeColumns {
  if (isEdgeColumns(edges)) {
    checkColumns(edges);
    return edges;
  }
  let points = 0;
  for (const ed of edges) points += ed.coords ? ed.coords.length >> 1 : 0;
  const b = new EdgeColumnsBuilder(edges.length, points);
  for (const ed of edges) b.push(ed.id, ed.source, ed.target, ed.lengthM, ed.highway, ed.widthM, ed.coords);
  return b.finish();
}

function checkColumns(c: EngineEdgeColumns): void {
  const m = c.id.length;
  for (const [k, a] of [['source', c.source], ['target', c.target], ['lengthM', c.lengthM], ['highway', c.highway], ['widthM', c.widthM]] as const) {
    if (a.length !== m) throw new Error(`edges: column ${k} has ${a.length} values for ${m} edges`);
  }
  if (c.coordStart.length !== m + 1 || c.coordStart[0] !== 0 || 2 * c.coordStart[m] !== c.coords.length) {
    throw new Error(`edges: coordStart must have ${m + 1} offsets from 0 to coords.length / 2 (${c.coords.length / 2})`);
  }
}

/** Builds `EngineEdgeColumns` edge by edge; the sizes given up front are hints (the columns grow past them). */
export class EdgeColumnsBuilder {
  private m = 0;
  private p = 0;
  private id: Float64Array;
  private source: Float64Array;
  private target: Float64Array;
  private lengthM: Float64Array;
  private highway: Uint16Array;
  private widthM: Float64Array;
  private coordStart: Int32Array;
  private coords: Float64Array;
  private readonly highways: string[] = [];
  private readonly highwayIndex = new Map<string, number>();

  constructor(edges = 1024, points = 4 * edges) {
    const m = Math.max(1, edges);
    this.id = new Float64Array(m); this.source = new Float64Array(m); this.target = new Float64Array(m);
    this.lengthM = new Float64Array(m); this.highway = new Uint16Array(m); this.widthM = new Float64Array(m);
    this.coordStart = new Int32Array(m + 1);
    this.coords = new Float64Array(2 * Math.max(1, points));
  }

  /** Adds one edge; `coords` is its flat lon,lat geometry (empty → a straight line between its nodes). */
  push(id: number, source: number, target: number, lengthM: number, highway: string, widthM: number | null, coords: ArrayLike<number> | null): void {
    if (this.m === this.id.length) this.growEdges(this.m * 2);
    const k = coords ? coords.length >> 1 : 0;
    if (2 * (this.p + k) > this.coords.length) {
      const a = new Float64Array(Math.max(2 * (this.p + k), Math.ceil(this.coords.length * 1.5)));
      a.set(this.coords.subarray(0, 2 * this.p));
      this.coords = a;
    }
    const e = this.m++;
    this.id[e] = id; this.source[e] = source; this.target[e] = target; this.lengthM[e] = lengthM;
    let h = this.highwayIndex.get(highway);
    if (h === undefined) {
      h = this.highways.length;
      if (h > 0xffff) throw new Error('edges: more than 65,536 highway classes');
      this.highways.push(highway);
      this.highwayIndex.set(highway, h);
    }
    this.highway[e] = h;
    this.widthM[e] = widthM ?? NaN;
    for (let i = 0; i < 2 * k; i++) this.coords[2 * this.p + i] = coords![i];
    this.p += k;
    this.coordStart[e + 1] = this.p;
  }

  finish(): EngineEdgeColumns {
    const m = this.m;
    const fit = <T extends Float64Array | Uint16Array | Int32Array>(a: T, n: number): T => (a.length === n ? a : (a.slice(0, n) as T));
    return {
      id: fit(this.id, m), source: fit(this.source, m), target: fit(this.target, m), lengthM: fit(this.lengthM, m),
      highway: fit(this.highway, m), highways: this.highways.slice(), widthM: fit(this.widthM, m),
      coordStart: fit(this.coordStart, m + 1), coords: fit(this.coords, 2 * this.p),
    };
  }

  private growEdges(cap: number): void {
    const grow = <T extends Float64Array | Uint16Array | Int32Array>(a: T, n: number): T => {
      const b = new (a.constructor as new (n: number) => T)(n);
      b.set(a);
      return b;
    };
    this.id = grow(this.id, cap); this.source = grow(this.source, cap); this.target = grow(this.target, cap);
    this.lengthM = grow(this.lengthM, cap); this.highway = grow(this.highway, cap); this.widthM = grow(this.widthM, cap);
    this.coordStart = grow(this.coordStart, cap + 1);
  }
}
