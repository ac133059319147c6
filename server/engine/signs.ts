/**
 * Signage points for the evacuation routes (issue 3, item 6) and the sign schedule (CSV) for installation crews.
 *
 * Where signs go (DOMAIN.md "Signs"):
 * - junction / turn: at every graph node of the *route network* (the union of all assigned routes) where routes meet
 *   (≥ 2 distinct approach directions), branch (≥ 2 distinct departure directions) or turn by ≥ `turnDeg` (30° by
 *   default, issue 3 item 6). Location/direction signs at intersections of evacuation routes pointing towards
 *   safety: GB 51143-2015 §8.3.1–8.3.4; around a site, at evacuation-road intersections: GB/T 44014-2024 §9.1.
 *   All routes through one node share ONE sign with one arrow per (departure direction, target site).
 * - exit: one per building exit (the door), arrows towards the site(s) the building is assigned to.
 * - stairwell: one per floor landing of each stairwell (floors from the building's levels); position = the door.
 *   The source document (Changzhou opinion) asks for conspicuous signs in stairwells/corridors (楼道). By default a
 *   stairwell is ONE `Sign` standing for all its landings (`floors` = landings, `floor` = null) — a 20-storey block
 *   would otherwise stack 20 identical points on the map and cost 20 objects; the CSV schedule still has one row per
 *   landing (id `F-n-<floor>`), and `counts.stairwell` counts landings. `stairwellPerFloor: true` gives one `Sign`
 *   per landing instead.
 * - overview: an overview board (疏散场所总览图) at each used site entrance (GB 51143-2015 §8.3.1–8.3.4).
 * - spacing: along stretches longer than `spacingM` without another sign. GB/T 44014-2024 §9.1 asks for ≤ 150 m
 *   between signs *inside* a site; we use the same 150 m as the along-route default (a planning choice, configurable).
 *
 * Geometry: bearings are measured on the route polylines (the actual drawn route), in the graph's local metric
 * projection; 0° = north, clockwise. A route's graph nodes are located on its polyline in one forward scan.
 * Distances remaining are network metres (the input's edge lengths), interpolated by geometric length between
 * graph nodes for spacing signs.
 *
 * Pure code, no I/O (the only state kept between calls is typed scratch and a bounded cache tied to the graph's
 * arrays, see Workspace). Cost is linear in the total number of route vertices plus the number of signs.
 */
import { pointAtFraction, type Graph } from './graph.ts';
import { planAllocator, type PlanResult } from './plan.ts';
import { BufferPool, freshView, lasting, stageBuffersOf, type Block, type TakeView } from './alloc.ts';
import type { RouteTable } from './routes.ts';
import type { Entrance } from './types.ts';

export type SignKind = 'junction' | 'turn' | 'exit' | 'stairwell' | 'overview' | 'spacing';

/** One assigned building route (door → site entrance), as produced by the routing step. */
export interface SignRoute {
  buildingIndex: number;
  siteIndex: number;
  /** Graph node indexes along the path, door end first (empty when door and entrance lie on the same edge). */
  nodes: ArrayLike<number>;
  /** Optional edge index of each step nodes[k] → nodes[k+1] (length nodes.length − 1); else the shortest edge joining them. */
  stepEdges?: ArrayLike<number>;
  /** The door's snapped point on the first edge (lon, lat). */
  startPoint: [number, number];
  /** The site entrance point (lon, lat). */
  endPoint: [number, number];
  /** Network metres from startPoint to endPoint. */
  lengthM: number;
  /** Optional network metres from startPoint to nodes[0] (the partial first edge); estimated from geometry when absent. */
  startLegM?: number;
  /** Flat lon,lat polyline startPoint → … → endPoint passing through every node of `nodes`. */
  coords: ArrayLike<number>;
  /** People walking this route (for flows at junctions; default 0). */
  people?: number;
}

export interface SignBuilding {
  id: number;
  name?: string | null;
  /** Floors above ground (≥ 1). */
  levels: number;
  /** Stairwells (default 1): one stairwell sign per floor per stairwell. */
  stairwells?: number;
  /** The door (lon, lat); else the footprint point nearest the route start; else `point`; else the route start. */
  door?: [number, number];
  ring?: ArrayLike<number>;
  point?: [number, number];
}

export interface SignSite {
  id: number;
  name?: string | null;
  /** Representative point; used to aim the overview board's arrow into the site. */
  point?: [number, number];
}

export interface SignInput {
  graph: Graph;
  routes: SignRoute[];
  buildings: SignBuilding[];
  sites: SignSite[];
}

export interface SignOptions {
  /** Minimum deflection (degrees) at a graph node that needs a turn sign. Default 30 (issue 3 item 6). */
  turnDeg?: number;
  /** Maximum metres along a route without a sign; 0 disables spacing signs. Default 150 (GB/T 44014-2024 §9.1). */
  spacingM?: number;
  /** Bearings within this many degrees are the same direction (merging arrows / approaches). Default 3. */
  directionTolDeg?: number;
  /** Also sign graph crossings (degree ≥ 3) that a single route passes straight through. Default false. */
  allCrossings?: boolean;
  /** Stairwell floor-landing signs. Default true. */
  stairwells?: boolean;
  /** One `Sign` per stairwell landing instead of one per stairwell (the CSV has a row per landing either way). Default false. */
  stairwellPerFloor?: boolean;
  /** Prefix the CSV with a UTF-8 byte-order mark (Excel on Chinese Windows needs it). Default false. */
  csvBom?: boolean;
}

export interface SignArrow {
  /** Direction of travel (degrees from north, clockwise) = bearing of the next route segment; null = "down the stairs". */
  bearing: number | null;
  siteIndex: number;
  siteId: number;
  siteName: string;
  /** Network metres from here to the site along the route. */
  distanceM: number;
}

export interface Sign {
  id: string;
  kind: SignKind;
  lon: number;
  lat: number;
  /** Bearing the reader faces when reading it (their direction of travel on arrival); null for stairwell signs. */
  facing: number | null;
  /** Other approach directions at a merged junction (bearings of travel), besides `facing`. */
  approaches: number[];
  arrows: SignArrow[];
  /** Graph node of a junction/turn sign, else −1. */
  nodeIndex: number;
  buildingIndex: number;
  buildingId: number | null;
  /** Stairwell signs: the landing (with `stairwellPerFloor`), else null. */
  floor: number | null;
  /** Stairwell signs: landings this entry stands for (1 with `stairwellPerFloor`); other signs: 1. */
  floors: number;
  /** Routes and people passing the sign. */
  routes: number;
  people: number;
  note: string;
}

export interface SignResult {
  /** The signs as objects, made on first read (a plan's own stages read `nodeSigns` and `routeSign*`). */
  readonly signs: Sign[];
  /** CSV (UTF-8, header row): id,kind,lon,lat,facing,arrows,targets,distance_m,building,floor,note. Built lazily on first read. */
  readonly schedule: string;
  /** Signs along each route in walking order (CSR): signs of route r are routeSignIndex[routeSignStart[r] .. routeSignStart[r+1]-1]. */
  routeSignStart: Int32Array;
  routeSignIndex: Int32Array;
  counts: Record<SignKind, number>;
  /** The junction and turn signs at graph nodes, in output order, as columns (what the guides read). */
  nodeSigns: { count: number; nodeIndex: Int32Array; lon: Float64Array; lat: Float64Array; people: Float64Array };
}

const RAD = 180 / Math.PI;
/** Shared empty list for signs without extra approaches (never mutated). */
const SPACING_NOTE = '沿途指示牌：长直路段按间距设置';
const EMPTY: number[] = Object.freeze([]) as unknown as number[];
const MIN_SEG_M = 0.01; // segments shorter than this have no reliable bearing
const NODE_TOL_M = 0.5; // a polyline vertex this close to a graph node is that node
// pass 1 piece summaries (SignBuilder.summarize / fastLocate)
const PIECE_EPS = 1e-6; // metres of margin around MIN_SEG_M
const PIECE_SCAN = 48; // points a bearing scan may cross
const PIECE_MAX_M = 1e6; // longest route (geometric metres) assembled from pieces
const LOC_OK = 1, IN_OK = 2, IN_BEGIN = 4, OUT_OK = 8, OUT_END = 16;
// A piece summary's slots: the step, start point, end point, bearings in / out, edge length, far node, flags, number
// of segments and their lengths (pieces of more than PIECE_SEGS segments are summarised afresh every time).
const E_STEP = 0, E_SX = 1, E_SY = 2, E_EX = 3, E_EY = 4, E_IN = 5, E_OUT = 6, E_EDGELEN = 7, E_NODE = 8, E_FLAGS = 9, E_NSEG = 10,
  E_SEGS = 11;
const PIECE_SEGS = 6;
const ENT = E_SEGS + PIECE_SEGS;
/** direct-mapped: a step's summary lives in slot hash(step) of PIECE_SLOTS (plus one scratch slot for long pieces) */
const PIECE_SLOT_BITS = 16, PIECE_SLOTS = 1 << PIECE_SLOT_BITS;

/** Bearing (deg from north, clockwise, [0, 360)) of a projected vector. */
export function bearingOf(dx: number, dy: number): number {
  const b = Math.atan2(dx, dy) * RAD;
  return b < 0 ? b + 360 : b;
}
/** Absolute difference of two bearings, [0, 180]. */
export function angleDiff(a: number, b: number): number {
  let d = a - b;
  if (d < 0) d = -d;
  if (d >= 360) d %= 360;
  return d > 180 ? 360 - d : d;
}

const KIND_PREFIX: Record<SignKind, string> = { junction: 'J', turn: 'T', exit: 'E', stairwell: 'F', overview: 'O', spacing: 'P' };
const KIND_ZH: Record<SignKind, string> = {
  junction: '路口指示牌', turn: '转向指示牌', exit: '楼门出口指示牌', stairwell: '楼道指示牌', overview: '疏散场所总览图', spacing: '沿途指示牌',
};

export function computeSigns(input: SignInput, options: SignOptions = {}): SignResult {
  return buildSigns(input.graph, new InputRoutes(input.graph, input.routes), new InputBuildings(input.buildings), input.sites, options);
}

/**
 * Signs straight from a plan's route table (the fast path for `runPlan`): route polylines are walked on the graph's
 * projected edge geometry (the same points `routeCoords` draws), distances come from edge lengths, buildings are
 * read from the plan's columns — no per-route arrays or objects. Same output as `computeSigns` on `signRoutes(plan)`
 * (full.ts), sign for sign.
 */
export function computeSignsFromPlan(plan: PlanResult, options: SignOptions = {}): SignResult {
  const { input, graph } = plan.context;
  // the input's sites are SignSites as they are (id, name, point): no per-call copy of the city's sites
  return buildSigns(graph, new PlanRoutes(plan), new PlanBuildings(plan), input.sites, options, planAllocator(plan));
}

/**
 * Routes as columns (per route r) plus a loader for one route's projected polyline (and nodes, step lengths) into
 * reusable scratch buffers. Two implementations: SignRoute objects (computeSigns) and a plan's RouteTable.
 */
interface RouteSource {
  count: number;
  /** Σ nodes over all routes */
  passages: number;
  building: ArrayLike<number>;
  site: ArrayLike<number>;
  people: ArrayLike<number>;
  length: ArrayLike<number>;
  /** network metres from the start to the first node; NaN = estimate from geometry */
  startLeg(r: number): number;
  /** route r's start (the door's snapped point) / end (the site entrance), lon and lat into out[0], out[1] */
  start(r: number, out: Float64Array): void;
  end(r: number, out: Float64Array): void;
  /** Projected polyline of route r into sc (xs, ys, cum, k); with `withNodes` also its nodes and step lengths (m). */
  load(r: number, sc: Scratch, withNodes: boolean): void;
}

