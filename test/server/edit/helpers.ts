/** The editing test app (auth + edit routes mounted as the product does), users, calls and a small map. */
import { Hono } from 'hono';
import type { Db } from '../../../server/db/index.ts';
import { authRoutes } from '../../../server/auth/index.ts';
import { editRoutes, type EditRouteOptions } from '../../../server/edit/index.ts';
import { FAST } from '../../helpers/auth.ts';

export { call, FAST, PASSWORD, uniq, userToken, type Call } from '../../helpers/auth.ts';

export const AUTH = { trustProxy: true, passwordParams: FAST };

export function editApp(db: Db, opts: EditRouteOptions = {}): Hono {
  const api = new Hono();
  api.route('/api/auth', authRoutes(db, AUTH));
  api.route('/api', editRoutes(db, { auth: AUTH, log: () => {}, ...opts }));
  return api;
}

/** A GeoJSON polygon for the lon/lat rectangle. */
export const box = (x0: number, y0: number, x1: number, y1: number) => ({
  type: 'Polygon' as const,
  coordinates: [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]],
});

export const rectWkt = (x0: number, y0: number, x1: number, y1: number) =>
  `MULTIPOLYGON(((${x0} ${y0},${x1} ${y0},${x1} ${y1},${x0} ${y1},${x0} ${y0})))`;

export interface EditFixture {
  /** district containing A and B */
  d: number;
  a: number;
  b: number;
  /** buildings: ba in A, bb in B */
  ba: number;
  bb: number;
  /** sites: sa in A, sb in B */
  sa: number;
  sb: number;
}

/**
 * District D = [120.00, 120.02] × [31.00, 31.01] containing community A (west half) and community B (east half);
 * a building and a site in each.
 */
export async function insertFixture(db: Db): Promise<EditFixture> {
  return db.transaction(async (tx) => {
    const one = async (sql: string, p: unknown[] = []) => Number((await tx.query(sql, p))[0].id);
    const community = (name: string, kind: string, wkt: string) =>
      one(`INSERT INTO communities (name, kind, geom, area_m2) VALUES ($1, $2, ST_GeomFromText($3, 4326), ST_Area(ST_GeomFromText($3, 4326)::geography)) RETURNING id`, [name, kind, wkt]);
    const d = await community('天宁区', 'district', rectWkt(120.0, 31.0, 120.02, 31.01));
    const a = await community('青枫苑', 'compound', rectWkt(120.0, 31.0, 120.01, 31.01));
    const b = await community('兰陵社区', 'community', rectWkt(120.01, 31.0, 120.02, 31.01));
    const bld = (name: string, x: number, y: number, cid: number) =>
      one(
        `INSERT INTO buildings (name, use, levels, footprint_m2, population_est, community_id, geom)
         VALUES ($1, 'residential', 6, ST_Area(ST_GeomFromText($3, 4326)::geography), 120, $2, ST_GeomFromText($3, 4326)) RETURNING id`,
        [name, cid, rectWkt(x, y, x + 0.0003, y + 0.0002)],
      );
    const ba = await bld('1号楼', 120.001, 31.001, a);
    const bb = await bld('2号楼', 120.011, 31.001, b);
    const site = (name: string, wkt: string, cid: number) =>
      one(`INSERT INTO sites (name, kind, level, geom, area_m2, capacity, community_id) VALUES ($1, 'park', 'emergency', ST_GeomFromText($2, 4326), 1000, 800, $3) RETURNING id`, [
        name, wkt, cid,
      ]);
    const sa = await site('青枫公园', rectWkt(120.005, 31.005, 120.006, 31.006), a);
    const sb = await site('兰陵广场', rectWkt(120.015, 31.005, 120.016, 31.006), b);
    return { d, a, b, ba, bb, sa, sb };
  });
}

export async function dataVersion(db: Db): Promise<number> {
  return Number((await db.query('SELECT version FROM data_version WHERE id = 1'))[0].version);
}

export async function auditRows(db: Db, entity: string, id: number) {
  return db.query<{ action: string; username: string; before: any; after: any }>(
    'SELECT action, username, before, after FROM audit_log WHERE entity = $1 AND entity_id = $2 ORDER BY id',
    [entity, String(id)],
  );
}
