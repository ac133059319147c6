/**
 * The information-reporting network (信息员, source document DOMAIN.md first section) and incident reports with the
 * 8-hour resolution clock ("urgent problems resolved within 8 hours, escalated when major"): due_at = reported_at
 * + incidentHours; an unresolved incident past due is escalated, one level more per escalationStepHours.
 * A road_blocked / site_unusable report turns into the closure of a what-if plan with one call.
 *
 * Reporters' names and phones are personal (issue 6): admins, the community's planners and the reporter himself
 * see them; others get the record without them. Anonymous users see incidents without text, photo or reporter.
 *
 *   GET    /api/communities/:id/reporters                public (redacted)
 *   POST   /api/communities/:id/reporters                admin, planner (own)
 *   PATCH  /api/reporters/:rid, DELETE                   admin, planner (own); If-Match
 *   POST   /api/incidents                                reporter (own communities), planner (own), admin
 *   GET    /api/incidents[?status&kind&communityId&overdue=1&format=geojson&limit&offset]   public (redacted)
 *   GET    /api/incidents/overdue                        signed-in: unresolved past due, most escalated first
 *   GET    /api/incidents/:iid                           public (redacted)
 *   GET    /api/incidents/:iid/photo                     signed-in
 *   POST   /api/incidents/:iid/status  {status, note?, handledBy?}   admin, planner (own); If-Match
 *   GET    /api/incidents/:iid/closure                   admin, planner → {closedEdgeIds} | {closedSiteIds}
 */
import type { Context } from 'hono';
import { z } from 'zod';
import { ApiError } from '../api/errors.ts';
import { actorOf, audit, canEditCommunity } from '../auth/index.ts';
import type { Queryable } from '../db/index.ts';
import type { OpsConfig } from './config.ts';
import type { Register } from './context.ts';
import {
  assertCommunityExists,
  assertRole,
  bad,
  communityWrite,
  conflict,
  deleteRoute,
  etag,
  expectedVersion,
  field,
  iso,
  lockForEdit,
  lockRecord,
  MAX_PHOTO_BODY_BYTES,
  notFound,
  optText,
  pathId,
  phoneSchema,
  photoSchema,
  pointOf,
  pointSchema,
  query,
  readBody,
  recordCreated,
  type RecordTable,
  seesPrivate,
  setClause,
  text,
  updateRecord,
  userOf,
  versionField,
} from './http.ts';
import { allowedTransitions, canTransition, dueAt, INCIDENT_KINDS, INCIDENT_STATUSES, incidentClock, type IncidentStatus } from './rules.ts';

const id32 = z.number().int().positive().max(2_147_483_647);

// ---------------------------------------------------------------------------------------------------------------
// reporters

const reporterCreate = z
  .object({
    name: text(100),
    phone: phoneSchema.nullable().optional(),
    userId: id32.nullable().optional(),
    employment: z.enum(['full_time', 'part_time']).default('part_time'),
    active: z.boolean().default(true),
  })
  .strict();
const reporterPatch = z
  .object({ name: text(100), phone: phoneSchema.nullable(), userId: id32.nullable(), employment: z.enum(['full_time', 'part_time']), active: z.boolean(), version: versionField })
  .partial()
  .strict();

const REP_SELECT = `SELECT r.id, r.community_id, r.name, r.phone, r.user_id, r.employment, r.active, r.version, r.created_at, r.updated_at,
       (SELECT count(*)::int FROM ops_incidents i WHERE i.reporter_id = r.id) AS reports
  FROM ops_reporters r`;
const REPORTER: RecordTable = { entity: 'reporter', table: 'ops_reporters', select: REP_SELECT, alias: 'r', audit: reporterFull };

