/**
 * kNearestSearch / nearestSearch / candidatesForSnap / pathFromLabels against independent references on seeded random
 * graphs built to hit the awkward cases: degree-2 chains, dead ends, parallel edges, self-loops, zero-length edges,
 * closed edges, several entrances per site and per edge, entrances at an edge's end (on a node), bound cut-offs.
 *
 * - "exact" graphs: integer lengths and entrance fractions in quarters, so every distance is exact in floating point and
 *   equal distances really are equal: results must equal a brute force that ranks sites by (distance, site index), and
 *   (without zero-length edges) each label's predecessor must be the preferred one of all equally short ways in.
 * - "real" graphs: random real lengths (no exact ties): results must equal the previous heap-based implementation,
 *   kept below as `legacyKNearestSearch` / `legacyNearestSearch` (copied from server/engine/dijkstra.ts before the
 *   bucket queue and chain contraction).
 */
import { describe, expect, it } from 'vitest';
import { buildGraph, type Graph } from '../../../server/engine/graph.ts';
import {
  candidatesForSnap, deadEnds, entrancePred, indexEntrancesByEdge, K_SEARCH, kNearestSearch, nearestFromLabels, nearestSearch,
  NO_PRED, pathFromLabels, SearchWorkspace, searchThread, helperPart, type KLabels, type HelperThread,
} from '../../../server/engine/dijkstra.ts';
import type { EngineEdge, Entrance } from '../../../server/engine/types.ts';

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

interface Case { g: Graph; entrances: Entrance[]; active: number[]; nSites: number; K: number; bound: number }

/** A random street-like network with chains, dead ends, loops; `exact` picks integer lengths and quarter fractions. */
function randomCase(seed: number, exact: boolean): Case {
  const rand = rng(seed * 7919 + (exact ? 1 : 2));
  const ri = (a: number, b: number) => a + Math.floor(rand() * (b - a + 1));
  const len = () => (exact ? (rand() < 0.06 ? 0 : ri(1, 5)) : 0.5 + rand() * 9.5);
  const pairs: [number, number, number][] = [];
  let n = ri(6, 30);
  // random spanning tree + extra edges among the core nodes
  for (let v = 1; v < n; v++) pairs.push([ri(0, v - 1), v, len()]);
  for (let i = ri(0, n); i > 0; i--) pairs.push([ri(0, n - 1), ri(0, n - 1), len()]); // may be self-loops / parallel
  // subdivide some edges into chains of degree-2 nodes
  const out: [number, number, number][] = [];
  for (const [a, b, l] of pairs) {
    if (a !== b && rand() < 0.45) {
      let prev = a;
      for (let k = ri(1, 4); k > 0; k--) { const c = n++; out.push([prev, c, len()]); prev = c; }
      out.push([prev, b, len()]);
    } else out.push([a, b, l]);
  }
  // dead ends (and a few two-node spurs)
  for (let i = ri(0, Math.ceil(n / 2)); i > 0; i--) {
    const at = ri(0, n - 1), c = n++;
    out.push([at, c, len()]);
    if (rand() < 0.2) { const d = n++; out.push([c, d, len()]); }
  }
  // edges in random order (chain edges are not numbered along the chain)
  for (let i = out.length - 1; i > 0; i--) { const j = ri(0, i); [out[i], out[j]] = [out[j], out[i]]; }
  const ids = new Float64Array(n), lon = new Float64Array(n), lat = new Float64Array(n);
  for (let v = 0; v < n; v++) { ids[v] = v + 1; lon[v] = 116.3 + rand() * 0.01; lat[v] = 40 + rand() * 0.01; }
  const edges: EngineEdge[] = out.map(([a, b, l], i) => ({
    id: i + 1, source: a + 1, target: b + 1, lengthM: l, highway: 'footway', widthM: null, coords: [lon[a], lat[a], lon[b], lat[b]],
  }));
  const g = buildGraph({ nodes: { ids, lon, lat }, edges });
  for (let e = 0; e < g.edgeCount; e++) if (rand() < 0.08) g.closed[e] = 1;
  const nSites = ri(2, 9);
  const entrances: Entrance[] = [];
  for (let s = 0; s < nSites; s++) {
    for (let k = ri(1, 3); k > 0; k--) {
      // sometimes on an edge that already has an entrance
      const e = entrances.length > 0 && rand() < 0.25 ? entrances[ri(0, entrances.length - 1)].edgeIndex : ri(0, g.edgeCount - 1);
      // (real graphs: no entrance exactly on a node, where two sites could tie)
      const fraction = exact ? ri(0, 4) / 4 : 0.001 + 0.998 * rand();
      entrances.push({ siteIndex: s, edgeIndex: e, fraction, point: [0, 0], distanceM: 0, how: 'snapped' });
    }
  }
  const active = entrances.map((_, i) => i).filter(() => rand() < 0.85);
  const K = ri(1, 4);
  const bounds = exact ? [Infinity, 1e9, 3, 6, 10] : [Infinity, 8, 15, 30];
  return { g, entrances, active, nSites, K, bound: bounds[ri(0, bounds.length - 1)] };
}

