/**
 * Demo / benchmark district generator: a deterministic, realistic Chinese community district in Changzhou (常州),
 * written as OSM XML (WGS-84) plus a civil-defence works list (人防工程, CSV in GCJ-02 like real Chinese lists).
 *
 * Layout: a grid of roads (every 3rd line a main road: primary/secondary with sidewalks; the rest tertiary /
 * residential branch roads) cutting the land into cells. A cell is a walled residential compound (小区: 6-storey
 * slab blocks south, 18-storey towers north, a ring footway, a central service road, footways along every row
 * with a spur to each staircase entrance, 1–3 gates), a park (loop and cross paths, pond, playground), a school
 * (teaching buildings, playground, pitch), a square with shops, a civic / commercial block, or a garden.
 * Every walkable way ends on or shares its junction nodes with another, and every cell connects to the road that
 * borders it through "connector" nodes that lie on the road centreline, so the walking network is one graph.
 *
 * Pure: no I/O. `generateDistrict` yields text chunks for the two files and returns counts. It runs the layout
 * twice (nodes first, then ways — the order OSM files use) instead of holding the city in memory; the layout is a
 * pure function of (seed, cell), so both passes agree. Numbers used:
 *  - residents per building: server/domain/population.ts (floor area per resident, 2020 census, DOMAIN.md);
 *  - civil-defence capacity: 1.0 m² per person — GB 50225, UNCONFIRMED (DOMAIN.md), server/domain/capacity.ts;
 *  - block spacing ≈ 1.2 × building height (sunlight spacing, typical for Jiangsu; an assumption for realism);
 *  - footprints: slab blocks 50–66 × 11–13 m, towers 28–34 × 18–22 m, 3 m per storey.
 */
import gcoord from 'gcoord';
import { DEFAULT_CAPACITY_PARAMS } from '../domain/capacity.ts';
import { estimatePopulation } from '../domain/population.ts';
import { localFrame, type LocalFrame } from './geo.ts';
import {
  BRANCH_ROADS, MAIN_ROADS_EW, MAIN_ROADS_NS, WORDS, chineseNumeral, compoundName, districtName, gardenName,
  parkName, roadName, schoolName, squareName,
} from './names.ts';
import { hash32, mulberry32, type Rng } from './prng.ts';

export type DistrictSize = 'demo' | 'city' | number;

export interface DistrictOptions {
  /** 'demo' (a few compounds, default), 'city' (≥ 200,000 buildings) or a minimum number of buildings */
  size?: DistrictSize;
  seed?: number;
  /** centre of the district, WGS-84 (default Changzhou, 119.97 E 31.78 N) */
  lon0?: number;
  lat0?: number;
}

export interface DistrictStats {
  buildings: number;
  residentialBuildings: number;
  /** estimated with server/domain/population.ts defaults */
  residents: number;
  compounds: number;
  /** open-space sites: parks, gardens, grass, playgrounds, pitches, squares */
  sites: number;
  cdWorks: number;
  cdCapacity: number;
  nodes: number;
  ways: number;
  walkableWays: number;
  /** walking-graph vertices: nodes shared by ≥ 2 walkable ways, or ends of a walkable way */
  networkVertices: number;
  cellsX: number;
  cellsY: number;
  bbox: [number, number, number, number];
}

export interface DistrictChunk {
  file: 'osm' | 'csv';
  text: string;
}

export const CITY_MIN_BUILDINGS = 200_000;
export const CSV_HEADER = '编号,名称,类型,地址,经度,纬度,面积_平方米,容纳人数,适用灾种';
export const DEFAULT_SEED = 20240601;
const CHANGZHOU: [number, number] = [119.97, 31.78];

/** highway values that carry people on foot (pedestrian areas are surfaces, not graph edges) */
const WALKABLE = new Set([
  'primary', 'secondary', 'tertiary', 'residential', 'unclassified', 'living_street', 'service', 'footway',
  'pedestrian', 'path', 'steps',
]);

type Side = 'S' | 'N' | 'W' | 'E';
type Use = 'compound' | 'park' | 'school' | 'square' | 'civic' | 'shops' | 'garden';

interface RoadClass {
  highway: string;
  widthM: number;
  lanes: number;
  sidewalk: boolean;
  /** centreline to the edge of the road reserve (carriageway + sidewalk) */
  halfM: number;
  main: boolean;
}
const ROADS: Record<string, RoadClass> = {
  primary: { highway: 'primary', widthM: 32, lanes: 6, sidewalk: true, halfM: 21, main: true },
  secondary: { highway: 'secondary', widthM: 24, lanes: 4, sidewalk: true, halfM: 17, main: true },
  tertiary: { highway: 'tertiary', widthM: 14, lanes: 2, sidewalk: true, halfM: 11, main: false },
  residential: { highway: 'residential', widthM: 9, lanes: 2, sidewalk: false, halfM: 7, main: false },
};
function lineClass(i: number): RoadClass {
  if (i % 6 === 0) return ROADS.primary!;
  if (i % 3 === 0) return ROADS.secondary!;
  return i % 3 === 1 ? ROADS.tertiary! : ROADS.residential!;
}

/**
 * The demo's hand-placed uses (row 0 is the south): four compounds of 6-storey blocks with their central gardens,
 * the park, square, school and a lawn to the west, and a north-east compound without garden or civil-defence works,
 * partly beyond 500 m of open space ('shops' = a civic block without its lawn), so an inspector sees uncovered
 * buildings and a capacity shortfall.
 */
const DEMO_USES: Use[][] = [
  ['compound', 'civic', 'compound', 'shops'],
  ['park', 'square', 'shops', 'shops'],
  ['compound', 'school', 'shops', 'compound'],
];

