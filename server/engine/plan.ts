/**
 * runPlan: the whole planning engine for one hazard.
 *
 *   graph → snap (buildings, site entrances) → candidates (bounded k-nearest per level and zone group) → nearest site
 *   (one multi-source Dijkstra: the candidate search's, carried on beyond its bound when it has every site) →
 *   capacity-aware assignment → routes, flows, clearance → signs / guides (hooks filled by their own modules) →
 *   coverage, criticality, where to add capacity.
 *
 * Pure: no I/O. Big per-building outputs are typed arrays (columnar, indexed by building index = position in
 * input.buildings); use `buildingRows` / `routeCoords` to materialise objects for APIs and files.
 */
import { z } from 'zod';
import { buildGraph, type Graph } from './graph.ts';
import { allEntrances, buildSegmentIndex, entrancesAfterClosures, pointInRing, snapBuildings, type BuildingSnaps, type SegmentIndex } from './snap.ts';
import {
  candidatesForSnap, indexEntrancesByEdge, kNearestSearch, nearestForSnap, nearestFromLabels, nearestSearch, pathFromLabels, PointSearcher,
  SearchWorkspace,
  type EntranceEdgeIndex, type KLabels, type NearestTree,
} from './dijkstra.ts';
import { assign, EXACT_WORK, minCostFlowSites, type AssignProblem, type AssignResult } from './assign.ts';
import { flowsAndClearance, routeCoords, type FlowResult, type RouteTable } from './routes.ts';
import { computeCoverage, type CoverageResult } from './coverage.ts';
import { buildingsByCommunity, siteIndexById as siteIndexOf } from './columns.ts';
import { freshView, lasting, Spares, stageBuffersOf, viewsOf, type Column, type TakeColumn, type TakeView } from './alloc.ts';
import { toEdgeColumns } from './edges.ts';
import type { EngineBuilding, EngineInput, Entrance, Hazard, SiteLevel, UnplacedReason } from './types.ts';
import { HAZARDS } from './types.ts';

export const PlanOptionsSchema = z.object({
  hazard: z.enum(HAZARDS as unknown as [Hazard, ...Hazard[]]).default('earthquake'),
  /** Service radius per level, network metres: emergency 500 m, fixed 2,500 m (GB 50413-2007 §8.2.10; DOMAIN.md). */
  reachM: z.object({ emergency: z.number().positive().default(500), fixed: z.number().positive().default(2500) }).prefault({}),
  /** Walking speeds m/s: 1.0 general, 0.5 vulnerable (Miyagi tsunami guideline; DOMAIN.md). */
  walkSpeedMps: z.object({ normal: z.number().positive().default(1.0), vulnerable: z.number().positive().default(0.5) }).prefault({}),
  /** Door/entrance → path snap limit (m). Engineering default: beyond ~250 m the OSM path network is missing. */
  maxSnapM: z.number().positive().default(250),
  /** Sites kept per building and level as assignment candidates (bounded k-nearest search). */
  candidatesPerLevel: z.number().int().min(1).max(32).default(6),
  /** Persons per metre of width per second (SFPE maximum specific flow; an assumption, see routes.ts). */
  flowCapacity: z.number().positive().default(1.3),
  widthByHighway: z.record(z.string(), z.number().positive()).optional(),
  localSearchPasses: z.number().int().min(0).max(100).default(8),
  /** Budget (Σ candidate arcs) for solving overloaded components exactly (site-graph min-cost flow + rounding),
   *  smallest first; larger ones use regret greedy + local search. */
  exactWork: z.number().min(0).default(EXACT_WORK),
  /** Compute the split (min-cost flow) lower bound when the whole problem is at most this many buildings. */
  lowerBoundMaxBuildings: z.number().int().min(0).default(0),
  /** Restrict the plan to these communities' buildings (what-if of one community). */
  communityIds: z.array(z.number()).nullable().default(null),
  /** Extra people already at each site (by site id), e.g. other communities' baseline loads in a what-if. */
  siteBaseLoad: z.custom<Record<string, number>>(isLoadRecord, { message: 'expected an object of site id → people already there (numbers ≥ 0)' }).optional(),
  closedEdgeIds: z.array(z.number()).default([]),
  closedSiteIds: z.array(z.number()).default([]),
  /**
   * How nearest sites and candidates are found: 'multi' = one multi-source search per site set over the whole graph;
   * 'point' = one bounded search per building (cost ∝ the buildings planned, not the graph); 'auto' = 'point' for a
   * plan restricted to communities whose buildings are few next to the graph's nodes (POINT_SEARCH_NODES_PER_BUILDING).
   */
  searchMode: z.enum(['auto', 'multi', 'point']).default('auto'),
});
/**
 * { siteId: people ≥ 0 }, checked in one loop: a what-if of one community passes every other site's load (~20 k sites in
 * a city), and a per-entry schema spent ~50 ms on them.
 */
function isLoadRecord(v: unknown): boolean {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  for (const k in v) {
    const x = (v as Record<string, unknown>)[k];
    if (typeof x !== 'number' || !(x >= 0) || x === Infinity) return false;
  }
  return true;
}
export type PlanOptionsInput = z.input<typeof PlanOptionsSchema>;
export type PlanOptions = z.output<typeof PlanOptionsSchema>;

/**
 * 'auto' searches point by point when the graph has at least this many nodes per planned building: a building's three
 * bounded searches (nearest site; candidates per level, the widest 2.5 km) explore a few thousand nodes of a dense
 * city, while the multi-source searches (and their search graph, rebuilt for closures) touch every node.
 */
export const POINT_SEARCH_NODES_PER_BUILDING = 100;

export const REASON_CODES: (UnplacedReason | null)[] = [null, 'no_site_in_reach', 'all_full', 'unreachable'];

/** Reusable, input-derived state (graph + spatial index): what-if runs share it. Not serialisable. */
export interface PlanContext {
  input: EngineInput;
  graph: Graph;
  index: SegmentIndex;
  /** baseline building snaps on the open graph (reused when no edge is closed) */
  baseSnaps: BuildingSnaps | null;
  baseSnapMax: number;
  /** baseline site entrances on the open graph (reused when no edge is closed), for `baseEntrancesMax` */
  baseEntrances?: Entrance[] | null;
  baseEntrancesMax?: number;
  widthKey: string;
  /** memory plans reuse (search graphs, label arrays, candidate scratch); made by the first plan */
  reuse?: PlanReuse;
}

/**
 * Memory reused from plan to plan of one context: search workspaces (search graph, recycled label arrays) for plans on
 * the open graph and for plans with closures, and the candidate scratch. Every plan recycles it first: nothing in it
 * outlives the plan that used it (plans are synchronous, one at a time).
 */
