/**
 * Evacuation guides (疏散引导人员, issue 3 item 7): how many guides each building and each busy junction needs, and
 * which volunteers from the roster take which duties.
 *
 * The source document (Changzhou opinion on community civil defence, DOMAIN.md) asks for named evacuation guides
 * and a volunteer emergency team of 10–20 per community, but gives no guides-per-resident number. The rule below is
 * a planning assumption, every number an option (`GuideRule`):
 *   building (with people to evacuate): `perStairwell` (1) guide per stairwell
 *     + 1 per full `residentsPerGuide` (100) residents
 *     + for high-rises (≥ `highRiseFloors` = 10 floors) `highRiseExtraPerStairwell` (1) more per stairwell for every
 *       full 10 floors (a 33-storey tower with one stairwell: 1 + 3 + people/100);
 *   junction where ≥ `junctionMinPeople` (200) evacuees pass: 1 guide per started `junctionPeoplePerGuide` (500).
 *
 * Assignment: each guide slot is one duty; a volunteer takes at most `maxDuties` duties, never two at the same place.
 * Cost = distance from the volunteer's home building to the duty (straight line in a local metric projection, or the
 * caller's `distanceM`, e.g. network metres). Steps:
 *   1. candidates: each volunteer's nearest needs (Flatbush k-nearest), more when they run out;
 *   2. shortest-first greedy: (volunteer, need) pairs in ascending distance; with `balance`, in rounds where in round
 *      r a volunteer may hold at most min(r, maxDuties) duties, so duties are spread before anyone gets a second one;
 *      then augmenting paths (a holder of a full need moves on to a free one) so coverage is maximal;
 *   3. local search: move a duty to a nearer need with a free slot, or swap two volunteers' duties when that lowers
 *      the total distance (each step strictly lowers it, so it terminates); loads are unchanged, so fairness holds.
 * With no roster the result has the needs only, and shortfall = total needed.
 *
 * Pure code, no I/O.
 */
import Flatbush from 'flatbush';
import FlatQueue from 'flatqueue';
import { unboxed, type TakeView } from './alloc.ts';

export interface GuideBuilding {
  id: number;
  name?: string | null;
  /** People to evacuate from the building (assigned residents); 0 → no guide needed. */
  people: number;
  levels: number;
  /** Stairwells (default 1). */
  stairwells?: number;
  /** Door or representative point. */
  lon: number;
  lat: number;
}

export interface GuideJunction {
  /** Graph node (or −1); reported back. */
  nodeIndex: number;
  lon: number;
  lat: number;
  /** Evacuees passing the junction (flow). */
  people: number;
}

export interface GuideVolunteer {
  id: number;
  name: string;
  /** The volunteer's home building (an id in `buildings`, with or without people to evacuate). */
  homeBuildingId: number;
  maxDuties: number;
}

export interface GuideInput {
  buildings: GuideBuilding[];
  /** Junctions with their flows (e.g. the junction signs from computeSigns: nodeIndex, lon, lat, people). */
  junctions?: GuideJunction[];
  volunteers?: GuideVolunteer[] | null;
}

export interface GuideRule {
  perStairwell: number;
  residentsPerGuide: number;
  highRiseFloors: number;
  highRiseExtraPerStairwell: number;
  junctionMinPeople: number;
  junctionPeoplePerGuide: number;
}

export const DEFAULT_GUIDE_RULE: GuideRule = {
  perStairwell: 1,
  residentsPerGuide: 100,
  highRiseFloors: 10,
  highRiseExtraPerStairwell: 1,
  junctionMinPeople: 200,
  junctionPeoplePerGuide: 500,
};

export interface GuideOptions {
  rule?: Partial<GuideRule>;
  /** Distance (m) from volunteer `v`'s home to need `n` (indexes into input.volunteers / result.needs); Infinity = cannot. Default: straight line. */
  distanceM?: (volunteerIndex: number, needIndex: number) => number;
  /** Duties farther than this from a volunteer's home are not given to them. Default Infinity. */
  maxDistanceM?: number;
  /**
   * Spread duties: in round r nobody holds more than r duties, so everyone gets one before anyone gets a second
   * (fairer, at some cost in total distance). Default false: least total distance.
   */
  balance?: boolean;
  /**
   * Solve exactly (min-cost flow: most duties covered, then least total distance) when volunteers × needs is at most
   * this. Default 250,000 (a community or district roster); larger rosters use the heuristic. Not with `balance`.
   */
  exactLimit?: number;
}