// ---------------------------------------------------------------------------------------------------------------
// Grid

interface Grid {
  nx: number;
  ny: number;
  /** x of vertical road lines 0..nx, y of horizontal lines 0..ny (metres, south-west corner at 0,0) */
  X: number[];
  Y: number[];
  seed: number;
  demo: boolean;
}

function colWidth(seed: number, i: number): number {
  return 230 + (hash32(seed, 1, i) % 50);
}
function rowHeight(seed: number, i: number): number {
  return 200 + (hash32(seed, 2, i) % 40);
}
function cellUse(g: Grid, ix: number, iy: number): Use {
  if (g.demo) return DEMO_USES[iy]![ix]!;
  const r = hash32(g.seed, 3, ix, iy) / 4294967296;
  if (r < 0.7) return 'compound';
  if (r < 0.77) return 'park';
  if (r < 0.82) return 'school';
  if (r < 0.85) return 'square';
  if (r < 0.94) return 'civic';
  return 'garden';
}

function makeGrid(seed: number, nx: number, ny: number, demo: boolean): Grid {
  const X = [0];
  for (let i = 0; i < nx; i++) X.push(X[i]! + colWidth(seed, i));
  const Y = [0];
  for (let i = 0; i < ny; i++) Y.push(Y[i]! + rowHeight(seed, i));
  return { nx, ny, X, Y, seed, demo };
}

// ---------------------------------------------------------------------------------------------------------------
// One cell's content, in metres, with cell-local node ids

interface WayRec {
  refs: number[];
  tags: string[]; // k, v, k, v …
  walk: boolean;
}
interface CdRow {
  name: string;
  type: '人防工程' | '地下室' | '避难场所';
  address: string;
  x: number;
  y: number;
  areaM2: number;
  hazards: string;
}

interface Ordinals {
  compound: number;
  park: number;
  square: number;
  school: number;
  garden: number;
  civic: number;
}

class Cell {
  xs: number[] = [];
  ys: number[] = [];
  nodeTags = new Map<number, string[]>();
  ways: WayRec[] = [];
  conns: { side: Side; pos: number; local: number }[] = [];
  cd: CdRow[] = [];
  buildings = 0;
  residential = 0;
  residents = 0;
  sites = 0;
  compounds = 0;

  constructor(
    readonly x0: number,
    readonly y0: number,
    readonly x1: number,
    readonly y1: number,
    readonly road: Record<Side, RoadClass>,
    readonly roadName: Record<Side, string>,
    readonly rng: Rng,
  ) {}

  node(x: number, y: number, tags?: string[]): number {
    this.xs.push(x);
    this.ys.push(y);
    if (tags) this.nodeTags.set(this.xs.length - 1, tags);
    return this.xs.length - 1;
  }
  way(refs: number[], tags: string[]): void {
    const hw = tagValue(tags, 'highway');
    const walk = hw !== undefined && WALKABLE.has(hw) && tagValue(tags, 'area') !== 'yes';
    this.ways.push({ refs, tags, walk });
  }
  /** a node on the centreline of the road bordering this cell on `side`, at `pos` along it */
  connector(side: Side, pos: number): number {
    const id = side === 'S' ? this.node(pos, this.y0) : side === 'N' ? this.node(pos, this.y1)
      : side === 'W' ? this.node(this.x0, pos) : this.node(this.x1, pos);
    this.conns.push({ side, pos, local: id });
    return id;
  }
  /** inner edge of the road reserve on each side, plus a margin */
  inner(margin: number): { x0: number; y0: number; x1: number; y1: number } {
    return {
      x0: this.x0 + this.road.W.halfM + margin,
      y0: this.y0 + this.road.S.halfM + margin,
      x1: this.x1 - this.road.E.halfM - margin,
      y1: this.y1 - this.road.N.halfM - margin,
    };
  }
  /** closed rectangle; extra nodes per side (sorted along the ring direction) are spliced in */
  rect(x0: number, y0: number, x1: number, y1: number, extra: Partial<Record<Side, number[]>> = {}): number[] {
    const sw = this.node(x0, y0), se = this.node(x1, y0), ne = this.node(x1, y1), nw = this.node(x0, y1);
    return [sw, ...(extra.S ?? []), se, ...(extra.E ?? []), ne, ...(extra.N ?? []), nw, ...(extra.W ?? []), sw];
  }
  /** a building footprint with staircase entrances on one side; returns the entrance node ids */
  building(
    x0: number, y0: number, x1: number, y1: number, tags: string[],
    doorSide: Side, doorPos: number[],
  ): number[] {
    const doors = doorPos.map((p, i) => {
      const [x, y] = doorSide === 'S' ? [p, y0] : doorSide === 'N' ? [p, y1] : doorSide === 'W' ? [x0, p] : [x1, p];
      return this.node(x, y, ['entrance', i === 0 ? 'main' : 'staircase', 'ref', `${i + 1}单元`]);
    });
    // ring runs counter-clockwise: S edge west→east, E edge south→north, N edge east→west, W edge north→south
    const sorted = (desc: boolean) => (desc ? [...doors].reverse() : doors);
    const extra: Partial<Record<Side, number[]>> = { [doorSide]: sorted(doorSide === 'N' || doorSide === 'W') };
    this.way(this.rect(x0, y0, x1, y1, extra), tags);
    this.buildings++;
    const use = tagValue(tags, 'building')!;
    if (use === 'residential') {
      const levels = Number(tagValue(tags, 'building:levels'));
      this.residential++;
      this.residents += estimatePopulation({ use, levels, footprintM2: (x1 - x0) * (y1 - y0) });
    }
    return doors;
  }
  footway(refs: number[], extra: string[] = []): void {
    this.way(refs, ['highway', 'footway', ...extra]);
  }
  site(refs: number[], tags: string[]): void {
    this.way(refs, tags);
    this.sites++;
  }
}

