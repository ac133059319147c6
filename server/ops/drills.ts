/**
 * Emergency plans (应急预案) "revised to be practical" and regular drills (source document, DOMAIN.md first
 * section). Plan documents keep every revision (numbered 1, 2, … automatically). A drill records the evacuation
 * time measured per building or zone; each is compared with the engine's computed time from the latest saved
 * plan (not a what-if; of the drill's hazard when given) and flagged when slower by more than the margin
 * (config drillMargin, default 20 %).
 *
 *   GET    /api/communities/:id/emergency-plans              public
 *   POST   /api/communities/:id/emergency-plans              admin, planner (own) — creates revision 1
 *   GET    /api/emergency-plans/:pid                         public: plan + revision list + current body
 *   GET    /api/emergency-plans/:pid/revisions/:rev          public
 *   POST   /api/emergency-plans/:pid/revisions               admin, planner; If-Match (plan version)
 *   DELETE /api/emergency-plans/:pid                         admin, planner; If-Match
 *   GET    /api/communities/:id/drills[?year=YYYY]           public, with comparisons
 *   POST   /api/communities/:id/drills                       admin, planner (own)
 *   GET    /api/drills/:did                                  public, with comparisons
 *   PATCH  /api/drills/:did, DELETE                          admin, planner; If-Match (timings replaced when given)
 */
import { z } from 'zod';
import { actorOf, audit } from '../auth/index.ts';
import type { Queryable } from '../db/index.ts';
import type { Register } from './context.ts';
import {
  assertCommunityExists,
  assertRole,
  bad,
  communityWrite,
  deleteRoute,
  etag,
  expectedVersion,
  field,
  intArray,
  iso,
  isoDate,
  lockForEdit,
  lockRecord,
  notFound,
  optText,
  pathId,
  query,
  readBody,
  readRecord,
  recordCreated,
  type RecordTable,
  setClause,
  text,
  versionField,
} from './http.ts';
import { compareDrill } from './rules.ts';

const HAZARDS = ['earthquake', 'air_raid', 'fire', 'flood'] as const;
const id32 = z.number().int().positive().max(2_147_483_647);

const planCreate = z
  .object({
    title: text(300),
    hazard: z.enum(HAZARDS).nullable().optional(),
    body: z.string().max(200_000).nullable().optional(),
    attachmentRef: optText(1000),
    revisedAt: isoDate,
    note: optText(2000),
  })
  .strict()
  .refine((b) => (b.body ?? '').trim() !== '' || (b.attachmentRef ?? '') !== '', 'give the body or an attachment reference');
const revisionCreate = z
  .object({
    title: text(300).optional(),
    body: z.string().max(200_000).nullable().optional(),
    attachmentRef: optText(1000),
    revisedAt: isoDate,
    note: optText(2000),
    version: versionField,
  })
  .strict();

const timing = z
  .object({ buildingId: id32.optional(), zoneId: id32.optional(), measuredS: z.number().min(0).max(86_400) })
  .strict()
  .refine((t) => (t.buildingId === undefined) !== (t.zoneId === undefined), 'each timing names exactly one of buildingId and zoneId');
const drillCreate = z
  .object({
    heldOn: isoDate,
    scenario: text(500),
    hazard: z.enum(HAZARDS).nullable().optional(),
    emergencyPlanId: id32.nullable().optional(),
    participants: z.number().int().min(0).max(1_000_000),
    notes: optText(4000),
    timings: z.array(timing).max(5000).default([]),
  })
  .strict();
const drillPatch = z
  .object({
    heldOn: isoDate,
    scenario: text(500),
    hazard: z.enum(HAZARDS).nullable(),
    emergencyPlanId: id32.nullable(),
    participants: z.number().int().min(0).max(1_000_000),
    notes: optText(4000),
    timings: z.array(timing).max(5000),
    version: versionField,
  })
  .partial()
  .strict();