/** What the signs need of a building, read once per building (into a reused object). */
interface BuildingFacts {
  id: number | null;
  name: string | null | undefined;
  levels: number;
  stairwells: number;
}

interface BuildingSource {
  count: number;
  read(b: number, out: BuildingFacts): void;
  /** the door (lon, lat) into `out`, given the route start */
  door(b: number, towards: Float64Array, out: Float64Array): void;
}

/** Growable typed buffers for one route at a time. */
class Scratch {
  xs = new Float64Array(256);
  ys = new Float64Array(256);
  cum = new Float64Array(256);
  k = 0;
  /** nodes of the loaded route (with `withNodes`) */
  m = 0;
  nodes = new Int32Array(256);
  stepLen = new Float64Array(256);
  grow(n: number): void {
    const sz = Math.max(n, this.xs.length * 2);
    const xs = new Float64Array(sz), ys = new Float64Array(sz), cum = new Float64Array(sz);
    xs.set(this.xs.subarray(0, this.k)); ys.set(this.ys.subarray(0, this.k)); cum.set(this.cum.subarray(0, this.k));
    this.xs = xs; this.ys = ys; this.cum = cum;
  }
  push(x: number, y: number): void {
    const i = this.k;
    if (i === this.xs.length) this.grow(i + 1);
    const xs = this.xs, ys = this.ys, cum = this.cum;
    xs[i] = x; ys[i] = y;
    if (i === 0) cum[0] = 0;
    else { const dx = x - xs[i - 1], dy = y - ys[i - 1]; cum[i] = cum[i - 1] + Math.sqrt(dx * dx + dy * dy); }
    this.k = i + 1;
  }
  // push() for the plan path, taking the projected point from arrays (doubles handed to a call are boxed unless it is
  // inlined): the point goes through lon/lat and back, as `routeCoords` polylines are projected again (PlanRoutes.edgePart)
  /** push (px[ix], py[iy]) */
  pushRound(px: Float64Array, ix: number, py: Float64Array, iy: number, p: Graph['proj']): void {
    const k = this.k;
    if (k === this.xs.length) this.grow(k + 1);
    const xs = this.xs, ys = this.ys, cum = this.cum;
    const x = (p.lon0 + px[ix] / p.kx - p.lon0) * p.kx, y = (p.lat0 + py[iy] / p.ky - p.lat0) * p.ky;
    xs[k] = x; ys[k] = y;
    if (k === 0) cum[0] = 0;
    else { const dx = x - xs[k - 1], dy = y - ys[k - 1]; cum[k] = cum[k - 1] + Math.sqrt(dx * dx + dy * dy); }
    this.k = k + 1;
  }
  resetNodes(m: number): void {
    this.m = m;
    if (this.nodes.length < m) { const sz = Math.max(m, this.nodes.length * 2); this.nodes = new Int32Array(sz); this.stepLen = new Float64Array(sz); }
  }
}

class InputRoutes implements RouteSource {
  count: number;
  passages = 0;
  building: Int32Array;
  site: Int32Array;
  people: Float64Array;
  length: Float64Array;
  constructor(private g: Graph, private routes: SignRoute[]) {
    const R = this.count = routes.length;
    this.building = new Int32Array(R); this.site = new Int32Array(R); this.people = new Float64Array(R); this.length = new Float64Array(R);
    for (let r = 0; r < R; r++) {
      const rt = routes[r];
      this.building[r] = rt.buildingIndex; this.site[r] = rt.siteIndex; this.people[r] = rt.people ?? 0; this.length[r] = rt.lengthM;
      this.passages += rt.nodes.length;
    }
  }
  startLeg(r: number): number { return this.routes[r].startLegM ?? NaN; }
  start(r: number, out: Float64Array): void { const p = this.routes[r].startPoint; out[0] = p[0]; out[1] = p[1]; }
  end(r: number, out: Float64Array): void { const p = this.routes[r].endPoint; out[0] = p[0]; out[1] = p[1]; }
  load(r: number, sc: Scratch, withNodes: boolean): void {
    const g = this.g, proj = g.proj, rt = this.routes[r];
    const c = rt.coords;
    const k = c.length >> 1;
    sc.k = 0;
    for (let i = 0; i < k; i++) sc.push((c[2 * i] - proj.lon0) * proj.kx, (c[2 * i + 1] - proj.lat0) * proj.ky);
    if (k < 1) throw new Error(`signs: route ${r} (building ${rt.buildingIndex}) has no coordinates`);
    if (!withNodes) return;
    const nodes = rt.nodes;
    const m = nodes.length;
    sc.resetNodes(m);
    for (let j = 0; j < m; j++) {
      sc.nodes[j] = nodes[j];
      if (j + 1 < m) {
        const e = rt.stepEdges ? rt.stepEdges[j] : edgeBetween(g, nodes[j], nodes[j + 1]);
        if (e < 0 || e >= g.edgeCount) throw new Error(`signs: route ${r} steps between nodes ${nodes[j]} and ${nodes[j + 1]}, which no edge joins`);
        sc.stepLen[j] = g.edgeLength[e];
      }
    }
  }
}

class InputBuildings implements BuildingSource {
  count: number;
  constructor(private b: SignBuilding[]) { this.count = b.length; }
  read(b: number, out: BuildingFacts): void {
    const x = this.b[b];
    out.id = x?.id ?? null; out.name = x?.name; out.levels = x?.levels ?? 1; out.stairwells = x?.stairwells ?? 1;
  }
  door(b: number, towards: Float64Array, out: Float64Array): void { const d = doorPoint(this.b[b], [towards[0], towards[1]]); out[0] = d[0]; out[1] = d[1]; }
}

/** A plan's RouteTable as a RouteSource: polylines walked on the graph geometry exactly as `routeCoords` draws them. */
class PlanRoutes implements RouteSource {
  count: number;
  passages = 0;
  building: Int32Array;
  site: Int32Array;
  people: Float64Array;
  length: Float64Array;
  private g: Graph;
  readonly rt: RouteTable;
  private B: PlanResult['buildings'];
  /**
   * each route's entrance as columns, per route (a route reads its entrance twice; objects → arrays cost a chain of
   * cache misses) — only the routes' entrances: a what-if's few routes must not pay for the city's 130k entrances
   */
  private enEdge: Int32Array;
  private enFraction: Float64Array;
  private enLon: Float64Array;
  private enLat: Float64Array;
  private pt = new Float64Array(2);
  constructor(plan: PlanResult) {
    const rt = this.rt = plan.routes;
    this.g = plan.context.graph; this.B = plan.buildings;
    this.building = rt.partBuilding; this.site = rt.partSite; this.people = rt.partPeople; this.length = rt.partDistance;
    const R = this.count = rt.partBuilding.length;
    for (let r = 0; r < R; r++) if (rt.partVia[r] < 2) this.passages += rt.stepStart[r + 1] - rt.stepStart[r] + 1;
    const ens: Entrance[] = plan.entrances;
    this.enEdge = new Int32Array(R); this.enFraction = new Float64Array(R); this.enLon = new Float64Array(R); this.enLat = new Float64Array(R);
    for (let r = 0; r < R; r++) {
      const en = ens[rt.partEntrance[r]];
      if (!en) continue;
      this.enEdge[r] = en.edgeIndex; this.enFraction[r] = en.fraction; this.enLon[r] = en.point[0]; this.enLat[r] = en.point[1];
    }
  }
  startLeg(r: number): number {
    const via = this.rt.partVia[r];
    if (via >= 2) return NaN; // building and entrance on one edge: no nodes, no start leg
    const b = this.rt.partBuilding[r], f = this.B.snapFraction[b];
    return (via === 0 ? f : 1 - f) * this.g.edgeLength[this.B.snapEdge[b]];
  }
  start(r: number, out: Float64Array): void { const b = this.rt.partBuilding[r]; out[0] = this.B.snapLon[b]; out[1] = this.B.snapLat[b]; }
  end(r: number, out: Float64Array): void { out[0] = this.enLon[r]; out[1] = this.enLat[r]; }
  /** routeCoords (routes.ts) in projected metres */
  load(r: number, sc: Scratch, withNodes: boolean): void {
    const { g, rt } = this;
    const b = rt.partBuilding[r];
    const enEdge = this.enEdge[r], enFraction = this.enFraction[r];
    if (rt.partVia[r] >= 2) {
      sc.k = 0;
      if (withNodes) sc.resetNodes(0);
      this.edgePart(sc, this.B.snapEdge[b], this.B.snapFraction[b], enFraction, false);
      return;
    }
    const s0 = rt.stepStart[r], s1 = rt.stepStart[r + 1];
    if (withNodes) sc.resetNodes(s1 - s0 + 1);
    const nodes = sc.nodes, stepLen = sc.stepLen, steps = rt.steps, edgeLength = g.edgeLength;
    let node = this.snapPiece(r, sc);
    if (withNodes) nodes[0] = node;
    for (let i = s0; i < s1; i++) {
      node = this.stepPiece(steps[i], sc);
      if (withNodes) { stepLen[i - s0] = edgeLength[steps[i] >> 1]; nodes[i - s0 + 1] = node; }
    }
    this.edgePart(sc, enEdge, node === g.edgeSource[enEdge] ? 0 : 1, enFraction, true);
  }
  /** route r's first piece into the scratch: the door's snapped point → its first node (returned); `load` starts with it */
  snapPiece(r: number, sc: Scratch): number {
    const { g, rt } = this;
    const b = rt.partBuilding[r], e = this.B.snapEdge[b], via = rt.partVia[r];
    sc.k = 0;
    this.edgePart(sc, e, this.B.snapFraction[b], via === 0 ? 0 : 1, false);
    return via === 0 ? g.edgeSource[e] : g.edgeTarget[e];
  }
  /** a whole step (edge·2 + dir) appended to the scratch, as `load` walks each; returns its far node */
  stepPiece(st: number, sc: Scratch): number {
    const { geomStart, geomX, geomY, edgeSource, edgeTarget, proj } = this.g;
    const ed = st >> 1, fwd = (st & 1) === 0;
    const a = geomStart[ed];
    if (geomStart[ed + 1] - a === 2) {
      // A straight edge walked whole (most of them): no inner points, and its far end is what pointAtFraction gives
      // at fraction 1 (x0 + (x1 − x0)·1, exactly) or 0 (x0) — without reading its cumulative lengths.
      const x0 = geomX[a], y0 = geomY[a], pt = this.pt;
      pt[0] = fwd ? x0 + (geomX[a + 1] - x0) : x0; pt[1] = fwd ? y0 + (geomY[a + 1] - y0) : y0;
      sc.pushRound(pt, 0, pt, 1, proj);
    } else {
      this.edgePart(sc, ed, fwd ? 0 : 1, fwd ? 1 : 0, true);
    }
    return fwd ? edgeTarget[ed] : edgeSource[ed];
  }
  /** route r's last piece appended to the scratch, from its last node: → the site entrance */
  entrancePiece(r: number, sc: Scratch, node: number): void {
    const enEdge = this.enEdge[r];
    this.edgePart(sc, enEdge, node === this.g.edgeSource[enEdge] ? 0 : 1, this.enFraction[r], true);
  }
  /**
   * appendEdgePart (graph.ts) into the scratch polyline. Points go through lon/lat and back, exactly as the polylines
   * of `routeCoords` are projected again by `computeSigns`, so bearings — and hence the signs — are bit-identical to
   * the SignRoute path (four flops per point).
   */
  private edgePart(sc: Scratch, e: number, f0: number, f1: number, skipFirst: boolean): void {
    const g = this.g, pt = this.pt, proj = g.proj;
    const { geomCum, geomX, geomY } = g;
    const a = g.geomStart[e], b = g.geomStart[e + 1] - 1;
    const total = geomCum[b];
    const t0 = Math.min(Math.max(f0, 0), 1) * total, t1 = Math.min(Math.max(f1, 0), 1) * total;
    if (b === a + 1) {
      // a straight edge: no inner points; pointAtFraction's arithmetic with its cumulative lengths 0 and `total`
      const x0 = geomX[a], y0 = geomY[a], dx = geomX[b] - x0, dy = geomY[b] - y0;
      if (!skipFirst) {
        const t = total > 0 ? t0 / total : 0;
        pt[0] = x0 + dx * t; pt[1] = y0 + dy * t;
        sc.pushRound(pt, 0, pt, 1, proj);
      }
      const t = total > 0 ? t1 / total : 0;
      pt[0] = x0 + dx * t; pt[1] = y0 + dy * t;
      sc.pushRound(pt, 0, pt, 1, proj);
      return;
    }
    if (!skipFirst) { pointAtFraction(g, e, f0, pt); sc.pushRound(pt, 0, pt, 1, proj); }
    if (t1 >= t0) {
      for (let i = a; i <= b; i++) { const c = geomCum[i]; if (c > t0 && c < t1) sc.pushRound(geomX, i, geomY, i, proj); }
    } else {
      for (let i = b; i >= a; i--) { const c = geomCum[i]; if (c < t0 && c > t1) sc.pushRound(geomX, i, geomY, i, proj); }
    }
    pointAtFraction(g, e, f1, pt);
    sc.pushRound(pt, 0, pt, 1, proj);
  }
}

