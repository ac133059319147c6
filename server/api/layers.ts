/**
 * The layer registry: every map layer served as GeoJSON (/api/layers), vector tiles (/api/tiles) and an
 * OGC API Features collection (/ogc) is one `LayerDef`. New layers (plans, routes, signs …) are added with
 * `registry.register(def)` or by passing extra defs to `createLayerRegistry` — no route code changes.
 *
 * SQL fragments here are trusted, static text written by developers (never user input); values always go in
 * as positional parameters.
 */

export type PropertyType = 'string' | 'integer' | 'number' | 'boolean' | 'string[]' | 'integer[]';

export interface PropertyDef {
  /** SQL expression over the layer's row alias `t`, e.g. `t.name` or `COALESCE(t.a, t.b)`. */
  sql: string;
  type: PropertyType;
  description?: string;
}

export type GeometryType = 'Point' | 'LineString' | 'Polygon' | 'MultiPolygon' | 'MultiLineString' | 'Geometry';

export interface LayerDef {
  /** URL id: /api/layers/{id}, /api/tiles/{id}/…, /ogc/collections/{id}; also the MVT layer name. */
  id: string;
  title: string;
  description: string;
  /** FROM item aliased as `t`: a table name (`buildings`) or a parenthesised query (`(SELECT …)`). */
  from: string;
  /** Geometry column of `t`, EPSG:4326. */
  geometryColumn: string;
  /** Integer id column of `t` (feature id, paging order). */
  idColumn: string;
  geometryType: GeometryType;
  properties: Record<string, PropertyDef>;
  /** Extra SQL condition over `t` applied to every read (e.g. only published plans). */
  where?: string;
  /** Readable without authorisation (see createApp's `canRead`). */
  public: boolean;
  /** Tiles below this zoom are empty (keeps low-zoom tiles small). */
  minZoom: number;
  /** At most this many features per tile (ordered by id); more are dropped. */
  maxFeaturesPerTile?: number;
}

export const LAYER_ID_RE = /^[a-z][a-z0-9_]{0,62}$/;
const PROP_RE = /^[a-z_][a-z0-9_]{0,62}$/;
const COL_RE = /^[a-z_][a-z0-9_]*$/;

export class LayerRegistry {
  private readonly layers = new Map<string, LayerDef>();

  constructor(defs: Iterable<LayerDef> = []) {
    for (const d of defs) this.register(d);
  }

  register(def: LayerDef): this {
    if (!LAYER_ID_RE.test(def.id)) throw new Error(`invalid layer id: ${def.id}`);
    if (this.layers.has(def.id)) throw new Error(`layer already registered: ${def.id}`);
    if (!COL_RE.test(def.geometryColumn) || !COL_RE.test(def.idColumn)) throw new Error(`invalid column in layer ${def.id}`);
    for (const name of Object.keys(def.properties)) {
      if (!PROP_RE.test(name)) throw new Error(`invalid property name ${name} in layer ${def.id}`);
    }
    if (!(def.minZoom >= 0 && def.minZoom <= 22)) throw new Error(`invalid minZoom in layer ${def.id}`);
    this.layers.set(def.id, def);
    return this;
  }

  get(id: string): LayerDef | undefined {
    return this.layers.get(id);
  }

  list(): LayerDef[] {
    return [...this.layers.values()];
  }
}

