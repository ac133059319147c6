/**
 * The whole plan: runPlan plus the signage and guides steps, wired through runPlan's hooks so their timings land
 * in `ms.signs` / `ms.guides`. Pure, like the rest of the engine.
 */
import { computeSigns, computeSignsFromPlan, type SignOptions, type SignResult, type SignRoute } from './signs.ts';
import { planRouteCoords, type PlanHooks, type PlanResult } from './plan.ts';
import { routeNodes } from './routes.ts';
import { computeGuidesFromColumns, type GuideOptions, type GuideResult, type GuideVolunteer } from './guides.ts';
import type { SignResult as Signs } from './signs.ts';

/**
 * One SignRoute per assigned route part (door snap → site entrance), in part order. Materialises every route (node
 * list, edge list, polyline): fine for a few routes or a test, too heavy at city scale — `planSigns` reads the route
 * table directly (`computeSignsFromPlan`) and gives the same signs as `computeSigns` on these routes.
 */
export function signRoutes(plan: PlanResult): SignRoute[] {
  const { graph: g } = plan.context;
  const rt = plan.routes;
  const B = plan.buildings;
  const out: SignRoute[] = [];
  for (let p = 0; p < rt.partBuilding.length; p++) {
    const b = rt.partBuilding[p];
    const en = plan.entrances[rt.partEntrance[p]];
    const via = rt.partVia[p];
    const e = B.snapEdge[b];
    const stepEdges: number[] = [];
    for (let i = rt.stepStart[p]; i < rt.stepStart[p + 1]; i++) stepEdges.push(rt.steps[i] >> 1);
    out.push({
      stepEdges: via >= 2 ? undefined : stepEdges,
      startLegM: via >= 2 ? undefined : (via === 0 ? B.snapFraction[b] : 1 - B.snapFraction[b]) * g.edgeLength[e],
      buildingIndex: b,
      siteIndex: rt.partSite[p],
      nodes: routeNodes(g, rt, B.snapEdge, p),
      startPoint: [B.snapLon[b], B.snapLat[b]],
      endPoint: en.point,
      lengthM: rt.partDistance[p],
      coords: planRouteCoords(plan, p),
      people: rt.partPeople[p],
    });
  }
  return out;
}

export function planSigns(plan: PlanResult, options: SignOptions = {}): SignResult {
  return computeSignsFromPlan(plan, options);
}

/** The same signs through the per-route objects of `signRoutes` (the reference path; tests compare the two). */
export function planSignsViaRoutes(plan: PlanResult, options: SignOptions = {}): SignResult {
  const { input, graph } = plan.context;
  return computeSigns(
    {
      graph,
      routes: signRoutes(plan),
      buildings: input.buildings.map((b, i) => ({
        id: b.id,
        name: b.name,
        levels: b.levels,
        door: [plan.buildings.doorLon[i], plan.buildings.doorLat[i]] as [number, number],
      })),
      sites: input.sites.map((s) => ({ id: s.id, name: s.name, point: s.point })),
    },
    options,
  );
}

/** Guides for the plan's buildings (people actually sent from each) and its busiest junctions (from the signs). */
export function planGuides(plan: PlanResult, volunteers: GuideVolunteer[] | null, options: GuideOptions = {}): GuideResult {
  const { input } = plan.context;
  const B = plan.buildings;
  const nb = input.buildings.length;
  const people = new Float64Array(nb), id = new Float64Array(nb), levels = new Float64Array(nb);
  for (let p = 0; p < plan.routes.partBuilding.length; p++) people[plan.routes.partBuilding[p]] += plan.routes.partPeople[p];
  for (let i = 0; i < nb; i++) { const b = input.buildings[i]; id[i] = b.id; levels[i] = b.levels; people[i] = Math.round(people[i]); }
  const signs = (plan.signs as Signs | null)?.signs ?? [];
  const jNode: number[] = [], jLon: number[] = [], jLat: number[] = [], jPeople: number[] = [];
  for (let i = 0; i < signs.length; i++) {
    const s = signs[i];
    if ((s.kind === 'junction' || s.kind === 'turn') && s.nodeIndex >= 0) { jNode.push(s.nodeIndex); jLon.push(s.lon); jLat.push(s.lat); jPeople.push(s.people); }
  }
  return computeGuidesFromColumns(
    {
      buildings: { count: nb, id, people, levels, stairwells: null, lon: B.doorLon, lat: B.doorLat },
      junctions: { count: jNode.length, nodeIndex: jNode, lon: jLon, lat: jLat, people: jPeople },
      volunteers,
    },
    options,
  );
}

export interface FullPlanOptions {
  signs?: SignOptions;
  guides?: GuideOptions;
  /** The volunteer roster (home building, duty limit); without it the plan reports guide needs only. */
  volunteers?: GuideVolunteer[] | null;
}

export function fullPlanHooks(opts: FullPlanOptions = {}): PlanHooks {
  return {
    signs: (plan) => planSigns(plan, opts.signs),
    guides: (plan) => planGuides(plan, opts.volunteers ?? null, opts.guides),
  };
}