class PlanBuildings implements BuildingSource {
  count: number;
  private input: PlanResult['context']['input'];
  constructor(private plan: PlanResult) { this.input = plan.context.input; this.count = this.input.buildings.length; }
  read(b: number, out: BuildingFacts): void {
    const x = this.input.buildings[b];
    out.id = x.id; out.name = x.name; out.levels = x.levels; out.stairwells = 1;
  }
  door(b: number, _towards: Float64Array, out: Float64Array): void { out[0] = this.plan.buildings.doorLon[b]; out[1] = this.plan.buildings.doorLat[b]; }
}

/**
 * The passes. Hot per-route / per-node work lives in small methods so V8 optimises each quickly (one plan calls this
 * once: a single huge function would run its loops unoptimised, boxing every double, until its on-stack replacement
 * compiles). Signs are kept as columns (typed arrays, arrows as linked lists) until the end, where each `Sign` and
 * `SignArrow` is built exactly once, in output order, with its id and a right-sized arrow list.
 */
function buildSigns(g: Graph, src: RouteSource, bsrc: BuildingSource, sites: SignSite[], options: SignOptions, take: TakeView = freshView): SignResult {
  const b = new SignBuilder(g, src, bsrc, sites, options, workspaceOf(g), take);
  const R = src.count;
  for (let r = 0; r < R; r++) b.locate(r);
  b.groupByNode();
  for (let k = 0, D = b.w.touched; k < D; k++) b.nodeSignAt(k);
  for (let r = 0; r < R; r++) b.routeSignsOf(r);
  b.routeSignStart[R] = b.nRouteSigns;
  const result = b.finish();
  b.w.release();
  return result;
}

// sign kinds as small integers in the columns, in the order of SignKind's KIND_* tables below
const K_JUNCTION = 0, K_TURN = 1, K_EXIT = 2, K_STAIRWELL = 3, K_OVERVIEW = 4, K_SPACING = 5;
const KINDS: SignKind[] = ['junction', 'turn', 'exit', 'stairwell', 'overview', 'spacing'];

/**
 * Typed scratch kept per graph (WeakMap, so it goes with the graph) and reused by the next call on it: a city plan
 * needs ~150 MB of typed arrays (Monaco ~2 MB), and allocating that much external memory on every call makes V8 start
 * a full mark-compact of the whole heap (seconds at city scale). Its large arrays are `lasting` (alloc.ts), so even the
 * first call's do not; the result's own columns come from the plan's spares (planAllocator).
 */
class Workspace {
  readonly sc = new Scratch();
  /**
   * Per node: −1, except at the nodes the last call's routes pass (nodes[0 .. touched-1]), where it holds their sign
   * (or −1) — and, inside groupByNode, their rank. The next call resets just those, so a what-if through a few hundred
   * nodes costs nothing per node of the city.
   */
  readonly nodeSign: Int32Array;
  /** the distinct nodes passed (ascending after groupByNode) */
  nodes: Int32Array = new Int32Array(0);
  touched = 0;
  /** the passages through nodes[k], node order: q records slotStart[k] .. slotStart[k+1]-1 (slotFill: a cursor) */
  slotStart: Int32Array = new Int32Array(0);
  slotFill: Int32Array = new Int32Array(0);
  // per passage, route order
  pNode: Int32Array = new Int32Array(0);
  pIn: Float64Array = new Float64Array(0);
  pOut: Float64Array = new Float64Array(0);
  pRem: Float64Array = new Float64Array(0);
  pCum: Float64Array = new Float64Array(0);
  pRoute: Int32Array = new Int32Array(0);
  // per passage, node order: [in, out, rem, people] records, and the site
  q: Float64Array = new Float64Array(0);
  qSite: Int32Array = new Int32Array(0);
  /**
   * Pass 1 piece summaries (SignBuilder.fastLocate), direct-mapped by step (edge·2 + dir): a bounded cache (~9 MB)
   * kept with the graph — a summary depends only on the graph's geometry, the step and its start point.
   */
  readonly ent = lasting.f64((PIECE_SLOTS + 1) * ENT).fill(-1);
  seg: Float64Array = new Float64Array(64);
  // per route
  routeFirst: Int32Array = new Int32Array(0);
  routeGeomLen: Float64Array = new Float64Array(0);
  routeStartBearing: Float64Array = new Float64Array(0);
  routeEndBearing: Float64Array = new Float64Array(0);
  routeSigns: Int32Array = new Int32Array(0);
  // per building
  exitSign: Int32Array = new Int32Array(0);
  // per busiest node: direction clusters and the node's arrows
  inDirs: Float64Array = new Float64Array(0);
  inWeight: Float64Array = new Float64Array(0);
  outDirs: Float64Array = new Float64Array(0);
  arB: Float64Array = new Float64Array(0);
  arD: Float64Array = new Float64Array(0);
  arS: Int32Array = new Int32Array(0);
  // sign columns (facing / arrow bearing NaN = null)
  sKind: Uint8Array = new Uint8Array(0);
  sLon: Float64Array = new Float64Array(0);
  sLat: Float64Array = new Float64Array(0);
  sFacing: Float64Array = new Float64Array(0);
  sPeople: Float64Array = new Float64Array(0);
  sNode: Int32Array = new Int32Array(0);
  sBuilding: Int32Array = new Int32Array(0);
  sRoutes: Int32Array = new Int32Array(0);
  sApp: Int32Array = new Int32Array(0);
  // approach lists (a junction's other approaches, an overview board's): per list its first / last entry, per entry the
  // bearing and the next entry — typed, not a JS array per sign (~120k lists in a city plan)
  apHead: Int32Array = new Int32Array(0);
  apTail: Int32Array = new Int32Array(0);
  apVal: Float64Array = new Float64Array(0);
  apNext: Int32Array = new Int32Array(0);
  sHead: Int32Array = new Int32Array(0);
  sTail: Int32Array = new Int32Array(0);
  sArrows: Int32Array = new Int32Array(0);
  /** index into SignBuilder.notes */
  sNote: Int32Array = new Int32Array(0);
  // arrows: linked per sign
  aNext: Int32Array = new Int32Array(0);
  aBearing: Float64Array = new Float64Array(0);
  aDist: Float64Array = new Float64Array(0);
  aSite: Int32Array = new Int32Array(0);
  constructor(N: number, readonly pool: BufferPool) {
    this.nodeSign = lasting.i32(N).fill(-1);
  }

  /** nodeSign back to −1 everywhere (at the last call's nodes); run before a call writes it */
  releaseNodes(): void {
    const { nodes, nodeSign } = this;
    for (let k = 0, D = this.touched; k < D; k++) nodeSign[nodes[k]] = -1;
    this.touched = 0;
  }
  /** room for D distinct nodes (contents not kept: release them first) */
  fitNodes(D: number): void {
    if (D <= this.nodes.length) return;
    const n = Math.ceil(D * 1.25) + 16;
    const a = new Arena(this.pool);
    this.nodes = a.i32(n); this.slotStart = a.i32(n + 1); this.slotFill = a.i32(n);
    this.hold('nodes', a);
  }

  /**
   * The per-call arrays (nodes, passages, signs, approaches, arrows) are views of the graph's stage buffers (alloc.ts),
   * held for one call only: in a plan, the searches have just given back about as much memory as they need, and the
   * stages after take it back from here. By role; a role's previous blocks are given back once their contents are copied.
   */
  private held = new Map<string, Block[]>();
  private hold(role: string, a: Arena): void {
    const old = this.held.get(role);
    if (old) for (const b of old) this.pool.give(b);
    this.held.set(role, a.blocks);
  }
  /** Ends a call: nodeSign back to −1 and the call's buffers given back (the piece summaries and nodeSign stay). */
  release(): void {
    this.releaseNodes();
    for (const blocks of this.held.values()) for (const b of blocks) this.pool.give(b);
    this.held.clear();
    const i32 = new Int32Array(0), f64 = new Float64Array(0);
    this.nodes = this.slotStart = this.slotFill = i32;
    this.pIn = this.pOut = this.pRem = this.pCum = this.q = this.routeGeomLen = this.routeStartBearing = this.routeEndBearing = f64;
    this.pNode = this.pRoute = this.qSite = this.routeFirst = this.routeSigns = this.exitSign = i32;
    this.capP = this.capR = this.capB = -1;
    this.sLon = this.sLat = this.sFacing = this.sPeople = f64;
    this.sNode = this.sBuilding = this.sRoutes = this.sApp = this.sHead = this.sTail = this.sArrows = this.sNote = i32;
    this.sKind = new Uint8Array(0);
    this.apHead = this.apTail = this.apNext = i32;
    this.apVal = f64;
    this.aBearing = this.aDist = f64;
    this.aNext = this.aSite = i32;
  }

