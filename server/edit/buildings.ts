/**
 * Buildings: planners correct a building's name and resident count (issue 4). `populationOverride` replaces the
 * estimate (server/domain/population.ts) in plans; null clears it. If-Match on the version, community scope by
 * the building's community_id, one transaction with the data-version bump and the audit row.
 */
import type { Hono } from 'hono';
import { z } from 'zod';
import { actorOf, audit } from '../auth/index.ts';
import type { Db, Queryable } from '../db/index.ts';
import { bumpDataVersion } from '../api/data-version.ts';
import { assertPlanner, expectedVersion, iso, notFound, optText, pathId, readBody, setEtag, stale, versionField } from './http.ts';
import { assertCommunity } from './scope.ts';

/** Far above any real building (the largest residential blocks house a few thousand). */
export const MAX_BUILDING_POPULATION = 100_000;

const patchSchema = z
  .strictObject({
    populationOverride: z
      .number('expected a whole number of residents or null')
      .int('must be a whole number')
      .min(0, 'must not be negative')
      .max(MAX_BUILDING_POPULATION, `must be at most ${MAX_BUILDING_POPULATION}`)
      .nullable()
      .optional(),
    name: optText(200).optional(),
    version: versionField,
  })
  .refine((b) => b.populationOverride !== undefined || b.name !== undefined, 'nothing to change: send populationOverride and/or name');

interface BuildingRow {
  id: number;
  name: string | null;
  use: string;
  levels: number | null;
  footprint_m2: number;
  population_est: number;
  population_override: number | null;
  community_id: number | null;
  version: number;
  updated_at: Date | string;
}

const COLUMNS = 'id, name, use, levels, footprint_m2, population_est, population_override, community_id, version, updated_at';

export function buildingJson(r: BuildingRow) {
  return {
    id: r.id,
    name: r.name,
    use: r.use,
    levels: r.levels,
    footprintM2: Math.round(r.footprint_m2 * 10) / 10,
    populationEstimate: r.population_est,
    populationOverride: r.population_override,
    population: r.population_override ?? r.population_est,
    communityId: r.community_id,
    version: r.version,
    updatedAt: iso(r.updated_at),
  };
}

const readBuilding = async (q: Queryable, id: number, lock = false) =>
  (await q.query<BuildingRow>(`SELECT ${COLUMNS} FROM buildings WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]))[0];

export function registerBuildings(app: Hono, db: Db): void {
  app.get('/buildings/:id', async (c) => {
    const id = pathId(c);
    const row = await readBuilding(db, id);
    if (!row) throw notFound(`building ${id}`);
    setEtag(c, row.version);
    c.header('Cache-Control', 'no-store');
    return c.json(buildingJson(row));
  });

  app.patch('/buildings/:id', async (c) => {
    const user = assertPlanner(c);
    const id = pathId(c);
    const body = await readBody(c, patchSchema);
    const sent = expectedVersion(c, body);
    const actor = actorOf(c);
    const building = await db.transaction(async (tx) => {
      const before = await readBuilding(tx, id, true);
      if (!before) throw notFound(`building ${id}`);
      assertCommunity(user, before.community_id, `building ${id}`);
      if (before.version !== sent) throw stale(`building ${id}`, buildingJson(before), sent);
      await tx.query(
        `UPDATE buildings SET population_override = $2, name = $3, version = version + 1, updated_at = now() WHERE id = $1`,
        [
          id,
          body.populationOverride !== undefined ? body.populationOverride : before.population_override,
          body.name !== undefined ? body.name || null : before.name,
        ],
      );
      const after = buildingJson((await readBuilding(tx, id))!);
      await bumpDataVersion(tx);
      await audit(tx, { ...actor, action: 'update', entity: 'buildings', entityId: id, before: buildingJson(before), after });
      return after;
    });
    setEtag(c, building.version);
    return c.json(building);
  });
}
