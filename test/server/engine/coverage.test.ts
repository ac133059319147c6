import { describe, expect, it } from 'vitest';
import { runPlan, type PlanResult } from '../../../server/engine/plan.ts';
import type { AreaSummary } from '../../../server/engine/coverage.ts';
import type { EngineInput } from '../../../server/engine/types.ts';
import { randomGridInput } from './fixtures.ts';

/** Per-area summaries the plain way: one object per area, a Map from the area key to its position (last one wins). */
function referenceAreas(plan: PlanResult, input: EngineInput, keyOf: (b: number) => number, areas: { id: number; name: string }[], byIndex: boolean): AreaSummary[] {
  const pos = new Map<number, number>();
  const out = areas.map((ar, i) => {
    pos.set(byIndex ? i : ar.id, i);
    return { id: ar.id, name: ar.name, buildings: 0, population: 0, coveredPopulation: 0, coveredShare: 0, assignedPopulation: 0, unplacedPopulation: 0, clearanceS: 0, clearanceVulnerableS: 0 };
  });
  const nB = input.buildings.length;
  const assigned = new Float64Array(nB), clear = new Float64Array(nB), clearV = new Float64Array(nB);
  const rt = plan.routes;
  for (let p = 0; p < rt.partBuilding.length; p++) {
    const b = rt.partBuilding[p];
    assigned[b] += rt.partPeople[p];
    clear[b] = Math.max(clear[b], plan.flows.clearance[p]);
    clearV[b] = Math.max(clearV[b], plan.flows.clearanceVulnerable[p]);
  }
  for (let b = 0; b < nB; b++) {
    if (!plan.included[b]) continue;
    const i = pos.get(keyOf(b));
    if (i === undefined) continue;
    const s = out[i], people = Math.max(0, input.buildings[b].population);
    s.buildings++; s.population += people;
    if (plan.buildings.covered[b]) s.coveredPopulation += people;
    s.assignedPopulation += assigned[b]; s.unplacedPopulation += plan.buildings.unplaced[b];
    s.clearanceS = Math.max(s.clearanceS, clear[b]); s.clearanceVulnerableS = Math.max(s.clearanceVulnerableS, clearV[b]);
  }
  for (const s of out) s.coveredShare = s.population > 0 ? s.coveredPopulation / s.population : 0;
  return out;
}

const base = () => randomGridInput({ w: 9, h: 7, spacing: 60, buildings: 80, sites: 6, seed: 11, dropEdges: 0.15, capacity: [150, 600] });

/** The input with community ids mapped through `f` (buildings follow), `extra` communities appended. */
function withCommunityIds(input: EngineInput, f: (id: number) => number, extra: { id: number; name: string }[] = []): EngineInput {
  return {
    ...input,
    communities: [...input.communities.map((c) => ({ ...c, id: f(c.id) })), ...extra],
    buildings: input.buildings.map((b) => ({ ...b, communityId: b.communityId == null ? null : f(b.communityId) })),
  };
}