class PlanReuse {
  open = new SearchWorkspace();
  closed = new SearchWorkspace();
  cSite: Int32Array = new Int32Array(0);
  cDist: Float64Array = new Float64Array(0);
  cVia: Int32Array = new Int32Array(0);
  cLab: Int32Array = new Int32Array(0);
  points: PointSearcher | null = null;
  pointIndex: EntranceEdgeIndex | undefined;
  /** columns of recycled plans (`recyclePlan`) and plans' temporary columns, for the next plan to refill */
  spares = new Spares();
  /** The workspace for a plan on the open graph or with closures, recycled. */
  searches(open: boolean): SearchWorkspace {
    const ws = open ? this.open : this.closed;
    ws.recycle();
    return ws;
  }
  /** The point searcher for graph g (closures are read at each search) and an index of the active entrances by edge. */
  pointSearch(g: Graph, nS: number, entrances: Entrance[], active: number[]): { ps: PointSearcher; byEdge: EntranceEdgeIndex } {
    if (!this.points || !this.points.fits(g, nS)) this.points = new PointSearcher(g, nS);
    this.pointIndex = indexEntrancesByEdge(g.edgeCount, entrances, active, this.pointIndex);
    return { ps: this.points, byEdge: this.pointIndex };
  }
  /** the route steps' scratch (a plan copies its steps out of it): room for n, the first `keep` kept */
  private stepBuf: Int32Array = new Int32Array(0);
  steps(n: number, keep = 0): Int32Array {
    if (this.stepBuf.length < n) {
      const a = lasting.i32(Math.max(1024, Math.ceil(n * 1.25)));
      a.set(this.stepBuf.subarray(0, keep));
      this.stepBuf = a;
    }
    return this.stepBuf;
  }
  /** Candidate scratch for n candidates. */
  candidates(n: number): this {
    if (this.cSite.length < n) { this.cSite = lasting.i32(n); this.cDist = lasting.f64(n); this.cVia = lasting.i32(n); this.cLab = lasting.i32(n); }
    return this;
  }
}

/**
 * The walking graph and segment index for `input`. With a `previous` context whose network is the same (nodes and
 * edges equal, same widths), its graph, index and reused memory are kept, and its building snaps too when the
 * buildings' footprints are the same: the server makes a context per data version, and most edits (sites, zones,
 * capacities, people) leave roads and buildings alone — a city's graph and index take ~1.2 s, its first snap ~0.8 s.
 */
export function prepareContext(
  input: EngineInput, opts: { widthByHighway?: Record<string, number> } = {}, previous?: PlanContext | null,
): PlanContext {
  const widthKey = JSON.stringify(opts.widthByHighway ?? {});
  if (previous && previous.widthKey === widthKey && sameNetwork(previous.input, input)) {
    const same = sameFootprints(previous.input.buildings, input.buildings);
    return {
      input, graph: previous.graph, index: previous.index, baseSnaps: same ? previous.baseSnaps : null, baseSnapMax: same ? previous.baseSnapMax : -1,
      widthKey, reuse: previous.reuse,
    };
  }
  const graph = buildGraph(input, { widthByHighway: opts.widthByHighway });
  const index = buildSegmentIndex(graph);
  return { input, graph, index, baseSnaps: null, baseSnapMax: -1, widthKey };
}

/** Same values, element by element (NaN equal to NaN). */
function sameValues(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) { const x = a[i], y = b[i]; if (x !== y && (x === x || y === y)) return false; }
  return true;
}

/** Whether two inputs' walking networks are the same: nodes, and edges field by field (in either form). */
function sameNetwork(a: EngineInput, b: EngineInput): boolean {
  if (a === b) return true;
  if (!sameValues(a.nodes.ids, b.nodes.ids) || !sameValues(a.nodes.lon, b.nodes.lon) || !sameValues(a.nodes.lat, b.nodes.lat)) return false;
  const x = toEdgeColumns(a.edges), y = toEdgeColumns(b.edges);
  if (x.highways.length !== y.highways.length || x.highways.some((h, i) => h !== y.highways[i])) return false;
  return sameValues(x.id, y.id) && sameValues(x.source, y.source) && sameValues(x.target, y.target) && sameValues(x.lengthM, y.lengthM)
    && sameValues(x.highway, y.highway) && sameValues(x.widthM, y.widthM) && sameValues(x.coordStart, y.coordStart) && sameValues(x.coords, y.coords);
}

/** Whether two building lists have the same footprints (rings and points) in the same order: the same snaps. */
function sameFootprints(a: EngineBuilding[], b: EngineBuilding[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const p = a[i], q = b[i];
    if (!sameValues(p.ring ?? [], q.ring ?? [])) return false;
    const pp = p.point, qp = q.point;
    if ((pp == null) !== (qp == null) || (pp && qp && (pp[0] !== qp[0] || pp[1] !== qp[1]))) return false;
  }
  return true;
}

export interface SiteResult {
  index: number;
  id: number;
  name: string | null;
  level: SiteLevel;
  /** open, suits the hazard, not closed by the what-if, capacity > 0, and has an entrance */
  eligible: boolean;
  why: string | null;
  capacity: number;
  load: number;
  utilisation: number;
  buildings: number;
  entrances: number;
  clearanceS: number;
  clearanceVulnerableS: number;
  /** people whose only site within reach is this one (coverage lost if it closes) */
  coverageLost: number;
}

export interface PlanResult {
  hazard: Hazard;
  options: PlanOptions;
  /** buildings planned (after the community filter) */
  included: Uint8Array;
  buildings: {
    snapEdge: Int32Array;
    snapFraction: Float64Array;
    snapDistance: Float64Array;
    doorLon: Float64Array;
    doorLat: Float64Array;
    snapLon: Float64Array;
    snapLat: Float64Array;
    /** nearest eligible site by network distance regardless of reach/zones/capacity (-1 none) */
    nearestSite: Int32Array;
    nearestDistance: Float64Array;
    /** site of the building's largest part, -1 when nobody placed */
    site: Int32Array;
    distance: Float64Array;
    unplaced: Float64Array;
    /** index into REASON_CODES */
    reason: Uint8Array;
    split: Uint8Array;
    /** an eligible site (allowed by its zones) within reach */
    covered: Uint8Array;
    /** first zone index containing the door, -1 none */
    zone: Int32Array;
    partStart: Int32Array;
  };
  routes: RouteTable;
  flows: FlowResult;
  entrances: Entrance[];
  sites: SiteResult[];
  /**
   * People who could not be placed, per building (ascending), with the reason. Made on first read from the plan's
   * columns (6,831 in a plan of Monaco; its stages only need the totals); read it before the plan is recycled.
   */
  readonly unplaced: { building: number; id: number; people: number; reason: UnplacedReason }[];
  /** unplaced.length, without making the objects */
  unplacedCount: number;
  coverage: CoverageResult;
  totals: {
    buildings: number;
    population: number;
    sites: number;
    assignedPopulation: number;
    unplacedPopulation: number;
    personMetres: number;
    coveredPopulationShare: number;
    maxSiteUtilisation: number;
    splitBuildings: number;
  };
  /** the split relaxation's optimum (person-metres) and our gap to it, when computed */
  lowerBound: { cost: number; placed: number; gap: number } | null;
  assignStats: AssignResult['stats'];
  /** how nearest sites and candidates were found: one multi-source search per site set, or one search per building */
  search: 'multi' | 'point';
  /** the `assign` stage split into: nearest-site search, candidate (k-nearest) searches, the assignment itself */
  msDetail: { nearest: number; candidates: number; assign: number };
  /** Filled by the signage module through `hooks.signs` (null when not run). */
  signs: unknown | null;
  /** Filled by the guides module through `hooks.guides` (null when not run). */
  guides: unknown | null;
  ms: { graph: number; snap: number; assign: number; routes: number; signs: number; guides: number; coverage: number; total: number };
  /** not serialisable: the graph etc. for routeCoords, signs, guides and what-if */
  context: PlanContext;
}

