/** Reads the engine's input (network, buildings, sites, zones, communities) from the database. */
import type { Queryable } from '../db/index.ts';
import { EdgeColumnsBuilder } from '../engine/edges.ts';
import type { EngineEdgeColumns, EngineInput } from '../engine/types.ts';
import { defaultHazards, type SiteKind } from '../domain/hazards.ts';

/** Flat [lon, lat, …] of a GeoJSON LineString / ring coordinate list. */
function flat(coords: number[][]): number[] {
  const out = new Array<number>(coords.length * 2);
  for (let i = 0; i < coords.length; i++) {
    out[2 * i] = coords[i][0];
    out[2 * i + 1] = coords[i][1];
  }
  return out;
}

/** Outer rings of a GeoJSON Polygon / MultiPolygon (holes are ignored by the engine). */
export function outerRings(geojson: string | null): number[][] {
  if (!geojson) return [];
  const g = JSON.parse(geojson);
  if (g.type === 'Polygon') return [flat(g.coordinates[0])];
  if (g.type === 'MultiPolygon') return g.coordinates.map((p: number[][][]) => flat(p[0]));
  return [];
}

/** The road_edges rows as columns (a city's 1.3 M edge objects would stay alive with the input for every what-if). */
function edgeColumns(rows: Record<string, any>[]): EngineEdgeColumns {
  const b = new EdgeColumnsBuilder(rows.length);
  for (const r of rows) b.push(r.id, r.source, r.target, r.length_m, r.highway, r.width_m, flat(JSON.parse(r.g).coordinates));
  return b.finish();
}

export async function loadEngineInput(db: Queryable): Promise<EngineInput> {
  const [nodes, edges, buildings, sites, zones, communities] = await Promise.all([
    db.query('SELECT id, ST_X(geom) AS lon, ST_Y(geom) AS lat FROM road_nodes ORDER BY id'),
    db.query(
      `SELECT id, source, target, length_m, highway, width_m, ST_AsGeoJSON(geom, 7) AS g FROM road_edges ORDER BY id`,
    ),
    db.query(
      `SELECT id, osm_id, name, COALESCE(population_override, population_est) AS population,
              GREATEST(1, COALESCE(levels, round(height_m / 3.0)::int, 1)) AS levels, community_id,
              ST_AsGeoJSON(ST_ExteriorRing(ST_GeometryN(geom, 1)), 7) AS ring
         FROM buildings ORDER BY id`,
    ),
    db.query(
      `SELECT id, name, kind, level, COALESCE(capacity_override, capacity) AS capacity, status, hazards, designated,
              CASE WHEN GeometryType(geom) IN ('POLYGON', 'MULTIPOLYGON') THEN ST_AsGeoJSON(geom, 7) END AS g,
              ST_X(ST_PointOnSurface(geom)) AS lon, ST_Y(ST_PointOnSurface(geom)) AS lat
         FROM sites ORDER BY id`,
    ),
    db.query('SELECT id, name, site_ids, ST_AsGeoJSON(geom, 7) AS g FROM zones ORDER BY id'),
    db.query('SELECT id, name FROM communities ORDER BY id'),
  ]);
  const n = nodes.length;
  const ids = new Float64Array(n);
  const lon = new Float64Array(n);
  const lat = new Float64Array(n);
  nodes.forEach((r, i) => {
    ids[i] = r.id;
    lon[i] = r.lon;
    lat[i] = r.lat;
  });
  return {
    nodes: { ids, lon, lat },
    edges: edgeColumns(edges),
    buildings: buildings.map((r) => ({
      id: r.id,
      osmId: r.osm_id,
      name: r.name,
      population: r.population,
      levels: r.levels,
      communityId: r.community_id,
      ring: r.ring ? flat(JSON.parse(r.ring).coordinates) : [],
    })),
    sites: sites.map((r) => ({
      id: r.id,
      name: r.name,
      kind: r.kind,
      level: r.level,
      capacity: r.capacity,
      status: r.status,
      // no hazards recorded → the kind's defaults (server/domain/hazards.ts)
      hazards: r.hazards?.length ? r.hazards : defaultHazards(r.kind as SiteKind),
      rings: outerRings(r.g),
      point: [r.lon, r.lat] as [number, number],
      candidate: !r.designated,
    })),
    zones: zones.map((r) => ({ id: r.id, name: r.name, rings: outerRings(r.g), siteIds: r.site_ids })),
    communities: communities.map((r) => ({ id: r.id, name: r.name })),
  };
}