/** Per site, its network distance to every node (plain O(V²) Dijkstra from the site's active entrances). */
function siteDistances(c: Case): Float64Array[] {
  const { g, entrances, active } = c;
  const n = g.nodeCount;
  const out: Float64Array[] = [];
  for (let s = 0; s < c.nSites; s++) {
    const dist = new Float64Array(n).fill(Infinity);
    const done = new Uint8Array(n);
    for (const i of active) {
      const en = entrances[i];
      if (en.siteIndex !== s || g.closed[en.edgeIndex]) continue;
      const L = g.edgeLength[en.edgeIndex];
      const a = g.edgeSource[en.edgeIndex], b = g.edgeTarget[en.edgeIndex];
      dist[a] = Math.min(dist[a], en.fraction * L);
      dist[b] = Math.min(dist[b], (1 - en.fraction) * L);
    }
    for (;;) {
      let u = -1;
      for (let v = 0; v < n; v++) if (!done[v] && dist[v] < Infinity && (u < 0 || dist[v] < dist[u])) u = v;
      if (u < 0) break;
      done[u] = 1;
      for (let k = g.adjStart[u]; k < g.adjStart[u + 1]; k++) {
        if (g.closed[g.adjEdge[k]]) continue;
        const w = g.adjNode[k];
        dist[w] = Math.min(dist[w], dist[u] + g.adjLen[k]);
      }
    }
    out.push(dist);
  }
  return out;
}

/** Reference labels of node v: sites within the bound ranked by (distance, site index), the first K. */
function bruteLabels(per: Float64Array[], v: number, K: number, bound: number): [number, number][] {
  const l: [number, number][] = [];
  per.forEach((d, s) => { if (d[v] < Infinity && d[v] <= bound) l.push([s, d[v]]); });
  l.sort((x, y) => x[1] - y[1] || x[0] - y[0]);
  return l.slice(0, K);
}

function labelsOf(lab: KLabels, v: number): [number, number][] {
  const l: [number, number][] = [];
  for (let j = 0; j < lab.count[v]; j++) l.push([lab.site[v * lab.K + j], lab.dist[v * lab.K + j]]);
  return l;
}