export interface PlanHooks {
  signs?: (plan: PlanResult) => unknown;
  guides?: (plan: PlanResult) => unknown;
}

const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** Runs a plan. Pass a `context` (from prepareContext or a previous plan) to skip building the graph. */
export function runPlan(input: EngineInput, optionsIn: PlanOptionsInput = {}, hooks: PlanHooks = {}, context?: PlanContext): PlanResult {
  const t0 = now();
  const msDetail = { nearest: 0, candidates: 0, assign: 0 };
  const options = PlanOptionsSchema.parse(optionsIn);
  let ctx = context && context.input === input && context.widthKey === JSON.stringify(options.widthByHighway ?? {}) ? context : undefined;
  if (!ctx) ctx = prepareContext(input, { widthByHighway: options.widthByHighway });
  const g0 = ctx.graph;
  const reuse = (ctx.reuse ??= new PlanReuse());
  const spares = reuse.spares;
  /** the plan's own city-sized columns (what `recyclePlan` hands back), and its temporary ones (handed back at the end) */
  const owned: Column[] = [], temp: Column[] = [];
  const col: TakeColumn = (type, n, fill) => { const a = spares.take(type, n, fill); owned.push(a); return a; };
  const tmp: TakeColumn = (type, n, fill) => { const a = spares.take(type, n, fill); temp.push(a); return a; };
  /** the plan's own columns whose length varies from plan to plan (bucketed spares, contents unspecified) */
  const view = viewsOf(spares, owned);
  // closures (what-if) on a private copy of the flags
  let g: Graph = g0;
  if (options.closedEdgeIds.length > 0) {
    const closed = col('u8', g0.edgeCount, 0);
    for (const id of options.closedEdgeIds) {
      const e = g0.edgeIndexById.get(id);
      if (e === undefined) throw new Error(`plan: closed edge id ${id} is not in the graph`);
      closed[e] = 1;
    }
    g = { ...g0, closed };
  }
  const ix: SegmentIndex = g === g0 ? ctx.index : { ...ctx.index, g };
  const tGraph = now();

  const { buildings, sites, zones } = input;
  const nB = buildings.length, nS = sites.length;
  const included = col('u8', nB, 0);
  // (the plan's own: coverage's uncovered entries read it when they are made)
  const population = col('f64', nB, 0);
  const commSet = options.communityIds ? new Set(options.communityIds) : null;
  /** the planned buildings, ascending (loops over them stay small in a plan of one community) */
  const planned = commSet ? communityBuildings(buildings, commSet) : allIndexes(nB);
  for (let i = 0; i < planned.length; i++) {
    const b = planned[i];
    included[b] = 1;
    population[b] = Math.max(0, buildings[b].population);
  }
  const pointMode = options.searchMode === 'point' ||
    (options.searchMode === 'auto' && commSet !== null && planned.length * POINT_SEARCH_NODES_PER_BUILDING <= g0.nodeCount);

  // --- snap
  let snaps: BuildingSnaps;
  if (g === g0 && ctx.baseSnaps && ctx.baseSnapMax === options.maxSnapM) snaps = ctx.baseSnaps;
  else if (g !== g0 && ctx.baseSnaps && ctx.baseSnapMax === options.maxSnapM) {
    // re-snap only planned buildings whose edge got closed (buildings outside the plan keep their baseline snaps); when
    // there are none, the baseline's arrays are shared
    const base = ctx.baseSnaps;
    const redo: number[] = [];
    for (let pi = 0; pi < planned.length; pi++) { const b = planned[pi]; if (base.edge[b] >= 0 && g.closed[base.edge[b]]) redo.push(b); }
    snaps = base;
    if (redo.length > 0) {
      // (doors too: a door is the footprint point nearest the street found from the centroid, which closures can move)
      const copy = <A extends Column>(a: A): A => { const c = spares.copy(a); owned.push(c); return c; };
      snaps = {
        edge: copy(base.edge), fraction: copy(base.fraction), distance: copy(base.distance),
        doorX: copy(base.doorX), doorY: copy(base.doorY), snapX: copy(base.snapX), snapY: copy(base.snapY),
      };
      const only = Int32Array.from(redo);
      snapBuildings(ix, buildings, options.maxSnapM, only, snaps);
      patchLonLat(base, snaps, only, g.proj, copy);
    }
  } else {
    snaps = snapBuildings(ix, buildings, options.maxSnapM);
    if (g === g0) { ctx.baseSnaps = snaps; ctx.baseSnapMax = options.maxSnapM; }
  }
  let entrances: Entrance[];
  if (ctx.baseEntrances && ctx.baseEntrancesMax === options.maxSnapM) {
    // closures: only sites near an edge whose closed flag differs from the context graph's get new entrances
    entrances = g === g0 ? ctx.baseEntrances : entrancesAfterClosures(ix, sites, options.maxSnapM, ctx.baseEntrances, g0.closed);
  } else {
    entrances = allEntrances(ix, sites, options.maxSnapM);
    if (g === g0) { ctx.baseEntrances = entrances; ctx.baseEntrancesMax = options.maxSnapM; }
  }
  const tSnap = now();

  // --- eligible sites (these passes over every site and entrance are small functions: V8 optimises them soon, where
  // inside runPlan, called once per plan, they ran unoptimised — most of a what-if's time in a city)
  const entranceSite = entranceSites(entrances);
  const entranceCount = new Int32Array(nS);
  for (let i = 0; i < entranceSite.length; i++) entranceCount[entranceSite[i]]++;
  const { eligible, why } = siteEligibility(sites, entranceCount, options);
  // community restriction: only sites that could be within reach of the included buildings (straight line ≤ network)
  const maxReach = Math.max(options.reachM.emergency, options.reachM.fixed);
  let nearestBound = Infinity;
  if (commSet) {
    nearestBound = maxReach * 2;
    keepNearSites(eligible, entrances, entranceSite, snaps, planned, nearestBound * 1.05, g.proj);
  }
  const activeAll = activeEntrances(entranceSite, eligible);

  // --- nearest site for every building (point mode: one bounded search per building; else after the candidate
  // searches, below)
  const sw = reuse.searches(g === g0);
  const point = pointMode ? reuse.pointSearch(g, nS, entrances, activeAll) : null;
  const nearestSite = col('i32', nB, -1), nearestDistance = col('f64', nB, Infinity);
  if (point) {
    for (let pi = 0; pi < planned.length; pi++) {
      const b = planned[pi];
      if (point.ps.search(g, entrances, point.byEdge, eligible, snaps.edge[b], snaps.fraction[b], 1, nearestBound) > 0) {
        nearestSite[b] = point.ps.site[0]; nearestDistance[b] = point.ps.dist[0];
      }
    }
  }

  const tNear = now();
  // --- zone groups: a building inside zones may only use the union of their siteIds (zones that list sites).
  // groupOf[b] indexes groupKeys ('' = unrestricted, group 0).
  const siteIndexById = siteIndexOf(sites);
  const zoneOf = col('i32', nB, -1);
  const groupOf = tmp('i32', nB, 0);
  const groupKeys = [''];
  const ll = lonLatOf(snaps, g.proj);
  if (zones.length > 0) {
    const zb = zones.map((z) => bboxOfRings(z.rings));
    const keyIndex = new Map<string, number>([['', 0]]);
    for (let pi = 0; pi < planned.length; pi++) {
      const b = planned[pi];
      const lon = ll.doorLon[b], lat = ll.doorLat[b];
      const inZ: number[] = [];
      for (let z = 0; z < zones.length; z++) {
        const bb = zb[z];
        if (lon < bb[0] || lon > bb[2] || lat < bb[1] || lat > bb[3]) continue;
        if (zones[z].rings.some((r) => pointInRing(r, lon, lat))) inZ.push(z);
      }
      if (inZ.length) zoneOf[b] = inZ[0];
      // a zone without sites yet (just drawn) groups its buildings for reporting but does not restrict them
      const key = inZ.filter((z) => zones[z].siteIds.length > 0).join(',');
      let gi = keyIndex.get(key);
      if (gi === undefined) { keyIndex.set(key, (gi = groupKeys.length)); groupKeys.push(key); }
      groupOf[b] = gi;
    }
  }
  // groups with a snapped building, in the order of their first one
  const nG = groupKeys.length;
  const groupOrder: number[] = [];
  if (nG === 1) groupOrder.push(0);
  else {
    const seen = new Uint8Array(nG);
    for (let pi = 0; pi < planned.length && groupOrder.length < nG; pi++) {
      const b = planned[pi];
      if (snaps.edge[b] < 0 || seen[groupOf[b]]) continue;
      seen[groupOf[b]] = 1;
      groupOrder.push(groupOf[b]);
    }
  }

  // --- candidates: per group and level, a bounded k-nearest search; per building, its group's candidates of every
  // level merged ascending by (distance, site) (a building's sites are distinct: one group, one level per site)
  const K = options.candidatesPerLevel;
  const levels: SiteLevel[] = ['emergency', 'fixed'];
  const labs: KLabels[] = [];
  /** point mode: per search, the sites it may reach (allowed for the group, of the level) and its bound */
  const pointSets: { allowed: Uint8Array; bound: number }[] = [];
  /** indexes into labs (pointSets) of each group's searches */
  const groupLabs: number[][] = groupKeys.map(() => []);
  /** the lab of the unrestricted group that has every active site (when they are all of one level), -1 none */
  let labOfAll = -1;
  for (const gi of groupOrder) {
    const key = groupKeys[gi];
    let allowed: Uint8Array = eligible;
    if (key !== '') {
      allowed = new Uint8Array(nS);
      for (const z of key.split(',').map(Number)) for (const id of zones[z].siteIds) {
        const s = siteIndexById.get(id);
        if (s !== undefined && eligible[s]) allowed[s] = 1;
      }
    }
    for (const level of levels) {
      if (point) {
        const ofLevel = sitesOfLevel(sites, allowed, level);
        if (!ofLevel) continue;
        groupLabs[gi].push(pointSets.length);
        pointSets.push({ allowed: ofLevel, bound: options.reachM[level] });
        continue;
      }
      const act: number[] = [];
      for (const i of activeAll) { const s = entranceSite[i]; if (allowed[s] && sites[s].level === level) act.push(i); }
      if (act.length === 0) continue;
      if (gi === 0 && act.length === activeAll.length) labOfAll = labs.length;
      groupLabs[gi].push(labs.length);
      labs.push(kNearestSearch(g, entrances, act, K, options.reachM[level], sw));
    }
  }
  // the nearest site of every building by one multi-source search: from the labels of the search that has every active
  // site, beyond its bound (nearestFromLabels), else a search of its own — the same tree either way
  let nearMs = 0;
  if (!point) {
    const t = now();
    const nearest: NearestTree = labOfAll >= 0 && nearestBound === Infinity
      ? nearestFromLabels(g, labs[labOfAll], sw)
      : nearestSearch(g, entrances, activeAll, nearestBound, sw);
    const hit = [0, 0, 0];
    for (let pi = 0; pi < planned.length; pi++) {
      const b = planned[pi];
      nearestForSnap(g, nearest, snaps.edge[b], snaps.fraction[b], hit);
      nearestSite[b] = hit[0]; nearestDistance[b] = hit[1];
    }
    // (read: its memory goes to the assignment's scratch)
    sw.release(nearest);
    nearMs = now() - t;
  }
  // building by building into the scratch (CSR order)
  const sc = reuse.candidates(nB * levels.length * K);
  const { cSite, cDist, cVia, cLab } = sc;
  const candStart = tmp('i32', nB + 1, 0);
  const hasCandidateInReach = col('u8', nB, 0);
  // point mode: cLab holds a path id instead of a lab: the path's steps and entrance, kept from its search
  const paths: PointPaths = { start: [0], steps: [], entrance: [] };
  let C = 0, next = 0;
  for (let pi = 0; pi < planned.length; pi++) {
    const b = planned[pi];
    // (a loop for short gaps: fill() costs a runtime call, too much once per building of a whole plan)
    if (b - next > 32) { candStart.fill(C, next, b + 1); next = b + 1; } else while (next <= b) candStart[next++] = C;
    if (snaps.edge[b] < 0) continue;
    const k0 = C, e = snaps.edge[b], f = snaps.fraction[b];
    for (const li of groupLabs[groupOf[b]]) {
      let n: number;
      if (point) n = pointCandidates(g, point.ps, entrances, point.byEdge, pointSets[li], e, f, K, sc, C, paths);
      else {
        n = candidatesForSnap(g, labs[li], e, f, K, cSite, cDist, cVia, C);
        for (let j = C; j < C + n; j++) cLab[j] = li;
      }
      // insertion into the sorted candidates so far (each search's are sorted already, so the first search's stay)
      if (C === k0) { C += n; continue; }
      for (let j = C, end = C + n; j < end; j++) {
        const s = cSite[j], d = cDist[j], v = cVia[j], l = cLab[j];
        let i = j - 1;
        while (i >= k0 && (cDist[i] > d || (cDist[i] === d && cSite[i] > s))) {
          cSite[i + 1] = cSite[i]; cDist[i + 1] = cDist[i]; cVia[i + 1] = cVia[i]; cLab[i + 1] = cLab[i]; i--;
        }
        cSite[i + 1] = s; cDist[i + 1] = d; cVia[i + 1] = v; cLab[i + 1] = l;
      }
      C += n;
    }
    if (C > k0) hasCandidateInReach[b] = 1;
  }
  candStart.fill(C, next, nB + 1);
  // views of the scratch: the candidates serve this plan only (assignment, routes, coverage), nothing keeps them
  const candSite = cSite.subarray(0, C), candDist = cDist.subarray(0, C), candVia = cVia.subarray(0, C), candLab = cLab.subarray(0, C);

  // --- assignment
  const capacity = capacityLeft(sites, eligible, options.siteBaseLoad, siteIndexById);
  const problem: AssignProblem = { nB, nS, population, capacity, candStart, candSite, candDist };
  const tCand = now();
  const assignOptions = { maxPasses: options.localSearchPasses, exactWork: options.exactWork, buffers: stageBuffersOf(g0.adjStart) };
  // a plan of some communities solves only their buildings (the same problem in the same order, so the same answer),
  // not loops and arrays over the whole city's
  const ar = planned.length < nB ? assignPlanned(problem, planned, assignOptions, col) : assign(problem, assignOptions);
  let lowerBound: PlanResult['lowerBound'] = null;
  if (options.lowerBoundMaxBuildings > 0 && nB <= options.lowerBoundMaxBuildings) {
    const lb = minCostFlowSites(problem);
    lowerBound = { cost: lb.cost, placed: lb.placed, gap: lb.cost > 0 ? ar.cost / lb.cost - 1 : 0 };
  }
  const reason = col('u8', nB, 0);
  /** the unplaced buildings, ascending (their objects are made on first read of `unplaced`) */
  const unplacedAt: number[] = [];
  // (with the totals)
  let totalPop = 0, unplacedPop = 0, splitCount = 0;
  for (let pi = 0; pi < planned.length; pi++) {
    const b = planned[pi];
    const un = ar.unplaced[b];
    totalPop += population[b]; unplacedPop += un; splitCount += ar.split[b];
    if (population[b] <= 0 || un <= 1e-9) continue;
    const rc = snaps.edge[b] < 0 || nearestSite[b] < 0 && nearestBound === Infinity ? 3 : candStart[b] === candStart[b + 1] ? 1 : 2;
    reason[b] = rc;
    unplacedAt.push(b);
  }
  const tAssign = now();
  msDetail.nearest = tNear - tSnap + nearMs; msDetail.candidates = tCand - tNear - nearMs; msDetail.assign = tAssign - tCand;

  // --- routes
  const P = ar.partCand.length;
  // (every element is written below: each part once, stepStart[P] after the loop)
  const partBuilding = view('i32', P), partSite = view('i32', P), partPeople = view('f64', P), partDistance = view('f64', P);
  const partEntrance = view('i32', P), partVia = view('i32', P), stepStart = view('i32', P + 1);
  let steps = reuse.steps(P * 8);
  let nSteps = 0;
  const buf: number[] = [];
  const site = col('i32', nB, -1), distance = col('f64', nB, NaN);
  for (let pi = 0; pi < planned.length; pi++) {
    const b = planned[pi];
    let best = -1;
    for (let p = ar.partStart[b]; p < ar.partStart[b + 1]; p++) {
      const k = ar.partCand[p];
      partBuilding[p] = b; partSite[p] = candSite[k]; partPeople[p] = ar.partPeople[p]; partDistance[p] = candDist[k];
      const via = candVia[k];
      partVia[p] = via;
      stepStart[p] = nSteps;
      if (via >= 2) partEntrance[p] = via - 2;
      else {
        const e = snaps.edge[b];
        const node = via === 0 ? g.edgeSource[e] : g.edgeTarget[e];
        // the path's steps: kept by its point search, or walked back through the labels
        let from = buf, i0 = 0, i1: number;
        if (point) {
          const id = candLab[k];
          from = paths.steps; i0 = paths.start[id]; i1 = paths.start[id + 1];
          partEntrance[p] = paths.entrance[id];
        } else {
          buf.length = 0;
          partEntrance[p] = pathFromLabels(g, labs[candLab[k]], node, candSite[k], buf);
          i1 = buf.length;
        }
        if (nSteps + i1 - i0 > steps.length) steps = reuse.steps(Math.max(steps.length * 2, nSteps + i1 - i0), nSteps);
        for (let i = i0; i < i1; i++) steps[nSteps++] = from[i];
      }
      if (best < 0 || partPeople[p] > partPeople[best]) best = p;
    }
    if (best >= 0) { site[b] = partSite[best]; distance[b] = partDistance[best]; }
  }
  stepStart[P] = nSteps;
  // the searches' labels are read: their memory goes to the next stage that needs some (signs, see alloc.ts)
  sw.recycle();
  const routeSteps = view('i32', nSteps);
  routeSteps.set(steps.subarray(0, nSteps));
  const routes: RouteTable = { partBuilding, partSite, partPeople, partDistance, partEntrance, partVia, stepStart, steps: routeSteps };
  const flows = flowsAndClearance(g, routes, snaps.edge, entrances, options.walkSpeedMps, options.flowCapacity, view);
  const tRoutes = now();

  // --- result skeleton (signs / guides hooks see it)
  const siteResults = siteResultsOf(sites, eligible, why, entranceCount, routes, flows);

  let unplacedObjects: PlanResult['unplaced'] | null = null;
  const result: PlanResult = {
    hazard: options.hazard, options, included,
    buildings: {
      snapEdge: snaps.edge, snapFraction: snaps.fraction, snapDistance: snaps.distance,
      doorLon: ll.doorLon, doorLat: ll.doorLat, snapLon: ll.snapLon, snapLat: ll.snapLat,
      nearestSite, nearestDistance, site, distance, unplaced: ar.unplaced, reason, split: ar.split,
      covered: hasCandidateInReach, zone: zoneOf, partStart: ar.partStart,
    },
    routes, flows, entrances, sites: siteResults,
    get unplaced() { return (unplacedObjects ??= unplacedObjectsOf(unplacedAt, buildings, ar.unplaced, reason)); },
    unplacedCount: unplacedAt.length,
    coverage: null as unknown as CoverageResult,
    totals: {
      buildings: planned.length, population: totalPop, sites: eligible.reduce((a, x) => a + x, 0),
      assignedPopulation: ar.placed, unplacedPopulation: unplacedPop, personMetres: ar.cost,
      coveredPopulationShare: 0, maxSiteUtilisation: siteResults.reduce((a, s) => Math.max(a, s.utilisation), 0), splitBuildings: splitCount,
    },
    lowerBound, assignStats: ar.stats, search: point ? 'point' : 'multi', msDetail, signs: null, guides: null,
    ms: { graph: 0, snap: 0, assign: 0, routes: 0, signs: 0, guides: 0, coverage: 0, total: 0 },
    context: g === g0 ? ctx : { ...ctx, graph: g, index: ix, baseSnaps: null, baseSnapMax: -1, baseEntrances: null, baseEntrancesMax: -1 },
  };

  // (the hooks may add columns of their own: planAllocator)
  ownedColumns.set(result, owned);
  const tS0 = now();
  if (hooks.signs) result.signs = hooks.signs(result);
  const tS1 = now();
  if (hooks.guides) result.guides = hooks.guides(result);
  const tG1 = now();

  // --- coverage
  result.coverage = computeCoverage({
    g, input, options, planned, population, snaps, entrances, eligible, candStart, candSite, zoneOf,
    unplaced: ar.unplaced, reason, load: ar.load, capacity, flows, routes, siteResults,
  });
  result.totals.coveredPopulationShare = result.coverage.coveredShare;
  const tCov = now();

  // the temporary columns are free for the next plan; the plan's own ones once it is recycled
  spares.give(...temp);
  result.ms = {
    graph: tGraph - t0, snap: tSnap - tGraph, assign: tAssign - tSnap, routes: tRoutes - tAssign,
    signs: tS1 - tS0, guides: tG1 - tS1, coverage: tCov - tG1, total: tCov - t0,
  };
  return result;
}

