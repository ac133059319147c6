import { describe, expect, it } from 'vitest';
import { BufferPool } from '../../../server/engine/alloc.ts';
import { AssignScratch, assign, minCostFlowLowerBound, type AssignProblem } from '../../../server/engine/assign.ts';
import { rng } from './fixtures.ts';

/** A random assignment problem: buildings and sites at random points, candidates = sites within `reach` (Euclidean × detour). */
function randomProblem(seed: number, nB: number, nS: number, capFactor: number, reach = 600): AssignProblem {
  const r = rng(seed);
  const bx = Array.from({ length: nB }, () => [r() * 1500, r() * 1500]);
  const sx = Array.from({ length: nS }, () => [r() * 1500, r() * 1500]);
  const population = Float64Array.from({ length: nB }, () => 5 + Math.floor(r() * 80));
  const totalPop = population.reduce((a, b) => a + b, 0);
  const w = Array.from({ length: nS }, () => 0.3 + r());
  const ws = w.reduce((a, b) => a + b, 0);
  const capacity = Float64Array.from(w, (x) => Math.round((capFactor * totalPop * x) / ws));
  const candStart = new Int32Array(nB + 1);
  const cs: number[] = [], cd: number[] = [];
  for (let b = 0; b < nB; b++) {
    const list = sx.map((p, s) => ({ s, d: Math.hypot(p[0] - bx[b][0], p[1] - bx[b][1]) * (1.1 + 0.3 * r()) })).filter((x) => x.d <= reach).sort((a, b) => a.d - b.d);
    for (const x of list) { cs.push(x.s); cd.push(x.d); }
    candStart[b + 1] = cs.length;
  }
  return { nB, nS, population, capacity, candStart, candSite: Int32Array.from(cs), candDist: Float64Array.from(cd) };
}

function check(pb: AssignProblem, res: ReturnType<typeof assign>) {
  // capacity never exceeded, people conserved, parts only at candidates
  for (let s = 0; s < pb.nS; s++) expect(res.load[s]).toBeLessThanOrEqual(pb.capacity[s] + 1e-6);
  const load = new Float64Array(pb.nS);
  for (let b = 0; b < pb.nB; b++) {
    let sum = res.unplaced[b];
    for (let i = res.partStart[b]; i < res.partStart[b + 1]; i++) {
      const k = res.partCand[i];
      expect(k).toBeGreaterThanOrEqual(pb.candStart[b]);
      expect(k).toBeLessThan(pb.candStart[b + 1]);
      load[pb.candSite[k]] += res.partPeople[i];
      sum += res.partPeople[i];
    }
    expect(sum).toBeCloseTo(pb.population[b], 6);
    if (res.partStart[b + 1] - res.partStart[b] > 1) expect(res.split[b]).toBe(1);
  }
  for (let s = 0; s < pb.nS; s++) expect(load[s]).toBeCloseTo(res.load[s], 6);
}

const greedyGaps: { seed: number; placedGap: number; costGap: number }[] = [];

describe('assignment vs exact min-cost-flow optimum', () => {
  it('fast path: ample capacity → everyone at the nearest site, equal to the optimum', () => {
    const pb = randomProblem(1, 120, 8, 3);
    const res = assign(pb);
    check(pb, res);
    expect(res.stats.fastPath).toBe(true);
    const lb = minCostFlowLowerBound(pb);
    expect(res.cost).toBeCloseTo(lb.cost, 6);
  });

  const cases: [number, number, number, number][] = [];
  for (let seed = 1; seed <= 30; seed++) cases.push([seed, 60 + (seed % 5) * 30, 5 + (seed % 4) * 2, 1.15 + (seed % 3) * 0.2]);
  it.each(cases)('seed %i (%i buildings, %i sites, capacity ×%f): within 5 %% of the optimum, capacity respected', (seed, nB, nS, f) => {
    const pb = randomProblem(seed, nB, nS, f);
    const res = assign(pb);
    check(pb, res);
    const lb = minCostFlowLowerBound(pb);
    expect(res.placed).toBeCloseTo(lb.placed, 6); // nobody left out whom the optimum places
    expect(res.cost).toBeGreaterThanOrEqual(lb.cost - 1e-6);
    expect(res.cost).toBeLessThanOrEqual(lb.cost * 1.05 + 1e-6);
    // the greedy + local search path (used for components too large for the exact solver)
    const gr = assign(pb, { exactWork: 0 });
    check(pb, gr);
    greedyGaps.push({ seed, placedGap: (lb.placed - gr.placed) / lb.placed, costGap: gr.cost / lb.cost - 1 });
  });

  // Known limit: the greedy path (only used for overloaded components too large for the exact solver) can place a
  // few % fewer people than the split optimum in tight random cases; its cost stays close.
  it('greedy path: placement within 8 % of the optimum, mean cost gap ≤ 5 % where placement is equal', () => {
    expect(greedyGaps.length).toBe(cases.length);
    console.log('greedy gaps', JSON.stringify(greedyGaps.map((x) => [x.seed, +x.placedGap.toFixed(4), +x.costGap.toFixed(4)])));
    for (const x of greedyGaps) expect(x.placedGap).toBeLessThanOrEqual(0.08);
    const equal = greedyGaps.filter((x) => x.placedGap < 1e-9);
    expect(equal.length).toBeGreaterThan(5);
    const mean = equal.reduce((a, x) => a + x.costGap, 0) / equal.length;
    expect(mean).toBeLessThanOrEqual(0.05);
  });

  it('tight capacity: splits buildings that fit nowhere whole, reports the rest unplaced', () => {
    const pb: AssignProblem = {
      nB: 2, nS: 2, population: Float64Array.from([70, 30]), capacity: Float64Array.from([50, 40]),
      candStart: Int32Array.from([0, 2, 3]), candSite: Int32Array.from([0, 1, 0]), candDist: Float64Array.from([100, 200, 50]),
    };
    const res = assign(pb);
    check(pb, res);
    expect(res.split[0]).toBe(1);
    expect(res.placed).toBe(90);
    expect(res.unplaced[0] + res.unplaced[1]).toBe(10);
    const lb = minCostFlowLowerBound(pb);
    expect(lb.placed).toBe(90);
  });

  it('lower bound is a true bound: never above any feasible assignment found', () => {
    for (let seed = 40; seed < 50; seed++) {
      const pb = randomProblem(seed, 80, 6, 1.3);
      const res = assign(pb);
      const lb = minCostFlowLowerBound(pb);
      if (Math.abs(res.placed - lb.placed) < 1e-6) expect(lb.cost).toBeLessThanOrEqual(res.cost + 1e-6);
    }
  });
});


