import { describe, expect, it } from 'vitest';
import { buildingRows, planRouteCoords, prepareContext, recyclePlan, runPlan, type PlanResult } from '../../../server/engine/plan.ts';
import { fullPlanHooks } from '../../../server/engine/full.ts';
import type { SignResult } from '../../../server/engine/signs.ts';
import type { GuideResult } from '../../../server/engine/guides.ts';
import { K_SEARCH, nearestForSnap, nearestSearch } from '../../../server/engine/dijkstra.ts';
import { routeNodes } from '../../../server/engine/routes.ts';
import { gridFixture, metresLonLat, randomGridInput } from './fixtures.ts';
import { bruteDistances } from './brute.ts';

describe('runPlan on ASCII fixtures', () => {
  it('assigns, routes and times a simple street', () => {
    const { input } = gridFixture('S--+--B', { population: 30 });
    const plan = runPlan(input);
    const [row] = buildingRows(plan);
    expect(row.siteId).toBe(1);
    expect(row.assignedDistanceM).toBeCloseTo(60, 6);
    expect(plan.flows.timeNormal[0]).toBeCloseTo(60, 6); // 1.0 m/s
    expect(plan.flows.timeVulnerable[0]).toBeCloseTo(120, 6); // 0.5 m/s
    // queue: 30 people over a 2 m footway at 1.3 p/m/s
    expect(plan.flows.queue[0]).toBeCloseTo(30 / (2 * 1.3), 6);
    const line = planRouteCoords(plan, 0);
    expect(line.length).toBeGreaterThanOrEqual(4);
    // polyline starts at the building and ends at the site
    expect(line[0]).toBeCloseTo(input.buildings[0].point![0], 9);
    expect(line[line.length - 2]).toBeCloseTo(input.sites[0].point[0], 9);
    expect(Array.from(plan.flows.flowPeople)).toEqual([30, 30]); // two edges × 30 people
    expect(plan.flows.flowEdge[0]).toBeLessThan(plan.flows.flowEdge[1]);
    expect(plan.signs).toBeNull();
    expect(plan.guides).toBeNull();
    expect(Object.keys(plan.ms).sort()).toEqual(['assign', 'coverage', 'graph', 'guides', 'routes', 'signs', 'snap', 'total']);
  });

  it('respects reach: 600 m to an emergency site is not covered', () => {
    const { input } = gridFixture('S' + '-'.repeat(59) + 'B');
    const plan = runPlan(input);
    expect(plan.unplaced).toEqual([{ building: 0, id: 1, people: 10, reason: 'no_site_in_reach' }]);
    expect(plan.coverage.coveredShare).toBe(0);
    const fixedPlan = runPlan({ ...input, sites: input.sites.map((s) => ({ ...s, level: 'fixed' as const })) });
    expect(fixedPlan.unplaced).toEqual([]);
    expect(fixedPlan.coverage.coveredShare).toBe(1);
  });

  it('reports unreachable buildings and hazard-unsuitable sites', () => {
    const { input } = gridFixture(`
S--+

+--B`);
    let plan = runPlan(input);
    expect(plan.unplaced[0].reason).toBe('unreachable');
    const { input: i2 } = gridFixture('S--+--B');
    plan = runPlan(i2, { hazard: 'flood' });
    expect(plan.sites[0].eligible).toBe(false);
    expect(plan.sites[0].why).toBe('not_for_flood');
    expect(plan.unplaced[0].reason).toBe('unreachable');
  });

  it('capacity: the overflow goes to the next site, never over capacity', () => {
    const { input } = gridFixture('S--B--B----S', { population: 40, capacity: 50 });
    const plan = runPlan(input);
    const rows = buildingRows(plan);
    expect(rows.map((r) => r.siteId).sort()).toEqual([1, 2]);
    for (const s of plan.sites) expect(s.load).toBeLessThanOrEqual(s.capacity);
    expect(plan.totals.assignedPopulation).toBe(80);
  });

  it('splits a building that fits nowhere whole and flags it; all_full for the rest', () => {
    const { input } = gridFixture('S--B--S', { population: 100, capacity: 60 });
    const plan = runPlan(input);
    const [row] = buildingRows(plan);
    expect(row.split).toBe(true);
    expect(row.parts.map((p) => p.people).reduce((a, b) => a + b, 0)).toBe(100);
    input.buildings[0].population = 150;
    const p2 = runPlan(input);
    expect(p2.unplaced[0]).toMatchObject({ reason: 'all_full', people: 30 });
    expect(p2.coverage.capacity.unplacedAllFull).toBe(30);
    expect(p2.coverage.addCapacity.map((a) => a.kind)).toEqual(['expand', 'expand']);
  });

  it('zones: a building inside a zone only uses the zone\'s sites', () => {
    const { input } = gridFixture('S-B----------S');
    const ring: number[] = [];
    for (const [e, s] of [[-5, -5], [50, -5], [50, 5], [-5, 5], [-5, -5]]) ring.push(...metresLonLat(e, s));
    input.zones = [{ id: 7, name: '一片区', rings: [ring], siteIds: [2] }];
    const plan = runPlan(input);
    expect(buildingRows(plan)[0].siteId).toBe(2);
    expect(buildingRows(plan)[0].nearestSiteId).toBe(1);
    expect(plan.coverage.zones[0]).toMatchObject({ id: 7, population: 10, assignedPopulation: 10 });
  });

  it('zones: a zone with no sites listed yet restricts nothing but is still reported', () => {
    const { input } = gridFixture('S-B----------S');
    const ring: number[] = [];
    for (const [e, s] of [[-5, -5], [50, -5], [50, 5], [-5, 5], [-5, -5]]) ring.push(...metresLonLat(e, s));
    input.zones = [{ id: 8, name: '新画片区', rings: [ring], siteIds: [] }];
    const plan = runPlan(input);
    expect(buildingRows(plan)[0].siteId).toBe(1);
    expect(plan.coverage.zones[0]).toMatchObject({ id: 8, population: 10, assignedPopulation: 10 });
  });

  it('makes the unplaced and uncovered entries once, on first read, as plain objects that JSON keeps', () => {
    // one building out of reach (no_site_in_reach, uncovered), one unreachable, one placed
    const { input } = gridFixture(`
S--B` + '-'.repeat(60) + `B

+--B`);
    const plan = runPlan(input);
    expect(plan.unplacedCount).toBe(2);
    expect(plan.coverage.uncoveredCount).toBe(2);
    const un = plan.unplaced, unc = plan.coverage.uncovered;
    expect(plan.unplaced).toBe(un);
    expect(plan.coverage.uncovered).toBe(unc);
    expect(un).toEqual([
      { building: 1, id: 2, people: 10, reason: 'no_site_in_reach' },
      { building: 2, id: 3, people: 10, reason: 'unreachable' },
    ]);
    // (coverage calls a building unreachable only when it is not snapped; this one is, on a part without sites)
    expect(unc).toEqual([
      { building: 1, id: 2, people: 10, reason: 'no_site_in_reach' },
      { building: 2, id: 3, people: 10, reason: 'no_site_in_reach' },
    ]);
    for (const o of [...un, ...unc]) expect(Object.getPrototypeOf(o)).toBe(Object.prototype);
    expect(JSON.parse(JSON.stringify({ unplaced: plan.unplaced, ...plan.coverage })).uncovered).toEqual(unc);
    expect(JSON.parse(JSON.stringify(plan)).unplaced).toEqual(un);
    // read first after later plans on the same context ran with other populations (the plan is not recycled: what
    // the objects are made from is its own)
    const fresh = runPlan(input, {}, {}, plan.context);
    input.buildings[1].population = 99; input.buildings[2].population = 77;
    const next = runPlan(input, {}, {}, plan.context);
    recyclePlan(next);
    runPlan(input, {}, {}, plan.context);
    expect(fresh.unplaced).toEqual(un);
    expect(fresh.coverage.uncovered).toEqual(unc);
  });

  it('criticality and where to add capacity', () => {
    const { input } = gridFixture(`
S--B--+` + '-'.repeat(60) + `B--s`);
    input.sites[1].status = 'closed';
    input.sites[1].candidate = true;
    const plan = runPlan(input);
    expect(plan.sites[0].coverageLost).toBe(10);
    expect(plan.coverage.uncovered.map((u) => u.id)).toEqual([2]);
    expect(plan.coverage.addCapacity[0]).toMatchObject({ id: 2, kind: 'new_space', people: 10 });
  });
});