  // The arrays sized by a call's passages (P), routes (R) and buildings (B) are held together as one role, as are all
  // sign columns and all arrow columns: a growth takes a block per column and gives the role's old blocks back.
  capP = -1;
  capR = -1;
  capB = -1;
  /** room for P passages, R routes and B buildings (contents not kept) */
  fit(P: number, R: number, B: number): void {
    if (P <= this.capP && R <= this.capR && B <= this.capB) return;
    const p = this.capP = Math.ceil(Math.max(P, this.capP) * 1.25) + 16;
    const r = this.capR = Math.ceil(Math.max(R, this.capR) * 1.25) + 16;
    const b = this.capB = Math.ceil(Math.max(B, this.capB) * 1.25) + 16;
    const a = new Arena(this.pool);
    this.pIn = a.f64(p); this.pOut = a.f64(p); this.pRem = a.f64(p); this.pCum = a.f64(p); this.q = a.f64(4 * p);
    this.routeGeomLen = a.f64(r); this.routeStartBearing = a.f64(r); this.routeEndBearing = a.f64(r);
    this.pNode = a.i32(p); this.pRoute = a.i32(p); this.qSite = a.i32(p);
    this.routeFirst = a.i32(r + 1); this.routeSigns = a.i32(2 * r + p); this.exitSign = a.i32(b);
    this.hold('passages', a);
  }
  /** make room for `signs` signs (keeping the first `keep`) */
  growSigns(signs: number, keep: number): void {
    const n = Math.max(signs, 1024, Math.ceil(this.sKind.length * 1.5));
    const a = new Arena(this.pool);
    this.sLon = grown(this.sLon, a.f64(n), keep);
    this.sLat = grown(this.sLat, a.f64(n), keep);
    this.sFacing = grown(this.sFacing, a.f64(n), keep);
    this.sPeople = grown(this.sPeople, a.f64(n), keep);
    this.sNode = grown(this.sNode, a.i32(n), keep);
    this.sBuilding = grown(this.sBuilding, a.i32(n), keep);
    this.sRoutes = grown(this.sRoutes, a.i32(n), keep);
    this.sApp = grown(this.sApp, a.i32(n), keep);
    this.sHead = grown(this.sHead, a.i32(n), keep);
    this.sTail = grown(this.sTail, a.i32(n), keep);
    this.sArrows = grown(this.sArrows, a.i32(n), keep);
    this.sNote = grown(this.sNote, a.i32(n), keep);
    this.sKind = grown(this.sKind, a.u8(n), keep);
    this.hold('signs', a);
  }
  /** room for `lists` approach lists and `entries` entries (keeping the first `keepL` / `keepE`) */
  growApproaches(lists: number, keepL: number, entries: number, keepE: number): void {
    if (lists > this.apHead.length) {
      const n = Math.max(lists, 1024, Math.ceil(this.apHead.length * 1.5));
      const a = new Arena(this.pool);
      this.apHead = grown(this.apHead, a.i32(n), keepL); this.apTail = grown(this.apTail, a.i32(n), keepL);
      this.hold('approach lists', a);
    }
    if (entries > this.apVal.length) {
      const n = Math.max(entries, 1024, Math.ceil(this.apVal.length * 1.5));
      const a = new Arena(this.pool);
      this.apVal = grown(this.apVal, a.f64(n), keepE); this.apNext = grown(this.apNext, a.i32(n), keepE);
      this.hold('approaches', a);
    }
  }
  growArrows(arrows: number, keep: number): void {
    const n = Math.max(arrows, 1024, Math.ceil(this.aNext.length * 1.5));
    const a = new Arena(this.pool);
    this.aBearing = grown(this.aBearing, a.f64(n), keep);
    this.aDist = grown(this.aDist, a.f64(n), keep);
    this.aNext = grown(this.aNext, a.i32(n), keep);
    this.aSite = grown(this.aSite, a.i32(n), keep);
    this.hold('arrows', a);
  }
}

/**
 * Typed views for one role, each a block of the workspace's stage buffers (one block per view: the pool fits many
 * column-sized blocks into the memory earlier stages gave back, where one role-sized block would not fit).
 */
class Arena {
  readonly blocks: Block[] = [];
  constructor(private readonly pool: BufferPool) {}
  f64(n: number) { const b = this.block(8 * n); return new Float64Array(b.buffer, b.offset, n); }
  i32(n: number) { const b = this.block(4 * n); return new Int32Array(b.buffer, b.offset, n); }
  u8(n: number) { const b = this.block(n); return new Uint8Array(b.buffer, b.offset, n); }
  private block(bytes: number): Block {
    const b = this.pool.take(bytes);
    this.blocks.push(b);
    return b;
  }
}

function grown<T extends Int32Array | Float64Array | Uint8Array>(old: T, into: T, keep: number): T {
  if (keep > 0) into.set(old.subarray(0, keep) as never);
  return into;
}

/**
 * Keyed by the graph's adjacency array, not the Graph object: a what-if with closures plans on a copy of the graph
 * (`{ ...g, closed }`) that shares every array but the closed flags, and nothing kept here depends on those flags —
 * so every what-if reuses the open graph's workspace (and its piece summaries) instead of allocating a new one.
 */
const workspaces = new WeakMap<Int32Array, Workspace>();
function workspaceOf(g: Graph): Workspace {
  let w = workspaces.get(g.adjStart);
  if (!w || w.nodeSign.length !== g.nodeCount) { w = new Workspace(g.nodeCount, stageBuffersOf(g.adjStart)); workspaces.set(g.adjStart, w); }
  return w;
}

class SignBuilder {
  readonly turnDeg: number;
  readonly spacingM: number;
  readonly tol: number;
  readonly allCrossings: boolean;
  readonly stairwellsOn: boolean;
  readonly perFloor: boolean;
  /** site labels, made on first use (a what-if names a handful of the city's sites) */
  readonly siteNames: (string | undefined)[];
  readonly sc: Scratch;
  // pass 1: per passage (a route through a node), in route order (see Workspace)
  readonly pNode: Int32Array;
  /** approach bearing (NaN: route starts here) */
  readonly pIn: Float64Array;
  /** departure bearing (NaN: route ends here) */
  readonly pOut: Float64Array;
  /** network metres remaining */
  readonly pRem: Float64Array;
  /** geometric metres from the route start */
  readonly pCum: Float64Array;
  readonly pRoute: Int32Array;
  /** passages of route r: routeFirst[r] .. routeFirst[r+1]-1 */
  readonly routeFirst: Int32Array;
  readonly routeGeomLen: Float64Array;
  readonly routeStartBearing: Float64Array;
  readonly routeEndBearing: Float64Array;
  /** the route table, when routes come from a plan (pass 1 then assembles routes from cached edge pieces) */
  readonly plan: PlanRoutes | null;
  p = 0;
  // summarize() results
  sumFlags = 0;
  sumIn = NaN;
  sumOut = NaN;
  readonly nodeSign: Int32Array;
  /** note index per (approaches, departures) of a junction */
  readonly junctionNotes = new Map<number, number>();
  /** note index per site's overview boards (−1: none yet) */
  readonly overviewNote: Int32Array;
  // pass 3
  nRouteSigns = 0;
  readonly routeSignStart: Int32Array;
  readonly exitSign: Int32Array;
  /** overview boards per site: [lon, lat, sign index] triples (a site has a handful of entrances) */
  readonly overviewSign: (number[] | undefined)[];
  readonly spacingSigns = new Map<number, number[]>();
  readonly M: number;
  /** per exit sign, in creation (= output) order: its building and that building's facts */
  readonly exitBuilding: number[] = [];
  readonly exitIds: (number | null)[] = [];
  readonly exitLevels: number[] = [];
  readonly exitWells: number[] = [];
  readonly facts: BuildingFacts = { id: null, name: null, levels: 1, stairwells: 1 };
  readonly door = new Float64Array(2);
  readonly pt = new Float64Array(2);
  /** the route whose polyline is in the scratch during pass 3 (−1: none) */
  loadedRoute = -1;
  // the signs so far, as columns (see Workspace); approach lists as JS arrays, notes as indexes (sNote) into the
  // distinct notes (most signs share one of a few)
  nSigns = 0;
  nArrows = 0;
  readonly notes: string[] = [TURN_NOTE, EXIT_NOTE, SPACING_NOTE];
  /** approach lists and entries so far (Workspace.ap*) */
  nApp = 0;
  nAppEntries = 0;
  readonly exitNames: (string | null)[] = [];

  constructor(readonly g: Graph, readonly src: RouteSource, readonly bsrc: BuildingSource, readonly sites: SignSite[], readonly options: SignOptions, readonly w: Workspace,
    readonly take: TakeView) {
    this.turnDeg = options.turnDeg ?? 30;
    this.spacingM = options.spacingM ?? 150;
    this.tol = options.directionTolDeg ?? 3;
    this.allCrossings = options.allCrossings === true;
    this.stairwellsOn = options.stairwells !== false;
    this.perFloor = options.stairwellPerFloor === true;
    this.siteNames = new Array(sites.length);
    const R = src.count, P = src.passages, N = g.nodeCount;
    this.sc = w.sc;
    let maxB = bsrc.count - 1;
    for (let r = 0; r < R; r++) if (src.building[r] > maxB) maxB = src.building[r];
    w.fit(P, R, maxB + 1);
    this.pNode = w.pNode; this.pIn = w.pIn; this.pOut = w.pOut; this.pRem = w.pRem; this.pCum = w.pCum; this.pRoute = w.pRoute;
    this.routeFirst = w.routeFirst; this.routeGeomLen = w.routeGeomLen;
    this.routeStartBearing = w.routeStartBearing; this.routeEndBearing = w.routeEndBearing;
    this.plan = src instanceof PlanRoutes ? src : null;
    this.nodeSign = w.nodeSign; // −1 at every node once groupByNode has run (it first uses it for ranks)
    this.routeSignStart = take('i32', R + 1);
    this.exitSign = w.exitSign;
    this.exitSign.fill(-1, 0, maxB + 1);
    this.overviewSign = new Array(sites.length);
    this.overviewNote = new Int32Array(sites.length).fill(-1);
    this.M = N + sites.length + 1;
    // first guesses (a junction / turn per two passages — the generated city has 0.4 signs besides its exits per
    // passage —, an exit and an arrow or two per route); they grow if short
    if (w.sKind.length < R + (P >> 1)) w.growSigns(R + (P >> 1), 0);
    if (w.aNext.length < 2 * R + (P >> 2)) w.growArrows(2 * R + (P >> 2), 0);
  }
  siteName(s: number): string { return this.siteNames[s] ?? (this.siteNames[s] = siteLabel(this.sites[s], s)); }
  siteId(s: number): number { return this.sites[s]?.id ?? s; }

  /** pass 1 for route r: bearings and distances per passage */
  locate(r: number): void {
    this.routeFirst[r] = this.p;
    if (this.plan === null || !this.fastLocate(r)) this.p = this.locateExact(r, this.p);
  }

  /**
   * The exact walk: route r's whole polyline, its nodes located on it in one forward scan, bearings, distances, and
   * the geometric position of each node (pCum, for spacing signs). Writes passages base … ; returns the next free one.
   */
  locateExact(r: number, base: number): number {
    const { sc, src, pNode, pCum, pRoute, pIn, pOut, pRem } = this;
    src.load(r, sc, true);
    const { xs, ys, cum, k, m, nodes, stepLen } = sc;
    const lengthM = src.length[r];
    this.routeGeomLen[r] = cum[k - 1];
    // Bearings of polyline segments (from, to): a node's departure and the next node's approach (and the route's
    // start / end bearing and its first / last node's) are usually one segment, so the last one is remembered.
    let mFrom = 0, mTo = outIndex(cum, 0, k), mVal = mTo < 0 ? NaN : bearingOf(xs[mTo] - xs[0], ys[mTo] - ys[0]);
    this.routeStartBearing[r] = mVal;
    let steps = 0;
    for (let j = 0; j + 1 < m; j++) steps += stepLen[j];
    const gx = this.g.x, gy = this.g.y;
    let vi = 0;
    let p = base;
    for (let j = 0; j < m; j++) {
      const v = nodes[j];
      const nx = gx[v], ny = gy[v];
      let found = -1, best = Infinity, bestI = vi;
      for (let i = vi; i < k; i++) {
        const d = (xs[i] - nx) * (xs[i] - nx) + (ys[i] - ny) * (ys[i] - ny);
        if (d <= NODE_TOL_M * NODE_TOL_M) { found = i; break; }
        if (d < best) { best = d; bestI = i; }
      }
      vi = found >= 0 ? found : bestI;
      pNode[p] = v; pCum[p] = cum[vi]; pRoute[p] = r;
      const i0 = inIndex(cum, vi);
      if (i0 < 0) pIn[p] = NaN;
      else if (i0 === mFrom && vi === mTo) pIn[p] = mVal;
      else { mFrom = i0; mTo = vi; pIn[p] = mVal = bearingOf(xs[vi] - xs[i0], ys[vi] - ys[i0]); }
      const i1 = outIndex(cum, vi, k);
      if (i1 < 0) pOut[p] = NaN;
      else if (vi === mFrom && i1 === mTo) pOut[p] = mVal;
      else { mFrom = vi; mTo = i1; pOut[p] = mVal = bearingOf(xs[i1] - xs[vi], ys[i1] - ys[vi]); }
      p++;
    }
    const e0 = inIndex(cum, k - 1);
    this.routeEndBearing[r] = e0 < 0 ? NaN : e0 === mFrom && k - 1 === mTo ? mVal : bearingOf(xs[k - 1] - xs[e0], ys[k - 1] - ys[e0]);
    // network distance travelled to nodes[0]
    let startLeg = src.startLeg(r);
    if (Number.isNaN(startLeg)) {
      if (m === 0) startLeg = 0;
      else {
        const gs = pCum[base], ge = this.routeGeomLen[r] - pCum[base + m - 1];
        const left = Math.max(0, lengthM - steps);
        startLeg = gs + ge > 0 ? (left * gs) / (gs + ge) : 0;
      }
    }
    let travelled = startLeg;
    for (let j = 0; j < m; j++) {
      pRem[base + j] = Math.max(0, lengthM - travelled);
      if (j + 1 < m) travelled += stepLen[j];
    }
    return p;
  }

