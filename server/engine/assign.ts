/**
 * Capacity-aware assignment of buildings (people) to sites.
 *
 * Problem: building b has p_b people and a candidate list of sites within reach (ascending network distance d_bs,
 * already restricted by level reach and planners' zones). Each site s holds at most c_s people. Minimise total
 * person-metres Σ p_b·d_bs, one site per building, placing as many people as possible.
 *
 * - One site per building is a generalised assignment problem (NP-hard). We use regret greedy (the building
 *   that would lose most by not getting its best feasible site goes first; regret = p_b·(d₂ − d₁)), then local
 *   search: shift (move a building to a closer site with room), swap (exchange two buildings between sites), and
 *   ejection (free room for unplaced people by shifting another building away). When a building fits nowhere
 *   whole it is split across its nearest sites with room and flagged; what still does not fit is unplaced.
 * - If everyone fits at their nearest candidate the greedy is skipped: that assignment is optimal.
 * - Overloaded components of the building–site graph within the `exactWork` budget are instead solved exactly as a
 *   split (transportation) problem by `minCostFlowSites` (successive shortest paths on the site graph) and rounded
 *   to one site per building where room allows; local search then polishes.
 * - `minCostFlowLowerBound` solves the same split relaxation by successive shortest paths over building and site
 *   nodes — slow, kept as the reference for tests and for the plan's reported lower bound; its cost is a lower bound
 *   for the one-site-per-building problem (tests: gap ≤ 5 %).
 */
import FlatQueue from 'flatqueue';
import { budgetedBuffer, type Block, type BufferPool } from './alloc.ts';

export interface AssignProblem {
  nB: number;
  population: Float64Array;
  nS: number;
  capacity: Float64Array;
  /** Candidates of building b: candStart[b] .. candStart[b+1]-1, ascending by distance, distinct sites. */
  candStart: Int32Array;
  candSite: Int32Array;
  candDist: Float64Array;
}

export interface AssignResult {
  /** Parts of building b: partStart[b] .. partStart[b+1]-1 (0 parts = nobody placed; >1 = split). */
  partStart: Int32Array;
  /** Candidate index (into candSite/candDist) of each part. */
  partCand: Int32Array;
  partPeople: Float64Array;
  /** People per site. */
  load: Float64Array;
  /** People of each building left unplaced. */
  unplaced: Float64Array;
  split: Uint8Array;
  /** Σ people × distance over placed people. */
  cost: number;
  placed: number;
  stats: { fastPath: boolean; exactComponents: number; greedyReinserts: number; shifts: number; swaps: number; ejections: number; passes: number };
}

export interface AssignOptions {
  /** local-search passes (each pass tries shift, swap, ejection for every building not at its best site) */
  maxPasses?: number;
  /** swap partners examined per (building, site) */
  swapScan?: number;
  /** budget (Σ candidate arcs, i.e. buildings × their candidates) of the overloaded components solved exactly
   *  (site-graph min-cost flow + rounding), smallest first; the rest use regret greedy + local search */
  exactWork?: number;
  /** local search re-examines every building each pass instead of passing over those whose last failed attempt
   *  read nothing that changed since (same result; for tests) */
  recheckAll?: boolean;
  /** where the exact solver's scratch comes from and goes back to at the end of the call (a plan passes its graph's
   *  stage buffers, alloc.ts: the signs then reuse that memory); without it the scratch is kept between calls */
  buffers?: BufferPool;
}

/**
 * Default `exactWork`: 2 M candidate arcs (≈ 0.7 s typical, ≈ 3 s if nearly every site is full, at the rates in
 * `minCostFlowSites`' notes) — a whole 200 k-building city (0.6 M arcs in one overloaded component) is solved exactly,
 * in about half the time regret greedy + local search takes on it, placing more people. Regret greedy stays the
 * fallback for larger components.
 */
export const EXACT_WORK = 2e6;

const EPS = 1e-9;

type NumArray = Int32Array | Float64Array | Uint8Array;
type NumArrayCtor<A extends NumArray> = { new (buffer: ArrayBufferLike, byteOffset: number, length: number): A; BYTES_PER_ELEMENT: number };

/**
 * Typed scratch arrays of the exact solver, reused across its calls instead of allocated per call: each is a view of
 * a named buffer that grows as needed. A view is valid until its name is taken again (by the next call using the same
 * scratch), so results built on it must be consumed before that.
 */
export class AssignScratch {
  private bufs = new Map<string, Block>();
  /** bytes held */
  bytes = 0;
  /** `pool`: the buffers come from it (contents as left) and go back with `release`; else they are new, and kept */
  constructor(readonly pool: BufferPool | null = null) {}
  /** n elements (with `atLeast`: all the buffer holds, ≥ n) of the named buffer, filled with `fill` (left as they are
   *  when omitted: the caller writes before it reads) */
  take<A extends NumArray>(name: string, Ctor: NumArrayCtor<A>, n: number, fill?: number, atLeast = false): A {
    const need = n * Ctor.BYTES_PER_ELEMENT;
    let blk = this.bufs.get(name);
    let zeroed = false;
    if (!blk || blk.bytes < need) {
      if (blk) this.pool?.give(blk);
      const made = this.made(need);
      this.bytes += made.blk.bytes - (blk?.bytes ?? 0);
      this.bufs.set(name, (blk = made.blk));
      zeroed = made.zeroed;
    }
    const a = new Ctor(blk.buffer, blk.offset, atLeast ? Math.floor(blk.bytes / Ctor.BYTES_PER_ELEMENT) : n);
    if (fill !== undefined && !(zeroed && fill === 0)) a.fill(fill);
    return a;
  }
  /** the named array grown to n elements, keeping `old`'s content (new elements are 0) */
  grow<A extends NumArray>(name: string, Ctor: NumArrayCtor<A>, old: A, n: number): A {
    const { blk, zeroed } = this.made(n * Ctor.BYTES_PER_ELEMENT);
    const prev = this.bufs.get(name);
    this.bytes += blk.bytes - (prev?.bytes ?? 0);
    this.bufs.set(name, blk);
    const a = new Ctor(blk.buffer, blk.offset, n);
    a.set(old);
    if (!zeroed) a.fill(0, old.length);
    if (prev) this.pool?.give(prev);
    return a;
  }
  /** Gives every buffer back to the pool (with one; the views handed out are dead from here). */
  release(): void {
    if (!this.pool) return;
    for (const blk of this.bufs.values()) this.pool.give(blk);
    this.bufs.clear();
    this.bytes = 0;
  }
  private made(bytes: number): { blk: Block; zeroed: boolean } {
    if (!this.pool) return { blk: { buffer: budgetedBuffer(bytes), offset: 0, bytes }, zeroed: true };
    const reused = this.pool.reused;
    const blk = this.pool.take(bytes);
    return { blk, zeroed: this.pool.reused === reused };
  }
}

/** scratch kept between assign() calls: strongly up to this size, above it weakly (until the next garbage collection) */
const KEEP_SCRATCH_BYTES = 32 << 20;
let keptScratch: AssignScratch | undefined;
let weakScratch: WeakRef<AssignScratch> | undefined;