export interface GuideNeed {
  id: string;
  kind: 'building' | 'junction';
  buildingIndex: number;
  buildingId: number | null;
  nodeIndex: number;
  lon: number;
  lat: number;
  people: number;
  guides: number;
  assigned: number;
  /** How `guides` was computed, e.g. "1 stairwell × 1 + 2 per 100 residents + 1 high-rise". */
  rule: string;
}

export interface GuideAssignment {
  volunteerIndex: number;
  volunteerId: number;
  volunteerName: string;
  needIndex: number;
  needId: string;
  distanceM: number;
}

export interface GuideResult {
  /** The needs as objects (made on first read). */
  readonly needs: GuideNeed[];
  /** needs.length, without making the objects */
  needCount: number;
  assignments: GuideAssignment[];
  shortfall: number;
  totalNeeded: number;
  totalAssigned: number;
  /** Volunteers whose home building is not in the input (not assigned). */
  volunteersWithoutHome: number[];
  /** Total distance of the assignment (m). */
  totalDistanceM: number;
}

const EARTH_R = 6_371_008.8;
const DEG = Math.PI / 180;

/** Guides a building needs under `rule`, with the explanation. */
export function buildingGuides(b: Pick<GuideBuilding, 'people' | 'levels' | 'stairwells'>, rule: GuideRule = DEFAULT_GUIDE_RULE): { guides: number; rule: string } {
  if (!(b.people > 0)) return { guides: 0, rule: 'no one to evacuate' };
  const wells = Math.max(1, Math.round(b.stairwells ?? 1));
  const base = wells * rule.perStairwell;
  const byPeople = rule.residentsPerGuide > 0 ? Math.floor(b.people / rule.residentsPerGuide) : 0;
  const high = rule.highRiseFloors > 0 && b.levels >= rule.highRiseFloors ? wells * rule.highRiseExtraPerStairwell * Math.floor(b.levels / rule.highRiseFloors) : 0;
  return { guides: base + byPeople + high, rule: buildingRuleText(wells, byPeople, high, b.levels, rule) };
}

function buildingRuleText(wells: number, byPeople: number, high: number, levels: number, rule: GuideRule): string {
  let text = `${wells} stairwell × ${rule.perStairwell}`;
  if (byPeople > 0) text += ` + ${byPeople} per ${rule.residentsPerGuide} residents`;
  if (high > 0) text += ` + ${high} high-rise (${levels} floors)`;
  return text;
}

/** Guides a junction needs under `rule` (0 below the flow threshold). */
export function junctionGuides(people: number, rule: GuideRule = DEFAULT_GUIDE_RULE): { guides: number; rule: string } {
  if (!(people >= rule.junctionMinPeople) || people <= 0) return { guides: 0, rule: `flow below ${rule.junctionMinPeople}` };
  const g = Math.max(1, Math.ceil(people / rule.junctionPeoplePerGuide));
  return { guides: g, rule: `${Math.round(people)} people, 1 per ${rule.junctionPeoplePerGuide}` };
}

/**
 * The input of `computeGuides` as columns (index i = building i / junction i): what `planGuides` passes straight
 * from the plan's arrays, with no object per building or junction.
 */
export interface GuideColumns {
  buildings: {
    count: number;
    id: ArrayLike<number>;
    people: ArrayLike<number>;
    levels: ArrayLike<number>;
    /** Stairwells per building (null: 1 each). */
    stairwells?: ArrayLike<number> | null;
    lon: ArrayLike<number>;
    lat: ArrayLike<number>;
  };
  junctions?: { count: number; nodeIndex: ArrayLike<number>; lon: ArrayLike<number>; lat: ArrayLike<number>; people: ArrayLike<number> } | null;
  volunteers?: GuideVolunteer[] | null;
}

export function computeGuides(input: GuideInput, options: GuideOptions = {}): GuideResult {
  const bs = input.buildings, nb = bs.length;
  const id = new Float64Array(nb), people = new Float64Array(nb), levels = new Float64Array(nb), lon = new Float64Array(nb), lat = new Float64Array(nb);
  let stairwells: Float64Array | null = null;
  for (let i = 0; i < nb; i++) {
    const b = bs[i];
    id[i] = b.id; people[i] = b.people; levels[i] = b.levels; lon[i] = b.lon; lat[i] = b.lat;
    if (b.stairwells != null) (stairwells ??= new Float64Array(nb).fill(1))[i] = b.stairwells;
  }
  const js = input.junctions ?? [], nj = js.length;
  const jNode = new Float64Array(nj), jLon = new Float64Array(nj), jLat = new Float64Array(nj), jPeople = new Float64Array(nj);
  for (let i = 0; i < nj; i++) { const j = js[i]; jNode[i] = j.nodeIndex; jLon[i] = j.lon; jLat[i] = j.lat; jPeople[i] = j.people; }
  return computeGuidesFromColumns({
    buildings: { count: nb, id, people, levels, stairwells, lon, lat },
    junctions: { count: nj, nodeIndex: jNode, lon: jLon, lat: jLat, people: jPeople },
    volunteers: input.volunteers,
  }, options);
}

