/**
 * Plan runs: read the engine's input from the database, run the pure engine, and save the plan (inputs, options,
 * results) as a new version in ONE transaction — a failed run leaves every earlier plan intact.
 *
 * The engine input is cached per data version: the cache is derived data checked against the database's
 * data_version on every use, so two API instances can never disagree (issue 6, scale-out).
 */
import type { Db, Queryable } from '../db/index.ts';
import type { EngineInput } from '../engine/types.ts';
import { edgeAt, edgeCount } from '../engine/edges.ts';
import { prepareContext, runPlan, buildingRows, planRouteCoords, type PlanContext, type PlanOptionsInput, type PlanResult } from '../engine/plan.ts';
import { fullPlanHooks } from '../engine/full.ts';
import type { GuideResult } from '../engine/guides.ts';
import { loadEngineInput } from './load.ts';
import { signsCsv } from './export.ts';
import { bumpDataVersion, getDataVersion } from '../api/data-version.ts';
import { volunteersForEngine } from '../ops/volunteers.ts';

interface Cached {
  version: number;
  input: EngineInput;
  context: PlanContext;
}
const caches = new WeakMap<Db, Promise<Cached>>();

/** The engine input and prepared graph for the database's current data version (reloaded when it changes). */
export async function engineState(db: Db): Promise<Cached> {
  const { version } = await getDataVersion(db);
  const hit = caches.get(db);
  const prev = hit ? await hit.catch(() => null) : null;
  if (prev && prev.version === version) return prev;
  const p = (async () => {
    const input = await loadEngineInput(db);
    // the previous version's graph, index (and building snaps) when the edit left the network (and buildings) alone
    return { version, input, context: prepareContext(input, {}, prev?.context) };
  })();
  caches.set(db, p);
  return p;
}

export interface PlanRequest {
  hazard?: PlanOptionsInput['hazard'];
  name?: string | null;
  baselineId?: number | null;
  options?: Omit<PlanOptionsInput, 'hazard'>;
  createdBy?: string | null;
  /** Runs inside the plan's transaction after it is written (e.g. the audit row), so both commit or neither. */
  onSaved?: (tx: Queryable, id: number) => Promise<void>;
}

/** Run the engine on the current data (no database writes). */
export async function computePlan(db: Db, req: PlanRequest): Promise<{ plan: PlanResult; version: number }> {
  const state = await engineState(db);
  // the roster is read fresh: volunteer edits are operations records and do not change the map data version
  const volunteers = await volunteersForEngine(db);
  const plan = runPlan(state.input, { ...(req.options ?? {}), hazard: req.hazard ?? 'earthquake' }, fullPlanHooks({ volunteers }), state.context);
  return { plan, version: state.version };
}

const wkt = (flat: ArrayLike<number>): string | null => {
  if (flat.length < 2) return null;
  const pts: string[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) pts.push(`${flat[i].toFixed(7)} ${flat[i + 1].toFixed(7)}`);
  if (pts.length === 1) pts.push(pts[0]);
  return `LINESTRING(${pts.join(',')})`;
};

/** JSON that turns typed arrays into plain arrays. */
const toJson = (v: unknown) =>
  JSON.stringify(v, (_k, x) => (ArrayBuffer.isView(x) && !(x instanceof DataView) ? Array.from(x as any) : x));

/** A plain, serialisable summary of a plan (the `--json` line of `npm run plan` and the API's plan summary). */
export function planSummary(plan: PlanResult) {
  const signs = plan.signs as { signs: unknown[]; counts: Record<string, number> } | null;
  const guides = plan.guides as { totalNeeded: number; totalAssigned: number; shortfall: number } | null;
  return {
    hazard: plan.hazard,
    buildings: plan.totals.buildings,
    population: plan.totals.population,
    sites: plan.totals.sites,
    assignedPopulation: plan.totals.assignedPopulation,
    unplacedPopulation: plan.totals.unplacedPopulation,
    coveredPopulationShare: plan.totals.coveredPopulationShare,
    maxSiteUtilisation: plan.totals.maxSiteUtilisation,
    personMetres: plan.totals.personMetres,
    splitBuildings: plan.totals.splitBuildings,
    // signs to install: stairwell signs count once per floor landing (one map point per stairwell)
    signs: signs ? Object.values(signs.counts).reduce((a, b) => a + b, 0) : 0,
    signsByKind: signs?.counts ?? {},
    guidesNeeded: guides?.totalNeeded ?? 0,
    guidesAssigned: guides?.totalAssigned ?? 0,
    guidesShortfall: guides?.shortfall ?? 0,
    lowerBound: plan.lowerBound,
    ms: plan.ms,
  };
}

