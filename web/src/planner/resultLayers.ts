/**
 * deck.gl layers for a plan's results: buildings coloured by their assigned site, flows drawn with width by the
 * people walking each path segment, routes, sign points with arrows (drawn as geometry: no icon textures, so no
 * fetch of data URLs under our CSP), guides, site entrances, what-if closures and the chosen building's route.
 */
import { GeoJsonLayer, PathLayer, ScatterplotLayer } from '@deck.gl/layers';
import type { Layer } from '@deck.gl/core';
import type { Feature, FeatureCollection, Geometry, LineString, Position } from 'geojson';
import type { ResultLayer } from './api.ts';

export type RGBA = [number, number, number, number];

/** 12 distinguishable colours (Tableau-like, darkened for contrast on the light base map). */
export const SITE_PALETTE: [number, number, number][] = [
  [31, 119, 180], [255, 127, 14], [44, 160, 44], [148, 103, 189], [140, 86, 75], [227, 119, 194],
  [23, 190, 207], [188, 189, 34], [82, 84, 163], [173, 73, 74], [57, 59, 121], [99, 121, 57],
];
export const UNPLACED: [number, number, number] = [214, 39, 40];
export const FLOW_COLOR: [number, number, number] = [0, 99, 206];
export const SIGN_COLOR: [number, number, number] = [0, 121, 64];
export const GUIDE_OK: [number, number, number] = [46, 125, 50];
export const GUIDE_SHORT: [number, number, number] = [230, 81, 0];
export const CLOSED_COLOR: [number, number, number] = [183, 28, 28];

export const siteColor = (siteId: number | null | undefined): [number, number, number] =>
  siteId === null || siteId === undefined ? UNPLACED : SITE_PALETTE[Math.abs(Math.trunc(siteId)) % SITE_PALETTE.length];

export type ResultData = Partial<Record<ResultLayer, FeatureCollection>>;
export type ResultVisibility = Record<ResultLayer, boolean>;
export const RESULTS_DEFAULT: ResultVisibility = {
  plan_buildings: true,
  plan_flows: true,
  plan_routes: false,
  plan_signs: true,
  plan_guides: true,
  plan_entrances: false,
};

/** Width in pixels for a flow of `people` when the largest flow is `max`: 2 px … 14 px by the square root. */
export function flowWidth(people: number, max: number): number {
  if (!(max > 0) || !(people > 0)) return 2;
  return 2 + 12 * Math.sqrt(Math.min(1, people / max));
}

const M_PER_DEG_LAT = 111_320;
/** An arrow (shaft + head) of `lengthM` metres from `p` towards `bearing` (degrees clockwise from north). */
export function arrowPath(p: Position, bearing: number, lengthM = 9): Position[][] {
  const kx = 1 / (M_PER_DEG_LAT * Math.cos((p[1] * Math.PI) / 180));
  const ky = 1 / M_PER_DEG_LAT;
  const at = (b: number, d: number, from: Position): Position => {
    const r = (b * Math.PI) / 180;
    return [from[0] + Math.sin(r) * d * kx, from[1] + Math.cos(r) * d * ky];
  };
  const tip = at(bearing, lengthM, p);
  const head = lengthM * 0.4;
  return [
    [p, tip],
    [at(bearing + 150, head, tip), tip, at(bearing - 150, head, tip)],
  ];
}

interface Sign {
  p: Position;
  kind: string;
  bearing: number | null;
  props: Record<string, unknown>;
}

export interface ResultLayerOptions {
  data: ResultData;
  visible: ResultVisibility;
  /** Buildings whose site changed in the what-if (highlighted). */
  changedBuildingIds?: Set<number>;
  /** Closed roads (geometries) and sites (points) of the what-if being prepared. */
  closedRoads?: Geometry[];
  closedSites?: Position[];
  /** The building picked on the map: its route and site. */
  selectedRoute?: LineString | null;
}

function points(fc: FeatureCollection | undefined): Feature[] {
  return (fc?.features ?? []).filter((f) => f.geometry?.type === 'Point');
}

