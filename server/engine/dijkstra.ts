/**
 * Shortest paths on the CSR walking graph.
 *
 * - `kNearestSearch`: ONE bounded multi-source search from every active site entrance at once (a virtual
 *   super-source joined to both ends of each entrance's edge with the partial lengths) in which every node keeps up
 *   to K labels (distinct sites, ≤ bound) with a predecessor for path reconstruction. Exact: if site s is among node
 *   u's K nearest and v precedes u on the path from s, then s is among v's K nearest (otherwise v's K closer sites
 *   would be closer to u too), so labels only ever need to propagate from settled labels of predecessors. Each node
 *   keeps a tentative top-K: an offer is dropped when the node already has the site at most as far, or K other sites
 *   that all rank first (a site evicted that way can never come back).
 * - The same labels, site by site (`kBySite`, for bounded searches): a bounded Dijkstra per site whose label enters a
 *   node's sorted top-K, or stops the site's search there when K labels already rank before it. Same answers bit for
 *   bit (same sums, same tie rules), about twice as fast on a city: each site's search stays in a few kilobytes of
 *   records, where the search of all sites at once visits them in global distance order, a cache miss nearly every
 *   time. It gives up for the search of all sites at once when sites are too dense for the bound (a work budget).
 * - `nearestSearch`: K = 1, unbounded by default: every node's nearest site. On a large graph, site by site within
 *   500 m and from there on by a search of all sites at once over the junctions left (`kExtend`).
 * - Ranking and ties: sites rank by (distance, site index), so on equal distance the smaller site index comes first,
 *   including for the K-th place; labels are stored in that order. The queue pops (distance, site, node) in
 *   lexicographic order, which makes every label final when popped even with zero-length edges. On equal distance for
 *   the same site, the predecessor is the preferred one (`predRank`: an entrance seed before an edge, then the smaller
 *   index) among those offered before the label is settled; without zero-length edges that is all the equally short
 *   ways in, so paths do not depend on processing order. (Before, equal distances were ordered by a binary heap's
 *   internal order; results differ from then only where distances are exactly equal.)
 * - Queue: `MonoQueue`, an exact two-level bucket queue (pushes O(1), a small cache-resident heap per bucket).
 * - Less to search: dead ends are filled in after the search (`deadEnds`), and chains of degree-2 nodes are
 *   contracted (`kGraph`), walking a chain's lengths one by one so distances are the same floating-point sums as
 *   edge-by-edge relaxation; chain nodes get their labels from the chain's two ends afterwards. A `SearchWorkspace`
 *   keeps that search graph (and recycles result arrays) across searches.
 * - Building distances combine the two ends of the building's snapped edge with the partial edge lengths, and
 *   entrances on the same edge directly (|f_b − f_e|·L), so the result is exact including that case.
 * - `PointSearcher`: a bounded single-source search from a snapped point to the nearest sites (the resident's
 *   question, and the candidates of plans of few buildings).
 */
import FlatQueue from 'flatqueue';
import type { Entrance } from './types.ts';
import type { Graph } from './graph.ts';
import { BufferPool, lasting, stageBuffersOf, type Block } from './alloc.ts';

/** Predecessor code: ≥ 0 = edge index walked to reach the node; ≤ -2 = seeded by entrance (-2 - entranceIndex); -1 = none. */
export const NO_PRED = -1;
export const entrancePred = (en: number) => -2 - en;
export const predEntrance = (code: number) => -2 - code;

/** Entrances grouped by edge (CSR): entrances of edge e are entByEdge[entStart[e] .. entStart[e+1]-1]. */
export interface EntranceEdgeIndex {
  entStart: Int32Array;
  entByEdge: Int32Array;
}

/** (`reuse`: arrays of an index no longer used, filled instead of allocating when their sizes fit.) */
export function indexEntrancesByEdge(edgeCount: number, entrances: Entrance[], active: ArrayLike<number>, reuse?: EntranceEdgeIndex): EntranceEdgeIndex {
  const entStart = reuse && reuse.entStart.length === edgeCount + 1 ? reuse.entStart.fill(0) : new Int32Array(edgeCount + 1);
  // counts at [e], summed to the ends; placing backwards then leaves entStart[e] at the start (in `active` order)
  for (let i = 0; i < active.length; i++) entStart[entrances[active[i]].edgeIndex]++;
  for (let e = 1; e <= edgeCount; e++) entStart[e] += entStart[e - 1];
  const entByEdge = reuse && reuse.entByEdge.length >= active.length ? reuse.entByEdge.subarray(0, active.length) : new Int32Array(active.length);
  for (let i = active.length - 1; i >= 0; i--) entByEdge[--entStart[entrances[active[i]].edgeIndex]] = active[i];
  return { entStart, entByEdge };
}

/**
 * Exact monotone priority queue for Dijkstra-like searches: pops entries in ascending (key, sec) order (lexicographic:
 * `sec` breaks ties), provided no entry is pushed below the last popped key (true when lengths are ≥ 0).
 *
 * Two levels: keys fall into buckets of width 1/inv on a circular array that covers `window` (the largest possible gap
 * between a pushed key and the current minimum: the longest link, or the bound); a bucket is a chain of fixed-size
 * blocks in a typed-array pool (appends are sequential, blocks are recycled). Only the bucket being drained lives in a
 * binary heap (hK/hS, hLen entries), small enough to stay in cache, unlike one heap of millions of entries. Exact:
 * bucket order is key order (floor(key·inv) is monotone), the heap orders within a bucket.
 */
const QBLK = 16;
class MonoQueue {
  private inv: number;
  private mask: number;
  /** bucket slot → its newest block, -1 when empty */
  private head: Int32Array;
  private bData: Float64Array;
  private bNext: Int32Array;
  private bFill: Int32Array;
  private bFree = -1;
  private bTop = 0;
  private inBuckets = 0;
  /** absolute index of the bucket being drained (its entries are in the heap) */
  private cur = 0;
  hK: Float64Array;
  hS: Float64Array;
  hLen = 0;
  /** the last popped entry */
  key = 0;
  sec = 0;

  constructor(window: number, buckets: number) {
    this.head = new Int32Array(4);
    this.inv = 0; this.mask = 0;
    const blocks = 64;
    this.bData = new Float64Array(blocks * QBLK * 2); this.bNext = new Int32Array(blocks); this.bFill = new Int32Array(blocks);
    this.hK = new Float64Array(256); this.hS = new Float64Array(256);
    this.reset(window, buckets);
  }

  /** Empties the queue for a new search (keeps its memory). */
  reset(window: number, buckets: number): void {
    let nb = 4;
    while (nb < buckets + 3) nb *= 2;
    this.mask = nb - 1;
    this.inv = window > 0 && window < Infinity ? (nb - 3) / window : 0;
    if (this.head.length !== nb) this.head = new Int32Array(nb);
    this.head.fill(-1);
    this.bFree = -1; this.bTop = 0; this.inBuckets = 0; this.cur = 0; this.hLen = 0;
  }

  push(k: number, s: number): void {
    const b = Math.floor(k * this.inv);
    if (b <= this.cur) { this.heapPush(k, s); return; }
    const slot = b & this.mask;
    let blk = this.head[slot];
    if (blk < 0 || this.bFill[blk] === QBLK) {
      let nb = this.bFree;
      if (nb >= 0) this.bFree = this.bNext[nb];
      else {
        nb = this.bTop++;
        if (nb === this.bNext.length) {
          const cap = nb * 2;
          const a = new Float64Array(cap * QBLK * 2); a.set(this.bData); this.bData = a;
          const x = new Int32Array(cap); x.set(this.bNext); this.bNext = x;
          const y = new Int32Array(cap); y.set(this.bFill); this.bFill = y;
        }
      }
      this.bNext[nb] = blk; this.bFill[nb] = 0;
      this.head[slot] = blk = nb;
    }
    const i = (blk * QBLK + this.bFill[blk]++) * 2;
    this.bData[i] = k; this.bData[i + 1] = s;
    this.inBuckets++;
  }

  private heapPush(k: number, s: number): void {
    if (this.hLen === this.hK.length) this.growHeap(this.hLen * 2);
    const hK = this.hK, hS = this.hS;
    let pos = this.hLen++;
    while (pos > 0) {
      const par = (pos - 1) >> 1;
      const pk = hK[par];
      if (k > pk || (k === pk && s >= hS[par])) break;
      hK[pos] = pk; hS[pos] = hS[par]; pos = par;
    }
    hK[pos] = k; hS[pos] = s;
  }

  private growHeap(cap: number): void {
    const a = new Float64Array(cap); a.set(this.hK.subarray(0, this.hLen)); this.hK = a;
    const c = new Float64Array(cap); c.set(this.hS.subarray(0, this.hLen)); this.hS = c;
  }

  /** With an empty heap, moves the next non-empty bucket into it. False when the queue is empty. */
  private refill(): boolean {
    if (this.hLen > 0) return true;
    if (this.inBuckets === 0) return false;
    const head = this.head, mask = this.mask;
    let c = this.cur + 1;
    while (head[c & mask] < 0) c++;
    this.cur = c;
    let blk = head[c & mask];
    head[c & mask] = -1;
    const bData = this.bData, bNext = this.bNext, bFill = this.bFill;
    let m = 0;
    for (let b = blk; b >= 0; b = bNext[b]) m += bFill[b];
    if (m > this.hK.length) { let cap = this.hK.length; while (cap < m) cap *= 2; this.growHeap(cap); }
    const hK = this.hK, hS = this.hS;
    m = 0;
    while (blk >= 0) {
      for (let i = blk * QBLK * 2, end = i + bFill[blk] * 2; i < end; i += 2) { hK[m] = bData[i]; hS[m] = bData[i + 1]; m++; }
      const nx = bNext[blk];
      bNext[blk] = this.bFree; this.bFree = blk;
      blk = nx;
    }
    this.inBuckets -= m;
    this.hLen = m;
    for (let p = (m >> 1) - 1; p >= 0; p--) this.siftDown(p, hK[p], hS[p], m);
    return true;
  }

  private siftDown(pos: number, k: number, s: number, len: number): void {
    const hK = this.hK, hS = this.hS;
    const half = len >> 1;
    while (pos < half) {
      let child = (pos << 1) + 1;
      const right = child + 1;
      let ck = hK[child], cs = hS[child];
      if (right < len) {
        const rk = hK[right];
        if (rk < ck || (rk === ck && hS[right] < cs)) { child = right; ck = rk; cs = hS[right]; }
      }
      if (ck > k || (ck === k && cs >= s)) break;
      hK[pos] = ck; hS[pos] = cs; pos = child;
    }
    hK[pos] = k; hS[pos] = s;
  }

  /** Pops the smallest entry of the heap into key/sec (the heap is not empty). */
  private popMin(): void {
    const hK = this.hK, hS = this.hS;
    this.key = hK[0]; this.sec = hS[0];
    const last = --this.hLen;
    if (last > 0) this.siftDown(0, hK[last], hS[last], last);
  }

