/**
 * Writes an OSM model or a shelter list into the database in ONE transaction (db.transaction): either all of it
 * lands, with its import_runs row and a data_version bump, or nothing changes. Bulk rows go in as batched
 * `INSERT … SELECT … FROM unnest($1::bigint[], …)` (works on PGlite and postgres.js alike), geometries as WKT /
 * GeoJSON text. Areas, community membership, population and capacity are then computed in SQL on geography,
 * with the parameters of server/domain/population.ts and capacity.ts.
 */
import type { Db, Queryable } from '../db/index.ts';
import type { MultiPolygonCoords, OsmModel, Pos } from './osm.ts';
import type { ShelterList } from './shelters.ts';
import { RESIDENTIAL_USES, DEFAULT_POPULATION_PARAMS, type PopulationParams } from '../domain/population.ts';
import { DEFAULT_CAPACITY_PARAMS, type CapacityParams } from '../domain/capacity.ts';

export interface LoadOptions {
  /** keep the previous OSM layers and add to them (default: replace them) */
  append?: boolean;
  population?: PopulationParams;
  capacity?: CapacityParams;
  /** rows per INSERT statement */
  batchSize?: number;
  onProgress?: (msg: string) => void;
}

export interface ImportStats {
  buildings: number;
  sites: number;
  roadEdges: number;
  roadNodes: number;
  communities: number;
  population: number;
  ms: number;
}
export interface ImportReport extends ImportStats {
  file: string;
  format: 'osm-xml' | 'osm-pbf' | 'csv' | 'geojson';
  importRunId: number;
  dataVersion: number;
  /** walking-network connected components (OSM) */
  components?: number;
  rejected?: { place: string; reason: string }[];
  warnings: string[];
}

const f7 = (x: number) => Number(x.toFixed(7)).toString();
const posWkt = (p: Pos) => `${f7(p[0])} ${f7(p[1])}`;
export function multiPolygonWkt(mp: MultiPolygonCoords): string {
  return `MULTIPOLYGON(${mp.map((poly) => `(${poly.map((ring) => `(${ring.map(posWkt).join(',')})`).join(',')})`).join(',')})`;
}
export function lineWkt(coords: Pos[]): string {
  return `LINESTRING(${coords.map(posWkt).join(',')})`;
}

/** Make a polygon geometry valid and keep only its polygonal part, as MultiPolygon. */
const VALID_MP = (g: string) =>
  `ST_Multi(CASE WHEN ST_IsValid(${g}) THEN ${g} ELSE ST_CollectionExtract(ST_MakeValid(${g}), 3) END)`;

async function batched<T>(items: T[], size: number, fn: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await fn(items.slice(i, i + size));
}

// ───────────────────────────── shared SQL steps ─────────────────────────────

/** footprint, community and population of the buildings of one import run (population.ts rules). */
async function computeBuildings(tx: Queryable, runId: number, p: PopulationParams): Promise<void> {
  await tx.query(`UPDATE buildings SET footprint_m2 = ST_Area(geom::geography) WHERE import_run_id = $1`, [runId]);
  await tx.query(
    `UPDATE buildings b SET community_id = (
       SELECT c.id FROM communities c
       WHERE c.geom && b.geom AND ST_Intersects(c.geom, ST_PointOnSurface(b.geom))
       ORDER BY c.area_m2 LIMIT 1)
     WHERE b.import_run_id = $1`,
    [runId],
  );
  // population = footprint × floors ÷ floor area per resident (DOMAIN.md: urban China 2020 census, 36.5 m²);
  // floors = building:levels, else height ÷ 3 m, else the per-type default — same rules as estimatePopulation().
  await tx.query(
    `UPDATE buildings b SET population_est = CASE
       WHEN (b.use = ANY($2::text[])
             OR (b.use = 'yes' AND (COALESCE((b.props->>'in_residential_area')::boolean, false)
                 OR EXISTS (SELECT 1 FROM communities c WHERE c.id = b.community_id AND c.kind = 'compound'))))
            AND b.footprint_m2 > 0
       THEN round((b.footprint_m2 * COALESCE(
              NULLIF(b.levels, 0)::float8,
              CASE WHEN b.height_m > 0 THEN GREATEST(1, round((b.height_m / $3)::numeric))::float8 END,
              ($4::text::jsonb ->> b.use)::float8,
              $5::float8) / $6)::numeric)::int
       ELSE 0 END
     WHERE b.import_run_id = $1`,
    [runId, [...RESIDENTIAL_USES], p.metresPerFloor, JSON.stringify(p.defaultFloors), p.fallbackFloors, p.floorAreaPerResident],
  );
}