export function planResultLayers(o: ResultLayerOptions): Layer[] {
  const { data, visible } = o;
  const layers: Layer[] = [];

  if (visible.plan_buildings && data.plan_buildings) {
    const changed = o.changedBuildingIds ?? new Set<number>();
    layers.push(
      new GeoJsonLayer({
        id: 'plan-buildings',
        data: data.plan_buildings,
        filled: true,
        stroked: true,
        getFillColor: (f: Feature) => {
          const p = f.properties ?? {};
          return [...siteColor(p.reason ? null : (p.site_id as number | null)), 190] as RGBA;
        },
        getLineColor: (f: Feature) => (changed.has(Number(f.properties?.building_id)) ? [255, 214, 0, 255] : [40, 40, 40, 160]),
        getLineWidth: (f: Feature) => (changed.has(Number(f.properties?.building_id)) ? 4 : 1),
        lineWidthUnits: 'pixels',
        updateTriggers: { getLineColor: [...changed].join(), getLineWidth: [...changed].join() },
      }) as unknown as Layer,
    );
  }

  if (visible.plan_routes && data.plan_routes) {
    layers.push(
      new GeoJsonLayer({
        id: 'plan-routes',
        data: data.plan_routes,
        stroked: true,
        getLineColor: (f: Feature) => [...siteColor(f.properties?.site_id as number), 150] as RGBA,
        getLineWidth: 2,
        lineWidthUnits: 'pixels',
        lineJointRounded: true,
      }) as unknown as Layer,
    );
  }

  if (visible.plan_flows && data.plan_flows) {
    const flows = data.plan_flows.features.filter((f) => f.geometry?.type === 'LineString');
    const max = flows.reduce((m, f) => Math.max(m, Number(f.properties?.people ?? 0)), 0);
    layers.push(
      new PathLayer<Feature>({
        id: 'plan-flows',
        data: flows,
        getPath: (f) => (f.geometry as LineString).coordinates as [number, number][],
        getWidth: (f) => flowWidth(Number(f.properties?.people ?? 0), max),
        widthUnits: 'pixels',
        getColor: [...FLOW_COLOR, 200],
        capRounded: true,
        jointRounded: true,
      }) as unknown as Layer,
    );
  }

  if (visible.plan_signs && data.plan_signs) {
    const signs: Sign[] = points(data.plan_signs).map((f) => {
      const p = f.properties ?? {};
      const b = p.bearing;
      return { p: (f.geometry as GeoJSON.Point).coordinates, kind: String(p.kind), bearing: typeof b === 'number' ? b : null, props: p };
    });
    const arrows = signs.filter((s) => s.bearing !== null).flatMap((s) => arrowPath(s.p, s.bearing!));
    layers.push(
      new PathLayer<Position[]>({
        id: 'plan-sign-arrows',
        data: arrows,
        getPath: (d) => d as [number, number][],
        getColor: [...SIGN_COLOR, 255],
        getWidth: 2.5,
        widthUnits: 'pixels',
        capRounded: true,
        jointRounded: true,
      }) as unknown as Layer,
      new ScatterplotLayer<Sign>({
        id: 'plan-signs',
        data: signs,
        getPosition: (d) => d.p as [number, number],
        getFillColor: (d) => (d.kind === 'stairwell' || d.kind === 'exit' ? [255, 255, 255, 255] : [...SIGN_COLOR, 255]),
        getLineColor: [...SIGN_COLOR, 255],
        stroked: true,
        getRadius: 4,
        radiusUnits: 'pixels',
        lineWidthUnits: 'pixels',
        getLineWidth: 2,
      }) as unknown as Layer,
    );
  }

  if (visible.plan_guides && data.plan_guides) {
    layers.push(
      new ScatterplotLayer<Feature>({
        id: 'plan-guides',
        data: points(data.plan_guides),
        getPosition: (f) => (f.geometry as GeoJSON.Point).coordinates as [number, number],
        getRadius: (f) => 4 + 2 * Math.min(5, Number(f.properties?.needed ?? 1)),
        radiusUnits: 'pixels',
        getFillColor: (f) => [...(Number(f.properties?.assigned ?? 0) >= Number(f.properties?.needed ?? 0) ? GUIDE_OK : GUIDE_SHORT), 110] as RGBA,
        getLineColor: (f) => [...(Number(f.properties?.assigned ?? 0) >= Number(f.properties?.needed ?? 0) ? GUIDE_OK : GUIDE_SHORT), 255] as RGBA,
        stroked: true,
        lineWidthUnits: 'pixels',
        getLineWidth: 2,
      }) as unknown as Layer,
    );
  }

  if (visible.plan_entrances && data.plan_entrances) {
    layers.push(
      new ScatterplotLayer<Feature>({
        id: 'plan-entrances',
        data: points(data.plan_entrances),
        getPosition: (f) => (f.geometry as GeoJSON.Point).coordinates as [number, number],
        getRadius: 5,
        radiusUnits: 'pixels',
        getFillColor: (f) => [...siteColor(f.properties?.site_id as number), 255] as RGBA,
        getLineColor: [255, 255, 255, 255],
        stroked: true,
        lineWidthUnits: 'pixels',
        getLineWidth: 1.5,
      }) as unknown as Layer,
    );
  }

  if (o.closedRoads?.length) {
    const paths: Position[][] = [];
    for (const g of o.closedRoads) {
      if (g.type === 'LineString') paths.push(g.coordinates);
      else if (g.type === 'MultiLineString') paths.push(...g.coordinates);
    }
    layers.push(
      new PathLayer<Position[]>({
        id: 'closed-roads',
        data: paths,
        getPath: (d) => d as [number, number][],
        getColor: [...CLOSED_COLOR, 230],
        getWidth: 7,
        widthUnits: 'pixels',
        capRounded: true,
      }) as unknown as Layer,
    );
  }
  if (o.closedSites?.length) {
    layers.push(
      new ScatterplotLayer<Position>({
        id: 'closed-sites',
        data: o.closedSites,
        getPosition: (d) => d as [number, number],
        getRadius: 11,
        radiusUnits: 'pixels',
        getFillColor: [...CLOSED_COLOR, 90],
        getLineColor: [...CLOSED_COLOR, 255],
        stroked: true,
        lineWidthUnits: 'pixels',
        getLineWidth: 3,
      }) as unknown as Layer,
    );
  }

  if (o.selectedRoute && o.selectedRoute.coordinates.length >= 2) {
    const c = o.selectedRoute.coordinates;
    layers.push(
      new PathLayer<LineString>({
        id: 'selected-route',
        data: [o.selectedRoute],
        getPath: (d) => d.coordinates as [number, number][],
        getColor: [0, 99, 206, 240],
        getWidth: 7,
        widthUnits: 'pixels',
        capRounded: true,
        jointRounded: true,
      }) as unknown as Layer,
      new ScatterplotLayer<{ p: Position; end: boolean }>({
        id: 'selected-route-ends',
        data: [{ p: c[0], end: false }, { p: c[c.length - 1], end: true }],
        getPosition: (d) => d.p as [number, number],
        getFillColor: (d) => (d.end ? [198, 40, 40, 255] : [255, 255, 255, 255]),
        getLineColor: (d) => (d.end ? [255, 255, 255, 255] : [0, 99, 206, 255]),
        getRadius: 8,
        radiusUnits: 'pixels',
        stroked: true,
        lineWidthUnits: 'pixels',
        getLineWidth: 3,
      }) as unknown as Layer,
    );
  }
  return layers;
}

/** Polygons (solid) of a FeatureCollection, e.g. to highlight buildings; exported for the poster map. */
export function polygonRings(g: Geometry | null | undefined): Position[][] {
  if (!g) return [];
  if (g.type === 'Polygon') return [g.coordinates[0]];
  if (g.type === 'MultiPolygon') return g.coordinates.map((p) => p[0]);
  return [];
}