  /**
   * Pass 1 for a plan route from summaries of its pieces (the door's partial edge, whole steps, the entrance's partial
   * edge), each step's summary computed once and reused by every route that enters it from the same point — most
   * routes share most of their streets (Monaco: 7,600 steps walked, 250 distinct). Gives exactly what `locateExact` gives (the running geometric length is
   * summed segment by segment in the same order), or returns false when the answer could depend on more than one
   * piece or on rounding (see `summarize`); the caller then runs `locateExact` over the same passages.
   */
  fastLocate(r: number): boolean {
    const pr = this.plan!, rt = pr.rt, sc = this.sc, w = this.w;
    if (rt.partVia[r] >= 2) return false;
    const { pNode, pIn, pOut, pRem, pRoute, pCum } = this;
    const g = this.g, edgeLength = g.edgeLength;
    const s0 = rt.stepStart[r], s1 = rt.stepStart[r + 1], steps = rt.steps;
    const base = this.p, m = s1 - s0 + 1;
    // the door's piece: door → node 0
    let node = pr.snapPiece(r, sc);
    let n = sc.k - 1;
    this.summarize(sc.xs, sc.ys, n, node);
    let f = this.sumFlags;
    if ((f & LOC_OK) === 0 || (f & OUT_OK) === 0 || (f & (IN_OK | IN_BEGIN)) === 0) return false;
    const startBearing = this.sumOut;
    pIn[base] = (f & IN_OK) !== 0 ? this.sumIn : NaN;
    pNode[base] = node; pRoute[base] = r;
    // cum: the exact walk's running length (Scratch.push), one segment at a time
    let cum = 0, seg = w.seg;
    for (let i = 1; i <= n; i++) cum += seg[i];
    pCum[base] = cum;
    let sx = sc.xs[n], sy = sc.ys[n];
    const lengthM = pr.length[r];
    let travelled = pr.startLeg(r);
    pRem[base] = Math.max(0, lengthM - travelled);
    const ent = w.ent;
    for (let i = s0; i < s1; i++) {
      const st = steps[i];
      let o = (Math.imul(st, 0x9e3779b1) >>> (32 - PIECE_SLOT_BITS)) * ENT;
      if (ent[o + E_STEP] !== st || ent[o + E_SX] !== sx || ent[o + E_SY] !== sy) {
        sc.xs[0] = sx; sc.ys[0] = sy; sc.cum[0] = 0; sc.k = 1; // sc.push(sx, sy) on an empty scratch
        const v = pr.stepPiece(st, sc);
        n = sc.k - 1;
        this.summarize(sc.xs, sc.ys, n, v);
        if (n > PIECE_SEGS) o = PIECE_SLOTS * ENT; // too long to keep: the scratch slot, used once
        const seg = w.seg;
        ent[o + E_STEP] = st; ent[o + E_SX] = sx; ent[o + E_SY] = sy; ent[o + E_EX] = sc.xs[n]; ent[o + E_EY] = sc.ys[n];
        ent[o + E_IN] = this.sumIn; ent[o + E_OUT] = this.sumOut; ent[o + E_EDGELEN] = edgeLength[st >> 1]; ent[o + E_NODE] = v;
        ent[o + E_FLAGS] = this.sumFlags; ent[o + E_NSEG] = n;
        if (n <= PIECE_SEGS) for (let a = 1; a <= n; a++) ent[o + E_SEGS + a - 1] = seg[a];
      }
      f = ent[o + E_FLAGS];
      // a whole step must hold both its bearings and its far node's location
      if ((f & (LOC_OK | IN_OK | OUT_OK)) !== (LOC_OK | IN_OK | OUT_OK)) return false;
      const j = base + i - s0 + 1;
      pOut[j - 1] = ent[o + E_OUT];
      pIn[j] = ent[o + E_IN];
      node = ent[o + E_NODE];
      pNode[j] = node; pRoute[j] = r;
      travelled += ent[o + E_EDGELEN];
      pRem[j] = Math.max(0, lengthM - travelled);
      // the running length, one segment at a time (a long piece's are still in w.seg from summarize)
      const ns = ent[o + E_NSEG];
      if (ns <= PIECE_SEGS) for (let a = o + E_SEGS, b = a + ns; a < b; a++) cum += ent[a];
      else { const seg = w.seg; for (let a = 1; a <= ns; a++) cum += seg[a]; }
      pCum[j] = cum;
      sx = ent[o + E_EX]; sy = ent[o + E_EY];
    }
    // the entrance's piece: last node → the entrance
    sc.xs[0] = sx; sc.ys[0] = sy; sc.cum[0] = 0; sc.k = 1;
    pr.entrancePiece(r, sc, node);
    n = sc.k - 1;
    this.summarize(sc.xs, sc.ys, n, -1);
    f = this.sumFlags;
    if ((f & (OUT_OK | OUT_END)) === 0 || (f & IN_OK) === 0) return false;
    seg = w.seg;
    for (let i = 1; i <= n; i++) cum += seg[i];
    // running sums along the route stay far below PIECE_MAX_M, where their rounding is ≪ PIECE_EPS
    if (!(cum <= PIECE_MAX_M)) return false;
    pOut[base + m - 1] = (f & OUT_OK) !== 0 ? this.sumOut : NaN;
    this.routeStartBearing[r] = startBearing;
    this.routeEndBearing[r] = this.sumIn;
    this.routeGeomLen[r] = cum;
    this.p = base + m;
    return true;
  }

  /**
   * What `locateExact` finds on the piece pts[0..n] of a route when it only depends on the piece: pts[0] is where the
   * scan starts (the route start, or the previous node located at its own point); `node` is the node at pts[n] (−1:
   * none). Sets sumFlags — LOC_OK: the first point within NODE_TOL_M of the node is pts[n]; OUT_OK / OUT_END: the
   * bearing leaving pts[0] (sumOut) is measured to a point of the piece / the piece is too short to tell; IN_OK /
   * IN_BEGIN: likewise arriving at pts[n] (sumIn) from a point of the piece / from before it; the segment lengths
   * (as Scratch.push computes them) in Workspace.seg[1..n]. The exact
   * walk compares running sums with MIN_SEG_M; here the same segment lengths are trusted only PIECE_EPS away from it
   * (rounding of those sums is far smaller), and scans longer than PIECE_SCAN points are not trusted at all.
   */
  summarize(xs: Float64Array, ys: Float64Array, n: number, node: number): void {
    let flags = 0;
    if (node >= 0) {
      const nx = this.g.x[node], ny = this.g.y[node];
      let i = 0;
      for (; i <= n; i++) if ((xs[i] - nx) * (xs[i] - nx) + (ys[i] - ny) * (ys[i] - ny) <= NODE_TOL_M * NODE_TOL_M) break;
      if (i === n) flags |= LOC_OK;
    }
    if (this.w.seg.length <= n) this.w.seg = new Float64Array(2 * n + 2);
    const seg = this.w.seg;
    for (let i = 1; i <= n; i++) {
      const dx = xs[i] - xs[i - 1], dy = ys[i] - ys[i - 1];
      const sl = Math.sqrt(dx * dx + dy * dy);
      if (sl !== sl) { this.sumFlags = 0; return; }
      seg[i] = sl;
    }
    // leaving pts[0]
    let t = 0, i = 1, st = 0;
    for (;;) {
      if (i > n) { st = 2; break; }
      if (i > PIECE_SCAN) break;
      t += seg[i];
      if (t > MIN_SEG_M + PIECE_EPS) { st = 1; break; }
      if (t >= MIN_SEG_M - PIECE_EPS) break;
      i++;
    }
    if (st === 1) { flags |= OUT_OK; this.sumOut = bearingOf(xs[i] - xs[0], ys[i] - ys[0]); } else if (st === 2) flags |= OUT_END;
    // arriving at pts[n]
    t = 0; i = n - 1; st = 0;
    for (;;) {
      if (i < 0) { st = 2; break; }
      if (n - i > PIECE_SCAN) break;
      t += seg[i + 1];
      if (t > MIN_SEG_M + PIECE_EPS) { st = 1; break; }
      if (t >= MIN_SEG_M - PIECE_EPS) break;
      i--;
    }
    if (st === 1) {
      flags |= IN_OK;
      // one segment both ways (a straight edge): the same bearing
      this.sumIn = i === 0 && n === 1 && (flags & OUT_OK) !== 0 ? this.sumOut : bearingOf(xs[n] - xs[i], ys[n] - ys[i]);
    } else if (st === 2) flags |= IN_BEGIN;
    this.sumFlags = flags;
  }

  /**
   * pass 2 set-up: the distinct nodes passed, ascending (node signs are made in node order), and the passages grouped
   * by node (counting sort over those nodes only), their data scattered into node order once
   */
  groupByNode(): void {
    const { pNode, w } = this;
    const N = this.g.nodeCount, P = this.p, R = this.src.count;
    this.routeFirst[R] = P;
    w.releaseNodes();
    w.fitNodes(Math.min(P, N));
    const D = this.distinctNodes(P);
    const { nodes, nodeSign: rank, slotStart } = w;
    for (let k = 0; k < D; k++) rank[nodes[k]] = k;
    slotStart.fill(0, 0, D + 1);
    for (let i = 0; i < P; i++) slotStart[rank[pNode[i]] + 1]++;
    let busiest = 0;
    for (let k = 0; k < D; k++) { if (slotStart[k + 1] > busiest) busiest = slotStart[k + 1]; slotStart[k + 1] += slotStart[k]; }
    if (w.inDirs.length < busiest) {
      w.inDirs = new Float64Array(busiest); w.inWeight = new Float64Array(busiest); w.outDirs = new Float64Array(busiest);
      w.arB = new Float64Array(busiest); w.arD = new Float64Array(busiest); w.arS = new Int32Array(busiest);
    }
    this.scatter(P);
    for (let k = 0; k < D; k++) rank[nodes[k]] = -1; // nodeSign: no sign yet
  }

  /** the distinct nodes of passages 0 .. P-1 into w.nodes, ascending (marked in w.nodeSign, listed in w.touched); their number */
  distinctNodes(P: number): number {
    const { pNode, w } = this;
    const { nodes, nodeSign: mark } = w;
    let D = 0;
    for (let i = 0; i < P; i++) {
      const v = pNode[i];
      if (mark[v] < 0) { mark[v] = 0; nodes[D++] = v; }
    }
    w.touched = D;
    // few nodes (a what-if): sort them; many (a city plan): one scan of the marks is cheaper than the sort
    const N = this.g.nodeCount;
    if (D < N >> 5) nodes.subarray(0, D).sort();
    else for (let v = 0, k = 0; v < N; v++) if (mark[v] >= 0) nodes[k++] = v;
    return D;
  }