describe('local search passes over buildings whose last failed attempt read nothing that changed since', () => {
  it('gives the same assignment and statistics as re-examining every building each pass', () => {
    let moves = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const nB = 60 + (seed % 7) * 40, nS = 4 + (seed % 5) * 3, f = 0.9 + (seed % 4) * 0.2;
      const pb = randomProblem(seed, nB, nS, f);
      for (const exactWork of [0, undefined]) {
        const skip = assign(pb, { exactWork });
        const full = assign(pb, { exactWork, recheckAll: true });
        check(pb, skip);
        expect(skip.stats).toEqual(full.stats);
        for (const key of ['partStart', 'partCand', 'partPeople', 'load', 'unplaced', 'split'] as const) expect(skip[key]).toEqual(full[key]);
        expect(skip.cost).toBe(full.cost);
        moves += skip.stats.shifts + skip.stats.swaps + skip.stats.ejections;
      }
    }
    expect(moves).toBeGreaterThan(100); // the local search did move buildings, over several passes
  });
});

describe('sites renumbered in the same order (a community plan solves over the sites its candidates name)', () => {
  it('gives the same assignment as over the whole site list', () => {
    let solved = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const nB = 40 + (seed % 5) * 30, nS = 4 + (seed % 4) * 3, f = 0.8 + (seed % 3) * 0.2;
      const small = randomProblem(seed, nB, nS, f);
      // the same sites spread over a larger list, in the same order, with unused sites between them
      const at = (s: number) => 3 * s + 1 + (s % 2);
      const bigS = at(nS - 1) + 3;
      const capacity = new Float64Array(bigS).fill(1e9);
      for (let s = 0; s < nS; s++) capacity[at(s)] = small.capacity[s];
      const big: AssignProblem = { ...small, nS: bigS, capacity, candSite: small.candSite.map(at) };
      for (const exactWork of [0, undefined]) {
        const a = assign(small, { exactWork }), b = assign(big, { exactWork });
        for (const key of ['partStart', 'partCand', 'partPeople', 'unplaced', 'split'] as const) expect(a[key]).toEqual(b[key]);
        expect(Array.from(a.load)).toEqual(Array.from(a.load, (_, s) => b.load[at(s)]));
        expect(a.stats).toEqual(b.stats);
        expect(a.cost).toBe(b.cost);
        if (!a.stats.fastPath) solved++;
      }
    }
    expect(solved).toBeGreaterThan(20); // most cases were overloaded, not the fast path
  });
});

describe('the exact solver\'s scratch on stage buffers (as a plan runs it)', () => {
  it('gives the same assignment from buffers holding garbage, and gives them back at the end', () => {
    for (const seed of [3, 17, 29]) {
      // tight capacity: overloaded components, solved exactly
      const pb = randomProblem(seed, 400, 12, 0.9);
      const kept = assign(pb);
      const pool = new BufferPool(64);
      // a first run leaves its buffers in the pool; garbage over them, and the second run must write before it reads
      const first = assign(pb, { buffers: pool });
      expect(kept.stats.exactComponents).toBeGreaterThan(0);
      expect(pool.freeBytes).toBeGreaterThan(0);
      pool.fillFree(0xc3);
      const reused = pool.reused;
      const again = assign(pb, { buffers: pool });
      expect(pool.reused).toBeGreaterThan(reused);
      for (const r of [first, again]) {
        expect([...r.partCand]).toEqual([...kept.partCand]);
        expect([...r.partPeople]).toEqual([...kept.partPeople]);
        expect([...r.unplaced]).toEqual([...kept.unplaced]);
        expect(r.cost).toBe(kept.cost);
      }
    }
  });

  it('grows a named array keeping its contents and zeroing the rest, also in a reused buffer', () => {
    const pool = new BufferPool(64);
    pool.give({ buffer: new Int32Array(1000).fill(-5).buffer, offset: 0, bytes: 4000 });
    const sc = new AssignScratch(pool);
    const a = sc.take('x', Int32Array, 10, 7);
    const b = sc.grow('x', Int32Array, a, 600);
    expect([...b.subarray(0, 10)].every((v) => v === 7)).toBe(true);
    expect([...b.subarray(10)].every((v) => v === 0)).toBe(true);
    expect(pool.reused).toBe(1);
    // back in the pool: the 4000 bytes (the first 40 were too few to keep)
    sc.release();
    expect(pool.freeBytes).toBe(4000);
  });
});
