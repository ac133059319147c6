/**
 * Volunteer emergency teams: "a core of 5–7 and 10–20 members in total, trained and drilled" per community
 * (source document, DOMAIN.md first section). Phones and home buildings are personal: only admins and the
 * community's planners see them (issue 6); everybody else gets the member without them.
 *
 *   GET    /api/communities/:id/volunteers           public (redacted)  → team rule check + members
 *   POST   /api/communities/:id/volunteers           admin, planner (own communities)
 *   GET    /api/volunteers/team-check[?onlyViolations=1]   public: every community against the rule
 *   GET    /api/volunteers/:vid                      public (redacted)
 *   PATCH  /api/volunteers/:vid, DELETE              admin, planner; If-Match
 *   GET    /api/volunteers/:vid/attendance           public
 *   POST   /api/volunteers/:vid/attendance           admin, planner
 *   DELETE /api/volunteers/:vid/attendance/:aid      admin, planner
 */
import type { Context } from 'hono';
import { z } from 'zod';
import { actorOf, audit } from '../auth/index.ts';
import type { Queryable } from '../db/index.ts';
import { teamRuleFor } from './config.ts';
import type { Register } from './context.ts';
import {
  assertCommunity,
  assertCommunityExists,
  assertRole,
  bad,
  communityWrite,
  deleteRoute,
  etag,
  expectedVersion,
  field,
  iso,
  isoDate,
  lockRecord,
  notFound,
  optText,
  pathId,
  phoneSchema,
  query,
  readBody,
  readRecord,
  recordCreated,
  type RecordTable,
  seesPrivate,
  text,
  textArrayLiteral,
  updateRecord,
  versionField,
} from './http.ts';
import { checkTeam } from './rules.ts';

const volunteerCreate = z
  .object({
    name: text(100),
    role: z.enum(['core', 'member']),
    skills: z.array(text(50)).max(30).default([]),
    homeBuildingId: z.number().int().positive().max(2_147_483_647).nullable().optional(),
    phone: phoneSchema.nullable().optional(),
    maxDuties: z.number().int().min(0).max(50).default(2),
    active: z.boolean().default(true),
    joinedOn: isoDate.nullable().optional(),
  })
  .strict();
const volunteerPatch = z
  .object({
    name: text(100),
    role: z.enum(['core', 'member']),
    skills: z.array(text(50)).max(30),
    homeBuildingId: z.number().int().positive().max(2_147_483_647).nullable(),
    phone: phoneSchema.nullable(),
    maxDuties: z.number().int().min(0).max(50),
    active: z.boolean(),
    joinedOn: isoDate.nullable(),
    version: versionField,
  })
  .partial()
  .strict();

const attendanceCreate = z
  .object({
    kind: z.enum(['training', 'drill']),
    date: isoDate,
    drillId: z.number().int().positive().max(2_147_483_647).nullable().optional(),
    topic: optText(300),
    hours: z.number().min(0).max(240).nullable().optional(),
  })
  .strict();

const VOL_SELECT = `SELECT v.id, v.community_id, v.name, v.role, v.skills, v.home_building_id, v.phone, v.max_duties, v.active,
       v.joined_on::text AS joined_on, v.version, v.created_at, v.updated_at,
       (SELECT count(*)::int FROM ops_volunteer_attendance a WHERE a.volunteer_id = v.id AND a.kind = 'training') AS trainings,
       (SELECT count(*)::int FROM ops_volunteer_attendance a WHERE a.volunteer_id = v.id AND a.kind = 'drill') AS drills,
       (SELECT max(a.attended_on)::text FROM ops_volunteer_attendance a WHERE a.volunteer_id = v.id) AS last_attended
  FROM ops_volunteers v`;
const VOLUNTEER: RecordTable = { entity: 'volunteer', table: 'ops_volunteers', select: VOL_SELECT, alias: 'v', audit: fullView };