type SplitPart = { b: number; cand: number; people: number };

/** The result's parts (whole assignments `cur`, then split parts in the order they were made), loads and totals. */
function finish(pb: AssignProblem, live: Int32Array, cur: Int32Array, splitCount: Int32Array, splitParts: SplitPart[],
  unplaced: Float64Array, split: Uint8Array, stats: AssignResult['stats']): AssignResult {
  const { nB, nS, population: pop, candSite, candDist } = pb;
  const partStart = new Int32Array(nB + 1);
  for (let b = 0; b < nB; b++) {
    const n = (cur[b] >= 0 ? 1 : 0) + splitCount[b];
    partStart[b + 1] = partStart[b] + n;
    if (n > 1) split[b] = 1;
  }
  const P = partStart[nB];
  const partCand = new Int32Array(P), partPeople = new Float64Array(P);
  for (let li = 0; li < live.length; li++) { const b = live[li]; if (cur[b] >= 0) { partCand[partStart[b]] = cur[b]; partPeople[partStart[b]] = pop[b]; } }
  if (splitParts.length > 0) {
    const fillAt = new Int32Array(nB);
    for (const p of splitParts) {
      if (fillAt[p.b] === 0) fillAt[p.b] = partStart[p.b] + (cur[p.b] >= 0 ? 1 : 0);
      const i = fillAt[p.b]++;
      partCand[i] = p.cand; partPeople[i] = p.people;
    }
  }
  const finalLoad = new Float64Array(nS);
  let cost = 0, placed = 0;
  for (let j = 0; j < P; j++) {
    finalLoad[candSite[partCand[j]]] += partPeople[j];
    cost += partPeople[j] * candDist[partCand[j]];
    placed += partPeople[j];
  }
  return { partStart, partCand, partPeople, load: finalLoad, unplaced, split, cost, placed, stats };
}

/** Buildings with people and candidates, ascending; adds their people to `load` at their nearest site and marks
 *  people without a candidate `unplaced` (they are in any case). (Small functions: V8 optimises them early.) */
function liveBuildings(pb: AssignProblem, load: Float64Array, unplaced: Float64Array): Int32Array {
  const { nB, population: pop, candStart, candSite } = pb;
  let nLive = 0;
  for (let b = 0; b < nB; b++) {
    if (pop[b] <= 0) continue;
    if (candStart[b] < candStart[b + 1]) nLive++;
    else unplaced[b] = pop[b];
  }
  const live = new Int32Array(nLive);
  for (let b = 0, i = 0; b < nB; b++) {
    if (pop[b] <= 0) continue;
    if (candStart[b] < candStart[b + 1]) { load[candSite[candStart[b]]] += pop[b]; live[i++] = b; }
  }
  return live;
}

