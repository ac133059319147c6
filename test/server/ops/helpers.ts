/** The operations test app (session + auth + ops routes, a settable clock), a small map with a saved plan, users. */
import { Hono } from 'hono';
import type { Db } from '../../../server/db/index.ts';
import { authRoutes, sessionMiddleware } from '../../../server/auth/index.ts';
import { opsRoutes } from '../../../server/ops/index.ts';
import { FAST } from '../../helpers/auth.ts';

export { call, FAST, PASSWORD, uniq, userToken, type Call } from '../../helpers/auth.ts';

export const OPTS = { trustProxy: true, passwordParams: FAST };

export interface Clock {
  t: Date;
}

export function opsApp(db: Db, clock: Clock): Hono {
  const app = new Hono();
  app.use('*', sessionMiddleware(db, OPTS));
  app.route('/api/auth', authRoutes(db, OPTS));
  app.route('/', opsRoutes(db, { now: () => clock.t, log: () => {} }));
  return app;
}

export const rect = (x0: number, y0: number, x1: number, y1: number) =>
  `MULTIPOLYGON(((${x0} ${y0},${x1} ${y0},${x1} ${y1},${x0} ${y1},${x0} ${y0})))`;

export interface OpsFixture {
  a: number;
  b: number;
  /** buildings: b1, b2 in A; b3 in B */
  b1: number;
  b2: number;
  b3: number;
  site1: number;
  site2: number;
  e1: number;
  e2: number;
  e3: number;
  zone: number;
  plan: number;
  whatIf: number;
  /** the junction of e1 and e2 */
  junction: { lon: number; lat: number };
}

/**
 * Two communities: A (青枫苑, compound) and B (兰陵社区, community). A saved earthquake plan: b1 walks 300 s, b2 250 s
 * (split over two rows 200 / 250), b3 100 s; coverage for A only (95 %), zone clearance 600 s; 3 signs and two
 * guide points (needs 2 + 1, assigned 1 + 1) in A, 1 sign in B. A later what-if plan (b1 999 s) must be ignored.
 */