/**
 * Area, effective area and capacity of sites (capacity.ts rules): open sites lose the buildings and water inside
 * them, then the unmapped-obstacle share; civil-defence works count their floor area; a listed capacity wins.
 */
async function computeSites(tx: Queryable, where: string, params: unknown[], c: CapacityParams, hasWater: boolean): Promise<void> {
  const n = params.length;
  await tx.query(
    `UPDATE sites s SET area_m2 = CASE WHEN GeometryType(s.geom) IN ('POLYGON', 'MULTIPOLYGON')
        THEN ST_Area(s.geom::geography) ELSE COALESCE((s.props->>'listed_area_m2')::float8, 0) END
     WHERE ${where}`,
    params,
  );
  await tx.query(
    `UPDATE sites s SET props = s.props || jsonb_build_object(
        'buildings_m2', COALESCE((SELECT ST_Area(ST_Intersection(s.geom, ST_Union(b.geom))::geography)
                                  FROM buildings b WHERE b.geom && s.geom AND ST_Intersects(b.geom, s.geom)), 0),
        'water_m2', ${hasWater ? `COALESCE((SELECT ST_Area(ST_Intersection(s.geom, ST_Union(w.geom))::geography)
                                  FROM import_water w WHERE w.geom && s.geom AND ST_Intersects(w.geom, s.geom)), 0)` : `COALESCE((s.props->>'water_m2')::float8, 0)`})
     WHERE ${where} AND GeometryType(s.geom) IN ('POLYGON', 'MULTIPOLYGON') AND s.kind <> 'civil_defence_work'`,
    params,
  );
  // effective area: listed area if the list gives one; civil-defence works: whole (floor) area;
  // open sites: (area − buildings − water) × (1 − unmappedObstacleShare)
  await tx.query(
    `UPDATE sites s SET effective_area_m2 = CASE
        WHEN s.props ? 'listed_area_m2' THEN (s.props->>'listed_area_m2')::float8
        WHEN s.kind = 'civil_defence_work' THEN s.area_m2
        ELSE GREATEST(0, s.area_m2 - COALESCE((s.props->>'buildings_m2')::float8, 0) - COALESCE((s.props->>'water_m2')::float8, 0))
             * (1 - $${n + 1}::float8) END
     WHERE ${where}`,
    [...params, c.unmappedObstacleShare],
  );
  // capacity: listed capacity, else floor(effective ÷ m² per person): civil-defence 1.0 (GB 50225, unconfirmed),
  // fixed 2 m², emergency 1 m² (GB 50413-2007 §8.2.8–8.2.9)
  await tx.query(
    `UPDATE sites s SET capacity = CASE
        WHEN s.props ? 'listed_capacity' THEN (s.props->>'listed_capacity')::int
        ELSE floor(COALESCE(s.effective_area_m2, 0) / CASE
               WHEN s.kind = 'civil_defence_work' THEN $${n + 1}::float8
               WHEN s.level = 'fixed' THEN $${n + 2}::float8
               ELSE $${n + 3}::float8 END)::int END
     WHERE ${where}`,
    [...params, c.civilDefenceM2PerPerson, c.fixedM2PerPerson, c.emergencyM2PerPerson],
  );
  await tx.query(
    `UPDATE sites s SET community_id = (
       SELECT c.id FROM communities c
       WHERE c.geom && s.geom AND ST_Intersects(c.geom, ST_PointOnSurface(s.geom))
       ORDER BY c.area_m2 LIMIT 1)
     WHERE ${where}`,
    params,
  );
}

async function bumpVersion(tx: Queryable): Promise<number> {
  const [r] = await tx.query<{ version: number }>(`UPDATE data_version SET version = version + 1, updated_at = now() WHERE id = 1 RETURNING version`);
  return r.version;
}