/** Each plan's own city-sized columns (not those shared with its context's baseline), for `recyclePlan`. */
const ownedColumns = new WeakMap<PlanResult, Column[]>();

/**
 * Result columns for a stage that runs on a plan (its signs and guides hooks): views of whole spares of its context,
 * handed back with the plan's own columns by `recyclePlan` — a city plan's signs alone are ~45 MB of columns, and that
 * much fresh external memory per plan starts a full collection of the heap. Contents are unspecified.
 */
export function planAllocator(plan: PlanResult): TakeView {
  const owned = ownedColumns.get(plan), spares = plan.context.reuse?.spares;
  return owned && spares ? viewsOf(spares, owned) : freshView;
}

/**
 * Hands a plan the caller has finished with back to its context: the next plans of the context refill its city-sized
 * columns instead of allocating new ones. For a stream of what-ifs (each one dropped when the next is asked), where
 * fresh columns — ~25 MB per community what-if of a city, faulted in page by page and counted by V8 towards full
 * collections — cost more than the re-plan itself. The plan must not be used afterwards: its building columns,
 * `included` and `context` throw when read. Recycling a plan twice, or one this engine did not make, does nothing.
 */
export function recyclePlan(plan: PlanResult): void {
  const owned = ownedColumns.get(plan);
  if (!owned) return;
  ownedColumns.delete(plan);
  const spares = plan.context.reuse?.spares;
  for (const key of ['buildings', 'included', 'context'] as const) {
    Object.defineProperty(plan, key, { get: () => { throw new Error(`plan: ${key} read after recyclePlan() — the plan's arrays belong to later plans now`); } });
  }
  spares?.give(...owned);
}