/**
 * `computeGuides` on columns (same result as on the equivalent objects). `take` gives the result's need columns (a
 * plan's recycled spares, see planAllocator); by default they are new.
 */
export function computeGuidesFromColumns(input: GuideColumns, options: GuideOptions = {}, take?: TakeView): GuideResult {
  const rule: GuideRule = { ...DEFAULT_GUIDE_RULE, ...(options.rule ?? {}) };
  const bc = input.buildings, jc = input.junctions ?? null;
  const { junctionMinPeople, junctionPeoplePerGuide } = rule;
  // room for every building with people and every junction above the threshold (the rule may still skip some)
  let room = 0;
  for (let i = 0; i < bc.count; i++) if (bc.people[i] > 0) room++;
  if (jc) for (let i = 0; i < jc.count; i++) { const p = jc.people[i]; if (p >= junctionMinPeople && p > 0) room++; }
  const nc = needColumns(room, take);
  let L = 0, totalNeeded = 0;
  {
    // the rule texts repeat: one string per (stairwells, per-residents, high-rise, floors) combination
    const { perStairwell, residentsPerGuide, highRiseFloors, highRiseExtraPerStairwell } = rule;
    const texts = new Map<number, number>(), lowTexts = new Int32Array(1024).fill(-1);
    const text = (t: string) => { nc.texts.push(t); return nc.texts.length - 1; };
    const bId = bc.id, bPeople = bc.people, bLevels = bc.levels, bWells = bc.stairwells ?? null, bLon = bc.lon, bLat = bc.lat;
    for (let i = 0; i < bc.count; i++) {
      const people = bPeople[i];
      if (!(people > 0)) continue;
      const levels = bLevels[i];
      const wells = bWells ? Math.max(1, Math.round(bWells[i])) : 1;
      const byPeople = residentsPerGuide > 0 ? Math.floor(people / residentsPerGuide) : 0;
      const high = highRiseFloors > 0 && levels >= highRiseFloors ? wells * highRiseExtraPerStairwell * Math.floor(levels / highRiseFloors) : 0;
      const guides = wells * perStairwell + byPeople + high;
      if (!(guides > 0)) continue;
      let t: number;
      if (wells === 1 && high === 0 && byPeople < 1024) { // the usual case: one stairwell, no high-rise extra
        t = lowTexts[byPeople];
        if (t < 0) t = lowTexts[byPeople] = text(buildingRuleText(1, byPeople, 0, levels, rule));
      } else {
        // key = stairwells | high-rise | floors | per-residents in 6 + 12 + 10 + 16 bits (else no cache)
        const lv = high > 0 ? levels : 0;
        const key = wells < 64 && high >= 0 && high < 4096 && lv < 1024 && byPeople < 65536 && Number.isInteger(high) && Number.isInteger(lv)
          ? ((wells * 4096 + high) * 1024 + lv) * 65536 + byPeople : -1;
        const known = key >= 0 ? texts.get(key) : undefined;
        if (known !== undefined) t = known;
        else { t = text(buildingRuleText(wells, byPeople, high, levels, rule)); if (key >= 0) texts.set(key, t); }
      }
      nc.kind[L] = 0; nc.ref[L] = i; nc.id[L] = bId[i]; nc.lon[L] = bLon[i]; nc.lat[L] = bLat[i]; nc.people[L] = people; nc.guides[L] = guides;
      nc.rule[L++] = t;
      totalNeeded += guides;
    }
  }
  if (jc) {
    // one text per rounded flow (a Map: a preallocated table per call costs more than the few junctions)
    const texts = new Map<number, number>();
    const jNode = jc.nodeIndex, jPeople = jc.people, jLon = jc.lon, jLat = jc.lat;
    for (let i = 0; i < jc.count; i++) {
      const people = jPeople[i];
      if (!(people >= junctionMinPeople) || people <= 0) continue;
      const guides = Math.max(1, Math.ceil(people / junctionPeoplePerGuide));
      const r = Math.round(people);
      let t = texts.get(r);
      if (t === undefined) { nc.texts.push(`${r} people, 1 per ${junctionPeoplePerGuide}`); texts.set(r, (t = nc.texts.length - 1)); }
      nc.kind[L] = 1; nc.ref[L] = i; nc.id[L] = jNode[i]; nc.lon[L] = jLon[i]; nc.lat[L] = jLat[i]; nc.people[L] = people; nc.guides[L] = guides;
      nc.rule[L++] = t;
      totalNeeded += guides;
    }
  }
  nc.count = L;
  const volunteers = input.volunteers ?? [];
  // the need objects (a city: ~290k, ~50 MB of heap per plan) are made on first read: the plan's own stages and its
  // summaries read the columns and the totals
  let objects: GuideNeed[] | null = null;
  const result: GuideResult = {
    get needs(): GuideNeed[] { return (objects ??= needObjects(nc)); },
    needCount: L, assignments: [], shortfall: totalNeeded, totalNeeded, totalAssigned: 0, volunteersWithoutHome: [], totalDistanceM: 0,
  };
  if (volunteers.length === 0 || L === 0) return result;

  // ---- geometry: local equirectangular projection (metres) ---------------------------------------------------------
  let latSum = 0;
  for (let n = 0; n < L; n++) latSum += nc.lat[n];
  const lat0 = latSum / L;
  const kx = EARTH_R * DEG * Math.cos(lat0 * DEG), ky = EARTH_R * DEG;
  const nx = new Float64Array(L), ny = new Float64Array(L);
  for (let n = 0; n < L; n++) { nx[n] = nc.lon[n] * kx; ny[n] = nc.lat[n] * ky; }
  const homeById = new Map<number, number>();
  for (let i = 0; i < bc.count; i++) homeById.set(bc.id[i], i);
  const V = volunteers.length;
  const vx = new Float64Array(V), vy = new Float64Array(V), cap = new Int32Array(V);
  for (let v = 0; v < V; v++) {
    const h = homeById.get(volunteers[v].homeBuildingId);
    if (h === undefined) { result.volunteersWithoutHome.push(volunteers[v].id); continue; }
    vx[v] = bc.lon[h] * kx; vy[v] = bc.lat[h] * ky;
    cap[v] = Math.max(0, Math.floor(volunteers[v].maxDuties));
  }
  const maxDist = options.maxDistanceM ?? Infinity;
  const custom = options.distanceM;
  const cost = (v: number, n: number): number => {
    const d = custom ? custom(v, n) : Math.sqrt((vx[v] - nx[n]) ** 2 + (vy[v] - ny[n]) ** 2);
    return d <= maxDist ? d : Infinity;
  };

  const index = new Flatbush(L);
  for (let n = 0; n < L; n++) index.add(nx[n], ny[n], nx[n], ny[n]);
  index.finish();

  const free = new Int32Array(L); // slots still open per need
  for (let n = 0; n < L; n++) free[n] = nc.guides[n];
  const load = new Int32Array(V);
  const needVols: number[][] = Array.from({ length: L }, () => []);
  const volNeeds: number[][] = volunteers.map(() => []);
  const candidates: number[][] = volunteers.map(() => []);
  let open = totalNeeded;

  const exactLimit = options.exactLimit ?? 250_000;
  if (options.balance !== true && V * L <= exactLimit) {
    exactAssign(V, L, cap, free, cost, volNeeds, needVols);
    return finish();
  }

  // ---- 1 + 2: candidates and fair shortest-first greedy, widening candidates while volunteers and duties remain ----
  let maxCap = 0;
  for (let v = 0; v < V; v++) if (cap[v] > maxCap) maxCap = cap[v];
  let want = 16;
  const balance = options.balance === true;
  const searched = new Int32Array(V); // candidates fetched so far per volunteer (0 = none)
  let pv = new Int32Array(1024), pn = new Int32Array(1024), pc = new Float64Array(1024); // (volunteer, need, cost) pairs
  for (;;) {
    let m = 0;
    for (let v = 0; v < V; v++) {
      if (cap[v] === 0 || load[v] >= cap[v] || searched[v] >= L) continue;
      const k = Math.min(L, Math.max(want, 4 * cap[v]));
      if (k <= searched[v]) continue;
      const ids = index.neighbors(vx[v], vy[v], k, custom ? Infinity : maxDist);
      candidates[v] = ids;
      if (m + ids.length > pv.length) {
        const size = Math.max(2 * pv.length, m + ids.length);
        const v2 = new Int32Array(size), n2 = new Int32Array(size), c2 = new Float64Array(size);
        v2.set(pv.subarray(0, m)); n2.set(pn.subarray(0, m)); c2.set(pc.subarray(0, m));
        pv = v2; pn = n2; pc = c2;
      }
      for (const n of ids) {
        const c = cost(v, n);
        if (c < Infinity) { pv[m] = v; pn[m] = n; pc[m] = c; m++; }
      }
      searched[v] = ids.length < k ? L : k;
    }
    if (m === 0) break;
    const order = pairOrder(m, pv, pn, pc);
    for (let round = balance ? 1 : maxCap; round <= maxCap && open > 0; round++) {
      for (const i of order) {
        const v = pv[i], n = pn[i];
        if (free[n] === 0 || load[v] >= Math.min(round, cap[v]) || volNeeds[v].includes(n)) continue;
        free[n]--; load[v]++; open--;
        needVols[n].push(v); volNeeds[v].push(n);
      }
    }
    let spare = false;
    for (let v = 0; v < V && !spare; v++) if (load[v] < cap[v] && searched[v] < L) spare = true;
    if (open === 0 || !spare) break;
    want *= 4;
  }

  // ---- 2b: augmenting paths, so as many duties as possible are covered: a volunteer with spare capacity takes a
  // need that is full, one of its holders moves on to another need, …, until a need with a free slot is reached
  // (breadth-first over needs, moves restricted to each volunteer's candidates).
  if (open > 0) {
    const stamp = new Int32Array(L), pNeed = new Int32Array(L), pVol = new Int32Array(L);
    const queue = new Int32Array(L);
    let mark = 0;
    for (let v = 0; v < V && open > 0; v++) {
      while (load[v] < cap[v] && open > 0) {
        mark++;
        let head = 0, tail = 0, end = -1;
        for (const n of candidates[v]) {
          if (stamp[n] === mark || volNeeds[v].includes(n) || cost(v, n) === Infinity) continue;
          stamp[n] = mark; pNeed[n] = -1; pVol[n] = v;
          if (free[n] > 0) { end = n; break; }
          queue[tail++] = n;
        }
        while (end < 0 && head < tail) {
          const n = queue[head++];
          for (const w of needVols[n]) {
            for (const n2 of candidates[w]) {
              if (stamp[n2] === mark || volNeeds[w].includes(n2) || cost(w, n2) === Infinity) continue;
              stamp[n2] = mark; pNeed[n2] = n; pVol[n2] = w;
              if (free[n2] > 0) { end = n2; break; }
              queue[tail++] = n2;
            }
            if (end >= 0) break;
          }
        }
        if (end < 0) break; // no augmenting path for v
        free[end]--; open--; load[v]++;
        for (let cur = end; ; ) {
          const prev = pNeed[cur], w = pVol[cur];
          if (prev < 0) { volNeeds[w].push(cur); needVols[cur].push(w); break; }
          volNeeds[w][volNeeds[w].indexOf(prev)] = cur;
          remove(needVols[prev], w); needVols[cur].push(w);
          cur = prev;
        }
      }
    }
  }

  // ---- 3: local search (moves to nearer free slots, pairwise swaps), strictly decreasing total distance ------------
  const EPS = 1e-6;
  // Without a custom distance, each candidate list is in ascending straight-line distance (the k-nearest order), so
  // scans stop at the first candidate too far to help; SLACK (relative) covers rounding between the index's order
  // and `cost`, so the moves found are exactly those of the full scan.
  const sorted = !custom, SLACK = 1e-9;
  // Ejection chains need a need with a free slot near enough. nearFree[w]: a lower bound on the squared distance from
  // w's home to the nearest such need, computed when first asked for (valid while nearStamp[w] = stamp); needs that
  // gain a free slot afterwards are listed in `freed` and checked directly (past 64 of them, every bound is redone).
  const freeList = new Int32Array(L), freePos = new Int32Array(L).fill(-1);
  let nFree = 0;
  const track = (n: number) => {
    if (free[n] > 0) { if (freePos[n] < 0) { freePos[n] = nFree; freeList[nFree++] = n; } }
    else if (freePos[n] >= 0) { const last = freeList[--nFree]; freeList[freePos[n]] = last; freePos[last] = freePos[n]; freePos[n] = -1; }
  };
  for (let n = 0; n < L; n++) track(n);
  const nearFree = new Float64Array(V), nearStamp = new Int32Array(V), freed: number[] = [];
  let stamp = 0;
  const freeChanged = (n: number) => {
    const was = freePos[n] >= 0;
    track(n);
    if (!was && freePos[n] >= 0) { if (freed.length >= 64) { stamp++; freed.length = 0; } else freed.push(n); }
  };
  const isFree = (n: number) => free[n] > 0;
  const nearestFree2 = (w: number): number => {
    if (nearStamp[w] !== stamp) {
      nearStamp[w] = stamp;
      let best = Infinity;
      if (nFree <= 64) {
        for (let i = 0; i < nFree; i++) { const d2 = (vx[w] - nx[freeList[i]]) ** 2 + (vy[w] - ny[freeList[i]]) ** 2; if (d2 < best) best = d2; }
      } else {
        const near = index.neighbors(vx[w], vy[w], 1, Infinity, isFree);
        if (near.length) best = (vx[w] - nx[near[0]]) ** 2 + (vy[w] - ny[near[0]]) ** 2;
      }
      nearFree[w] = best;
    }
    return nearFree[w];
  };
  for (let pass = 0; pass < 50; pass++) {
    let improved = false;
    stamp++; freed.length = 0;
    for (let v = 0; v < V; v++) {
      const mine = volNeeds[v];
      for (let a = 0; a < mine.length; a++) {
        const n1 = mine[a];
        const c1 = cost(v, n1);
        for (const n2 of candidates[v]) {
          if (n2 === n1 || mine.includes(n2)) continue;
          const c2 = cost(v, n2);
          if (!(c2 < c1 - EPS)) {
            if (sorted && c2 >= c1 - EPS + SLACK * (1 + c1 + c2)) break; // the rest are no nearer
            continue;
          }
          if (free[n2] > 0) { // move v from n1 to the nearer free n2
            free[n2]--; free[n1]++; freeChanged(n2); freeChanged(n1);
            mine[a] = n2;
            remove(needVols[n1], v); needVols[n2].push(v);
            improved = true;
            break;
          }
          let done = false;
          for (const w of needVols[n2]) { // swap v's n1 with w's n2
            if (volNeeds[w].includes(n1)) continue;
            const delta = c2 + cost(w, n1) - c1 - cost(w, n2);
            if (delta < -EPS) {
              mine[a] = n2;
              volNeeds[w][volNeeds[w].indexOf(n2)] = n1;
              remove(needVols[n1], v); needVols[n1].push(w);
              remove(needVols[n2], w); needVols[n2].push(v);
              improved = done = true;
              break;
            }
          }
          if (done) break;
          // ejection chain: v takes w's place at n2, w moves on to a need with a free slot
          for (const w of needVols[n2]) {
            const cw = cost(w, n2);
            // straight-line candidates come nearest first: stop where even a free slot would not lower the total
            const lim = cw - (c2 - c1) - EPS + SLACK * (1 + cw + c1 + c2);
            if (sorted && !(lim > 0)) continue;
            const lim2 = lim * lim, wx = vx[w], wy = vy[w];
            if (sorted && !(nearestFree2(w) < lim2 * (1 + SLACK))) {
              let reach = false;
              for (let i = 0; i < freed.length && !reach; i++) { const dx = wx - nx[freed[i]], dy = wy - ny[freed[i]]; reach = dx * dx + dy * dy < lim2; }
              if (!reach) continue; // no need with a free slot is near enough
            }
            for (const n3 of candidates[w]) {
              if (sorted) { const dx = wx - nx[n3], dy = wy - ny[n3]; if (dx * dx + dy * dy >= lim2) break; }
              if (free[n3] === 0 || n3 === n2 || volNeeds[w].includes(n3)) continue;
              const delta = c2 - c1 + cost(w, n3) - cw;
              if (delta < -EPS) {
                mine[a] = n2;
                volNeeds[w][volNeeds[w].indexOf(n2)] = n3;
                free[n1]++; free[n3]--; freeChanged(n1); freeChanged(n3);
                remove(needVols[n1], v);
                remove(needVols[n2], w); needVols[n2].push(v);
                needVols[n3].push(w);
                improved = done = true;
                break;
              }
            }
            if (done) break;
          }
          if (done) break;
        }
      }
    }
    if (!improved) break;
  }

  return finish();

  function finish(): GuideResult {
  let total = 0;
  for (let v = 0; v < V; v++) {
    for (const n of volNeeds[v].slice().sort((a, b) => cost(v, a) - cost(v, b))) {
      const d = cost(v, n);
      total += d;
      nc.assigned[n]++;
      result.assignments.push({ volunteerIndex: v, volunteerId: volunteers[v].id, volunteerName: volunteers[v].name, needIndex: n, needId: needId(nc, n), distanceM: d });
    }
  }
  result.totalAssigned = result.assignments.length;
  result.shortfall = totalNeeded - result.totalAssigned;
  result.totalDistanceM = total;
  return result;
  }
}

