/**
 * Coverage for inspectors: population-weighted share within reach of an eligible site (network distance, the
 * level's reach, zones respected), uncovered buildings, per-community and per-zone summaries, capacity shortfall,
 * each site's criticality and where to add capacity.
 *
 * - Criticality of a site = people whose ONLY site within reach it is (coverage lost if it closes). Exact and
 *   O(candidates): every building's candidate list already holds all sites within reach up to K per level, and a
 *   building with ≥ 2 candidates keeps coverage when one closes.
 * - Where to add capacity: undesignated open spaces (sites with `candidate: true` or status 'closed') ranked by the
 *   uncovered people within their level's reach (one bounded k-nearest search from all of them per level), and
 *   full sites ranked by the people left out ('all_full') who had them within reach.
 */
import type { Graph } from './graph.ts';
import type { BuildingSnaps } from './snap.ts';
import { candidatesForSnap, kNearestSearch } from './dijkstra.ts';
import type { FlowResult, RouteTable } from './routes.ts';
import type { EngineInput, Entrance, SiteLevel } from './types.ts';
import type { PlanOptions, SiteResult } from './plan.ts';
import { scratchFor, unboxed, type Scratch } from './alloc.ts';
import { communityIdColumn, spaceSites } from './columns.ts';

export interface AreaSummary {
  id: number;
  name: string;
  buildings: number;
  population: number;
  coveredPopulation: number;
  coveredShare: number;
  assignedPopulation: number;
  unplacedPopulation: number;
  clearanceS: number;
  clearanceVulnerableS: number;
}

export interface CoverageResult {
  population: number;
  coveredPopulation: number;
  coveredShare: number;
  /** buildings with people and no site in reach (ascending): made on first read (5,400 in a plan of Monaco) */
  readonly uncovered: { building: number; id: number; people: number; reason: 'unreachable' | 'no_site_in_reach' }[];
  /** uncovered.length, without making the objects */
  uncoveredCount: number;
  /** every community, or in a plan restricted to communities (what-if), the communities of its buildings */
  communities: AreaSummary[];
  zones: AreaSummary[];
  capacity: { total: number; population: number; shortfall: number; unplacedAllFull: number };
  /** eligible sites by coverage lost if closed (descending) */
  criticality: { site: number; id: number; coverageLost: number; assigned: number }[];
  addCapacity: { site: number; id: number; name: string | null; kind: 'new_space' | 'expand'; level: SiteLevel; suitsHazard: boolean; people: number }[];
}

export interface CoverageArgs {
  g: Graph;
  input: EngineInput;
  options: PlanOptions;
  /** the plan's buildings, ascending */
  planned: Int32Array;
  population: Float64Array;
  snaps: BuildingSnaps;
  entrances: Entrance[];
  eligible: Uint8Array;
  candStart: Int32Array;
  candSite: Int32Array;
  zoneOf: Int32Array;
  unplaced: Float64Array;
  reason: Uint8Array;
  load: Float64Array;
  capacity: Float64Array;
  flows: FlowResult;
  routes: RouteTable;
  siteResults: SiteResult[];
}

/** computeCoverage's working arrays, per input (reused by its next plan). */
const coverageScratch = new WeakMap<object, Scratch>();