describe('coverage summaries', () => {
  it('per community and per zone match the one-object-per-area sums, whatever the community ids', () => {
    const input0 = base();
    // some buildings without a community, some with one that is not listed
    input0.buildings.forEach((b, i) => { if (i % 11 === 0) b.communityId = null; else if (i % 13 === 0) b.communityId = 99; });
    const variants: [string, EngineInput][] = [
      ['small ids', input0],
      ['sparse huge ids (lookup by map)', withCommunityIds(input0, (id) => (id === 99 ? 99 : 5_000_000_000 + id * 7_919))],
      ['negative and fractional ids', withCommunityIds(input0, (id) => (id === 99 ? 99 : id === 2 ? -3 : id + 0.5))],
      ['gaps', withCommunityIds(input0, (id) => (id === 99 ? 99 : id * 40))],
      ['a repeated id (the last one counts)', withCommunityIds(input0, (id) => id, [{ id: 2, name: 'B again' }])],
    ];
    for (const [what, input] of variants) {
      const plan = runPlan(input);
      const ref = referenceAreas(plan, input, (b) => input.buildings[b].communityId ?? NaN, input.communities, false);
      expect(plan.coverage.communities, what).toEqual(ref);
      // plain objects (made by a constructor): Object.prototype, the documented properties in order
      for (const c of plan.coverage.communities) {
        expect(Object.getPrototypeOf(c)).toBe(Object.prototype);
        expect(Object.keys(c)).toEqual(['id', 'name', 'buildings', 'population', 'coveredPopulation', 'coveredShare', 'assignedPopulation', 'unplacedPopulation', 'clearanceS', 'clearanceVulnerableS']);
      }
      expect(plan.coverage.communities.reduce((a, c) => a + c.buildings, 0), what).toBeGreaterThan(40);
    }
    // same sums under the three id schemes
    const strip = (p: PlanResult) => p.coverage.communities.map(({ id: _id, ...rest }) => rest);
    expect(strip(runPlan(variants[1][1]))).toEqual(strip(runPlan(input0)));
    const dup = runPlan(variants[4][1]).coverage.communities;
    expect(dup[1]).toMatchObject({ id: 2, name: 'B', buildings: 0, population: 0 });
    expect(dup[3]).toMatchObject({ ...runPlan(input0).coverage.communities[1], name: 'B again' });
  });

  it('zones by index, criticality in (coverage lost, load) order with ties in site order', () => {
    const input = base();
    const [x0, y0] = input.buildings[0].point!;
    const box = (d: number) => [x0 - d, y0 - d, x0 + d, y0 - d, x0 + d, y0 + d, x0 - d, y0 + d, x0 - d, y0 - d];
    input.zones = [
      { id: 41, name: 'small', rings: [box(0.001)], siteIds: [] },
      { id: 42, name: 'large', rings: [box(0.01)], siteIds: [] },
      { id: 43, name: 'empty', rings: [], siteIds: [] },
    ] as EngineInput['zones'];
    const plan = runPlan(input);
    const ref = referenceAreas(plan, input, (b) => plan.buildings.zone[b], input.zones, true);
    expect(plan.coverage.zones).toEqual(ref);
    expect(plan.coverage.zones.map((z) => [z.id, z.buildings > 0])).toEqual([[41, true], [42, true], [43, false]]);
    const critOf = (p: PlanResult) => p.sites.filter((s) => s.eligible).map((s) => ({ site: s.index, id: s.id, coverageLost: s.coverageLost, assigned: s.load }))
      .sort((x, y) => y.coverageLost - x.coverageLost || y.assigned - x.assigned);
    expect(plan.coverage.criticality).toEqual(critOf(plan));
    // one community's plan: most sites tie at (0, 0) behind the few it loads or sole-covers
    const many = randomGridInput({ w: 30, h: 20, spacing: 45, buildings: 400, sites: 40, seed: 8 });
    const one = runPlan(many, { communityIds: [1] });
    expect(one.coverage.criticality).toEqual(critOf(one));
    expect(one.coverage.criticality.filter((c) => c.assigned > 0).length).toBeGreaterThan(1);
    expect(one.coverage.criticality.filter((c) => c.assigned === 0 && c.coverageLost === 0).length).toBeGreaterThan(1);
    // …and it summarises its own communities only (the whole plan's summary of them, restricted to its buildings)
    expect(one.coverage.communities.map((c) => c.id)).toEqual([1]);
    expect(one.coverage.communities[0]).toMatchObject({ buildings: many.buildings.filter((b) => b.communityId === 1).length });
    expect(runPlan(many, { communityIds: [1, 3] }).coverage.communities.map((c) => c.id)).toEqual([1, 3]);
    // ties (nobody to evacuate: coverage lost 0, load 0 everywhere) keep site order
    const tied = runPlan({ ...input, buildings: input.buildings.slice(0, 1).map((b) => ({ ...b, population: 0 })) });
    expect(tied.coverage.criticality.map((c) => c.site)).toEqual(tied.sites.filter((s) => s.eligible).map((s) => s.index));
  });

  it('reuses its working arrays per input: a plan after different plans on the same input equals one on a fresh copy', () => {
    const input = base();
    const fresh = () => runPlan(structuredClone(input)).coverage;
    // plans with other results on the same input object first (closed sites: other criticality, uncovered, areas)
    runPlan(input, { closedSiteIds: [input.sites[0].id, input.sites[1].id] });
    runPlan(input, { hazard: 'flood' });
    expect(runPlan(input).coverage).toEqual(fresh());
    runPlan(input, { closedSiteIds: input.sites.map((s) => s.id) });
    expect(runPlan(input).coverage).toEqual(fresh());
  });
});