function tagValue(tags: string[], k: string): string | undefined {
  for (let i = 0; i < tags.length; i += 2) if (tags[i] === k) return tags[i + 1];
  return undefined;
}

const r1 = (v: number) => Math.round(v * 2) / 2; // half-metre grid for footprints

// ---------------------------------------------------------------------------------------------------------------
// Cell builders

/** Residential compound: wall, gates, rows of blocks, ring footway, service road, entrance spurs. */
function buildCompound(c: Cell, ord: Ordinals, gx: { ix: number; iy: number; seed: number; demo: boolean }): void {
  const rng = c.rng;
  const name = compoundName(ord.compound++);
  c.compounds++;
  const shops = c.road.S.main && rng.chance(0.8);
  const shopFrontY = c.y0 + c.road.S.halfM + 3;
  const w = c.inner(4);
  if (shops) w.y0 = shopFrontY + 3 + 12 + 5;
  const p = { x0: w.x0 + 4, y0: w.y0 + 4, x1: w.x1 - 4, y1: w.y1 - 4 }; // ring footway
  const mx = r1((p.x0 + p.x1) / 2 + rng.range(-15, 15));
  const style = gx.demo ? 'slab' : rng.pick(['slab', 'slab', 'mixed', 'mixed', 'tower'] as const);
  const houseNo = 1 + (hash32(gx.seed, 4, gx.ix, gx.iy) % 298);

  // rows of blocks, south to north
  interface Row { fy: number; by0: number; by1: number; tower: boolean }
  const rows: Row[] = [];
  let fy = p.y0 + 8;
  for (;;) {
    const tower = style === 'tower' || (style === 'mixed' && fy > (p.y0 + p.y1) / 2);
    const depth = r1(tower ? rng.range(18, 22) : rng.range(11, 13));
    const by0 = fy + 5, by1 = by0 + depth;
    if (by1 > p.y1 - 6 || (gx.demo && rows.length === 4)) break;
    rows.push({ fy, by0, by1, tower });
    fy = by1 + (tower ? 36 : 22) - 5; // gap between blocks ≈ 1.2 × height, capped for towers
  }
  const underServed = gx.demo && gx.ix === 3; // the demo's north-east compound: no garden, no civil-defence works
  const gardenRow = rows.length >= 3 && !underServed && (gx.demo || rng.chance(0.6)) ? 1 + rng.int(0, rows.length - 3) : -1;
  const gardenEast = rng.chance(0.5);

  // ring nodes where rows, the service road and a side gate meet it
  const ringW: number[] = [], ringE: number[] = [];
  const ringS = c.node(mx, p.y0), ringN = c.node(mx, p.y1);
  const serviceRefs: number[] = [ringS];
  let bno = 0;
  const blocks: { n: number; x0: number; y0: number; x1: number; y1: number; levels: number }[] = [];
  for (let ri = 0; ri < rows.length; ri++) {
    const row = rows[ri]!;
    const rw = c.node(p.x0, row.fy), re = c.node(p.x1, row.fy), rc = c.node(mx, row.fy);
    ringW.push(rw);
    ringE.push(re);
    serviceRefs.push(rc);
    const west: [number, number][] = [], east: [number, number][] = []; // (x, node) junctions on the row path
    for (const half of ['W', 'E'] as const) {
      const hx0 = half === 'W' ? p.x0 + 5 : mx + 3 + 5;
      const hx1 = half === 'W' ? mx - 3 - 5 : p.x1 - 5;
      const junctions = half === 'W' ? west : east;
      if (ri === gardenRow && (half === 'E') === gardenEast) {
        c.site(c.rect(hx0, row.by0, hx1, row.by1), ['leisure', 'garden', 'name', `${name}中心花园`]);
        continue;
      }
      // fit blocks greedily, then centre the group in the half
      const lens: number[] = [];
      const gap = row.tower ? 14 : 12;
      let used = 0;
      for (;;) {
        const len = r1(row.tower ? rng.range(28, 34) : rng.range(50, 66));
        if (used + (lens.length ? gap : 0) + len > hx1 - hx0) break;
        used += (lens.length ? gap : 0) + len;
        lens.push(len);
      }
      let x = r1(hx0 + (hx1 - hx0 - used) / 2);
      for (const len of lens) {
        const n = ++bno;
        const levels = row.tower ? 18 : 6;
        const units = row.tower ? 2 : len > 56 ? 3 : 2;
        const doorX = Array.from({ length: units }, (_, u) => x + ((u + 0.5) * len) / units);
        const doors = c.building(x, row.by0, x + len, row.by1, [
          'building', 'residential', 'building:levels', String(levels), 'height', String(levels * 3),
          'name', `${n}号楼`, 'addr:housenumber', String(n), 'addr:place', name,
          'addr:street', c.roadName.S, 'addr:city', '常州市',
        ], 'S', doorX);
        blocks.push({ n, x0: x, y0: row.by0, x1: x + len, y1: row.by1, levels });
        doorX.forEach((dx, i) => {
          const j = c.node(dx, row.fy);
          junctions.push([dx, j]);
          c.footway([j, doors[i]!]);
        });
        x += len + gap;
      }
    }
    c.footway([rw, ...west.map(([, j]) => j), rc, ...east.map(([, j]) => j), re]);
  }
  serviceRefs.push(ringN);

  // gates: south always (service road), north sometimes (service road), a side footway gate sometimes
  const gate = (x: number, y: number, vehicles: boolean) =>
    c.node(x, y, ['barrier', 'gate', ...(vehicles ? ['name', `${name}${y > (c.y0 + c.y1) / 2 ? '北门' : '南门'}`] : [])]);
  const gateS = gate(mx, w.y0, true);
  const southRefs = [c.connector('S', mx)];
  let frontJ = -1;
  if (shops) {
    frontJ = c.node(mx, shopFrontY);
    southRefs.push(frontJ);
  }
  southRefs.push(gateS);
  const northGate = rng.chance(0.6);
  const gateN = northGate ? gate(mx, w.y1, true) : -1;
  const service = [...southRefs, ...serviceRefs, ...(northGate ? [gateN, c.connector('N', mx)] : [])];
  c.way(service, ['highway', 'service', 'service', 'driveway', 'width', '6']);
  let sideGate = -1;
  let sideGateSide: Side = 'W';
  if (rows.length > 0 && rng.chance(0.5)) {
    const k = rng.int(0, rows.length - 1);
    const west = rng.chance(0.5);
    const y = rows[k]!.fy;
    sideGateSide = west ? 'W' : 'E';
    sideGate = gate(west ? w.x0 : w.x1, y, false);
    c.footway([c.connector(west ? 'W' : 'E', y), sideGate, west ? ringW[k]! : ringE[k]!]);
  }
  // ring footway (closed): S edge west→east, E edge south→north, N edge east→west, W edge north→south
  c.footway(c.rect(p.x0, p.y0, p.x1, p.y1, { S: [ringS], E: ringE, N: [ringN], W: [...ringW].reverse() }));

  // wall and residential area share the wall ring; the gates sit on it
  const wallSide = (side: Side): number[] => (sideGate >= 0 && sideGateSide === side ? [sideGate] : []);
  const wallRing = c.rect(w.x0, w.y0, w.x1, w.y1, {
    S: [gateS], N: northGate ? [gateN] : [], W: wallSide('W'), E: wallSide('E'),
  });
  c.way(wallRing, ['barrier', 'wall']);
  c.way([...wallRing], ['landuse', 'residential', 'name', name, 'residential', 'urban']);

  // street shops (底商) along a main road: terraces of 3–5 units sharing walls, doors on the frontage path
  if (shops) {
    const frontRefs: [number, number][] = [[mx, frontJ]];
    const sy0 = shopFrontY + 3, sy1 = sy0 + 12;
    for (const [a, b] of [[w.x0 + 2, mx - 8], [mx + 8, w.x1 - 2]] as const) {
      let x = a;
      while (x + 3 * 12 <= b) {
        const units = Math.min(rng.int(3, 5), Math.floor((b - x) / 12));
        const xs = [x];
        for (let u = 0; u < units; u++) xs.push(r1(xs[u]! + rng.range(12, 16)));
        while (xs[xs.length - 1]! > b) xs.pop();
        if (xs.length < 2) break;
        const bottom = xs.map((v) => c.node(v, sy0)), top = xs.map((v) => c.node(v, sy1));
        for (let u = 0; u + 1 < xs.length; u++) {
          const dx = (xs[u]! + xs[u + 1]!) / 2;
          const door = c.node(dx, sy0, ['entrance', 'main']);
          c.way([bottom[u]!, door, bottom[u + 1]!, top[u + 1]!, top[u]!, bottom[u]!], [
            'building', 'retail', 'building:levels', '2', 'height', '7',
            'shop', rng.pick(['convenience', 'bakery', 'hairdresser', 'pharmacy', 'greengrocer', 'restaurant']),
          ]);
          c.buildings++;
          const j = c.node(dx, shopFrontY);
          frontRefs.push([dx, j]);
          c.footway([j, door]);
        }
        x = xs[xs.length - 1]! + 8;
      }
    }
    frontRefs.sort((a, b) => a[0] - b[0]);
    c.footway(frontRefs.map(([, j]) => j), ['footway', 'sidewalk']);
  }

  // civil-defence works under some blocks
  // (the demo puts one under each western compound and none in the north-east one, which stays under-served)
  const cdChance = gx.demo ? (underServed ? 0 : 1) : 0.45;
  if (blocks.length && rng.chance(cdChance)) {
    const count = blocks.length > 6 && rng.chance(0.3) ? 2 : 1;
    for (let k = 0; k < count; k++) {
      const b = blocks[rng.int(0, blocks.length - 1)]!;
      if (c.cd.some((r) => r.name.startsWith(`${name}${b.n}号楼`))) continue;
      const works = rng.chance(0.7);
      c.cd.push({
        name: `${name}${b.n}号楼${works ? '地下人防工程' : '地下室'}`,
        type: works ? '人防工程' : '地下室',
        address: `常州市${districtName((b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2)}${c.roadName.S}${houseNo}号${name}${b.n}号楼`,
        x: (b.x0 + b.x1) / 2,
        y: (b.y0 + b.y1) / 2,
        areaM2: 10 * rng.int(80, 300),
        hazards: rng.chance(0.35) ? '空袭;火灾' : '空袭',
      });
    }
  }
}