export function assign(pb: AssignProblem, opts: AssignOptions = {}): AssignResult {
  const { nB, nS, population: pop, capacity: cap, candStart, candSite, candDist } = pb;
  const maxPasses = opts.maxPasses ?? 8;
  const swapScan = opts.swapScan ?? 64;
  const load = new Float64Array(nS);
  // current single assignment: candidate index, -1 = none / split handled separately
  const cur = new Int32Array(nB).fill(-1);
  const unplaced = new Float64Array(nB);
  const split = new Uint8Array(nB);
  const splitParts: SplitPart[] = [];
  const splitCount = new Int32Array(nB);
  const stats = { fastPath: false, exactComponents: 0, greedyReinserts: 0, shifts: 0, swaps: 0, ejections: 0, passes: 0 };

  // Fast path: everyone at the nearest candidate. Buildings with people and candidates ("live", ascending) are the
  // only ones the loops below need to visit.
  const live = liveBuildings(pb, load, unplaced), nLive = live.length;
  let overloaded = false;
  for (let s = 0; s < nS; s++) if (load[s] > cap[s] + EPS) { overloaded = true; break; }
  if (!overloaded) {
    stats.fastPath = true;
    for (let li = 0; li < live.length; li++) { const b = live[li]; cur[b] = candStart[b]; }
    return finish(pb, live, cur, splitCount, splitParts, unplaced, split, stats);
  }
  load.fill(0);

  // Decompose: components of the building–site candidate graph (union-find over sites). A component without an
  // overloaded site keeps everyone at the nearest site (optimal there). Overloaded components are solved exactly
  // (site-graph min-cost flow + rounding) within the exactWork budget, else by regret greedy; local search polishes both.
  const parent = Int32Array.from({ length: nS }, (_, i) => i);
  const find = (x: number): number => { while (parent[x] !== x) { parent[x] = parent[parent[x]]; x = parent[x]; } return x; };
  for (let li = 0; li < live.length; li++) {
    const b = live[li];
    const r0 = find(candSite[candStart[b]]);
    for (let k = candStart[b] + 1; k < candStart[b + 1]; k++) { const r = find(candSite[k]); if (r !== r0) parent[r] = r0; }
  }
  const nearLoad = new Float64Array(nS);
  for (let li = 0; li < live.length; li++) { const b = live[li]; nearLoad[candSite[candStart[b]]] += pop[b]; }
  const compOver = new Uint8Array(nS);
  for (let s = 0; s < nS; s++) if (nearLoad[s] > cap[s] + EPS) compOver[find(s)] = 1;
  // overloaded components, numbered by their first (lowest) building; their buildings ascending, grouped by a
  // counting sort into compB[compAt[c] .. compAt[c + 1]-1]; work = Σ candidate arcs
  const compOf = new Int32Array(nS).fill(-1); // root site → component number
  const rootOf = new Int32Array(nLive); // per live building: its root, then its component (−1 = not overloaded)
  for (let i = 0; i < nLive; i++) rootOf[i] = find(candSite[candStart[live[i]]]);
  let nComp = 0;
  const compCount: number[] = [], compWork: number[] = [];
  for (let i = 0; i < nLive; i++) {
    const b = live[i], r = rootOf[i];
    if (!compOver[r]) { cur[b] = candStart[b]; load[candSite[cur[b]]] += pop[b]; rootOf[i] = -1; continue; }
    let c = compOf[r];
    if (c < 0) { c = compOf[r] = nComp++; compCount.push(0); compWork.push(0); }
    rootOf[i] = c;
    compCount[c]++;
    compWork[c] += candStart[b + 1] - candStart[b];
  }
  const compAt = new Int32Array(nComp + 1);
  for (let c = 0; c < nComp; c++) compAt[c + 1] = compAt[c] + compCount[c];
  const compB = new Int32Array(compAt[nComp]);
  {
    const fill = compAt.slice(0, nComp);
    for (let i = 0; i < nLive; i++) if (rootOf[i] >= 0) compB[fill[rootOf[i]]++] = live[i];
  }
  const greedyList: number[] = [];
  const exactWork = opts.exactWork ?? EXACT_WORK;
  // exactWork is a budget over all components (smallest first, ties by first building), in candidate arcs: the
  // site-graph solver's time grows about linearly with them (see EXACT_WORK)
  const compOrder = Array.from({ length: nComp }, (_, c) => c).sort((x, y) => compWork[x] - compWork[y] || x - y);
  let budget = exactWork;
  // buildings of exactly solved components: their placement is already the maximum (the split optimum's), so the
  // ejection step of the local search cannot place more of them and skips them
  const exact = new Uint8Array(nB);
  let scratch: AssignScratch | undefined, reservedScratch: Float64Array | undefined;
  for (const c of compOrder) {
    const list = compB.subarray(compAt[c], compAt[c + 1]);
    if (compWork[c] <= budget) { budget -= compWork[c]; solveExact(list); }
    else for (const b of list) greedyList.push(b);
  }
  if (scratch?.pool) scratch.release();
  else if (scratch) {
    if (scratch.bytes <= KEEP_SCRATCH_BYTES) { keptScratch = scratch; weakScratch = undefined; }
    else { keptScratch = undefined; weakScratch = new WeakRef(scratch); }
  }

  function solveExact(list: Int32Array) {
    stats.exactComponents++;
    scratch ??= opts.buffers ? new AssignScratch(opts.buffers) : keptScratch ?? weakScratch?.deref() ?? new AssignScratch();
    const sub = subProblem(pb, list, true, scratch);
    const lp = minCostFlowSites(sub.problem, undefined, scratch);
    // Round: buildings the LP sends whole to one site go there; the split ones (few: a basic optimal solution
    // splits at most #sites − 1 buildings) go whole where room is left without touching other split buildings'
    // reserved flow, else keep the LP split. Placement therefore equals the LP's.
    const reserved = (reservedScratch ??= new Float64Array(nS));
    const splitB: number[] = [];
    for (let i = 0; i < list.length; i++) {
      const b = list[i];
      exact[b] = 1;
      const base = sub.problem.candStart[i];
      let nz = 0, kk = -1, sum = 0;
      for (let k = base; k < sub.problem.candStart[i + 1]; k++) if (lp.flow[k] > EPS) { nz++; kk = k; sum += lp.flow[k]; }
      if (nz === 1 && sum >= pop[b] - EPS) { cur[b] = candStart[b] + (kk - base); load[candSite[cur[b]]] += pop[b]; }
      else if (nz === 0) unplaced[b] = pop[b];
      else {
        splitB.push(i);
        for (let k = base; k < sub.problem.candStart[i + 1]; k++) if (lp.flow[k] > EPS) reserved[candSite[candStart[b] + (k - base)]] += lp.flow[k];
      }
    }
    for (const i of splitB) {
      const b = list[i];
      const base = sub.problem.candStart[i];
      for (let k = base; k < sub.problem.candStart[i + 1]; k++) if (lp.flow[k] > EPS) reserved[candSite[candStart[b] + (k - base)]] -= lp.flow[k];
      let whole = -1;
      for (let k = candStart[b]; k < candStart[b + 1]; k++) {
        const s = candSite[k];
        if (cap[s] - load[s] - reserved[s] + EPS >= pop[b]) { whole = k; break; }
      }
      if (whole >= 0) { cur[b] = whole; load[candSite[whole]] += pop[b]; continue; }
      let placedHere = 0;
      for (let k = base; k < sub.problem.candStart[i + 1]; k++) {
        if (lp.flow[k] <= EPS) continue;
        const gk = candStart[b] + (k - base);
        splitParts.push({ b, cand: gk, people: lp.flow[k] });
        splitCount[b]++;
        load[candSite[gk]] += lp.flow[k];
        placedHere += lp.flow[k];
      }
      if (splitCount[b] > 1) split[b] = 1;
      unplaced[b] = pop[b] - placedHere > EPS ? pop[b] - placedHere : 0;
    }
    for (const i of splitB) for (let k = candStart[list[i]]; k < candStart[list[i] + 1]; k++) reserved[candSite[k]] = 0;
  }

  // Regret greedy.
  const heap = new FlatQueue<number>();
  const BIG = 1e300;
  const regret = (b: number): number => {
    let d1 = -1, d2 = -1;
    for (let k = candStart[b], end = candStart[b + 1]; k < end; k++) {
      if (cap[candSite[k]] - load[candSite[k]] + EPS >= pop[b]) {
        if (d1 < 0) d1 = candDist[k];
        else { d2 = candDist[k]; break; }
      }
    }
    if (d1 < 0) return BIG; // fits nowhere whole: split it early while room remains near it
    if (d2 < 0) return BIG / 2; // only one site left where it fits
    return pop[b] * (d2 - d1);
  };
  for (const b of greedyList) heap.push(b, -regret(b));
  while (heap.length > 0) {
    const stored = -heap.peekValue()!;
    const b = heap.pop()!;
    const r = regret(b);
    if (r < stored - EPS && heap.length > 0 && r < -heap.peekValue()! - EPS) {
      heap.push(b, -r);
      stats.greedyReinserts++;
      continue;
    }
    let chosen = -1;
    for (let k = candStart[b], end = candStart[b + 1]; k < end; k++) {
      if (cap[candSite[k]] - load[candSite[k]] + EPS >= pop[b]) { chosen = k; break; }
    }
    if (chosen >= 0) {
      cur[b] = chosen;
      load[candSite[chosen]] += pop[b];
    } else {
      placeSplit(b);
    }
  }

  function placeSplit(b: number) {
    let left = pop[b];
    for (let k = candStart[b], end = candStart[b + 1]; k < end && left > EPS; k++) {
      const room = cap[candSite[k]] - load[candSite[k]];
      if (room <= EPS) continue;
      const take = Math.min(room, left);
      splitParts.push({ b, cand: k, people: take });
      splitCount[b]++;
      load[candSite[k]] += take;
      left -= take;
    }
    if (splitCount[b] > 1) split[b] = 1;
    unplaced[b] = left > EPS ? left : 0;
  }

  // Local search.
  const members: number[][] = Array.from({ length: nS }, () => []);
  const posIn = new Int32Array(nB).fill(-1);
  for (let li = 0; li < live.length; li++) { const b = live[li]; if (cur[b] >= 0) { const s = candSite[cur[b]]; posIn[b] = members[s].length; members[s].push(b); } }
  // Every change of a site's load or member list stamps it with a new version. A building's shift/swap attempt reads
  // only the loads and member lists of its site and the closer candidate sites (people and candidates are fixed):
  // when it failed at version triedAt[li] and none of those sites changed since, it fails again and is passed over.
  const siteVer = new Int32Array(nS);
  const triedAt = new Int32Array(live.length).fill(-1);
  let ver = 0;
  const recheckAll = opts.recheckAll ?? false;
  const removeMember = (b: number, s: number) => {
    const arr = members[s], i = posIn[b], last = arr.pop()!;
    if (last !== b) { arr[i] = last; posIn[last] = i; }
    posIn[b] = -1;
    siteVer[s] = ++ver;
  };
  const addMember = (b: number, s: number) => { posIn[b] = members[s].length; members[s].push(b); siteVer[s] = ++ver; };
  const move = (b: number, k: number) => {
    const from = candSite[cur[b]], to = candSite[k];
    removeMember(b, from); load[from] -= pop[b];
    addMember(b, to); load[to] += pop[b];
    cur[b] = k;
  };
  const candOf = (b: number, s: number): number => {
    for (let k = candStart[b], end = candStart[b + 1]; k < end; k++) if (candSite[k] === s) return k;
    return -1;
  };

  for (let pass = 0; pass < maxPasses; pass++) {
    stats.passes++;
    let improved = false;
    for (let li = 0; li < live.length; li++) {
      const b = live[li];
      const k0 = cur[b];
      if (k0 < 0 || k0 === candStart[b]) continue; // unassigned/split, or already at its best site
      if (triedAt[li] >= 0 && !recheckAll) {
        let changed = false;
        for (let k = candStart[b]; k <= k0; k++) if (siteVer[candSite[k]] > triedAt[li]) { changed = true; break; }
        if (!changed) continue;
      }
      const a = candSite[k0];
      // shift to the closest site with room
      let done = false;
      for (let k = candStart[b]; k < k0; k++) {
        const s = candSite[k];
        if (cap[s] - load[s] + EPS >= pop[b]) { move(b, k); stats.shifts++; improved = true; done = true; break; }
      }
      if (done) continue;
      // swap with a building at a closer site
      const da = candDist[k0];
      for (let k = candStart[b]; k < k0 && !done; k++) {
        const s = candSite[k];
        const gainB = pop[b] * (da - candDist[k]);
        const arr = members[s];
        const lim = Math.min(arr.length, swapScan);
        for (let i = 0; i < lim; i++) {
          const o = arr[i];
          if (load[s] - pop[o] + pop[b] > cap[s] + EPS) continue;
          if (load[a] - pop[b] + pop[o] > cap[a] + EPS) continue;
          const ko = candOf(o, a);
          if (ko < 0) continue;
          const lossO = pop[o] * (candDist[ko] - candDist[cur[o]]);
          if (gainB - lossO <= EPS) continue;
          const ks = k;
          move(o, ko);
          move(b, ks);
          stats.swaps++;
          improved = true;
          done = true;
          break;
        }
      }
      if (!done) triedAt[li] = ver;
    }
    // ejection: make room for unplaced people by moving someone out to a site with spare room
    let maxRoom = 0;
    const roomNow = () => { maxRoom = 0; for (let s = 0; s < nS; s++) if (cap[s] - load[s] > maxRoom) maxRoom = cap[s] - load[s]; };
    roomNow();
    for (let li = 0; li < live.length && maxRoom > EPS; li++) {
      const b = live[li];
      if (unplaced[b] <= EPS || splitCount[b] > 0 || exact[b]) continue;
      const need = pop[b];
      for (let k = candStart[b], end = candStart[b + 1]; k < end; k++) {
        const s = candSite[k];
        const arr = members[s];
        let ok = false;
        for (let i = 0; i < Math.min(arr.length, swapScan) && !ok; i++) {
          const o = arr[i];
          if (pop[o] > maxRoom + EPS || cap[s] - load[s] + pop[o] + EPS < need) continue;
          for (let ko = candStart[o], eo = candStart[o + 1]; ko < eo; ko++) {
            const t = candSite[ko];
            if (t === s || cap[t] - load[t] + EPS < pop[o]) continue;
            move(o, ko);
            cur[b] = k; addMember(b, s); load[s] += pop[b]; unplaced[b] = 0;
            stats.ejections++; improved = true; ok = true;
            roomNow();
            break;
          }
        }
        if (ok) break;
        if (cap[s] - load[s] + EPS >= need) { cur[b] = k; addMember(b, s); load[s] += pop[b]; unplaced[b] = 0; improved = true; roomNow(); break; }
      }
    }
    if (!improved) break;
  }
  return finish(pb, live, cur, splitCount, splitParts, unplaced, split, stats);

}