export function computeCoverage(a: CoverageArgs): CoverageResult {
  const { g, input, population, snaps, candStart, candSite } = a;
  const nB = input.buildings.length, nS = input.sites.length;
  const sc = scratchFor(coverageScratch, input);
  // The plan's buildings, ascending: per-building passes walk them (a what-if of one community: a few of the city's
  // 200k), so building-indexed scratch is written (and zeroed) at them only, and summed in building order as before.
  const L = a.planned;
  let pop = 0, covered = 0;
  const uncoveredAt: number[] = [];
  const isCovered = sc.uint8(nB, false);
  const lost = sc.float64(nS);
  for (let li = 0; li < L.length; li++) {
    const b = L[li];
    pop += population[b];
    const n = candStart[b + 1] - candStart[b];
    isCovered[b] = n > 0 ? 1 : 0;
    if (n > 0) covered += population[b];
    else if (population[b] > 0) uncoveredAt.push(b);
    if (n === 1) lost[candSite[candStart[b]]] += population[b];
  }
  // sites: coverage lost written back, what the criticality ranking reads, and the eligible capacity (the site
  // results carry the input's capacities: reading them there spares a walk over the input's site objects)
  const critical: number[] = [];
  const cLoad = sc.float64(nS, false), cIndex = sc.float64(nS, false), cId = sc.float64(nS, false);
  let totalCap = 0;
  for (let s = 0; s < nS; s++) {
    const sr = a.siteResults[s];
    sr.coverageLost = lost[s];
    cLoad[s] = sr.load; cIndex[s] = sr.index; cId[s] = sr.id;
    if (sr.eligible) critical.push(s);
    if (a.eligible[s]) totalCap += sr.capacity;
  }

  // per-part clearance by building (max over parts); zero at the plan's buildings and the parts' (the same ones)
  const bClear = sc.float64(nB, false), bClearV = sc.float64(nB, false), bAssigned = sc.float64(nB, false);
  for (let li = 0; li < L.length; li++) { const b = L[li]; bClear[b] = 0; bClearV[b] = 0; bAssigned[b] = 0; }
  for (let p = 0; p < a.routes.partBuilding.length; p++) { const b = a.routes.partBuilding[p]; bClear[b] = 0; bClearV[b] = 0; bAssigned[b] = 0; }
  for (let p = 0; p < a.routes.partBuilding.length; p++) {
    const b = a.routes.partBuilding[p];
    bClear[b] = Math.max(bClear[b], a.flows.clearance[p]);
    bClearV[b] = Math.max(bClearV[b], a.flows.clearanceVulnerable[p]);
    bAssigned[b] += a.routes.partPeople[p];
  }
  // per-area sums in typed arrays (building order, so the same sums as one object per area), objects built once;
  // areaOf[b] outside 0 … areas-1 (read at the plan's buildings only): no area
  const summarise = (areaOf: Int32Array, areas: { id: number; name: string }[], onlyPlanned = false): AreaSummary[] => {
    const nA = areas.length;
    const count = sc.float64(nA), popA = sc.float64(nA), covA = sc.float64(nA), asgA = sc.float64(nA);
    const unpA = sc.float64(nA), clrA = sc.float64(nA), clrVA = sc.float64(nA);
    const unplaced = a.unplaced;
    for (let li = 0; li < L.length; li++) {
      const b = L[li];
      const i = areaOf[b];
      if (i < 0 || i >= nA) continue;
      count[i]++; popA[i] += population[b];
      if (isCovered[b]) covA[i] += population[b];
      asgA[i] += bAssigned[b]; unpA[i] += unplaced[b];
      clrA[i] = Math.max(clrA[i], bClear[b]); clrVA[i] = Math.max(clrVA[i], bClearV[b]);
    }
    // every area (one without any of the plan's buildings sums to zeros), or with `onlyPlanned` those with some
    const out: AreaSummary[] = onlyPlanned ? [] : new Array(nA);
    let k = 0;
    for (let i = 0; i < nA; i++) {
      if (onlyPlanned && count[i] === 0) continue;
      out[k++] = new AreaObject(
        areas[i].id, areas[i].name, unboxed(count[i]), unboxed(popA[i]), unboxed(covA[i]), unboxed(popA[i] > 0 ? covA[i] / popA[i] : 0),
        unboxed(asgA[i]), unboxed(unpA[i]), unboxed(clrA[i]), unboxed(clrVA[i]),
      );
    }
    return out;
  };
  // (a community what-if of a city would list ~15k communities with nothing in them, each an object its GCs copy)
  const communities = summarise(communityOfBuilding(input, L, sc), input.communities, a.options.communityIds != null);
  const zones = summarise(a.zoneOf, input.zones);

  let allFull = 0;
  for (let li = 0; li < L.length; li++) { const b = L[li]; if (a.reason[b] === 2) allFull += a.unplaced[b]; }

  sortCritical(critical, lost, cLoad);
  const criticality: CoverageResult['criticality'] = new Array(critical.length);
  for (let i = 0; i < critical.length; i++) {
    const s = critical[i];
    criticality[i] = { site: unboxed(cIndex[s]), id: unboxed(cId[s]), coverageLost: unboxed(lost[s]), assigned: unboxed(cLoad[s]) };
  }

  // where to add capacity
  const addCapacity: CoverageResult['addCapacity'] = [];
  const spaces: number[] = [];
  for (const s of spaceSites(input.sites)) if (!a.eligible[s]) spaces.push(s);
  if (spaces.length > 0 && uncoveredAt.length > 0) {
    const isSpace = sc.uint8(nS);
    for (const s of spaces) isSpace[s] = 1;
    const gain = sc.float64(nS);
    const K = Math.min(8, Math.max(2, a.options.candidatesPerLevel));
    const cs = new Int32Array(4 * K + 64), cd = new Float64Array(4 * K + 64), cv = new Int32Array(4 * K + 64);
    for (const level of ['emergency', 'fixed'] as SiteLevel[]) {
      const act: number[] = [];
      a.entrances.forEach((en, i) => { if (isSpace[en.siteIndex] && input.sites[en.siteIndex].level === level) act.push(i); });
      if (act.length === 0) continue;
      const lab = kNearestSearch(g, a.entrances, act, K, a.options.reachM[level]);
      for (const b of uncoveredAt) {
        if (snaps.edge[b] < 0) continue;
        const n = candidatesForSnap(g, lab, snaps.edge[b], snaps.fraction[b], K, cs, cd, cv, 0);
        for (let j = 0; j < n; j++) gain[cs[j]] += population[b];
      }
    }
    for (const s of spaces) if (gain[s] > 0) {
      const st = input.sites[s];
      addCapacity.push({ site: s, id: st.id, name: st.name, kind: 'new_space', level: st.level, suitsHazard: st.hazards.includes(a.options.hazard), people: unboxed(gain[s]) });
    }
  }
  if (allFull > 0) {
    const gain = sc.float64(nS);
    for (let b = 0; b < nB; b++) {
      if (a.reason[b] !== 2) continue;
      for (let k = candStart[b]; k < candStart[b + 1]; k++) gain[candSite[k]] += a.unplaced[b];
    }
    for (let s = 0; s < nS; s++) if (gain[s] > 0) {
      const st = input.sites[s];
      addCapacity.push({ site: s, id: st.id, name: st.name, kind: 'expand', level: st.level, suitsHazard: true, people: unboxed(gain[s]) });
    }
  }
  addCapacity.sort((x, y) => y.people - x.people || x.id - y.id);

  let uncovered: CoverageResult['uncovered'] | null = null;
  const snapEdge = snaps.edge;
  return {
    population: pop, coveredPopulation: covered, coveredShare: pop > 0 ? covered / pop : 0,
    get uncovered() { return (uncovered ??= uncoveredObjects(uncoveredAt, input.buildings, population, snapEdge)); },
    uncoveredCount: uncoveredAt.length,
    communities, zones,
    capacity: { total: totalCap, population: pop, shortfall: Math.max(0, pop - totalCap), unplacedAllFull: allFull },
    criticality, addCapacity,
  };
}