/** Park (loop path, cross paths, pond, playground) or a small garden (游园). */
function buildPark(c: Cell, ord: Ordinals, kind: 'park' | 'garden'): void {
  const rng = c.rng;
  const name = kind === 'park' ? parkName(ord.park++) : gardenName(ord.garden++);
  const a = c.inner(3);
  // a garden (游园) is a lawn (landuse=grass) with a planted corner (leisure=garden) and the same paths
  const small = kind === 'garden';
  const r = { x0: a.x0 + 12, y0: a.y0 + 12, x1: a.x1 - 12, y1: a.y1 - 12 };
  const mx = r1((r.x0 + r.x1) / 2), my = r1((r.y0 + r.y1) / 2);
  const rS = c.node(mx, r.y0), rN = c.node(mx, r.y1), rW = c.node(r.x0, my), rE = c.node(r.x1, my);
  const centre = c.node(mx, my);
  // playground in the south-west quarter, reached by a spur from the E–W cross path
  const qx = r1((r.x0 + mx) / 2), qy = r1((r.y0 + my) / 2);
  const pw = Math.min(30, (mx - r.x0) / 2), ph = Math.min(24, (my - r.y0) / 2);
  const spur = c.node(qx, my);
  c.footway(c.rect(r.x0, r.y0, r.x1, r.y1, { S: [rS], E: [rE], N: [rN], W: [rW] }));
  c.footway([c.connector('W', my), rW, spur, centre, rE, c.connector('E', my)]);
  c.footway([c.connector('S', mx), rS, centre, rN, c.connector('N', mx)]);
  c.site(c.rect(qx - pw / 2, qy - ph / 2, qx + pw / 2, qy + ph / 2), ['leisure', 'playground', 'name', `${name}儿童乐园`]);
  c.footway([spur, c.node(qx, qy + ph / 2 + 0.5)]);
  if (small) {
    c.site(c.rect(a.x0, a.y0, a.x1, a.y1), ['landuse', 'grass', 'name', `${name}绿地`]);
    c.site(c.rect(mx + 6, r.y0 + 6, r.x1 - 6, my - 6), ['leisure', 'garden', 'name', name]);
  } else {
    c.site(c.rect(a.x0, a.y0, a.x1, a.y1), ['leisure', 'park', 'name', name]);
    // pond in the north-east quarter, clear of the paths
    const cx = (mx + r.x1) / 2, cy = (my + r.y1) / 2;
    const rx = (r.x1 - mx) / 2 - 10, ry = (r.y1 - my) / 2 - 10;
    if (rx > 8 && ry > 8 && rng.chance(0.85)) {
      const pts: number[] = [];
      for (let k = 0; k < 16; k++) {
        const t = (2 * Math.PI * k) / 16;
        pts.push(c.node(cx + rx * Math.cos(t), cy + ry * Math.sin(t)));
      }
      pts.push(pts[0]!);
      c.way(pts, ['natural', 'water', 'water', 'pond', 'name', `${name.slice(0, 2)}湖`]);
    }
  }
}

