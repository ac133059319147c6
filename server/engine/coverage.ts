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
  uncovered: { building: number; id: number; people: number; reason: 'unreachable' | 'no_site_in_reach' }[];
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
  included: Uint8Array;
  population: Float64Array;
  snaps: BuildingSnaps;
  entrances: Entrance[];
  eligible: Uint8Array;
  candStart: Int32Array;
  candSite: Int32Array;
  zoneOf: Int32Array;
  groupsKeys: string[];
  unplaced: Float64Array;
  reason: Uint8Array;
  load: Float64Array;
  capacity: Float64Array;
  flows: FlowResult;
  routes: RouteTable;
  siteResults: SiteResult[];
}

export function computeCoverage(a: CoverageArgs): CoverageResult {
  const { g, input, included, population, snaps, candStart, candSite } = a;
  const nB = input.buildings.length, nS = input.sites.length;
  let pop = 0, covered = 0;
  const uncovered: CoverageResult['uncovered'] = [];
  const isCovered = new Uint8Array(nB);
  const lost = new Float64Array(nS);
  for (let b = 0; b < nB; b++) {
    if (!included[b]) continue;
    pop += population[b];
    const n = candStart[b + 1] - candStart[b];
    if (n > 0) { covered += population[b]; isCovered[b] = 1; }
    else if (population[b] > 0) uncovered.push({ building: b, id: input.buildings[b].id, people: population[b], reason: snaps.edge[b] < 0 ? 'unreachable' : 'no_site_in_reach' });
    if (n === 1) lost[candSite[candStart[b]]] += population[b];
  }
  for (let s = 0; s < nS; s++) a.siteResults[s].coverageLost = lost[s];

  // per-part clearance by building (max over parts)
  const bClear = new Float64Array(nB), bClearV = new Float64Array(nB), bAssigned = new Float64Array(nB);
  for (let p = 0; p < a.routes.partBuilding.length; p++) {
    const b = a.routes.partBuilding[p];
    bClear[b] = Math.max(bClear[b], a.flows.clearance[p]);
    bClearV[b] = Math.max(bClearV[b], a.flows.clearanceVulnerable[p]);
    bAssigned[b] += a.routes.partPeople[p];
  }
  const summarise = (keyOf: (b: number) => number, areas: { id: number; name: string }[], byIndex: boolean): AreaSummary[] => {
    const pos = new Map<number, number>();
    const out: AreaSummary[] = areas.map((ar, i) => {
      pos.set(byIndex ? i : ar.id, i);
      return { id: ar.id, name: ar.name, buildings: 0, population: 0, coveredPopulation: 0, coveredShare: 0, assignedPopulation: 0, unplacedPopulation: 0, clearanceS: 0, clearanceVulnerableS: 0 };
    });
    for (let b = 0; b < nB; b++) {
      if (!included[b]) continue;
      const i = pos.get(keyOf(b));
      if (i === undefined) continue;
      const s = out[i];
      s.buildings++; s.population += population[b];
      if (isCovered[b]) s.coveredPopulation += population[b];
      s.assignedPopulation += bAssigned[b]; s.unplacedPopulation += a.unplaced[b];
      s.clearanceS = Math.max(s.clearanceS, bClear[b]); s.clearanceVulnerableS = Math.max(s.clearanceVulnerableS, bClearV[b]);
    }
    for (const s of out) s.coveredShare = s.population > 0 ? s.coveredPopulation / s.population : 0;
    return out;
  };
  const communities = summarise((b) => input.buildings[b].communityId ?? NaN, input.communities, false);
  const zones = summarise((b) => a.zoneOf[b], input.zones.map((z) => ({ id: z.id, name: z.name })), true);

  let totalCap = 0, allFull = 0;
  for (let s = 0; s < nS; s++) if (a.eligible[s]) totalCap += input.sites[s].capacity;
  for (let b = 0; b < nB; b++) if (a.reason[b] === 2) allFull += a.unplaced[b];

  const criticality = a.siteResults.filter((s) => s.eligible)
    .map((s) => ({ site: s.index, id: s.id, coverageLost: s.coverageLost, assigned: s.load }))
    .sort((x, y) => y.coverageLost - x.coverageLost || y.assigned - x.assigned);

  // where to add capacity
  const addCapacity: CoverageResult['addCapacity'] = [];
  const spaces: number[] = [];
  for (let s = 0; s < nS; s++) {
    const st = input.sites[s];
    if (!a.eligible[s] && (st.candidate || st.status === 'closed')) spaces.push(s);
  }
  if (spaces.length > 0 && uncovered.length > 0) {
    const isSpace = new Uint8Array(nS);
    for (const s of spaces) isSpace[s] = 1;
    const gain = new Float64Array(nS);
    const K = Math.min(8, Math.max(2, a.options.candidatesPerLevel));
    const cs = new Int32Array(4 * K + 64), cd = new Float64Array(4 * K + 64), cv = new Int32Array(4 * K + 64);
    for (const level of ['emergency', 'fixed'] as SiteLevel[]) {
      const act: number[] = [];
      a.entrances.forEach((en, i) => { if (isSpace[en.siteIndex] && input.sites[en.siteIndex].level === level) act.push(i); });
      if (act.length === 0) continue;
      const lab = kNearestSearch(g, a.entrances, act, K, a.options.reachM[level]);
      for (const u of uncovered) {
        if (snaps.edge[u.building] < 0) continue;
        const n = candidatesForSnap(g, lab, snaps.edge[u.building], snaps.fraction[u.building], K, cs, cd, cv, 0);
        for (let j = 0; j < n; j++) gain[cs[j]] += u.people;
      }
    }
    for (const s of spaces) if (gain[s] > 0) {
      const st = input.sites[s];
      addCapacity.push({ site: s, id: st.id, name: st.name, kind: 'new_space', level: st.level, suitsHazard: st.hazards.includes(a.options.hazard), people: gain[s] });
    }
  }
  if (allFull > 0) {
    const gain = new Float64Array(nS);
    for (let b = 0; b < nB; b++) {
      if (a.reason[b] !== 2) continue;
      for (let k = candStart[b]; k < candStart[b + 1]; k++) gain[candSite[k]] += a.unplaced[b];
    }
    for (let s = 0; s < nS; s++) if (gain[s] > 0) {
      const st = input.sites[s];
      addCapacity.push({ site: s, id: st.id, name: st.name, kind: 'expand', level: st.level, suitsHazard: true, people: gain[s] });
    }
  }
  addCapacity.sort((x, y) => y.people - x.people || x.id - y.id);

  return {
    population: pop, coveredPopulation: covered, coveredShare: pop > 0 ? covered / pop : 0, uncovered,
    communities, zones,
    capacity: { total: totalCap, population: pop, shortfall: Math.max(0, pop - totalCap), unplacedAllFull: allFull },
    criticality, addCapacity,
  };
}
