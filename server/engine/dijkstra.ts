/**
 * Shortest paths on the CSR walking graph.
 *
 * - `nearestSearch`: ONE multi-source Dijkstra from every active site entrance at once (a virtual super-source joined
 *   to both ends of each entrance's edge with the partial lengths), giving every node its nearest site, the
 *   distance and a predecessor for path reconstruction. Binary heap (flatqueue), lazy deletion.
 * - `kNearestSearch`: the bounded k-nearest-sites generalisation: every node keeps up to K labels (distinct sites,
 *   ascending distance, ≤ bound). Exact: if site s is among node u's K nearest and v precedes u on the path from s,
 *   then s is among v's K nearest (otherwise v's K closer sites would be closer to u too), so labels only ever
 *   need to propagate from labelled predecessors.
 * - Building distances combine the two ends of the building's snapped edge with the partial edge lengths, and
 *   entrances on the same edge directly (|f_b − f_e|·L), so the result is exact including that case.
 * - `pointSearch`: a bounded single-source search from a snapped point to the nearest sites (the resident's
 *   question, and the candidate fallback when K labels were not enough).
 */
import FlatQueue from 'flatqueue';
import type { Entrance } from './types.ts';
import type { Graph } from './graph.ts';

/** Predecessor code: ≥ 0 = edge index walked to reach the node; ≤ -2 = seeded by entrance (-2 - entranceIndex); -1 = none. */
export const NO_PRED = -1;
export const entrancePred = (en: number) => -2 - en;
export const predEntrance = (code: number) => -2 - code;

/** Entrances grouped by edge (CSR): entrances of edge e are entByEdge[entStart[e] .. entStart[e+1]-1]. */
export interface EntranceEdgeIndex {
  entStart: Int32Array;
  entByEdge: Int32Array;
}

export function indexEntrancesByEdge(edgeCount: number, entrances: Entrance[], active: ArrayLike<number>): EntranceEdgeIndex {
  const entStart = new Int32Array(edgeCount + 1);
  for (let i = 0; i < active.length; i++) entStart[entrances[active[i]].edgeIndex + 1]++;
  for (let e = 0; e < edgeCount; e++) entStart[e + 1] += entStart[e];
  const fill = entStart.slice(0, edgeCount);
  const entByEdge = new Int32Array(active.length);
  for (let i = 0; i < active.length; i++) entByEdge[fill[entrances[active[i]].edgeIndex]++] = active[i];
  return { entStart, entByEdge };
}

export interface NearestTree {
  /** distance (m) from the nearest active entrance; Infinity when unreached */
  dist: Float64Array;
  /** site index of the nearest site, -1 when unreached */
  site: Int32Array;
  /** predecessor code (see NO_PRED / entrancePred) */
  pred: Int32Array;
  /** the active entrances used as sources, grouped by edge */
  byEdge: EntranceEdgeIndex;
  entrances: Entrance[];
  bound: number;
}


/**
 * Dead ends a search can skip: a node with one open edge, to a node with more, and no active entrance on that edge.
 * Every path to it passes its neighbour, so its labels are the neighbour's plus the edge (filled in after the
 * search). Real and generated networks have many (building driveways, footpath stubs: ~36 % of the generated city).
 */
export function deadEnds(g: Graph, byEdge: EntranceEdgeIndex): { leafEdge: Int32Array; count: number } {
  const { adjStart, adjNode, adjEdge, closed } = g;
  const n = g.nodeCount;
  const leafEdge = new Int32Array(n).fill(-1);
  let count = 0;
  for (let v = 0; v < n; v++) {
    let open = 0, le = -1, lw = -1;
    for (let k = adjStart[v], end = adjStart[v + 1]; k < end && open < 2; k++) if (!closed[adjEdge[k]]) { open++; le = adjEdge[k]; lw = adjNode[k]; }
    if (open !== 1 || lw === v || byEdge.entStart[le] !== byEdge.entStart[le + 1]) continue;
    let openW = 0;
    for (let k = adjStart[lw], end = adjStart[lw + 1]; k < end && openW < 2; k++) if (!closed[adjEdge[k]]) openW++;
    if (openW < 2) continue;
    leafEdge[v] = le;
    count++;
  }
  return { leafEdge, count };
}

