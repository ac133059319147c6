/**
 * Evacuation sites added and edited by planners (issue 4): read, create, patch, delete.
 *
 * Area, effective area and capacity follow the importer (server/import/load.ts computeSites) and the domain rules
 * (server/domain/capacity.ts):
 *  - area_m2: ST_Area on geography for polygons; for points the area listed by the site's source list, else 0;
 *  - effective area: the planner's `effectiveAreaM2` when given (kept in props.planner_effective_area_m2 and used
 *    until cleared with null), else the listed area, else effectiveArea() of the domain — open sites lose the
 *    buildings inside them (measured now), the water the importer measured (props.water_m2, kept when the
 *    geometry is redrawn: water polygons are not stored, and keeping it errs on the low side) and the unmapped-
 *    obstacle share; civil-defence works count their whole (floor) area;
 *  - capacity: siteCapacity() — a capacity listed by the source list wins, else effective area ÷ m² per person;
 *  - capacity_override: the planner's figure, which plans use instead (null clears it).
 * A point site cannot be measured: it needs capacityOverride or effectiveAreaM2 (or a listed area / capacity).
 * Deleting a site also removes its id from zones.site_ids (bumping those zones' versions), in one transaction.
 */
import type { Hono } from 'hono';
import { z } from 'zod';
import { actorOf, audit } from '../auth/index.ts';
import type { Db, Queryable } from '../db/index.ts';
import { bumpDataVersion } from '../api/data-version.ts';
import { effectiveArea, effectiveCapacity, siteCapacity, type SiteLevel } from '../domain/capacity.ts';
import { HAZARDS, SITE_KINDS, type SiteKind } from '../domain/hazards.ts';
import { checkGeometry, geomParam, geometrySchema, type Geom } from './geometry.ts';
import { assertPlanner, bad, expectedVersion, iso, nameField, notFound, optText, pathId, readBody, setEtag, stale, versionField } from './http.ts';
import { assertCommunity, communityOf } from './scope.ts';
import type { EditOptions } from './index.ts';

const MAX_CAPACITY = 10_000_000;
const MAX_EFFECTIVE_AREA_M2 = 100 * 1_000_000;

const kindField = z.enum(SITE_KINDS, `expected one of ${SITE_KINDS.join(', ')}`);
const levelField = z.enum(['emergency', 'fixed'], 'expected emergency or fixed');
const statusField = z.enum(['open', 'closed'], 'expected open or closed');
const hazardsField = z
  .array(z.enum(HAZARDS, `expected one of ${HAZARDS.join(', ')}`), 'expected an array of hazards')
  .max(HAZARDS.length * 2)
  .transform((a) => [...new Set(a)]);
const capacityOverrideField = z.number('expected a whole number of people or null').int('must be a whole number').min(0).max(MAX_CAPACITY).nullable();
const effectiveAreaField = z.number('expected square metres or null').finite().min(0).max(MAX_EFFECTIVE_AREA_M2).nullable();

function schemas(o: EditOptions) {
  const geometry = geometrySchema(['Point', 'Polygon', 'MultiPolygon'], o.maxVertices);
  const create = z.strictObject({
    name: nameField(),
    kind: kindField,
    level: levelField,
    geometry,
    status: statusField.optional(),
    hazards: hazardsField.optional(),
    capacityOverride: capacityOverrideField.optional(),
    effectiveAreaM2: effectiveAreaField.optional(),
    designated: z.boolean('expected true or false').optional(),
    address: optText(500).optional(),
  });
  const patch = z
    .strictObject({
      name: nameField().optional(),
      kind: kindField.optional(),
      level: levelField.optional(),
      geometry: geometry.optional(),
      status: statusField.optional(),
      hazards: hazardsField.optional(),
      capacityOverride: capacityOverrideField.optional(),
      effectiveAreaM2: effectiveAreaField.optional(),
      designated: z.boolean('expected true or false').optional(),
      address: optText(500).optional(),
      version: versionField,
    })
    .refine((b) => Object.keys(b).some((k) => k !== 'version'), 'nothing to change: send at least one field');
  return { create, patch };
}

interface SiteRow {
  id: number;
  name: string | null;
  kind: SiteKind;
  level: SiteLevel;
  status: 'open' | 'closed';
  hazards: string[];
  designated: boolean;
  address: string | null;
  source: string;
  geojson: string;
  area_m2: number;
  effective_area_m2: number | null;
  capacity: number;
  capacity_override: number | null;
  community_id: number | null;
  props: Record<string, unknown>;
  version: number;
  updated_at: Date | string;
}

