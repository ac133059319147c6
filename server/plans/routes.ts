/**
 * Plan endpoints (issue 3 "Where it shows"):
 *   POST /api/plans                      run and save a plan (planner/admin), optionally a what-if with closures;
 *                                        options.communityIds + baselineId re-plan those communities only, the others'
 *                                        people staying at the baseline's sites
 *   GET  /api/plans                      saved plans, newest first
 *   GET  /api/plans/:id                  one plan: options, summary, coverage
 *   GET  /api/plans/:id/diff/:otherId    who changes site, time added, newly unplaced
 *   GET  /api/plans/:id/signs.csv        the sign schedule for installation crews
 *   GET  /api/buildings/:id/plan         a building's site, route, minutes, directions, signs, guides (public)
 *   GET  /api/nearest?lon=&lat=          nearest open sites by walking distance from any point (public)
 *   GET  /api/coverage                   coverage of the current plan (public figures)
 *   GET  /api/search?q=                  buildings, communities and sites by name (public)
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import type { Db } from '../db/index.ts';
import { ApiError, errorJson } from '../api/errors.ts';
import { requireRole, sessionMiddleware, audit, actorOf } from '../auth/index.ts';
import { HAZARDS, type Hazard } from '../engine/types.ts';
import { PlanOptionsSchema, recyclePlan } from '../engine/plan.ts';
import { directions } from '../engine/directions.ts';
import { nearestFrom, residentIndex, type ResidentIndex } from '../engine/resident.ts';
import { engineState, latestPlanId, runAndSavePlan } from './service.ts';

const hazardSchema = z.enum(HAZARDS as unknown as [Hazard, ...Hazard[]]);
const idParam = (name: string, v: string | undefined) => {
  const n = Number(v);
  if (!/^\d{1,9}$/.test(v ?? '') || !Number.isSafeInteger(n)) {
    throw new ApiError(400, 'invalid_parameter', `Invalid path parameter '${name}': expected a positive integer`);
  }
  return n;
};

function parse<T extends z.ZodType>(schema: T, value: unknown, where: 'query' | 'body'): z.output<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const param = issue.path.length ? issue.path.join('.') : '(request)';
  throw new ApiError(400, 'invalid_parameter', `Invalid ${where} parameter '${param}': ${issue.message}`, {
    issues: r.error.issues.map((i) => ({ in: where, parameter: i.path.join('.'), message: i.message })),
  });
}

const lonLat = z.tuple([z.number().min(-180).max(180), z.number().min(-90).max(90)]);
const closuresSchema = z
  .object({
    edgeIds: z.array(z.number().int()).max(100_000).default([]),
    siteIds: z.array(z.number().int()).max(100_000).default([]),
    /** drawn lines (each ≥ 2 points): every path they cross is closed */
    lines: z.array(z.array(lonLat).min(2).max(10_000)).max(100).default([]),
    /** drawn areas (outer rings, ≥ 4 points, closed): every path inside or crossing is closed */
    areas: z.array(z.array(lonLat).min(4).max(10_000)).max(100).default([]),
  })
  .strict();

const planBody = z
  .object({
    hazard: hazardSchema.default('earthquake'),
    name: z.string().max(200).optional(),
    baselineId: z.number().int().positive().optional(),
    options: PlanOptionsSchema.omit({ hazard: true, closedEdgeIds: true, closedSiteIds: true }).partial().strict().default({}),
    closures: closuresSchema.default({ edgeIds: [], siteIds: [], lines: [], areas: [] }),
  })
  .strict();

const nearestQuery = z.object({
  lon: z.coerce.number().min(-180).max(180),
  lat: z.coerce.number().min(-90).max(90),
  k: z.coerce.number().int().min(1).max(10).default(3),
  hazard: hazardSchema.default('earthquake'),
});

/** People the plan sends to each site from buildings outside these communities (by site id, as siteBaseLoad takes them). */
async function otherCommunitiesLoad(db: Db, planId: number, communityIds: number[]): Promise<Record<string, number>> {
  const rows = await db.query<{ site_id: number; people: number }>(
    `SELECT a.site_id, sum(a.assigned_population)::float8 AS people
       FROM plan_assignments a LEFT JOIN buildings b ON b.id = a.building_id
      WHERE a.plan_id = $1 AND a.site_id IS NOT NULL AND (b.community_id IS NULL OR NOT b.community_id = ANY($2::int[]))
      GROUP BY a.site_id`,
    [planId, communityIds],
  );
  return Object.fromEntries(rows.map((r) => [String(r.site_id), Number(r.people)]));
}