/** School: grounds, teaching buildings west of the main path, pitch and playground east of it. */
function buildSchool(c: Cell, ord: Ordinals): void {
  const rng = c.rng;
  const name = schoolName(ord.school++);
  const s = c.inner(3);
  const px = r1(s.x0 + 0.38 * (s.x1 - s.x0));
  const gateS = c.node(px, s.y0, ['barrier', 'gate', 'name', `${name}校门`]);
  c.way(c.rect(s.x0, s.y0, s.x1, s.y1, { S: [gateS] }), ['amenity', 'school', 'name', name]);
  const path = [c.connector('S', px), gateS];
  const bx1 = px - 6, bx0 = Math.max(s.x0 + 8, bx1 - 55);
  const names = ['教学楼', '实验楼', '综合楼', '行政楼'];
  let y = s.y0 + 14;
  for (let k = 0; y + 15 <= s.y1 - 10 && k < names.length; k++) {
    const depth = 15, doorY = y + depth / 2;
    const [door] = c.building(bx0, y, bx1, y + depth, [
      'building', 'school', 'building:levels', '4', 'height', '16', 'name', `${name}${names[k]}`,
    ], 'E', [doorY]);
    const j = c.node(px, doorY);
    path.push(j);
    c.footway([j, door!]);
    y += depth + 22;
  }
  // pitch (7-a-side) and playground east of the path, each reached by a spur
  const ex0 = px + 10, ex1 = s.x1 - 10;
  const pitchH = Math.min(50, (s.y1 - s.y0) * 0.45);
  const pitch = { x0: ex0, y0: s.y0 + 12, x1: ex1, y1: s.y0 + 12 + pitchH };
  c.site(c.rect(pitch.x0, pitch.y0, pitch.x1, pitch.y1), ['leisure', 'pitch', 'sport', 'soccer', 'name', `${name}足球场`]);
  const play = { x0: ex0, y0: pitch.y1 + 12, x1: Math.min(ex1, ex0 + 60), y1: Math.min(s.y1 - 10, pitch.y1 + 52) };
  c.site(c.rect(play.x0, play.y0, play.x1, play.y1), ['leisure', 'playground', 'name', `${name}操场`]);
  for (const yy of [(pitch.y0 + pitch.y1) / 2, (play.y0 + play.y1) / 2]) {
    const j = c.node(px, yy);
    path.push(j);
    c.footway([j, c.node(ex0 - 0.5, yy)]);
  }
  const tail = c.node(px, s.y1 - 6);
  // path nodes in order of y (the gate and connector come first)
  const inner = path.slice(2).sort((a, b) => c.ys[a]! - c.ys[b]!);
  c.way([...path.slice(0, 2), ...inner, tail], ['highway', 'footway', 'name', `${name}校园路`]);
  if (rng.chance(0.5)) {
    // a back gate onto the north road
    const back = c.node(px, s.y1, ['barrier', 'gate']);
    c.footway([tail, back, c.connector('N', px)]);
  }
}