/** A result's needs as columns (need n < count): buildings first, in input order, then junctions. */
interface NeedColumns {
  count: number;
  /** 0 building, 1 junction */
  kind: Uint8Array;
  /** the building's index, or the junction's index in the input columns */
  ref: Int32Array;
  /** the building's id, or the junction's node index */
  id: Float64Array;
  lon: Float64Array; lat: Float64Array; people: Float64Array; guides: Float64Array;
  assigned: Int32Array;
  /** index into texts */
  rule: Int32Array;
  texts: string[];
}

/** Columns for n needs (assigned zeroed; the rest is written need by need): from `take`, else views of one new buffer. */
function needColumns(n: number, take?: TakeView): NeedColumns {
  let f64: () => Float64Array, i32: () => Int32Array, u8: () => Uint8Array;
  if (take) { f64 = () => take('f64', n); i32 = () => take('i32', n); u8 = () => take('u8', n); }
  else {
    const buf = new ArrayBuffer(n * (5 * 8 + 3 * 4 + 1));
    let off = 0;
    f64 = () => { const a = new Float64Array(buf, off, n); off += 8 * n; return a; };
    i32 = () => { const a = new Int32Array(buf, off, n); off += 4 * n; return a; };
    u8 = () => new Uint8Array(buf, off, n);
  }
  const c: NeedColumns = {
    count: 0, id: f64(), lon: f64(), lat: f64(), people: f64(), guides: f64(), ref: i32(), assigned: i32(), rule: i32(), kind: u8(), texts: [],
  };
  c.assigned.fill(0);
  return c;
}