  /** passage data into node order: [in, out, rem, people] records in w.q, sites in w.qSite (w.nodeSign holds ranks) */
  scatter(P: number): void {
    const { pNode, pIn, pOut, pRem, pRoute, w } = this;
    const { q, qSite, slotFill: fill, nodeSign: rank } = w;
    fill.set(w.slotStart.subarray(0, w.touched));
    const people = this.src.people, site = this.src.site;
    for (let i = 0; i < P; i++) {
      const j = fill[rank[pNode[i]]]++;
      const r = pRoute[i], o = 4 * j;
      q[o] = pIn[i]; q[o + 1] = pOut[i]; q[o + 2] = pRem[i]; q[o + 3] = people[r]; qSite[j] = site[r];
    }
  }

  // Doubles handed to a call V8 does not inline are boxed (a heap number each); the hot sign / arrow writers below take
  // only integers and strings, and their doubles go straight into the columns (newSign) or through these fields.
  argBearing = NaN;
  argDist = 0;

  /**
   * A new sign with no arrows; returns its index. The caller writes its position, facing and people into
   * w.sLon / sLat / sFacing / sPeople (read from `this.w` afresh: this may grow them).
   */
  newSign(kind: number, node: number, building: number, routes: number, note: number): number {
    const i = this.nSigns;
    const w = this.w;
    if (i === w.sKind.length) w.growSigns(i + 1, i);
    w.sKind[i] = kind; w.sNode[i] = node; w.sBuilding[i] = building;
    w.sRoutes[i] = routes; w.sPeople[i] = 0; w.sApp[i] = -1; w.sHead[i] = -1; w.sTail[i] = -1; w.sArrows[i] = 0;
    w.sNote[i] = note;
    this.nSigns = i + 1;
    return i;
  }

  /** a new, empty approach list for sign i */
  newApproaches(i: number): number {
    const w = this.w, l = this.nApp++;
    if (l >= w.apHead.length) w.growApproaches(l + 1, l, 0, 0);
    w.apHead[l] = -1; w.apTail[l] = -1;
    w.sApp[i] = l;
    return l;
  }
  pushApproach(l: number, bearing: number): void {
    const w = this.w, e = this.nAppEntries++;
    if (e >= w.apVal.length) w.growApproaches(0, 0, e + 1, e);
    w.apVal[e] = bearing; w.apNext[e] = -1;
    if (w.apTail[l] < 0) w.apHead[l] = e; else w.apNext[w.apTail[l]] = e;
    w.apTail[l] = e;
  }

  /** append the arrow (argBearing — NaN = null —, site, argDist) to sign i */
  pushArrow(i: number, site: number): void {
    const t = this.nArrows, w = this.w;
    if (t === w.aNext.length) w.growArrows(t + 1, t);
    w.aNext[t] = -1; w.aBearing[t] = this.argBearing; w.aSite[t] = site; w.aDist[t] = this.argDist;
    if (w.sTail[i] < 0) w.sHead[i] = t; else w.aNext[w.sTail[i]] = t;
    w.sTail[i] = t; w.sArrows[i]++;
    this.nArrows = t + 1;
  }

  /**
   * addArrow on sign i's list for (argBearing, site, argDist): merge with an arrow to the same site in the same
   * direction (keeping the smaller distance), else append.
   */
  addArrow(i: number, site: number): void {
    const { aNext, aBearing, aSite, aDist } = this.w;
    const bearing = this.argBearing, distanceM = this.argDist;
    for (let t = this.w.sHead[i]; t >= 0; t = aNext[t]) {
      const ab = aBearing[t];
      if (aSite[t] === site && (ab === bearing || (ab !== ab && bearing !== bearing) || angleDiff(ab, bearing) < 1e-9)) {
        if (distanceM < aDist[t]) aDist[t] = distanceM;
        return;
      }
    }
    this.pushArrow(i, site);
  }

  /** pass 2 for the node passed with rank `slot` (by ≥ 1 route): one merged junction / turn sign when routes meet, branch or turn */
  nodeSignAt(slot: number): void {
    const { w, tol, g } = this;
    const { q, qSite, inDirs, inWeight, outDirs } = w;
    const v = w.nodes[slot], a = w.slotStart[slot], b = w.slotStart[slot + 1];
    let nIn = 0, nOut = 0;
    let turned = false;
    let ppl = 0;
    for (let j = a; j < b; j++) {
      const bi = q[4 * j], bo = q[4 * j + 1], pj = q[4 * j + 3];
      ppl += pj;
      // Only routes passing through count for meet/branch: a route starting at the node (door exactly there) is
      // guided by its exit sign, a route ending there (entrance at the node) by the overview board.
      if (bi !== bi || bo !== bo) continue;
      const c = cluster(inDirs, nIn, bi, tol);
      if (c === nIn) { inDirs[nIn++] = bi; inWeight[c] = 0; }
      inWeight[c] += pj + 1e-9;
      if (cluster(outDirs, nOut, bo, tol) === nOut) outDirs[nOut++] = bo;
      if (angleDiff(bi, bo) >= this.turnDeg) turned = true;
    }
    const junction = nIn >= 2 || nOut >= 2 || (this.allCrossings && g.adjStart[v + 1] - g.adjStart[v] >= 3);
    if (!junction && !turned) return;
    // arrows: one per (departure direction, site), the smallest distance remaining
    const { arB, arD, arS } = w;
    let na = 0;
    for (let j = a; j < b; j++) {
      const bo = q[4 * j + 1];
      if (bo !== bo) continue;
      let c = cluster(outDirs, nOut, bo, tol);
      if (c === nOut) outDirs[nOut++] = bo;
      const br = outDirs[c], s = qSite[j], rem = q[4 * j + 2];
      let t = 0;
      for (; t < na; t++) {
        if (arS[t] === s && (arB[t] === br || angleDiff(arB[t], br) < 1e-9)) { if (rem < arD[t]) arD[t] = rem; break; }
      }
      if (t === na) { arB[na] = br; arS[na] = s; arD[na] = rem; na++; }
    }
    // by bearing, then distance; stable
    for (let i = 1; i < na; i++) {
      const xb = arB[i], xd = arD[i], xs = arS[i];
      let j = i - 1;
      for (; j >= 0; j--) {
        if (!((arB[j] - xb || arD[j] - xd) > 0)) break;
        arB[j + 1] = arB[j]; arD[j + 1] = arD[j]; arS[j + 1] = arS[j];
      }
      arB[j + 1] = xb; arD[j + 1] = xd; arS[j + 1] = xs;
    }
    let main = 0;
    for (let c = 1; c < nIn; c++) if (inWeight[c] > inWeight[main]) main = c;
    const facing = nIn > 0 ? inDirs[main] : nOut > 0 ? outDirs[0] : NaN;
    let note = NOTE_TURN;
    if (junction) {
      const key = nIn * 65536 + nOut;
      note = this.junctionNotes.get(key) ?? -1;
      if (note < 0) { note = this.notes.push(`${KIND_ZH.junction}：${nIn} 个来向、${nOut} 个去向`) - 1; this.junctionNotes.set(key, note); }
    }
    const si = this.newSign(junction ? K_JUNCTION : K_TURN, v, -1, b - a, note);
    this.w.sLon[si] = g.lon[v]; this.w.sLat[si] = g.lat[v]; this.w.sFacing[si] = facing; this.w.sPeople[si] = ppl;
    if (nIn > 1) {
      const l = this.newApproaches(si);
      for (let c = 0; c < nIn; c++) if (c !== main) this.pushApproach(l, inDirs[c]);
    }
    for (let t = 0; t < na; t++) { this.argBearing = arB[t]; this.argDist = arD[t]; this.pushArrow(si, arS[t]); }
    this.nodeSign[v] = si;
  }

  pushRouteSign(i: number): void {
    const w = this.w;
    if (this.nRouteSigns === w.routeSigns.length) { const t = lasting.i32(w.routeSigns.length * 2); t.set(w.routeSigns); w.routeSigns = t; }
    w.routeSigns[this.nRouteSigns++] = i;
  }

  /** pass 3 for route r: exit / spacing / overview signs and the route's sign list in walking order */
  routeSignsOf(r: number): void {
    const { src, pNode, nodeSign, w } = this;
    this.routeSignStart[r] = this.nRouteSigns;
    const bi = src.building[r], s = src.site[r], ppl = src.people[r], lengthM = src.length[r];
    // exit sign at the door
    let ei = this.exitSign[bi];
    if (ei < 0) ei = this.exitSignOf(r, bi);
    w.sRoutes[ei]++; w.sPeople[ei] += ppl;
    this.argBearing = this.routeStartBearing[r]; this.argDist = lengthM;
    this.addArrow(ei, s);
    this.pushRouteSign(ei);

    // walk the anchors (start, signed nodes, end) and fill long gaps with spacing signs
    const first = this.routeFirst[r], last = this.routeFirst[r + 1];
    const N = this.g.nodeCount, M = this.M, spacingM = this.spacingM;
    let aQ = -1, aRem = lengthM, aKey = -(1 + bi * M + (last > first ? pNode[first] : N + s));
    this.loadedRoute = -1;
    for (let q = first; q <= last; q++) {
      const isEnd = q === last;
      if (!isEnd && nodeSign[pNode[q]] < 0) continue;
      const bRem = isEnd ? 0 : this.pRem[q];
      // the gap is measured in network metres (the input's lengths); positions are placed at the same fraction of
      // the polyline's length, so routes sharing a stretch from the same anchor place their signs at the same points
      const gap = aRem - bRem;
      if (spacingM > 0 && gap > spacingM * (1 + 1e-9)) {
        const aCum = aQ < 0 ? 0 : this.pCum[aQ], bCum = isEnd ? this.routeGeomLen[r] : this.pCum[q];
        this.spacing(r, aKey, aCum, aRem, gap, bCum - aCum);
      }
      if (isEnd) break;
      this.pushRouteSign(nodeSign[pNode[q]]);
      aQ = q; aRem = bRem;
      aKey = pNode[q] * M + (q + 1 < last ? pNode[q + 1] : N + s);
    }
    this.overviewOf(r);
  }

  exitSignOf(r: number, bi: number): number {
    const { src, bsrc, door } = this;
    const { proj } = this.g;
    const startBearing = this.routeStartBearing[r];
    const pt = this.pt;
    src.start(r, pt);
    bsrc.door(bi, pt, door);
    const sx = pt[0], sy = pt[1];
    const dx = (sx - door[0]) * proj.kx, dy = (sy - door[1]) * proj.ky;
    const facing = farther(dx, dy, 0.5) ? bearingOf(dx, dy) : startBearing;
    const facts = this.facts;
    bsrc.read(bi, facts);
    const name = facts.name;
    this.exitBuilding.push(bi); this.exitIds.push(facts.id); this.exitLevels.push(facts.levels); this.exitWells.push(facts.stairwells);
    // a named building's note is made with its sign object (a string per building otherwise: ~10 MB in a city plan)
    this.exitNames.push(name || null);
    const ei = this.newSign(K_EXIT, -1, bi, 0, name ? NOTE_EXIT_NAMED : NOTE_EXIT);
    this.w.sLon[ei] = door[0]; this.w.sLat[ei] = door[1]; this.w.sFacing[ei] = facing;
    this.exitSign[bi] = ei;
    return ei;
  }

