/**
 * Evacuation zones drawn by planners (issue 4): list, read, create, replace, patch, delete.
 * Writes: planner or admin, inside their communities (scope.ts), with If-Match on the version; one transaction
 * each with the change, version + 1, updated_at, the data-version bump and the audit row.
 */
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import { actorOf, audit } from '../auth/index.ts';
import { intArrayLiteral } from '../auth/users.ts';
import type { Db, Queryable } from '../db/index.ts';
import { bumpDataVersion } from '../api/data-version.ts';
import { HAZARDS } from '../domain/hazards.ts';
import { checkGeometry, geomParam, geometrySchema, type Geom } from './geometry.ts';
import {
  assertPlanner, bad, expectedVersion, iso, nameField, notFound, optText, pathId, query, readBody, setEtag, stale, versionField,
} from './http.ts';
import { assertZoneInScope } from './scope.ts';
import type { EditOptions } from './index.ts';

export const MAX_SITE_IDS = 1000;

const siteIdsField = z
  .array(z.number().int().positive().max(2_147_483_647), 'expected an array of site ids')
  .max(MAX_SITE_IDS, `at most ${MAX_SITE_IDS} sites per zone`);
const hazardField = z.enum(HAZARDS, `expected one of ${HAZARDS.join(', ')}`).nullable();

function schemas(o: EditOptions) {
  const geometry = geometrySchema(['Polygon', 'MultiPolygon'], o.maxVertices);
  const full = z.strictObject({
    name: nameField(),
    geometry,
    siteIds: siteIdsField.optional(),
    hazard: hazardField.optional(),
    notes: optText(4000).optional(),
    version: versionField,
  });
  const patch = z
    .strictObject({
      name: nameField().optional(),
      geometry: geometry.optional(),
      siteIds: siteIdsField.optional(),
      hazard: hazardField.optional(),
      notes: optText(4000).optional(),
      version: versionField,
    })
    .refine((b) => Object.keys(b).some((k) => k !== 'version'), 'nothing to change: send at least one of name, geometry, siteIds, hazard, notes');
  return { full, patch };
}

interface ZoneRow {
  id: number;
  name: string;
  geojson: string;
  site_ids: number[];
  hazard: string | null;
  notes: string | null;
  version: number;
  area_m2: number;
  created_at: Date | string;
  updated_at: Date | string;
}

const ZONE_COLUMNS = `id, name, ST_AsGeoJSON(geom, 9) AS geojson, site_ids, hazard, notes, version,
  ST_Area(geom::geography) AS area_m2, created_at, updated_at`;

export function zoneJson(r: ZoneRow) {
  return {
    id: r.id,
    name: r.name,
    geometry: JSON.parse(r.geojson) as Geom,
    siteIds: (r.site_ids ?? []).map(Number),
    hazard: r.hazard,
    notes: r.notes,
    areaM2: Math.round(r.area_m2 * 10) / 10,
    version: r.version,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

async function lockZone(tx: Queryable, id: number): Promise<ZoneRow> {
  const [row] = await tx.query<ZoneRow>(`SELECT ${ZONE_COLUMNS} FROM zones WHERE id = $1 FOR UPDATE`, [id]);
  if (!row) throw notFound(`zone ${id}`);
  return row;
}

/** The distinct site ids, all of which must exist (locked so a concurrent site deletion waits for us). */
async function checkSiteIds(tx: Queryable, ids: number[]): Promise<number[]> {
  const unique = [...new Set(ids)];
  if (!unique.length) return [];
  const rows = await tx.query<{ id: number }>('SELECT id FROM sites WHERE id = ANY($1::text::int[]) FOR SHARE', [intArrayLiteral(unique)]);
  const found = new Set(rows.map((r) => Number(r.id)));
  const missing = unique.filter((i) => !found.has(i));
  if (missing.length) {
    throw bad(`siteIds: no site with id ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ` (and ${missing.length - 10} more)` : ''}`, {
      field: 'siteIds',
      missing,
    });
  }
  return unique;
}

const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(1000),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});

