/**
 * The whole plan: runPlan plus the signage and guides steps, wired through runPlan's hooks so their timings land
 * in `ms.signs` / `ms.guides`. Pure, like the rest of the engine.
 */
import { computeSigns, computeSignsFromPlan, type SignOptions, type SignResult, type SignRoute } from './signs.ts';
import { planAllocator, planRouteCoords, type PlanHooks, type PlanResult } from './plan.ts';
import { routeNodes } from './routes.ts';
import { computeGuidesFromColumns, type GuideOptions, type GuideResult, type GuideVolunteer } from './guides.ts';
import type { SignResult as Signs } from './signs.ts';
import { scratchFor, type Scratch } from './alloc.ts';

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

/** planGuides' working columns, per input (reused by its next plan). */
const guideScratch = new WeakMap<object, Scratch>();

/**
 * Guides for the plan's buildings (people actually sent from each) and its busiest junctions (from the signs).
 * Only buildings that send people need guides, so only their ids and floors are read from the input (every id with a
 * roster: volunteers' homes may be any building); the rule skips the others, whatever their columns hold.
 */
export function planGuides(plan: PlanResult, volunteers: GuideVolunteer[] | null, options: GuideOptions = {}): GuideResult {
  const { input } = plan.context;
  const B = plan.buildings, rt = plan.routes;
  const nb = input.buildings.length;
  const sc = scratchFor(guideScratch, input);
  const people = sc.float64(nb), id = sc.float64(nb, false), levels = sc.float64(nb, false);
  for (let p = 0; p < rt.partBuilding.length; p++) people[rt.partBuilding[p]] += rt.partPeople[p];
  const allIds = volunteers != null && volunteers.length > 0;
  for (let i = 0; i < nb; i++) {
    const q = Math.round(people[i]);
    people[i] = q;
    if (q > 0 || allIds) { const b = input.buildings[i]; id[i] = b.id; levels[i] = b.levels; }
  }
  // junction and turn signs at graph nodes: their flows
  const none = { count: 0, nodeIndex: new Int32Array(0), lon: new Float64Array(0), lat: new Float64Array(0), people: new Float64Array(0) };
  const junctions = (plan.signs as Signs | null)?.nodeSigns ?? none;
  return computeGuidesFromColumns(
    {
      buildings: { count: nb, id, people, levels, stairwells: null, lon: B.doorLon, lat: B.doorLat },
      junctions,
      volunteers,
    },
    options,
    planAllocator(plan),
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