  /**
   * Spacing signs along one gap of route r. A stretch already signed from the same anchor towards the same next node
   * reuses its signs; only a new sign needs the route's polyline (loaded once per route, on demand).
   */
  spacing(r: number, aKey: number, aCum: number, aRem: number, gap: number, geo: number): void {
    const { sc, spacingM, w } = this;
    const { proj } = this.g;
    const s = this.src.site[r], ppl = this.src.people[r];
    const n = Math.ceil(gap / spacingM - 1e-9) - 1;
    let list = this.spacingSigns.get(aKey);
    if (!list) { list = []; this.spacingSigns.set(aKey, list); }
    let vi = 0;
    for (let j = 1; j <= n; j++) {
      const rem = aRem - j * spacingM;
      let si = list[j - 1];
      if (si === undefined) {
        if (this.loadedRoute !== r) { this.src.load(r, sc, false); this.loadedRoute = r; }
        const { xs, ys, cum, k } = sc;
        // the scan only moves forwards as `at` grows with j, so skipping reused j's finds the same vertex
        const at = aCum + (geo * j * spacingM) / gap;
        while (vi < k - 2 && cum[vi + 1] < at) vi++;
        const seg = cum[vi + 1] - cum[vi];
        const t = seg > 0 ? Math.min(1, Math.max(0, (at - cum[vi]) / seg)) : 0;
        const px = xs[vi] + (xs[vi + 1] - xs[vi]) * t, py = ys[vi] + (ys[vi + 1] - ys[vi]) * t;
        const br = bearingOf(xs[vi + 1] - xs[vi], ys[vi + 1] - ys[vi]);
        si = this.newSign(K_SPACING, -1, -1, 0, NOTE_SPACING);
        this.w.sLon[si] = proj.lon0 + px / proj.kx; this.w.sLat[si] = proj.lat0 + py / proj.ky; this.w.sFacing[si] = br;
        list[j - 1] = si;
      }
      w.sRoutes[si]++; w.sPeople[si] += ppl;
      this.argBearing = w.sFacing[si]; this.argDist = rem;
      this.addArrow(si, s);
      this.pushRouteSign(si);
    }
  }

  /** the overview board at route r's site entrance (one per used entrance) */
  overviewOf(r: number): void {
    const { src, tol, w } = this;
    const { proj } = this.g;
    const s = src.site[r];
    const endBearing = this.routeEndBearing[r];
    const pt = this.pt;
    src.end(r, pt);
    const endLon = pt[0], endLat = pt[1];
    const ov = this.overviewSign[s] ?? (this.overviewSign[s] = []);
    let oi = -1;
    for (let j = 0; j < ov.length; j += 3) {
      if (Math.abs(ov[j] - endLon) < 1e-7 && Math.abs(ov[j + 1] - endLat) < 1e-7) { oi = ov[j + 2]; break; }
    }
    if (oi < 0) {
      const site = this.sites[s];
      let into = endBearing;
      if (site?.point) {
        const dx = (site.point[0] - endLon) * proj.kx, dy = (site.point[1] - endLat) * proj.ky;
        if (farther(dx, dy, 1)) into = bearingOf(dx, dy);
      }
      let note = this.overviewNote[s];
      if (note < 0) note = this.overviewNote[s] = this.notes.push(`${KIND_ZH.overview}：${this.siteName(s)} 入口`) - 1;
      oi = this.newSign(K_OVERVIEW, -1, -1, 0, note);
      this.w.sLon[oi] = endLon; this.w.sLat[oi] = endLat; this.w.sFacing[oi] = endBearing;
      ov.push(endLon, endLat, oi);
      this.newApproaches(oi);
      this.argBearing = into; this.argDist = 0;
      this.pushArrow(oi, s);
    } else {
      const facing = w.sFacing[oi];
      if (facing === facing && endBearing === endBearing && angleDiff(facing, endBearing) > tol) {
        const l = w.sApp[oi];
        let e = w.apHead[l];
        while (e >= 0 && !(angleDiff(w.apVal[e], endBearing) <= tol)) e = w.apNext[e];
        if (e < 0) this.pushApproach(l, endBearing);
      }
    }
    w.sRoutes[oi]++; w.sPeople[oi] += src.people[r];
    this.pushRouteSign(oi);
  }

  /** the result: the signs as columns copied out of the workspace (the next call on this graph reuses it), objects on first read */
  finish(): SignResult {
    const { w, take } = this;
    const n = this.nSigns;
    // the result's columns come from `take` (a plan's recycled spares) and are filled here, every element
    const copy = <A extends Float64Array | Int32Array | Uint8Array>(from: A, type: 'f64' | 'i32' | 'u8', len = n): A => {
      const a = take(type, len) as A;
      a.set(from.subarray(0, len) as never);
      return a;
    };
    const arrowStart = take('i32', n + 1);
    arrowStart[0] = 0;
    for (let i = 0; i < n; i++) arrowStart[i + 1] = arrowStart[i] + w.sArrows[i];
    const A = arrowStart[n];
    const arrowBearing = take('f64', A), arrowSite = take('i32', A), arrowDist = take('f64', A);
    for (let i = 0; i < n; i++) {
      for (let t = w.sHead[i], k = arrowStart[i]; t >= 0; t = w.aNext[t], k++) { arrowBearing[k] = w.aBearing[t]; arrowSite[k] = w.aSite[t]; arrowDist[k] = w.aDist[t]; }
    }
    // the site labels the arrows use, made now (the builder's lazily made list is not kept)
    const siteIds = new Map<number, number>(), siteNames = new Map<number, string>();
    for (let k = 0; k < A; k++) {
      const site = arrowSite[k];
      if (!siteNames.has(site)) { siteIds.set(site, this.siteId(site)); siteNames.set(site, this.siteName(site)); }
    }
    // the approach lists as CSR (list l: appVal[appStart[l] .. appStart[l+1]-1], in the order they were added)
    const L = this.nApp, appStart = take('i32', L + 1), appVal = take('f64', this.nAppEntries);
    appStart[0] = 0;
    for (let l = 0, k = 0; l < L; l++) {
      for (let e = w.apHead[l]; e >= 0; e = w.apNext[e]) appVal[k++] = w.apVal[e];
      appStart[l + 1] = k;
    }
    const nExits = this.stairwellsOn ? this.exitBuilding.length : 0;
    const cols: SignColumns = {
      n, kind: copy(w.sKind, 'u8'), lon: copy(w.sLon, 'f64'), lat: copy(w.sLat, 'f64'), facing: copy(w.sFacing, 'f64'),
      node: copy(w.sNode, 'i32'), building: copy(w.sBuilding, 'i32'), routes: copy(w.sRoutes, 'i32'), people: copy(w.sPeople, 'f64'),
      app: copy(w.sApp, 'i32'), note: copy(w.sNote, 'i32'), notes: this.notes, appStart, appVal,
      arrowStart, arrowBearing, arrowSite, arrowDist, siteIds, siteNames,
      exits: {
        building: this.exitBuilding.slice(0, nExits), sign: Int32Array.from(this.exitBuilding.slice(0, nExits), (b) => this.exitSign[b]),
        ids: this.exitIds, names: this.exitNames, levels: this.exitLevels, wells: this.exitWells,
      },
      perFloor: this.perFloor,
    };
    const seq = [0, 0, 0, 0, 0, 0];
    for (let i = 0; i < n; i++) seq[cols.kind[i]]++;
    let landings = 0;
    for (let x = 0; x < nExits; x++) landings += Math.max(1, Math.round(this.exitLevels[x] ?? 1)) * Math.max(1, Math.round(this.exitWells[x] ?? 1));
    const counts: Record<SignKind, number> = {
      junction: seq[K_JUNCTION], turn: seq[K_TURN], exit: seq[K_EXIT], stairwell: landings, overview: seq[K_OVERVIEW], spacing: seq[K_SPACING],
    };
    // junction and turn signs at graph nodes, in output order: what the guides read (no sign objects needed)
    let nj = 0;
    for (let i = 0; i < n; i++) if ((cols.kind[i] === K_JUNCTION || cols.kind[i] === K_TURN) && cols.node[i] >= 0) nj++;
    const nodeSigns = { count: nj, nodeIndex: take('i32', nj), lon: take('f64', nj), lat: take('f64', nj), people: take('f64', nj) };
    for (let i = 0, j = 0; i < n; i++) {
      if (!((cols.kind[i] === K_JUNCTION || cols.kind[i] === K_TURN) && cols.node[i] >= 0)) continue;
      nodeSigns.nodeIndex[j] = cols.node[i]; nodeSigns.lon[j] = cols.lon[i]; nodeSigns.lat[j] = cols.lat[i]; nodeSigns.people[j] = cols.people[i]; j++;
    }
    // The sign objects (a city: ~520k signs and as many arrows, ~200 MB) and the CSV are made on first read: a plan's
    // own stages read columns, and only exports and the saved layers need the objects.
    let signs: Sign[] | null = null, csv: string | null = null;
    const bom = this.options.csvBom === true;
    return {
      get signs(): Sign[] { return (signs ??= signObjects(cols)); },
      get schedule(): string { return (csv ??= signScheduleCsv(this.signs, bom)); },
      routeSignStart: this.routeSignStart,
      routeSignIndex: copy(w.routeSigns, 'i32', this.nRouteSigns),
      counts,
      nodeSigns,
    };
  }
}

/** A sign result's columns: node and route signs (per sign i < n), their arrows (CSR), the exits' stairwell facts. */
interface SignColumns {
  n: number;
  kind: Uint8Array; lon: Float64Array; lat: Float64Array; facing: Float64Array; node: Int32Array; building: Int32Array;
  routes: Int32Array; people: Float64Array; app: Int32Array; note: Int32Array;
  notes: string[];
  /** approach list l (SignColumns.app): appVal[appStart[l] .. appStart[l+1]-1] */
  appStart: Int32Array; appVal: Float64Array;
  arrowStart: Int32Array; arrowBearing: Float64Array; arrowSite: Int32Array; arrowDist: Float64Array;
  siteIds: Map<number, number>; siteNames: Map<number, string>;
  /** per exit sign, in output order: its building, its sign index and that building's facts */
  exits: { building: number[]; sign: Int32Array; ids: (number | null)[]; names: (string | null)[]; levels: number[]; wells: number[] };
  perFloor: boolean;
}

/** Approach list l as an array (a sign's own). */
function approachesOf(c: SignColumns, l: number): number[] {
  const out: number[] = new Array(c.appStart[l + 1] - c.appStart[l]); // not a literal: see arrowsOf
  for (let k = c.appStart[l], j = 0; k < c.appStart[l + 1]; k++, j++) out[j] = c.appVal[k];
  return out;
}

/** Sign i's arrows as objects; `down` gives the stairwell copy (bearing null). `new Array(n)` filled in place, not a
 *  literal: like object literals (see SignObject), array literals of objects get pretenured. */
function arrowsOf(c: SignColumns, i: number, down: boolean): SignArrow[] {
  const out: SignArrow[] = new Array(c.arrowStart[i + 1] - c.arrowStart[i]);
  for (let k = c.arrowStart[i], j = 0; k < c.arrowStart[i + 1]; k++, j++) {
    const bearing = down ? NaN : c.arrowBearing[k], site = c.arrowSite[k];
    out[j] = new ArrowObject(bearing === bearing ? bearing : null, site, c.siteIds.get(site)!, c.siteNames.get(site)!, c.arrowDist[k]);
  }
  return out;
}