/** One multi-source Dijkstra from the `active` entrances (indexes into `entrances`), up to `bound` metres. */
export function nearestSearch(g: Graph, entrances: Entrance[], active: ArrayLike<number>, bound = Infinity): NearestTree {
  const n = g.nodeCount;
  const dist = new Float64Array(n).fill(Infinity);
  const site = new Int32Array(n).fill(-1);
  const pred = new Int32Array(n).fill(NO_PRED);
  const { adjStart, adjNode, adjEdge, adjLen, closed } = g;
  const byEdge = indexEntrancesByEdge(g.edgeCount, entrances, active);
  const { leafEdge, count: nLeaves } = deadEnds(g, byEdge);
  // binary heap on typed arrays, inlined (same algorithm as flatqueue: equal distances pop in the same order);
  // lazy deletion, so at most one entry per relaxation: ≤ 2 per seed + one per half-edge
  let hcap = 1 << 10;
  while (hcap < 2 * active.length + 16 && hcap < 2 * n + 16) hcap *= 2;
  let hId = new Int32Array(hcap), hV = new Float64Array(hcap);
  let hLen = 0;
  for (let i = 0; i < active.length; i++) {
    const en = entrances[active[i]];
    const e = en.edgeIndex;
    if (closed[e]) continue;
    const L = g.edgeLength[e];
    const s = g.edgeSource[e], t = g.edgeTarget[e];
    const ds = en.fraction * L, dt = (1 - en.fraction) * L;
    for (let side = 0; side < 2; side++) {
      const v = side === 0 ? s : t, nd = side === 0 ? ds : dt;
      if (!(nd < dist[v] && nd <= bound)) continue;
      dist[v] = nd; site[v] = en.siteIndex; pred[v] = entrancePred(active[i]);
      if (hLen === hcap) { hcap *= 2; const a1 = new Int32Array(hcap); a1.set(hId); hId = a1; const a2 = new Float64Array(hcap); a2.set(hV); hV = a2; }
      let pos = hLen++;
      while (pos > 0) { const par = (pos - 1) >> 1; const pv = hV[par]; if (nd >= pv) break; hId[pos] = hId[par]; hV[pos] = pv; pos = par; }
      hId[pos] = v; hV[pos] = nd;
    }
  }
  while (hLen > 0) {
    const d = hV[0], v = hId[0];
    const last = --hLen;
    if (last > 0) {
      const xid = hId[last], value = hV[last];
      let pos = 0;
      const half = last >> 1;
      while (pos < half) {
        const left = (pos << 1) + 1, right = left + 1;
        const child = left + (+(right < last) & +(hV[right] < hV[left]));
        if (hV[child] >= value) break;
        hId[pos] = hId[child]; hV[pos] = hV[child]; pos = child;
      }
      hId[pos] = xid; hV[pos] = value;
    }
    if (d > dist[v]) continue;
    const sv = site[v];
    for (let k = adjStart[v], end = adjStart[v + 1]; k < end; k++) {
      const e = adjEdge[k];
      if (closed[e]) continue;
      const w = adjNode[k];
      if (leafEdge[w] >= 0) continue;
      const nd = d + adjLen[k];
      if (nd < dist[w] && nd <= bound) {
        dist[w] = nd; site[w] = sv; pred[w] = e;
        if (hLen === hcap) { hcap *= 2; const a1 = new Int32Array(hcap); a1.set(hId); hId = a1; const a2 = new Float64Array(hcap); a2.set(hV); hV = a2; }
        let pos = hLen++;
        while (pos > 0) { const par = (pos - 1) >> 1; const pv = hV[par]; if (nd >= pv) break; hId[pos] = hId[par]; hV[pos] = pv; pos = par; }
        hId[pos] = w; hV[pos] = nd;
      }
    }
  }
  if (nLeaves > 0) {
    for (let v = 0; v < n; v++) {
      const e = leafEdge[v];
      if (e < 0) continue;
      const u = g.edgeSource[e] === v ? g.edgeTarget[e] : g.edgeSource[e];
      const nd = dist[u] + g.edgeLength[e];
      if (nd < Infinity && nd <= bound) { dist[v] = nd; site[v] = site[u]; pred[v] = e; }
    }
  }
  return { dist, site, pred, byEdge, entrances, bound };
}

