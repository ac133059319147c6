/**
 * 民防工作站 (civil-defence work stations): one per community, headed by the community secretary (书记) or director
 * (主任), staffed by residents (source document, DOMAIN.md first section), and the city's progress toward the
 * targets (80 % of communities, then all).
 *
 *   GET    /api/stations[?format=geojson]           public
 *   GET    /api/stations/progress                   public
 *   GET    /api/communities/:id/station             public
 *   POST   /api/communities/:id/station             admin, planner (own communities)
 *   PATCH  /api/communities/:id/station             same; If-Match / body.version
 *   DELETE /api/communities/:id/station             same; If-Match / body.version
 *   GET    /api/ops/config, PUT /api/ops/config     public / admin (If-Match)
 */
import { z } from 'zod';
import { actorOf, audit } from '../auth/index.ts';
import type { Queryable } from '../db/index.ts';
import { configPatchSchema, DEFAULT_CONFIG, loadConfig, mergeConfig } from './config.ts';
import type { Register } from './context.ts';
import {
  assertCommunity,
  assertCommunityExists,
  assertRole,
  communityWrite,
  conflict,
  deleteRecord,
  etag,
  expectedVersion,
  field,
  iso,
  isoDate,
  lockForEdit,
  notFound,
  optText,
  pathId,
  pointExpr,
  pointOf,
  pointSchema,
  pointValues,
  query,
  readBody,
  recordCreated,
  type RecordTable,
  stale,
  text,
  updateRecord,
  versionField,
} from './http.ts';

const staffSchema = z.array(z.object({ name: text(100), duty: optText(200) }).strict()).max(200);

const stationCreate = z
  .object({
    name: text(200),
    headName: text(100),
    headTitle: z.enum(['书记', '主任']),
    staff: staffSchema.default([]),
    contact: optText(100),
    address: optText(300),
    location: pointSchema.nullable().optional(),
    foundedOn: isoDate.nullable().optional(),
    notes: optText(4000),
  })
  .strict();
const stationPatch = stationCreate.partial().extend({ version: versionField }).strict();

const STATION_SELECT = `SELECT s.id, s.community_id, c.name AS community_name, s.name, s.head_name, s.head_title, s.staff, s.contact,
       s.address, ST_X(s.geom) AS lon, ST_Y(s.geom) AS lat, s.founded_on::text AS founded_on, s.notes, s.version,
       s.created_at, s.updated_at
  FROM ops_stations s JOIN communities c ON c.id = s.community_id`;