describe('runPlan on random graphs', () => {
  it.each([
    ['one level (from the candidate search)', false],
    ['two levels (a search of its own)', true],
  ])("nearest sites beyond the candidate search's reach are those of a search of all sites without a bound: %s", (_, fixed) => {
    // three sites on a 1.5 km grid: most buildings are beyond the 500 m reach, some on parts without a site
    const input = randomGridInput({ w: 20, h: 16, spacing: 80, buildings: 150, sites: 3, seed: 9, dropEdges: 0.42, lengthJitter: 0.5 });
    if (fixed) input.sites[1].level = 'fixed';
    const plan = runPlan(input);
    const g = plan.context.graph;
    const active = plan.entrances.map((_, i) => i).filter((i) => plan.sites[plan.entrances[i].siteIndex].eligible);
    const tree = nearestSearch(g, plan.entrances, active);
    const hit = [0, 0, 0];
    let beyond = 0, none = 0;
    for (let b = 0; b < input.buildings.length; b++) {
      nearestForSnap(g, tree, plan.buildings.snapEdge[b], plan.buildings.snapFraction[b], hit);
      expect([b, plan.buildings.nearestSite[b]]).toEqual([b, hit[0]]);
      expect(Object.is(plan.buildings.nearestDistance[b], hit[1]), `building ${b}`).toBe(true);
      if (hit[1] > 500 && hit[1] < Infinity) beyond++;
      if (hit[0] < 0) none++;
    }
    expect(beyond).toBeGreaterThan(30);
    expect(none).toBeGreaterThan(0);
  });

  it('assigned distances are true network distances (brute force) and routes add up', () => {
    const input = randomGridInput({ w: 10, h: 8, spacing: 60, buildings: 60, sites: 5, seed: 5, dropEdges: 0.2, lengthJitter: 0.5, capacity: [100, 300] });
    const plan = runPlan(input);
    const g = plan.context.graph;
    for (let p = 0; p < plan.routes.partBuilding.length; p++) {
      const b = plan.routes.partBuilding[p];
      const ents = plan.entrances.filter((e) => e.siteIndex === plan.routes.partSite[p]);
      const d = bruteDistances(g, { edge: plan.buildings.snapEdge[b], fraction: plan.buildings.snapFraction[b] }, ents.map((e) => ({ edge: e.edgeIndex, fraction: e.fraction })));
      expect(plan.routes.partDistance[p]).toBeCloseTo(Math.min(...d), 6);
      // the stored route's length equals the distance
      const en = plan.entrances[plan.routes.partEntrance[p]];
      const via = plan.routes.partVia[p];
      let len = 0;
      if (via >= 2) len = Math.abs(plan.buildings.snapFraction[b] - en.fraction) * g.edgeLength[en.edgeIndex];
      else {
        const e = plan.buildings.snapEdge[b];
        len += (via === 0 ? plan.buildings.snapFraction[b] : 1 - plan.buildings.snapFraction[b]) * g.edgeLength[e];
        for (let i = plan.routes.stepStart[p]; i < plan.routes.stepStart[p + 1]; i++) len += g.edgeLength[plan.routes.steps[i] >> 1];
        const nodes = routeNodes(g, plan.routes, plan.buildings.snapEdge, p);
        const last = nodes[nodes.length - 1];
        len += (last === g.edgeSource[en.edgeIndex] ? en.fraction : 1 - en.fraction) * g.edgeLength[en.edgeIndex];
      }
      expect(len).toBeCloseTo(plan.routes.partDistance[p], 6);
    }
    for (const s of plan.sites) expect(s.load).toBeLessThanOrEqual(s.capacity + 1e-9);
    // flows: per edge, the people of every route that walks it (whole or partly), listed by ascending edge
    const expected = new Map<number, number>();
    for (let p = 0; p < plan.routes.partBuilding.length; p++) {
      const edges = new Set([plan.buildings.snapEdge[plan.routes.partBuilding[p]], plan.entrances[plan.routes.partEntrance[p]].edgeIndex]);
      for (let i = plan.routes.stepStart[p]; i < plan.routes.stepStart[p + 1]; i++) edges.add(plan.routes.steps[i] >> 1);
      for (const e of edges) expected.set(e, (expected.get(e) ?? 0) + plan.routes.partPeople[p]);
    }
    const keys = [...expected.keys()].sort((a, b) => a - b);
    expect(Array.from(plan.flows.flowEdge)).toEqual(keys);
    plan.flows.flowPeople.forEach((x, k) => expect(x).toBeCloseTo(expected.get(keys[k])!, 9));
  });

  it('reports the lower bound gap within 5 %', () => {
    const input = randomGridInput({ w: 12, h: 10, spacing: 50, buildings: 150, sites: 8, seed: 9, dropEdges: 0.15, capacity: [150, 400] });
    const plan = runPlan(input, { lowerBoundMaxBuildings: 1000 });
    expect(plan.lowerBound).not.toBeNull();
    expect(plan.lowerBound!.gap).toBeLessThanOrEqual(0.05);
    expect(plan.totals.assignedPopulation).toBeCloseTo(plan.lowerBound!.placed, 6);
  });

  it('reuses a context (warm run) and gives the same answer', () => {
    const input = randomGridInput({ w: 12, h: 10, spacing: 50, buildings: 150, sites: 8, seed: 3 });
    const ctx = prepareContext(input);
    const a = runPlan(input, {}, {}, ctx);
    const b = runPlan(input, {}, {}, ctx);
    expect(Array.from(b.buildings.site)).toEqual(Array.from(a.buildings.site));
    expect(b.context.graph).toBe(a.context.graph);
  });

  it('memory a context reuses from plan to plan (searches, candidate scratch) gives what a fresh context gives', () => {
    // two levels, zones making four groups ('', one zone, the other, both), closures and a community in between
    const input = randomGridInput({ w: 12, h: 10, spacing: 50, buildings: 200, sites: 10, seed: 5, dropEdges: 0.1, capacity: [100, 600] });
    input.sites.forEach((s, i) => { if (i % 3 === 0) s.level = 'fixed'; });
    const box = (e0: number, s0: number, e1: number, s1: number) => {
      const ring: number[] = [];
      for (const [e, s] of [[e0, s0], [e1, s0], [e1, s1], [e0, s1], [e0, s0]]) ring.push(...metresLonLat(e, s));
      return ring;
    };
    input.zones = [
      { id: 1, name: 'west', rings: [box(-10, -10, 300, 460)], siteIds: [1, 2, 3, 4, 5] },
      { id: 2, name: 'south', rings: [box(-10, 200, 560, 460)], siteIds: [4, 5, 6, 7, 8, 9] },
    ];
    const key = (p: ReturnType<typeof runPlan>) => JSON.stringify([
      Array.from(p.buildings.site), Array.from(p.buildings.distance), Array.from(p.buildings.nearestSite), Array.from(p.buildings.covered),
      Array.from(p.routes.steps), Array.from(p.routes.partEntrance), p.unplaced, p.totals,
      Array.from(p.flows.flowEdge), Array.from(p.flows.flowPeople), Array.from(p.flows.clearance),
    ]);
    const runs: Parameters<typeof runPlan>[1][] = [
      {}, { closedEdgeIds: [5, 17, 40] }, {}, { communityIds: [2] }, { closedEdgeIds: [5, 17, 40] }, { candidatesPerLevel: 3 }, {},
    ];
    const ctx = prepareContext(input);
    for (const o of runs) expect(key(runPlan(input, o, {}, ctx))).toBe(key(runPlan(input, o)));
  });

  it('gives the same plan whether its searches go site by site (as on a city) or all sites at once', () => {
    // two levels, zones, closures, a community plan; the nearest site beyond 100 m found by kExtend
    const input = randomGridInput({ w: 14, h: 11, spacing: 50, buildings: 220, sites: 11, seed: 8, dropEdges: 0.1, lengthJitter: 0.3, capacity: [100, 600] });
    input.sites.forEach((s, i) => { if (i % 3 === 0) s.level = 'fixed'; });
    const [x0, y0] = metresLonLat(-10, -10), [x1, y1] = metresLonLat(320, 300);
    input.zones = [{ id: 1, name: '东片', rings: [[x0, y0, x1, y0, x1, y1, x0, y1, x0, y0]], siteIds: [input.sites[0].id, input.sites[2].id, input.sites[5].id] }];
    const key = (p: ReturnType<typeof runPlan>) => JSON.stringify([
      Array.from(p.buildings.site), Array.from(p.buildings.distance), Array.from(p.buildings.nearestSite), Array.from(p.buildings.nearestDistance),
      Array.from(p.buildings.covered), Array.from(p.routes.steps), Array.from(p.routes.partEntrance), p.unplaced, p.totals, p.coverage.coveredShare,
    ]);
    const runs: Parameters<typeof runPlan>[1][] = [{}, { closedEdgeIds: [input.edges[7].id, input.edges[30].id] }, { communityIds: [2] }, { searchMode: 'multi', communityIds: [1] }];
    const keep = { ...K_SEARCH };
    try {
      for (const o of runs) {
        const want = key(runPlan(input, o));
        Object.assign(K_SEARCH, { minBytes: 0, nearestLocalM: 100 });
        const got = key(runPlan(input, o));
        Object.assign(K_SEARCH, keep);
        expect(got).toBe(want);
      }
    } finally { Object.assign(K_SEARCH, keep); }
  });

  it('a context for a new data version keeps the previous graph, index and snaps while roads and buildings are the same', () => {
    const make = () => randomGridInput({ w: 10, h: 8, spacing: 50, buildings: 120, sites: 6, seed: 4, dropEdges: 0.1, capacity: [100, 500] });
    const input = make();
    const prev = prepareContext(input);
    runPlan(input, {}, {}, prev);
    expect(prev.baseSnaps).not.toBeNull();
    const key = (p: ReturnType<typeof runPlan>) => JSON.stringify([Array.from(p.buildings.site), Array.from(p.buildings.distance), Array.from(p.routes.steps), p.totals]);
    // a site's capacity and a building's people change (new objects, as the database loader makes them)
    const edited = make();
    edited.sites[2].capacity = 40;
    edited.buildings[7].population += 50;
    const ctx = prepareContext(edited, {}, prev);
    expect(ctx.graph).toBe(prev.graph);
    expect(ctx.index).toBe(prev.index);
    expect(ctx.baseSnaps).toBe(prev.baseSnaps);
    expect(key(runPlan(edited, {}, {}, ctx))).toBe(key(runPlan(edited)));
    // a building moves: the same graph, new snaps
    const moved = make();
    (moved.buildings[3].ring as number[])[0] += 1e-4;
    const ctx2 = prepareContext(moved, {}, ctx);
    expect(ctx2.graph).toBe(prev.graph);
    expect(ctx2.baseSnaps).toBeNull();
    expect(key(runPlan(moved, {}, {}, ctx2))).toBe(key(runPlan(moved)));
    // a path's length, its width class or a node changes: a new graph
    for (const change of [(x: typeof input) => { x.edges[5].lengthM += 1; }, (x: typeof input) => { x.edges[9].highway = 'steps'; }, (x: typeof input) => { (x.nodes.lat as Float64Array)[4] += 1e-6; }]) {
      const roads = make();
      change(roads);
      const c = prepareContext(roads, {}, ctx);
      expect(c.graph).not.toBe(prev.graph);
      expect(key(runPlan(roads, {}, {}, c))).toBe(key(runPlan(roads)));
    }
    // other widths: a new graph
    expect(prepareContext(edited, { widthByHighway: { footway: 9 } }, ctx).graph).not.toBe(prev.graph);
  });

  it('rejects bad options with a clear message', () => {
    const input = randomGridInput({ w: 3, h: 3, buildings: 1, sites: 1, seed: 1 });
    expect(() => runPlan(input, { hazard: 'tsunami' as never })).toThrow(/hazard/);
    expect(() => runPlan(input, { reachM: { emergency: -1 } })).toThrow();
  });
});