/**
 * The sub-problem of a list of buildings; candidate ranges re-based. Sites keep their indexes, or with `compact`
 * are renumbered 0..n-1 over the sites the list uses (in ascending original order, so a min-cost flow on it visits
 * arcs in the same order and finds the same flows) — its searches then cost O(component), not O(all sites).
 * With `scratch` its arrays are that scratch's (valid until its next use).
 */
export function subProblem(pb: AssignProblem, list: ArrayLike<number>, compact = false, scratch = new AssignScratch()): { problem: AssignProblem } {
  const candStart = scratch.take('sub.candStart', Int32Array, list.length + 1);
  candStart[0] = 0;
  for (let i = 0; i < list.length; i++) candStart[i + 1] = candStart[i] + pb.candStart[list[i] + 1] - pb.candStart[list[i]];
  const candSite = scratch.take('sub.candSite', Int32Array, candStart[list.length]), candDist = scratch.take('sub.candDist', Float64Array, candStart[list.length]);
  const population = scratch.take('sub.population', Float64Array, list.length);
  for (let i = 0; i < list.length; i++) {
    const b = list[i];
    population[i] = pb.population[b];
    for (let k = pb.candStart[b], end = pb.candStart[b + 1], j = candStart[i]; k < end; k++, j++) { candSite[j] = pb.candSite[k]; candDist[j] = pb.candDist[k]; }
  }
  if (!compact) return { problem: { nB: list.length, nS: pb.nS, population, capacity: pb.capacity, candStart, candSite, candDist } };
  // local index per original site (−1 = not used)
  const local = scratch.take('sub.local', Int32Array, pb.nS, -1);
  const used: number[] = [];
  for (let k = 0; k < candSite.length; k++) if (local[candSite[k]] === -1) { local[candSite[k]] = -2; used.push(candSite[k]); }
  used.sort((a, b) => a - b);
  const capacity = scratch.take('sub.capacity', Float64Array, used.length);
  for (let i = 0; i < used.length; i++) { local[used[i]] = i; capacity[i] = pb.capacity[used[i]]; }
  for (let k = 0; k < candSite.length; k++) candSite[k] = local[candSite[k]];
  return { problem: { nB: list.length, nS: used.length, population, capacity, candStart, candSite, candDist } };
}

export interface FlowBound {
  /** person-metres of the optimal split assignment (placed people only) */
  cost: number;
  placed: number;
  unplaced: number;
  /** flow per candidate (people of building b sent to candSite[k]) */
  flow: Float64Array;
}

/**
 * Exact optimum of the split (transportation) relaxation by successive shortest paths with potentials:
 * source → building (p_b) → site (d_bs, uncapacitated) → sink (c_s), plus building → sink at a prohibitive cost
 * for people who cannot be placed (so placement is maximised first, then person-metres minimised).
 * O(augmentations × E log V): meant for small problems (tests, plans with few contested buildings).
 */