/** Runs the engine and saves the plan as a new version. Returns the saved plan's id and summary. */
export async function runAndSavePlan(db: Db, req: PlanRequest) {
  const { plan, version } = await computePlan(db, req);
  const { id, dataVersion: after } = await savePlan(db, plan, version, req);
  // A plan changes the result layers, not the engine's input: keep the cached input when ours was the only write.
  const cached = caches.get(db);
  if (after === version + 1 && cached) {
    const c = await cached.catch(() => null);
    if (c && c.version === version) caches.set(db, Promise.resolve({ ...c, version: after }));
  }
  return { id, summary: planSummary(plan), plan };
}

export async function savePlan(db: Db, plan: PlanResult, version: number, req: PlanRequest): Promise<{ id: number; dataVersion: number }> {
  const { input } = plan.context;
  const speed = plan.options.walkSpeedMps;
  // assignments: one row per (building, site) part, plus one row for the unplaced remainder
  const a = {
    building: [] as number[], site: [] as (number | null)[], nearest: [] as (number | null)[], nearestM: [] as (number | null)[],
    assignedM: [] as (number | null)[], population: [] as number[], assigned: [] as number[], walk: [] as (number | null)[],
    walkV: [] as (number | null)[], split: [] as number[], reason: [] as (string | null)[], route: [] as (string | null)[],
  };
  const push = (row: ReturnType<typeof buildingRows>[number], siteId: number | null, people: number, dist: number | null, route: string | null) => {
    a.building.push(row.buildingId); a.site.push(siteId); a.nearest.push(row.nearestSiteId); a.nearestM.push(row.nearestDistanceM);
    a.assignedM.push(dist); a.population.push(row.population); a.assigned.push(Math.round(people));
    a.walk.push(dist == null ? null : dist / speed.normal); a.walkV.push(dist == null ? null : dist / speed.vulnerable);
    a.split.push(row.split ? 1 : 0); a.reason.push(siteId == null ? row.reason : null); a.route.push(route);
  };
  const rows = buildingRows(plan);
  const bIndex = new Map(input.buildings.map((b, i) => [b.id, i]));
  for (const row of rows) {
    const b = bIndex.get(row.buildingId)!;
    for (let p = plan.buildings.partStart[b]; p < plan.buildings.partStart[b + 1]; p++) {
      push(row, input.sites[plan.routes.partSite[p]].id, plan.routes.partPeople[p], plan.routes.partDistance[p], wkt(planRouteCoords(plan, p)));
    }
    if (row.unplaced > 0 || row.parts.length === 0) push(row, null, row.unplaced, null, null);
  }

  const features: { layer: string; ref: string; geom: string; props: string }[] = [];
  const { flowEdge, flowPeople } = plan.flows;
  for (let k = 0; k < flowEdge.length; k++) {
    if (!(flowPeople[k] > 0)) continue;
    const edge = edgeAt(input.edges, flowEdge[k]);
    const geom = wkt(edge.coords);
    if (geom) features.push({ layer: 'flow', ref: String(edge.id), geom, props: JSON.stringify({ edge_id: edge.id, people: Math.round(flowPeople[k]) }) });
  }
  for (const en of plan.entrances) {
    const site = input.sites[en.siteIndex];
    features.push({ layer: 'entrance', ref: String(site.id), geom: `POINT(${en.point[0]} ${en.point[1]})`, props: JSON.stringify({ site_id: site.id, how: en.how }) });
  }
  const signs = (plan.signs as { signs: any[] } | null)?.signs ?? [];
  for (const s of signs) {
    features.push({
      layer: 'sign', ref: s.id, geom: `POINT(${s.lon} ${s.lat})`,
      props: toJson({
        id: s.id, kind: s.kind, facing: s.facing, building_id: s.buildingId, floor: s.floor, people: s.people, note: s.note,
        arrows: s.arrows.map((x: any) => ({ bearing: x.bearing, site_id: x.siteId, site: x.siteName, distance_m: Math.round(x.distanceM) })),
      }),
    });
  }
  const guides = plan.guides as GuideResult | null;
  if (guides) {
    const names = new Map<number, string[]>();
    for (const a of guides.assignments) (names.get(a.needIndex) ?? names.set(a.needIndex, []).get(a.needIndex)!).push(a.volunteerName);
    guides.needs.forEach((n, i) => {
      if (!(n.guides > 0)) return;
      features.push({
        layer: 'guide', ref: n.id, geom: `POINT(${n.lon} ${n.lat})`,
        props: toJson({ kind: n.kind, building_id: n.buildingId, people: n.people, needed: n.guides, assigned: n.assigned, rule: n.rule, volunteers: names.get(i) ?? [] }),
      });
    });
  }

  return db.transaction(async (tx) => {
    const [{ id }] = await tx.query<{ id: number }>(
      `INSERT INTO plans (hazard, name, baseline_id, options, closures, inputs, summary, coverage, timings, data_version, created_by, sign_schedule)
       VALUES ($1, $2, $3, $4::text::jsonb, $5::text::jsonb, $6::text::jsonb, $7::text::jsonb, $8::text::jsonb, $9::text::jsonb, $10, $11, $12)
       RETURNING id`,
      [
        plan.hazard, req.name ?? null, req.baselineId ?? null, toJson(plan.options),
        toJson({ closedEdgeIds: plan.options.closedEdgeIds, closedSiteIds: plan.options.closedSiteIds }),
        toJson({ buildings: input.buildings.length, sites: input.sites.length, edges: edgeCount(input.edges), nodes: input.nodes.ids.length, zones: input.zones.length }),
        toJson(planSummary(plan)), toJson({ sites: plan.sites, ...((plan.coverage as object) ?? {}) }), toJson(plan.ms), version, req.createdBy ?? null,
        signsCsv(plan),
      ],
    );
    const CHUNK = 5000;
    for (let i = 0; i < a.building.length; i += CHUNK) {
      const s = (x: unknown[]) => x.slice(i, i + CHUNK);
      await tx.query(
        `INSERT INTO plan_assignments (plan_id, building_id, site_id, nearest_site_id, nearest_distance_m, assigned_distance_m,
                                       population, assigned_population, walk_s, walk_vulnerable_s, split, reason, route)
         SELECT $1, b, s, n, nm, am, p, ap, w, wv, sp = 1, r, ST_GeomFromText(g, 4326)
           FROM unnest($2::int[], $3::int[], $4::int[], $5::float8[], $6::float8[], $7::int[], $8::int[], $9::float8[],
                       $10::float8[], $11::int[], $12::text[], $13::text[]) AS t(b, s, n, nm, am, p, ap, w, wv, sp, r, g)`,
        [id, s(a.building), s(a.site), s(a.nearest), s(a.nearestM), s(a.assignedM), s(a.population), s(a.assigned), s(a.walk),
          s(a.walkV), s(a.split), s(a.reason), s(a.route)],
      );
    }
    for (let i = 0; i < features.length; i += CHUNK) {
      const part = features.slice(i, i + CHUNK);
      await tx.query(
        `INSERT INTO plan_features (plan_id, layer, ref_id, geom, props)
         SELECT $1, l, r, ST_GeomFromText(g, 4326), p::jsonb FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS t(l, r, g, p)`,
        [id, part.map((f) => f.layer), part.map((f) => f.ref), part.map((f) => f.geom), part.map((f) => f.props)],
      );
    }
    await req.onSaved?.(tx, id);
    // result layers are served as tiles/OGC collections: their caches follow the data version
    return { id, dataVersion: await bumpDataVersion(tx) };
  });
}

/** The newest saved plan (optionally of one hazard), or null. */
export async function latestPlanId(db: Queryable, hazard?: string): Promise<number | null> {
  const rows = await db.query<{ id: number }>(
    `SELECT id FROM plans WHERE ($1::text IS NULL OR hazard = $1) AND baseline_id IS NULL ORDER BY id DESC LIMIT 1`,
    [hazard ?? null],
  );
  return rows[0]?.id ?? null;
}