/**
 * Nearest site and distance for a point snapped on edge e at fraction f (e.g. a building), from a NearestTree.
 * Writes [siteIndex, distance, via] into out; via = 0 (source end), 1 (target end), 2 + entrance (same edge).
 */
export function nearestForSnap(g: Graph, tree: NearestTree, e: number, f: number, out: Float64Array | number[]): void {
  out[0] = -1; out[1] = Infinity; out[2] = -1;
  if (e < 0 || g.closed[e]) return;
  const L = g.edgeLength[e];
  const s = g.edgeSource[e], t = g.edgeTarget[e];
  const ds = f * L + tree.dist[s];
  const dt = (1 - f) * L + tree.dist[t];
  if (ds <= dt) { if (ds < Infinity) { out[0] = tree.site[s]; out[1] = ds; out[2] = 0; } }
  else { out[0] = tree.site[t]; out[1] = dt; out[2] = 1; }
  const { entStart, entByEdge } = tree.byEdge;
  for (let k = entStart[e], end = entStart[e + 1]; k < end; k++) {
    const en = tree.entrances[entByEdge[k]];
    const d = Math.abs(f - en.fraction) * L;
    if (d < out[1] && d <= tree.bound) { out[0] = en.siteIndex; out[1] = d; out[2] = 2 + entByEdge[k]; }
  }
  if (out[1] > tree.bound) { out[0] = -1; out[1] = Infinity; out[2] = -1; }
}

/** Up to K nearest distinct sites per node (ascending), all within `bound`. */
export interface KLabels {
  K: number;
  count: Uint8Array;
  site: Int32Array;
  dist: Float64Array;
  pred: Int32Array;
  byEdge: EntranceEdgeIndex;
  entrances: Entrance[];
  bound: number;
}