export function minCostFlowLowerBound(pb: AssignProblem): FlowBound {
  const { nB, nS, population: pop, capacity: cap, candStart, candSite, candDist } = pb;
  // nodes: 0 source, 1..nB buildings, nB+1..nB+nS sites, nB+nS+1 sink
  const SRC = 0, SNK = nB + nS + 1, V = nB + nS + 2;
  let maxD = 0;
  for (let k = 0; k < candDist.length; k++) maxD = Math.max(maxD, candDist[k]);
  // Unplaced penalty: larger than any augmenting path's cost (an alternating path visits each building and site at
  // most once, each hop ≤ maxD), so placement is maximised first; kept small to limit float rounding.
  const M = (maxD + 1) * 2 * (nB + nS + 1);
  // arcs in typed arrays (forward at even index, reverse at odd), adjacency as linked lists
  let nArcs = 0;
  for (let b = 0; b < nB; b++) if (pop[b] > 0) nArcs += 2 * (2 + candStart[b + 1] - candStart[b]);
  for (let s = 0; s < nS; s++) if (cap[s] > 0) nArcs += 2;
  const to = new Int32Array(nArcs), capE = new Float64Array(nArcs), cost = new Float64Array(nArcs), next = new Int32Array(nArcs);
  const head = new Int32Array(V).fill(-1);
  let na = 0;
  const addArc = (u: number, v: number, c: number, w: number) => {
    to[na] = v; capE[na] = c; cost[na] = w; next[na] = head[u]; head[u] = na++;
    to[na] = u; capE[na] = 0; cost[na] = -w; next[na] = head[v]; head[v] = na++;
  };
  const candArc = new Int32Array(candSite.length);
  for (let b = 0; b < nB; b++) {
    if (pop[b] <= 0) continue;
    addArc(SRC, 1 + b, pop[b], 0);
    for (let k = candStart[b]; k < candStart[b + 1]; k++) { candArc[k] = na; addArc(1 + b, 1 + nB + candSite[k], Infinity, candDist[k]); }
    addArc(1 + b, SNK, Infinity, M);
  }
  for (let s = 0; s < nS; s++) if (cap[s] > 0) addArc(1 + nB + s, SNK, cap[s], 0);
  // CSR copy of the adjacency in the linked lists' order (so searches visit arcs exactly as before), with each
  // arc's head node and cost beside it: the search reads them sequentially
  const aStart = new Int32Array(V + 1);
  for (let u = 0; u < V; u++) { let c = 0; for (let a = head[u]; a >= 0; a = next[a]) c++; aStart[u + 1] = aStart[u] + c; }
  const aArc = new Int32Array(nArcs), aTo = new Int32Array(nArcs), aCost = new Float64Array(nArcs);
  for (let u = 0, i = 0; u < V; u++) for (let a = head[u]; a >= 0; a = next[a], i++) { aArc[i] = a; aTo[i] = to[a]; aCost[i] = cost[a]; }
  const potential = new Float64Array(V);
  const dist = new Float64Array(V);
  const prevArc = new Int32Array(V);
  let total = 0;
  for (let b = 0; b < nB; b++) total += Math.max(0, pop[b]);
  let sent = 0;
  // binary heap (same algorithm as flatqueue, so ties pop in the same order), at most one entry per arc + 1
  const hId = new Int32Array(nArcs + 1), hVal = new Float64Array(nArcs + 1);
  let hLen = 0;
  while (sent < total - EPS) {
    dist.fill(Infinity); prevArc.fill(-1);
    dist[SRC] = 0; hLen = 0; hId[0] = SRC; hVal[0] = 0; hLen = 1;
    while (hLen > 0) {
      // pop
      const u = hId[0], d = hVal[0];
      const last = --hLen;
      if (last > 0) {
        const id = hId[last], value = hVal[last];
        let pos = 0;
        const half = last >> 1;
        while (pos < half) {
          const left = (pos << 1) + 1, right = left + 1;
          const child = left + (+(right < last) & +(hVal[right] < hVal[left]));
          if (hVal[child] >= value) break;
          hId[pos] = hId[child]; hVal[pos] = hVal[child]; pos = child;
        }
        hId[pos] = id; hVal[pos] = value;
      }
      if (d > dist[u]) continue;
      // the sink is settled: stop (nodes not settled yet get the sink's distance in the potential update below,
      // which keeps every residual reduced cost ≥ 0 — the usual early exit of successive shortest paths)
      if (u === SNK) break;
      const pu = potential[u];
      for (let i = aStart[u], end = aStart[u + 1]; i < end; i++) {
        const a = aArc[i];
        if (capE[a] <= EPS) continue;
        const v = aTo[i];
        // reduced costs are ≥ 0 in exact arithmetic; clamp the rounding noise so Dijkstra stays valid and terminates
        const rc = aCost[i] + pu - potential[v];
        const nd = d + (rc > 0 ? rc : 0);
        if (nd < dist[v]) {
          dist[v] = nd; prevArc[v] = a;
          // push
          let pos = hLen++;
          while (pos > 0) {
            const parent = (pos - 1) >> 1;
            const pv = hVal[parent];
            if (nd >= pv) break;
            hId[pos] = hId[parent]; hVal[pos] = pv; pos = parent;
          }
          hId[pos] = v; hVal[pos] = nd;
        }
      }
    }
    if (dist[SNK] === Infinity) break;
    // The cheapest path ends with a building → sink "unplaced" arc (cost M): no path through a site is left (each
    // costs < M), so the site flows are final and every remaining person is unplaced. Stop here.
    if (cost[prevArc[SNK]] === M) break;
    const dS = dist[SNK];
    for (let v = 0; v < V; v++) potential[v] += dist[v] < dS ? dist[v] : dS;
    let f = Infinity;
    for (let v = SNK; v !== SRC; v = to[prevArc[v] ^ 1]) f = Math.min(f, capE[prevArc[v]]);
    for (let v = SNK; v !== SRC; v = to[prevArc[v] ^ 1]) { capE[prevArc[v]] -= f; capE[prevArc[v] ^ 1] += f; }
    sent += f;
  }
  const flow = new Float64Array(candSite.length);
  let c = 0, placed = 0;
  for (let b = 0; b < nB; b++) {
    if (pop[b] <= 0) continue;
    for (let k = candStart[b]; k < candStart[b + 1]; k++) {
      const fl = capE[candArc[k] ^ 1]; // reverse residual = flow
      flow[k] = fl; c += fl * candDist[k]; placed += fl;
    }
  }
  return { cost: c, placed, unplaced: total - placed, flow };
}