describe('point searches (one bounded search per building) give the multi-source searches\' plan', () => {
  // real-valued lengths (jitter) so that no two routes tie; fixed and emergency sites, a zone, closures
  const input = randomGridInput({ w: 24, h: 18, spacing: 40, buildings: 260, sites: 14, seed: 5, dropEdges: 0.08, lengthJitter: 0.3, capacity: [150, 900] });
  input.sites.forEach((s, i) => { if (i % 3 === 0) s.level = 'fixed'; });
  const [x0, y0] = metresLonLat(0, 0), [x1, y1] = metresLonLat(300, 250);
  input.zones = [{ id: 1, name: '北片', rings: [[x0, y0, x1, y0, x1, y1, x0, y1, x0, y0]], siteIds: [input.sites[1].id, input.sites[3].id, input.sites[6].id] }];
  const ctx = prepareContext(input);
  const cases: { name: string; options: Parameters<typeof runPlan>[1] }[] = [
    { name: 'one community', options: { communityIds: [2] } },
    { name: 'two communities, edges and a site closed', options: { communityIds: [1, 3], closedEdgeIds: [input.edges[40].id, input.edges[41].id, input.edges[300].id], closedSiteIds: [input.sites[2].id] } },
    { name: 'the whole district', options: {} },
  ];
  for (const c of cases) it(c.name, () => {
    const multi = runPlan(input, { ...c.options, searchMode: 'multi' }, {}, ctx);
    const point = runPlan(input, { ...c.options, searchMode: 'point' }, {}, ctx);
    expect(multi.search).toBe('multi');
    expect(point.search).toBe('point');
    const A = multi.buildings, B = point.buildings;
    let planned = 0;
    for (let b = 0; b < input.buildings.length; b++) {
      if (!multi.included[b]) continue;
      planned++;
      expect([b, B.nearestSite[b], B.site[b], B.unplaced[b], B.split[b], B.covered[b]]).toEqual([b, A.nearestSite[b], A.site[b], A.unplaced[b], A.split[b], A.covered[b]]);
      // the same floating-point sums (point searches add a path's lengths up from the entrance, as the labels do)
      expect(B.nearestDistance[b]).toBe(A.nearestDistance[b]);
      if (A.site[b] >= 0) expect(B.distance[b]).toBe(A.distance[b]);
    }
    expect(planned).toBeGreaterThan(50);
    // the same routes, walked the same way
    expect(Array.from(point.routes.partSite)).toEqual(Array.from(multi.routes.partSite));
    expect(Array.from(point.routes.partEntrance)).toEqual(Array.from(multi.routes.partEntrance));
    expect(Array.from(point.routes.steps)).toEqual(Array.from(multi.routes.steps));
    for (let p = 0; p < multi.routes.partBuilding.length; p++) {
      const a = planRouteCoords(multi, p), b = planRouteCoords(point, p);
      expect(b.length).toBe(a.length);
      b.forEach((v, i) => expect(v).toBeCloseTo(a[i], 9));
    }
    expect(point.totals.personMetres).toBe(multi.totals.personMetres);
    expect(point.coverage.coveredShare).toBe(multi.coverage.coveredShare);
  });

  it("'auto' searches point by point only for a community plan with few buildings next to the graph's nodes", () => {
    expect(runPlan(input, {}, {}, ctx).search).toBe('multi');
    // 432 nodes: 4 buildings or fewer per 100 nodes' worth
    const few = input.buildings.map((b, i) => ({ ...b, communityId: i < 4 ? 9 : b.communityId }));
    const small = { ...input, buildings: few, communities: [...input.communities, { id: 9, name: '小区' }] };
    expect(runPlan(small, { communityIds: [9] }).search).toBe('point');
    expect(runPlan(small, { communityIds: [1] }).search).toBe('multi');
  });
});

