/**
 * deck.gl layers of the inspector map (drawn through the map's MapLibreOverlay): buildings of the current plan
 * (uncovered / unplaced in red, placed in a pale green), evacuation routes, and sites as circles coloured by
 * utilisation with a heavy red ring where a site is full or short of capacity.
 */
import { GeoJsonLayer, PathLayer, ScatterplotLayer } from '@deck.gl/layers';
import type { Layer, PickingInfo } from '@deck.gl/core';
import type { Feature, LineString } from 'geojson';

export type RGB = [number, number, number];
export const INSPECTOR_COLORS = {
  uncovered: [200, 30, 30] as RGB,
  covered: [120, 180, 120] as RGB,
  route: [0, 99, 206] as RGB,
  siteOk: [11, 107, 52] as RGB,
  siteBusy: [214, 130, 0] as RGB,
  siteFull: [164, 22, 26] as RGB,
};

export interface SitePoint {
  id: number;
  name: string;
  position: [number, number];
  utilisation: number;
  load: number;
  capacity: number;
}

export function siteTone(utilisation: number): 'ok' | 'warn' | 'bad' {
  return utilisation >= 1 ? 'bad' : utilisation >= 0.9 ? 'warn' : 'ok';
}

export function coverageLayers(opts: {
  buildings: Feature[];
  routes: Feature<LineString>[];
  sites: SitePoint[];
  onBuilding?: (f: Feature) => void;
}): Layer[] {
  const { buildings, routes, sites, onBuilding } = opts;
  const siteColor = (s: SitePoint): RGB =>
    s.utilisation >= 1 ? INSPECTOR_COLORS.siteFull : s.utilisation >= 0.9 ? INSPECTOR_COLORS.siteBusy : INSPECTOR_COLORS.siteOk;
  return [
    new GeoJsonLayer({
      id: 'insp-buildings',
      data: buildings as any,
      filled: true,
      stroked: true,
      pickable: true,
      getFillColor: (f: any) => (f.properties?.reason ? [...INSPECTOR_COLORS.uncovered, 230] : [...INSPECTOR_COLORS.covered, 150]),
      getLineColor: (f: any) => (f.properties?.reason ? [120, 0, 0, 255] : [60, 120, 60, 200]),
      lineWidthUnits: 'pixels',
      getLineWidth: (f: any) => (f.properties?.reason ? 2 : 1),
      onClick: (info: PickingInfo) => {
        if (info.object) onBuilding?.(info.object as Feature);
        return true;
      },
    }) as unknown as Layer,
    new PathLayer<Feature<LineString>>({
      id: 'insp-routes',
      data: routes,
      getPath: (f) => f.geometry.coordinates as [number, number][],
      getColor: [...INSPECTOR_COLORS.route, 150],
      getWidth: 2,
      widthUnits: 'pixels',
      widthMinPixels: 1,
    }) as unknown as Layer,
    new ScatterplotLayer<SitePoint>({
      id: 'insp-sites',
      data: sites,
      getPosition: (s) => s.position,
      getRadius: (s) => 8 + Math.min(10, 10 * s.utilisation),
      radiusUnits: 'pixels',
      getFillColor: (s) => [...siteColor(s), 210],
      stroked: true,
      lineWidthUnits: 'pixels',
      getLineWidth: (s) => (s.utilisation >= 1 ? 4 : 2),
      getLineColor: (s) => (s.utilisation >= 1 ? [90, 0, 0, 255] : [255, 255, 255, 255]),
      pickable: true,
    }) as unknown as Layer,
  ];
}
