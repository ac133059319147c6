/**
 * Equipment for "calling for help, escape, fire-fighting, anti-chemical protection, first aid and rescue"
 * (source document, DOMAIN.md first section: evacuation sites item 3), held by a community's station or at a
 * site, against a minimum list (the city default, or the community's own). Missing and expired items are listed.
 *
 *   GET    /api/communities/:id/equipment            public: inventory + effective minimums + status
 *   POST   /api/communities/:id/equipment            admin, planner (own communities)
 *   PATCH  /api/equipment/:eid, DELETE               admin, planner; If-Match
 *   GET    /api/equipment/status                      public: every community's missing / expired counts
 *   GET    /api/equipment/minimums                    public: the city default list
 *   PUT    /api/equipment/minimums                    admin (If-Match once the list exists)
 *   GET    /api/communities/:id/equipment/minimums    public: effective list and where it comes from
 *   PUT    /api/communities/:id/equipment/minimums    admin, planner (own); DELETE → back to the city default
 */
import { z } from 'zod';
import { actorOf, audit } from '../auth/index.ts';
import type { Db, Queryable } from '../db/index.ts';
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
  readBody,
  recordCreated,
  type RecordTable,
  stale,
  text,
  updateRecord,
  versionField,
} from './http.ts';
import { CATEGORY_LABELS, DEFAULT_MINIMUMS, EQUIPMENT_CATEGORIES, equipmentStatus, itemKey, type InventoryRow, type MinimumItem } from './rules.ts';

const category = z.enum(EQUIPMENT_CATEGORIES);
const equipmentCreate = z
  .object({
    stationId: z.number().int().positive().max(2_147_483_647).optional(),
    siteId: z.number().int().positive().max(2_147_483_647).optional(),
    category,
    item: text(200),
    quantity: z.number().int().min(0).max(1_000_000),
    expiresOn: isoDate.nullable().optional(),
    notes: optText(2000),
  })
  .strict()
  .refine((b) => (b.stationId === undefined) !== (b.siteId === undefined), 'give exactly one of stationId and siteId');
const equipmentPatch = z
  .object({ item: text(200), category, quantity: z.number().int().min(0).max(1_000_000), expiresOn: isoDate.nullable(), notes: optText(2000), version: versionField })
  .partial()
  .strict();

const minimumsBody = z
  .object({
    items: z
      .array(z.object({ category, item: text(200), quantity: z.number().int().min(1).max(1_000_000) }).strict())
      .max(500)
      .refine((l) => new Set(l.map((m) => itemKey(m.category, m.item))).size === l.length, 'an item is listed twice'),
    version: versionField,
  })
  .strict();

const EQ_SELECT = `SELECT e.id, e.community_id, e.station_id, e.site_id, s.name AS site_name, e.category, e.item, e.quantity,
       e.expires_on::text AS expires_on, e.notes, e.version, e.created_at, e.updated_at
  FROM ops_equipment e LEFT JOIN sites s ON s.id = e.site_id`;
const EQUIPMENT: RecordTable = { entity: 'equipment item', table: 'ops_equipment', select: EQ_SELECT, alias: 'e', audit: eqView };