describe('recycled columns', () => {
  it('a plan that refills a recycled plan\'s columns, whatever they hold, equals a plan on a fresh context (signs and guides too)', () => {
    const input = randomGridInput({ w: 12, h: 9, spacing: 60, buildings: 160, sites: 6, seed: 17, dropEdges: 0.08, population: [20, 500], capacity: [300, 1200] });
    input.buildings.forEach((b, i) => { if (i % 9 === 0) b.levels = 11 + (i % 15); });
    const volunteers = [0, 40, 80, 120].map((b, i) => ({ id: i + 1, name: `v${i + 1}`, homeBuildingId: input.buildings[b].id, maxDuties: 2 }));
    const hooks = fullPlanHooks({ volunteers });
    const view = (p: PlanResult) => {
      const signs = p.signs as SignResult, guides = p.guides as GuideResult;
      return {
        routes: p.routes, flows: p.flows, totals: p.totals,
        signs: signs.signs, routeSignStart: signs.routeSignStart, routeSignIndex: signs.routeSignIndex, nodeSigns: signs.nodeSigns,
        needs: guides.needs, assignments: guides.assignments,
      };
    };
    const want = view(runPlan(structuredClone(input), {}, hooks));
    const first = runPlan(input, {}, hooks);
    const ctx = first.context, spares = ctx.reuse!.spares;
    recyclePlan(first);
    // poison every spare: a column handed out again must be written in full before anything reads it
    const free = (spares as unknown as { free: Map<string, (Float64Array | Int32Array | Uint8Array)[]> }).free;
    let poisoned = 0;
    for (const list of free.values()) for (const a of list) { new Uint8Array(a.buffer, a.byteOffset, a.byteLength).fill(0x7b); poisoned++; }
    expect(poisoned).toBeGreaterThan(20);
    const reusedBefore = spares.reused;
    const again = runPlan(input, {}, hooks, ctx);
    // routes, signs and guides took recycled columns (bucketed: the same shapes come back)
    expect(spares.reused - reusedBefore).toBeGreaterThan(20);
    expect(view(again)).toEqual(want);
    // and once more, recycling the plan just made
    recyclePlan(again);
    expect(view(runPlan(input, {}, hooks, ctx))).toEqual(want);
  });
});
