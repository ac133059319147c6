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
 * - `minCostFlowLowerBound` solves the split (transportation) relaxation exactly by successive shortest paths
 *   with Johnson potentials; its cost is a lower bound for the one-site-per-building problem, used in tests (gap
 *   ≤ 5 %) and reported by the plan for small problems.
 */
import FlatQueue from 'flatqueue';

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
  /** budget (Σ arcs × buildings) of overloaded components solved exactly (min-cost flow + rounding), smallest first */
  exactWork?: number;
}

const EPS = 1e-9;

export function assign(pb: AssignProblem, opts: AssignOptions = {}): AssignResult {
  const { nB, nS, population: pop, capacity: cap, candStart, candSite, candDist } = pb;
  const maxPasses = opts.maxPasses ?? 8;
  const swapScan = opts.swapScan ?? 64;
  const load = new Float64Array(nS);
  // current single assignment: candidate index, -1 = none / split handled separately
  const cur = new Int32Array(nB).fill(-1);
  const unplaced = new Float64Array(nB);
  const split = new Uint8Array(nB);
  const splitParts: { b: number; cand: number; people: number }[] = [];
  const splitCount = new Int32Array(nB);
  const stats = { fastPath: false, exactComponents: 0, greedyReinserts: 0, shifts: 0, swaps: 0, ejections: 0, passes: 0 };

  // Fast path: everyone at the nearest candidate.
  for (let b = 0; b < nB; b++) {
    if (pop[b] <= 0) continue;
    if (candStart[b] < candStart[b + 1]) load[candSite[candStart[b]]] += pop[b];
  }
  let overloaded = false;
  for (let s = 0; s < nS; s++) if (load[s] > cap[s] + EPS) { overloaded = true; break; }
  if (!overloaded) {
    stats.fastPath = true;
    for (let b = 0; b < nB; b++) {
      if (pop[b] <= 0) continue;
      if (candStart[b] < candStart[b + 1]) cur[b] = candStart[b];
      else unplaced[b] = pop[b];
    }
    return finish();
  }
  load.fill(0);

  // Decompose: components of the building–site candidate graph (union-find over sites). A component without an
  // overloaded site keeps everyone at the nearest site (optimal there). Overloaded components are solved exactly
  // (min-cost flow + rounding) when small enough, else by regret greedy; local search polishes both.
  const parent = Int32Array.from({ length: nS }, (_, i) => i);
  const find = (x: number): number => { while (parent[x] !== x) { parent[x] = parent[parent[x]]; x = parent[x]; } return x; };
  for (let b = 0; b < nB; b++) {
    if (pop[b] <= 0 || candStart[b] === candStart[b + 1]) continue;
    const r0 = find(candSite[candStart[b]]);
    for (let k = candStart[b] + 1; k < candStart[b + 1]; k++) { const r = find(candSite[k]); if (r !== r0) parent[r] = r0; }
  }
  const nearLoad = new Float64Array(nS);
  for (let b = 0; b < nB; b++) if (pop[b] > 0 && candStart[b] < candStart[b + 1]) nearLoad[candSite[candStart[b]]] += pop[b];
  const compOver = new Uint8Array(nS);
  for (let s = 0; s < nS; s++) if (nearLoad[s] > cap[s] + EPS) compOver[find(s)] = 1;
  const compBuildings = new Map<number, number[]>();
  for (let b = 0; b < nB; b++) {
    if (pop[b] <= 0) continue;
    if (candStart[b] === candStart[b + 1]) { unplaced[b] = pop[b]; continue; }
    const r = find(candSite[candStart[b]]);
    if (!compOver[r]) { cur[b] = candStart[b]; load[candSite[cur[b]]] += pop[b]; continue; }
    let list = compBuildings.get(r);
    if (!list) compBuildings.set(r, (list = []));
    list.push(b);
  }
  const greedyList: number[] = [];
  const exactWork = opts.exactWork ?? 2e7;
  // exactWork is a budget over all components (smallest first): SSP costs ~ arcs × buildings per component
  const comps = [...compBuildings.values()].map((list) => {
    let arcs = 0;
    for (const b of list) arcs += candStart[b + 1] - candStart[b] + 2;
    return { list, work: arcs * list.length };
  }).sort((x, y) => x.work - y.work);
  let budget = exactWork;
  for (const c of comps) {
    if (c.work <= budget) { budget -= c.work; solveExact(c.list); }
    else for (const b of c.list) greedyList.push(b);
  }

  function solveExact(list: number[]) {
    stats.exactComponents++;
    const sub = subProblem(pb, list, true);
    const lp = minCostFlowLowerBound(sub.problem);
    // Round: buildings the LP sends whole to one site go there; the split ones (few: a basic optimal solution
    // splits at most #sites − 1 buildings) go whole where room is left without touching other split buildings'
    // reserved flow, else keep the LP split. Placement therefore equals the LP's.
    const reserved = new Float64Array(nS);
    const splitB: number[] = [];
    for (let i = 0; i < list.length; i++) {
      const b = list[i];
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
  for (let b = 0; b < nB; b++) if (cur[b] >= 0) { const s = candSite[cur[b]]; posIn[b] = members[s].length; members[s].push(b); }
  const removeMember = (b: number, s: number) => {
    const arr = members[s], i = posIn[b], last = arr.pop()!;
    if (last !== b) { arr[i] = last; posIn[last] = i; }
    posIn[b] = -1;
  };
  const addMember = (b: number, s: number) => { posIn[b] = members[s].length; members[s].push(b); };
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
    for (let b = 0; b < nB; b++) {
      const k0 = cur[b];
      if (k0 < 0 || k0 === candStart[b]) continue; // unassigned/split, or already at its best site
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
    }
    // ejection: make room for unplaced people by moving someone out to a site with spare room
    let maxRoom = 0;
    const roomNow = () => { maxRoom = 0; for (let s = 0; s < nS; s++) if (cap[s] - load[s] > maxRoom) maxRoom = cap[s] - load[s]; };
    roomNow();
    for (let b = 0; b < nB && maxRoom > EPS; b++) {
      if (unplaced[b] <= EPS || splitCount[b] > 0) continue;
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
  return finish();

  function finish(): AssignResult {
    const partStart = new Int32Array(nB + 1);
    const sp = new Map<number, { cand: number; people: number }[]>();
    for (const p of splitParts) {
      if (!sp.has(p.b)) sp.set(p.b, []);
      sp.get(p.b)!.push(p);
    }
    for (let b = 0; b < nB; b++) partStart[b + 1] = partStart[b] + (cur[b] >= 0 ? 1 : 0) + (sp.get(b)?.length ?? 0);
    const P = partStart[nB];
    const partCand = new Int32Array(P), partPeople = new Float64Array(P);
    const finalLoad = new Float64Array(nS);
    let cost = 0, placed = 0;
    for (let b = 0; b < nB; b++) {
      let i = partStart[b];
      if (cur[b] >= 0) { partCand[i] = cur[b]; partPeople[i] = pop[b]; i++; }
      for (const p of sp.get(b) ?? []) { partCand[i] = p.cand; partPeople[i] = p.people; i++; }
      for (let j = partStart[b]; j < i; j++) {
        finalLoad[candSite[partCand[j]]] += partPeople[j];
        cost += partPeople[j] * candDist[partCand[j]];
        placed += partPeople[j];
      }
      if (partStart[b + 1] - partStart[b] > 1) split[b] = 1;
    }
    return { partStart, partCand, partPeople, load: finalLoad, unplaced, split, cost, placed, stats };
  }
}

/**
 * The sub-problem of a list of buildings; candidate ranges re-based. Sites keep their indexes, or with `compact`
 * are renumbered 0..n-1 over the sites the list uses (in ascending original order, so a min-cost flow on it visits
 * arcs in the same order and finds the same flows) — its searches then cost O(component), not O(all sites).
 */
export function subProblem(pb: AssignProblem, list: number[], compact = false): { problem: AssignProblem } {
  const candStart = new Int32Array(list.length + 1);
  for (let i = 0; i < list.length; i++) candStart[i + 1] = candStart[i] + pb.candStart[list[i] + 1] - pb.candStart[list[i]];
  const candSite = new Int32Array(candStart[list.length]), candDist = new Float64Array(candStart[list.length]);
  const population = new Float64Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const b = list[i];
    population[i] = pb.population[b];
    candSite.set(pb.candSite.subarray(pb.candStart[b], pb.candStart[b + 1]), candStart[i]);
    candDist.set(pb.candDist.subarray(pb.candStart[b], pb.candStart[b + 1]), candStart[i]);
  }
  if (!compact) return { problem: { nB: list.length, nS: pb.nS, population, capacity: pb.capacity, candStart, candSite, candDist } };
  const used: number[] = [];
  const local = new Map<number, number>();
  for (let k = 0; k < candSite.length; k++) if (!local.has(candSite[k])) { local.set(candSite[k], -1); used.push(candSite[k]); }
  used.sort((a, b) => a - b);
  const capacity = new Float64Array(used.length);
  for (let i = 0; i < used.length; i++) { local.set(used[i], i); capacity[i] = pb.capacity[used[i]]; }
  for (let k = 0; k < candSite.length; k++) candSite[k] = local.get(candSite[k])!;
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
