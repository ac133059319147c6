import { describe, expect, it } from 'vitest';
import { buildGraph } from '../../../server/engine/graph.ts';
import { allEntrances, buildSegmentIndex, snapBuildings } from '../../../server/engine/snap.ts';
import { stageBuffersOf } from '../../../server/engine/alloc.ts';
import {
  candidatesForSnap, indexEntrancesByEdge, kNearestSearch, SearchWorkspace, nearestForSnap, nearestFromLabels, nearestSearch, pathFromLabels, PointSearcher,
} from '../../../server/engine/dijkstra.ts';
import type { EngineInput } from '../../../server/engine/types.ts';
import { gridFixture, randomGridInput } from './fixtures.ts';
import { bruteDistances } from './brute.ts';

function setup(input: EngineInput, maxSnap = 200) {
  const g = buildGraph(input);
  const ix = buildSegmentIndex(g);
  const snaps = snapBuildings(ix, input.buildings, maxSnap);
  const ents = allEntrances(ix, input.sites, maxSnap);
  const active = ents.map((_, i) => i);
  return { g, ix, snaps, ents, active };
}

describe('multi-source nearest site (ASCII fixtures)', () => {
  it('S--+--B: 60 m', () => {
    const { g, snaps, ents, active } = setup(gridFixture('S--+--B').input);
    const tree = nearestSearch(g, ents, active);
    const out = [0, 0, 0];
    nearestForSnap(g, tree, snaps.edge[0], snaps.fraction[0], out);
    expect(out[0]).toBe(0);
    expect(out[1]).toBeCloseTo(60, 9);
  });

  it('building and site on the same edge use the direct stretch', () => {
    const { g, snaps, ents, active } = setup(gridFixture('+-b--s---------+').input);
    const tree = nearestSearch(g, ents, active);
    const out = [0, 0, 0];
    nearestForSnap(g, tree, snaps.edge[0], snaps.fraction[0], out);
    expect(out[1]).toBeCloseTo(30, 6);
    expect(out[2]).toBeGreaterThanOrEqual(2); // via the same-edge entrance
  });

  it('picks the nearer of two sites by network, not straight-line, distance', () => {
    // s1 is 30 m away as the crow flies but the wall forces an 80 m detour; s2 is 50 m along the path
    const fx = gridFixture(`
+--b--+----S
|
+-----+
      |
      S`);
    const { g, snaps, ents, active } = setup(fx.input);
    const tree = nearestSearch(g, ents, active);
    const out = [0, 0, 0];
    nearestForSnap(g, tree, snaps.edge[0], snaps.fraction[0], out);
    expect(out[0]).toBe(0);
    expect(out[1]).toBeCloseTo(30 + 50, 6);
  });

  it('a building in a component without a site is unreachable', () => {
    const { g, snaps, ents, active } = setup(gridFixture(`
S--+

+--B`).input);
    const tree = nearestSearch(g, ents, active);
    const out = [0, 0, 0];
    nearestForSnap(g, tree, snaps.edge[0], snaps.fraction[0], out);
    expect(out[0]).toBe(-1);
    expect(out[1]).toBe(Infinity);
  });

  it('closed edges are not walked', () => {
    const input = gridFixture(`
S--+--B
|     |
+-----+`).input;
    const g = buildGraph(input);
    g.closed[g.edgeIndexById.get(3)!] = 1; // (0,3)-(0,6)
    const ix = buildSegmentIndex(g);
    const snaps = snapBuildings(ix, input.buildings, 100);
    const ents = allEntrances(ix, input.sites, 100);
    const active = [0];
    const tree = nearestSearch(g, ents, active);
    const out = [0, 0, 0];
    nearestForSnap(g, tree, snaps.edge[0], snaps.fraction[0], out);
    expect(out[1]).toBeCloseTo(20 + 60 + 20, 6);
  });
});

