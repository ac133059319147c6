/**
 * Test fixtures for the engine: ASCII-grid networks and random graphs.
 *
 * ASCII grid: every character cell is SPACING metres (10 m) apart, both ways; row 0 is the northernmost.
 *   '+' or 'S' or 'B' or 'o'  → a network node (S also places a point site there, B a building)
 *   '-'                       → horizontal path between the nodes to its left and right
 *   '|'                       → vertical path
 *   'b' / 's' inside a run    → a building / point site lying *on* that path (mid-edge, not a node)
 *   'b' / 's' elsewhere       → an off-path building / site (it snaps to the nearest path)
 * Buildings and sites are numbered in reading order (row by row, left to right) with ids 1, 2, 3 …
 * Edge lengths are exactly (cells × SPACING) metres; node ids are 1000 + row*1000 + col.
 */
import type { EngineBuilding, EngineEdge, EngineInput, EngineSite } from '../../../server/engine/types.ts';

export const SPACING = 10;
const LON0 = 116.3, LAT0 = 40.0;
const R = 6_371_008.8, DEG = Math.PI / 180;
const KY = R * DEG, KX = R * DEG * Math.cos(LAT0 * DEG);

export function cellLonLat(row: number, col: number): [number, number] {
  return [LON0 + (col * SPACING) / KX, LAT0 - (row * SPACING) / KY];
}
/** lon/lat for a point given in metres east/south of the grid origin. */
export function metresLonLat(east: number, south: number): [number, number] {
  return [LON0 + east / KX, LAT0 - south / KY];
}

const NODE = new Set(['+', 'S', 'B', 'o']);
const H_RUN = new Set(['-', 'b', 's']);
const V_RUN = new Set(['|', 'b', 's']);

export interface GridFixture {
  input: EngineInput<EngineEdge[]>;
  /** node id at (row, col) */
  nodeId(row: number, col: number): number;
}

export function gridFixture(text: string, opts: { population?: number; capacity?: number; highway?: string } = {}): GridFixture {
  const lines = text.replace(/^\n/, '').split('\n');
  const at = (r: number, c: number) => (lines[r] ?? '')[c] ?? ' ';
  const ids: number[] = [], lon: number[] = [], lat: number[] = [];
  const nodeId = (r: number, c: number) => 1000 + r * 1000 + c;
  const edges: EngineEdge[] = [];
  const buildings: EngineBuilding[] = [];
  const sites: EngineSite[] = [];
  const addEdge = (r0: number, c0: number, r1: number, c1: number) => {
    const cells = Math.abs(r1 - r0) + Math.abs(c1 - c0);
    const a = cellLonLat(r0, c0), b = cellLonLat(r1, c1);
    edges.push({
      id: edges.length + 1, source: nodeId(r0, c0), target: nodeId(r1, c1), lengthM: cells * SPACING,
      highway: opts.highway ?? 'footway', widthM: null, coords: [a[0], a[1], b[0], b[1]],
    });
  };
  for (let r = 0; r < lines.length; r++) {
    for (let c = 0; c < lines[r].length; c++) {
      const ch = at(r, c);
      const [x, y] = cellLonLat(r, c);
      if (NODE.has(ch)) {
        ids.push(nodeId(r, c)); lon.push(x); lat.push(y);
        let k = c + 1;
        while (H_RUN.has(at(r, k))) k++;
        if (k > c + 1 && NODE.has(at(r, k))) addEdge(r, c, r, k);
        k = r + 1;
        while (V_RUN.has(at(k, c))) k++;
        if (k > r + 1 && NODE.has(at(k, c))) addEdge(r, c, k, c);
      }
      if (ch === 'B' || ch === 'b') {
        buildings.push({ id: buildings.length + 1, osmId: null, name: `B${buildings.length + 1}`, population: opts.population ?? 10, levels: 1, communityId: 1, ring: [], point: [x, y] });
      }
      if (ch === 'S' || ch === 's') {
        sites.push({ id: sites.length + 1, name: `S${sites.length + 1}`, kind: 'square', level: 'emergency', capacity: opts.capacity ?? 1000, status: 'open', hazards: ['earthquake', 'fire'], rings: [], point: [x, y] });
      }
    }
  }
  return {
    input: { nodes: { ids, lon: Float64Array.from(lon), lat: Float64Array.from(lat) }, edges, buildings, sites, zones: [], communities: [{ id: 1, name: '社区' }] },
    nodeId,
  };
}

/** Deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A w×h grid network with `spacing` m between nodes; a fraction `dropEdges` of edges removed at random (so the
 * network is irregular and may have several components); lengths are the straight distances × (1 + jitter).
 * Buildings are random points between the paths, sites random points too.
 */
export function randomGridInput(o: {
  w: number; h: number; spacing?: number; buildings: number; sites: number; seed: number;
  dropEdges?: number; lengthJitter?: number; population?: [number, number]; capacity?: [number, number];
}): EngineInput<EngineEdge[]> {
  const rand = rng(o.seed);
  const sp = o.spacing ?? 50;
  const n = o.w * o.h;
  const ids = new Float64Array(n), lon = new Float64Array(n), lat = new Float64Array(n);
  for (let j = 0; j < o.h; j++) for (let i = 0; i < o.w; i++) {
    const v = j * o.w + i;
    ids[v] = v + 1;
    const [x, y] = metresLonLat(i * sp, j * sp);
    lon[v] = x; lat[v] = y;
  }
  const edges: EngineEdge[] = [];
  const drop = o.dropEdges ?? 0;
  const jit = o.lengthJitter ?? 0;
  const add = (a: number, b: number) => {
    if (rand() < drop) return;
    edges.push({ id: edges.length + 1, source: a + 1, target: b + 1, lengthM: sp * (1 + jit * rand()), highway: 'residential', widthM: null, coords: [lon[a], lat[a], lon[b], lat[b]] });
  };
  for (let j = 0; j < o.h; j++) for (let i = 0; i < o.w; i++) {
    const v = j * o.w + i;
    if (i + 1 < o.w) add(v, v + 1);
    if (j + 1 < o.h) add(v, v + o.w);
  }
  const [p0, p1] = o.population ?? [5, 60];
  const [c0, c1] = o.capacity ?? [200, 2000];
  const W = (o.w - 1) * sp, H = (o.h - 1) * sp;
  const buildings: EngineBuilding[] = [];
  for (let b = 0; b < o.buildings; b++) {
    const [x, y] = metresLonLat(rand() * W, rand() * H);
    buildings.push({ id: b + 1, osmId: null, name: null, population: Math.round(p0 + rand() * (p1 - p0)), levels: 1 + Math.floor(rand() * 6), communityId: 1 + (b % 3), ring: [], point: [x, y] });
  }
  const sites: EngineSite[] = [];
  for (let s = 0; s < o.sites; s++) {
    const [x, y] = metresLonLat(rand() * W, rand() * H);
    sites.push({ id: s + 1, name: `site ${s + 1}`, kind: 'park', level: 'emergency', capacity: Math.round(c0 + rand() * (c1 - c0)), status: 'open', hazards: ['earthquake'], rings: [], point: [x, y] });
  }
  return { nodes: { ids, lon, lat }, edges, buildings, sites, zones: [], communities: [{ id: 1, name: 'A' }, { id: 2, name: 'B' }, { id: 3, name: 'C' }] };
}