/** Square (place=square + pedestrian area) south, a shopping building and a supermarket north. */
function buildSquare(c: Cell, ord: Ordinals): void {
  const rng = c.rng;
  const name = squareName(ord.square++);
  const a = c.inner(3);
  const sy1 = r1(a.y0 + (a.y1 - a.y0) * 0.55);
  const mx = r1((a.x0 + a.x1) / 2), my = r1((a.y0 + sy1) / 2);
  const sS = c.node(mx, a.y0), sN = c.node(mx, sy1), sW = c.node(a.x0, my), sE = c.node(a.x1, my);
  const centre = c.node(mx, my);
  c.site(c.rect(a.x0, a.y0, a.x1, sy1, { S: [sS], E: [sE], N: [sN], W: [sW] }), [
    'place', 'square', 'highway', 'pedestrian', 'area', 'yes', 'name', name,
  ]);
  c.footway([c.connector('W', my), sW, centre, sE, c.connector('E', my)]);
  const by0 = sy1 + 12, by1 = a.y1 - 3, doorY = r1((by0 + by1) / 2);
  const corridor = c.node(mx, doorY);
  c.footway([c.connector('S', mx), sS, centre, sN, corridor, c.connector('N', mx)], ['name', `${name}步行街`]);
  const [dw] = c.building(a.x0 + 5, by0, mx - 10, by1, [
    'building', 'commercial', 'building:levels', String(rng.int(4, 8)), 'height', '24', 'name', `${name}购物中心`,
  ], 'E', [doorY]);
  const [de] = c.building(mx + 10, by0, a.x1 - 5, by1, [
    'building', 'retail', 'building:levels', '2', 'height', '9', 'shop', 'supermarket', 'name', `${name}超市`,
  ], 'W', [doorY]);
  c.footway([corridor, dw!]);
  c.footway([corridor, de!]);
}

/** Civic / commercial block: service centre, clinic, offices, shops along an E–W path; a lawn in a corner. */
function buildCivic(c: Cell, ord: Ordinals, lawn: boolean): void {
  const rng = c.rng;
  const word = WORDS[(ord.civic++ * 23 + 4) % WORDS.length]!;
  const a = c.inner(4);
  const my = r1((a.y0 + a.y1) / 2);
  const kinds: [string, string, string, number][] = [
    ['public', `${word}社区服务中心`, 'community_centre', 4],
    ['public', `${word}社区卫生服务站`, 'clinic', 3],
    ['commercial', `${word}大厦`, '', 12],
    ['retail', `${word}农贸市场`, 'marketplace', 2],
    ['public', `${word}派出所`, 'police', 5],
    ['commercial', `${word}商务楼`, '', 8],
    ['retail', `${word}菜场`, 'marketplace', 1],
    ['public', `${word}文化活动中心`, 'arts_centre', 3],
  ];
  let k = rng.int(0, kinds.length - 1);
  const path: [number, number][] = [];
  const grassX = lawn ? a.x1 - 60 : a.x1 + 2;
  for (const north of [false, true]) {
    let x = a.x0 + 6;
    const y0 = north ? my + 8 : a.y0 + 6, y1 = north ? a.y1 - 6 : my - 8;
    const depth = Math.min(y1 - y0, r1(rng.range(18, 30)));
    const fy0 = north ? y0 : y1 - depth, fy1 = north ? y0 + depth : y1;
    while (x + 25 <= (north ? a.x1 - 6 : grassX - 8)) {
      const len = Math.min(r1(rng.range(25, 45)), (north ? a.x1 - 6 : grassX - 8) - x);
      const [use, bname, amenity, levels] = kinds[k++ % kinds.length]!;
      const dx = r1(x + len / 2);
      const [door] = c.building(x, fy0, x + len, fy1, [
        'building', use, 'building:levels', String(levels), 'height', String(levels * 3.5), 'name', bname,
        ...(amenity ? ['amenity', amenity] : []),
      ], north ? 'S' : 'N', [dx]);
      const j = c.node(dx, my);
      path.push([dx, j]);
      c.footway([j, door!]);
      if (lawn && amenity === 'community_centre' && rng.chance(0.5)) {
        c.cd.push({
          name: `${bname}室内应急避难场所`, type: '避难场所',
          address: `常州市${districtName(dx, my)}${c.roadName.S}${1 + (hash32(ord.civic, 5) % 200)}号`,
          x: dx, y: (fy0 + fy1) / 2, areaM2: 10 * rng.int(80, 300), hazards: '地震;火灾;洪涝',
        });
      }
      x += len + rng.range(10, 16);
    }
  }
  if (lawn) c.site(c.rect(grassX, a.y0 + 6, a.x1 - 6, my - 8), ['landuse', 'grass', 'name', `${word}街头绿地`]);
  path.sort((p, q) => p[0] - q[0]);
  c.footway([c.connector('W', my), ...path.map(([, j]) => j), c.connector('E', my)]);
}

// ---------------------------------------------------------------------------------------------------------------
// Generation

interface Ctx {
  g: Grid;
  frame: LocalFrame;
  /** offset so the grid is centred on the frame origin */
  cx: number;
  cy: number;
}

function cellAt(ctx: Ctx, ix: number, iy: number, ord: Ordinals): Cell {
  const { g } = ctx;
  const road: Record<Side, RoadClass> = {
    S: lineClass(iy), N: lineClass(iy + 1), W: lineClass(ix), E: lineClass(ix + 1),
  };
  const names: Record<Side, string> = {
    S: hName(iy), N: hName(iy + 1), W: vName(ix), E: vName(ix + 1),
  };
  const c = new Cell(g.X[ix]!, g.Y[iy]!, g.X[ix + 1]!, g.Y[iy + 1]!, road, names, mulberry32(hash32(g.seed, 7, ix, iy)));
  const use = cellUse(g, ix, iy);
  if (use === 'compound') buildCompound(c, ord, { ix, iy, seed: g.seed, demo: g.demo });
  else if (use === 'park' || use === 'garden') buildPark(c, ord, use);
  else if (use === 'school') buildSchool(c, ord);
  else if (use === 'square') buildSquare(c, ord);
  else buildCivic(c, ord, use === 'civic');
  return c;
}