  /** Pops the smallest entry into key/sec; false when empty. */
  pop(): boolean {
    if (this.hLen === 0 && !this.refill()) return false;
    this.popMin();
    return true;
  }
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
 * Dead ends a search can skip: a node with one open edge, to a node with more, and no entrance on that edge.
 * Every path to it passes its neighbour, so its labels are the neighbour's plus the edge (filled in after the
 * search). Real and generated networks have many (building driveways, footpath stubs: ~36 % of the generated city).
 */
export function deadEnds(g: Graph, byEdge: EntranceEdgeIndex): { leafEdge: Int32Array; count: number } {
  const { adjStart, adjNode, adjEdge, closed } = g;
  const n = g.nodeCount;
  const leafEdge = lasting.i32(n).fill(-1); // kept by the search graph
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

/**
 * One multi-source Dijkstra from the `active` entrances (indexes into `entrances`), up to `bound` metres: every node
 * gets its nearest site (on equal distance the smaller site index), the distance and a predecessor. The same search
 * as kNearestSearch with K = 1 (same labels and predecessors); pass a SearchWorkspace to reuse the search graph.
 */
export function nearestSearch(g: Graph, entrances: Entrance[], active: ArrayLike<number>, bound = Infinity, ws?: SearchWorkspace): NearestTree {
  const lab = kNearestSearch(g, entrances, active, 1, bound, ws);
  return { dist: lab.dist, site: lab.site, pred: lab.pred, byEdge: lab.byEdge, entrances, bound };
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

/**
 * The NearestTree of all the `lab` search's sites without a bound (what nearestSearch(g, entrances, active) gives, the
 * same distances, sites and predecessors) from k-nearest labels `lab` of those sites within lab.bound, so that a plan
 * whose candidate search covers every active site need not search for the nearest again: a node with a label has its
 * first as its nearest; the others — every site farther than the bound — get theirs by a search from the labelled nodes
 * next to them, over the unlabelled nodes only. On a shortest way from a site to an unlabelled node, the last labelled
 * node has that site (or one as near) first, so the search offers each unlabelled node what the search of all sites from
 * the start would, adding the same lengths in the same order; ties rank as there, by (distance, site). Pass the same
 * workspace as for `lab`: its K = 1 result arrays are used.
 */
export function nearestFromLabels(g: Graph, lab: KLabels, ws?: SearchWorkspace): NearestTree {
  const n = g.nodeCount, K = lab.K;
  const la = labelArrays(g, 1, workspaceFor(g, ws));
  const { count: done, site, dist, pred } = la;
  const { adjStart, adjNode, adjEdge, adjLen, closed } = g;
  const lc = lab.count, ls = lab.site, ld = lab.dist, lp = lab.pred;
  for (let v = 0; v < n; v++) {
    if (lc[v] > 0) { done[v] = 1; site[v] = ls[v * K]; dist[v] = ld[v * K]; pred[v] = lp[v * K]; }
    else { done[v] = 0; site[v] = -1; dist[v] = Infinity; pred[v] = NO_PRED; }
  }
  // seeds: the unlabelled nodes next to labelled ones, and the unlabelled ends of the active entrances' edges
  let hLen = 0;
  for (let v = 0; v < n; v++) {
    if (done[v]) continue;
    for (let k = adjStart[v], end = adjStart[v + 1]; k < end; k++) {
      const u = adjNode[k], e = adjEdge[k];
      if (!done[u] || closed[e]) continue;
      hLen = nfOffer(v, dist[u] + adjLen[k], site[u], e, dist, site, pred, hLen);
    }
  }
  const { entStart, entByEdge } = lab.byEdge, entrances = lab.entrances;
  for (let e = 0; e < g.edgeCount; e++) {
    if (entStart[e] === entStart[e + 1] || closed[e]) continue;
    const L = g.edgeLength[e], a = g.edgeSource[e], b = g.edgeTarget[e];
    if (done[a] && done[b]) continue;
    for (let k = entStart[e]; k < entStart[e + 1]; k++) {
      const i = entByEdge[k], en = entrances[i], s = en.siteIndex;
      for (let end = 0; end < 2; end++) {
        const v = end === 0 ? a : b;
        if (done[v]) continue;
        hLen = nfOffer(v, end === 0 ? en.fraction * L : (1 - en.fraction) * L, s, entrancePred(i), dist, site, pred, hLen);
      }
    }
  }
  while (hLen > 0) {
    const d = nfD[0], s = nfS[0], v = nfV[0];
    hLen = nfPop(hLen);
    if (done[v] || d !== dist[v] || s !== site[v]) continue;
    done[v] = 1;
    for (let k = adjStart[v], end = adjStart[v + 1]; k < end; k++) {
      const w = adjNode[k], e = adjEdge[k];
      if (done[w] || closed[e]) continue;
      hLen = nfOffer(w, d + adjLen[k], s, e, dist, site, pred, hLen);
    }
  }
  return { dist, site, pred, byEdge: lab.byEdge, entrances: lab.entrances, bound: Infinity };
}

/**
 * Offers (distance nd, site s, predecessor pr) to unsettled node v: taken when (nd, s) ranks first, and on the same
 * (nd, s) the preferred predecessor (predRank) is kept, as the searches do. Returns the heap's length.
 */
function nfOffer(v: number, nd: number, s: number, pr: number, dist: Float64Array, site: Int32Array, pred: Int32Array, hLen: number): number {
  const d = dist[v];
  if (nd < d || (nd === d && s < site[v])) {
    dist[v] = nd; site[v] = s; pred[v] = pr;
    return nfPush(hLen, nd, s, v);
  }
  if (nd === d && s === site[v] && predRank(pr) < predRank(pred[v])) pred[v] = pr;
  return hLen;
}

// nearestFromLabels' binary heap of (distance, site, node), least (distance, site) first
let nfD = new Float64Array(256), nfS = new Int32Array(256), nfV = new Int32Array(256);
function nfPush(len: number, d: number, s: number, v: number): number {
  if (len === nfD.length) {
    const D = new Float64Array(2 * len), S = new Int32Array(2 * len), V = new Int32Array(2 * len);
    D.set(nfD); S.set(nfS); V.set(nfV); nfD = D; nfS = S; nfV = V;
  }
  let i = len;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (nfD[p] < d || (nfD[p] === d && nfS[p] <= s)) break;
    nfD[i] = nfD[p]; nfS[i] = nfS[p]; nfV[i] = nfV[p]; i = p;
  }
  nfD[i] = d; nfS[i] = s; nfV[i] = v;
  return len + 1;
}
function nfPop(len: number): number {
  const last = --len;
  if (last === 0) return 0;
  const d = nfD[last], s = nfS[last], v = nfV[last];
  let i = 0;
  const half = last >> 1;
  while (i < half) {
    let c = 2 * i + 1;
    if (c + 1 < last && (nfD[c + 1] < nfD[c] || (nfD[c + 1] === nfD[c] && nfS[c + 1] < nfS[c]))) c++;
    if (nfD[c] > d || (nfD[c] === d && nfS[c] >= s)) break;
    nfD[i] = nfD[c]; nfS[i] = nfS[c]; nfV[i] = nfV[c]; i = c;
  }
  nfD[i] = d; nfS[i] = s; nfV[i] = v;
  return len;
}

/** Up to K nearest distinct sites per node, ordered by (distance, site index), all within `bound`. */
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

/**
 * Buckets across the queue window: about QBATCH entries per bucket, guessing `entries` pushes spread over distances
 * up to `range` (the bound, else ten windows), 16 .. 65,536.
 */
const QBATCH = 512;
function bucketCount(window: number, range: number, entries: number): number {
  const r = Math.max(window, Math.min(range, 10 * window));
  return Math.max(16, Math.min(65536, Math.round((window / r) * (entries / QBATCH))));
}

/**
 * Preference between two predecessors of the same label at the same distance (smaller wins): an entrance seed
 * before any edge, smaller entrance index first, then smaller edge index.
 */
function predRank(p: number): number {
  return p >= 0 ? p : -2147483650 - p;
}

/**
 * Search graph of the searches. Dead ends are left out (see deadEnds); chains of degree-2 nodes without an entrance
 * on their edges are contracted: only "junctions" (every other node that takes part) are searched, and a link
 * between two junctions is a direct edge or a whole chain, walked length by length so that distances are the very
 * same floating-point sums as edge-by-edge relaxation. Chain nodes get their labels afterwards from the chain's two
 * ends (see kChainLabels).
 *
 * Junction records (float64 word o, int32 index 2·o), in node order so that ties can be broken by record offset, with
 * label room for KL labels:
 *   int32 [2o]    settled count | tentative count << 8      int32 [2o+1]  number of links
 *   f64   [o+1+j]            label distances, j < KL
 *   int32 [2(o+1+KL) + j]    label sites;  int32 [2(o+1+KL) + KL + j]  label predecessors
 *   then each link at word a: int32 [2a] target record, [2a+1] last edge (the label's predecessor at the target),
 *   [2a+2] first edge, [2a+3] number of lengths L; f64 [a+2 .. a+1+L] the lengths in walking order.
 * Slots [0, count) hold the settled labels (ascending), [count, tcount) the tentative ones (unordered, each with a
 * queue entry). Settled labels always come before tentative ones in (distance, site) order.
 */
interface KGraph {
  KL: number;
  r64: Float64Array;
  r32: Int32Array;
  /** junction record offset by node, -1 for other nodes */
  rec: Int32Array;
  /** junction record offsets in order (by junction index) */
  recs: Int32Array;
  /** junction index by node, -1 for other nodes (links name their far end by it) */
  jix: Int32Array;
  /** per-site search state by junction index (kBySite) */
  sDist: Float64Array;
  sPred: Int32Array;
  sStamp: Int32Array;
  sId: number;
  words: number;
  /** longest link (sum of its lengths) */
  maxLink: number;
  leafEdge: Int32Array;
  /** chains: ends (nodes); interior nodes cNode[cStart[c] .. cStart[c+1]); their cStart[c+1] - cStart[c] + 1 edges
   *  and lengths, A to B, from cEdge[cStart[c] + c] / cLen[…] */
  nChains: number;
  cA: Int32Array;
  cB: Int32Array;
  cStart: Int32Array;
  cNode: Int32Array;
  cEdge: Int32Array;
  cLen: Float64Array;
  /** chain nodes in no chain (rings of degree-2 nodes without a junction): never labelled */
  orphans: Int32Array;
}

/**
 * Reusable state for repeated searches on one graph (pass the same workspace to kNearestSearch / nearestSearch, e.g.
 * one per plan context):
 * - the contracted search graph is kept while the graph object, its closed edges and the set of edges that carry an
 *   entrance (any of those passed, active or not) stay the same (else rebuilt), and the queue's memory is recycled
 *   (~90 bytes per node for K = 6: 94 MB for the generated city's 1.1 M nodes);
 * - result arrays: a result's arrays are views of one buffer of the graph's stage buffers (alloc.ts,
 *   `stageBuffersOf`); `recycle()` declares the results returned before it dead and gives their buffers back, for the
 *   next search or another stage (a plan gives them back once its routes are walked: its signs then work in that
 *   memory, ~110 MB in a city, instead of faulting in as much new memory). Results returned after the last `recycle()`
 *   are never overwritten.
 */
export class SearchWorkspace {
  /** @internal */ g: Graph | null = null;
  /** @internal */ edgeLength: Float64Array | null = null;
  /** @internal */ adjLen: Float64Array | null = null;
  /** @internal */ closed: Uint8Array | null = null;
  /** @internal the edges of all entrances the search graph was built for: per entrance, and as flags per edge */
  entEdges: Int32Array | null = null;
  /** @internal */ entEdge: Uint8Array | null = null;
  /** @internal */ kg: KGraph | null = null;
  /** @internal */ q: MonoQueue | null = null;
  /** @internal result arrays handed out since the last recycle() (on stage buffers), and entrance indexes free for
   *  reuse */
  handed: LabelArrays[] = [];
  /** @internal */ freeByEdge: EntranceEdgeIndex[] = [];
  /** @internal workspaces made by the search itself keep no result arrays */
  implicit = false;

  /** Declares every result returned so far through this workspace dead: their arrays may be reused. */
  recycle(): void {
    for (const a of this.handed) this.giveBack(a);
    this.handed.length = 0;
  }
  /** Declares one result (a NearestTree or KLabels from this workspace) dead before the others. */
  release(result: { dist: Float64Array }): void {
    const i = this.handed.findIndex((a) => a.dist === result.dist);
    if (i >= 0) this.giveBack(this.handed.splice(i, 1)[0]);
  }
  private giveBack(a: LabelArrays): void {
    a.pool!.give(a.block);
    if (a.byEdge) this.freeByEdge.push(a.byEdge);
  }
}

interface LabelArrays {
  count: Uint8Array; site: Int32Array; dist: Float64Array; pred: Int32Array;
  /** the result's entrance index (entByEdge: the whole array, the result has a prefix) */
  byEdge: EntranceEdgeIndex | null;
  /** the block the four arrays are views of, and the pool it came from (a workspace's: its graph's stage buffers,
   *  given back by recycle()) */
  block: Block;
  pool: BufferPool | null;
}

/**
 * Result arrays for n nodes × K labels, contents undefined: the label writers (kJunctionLabels, kChainLabels,
 * emptyRow for orphans, kLeafLabels) write every node's count and whole row, free slots as -1 / Infinity / NO_PRED.
 * A workspace's are views of one buffer of the graph's stage buffers (alloc.ts): a plan gives them back once its
 * routes are walked, and its signs work in that memory next.
 */
function labelArrays(g: Graph, K: number, ws: SearchWorkspace): LabelArrays {
  const n = g.nodeCount, m = n * K;
  const pool = ws.implicit ? null : stageBuffersOf(g.adjStart);
  const block = pool === null ? { buffer: new ArrayBuffer(16 * m + n), offset: 0, bytes: 16 * m + n } : pool.take(16 * m + n);
  const { buffer: buf, offset: o } = block;
  const a: LabelArrays = {
    dist: new Float64Array(buf, o, m), site: new Int32Array(buf, o + 8 * m, m), pred: new Int32Array(buf, o + 12 * m, m),
    count: new Uint8Array(buf, o + 16 * m, n), byEdge: ws.implicit ? null : ws.freeByEdge.pop() ?? null, block, pool,
  };
  if (!ws.implicit) ws.handed.push(a);
  return a;
}

/** Edges carrying one of the entrances (what, besides closed edges, shapes the search graph). */
function entranceEdgeFlags(edgeCount: number, entEdges: Int32Array): Uint8Array {
  const f = new Uint8Array(edgeCount);
  for (let i = 0; i < entEdges.length; i++) if (entEdges[i] >= 0) f[entEdges[i]] = 1;
  return f;
}
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  const n = a.length;
  let i = 0;
  // word by word where both views allow it (the closed flags of a big graph: ~1.5 M bytes per check)
  if (a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0) {
    const w = n >> 2;
    const a4 = new Int32Array(a.buffer, a.byteOffset, w), b4 = new Int32Array(b.buffer, b.byteOffset, w);
    for (; i < w; i++) if (a4[i] !== b4[i]) return false;
    i = w << 2;
  }
  for (; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}
function sameInts(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * A search without a workspace gets one of its own per graph: kept for graphs up to IMPLICIT_WS_MAX_NODES nodes (a
 * few MB at most, freed with the graph), so repeated small searches (e.g. every plan of a district) skip rebuilding
 * the search graph; for larger graphs only weakly (a WeakRef: it survives the current synchronous job, e.g. the
 * nearest-site and candidate searches of one plan share it, and is dropped at a later GC), so big graphs retain
 * memory only in a workspace their caller owns. Implicit workspaces never recycle result arrays.
 */
const IMPLICIT_WS_MAX_NODES = 200_000;
const implicitWs = new WeakMap<Graph, SearchWorkspace>();
const implicitWeakWs = new WeakMap<Graph, WeakRef<SearchWorkspace>>();
function workspaceFor(g: Graph, ws: SearchWorkspace | undefined): SearchWorkspace {
  if (ws) return ws;
  let w = g.nodeCount <= IMPLICIT_WS_MAX_NODES ? implicitWs.get(g) : implicitWeakWs.get(g)?.deref();
  if (!w) {
    w = new SearchWorkspace();
    w.implicit = true;
    if (g.nodeCount <= IMPLICIT_WS_MAX_NODES) implicitWs.set(g, w);
    else implicitWeakWs.set(g, new WeakRef(w));
  }
  return w;
}

/**
 * The search graph for these entrances, from the workspace when it still fits (labels reset), else built. It is built
 * for ALL the entrances (active or not: an edge with an inactive entrance only makes a few more junctions, and the
 * searches are exact on any such graph), so the searches of one plan over different active subsets (nearest site,
 * candidates per level and zone group) share one search graph.
 */
function searchGraph(g: Graph, entrances: Entrance[], K: number, ws: SearchWorkspace): KGraph {
  const entEdges = new Int32Array(entrances.length);
  for (let i = 0; i < entrances.length; i++) entEdges[i] = entrances[i].edgeIndex;
  if (ws.kg && ws.g === g && ws.edgeLength === g.edgeLength && ws.adjLen === g.adjLen && ws.kg.KL >= K && sameBytes(ws.closed!, g.closed)) {
    let fits = sameInts(ws.entEdges!, entEdges);
    if (!fits && sameBytes(ws.entEdge!, entranceEdgeFlags(g.edgeCount, entEdges))) { fits = true; ws.entEdges = entEdges; }
    if (fits) {
      const { recs, r32 } = ws.kg;
      for (let i = 0; i < recs.length; i++) r32[2 * recs[i]] = 0;
      return ws.kg;
    }
  }
  // room for the labels a k-nearest search will want after a nearest search (K = 6 in plans)
  const KL = Math.max(K, ws.kg ? ws.kg.KL : 6);
  const all: number[] = [];
  for (let i = 0; i < entrances.length; i++) if (entEdges[i] >= 0) all.push(i);
  ws.kg = null; // (the old one can be collected while the new one is built)
  const kg = kGraph(g, indexEntrancesByEdge(g.edgeCount, entrances, all), KL);
  ws.g = g; ws.edgeLength = g.edgeLength; ws.adjLen = g.adjLen; ws.closed = g.closed.slice();
  ws.entEdges = entEdges; ws.entEdge = entranceEdgeFlags(g.edgeCount, entEdges); ws.kg = kg;
  return kg;
}

/** The contracted search graph; `byEdge` gives the edges that carry an entrance (they are never contracted). */
function kGraph(g: Graph, byEdge: EntranceEdgeIndex, KL: number): KGraph {
  const n = g.nodeCount;
  const { leafEdge } = deadEnds(g, byEdge);
  // 0 = not searched (dead end), 1 = junction, 2 = chain node
  const kind = new Uint8Array(n);
  const nInterior = kClassify(g, leafEdge, byEdge, kind);
  const chainOf = new Int32Array(n).fill(-1);
  // every chain has at least one node: at most nInterior chains, nInterior + chains edges (what the search graph keeps
  // is `lasting`, see alloc.ts)
  const cStart = lasting.i32(nInterior + 1);
  const cNode = lasting.i32(nInterior);
  const cEdge = lasting.i32(2 * nInterior);
  const cLen = lasting.f64(2 * nInterior);
  const cA = lasting.i32(nInterior), cB = lasting.i32(nInterior);
  // rec first holds each junction's link words
  const rec = lasting.i32(n).fill(-1);
  const nChains = kChains(g, leafEdge, kind, chainOf, cStart, cNode, cEdge, cLen, cA, cB, rec);
  let words = 0, nj = 0;
  for (let v = 0; v < n; v++) {
    if (kind[v] !== 1) continue;
    const w = rec[v];
    rec[v] = words;
    words += 1 + 2 * KL + w;
    nj++;
  }
  if (words >= 2 ** 30) throw new Error('kNearestSearch: graph too large');
  const recs = lasting.i32(nj);
  const jix = lasting.i32(n).fill(-1);
  for (let v = 0, i = 0; v < n; v++) if (kind[v] === 1) { recs[i] = rec[v]; jix[v] = i++; }
  const buf = lasting.buffer(Math.max(8, words * 8));
  const r64 = new Float64Array(buf), r32 = new Int32Array(buf);
  const maxLink = kFill(g, leafEdge, kind, chainOf, cA, cB, cStart, cNode, cEdge, cLen, KL, jix, rec, r64, r32);
  let nOrphans = 0;
  for (let v = 0; v < n; v++) if (kind[v] === 2 && chainOf[v] < 0) nOrphans++;
  const orphans = new Int32Array(nOrphans);
  for (let v = 0, i = 0; v < n; v++) if (kind[v] === 2 && chainOf[v] < 0) orphans[i++] = v;
  return {
    KL, r64, r32, rec, recs, jix, words, maxLink, leafEdge, nChains, cA, cB, cStart, cNode, cEdge, cLen, orphans,
    sDist: lasting.f64(nj), sPred: lasting.i32(nj), sStamp: lasting.i32(nj), sId: 0,
  };
}

/** Marks searched nodes as junctions or chain nodes; returns the number of chain nodes. */
function kClassify(g: Graph, leafEdge: Int32Array, byEdge: EntranceEdgeIndex, kind: Uint8Array): number {
  const { adjStart, adjNode, adjEdge, closed } = g;
  const { entStart } = byEdge;
  const n = g.nodeCount;
  let nInterior = 0;
  for (let v = 0; v < n; v++) {
    if (leafEdge[v] >= 0) continue;
    let deg = 0, chainable = true;
    for (let k = adjStart[v], end = adjStart[v + 1]; k < end; k++) {
      const e = adjEdge[k], w = adjNode[k];
      if (closed[e] || leafEdge[w] >= 0) continue;
      deg++;
      if (w === v || entStart[e] !== entStart[e + 1]) chainable = false;
    }
    if (deg === 2 && chainable) { kind[v] = 2; nInterior++; } else kind[v] = 1;
  }
  return nInterior;
}

/**
 * Walks every chain once, from its first junction end in node order, recording its nodes, edges and lengths, and
 * adds each junction's link words into `size` (3 + lengths per link).
 */
function kChains(
  g: Graph, leafEdge: Int32Array, kind: Uint8Array, chainOf: Int32Array, cStart: Int32Array, cNode: Int32Array, cEdge: Int32Array,
  cLen: Float64Array, cA: Int32Array, cB: Int32Array, size: Int32Array,
): number {
  const { adjStart, adjNode, adjEdge, adjLen, closed } = g;
  const n = g.nodeCount;
  let nc = 0, pn = 0, pe = 0;
  for (let v = 0; v < n; v++) {
    if (kind[v] !== 1) continue;
    if (size[v] < 0) size[v] = 0;
    for (let k = adjStart[v], end = adjStart[v + 1]; k < end; k++) {
      let e = adjEdge[k], w = adjNode[k];
      if (closed[e] || leafEdge[w] >= 0) continue;
      if (kind[w] === 1) { size[v] += 3; continue; }
      if (chainOf[w] >= 0) continue; // walked from its other end
      cEdge[pe] = e; cLen[pe] = adjLen[k]; pe++;
      let m = 0;
      while (kind[w] === 2) {
        chainOf[w] = nc;
        cNode[pn++] = w;
        m++;
        // the chain node's other search half-edge
        let k2 = adjStart[w];
        for (const end2 = adjStart[w + 1]; k2 < end2; k2++) {
          const f = adjEdge[k2];
          if (f !== e && !closed[f] && leafEdge[adjNode[k2]] < 0) break;
        }
        e = adjEdge[k2];
        w = adjNode[k2];
        cEdge[pe] = e; cLen[pe] = adjLen[k2]; pe++;
      }
      // w is a junction (chain nodes have degree 2, so a walk from a junction ends at one)
      cA[nc] = v; cB[nc] = w;
      cStart[nc + 1] = pn;
      size[v] += 3 + m;
      if (size[w] < 0) size[w] = 0;
      size[w] += 3 + m;
      nc++;
    }
  }
  return nc;
}

/** Writes the junctions' links; returns the longest link. */
function kFill(
  g: Graph, leafEdge: Int32Array, kind: Uint8Array, chainOf: Int32Array, cA: Int32Array, cB: Int32Array, cStart: Int32Array,
  cNode: Int32Array, cEdge: Int32Array, cLen: Float64Array, KL: number, jix: Int32Array, rec: Int32Array, r64: Float64Array, r32: Int32Array,
): number {
  const { adjStart, adjNode, adjEdge, adjLen, closed } = g;
  const n = g.nodeCount;
  let maxLink = 0;
  for (let v = 0; v < n; v++) {
    if (kind[v] !== 1) continue;
    const o = rec[v];
    let a = o + 1 + 2 * KL, deg = 0;
    for (let k = adjStart[v], end = adjStart[v + 1]; k < end; k++) {
      const e = adjEdge[k], w = adjNode[k];
      if (closed[e] || leafEdge[w] >= 0) continue;
      deg++;
      if (kind[w] === 1) {
        r32[2 * a] = jix[w]; r32[2 * a + 1] = e; r32[2 * a + 2] = e; r32[2 * a + 3] = 1;
        r64[a + 2] = adjLen[k];
        if (adjLen[k] > maxLink) maxLink = adjLen[k];
        a += 3;
        continue;
      }
      const c = chainOf[w];
      const s0 = cStart[c], m = cStart[c + 1] - s0, e0 = s0 + c;
      // forward when the chain starts here with this edge (a chain from v back to v has both directions at v)
      const fwd = cA[c] === v && cEdge[e0] === e && cNode[s0] === w;
      r32[2 * a] = jix[fwd ? cB[c] : cA[c]];
      r32[2 * a + 1] = fwd ? cEdge[e0 + m] : cEdge[e0];
      r32[2 * a + 2] = e;
      r32[2 * a + 3] = m + 1;
      let sum = 0;
      if (fwd) for (let i = 0; i <= m; i++) { const len = cLen[e0 + i]; r64[a + 2 + i] = len; sum += len; }
      else for (let i = 0; i <= m; i++) { const len = cLen[e0 + m - i]; r64[a + 2 + i] = len; sum += len; }
      if (sum > maxLink) maxLink = sum;
      a += 3 + m;
    }
    r32[2 * o + 1] = deg;
  }
  return maxLink;
}

/**
 * Bounded k-nearest-sites search from the `active` entrances: for every node, the K nearest distinct sites within
 * `bound`, ordered by (distance, site index) — on equal distance the smaller site index ranks first, also for the
 * K-th place (see the file header). Pass a SearchWorkspace to reuse the search graph and result arrays across calls
 * (see workspaceFor for what happens without one).
 */
export function kNearestSearch(
  g: Graph, entrances: Entrance[], active: ArrayLike<number>, K: number, bound: number, ws?: SearchWorkspace,
): KLabels {
  if (!(K >= 1 && K <= 255)) throw new Error(`kNearestSearch: K must be 1..255, got ${K}`);
  const w = workspaceFor(g, ws);
  const la = labelArrays(g, K, w);
  const prev = la.byEdge;
  const byEdge = indexEntrancesByEdge(g.edgeCount, entrances, active, prev ?? undefined);
  la.byEdge = { entStart: byEdge.entStart, entByEdge: prev && prev.entByEdge.length >= active.length ? prev.entByEdge : byEdge.entByEdge };
  const kg = searchGraph(g, entrances, K, w);
  // Site by site (see kBySite) on a graph whose records do not fit in a cache, within the bound, or for the nearest
  // site (K = 1, no bound) within nearestLocalM and on from there (kExtend); else, or when pruning turns out weak, all
  // sites at once.
  const local = kg.words * 8 < K_SEARCH.minBytes ? 0 : bound < Infinity ? bound : K === 1 ? K_SEARCH.nearestLocalM : 0;
  if (local > 0 && kBySiteShared(g, entrances, active, kg, K, local, w)) {
    if (local < bound) kExtend(g, entrances, active, kg, local, w);
  } else {
    if (local > 0) for (let i = 0; i < kg.recs.length; i++) kg.r32[2 * kg.recs[i]] = 0;
    kAllSites(g, entrances, active, kg, K, bound, w);
  }
  kInnerLabels(kg, K, bound, la);
  const { count, site: lsite, dist: ldist, pred: lpred } = la;
  kLeafLabels(g, kg.leafEdge, K, bound, count, lsite, ldist, lpred);
  return { K, count, site: lsite, dist: ldist, pred: lpred, byEdge, entrances, bound };
}

/**
 * The junctions' labels from one multi-source search of all sites at once, in (distance, site, junction) order: each
 * junction settles its first K labels (its K nearest sites); a tentative label is dropped when K better ones are listed.
 */
/**
 * After kBySite with K = 1 and a bound b: every junction with a site within b has its nearest; the others get theirs
 * by a search of all sites at once from the labelled junctions next to them and from the entrances farther than b from
 * an end of their edge. On a shortest way from a site to a junction
 * beyond b, the junctions within b have that site as their nearest too (a nearer one would be nearer beyond), and a way
 * through a junction beyond b back to one within b is longer than b; so this search, in the same (distance, site,
 * junction) order, offers each junction beyond b exactly what the search of all sites from the start would. It runs
 * over the few junctions beyond b (1 % of the generated city within 500 m) instead of all of them.
 */
function kExtend(g: Graph, entrances: Entrance[], active: ArrayLike<number>, kg: KGraph, local: number, w: SearchWorkspace): void {
  const { r64, r32, rec, recs, KL } = kg;
  // (its first keys spread over 0 .. b and the entrances' partial edges beyond b: a window wider by b)
  const P = kQueueP(kg);
  const q = kQueue(g, entrances, active, kg, 1, Infinity, w, P, local);
  const A = 1 + 2 * KL;
  for (let j = 0; j < recs.length; j++) {
    const o = recs[j];
    if ((r32[2 * o] & 255) === 0) continue;
    // a link to an unlabelled junction is longer than b − d (else its far end would be labelled): only those links'
    // far ends are looked at (a cache miss each), not every neighbour's
    const d = r64[o + 1];
    let a = o + A, next = false;
    for (let x = 0, deg = r32[2 * o + 1]; x < deg && !next; x++) {
      const nl = r32[2 * a + 3];
      let nd = d;
      for (let y = a + 2, end = a + 2 + nl; y < end && nd <= local; y++) nd += r64[y];
      if (nd > local) next = (r32[2 * recs[r32[2 * a]]] & 255) === 0;
      a += 2 + nl;
    }
    if (!next) continue;
    // its label tentative again (none settled, one listed), for kRun to settle in order and pass on
    r32[2 * o] = 256;
    q.push(r64[o + 1], r32[2 * (o + 1 + KL)] * P + o);
  }
  // and the ways in from entrances farther than b from the ends of their edges (kBySite left them out)
  kSeed(g, entrances, active, rec, 1, KL, P, Infinity, r64, r32, q, local);
  kRun(1, KL, P, Infinity, recs, r64, r32, q);
}

/** Queue entries order ties by (site, node): sec = site·P + record offset (records are in node order). */
function kQueueP(kg: KGraph): number {
  let P = 1;
  while (P <= kg.words) P *= 2;
  return P;
}

/**
 * The workspace's queue, emptied for a search of all sites at once with keys sec = site·P + record (see kQueueP),
 * whose first keys lie within `spread` + a link.
 */
function kQueue(
  g: Graph, entrances: Entrance[], active: ArrayLike<number>, kg: KGraph, K: number, bound: number, w: SearchWorkspace, P: number, spread = 0,
): MonoQueue {
  let maxSite = 0;
  for (let i = 0; i < active.length; i++) maxSite = Math.max(maxSite, entrances[active[i]].siteIndex);
  if ((maxSite + 1) * P > 2 ** 53) throw new Error('kNearestSearch: too many sites for the queue key');
  // the widest gap between a pushed key and the current minimum: the longest link (a little slack for the sums)
  const window = Math.min(kg.maxLink * (1 + 1e-9) + 1e-9 + spread, bound);
  const buckets = bucketCount(window, bound, g.nodeCount * K);
  if (w.q) w.q.reset(window, buckets);
  else w.q = new MonoQueue(window, buckets);
  return w.q;
}

function kAllSites(g: Graph, entrances: Entrance[], active: ArrayLike<number>, kg: KGraph, K: number, bound: number, w: SearchWorkspace): void {
  const { r64, r32, rec, recs, KL } = kg;
  const P = kQueueP(kg);
  const q = kQueue(g, entrances, active, kg, K, bound, w, P);
  kSeed(g, entrances, active, rec, K, KL, P, bound, r64, r32, q);
  kRun(K, KL, P, bound, recs, r64, r32, q);
}

/**
 * Offers label (site s, distance nd, predecessor pr) to the tentative top-K of the junction with record o (label room
 * KL). Equal distance for a listed site: the preferred predecessor (predRank) is kept, as long as it is not settled.
 */
function offerK(
  o: number, s: number, nd: number, pr: number, K: number, KL: number, P: number, r64: Float64Array, r32: Int32Array, q: MonoQueue,
): void {
  const cw = r32[2 * o];
  const c = cw & 255;
  if (c >= K) return;
  const tc = cw >> 8;
  const bs = 2 * (o + 1 + KL), bd = o + 1;
  let j = 0;
  while (j < tc && r32[bs + j] !== s) j++;
  if (j < tc) {
    if (j < c) return;
    const od = r64[bd + j];
    if (nd > od) return;
    if (nd === od) {
      if (predRank(pr) < predRank(r32[bs + KL + j])) r32[bs + KL + j] = pr;
      return;
    }
    r64[bd + j] = nd; r32[bs + KL + j] = pr;
    q.push(nd, s * P + o);
    return;
  }
  if (tc < K) {
    r32[bs + tc] = s; r64[bd + tc] = nd; r32[bs + KL + tc] = pr; r32[2 * o] = cw + 256;
    q.push(nd, s * P + o);
    return;
  }
  // K sites listed: replace the worst tentative one if (nd, s) comes first; an evicted site can never come back
  let wj = c, wd = r64[bd + c], wsi = r32[bs + c];
  for (let i = c + 1; i < K; i++) {
    const di = r64[bd + i];
    if (di > wd || (di === wd && r32[bs + i] > wsi)) { wj = i; wd = di; wsi = r32[bs + i]; }
  }
  if (nd < wd || (nd === wd && s < wsi)) {
    r32[bs + wj] = s; r64[bd + wj] = nd; r32[bs + KL + wj] = pr;
    q.push(nd, s * P + o);
  }
}

/** Offers the active entrances' labels to the ends of their edges: those farther than `from` and within `bound`. */
function kSeed(
  g: Graph, entrances: Entrance[], active: ArrayLike<number>, rec: Int32Array, K: number, KL: number, P: number, bound: number,
  r64: Float64Array, r32: Int32Array, q: MonoQueue, from = -1,
): void {
  const closed = g.closed;
  for (let i = 0; i < active.length; i++) {
    const en = entrances[active[i]];
    const e = en.edgeIndex;
    if (closed[e]) continue;
    const L = g.edgeLength[e];
    const ds = en.fraction * L, dt = (1 - en.fraction) * L;
    // an edge with an entrance joins two junctions (never a dead end, never inside a chain)
    if (ds <= bound && ds > from) offerK(rec[g.edgeSource[e]], en.siteIndex, ds, entrancePred(active[i]), K, KL, P, r64, r32, q);
    if (dt <= bound && dt > from) offerK(rec[g.edgeTarget[e]], en.siteIndex, dt, entrancePred(active[i]), K, KL, P, r64, r32, q);
  }
}

function kRun(K: number, KL: number, P: number, bound: number, recs: Int32Array, r64: Float64Array, r32: Int32Array, q: MonoQueue): void {
  const A = 1 + 2 * KL;
  const invP = 1 / P;
  while (q.pop()) {
    const d = q.key, sec = q.sec;
    const s = Math.floor(sec * invP), o = (sec - s * P) | 0;
    // still the tentative label of (junction, s)? (else superseded: a shorter distance, or evicted by K better sites)
    const cw = r32[2 * o];
    const c = cw & 255, tc = cw >> 8;
    const bs = 2 * (o + 1 + KL), bd = o + 1;
    let j = c;
    while (j < tc && r32[bs + j] !== s) j++;
    if (j === tc || r64[bd + j] !== d) continue;
    const pr = r32[bs + KL + j];
    if (j !== c) {
      // settle into slot c (the tentative part stays unordered)
      r32[bs + j] = r32[bs + c]; r64[bd + j] = r64[bd + c]; r32[bs + KL + j] = r32[bs + KL + c];
      r32[bs + c] = s; r64[bd + c] = d; r32[bs + KL + c] = pr;
    }
    r32[2 * o] = cw + 1;
    let a = o + A;
    for (let i = 0, deg = r32[2 * o + 1]; i < deg; i++) {
      const nl = r32[2 * a + 3];
      // not back along the link the label came by (it is settled there already)
      if (r32[2 * a + 2] !== pr) {
        let nd = d;
        for (let x = a + 2, end = a + 2 + nl; x < end && nd <= bound; x++) nd += r64[x];
        if (nd <= bound) offerK(recs[r32[2 * a]], s, nd, r32[2 * a + 1], K, KL, P, r64, r32, q);
      }
      a += 2 + nl;
    }
  }
}

/**
 * When kNearestSearch goes site by site (kBySite): when the search graph's records take at least `minBytes` (below
 * that they stay in cache and the search of all sites at once, doing less work, is as fast or faster: Monaco's are
 * ~2 MB, the generated city's 65 MB); and for the nearest site without a bound, within `nearestLocalM` (0: not at all),
 * then on from there (kExtend). kBySite gives up past `perLabel` × K + `perJunction` settled labels per junction, plus
 * `slack`. Mutable for tests, which force each way.
 */
export const K_SEARCH = { minBytes: 16e6, perLabel: 2, perJunction: 2, slack: 1024, nearestLocalM: 500 };

/**
 * A second thread for parts of kNearestSearch (set by a Node host: server/plans/search-helper.ts; null: none), used
 * when the search graph has at least `minJunctions` junctions:
 * - The site-by-site search. kBySite's result does not depend on the order of the sites (a site's label at a junction
 *   is kept or pruned by the sites that rank before it there, whichever were searched first), so the sites can be split
 *   in two: the engine searches the first part into the search graph's records while the helper searches the rest
 *   into a copy of them, and the two sorted lists per junction are merged — the same labels and predecessors bit for
 *   bit (measured on the generated city: 1.56 M labels, no difference). The copy is made by the helper in its own time
 *   after the first search on a new search graph, which the engine does alone: waiting for a copy to be made (cold
 *   memory, ~63 MB in the city) made a cold plan's search slower than the engine's alone.
 * - The chains' labels (kChainLabels): each chain writes only its own nodes' rows, from its ends' records, so the
 *   helper labels the chains past the middle while the engine labels the junctions and the other chains.
 */
export interface HelperThread {
  /** Starts `helperPart(task)` on the other thread; the returned function waits for it: its result, or null when the
   *  helper failed (the caller then does that part itself). A `copy` task is not waited for. */
  start(task: HelperTask): () => boolean | null;
}
export const searchThread: { helper: HelperThread | null; minJunctions: number } = { helper: null, minJunctions: 20_000 };

/** What the helper thread needs for a part: shared arrays (SharedArrayBuffer where the host shares memory). */
export type HelperTask = SiteSearchTask | RecordsCopyTask | ChainLabelsTask;

/** kBySite over the task's entrances into the helper's copy of the records (made by a RecordsCopyTask). */
export interface SiteSearchTask {
  kind: 'sites';
  closed: Uint8Array; edgeLength: Float64Array; edgeSource: Int32Array; edgeTarget: Int32Array;
  /** its entrances: index (predecessors name entrances by it), edge, fraction along it, site */
  enIndex: Int32Array; enEdge: Int32Array; enFraction: Float64Array; enSite: Int32Array;
  K: number; bound: number;
  /** the copy of the search graph's records (labels are reset there first), junction offsets and indexes, label room */
  r64: Float64Array; recs: Int32Array; jix: Int32Array; KL: number;
  /** per-junction search state of the helper's own */
  sDist: Float64Array; sPred: Int32Array; sStamp: Int32Array;
}

/** Copies the records into the helper's copy, then sets `copied[0]` to 1 (the engine's labels may be being written
 *  meanwhile: only the links, which do not change, are read from the copy; its labels are reset before each search). */
export interface RecordsCopyTask { kind: 'copy'; from: Float64Array; to: Float64Array; copied: Int32Array }

/** kChainLabels for chains [from, to) into the result arrays, from the records. */
export interface ChainLabelsTask {
  kind: 'chains';
  from: number; to: number; K: number; bound: number;
  r64: Float64Array; KL: number; rec: Int32Array;
  cA: Int32Array; cB: Int32Array; cStart: Int32Array; cNode: Int32Array; cEdge: Int32Array; cLen: Float64Array;
  count: Uint8Array; site: Int32Array; dist: Float64Array; pred: Int32Array;
}

/** The helper's part (runs on the helper thread): false when a site search gave up (over budget). */
export function helperPart(t: HelperTask): boolean {
  if (t.kind === 'copy') {
    t.to.set(t.from);
    Atomics.store(t.copied, 0, 1);
    return true;
  }
  const r64 = t.r64;
  const r32 = new Int32Array(r64.buffer, r64.byteOffset, 2 * r64.length);
  if (t.kind === 'chains') {
    const kg = { r64, r32, KL: t.KL, rec: t.rec, cA: t.cA, cB: t.cB, cStart: t.cStart, cNode: t.cNode, cEdge: t.cEdge, cLen: t.cLen } as KGraph;
    kChainLabels(kg, t.from, t.to, t.K, t.bound, t.count, t.site, t.dist, t.pred);
    return true;
  }
  const recs = t.recs;
  for (let i = 0; i < recs.length; i++) r32[2 * recs[i]] = 0;
  t.sStamp.fill(0);
  // (at their own indexes: a label seeded by an entrance names it)
  const entrances: Entrance[] = [];
  const active: number[] = [];
  for (let i = 0; i < t.enIndex.length; i++) {
    const x = t.enIndex[i];
    while (entrances.length < x) entrances.push(null as unknown as Entrance);
    entrances[x] = { edgeIndex: t.enEdge[i], fraction: t.enFraction[i], siteIndex: t.enSite[i] } as Entrance;
    active.push(x);
  }
  const g = { closed: t.closed, edgeLength: t.edgeLength, edgeSource: t.edgeSource, edgeTarget: t.edgeTarget } as Graph;
  const kg = { recs, jix: t.jix, KL: t.KL, r64, r32, sDist: t.sDist, sPred: t.sPred, sStamp: t.sStamp, sId: 0 } as KGraph;
  return kBySite(g, entrances, active, kg, t.K, t.bound);
}

/** The helper's copy of a search graph's records and its search state (kept by the workspace while the graph is);
 *  `copied[0]` is 1 once the copy is made; room for the entrances of its part (grown as needed). */
interface HelperRecords {
  of: KGraph; r64: Float64Array; sDist: Float64Array; sPred: Int32Array; sStamp: Int32Array; copied: Int32Array;
  enIndex: Int32Array; enEdge: Int32Array; enFraction: Float64Array; enSite: Int32Array;
}
const helperRecords = new WeakMap<SearchWorkspace, HelperRecords>();

/** The helper when it is set and the search graph is large enough for it. */
function helperFor(kg: KGraph): HelperThread | null {
  return searchThread.helper !== null && kg.recs.length >= searchThread.minJunctions ? searchThread.helper : null;
}

/**
 * kBySite, the sites split with the helper thread when there is one, the graph is large enough and the helper's copy of
 * the records is made (else it is asked for, and the engine searches alone): the engine takes the sites before the
 * one at which half the entrances are reached, the helper the rest; then the helper's labels are merged into the
 * records. Same result and same give-up rule (each part has the whole budget) as kBySite alone.
 */
function kBySiteShared(g: Graph, entrances: Entrance[], active: ArrayLike<number>, kg: KGraph, K: number, bound: number, w: SearchWorkspace): boolean {
  const helper = helperFor(kg);
  if (helper === null || active.length < 2) return kBySite(g, entrances, active, kg, K, bound);
  let hr = helperRecords.get(w);
  if (!hr || hr.of !== kg) {
    const nj = kg.recs.length;
    // (not faulted in by a prefault worker during the plan: the helper fills them after it)
    hr = {
      of: kg, r64: lasting.f64(kg.r64.length, false), sDist: lasting.f64(nj, false), sPred: lasting.i32(nj, false), sStamp: lasting.i32(nj, false),
      copied: lasting.i32(1), enIndex: lasting.i32(0), enEdge: lasting.i32(0), enFraction: lasting.f64(0), enSite: lasting.i32(0),
    };
    helperRecords.set(w, hr);
    helper.start({ kind: 'copy', from: kg.r64, to: hr.r64, copied: hr.copied });
  }
  if (Atomics.load(hr.copied, 0) !== 1) return kBySite(g, entrances, active, kg, K, bound);
  // split at a site boundary near the middle of the active entrances in site order
  let maxSite = 0;
  for (let i = 0; i < active.length; i++) maxSite = Math.max(maxSite, entrances[active[i]].siteIndex);
  const perSite = new Int32Array(maxSite + 2);
  for (let i = 0; i < active.length; i++) perSite[entrances[active[i]].siteIndex]++;
  let split = 0;
  for (let s = 0, acc = 0; s <= maxSite; s++) { acc += perSite[s]; if (2 * acc >= active.length) { split = s + 1; break; } }
  const mine: number[] = [];
  let theirs = 0;
  for (let i = 0; i < active.length; i++) if (entrances[active[i]].siteIndex < split) mine.push(active[i]); else theirs++;
  if (theirs === 0 || mine.length === 0) return kBySite(g, entrances, active, kg, K, bound);
  if (hr.enIndex.length < theirs) {
    hr.enIndex = lasting.i32(theirs); hr.enEdge = lasting.i32(theirs); hr.enFraction = lasting.f64(theirs); hr.enSite = lasting.i32(theirs);
  }
  const enIndex = hr.enIndex.subarray(0, theirs), enEdge = hr.enEdge.subarray(0, theirs);
  const enFraction = hr.enFraction.subarray(0, theirs), enSite = hr.enSite.subarray(0, theirs);
  for (let i = 0, j = 0; i < active.length; i++) {
    const en = entrances[active[i]];
    if (en.siteIndex < split) continue;
    enIndex[j] = active[i]; enEdge[j] = en.edgeIndex; enFraction[j] = en.fraction; enSite[j] = en.siteIndex; j++;
  }
  const wait = helper.start({
    kind: 'sites', closed: g.closed, edgeLength: g.edgeLength, edgeSource: g.edgeSource, edgeTarget: g.edgeTarget,
    enIndex, enEdge, enFraction, enSite, K, bound, r64: hr.r64, recs: kg.recs, jix: kg.jix, KL: kg.KL,
    sDist: hr.sDist, sPred: hr.sPred, sStamp: hr.sStamp,
  });
  const ok = kBySite(g, entrances, mine, kg, K, bound);
  const theirsOk = wait();
  if (theirsOk === null) {
    // (the helper failed: its sites on this thread, into the same records — the order of the sites does not matter —
    // and its copy is not used again)
    helperRecords.delete(w);
    const rest: number[] = [];
    for (let i = 0; i < active.length; i++) if (entrances[active[i]].siteIndex >= split) rest.push(active[i]);
    return ok && kBySite(g, entrances, rest, kg, K, bound);
  }
  if (!ok || !theirsOk) return false;
  mergeLabels(kg, hr.r64, K);
  return true;
}

/**
 * The labels of junctions, chain nodes (the chains past the middle by the helper thread, when there is one, the graph
 * is large enough and the result arrays are shared memory) and orphans.
 */
function kInnerLabels(kg: KGraph, K: number, bound: number, la: LabelArrays): void {
  const { count, site, dist, pred } = la;
  const helper = helperFor(kg);
  const shared = [kg.r64, count, site, dist, pred].every((a) => typeof SharedArrayBuffer === 'function' && a.buffer instanceof SharedArrayBuffer);
  let mid = kg.nChains, wait: (() => boolean | null) | null = null;
  if (helper !== null && shared && kg.nChains > 1) {
    // (half the chain nodes each; the engine labels the junctions too)
    const half = kg.cStart[kg.nChains] >> 1;
    mid = 0;
    while (mid < kg.nChains && kg.cStart[mid] < half) mid++;
    const { r64, KL, rec, cA, cB, cStart, cNode, cEdge, cLen } = kg;
    wait = helper.start({ kind: 'chains', from: mid, to: kg.nChains, K, bound, r64, KL, rec, cA, cB, cStart, cNode, cEdge, cLen, count, site, dist, pred });
  }
  kJunctionLabels(kg, K, count, site, dist, pred);
  kChainLabels(kg, 0, mid, K, bound, count, site, dist, pred);
  for (let i = 0; i < kg.orphans.length; i++) emptyRow(kg.orphans[i], 0, K, count, site, dist, pred);
  // (the helper failed: its chains here)
  if (wait !== null && wait() === null) kChainLabels(kg, mid, kg.nChains, K, bound, count, site, dist, pred);
}

// mergeLabels scratch: one junction's own labels
let mgS = new Int32Array(8), mgD = new Float64Array(8), mgP = new Int32Array(8);

/** Merges the sorted label lists of `other` (a copy of kg's records) into kg's, per junction the K first by (distance, site). */
function mergeLabels(kg: KGraph, other64: Float64Array, K: number): void {
  const { recs, r64, r32, KL } = kg;
  const o32 = new Int32Array(other64.buffer, other64.byteOffset, 2 * other64.length);
  if (mgS.length < K) { mgS = new Int32Array(K); mgD = new Float64Array(K); mgP = new Int32Array(K); }
  for (let i = 0; i < recs.length; i++) {
    const o = recs[i];
    const cb = o32[2 * o] & 255;
    if (cb === 0) continue;
    const ca = r32[2 * o] & 255, bd = o + 1, bs = 2 * (o + 1 + KL);
    for (let j = 0; j < ca; j++) { mgS[j] = r32[bs + j]; mgD[j] = r64[bd + j]; mgP[j] = r32[bs + KL + j]; }
    let x = 0, y = 0, k = 0;
    for (; k < K && (x < ca || y < cb); k++) {
      const dy = other64[bd + y], sy = o32[bs + y];
      if (y >= cb || (x < ca && (mgD[x] < dy || (mgD[x] === dy && mgS[x] < sy)))) {
        r32[bs + k] = mgS[x]; r64[bd + k] = mgD[x]; r32[bs + KL + k] = mgP[x]; x++;
      } else {
        r32[bs + k] = sy; r64[bd + k] = dy; r32[bs + KL + k] = o32[bs + KL + y]; y++;
      }
    }
    r32[2 * o] = k * 257;
  }
}

// kBySite scratch: active entrances grouped by site, and the binary heap of one site's search (distance, junction)
let ksOrder = new Int32Array(64), ksStart = new Int32Array(64);
let khD = new Float64Array(256), khJ = new Int32Array(256);

/**
 * The junctions' labels, one site at a time (ascending site index): a bounded Dijkstra from the site's entrances over
 * the junction graph, ties on distance in junction order, the preferred predecessor (predRank) on equal distance.
 * A site's label enters a junction's list, kept sorted by (distance, site), unless the list holds K labels that rank
 * before it: then the search stops there ("pruned") — every node it would reach through that junction has those K
 * sites ahead of this one, so the site is not among its K nearest either. A label pushed out of a full list by a later
 * site is dropped for the same reason. What remains at each junction is its K nearest within the bound, as a search of
 * all sites at once in distance order finds them; this one is much faster on a city because each site's search stays
 * in a small region of the records (~90 junctions within 500 m in the generated city) instead of visiting them in
 * global distance order, where nearly every label and offer was a cache miss.
 *
 * Its work is the number of sites within the bound of each junction, less what pruning saves (5.8 settled labels per
 * junction for K = 6 within 500 m in the generated city, 3.1 for K = 1); the search of all sites at once settles at
 * most K labels per junction, each a cache miss. So it gives up (returns false, the records half filled) past the
 * budget of K_SEARCH: sites far denser than the bound (or, with K = 1, a bound far too wide) are searched all at once.
 */
function kBySite(g: Graph, entrances: Entrance[], active: ArrayLike<number>, kg: KGraph, K: number, bound: number): boolean {
  const { recs, jix, KL, r64, r32, sDist: dist, sPred: pred, sStamp: stamp } = kg;
  const closed = g.closed, edgeLength = g.edgeLength, edgeSource = g.edgeSource, edgeTarget = g.edgeTarget;
  // active entrances by site (counting sort; within a site in the given order)
  let maxSite = -1;
  for (let i = 0; i < active.length; i++) maxSite = Math.max(maxSite, entrances[active[i]].siteIndex);
  const nS = maxSite + 1;
  if (ksStart.length < nS + 1) ksStart = new Int32Array(nS + 1);
  if (ksOrder.length < active.length) ksOrder = new Int32Array(active.length);
  const start = ksStart, order = ksOrder;
  start.fill(0, 0, nS + 1);
  for (let i = 0; i < active.length; i++) start[entrances[active[i]].siteIndex + 1]++;
  for (let s = 0; s < nS; s++) start[s + 1] += start[s];
  for (let i = 0; i < active.length; i++) order[start[entrances[active[i]].siteIndex]++] = active[i];
  for (let s = nS; s > 0; s--) start[s] = start[s - 1];
  start[0] = 0;
  const A = 1 + 2 * KL;
  let budget = (K_SEARCH.perLabel * K + K_SEARCH.perJunction) * recs.length + K_SEARCH.slack;
  for (let s = 0; s < nS; s++) {
    if (start[s] === start[s + 1]) continue;
    // stamps: 2·id = tentative in this site's search, 2·id + 1 = settled
    if (kg.sId >= 2 ** 29) { stamp.fill(0); kg.sId = 0; }
    const open = 2 * ++kg.sId, done = open + 1;
    let hLen = 0;
    for (let k = start[s]; k < start[s + 1]; k++) {
      const i = order[k], en = entrances[i], e = en.edgeIndex;
      if (closed[e]) continue;
      const L = edgeLength[e];
      const pr = entrancePred(i);
      // an edge with an entrance joins two junctions (never a dead end, never inside a chain)
      for (let end = 0; end < 2; end++) {
        const nd = end === 0 ? en.fraction * L : (1 - en.fraction) * L;
        if (!(nd <= bound)) continue;
        hLen = kOffer(stamp, dist, pred, open, hLen, jix[end === 0 ? edgeSource[e] : edgeTarget[e]], nd, pr);
      }
    }
    while (hLen > 0) {
      const hD = khD, hJ = khJ, d = hD[0], j = hJ[0];
      hLen--;
      if (hLen > 0) heapDown(hD, hJ, hLen, hD[hLen], hJ[hLen]);
      if (stamp[j] !== open || dist[j] !== d) continue;
      stamp[j] = done;
      if (--budget < 0) return false;
      const o = recs[j], pr = pred[j];
      // into the junction's sorted list, unless K labels rank before it
      const bd = o + 1, bs = 2 * (o + 1 + KL);
      let c = r32[2 * o] & 255;
      if (c === K) {
        const wd = r64[bd + K - 1];
        if (d > wd || (d === wd && s > r32[bs + K - 1])) continue;
        c = K - 1;
      }
      let i = c - 1;
      while (i >= 0 && (r64[bd + i] > d || (r64[bd + i] === d && r32[bs + i] > s))) {
        r64[bd + i + 1] = r64[bd + i]; r32[bs + i + 1] = r32[bs + i]; r32[bs + KL + i + 1] = r32[bs + KL + i];
        i--;
      }
      r64[bd + i + 1] = d; r32[bs + i + 1] = s; r32[bs + KL + i + 1] = pr;
      r32[2 * o] = (c + 1) * 257;
      let a = o + A;
      for (let x = 0, deg = r32[2 * o + 1]; x < deg; x++) {
        const nl = r32[2 * a + 3];
        // not back along the link the label came by
        if (r32[2 * a + 2] !== pr) {
          let nd = d;
          for (let y = a + 2, end = a + 2 + nl; y < end && nd <= bound; y++) nd += r64[y];
          if (nd <= bound && stamp[r32[2 * a]] !== done) hLen = kOffer(stamp, dist, pred, open, hLen, r32[2 * a], nd, r32[2 * a + 1]);
        }
        a += 2 + nl;
      }
    }
  }
  return true;
}

/**
 * Offers distance nd with predecessor pr to junction j in the current site's search (stamp `open` = tentative in it;
 * j is not settled in it): kept when shorter, or as long with the preferred predecessor. Returns the heap's length.
 */
function kOffer(
  stamp: Int32Array, dist: Float64Array, pred: Int32Array, open: number, hLen: number, j: number, nd: number, pr: number,
): number {
  if (stamp[j] === open) {
    if (nd > dist[j]) return hLen;
    if (nd === dist[j]) { if (predRank(pr) < predRank(pred[j])) pred[j] = pr; return hLen; }
  }
  stamp[j] = open; dist[j] = nd; pred[j] = pr;
  if (hLen === khD.length) {
    const a = new Float64Array(2 * hLen); a.set(khD); khD = a;
    const b = new Int32Array(2 * hLen); b.set(khJ); khJ = b;
  }
  return heapUp(khD, khJ, hLen, nd, j);
}

/** Adds (d, j) to the binary heap of hLen entries ordered by (distance, junction); returns the new length. */
function heapUp(hD: Float64Array, hJ: Int32Array, hLen: number, d: number, j: number): number {
  let pos = hLen;
  while (pos > 0) {
    const par = (pos - 1) >> 1, pd = hD[par];
    if (d > pd || (d === pd && j > hJ[par])) break;
    hD[pos] = pd; hJ[pos] = hJ[par]; pos = par;
  }
  hD[pos] = d; hJ[pos] = j;
  return hLen + 1;
}

/** Puts (d, j) at the root of the heap of len entries (the root removed) and sifts it down. */
function heapDown(hD: Float64Array, hJ: Int32Array, len: number, d: number, j: number): void {
  let pos = 0;
  const half = len >> 1;
  while (pos < half) {
    let ch = 2 * pos + 1;
    let cd = hD[ch], cj = hJ[ch];
    const r = ch + 1;
    if (r < len && (hD[r] < cd || (hD[r] === cd && hJ[r] < cj))) { ch = r; cd = hD[r]; cj = hJ[r]; }
    if (d < cd || (d === cd && j < cj)) break;
    hD[pos] = cd; hJ[pos] = cj; pos = ch;
  }
  hD[pos] = d; hJ[pos] = j;
}

/** Sets node v's label count to c and its free slots c .. K-1 to -1 / Infinity / NO_PRED. */
function emptyRow(v: number, c: number, K: number, count: Uint8Array, lsite: Int32Array, ldist: Float64Array, lpred: Int32Array): void {
  count[v] = c;
  for (let j = v * K + c, end = v * K + K; j < end; j++) { lsite[j] = -1; ldist[j] = Infinity; lpred[j] = NO_PRED; }
}

/** Junction labels from their records into the KLabels layout (free slots -1 / Infinity / NO_PRED). */
function kJunctionLabels(kg: KGraph, K: number, count: Uint8Array, lsite: Int32Array, ldist: Float64Array, lpred: Int32Array): void {
  const { rec, r64, r32, KL } = kg;
  for (let v = 0, n = rec.length; v < n; v++) {
    const o = rec[v];
    if (o < 0) continue;
    const c = r32[2 * o] & 255, bd = o + 1, bs = 2 * (o + 1 + KL), out = v * K;
    for (let j = 0; j < c; j++) { lsite[out + j] = r32[bs + j]; ldist[out + j] = r64[bd + j]; lpred[out + j] = r32[bs + KL + j]; }
    emptyRow(v, c, K, count, lsite, ldist, lpred);
  }
}

// chain scratch: the two ends' labels (sites, distances, forced), the forward distances per chain node, merge candidates
let chFS = new Int32Array(8), chFD = new Float64Array(8), chFF = new Uint8Array(8);
let chGS = new Int32Array(8), chGD = new Float64Array(8), chGF = new Uint8Array(8);
let chFwd = new Float64Array(256);
let chS = new Int32Array(16), chD = new Float64Array(16), chP = new Int32Array(16), chF = new Uint8Array(16);

/**
 * Labels of chain nodes from the chain's two ends: the ends' labels walked along the chain (leaving out those an end
 * received through the chain itself), per site the shorter (the preferred predecessor on equal distance), the K first
 * in (distance, site) order within the bound. Every path into a chain node enters through an end, so this is what the
 * edge-by-edge search gives. A label an end received through the chain is kept on every chain node (so in real
 * arithmetic anyway; guaranteed here so that paths can always be walked back).
 */
function kChainLabels(
  kg: KGraph, from: number, to: number, K: number, bound: number, count: Uint8Array, lsite: Int32Array, ldist: Float64Array, lpred: Int32Array,
): void {
  const { cA, cB, cStart, cNode, cEdge, cLen, rec, r64, r32, KL } = kg;
  if (chFS.length < K) {
    chFS = new Int32Array(K); chFD = new Float64Array(K); chFF = new Uint8Array(K);
    chGS = new Int32Array(K); chGD = new Float64Array(K); chGF = new Uint8Array(K);
  }
  if (chS.length < 2 * K) { chS = new Int32Array(2 * K); chD = new Float64Array(2 * K); chP = new Int32Array(2 * K); chF = new Uint8Array(2 * K); }
  const fs = chFS, fd = chFD, ff = chFF, gs = chGS, gd = chGD, gf = chGF;
  for (let c = from; c < to; c++) {
    const s0 = cStart[c], m = cStart[c + 1] - s0, e0 = s0 + c;
    // the ends' labels, from their records (sites at int32 sA / sB, predecessors KL further, distances at dA / dB)
    const oA = rec[cA[c]], oB = rec[cB[c]];
    const ca = r32[2 * oA] & 255, cb = r32[2 * oB] & 255;
    const sA = 2 * (oA + 1 + KL), sB = 2 * (oB + 1 + KL), dA = oA + 1, dB = oB + 1;
    const eFirst = cEdge[e0], eLast = cEdge[e0 + m];
    let nf = 0, nb = 0;
    for (let j = 0; j < ca; j++) if (r32[sA + KL + j] !== eFirst) { fs[nf] = r32[sA + j]; fd[nf] = r64[dA + j]; nf++; }
    for (let j = 0; j < cb; j++) if (r32[sB + KL + j] !== eLast) { gs[nb] = r32[sB + j]; gd[nb] = r64[dB + j]; nb++; }
    if (nf + nb === 0) {
      for (let i = 0; i < m; i++) emptyRow(cNode[s0 + i], 0, K, count, lsite, ldist, lpred);
      continue;
    }
    // forced: the other end received this site through the chain
    for (let j = 0; j < nf; j++) {
      ff[j] = 0;
      for (let i = 0; i < cb; i++) if (r32[sB + i] === fs[j] && r32[sB + KL + i] === eLast) { ff[j] = 1; break; }
    }
    for (let j = 0; j < nb; j++) {
      gf[j] = 0;
      for (let i = 0; i < ca; i++) if (r32[sA + i] === gs[j] && r32[sA + KL + i] === eFirst) { gf[j] = 1; break; }
    }
    // forward distances from A, per chain node
    if (chFwd.length < m * nf) chFwd = new Float64Array(Math.max(m * nf, 2 * chFwd.length));
    const fwd = chFwd;
    for (let i = 0; i < m; i++) {
      const len = cLen[e0 + i];
      for (let j = 0; j < nf; j++) { fd[j] += len; fwd[i * nf + j] = fd[j]; }
    }
    // backward from B, merged
    for (let i = m - 1; i >= 0; i--) {
      const len = cLen[e0 + i + 1];
      const eA = cEdge[e0 + i], eB = cEdge[e0 + i + 1];
      let nc = 0;
      for (let j = 0; j < nf; j++) {
        const d = fwd[i * nf + j];
        if (d > bound) continue;
        chS[nc] = fs[j]; chD[nc] = d; chP[nc] = eA; chF[nc] = ff[j]; nc++;
      }
      const na = nc;
      for (let j = 0; j < nb; j++) {
        const d = (gd[j] += len);
        if (d > bound) continue;
        const s = gs[j];
        let x = 0;
        while (x < na && chS[x] !== s) x++;
        if (x < na) {
          if (d < chD[x] || (d === chD[x] && predRank(eB) < predRank(chP[x]))) { chD[x] = d; chP[x] = eB; }
          if (gf[j]) chF[x] = 1;
        } else { chS[nc] = s; chD[nc] = d; chP[nc] = eB; chF[nc] = gf[j]; nc++; }
      }
      // (distance, site) order; the K first, but never drop a forced label
      for (let x = 1; x < nc; x++) {
        const s = chS[x], d = chD[x], p = chP[x], f = chF[x];
        let y = x - 1;
        while (y >= 0 && (chD[y] > d || (chD[y] === d && chS[y] > s))) { chS[y + 1] = chS[y]; chD[y + 1] = chD[y]; chP[y + 1] = chP[y]; chF[y + 1] = chF[y]; y--; }
        chS[y + 1] = s; chD[y + 1] = d; chP[y + 1] = p; chF[y + 1] = f;
      }
      let forcedAfter = 0;
      for (let x = K; x < nc; x++) forcedAfter += chF[x];
      const out = cNode[s0 + i] * K;
      let k = 0;
      for (let x = 0; x < nc && k < K; x++) {
        if (!chF[x] && forcedAfter > 0 && K - k <= forcedAfter) continue;
        if (chF[x] && x >= K) forcedAfter--;
        lsite[out + k] = chS[x]; ldist[out + k] = chD[x]; lpred[out + k] = chP[x]; k++;
      }
      emptyRow(cNode[s0 + i], k, K, count, lsite, ldist, lpred);
    }
  }
}

/** Dead ends: their neighbour's labels plus the edge. */
function kLeafLabels(g: Graph, leafEdge: Int32Array, K: number, bound: number, count: Uint8Array, lsite: Int32Array, ldist: Float64Array, lpred: Int32Array): void {
  const n = g.nodeCount;
  for (let v = 0; v < n; v++) {
    const le = leafEdge[v];
    if (le < 0) continue;
    const u = g.edgeSource[le] === v ? g.edgeTarget[le] : g.edgeSource[le];
    const add = g.edgeLength[le];
    let c = 0;
    for (let j = 0, cu = count[u]; j < cu; j++) {
      const d = ldist[u * K + j] + add;
      if (d > bound) break;
      lsite[v * K + c] = lsite[u * K + j]; ldist[v * K + c] = d; lpred[v * K + c] = le; c++;
    }
    emptyRow(v, c, K, count, lsite, ldist, lpred);
  }
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
  const bound = lab.bound, count = lab.count, ls = lab.site, ld = lab.dist;
  // a node's labels are distinct sites in ascending distance: the first beyond the bound ends them, and only the
  // target end's can repeat a site (of the source end's)
  const ds = f * L;
  let m0 = 0;
  for (let j = sn * K, end = j + count[sn]; j < end; j++) {
    const d = ds + ld[j];
    if (d > bound) break;
    scS[m0] = ls[j]; scD[m0] = d; scV[m0] = 0; m0++;
  }
  scM = m0;
  const dt = (1 - f) * L;
  for (let j = tn * K, end = j + count[tn]; j < end; j++) {
    const d = dt + ld[j];
    if (d > bound) break;
    const s = ls[j];
    let x = 0;
    while (x < m0 && scS[x] !== s) x++;
    if (x < m0) { if (d < scD[x]) { scD[x] = d; scV[x] = 1; } } else { scS[scM] = s; scD[scM] = d; scV[scM] = 1; scM++; }
  }
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
  return { dist: lasting.f64(g.nodeCount).fill(Infinity), pred: lasting.i32(g.nodeCount).fill(NO_PRED), touched: lasting.i32(g.nodeCount), nTouched: 0 };
}

/**
 * The walking steps (edge*2+dir, from the start point towards `node`) of the last point search's tree, i.e. the path
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

/**
 * Bounded searches from single points, for plans that cover few buildings: a what-if of one community re-plans tens
 * of buildings of a city, and one search per building and site level explores the few thousand nodes around it where
 * the multi-source searches label every node of the graph. The same answers: the `max` nearest distinct allowed sites
 * within `bound`, ranked by (distance, site index), each with the entrance reached and the node it is reached from
 * (-1: on the start edge itself). The reported distance of a hit is its path's lengths added up from the entrance, as
 * the multi-source searches add them, so both give the same floating-point numbers (and the assignment, whose exact
 * solver can have several optima of equal cost, the same answer). Memory: the node arrays of one PointWorkspace (reset
 * through its touched list) and one slot per site, so a search costs only what it explores.
 */
export class PointSearcher {
  readonly ws: PointWorkspace;
  private readonly q = new FlatQueue<number>();
  /** per site: its position in the hit lists of the current search, -1 */
  private readonly slot: Int32Array;
  /** hits of the current search (distinct sites), unsorted; `order` ranks them */
  private hSite: number[] = [];
  private hDist: number[] = [];
  private hEnt: number[] = [];
  private hNode: number[] = [];
  private kth: number[] = [];
  /** the ranked result of the last search: site, distance, entrance, node */
  site: number[] = [];
  dist: number[] = [];
  ent: number[] = [];
  node: number[] = [];

  constructor(readonly g: Graph, readonly siteCount: number) {
    this.ws = pointWorkspace(g);
    this.slot = new Int32Array(siteCount).fill(-1);
  }

  /** Whether this searcher can serve graph g (closures may differ: they are read from g at each search). */
  fits(g: Graph, siteCount: number): boolean {
    return this.g.nodeCount === g.nodeCount && this.g.adjStart === g.adjStart && this.siteCount === siteCount;
  }

  /** Searches from edge e at fraction f; returns how many sites were found (≤ max), ranked in site/dist/ent/node. */
  search(g: Graph, entrances: Entrance[], byEdge: EntranceEdgeIndex, allowed: Uint8Array, e: number, f: number, max: number, bound: number): number {
    const ws = this.ws;
    for (let i = 0; i < ws.nTouched; i++) { const v = ws.touched[i]; ws.dist[v] = Infinity; ws.pred[v] = NO_PRED; }
    ws.nTouched = 0;
    for (let i = 0; i < this.hSite.length; i++) this.slot[this.hSite[i]] = -1;
    this.hSite.length = 0; this.hDist.length = 0; this.hEnt.length = 0; this.hNode.length = 0;
    this.site.length = 0; this.dist.length = 0; this.ent.length = 0; this.node.length = 0;
    if (e < 0 || g.closed[e]) return 0;
    const L = g.edgeLength[e];
    const { entStart, entByEdge } = byEdge;
    for (let k = entStart[e]; k < entStart[e + 1]; k++) {
      const en = entByEdge[k];
      this.offer(entrances[en].siteIndex, allowed, Math.abs(f - entrances[en].fraction) * L, en, -1, bound);
    }
    const q = this.q;
    q.clear();
    this.seed(g.edgeSource[e], f * L);
    this.seed(g.edgeTarget[e], (1 - f) * L);
    let limit = this.limit(max, bound);
    while (q.length > 0) {
      const d = q.peekValue()!;
      const v = q.pop()!;
      if (d > ws.dist[v]) continue;
      if (d > limit) break;
      let offered = false;
      for (let k = g.adjStart[v], end = g.adjStart[v + 1]; k < end; k++) {
        const ed = g.adjEdge[k];
        if (g.closed[ed]) continue;
        if (entStart[ed] !== entStart[ed + 1]) offered = this.offerEdge(g, entrances, byEdge, allowed, ed, v, d, bound) || offered;
        const w = g.adjNode[k];
        const nd = d + g.adjLen[k];
        if (nd < ws.dist[w] && nd <= bound) {
          if (ws.dist[w] === Infinity) ws.touched[ws.nTouched++] = w;
          ws.dist[w] = nd; ws.pred[w] = ed; q.push(w, nd);
        }
      }
      if (offered) limit = this.limit(max, bound);
    }
    return this.rank(g, entrances, e, f, max, bound);
  }

  /** The walking steps from the start edge's end node to `node` (pointPath); returns that end node. */
  path(g: Graph, node: number, outSteps: number[]): number {
    return pointPath(g, this.ws, node, outSteps);
  }

  private seed(v: number, d: number): void {
    const ws = this.ws;
    if (d < ws.dist[v]) { if (ws.dist[v] === Infinity) ws.touched[ws.nTouched++] = v; ws.dist[v] = d; ws.pred[v] = NO_PRED; this.q.push(v, d); }
  }

  /** Offers the allowed entrances on edge ed, reached from node v at distance d; whether any hit improved. */
  private offerEdge(g: Graph, entrances: Entrance[], byEdge: EntranceEdgeIndex, allowed: Uint8Array, ed: number, v: number, d: number, bound: number): boolean {
    const fromSource = g.edgeSource[ed] === v;
    let any = false;
    for (let j = byEdge.entStart[ed]; j < byEdge.entStart[ed + 1]; j++) {
      const en = byEdge.entByEdge[j];
      const fr = entrances[en].fraction;
      any = this.offer(entrances[en].siteIndex, allowed, d + (fromSource ? fr : 1 - fr) * g.edgeLength[ed], en, v, bound) || any;
    }
    return any;
  }

  private offer(s: number, allowed: Uint8Array, d: number, en: number, node: number, bound: number): boolean {
    if (!allowed[s] || d > bound) return false;
    const i = this.slot[s];
    if (i < 0) {
      this.slot[s] = this.hSite.length;
      this.hSite.push(s); this.hDist.push(d); this.hEnt.push(en); this.hNode.push(node);
      return true;
    }
    if (d >= this.hDist[i]) return false;
    this.hDist[i] = d; this.hEnt[i] = en; this.hNode[i] = node;
    return true;
  }

  /** Distance beyond which no offer can enter the top `max`: the max-th best so far, or the bound. */
  private limit(max: number, bound: number): number {
    const n = this.hDist.length;
    if (n < max) return bound;
    const k = this.kth;
    k.length = 0;
    for (let i = 0; i < n; i++) k.push(this.hDist[i]);
    k.sort((a, b) => a - b);
    return Math.min(bound, k[max - 1]);
  }

  /**
   * The length of hit i's path added up from its entrance: the partial entrance edge, then each edge back to the start
   * edge, then the start leg (the order of the multi-source labels, then `candidatesForSnap`).
   */
  private fromEntrance(g: Graph, entrances: Entrance[], e: number, f: number, i: number): number {
    const en = entrances[this.hEnt[i]];
    let v = this.hNode[i];
    if (v < 0) return Math.abs(f - en.fraction) * g.edgeLength[e];
    const ed = en.edgeIndex;
    let d = (g.edgeSource[ed] === v ? en.fraction : 1 - en.fraction) * g.edgeLength[ed];
    const pred = this.ws.pred;
    while (pred[v] !== NO_PRED) {
      const pe = pred[v];
      d += g.edgeLength[pe];
      v = g.edgeSource[pe] === v ? g.edgeTarget[pe] : g.edgeSource[pe];
    }
    return (v === g.edgeSource[e] ? f : 1 - f) * g.edgeLength[e] + d;
  }

  /** Ranks the hits by (distance from the entrance, site) into site/dist/ent/node, keeping the first `max` within bound. */
  private rank(g: Graph, entrances: Entrance[], e: number, f: number, max: number, bound: number): number {
    const n = this.hSite.length;
    const idx: number[] = [];
    for (let i = 0; i < n; i++) {
      this.hDist[i] = this.fromEntrance(g, entrances, e, f, i);
      if (this.hDist[i] <= bound) idx.push(i);
    }
    idx.sort((a, b) => this.hDist[a] - this.hDist[b] || this.hSite[a] - this.hSite[b]);
    const m = Math.min(idx.length, max);
    for (let j = 0; j < m; j++) {
      const i = idx[j];
      this.site.push(this.hSite[i]); this.dist.push(this.hDist[i]); this.ent.push(this.hEnt[i]); this.node.push(this.hNode[i]);
    }
    return m;
  }
}
