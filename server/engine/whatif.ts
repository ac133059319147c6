/**
 * What-if: close roads (by edge id, or every edge crossing a drawn line / touching a drawn area) or sites, re-plan
 * on the shared graph (closures are a private copy of the closed flags; only buildings whose snapped edge closed
 * are re-snapped), and diff against the baseline: who changes site, time added, who is newly unplaced.
 *
 * Restricting to communities (`communityIds`) re-plans only their buildings; the other buildings' baseline loads
 * are kept as fixed loads on the sites, so capacities stay honest.
 *
 * A caller asking what-ifs one after another (a planner trying closures) should hand each finished one back with
 * `recyclePlan(result.plan)` before asking the next: its city-sized columns are then refilled, not allocated afresh
 * (a community what-if of a 200k-building city: ~55 ms instead of ~230 ms, `npm run bench`).
 */
import type { Graph } from './graph.ts';
import { pointInRing, segmentIntersectT, type SegmentIndex } from './snap.ts';
import { REASON_CODES, runPlan, type PlanContext, type PlanHooks, type PlanOptionsInput, type PlanResult } from './plan.ts';
import type { UnplacedReason } from './types.ts';
import { buildingsByCommunity, communityIdColumn, firstSiteWithId } from './columns.ts';
import type { RouteTable } from './routes.ts';

export interface WhatIfChange {
  closeEdgeIds?: number[];
  /** flat lon,lat polyline: every edge it crosses is closed */
  closeLine?: number[];
  /** flat lon,lat ring: every edge crossing it or inside it is closed */
  closeArea?: number[];
  closeSiteIds?: number[];
  /** re-plan only these communities' buildings */
  communityIds?: number[];
}

/** Edge ids crossing a polyline (or, with `area`, crossing or inside a ring). Open and closed edges alike. */
export function edgesHitBy(g: Graph, ix: SegmentIndex, coords: ArrayLike<number>, area: boolean): number[] {
  const p = g.proj;
  const k = coords.length >> 1;
  if (k < 2) return [];
  const xy = new Float64Array(coords.length);
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (let i = 0; i < k; i++) {
    xy[2 * i] = (coords[2 * i] - p.lon0) * p.kx; xy[2 * i + 1] = (coords[2 * i + 1] - p.lat0) * p.ky;
    minX = Math.min(minX, xy[2 * i]); maxX = Math.max(maxX, xy[2 * i]);
    minY = Math.min(minY, xy[2 * i + 1]); maxY = Math.max(maxY, xy[2 * i + 1]);
  }
  const hit = new Set<number>();
  const c0 = Math.max(0, Math.floor((minX - ix.minX) / ix.cell) - 1), c1 = Math.min(ix.cols - 1, Math.floor((maxX - ix.minX) / ix.cell) + 1);
  const r0 = Math.max(0, Math.floor((minY - ix.minY) / ix.cell) - 1), r1 = Math.min(ix.rows - 1, Math.floor((maxY - ix.minY) / ix.cell) + 1);
  const segs = area ? k : k - 1;
  for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) {
    const cell = r * ix.cols + c;
    for (let q = ix.cellStart[cell]; q < ix.cellStart[cell + 1]; q++) {
      const s = ix.cellSeg[q];
      const e = ix.pointEdge[s];
      if (hit.has(e)) continue;
      const ax = g.geomX[s], ay = g.geomY[s], bx = g.geomX[s + 1], by = g.geomY[s + 1];
      let crosses = false;
      for (let i = 0; i < segs && !crosses; i++) {
        const j = (i + 1) % k;
        if (segmentIntersectT(ax, ay, bx, by, xy[2 * i], xy[2 * i + 1], xy[2 * j], xy[2 * j + 1]) >= 0) crosses = true;
      }
      if (!crosses && area && (pointInRing(xy, ax, ay) || pointInRing(xy, bx, by))) crosses = true;
      if (crosses) hit.add(e);
    }
  }
  return [...hit].sort((a, b) => a - b).map((e) => g.edgeId[e]);
}