function needId(c: NeedColumns, n: number): string {
  const id = unboxed(c.id[n]);
  return c.kind[n] === 0 ? 'B-' + id : id >= 0 ? 'J-' + id : 'J-x' + c.ref[n];
}

function needObjects(c: NeedColumns): GuideNeed[] {
  const out: GuideNeed[] = new Array(c.count);
  for (let n = 0; n < c.count; n++) {
    const building = c.kind[n] === 0, id = unboxed(c.id[n]);
    out[n] = new NeedObject(needId(c, n), building ? 'building' : 'junction', building ? c.ref[n] : -1, building ? id : null, building ? -1 : id,
      c.lon[n], c.lat[n], unboxed(c.people[n]), unboxed(c.guides[n]), c.assigned[n], c.texts[c.rule[n]]);
  }
  return out;
}

// A constructor rather than an object literal, as the signs' (signs.ts): literals' allocation sites get pretenured.
/** new NeedObject(...) = { id, kind, buildingIndex, buildingId, nodeIndex, lon, lat, people, guides, assigned, rule } */
const NeedObject = function (this: GuideNeed, id: string, kind: GuideNeed['kind'], buildingIndex: number, buildingId: number | null,
  nodeIndex: number, lon: number, lat: number, people: number, guides: number, assigned: number, rule: string) {
  this.id = id; this.kind = kind; this.buildingIndex = buildingIndex; this.buildingId = buildingId; this.nodeIndex = nodeIndex;
  this.lon = lon; this.lat = lat; this.people = people; this.guides = guides; this.assigned = assigned; this.rule = rule;
} as unknown as new (id: string, kind: GuideNeed['kind'], buildingIndex: number, buildingId: number | null, nodeIndex: number, lon: number,
  lat: number, people: number, guides: number, assigned: number, rule: string) => GuideNeed;