/** Walks the stored path of (v, site) and returns its length, checking it is a walk over open edges to an active entrance. */
function pathLength(c: Case, lab: { K: number; site: Int32Array; pred: Int32Array; count?: Uint8Array }, v: number, s: number): number {
  const { g, entrances } = c;
  const steps: number[] = [];
  const en = pathFromLabels(g, lab, v, s, steps);
  let cur = v, len = 0;
  for (const st of steps) {
    const e = st >> 1;
    expect(g.closed[e]).toBe(0);
    const from = st & 1 ? g.edgeTarget[e] : g.edgeSource[e];
    expect(from).toBe(cur);
    cur = st & 1 ? g.edgeSource[e] : g.edgeTarget[e];
    len += g.edgeLength[e];
  }
  const ent = entrances[en];
  expect(ent.siteIndex).toBe(s);
  expect(c.active).toContain(en);
  expect(g.closed[ent.edgeIndex]).toBe(0);
  const L = g.edgeLength[ent.edgeIndex];
  const a = g.edgeSource[ent.edgeIndex], b = g.edgeTarget[ent.edgeIndex];
  expect(cur === a || cur === b).toBe(true);
  // (an entrance on a self-loop or at an end node: either end may be the one walked to)
  return len + Math.min(cur === a ? ent.fraction * L : Infinity, cur === b ? (1 - ent.fraction) * L : Infinity);
}

/**
 * The predecessor a label must have (graphs without zero-length edges): a dead end's is its edge; otherwise, among
 * everything that reaches the node at exactly the label's distance — an active entrance of the site on an incident edge,
 * or a searched neighbour at distance − edge length — an entrance before an edge, smaller entrance index, smaller edge.
 */
function expectedPred(c: Case, per: Float64Array[], leafEdge: Int32Array, v: number, s: number, d: number): number {
  const { g } = c;
  if (leafEdge[v] >= 0) return leafEdge[v];
  let best = NO_PRED;
  const rank = (p: number) => (p >= 0 ? p : -2147483650 - p);
  const offer = (p: number) => { if (best === NO_PRED || rank(p) < rank(best)) best = p; };
  for (const i of c.active) {
    const en = c.entrances[i];
    const e = en.edgeIndex;
    if (en.siteIndex !== s || g.closed[e]) continue;
    const L = g.edgeLength[e];
    if ((g.edgeSource[e] === v && en.fraction * L === d) || (g.edgeTarget[e] === v && (1 - en.fraction) * L === d)) offer(entrancePred(i));
  }
  for (let k = g.adjStart[v]; k < g.adjStart[v + 1]; k++) {
    const e = g.adjEdge[k], u = g.adjNode[k];
    if (g.closed[e] || leafEdge[u] >= 0 || u === v) continue;
    if (per[s][u] + g.adjLen[k] === d) offer(e);
  }
  return best;
}

/**
 * On large graphs, bounded searches (and the nearest site within K_SEARCH.nearestLocalM) go site by site unless that
 * search gives up past its budget, then all sites at once; these graphs are small, so: 'default' searches all sites at
 * once; 'site by site' as on a large graph (the budget is never reached here, and everything lies within 500 m);
 * 'gives up' makes every site-by-site search give up after a few labels, so the search of all sites starts from
 * half-filled records; 'never gives up…' keeps it site by site even where all sites at once would do less work, and
 * finds the nearest site beyond 3 m by extending from there (kExtend); the last does so beyond 12 m.
 */
const BUDGETS = {
  default: { ...K_SEARCH },
  'site by site': { ...K_SEARCH, minBytes: 0 },
  'gives up': { ...K_SEARCH, minBytes: 0, perLabel: 0.1, perJunction: 0, slack: 2 },
  'never gives up, nearest site by site within 3 m': { ...K_SEARCH, minBytes: 0, perLabel: Infinity, slack: 0, nearestLocalM: 3 },
  // (farther than most graphs' longest link: kExtend's first keys spread wider than the queue's usual window)
  'nearest site by site within 12 m': { ...K_SEARCH, minBytes: 0, nearestLocalM: 12 },
};
const withBudget = (b: typeof K_SEARCH, f: () => void) => {
  const keep = { ...K_SEARCH };
  Object.assign(K_SEARCH, b);
  try { f(); } finally { Object.assign(K_SEARCH, keep); }
};