const PLAN_SELECT = `SELECT p.id, p.community_id, p.title, p.hazard, p.current_revision, p.version, p.created_at, p.updated_at,
       r.revised_at::text AS revised_at, r.attachment_ref, r.body, r.revised_by
  FROM ops_emergency_plans p JOIN ops_emergency_plan_revisions r ON r.plan_id = p.id AND r.revision = p.current_revision`;

function planView(r: any, withBody = false) {
  return {
    id: r.id,
    communityId: r.community_id,
    title: r.title,
    hazard: r.hazard,
    revision: r.current_revision,
    revisedAt: r.revised_at,
    revisedBy: r.revised_by,
    attachmentRef: r.attachment_ref,
    ...(withBody ? { body: r.body } : {}),
    version: r.version,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

const PLAN: RecordTable = { entity: 'emergency plan', table: 'ops_emergency_plans', select: PLAN_SELECT, alias: 'p', audit: (r) => planView(r, true) };

// ---------------------------------------------------------------------------------------------------------------
// computed times from the latest plan

/**
 * Computed walking time per building: the latest saved plan (baseline_id IS NULL; of `hazard` when given) that
 * contains the building, the slowest of its rows (a building split over sites walks to several). Each lookup
 * walks plans newest first and probes plan_assignments (plan_id, building_id) by index.
 */
export async function computedBuildingTimes(db: Queryable, buildingIds: number[], hazard: string | null) {
  if (!buildingIds.length) return new Map<number, { planId: number | null; walkS: number | null; walkVulnerableS: number | null }>();
  const rows = await db.query<{ building_id: number; plan_id: number | null; walk_s: number | null; walk_vulnerable_s: number | null }>(
    `SELECT t.building_id, lp.plan_id,
            (SELECT max(pa.walk_s) FROM plan_assignments pa WHERE pa.plan_id = lp.plan_id AND pa.building_id = t.building_id) AS walk_s,
            (SELECT max(pa.walk_vulnerable_s) FROM plan_assignments pa WHERE pa.plan_id = lp.plan_id AND pa.building_id = t.building_id) AS walk_vulnerable_s
       FROM unnest($1::text::int[]) AS t(building_id)
       LEFT JOIN LATERAL (
         SELECT p.id AS plan_id FROM plans p
          WHERE p.baseline_id IS NULL AND ($2::text IS NULL OR p.hazard = $2::text)
            AND EXISTS (SELECT 1 FROM plan_assignments pa WHERE pa.plan_id = p.id AND pa.building_id = t.building_id)
          ORDER BY p.id DESC LIMIT 1) lp ON true`,
    [intArray(buildingIds), hazard],
  );
  return new Map(rows.map((r) => [r.building_id, { planId: r.plan_id, walkS: r.walk_s, walkVulnerableS: r.walk_vulnerable_s }]));
}

/**
 * Computed time per zone: the zone's clearance time from the latest plan's coverage (coverage.zones[].clearanceS)
 * when the plan recorded it, else the slowest walk of the buildings whose point lies in the zone.
 */
export async function computedZoneTimes(db: Queryable, zoneIds: number[], hazard: string | null) {
  const out = new Map<number, { planId: number | null; walkS: number | null; source: 'coverage.zones' | 'plan_assignments' | null }>();
  if (!zoneIds.length) return out;
  const [plan] = await db.query<{ id: number; coverage: any }>(
    `SELECT id, coverage FROM plans WHERE baseline_id IS NULL AND ($1::text IS NULL OR hazard = $1::text) ORDER BY id DESC LIMIT 1`,
    [hazard],
  );
  if (!plan) {
    for (const z of zoneIds) out.set(z, { planId: null, walkS: null, source: null });
    return out;
  }
  const zones = Array.isArray(plan.coverage?.zones) ? plan.coverage.zones : [];
  const rest: number[] = [];
  for (const z of zoneIds) {
    const s = zones.find((x: any) => Number(x?.id) === z);
    const v = Number(s?.clearanceS);
    if (s && Number.isFinite(v) && v > 0) out.set(z, { planId: plan.id, walkS: v, source: 'coverage.zones' });
    else rest.push(z);
  }
  if (rest.length) {
    const rows = await db.query<{ zone_id: number; walk_s: number | null }>(
      `SELECT z.id AS zone_id, max(pa.walk_s) AS walk_s
         FROM zones z JOIN buildings b ON ST_Intersects(z.geom, ST_PointOnSurface(b.geom))
         JOIN plan_assignments pa ON pa.plan_id = $2 AND pa.building_id = b.id
        WHERE z.id = ANY($1::text::int[]) GROUP BY z.id`,
      [intArray(rest), plan.id],
    );
    for (const z of rest) {
      const r = rows.find((x) => x.zone_id === z);
      out.set(z, { planId: plan.id, walkS: r?.walk_s ?? null, source: r?.walk_s != null ? 'plan_assignments' : null });
    }
  }
  return out;
}

const DRILL_SELECT = `SELECT d.id, d.community_id, d.emergency_plan_id, d.held_on::text AS held_on, d.scenario, d.hazard, d.participants,
       d.notes, d.version, d.created_at, d.updated_at FROM ops_drills d`;

/** Drills with their timings compared against the computed times. */
export async function drillViews(db: Queryable, drills: any[], margin: number) {
  if (!drills.length) return [];
  const timings = await db.query<{ id: number; drill_id: number; building_id: number | null; zone_id: number | null; measured_s: number; bname: string | null; zname: string | null }>(
    `SELECT t.id, t.drill_id, t.building_id, t.zone_id, t.measured_s, b.name AS bname, z.name AS zname
       FROM ops_drill_timings t LEFT JOIN buildings b ON b.id = t.building_id LEFT JOIN zones z ON z.id = t.zone_id
      WHERE t.drill_id = ANY($1::text::int[]) ORDER BY t.id`,
    [intArray(drills.map((d) => d.id))],
  );
  const byHazard = new Map<string | null, { b: Set<number>; z: Set<number> }>();
  for (const d of drills) if (!byHazard.has(d.hazard)) byHazard.set(d.hazard, { b: new Set(), z: new Set() });
  for (const t of timings) {
    const d = drills.find((x) => x.id === t.drill_id)!;
    const set = byHazard.get(d.hazard)!;
    if (t.building_id) set.b.add(t.building_id);
    else if (t.zone_id) set.z.add(t.zone_id);
  }
  const computed = new Map<string | null, { b: Awaited<ReturnType<typeof computedBuildingTimes>>; z: Awaited<ReturnType<typeof computedZoneTimes>> }>();
  for (const [h, s] of byHazard) computed.set(h, { b: await computedBuildingTimes(db, [...s.b], h), z: await computedZoneTimes(db, [...s.z], h) });
  return drills.map((d) => {
    const cmp = computed.get(d.hazard)!;
    const ts = timings
      .filter((t) => t.drill_id === d.id)
      .map((t) => {
        const c = t.building_id ? cmp.b.get(t.building_id) : cmp.z.get(t.zone_id!);
        const res = compareDrill(t.measured_s, c?.walkS ?? null, margin);
        return {
          id: t.id,
          target: t.building_id ? { kind: 'building' as const, id: t.building_id, name: t.bname } : { kind: 'zone' as const, id: t.zone_id!, name: t.zname },
          ...res,
          planId: c?.planId ?? null,
          note: c?.walkS == null ? 'no computed time: no saved plan covers it' : undefined,
        };
      });
    return {
      id: d.id,
      communityId: d.community_id,
      emergencyPlanId: d.emergency_plan_id,
      heldOn: d.held_on,
      scenario: d.scenario,
      hazard: d.hazard,
      participants: d.participants,
      notes: d.notes,
      margin,
      timings: ts,
      flagged: ts.some((t) => t.flagged),
      flaggedCount: ts.filter((t) => t.flagged).length,
      version: d.version,
      createdAt: iso(d.created_at),
      updatedAt: iso(d.updated_at),
    };
  });
}

async function checkTimingTargets(db: Queryable, ts: z.infer<typeof timing>[]) {
  const b = [...new Set(ts.filter((t) => t.buildingId).map((t) => t.buildingId!))];
  const zs = [...new Set(ts.filter((t) => t.zoneId).map((t) => t.zoneId!))];
  if (b.length) {
    const found = new Set((await db.query('SELECT id FROM buildings WHERE id = ANY($1::text::int[])', [intArray(b)])).map((r) => r.id));
    const miss = b.filter((x) => !found.has(x));
    if (miss.length) throw bad(`timings: no building ${miss.slice(0, 5).join(', ')}`);
  }
  if (zs.length) {
    const found = new Set((await db.query('SELECT id FROM zones WHERE id = ANY($1::text::int[])', [intArray(zs)])).map((r) => r.id));
    const miss = zs.filter((x) => !found.has(x));
    if (miss.length) throw bad(`timings: no zone ${miss.slice(0, 5).join(', ')}`);
  }
}

async function insertTimings(tx: Queryable, drillId: number, ts: z.infer<typeof timing>[]) {
  if (!ts.length) return;
  await tx.query(
    `INSERT INTO ops_drill_timings (drill_id, building_id, zone_id, measured_s)
     SELECT $1, NULLIF(b, 0), NULLIF(z, 0), s FROM unnest($2::text::int[], $3::text::int[], $4::text::float8[]) AS t(b, z, s)`,
    [drillId, intArray(ts.map((t) => t.buildingId ?? 0)), intArray(ts.map((t) => t.zoneId ?? 0)), `{${ts.map((t) => String(t.measuredS)).join(',')}}`],
  );
}

export const registerPlansAndDrills: Register = (app, ctx) => {
  const { db } = ctx;

  // ---- emergency plan documents ----

  app.get('/api/communities/:id/emergency-plans', async (c) => {
    const cid = pathId(c);
    await assertCommunityExists(db, cid);
    const rows = await db.query(`${PLAN_SELECT} WHERE p.community_id = $1 ORDER BY p.id`, [cid]);
    return c.json({ communityId: cid, plans: rows.map((r) => planView(r)) });
  });

  app.post('/api/communities/:id/emergency-plans', async (c) => {
    const { cid, user, b } = await communityWrite(c, db, planCreate);
    const row = await db.transaction(async (tx) => {
      const [p] = await tx.query('INSERT INTO ops_emergency_plans (community_id, title, hazard) VALUES ($1, $2, $3) RETURNING id', [cid, b.title, b.hazard ?? null]);
      await tx.query(
        `INSERT INTO ops_emergency_plan_revisions (plan_id, revision, title, body, attachment_ref, revised_at, revised_by, note)
         VALUES ($1, 1, $2, $3, $4, $5::date, $6, $7)`,
        [p.id, b.title, b.body ?? null, b.attachmentRef ?? null, b.revisedAt, user.username, b.note ?? null],
      );
      return recordCreated(tx, c, PLAN, p.id);
    });
    etag(c, row.version);
    return c.json(planView(row, true), 201);
  });

  app.get('/api/emergency-plans/:pid', async (c) => {
    const id = pathId(c, 'pid');
    const [r] = await db.query(`${PLAN_SELECT} WHERE p.id = $1`, [id]);
    if (!r) throw notFound(`emergency plan ${id}`);
    const revs = await db.query(
      `SELECT revision, title, revised_at::text AS revised_at, revised_by, attachment_ref, note, length(coalesce(body, ''))::int AS body_chars
         FROM ops_emergency_plan_revisions WHERE plan_id = $1 ORDER BY revision DESC`,
      [id],
    );
    etag(c, r.version);
    return c.json({
      ...planView(r, true),
      revisions: revs.map((x) => ({ revision: x.revision, title: x.title, revisedAt: x.revised_at, revisedBy: x.revised_by, attachmentRef: x.attachment_ref, note: x.note, bodyChars: x.body_chars })),
    });
  });

  app.get('/api/emergency-plans/:pid/revisions/:rev', async (c) => {
    const id = pathId(c, 'pid');
    const rev = pathId(c, 'rev');
    const [x] = await db.query(
      `SELECT plan_id, revision, title, body, attachment_ref, revised_at::text AS revised_at, revised_by, note, created_at
         FROM ops_emergency_plan_revisions WHERE plan_id = $1 AND revision = $2`,
      [id, rev],
    );
    if (!x) throw notFound(`revision ${rev} of emergency plan ${id}`);
    return c.json({ planId: x.plan_id, revision: x.revision, title: x.title, body: x.body, attachmentRef: x.attachment_ref, revisedAt: x.revised_at, revisedBy: x.revised_by, note: x.note, createdAt: iso(x.created_at) });
  });

  app.post('/api/emergency-plans/:pid/revisions', async (c) => {
    const id = pathId(c, 'pid');
    const user = assertRole(c, 'planner');
    const b = await readBody(c, revisionCreate);
    const sent = expectedVersion(c, b);
    const row = await db.transaction(async (tx) => {
      const before = await lockRecord(tx, c, PLAN, id, sent);
      const next = before.current_revision + 1;
      const title = b.title ?? before.title;
      const body = b.body !== undefined ? b.body : before.body;
      const att = b.attachmentRef !== undefined ? b.attachmentRef : before.attachment_ref;
      if ((body ?? '').trim() === '' && !att) throw bad('give the body or an attachment reference');
      await tx.query(
        `INSERT INTO ops_emergency_plan_revisions (plan_id, revision, title, body, attachment_ref, revised_at, revised_by, note)
         VALUES ($1, $2, $3, $4, $5, $6::date, $7, $8)`,
        [id, next, title, body ?? null, att ?? null, b.revisedAt, user.username, b.note ?? null],
      );
      await tx.query('UPDATE ops_emergency_plans SET title = $2, current_revision = $3, version = version + 1, updated_at = now() WHERE id = $1', [id, title, next]);
      const r = await readRecord(tx, PLAN, id);
      await audit(tx, { ...actorOf(c), action: 'revise', entity: 'ops_emergency_plans', entityId: id, before: planView(before, true), after: planView(r, true) });
      return r;
    });
    etag(c, row.version);
    return c.json(planView(row, true), 201);
  });

  deleteRoute(app, db, '/api/emergency-plans/:pid', 'pid', PLAN);

  // ---- drills ----

  app.get('/api/communities/:id/drills', async (c) => {
    const cid = pathId(c);
    const q = query(c, z.object({ year: z.string().regex(/^\d{4}$/, 'expected YYYY').transform(Number).optional() }));
    await assertCommunityExists(db, cid);
    const rows = await db.query(
      `${DRILL_SELECT} WHERE d.community_id = $1 AND ($2::int IS NULL OR extract(year FROM d.held_on)::int = $2::int) ORDER BY d.held_on DESC, d.id DESC`,
      [cid, q.year ?? null],
    );
    const cfg = await ctx.config();
    return c.json({ communityId: cid, margin: cfg.drillMargin, drills: await drillViews(db, rows, cfg.drillMargin) });
  });

  app.post('/api/communities/:id/drills', async (c) => {
    const { cid, b } = await communityWrite(c, db, drillCreate);
    await checkTimingTargets(db, b.timings);
    const cfg = await ctx.config();
    const view = await db.transaction(async (tx) => {
      if (b.emergencyPlanId) {
        const [p] = await tx.query('SELECT id FROM ops_emergency_plans WHERE id = $1 AND community_id = $2', [b.emergencyPlanId, cid]);
        if (!p) throw bad(`emergencyPlanId: no emergency plan ${b.emergencyPlanId} in community ${cid}`);
      }
      const [d] = await tx.query(
        `INSERT INTO ops_drills (community_id, emergency_plan_id, held_on, scenario, hazard, participants, notes)
         VALUES ($1, $2, $3::date, $4, $5, $6, $7) RETURNING id`,
        [cid, b.emergencyPlanId ?? null, b.heldOn, b.scenario, b.hazard ?? null, b.participants, b.notes ?? null],
      );
      await insertTimings(tx, d.id, b.timings);
      const [v] = await drillViews(tx, await tx.query(`${DRILL_SELECT} WHERE d.id = $1`, [d.id]), cfg.drillMargin);
      await audit(tx, { ...actorOf(c), action: 'create', entity: 'ops_drills', entityId: d.id, after: v });
      return v;
    });
    etag(c, view.version);
    return c.json(view, 201);
  });

  app.get('/api/drills/:did', async (c) => {
    const id = pathId(c, 'did');
    const rows = await db.query(`${DRILL_SELECT} WHERE d.id = $1`, [id]);
    if (!rows.length) throw notFound(`drill ${id}`);
    const cfg = await ctx.config();
    const [v] = await drillViews(db, rows, cfg.drillMargin);
    etag(c, v.version);
    return c.json(v);
  });

  app.patch('/api/drills/:did', async (c) => {
    const id = pathId(c, 'did');
    assertRole(c, 'planner');
    const b = await readBody(c, drillPatch);
    const sent = expectedVersion(c, b);
    if (b.timings) await checkTimingTargets(db, b.timings);
    const cfg = await ctx.config();
    const view = await db.transaction(async (tx) => {
      const before = await lockForEdit<any>(tx, c, 'drill', `${DRILL_SELECT} WHERE d.id = $1 FOR UPDATE OF d`, [id], sent);
      if (b.emergencyPlanId) {
        const [p] = await tx.query('SELECT id FROM ops_emergency_plans WHERE id = $1 AND community_id = $2', [b.emergencyPlanId, before.community_id]);
        if (!p) throw bad(`emergencyPlanId: no emergency plan ${b.emergencyPlanId} in community ${before.community_id}`);
      }
      const [beforeView] = await drillViews(tx, [before], cfg.drillMargin);
      const set = setClause(
        [
          field(b, 'heldOn', 'held_on', (v) => [v], (p) => `${p[0]}::date`),
          field(b, 'scenario', 'scenario'),
          field(b, 'hazard', 'hazard'),
          field(b, 'emergencyPlanId', 'emergency_plan_id'),
          field(b, 'participants', 'participants'),
          field(b, 'notes', 'notes'),
        ],
        2,
      );
      await tx.query(`UPDATE ops_drills SET ${set.sql} WHERE id = $1`, [id, ...set.params]);
      if (b.timings) {
        await tx.query('DELETE FROM ops_drill_timings WHERE drill_id = $1', [id]);
        await insertTimings(tx, id, b.timings);
      }
      const [v] = await drillViews(tx, await tx.query(`${DRILL_SELECT} WHERE d.id = $1`, [id]), cfg.drillMargin);
      await audit(tx, { ...actorOf(c), action: 'update', entity: 'ops_drills', entityId: id, before: beforeView, after: v });
      return v;
    });
    etag(c, view.version);
    return c.json(view);
  });

  app.delete('/api/drills/:did', async (c) => {
    const id = pathId(c, 'did');
    assertRole(c, 'planner');
    const sent = expectedVersion(c, null);
    const cfg = await ctx.config();
    await db.transaction(async (tx) => {
      const before = await lockForEdit<any>(tx, c, 'drill', `${DRILL_SELECT} WHERE d.id = $1 FOR UPDATE OF d`, [id], sent);
      const [v] = await drillViews(tx, [before], cfg.drillMargin);
      await tx.query('DELETE FROM ops_drills WHERE id = $1', [id]);
      await audit(tx, { ...actorOf(c), action: 'delete', entity: 'ops_drills', entityId: id, before: v });
    });
    return c.body(null, 204);
  });
};