/**
 * Exact optimum of the split (transportation) relaxation — the same problem and objective as
 * `minCostFlowLowerBound` (placement maximised first, then person-metres minimised; equal cost and placement up to
 * rounding) — for "few sites, many buildings": successive shortest paths whose searches never visit building nodes.
 *
 * Buildings are inserted one at a time (the Hungarian method for the rows of a transportation problem: after each
 * insertion the flow is optimal for the buildings inserted so far, so `order` changes the work, not the optimum).
 * Each augmentation is a Dijkstra from the inserted building b over a compressed residual graph whose nodes are the
 * sites, a dummy "unplaced" node U and the sink T:
 * - b → t for t ∈ cand(b), cost d_bt; b → U, cost M (a penalty above any path's distance part, so placing people
 *   always beats leaving them out);
 * - s → t: min over buildings b′ with flow at s and t ∈ cand(b′) of d_b′t − d_b′s (move b′'s people from s to t),
 *   one heap per site pair with lazy deletion (static keys; an entry is valid while b′'s flow at s is > EPS, and
 *   the reduced cost is read off the top after discarding invalid entries);
 * - s → U: min over buildings b′ at s of M − d_b′s (b′'s people there become unplaced), a max-heap per site;
 * - s → T while s has room, U → T (cost 0).
 * Arcs out of U (re-placing unplaced people) are left out: by the invariant of successive shortest paths (no negative
 * residual cycle) a path through U is never cheaper continued other than by U → T, so the search distance to T is
 * unchanged, and those arcs are never scanned so their reduced costs need not stay ≥ 0.
 * Potentials live on sites and U only (a building's potential cancels along s → b′ → t; the inserted building's is a
 * common offset of its initial labels). The search stops when T is settled and moves the potentials of the settled
 * nodes only (π += dist − D), so potentials never increase; since s → T has reduced cost π_s ≥ 0 (π_T = 0), U and
 * every site with room keep π = 0. Hence the first site with room a search settles ends it at once — a site's arcs
 * are scanned only once it is full, and are built then — and a building whose smallest initial label is at a site
 * with room is placed there without a search. Reduced costs that float rounding makes slightly negative are clamped
 * to 0. Each augmentation sends the bottleneck of the building's people left, the flows moved along the path and the
 * room at the last site (a path may reuse a building, the bottleneck uses the flows before the update, so flows stay
 * ≥ 0).
 *
 * Cost: O(Σ candidates + Σ_{sites that fill} Σ_{their candidates} deg) to build, plus per augmentation
 * O(deg + settled full sites × their site pairs × log). Measured (2-core shared machine): ~0.3–0.4 µs per candidate
 * arc when overload is local (Monaco's overloaded components: ~2 ms; a generated 200 k-building city, 608 k arcs:
 * ~0.25 s), up to ~1.5 µs per arc when most sites are full (the same city at 5 % of its capacity).
 */