export function stationView(r: any) {
  return {
    id: r.id,
    communityId: r.community_id,
    communityName: r.community_name,
    name: r.name,
    head: { name: r.head_name, title: r.head_title },
    staff: r.staff ?? [],
    contact: r.contact,
    address: r.address,
    location: pointOf(r),
    foundedOn: r.founded_on,
    notes: r.notes,
    version: r.version,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

const STATION: RecordTable = { entity: 'station', table: 'ops_stations', select: STATION_SELECT, alias: 's', audit: stationView };
/** The station of community `$1`, locked for a write (404, 403, 409 as lockRecord). */
const LOCK_BY_COMMUNITY = `${STATION_SELECT} WHERE s.community_id = $1 FOR UPDATE OF s`;

async function stationOf(db: Queryable, communityId: number, lock = false) {
  const [row] = await db.query(`${STATION_SELECT} WHERE s.community_id = $1${lock ? ' FOR UPDATE OF s' : ''}`, [communityId]);
  return row ?? null;
}

export const registerStations: Register = (app, ctx) => {
  const { db } = ctx;

  app.get('/api/ops/config', async (c) => {
    const { config, overrides, version } = await loadConfig(db, ctx.fixedConfig);
    etag(c, version);
    return c.json({ config, overrides, defaults: DEFAULT_CONFIG, version });
  });

  app.put('/api/ops/config', async (c) => {
    assertRole(c, 'admin');
    const body = await readBody(c, z.object({ overrides: configPatchSchema, version: versionField }).strict());
    const sent = expectedVersion(c, body);
    // the result must be a valid configuration
    mergeConfig(mergeConfig(DEFAULT_CONFIG, ctx.fixedConfig), body.overrides);
    const out = await db.transaction(async (tx) => {
      const [cur] = await tx.query('SELECT config, version FROM ops_config WHERE id = 1 FOR UPDATE');
      if (cur.version !== sent) throw stale('settings', cur.version, sent);
      const [row] = await tx.query(
        'UPDATE ops_config SET config = $1::text::jsonb, version = version + 1, updated_at = now() WHERE id = 1 RETURNING config, version',
        [JSON.stringify(body.overrides)],
      );
      await audit(tx, { ...actorOf(c), action: 'update', entity: 'ops_config', entityId: 1, before: cur.config, after: row.config });
      return row;
    });
    etag(c, out.version);
    return c.json({ config: (await loadConfig(db, ctx.fixedConfig)).config, overrides: out.config, version: out.version });
  });

  app.get('/api/stations', async (c) => {
    const q = query(c, z.object({ format: z.enum(['json', 'geojson']).default('json') }));
    const rows = (await db.query(`${STATION_SELECT} ORDER BY s.community_id`)).map(stationView);
    if (q.format === 'geojson') {
      return c.json({
        type: 'FeatureCollection',
        features: rows
          .filter((s) => s.location)
          .map((s) => ({ type: 'Feature', id: s.id, geometry: { type: 'Point', coordinates: [s.location!.lon, s.location!.lat] }, properties: { ...s, location: undefined } })),
      });
    }
    return c.json({ stations: rows });
  });

  app.get('/api/stations/progress', async (c) => {
    const cfg = await ctx.config();
    const [r] = await db.query<{ communities: number; with_station: number }>(
      `SELECT count(*)::int AS communities, count(s.id)::int AS with_station
         FROM communities c LEFT JOIN ops_stations s ON s.community_id = c.id
        WHERE c.kind = ANY($1::text::text[])`,
      [`{${cfg.progressKinds.join(',')}}`],
    );
    const today = ctx.today();
    const share = r.communities ? r.with_station / r.communities : 0;
    const without = await db.query<{ id: number; name: string }>(
      `SELECT c.id, c.name FROM communities c WHERE c.kind = ANY($1::text::text[])
          AND NOT EXISTS (SELECT 1 FROM ops_stations s WHERE s.community_id = c.id) ORDER BY c.id LIMIT 1000`,
      [`{${cfg.progressKinds.join(',')}}`],
    );
    return c.json({
      communities: r.communities,
      withStation: r.with_station,
      share: Math.round(share * 1e4) / 1e4,
      today,
      targets: cfg.stationTargets.map((t) => {
        const met = r.communities > 0 && r.with_station >= Math.ceil(t.share * r.communities - 1e-9);
        return {
          ...t,
          met,
          stationsNeeded: Math.max(0, Math.ceil(t.share * r.communities - 1e-9) - r.with_station),
          overdue: !met && t.deadline !== null && today > t.deadline,
        };
      }),
      communitiesWithout: without,
    });
  });

  app.get('/api/communities/:id/station', async (c) => {
    const cid = pathId(c);
    await assertCommunityExists(db, cid);
    const row = await stationOf(db, cid);
    if (!row) throw notFound(`station of community ${cid}`);
    etag(c, row.version);
    return c.json(stationView(row));
  });

  app.post('/api/communities/:id/station', async (c) => {
    const { cid, b } = await communityWrite(c, db, stationCreate);
    const view = await db.transaction(async (tx) => {
      const [ins] = await tx.query(
        `INSERT INTO ops_stations (community_id, name, head_name, head_title, staff, contact, address, geom, founded_on, notes)
         VALUES ($1, $2, $3, $4, $5::text::jsonb, $6, $7, ${pointExpr(['$8', '$9'])}, $10::date, $11)
         ON CONFLICT (community_id) DO NOTHING RETURNING id`,
        [cid, b.name, b.headName, b.headTitle, JSON.stringify(b.staff), b.contact ?? null, b.address ?? null, b.location?.lon ?? null, b.location?.lat ?? null, b.foundedOn ?? null, b.notes ?? null],
      );
      if (!ins) throw conflict('exists', `community ${cid} already has a station (one per community)`);
      return stationView(await recordCreated(tx, c, STATION, ins.id));
    });
    etag(c, view.version);
    return c.json(view, 201);
  });

  app.patch('/api/communities/:id/station', async (c) => {
    const cid = pathId(c);
    assertRole(c, 'planner');
    assertCommunity(c, cid);
    const b = await readBody(c, stationPatch);
    const sent = expectedVersion(c, b);
    const view = await db.transaction(async (tx) => {
      const before = await lockForEdit<any>(tx, c, 'station', LOCK_BY_COMMUNITY, [cid], sent);
      const after = await updateRecord(tx, c, STATION, before, [
        field(b, 'name', 'name'),
        field(b, 'headName', 'head_name'),
        field(b, 'headTitle', 'head_title'),
        field(b, 'staff', 'staff', (v) => [JSON.stringify(v)], (p) => `${p[0]}::text::jsonb`),
        field(b, 'contact', 'contact'),
        field(b, 'address', 'address'),
        field(b, 'location', 'geom', pointValues, pointExpr),
        field(b, 'foundedOn', 'founded_on', (v) => [v], (p) => `${p[0]}::date`),
        field(b, 'notes', 'notes'),
      ]);
      return stationView(after);
    });
    etag(c, view.version);
    return c.json(view);
  });

  app.delete('/api/communities/:id/station', async (c) => {
    const cid = pathId(c);
    assertRole(c, 'planner');
    assertCommunity(c, cid);
    const sent = expectedVersion(c, null);
    await db.transaction(async (tx) => deleteRecord(tx, c, STATION, await lockForEdit<any>(tx, c, 'station', LOCK_BY_COMMUNITY, [cid], sent)));
    return c.body(null, 204);
  });
};