NeedObject.prototype = Object.prototype;

/**
 * Exact assignment as a min-cost flow: source → volunteer (capacity maxDuties) → need (capacity 1 per pair, cost =
 * distance) → sink (capacity = guides needed). Successive shortest paths with Dijkstra on reduced costs (Johnson
 * potentials; all costs start ≥ 0): each augmentation adds one duty along the cheapest path, so the result covers as
 * many duties as possible at the least total distance. O(flow × E log V), E = volunteers × needs.
 */
function exactAssign(V: number, L: number, cap: Int32Array, demand: Int32Array, cost: (v: number, n: number) => number,
  volNeeds: number[][], needVols: number[][]): void {
  const S = V + L, T = V + L + 1, NN = V + L + 2;
  const to: number[] = [], capA: number[] = [], costA: number[] = [], next: number[] = [];
  const head = new Int32Array(NN).fill(-1);
  const add = (a: number, b: number, c: number, w: number) => {
    to.push(b); capA.push(c); costA.push(w); next.push(head[a]); head[a] = to.length - 1;
    to.push(a); capA.push(0); costA.push(-w); next.push(head[b]); head[b] = to.length - 1;
  };
  let supply = 0, need = 0;
  for (let v = 0; v < V; v++) if (cap[v] > 0) { add(S, v, cap[v], 0); supply += cap[v]; }
  for (let n = 0; n < L; n++) if (demand[n] > 0) { add(V + n, T, demand[n], 0); need += demand[n]; }
  for (let v = 0; v < V; v++) {
    if (cap[v] === 0) continue;
    for (let n = 0; n < L; n++) {
      if (demand[n] === 0) continue;
      const c = cost(v, n);
      if (c < Infinity) add(v, V + n, 1, c);
    }
  }
  const pot = new Float64Array(NN), dist = new Float64Array(NN), prevArc = new Int32Array(NN);
  const q = new FlatQueue<number>();
  for (let flow = 0; flow < Math.min(supply, need); flow++) {
    dist.fill(Infinity); prevArc.fill(-1);
    dist[S] = 0; q.clear(); q.push(S, 0);
    while (q.length > 0) {
      const d = q.peekValue()!, u = q.pop()!;
      if (d > dist[u]) continue;
      for (let a = head[u]; a >= 0; a = next[a]) {
        if (capA[a] <= 0) continue;
        const w = to[a];
        const nd = d + costA[a] + pot[u] - pot[w];
        if (nd < dist[w] - 1e-9) { dist[w] = nd; prevArc[w] = a; q.push(w, nd); }
      }
    }
    if (dist[T] === Infinity) break;
    for (let u = 0; u < NN; u++) if (dist[u] < Infinity) pot[u] += dist[u];
    for (let w = T; w !== S; ) { const a = prevArc[w]; capA[a]--; capA[a ^ 1]++; w = to[a ^ 1]; }
  }
  // read the volunteer → need arcs that carry flow
  for (let v = 0; v < V; v++) {
    for (let a = head[v]; a >= 0; a = next[a]) {
      const w = to[a];
      if (w >= V && w < V + L && (a & 1) === 0 && capA[a] === 0) {
        const n = w - V;
        volNeeds[v].push(n); needVols[n].push(v);
        demand[n]--;
      }
    }
  }
}

