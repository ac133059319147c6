import { describe, expect, it } from 'vitest';
import { recyclePlan, runPlan, type PlanResult } from '../../../server/engine/plan.ts';
import { edgesHitBy, whatIf } from '../../../server/engine/whatif.ts';
import { gridFixture, metresLonLat, randomGridInput } from './fixtures.ts';

describe('what-if', () => {
  const fx = () => gridFixture(`
S--+--B
|     |
+-----+------S`);

  it('closing a road by id reroutes and reports the added time', () => {
    const { input } = fx();
    const base = runPlan(input);
    expect(base.buildings.distance[0]).toBeCloseTo(60, 6);
    const { plan, diff } = whatIf(base, { closeEdgeIds: [3] }); // (0,3)-(0,6)
    // now the east site is nearer: down 20 m, east 70 m (the west one would be 20 + 60 + 20)
    expect(plan.buildings.distance[0]).toBeCloseTo(20 + 70, 6);
    expect(diff.changed).toHaveLength(1);
    expect(diff.changed[0]).toMatchObject({ fromSite: 1, toSite: 2 });
    expect(diff.changed[0].addedTimeS).toBeCloseTo(30, 6);
    expect(diff.summary.changedBuildings).toBe(1);
    expect(diff.summary.maxAddedTimeS).toBeCloseTo(30, 6);
    // with the east site closed too, the detour to the west site
    const both = whatIf(base, { closeEdgeIds: [3], closeSiteIds: [2] });
    expect(both.plan.buildings.distance[0]).toBeCloseTo(100, 6);
    expect(both.diff.changed[0].addedTimeS).toBeCloseTo(40, 6);
    // the baseline is untouched
    expect(base.context.graph.closed.every((x) => x === 0)).toBe(true);
  });

  it('a building re-snapped in a what-if gets a new door; the baseline keeps its own', () => {
    const { input } = gridFixture(`
S-----+
|     |
+-----+`);
    // a footprint nearer the north street: its door faces north, until that street closes
    const ring = [[25, 3], [35, 3], [35, 9], [25, 9], [25, 3]].flatMap(([e, s]) => metresLonLat(e, s));
    input.buildings = [{ id: 1, osmId: null, name: '1号楼', population: 10, levels: 1, communityId: null, ring }];
    const base = runPlan(input);
    const door = [base.buildings.doorLon[0], base.buildings.doorLat[0]];
    expect(door[1]).toBeCloseTo(metresLonLat(30, 3)[1], 9);
    const projected = base.context.baseSnaps!.doorY.slice();
    const { plan } = whatIf(base, { closeLine: [...metresLonLat(30, -5), ...metresLonLat(30, 2)] });
    expect(plan.buildings.doorLat[0]).toBeCloseTo(metresLonLat(30, 9)[1], 9);
    expect([base.buildings.doorLon[0], base.buildings.doorLat[0]]).toEqual(door);
    expect(base.context.baseSnaps!.doorY).toEqual(projected);
  });

  it('a drawn line closes the edges it crosses', () => {
    const { input } = fx();
    const base = runPlan(input);
    const line = [...metresLonLat(45, -10), ...metresLonLat(45, 10)];
    expect(edgesHitBy(base.context.graph, base.context.index, line, false)).toEqual([3]);
    const area = [...metresLonLat(-5, 15), ...metresLonLat(25, 15), ...metresLonLat(25, 25), ...metresLonLat(-5, 25), ...metresLonLat(-5, 15)];
    expect(edgesHitBy(base.context.graph, base.context.index, area, true).sort()).toEqual([2, 5]);
    const { plan } = whatIf(base, { closeLine: line });
    expect(plan.buildings.distance[0]).toBeCloseTo(90, 6);
  });

  it('closing a site moves people and can leave them unplaced', () => {
    const { input } = fx();
    const base = runPlan(input);
    const { diff, plan } = whatIf(base, { closeSiteIds: [1] });
    expect(plan.buildings.site[0]).toBe(1);
    expect(diff.summary.changedBuildings).toBe(1);
    expect(diff.changed[0]).toMatchObject({ fromSite: 1, toSite: 2 });
    const both = whatIf(base, { closeSiteIds: [1, 2] });
    expect(both.diff.summary.newlyUnplacedPeople).toBe(10);
    expect(both.diff.changed[0].reason).toBe('unreachable');
  });

  it('closing roads near sites: the what-if (site entrances updated from the baseline\'s) equals planning from scratch', () => {
    const input = randomGridInput({ w: 30, h: 20, spacing: 45, buildings: 400, sites: 12, seed: 5 });
    const base = runPlan(input, { maxSnapM: 40 });
    // the edges carrying two sites' entrances, and a few others
    const ids = new Set<number>();
    for (const en of base.entrances) if (en.siteIndex < 2) ids.add(input.edges[en.edgeIndex].id);
    for (let e = 0; e < input.edges.length; e += 97) ids.add(input.edges[e].id);
    const closeEdgeIds = [...ids];
    for (const communityIds of [undefined, [1]]) {
      const { plan } = whatIf(base, { closeEdgeIds, communityIds });
      const fresh = runPlan(input, { ...plan.options });
      expect(JSON.stringify(plan.entrances)).toBe(JSON.stringify(fresh.entrances));
      expect(JSON.stringify(plan.entrances)).not.toBe(JSON.stringify(base.entrances));
      // sites far from the closed edges keep the baseline's entrance objects
      const kept = new Set(base.entrances);
      expect(plan.entrances.some((e) => kept.has(e))).toBe(true);
      // (buildings outside a community plan keep the baseline's snaps: compare the planned ones)
      const planned = (p: PlanResult, k: 'snapEdge' | 'site' | 'distance' | 'unplaced') => Array.from(p.buildings[k]).filter((_, b) => p.included[b]);
      for (const k of ['snapEdge', 'site', 'distance', 'unplaced'] as const) expect(planned(plan, k)).toEqual(planned(fresh, k));
      expect(Array.from(plan.routes.steps)).toEqual(Array.from(fresh.routes.steps));
      // a what-if on this what-if (closures relative to the open graph, without building the graph again)
      const next = whatIf(plan, { closeEdgeIds: [input.edges[5].id], communityIds });
      const fresh2 = runPlan(input, { ...next.plan.options });
      expect(next.plan.context.graph.edgeLength).toBe(base.context.graph.edgeLength);
      expect(next.plan.options.closedEdgeIds).toEqual([...closeEdgeIds, input.edges[5].id]);
      expect(JSON.stringify(next.plan.entrances)).toBe(JSON.stringify(fresh2.entrances));
      for (const k of ['snapEdge', 'site', 'distance', 'unplaced'] as const) expect(planned(next.plan, k)).toEqual(planned(fresh2, k));
      expect(Array.from(next.plan.routes.steps)).toEqual(Array.from(fresh2.routes.steps));
      expect(plan.context.graph.closed.some((x) => x === 1)).toBe(true); // the first what-if's graph is untouched
    }
  });

  it('a stream of what-ifs, each recycling the one before, gives what fresh what-ifs give; a recycled plan cannot be read', () => {
    const input = randomGridInput({ w: 20, h: 15, spacing: 45, buildings: 300, sites: 8, seed: 13, capacity: [100, 500] });
    const base = runPlan(input);
    const key = (p: PlanResult) => JSON.stringify([
      Object.entries(p.buildings).map(([k, a]) => [k, Array.from(a as ArrayLike<number>)]), Array.from(p.included),
      Array.from(p.context.graph.closed), Array.from(p.routes.steps), Array.from(p.flows.flowEdge), Array.from(p.flows.flowPeople),
      p.sites, p.unplaced, p.coverage, p.totals,
    ]);
    const baseKey = key(base);
    const busiest = input.edges[base.flows.flowEdge[base.flows.flowPeople.indexOf(Math.max(...base.flows.flowPeople))]].id;
    const snapped = Array.from(base.buildings.snapEdge.filter((e) => e >= 0).slice(0, 40), (e) => input.edges[e].id);
    const changes = [
      { closeEdgeIds: snapped, communityIds: [1] }, { communityIds: [2] }, { closeEdgeIds: [busiest] },
      { closeEdgeIds: snapped, communityIds: [3] }, { closeSiteIds: [input.sites[0].id], communityIds: [1] }, { closeEdgeIds: snapped, communityIds: [1] },
    ];
    const spares = base.context.reuse!.spares;
    const reusedBefore = spares.reused;
    let prev: PlanResult | null = null;
    for (const change of changes) {
      const want = key(whatIf(base, change).plan);
      if (prev) recyclePlan(prev);
      prev = whatIf(base, change).plan;
      expect(key(prev)).toBe(want);
    }
    expect(spares.reused).toBeGreaterThan(reusedBefore);
    expect(key(base)).toBe(baseKey);
    recyclePlan(prev!);
    expect(() => prev!.buildings.site).toThrow(/recyclePlan/);
    expect(() => whatIf(base, changes[0]).plan.buildings.site[0]).not.toThrow();
  });

  it('a community re-plan keeps other communities\' loads on the sites', () => {
    const input = randomGridInput({ w: 15, h: 12, spacing: 50, buildings: 300, sites: 6, seed: 21, capacity: [400, 900] });
    const base = runPlan(input);
    const { plan, diff } = whatIf(base, { communityIds: [2], closeSiteIds: [input.sites[0].id] });
    expect(plan.totals.buildings).toBe(input.buildings.filter((b) => b.communityId === 2).length);
    // loads of this plan + the other communities' baseline loads never exceed capacity
    for (const s of plan.sites) {
      const other = Number(plan.options.siteBaseLoad?.[String(s.id)] ?? 0);
      expect(s.load + other).toBeLessThanOrEqual(s.capacity + 1e-6);
    }
    for (const c of diff.changed) expect(input.buildings[c.building].communityId).toBe(2);
    // the other communities' loads: the baseline's parts outside the re-planned communities, summed per site id in
    // part order (the what-if re-sums only the sites those communities used), for several what-ifs on one baseline
    for (const communityIds of [[2], [1, 3], [2], [99]]) {
      const keep = new Set(communityIds), want: Record<string, number> = {};
      for (let p = 0; p < base.routes.partBuilding.length; p++) {
        const cid = input.buildings[base.routes.partBuilding[p]].communityId;
        if (cid != null && keep.has(cid)) continue;
        const id = String(input.sites[base.routes.partSite[p]].id);
        want[id] = (want[id] ?? 0) + base.routes.partPeople[p];
      }
      const got = whatIf(base, { communityIds }).plan.options.siteBaseLoad!;
      expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
      for (const id of Object.keys(want)) expect(got[id]).toBe(want[id]);
    }
  });

  it('compares covered shares over the same buildings: before = the baseline\'s share of the re-planned community', () => {
    const input = randomGridInput({ w: 20, h: 14, spacing: 50, buildings: 300, sites: 5, seed: 3 });
    const base = runPlan(input, { reachM: { emergency: 400, fixed: 400 } });
    // communities partly out of reach in the baseline, and the city-wide share differs from theirs
    const shares = base.coverage.communities.filter((c) => c.buildings > 0);
    const c = shares.find((x) => x.coveredShare > 0 && x.coveredShare < 1 && x.coveredShare !== base.coverage.coveredShare);
    expect(c).toBeDefined();
    const { diff } = whatIf(base, { communityIds: [c!.id] });
    expect(diff.summary.coveredShareBefore).toBe(c!.coveredShare);
    expect(diff.summary.coveredShareAfter).toBe(c!.coveredShare); // nothing changed
    // re-planning everything: the baseline's own share
    expect(whatIf(base, { closeEdgeIds: [input.edges[0].id] }).diff.summary.coveredShareBefore).toBe(base.coverage.coveredShare);
  });
});