describe('exactness against brute force on random graphs', () => {
  for (const seed of [1, 2, 3, 4]) {
    it(`seed ${seed}: nearest distance and K nearest equal brute force for every building`, () => {
      const input = randomGridInput({ w: 9, h: 7, spacing: 40, buildings: 40, sites: 6, seed, dropEdges: 0.25, lengthJitter: 0.8 });
      const { g, snaps, ents, active } = setup(input);
      const tree = nearestSearch(g, ents, active);
      const K = 3;
      const lab = kNearestSearch(g, ents, active, K, 1e9);
      const out = [0, 0, 0];
      const cs = new Int32Array(16), cd = new Float64Array(16), cv = new Int32Array(16);
      for (let b = 0; b < input.buildings.length; b++) {
        if (snaps.edge[b] < 0) continue;
        const d = bruteDistances(g, { edge: snaps.edge[b], fraction: snaps.fraction[b] }, ents.map((e) => ({ edge: e.edgeIndex, fraction: e.fraction })));
        const perSite = new Map<number, number>();
        d.forEach((x, i) => perSite.set(ents[i].siteIndex, Math.min(perSite.get(ents[i].siteIndex) ?? Infinity, x)));
        const sorted = [...perSite.entries()].filter(([, x]) => x < Infinity).sort((a, b) => a[1] - b[1]);
        nearestForSnap(g, tree, snaps.edge[b], snaps.fraction[b], out);
        if (sorted.length === 0) { expect(out[0]).toBe(-1); continue; }
        expect(out[1]).toBeCloseTo(sorted[0][1], 6);
        const n = candidatesForSnap(g, lab, snaps.edge[b], snaps.fraction[b], K, cs, cd, cv, 0);
        expect(n).toBe(Math.min(K, sorted.length));
        for (let j = 0; j < n; j++) expect(cd[j]).toBeCloseTo(sorted[j][1], 6);
        // resident-style point search agrees too
        const ps = new PointSearcher(g, input.sites.length);
        const m = ps.search(g, ents, tree.byEdge, new Uint8Array(input.sites.length).fill(1), snaps.edge[b], snaps.fraction[b], K, Infinity);
        expect(ps.dist.slice(0, m)).toEqual(sorted.slice(0, K).map(([, x]) => expect.closeTo(x, 6)));
        // the same floating-point distances as the multi-source labels (lengths added up from the entrance)
        expect(ps.dist.slice(0, m)).toEqual(Array.from(cd.subarray(0, n)));
      }
    });
  }

  it('bounded K-label search only keeps sites within the bound', () => {
    const input = randomGridInput({ w: 9, h: 7, spacing: 40, buildings: 30, sites: 6, seed: 11, dropEdges: 0.2 });
    const { g, ents, active } = setup(input);
    const lab = kNearestSearch(g, ents, active, 4, 120);
    for (let i = 0; i < lab.dist.length; i++) if (lab.site[i] >= 0) expect(lab.dist[i]).toBeLessThanOrEqual(120);
  });
});

describe('path reconstruction', () => {
  it('walks from the building end node to the site entrance along the tree', () => {
    const fx = gridFixture(`
S--+--+
      |
      +--B`);
    const { g, snaps, ents, active } = setup(fx.input);
    const tree = nearestSearch(g, ents, active);
    const v = g.edgeSource[snaps.edge[0]]; // (2,6)
    const steps: number[] = [];
    const en = pathFromLabels(g, { K: 1, site: tree.site, pred: tree.pred }, v, 0, steps);
    expect(en).toBe(0);
    let len = 0;
    for (const st of steps) len += g.edgeLength[st >> 1];
    const ent = ents[en];
    const last = steps[steps.length - 1];
    const lastNode = last & 1 ? g.edgeSource[last >> 1] : g.edgeTarget[last >> 1];
    const partial = (lastNode === g.edgeSource[ent.edgeIndex] ? ent.fraction : 1 - ent.fraction) * g.edgeLength[ent.edgeIndex];
    expect(len + partial).toBeCloseTo(tree.dist[v], 9);
    expect(tree.dist[v]).toBeCloseTo(80, 9);
    expect(steps).toHaveLength(2);
    const ps = new PointSearcher(g, fx.input.sites.length);
    expect(ps.search(g, ents, tree.byEdge, new Uint8Array(fx.input.sites.length).fill(1), snaps.edge[0], snaps.fraction[0], 1, Infinity)).toBe(1);
    const psteps: number[] = [];
    ps.path(g, ps.node[0], psteps);
    expect(psteps).toEqual(steps);
  });
});