function reporterFull(r: any) {
  return {
    id: r.id,
    communityId: r.community_id,
    name: r.name,
    phone: r.phone,
    userId: r.user_id,
    employment: r.employment,
    active: r.active,
    reports: r.reports ?? 0,
    version: r.version,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

function seesReporter(c: Context, r: { community_id: number | null; user_id: number | null }) {
  const u = userOf(c);
  return seesPrivate(c, r.community_id) || (!!u && r.user_id !== null && u.id === r.user_id);
}

export function reporterView(c: Context, r: any) {
  const v = reporterFull(r);
  if (seesReporter(c, r)) return v;
  const { name: _n, phone: _p, userId: _u, ...pub } = v;
  return pub;
}

async function checkUser(db: Queryable, id: number | null | undefined) {
  if (id === null || id === undefined) return;
  const [u] = await db.query('SELECT id, role FROM users WHERE id = $1', [id]);
  if (!u) throw bad(`userId: no user ${id}`);
  if (u.role !== 'reporter') throw bad(`userId: user ${id} is a ${u.role}, not a reporter`);
}

// ---------------------------------------------------------------------------------------------------------------
// incidents

const incidentCreate = z
  .object({
    kind: z.enum(INCIDENT_KINDS),
    location: pointSchema,
    text: text(4000),
    photo: photoSchema.nullable().optional(),
    communityId: id32.nullable().optional(),
    reporterId: id32.nullable().optional(),
  })
  .strict();
const statusBody = z
  .object({ status: z.enum(INCIDENT_STATUSES), note: optText(4000), handledBy: optText(200), version: versionField })
  .strict();

const INC_SELECT = `SELECT i.id, i.community_id, i.kind, ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat, i.text, (i.photo IS NOT NULL) AS has_photo,
       i.photo_type, octet_length(i.photo) AS photo_bytes, i.reporter_id, r.name AS reporter_name, r.user_id AS reporter_user_id,
       i.created_by, i.status, i.reported_at, i.due_at, i.in_hand_at, i.resolved_at, i.handled_by, i.resolution, i.version, i.updated_at
  FROM ops_incidents i LEFT JOIN ops_reporters r ON r.id = i.reporter_id`;

function incidentFull(r: any, now: Date, cfg: OpsConfig) {
  const clock = incidentClock(
    { status: r.status, dueAt: new Date(r.due_at), resolvedAt: r.resolved_at ? new Date(r.resolved_at) : null },
    now,
    cfg.escalationStepHours,
    cfg.maxEscalationLevel,
  );
  return {
    id: r.id,
    communityId: r.community_id,
    kind: r.kind,
    location: pointOf(r),
    text: r.text as string | undefined,
    photo: r.has_photo ? { type: r.photo_type, bytes: r.photo_bytes, url: `/api/incidents/${r.id}/photo` } : null,
    reporter: r.reporter_id ? { id: r.reporter_id, name: r.reporter_name as string | undefined } : null,
    status: r.status as IncidentStatus,
    nextStatuses: allowedTransitions(r.status),
    reportedAt: iso(r.reported_at),
    dueAt: iso(r.due_at),
    inHandAt: iso(r.in_hand_at),
    resolvedAt: iso(r.resolved_at),
    handledBy: r.handled_by as string | null | undefined,
    resolution: r.resolution as string | null | undefined,
    ...clock,
    closable: r.kind === 'road_blocked' || r.kind === 'site_unusable',
    version: r.version,
    updatedAt: iso(r.updated_at),
  };
}

/** Anonymous: where, what kind, status and clock only. Signed-in: text and photo. Reporter's name: authorised. */
export function incidentView(c: Context, r: any, now: Date, cfg: OpsConfig) {
  const v = incidentFull(r, now, cfg);
  const u = userOf(c);
  if (!u) {
    const { text: _t, photo: _p, reporter: _r, handledBy: _h, resolution: _s, ...pub } = v;
    return pub;
  }
  if (v.reporter && !seesReporter(c, { community_id: r.community_id, user_id: r.reporter_user_id })) v.reporter = { id: v.reporter.id, name: undefined };
  return v;
}

/**
 * The closure a road_blocked / site_unusable incident asks for, to feed a what-if plan (POST /api/plans):
 *  - road_blocked: the road edge nearest the point within `radiusM`, plus edges as near within 1 m (a point at a
 *    junction blocks every way meeting there) → { closedEdgeIds };
 *  - site_unusable: the site containing the point, else the nearest within `radiusM` → { closedSiteIds }.
 * Null when nothing is near enough.
 */
export async function incidentClosure(
  db: Queryable,
  incidentId: number,
  radiusM = 30,
): Promise<{ incidentId: number; kind: string; closedEdgeIds?: number[]; closedSiteIds?: number[]; matches: { id: number; distanceM: number; name: string | null }[] } | null> {
  const [inc] = await db.query<{ id: number; kind: string }>('SELECT id, kind FROM ops_incidents WHERE id = $1', [incidentId]);
  if (!inc) throw notFound(`incident ${incidentId}`);
  if (inc.kind === 'road_blocked') {
    const rows = await db.query<{ id: number; d: number; name: string | null }>(
      `SELECT e.id, ST_Distance(e.geom::geography, i.geom::geography) AS d, e.name
         FROM ops_incidents i JOIN road_edges e ON ST_DWithin(e.geom::geography, i.geom::geography, $2::float8)
        WHERE i.id = $1 ORDER BY d, e.id LIMIT 50`,
      [incidentId, radiusM],
    );
    if (!rows.length) return null;
    const near = rows.filter((r) => r.d <= rows[0].d + 1);
    return { incidentId, kind: inc.kind, closedEdgeIds: near.map((r) => r.id), matches: near.map((r) => ({ id: r.id, distanceM: Math.round(r.d * 10) / 10, name: r.name })) };
  }
  if (inc.kind === 'site_unusable') {
    const rows = await db.query<{ id: number; d: number; name: string | null; inside: boolean }>(
      `SELECT s.id, ST_Distance(s.geom::geography, i.geom::geography) AS d, s.name, ST_Covers(s.geom, i.geom) AS inside
         FROM ops_incidents i JOIN sites s ON ST_DWithin(s.geom::geography, i.geom::geography, $2::float8)
        WHERE i.id = $1 ORDER BY ST_Covers(s.geom, i.geom) DESC, d, s.id LIMIT 1`,
      [incidentId, radiusM],
    );
    if (!rows.length) return null;
    return { incidentId, kind: inc.kind, closedSiteIds: [rows[0].id], matches: rows.map((r) => ({ id: r.id, distanceM: Math.round(r.d * 10) / 10, name: r.name })) };
  }
  throw conflict('not_closable', `a ${inc.kind} incident does not close a road or a site (only road_blocked and site_unusable do)`);
}

const listQuery = z.object({
  status: z.enum(INCIDENT_STATUSES).optional(),
  kind: z.enum(INCIDENT_KINDS).optional(),
  communityId: z.string().regex(/^[1-9]\d{0,9}$/).transform(Number).optional(),
  overdue: z.enum(['0', '1', 'true', 'false']).optional(),
  format: z.enum(['json', 'geojson']).default('json'),
  limit: z.string().regex(/^\d{1,4}$/, 'expected 1 … 1000').transform(Number).refine((n) => n >= 1 && n <= 1000, 'expected 1 … 1000').default(200),
  offset: z.string().regex(/^\d{1,7}$/, 'expected 0 … 9999999').transform(Number).default(0),
});

export const registerIncidents: Register = (app, ctx) => {
  const { db } = ctx;

  // ---- reporters ----

  app.get('/api/communities/:id/reporters', async (c) => {
    const cid = pathId(c);
    await assertCommunityExists(db, cid);
    const rows = await db.query(`${REP_SELECT} WHERE r.community_id = $1 ORDER BY r.id`, [cid]);
    return c.json({ communityId: cid, count: rows.length, active: rows.filter((r) => r.active).length, reporters: rows.map((r) => reporterView(c, r)) });
  });

  app.post('/api/communities/:id/reporters', async (c) => {
    const { cid, b } = await communityWrite(c, db, reporterCreate);
    await checkUser(db, b.userId);
    const row = await db.transaction(async (tx) => {
      const [ins] = await tx.query(
        'INSERT INTO ops_reporters (community_id, name, phone, user_id, employment, active) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id',
        [cid, b.name, b.phone ?? null, b.userId ?? null, b.employment, b.active],
      );
      return recordCreated(tx, c, REPORTER, ins.id);
    });
    etag(c, row.version);
    return c.json(reporterView(c, row), 201);
  });

  app.patch('/api/reporters/:rid', async (c) => {
    const id = pathId(c, 'rid');
    assertRole(c, 'planner');
    const b = await readBody(c, reporterPatch);
    const sent = expectedVersion(c, b);
    await checkUser(db, b.userId);
    const row = await db.transaction(async (tx) =>
      updateRecord(tx, c, REPORTER, await lockRecord(tx, c, REPORTER, id, sent), [
        field(b, 'name', 'name'),
        field(b, 'phone', 'phone'),
        field(b, 'userId', 'user_id'),
        field(b, 'employment', 'employment'),
        field(b, 'active', 'active', (v) => [v], (p) => `${p[0]}::boolean`),
      ]),
    );
    etag(c, row.version);
    return c.json(reporterView(c, row));
  });

  deleteRoute(app, db, '/api/reporters/:rid', 'rid', REPORTER);

  // ---- incidents ----

  app.post('/api/incidents', async (c) => {
    const user = assertRole(c, 'reporter', 'planner');
    const b = await readBody(c, incidentCreate, MAX_PHOTO_BODY_BYTES + 64 * 1024);
    const cfg = await ctx.config();
    const now = ctx.now();
    let cid = b.communityId ?? null;
    if (cid !== null) await assertCommunityExists(db, cid);
    else {
      const [hit] = await db.query<{ id: number }>(
        `SELECT id FROM communities WHERE ST_Covers(geom, ST_SetSRID(ST_MakePoint($1::float8, $2::float8), 4326)) ORDER BY area_m2, id LIMIT 1`,
        [b.location.lon, b.location.lat],
      );
      cid = hit?.id ?? null;
    }
    if (!canEditCommunity(user, cid)) throw new ApiError(403, 'forbidden', `you may not report incidents in community ${cid ?? '(none: the point is outside every community)'}`);
    const row = await db.transaction(async (tx) => {
      let reporterId = b.reporterId ?? null;
      if (reporterId !== null) {
        const [r] = await tx.query('SELECT id, community_id, user_id FROM ops_reporters WHERE id = $1', [reporterId]);
        if (!r) throw bad(`reporterId: no reporter ${reporterId}`);
        if (user.role === 'reporter' && r.user_id !== user.id) throw new ApiError(403, 'forbidden', 'reporters file reports under their own name only');
      } else if (user.role === 'reporter') {
        const [r] = await tx.query(
          'SELECT id FROM ops_reporters WHERE user_id = $1 AND active ORDER BY (community_id = $2) DESC NULLS LAST, id LIMIT 1',
          [user.id, cid],
        );
        reporterId = r?.id ?? null;
      }
      const [ins] = await tx.query(
        `INSERT INTO ops_incidents (community_id, kind, geom, text, photo, photo_type, reporter_id, created_by, reported_at, due_at)
         VALUES ($1, $2, ST_SetSRID(ST_MakePoint($3::float8, $4::float8), 4326), $5, decode($6::text, 'base64'), $7, $8, $9, $10::timestamptz, $11::timestamptz)
         RETURNING id`,
        [cid, b.kind, b.location.lon, b.location.lat, b.text, b.photo?.base64 ?? null, b.photo?.type ?? null, reporterId, user.id, now.toISOString(), dueAt(now, cfg.incidentHours).toISOString()],
      );
      const [r] = await tx.query(`${INC_SELECT} WHERE i.id = $1`, [ins.id]);
      await audit(tx, { ...actorOf(c), action: 'create', entity: 'ops_incidents', entityId: r.id, after: { ...incidentFull(r, now, cfg), photo: r.has_photo ? { type: r.photo_type, bytes: r.photo_bytes } : null } });
      return r;
    });
    etag(c, row.version);
    return c.json(incidentView(c, row, now, cfg), 201);
  });

  app.get('/api/incidents', async (c) => {
    const q = query(c, listQuery);
    const cfg = await ctx.config();
    const now = ctx.now();
    const overdue = q.overdue === '1' || q.overdue === 'true';
    const rows = await db.query(
      `${INC_SELECT}
        WHERE ($1::text IS NULL OR i.status = $1::text) AND ($2::text IS NULL OR i.kind = $2::text)
          AND ($3::int IS NULL OR i.community_id = $3::int)
          AND (NOT $4::boolean OR (i.status <> 'resolved' AND i.due_at < $5::timestamptz))
        ORDER BY i.reported_at DESC, i.id DESC LIMIT $6 OFFSET $7`,
      [q.status ?? null, q.kind ?? null, q.communityId ?? null, overdue, now.toISOString(), q.limit, q.offset],
    );
    const list = rows.map((r) => incidentView(c, r, now, cfg));
    if (q.format === 'geojson') {
      return c.json({
        type: 'FeatureCollection',
        features: list.map((v) => ({ type: 'Feature', id: v.id, geometry: { type: 'Point', coordinates: [v.location!.lon, v.location!.lat] }, properties: { ...v, location: undefined } })),
      });
    }
    return c.json({ now: now.toISOString(), incidents: list, limit: q.limit, offset: q.offset });
  });

  app.get('/api/incidents/overdue', async (c) => {
    assertRole(c);
    const cfg = await ctx.config();
    const now = ctx.now();
    const rows = await db.query(`${INC_SELECT} WHERE i.status <> 'resolved' AND i.due_at < $1::timestamptz ORDER BY i.due_at, i.id LIMIT 1000`, [now.toISOString()]);
    const list = rows.map((r) => incidentView(c, r, now, cfg)).sort((a, b) => b.escalationLevel - a.escalationLevel || a.id - b.id);
    return c.json({ now: now.toISOString(), hours: cfg.incidentHours, count: list.length, incidents: list });
  });

  app.get('/api/incidents/:iid', async (c) => {
    const id = pathId(c, 'iid');
    const [r] = await db.query(`${INC_SELECT} WHERE i.id = $1`, [id]);
    if (!r) throw notFound(`incident ${id}`);
    etag(c, r.version);
    return c.json(incidentView(c, r, ctx.now(), await ctx.config()));
  });

  app.get('/api/incidents/:iid/photo', async (c) => {
    const id = pathId(c, 'iid');
    assertRole(c);
    const [r] = await db.query<{ b64: string | null; photo_type: string | null }>("SELECT encode(photo, 'base64') AS b64, photo_type FROM ops_incidents WHERE id = $1", [id]);
    if (!r || !r.b64) throw notFound(`photo of incident ${id}`);
    c.header('Cache-Control', 'private, no-store');
    c.header('X-Content-Type-Options', 'nosniff');
    return c.body(Buffer.from(r.b64, 'base64'), 200, { 'Content-Type': r.photo_type ?? 'application/octet-stream' });
  });

  app.post('/api/incidents/:iid/status', async (c) => {
    const id = pathId(c, 'iid');
    assertRole(c, 'planner');
    const b = await readBody(c, statusBody);
    const sent = expectedVersion(c, b);
    const cfg = await ctx.config();
    const now = ctx.now();
    const row = await db.transaction(async (tx) => {
      const before = await lockForEdit<any>(tx, c, 'incident', `${INC_SELECT} WHERE i.id = $1 FOR UPDATE OF i`, [id], sent);
      if (!canTransition(before.status, b.status)) {
        throw conflict('invalid_transition', `cannot go from ${before.status} to ${b.status} (allowed: ${allowedTransitions(before.status).join(', ') || 'none'})`, {
          from: before.status,
          to: b.status,
          allowed: allowedTransitions(before.status),
        });
      }
      const set = setClause(
        [
          { column: 'status', values: [b.status] },
          b.status === 'in_hand' && { column: 'in_hand_at', values: [now.toISOString()], expr: (p) => `${p[0]}::timestamptz` },
          b.status === 'open' && { column: 'in_hand_at', values: [null] },
          b.status === 'resolved' && { column: 'resolved_at', values: [now.toISOString()], expr: (p) => `${p[0]}::timestamptz` },
          b.status === 'resolved' && { column: 'resolution', values: [b.note ?? null] },
          field(b, 'handledBy', 'handled_by'),
        ],
        2,
      );
      await tx.query(`UPDATE ops_incidents SET ${set.sql} WHERE id = $1`, [id, ...set.params]);
      const [after] = await tx.query(`${INC_SELECT} WHERE i.id = $1`, [id]);
      await audit(tx, {
        ...actorOf(c),
        action: `status:${b.status}`,
        entity: 'ops_incidents',
        entityId: id,
        before: { status: before.status, version: before.version },
        after: { status: after.status, version: after.version, note: b.note ?? null, handledBy: after.handled_by },
      });
      return after;
    });
    etag(c, row.version);
    return c.json(incidentView(c, row, now, cfg));
  });

  app.get('/api/incidents/:iid/closure', async (c) => {
    const id = pathId(c, 'iid');
    assertRole(c, 'planner');
    const cfg = await ctx.config();
    const out = await incidentClosure(db, id, cfg.closureRadiusM);
    if (!out) throw notFound(`no road or site within ${cfg.closureRadiusM} m of incident ${id}`);
    return c.json({ ...out, closures: out.closedEdgeIds ? { closedEdgeIds: out.closedEdgeIds } : { closedSiteIds: out.closedSiteIds } });
  });
};