/** The uncovered entries of buildings `at`. */
function uncoveredObjects(at: number[], buildings: EngineInput['buildings'], population: Float64Array, snapEdge: Int32Array): CoverageResult['uncovered'] {
  const out: CoverageResult['uncovered'] = new Array(at.length);
  for (let i = 0; i < at.length; i++) {
    const b = at[i];
    out[i] = { building: b, id: buildings[b].id, people: unboxed(population[b]), reason: snapEdge[b] < 0 ? 'unreachable' : 'no_site_in_reach' };
  }
  return out;
}

/**
 * Eligible sites by coverage lost, then load (descending; ties in site order). A what-if of one community loads and
 * sole-covers a few of the city's 20k sites: the rest tie at (0, 0) and are already in site order, so only the others
 * go through the comparator (the same order as sorting them all, whenever every value is finite and ≥ 0).
 */
function sortCritical(critical: number[], lost: Float64Array, load: Float64Array): void {
  const byValue = (x: number, y: number) => lost[y] - lost[x] || load[y] - load[x] || x - y;
  const ranked: number[] = [], zero: number[] = [];
  for (const s of critical) {
    const l = lost[s], d = load[s];
    if (l === 0 && d === 0) zero.push(s);
    else if (l >= 0 && d >= 0 && l + d < Infinity) ranked.push(s);
    else { critical.sort(byValue); return; } // NaN, negative or infinite: the comparator alone decides
  }
  ranked.sort(byValue);
  let i = 0;
  for (const s of ranked) critical[i++] = s;
  for (const s of zero) critical[i++] = s;
}