describe.each(Object.keys(BUDGETS))('kNearestSearch / nearestSearch on exact random graphs equal brute force (ties: smaller site index first); budget: %s', (budget) => {
  for (let seed = 1; seed <= 120; seed++) {
    it(`seed ${seed}`, () => withBudget(BUDGETS[budget as keyof typeof BUDGETS], () => {
      const c = randomCase(seed, true);
      const per = siteDistances(c);
      const lab = kNearestSearch(c.g, c.entrances, c.active, c.K, c.bound);
      const tree = nearestSearch(c.g, c.entrances, c.active, c.bound);
      const zeroLength = c.g.edgeLength.some((l) => l === 0);
      const { leafEdge } = deadEnds(c.g, indexEntrancesByEdge(c.g.edgeCount, c.entrances, c.active));
      for (let v = 0; v < c.g.nodeCount; v++) {
        const want = bruteLabels(per, v, c.K, c.bound);
        expect(labelsOf(lab, v), `node ${v}`).toEqual(want);
        for (let j = lab.count[v]; j < c.K; j++) {
          expect(lab.site[v * c.K + j]).toBe(-1);
          expect(lab.dist[v * c.K + j]).toBe(Infinity);
          expect(lab.pred[v * c.K + j]).toBe(NO_PRED);
        }
        for (const [s, d] of want) expect(pathLength(c, lab, v, s)).toBe(d);
        if (!zeroLength) for (let j = 0; j < lab.count[v]; j++) {
          expect(lab.pred[v * c.K + j], `pred of node ${v} label ${j}`).toBe(expectedPred(c, per, leafEdge, v, lab.site[v * c.K + j], lab.dist[v * c.K + j]));
        }
        const top = bruteLabels(per, v, 1, c.bound);
        if (top.length === 0) {
          expect(tree.site[v]).toBe(-1);
          expect(tree.dist[v]).toBe(Infinity);
        } else {
          expect([tree.site[v], tree.dist[v]]).toEqual(top[0]);
          expect(pathLength(c, { K: 1, site: tree.site, pred: tree.pred }, v, top[0][0])).toBe(top[0][1]);
          if (!zeroLength) expect(tree.pred[v]).toBe(expectedPred(c, per, leafEdge, v, top[0][0], top[0][1]));
        }
      }
      // a point anywhere on an open edge: candidates from the labels of the edge's ends and same-edge entrances
      const cs = new Int32Array(64), cd = new Float64Array(64), cv = new Int32Array(64);
      for (let e = 0; e < c.g.edgeCount; e++) {
        if (c.g.closed[e]) continue;
        for (const f of [0, 0.25, 0.5, 1]) {
          const L = c.g.edgeLength[e], a = c.g.edgeSource[e], b = c.g.edgeTarget[e];
          const want: [number, number][] = [];
          per.forEach((d, s) => {
            let x = Math.min(f * L + d[a], (1 - f) * L + d[b]);
            for (const i of c.active) {
              const en = c.entrances[i];
              if (en.siteIndex === s && en.edgeIndex === e) x = Math.min(x, Math.abs(f - en.fraction) * L);
            }
            if (x < Infinity && x <= c.bound) want.push([s, x]);
          });
          want.sort((x, y) => x[1] - y[1] || x[0] - y[0]);
          const m = candidatesForSnap(c.g, lab, e, f, c.K, cs, cd, cv, 0);
          const got: [number, number][] = [];
          for (let j = 0; j < m; j++) got.push([cs[j], cd[j]]);
          expect(got, `edge ${e} at ${f}`).toEqual(want.slice(0, c.K));
        }
      }
    }));
  }

  it('K larger than the number of sites, and K = 1 equals nearestSearch including predecessors', () => withBudget(BUDGETS[budget as keyof typeof BUDGETS], () => {
    for (let seed = 200; seed < 230; seed++) {
      const c = randomCase(seed, true);
      const big = kNearestSearch(c.g, c.entrances, c.active, 12, c.bound);
      const per = siteDistances(c);
      for (let v = 0; v < c.g.nodeCount; v++) expect(labelsOf(big, v)).toEqual(bruteLabels(per, v, 12, c.bound));
      const one = kNearestSearch(c.g, c.entrances, c.active, 1, c.bound);
      const tree = nearestSearch(c.g, c.entrances, c.active, c.bound);
      expect(Array.from(one.site)).toEqual(Array.from(tree.site));
      expect(Array.from(one.dist)).toEqual(Array.from(tree.dist));
      expect(Array.from(one.pred)).toEqual(Array.from(tree.pred));
    }
  }));

  it('no active entrance, or all closed: nothing is labelled', () => {
    const c = randomCase(5, true);
    const lab = kNearestSearch(c.g, c.entrances, [], 3, Infinity);
    expect(Array.from(lab.count).every((x) => x === 0)).toBe(true);
    const tree = nearestSearch(c.g, c.entrances, []);
    expect(Array.from(tree.site).every((x) => x === -1)).toBe(true);
    c.g.closed.fill(1);
    const lab2 = kNearestSearch(c.g, c.entrances, c.active, 3, Infinity);
    expect(Array.from(lab2.count).every((x) => x === 0)).toBe(true);
  });
});