export function registerZones(app: Hono, db: Db, o: EditOptions): void {
  const { full, patch } = schemas(o);

  app.get('/zones', async (c) => {
    const q = query(c, listQuery);
    const rows = await db.query<ZoneRow>(`SELECT ${ZONE_COLUMNS} FROM zones ORDER BY id LIMIT $1 OFFSET $2`, [q.limit + 1, q.offset]);
    const more = rows.length > q.limit;
    const [{ n }] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM zones');
    c.header('Cache-Control', 'no-store');
    return c.json({ zones: rows.slice(0, q.limit).map(zoneJson), total: n, limit: q.limit, offset: q.offset, more });
  });

  app.get('/zones/:id', async (c) => {
    const id = pathId(c);
    const [row] = await db.query<ZoneRow>(`SELECT ${ZONE_COLUMNS} FROM zones WHERE id = $1`, [id]);
    if (!row) throw notFound(`zone ${id}`);
    setEtag(c, row.version);
    c.header('Cache-Control', 'no-store');
    return c.json(zoneJson(row));
  });

  app.post('/zones', async (c) => {
    const user = assertPlanner(c);
    const body = await readBody(c, full);
    await checkGeometry(db, body.geometry, { maxAreaM2: o.maxAreaM2 });
    const actor = actorOf(c);
    const zone = await db.transaction(async (tx) => {
      const g = JSON.stringify(body.geometry);
      await assertZoneInScope(tx, user, geomParam(1), [g], 'the zone');
      const siteIds = await checkSiteIds(tx, body.siteIds ?? []);
      const [{ id }] = await tx.query<{ id: number }>(
        `INSERT INTO zones (name, geom, site_ids, hazard, notes) VALUES ($2, ST_Multi(${geomParam(1)}), $3::text::int[], $4, $5) RETURNING id`,
        [g, body.name, intArrayLiteral(siteIds), body.hazard ?? null, body.notes || null],
      );
      const [row] = await tx.query<ZoneRow>(`SELECT ${ZONE_COLUMNS} FROM zones WHERE id = $1`, [id]);
      const after = zoneJson(row);
      await bumpDataVersion(tx);
      await audit(tx, { ...actor, action: 'create', entity: 'zones', entityId: id, before: null, after });
      return after;
    });
    setEtag(c, zone.version);
    c.header('Location', `/api/zones/${zone.id}`);
    return c.json(zone, 201);
  });

  const update = (mode: 'put' | 'patch') => async (c: Context) => {
    const user = assertPlanner(c);
    const id = pathId(c);
    const body: z.infer<typeof patch> = mode === 'put' ? await readBody(c, full) : await readBody(c, patch);
    const sent = expectedVersion(c, body);
    if (body.geometry) await checkGeometry(db, body.geometry, { maxAreaM2: o.maxAreaM2 });
    const actor = actorOf(c);
    const zone = await db.transaction(async (tx) => {
      const before = await lockZone(tx, id);
      await assertZoneInScope(tx, user, '(SELECT geom FROM zones WHERE id = $1)', [id], `zone ${id}`);
      if (before.version !== sent) throw stale(`zone ${id}`, zoneJson(before), sent);
      // PUT replaces the whole record: fields left out go back to their defaults.
      const next = {
        name: body.name ?? before.name,
        siteIds: body.siteIds !== undefined ? body.siteIds : mode === 'put' ? [] : before.site_ids.map(Number),
        hazard: body.hazard !== undefined ? body.hazard : mode === 'put' ? null : before.hazard,
        notes: body.notes !== undefined ? body.notes || null : mode === 'put' ? null : before.notes,
      };
      const g = body.geometry ? JSON.stringify(body.geometry) : null;
      if (g) await assertZoneInScope(tx, user, geomParam(1), [g], 'the new zone geometry');
      const siteIds = body.siteIds !== undefined ? await checkSiteIds(tx, next.siteIds) : next.siteIds;
      await tx.query(
        `UPDATE zones SET name = $2, geom = COALESCE(ST_Multi(${geomParam(6)}), geom), site_ids = $3::text::int[], hazard = $4, notes = $5,
                version = version + 1, updated_at = now()
          WHERE id = $1`,
        [id, next.name, intArrayLiteral(siteIds), next.hazard, next.notes, g],
      );
      const [row] = await tx.query<ZoneRow>(`SELECT ${ZONE_COLUMNS} FROM zones WHERE id = $1`, [id]);
      const after = zoneJson(row);
      await bumpDataVersion(tx);
      await audit(tx, { ...actor, action: 'update', entity: 'zones', entityId: id, before: zoneJson(before), after });
      return after;
    });
    setEtag(c, zone.version);
    return c.json(zone);
  };
  app.put('/zones/:id', update('put'));
  app.patch('/zones/:id', update('patch'));

  app.delete('/zones/:id', async (c) => {
    const user = assertPlanner(c);
    const id = pathId(c);
    const sent = expectedVersion(c, null);
    const actor = actorOf(c);
    await db.transaction(async (tx) => {
      const before = await lockZone(tx, id);
      await assertZoneInScope(tx, user, '(SELECT geom FROM zones WHERE id = $1)', [id], `zone ${id}`);
      if (before.version !== sent) throw stale(`zone ${id}`, zoneJson(before), sent);
      await tx.query('DELETE FROM zones WHERE id = $1', [id]);
      await bumpDataVersion(tx);
      await audit(tx, { ...actor, action: 'delete', entity: 'zones', entityId: id, before: zoneJson(before), after: null });
    });
    return c.json({ deleted: { id, version: sent } });
  });
}