export async function insertOpsFixture(db: Db): Promise<OpsFixture> {
  return db.transaction(async (tx) => {
    const one = async (sql: string, p: unknown[] = []) => Number((await tx.query(sql, p))[0].id);
    const a = await one(`INSERT INTO communities (name, kind, geom, area_m2) VALUES ('青枫苑', 'compound', ST_GeomFromText($1, 4326), 180000) RETURNING id`, [rect(119.97, 31.78, 119.975, 31.784)]);
    const b = await one(`INSERT INTO communities (name, kind, geom, area_m2) VALUES ('兰陵社区', 'community', ST_GeomFromText($1, 4326), 150000) RETURNING id`, [rect(119.976, 31.78, 119.98, 31.784)]);
    const bld = (name: string, x: number, y: number, pop: number, cid: number) =>
      one(`INSERT INTO buildings (name, use, levels, footprint_m2, population_est, community_id, geom) VALUES ($1, 'residential', 6, 560, $2, $3, ST_GeomFromText($4, 4326)) RETURNING id`, [
        name, pop, cid, rect(x, y, x + 0.0003, y + 0.0002),
      ]);
    const b1 = await bld('1号楼', 119.971, 31.781, 200, a);
    const b2 = await bld('2号楼', 119.972, 31.782, 250, a);
    const b3 = await bld('3号楼', 119.977, 31.781, 300, b);
    const site1 = await one(`INSERT INTO sites (name, kind, level, geom, area_m2, capacity) VALUES ('青枫公园', 'park', 'emergency', ST_GeomFromText($1, 4326), 2000, 500) RETURNING id`, [rect(119.9735, 31.7828, 119.9745, 31.7838)]);
    const site2 = await one(`INSERT INTO sites (name, kind, level, geom, area_m2, capacity) VALUES ('兰陵广场', 'square', 'emergency', ST_GeomFromText($1, 4326), 200, 10) RETURNING id`, [rect(119.978, 31.783, 119.9785, 31.7835)]);
    await tx.query(`INSERT INTO road_nodes (id, geom) VALUES (1, ST_SetSRID(ST_MakePoint(119.971, 31.7825), 4326)), (2, ST_SetSRID(ST_MakePoint(119.974, 31.7825), 4326)),
                     (3, ST_SetSRID(ST_MakePoint(119.974, 31.7845), 4326)), (4, ST_SetSRID(ST_MakePoint(119.977, 31.7805), 4326)), (5, ST_SetSRID(ST_MakePoint(119.979, 31.7805), 4326))`);
    const edge = (s: number, t: number, wkt: string, len: number) =>
      one(`INSERT INTO road_edges (source, target, length_m, highway, name, geom) VALUES ($1, $2, $3, 'footway', 'path', ST_GeomFromText($4, 4326)) RETURNING id`, [s, t, len, wkt]);
    const e1 = await edge(1, 2, 'LINESTRING(119.971 31.7825, 119.974 31.7825)', 284);
    const e2 = await edge(2, 3, 'LINESTRING(119.974 31.7825, 119.974 31.7845)', 222);
    const e3 = await edge(4, 5, 'LINESTRING(119.977 31.7805, 119.979 31.7805)', 189);
    const zone = await one(`INSERT INTO zones (name, geom) VALUES ('A区', ST_GeomFromText($1, 4326)) RETURNING id`, [rect(119.97, 31.78, 119.975, 31.784)]);
    const coverage = { population: 750, coveredShare: 0.9, communities: [{ id: a, name: '青枫苑', population: 450, coveredPopulation: 428, coveredShare: 0.95 }], zones: [{ id: zone, clearanceS: 600 }] };
    const plan = await one(
      `INSERT INTO plans (hazard, summary, coverage, data_version, created_at) VALUES ('earthquake', '{}'::jsonb, $1::text::jsonb, 1, '2026-06-01T00:00:00Z') RETURNING id`,
      [JSON.stringify(coverage)],
    );
    const pa = (pid: number, bid: number, sid: number | null, pop: number, assigned: number, walk: number) =>
      tx.query(`INSERT INTO plan_assignments (plan_id, building_id, site_id, population, assigned_population, walk_s, walk_vulnerable_s) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [pid, bid, sid, pop, assigned, walk, walk * 2]);
    await pa(plan, b1, site1, 200, 200, 300);
    await pa(plan, b2, site1, 250, 150, 200);
    await pa(plan, b2, site1, 250, 100, 250);
    await pa(plan, b3, site2, 300, 300, 100);
    const feat = (pid: number, layer: string, lon: number, lat: number, props: object) =>
      tx.query(`INSERT INTO plan_features (plan_id, layer, ref_id, geom, props) VALUES ($1, $2, NULL, ST_SetSRID(ST_MakePoint($3::float8, $4::float8), 4326), $5::text::jsonb)`, [pid, layer, lon, lat, JSON.stringify(props)]);
    await feat(plan, 'sign', 119.9712, 31.7822, { kind: 'exit', building_id: b1 });
    await feat(plan, 'sign', 119.974, 31.7825, { kind: 'junction' });
    await feat(plan, 'sign', 119.9738, 31.7829, { kind: 'overview' });
    await feat(plan, 'sign', 119.977, 31.7812, { kind: 'exit', building_id: b3 });
    await feat(plan, 'guide', 119.974, 31.7825, { needed: 2, assigned: 1 });
    await feat(plan, 'guide', 119.9712, 31.7822, { needed: 1, volunteerIds: [7] });
    const whatIf = await one(`INSERT INTO plans (hazard, baseline_id, data_version) VALUES ('earthquake', $1, 1) RETURNING id`, [plan]);
    await pa(whatIf, b1, site1, 200, 200, 999);
    return { a, b, b1, b2, b3, site1, site2, e1, e2, e3, zone, plan, whatIf, junction: { lon: 119.974, lat: 31.7825 } };
  });
}

/** A 1×1 PNG as a data URL. */
export const PNG_1PX =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