describe('a SearchWorkspace reused across searches gives the same results as fresh searches', () => {
  const same = (a: KLabels, b: KLabels) => {
    expect(Array.from(a.count)).toEqual(Array.from(b.count));
    expect(Array.from(a.site)).toEqual(Array.from(b.site));
    expect(Array.from(a.dist)).toEqual(Array.from(b.dist));
    expect(Array.from(a.pred)).toEqual(Array.from(b.pred));
  };
  for (let seed = 300; seed < 340; seed++) {
    it(`seed ${seed}: nearest then k-nearest, repeated, other entrances, closed edges, larger K`, () => {
      const c = randomCase(seed, true);
      const ws = new SearchWorkspace();
      const rand = rng(seed);
      for (let round = 0; round < 4; round++) {
        const t1 = nearestSearch(c.g, c.entrances, c.active, c.bound, ws);
        const t0 = nearestSearch(c.g, c.entrances, c.active, c.bound);
        expect(Array.from(t1.site)).toEqual(Array.from(t0.site));
        expect(Array.from(t1.dist)).toEqual(Array.from(t0.dist));
        expect(Array.from(t1.pred)).toEqual(Array.from(t0.pred));
        for (const K of [c.K, c.K + 5]) same(kNearestSearch(c.g, c.entrances, c.active, K, c.bound, ws), kNearestSearch(c.g, c.entrances, c.active, K, c.bound));
        // results handed out since the last recycle() are never overwritten; after it their arrays are reused
        const keep = kNearestSearch(c.g, c.entrances, c.active, c.K, c.bound, ws);
        const copy = { ...keep, count: keep.count.slice(), site: keep.site.slice(), dist: keep.dist.slice(), pred: keep.pred.slice() };
        const other = kNearestSearch(c.g, c.entrances, c.active.slice(0, 2), c.K, c.bound, ws);
        expect(other.site).not.toBe(keep.site);
        same(keep, copy);
        ws.recycle();
        same(kNearestSearch(c.g, c.entrances, c.active.slice(0, 2), c.K, c.bound, ws), kNearestSearch(c.g, c.entrances, c.active.slice(0, 2), c.K, c.bound));
        same(kNearestSearch(c.g, c.entrances, c.active, c.K, c.bound, ws), copy);
        // another set of active entrances, a closure (in place) or a reopening
        if (round === 1) c.active = c.active.filter(() => rand() < 0.6);
        if (round === 2) c.g.closed[Math.floor(rand() * c.g.edgeCount)] ^= 1;
      }
    });
  }
});