/** The full record (audit log, authorised readers). */
function fullView(r: any) {
  return {
    id: r.id,
    communityId: r.community_id,
    name: r.name,
    role: r.role as 'core' | 'member',
    skills: r.skills ?? [],
    homeBuildingId: r.home_building_id,
    phone: r.phone,
    maxDuties: r.max_duties,
    active: r.active,
    joinedOn: r.joined_on,
    attendance: { trainings: r.trainings ?? 0, drills: r.drills ?? 0, last: r.last_attended ?? null },
    version: r.version,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

/** Without personal data (phone, home building) unless the caller is an admin or the community's planner. */
export function volunteerView(c: Context, r: any) {
  const v = fullView(r);
  if (seesPrivate(c, r.community_id)) return v;
  const { phone: _p, homeBuildingId: _h, ...pub } = v;
  return pub;
}

async function checkBuilding(db: Queryable, id: number | null | undefined) {
  if (id === null || id === undefined) return;
  const [b] = await db.query('SELECT id FROM buildings WHERE id = $1', [id]);
  if (!b) throw bad(`homeBuildingId: no building ${id}`);
}

/** Active members' counts and the rule check for each community (all communities, or the given ones). */
export async function teamChecks(db: Queryable, cfg: Parameters<typeof teamRuleFor>[0], communityIds: number[] | null = null) {
  const rows = await db.query<{ id: number; name: string; core: number; total: number }>(
    `SELECT c.id, c.name,
            count(v.id) FILTER (WHERE v.role = 'core')::int AS core,
            count(v.id)::int AS total
       FROM communities c LEFT JOIN ops_volunteers v ON v.community_id = c.id AND v.active
      WHERE ($1::text IS NULL OR c.id = ANY($1::text::int[]))
      GROUP BY c.id, c.name ORDER BY c.id`,
    [communityIds ? `{${communityIds.join(',')}}` : null],
  );
  return rows.map((r) => {
    const rule = teamRuleFor(cfg, r.id);
    return { communityId: r.id, communityName: r.name, core: r.core, total: r.total, rule, ...checkTeam(r.core, r.total, rule) };
  });
}

/**
 * The engine's guide roster (issue 3, guides): active volunteers with a home building, `maxDuties` each.
 * Optionally only some communities'.
 */
export async function volunteersForEngine(db: Queryable, communityIds?: number[]): Promise<{ id: number; name: string; homeBuildingId: number; maxDuties: number }[]> {
  const rows = await db.query<{ id: number; name: string; home_building_id: number; max_duties: number }>(
    `SELECT v.id, v.name, v.home_building_id, v.max_duties FROM ops_volunteers v
      WHERE v.active AND v.home_building_id IS NOT NULL AND v.max_duties > 0
        AND ($1::text IS NULL OR v.community_id = ANY($1::text::int[]))
      ORDER BY v.id`,
    [communityIds ? `{${communityIds.map((n) => Math.trunc(n)).join(',')}}` : null],
  );
  return rows.map((r) => ({ id: r.id, name: r.name, homeBuildingId: r.home_building_id, maxDuties: r.max_duties }));
}

export const registerVolunteers: Register = (app, ctx) => {
  const { db } = ctx;

  app.get('/api/communities/:id/volunteers', async (c) => {
    const cid = pathId(c);
    await assertCommunityExists(db, cid);
    const cfg = await ctx.config();
    const [check] = await teamChecks(db, cfg, [cid]);
    const rows = await db.query(`${VOL_SELECT} WHERE v.community_id = $1 ORDER BY v.role, v.id`, [cid]);
    return c.json({ ...check, volunteers: rows.map((r) => volunteerView(c, r)) });
  });

  app.get('/api/volunteers/team-check', async (c) => {
    const q = query(c, z.object({ onlyViolations: z.enum(['0', '1', 'true', 'false']).optional() }));
    const all = await teamChecks(db, await ctx.config());
    const only = q.onlyViolations === '1' || q.onlyViolations === 'true';
    const list = only ? all.filter((t) => !t.ok) : all;
    return c.json({ communities: list.length, violating: all.filter((t) => !t.ok).length, checks: list });
  });

  app.post('/api/communities/:id/volunteers', async (c) => {
    const { cid, b } = await communityWrite(c, db, volunteerCreate);
    await checkBuilding(db, b.homeBuildingId);
    const row = await db.transaction(async (tx) => {
      const [ins] = await tx.query(
        `INSERT INTO ops_volunteers (community_id, name, role, skills, home_building_id, phone, max_duties, active, joined_on)
         VALUES ($1, $2, $3, $4::text::text[], $5, $6, $7, $8, $9::date) RETURNING id`,
        [cid, b.name, b.role, textArrayLiteral(b.skills), b.homeBuildingId ?? null, b.phone ?? null, b.maxDuties, b.active, b.joinedOn ?? null],
      );
      return recordCreated(tx, c, VOLUNTEER, ins.id);
    });
    etag(c, row.version);
    return c.json(volunteerView(c, row), 201);
  });

  app.get('/api/volunteers/:vid', async (c) => {
    const id = pathId(c, 'vid');
    const r = await readRecord(db, VOLUNTEER, id);
    if (!r) throw notFound(`volunteer ${id}`);
    etag(c, r.version);
    return c.json(volunteerView(c, r));
  });

  app.patch('/api/volunteers/:vid', async (c) => {
    const id = pathId(c, 'vid');
    assertRole(c, 'planner');
    const b = await readBody(c, volunteerPatch);
    const sent = expectedVersion(c, b);
    await checkBuilding(db, b.homeBuildingId);
    const row = await db.transaction(async (tx) =>
      updateRecord(tx, c, VOLUNTEER, await lockRecord(tx, c, VOLUNTEER, id, sent), [
        field(b, 'name', 'name'),
        field(b, 'role', 'role'),
        field(b, 'skills', 'skills', (v) => [textArrayLiteral(v)], (p) => `${p[0]}::text::text[]`),
        field(b, 'homeBuildingId', 'home_building_id'),
        field(b, 'phone', 'phone'),
        field(b, 'maxDuties', 'max_duties'),
        field(b, 'active', 'active', (v) => [v], (p) => `${p[0]}::boolean`),
        field(b, 'joinedOn', 'joined_on', (v) => [v], (p) => `${p[0]}::date`),
      ]),
    );
    etag(c, row.version);
    return c.json(volunteerView(c, row));
  });

  deleteRoute(app, db, '/api/volunteers/:vid', 'vid', VOLUNTEER);

  app.get('/api/volunteers/:vid/attendance', async (c) => {
    const id = pathId(c, 'vid');
    const [v] = await db.query('SELECT id FROM ops_volunteers WHERE id = $1', [id]);
    if (!v) throw notFound(`volunteer ${id}`);
    const rows = await db.query(
      `SELECT id, kind, attended_on::text AS date, drill_id, topic, hours FROM ops_volunteer_attendance
        WHERE volunteer_id = $1 ORDER BY attended_on DESC, id DESC`,
      [id],
    );
    return c.json({ volunteerId: id, attendance: rows.map((r) => ({ id: r.id, kind: r.kind, date: r.date, drillId: r.drill_id, topic: r.topic, hours: r.hours })) });
  });

  app.post('/api/volunteers/:vid/attendance', async (c) => {
    const id = pathId(c, 'vid');
    assertRole(c, 'planner');
    const b = await readBody(c, attendanceCreate);
    const out = await db.transaction(async (tx) => {
      const [v] = await tx.query('SELECT id, community_id FROM ops_volunteers WHERE id = $1 FOR UPDATE', [id]);
      if (!v) throw notFound(`volunteer ${id}`);
      assertCommunity(c, v.community_id);
      if (b.drillId) {
        const [d] = await tx.query('SELECT id FROM ops_drills WHERE id = $1 AND community_id = $2', [b.drillId, v.community_id]);
        if (!d) throw bad(`drillId: no drill ${b.drillId} in community ${v.community_id}`);
      }
      const [r] = await tx.query(
        `INSERT INTO ops_volunteer_attendance (volunteer_id, kind, attended_on, drill_id, topic, hours)
         VALUES ($1, $2, $3::date, $4, $5, $6) RETURNING id, kind, attended_on::text AS date, drill_id, topic, hours`,
        [id, b.kind, b.date, b.drillId ?? null, b.topic ?? null, b.hours ?? null],
      );
      const view = { id: r.id, volunteerId: id, kind: r.kind, date: r.date, drillId: r.drill_id, topic: r.topic, hours: r.hours };
      await audit(tx, { ...actorOf(c), action: 'create', entity: 'ops_volunteer_attendance', entityId: r.id, after: view });
      return view;
    });
    return c.json(out, 201);
  });

  app.delete('/api/volunteers/:vid/attendance/:aid', async (c) => {
    const id = pathId(c, 'vid');
    const aid = pathId(c, 'aid');
    assertRole(c, 'planner');
    await db.transaction(async (tx) => {
      const [r] = await tx.query(
        `SELECT a.id, a.kind, a.attended_on::text AS date, v.community_id FROM ops_volunteer_attendance a
           JOIN ops_volunteers v ON v.id = a.volunteer_id WHERE a.id = $1 AND a.volunteer_id = $2 FOR UPDATE OF a`,
        [aid, id],
      );
      if (!r) throw notFound(`attendance ${aid}`);
      assertCommunity(c, r.community_id);
      await tx.query('DELETE FROM ops_volunteer_attendance WHERE id = $1', [aid]);
      await audit(tx, { ...actorOf(c), action: 'delete', entity: 'ops_volunteer_attendance', entityId: aid, before: r });
    });
    return c.body(null, 204);
  });
};