/** assign() on the planned buildings only (renumbered in order, and the sites they may use; candidates keep their
 *  indexes), with the result spread back over all buildings. */
function assignPlanned(
  pb: AssignProblem, planned: Int32Array, opts: Parameters<typeof assign>[1], col: TakeColumn,
): AssignResult {
  const m = planned.length;
  const population = new Float64Array(m), candStart = new Int32Array(m + 1);
  for (let i = 0; i < m; i++) { population[i] = pb.population[planned[i]]; candStart[i] = pb.candStart[planned[i]]; }
  candStart[m] = m > 0 ? pb.candStart[planned[m - 1] + 1] : 0;
  // sites renumbered over those the candidates name, ascending (comparisons keep their order, so the answer is the
  // same): assign's passes over sites then cost the community's few, not the city's 20k
  const used = Int32Array.from(new Set(pb.candSite)).sort();
  const local = new Map<number, number>();
  const capacity = new Float64Array(used.length);
  for (let i = 0; i < used.length; i++) { local.set(used[i], i); capacity[i] = pb.capacity[used[i]]; }
  const candSite = pb.candSite.map((s) => local.get(s)!);
  const r = assign({ ...pb, nB: m, nS: used.length, population, capacity, candStart, candSite }, opts);
  const load = new Float64Array(pb.nS);
  for (let i = 0; i < used.length; i++) load[used[i]] = r.load[i];
  const unplaced = col('f64', pb.nB, 0), split = col('u8', pb.nB, 0), partStart = col('i32', pb.nB + 1, 0);
  let next = 0;
  for (let i = 0; i < m; i++) {
    const b = planned[i];
    partStart.fill(r.partStart[i], next, b + 1);
    next = b + 1;
    unplaced[b] = r.unplaced[i]; split[b] = r.split[i];
  }
  partStart.fill(r.partStart[m], next, pb.nB + 1);
  return { ...r, load, unplaced, split, partStart };
}

