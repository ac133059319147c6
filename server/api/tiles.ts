/**
 * Mapbox Vector Tiles for a registered layer, one MVT layer named after the layer id, extent 4096, buffer 64.
 *
 * Two encoders with the same content:
 *  - 'sql': ST_AsMVT / ST_AsMVTGeom on ST_Transform(geom, 3857) within ST_TileEnvelope (PostGIS server);
 *  - 'js' : PGlite's PostGIS lacks ST_AsMVT, so features are selected with the same envelope test, returned as
 *           GeoJSON and encoded with @maplibre/geojson-vt + @maplibre/vt-pbf.
 * Both select `geom && ST_Transform(ST_TileEnvelope(z, x, y, margin => 64/4096), 4326)` ordered by id, capped at
 * the layer's `maxFeaturesPerTile`; below the layer's `minZoom` the tile is empty. Feature id = row id, and the
 * properties are the layer's properties with arrays joined by ',' (MVT values are scalars); nulls are omitted.
 */
import { geoJSONToTile } from '@maplibre/geojson-vt';
import { fromGeojsonVt } from '@maplibre/vt-pbf';
import type { Db, Queryable } from '../db/index.ts';
import type { LayerDef } from './layers.ts';

export const TILE_EXTENT = 4096;
export const TILE_BUFFER = 64;
export const MAX_TILE_ZOOM = 22;
export const DEFAULT_MAX_FEATURES_PER_TILE = 20_000;

export type TileEncoder = 'sql' | 'js';

export function defaultEncoder(db: Db): TileEncoder {
  return db.kind === 'postgres' ? 'sql' : 'js';
}

/** Error message when z/x/y is not a tile of the pyramid, else undefined. */
export function checkTile(z: number, x: number, y: number): string | undefined {
  if (!Number.isInteger(z) || z < 0 || z > MAX_TILE_ZOOM) return `z must be an integer in [0, ${MAX_TILE_ZOOM}]`;
  const n = 2 ** z;
  if (!Number.isInteger(x) || x < 0 || x >= n) return `x must be an integer in [0, ${n - 1}] at z=${z}`;
  if (!Number.isInteger(y) || y < 0 || y >= n) return `y must be an integer in [0, ${n - 1}] at z=${z}`;
  return undefined;
}

function tileProps(layer: LayerDef): string {
  return Object.entries(layer.properties)
    .map(([name, p]) => {
      const expr = p.type.endsWith('[]') ? `array_to_string(${p.sql}, ',')` : p.sql;
      return `${expr} AS "${name}"`;
    })
    .join(', ');
}

function baseQuery(layer: LayerDef, geomSelect: string): string {
  const g = `t.${layer.geometryColumn}`;
  const extra = layer.where ? ` AND (${layer.where})` : '';
  return `SELECT t.${layer.idColumn} AS __fid, ${geomSelect.replaceAll('$GEOM', g)}, ${tileProps(layer)}
            FROM ${layer.from} t
           WHERE ${g} && ST_Transform(ST_TileEnvelope($1::int, $2::int, $3::int, margin => ${TILE_BUFFER}.0 / ${TILE_EXTENT}), 4326)${extra}
           ORDER BY t.${layer.idColumn}
           LIMIT $4::int`;
}

/** The encoded tile (an empty array when it has no features). */
export async function renderTile(
  db: Queryable,
  layer: LayerDef,
  z: number,
  x: number,
  y: number,
  encoder: TileEncoder,
): Promise<Uint8Array> {
  const bad = checkTile(z, x, y);
  if (bad) throw new RangeError(bad);
  if (z < layer.minZoom) return new Uint8Array(0);
  const cap = layer.maxFeaturesPerTile ?? DEFAULT_MAX_FEATURES_PER_TILE;
  return encoder === 'sql' ? renderSql(db, layer, z, x, y, cap) : renderJs(db, layer, z, x, y, cap);
}

async function renderSql(db: Queryable, layer: LayerDef, z: number, x: number, y: number, cap: number) {
  const q = baseQuery(
    layer,
    `ST_AsMVTGeom(ST_Transform($GEOM, 3857), ST_TileEnvelope($1::int, $2::int, $3::int), ${TILE_EXTENT}, ${TILE_BUFFER}, true) AS __mvtgeom`,
  );
  const rows = await db.query<{ tile: Uint8Array | null }>(
    `SELECT ST_AsMVT(q, $5::text, ${TILE_EXTENT}, '__mvtgeom', '__fid') AS tile
       FROM (${q}) q WHERE q.__mvtgeom IS NOT NULL`,
    [z, x, y, cap, layer.id],
  );
  const tile = rows[0]?.tile;
  return tile ? new Uint8Array(tile.buffer, tile.byteOffset, tile.byteLength) : new Uint8Array(0);
}

async function renderJs(db: Queryable, layer: LayerDef, z: number, x: number, y: number, cap: number) {
  const rows = await db.query(baseQuery(layer, `ST_AsGeoJSON($GEOM) AS __geojson`), [z, x, y, cap]);
  if (!rows.length) return new Uint8Array(0);
  const names = Object.keys(layer.properties);
  const features = rows.map((r) => {
    const properties: Record<string, unknown> = {};
    for (const n of names) if (r[n] !== null && r[n] !== undefined) properties[n] = r[n];
    return { type: 'Feature' as const, id: Number(r.__fid), geometry: JSON.parse(r.__geojson), properties };
  });
  const tile = geoJSONToTile({ type: 'FeatureCollection', features } as GeoJSON.FeatureCollection, z, x, y, {
    extent: TILE_EXTENT,
    buffer: TILE_BUFFER,
    maxZoom: z, // no extra simplification beyond the tile grid, like ST_AsMVTGeom
    clip: true,
    wrap: false,
  });
  if (!tile || !tile.features.length) return new Uint8Array(0);
  return fromGeojsonVt({ [layer.id]: tile }, { version: 2, extent: TILE_EXTENT });
}