export interface PlanDiff {
  changed: {
    building: number; id: number; people: number;
    fromSite: number | null; toSite: number | null; fromDistanceM: number | null; toDistanceM: number | null;
    /** walking time added at normal speed (s); null when placed in only one of the plans */
    addedTimeS: number | null;
    newlyUnplaced: number;
    reason: UnplacedReason | null;
  }[];
  summary: {
    changedBuildings: number;
    changedPeople: number;
    newlyUnplacedPeople: number;
    newlyPlacedPeople: number;
    /** population-weighted mean and max of the walking time added, over buildings placed in both plans */
    meanAddedTimeS: number;
    maxAddedTimeS: number;
    /**
     * Population-weighted share of the buildings both plans include that the baseline covers (a site within reach) —
     * the same buildings as the after share when the baseline planned them all (a community what-if on a city plan),
     * so the two compare like with like.
     */
    coveredShareBefore: number;
    coveredShareAfter: number;
  };
}

/** Diff of two plans over the same input (buildings planned in both). */
export function diffPlans(base: PlanResult, next: PlanResult): PlanDiff {
  const A = base.buildings, B = next.buildings;
  const input = next.context.input;
  const speed = next.options.walkSpeedMps.normal;
  const changed: PlanDiff['changed'] = [];
  let changedPeople = 0, newlyUnplaced = 0, newlyPlaced = 0, wSum = 0, tSum = 0, tMax = 0, popBoth = 0, coveredBefore = 0;
  for (let b = 0; b < input.buildings.length; b++) {
    if (!base.included[b] || !next.included[b]) continue;
    const people = input.buildings[b].population;
    // as the plans weigh coverage: in building order, negative populations as 0
    const weight = Math.max(0, people);
    popBoth += weight;
    if (A.covered[b]) coveredBefore += weight;
    const du = B.unplaced[b] - A.unplaced[b];
    const siteChanged = A.site[b] !== B.site[b];
    const bothPlaced = A.site[b] >= 0 && B.site[b] >= 0;
    const dt = bothPlaced ? (B.distance[b] - A.distance[b]) / speed : null;
    if (bothPlaced) { wSum += people; tSum += people * dt!; tMax = Math.max(tMax, dt!); }
    if (du > 1e-9) newlyUnplaced += du; else if (du < -1e-9) newlyPlaced += -du;
    if (!siteChanged && Math.abs(du) <= 1e-9 && (dt === null || Math.abs(dt) < 1e-9)) continue;
    if (siteChanged) changedPeople += people;
    changed.push({
      building: b, id: input.buildings[b].id, people,
      fromSite: A.site[b] >= 0 ? input.sites[A.site[b]].id : null, toSite: B.site[b] >= 0 ? input.sites[B.site[b]].id : null,
      fromDistanceM: A.site[b] >= 0 ? A.distance[b] : null, toDistanceM: B.site[b] >= 0 ? B.distance[b] : null,
      addedTimeS: dt, newlyUnplaced: Math.max(0, du), reason: REASON_CODES[B.reason[b]],
    });
  }
  return {
    changed,
    summary: {
      changedBuildings: changed.filter((c) => c.fromSite !== c.toSite).length, changedPeople,
      newlyUnplacedPeople: newlyUnplaced, newlyPlacedPeople: newlyPlaced,
      meanAddedTimeS: wSum > 0 ? tSum / wSum : 0, maxAddedTimeS: tMax,
      coveredShareBefore: popBoth > 0 ? coveredBefore / popBoth : 0, coveredShareAfter: next.coverage.coveredShare,
    },
  };
}

/**
 * The baseline's load per site id (at the first site with the id) from the buildings outside `communityIds`, and
 * whether any of them goes there: the baseline's parts summed in part order, skipping the communities' — the same
 * sums as adding into a record keyed by id. Only the sites the communities used are summed again (from the parts
 * grouped by site, kept with the baseline); the others keep the baseline's whole sums, so a community what-if
 * reads its own parts and its sites', not the city's 135k.
 */
