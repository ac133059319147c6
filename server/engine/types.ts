/**
 * Planning engine — input and output types.
 *
 * The engine is pure TypeScript with no I/O: the server builds an `EngineInput` from PostGIS, benchmarks build it
 * from a parsed OSM file, the browser may build it from API data. Everything in `EngineInput` is plain
 * serialisable data (numbers, strings, arrays; `Float64Array` is accepted where noted and is structured-cloneable).
 *
 * Coordinates are WGS-84 lon/lat (EPSG:4326). Flat coordinate arrays are `[lon0, lat0, lon1, lat1, …]`.
 * Lengths are metres, times seconds.
 *
 * Indexes vs ids: every array element has an external `id` (database / OSM id). Internally and in the columnar
 * results the engine uses array *indexes* (position in the input arrays: `buildingIndex`, `siteIndex`,
 * `edgeIndex`, node index = position in `nodes.ids`). Helpers in plan.ts turn results back into ids.
 */

export type Hazard = 'earthquake' | 'air_raid' | 'fire' | 'flood';
export const HAZARDS: readonly Hazard[] = ['earthquake', 'air_raid', 'fire', 'flood'];

export type SiteLevel = 'emergency' | 'fixed';

export interface EngineNodes {
  /** External node ids (OSM node ids). Edge `source`/`target` refer to these ids. */
  ids: Float64Array | number[];
  lon: Float64Array | number[];
  lat: Float64Array | number[];
}

export interface EngineEdge {
  /** External edge id (database id), reported back in results and used by what-if closures. */
  id: number;
  /** Node ids (values from `nodes.ids`), not indexes. */
  source: number;
  target: number;
  /** Network length in metres (from PostGIS geography or the importer). Walking ignores oneway. */
  lengthM: number;
  /** OSM highway class (footway, residential, …): selects the default width when `widthM` is null. */
  highway: string;
  widthM: number | null;
  /** Flat lon,lat geometry from source to target (≥ 2 points). Empty → straight line between the nodes. */
  coords: number[] | Float64Array;
}

/**
 * The edges as columns (server/engine/edges.ts: `EdgeColumnsBuilder`, `edgeAt`): the same fields, one typed array
 * each. Loaders of whole networks give this form; a city's 1.3 M edge objects would be marked by every full collection.
 */
export interface EngineEdgeColumns {
  id: Float64Array;
  /** Node ids (values from `nodes.ids`), not indexes. */
  source: Float64Array;
  target: Float64Array;
  lengthM: Float64Array;
  /** Index into `highways` (the OSM highway classes). */
  highway: Uint16Array;
  highways: string[];
  /** NaN where the width is not given (null in `EngineEdge`). */
  widthM: Float64Array;
  /** Edge e's flat lon,lat geometry is coords[2·coordStart[e] .. 2·coordStart[e+1]); m + 1 offsets in points. */
  coordStart: Int32Array;
  coords: Float64Array;
}

export type EngineEdges = EngineEdge[] | EngineEdgeColumns;

export interface EngineBuilding {
  id: number;
  osmId: number | null;
  name: string | null;
  /** Estimated residents (server/domain computes it from footprint × floors ÷ floor area per resident). */
  population: number;
  /** Floors above ground (≥ 1); used by signage (one sign per floor landing). */
  levels: number;
  communityId: number | null;
  /** Flat outer ring lon,lat (closing point optional). Empty → the building is a point at `point`. */
  ring: number[] | Float64Array;
  /** Optional representative point when `ring` is empty. */
  point?: [number, number];
}

export interface EngineSite {
  id: number;
  name: string | null;
  /** park, square, playground, civil_defence, school … (free text from the importer). */
  kind: string;
  level: SiteLevel;
  /** People the site can hold (already computed from effective area by server/domain). */
  capacity: number;
  /** 'closed' sites are not used for evacuation; with `candidate: true` they are ranked as places to add capacity. */
  status: 'open' | 'closed';
  /** Hazards the site suits ('earthquake', 'air_raid', 'fire', 'flood'). */
  hazards: string[];
  /** Polygon outer rings (flat lon,lat each); empty for a point site. */
  rings: (number[] | Float64Array)[];
  /** Representative point (inside the polygon, or the point itself). */
  point: [number, number];
  /** An undesignated open space that could become a site ("where to add capacity"). Implies not used in the plan. */
  candidate?: boolean;
}

export interface EngineZone {
  id: number;
  name: string;
  /**
   * Polygon outer rings (flat lon,lat). A building whose door point lies inside a zone may only use its `siteIds`;
   * a zone with no sites listed yet restricts nothing.
   */
  rings: (number[] | Float64Array)[];
  siteIds: number[];
}

export interface EngineCommunity {
  id: number;
  name: string;
}

export interface EngineVolunteer {
  id: number;
  name: string;
  homeBuildingId: number;
  maxDuties: number;
}

/** `E` narrows the edges' form where a caller knows it (fixtures build arrays of objects). */
export interface EngineInput<E extends EngineEdges = EngineEdges> {
  nodes: EngineNodes;
  edges: E;
  buildings: EngineBuilding[];
  sites: EngineSite[];
  zones: EngineZone[];
  communities: EngineCommunity[];
  volunteers?: EngineVolunteer[];
}

/** A point snapped onto the walking graph: on edge `edgeIndex` at `fraction` (0 = source node, 1 = target node). */
export interface Snap {
  edgeIndex: number;
  /** Fraction of the edge's length from its source node; the partial network length is `fraction × lengthM`. */
  fraction: number;
  /** The snapped point on the edge (lon, lat). */
  point: [number, number];
  /** Straight-line metres from the snapped-from point (door / boundary point) to `point`. */
  distanceM: number;
}

/** A site entrance: a place where the walking network meets the site (one site has 0..n entrances). */
export interface Entrance extends Snap {
  siteIndex: number;
  /** How it was found: a path crossing the boundary, a network node inside the site, or a fallback snap. */
  how: 'crossing' | 'inside' | 'adjacent' | 'snapped';
}

export type UnplacedReason = 'no_site_in_reach' | 'all_full' | 'unreachable';