describe('indexEntrancesByEdge', () => {
  it('groups entrances by edge in active order, also into the arrays of an index it reuses', () => {
    // several entrances per edge (inactive ones left out), edges without any
    const entrances = [3, 0, 3, 5, 0, 3, 7, 5].map((edgeIndex, i) => ({ edgeIndex, fraction: 0.5, point: [0, 0] as [number, number], distanceM: 0, siteIndex: i, how: 'snapped' as const }));
    const active = [7, 0, 2, 4, 5, 1, 6];
    const expected = (e: number) => active.filter((i) => entrances[i].edgeIndex === e);
    const check = (ix: ReturnType<typeof indexEntrancesByEdge>) => {
      expect(ix.entStart.length).toBe(9);
      expect(ix.entByEdge.length).toBe(active.length);
      for (let e = 0; e < 8; e++) expect(Array.from(ix.entByEdge.subarray(ix.entStart[e], ix.entStart[e + 1]))).toEqual(expected(e));
      expect(ix.entStart[8]).toBe(active.length);
    };
    const fresh = indexEntrancesByEdge(8, entrances, active);
    check(fresh);
    const old = indexEntrancesByEdge(8, entrances, [0, 1, 2, 3, 4, 5, 6, 7]);
    const reused = indexEntrancesByEdge(8, entrances, active, old);
    expect(reused.entStart).toBe(old.entStart);
    expect(reused.entByEdge.buffer).toBe(old.entByEdge.buffer);
    check(reused);
  });
});

describe('SearchWorkspace result memory', () => {
  it('gives one released result\'s memory back before the others, and leaves the others as they were', () => {
    const input = randomGridInput({ w: 110, h: 110, spacing: 40, buildings: 50, sites: 40, seed: 11, dropEdges: 0.1, lengthJitter: 0.4 });
    const { g, ents, active } = setup(input);
    const ws = new SearchWorkspace();
    const labels = kNearestSearch(g, ents, active, 6, 900, ws);
    const kept = labels.dist.slice();
    const near = nearestFromLabels(g, labels, ws);
    const nearCopy = { site: near.site.slice(), dist: near.dist.slice() };
    ws.release(near);
    const pool = stageBuffersOf(g.adjStart);
    pool.fillFree(0x5a);
    const reused = pool.reused;
    const again = nearestFromLabels(g, labels, ws);
    expect(pool.reused).toBe(reused + 1);
    expect(again.dist.buffer).toBe(near.dist.buffer);
    expect(Array.from(again.site)).toEqual(Array.from(nearCopy.site));
    expect(Array.from(again.dist)).toEqual(Array.from(nearCopy.dist));
    // the labels were not released: untouched
    expect(Array.from(labels.dist)).toEqual(Array.from(kept));
  });

  it('gives recycled labels\' memory back to the stage buffers, and searches again in whatever another stage left there', () => {
    // ~12 k nodes: labels of K = 6 take ~1.2 MB, enough for the stage buffers to keep
    const input = randomGridInput({ w: 110, h: 110, spacing: 40, buildings: 50, sites: 40, seed: 7, dropEdges: 0.1, lengthJitter: 0.4 });
    const { g, ents, active } = setup(input);
    const ws = new SearchWorkspace();
    const first = kNearestSearch(g, ents, active, 6, 900, ws);
    const copy = { count: first.count.slice(), site: first.site.slice(), dist: first.dist.slice(), pred: first.pred.slice() };
    ws.recycle();
    const pool = stageBuffersOf(g.adjStart);
    pool.fillFree(0xa5);
    const reused = pool.reused;
    const again = kNearestSearch(g, ents, active, 6, 900, ws);
    expect(pool.reused).toBe(reused + 1);
    expect(again.site.buffer).toBe(first.site.buffer);
    expect(Array.from(again.count)).toEqual(Array.from(copy.count));
    expect(Array.from(again.site)).toEqual(Array.from(copy.site));
    expect(Array.from(again.dist)).toEqual(Array.from(copy.dist));
    expect(Array.from(again.pred)).toEqual(Array.from(copy.pred));
    expect(copy.count.some((c) => c === 6) && copy.count.some((c) => c < 6)).toBe(true);
    // not recycled: a new search gets memory of its own
    const third = kNearestSearch(g, ents, active, 6, 900, ws);
    expect(third.site.buffer).not.toBe(again.site.buffer);
  });
});