// ───────────────────────────── OSM ─────────────────────────────

export async function loadOsmModel(db: Db, m: OsmModel, opts: LoadOptions = {}): Promise<ImportReport> {
  const t0 = performance.now();
  const size = opts.batchSize ?? 2000;
  const pop = opts.population ?? DEFAULT_POPULATION_PARAMS;
  const cap = opts.capacity ?? DEFAULT_CAPACITY_PARAMS;
  const say = opts.onProgress ?? (() => {});
  const source = m.file.split('/').pop()!;
  const format = m.format === 'pbf' ? 'osm-pbf' : 'osm-xml';
  return db.transaction(async (tx) => {
    const [{ id: runId }] = await tx.query<{ id: number }>(`INSERT INTO import_runs (source, format) VALUES ($1, $2) RETURNING id`, [source, format]);
    if (!opts.append) {
      say(`${source}: replacing the previous OSM layers`);
      await tx.query(`DELETE FROM road_edges`);
      await tx.query(`DELETE FROM road_nodes`);
      await tx.query(`DELETE FROM sites WHERE source = 'osm'`);
      await tx.query(`DELETE FROM buildings WHERE osm_id IS NOT NULL`);
      await tx.query(`DELETE FROM communities WHERE osm_id IS NOT NULL`);
    } else {
      // appending the same elements again replaces them instead of duplicating them
      const del = async (table: string, cond: string, items: { osmType: string; osmId: number }[]) =>
        batched(items, size, (ch) => tx.query(`DELETE FROM ${table} t USING unnest($1::text[], $2::bigint[]) AS u(ot, oi) WHERE t.osm_type = u.ot AND t.osm_id = u.oi ${cond}`, [ch.map((x) => x.osmType), ch.map((x) => x.osmId)]));
      await del('buildings', '', m.buildings);
      await del('communities', '', m.communities);
      await del('sites', `AND t.source = 'osm'`, m.sites);
      await batched([...new Set(m.network.edges.map((e) => e.wayId))], size, (ch) => tx.query(`DELETE FROM road_edges WHERE osm_way_id = ANY($1::bigint[])`, [ch]));
    }

    say(`${source}: writing ${m.communities.length} communities`);
    await batched(m.communities, size, (ch) =>
      tx.query(
        `INSERT INTO communities (osm_id, osm_type, name, kind, geom, props, import_run_id)
         SELECT u.oi, u.ot, u.name, u.kind, ${VALID_MP('ST_GeomFromText(u.wkt, 4326)')}, u.props::jsonb, $7
         FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS u(oi, ot, name, kind, wkt, props)`,
        [ch.map((c) => c.osmId), ch.map((c) => c.osmType), ch.map((c) => c.name), ch.map((c) => c.kind), ch.map((c) => multiPolygonWkt(c.polygons)), ch.map((c) => JSON.stringify({ tags: c.tags })), runId],
      ),
    );
    await tx.query(`UPDATE communities SET area_m2 = ST_Area(geom::geography) WHERE import_run_id = $1`, [runId]);

    say(`${source}: writing ${m.buildings.length} buildings`);
    let done = 0;
    await batched(m.buildings, size, async (ch) => {
      await tx.query(
        `INSERT INTO buildings (osm_id, osm_type, name, use, levels, height_m, geom, props, import_run_id)
         SELECT u.oi, u.ot, u.name, u.use, u.levels, u.height, g.geom, u.props::jsonb, $9
         FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::int[], $6::float8[], $7::text[], $8::text[])
              AS u(oi, ot, name, use, levels, height, wkt, props),
         LATERAL (SELECT ${VALID_MP('ST_GeomFromText(u.wkt, 4326)')} AS geom) g
         WHERE NOT ST_IsEmpty(g.geom)`,
        [ch.map((b) => b.osmId), ch.map((b) => b.osmType), ch.map((b) => b.tags.name ?? null), ch.map((b) => b.use), ch.map((b) => b.levels), ch.map((b) => b.heightM),
          ch.map((b) => multiPolygonWkt(b.polygons)), ch.map((b) => JSON.stringify({ tags: b.tags, in_residential_area: b.inResidentialArea })), runId],
      );
      done += ch.length;
      if (m.buildings.length > 20000 && (done / size) % 5 === 0) say(`${source}: ${done.toLocaleString('en')} / ${m.buildings.length.toLocaleString('en')} buildings`);
    });

    say(`${source}: writing ${m.sites.length} sites`);
    await batched(m.sites, size, (ch) =>
      tx.query(
        `INSERT INTO sites (osm_id, osm_type, source, ext_ref, name, kind, geom, hazards, props, import_run_id)
         SELECT u.oi, u.ot, 'osm', u.ot || '/' || u.oi, u.name, u.kind,
                CASE WHEN u.wkt LIKE 'POINT%' THEN ST_GeomFromText(u.wkt, 4326) ELSE ${VALID_MP('ST_GeomFromText(u.wkt, 4326)')} END,
                COALESCE(string_to_array(NULLIF(u.hz, ''), ','), '{}'), u.props::jsonb, $8
         FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS u(oi, ot, name, kind, wkt, hz, props)`,
        [ch.map((s) => s.osmId), ch.map((s) => s.osmType), ch.map((s) => s.name), ch.map((s) => s.kind),
          ch.map((s) => (s.point ? `POINT(${posWkt(s.point)})` : multiPolygonWkt(s.polygons!))), ch.map((s) => (s.hazards ?? []).join(',')),
          ch.map((s) => JSON.stringify({ tags: s.tags })), runId],
      ),
    );

    say(`${source}: writing ${m.network.nodes.length} network nodes and ${m.network.edges.length} edges`);
    await batched(m.network.nodes, size * 2, (ch) =>
      tx.query(
        `INSERT INTO road_nodes (id, geom) SELECT u.id, ST_SetSRID(ST_MakePoint(u.x, u.y), 4326)
         FROM unnest($1::bigint[], $2::float8[], $3::float8[]) AS u(id, x, y) ON CONFLICT (id) DO NOTHING`,
        [ch.map((n) => n.id), ch.map((n) => n.pos[0]), ch.map((n) => n.pos[1])],
      ),
    );
    await batched(m.network.edges, size, (ch) =>
      tx.query(
        `INSERT INTO road_edges (osm_way_id, source, target, length_m, highway, name, width_m, geom)
         SELECT u.w, u.s, u.t, u.len, u.hw, u.name, u.width, ST_GeomFromText(u.wkt, 4326)
         FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::float8[], $5::text[], $6::text[], $7::float8[], $8::text[])
              AS u(w, s, t, len, hw, name, width, wkt)`,
        [ch.map((e) => e.wayId), ch.map((e) => e.source), ch.map((e) => e.target), ch.map((e) => e.lengthM), ch.map((e) => e.highway), ch.map((e) => e.name), ch.map((e) => e.widthM), ch.map((e) => lineWkt(e.coords))],
      ),
    );

    say(`${source}: computing footprints, communities, population and site capacity`);
    await computeBuildings(tx, runId, pop);
    await tx.exec(`CREATE TEMP TABLE IF NOT EXISTS import_water (geom geometry(MultiPolygon, 4326)) ON COMMIT DROP`);
    await batched(m.water, size, (ch) =>
      tx.query(`INSERT INTO import_water (geom) SELECT ${VALID_MP('ST_GeomFromText(u.wkt, 4326)')} FROM unnest($1::text[]) AS u(wkt)`, [ch.map((w) => multiPolygonWkt(w.polygons))]),
    );
    await computeSites(tx, 's.import_run_id = $1', [runId], cap, true);

    const [counts] = await tx.query<{ b: number; s: number; c: number; p: number; e: number; n: number }>(
      `SELECT (SELECT count(*) FROM buildings WHERE import_run_id = $1) AS b,
              (SELECT count(*) FROM sites WHERE import_run_id = $1) AS s,
              (SELECT count(*) FROM communities WHERE import_run_id = $1) AS c,
              (SELECT COALESCE(sum(population_est), 0) FROM buildings WHERE import_run_id = $1) AS p,
              (SELECT count(*) FROM road_edges) AS e, (SELECT count(*) FROM road_nodes) AS n`,
      [runId],
    );
    const stats: ImportStats = {
      buildings: counts.b, sites: counts.s, roadEdges: m.network.edges.length, roadNodes: m.network.nodes.length,
      communities: counts.c, population: counts.p, ms: Math.round(performance.now() - t0 + m.ms),
    };
    await tx.query(`UPDATE import_runs SET finished_at = now(), status = 'done', stats = $2::text::jsonb WHERE id = $1`,
      [runId, JSON.stringify({ ...stats, components: m.network.components, warnings: m.warnings.length })]);
    const dataVersion = await bumpVersion(tx);
    return { ...stats, file: m.file, format, importRunId: runId, dataVersion, components: m.network.components, warnings: m.warnings };
  });
}