const SITE_COLUMNS = `id, name, kind, level, status, hazards, designated, address, source, ST_AsGeoJSON(geom, 9) AS geojson, area_m2,
  effective_area_m2, capacity, capacity_override, community_id, props, version, updated_at`;

const num = (v: unknown): number | null => (v === null || v === undefined || v === '' || !Number.isFinite(Number(v)) ? null : Number(v));
const round1 = (x: number | null) => (x === null ? null : Math.round(x * 10) / 10);

function effectiveAreaSource(r: Pick<SiteRow, 'props' | 'kind'>): 'planner' | 'listed' | 'computed' {
  if (num(r.props?.planner_effective_area_m2) !== null) return 'planner';
  if (num(r.props?.listed_area_m2) !== null) return 'listed';
  return 'computed';
}

export function siteJson(r: SiteRow) {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    level: r.level,
    status: r.status,
    hazards: r.hazards ?? [],
    designated: r.designated,
    address: r.address,
    source: r.source,
    geometry: JSON.parse(r.geojson) as Geom,
    areaM2: round1(r.area_m2),
    effectiveAreaM2: round1(r.effective_area_m2),
    effectiveAreaSource: effectiveAreaSource(r),
    capacity: r.capacity,
    capacityOverride: r.capacity_override,
    effectiveCapacity: effectiveCapacity(r),
    listedCapacity: num(r.props?.listed_capacity),
    communityId: r.community_id,
    version: r.version,
    updatedAt: iso(r.updated_at),
  };
}

interface Measured {
  areaM2: number;
  buildingsM2: number;
  communityId: number | null;
}

/** Area on the spheroid, the buildings' footprint inside, and the community, for a geometry (`$1` GeoJSON). */
async function measure(tx: Queryable, g: Geom): Promise<Measured> {
  const [row] = await tx.query<{ area_m2: number; buildings_m2: number }>(
    `SELECT CASE WHEN GeometryType(g) IN ('POLYGON', 'MULTIPOLYGON') THEN ST_Area(g::geography) ELSE 0 END AS area_m2,
            CASE WHEN GeometryType(g) IN ('POLYGON', 'MULTIPOLYGON')
                 THEN COALESCE((SELECT ST_Area(ST_Intersection(g, ST_Union(b.geom))::geography)
                                  FROM buildings b WHERE b.geom && g AND ST_Intersects(b.geom, g)), 0)
                 ELSE 0 END AS buildings_m2
       FROM (SELECT ${geomParam(1)} AS g) s`,
    [JSON.stringify(g)],
  );
  const communityId = await communityOf(tx, geomParam(1), [JSON.stringify(g)]);
  return { areaM2: Number(row.area_m2) || 0, buildingsM2: Number(row.buildings_m2) || 0, communityId };
}

interface SiteState {
  kind: SiteKind;
  level: SiteLevel;
  isPoint: boolean;
  areaM2: number; // measured polygon area (0 for points)
  buildingsM2: number;
  props: Record<string, unknown>;
  capacityOverride: number | null;
}

/** Area, effective area and capacity by the importer's rules and the domain functions. */
function computeCapacity(s: SiteState, o: EditOptions) {
  const listedArea = num(s.props.listed_area_m2);
  const listedCapacity = num(s.props.listed_capacity);
  const plannerArea = num(s.props.planner_effective_area_m2);
  const areaM2 = s.isPoint ? listedArea ?? 0 : s.areaM2;
  const eff =
    plannerArea ??
    listedArea ??
    effectiveArea({ kind: s.kind, areaM2, buildingsM2: s.buildingsM2, waterM2: num(s.props.water_m2) ?? 0 }, o.capacity);
  const capacity = siteCapacity({ kind: s.kind, level: s.level, effectiveAreaM2: eff, listedCapacity }, o.capacity);
  if (s.isPoint && s.capacityOverride === null && plannerArea === null && listedArea === null && listedCapacity === null) {
    throw bad('a point site has no area to compute its capacity from: send capacityOverride (people) or effectiveAreaM2 (m²), or draw it as a polygon', {
      field: 'capacityOverride',
    });
  }
  return { areaM2, effectiveAreaM2: eff, capacity };
}