// Area summaries come from a constructor, not an object literal: the literal's allocation site gets pretenured once its
// objects survive (the plan keeps them), and then each of the city's ~15k per call is allocated in the old generation —
// a community what-if's summaries took ~11 ms that way, ~3 ms now (see SignObject in signs.ts). With Object.prototype as
// the prototype these are the same plain objects: same prototype and constructor, same properties in the same order.
/** new AreaObject(...) = { id, name, buildings, population, coveredPopulation, coveredShare, assignedPopulation, unplacedPopulation, clearanceS, clearanceVulnerableS } */
const AreaObject = function (this: AreaSummary, id: number, name: string, buildings: number, population: number, coveredPopulation: number,
  coveredShare: number, assignedPopulation: number, unplacedPopulation: number, clearanceS: number, clearanceVulnerableS: number) {
  this.id = id; this.name = name; this.buildings = buildings; this.population = population; this.coveredPopulation = coveredPopulation;
  this.coveredShare = coveredShare; this.assignedPopulation = assignedPopulation; this.unplacedPopulation = unplacedPopulation;
  this.clearanceS = clearanceS; this.clearanceVulnerableS = clearanceVulnerableS;
} as unknown as new (id: number, name: string, buildings: number, population: number, coveredPopulation: number, coveredShare: number,
  assignedPopulation: number, unplacedPopulation: number, clearanceS: number, clearanceVulnerableS: number) => AreaSummary;
AreaObject.prototype = Object.prototype;

/**
 * The community of each building in `L` as an index into input.communities (−1: none; other buildings' entries are
 * left as they were); the last community with an id wins, as in a Map.
 */
function communityOfBuilding(input: EngineInput, L: Int32Array, sc: Scratch): Int32Array {
  const nB = input.buildings.length, cs = input.communities;
  const ids = communityIdColumn(input.buildings);
  const out = sc.int32(nB, false);
  for (let li = 0; li < L.length; li++) out[L[li]] = -1;
  let maxId = -1, dense = true;
  for (let i = 0; i < cs.length; i++) {
    const id = cs[i].id;
    if (!(Number.isInteger(id) && id >= 0)) { dense = false; break; }
    if (id > maxId) maxId = id;
  }
  if (dense && maxId < 4 * (cs.length + nB) + 1024) {
    const table = sc.int32(maxId + 1, false).fill(-1);
    for (let i = 0; i < cs.length; i++) table[cs[i].id] = i;
    for (let li = 0; li < L.length; li++) {
      const b = L[li];
      const c = ids[b];
      if (Number.isInteger(c) && c >= 0 && c <= maxId) out[b] = table[c];
    }
    return out;
  }
  const pos = new Map<number, number>();
  for (let i = 0; i < cs.length; i++) pos.set(cs[i].id, i);
  for (let li = 0; li < L.length; li++) { const b = L[li]; out[b] = pos.get(ids[b]) ?? -1; }
  return out;
}