function remove(list: number[], x: number): void {
  const i = list.indexOf(x);
  if (i >= 0) { list[i] = list[list.length - 1]; list.pop(); }
}

/**
 * Pair indexes 0..m−1 in ascending (cost, volunteer, need) order — the order of the comparator
 * `pc[a] − pc[b] || pv[a] − pv[b] || pn[a] − pn[b]` — by an LSD radix sort on 16-bit digits (need, volunteer, then
 * the cost's IEEE bits, which order like the numbers for costs ≥ +0). Negative or −0 costs (a caller's distance):
 * the comparator sort.
 */
function pairOrder(m: number, pv: Int32Array, pn: Int32Array, pc: Float64Array): Uint32Array {
  let a = new Uint32Array(m);
  for (let i = 0; i < m; i++) a[i] = i;
  let plain = true;
  for (let i = 0; i < m && plain; i++) if (pc[i] < 0 || Object.is(pc[i], -0) || pv[i] < 0 || pn[i] < 0) plain = false;
  if (!plain) return a.sort((x, y) => pc[x] - pc[y] || pv[x] - pv[y] || pn[x] - pn[y]);
  const bits = new Uint32Array(pc.buffer, pc.byteOffset, 2 * m); // little-endian: [2i] low word, [2i + 1] high word
  const little = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  let b = new Uint32Array(m);
  const count = new Int32Array(65536);
  // least significant digit first
  const passes: [Uint32Array | Int32Array, number, number, number][] = [
    [pn, 1, 0, 0], [pn, 1, 0, 16], [pv, 1, 0, 0], [pv, 1, 0, 16],
    [bits, 2, little ? 0 : 1, 0], [bits, 2, little ? 0 : 1, 16], [bits, 2, little ? 1 : 0, 0], [bits, 2, little ? 1 : 0, 16],
  ];
  for (const [key, stride, off, shift] of passes) {
    count.fill(0);
    for (let i = 0; i < m; i++) count[(key[i * stride + off] >>> shift) & 0xffff]++;
    let single = false;
    for (let d = 0; d < 65536; d++) if (count[d] !== 0) { single = count[d] === m; break; }
    if (single) continue; // every item has the same digit
    let sum = 0;
    for (let d = 0; d < 65536; d++) { const c = count[d]; count[d] = sum; sum += c; }
    for (let i = 0; i < m; i++) { const x = a[i]; b[count[(key[x * stride + off] >>> shift) & 0xffff]++] = x; }
    const t = a; a = b; b = t;
  }
  return a;
}
