import { describe, expect, it } from 'vitest';
import { AssignScratch, assign, minCostFlowLowerBound, minCostFlowSites, subProblem, type AssignProblem, type FlowBound } from '../../../server/engine/assign.ts';
import { rng } from './fixtures.ts';

/**
 * A random problem meant to stress the exact solvers: 1..300 buildings, 1..20 sites, integer or fractional people and
 * capacities from far too little to ample, buildings with nobody, buildings without candidates, and (on a grid)
 * many equal distances.
 */
function randomProblem(seed: number): AssignProblem {
  const r = rng(seed);
  const nB = 1 + Math.floor(r() * 300), nS = 1 + Math.floor(r() * 20);
  const bx = Array.from({ length: nB }, () => [r() * 1500, r() * 1500]);
  const sx = Array.from({ length: nS }, () => [r() * 1500, r() * 1500]);
  const fractional = r() < 0.5;
  const population = Float64Array.from({ length: nB }, () => (r() < 0.1 ? 0 : fractional ? r() * 80 : 1 + Math.floor(r() * 80)));
  const total = population.reduce((a, b) => a + b, 0);
  const capFactor = 0.2 + r() * 1.6;
  const capacity = Float64Array.from({ length: nS }, () => {
    if (r() < 0.05) return 0;
    const c = ((capFactor * total) / nS) * (0.3 + r() * 1.4);
    return fractional ? c : Math.round(c);
  });
  const reach = 300 + r() * 900;
  const ties = r() < 0.3; // distances rounded to 100 m: many ties
  const candStart = new Int32Array(nB + 1);
  const cs: number[] = [], cd: number[] = [];
  for (let b = 0; b < nB; b++) {
    if (r() >= 0.05) {
      const list = sx
        .map((p, s) => {
          const d = Math.hypot(p[0] - bx[b][0], p[1] - bx[b][1]) * (1.1 + 0.3 * r());
          return { s, d: ties ? Math.round(d / 100) * 100 : d };
        })
        .filter((x) => x.d <= reach)
        .sort((a, b) => a.d - b.d || a.s - b.s);
      for (const x of list) { cs.push(x.s); cd.push(x.d); }
    }
    candStart[b + 1] = cs.length;
  }
  return { nB, nS, population, capacity, candStart, candSite: Int32Array.from(cs), candDist: Float64Array.from(cd) };
}

function checkFlow(pb: AssignProblem, fb: FlowBound) {
  const load = new Float64Array(pb.nS);
  let cost = 0, placed = 0, total = 0;
  for (let b = 0; b < pb.nB; b++) {
    let sent = 0;
    for (let k = pb.candStart[b]; k < pb.candStart[b + 1]; k++) {
      expect(fb.flow[k]).toBeGreaterThanOrEqual(0);
      sent += fb.flow[k];
      load[pb.candSite[k]] += fb.flow[k];
      cost += fb.flow[k] * pb.candDist[k];
    }
    expect(sent).toBeLessThanOrEqual(Math.max(0, pb.population[b]) + 1e-6);
    placed += sent;
    total += Math.max(0, pb.population[b]);
  }
  for (let s = 0; s < pb.nS; s++) expect(load[s]).toBeLessThanOrEqual(pb.capacity[s] + 1e-6);
  expect(fb.cost).toBeCloseTo(cost, 4);
  expect(fb.placed).toBeCloseTo(placed, 6);
  expect(fb.unplaced).toBeCloseTo(total - placed, 6);
}