// ───────────────────────────── shelter lists ─────────────────────────────

export async function loadShelterList(db: Db, list: ShelterList, opts: LoadOptions = {}): Promise<ImportReport> {
  const t0 = performance.now();
  const size = opts.batchSize ?? 2000;
  const cap = opts.capacity ?? DEFAULT_CAPACITY_PARAMS;
  const format = /\.(geo)?json$/i.test(list.file) ? 'geojson' : 'csv';
  return db.transaction(async (tx) => {
    const [{ id: runId }] = await tx.query<{ id: number }>(`INSERT INTO import_runs (source, format) VALUES ($1, $2) RETURNING id`, [list.source, format]);
    const rows = list.rows;
    await batched(rows, size, (ch) =>
      tx.query(
        `INSERT INTO sites (source, ext_ref, name, kind, level, geom, hazards, address, props, import_run_id)
         SELECT $1, u.ref, u.name, u.kind, u.level,
                CASE WHEN u.gj IS NOT NULL THEN ${VALID_MP('ST_SetSRID(ST_GeomFromGeoJSON(u.gj), 4326)')} ELSE ST_SetSRID(ST_MakePoint(u.x, u.y), 4326) END,
                COALESCE(string_to_array(NULLIF(u.hz, ''), ','), '{}'), u.addr, u.props::jsonb, $12
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::float8[], $8::float8[], $9::text[], $10::text[], $11::text[])
              AS u(ref, name, kind, level, gj, x, y, hz, addr, props)
         ON CONFLICT (source, ext_ref) WHERE ext_ref IS NOT NULL DO UPDATE SET
           name = EXCLUDED.name, kind = EXCLUDED.kind, level = EXCLUDED.level, geom = EXCLUDED.geom,
           hazards = EXCLUDED.hazards, address = EXCLUDED.address, props = EXCLUDED.props,
           import_run_id = EXCLUDED.import_run_id, version = sites.version + 1, updated_at = now()`,
        [list.source, ch.map((r) => r.extRef), ch.map((r) => r.name), ch.map((r) => r.kind), ch.map((r) => r.level), ch.map((r) => r.geometry ?? null),
          ch.map((r) => r.point[0]), ch.map((r) => r.point[1]), ch.map((r) => r.hazards.join(',')), ch.map((r) => r.address),
          ch.map((r) => JSON.stringify({
            ...r.props, mapping: list.mapping,
            ...(r.capacity !== null ? { listed_capacity: r.capacity } : {}),
            ...(r.areaM2 !== null ? { listed_area_m2: r.areaM2 } : {}),
          })), runId],
      ),
    );
    await computeSites(tx, 's.import_run_id = $1', [runId], cap, false);
    const [c] = await tx.query<{ s: number }>(`SELECT count(*) AS s FROM sites WHERE import_run_id = $1`, [runId]);
    const stats: ImportStats = { buildings: 0, sites: c.s, roadEdges: 0, roadNodes: 0, communities: 0, population: 0, ms: Math.round(performance.now() - t0) };
    await tx.query(`UPDATE import_runs SET finished_at = now(), status = 'done', stats = $2::text::jsonb WHERE id = $1`,
      [runId, JSON.stringify({ ...stats, mapping: list.mapping, crs: list.crs, rejected: list.rejected.length })]);
    const dataVersion = await bumpVersion(tx);
    return { ...stats, file: list.file, format, importRunId: runId, dataVersion, rejected: list.rejected, warnings: list.warnings };
  });
}