/** Eligible sites of one level among `allowed`, as flags per site (null: none). */
function sitesOfLevel(sites: EngineInput['sites'], allowed: Uint8Array, level: SiteLevel): Uint8Array | null {
  const out = new Uint8Array(sites.length);
  let any = 0;
  for (let s = 0; s < sites.length; s++) if (allowed[s] && sites[s].level === level) { out[s] = 1; any = 1; }
  return any ? out : null;
}

/** Capacity of each eligible site less the people already there (`siteBaseLoad`, looked up for eligible sites only). */
function capacityLeft(sites: EngineInput['sites'], eligible: Uint8Array, baseLoad: Record<string, number> | undefined, indexById: Map<number, number>): Float64Array {
  const capacity = new Float64Array(sites.length);
  for (let s = 0; s < sites.length; s++) {
    if (!eligible[s]) continue;
    capacity[s] = sites[s].capacity;
    const l = baseLoad && indexById.get(sites[s].id) === s ? baseLoad[String(sites[s].id)] : undefined;
    if (l !== undefined) capacity[s] = Math.max(0, capacity[s] - l);
  }
  return capacity;
}

// Site results (and unplaced entries) come from a constructor, as coverage's area summaries do (see AreaObject there):
// an object literal's allocation site is pretenured once the plan keeps its objects, and a city's 20k per plan — every
// community what-if too — then went to the old generation one by one (~9 ms a what-if). Same plain objects
// (Object.prototype).
/** new SiteResultObject(...) = a SiteResult with load, utilisation, buildings, clearances and coverageLost at 0 */
const SiteResultObject = function (this: SiteResult, index: number, id: number, name: string | null, level: SiteLevel, eligible: boolean,
  why: string | null, capacity: number, entrances: number) {
  this.index = index; this.id = id; this.name = name; this.level = level; this.eligible = eligible; this.why = why;
  this.capacity = capacity; this.load = 0; this.utilisation = 0; this.buildings = 0; this.entrances = entrances;
  this.clearanceS = 0; this.clearanceVulnerableS = 0; this.coverageLost = 0;
} as unknown as new (index: number, id: number, name: string | null, level: SiteLevel, eligible: boolean, why: string | null,
  capacity: number, entrances: number) => SiteResult;