/** The foundation layers (issue 2). Tile minimum zooms: buildings from z13, roads from z11, the rest from z8. */
export const foundationLayers: LayerDef[] = [
  {
    id: 'communities',
    title: '小区 / 社区 Communities',
    description: 'Residential compounds and communities (named landuse=residential areas or drawn by planners).',
    from: 'communities',
    geometryColumn: 'geom',
    idColumn: 'id',
    geometryType: 'MultiPolygon',
    public: true,
    minZoom: 8,
    properties: {
      id: { sql: 't.id', type: 'integer' },
      name: { sql: 't.name', type: 'string' },
      kind: { sql: 't.kind', type: 'string', description: 'compound | community | district' },
      area_m2: { sql: 't.area_m2', type: 'number', description: 'area in square metres' },
    },
  },
  {
    id: 'buildings',
    title: '建筑 Buildings',
    description: 'Building footprints with estimated (or planner-overridden) residents.',
    from: 'buildings',
    geometryColumn: 'geom',
    idColumn: 'id',
    geometryType: 'MultiPolygon',
    public: true,
    minZoom: 13,
    properties: {
      id: { sql: 't.id', type: 'integer' },
      name: { sql: 't.name', type: 'string' },
      use: { sql: 't.use', type: 'string', description: 'OSM building=* value' },
      levels: { sql: 't.levels', type: 'integer' },
      height_m: { sql: 't.height_m', type: 'number' },
      population: {
        sql: 'COALESCE(t.population_override, t.population_est)',
        type: 'integer',
        description: 'residents: the planner override when set, else the estimate',
      },
      population_overridden: { sql: '(t.population_override IS NOT NULL)', type: 'boolean' },
      community_id: { sql: 't.community_id', type: 'integer' },
    },
  },
  {
    id: 'sites',
    title: '避难场所 Evacuation sites',
    description: 'Evacuation sites: green spaces, parks, squares, playgrounds, pitches, civil-defence works, assembly points.',
    from: 'sites',
    geometryColumn: 'geom',
    idColumn: 'id',
    geometryType: 'Geometry',
    public: true,
    minZoom: 8,
    properties: {
      id: { sql: 't.id', type: 'integer' },
      name: { sql: 't.name', type: 'string' },
      kind: { sql: 't.kind', type: 'string' },
      level: { sql: 't.level', type: 'string', description: 'emergency | fixed' },
      capacity: {
        sql: 'COALESCE(t.capacity_override, t.capacity)',
        type: 'integer',
        description: 'people: the planner override when set, else the computed capacity',
      },
      capacity_overridden: { sql: '(t.capacity_override IS NOT NULL)', type: 'boolean' },
      status: { sql: 't.status', type: 'string', description: 'open | closed' },
      hazards: { sql: 't.hazards', type: 'string[]', description: 'hazards the site suits' },
      area_m2: { sql: 't.area_m2', type: 'number' },
      effective_area_m2: { sql: 't.effective_area_m2', type: 'number' },
      address: { sql: 't.address', type: 'string' },
      community_id: { sql: 't.community_id', type: 'integer' },
    },
  },
  {
    id: 'roads',
    title: '步行路网 Walking network',
    description: 'Edges of the walking network, split where ways share nodes.',
    from: 'road_edges',
    geometryColumn: 'geom',
    idColumn: 'id',
    geometryType: 'LineString',
    public: true,
    minZoom: 11,
    properties: {
      id: { sql: 't.id', type: 'integer' },
      highway: { sql: 't.highway', type: 'string' },
      name: { sql: 't.name', type: 'string' },
      length_m: { sql: 't.length_m', type: 'number' },
      width_m: { sql: 't.width_m', type: 'number' },
    },
  },
  {
    id: 'zones',
    title: '疏散分区 Evacuation zones',
    description: 'Evacuation zones drawn by planners, with the sites their buildings may use.',
    from: 'zones',
    geometryColumn: 'geom',
    idColumn: 'id',
    geometryType: 'MultiPolygon',
    public: true,
    minZoom: 8,
    properties: {
      id: { sql: 't.id', type: 'integer' },
      name: { sql: 't.name', type: 'string' },
      site_ids: { sql: 't.site_ids', type: 'integer[]' },
      hazard: { sql: 't.hazard', type: 'string' },
    },
  },
];

export function createLayerRegistry(extra: LayerDef[] = []): LayerRegistry {
  return new LayerRegistry([...foundationLayers, ...extra]);
}