function hName(i: number): string {
  return lineClass(i).main ? roadName(MAIN_ROADS_EW, Math.floor(i / 3)) : roadName(BRANCH_ROADS, i - Math.floor(i / 3) - 1);
}
function vName(i: number): string {
  return lineClass(i).main
    ? roadName(MAIN_ROADS_NS, Math.floor(i / 3))
    : roadName(BRANCH_ROADS, (i - Math.floor(i / 3) - 1 + 17) % 1_000_000);
}

const newOrdinals = (): Ordinals => ({ compound: 0, park: 0, square: 0, school: 0, garden: 0, civic: 0 });

/** Grid for a size: the demo's 4 × 3 cells, or rows of a square-ish grid until `min` buildings are reached. */
function planGrid(size: DistrictSize, seed: number): Grid {
  if (size === 'demo') return makeGrid(seed, 4, 3, true);
  const min = size === 'city' ? CITY_MIN_BUILDINGS : Math.max(1, Math.floor(size));
  const nx = Math.max(2, Math.ceil(Math.sqrt(min / 11)));
  const g = makeGrid(seed, nx, 0, false);
  const ctx: Ctx = { g, frame: localFrame(0, 0), cx: 0, cy: 0 };
  const ord = newOrdinals();
  let total = 0;
  while (total < min) {
    const iy = g.ny;
    g.Y.push(g.Y[iy]! + rowHeight(seed, iy));
    g.ny++;
    for (let ix = 0; ix < nx; ix++) total += cellAt(ctx, ix, iy, ord).buildings;
  }
  return g;
}