export function minCostFlowSites(pb: AssignProblem, order?: ArrayLike<number>, scratch = new AssignScratch()): FlowBound {
  const { nB, nS, population: pop, capacity: cap, candStart, candSite, candDist } = pb;
  const C = candSite.length;
  const take = <A extends NumArray>(name: string, Ctor: NumArrayCtor<A>, n: number, fill?: number, atLeast?: boolean): A => scratch.take('mcf.' + name, Ctor, n, fill, atLeast);
  const grow = <A extends NumArray>(name: string, Ctor: NumArrayCtor<A>, old: A, n: number): A => scratch.grow('mcf.' + name, Ctor, old, n);
  const flow = take('flow', Float64Array, C, 0);
  const candB = take('candB', Int32Array, C);
  let maxD = 0;
  // site → candidates (of buildings with people), for building a site's arcs when it fills
  const scStart = take('scStart', Int32Array, nS + 1, 0);
  for (let b = 0; b < nB; b++) {
    const live = pop[b] > 0;
    for (let k = candStart[b]; k < candStart[b + 1]; k++) {
      candB[k] = b;
      if (candDist[k] > maxD) maxD = candDist[k];
      if (live) scStart[candSite[k] + 1]++;
    }
  }
  for (let s = 0; s < nS; s++) scStart[s + 1] += scStart[s];
  const scK = take('scK', Int32Array, scStart[nS]);
  {
    const fill = take('fill', Int32Array, nS);
    fill.set(scStart.subarray(0, nS));
    for (let b = 0; b < nB; b++) if (pop[b] > 0) for (let k = candStart[b]; k < candStart[b + 1]; k++) scK[fill[candSite[k]]++] = k;
  }
  // a path visits each site at most once and each compressed arc costs at most maxD in absolute value
  const M = 2 * (nS + 2) * (maxD + 1);
  const U = nS, T = nS + 1, V = nS + 2;
  const pi = take('pi', Float64Array, V, 0); // stays 0 at T, U and every site with room (see below)
  const room = take('room', Float64Array, nS);
  for (let s = 0; s < nS; s++) room[s] = cap[s] > 0 ? cap[s] : 0;
  let total = 0;

  // Arcs out of a site are only ever scanned once it is full (a search ends at the first site with room it settles),
  // so a site's structures are built when it fills ("built" sites):
  // - pairs s → t: ids sp0[s] .. sp1[s]-1, head pairTo, heap segment hStart[pid] .. + hLen[pid] (capacity = number
  //   of buildings with both sites as candidates) of entries (key d_kt − d_ks, ks, kt, slot);
  // - slots: per candidate k at a built site, one slot per other candidate of its building (slotBase[k] + j): the
  //   pair it feeds and whether its entry is in that heap (an entry stays while invalid until it reaches the top);
  // - occupants: max-heap by distance of candidates at the site (oStart[s] .. + oLen[s]), inOcc per candidate.
  // (sites that never fill, e.g. without capacity, have no pairs and no occupants: sp0 = sp1 = oLen = 0; oStart and
  // slotBase are read only at built sites)
  const built = take('built', Uint8Array, nS, 0);
  const sp0 = take('sp0', Int32Array, nS, 0), sp1 = take('sp1', Int32Array, nS, 0);
  const oStart = take('oStart', Int32Array, nS), oLen = take('oLen', Int32Array, nS, 0);
  const slotBase = take('slotBase', Int32Array, C);
  const inOcc = take('inOcc', Uint8Array, C, 0);
  // pools grow by doubling; all sites filling would need Σ_b deg_b·(deg_b − 1) slots (small problems get that at
  // once), in a large one typically a third to a half of the sites fill
  let slotBound = 0;
  for (let b = 0; b < nB; b++) if (pop[b] > 0) { const dg = candStart[b + 1] - candStart[b]; slotBound += dg * (dg - 1); }
  const initSlots = Math.max(16, slotBound <= 65536 ? slotBound : slotBound >> 2), initPairs = Math.max(16, initSlots >> 3);
  // (pools take all the room their scratch holds; arrays of one pool have equal lengths)
  let pairTo = take('pairTo', Int32Array, initPairs, undefined, true), nPairs = 0;
  let hStart = take('hStart', Int32Array, pairTo.length), hLen = take('hLen', Int32Array, pairTo.length);
  // copy of each pair heap's top entry (while not empty), beside the pair: searches read it without touching the pool
  let topKey = take('topKey', Float64Array, pairTo.length), topKs = take('topKs', Int32Array, pairTo.length), topKt = take('topKt', Int32Array, pairTo.length);
  // heap entries as records of 4 (key, ks, kt, slot; one cache line holds an entry)
  let hRec = take('hRec', Float64Array, 4 * initSlots, undefined, true), hPool = 0;
  let slotPid = take('slotPid', Int32Array, initSlots, undefined, true), nSlots = 0;
  let slotIn = take('slotIn', Uint8Array, slotPid.length, 0);
  let oK = take('oK', Int32Array, Math.max(16, scK.length <= 65536 ? scK.length : scK.length >> 2), undefined, true), oPool = 0;
  const mark = take('mark', Int32Array, nS, -1), pidOf = take('pidOf', Int32Array, nS);

  // search state (labels are read only where seen[] says they were set in this search)
  const dist = take('dist', Float64Array, V), seen = take('seen', Int32Array, V, 0), done = take('done', Int32Array, V, 0);
  const prevNode = take('prevNode', Int32Array, V), prevKs = take('prevKs', Int32Array, V), prevKt = take('prevKt', Int32Array, V);
  const settledList = take('settledList', Int32Array, V);
  let qId = take('qId', Int32Array, 64, undefined, true), qLen = 0;
  let qVal = take('qVal', Float64Array, qId.length);
  let iter = 0;

  const n = order ? order.length : nB;
  for (let oi = 0; oi < n; oi++) {
    const b = order ? order[oi] : oi;
    if (!(pop[b] > 0)) continue;
    total += pop[b];
    const c0 = candStart[b], c1 = candStart[b + 1];
    if (c0 === c1) continue;
    let left = pop[b];
    while (left > EPS) {
      // Fast path: the smallest initial label is at a site with room — that is the shortest path (T's label there
      // equals it, see the stop rule below), no search needed.
      let best = -1, bestLab = M - pi[U];
      for (let k = c0; k < c1; k++) { const lab = candDist[k] - pi[candSite[k]]; if (lab < bestLab) { bestLab = lab; best = k; } }
      if (best >= 0 && room[candSite[best]] > EPS) {
        const t = candSite[best];
        const f = left < room[t] ? left : room[t];
        room[t] -= f;
        const old = flow[best];
        flow[best] = old + f;
        if (!(old > EPS) && built[t]) pushEntries(best);
        left -= f;
        if (!(room[t] > EPS)) buildSite(t);
        continue;
      }
      iter++;
      qLen = 0;
      let nSettled = 0;
      // initial labels (the building's own potential is a common offset and drops out)
      for (let k = c0; k < c1; k++) {
        const t = candSite[k], lab = candDist[k] - pi[t];
        if (seen[t] !== iter || lab < dist[t]) { seen[t] = iter; dist[t] = lab; prevNode[t] = -1; prevKs[t] = -1; prevKt[t] = k; qPush(t, lab); }
      }
      { const lab = M - pi[U]; seen[U] = iter; dist[U] = lab; prevNode[U] = -1; prevKs[U] = -1; prevKt[U] = -1; qPush(U, lab); }
      let D = Infinity;
      while (qLen > 0) {
        const v = qId[0], d = qVal[0];
        qPop();
        if (done[v] === iter || d > dist[v]) continue;
        if (v === T) { D = d; break; }
        done[v] = iter;
        settledList[nSettled++] = v;
        const pv = pi[v];
        if (v === U || room[v] > EPS) {
          // T's label from here is d + pv ≥ d; potentials only decrease and stay ≥ 0 (reduced cost of → T) at U and
          // sites with room, so they are 0 and T's label is d: nothing can undercut it, stop
          relax(T, d + pv, v, -1, -1);
          if (dist[T] <= d) { D = dist[T]; break; }
          if (v === U) continue;
        }
        for (let pid = sp0[v], pend = sp1[v]; pid < pend; pid++) {
          const t = pairTo[pid];
          if (done[t] === iter) continue;
          if (hLen[pid] > 0 && !(flow[topKs[pid]] > EPS)) {
            const h0 = hStart[pid];
            const e = h0 << 2;
            do { slotIn[hRec[e + 3] | 0] = 0; pairPop(h0, --hLen[pid]); } while (hLen[pid] > 0 && !(flow[hRec[e + 1] | 0] > EPS));
            if (hLen[pid] > 0) { topKey[pid] = hRec[e]; topKs[pid] = hRec[e + 1]; topKt[pid] = hRec[e + 2]; }
          }
          if (hLen[pid] === 0) continue;
          const rc = topKey[pid] + pv - pi[t];
          relax(t, d + (rc > 0 ? rc : 0), v, topKs[pid], topKt[pid]);
        }
        if (done[U] !== iter) {
          const o0 = oStart[v];
          while (oLen[v] > 0 && !(flow[oK[o0]] > EPS)) { inOcc[oK[o0]] = 0; occPop(o0, --oLen[v]); }
          if (oLen[v] > 0) {
            const rc = M - candDist[oK[o0]] + pv - pi[U];
            relax(U, d + (rc > 0 ? rc : 0), v, oK[o0], -1);
          }
        }
      }
      // U is always reachable, so D is finite
      for (let i = 0; i < nSettled; i++) { const v = settledList[i]; pi[v] += dist[v] - D; }
      const last = prevNode[T];
      let f = left;
      if (last !== U && room[last] < f) f = room[last];
      for (let v = last; v >= 0; v = prevNode[v]) if (prevKs[v] >= 0 && flow[prevKs[v]] < f) f = flow[prevKs[v]];
      if (last !== U) room[last] -= f;
      for (let v = last; v >= 0; v = prevNode[v]) {
        if (v !== U) {
          const kt = prevKt[v], old = flow[kt];
          flow[kt] = old + f;
          if (!(old > EPS) && flow[kt] > EPS && built[v]) pushEntries(kt);
        }
        if (prevKs[v] >= 0) flow[prevKs[v]] -= f;
      }
      left -= f;
      if (last !== U && !(room[last] > EPS)) buildSite(last);
    }
  }

  let c = 0, placed = 0;
  for (let k = 0; k < C; k++) { if (flow[k] < 0) flow[k] = 0; c += flow[k] * candDist[k]; placed += flow[k]; }
  return { cost: c, placed, unplaced: total - placed, flow };

  function relax(v: number, nd: number, from: number, ks: number, kt: number) {
    if (seen[v] === iter && nd >= dist[v]) return;
    seen[v] = iter; dist[v] = nd; prevNode[v] = from; prevKs[v] = ks; prevKt[v] = kt;
    qPush(v, nd);
  }
  function qPush(v: number, val: number) {
    if (qLen === qId.length) {
      qId = grow('qId', Int32Array, qId, qLen * 2);
      qVal = grow('qVal', Float64Array, qVal, qLen * 2);
    }
    let pos = qLen++;
    while (pos > 0) {
      const parent = (pos - 1) >> 1;
      const pv = qVal[parent];
      if (val >= pv) break;
      qId[pos] = qId[parent]; qVal[pos] = pv; pos = parent;
    }
    qId[pos] = v; qVal[pos] = val;
  }
  function qPop() {
    const last = --qLen;
    if (last <= 0) return;
    const id = qId[last], value = qVal[last];
    let pos = 0;
    const half = last >> 1;
    while (pos < half) {
      const l = (pos << 1) + 1, r = l + 1;
      const child = l + (+(r < last) & +(qVal[r] < qVal[l]));
      if (qVal[child] >= value) break;
      qId[pos] = qId[child]; qVal[pos] = qVal[child]; pos = child;
    }
    qId[pos] = id; qVal[pos] = value;
  }
  /** site s just filled: allocate its pairs, slots and occupant heap, and enter its current occupants */
  function buildSite(s: number) {
    built[s] = 1;
    const p0 = nPairs;
    let slotsNeed = 0;
    for (let i = scStart[s]; i < scStart[s + 1]; i++) { const bb = candB[scK[i]]; slotsNeed += candStart[bb + 1] - candStart[bb] - 1; }
    if (nSlots + slotsNeed > slotPid.length) {
      const len = Math.max(2 * slotPid.length, nSlots + slotsNeed);
      slotPid = grow('slotPid', Int32Array, slotPid, len);
      slotIn = grow('slotIn', Uint8Array, slotIn, len);
    }
    for (let i = scStart[s]; i < scStart[s + 1]; i++) {
      const k = scK[i], bb = candB[k];
      slotBase[k] = nSlots;
      for (let k2 = candStart[bb], end = candStart[bb + 1]; k2 < end; k2++) {
        if (k2 === k) continue;
        const t = candSite[k2];
        if (mark[t] !== s) {
          mark[t] = s;
          if (nPairs === pairTo.length) {
            pairTo = grow('pairTo', Int32Array, pairTo, 2 * nPairs);
            hStart = grow('hStart', Int32Array, hStart, 2 * nPairs);
            hLen = grow('hLen', Int32Array, hLen, 2 * nPairs);
            topKey = grow('topKey', Float64Array, topKey, 2 * nPairs);
            topKs = grow('topKs', Int32Array, topKs, 2 * nPairs);
            topKt = grow('topKt', Int32Array, topKt, 2 * nPairs);
          }
          pidOf[t] = nPairs; pairTo[nPairs] = t; hLen[nPairs] = 0; nPairs++;
        }
        const pid = pidOf[t];
        hLen[pid]++; // counted here, reset below
        slotPid[nSlots++] = pid;
      }
    }
    sp0[s] = p0; sp1[s] = nPairs;
    let need = 0;
    for (let pid = p0; pid < nPairs; pid++) need += hLen[pid];
    if (4 * (hPool + need) > hRec.length) {
      const len = Math.max(2 * hRec.length, 4 * (hPool + need));
      hRec = grow('hRec', Float64Array, hRec, len);
    }
    for (let pid = p0; pid < nPairs; pid++) { hStart[pid] = hPool; hPool += hLen[pid]; hLen[pid] = 0; }
    const nOcc = scStart[s + 1] - scStart[s];
    if (oPool + nOcc > oK.length) oK = grow('oK', Int32Array, oK, Math.max(2 * oK.length, oPool + nOcc));
    oStart[s] = oPool; oLen[s] = 0; oPool += nOcc;
    for (let i = scStart[s]; i < scStart[s + 1]; i++) if (flow[scK[i]] > EPS) pushEntries(scK[i]);
  }
  /** candidate k (at a built site) has people: its building's arcs out of that site go into the pair heaps */
  function pushEntries(k: number) {
    const bb = candB[k], dk = candDist[k];
    let slot = slotBase[k];
    for (let k2 = candStart[bb], end = candStart[bb + 1]; k2 < end; k2++) {
      if (k2 === k) continue;
      if (!slotIn[slot]) {
        slotIn[slot] = 1;
        const pid = slotPid[slot];
        const key = candDist[k2] - dk;
        if (pairPush(hStart[pid], hLen[pid]++, key, k, k2, slot) === 0) { topKey[pid] = key; topKs[pid] = k; topKt[pid] = k2; }
      }
      slot++;
    }
    if (!inOcc[k]) { inOcc[k] = 1; occPush(oStart[candSite[k]], oLen[candSite[k]]++, k); }
  }
  // heaps on pool segments: base = segment start, n = current size (push: position n is free; pop: n = new size)
  /** returns the entry's position (0: the new top) */
  function pairPush(base: number, n: number, key: number, ks: number, kt: number, slot: number): number {
    let pos = n;
    while (pos > 0) {
      const parent = (pos - 1) >> 1, ep = (base + parent) << 2, pk = hRec[ep];
      if (pk < key || (pk === key && hRec[ep + 2] < kt)) break;
      const e = (base + pos) << 2;
      hRec[e] = pk; hRec[e + 1] = hRec[ep + 1]; hRec[e + 2] = hRec[ep + 2]; hRec[e + 3] = hRec[ep + 3];
      pos = parent;
    }
    const e = (base + pos) << 2;
    hRec[e] = key; hRec[e + 1] = ks; hRec[e + 2] = kt; hRec[e + 3] = slot;
    return pos;
  }
  function pairPop(base: number, n: number) {
    if (n === 0) return;
    const en = (base + n) << 2;
    const key = hRec[en], ks = hRec[en + 1], kt = hRec[en + 2], slot = hRec[en + 3];
    let pos = 0;
    for (;;) {
      const l = 2 * pos + 1;
      if (l >= n) break;
      let ch = l;
      const r = l + 1;
      const el = (base + l) << 2, er = (base + r) << 2;
      if (r < n && (hRec[er] < hRec[el] || (hRec[er] === hRec[el] && hRec[er + 2] < hRec[el + 2]))) ch = r;
      const ec = (base + ch) << 2, ck = hRec[ec];
      if (key < ck || (key === ck && kt < hRec[ec + 2])) break;
      const e = (base + pos) << 2;
      hRec[e] = ck; hRec[e + 1] = hRec[ec + 1]; hRec[e + 2] = hRec[ec + 2]; hRec[e + 3] = hRec[ec + 3];
      pos = ch;
    }
    const e = (base + pos) << 2;
    hRec[e] = key; hRec[e + 1] = ks; hRec[e + 2] = kt; hRec[e + 3] = slot;
  }
  function occPush(base: number, n: number, k: number) {
    const dk = candDist[k];
    let pos = n;
    while (pos > 0) {
      const parent = (pos - 1) >> 1, p = oK[base + parent], dp = candDist[p];
      if (dp > dk || (dp === dk && p < k)) break;
      oK[base + pos] = p; pos = parent;
    }
    oK[base + pos] = k;
  }
  function occPop(base: number, n: number) {
    if (n === 0) return;
    const k = oK[base + n], dk = candDist[k];
    let pos = 0;
    for (;;) {
      const l = 2 * pos + 1;
      if (l >= n) break;
      let ch = l;
      const r = l + 1;
      if (r < n) { const dr = candDist[oK[base + r]], dl = candDist[oK[base + l]]; if (dr > dl || (dr === dl && oK[base + r] < oK[base + l])) ch = r; }
      const p = oK[base + ch], dp = candDist[p];
      if (dk > dp || (dk === dp && k < p)) break;
      oK[base + pos] = p; pos = ch;
    }
    oK[base + pos] = k;
  }
}