describe('minCostFlowSites (successive shortest paths on the site graph) vs the building-graph min-cost flow', () => {
  const seeds = Array.from({ length: 150 }, (_, i) => i + 1);
  it.each(seeds)('random problem %i: same placement and cost, flows within supplies and capacities', (seed) => {
    const pb = randomProblem(seed);
    const ref = minCostFlowLowerBound(pb);
    const got = minCostFlowSites(pb);
    checkFlow(pb, got);
    expect(got.placed).toBeCloseTo(ref.placed, 6);
    expect(Math.abs(got.cost - ref.cost)).toBeLessThanOrEqual(1e-6 * Math.max(1, ref.cost));
  });

  it('the insertion order of buildings does not change the optimum', () => {
    for (let seed = 500; seed < 520; seed++) {
      const pb = randomProblem(seed);
      const a = minCostFlowSites(pb);
      const r = rng(seed);
      const order = Int32Array.from({ length: pb.nB }, (_, i) => i);
      for (let i = order.length - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); const t = order[i]; order[i] = order[j]; order[j] = t; }
      const b = minCostFlowSites(pb, order);
      checkFlow(pb, b);
      expect(b.placed).toBeCloseTo(a.placed, 6);
      expect(Math.abs(b.cost - a.cost)).toBeLessThanOrEqual(1e-6 * Math.max(1, a.cost));
    }
  });

  it('leaves out exactly the people that fit nowhere, and moves others to make room', () => {
    // sites 0 (cap 50) and 1 (cap 40). Building 0 (70 people) reaches both, building 1 (30) only site 0:
    // optimum places 90 — building 1 whole at site 0, building 0 split 20 / 40 — and leaves 10 out.
    const pb: AssignProblem = {
      nB: 2, nS: 2, population: Float64Array.from([70, 30]), capacity: Float64Array.from([50, 40]),
      candStart: Int32Array.from([0, 2, 3]), candSite: Int32Array.from([0, 1, 0]), candDist: Float64Array.from([100, 200, 50]),
    };
    const got = minCostFlowSites(pb);
    checkFlow(pb, got);
    expect(got.placed).toBe(90);
    expect(got.unplaced).toBe(10);
    expect(Array.from(got.flow)).toEqual([20, 40, 30]);
    expect(got.cost).toBe(20 * 100 + 40 * 200 + 30 * 50);
    // a cheap building arriving last displaces a far one from a full site (insertion order 1, then 0)
    const pb2: AssignProblem = {
      nB: 2, nS: 1, population: Float64Array.from([10, 10]), capacity: Float64Array.from([10]),
      candStart: Int32Array.from([0, 1, 2]), candSite: Int32Array.from([0, 0]), candDist: Float64Array.from([10, 500]),
    };
    const g2 = minCostFlowSites(pb2, [1, 0]);
    expect(Array.from(g2.flow)).toEqual([10, 0]);
    expect(g2.unplaced).toBe(10);
  });

  it('degenerate inputs: no sites with room, no candidates, nobody', () => {
    const none: AssignProblem = {
      nB: 3, nS: 2, population: Float64Array.from([5, 0, 7]), capacity: Float64Array.from([0, 0]),
      candStart: Int32Array.from([0, 2, 2, 3]), candSite: Int32Array.from([0, 1, 1]), candDist: Float64Array.from([1, 2, 3]),
    };
    const a = minCostFlowSites(none);
    expect(a.placed).toBe(0);
    expect(a.unplaced).toBe(12);
    expect(a.cost).toBe(0);
    const empty: AssignProblem = {
      nB: 0, nS: 0, population: new Float64Array(0), capacity: new Float64Array(0),
      candStart: Int32Array.from([0]), candSite: new Int32Array(0), candDist: new Float64Array(0),
    };
    expect(minCostFlowSites(empty)).toMatchObject({ cost: 0, placed: 0, unplaced: 0 });
  });

  it('assign() solves overloaded components exactly with it: placement equals the split optimum', () => {
    for (let seed = 600; seed < 640; seed++) {
      const pb = randomProblem(seed);
      const ref = minCostFlowLowerBound(pb);
      const res = assign(pb, { exactWork: 1e12 });
      expect(res.placed).toBeCloseTo(ref.placed, 6);
      expect(res.cost).toBeGreaterThanOrEqual(ref.cost - 1e-6 * Math.max(1, ref.cost));
      for (let s = 0; s < pb.nS; s++) expect(res.load[s]).toBeLessThanOrEqual(pb.capacity[s] + 1e-6);
    }
  });

  it('a scratch reused across problems of all sizes gives the same flows as fresh arrays', () => {
    const scratch = new AssignScratch();
    for (let seed = 700; seed < 760; seed++) {
      const pb = randomProblem(seed);
      const fresh = minCostFlowSites(pb);
      const reused = minCostFlowSites(pb, undefined, scratch);
      expect(Array.from(reused.flow)).toEqual(Array.from(fresh.flow));
      expect(reused.cost).toBe(fresh.cost);
      // the compact sub-problem of every second building, built on the same scratch
      const list = Array.from({ length: pb.nB >> 1 }, (_, i) => 2 * i);
      const a = subProblem(pb, list, true).problem, b = subProblem(pb, list, true, scratch).problem;
      for (const key of ['nB', 'nS', 'population', 'capacity', 'candStart', 'candSite', 'candDist'] as const) expect(b[key]).toEqual(a[key]);
    }
    expect(scratch.bytes).toBeGreaterThan(0);
  });

  it('assign() keeps its scratch between calls: a problem solved again after others gives the same result', () => {
    const pbs = [900, 901, 902, 903].map(randomProblem);
    const first = pbs.map((pb) => assign(pb, { exactWork: 1e12 }));
    const again = pbs.slice().reverse().map((pb) => assign(pb, { exactWork: 1e12 })).reverse();
    for (let i = 0; i < pbs.length; i++) expect(again[i]).toEqual(first[i]);
  });
});