SiteResultObject.prototype = Object.prototype;
/** new UnplacedObject(...) = { building, id, people, reason } (constructed for the same reason: a plan keeps thousands) */
const UnplacedObject = function (this: PlanResult['unplaced'][number], building: number, id: number, people: number, reason: UnplacedReason) {
  this.building = building; this.id = id; this.people = people; this.reason = reason;
} as unknown as new (building: number, id: number, people: number, reason: UnplacedReason) => PlanResult['unplaced'][number];
UnplacedObject.prototype = Object.prototype;

/** The unplaced entries of buildings `at`, from the plan's columns. */
function unplacedObjectsOf(at: number[], buildings: EngineInput['buildings'], unplaced: Float64Array, reason: Uint8Array): PlanResult['unplaced'] {
  const out: PlanResult['unplaced'] = new Array(at.length);
  for (let i = 0; i < at.length; i++) { const b = at[i]; out[i] = new UnplacedObject(b, buildings[b].id, unplaced[b], REASON_CODES[reason[b]]!); }
  return out;
}

/** Per-site results: eligibility, load, buildings and clearance from the route parts. */
function siteResultsOf(sites: EngineInput['sites'], eligible: Uint8Array, why: (string | null)[], entranceCount: Int32Array, rt: RouteTable, flows: FlowResult): SiteResult[] {
  const out: SiteResult[] = new Array(sites.length);
  for (let i = 0; i < sites.length; i++) {
    const s = sites[i];
    out[i] = new SiteResultObject(i, s.id, s.name, s.level, !!eligible[i], why[i], s.capacity, entranceCount[i]);
  }
  const lastBuilding = new Int32Array(sites.length).fill(-1); // parts of one building are contiguous
  for (let q = 0; q < rt.partSite.length; q++) {
    const s = rt.partSite[q], sr = out[s];
    sr.load += rt.partPeople[q];
    if (lastBuilding[s] !== rt.partBuilding[q]) { lastBuilding[s] = rt.partBuilding[q]; sr.buildings++; }
    sr.clearanceS = Math.max(sr.clearanceS, flows.clearance[q]);
    sr.clearanceVulnerableS = Math.max(sr.clearanceVulnerableS, flows.clearanceVulnerable[q]);
  }
  for (const sr of out) sr.utilisation = sr.capacity > 0 ? sr.load / sr.capacity : 0;
  return out;
}

/** The site of each entrance, as a typed array (the loops over 100 k+ entrances of a city read it). */
function entranceSites(entrances: Entrance[]): Int32Array {
  const out = new Int32Array(entrances.length);
  for (let i = 0; i < entrances.length; i++) out[i] = entrances[i].siteIndex;
  return out;
}

/** Which sites a plan may use, and why not the others. */
function siteEligibility(sites: EngineInput['sites'], entranceCount: Int32Array, options: PlanOptions): { eligible: Uint8Array; why: (string | null)[] } {
  const nS = sites.length;
  const closedSites = new Set(options.closedSiteIds);
  const eligible = new Uint8Array(nS);
  const why: (string | null)[] = new Array(nS).fill(null);
  for (let s = 0; s < nS; s++) {
    const st = sites[s];
    if (st.candidate) why[s] = 'candidate';
    else if (st.status !== 'open') why[s] = 'closed';
    else if (closedSites.has(st.id)) why[s] = 'closed_in_what_if';
    else if (!st.hazards.includes(options.hazard)) why[s] = `not_for_${options.hazard}`;
    else if (!(st.capacity > 0)) why[s] = 'no_capacity';
    else if (entranceCount[s] === 0) why[s] = 'no_entrance';
    else eligible[s] = 1;
  }
  return { eligible, why };
}

/** Leaves eligible only the sites with an entrance within `within` (straight line) of the planned buildings' box. */
function keepNearSites(eligible: Uint8Array, entrances: Entrance[], entranceSite: Int32Array, snaps: BuildingSnaps, planned: Int32Array, within: number, p: Graph['proj']): void {
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (let pi = 0; pi < planned.length; pi++) {
    const b = planned[pi];
    minX = Math.min(minX, snaps.snapX[b]); maxX = Math.max(maxX, snaps.snapX[b]);
    minY = Math.min(minY, snaps.snapY[b]); maxY = Math.max(maxY, snaps.snapY[b]);
  }
  const near = new Uint8Array(eligible.length);
  for (let i = 0; i < entrances.length; i++) {
    const s = entranceSite[i];
    if (!eligible[s] || near[s]) continue;
    const pt = entrances[i].point;
    const x = (pt[0] - p.lon0) * p.kx, y = (pt[1] - p.lat0) * p.ky;
    const dx = Math.max(minX - x, 0, x - maxX), dy = Math.max(minY - y, 0, y - maxY);
    if (dx > within || dy > within) continue; // hypot is never below either
    if (Math.hypot(dx, dy) <= within) near[s] = 1;
  }
  for (let s = 0; s < eligible.length; s++) if (!near[s]) eligible[s] = 0; // cannot matter for these buildings
}

/** The entrances of eligible sites, ascending. */
function activeEntrances(entranceSite: Int32Array, eligible: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < entranceSite.length; i++) if (eligible[entranceSite[i]]) out.push(i);
  return out;
}