describe.each(Object.keys(BUDGETS))('nearestFromLabels: the unbounded nearest site from bounded k-nearest labels equals nearestSearch; budget: %s', (budget) => {
  for (const exact of [true, false]) {
    for (let seed = 1; seed <= 60; seed++) {
      it(`${exact ? 'exact' : 'real'} seed ${seed}`, () => withBudget(BUDGETS[budget as keyof typeof BUDGETS], () => {
        const c = randomCase(seed, exact);
        const ws = new SearchWorkspace();
        const full = nearestSearch(c.g, c.entrances, c.active, Infinity, new SearchWorkspace());
        // bounds from none to below most links, so that anywhere from no node to nearly every node is beyond them
        for (const bound of [c.bound, 1, 4, 9, Infinity]) {
          for (const K of [1, c.K]) {
            const lab = kNearestSearch(c.g, c.entrances, c.active, K, bound, ws);
            const tree = nearestFromLabels(c.g, lab, ws);
            const what = `bound ${bound} K ${K}`;
            expect(Array.from(tree.site), what).toEqual(Array.from(full.site));
            expect(Array.from(tree.dist).every((d, v) => Object.is(d, full.dist[v])), what).toBe(true);
            expect(Array.from(tree.pred), what).toEqual(Array.from(full.pred));
            expect(tree.bound).toBe(Infinity);
            ws.recycle();
          }
        }
      }));
    }
  }
});

describe.each(Object.keys(BUDGETS))('same labels as the previous heap-based implementation on real-valued random graphs; budget: %s', (budget) => {
  for (let seed = 1; seed <= 60; seed++) {
    it(`seed ${seed}`, () => withBudget(BUDGETS[budget as keyof typeof BUDGETS], () => {
      const c = randomCase(seed, false);
      const lab = kNearestSearch(c.g, c.entrances, c.active, c.K, c.bound);
      const old = legacyKNearestSearch(c.g, c.entrances, c.active, c.K, c.bound);
      const tree = nearestSearch(c.g, c.entrances, c.active, c.bound);
      const oldTree = legacyNearestSearch(c.g, c.entrances, c.active, c.bound);
      for (let v = 0; v < c.g.nodeCount; v++) {
        expect(labelsOf(lab, v), `node ${v}`).toEqual(labelsOf(old, v));
        expect([tree.site[v], tree.dist[v]]).toEqual([oldTree.site[v], oldTree.dist[v]]);
        for (const [s, d] of labelsOf(lab, v)) expect(pathLength(c, lab, v, s)).toBeCloseTo(d, 9);
      }
    }));
  }
});

// ---------------------------------------------------------------------------------------------------------------
// Legacy oracle: kNearestSearch and nearestSearch as they were before the bucket queue / chain contraction
// (server/engine/dijkstra.ts at 946756a), a binary heap over (node, site, pred, distance). Equal distances
// pop in heap order there, so they are only compared on graphs without exact ties.