/** Bounded k-nearest-sites search from the `active` entrances (see the file header for why it is exact). */
export function kNearestSearch(g: Graph, entrances: Entrance[], active: ArrayLike<number>, K: number, bound: number): KLabels {
  if (!(K >= 1 && K <= 255)) throw new Error(`kNearestSearch: K must be 1..255, got ${K}`);
  const n = g.nodeCount;
  const count = new Uint8Array(n);
  const lsite = new Int32Array(n * K).fill(-1);
  const ldist = new Float64Array(n * K).fill(Infinity);
  const lpred = new Int32Array(n * K).fill(NO_PRED);
  const { adjStart, adjNode, adjEdge, adjLen, closed } = g;
  const byEdge = indexEntrancesByEdge(g.edgeCount, entrances, active);
  // Dead ends are left out of the search and filled in afterwards (see deadEnds)
  const { leafEdge, count: nLeaves } = deadEnds(g, byEdge);
  // Heap entries carry (node, site, pred) directly: a binary heap on parallel typed arrays (the same algorithm as
  // flatqueue, so equal distances pop in the same order), grown by doubling. Inlined: no closures in the hot loop.
  let hcap = 1 << 12;
  while (hcap < active.length * 2 + 16) hcap *= 2;
  let hN = new Int32Array(hcap), hS = new Int32Array(hcap), hP = new Int32Array(hcap), hV = new Float64Array(hcap);
  let hLen = 0;
  const seeds: number[] = [];
  for (let i = 0; i < active.length; i++) {
    const en = entrances[active[i]];
    const e = en.edgeIndex;
    if (closed[e]) continue;
    const L = g.edgeLength[e];
    const ds = en.fraction * L, dt = (1 - en.fraction) * L;
    if (ds <= bound) seeds.push(g.edgeSource[e], en.siteIndex, entrancePred(active[i]), ds);
    if (dt <= bound) seeds.push(g.edgeTarget[e], en.siteIndex, entrancePred(active[i]), dt);
  }
  for (let i = 0; i < seeds.length; i += 4) {
    const nd = seeds[i + 3];
    let pos = hLen++;
    while (pos > 0) {
      const parent = (pos - 1) >> 1;
      const pv = hV[parent];
      if (nd >= pv) break;
      hN[pos] = hN[parent]; hS[pos] = hS[parent]; hP[pos] = hP[parent]; hV[pos] = pv; pos = parent;
    }
    hN[pos] = seeds[i]; hS[pos] = seeds[i + 1]; hP[pos] = seeds[i + 2]; hV[pos] = nd;
  }
  while (hLen > 0) {
    const d = hV[0], v = hN[0], s = hS[0], pr = hP[0];
    const last = --hLen;
    if (last > 0) {
      const xn = hN[last], xs = hS[last], xp = hP[last], value = hV[last];
      let pos = 0;
      const half = last >> 1;
      while (pos < half) {
        const left = (pos << 1) + 1, right = left + 1;
        const child = left + (+(right < last) & +(hV[right] < hV[left]));
        if (hV[child] >= value) break;
        hN[pos] = hN[child]; hS[pos] = hS[child]; hP[pos] = hP[child]; hV[pos] = hV[child]; pos = child;
      }
      hN[pos] = xn; hS[pos] = xs; hP[pos] = xp; hV[pos] = value;
    }
    const c = count[v];
    if (c >= K) continue;
    const base = v * K;
    let dup = false;
    for (let j = 0; j < c; j++) if (lsite[base + j] === s) { dup = true; break; }
    if (dup) continue;
    lsite[base + c] = s; ldist[base + c] = d; lpred[base + c] = pr;
    count[v] = c + 1;
    for (let k = adjStart[v], end = adjStart[v + 1]; k < end; k++) {
      const e = adjEdge[k];
      if (closed[e]) continue;
      const nd = d + adjLen[k];
      if (nd > bound) continue;
      const w = adjNode[k];
      if (leafEdge[w] >= 0) continue;
      const cw = count[w];
      if (cw >= K) continue;
      let has = false;
      const bw = w * K;
      for (let j = 0; j < cw; j++) if (lsite[bw + j] === s) { has = true; break; }
      if (has) continue;
      if (hLen === hcap) {
        hcap *= 2;
        const a1 = new Int32Array(hcap); a1.set(hN); hN = a1;
        const a2 = new Int32Array(hcap); a2.set(hS); hS = a2;
        const a3 = new Int32Array(hcap); a3.set(hP); hP = a3;
        const a4 = new Float64Array(hcap); a4.set(hV); hV = a4;
      }
      let pos = hLen++;
      while (pos > 0) {
        const parent = (pos - 1) >> 1;
        const pv = hV[parent];
        if (nd >= pv) break;
        hN[pos] = hN[parent]; hS[pos] = hS[parent]; hP[pos] = hP[parent]; hV[pos] = pv; pos = parent;
      }
      hN[pos] = w; hS[pos] = s; hP[pos] = e; hV[pos] = nd;
    }
  }
  if (nLeaves > 0) {
    for (let v = 0; v < n; v++) {
      const e = leafEdge[v];
      if (e < 0) continue;
      const u = g.edgeSource[e] === v ? g.edgeTarget[e] : g.edgeSource[e];
      const L = g.edgeLength[e];
      let c = 0;
      for (let j = 0, cu = count[u]; j < cu; j++) {
        const d = ldist[u * K + j] + L;
        if (d > bound) break;
        lsite[v * K + c] = lsite[u * K + j]; ldist[v * K + c] = d; lpred[v * K + c] = e; c++;
      }
      count[v] = c;
    }
  }
  return { K, count, site: lsite, dist: ldist, pred: lpred, byEdge, entrances, bound };
}

/**
 * Candidate sites of a point snapped on edge e at fraction f from K labels: distinct sites ascending by distance
 * (≤ bound), at most `max`. Writes site indexes / distances / via codes (0 source end, 1 target end, 2+entrance
 * same edge) into the out arrays from `offset`; returns how many.
 */
const scS = new Int32Array(1024), scD = new Float64Array(1024), scV = new Int32Array(1024);
let scM = 0;
/** Adds (site, distance, via) to the scratch list, keeping per site only the shortest. */
function addRaw(s: number, d: number, v: number, bound: number): void {
  if (d > bound || scM >= scS.length) return;
  for (let j = 0; j < scM; j++) if (scS[j] === s) { if (d < scD[j]) { scD[j] = d; scV[j] = v; } return; }
  scS[scM] = s; scD[scM] = d; scV[scM] = v; scM++;
}