function otherCommunitiesLoads(baseline: PlanResult, communityIds: number[]): { load: Float64Array; used: Uint8Array } {
  const { buildings, sites } = baseline.context.input;
  const r = baseline.routes, partStart = baseline.buildings.partStart;
  const slot = firstSiteWithId(sites), community = communityIdColumn(buildings), members = buildingsByCommunity(buildings);
  const bySite = partsBySite(r, slot);
  const load = bySite.total.slice(), used = bySite.used.slice();
  const keep = new Set(communityIds);
  const again = new Uint8Array(sites.length), list: number[] = [];
  for (const c of keep) {
    for (const b of members.get(c) ?? []) {
      for (let p = partStart[b]; p < partStart[b + 1]; p++) { const s = slot[r.partSite[p]]; if (!again[s]) { again[s] = 1; list.push(s); } }
    }
  }
  for (const s of list) {
    let sum = 0, any = 0;
    for (let k = bySite.start[s]; k < bySite.start[s + 1]; k++) {
      const p = bySite.parts[k], cid = community[r.partBuilding[p]];
      if (cid === cid && keep.has(cid)) continue; // NaN: no community
      sum += r.partPeople[p]; any = 1;
    }
    load[s] = sum; used[s] = any;
  }
  return { load, used };
}

/** A plan's parts grouped by site slot (part order), with each slot's whole load summed in part order and whether it has parts. */
interface PartsBySite { total: Float64Array; used: Uint8Array; start: Int32Array; parts: Int32Array }
const partsBySiteCache = new WeakMap<RouteTable, PartsBySite>();
function partsBySite(r: RouteTable, slot: Int32Array): PartsBySite {
  const nS = slot.length, P = r.partBuilding.length;
  let c = partsBySiteCache.get(r);
  if (c && c.total.length === nS) return c;
  const total = new Float64Array(nS), used = new Uint8Array(nS), start = new Int32Array(nS + 1), parts = new Int32Array(P);
  for (let p = 0; p < P; p++) { const s = slot[r.partSite[p]]; total[s] += r.partPeople[p]; used[s] = 1; start[s + 1]++; }
  for (let s = 0; s < nS; s++) start[s + 1] += start[s];
  const fill = start.slice(0, nS);
  for (let p = 0; p < P; p++) parts[fill[slot[r.partSite[p]]]++] = p;
  partsBySiteCache.set(r, (c = { total, used, start, parts }));
  return c;
}

/**
 * A context on the open graph for re-planning the baseline: its own when it has no closures; else the same graph
 * and index with every edge open (sharing their arrays, instead of building the graph again; snaps and entrances
 * are then computed afresh, as on a new context).
 */
function openContext(baseline: PlanResult): PlanContext {
  const ctx = baseline.context;
  if (baseline.options.closedEdgeIds.length === 0) return ctx;
  const graph: Graph = { ...ctx.graph, closed: new Uint8Array(ctx.graph.edgeCount) };
  return { ...ctx, graph, index: { ...ctx.index, g: graph }, baseSnaps: null, baseSnapMax: -1, baseEntrances: null, baseEntrancesMax: -1 };
}

/** Re-plans the baseline's input with the change applied and diffs it against the baseline. */
export function whatIf(baseline: PlanResult, change: WhatIfChange, hooks: PlanHooks = {}): { plan: PlanResult; diff: PlanDiff; closedEdgeIds: number[] } {
  const ctx = baseline.context;
  // the baseline's own context may carry closures; closures are always relative to the open graph
  const g = ctx.graph;
  const closed = new Set<number>([...baseline.options.closedEdgeIds, ...(change.closeEdgeIds ?? [])]);
  if (change.closeLine) for (const id of edgesHitBy(g, ctx.index, change.closeLine, false)) closed.add(id);
  if (change.closeArea) for (const id of edgesHitBy(g, ctx.index, change.closeArea, true)) closed.add(id);
  const options: PlanOptionsInput = {
    ...baseline.options,
    closedEdgeIds: [...closed],
    closedSiteIds: [...new Set([...baseline.options.closedSiteIds, ...(change.closeSiteIds ?? [])])],
  };
  if (change.communityIds) {
    const { sites } = ctx.input;
    const { load, used } = otherCommunitiesLoads(baseline, change.communityIds);
    const baseLoad: Record<string, number> = {};
    for (let s = 0; s < sites.length; s++) if (used[s]) baseLoad[String(sites[s].id)] = load[s];
    options.communityIds = change.communityIds;
    options.siteBaseLoad = baseLoad;
  }
  const plan = runPlan(ctx.input, options, hooks, openContext(baseline));
  return { plan, diff: diffPlans(baseline, plan), closedEdgeIds: [...closed] };
}