/** Paths of point-mode candidates: steps[start[id] .. start[id+1]-1] and the entrance of path `id`. */
interface PointPaths { start: number[]; steps: number[]; entrance: number[] }

/**
 * Point mode: the up to K nearest sites of `set` from the point (e, f), ranked, into the candidate scratch at `at`
 * (site, distance, via as candidatesForSnap gives it, and in cLab the id of the path kept in `paths`). Returns how many.
 */
function pointCandidates(g: Graph, ps: PointSearcher, entrances: Entrance[], byEdge: EntranceEdgeIndex, set: { allowed: Uint8Array; bound: number },
  e: number, f: number, K: number, sc: PlanReuse, at: number, paths: PointPaths): number {
  const n = ps.search(g, entrances, byEdge, set.allowed, e, f, K, set.bound);
  for (let j = 0; j < n; j++) {
    sc.cSite[at + j] = ps.site[j]; sc.cDist[at + j] = ps.dist[j];
    if (ps.node[j] < 0) { sc.cVia[at + j] = 2 + ps.ent[j]; sc.cLab[at + j] = -1; continue; }
    const first = ps.path(g, ps.node[j], paths.steps);
    sc.cVia[at + j] = first === g.edgeSource[e] ? 0 : 1;
    sc.cLab[at + j] = paths.entrance.length;
    paths.entrance.push(ps.ent[j]);
    paths.start.push(paths.steps.length);
  }
  return n;
}

/** The buildings of these communities, ascending. */
function communityBuildings(buildings: EngineInput['buildings'], communities: Set<number>): Int32Array {
  const byCommunity = buildingsByCommunity(buildings);
  const out: number[] = [];
  for (const c of communities) { const list = byCommunity.get(c); if (list) for (const b of list) out.push(b); }
  return Int32Array.from(out).sort();
}

const allIndexCache = new Map<number, Int32Array>();
/** 0 .. n-1 (one array per n, shared: callers only read it). */
function allIndexes(n: number): Int32Array {
  let a = allIndexCache.get(n);
  if (!a) {
    if (allIndexCache.size > 8) allIndexCache.clear();
    a = new Int32Array(n);
    for (let i = 0; i < n; i++) a[i] = i;
    allIndexCache.set(n, a);
  }
  return a;
}

type LonLat = Record<'doorLon' | 'doorLat' | 'snapLon' | 'snapLat', Float64Array>;
const lonLats = new WeakMap<BuildingSnaps, LonLat>();
/** Door and snap points in lon/lat, per snaps object (plans sharing the baseline's snaps share these too). */
function lonLatOf(snaps: BuildingSnaps, p: Graph['proj']): LonLat {
  let ll = lonLats.get(snaps);
  if (!ll) {
    ll = {
      doorLon: unproject(snaps.doorX, p.lon0, p.kx), doorLat: unproject(snaps.doorY, p.lat0, p.ky),
      snapLon: unproject(snaps.snapX, p.lon0, p.kx), snapLat: unproject(snaps.snapY, p.lat0, p.ky),
    };
    lonLats.set(snaps, ll);
  }
  return ll;
}

/** The lon/lat columns of `snaps`, a copy of `base` re-snapped at `only`: the base's columns, patched there. */
function patchLonLat(base: BuildingSnaps, snaps: BuildingSnaps, only: Int32Array, p: Graph['proj'], copy: (a: Float64Array) => Float64Array): void {
  const from = lonLatOf(base, p);
  const ll: LonLat = { doorLon: copy(from.doorLon), doorLat: copy(from.doorLat), snapLon: copy(from.snapLon), snapLat: copy(from.snapLat) };
  for (const b of only) {
    ll.doorLon[b] = p.lon0 + snaps.doorX[b] / p.kx; ll.doorLat[b] = p.lat0 + snaps.doorY[b] / p.ky;
    ll.snapLon[b] = p.lon0 + snaps.snapX[b] / p.kx; ll.snapLat[b] = p.lat0 + snaps.snapY[b] / p.ky;
  }
  lonLats.set(snaps, ll);
}

/** o + x / k per element (a plain loop: TypedArray.map with a callback is several times slower). */
function unproject(xs: Float64Array, o: number, k: number): Float64Array {
  const out = new Float64Array(xs.length);
  for (let i = 0; i < xs.length; i++) out[i] = o + xs[i] / k;
  return out;
}

function bboxOfRings(rings: ArrayLike<number>[]): [number, number, number, number] {
  let a = Infinity, b = Infinity, c = -Infinity, d = -Infinity;
  for (const r of rings) for (let i = 0; i + 1 < r.length; i += 2) {
    a = Math.min(a, r[i]); c = Math.max(c, r[i]); b = Math.min(b, r[i + 1]); d = Math.max(d, r[i + 1]);
  }
  return [a, b, c, d];
}

/** Plain-object rows per included building (for APIs and assignments.csv). */
export function buildingRows(plan: PlanResult): {
  buildingId: number; osmId: number | null; siteId: number | null; nearestSiteId: number | null; nearestDistanceM: number | null;
  assignedDistanceM: number | null; population: number; unplaced: number; reason: UnplacedReason | null; split: boolean;
  parts: { siteId: number; people: number; distanceM: number }[];
}[] {
  const { input } = plan.context;
  const B = plan.buildings;
  const rows = [];
  for (let b = 0; b < input.buildings.length; b++) {
    if (!plan.included[b]) continue;
    const parts = [];
    for (let p = B.partStart[b]; p < B.partStart[b + 1]; p++) {
      parts.push({ siteId: input.sites[plan.routes.partSite[p]].id, people: plan.routes.partPeople[p], distanceM: plan.routes.partDistance[p] });
    }
    rows.push({
      buildingId: input.buildings[b].id, osmId: input.buildings[b].osmId,
      siteId: B.site[b] >= 0 ? input.sites[B.site[b]].id : null,
      nearestSiteId: B.nearestSite[b] >= 0 ? input.sites[B.nearestSite[b]].id : null,
      nearestDistanceM: Number.isFinite(B.nearestDistance[b]) ? B.nearestDistance[b] : null,
      assignedDistanceM: B.site[b] >= 0 ? B.distance[b] : null,
      population: input.buildings[b].population, unplaced: B.unplaced[b], reason: REASON_CODES[B.reason[b]], split: !!B.split[b], parts,
    });
  }
  return rows;
}

/** Flat lon,lat polyline of route part `p` (door snap → site entrance). */
export function planRouteCoords(plan: PlanResult, p: number): number[] {
  return routeCoords(plan.context.graph, plan.routes, plan.buildings.snapEdge, plan.buildings.snapFraction, plan.entrances, p);
}