export function candidatesForSnap(
  g: Graph, lab: KLabels, e: number, f: number, max: number,
  outSite: Int32Array, outDist: Float64Array, outVia: Int32Array, offset: number,
): number {
  if (e < 0 || g.closed[e]) return 0;
  const L = g.edgeLength[e];
  const K = lab.K;
  const sn = g.edgeSource[e], tn = g.edgeTarget[e];
  // gather (site, distance, via) from both end nodes' labels and same-edge entrances, in scratch typed arrays
  // (module-level helper, not a closure: closures created per call are costly in hot loops under tsx/esbuild)
  scM = 0;
  const bound = lab.bound;
  for (let j = 0, c = lab.count[sn]; j < c; j++) addRaw(lab.site[sn * K + j], f * L + lab.dist[sn * K + j], 0, bound);
  for (let j = 0, c = lab.count[tn]; j < c; j++) addRaw(lab.site[tn * K + j], (1 - f) * L + lab.dist[tn * K + j], 1, bound);
  for (let k = lab.byEdge.entStart[e], end = lab.byEdge.entStart[e + 1]; k < end; k++) {
    const en = lab.entrances[lab.byEdge.entByEdge[k]];
    addRaw(en.siteIndex, Math.abs(f - en.fraction) * L, 2 + lab.byEdge.entByEdge[k], bound);
  }
  const m = scM;
  // insertion sort by (distance, site)
  for (let i = 1; i < m; i++) {
    const s = scS[i], d = scD[i], v = scV[i];
    let j = i - 1;
    while (j >= 0 && (scD[j] > d || (scD[j] === d && scS[j] > s))) { scS[j + 1] = scS[j]; scD[j + 1] = scD[j]; scV[j + 1] = scV[j]; j--; }
    scS[j + 1] = s; scD[j + 1] = d; scV[j + 1] = v;
  }
  const n = Math.min(m, max);
  for (let j = 0; j < n; j++) { outSite[offset + j] = scS[j]; outDist[offset + j] = scD[j]; outVia[offset + j] = scV[j]; }
  return n;
}

/** Walks a K-label (or nearest-tree, K = 1) predecessor chain from node v for site s. Returns node list + entrance. */
export function pathFromLabels(g: Graph, lab: { K: number; site: Int32Array; pred: Int32Array; count?: Uint8Array }, v: number, s: number, outSteps: number[]): number {
  // outSteps receives encoded steps edge*2+dir in walking order (towards the site); returns the entrance index
  let guard = 0;
  for (;;) {
    const K = lab.K;
    let slot = -1;
    const c = lab.count ? lab.count[v] : 1;
    for (let j = 0; j < c; j++) if (lab.site[v * K + j] === s) { slot = v * K + j; break; }
    if (slot < 0) throw new Error(`path: node ${v} has no label for site ${s}`);
    const pr = lab.pred[slot];
    if (pr <= -2) return predEntrance(pr);
    if (pr === NO_PRED) throw new Error(`path: node ${v} has no predecessor`);
    const u = g.edgeSource[pr] === v ? g.edgeTarget[pr] : g.edgeSource[pr];
    // walking from v to u along edge pr: forward if v is the source
    outSteps.push(pr * 2 + (g.edgeSource[pr] === v ? 0 : 1));
    v = u;
    if (++guard > g.nodeCount + 1) throw new Error('path: predecessor cycle');
  }
}

/** Reusable single-source workspace (touched-list reset, so repeated queries cost only what they explore). */
export interface PointWorkspace {
  dist: Float64Array;
  pred: Int32Array;
  touched: Int32Array;
  nTouched: number;
}
export function pointWorkspace(g: Graph): PointWorkspace {
  return { dist: new Float64Array(g.nodeCount).fill(Infinity), pred: new Int32Array(g.nodeCount).fill(NO_PRED), touched: new Int32Array(g.nodeCount), nTouched: 0 };
}