/** The Sign objects in output order (node signs, then route signs, then stairwell landings), with their ids. */
function signObjects(c: SignColumns): Sign[] {
  const { exits, perFloor } = c;
  const nExits = exits.building.length;
  let total = c.n;
  for (let x = 0; x < nExits; x++) {
    total += Math.max(1, Math.round(exits.wells[x] ?? 1)) * (perFloor ? Math.max(1, Math.round(exits.levels[x] ?? 1)) : 1);
  }
  const signs: Sign[] = new Array(total);
  let ns = 0;
  const seq = [0, 0, 0, 0, 0, 0];
  let x = 0; // exits so far
  for (let i = 0; i < c.n; i++) {
    const kind = c.kind[i], facing = c.facing[i], app = c.app[i], note = c.note[i];
    const xi = kind === K_EXIT ? x++ : -1;
    signs[ns++] = new SignObject(KIND_ID_PREFIX[kind] + ++seq[kind], KINDS[kind], c.lon[i], c.lat[i], facing === facing ? facing : null,
      app < 0 ? EMPTY : approachesOf(c, app), arrowsOf(c, i, false), c.node[i], c.building[i], xi >= 0 ? exits.ids[xi] : null, null, 1,
      c.routes[i], c.people[i], note === NOTE_EXIT_NAMED ? EXIT_NOTE_HEAD + exits.names[xi] + EXIT_NOTE_NAMED_TAIL : c.notes[note]);
  }
  // stairwell landings: floors × stairwells per assigned building, position = the door
  const wellNotes: string[] = [];
  for (let x = 0; x < nExits; x++) {
    const bi = exits.building[x], ei = exits.sign[x];
    const floors = Math.max(1, Math.round(exits.levels[x] ?? 1));
    const wells = Math.max(1, Math.round(exits.wells[x] ?? 1));
    const id = exits.ids[x];
    const lon = c.lon[ei], lat = c.lat[ei], routes = c.routes[ei], people = c.people[ei];
    // one arrow list per building, shared by its landings (outputs are read-only)
    const arrows = arrowsOf(c, ei, true);
    for (let wl = 1; wl <= wells; wl++) {
      const note = wellNotes[wells > 1 ? wl : 0] ??= `${KIND_ZH.stairwell}：${wells > 1 ? `${wl} 号楼梯，` : ''}每层平台，下楼出楼门后前往疏散场所`;
      if (!perFloor) {
        signs[ns++] = new SignObject(KIND_ID_PREFIX[K_STAIRWELL] + ++seq[K_STAIRWELL], 'stairwell', lon, lat, null, EMPTY, arrows, -1, bi, id, null,
          floors, routes, people, note);
      } else {
        for (let f = 1; f <= floors; f++) {
          signs[ns++] = new SignObject(KIND_ID_PREFIX[K_STAIRWELL] + ++seq[K_STAIRWELL], 'stairwell', lon, lat, null, EMPTY, arrows, -1, bi, id, f,
            1, routes, people, note);
        }
      }
    }
  }
  return signs;
}
const KIND_ID_PREFIX = KINDS.map((k) => KIND_PREFIX[k] + '-');

// The output objects (a city plan: ~520k signs, as many arrows) come from constructors, not object literals. V8 keeps
// an allocation site per literal and, as the signs survive, soon "pretenures" it: every sign and arrow is then
// allocated straight into the old generation, ~10× dearer than the young generation's bump allocation (Monaco: finish
// 20 ms → 2 ms per plan). `new` has no allocation site. With Object.prototype as the prototype, these are the same
// plain objects as the literals were: same prototype and constructor (Object), the same own properties in the same
// order, all writable, enumerable and configurable.
/** new SignObject(...) = { id, kind, lon, lat, facing, approaches, arrows, nodeIndex, buildingIndex, buildingId, floor, floors, routes, people, note } */
const SignObject = function (this: Sign, id: string, kind: SignKind, lon: number, lat: number, facing: number | null, approaches: number[],
  arrows: SignArrow[], nodeIndex: number, buildingIndex: number, buildingId: number | null, floor: number | null, floors: number, routes: number,
  people: number, note: string) {
  this.id = id; this.kind = kind; this.lon = lon; this.lat = lat; this.facing = facing; this.approaches = approaches; this.arrows = arrows;
  this.nodeIndex = nodeIndex; this.buildingIndex = buildingIndex; this.buildingId = buildingId; this.floor = floor; this.floors = floors;
  this.routes = routes; this.people = people; this.note = note;
} as unknown as new (id: string, kind: SignKind, lon: number, lat: number, facing: number | null, approaches: number[], arrows: SignArrow[],
  nodeIndex: number, buildingIndex: number, buildingId: number | null, floor: number | null, floors: number, routes: number, people: number,
  note: string) => Sign;
SignObject.prototype = Object.prototype;
/** new ArrowObject(...) = { bearing, siteIndex, siteId, siteName, distanceM } */
const ArrowObject = function (this: SignArrow, bearing: number | null, siteIndex: number, siteId: number, siteName: string, distanceM: number) {
  this.bearing = bearing; this.siteIndex = siteIndex; this.siteId = siteId; this.siteName = siteName; this.distanceM = distanceM;
} as unknown as new (bearing: number | null, siteIndex: number, siteId: number, siteName: string, distanceM: number) => SignArrow;
ArrowObject.prototype = Object.prototype;

// The vertex a bearing leaving vertex i forwards / arriving at vertex i from behind is measured to / from: the first
// one more than MIN_SEG_M away along the polyline (−1 when the polyline ends first).
function outIndex(cum: Float64Array, i: number, k: number): number {
  for (let j = i + 1; j < k; j++) if (cum[j] - cum[i] > MIN_SEG_M) return j;
  return -1;
}
function inIndex(cum: Float64Array, i: number): number {
  for (let j = i - 1; j >= 0; j--) if (cum[i] - cum[j] > MIN_SEG_M) return j;
  return -1;
}
const TURN_NOTE = `${KIND_ZH.turn}：转向`;
// indexes of the shared notes in SignBuilder.notes
const NOTE_TURN = 0, NOTE_EXIT = 1, NOTE_SPACING = 2;
/** an exit sign's note made from its building's name (SignColumns.exits.names) */
const NOTE_EXIT_NAMED = -2;
const EXIT_NOTE_TAIL = '出楼门后按箭头前往疏散场所';
const EXIT_NOTE_HEAD = `${KIND_ZH.exit}：`;
const EXIT_NOTE = EXIT_NOTE_HEAD + EXIT_NOTE_TAIL;
/** after a building's name: `${EXIT_NOTE_HEAD}${name} ${EXIT_NOTE_TAIL}` in two concatenations */
const EXIT_NOTE_NAMED_TAIL = ` ${EXIT_NOTE_TAIL}`;

/** A site's name on signs: its name, else "疏散场所 <id>" (<index> for a missing site). */
function siteLabel(site: SignSite | undefined, s: number): string {
  return site?.name && site.name.trim() ? site.name : `疏散场所 ${site ? site.id : s}`;
}

/** The shortest edge joining nodes u and v (prefers open edges), or −1. */
export function edgeBetween(g: Graph, u: number, v: number): number {
  let best = -1, bestLen = Infinity, bestClosed = true;
  for (let k = g.adjStart[u], end = g.adjStart[u + 1]; k < end; k++) {
    if (g.adjNode[k] !== v) continue;
    const e = g.adjEdge[k];
    const closed = g.closed[e] === 1;
    if ((bestClosed && !closed) || (closed === bestClosed && g.adjLen[k] < bestLen)) { best = e; bestLen = g.adjLen[k]; bestClosed = closed; }
  }
  return best;
}

/** Math.hypot(dx, dy) > d, without the call (which returns a fresh heap number) unless the squares are too close to tell. */
function farther(dx: number, dy: number, d: number): boolean {
  const q = dx * dx + dy * dy, d2 = d * d;
  if (q > d2 * (1 + 1e-9)) return true;
  if (q < d2 * (1 - 1e-9)) return false;
  return Math.hypot(dx, dy) > d;
}

/** Index of the direction in `dirs` within `tol` degrees of `b`, appending `b` as a new direction when none is. */
function cluster(dirs: Float64Array, n: number, b: number, tol: number): number {
  for (let c = 0; c < n; c++) if (angleDiff(dirs[c], b) <= tol) return c;
  return n;
}

/** The building's door: given, else the footprint point nearest `towards`, else its point, else `towards`. */
function doorPoint(b: SignBuilding | undefined, towards: [number, number]): [number, number] {
  if (!b) return towards;
  if (b.door) return b.door;
  const ring = b.ring;
  if (ring && ring.length >= 4) {
    // nearest point on the ring, in a local equirectangular frame around `towards`
    const kx = Math.cos((towards[1] * Math.PI) / 180);
    let best = Infinity, bx = towards[0], by = towards[1];
    const n = ring.length >> 1;
    for (let i = 0; i < n; i++) {
      const j = (i + 1) % n;
      const ax = (ring[2 * i] - towards[0]) * kx, ay = ring[2 * i + 1] - towards[1];
      const cx = (ring[2 * j] - towards[0]) * kx, cy = ring[2 * j + 1] - towards[1];
      const dx = cx - ax, dy = cy - ay;
      const L = dx * dx + dy * dy;
      const t = L > 0 ? Math.min(1, Math.max(0, -(ax * dx + ay * dy) / L)) : 0;
      const px = ax + dx * t, py = ay + dy * t;
      const d = px * px + py * py;
      if (d < best) { best = d; bx = towards[0] + px / kx; by = towards[1] + py; }
    }
    return [bx, by];
  }
  return b.point ?? towards;
}

// ---- the sign schedule (CSV) -----------------------------------------------------------------------------------------

export const SIGN_CSV_HEADER = ['id', 'kind', 'lon', 'lat', 'facing', 'arrows', 'targets', 'distance_m', 'building', 'floor', 'note'] as const;

/**
 * CSV for installation crews: UTF-8, one header row, one row per sign — a stairwell sign standing for several
 * landings gets one row per landing (id `<sign id>-<floor>`, floor 1 … floors). Multi-valued columns (arrows, targets,
 * distance_m) list one entry per arrow, separated by ';', in the same order. Arrow bearings are whole degrees from
 * north, clockwise; "down" on stairwell signs. Text cells are quoted when needed and guarded against spreadsheet
 * formula injection (a leading = + - @ gets a ').
 */
export function signScheduleCsv(signs: Sign[], bom = false): string {
  let out = (bom ? '\uFEFF' : '') + SIGN_CSV_HEADER.join(',') + '\r\n';
  let lastArrows: SignArrow[] | null = null, arrowCells = '';
  for (const s of signs) {
    if (s.arrows !== lastArrows) { // stairwell landings share one arrow list: format it once
      lastArrows = s.arrows;
      let b = '', t = '', d = '';
      for (let i = 0; i < s.arrows.length; i++) {
        const a = s.arrows[i];
        const sep = i > 0 ? ';' : '';
        b += sep + (a.bearing === null ? 'down' : String(Math.round(a.bearing) % 360));
        t += sep + a.siteName.replace(/;/g, '；');
        d += sep + String(Math.round(a.distanceM));
      }
      arrowCells = b + ',' + csvText(t) + ',' + d;
    }
    const mid = ',' + s.kind + ',' + s.lon.toFixed(7) + ',' + s.lat.toFixed(7) + ','
      + (s.facing === null ? '' : String(Math.round(s.facing) % 360)) + ',' + arrowCells + ','
      + (s.buildingId === null ? '' : String(s.buildingId)) + ',';
    const note = ',' + csvText(s.note) + '\r\n';
    if (s.kind === 'stairwell' && s.floor === null) {
      for (let f = 1; f <= s.floors; f++) out += s.id + '-' + f + mid + f + note;
    } else {
      out += s.id + mid + (s.floor === null ? '' : String(s.floor)) + note;
    }
  }
  return out;
}

function csvText(v: string): string {
  let t = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  if (/[",\r\n]/.test(t)) t = `"${t.replace(/"/g, '""')}"`;
  return t;
}
