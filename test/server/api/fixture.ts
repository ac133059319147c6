/** A small map around a Changzhou neighbourhood (plus one far-away building) for the API tests. */
import type { Db } from '../../../server/db/index.ts';

export const rect = (x0: number, y0: number, x1: number, y1: number) =>
  `MULTIPOLYGON(((${x0} ${y0},${x1} ${y0},${x1} ${y1},${x0} ${y1},${x0} ${y0})))`;

/** Tile containing lon/lat at zoom z (Web Mercator, XYZ). */
export function tileOf(lon: number, lat: number, z: number): [number, number, number] {
  const n = 2 ** z;
  const x = Math.floor(((lon + 180) / 360) * n);
  const r = (lat * Math.PI) / 180;
  const y = Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n);
  return [z, x, y];
}

export interface Fixture {
  communities: number[];
  buildings: number[];
  sites: number[];
  roads: number[];
  zones: number[];
  farBuilding: number;
}

/** The neighbourhood bbox: every fixture feature except the far building lies inside it. */
export const HOME_BBOX = [119.969, 31.779, 119.982, 31.786] as const;

export async function insertFixture(db: Db): Promise<Fixture> {
  return db.transaction(async (tx) => {
    const ids = async (sql: string, params: unknown[] = []) => (await tx.query(sql, params)).map((r) => Number(r.id));
    const communities = await ids(
      `INSERT INTO communities (name, kind, geom, area_m2) VALUES
         ('青枫苑', 'compound', ST_GeomFromText($1, 4326), 180000),
         ('兰陵社区', 'community', ST_GeomFromText($2, 4326), 150000)
       RETURNING id`,
      [rect(119.97, 31.78, 119.975, 31.784), rect(119.976, 31.78, 119.98, 31.784)],
    );
    const b = (x: number, y: number) => rect(x, y, x + 0.0003, y + 0.0002);
    const buildings = await ids(
      `INSERT INTO buildings (name, use, levels, height_m, footprint_m2, population_est, population_override, community_id, geom) VALUES
         ('1号楼', 'residential', 6, 18, 560, 80, NULL, $1, ST_GeomFromText($3, 4326)),
         ('2号楼', 'residential', 18, 54, 560, 240, 300, $1, ST_GeomFromText($4, 4326)),
         (NULL, 'apartments', 6, NULL, 560, 75, NULL, $1, ST_GeomFromText($5, 4326)),
         ('兰陵小学', 'school', 4, NULL, 560, 0, NULL, $2, ST_GeomFromText($6, 4326)),
         ('3号楼', 'residential', NULL, NULL, 560, 60, 0, $2, ST_GeomFromText($7, 4326))
       RETURNING id`,
      [communities[0], communities[1], b(119.971, 31.781), b(119.972, 31.782), b(119.973, 31.781), b(119.977, 31.781), b(119.978, 31.782)],
    );
    const [farBuilding] = await ids(
      `INSERT INTO buildings (name, use, levels, population_est, geom) VALUES ('北京楼', 'residential', 6, 50, ST_GeomFromText($1, 4326)) RETURNING id`,
      [rect(116.3, 39.9, 116.3003, 39.9002)],
    );
    const sites = await ids(
      `INSERT INTO sites (name, kind, level, geom, area_m2, capacity, capacity_override, status, hazards, source, ext_ref) VALUES
         ('青枫公园', 'park', 'fixed', ST_GeomFromText($1, 4326), 20000, 9000, NULL, 'open', ARRAY['earthquake','fire'], 'osm', NULL),
         ('兰陵广场', 'square', 'emergency', ST_GeomFromText($2, 4326), 3000, 2800, 2500, 'closed', ARRAY['earthquake'], 'manual', NULL),
         ('3号楼人防工程', 'civil_defence_work', 'emergency', ST_GeomFromText('POINT(119.9785 31.7825)', 4326), 800, 800, NULL, 'open', ARRAY['air_raid'], 'list.csv', 'RF-3')
       RETURNING id`,
      [rect(119.974, 31.783, 119.9755, 31.7845), rect(119.979, 31.7835, 119.9805, 31.785)],
    );
    await tx.query(
      `INSERT INTO road_nodes (id, geom) VALUES
         (1, ST_SetSRID(ST_MakePoint(119.970, 31.7805), 4326)),
         (2, ST_SetSRID(ST_MakePoint(119.975, 31.7805), 4326)),
         (3, ST_SetSRID(ST_MakePoint(119.980, 31.7805), 4326)),
         (4, ST_SetSRID(ST_MakePoint(119.975, 31.7840), 4326))`,
    );
    const roads = await ids(
      `INSERT INTO road_edges (osm_way_id, source, target, length_m, highway, name, width_m, geom) VALUES
         (100, 1, 2, 473.6, 'residential', '青枫路', 7, ST_GeomFromText('LINESTRING(119.970 31.7805,119.975 31.7805)', 4326)),
         (100, 2, 3, 473.6, 'residential', '青枫路', NULL, ST_GeomFromText('LINESTRING(119.975 31.7805,119.980 31.7805)', 4326)),
         (101, 2, 4, 388.1, 'footway', NULL, NULL, ST_GeomFromText('LINESTRING(119.975 31.7805,119.975 31.7840)', 4326))
       RETURNING id`,
    );
    const zones = await ids(
      `INSERT INTO zones (name, geom, site_ids, hazard) VALUES ('一号疏散区', ST_GeomFromText($1, 4326), $2::int[], 'earthquake') RETURNING id`,
      [rect(119.97, 31.78, 119.98, 31.785), sites.slice(0, 2)],
    );
    await tx.query('UPDATE data_version SET version = version + 1, updated_at = now() WHERE id = 1');
    return { communities, buildings, sites, roads, zones, farBuilding };
  });
}