export interface PointHit {
  site: number;
  entrance: number;
  distance: number;
  /** node through which the entrance is reached (-1 = same edge as the start) */
  node: number;
}

/**
 * Bounded single-source search from a point on edge e at fraction f: the nearest `maxSites` distinct sites among
 * the entrances indexed in `byEdge` (and reachable within `bound`). The workspace keeps the tree for
 * `pointPath`. Sites ascending by distance.
 */
export function pointSearch(g: Graph, ws: PointWorkspace, entrances: Entrance[], byEdge: EntranceEdgeIndex, e: number, f: number, maxSites: number, bound: number): PointHit[] {
  for (let i = 0; i < ws.nTouched; i++) { const v = ws.touched[i]; ws.dist[v] = Infinity; ws.pred[v] = NO_PRED; }
  ws.nTouched = 0;
  const best = new Map<number, PointHit>();
  if (e < 0 || g.closed[e]) return [];
  const L = g.edgeLength[e];
  const kth = () => {
    if (best.size < maxSites) return bound;
    const ds = [...best.values()].map((h) => h.distance).sort((a, b) => a - b);
    return Math.min(bound, ds[maxSites - 1]);
  };
  const offer = (en: number, d: number, node: number) => {
    const s = entrances[en].siteIndex;
    const cur = best.get(s);
    if (d <= bound && (!cur || d < cur.distance)) best.set(s, { site: s, entrance: en, distance: d, node });
  };
  for (let k = byEdge.entStart[e]; k < byEdge.entStart[e + 1]; k++) offer(byEdge.entByEdge[k], Math.abs(f - entrances[byEdge.entByEdge[k]].fraction) * L, -1);
  const q = new FlatQueue<number>();
  const seed = (v: number, d: number) => {
    if (d < ws.dist[v]) { if (ws.dist[v] === Infinity) ws.touched[ws.nTouched++] = v; ws.dist[v] = d; ws.pred[v] = NO_PRED; q.push(v, d); }
  };
  seed(g.edgeSource[e], f * L);
  seed(g.edgeTarget[e], (1 - f) * L);
  let limit = kth();
  while (q.length > 0) {
    const d = q.peekValue()!;
    const v = q.pop()!;
    if (d > ws.dist[v]) continue;
    if (d > limit) break;
    for (let k = g.adjStart[v], end = g.adjStart[v + 1]; k < end; k++) {
      const ed = g.adjEdge[k];
      if (g.closed[ed]) continue;
      // entrances on this edge
      const fromSource = g.edgeSource[ed] === v;
      for (let j = byEdge.entStart[ed]; j < byEdge.entStart[ed + 1]; j++) {
        const en = byEdge.entByEdge[j];
        const fr = entrances[en].fraction;
        offer(en, d + (fromSource ? fr : 1 - fr) * g.edgeLength[ed], v);
      }
      const w = g.adjNode[k];
      const nd = d + g.adjLen[k];
      if (nd < ws.dist[w] && nd <= bound) {
        if (ws.dist[w] === Infinity) ws.touched[ws.nTouched++] = w;
        ws.dist[w] = nd; ws.pred[w] = ed; q.push(w, nd);
      }
    }
    limit = kth();
  }
  return [...best.values()].sort((a, b) => a.distance - b.distance || a.site - b.site).slice(0, maxSites);
}

/**
 * The walking steps (edge*2+dir, from the start point towards `node`) of the last pointSearch's tree, i.e. the path
 * from the start edge's end node to `node`, in walking order. Returns the first node (an end of the start edge).
 */
export function pointPath(g: Graph, ws: PointWorkspace, node: number, outSteps: number[]): number {
  const rev: number[] = [];
  let v = node;
  let guard = 0;
  while (ws.pred[v] !== NO_PRED) {
    const e = ws.pred[v];
    const u = g.edgeSource[e] === v ? g.edgeTarget[e] : g.edgeSource[e];
    rev.push(e * 2 + (g.edgeSource[e] === u ? 0 : 1));
    v = u;
    if (++guard > g.nodeCount) throw new Error('pointPath: cycle');
  }
  for (let i = rev.length - 1; i >= 0; i--) outSteps.push(rev[i]);
  return v;
}