function legacyKNearestSearch(g: Graph, entrances: Entrance[], active: ArrayLike<number>, K: number, bound: number): KLabels {
  const n = g.nodeCount;
  const count = new Uint8Array(n);
  const lsite = new Int32Array(n * K).fill(-1);
  const ldist = new Float64Array(n * K).fill(Infinity);
  const lpred = new Int32Array(n * K).fill(NO_PRED);
  const { adjStart, adjNode, adjEdge, adjLen, closed } = g;
  const byEdge = indexEntrancesByEdge(g.edgeCount, entrances, active);
  const { leafEdge, count: nLeaves } = deadEnds(g, byEdge);
  let hcap = 1 << 12;
  while (hcap < active.length * 2 + 16) hcap *= 2;
  let hN = new Int32Array(hcap), hS = new Int32Array(hcap), hP = new Int32Array(hcap), hV = new Float64Array(hcap);
  let hLen = 0;
  const push = (w: number, s: number, p: number, nd: number) => {
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
    hN[pos] = w; hS[pos] = s; hP[pos] = p; hV[pos] = nd;
  };
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
  for (let i = 0; i < seeds.length; i += 4) push(seeds[i], seeds[i + 1], seeds[i + 2], seeds[i + 3]);
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
      for (let j = 0; j < cw; j++) if (lsite[w * K + j] === s) { has = true; break; }
      if (!has) push(w, s, e, nd);
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

function legacyNearestSearch(g: Graph, entrances: Entrance[], active: ArrayLike<number>, bound = Infinity) {
  const n = g.nodeCount;
  const dist = new Float64Array(n).fill(Infinity);
  const site = new Int32Array(n).fill(-1);
  const pred = new Int32Array(n).fill(NO_PRED);
  const { adjStart, adjNode, adjEdge, adjLen, closed } = g;
  const byEdge = indexEntrancesByEdge(g.edgeCount, entrances, active);
  const { leafEdge, count: nLeaves } = deadEnds(g, byEdge);
  const hId: number[] = [], hV: number[] = [];
  const push = (v: number, nd: number) => {
    let pos = hId.length;
    hId.push(v); hV.push(nd);
    while (pos > 0) { const par = (pos - 1) >> 1; const pv = hV[par]; if (nd >= pv) break; hId[pos] = hId[par]; hV[pos] = pv; pos = par; }
    hId[pos] = v; hV[pos] = nd;
  };
  for (let i = 0; i < active.length; i++) {
    const en = entrances[active[i]];
    const e = en.edgeIndex;
    if (closed[e]) continue;
    const L = g.edgeLength[e];
    for (let side = 0; side < 2; side++) {
      const v = side === 0 ? g.edgeSource[e] : g.edgeTarget[e], nd = side === 0 ? en.fraction * L : (1 - en.fraction) * L;
      if (!(nd < dist[v] && nd <= bound)) continue;
      dist[v] = nd; site[v] = en.siteIndex; pred[v] = entrancePred(active[i]);
      push(v, nd);
    }
  }
  while (hId.length > 0) {
    const d = hV[0], v = hId[0];
    const last = hId.length - 1;
    const xid = hId[last], value = hV[last];
    hId.pop(); hV.pop();
    if (last > 0) {
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
    for (let k = adjStart[v], end = adjStart[v + 1]; k < end; k++) {
      const e = adjEdge[k];
      if (closed[e]) continue;
      const w = adjNode[k];
      if (leafEdge[w] >= 0) continue;
      const nd = d + adjLen[k];
      if (nd < dist[w] && nd <= bound) { dist[w] = nd; site[w] = site[v]; pred[w] = e; push(w, nd); }
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
  return { dist, site, pred };
}

describe('the nearest site beyond nearestLocalM (kExtend)', () => {
  it('equals the search of all sites at once on a long ladder, far longer than its longest link', () => {
    // two rails of N nodes joined by a 1 m rung at every node: every node is a junction, every link ≤ 1 m long, so
    // the labelled junctions it starts from lie across several of the queue's windows from 0
    const N = 400;
    const ids = new Float64Array(2 * N), lon = new Float64Array(2 * N), lat = new Float64Array(2 * N);
    for (let i = 0; i < 2 * N; i++) { ids[i] = i + 1; lon[i] = 116 + (i % N) * 1e-5; lat[i] = 40 + Math.floor(i / N) * 1e-5; }
    const edges: EngineEdge[] = [];
    const add = (a: number, b: number, lengthM: number) => edges.push({ id: edges.length + 1, source: a + 1, target: b + 1, lengthM, highway: 'footway', widthM: null, coords: [] });
    for (let i = 0; i + 1 < N; i++) { add(i, i + 1, 0.25 + (i % 7) / 8); add(N + i, N + i + 1, 0.25 + (i % 5) / 8); }
    for (let i = 0; i < N; i++) add(i, N + i, 1);
    const g = buildGraph({ nodes: { ids, lon, lat }, edges });
    // three sites near one end and one in the middle, entrances mid-rung
    const entrances: Entrance[] = [3, 10, 11, 200].map((i, s) => ({
      siteIndex: s, edgeIndex: g.edgeIndexById.get(2 * (N - 1) + i + 1)!, fraction: 0.5, point: [0, 0], distanceM: 0, how: 'snapped' as const,
    }));
    const active = entrances.map((_, i) => i);
    let want: ReturnType<typeof nearestSearch> | null = null;
    withBudget(BUDGETS.default, () => { want = nearestSearch(g, entrances, active); });
    for (const local of [5, 7.3, 20, 33.3, 60]) {
      withBudget({ ...K_SEARCH, minBytes: 0, nearestLocalM: local }, () => {
        const got = nearestSearch(g, entrances, active);
        expect(Array.from(got.dist), `within ${local} m`).toEqual(Array.from(want!.dist));
        expect(Array.from(got.site), `within ${local} m`).toEqual(Array.from(want!.site));
        expect(Array.from(got.pred), `within ${local} m`).toEqual(Array.from(want!.pred));
      });
    }
    expect(want!.site[N - 1]).toBe(3);
  });
});

/**
 * The site-by-site search and the chains' labels split with a helper thread (searchThread.helper): here helpers in this
 * thread — one that does its part at once (the split and the merge), one that makes its copy of the records but fails
 * every part (the engine then does it itself), one that never makes the copy (the engine searches alone), one whose
 * site search gives up (the search of all sites at once follows). Every one must give the labels of the search without
 * a helper.
 */
describe.each(Object.keys(BUDGETS).filter((b) => b !== 'default'))('the site-by-site search split with a helper equals the search alone; budget: %s', (budget) => {
  const helpers: Record<string, HelperThread> = {
    'does its part': { start: (task) => { const r = helperPart(task); return () => r; } },
    fails: { start: (task) => { if (task.kind === 'copy') helperPart(task); return () => null; } },
    'never copies': { start: (task) => { const r = task.kind === 'copy' ? null : helperPart(task); return () => r; } },
    'gives up': { start: (task) => { helperPart(task); return () => task.kind !== 'sites'; } },
  };
  const same = (a: KLabels, b: KLabels) => {
    expect(Array.from(a.count)).toEqual(Array.from(b.count));
    expect(Array.from(a.site)).toEqual(Array.from(b.site));
    expect(Array.from(a.dist)).toEqual(Array.from(b.dist));
    expect(Array.from(a.pred)).toEqual(Array.from(b.pred));
  };
  for (const [name, helper] of Object.entries(helpers)) {
    it(`helper that ${name}: 60 random graphs, exact and real, K and K = 1 (nearest)`, () => withBudget(BUDGETS[budget as keyof typeof BUDGETS], () => {
      const keep = { ...searchThread };
      for (let seed = 700; seed < 760; seed++) {
        const c = randomCase(seed, seed % 2 === 0);
        searchThread.helper = null;
        const alone = kNearestSearch(c.g, c.entrances, c.active, c.K, c.bound);
        const alone1 = nearestSearch(c.g, c.entrances, c.active, c.bound);
        const aloneCopy = { ...alone, count: alone.count.slice(), site: alone.site.slice(), dist: alone.dist.slice(), pred: alone.pred.slice() };
        const alone1Copy = { site: alone1.site.slice(), dist: alone1.dist.slice(), pred: alone1.pred.slice() };
        try {
          Object.assign(searchThread, { helper, minJunctions: 0 });
          const ws = new SearchWorkspace();
          for (let round = 0; round < 2; round++) {
            same(kNearestSearch(c.g, c.entrances, c.active, c.K, c.bound, ws), aloneCopy);
            const t = nearestSearch(c.g, c.entrances, c.active, c.bound, ws);
            expect([Array.from(t.site), Array.from(t.dist), Array.from(t.pred)]).toEqual([Array.from(alone1Copy.site), Array.from(alone1Copy.dist), Array.from(alone1Copy.pred)]);
            ws.recycle();
          }
        } finally {
          Object.assign(searchThread, keep);
        }
      }
    }));
  }
});