function esc(v: string): string {
  return v.replace(/[&<>"]/g, (ch) => (ch === '&' ? '&amp;' : ch === '<' ? '&lt;' : ch === '>' ? '&gt;' : '&quot;'));
}
function tagsXml(tags: string[]): string {
  let s = '';
  for (let i = 0; i < tags.length; i += 2) s += `  <tag k="${esc(tags[i]!)}" v="${esc(tags[i + 1]!)}"/>\n`;
  return s;
}
function csvField(v: string): string {
  return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

const CHUNK_CHARS = 1 << 16;

/**
 * Generate the district. Yields OSM XML and CSV text in order (concatenate per file); returns the counts.
 * Same options → same bytes.
 */
export function* generateDistrict(opts: DistrictOptions = {}): Generator<DistrictChunk, DistrictStats, void> {
  const seed = (opts.seed ?? DEFAULT_SEED) >>> 0;
  const g = planGrid(opts.size ?? 'demo', seed);
  const frame = localFrame(opts.lon0 ?? CHANGZHOU[0], opts.lat0 ?? CHANGZHOU[1]);
  const ctx: Ctx = { g, frame, cx: g.X[g.nx]! / 2, cy: g.Y[g.ny]! / 2 };
  const ll = (x: number, y: number) => frame.toLonLat(x - ctx.cx, y - ctx.cy);
  const [minLon, minLat] = ll(0, 0);
  const [maxLon, maxLat] = ll(g.X[g.nx]!, g.Y[g.ny]!);

  let osm = '';
  let csv = '';
  const stats: DistrictStats = {
    buildings: 0, residentialBuildings: 0, residents: 0, compounds: 0, sites: 0, cdWorks: 0, cdCapacity: 0,
    nodes: 0, ways: 0, walkableWays: 0, networkVertices: 0, cellsX: g.nx, cellsY: g.ny,
    bbox: [round7(minLon), round7(minLat), round7(maxLon), round7(maxLat)],
  };

  osm += '<?xml version="1.0" encoding="UTF-8"?>\n';
  osm += '<osm version="0.6" generator="community-evacuation-planner gen-district">\n';
  osm += `<bounds minlat="${minLat.toFixed(7)}" minlon="${minLon.toFixed(7)}" maxlat="${maxLat.toFixed(7)}" maxlon="${maxLon.toFixed(7)}"/>\n`;
  csv += CSV_HEADER + '\n';

  // connectors per road segment: horizontal segment (ix, iy) = line iy between X[ix] and X[ix+1]
  const hConn: number[][] = Array.from({ length: (g.ny + 1) * g.nx }, () => []);
  const vConn: number[][] = Array.from({ length: (g.nx + 1) * g.ny }, () => []);
  const cellBase = new Float64Array(g.nx * g.ny);

  // pass 1: nodes
  let nextId = 1;
  let ord = newOrdinals();
  for (let iy = 0; iy < g.ny; iy++) {
    for (let ix = 0; ix < g.nx; ix++) {
      const c = cellAt(ctx, ix, iy, ord);
      const base = nextId;
      cellBase[iy * g.nx + ix] = base;
      for (let i = 0; i < c.xs.length; i++) {
        const [lon, lat] = ll(c.xs[i]!, c.ys[i]!);
        const t = c.nodeTags.get(i);
        const head = `<node id="${base + i}" version="1" lat="${lat.toFixed(7)}" lon="${lon.toFixed(7)}"`;
        osm += t ? `${head}>\n${tagsXml(t)}</node>\n` : `${head}/>\n`;
      }
      nextId += c.xs.length;
      for (const k of c.conns) {
        const id = base + k.local;
        if (k.side === 'S') hConn[iy * g.nx + ix]!.push(k.pos, id);
        else if (k.side === 'N') hConn[(iy + 1) * g.nx + ix]!.push(k.pos, id);
        else if (k.side === 'W') vConn[ix * g.ny + iy]!.push(k.pos, id);
        else vConn[(ix + 1) * g.ny + iy]!.push(k.pos, id);
      }
      if (osm.length > CHUNK_CHARS) {
        yield { file: 'osm', text: osm };
        osm = '';
      }
    }
  }
  const junctionBase = nextId;
  const junction = (ix: number, iy: number) => junctionBase + iy * (g.nx + 1) + ix;
  for (let iy = 0; iy <= g.ny; iy++) {
    for (let ix = 0; ix <= g.nx; ix++) {
      const [lon, lat] = ll(g.X[ix]!, g.Y[iy]!);
      osm += `<node id="${junction(ix, iy)}" version="1" lat="${lat.toFixed(7)}" lon="${lon.toFixed(7)}"/>\n`;
    }
    if (osm.length > CHUNK_CHARS) {
      yield { file: 'osm', text: osm };
      osm = '';
    }
  }
  stats.nodes = junctionBase - 1 + (g.nx + 1) * (g.ny + 1);

  // pass 2: ways (cells replayed identically), CSV rows, vertex counting
  const use = new Uint8Array(stats.nodes + 1); // bits 0–1: walkable ways through the node (saturating), bit 2: an end
  let wayId = 1;
  const emitWay = (refs: number[], tags: string[], walk: boolean) => {
    osm += `<way id="${wayId++}" version="1">\n`;
    for (const r of refs) osm += `  <nd ref="${r}"/>\n`;
    osm += tagsXml(tags) + '</way>\n';
    if (walk) {
      stats.walkableWays++;
      for (const r of refs) if ((use[r]! & 3) < 2) use[r]!++;
      use[refs[0]!]! |= 4;
      use[refs[refs.length - 1]!]! |= 4;
    }
  };
  ord = newOrdinals();
  let cdNo = 0;
  for (let iy = 0; iy < g.ny; iy++) {
    for (let ix = 0; ix < g.nx; ix++) {
      const c = cellAt(ctx, ix, iy, ord);
      const base = cellBase[iy * g.nx + ix]!;
      for (const w of c.ways) emitWay(w.refs.map((r) => r + base), w.tags, w.walk);
      stats.buildings += c.buildings;
      stats.residentialBuildings += c.residential;
      stats.residents += c.residents;
      stats.compounds += c.compounds;
      stats.sites += c.sites;
      for (const r of c.cd) {
        const [lon, lat] = ll(r.x, r.y);
        const [glon, glat] = gcoord.transform([lon, lat], gcoord.WGS84, gcoord.GCJ02) as [number, number];
        const people = Math.floor(r.areaM2 / DEFAULT_CAPACITY_PARAMS.civilDefenceM2PerPerson);
        const id = `RF-${String(++cdNo).padStart(4, '0')}`;
        csv += [id, r.name, r.type, r.address, glon.toFixed(6), glat.toFixed(6), String(r.areaM2), String(people), r.hazards]
          .map(csvField).join(',') + '\n';
        stats.cdWorks++;
        stats.cdCapacity += people;
      }
      if (osm.length > CHUNK_CHARS) {
        yield { file: 'osm', text: osm };
        osm = '';
      }
      if (csv.length > CHUNK_CHARS) {
        yield { file: 'csv', text: csv };
        csv = '';
      }
    }
  }
  // roads: one way per block side, through the connectors of the cells on both sides
  const roadTags = (rc: RoadClass, name: string) => [
    'highway', rc.highway, 'name', name, 'width', String(rc.widthM), 'lanes', String(rc.lanes),
    ...(rc.sidewalk ? ['sidewalk', 'both'] : ['sidewalk', 'no']), 'maxspeed', rc.main ? '60' : '40',
  ];
  const throughConnectors = (list: number[]) => {
    const pairs: [number, number][] = [];
    for (let i = 0; i < list.length; i += 2) pairs.push([list[i]!, list[i + 1]!]);
    return pairs.sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, id]) => id);
  };
  for (let iy = 0; iy <= g.ny; iy++) {
    const tags = roadTags(lineClass(iy), hName(iy));
    for (let ix = 0; ix < g.nx; ix++) {
      emitWay([junction(ix, iy), ...throughConnectors(hConn[iy * g.nx + ix]!), junction(ix + 1, iy)], tags, true);
    }
    if (osm.length > CHUNK_CHARS) {
      yield { file: 'osm', text: osm };
      osm = '';
    }
  }
  for (let ix = 0; ix <= g.nx; ix++) {
    const tags = roadTags(lineClass(ix), vName(ix));
    for (let iy = 0; iy < g.ny; iy++) {
      emitWay([junction(ix, iy), ...throughConnectors(vConn[ix * g.ny + iy]!), junction(ix, iy + 1)], tags, true);
    }
    if (osm.length > CHUNK_CHARS) {
      yield { file: 'osm', text: osm };
      osm = '';
    }
  }
  osm += '</osm>\n';
  yield { file: 'osm', text: osm };
  yield { file: 'csv', text: csv };
  stats.ways = wayId - 1;
  for (let i = 1; i < use.length; i++) if ((use[i]! & 3) >= 2 || use[i]! & 4) stats.networkVertices++;
  return stats;
}

function round7(v: number): number {
  return Math.round(v * 1e7) / 1e7;
}

/** Parse a --size value: demo | city | a number of buildings. */
export function parseSize(v: string): DistrictSize {
  if (v === 'demo' || v === 'city') return v;
  const n = Number(v.replace(/_/g, ''));
  if (!Number.isFinite(n) || n < 1) throw new Error(`--size must be demo, city or a number of buildings, got "${v}"`);
  return Math.floor(n);
}

export { chineseNumeral };