const residentCache = new WeakMap<object, Map<Hazard, ResidentIndex>>();

const minutes = (m: number, speed: number) => Math.round((m / speed / 60) * 10) / 10;

export function planRoutes(db: Db): Hono {
  const app = new Hono();
  app.use('*', sessionMiddleware(db));

  app.post(
    '/plans',
    requireRole('planner'),
    bodyLimit({ maxSize: 2 * 1024 * 1024, onError: (c) => errorJson(c, 413, { code: 'too_large', message: 'body over 2 MiB' }) }),
    async (c) => {
      let raw: unknown;
      try {
        raw = await c.req.json();
      } catch {
        throw new ApiError(400, 'invalid_body', 'the request body is not valid JSON');
      }
      const body = parse(planBody, raw, 'body');
      const cl = body.closures;
      const closedEdgeIds = new Set(cl.edgeIds);
      for (const g of [...cl.lines.map((l) => ({ type: 'LineString', coordinates: l })), ...cl.areas.map((a) => ({ type: 'Polygon', coordinates: [a] }))]) {
        const rows = await db.query<{ id: number; invalid: boolean }>(
          `WITH g AS (SELECT ST_SetSRID(ST_GeomFromGeoJSON($1), 4326) AS g)
           SELECT e.id, false AS invalid FROM road_edges e, g WHERE ST_IsValid(g.g) AND ST_Intersects(e.geom, g.g)
           UNION ALL SELECT NULL, true FROM g WHERE NOT ST_IsValid(g.g)`,
          [JSON.stringify(g)],
        );
        if (rows.some((r) => r.invalid)) throw new ApiError(400, 'invalid_parameter', `Invalid body parameter 'closures': ${g.type} geometry is not valid (self-intersecting or not closed)`);
        for (const r of rows) closedEdgeIds.add(r.id);
      }
      let baseHazard: string | null = null;
      if (body.baselineId) {
        const [base] = await db.query<{ hazard: string }>('SELECT hazard FROM plans WHERE id = $1', [body.baselineId]);
        if (!base) throw new ApiError(404, 'not_found', `no plan ${body.baselineId} to compare with`);
        baseHazard = base.hazard;
      }
      const options = { ...body.options };
      // a what-if of some communities against a baseline: the other communities' people stay where the baseline sent
      // them, so the re-planned buildings only get what is left of each site (unless the caller gave the loads)
      if (options.communityIds && body.baselineId && !options.siteBaseLoad) {
        if (baseHazard !== body.hazard) {
          throw new ApiError(400, 'invalid_parameter', `Invalid body parameter 'baselineId': plan ${body.baselineId} is for ${baseHazard}, not ${body.hazard}`);
        }
        options.siteBaseLoad = await otherCommunitiesLoad(db, body.baselineId, options.communityIds);
      }
      const { user, ip } = actorOf(c);
      const saved = await runAndSavePlan(db, {
        hazard: body.hazard,
        name: body.name ?? null,
        baselineId: body.baselineId ?? null,
        options: { ...options, closedEdgeIds: [...closedEdgeIds], closedSiteIds: cl.siteIds },
        createdBy: user?.username ?? null,
        onSaved: async (tx, id) => {
          await audit(tx, { user, ip, action: 'plan.run', entity: 'plan', entityId: id, before: null, after: { hazard: body.hazard, baselineId: body.baselineId ?? null, closures: { edges: closedEdgeIds.size, sites: cl.siteIds.length } } });
        },
      });
      // saved and summarised: the next plan of this data refills its columns (a planner runs what-ifs one after another)
      recyclePlan(saved.plan);
      return c.json({ id: saved.id, hazard: body.hazard, summary: saved.summary }, 201);
    },
  );

  app.get('/plans', async (c) => {
    const h = c.req.query('hazard');
    const hazard = h === undefined ? null : parse(hazardSchema, h, 'query');
    const rows = await db.query(
      `SELECT id, hazard, name, baseline_id, summary, data_version, created_by, created_at FROM plans
        WHERE ($1::text IS NULL OR hazard = $1) ORDER BY id DESC LIMIT 200`,
      [hazard],
    );
    return c.json({ plans: rows.map(planMeta) });
  });

  app.get('/plans/:id', async (c) => {
    const id = idParam('id', c.req.param('id'));
    const [p] = await db.query('SELECT * FROM plans WHERE id = $1', [id]);
    if (!p) throw new ApiError(404, 'not_found', `no plan ${id}`);
    return c.json({ ...planMeta(p), options: p.options, closures: p.closures, inputs: p.inputs, coverage: p.coverage, timings: p.timings });
  });

  app.get('/plans/:id/signs.csv', async (c) => {
    const id = idParam('id', c.req.param('id'));
    const [p] = await db.query<{ sign_schedule: string | null }>('SELECT sign_schedule FROM plans WHERE id = $1', [id]);
    if (!p) throw new ApiError(404, 'not_found', `no plan ${id}`);
    c.header('Content-Type', 'text/csv; charset=utf-8');
    c.header('Content-Disposition', `attachment; filename="plan-${id}-signs.csv"`);
    // BOM: Excel on Chinese Windows reads UTF-8 only with it
    return c.body('\ufeff' + (p.sign_schedule ?? ''));
  });

  app.get('/plans/:id/diff/:otherId', async (c) => {
    const id = idParam('id', c.req.param('id'));
    const other = idParam('otherId', c.req.param('otherId'));
    const plans = await db.query('SELECT id FROM plans WHERE id = ANY($1::int[])', [[id, other]]);
    if (plans.length < (id === other ? 1 : 2)) throw new ApiError(404, 'not_found', `no plan ${plans.some((p) => p.id === id) ? other : id}`);
    // each building's main site (largest share) in each plan
    const rows = await db.query(
      `WITH main AS (
         SELECT DISTINCT ON (plan_id, building_id) plan_id, building_id, site_id, assigned_distance_m, walk_s, population, reason
           FROM plan_assignments WHERE plan_id = ANY($1::int[]) AND population > 0
          ORDER BY plan_id, building_id, (site_id IS NULL), assigned_population DESC)
       SELECT a.building_id, b.name, a.population, a.site_id AS site_a, o.site_id AS site_b,
              a.assigned_distance_m AS distance_a, o.assigned_distance_m AS distance_b, a.walk_s AS walk_a, o.walk_s AS walk_b,
              a.reason AS reason_a, o.reason AS reason_b
         FROM main a JOIN main o ON o.building_id = a.building_id AND o.plan_id = $3
         LEFT JOIN buildings b ON b.id = a.building_id
        WHERE a.plan_id = $2 AND (a.site_id IS DISTINCT FROM o.site_id OR abs(COALESCE(a.walk_s, 0) - COALESCE(o.walk_s, 0)) > 1)
        ORDER BY a.building_id`,
      [[id, other], id, other],
    );
    const changes = rows.map((r) => ({
      buildingId: r.building_id, name: r.name, population: r.population, from: r.site_a, to: r.site_b,
      distanceFromM: r.distance_a, distanceToM: r.distance_b,
      secondsAdded: r.walk_a != null && r.walk_b != null ? r.walk_b - r.walk_a : null,
      newlyUnplaced: r.site_a != null && r.site_b == null, reason: r.reason_b,
    }));
    return c.json({
      plan: id,
      other,
      buildingsChangingSite: changes.filter((x) => x.from !== x.to).length,
      peopleChangingSite: changes.filter((x) => x.from !== x.to).reduce((s, x) => s + x.population, 0),
      newlyUnplacedPeople: changes.filter((x) => x.newlyUnplaced).reduce((s, x) => s + x.population, 0),
      maxSecondsAdded: changes.reduce((m, x) => Math.max(m, x.secondsAdded ?? 0), 0),
      changes,
    });
  });

  app.get('/buildings/:id/plan', async (c) => {
    const id = idParam('id', c.req.param('id'));
    const q = c.req.query('planId');
    const [b] = await db.query(
      `SELECT b.id, b.name, COALESCE(b.population_override, b.population_est) AS population,
              GREATEST(1, COALESCE(b.levels, round(b.height_m / 3.0)::int, 1)) AS levels, b.community_id, c.name AS community_name,
              ST_X(ST_PointOnSurface(b.geom)) AS lon, ST_Y(ST_PointOnSurface(b.geom)) AS lat
         FROM buildings b LEFT JOIN communities c ON c.id = b.community_id WHERE b.id = $1`,
      [id],
    );
    if (!b) throw new ApiError(404, 'not_found', `no building ${id}`);
    const planId = q === undefined ? await latestPlanId(db) : idParam('planId', q);
    const building = { id: b.id, name: b.name, population: b.population, levels: b.levels, communityId: b.community_id, communityName: b.community_name, center: [b.lon, b.lat] };
    if (planId == null) return c.json({ building, planId: null, hazard: null, site: null, unplacedReason: 'no_plan', route: null, steps: [], signs: [], guides: [] });
    const [[plan], parts] = await Promise.all([
      db.query('SELECT id, hazard, options FROM plans WHERE id = $1', [planId]),
      db.query(
        `SELECT a.site_id, a.assigned_population, a.assigned_distance_m, a.walk_s, a.walk_vulnerable_s, a.reason, a.split,
                ST_AsGeoJSON(a.route, 7) AS route, s.name AS site_name, s.kind AS site_kind, s.level AS site_level,
                ST_X(ST_PointOnSurface(s.geom)) AS site_lon, ST_Y(ST_PointOnSurface(s.geom)) AS site_lat
           FROM plan_assignments a LEFT JOIN sites s ON s.id = a.site_id
          WHERE a.plan_id = $1 AND a.building_id = $2 ORDER BY (a.site_id IS NULL), a.assigned_population DESC`,
        [planId, id],
      ),
    ]);
    if (!plan) throw new ApiError(404, 'not_found', `no plan ${planId}`);
    const main = parts[0];
    const route = main?.route ? JSON.parse(main.route) : null;
    const [signs, guides] = await Promise.all([
      // the building's own exit and stairwell signs, and the signs along its route (bbox prefilter, then 2 m)
      db.query(
        `SELECT ref_id, props, ST_X(geom) AS lon, ST_Y(geom) AS lat FROM plan_features
          WHERE plan_id = $1 AND layer = 'sign'
            AND ((props->>'building_id')::int = $2
                 OR ($3::text IS NOT NULL AND geom && ST_Expand(ST_GeomFromGeoJSON($3), 0.0001)
                     AND ST_DWithin(geom::geography, ST_GeomFromGeoJSON($3)::geography, 2)))
          ORDER BY (props->>'floor')::int NULLS LAST, ref_id LIMIT 500`,
        [planId, id, main?.route ?? null],
      ),
      db.query(`SELECT props FROM plan_features WHERE plan_id = $1 AND layer = 'guide' AND (props->>'building_id')::int = $2`, [planId, id]),
    ]);
    const speed = plan.options?.walkSpeedMps ?? { normal: 1, vulnerable: 0.5 };
    return c.json({
      building,
      planId,
      hazard: plan.hazard,
      site: main?.site_id ? { id: main.site_id, name: main.site_name, kind: main.site_kind, level: main.site_level, center: [main.site_lon, main.site_lat] } : null,
      distanceM: main?.assigned_distance_m ?? null,
      minutes: main?.assigned_distance_m != null ? minutes(main.assigned_distance_m, speed.normal) : null,
      minutesVulnerable: main?.assigned_distance_m != null ? minutes(main.assigned_distance_m, speed.vulnerable) : null,
      route,
      steps: route ? directions(route.coordinates.flat(), main.site_name ?? `#${main.site_id}`) : [],
      parts: parts.map((p) => ({ siteId: p.site_id, siteName: p.site_name, people: p.assigned_population, distanceM: p.assigned_distance_m, reason: p.reason })),
      split: !!main?.split,
      unplacedReason: main?.site_id ? null : (main?.reason ?? (b.population > 0 ? 'not_planned' : 'no_residents')),
      signs: signs.map((s) => ({ id: s.ref_id, kind: s.props.kind, lon: s.lon, lat: s.lat, floor: s.props.floor, arrows: s.props.arrows, text: signText(s.props) })),
      // named guides of the building (volunteers' names only — never phones), and what the rule asks for
      guides: guides.flatMap((g) => (g.props.volunteers ?? []).map((name: string) => ({ name, role: '楼栋疏散引导员' }))),
      guideNeeds: guides.map((g) => ({ needed: g.props.needed, assigned: g.props.assigned, rule: g.props.rule })),
    });
  });

  app.get('/nearest', async (c) => {
    const q = parse(nearestQuery, c.req.query(), 'query');
    const state = await engineState(db);
    let byHazard = residentCache.get(state.context);
    if (!byHazard) residentCache.set(state.context, (byHazard = new Map()));
    let ri = byHazard.get(q.hazard);
    if (!ri) byHazard.set(q.hazard, (ri = residentIndex(state.context, q.hazard)));
    const ans = nearestFrom(ri, q.lon, q.lat, q.k);
    const speed = { normal: 1.0, vulnerable: 0.5 }; // DOMAIN.md: 1.0 m/s general, 0.5 m/s vulnerable (Miyagi guideline)
    if (!ans.from) {
      return c.json({ from: null, sites: [], message: 'no walking path within 250 m of this point' });
    }
    c.header('Cache-Control', 'no-store');
    return c.json({
      from: { lon: q.lon, lat: q.lat, snapDistanceM: ans.from.snapDistanceM, snapped: ans.from.snapped },
      hazard: q.hazard,
      sites: ans.sites.map((s) => {
        const site = state.input.sites[s.siteIndex];
        const coordinates: number[][] = [];
        for (let i = 0; i + 1 < s.coords.length; i += 2) coordinates.push([s.coords[i], s.coords[i + 1]]);
        const name = site.name ?? `#${site.id}`;
        return {
          site: { id: site.id, name: site.name, kind: site.kind, level: site.level, capacity: site.capacity, status: site.status, center: site.point },
          distanceM: s.distanceM,
          minutes: minutes(s.distanceM, speed.normal),
          minutesVulnerable: minutes(s.distanceM, speed.vulnerable),
          route: { type: 'LineString', coordinates },
          steps: directions(s.coords, name),
        };
      }),
    });
  });

  app.get('/coverage', async (c) => {
    const q = c.req.query('planId');
    const planId = q === undefined ? await latestPlanId(db) : idParam('planId', q);
    if (planId == null) throw new ApiError(404, 'not_found', 'no plan has been run yet');
    const [p] = await db.query('SELECT id, hazard, summary, coverage, created_at FROM plans WHERE id = $1', [planId]);
    if (!p) throw new ApiError(404, 'not_found', `no plan ${planId}`);
    return c.json({ planId: p.id, hazard: p.hazard, createdAt: p.created_at, summary: p.summary, coverage: p.coverage });
  });

  app.get('/search', async (c) => {
    const q = parse(z.object({ q: z.string().trim().min(1, 'type at least one character').max(100), limit: z.coerce.number().int().min(1).max(50).default(20) }), c.req.query(), 'query');
    const like = `%${q.q.replace(/[\\%_]/g, (m) => '\\' + m)}%`;
    const rows = await db.query(
      `(SELECT 'community' AS type, id, name, ST_X(ST_PointOnSurface(geom)) AS lon, ST_Y(ST_PointOnSurface(geom)) AS lat FROM communities WHERE name ILIKE $1 LIMIT $2)
       UNION ALL
       (SELECT 'site', id, name, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM sites WHERE name ILIKE $1 LIMIT $2)
       UNION ALL
       (SELECT 'building', b.id, CASE WHEN c.name IS NOT NULL AND b.name IS NOT NULL THEN c.name || ' ' || b.name ELSE b.name END,
               ST_X(ST_PointOnSurface(b.geom)), ST_Y(ST_PointOnSurface(b.geom))
          FROM buildings b LEFT JOIN communities c ON c.id = b.community_id
         WHERE b.name ILIKE $1 OR (c.name || b.name) ILIKE $1 OR (c.name || ' ' || b.name) ILIKE $1 LIMIT $2)`,
      [like, q.limit],
    );
    return c.json(rows.slice(0, q.limit).map((r) => ({ type: r.type, id: r.id, name: r.name, center: [r.lon, r.lat] })));
  });

  return app;
}

function planMeta(p: any) {
  return { id: p.id, hazard: p.hazard, name: p.name, baselineId: p.baseline_id, summary: p.summary, dataVersion: p.data_version, createdBy: p.created_by, createdAt: p.created_at };
}

function signText(p: any): string {
  const targets = (p.arrows ?? []).map((a: any) => `${a.site} ${a.distance_m} 米`).join('；');
  if (p.kind === 'stairwell') return `${p.floor} 层楼道：下楼出门 → ${targets}`;
  if (p.kind === 'overview') return `疏散场所总览图：${targets}`;
  return `${targets}`;
}