function eqView(r: any) {
  return {
    id: r.id,
    communityId: r.community_id,
    holder: r.station_id ? { kind: 'station' as const, id: r.station_id } : { kind: 'site' as const, id: r.site_id, name: r.site_name ?? null },
    stationId: r.station_id,
    siteId: r.site_id,
    category: r.category,
    categoryLabel: CATEGORY_LABELS[r.category as keyof typeof CATEGORY_LABELS],
    item: r.item,
    quantity: r.quantity,
    expiresOn: r.expires_on,
    notes: r.notes,
    version: r.version,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

const toInventory = (r: any): InventoryRow => ({
  id: r.id,
  category: r.category,
  item: r.item,
  quantity: r.quantity,
  expiresOn: r.expires_on,
  stationId: r.station_id,
  siteId: r.site_id,
});

/** The minimum list a community is held to: its own, else the city default row, else DEFAULT_MINIMUMS. */
export async function effectiveMinimums(db: Queryable, communityIds: number[]): Promise<Map<number, { source: 'community' | 'city' | 'builtin'; items: MinimumItem[]; version: number | null }>> {
  const rows = await db.query<{ community_id: number | null; items: MinimumItem[]; version: number }>(
    `SELECT community_id, items, version FROM ops_equipment_minimums WHERE community_id IS NULL OR community_id = ANY($1::text::int[])`,
    [`{${communityIds.join(',')}}`],
  );
  const city = rows.find((r) => r.community_id === null);
  const out = new Map<number, { source: 'community' | 'city' | 'builtin'; items: MinimumItem[]; version: number | null }>();
  for (const id of communityIds) {
    const own = rows.find((r) => r.community_id === id);
    out.set(id, own ? { source: 'community', items: own.items, version: own.version } : city ? { source: 'city', items: city.items, version: null } : { source: 'builtin', items: DEFAULT_MINIMUMS, version: null });
  }
  return out;
}

/** Equipment status for communities (set-based: two queries whatever the number of communities). */
export async function equipmentStatuses(db: Queryable, communityIds: number[], today: string) {
  const inv = await db.query(`${EQ_SELECT} WHERE e.community_id = ANY($1::text::int[]) ORDER BY e.id`, [`{${communityIds.join(',')}}`]);
  const mins = await effectiveMinimums(db, communityIds);
  const byCommunity = new Map<number, InventoryRow[]>();
  for (const r of inv) byCommunity.set(r.community_id, [...(byCommunity.get(r.community_id) ?? []), toInventory(r)]);
  return new Map(communityIds.map((id) => [id, { minimums: mins.get(id)!, ...equipmentStatus(byCommunity.get(id) ?? [], mins.get(id)!.items, today) }]));
}

async function putMinimums(db: Db, c: any, communityId: number | null, items: MinimumItem[], sent: number | undefined) {
  return db.transaction(async (tx: any) => {
    const [cur] = await tx.query('SELECT id, items, version FROM ops_equipment_minimums WHERE COALESCE(community_id, 0) = $1 FOR UPDATE', [communityId ?? 0]);
    if (cur) {
      // the list exists: say which version you edited (428 without one, 409 when stale)
      const v = sent ?? expectedVersion(c, null);
      if (cur.version !== v) throw stale('minimum list', cur.version, v);
      const [r] = await tx.query('UPDATE ops_equipment_minimums SET items = $2::text::jsonb, version = version + 1, updated_at = now() WHERE id = $1 RETURNING items, version', [cur.id, JSON.stringify(items)]);
      await audit(tx, { ...actorOf(c), action: 'update', entity: 'ops_equipment_minimums', entityId: communityId ?? 'city', before: cur.items, after: r.items });
      return r;
    }
    const [r] = await tx.query(
      `INSERT INTO ops_equipment_minimums (community_id, items) VALUES ($1, $2::text::jsonb)
       ON CONFLICT ((COALESCE(community_id, 0))) DO NOTHING RETURNING items, version`,
      [communityId, JSON.stringify(items)],
    );
    if (!r) throw stale('minimum list', 1, 0);
    await audit(tx, { ...actorOf(c), action: 'create', entity: 'ops_equipment_minimums', entityId: communityId ?? 'city', after: r.items });
    return r;
  });
}

function sentVersion(c: any, body: { version?: number }): number | undefined {
  try {
    return expectedVersion(c, body);
  } catch {
    return undefined;
  }
}

export const registerEquipment: Register = (app, ctx) => {
  const { db } = ctx;

  app.get('/api/communities/:id/equipment', async (c) => {
    const cid = pathId(c);
    await assertCommunityExists(db, cid);
    const rows = await db.query(`${EQ_SELECT} WHERE e.community_id = $1 ORDER BY e.category, e.item, e.id`, [cid]);
    const status = (await equipmentStatuses(db, [cid], ctx.today())).get(cid)!;
    const { minimums, ...rest } = status;
    return c.json({ communityId: cid, today: ctx.today(), items: rows.map(eqView), minimums, status: rest });
  });

  app.get('/api/equipment/status', async (c) => {
    const ids = (await db.query<{ id: number; name: string }>('SELECT id, name FROM communities ORDER BY id')).map((r) => r);
    const st = await equipmentStatuses(db, ids.map((r) => r.id), ctx.today());
    const list = ids.map((r) => {
      const s = st.get(r.id)!;
      return { communityId: r.id, communityName: r.name, complete: s.complete, missing: s.missing.length, expired: s.expired.length, expiringSoon: s.expiringSoon.length, categoriesMissing: s.categoriesMissing, minimumsSource: s.minimums.source };
    });
    return c.json({ today: ctx.today(), communities: list.length, complete: list.filter((l) => l.complete).length, statuses: list });
  });

  app.post('/api/communities/:id/equipment', async (c) => {
    const { cid, b } = await communityWrite(c, db, equipmentCreate);
    const row = await db.transaction(async (tx) => {
      if (b.stationId) {
        const [s] = await tx.query('SELECT id FROM ops_stations WHERE id = $1 AND community_id = $2', [b.stationId, cid]);
        if (!s) throw bad(`stationId: station ${b.stationId} is not community ${cid}'s station`);
      } else {
        const [s] = await tx.query('SELECT id FROM sites WHERE id = $1', [b.siteId]);
        if (!s) throw bad(`siteId: no site ${b.siteId}`);
      }
      const [ins] = await tx.query(
        `INSERT INTO ops_equipment (community_id, station_id, site_id, category, item, quantity, expires_on, notes)
         VALUES ($1, $2, $3, $4, $5, $6, $7::date, $8) RETURNING id`,
        [cid, b.stationId ?? null, b.siteId ?? null, b.category, b.item, b.quantity, b.expiresOn ?? null, b.notes ?? null],
      );
      return recordCreated(tx, c, EQUIPMENT, ins.id);
    });
    etag(c, row.version);
    return c.json(eqView(row), 201);
  });

  app.patch('/api/equipment/:eid', async (c) => {
    const id = pathId(c, 'eid');
    assertRole(c, 'planner');
    const b = await readBody(c, equipmentPatch);
    const sent = expectedVersion(c, b);
    const row = await db.transaction(async (tx) =>
      updateRecord(tx, c, EQUIPMENT, await lockRecord(tx, c, EQUIPMENT, id, sent), [
        field(b, 'item', 'item'),
        field(b, 'category', 'category'),
        field(b, 'quantity', 'quantity'),
        field(b, 'expiresOn', 'expires_on', (v) => [v], (p) => `${p[0]}::date`),
        field(b, 'notes', 'notes'),
      ]),
    );
    etag(c, row.version);
    return c.json(eqView(row));
  });

  deleteRoute(app, db, '/api/equipment/:eid', 'eid', EQUIPMENT);

  app.get('/api/equipment/minimums', async (c) => {
    const [r] = await db.query('SELECT items, version FROM ops_equipment_minimums WHERE community_id IS NULL');
    if (r) etag(c, r.version);
    return c.json(r ? { source: 'city', items: r.items, version: r.version } : { source: 'builtin', items: DEFAULT_MINIMUMS, version: null });
  });

  app.put('/api/equipment/minimums', async (c) => {
    assertRole(c, 'admin');
    const b = await readBody(c, minimumsBody);
    const r = await putMinimums(db, c, null, b.items, sentVersion(c, b));
    etag(c, r.version);
    return c.json({ source: 'city', items: r.items, version: r.version });
  });

  app.get('/api/communities/:id/equipment/minimums', async (c) => {
    const cid = pathId(c);
    await assertCommunityExists(db, cid);
    const m = (await effectiveMinimums(db, [cid])).get(cid)!;
    if (m.version !== null) etag(c, m.version);
    return c.json({ communityId: cid, ...m });
  });

  app.put('/api/communities/:id/equipment/minimums', async (c) => {
    const { cid, b } = await communityWrite(c, db, minimumsBody);
    const r = await putMinimums(db, c, cid, b.items, sentVersion(c, b));
    etag(c, r.version);
    return c.json({ communityId: cid, source: 'community', items: r.items, version: r.version });
  });

  app.delete('/api/communities/:id/equipment/minimums', async (c) => {
    const cid = pathId(c);
    assertRole(c, 'planner');
    assertCommunity(c, cid);
    const sent = expectedVersion(c, null);
    await db.transaction(async (tx) => {
      const [cur] = await tx.query('SELECT id, items, version FROM ops_equipment_minimums WHERE community_id = $1 FOR UPDATE', [cid]);
      if (!cur) throw notFound(`own minimum list of community ${cid}`);
      if (cur.version !== sent) throw stale('minimum list', cur.version, sent);
      await tx.query('DELETE FROM ops_equipment_minimums WHERE id = $1', [cur.id]);
      await audit(tx, { ...actorOf(c), action: 'delete', entity: 'ops_equipment_minimums', entityId: cid, before: cur.items });
    });
    return c.body(null, 204);
  });
};