async function lockSite(tx: Queryable, id: number): Promise<SiteRow> {
  const [row] = await tx.query<SiteRow>(`SELECT ${SITE_COLUMNS} FROM sites WHERE id = $1 FOR UPDATE`, [id]);
  if (!row) throw notFound(`site ${id}`);
  return row;
}

/** Polygons are stored as MultiPolygons, as the importer stores them; points stay points. */
const storedGeom = (n: number) => `(SELECT CASE WHEN GeometryType(g) = 'POLYGON' THEN ST_Multi(g) ELSE g END FROM (SELECT ${geomParam(n)} AS g) s)`;

const readSite = async (q: Queryable, id: number) => (await q.query<SiteRow>(`SELECT ${SITE_COLUMNS} FROM sites WHERE id = $1`, [id]))[0];

export function registerSites(app: Hono, db: Db, o: EditOptions): void {
  const { create, patch } = schemas(o);

  app.get('/sites/:id', async (c) => {
    const id = pathId(c);
    const row = await readSite(db, id);
    if (!row) throw notFound(`site ${id}`);
    setEtag(c, row.version);
    c.header('Cache-Control', 'no-store');
    return c.json(siteJson(row));
  });

  app.post('/sites', async (c) => {
    const user = assertPlanner(c);
    const body = await readBody(c, create);
    await checkGeometry(db, body.geometry, { maxAreaM2: o.maxAreaM2 });
    const actor = actorOf(c);
    const site = await db.transaction(async (tx) => {
      const m = await measure(tx, body.geometry);
      assertCommunity(user, m.communityId, 'the new site');
      const props: Record<string, unknown> = {};
      if (body.effectiveAreaM2 != null) props.planner_effective_area_m2 = body.effectiveAreaM2;
      const cap = computeCapacity(
        {
          kind: body.kind,
          level: body.level,
          isPoint: body.geometry.type === 'Point',
          areaM2: m.areaM2,
          buildingsM2: m.buildingsM2,
          props,
          capacityOverride: body.capacityOverride ?? null,
        },
        o,
      );
      if (body.geometry.type !== 'Point' && body.kind !== 'civil_defence_work') props.buildings_m2 = m.buildingsM2;
      const [{ id }] = await tx.query<{ id: number }>(
        `INSERT INTO sites (source, name, kind, level, geom, area_m2, effective_area_m2, capacity, capacity_override, status, hazards,
                            designated, address, community_id, props)
         VALUES ('manual', $2, $3, $4, ${storedGeom(1)}, $5, $6, $7, $8, $9, $10::text[], $11, $12, $13, $14::text::jsonb)
         RETURNING id`,
        [
          JSON.stringify(body.geometry),
          body.name,
          body.kind,
          body.level,
          cap.areaM2,
          cap.effectiveAreaM2,
          cap.capacity,
          body.capacityOverride ?? null,
          body.status ?? 'open',
          body.hazards ?? [],
          body.designated ?? true,
          body.address || null,
          m.communityId,
          JSON.stringify(props),
        ],
      );
      const after = siteJson(await readSite(tx, id));
      await bumpDataVersion(tx);
      await audit(tx, { ...actor, action: 'create', entity: 'sites', entityId: id, before: null, after });
      return after;
    });
    setEtag(c, site.version);
    c.header('Location', `/api/sites/${site.id}`);
    return c.json(site, 201);
  });

  app.patch('/sites/:id', async (c) => {
    const user = assertPlanner(c);
    const id = pathId(c);
    const body = await readBody(c, patch);
    const sent = expectedVersion(c, body);
    if (body.geometry) await checkGeometry(db, body.geometry, { maxAreaM2: o.maxAreaM2 });
    const actor = actorOf(c);
    const site = await db.transaction(async (tx) => {
      const before = await lockSite(tx, id);
      assertCommunity(user, before.community_id, `site ${id}`);
      if (before.version !== sent) throw stale(`site ${id}`, siteJson(before), sent);

      const geometry = body.geometry ?? (JSON.parse(before.geojson) as Geom);
      const kind = body.kind ?? before.kind;
      const level = body.level ?? before.level;
      const props: Record<string, unknown> = { ...(before.props ?? {}) };
      if (body.effectiveAreaM2 !== undefined) {
        if (body.effectiveAreaM2 === null) delete props.planner_effective_area_m2;
        else props.planner_effective_area_m2 = body.effectiveAreaM2;
      }
      const capacityOverride = body.capacityOverride !== undefined ? body.capacityOverride : before.capacity_override;

      let communityId = before.community_id;
      let areaM2: number;
      let buildingsM2: number;
      if (body.geometry) {
        const m = await measure(tx, body.geometry);
        communityId = m.communityId;
        assertCommunity(user, communityId, 'the site at its new place');
        areaM2 = m.areaM2;
        buildingsM2 = m.buildingsM2;
        if (geometry.type !== 'Point' && kind !== 'civil_defence_work') props.buildings_m2 = buildingsM2;
        else delete props.buildings_m2;
      } else {
        areaM2 = geometry.type === 'Point' ? 0 : before.area_m2;
        buildingsM2 = num(props.buildings_m2) ?? 0;
        if (kind !== 'civil_defence_work' && geometry.type !== 'Point' && num(props.buildings_m2) === null && body.kind !== undefined) {
          // switching a civil-defence work to an open kind: measure the buildings now
          buildingsM2 = (await measure(tx, geometry)).buildingsM2;
          props.buildings_m2 = buildingsM2;
        }
      }
      const cap = computeCapacity({ kind, level, isPoint: geometry.type === 'Point', areaM2, buildingsM2, props, capacityOverride }, o);

      await tx.query(
        `UPDATE sites SET name = $2, kind = $3, level = $4, geom = COALESCE(${storedGeom(5)}, geom), area_m2 = $6, effective_area_m2 = $7,
                capacity = $8, capacity_override = $9, status = $10, hazards = $11::text[], designated = $12, address = $13,
                community_id = $14, props = $15::text::jsonb, version = version + 1, updated_at = now()
          WHERE id = $1`,
        [
          id,
          body.name ?? before.name,
          kind,
          level,
          body.geometry ? JSON.stringify(body.geometry) : null,
          cap.areaM2,
          cap.effectiveAreaM2,
          cap.capacity,
          capacityOverride,
          body.status ?? before.status,
          body.hazards ?? before.hazards ?? [],
          body.designated ?? before.designated,
          body.address !== undefined ? body.address || null : before.address,
          communityId,
          JSON.stringify(props),
        ],
      );
      const after = siteJson(await readSite(tx, id));
      await bumpDataVersion(tx);
      await audit(tx, { ...actor, action: 'update', entity: 'sites', entityId: id, before: siteJson(before), after });
      return after;
    });
    setEtag(c, site.version);
    return c.json(site);
  });

  app.delete('/sites/:id', async (c) => {
    const user = assertPlanner(c);
    const id = pathId(c);
    const sent = expectedVersion(c, null);
    const actor = actorOf(c);
    const zones = await db.transaction(async (tx) => {
      const before = await lockSite(tx, id);
      assertCommunity(user, before.community_id, `site ${id}`);
      if (before.version !== sent) throw stale(`site ${id}`, siteJson(before), sent);
      const zonesBefore = await tx.query<{ id: number; version: number; site_ids: number[] }>(
        'SELECT id, version, site_ids FROM zones WHERE $1::int = ANY(site_ids) ORDER BY id FOR UPDATE',
        [id],
      );
      const changed = await tx.query<{ id: number; version: number; site_ids: number[] }>(
        `UPDATE zones SET site_ids = array_remove(site_ids, $1::int), version = version + 1, updated_at = now()
          WHERE $1::int = ANY(site_ids) RETURNING id, version, site_ids`,
        [id],
      );
      await tx.query('DELETE FROM sites WHERE id = $1', [id]);
      await bumpDataVersion(tx);
      await audit(tx, { ...actor, action: 'delete', entity: 'sites', entityId: id, before: siteJson(before), after: null });
      for (const z of zonesBefore) {
        const now = changed.find((x) => x.id === z.id)!;
        await audit(tx, {
          ...actor,
          action: 'update',
          entity: 'zones',
          entityId: z.id,
          before: { version: z.version, siteIds: (z.site_ids ?? []).map(Number) },
          after: { version: now.version, siteIds: (now.site_ids ?? []).map(Number), reason: `site ${id} deleted` },
        });
      }
      return changed.map((z) => ({ id: z.id, version: z.version, siteIds: (z.site_ids ?? []).map(Number) }));
    });
    return c.json({ deleted: { id, version: sent }, zonesChanged: zones });
  });
}
